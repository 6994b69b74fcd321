#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages the workbench needs, and the pinned
# linux-source-6.12.  Idempotent: does nothing when all are present.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/pin.sh"

pkgs=(
	# kernel build
	build-essential flex bison bc libelf-dev libssl-dev ccache cpio
	xz-utils kmod rsync perl python3 sparse
	# checkpatch's SPDX check
	python3-ply python3-git
	# VM
	qemu-system-x86
	# guest userspace (runs from the host root over 9p)
	iproute2 rdma-core ibverbs-providers ibverbs-utils rdmacm-utils
	perftest python3-pyverbs open-iscsi sg3-utils fio
	nfs-kernel-server nfs-common rpcbind ksmbd-tools cifs-utils dmsetup
	nvme-cli
	# make bench's plots
	gnuplot-nox
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
have_src=$(dpkg-query -W -f='${Status} ${Version}' "$WB_SRC_PKG" 2>/dev/null || true)
[ "$have_src" = "install ok installed $WB_SRC_VERSION" ] || missing+=("$WB_SRC_PKG=$WB_SRC_VERSION")

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run 'make deps' as root (apt-get install)" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
avail=$(apt-cache madison "$WB_SRC_PKG" | awk '{print $3}')
if ! grep -qxF "$WB_SRC_VERSION" <<<"$avail"; then
	echo "deps: $WB_SRC_PKG $WB_SRC_VERSION (pinned in workbench/pin.sh) is not in the archive." >&2
	echo "deps: versions available:" >&2
	sed 's/^/    /' <<<"${avail:-(none)}" >&2
	echo "deps: pick one, set WB_SRC_VERSION in workbench/pin.sh and rebase patches/." >&2
	exit 1
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
