#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Regenerate patches/ from the commits on top of "base" in build/linux.
# Edit upstream files in build/linux, commit each logical change with a
# kernel-style message (git commit -s), then run 'make patches'.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
src=$repo/build/linux
. "$here/files.sh"

if [ -n "$(git -C "$src" status --porcelain --untracked-files=no)" ]; then
	echo "patches: build/linux has uncommitted edits; commit them first:" >&2
	git -C "$src" status --short --untracked-files=no >&2
	exit 1
fi
# Debian's top-level .gitignore hides everything, so list untracked files
# without it, minus the project's links and checkpatch's camelcase cache.
untracked=$(git -C "$src" ls-files --others --exclude-from="$src/.git/info/exclude" |
	grep -v -e '^tools/testing/selftests/' -e '^\.checkpatch-camelcase\.' || true)
if [ -n "$untracked" ]; then
	echo "patches: new files in build/linux belong in the repo at the same path:" >&2
	echo "$untracked" | sed 's/^/    /' >&2
	exit 1
fi
if git -C "$src" log --format= --diff-filter=A --name-only base..HEAD | grep -q .; then
	echo "patches: a commit adds a file; new files live in the repo, not in patches" >&2
	exit 1
fi
rm -f "$repo"/patches/*.patch
git -C "$src" format-patch -q --zero-commit --no-signature --no-numbered \
	-o "$repo/patches" base..HEAD
{
	echo "# Applied in order on the pristine base by workbench/tree.sh"
	(cd "$repo/patches" && ls -1 *.patch 2>/dev/null || true)
} > "$repo/patches/series"
# The tree already carries exactly these patches.
wb_patches_hash > "$repo/build/.patches-applied"
echo "patches: $(grep -vc '^#' "$repo/patches/series") patch(es) in patches/series"
