#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The project as an upstream patch series against the pinned base.
#
#   series.sh export   (make series) build/series/patches/: a cover
#                      letter and one patch per commit of build/linux, each
#                      carrying the new files workbench/series/map assigns
#                      to it, author and Signed-off-by from git config
#   series.sh check    (make series-check) export, then on the pristine
#                      base in build/series/linux: git am each patch in
#                      order, checkpatch --strict it, compile every
#                      directory it touches (incremental, ccache; the final
#                      tree is the one make check builds), and check that
#                      the final tree equals build/linux with the new files
#                      and that MAINTAINERS names a maintainer of each new
#                      file.  KTAP, one line "N passed, N failed" at the end.
#
# The sender's identity: git config user.name / user.email (of this
# repository, else global), else the team's below.
set -uo pipefail
export PATH=/usr/bin:/bin:$PATH	# Debian's python3 for checkpatch
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
src=$repo/build/linux
out=$repo/build/series
# WB_SERIES_MAP: another map, to see the check fail on a broken series
map=${WB_SERIES_MAP:-$here/series/map}
cover=$here/series/cover-letter
WB_TEAM_NAME="Indirect MR Team"
WB_TEAM_EMAIL=indirect-mr@example.org
# where it goes: the RDMA list, and the lists of the ULPs and tests it
# changes
WB_SERIES_TO=linux-rdma@vger.kernel.org
WB_SERIES_CC="linux-scsi@vger.kernel.org linux-nfs@vger.kernel.org linux-kselftest@vger.kernel.org"

die() { echo "series: $*" >&2; exit 1; }

name=$(git -C "$repo" config user.name || true)
email=$(git -C "$repo" config user.email || true)
if [ -z "$name" ] || [ -z "$email" ]; then
	name=$WB_TEAM_NAME email=$WB_TEAM_EMAIL
fi
sob="Signed-off-by: $name <$email>"
gsrc() { git -C "$src" -c user.name="$name" -c user.email="$email" "$@"; }

# The map: subject -> its new files, in the order of the commits.
declare -A files_of
map_read() {
	local subj='' line
	while IFS= read -r line; do
		case $line in
		'#'*|'') ;;
		$'\t'*) [ -n "$subj" ] || die "map: a file before any subject"
			files_of[$subj]+="${line#$'\t'} " ;;
		*) subj=$line
			[ -z "${files_of[$subj]+x}" ] || die "map: $subj twice"
			files_of[$subj]= ;;
		esac
	done < "$map"
}

# Every new file is mapped once; every mapped subject is a commit.
map_check() {
	local listed all dup s
	listed=$(printf '%s' "${files_of[@]}" | tr ' ' '\n' | grep . | sort)
	all=$(cd "$repo" && git ls-files -- drivers include Documentation tools | sort)
	dup=$(uniq -d <<<"$listed")
	[ -z "$dup" ] || die "map: listed twice: $dup"
	[ "$listed" = "$all" ] || die "map: new files not mapped (<) or not in the repo (>):
$(diff <(echo "$all") <(echo "$listed") | grep '^[<>]')"
	for s in "${!files_of[@]}"; do
		grep -qxF "$s" <<<"$subjects" || die "map: no commit \"$s\" in build/linux"
	done
}

# export: a branch "series" in build/linux built with plumbing (no
# checkout): commit k = commit k of build/linux plus the new files of
# commits 1..k, with the sender as author and the only Signed-off-by.
do_export() {
	local c prev=base subj f mode blob tree msg n=0 have=() more=()
	local idx=$out/index
	[ -d "$src/.git" ] || die "no build/linux; run make kernel"
	"$here/tree.sh" >/dev/null || die "build/linux is not up to date with patches/"
	subjects=$(git -C "$src" log --reverse --format=%s base..HEAD)
	map_read
	map_check
	mkdir -p "$out"
	rm -rf "$out/patches"
	for c in $(git -C "$src" rev-list --reverse base..HEAD); do
		subj=$(git -C "$src" log -1 --format=%s "$c")
		read -r -a more <<<"${files_of[$subj]:-}"
		have+=("${more[@]}")
		GIT_INDEX_FILE=$idx git -C "$src" read-tree "$c" || die "read-tree"
		for f in "${have[@]}"; do
			mode=$(cd "$repo" && git ls-files -s -- "$f" | cut -d' ' -f1)
			blob=$(git -C "$src" hash-object -w "$repo/$f") || die "hash $f"
			GIT_INDEX_FILE=$idx git -C "$src" update-index --add \
				--cacheinfo "$mode,$blob,$f" || die "index $f"
		done
		tree=$(GIT_INDEX_FILE=$idx git -C "$src" write-tree) || die "write-tree"
		msg=$(git -C "$src" log -1 --format=%B "$c" | grep -v '^Signed-off-by: ' |
			sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')
		prev=$(printf '%s\n\n%s\n' "$msg" "$sob" |
			GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email \
			GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email \
			GIT_AUTHOR_DATE=$(git -C "$src" log -1 --format=%ad --date=raw "$c") \
			GIT_COMMITTER_DATE=$(git -C "$src" log -1 --format=%cd --date=raw "$c") \
			git -C "$src" commit-tree "$tree" -p "$prev") || die "commit-tree"
		n=$((n + 1))
	done
	rm -f "$idx"
	git -C "$src" update-ref refs/heads/series "$prev"
	# shellcheck disable=SC2046,SC2086 # one --cc per list
	gsrc format-patch -q --cover-letter --zero-commit --no-signature \
		--subject-prefix="RFC PATCH" --to="$WB_SERIES_TO" \
		$(printf -- '--cc=%s ' $WB_SERIES_CC) -o "$out/patches" base..series ||
		die "format-patch"
	cover_fill "$out/patches/0000-cover-letter.patch"
	echo "series: $n patches and a cover letter in build/series/patches (from $name <$email>)"
}

# cover_fill FILE: the subject and blurb of workbench/series/cover-letter.
cover_fill() {
	local subj
	subj=$(sed -n '1p' "$cover")
	python3 - "$1" "$subj" "$cover" <<'EOF'
import sys
path, subj, src = sys.argv[1:]
blurb = open(src).read().split('\n', 2)[2].rstrip('\n')
s = open(path).read()
s = s.replace('*** SUBJECT HERE ***', subj).replace('*** BLURB HERE ***', blurb)
open(path, 'w').write(s)
EOF
	grep -q '\*\*\* .* HERE \*\*\*' "$1" && die "cover letter not filled"
	return 0
}

n=0 fails=0
t() { # t OK(0/1) NAME [LOG]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		fails=$((fails + 1))
		echo "not ok $n $2"
		[ -n "${3:-}" ] && [ -s "$3" ] && head -n 30 "$3" | sed 's/^/# /'
	fi
}

# dirs_of PATCH: the directories to compile after PATCH: those of its C,
# header, Kconfig and Makefile changes under drivers/ (a change under
# include/ compiles the RDMA core, its first user).
dirs_of() {
	grep -E '^\+\+\+ b/' "$1" | sed 's|^+++ b/||' |
		while read -r f; do
			case $f in
			include/*) echo drivers/infiniband/core/ ;;
			drivers/*.[ch]|drivers/*/Kconfig|drivers/*/Makefile|drivers/*/Kbuild)
				echo "${f%/*}/" ;;
			esac
		done | sort -u
}

# fixes_alone TREE OBJ LOG: the fixes (patches with a Fixes: tag or
# Cc: stable, or whose subject workbench/series/fixes lists) come first,
# and each applies to the pristine base on its own and builds there, so
# that it can go to stable without the rest; TREE is left at the base.
fixes_alone() {
	local lt=$1 obj=$2 log=$3 p b subj dirs rc seen_other=0 order=0
	: > "$log/fixes-order"
	for p in "$out"/patches/0[0-9][0-9][0-9]-*.patch; do
		case $p in */0000-cover-letter.patch) continue ;; esac
		# the subject, its folded lines joined
		subj=$(awk '/^Subject: /{ s = $0; while ((getline l) > 0 && l ~ /^ /) s = s l
			print s; exit }' "$p" | sed 's/^Subject: \[[^]]*\] //')
		if ! grep -qE '^(Fixes: |Cc: stable@)' "$p" &&
		   ! grep -qxF "$subj" <(grep -v '^#' "$here/series/fixes"); then
			seen_other=1
			continue
		fi
		b=$(basename "$p" .patch)
		if [ $seen_other = 1 ]; then
			order=1
			echo "$b comes after a patch that is not a fix" >> "$log/fixes-order"
		fi
		git -C "$lt" -c user.name="$name" -c user.email="$email" am -q "$p" \
			> "$log/$b.alone.am" 2>&1
		rc=$?
		t $rc "$b applies to the pristine base on its own" "$log/$b.alone.am"
		if [ $rc = 0 ]; then
			dirs=$(dirs_of "$p")
			# shellcheck disable=SC2086 # a list of directories
			WB_SRC=$lt "$here/kmake.sh" "$obj" -s olddefconfig $dirs \
				> "$log/$b.alone.build" 2>&1
			t $? "$b builds on the pristine base on its own" "$log/$b.alone.build"
		else
			git -C "$lt" am --abort
		fi
		git -C "$lt" checkout -q -f --detach base
	done
	t $order "the fixes come first" "$log/fixes-order"
}

do_check() {
	local lt=$out/linux obj=$out/obj log=$out/log p b dirs rc want got f
	do_export || exit 1
	mkdir -p "$log"
	echo "KTAP version 1"
	echo "# the series on the pristine base in build/series/linux"
	if [ -d "$lt/.git" ] || [ -f "$lt/.git" ]; then
		git -C "$lt" am --abort >/dev/null 2>&1
		git -C "$lt" checkout -q -f --detach base && git -C "$lt" clean -fdxq
	else
		rm -rf "$lt"
		git -C "$src" worktree prune
		git -C "$src" worktree add -q --detach "$lt" base
	fi
	rc=$?
	t $rc "pristine base checked out" || true
	[ $rc = 0 ] || { echo "1..$n"; echo "0 passed, 1 failed"; exit 1; }
	# the configuration make check builds; olddefconfig drops what a
	# patch has not introduced yet
	mkdir -p "$obj"
	cp "$repo/build/obj/.config" "$obj/.config" || die "no build/obj/.config; run make kernel"
	fixes_alone "$lt" "$obj" "$log"
	for p in "$out"/patches/0[0-9][0-9][0-9]-*.patch; do
		case $p in */0000-cover-letter.patch) continue ;; esac
		b=$(basename "$p" .patch)
		git -C "$lt" -c user.name="$name" -c user.email="$email" am -q "$p" \
			> "$log/$b.am" 2>&1
		rc=$?
		t $rc "git am $b" "$log/$b.am"
		[ $rc = 0 ] || { git -C "$lt" am --abort; break; }
		# FILE_PATH_CHANGES ("does MAINTAINERS need updating?") is
		# answered by the MAINTAINERS patch, checked below; the base
		# has no upstream history for a Fixes: tag's commit id
		(cd "$src" && scripts/checkpatch.pl --strict -q \
			--ignore FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID "$p") \
			> "$log/$b.checkpatch" 2>&1
		t $? "checkpatch --strict $b" "$log/$b.checkpatch"
		dirs=$(dirs_of "$p")
		[ -n "$dirs" ] || continue
		# shellcheck disable=SC2086 # a list of directories
		WB_SRC=$lt "$here/kmake.sh" "$obj" -s olddefconfig $dirs \
			> "$log/$b.build" 2>&1
		t $? "builds after $b: ${dirs//$'\n'/ }" "$log/$b.build"
	done
	# the final tree: build/linux's HEAD and the new files, which is what
	# make check builds
	want=$(git -C "$src" rev-parse "series^{tree}")
	got=$(git -C "$lt" rev-parse "HEAD^{tree}")
	t $([ "$want" = "$got" ]; echo $?) "the final tree is build/linux with the new files ($got)"
	git -C "$src" diff --quiet HEAD series -- $(git -C "$src" diff --name-only base HEAD)
	t $? "upstream files in the final tree equal build/linux's"
	: > "$log/maintainers"
	for f in $(cd "$repo" && git ls-files -- drivers include Documentation tools); do
		(cd "$lt" && scripts/get_maintainer.pl --no-git --no-rolestats \
			--no-git-fallback -f "$f") | grep -qF "$WB_TEAM_EMAIL" ||
			echo "$f: no entry names $WB_TEAM_EMAIL" >> "$log/maintainers"
	done
	[ -s "$log/maintainers" ]
	t $((1 - $?)) "MAINTAINERS covers every new file" "$log/maintainers"
	echo "1..$n"
	echo "$((n - fails)) passed, $fails failed"
	[ $fails = 0 ]
}

case ${1:-} in
export) do_export ;;
check) do_check ;;
*) die "usage: series.sh export|check" ;;
esac
