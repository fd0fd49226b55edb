#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# bench.sh [BUILD] - iotfence's benchmarks (`make bench`): per-packet cost at
# scale, end-to-end packet rate against peers, and the agent at scale. Prints
# a table and writes it to BUILD/bench.md; details go to BUILD/bench/*.log.
#
# Every figure is measured in this run and every comparison is a ratio of
# figures taken side by side in it. Each figure is repeated and summarised by
# its median with its spread, because a shared machine is noisy.
#
# Knobs (environment):
#   BENCH_QUICK=1        small scales and short runs: a smoke test (~1 min)
#   BENCH_ROUNDS=N       rounds of the per-packet cases (default 5; fewer, down
#                        to 3, for the last points if the suite runs late)
#   BENCH_PKT_BUDGET=S   seconds the per-packet suite should take (default 240)
#   BENCH_E2E_ROUNDS=N   rounds of the end-to-end cases (default 3)
#   BENCH_E2E_SECS=S     measuring window of one end-to-end case (default 2)
#   BENCH_RT=1           generator and receiver threads SCHED_FIFO during the
#                        end-to-end windows (rates less sensitive to other load;
#                        starves other work on both CPUs for those seconds)
#   BENCH_SKIP=LIST      any of pkt,dns,e2e,agent,profile
#   BENCH_PROFILE=0      no perf profile of the datapath's paths
#
# Network: two namespaces joined by a veth pair, and one more holding two
# interfaces for xdp-filter; no address outside them is ever used, nothing is
# routed out, and everything (namespaces, pins, files, processes) is removed
# on every exit.
set -uo pipefail

BUILD=${1:-build}
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
IFN="$ROOT/$BUILD/iotfence"
IFB="$ROOT/$BUILD/bench/ifn-bench"
PEERS="$ROOT/bench/peers.sh"
OUT="$ROOT/$BUILD/bench.md"
LOGS="$ROOT/$BUILD/bench"

QUICK=${BENCH_QUICK:-0}
ROUNDS=${BENCH_ROUNDS:-5}
E2E_ROUNDS=${BENCH_E2E_ROUNDS:-3}
E2E_SECS=${BENCH_E2E_SECS:-2}
SKIP=${BENCH_SKIP:-}
PROFILE=${BENCH_PROFILE:-1}

die() {
	echo "bench.sh: $*" >&2
	exit 1
}
skipped() { [[ ",$SKIP," == *",$1,"* ]]; }

[ "$(id -u)" -eq 0 ] || die "run as root (BPF programs, network namespaces)"
if [ ! -x "$IFN" ] || [ ! -x "$IFB" ]; then
	die "build first: make BUILD=$BUILD all $BUILD/bench/ifn-bench"
fi
if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != "bpf_fs" ]; then
	mount -t bpf bpf /sys/fs/bpf || die "cannot mount bpffs"
fi
mkdir -p "$LOGS"

# Unique names: several runs (or other people's tests) may share the machine.
# Interface names stay at 9 characters or fewer so that the receiver's NAPI
# thread ("napi/IFNAME-ID", 15 characters) can be found by name.
ID=$(printf '%x' $$)
NS_GEN=ifb-$ID-gen
NS_RX=ifb-$ID-rx
NS_XF=ifb-$ID-xf
IF_GEN=bxg$ID
IF_RX=bxr$ID
IF_XA=bxa$ID # xdp-filter, deny-list configuration
IF_XB=bxb$ID # xdp-filter, allow-list configuration
IF_XC=bxc$ID # the daemon's interface
IF_XD=bxd$ID
PIN=/sys/fs/bpf/ifb-$ID
WORK=$(mktemp -d /tmp/ifb-bench.XXXXXX) || die "mktemp"
# Any iotfence command here works on this run's own pins and state, never
# on a gateway's (/sys/fs/bpf/iotfence).
export IOTFENCE_PIN_DIR="$PIN-none"
export IOTFENCE_STATE_DIR="$WORK/state"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
NAMESPACES=()
PIDS=()

teardown() {
	local p n
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	for n in "${NAMESPACES[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$PIN"-* "$WORK"
}
trap teardown EXIT
trap 'exit 130' INT TERM

START=$(date +%s)
elapsed() { echo $(($(date +%s) - START)); }
phase() { echo "== $* ($(elapsed) s)" >&2; }

ns_add() {
	ip netns add "$1" || die "cannot create netns $1"
	NAMESPACES+=("$1")
	ip -n "$1" link set lo up
	# Quiet interfaces: no IPv6 DAD or router solicitations in the counters.
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 net.ipv4.ip_forward=0
}

# --- the network -------------------------------------------------------------
phase "namespaces"
ns_add "$NS_GEN"
ns_add "$NS_RX"
ns_add "$NS_XF"
ip link add "$IF_GEN" netns "$NS_GEN" type veth peer name "$IF_RX" netns "$NS_RX" ||
	die "cannot create the veth pair"
ip -n "$NS_GEN" link set "$IF_GEN" up
# The receiver has an address (so that its IPv4 stack is on) and no route:
# frames it passes die in the routing lookup, and forwarding is off.
ip -n "$NS_RX" addr add 192.0.2.1/24 dev "$IF_RX"
ip -n "$NS_RX" link set "$IF_RX" up
ip -n "$NS_XF" link add "$IF_XA" type veth peer name "$IF_XB"
ip -n "$NS_XF" link add "$IF_XC" type veth peer name "$IF_XD"
for i in "$IF_XA" "$IF_XB" "$IF_XC" "$IF_XD"; do
	ip -n "$NS_XF" link set "$i" up
done

# --- per packet -------------------------------------------------------------
if [ "$QUICK" = 1 ]; then
	# shellcheck disable=SC2054 # the commas are ifn-bench's list syntax
	PKT_ARGS=(--repeat 200000 --rounds 3 --devices 1,1000 --flows 10,100000
		--new-device-repeat 200000 --new-device-rounds 1)
else
	PKT_ARGS=(--rounds "$ROUNDS" --budget "${BENCH_PKT_BUDGET:-240}")
fi

XDPF_ARGS=()
if command -v xdp-filter >/dev/null; then
	"$IFB" pkt --write-xdpf-rules "$WORK"
	if "$PEERS" xdpf-load "$NS_XF" "$IF_XA" allow "$WORK/xdpf-deny.rules" >"$LOGS/xdp-filter.log" 2>&1 &&
		"$PEERS" xdpf-load "$NS_XF" "$IF_XB" deny "$WORK/xdpf-allow.rules" >>"$LOGS/xdp-filter.log" 2>&1; then
		XDPF_ARGS=(--xdpf-deny "$NS_XF/$IF_XA" --xdpf-allow "$NS_XF/$IF_XB")
	else
		echo "bench.sh: xdp-filter could not be loaded (see $LOGS/xdp-filter.log)" >&2
	fi
fi

: >"$WORK/pkt.md"
if ! skipped pkt; then
	phase "per packet"
	STAGES=()
	# The ablation object is optional (`make bench` builds it if it can).
	[ -r "$BUILD/bench/stages.bpf.o" ] && STAGES=(--stages "$BUILD/bench/stages.bpf.o")
	"$IFB" pkt "${PKT_ARGS[@]}" "${XDPF_ARGS[@]}" "${STAGES[@]}" --md "$WORK/pkt.md" \
		--log "$LOGS/pkt.log" ||
		die "the per-packet benchmark failed (see $LOGS/pkt.log)"
fi

# --- names (issue 12): the egress program, DNS answers, XDP by name ----------
: >"$WORK/dns.md"
if ! skipped dns; then
	phase "names"
	DNS_ARGS=(--rounds "$ROUNDS")
	[ "$QUICK" = 1 ] && DNS_ARGS=(--rounds 3 --repeat 100000)
	"$IFB" dns "${DNS_ARGS[@]}" --captures "$ROOT/tests/captures" --md "$WORK/dns.md" \
		>"$LOGS/dns.log" 2>&1 ||
		die "the names benchmark failed (see $LOGS/dns.log)"
fi

# --- end to end ---------------------------------------------------------------
: >"$WORK/e2e.md"
if ! skipped e2e; then
	phase "end to end"
	E2E_ARGS=(--rounds "$E2E_ROUNDS" --secs "$E2E_SECS")
	[ "$QUICK" = 1 ] && E2E_ARGS=(--rounds 1 --secs 1)
	[ "${BENCH_RT:-0}" = 1 ] && E2E_ARGS+=(--rt)
	E2E_SKIP=()
	command -v xdp-filter >/dev/null || E2E_SKIP+=(xdp-filter)
	command -v nft >/dev/null || E2E_SKIP+=(nft)
	if [ "${#E2E_SKIP[@]}" -gt 0 ]; then
		E2E_ARGS+=(--skip "$(
			IFS=,
			echo "${E2E_SKIP[*]}"
		)")
	fi
	"$IFB" e2e --gen "$NS_GEN/$IF_GEN" --rx "$NS_RX/$IF_RX" --peers "$PEERS" \
		--workdir "$WORK" "${E2E_ARGS[@]}" --md "$WORK/e2e.md" --log "$LOGS/e2e.log" ||
		die "the end-to-end benchmark failed (see $LOGS/e2e.log)"
fi

# --- the agent ----------------------------------------------------------------
# timed COMMAND...: run it (output to the log), append its elapsed seconds
# to $T and its CPU seconds (user + system) to $C. A busy machine stretches
# the first; the second is what the command itself costs.
timed() {
	local tf="$WORK/time.$$" rc
	{
		TIMEFORMAT='%R %U %S'
		time "$@" >>"$LOGS/agent.log" 2>&1
	} 2>"$tf"
	rc=$?
	read -r r u sy <"$tf"
	T+="$r "
	C+="$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%.3f", u + s }') "
	return $rc
}
# stats "x y z": median min max
stats() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END {
	m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f %.3f %.3f", m, v[1], v[NR] }'; }

implemented() { # command words...: not the development placeholder
	! "$IFN" "$@" 2>&1 | grep -q "not implemented yet"
}

AGENT_MD="$WORK/agent.md"
: >"$AGENT_MD"
if ! skipped agent; then
	phase "agent"
	NDEV=100000
	[ "$QUICK" = 1 ] && NDEV=20000
	{
		echo "### Agent"
		echo
		echo "| measurement | elapsed, median | min | max | CPU (user+sys), median | target | verdict |"
		echo "|---|---:|---:|---:|---:|---|---|"
	} >>"$AGENT_MD"

	# devices --json at 100,000 devices (4 flows each), as `attach` pins them.
	"$IFB" state --pin-dir "$PIN-dev" --devices "$NDEV" --flows-per-device 4 \
		--max-devices $((NDEV + NDEV / 4)) 2>>"$LOGS/agent.log" ||
		die "cannot make the agent's state (see $LOGS/agent.log)"
	# One run to check the output, then five timed ones.
	n=$(IOTFENCE_PIN_DIR="$PIN-dev" "$IFN" devices --json 2>>"$LOGS/agent.log" |
		jq 'if type == "array" then length else (.devices | length) end' 2>/dev/null)
	T="" C=""
	ok=1
	for ((i = 0; i < 5; i++)); do
		IOTFENCE_PIN_DIR="$PIN-dev" timed sh -c "\"$IFN\" devices --json >/dev/null" || ok=0
	done
	if [ $ok = 1 ]; then
		read -r med lo hi <<<"$(stats "$T")"
		read -r cmed _ _ <<<"$(stats "$C")"
		verdict=$(awk -v m="$med" -v n="${n:-0}" -v want="$NDEV" 'BEGIN {
			if (n != want) print "**invalid** (" n " devices in the output)";
			else if (m < 0.5) print "met"; else print "**missed**" }')
		# shellcheck disable=SC2016 # backquotes are markdown
		printf '| `devices --json`, %d devices | %.2f s | %.2f s | %.2f s | %.2f s | < 0.5 s | %s |\n' \
			"$NDEV" "$med" "$lo" "$hi" "$cmed" "$verdict" >>"$AGENT_MD"
	else
		echo "| \`devices --json\`, $NDEV devices | failed (see bench/agent.log) | | | | < 0.5 s | **missed** |" >>"$AGENT_MD"
	fi

	# policy load of 100,000 and 1,000,000 rules: the file is what
	# `policy save` writes for a state holding that many, loaded into a
	# fresh state.
	if implemented policy save "$WORK/probe.policy" && implemented policy load "$WORK/none.policy"; then
		for rules in 100000 1000000; do
			[ "$QUICK" = 1 ] && [ "$rules" = 1000000 ] && continue
			ndev=$((rules / 100))
			"$IFB" state --pin-dir "$PIN-pol$rules" --devices "$ndev" --flows-per-device 100 \
				--max-flows $((rules + rules / 4)) 2>>"$LOGS/agent.log"
			IOTFENCE_PIN_DIR="$PIN-pol$rules" "$IFN" policy save "$WORK/p$rules.policy" \
				>>"$LOGS/agent.log" 2>&1 || { echo "policy save failed" >>"$LOGS/agent.log"; continue; }
			rm -rf "$PIN-pol$rules"
			T="" C="" ok=1
			for i in 1 2 3; do
				# A fresh, empty state each time, as `attach` makes it.
				"$IFB" state --pin-dir "$PIN-load" --devices 0 --max-devices $((ndev * 2)) \
					--max-flows $((rules + rules / 4)) 2>>"$LOGS/agent.log"
				IOTFENCE_PIN_DIR="$PIN-load" timed "$IFN" policy load "$WORK/p$rules.policy" ||
					{ ok=0; break; }
				rm -rf "$PIN-load"
				# Far above any target, one run says enough and saves minutes.
				awk -v all="$T" 'BEGIN { n = split(all, a, " "); exit !(a[n] >= 6) }' && break
			done
			rm -rf "$PIN-load"
			if [ $ok = 0 ]; then
				echo "| \`policy load\`, $rules rules | failed (see bench/agent.log) | | | | | |" >>"$AGENT_MD"
				continue
			fi
			read -r med lo hi <<<"$(stats "$T")"
			read -r cmed _ _ <<<"$(stats "$C")"
			target="" verdict=""
			if [ "$rules" = 1000000 ]; then
				target="< 3 s"
				verdict=$(awk -v m="$med" 'BEGIN { print (m < 3) ? "met" : "**missed**" }')
			fi
			# shellcheck disable=SC2016 # backquotes are markdown
			printf '| `policy load`, %d rules (%d devices; %d runs) | %.2f s | %.2f s | %.2f s | %.2f s | %s | %s |\n' \
				"$rules" "$ndev" "$(wc -w <<<"$T")" "$med" "$lo" "$hi" "$cmed" "$target" "$verdict" >>"$AGENT_MD"
		done
	else
		echo "| \`policy load\` | not measured: not implemented yet (agent/pending.c) | | | | < 3 s (1M rules) | not measured |" >>"$AGENT_MD"
	fi

	# Offline replay: every capture of tests/captures, 36 times over (about a
	# million frames), through the real program; the rate is the one replay
	# itself measures over its frames, the elapsed time the whole command.
	PCAPS=${IFN_PCAPS:-$ROOT/tests/captures}
	if compgen -G "$PCAPS/*.pcap" >/dev/null; then
		caps=()
		for ((i = 0; i < 36; i++)); do caps+=("$PCAPS"/*.pcap); done
		T="" C="" R="" ok=1
		for i in 1 2 3; do
			timed "$IFN" replay --json "${caps[@]}" || { ok=0; break; }
			r=$("$IFN" replay --json "${caps[@]}" 2>/dev/null | jq '.speed.frames_per_second, .speed.frames')
			R+="$(head -1 <<<"$r") "
			nf=$(tail -1 <<<"$r")
		done
		if [ $ok = 1 ]; then
			read -r med lo hi <<<"$(stats "$T")"
			read -r cmed _ _ <<<"$(stats "$C")"
			read -r fmed _ _ <<<"$(stats "$R")"
			# shellcheck disable=SC2016 # backquotes are markdown
			printf '| `replay`, %d frames (%s frames/s through the program, median) | %.2f s | %.2f s | %.2f s | %.2f s | > 1,000,000 frames/s | %s |\n' \
				"$nf" "$(awk -v f="$fmed" 'BEGIN { printf "%.0f", f }')" "$med" "$lo" "$hi" "$cmed" \
				"$(awk -v f="$fmed" 'BEGIN { print (f > 1000000) ? "met" : "**missed**" }')" >>"$AGENT_MD"
		else
			echo "| \`replay\` | failed (see bench/agent.log) | | | | > 1,000,000 frames/s | **missed** |" >>"$AGENT_MD"
		fi
	fi

	# The daemon's resident memory, on the 100,000-device state.
	if implemented run --config /nonexistent; then
		cat >"$WORK/daemon.conf" <<-EOF
			interface $IF_XC
			syslog off
			events-stdout off
			metrics-interval 1s
			snapshot-interval 0
			detach-on-exit on
		EOF
		mkdir -p "$WORK/state"
		nsenter --net="/run/netns/$NS_XF" env IOTFENCE_PIN_DIR="$PIN-dev" \
			IOTFENCE_STATE_DIR="$WORK/state" "$IFN" run --config "$WORK/daemon.conf" \
			>>"$LOGS/agent.log" 2>&1 &
		DPID=$!
		PIDS+=("$DPID")
		# Up when it has attached; then let it go through a few metric rounds.
		for ((i = 0; i < 100; i++)); do
			ip -n "$NS_XF" link show "$IF_XC" | grep -q xdp && break
			kill -0 "$DPID" 2>/dev/null || break
			sleep 0.1
		done
		sleep 3
		if kill -0 "$DPID" 2>/dev/null; then
			rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$DPID/status")
			hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$DPID/status")
			# shellcheck disable=SC2016 # backquotes are markdown
			printf '| `iotfence run` resident memory, %d devices (after 3 s) | %.1f MiB | | peak %.1f MiB | | | |\n' \
				"$NDEV" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" \
				"$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')" >>"$AGENT_MD"
			kill -TERM "$DPID"
			wait "$DPID" 2>/dev/null
		else
			echo "| \`iotfence run\` resident memory | the daemon exited (see bench/agent.log) | | | | | |" >>"$AGENT_MD"
		fi
	else
		echo "| \`iotfence run\` resident memory | not measured: not implemented yet | | | | | |" >>"$AGENT_MD"
	fi
	echo >>"$AGENT_MD"
	rm -rf "$PIN-dev"
fi

# --- profile --------------------------------------------------------------------
PROF_MD="$WORK/profile.md"
: >"$PROF_MD"
# The profile is the first thing to go when the run is late (the whole of
# `make bench` must stay within ten minutes on a busy 2-core machine).
if [ "$(elapsed)" -gt 480 ]; then
	echo "bench.sh: no profile, the run is late ($(elapsed) s)" >&2
elif [ "$PROFILE" = 1 ] && ! skipped profile && perf list sw 2>/dev/null | grep -q cpu-clock; then
	phase "profile"
	mkdir -p "$WORK/perf"
	PCASES=allowed,violation,quarantine,learn
	"$IFB" pkt --devices 1000 --flows 100000 --repeat 1000000 --rounds 1 \
		--profile "$PCASES" --profile-dir "$WORK/perf" --profile-secs 2 \
		--log "$LOGS/profile.log" 2>"$LOGS/profile.err"
	{
		echo "### Where the time goes (perf, software cpu-clock, 1,000 devices / 100,000 flows)"
		echo
		echo "Samples taken only while a test run is under way (perf's control FIFO), on"
		echo "the benchmark's CPU, by symbol (≥ 2%). \`bpf_prog_*_iotfence_xdp\` is the"
		echo "program's own code; a hash-map lookup is a call into \`__htab_map_lookup_elem\`,"
		echo "\`htab_map_hash\` (jhash), \`lookup_nulls_elem_raw\` and \`memcmp\`; array"
		echo "lookups are inlined and count as the program's own; \`bpf_test_run\` and"
		echo "\`__local_bh_enable_ip\` are the test-run loop."
		echo
	} >>"$PROF_MD"
	for c in ${PCASES//,/ }; do
		f="$WORK/perf/$c.perf"
		[ -s "$f" ] || continue
		{
			printf '**%s**\n\n```\n' "$c"
			perf report -i "$f" --stdio --comm ifn-bench --sort sym --percentage relative \
				--percent-limit 2 2>/dev/null |
				grep -v '^#' | grep -v '^$' | sed 's/^ *//' | head -14
			printf '```\n\n'
		} >>"$PROF_MD"
	done
fi

# --- the report -------------------------------------------------------------------
phase "report"
{
	echo "## iotfence benchmarks"
	echo
	echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(git describe --always --dirty 2>/dev/null || echo unknown)."
	echo "Machine: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) CPUs online," \
		"$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)," \
		"$(clang --version | head -1 | sed 's/ (.*//'), libbpf $(pkg-config --modversion libbpf 2>/dev/null || echo '?')."
	echo "Load average at the start: $LOAD0; at the end: $(cut -d' ' -f1-3 /proc/loadavg). Duration $(elapsed) s."
	[ "$QUICK" = 1 ] && echo "QUICK run (BENCH_QUICK=1): small scales, short runs; not for comparison."
	echo
	cat "$WORK/pkt.md" "$WORK/dns.md" "$WORK/e2e.md" "$AGENT_MD" "$PROF_MD"
	cat <<-'EOF'
		Notes. Each figure is the best of its rounds (other work on the machine only adds
		time), with the median next to it; ratios are of the best figures, all measured
		in this run. Per packet: BPF_PROG_TEST_RUN repeats one frame, so caches and branch
		predictors are warm and the figures are the program's best case (no cache misses
		on the frame, the device record or the map buckets); "net" takes the test-run loop
		out. The learning and new-device rows give each repetition its own frame with a
		mutator program that rewrites the peer (or the source MAC and address) and
		tail-calls iotfence; the same mutator tail-calling XDP_DROP is measured in the same
		round and its cost taken off. End to end: the receiver's rate is bounded by its
		NAPI thread's CPU; "rx CPU ns/pkt" is that thread's CPU time per frame (receive,
		filter and, for XDP_PASS, the kernel stack up to the routing lookup that drops the
		frame), and capacity is 1000 / it. When "offered" is close to "Mpps" the generator,
		not the receiver, set the rate. Frames are 64 bytes; the stack checks the IPv4
		header checksum, which the generator keeps right.
	EOF
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
cat "$OUT"
echo "bench.sh: written to $OUT ($(elapsed) s)" >&2
