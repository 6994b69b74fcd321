#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Indirect memory registration over soft-RoCE, with real work requests:
# create rxe0 on a dummy netdev, load the loopback test module (a KUnit
# suite that connects two RC QPs of rxe0 and checks every byte moved
# through indirect MRs), report the results of its named cases and of a
# short randomized stress, unload it and check that it left no MR behind.
# First rxe's white-box suite (rxe_indirect_test) runs on the same rxe0.
# Then the module again with refuse_atomics=1, the path a ConnectX takes
# (mlx5 kernel QPs refuse atomics when posted): the atomic cases must skip
# with that reason, the other cases of atomics and the stress (whose FADD
# and CSWP then do nothing) must pass.
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
ktap_set_plan 10

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

# mimic_results SUITE SKIPPED...: the suite's results file; every case ok,
# those named skipped for the device's refusal of atomics, no other skip.
REFUSED="refuses atomics when posted (-95), on a direct MR too"
mimic_results()
{
	local results=/sys/kernel/debug/kunit/$1/results c rc=0
	local line name

	shift
	[ -r "$results" ] || { ktap_print_msg "no $results"; return 1; }
	# as diagnostics that do not read as KTAP: the skips are checked here
	sed 's/^/# | /' "$results"
	grep -qE '^[[:space:]]*ok [0-9]+ ' "$results" || return 1
	while read -r line; do
		name=$(sed -E 's/^(not )?ok [0-9]+ ([^ ]+).*/\2/' <<<"$line")
		case $line in
		"not ok"*)
			ktap_print_msg "$name failed"
			rc=1 ;;
		*"# SKIP $RXE_DEV $REFUSED")
			[[ " $* " == *" $name "* ]] || {
				ktap_print_msg "$name skipped but posts no atomic"
				rc=1
			} ;;
		*"# SKIP"*)
			ktap_print_msg "$name skipped for another reason"
			rc=1 ;;
		*)
			[[ " $* " != *" $name "* ]] || {
				ktap_print_msg "$name ran although atomics are refused"
				rc=1
			} ;;
		esac
	done < <(grep -E '^[[:space:]]+(not )?ok [0-9]+ ' "$results" |
		 sed 's/^[[:space:]]*//')
	for c in "$@"; do
		grep -qE "^[[:space:]]+ok [0-9]+ $c # SKIP" "$results" || {
			ktap_print_msg "$c did not run"
			rc=1
		}
	done
	return $rc
}

mimic()
{
	kunit_glob_set "$1" || return 1
	modprobe "$MOD" netdev="$RXE_NETDEV" refuse_atomics=1 || return 1
	shift
	mimic_results "$@" || { modprobe -r "$MOD"; return 1; }
	modprobe -r "$MOD" && rxe_no_mr
}
ktap_test_result "refuse_atomics=1: the atomic cases skip for the refusal, the others pass" \
	mimic "ib_indirect_mr_loopback.lb_*atomic*" ib_indirect_mr_loopback \
	lb_atomic_ok lb_atomic_misaligned lb_atomic_crossing
ktap_test_result "refuse_atomics=1: the randomized stress passes, its FADD and CSWP doing nothing" \
	mimic "ib_indirect_mr_stress.lb_random_ops" ib_indirect_mr_stress
ktap_test_result "refuse_atomics=1: the fault suite's atomic case skips for the refusal" \
	mimic "ib_indirect_mr_fault.armed_atomic_result" ib_indirect_mr_fault \
	armed_atomic_result

ktap_finished
