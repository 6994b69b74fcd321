#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot the built kernel in qemu and run one guest job.
#   vm.sh MODE OUTDIR [TIMEOUT_SECONDS]
# MODE is a script in workbench/guest/ (check, demo, shell).  The host root
# is shared read-only over virtio-9p, OUTDIR writable as "wbresults"; the
# guest has no NIC (-nic none).  A guest still running at the timeout is
# killed by PID and the run fails with the end of its console log.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
mode=$1 out=$2 tmo=${3:-600}
obj=${WB_OBJ:-$repo/build/obj}
kernel=$obj/arch/x86/boot/bzImage
[ -f "$kernel" ] || { echo "vm: no kernel at $kernel; run make kernel" >&2; exit 1; }
[ -f "$here/guest/$mode.sh" ] || { echo "vm: no guest job $mode" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/{job.rc,dmesg.txt,kunit.ktap,console.log}

cat > "$out/job.sh" <<JOB
export WB_REPO='$repo' WB_OUT=/run/wb
export WB_MODROOT='${WB_MODROOT:-$repo/build/modroot}'
export WB_KSFT='${WB_KSFT:-$repo/build/kselftest}'
export WB_KMEMLEAK='${WB_KMEMLEAK:-}'
export WB_STRESS_OPS='${WB_STRESS_OPS:-}' WB_STRESS_SEED='${WB_STRESS_SEED:-}'
export WB_STRESS_CHUNK='${WB_STRESS_CHUNK:-}'
export WB_SOAK_SECONDS='${WB_SOAK_SECONDS:-}' WB_SOAK_SEED='${WB_SOAK_SEED:-}'
export WB_TESTS='${WB_TESTS:-}' ULP_FAULT_CASES='${ULP_FAULT_CASES:-}'
${REPORT_ULPS+export REPORT_ULPS='$REPORT_ULPS'}
export ULP_MODES='${ULP_MODES:-}' ULP_NFS_PASSES='${ULP_NFS_PASSES:-}'
export ULP_ISER_PASSES='${ULP_ISER_PASSES:-}' ULP_SRP_PASSES='${ULP_SRP_PASSES:-}'
export ULP_NVME_PASSES='${ULP_NVME_PASSES:-}'
export WB_BENCH_REPS='${WB_BENCH_REPS:-}' WB_BENCH_SECONDS='${WB_BENCH_SECONDS:-}' WB_BENCH_ROUNDS='${WB_BENCH_ROUNDS:-}'
export WB_BENCH_KERNEL='${WB_BENCH_KERNEL:-}' WB_BENCH_QUICK='${WB_BENCH_QUICK:-}' WB_BENCH_KUNIT='${WB_BENCH_KUNIT:-}'
export WB_BENCH_ULPS='${WB_BENCH_ULPS-iser srp nvme nfs}' WB_BENCH_ULP_PASSES='${WB_BENCH_ULP_PASSES:-}'
export WB_BENCH_ULP_CELLS='${WB_BENCH_ULP_CELLS:-}' WB_BENCH_ULP_LAYOUTS='${WB_BENCH_ULP_LAYOUTS:-}'
export WB_BENCH_WARMUP='${WB_BENCH_WARMUP:-}'
. "\$WB_REPO/workbench/guest/lib.sh"
. "\$WB_REPO/workbench/guest/$mode.sh"
JOB

# KVM when it works here, TCG otherwise; WB_ACCEL=kvm|tcg forces one.
# An instruction-timed guest is TCG (below): no probe, which could race
# with the benchmark's guests side by side.
accel=${WB_ACCEL:-auto}
if [ "$accel" = auto ] && [ "${WB_CLOCK:-wall}" != icount ]; then
	accel=$(cat "$repo/build/.accel" 2>/dev/null || true)
	if [ -z "$accel" ]; then
		accel=tcg
		if [ -w /dev/kvm ] && [ "$mode" != probe ]; then
			echo "vm: probing KVM (a guest that boots and finishes within 60 s)"
			if WB_ACCEL=kvm "$0" probe "$repo/build/vm-probe" 60 >/dev/null 2>&1; then
				accel=kvm
			fi
		fi
		echo "$accel" > "$repo/build/.accel"
		echo "vm: using $accel (cached in build/.accel)"
	fi
fi
# WB_CLOCK=icount: TCG whose guest clock counts instructions (one
# nanosecond each, single-threaded TCG, no sleeping ahead), so that the
# host's load does not move what the guest measures; KVM cannot.
clock=${WB_CLOCK:-wall}
case $clock in
icount) accel=tcg ;;
wall) ;;
*) echo "vm: WB_CLOCK=$clock is not icount or wall" >&2; exit 1 ;;
esac
case $accel:$clock in
kvm:*) accel_args=(-accel kvm -cpu host) ;;
*:icount) accel_args=(-accel tcg,thread=single -cpu max -icount shift=0,sleep=off) ;;
*) accel_args=(-accel tcg,thread=multi -cpu max) ;;
esac

cmdline="console=ttyS0 root=/dev/root rootfstype=9p"
cmdline+=" rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose ro"
cmdline+=" init=$repo/workbench/guest/init panic=-1"
# Benchmark suites are KUnit suites marked slow: only 'make bench' runs them.
kfilter=${WB_KUNIT_FILTER-speed>slow}
[ -n "$kfilter" ] && cmdline+=" kunit.filter=$kfilter"
cmdline+=" ${WB_CMDLINE:-}"
qemu=(qemu-system-x86_64 "${accel_args[@]}" -smp "${WB_SMP:-2}" -m "${WB_MEM:-2048}"
	-kernel "$kernel" -append "$cmdline" -no-reboot -nic none
	-fsdev local,id=root,path=/,readonly=on,security_model=none,multidevs=remap
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
	-fsdev local,id=wb,path="$out",security_model=none
	-device virtio-9p-pci,fsdev=wb,mount_tag=wbresults)

if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -nographic
fi

start=$(date +%s)
"${qemu[@]}" -display none -monitor none -serial file:"$out/console.log" &
pid=$!
echo "$pid" > "$out/qemu.pid"
# stopped (make bench interrupted): the guest goes too
trap 'kill "$pid" 2>/dev/null; exit 143' INT TERM
while kill -0 "$pid" 2>/dev/null; do
	if [ $(($(date +%s) - start)) -ge "$tmo" ]; then
		kill "$pid" 2>/dev/null
		sleep 2
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		echo "vm: guest ($mode) hung: killed PID $pid after $tmo s; console tail:" >&2
		tail -n 40 "$out/console.log" | sed 's/^/    /' >&2
		exit 124
	fi
	sleep 1
done
wait "$pid"
how=$accel
[ "$clock" = icount ] && how+=", icount"
echo "vm: $mode guest ran $(($(date +%s) - start)) s ($how)"
if [ ! -f "$out/job.rc" ]; then
	echo "vm: guest ($mode) ended without finishing its job; console tail:" >&2
	tail -n 40 "$out/console.log" | sed 's/^/    /' >&2
	exit 1
fi
exit 0
