#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench [QUICK=1]: build the patched and the unpatched base kernel,
# boot the base, the patched kernel and the base again, run the
# benchmarks, and write what they measured, side by side in one run, to
# build/bench/: data.txt (the "benchdata" records), results.md (tables,
# ratios, verdicts) and the plots (*.png), made by benchreport.py.
# Absolute figures are this machine's; ratios are the claims.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out=$repo/build/bench
quick=${WB_BENCH_QUICK:-0}
t0=$(date +%s)
"$here/build.sh" || exit 1
"$here/base.sh" || exit 1
rm -rf "$out"
mkdir -p "$out"

# machine KERNEL: the record that labels the absolute figures
machine()
{
	local cpu

	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1 | tr -s ' ' _)
	echo "benchdata machine accel=$(cat "$repo/build/.accel" 2>/dev/null || echo tcg) cpus=2 mem_mb=${WB_MEM:-2048} host=${cpu:-unknown} kernel=$1"
}

rc=0
# base KERNEL OUTDIR: the unpatched base, the ULPs only (it has no *_bench
# suite, so no KUnit runs)
base()
{
	WB_OBJ=$repo/build/obj-base WB_MODROOT=$repo/build/modroot-base \
		WB_BENCH_KERNEL=base WB_BENCH_QUICK=$quick WB_KUNIT_FILTER= \
		WB_CMDLINE="kunit.filter_glob=*_bench" \
		"$here/vm.sh" bench "$1" "${WB_TIMEOUT:-1800}"
}
# The base boots before and after the patched kernel: the report pools
# its two boots, so that what differs between boots (the host, TCG)
# shows in the spread of the cells a kernel-to-kernel ratio uses.
base "$out/base1" || rc=1
# the patched kernel: the benchmark suites, then the ULPs
WB_BENCH_KERNEL=patched WB_BENCH_QUICK=$quick WB_KUNIT_FILTER= \
	WB_CMDLINE="kunit.filter_glob=*_bench" \
	"$here/vm.sh" bench "$out/patched" "${WB_TIMEOUT:-1800}" || rc=1
base "$out/base2" || rc=1
{
	machine base
	cat "$out/base1/bench.log" 2>/dev/null
	machine patched
	cat "$out/patched/bench.log" 2>/dev/null
	machine base
	cat "$out/base2/bench.log" 2>/dev/null
} | grep -o 'benchdata .*' > "$out/data.txt"
if grep -qE "^[[:space:]]*not ok" "$out/patched/bench.log" 2>/dev/null; then
	echo "bench: a benchmark suite failed; see build/bench/patched/bench.log"
	rc=1
fi
python3 "$here/benchreport.py" "$out/data.txt" "$out" > /dev/null || rc=1
echo "bench: build/bench/results.md, plots in build/bench/*.png ($(($(date +%s) - t0)) s)"
exit $rc
