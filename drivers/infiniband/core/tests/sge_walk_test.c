// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * KUnit tests of the core's SGE list walker (ib_sge_walk), a pure function,
 * checked against a plain byte-array model over random lists and
 * accesses with fixed seeds, and the boundary cases by name.
 */

#include <kunit/test.h>
#include <linux/ktime.h>
#include <linux/prandom.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include <rdma/ib_sge_walk.h>

#define MEM_SIZE	(16 * 1024)	/* the "memory" entries point into */
#define MAX_ENTRIES	64

/* Segments collected from one walk. */
struct collect {
	struct ib_sge_seg seg[MAX_ENTRIES + 1];
	int n;
	int stop_at;		/* return -EIO at this call, if > 0 */
};

static int collect_seg(const struct ib_sge_seg *seg, void *ctx)
{
	struct collect *c = ctx;

	if (c->n == ARRAY_SIZE(c->seg))
		return -E2BIG;
	c->seg[c->n++] = *seg;
	if (c->stop_at && c->n == c->stop_at)
		return -EIO;
	return 0;
}

/* Copy through the walker: memory <-> buffer, as the data path does. */
struct copy_ctx {
	u8 *mem;
	u8 *buf;
	bool to_mem;
};

static int copy_seg(const struct ib_sge_seg *seg, void *ctx)
{
	struct copy_ctx *c = ctx;

	if (c->to_mem)
		memcpy(c->mem + seg->addr, c->buf, seg->len);
	else
		memcpy(c->buf, c->mem + seg->addr, seg->len);
	c->buf += seg->len;
	return 0;
}

KUNIT_DEFINE_ACTION_WRAPPER(free_list, ib_sge_list_free,
			    struct ib_sge_list *);

static struct ib_sge_list *make_list(struct kunit *test, u32 max)
{
	struct ib_sge_list *list = ib_sge_list_alloc(max, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, list);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, free_list,
							   list));
	return list;
}

/*
 * The model: byte k of the MR lives at memory offset map[k] and belongs
 * to the entry with lkey keys[k]; built by a plain scan of the entries.
 */
static void build_model(const struct ib_sge *sge, int n, u32 *map, u32 *keys)
{
	u32 k = 0, j;
	int i;

	for (i = 0; i < n; i++)
		for (j = 0; j < sge[i].length; j++, k++) {
			map[k] = sge[i].addr + j;
			keys[k] = sge[i].lkey;
		}
}

static void check_access(struct kunit *test, const struct ib_sge_list *list,
			 const u32 *map, const u32 *keys, u64 off, u64 len,
			 u8 *mem, u8 *mem_model, u8 *buf, struct collect *c)
{
	struct copy_ctx cc = { .mem = mem, .buf = buf };
	u64 k, pos = 0;
	int i, ret;

	memset(c, 0, sizeof(*c));

	/* Segments: contiguous, in order, matching the model byte by byte. */
	ret = ib_sge_walk(list, off, len, collect_seg, c);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, c->n, ib_sge_count(list, off, len));
	for (i = 0; i < c->n; i++) {
		const struct ib_sge_seg *s = &c->seg[i];

		KUNIT_ASSERT_GT(test, s->len, 0);
		KUNIT_EXPECT_EQ(test, s->lkey, keys[off + pos]);
		for (k = 0; k < s->len; k++)
			if (map[off + pos + k] != s->addr + k) {
				KUNIT_FAIL(test, "byte %llu: walker %llu model %u",
					   off + pos + k, s->addr + k,
					   map[off + pos + k]);
				return;
			}
		pos += s->len;
	}
	KUNIT_EXPECT_EQ(test, pos, len);

	/* ib_sge_first(): the walk's first segment, from one lookup */
	if (len) {
		struct ib_sge_seg first;

		KUNIT_ASSERT_EQ(test, ib_sge_first(list, off, len, &first), 0);
		KUNIT_EXPECT_EQ(test, first.index, c->seg[0].index);
		KUNIT_EXPECT_EQ(test, first.lkey, c->seg[0].lkey);
		KUNIT_EXPECT_EQ(test, first.addr, c->seg[0].addr);
		KUNIT_EXPECT_EQ(test, first.len, c->seg[0].len);
	}

	/* Gather: the bytes read through the walker are the model's. */
	cc.to_mem = false;
	KUNIT_ASSERT_EQ(test, ib_sge_walk(list, off, len,
					  copy_seg, &cc), 0);
	for (k = 0; k < len; k++)
		if (buf[k] != mem[map[off + k]]) {
			KUNIT_FAIL(test, "gather byte %llu differs", off + k);
			return;
		}

	/* Scatter: memory written through the walker equals the model's. */
	for (k = 0; k < len; k++)
		buf[k] = (u8)(off + k) ^ 0x5a;
	cc.buf = buf;
	cc.to_mem = true;
	KUNIT_ASSERT_EQ(test, ib_sge_walk(list, off, len,
					  copy_seg, &cc), 0);
	for (k = 0; k < len; k++)
		mem_model[map[off + k]] = buf[k];
	KUNIT_EXPECT_EQ(test, memcmp(mem, mem_model, MEM_SIZE), 0);
}

static const u32 seeds[] = { 1, 2, 3, 42, 2026, 0xdeadbeef };

static void seed_desc(const u32 *seed, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "seed %u", *seed);
}

KUNIT_ARRAY_PARAM(seed, seeds, seed_desc);

/* Random lists (byte offsets, lengths from 1 byte), random accesses. */
static void ib_sge_walk_random(struct kunit *test)
{
	const u32 seed = *(const u32 *)test->param_value;
	struct ib_sge_list *list = make_list(test, MAX_ENTRIES);
	struct ib_sge *sge;
	u8 *mem, *mem_model, *buf;
	u32 *map, *keys;
	struct collect *c;
	struct rnd_state rnd;
	int round, a;

	prandom_seed_state(&rnd, seed);
	sge = kunit_kcalloc(test, MAX_ENTRIES, sizeof(*sge), GFP_KERNEL);
	mem = kunit_kmalloc(test, MEM_SIZE, GFP_KERNEL);
	mem_model = kunit_kmalloc(test, MEM_SIZE, GFP_KERNEL);
	buf = kunit_kmalloc(test, MEM_SIZE, GFP_KERNEL);
	map = kunit_kcalloc(test, MEM_SIZE, sizeof(*map), GFP_KERNEL);
	keys = kunit_kcalloc(test, MEM_SIZE, sizeof(*keys), GFP_KERNEL);
	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, sge && mem && mem_model && buf && map && keys &&
			  c);

	for (round = 0; round < 40; round++) {
		u32 n = 1 + prandom_u32_state(&rnd) % MAX_ENTRIES;
		u32 budget = MEM_SIZE / n, i;

		for (i = 0; i < n; i++) {
			/* 1 byte up to the budget; entries may share memory */
			u32 len = prandom_u32_state(&rnd) % 4 ? 1 +
				  prandom_u32_state(&rnd) % budget : 1;

			sge[i].length = len;
			sge[i].addr = prandom_u32_state(&rnd) % (MEM_SIZE - len + 1);
			sge[i].lkey = prandom_u32_state(&rnd);
		}
		KUNIT_ASSERT_EQ(test, ib_sge_list_set(list, sge, n), 0);
		build_model(sge, n, map, keys);
		prandom_bytes_state(&rnd, mem, MEM_SIZE);
		memcpy(mem_model, mem, MEM_SIZE);

		for (a = 0; a < 40; a++) {
			u64 off = prandom_u32_state(&rnd) % (list->length + 1);
			u64 len = prandom_u32_state(&rnd) % (list->length - off + 1);

			check_access(test, list, map, keys, off, len, mem,
				     mem_model, buf, c);
		}
		/* and the whole list */
		check_access(test, list, map, keys, 0, list->length, mem,
			     mem_model, buf, c);
	}
}

static const struct ib_sge fixed[] = {
	{ .addr = 0x1003, .length = 5, .lkey = 10 },
	{ .addr = 0x2000, .length = 1, .lkey = 11 },
	{ .addr = 0x3fff, .length = 4098, .lkey = 12 },
	{ .addr = 0x10, .length = 1, .lkey = 13 },
	{ .addr = 0x7777, .length = 77, .lkey = 14 },
};

static struct ib_sge_list *fixed_list(struct kunit *test)
{
	struct ib_sge_list *list = make_list(test, ARRAY_SIZE(fixed));

	KUNIT_ASSERT_EQ(test, ib_sge_list_set(list, fixed, ARRAY_SIZE(fixed)),
			0);
	return list;
}

/* The first and the last byte of each entry map to exactly that byte. */
static void ib_sge_walk_entry_edges(struct kunit *test)
{
	struct ib_sge_list *list = fixed_list(test);
	u64 off = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(fixed); i++) {
		struct collect c = {};
		u64 last = fixed[i].length - 1;

		KUNIT_ASSERT_EQ(test, ib_sge_walk(list, off, 1,
						  collect_seg, &c), 0);
		KUNIT_ASSERT_EQ(test, c.n, 1);
		KUNIT_EXPECT_EQ(test, c.seg[0].index, i);
		KUNIT_EXPECT_EQ(test, c.seg[0].lkey, fixed[i].lkey);
		KUNIT_EXPECT_EQ(test, c.seg[0].addr, fixed[i].addr);
		KUNIT_EXPECT_EQ(test, c.seg[0].len, 1);

		c.n = 0;
		KUNIT_ASSERT_EQ(test, ib_sge_walk(list, off + last,
						  1, collect_seg, &c), 0);
		KUNIT_ASSERT_EQ(test, c.n, 1);
		KUNIT_EXPECT_EQ(test, c.seg[0].index, i);
		KUNIT_EXPECT_EQ(test, c.seg[0].addr, fixed[i].addr + last);

		/* the last byte of one entry and the first of the next */
		if (i + 1 < ARRAY_SIZE(fixed)) {
			u64 at = off + last;

			c.n = 0;
			KUNIT_ASSERT_EQ(test, ib_sge_walk(list, at, 2,
							  collect_seg, &c), 0);
			KUNIT_ASSERT_EQ(test, c.n, 2);
			KUNIT_EXPECT_EQ(test, c.seg[1].index, i + 1);
			KUNIT_EXPECT_EQ(test, c.seg[1].addr, fixed[i + 1].addr);
		}
		off += fixed[i].length;
	}
	KUNIT_EXPECT_EQ(test, off, list->length);
}

/* An access over the whole list touches every entry, whole. */
static void ib_sge_walk_spans_all(struct kunit *test)
{
	struct ib_sge_list *list = fixed_list(test);
	struct collect c = {};
	int i;

	KUNIT_ASSERT_EQ(test, ib_sge_walk(list, 0, list->length,
					  collect_seg, &c), 0);
	KUNIT_ASSERT_EQ(test, c.n, ARRAY_SIZE(fixed));
	for (i = 0; i < c.n; i++) {
		KUNIT_EXPECT_EQ(test, c.seg[i].addr, fixed[i].addr);
		KUNIT_EXPECT_EQ(test, c.seg[i].len, fixed[i].length);
		KUNIT_EXPECT_EQ(test, c.seg[i].lkey, fixed[i].lkey);
	}
}

/* Many 1-byte entries: one segment per byte. */
static void ib_sge_walk_one_byte_entries(struct kunit *test)
{
	struct ib_sge_list *list = make_list(test, MAX_ENTRIES);
	struct collect c = {};
	struct ib_sge sge = { .length = 1 };
	int i;

	ib_sge_list_reset(list);
	for (i = 0; i < MAX_ENTRIES; i++) {
		sge.addr = 1000 - 7 * i;
		sge.lkey = i;
		KUNIT_ASSERT_EQ(test, ib_sge_list_add(list, &sge), 0);
	}
	KUNIT_EXPECT_EQ(test, ib_sge_list_add(list, &sge), -ENOSPC);
	KUNIT_ASSERT_EQ(test, ib_sge_walk(list, 3, MAX_ENTRIES - 5,
					  collect_seg, &c), 0);
	KUNIT_ASSERT_EQ(test, c.n, MAX_ENTRIES - 5);
	for (i = 0; i < c.n; i++) {
		KUNIT_EXPECT_EQ(test, c.seg[i].len, 1);
		KUNIT_EXPECT_EQ(test, c.seg[i].addr, 1000 - 7 * (i + 3));
	}
}

/* Zero-length accesses inside the range visit nothing and succeed. */
static void ib_sge_walk_zero_length(struct kunit *test)
{
	struct ib_sge_list *list = fixed_list(test);
	struct collect c = {};

	KUNIT_EXPECT_EQ(test, ib_sge_walk(list, 0, 0, collect_seg, &c), 0);
	KUNIT_EXPECT_EQ(test, ib_sge_walk(list, list->length, 0,
					  collect_seg, &c), 0);
	KUNIT_EXPECT_EQ(test, c.n, 0);
	KUNIT_EXPECT_EQ(test, ib_sge_count(list, 3, 0), 0);
}

/*
 * Out of range by one byte on either side, or wrapping: -ERANGE, no call.
 * A driver computes the offset as iova - start modulo 2^64, so an access
 * one byte below the start arrives as offset U64_MAX.
 */
static void ib_sge_walk_out_of_range(struct kunit *test)
{
	struct ib_sge_list *list = fixed_list(test);
	u64 end = list->length;
	struct collect c = {};

	KUNIT_EXPECT_EQ(test, ib_sge_walk(list, U64_MAX, 1,
					  collect_seg, &c), -ERANGE);
	KUNIT_EXPECT_EQ(test, ib_sge_walk(list, U64_MAX, 2,
					  collect_seg, &c), -ERANGE);
	KUNIT_EXPECT_EQ(test, ib_sge_walk(list, 0, list->length + 1,
					  collect_seg, &c), -ERANGE);
	KUNIT_EXPECT_EQ(test, ib_sge_walk(list, end, 1, collect_seg, &c),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, ib_sge_walk(list, end + 1, 0, collect_seg, &c),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, ib_sge_walk(list, 1, U64_MAX,
					  collect_seg, &c), -ERANGE);
	KUNIT_EXPECT_EQ(test, ib_sge_walk(list, U64_MAX - 1, 2, collect_seg,
					  &c), -ERANGE);
	KUNIT_EXPECT_EQ(test, ib_sge_count(list, end - 1, 2), -ERANGE);
	KUNIT_EXPECT_EQ(test, c.n, 0);
	/* ib_sge_first() refuses the same accesses, and an empty one */
	KUNIT_EXPECT_EQ(test, ib_sge_first(list, U64_MAX, 2, &c.seg[0]),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, ib_sge_first(list, end, 1, &c.seg[0]), -ERANGE);
	KUNIT_EXPECT_EQ(test, ib_sge_first(list, 1, U64_MAX, &c.seg[0]),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, ib_sge_first(list, 0, 0, &c.seg[0]), -ERANGE);
}

/* A callback error stops the walk and is returned. */
static void ib_sge_walk_stops_on_error(struct kunit *test)
{
	struct ib_sge_list *list = fixed_list(test);
	struct collect c = { .stop_at = 2 };

	KUNIT_EXPECT_EQ(test, ib_sge_walk(list, 0, list->length,
					  collect_seg, &c), -EIO);
	KUNIT_EXPECT_EQ(test, c.n, 2);
}

/*
 * A list holds what it was allocated for: more (or no) entries are
 * refused with the list as it was.  Entry values are the caller's to
 * check (the core's ib_map_mr_sge() does).
 */
static void ib_sge_list_set_capacity(struct kunit *test)
{
	struct ib_sge_list *list = fixed_list(test);
	struct ib_sge more[ARRAY_SIZE(fixed) + 1] = {};
	struct ib_sge sge = { .addr = 9, .length = 8 };
	int i;

	for (i = 0; i < ARRAY_SIZE(more); i++)
		more[i] = sge;
	KUNIT_EXPECT_EQ(test, ib_sge_list_set(list, more, 0), -ENOSPC);
	KUNIT_EXPECT_EQ(test, ib_sge_list_set(list, more, ARRAY_SIZE(more)),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, ib_sge_list_add(list, &sge), -ENOSPC);
	KUNIT_EXPECT_EQ(test, list->nents, ARRAY_SIZE(fixed));
	KUNIT_EXPECT_EQ(test, list->sge[2].addr, fixed[2].addr);
	KUNIT_EXPECT_EQ(test, list->length, 5 + 1 + 4098 + 1 + 77);
	KUNIT_EXPECT_EQ(test, ib_sge_list_set(list, more, 1), 0);
	KUNIT_EXPECT_EQ(test, list->length, 8);
	KUNIT_EXPECT_EQ(test, ib_sge_list_add(list, &sge), 0);
	KUNIT_EXPECT_EQ(test, list->length, 16);
	KUNIT_EXPECT_EQ(test, list->start[1], 8);
}

/* Binary search at the edges of a large list. */
static void ib_sge_list_find_large(struct kunit *test)
{
	const u32 n = 65536;
	struct ib_sge_list *list = make_list(test, n);
	struct ib_sge sge = { .length = 3 };
	u32 i;

	ib_sge_list_reset(list);
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, ib_sge_list_add(list, &sge), 0);
	/* without the bucket index (as appended), then with it */
	for (i = 0; i < 2; i++) {
		if (i)
			ib_sge_list_index(list);
		KUNIT_EXPECT_EQ(test, list->nbuckets ? 1 : 0, i);
		KUNIT_EXPECT_EQ(test, ib_sge_list_find(list, 0), 0);
		KUNIT_EXPECT_EQ(test, ib_sge_list_find(list, 2), 0);
		KUNIT_EXPECT_EQ(test, ib_sge_list_find(list, 3), 1);
		KUNIT_EXPECT_EQ(test, ib_sge_list_find(list, 3ULL * n - 1),
				n - 1);
		KUNIT_EXPECT_EQ(test, ib_sge_list_find(list, 3ULL * 40000 + 1),
				40000);
		KUNIT_EXPECT_EQ(test, ib_sge_count(list, 2, 3ULL * (n - 1)), n);
	}
}

/* Skewed lengths: one huge entry among many 1-byte ones, indexed. */
static void ib_sge_list_find_skewed(struct kunit *test)
{
	struct ib_sge_list *list = make_list(test, 1024);
	struct ib_sge sge = { .length = 1 };
	u64 off = 0;
	u32 i;

	ib_sge_list_reset(list);
	for (i = 0; i < 1024; i++) {
		sge.length = i == 500 ? 1 << 20 : 1;
		KUNIT_ASSERT_EQ(test, ib_sge_list_add(list, &sge), 0);
	}
	ib_sge_list_index(list);
	for (i = 0; i < 1024; i++) {
		u32 len = i == 500 ? 1 << 20 : 1;

		KUNIT_EXPECT_EQ(test, ib_sge_list_find(list, off), i);
		KUNIT_EXPECT_EQ(test, ib_sge_list_find(list, off + len - 1), i);
		off += len;
	}
}

static struct kunit_case ib_sge_walk_cases[] = {
	KUNIT_CASE_PARAM(ib_sge_walk_random, seed_gen_params),
	KUNIT_CASE(ib_sge_walk_entry_edges),
	KUNIT_CASE(ib_sge_walk_spans_all),
	KUNIT_CASE(ib_sge_walk_one_byte_entries),
	KUNIT_CASE(ib_sge_walk_zero_length),
	KUNIT_CASE(ib_sge_walk_out_of_range),
	KUNIT_CASE(ib_sge_walk_stops_on_error),
	KUNIT_CASE(ib_sge_list_set_capacity),
	KUNIT_CASE(ib_sge_list_find_large),
	KUNIT_CASE(ib_sge_list_find_skewed),
	{}
};

static struct kunit_suite ib_sge_walk_suite = {
	.name = "ib_sge_walk",
	.test_cases = ib_sge_walk_cases,
};

/*
 * Benchmark, not a test: the cost of finding the entry of a one-byte
 * access at a random offset, for lists of 1 to 65536 entries of the same
 * total length, measured in one run.  Each size is timed BENCH_REPS
 * times, interleaved with the others to spread noise alike, and every
 * run is reported ("benchdata walker ...", picoseconds per lookup) for
 * the report to take min, median and max.  Marked slow; 'make bench'
 * runs it, 'make check' does not.
 */
#define BENCH_SIZES	9	/* 1, 4, 16, ... 65536 entries */
#define BENCH_OFFSETS	1024
#define BENCH_LOOKUPS	BIT(16)
#define BENCH_REPS	7

static int nop_seg(const struct ib_sge_seg *seg, void *ctx)
{
	*(u64 *)ctx += seg->addr;
	return 0;
}

static void ib_sge_walk_bench_lookup(struct kunit *test)
{
	struct ib_sge_list *list[BENCH_SIZES];
	u64 *offs[BENCH_SIZES];
	u64 (*ps)[BENCH_REPS], sink = 0;
	struct ib_sge sge = { .lkey = 1 };
	struct rnd_state rnd;
	u32 i, j, k, n, rep;

	ps = kunit_kcalloc(test, BENCH_SIZES, sizeof(*ps), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ps);
	prandom_seed_state(&rnd, 7);
	for (i = 0; i < BENCH_SIZES; i++) {
		n = 1U << (2 * i);
		list[i] = make_list(test, n);
		offs[i] = kunit_kcalloc(test, BENCH_OFFSETS, sizeof(u64),
					GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, offs[i]);
		ib_sge_list_reset(list[i]);
		sge.length = SZ_4M / n;	/* same MR length */
		for (j = 0; j < n; j++) {
			sge.addr = j * 2ULL * sge.length + 512;
			KUNIT_ASSERT_EQ(test, ib_sge_list_add(list[i], &sge), 0);
		}
		ib_sge_list_index(list[i]);
		for (k = 0; k < BENCH_OFFSETS; k++)
			offs[i][k] = prandom_u32_state(&rnd) %
					      list[i]->length;
	}
	for (rep = 0; rep < BENCH_REPS; rep++)
		for (i = 0; i < BENCH_SIZES; i++) {
			ktime_t t0 = ktime_get();

			for (k = 0; k < BENCH_LOOKUPS; k++)
				ib_sge_walk(list[i],
					    offs[i][k % BENCH_OFFSETS], 1,
					     nop_seg, &sink);
			ps[i][rep] = ktime_to_ns(ktime_sub(ktime_get(), t0)) *
				     1000 / BENCH_LOOKUPS;
		}
	for (i = 0; i < BENCH_SIZES; i++)
		kunit_info(test, "benchdata walker entries=%u ps=%llu,%llu,%llu,%llu,%llu,%llu,%llu",
			   1U << (2 * i), ps[i][0], ps[i][1], ps[i][2],
			   ps[i][3], ps[i][4], ps[i][5], ps[i][6]);
	KUNIT_EXPECT_NE(test, sink, 0);
}

static struct kunit_case ib_sge_walk_bench_cases[] = {
	KUNIT_CASE_SLOW(ib_sge_walk_bench_lookup),
	{}
};

static struct kunit_suite ib_sge_walk_bench_suite = {
	.name = "ib_sge_walk_bench",
	.test_cases = ib_sge_walk_bench_cases,
	.attr.speed = KUNIT_SPEED_SLOW,
};

kunit_test_suites(&ib_sge_walk_suite, &ib_sge_walk_bench_suite);

MODULE_DESCRIPTION("KUnit tests for the SGE list walker of indirect MRs");
MODULE_LICENSE("Dual BSD/GPL");
