#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The conformance report of one RDMA device for indirect memory
# registration, to paste into a reply on linux-rdma.  For the owner of a
# ConnectX (or any device that sets IBK_INDIRECT_REG), on a machine that
# runs this kernel with CONFIG_INFINIBAND_INDIRECT_MR_LOOPBACK_TEST=m,
# a port up and an IPv4 address on its netdev, as root:
#
#   RXE_DEV=mlx5_0 RXE_NETDEV=enp1s0f0 RXE_ADDR=198.51.100.7 \
#       ./device_report.sh > report.txt
#
# One port is enough: the suites connect two QPs of the device to each
# other, and the storage protocols reach their own target through the
# device at RXE_ADDR (the port loops traffic to its own address back).
# Nothing is sent to another machine.  Without RXE_DEV the report is of
# rxe0 on dummy0 (192.0.2.1), created and removed again, which is how
# make check tests this script.
#
# It reports, as KTAP with the report in its diagnostic lines:
#   - the device: driver, firmware, board, node GUID, port state and link
#     layer, the RoCEv2 GID the suites use, the kernel;
#   - the loopback conformance suite (ib_indirect_mr_loopback; the rules
#     the contract leaves to the device only where strict, i.e. on rxe
#     unless REPORT_STRICT=1) with the capabilities it read, and the
#     randomized differential stress (ib_indirect_mr_stress,
#     REPORT_STRESS_OPS operations, default 2000, 200 on the rxe0 of
#     the self-test): every case's result, a
#     skip with its reason;
#   - per storage protocol of REPORT_ULPS (default "iser srp nfs"): an
#     attach over the device, fio verify from page-aligned and misaligned
#     buffers, gappy O_DIRECT iovecs and a read-modify-write through a
#     discontiguous buffer with every byte compared, the queue limits,
#     block requests per gappy I/O and the registration counters, then a
#     detach that leaves no MR of the protocol on the device;
#   - the summary line "N passed, N failed, N skipped".
# Each step is bounded by a timeout; the script undoes what it set up.

DIR=$(dirname "$0")
REPORT_DEV=${RXE_DEV:-}	# empty: rxe0 on dummy0, made here
. "$DIR/../kselftest/ktap_helpers.sh"
. "$DIR/rxe_lib.sh"
. "$DIR/ulp_lib.sh"

MOD=indirect_mr_loopback_test
ULPS=${REPORT_ULPS-iser srp nfs}
STRESS_OPS=${REPORT_STRESS_OPS:-2000}
# the self-test over rxe0 (make check) keeps to the operations of
# indirect_mr.sh's stress
[ -z "$REPORT_DEV" ] && STRESS_OPS=${REPORT_STRESS_OPS:-200}

ktap_print_header
rxe_require ip rdma modprobe fio
[[ " $ULPS " != *" iser "* ]] || rxe_require iscsiadm
[ "$(id -u)" = 0 ] || { ktap_skip_all "needs root"; exit "$KSFT_SKIP"; }
ktap_set_plan $((4 + 2 * $(wc -w <<<"$ULPS")))

cleanup()
{
	modprobe -r "$MOD" >/dev/null 2>&1
	kunit_glob_restore 2>/dev/null
	ulp_cleanup
}
trap cleanup EXIT
modprobe -r "$MOD" >/dev/null 2>&1

# report_line KEY VALUE: one line of the report ("-" for no value)
report_line()
{
	ktap_print_msg "$(printf '%-22s %s' "$1:" "${2:--}")"
}

# sysv FILE...: the contents of each sysfs FILE ("-" if unreadable),
# joined by ", "
sysv()
{
	local f out=

	for f in "$@"; do
		out+="${out:+, }$(cat "$f" 2>/dev/null || echo -)"
	done
	echo "$out"
}

# report_device: what the device and the kernel say about themselves
report_device()
{
	local s=/sys/class/infiniband/$RXE_DEV p drv gid

	[ -d "$s" ] || { ktap_print_msg "no $s"; return 1; }
	p=$s/ports/1
	drv=$(basename "$(readlink -f "$s/device/driver" 2>/dev/null)")
	ktap_print_msg "=== device ==="
	report_line device "$RXE_DEV on $RXE_NETDEV ($RXE_ADDR)"
	report_line driver "${drv:-none (software device)}, $(cat "$s/node_type" 2>/dev/null)"
	report_line firmware "$(cat "$s/fw_ver" 2>/dev/null)"
	report_line "board, HCA" "$(sysv "$s/board_id" "$s/hca_type")"
	report_line "node GUID" "$(sysv "$s/node_guid")"
	report_line "port 1" "$(sysv "$p/state" "$p/phys_state" "$p/link_layer" \
		"$p/rate")"
	gid=$(grep -l "RoCE v2" "$p"/gid_attrs/types/* 2>/dev/null | while read -r t; do
		g=$(cat "$p/gids/${t##*/}")
		case $g in 0000:0000:0000:0000:0000:ffff:*) echo "index ${t##*/} $g"; break ;; esac
	done)
	report_line "RoCEv2 IPv4 GID" "${gid:-none}"
	report_line kernel "$(uname -r) ($(uname -m))"
	report_line "rdma dev" "$(rdma dev show "$RXE_DEV" 2>&1 | tr -s ' \n' ' ')"
	return 0
}

# report_suite SUITE: its results, every case, nested; the capability
# line of the first case into the report
report_suite()
{
	local r=/sys/kernel/debug/kunit/$1/results cases ok bad skip

	[ -r "$r" ] || { ktap_print_msg "no $r"; return 1; }
	sed 's/^/    /' "$r"
	# the cases and their parameters, not the suite's own line
	cases=$(grep -vE "ok [0-9]+ $1\$" "$r")
	ok=$(grep -cE '^[[:space:]]+ok [0-9]+ [^#]*$' <<<"$cases")
	bad=$(grep -cE '^[[:space:]]+not ok ' <<<"$cases")
	skip=$(grep -cE '^[[:space:]]+ok [0-9]+ .*# SKIP' <<<"$cases")
	report_line "$1" \
		"$ok passed, $bad failed, $skip skipped (cases and parameters)"
	grep -q "^ok 1 $1\$" "$r"
}

report_caps()
{
	local r=/sys/kernel/debug/kunit/ib_indirect_mr_loopback/results

	ktap_print_msg "=== capabilities (read by the loopback module) ==="
	grep -oE '# lb_alloc_limits: .*' "$r" | sed 's/^# lb_alloc_limits: //' |
		while read -r l; do report_line caps "$l"; done
	grep -oE 'atomics: .*' "$r" | head -n 1 |
		while read -r l; do report_line atomics "$l"; done
	grep -q 'atomics: ' "$r" || report_line atomics "executed through a direct MR"
}

if [ -z "$REPORT_DEV" ]; then
	rxe_netdev_up || ktap_exit_fail_msg "cannot set up $RXE_NETDEV"
	rxe_dev_up || ktap_exit_fail_msg "cannot set up $RXE_DEV"
fi
ktap_test_result "device $RXE_DEV described" report_device

strict=
[ -n "${REPORT_STRICT:-}" ] && strict="strict=$REPORT_STRICT"
kunit_glob_set "ib_indirect_mr_[ls]*" ||
	ktap_exit_fail_msg "cannot set $KUNIT_GLOB"
# shellcheck disable=SC2086 # strict= or nothing
if timeout 1800 modprobe "$MOD" ibdev="$RXE_DEV" random_ops="$STRESS_OPS" $strict; then
	report_caps
	ktap_test_result "loopback conformance suite on $RXE_DEV" \
		report_suite ib_indirect_mr_loopback
	ktap_test_result "randomized stress on $RXE_DEV, $STRESS_OPS operations" \
		report_suite ib_indirect_mr_stress
else
	ktap_test_fail "loopback conformance suite on $RXE_DEV (modprobe $MOD)"
	ktap_test_fail "randomized stress on $RXE_DEV, $STRESS_OPS operations"
fi
no_mr_after_module()
{
	modprobe -r "$MOD" || return 1
	ulp_no_mr_left
}
ktap_test_result "the module leaves no MR on $RXE_DEV" no_mr_after_module
kunit_glob_restore

# report_ulp_io: the data checks of the attached protocol, every byte
# compared; the path it took into the report
report_ulp_io()
{
	local t=$ULP_TRANSPORT aio=(--ioengine=libaio --direct=1 --rw=randwrite)
	local rc=0 q limits=

	if [ -n "$ULP_BLK" ]; then
		for q in virt_boundary_mask max_segments max_sectors_kb \
			max_segment_size; do
			limits+="$q $(cat "/sys/block/$ULP_BLK/queue/$q") "
		done
		report_line "$t queue" "$limits"
	else
		report_line "$t mount" "$(ulp_mount_opts 2>/dev/null | tail -n 1)"
	fi
	ulp_fio "$t-4k" "${aio[@]}" --bs=4k --iodepth=4 || rc=1
	ulp_fio "$t-64k" "${aio[@]}" --bs=64k --iodepth=8 --iomem_align=512 || rc=1
	ulp_fio "$t-1m" "${aio[@]}" --bs=1m --iodepth=2 --iomem_align=512 \
		--size=8m || rc=1
	ulp_gappy "$t-gappy" || rc=1
	[ -n "$ULP_BLK" ] && report_line "$t gappy I/O" \
		"block requests per write ${ULP_RPW:-?}, per read ${ULP_RPR:-?}"
	[ -n "$ULP_BLK" ] && { ulp_rmw || rc=1; }
	case $t in
	iser) report_counters ulp_iser_stats $ULP_ISER_STATS || rc=1 ;;
	srp) report_counters ulp_srp_stats $ULP_SRP_STATS data_cmds data_bufs ||
		rc=1 ;;
	esac
	return $rc
}

# report_counters FUNCTION NAME...: the registration counters FUNCTION
# reads into ULP_REG, into the report; none of the fallback failed
report_counters()
{
	local f=$1 k line=

	shift
	"$f" || return 1
	for k in "$@"; do
		line+="$k=${ULP_REG[$k]} "
	done
	report_line "$ULP_TRANSPORT counters" "$line"
	[ "${ULP_REG[reg_fallback_errors]}" = 0 ]
}

for t in $ULPS; do
	[ "$t" = nfs ] && t=nfs4
	ktap_print_msg "=== $t over $RXE_DEV ==="
	if ! ulp_attach "$t"; then
		ktap_test_fail "$t attached over $RXE_DEV, data checked"
		ktap_test_fail "$t detached, no MR left on $RXE_DEV"
		ulp_detach
		continue
	fi
	ktap_test_result "$t attached over $RXE_DEV, data checked" report_ulp_io
	ktap_test_result "$t detached, no MR left on $RXE_DEV" \
		eval 'ulp_detach && ulp_no_mr_left'
done

ktap_print_msg "=== summary: $KTAP_CNT_PASS passed, $KTAP_CNT_FAIL failed," \
	"$KTAP_CNT_SKIP skipped ==="
ktap_finished
