# SPDX-License-Identifier: GPL-2.0
# The one place the base kernel is pinned.
WB_SRC_PKG=linux-source-6.12
WB_SRC_VERSION=6.12.117-1~deb12u1
WB_SRC_TARBALL=/usr/src/linux-source-6.12.tar.xz
