// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * White-box KUnit tests of rxe's indirect MRs: what the loopback suite
 * cannot see through completions.  rxe's completer reports every send
 * work request that failed locally as IB_WC_WR_FLUSH_ERR, so the errno a
 * bad access gives copy_data() (the requester's gather, which picks the
 * work request's status from it, and the scatter of a receive or READ
 * response) is checked here.  Each case is differential: it compares the
 * errno through the indirect MR with that of the same access through a
 * direct one (a bad lkey, or a fast MR one byte short), never with a
 * constant.
 *
 * Load after the device exists, e.g. after
 * 'rdma link add rxe0 type rxe netdev dummy0':
 * 'modprobe rxe_indirect_test ibdev=rxe0'.
 */

#include <kunit/test.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "rxe.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

static char *ibdev = "rxe0";
module_param(ibdev, charp, 0444);
MODULE_PARM_DESC(ibdev, "the rxe device to test");

#define RXE_IT_LEN	64

struct rxe_it {
	struct ib_device	*dev;
	struct ib_pd		*pd;
	u8			*buf;
	u8			*out;
	struct rxe_dma_info	*dma;
};

static void rxe_it_exit(struct kunit *test)
{
	struct rxe_it *t = test->priv;

	if (!IS_ERR_OR_NULL(t->pd))
		ib_dealloc_pd(t->pd);
	if (t->dev)
		ib_device_put(t->dev);
}

static int rxe_it_init(struct kunit *test)
{
	struct rxe_it *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	if (!t)
		return -ENOMEM;
	test->priv = t;
	t->dev = ib_device_get_by_name(ibdev, RDMA_DRIVER_RXE);
	if (!t->dev)
		kunit_skip(test, "no rxe device %s", ibdev);
	t->pd = ib_alloc_pd(t->dev, 0);
	t->buf = kunit_kmalloc(test, RXE_IT_LEN, GFP_KERNEL);
	t->out = kunit_kmalloc(test, RXE_IT_LEN, GFP_KERNEL);
	t->dma = kunit_kzalloc(test, struct_size(t->dma, sge, 1), GFP_KERNEL);
	if (IS_ERR(t->pd) || !t->buf || !t->out || !t->dma) {
		rxe_it_exit(test);
		return -ENOMEM;
	}
	return 0;
}

/*
 * copy_data() of @len bytes through one SGE {@addr, @len, @lkey}, with
 * the rights its callers ask: none to gather (the requester, from the
 * MR), local write to scatter (a receive or READ response, into the MR).
 * t->out is the other side of the copy.
 */
static int rxe_it_copy(struct rxe_it *t, u64 addr, u32 lkey, u32 len,
		       enum rxe_mr_copy_dir dir)
{
	struct rxe_dma_info *dma = t->dma;

	dma->length = len;
	dma->resid = len;
	dma->num_sge = 1;
	dma->cur_sge = 0;
	dma->sge_offset = 0;
	dma->sge[0].addr = addr;
	dma->sge[0].length = len;
	dma->sge[0].lkey = lkey;
	return copy_data(to_rpd(t->pd),
			 dir == RXE_TO_MR_OBJ ? IB_ACCESS_LOCAL_WRITE : 0, dma,
			 t->out, len, dir);
}

/* The whole buffer gathered through one SGE naming @lkey. */
static int rxe_it_gather(struct rxe_it *t, u64 addr, u32 lkey)
{
	return rxe_it_copy(t, addr, lkey, RXE_IT_LEN, RXE_FROM_MR_OBJ);
}

/*
 * A fast (IB_MR_TYPE_MEM_REG) MR over t->buf, the direct twin of the
 * indirect MRs below, made VALID as IB_WR_REG_MR would.  rxe uses
 * virtual DMA: the mapped address of the buffer is its kernel address.
 */
static struct ib_mr *rxe_it_fast(struct kunit *test)
{
	struct rxe_it *t = test->priv;
	struct ib_mr *mr = ib_alloc_mr(t->pd, IB_MR_TYPE_MEM_REG, 2);
	struct scatterlist sg;
	struct rxe_mr *rmr;

	KUNIT_ASSERT_FALSE(test, IS_ERR(mr));
	sg_init_one(&sg, t->buf, RXE_IT_LEN);
	KUNIT_ASSERT_EQ(test, ib_dma_map_sg(t->dev, &sg, 1,
					    DMA_BIDIRECTIONAL), 1);
	KUNIT_ASSERT_EQ(test, ib_map_mr_sg(mr, &sg, 1, NULL, PAGE_SIZE), 1);
	KUNIT_ASSERT_EQ(test, mr->iova, (u64)(uintptr_t)t->buf);
	KUNIT_ASSERT_EQ(test, mr->length, RXE_IT_LEN);
	rmr = to_rmr(mr);
	rmr->access = IB_ACCESS_LOCAL_WRITE;
	rmr->state = RXE_MR_STATE_VALID;
	return mr;
}

/*
 * An indirect MR over one entry {@addr, RXE_IT_LEN, @lkey}, made VALID
 * as IB_WR_REG_MR would (no QP needed for what is tested here).
 */
static struct ib_mr *rxe_it_indirect(struct kunit *test, u64 addr, u32 lkey)
{
	struct rxe_it *t = test->priv;
	struct ib_sge sge = { .addr = addr, .length = RXE_IT_LEN,
			      .lkey = lkey };
	struct ib_mr *mr = ib_alloc_mr(t->pd, IB_MR_TYPE_INDIRECT, 1);
	struct rxe_mr *rmr;

	KUNIT_ASSERT_FALSE(test, IS_ERR(mr));
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, &sge, 1, 0x10000), 1);
	rmr = to_rmr(mr);
	KUNIT_EXPECT_EQ(test, rxe_ind_reg(rmr), 0);
	rmr->access = IB_ACCESS_LOCAL_WRITE;
	rmr->state = RXE_MR_STATE_VALID;
	return mr;
}

/*
 * @len bytes gathered and scattered at @iova through the indirect lkey
 * @lkey, and through the direct SGE {@daddr, @len, @dlkey} with the same
 * fault: the same errno, the direct one failing.  The scatter writes
 * nothing into t->buf.
 */
static void rxe_it_expect_alike(struct kunit *test, u64 iova, u32 lkey,
				u64 daddr, u32 dlkey, u32 len, const char *what)
{
	static const enum rxe_mr_copy_dir dirs[] = {
		RXE_FROM_MR_OBJ, RXE_TO_MR_OBJ,
	};
	struct rxe_it *t = test->priv;
	u8 model[RXE_IT_LEN];
	int i, direct, indirect;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		const char *op = dirs[i] == RXE_TO_MR_OBJ ? "scatter" :
							    "gather";

		memset(t->out, 0xa5, RXE_IT_LEN);
		memcpy(model, t->buf, RXE_IT_LEN);
		direct = rxe_it_copy(t, daddr, dlkey, len, dirs[i]);
		indirect = rxe_it_copy(t, iova, lkey, len, dirs[i]);
		KUNIT_EXPECT_LT_MSG(test, direct, 0,
				    "%s: the direct %s succeeded", what, op);
		KUNIT_EXPECT_EQ_MSG(test, indirect, direct,
				    "%s: %s through the indirect MR", what, op);
		KUNIT_EXPECT_EQ_MSG(test, memcmp(t->buf, model, RXE_IT_LEN), 0,
				    "%s: the failed %s wrote", what, op);
	}
}

/*
 * An entry whose lkey names no MR fails a gather or scatter with the
 * errno of the same lkey in a direct SGE (copy_data()'s -EINVAL, from
 * which the requester's gather sets IB_WC_LOC_QP_OP_ERR).
 */
static void rxe_ind_bad_lkey_like_direct(struct kunit *test)
{
	struct rxe_it *t = test->priv;
	u64 addr = (uintptr_t)t->buf;
	u32 bad = t->pd->local_dma_lkey ^ 0xffff00;
	struct ib_mr *mr = rxe_it_indirect(test, addr, bad);

	rxe_it_expect_alike(test, 0x10000, mr->lkey, addr, bad, RXE_IT_LEN,
			    "an entry's lkey names no MR");
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
}

/*
 * An access one byte past the end, or starting one byte before the
 * start, of an indirect MR fails as the same access to a fast MR of the
 * same length (mr_check_range()'s errno), through an lkey (copy_data())
 * and in the responder's range check of an rkey (mr_check_range(), which
 * calls rxe_ind_check_range() for an indirect MR).
 */
static void rxe_ind_outside_mr_like_direct(struct kunit *test)
{
	struct rxe_it *t = test->priv;
	struct ib_mr *fmr = rxe_it_fast(test);
	struct ib_mr *mr = rxe_it_indirect(test, fmr->iova, fmr->lkey);

	KUNIT_EXPECT_EQ(test, rxe_it_gather(t, 0x10000, mr->lkey), 0);
	KUNIT_EXPECT_EQ(test, rxe_it_gather(t, fmr->iova, fmr->lkey), 0);
	rxe_it_expect_alike(test, 0x10001, mr->lkey, fmr->iova + 1,
			    fmr->lkey, RXE_IT_LEN, "one byte past the end");
	rxe_it_expect_alike(test, 0x10000 - 1, mr->lkey, fmr->iova - 1,
			    fmr->lkey, RXE_IT_LEN, "one byte before the start");
	KUNIT_EXPECT_EQ(test,
			rxe_ind_check_range(to_rmr(mr), 0x10001, RXE_IT_LEN),
			rxe_it_gather(t, fmr->iova + 1, fmr->lkey));
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(fmr), 0);
}

/*
 * An entry one byte longer than what its referenced fast MR covers fails
 * an access that touches that byte as the same SGE used directly fails
 * (rule A2); an access that stops short of it succeeds, as directly.
 */
static void rxe_ind_entry_outside_ref_like_direct(struct kunit *test)
{
	struct rxe_it *t = test->priv;
	struct ib_mr *fmr = rxe_it_fast(test);
	struct ib_mr *mr = rxe_it_indirect(test, fmr->iova + 1, fmr->lkey);

	rxe_it_expect_alike(test, 0x10000, mr->lkey, fmr->iova + 1,
			    fmr->lkey, RXE_IT_LEN,
			    "an entry one byte past its MR");
	KUNIT_EXPECT_EQ(test, rxe_it_copy(t, fmr->iova + 1, fmr->lkey,
					  RXE_IT_LEN - 1, RXE_FROM_MR_OBJ), 0);
	KUNIT_EXPECT_EQ(test, rxe_it_copy(t, 0x10000, mr->lkey,
					  RXE_IT_LEN - 1, RXE_FROM_MR_OBJ), 0);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(fmr), 0);
}

/* A positive control: the same gather through a good entry works. */
static void rxe_ind_good_entry_gathers(struct kunit *test)
{
	struct rxe_it *t = test->priv;
	u64 addr = (uintptr_t)t->buf;
	struct ib_mr *mr = rxe_it_indirect(test, addr,
					   t->pd->local_dma_lkey);
	int i;

	for (i = 0; i < RXE_IT_LEN; i++)
		t->buf[i] = i * 7 + 1;
	memset(t->out, 0, RXE_IT_LEN);
	KUNIT_EXPECT_EQ(test, rxe_it_gather(t, 0x10000, mr->lkey), 0);
	KUNIT_EXPECT_EQ(test, memcmp(t->out, t->buf, RXE_IT_LEN), 0);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
}

static struct kunit_case rxe_indirect_cases[] = {
	KUNIT_CASE(rxe_ind_good_entry_gathers),
	KUNIT_CASE(rxe_ind_bad_lkey_like_direct),
	KUNIT_CASE(rxe_ind_outside_mr_like_direct),
	KUNIT_CASE(rxe_ind_entry_outside_ref_like_direct),
	{}
};

static struct kunit_suite rxe_indirect_suite = {
	.name = "rxe_indirect",
	.init = rxe_it_init,
	.exit = rxe_it_exit,
	.test_cases = rxe_indirect_cases,
};

kunit_test_suite(rxe_indirect_suite);

MODULE_DESCRIPTION("White-box KUnit tests of rxe's indirect MRs");
MODULE_LICENSE("Dual BSD/GPL");
