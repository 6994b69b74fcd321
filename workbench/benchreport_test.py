#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The benchmark report's own test: benchreport.py's statistics and
verdicts on small inputs whose answer is known, and one whole report of
a synthetic DATA file with instruction-timed and wall-clock records.
Prints KTAP, one result per case; exit status 0 when all pass.

Usage: benchreport_test.py
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchreport as br  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def spread(center, rel, n=9):
    """n runs evenly spread over center * (1 - rel) .. center * (1 + rel)."""
    return [center * (1 - rel + 2 * rel * i / (n - 1)) for i in range(n)]


def case_ratio_interval():
    r = br.ratio(spread(110, 0.01), spread(100, 0.01))
    assert r[3] is None, r
    assert abs(r[0] - 1.1) < 1e-9, r
    assert r[1] < 1.1 < r[2], r
    assert r[2] - r[1] < 0.05, r


def case_meets():
    r = br.ratio(spread(110, 0.01), spread(100, 0.01))
    assert br.verdict(r, 0.98) == 'meets', r


def case_misses():
    r = br.ratio(spread(90, 0.01), spread(100, 0.01))
    assert br.verdict(r, 0.98) == 'misses', r


def case_undecided_wide():
    # the median says 1.0, but runs from 0.6 to 1.4 cannot place it
    # against 0.98 either way
    r = br.ratio(spread(100, 0.4), spread(100, 0.4))
    assert r[3] is None and r[1] < 0.98 < r[2], r
    assert br.verdict(r, 0.98) == 'undecided', r


def case_undecided_few_runs():
    r = br.ratio([110, 111, 109], [100, 101, 99])
    assert r[1] is None and 'no interval' in r[3], r
    assert br.verdict(r, 0.98) == 'undecided', r


def case_lower_target():
    # the walker: at most 2x the 1-entry cost
    ok = br.ratio(spread(150, 0.01), spread(100, 0.01))
    bad = br.ratio(spread(300, 0.01), spread(100, 0.01))
    assert br.verdict(ok, 2.0, True) == 'meets', ok
    assert br.verdict(bad, 2.0, True) == 'misses', bad


def case_not_measured():
    r = br.ratio('could not attach', spread(100, 0.01))
    assert br.verdict(r, 0.98) == 'not measured', r


def case_reproducible():
    a, b = spread(103, 0.05, 7), spread(100, 0.05, 7)
    assert br.ratio(a, b) == br.ratio(a, b)


def case_interval_covers():
    # runs drawn from one distribution for both cells: over 200 trials
    # the 95 % interval must hold 1.0 in most of them
    import random
    rng = random.Random(7)
    held = 0
    for _ in range(200):
        a = [rng.gauss(100, 3) for _ in range(9)]
        b = [rng.gauss(100, 3) for _ in range(9)]
        r = br.ratio(a, b)
        held += r[1] <= 1.0 <= r[2]
    assert held >= 170, held


# NVMe/RDMA 4 KiB depth 1: each visit of two runs in one of two states
# (about 10.7 or 13.0 context switches per I/O, 8000 or 7760 IOPS)
FAST, SLOW = (8000, 10.7), (7760, 13.0)


def visits(*kinds, scale=1.0):
    """The (iops, ctx) runs of visits of two runs each, in the states kinds."""
    iops, ctx = [], []
    for i, (v, c) in enumerate(kinds):
        iops += [scale * v * (1 + 0.001 * (i % 3 - 1)), scale * v * (1 + 0.001 * (i % 2))]
        ctx += [c, c + 0.02]
    return iops, ctx


def case_states():
    assert br.states([10.7, 13.0, 10.8, 12.9, 10.75]) == [0, 1, 0, 1, 0]
    # a spread without a gap of 10 % is one state
    assert br.states([10.7, 11.1, 11.5, 11.9, 12.3]) == [0] * 5


def case_matched_takes_state_out():
    # the same IOPS in each state, the states shared unevenly: pooled, the
    # interval holds 1.0 only loosely; by state, it decides
    a, actx = visits(FAST, SLOW, SLOW)
    b, bctx = visits(FAST, FAST, SLOW, FAST)
    r = br.matched_ratio(a, b, actx, bctx)
    assert r[3] is None and len(r) == 5, r
    assert abs(r[0] - 1.0) < 0.002 and r[2] - r[1] < 0.005, r
    assert br.verdict(r, 0.98) == 'meets', r
    assert '10.7: 2 + 6 runs' in r[4] and '13.0: 4 + 2 runs' in r[4], r
    assert br.verdict(br.ratio(a, b), 0.98) == 'undecided', br.ratio(a, b)


def case_matched_keeps_a_loss():
    # 5 % fewer IOPS in both states is a loss, whatever the shares
    a, actx = visits(FAST, SLOW, SLOW, scale=0.95)
    b, bctx = visits(FAST, SLOW, FAST)
    r = br.matched_ratio(a, b, actx, bctx)
    assert len(r) == 5 and abs(r[0] - 0.95) < 0.003, r
    assert br.verdict(r, 0.98) == 'misses', r


def case_matched_needs_a_shared_state():
    # one side only ever slow, the other only fast: nothing to match,
    # the pooled ratio stands (and shows the 3 %)
    a, actx = visits(SLOW, SLOW, SLOW)
    b, bctx = visits(FAST, FAST, FAST)
    r = br.matched_ratio(a, b, actx, bctx)
    assert r == br.ratio(a, b) and len(r) == 4, r
    assert br.verdict(r, 0.98) == 'misses', r
    # without context switches (older records) the pooled ratio too
    a, _ = visits(FAST, SLOW, SLOW)
    assert br.matched_ratio(a, b, 'missing', bctx) == br.ratio(a, b)


def case_matched_needs_runs_in_a_state():
    # a state one side saw in one run only is not compared: one odd pair
    # of runs cannot set the ratio, nor narrow its interval
    a, b = [8000.0] * 5 + [7000.0], [8000.0] * 5 + [7760.0]
    actx, bctx = [10.7] * 5 + [13.0], [10.7] * 5 + [13.0]
    r = br.matched_ratio(a, b, actx, bctx)
    assert len(r) == 5 and r[0] == 1.0 and '13.0: 1 + 1 runs' in r[4], r
    # one side's outlier run alone in the other side's state: the pooled
    # ratio stands
    a, actx = [100.0] * 6, [10.0] * 6
    b, bctx = [100.0] * 5 + [90.0], [12.0] * 5 + [10.4]
    assert br.matched_ratio(a, b, actx, bctx) == br.ratio(a, b)
    # a run of no I/O: no logarithm of zero
    a = [0.0] + [8000.0] * 5
    assert br.matched_ratio(a, b, [10.7] * 6, [10.7] * 3 + [13.0] * 3)[0] is not None


def case_ctx_per_run():
    # a visit of one run gives one number; pooled, the runs stay aligned
    out = br.merge({'iops': 8000.0, 'mbps': 1.0, 'ctx': 10.7},
                   {'iops': [7760.0, 7761.0], 'mbps': [1.0, 1.0], 'ctx': [13.0, 13.0]},
                   ('iops', 'mbps'), [])
    assert out['iops'] == [8000.0, 7760.0, 7761.0] and out['ctx'] == [10.7, 13.0, 13.0], out
    rec = {'ulp': 'nvme', 'kernel': 'base', 'pass': 'stock', 'bs': 4096.0, 'qd': 1.0,
           'layout': 'aligned', 'iops': [1.0, 2.0], 'mbps': [1.0, 2.0], 'req': [1.0, 1.0],
           'cpu': [1.0, 1.0], 'ctx': [10.7, 10.8, 10.9]}
    try:
        br.check_record('ulp', rec)
    except ValueError:
        return
    raise AssertionError('3 ctx= runs for 2 iops= runs were accepted')


DATA = '''\
benchdata machine accel=tcg clock=icount cpus=2 mem_mb=2048 kernel=patched
benchdata config quick=1
benchdata walker entries=1 ps=%(one)s
benchdata walker entries=65536 ps=%(big)s
benchdata packet dir=gather n=4 size=4096 bytes=1024 direct_ns=%(d)s sg_gaps_ns=%(fast)s indirect_ns=%(fast)s memcpy_ns=%(m)s
benchdata packet dir=gather n=64 size=512 bytes=1024 direct_ns=%(d)s sg_gaps_ns=%(slow)s indirect_ns=%(slow)s memcpy_ns=%(m)s
benchdata packet dir=gather n=1024 size=4096 bytes=1024 sg_gaps_ns=%(fast)s indirect_ns=%(fast)s memcpy_ns=%(m)s
benchdata ulp ulp=iser kernel=patched pass=auto:on bs=65536 qd=16 layout=aligned iops=%(a)s mbps=%(a)s req=%(r)s cpu=%(r)s
benchdata ulp ulp=iser kernel=patched pass=never:off bs=65536 qd=16 layout=aligned iops=%(b)s mbps=%(b)s req=%(r)s cpu=%(r)s
benchdata ulp ulp=nvme kernel=patched pass=auto:on bs=4096 qd=1 layout=aligned iops=%(na)s mbps=%(na)s req=%(r6)s cpu=%(r6)s ctx=%(nac)s
benchdata ulp ulp=nvme kernel=patched pass=never:off bs=4096 qd=1 layout=aligned iops=%(nb)s mbps=%(nb)s req=%(r8)s cpu=%(r8)s ctx=%(nbc)s
benchdata ulp ulp=nfs kernel=patched pass=on bs=4096 qd=16 layout=aligned iops=%(a)s mbps=%(a)s req=%(r)s cpu=%(r)s sq_waits=37
benchdata ulp ulp=nfs kernel=patched pass=off bs=4096 qd=16 layout=aligned iops=%(b)s mbps=%(b)s req=%(r)s cpu=%(r)s
benchdata machine accel=tcg clock=wall cpus=2 mem_mb=2048 kernel=patched
benchdata ulp ulp=iser kernel=patched pass=auto:on bs=65536 qd=16 layout=aligned iops=%(w)s mbps=%(w)s req=%(r)s cpu=%(r)s
benchdata ulp ulp=iser kernel=patched pass=never:off bs=65536 qd=16 layout=aligned iops=%(b)s mbps=%(b)s req=%(r)s cpu=%(r)s
'''


def fmt(v):
    return ','.join('%g' % x for x in v)


def case_merge_pools_counters():
    # a cell visited twice: its measured runs and its per-run counters
    # (context switches per I/O) pooled, a scalar counter the later visit's
    old = {'iops': [10.0, 11.0], 'mbps': [1.0, 1.1], 'ctx': [10.8, 10.8], 'xfer': 1.0}
    new = {'iops': [12.0, 13.0], 'mbps': [1.2, 1.3], 'ctx': [13.1, 13.0], 'xfer': 2.0}
    drift = []
    out = br.merge(old, new, ('iops', 'mbps'), drift)
    assert out['iops'] == [10.0, 11.0, 12.0, 13.0], out
    assert out['ctx'] == [10.8, 10.8, 13.1, 13.0], out
    assert out['xfer'] == 2.0, out
    assert br.extra_col(out, 'ctx') == br.fmt_runs([10.8, 10.8, 13.1, 13.0]), out
    assert len(drift) == 1 and abs(drift[0] - 12.5 / 10.5) < 1e-9, drift


def case_report():
    (na, nac), (nb, nbc) = visits(FAST, SLOW, SLOW), visits(FAST, FAST, SLOW, FAST)
    data = DATA % {'na': fmt(na), 'nac': fmt(nac), 'nb': fmt(nb), 'nbc': fmt(nbc),
                   'one': fmt(spread(100, 0.01)), 'big': fmt(spread(150, 0.01)),
                   'a': fmt(spread(101, 0.005)), 'b': fmt(spread(100, 0.005)),
                   'w': fmt(spread(50, 0.005)), 'r': fmt([1] * 9),
                   'd': fmt(spread(800, 0.001)), 'fast': fmt(spread(730, 0.001)),
                   'slow': fmt(spread(1000, 0.001)), 'm': fmt(spread(450, 0.001)),
                   'r6': fmt([1] * 6), 'r8': fmt([1] * 8)}
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'data.txt')
        with open(path, 'w') as f:
            f.write(data)
        p = subprocess.run([sys.executable, os.path.join(HERE, 'benchreport.py'), path, d],
                           capture_output=True, text=True, timeout=300)
        assert p.returncode in (0, 2), (p.returncode, p.stderr)   # 2: no gnuplot
        with open(os.path.join(d, 'results.md')) as f:
            text = f.read()
    main, _, wall = text.partition('## Wall clock (second table, not judged)')
    assert wall, 'no wall-clock section'
    row = [ln for ln in main.splitlines()
           if ln.startswith('| iser 64 KiB qd 16: patched auto:on aligned / patched never:off')]
    assert row and row[0].endswith('| meets |'), row
    assert 'Instruction-timed' in main
    # NVMe's two states taken out: the ratio by state, and how the runs fell
    row = [ln for ln in main.splitlines()
           if ln.startswith('| nvme 4 KiB qd 1: patched auto:on aligned / patched never:off')]
    assert row and row[0].endswith('| meets by state |') and '13.0: 4 + 2 runs' in row[0], row
    assert ', 1 meets by state, ' in main, main
    walker = [ln for ln in main.splitlines() if ln.startswith('| walker: ps per lookup')]
    assert walker and walker[0].endswith('| meets |'), walker
    # the wall-clock pass measured 0.5x: shown, never judged
    row = [ln for ln in wall.splitlines()
           if ln.startswith('| iser 64 KiB qd 16: patched auto:on aligned / patched never:off')]
    assert row and row[0].endswith('| not judged |') and '| 0.500 |' in row[0], row
    assert 'misses' not in wall
    # a packet's access: 0.91 meets 1.1, 1.25 misses, and 1024 entries
    # (no fast MR that long) has no claim
    rows = [ln for ln in main.splitlines() if ln.startswith('| rxe packet, ')]
    assert len(rows) == 4, rows
    assert all(r.endswith('| meets |') for r in rows if 'gather 4 × 4 KiB' in r), rows
    assert all(r.endswith('| misses |') for r in rows if 'gather 64 × 512 B' in r), rows
    table = [ln for ln in main.splitlines() if ln.startswith('| gather | 1024 |')]
    assert table and 'direct: no fast MR of 1024 pages on rxe' in table[0], table
    # a counter only some records carry: a column of its own, a dash
    # where a record lacks it; iSER's table has no such column
    nfs = main.partition('### nfs')[2].partition('\n\n')[2].splitlines()
    assert nfs[0].endswith('| server SQ waits |'), nfs
    assert [r.rsplit('|', 2)[1].strip() for r in nfs[2:4]] == ['37', '—'], nfs
    assert 'SQ waits' not in main.partition('### iser')[2].partition('### nfs')[0]


def case_bad_clock():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'data.txt')
        with open(path, 'w') as f:
            f.write('benchdata machine accel=tcg clock=sundial cpus=2 mem_mb=2048\n'
                    'benchdata walker entries=1 ps=1,2,3\n')
        p = subprocess.run([sys.executable, os.path.join(HERE, 'benchreport.py'), path, d],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 1 and 'clock=sundial' in p.stderr, (p.returncode, p.stderr)


CASES = [(name[5:], fn) for name, fn in sorted(globals().items()) if name.startswith('case_')]


def main():
    print('KTAP version 1')
    print('1..%d' % len(CASES))
    failed = 0
    for i, (name, fn) in enumerate(CASES, 1):
        try:
            fn()
            print('ok %d benchreport: %s' % (i, name))
        except Exception as e:  # a failing case reports and the rest run
            failed += 1
            print('not ok %d benchreport: %s' % (i, name))
            for line in repr(e).splitlines()[:20]:
                print('# ' + line)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
