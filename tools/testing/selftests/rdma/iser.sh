#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iSER over rxe with real I/O: an LIO iSCSI target with iSER on its portal
# (configfs), a ramdisk backstore, and the open-iscsi initiator logged in
# with -I iser.
# Runs with rdma_rxe.sg_gaps_reg=Y (the ULP registers through SG_GAPS
# MRs and sets no virt_boundary), then =N (stock path: page-list MRs and
# a 4 KiB virt_boundary); ULP_MODES (default "on off") picks them.
# Every byte written is read back and compared (fio verify, gappy iovecs,
# SG_IO); the block layer's own counters give the requests each gappy I/O
# became.

DIR=$(dirname "$0")
. "$DIR/../kselftest/ktap_helpers.sh"
. "$DIR/rxe_lib.sh"
. "$DIR/ulp_lib.sh"

ktap_print_header
rxe_require ip rdma fio sg_dd python3 timeout iscsid iscsiadm
[ "$(id -u)" = 0 ] || { ktap_skip_all "needs root"; exit "$KSFT_SKIP"; }
[ -d "$ULP_CFG" ] || { ktap_skip_all "configfs not mounted at /sys/kernel/config"; exit "$KSFT_SKIP"; }
ulp_main "$(ulp_mode_passes iser)"
