#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: build, boot, run the benchmark suites, and write what they
# measured (side by side, in one run) to build/bench/results.txt.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out=$repo/build/bench
"$here/build.sh" || exit 1
WB_KUNIT_FILTER= WB_CMDLINE="kunit.filter_glob=*_bench" \
	"$here/vm.sh" bench "$out" "${WB_TIMEOUT:-1800}" || exit 1
cat "$out/kunit.ktap" "$out/bench.log" > "$out/all.ktap"
grep -o 'bench .*' "$out/all.ktap" | awk '!seen[$0]++' > "$out/results.txt"
{
	echo "# make bench, $(date -u +%Y-%m-%d), $(cat "$repo/build/.accel" 2>/dev/null || echo tcg) guest"
	cat "$out/results.txt"
} | tee "$out/summary.txt"
if grep -q "not ok" "$out/all.ktap" || [ ! -s "$out/results.txt" ]; then
	echo "bench: a benchmark failed; see $out/all.ktap"
	exit 1
fi
