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
# and ULP_FILE (a file on the mount) for NFS.  What is a transport's own
# (its set-up, attach and detach, counters and path checks) lives in a
# file of its own: ulp_iser.sh, ulp_srp.sh, ulp_nvme.sh and ulp_fs.sh
# (NFS and SMB Direct); this file has what they share.  ulp_cleanup
# undoes whatever is still set up and restores the module parameters;
# call it on EXIT.

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

# each transport's set-up, attach/detach, counters and path checks
. "$ULP_DIR/ulp_iser.sh"
. "$ULP_DIR/ulp_srp.sh"
. "$ULP_DIR/ulp_nvme.sh"
. "$ULP_DIR/ulp_fs.sh"

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

# the registration counters ulp_iser_stats and ulp_srp_stats read
declare -gA ULP_REG

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

# ulp_min N...: the least of the numbers.
ulp_min()
{
	local m=$1 n

	for n in "$@"; do
		[ "$n" -lt "$m" ] && m=$n
	done
	echo "$m"
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

ULP_FS_CASES=9

# The default passes of iSER and SRP: every policy with rxe's offer on
# (indirect and SG_GAPS MRs), never (Linux 6.12) with it off, and auto on
# a device that offers SG_GAPS only, as mlx5 does (there always and never
# both take Linux 6.12's SG_GAPS MR per command); for iSER also auto with
# always_register=N, where a buffer of one DMA element goes with the local
# DMA lkey.
ULP_SCSI_PASSES="auto:on always:on never:on never:off auto:gaps"

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
