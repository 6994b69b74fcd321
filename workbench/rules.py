#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check the rule labels of the loopback conformance cases against the
contract, as KTAP on stdout.

Documentation/infiniband/indirect_mr.rst has a table of rules: a label
(S1, A9, ...) and a tier, P (portable: every device that sets
IBK_INDIRECT_REG) or D (device-defined: checked on strict devices only).
Each entry of a kunit_case table in
drivers/infiniband/core/tests/indirect_mr_lb*.c names, in a trailing
comment, the rules its case checks:

    KUNIT_CASE(lb_atomic_misaligned),		/* A5 A7, strict: A9 */

Labels before "strict:" are checked on every device, those after it on a
strict device only; "no rule" marks a case that checks no rule of the
table.  A case checks a rule on a strict device only through
lb_require_strict(lb, "A9 ...") (the whole case is skipped elsewhere) or
lb_strict_checks(lb, "A9 ...") (only the checks it guards are), called
in the case's own function with the label in the string.

A test fails when:
  - the contract's table is malformed, or its rule headings
    ("**A9 (D). ...**") give another tier or another set of rules;
  - a case has no annotation, or names a label that is not in the table;
  - a case checks on every device a rule that is D, or only on strict
    devices a rule that is P;
  - the annotation and the strict calls of the case's function disagree,
    a case whose rules are all strict-only does not call
    lb_require_strict(), or a check comes before lb_require_strict() (it
    would not run on every device, and the skip would hide its failure);
  - a case under the table heading "... every device ..." calls
    lb_require_strict(), or one under "... strict devices only ..." does
    not;
  - "rule Xn" in the project's sources or the contract names no rule.

The exit status is 1 if a test failed.

Usage: rules.py [ROOT]              check the tree at ROOT (default: the
                                    repository this script is in)
       rules.py --self-test [ROOT]  check that copies of ROOT with a wrong
                                    label or tier fail
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

CONTRACT = 'Documentation/infiniband/indirect_mr.rst'
CASES_DIR = 'drivers/infiniband/core/tests'
CASES_GLOB = re.compile(r'^indirect_mr_lb.*\.c$')
# where "rule Xn" citations are checked
CITE_DIRS = ('drivers', 'include', 'tools/testing/selftests/rdma')
CITE_EXT = ('.c', '.h', '.sh', '.py')

LABEL = re.compile(r'\b[A-Z][0-9]+\b')
TABLE = re.compile(r'^static (?:const )?struct kunit_case (\w+)\[\] = \{\n'
                   r'(.*?)^\};', re.M | re.S)
ENTRY = re.compile(r'^\tKUNIT_CASE\w*\((\w+)\b[^/]*\),'
                   r'(?:\s*/\*\s*(.*?)\s*\*/)?$')
HEADING = re.compile(r'^\t/\*\s*(.*?)\s*\*/$')
FUNC = re.compile(r'^static void (\w+)\(struct kunit \*test\)\n\{\n(.*?)^\}$',
                  re.M | re.S)
GATE = re.compile(r'\blb_(require_strict|strict_checks)\(\s*[^,()]+,\s*'
                  r'"((?:[^"\\]|\\.)*)"')
CHECK = re.compile(r'\b(KUNIT_(?:EXPECT|ASSERT|FAIL)\w*|lb_expect\w*)\(')
CITE = re.compile(r'\b[Rr]ules?\s+([A-Z][0-9]+(?:(?:\s*,\s*(?:and\s+|or\s+)?|'
                  r'\s+and\s+|\s+or\s+|\s+to\s+)[A-Z][0-9]+)*)')


class Ktap:
    def __init__(self):
        self.lines = []
        self.n = 0
        self.failed = 0

    def result(self, name, problems):
        self.n += 1
        n = self.n
        if problems:
            self.failed += 1
            self.lines.append('not ok %d %s' % (n, name))
            self.lines.extend('# ' + p for p in problems)
        else:
            self.lines.append('ok %d %s' % (n, name))

    def emit(self):
        print('KTAP version 1')
        print('1..%d' % self.n)
        for l in self.lines:
            print(l)


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def strip_comments(code):
    """C code without its comments (string literals are kept)."""
    out, i = [], 0
    for m in re.finditer(r'"(?:[^"\\\n]|\\.)*"|/\*.*?\*/|//[^\n]*', code,
                         re.S):
        out.append(code[i:m.start()])
        if m.group(0).startswith('"'):
            out.append(m.group(0))
        else:
            out.append(' ' * m.group(0).count('\n') + ' ')
        i = m.end()
    out.append(code[i:])
    return ''.join(out)


def contract_rules(text):
    """The table of rules: ({label: tier}, problems)."""
    lines = text.splitlines()
    problems = []
    start = None
    for i, l in enumerate(lines[:-1]):
        if re.match(r'^\s*\* - Rule\s*$', l) and \
           re.match(r'^\s*- Tier\s*$', lines[i + 1]):
            start = i
            break
    if start is None:
        return {}, ['no list-table with the columns "Rule" and "Tier"']
    tiers = {}
    i = start + 2
    while i < len(lines) and (not lines[i] or lines[i][0].isspace()):
        m = re.match(r'^\s*\* - (.*?)\s*$', lines[i])
        if m:
            label = m.group(1)
            t = re.match(r'^\s*- (.*?)\s*$', lines[i + 1]) \
                if i + 1 < len(lines) else None
            tier = t.group(1) if t else ''
            if not re.fullmatch(r'[A-Z][0-9]+', label):
                problems.append('table row %r: not a rule label' % label)
            elif tier not in ('P', 'D'):
                problems.append('table row %s: tier %r is neither P nor D' %
                                (label, tier))
            elif label in tiers:
                problems.append('table row %s: twice' % label)
            else:
                tiers[label] = tier
                ORDER.setdefault(label, len(ORDER))
        i += 1
    if not tiers:
        problems.append('the rule table has no rows')
    heads = {}
    for m in re.finditer(r'\*\*([A-Z][0-9]+) \(([A-Z])\)\.', text):
        heads[m.group(1)] = m.group(2)
    for label in sorted(set(tiers) | set(heads), key=label_key):
        if label not in heads:
            problems.append('%s is in the table but has no heading '
                            '"**%s (%s). ...**"' %
                            (label, label, tiers[label]))
        elif label not in tiers:
            problems.append('the heading of %s is not in the table' % label)
        elif heads[label] != tiers[label]:
            problems.append('%s: tier %s in the table, %s in its heading' %
                            (label, tiers[label], heads[label]))
    return tiers, problems


ORDER = {}     # label: its row in the contract's table


def label_key(label):
    return (ORDER.get(label, len(ORDER)), label[0], int(label[1:]))


def labels(text):
    return sorted(set(LABEL.findall(text)), key=label_key)


def describe(note, every, strict):
    if not every and not strict:
        return note or 'no annotation'
    parts = []
    if every:
        parts.append(' '.join(every) + ' on every device')
    if strict:
        parts.append(' '.join(strict) + ' on strict devices')
    return ', '.join(parts)


def check_case(tiers, fname, section, body, note):
    """Problems of one case: @note is its annotation, @body its code."""
    problems = []
    if note is None:
        return ['no annotation: end its line in the table with '
                '/* LABELS[, strict: LABELS] */ or /* no rule: WHY */'], [], []
    every_text, sep, strict_text = note.partition('strict:')
    every, strict = labels(every_text), labels(strict_text)
    if not every and not strict and not note.startswith('no rule'):
        problems.append('annotation %r names no rule and does not say '
                        '"no rule"' % note)
    if sep and not strict:
        problems.append('annotation %r: no label after "strict:"' % note)
    for l in sorted(set(every) & set(strict), key=label_key):
        problems.append('%s is named both for every device and for strict '
                        'devices only' % l)
    for l in every + strict:
        if l not in tiers:
            problems.append('%s is not a rule of the contract\'s table' % l)
    for l in every:
        if tiers.get(l) == 'D':
            problems.append('%s is device-defined (D) in the contract: a case '
                            'checks it on strict devices only '
                            '(lb_require_strict() or lb_strict_checks())' % l)
    for l in strict:
        if tiers.get(l) == 'P':
            problems.append('%s is portable (P) in the contract: a case '
                            'checks it on every device' % l)

    if body is None:
        problems.append('no function "static void %s(struct kunit *test)" '
                        'in this file' % fname)
        return problems, every, strict
    code = strip_comments(body)
    gates = list(GATE.finditer(code))
    gated = set()
    required = [g for g in gates if g.group(1) == 'require_strict']
    for g in gates:
        gl = labels(g.group(2))
        if not gl:
            problems.append('lb_%s(lb, "%s") names no rule' %
                            (g.group(1), g.group(2)))
        for l in gl:
            gated.add(l)
            if l not in tiers:
                problems.append('lb_%s(lb, "%s"): %s is not a rule of the '
                                'contract\'s table' %
                                (g.group(1), g.group(2), l))
            elif tiers[l] == 'P':
                problems.append('lb_%s(lb, "%s"): %s is portable (P) in the '
                                'contract, checked on every device' %
                                (g.group(1), g.group(2), l))
    for l in sorted(gated - set(strict), key=label_key):
        problems.append('the function checks %s on strict devices only; '
                        'the annotation does not say "strict: %s"' % (l, l))
    for l in sorted(set(strict) - gated, key=label_key):
        problems.append('the annotation says "strict: %s" but the function '
                        'calls neither lb_require_strict() nor '
                        'lb_strict_checks() with %s' % (l, l))
    if required:
        first = min(g.start() for g in required)
        early = CHECK.search(code, 0, first)
        if early:
            problems.append('%s() comes before lb_require_strict(): it does '
                            'not run on every device, and the skip hides '
                            'its failure (use lb_strict_checks())' %
                            early.group(1))
        if every:
            problems.append('lb_require_strict() skips the whole case, so '
                            '%s are not checked on every device' %
                            ' '.join(every))
    elif strict and not every:
        problems.append('every rule of the case is strict-only but it does '
                        'not call lb_require_strict(): it would pass on a '
                        'device that is not strict')
    if section == 'every' and required:
        problems.append('under the heading of the cases of every device, it '
                        'calls lb_require_strict()')
    if section == 'strict' and not required:
        problems.append('under the heading of the strict-only cases, it does '
                        'not call lb_require_strict()')
    return problems, every, strict


def check_cases(ktap, root, tiers):
    d = os.path.join(root, CASES_DIR)
    files = sorted(f for f in os.listdir(d) if CASES_GLOB.match(f))
    ncases = 0
    for f in files:
        src = read(os.path.join(d, f))
        funcs = {m.group(1): m.group(2) for m in FUNC.finditer(src)}
        for t in TABLE.finditer(src):
            section = None
            for line in t.group(2).splitlines():
                if line.strip() in ('{}', '{},', ''):
                    continue
                h = HEADING.match(line)
                if h:
                    low = h.group(1).lower()
                    section = 'strict' if 'strict devices only' in low \
                        else 'every' if 'every device' in low else None
                    continue
                m = ENTRY.match(line)
                if not m:
                    ktap.result('%s %s[]: %s' % (f, t.group(1), line.strip()),
                                ['not "KUNIT_CASE...(case...),  /* LABELS */" '
                                 'on one line'])
                    continue
                ncases += 1
                name, note = m.group(1), m.group(2)
                problems, every, strict = check_case(
                    tiers, name, section, funcs.get(name), note)
                ktap.result('%s %s: %s' % (f, name,
                                           describe(note, every, strict)),
                            problems)
    if not ncases:
        ktap.result('cases of %s/indirect_mr_lb*.c' % CASES_DIR,
                    ['no kunit_case table entry found'])


def cite_files(root):
    yield CONTRACT
    for top in CITE_DIRS:
        for d, dirs, files in os.walk(os.path.join(root, top)):
            dirs.sort()
            for f in sorted(files):
                if f.endswith(CITE_EXT):
                    yield os.path.relpath(os.path.join(d, f), root)


def check_citations(ktap, root, tiers):
    for rel in cite_files(root):
        text = read(os.path.join(root, rel))
        # a citation may run over comment lines
        flat = re.sub(r'\n[ \t]*(?:\*(?!/)|#|//)?[ \t]*', ' ', text)
        cited = set()
        for m in CITE.finditer(flat):
            cited.update(LABEL.findall(m.group(1)))
        if not cited:
            continue
        cited = sorted(cited, key=label_key)
        unknown = [l for l in cited if l not in tiers]
        ktap.result('citations in %s: %s' % (rel, ' '.join(cited)),
                    ['"rule %s" names no rule of the contract\'s table' % l
                     for l in unknown])


def check(root):
    ktap = Ktap()
    tiers, problems = contract_rules(read(os.path.join(root, CONTRACT)))
    name = 'contract: %d rules, P: %s; D: %s' % (
        len(tiers),
        ' '.join(l for l in sorted(tiers, key=label_key) if tiers[l] == 'P'),
        ' '.join(l for l in sorted(tiers, key=label_key) if tiers[l] == 'D'))
    ktap.result(name, problems)
    check_cases(ktap, root, tiers)
    check_citations(ktap, root, tiers)
    ktap.emit()
    return 1 if ktap.failed else 0


# Broken copies for --self-test: (what, file, pattern, replacement,
# what the checker must say).
CASES = CASES_DIR + '/indirect_mr_lb_cases.c'
STRESS = CASES_DIR + '/indirect_mr_lb_stress.c'
BREAKS = [
    ('an unknown label in an annotation', CASES,
     r'(KUNIT_CASE\(lb_reg_twice\),\s*/\* )S4( \*/)', r'\1S6\2',
     'S6 is not a rule'),
    ('a device-defined rule checked on every device (A9 in '
     'lb_atomic_misaligned)', CASES,
     r'(KUNIT_CASE\(lb_atomic_misaligned\),\s*/\* )A5 A7, strict: A9( \*/)',
     r'\1A5 A7 A9\2', 'A9 is device-defined (D)'),
    ('the second atomic of lb_atomic_misaligned on every device', CASES,
     r'\tif \(lb_strict_checks\(lb, "A9 [^"]*"\)\)\n\t\t(lb_expect_fails)',
     r'\t\1', 'the annotation says "strict: A9" but'),
    ('a skip after the portable checks of lb_atomic_misaligned', CASES,
     r'\tif \(lb_strict_checks\(lb, ("A9 [^"]*")\)\)\n\t\t(lb_expect_fails)',
     r'\tlb_require_strict(lb, \1);\n\t\2',
     'comes before lb_require_strict()'),
    ('A3 cited for the rights of a referenced MR (A2)', CASES,
     r'lb_require_strict\(lb, "A2 (\(the rights of a referenced MR\))"\)',
     r'lb_require_strict(lb, "A3 \1")', 'A3 is portable (P)'),
    ('A5 cited for an atomic across entries (A9), annotation alike', CASES,
     r'lb_require_strict\(lb, "A9 (\(an atomic across entries\))"\)'
     r'(.*KUNIT_CASE\(lb_atomic_crossing\),\s*/\* strict: )A9',
     r'lb_require_strict(lb, "A5 \1")\2A5', 'A5 is portable (P)'),
    ('a strict-only rule without lb_require_strict()', STRESS,
     r'\tlb_require_strict\(lb, "A4 and A6 [^"]*"\);\n', '',
     'does not call lb_require_strict()'),
    ('a case without an annotation', STRESS,
     r'(KUNIT_CASE\(lb_random_ops\),)\s*/\*[^*]*\*/', r'\1',
     'no annotation'),
    ('a citation of an unknown rule', CASES,
     r'never mapped fails \(rule S4\)', 'never mapped fails (rule S7)',
     '"rule S7" names no rule'),
    ('a tier changed in the contract\'s table', CONTRACT,
     r'(   \* - A9\n     - )D\n', r'\1P\n', 'A9: tier P in the table, D'),
]


def readable(out):
    """The failures in the checker's output @out, in lines that do not read
    as KTAP (they go into the self-test's own)."""
    lines = []
    for l in out.splitlines():
        m = re.match(r'^not ok \d+ (.*)', l)
        if l.startswith(('ok ', 'KTAP version')) or re.match(r'^1\.\.\d', l):
            continue
        if m:
            lines.append('FAILED: ' + m.group(1))
        elif l.startswith('# '):
            lines.append('    ' + l[2:])
        else:
            lines.append(l)
    return lines


def run_copy(root):
    p = subprocess.run([sys.executable, os.path.abspath(__file__), root],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, check=False)
    return p.returncode, p.stdout


def self_test(root):
    ktap = Ktap()
    with tempfile.TemporaryDirectory(prefix='rules-') as tmp:
        def fresh():
            copy = os.path.join(tmp, 'tree')
            shutil.rmtree(copy, ignore_errors=True)
            for top in CITE_DIRS:
                if os.path.isdir(os.path.join(root, top)):
                    shutil.copytree(os.path.join(root, top),
                                    os.path.join(copy, top))
            os.makedirs(os.path.dirname(os.path.join(copy, CONTRACT)))
            shutil.copy(os.path.join(root, CONTRACT),
                        os.path.join(copy, CONTRACT))
            return copy

        rc, out = run_copy(fresh())
        ktap.result('an unchanged copy passes',
                    [] if rc == 0 else
                    ['exit status %d' % rc] + readable(out))
        for what, rel, pattern, repl, expect in BREAKS:
            copy = fresh()
            path = os.path.join(copy, rel)
            text, n = re.subn(pattern, repl, read(path), flags=re.S)
            if n != 1:
                ktap.result('fails on ' + what,
                            ['the pattern matches %d times in %s: update '
                             'BREAKS in %s' % (n, rel, sys.argv[0])])
                continue
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
            rc, out = run_copy(copy)
            problems = []
            if rc == 0:
                problems.append('the checker passed the broken copy')
            elif expect not in out:
                problems.append('the checker failed, but without "%s":' %
                                expect)
                problems += readable(out)[:20]
            ktap.result('fails on ' + what, problems)
    ktap.emit()
    return 1 if ktap.failed else 0


def main(argv):
    args = argv[1:]
    selftest = bool(args) and args[0] == '--self-test'
    if selftest:
        args = args[1:]
    if len(args) > 1 or (args and args[0].startswith('-')):
        sys.stderr.write(__doc__)
        return 2
    root = args[0] if args else \
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return self_test(root) if selftest else check(root)


if __name__ == '__main__':
    sys.exit(main(sys.argv))
