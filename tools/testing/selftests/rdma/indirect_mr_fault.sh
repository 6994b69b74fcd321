#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Allocation failures on the paths of indirect memory registration over
# soft-RoCE: arm failslab and fail_page_alloc, run the fault suite of the
# loopback test module (ib_indirect_mr_fault), and check that every
# injected failure was clean and left no MR behind.
#
#  nth_*    sleeping and order-0 allocations may fail too; each case fails
#           the 1st, 2nd, ... allocation of one call in its own task
#           (current->fail_nth, as /proc/self/fail-nth does).
#  armed_*  failslab fails the next allocation made from rxe_ind_copy()
#           (the table of a packet naming more distinct MRs than rxe
#           holds on its stack), in whichever task rxe runs it: the
#           responder answers with an RNR NAK and the retry succeeds.

DIR=$(dirname "$0")
. "$DIR/../kselftest/ktap_helpers.sh"
. "$DIR/rxe_lib.sh"

MOD=indirect_mr_loopback_test
SUITE=ib_indirect_mr_fault
RESULTS=/sys/kernel/debug/kunit/$SUITE/results
DBG=/sys/kernel/debug
ATTRS="failslab fail_page_alloc"

ktap_print_header
rxe_require ip rdma modprobe awk sort
[ "$(id -u)" = 0 ] || { ktap_skip_all "needs root"; exit "$KSFT_SKIP"; }
ktap_set_plan 6

# Undoes only what this run did (rxe_lib.sh), so it also runs first, to
# disarm fault injection and unload a module left loaded.
cleanup()
{
	rxe_fault_reset failslab fail_page_alloc
	modprobe -r "$MOD" >/dev/null 2>&1
	kunit_glob_restore 2>/dev/null
	rxe_cleanup
}
trap cleanup EXIT
cleanup

for a in $ATTRS; do
	[ -w "$DBG/$a/probability" ] && continue
	ktap_skip_all "no $DBG/$a: needs CONFIG_FAULT_INJECTION_DEBUG_FS and CONFIG_${a^^}"
	exit "$KSFT_SKIP"
done
if [ ! -w "$DBG/failslab/require-start" ]; then
	ktap_skip_all "needs CONFIG_FAULT_INJECTION_STACKTRACE_FILTER"
	exit "$KSFT_SKIP"
fi
rxe_netdev_up || ktap_exit_fail_msg "cannot set up $RXE_NETDEV"
rxe_dev_up || ktap_exit_fail_msg "cannot set up $RXE_DEV on $RXE_NETDEV"

# run_cases GLOB: load the module with only the cases GLOB, print the
# suite's KTAP nested and tell whether it passed.
run_cases()
{
	kunit_glob_set "$SUITE.$1" || return 1
	modprobe "$MOD" netdev="$RXE_NETDEV" || return 1
	[ -r "$RESULTS" ] || { ktap_print_msg "no $RESULTS"; return 1; }
	sed 's/^/    /' "$RESULTS"
	grep -q "^ok 1 $SUITE\$" "$RESULTS"
}

no_mr_left()
{
	modprobe -r "$MOD" || return 1
	rxe_no_mr
}

# Group 1: the countdown of the test's own task; quiet, every allocation.
for a in $ATTRS; do
	echo 0 > "$DBG/$a/verbose"
	echo N > "$DBG/$a/ignore-gfp-wait"
done
echo 0 > "$DBG/fail_page_alloc/min-order"
echo N > "$DBG/fail_page_alloc/ignore-gfp-highmem"	# vmalloc's pages
ktap_test_result "allocations of ib_alloc_mr and the map calls fail cleanly" \
	run_cases 'nth_*'
ktap_test_result "nothing left behind after the nth_* cases" no_mr_left
rxe_fault_reset failslab fail_page_alloc

# Group 2: the next slab allocation whose stack holds rxe_ind_copy().
# shellcheck disable=SC2046 # two addresses, or none: split on purpose
set -- $(rxe_sym_range rxe_ind_copy)
if [ $# -ne 2 ]; then
	# never arm an unfiltered failslab: it would fail any allocation
	ktap_test_fail "rxe_ind_copy found in /proc/kallsyms"
	ktap_test_fail "a packet whose MR table cannot be allocated is retried (not armed)"
	ktap_test_fail "the armed failure was injected (not armed)"
	ktap_test_fail "nothing left behind after the armed_* cases (not run)"
	ktap_finished
fi
ktap_test_pass "rxe_ind_copy found in /proc/kallsyms ($1-$2)"
echo 0 > "$DBG/failslab/verbose"
echo "$1" > "$DBG/failslab/require-start"
echo "$2" > "$DBG/failslab/require-end"
echo 1 > "$DBG/failslab/times"
echo 1 > "$DBG/failslab/interval"
echo 100 > "$DBG/failslab/probability"
ktap_test_result "a packet whose MR table cannot be allocated is retried" \
	run_cases 'armed_*'
times_used()
{
	[ "$(cat "$DBG/failslab/times")" = 0 ]
}
ktap_test_result "the armed failure was injected" times_used
rxe_fault_reset failslab fail_page_alloc
ktap_test_result "nothing left behind after the armed_* cases" no_mr_left
ktap_finished
