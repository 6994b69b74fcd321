# SPDX-License-Identifier: GPL-2.0
# Guest job of 'make ktest T="iser.sh srp.sh"': only the kselftests named
# in WB_TESTS, under the standard runner (for working on one test).
wb_modules_setup || echo "wb: modules setup failed"
set --
extra=
for t in $WB_TESTS; do
	# a test the runner does not list (TEST_PROGS_EXTENDED) runs alone
	if grep -qx "rdma:$t" "$WB_KSFT/kselftest-list.txt"; then
		set -- "$@" -t "rdma:$t"
	else
		extra="$extra $t"
	fi
done
cd "$WB_KSFT" || exit 1
{
	[ $# -gt 0 ] && ./run_kselftest.sh "$@"
	for t in $extra; do
		(cd rdma && timeout "${WB_KSFT_TIMEOUT:-1500}" "./$t")
	done
} 2>&1 | cat > "$WB_OUT/kselftest.ktap"
