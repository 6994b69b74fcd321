#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count the results of KTAP/TAP files and print the closing summary.

Leaf tests are counted: a test whose result line is preceded by nested
results counts through its subtests, and a parent nothing below counted
(a kselftest that printed "1..0 # SKIP reason" or no results at all)
counts once by its own result, so nothing vanishes.  A parent that failed
although none of its subtests did (a crashed script, a timeout, a suite
whose init failed) counts as one failure, a parent that skipped although
none of its subtests did as one skip.  Every test a plan announced but
that never reported counts as a failure, more results than a plan
announced as one.  Nesting is KUnit's four-space indentation or the
kselftest runner's "# " prefix; a "KTAP version" line starts a new
document at its depth (debugfs results files concatenated).  A skip is
never a pass.  Under each failure come the diagnostic lines its test
printed before its result line and after it, up to the next result (the
last 40 before, the first 40 after), so that a log of the summary alone
tells why.

--expect LABEL=NAME,...: LABEL's file must hold a top-level result for
every NAME (the whole name, or its last ": " field: the kselftest
runner's "selftests: rdma: NAME"); each one missing counts as a failure.

Usage: ktap.py [--allow-skip] [--expect LABEL=NAME,...]... LABEL=FILE...
"""
import re
import sys

RESULT = re.compile(r'^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?([^#]*?)\s*(?:#\s*(\S+)\s*(.*))?$')
PLAN = re.compile(r'^1\.\.(\d+)\s*(?:#\s*(\S+)\s*(.*))?$')
VERSION = re.compile(r'^K?TAP version')
STRUCT = re.compile(r'^(ok\b|not ok\b|1\.\.\d|TAP version|KTAP version|# |Bail out)')
PASS, FAIL, SKIP = range(3)
NOTES = 40      # diagnostic lines printed under a failure, at most


def split_depth(line):
    depth = 0
    while True:
        if line.startswith('    '):
            line = line[4:]
        elif line.startswith('\t'):
            line = line[1:]
        elif line.startswith('# ') and STRUCT.match(line[2:].lstrip()):
            line = line[2:]
        else:
            return depth, line
        depth += 1


def with_reason(text, reason):
    return '%s (%s)' % (text, reason) if reason else text


def reported(names, want):
    return any(n == want or n.rsplit(': ', 1)[-1] == want for n in names)


class Level:
    """The results at one depth below one parent (or at the top)."""

    def __init__(self):
        self.plan = None        # the current document's plan
        self.seen = 0           # its results
        self.skip_all = None    # reason of a "1..0 # SKIP reason" plan
        self.counted = [0, 0, 0]  # passed, failed, skipped here and below


class Counter:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []
        self.notes = []         # per failure: its test's last diagnostics
        self.skips = []

    def count(self, level, kind, text=None, n=1, notes=()):
        """n results of one kind at level, with one line for them (and
        for a failure, the diagnostic lines its test printed)."""
        level.counted[kind] += n
        if kind == PASS:
            self.passed += n
        elif kind == FAIL:
            self.failed += n
            self.failures.append(text)
            self.notes.append(list(notes)[-NOTES:])
        else:
            self.skipped += n
            self.skips.append(text)

    def parse(self, label, lines, expect=()):
        levels = {}
        top = []        # names of the top-level results
        diag = {}       # depth: "# " lines since its last result
        after = {}      # depth: the notes of a failure just reported there

        def level(depth):
            return levels.setdefault(depth, Level())

        def check_plan(lv, where, reported_elsewhere=0):
            """The document at lv ends: results against its plan."""
            if lv.plan is not None:
                missing = lv.plan - lv.seen - reported_elsewhere
                if missing > 0:
                    self.count(lv, FAIL, '%s: %d announced test(s) never reported'
                               % (where, missing), missing)
                elif lv.seen > lv.plan:
                    self.count(lv, FAIL, '%s: %d results against a plan of 1..%d'
                               % (where, lv.seen, lv.plan))
            lv.plan, lv.seen = None, 0

        def close(depth, where, reported_elsewhere=0):
            """Results at depth+1 end; return their level."""
            d = depth + 1
            # deeper levels whose parent never reported (a crash):
            # their counts go up, their plans are dropped
            for k in sorted((k for k in levels if k > d), reverse=True):
                lv = levels.pop(k)
                up = level(k - 1).counted
                for kind in (PASS, FAIL, SKIP):
                    up[kind] += lv.counted[kind]
            lv = levels.pop(d, None)
            if lv is not None:
                check_plan(lv, where, reported_elsewhere)
            return lv

        for raw in lines:
            depth, line = split_depth(raw.rstrip('\r\n'))
            if VERSION.match(line):
                if depth in levels:
                    check_plan(levels[depth], label)
                continue
            m = PLAN.match(line)
            if m:
                lv = level(depth)
                lv.plan = int(m.group(1))
                if (m.group(2) or '').upper() == 'SKIP' and lv.plan == 0:
                    if depth == 0:
                        # a whole file skipped: no parent reports it
                        self.count(lv, SKIP, with_reason(label, m.group(3)))
                    else:
                        lv.skip_all = m.group(3) or ''
                continue
            m = RESULT.match(line)
            if not m:
                if line.startswith('#'):
                    diag.setdefault(depth, []).append(line)
                    # a failure's diagnostics may also follow it (TAP)
                    if depth in after and len(after[depth]) < NOTES:
                        after[depth].append(line)
                continue
            notes = diag.pop(depth, [])
            after.pop(depth, None)
            nfail = len(self.notes)
            ok = m.group(1) == 'ok'
            name = m.group(3).strip() or '#%s' % m.group(2)
            directive = (m.group(4) or '').upper()
            reason = m.group(5) or ''
            here = level(depth)
            here.seen += 1
            if depth == 0:
                top.append(name)
            where = '%s: %s' % (label, name)
            kids = close(depth, where) if (depth + 1) in levels else None
            if kids is not None:
                for kind in (PASS, FAIL, SKIP):
                    here.counted[kind] += kids.counted[kind]
            if kids is not None and sum(kids.counted):
                # a failure or skip below counts once, not at every level
                if not ok and directive != 'SKIP' and not kids.counted[FAIL]:
                    self.count(here, FAIL, '%s (%s)'
                               % (where, (directive or 'failed').lower()),
                               notes=notes)
                    after[depth] = self.notes[nfail]
                elif directive == 'SKIP' and not kids.counted[SKIP]:
                    self.count(here, SKIP, with_reason(where, reason))
                continue
            # nothing below counted: the parent counts once, by its own
            # result or, after "1..0 # SKIP reason", as that skip
            if (kids is not None and kids.skip_all is not None and ok
                    and directive in ('', 'SKIP')):
                directive, reason = 'SKIP', reason or kids.skip_all
            if directive in ('SKIP', 'TODO'):
                self.count(here, SKIP, with_reason(where, reason))
            elif ok or directive == 'XFAIL':
                self.count(here, PASS)
            else:
                self.count(here, FAIL, with_reason(where, directive.lower()),
                           notes=notes)
                after[depth] = self.notes[nfail]
        missing = [n for n in expect if not reported(top, n)]
        for n in missing:
            self.count(level(0), FAIL, '%s: %s did not report' % (label, n))
        close(-1, label, len(missing))


def main(argv):
    allow_skip = False
    expect = {}
    files = []
    args = iter(argv)
    for arg in args:
        if arg == '--allow-skip':
            allow_skip = True
        elif arg == '--expect' or arg.startswith('--expect='):
            spec = arg.partition('=')[2] if '=' in arg else next(args, '')
            label, _, names = spec.partition('=')
            expect.setdefault(label, []).extend(n for n in names.split(',') if n)
        else:
            files.append(arg)
    c = Counter()
    for arg in files:
        label, _, path = arg.partition('=')
        try:
            with open(path, errors='replace') as f:
                lines = f.readlines()
        except OSError as e:
            c.failures.append('%s: no results (%s)' % (label, e.strerror))
            c.notes.append([])
            if expect.get(label):
                c.parse(label, [], expect[label])  # one per missing name
            else:
                c.failed += 1
            continue
        c.parse(label, lines, expect.get(label, ()))
    for f, notes in zip(c.failures, c.notes):
        print('FAIL: ' + f)
        for n in notes:
            print('    ' + n)
    for s in c.skips:
        print('SKIP: ' + s)
    summary = '%d passed, %d failed' % (c.passed, c.failed)
    if c.skipped:
        summary += ', %d skipped' % c.skipped
    print(summary)
    if c.failed or c.passed == 0 or (c.skipped and not allow_skip):
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
