#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench [QUICK=1]: build the patched and the unpatched base kernel,
# boot the base, the patched kernel and the base again with the guest's
# clock counting instructions (WB_CLOCK=icount: the host's load does not
# move the figures), then the patched kernel once more on the wall clock
# (its ULP figures only, a second table without verdicts), and write what
# they measured, side by side in one run, to build/bench/: data.txt (the
# "benchdata" records), results.md (tables, ratios with their intervals,
# verdicts) and the plots (*.png), made by benchreport.py.  Absolute
# figures are this machine's; ratios are the claims.  QUICK=1: fewer
# cells, one boot of the base, no wall-clock boot.
#   WB_BENCH_CLOCK=wall   every boot on the wall clock (as before icount)
#   WB_BENCH_WALL=0       no wall-clock boot
#   WB_BENCH_REPS, WB_BENCH_ROUNDS: runs per visit of a ULP cell, rounds
#                         of visits (default 2 and 3, QUICK=1 3 and 2:
#                         6 runs a boot)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out=$repo/build/bench
quick=${WB_BENCH_QUICK:-0}
clock=${WB_BENCH_CLOCK:-icount}
# One vCPU under icount: with two, single-threaded TCG runs them in turn
# and a CPU that polls for a completion the other one produces spends
# (and counts) instructions on the wait; alone, the work runs in its place.
smp=2
[ "$clock" = icount ] && smp=1
export WB_SMP=${WB_SMP:-$smp}
# QUICK=1: two rounds of three runs, 6 runs a cell as in the full run,
# with each ULP pass attached two times instead of three
reps=2 rounds=3
[ "$quick" = 1 ] && reps=3 rounds=2
export WB_BENCH_REPS=${WB_BENCH_REPS:-$reps} WB_BENCH_ROUNDS=${WB_BENCH_ROUNDS:-$rounds}
t0=$(date +%s)
"$here/build.sh" || exit 1
"$here/base.sh" || exit 1
rm -rf "$out"
mkdir -p "$out"

# machine KERNEL CLOCK CPUS: the record that labels the absolute figures
machine()
{
	local cpu accel=tcg

	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1 | tr -s ' ' _)
	[ "$2" = wall ] && accel=$(cat "$repo/build/.accel" 2>/dev/null || echo tcg)
	echo "benchdata machine accel=$accel clock=$2 cpus=$3 mem_mb=${WB_MEM:-2048} host=${cpu:-unknown} kernel=$1"
}

rc=0
# base KERNEL OUTDIR: the unpatched base, the ULPs only (it has no *_bench
# suite, so no KUnit runs).  Its one pass needs no rounds: as many runs
# in one visit.
base()
{
	local reps=$((WB_BENCH_REPS * WB_BENCH_ROUNDS))

	WB_OBJ=$repo/build/obj-base WB_MODROOT=$repo/build/modroot-base \
		WB_CLOCK=$clock WB_BENCH_ROUNDS=1 WB_BENCH_REPS=$reps \
		WB_BENCH_KERNEL=base WB_BENCH_QUICK=$quick WB_KUNIT_FILTER= \
		WB_CMDLINE="kunit.filter_glob=*_bench" \
		"$here/vm.sh" bench "$1" "${WB_TIMEOUT:-1800}"
}
# The base boots before and after the patched kernel (QUICK=1: before
# only): the report pools its two boots, so that what differs between
# boots shows in the intervals of the kernel-to-kernel ratios.
base "$out/base1" || rc=1
# the patched kernel: the benchmark suites, then the ULPs
WB_CLOCK=$clock WB_BENCH_KERNEL=patched WB_BENCH_QUICK=$quick WB_KUNIT_FILTER= \
	WB_CMDLINE="kunit.filter_glob=*_bench" \
	"$here/vm.sh" bench "$out/patched" "${WB_TIMEOUT:-1800}" || rc=1
# QUICK=1: one boot of the base, no wall-clock boot
[ "$quick" = 1 ] || base "$out/base2" || rc=1
# the wall-clock table: the patched kernel's ULP passes, no KUnit at all
wall=${WB_BENCH_WALL:-1}
[ "$clock" = wall ] || [ "$quick" = 1 ] && wall=0
if [ "$wall" = 1 ]; then
	WB_CLOCK=wall WB_SMP=2 WB_BENCH_KERNEL=patched WB_BENCH_QUICK=$quick \
		WB_BENCH_KUNIT=0 WB_KUNIT_FILTER= WB_CMDLINE="kunit.enable=0" \
		"$here/vm.sh" bench "$out/wall" "${WB_TIMEOUT:-1800}" || rc=1
fi
{
	machine base "$clock" "$WB_SMP"
	cat "$out/base1/bench.log" 2>/dev/null
	machine patched "$clock" "$WB_SMP"
	cat "$out/patched/bench.log" 2>/dev/null
	machine base "$clock" "$WB_SMP"
	cat "$out/base2/bench.log" 2>/dev/null
	if [ "$wall" = 1 ]; then
		machine patched wall 2
		cat "$out/wall/bench.log" 2>/dev/null
	fi
} | grep -o 'benchdata .*' > "$out/data.txt"
if grep -qE "^[[:space:]]*not ok" "$out/patched/bench.log" 2>/dev/null; then
	echo "bench: a benchmark suite failed; see build/bench/patched/bench.log"
	rc=1
fi
python3 "$here/benchreport.py" "$out/data.txt" "$out" > /dev/null || rc=1
echo "bench: build/bench/results.md, plots in build/bench/*.png ($(($(date +%s) - t0)) s)"
exit $rc
