#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The agent's shape (issue 16), checked so that it does not come back:
#  - layers: the modules of agent/ (X.c with X.h) and what they include
#    form no circle, so that every arrow points down; --print shows the
#    floors (docs/DESIGN.md, Layers, is this output);
#  - every header is named after its .c, or is header-only (inline code,
#    macros and types: defaults.h, grow.h), and declares the functions of
#    its own .c only (cli.h's command entry points excepted);
#  - one home for each fact: command-line options only as rows of the
#    command table (cli.h, IFN_OPT), the learning default and the duration
#    bound only in defaults.h, the lock-and-open only in state.c.
#   scripts/check-shape.sh [--print]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

print=0
[ "${1:-}" = --print ] && print=1
bad=0
fail() {
	echo "shape: $*" >&2
	bad=$((bad + 1))
}

# A header that a module keeps for its own parts (split files share it):
# HEADER:MODULE. It counts as that module's.
OWNED="mud_json:mud"

# Module of a file: agent/X.c and agent/X.h are module X.
mod() {
	local b=${1##*/} o
	b=${b%.[ch]}
	for o in $OWNED; do
		[ "${o%%:*}" = "$b" ] && b=${o#*:}
	done
	echo "$b"
}

# Edges "from to": a module's .c or .h includes another module's header.
edges=$(for f in agent/*.c agent/*.h; do
	from=$(mod "$f")
	sed -n 's/^#include "\([a-z_0-9]*\)\.h".*/\1/p' "$f" | while read -r to; do
		[ -e "agent/$to.h" ] || continue
		to=$(mod "$to")
		[ "$to" != "$from" ] && echo "$from $to"
	done
done | sort -u)

# Peel the modules that include nothing left, floor by floor; what cannot be
# peeled stands in a circle.
floors=$(awk '
	{ out[$1] = out[$1] " " $2; node[$1] = 1; node[$2] = 1 }
	END {
		for (m in node) left[m] = 1
		floor = 0
		while (1) {
			line = ""
			for (m in left) {
				n = split(out[m], to, " ")
				ok = 1
				for (i = 1; i <= n; i++)
					if (to[i] in left) { ok = 0; break }
				if (ok) line = line " " m
			}
			if (line == "") break
			n = split(line, here, " ")
			for (i = 1; i <= n; i++) delete left[here[i]]
			printf "%d%s\n", floor++, line
		}
		# What is left above a circle only leans on it: peel it from the top.
		do {
			gone = 0
			for (m in left) {
				inc = 0
				for (o in left) {
					n = split(out[o], to, " ")
					for (i = 1; i <= n; i++)
						if (to[i] == m) inc = 1
				}
				if (!inc) { delete left[m]; gone = 1 }
			}
		} while (gone)
		for (m in left) printf "circle %s\n", m
	}' <<<"$edges" | while read -r f rest; do
	echo "$f $(tr ' ' '\n' <<<"$rest" | sort | tr '\n' ' ')"
done)
# Modules that include no other module are floor 0 too.
for f in agent/*.c; do
	m=$(mod "$f")
	grep -qw "$m" <<<"$floors" || floors="0 $m
$floors"
done
if grep -q '^circle' <<<"$floors"; then
	fail "modules that include each other (a circle): $(grep '^circle' <<<"$floors" | cut -d' ' -f2 | tr '\n' ' ')"
	for m in $(grep '^circle' <<<"$floors" | cut -d' ' -f2); do
		grep "^$m " <<<"$edges" | while read -r a b; do
			grep -qE "^circle $b ?$" <<<"$floors" && echo "  $a -> $b" >&2
		done
	done
fi
if [ $print = 1 ]; then
	awk '$1 != "circle" { f[$1] = f[$1] " " substr($0, index($0, " ") + 1) }
		END { for (i = 0; i in f; i++) printf "floor %d:%s\n", i, f[i] }' <<<"$floors" |
		sed 's/  */ /g; s/ $//'
fi

# Headers named after their .c; a header of its own needs no .c only when it
# declares nothing that is not static inline.
for h in agent/*.h; do
	[ -e "${h%.h}.c" ] && continue
	[ "$(mod "$h")" != "$(basename "${h%.h}")" ] && continue
	if grep -qE '^[a-z_][a-z_0-9 *]*\(' "$h" && grep -E '^[a-z_][a-z_0-9 *]*\(' "$h" | grep -qv '^static'; then
		fail "$h declares functions but there is no ${h%.h}.c (name the header after its .c)"
	fi
done

# ...and a function is declared in the header of the module that defines it
# (the commands' entry points excepted: cli.h holds the one command table).
defs=$(grep -oE '^[a-z_][a-z_0-9 *]*[ *][a-z_][a-z_0-9]*\(' agent/*.c | grep -v ':static' |
	sed -E 's/^agent\/([a-z_0-9]*)\.c:.*[ *]([a-z_0-9]*)\($/\2 \1/')
misplaced=$( {
	sed 's/^/D /' <<<"$defs"
	for h in agent/*.h; do
		hm=$(mod "$h")
		grep -oE '^[a-z_][a-z_0-9 *]*[ *][a-z_][a-z_0-9]*\(' "$h" | grep -v '^static' |
			sed -E "s|.*[ *]([a-z_0-9]*)\\(\$|H \\1 $h $hm|"
	done
} | awk '$1 == "D" { if (!($2 in d)) d[$2] = $3; next }
	$3 == "agent/cli.h" && $2 ~ /^ifn_cmd_/ { next }
	($2 in d) && d[$2] != $4 {
		printf "%s declares %s, defined in agent/%s.c (declare it in %s.h)\n", $3, $2, d[$2], d[$2]
	}')
[ -n "$misplaced" ] && while read -r l; do fail "$l"; done <<<"$misplaced"

# One home for each fact.
for f in agent/*.c; do
	[ "$f" = agent/cli.c ] && continue
	grep -qE 'struct option [a-z_]*\[\]' "$f" &&
		fail "$f: a getopt_long array of its own: give the command IFN_OPT rows in main.c and call ifn_getopt"
done
grep -nE '3650ULL|24ULL \* 3600' agent/*.[ch] | grep -v '^agent/defaults.h' | while read -r l; do
	echo "shape: $l: a default or bound written again (defaults.h has it)" >&2
	echo x
done | grep -c x >/dev/null && bad=$((bad + 1))
grep -lE '^static int open_locked' agent/*.c | while read -r f; do
	echo "shape: $f: open_locked again (ifn_maps_open_locked, state.c)" >&2
	echo x
done | grep -c x >/dev/null && bad=$((bad + 1))

echo "shape: $(grep -c '' <<<"$edges") includes between $(ls agent/*.c | wc -l) modules on $(grep -v '^circle' <<<"$floors" | cut -d' ' -f1 | sort -u | wc -l) floors, $bad findings"
[ $bad -eq 0 ]
