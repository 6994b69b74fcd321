#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Generate $obj/.config: allnoconfig + kvm_guest.config + the fragments
# given as arguments, then check that every symbol the fragments ask for
# got the value they ask for.  WB_SRC: another source tree (default
# build/linux); WB_CONFIG_MISSING_OK=1: a symbol that tree's Kconfig does
# not define is reported and skipped (the base kernel and the project's
# test options).
set -euo pipefail
obj=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
src=${WB_SRC:-$(cd "$here/.." && pwd)/build/linux}
mkdir -p "$obj"
kmake() { make -s -C "$src" O="$obj" ARCH=x86_64 "$@"; }
kmake allnoconfig >/dev/null
(cd "$src" && ARCH=x86_64 scripts/kconfig/merge_config.sh -m -O "$obj" \
	"$obj/.config" kernel/configs/kvm_guest.config "$@" >/dev/null)
kmake olddefconfig >/dev/null
bad=0
# A later fragment overrides an earlier one (as merge_config.sh does):
# check each symbol against the last fragment that sets it.
declare -A want from
for frag in "$@"; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) want[${line%%=*}]=$line; from[${line%%=*}]=$frag ;;
		esac
	done < "$frag"
done
for sym in "${!want[@]}"; do
	line=${want[$sym]} frag=${from[$sym]}
	if [ -n "${WB_CONFIG_MISSING_OK:-}" ] &&
	   ! grep -rqsx --include='Kconfig*' "\(menu\)\?config ${sym#CONFIG_}" "$src"; then
		echo "config: $sym is not in $src: left out" >&2
		continue
	fi
	case "$line" in
	CONFIG_*=n)
		grep -q "^$sym=" "$obj/.config" && { echo "config: $frag: $line but got $(grep "^$sym=" "$obj/.config")" >&2; bad=1; } ;;
	*)	grep -qxF "$line" "$obj/.config" || {
		echo "config: $frag: $line not met (got: $(grep "^$sym[= ]" "$obj/.config" || echo unset))" >&2; bad=1; } ;;
	esac
done
[ $bad = 0 ] || { echo "config: unmet symbols (missing dependency?)" >&2; exit 1; }
