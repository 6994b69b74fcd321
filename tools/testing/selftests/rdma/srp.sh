#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SRP over rxe with real I/O: ib_srpt configured through LIO configfs with a
# ramdisk backstore, and ib_srp logged in over RDMA/CM (add_target).
# One pass per ib_srp reg_policy and rxe mode (ULP_SRP_PASSES, default
# "auto:on always:on never:on never:off auto:gaps"; on and off are
# rdma_rxe.sg_gaps_reg=Y|N, gaps is sg_gaps_reg=Y with indirect_reg=N, a
# device that offers SG_GAPS only, as mlx5 does).  auto registers each
# command with a page-list MR where one maps it, else with one indirect
# (gaps: SG_GAPS) MR; always with an indirect MR; never as Linux 6.12
# (SG_GAPS MRs with rxe's offer, page-list MRs and a 4 KiB virt_boundary
# without it; that pass logs in with room for 4 MiB commands, which then
# take several MRs and an indirect descriptor).
# Every byte written is read back and compared (fio verify, gappy iovecs,
# a read-modify-write through a discontiguous buffer, SG_IO); the block
# layer's counters give the requests each gappy I/O became, ib_srp's
# counters (SCSI host attributes) the registration of each command, and
# ib_srpt's the RDMA transfers per command at the target.

DIR=$(dirname "$0")
. "$DIR/../kselftest/ktap_helpers.sh"
. "$DIR/rxe_lib.sh"
. "$DIR/ulp_lib.sh"

ktap_print_header
rxe_require ip rdma fio sg_dd python3 timeout
[ "$(id -u)" = 0 ] || { ktap_skip_all "needs root"; exit "$KSFT_SKIP"; }
ulp_require_configfs
ulp_main "$(ulp_srp_passes)"
