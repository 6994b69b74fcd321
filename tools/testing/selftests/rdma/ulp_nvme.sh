# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# NVMe over RDMA for the storage-ULP harness (sourced by ulp_lib.sh):
# nvmet, the kernel target, configured through configfs (a subsystem with
# one namespace on a memory-backed null_blk disk, an RDMA port on
# RXE_ADDR:4420), and nvme-rdma connected to it with nvme-cli's
# 'nvme connect -t rdma'.  ulp_attach nvme sets ULP_BLK (nvmeXnY) and
# ULP_NVME_CTRL (/sys/class/nvme/nvmeX), whose rdma_reg/ directory holds
# the controller's registration plan and counters.

ULP_NVME_NQN=nqn.2014-08.org.example.wbguest:ulp
ULP_NVME_PORT=4420
ULP_NVMET=/sys/kernel/config/nvmet
ULP_NVME_NULLB=/sys/kernel/config/nullb/ulp_nvme
ULP_NVME_PARAM=/sys/module/nvme_rdma/parameters/reg_policy
ULP_NVME_POLICY=auto	# nvme-rdma reg_policy of the pass
ULP_NVME_CTRL=
# what a controller connects with: keep-alive 5 s (the default of
# fabrics), reconnect every 2 s for up to 2 minutes after a failure
ULP_NVME_CONNECT_DEFAULT="--keep-alive-tmo=5 --reconnect-delay=2 --ctrl-loss-tmo=120"
ULP_NVME_CONNECT_OPTS=${ULP_NVME_CONNECT_OPTS:-$ULP_NVME_CONNECT_DEFAULT}

# ulp_nvme_target_up: the null_blk disk and nvmet's subsystem and port.
ulp_nvme_target_up()
{
	local s=$ULP_NVMET/subsystems/$ULP_NVME_NQN p=$ULP_NVMET/ports/1 nb

	modprobe null_blk nr_devices=0 || return 1
	if [ ! -d "$ULP_NVME_NULLB" ]; then
		mkdir "$ULP_NVME_NULLB" &&
			echo 1 > "$ULP_NVME_NULLB/memory_backed" &&
			echo "$ULP_RD_MB" > "$ULP_NVME_NULLB/size" &&
			echo 1 > "$ULP_NVME_NULLB/power" || return 1
	fi
	nb=/dev/${ULP_NVME_NULLB##*/}
	[ -b "$nb" ] || nb=/dev/nullb$(cat "$ULP_NVME_NULLB/index")
	ulp_wait_path "$nb" >/dev/null ||
		{ ktap_print_msg "no null_blk disk $nb"; return 1; }
	[ -d "$ULP_NVMET" ] || { ktap_print_msg "no $ULP_NVMET"; return 1; }
	if [ ! -d "$s" ]; then
		mkdir "$s" && echo 1 > "$s/attr_allow_any_host" &&
			mkdir "$s/namespaces/1" &&
			echo -n "$nb" > "$s/namespaces/1/device_path" &&
			echo 1 > "$s/namespaces/1/enable" || return 1
	fi
	if [ ! -d "$p" ]; then
		mkdir "$p" && echo rdma > "$p/addr_trtype" &&
			echo ipv4 > "$p/addr_adrfam" &&
			echo "$RXE_ADDR" > "$p/addr_traddr" &&
			echo "$ULP_NVME_PORT" > "$p/addr_trsvcid" || return 1
	fi
	[ -e "$p/subsystems/$ULP_NVME_NQN" ] ||
		ln -s "$s" "$p/subsystems/$ULP_NVME_NQN"
}

# ulp_nvme_port_down: the subsystem off nvmet's port and the port gone,
# which ends the host's connections and its reconnects find no listener.
ulp_nvme_port_down()
{
	local p=$ULP_NVMET/ports/1

	if [ -L "$p/subsystems/$ULP_NVME_NQN" ]; then
		rm "$p/subsystems/$ULP_NVME_NQN" || return 1
	fi
	[ ! -d "$p" ] || rmdir "$p"
}

# ulp_nvme_target_down: undo ulp_nvme_target_up.
ulp_nvme_target_down()
{
	local s=$ULP_NVMET/subsystems/$ULP_NVME_NQN

	ulp_nvme_port_down || return 1
	if [ -d "$s" ]; then
		echo 0 > "$s/namespaces/1/enable"
		rmdir "$s/namespaces/1" && rmdir "$s" || return 1
	fi
	if [ -d "$ULP_NVME_NULLB" ]; then
		echo 0 > "$ULP_NVME_NULLB/power" && rmdir "$ULP_NVME_NULLB" ||
			return 1
	fi
	modprobe -r null_blk 2>/dev/null
	return 0
}

# ulp_nvme_ctrl: the controller connected to the subsystem, if any.
ulp_nvme_ctrl()
{
	local c

	for c in /sys/class/nvme/nvme*; do
		[ "$(cat "$c/subsysnqn" 2>/dev/null)" = "$ULP_NVME_NQN" ] &&
			[ "$(cat "$c/transport" 2>/dev/null)" = rdma ] &&
			{ echo "$c"; return 0; }
	done
	return 1
}

ulp_nvme_attach()
{
	local c b _

	ulp_nvme_target_up || { ktap_print_msg "nvmet set-up failed"; return 1; }
	modprobe nvme-rdma || return 1
	if [ -e "$ULP_NVME_PARAM" ]; then
		echo "$ULP_NVME_POLICY" > "$ULP_NVME_PARAM" || return 1
	elif [ "$ULP_NVME_POLICY" != stock ]; then
		ktap_print_msg "nvme_rdma has no reg_policy (an unpatched kernel)"
		return 1
	fi
	# shellcheck disable=SC2086 # options: split on purpose
	timeout 120 nvme connect -t rdma -a "$RXE_ADDR" -s "$ULP_NVME_PORT" \
		-n "$ULP_NVME_NQN" $ULP_NVME_CONNECT_OPTS >/dev/null ||
		{ ktap_print_msg "nvme connect -t rdma failed"; return 1; }
	for _ in $(seq 100); do
		c=$(ulp_nvme_ctrl) && break
		sleep 0.2
	done
	[ -n "$c" ] || { ktap_print_msg "no controller for $ULP_NVME_NQN"; return 1; }
	ULP_NVME_CTRL=$c
	# the namespace's disk: nvmeXnY, the multipath head where nvme_core
	# has multipath (its paths, nvmeXcYnZ, have no /dev node)
	for _ in $(seq 100); do
		b=$(find /sys/block -maxdepth 1 -regex '.*/nvme[0-9]+n[0-9]+' |
			head -n 1)
		[ -n "$b" ] && break
		sleep 0.2
	done
	[ -n "$b" ] || { ktap_print_msg "no namespace disk appeared"; return 1; }
	ULP_BLK=${b##*/}
	ulp_wait_path "/dev/$ULP_BLK" >/dev/null
}

# ulp_nvme_detach: disconnect (nvme-cli waits for the controller to go)
# and take the target down.
ulp_nvme_detach()
{
	local rc=0

	if ulp_nvme_ctrl >/dev/null; then
		timeout 120 nvme disconnect -n "$ULP_NVME_NQN" >/dev/null || rc=1
	fi
	ULP_NVME_CTRL=
	ulp_nvme_target_down || rc=1
	return $rc
}

# ulp_nvme_reg NAME: the controller's registration counter or plan NAME
# (/sys/class/nvme/nvmeX/rdma_reg/NAME).
ulp_nvme_reg()
{
	cat "$ULP_NVME_CTRL/rdma_reg/$1"
}

# ulp_nvme_gaps: the pass's controller registers any list (reg_policy
# auto or always where rxe offers an MR that maps any list).
ulp_nvme_gaps()
{
	[ "$ULP_NVME_POLICY" != never ] && ulp_mode_offer "$ULP_MODE"
}

# ulp_nvme_path: the controller's plan (rdma_reg/mode), the disk's queue
# limits and the MRs of nvme-rdma.  With a plan that maps any list: no
# virt_boundary, a fallback MR (indirect with rxe's offer on, SG_GAPS on
# an SG_GAPS-only device) next to each page-list MR, and max_segments
# the fallback MR's entries, at most the 256 pages nvme-rdma's page
# lists map (NVME_RDMA_MAX_SEGMENTS); else Linux 6.12's: a 4 KiB
# virt_boundary and page-list MRs only.  max_hw_sectors stays what a page
# list maps, max_segment_size is not limited.
ulp_nvme_path()
{
	local q=/sys/block/$ULP_BLK/queue mode vb seg mss kb want_mode

	mode=$(ulp_nvme_reg mode) || return 1
	vb=$(cat "$q/virt_boundary_mask") || return 1
	seg=$(cat "$q/max_segments") || return 1
	mss=$(cat "$q/max_segment_size") || return 1
	kb=$(cat "$q/max_hw_sectors_kb") || return 1
	ktap_print_msg "$ULP_NVME_CTRL: rdma_reg/mode $mode;" \
		"$ULP_BLK: virt_boundary_mask $vb, max_segments $seg," \
		"max_segment_size $mss, max_hw_sectors_kb $kb"
	want_mode=page_list
	if ulp_nvme_gaps; then
		case $ULP_MODE in
		on) want_mode=indirect ;;
		gaps) want_mode=sg_gaps ;;
		esac
		[ "$ULP_NVME_POLICY" = auto ] && want_mode=page_list+$want_mode
	fi
	ktap_print_msg "expected: mode $want_mode, virt_boundary_mask" \
		"$(ulp_nvme_gaps && echo 0 || echo 4095), max_segments 256," \
		"max_hw_sectors_kb 1024, max_segment_size 4294967295"
	[ "$mode" = "$want_mode" ] && [ "$seg" = 256 ] && [ "$kb" = 1024 ] &&
		[ "$mss" = 4294967295 ] || return 1
	if ulp_nvme_gaps; then
		[ "$vb" = 0 ] || return 1
	else
		[ "$vb" = 4095 ] || return 1
	fi
	ulp_nvme_mrs
}

# ulp_nvme_mrs: nvme-rdma's MRs on RXE_DEV: with a plan that maps any
# list, a fallback MR next to each page-list MR of the I/O queues, so the
# page-list MRs are the fallback MRs and the admin queue's 32
# (NVME_AQ_DEPTH), which has none: indirect with rxe's offer on, SG_GAPS
# on an SG_GAPS-only device; page-list MRs only with Linux 6.12's plan.
ulp_nvme_mrs()
{
	local fb

	ulp_mr_count nvme_rdma || return 1
	[ "$ULP_MR_ALL" -gt 0 ] || return 1
	if ! ulp_nvme_gaps; then
		[ "$ULP_MR_IND" = 0 ] && [ "$ULP_MR_GAPS" = 0 ]
		return
	fi
	if [ "$ULP_MODE" = on ]; then
		fb=$ULP_MR_IND
		[ "$ULP_MR_GAPS" = 0 ] || return 1
	else
		fb=$ULP_MR_GAPS
		[ "$ULP_MR_IND" = 0 ] || return 1
	fi
	[ "$fb" -gt 0 ] && [ $((2 * fb + 32)) = "$ULP_MR_ALL" ]
}

# ulp_nvme_io aligned|gappy N CMD...: run CMD (its data checked), then the
# path its commands took (at least N of them registered): auto takes a
# page list for aligned buffers and the fallback for gappy ones, always
# the fallback for every one; Linux 6.12's plan page lists only.
ulp_nvme_io()
{
	local k=$1 n=$2 pl fb rc

	shift 2
	pl=$(ulp_nvme_reg page_list) && fb=$(ulp_nvme_reg fallback) || return 1
	"$@"
	rc=$?
	ULP_DPL=$(($(ulp_nvme_reg page_list) - pl))
	ULP_DFB=$(($(ulp_nvme_reg fallback) - fb))
	ktap_print_msg "registered: $ULP_DPL through a page list," \
		"$ULP_DFB through the fallback MR"
	[ $rc = 0 ] || return $rc
	if ! ulp_nvme_gaps; then
		[ "$ULP_DFB" = 0 ] && [ "$ULP_DPL" -ge "$n" ]
	elif [ "$ULP_NVME_POLICY" = always ]; then
		[ "$ULP_DPL" = 0 ] && [ "$ULP_DFB" -ge "$n" ]
	elif [ "$k" = aligned ]; then
		[ "$ULP_DFB" = 0 ] && [ "$ULP_DPL" -ge "$n" ]
	else
		# the tool's own aligned I/O takes page lists
		[ "$ULP_DFB" -ge "$n" ]
	fi
}

# ulp_nvme_no_fallback_errors: the counters, and no failed fallback
# registration.
ulp_nvme_no_fallback_errors()
{
	local n

	for n in page_list fallback fallback_errors plan_6_12; do
		ktap_print_msg "rdma_reg/$n: $(ulp_nvme_reg $n)"
	done
	[ "$(ulp_nvme_reg fallback_errors)" = 0 ]
}

# ulp_nvme_counters: those, and no fall back to 6.12's plan.
ulp_nvme_counters()
{
	ulp_nvme_no_fallback_errors && [ "$(ulp_nvme_reg plan_6_12)" = 0 ]
}

ULP_NVME_CASES=9

# ulp_run_nvme MODE: ULP_NVME_CASES tests of NVMe/RDMA with nvme-rdma's
# reg_policy ULP_NVME_POLICY and rxe in MODE.
ulp_run_nvme()
{
	local m=$1 l aio=(--ioengine=libaio --direct=1 --rw=randwrite)

	ULP_MODE=$m
	l=$(ulp_label "$m" nvme)
	ulp_begin "$m" nvme
	ulp_case "$l registration path (plan, queue limits, MR kinds)" \
		ulp_nvme_path
	ulp_case "$l fio verify, 4k, queue depth 1, page-aligned buffers" \
		ulp_nvme_io aligned 1 ulp_fio nvme-4k "${aio[@]}" --bs=4k --iodepth=1
	ulp_case "$l fio verify, 64k, queue depth 8, buffers 512 bytes into a page" \
		ulp_fio nvme-64k "${aio[@]}" --bs=64k --iodepth=8 --iomem_align=512
	ulp_case "$l fio verify, 1m, queue depth 2, buffers 512 bytes into a page" \
		ulp_fio nvme-1m "${aio[@]}" --bs=1m --iodepth=2 --iomem_align=512 --size=8m
	ulp_case "$l gappy O_DIRECT iovecs, bytes checked, requests per I/O" \
		ulp_nvme_io gappy 32 ulp_gappy_path \
		"$(ulp_nvme_gaps && echo "$m" || echo off)"
	ulp_case "$l O_DIRECT read-modify-write, discontiguous buffer, bytes checked" \
		ulp_nvme_io gappy 16 ulp_rmw
	ulp_case "$l registration counters, no failed fallback" \
		ulp_nvme_counters
	ulp_end "$m"
}

# ulp_nvme_passes: NVMe/RDMA's passes, one per POLICY:MODE word of
# ULP_NVME_PASSES.
ulp_nvme_passes()
{
	local p

	for p in ${ULP_NVME_PASSES:-auto:on always:on never:on auto:gaps auto:off}; do
		printf 'nvme@%s ' "$p"
	done
}
