#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Indirect memory registration over soft-RoCE, with real work requests:
# create rxe0 on a dummy netdev, load the loopback test module (a KUnit
# suite that connects two RC QPs of rxe0 and checks every byte moved
# through indirect MRs), report the results of its named cases and of a
# short randomized stress, unload it and check that it left no MR behind.
# (Its fault suite runs from indirect_mr_fault.sh, its benchmarks from
# 'make bench'.)

DIR=$(dirname "$0")
. "$DIR/../kselftest/ktap_helpers.sh"
. "$DIR/rxe_lib.sh"

MOD=indirect_mr_loopback_test
SUITES="ib_indirect_mr_loopback ib_indirect_mr_stress"
GLOB=/sys/module/kunit/parameters/filter_glob

ktap_print_header
rxe_require ip rdma modprobe
[ "$(id -u)" = 0 ] || { ktap_skip_all "needs root"; exit "$KSFT_SKIP"; }
ktap_set_plan 4

cleanup()
{
	modprobe -r "$MOD" >/dev/null 2>&1
	printf %s '*' > "$GLOB" 2>/dev/null	# every suite again
	rxe_cleanup
}
trap cleanup EXIT
cleanup
rxe_netdev_up || ktap_exit_fail_msg "cannot create $RXE_NETDEV"
rdma link add "$RXE_DEV" type rxe netdev "$RXE_NETDEV" ||
	ktap_exit_fail_msg "rdma link add failed"

# both suites and nothing else (no newline: the glob is matched as written)
printf %s "ib_indirect_mr_[ls]*" > "$GLOB"
if ! modprobe "$MOD" netdev="$RXE_NETDEV"; then
	ktap_test_fail "modprobe $MOD"
else
	ktap_test_pass "modprobe $MOD"
fi

# Each suite's own KTAP, nested: every case counts.
suite_passed()
{
	local results=/sys/kernel/debug/kunit/$1/results

	[ -r "$results" ] || { ktap_print_msg "no $results"; return 1; }
	sed 's/^/    /' "$results"
	grep -q "^ok 1 $1\$" "$results"
}
for s in $SUITES; do
	ktap_test_result "KUnit suite $s" suite_passed "$s"
done

no_mr_left()
{
	modprobe -r "$MOD" || return 1
	[ -z "$(rdma resource show mr dev "$RXE_DEV" 2>/dev/null)" ]
}
ktap_test_result "unloading leaves no MR on $RXE_DEV" no_mr_left

ktap_finished
