# SPDX-License-Identifier: GPL-2.0
# Guest job of 'make stress': the randomized differential cases of the
# loopback module (suite ib_indirect_mr_stress), long.  WB_STRESS_OPS
# operations of lb_random_ops in all, from seed WB_STRESS_SEED on, in
# module loads of at most WB_STRESS_CHUNK operations (default 20000: KUnit
# gives a case 300 s, and under TCG 20000 operations take about 110 s);
# each load also runs lb_random_concurrent with a tenth as many (at least
# 200, so that both of its outcomes occur).
wb_modules_setup || echo "wb: modules setup failed"
exec > "$WB_OUT/stress.log" 2>&1
wb_rxe_up
suite=ib_indirect_mr_stress
printf %s "$suite.*" > /sys/module/kunit/parameters/filter_glob
left=${WB_STRESS_OPS:-100000}
seed=${WB_STRESS_SEED:-1}
chunk=${WB_STRESS_CHUNK:-20000}
fail=0
checked=0
concurrent=0
while [ "$left" -gt 0 ]; do
	n=$((left < chunk ? left : chunk))
	modprobe indirect_mr_loopback_test netdev=dummy0 random_ops=$n \
		random_concurrent_ops=$((n / 10 < 200 ? 200 : n / 10)) \
		random_seed=$seed
	r=/sys/kernel/debug/kunit/$suite/results
	cat "$r"
	if grep -q "^ok 1 $suite" "$r"; then
		c=$(sed -n 's/.*seed [0-9]*: \([0-9]*\) random operations checked.*/\1/p' "$r")
		checked=$((checked + ${c:-0}))
		c=$(sed -n 's/.*seed [0-9]*: \([0-9]*\) operations checked while.*/\1/p' "$r")
		concurrent=$((concurrent + ${c:-0}))
	else
		echo "stress: FAILED at seed $seed"
		fail=1
	fi
	modprobe -r indirect_mr_loopback_test
	[ $fail = 0 ] || break
	left=$((left - n))
	[ "$left" -gt 0 ] && seed=$((seed + 1))
done
rdma link delete rxe0
echo "stress: $checked operations checked against the model, and $concurrent under concurrent invalidation, seeds ${WB_STRESS_SEED:-1} to $seed, $fail failures"
