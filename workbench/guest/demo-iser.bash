#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Part of the guest job of 'make demo' (demo.sh runs it; its output goes
# to the demo log): a gappy O_DIRECT I/O over iSER (LIO target with iSER
# on its portal, open-iscsi with -I iser, a 64 MiB ramdisk), with rxe
# offering SG_GAPS and then as stock 6.12 (rdma_rxe.sg_gaps_reg=N).
# Exits 0 when the I/O with SG_GAPS checked every byte.
gappy_ok=0
. "$WB_KSFT/kselftest/ktap_helpers.sh"
. "$WB_KSFT/rdma/rxe_lib.sh"
. "$WB_KSFT/rdma/ulp_lib.sh"
trap ulp_cleanup EXIT
for mode in on off; do
	echo
	if [ $mode = on ]; then
		echo "# ---- iSER over rxe0, rdma_rxe.sg_gaps_reg=Y (this series) ----"
	else
		echo "# ---- iSER over rxe0, rdma_rxe.sg_gaps_reg=N (as stock 6.12) ----"
	fi
	echo "\$ echo $([ $mode = on ] && echo Y || echo N) > $ULP_PARAM; rdma link add rxe0 type rxe netdev dummy0"
	echo "\$ iscsiadm -m node -T $ULP_IQN -p 192.0.2.1:3260 -I iser --login"
	if ! ulp_rxe_mode $mode || ! ulp_attach iser; then
		echo "demo: iSER login FAILED"
		ulp_cleanup
		continue
	fi
	q=/sys/block/$ULP_BLK/queue
	echo "/dev/$ULP_BLK: virt_boundary_mask $(cat $q/virt_boundary_mask), max_segments $(cat $q/max_segments)"
	echo
	echo "# 16 O_DIRECT writes and reads, each one I/O of 16 iovecs of 4 KiB"
	echo "# that start 512 bytes into a page, every byte read back and compared;"
	echo "# 'rdma resource' sampled while they run:"
	echo "\$ ulp_io.py gappy /dev/$ULP_BLK --stat /sys/block/$ULP_BLK/stat"
	( for _ in $(seq 100); do
		rdma -dd resource show mr dev rxe0 | grep -E 'drv_staged_entries ([2-9]|[1-9][0-9]+) ' |
			head -n 1
		sleep 0.05
	done ) > /tmp/demo-mrs.txt &
	sampler=$!
	$ULP_IO gappy "/dev/$ULP_BLK" --stat "/sys/block/$ULP_BLK/stat" --ios 16 &&
		[ $mode = on ] && gappy_ok=1
	kill $sampler 2>/dev/null; wait $sampler 2>/dev/null
	if [ -s /tmp/demo-mrs.txt ]; then
		echo "# seen during the I/O: one indirect MR of ib_iser (reg_policy=auto"
		echo "# takes it for lists a page list cannot map) mapping a whole"
		echo "# gappy I/O, its entries staged by ib_map_mr_sg(), mrlen the bytes"
		echo "# behind its one rkey (drv_entries is 0 once the target has"
		echo "# invalidated it remotely at the end of the command):"
		head -n 1 /tmp/demo-mrs.txt
	elif [ $mode = on ]; then
		echo "# no MR with more than one entry was seen during the I/O"
	fi
	echo "\$ rdma -dd resource show mr dev rxe0 | head -n 2   # the ULP's MRs"
	rdma -dd resource show mr dev rxe0 | head -n 2
	echo "# how ib_iser registered the session's commands:"
	echo "\$ iscsiadm -m session -r 1 -s | grep reg_"
	ulp_iser_stats
	for c in $ULP_ISER_STATS; do
		echo "	$c: ${ULP_REG[$c]:-}"
	done
	ulp_detach
done
ulp_cleanup
trap - EXIT
[ $gappy_ok = 1 ]
