#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SMB Direct over rxe with real I/O: ksmbd (ksmbd-tools) sharing a tmpfs
# directory, the cifs client mounting it with 'rdma' (SMB 3.1.1).  With
# rdma_rxe.sg_gaps_reg=Y the client registers its RDMA read/write buffers
# through SG_GAPS MRs, with =N through page-list MRs as on stock rxe;
# ULP_MODES (default "on off") picks them.  fio verifies every block it
# wrote, gappy O_DIRECT iovecs are checked byte for byte, the files read
# through the mount after dropping caches are those the server holds, and
# after the I/O the MRs cifs holds (rdma resource, comm [cifs]) are of the
# mode's kind: SG_GAPS, some of them mapped (on), or page-list MRs (off).

DIR=$(dirname "$0")
. "$DIR/../kselftest/ktap_helpers.sh"
. "$DIR/rxe_lib.sh"
. "$DIR/ulp_lib.sh"

ktap_print_header
rxe_require ip rdma fio python3 timeout ss ksmbd.mountd ksmbd.adduser mount.cifs
[ "$(id -u)" = 0 ] || { ktap_skip_all "needs root"; exit "$KSFT_SKIP"; }
grep -qw cifs /proc/filesystems ||
	{ ktap_skip_all "no cifs in this kernel"; exit "$KSFT_SKIP"; }
ulp_main "$(ulp_mode_passes smb)"
