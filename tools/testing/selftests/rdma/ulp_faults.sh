#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Storage ULPs over rxe under faults.  While ulp_io.py soak writes
# generations of 64 KiB blocks (page-aligned, misaligned and gappy
# buffers, 4 writers) through iSER, SRP, NVMe/RDMA or NFS/RDMA, faults are injected
# one after the other; after each the initiator must recover (or fail the
# affected writes cleanly) within a bounded time.  Then every block is
# read back: it holds the last generation whose write was acknowledged,
# or a later one whose write failed.  The initiator's registration
# counters show no failed registration, and after teardown no MR is left
# on the device.  Kernel reports (WARN, KASAN, lockdep) fail the run
# through the runner.
#
#   ULP_FAULT_CASES    TRANSPORT:FAULT[,FAULT...] words, one test each,
#                      the faults in that order; "all" is every fault of
#                      every transport, one test each.  The default, the
#                      short pass of make check, is FAULT_CHECK_CASES:
#                      every fault once, in three sequences.
#   ULP_FAULT_SECONDS  the writers write a third of it before the first
#                      fault and a third after each fault has been
#                      recovered from (default 6; 12 in soak mode)
#   ULP_FAULT_SOAK     seconds: instead of the cases, rounds of random
#                      fault sequences (1 to 3 faults of a random
#                      transport) until the time is up (make soak)
#   ULP_FAULT_SEED     the seed of those rounds (default 1)
#
# Faults:
#   netdev     the netdev under rxe down for 3 s, then up
#   abort      commands time out in flight: the target's disk holds
#              every command for 8 s (dmsetup suspend under LIO's
#              backstore) and the initiator's command timeout is 2 s; the
#              SCSI midlayer aborts them through the LLD and escalates;
#              the device's timeout count (iotmo_cnt) must rise
#   reset_dev  SCSI device reset (sg_reset -d) with writes in flight
#   reset_host SCSI host reset (sg_reset -H) with writes in flight; a
#              target reset for iSER, whose hosts have no host reset
#   reset      NVMe controller reset (nvme reset) with writes in flight
#   kato       NVMe keep-alive loss: the netdev under rxe down for 12 s,
#              longer than the keep-alive timeout (5 s); the host tears
#              its queues down and reconnects
#   relogin    iSER logout, SRP remote port deletion, NVMe disconnect,
#              NFS unmount with writes in flight; then log in (connect,
#              mount) again
#   rxe_link   rdma link delete of the device under the ULP, and add again.
#              What an administrator does then is done: isert's listener
#              went with the device and is started again (the portal's
#              iser attribute); ib_srp removed the target port and ib_srpt
#              forgot its port, so the target port is configured and SRP
#              logs in again; nvme-rdma deleted its controller and nvmet
#              its listener, so the port is configured again and the
#              host connects again.  iSCSI and NFS reconnect by
#              themselves.
#   lun        the target's LUN 0 unmapped for 3 s (iSER: the TPG's LUN
#              loses its backstore; SRP: the initiator's ACL loses it)
#   portal     the target portal gone: the TPG disabled, which ends its
#              sessions, and its listener removed (NVMe: the subsystem
#              taken off nvmet's port and the port removed), until the
#              initiator has seen its session end and 3 s longer; then
#              both back, and the initiator reconnects
#   failslab   the portal fault with failslab armed on the initiator's
#              registration MRs (the stack filter on iser_reg_alloc_mrs
#              or srp_create_fr_pool): the first reconnect fails to
#              allocate them, cleanly, and a later one succeeds (tried up
#              to three times when a reconnect allocated nothing there)
#   failslab_fb  the same, failslab armed on rxe's allocation of an
#              indirect MR (rxe_ind_mr_init): the reconnect allocates its
#              page-list MRs, not its first fallback MR, and frees them
#              (NVMe: the reconnect fails and is retried)
#   failslab_login  the relogin fault with failslab armed on rxe's
#              allocation of an indirect MR: the new session cannot have
#              its fallback MRs and must log in on Linux 6.12's plan
#              (counter reg_plan_6_12; NVMe: rdma_reg/plan_6_12 and a
#              4 KiB virt_boundary), then carry the writes
#   listener   NFS: the server stopped for 3 s (its RDMA listener and
#              connections closed) and started again

DIR=$(dirname "$0")
# a disk the abort fault can stall (ulp_lib.sh)
ULP_BACKSTORE=dm
. "$DIR/../kselftest/ktap_helpers.sh"
. "$DIR/rxe_lib.sh"
. "$DIR/ulp_lib.sh"

if [ "${ULP_FAULT_SOAK:-0}" -gt 0 ]; then
	FAULT_SECONDS=${ULP_FAULT_SECONDS:-12}
else
	FAULT_SECONDS=${ULP_FAULT_SECONDS:-6}
fi
FAULT_STATE=/tmp/ulp-fault.json
FAULT_LOG=/tmp/ulp-fault.log
FAULT_STOP=/tmp/ulp-fault.stop
# the writers' path: a link to the disk, renamed by a new login
FAULT_DEV=/tmp/ulp-fault-dev
FAULT_SCSI="netdev abort reset_dev reset_host relogin rxe_link lun portal"
FAULT_SCSI+=" failslab failslab_fb failslab_login"
FAULT_NFS="netdev relogin rxe_link listener"
FAULT_NVME="reset kato relogin rxe_link portal failslab_fb failslab_login"
FAULT_TRANSPORTS="iser srp nvme nfs4"
# every fault once; those whose recovery differs most between the SCSI
# transports (the device gone, commands aborted, a reconnect that cannot
# allocate) on both
FAULT_CHECK_CASES="iser:netdev,abort,reset_host,rxe_link,portal,failslab,failslab_fb,failslab_login
	srp:abort,reset_dev,relogin,lun,rxe_link,failslab_fb,failslab_login
	nvme:reset,kato,portal,failslab_fb,failslab_login,rxe_link
	nfs4:netdev,listener,rxe_link"
FAULT_RECOVERY=180	# seconds a transport may take to work again
FAULTS_INJECTED=0
FAULT_CASES_RUN=0
FAULT_BYTES=0

# fault_list TRANSPORT: the faults that apply to it.
fault_list()
{
	case $1 in
	nfs*) echo "$FAULT_NFS" ;;
	nvme) echo "$FAULT_NVME" ;;
	*) echo "$FAULT_SCSI" ;;
	esac
}

# fault_all_cases: every fault of every transport, one test each.
fault_all_cases()
{
	local t f

	for t in $FAULT_TRANSPORTS; do
		for f in $(fault_list "$t"); do
			printf '%s:%s ' "$t" "$f"
		done
	done
}

# fault_target: where the writers write: a link to the disk, or a file on
# the mount that the server side created.
fault_target()
{
	if [ "$ULP_TRANSPORT" = nfs4 ]; then
		dd if=/dev/zero of="$ULP_SERVER_DIR/soak" bs=1M count=16 \
			status=none || return 1
		echo "$ULP_MNT/soak"
	else
		ln -sfn "/dev/$ULP_BLK" "$FAULT_DEV" || return 1
		echo "$FAULT_DEV"
	fi
}

# fault_recovered PATH: the transport works again, bounded: the disk's
# session is up (iSER, SRP) and a direct read of PATH succeeds (I/O
# queued while a session recovers waits in it).
fault_recovered()
{
	local t0=$SECONDS

	[ "$ULP_TRANSPORT" = nfs4 ] || ln -sfn "/dev/$ULP_BLK" "$FAULT_DEV"
	while [ $((SECONDS - t0)) -lt $FAULT_RECOVERY ]; do
		# the session up again (seen on the debug kernel: a direct
		# read of the disk returned while its SRP port was blocked,
		# before any reconnect), and the disk readable
		if { [ "$ULP_TRANSPORT" = nfs4 ] || fault_session_up; } &&
			timeout 60 dd if="$1" of=/dev/null bs=4096 count=1 \
			iflag=direct status=none 2>/dev/null; then
			ktap_print_msg "working again after $((SECONDS - t0)) s"
			return 0
		fi
		sleep 1
	done
	ktap_print_msg "not working $FAULT_RECOVERY s after the fault"
	return 1
}

# fault_abort: the disk's commands time out in flight while the link is
# up: the target's disk holds every command that reaches it for 8 s
# (dmsetup suspend of the device under LIO's backstore) and the
# initiator's command timeout is 2 s.  The SCSI midlayer aborts the
# commands that time out through the LLD (ABORT TASK, which the target
# answers once the command is done) and escalates (LUN reset, target or
# host reset) where an abort does not complete in time.
fault_abort()
{
	local d=/sys/block/$ULP_BLK/device t0 n0 rc=0

	t0=$(cat "$d/timeout") && n0=$(($(cat "$d/iotmo_cnt"))) || return 1
	echo 2 > "$d/timeout" || return 1
	timeout 30 dmsetup suspend --noudevsync "$ULP_DM" || rc=1
	sleep 8
	timeout 30 dmsetup resume --noudevsync "$ULP_DM" || rc=1
	echo "$t0" > "$d/timeout" 2>/dev/null ||
		ktap_print_msg "the disk went away (a reset removed it)"
	ktap_print_msg "commands timed out: $(($(cat "$d/iotmo_cnt") - n0))"
	[ $(($(cat "$d/iotmo_cnt"))) -gt "$n0" ] || rc=1
	return $rc
}

# fault_relogin: the session ends with writes in flight and a new one
# begins; sets ULP_BLK to the new disk.
fault_relogin()
{
	case $ULP_TRANSPORT in
	iser)
		timeout 60 iscsiadm -m node -T "$ULP_IQN" -p "$RXE_ADDR:3260" \
			-I iser --logout >/dev/null || return 1
		ulp_wait_gone "/sys/class/iscsi_session/session*" || return 1
		ulp_iser_login ;;
	srp)
		ulp_srp_ports_delete || return 1
		ulp_srp_login "$ULP_SRP_OPTS" 120 ;;
	nvme)
		timeout 120 nvme disconnect -n "$ULP_NVME_NQN" >/dev/null ||
			return 1
		ulp_nvme_attach ;;
	nfs4)
		# forced (RPCs in flight fail) and lazy: the writers hold
		# the file open
		timeout 60 umount -f -l "$ULP_MNT" || return 1
		timeout 120 mount -t nfs -o "vers=4.2,proto=rdma,port=$ULP_NFS_PORT,nolock" \
			"$RXE_ADDR:/" "$ULP_MNT" ;;
	esac
}

# fault_rxe_link: the RDMA device goes away under the ULP and comes back.
fault_rxe_link()
{
	local np=$ULP_CFG/iscsi/$ULP_IQN/tpgt_1/np/$RXE_ADDR:3260

	timeout 120 rdma link delete "$RXE_DEV" ||
		{ ktap_print_msg "rdma link delete $RXE_DEV failed"; return 1; }
	sleep 2
	timeout 60 rdma link add "$RXE_DEV" type rxe netdev "$RXE_NETDEV" ||
		{ ktap_print_msg "rdma link add $RXE_DEV failed"; return 1; }
	case $ULP_TRANSPORT in
	iser)
		echo 0 > "$np/iser" && echo 1 > "$np/iser" ;;
	srp)
		ulp_srp_reattach 1 ;;
	nvme)
		# nvmet's listener went with the device: the port anew
		ulp_nvme_port_down && ulp_nvme_attach ;;
	esac
}

# fault_lun: LUN 0 unmapped at the target for 3 s.
fault_lun()
{
	local tpg l

	case $ULP_TRANSPORT in
	iser)
		l=$ULP_CFG/iscsi/$ULP_IQN/tpgt_1/lun/lun_0
		rm "$l/disk" || return 1
		sleep 3
		ln -s "$ULP_RD" "$l/disk" ;;
	srp)
		tpg=$ULP_CFG/srpt/$(ulp_srpt_port)/$(ulp_srpt_port)
		l=$tpg/acls/$RXE_ADDR/lun_0
		rm "$l/lun" || return 1
		sleep 3
		ln -s "$tpg/lun/lun_0" "$l/lun" ;;
	esac
}

# fault_session_state: the state of the session the disk under test
# belongs to (iSER: its iSCSI session, LOGGED_IN when up; SRP: the remote
# port of its SCSI host, running when up).  Sessions of other hosts (one
# that a fault before removed, say) do not count.
fault_session_state()
{
	local d

	case $ULP_TRANSPORT in
	iser)
		d=$(readlink -f "/sys/block/$ULP_BLK/device") || return 1
		d=${d%%/target*}
		cat "/sys/class/iscsi_session/${d##*/}/state" ;;
	srp)
		cat "/sys/class/srp_remote_ports/port-${ULP_SRP_HOST##*host}:1/state" ;;
	nvme)
		cat "$ULP_NVME_CTRL/state" ;;
	esac 2>/dev/null
}

# fault_session_up: whether that session is up.
fault_session_up()
{
	case $(fault_session_state) in
	LOGGED_IN|running|live) return 0 ;;
	*) return 1 ;;
	esac
}

# fault_wait_down: wait (at most 60 s) until the initiator has seen its
# session end.  The target closes its sessions asynchronously; on a slow
# (debug, TCG) guest that can take longer than the outage, and a fault
# whose outage ends before the initiator saw it tests nothing.
fault_wait_down()
{
	local t0=$SECONDS

	echo "ulp_faults.sh: the portal went away" > /dev/kmsg
	while fault_session_up; do
		[ $((SECONDS - t0)) -lt 60 ] || {
			ktap_print_msg "the initiator still logged in 60 s" \
				"after the portal went away"
			fault_kmsg_since "ulp_faults.sh: the portal went away"
			return 1
		}
		sleep 0.5
	done
	ktap_print_msg "the initiator saw the session end after" \
		"$((SECONDS - t0)) s (state: $(fault_session_state))"
}

# fault_portal: the TPG disabled and its listener gone until the
# initiator has seen its session end, and 3 s longer.
fault_portal()
{
	local tpg np a port rc=0

	case $ULP_TRANSPORT in
	iser)
		tpg=$ULP_CFG/iscsi/$ULP_IQN/tpgt_1
		np=$tpg/np/$RXE_ADDR:3260
		echo 0 > "$tpg/enable" && echo 0 > "$np/iser" &&
			rmdir "$np" || return 1
		fault_wait_down || rc=1
		sleep 3
		mkdir "$np" && echo 1 > "$np/iser" && echo 1 > "$tpg/enable" &&
			return $rc ;;
	srp)
		tpg=$ULP_CFG/srpt/$(ulp_srpt_port)/$(ulp_srpt_port)
		a=$ULP_CFG/srpt/discovery_auth/rdma_cm_port
		port=$(cat "$a") || return 1
		echo 0 > "$tpg/enable" && echo 0 > "$a" || return 1
		fault_wait_down || rc=1
		sleep 3
		echo "$port" > "$a" && echo 1 > "$tpg/enable" && return $rc ;;
	nvme)
		ulp_nvme_port_down || return 1
		fault_wait_down || rc=1
		sleep 3
		ulp_nvme_target_up && return $rc ;;
	esac
}

# fault_kmsg_since MARK: what the kernel logged about the session since
# the line MARK (the ULP's, the transport's and fault injection's
# messages), for a fault that did not go as planned.
fault_kmsg_since()
{
	dmesg | awk -v m="$1" 'index($0, m) { f = 1 } f' |
		grep -E -e 'ulp_faults|srp|SRP|iser|iSER|iscsi|iSCSI|nvme' \
			-e 'connection|FAULT_INJECTION|rxe' |
		tail -n 40 | while IFS= read -r l; do ktap_print_msg "dmesg: $l"; done
}

# failslab_arm SYMBOL: the next slab allocation under SYMBOL fails (once).
failslab_arm()
{
	local d=$RXE_FAULT_DBG/failslab sym=$1

	[ -w "$d/require-start" ] || {
		ktap_print_msg "needs CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS" \
			"and CONFIG_FAULT_INJECTION_STACKTRACE_FILTER"
		return 1
	}
	# shellcheck disable=SC2046 # two addresses, or none: split on purpose
	set -- $(rxe_sym_range "$sym")
	# never arm an unfiltered failslab: it would fail any allocation
	[ $# = 2 ] || { ktap_print_msg "$sym not in /proc/kallsyms"; return 1; }
	rxe_fault_reset failslab
	echo "$1" > "$d/require-start"
	echo "$2" > "$d/require-end"
	echo N > "$d/ignore-gfp-wait"	# ib_alloc_mr() may sleep
	echo 1 > "$d/verbose"
	echo 100 > "$d/probability"
	echo "ulp_faults.sh: failslab armed for $sym ($1-$2," \
		"stack depth $(cat "$d/stacktrace-depth"))" > /dev/kmsg
}

# failslab_disarm: whether an allocation failed since failslab_arm (then
# true); failslab is off again.
failslab_disarm()
{
	local times

	times=$(cat "$RXE_FAULT_DBG/failslab/times")
	rxe_fault_reset failslab
	[ "$times" = 0 ]
}

# fault_failslab [SYMBOL]: the portal fault while the first slab
# allocation under SYMBOL (default: the function that allocates the
# initiator's registration MRs) fails; the failure must have been
# injected.
fault_failslab()
{
	local sym=$1 rc=0 try

	[ -n "$sym" ] || case $ULP_TRANSPORT in
	iser) sym=iser_reg_alloc_mrs ;;
	srp) sym=srp_create_fr_pool ;;
	*) return 1 ;;
	esac
	# A try whose reconnect allocated nothing under $sym while armed
	# proves nothing either way: the fault again, at most three times.
	# (The debug kernel showed such tries while fault_recovered took a
	# direct read that returned during the outage for the session's
	# return; it now waits for the session too.)
	for try in 1 2 3; do
		echo "ulp_faults.sh: failslab under $sym, try $try" > /dev/kmsg
		failslab_arm "$sym" || return 1
		fault_portal || rc=1
		fault_recovered "$FAULT_PATH" || rc=1
		failslab_disarm && return $rc
		ktap_print_msg "try $try: no allocation under $sym failed:" \
			"the reconnect did not allocate registration MRs"
		fault_kmsg_since "ulp_faults.sh: failslab under $sym, try $try"
		# shellcheck disable=SC2046 # one word per session: split on purpose
		ktap_print_msg "sessions:" $(grep -s . \
			/sys/class/iscsi_session/session*/state \
			/sys/class/srp_remote_ports/port-*/state)
		[ $rc = 0 ] || return 1
	done
	return 1
}

# fault_failslab_login: a new session (the relogin fault) while rxe cannot
# allocate an indirect MR (the first allocation under rxe_ind_mr_init
# fails): the login must succeed on Linux 6.12's plan, the session's
# counter reg_plan_6_12 1 (SRP: and its reg_policy "never"), and the
# writes go on through it.
fault_failslab_login()
{
	local rc=0 n

	failslab_arm rxe_ind_mr_init || return 1
	fault_relogin || rc=1
	failslab_disarm || {
		ktap_print_msg "no allocation under rxe_ind_mr_init failed:" \
			"the login allocated no indirect MR"
		rc=1
	}
	[ $rc = 0 ] || return 1
	case $ULP_TRANSPORT in
	iser)
		ulp_iser_stats || return 1
		n=${ULP_REG[reg_plan_6_12]} ;;
	srp)
		n=$(cat "$ULP_SRP_HOST/reg_plan_6_12") || return 1
		ktap_print_msg "reg_policy: $(cat "$ULP_SRP_HOST/reg_policy")"
		[ "$(cat "$ULP_SRP_HOST/reg_policy")" = never ] || rc=1 ;;
	nvme)
		n=$(ulp_nvme_reg plan_6_12) || return 1
		ktap_print_msg "rdma_reg/mode: $(ulp_nvme_reg mode)," \
			"virt_boundary_mask: $(ulp_virt_boundary)"
		[ "$(ulp_nvme_reg mode)" = page_list ] &&
			[ "$(ulp_virt_boundary)" = 4095 ] || rc=1 ;;
	esac
	ktap_print_msg "reg_plan_6_12: $n"
	[ "$n" = 1 ] || rc=1
	return $rc
}

# fault_nfs_listener: nfsd stopped for 3 s (listeners and connections
# closed), then started with its RDMA listener again.
fault_nfs_listener()
{
	rpc.nfsd 0 || return 1
	sleep 3
	rpc.nfsd 4 && echo "rdma $ULP_NFS_PORT" > /proc/fs/nfsd/portlist
}

# fault_inject FAULT
fault_inject()
{
	FAULTS_INJECTED=$((FAULTS_INJECTED + 1))
	case $1 in
	netdev)
		ip link set "$RXE_NETDEV" down && sleep 3 &&
			ip link set "$RXE_NETDEV" up ;;
	kato)
		ip link set "$RXE_NETDEV" down && sleep 12 &&
			ip link set "$RXE_NETDEV" up ;;
	reset)
		timeout 120 nvme reset "/dev/${ULP_NVME_CTRL##*/}" ;;
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
	abort) fault_abort ;;
	relogin) fault_relogin ;;
	rxe_link) fault_rxe_link ;;
	lun) fault_lun ;;
	portal) fault_portal ;;
	failslab) fault_failslab ;;
	failslab_fb) fault_failslab rxe_ind_mr_init ;;
	failslab_login) fault_failslab_login ;;
	listener) fault_nfs_listener ;;
	*)
		ktap_print_msg "unknown fault $1"
		return 1 ;;
	esac
}

# fault_counters: the initiator's registration counters after the faults:
# no registration failed; SRP: no command waited for an MR, and each took
# one RDMA transfer at the target.
fault_counters()
{
	case $ULP_TRANSPORT in
	iser) ulp_iser_no_fallback_errors ;;
	srp) ulp_srp_counters &&
		[ "${ULP_REG[data_cmds]}" = "${ULP_REG[data_bufs]}" ] ;;
	nvme) ulp_nvme_no_fallback_errors ;;
	esac
}

# fault_case TRANSPORT "FAULT..." [LABEL]: one KTAP test.
fault_case()
{
	local t=$1 faults=$2 d="${3}$1: ${2// /, } under load" pid out rc=0 v f
	local third=$((FAULT_SECONDS / 3))

	v=0
	# a seed of its own: a block this case never wrote may still hold
	# an earlier case's data, which must not pass for this case's
	FAULT_CASES_RUN=$((FAULT_CASES_RUN + 1))
	FAULT_SEED=$(((FAULT_CASES_RUN << 15) | RANDOM))
	if ! ulp_rxe_mode on || ! ulp_attach "$t" ||
		! FAULT_PATH=$(fault_target); then
		ktap_test_fail "$d: not attached"
		ulp_detach
		return
	fi
	rm -f "$FAULT_STATE" "$FAULT_STOP"
	timeout 900 $ULP_IO soak "$FAULT_PATH" --state "$FAULT_STATE" \
		--seconds 600 --stop "$FAULT_STOP" --seed "$FAULT_SEED" \
		> "$FAULT_LOG" 2>&1 &
	pid=$!
	sleep "$third"
	for f in $faults; do
		ktap_print_msg "fault: $f"
		if ! fault_inject "$f"; then
			ktap_print_msg "$f: injecting the fault failed"
			rc=1
			break
		fi
		fault_recovered "$FAULT_PATH" || { rc=1; break; }
		sleep "$third"
	done
	touch "$FAULT_STOP"
	wait "$pid" || { ktap_print_msg "the writers failed or hung:"; rc=1; }
	sed 's/^/# /' "$FAULT_LOG"
	if [ $rc = 0 ]; then
		out=$(timeout 300 $ULP_IO soak-verify "$FAULT_PATH" \
			--state "$FAULT_STATE" 2>&1) || rc=1
		sed 's/^/# /' <<<"$out"
		v=$(sed -n 's/^bytes_verified=//p' <<<"$out")
		[ "${v:-0}" -gt 0 ] || { ktap_print_msg "nothing verified"; rc=1; }
		fault_counters || rc=1
	fi
	if ! ulp_detach || ! ulp_no_mr_left; then
		ktap_print_msg "teardown left MRs or failed"
		rc=1
	fi
	if [ $rc = 0 ]; then
		FAULT_BYTES=$((FAULT_BYTES + v))
		ktap_test_pass "$d: $v bytes verified, no MR left"
	else
		ktap_test_fail "$d"
	fi
}

# fault_soak: rounds of 1 to 3 random faults of a random transport until
# ULP_FAULT_SOAK seconds have passed; the plan comes at the end.
fault_soak()
{
	local end=$((SECONDS + ULP_FAULT_SOAK)) n=0 _ t list tr fl

	read -r -a tr <<<"$FAULT_TRANSPORTS"
	RANDOM=${ULP_FAULT_SEED:-1}
	while [ $SECONDS -lt "$end" ]; do
		t=${tr[RANDOM % ${#tr[@]}]}
		read -r -a fl <<<"$(fault_list "$t")"
		list=
		for _ in $(seq $((1 + RANDOM % 3))); do
			list="$list${list:+ }${fl[RANDOM % ${#fl[@]}]}"
		done
		n=$((n + 1))
		fault_case "$t" "$list" "round $n: "
	done
	ktap_set_plan "$n"
}

fault_cleanup()
{
	rm -f "$FAULT_DEV" "$FAULT_STOP"
	rxe_fault_reset failslab
	ulp_cleanup
}

ktap_print_header
rxe_require ip rdma python3 timeout sg_reset iscsiadm mount.nfs rpc.nfsd nvme
[ "$(id -u)" = 0 ] || { ktap_skip_all "needs root"; exit "$KSFT_SKIP"; }
ulp_require_configfs
trap fault_cleanup EXIT
if [ "${ULP_FAULT_SOAK:-0}" -gt 0 ]; then
	ktap_print_msg "soak: ${ULP_FAULT_SOAK} s, seed ${ULP_FAULT_SEED:-1}"
	fault_soak
else
	cases=${ULP_FAULT_CASES:-$FAULT_CHECK_CASES}
	[ "$cases" = all ] && cases=$(fault_all_cases)
	read -r -d '' -a cases <<<"$cases"
	ktap_set_plan ${#cases[@]}
	for c in "${cases[@]}"; do
		f=${c#*:}
		fault_case "${c%%:*}" "${f//,/ }"
	done
fi
ktap_print_msg "soak_summary tests=$KSFT_NUM_TESTS failed=$KTAP_CNT_FAIL" \
	"faults=$FAULTS_INJECTED bytes_verified=$FAULT_BYTES"
ktap_print_msg "ran in $SECONDS s"
ktap_finished
