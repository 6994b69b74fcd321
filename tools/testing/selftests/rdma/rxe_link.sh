#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Soft-RoCE device lifecycle and real data over it: create rxe0 on a dummy
# netdev with 'rdma link add', see it in 'rdma link' and ibv_devices, move
# and check data with ibv_rc_pingpong (verbs, RC) and rping (RDMA CM,
# verified payload) in loopback, then delete it and see it gone.
# An rxe0 that exists on the netdev already is used and left in place
# (adding and deleting it are then skipped).

DIR=$(dirname "$0")
. "$DIR/../kselftest/ktap_helpers.sh"
. "$DIR/rxe_lib.sh"

ktap_print_header
rxe_require ip rdma ss ibv_devices ibv_rc_pingpong rping timeout
[ "$(id -u)" = 0 ] || { ktap_skip_all "needs root"; exit "$KSFT_SKIP"; }
ktap_set_plan 6

trap rxe_cleanup EXIT
if ! rxe_netdev_up; then
	ktap_exit_fail_msg "cannot set up $RXE_NETDEV"
fi

if ! rxe_dev_up; then
	ktap_test_fail "rdma link add $RXE_DEV type rxe netdev $RXE_NETDEV"
elif [ "$RXE_DEV_CREATED" = 1 ]; then
	ktap_test_pass "rdma link add $RXE_DEV type rxe netdev $RXE_NETDEV"
else
	ktap_test_skip "rdma link add $RXE_DEV type rxe netdev $RXE_NETDEV: it existed already"
	RXE_DEV_FOUND=1
fi

link_listed()
{
	local out

	out=$(rdma link show "$RXE_DEV/1") || return 1
	ktap_print_msg "$out"
	grep -q "state ACTIVE" <<<"$out" && grep -q "netdev $RXE_NETDEV" <<<"$out"
}
ktap_test_result "rdma link shows $RXE_DEV/1 ACTIVE on $RXE_NETDEV" link_listed

in_ibv_devices()
{
	ibv_devices | awk '{print $1}' | grep -qx "$RXE_DEV"
}
ktap_test_result "ibv_devices lists $RXE_DEV" in_ibv_devices

# Two ibv_rc_pingpong processes in loopback, exchanging QP numbers over
# TCP on 127.0.0.1 and RC SEND/RECV over rxe, with --chk validating every
# received buffer.
pingpong()
{
	local gid spid rc=0 port=18515

	gid=$(rxe_gid_index) || { ktap_print_msg "no GID for $RXE_ADDR"; return 1; }
	timeout 60 ibv_rc_pingpong -d "$RXE_DEV" -g "$gid" -p $port -s 4096 \
		-n 200 -c > /tmp/pp-server.log 2>&1 &
	spid=$!
	rxe_wait_listen $port || rc=1
	if [ $rc = 0 ]; then
		timeout 60 ibv_rc_pingpong -d "$RXE_DEV" -g "$gid" -p $port \
			-s 4096 -n 200 -c 127.0.0.1 > /tmp/pp-client.log 2>&1 || rc=1
	fi
	wait $spid || rc=1
	sed 's/^/# server: /' /tmp/pp-server.log
	sed 's/^/# client: /' /tmp/pp-client.log
	[ $rc = 0 ] && grep -q "200 iters" /tmp/pp-client.log
}
ktap_test_result "ibv_rc_pingpong 200 x 4096 B with buffer check" pingpong

# rping over the RDMA CM: the client verifies (-V) every ping it reads back.
rping_loop()
{
	local spid rc=0 n=20

	timeout 90 rping -s -a "$RXE_ADDR" -C $n -S 1000 > /tmp/rping-server.log 2>&1 &
	spid=$!
	# the server's RDMA CM listener is not visible to ss: retry a
	# client that came too early (it fails before any data moves)
	for try in 1 2 3 4 5 6 7 8 9 10; do
		sleep 1
		timeout 60 rping -c -a "$RXE_ADDR" -C $n -S 1000 -v -V \
			> /tmp/rping-client.log 2>&1 && break
		grep -q '^ping data: ' /tmp/rping-client.log && { rc=1; break; }
		[ $try = 10 ] && rc=1
	done
	wait $spid || rc=1
	tail -n 2 /tmp/rping-client.log | cut -c 1-90 | sed "s/^/# client: /"
	[ $rc = 0 ] && [ "$(grep -c '^ping data: ' /tmp/rping-client.log)" = $n ]
}
ktap_test_result "rping 20 pings over RDMA CM, verified" rping_loop

# Gone from both lists, which must have been read: a failing 'rdma link
# show' or ibv_devices lists nothing and proves nothing.
link_delete()
{
	local out

	rdma link delete "$RXE_DEV" || return 1
	RXE_DEV_CREATED=0
	out=$(rdma link show) || { ktap_print_msg "rdma link show failed"; return 1; }
	if grep -q "^link $RXE_DEV/" <<<"$out"; then
		ktap_print_msg "rdma link show still lists $RXE_DEV"
		return 1
	fi
	out=$(ibv_devices) || { ktap_print_msg "ibv_devices failed"; return 1; }
	if awk '{ print $1 }' <<<"$out" | grep -qx "$RXE_DEV"; then
		ktap_print_msg "ibv_devices still lists $RXE_DEV"
		return 1
	fi
}
if [ "${RXE_DEV_FOUND:-0}" = 1 ]; then
	ktap_test_skip "rdma link delete $RXE_DEV removes it: not created by this test"
else
	ktap_test_result "rdma link delete $RXE_DEV removes it" link_delete
fi

ktap_finished
