# SPDX-License-Identifier: GPL-2.0
# Sourced: lists of the project's own kernel files.
#   wb_new_files     new files at kernel paths (in this repo)
#   wb_touched_files upstream files the patch series modifies
#   wb_patches_hash  what identifies patches/ (series and contents)
wb_new_files()
{
	(cd "$repo" && git ls-files --cached --others --exclude-standard \
		-- drivers include Documentation tools lib net samples | sort -u |
		while read -r f; do [ -e "$f" ] && echo "$f"; done)
}

wb_touched_files()
{
	git -C "$repo/build/linux" diff --name-only base HEAD 2>/dev/null | sort -u
}

wb_patches_hash()
{
	(cd "$repo/patches" && cat series $(grep -v '^#' series) 2>/dev/null) |
		sha256sum | cut -d' ' -f1
}
