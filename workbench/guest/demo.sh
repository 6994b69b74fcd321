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

# What a user gains: a gappy O_DIRECT I/O over iSER (bash: the
# kselftests' harness).
gappy_ok=0
bash "$WB_REPO/workbench/guest/demo-iser.bash" && gappy_ok=1
echo
if [ $kunit_ok = 1 ]; then
	echo "demo: indirect registration over rxe0 worked, every byte checked"
else
	echo "demo: FAILED"
fi
if [ $gappy_ok = 1 ]; then
	echo "demo: gappy iSER I/O through one indirect MR each (ib_iser reg_policy=auto), every byte checked (compare requests per write/read above)"
else
	echo "demo: the iSER part FAILED"
fi
