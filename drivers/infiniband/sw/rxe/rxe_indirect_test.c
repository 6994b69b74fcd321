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
 * The cases of rule S5 hold what a work request could only race with: an
 * access in flight (rxe_ind_get_live()) or a map in progress (the two
 * halves of a map, rxe_ind_pick() and rxe_ind_commit()).  Two more run
 * maps from kernel threads against each other and against IB_WR_REG_MR.
 * Each checks the list it leaves live by the bytes a gather through the
 * MR's lkey returns.
 *
 * Load after the device exists, e.g. after
 * 'rdma link add rxe0 type rxe netdev dummy0':
 * 'modprobe rxe_indirect_test ibdev=rxe0'.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <rdma/ib_sge_walk.h>

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

/*
 * The PD and the device, released as a KUnit action rather than by the
 * suite's exit: KUnit runs the exit before a case's actions, and the
 * MRs a case frees in its actions (rxe_ib_cell_free()) hold the PD.
 * Actions run last registered first, so this one runs after them.
 */
static void rxe_it_release(void *data)
{
	struct rxe_it *t = data;

	if (!IS_ERR_OR_NULL(t->pd))
		ib_dealloc_pd(t->pd);
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
	if (kunit_add_action_or_reset(test, rxe_it_release, t))
		return -ENOMEM;
	t->pd = ib_alloc_pd(t->dev, 0);
	t->buf = kunit_kmalloc(test, RXE_IT_LEN, GFP_KERNEL);
	t->out = kunit_kmalloc(test, RXE_IT_LEN, GFP_KERNEL);
	t->dma = kunit_kzalloc(test, struct_size(t->dma, sge, 1), GFP_KERNEL);
	if (IS_ERR(t->pd) || !t->buf || !t->out || !t->dma)
		return -ENOMEM;
	return 0;
}

/* A fresh cursor over @nsge SGEs of @len bytes in all, for copy_data() */
static void rxe_it_dma_init(struct rxe_dma_info *dma, u32 len, u32 nsge)
{
	dma->length = len;
	dma->resid = len;
	dma->num_sge = nsge;
	dma->cur_sge = 0;
	dma->sge_offset = 0;
}

/*
 * copy_data() of @len bytes through one SGE {@addr, @len, @lkey}, with
 * the rights its callers ask: none to gather (the requester, from the
 * MR), local write to scatter (a receive or READ response, into the MR).
 * @other (t->out for rxe_it_copy()) is the other side of the copy.
 */
static int rxe_it_copy_one(struct rxe_pd *pd, struct rxe_dma_info *dma,
			   u64 addr, u32 lkey, u32 len,
			   enum rxe_mr_copy_dir dir, void *other)
{
	rxe_it_dma_init(dma, len, 1);
	dma->sge[0].addr = addr;
	dma->sge[0].length = len;
	dma->sge[0].lkey = lkey;
	return copy_data(pd, dir == RXE_TO_MR_OBJ ? IB_ACCESS_LOCAL_WRITE : 0,
			 dma, other, len, dir);
}

static int rxe_it_copy_at(struct rxe_it *t, u64 addr, u32 lkey, u32 len,
			  enum rxe_mr_copy_dir dir, void *other)
{
	return rxe_it_copy_one(to_rpd(t->pd), t->dma, addr, lkey, len, dir,
			       other);
}

static int rxe_it_copy(struct rxe_it *t, u64 addr, u32 lkey, u32 len,
		       enum rxe_mr_copy_dir dir)
{
	return rxe_it_copy_at(t, addr, lkey, len, dir, t->out);
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

/*
 * Rule S5 and rxe's staging: an indirect MR has two lists; a map stages
 * into one that is neither live nor read by an access in flight, and
 * IB_WR_REG_MR makes the staged one live.  The lists below map pieces of
 * a buffer whose bytes all differ, each list with another length, so a
 * gather of the live list tells which list it is.
 */
#define RXE_IT_BUF	256
#define RXE_IT_IOVA	0x20000
#define RXE_IT_ENTRIES	4	/* max_num_sg of the MRs below */
#define RXE_IT_ROUNDS	200	/* of the cases with kernel threads */
#define RXE_IT_WAIT	(30 * HZ)	/* for a round: a debug kernel under TCG */

struct rxe_it_list {
	const char	*name;
	const u32	(*pieces)[2];	/* (offset, length), in order */
	int		n;
};

static const u32 rxe_it_pa[][2] = { { 3, 20 }, { 100, 12 } };
static const u32 rxe_it_pb[][2] = { { 50, 7 }, { 200, 33 }, { 130, 1 } };
static const u32 rxe_it_pc[][2] = { { 7, 50 } };
static const u32 rxe_it_pd[][2] = { { 240, 16 }, { 0, 9 } };

/* 32, 41, 50 and 25 bytes: at most RXE_IT_LEN, the gather buffer */
static const struct rxe_it_list rxe_it_a = { "A", rxe_it_pa, ARRAY_SIZE(rxe_it_pa) };
static const struct rxe_it_list rxe_it_b = { "B", rxe_it_pb, ARRAY_SIZE(rxe_it_pb) };
static const struct rxe_it_list rxe_it_c = { "C", rxe_it_pc, ARRAY_SIZE(rxe_it_pc) };
static const struct rxe_it_list rxe_it_d = { "D", rxe_it_pd, ARRAY_SIZE(rxe_it_pd) };

/* The bytes of @l, and if @model is not NULL their model in it. */
static u32 rxe_it_model(const u8 *buf, const struct rxe_it_list *l,
			u8 *model)
{
	u32 pos = 0;
	int i;

	for (i = 0; i < l->n; i++) {
		if (model)
			memcpy(model + pos, buf + l->pieces[i][0],
			       l->pieces[i][1]);
		pos += l->pieces[i][1];
	}
	return pos;
}

/* The buffer the lists map: byte i is i * 7 + 1, all 256 differ. */
static u8 *rxe_it_pattern(struct kunit *test)
{
	u8 *buf = kunit_kmalloc(test, RXE_IT_BUF, GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < RXE_IT_BUF; i++)
		buf[i] = i * 7 + 1;
	return buf;
}

static struct ib_mr *rxe_it_alloc(struct kunit *test)
{
	struct rxe_it *t = test->priv;
	struct ib_mr *mr = ib_alloc_mr(t->pd, IB_MR_TYPE_INDIRECT,
				       RXE_IT_ENTRIES);

	KUNIT_ASSERT_FALSE(test, IS_ERR(mr));
	return mr;
}

/* The entries of @l in @buf, under the DMA lkey (rxe: virtual DMA). */
static void rxe_it_entries(struct ib_mr *mr, const u8 *buf,
			   const struct rxe_it_list *l, struct ib_sge *sge)
{
	int i;

	for (i = 0; i < l->n; i++)
		sge[i] = (struct ib_sge){
			.addr = (uintptr_t)buf + l->pieces[i][0],
			.length = l->pieces[i][1],
			.lkey = mr->pd->local_dma_lkey,
		};
}

/*
 * Map @l with ib_map_mr_sge() at RXE_IT_IOVA, or with ib_map_mr_sg() of
 * a scatterlist (at the address of its first byte) if @by_sg.  Reports
 * nothing: kernel threads call it.
 */
static int rxe_it_map(struct ib_mr *mr, const u8 *buf,
		      const struct rxe_it_list *l, bool by_sg)
{
	struct scatterlist sg[RXE_IT_ENTRIES];
	struct ib_sge sge[RXE_IT_ENTRIES];
	int i;

	if (WARN_ON(l->n > RXE_IT_ENTRIES))
		return -E2BIG;
	rxe_it_entries(mr, buf, l, sge);
	if (!by_sg)
		return ib_map_mr_sge(mr, sge, l->n, RXE_IT_IOVA);
	sg_init_table(sg, l->n);
	for (i = 0; i < l->n; i++) {
		sg_dma_address(&sg[i]) = sge[i].addr;
		sg_dma_len(&sg[i]) = sge[i].length;
	}
	return ib_map_mr_sg(mr, sg, l->n, NULL, PAGE_SIZE);
}

/*
 * IB_WR_REG_MR at RXE_IT_IOVA (rule S2 lets the ULP set the iova after
 * the map), as rxe_reg_fast_mr() does it; the keys stay.
 */
static int rxe_it_reg(struct ib_mr *mr)
{
	struct rxe_mr *rmr = to_rmr(mr);
	int err;

	mr->iova = RXE_IT_IOVA;
	err = rxe_ind_reg(rmr);
	if (!err) {
		rmr->access = IB_ACCESS_LOCAL_WRITE;
		rmr->state = RXE_MR_STATE_VALID;
	}
	return err;
}

/* IB_WR_LOCAL_INV, as rxe_invalidate_mr() does it. */
static void rxe_it_inv(struct ib_mr *mr)
{
	rxe_ind_invalidate(to_rmr(mr));
	to_rmr(mr)->state = RXE_MR_STATE_FREE;
}

/* Whether the MR is FREE: not even its first byte can be accessed. */
static bool rxe_it_free(struct ib_mr *mr)
{
	return rxe_ind_check_range(to_rmr(mr), RXE_IT_IOVA, 1) == -EINVAL;
}

/*
 * Whether the live list of @mr is exactly @l: as long as @l from
 * RXE_IT_IOVA, not a byte longer, and a gather of it through the lkey
 * returns the pieces of @l.  Reports nothing.
 */
static bool rxe_it_live_is(struct kunit *test, struct ib_mr *mr,
			   const u8 *buf, const struct rxe_it_list *l)
{
	struct rxe_it *t = test->priv;
	struct rxe_mr *rmr = to_rmr(mr);
	u8 model[RXE_IT_LEN];
	u32 len = rxe_it_model(buf, l, model);

	if (rxe_ind_check_range(rmr, RXE_IT_IOVA, len) ||
	    !rxe_ind_check_range(rmr, RXE_IT_IOVA, len + 1))
		return false;
	memset(t->out, 0, RXE_IT_LEN);
	return !rxe_it_copy(t, RXE_IT_IOVA, mr->lkey, len, RXE_FROM_MR_OBJ) &&
	       !memcmp(t->out, model, len);
}

static void rxe_it_expect_live(struct kunit *test, struct ib_mr *mr,
			       const u8 *buf, const struct rxe_it_list *l,
			       const char *what)
{
	KUNIT_EXPECT_TRUE_MSG(test, rxe_it_live_is(test, mr, buf, l),
			      "%s: the live list is not %s", what, l->name);
}

/* The entries of @list are those of @l. */
static void rxe_it_expect_entries(struct kunit *test, struct ib_mr *mr,
				  const struct ib_sge_list *list,
				  const u8 *buf, const struct rxe_it_list *l)
{
	struct ib_sge sge[RXE_IT_ENTRIES];
	int i;

	rxe_it_entries(mr, buf, l, sge);
	KUNIT_EXPECT_EQ(test, list->length, rxe_it_model(buf, l, NULL));
	KUNIT_EXPECT_EQ(test, list->nents, l->n);
	if (list->nents != l->n)
		return;
	for (i = 0; i < l->n; i++) {
		KUNIT_EXPECT_EQ(test, list->sge[i].addr, sge[i].addr);
		KUNIT_EXPECT_EQ(test, list->sge[i].length, sge[i].length);
		KUNIT_EXPECT_EQ(test, list->sge[i].lkey, sge[i].lkey);
	}
}

/*
 * Rule S5: when every list of the MR is live or read by an access in
 * flight, both map calls fail with -EBUSY and change nothing: not
 * mr->iova, mr->length, the keys or *sg_offset, not the live list, not
 * the staged one (a REG_MR after LOCAL_INV installs it again), not the
 * list being read.  After LOCAL_INV a map succeeds again, and once the
 * access ends the list it read is staged into.
 */
static void rxe_ind_map_busy(struct kunit *test)
{
	u8 *buf = rxe_it_pattern(test);
	struct ib_mr *mr = rxe_it_alloc(test);
	struct rxe_ind *ind = to_rmr(mr)->ind;
	u32 lkey = mr->lkey, rkey = mr->rkey;
	struct ib_sge_list *held;
	unsigned int sg_offset = 3;
	struct scatterlist sg;
	u64 iova, length, off;
	int idx;

	KUNIT_ASSERT_EQ(test, rxe_it_map(mr, buf, &rxe_it_a, false),
			rxe_it_a.n);
	KUNIT_ASSERT_EQ(test, rxe_it_reg(mr), 0);
	/* an access through A in flight, as a packet being copied holds it */
	held = rxe_ind_get_live(ind, RXE_IT_IOVA, &idx, &off);
	KUNIT_ASSERT_NOT_NULL(test, held);
	KUNIT_EXPECT_EQ(test, off, 0);

	/* LOCAL_INV, map B, REG_MR: B is live in the other list */
	rxe_it_inv(mr);
	KUNIT_EXPECT_EQ(test, rxe_it_map(mr, buf, &rxe_it_b, false),
			rxe_it_b.n);
	KUNIT_EXPECT_EQ(test, rxe_it_reg(mr), 0);
	rxe_it_expect_live(test, mr, buf, &rxe_it_b, "B registered");

	/* both lists busy */
	iova = mr->iova;
	length = mr->length;
	KUNIT_EXPECT_EQ(test, rxe_it_map(mr, buf, &rxe_it_c, false), -EBUSY);
	sg_init_table(&sg, 1);
	sg_dma_address(&sg) = (uintptr_t)buf;
	sg_dma_len(&sg) = 16;
	KUNIT_EXPECT_EQ(test, ib_map_mr_sg(mr, &sg, 1, &sg_offset, PAGE_SIZE),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, sg_offset, 3);
	KUNIT_EXPECT_EQ(test, mr->iova, iova);
	KUNIT_EXPECT_EQ(test, mr->length, length);
	KUNIT_EXPECT_EQ(test, mr->lkey, lkey);
	KUNIT_EXPECT_EQ(test, mr->rkey, rkey);
	rxe_it_expect_live(test, mr, buf, &rxe_it_b, "after -EBUSY");
	rxe_it_expect_entries(test, mr, held, buf, &rxe_it_a);
	rxe_it_inv(mr);
	KUNIT_EXPECT_EQ(test, rxe_it_reg(mr), 0);
	rxe_it_expect_live(test, mr, buf, &rxe_it_b,
			   "the staged list after -EBUSY, registered again");

	/* recovery: after LOCAL_INV, B's list is free to stage into */
	rxe_it_inv(mr);
	KUNIT_EXPECT_EQ(test, rxe_it_map(mr, buf, &rxe_it_c, true),
			rxe_it_c.n);
	KUNIT_EXPECT_EQ(test, rxe_it_reg(mr), 0);
	rxe_it_expect_live(test, mr, buf, &rxe_it_c, "C registered");
	rxe_it_expect_entries(test, mr, held, buf, &rxe_it_a);

	/* the access ends: a map while C is live stages into A's list */
	rxe_ind_put_live(ind, idx);
	KUNIT_EXPECT_EQ(test, rxe_it_map(mr, buf, &rxe_it_d, false),
			rxe_it_d.n);
	rxe_it_expect_live(test, mr, buf, &rxe_it_c, "C while D is staged");
	rxe_it_inv(mr);
	KUNIT_EXPECT_EQ(test, rxe_it_reg(mr), 0);
	rxe_it_expect_live(test, mr, buf, &rxe_it_d, "D registered");
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
}

/*
 * Rule S5: map calls on one MR must not overlap.  rxe refuses a map while
 * another runs with -EBUSY, both map calls alike, and changes nothing;
 * the map that runs ends as if alone, and maps work again after it.
 */
static void rxe_ind_map_during_map(struct kunit *test)
{
	u8 *buf = rxe_it_pattern(test);
	struct ib_mr *mr = rxe_it_alloc(test);
	struct rxe_ind *ind = to_rmr(mr)->ind;
	u64 iova, length;
	int i;

	KUNIT_ASSERT_EQ(test, rxe_it_map(mr, buf, &rxe_it_a, false),
			rxe_it_a.n);
	iova = mr->iova;
	length = mr->length;
	i = rxe_ind_pick(ind);			/* a map begins */
	KUNIT_ASSERT_GE(test, i, 0);
	KUNIT_EXPECT_EQ(test, rxe_it_map(mr, buf, &rxe_it_b, false), -EBUSY);
	KUNIT_EXPECT_EQ(test, rxe_it_map(mr, buf, &rxe_it_b, true), -EBUSY);
	KUNIT_EXPECT_EQ(test, mr->iova, iova);
	KUNIT_EXPECT_EQ(test, mr->length, length);
	rxe_ind_commit(ind, i, false);		/* it ends, writing nothing */

	KUNIT_EXPECT_EQ(test, rxe_it_reg(mr), 0);
	rxe_it_expect_live(test, mr, buf, &rxe_it_a, "after two refused maps");
	KUNIT_EXPECT_EQ(test, rxe_it_map(mr, buf, &rxe_it_b, true),
			rxe_it_b.n);
	rxe_it_inv(mr);
	KUNIT_EXPECT_EQ(test, rxe_it_reg(mr), 0);
	rxe_it_expect_live(test, mr, buf, &rxe_it_b, "B registered");
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
}

/*
 * An IB_WR_REG_MR that executes while a map of the same MR runs breaks
 * rule S5, and rxe defines what happens (the contract's rxe section, "Map
 * calls"): it fails, leaving the MR FREE, if that map rewrites the staged
 * list (the other list is live, as after a map while VALID); otherwise it
 * installs the staged list, never the one being written.
 */
static void rxe_ind_reg_meets_map(struct kunit *test)
{
	u8 *buf = rxe_it_pattern(test);
	struct ib_mr *mr = rxe_it_alloc(test);
	struct rxe_ind *ind = to_rmr(mr)->ind;
	int i;

	KUNIT_ASSERT_EQ(test, rxe_it_map(mr, buf, &rxe_it_a, false),
			rxe_it_a.n);
	KUNIT_ASSERT_EQ(test, rxe_it_reg(mr), 0);
	KUNIT_ASSERT_EQ(test, rxe_it_map(mr, buf, &rxe_it_b, false),
			rxe_it_b.n);

	/* A is live, B staged: a map now rewrites B's list */
	i = rxe_ind_pick(ind);
	KUNIT_ASSERT_GE(test, i, 0);
	rxe_it_inv(mr);				/* LOCAL_INV, REG_MR meet it */
	KUNIT_EXPECT_EQ(test, rxe_it_reg(mr), -EBUSY);
	KUNIT_EXPECT_TRUE(test, rxe_it_free(mr));
	rxe_ind_commit(ind, i, false);
	KUNIT_EXPECT_EQ(test, rxe_it_reg(mr), 0);
	rxe_it_expect_live(test, mr, buf, &rxe_it_b,
			   "the staged list after the failed REG_MR");

	/* FREE, B staged: a map now writes A's list; REG_MR installs B */
	rxe_it_inv(mr);
	i = rxe_ind_pick(ind);
	KUNIT_ASSERT_GE(test, i, 0);
	KUNIT_EXPECT_EQ(test, rxe_it_reg(mr), 0);
	rxe_it_expect_live(test, mr, buf, &rxe_it_b,
			   "REG_MR during a map of the other list");
	rxe_ind_commit(ind, i, false);

	/* after the REG_MR, maps stage as usual */
	KUNIT_EXPECT_EQ(test, rxe_it_map(mr, buf, &rxe_it_c, false),
			rxe_it_c.n);
	rxe_it_inv(mr);
	KUNIT_EXPECT_EQ(test, rxe_it_reg(mr), 0);
	rxe_it_expect_live(test, mr, buf, &rxe_it_c, "C registered");
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
}

/* A kernel thread mapping one MR; see the two cases below. */
struct rxe_it_mapper {
	struct ib_mr			*mr;
	const u8			*buf;
	const struct rxe_it_list	*list[2];
	bool				by_sg;
	atomic_t			*go;	/* rounds released */
	atomic_t			done;	/* rounds mapped */
	int				result[RXE_IT_ROUNDS];
	int				bad;	/* first result not allowed */
	unsigned long			maps;
	struct task_struct		*task;
};

/* One map of list[0] per round the test releases. */
static int rxe_it_round_mapper(void *data)
{
	struct rxe_it_mapper *m = data;
	int r = 0;

	while (!kthread_should_stop()) {
		if (r == RXE_IT_ROUNDS || atomic_read_acquire(m->go) <= r) {
			cond_resched();
			continue;
		}
		m->result[r] = rxe_it_map(m->mr, m->buf, m->list[0], m->by_sg);
		atomic_set_release(&m->done, ++r);
	}
	return 0;
}

/* Map list[0] and list[1] in turn until stopped. */
static int rxe_it_busy_mapper(void *data)
{
	struct rxe_it_mapper *m = data;
	const struct rxe_it_list *l;
	int ret;

	while (!kthread_should_stop()) {
		l = m->list[m->maps++ & 1];
		ret = rxe_it_map(m->mr, m->buf, l, m->by_sg);
		if (ret != l->n && ret != -EBUSY && !m->bad)
			m->bad = ret ?: -EIO;
		cond_resched();
	}
	return 0;
}

static int rxe_it_start(struct rxe_it_mapper *m, int (*fn)(void *),
			const char *name)
{
	m->task = kthread_run(fn, m, "%s", name);
	return PTR_ERR_OR_ZERO(m->task);
}

/*
 * Two kernel threads map the same FREE MR at once, round after round,
 * one A with ib_map_mr_sge(), the other B with ib_map_mr_sg().  That
 * breaks rule S5; on rxe each call returns its entry count or -EBUSY (the
 * documented transient errno, for a map that meets the other), at least
 * one succeeds, and the REG_MR that follows installs exactly A or B,
 * whichever succeeded if only one did; never a mix of the two.
 */
static void rxe_ind_concurrent_maps(struct kunit *test)
{
	u8 *buf = rxe_it_pattern(test);
	struct ib_mr *mr = rxe_it_alloc(test);
	struct rxe_it_mapper *m = kunit_kcalloc(test, 2, sizeof(*m),
						GFP_KERNEL);
	unsigned long end;
	int r, i, ret[2], overlaps = 0;
	bool is_a, is_b;
	atomic_t go;

	KUNIT_ASSERT_NOT_NULL(test, m);
	atomic_set(&go, 0);
	for (i = 0; i < 2; i++) {
		m[i].mr = mr;
		m[i].buf = buf;
		m[i].list[0] = i ? &rxe_it_b : &rxe_it_a;
		m[i].by_sg = i;
		m[i].go = &go;
		atomic_set(&m[i].done, 0);
	}
	if (rxe_it_start(&m[0], rxe_it_round_mapper, "rxe_it_map_a") ||
	    rxe_it_start(&m[1], rxe_it_round_mapper, "rxe_it_map_b")) {
		if (!IS_ERR(m[0].task))
			kthread_stop(m[0].task);
		KUNIT_FAIL_AND_ABORT(test, "cannot start the mapping threads");
	}

	for (r = 0; r < RXE_IT_ROUNDS; r++) {
		atomic_set_release(&go, r + 1);
		end = jiffies + RXE_IT_WAIT;
		while ((atomic_read_acquire(&m[0].done) <= r ||
			atomic_read_acquire(&m[1].done) <= r) &&
		       time_before(jiffies, end))
			usleep_range(10, 50);
		if (atomic_read_acquire(&m[0].done) <= r ||
		    atomic_read_acquire(&m[1].done) <= r) {
			KUNIT_FAIL(test, "round %d: a map did not return", r);
			break;
		}
		for (i = 0; i < 2; i++) {
			ret[i] = m[i].result[r];
			KUNIT_EXPECT_TRUE_MSG(test, ret[i] == m[i].list[0]->n ||
					      ret[i] == -EBUSY,
					      "round %d: map of %s: %d", r,
					      m[i].list[0]->name, ret[i]);
		}
		KUNIT_EXPECT_FALSE_MSG(test, ret[0] < 0 && ret[1] < 0,
				       "round %d: both maps failed", r);
		overlaps += ret[0] < 0 || ret[1] < 0;
		KUNIT_EXPECT_EQ_MSG(test, rxe_it_reg(mr), 0, "round %d", r);
		is_a = rxe_it_live_is(test, mr, buf, &rxe_it_a);
		is_b = rxe_it_live_is(test, mr, buf, &rxe_it_b);
		KUNIT_EXPECT_TRUE_MSG(test, is_a || is_b,
				      "round %d: the live list is neither A nor B",
				      r);
		KUNIT_EXPECT_TRUE_MSG(test, ret[0] == m[0].list[0]->n || is_b,
				      "round %d: only B mapped, A is live", r);
		KUNIT_EXPECT_TRUE_MSG(test, ret[1] == m[1].list[0]->n || is_a,
				      "round %d: only A mapped, B is live", r);
		rxe_it_inv(mr);
		if (!(is_a || is_b) || (ret[0] < 0 && ret[1] < 0))
			break;
	}
	for (i = 0; i < 2; i++)
		kthread_stop(m[i].task);
	kunit_info(test, "%d rounds, %d with one map refused (-EBUSY)", r,
		   overlaps);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
}

/*
 * A kernel thread maps A and B in turn, without pause, while the test
 * posts (in effect) LOCAL_INV and REG_MR again and again, breaking rule
 * S5.  Each REG_MR either succeeds or, when it meets a map rewriting the
 * staged list, fails with the MR left FREE (the contract's rxe section).
 * After a success the live list is exactly A or B, and stays so (rule
 * A8) while the maps go on.
 */
static void rxe_ind_reg_races_map(struct kunit *test)
{
	u8 *buf = rxe_it_pattern(test);
	struct ib_mr *mr = rxe_it_alloc(test);
	struct rxe_it_mapper *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	int r, err, refused = 0;
	bool ok = true;

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_EQ(test, rxe_it_map(mr, buf, &rxe_it_a, false),
			rxe_it_a.n);
	m->mr = mr;
	m->buf = buf;
	m->list[0] = &rxe_it_b;
	m->list[1] = &rxe_it_a;
	/* ib_map_mr_sge() only: every map sets the same mr->iova */
	m->by_sg = false;
	if (rxe_it_start(m, rxe_it_busy_mapper, "rxe_it_remap"))
		KUNIT_FAIL_AND_ABORT(test, "cannot start the mapping thread");

	for (r = 0; r < RXE_IT_ROUNDS && ok; r++) {
		rxe_it_inv(mr);
		err = rxe_it_reg(mr);
		if (err == -EBUSY) {
			refused++;
			ok = rxe_it_free(mr);
			KUNIT_EXPECT_TRUE_MSG(test, ok,
					      "round %d: MR not FREE after a failed REG_MR",
					      r);
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(test, err, 0, "round %d", r);
		ok = !err && (rxe_it_live_is(test, mr, buf, &rxe_it_a) ||
			      rxe_it_live_is(test, mr, buf, &rxe_it_b));
		KUNIT_EXPECT_TRUE_MSG(test, ok,
				      "round %d: the live list is neither A nor B",
				      r);
	}
	kthread_stop(m->task);
	KUNIT_EXPECT_EQ_MSG(test, m->bad, 0, "a map returned %d", m->bad);
	kunit_info(test, "%d REG_MRs during %lu maps, %d met a map rewriting the staged list",
		   r, m->maps, refused);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
}

/*
 * A kernel thread gathering the first RXE_IT_READ bytes of the MR through
 * its lkey over and over, as the requester would, sorting what it got.
 */
#define RXE_IT_READ	32	/* both A and B are longer */

struct rxe_it_reader {
	struct ib_mr		*mr;
	struct rxe_pd		*pd;
	struct rxe_dma_info	*dma;
	u8			out[RXE_IT_READ];
	u8			model[2][RXE_IT_READ];	/* A, B */
	unsigned long		reads;
	unsigned long		seen[2];		/* A, B */
	unsigned long		refused;		/* no live list */
	unsigned long		torn;			/* neither */
	int			bad;			/* other errnos */
	struct task_struct	*task;
};

static int rxe_it_read_loop(void *data)
{
	struct rxe_it_reader *rd = data;
	struct rxe_dma_info *dma = rd->dma;
	int err;

	while (!kthread_should_stop()) {
		memset(rd->out, 0, RXE_IT_READ);
		err = rxe_it_copy_one(rd->pd, dma, RXE_IT_IOVA, rd->mr->lkey,
				      RXE_IT_READ, RXE_FROM_MR_OBJ, rd->out);
		if (err == -EINVAL)
			rd->refused++;
		else if (err && !rd->bad)
			rd->bad = err;
		else if (!memcmp(rd->out, rd->model[0], RXE_IT_READ))
			rd->seen[0]++;
		else if (!memcmp(rd->out, rd->model[1], RXE_IT_READ))
			rd->seen[1]++;
		else
			rd->torn++;
		WRITE_ONCE(rd->reads, rd->reads + 1);
		cond_resched();
	}
	return 0;
}

/*
 * Accesses take the live list without a lock (rxe_ind_get_live()): while
 * a kernel thread gathers through the MR, the test maps A and B in turn
 * into the list that is not live, makes it live with REG_MR and now and
 * then invalidates the MR, waiting for a few gathers after each step.
 * Every gather returns the bytes of A, those of B, or -EINVAL while the MR
 * is not VALID; never a mix, which a map rewriting a list that an access
 * had taken would give.
 */
static void rxe_ind_access_races_reg(struct kunit *test)
{
	struct rxe_it *t = test->priv;
	u8 *buf = rxe_it_pattern(test);
	struct ib_mr *mr = rxe_it_alloc(test);
	struct rxe_it_reader *rd = kunit_kzalloc(test, sizeof(*rd),
						 GFP_KERNEL);
	const struct rxe_it_list *l;
	u8 model[RXE_IT_LEN];
	unsigned long reads, end;
	int r, ret;

	KUNIT_ASSERT_NOT_NULL(test, rd);
	rd->dma = kunit_kzalloc(test, struct_size(rd->dma, sge, 1),
				GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rd->dma);
	rd->mr = mr;
	rd->pd = to_rpd(t->pd);
	rxe_it_model(buf, &rxe_it_a, model);
	memcpy(rd->model[0], model, RXE_IT_READ);
	rxe_it_model(buf, &rxe_it_b, model);
	memcpy(rd->model[1], model, RXE_IT_READ);
	KUNIT_ASSERT_NE(test, memcmp(rd->model[0], rd->model[1], RXE_IT_READ),
			0);
	KUNIT_ASSERT_EQ(test, rxe_it_map(mr, buf, &rxe_it_a, false),
			rxe_it_a.n);
	KUNIT_ASSERT_EQ(test, rxe_it_reg(mr), 0);
	rd->task = kthread_run(rxe_it_read_loop, rd, "rxe_it_read");
	if (IS_ERR(rd->task))
		KUNIT_FAIL_AND_ABORT(test, "cannot start the reading thread");

	for (r = 0; r < RXE_IT_ROUNDS; r++) {
		if (r % 5 == 4) {
			rxe_it_inv(mr);
		} else {
			l = r & 1 ? &rxe_it_b : &rxe_it_a;
			ret = rxe_it_map(mr, buf, l, false);
			KUNIT_EXPECT_EQ_MSG(test, ret, l->n, "round %d", r);
			KUNIT_EXPECT_EQ_MSG(test, rxe_it_reg(mr), 0,
					    "round %d", r);
		}
		/* a few gathers of this state, or a second */
		reads = READ_ONCE(rd->reads);
		end = jiffies + HZ;
		while (READ_ONCE(rd->reads) < reads + 3 &&
		       time_before(jiffies, end))
			cond_resched();
	}
	kthread_stop(rd->task);
	kunit_info(test, "%lu gathers during %d rounds: %lu A, %lu B, %lu refused, %lu neither",
		   rd->reads, r, rd->seen[0], rd->seen[1], rd->refused,
		   rd->torn);
	KUNIT_EXPECT_EQ(test, rd->torn, 0);
	KUNIT_EXPECT_EQ(test, rd->bad, 0);
	/* the thread saw each state the test made */
	KUNIT_EXPECT_GT(test, rd->seen[0], 0);
	KUNIT_EXPECT_GT(test, rd->seen[1], 0);
	KUNIT_EXPECT_GT(test, rd->refused, 0);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
}

/*
 * ATOMIC WRITE through an indirect MR: rxe_mr_do_atomic_write(), which
 * the responder calls for an rkey of either kind, puts the 8 bytes at
 * the referenced address, as the same write through the referenced fast
 * MR does; a misaligned iova (rule A9's portable half), a referenced
 * address 4 bytes off an aligned iova (its device-defined half: rxe
 * refuses it as a direct misaligned write) and 8 bytes past the end fail
 * with the responder status of the same fault on the fast MR, and write
 * nothing; so does an entry whose MR lacks local write (the right every
 * entry of an atomic needs), for which a direct MR has no equivalent.
 */
static void rxe_ind_atomic_write_like_direct(struct kunit *test)
{
	struct rxe_it *t = test->priv;
	struct ib_mr *fmr = rxe_it_fast(test);
	struct ib_mr *mr = rxe_it_indirect(test, fmr->iova, fmr->lkey);
	struct ib_mr *off = rxe_it_indirect(test, fmr->iova + 4, fmr->lkey);
	const u64 v = 0x1122334455667788ULL;
	u8 model[RXE_IT_LEN];
	u64 got;
	int direct;

	memset(t->buf, 0x5a, RXE_IT_LEN);
	KUNIT_EXPECT_EQ(test, rxe_mr_do_atomic_write(to_rmr(mr), 0x10008, v),
			0);
	KUNIT_EXPECT_EQ(test, rxe_mr_do_atomic_write(to_rmr(fmr),
						     fmr->iova + 16, ~v), 0);
	memcpy(&got, t->buf + 8, sizeof(got));
	KUNIT_EXPECT_EQ(test, got, v);
	memcpy(&got, t->buf + 16, sizeof(got));
	KUNIT_EXPECT_EQ(test, got, ~v);
	KUNIT_EXPECT_EQ(test, t->buf[7], 0x5a);
	KUNIT_EXPECT_EQ(test, t->buf[24], 0x5a);

	memcpy(model, t->buf, RXE_IT_LEN);
	direct = rxe_mr_do_atomic_write(to_rmr(fmr), fmr->iova + 4, v);
	KUNIT_EXPECT_NE(test, direct, 0);
	KUNIT_EXPECT_EQ(test, rxe_mr_do_atomic_write(to_rmr(mr), 0x10004, v),
			direct);
	KUNIT_EXPECT_EQ(test, rxe_mr_do_atomic_write(to_rmr(off), 0x10000, v),
			direct);
	direct = rxe_mr_do_atomic_write(to_rmr(fmr), fmr->iova + RXE_IT_LEN,
					v);
	KUNIT_EXPECT_NE(test, direct, 0);
	KUNIT_EXPECT_EQ(test, rxe_mr_do_atomic_write(to_rmr(mr),
						     0x10000 + RXE_IT_LEN, v),
			direct);
	to_rmr(fmr)->access = 0;
	KUNIT_EXPECT_NE(test, rxe_mr_do_atomic_write(to_rmr(mr), 0x10008, ~v),
			0);
	KUNIT_EXPECT_EQ(test, memcmp(t->buf, model, RXE_IT_LEN), 0);

	KUNIT_EXPECT_EQ(test, ib_dereg_mr(off), 0);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(fmr), 0);
}

/*
 * RDMA FLUSH through an indirect MR (rxe_ind_flush(), the responder's
 * flush of an indirect rkey), both placement types, a range and the whole
 * MR: each entry's MR must have the flush right of the type, as a direct
 * MR must; a persistent flush of a range outside the MR fails as the
 * persistent flush of the same range of a fast MR (rxe_flush_pmem_iova())
 * does, and one of an invalidated MR fails.
 */
static void rxe_ind_flush_rights_like_direct(struct kunit *test)
{
	struct ib_mr *fmr = rxe_it_fast(test);
	struct ib_mr *mr = rxe_it_indirect(test, fmr->iova, fmr->lkey);
	struct rxe_mr *ind = to_rmr(mr), *ref = to_rmr(fmr);
	const u32 g = IB_FLUSH_GLOBAL, p = IB_FLUSH_PERSISTENT;
	int direct;

	ref->access = IB_ACCESS_LOCAL_WRITE;
	KUNIT_EXPECT_EQ(test, rxe_ind_flush(ind, false, 0x10000, RXE_IT_LEN, g),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rxe_ind_flush(ind, true, 0, 0, g), -EINVAL);
	KUNIT_EXPECT_EQ(test, rxe_ind_flush(ind, false, 0x10000, RXE_IT_LEN, p),
			-EINVAL);

	ref->access |= IB_ACCESS_FLUSH_GLOBAL;
	KUNIT_EXPECT_EQ(test, rxe_ind_flush(ind, false, 0x10000, RXE_IT_LEN, g),
			0);
	KUNIT_EXPECT_EQ(test, rxe_ind_flush(ind, true, 0, 0, g), 0);
	KUNIT_EXPECT_EQ(test, rxe_ind_flush(ind, false, 0x10000, RXE_IT_LEN, p),
			-EINVAL);

	ref->access |= IB_ACCESS_FLUSH_PERSISTENT;
	KUNIT_EXPECT_EQ(test, rxe_flush_pmem_iova(ref, fmr->iova, RXE_IT_LEN),
			0);
	KUNIT_EXPECT_EQ(test, rxe_ind_flush(ind, false, 0x10000, RXE_IT_LEN, p),
			0);
	KUNIT_EXPECT_EQ(test, rxe_ind_flush(ind, true, 0, 0, p | g), 0);

	direct = rxe_flush_pmem_iova(ref, fmr->iova + 1, RXE_IT_LEN);
	KUNIT_EXPECT_LT(test, direct, 0);
	KUNIT_EXPECT_EQ(test, rxe_ind_flush(ind, false, 0x10001, RXE_IT_LEN, p),
			direct);

	rxe_ind_invalidate(ind);
	KUNIT_EXPECT_EQ(test, rxe_ind_flush(ind, false, 0x10000, RXE_IT_LEN, g),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(fmr), 0);
}

static struct kunit_case rxe_indirect_cases[] = {
	KUNIT_CASE(rxe_ind_good_entry_gathers),
	KUNIT_CASE(rxe_ind_bad_lkey_like_direct),
	KUNIT_CASE(rxe_ind_outside_mr_like_direct),
	KUNIT_CASE(rxe_ind_entry_outside_ref_like_direct),
	KUNIT_CASE(rxe_ind_atomic_write_like_direct),
	KUNIT_CASE(rxe_ind_flush_rights_like_direct),
	KUNIT_CASE(rxe_ind_map_busy),			/* S5 */
	KUNIT_CASE(rxe_ind_map_during_map),		/* S5 */
	KUNIT_CASE(rxe_ind_reg_meets_map),		/* S5 */
	KUNIT_CASE(rxe_ind_concurrent_maps),		/* S5 */
	KUNIT_CASE(rxe_ind_reg_races_map),		/* S5 A8 */
	KUNIT_CASE(rxe_ind_access_races_reg),		/* S5 */
	{}
};

static struct kunit_suite rxe_indirect_suite = {
	.name = "rxe_indirect",
	.init = rxe_it_init,
	.test_cases = rxe_indirect_cases,
};

/*
 * rxe_indirect_bench: what one packet's access costs through each kind of
 * MR over the same pages.  copy_data() of one packet's payload, as the
 * requester gathers a WRITE or SEND and a receive or READ response is
 * scattered, through an SG_GAPS MR (ib_map_mr_sg()) and an indirect MR
 * (ib_map_mr_sge(), the PD's DMA lkey) of one entry per page, the whole
 * page or 512 bytes of it (then a packet spans two entries); the direct
 * access to the same bytes, one SGE per entry touched naming a fast MR
 * over the pages; and memcpy() of as many bytes, the ceiling.  Consecutive packets sweep
 * the MR as a message does.  Guest nanoseconds per packet: under
 * QEMU's instruction counting (make bench), instructions per packet.
 * Marked slow: 'make check' leaves it out, 'make bench' runs it.
 */
static unsigned int bench_reps = 5;
module_param(bench_reps, uint, 0444);
MODULE_PARM_DESC(bench_reps, "runs per cell of rxe_indirect_bench (3 to 9)");

static unsigned int bench_run_ms = 20;
module_param(bench_run_ms, uint, 0444);
MODULE_PARM_DESC(bench_run_ms, "guest milliseconds per run of rxe_indirect_bench");

#define RXE_IB_PACKET	1024	/* payload at the MTU rxe takes on 1500 */
#define RXE_IB_BATCH	32	/* packets between two reads of the clock */
#define RXE_IB_MAX_REPS	9
#define RXE_IB_LIST	(RXE_IB_MAX_REPS * 24)

enum {
	RXE_IB_DIRECT, RXE_IB_SG_GAPS, RXE_IB_INDIRECT, RXE_IB_MEMCPY,
	RXE_IB_KINDS
};

static const char * const rxe_ib_kinds[RXE_IB_KINDS] = {
	"direct", "sg_gaps", "indirect", "memcpy",
};

struct rxe_ib_cell {
	u32			n;
	u32			size;		/* of an entry */
	u32			packet;		/* bytes per access */
	struct page		**pages;
	struct scatterlist	*psgl;		/* the pages, whole */
	struct scatterlist	*sgl;		/* the entries */
	struct ib_sge		*sge;
	struct ib_mr		*mr[RXE_IB_MEMCPY];	/* NULL: not made */
	struct rxe_dma_info	*dma;		/* the direct side's access */
	struct rxe_sge		*dsge;		/* its SGEs, per packet */
	u8			*packet_buf;
	u64			ns[RXE_IB_KINDS][RXE_IB_MAX_REPS];
};

static u32 rxe_ib_reps(void)
{
	return clamp(bench_reps, 3U, (unsigned int)RXE_IB_MAX_REPS);
}

/* Free what rxe_ib_cell_new() made (a KUnit action). */
static void rxe_ib_cell_free(void *data)
{
	struct rxe_ib_cell *c = data;
	u32 i;

	for (i = 0; i < RXE_IB_MEMCPY; i++)
		if (!IS_ERR_OR_NULL(c->mr[i]))
			ib_dereg_mr(c->mr[i]);
	for (i = 0; c->pages && i < c->n; i++)
		if (c->pages[i])
			__free_page(c->pages[i]);
	kvfree(c->pages);
	kvfree(c->psgl);
	kvfree(c->sgl);
	kvfree(c->sge);
	kfree(c->packet_buf);
	kfree(c->dma);
	kvfree(c->dsge);
	kfree(c);
}

/* An MR made VALID with local write, as IB_WR_REG_MR would. */
static void rxe_ib_valid(struct kunit *test, struct ib_mr *mr)
{
	struct rxe_mr *rmr = to_rmr(mr);

	if (rxe_mr_is_indirect(rmr))
		KUNIT_ASSERT_EQ(test, rxe_ind_reg(rmr), 0);
	rmr->access = IB_ACCESS_LOCAL_WRITE;
	rmr->state = RXE_MR_STATE_VALID;
}

/*
 * @n pages in no particular order, and their MRs: the fast MR over the
 * whole pages, the SG_GAPS and indirect MRs over one entry of @size bytes
 * in each (the whole page, or 512 bytes from byte 512: a gap on either
 * side).
 */
static struct rxe_ib_cell *rxe_ib_cell_new(struct kunit *test, u32 n,
					   u32 size)
{
	struct rxe_it *t = test->priv;
	struct rxe_ib_cell *c = kzalloc(sizeof(*c), GFP_KERNEL);
	u32 skip = size < PAGE_SIZE ? size : 0, i;
	struct ib_mr *mr;

	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, rxe_ib_cell_free,
							c), 0);
	c->n = n;
	c->size = size;
	c->packet = min_t(u32, RXE_IB_PACKET, n * size);
	c->pages = kvcalloc(n, sizeof(*c->pages), GFP_KERNEL);
	c->psgl = kvcalloc(n, sizeof(*c->psgl), GFP_KERNEL);
	c->sgl = kvcalloc(n, sizeof(*c->sgl), GFP_KERNEL);
	c->sge = kvcalloc(n, sizeof(*c->sge), GFP_KERNEL);
	c->packet_buf = kmalloc(RXE_IB_PACKET, GFP_KERNEL);
	c->dma = kzalloc(struct_size(c->dma, sge, RXE_IB_PACKET / 512),
			 GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, c->pages && c->psgl && c->sgl && c->sge &&
			  c->packet_buf && c->dma);
	sg_init_table(c->psgl, n);
	sg_init_table(c->sgl, n);
	for (i = 0; i < n; i++) {
		c->pages[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, c->pages[i]);
		memset(page_address(c->pages[i]), i, PAGE_SIZE);
		sg_set_page(&c->psgl[i], c->pages[i], PAGE_SIZE, 0);
		sg_set_page(&c->sgl[i], c->pages[i], size, skip);
	}
	/* rxe's DMA addresses are kernel addresses (virtual DMA) */
	KUNIT_ASSERT_EQ(test, ib_dma_map_sg(t->dev, c->psgl, n,
					    DMA_BIDIRECTIONAL), n);
	KUNIT_ASSERT_EQ(test, ib_dma_map_sg(t->dev, c->sgl, n,
					    DMA_BIDIRECTIONAL), n);
	for (i = 0; i < n; i++)
		c->sge[i] = (struct ib_sge){ sg_dma_address(&c->sgl[i]),
					     size, t->pd->local_dma_lkey };

	if (n <= t->dev->attrs.max_fast_reg_page_list_len) {
		mr = ib_alloc_mr(t->pd, IB_MR_TYPE_MEM_REG, n);
		KUNIT_ASSERT_FALSE(test, IS_ERR(mr));
		c->mr[RXE_IB_DIRECT] = mr;
		KUNIT_ASSERT_EQ(test, ib_map_mr_sg(mr, c->psgl, n, NULL,
						   PAGE_SIZE), n);
		rxe_ib_valid(test, mr);
		/* entry i's bytes in the fast MR: page i from byte skip */
		c->dsge = kvcalloc(n, sizeof(*c->dsge), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, c->dsge);
		for (i = 0; i < n; i++)
			c->dsge[i] = (struct rxe_sge){
				mr->iova + (u64)i * PAGE_SIZE + skip,
				min_t(u32, size, c->packet), mr->lkey };
	}
	mr = ib_alloc_mr(t->pd, IB_MR_TYPE_SG_GAPS, n);
	KUNIT_ASSERT_FALSE(test, IS_ERR(mr));
	c->mr[RXE_IB_SG_GAPS] = mr;
	KUNIT_ASSERT_EQ(test, ib_map_mr_sg(mr, c->sgl, n, NULL, PAGE_SIZE), n);
	rxe_ib_valid(test, mr);

	mr = ib_alloc_mr(t->pd, IB_MR_TYPE_INDIRECT, n);
	KUNIT_ASSERT_FALSE(test, IS_ERR(mr));
	c->mr[RXE_IB_INDIRECT] = mr;
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(mr, c->sge, n, 0x10000), n);
	rxe_ib_valid(test, mr);
	return c;
}

/*
 * The direct access to the same bytes as the entries at @at: copy_data()
 * of one SGE of the fast MR per entry the packet touches, as a ULP
 * without indirect registration posts them; the SGEs of each packet are
 * made before the runs (c->dsge), so that both sides set up alike.
 */
static int rxe_ib_direct(struct rxe_it *t, struct rxe_ib_cell *c, u64 at,
			 enum rxe_mr_copy_dir dir)
{
	struct rxe_dma_info *dma = c->dma;
	u32 nsge = c->packet < c->size ? 1 : c->packet / c->size;

	if (c->size == PAGE_SIZE)
		return rxe_it_copy_at(t, c->mr[RXE_IB_DIRECT]->iova + at,
				      c->mr[RXE_IB_DIRECT]->lkey, c->packet,
				      dir, c->packet_buf);
	rxe_it_dma_init(dma, c->packet, nsge);
	memcpy(dma->sge, &c->dsge[div_u64(at, c->packet) * nsge],
	       nsge * sizeof(*dma->sge));
	return copy_data(to_rpd(t->pd),
			 dir == RXE_TO_MR_OBJ ? IB_ACCESS_LOCAL_WRITE : 0, dma,
			 c->packet_buf, c->packet, dir);
}

/*
 * One run of one kind: accesses of c->packet bytes sweeping the MR's
 * entries (the fast MR: the same bytes; memcpy: as many bytes of the
 * pages) for bench_run_ms.  Return: guest ns per access, in hundredths.
 */
static u64 rxe_ib_run(struct kunit *test, struct rxe_ib_cell *c, int kind,
		      enum rxe_mr_copy_dir dir)
{
	struct rxe_it *t = test->priv;
	struct ib_mr *mr = kind < RXE_IB_MEMCPY ? c->mr[kind] : NULL;
	u64 len = (u64)c->n * c->size, at = 0, packets = 0;
	ktime_t t0 = ktime_get(), end = ktime_add_ms(t0, bench_run_ms);
	int i, err = 0;

	do {
		for (i = 0; i < RXE_IB_BATCH; i++) {
			void *mem = page_address(c->pages[at >> PAGE_SHIFT]) +
				    offset_in_page(at);

			if (!mr && dir == RXE_TO_MR_OBJ)
				memcpy(mem, c->packet_buf, c->packet);
			else if (!mr)
				memcpy(c->packet_buf, mem, c->packet);
			else if (kind == RXE_IB_DIRECT)
				err |= rxe_ib_direct(t, c, at, dir);
			else
				err |= rxe_it_copy_at(t, mr->iova + at,
						      mr->lkey, c->packet,
						      dir, c->packet_buf);
			at += c->packet;
			if (at == len)
				at = 0;
		}
		packets += RXE_IB_BATCH;
	} while (ktime_before(ktime_get(), end));
	KUNIT_EXPECT_EQ_MSG(test, err, 0, "%s", rxe_ib_kinds[kind]);
	return div64_u64(ktime_to_ns(ktime_sub(ktime_get(), t0)) * 100,
			 packets);
}

static const char *rxe_ib_list(char *buf, const u64 *v, u32 n)
{
	int at = 0;
	u32 i;

	for (i = 0; i < n; i++)
		at += scnprintf(buf + at, RXE_IB_LIST - at, "%s%llu.%02llu",
				i ? "," : "", v[i] / 100, v[i] % 100);
	return buf;
}

struct rxe_ib_shape {
	u32			n;
	u32			size;
	enum rxe_mr_copy_dir	dir;
};

static const struct rxe_ib_shape rxe_ib_shapes[] = {
	{ 1, PAGE_SIZE, RXE_FROM_MR_OBJ }, { 4, PAGE_SIZE, RXE_FROM_MR_OBJ },
	{ 64, PAGE_SIZE, RXE_FROM_MR_OBJ }, { 1024, PAGE_SIZE, RXE_FROM_MR_OBJ },
	{ 1, PAGE_SIZE, RXE_TO_MR_OBJ }, { 4, PAGE_SIZE, RXE_TO_MR_OBJ },
	{ 64, PAGE_SIZE, RXE_TO_MR_OBJ }, { 1024, PAGE_SIZE, RXE_TO_MR_OBJ },
	{ 1, 512, RXE_FROM_MR_OBJ }, { 4, 512, RXE_FROM_MR_OBJ },
	{ 64, 512, RXE_FROM_MR_OBJ }, { 1024, 512, RXE_FROM_MR_OBJ },
	{ 1, 512, RXE_TO_MR_OBJ }, { 4, 512, RXE_TO_MR_OBJ },
	{ 64, 512, RXE_TO_MR_OBJ }, { 1024, 512, RXE_TO_MR_OBJ },
};

static const char *rxe_ib_dir(enum rxe_mr_copy_dir dir)
{
	return dir == RXE_TO_MR_OBJ ? "scatter" : "gather";
}

static void rxe_ib_shape_desc(const struct rxe_ib_shape *s, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s, %u x %u B",
		 rxe_ib_dir(s->dir), s->n, s->size);
}

KUNIT_ARRAY_PARAM(rxe_ib_shape, rxe_ib_shapes, rxe_ib_shape_desc);

/*
 * One cell: the kinds' runs alternate, so that drift falls on each
 * alike.  Every packet's bytes are checked once, before the runs.
 */
static void rxe_ind_bench_packet(struct kunit *test)
{
	const struct rxe_ib_shape *s = test->param_value;
	struct rxe_it *t = test->priv;
	struct rxe_ib_cell *c = rxe_ib_cell_new(test, s->n, s->size);
	char (*list)[RXE_IB_LIST];
	u32 r, k, i, unit, len;

	list = kunit_kcalloc(test, RXE_IB_KINDS, sizeof(*list), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, list);
	/* unit i of each MR (its page, or its entry) holds page i's bytes */
	for (k = 0; k < RXE_IB_MEMCPY; k++) {
		if (!c->mr[k])
			continue;
		unit = k == RXE_IB_DIRECT ? PAGE_SIZE : s->size;
		len = min_t(u32, unit, RXE_IB_PACKET);
		for (i = 0; i < s->n; i++) {
			KUNIT_ASSERT_EQ(test, rxe_it_copy_at(t, c->mr[k]->iova +
					(u64)i * unit + unit - len,
					c->mr[k]->lkey, len, RXE_FROM_MR_OBJ,
					c->packet_buf), 0);
			KUNIT_ASSERT_EQ_MSG(test, c->packet_buf[0], (u8)i,
					    "%s, unit %u", rxe_ib_kinds[k], i);
			KUNIT_ASSERT_NULL(test, memchr_inv(c->packet_buf, (u8)i,
							   len));
		}
	}
	for (r = 0; r < rxe_ib_reps(); r++)
		for (k = 0; k < RXE_IB_KINDS; k++)
			if (k == RXE_IB_MEMCPY || c->mr[k])
				c->ns[k][r] = rxe_ib_run(test, c, k, s->dir);
	kunit_info(test, "benchdata packet dir=%s n=%u size=%u bytes=%u%s%s sg_gaps_ns=%s indirect_ns=%s memcpy_ns=%s",
		   rxe_ib_dir(s->dir), s->n, s->size, c->packet,
		   c->mr[RXE_IB_DIRECT] ? " direct_ns=" : "",
		   c->mr[RXE_IB_DIRECT] ?
		   rxe_ib_list(list[RXE_IB_DIRECT], c->ns[RXE_IB_DIRECT],
			       rxe_ib_reps()) : "",
		   rxe_ib_list(list[RXE_IB_SG_GAPS], c->ns[RXE_IB_SG_GAPS],
			       rxe_ib_reps()),
		   rxe_ib_list(list[RXE_IB_INDIRECT], c->ns[RXE_IB_INDIRECT],
			       rxe_ib_reps()),
		   rxe_ib_list(list[RXE_IB_MEMCPY], c->ns[RXE_IB_MEMCPY],
			       rxe_ib_reps()));
}

static struct kunit_case rxe_indirect_bench_cases[] = {
	KUNIT_CASE_PARAM(rxe_ind_bench_packet, rxe_ib_shape_gen_params), /* no rule: benchmark */
	{}
};

static struct kunit_suite rxe_indirect_bench_suite = {
	.name = "rxe_indirect_bench",
	.init = rxe_it_init,
	.test_cases = rxe_indirect_bench_cases,
	.attr.speed = KUNIT_SPEED_SLOW,
};

kunit_test_suites(&rxe_indirect_suite, &rxe_indirect_bench_suite);

MODULE_DESCRIPTION("White-box KUnit tests of rxe's indirect MRs");
MODULE_LICENSE("Dual BSD/GPL");
