#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iSER over rxe with real I/O: an LIO iSCSI target with iSER on its portal
# (configfs), a ramdisk backstore, and the open-iscsi initiator logged in
# with -I iser.
# One pass per ib_iser reg_policy (reloading the module) and rxe mode
# (ulp_rxe_mode: on, gaps, off): auto, always and never with rxe's SG_GAPS
# and indirect offer (on), never without it (off: Linux 6.12's page lists
# and 4 KiB virt_boundary), auto on a device that offers SG_GAPS only, as
# mlx5 does (gaps: rdma_rxe.indirect_reg=N; always and never both
# register as Linux 6.12 there), and auto with always_register=N (+noreg:
# a buffer of one DMA element goes with the local DMA lkey);
# ULP_ISER_PASSES (default "auto:on always:on never:on never:off
# auto:gaps auto+noreg:on") picks them.  Every byte written is read back
# and compared (fio verify, gappy iovecs, SG_IO); the block layer's
# counters give the requests each gappy I/O became, and the session's
# registration counters (iscsiadm -m session -r SID -s) the path each
# command took: under auto, page-aligned I/O through a page list and gappy
# I/O through the indirect (gaps: SG_GAPS) MR.

DIR=$(dirname "$0")
. "$DIR/../kselftest/ktap_helpers.sh"
. "$DIR/rxe_lib.sh"
. "$DIR/ulp_lib.sh"

ktap_print_header
rxe_require ip rdma fio sg_dd python3 timeout iscsid iscsiadm
[ "$(id -u)" = 0 ] || { ktap_skip_all "needs root"; exit "$KSFT_SKIP"; }
ulp_require_configfs
ulp_main "$(ulp_iser_passes)"
