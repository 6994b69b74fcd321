# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest jobs. WB_REPO, WB_MODROOT, WB_KSFT and WB_OUT are
# set by the host in job.sh.

# Make the kernel's modules visible under /lib/modules: the host has no
# such directory and the root is read-only, so overlay /usr/lib on tmpfs.
wb_modules_setup()
{
	local kver
	kver=$(uname -r)
	[ -d "$WB_MODROOT/lib/modules/$kver" ] || return 0
	mkdir -p /run/usrlib/upper /run/usrlib/work
	mount -t overlay overlay \
		-o lowerdir=/usr/lib,upperdir=/run/usrlib/upper,workdir=/run/usrlib/work \
		/usr/lib || return 1
	mkdir -p "/usr/lib/modules/$kver"
	mount --bind "$WB_MODROOT/lib/modules/$kver" "/usr/lib/modules/$kver"
}

# rxe0 on dummy0 (which CONFIG_DUMMY=y creates at boot), 192.0.2.1/24:
# an address that exists only in this guest.
wb_rxe_up()
{
	ip link show dummy0 >/dev/null 2>&1 || ip link add dummy0 type dummy
	ip addr add 192.0.2.1/24 dev dummy0
	ip link set dummy0 up
	rdma link add rxe0 type rxe netdev dummy0
}

# wb_kmemleak_scan: on the debug kernel (WB_KMEMLEAK set), once the tests
# ran and unloaded what they loaded: two scans, the leaks to
# $WB_OUT/kmemleak.txt (empty: none).
wb_kmemleak_scan()
{
	[ -n "$WB_KMEMLEAK" ] || return 0
	if [ ! -w /sys/kernel/debug/kmemleak ]; then
		echo "wb: no /sys/kernel/debug/kmemleak"
		return 1
	fi
	echo scan > /sys/kernel/debug/kmemleak
	sleep 1
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak > "$WB_OUT/kmemleak.txt"
}
