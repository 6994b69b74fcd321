#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prepare build/linux: the pristine pinned base as a git repo (tag "base"),
# patches/series applied as one commit each, and the project's new files
# symlinked in at their kernel paths.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$here/pin.sh"
. "$here/files.sh"
src=$repo/build/linux
stamp=$repo/build/.patches-applied
# one at a time: CI's series check runs beside make check's build
mkdir -p "$repo/build"
exec 9> "$repo/build/.tree.lock"
flock 9
git_wb() { git -C "$src" -c user.name=workbench -c user.email=workbench@localhost \
	-c core.autocrlf=false "$@"; }

apply_series() {
	local p
	[ -f "$repo/patches/series" ] || return 0
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		if ! git_wb am --quiet --keep-cr "$repo/patches/$p"; then
			git_wb am --abort || true
			echo "tree: patches/$p does not apply cleanly on the base; fix it in build/linux and run 'make patches'" >&2
			exit 1
		fi
	done < "$repo/patches/series"
}

if [ ! -d "$src/.git" ]; then
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	echo "tree: unpacking $WB_SRC_TARBALL ($WB_SRC_VERSION)"
	tar -C "$src.tmp" --strip-components=1 -xf "$WB_SRC_TARBALL"
	git -C "$src.tmp" init -q
	mv "$src.tmp" "$src"
	echo "tree: committing the pristine base"
	git_wb add -f -A .
	git_wb commit -q -m "base: $WB_SRC_PKG $WB_SRC_VERSION"
	git_wb tag base
	rm -f "$stamp"
fi

want=$(wb_patches_hash)
have=$(cat "$stamp" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
	if [ -n "$(git_wb status --porcelain --untracked-files=no)" ]; then
		echo "tree: patches/ changed but build/linux has uncommitted edits:" >&2
		git_wb status --short --untracked-files=no >&2
		echo "tree: commit them and run 'make patches', or discard them" >&2
		exit 1
	fi
	echo "tree: applying patches/series"
	git_wb reset -q --hard base
	apply_series
	echo "$want" > "$stamp"
fi

# Link the project's new files into the tree.
mapfile -t files < <(wb_new_files)
exclude=$src/.git/info/exclude
: > "$exclude.new"
for f in "${files[@]}"; do
	dst=$src/$f
	if [ -e "$dst" ] && [ ! -L "$dst" ]; then
		echo "tree: $f exists upstream; change it with a patch, not a copy" >&2
		exit 1
	fi
	mkdir -p "$(dirname "$dst")"
	[ "$(readlink "$dst" 2>/dev/null)" = "$repo/$f" ] || ln -sfn "$repo/$f" "$dst"
	echo "/$f" >> "$exclude.new"
done
# Drop links whose target left the project.
if [ -f "$exclude" ]; then
	while read -r old; do
		old=${old#/}
		[ -L "$src/$old" ] && [ ! -e "$src/$old" ] && rm -f "$src/$old"
	done < "$exclude"
fi
mv "$exclude.new" "$exclude"
