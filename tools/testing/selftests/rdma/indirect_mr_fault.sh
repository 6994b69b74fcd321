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
#           holds on its stack), in whichever task rxe runs it; one case
#           per module load.  On an RC responder (a WRITE, a READ
#           response, a SEND into a receive) the packet gets an RNR NAK
#           and is retried; on UC and UD the message is dropped; in the
#           requester's gather or the completer's scatter the work
#           request fails.  Each case checks the bytes and statuses; the
#           script checks that the failure was injected and that rxe sent
#           and received the RNR NAKs the case implies, and no others.

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

# Group 2, one module load each: CASE NAKS DESCRIPTION, NAKS being the RNR
# NAKs rxe0 must send and receive while the case runs.
ARMED=(
	"armed_copy_table 1 an RDMA WRITE whose table cannot be allocated is retried"
	"armed_write_middle_packet 1 the middle packet of an RDMA WRITE is retried"
	"armed_read_first_packet 1 the only response packet of an RDMA READ is retried"
	"armed_read_middle_packet 1 the middle response packet of an RDMA READ is retried"
	"armed_send_middle_packet 1 the middle packet of a SEND is retried from the restored receive cursor"
	"armed_send_srq 1 a SEND into a receive from an SRQ is retried into the same receive"
	"armed_uc_write_dropped 0 a UC RDMA WRITE with immediate is dropped"
	"armed_ud_send_dropped 0 a UD SEND is dropped"
	"armed_send_gather 0 a SEND whose gather cannot have its table fails"
	"armed_read_scatter 0 an RDMA READ whose scatter cannot have its table fails"
	"armed_atomic_result 0 a fetch-and-add whose result cannot have its table fails"
)
ktap_set_plan $((3 + 4 * ${#ARMED[@]}))

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

# Group 2: the next slab allocation whose stack holds rxe_ind_copy(), armed
# anew for each case.
HWC=/sys/class/infiniband/$RXE_DEV/ports/1/hw_counters

# The RNR NAKs rxe0 has sent and received: "SENT RECEIVED".
rnr_naks()
{
	local sent rcvd

	sent=$(cat "$HWC/send_rnr_err") && rcvd=$(cat "$HWC/rcvd_rnr_err") ||
		return 1
	echo "$sent $rcvd"
}

# rnr_naks_since WANT [SENT RECEIVED]: WANT RNR NAKs sent and received
# since rnr_naks said SENT RECEIVED (missing: it could not say).
rnr_naks_since()
{
	local sent rcvd

	if [ $# -ne 3 ] || ! read -r sent rcvd <<<"$(rnr_naks)"; then
		ktap_print_msg "cannot read $HWC/{send,rcvd}_rnr_err"
		return 1
	fi
	sent=$((sent - $2))
	rcvd=$((rcvd - $3))
	[ "$sent" = "$1" ] && [ "$rcvd" = "$1" ] && return 0
	ktap_print_msg "RNR NAKs sent $sent, received $rcvd; expected $1"
	return 1
}

times_used()
{
	[ "$(cat "$DBG/failslab/times")" = 0 ]
}

arm_copy()
{
	echo 0 > "$DBG/failslab/verbose"
	echo "$1" > "$DBG/failslab/require-start"
	echo "$2" > "$DBG/failslab/require-end"
	echo 1 > "$DBG/failslab/interval"
	echo 1 > "$DBG/failslab/times"
	echo 100 > "$DBG/failslab/probability"
}

# shellcheck disable=SC2046 # two addresses, or none: split on purpose
set -- $(rxe_sym_range rxe_ind_copy)
if [ $# -ne 2 ]; then
	# never arm an unfiltered failslab: it would fail any allocation
	ktap_test_fail "rxe_ind_copy found in /proc/kallsyms"
	for c in "${ARMED[@]}"; do
		read -r name naks desc <<<"$c"
		ktap_test_fail "$desc (not armed)"
		ktap_test_fail "$name: the armed failure was injected (not armed)"
		ktap_test_fail "$name: $naks RNR NAKs (not run)"
		ktap_test_fail "$name: nothing left behind (not run)"
	done
	ktap_finished
fi
ktap_test_pass "rxe_ind_copy found in /proc/kallsyms ($1-$2)"
for c in "${ARMED[@]}"; do
	read -r name naks desc <<<"$c"
	before=$(rnr_naks) || before=
	arm_copy "$1" "$2"
	ktap_test_result "$desc" run_cases "$name"
	ktap_test_result "$name: the armed failure was injected" times_used
	rxe_fault_reset failslab
	# shellcheck disable=SC2086 # "SENT RECEIVED", or none: split on purpose
	ktap_test_result "$name: $naks RNR NAKs sent and received" \
		rnr_naks_since "$naks" $before
	ktap_test_result "$name: nothing left behind" no_mr_left
done
ktap_finished
