# SPDX-License-Identifier: GPL-2.0
# Guest job of 'make ktest T="iser.sh srp.sh"': only the kselftests named
# in WB_TESTS, under the standard runner (for working on one test).
wb_modules_setup || echo "wb: modules setup failed"
set --
for t in $WB_TESTS; do set -- "$@" -t "rdma:$t"; done
cd "$WB_KSFT" && ./run_kselftest.sh "$@" 2>&1 | cat > "$WB_OUT/kselftest.ktap"
