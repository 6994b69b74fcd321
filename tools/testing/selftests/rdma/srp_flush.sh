#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# An orderly removal of an SRP target port still flushes the target's
# write cache.  ib_srpt exports LIO's block backstore over a disk with a
# write cache (a memory-backed null_blk device with a cache, under
# dm-linear), so the initiator's disk reports a write-back cache and sd
# sends SYNCHRONIZE CACHE while the SCSI host is removed.  The target port
# goes away as an administrator removes it: its remote port deleted and
# the RDMA device deleted with writes in flight, and ib_srp unloaded
# right after writes (a disk that is open holds the module).  Each time
# the flush must reach the target's disk and succeed: that disk completes
# at least one more flush, and sd logs no failed SYNCHRONIZE CACHE.
#
# Last, the target goes first: its TPG is disabled, which ends the
# channels, so that ib_srp is blocked and reconnecting when the remote
# port is deleted.  The removal must end within a bound and without a
# kernel report (the runner fails any); the flush cannot succeed then.

DIR=$(dirname "$0")
ULP_BACKSTORE=dm
ULP_NULLB_CACHE_MB=16
. "$DIR/../kselftest/ktap_helpers.sh"
. "$DIR/rxe_lib.sh"
. "$DIR/ulp_lib.sh"

FLUSH_WRITER=		# PID of the fio writing to the disk

# flush_writers_start: random 64 KiB direct writes to the disk, at depth
# 8, until they fail (the disk goes away) or are stopped.
flush_writers_start()
{
	fio --name=flush --filename="/dev/$ULP_BLK" --rw=randwrite --bs=64k \
		--direct=1 --ioengine=libaio --iodepth=8 --size=32m \
		--time_based --runtime=120 >/dev/null 2>&1 &
	FLUSH_WRITER=$!
	sleep 2
}

flush_writers_stop()
{
	[ -n "$FLUSH_WRITER" ] || return 0
	kill "$FLUSH_WRITER" 2>/dev/null
	wait "$FLUSH_WRITER" 2>/dev/null
	FLUSH_WRITER=
}

# flush_write_back: the initiator's disk reports a write-back cache.
flush_write_back()
{
	local t

	t=$(cat "/sys/block/$ULP_BLK/device/scsi_disk/"*/cache_type) || return 1
	ktap_print_msg "$ULP_BLK cache_type: $t"
	[ "$t" = "write back" ]
}

# flush_port_delete: the remote port deleted with writes in flight.
flush_port_delete()
{
	flush_writers_start
	ulp_srp_ports_delete
}

# flush_rmmod: ib_srp unloaded right after writes.
flush_rmmod()
{
	flush_writers_start
	flush_writers_stop
	timeout 120 modprobe -r ib_srp ||
		{ ktap_print_msg "modprobe -r ib_srp failed"; return 1; }
	ulp_wait_gone "/sys/class/srp_remote_ports/port-*"
}

# flush_rxe_link: the RDMA device deleted with writes in flight.  ib_srp
# was loaded after ib_srpt (built in), so the device's clients are
# removed in the other order: ib_srp first, over a working channel.
flush_rxe_link()
{
	flush_writers_start
	timeout 120 rdma link delete "$RXE_DEV" ||
		{ ktap_print_msg "rdma link delete $RXE_DEV failed"; return 1; }
	ulp_wait_gone "/sys/class/srp_remote_ports/port-*"
}

# flush_case NAME REMOVAL: the SRP target port removed by REMOVAL; its
# flush reached the target's disk and did not fail.
flush_case()
{
	local name=$1 f0 f1 log bad rc=0

	f0=$(ulp_nullb_flushes) || return 1
	echo "srp_flush.sh: $name" > /dev/kmsg
	"$2" || rc=1
	flush_writers_stop
	f1=$(ulp_nullb_flushes) || return 1
	log=$(dmesg | sed -n "/srp_flush.sh: $name\$/,\$p")
	ktap_print_msg "$name: flushes at the target's disk: $f0 -> $f1"
	[ "$f1" -gt "$f0" ] ||
		{ ktap_print_msg "no flush reached the target's disk"; rc=1; }
	grep -q 'Synchronizing SCSI cache' <<<"$log" ||
		{ ktap_print_msg "sd did not synchronize the cache"; rc=1; }
	bad=$(grep -E 'Synchronize Cache.*failed' <<<"$log")
	if [ -n "$bad" ]; then
		ktap_print_msg "sd's SYNCHRONIZE CACHE failed: $bad"
		rc=1
	fi
	ULP_SRP_HOST= ULP_BLK= ULP_SG=
	return $rc
}

# flush_relogin: the target port back after a removal: ib_srp loaded, the
# device there, ib_srpt's port configured and SRP logged in.
flush_relogin()
{
	if ! rdma link show "$RXE_DEV/1" >/dev/null 2>&1; then
		timeout 60 rdma link add "$RXE_DEV" type rxe \
			netdev "$RXE_NETDEV" || return 1
	fi
	ulp_srp_reattach 40 && flush_write_back
}

# flush_target_first: the target ends the channels (its TPG disabled),
# ib_srp reconnects every second and fails, and the remote port is
# deleted while it does.
flush_target_first()
{
	local port rp tpg t0=$SECONDS

	port=$(ulp_srpt_port) || return 1
	tpg=$ULP_CFG/srpt/$port/$port
	for rp in /sys/class/srp_remote_ports/port-*; do
		echo 1 > "$rp/reconnect_delay" && echo 5 > "$rp/fast_io_fail_tmo" ||
			return 1
	done
	flush_writers_start
	echo 0 > "$tpg/enable" || return 1
	sleep 3
	grep -q 'reconnect attempt' < <(dmesg | tail -n 50) &&
		ktap_print_msg "ib_srp is reconnecting"
	ulp_srp_ports_delete ||
		{ ktap_print_msg "the remote port is still there"; return 1; }
	ulp_wait_gone "$ULP_SRP_HOST" ||
		{ ktap_print_msg "the SCSI host is still there"; return 1; }
	flush_writers_stop
	ktap_print_msg "removed in $((SECONDS - t0)) s"
	echo 1 > "$tpg/enable"
}

ktap_print_header
rxe_require ip rdma fio dmsetup timeout
[ "$(id -u)" = 0 ] || { ktap_skip_all "needs root"; exit "$KSFT_SKIP"; }
ulp_require_configfs
ktap_set_plan 9
trap 'flush_writers_stop; ulp_cleanup' EXIT

ULP_UP=0
if ulp_rxe_mode on && ulp_attach srp; then
	ULP_UP=1
	ktap_test_pass "srp attached over $RXE_DEV, on a disk with a write cache"
else
	ktap_test_fail "srp attached over $RXE_DEV, on a disk with a write cache"
fi
ulp_case "the initiator's disk reports a write-back cache" flush_write_back
ulp_case "remote port deleted under writes: the flush reached the target" \
	flush_case port_delete flush_port_delete
ulp_case "logged in again" flush_relogin
ulp_case "ib_srp unloaded after writes: the flush reached the target" \
	flush_case rmmod flush_rmmod
ulp_case "loaded and logged in again" flush_relogin
ulp_case "rdma link delete under writes: the flush reached the target" \
	flush_case rxe_link flush_rxe_link
ulp_case "device added and logged in again" flush_relogin
ulp_case "target gone first: the port deleted while ib_srp reconnects" \
	flush_target_first
ktap_print_msg "ran in $SECONDS s"
ktap_finished
