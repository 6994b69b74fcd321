#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Part of the guest job of 'make bench': bench-ulp.bash iser|srp.
# iSER (LIO target with iSER on its portal, open-iscsi with -I iser) or
# SRP (ib_srpt, ib_srp add_target with the default login) over rxe0 and a
# 64 MiB ramdisk, under each reg_policy of the initiator, in one boot:
# auto, always and never with rxe's indirect and SG_GAPS offer, and never
# without it (the stock path).  O_DIRECT random reads (ulp_io.py bench)
# of page-aligned buffers, buffers 512 bytes into a page and gappy iovecs
# (4 KiB each, 512 bytes into its own page), several sizes and queue
# depths, WB_BENCH_REPS runs of WB_BENCH_SECONDS each: median IOPS
# (min-max), MB/s, block-layer requests per I/O, guest CPU time per I/O,
# and for SRP the RDMA transfers per command at the target (ib_srpt's
# data_bufs over data_cmds).  Then the ratios the iSER and SRP issues set
# as targets.  Lines start with "bench iser" or "bench srp".
. "$WB_KSFT/kselftest/ktap_helpers.sh"
. "$WB_KSFT/rdma/rxe_lib.sh"
. "$WB_KSFT/rdma/ulp_lib.sh"

t=$1
reps=${WB_BENCH_REPS:-3}
secs=${WB_BENCH_SECONDS:-2}
passes=${WB_BENCH_ULP_PASSES:-auto:on always:on never:on never:off}
sizes=${WB_BENCH_ULP_SIZES:-4096 65536}
depths=${WB_BENCH_ULP_QD:-1 8}
declare -A iops

# one cell: median, min and max IOPS of $reps runs, and the medians of
# the other figures
cell()
{
	local pass=$1 bs=$2 qd=$3 layout=$4 r out v=() mb=() rq=() cpu=()
	local c0 b0 xfer=

	if [ "$t" = srp ]; then
		ulp_srp_stats || return 1
		c0=${ULP_REG[data_cmds]} b0=${ULP_REG[data_bufs]}
	fi
	for r in $(seq "$reps"); do
		out=$($ULP_IO bench "/dev/$ULP_BLK" --layout "$layout" --bs "$bs" \
			--qd "$qd" --seconds "$secs" \
			--stat "/sys/block/$ULP_BLK/stat") || { echo "$out"; return 1; }
		v+=("$(sed -n 's/^iops=//p' <<<"$out")")
		mb+=("$(sed -n 's/^mbps=//p' <<<"$out")")
		rq+=("$(sed -n 's/^req_per_io=//p' <<<"$out")")
		cpu+=("$(sed -n 's/^cpu_us_per_io=//p' <<<"$out")")
	done
	med() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
	iops[$pass,$bs,$qd,$layout]="$(med "${v[@]}") $(printf '%s\n' "${v[@]}" | sort -g | head -n 1) $(printf '%s\n' "${v[@]}" | sort -g | tail -n 1)"
	read -r m lo hi <<<"${iops[$pass,$bs,$qd,$layout]}"
	if [ "$t" = srp ]; then
		ulp_srp_stats || return 1
		xfer=$(awk -v c=$((ULP_REG[data_cmds] - c0)) -v b=$((ULP_REG[data_bufs] - b0)) \
			'BEGIN { printf ", %.2f RDMA transfers per command", c ? b / c : 0 }')
	fi
	echo "bench $t $pass bs=$bs qd=$qd $layout: $m IOPS ($lo-$hi, $reps runs of ${secs} s), $(med "${mb[@]}") MB/s, $(med "${rq[@]}") requests per I/O, $(med "${cpu[@]}") us CPU per I/O$xfer"
}

# ratio NAME A B: A's median over B's, with the range of A/B over the
# extremes of both, or why there is none
ratio()
{
	local a b
	read -r -a a <<<"${iops[$2]:-}"
	read -r -a b <<<"${iops[$3]:-}"
	if [ ${#a[@]} != 3 ] || [ ${#b[@]} != 3 ]; then
		echo "bench $t ratio $1: not measured"
		return
	fi
	awk -v t="$t" -v n="$1" -v am="${a[0]}" -v al="${a[1]}" -v ah="${a[2]}" \
		-v bm="${b[0]}" -v bl="${b[1]}" -v bh="${b[2]}" 'BEGIN {
		printf "bench " t " ratio %s: %.2f (%.2f-%.2f over the runs)\n", n, am / bm, al / bh, ah / bl }'
}

# every pass with the default login, the stock path too
ULP_SRP_BIG_OPTS=
trap ulp_cleanup EXIT
for p in $passes; do
	ULP_ISER_POLICY=${p%:*} ULP_SRP_POLICY=${p%:*} ULP_MODE=${p#*:}
	if ! ulp_rxe_mode "${p#*:}" || ! ulp_attach "$t"; then
		echo "bench $t $p: could not attach"
		ulp_detach
		continue
	fi
	for bs in $sizes; do
		for qd in $depths; do
			for layout in aligned misaligned gappy; do
				[ "$layout" = gappy ] && [ "$bs" -le 4096 ] && continue
				cell "$p" "$bs" "$qd" "$layout"
			done
		done
	done
	ulp_detach
done
ulp_cleanup
trap - EXIT

# The targets of the iSER and SRP issues: gappy I/O at least 0.9 of the
# page-aligned IOPS at the same size; aligned I/O under auto at least
# 0.98 of never.
for bs in $sizes; do
	for qd in $depths; do
		[ "$bs" -gt 4096 ] &&
			ratio "auto gappy / auto aligned, bs=$bs qd=$qd (target >= 0.9)" \
				"auto:on,$bs,$qd,gappy" "auto:on,$bs,$qd,aligned"
		ratio "auto aligned / never aligned, bs=$bs qd=$qd (target >= 0.98)" \
			"auto:on,$bs,$qd,aligned" "never:on,$bs,$qd,aligned"
		[ "$bs" -gt 4096 ] &&
			ratio "auto gappy / stock gappy, bs=$bs qd=$qd" \
				"auto:on,$bs,$qd,gappy" "never:off,$bs,$qd,gappy"
	done
done
exit 0
