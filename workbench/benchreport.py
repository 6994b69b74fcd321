#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn benchmark measurements into a Markdown report and gnuplot plots.

Usage: benchreport.py DATA OUTDIR

Every line of DATA containing the word "benchdata" is a record; text before
it (such as a KUnit "    # suite: " prefix) is ignored, and so are other
lines.  A record is "benchdata TABLE key=value ...".  A value with commas is
a list of numbers, one per run.  "why=TEXT" (not measured) or "failed=TEXT"
(the benchmark failed) is the last key and takes the rest of the line.
Tables:

  machine accel=tcg|kvm cpus=C mem_mb=M host=H kernel=patched|base
          [clock=icount|wall]                    (default wall)
  config  quick=0|1
  ceiling bytes=T mbps=...                       guest memcpy bandwidth
  walker  entries=N ps=...                       ps per lookup, N entries
  rxe     op=write|read|send n=N size=S bytes=T fast_wrs=K
          fast_mbps=... indirect_mbps=...        rxe loopback data path
  reg     n=N indirect_map_ns=... indirect_pair_ns=...
          [fast_map_ns=... fast_pair_ns=...]     registration cost
  packet  dir=gather|scatter n=N size=S bytes=B [direct_ns=...]
          sg_gaps_ns=... indirect_ns=... memcpy_ns=...
                                                 rxe's access of one packet
  ulp     ulp=iser|srp|nvme|nfs kernel=base|patched pass=P bs=B qd=Q
          layout=aligned|misaligned|gappy iops=... mbps=... req=... cpu=...
          [ctx=...] [xfer=...] [sq_waits=...]    storage protocol on rxe

A record is labelled with the machine line before it; the machine's
clock= (icount: the guest's clock counts instructions, QEMU -icount;
wall: plain TCG or KVM, the guest's clock is the host's) says which
report it belongs to: the instruction-timed figures give the verdicts,
the wall-clock ones a second set of tables without verdicts.  A cell
measured again (the base kernel boots before and after the patched one,
a pass visited again in a later round) pools the runs of both records.  A why= or failed= record that leaves out some of the keys naming
a cell (e.g. a ULP pass that could not attach) covers every cell it matches.

Writes OUTDIR/results.md (also printed), OUTDIR/*.dat, *.gp and walker.png,
rxe.png, ulp.png.  Exit status: 0 report written; 1 no measurements, a
malformed record, or a record with failed= (after writing the report); 2
gnuplot failed.
"""
import math
import os
import random
import re
import statistics
import subprocess
import sys

TEXT_KEYS = {'accel', 'clock', 'host', 'kernel', 'op', 'ulp', 'pass', 'layout', 'dir'}
REST_KEYS = ('why', 'failed')
# table: (keys naming a cell, keys it must measure unless why= or failed=)
TABLES = {
    'machine': (('accel', 'cpus', 'mem_mb'), ()),
    'config': (('quick',), ()),
    'ceiling': (('bytes',), ('mbps',)),
    'walker': (('entries',), ('ps',)),
    'rxe': (('op', 'n', 'size', 'bytes'), ('fast_wrs', 'fast_mbps', 'indirect_mbps')),
    'reg': (('n',), ('indirect_map_ns', 'indirect_pair_ns')),
    'ulp': (('ulp', 'kernel', 'pass', 'bs', 'qd', 'layout'), ('iops', 'mbps', 'req', 'cpu')),
    'packet': (('dir', 'n', 'size', 'bytes'), ('sg_gaps_ns', 'indirect_ns', 'memcpy_ns')),
}
MEASURED = ('ceiling', 'walker', 'rxe', 'reg', 'ulp', 'packet')
ORDER = {'write': 0, 'read': 1, 'send': 2, 'iser': 0, 'srp': 1, 'nvme': 2, 'nfs': 3,
         'aligned': 0, 'misaligned': 1, 'gappy': 2, 'base': 0, 'patched': 1, 'stock': 0,
         'auto:on': 1, 'always:on': 2, 'never:on': 3, 'never:off': 4, 'on': 1, 'off': 2,
         'gather': 0, 'scatter': 1}
RXE_TARGETS = {4096: 0.95, 512: 0.8}
# an access through an SG_GAPS or indirect MR against a direct one to the
# same bytes, up to this many entries
PACKET_TARGET, PACKET_MAX_N = 1.1, 64
WALKER_TARGET = 2.0
# a registration cycle (map, REG_MR, LOCAL_INV) within 2x of a fast MR's
REG_TARGET = 0.5
# at least two visits of two runs (a ratio by state may have no more
# in the states it compares)
MIN_RUNS, CONFIDENCE, RESAMPLES = 4, 0.95, 2000
# A ULP cell can run a whole attach in one of two scheduling states of
# the guest, on both kernels and under every policy: NVMe/RDMA 4 KiB at
# depth 1 makes about 10.7 context switches per I/O in one and 13.0 in
# the other (rxe's work items woken on five kworkers or on four), with
# IOPS 3 % apart.  Runs whose context switches per I/O lie more than
# STATE_GAP apart, with none between, are in different states; a state
# is compared when each side has STATE_MIN_RUNS runs in it (a visit's).
STATE_GAP, STATE_MIN_RUNS = 0.1, 2
# counters a ULP record carries per run (pooled like its measured keys)
PER_RUN = ('ctx',)
FAST_MR_LIMIT = 'fast MR maps at most 512 pages'
# counters some ULP records carry, with their column titles
ULP_EXTRA = (('ctx', 'context switches per I/O'), ('xfer', 'xfer per command'),
             ('sq_waits', 'server SQ waits'))
RULE = ('Each cell gives the median of its runs with the min–max range. A ratio A/B is '
        'median(A)/median(B) with a %d %% confidence interval: the runs of A and of B are '
        'resampled with replacement %d times (a fixed seed, so the report is reproducible), '
        'and the interval holds the middle %d %% of the resampled ratios of medians; '
        '±w %% is its half-width relative to the ratio. A ratio needs at least %d runs in '
        'each cell for an interval. Against a target the verdict is "meets" when the whole '
        'interval lies on the target\'s side, "misses" when it lies wholly on the other '
        'side, and "undecided" otherwise (the interval is printed) or without an interval. '
        'A ULP cell\'s runs fall into states by their context switches per I/O: sorted, a '
        'new state starts where one exceeds the one before by more than %d %%. When the runs '
        'of A and B together fall into more than one state, the ratio is taken state by '
        'state over the states in which each side has at least %d runs: the geometric mean '
        'of those states\' ratios of medians, each weighted by n(A) n(B) / (n(A) + n(B)) of '
        'its runs, with runs resampled within their state; other runs are left out. This '
        'assumes that the state does not depend on what A and B differ in, so such a verdict '
        'reads "meets by state" (or "misses by state", "undecided by state"), and the interval '
        'column says how many runs each side had in each state: if one side fell into the '
        'slower state far more often, the ratio by state does not show it.'
        % (CONFIDENCE * 100, RESAMPLES, CONFIDENCE * 100, MIN_RUNS, STATE_GAP * 100,
           STATE_MIN_RUNS))


def parse_value(key, text):
    """Return text for TEXT_KEYS, else a number, or a list of numbers if text has commas."""
    if not text:
        raise ValueError('%s= is empty' % key)
    if key in TEXT_KEYS:
        return text
    try:
        nums = [float(t) for t in text.split(',')]
    except ValueError:
        raise ValueError('%s=%s is not a number or a list of numbers' % (key, text)) from None
    if not all(math.isfinite(x) for x in nums):
        raise ValueError('%s=%s is not finite' % (key, text))
    return nums if ',' in text else nums[0]


def parse_record(text):
    """Parse the text after "benchdata" into (table, {key: value}); raise ValueError."""
    words = text.split(None, 1)
    if not words or '=' in words[0]:
        raise ValueError('no table name')
    table, rest, rec = words[0], (words[1] if len(words) > 1 else ''), {}
    while rest:
        m = re.match(r'(\w+)=', rest)
        if not m:
            raise ValueError('expected key=value at "%s"' % rest.split()[0])
        key, rest = m.group(1), rest[m.end():]
        if key in rec:
            raise ValueError('%s= given twice' % key)
        if key in REST_KEYS:
            rec[key] = rest.strip()
            break
        value = re.match(r'\S*', rest).group(0)
        rest = rest[len(value):].lstrip()
        rec[key] = parse_value(key, value)
    return table, rec


def runs(value):
    """Return a value as a list of runs."""
    return value if isinstance(value, list) else [value]


def check_record(table, rec):
    """Raise ValueError if rec lacks a key its table needs or its lists disagree."""
    if table not in TABLES:
        raise ValueError('unknown table %s' % table)
    ident, measured = TABLES[table]
    if table in MEASURED and ('why' in rec or 'failed' in rec):
        return                          # may cover a group of cells, see lookup()
    need = ident + measured
    missing = [k + '=' for k in need if k not in rec]
    if missing:
        raise ValueError('%s record lacks %s' % (table, ', '.join(missing)))
    for side in ('indirect', 'fast') if table == 'reg' else ():
        m, p = rec.get(side + '_map_ns'), rec.get(side + '_pair_ns')
        if (m is None) != (p is None) or m is not None and len(runs(m)) != len(runs(p)):
            raise ValueError('%s_map_ns= and %s_pair_ns= need the same number of runs'
                             % (side, side))
    for k in PER_RUN if table == 'ulp' else ():
        if k in rec and len(runs(rec[k])) != len(runs(rec['iops'])):
            raise ValueError('%s= needs as many runs as iops=' % k)


def machine_label(rec):
    """Describe a machine record, e.g. "TCG, 2 vCPUs, 2048 MiB, patched kernel, host h"."""
    label = '%s%s, %d vCPUs, %d MiB' % (rec['accel'].upper(), ' (icount)' * (
        rec.get('clock') == 'icount'), rec['cpus'], rec['mem_mb'])
    if 'kernel' in rec:
        label += ', %s kernel' % rec['kernel']
    return label + (', host %s' % rec['host'] if 'host' in rec else '')


def merge(old, rec, keys, drift):
    """Return the record of a cell measured again (the base kernel boots
    before and after the patched one): the runs of both of its measured keys
    pooled, so that the spread includes what changed between the boots.  A
    why= or failed= record, or one after it, replaces the other.  The ratio
    of the medians of the first measured key (the same kernel, later over
    earlier) goes to drift."""
    if old is None or 'why' in old or 'why' in rec:
        return rec
    out = dict(rec)
    # the measured keys, and the per-run counters a table may add (a
    # counter of a visit of one run is one number)
    for k in keys + tuple(k for k in old if (isinstance(old[k], list) or k in PER_RUN)
                          and k not in keys):
        if k in old and k in rec:
            out[k] = runs(old[k]) + runs(rec[k])
    first, again = stats(runs(old[keys[0]]))[1], stats(runs(rec[keys[0]]))[1]
    if first > 0:
        drift.append(again / first)
    return out


def drift_lines(data):
    """Return a paragraph on how much the cells measured twice moved."""
    if not data['drift']:
        return []
    lo, med, hi, n = stats(data['drift'])
    return ['Again: %d times a cell was measured again (the base kernel in the boot after the '
            'patched one, or a pass in a later round of the same boot); the later median over '
            'the earlier one ranges from %.2f to %.2f (median %.2f). The runs are pooled, so '
            'what moved shows in the intervals.' % (n, lo, hi, med), '']


def new_data(clock):
    """Return the empty measurements of one clock."""
    data = {t: {} for t in MEASURED}
    data.update(machines=[], quick=None, failed=[], where={}, partial=[], drift=[],
                clock=clock)
    return data


def load(path):
    """Read DATA into {clock: dict of tables keyed by cell}; raise ValueError naming a
    bad line.  Records before any machine line count as wall clock."""
    by_clock = {}
    data = by_clock.setdefault('wall', new_data('wall'))
    machine = 'machine not recorded'
    with open(path, errors='replace') as f:
        for lineno, line in enumerate(f, 1):
            m = re.search(r'\bbenchdata\b', line)
            if not m:
                continue
            try:
                table, rec = parse_record(line[m.end():])
                check_record(table, rec)
                if any(isinstance(rec.get(k), list) for k in TABLES[table][0] + ('fast_wrs',)):
                    raise ValueError('a list where %s needs one value' % table)
            except ValueError as e:
                raise ValueError('line %d: %s: %s' % (lineno, e, line.strip())) from None
            if 'failed' in rec:
                what = line[m.end():].split(' failed=')[0].strip()
                data['failed'].append((lineno, what, rec['failed'] or '(no message)'))
                rec['why'] = 'failed: ' + (rec['failed'] or '(no message)')
            if table == 'machine':
                clock = rec.get('clock', 'wall')
                if clock not in ('icount', 'wall'):
                    raise ValueError('line %d: clock=%s is not icount or wall' % (lineno, clock))
                data = by_clock.setdefault(clock, new_data(clock))
                machine = machine_label(rec)
                if machine not in data['machines']:
                    data['machines'].append(machine)
            elif table == 'config':
                data['quick'] = rec['quick']
            else:
                ident = TABLES[table][0]
                if not all(k in rec for k in ident):    # a why= for a group of cells
                    data['partial'].append((table, rec))
                else:
                    key = tuple(rec[k] for k in ident) if len(ident) > 1 else rec[ident[0]]
                    data[table][key] = merge(data[table].get(key), rec,
                                             TABLES[table][1], data['drift'])
                where = data['where'].setdefault(table, [])
                if machine not in where:
                    where.append(machine)
    if not any(by_clock['wall'][k] for k in MEASURED + ('failed', 'partial')) and \
            len(by_clock) > 1:
        del by_clock['wall']
    return by_clock


def stats(v):
    """Return (min, median, max, runs) of a list."""
    s = sorted(v)
    return s[0], statistics.median(s), s[-1], len(s)


def bootstrap(resample):
    """Return the CONFIDENCE interval (lo, hi) of RESAMPLES values of resample(rng),
    rng a random.Random of a fixed seed."""
    rng = random.Random(0)
    r = sorted(resample(rng) for _ in range(RESAMPLES))
    k = int(RESAMPLES * (1 - CONFIDENCE) / 2)
    return r[k], r[-k - 1]


def interval(a, b):
    """Return the CONFIDENCE bootstrap interval (lo, hi) of median(a)/median(b):
    RESAMPLES resamples of each list with replacement, a fixed seed."""
    def resample(rng):
        x = statistics.median(rng.choices(a, k=len(a)))
        y = statistics.median(rng.choices(b, k=len(b)))
        return x / y if y > 0 else math.inf
    return bootstrap(resample)


def lookup(data, table, key):
    """Return the record of a cell, or a why=/failed= record naming a group it is in."""
    if key in data[table]:
        return data[table][key]
    key = key if isinstance(key, tuple) else (key,)
    for t, rec in data['partial']:
        if t == table and all(rec.get(k, v) == v for k, v in zip(TABLES[table][0], key)):
            return rec
    return None


def partial(data, table):
    """Return a bullet list of the why=/failed= records of table that name no one cell."""
    lines = []
    for rec in (rec for t, rec in data['partial'] if t == table):
        keys = ' '.join('%s=%s' % (k, fmt_key(rec[k])) for k in TABLES[table][0] if k in rec)
        lines.append('- not measured: %s%s' % (keys + ' — ' if keys else '', rec['why']))
    return lines + [''] * bool(lines)


def fmt_key(v):
    """Format an identity value as written in DATA."""
    return v if isinstance(v, str) else '%g' % v


def cell(rec, key):
    """Return the runs of rec[key], or a string saying why there are none."""
    if rec is None or ('why' not in rec and key not in rec):
        return 'missing'
    return rec['why'] if 'why' in rec else runs(rec[key])


def ratio(a, b, names=('A', 'B')):
    """Return (median, lo, hi, why) of A/B; why is None when the rule lets it be printed."""
    if isinstance(a, str) or isinstance(b, str):
        if a == b:
            return None, None, None, 'not measured: ' + a
        why = '; '.join('%s: %s' % (n, v) for n, v in zip(names, (a, b)) if isinstance(v, str))
        return None, None, None, 'not measured: ' + why
    if min(b) <= 0:
        return None, None, None, 'not measured: %s is not positive' % names[1]
    med = statistics.median(a) / statistics.median(b)
    n = min(len(a), len(b))
    if n < MIN_RUNS:
        return med, None, None, '%d run%s < %d, no interval' % (
            n, '' if n == 1 else 's', MIN_RUNS)
    lo, hi = interval(a, b)
    return med, lo, hi, None


def states(ctx):
    """Return the state (0, 1, ...) of each value of ctx: the values sorted, a new
    state where one exceeds the one before by more than STATE_GAP."""
    label, s, prev = {}, 0, None
    for v in sorted(set(ctx)):
        if prev is not None and v > prev * (1 + STATE_GAP):
            s += 1
        label[v], prev = s, v
    return [label[v] for v in ctx]


def by_state(groups):
    """Return the geometric mean of the groups' ratios of medians, each group (A runs,
    B runs) weighted by n(A) n(B) / (n(A) + n(B))."""
    num = den = 0.0
    for a, b in groups:
        w = len(a) * len(b) / (len(a) + len(b))
        num += w * math.log(statistics.median(a) / statistics.median(b))
        den += w
    return math.exp(num / den)


def matched_ratio(a, b, actx, bctx, names=('A', 'B')):
    """Return ratio(a, b) of two ULP cells, or, when their runs together fall into more
    than one state (states() of the context switches per I/O, actx and bctx) and each side
    has STATE_MIN_RUNS runs in one of them, the ratio taken state by state (by_state())
    over such states: (ratio, lo, hi, None, note), the note saying how many runs each side
    had in each state, or (ratio, None, None, why) with fewer than MIN_RUNS runs a side
    in the states compared.  Runs in other states are left out."""
    plain = ratio(a, b, names)
    if plain[3] or min(a) <= 0 or not all(isinstance(c, list) and len(c) == len(v)
                                          for c, v in ((actx, a), (bctx, b))):
        return plain
    lab = states(actx + bctx)
    sa, sb = lab[:len(a)], lab[len(a):]
    shared = sorted(k for k in set(lab)
                    if min(sa.count(k), sb.count(k)) >= STATE_MIN_RUNS)
    if len(set(lab)) < 2 or not shared:
        return plain
    note = 'by state, ctx/I/O %s' % '; '.join(
        '%.1f: %d + %d runs' % (statistics.median([c for c, s in zip(actx + bctx, lab)
                                                    if s == k]), sa.count(k), sb.count(k))
        for k in sorted(set(lab)))
    groups = [([x for x, s in zip(a, sa) if s == k], [x for x, s in zip(b, sb) if s == k])
              for k in shared]
    med = by_state(groups)
    n = min(sum(len(g[0]) for g in groups), sum(len(g[1]) for g in groups))
    if n < MIN_RUNS:
        return med, None, None, '%s; %d runs in shared states < %d, no interval' % (
            note, n, MIN_RUNS)
    lo, hi = bootstrap(lambda rng: by_state([(rng.choices(x, k=len(x)),
                                               rng.choices(y, k=len(y)))
                                              for x, y in groups]))
    return med, lo, hi, None, note


def width(r):
    """Return the half-width of ratio r's interval relative to the ratio, or None."""
    if r[1] is None or not r[0]:
        return None
    return (r[2] - r[1]) / 2 / r[0]


def verdict(r, target, lower=False):
    """Return meets / misses / undecided / not measured for ratio r, or — without a target."""
    if r[3] and r[3].startswith('not measured'):
        return 'not measured'
    if target is None:
        return '—'
    if r[3]:
        return 'undecided'
    lo, hi = r[1], r[2]
    if lower:
        return 'meets' if hi <= target else 'misses' if lo > target else 'undecided'
    return 'meets' if lo >= target else 'misses' if hi < target else 'undecided'


def fmt_num(x):
    """Format a rate: an integer from 100 up or when whole, else 3 significant figures."""
    if abs(x) >= 100 or x == int(x):
        return '%d' % round(x)
    return '%.3g' % x


def fmt_size(b, sep=' '):
    """Format a byte count as 512 B, 4 KiB, 64 KiB, 1 MiB, 64 MiB."""
    for unit, scale in (('GiB', 1 << 30), ('MiB', 1 << 20), ('KiB', 1 << 10)):
        if b >= scale:
            return fmt_num(b / scale) + sep + unit
    return '%d%sB' % (b, sep)


def fmt_runs(v, show_runs=False):
    """Format runs as "median (min–max)[, n runs]", or a reason as "—"."""
    if isinstance(v, str):
        return '—'
    lo, med, hi, n = stats(v)
    text = '%s (%s–%s)' % (fmt_num(med), fmt_num(lo), fmt_num(hi))
    return text + (', %d runs' % n if show_runs else '')


def fmt_target(target, lower=False):
    """Format a target such as ≥ 0.95, or — without one."""
    return '—' if target is None else '%s %.2f' % ('≤' if lower else '≥', target)


def ratio_cols(r):
    """Return the [ratio, interval / why not] columns of ratio r."""
    if r[3] is None:
        return ['%.3f' % r[0], '%.3f–%.3f (±%.1f%%)' % (r[1], r[2], 100 * width(r)) +
                ('; ' + r[4] if len(r) > 4 else '')]
    return ['—' if r[0] is None else '%.3f' % r[0], r[3]]


def md_table(head, rows):
    """Return a Markdown table as a list of lines, or none without rows."""
    if not rows:
        return []
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    lines += ['| ' + ' | '.join(str(c).replace('|', '\\|') for c in row) + ' |' for row in rows]
    return lines + ['']


def section(data, title, table):
    """Return the heading of a section of absolute figures, labelled with its machines."""
    if not data[table] and not partial(data, table):
        return ['## ' + title, '', 'No records.', '']
    return ['## ' + title, '', 'Measured on: %s.' % '; '.join(data['where'][table]), '']


def by_order(key):
    """Sort key putting known words (ops, ULPs, layouts, kernels) in their natural order."""
    return tuple((ORDER.get(k, 9), k) if isinstance(k, str) else (0, k) for k in key)


def walker_ratios(data):
    """Return {N: ratio of median(N) to median(1 entry)} for the walker."""
    one = cell(lookup(data, 'walker', 1.0), 'ps')
    return {n: ratio(cell(rec, 'ps'), one, ('N=%d' % n, '1 entry'))
            for n, rec in data['walker'].items()}


def packet_ratio(rec, kind):
    """Return the ratio of kind's ns per packet to the direct access's."""
    direct = cell(rec, 'direct_ns') if 'direct_ns' in rec or 'why' in rec else \
        'no fast MR of %d pages on rxe' % rec['n']
    return ratio(cell(rec, kind + '_ns'), direct, (kind, 'direct'))


def reg_rate(rec, side):
    """Return registrations per second per run for side indirect or fast, or a reason."""
    if 'why' in rec:
        return rec['why']
    if side + '_map_ns' not in rec:
        return FAST_MR_LIMIT if side == 'fast' and rec['n'] > 512 else 'missing'
    ns = [m + p for m, p in zip(runs(rec[side + '_map_ns']), runs(rec[side + '_pair_ns']))]
    return [1e9 / t for t in ns] if min(ns) > 0 else 'a run took 0 ns'


def ulp_specs(ulp, bs):
    """Return the (numerator, denominator, target) ULP claims for one ulp and bs."""
    pa, ba = ('patched', 'auto:on'), ('base', 'stock')
    if ulp == 'nfs':
        pa, po = ('patched', 'on'), ('patched', 'off')
        specs = [(pa + ('aligned',), po + ('aligned',), 0.98),
                 (po + ('aligned',), ba + ('aligned',), 0.98),
                 (pa + ('aligned',), ba + ('aligned',), 0.98),
                 (pa + ('gappy',), po + ('gappy',), None),
                 (pa + ('gappy',), ba + ('gappy',), None)]
    elif ulp in ('iser', 'srp', 'nvme'):
        # in one boot: auto against never (rxe's offer on, and off: the
        # stock path); across boots: the stock path on both kernels
        po = ('patched', 'never:off')
        specs = [(pa + ('gappy',), pa + ('aligned',), 0.9),
                 (pa + ('aligned',), ('patched', 'never:on', 'aligned'), 0.98),
                 (pa + ('aligned',), po + ('aligned',), 0.98),
                 (po + ('aligned',), ba + ('aligned',), 0.98),
                 (pa + ('aligned',), ba + ('aligned',), 0.98),
                 (pa + ('gappy',), po + ('gappy',), None),
                 (pa + ('gappy',), ba + ('gappy',), None),
                 (pa + ('misaligned',), po + ('misaligned',), None)]
    else:
        specs = []
    # a gappy I/O is several 4 KiB pieces, so there is none of 4 KiB or less
    return [s for s in specs if bs > 4096 or s[0][2] != 'gappy']


def claims(data, judge=True, title='## Claims'):
    """Return the Claims section: every ratio with a target and its verdict (or, without
    judge, "not judged"), then how wide the intervals came out."""
    rows, widths = [], {'ULP': [], 'in-kernel': []}

    def add(name, r, target, lower=False):
        if not judge and r[3] and r[3].startswith('not measured'):
            return                      # the wall-clock boot measures some cells only
        v = verdict(r, target, lower) if judge else 'not judged'
        if len(r) > 4 and target is not None and v in ('meets', 'misses', 'undecided'):
            v += ' by state'            # see RULE: the states' shares are not compared
        rows.append([name] + ratio_cols(r) + [fmt_target(target, lower), v])
        if target is not None and width(r) is not None:
            widths['ULP' if name.split()[0] in ('iser', 'srp', 'nvme', 'nfs') else 'in-kernel'].append(width(r))
    for (op, n, size, _), rec in sorted(data['rxe'].items(), key=lambda i: by_order(i[0])):
        if size in RXE_TARGETS:
            r = ratio(cell(rec, 'indirect_mbps'), cell(rec, 'fast_mbps'), ('indirect', 'fast'))
            add('rxe %s, %d × %s: indirect / fast MB/s' % (op, n, fmt_size(size)), r,
                RXE_TARGETS[size])
    for key, rec in sorted(data['packet'].items(), key=lambda i: by_order(i[0])):
        dirn, n, size, _ = key
        if n > PACKET_MAX_N or 'direct_ns' not in rec:
            continue
        for kind in ('sg_gaps', 'indirect'):
            add('rxe packet, %s %d × %s: %s / direct instructions' % (
                dirn, n, fmt_size(size), kind), packet_ratio(rec, kind), PACKET_TARGET, True)
    wr = walker_ratios(data)
    r = ratio(*(cell(lookup(data, 'walker', n), 'ps') for n in (65536.0, 1.0)),
              ('N=65536', '1 entry'))
    add('walker: ps per lookup, 65536 / 1 entries', r, WALKER_TARGET, True)
    measured = [(r[0], n) for n, r in wr.items() if n != 1 and r[0] is not None]
    if measured:
        n = max(measured)[1]
        add('walker: worst N (%d) / 1 entry' % n, wr[n], WALKER_TARGET, True)
    for n, rec in sorted(data['reg'].items()):
        if n <= 512:
            add('registration, N=%d: indirect / fast registrations/s' % n,
                ratio(reg_rate(rec, 'indirect'), reg_rate(rec, 'fast'), ('indirect', 'fast')),
                REG_TARGET)
    for ulp, bs, qd in sorted({(k[0], k[3], k[4]) for k in data['ulp']}, key=by_order):
        # a pass this run did not include (QUICK=1 runs auto and the stock
        # path only) has no claims; a cell missing from a pass that ran does
        # nor, with QUICK=1, a layout it does not measure (misaligned)
        ran = {k[1:3] for k in data['ulp'] if k[0] == ulp}
        layouts = {k[5] for k in data['ulp'] if k[0] == ulp}
        for a, b, target in ulp_specs(ulp, bs):
            if a[:2] not in ran or b[:2] not in ran:
                continue
            if data['quick'] and (a[2] not in layouts or b[2] not in layouts):
                continue
            recs = [lookup(data, 'ulp', (ulp,) + x[:2] + (bs, qd) + x[2:]) for x in (a, b)]
            iops, ctx = ([cell(rec, k) for rec in recs] for k in ('iops', 'ctx'))
            add('%s %s qd %d: %s / %s IOPS' % (ulp, fmt_size(bs), qd, ' '.join(a), ' '.join(b)),
                matched_ratio(*iops, *ctx, (' '.join(a), ' '.join(b))), target)
    out = [title, ''] + md_table(['claim', 'ratio', '95 % interval / why not', 'target',
                                  'verdict'], rows)
    if judge and rows:
        count = {}
        for row in rows:
            count[row[-1]] = count.get(row[-1], 0) + 1
        out += ['Verdicts: %s.' % ', '.join('%d %s' % (n, v) for v, n in sorted(count.items())),
                '']
    for what, w in widths.items():
        if w:
            out += ['Interval half-widths of the %s claims with a target: median ±%.1f %%, '
                    'widest ±%.1f %% (%d claims).' % (what, 100 * statistics.median(w),
                                                     100 * max(w), len(w)), '']
    return out


def tables(data):
    """Return the Ceiling, rxe, Walker, Registration and ULP sections."""
    out = section(data, 'Ceiling (guest memcpy)', 'ceiling')
    rows = []
    for nbytes, rec in sorted(data['ceiling'].items()):
        v = cell(rec, 'mbps')
        rows.append([fmt_size(nbytes)] + (['—'] * 3 + ['not measured: ' + v] if isinstance(
            v, str) else [fmt_num(x) for x in stats(v)]))
    out += md_table(['bytes', 'MB/s min', 'median', 'max', 'runs'], rows) + partial(data, 'ceiling')

    out += section(data, 'rxe data path', 'rxe')
    rows = []
    for key, rec in sorted(data['rxe'].items(), key=lambda i: by_order(i[0])):
        op, n, size, nbytes = key
        target, row = RXE_TARGETS.get(size), [op, '%d' % n, fmt_size(size), fmt_size(nbytes)]
        if 'why' in rec:
            rows.append(row + ['—'] * 6 + [rec['why'], fmt_target(target), 'not measured'])
            continue
        fast, ind = cell(rec, 'fast_mbps'), cell(rec, 'indirect_mbps')
        ceil = cell(lookup(data, 'ceiling', nbytes), 'mbps')
        pct = ['—' if isinstance(ceil, str) else fmt_num(100 * stats(v)[1] / stats(ceil)[1]) + '%'
               for v in (fast, ind)]
        r = ratio(ind, fast, ('indirect', 'fast'))
        rows.append(row + ['%d' % rec['fast_wrs'], fmt_runs(fast), pct[0], fmt_runs(ind), pct[1]]
                    + ratio_cols(r) + [fmt_target(target), verdict(r, target)])
    out += md_table(['op', 'N', 'entry size', 'bytes/op', 'fast WRs', 'fast MB/s', '% ceiling',
                     'indirect MB/s', '% ceiling', 'indirect / fast', '95 % interval / why',
                     'target', 'verdict'], rows) + partial(data, 'rxe')

    out += section(data, 'rxe per packet', 'packet')
    rows = []
    for key, rec in sorted(data['packet'].items(), key=lambda i: by_order(i[0])):
        dirn, n, size, nbytes = key
        row = [dirn, '%d' % n, fmt_size(size), fmt_size(nbytes)]
        if 'why' in rec:
            rows.append(row + ['—'] * 4 + [rec['why']] + ['—'] * 5)
            continue
        target = PACKET_TARGET if n <= PACKET_MAX_N else None
        ns = {k: cell(rec, k + '_ns') if k + '_ns' in rec else '—'
              for k in ('memcpy', 'direct', 'sg_gaps', 'indirect')}
        row += [fmt_runs(ns[k]) for k in ('memcpy', 'direct', 'sg_gaps', 'indirect')]
        mem, ind = ns['memcpy'], ns['indirect']
        row.append('—' if isinstance(mem, str) or isinstance(ind, str) else
                   '%d%%' % round(100 * stats(mem)[1] / stats(ind)[1]))
        for kind in ('sg_gaps', 'indirect'):
            r = packet_ratio(rec, kind)
            why = r[3][len('not measured: '):] if r[3] and 'direct_ns' not in rec else None
            row += ratio_cols(r)[:1] + [why or verdict(r, target, True)]
        rows.append(row + [fmt_target(target, True)])
    out += md_table(['dir', 'N', 'entry size', 'bytes', 'memcpy ns', 'direct ns', 'SG_GAPS ns',
                     'indirect ns', 'memcpy / indirect', 'SG_GAPS / direct', 'verdict',
                     'indirect / direct', 'verdict', 'target'], rows) + partial(data, 'packet')

    out += section(data, 'Walker', 'walker')
    rows, wr = [], walker_ratios(data)
    for n, rec in sorted(data['walker'].items()):
        v = cell(rec, 'ps')
        cols = ['1 (reference)', '', ''] if n == 1 else ratio_cols(wr[n]) + [
            verdict(wr[n], WALKER_TARGET, True)]
        rows.append(['%d' % n, fmt_runs(v) if not isinstance(v, str) else v,
                     '—' if isinstance(v, str) else len(v)] + cols)
    out += md_table(['entries', 'ps per lookup', 'runs', 'ratio to 1 entry', '95 % interval / why',
                     'verdict (%s)' % fmt_target(WALKER_TARGET, True)], rows)
    out += partial(data, 'walker')

    out += section(data, 'Registration', 'reg')
    rows = []
    for n, rec in sorted(data['reg'].items()):
        row = ['%d' % n]
        for side in ('indirect', 'fast'):
            rate = reg_rate(rec, side)
            us = [fmt_runs([x / 1000 for x in runs(rec[side + k])]) if side + k in rec else '—'
                  for k in ('_map_ns', '_pair_ns')]
            row += us + ['—' if isinstance(rate, str) else fmt_num(stats(rate)[1])]
        r = ratio(reg_rate(rec, 'indirect'), reg_rate(rec, 'fast'), ('indirect', 'fast'))
        limit = reg_rate(rec, 'fast') == FAST_MR_LIMIT and 'why' not in rec
        rows.append(row + (['—', FAST_MR_LIMIT] if limit else ratio_cols(r)))
    out += md_table(['entries', 'indirect map µs', 'indirect pair µs', 'indirect reg/s',
                     'fast map µs', 'fast pair µs', 'fast reg/s', 'indirect / fast',
                     '95 % interval / why'], rows) + partial(data, 'reg')

    out += section(data, 'ULPs', 'ulp') + drift_lines(data)
    for ulp in sorted({k[0] for k in data['ulp']}, key=lambda u: by_order((u,))):
        recs = sorted(((k, r) for k, r in data['ulp'].items() if k[0] == ulp),
                      key=lambda i: by_order(i[0]))
        # the counters some ULPs add: SRP's target transfers per command,
        # the NFS server's waits for room in its Send Queue
        extra = [(k, title) for k, title in ULP_EXTRA if any(k in r for _, r in recs)]
        rows = []
        for (_, kernel, pas, bs, qd, layout), rec in recs:
            row = [kernel, pas, fmt_size(bs), '%d' % qd, layout]
            if 'why' in rec:
                rows.append(row + ['not measured: ' + rec['why']] + ['—'] * (3 + len(extra)))
                continue
            rows.append(row + [fmt_runs(cell(rec, 'iops'), True)] +
                        [fmt_runs(cell(rec, k)) for k in ('mbps', 'req', 'cpu')] +
                        [extra_col(rec, k) for k, _ in extra])
        out += ['### ' + ulp, ''] + md_table(
            ['kernel', 'pass', 'bs', 'qd', 'layout', 'IOPS', 'MB/s', 'req per I/O',
             'CPU µs per I/O'] + [title for _, title in extra], rows)
    return out + partial(data, 'ulp')


def extra_col(rec, key):
    """Return a ULP record's counter: its value, the median and range of the visits
    pooled into the record, or a dash."""
    if key not in rec:
        return '—'
    return fmt_runs(cell(rec, key)) if isinstance(rec[key], list) else fmt_num(rec[key])


def gp_header(name, width, height):
    """Return gnuplot lines choosing pngcairo (or png if absent) and the output file."""
    size = '%d,%d' % (width, height)
    return ["if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {",
            "    set terminal pngcairo size %s font ',10'" % size,
            '} else {', '    set terminal png size %s' % size, '}',
            "set output '%s.png'" % name, 'set grid']


def walker_plot(data):
    """Return ({dat file: lines}, gp lines) for walker.png, or None without data."""
    pts = [(n, stats(v)) for n, v in ((n, cell(r, 'ps')) for n, r in sorted(data['walker'].items()))
           if not isinstance(v, str)]
    if not pts:
        return None
    dat = ['# entries min_ns median_ns max_ns'] + [
        '%d %g %g %g' % (n, s[0] / 1000, s[1] / 1000, s[2] / 1000) for n, s in pts]
    target = 2 * pts[0][1][1] / 1000 if pts[0][0] == 1 else None
    gp = gp_header('walker', 1000, 600) + [
        "set title 'Walker: ns per lookup (median, min-max bars)'", 'set logscale x 2',
        "set xlabel 'entries'", "set ylabel 'ns per lookup'", 'set key bottom right',
        'set xrange [%g:%g]' % (pts[0][0] / 2, pts[-1][0] * 2),
        'set yrange [0:%g]' % (max([s[2] / 1000 for _, s in pts] + [target or 0]) * 1.15),
        'set xtics (%s)' % ', '.join('%d' % n for n, _ in pts)]
    plot = "plot 'walker.dat' using 1:3:2:4 with yerrorlines lw 2 pt 7 title 'median'"
    if target:
        gp.append("set label 'target' at graph 0.02, first %g offset 0,0.8" % target)
        plot += (", %g with lines dt 2 lw 2 lc rgb 'red' title 'target: 2x the 1-entry median'"
                 % target)
    return {'walker.dat': dat}, gp + [plot]


def rxe_plot(data):
    """Return the files and gp lines of rxe.png, one panel per op, or None without data."""
    series = {}                         # op: {N: [(size, median, lo, hi)]}
    for (op, n, size, _), rec in sorted(data['rxe'].items(), key=lambda i: by_order(i[0])):
        r = ratio(cell(rec, 'indirect_mbps'), cell(rec, 'fast_mbps'))
        if r[0] is not None:
            series.setdefault(op, {}).setdefault(n, []).append((size,) + r[:3])
    if not series:
        return None
    pts = [p for by_n in series.values() for s in by_n.values() for p in s]
    sizes = sorted({p[0] for p in pts})
    files, gp = {}, gp_header('rxe', 1000, 600) + [
        "set multiplot layout 1,%d title 'rxe: indirect / fast MB/s (median, min-max bars)'"
        % len(series), 'set logscale x 2', "set xlabel 'entry size'",
        "set ylabel 'indirect / fast'", 'set key bottom left',
        'set xrange [%g:%g]' % (sizes[0] / 2, sizes[-1] * 2),
        'set yrange [0:%g]' % max([1.2] + [p[3] * 1.1 for p in pts]),
        'set xtics (%s)' % ', '.join("'%s' %d" % (fmt_size(s), s) for s in sizes)]
    for op, by_n in series.items():
        files['rxe_%s.dat' % op] = [line for n, s in by_n.items() for line in
                                    ['# N=%d' % n] + ['%d %g %g %g' % p for p in s] + ['', '']]
        plots = ["'rxe_%s.dat' index %d using 1:2:3:4 with yerrorlines lw 2 title 'N=%d'"
                 % (op, i, n) for i, n in enumerate(by_n)]
        plots += ["0.95 with lines dt 2 lc rgb 'black' title '0.95 (4 KiB target)'",
                  "0.8 with lines dt 3 lc rgb 'gray40' title '0.8 (512 B target)'"]
        gp += ["set title '%s'" % op, 'plot ' + ', '.join(plots)]
    return files, gp + ['unset multiplot']


def ulp_plot(data):
    """Return the files and gp lines of ulp.png, one panel per ULP, or None without data."""
    iops = {k: stats(v)[1] for k, v in ((k, cell(r, 'iops')) for k, r in data['ulp'].items())
            if not isinstance(v, str)}
    ulps = sorted({k[0] for k in iops}, key=lambda u: by_order((u,)))
    if not ulps:
        return None
    files, gp = {}, gp_header('ulp', 1000, max(600, 320 * len(ulps))) + [
        'set multiplot layout %d,1' % len(ulps), 'set style data histogram',
        'set style histogram clustered gap 1', 'set style fill solid 0.8 border -1',
        'set xtics rotate by -40 scale 0 font ",8"',
        'set yrange [0:*]', 'set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2',
        'set key outside right top', 'set bmargin 6']
    for ulp in ulps:
        series = sorted({k[1:3] for k in iops if k[0] == ulp}, key=by_order)
        cats = sorted({k[3:] for k in iops if k[0] == ulp}, key=by_order)
        name = 'ulp_%s.dat' % ulp
        # each cell relative to the base kernel's stock path in the same
        # category: IOPS differ 100-fold between 4 KiB and 1 MiB; a
        # layout the base does not measure (misaligned), relative to the
        # patched kernel's stock path, its label marked *
        stock = ('patched', 'off' if ulp == 'nfs' else 'never:off')
        base = {c: iops.get((ulp, 'base', 'stock') + c, math.nan) for c in cats}
        what, ylabel = 'median IOPS relative to the base kernel (stock)', 'IOPS / base stock'
        if all(math.isnan(b) for b in base.values()):
            base = {c: 1 for c in cats}
            what, ylabel = 'median IOPS (no base kernel cells)', 'IOPS'
        mark = {c for c in cats if math.isnan(base[c]) and (ulp,) + stock + c in iops}
        for c in mark:
            base[c] = iops[(ulp,) + stock + c]
        if mark:
            what += ', * the patched stock path'
        cats = [c for c in cats if not math.isnan(base[c])]
        gp.append("set ylabel '%s'" % ylabel)
        files[name] = ['# bs/qd/layout ' + ' '.join('"%s %s"' % s for s in series)] + [
            '"%s/%d/%s%s" ' % (fmt_size(c[0], ''), c[1], c[2], '*' * (c in mark)) + ' '.join(
                '%g' % (iops.get((ulp,) + s + c, math.nan) / base[c]) for s in series)
            for c in cats]
        plots = ["'%s' using %d%s title '%s %s'" % (name, i + 2, ':xtic(1)' * (i == 0), *s)
                 for i, s in enumerate(series)]
        gp += ["set title '%s: %s'" % (ulp, what),
               'plot ' + ', '.join(plots)]
    return files, gp + ['unset multiplot']


def make_plot(outdir, name, built):
    """Write one plot's .dat and .gp files and run gnuplot; return (results.md line, ok)."""
    png = os.path.join(outdir, name + '.png')
    if os.path.exists(png):
        os.remove(png)
    if built is None:
        return '- %s.png: skipped, no data.' % name, True
    files, gp = built
    for fn, lines in list(files.items()) + [(name + '.gp', gp)]:
        with open(os.path.join(outdir, fn), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    try:
        p = subprocess.run(['gnuplot', name + '.gp'], cwd=outdir, capture_output=True,
                           text=True, timeout=300)
        err = None if p.returncode == 0 and os.path.exists(png) else (
            p.stderr.strip().splitlines() or ['exit status %d' % p.returncode])[-1]
    except (OSError, subprocess.TimeoutExpired) as e:
        err = str(e)
    if err:
        print('benchreport: gnuplot %s.gp failed: %s' % (name, err), file=sys.stderr)
        return '- %s.png: gnuplot failed: %s' % (name, err), False
    return '- [%s.png](%s.png)\n\n  ![%s](%s.png)' % (name, name, name, name), True


CLOCKS = {
    'icount': 'Instruction-timed: the guest ran under QEMU -icount (shift=0, sleep=off), so '
              'its clock advances by one nanosecond per instruction executed and the load '
              'of the host does not move it. This counts instructions, not their cost: '
              'cache misses, TLB refills, memory bandwidth and lock contention between '
              'vCPUs cost nothing here.',
    'wall': 'Wall clock: the guest\'s clock is the host\'s (plain TCG, or KVM), so what '
            'else the host runs moves these figures; they are not judged.',
}


def report(datas, plot_lines):
    """Return results.md as a list of lines: the instruction-timed measurements (or, if
    there are none, the wall-clock ones) with verdicts, then the wall-clock claims
    without."""
    main_clock = 'icount' if 'icount' in datas else 'wall'
    data = datas[main_clock]
    cmd = 'make bench QUICK=1' if data['quick'] else 'make bench'
    out = ['# Benchmark results', '', 'Machine%s:' % ('s' if len(data['machines']) > 1 else ''),
           ''] + ['- ' + m for m in data['machines'] or ['machine not recorded']]
    out += ['', CLOCKS[main_clock], '', RULE, '', 'Measured with `%s`.' % cmd, '']
    out += claims(data, judge=main_clock == 'icount' or len(datas) == 1) + tables(data)
    wall = datas.get('wall') if main_clock == 'icount' else None
    if wall:
        out += ['## Wall clock (second table, not judged)', '', CLOCKS['wall'], '',
                'Measured on: %s.' % '; '.join(wall['machines']), '']
        out += claims(wall, judge=False, title='### Wall-clock claims')
    out += ['## Plots', '', 'Plots show medians with min–max bars whatever the ratio rule says.',
            'Regenerate with `python3 workbench/benchreport.py build/bench/data.txt build/bench`.',
            ''] + plot_lines + ['']
    failed = [f for d in datas.values() for f in d['failed']]
    if failed:
        out += ['## Failures', ''] + ['- line %d: `benchdata %s`: %s' % f for f in sorted(failed)]
        out.append('')
    return out


def main(argv):
    """Parse DATA, write OUTDIR, and return the exit status."""
    if len(argv) != 3:
        print('usage: benchreport.py DATA OUTDIR', file=sys.stderr)
        return 1
    try:
        datas = load(argv[1])
    except (OSError, ValueError) as e:
        print('benchreport: %s: %s' % (argv[1], e), file=sys.stderr)
        return 1
    if not any(d[t] or d['failed'] or d['partial'] for d in datas.values() for t in MEASURED):
        print('benchreport: %s: no benchdata measurement records' % argv[1], file=sys.stderr)
        return 1
    data = datas['icount' if 'icount' in datas else 'wall']
    os.makedirs(argv[2], exist_ok=True)
    plots = [make_plot(argv[2], name, fn(data)) for name, fn in
             (('walker', walker_plot), ('rxe', rxe_plot), ('ulp', ulp_plot))]
    text = '\n'.join(report(datas, [p[0] for p in plots])) + '\n'
    with open(os.path.join(argv[2], 'results.md'), 'w') as f:
        f.write(text)
    sys.stdout.write(text)
    if any(d['failed'] for d in datas.values()):
        return 1
    return 0 if all(p[1] for p in plots) else 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
