#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# NFS over RDMA over rxe with real I/O: knfsd exporting a tmpfs directory
# on RDMA port 20049 (/proc/fs/nfsd/portlist), the kernel client mounting
# it with proto=rdma.  With rdma_rxe.sg_gaps_reg=Y xprtrdma registers
# through SG_GAPS MRs, with =N through page-list MRs as on stock rxe;
# ULP_NFS_PASSES (default "4:on 3:on 4:off") picks NFS versions and modes.
# fio verifies every block it wrote (O_DIRECT and buffered), gappy O_DIRECT
# iovecs are checked byte for byte, the files read through the mount
# after dropping caches are those the server holds, and after the I/O the
# MRs the client holds (rdma resource, comm [rpcrdma]) are of the mode's
# kind: SG_GAPS, some of them mapped (on), or page-list MRs (off).

DIR=$(dirname "$0")
. "$DIR/../kselftest/ktap_helpers.sh"
. "$DIR/rxe_lib.sh"
. "$DIR/ulp_lib.sh"

ktap_print_header
rxe_require ip rdma fio python3 timeout rpcbind rpc.nfsd rpc.mountd exportfs mount.nfs
[ "$(id -u)" = 0 ] || { ktap_skip_all "needs root"; exit "$KSFT_SKIP"; }
[ -e /proc/filesystems ] && grep -qw nfsd /proc/filesystems ||
	{ ktap_skip_all "no nfsd in this kernel"; exit "$KSFT_SKIP"; }
# ULP_NFS_PASSES: VERSION:MODE pairs, MODE rxe's (on, gaps, off: see
# ulp_rxe_mode)
passes=
for p in ${ULP_NFS_PASSES:-4:on 3:on 4:off}; do
	passes+="nfs$p "
done
ulp_main "$passes"
