# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The storage-ULP harness of the rxe kselftests: real services of this
# machine over RXE_DEV on the dummy netdev (192.0.2.0/24 only), with the
# data checked byte for byte.  Sourced after ktap_helpers.sh and
# rxe_lib.sh.
#
# A test picks
#   the registration rxe offers:  ulp_rxe_mode on|gaps|off  (rdma_rxe's
#                                 sg_gaps_reg and indirect_reg, read when
#                                 the device is added)
#   the transport:                ulp_attach iser|srp|nvme|nfs4|nfs3|smb,
#                                 ulp_detach (NVMe/RDMA: ulp_nvme.sh)
#   the I/O:                      ulp_fio NAME FIO-OPTIONS...  (verify on)
#                                 ulp_gappy NAME [ulp_io.py gappy options]
#                                 ulp_sgio       (SG_IO, byte-granular buffers)
# and checks the path the ULP took with ulp_virt_boundary, ulp_policy_mrs,
# the ULPs' registration counters, the block layer's requests per I/O that
# ulp_gappy reports, and for NFS and SMB Direct the kind of the MRs the
# client holds after the I/O (ulp_fs_path).
#
# ulp_attach sets ULP_BLK (sdX), ULP_SG (/dev/sgN) for the SCSI transports
# and ULP_FILE (a file on the mount) for NFS.  ulp_cleanup undoes whatever
# is still set up and restores the module parameters; call it on EXIT.

ULP_DIR=$(dirname "${BASH_SOURCE[0]}")
ULP_IO="/usr/bin/python3 $ULP_DIR/ulp_io.py"
ULP_CFG=/sys/kernel/config/target
ULP_PARAM=/sys/module/rdma_rxe/parameters/sg_gaps_reg
ULP_PARAM_SAVED=
ULP_PARAM_IND=/sys/module/rdma_rxe/parameters/indirect_reg
ULP_PARAM_IND_SAVED=
# rxe's registration limits (rxe_param.h, rxe_indirect.h): the entries of a
# page-list or SG_GAPS MR (max_fast_reg_page_list_len) and of an indirect
# MR (max_indirect_reg_list_len); they size the ULPs' fallback MRs
ULP_RXE_FRMR_LEN=512
ULP_RXE_IND_LEN=65536
ULP_TRANSPORT=
ULP_BLK=
ULP_SG=
ULP_FILE=
ULP_MNT=
# the disk both SCSI targets export (see ulp_rd_create): LIO's ramdisk,
# or with ULP_BACKSTORE=dm (set before this file is sourced) a block device
# the test can stall
ULP_BACKSTORE=${ULP_BACKSTORE:-ramdisk}
if [ "$ULP_BACKSTORE" = dm ]; then
	ULP_RD=$ULP_CFG/core/iblock_77/ulp_disk
else
	ULP_RD=$ULP_CFG/core/rd_mcp_77/ulp_disk
fi
ULP_RD_MB=${ULP_RD_MB:-64}
ULP_NULLB=/sys/kernel/config/nullb/ulp_nullb
# MiB of write cache in front of that null_blk device (0: none).  With a
# cache the disk, LIO's block backstore over it and the initiator's disk
# all report a write-back cache, and a flush reaches null_blk.
ULP_NULLB_CACHE_MB=${ULP_NULLB_CACHE_MB:-0}
ULP_DM=ulp_disk
ULP_IQN=iqn.2003-01.org.example.wbguest:ulp
ULP_SRP_PORT=${ULP_SRP_PORT:-5555}
# what an administrator passes to add_target (default: nothing, ib_srp's
# default login); the pass srp@never:off adds ULP_SRP_BIG_OPTS, room for a
# 4 MiB command, which then needs several page-list MRs
ULP_SRP_OPTS=${ULP_SRP_OPTS:-}
ULP_SRP_BIG_OPTS="max_sect=8192,sg_tablesize=2048"
# ib_srp reg_policy of the pass (auto: the module parameter; always,
# never: add_target's option)
ULP_SRP_POLICY=auto
ULP_SRP_HOST=		# /sys/class/scsi_host/hostN of the SRP target port
ULP_NFS_PORT=20049
ULP_EXPORT=/tmp/ulp-export
ULP_SERVER_DIR=		# the server's copy of the files on ULP_MNT
ULP_PIDS=()		# daemons this harness started, ended by PID
ULP_ISCSID=		# the iscsid among them
ULP_ISER_POLICY=auto	# ib_iser reg_policy of the pass (module parameter)
ULP_ISER_REG=Y		# ib_iser always_register of the pass (N: +noreg)
ULP_MODE=		# rxe's mode of the pass: on|gaps|off
ULP_DPL=0		# registrations of the last counted I/O: page list,
ULP_DFB=0		# and fallback (iSER and SRP counters),
ULP_DDMA=0		# the local DMA lkey (iSER),
ULP_DMM=0		# several MRs (SRP),
ULP_DCMD=0		# and at the SRP target: commands with data
ULP_DBUF=0		# and the data buffers (RDMA transfers) they took

. "$ULP_DIR/ulp_nvme.sh"

# ulp_rxe_mode on|gaps|off|stock: (re)create RXE_DEV offering indirect and
# SG_GAPS MRs (on: rdma_rxe.sg_gaps_reg=Y, indirect_reg=Y), SG_GAPS MRs
# only, as mlx5 does (gaps: sg_gaps_reg=Y, indirect_reg=N), or page-list
# MRs only, as stock rxe (off: sg_gaps_reg=N; indirect_reg is then not
# read and left as it is); or as a kernel without those parameters
# creates it (stock, for the benchmarks of the unpatched kernel).  Only a
# device this test created can be re-created.
ulp_rxe_mode()
{
	local want=Y ind=

	case $1 in
	stock)
		rxe_cleanup
		rxe_netdev_up && rxe_dev_up
		return ;;
	on) ind=Y ;;
	gaps) ind=N ;;
	off) want=N ;;
	*) ktap_print_msg "unknown rxe mode $1"; return 1 ;;
	esac
	[ -w "$ULP_PARAM" ] || { ktap_print_msg "no $ULP_PARAM"; return 1; }
	if [ -n "$ind" ] && [ ! -w "$ULP_PARAM_IND" ]; then
		[ "$ind" = Y ] ||
			{ ktap_print_msg "no $ULP_PARAM_IND"; return 1; }
		# a kernel from before indirect_reg: sg_gaps_reg=Y offers both
		ind=
	fi
	[ -n "$ULP_PARAM_SAVED" ] || ULP_PARAM_SAVED=$(cat "$ULP_PARAM")
	if [ -n "$ind" ] && [ -z "$ULP_PARAM_IND_SAVED" ]; then
		ULP_PARAM_IND_SAVED=$(cat "$ULP_PARAM_IND")
	fi
	rxe_cleanup
	if rdma link show "$RXE_DEV/1" >/dev/null 2>&1; then
		ktap_print_msg "$RXE_DEV exists and was not created by this test:" \
			"cannot choose its registration mode"
		return 1
	fi
	echo "$want" > "$ULP_PARAM" || return 1
	if [ -n "$ind" ]; then
		echo "$ind" > "$ULP_PARAM_IND" || return 1
	fi
	rxe_netdev_up && rxe_dev_up
}

# ulp_mode_offer MODE: true when rxe in MODE offers a ULP an MR that maps
# any list (on: indirect and SG_GAPS; gaps: SG_GAPS only).
ulp_mode_offer()
{
	[ "$1" = on ] || [ "$1" = gaps ]
}

# ulp_require_configfs: skip the whole test without LIO's configfs.
ulp_require_configfs()
{
	[ -d "$ULP_CFG" ] && return 0
	ktap_skip_all "configfs not mounted at /sys/kernel/config"
	exit "$KSFT_SKIP"
}

# ulp_mr_count [HOLDER]: the MRs on RXE_DEV (ULP_MR_ALL), of them SG_GAPS
# (ULP_MR_GAPS) and indirect (ULP_MR_IND) ones, of those the ones a map
# has staged a list in (ULP_MR_MAPPED: they have registered data; rxe
# keeps the last staged list after invalidation), and who holds them.
# With HOLDER, only the MRs of that kernel module: rdma shows a kernel
# ULP's MR as "comm [MODULE]", MODULE the one that allocated its PD.
ulp_mr_count()
{
	local out other what="MRs on $RXE_DEV"

	out=$(rdma -dd resource show mr dev "$RXE_DEV") ||
		{ ktap_print_msg "rdma resource show mr failed"; return 1; }
	if [ -n "${1:-}" ]; then
		out=$(grep -F "comm [$1]" <<<"$out")
		what="MRs of [$1] on $RXE_DEV"
	fi
	ULP_MR_ALL=$(grep -c . <<<"$out")
	ULP_MR_GAPS=$(grep -c 'kind sg_gaps' <<<"$out")
	ULP_MR_IND=$(grep -c 'kind indirect' <<<"$out")
	ULP_MR_MAPPED=$(grep -E 'kind (sg_gaps|indirect)' <<<"$out" |
		grep -cE 'staged_entries [1-9]')
	other=$((ULP_MR_ALL - ULP_MR_GAPS - ULP_MR_IND))
	ktap_print_msg "$what: $ULP_MR_GAPS SG_GAPS, $ULP_MR_IND indirect" \
		"($ULP_MR_MAPPED of them mapped), $other other" \
		"($(grep -o 'comm \[[^]]*\]' <<<"$out" |
			sort | uniq -c | tr -s ' \n' ' '))"
}

# ulp_virt_boundary: the ULP block device's virt_boundary_mask.
ulp_virt_boundary()
{
	cat "/sys/block/$ULP_BLK/queue/virt_boundary_mask"
}

# ulp_no_mr_left: no MR on RXE_DEV once the ULP let go (some are freed
# from a workqueue after logout/unmount: wait up to 30 s).
ulp_no_mr_left()
{
	local _

	for _ in $(seq 60); do
		[ -z "$(rdma resource show mr dev "$RXE_DEV" 2>/dev/null)" ] &&
			return 0
		sleep 0.5
	done
	rxe_no_mr
}

ulp_wait_path()
{
	local _ p

	for _ in $(seq 100); do
		for p in $1; do
			[ -e "$p" ] && { echo "$p"; return 0; }
		done
		sleep 0.2
	done
	return 1
}

# The disk both SCSI targets export: LIO's ramdisk backstore, or with
# ULP_BACKSTORE=dm its block backstore over a device-mapper linear device
# over a memory-backed null_blk device, the way a target exports a block
# device, with a way to hold every command that reaches it (dmsetup
# suspend: ulp_faults.sh's abort).  null_blk's command size limit is
# raised so that the target announces no transfer limit below the ULPs'.
ulp_rd_create()
{
	local nb ctl

	[ -d "$ULP_RD" ] && return 0
	if [ "$ULP_BACKSTORE" = dm ]; then
		modprobe null_blk nr_devices=0 || return 1
		if [ ! -d "$ULP_NULLB" ]; then
			mkdir "$ULP_NULLB" &&
				echo 1 > "$ULP_NULLB/memory_backed" &&
				echo "$ULP_RD_MB" > "$ULP_NULLB/size" &&
				echo 65535 > "$ULP_NULLB/max_sectors" &&
				echo "$ULP_NULLB_CACHE_MB" > "$ULP_NULLB/cache_size" &&
				echo 1 > "$ULP_NULLB/power" || return 1
		fi
		nb=$(cat "$(ulp_nullb_sys)/dev") || return 1
		if ! dmsetup info "$ULP_DM" >/dev/null 2>&1; then
			timeout 30 dmsetup create --noudevsync "$ULP_DM" \
				--table "0 $((ULP_RD_MB * 2048)) linear $nb 0" ||
				return 1
		fi
		ctl=udev_path=/dev/$(dmsetup info -c --noheadings \
			-o blkdevname "$ULP_DM") || return 1
	else
		ctl=rd_pages=$((ULP_RD_MB * 256))
	fi
	mkdir -p "$ULP_RD" && echo "$ctl" > "$ULP_RD/control" &&
		echo 1 > "$ULP_RD/enable"
}

# ulp_nullb_sys: the sysfs directory of the null_blk disk under the dm
# backstore, named after its configfs item (nullbN before 6.10).
ulp_nullb_sys()
{
	local d=/sys/block/${ULP_NULLB##*/}

	[ -d "$d" ] || d=/sys/block/nullb$(cat "$ULP_NULLB/index")
	echo "$d"
}

# ulp_nullb_flushes: the flushes that disk completed (the 16th field of
# its stat file); the target's SYNCHRONIZE CACHE reaches it as one.
ulp_nullb_flushes()
{
	awk '{ print $16 }' "$(ulp_nullb_sys)/stat"
}

ulp_rd_remove()
{
	if [ -d "$ULP_RD" ]; then
		rmdir "$ULP_RD" && rmdir "${ULP_RD%/*}" || return 1
	fi
	[ "$ULP_BACKSTORE" = dm ] || return 0
	if dmsetup info "$ULP_DM" >/dev/null 2>&1; then
		timeout 30 dmsetup resume --noudevsync "$ULP_DM"
		timeout 30 dmsetup remove --noudevsync "$ULP_DM" || return 1
	fi
	if [ -d "$ULP_NULLB" ]; then
		echo 0 > "$ULP_NULLB/power" && rmdir "$ULP_NULLB" || return 1
	fi
	modprobe -r null_blk 2>/dev/null
	return 0
}

# ulp_scsi_disk HOSTDIR: wait for the disk behind a SCSI host, set
# ULP_BLK and ULP_SG.
ulp_scsi_disk()
{
	local b s

	b=$(ulp_wait_path "$1/target*/*:*/block/*") ||
		{ ktap_print_msg "no disk appeared under $1"; return 1; }
	ULP_BLK=${b##*/}
	s=$(ulp_wait_path "$1/target*/*:*/scsi_generic/*") || return 1
	ULP_SG=/dev/${s##*/}
	ulp_wait_path "/dev/$ULP_BLK" >/dev/null && ulp_wait_path "$ULP_SG" >/dev/null
}

ulp_iser_attach()
{
	local tpg=$ULP_CFG/iscsi/$ULP_IQN/tpgt_1
	local pol=/sys/module/ib_iser/parameters/reg_policy
	local reg=/sys/module/ib_iser/parameters/always_register
	local params=(reg_policy="$ULP_ISER_POLICY" always_register="$ULP_ISER_REG")

	# ib_iser reads reg_policy and always_register (both read-only) when
	# it is loaded; iscsid knows the transport it registered, so it goes
	# first.  The policy "stock" is an unpatched kernel's ib_iser, which
	# has no reg_policy.
	if [ "$ULP_ISER_POLICY" = stock ]; then
		modprobe ib_iser || return 1
	elif [ "$(cat $pol 2>/dev/null)" != "$ULP_ISER_POLICY" ] ||
		[ "$(cat $reg 2>/dev/null)" != "$ULP_ISER_REG" ]; then
		if [ -n "$ULP_ISCSID" ]; then
			kill "$ULP_ISCSID" 2>/dev/null && wait "$ULP_ISCSID" 2>/dev/null
			ULP_ISCSID=
		fi
		modprobe -r ib_iser 2>/dev/null
		modprobe ib_iser "${params[@]}" ||
			{ ktap_print_msg "modprobe ib_iser ${params[*]} failed"; return 1; }
		if [ "$(cat $pol)" != "$ULP_ISER_POLICY" ] ||
			[ "$(cat $reg)" != "$ULP_ISER_REG" ]; then
			ktap_print_msg "ib_iser still loaded with reg_policy" \
				"$(cat $pol), always_register $(cat $reg)"
			return 1
		fi
	fi
	ulp_rd_create || return 1
	mkdir -p "$tpg/lun/lun_0" "$tpg/np/$RXE_ADDR:3260" || return 1
	ln -s "$ULP_RD" "$tpg/lun/lun_0/disk" || return 1
	echo 1 > "$tpg/np/$RXE_ADDR:3260/iser" || return 1
	echo 0 > "$tpg/attrib/authentication"
	echo 1 > "$tpg/attrib/generate_node_acls"
	echo 0 > "$tpg/attrib/demo_mode_write_protect"
	echo 1 > "$tpg/attrib/cache_dynamic_acls"
	echo 1 > "$tpg/enable" || return 1
	# iscsid keeps its node database under /etc/iscsi: a tmpfs copy
	if ! mountpoint -q /etc/iscsi; then
		mkdir -p /run/ulp-iscsi && cp -a /etc/iscsi/. /run/ulp-iscsi/ &&
			mount --bind /run/ulp-iscsi /etc/iscsi || return 1
		[ -s /etc/iscsi/initiatorname.iscsi ] ||
			echo "InitiatorName=iqn.2003-01.org.example.wbguest:init" \
				> /etc/iscsi/initiatorname.iscsi
	fi
	mkdir -p /run/lock/iscsi
	# its own session: iscsid signals its process group when it ends
	if [ -z "$ULP_ISCSID" ] || ! kill -0 "$ULP_ISCSID" 2>/dev/null; then
		setsid iscsid -n -f >/tmp/ulp-iscsid.log 2>&1 &
		ULP_ISCSID=$!
		ULP_PIDS+=($!)
	fi
	# A node record for the target over iSER, not a sendtargets
	# discovery: a discovery over iSER opens a session of its own, and an
	# iscsiadm that crashed in one (a segfault right after iscsid was
	# restarted, seen once under TCG) left that session behind, without a
	# target name, holding ib_iser and taken for the login's session.
	timeout 30 iscsiadm -m node -o new -T "$ULP_IQN" -p "$RXE_ADDR:3260" \
		-I iser >/dev/null 2>&1 ||
		timeout 30 iscsiadm -m node -T "$ULP_IQN" -p "$RXE_ADDR:3260" \
			-I iser >/dev/null ||
		{ ktap_print_msg "no iSER node record for $ULP_IQN"; return 1; }
	ulp_iser_login
}

# ulp_iser_session: the sysfs directory of the session of ULP_IQN.
ulp_iser_session()
{
	local s _

	for _ in $(seq 100); do
		for s in /sys/class/iscsi_session/session*; do
			[ "$(cat "$s/targetname" 2>/dev/null)" = "$ULP_IQN" ] &&
				{ echo "$s"; return 0; }
		done
		sleep 0.2
	done
	return 1
}

# ulp_iser_login: log in to the target; set ULP_BLK and ULP_SG.  The
# login goes through iscsid, which may still be starting: tried three
# times, a failed attempt logged out first.
ulp_iser_login()
{
	local s try

	for try in 1 2 3; do
		if timeout 90 iscsiadm -m node -T "$ULP_IQN" \
			-p "$RXE_ADDR:3260" -I iser --login >/dev/null 2>&1; then
			s=$(ulp_iser_session) && ulp_scsi_disk "$s/device" &&
				return 0
		fi
		ktap_print_msg "iSER login, try $try: no disk"
		timeout 60 iscsiadm -m node -T "$ULP_IQN" -p "$RXE_ADDR:3260" \
			-I iser --logout >/dev/null 2>&1
		sleep 2
	done
	ktap_print_msg "iSER login failed"
	return 1
}

ulp_iser_detach()
{
	local tpg=$ULP_CFG/iscsi/$ULP_IQN/tpgt_1

	timeout 60 iscsiadm -m node -T "$ULP_IQN" -p "$RXE_ADDR:3260" -I iser \
		--logout >/dev/null 2>&1
	timeout 10 iscsiadm -m node -o delete >/dev/null 2>&1
	# the session's sysfs goes after logout returns: a login right after
	# must not find the old one
	ulp_wait_gone "/sys/class/iscsi_session/session*"
	[ -d "$tpg" ] || return 0
	echo 0 > "$tpg/enable" 2>/dev/null
	rm -f "$tpg/lun/lun_0/disk"
	rmdir "$tpg/lun/lun_0" "$tpg/np/$RXE_ADDR:3260" "$tpg" \
		"$ULP_CFG/iscsi/$ULP_IQN" 2>/dev/null
	[ ! -d "$tpg" ]
}

# ib_srpt names an RDMA port after the interface ID of its GID 0.
ulp_srpt_port()
{
	local g

	g=$(cat "/sys/class/infiniband/$RXE_DEV/ports/1/gids/0") || return 1
	echo "${g#*:*:*:*:}"
}

# ulp_srp_attach [TRIES]: the target port configured, SRP logged in
# (add_target tried TRIES times, default once: see ulp_srp_login).
ulp_srp_attach()
{
	local port tpg opts=$ULP_SRP_OPTS pol

	modprobe ib_srp || { ktap_print_msg "modprobe ib_srp failed"; return 1; }
	# an unpatched kernel's ib_srp (policy "stock") has no reg_policy;
	# auto is the module parameter's default; always and never are
	# add_target options, which must win over a module parameter set
	# to another policy
	case $ULP_SRP_POLICY in
	stock) ;;
	auto)
		echo auto > /sys/module/ib_srp/parameters/reg_policy ;;
	*)
		[ "$ULP_SRP_POLICY" = never ] && pol=always || pol=never
		echo "$pol" > /sys/module/ib_srp/parameters/reg_policy &&
			opts=${opts:+$opts,}reg_policy=$ULP_SRP_POLICY ;;
	esac || { ktap_print_msg "cannot set ib_srp reg_policy"; return 1; }
	[ "$ULP_SRP_POLICY:$ULP_MODE" = never:off ] &&
		opts=${opts:+$opts,}$ULP_SRP_BIG_OPTS
	ulp_rd_create || return 1
	port=$(ulp_srpt_port) || return 1
	tpg=$ULP_CFG/srpt/$port/$port
	mkdir -p "$tpg/lun/lun_0" || return 1
	ln -s "$ULP_RD" "$tpg/lun/lun_0/disk" || return 1
	# RDMA/CM logins are named after the initiator's address
	mkdir -p "$tpg/acls/$RXE_ADDR/lun_0" || return 1
	ln -s "$tpg/lun/lun_0" "$tpg/acls/$RXE_ADDR/lun_0/lun" || return 1
	echo 1 > "$tpg/enable" || return 1
	echo "$ULP_SRP_PORT" > "$ULP_CFG/srpt/discovery_auth/rdma_cm_port" ||
		return 1
	ulp_srp_login "$opts" "${1:-1}"
}

# ulp_srp_reattach TRIES: SRP back after the RDMA device or ib_srp went
# away: ib_srp loaded, its port on the device there, ib_srpt's port (which
# the device took with it) configured anew, and SRP logged in (add_target
# tried TRIES times).
ulp_srp_reattach()
{
	modprobe ib_srp || return 1
	ulp_wait_path "/sys/class/infiniband_srp/srp-$RXE_DEV-1" >/dev/null ||
		return 1
	ulp_srp_detach && ulp_srp_attach "$1"
}

# ulp_srp_login OPTIONS TRIES: add_target with OPTIONS (tried TRIES times,
# half a second apart: right after a remote port was deleted, ib_srp
# refuses the same target port with EEXIST until its workqueue removed
# the old one); set ULP_SRP_HOST, ULP_BLK and ULP_SG.
ulp_srp_login()
{
	local opts=$1 tries=$2 guid h q n=0 before

	# the ib_srp hosts before: the new one is the host this login adds
	# (host numbers are reused, and a removed port's host may linger)
	before=$(grep -lx ib_srp /sys/class/scsi_host/host*/proc_name 2>/dev/null)
	guid=$(cat /sys/module/ib_srpt/parameters/srpt_service_guid) || return 1
	ktap_print_msg "add_target options: ${opts:-(none)}"
	until echo "id_ext=$guid,ioc_guid=$guid,dest=$RXE_ADDR:$ULP_SRP_PORT${opts:+,$opts}" \
		> "/sys/class/infiniband_srp/srp-$RXE_DEV-1/add_target" 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt "$tries" ] ||
			{ ktap_print_msg "SRP add_target failed"; return 1; }
		sleep 0.5
	done
	ULP_SRP_HOST=
	for h in $(grep -lx ib_srp /sys/class/scsi_host/host*/proc_name); do
		h=${h%/proc_name}
		grep -qxF "$h/proc_name" <<< "$before" || ULP_SRP_HOST=$h
	done
	h=$ULP_SRP_HOST
	[ -n "$h" ] || { ktap_print_msg "no ib_srp SCSI host"; return 1; }
	ulp_scsi_disk "$h/device" || return 1
	# the block layer caps requests at 1280 KiB unless told otherwise:
	# let them be as large as the login allows
	q=/sys/block/$ULP_BLK/queue
	cat "$q/max_hw_sectors_kb" > "$q/max_sectors_kb"
}

# ulp_srp_ports_delete: delete every SRP remote port, and wait until they
# are gone.
ulp_srp_ports_delete()
{
	local p

	for p in /sys/class/srp_remote_ports/port-*; do
		[ -e "$p/delete" ] && echo 1 > "$p/delete"
	done
	ulp_wait_gone "/sys/class/srp_remote_ports/port-*"
}

ulp_srp_detach()
{
	local port tpg

	ulp_srp_ports_delete
	ULP_SRP_HOST=
	port=$(ulp_srpt_port) || return 0
	tpg=$ULP_CFG/srpt/$port/$port
	[ -d "$tpg" ] || return 0
	echo 0 > "$tpg/enable" 2>/dev/null
	rm -f "$tpg/acls/$RXE_ADDR/lun_0/lun" "$tpg/lun/lun_0/disk"
	rmdir "$tpg/acls/$RXE_ADDR/lun_0" "$tpg/acls/$RXE_ADDR" \
		"$tpg/lun/lun_0" "$tpg" "$ULP_CFG/srpt/$port" 2>/dev/null
	[ ! -d "$tpg" ]
}

ulp_wait_gone()
{
	local _ p

	for _ in $(seq 100); do
		for p in $1; do
			[ -e "$p" ] || return 0
		done
		sleep 0.2
	done
	return 1
}

# NFS: knfsd exporting a tmpfs directory on the RDMA port, the kernel
# client mounting it with proto=rdma.  ulp_attach nfs4 or nfs3.
ulp_nfs_server_up()
{
	[ -e /proc/fs/nfsd/portlist ] && [ -n "$(pidof rpc.mountd)" ] && return 0
	mkdir -p /var/lib/nfs/sm /var/lib/nfs/sm.bak /var/lib/nfs/v4recovery \
		"$ULP_EXPORT" || return 1
	touch /var/lib/nfs/etab /var/lib/nfs/rmtab /var/lib/nfs/state
	mountpoint -q /proc/fs/nfsd || mount -t nfsd none /proc/fs/nfsd || return 1
	# short lease and grace: a fresh server waits that long for reclaims
	echo 10 > /proc/fs/nfsd/nfsv4leasetime
	echo 10 > /proc/fs/nfsd/nfsv4gracetime
	setsid rpcbind -f -w >/dev/null 2>&1 &
	ULP_PIDS+=($!)
	rxe_wait_listen 111 || { ktap_print_msg "rpcbind does not listen"; return 1; }
	exportfs -o rw,no_root_squash,fsid=0,insecure,no_subtree_check \
		"192.0.2.0/24:$ULP_EXPORT" || return 1
	setsid rpc.mountd -F >/dev/null 2>&1 &
	ULP_PIDS+=($!)
	rpc.nfsd 4 || return 1
	echo "rdma $ULP_NFS_PORT" > /proc/fs/nfsd/portlist || return 1
	grep -q "rdma $ULP_NFS_PORT" /proc/fs/nfsd/portlist
}

ulp_nfs_server_down()
{
	[ -e /proc/fs/nfsd/threads ] && rpc.nfsd 0 >/dev/null 2>&1
	exportfs -ua >/dev/null 2>&1
}

ulp_nfs_attach()
{
	local vers=$1 src=/

	ulp_nfs_server_up || { ktap_print_msg "nfsd did not start"; return 1; }
	[ "$vers" = 3 ] && src=$ULP_EXPORT
	ULP_MNT=/tmp/ulp-mnt
	mkdir -p "$ULP_MNT"
	timeout 120 mount -t nfs -o "vers=$vers,proto=rdma,port=$ULP_NFS_PORT,nolock" \
		"$RXE_ADDR:$src" "$ULP_MNT" ||
		{ ktap_print_msg "mount vers=$vers proto=rdma failed"; ULP_MNT=; return 1; }
	ULP_FILE=$ULP_MNT/data
	ULP_SERVER_DIR=$ULP_EXPORT
}

# ulp_mount_opts: the options of the mount on ULP_MNT, as the client
# reports them (also printed).
ulp_mount_opts()
{
	awk -v m="$ULP_MNT" '$2 == m { print $3 " " $4 }' /proc/mounts
}

# ulp_nfs_is_rdma: the mount's transport, as the client reports it.
ulp_nfs_is_rdma()
{
	local o

	o=$(ulp_mount_opts)
	ktap_print_msg "$ULP_MNT: $o"
	grep -q "proto=rdma" <<<"$o" && grep -q ",port=$ULP_NFS_PORT" <<<"$o"
}

# ulp_fs_detach: empty and unmount the NFS or SMB mount.
ulp_fs_detach()
{
	[ -n "$ULP_MNT" ] || return 0
	rm -f "$ULP_MNT"/*
	timeout 60 umount "$ULP_MNT" || return 1
	ULP_MNT=
}

# ulp_checksums: the files read through the mount, after dropping the
# client's caches, are those the server holds (in ULP_SERVER_DIR).
ulp_checksums()
{
	local c s

	sync
	echo 3 > /proc/sys/vm/drop_caches
	c=$(cd "$ULP_MNT" && md5sum -- *) || return 1
	s=$(cd "$ULP_SERVER_DIR" && md5sum -- *) || return 1
	ktap_print_msg "$(wc -l <<<"$c") files compared"
	[ "$c" = "$s" ] && return 0
	ktap_print_msg "checksums differ (client, then server):"
	printf '%s\n' "$c" "$s" | sed 's/^/# /'
	return 1
}

# SMB Direct: ksmbd (ksmbd-tools' ksmbd.mountd) sharing a tmpfs directory,
# the cifs client mounting it with 'rdma'.
ULP_SMB_SHARE=/tmp/ulp-smb
ULP_SMB_ETC=/run/ulp-ksmbd

ulp_smb_attach()
{
	local _

	mkdir -p "$ULP_SMB_ETC" "$ULP_SMB_SHARE" || return 1
	cat > "$ULP_SMB_ETC/ksmbd.conf" <<-EOF
	[global]
		server signing = disabled
	[ulp]
		path = $ULP_SMB_SHARE
		read only = no
		force user = root
		store dos attributes = no
	EOF
	grep -qs '^ulp:' "$ULP_SMB_ETC/ksmbdpwd.db" ||
		ksmbd.adduser -i "$ULP_SMB_ETC/ksmbdpwd.db" \
			-c "$ULP_SMB_ETC/ksmbd.conf" -a ulp -p ulp-pass >/dev/null ||
		{ ktap_print_msg "ksmbd.adduser failed"; return 1; }
	if [ -z "$(pidof ksmbd.mountd)" ]; then
		setsid ksmbd.mountd -n -c "$ULP_SMB_ETC/ksmbd.conf" \
			-u "$ULP_SMB_ETC/ksmbdpwd.db" >/tmp/ulp-ksmbd.log 2>&1 &
		ULP_PIDS+=($!)
	fi
	rxe_wait_listen 445 || { ktap_print_msg "ksmbd does not listen"; return 1; }
	ULP_MNT=/tmp/ulp-mnt
	mkdir -p "$ULP_MNT"
	for _ in 1 2 3; do
		timeout 120 mount -t cifs "//$RXE_ADDR/ulp" "$ULP_MNT" \
			-o rdma,vers=3.1.1,username=ulp,password=ulp-pass && break
		sleep 2
	done
	mountpoint -q "$ULP_MNT" ||
		{ ktap_print_msg "mount -t cifs -o rdma failed"; ULP_MNT=; return 1; }
	ULP_FILE=$ULP_MNT/data
	ULP_SERVER_DIR=$ULP_SMB_SHARE
}

# ulp_smb_is_rdma: the mount runs over SMB Direct.
ulp_smb_is_rdma()
{
	local o

	o=$(ulp_mount_opts)
	ktap_print_msg "$ULP_MNT: $o"
	grep -q ',rdma' <<<"$o" || return 1
	grep -qi 'SMBDirect' /proc/fs/cifs/DebugData
}

# ulp_attach TRANSPORT / ulp_detach
ulp_attach()
{
	ULP_TRANSPORT=$1
	case $1 in
	iser) ulp_iser_attach ;;
	srp) ulp_srp_attach ;;
	nvme) ulp_nvme_attach ;;
	nfs4) ulp_nfs_attach 4.2 ;;
	nfs3) ulp_nfs_attach 3 ;;
	smb) ulp_smb_attach ;;
	*) ktap_print_msg "unknown transport $1"; return 1 ;;
	esac
}

ulp_detach()
{
	local rc=0

	case $ULP_TRANSPORT in
	iser) ulp_iser_detach || rc=1 ;;
	srp) ulp_srp_detach || rc=1 ;;
	nvme) ulp_nvme_detach || rc=1 ;;
	nfs*|smb) ulp_fs_detach || rc=1 ;;
	esac
	ULP_TRANSPORT=
	ULP_BLK=
	ULP_SG=
	ULP_FILE=
	return $rc
}

# ulp_target: where the I/O goes (the disk, or a file on the mount).
ulp_target()
{
	if [ -n "$ULP_BLK" ]; then
		echo "/dev/$ULP_BLK"
	else
		echo "$ULP_FILE.$1"
	fi
}

# ulp_fio NAME OPTION...: a fio job writing and verifying (crc32c) every
# block it wrote; a failure names the mismatch fio found.
ulp_fio()
{
	local name=$1 out rc

	shift
	out=$(timeout 600 fio --name="$name" --filename="$(ulp_target "$name")" \
		--verify=crc32c --do_verify=1 --verify_fatal=1 \
		--verify_dump=0 --randrepeat=0 \
		--output-format=terse --terse-version=3 --size=4m "$@" 2>&1)
	rc=$?
	if [ $rc != 0 ]; then
		ktap_print_msg "fio $name failed (exit $rc):"
		grep -iE 'verify|mismatch|crc|bad|error|fio:' <<<"$out" |
			head -n 12 | sed 's/^/# /'
	fi
	return $rc
}

# ulp_gappy NAME [OPTION...]: ulp_io.py gappy on the target; sets
# ULP_RPW / ULP_RPR, the block-layer requests per write / read.
ulp_gappy()
{
	local name=$1 out rc stat=()

	shift
	if [ -n "$ULP_BLK" ]; then
		stat=(--stat "/sys/block/$ULP_BLK/stat")
	else
		# a file: make it first, O_DIRECT does not extend it well
		truncate -s 8M "$(ulp_target "$name")" || return 1
	fi
	out=$($ULP_IO gappy "$(ulp_target "$name")" "${stat[@]}" "$@" 2>&1)
	rc=$?
	grep -v '=' <<<"$out" | sed 's/^\([^#]\)/# \1/'
	ULP_RPW=$(sed -n 's/^requests_per_write=//p' <<<"$out")
	ULP_RPR=$(sed -n 's/^requests_per_read=//p' <<<"$out")
	return $rc
}

# ulp_sgio: SG_IO passthrough, byte-granular buffers (ulp_io.py), then a
# copy through sg3-utils' sg_dd and back, compared with cmp.
ulp_sgio()
{
	local out rc

	out=$($ULP_IO sgio "$ULP_SG" 2>&1)
	rc=$?
	grep -v '=' <<<"$out" | sed 's/^\([^#]\)/# \1/'
	[ $rc = 0 ] || return $rc
	head -c 1048576 /dev/urandom > /tmp/ulp-sg.in || return 1
	sg_dd if=/tmp/ulp-sg.in of="$ULP_SG" bs=512 seek=16384 count=2048 \
		bpt=64 >/dev/null 2>&1 || { ktap_print_msg "sg_dd write failed"; return 1; }
	sg_dd if="$ULP_SG" of=/tmp/ulp-sg.out bs=512 skip=16384 count=2048 \
		bpt=64 >/dev/null 2>&1 || { ktap_print_msg "sg_dd read failed"; return 1; }
	if ! out=$(cmp /tmp/ulp-sg.in /tmp/ulp-sg.out 2>&1); then
		ktap_print_msg "data mismatch: sg_dd copy back: $out"
		return 1
	fi
	ktap_print_msg "sg_dd: 1 MiB written and read back through $ULP_SG, equal"
}

ulp_cleanup()
{
	local p

	[ -n "$ULP_TRANSPORT" ] && ulp_detach
	ulp_iser_detach >/dev/null 2>&1
	ulp_srp_detach >/dev/null 2>&1
	ulp_nvme_detach >/dev/null 2>&1
	[ -w "$ULP_NVME_PARAM" ] && echo auto > "$ULP_NVME_PARAM"
	ulp_nfs_server_down
	command -v ksmbd.control >/dev/null && [ -n "$(pidof ksmbd.mountd)" ] &&
		ksmbd.control -s >/dev/null 2>&1
	for p in "${ULP_PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	ULP_PIDS=()
	ULP_ISCSID=
	mountpoint -q /etc/iscsi && umount /etc/iscsi
	[ -w /sys/module/ib_srp/parameters/reg_policy ] &&
		echo auto > /sys/module/ib_srp/parameters/reg_policy
	# ib_iser with another reg_policy or always_register than its
	# defaults: unload it
	if [ "$(cat /sys/module/ib_iser/parameters/reg_policy 2>/dev/null)" != auto ] ||
		[ "$(cat /sys/module/ib_iser/parameters/always_register 2>/dev/null)" = N ]; then
		modprobe -r ib_iser 2>/dev/null
	fi
	mountpoint -q /proc/fs/nfsd && umount /proc/fs/nfsd
	ulp_rd_remove 2>/dev/null
	rxe_cleanup
	[ -n "$ULP_PARAM_SAVED" ] && echo "$ULP_PARAM_SAVED" > "$ULP_PARAM"
	[ -n "$ULP_PARAM_IND_SAVED" ] &&
		echo "$ULP_PARAM_IND_SAVED" > "$ULP_PARAM_IND"
	ULP_PARAM_SAVED=
	ULP_PARAM_IND_SAVED=
	return 0
}

# The tests of one transport, in both registration modes.  ULP_UP says
# whether the transport is attached: a case that needs it fails (it is
# not skipped) when it is not.
ULP_UP=0

# ulp_case DESCRIPTION COMMAND...: one KTAP test.
ulp_case()
{
	local d=$1

	shift
	if [ "$ULP_UP" != 1 ]; then
		ktap_test_fail "$d: the transport is not attached"
	elif "$@"; then
		ktap_test_pass "$d"
	else
		ktap_test_fail "$d"
	fi
}

# ulp_begin MODE TRANSPORT: rxe in MODE, then attach (one KTAP test).
ulp_begin()
{
	ULP_UP=0
	if ulp_rxe_mode "$1" && ulp_attach "$2"; then
		ULP_UP=1
		ktap_test_pass "$(ulp_label "$1" "$2") attached over $RXE_DEV"
	else
		ktap_test_fail "$(ulp_label "$1" "$2") attached over $RXE_DEV"
	fi
}

# ulp_label MODE TRANSPORT: how the tests of a pass are named.
ulp_label()
{
	local l="sg_gaps_reg $1"

	[ "$1" = gaps ] && l="sg_gaps_reg on, indirect_reg off"
	case $2 in
	iser)
		l+=", reg_policy $ULP_ISER_POLICY"
		[ "$ULP_ISER_REG" = N ] && l+=", always_register N"
		;;
	srp)
		l+=", reg_policy $ULP_SRP_POLICY" ;;
	nvme)
		l+=", reg_policy $ULP_NVME_POLICY" ;;
	esac
	echo "$l: $2"
}

# ulp_end MODE: detach, and no MR is left on the device (one KTAP test).
ulp_end()
{
	local l

	l=$(ulp_label "$1" "$ULP_TRANSPORT")
	if ulp_detach && ulp_no_mr_left; then
		ktap_test_pass "$l detached, no MR left on $RXE_DEV"
	else
		ktap_test_fail "$l detached, no MR left on $RXE_DEV"
	fi
	ULP_UP=0
}

# ulp_iser_stat NAME: the iSER registration counter NAME of the session
# (a custom statistic of iscsiadm -m session -r SID -s).
ULP_ISER_STATS="reg_dma_lkey reg_page_list reg_fallback reg_fallback_errors
	reg_plan_6_12"
declare -gA ULP_REG

# ulp_iser_stats: the session's registration counters (custom statistics
# of iscsiadm -m session -r SID -s), all of them, into ULP_REG[NAME].
ulp_iser_stats()
{
	local sid n v

	sid=$(iscsiadm -m session 2>/dev/null | sed -n 's/^[^[]*\[\([0-9]*\)\].*/\1/p' | head -n 1)
	[ -n "$sid" ] || return 1
	ULP_REG=()
	while read -r n v; do
		case $n in reg_*:) ULP_REG[${n%:}]=$v ;; esac
	done < <(iscsiadm -m session -r "$sid" -s)
	for n in $ULP_ISER_STATS; do
		[ -n "${ULP_REG[$n]:-}" ] || return 1
	done
}

# ulp_iser_count CMD...: run CMD, and set ULP_DPL, ULP_DFB and ULP_DDMA to
# the commands it registered through a page list, through the fallback and
# the buffers it sent with the local DMA lkey.
ulp_iser_count()
{
	local pl fb dma rc

	ulp_iser_stats || { ktap_print_msg "no iSER registration counters"; return 1; }
	pl=${ULP_REG[reg_page_list]} fb=${ULP_REG[reg_fallback]}
	dma=${ULP_REG[reg_dma_lkey]}
	"$@"
	rc=$?
	ulp_iser_stats || { ktap_print_msg "no iSER registration counters"; return 1; }
	ULP_DPL=$((ULP_REG[reg_page_list] - pl))
	ULP_DFB=$((ULP_REG[reg_fallback] - fb))
	ULP_DDMA=$((ULP_REG[reg_dma_lkey] - dma))
	ktap_print_msg "registered: $ULP_DPL through a page list," \
		"$ULP_DFB through the fallback MR; $ULP_DDMA with the local DMA lkey"
	return $rc
}

# ulp_iser_expect aligned|gappy N: the last counted I/O, N commands at
# least, took the path of the pass's policy and rxe mode.  With
# always_register=N every buffer of one DMA element (each 4 KiB
# page-aligned one, read or write) goes with the local DMA lkey under any
# policy; with it (the default) only writes sent whole as immediate data
# do, and the reads take an MR.  Where rxe offers an MR that maps any list
# (on: indirect, gaps: SG_GAPS), auto takes a page list for aligned
# buffers and the fallback for gappy ones, and always and never take the
# fallback (on an SG_GAPS-only device both are Linux 6.12's plan, an
# SG_GAPS MR per command); without the offer every policy takes page
# lists.
ulp_iser_expect()
{
	if [ "$ULP_ISER_REG" = N ] && [ "$1" = aligned ]; then
		[ "$ULP_DPL" = 0 ] && [ "$ULP_DFB" = 0 ] && [ "$ULP_DDMA" -ge "$2" ]
		return
	fi
	case $ULP_ISER_POLICY:$ULP_MODE:$1 in
	auto:on:aligned|auto:gaps:aligned|*:off:*)
		[ "$ULP_DFB" = 0 ] && [ "$ULP_DPL" -ge "$2" ] ;;
	auto:on:gappy|auto:gaps:gappy)	# the tool's own aligned I/O takes page lists
		[ "$ULP_DFB" -ge "$2" ] ;;
	*:on:*|*:gaps:*)
		[ "$ULP_DPL" = 0 ] && [ "$ULP_DFB" -ge "$2" ] ;;
	*)
		ktap_print_msg "no expectation for reg_policy $ULP_ISER_POLICY, rxe mode $ULP_MODE"
		return 1 ;;
	esac
}

# ulp_iser_io aligned|gappy N CMD...: CMD's data checked and its path.
ulp_iser_io()
{
	local k=$1 n=$2

	shift 2
	ulp_iser_count "$@" && ulp_iser_expect "$k" "$n"
}

# ulp_policy_mrs POLICY: the MRs on RXE_DEV, all of them the ULP's, are
# those of its reg_policy in the pass's rxe mode.  Where rxe offers an MR
# that maps any list, auto gives each command (an iSER descriptor, a slot
# of each SRP pool) a page-list MR and a fallback MR, indirect (on) or
# SG_GAPS (gaps): exactly half of them are fallback MRs; always has
# fallback MRs only; never has SG_GAPS MRs only (Linux 6.12), and so has
# always on an SG_GAPS-only device.  Without the offer (off) every policy
# has page-list MRs only.
ulp_policy_mrs()
{
	local ind gaps all

	ulp_mr_count || return 1
	ind=$ULP_MR_IND gaps=$ULP_MR_GAPS all=$ULP_MR_ALL
	[ "$all" -gt 0 ] || return 1
	case $1:$ULP_MODE in
	auto:on) [ "$gaps" = 0 ] && [ $((2 * ind)) = "$all" ] ;;
	auto:gaps) [ "$ind" = 0 ] && [ $((2 * gaps)) = "$all" ] ;;
	always:on) [ "$gaps" = 0 ] && [ "$ind" = "$all" ] ;;
	never:on|*:gaps) [ "$ind" = 0 ] && [ "$gaps" = "$all" ] ;;
	*:off) [ "$gaps" = 0 ] && [ "$ind" = 0 ] ;;
	*)
		ktap_print_msg "no expectation for reg_policy $1, rxe mode $ULP_MODE"
		return 1 ;;
	esac
}

# SRP's registration counters: attributes of the SCSI host of the target
# port, and at the target (ib_srpt) the commands whose data moved by RDMA
# and the initiator data buffers, one RDMA transfer each, they took.
ULP_SRP_STATS="reg_page_list reg_fallback reg_multi_mr reg_out_of_mrs
	reg_fallback_errors reg_plan_6_12"

# ulp_srp_stats: all of them, into ULP_REG[NAME] (data_cmds, data_bufs
# for the target's).
ulp_srp_stats()
{
	local n port a

	[ -n "$ULP_SRP_HOST" ] || return 1
	ULP_REG=()
	for n in $ULP_SRP_STATS; do
		ULP_REG[$n]=$(cat "$ULP_SRP_HOST/$n") || return 1
	done
	port=$(ulp_srpt_port) || return 1
	a=$ULP_CFG/srpt/$port/$port/attrib
	ULP_REG[data_cmds]=$(cat "$a/data_cmds") &&
		ULP_REG[data_bufs]=$(cat "$a/data_bufs")
}

# ulp_srp_count CMD...: run CMD; set ULP_DPL, ULP_DFB and ULP_DMM to the
# commands it registered through a page list, the fallback MR and several
# MRs, ULP_DCMD and ULP_DBUF to the target's data commands and buffers.
ulp_srp_count()
{
	local -A b
	local k rc

	ulp_srp_stats || { ktap_print_msg "no SRP registration counters"; return 1; }
	for k in "${!ULP_REG[@]}"; do b[$k]=${ULP_REG[$k]}; done
	"$@"
	rc=$?
	ulp_srp_stats || { ktap_print_msg "no SRP registration counters"; return 1; }
	ULP_DPL=$((ULP_REG[reg_page_list] - b[reg_page_list]))
	ULP_DFB=$((ULP_REG[reg_fallback] - b[reg_fallback]))
	ULP_DMM=$((ULP_REG[reg_multi_mr] - b[reg_multi_mr]))
	ULP_DCMD=$((ULP_REG[data_cmds] - b[data_cmds]))
	ULP_DBUF=$((ULP_REG[data_bufs] - b[data_bufs]))
	ktap_print_msg "registered: $ULP_DPL through a page list," \
		"$ULP_DFB through the fallback MR, $ULP_DMM with several MRs;" \
		"the target: $ULP_DCMD data commands, $ULP_DBUF RDMA transfers"
	return $rc
}

# ulp_srp_expect aligned|gappy|big N: the last counted I/O, N commands at
# least, took the path of the pass's policy and rxe mode: one RDMA
# transfer per command at the target, but for the big (4 MiB) commands of
# the stock path, which take several MRs.  As for iSER: where rxe offers
# an MR that maps any list (on, gaps), auto takes a page list for aligned
# buffers and the fallback for gappy ones, always and never the fallback;
# without the offer, page lists.
ulp_srp_expect()
{
	[ "$ULP_DCMD" -ge "$2" ] || return 1
	case $ULP_SRP_POLICY:$ULP_MODE:$1 in
	never:off:big)
		[ "$ULP_DMM" -ge 1 ] && [ "$ULP_DBUF" -gt "$ULP_DCMD" ] &&
			[ "$ULP_DFB" = 0 ]
		return ;;
	esac
	[ "$ULP_DBUF" = "$ULP_DCMD" ] && [ "$ULP_DMM" = 0 ] || return 1
	case $ULP_SRP_POLICY:$ULP_MODE:$1 in
	auto:on:gappy|auto:gaps:gappy)
		[ "$ULP_DFB" -ge "$2" ] ;;
	auto:on:*|auto:gaps:*|*:off:*)
		[ "$ULP_DFB" = 0 ] && [ "$ULP_DPL" -ge "$2" ] ;;
	*:on:*|*:gaps:*)
		[ "$ULP_DPL" = 0 ] && [ "$ULP_DFB" -ge "$2" ] ;;
	*)
		ktap_print_msg "no expectation for reg_policy $ULP_SRP_POLICY, rxe mode $ULP_MODE"
		return 1 ;;
	esac
}

# ulp_srp_io aligned|gappy|big N CMD...: CMD's data checked and its path.
ulp_srp_io()
{
	local k=$1 n=$2

	shift 2
	ulp_srp_count "$@" && ulp_srp_expect "$k" "$n"
}

# ulp_srp_counters: the host's counters: no failed fallback registration
# and never out of MRs.  In a pass where rxe offers an MR that maps any
# list (ULP_MODE on or gaps), every command of the pass took one MR (a
# page list, a fallback MR, or under never one SG_GAPS MR) and one RDMA
# transfer at the target.
ulp_srp_counters()
{
	local n

	ulp_srp_stats || return 1
	for n in $ULP_SRP_STATS data_cmds data_bufs; do
		ktap_print_msg "$n: ${ULP_REG[$n]}"
	done
	[ "${ULP_REG[reg_fallback_errors]}" = 0 ] &&
		[ "${ULP_REG[reg_out_of_mrs]}" = 0 ] || return 1
	ulp_mode_offer "$ULP_MODE" || return 0
	[ "${ULP_REG[reg_multi_mr]}" = 0 ] &&
		[ "${ULP_REG[data_bufs]}" = "${ULP_REG[data_cmds]}" ]
}

# ulp_min N...: the least of the numbers.
ulp_min()
{
	local m=$1 n

	for n in "$@"; do
		[ "$n" -lt "$m" ] && m=$n
	done
	echo "$m"
}

# ulp_srp_path: the reg_policy in effect for the target port, its queue
# limits and the SCSI host's sg_tablesize.  auto and always where rxe
# offers an MR that maps any list: no virt_boundary, and sg_tablesize the
# fallback MR's entries (an indirect MR's with the offer on, an SG_GAPS
# MR's, max_fast_reg_page_list_len, on an SG_GAPS-only device), at most
# one per 4 KiB of the host's max_sectors and SG_MAX_SEGMENTS (2048);
# segments up to the 2 GiB of an indirect MR's entry, or the device's DMA
# segment limit (rxe: 4 GiB - 1) for SG_GAPS MRs.  never: Linux 6.12's
# limits (cmd_sg_entries, 12, with the default login and rxe's offer) but
# that a virt_boundary comes without a segment limit.
ulp_srp_path()
{
	local q=/sys/block/$ULP_BLK/queue eff mss tbl kb fb

	eff=$(cat "$ULP_SRP_HOST/reg_policy") || return 1
	mss=$(cat "$q/max_segment_size") || return 1
	tbl=$(cat "$ULP_SRP_HOST/sg_tablesize") || return 1
	kb=$(cat "$q/max_hw_sectors_kb") || return 1
	ktap_print_msg "reg_policy $eff, sg_tablesize $tbl"
	case $ULP_SRP_POLICY:$ULP_MODE in
	auto:on|always:on)
		fb=$(ulp_min "$ULP_RXE_IND_LEN" $(((kb + 3) / 4)) 2048)
		ktap_print_msg "expected: reg_policy $ULP_SRP_POLICY indirect," \
			"sg_tablesize $fb, max_segment_size 2147483648"
		[ "$eff" = "$ULP_SRP_POLICY indirect" ] &&
			[ "$mss" = 2147483648 ] && [ "$tbl" = "$fb" ] ;;
	auto:gaps|always:gaps)
		fb=$(ulp_min "$ULP_RXE_FRMR_LEN" $(((kb + 3) / 4)) 2048)
		ktap_print_msg "expected: reg_policy $ULP_SRP_POLICY sg_gaps," \
			"sg_tablesize $fb, max_segment_size 4294967295"
		[ "$eff" = "$ULP_SRP_POLICY sg_gaps" ] &&
			[ "$mss" = 4294967295 ] && [ "$tbl" = "$fb" ] ;;
	*:on|*:gaps)
		[ "$eff" = never ] && [ "$mss" = 4294967295 ] && [ "$tbl" = 12 ] ;;
	*)
		[ "$eff" = never ] && [ "$mss" = 4294967295 ] ;;
	esac && ulp_policy_mrs "$ULP_SRP_POLICY"
}

# ulp_rmw: O_DIRECT read-modify-write through a discontiguous buffer
# (ulp_io.py rmw), the bytes checked.
ulp_rmw()
{
	local out rc

	out=$($ULP_IO rmw "$(ulp_target rmw)" 2>&1)
	rc=$?
	grep -v '=' <<<"$out" | sed 's/^\([^#]\)/# \1/'
	return $rc
}

# ulp_iser_no_fallback_errors: the session's counters, and no failed
# fallback registration.
ulp_iser_no_fallback_errors()
{
	local n

	ulp_iser_stats || return 1
	for n in $ULP_ISER_STATS; do
		ktap_print_msg "$n: ${ULP_REG[$n]}"
	done
	[ "${ULP_REG[reg_fallback_errors]}" = 0 ]
}

# ulp_iser_path: ib_iser loaded with the pass's parameters, the disk's
# max_segments (the SCSI host's sg_tablesize) and the MRs of the pass.
# Where commands may take the fallback MR (auto where rxe offers an MR
# that maps any list, always with indirect MRs) sg_tablesize is the
# entries of a fallback MR (an indirect MR's, or on an SG_GAPS-only device
# an SG_GAPS MR's, max_fast_reg_page_list_len), at most one per 4 KiB of
# ib_iser's max_sectors and 4096; else Linux 6.12's: the 4 KiB pages of
# the largest command, at most a page list's (less one for a misaligned
# start without SG_GAPS).  The SCSI midlayer caps it at SG_MAX_SEGMENTS.
ulp_iser_path()
{
	local p=/sys/module/ib_iser/parameters seg ms fb want

	if [ "$(cat $p/reg_policy)" != "$ULP_ISER_POLICY" ] ||
		[ "$(cat $p/always_register)" != "$ULP_ISER_REG" ]; then
		ktap_print_msg "ib_iser has reg_policy $(cat $p/reg_policy)," \
			"always_register $(cat $p/always_register)"
		return 1
	fi
	ms=$(cat $p/max_sectors) || return 1
	seg=$(cat "/sys/block/$ULP_BLK/queue/max_segments") || return 1
	case $ULP_ISER_POLICY:$ULP_MODE in
	auto:on|always:on) fb=$ULP_RXE_IND_LEN ;;
	auto:gaps) fb=$ULP_RXE_FRMR_LEN ;;
	esac
	if [ -n "$fb" ]; then
		want=$(ulp_min "$fb" $(((ms + 7) / 8)) 4096)
	elif ulp_mode_offer "$ULP_MODE"; then
		want=$(ulp_min $(((ms + 7) / 8)) 4096 "$ULP_RXE_FRMR_LEN")
	else
		want=$(ulp_min $(((ms + 7) / 8)) 4096 $((ULP_RXE_FRMR_LEN - 1)))
	fi
	want=$(ulp_min "$want" 2048)
	ktap_print_msg "expected: max_segments $want"
	[ "$seg" = "$want" ] && ulp_policy_mrs "$ULP_ISER_POLICY"
}

# ulp_scsi_path MODE: the queue limits and MRs of the path the ULP chose:
# no virt_boundary where rxe offers an MR that maps any list (under every
# policy: never takes SG_GAPS MRs), else Linux 6.12's 4 KiB one; then
# those of the transport.
ulp_scsi_path()
{
	local q=/sys/block/$ULP_BLK/queue vb want=4095

	vb=$(ulp_virt_boundary) || return 1
	ktap_print_msg "$ULP_BLK: virt_boundary_mask $vb," \
		"max_segments $(cat $q/max_segments)," \
		"max_segment_size $(cat $q/max_segment_size)," \
		"max_sectors_kb $(cat $q/max_sectors_kb)"
	ulp_mode_offer "$1" && want=0
	if [ "$vb" != "$want" ]; then
		ktap_print_msg "expected: virt_boundary_mask $want"
		return 1
	fi
	if [ "$ULP_TRANSPORT" = iser ]; then
		ulp_iser_path
	else
		ulp_srp_path
	fi
}

# ulp_gappy_path MODE: 16 gappy O_DIRECT I/Os, each 16 iovecs that start
# 512 bytes into a page, data checked.  Each iovec spans two pages (one
# segment where they are contiguous), so an I/O has 16 to 32 segments.
# Where rxe offers an MR that maps any list there is no virt_boundary and
# one MR takes a whole request: an I/O is exactly one block-layer request
# wherever max_segments holds 32 segments, else it needs from 16 to 32
# segments' worth of requests (SRP's never, sg_tablesize 12: 2 or 3).
# Without the offer the 4 KiB virt_boundary splits it at every iovec and
# nowhere else: exactly 16.  A file (NFS, SMB) has no block-layer
# counters: ulp_fs_path checks which MRs carried its data.
ulp_gappy_path()
{
	local k=16 segs=32 max lo hi

	ulp_gappy gappy --ios 16 --iovecs $k || return 1
	[ -n "$ULP_RPW" ] || return 0
	max=$(cat "/sys/block/$ULP_BLK/queue/max_segments") || return 1
	if ulp_mode_offer "$1"; then
		lo=$(((k + max - 1) / max)) hi=$(((segs + max - 1) / max))
	else
		lo=$k hi=$k
	fi
	ktap_print_msg "requests per gappy I/O: write $ULP_RPW, read $ULP_RPR" \
		"(max_segments $max; expected $lo$([ "$hi" = "$lo" ] || echo " to $hi"))"
	awk -v w="$ULP_RPW" -v r="$ULP_RPR" -v lo="$lo" -v hi="$hi" \
		'BEGIN { exit !(w >= lo && w <= hi && r >= lo && r <= hi) }'
}

ULP_SCSI_CASES=8
ULP_ISER_EXTRA=1
ULP_SRP_EXTRA=3

# ulp_run_scsi TRANSPORT MODE: ULP_SCSI_CASES tests, and for iSER and SRP
# the registration counters of the aligned and gappy I/O and
# ULP_ISER_EXTRA or ULP_SRP_EXTRA more.
ulp_run_scsi()
{
	local t=$1 m=$2 aio=(--ioengine=libaio --direct=1 --rw=randwrite)
	local l al=() gap=()

	ULP_MODE=$m
	l=$(ulp_label "$m" "$t")
	if [ "$t" = iser ]; then
		al=(ulp_iser_io aligned 1)
		gap=(ulp_iser_io gappy 32)
	elif [ "$t" = srp ]; then
		al=(ulp_srp_io aligned 1)
		gap=(ulp_srp_io gappy 32)
	fi
	ulp_begin "$m" "$t"
	ulp_case "$l registration path (queue limits, MR kinds)" \
		ulp_scsi_path "$m"
	ulp_case "$l fio verify, 4k, queue depth 1, page-aligned buffers" \
		"${al[@]}" ulp_fio "$t-4k" "${aio[@]}" --bs=4k --iodepth=1
	ulp_case "$l fio verify, 64k, queue depth 8, buffers 512 bytes into a page" \
		ulp_fio "$t-64k" "${aio[@]}" --bs=64k --iodepth=8 --iomem_align=512
	ulp_case "$l fio verify, 1m, queue depth 2, buffers 512 bytes into a page" \
		ulp_fio "$t-1m" "${aio[@]}" --bs=1m --iodepth=2 --iomem_align=512 --size=8m
	ulp_case "$l gappy O_DIRECT iovecs, bytes checked, requests per I/O" \
		"${gap[@]}" ulp_gappy_path "$m"
	ulp_case "$l SG_IO passthrough from byte-granular buffers, sg_dd copy" \
		ulp_sgio
	[ "$t" = iser ] &&
		ulp_case "$l registration counters, no failed fallback" \
			ulp_iser_no_fallback_errors
	if [ "$t" = srp ]; then
		ulp_case "$l O_DIRECT read-modify-write, discontiguous buffer, bytes checked" \
			ulp_srp_io gappy 16 ulp_rmw
		ulp_case "$l fio verify, 4m, RDMA transfers per command at the target" \
			ulp_srp_io big 1 ulp_fio "$t-4m" --ioengine=libaio \
			--direct=1 --rw=write --bs=4m --iodepth=1 --size=16m
		ulp_case "$l registration counters, no failed fallback, never out of MRs" \
			ulp_srp_counters
	fi
	ulp_end "$m"
}

# ulp_fs_is_rdma: the mount runs over RDMA (NFS: proto=rdma on the RDMA
# port; SMB: SMB Direct).
ulp_fs_is_rdma()
{
	case $ULP_TRANSPORT in
	nfs*) ulp_nfs_is_rdma ;;
	smb) ulp_smb_is_rdma ;;
	*) return 1 ;;
	esac
}

# ulp_fs_holder TRANSPORT: the kernel module whose MRs carry a network
# filesystem's data, as rdma resource names it: the NFS client's xprtrdma
# (rpcrdma; knfsd's svcrdma is in the same module, but on rxe it registers
# no MR: rdma_rw takes MRs only on iWARP, with max_sgl_rd or with
# ib_core.force_mr, and would take page-list ones, which ulp_fs_path does
# not let pass with rxe's offer), or SMB Direct in cifs (ksmbd's MRs are
# [ksmbd]'s).
ulp_fs_holder()
{
	case $1 in
	nfs*) echo rpcrdma ;;
	smb) echo cifs ;;
	esac
}

# ulp_fs_path MODE: while mounted and after I/O, which MRs carried the
# data: xprtrdma and SMB Direct allocate IB_MR_TYPE_SG_GAPS MRs where the
# device sets IBK_SG_GAPS_REG, indirect or not (on, gaps), so every MR the
# client holds is an SG_GAPS MR and some of them have been mapped; without
# the offer (off) they are page-list MRs, none of them SG_GAPS or
# indirect.
ulp_fs_path()
{
	local h

	h=$(ulp_fs_holder "$ULP_TRANSPORT")
	[ -n "$h" ] && ulp_mr_count "$h" || return 1
	if [ "$ULP_MR_ALL" = 0 ]; then
		ktap_print_msg "no MR of [$h] on $RXE_DEV"
		return 1
	fi
	if ulp_mode_offer "$1"; then
		[ "$ULP_MR_GAPS" = "$ULP_MR_ALL" ] && [ "$ULP_MR_MAPPED" -gt 0 ]
	else
		[ "$ULP_MR_GAPS" = 0 ] && [ "$ULP_MR_IND" = 0 ]
	fi
}

ULP_FS_CASES=9

# ulp_gappy_breaks TRANSPORT MODE: true for the one known failure of a
# stock path, which the test leaves out (and says so): without SG_GAPS,
# cifs maps an O_DIRECT iovec that is not page-contiguous into a page-list
# MR, ib_map_mr_sg() stops at the first gap, and SMB Direct tears the
# connection down.  With SG_GAPS the same I/O passes.
ulp_gappy_breaks()
{
	[ "$1" = smb ] && [ "$2" = off ]
}

# ulp_run_fs TRANSPORT MODE: ULP_FS_CASES tests of a network filesystem
# (nfs4, nfs3, smb).
ulp_run_fs()
{
	local t=$1 m=$2 aio=(--ioengine=libaio --direct=1 --rw=randwrite)
	local l

	ULP_MODE=$m
	l=$(ulp_label "$m" "$t")
	ulp_begin "$m" "$t"
	ulp_case "$l mount runs over RDMA" \
		ulp_fs_is_rdma
	ulp_case "$l fio verify, O_DIRECT 4k, queue depth 1, buffers 512 bytes into a page" \
		ulp_fio "$t-4k" "${aio[@]}" --bs=4k --iodepth=1 --iomem_align=512
	ulp_case "$l fio verify, O_DIRECT 64k, queue depth 8, buffers 512 bytes into a page" \
		ulp_fio "$t-64k" "${aio[@]}" --bs=64k --iodepth=8 --iomem_align=512
	ulp_case "$l fio verify, buffered 1m writes" \
		ulp_fio "$t-1m" --ioengine=psync --direct=0 --rw=write --bs=1m --size=8m
	if ulp_gappy_breaks "$t" "$m"; then
		ktap_print_msg "gappy O_DIRECT iovecs not run: stock SMB Direct" \
			"(cifs) cannot register them in a page-list MR" \
			"(ib_map_mr_sg() maps part of the list, smbd_register_mr()" \
			"fails and the connection goes down)"
	else
		ulp_case "$l gappy O_DIRECT iovecs, bytes checked" \
			ulp_gappy_path "$m"
	fi
	ulp_case "$l files equal on client and server after drop_caches" \
		ulp_checksums
	ulp_case "$l registration path: kind of the MRs of [$(ulp_fs_holder "$t")] after I/O" \
		ulp_fs_path "$m"
	ulp_end "$m"
}

# The default passes of iSER and SRP: every policy with rxe's offer on
# (indirect and SG_GAPS MRs), never (Linux 6.12) with it off, and auto on
# a device that offers SG_GAPS only, as mlx5 does (there always and never
# both take Linux 6.12's SG_GAPS MR per command); for iSER also auto with
# always_register=N, where a buffer of one DMA element goes with the local
# DMA lkey.
ULP_SCSI_PASSES="auto:on always:on never:on never:off auto:gaps"

# ulp_iser_passes: iSER's passes, one per POLICY[+noreg]:MODE word of
# ULP_ISER_PASSES (+noreg: ib_iser loaded with always_register=N).
ulp_iser_passes()
{
	local p

	for p in ${ULP_ISER_PASSES:-$ULP_SCSI_PASSES auto+noreg:on}; do
		printf 'iser@%s ' "$p"
	done
}

# ulp_srp_passes: SRP's passes, one per POLICY:MODE word of
# ULP_SRP_PASSES.
ulp_srp_passes()
{
	local p

	for p in ${ULP_SRP_PASSES:-$ULP_SCSI_PASSES}; do
		printf 'srp@%s ' "$p"
	done
}

# ulp_mode_passes TRANSPORT: "TRANSPORT:MODE ..." for each MODE in
# ULP_MODES (rxe's modes to run with, on, gaps or off; default "on off").
ulp_mode_passes()
{
	local m

	for m in ${ULP_MODES:-on off}; do
		printf '%s:%s ' "$1" "$m"
	done
}

# ulp_main PASSES: the whole test, one pass per TRANSPORT:MODE word.
ulp_main()
{
	local passes p t n=0

	read -r -a passes <<<"$1"
	for p in "${passes[@]}"; do
		case ${p%%:*} in
		iser*) n=$((n + ULP_SCSI_CASES + ULP_ISER_EXTRA)) ;;
		srp*) n=$((n + ULP_SCSI_CASES + ULP_SRP_EXTRA)) ;;
		nvme*) n=$((n + ULP_NVME_CASES)) ;;
		*) n=$((n + ULP_FS_CASES)) ;;
		esac
		ulp_gappy_breaks "${p%%:*}" "${p#*:}" && n=$((n - 1))
	done
	ktap_set_plan $n
	trap ulp_cleanup EXIT
	for p in "${passes[@]}"; do
		t=${p%%:*}
		# iser@POLICY, srp@POLICY: the ULP's reg_policy for the pass;
		# iser@POLICY+noreg: and ib_iser's always_register=N
		ULP_ISER_POLICY=auto ULP_SRP_POLICY=auto ULP_ISER_REG=Y
		ULP_NVME_POLICY=auto
		case $t in
		iser@*) ULP_ISER_POLICY=${t#*@} t=${t%@*} ;;
		srp@*) ULP_SRP_POLICY=${t#*@} t=${t%@*} ;;
		nvme@*) ULP_NVME_POLICY=${t#*@} t=${t%@*} ;;
		esac
		if [ "${ULP_ISER_POLICY%+noreg}" != "$ULP_ISER_POLICY" ]; then
			ULP_ISER_POLICY=${ULP_ISER_POLICY%+noreg} ULP_ISER_REG=N
		fi
		case $t in
		iser|srp) ulp_run_scsi "$t" "${p#*:}" ;;
		nvme) ulp_run_nvme "${p#*:}" ;;
		*) ulp_run_fs "$t" "${p#*:}" ;;
		esac
	done
	ktap_print_msg "ran in $SECONDS s"
	ktap_finished
}
