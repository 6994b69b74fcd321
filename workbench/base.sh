#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make base-kernel: the pinned base, without the project's patches and
# files, built the way build.sh builds the patched kernel, so that
# benchmarks can boot both in one run.
#   build/linux-base  a git worktree of build/linux at tag "base"
#   build/obj-base    its objects (ccache shared with the other builds)
#   build/modroot-base  its modules
# The config comes from the same fragments; a symbol the base does not
# define (the project's test options) is reported and left out, anything
# else unmet fails as in build.sh.
# The base carries the series' upstream fixes without which the benchmark
# cannot run at all (base_fixes, by subject; cherry-picked from
# build/linux): without the svcrdma one, 6.12's NFS server livelocks in
# a one-vCPU guest at 1 MiB reads; without the isert one, its iSER target
# warns at a logout whose response was flushed, and a guest's kernel
# report fails the bench.  Nothing of the feature.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
src=$repo/build/linux-base
obj=$repo/build/obj-base
modroot=$repo/build/modroot-base
frags=("$repo/workbench/config/vm.config" "$repo/tools/testing/selftests/rdma/config")

"$here/deps.sh"
"$here/tree.sh"
if [ ! -f "$src/Makefile" ]; then
	echo "base: worktree of the pristine base in ${src#$repo/}"
	rm -rf "$src"
	git -C "$repo/build/linux" worktree prune
	git -C "$repo/build/linux" worktree add -q --detach "$src" base
fi
base_fixes=("svcrdma: Wait until the Send Queue has room for the whole WR chain"
	"IB/isert: Leave an unsent Logout Response to the connection's release")
fixes=()
for f in "${base_fixes[@]}"; do
	c=$(git -C "$repo/build/linux" log --format='%H %s' base..HEAD |
		awk -v s="$f" 'substr($0, 42) == s { print $1 }')
	[ -n "$c" ] || { echo "base: no commit \"$f\" in build/linux" >&2; exit 1; }
	fixes+=("$c")
done
# the fixes by content: a fix that changed is picked again
stamp=$(for c in "${fixes[@]}"; do git -C "$repo/build/linux" show "$c" |
	git patch-id --stable | cut -d' ' -f1; done | paste -sd' ')
if [ "$(cat "$repo/build/.base-fixes" 2>/dev/null)" != "$stamp" ] ||
   [ "$(git -C "$src" rev-parse -q --verify "HEAD~${#fixes[@]}")" != "$(git -C "$repo/build/linux" rev-parse base)" ]; then
	echo "base: ${src#$repo/}: the base and ${#fixes[@]} fix(es)"
	# only the files that differ are written, so the build stays incremental
	git -C "$src" checkout -q --force --detach base
	git -C "$src" -c user.name="Indirect MR Team" \
		-c user.email=indirect-mr@example.org cherry-pick "${fixes[@]}" >/dev/null
	echo "$stamp" > "$repo/build/.base-fixes"
fi

want=$(cat "$repo/build/linux/.git/refs/tags/base" "${frags[@]}" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$obj/.wb-config" 2>/dev/null)" != "$want" ] || [ ! -f "$obj/.config" ]; then
	echo "base: generating ${obj#$repo/}/.config"
	WB_SRC=$src WB_CONFIG_MISSING_OK=1 "$here/config.sh" "$obj" "${frags[@]}"
	echo "$want" > "$obj/.wb-config"
fi

echo "base: kernel (${obj#$repo/})"
t0=$(date +%s)
WB_SRC=$src "$here/kmake.sh" "$obj" -s bzImage modules
rm -rf "$modroot"
WB_SRC=$src "$here/kmake.sh" "$obj" -s INSTALL_MOD_PATH="$modroot" modules_install >/dev/null
echo "base: kernel done in $(($(date +%s) - t0)) s"
