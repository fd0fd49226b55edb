#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# fresh-check.sh - the README's two commands on a fresh Debian machine.
#
# A minimal root (debootstrap --variant=minbase, this machine's release) from
# the archive this machine's apt is configured with; a clean clone of HEAD
# copied in under /root (0700, as "as root" suggests) into a folder whose name
# has a space, with nothing beside it; then, inside, what the README tells a
# new user: install make and git, `make demo`, `make test`. /proc, /sys, /dev,
# /run and a bpffs are mounted in a private mount namespace (the same kernel).
# Every step's time is printed; the exit status is the first failure's.
#
#   scripts/fresh-check.sh [DIR]
#
# DIR is where the root is built (default: a new folder under /var/tmp).
# FRESH_KEEP=1 keeps it afterwards; otherwise it is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

die() {
	echo "fresh-check: $*" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, chroot, mounts)"
scripts/deps.sh --fresh-check >/dev/null || die "scripts/deps.sh --fresh-check failed"
git -C "$REPO" rev-parse HEAD >/dev/null 2>&1 || die "$REPO is not a git clone"

# shellcheck source=/dev/null
. /etc/os-release
CODENAME=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}

# The archive, as this machine's apt sources name it: "URI SUITE" for every
# enabled deb entry of this release (one-line and deb822 formats).
apt_entries() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			print $i, $(i + 1) }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'function flush() { if (deb && en) for (u in U) for (s in S) print U[u], S[s]
				deb = 0; en = 1; delete U; delete S }
			BEGIN { en = 1 }
			/^[ \t]*$/ { flush(); next }
			/^Types:/ { deb = ($0 ~ /[ \t]deb([ \t]|$)/) }
			/^Enabled:/ { en = ($2 != "no") }
			/^URIs:/ { for (i = 2; i <= NF; i++) U[i] = $i }
			/^Suites:/ { for (i = 2; i <= NF; i++) S[i] = $i }
			END { flush() }' "$f"
	done
}
mapfile -t ENTRIES < <(apt_entries | awk -v c="$CODENAME" '$2 == c || index($2, c "-") == 1' | sort -u)
MIRROR=$(printf '%s\n' "${ENTRIES[@]}" | awk -v c="$CODENAME" '$2 == c { print $1; exit }')
[ -n "$MIRROR" ] || die "no '$CODENAME' entry in this machine's apt sources"

ROOT=${1:-}
if [ -z "$ROOT" ]; then
	ROOT=$(mktemp -d /var/tmp/iotfence-fresh.XXXXXX)
fi
mkdir -p "$ROOT"
# A machine's / is 0755; mktemp made this 0700, which no user but root could
# enter (the tests run the agent as nobody).
chmod 0755 "$ROOT"
CLONE="/root/src tree/iotfence"

cleanup() {
	# The mounts live in the private namespace only: here the root is plain
	# folders. Refuse to delete anything that is still a mount point.
	if [ "${FRESH_KEEP:-0}" != 1 ]; then
		if findmnt -rn -o TARGET | grep -qF "$ROOT/"; then
			echo "fresh-check: $ROOT still has mounts; left in place" >&2
		else
			rm -rf "$ROOT"
		fi
	else
		echo "fresh-check: the root is kept in $ROOT"
	fi
}
trap cleanup EXIT

TIMES=()
step() { # NAME COMMAND...: run, time, and stop at the first failure
	local name=$1 t0 rc
	shift
	echo "=== fresh-check: $name"
	t0=$(date +%s)
	set +e
	"$@"
	rc=$?
	set -e
	TIMES+=("$(printf '%-34s %5ss  %s' "$name" $(($(date +%s) - t0)) "$([ $rc -eq 0 ] && echo ok || echo "FAILED ($rc)")")")
	if [ $rc -ne 0 ]; then
		report
		exit $rc
	fi
}
report() {
	echo
	echo "=== fresh-check: $CODENAME minbase, $(uname -r), clone at '$CLONE'"
	printf '%s\n' "${TIMES[@]}"
	echo "fresh-check: $(grep -c ' ok$' < <(printf '%s\n' "${TIMES[@]}")) passed, $(grep -c ' FAILED' < <(printf '%s\n' "${TIMES[@]}")) failed"
}

# Everything run inside: a private mount namespace, then chroot, with an
# environment as a login shell of root would have it.
inside() { # SHELL-COMMAND
	unshare -m --propagation private bash -c '
		set -e
		r=$1
		# The root must be a mount point, as on a real machine: ip netns
		# exec makes "/" a slave mount.
		mount --bind "$r" "$r"
		mount -t proc proc "$r/proc"
		mount -t sysfs sysfs "$r/sys"
		mount -t bpf bpf "$r/sys/fs/bpf"
		mount --rbind /dev "$r/dev"
		mount -t tmpfs tmpfs "$r/run"
		mount -t tmpfs tmpfs "$r/tmp"
		exec chroot "$r" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			bash -c "$2"' _ "$ROOT" "$1"
}

bootstrap() {
	local log
	log=$(mktemp)
	if ! debootstrap --variant=minbase "$CODENAME" "$ROOT" "$MIRROR" >"$log" 2>&1; then
		tail -20 "$log" >&2
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
	# The new machine's apt: this release's entries of this machine's sources.
	printf '%s\n' "${ENTRIES[@]}" | awk '{ print "deb", $1, $2, "main" }' >"$ROOT/etc/apt/sources.list"
	cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
}
step "debootstrap $CODENAME (minbase)" bootstrap
copy_clone() {
	local tmp
	tmp=$(mktemp -d)
	git clone -q --no-local "$REPO" "$tmp/iotfence"
	mkdir -p "$ROOT$(dirname "$CLONE")"
	chmod 0700 "$ROOT/root"
	mv "$tmp/iotfence" "$ROOT$CLONE"
	rmdir "$tmp"
	# Nothing beside the clone: no ../shared, no captures but its own.
	[ "$(ls -A "$ROOT$(dirname "$CLONE")")" = iotfence ]
}
step "clean clone of $(git -C "$REPO" rev-parse --short HEAD)" copy_clone

# What the README asks a minimal system to install before its first command.
step "apt-get install make git" inside \
	'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq make git >/dev/null'
# shellcheck disable=SC2016 # expanded inside
step "make demo" inside 'cd "'"$CLONE"'" && make demo'
# shellcheck disable=SC2016
step "make test" inside 'cd "'"$CLONE"'" && make test'
report
