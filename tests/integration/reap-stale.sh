#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# reap-stale.sh - tear down what an integration test killed outright left
# behind. A SIGKILL (a CI timeout, a session torn down) runs no trap, so
# the test's own teardown never ran; the next run does it here.
#
# A test's id (lib.sh, it_init) is its shell's pid in hex and one random
# byte; its state directory is made first and removed last, so it marks a
# test that has not finished. A test whose pid is gone is stale: its
# namespaces (ifn-ID-*), pins (ifn-it-ID), lab (test_demo's tdID, the last
# six characters) and temporary directories go. A pid that is alive, even
# if reused by another program, is left alone: never reap a running test.
set -u
cd "$(dirname "$0")/../.." || exit 1

ids=$( {
	ls /tmp | sed -n 's/^ifn-it-state-\([0-9a-f]\{3,\}\)$/\1/p'
	ls /sys/fs/bpf 2>/dev/null | sed -n 's/^ifn-it-\([0-9a-f]\{3,\}\)$/\1/p'
	ip netns list | sed -n 's/^ifn-\([0-9a-f]\{3,\}\)-.*/\1/p'
} | sort -u)

for id in $ids; do
	pid=$((16#${id%??}))
	kill -0 "$pid" 2>/dev/null && continue
	echo "reap-stale: test $id (pid $pid is gone): tearing down what it left"
	lab=td${id: -6}
	if [ -d "/run/iotfence-lab/$lab" ] || ip netns list | grep -q "^ifl-$lab-"; then
		LAB_ID=$lab scripts/lab.sh down >/dev/null 2>&1
	fi
	for n in $(ip netns list | awk -v p="ifn-$id-" 'index($1, p) == 1 {print $1}'); do
		for p in $(ip netns pids "$n" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
		ip netns del "$n"
	done
	rm -rf "/sys/fs/bpf/ifn-it-$id" "/tmp/ifn-it-state-$id" /tmp/ifn-it-bin-"$id".*
done
exit 0
