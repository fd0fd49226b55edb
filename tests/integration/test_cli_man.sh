#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# test_cli_man.sh - one command table, three views: `iotfence help`,
# `iotfence CMD -h` and the COMMANDS section of agent/iotfence.8. Fails when
# the page is out of step with the binary ('make man' brings it back).
. "$(dirname "$0")/lib.sh"
it_init cli-man
D=$IOTFENCE_STATE_DIR
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PAGE=$ROOT/agent/iotfence.8
GEN=$ROOT/scripts/gen-man.sh

check "the man page is in step with 'iotfence help' (else run 'make man')" \
	"$GEN" --check "$IFN" "$PAGE"

# The check can fail: a page with one generated line changed is caught,
# and regenerating it puts it back exactly.
cp "$PAGE" $D/page.8
sed -i 's/^Load iotfence (once) and attach it to a LAN interface\.$/Load it./' $D/page.8
check "the edit took" sh -c "! cmp -s '$PAGE' '$D/page.8'"
"$GEN" --check "$IFN" $D/page.8 >$D/check.out 2>&1
check_eq "--check catches a stale page" 1 $?
check "...and says what to do" grep -q "is not in step with .*: run 'make man'" $D/check.out
check "gen-man.sh regenerates it" "$GEN" "$IFN" $D/page.8
check "to exactly the page in the tree" cmp "$PAGE" $D/page.8

# Every command of the table is in the help list, in the page, and has -h.
mapfile -t cmds < <("$IFN" help --man | sed -n 's/^\\fBiotfence \([a-z]*\)\\fR.*/\1/p')
check "the table has the commands of docs/DESIGN.md" test "${#cmds[@]}" -ge 17
for c in attach detach status devices device learn monitor enforce quarantine trust allow \
	forget rate policy events run replay; do
	check "'$c' is in the table" sh -c "printf '%s\n' ${cmds[*]} | grep -qx $c"
done
"$IFN" help >$D/help.txt
for c in "${cmds[@]}"; do
	check "help lists $c" grep -Eq "^  $c +[A-Z]" $D/help.txt
	"$IFN" "$c" -h >$D/h.txt 2>&1
	check_eq "$c -h exits 0" 0 $?
	check "$c -h starts with its usage" grep -q "^usage: iotfence $c" $D/h.txt
	"$IFN" help "$c" >$D/h2.txt 2>&1
	check "help $c is $c -h" cmp $D/h.txt $D/h2.txt
	# The synopsis in the page is the one -h prints.
	syn=$(sed -n "s/^usage: iotfence $c //p" $D/h.txt | sed 's/-/\\-/g')
	check "the page has the synopsis of $c" grep -qF "\\fBiotfence $c\\fR $syn" "$PAGE"
done
check "--help is -h" sh -c "'$IFN' devices --help | grep -q '^usage: iotfence devices'"
check "-h anywhere on the line" sh -c "'$IFN' allow 00:11:22:33:44:55 tcp/80 -h | grep -q '^usage: iotfence allow'"
check_error "help for an unknown command" "unknown command 'nosuch'" "$IFN" help nosuch
"$IFN" >/dev/null 2>$D/noargs.txt
check_eq "no arguments: exit 2" 2 $?
check "no arguments: the usage on stderr" grep -q "^usage: iotfence COMMAND" $D/noargs.txt
check "version" sh -c "'$IFN' version | grep -Eq '^iotfence [0-9]+\.[0-9]+\.[0-9]+ \(ABI [0-9]+\)$'"

# The page renders without a groff warning.
MANWIDTH=80 man --warnings -l "$PAGE" >$D/man.txt 2>$D/man.err
check_eq "man renders it" 0 $?
check "without warnings" test ! -s $D/man.err
check "the rendered page has the generated section" grep -Eq "iotfence +attach +IFACE" $D/man.txt

it_done
