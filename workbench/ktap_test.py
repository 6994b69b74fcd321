#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The summariser's own test: ktap.py on small KTAP inputs in the shapes
make check meets (the kselftest runner's "# " nesting, KUnit's four
spaces, debugfs results files concatenated), each with the output and
exit code it must give.  Prints KTAP, one result per case.

Usage: ktap_test.py
"""
import os
import subprocess
import sys
import tempfile
import textwrap

KTAP_PY = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'ktap.py')

# kselftest runner output: one script that skips as a whole, one of 2 passes
RUNNER_SKIP = '''
    TAP version 13
    1..2
    # timeout set to 1500
    # selftests: rdma: nfs_rdma.sh
    # TAP version 13
    # 1..0 # SKIP no nfsd
    ok 1 selftests: rdma: nfs_rdma.sh # SKIP
    # timeout set to 1500
    # selftests: rdma: rxe_link.sh
    # TAP version 13
    # 1..2
    # ok 1 rxe0 is up
    # ok 2 rxe0 is gone after deletion
    # # Totals: pass:2 fail:0 xfail:0 xpass:0 skip:0 error:0
    ok 2 selftests: rdma: rxe_link.sh
'''

# Two scripts that passed, under a runner that announced three.
RUNNER_TWO = '''
    TAP version 13
    1..%d
    # selftests: rdma: rxe_link.sh
    # TAP version 13
    # 1..1
    # ok 1 rxe0 is up
    ok 1 selftests: rdma: rxe_link.sh
    # selftests: rdma: iser.sh
    ok 2 selftests: rdma: iser.sh
'''

ONE_PASS = '''
    KTAP version 1
    1..1
    ok 1 guest booted
'''

# (name, options, {label: input or None for no file}, output, exit code)
CASES = [
    ('a script that skips as a whole counts as one skip',
     [], {'kselftest': RUNNER_SKIP}, '''
    SKIP: kselftest: selftests: rdma: nfs_rdma.sh (no nfsd)
    2 passed, 0 failed, 1 skipped
    ''', 1),
    ('the same skip with --allow-skip exits 0',
     ['--allow-skip'], {'kselftest': RUNNER_SKIP}, '''
    SKIP: kselftest: selftests: rdma: nfs_rdma.sh (no nfsd)
    2 passed, 0 failed, 1 skipped
    ''', 0),
    ('a whole file skipped (a SKIP plan 1..0 at the top) counts as one skip',
     [], {'host': ONE_PASS, 'extra': '''
    TAP version 13
    1..0 # SKIP needs root
    '''}, '''
    SKIP: extra (needs root)
    1 passed, 0 failed, 1 skipped
    ''', 1),
    ('an empty plan without SKIP counts nothing',
     [], {'host': ONE_PASS, 'gates': '''
    KTAP version 1
    1..0
    '''}, '''
    1 passed, 0 failed
    ''', 0),
    ('a skipped parent whose subtests all skipped counts them only',
     [], {'kselftest': '''
    TAP version 13
    1..1
    # selftests: rdma: srp.sh
    # TAP version 13
    # 1..2
    # ok 1 srp login # SKIP no ib_srpt
    # ok 2 srp I/O # SKIP no ib_srpt
    ok 1 selftests: rdma: srp.sh # SKIP
    '''}, '''
    SKIP: kselftest: srp login (no ib_srpt)
    SKIP: kselftest: srp I/O (no ib_srpt)
    0 passed, 0 failed, 2 skipped
    ''', 1),
    ('a skipped parent over passing subtests counts one skip',
     [], {'kselftest': '''
    TAP version 13
    1..1
    # selftests: rdma: iser.sh
    # TAP version 13
    # 1..1
    # ok 1 iser login
    ok 1 selftests: rdma: iser.sh # SKIP
    '''}, '''
    SKIP: kselftest: selftests: rdma: iser.sh
    1 passed, 0 failed, 1 skipped
    ''', 1),
    ('more results than the plan announced fail once',
     [], {'t': '''
    KTAP version 1
    1..3
    ok 1 a
    ok 2 b
    ok 3 c
    ok 4 d
    '''}, '''
    FAIL: t: 4 results against a plan of 1..3
    4 passed, 1 failed
    ''', 1),
    ('a nested plan overrun fails under its parent',
     [], {'kselftest': '''
    TAP version 13
    1..1
    # selftests: rdma: rxe_link.sh
    # TAP version 13
    # 1..1
    # ok 1 rxe0 is up
    # ok 2 rxe0 is gone
    ok 1 selftests: rdma: rxe_link.sh
    '''}, '''
    FAIL: kselftest: selftests: rdma: rxe_link.sh: 2 results against a plan of 1..1
    2 passed, 1 failed
    ''', 1),
    ('a TEST_PROGS script with no runner line fails',
     ['--expect', 'kselftest=rxe_link.sh,iser.sh,srp.sh'],
     {'kselftest': RUNNER_TWO % 2}, '''
    FAIL: kselftest: srp.sh did not report
    2 passed, 1 failed
    ''', 1),
    ('every expected script reported: passes',
     ['--expect', 'kselftest=rxe_link.sh,iser.sh'],
     {'kselftest': RUNNER_TWO % 2}, '''
    2 passed, 0 failed
    ''', 0),
    ('a runner cut short: each missing script fails once, not twice',
     ['--expect=kselftest=rxe_link.sh,iser.sh,srp.sh'],
     {'kselftest': RUNNER_TWO % 3}, '''
    FAIL: kselftest: srp.sh did not report
    2 passed, 1 failed
    ''', 1),
    ('no kselftest file: one failure per expected script',
     ['--expect', 'kselftest=rxe_link.sh,iser.sh'],
     {'host': ONE_PASS, 'kselftest': None}, '''
    FAIL: kselftest: no results (No such file or directory)
    FAIL: kselftest: rxe_link.sh did not report
    FAIL: kselftest: iser.sh did not report
    1 passed, 2 failed
    ''', 1),
    ('KUnit nested four spaces, debugfs files concatenated: leaves count',
     [], {'kunit': '''
    KTAP version 1
    1..1
        KTAP version 1
        # Subtest: ib_sg_pages
        1..2
        ok 1 fits
        ok 2 gap # SKIP no device
    ok 1 ib_sg_pages
    KTAP version 1
    1..1
        KTAP version 1
        # Subtest: rxe_ind
        1..2
            KTAP version 1
            # Subtest: copy
            ok 1 copy 1
            ok 2 copy 2
        ok 1 copy
        not ok 2 table
    not ok 1 rxe_ind
    '''}, '''
    FAIL: kunit: table
    SKIP: kunit: gap (no device)
    3 passed, 1 failed, 1 skipped
    ''', 1),
    ('a KUnit suite nested in a kselftest counts its cases',
     [], {'kselftest': '''
    TAP version 13
    1..1
    # selftests: rdma: indirect_mr.sh
    # TAP version 13
    # 1..2
    #     KTAP version 1
    #     1..1
    #         KTAP version 1
    #         # Subtest: rxe_indirect
    #         1..2
    #         ok 1 map
    #         ok 2 unmap
    #     ok 1 rxe_indirect
    # ok 1 KUnit suite rxe_indirect
    # ok 2 unloading leaves no MR on rxe0
    ok 1 selftests: rdma: indirect_mr.sh
    '''}, '''
    3 passed, 0 failed
    ''', 0),
    ('a parent failed with no failing subtest counts one failure',
     [], {'kunit': '''
    KTAP version 1
    1..1
        KTAP version 1
        # Subtest: ib_srp_reg
        1..2
        ok 1 a
        ok 2 b
    not ok 1 ib_srp_reg
    '''}, '''
    FAIL: kunit: ib_srp_reg (failed)
    2 passed, 1 failed
    ''', 1),
    ('tests announced but never reported fail',
     [], {'t': '''
    KTAP version 1
    1..3
    ok 1 a
    '''}, '''
    FAIL: t: 2 announced test(s) never reported
    1 passed, 2 failed
    ''', 1),
    ('a crashed script: its unreported tests fail, the script not again',
     [], {'kselftest': '''
    TAP version 13
    1..2
    # selftests: rdma: srp.sh
    # TAP version 13
    # 1..3
    # ok 1 srp login
    not ok 1 selftests: rdma: srp.sh # exit=139
    # selftests: rdma: iser.sh
    #
    not ok 2 selftests: rdma: iser.sh # TIMEOUT 1500 seconds
    '''}, '''
    FAIL: kselftest: selftests: rdma: srp.sh: 2 announced test(s) never reported
    FAIL: kselftest: selftests: rdma: iser.sh (timeout)
        # selftests: rdma: iser.sh
        #
    1 passed, 3 failed
    ''', 1),
    ('a failure shows the diagnostics its test printed, not its neighbours\'',
     [], {'kselftest': '''
    TAP version 13
    1..1
    # selftests: rdma: ulp_faults.sh
    # TAP version 13
    # 1..2
    # # fault: abort
    # ok 1 srp: abort under load
    # # fault: relogin
    # # SRP add_target failed
    # not ok 2 srp: relogin under load
    not ok 1 selftests: rdma: ulp_faults.sh # exit=1
    '''}, '''
    FAIL: kselftest: srp: relogin under load
        # fault: relogin
        # SRP add_target failed
    1 passed, 1 failed
    ''', 1),
    ('diagnostics after a failure (the gates) come under it too',
     [], {'gates': '''
    KTAP version 1
    1..3
    ok 1 checkpatch a.sh
    not ok 2 checkpatch b.sh
    # b.sh:82: CHECK:LONG_LINE
    ok 3 checkpatch c.sh
    '''}, '''
    FAIL: gates: checkpatch b.sh
        # b.sh:82: CHECK:LONG_LINE
    2 passed, 1 failed
    ''', 1),
]


def run(case, tmp):
    name, opts, files, want, want_rc = case
    args = list(opts)
    for label, text in files.items():
        path = os.path.join(tmp, label + '.ktap')
        if text is not None:
            with open(path, 'w') as f:
                f.write(textwrap.dedent(text).lstrip('\n'))
        args.append('%s=%s' % (label, path))
    p = subprocess.run([sys.executable, KTAP_PY] + args,
                       capture_output=True, text=True)
    want = textwrap.dedent(want).strip('\n') + '\n'
    diag = []
    if p.stdout != want or p.returncode != want_rc:
        diag.append('expected (exit %d):' % want_rc)
        diag += ['| ' + l for l in want.splitlines()]
        diag.append('got (exit %d):' % p.returncode)
        diag += ['| ' + l for l in (p.stdout + p.stderr).splitlines()]
    return not diag, diag


def main():
    print('KTAP version 1')
    print('1..%d' % len(CASES))
    failed = 0
    with tempfile.TemporaryDirectory(prefix='ktap-test.') as tmp:
        for n, case in enumerate(CASES, 1):
            os.mkdir(os.path.join(tmp, str(n)))
            ok, diag = run(case, os.path.join(tmp, str(n)))
            for l in diag:
                print('# ' + l)
            print('%s %d %s' % ('ok' if ok else 'not ok', n, case[0]))
            failed += not ok
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
