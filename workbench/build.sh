#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Everything a guest run needs, incrementally: packages, the patched tree,
# .config (regenerated when a fragment changes), bzImage and modules,
# the modules installed under build/modroot and the kselftests under
# build/kselftest.
#   build.sh [OBJDIR [EXTRA_FRAGMENT...]]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
obj=${1:-$repo/build/obj}; shift || true
frags=("$repo/workbench/config/vm.config" "$repo/tools/testing/selftests/rdma/config" "$@")

"$here/deps.sh"
"$here/tree.sh"

want=$(cat "$repo/build/linux/.git/refs/tags/base" "${frags[@]}" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$obj/.wb-config" 2>/dev/null)" != "$want" ] || [ ! -f "$obj/.config" ]; then
	echo "build: generating $obj/.config"
	"$here/config.sh" "$obj" "${frags[@]}"
	echo "$want" > "$obj/.wb-config"
fi

echo "build: kernel ($obj)"
t0=$(date +%s)
"$here/kmake.sh" "$obj" -s bzImage modules
modroot=${WB_MODROOT:-$repo/build/modroot}
rm -rf "$modroot"
"$here/kmake.sh" "$obj" -s INSTALL_MOD_PATH="$modroot" modules_install >/dev/null
echo "build: kernel done in $(($(date +%s) - t0)) s"

ksft=${WB_KSFT:-$repo/build/kselftest}
rm -rf "$ksft"
make -s -C "$repo/build/linux/tools/testing/selftests" TARGETS=rdma \
	O="$obj" KSFT_INSTALL_PATH="$ksft" install >/dev/null
echo "build: kselftests installed in $ksft"
