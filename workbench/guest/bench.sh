# SPDX-License-Identifier: GPL-2.0
# Guest job of 'make bench': the benchmark suites (KUnit suites marked
# slow, named *_bench).  The built-in ones ran at boot (the host passed
# kunit.filter_glob=*_bench); the loopback one runs on rxe0 here.  Then
# O_DIRECT reads over iSER and SRP under each reg_policy (bench-ulp.bash).
wb_modules_setup || echo "wb: modules setup failed"
exec > "$WB_OUT/bench.log" 2>&1
wb_rxe_up
printf %s "*_bench" > /sys/module/kunit/parameters/filter_glob
modprobe indirect_mr_loopback_test netdev=dummy0
for r in /sys/kernel/debug/kunit/*_bench/results; do
	cat "$r"
done
modprobe -r indirect_mr_loopback_test
rdma link delete rxe0
# iSER and SRP under each reg_policy (their own rxe0, created per pass)
bash "$WB_REPO/workbench/guest/bench-ulp.bash" iser
bash "$WB_REPO/workbench/guest/bench-ulp.bash" srp
