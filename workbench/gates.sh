#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Static gates on the project's own files, as KTAP on stdout:
#  - scripts/checkpatch.pl --strict: every patch, every new file
#  - scripts/kernel-doc -Wall: new C files and headers; on touched upstream
#    files, no warning that the base did not already have
#  - every new header under drivers/ and include/ compiles on its own:
#    a file that includes only that header, with the flags kbuild used
#    for an object next to it (from its .o.cmd in build/obj)
#  - W=1 and sparse (C=2) on the object of every new or touched C file,
#    built in build/obj-lint so the main build is left alone
#  - workbench/rules.py: the rule labels of the loopback cases exist in
#    the contract's table with the tier each case assumes (every device
#    or strict only), and its self-test: broken copies fail
#  - workbench/benchreport_test.py: make bench's intervals and verdicts
set -uo pipefail
# Debian's python3 (checkpatch's spdxcheck needs python3-ply), not a
# python3 that an environment manager put first in PATH.
export PATH=/usr/bin:/bin:$PATH
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
src=$repo/build/linux
obj=$repo/build/obj
lint=$repo/build/obj-lint
log=$repo/build/results/gates
. "$here/files.sh"
mkdir -p "$log"

n=0
results=()
t() { # t NAME OK(0/1) LOGFILE
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		results+=("ok $n $1")
	else
		results+=("not ok $n $1")
		[ -s "$3" ] && while IFS= read -r l; do results+=("# $l"); done < <(head -n 30 "$3")
	fi
}
slug() { echo "$1" | tr '/' '_'; }

mapfile -t new < <(wb_new_files)
mapfile -t touched < <(wb_touched_files)

# checkpatch
# UNKNOWN_COMMIT_ID: the base is a source package without upstream
# history, so the commit a Fixes: tag names cannot be looked up here (its
# format is still checked)
cp_args=(--strict --quiet --show-types --terse --no-summary
	--ignore UNKNOWN_COMMIT_ID)
for p in $(grep -v '^#' "$repo/patches/series" 2>/dev/null); do
	l=$log/checkpatch-$(slug "$p").log
	(cd "$src" && scripts/checkpatch.pl "${cp_args[@]}" "$repo/patches/$p") > "$l" 2>&1
	# A patch that renames a file gets FILE_PATH_CHANGES ("does
	# MAINTAINERS need updating?") whatever MAINTAINERS says; the gate
	# below answers it, so that warning alone is not a failure here.
	if grep -q '^rename to ' "$repo/patches/$p"; then
		grep -v 'FILE_PATH_CHANGES' "$l" > "$l.tmp"; mv "$l.tmp" "$l"
	fi
	[ -s "$l" ]; t "checkpatch --strict patches/$p" $((1 - $?)) "$l"
done
# Every file a patch renames stays under a MAINTAINERS entry.
for f in $(git -C "$src" diff -M --name-status --diff-filter=R base HEAD | awk '{ print $3 }'); do
	l=$log/maintainers-$(slug "$f").log
	(cd "$src" && scripts/get_maintainer.pl --nogit --nogit-fallback \
		--no-email --subsystem -f "$f") > "$l" 2>&1
	grep -v '^THE REST$' "$l" | grep -q "^[A-Z]"
	t "MAINTAINERS covers the renamed $f" $? "$l"
done
for f in "${new[@]}"; do
	case "$f" in
	*.c|*.h|*/Kconfig*|*/Makefile|*.rst|*.sh|*.py) ;;
	*) continue ;;
	esac
	l=$log/checkpatch-$(slug "$f").log
	(cd "$src" && scripts/checkpatch.pl "${cp_args[@]}" -f "$f") > "$l" 2>&1
	[ -s "$l" ]; t "checkpatch --strict $f" $((1 - $?)) "$l"
done

# kernel-doc
for f in "${new[@]}"; do
	case "$f" in *.c|*.h) ;; *) continue ;; esac
	l=$log/kernel-doc-$(slug "$f").log
	(cd "$src" && scripts/kernel-doc -none -Wall "$f") > "$l" 2>&1
	[ -s "$l" ]; t "kernel-doc -Wall $f" $((1 - $?)) "$l"
done
for f in "${touched[@]}"; do
	case "$f" in *.c|*.h) ;; *) continue ;; esac
	l=$log/kernel-doc-$(slug "$f").log
	# a renamed file is compared with its old name
	old=$(git -C "$src" diff -M --name-status --diff-filter=R base HEAD |
		awk -v f="$f" '$3 == f { print $2 }')
	git -C "$src" show "base:${old:-$f}" > "$log/base.tmp" 2>/dev/null || : > "$log/base.tmp"
	before=$(cd "$src" && scripts/kernel-doc -none -Wall "$log/base.tmp" 2>&1 | grep -c 'warning' || true)
	(cd "$src" && scripts/kernel-doc -none -Wall "$f") > "$l" 2>&1
	after=$(grep -c 'warning' "$l" || true)
	[ "$after" -le "$before" ]; t "kernel-doc -Wall $f (no new warning: $before before, $after after)" $? "$l"
done
rm -f "$log/base.tmp"

# Rule labels: each case of the loopback suites names rules of the
# contract's table with the tier it checks them at. The whole KTAP goes
# to rules*.ktap; the log keeps its failures, in lines that do not read
# as KTAP results (they follow the gate's own).
rules_log() { # rules_log KTAP: its failures
	sed -e '/^ok /d' -e '/^KTAP version/d' -e '/^1\.\./d' \
		-e 's/^not ok [0-9]* /FAILED: /' -e 's/^# /    /' "$1"
}
"$here/rules.py" "$repo" > "$log/rules.ktap" 2>&1
rc=$?
rules_log "$log/rules.ktap" > "$log/rules.log"
t "rule labels of the loopback cases match the contract (rules.py)" $rc "$log/rules.log"
"$here/rules.py" --self-test "$repo" > "$log/rules-self-test.ktap" 2>&1
rc=$?
rules_log "$log/rules-self-test.ktap" > "$log/rules-self-test.log"
t "rules.py fails on copies with a wrong label or tier (self-test)" $rc "$log/rules-self-test.log"

# The benchmark report's statistics and verdicts (make bench's summariser)
"$here/benchreport_test.py" > "$log/benchreport-test.ktap" 2>&1
rc=$?
rules_log "$log/benchreport-test.ktap" > "$log/benchreport-test.log"
t "benchreport.py gives known intervals and verdicts (self-test)" $rc "$log/benchreport-test.log"

# Headers that compile on their own. The flags are those of an object
# built next to the header (the object of the same name if there is one,
# walking up to the parent directories if none); for include/ they are
# those of drivers/infiniband/core/verbs.o, which the project's headers in
# include/ (rdma/) serve. One compiler call per header, -fsyntax-only.
hdr_ref_cmd() { # hdr_ref_cmd HEADER: the .o.cmd file to take flags from
	local f=$1 d d0 b c

	case $f in
	include/*) d=drivers/infiniband/core b=verbs ;;
	*) d=$(dirname "$f") b=$(basename "$f" .h) ;;
	esac
	d0=$d
	while [ "$d" != . ]; do
		for c in "$obj/$d/.$b.o.cmd" "$obj/$d"/.*.o.cmd; do
			[ -f "$c" ] || continue
			case $c in *.mod.o.cmd) continue ;; esac
			grep -qE '^(saved)?cmd_.* -c -o ' "$c" && { echo "$c"; return 0; }
		done
		d=$(dirname "$d")
	done
	echo "no compiled object in $obj/$d0 or above to take flags from"
	return 1
}
for f in "${new[@]}"; do
	case "$f" in drivers/*.h|include/*.h) ;; *) continue ;; esac
	l=$log/header-$(slug "$f").log
	stub=$log/header-$(slug "${f%.h}").c	# no header next to it
	case "$f" in
	include/*) echo "#include <${f#include/}>" ;;
	*) echo "#include \"${f##*/}\"" ;;
	esac > "$stub"
	if [ ! -f "$src/$f" ]; then
		echo "$src/$f: no such file (is the tree linked?)" > "$l"
		t "header compiles on its own: $f" 1 "$l"
		continue
	fi
	if ! ref=$(hdr_ref_cmd "$f"); then
		echo "$ref" > "$l"
		t "header compiles on its own: $f" 1 "$l"
		continue
	fi
	# The compiler call of the object (kbuild escapes # and $ in .cmd
	# files; objtool and the like follow after ';'), without its
	# dependency file and with the stub in place of "-o OBJ SRC.c".
	cmd=$(sed -nE 's/^(saved)?cmd_[^ ]* := //p' "$ref" | head -n 1)
	cmd=${cmd%%;*}
	cmd=$(printf '%s\n' "$cmd" | sed -E \
		-e 's/\$\(pound\)/#/g' -e 's/\$\$/$/g' \
		-e 's/^ccache //' -e 's/ +$//' \
		-e 's/ -Wp,-MM?D,[^ ]+//' \
		-e "s| -o [^ ]+ [^ ]+\\.c\$| -fsyntax-only -iquote $src/$(dirname "$f") $stub|")
	printf '%s\n' "$cmd" > "${l%.log}.cmd"	# to run it again, in build/obj
	{
		echo "# flags of ${ref#"$obj"/}"
		echo "# stub: $(cat "$stub")"
		case $cmd in
		*" $stub") (cd "$obj" && sh -c "$cmd") 2>&1 ;;
		*) echo "cannot find '-o OBJ SRC.c' in the command of $ref"; false ;;
		esac
	} > "$l"
	rc=$?
	[ $rc = 0 ] && ! grep -qE '(warning|error):' "$l"
	t "header compiles on its own: $f" $? "$l"
done

# W=1 + sparse on the objects of new and touched C files
objs=()
for f in "${new[@]}" "${touched[@]}"; do
	case "$f" in tools/*) continue ;; *.c) objs+=("${f%.c}.o") ;; esac
done
if [ ${#objs[@]} -gt 0 ]; then
	if [ ! -f "$lint/.config" ] || ! cmp -s "$repo/build/obj/.config" "$lint/.config"; then
		mkdir -p "$lint"
		cp "$repo/build/obj/.config" "$lint/.config"
	fi
	"$here/kmake.sh" "$lint" -s olddefconfig prepare > "$log/lint-prepare.log" 2>&1 ||
		{ t "lint tree prepares" 1 "$log/lint-prepare.log"; }
	for o in $(printf '%s\n' "${objs[@]}" | sort -u); do
		# Only objects this configuration builds.
		grep -q "${o##*/}" "$repo/build/obj/$(dirname "$o")/.built-in.a.cmd" \
			"$repo/build/obj/$(dirname "$o")/modules.order" 2>/dev/null ||
			[ -f "$repo/build/obj/$o" ] || continue
		l=$log/w1-sparse-$(slug "$o").log
		rm -f "$lint/$o"
		"$here/kmake.sh" "$lint" -s W=1 C=2 CHECK="sparse" "$o" > "$l" 2>&1
		rc=$?
		[ $rc = 0 ] && ! grep -qE '(warning|error):' "$l"
		t "W=1 and sparse clean: ${o%.o}.c" $? "$l"
	done
fi

echo "KTAP version 1"
echo "1..$n"
[ $n -gt 0 ] && printf '%s\n' "${results[@]}"
exit 0
