# SPDX-License-Identifier: GPL-2.0
# Guest job of 'make demo': soft-RoCE on a guest-only dummy netdev, shown
# step by step.  Output goes to $WB_OUT/demo.log, which the host prints.
wb_modules_setup || echo "wb: modules setup failed"
exec > "$WB_OUT/demo.log" 2>&1
run() { echo; echo "\$ $*"; "$@"; }
run ip link add dummy0 type dummy
run ip addr add 192.0.2.1/24 dev dummy0
run ip link set dummy0 up
run rdma link add rxe0 type rxe netdev dummy0
run rdma link show
run ibv_devices
run ibv_devinfo -d rxe0
gid=1
for g in /sys/class/infiniband/rxe0/ports/1/gids/*; do
	[ "$(cat "$g")" = 0000:0000:0000:0000:0000:ffff:c000:0201 ] && gid=${g##*/}
done
echo
echo "\$ ibv_rc_pingpong -d rxe0 -g $gid -c -n 100 (server) & ibv_rc_pingpong ... 127.0.0.1 (client)"
ibv_rc_pingpong -d rxe0 -g "$gid" -c -n 100 > /tmp/server.log 2>&1 &
sleep 1
ibv_rc_pingpong -d rxe0 -g "$gid" -c -n 100 127.0.0.1
wait
sed 's/^/server: /' /tmp/server.log
run rdma resource show
run rdma link delete rxe0
run rdma link show
echo
echo "demo: done"
