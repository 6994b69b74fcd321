# SPDX-License-Identifier: GPL-2.0
# Guest job of 'make stress': the randomized differential case of the
# loopback module, long: WB_STRESS_OPS operations from WB_STRESS_SEED.
wb_modules_setup || echo "wb: modules setup failed"
exec > "$WB_OUT/stress.log" 2>&1
ip link show dummy0 >/dev/null 2>&1 || ip link add dummy0 type dummy
ip addr add 192.0.2.1/24 dev dummy0
ip link set dummy0 up
rdma link add rxe0 type rxe netdev dummy0
printf %s "ib_indirect_mr_loopback.lb_random_ops" > /sys/module/kunit/parameters/filter_glob
modprobe indirect_mr_loopback_test netdev=dummy0 \
	random_ops="${WB_STRESS_OPS:-100000}" random_seed="${WB_STRESS_SEED:-1}"
cat /sys/kernel/debug/kunit/ib_indirect_mr_loopback/results
modprobe -r indirect_mr_loopback_test
rdma link delete rxe0
