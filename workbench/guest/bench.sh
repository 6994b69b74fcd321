# SPDX-License-Identifier: GPL-2.0
# Guest job of 'make bench', on the patched kernel (WB_BENCH_KERNEL=patched)
# or the unpatched base (base).  Prints "benchdata" records to bench.log
# for workbench/benchreport.py.
#   patched: the benchmark suites (KUnit suites marked slow, named
#            *_bench): the built-in ones ran at boot (the host passed
#            kunit.filter_glob=*_bench), the loopback one and rxe's
#            per-packet one (rxe_indirect_bench) run on rxe0 here; then
#            the ULPs under each reg_policy.
#   base:    the ULPs as the unpatched kernel runs them (pass "stock").
# WB_BENCH_QUICK=1 measures fewer and smaller figures; WB_BENCH_KUNIT=0
# leaves out the in-kernel benchmarks (the wall-clock boot), =rxe runs
# only rxe's per-packet one.
wb_modules_setup || echo "wb: modules setup failed"
exec > "$WB_OUT/bench.log" 2>&1
kernel=${WB_BENCH_KERNEL:-patched}
quick=${WB_BENCH_QUICK:-0}
echo "benchdata config quick=$quick"
kunit=${WB_BENCH_KUNIT:-1}
if [ "$kernel" = patched ] && [ "$kunit" != 0 ]; then
	# the loopback module's cells take 25 runs (their intervals were
	# up to +-1.6 % with 9), rxe's per-packet ones 9 (+-0.0 %)
	reps=9 lreps=25 max=$((64 << 20))
	[ "$quick" = 1 ] && reps=5 lreps=5 max=$((4 << 20))
	echo "# phase kunit uptime=$(cut -d' ' -f1 /proc/uptime)"
	wb_rxe_up
	printf %s "*_bench" > /sys/module/kunit/parameters/filter_glob
	[ "$kunit" = rxe ] ||
		modprobe indirect_mr_loopback_test netdev=dummy0 \
			bench_reps=$lreps bench_max_bytes=$max
	modprobe rxe_indirect_test ibdev=rxe0 bench_reps=$reps
	for r in /sys/kernel/debug/kunit/*_bench/results; do
		cat "$r"
	done
	modprobe -r indirect_mr_loopback_test rxe_indirect_test
	rdma link delete rxe0
fi
echo "# phase ulps uptime=$(cut -d' ' -f1 /proc/uptime)"
# the ULPs, each with its own rxe0, created per pass
for u in ${WB_BENCH_ULPS-iser srp nvme nfs}; do
	bash "$WB_REPO/workbench/guest/bench-ulp.bash" "$u" "$kernel"
done
