#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make stress / make stress-debug: the randomized differential stress of
# the loopback module (workbench/guest/stress.sh) on the normal or the
# debug kernel, for WB_STRESS_OPS operations (default 100000) from seed
# WB_STRESS_SEED (default 1), in module loads of WB_STRESS_CHUNK
# operations (default 20000, 10000 on the slower debug kernel: KUnit
# gives a case 300 s).  Fails on any mismatch and on any kernel report
# in the guest log.
#   stress.sh [debug]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out=$repo/build/stress
extra=()
chunk=20000
if [ "${1:-}" = debug ]; then
	. "$here/debug-env.sh"
	extra=("$debug_fragment")
	out=$repo/build/stress-debug
	chunk=10000
fi
export WB_STRESS_CHUNK=${WB_STRESS_CHUNK:-$chunk}

"$here/build.sh" "${WB_OBJ:-$repo/build/obj}" "${extra[@]}" || exit 1
"$here/vm.sh" stress "$out" "${WB_TIMEOUT:-14400}" || exit 1
# results, and what a failure prints: the seed, the operation, the
# reduced sequence and the parameters that replay it
grep -E '^ *(not )?ok |^stress:|seed [0-9]+, operation|random_replay=|replayed:|FAILED' \
	"$out/stress.log"
rc=0
grep -q ', 0 failures$' "$out/stress.log" || rc=1
"$here/reports.sh" "$out/dmesg.txt"
case $? in
0) ;;
2) echo "stress: the guest left no dmesg.txt"; rc=1 ;;
*) echo "stress: the kernel reported a problem (above; $out/dmesg.txt)"; rc=1 ;;
esac
exit $rc
