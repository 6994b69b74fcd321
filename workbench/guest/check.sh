# SPDX-License-Identifier: GPL-2.0
# Guest job of 'make check': the kselftests under the standard runner.
# KUnit suites are built in and have already run at boot; init collects
# their results from debugfs.
wb_modules_setup || echo "wb: modules setup failed"
# WB_TESTS (make check-debug): only these, in the runner's order.
set --
for t in ${WB_TESTS:-}; do
	set -- "$@" -t "rdma:$t"
done
# The runner reopens /dev/stdout; give it a pipe, not a file on 9p.
cd "$WB_KSFT" && ./run_kselftest.sh "$@" 2>&1 | cat > "$WB_OUT/kselftest.ktap"

# The debug kernel: look for leaks once everything ran and was unloaded.
wb_kmemleak_scan
