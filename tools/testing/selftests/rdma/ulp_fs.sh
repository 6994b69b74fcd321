# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# NFS over RDMA and SMB Direct for the storage-ULP harness (sourced by
# ulp_lib.sh): knfsd and ksmbd sharing a tmpfs directory, the clients
# mounting it over rxe; their tests and the kind of the MRs they hold.

# SMB Direct: ksmbd (ksmbd-tools' ksmbd.mountd) sharing a tmpfs directory,
# the cifs client mounting it with 'rdma'.
ULP_SMB_SHARE=/tmp/ulp-smb
ULP_SMB_ETC=/run/ulp-ksmbd

# NFS: knfsd exporting a tmpfs directory on the RDMA port, the kernel
# client mounting it with proto=rdma.  ulp_attach nfs4 or nfs3.
ulp_nfs_server_up()
{
	[ -e /proc/fs/nfsd/portlist ] && [ -n "$(pidof rpc.mountd)" ] && return 0
	mkdir -p /var/lib/nfs/sm /var/lib/nfs/sm.bak /var/lib/nfs/v4recovery \
		"$ULP_EXPORT" || return 1
	touch /var/lib/nfs/etab /var/lib/nfs/rmtab /var/lib/nfs/state
	mountpoint -q /proc/fs/nfsd || mount -t nfsd none /proc/fs/nfsd || return 1
	# short lease and grace: a fresh server waits that long for reclaims
	echo 10 > /proc/fs/nfsd/nfsv4leasetime
	echo 10 > /proc/fs/nfsd/nfsv4gracetime
	setsid rpcbind -f -w >/dev/null 2>&1 &
	ULP_PIDS+=($!)
	rxe_wait_listen 111 || { ktap_print_msg "rpcbind does not listen"; return 1; }
	exportfs -o rw,no_root_squash,fsid=0,insecure,no_subtree_check \
		"192.0.2.0/24:$ULP_EXPORT" || return 1
	setsid rpc.mountd -F >/dev/null 2>&1 &
	ULP_PIDS+=($!)
	rpc.nfsd 4 || return 1
	echo "rdma $ULP_NFS_PORT" > /proc/fs/nfsd/portlist || return 1
	grep -q "rdma $ULP_NFS_PORT" /proc/fs/nfsd/portlist
}

ulp_nfs_server_down()
{
	[ -e /proc/fs/nfsd/threads ] && rpc.nfsd 0 >/dev/null 2>&1
	exportfs -ua >/dev/null 2>&1
}

ulp_nfs_attach()
{
	local vers=$1 src=/

	ulp_nfs_server_up || { ktap_print_msg "nfsd did not start"; return 1; }
	[ "$vers" = 3 ] && src=$ULP_EXPORT
	ULP_MNT=/tmp/ulp-mnt
	mkdir -p "$ULP_MNT"
	timeout 120 mount -t nfs -o "vers=$vers,proto=rdma,port=$ULP_NFS_PORT,nolock" \
		"$RXE_ADDR:$src" "$ULP_MNT" ||
		{ ktap_print_msg "mount vers=$vers proto=rdma failed"; ULP_MNT=; return 1; }
	ULP_FILE=$ULP_MNT/data
	ULP_SERVER_DIR=$ULP_EXPORT
}

# ulp_mount_opts: the options of the mount on ULP_MNT, as the client
# reports them (also printed).
ulp_mount_opts()
{
	awk -v m="$ULP_MNT" '$2 == m { print $3 " " $4 }' /proc/mounts
}

# ulp_nfs_is_rdma: the mount's transport, as the client reports it.
ulp_nfs_is_rdma()
{
	local o

	o=$(ulp_mount_opts)
	ktap_print_msg "$ULP_MNT: $o"
	grep -q "proto=rdma" <<<"$o" && grep -q ",port=$ULP_NFS_PORT" <<<"$o"
}

# ulp_fs_detach: empty and unmount the NFS or SMB mount.
ulp_fs_detach()
{
	[ -n "$ULP_MNT" ] || return 0
	rm -f "$ULP_MNT"/*
	timeout 60 umount "$ULP_MNT" || return 1
	ULP_MNT=
}

# ulp_checksums: the files read through the mount, after dropping the
# client's caches, are those the server holds (in ULP_SERVER_DIR).
ulp_checksums()
{
	local c s

	sync
	echo 3 > /proc/sys/vm/drop_caches
	c=$(cd "$ULP_MNT" && md5sum -- *) || return 1
	s=$(cd "$ULP_SERVER_DIR" && md5sum -- *) || return 1
	ktap_print_msg "$(wc -l <<<"$c") files compared"
	[ "$c" = "$s" ] && return 0
	ktap_print_msg "checksums differ (client, then server):"
	printf '%s\n' "$c" "$s" | sed 's/^/# /'
	return 1
}

ulp_smb_attach()
{
	local _

	mkdir -p "$ULP_SMB_ETC" "$ULP_SMB_SHARE" || return 1
	cat > "$ULP_SMB_ETC/ksmbd.conf" <<-EOF
	[global]
		server signing = disabled
	[ulp]
		path = $ULP_SMB_SHARE
		read only = no
		force user = root
		store dos attributes = no
	EOF
	grep -qs '^ulp:' "$ULP_SMB_ETC/ksmbdpwd.db" ||
		ksmbd.adduser -i "$ULP_SMB_ETC/ksmbdpwd.db" \
			-c "$ULP_SMB_ETC/ksmbd.conf" -a ulp -p ulp-pass >/dev/null ||
		{ ktap_print_msg "ksmbd.adduser failed"; return 1; }
	if [ -z "$(pidof ksmbd.mountd)" ]; then
		setsid ksmbd.mountd -n -c "$ULP_SMB_ETC/ksmbd.conf" \
			-u "$ULP_SMB_ETC/ksmbdpwd.db" >/tmp/ulp-ksmbd.log 2>&1 &
		ULP_PIDS+=($!)
	fi
	rxe_wait_listen 445 || { ktap_print_msg "ksmbd does not listen"; return 1; }
	ULP_MNT=/tmp/ulp-mnt
	mkdir -p "$ULP_MNT"
	for _ in 1 2 3; do
		timeout 120 mount -t cifs "//$RXE_ADDR/ulp" "$ULP_MNT" \
			-o rdma,vers=3.1.1,username=ulp,password=ulp-pass && break
		sleep 2
	done
	mountpoint -q "$ULP_MNT" ||
		{ ktap_print_msg "mount -t cifs -o rdma failed"; ULP_MNT=; return 1; }
	ULP_FILE=$ULP_MNT/data
	ULP_SERVER_DIR=$ULP_SMB_SHARE
}

# ulp_smb_is_rdma: the mount runs over SMB Direct.
ulp_smb_is_rdma()
{
	local o

	o=$(ulp_mount_opts)
	ktap_print_msg "$ULP_MNT: $o"
	grep -q ',rdma' <<<"$o" || return 1
	grep -qi 'SMBDirect' /proc/fs/cifs/DebugData
}

# ulp_fs_is_rdma: the mount runs over RDMA (NFS: proto=rdma on the RDMA
# port; SMB: SMB Direct).
ulp_fs_is_rdma()
{
	case $ULP_TRANSPORT in
	nfs*) ulp_nfs_is_rdma ;;
	smb) ulp_smb_is_rdma ;;
	*) return 1 ;;
	esac
}

# ulp_fs_holder TRANSPORT: the kernel module whose MRs carry a network
# filesystem's data, as rdma resource names it: the NFS client's xprtrdma
# (rpcrdma; knfsd's svcrdma is in the same module, but on rxe it registers
# no MR: rdma_rw takes MRs only on iWARP, with max_sgl_rd or with
# ib_core.force_mr, and would take page-list ones, which ulp_fs_path does
# not let pass with rxe's offer), or SMB Direct in cifs (ksmbd's MRs are
# [ksmbd]'s).
ulp_fs_holder()
{
	case $1 in
	nfs*) echo rpcrdma ;;
	smb) echo cifs ;;
	esac
}

# ulp_fs_path MODE: while mounted and after I/O, which MRs carried the
# data: xprtrdma and SMB Direct allocate IB_MR_TYPE_SG_GAPS MRs where the
# device sets IBK_SG_GAPS_REG, indirect or not (on, gaps), so every MR the
# client holds is an SG_GAPS MR and some of them have been mapped; without
# the offer (off) they are page-list MRs, none of them SG_GAPS or
# indirect.
ulp_fs_path()
{
	local h

	h=$(ulp_fs_holder "$ULP_TRANSPORT")
	[ -n "$h" ] && ulp_mr_count "$h" || return 1
	if [ "$ULP_MR_ALL" = 0 ]; then
		ktap_print_msg "no MR of [$h] on $RXE_DEV"
		return 1
	fi
	if ulp_mode_offer "$1"; then
		[ "$ULP_MR_GAPS" = "$ULP_MR_ALL" ] && [ "$ULP_MR_MAPPED" -gt 0 ]
	else
		[ "$ULP_MR_GAPS" = 0 ] && [ "$ULP_MR_IND" = 0 ]
	fi
}

# ulp_gappy_breaks TRANSPORT MODE: true for the one known failure of a
# stock path, which the test leaves out (and says so): without SG_GAPS,
# cifs maps an O_DIRECT iovec that is not page-contiguous into a page-list
# MR, ib_map_mr_sg() stops at the first gap, and SMB Direct tears the
# connection down.  With SG_GAPS the same I/O passes.
ulp_gappy_breaks()
{
	[ "$1" = smb ] && [ "$2" = off ]
}

# ulp_run_fs TRANSPORT MODE: ULP_FS_CASES tests of a network filesystem
# (nfs4, nfs3, smb).
ulp_run_fs()
{
	local t=$1 m=$2 aio=(--ioengine=libaio --direct=1 --rw=randwrite)
	local l

	ULP_MODE=$m
	l=$(ulp_label "$m" "$t")
	ulp_begin "$m" "$t"
	ulp_case "$l mount runs over RDMA" \
		ulp_fs_is_rdma
	ulp_case "$l fio verify, O_DIRECT 4k, queue depth 1, buffers 512 bytes into a page" \
		ulp_fio "$t-4k" "${aio[@]}" --bs=4k --iodepth=1 --iomem_align=512
	ulp_case "$l fio verify, O_DIRECT 64k, queue depth 8, buffers 512 bytes into a page" \
		ulp_fio "$t-64k" "${aio[@]}" --bs=64k --iodepth=8 --iomem_align=512
	ulp_case "$l fio verify, buffered 1m writes" \
		ulp_fio "$t-1m" --ioengine=psync --direct=0 --rw=write --bs=1m --size=8m
	if ulp_gappy_breaks "$t" "$m"; then
		ktap_print_msg "gappy O_DIRECT iovecs not run: stock SMB Direct" \
			"(cifs) cannot register them in a page-list MR" \
			"(ib_map_mr_sg() maps part of the list, smbd_register_mr()" \
			"fails and the connection goes down)"
	else
		ulp_case "$l gappy O_DIRECT iovecs, bytes checked" \
			ulp_gappy_path "$m"
	fi
	ulp_case "$l files equal on client and server after drop_caches" \
		ulp_checksums
	ulp_case "$l registration path: kind of the MRs of [$(ulp_fs_holder "$t")] after I/O" \
		ulp_fs_path "$m"
	ulp_end "$m"
}
