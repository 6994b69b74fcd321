#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""I/O with a checked pattern through a storage ULP, in buffer layouts that
fio cannot make.

  ulp_io.py gappy PATH [--ios N] [--iovecs K] [--iov-off B] [--iov-len L]
                       [--base OFFSET] [--stat /sys/block/sdX/stat]
      O_DIRECT pwritev()/preadv() of K iovecs per I/O, each iovec L bytes
      starting B bytes into its own page (with a page of gap after it), so
      that every iovec boundary is a gap a virt_boundary must split.  Every
      byte read back is compared with what was written, in the gappy layout
      and again through one page-aligned buffer.  With --stat, prints the
      block-layer requests each write and each read became.

  ulp_io.py rmw PATH [--ios N] [--iovecs K] [--iov-off B] [--iov-len L]
                     [--base OFFSET]
      O_DIRECT read-modify-write through one discontiguous buffer, the
      gappy layout above: each I/O's range is written from a page-aligned
      buffer, read into the gappy iovecs, changed there (one byte in 61,
      in every iovec) and written back from them; then the range is read
      through a page-aligned buffer and compared with the changed bytes.

  ulp_io.py sgio /dev/sgN [--lba L] [--blocks N] [--misalign B]
      SCSI WRITE(10) and READ(10) through the SG_IO ioctl from buffers that
      start B bytes past a page boundary (byte granular, not 512-aligned),
      then compares the bytes.

  ulp_io.py bench PATH --layout aligned|misaligned|gappy [--bs B] [--qd N]
                       [--seconds S] [--span BYTES] [--runs R]
                       [--stat /sys/block/sdX/stat | --nfs-mount DIR]
  ulp_io.py bench PATH --cell B:N:LAYOUT [--cell ...] [--count NAME=FILE ...]
                       [--warmup S] [the options above]
      R runs of O_DIRECT random reads of B bytes for S seconds by N
      processes (forked once per cell, before its runs, each making one
      untimed read first), into a page-aligned buffer, a buffer 512 bytes
      into a page, or B/4096 iovecs of 4 KiB each 512 bytes into its own
      page (gappy),
      each reader's in pages of which no two neighbours are adjacent in
      physical memory (so that segments per I/O do not change from run to
      run; needs CAP_SYS_ADMIN to read /proc/self/pagemap), the same pages
      for every run of a cell.
      Prints one line per run: run, ios, iops, MB/s, block-layer requests
      (with --nfs-mount: READ RPCs) per I/O, CPU time per I/O (all CPUs,
      from /proc/stat) and context switches per I/O (the whole machine's,
      /proc/stat's ctxt).  Measures only: the data is not checked.  With
      --cell, the runs of each cell in turn, in one process (starting
      Python costs seconds of an instruction-counted guest's time), each
      line led by cell=K (from 1); after a cell's runs, a line of how much
      each --count file's number grew over them; a cell whose reader
      failed gives "cell=K failed=WHY" and the others still run.  With
      --warmup, a run of the first cell for S seconds before them, whose
      figures are only a '# warmup' comment.

Output is '# ' diagnostics and 'key=value' result lines; a data mismatch is
named ('data mismatch: ...') and the exit status is 1; a setup error exits 2.
"""

import argparse
import ctypes
import fcntl
import hashlib
import mmap
import os
import struct
import sys

PAGE = mmap.PAGESIZE


def pattern(tag, offset, length):
    """Bytes that depend on the run, the device offset and the position."""
    out = bytearray()
    block = 0
    while len(out) < length:
        out += hashlib.sha256(b'%s:%d:%d' % (tag, offset, block)).digest()
        block += 1
    return bytes(out[:length])


def first_diff(want, got):
    for i, (a, b) in enumerate(zip(want, got)):
        if a != b:
            return i, a, b
    return None


def read_stat(path):
    """(reads completed, writes completed) of a block device."""
    with open(path) as f:
        fields = f.read().split()
    return int(fields[0]), int(fields[4])


def gappy_open(args):
    """The gappy layout of args and the target opened O_DIRECT: (fd,
    stride between iovecs, bytes per I/O), or None after saying why."""
    off, ln = args.iov_off, args.iov_len
    if off % 512 or ln % 512 or off >= PAGE:
        print('# --iov-off and --iov-len must be multiples of 512, '
              'the offset inside a page')
        return None
    try:
        fd = os.open(args.path, os.O_RDWR | os.O_DIRECT)
    except OSError as e:
        print('# open %s: %s' % (args.path, e))
        return None
    # a page of gap after each iovec
    return fd, ((off + ln + PAGE - 1) // PAGE + 1) * PAGE, args.iovecs * ln


def gappy_views(args, buf, stride):
    """The iovecs of the gappy layout in buf."""
    off, ln = args.iov_off, args.iov_len
    return [memoryview(buf)[i * stride + off:i * stride + off + ln]
            for i in range(args.iovecs)]


def gappy(args):
    k, off, ln = args.iovecs, args.iov_off, args.iov_len
    g = gappy_open(args)
    if g is None:
        return 2
    fd, stride, io_len = g
    tag = b'%d' % os.getpid()
    wbuf = mmap.mmap(-1, k * stride)
    rbuf = mmap.mmap(-1, k * stride)
    flat = mmap.mmap(-1, io_len)
    wv = gappy_views(args, wbuf, stride)
    rv = gappy_views(args, rbuf, stride)
    bad = 0

    def dev_off(n):
        return args.base + n * io_len

    def check(n, layout, got):
        nonlocal bad
        want = pattern(tag, dev_off(n), io_len)
        d = first_diff(want, got)
        if d is None:
            return
        bad += 1
        if bad <= 5:
            print('data mismatch: %s read of I/O %d (device offset %d), '
                  'byte %d (iovec %d, byte %d of it): wrote 0x%02x, '
                  'read 0x%02x' % (layout, n, dev_off(n), d[0],
                                   d[0] // ln, d[0] % ln, d[1], d[2]))

    try:
        s0 = read_stat(args.stat) if args.stat else None
        for n in range(args.ios):
            data = pattern(tag, dev_off(n), io_len)
            for i in range(k):
                wv[i][:] = data[i * ln:(i + 1) * ln]
            if os.pwritev(fd, wv, dev_off(n)) != io_len:
                print('# short write at I/O %d' % n)
                return 2
        s1 = read_stat(args.stat) if args.stat else None
        for n in range(args.ios):
            rbuf[:] = b'\0' * len(rbuf)
            if os.preadv(fd, rv, dev_off(n)) != io_len:
                print('# short read at I/O %d' % n)
                return 2
            check(n, 'gappy', b''.join(bytes(v) for v in rv))
        s2 = read_stat(args.stat) if args.stat else None
        for n in range(args.ios):
            flat[:] = b'\0' * io_len
            if os.preadv(fd, [flat], dev_off(n)) != io_len:
                print('# short read at I/O %d' % n)
                return 2
            check(n, 'page-aligned', flat[:])
    except OSError as e:
        print('# I/O error: %s' % e)
        return 2
    finally:
        os.close(fd)
    print('# %d writes and %d reads of %d iovecs x %d bytes, each %d bytes '
          'into a page' % (args.ios, args.ios, k, ln, off))
    if args.stat:
        w = s1[1] - s0[1]
        r = s2[0] - s1[0]
        print('# block layer: %d write requests, %d read requests' % (w, r))
        print('requests_per_write=%g' % (w / args.ios))
        print('requests_per_read=%g' % (r / args.ios))
    print('mismatches=%d' % bad)
    return 1 if bad else 0


class SgIoHdr(ctypes.Structure):
    _fields_ = [('interface_id', ctypes.c_int),
                ('dxfer_direction', ctypes.c_int),
                ('cmd_len', ctypes.c_ubyte),
                ('mx_sb_len', ctypes.c_ubyte),
                ('iovec_count', ctypes.c_ushort),
                ('dxfer_len', ctypes.c_uint),
                ('dxferp', ctypes.c_void_p),
                ('cmdp', ctypes.c_void_p),
                ('sbp', ctypes.c_void_p),
                ('timeout', ctypes.c_uint),
                ('flags', ctypes.c_uint),
                ('pack_id', ctypes.c_int),
                ('usr_ptr', ctypes.c_void_p),
                ('status', ctypes.c_ubyte),
                ('masked_status', ctypes.c_ubyte),
                ('msg_status', ctypes.c_ubyte),
                ('sb_len_wr', ctypes.c_ubyte),
                ('host_status', ctypes.c_ushort),
                ('driver_status', ctypes.c_ushort),
                ('resid', ctypes.c_int),
                ('duration', ctypes.c_uint),
                ('info', ctypes.c_uint)]


SG_IO = 0x2285
SG_DXFER_TO_DEV = -2
SG_DXFER_FROM_DEV = -3


def sg_cmd(fd, cdb, direction, buf_addr, length):
    cdbb = ctypes.create_string_buffer(bytes(cdb), len(cdb))
    sense = ctypes.create_string_buffer(32)
    h = SgIoHdr(interface_id=ord('S'), dxfer_direction=direction,
                cmd_len=len(cdb), mx_sb_len=32, dxfer_len=length,
                dxferp=buf_addr, cmdp=ctypes.addressof(cdbb),
                sbp=ctypes.addressof(sense), timeout=60000)
    fcntl.ioctl(fd, SG_IO, h)
    if h.status or h.host_status or h.driver_status or h.resid:
        return ('status 0x%x host 0x%x driver 0x%x resid %d sense %s' %
                (h.status, h.host_status, h.driver_status, h.resid,
                 sense.raw[:h.sb_len_wr].hex()))
    return None


def sgio(args):
    length = args.blocks * 512
    tag = b'sg%d' % os.getpid()
    # room for the misalignment, starting at a page boundary
    wraw = mmap.mmap(-1, length + PAGE)
    rraw = mmap.mmap(-1, length + PAGE)
    waddr = ctypes.addressof(ctypes.c_char.from_buffer(wraw)) + args.misalign
    raddr = ctypes.addressof(ctypes.c_char.from_buffer(rraw)) + args.misalign + 2
    data = pattern(tag, args.lba, length)
    wraw[args.misalign:args.misalign + length] = data
    cdb_w = struct.pack('>BBIBHB', 0x2a, 0, args.lba, 0, args.blocks, 0)
    cdb_r = struct.pack('>BBIBHB', 0x28, 0, args.lba, 0, args.blocks, 0)
    try:
        fd = os.open(args.path, os.O_RDWR)
    except OSError as e:
        print('# open %s: %s' % (args.path, e))
        return 2
    try:
        err = sg_cmd(fd, cdb_w, SG_DXFER_TO_DEV, waddr, length)
        if err:
            print('# WRITE(10) failed: %s' % err)
            return 2
        err = sg_cmd(fd, cdb_r, SG_DXFER_FROM_DEV, raddr, length)
        if err:
            print('# READ(10) failed: %s' % err)
            return 2
    except OSError as e:
        print('# SG_IO: %s' % e)
        return 2
    finally:
        os.close(fd)
    got = rraw[args.misalign + 2:args.misalign + 2 + length]
    print('# SG_IO WRITE(10)/READ(10) of %d blocks at LBA %d, buffers at '
          'page offsets %d and %d' % (args.blocks, args.lba, args.misalign,
                                      args.misalign + 2))
    d = first_diff(data, got)
    if d is not None:
        print('data mismatch: SG_IO read at LBA %d, byte %d: wrote 0x%02x, '
              'read 0x%02x' % (args.lba, d[0], d[1], d[2]))
        print('mismatches=1')
        return 1
    print('mismatches=0')
    return 0


def page_frames(addr, n):
    """The page frame numbers of n pages from addr, from /proc/self/pagemap
    (0 for a page not present, or without CAP_SYS_ADMIN)."""
    with open('/proc/self/pagemap', 'rb') as f:
        f.seek(addr // PAGE * 8)
        e = struct.unpack('%dQ' % n, f.read(8 * n))
    return [x & ((1 << 55) - 1) if x >> 63 else 0 for x in e]


def scattered(n):
    """n pages of shared anonymous memory at consecutive addresses, no two
    neighbours adjacent in physical memory, as a ctypes array.

    Faulted in order, neighbouring pages are physically contiguous in some
    runs and not in others, so a block driver's segments per I/O (and,
    under a segment limit, the requests per I/O) changed from run to run:
    SRP's stock path split an aligned 64 KiB read into 1.06 to 2.00
    requests per I/O, its IOPS following.  The pages are taken from a pool
    of twice as many, each skipping any that would be physically adjacent
    to the one before, and moved into place with mremap(); the pages not
    taken are unmapped one by one (the holes the moved ones left may
    already hold another thread's mapping).  Never unmapped.  Shared, so
    that a child forked to read into them reads into these pages (a
    private page would be copied on write)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = libc.mremap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                          ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.mremap.argtypes = [ctypes.c_void_p, ctypes.c_size_t,
                            ctypes.c_size_t, ctypes.c_int, ctypes.c_void_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    prot = mmap.PROT_READ | mmap.PROT_WRITE
    flags = mmap.MAP_SHARED | mmap.MAP_ANONYMOUS
    failed = ctypes.c_void_p(-1).value
    pool_n = 2 * n + 2
    pool = libc.mmap(None, pool_n * PAGE, prot, flags, -1, 0)
    dest = libc.mmap(None, n * PAGE, prot, flags, -1, 0)
    if failed in (pool, dest):
        raise OSError(ctypes.get_errno(), 'mmap')
    for i in range(pool_n):
        ctypes.memset(pool + i * PAGE, 0, 1)
    pfn = page_frames(pool, pool_n)
    if not all(pfn):
        raise OSError('no page frame numbers in /proc/self/pagemap')
    chosen = []
    for i, p in enumerate(pfn):
        if not chosen or abs(p - pfn[chosen[-1]]) > 1:
            chosen.append(i)
    if len(chosen) < n:
        raise OSError('%d of %d pages not adjacent' % (len(chosen), n))
    for k, i in enumerate(chosen[:n]):
        to = dest + k * PAGE
        if libc.mremap(pool + i * PAGE, PAGE, PAGE, 3, to) != to:
            raise OSError(ctypes.get_errno(), 'mremap')  # MAYMOVE | FIXED
    for i in sorted(set(range(pool_n)) - set(chosen[:n])):
        libc.munmap(pool + i * PAGE, PAGE)
    return (ctypes.c_char * (n * PAGE)).from_address(dest)


def bench_buffers(layout, bs, scatter=True):
    """The iovecs of one read of bs bytes in the layout, in scattered()
    pages (kept until the process ends), or without scatter in pages as
    they come (unmapped with the last view of them)."""
    if layout == 'gappy':
        k, ln, off = bs // 4096, 4096, 512
    else:
        k, ln, off = 1, bs, 512 if layout == 'misaligned' else 0
    stride = ((off + ln + PAGE - 1) // PAGE + 1) * PAGE
    if scatter:
        buf = memoryview(scattered(k * stride // PAGE)).cast('B')
    else:
        buf = memoryview(mmap.mmap(-1, k * stride))
    return [buf[i * stride + off:i * stride + off + ln] for i in range(k)]


def proc_stat():
    """(busy time of all CPUs in clock ticks, context switches so far), from
    one read of /proc/stat."""
    with open('/proc/stat') as f:
        t = [int(x) for x in f.readline().split()[1:]]
        for line in f:
            if line.startswith('ctxt '):
                # all but idle and iowait
                return sum(t) - t[3] - t[4], int(line.split()[1])
    raise OSError('no ctxt line in /proc/stat')


def nfs_reads(mnt):
    """READ RPCs of the NFS mount on mnt so far, from /proc/self/mountstats."""
    on = False
    with open('/proc/self/mountstats') as f:
        for line in f:
            w = line.split()
            if w and w[0] == 'device':
                on = len(w) > 4 and w[4] == mnt
            elif on and w and w[0] == 'READ:':
                return int(w[1])
    raise OSError('no READ statistics of %s in /proc/self/mountstats' % mnt)


class BenchReaders:
    """The args.qd reader processes of one cell, forked once, before its
    timed runs: reader i reads into bufs[i].  Forking copies every mapping
    of this process (each scattered page is a mapping of its own, and the
    cells before left theirs), and a reader faults its pages in on its
    first read; done in each run, that cost grew with the cells measured
    before in the process and fell on the run's I/Os: an iSER 1 MiB cell
    measured 56 to 65 IOPS by what had run before it.  Each reader makes
    one untimed read first, then waits for a run on its own pipe; close()
    ends them."""

    def __init__(self, args, bufs):
        self.args, self.pids, self.go = args, [], []
        self.res_r, w = os.pipe()
        for i in range(args.qd):
            go_r, go_w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(self.res_r)
                os.close(go_w)
                try:
                    for fd in self.go:
                        os.close(fd)
                    self._reader(i, bufs[i], go_r, w)
                finally:
                    os._exit(0)     # never back into the caller's code
            os.close(go_r)
            self.pids.append(pid)
            self.go.append(go_w)
        os.close(w)
        self.res = os.fdopen(self.res_r)
        self.ready = self._counts() == [0] * args.qd

    def _reader(self, i, iov, go, w):
        """Reader i: one untimed read, then a run per command ("SEED
        SECONDS") on go until it is closed, each answered with its I/Os
        (-1: a read failed or was short).  A reader whose first read
        failed answers that and ends: no run is asked of it."""
        import random
        import time
        args = self.args
        blocks = args.span // args.bs
        try:
            fd = os.open(args.path, os.O_RDONLY | os.O_DIRECT)
            n = 0 if os.preadv(fd, iov, 0) == args.bs else -1
        except OSError:
            n = -1
        os.write(w, b'%d\n' % n)
        if n < 0:
            return
        with os.fdopen(go) as cmds:
            for line in cmds:
                seed, seconds = line.split()
                n = 0
                try:
                    rnd = random.Random(int(seed) * 1000 + i)
                    end = time.monotonic() + float(seconds)
                    while time.monotonic() < end:
                        off = rnd.randrange(blocks) * args.bs
                        if os.preadv(fd, iov, off) != args.bs:
                            n = -1      # a short read is a failure
                            break
                        n += 1
                except OSError:
                    n = -1
                os.write(w, b'%d\n' % n)

    def _counts(self):
        """One line from each reader: their I/Os, fewer if one died."""
        counts = []
        for _ in range(self.args.qd):
            line = self.res.readline()
            if not line:
                break
            counts.append(int(line))
        return counts

    def run(self, seed):
        """One timed run: a dict of its figures, or None if a reader
        failed."""
        import time
        args = self.args
        if not self.ready:
            print('# a reader failed its first read')
            return None
        s0 = read_stat(args.stat)[0] if args.stat else None
        n0 = nfs_reads(args.nfs_mount) if args.nfs_mount else None
        (c0, x0), t0 = proc_stat(), time.monotonic()
        try:
            for go in self.go:
                os.write(go, b'%d %s\n' % (seed, str(args.seconds).encode()))
        except OSError:
            self.ready = False
            return None
        counts = self._counts()
        t1, (c1, x1) = time.monotonic(), proc_stat()
        # A reader that did no I/O in the run was not scheduled in time (a
        # single-threaded, instruction-counted guest starves some): the run
        # counts what the others did, and says so.  An error is a failure.
        if len(counts) != args.qd or min(counts) < 0 or not sum(counts):
            print('# a reader failed: %s' % counts)
            self.ready = False
            return None
        ios, dt = sum(counts), t1 - t0
        res = {'ios': '%d' % ios, 'iops': '%.1f' % (ios / dt),
               'mbps': '%.1f' % (ios * args.bs / dt / 1e6),
               'starved': '%d' % counts.count(0)}
        if args.stat:
            res['req_per_io'] = '%.2f' % ((read_stat(args.stat)[0] - s0) /
                                          ios)
        if args.nfs_mount:
            res['req_per_io'] = '%.2f' % ((nfs_reads(args.nfs_mount) - n0) /
                                          ios)
        hz = os.sysconf('SC_CLK_TCK')
        res['cpu_us_per_io'] = '%.0f' % ((c1 - c0) * 1e6 / hz / ios)
        res['ctx_per_io'] = '%.2f' % ((x1 - x0) / ios)
        return res

    def close(self):
        for go in self.go:
            os.close(go)
        for pid in self.pids:
            os.waitpid(pid, 0)
        self.res.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_count(path):
    """The number in the file path (a sysfs, configfs or /proc/sys counter)."""
    with open(path) as f:
        return int(f.read().split()[0])


def bench_cell(args, tag, counts):
    """The runs of one cell, each line led by tag; False if one failed."""
    lead = [tag] if tag else []
    if args.layout == 'gappy' and (args.bs % 4096 or args.bs < 4096):
        print(' '.join(lead + ['failed=gappy needs a multiple of 4096']))
        return False
    try:
        # the same pages for every run of the cell, set up untimed
        bufs = [bench_buffers(args.layout, args.bs) for _ in range(args.qd)]
    except OSError as e:
        print(' '.join(lead + ['failed=buffers: %s' % e]))
        return False
    c0 = [read_count(path) for _, path in counts]
    with BenchReaders(args, bufs) as readers:
        for run in range(1, args.runs + 1):
            res = readers.run(run)
            if res is None:
                print(' '.join(lead + ['failed=a reader failed']))
                return False
            print(' '.join(lead + ['run=%d' % run] +
                           ['%s=%s' % kv for kv in res.items()]))
    if counts:
        print(' '.join(lead + ['%s=%d' % (name, read_count(path) - c)
                               for (name, path), c in zip(counts, c0)]))
    return True


def bench(args):
    counts = []
    for c in args.count or []:
        name, _, path = c.partition('=')
        counts.append((name, path))
    if not args.cell:
        if not args.layout:
            print('# bench needs --layout or --cell')
            return 2
        return 0 if bench_cell(args, None, counts) else 2
    cells = []
    for spec in args.cell:
        f = spec.split(':')
        if len(f) != 3 or not f[0].isdigit() or not f[1].isdigit() or \
                f[2] not in ('aligned', 'misaligned', 'gappy'):
            print('# --cell %s is not B:N:aligned|misaligned|gappy' % spec)
            return 2
        cells.append((int(f[0]), int(f[1]), f[2]))
    if args.warmup:
        # the first seconds after an attach can run slower (seen once at
        # NVMe/RDMA 4 KiB depth 1: a first run at half the rate); they
        # are measured, not counted
        args.bs, args.qd, args.layout = cells[0]
        seconds, args.seconds = args.seconds, args.warmup
        try:
            with BenchReaders(args, [bench_buffers(args.layout, args.bs)
                                     for _ in range(args.qd)]) as readers:
                res = readers.run(0)
        except OSError:
            res = None
        args.seconds = seconds
        print('# warmup %s' % (' '.join('%s=%s' % kv for kv in res.items())
                               if res else 'failed'))
    rc = 0
    for k, (bs, qd, layout) in enumerate(cells, 1):
        args.bs, args.qd, args.layout = bs, qd, layout
        if not bench_cell(args, 'cell=%d' % k, counts):
            rc = 2
    return rc


SOAK_MAGIC = 0x6b616f73  # "soak"


def soak_block(seed, block, gen, bs):
    """The content of block written in generation gen: 32-byte units naming
    the run, the block, the generation and the 512-byte sector, so that a
    stale, torn or misplaced write shows which one it was."""
    return b''.join(struct.pack('<IIQQQ', SOAK_MAGIC, seed, block, gen, s) * 16
                    for s in range(bs // 512))


def soak_layout(rnd, bs):
    """Buffers for one write of bs bytes: page-aligned, 512 bytes into a
    page, or gappy (4 KiB iovecs, each 512 bytes into its own page)."""
    layout = rnd.choice(('aligned', 'misaligned', 'gappy'))
    if layout == 'gappy' and bs % 4096:
        layout = 'aligned'
    return bench_buffers(layout, bs, scatter=False)


def soak(args):
    """Write generations of blocks until the time is up or the file
    args.stop exists, tolerating errors (faults are being injected): every
    write the kernel acknowledged is recorded, a failed one is recorded as
    either old or new.  The state goes to args.state for soak-verify."""
    import json
    import random
    import threading
    import time
    nblk = args.blocks
    acked = [0] * nblk      # last acknowledged generation, 0: never
    maybe = [[] for _ in range(nblk)]   # failed writes: may have landed
    stats = {'writes': 0, 'errors': 0, 'bytes': 0}
    lock = threading.Lock()
    end = time.monotonic() + args.seconds

    def running():
        return time.monotonic() < end and not (
            args.stop and os.path.exists(args.stop))

    def worker(i):
        rnd = random.Random(args.seed * 100 + i)
        fd = None
        while running():
            # each thread owns the blocks b with b % qd == i
            b = rnd.randrange(i, nblk, args.qd)
            g = max(acked[b], max(maybe[b], default=0)) + 1
            iov = soak_layout(rnd, args.bs)
            data = soak_block(args.seed, b, g, args.bs)
            at = 0
            for v in iov:
                v[:] = data[at:at + len(v)]
                at += len(v)
            try:
                if fd is None:
                    fd = os.open(args.path, os.O_RDWR | os.O_DIRECT)
                n = os.pwritev(fd, iov, b * args.bs)
                ok = n == args.bs
            except OSError:
                ok = False
            with lock:
                if ok:
                    acked[b] = g
                    maybe[b] = []
                    stats['writes'] += 1
                    stats['bytes'] += args.bs
                else:
                    maybe[b].append(g)
                    stats['errors'] += 1
            if not ok:
                # the device may be gone for a while: reopen, slowly
                if fd is not None:
                    os.close(fd)
                    fd = None
                time.sleep(0.2)
        if fd is not None:
            os.close(fd)

    threads = [threading.Thread(target=worker, args=(i,))
               for i in range(args.qd)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(args.state, 'w') as f:
        json.dump({'seed': args.seed, 'bs': args.bs, 'acked': acked,
                   'maybe': maybe}, f)
    print('writes=%d' % stats['writes'])
    print('write_errors=%d' % stats['errors'])
    print('bytes_written=%d' % stats['bytes'])
    return 0 if stats['writes'] else 2


def soak_ours(seed, data):
    """Whether any 32-byte unit of data was written by the run seed."""
    return any(struct.unpack_from('<II', data, at) == (SOAK_MAGIC, seed)
               for at in range(0, len(data), 32))


def soak_verify(args):
    """Read back every block soak wrote, sector by sector (a write that
    failed may have landed in part, but a sector is written whole): each
    sector holds its block's last acknowledged generation, or a later one
    whose write failed.  A block none of whose writes was acknowledged may
    also still hold, sector by sector, what it held before the run, which
    is no unit of this run."""
    import json
    with open(args.state) as f:
        st = json.load(f)
    seed, bs = st['seed'], st['bs']
    fd = os.open(args.path, os.O_RDONLY | os.O_DIRECT)
    buf = mmap.mmap(-1, bs)
    bad = checked = untouched = torn = 0
    for b, g in enumerate(st['acked']):
        allowed = ([g] if g else []) + st['maybe'][b]
        if not allowed:
            continue
        if os.preadv(fd, [buf], b * bs) != bs:
            print('data mismatch: short read of block %d' % b)
            bad += 1
            continue
        got = bytes(buf)
        want = [soak_block(seed, b, x, bs) for x in allowed]
        if any(got == w for w in want):
            checked += bs if g else 0
            continue
        held = set()
        for at in range(0, bs, 512):
            sec = got[at:at + 512]
            hit = [x for x, w in zip(allowed, want) if sec == w[at:at + 512]]
            if hit:
                held.add(hit[0])
            elif not g and not soak_ours(seed, sec):
                held.add(0)
            else:
                bad += 1
                if bad <= 5:
                    m, _, blk, gen, n = struct.unpack_from('<IIQQQ', sec)
                    print('data mismatch: block %d, byte %d: holds block %d '
                          'generation %d sector %d (magic %#x); '
                          'acknowledged generation %d%s' % (
                              b, at, blk, gen, n, m, g,
                              ', maybe %s' % st['maybe'][b]
                              if st['maybe'][b] else ''))
                break
        else:
            checked += bs if g else 0
            if held == {0}:
                untouched += 1
            else:
                torn += 1
    os.close(fd)
    print('bytes_verified=%d' % checked)
    print('failed_writes_not_landed=%d' % untouched)
    print('failed_writes_landed_in_part=%d' % torn)
    print('mismatches=%d' % bad)
    return 1 if bad else 0


def rmw(args):
    k, off, ln = args.iovecs, args.iov_off, args.iov_len
    g = gappy_open(args)
    if g is None:
        return 2
    fd, stride, io_len = g
    tag = b'rmw%d' % os.getpid()
    gbuf = mmap.mmap(-1, k * stride)
    flat = mmap.mmap(-1, io_len)
    gv = gappy_views(args, gbuf, stride)
    bad = 0
    try:
        for n in range(args.ios):
            pos = args.base + n * io_len
            old = pattern(tag, pos, io_len)
            flat[:] = old
            if os.pwritev(fd, [flat], pos) != io_len:
                print('# short write at I/O %d' % n)
                return 2
            gbuf[:] = b'\0' * len(gbuf)
            if os.preadv(fd, gv, pos) != io_len:
                print('# short read at I/O %d' % n)
                return 2
            got = b''.join(bytes(v) for v in gv)
            new = bytearray(old)
            for i in range(n % 61, io_len, 61):
                new[i] ^= 0xa5
            d = first_diff(old, got)
            if d is None:
                for i in range(k):
                    chunk = gv[i]
                    for j in range((n % 61 - i * ln) % 61, ln, 61):
                        chunk[j] ^= 0xa5
                if os.pwritev(fd, gv, pos) != io_len:
                    print('# short write at I/O %d' % n)
                    return 2
                flat[:] = b'\0' * io_len
                if os.preadv(fd, [flat], pos) != io_len:
                    print('# short read at I/O %d' % n)
                    return 2
                d = first_diff(bytes(new), flat[:])
                what = 'after the modify-write'
            else:
                what = 'in the gappy read'
            if d is not None:
                bad += 1
                if bad <= 5:
                    print('data mismatch: %s of I/O %d (device offset %d), '
                          'byte %d (iovec %d, byte %d of it): want 0x%02x, '
                          'read 0x%02x' % (what, n, pos, d[0], d[0] // ln,
                                           d[0] % ln, d[1], d[2]))
    except OSError as e:
        print('# I/O error: %s' % e)
        return 2
    finally:
        os.close(fd)
    print('# %d read-modify-writes of %d iovecs x %d bytes, each %d bytes '
          'into a page' % (args.ios, k, ln, off))
    print('rmw_mismatches=%d' % bad)
    return 1 if bad else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    g = sub.add_parser('gappy')
    g.add_argument('path')
    g.add_argument('--ios', type=int, default=16)
    g.add_argument('--iovecs', type=int, default=16)
    g.add_argument('--iov-off', type=int, default=512)
    g.add_argument('--iov-len', type=int, default=4096)
    g.add_argument('--base', type=int, default=0)
    g.add_argument('--stat')
    r = sub.add_parser('rmw')
    r.add_argument('path')
    r.add_argument('--ios', type=int, default=8)
    r.add_argument('--iovecs', type=int, default=16)
    r.add_argument('--iov-off', type=int, default=512)
    r.add_argument('--iov-len', type=int, default=3072)
    r.add_argument('--base', type=int, default=4 << 20)
    s = sub.add_parser('sgio')
    s.add_argument('path')
    s.add_argument('--lba', type=int, default=8192)
    s.add_argument('--blocks', type=int, default=67)
    s.add_argument('--misalign', type=int, default=1)
    b = sub.add_parser('bench')
    b.add_argument('path')
    b.add_argument('--layout', choices=('aligned', 'misaligned', 'gappy'))
    b.add_argument('--cell', action='append')
    b.add_argument('--count', action='append')
    b.add_argument('--bs', type=int, default=65536)
    b.add_argument('--qd', type=int, default=1)
    b.add_argument('--seconds', type=float, default=2)
    b.add_argument('--span', type=int, default=32 << 20)
    b.add_argument('--stat')
    b.add_argument('--nfs-mount')
    b.add_argument('--runs', type=int, default=1)
    b.add_argument('--warmup', type=float, default=0)
    k = sub.add_parser('soak')
    k.add_argument('path')
    k.add_argument('--state', required=True)
    k.add_argument('--seconds', type=float, default=10)
    k.add_argument('--blocks', type=int, default=256)
    k.add_argument('--bs', type=int, default=65536)
    k.add_argument('--qd', type=int, default=4)
    k.add_argument('--seed', type=int, default=1)
    k.add_argument('--stop')
    v = sub.add_parser('soak-verify')
    v.add_argument('path')
    v.add_argument('--state', required=True)
    args = p.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    return {'gappy': gappy, 'rmw': rmw, 'sgio': sgio, 'bench': bench,
            'soak': soak, 'soak-verify': soak_verify}[args.cmd](args)


if __name__ == '__main__':
    sys.exit(main())
