#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: build, static gates, boot, KUnit + kselftests in the guest,
# dmesg scan, one summary line.  Results land in build/results/.
# check.sh debug (make check-debug): the same tests on the debug kernel
# (workbench/config/debug.config, built in build/obj-debug), then a
# kmemleak scan; results in build/results-debug/.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
variant=${1:-}
res=$repo/build/results
extra=()
if [ "$variant" = debug ]; then
	res=$repo/build/results-debug
	. "$here/debug-env.sh"
	extra=("$debug_fragment")
	export WB_KMEMLEAK=1
	# The storage-ULP tests with rxe's SG_GAPS offer on only (the off
	# pass is stock code), NFSv4.2 only: about 5 minutes less under TCG.
	export ULP_MODES=${ULP_MODES:-on} ULP_NFS_PASSES=${ULP_NFS_PASSES:-4:on}
	# iSER: the default policy, which takes both page lists and
	# indirect MRs
	export ULP_ISER_PASSES=${ULP_ISER_PASSES:-auto:on}
	# SRP: the default policy, which takes both pools (the stock path
	# with several MRs runs in make check)
	export ULP_SRP_PASSES=${ULP_SRP_PASSES:-auto:on}
	# NVMe/RDMA: the default policy, both pools
	export ULP_NVME_PASSES=${ULP_NVME_PASSES:-auto:on}
	# faults under load: the device gone under SRP (where the debug
	# soak found a use of freed requests, patch 0001), an SRP
	# reconnect that cannot allocate its MR pools followed by one that
	# can (where CONFIG_DEBUG_LIST caught free_tx built twice, patch
	# 0002) and an iSER reconnect that cannot allocate its fallback
	# MR; then a login of each that cannot allocate its fallback MRs
	# and takes Linux 6.12's plan; NVMe/RDMA: a reconnect that cannot
	# allocate its fallback MRs, a first connect that takes 6.12's
	# plan, and the device gone; make soak-debug runs every fault
	export ULP_FAULT_CASES=${ULP_FAULT_CASES:-srp:rxe_link,failslab,failslab_login iser:failslab_fb,failslab_login nvme:failslab_fb,failslab_login,rxe_link}
	# The kselftests whose code paths this series changes: rxe and the
	# core (loopback, stress, fault suites), iSER, SRP and NVMe/RDMA
	# with their faults.  NFS/RDMA and SMB Direct reach only rxe's SG_GAPS MRs,
	# which the loopback suite runs here too; device_report.sh repeats
	# the loopback suites.  make check runs all of them on the normal
	# kernel; WB_TESTS= (empty) runs all of them here too (about 7
	# minutes more under TCG).
	export WB_TESTS=${WB_TESTS-rxe_link.sh indirect_mr.sh indirect_mr_fault.sh iser.sh srp.sh srp_flush.sh nvme_rdma.sh ulp_faults.sh}
	# device_report.sh, when run: its loopback suites, not its storage
	# protocols (make check runs those)
	export REPORT_ULPS=${REPORT_ULPS-}
fi
t0=$(date +%s)

# The summariser's own test first: it needs no build.
echo "check: ktap.py self-test"
ktapself=$(/usr/bin/python3 "$here/ktap_test.py" 2>&1)
selfrc=$?
if [ $selfrc != 0 ]; then
	echo "check: ktap.py fails its own test (ktap-self.ktap)"
	# a self-test that broke before reporting a case still fails
	grep -q '^not ok' <<< "$ktapself" ||
		ktapself+=$'\nKTAP version 1\n1..1\n'"not ok 1 ktap_test.py ran (exit $selfrc)"
fi

"$here/build.sh" "${WB_OBJ:-$repo/build/obj}" "${extra[@]}" ||
	{ echo "check: build failed"; echo "0 passed, 1 failed"; exit 1; }
rm -rf "$res"
mkdir -p "$res"
printf '%s\n' "$ktapself" > "$res/ktap-self.ktap"

if [ -z "$variant" ]; then
	echo "check: static gates"
	"$here/gates.sh" > "$res/gates.ktap"
else
	echo "KTAP version 1" > "$res/gates.ktap"	# make check runs them
	echo "1..0" >> "$res/gates.ktap"
fi

echo "check: booting the guest"
"$here/vm.sh" check "$res/vm" "${WB_TIMEOUT:-2400}"
vmrc=$?
cp "$res/vm/kunit.ktap" "$res/kunit.ktap" 2>/dev/null
cp "$res/vm/kselftest.ktap" "$res/kselftest.ktap" 2>/dev/null
cp "$res/vm/dmesg.txt" "$res/dmesg.txt" 2>/dev/null
cp "$res/vm/console.log" "$res/console.log" 2>/dev/null
cp "$res/vm/kmemleak.txt" "$res/kmemleak.txt" 2>/dev/null

# Every kselftest of rdma/Makefile's TEST_PROGS must have a runner
# result (only those of WB_TESTS when set).
progs=${WB_TESTS:-$(sed -e :a -e '/\\$/{N;s/\\\n//;ba' -e '}' \
	"$repo/tools/testing/selftests/rdma/Makefile" |
	sed -nE 's/^TEST_PROGS\s*[:+]?=\s*//p')}

# Host-side checks of the guest run.
{
	n=0
	h() { n=$((n + 1)); if [ "$2" = 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; fi; }
	echo "KTAP version 1"
	h "guest booted, ran its job and powered off (rc $vmrc)" $([ $vmrc = 0 ]; echo $?)
	h "kselftests to expect: $(echo $progs)" $([ -n "$progs" ]; echo $?)
	# The log to scan: dmesg if the guest got that far, else the console.
	scan=$res/dmesg.txt
	[ -s "$scan" ] || scan=$res/console.log
	"$here/reports.sh" "$scan" > "$res/reports.txt"
	rc=$?
	h "no WARN/BUG/Oops/KASAN/lockdep report in the guest log" $rc
	cat "$res/reports.txt"
	if [ -n "${WB_KMEMLEAK:-}" ]; then
		if [ ! -f "$res/kmemleak.txt" ]; then
			h "kmemleak scan ran after the tests" 1
		elif [ -s "$res/kmemleak.txt" ]; then
			h "kmemleak reports no leak" 1
			head -n 40 "$res/kmemleak.txt" | sed 's/^/# /'
		else
			h "kmemleak reports no leak" 0
		fi
	fi
	# Every KUnit suite the project defines must have run, but those of
	# files under WB_NOT_BUILT (debug-env.sh: debug.config leaves mlx5
	# out, and its suites run in make check).
	for f in $(cd "$repo" && grep -rlE 'kunit_test_suites?\(' drivers include lib net 2>/dev/null); do
		case $f in ${WB_NOT_BUILT:-/}*)
			echo "# not in the $variant kernel: the suites of $f"
			continue ;;
		esac
		for s in $(sed -nE 's/^\s*\.name\s*=\s*"([^"]+)".*/\1/p' "$repo/$f"); do
			# benchmark suites (marked slow) belong to make bench
			case $s in *_bench) continue ;; esac
			# built in: debugfs at the end; modules: inside a kselftest
			grep -Eq "^[# ]*# Subtest: $s\$" "$res/kunit.ktap" \
				"$res/kselftest.ktap" 2>/dev/null
			h "KUnit suite $s ($f) ran" $?
		done
	done
	echo "1..$n"
} > "$res/host.ktap"

echo "check: results in ${res#$repo/} (console.log, dmesg.txt, *.ktap)"
echo "check: finished in $(($(date +%s) - t0)) s"
args=(--expect "kselftest=$(echo $progs | tr ' ' ,)"
      ktapself="$res/ktap-self.ktap" gates="$res/gates.ktap"
      host="$res/host.ktap" kunit="$res/kunit.ktap"
      kselftest="$res/kselftest.ktap")
[ -n "${WB_ALLOW_SKIP:-}" ] && args=(--allow-skip "${args[@]}")
/usr/bin/python3 "$here/ktap.py" "${args[@]}" | tee "$res/summary.txt"
exit "${PIPESTATUS[0]}"
