#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make in build/linux for one output directory, through ccache, with
# reproducible version strings so that ccache hits survive a fresh clone.
# Usage: kmake.sh OBJDIR [make arguments...]   (WB_SRC: another tree)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
obj=$1; shift
export CCACHE_BASEDIR=$repo CCACHE_NOHASHDIR=1 CCACHE_SLOPPINESS=time_macros
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
export KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 2026"
export KBUILD_BUILD_USER=wb KBUILD_BUILD_HOST=wb
exec make -C "${WB_SRC:-$repo/build/linux}" O="$obj" ARCH=x86_64 CC="ccache gcc" \
	-j"$(nproc)" "$@"
