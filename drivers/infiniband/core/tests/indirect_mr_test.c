// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * KUnit tests of the core side of indirect memory registration:
 * allocation gating, validation of entry lists, dispatch to the driver and
 * the scatterlist conversion, against a fake device (no hardware, no
 * driver).
 */

#include <kunit/test.h>
#include <linux/scatterlist.h>
#include <rdma/ib_verbs.h>

#include "../core_priv.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define FAKE_MAX_ENTRIES	16
#define FAKE_LOCAL_DMA_LKEY	0x1234
#define SENTINEL_IOVA		0xdeadbeef000ULL
#define SENTINEL_LENGTH		0x5a5aULL

/* What the fake driver saw. */
struct fake_calls {
	int alloc_mr;
	int map_mr_sge;
	const struct ib_sge *sge;
	int nents;
	u64 iova;
	int ret;		/* what map_mr_sge returns; 0 means nents */
	struct ib_sge staged[FAKE_MAX_ENTRIES];
	int nstaged;
};

static struct fake_calls *fake_calls;

static struct ib_mr *fake_alloc_mr(struct ib_pd *pd, enum ib_mr_type type,
				   u32 max_num_sg)
{
	struct ib_mr *mr = kzalloc(sizeof(*mr), GFP_KERNEL);

	fake_calls->alloc_mr++;
	return mr ?: ERR_PTR(-ENOMEM);
}

static int fake_dereg_mr(struct ib_mr *mr, struct ib_udata *udata)
{
	kfree(mr);
	return 0;
}

static int fake_map_mr_sge(struct ib_mr *mr, const struct ib_sge *sge,
			   int nents, u64 iova)
{
	fake_calls->map_mr_sge++;
	fake_calls->sge = sge;
	fake_calls->nents = nents;
	fake_calls->iova = iova;
	return fake_calls->ret ?: nents;
}

static int fake_set_sge(struct ib_mr *mr, const struct ib_sge *sge)
{
	if (fake_calls->nstaged == FAKE_MAX_ENTRIES)
		return -ENOMEM;
	fake_calls->staged[fake_calls->nstaged++] = *sge;
	return 0;
}

static int fake_map_mr_sg(struct ib_mr *mr, struct scatterlist *sg,
			  int sg_nents, unsigned int *sg_offset)
{
	fake_calls->nstaged = 0;
	return ib_sg_to_sge(mr, sg, sg_nents, sg_offset, fake_set_sge);
}

static const struct ib_device_ops fake_ops = {
	.alloc_mr = fake_alloc_mr,
	.dereg_mr = fake_dereg_mr,
	.map_mr_sge = fake_map_mr_sge,
	.map_mr_sg = fake_map_mr_sg,
};

static const struct ib_device_ops fake_ops_no_map = {
	.alloc_mr = fake_alloc_mr,
	.dereg_mr = fake_dereg_mr,
};

struct fake_ctx {
	struct ib_device *dev;
	struct ib_pd *pd;
	struct fake_calls calls;
};

static void fake_ctx_exit(void *data)
{
	struct fake_ctx *ctx = data;

	kfree(ctx->pd);
	ib_dealloc_device(ctx->dev);
	fake_calls = NULL;
}

/* A device that is allocated but never registered, and a bare PD. */
static struct fake_ctx *fake_ctx_init(struct kunit *test,
				      const struct ib_device_ops *ops,
				      bool indirect_cap)
{
	struct fake_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->dev = _ib_alloc_device(sizeof(*ctx->dev));
	KUNIT_ASSERT_NOT_NULL(test, ctx->dev);
	ctx->pd = kzalloc(sizeof(*ctx->pd), GFP_KERNEL);
	if (!ctx->pd)
		ib_dealloc_device(ctx->dev);
	KUNIT_ASSERT_NOT_NULL(test, ctx->pd);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, fake_ctx_exit, ctx));

	ib_set_device_ops(ctx->dev, ops);
	ctx->dev->attrs.max_mr_size = U64_MAX;
	ctx->dev->attrs.max_indirect_reg_list_len = FAKE_MAX_ENTRIES;
	if (indirect_cap)
		ctx->dev->attrs.kernel_cap_flags |= IBK_INDIRECT_REG |
						    IBK_SG_GAPS_REG;
	ctx->pd->device = ctx->dev;
	ctx->pd->local_dma_lkey = FAKE_LOCAL_DMA_LKEY;
	fake_calls = &ctx->calls;
	return ctx;
}

static struct ib_mr *fake_indirect_mr(struct kunit *test, struct fake_ctx *ctx,
				      u32 max_entries)
{
	struct ib_mr *mr = ib_alloc_mr(ctx->pd, IB_MR_TYPE_INDIRECT,
				       max_entries);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(mr), "ib_alloc_mr: %ld",
			       PTR_ERR(mr));
	mr->iova = SENTINEL_IOVA;
	mr->length = SENTINEL_LENGTH;
	return mr;
}

static void indirect_alloc_needs_capability(struct kunit *test)
{
	struct fake_ctx *ctx = fake_ctx_init(test, &fake_ops, false);
	struct ib_mr *mr = ib_alloc_mr(ctx->pd, IB_MR_TYPE_INDIRECT, 4);

	KUNIT_EXPECT_EQ(test, PTR_ERR(mr), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, ctx->calls.alloc_mr, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->pd->usecnt), 0);
}

static void indirect_alloc_needs_map_op(struct kunit *test)
{
	struct fake_ctx *ctx = fake_ctx_init(test, &fake_ops_no_map, true);
	struct ib_mr *mr = ib_alloc_mr(ctx->pd, IB_MR_TYPE_INDIRECT, 4);

	KUNIT_EXPECT_EQ(test, PTR_ERR(mr), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, ctx->calls.alloc_mr, 0);
}

static void indirect_alloc_entry_bounds(struct kunit *test)
{
	struct fake_ctx *ctx = fake_ctx_init(test, &fake_ops, true);
	struct ib_mr *mr;

	mr = ib_alloc_mr(ctx->pd, IB_MR_TYPE_INDIRECT, 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR(mr), -EINVAL);
	mr = ib_alloc_mr(ctx->pd, IB_MR_TYPE_INDIRECT, FAKE_MAX_ENTRIES + 1);
	KUNIT_EXPECT_EQ(test, PTR_ERR(mr), -EINVAL);
	KUNIT_EXPECT_EQ(test, ctx->calls.alloc_mr, 0);

	mr = ib_alloc_mr(ctx->pd, IB_MR_TYPE_INDIRECT, FAKE_MAX_ENTRIES);
	KUNIT_ASSERT_FALSE(test, IS_ERR(mr));
	KUNIT_EXPECT_EQ(test, ctx->calls.alloc_mr, 1);
	KUNIT_EXPECT_EQ(test, mr->type, IB_MR_TYPE_INDIRECT);
	KUNIT_EXPECT_EQ(test, mr->max_num_sg, FAKE_MAX_ENTRIES);
	KUNIT_EXPECT_PTR_EQ(test, mr->pd, ctx->pd);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->pd->usecnt), 1);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->pd->usecnt), 0);
}

/* Other MR types never reach the indirect gate. */
static void indirect_alloc_other_types_unchanged(struct kunit *test)
{
	struct fake_ctx *ctx = fake_ctx_init(test, &fake_ops, false);
	struct ib_mr *mr = ib_alloc_mr(ctx->pd, IB_MR_TYPE_MEM_REG, 4);

	KUNIT_ASSERT_FALSE(test, IS_ERR(mr));
	KUNIT_EXPECT_EQ(test, mr->max_num_sg, 4);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
}

/* One row of the validation table. */
struct sge_case {
	const char *name;
	bool wrong_type;
	bool null_list;
	int nents;
	u32 lengths[FAKE_MAX_ENTRIES + 1];	/* 0 ends the list unless zero_at */
	int zero_at;				/* index + 1 of a 0-length entry */
	u32 len_all;				/* if set, every entry has it */
	u64 iova;
	u64 max_mr_size;			/* 0: U64_MAX */
	int expect;				/* 0: success */
	u64 expect_length;
};

static const struct sge_case sge_cases[] = {
	{ .name = "one entry", .nents = 1, .lengths = { 100 }, .iova = 0x1000,
	  .expect_length = 100 },
	{ .name = "one byte entries", .nents = FAKE_MAX_ENTRIES, .len_all = 1,
	  .iova = 7, .expect_length = FAKE_MAX_ENTRIES },
	{ .name = "max entries", .nents = FAKE_MAX_ENTRIES, .len_all = 4096,
	  .iova = 0x10000, .expect_length = FAKE_MAX_ENTRIES * 4096ULL },
	{ .name = "entries of the maximum length", .nents = 2,
	  .len_all = IB_INDIRECT_MAX_ENTRY_LEN,
	  .expect_length = 2ULL * IB_INDIRECT_MAX_ENTRY_LEN },
	{ .name = "last byte at u64 max", .nents = 2, .lengths = { 10, 6 },
	  .iova = U64_MAX - 15, .expect_length = 16 },
	{ .name = "length equals max_mr_size", .nents = 3,
	  .lengths = { 1, 2, 3 }, .max_mr_size = 6, .expect_length = 6 },
	{ .name = "wrong MR type", .wrong_type = true, .nents = 1,
	  .lengths = { 8 }, .expect = -EINVAL },
	{ .name = "NULL list", .null_list = true, .nents = 1,
	  .expect = -EINVAL },
	{ .name = "NULL list and 0 entries", .null_list = true, .nents = 0,
	  .expect = -EINVAL },
	{ .name = "NULL list wins over too many", .null_list = true,
	  .nents = FAKE_MAX_ENTRIES + 1, .expect = -EINVAL },
	{ .name = "0 entries", .nents = 0, .expect = -EINVAL },
	{ .name = "negative entries", .nents = -1, .expect = -EINVAL },
	{ .name = "max entries + 1", .nents = FAKE_MAX_ENTRIES + 1,
	  .len_all = 1, .expect = -E2BIG },
	{ .name = "too many wins over a zero-length entry",
	  .nents = FAKE_MAX_ENTRIES + 1, .zero_at = 1, .expect = -E2BIG },
	{ .name = "zero-length first entry", .nents = 3,
	  .lengths = { 0, 5, 5 }, .zero_at = 1, .expect = -EINVAL },
	{ .name = "zero-length middle entry", .nents = 3,
	  .lengths = { 5, 0, 5 }, .zero_at = 2, .expect = -EINVAL },
	{ .name = "zero-length last entry", .nents = 3,
	  .lengths = { 5, 5, 0 }, .zero_at = 3, .expect = -EINVAL },
	{ .name = "entry one byte above the maximum", .nents = 3,
	  .lengths = { 5, IB_INDIRECT_MAX_ENTRY_LEN + 1, 5 },
	  .expect = -E2BIG },
	{ .name = "zero length wins over too long", .nents = 3,
	  .lengths = { IB_INDIRECT_MAX_ENTRY_LEN + 1, 5, 0 }, .zero_at = 3,
	  .expect = -EINVAL },
	{ .name = "too long wins over a wrapping iova", .nents = 1,
	  .lengths = { U32_MAX }, .iova = U64_MAX, .expect = -E2BIG },
	{ .name = "iova + length wraps by one byte", .nents = 2,
	  .lengths = { 10, 6 }, .iova = U64_MAX - 14, .expect = -EINVAL },
	{ .name = "iova at u64 max, 2 bytes", .nents = 1, .lengths = { 2 },
	  .iova = U64_MAX, .expect = -EINVAL },
	{ .name = "length above max_mr_size", .nents = 3,
	  .lengths = { 1, 2, 4 }, .max_mr_size = 6, .expect = -E2BIG },
	{ .name = "wrap wins over max_mr_size", .nents = 1,
	  .lengths = { 8 }, .iova = U64_MAX, .max_mr_size = 4,
	  .expect = -EINVAL },
};

static void sge_case_desc(const struct sge_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(sge, sge_cases, sge_case_desc);

static void indirect_map_sge_validation(struct kunit *test)
{
	const struct sge_case *c = test->param_value;
	struct fake_ctx *ctx = fake_ctx_init(test, &fake_ops, true);
	struct ib_sge *sge, *copy;
	struct ib_mr *mr;
	u32 keys[2];
	int i, n, ret;

	mr = fake_indirect_mr(test, ctx, FAKE_MAX_ENTRIES);
	mr->lkey = 0x1234501;
	mr->rkey = 0x1234502;
	keys[0] = mr->lkey;
	keys[1] = mr->rkey;
	if (c->wrong_type)
		mr->type = IB_MR_TYPE_MEM_REG;
	if (c->max_mr_size)
		ctx->dev->attrs.max_mr_size = c->max_mr_size;

	n = max(c->nents, 1);
	sge = kunit_kcalloc(test, n, sizeof(*sge), GFP_KERNEL);
	copy = kunit_kcalloc(test, n, sizeof(*sge), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sge);
	KUNIT_ASSERT_NOT_NULL(test, copy);
	for (i = 0; i < n; i++) {
		sge[i].addr = 0x100000ULL * (i + 1) + 3 * i;
		sge[i].length = c->len_all ?: c->lengths[i];
		sge[i].lkey = 0x100 + i;
	}
	memcpy(copy, sge, n * sizeof(*sge));

	ret = ib_map_mr_sge(mr, c->null_list ? NULL : sge, c->nents, c->iova);

	KUNIT_EXPECT_EQ(test, memcmp(copy, sge, n * sizeof(*sge)), 0);
	if (c->expect) {
		KUNIT_EXPECT_EQ(test, ret, c->expect);
		KUNIT_EXPECT_EQ(test, ctx->calls.map_mr_sge, 0);
		KUNIT_EXPECT_EQ(test, mr->iova, SENTINEL_IOVA);
		KUNIT_EXPECT_EQ(test, mr->length, SENTINEL_LENGTH);
		KUNIT_EXPECT_EQ(test, mr->lkey, keys[0]);
		KUNIT_EXPECT_EQ(test, mr->rkey, keys[1]);
	} else {
		KUNIT_EXPECT_EQ(test, ret, c->nents);
		KUNIT_EXPECT_EQ(test, ctx->calls.map_mr_sge, 1);
		KUNIT_EXPECT_PTR_EQ(test, ctx->calls.sge,
				    (const struct ib_sge *)sge);
		KUNIT_EXPECT_EQ(test, ctx->calls.nents, c->nents);
		KUNIT_EXPECT_EQ(test, ctx->calls.iova, c->iova);
		KUNIT_EXPECT_EQ(test, mr->iova, c->iova);
		KUNIT_EXPECT_EQ(test, mr->length, c->expect_length);
	}
	mr->type = IB_MR_TYPE_INDIRECT;
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
}

/* The MR's own max_num_sg bounds nents, not only the device's limit. */
static void indirect_map_sge_mr_limit(struct kunit *test)
{
	struct fake_ctx *ctx = fake_ctx_init(test, &fake_ops, true);
	struct ib_sge sge[3] = {
		{ .addr = 1, .length = 1 }, { .addr = 9, .length = 2 },
		{ .addr = 20, .length = 3 },
	};
	struct ib_mr *mr = fake_indirect_mr(test, ctx, 2);

	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, sge, 3, 0), -E2BIG);
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, sge, 2, 0), 2);
	KUNIT_EXPECT_EQ(test, mr->length, 3);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
}

/* A driver error reaches the caller and leaves the MR as it was. */
static void indirect_map_sge_driver_error(struct kunit *test)
{
	struct fake_ctx *ctx = fake_ctx_init(test, &fake_ops, true);
	struct ib_sge sge = { .addr = 0x2000, .length = 512, .lkey = 1 };
	struct ib_mr *mr = fake_indirect_mr(test, ctx, 4);

	ctx->calls.ret = -ENOMEM;
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, &sge, 1, 0x2000), -ENOMEM);
	KUNIT_EXPECT_EQ(test, ctx->calls.map_mr_sge, 1);
	KUNIT_EXPECT_EQ(test, mr->iova, SENTINEL_IOVA);
	KUNIT_EXPECT_EQ(test, mr->length, SENTINEL_LENGTH);

	ctx->calls.ret = 0;
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, &sge, 1, 0x2000), 1);
	KUNIT_EXPECT_EQ(test, mr->iova, 0x2000);
	KUNIT_EXPECT_EQ(test, mr->length, 512);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
}

/* A gappy, byte-offset scatterlist becomes one entry per element. */
static void indirect_map_mr_sg_gaps(struct kunit *test)
{
	static const struct { u64 addr; u32 len; } elems[] = {
		{ 0x10200, 0x0e00 },	/* starts mid-page */
		{ 0x30000, 0x0001 },	/* one byte */
		{ 0x50123, 0x1f00 },	/* odd start, crosses a page */
		{ 0x70000, 0x1000 },
		{ 0x90010, 0x0030 },	/* ends mid-page */
	};
	struct fake_ctx *ctx = fake_ctx_init(test, &fake_ops, true);
	struct scatterlist sgl[ARRAY_SIZE(elems)];
	unsigned int offset = 0x40;
	struct ib_mr *mr;
	u64 total = 0;
	int i, n;

	sg_init_table(sgl, ARRAY_SIZE(elems));
	for (i = 0; i < ARRAY_SIZE(elems); i++) {
		sg_dma_address(&sgl[i]) = elems[i].addr;
		sg_dma_len(&sgl[i]) = elems[i].len;
		total += elems[i].len;
	}

	mr = fake_indirect_mr(test, ctx, FAKE_MAX_ENTRIES);
	n = ib_map_mr_sg(mr, sgl, ARRAY_SIZE(elems), &offset, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, n, ARRAY_SIZE(elems));
	KUNIT_EXPECT_EQ(test, offset, 0);
	KUNIT_EXPECT_EQ(test, ctx->calls.nstaged, n);
	KUNIT_EXPECT_EQ(test, mr->iova, elems[0].addr + 0x40);
	KUNIT_EXPECT_EQ(test, mr->length, total - 0x40);
	for (i = 0; i < n; i++) {
		const struct ib_sge *s = &ctx->calls.staged[i];

		KUNIT_EXPECT_EQ(test, s->addr, elems[i].addr + (i ? 0 : 0x40));
		KUNIT_EXPECT_EQ(test, s->length, elems[i].len - (i ? 0 : 0x40));
		KUNIT_EXPECT_EQ(test, s->lkey, FAKE_LOCAL_DMA_LKEY);
	}
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
}

/* As for fast registration, the prefix that fits the MR is mapped. */
static void indirect_map_mr_sg_prefix(struct kunit *test)
{
	struct fake_ctx *ctx = fake_ctx_init(test, &fake_ops, true);
	struct scatterlist sgl[5];
	unsigned int offset;
	struct ib_mr *mr;
	int i, n;

	sg_init_table(sgl, 5);
	for (i = 0; i < 5; i++) {
		sg_dma_address(&sgl[i]) = 0x1000 * (2 * i + 1) + i;
		sg_dma_len(&sgl[i]) = 100 + i;
	}
	mr = fake_indirect_mr(test, ctx, 3);
	n = ib_map_mr_sg(mr, sgl, 5, NULL, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, n, 3);
	KUNIT_EXPECT_EQ(test, mr->iova, 0x1000);
	KUNIT_EXPECT_EQ(test, mr->length, 100 + 101 + 102);

	/* An offset outside the first element maps nothing. */
	offset = 100;
	n = ib_map_mr_sg(mr, sgl, 5, &offset, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, n, -EINVAL);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
}

/*
 * An element longer than IB_INDIRECT_MAX_ENTRY_LEN ends the mapped
 * prefix; as the first element it maps nothing.
 */
static void indirect_map_mr_sg_entry_limit(struct kunit *test)
{
	struct fake_ctx *ctx = fake_ctx_init(test, &fake_ops, true);
	struct scatterlist sgl[3];
	unsigned int offset = 1;
	struct ib_mr *mr;

	sg_init_table(sgl, 3);
	sg_dma_address(&sgl[0]) = 0x1000;
	sg_dma_len(&sgl[0]) = IB_INDIRECT_MAX_ENTRY_LEN;
	sg_dma_address(&sgl[1]) = 0x100000000ULL;
	sg_dma_len(&sgl[1]) = IB_INDIRECT_MAX_ENTRY_LEN + 2;
	sg_dma_address(&sgl[2]) = 0x300000000ULL;
	sg_dma_len(&sgl[2]) = 8;
	mr = fake_indirect_mr(test, ctx, FAKE_MAX_ENTRIES);
	KUNIT_EXPECT_EQ(test, ib_map_mr_sg(mr, sgl, 3, NULL, PAGE_SIZE), 1);
	KUNIT_EXPECT_EQ(test, ctx->calls.nstaged, 1);
	KUNIT_EXPECT_EQ(test, mr->length, IB_INDIRECT_MAX_ENTRY_LEN);

	/* nothing mapped: the MR and the offset are left alone */
	mr->iova = SENTINEL_IOVA;
	mr->length = SENTINEL_LENGTH;
	KUNIT_EXPECT_EQ(test, ib_map_mr_sg(mr, &sgl[1], 2, &offset, PAGE_SIZE),
			-E2BIG);
	KUNIT_EXPECT_EQ(test, offset, 1);
	KUNIT_EXPECT_EQ(test, mr->iova, SENTINEL_IOVA);
	KUNIT_EXPECT_EQ(test, mr->length, SENTINEL_LENGTH);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
}

/* One row of the registration check: capabilities, op, limit. */
struct device_case {
	const char *name;
	u64 caps;
	bool map_op;
	u32 max_len;
	int expect;
};

static const struct device_case device_cases[] = {
	{ "complete", IBK_INDIRECT_REG | IBK_SG_GAPS_REG, true, 16, 0 },
	{ "no IBK_SG_GAPS_REG", IBK_INDIRECT_REG, true, 16, -EINVAL },
	{ "no map_mr_sge", IBK_INDIRECT_REG | IBK_SG_GAPS_REG, false, 16,
	  -EINVAL },
	{ "no list length", IBK_INDIRECT_REG | IBK_SG_GAPS_REG, true, 0,
	  -EINVAL },
	{ "no indirect support at all", 0, false, 0, 0 },
	{ "SG_GAPS alone", IBK_SG_GAPS_REG, false, 0, 0 },
};

static void device_case_desc(const struct device_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(device, device_cases, device_case_desc);

/* ib_register_device() refuses an incomplete IBK_INDIRECT_REG. */
static void indirect_register_checks_device(struct kunit *test)
{
	const struct device_case *c = test->param_value;
	struct fake_ctx *ctx = fake_ctx_init(test, c->map_op ? &fake_ops :
					     &fake_ops_no_map, false);

	ctx->dev->attrs.kernel_cap_flags = c->caps;
	ctx->dev->attrs.max_indirect_reg_list_len = c->max_len;
	KUNIT_EXPECT_EQ(test, ib_indirect_check_device(ctx->dev), c->expect);
}

/* The internal checker agrees with the exported entry point. */
static void indirect_check_sge_length(struct kunit *test)
{
	struct fake_ctx *ctx = fake_ctx_init(test, &fake_ops, true);
	struct ib_sge sge[2] = { { .length = 3 }, { .length = 4 } };
	struct ib_mr *mr = fake_indirect_mr(test, ctx, 2);
	u64 len = 0;

	KUNIT_EXPECT_EQ(test, ib_indirect_check_sge(mr, sge, 2, 0, &len), 0);
	KUNIT_EXPECT_EQ(test, len, 7);
	KUNIT_EXPECT_EQ(test, ctx->calls.map_mr_sge, 0);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
}

static struct kunit_case ib_indirect_mr_cases[] = {
	KUNIT_CASE(indirect_alloc_needs_capability),
	KUNIT_CASE(indirect_alloc_needs_map_op),
	KUNIT_CASE(indirect_alloc_entry_bounds),
	KUNIT_CASE(indirect_alloc_other_types_unchanged),
	KUNIT_CASE_PARAM(indirect_map_sge_validation, sge_gen_params),
	KUNIT_CASE(indirect_map_sge_mr_limit),
	KUNIT_CASE(indirect_map_sge_driver_error),
	KUNIT_CASE(indirect_map_mr_sg_gaps),
	KUNIT_CASE(indirect_map_mr_sg_prefix),
	KUNIT_CASE(indirect_map_mr_sg_entry_limit),
	KUNIT_CASE_PARAM(indirect_register_checks_device, device_gen_params),
	KUNIT_CASE(indirect_check_sge_length),
	{}
};

static struct kunit_suite ib_indirect_mr_suite = {
	.name = "ib_indirect_mr",
	.test_cases = ib_indirect_mr_cases,
};

kunit_test_suite(ib_indirect_mr_suite);

MODULE_DESCRIPTION("KUnit tests for RDMA indirect memory registration");
MODULE_LICENSE("Dual BSD/GPL");
