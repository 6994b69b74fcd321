# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers shared by the rxe kselftests: a dummy netdev whose address exists
# only in this machine (192.0.2.0/24, TEST-NET-1), and an rxe device on it.
# rxe loops every packet addressed to a local address back internally.
#
# What exists already is used and left in place: with CONFIG_DUMMY=y the
# kernel creates dummy0 at boot, and RXE_DEV may already run on it.
# rxe_cleanup undoes only what rxe_netdev_up and rxe_dev_up did, so it is
# safe to call at any time, also before them.

RXE_NETDEV=${RXE_NETDEV:-dummy0}
RXE_DEV=${RXE_DEV:-rxe0}
RXE_ADDR=${RXE_ADDR:-192.0.2.1}

# What this test did, for rxe_cleanup (1: undo it).
RXE_NETDEV_CREATED=0	# ip link add RXE_NETDEV
RXE_NETDEV_RAISED=0	# ip link set RXE_NETDEV up (it was down)
RXE_ADDR_ADDED=0	# ip addr add RXE_ADDR
RXE_DEV_CREATED=0	# rdma link add RXE_DEV

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

# rxe_netdev_up: RXE_NETDEV up with RXE_ADDR; creates the netdev and adds
# the address only when missing.
rxe_netdev_up()
{
	local out

	if ! ip link show dev "$RXE_NETDEV" >/dev/null 2>&1; then
		ip link add "$RXE_NETDEV" type dummy || return 1
		RXE_NETDEV_CREATED=1
	fi
	out=$(ip -o -4 addr show dev "$RXE_NETDEV") || return 1
	if ! grep -qF " inet $RXE_ADDR/" <<<"$out"; then
		ip addr add "$RXE_ADDR/24" dev "$RXE_NETDEV" || return 1
		RXE_ADDR_ADDED=1
	fi
	out=$(ip -o link show dev "$RXE_NETDEV") || return 1
	if ! grep -qE '<([^>]*,)?UP[,>]' <<<"$out"; then
		ip link set "$RXE_NETDEV" up || return 1
		RXE_NETDEV_RAISED=1
	fi
}

# rxe_dev_up: RXE_DEV on RXE_NETDEV; created only when it does not exist.
# An RXE_DEV that exists on another netdev is an error.
rxe_dev_up()
{
	local out nd

	if out=$(rdma link show "$RXE_DEV/1" 2>/dev/null); then
		# "link rxe0/1 state ACTIVE ... netdev dummy0"
		nd=$(awk '{ for (i = 1; i < NF; i++)
			if ($i == "netdev") print $(i + 1) }' <<<"$out")
		[ "$nd" = "$RXE_NETDEV" ] && return 0
		ktap_print_msg "$RXE_DEV exists, not on $RXE_NETDEV: $out"
		return 1
	fi
	rdma link add "$RXE_DEV" type rxe netdev "$RXE_NETDEV" || return 1
	RXE_DEV_CREATED=1
}

rxe_cleanup()
{
	if [ "$RXE_DEV_CREATED" = 1 ]; then
		rdma link delete "$RXE_DEV" >/dev/null 2>&1
		RXE_DEV_CREATED=0
	fi
	if [ "$RXE_NETDEV_CREATED" = 1 ]; then
		# its address goes with it
		ip link delete "$RXE_NETDEV" >/dev/null 2>&1
	else
		[ "$RXE_ADDR_ADDED" = 1 ] &&
			ip addr del "$RXE_ADDR/24" dev "$RXE_NETDEV" >/dev/null 2>&1
		[ "$RXE_NETDEV_RAISED" = 1 ] &&
			ip link set "$RXE_NETDEV" down >/dev/null 2>&1
	fi
	RXE_NETDEV_CREATED=0
	RXE_ADDR_ADDED=0
	RXE_NETDEV_RAISED=0
	return 0
}

# rxe_no_mr: true when 'rdma resource show mr' ran and listed no MR on
# RXE_DEV; says why not otherwise (a failing rdma is a failure, not an
# empty list).
rxe_no_mr()
{
	local out err rc

	err=$(mktemp) || return 1
	out=$(rdma resource show mr dev "$RXE_DEV" 2>"$err")
	rc=$?
	if [ $rc != 0 ]; then
		ktap_print_msg "rdma resource show mr dev $RXE_DEV failed (exit $rc):"
		sed 's/^/# /' "$err"
		rm -f "$err"
		return 1
	fi
	rm -f "$err"
	if [ -n "$out" ]; then
		ktap_print_msg "MRs left on $RXE_DEV:"
		printf '%s\n' "$out" | sed 's/^/# /'
		# Who still holds them: the queue pairs and completion
		# queues left on the device (a CQ with no room lost a
		# completion its owner may wait for).
		ktap_print_msg "CQs and QPs left on $RXE_DEV:"
		{ rdma resource show cq dev "$RXE_DEV"
		  rdma resource show qp link "$RXE_DEV/1"; } 2>&1 | sed 's/^/# /'
		return 1
	fi
	return 0
}

# KUnit's filter_glob picks the suites and cases a module load runs.
# kunit_glob_set saves the value it finds before its first change, and
# kunit_glob_restore writes that value back (nothing if never changed).
KUNIT_GLOB=/sys/module/kunit/parameters/filter_glob
KUNIT_GLOB_SAVED=0
KUNIT_GLOB_PREV=

# kunit_glob_set GLOB
kunit_glob_set()
{
	local v

	if [ "$KUNIT_GLOB_SAVED" = 0 ]; then
		# param_get_charp() prints the value and one newline; the x
		# keeps $() from taking newlines that belong to the value.
		v=$(cat "$KUNIT_GLOB" && echo x) || return 1
		v=${v%x}
		KUNIT_GLOB_PREV=${v%$'\n'}
		KUNIT_GLOB_SAVED=1
	fi
	# no newline: the glob is matched as written
	printf %s "$1" > "$KUNIT_GLOB"
}

kunit_glob_restore()
{
	[ "$KUNIT_GLOB_SAVED" = 1 ] || return 0
	case $KUNIT_GLOB_PREV in
	'(null)')
		# Never set: NULL, which a write cannot restore; a module
		# load treats NULL as "*.*" (kunit_module_init()).
		printf %s '*.*' ;;
	'')
		# Set to "": a write of no bytes never reaches the setter
		# (sysfs_kf_write()) and a newline would become part of the
		# glob, but one NUL byte makes param_set_charp() store "".
		printf '\0' ;;
	*)
		printf %s "$KUNIT_GLOB_PREV" ;;
	esac > "$KUNIT_GLOB" && KUNIT_GLOB_SAVED=0
}

# rxe_gid_index: the GID table index of RXE_ADDR (an IPv4-mapped RoCEv2 GID).
rxe_gid_index()
{
	local want g i a b c d

	IFS=. read -r a b c d <<<"$RXE_ADDR"
	want=$(printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x' \
		"$a" "$b" "$c" "$d")
	for g in /sys/class/infiniband/"$RXE_DEV"/ports/1/gids/*; do
		i=${g##*/}
		[ "$(cat "$g" 2>/dev/null)" = "$want" ] && { echo "$i"; return 0; }
	done
	return 1
}

# rxe_wait_listen PORT: wait up to 20 s for a TCP listener on PORT.
rxe_wait_listen()
{
	local _

	for _ in $(seq 200); do
		ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# Fault injection (CONFIG_FAULT_INJECTION_DEBUG_FS): the debugfs
# directories of the capabilities a test arms.
RXE_FAULT_DBG=/sys/kernel/debug

# rxe_fault_reset CAPABILITY...: back to the defaults of
# FAULT_ATTR_INITIALIZER (and of fail_page_alloc's own attributes): armed
# by nothing.  Missing capabilities are left alone.
rxe_fault_reset()
{
	local a d

	for a in "$@"; do
		d=$RXE_FAULT_DBG/$a
		[ -d "$d" ] || continue
		echo 0 > "$d/probability"
		echo 1 > "$d/interval"
		echo 1 > "$d/times"
		echo 0 > "$d/space"
		echo 2 > "$d/verbose"
		echo N > "$d/task-filter"
		echo Y > "$d/ignore-gfp-wait"
		echo 0 > "$d/require-start" 2>/dev/null
		echo 0xffffffffffffffff > "$d/require-end" 2>/dev/null
		if [ "$a" = fail_page_alloc ]; then
			echo 1 > "$d/min-order"
			echo Y > "$d/ignore-gfp-highmem"
		fi
	done
	return 0
}

# rxe_sym_range SYMBOL: "START END" of a function's text in
# /proc/kallsyms (it ends where the next symbol starts), for the stack
# filter of a fault capability; fails when the symbol is not found or
# kallsyms hides addresses.
rxe_sym_range()
{
	local r

	r=$(awk '{ print $1, $3 }' /proc/kallsyms | sort |
		awk -v s="$1" 'f { print "0x" $1; exit }
			$2 == s { printf "0x%s ", $1; f = 1 }')
	case $r in
	0x0000000000000000*|'') return 1 ;;
	*" 0x"*) echo "$r" ;;
	*) return 1 ;;
	esac
}
