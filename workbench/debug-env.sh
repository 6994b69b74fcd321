# SPDX-License-Identifier: GPL-2.0
# Sourced by check.sh and stress.sh (with $repo set) for a run on the
# debug kernel: workbench/config/debug.config on top of the usual
# fragments, built in build/obj-debug, ccache shared.
debug_fragment=$repo/workbench/config/debug.config
export WB_OBJ=$repo/build/obj-debug
export WB_MODROOT=$repo/build/modroot-debug
export WB_KSFT=$repo/build/kselftest-debug
# What debug.config leaves out; its KUnit suites run in make check only.
export WB_NOT_BUILT=drivers/infiniband/hw/mlx5/
export WB_MEM=${WB_MEM:-4096}
# Under TCG a KASAN+lockdep kernel can stall a vCPU for tens of seconds
# in stop_machine at boot; allow RCU the longest grace period it accepts
# before it calls that a stall.
export WB_CMDLINE="${WB_CMDLINE:-} rcupdate.rcu_cpu_stall_timeout=300"
