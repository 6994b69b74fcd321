// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * KUnit tests of ib_sg_pages_fit(): it must answer "would ib_map_mr_sg()
 * map the whole list as pages" exactly as ib_sg_to_pages() does, with a
 * page list that holds max_num_sg pages, on random scatterlists (aligned,
 * misaligned, contiguous, gappy, empty entries) and on named cases.
 */

#include <kunit/test.h>
#include <linux/prandom.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>

#include <rdma/ib_verbs.h>

#define T_MAX_NENTS	12

/* An MR whose page list holds exactly max_num_sg pages. */
struct t_mr {
	struct ib_mr	ibmr;
	u32		npages;
};

static int t_set_page(struct ib_mr *ibmr, u64 addr)
{
	struct t_mr *mr = container_of(ibmr, struct t_mr, ibmr);

	if (mr->npages == ibmr->max_num_sg)
		return -ENOMEM;
	mr->npages++;
	return 0;
}

/* What ib_map_mr_sg() would say: all entries mapped? */
static bool t_maps_all(struct t_mr *mr, struct scatterlist *sg, int nents,
		       unsigned int offset, unsigned int page_size)
{
	unsigned int off = offset;

	mr->npages = 0;
	mr->ibmr.page_size = page_size;
	return ib_sg_to_pages(&mr->ibmr, sg, nents, &off, t_set_page) == nents;
}

struct t_case {
	const char	*name;
	u32		max_pages;
	unsigned int	offset;
	u32		nents;
	struct { u64 addr; u32 len; } e[4];
	bool		fits;
};

static const struct t_case t_cases[] = {
	{ "one misaligned entry", 2, 0, 1, { { 0x10200, 0x1000 } }, true },
	{ "one misaligned entry, one page too few", 1, 0, 1,
	  { { 0x10200, 0x1000 } }, false },
	{ "aligned entries", 4, 0, 2, { { 0x10000, 0x2000 }, { 0x40000, 0x2000 } },
	  true },
	{ "first ends mid-page, second aligned", 4, 0, 2,
	  { { 0x10000, 0x1800 }, { 0x40000, 0x1000 } }, false },
	{ "second starts mid-page", 4, 0, 2,
	  { { 0x10000, 0x1000 }, { 0x40200, 0x1000 } }, false },
	{ "contiguous entries coalesce", 2, 0, 2,
	  { { 0x10000, 0x1800 }, { 0x11800, 0x800 } }, true },
	{ "offset into the first entry", 1, 0x1000, 1,
	  { { 0x10000, 0x2000 } }, true },
	{ "offset past the first entry", 4, 0x2001, 1,
	  { { 0x10000, 0x2000 } }, false },
	{ "empty first entry counts a page", 1, 0, 2,
	  { { 0x10000, 0 }, { 0x20000, 0x1000 } }, false },
};

KUNIT_ARRAY_PARAM_DESC(t_case, t_cases, name);

static void sg_pages_fit_named(struct kunit *test)
{
	const struct t_case *p = test->param_value;
	struct scatterlist sg[4];
	struct t_mr mr = { .ibmr.max_num_sg = p->max_pages };
	u32 i;

	sg_init_table(sg, p->nents);
	for (i = 0; i < p->nents; i++) {
		sg_dma_address(&sg[i]) = p->e[i].addr;
		sg_dma_len(&sg[i]) = p->e[i].len;
	}
	KUNIT_EXPECT_EQ(test, ib_sg_pages_fit(&mr.ibmr, sg, p->nents,
					      p->offset, SZ_4K), p->fits);
	KUNIT_EXPECT_EQ(test, t_maps_all(&mr, sg, p->nents, p->offset, SZ_4K),
			p->fits);
}

static u32 t_below(struct rnd_state *r, u32 n)
{
	return prandom_u32_state(r) % n;
}

/* Entries that are often aligned, often contiguous, sometimes neither. */
static u32 t_rnd_list(struct rnd_state *r, struct scatterlist *sg,
		      unsigned int page_size, unsigned int *offset)
{
	u32 n = 1 + t_below(r, T_MAX_NENTS), i;
	u64 addr = (u64)(1 + t_below(r, 1 << 16)) * page_size;

	sg_init_table(sg, n);
	for (i = 0; i < n; i++) {
		u32 len, shape = t_below(r, 10);

		if (i && shape < 3)		/* continues the previous */
			addr = sg_dma_address(&sg[i - 1]) + sg_dma_len(&sg[i - 1]);
		else if (shape < 8)		/* a new page */
			addr = ALIGN(addr + 1 + t_below(r, 8 * page_size),
				     page_size);
		else				/* anywhere */
			addr += 1 + t_below(r, 8 * page_size);
		len = t_below(r, 3) ? page_size * (1 + t_below(r, 3)) :
				      t_below(r, 3 * page_size);
		sg_dma_address(&sg[i]) = addr;
		sg_dma_len(&sg[i]) = len;
		addr += len;
	}
	*offset = t_below(r, 4) ? 0 : t_below(r, sg_dma_len(&sg[0]) + 1);
	return n;
}

/* Random lists: ib_sg_pages_fit() agrees with ib_sg_to_pages(). */
static void sg_pages_fit_agrees(struct kunit *test)
{
	static const unsigned int page_sizes[] = { SZ_4K, SZ_64K, SZ_2M };
	struct scatterlist sg[T_MAX_NENTS];
	u32 l, yes = 0, no = 0;
	struct rnd_state r;
	struct t_mr mr = {};

	for (l = 0; l < 20000; l++) {
		unsigned int ps = page_sizes[l % ARRAY_SIZE(page_sizes)];
		unsigned int offset;
		bool fit, maps;
		u32 n;

		prandom_seed_state(&r, 0x5ca1ab1eULL * (l + 1));
		n = t_rnd_list(&r, sg, ps, &offset);
		mr.ibmr.max_num_sg = 1 + t_below(&r, 3 * T_MAX_NENTS);
		fit = ib_sg_pages_fit(&mr.ibmr, sg, n, offset, ps);
		maps = t_maps_all(&mr, sg, n, offset, ps);
		if (fit != maps) {
			KUNIT_FAIL(test,
				   "list %u (%u entries, offset %u, page size %u, %u pages): fit %d, but ib_sg_to_pages() mapped %s",
				   l, n, offset, ps, mr.ibmr.max_num_sg, fit,
				   maps ? "all" : "a prefix");
			break;
		}
		if (fit)
			yes++;
		else
			no++;
	}
	kunit_info(test, "%u lists: %u fit a page list, %u do not", yes + no,
		   yes, no);
	/* both answers must have been exercised */
	KUNIT_EXPECT_GT(test, yes, 1000);
	KUNIT_EXPECT_GT(test, no, 1000);
}

static struct kunit_case ib_sg_pages_fit_cases[] = {
	KUNIT_CASE_PARAM(sg_pages_fit_named, t_case_gen_params),
	KUNIT_CASE(sg_pages_fit_agrees),
	{}
};

static struct kunit_suite ib_sg_pages_fit_suite = {
	.name = "ib_sg_pages_fit",
	.test_cases = ib_sg_pages_fit_cases,
};

kunit_test_suite(ib_sg_pages_fit_suite);

MODULE_DESCRIPTION("KUnit tests of ib_sg_pages_fit()");
MODULE_LICENSE("Dual BSD/GPL");
