// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Named cases of indirect memory registration in loopback: WRITE, READ,
 * SEND/RECV and atomics through indirect rkeys and lkeys, and every bad
 * input class of Documentation/infiniband/indirect_mr.rst with its status
 * and the bytes that must not change.
 *
 * A case that expects a failure first makes the same failure happen on a
 * fast-registered MR and expects the status the device gave it.  The
 * cases of rules the contract leaves to the device (lb_require_strict())
 * are skipped on a device that is not strict, and so is such a check in
 * a case of portable rules (lb_strict_checks()).  Each entry of
 * lb_cases[] names the rules of the contract's table that its case
 * checks, those it checks only on a strict device after "strict:".
 */

#include <linux/delay.h>
#include <linux/math64.h>
#include <linux/scatterlist.h>

#include "indirect_mr_lb.h"

static unsigned int hold_ms;
module_param(hold_ms, uint, 0444);
MODULE_PARM_DESC(hold_ms,
		 "keep the MR of lb_write_through_rkey registered this long (for a demo)");

/*
 * A gappy list of (offset, length) pieces of one buffer: byte offsets,
 * odd lengths, one byte, a page crossed, out of order.
 */
static const u32 gappy_pieces[][2] = {
	{ 5, 1000 }, { 2000, 1 }, { 4090, 3000 }, { 8000, 77 }, { 1500, 333 },
};

#define GAPPY_N	ARRAY_SIZE(gappy_pieces)

static u32 gappy_total(void)
{
	u32 i, t = 0;

	for (i = 0; i < GAPPY_N; i++)
		t += gappy_pieces[i][1];
	return t;
}

static struct ib_mr *lb_gappy_target(struct lb *lb, struct lb_buf **t)
{
	*t = lb_buf(lb, LB_MEM, LB_CANARY);
	return lb_indirect(lb, *t, gappy_pieces, GAPPY_N,
			   lb->pd->local_dma_lkey, RW_ACCESS);
}

/* LOCAL_INV of @mr, a new key, REG_MR: valid again with its staged list. */
static void lb_rotate(struct lb *lb, struct ib_mr *mr, int access)
{
	KUNIT_ASSERT_EQ(lb->test, lb_local_inv(lb, mr->rkey), IB_WC_SUCCESS);
	ib_update_fast_reg_key(mr, ib_inc_rkey(mr->rkey));
	KUNIT_ASSERT_EQ(lb->test, lb_reg(lb, mr, access), IB_WC_SUCCESS);
}

/* RDMA WRITE through an indirect rkey lands in the entries, in order. */
static void lb_write_through_rkey(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);

	KUNIT_EXPECT_EQ(test, mr->length, gappy_total());
	kunit_info(test, "%zu entries at byte offsets in one buffer -> one MR on %s: rkey %#x iova %#llx length %llu",
		   GAPPY_N, dev_name(&lb->dev->dev), mr->rkey, mr->iova,
		   mr->length);
	lb_expect_write_lands(lb, t, s, 1, mr->iova, mr->rkey, 0,
			      gappy_total(), gappy_pieces, GAPPY_N, "target");
	kunit_info(test, "RDMA WRITE of %u bytes through the rkey: all %lu bytes of the buffer match the model",
		   gappy_total(), LB_MEM);
	if (hold_ms)
		msleep(hold_ms);

	/* a write into the middle: from byte 999 (last of entry 0), 3400 B */
	lb_expect_write_lands(lb, t, s, 77, mr->iova, mr->rkey, 999, 3400,
			      gappy_pieces, GAPPY_N,
			      "target after partial write");
	kunit_info(test, "RDMA WRITE of 3400 bytes at MR offset 999 (last byte of entry 0 onwards): buffer matches the model");
}

/* RDMA READ through an indirect rkey gathers the entries, in order. */
static void lb_read_through_rkey(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, 0);
	struct ib_mr *mr;

	lb_pattern(lb, t, 3);
	mr = lb_indirect(lb, t, gappy_pieces, GAPPY_N, lb->pd->local_dma_lkey,
			 RW_ACCESS);
	lb_expect_read_gathers(lb, t, mr->iova, mr->rkey, gappy_pieces,
			       GAPPY_N, "read destination");
}

/* SEND gathers through an indirect lkey; RECV scatters through another. */
static void lb_send_recv_lkeys(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	struct lb_buf *t = lb_buf(lb, LB_MEM, LB_CANARY);
	u8 *model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	u8 *msg = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	static const u32 spieces[][2] = {
		{ 100, 17 }, { 5000, 1200 }, { 3, 1 }, { 9000, 1000 },
	};
	struct ib_mr *smr, *tmr;
	struct ib_sge ssge, rsge;
	u32 pos, got = 0;
	int recv;

	KUNIT_ASSERT_TRUE(test, model && msg);
	lb_pattern(lb, s, 11);
	lb_sync(lb, s);
	pos = lb_gather(msg, s->cpu, spieces, ARRAY_SIZE(spieces));
	smr = lb_indirect(lb, s, spieces, ARRAY_SIZE(spieces),
			  lb->pd->local_dma_lkey, RW_ACCESS);
	tmr = lb_indirect(lb, t, gappy_pieces, GAPPY_N,
			  lb->pd->local_dma_lkey, RW_ACCESS);
	lb_sync(lb, t);
	lb_model(model, t->cpu, LB_MEM, msg, pos, gappy_pieces, GAPPY_N);

	rsge = (struct ib_sge){ tmr->iova, tmr->length, tmr->lkey };
	ssge = (struct ib_sge){ smr->iova, smr->length, smr->lkey };
	KUNIT_ASSERT_EQ(test, lb_send_recv(lb, &ssge, &rsge, &recv, &got),
			IB_WC_SUCCESS);
	KUNIT_EXPECT_EQ(test, recv, IB_WC_SUCCESS);
	KUNIT_EXPECT_EQ(test, got, pos);
	lb_expect_mem(lb, t, model, "receive buffer");
}

/* An indirect lkey as the source of an RDMA WRITE. */
static void lb_write_from_lkey(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	struct lb_buf *t = lb_buf(lb, LB_MEM, LB_CANARY);
	static const u32 whole[][2] = { { 0, 3 * 4096 } };
	u8 *model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	struct ib_mr *smr, *tmr;

	KUNIT_ASSERT_NOT_NULL(test, model);
	lb_pattern(lb, s, 23);
	memset(model, LB_CANARY, LB_MEM);
	lb_sync(lb, s);
	lb_gather(model, s->cpu, gappy_pieces, GAPPY_N);
	smr = lb_indirect(lb, s, gappy_pieces, GAPPY_N,
			  lb->pd->local_dma_lkey, RW_ACCESS);
	tmr = lb_indirect(lb, t, whole, 1, lb->pd->local_dma_lkey, RW_ACCESS);
	KUNIT_ASSERT_EQ(test, lb_rdma(lb, IB_WR_RDMA_WRITE, smr->iova,
				      smr->length, smr->lkey, tmr->iova,
				      tmr->rkey), IB_WC_SUCCESS);
	lb_expect_mem(lb, t, model, "target");
}

static const enum ib_mr_type sg_types[] = {
	IB_MR_TYPE_INDIRECT, IB_MR_TYPE_SG_GAPS,
};

static void sg_type_desc(const enum ib_mr_type *t, char *desc)
{
	strscpy(desc, *t == IB_MR_TYPE_INDIRECT ? "indirect" : "sg_gaps",
		KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(sg_type, sg_types, sg_type_desc);

/* ib_map_mr_sg() on an indirect or SG_GAPS MR takes a gappy list. */
static void lb_map_mr_sg_gappy(struct kunit *test)
{
	const enum ib_mr_type type = *(const enum ib_mr_type *)test->param_value;
	struct lb *lb = test->priv;
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	static const u32 sizes[][2] = { { 513, 700 }, { 1, 1 },
					{ 3000, 2500 }, { 64, 999 } };
	u8 *pieces[ARRAY_SIZE(sizes)];
	struct scatterlist sg[ARRAY_SIZE(sizes)];
	struct ib_mr *mr;
	u32 total = 0, i;
	int n;

	lb_pattern(lb, s, 5);
	sg_init_table(sg, ARRAY_SIZE(sizes));
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		pieces[i] = kunit_kmalloc(test, sizes[i][0] + sizes[i][1] + 64,
					  GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, pieces[i]);
		memset(pieces[i], LB_CANARY, sizes[i][0] + sizes[i][1] + 64);
		sg_set_buf(&sg[i], pieces[i] + sizes[i][0], sizes[i][1]);
		total += sizes[i][1];
	}
	n = ib_dma_map_sg(lb->dev, sg, ARRAY_SIZE(sizes), DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_EQ(test, n, ARRAY_SIZE(sizes));
	mr = lb_alloc_mr(lb, lb->pd, type, n);
	KUNIT_ASSERT_EQ(test, ib_map_mr_sg(mr, sg, n, NULL, PAGE_SIZE), n);
	KUNIT_EXPECT_EQ(test, mr->length, total);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
	KUNIT_ASSERT_EQ(test, lb_rdma(lb, IB_WR_RDMA_WRITE, s->dma, total,
				      lb->pd->local_dma_lkey, mr->iova,
				      mr->rkey), IB_WC_SUCCESS);
	ib_dma_unmap_sg(lb->dev, sg, ARRAY_SIZE(sizes), DMA_BIDIRECTIONAL);
	lb_sync(lb, s);
	total = 0;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		u8 *p = pieces[i];
		u32 j;

		for (j = 0; j < sizes[i][0]; j++)
			KUNIT_ASSERT_EQ(test, p[j], LB_CANARY);
		KUNIT_EXPECT_EQ(test, memcmp(p + sizes[i][0], s->cpu + total,
					     sizes[i][1]), 0);
		for (j = 0; j < 64; j++)
			KUNIT_ASSERT_EQ(test, p[sizes[i][0] + sizes[i][1] + j],
					LB_CANARY);
		total += sizes[i][1];
	}
}

/*
 * A SEND from ssge[0] into a receive of rsge[0], one of them under a
 * direct MR with a fault, then on new QPs from ssge[1] into rsge[1], the
 * same under an indirect MR with the same fault: the indirect one fails
 * as the direct one did, at both ends (a receive that never completes
 * counts as -1), and neither writes a byte of @r, filled with LB_CANARY.
 */
static void lb_expect_send_fails_alike(struct lb *lb, struct ib_sge *ssge,
				       struct ib_sge *rsge, struct lb_buf *r)
{
	struct kunit *test = lb->test;
	u8 *model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	int send[2], recv[2], i;

	KUNIT_ASSERT_NOT_NULL(test, model);
	memset(model, LB_CANARY, LB_MEM);
	for (i = 0; i < 2; i++) {
		if (i)
			KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
		send[i] = lb_send_recv(lb, &ssge[i], &rsge[i], &recv[i], NULL);
	}
	KUNIT_EXPECT_TRUE_MSG(test, send[0] != IB_WC_SUCCESS ||
			      recv[0] != IB_WC_SUCCESS,
			      "the SEND through the direct MR succeeded");
	KUNIT_EXPECT_EQ(test, recv[1], recv[0]);
	KUNIT_EXPECT_EQ(test, send[1], send[0]);
	kunit_info(test, "indirect: recv %d send %d; direct: recv %d send %d",
		   recv[1], send[1], recv[0], send[0]);
	lb_expect_mem(lb, r, model, "receive buffer");
	KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
}

/*
 * One byte past the end of the live list, written or read: as one byte
 * past the end of a fast MR.
 */
static void lb_out_of_range_end(struct kunit *test)
{
	static const enum ib_wr_opcode ops[] = {
		IB_WR_RDMA_WRITE, IB_WR_RDMA_READ,
	};
	struct lb *lb = test->priv;
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);
	struct ib_mr *fmr = lb_fast_mr(lb, t, RW_ACCESS);
	u32 len = mr->length + 1;
	int i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		lb_expect_fails_alike(lb, ops[i], len,
				      fmr->iova + fmr->length + 1 - len,
				      fmr->rkey, t, mr->iova, mr->rkey);
}

/* One byte before the start: as one byte before a fast MR. */
static void lb_out_of_range_start(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);
	struct ib_mr *fmr = lb_fast_mr(lb, t, RW_ACCESS);

	lb_expect_fails_alike(lb, IB_WR_RDMA_WRITE, 2, fmr->iova - 1,
			      fmr->rkey, t, mr->iova - 1, mr->rkey);
}

/* After LOCAL_INV the rkey fails as that of an invalidated fast MR. */
static void lb_local_invalidate(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);
	struct ib_mr *fmr = lb_free_fast_mr(lb, t);

	KUNIT_ASSERT_EQ(test, lb_local_inv(lb, mr->rkey), IB_WC_SUCCESS);
	lb_expect_fails_alike(lb, IB_WR_RDMA_WRITE, 16, fmr->iova, fmr->rkey,
			      t, mr->iova, mr->rkey);
}

/* SEND_WITH_INV of @rkey: the receive reports the invalidation. */
static void lb_send_inv(struct lb *lb, u32 rkey)
{
	struct kunit *test = lb->test;
	struct ib_recv_wr rwr = {};
	struct ib_send_wr swr = {
		.opcode = IB_WR_SEND_WITH_INV,
		.ex.invalidate_rkey = rkey,
	};
	struct ib_wc wc;

	KUNIT_ASSERT_EQ(test, ib_post_recv(lb->qp[1], &rwr, NULL), 0);
	KUNIT_ASSERT_EQ(test, lb_post_send(lb, lb->qp[0], &swr), IB_WC_SUCCESS);
	KUNIT_ASSERT_EQ(test, lb_wait(lb, lb->rcq, &wc), 0);
	KUNIT_EXPECT_EQ(test, wc.status, IB_WC_SUCCESS);
	KUNIT_EXPECT_TRUE(test, wc.wc_flags & IB_WC_WITH_INVALIDATE);
	KUNIT_EXPECT_EQ(test, wc.ex.invalidate_rkey, rkey);
}

/*
 * SEND_WITH_INV carrying the rkey invalidates it at the responder, as it
 * does a fast MR's.
 */
static void lb_remote_invalidate(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);
	struct ib_mr *fmr = lb_fast_mr(lb, t, RW_ACCESS);

	lb_send_inv(lb, fmr->rkey);
	lb_send_inv(lb, mr->rkey);
	lb_expect_fails_alike(lb, IB_WR_RDMA_WRITE, 16, fmr->iova, fmr->rkey,
			      t, mr->iova, mr->rkey);
}

/*
 * After invalidation and a new key, the new key works and the old one
 * fails as the old key of a fast MR does.
 */
static void lb_rkey_rotation(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);
	struct ib_mr *fmr = lb_fast_mr(lb, s, RW_ACCESS);
	u32 old = mr->rkey, fold = fmr->rkey;

	lb_rotate(lb, mr, RW_ACCESS);
	lb_rotate(lb, fmr, RW_ACCESS);
	KUNIT_ASSERT_NE(test, mr->rkey, old);
	lb_expect_write_lands(lb, t, s, 41, mr->iova, mr->rkey, 0, 1200,
			      gappy_pieces, GAPPY_N,
			      "target through the new key");
	lb_expect_fails_alike(lb, IB_WR_RDMA_WRITE, 16, fmr->iova, fold, t,
			      mr->iova, old);
}

/* Connect lb->extra, a QP pair in the other PD. */
static struct ib_qp **lb_other_pd_qps(struct lb *lb)
{
	KUNIT_ASSERT_EQ_MSG(lb->test, lb_qp_pair(lb, lb->pd2, lb->extra,
						 lb->scq, lb->rcq,
						 LB_SQ_DEPTH), 0,
			    "cannot connect QPs in the other PD");
	return lb->extra;	/* lb_exit() destroys them */
}

/* An entry in another PD: the access fails as through an MR of that PD. */
static void lb_entry_other_pd(struct kunit *test)
{
	struct lb *lb = test->priv;
	static const u32 one[][2] = { { 100, 500 } };
	struct lb_buf *t;
	struct ib_mr *fmr, *mr;

	lb_require_strict(lb, "A2 (an entry in another PD)");
	t = lb_buf(lb, LB_MEM, LB_CANARY);
	fmr = lb_fast_mr_at(lb, lb_other_pd_qps(lb)[1], t, 0, LB_MEM,
			    RW_ACCESS);
	mr = lb_indirect(lb, t, one, 1, lb->pd2->local_dma_lkey, RW_ACCESS);
	lb_expect_fails_alike(lb, IB_WR_RDMA_WRITE, 8, fmr->iova + 100,
			      fmr->rkey, t, mr->iova, mr->rkey);
}

/*
 * An entry naming an MR that may not be one (@inner, an indirect or
 * SG_GAPS MR over @t): one level of indirection only.  The write fails
 * as through the rkey of an MR that cannot be used, an invalidated one.
 */
static void lb_expect_nesting_fails(struct lb *lb, struct lb_buf *t,
				    struct ib_mr *inner, u32 len)
{
	struct ib_sge sge = { inner->iova, len, inner->lkey };
	struct ib_mr *outer = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, 1);
	struct ib_mr *fmr = lb_free_fast_mr(lb, t);

	KUNIT_ASSERT_EQ(lb->test, ib_map_mr_sge(outer, &sge, 1, 0x5000), 1);
	KUNIT_ASSERT_EQ(lb->test, lb_reg(lb, outer, RW_ACCESS), IB_WC_SUCCESS);
	lb_expect_fails_alike(lb, IB_WR_RDMA_WRITE, len, fmr->iova, fmr->rkey,
			      t, outer->iova, outer->rkey);
}

/* An entry that is itself an indirect MR. */
static void lb_entry_indirect(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct ib_mr *inner;
	struct lb_buf *t;

	lb_require_strict(lb, "A2 (one level of indirection)");
	inner = lb_gappy_target(lb, &t);
	lb_expect_nesting_fails(lb, t, inner, 64);
}

/* An entry naming an SG_GAPS MR. */
static void lb_entry_sg_gaps(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *s, *t;
	struct ib_mr *gaps;
	static const u32 gaps_pieces[][2] = { { 10, 100 }, { 500, 100 } };
	struct scatterlist sg[2];
	int i;

	lb_require_strict(lb, "A2 (one level of indirection)");
	t = lb_buf(lb, LB_MEM, LB_CANARY);
	s = lb_buf(lb, LB_MEM, 0);
	gaps = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_SG_GAPS, 2);
	sg_init_table(sg, 2);
	for (i = 0; i < 2; i++) {
		sg_dma_address(&sg[i]) = t->dma + gaps_pieces[i][0];
		sg_dma_len(&sg[i]) = gaps_pieces[i][1];
	}
	KUNIT_ASSERT_EQ(test, ib_map_mr_sg(gaps, sg, 2, NULL, PAGE_SIZE), 2);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, gaps, RW_ACCESS), IB_WC_SUCCESS);
	/* the SG_GAPS MR itself translates the range the entry names */
	lb_expect_write_lands(lb, t, s, 3, gaps->iova, gaps->rkey, 0, 150,
			      gaps_pieces, 2, "target through the SG_GAPS MR");
	lb_expect_nesting_fails(lb, t, gaps, 150);
}

/*
 * A referenced fast-registered MR without local write: a remote read
 * through the indirect MR succeeds, a remote write fails as through a
 * fast MR without the right to write.
 */
static void lb_entry_needs_local_write(struct kunit *test)
{
	struct lb *lb = test->priv;
	static const u32 one[][2] = { { 16, 48 } };
	struct lb_buf *t;
	struct ib_mr *frmr, *mr;

	lb_require_strict(lb, "A2 (the rights of a referenced MR)");
	t = lb_buf(lb, LB_MEM, 0);
	lb_pattern(lb, t, 9);
	frmr = lb_fast_mr(lb, t, IB_ACCESS_REMOTE_READ);
	mr = lb_indirect(lb, t, one, 1, frmr->lkey, RW_ACCESS);

	lb_expect_read_gathers(lb, t, mr->iova, mr->rkey, one, 1,
			       "read destination");
	lb_expect_fails_alike(lb, IB_WR_RDMA_WRITE, 8, frmr->iova + 16,
			      frmr->rkey, t, mr->iova, mr->rkey);
}

/* The indirect MR's own rights: no remote write. */
static void lb_needs_remote_write(struct kunit *test)
{
	const int access = IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_READ;
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, LB_CANARY);
	struct ib_mr *mr = lb_indirect(lb, t, gappy_pieces, GAPPY_N,
				       lb->pd->local_dma_lkey, access);
	struct ib_mr *fmr = lb_fast_mr(lb, t, access);

	lb_expect_fails_alike(lb, IB_WR_RDMA_WRITE, 8, fmr->iova, fmr->rkey,
			      t, mr->iova, mr->rkey);
}

/*
 * The indirect MR's own rights, the other remote ones: without remote
 * read a READ fails, without remote atomic a fetch-and-add fails, as on a
 * fast MR with the same rights, and neither changes a byte on either
 * side.
 */
static void lb_needs_remote_read_atomic(struct kunit *test)
{
	const int access = IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE;
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, LB_CANARY);
	/* MR byte 5 is 8-aligned in the MR (iova + 3) and lands on t + 64 */
	static const u32 one[][2] = { { 59, 64 } };
	struct ib_mr *mr = lb_indirect(lb, t, one, 1, lb->pd->local_dma_lkey,
				       access);
	struct ib_mr *fmr = lb_fast_mr(lb, t, access);

	lb_expect_fails_alike(lb, IB_WR_RDMA_READ, 64, fmr->iova + 59,
			      fmr->rkey, t, mr->iova, mr->rkey);
	KUNIT_ASSERT_EQ(test, (mr->iova + 5) % 8, 0);
	if (lb_atomic_checks(lb, "a fetch-and-add without remote atomic"))
		lb_expect_fails_alike(lb, IB_WR_ATOMIC_FETCH_AND_ADD, 8,
				      fmr->iova + 64, fmr->rkey, t,
				      mr->iova + 5, mr->rkey);
}

/*
 * A receive through an indirect lkey without local write fails as one
 * through a fast MR without local write does, and writes nothing.
 */
static void lb_recv_needs_local_write(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *s = lb_buf(lb, 256, 0x42);
	struct lb_buf *r = lb_buf(lb, LB_MEM, LB_CANARY);
	static const u32 one[][2] = { { 0, 200 } };
	struct ib_mr *fmr = lb_fast_mr(lb, r, IB_ACCESS_REMOTE_READ);
	struct ib_mr *mr = lb_indirect(lb, r, one, 1, lb->pd->local_dma_lkey,
				       IB_ACCESS_REMOTE_READ);
	struct ib_sge ssge[2] = {
		{ s->dma, 100, lb->pd->local_dma_lkey },
		{ s->dma, 100, lb->pd->local_dma_lkey },
	};
	struct ib_sge rsge[2] = {
		{ fmr->iova, 200, fmr->lkey }, { mr->iova, 200, mr->lkey },
	};

	lb_expect_send_fails_alike(lb, ssge, rsge, r);
}

/*
 * REG_MR with a key that differs from the MR's in more than the low 8
 * bits fails as it does for a fast MR (rule S4) and leaves the MR FREE:
 * its rkey fails as the fast MR's, and a REG_MR with a good key works.
 */
static void lb_reg_bad_key(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);
	struct ib_mr *fmr = lb_fast_mr(lb, t, RW_ACCESS);
	int want = LB_ANY_ERROR, i;

	for (i = 0; i < 2; i++) {
		struct ib_mr *m = i ? mr : fmr;

		KUNIT_ASSERT_EQ(test, lb_local_inv(lb, m->rkey), IB_WC_SUCCESS);
		want = lb_expect_reg_fails(lb, lb->qp[1], m, m->rkey ^ 0x100,
					   RW_ACCESS, want);
	}
	lb_expect_fails_alike(lb, IB_WR_RDMA_WRITE, 8, fmr->iova, fmr->rkey,
			      t, mr->iova, mr->rkey);
	ib_update_fast_reg_key(mr, ib_inc_rkey(mr->rkey));
	KUNIT_EXPECT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
}

/*
 * REG_MR posted on a QP of another PD fails as it does for a fast MR
 * (rule S4) and leaves the MR FREE.
 */
static void lb_reg_other_pd(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);
	struct ib_mr *fmr = lb_fast_mr(lb, t, RW_ACCESS);
	int want = LB_ANY_ERROR, i;

	KUNIT_ASSERT_EQ(test, lb_local_inv(lb, mr->rkey), IB_WC_SUCCESS);
	KUNIT_ASSERT_EQ(test, lb_local_inv(lb, fmr->rkey), IB_WC_SUCCESS);
	for (i = 0; i < 2; i++) {
		struct ib_mr *m = i ? mr : fmr;

		want = lb_expect_reg_fails(lb, lb_other_pd_qps(lb)[1], m,
					   m->rkey, RW_ACCESS, want);
	}
	lb_expect_fails_alike(lb, IB_WR_RDMA_WRITE, 8, fmr->iova, fmr->rkey,
			      t, mr->iova, mr->rkey);
	KUNIT_EXPECT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
}

/*
 * A referenced MR deregistered while the indirect MR is valid: an access
 * to its entry fails as one through its own old rkey.
 */
static void lb_entry_deregistered(struct kunit *test)
{
	struct lb *lb = test->priv;
	static const u32 two[][2] = { { 0, 4096 }, { 8192, 100 } };
	struct lb_buf *s, *t;
	struct ib_mr *frmr, *mr;
	u32 lkeys[2], frkey;
	u64 fiova;

	lb_require_strict(lb, "A4 (a deregistered referenced MR)");
	t = lb_buf(lb, LB_MEM, LB_CANARY);
	s = lb_buf(lb, LB_MEM, 0);
	frmr = lb_fast_mr(lb, t, RW_ACCESS);
	lkeys[0] = frmr->lkey;
	lkeys[1] = lb->pd->local_dma_lkey;
	mr = lb_indirect_keys(lb, t, two, 2, lkeys, 2, RW_ACCESS);

	/* while both entries are good, a write spanning them lands */
	lb_expect_write_lands(lb, t, s, 13, mr->iova, mr->rkey, 0, 4196, two,
			      2, "target before dereg");

	fiova = frmr->iova;
	frkey = frmr->rkey;
	KUNIT_ASSERT_EQ(test, ib_dereg_mr(frmr), 0);
	lb_forget_mr(lb, frmr);
	lb_expect_fails_alike(lb, IB_WR_RDMA_WRITE, 8, fiova + 4090, frkey, t,
			      mr->iova + 4090, mr->rkey);
}

/* A referenced fast MR invalidated while the indirect MR is valid. */
static void lb_entry_invalidated(struct kunit *test)
{
	struct lb *lb = test->priv;
	static const u32 one[][2] = { { 100, 200 } };
	struct lb_buf *t;
	struct ib_mr *frmr, *mr;

	lb_require_strict(lb, "A4 (an invalidated referenced MR)");
	t = lb_buf(lb, LB_MEM, LB_CANARY);
	frmr = lb_fast_mr(lb, t, RW_ACCESS);
	mr = lb_indirect(lb, t, one, 1, frmr->lkey, RW_ACCESS);
	KUNIT_ASSERT_EQ(test, lb_local_inv(lb, frmr->rkey), IB_WC_SUCCESS);
	lb_expect_fails_alike(lb, IB_WR_RDMA_WRITE, 8, frmr->iova + 100,
			      frmr->rkey, t, mr->iova, mr->rkey);
}

/*
 * Atomics must be 8-byte aligned in the MR's address space (rule A5): on
 * every device one at a misaligned iova fails as a misaligned atomic on
 * a fast MR does, and changes nothing.  An entry starting 4 bytes into a
 * word makes an aligned iova resolve to an unaligned address: a strict
 * device fails that one too (rule A9, device-defined; see
 * lb_misaligned_atomic_status()).
 */
static void lb_atomic_misaligned(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t;
	struct ib_sge sge;
	struct ib_mr *mr;
	int direct, landing;

	lb_require_atomics(lb);
	t = lb_buf(lb, LB_MEM, 0);
	sge = (struct ib_sge){ t->dma + 256 + 4, 64, lb->pd->local_dma_lkey };
	mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, 1);
	landing = lb_misaligned_atomic_status(lb, &direct);
	lb_pattern(lb, t, 17);
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(mr, &sge, 1, 0x40000), 1);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, ATOMIC_ACCESS), IB_WC_SUCCESS);
	kunit_info(test, "a misaligned fetch-and-add on a fast MR: %d", direct);
	lb_expect_fails(lb, IB_WR_ATOMIC_FETCH_AND_ADD, t, mr->iova + 4, 8,
			mr->rkey, direct);
	if (lb_strict_checks(lb, "A9 (an atomic landing misaligned)"))
		lb_expect_fails(lb, IB_WR_ATOMIC_FETCH_AND_ADD, t,
				mr->iova + 8, 8, mr->rkey, landing);
}

/*
 * An indirect MR of two entries for atomics: entry 0, 12 bytes at t + 64;
 * entry 1, 20 bytes at t + 260.  MR bytes 16..23 are entry 1 bytes 4..11,
 * t + 264, 8-byte aligned; MR bytes 8..15 cross from entry 0 into entry 1.
 */
static struct ib_mr *lb_atomic_mr(struct lb *lb, struct lb_buf *t)
{
	struct ib_sge sge[2] = {
		{ t->dma + 64, 12, lb->pd->local_dma_lkey },
		{ t->dma + 256 + 4, 20, lb->pd->local_dma_lkey },
	};
	struct ib_mr *mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, 2);

	KUNIT_ASSERT_EQ(lb->test, ib_map_mr_sge(mr, sge, 2, 0x40000), 2);
	KUNIT_ASSERT_EQ(lb->test, lb_reg(lb, mr, ATOMIC_ACCESS), IB_WC_SUCCESS);
	return mr;
}

/* Aligned atomics inside one entry work. */
static void lb_atomic_ok(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t, *res;
	struct ib_mr *mr;
	u64 *a;

	lb_require_atomics(lb);
	t = lb_buf(lb, LB_MEM, 0);
	res = lb_buf(lb, 8, 0);
	mr = lb_atomic_mr(lb, t);
	a = (u64 *)(t->cpu + 264);
	lb_sync(lb, t);
	*a = 1000;
	lb_sync_dev(lb, t);
	KUNIT_ASSERT_EQ(test, lb_atomic(lb, IB_WR_ATOMIC_FETCH_AND_ADD, res,
					mr->iova + 16, mr->rkey, 0, 5),
			IB_WC_SUCCESS);
	lb_sync(lb, t);
	lb_sync(lb, res);
	KUNIT_EXPECT_EQ(test, *a, 1005);
	KUNIT_EXPECT_EQ(test, *(u64 *)res->cpu, 1000);

	KUNIT_ASSERT_EQ(test, lb_atomic(lb, IB_WR_ATOMIC_CMP_AND_SWP, res,
					mr->iova + 16, mr->rkey, 1005, 77),
			IB_WC_SUCCESS);
	lb_sync(lb, t);
	lb_sync(lb, res);
	KUNIT_EXPECT_EQ(test, *a, 77);
	KUNIT_EXPECT_EQ(test, *(u64 *)res->cpu, 1005);
}

/*
 * An aligned atomic crossing two entries fails as one crossing the end of
 * a fast MR of 12 bytes, and changes nothing.
 */
static void lb_atomic_crossing(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t;
	struct ib_mr *fmr, *mr;

	lb_require_strict(lb, "A9 (an atomic across entries)");
	lb_require_atomics(lb);
	t = lb_buf(lb, LB_MEM, 0);
	lb_pattern(lb, t, 29);
	mr = lb_atomic_mr(lb, t);
	fmr = lb_fast_mr_at(lb, lb->qp[1], t, 512, 12, ATOMIC_ACCESS);
	lb_expect_fails_alike(lb, IB_WR_ATOMIC_FETCH_AND_ADD, 8,
			      fmr->iova + 8, fmr->rkey, t, mr->iova + 8,
			      mr->rkey);
}

/*
 * REG_MR on an MR that is already valid fails as on a valid fast MR, and
 * the MR stays valid with its list and key (rule S4): a write through it
 * still lands.
 */
static void lb_reg_twice(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);
	struct ib_mr *fmr = lb_fast_mr(lb, s, RW_ACCESS);
	int want;

	want = lb_expect_reg_fails(lb, lb->qp[1], fmr, fmr->rkey, RW_ACCESS,
				   LB_ANY_ERROR);
	lb_expect_reg_fails(lb, lb->qp[1], mr, mr->rkey, RW_ACCESS, want);
	lb_expect_write_lands(lb, t, s, 61, mr->iova, mr->rkey, 0,
			      gappy_total(), gappy_pieces, GAPPY_N,
			      "target through the still valid MR");
}

/*
 * A map while the MR is valid only stages (rule S1): accesses still go
 * through the live list until LOCAL_INV and REG_MR make the new one live.
 */
static void lb_map_while_valid(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	static const u32 other[][2] = { { 9000, 600 }, { 64, 300 } };
	struct ib_sge sge[ARRAY_SIZE(other)];
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);
	u64 live_iova = mr->iova;
	u32 live_rkey = mr->rkey;
	int i;

	for (i = 0; i < ARRAY_SIZE(other); i++)
		sge[i] = (struct ib_sge){ t->dma + other[i][0], other[i][1],
					  lb->pd->local_dma_lkey };
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(mr, sge, 2, 0x900000), 2);
	KUNIT_EXPECT_EQ(test, mr->iova, 0x900000);
	KUNIT_EXPECT_EQ(test, mr->length, 900);

	/* still the old list: a 1200-byte write lands in the gappy pieces */
	lb_expect_write_lands(lb, t, s, 71, live_iova, live_rkey, 0, 1200,
			      gappy_pieces, GAPPY_N,
			      "target through the live list");

	/* after invalidation and REG_MR the staged list is live */
	lb_rotate(lb, mr, RW_ACCESS);
	lb_expect_write_lands(lb, t, s, 83, mr->iova, mr->rkey, 0, 900, other,
			      2, "target through the new list");
}

/*
 * Every invalid map of the contract's table, on a real device: the
 * documented errno, and nothing changed.  Where two classes fail at once
 * the earlier one decides.  The MR keeps its keys, iova and length, its
 * live list still translates, and its staged list survives: the REG_MR
 * after an invalidation installs the list of the last good map (rule S3).
 * A map on an MR of another type changes that MR neither.
 */
static void lb_bad_map_changes_nothing(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);
	struct ib_mr *fmr = lb_fast_mr(lb, t, IB_ACCESS_LOCAL_WRITE);
	u32 max = mr->max_num_sg, lkey = mr->lkey, rkey = mr->rkey, n;
	struct ib_sge *bad = kunit_kcalloc(test, max + 1, sizeof(*bad),
					   GFP_KERNEL);
	u64 iova = mr->iova, length = mr->length;
	u64 fiova = fmr->iova, flength = fmr->length;
	u64 max_mr_size = lb->dev->attrs.max_mr_size, need;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, bad);
	for (i = 0; i <= max; i++)
		bad[i] = (struct ib_sge){ t->dma + 16 * i, 8,
					  lb->pd->local_dma_lkey };

	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(fmr, bad, 1, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, NULL, 1, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, bad, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, bad, -1, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, bad, max + 1, 0), -E2BIG);
	bad[1].length = 0;
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, bad, 2, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, bad, max + 1, 0), -E2BIG);
	bad[1].length = IB_INDIRECT_MAX_ENTRY_LEN + 1;
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, bad, 2, 0), -E2BIG);
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, bad, 2, U64_MAX - 14), -E2BIG);
	bad[1].length = 8;
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, bad, 2, U64_MAX - 14), -EINVAL);
	/* n entries of the longest length add up to more than max_mr_size */
	need = div_u64(max_mr_size, IB_INDIRECT_MAX_ENTRY_LEN) + 1;
	if (need <= max) {
		for (i = 0; i < need; i++)
			bad[i].length = IB_INDIRECT_MAX_ENTRY_LEN;
		KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, bad, need, 0), -E2BIG);
		KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, bad, need, U64_MAX),
				-EINVAL);
	} else {
		kunit_info(test, "max_mr_size %llu: a total above it is not reachable here (the core suite covers it)",
			   max_mr_size);
	}

	KUNIT_EXPECT_EQ(test, mr->lkey, lkey);
	KUNIT_EXPECT_EQ(test, mr->rkey, rkey);
	KUNIT_EXPECT_EQ(test, mr->iova, iova);
	KUNIT_EXPECT_EQ(test, mr->length, length);
	KUNIT_EXPECT_EQ(test, fmr->iova, fiova);
	KUNIT_EXPECT_EQ(test, fmr->length, flength);

	/* the live list, then the staged one made live again: the same */
	for (n = 0; n < 2; n++) {
		if (n)
			lb_rotate(lb, mr, RW_ACCESS);
		lb_expect_write_lands(lb, t, s, 31 + n, mr->iova, mr->rkey, 0,
				      gappy_total(), gappy_pieces, GAPPY_N,
				      n ? "through the list made live again" :
				      "through the live list");
	}
	/*
	 * The fast MR still translates: a READ of the MR's first 64 bytes
	 * (t + 5, entry 0) lands through it at t + 2048.
	 */
	KUNIT_ASSERT_EQ(test, lb_rdma(lb, IB_WR_RDMA_READ, fmr->iova + 2048, 64,
				      fmr->lkey, mr->iova, mr->rkey),
			IB_WC_SUCCESS);
	lb_sync(lb, t);
	KUNIT_EXPECT_EQ(test, memcmp(t->cpu + 2048, t->cpu + 5, 64), 0);
}

/*
 * A SEND whose indirect lkey has a bad entry fails locally with the
 * status a SEND with that bad lkey used directly gets, and sends nothing.
 */
static void lb_send_bad_entry(struct kunit *test)
{
	struct lb *lb = test->priv;
	static const u32 one[][2] = { { 0, 100 } };
	struct ib_sge ssge[2], rsge[2];
	struct lb_buf *s, *r;
	struct ib_mr *mr;

	lb_require_strict(lb, "A2 (an entry in another PD)");
	s = lb_buf(lb, LB_MEM, 0);
	r = lb_buf(lb, LB_MEM, LB_CANARY);
	mr = lb_indirect(lb, s, one, 1, lb->pd2->local_dma_lkey, RW_ACCESS);
	ssge[0] = (struct ib_sge){ s->dma, 100, lb->pd2->local_dma_lkey };
	ssge[1] = (struct ib_sge){ mr->iova, 100, mr->lkey };
	rsge[0] = (struct ib_sge){ r->dma, r->len, lb->pd->local_dma_lkey };
	rsge[1] = rsge[0];
	lb_expect_send_fails_alike(lb, ssge, rsge, r);
}

/*
 * A READ response scattered through an indirect lkey with a bad entry
 * fails as one through that bad lkey used directly, writing nothing.
 */
static void lb_read_into_bad_entry(struct kunit *test)
{
	struct lb *lb = test->priv;
	static const u32 one[][2] = { { 0, 100 } };
	struct lb_buf *t, *d;
	struct ib_mr *src, *mr;
	u8 *model;
	int want, got;

	lb_require_strict(lb, "A2 (an entry in another PD)");
	d = lb_buf(lb, LB_MEM, LB_CANARY);
	src = lb_gappy_target(lb, &t);
	mr = lb_indirect(lb, d, one, 1, lb->pd2->local_dma_lkey, RW_ACCESS);
	model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, model);
	memset(model, LB_CANARY, LB_MEM);
	want = lb_rdma(lb, IB_WR_RDMA_READ, d->dma, 100,
		       lb->pd2->local_dma_lkey, src->iova, src->rkey);
	KUNIT_EXPECT_NE(test, want, IB_WC_SUCCESS);
	KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
	got = lb_rdma(lb, IB_WR_RDMA_READ, mr->iova, 100, mr->lkey, src->iova,
		      src->rkey);
	KUNIT_EXPECT_EQ(test, got, want);
	kunit_info(test, "bad entry: status %d, bad direct lkey: status %d",
		   got, want);
	lb_expect_mem(lb, d, model, "read destination");
}

/*
 * An incoming SEND scattered through an indirect lkey with a bad entry:
 * both sides see what they see for that bad lkey used directly.
 */
static void lb_recv_bad_entry(struct kunit *test)
{
	struct lb *lb = test->priv;
	static const u32 one[][2] = { { 0, 200 } };
	struct ib_sge ssge[2], rsge[2];
	struct lb_buf *s, *r;
	struct ib_mr *mr;

	lb_require_strict(lb, "A2 (an entry in another PD)");
	s = lb_buf(lb, 256, 0x42);
	r = lb_buf(lb, LB_MEM, LB_CANARY);
	mr = lb_indirect(lb, r, one, 1, lb->pd2->local_dma_lkey, RW_ACCESS);
	ssge[0] = (struct ib_sge){ s->dma, 100, lb->pd->local_dma_lkey };
	ssge[1] = ssge[0];
	rsge[0] = (struct ib_sge){ r->dma, 200, lb->pd2->local_dma_lkey };
	rsge[1] = (struct ib_sge){ mr->iova, 200, mr->lkey };
	lb_expect_send_fails_alike(lb, ssge, rsge, r);
}

/*
 * One packet touching 40 entries under LB_SPREAD distinct MRs: more than
 * rxe resolves on its stack, so it takes the allocated-table path.
 */
static void lb_many_entries_packet(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, LB_CANARY);
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	u32 (*pieces)[2] = kunit_kcalloc(test, 40, sizeof(*pieces), GFP_KERNEL);
	struct ib_mr *mr;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, pieces);
	for (i = 0; i < 40; i++) {
		pieces[i][0] = 11000 - i * 271;		/* gaps, descending */
		pieces[i][1] = 10;
	}
	mr = lb_indirect_spread(lb, t, (const u32 (*)[2])pieces, 40);
	lb_expect_write_lands(lb, t, s, 97, mr->iova, mr->rkey, 0, 400,
			      (const u32 (*)[2])pieces, 40, "target");
}

/*
 * REG_MR on an indirect MR that was never mapped fails (rule S4) and
 * leaves it FREE: its rkey fails as an invalidated fast MR's.
 */
static void lb_reg_unmapped(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, LB_CANARY);
	struct ib_mr *mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, 4);
	struct ib_mr *fmr = lb_free_fast_mr(lb, t);

	lb_expect_reg_fails(lb, lb->qp[1], mr, mr->rkey, RW_ACCESS,
			    LB_ANY_ERROR);
	lb_expect_fails_alike(lb, IB_WR_RDMA_WRITE, 8, fmr->iova, fmr->rkey,
			      t, mr->iova, mr->rkey);
}

struct lb_iova_case {
	enum ib_mr_type	type;
	bool		sge;	/* ib_map_mr_sge(), else ib_map_mr_sg() */
	const char	*name;
};

static const struct lb_iova_case lb_iova_cases[] = {
	{ IB_MR_TYPE_INDIRECT, true, "indirect, ib_map_mr_sge" },
	{ IB_MR_TYPE_INDIRECT, false, "indirect, ib_map_mr_sg" },
	{ IB_MR_TYPE_SG_GAPS, false, "sg_gaps, ib_map_mr_sg" },
};

static void lb_iova_case_desc(const struct lb_iova_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(lb_iova, lb_iova_cases, lb_iova_case_desc);

/*
 * The gappy pieces of @t as entries under the DMA lkey in @sge and as a
 * DMA-mapped scatterlist with gaps in @sg.
 */
static void lb_gappy_lists(struct lb *lb, struct lb_buf *t,
			   struct ib_sge *sge, struct scatterlist *sg)
{
	int i;

	sg_init_table(sg, GAPPY_N);
	for (i = 0; i < GAPPY_N; i++) {
		sge[i] = (struct ib_sge){ t->dma + gappy_pieces[i][0],
					  gappy_pieces[i][1],
					  lb->pd->local_dma_lkey };
		sg_dma_address(&sg[i]) = sge[i].addr;
		sg_dma_len(&sg[i]) = sge[i].length;
	}
}

/*
 * Map the gappy pieces of @t into @mr as @c says: with ib_map_mr_sge() at
 * iova 0x10000003, or with ib_map_mr_sg() of a scatterlist with gaps (at
 * the DMA address of the first byte).
 */
static void lb_map_gappy(struct lb *lb, const struct lb_iova_case *c,
			 struct ib_mr *mr, struct lb_buf *t)
{
	struct kunit *test = lb->test;
	struct ib_sge sge[GAPPY_N];
	struct scatterlist sg[GAPPY_N];

	lb_gappy_lists(lb, t, sge, sg);
	if (c->sge)
		KUNIT_ASSERT_EQ(test, ib_map_mr_sge(mr, sge, GAPPY_N,
						    0x10000000 + 3), GAPPY_N);
	else
		KUNIT_ASSERT_EQ(test, ib_map_mr_sg(mr, sg, GAPPY_N, NULL,
						   PAGE_SIZE), GAPPY_N);
	KUNIT_ASSERT_EQ(test, mr->length, gappy_total());
}

/*
 * The iova is the one mr->iova holds when IB_WR_REG_MR is posted, as for
 * a fast MR: a ULP may rewrite it between the map and the registration
 * (xprtrdma sets its upper 32 bits).  The MR translates from the new
 * iova; the one given at map time is out of range, as the first byte past
 * a fast MR is.
 */
static void lb_iova_rewritten(struct kunit *test)
{
	const struct lb_iova_case *c = test->param_value;
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, LB_CANARY);
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	struct ib_mr *fmr = lb_fast_mr(lb, s, RW_ACCESS);
	struct ib_mr *mr = lb_alloc_mr(lb, lb->pd, c->type, GAPPY_N);
	u64 old;

	lb_map_gappy(lb, c, mr, t);
	old = mr->iova;
	mr->iova = (u64)0xabcd1234 << 32 | lower_32_bits(old);
	KUNIT_ASSERT_NE(test, mr->iova, old);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
	lb_expect_write_lands(lb, t, s, 51, mr->iova, mr->rkey, 0,
			      gappy_total(), gappy_pieces, GAPPY_N,
			      "target through the rewritten iova");
	lb_expect_read_gathers(lb, t, mr->iova, mr->rkey, gappy_pieces,
			       GAPPY_N, "read destination");
	lb_expect_fails_alike(lb, IB_WR_RDMA_WRITE, 16,
			      fmr->iova + fmr->length, fmr->rkey, t, old,
			      mr->rkey);
}

/*
 * REG_MR of a list whose last byte, from the iova mr->iova holds then,
 * is past U64_MAX fails (refused when posted, or completed in error) and
 * leaves the MR as it was: FREE, neither its old nor its new key working
 * (as an invalidated fast MR's), until a REG_MR from a good iova makes it
 * valid there.
 */
static void lb_reg_wrapping_iova(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);
	struct ib_mr *fmr = lb_free_fast_mr(lb, s);
	u64 live = mr->iova;
	u32 old = mr->rkey;
	int want;

	KUNIT_ASSERT_EQ(test, lb_local_inv(lb, mr->rkey), IB_WC_SUCCESS);
	ib_update_fast_reg_key(mr, ib_inc_rkey(mr->rkey));
	mr->iova = U64_MAX - mr->length + 2;
	lb_expect_reg_fails(lb, lb->qp[1], mr, mr->rkey, RW_ACCESS,
			    LB_ANY_ERROR);

	want = lb_direct_status(lb, IB_WR_RDMA_WRITE, fmr->iova, 16,
				fmr->rkey);
	lb_expect_fails(lb, IB_WR_RDMA_WRITE, t, live, 16, old, want);
	lb_expect_fails(lb, IB_WR_RDMA_WRITE, t, live, 16, mr->rkey, want);

	mr->iova = live + 0x10000;
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
	lb_expect_write_lands(lb, t, s, 91, mr->iova, mr->rkey, 0,
			      gappy_total(), gappy_pieces, GAPPY_N,
			      "target after a good REG_MR");
}

/* The contexts a map call may be made in (rule S5). */
struct lb_atomic_ctx {
	const char	*name;
	bool		spinlock;	/* else local_irq_disable() alone */
};

static const struct lb_atomic_ctx lb_atomic_ctxs[] = {
	{ "spin_lock_irqsave", true },
	{ "local_irq_disable", false },
};

static void lb_atomic_ctx_desc(const struct lb_atomic_ctx *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(lb_atomic_ctx, lb_atomic_ctxs, lb_atomic_ctx_desc);

static DEFINE_SPINLOCK(lb_atomic_lock);

/* A map call: ib_map_mr_sge() of @sge if set, else ib_map_mr_sg() of @sg. */
struct lb_map_call {
	struct ib_mr		*mr;
	const struct ib_sge	*sge;
	struct scatterlist	*sg;
	int			n;
	u64			iova;	/* of ib_map_mr_sge() */
};

static int lb_do_map(const struct lb_map_call *m)
{
	if (m->sge)
		return ib_map_mr_sge(m->mr, m->sge, m->n, m->iova);
	return ib_map_mr_sg(m->mr, m->sg, m->n, NULL, PAGE_SIZE);
}

/*
 * @m made in the context @c, where no KUnit check may run (a failed
 * assertion would leave the context): it maps all its entries, and
 * interrupts were off while it ran.
 */
static void lb_expect_map_in(struct lb *lb, const struct lb_atomic_ctx *c,
			     const struct lb_map_call *m, const char *what)
{
	unsigned long flags;
	bool irqs_off;
	int ret;

	if (c->spinlock) {
		spin_lock_irqsave(&lb_atomic_lock, flags);
		irqs_off = irqs_disabled();
		ret = lb_do_map(m);
		spin_unlock_irqrestore(&lb_atomic_lock, flags);
	} else {
		local_irq_disable();
		irqs_off = irqs_disabled();
		ret = lb_do_map(m);
		local_irq_enable();
	}
	KUNIT_EXPECT_TRUE_MSG(lb->test, irqs_off, "%s: interrupts were on",
			      c->name);
	KUNIT_ASSERT_EQ_MSG(lb->test, ret, m->n, "%s under %s", what, c->name);
}

/*
 * Both map calls may be made in atomic context (rule S5): under a
 * spinlock taken with spin_lock_irqsave(), and with interrupts disabled
 * by local_irq_disable().  A debug kernel (CONFIG_DEBUG_ATOMIC_SLEEP)
 * reports a map that may sleep there.  What such maps stage is what
 * REG_MR installs, every byte as the model says: ib_map_mr_sge() of a
 * FREE MR; ib_map_mr_sge() again while it is VALID, which only stages
 * (rule S1: the live list stays, rule A8, until LOCAL_INV and REG_MR);
 * ib_map_mr_sg() of an indirect and of an SG_GAPS MR.
 */
static void lb_map_atomic_context(struct kunit *test)
{
	const struct lb_atomic_ctx *c = test->param_value;
	struct lb *lb = test->priv;
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	struct lb_buf *t = lb_buf(lb, LB_MEM, LB_CANARY);
	static const u32 other[][2] = { { 9000, 600 }, { 64, 300 } };
	struct ib_sge sge[GAPPY_N], osge[ARRAY_SIZE(other)];
	struct scatterlist sg[GAPPY_N];
	struct lb_map_call m;
	struct ib_mr *mr;
	u64 live_iova;
	u32 live_rkey;
	int i;

	lb_gappy_lists(lb, t, sge, sg);
	for (i = 0; i < ARRAY_SIZE(other); i++)
		osge[i] = (struct ib_sge){ t->dma + other[i][0], other[i][1],
					   lb->pd->local_dma_lkey };

	mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, GAPPY_N);
	m = (struct lb_map_call){ .mr = mr, .sge = sge, .n = GAPPY_N,
				  .iova = 0x10000003 };
	lb_expect_map_in(lb, c, &m, "ib_map_mr_sge");
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
	lb_expect_write_lands(lb, t, s, 3, mr->iova, mr->rkey, 0,
			      gappy_total(), gappy_pieces, GAPPY_N, "target");
	lb_expect_read_gathers(lb, t, mr->iova, mr->rkey, gappy_pieces,
			       GAPPY_N, "read destination");

	live_iova = mr->iova;
	live_rkey = mr->rkey;
	m = (struct lb_map_call){ .mr = mr, .sge = osge,
				  .n = ARRAY_SIZE(other), .iova = 0x900000 };
	lb_expect_map_in(lb, c, &m, "ib_map_mr_sge while VALID");
	lb_expect_write_lands(lb, t, s, 5, live_iova, live_rkey, 0, 1200,
			      gappy_pieces, GAPPY_N,
			      "target through the live list");
	lb_rotate(lb, mr, RW_ACCESS);
	lb_expect_write_lands(lb, t, s, 7, mr->iova, mr->rkey, 0, 900, other,
			      ARRAY_SIZE(other),
			      "target through the list staged while VALID");

	for (i = 0; i < ARRAY_SIZE(sg_types); i++) {
		mr = lb_alloc_mr(lb, lb->pd, sg_types[i], GAPPY_N);
		m = (struct lb_map_call){ .mr = mr, .sg = sg, .n = GAPPY_N };
		lb_expect_map_in(lb, c, &m, "ib_map_mr_sg");
		KUNIT_EXPECT_EQ(test, mr->iova, sge[0].addr);
		KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
		lb_expect_write_lands(lb, t, s, 11 + i, mr->iova, mr->rkey, 0,
				      gappy_total(), gappy_pieces, GAPPY_N,
				      "target");
		lb_expect_read_gathers(lb, t, mr->iova, mr->rkey, gappy_pieces,
				       GAPPY_N, "read destination");
	}
}

/* Allocation limits and the capability. */
static void lb_alloc_limits(struct kunit *test)
{
	struct lb *lb = test->priv;
	u32 max = lb->dev->attrs.max_indirect_reg_list_len;
	struct ib_mr *mr;

	kunit_info(test, "device %s, %s, up to %u entries",
		   dev_name(&lb->dev->dev),
		   lb->strict ? "strict" : "portable rules only", max);
	kunit_info(test, "IBK_SG_GAPS_REG %d, IBK_INDIRECT_REG %d, max_fast_reg_page_list_len %u, max_mr_size %llu, atomic_cap %d, max_send_sge %d",
		   !!(lb->dev->attrs.kernel_cap_flags & IBK_SG_GAPS_REG),
		   !!(lb->dev->attrs.kernel_cap_flags & IBK_INDIRECT_REG),
		   lb->dev->attrs.max_fast_reg_page_list_len,
		   lb->dev->attrs.max_mr_size, lb->dev->attrs.atomic_cap,
		   lb->dev->attrs.max_send_sge);
	KUNIT_EXPECT_TRUE(test, lb->dev->attrs.kernel_cap_flags &
				IBK_SG_GAPS_REG);
	KUNIT_ASSERT_GT(test, max, 0);
	mr = ib_alloc_mr(lb->pd, IB_MR_TYPE_INDIRECT, max + 1);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(mr), -EINVAL);
	mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, max);
	KUNIT_EXPECT_EQ(test, mr->max_num_sg, max);
	mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_SG_GAPS, 16);
	KUNIT_EXPECT_EQ(test, mr->type, IB_MR_TYPE_SG_GAPS);
}

static struct kunit_case lb_cases[] = {
	/* portable: every device that sets IBK_INDIRECT_REG */
	KUNIT_CASE(lb_alloc_limits),			/* no rule: limits */
	KUNIT_CASE(lb_write_through_rkey),		/* A1 */
	KUNIT_CASE(lb_read_through_rkey),		/* A1 */
	KUNIT_CASE(lb_send_recv_lkeys),			/* A1 */
	KUNIT_CASE(lb_write_from_lkey),			/* A1 */
	KUNIT_CASE_PARAM(lb_map_mr_sg_gappy, sg_type_gen_params), /* A1 */
	KUNIT_CASE(lb_many_entries_packet),		/* A1 */
	KUNIT_CASE(lb_out_of_range_end),		/* A1 A7 */
	KUNIT_CASE(lb_out_of_range_start),		/* A1 A7 */
	KUNIT_CASE(lb_local_invalidate),		/* A1 A7 */
	KUNIT_CASE(lb_remote_invalidate),		/* A1 A7 */
	KUNIT_CASE(lb_rkey_rotation),			/* S3 A7 */
	KUNIT_CASE(lb_needs_remote_write),		/* A3 A7 */
	KUNIT_CASE(lb_needs_remote_read_atomic),	/* A3 A7 */
	KUNIT_CASE(lb_recv_needs_local_write),		/* A3 A7 */
	KUNIT_CASE(lb_atomic_ok),			/* A5 */
	KUNIT_CASE(lb_atomic_misaligned),		/* A5 A7, strict: A9 */
	KUNIT_CASE(lb_reg_bad_key),			/* S4 */
	KUNIT_CASE(lb_reg_other_pd),			/* S4 */
	KUNIT_CASE(lb_reg_twice),			/* S4 */
	KUNIT_CASE(lb_reg_unmapped),			/* S4 */
	KUNIT_CASE(lb_map_while_valid),			/* S1 A8 */
	KUNIT_CASE_PARAM(lb_map_atomic_context, lb_atomic_ctx_gen_params), /* S1 S5 A1 A8 */
	KUNIT_CASE(lb_bad_map_changes_nothing),		/* S3 A8, map errors */
	KUNIT_CASE_PARAM(lb_iova_rewritten, lb_iova_gen_params), /* S2 A1 A7 */
	KUNIT_CASE(lb_reg_wrapping_iova),		/* S2 S4 */
	/* device-defined: strict devices only (lb_require_strict()) */
	KUNIT_CASE(lb_entry_other_pd),			/* strict: A2 */
	KUNIT_CASE(lb_entry_indirect),			/* strict: A2 */
	KUNIT_CASE(lb_entry_sg_gaps),			/* strict: A2 */
	KUNIT_CASE(lb_entry_needs_local_write),		/* strict: A2 */
	KUNIT_CASE(lb_entry_deregistered),		/* strict: A4 */
	KUNIT_CASE(lb_entry_invalidated),		/* strict: A4 */
	KUNIT_CASE(lb_atomic_crossing),			/* strict: A9 */
	KUNIT_CASE(lb_send_bad_entry),			/* strict: A2 */
	KUNIT_CASE(lb_read_into_bad_entry),		/* strict: A2 */
	KUNIT_CASE(lb_recv_bad_entry),			/* strict: A2 */
	{}
};

static struct kunit_suite lb_suite = {
	.name = "ib_indirect_mr_loopback",
	.init = lb_init,
	.exit = lb_exit,
	.test_cases = lb_cases,
};

kunit_test_suite(lb_suite);
