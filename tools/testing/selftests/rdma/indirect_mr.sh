#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Indirect memory registration over soft-RoCE, with real work requests:
# create rxe0 on a dummy netdev, load the loopback test module (a KUnit
# suite that connects two RC QPs of rxe0 and checks every byte moved
# through indirect MRs), report the results of its named cases and of a
# short randomized stress, unload it and check that it left no MR behind.
# First rxe's white-box suite (rxe_indirect_test) runs on the same rxe0.
# (Its fault suite runs from indirect_mr_fault.sh, its benchmarks from
# 'make bench'.)

DIR=$(dirname "$0")
. "$DIR/../kselftest/ktap_helpers.sh"
. "$DIR/rxe_lib.sh"

MOD=indirect_mr_loopback_test
SUITES="ib_indirect_mr_loopback ib_indirect_mr_stress"
RXE_MOD=rxe_indirect_test	# rxe's white-box suite, rxe_indirect

ktap_print_header
rxe_require ip rdma modprobe
[ "$(id -u)" = 0 ] || { ktap_skip_all "needs root"; exit "$KSFT_SKIP"; }
ktap_set_plan 7

# Undoes only what this run did (rxe_lib.sh), so it also runs first, to
# unload a module left loaded.
cleanup()
{
	modprobe -r "$MOD" "$RXE_MOD" >/dev/null 2>&1
	kunit_glob_restore 2>/dev/null
	rxe_cleanup
}
trap cleanup EXIT
cleanup
rxe_netdev_up || ktap_exit_fail_msg "cannot set up $RXE_NETDEV"
rxe_dev_up || ktap_exit_fail_msg "cannot set up $RXE_DEV on $RXE_NETDEV"

# Each suite's own KTAP, nested: every case counts.
suite_passed()
{
	local results=/sys/kernel/debug/kunit/$1/results

	[ -r "$results" ] || { ktap_print_msg "no $results"; return 1; }
	sed 's/^/    /' "$results"
	grep -q "^ok 1 $1\$" "$results"
}

# rxe's own white-box suite, under the glob the run started with
if ! modprobe "$RXE_MOD" ibdev="$RXE_DEV"; then
	ktap_test_fail "modprobe $RXE_MOD"
else
	ktap_test_pass "modprobe $RXE_MOD"
fi
ktap_test_result "KUnit suite rxe_indirect" suite_passed rxe_indirect
ktap_test_result "unloading $RXE_MOD" modprobe -r "$RXE_MOD"

# both suites and nothing else
kunit_glob_set "ib_indirect_mr_[ls]*" ||
	ktap_exit_fail_msg "cannot set $KUNIT_GLOB"
if ! modprobe "$MOD" netdev="$RXE_NETDEV"; then
	ktap_test_fail "modprobe $MOD"
else
	ktap_test_pass "modprobe $MOD"
fi

for s in $SUITES; do
	ktap_test_result "KUnit suite $s" suite_passed "$s"
done

no_mr_left()
{
	modprobe -r "$MOD" || return 1
	rxe_no_mr
}
ktap_test_result "unloading leaves no MR on $RXE_DEV" no_mr_left

ktap_finished
