# SPDX-License-Identifier: GPL-2.0
# Indirect memory registration for the Linux RDMA stack: the workbench.
# Every target installs what it needs (apt) and builds incrementally.
#
#   make demo     build, boot, show soft-RoCE (rxe) working in the guest
#   make check    build, static gates, boot, KUnit + kselftests; summary
#   make check-debug  KUnit and the kselftests of rxe, the core, iSER and SRP
#                 on a KASAN/UBSAN/lockdep/kmemleak kernel (WB_TESTS= all)
#   make stress   the randomized differential test, long (WB_STRESS_OPS, WB_STRESS_SEED)
#   make stress-debug  the same on the debug kernel (KASAN, lockdep, ...)
#   make soak     random fault sequences under load over iSER, SRP and
#                 NFS/RDMA, long (WB_SOAK_SECONDS, WB_SOAK_SEED)
#   make soak-debug  the same on the debug kernel (KASAN, lockdep, kmemleak)
#   make bench    benchmarks (not tests), patched and unpatched kernel side by
#                 side: build/bench/results.md and plots; QUICK=1 fewer figures
#   make shell    interactive guest shell (serial console; 'exit' ends it)
#   make ktest T="iser.sh srp.sh"  only these kselftests, in one boot
#   make patches  regenerate patches/ from commits in build/linux
#   make series   the upstream series (build/series/patches), every new file
#                 in the patch that introduces it; author from git config
#   make series-check  git am it on the pristine base, checkpatch and
#                 compile after each patch, final tree = the tested tree
#   make kernel   build only
#   make base-kernel  the unpatched base kernel, for side-by-side benchmarks
#   make deps     install the Debian packages (and linux-source) only
#   make clean    remove build/ (ccache is kept)

WB := workbench
.PHONY: all demo check check-debug stress stress-debug soak soak-debug bench shell ktest patches series series-check kernel base-kernel deps tree gates clean

all: demo

deps:
	@$(WB)/deps.sh

tree: deps
	@$(WB)/tree.sh

kernel:
	@$(WB)/build.sh

base-kernel:
	@$(WB)/base.sh

demo: kernel
	@$(WB)/vm.sh demo build/demo $${WB_TIMEOUT:-600} && cat build/demo/demo.log

check:
	@$(WB)/check.sh

check-debug:
	@$(WB)/check.sh debug

bench:
	@WB_BENCH_QUICK=$(if $(filter 1,$(QUICK)),1,0) $(WB)/bench.sh

# WB_STRESS_OPS (default 100000) operations from WB_STRESS_SEED (default 1)
stress:
	@$(WB)/stress.sh

stress-debug:
	@$(WB)/stress.sh debug

# WB_SOAK_SECONDS (default 600) of rounds from WB_SOAK_SEED (default 1)
soak:
	@$(WB)/soak.sh

soak-debug:
	@$(WB)/soak.sh debug

shell: kernel
	@$(WB)/vm.sh shell build/shell

ktest: kernel
	@rm -rf build/ktest && WB_TESTS="$(T)" $(WB)/vm.sh ksft build/ktest $${WB_TIMEOUT:-1800}; \
	cat build/ktest/kselftest.ktap; $(WB)/reports.sh build/ktest/dmesg.txt

gates: kernel
	@mkdir -p build/results && $(WB)/gates.sh | tee build/results/gates.ktap

patches:
	@$(WB)/mkpatches.sh

series: kernel
	@$(WB)/series.sh export

series-check: kernel
	@$(WB)/series.sh check

clean:
	rm -rf build
