# SPDX-License-Identifier: GPL-2.0
# Guest job of 'make soak': the storage-ULP fault test (ulp_faults.sh) in
# its soak mode, rounds of random fault sequences under load for
# WB_SOAK_SECONDS from seed WB_SOAK_SEED; on the debug kernel a kmemleak
# scan after it.
wb_modules_setup || echo "wb: modules setup failed"
secs=${WB_SOAK_SECONDS:-600}
cd "$WB_KSFT/rdma" || exit 1
ULP_FAULT_SOAK=$secs ULP_FAULT_SEED=${WB_SOAK_SEED:-1} \
	timeout $((secs + 1800)) ./ulp_faults.sh 2>&1 | cat > "$WB_OUT/soak.ktap"
wb_kmemleak_scan
