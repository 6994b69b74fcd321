# SPDX-License-Identifier: GPL-2.0
# Guest job of 'make demo': soft-RoCE on a guest-only dummy netdev, then
# indirect registration: a gappy, byte-aligned list registered as one MR
# and data moved through it, shown step by step.  Output goes to
# $WB_OUT/demo.log, which the host prints.
wb_modules_setup || echo "wb: modules setup failed"
exec > "$WB_OUT/demo.log" 2>&1
run() { echo; echo "\$ $*"; "$@"; }
MOD=indirect_mr_loopback_test
SUITE=ib_indirect_mr_loopback
CASE=lb_write_through_rkey

# CONFIG_DUMMY=y creates dummy0 at boot
ip link show dummy0 >/dev/null 2>&1 || run ip link add dummy0 type dummy
run ip addr add 192.0.2.1/24 dev dummy0
run ip link set dummy0 up
run rdma link add rxe0 type rxe netdev dummy0
run rdma link show
run ibv_devices
echo
echo "# rxe0 advertises indirect registration (IBK_INDIRECT_REG) and"
echo "# SG_GAPS; iSER and SRP read these capabilities."
echo
echo "# One KUnit case of the loopback module: five entries of one buffer,"
echo "# at byte offsets 5, 2000, 4090, 8000 and 1500 with lengths 1000, 1,"
echo "# 3000, 77 and 333, registered as ONE indirect MR (ib_map_mr_sge +"
echo "# IB_WR_REG_MR); an RDMA WRITE of 4411 bytes through its rkey, then a"
echo "# write of 3400 bytes from MR offset 999; every byte of the 12 KiB"
echo "# buffer compared with a model.  The case holds its MR for 4 s so that"
echo "# 'rdma resource show' can see it."
# no newline: the glob is matched as written
printf %s "$SUITE.$CASE" > /sys/module/kunit/parameters/filter_glob
run modprobe $MOD netdev=dummy0 hold_ms=4000 &
sleep 2
run rdma -dd resource show mr dev rxe0
wait
echo
echo "\$ cat /sys/kernel/debug/kunit/$SUITE/results"
cat /sys/kernel/debug/kunit/$SUITE/results
dmesg | grep -E "indirect_mr_loopback|$CASE" | grep -v "KTAP\|Subtest" | tail -n 12
run modprobe -r $MOD
run rdma resource show mr dev rxe0
run rdma link delete rxe0
kunit_ok=0
grep -q "^    ok 1 $CASE" "$WB_OUT/demo.log" && kunit_ok=1

# What a user gains: a gappy O_DIRECT I/O over iSER (LIO target with iSER
# on its portal, open-iscsi with -I iser, a 64 MiB ramdisk), with rxe
# offering SG_GAPS and then as stock 6.12 (rdma_rxe.sg_gaps_reg=N).
. "$WB_KSFT/kselftest/ktap_helpers.sh"
. "$WB_KSFT/rdma/rxe_lib.sh"
. "$WB_KSFT/rdma/ulp_lib.sh"
trap ulp_cleanup EXIT
gappy_ok=0
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
		rdma -dd resource show mr dev rxe0 | grep -E 'entries ([2-9]|[1-9][0-9]+) ' |
			head -n 1
		sleep 0.05
	done ) > /tmp/demo-mrs.txt &
	sampler=$!
	$ULP_IO gappy "/dev/$ULP_BLK" --stat "/sys/block/$ULP_BLK/stat" --ios 16 &&
		[ $mode = on ] && gappy_ok=1
	kill $sampler 2>/dev/null; wait $sampler 2>/dev/null
	if [ -s /tmp/demo-mrs.txt ]; then
		echo "# an MR mapping a gappy list, seen during the I/O:"
		head -n 1 /tmp/demo-mrs.txt
	else
		echo "# no MR holding more than one entry was seen during the I/O"
	fi
	echo "\$ rdma -dd resource show mr dev rxe0 | head -n 2   # the ULP's MRs"
	rdma -dd resource show mr dev rxe0 | head -n 2
	ulp_detach
done
ulp_cleanup
trap - EXIT
echo
if [ $kunit_ok = 1 ]; then
	echo "demo: indirect registration over rxe0 worked, every byte checked"
else
	echo "demo: FAILED"
fi
if [ $gappy_ok = 1 ]; then
	echo "demo: gappy iSER I/O through SG_GAPS MRs, every byte checked (compare requests per write/read above)"
else
	echo "demo: the iSER part FAILED"
fi
