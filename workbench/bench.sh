#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench [QUICK=1]: build the patched and the unpatched base kernel,
# boot the patched kernel and the base (twice) with the guest's clock
# counting instructions (WB_CLOCK=icount: the host's load does not move
# the figures, so these guests run side by side), then the patched kernel
# once more on the wall clock, alone (QUICK=1's ULP cells only, a second
# table without verdicts), and write what
# they measured, side by side in one run, to build/bench/: data.txt (the
# "benchdata" records), results.md (tables, ratios with their intervals,
# verdicts) and the plots (*.png), made by benchreport.py.  Absolute
# figures are this machine's; ratios are the claims.  QUICK=1: fewer
# cells, one boot of the base, no wall-clock boot.
#   WB_BENCH_CLOCK=wall   every boot on the wall clock (as before icount)
#   WB_BENCH_WALL=0       no wall-clock boot
#   WB_BENCH_JOBS=N       instruction-timed guests at once (default nproc)
#   WB_BENCH_WARMUP=S     seconds of reads after each ULP attach that are
#                         not counted (default 3)
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
# The boots.  Under instruction counting a guest's figures do not depend
# on the host's load, so the instruction-timed guests run WB_BENCH_JOBS at
# a time (default: one per host CPU; each is single-threaded TCG), and the
# work is cut into guests of a few minutes each so that they share the
# CPUs evenly: the patched kernel's in-kernel benchmarks, then each of
# its ULPs with all of that ULP's passes (the ratios between passes are
# taken within a boot).  The unpatched base runs the ULPs only (it has no
# *_bench suite), in two guests, its one pass visited in as many rounds
# as each pass of the patched kernel, split over its boots.  It boots
# twice (QUICK=1: once), so that what
# differs between boots shows in the intervals of the kernel-to-kernel
# ratios.  The wall-clock boot runs alone, after them.
jobs_max=${WB_BENCH_JOBS:-$(nproc)}
[[ "$jobs_max" =~ ^[1-9][0-9]*$ ]] || jobs_max=1
[ "$clock" = wall ] && jobs_max=1
# an interrupted run stops its guests (each vm.sh kills its QEMU)
trap 'for j in $(jobs -p); do pkill -TERM -P "$j"; kill "$j"; done 2>/dev/null
	exit 130' INT TERM
ulps=${WB_BENCH_ULPS-srp nfs nvme iser}
groups=("iser srp" "nvme nfs")
[ -n "${WB_BENCH_ULPS+set}" ] && groups=("$ulps" "")
running=0
# guest NAME KERNEL ULPS KUNIT [CLOCK [ROUNDS]]: one boot into
# build/bench/NAME, of ROUNDS rounds of visits (default WB_BENCH_ROUNDS)
guest()
{
	local name=$1 kernel=$2 ulps=$3 kunit=$4 gclock=${5:-$clock}
	local obj=$repo/build/obj mod=$repo/build/modroot cmd=kunit.enable=0
	local reps=$WB_BENCH_REPS rounds=${6:-$WB_BENCH_ROUNDS} smp=$WB_SMP
	local gquick=$quick

	if [ "$kernel" = base ]; then
		obj=$repo/build/obj-base mod=$repo/build/modroot-base
	fi
	[ "$kunit" = 0 ] || cmd="kunit.filter_glob=*_bench"
	# the wall-clock table: two vCPUs, QUICK=1's cells, one round
	[ "$gclock" = wall ] && [ "$clock" != wall ] &&
		smp=2 gquick=1 reps=3 rounds=1
	WB_OBJ=$obj WB_MODROOT=$mod WB_CLOCK=$gclock WB_SMP=$smp \
		WB_BENCH_ROUNDS=$rounds WB_BENCH_REPS=$reps \
		WB_BENCH_KERNEL=$kernel WB_BENCH_QUICK=$gquick \
		WB_BENCH_ULPS="$ulps" WB_BENCH_KUNIT=$kunit WB_KUNIT_FILTER= \
		WB_CMDLINE="$cmd" \
		"$here/vm.sh" bench "$out/$name" "${WB_TIMEOUT:-2400}" \
		> "$out/$name.vm.log" 2>&1
	local r=$?
	echo "bench: $name: $(tail -n 1 "$out/$name.vm.log")"
	return $r
}
# start CMD...: run CMD in the background, at most jobs_max at once
start()
{
	if [ "$running" -ge "$jobs_max" ]; then
		wait -n || rc=1
		running=$((running - 1))
	fi
	"$@" &
	running=$((running + 1))
}
# roughly the longest first: SRP
set -- $ulps
[ $# -gt 0 ] && { start guest "patched-$1" patched "$1" 0; shift; }
start guest patched-kunit patched "" 1
for u in "$@"; do
	start guest "patched-$u" patched "$u" 0
done
# the base's rounds: the first boot half of them (rounded up), the second
# the rest, each visit with the patched passes' runs (QUICK=1: one boot of
# all of them)
base_rounds=$WB_BENCH_ROUNDS
[ "$quick" = 1 ] || base_rounds=$(((WB_BENCH_ROUNDS + 1) / 2))
for b in 1 2; do
	[ "$base_rounds" -gt 0 ] || break
	[ -n "${groups[0]}" ] &&
		start guest "base$b-a" base "${groups[0]}" 0 "$clock" "$base_rounds"
	[ -n "${groups[1]}" ] &&
		start guest "base$b-b" base "${groups[1]}" 0 "$clock" "$base_rounds"
	base_rounds=$((WB_BENCH_ROUNDS - base_rounds))
	[ "$quick" = 1 ] && break
done
while [ "$running" -gt 0 ]; do
	wait -n || rc=1
	running=$((running - 1))
done
# the wall-clock table: the patched kernel's ULP passes, no KUnit at all
wall=${WB_BENCH_WALL:-1}
[ "$clock" = wall ] || [ "$quick" = 1 ] && wall=0
[ "$wall" = 1 ] && { guest wall patched "$ulps" 0 wall || rc=1; }
{
	machine base "$clock" "$WB_SMP"
	cat "$out"/base1-?/bench.log 2>/dev/null
	machine patched "$clock" "$WB_SMP"
	cat "$out"/patched-*/bench.log 2>/dev/null
	machine base "$clock" "$WB_SMP"
	cat "$out"/base2-?/bench.log 2>/dev/null
	if [ "$wall" = 1 ]; then
		machine patched wall 2
		cat "$out/wall/bench.log" 2>/dev/null
	fi
} | grep -o 'benchdata .*' > "$out/data.txt"
if grep -qE "^[[:space:]]*not ok" "$out/patched-kunit/bench.log" 2>/dev/null; then
	echo "bench: a benchmark suite failed; see build/bench/patched-kunit/bench.log"
	rc=1
fi
# a WARN, an Oops, an RCU stall ... in a guest fails the run, as in make
# check: figures measured beside one are not to be trusted
for d in "$out"/*/; do
	log=$d/dmesg.txt
	[ -s "$log" ] || log=$d/console.log
	if ! "$here/reports.sh" "$log" > "$d/reports.txt"; then
		echo "bench: kernel reports in build/bench/$(basename "$d") (reports.txt)"
		rc=1
	fi
done
python3 "$here/benchreport.py" "$out/data.txt" "$out" > /dev/null || rc=1
echo "bench: build/bench/results.md, plots in build/bench/*.png ($(($(date +%s) - t0)) s)"
exit $rc
