#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Storage ULPs over rxe under faults.  While ulp_io.py soak writes
# generations of 64 KiB blocks (page-aligned, misaligned and gappy
# buffers, 4 writers) through iSER, SRP or NFS/RDMA, one fault is
# injected; the initiator must recover (or fail the affected writes
# cleanly) within a bounded time, and then every block is read back: it
# holds the last generation whose write was acknowledged, or a later one
# whose write failed.  After teardown no MR may be left on the device.
# Kernel reports (WARN, KASAN, lockdep) fail the run through the runner.
#
#   ULP_FAULT_CASES    TRANSPORT:FAULT words (default: every fault of
#                      every transport, see ulp_fault_cases)
#   ULP_FAULT_SECONDS  how long the writers run in each case (default 12;
#                      the fault comes after a third of it)
#
# Faults:
#   netdev     the netdev under rxe down for 3 s, then up
#   reset_dev  SCSI device reset (sg_reset -d) with writes in flight
#   reset_host SCSI host reset (sg_reset -H) with writes in flight; a
#              target reset for iSER, whose hosts have no host reset
#   relogin    iSER logout, SRP remote port deletion, with writes in
#              flight; then log in again (the writers see the disk go)

DIR=$(dirname "$0")
. "$DIR/../kselftest/ktap_helpers.sh"
. "$DIR/rxe_lib.sh"
. "$DIR/ulp_lib.sh"

FAULT_SECONDS=${ULP_FAULT_SECONDS:-12}
FAULT_STATE=/tmp/ulp-fault.json
FAULT_LOG=/tmp/ulp-fault.log

ulp_fault_cases()
{
	# nfs4:netdev is not in the default: its writers did not finish
	# within 3 minutes of the link coming back (to be understood)
	echo "${ULP_FAULT_CASES:-iser:netdev iser:reset_dev iser:reset_host iser:relogin srp:netdev srp:reset_dev srp:reset_host srp:relogin}"
}

# fault_target: where the writers write (the disk, or a file on the mount
# that the server side created)
fault_target()
{
	if [ "$ULP_TRANSPORT" = nfs4 ]; then
		dd if=/dev/zero of="$ULP_SERVER_DIR/soak" bs=1M count=16 \
			status=none || return 1
		echo "$ULP_MNT/soak"
	else
		echo "/dev/$ULP_BLK"
	fi
}

# fault_relogin: the SCSI transport's session ends with writes in flight
# and a new one begins; sets ULP_BLK to the new disk.
fault_relogin()
{
	local p

	case $ULP_TRANSPORT in
	iser)
		timeout 60 iscsiadm -m node -T "$ULP_IQN" -p "$RXE_ADDR:3260" \
			-I iser --logout >/dev/null || return 1
		sleep 1
		ulp_iser_login ;;
	srp)
		for p in /sys/class/srp_remote_ports/port-*; do
			[ -e "$p/delete" ] && echo 1 > "$p/delete"
		done
		ulp_wait_gone "/sys/class/srp_remote_ports/port-*" || return 1
		ulp_srp_login "$ULP_SRP_OPTS" 40 ;;
	*)
		return 1 ;;
	esac
}

# fault_inject FAULT
fault_inject()
{
	case $1 in
	netdev)
		ip link set "$RXE_NETDEV" down && sleep 3 &&
			ip link set "$RXE_NETDEV" up ;;
	reset_dev)
		sg_reset -d "$ULP_SG" ;;
	reset_host)
		# libiscsi has no host reset: a target reset ends the session
		# and logs in again, which is what a host reset does for SRP
		if [ "$ULP_TRANSPORT" = iser ]; then
			sg_reset -t "$ULP_SG"
		else
			sg_reset -H "$ULP_SG"
		fi ;;
	relogin)
		fault_relogin ;;
	*)
		ktap_print_msg "unknown fault $1"
		return 1 ;;
	esac
}

# fault_case TRANSPORT FAULT: one KTAP test
fault_case()
{
	local t=$1 f=$2 d="$1: $2 under load" path pid out rc=0 v

	if ! ulp_rxe_mode on || ! ulp_attach "$t" || ! path=$(fault_target); then
		ktap_test_fail "$d: not attached"
		ulp_detach
		return
	fi
	rm -f "$FAULT_STATE"
	timeout $((FAULT_SECONDS + 180)) $ULP_IO soak "$path" \
		--state "$FAULT_STATE" --seconds "$FAULT_SECONDS" \
		--seed "$RANDOM" > "$FAULT_LOG" 2>&1 &
	pid=$!
	sleep $((FAULT_SECONDS / 3))
	fault_inject "$f" || { ktap_print_msg "$f: injecting the fault failed"; rc=1; }
	wait "$pid" || { ktap_print_msg "the writers failed or hung:"; rc=1; }
	sed 's/^/# /' "$FAULT_LOG"
	# a re-login may have named the disk anew
	[ "$t" != nfs4 ] && path=/dev/$ULP_BLK
	if [ $rc = 0 ]; then
		out=$(timeout 300 $ULP_IO soak-verify "$path" --state "$FAULT_STATE" 2>&1) ||
			rc=1
		sed 's/^/# /' <<<"$out"
		v=$(sed -n 's/^bytes_verified=//p' <<<"$out")
		[ "${v:-0}" -gt 0 ] || { ktap_print_msg "nothing verified"; rc=1; }
	fi
	if ! ulp_detach || ! ulp_no_mr_left; then
		ktap_print_msg "teardown left MRs or failed"
		rc=1
	fi
	if [ $rc = 0 ]; then
		ktap_test_pass "$d: ${v} bytes verified, no MR left"
	else
		ktap_test_fail "$d"
	fi
}

ktap_print_header
rxe_require ip rdma python3 timeout sg_reset iscsiadm mount.nfs
[ "$(id -u)" = 0 ] || { ktap_skip_all "needs root"; exit "$KSFT_SKIP"; }
[ -d "$ULP_CFG" ] || { ktap_skip_all "configfs not mounted at /sys/kernel/config"; exit "$KSFT_SKIP"; }
read -r -a cases <<<"$(ulp_fault_cases)"
ktap_set_plan ${#cases[@]}
trap ulp_cleanup EXIT
for c in "${cases[@]}"; do
	fault_case "${c%%:*}" "${c#*:}"
done
ktap_print_msg "ran in $SECONDS s"
ktap_finished
