#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make soak / make soak-debug: random fault sequences under load over the
# storage ULPs (ulp_faults.sh in its soak mode: rounds of 1 to 3 faults
# of a random transport, every acknowledged write read back) on the
# normal or the debug kernel, for WB_SOAK_SECONDS (default 600) from seed
# WB_SOAK_SEED (default 1).  Reports the rounds, the faults injected, the
# bytes verified and the kernel reports found; fails on any failed round
# and on any report (on the debug kernel also on a kmemleak report).
#   soak.sh [debug]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out=$repo/build/soak
extra=()
if [ "${1:-}" = debug ]; then
	. "$here/debug-env.sh"
	extra=("$debug_fragment")
	out=$repo/build/soak-debug
	export WB_KMEMLEAK=1
fi
export WB_SOAK_SECONDS=${WB_SOAK_SECONDS:-600} WB_SOAK_SEED=${WB_SOAK_SEED:-1}

"$here/build.sh" "${WB_OBJ:-$repo/build/obj}" "${extra[@]}" || exit 1
rm -f "$out/soak.ktap" "$out/kmemleak.txt"
t0=$(date +%s)
"$here/vm.sh" soak "$out" $((WB_SOAK_SECONDS + 2400)) || exit 1
t=$(($(date +%s) - t0))
k=$out/soak.ktap
[ -s "$k" ] || { echo "soak: the guest left no $k"; exit 1; }
grep -E '^(not )?ok |^# fault: |^# data mismatch|^# not working' "$k"
rc=0
"$here/reports.sh" "$out/dmesg.txt" > "$out/reports.txt"
case $? in
0) reports=none ;;
2) echo "soak: the guest left no dmesg.txt"; reports=unknown; rc=1 ;;
*) reports=found; rc=1; cat "$out/reports.txt" ;;
esac
if [ -n "${WB_KMEMLEAK:-}" ]; then
	if [ ! -f "$out/kmemleak.txt" ]; then
		echo "soak: no kmemleak scan"; rc=1
	elif [ -s "$out/kmemleak.txt" ]; then
		echo "soak: kmemleak reports leaks:"
		head -n 40 "$out/kmemleak.txt"
		reports="$reports, kmemleak: leaks"; rc=1
	fi
fi
sum=$(sed -n 's/^# soak_summary //p' "$k")
[ -n "$sum" ] || { echo "soak: the test did not finish"; rc=1; }
eval "$(tr ' ' '\n' <<<"$sum" | grep -E '^[a-z_]+=[0-9]+$')"
[ "${failed:-1}" = 0 ] || rc=1
grep -q '^ok ' "$k" || rc=1
echo "soak: ${tests:-0} rounds, ${failed:-?} failed, ${faults:-0} faults injected, ${bytes_verified:-0} bytes verified, kernel reports: $reports; $t s (seed $WB_SOAK_SEED, ${1:-normal} kernel)"
exit $rc
