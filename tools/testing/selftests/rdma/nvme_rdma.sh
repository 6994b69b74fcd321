#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# NVMe over RDMA over rxe with real I/O: nvmet (configfs) exporting a
# memory-backed null_blk disk on an RDMA port, nvme-rdma connected to it
# with 'nvme connect -t rdma' (nvme-cli).
# One pass per nvme-rdma reg_policy (the module parameter, read when a
# controller is created) and rxe mode (ulp_rxe_mode: on, gaps, off): auto,
# always and never with rxe's SG_GAPS and indirect offer (on), auto on a
# device that offers SG_GAPS only, as mlx5 does (gaps), and auto without
# the offer (off: Linux 6.12's page lists and 4 KiB virt_boundary);
# ULP_NVME_PASSES (default "auto:on always:on never:on auto:gaps
# auto:off") picks them.  Every byte written is read back and compared
# (fio verify, gappy iovecs, a read-modify-write); the block layer's
# counters give the requests each gappy I/O became, and the controller's
# counters (/sys/class/nvme/nvmeX/rdma_reg/) the path each command took:
# under auto, page-aligned I/O through a page list and gappy I/O through
# the indirect (gaps: SG_GAPS) MR.  After the disconnect no MR is left.

DIR=$(dirname "$0")
. "$DIR/../kselftest/ktap_helpers.sh"
. "$DIR/rxe_lib.sh"
. "$DIR/ulp_lib.sh"

ktap_print_header
rxe_require ip rdma fio python3 timeout nvme
[ "$(id -u)" = 0 ] || { ktap_skip_all "needs root"; exit "$KSFT_SKIP"; }
ulp_main "$(ulp_nvme_passes)"
