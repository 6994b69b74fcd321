#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# reports.sh LOG: print the kernel's own reports found in a guest log
# (WARN, BUG, Oops, KASAN, UBSAN, KFENCE, lockdep, RCU, list and object
# debugging, kmemleak, hung tasks, lockups, RCU stalls) with some
# context, as KTAP comments; exit 1 if there is any, 2 if LOG is empty or
# missing.
log=$1
[ -s "$log" ] || exit 2
pat='WARNING:|BUG:|Oops|Kernel panic|kernel BUG at|general protection fault'
pat+='|KASAN:|UBSAN:|KFENCE:|possible circular locking|possible recursive locking'
pat+='|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON'
pat+='|list_add corruption|list_del corruption|ODEBUG:|unreferenced object'
pat+='|blocked for more than|soft lockup|hard LOCKUP|Call Trace:'
pat+='|detected stalls on CPUs|self-detected stall|kthread starved'
grep -Eq "$pat" "$log" || exit 0
grep -E -A12 "$pat" "$log" | head -n 40 | sed 's/^/# /'
exit 1
