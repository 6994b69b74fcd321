#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Part of the guest job of 'make bench': bench-ulp.bash iser|srp|nvme|nfs
# KERNEL.  iSER (LIO target with iSER on its portal, open-iscsi with -I
# iser), SRP (ib_srpt, ib_srp add_target with the default login) over a
# 64 MiB ramdisk, NVMe/RDMA (nvmet over a 64 MiB null_blk disk, nvme
# connect -t rdma), or NFS/RDMA (knfsd exporting tmpfs, a 32 MiB file),
# each over rxe0.  KERNEL patched: under each reg_policy of the initiator
# with rxe's indirect and SG_GAPS offer (iSER, SRP, NVMe), or with the
# offer and without it (NFS); KERNEL base: the unpatched kernel, pass
# "stock".  never:off (and NFS off) is the stock path on the patched
# kernel: the same code as the base's, measured in the same boot as the
# others.
# O_DIRECT random reads (ulp_io.py bench) of page-aligned buffers, buffers
# 512 bytes into a page and gappy iovecs (4 KiB each, 512 bytes into its
# own page), 4 KiB at queue depth 1 and 16, 64 KiB and 1 MiB at 16
# (WB_BENCH_ULP_CELLS; WB_BENCH_QUICK=1: 64 KiB at 16; layouts() says
# which layouts each pass measures, WB_BENCH_ULP_LAYOUTS replaces them
# in every cell), WB_BENCH_REPS runs of
# WB_BENCH_SECONDS each per visit.  The passes are visited in
# WB_BENCH_ROUNDS rounds (A B A B ..., not A A B B), so that what drifts
# during a boot falls on every pass alike; the report pools a cell's
# visits.  Every visit of a cell is one "benchdata ulp" record with
# each run's IOPS, MB/s, block requests (NFS: READ RPCs) per I/O, guest
# CPU time and context switches per I/O, and for SRP on the patched
# kernel the RDMA transfers per command at the target over the cell
# (ib_srpt's data_bufs over data_cmds).
. "$WB_KSFT/kselftest/ktap_helpers.sh"
. "$WB_KSFT/rdma/rxe_lib.sh"
. "$WB_KSFT/rdma/ulp_lib.sh"

t=$1 kernel=${2:-patched}
quick=${WB_BENCH_QUICK:-0}
reps=${WB_BENCH_REPS:-3}
secs=${WB_BENCH_SECONDS:-1}
rounds=${WB_BENCH_ROUNDS:-1}
# seconds of reads after each attach that are not counted: a base
# kernel's first run of NVMe/RDMA 4 KiB depth 1 once ran at half the
# rate (it does not remove NVMe's two rates per visit there)
warmup=${WB_BENCH_WARMUP:-3}
case $kernel:$t:$quick in
base:*) passes=stock ;;
patched:nfs:*) passes="on off" ;;
patched:*:1) passes="auto:on never:off" ;;
*) passes="auto:on always:on never:on never:off" ;;
esac
passes=${WB_BENCH_ULP_PASSES:-$passes}
# the (size, queue depth) cells: small I/O at depth 1 and 16, larger at 16
cells="4096:1 4096:16 65536:16 1048576:16"
[ "$quick" = 1 ] && cells=65536:16
cells=${WB_BENCH_ULP_CELLS:-$cells}

# layouts PASS BS QD: the layouts measured in one cell of a pass, those
# its claims compare: auto and the stock path of the same boot all three;
# never with rxe's offer (against auto) aligned; always (what taking an
# indirect MR for every I/O costs) 64 KiB at 16 only; the base and NFS
# aligned and gappy.  QUICK=1: no misaligned.  A gappy I/O is 4 KiB
# pieces, so none of 4 KiB.
layouts()
{
	local l

	case $kernel:$t:$1 in
	base:* | *:nfs:*) l="aligned gappy" ;;
	*:never:on) l=aligned ;;
	*:always:on) [ "$2:$3" = 65536:16 ] && l="aligned gappy" ;;
	*) l="aligned misaligned gappy" ;;
	esac
	[ "$quick" = 1 ] && l=${l/misaligned /}
	l=${WB_BENCH_ULP_LAYOUTS:-$l}
	[ "$2" -le 4096 ] && l=${l/ gappy/}
	echo "${l:-}"
}

# pass_cells PASS PATH: every cell of the pass, in one ulp_io.py process
# (starting Python costs about 2 s of an instruction-counted guest's
# time), a benchdata record of WB_BENCH_REPS runs per cell
pass_cells()
{
	local pass=$1 path=$2 c bs qd layout out lines k i ctr a
	local spec=() cellv=() opt=()
	local -A col

	for c in $cells; do
		bs=${c%:*} qd=${c#*:}
		for layout in $(layouts "$pass" "$bs" "$qd"); do
			spec+=(--cell "$bs:$qd:$layout")
			cellv+=("$bs $qd $layout")
		done
	done
	[ ${#cellv[@]} = 0 ] && return 0
	[ -n "$ULP_BLK" ] && opt=(--stat "/sys/block/$ULP_BLK/stat")
	# NFS: how often the server waited for room in its Send Queue
	[ "$t" = nfs ] && opt=(--nfs-mount "$ULP_MNT"
		--count "sq_waits=/proc/sys/sunrpc/svc_rdma/rdma_stat_sq_starve")
	# SRP on the patched kernel: the target's RDMA transfers per command
	if [ "$t" = srp ] && [ "$kernel" = patched ] &&
	   a=$(ulp_srpt_attrib); then
		opt+=(--count "data_cmds=$a/data_cmds" --count "data_bufs=$a/data_bufs")
	fi
	out=$($ULP_IO bench "$path" "${spec[@]}" --seconds "$secs" \
		--runs "$reps" --warmup "$warmup" "${opt[@]}")
	grep "^#" <<<"$out"
	for i in "${!cellv[@]}"; do
		read -r bs qd layout <<<"${cellv[$i]}"
		lines=$(grep "^cell=$((i + 1)) " <<<"$out")
		if grep -q " failed=" <<<"$lines" || ! grep -q " run=" <<<"$lines"; then
			echo "benchdata ulp ulp=$t kernel=$kernel pass=$pass bs=$bs qd=$qd layout=$layout failed=$(tr '\n' ' ' <<<"${lines:-no output}")"
			continue
		fi
		# one line per run, "run=K ios=.. iops=.. ...": a list per figure
		for k in iops mbps req_per_io cpu_us_per_io ctx_per_io; do
			col[$k]=$(grep " run=" <<<"$lines" | grep -o "\b$k=[0-9.]*" |
				cut -d= -f2 | paste -sd,)
		done
		# the --count figures over the runs: SRP's RDMA transfers per
		# command at the target, the NFS server's Send Queue waits
		ctr=$(grep -v " run=" <<<"$lines" | awk '{
			for (f = 2; f <= NF; f++) { split($f, kv, "="); v[kv[1]] = kv[2] }
		} END {
			if ("data_cmds" in v) printf " xfer=%.2f", v["data_cmds"] ? v["data_bufs"] / v["data_cmds"] : 0
			if ("sq_waits" in v) printf " sq_waits=%d", v["sq_waits"]
		}')
		echo "benchdata ulp ulp=$t kernel=$kernel pass=$pass bs=$bs qd=$qd layout=$layout iops=${col[iops]} mbps=${col[mbps]} req=${col[req_per_io]} cpu=${col[cpu_us_per_io]} ctx=${col[ctx_per_io]}$ctr"
	done
}

# attach under pass $1: iSER/SRP "POLICY:MODE", NFS "MODE", or "stock"
attach()
{
	local p=$1

	ULP_ISER_POLICY=${p%:*} ULP_SRP_POLICY=${p%:*} ULP_MODE=${p#*:}
	ULP_NVME_POLICY=${p%:*}
	ulp_rxe_mode "$ULP_MODE" || return 1
	case $t in
	nfs) ulp_attach nfs4 || return 1
		# the file the reads go to, written on the server's side
		dd if=/dev/zero of="$ULP_SERVER_DIR/bench" bs=1M count=32 \
			status=none && sync ;;
	*) ulp_attach "$t" ;;
	esac
}

# every pass with the default login, never:off's large one too
ULP_SRP_BIG_OPTS=
trap ulp_cleanup EXIT
visits=
for _ in $(seq "$rounds"); do
	visits+=" $passes"
done
# where the guest's time goes (under icount, its instructions): a comment
# of bench.log, not a record
phase()
{
	echo "# phase $1 ulp=$t pass=${2:-} uptime=$(cut -d' ' -f1 /proc/uptime)"
}
for p in $visits; do
	phase attach "$p"
	if ! attach "$p"; then
		echo "benchdata ulp ulp=$t kernel=$kernel pass=$p why=could not attach (see the guest log)"
		ulp_detach
		continue
	fi
	path=/dev/$ULP_BLK
	[ "$t" = nfs ] && path=$ULP_MNT/bench
	phase cells "$p"
	pass_cells "$p" "$path"
	phase detach "$p"
	[ "$t" = nfs ] && rm -f "$ULP_SERVER_DIR/bench"
	ulp_detach
done
phase done
ulp_cleanup
trap - EXIT
exit 0
