# SPDX-License-Identifier: GPL-2.0
# Helpers shared by the rxe kselftests: a dummy netdev whose address exists
# only in this machine (192.0.2.0/24, TEST-NET-1), and an rxe device on it.
# rxe loops every packet addressed to a local address back internally.

RXE_NETDEV=${RXE_NETDEV:-dummy0}
RXE_DEV=${RXE_DEV:-rxe0}
RXE_ADDR=${RXE_ADDR:-192.0.2.1}

# rxe_require CMD... : skip the whole test when a tool is missing.
rxe_require()
{
	local c

	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 && continue
		ktap_skip_all "$c not installed"
		exit "$KSFT_SKIP"
	done
}

rxe_netdev_up()
{
	ip link add "$RXE_NETDEV" type dummy &&
	ip addr add "$RXE_ADDR/24" dev "$RXE_NETDEV" &&
	ip link set "$RXE_NETDEV" up
}

rxe_cleanup()
{
	rdma link delete "$RXE_DEV" >/dev/null 2>&1
	ip link delete "$RXE_NETDEV" >/dev/null 2>&1
	return 0
}

# rxe_gid_index: the GID table index of RXE_ADDR (an IPv4-mapped RoCEv2 GID).
rxe_gid_index()
{
	local want g i

	want=$(printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x' \
		$(echo "$RXE_ADDR" | tr . ' '))
	for g in /sys/class/infiniband/"$RXE_DEV"/ports/1/gids/*; do
		i=${g##*/}
		[ "$(cat "$g" 2>/dev/null)" = "$want" ] && { echo "$i"; return 0; }
	done
	return 1
}

# rxe_wait_listen PORT: wait up to 20 s for a TCP listener on PORT.
rxe_wait_listen()
{
	local n

	for n in $(seq 200); do
		ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}
