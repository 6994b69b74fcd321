# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# SRP for the storage-ULP harness (sourced by ulp_lib.sh): ib_srpt on
# LIO, ib_srp logged in through add_target; reg_policy, the registration
# counters of the SCSI host and ib_srpt's, and the path each command
# took.

# SRP's registration counters: attributes of the SCSI host of the target
# port, and at the target (ib_srpt) the commands whose data moved by RDMA
# and the initiator data buffers, one RDMA transfer each, they took.
ULP_SRP_STATS="reg_page_list reg_fallback reg_multi_mr reg_out_of_mrs
	reg_fallback_errors reg_plan_6_12"

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

# ulp_srpt_attrib: the directory of the target port's attributes (its
# data_cmds and data_bufs counters)
ulp_srpt_attrib()
{
	local port

	port=$(ulp_srpt_port) || return 1
	echo "$ULP_CFG/srpt/$port/$port/attrib"
}

# ulp_srp_stats: all of them, into ULP_REG[NAME] (data_cmds, data_bufs
# for the target's).
ulp_srp_stats()
{
	local n a

	[ -n "$ULP_SRP_HOST" ] || return 1
	ULP_REG=()
	for n in $ULP_SRP_STATS; do
		ULP_REG[$n]=$(cat "$ULP_SRP_HOST/$n") || return 1
	done
	a=$(ulp_srpt_attrib) || return 1
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

# ulp_srp_passes: SRP's passes, one per POLICY:MODE word of
# ULP_SRP_PASSES.
ulp_srp_passes()
{
	local p

	for p in ${ULP_SRP_PASSES:-$ULP_SCSI_PASSES}; do
		printf 'srp@%s ' "$p"
	done
}
