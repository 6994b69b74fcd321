#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count the results of KTAP/TAP files and print the closing summary.

Leaf tests are counted: a test whose result line is preceded by nested
results counts through its subtests.  A parent that failed although none
of its subtests did (a crashed script, a timeout, a suite whose init
failed) counts as one failure, and so does every test a plan announced
but that never reported.  Nesting is KUnit's four-space indentation or the
kselftest runner's "# " prefix.  A skip is never a pass.

Usage: ktap.py [--allow-skip] LABEL=FILE...
"""
import re
import sys

RESULT = re.compile(r'^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?([^#]*?)\s*(?:#\s*(\S+)\s*(.*))?$')
PLAN = re.compile(r'^1\.\.(\d+)')
STRUCT = re.compile(r'^(ok\b|not ok\b|1\.\.\d|TAP version|KTAP version|# |Bail out)')


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


class Counter:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []

    def parse(self, label, lines):
        # Per depth: plan, results seen, names of failures below.
        plan, seen, below = {}, {}, {}
        fails_below = {}

        def close(depth, name):
            """Results at depth+1 end; return failures and count missing."""
            d = depth + 1
            missing = plan.pop(d, 0) - seen.pop(d, 0)
            names = below.pop(d, [])
            if missing > 0:
                self.failed += missing
                names.append('%d test(s) announced but never reported' % missing)
                self.failures.append('%s: %s: %d announced test(s) never reported'
                                     % (label, name, missing))
            for k in [k for k in plan if k > d]:
                plan.pop(k)
            return names

        for raw in lines:
            depth, line = split_depth(raw.rstrip('\r\n'))
            m = PLAN.match(line)
            if m:
                plan[depth] = int(m.group(1))
                seen.setdefault(depth, 0)
                continue
            m = RESULT.match(line)
            if not m:
                continue
            ok = m.group(1) == 'ok'
            name = m.group(3).strip() or '#%s' % m.group(2)
            directive = (m.group(4) or '').upper()
            seen[depth] = seen.get(depth, 0) + 1
            had_children = (depth + 1) in seen
            child_fails = close(depth, name) if had_children else []
            if had_children:
                if not ok and directive != 'SKIP' and not child_fails:
                    self.failed += 1
                    self.failures.append('%s: %s (%s)' % (label, name,
                                         (directive or 'failed').lower()))
                if child_fails or (not ok and directive != 'SKIP'):
                    # a failure below counts once, not at every level
                    below.setdefault(depth, []).append(name)
                continue
            if directive in ('SKIP', 'TODO'):
                self.skipped += 1
            elif ok or directive == 'XFAIL':
                self.passed += 1
            else:
                self.failed += 1
                self.failures.append('%s: %s' % (label, name))
                below.setdefault(depth, []).append(name)
        close(-1, label)


def main(argv):
    allow_skip = '--allow-skip' in argv
    args = [a for a in argv if a != '--allow-skip']
    c = Counter()
    for arg in args:
        label, _, path = arg.partition('=')
        try:
            with open(path, errors='replace') as f:
                c.parse(label, f.readlines())
        except OSError as e:
            c.failed += 1
            c.failures.append('%s: no results (%s)' % (label, e.strerror))
    for f in c.failures:
        print('FAIL: ' + f)
    summary = '%d passed, %d failed' % (c.passed, c.failed)
    if c.skipped:
        summary += ', %d skipped' % c.skipped
    print(summary)
    if c.failed or c.passed == 0 or (c.skipped and not allow_skip):
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
