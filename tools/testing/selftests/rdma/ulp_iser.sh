# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# iSER for the storage-ULP harness (sourced by ulp_lib.sh): LIO's iSCSI
# target with iSER on its portal, open-iscsi logged in with -I iser;
# ib_iser's reg_policy, its registration counters (iscsiadm -m session
# -r SID -s) and the path each command took.

# ulp_iser_stat NAME: the iSER registration counter NAME of the session
# (a custom statistic of iscsiadm -m session -r SID -s).
ULP_ISER_STATS="reg_dma_lkey reg_page_list reg_fallback reg_fallback_errors
	reg_plan_6_12"

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

# ulp_iser_passes: iSER's passes, one per POLICY[+noreg]:MODE word of
# ULP_ISER_PASSES (+noreg: ib_iser loaded with always_register=N).
ulp_iser_passes()
{
	local p

	for p in ${ULP_ISER_PASSES:-$ULP_SCSI_PASSES auto+noreg:on}; do
		printf 'iser@%s ' "$p"
	done
}
