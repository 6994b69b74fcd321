// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Named cases of indirect memory registration in loopback: WRITE, READ,
 * SEND/RECV and atomics through indirect rkeys and lkeys, and every bad
 * input class of Documentation/infiniband/indirect_mr.rst with its status
 * and the bytes that must not change.
 */

#include <linux/delay.h>
#include <linux/scatterlist.h>

#include "indirect_mr_lb.h"

static unsigned int hold_ms;
module_param(hold_ms, uint, 0444);
MODULE_PARM_DESC(hold_ms,
		 "keep the first case's MR registered this long (for a demo)");

/*
 * A gappy list of (offset, length) pieces of one buffer: byte offsets,
 * odd lengths, one byte, a page crossed, out of order.
 */
static const u32 gappy_pieces[][2] = {
	{ 5, 1000 }, { 2000, 1 }, { 4090, 3000 }, { 8000, 77 }, { 1500, 333 },
};

static u32 gappy_total(void)
{
	u32 i, t = 0;

	for (i = 0; i < ARRAY_SIZE(gappy_pieces); i++)
		t += gappy_pieces[i][1];
	return t;
}

/* RDMA WRITE through an indirect rkey lands in the entries, in order. */
static void lb_write_through_rkey(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, LB_CANARY);
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	struct ib_mr *mr;

	mr = lb_indirect(lb, t, gappy_pieces, ARRAY_SIZE(gappy_pieces),
			 lb->pd->local_dma_lkey, RW_ACCESS);
	KUNIT_EXPECT_EQ(test, mr->length, gappy_total());
	kunit_info(test, "%zu entries at byte offsets in one buffer -> one MR: rkey %#x iova %#llx length %llu",
		   ARRAY_SIZE(gappy_pieces), mr->rkey, mr->iova, mr->length);
	lb_expect_write_lands(lb, t, s, 1, mr->iova, mr->rkey, 0,
			      gappy_total(), gappy_pieces,
			      ARRAY_SIZE(gappy_pieces), "target");
	kunit_info(test, "RDMA WRITE of %u bytes through the rkey: all %lu bytes of the buffer match the model",
		   gappy_total(), LB_MEM);
	if (hold_ms)
		msleep(hold_ms);

	/* a write into the middle: from byte 999 (last of entry 0), 3400 B */
	lb_expect_write_lands(lb, t, s, 77, mr->iova, mr->rkey, 999, 3400,
			      gappy_pieces, ARRAY_SIZE(gappy_pieces),
			      "target after partial write");
	kunit_info(test, "RDMA WRITE of 3400 bytes at MR offset 999 (last byte of entry 0 onwards): buffer matches the model");
}

/* RDMA READ through an indirect rkey gathers the entries, in order. */
static void lb_read_through_rkey(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, 0);
	struct lb_buf *d = lb_buf(lb, LB_MEM, LB_CANARY);
	u8 *model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	struct ib_mr *mr;
	u32 pos;

	KUNIT_ASSERT_NOT_NULL(test, model);
	lb_pattern(t, 3);
	memset(model, LB_CANARY, LB_MEM);
	pos = lb_gather(model, t->cpu, gappy_pieces, ARRAY_SIZE(gappy_pieces));
	mr = lb_indirect(lb, t, gappy_pieces, ARRAY_SIZE(gappy_pieces),
			 lb->pd->local_dma_lkey, RW_ACCESS);
	KUNIT_ASSERT_EQ(test, lb_rdma(lb, IB_WR_RDMA_READ, d->dma, pos,
				      lb->pd->local_dma_lkey, mr->iova,
				      mr->rkey), IB_WC_SUCCESS);
	lb_expect_mem(lb, d, model, "read destination");
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
	struct ib_recv_wr rwr = { .sg_list = &rsge, .num_sge = 1 };
	struct ib_send_wr swr = { .opcode = IB_WR_SEND, .sg_list = &ssge,
				  .num_sge = 1 };
	struct ib_wc wc;
	u32 pos;

	KUNIT_ASSERT_TRUE(test, model && msg);
	lb_pattern(s, 11);
	pos = lb_gather(msg, s->cpu, spieces, ARRAY_SIZE(spieces));
	smr = lb_indirect(lb, s, spieces, ARRAY_SIZE(spieces),
			  lb->pd->local_dma_lkey, RW_ACCESS);
	tmr = lb_indirect(lb, t, gappy_pieces, ARRAY_SIZE(gappy_pieces),
			  lb->pd->local_dma_lkey, RW_ACCESS);
	lb_model(model, t->cpu, LB_MEM, msg, pos, gappy_pieces,
		 ARRAY_SIZE(gappy_pieces));

	rsge = (struct ib_sge){ tmr->iova, tmr->length, tmr->lkey };
	KUNIT_ASSERT_EQ(test, ib_post_recv(lb->qp[1], &rwr, NULL), 0);
	ssge = (struct ib_sge){ smr->iova, smr->length, smr->lkey };
	KUNIT_ASSERT_EQ(test, lb_post_send(lb, lb->qp[0], &swr), IB_WC_SUCCESS);
	KUNIT_ASSERT_EQ(test, lb_wait(lb, lb->rcq, &wc), 0);
	KUNIT_EXPECT_EQ(test, wc.status, IB_WC_SUCCESS);
	KUNIT_EXPECT_EQ(test, wc.byte_len, pos);
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
	lb_pattern(s, 23);
	memset(model, LB_CANARY, LB_MEM);
	lb_gather(model, s->cpu, gappy_pieces, ARRAY_SIZE(gappy_pieces));
	smr = lb_indirect(lb, s, gappy_pieces, ARRAY_SIZE(gappy_pieces),
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

	lb_pattern(s, 5);
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
 * A remote write that must fail: its status, the target untouched and
 * the requester's QP in the error state.
 */
static void lb_expect_write_fails(struct lb *lb, struct lb_buf *t, u64 raddr,
				  u32 len, u32 rkey, int status)
{
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0x33);
	u8 *model = kunit_kmalloc(lb->test, LB_MEM, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(lb->test, model);
	lb_sync(lb, t);
	memcpy(model, t->cpu, LB_MEM);
	KUNIT_EXPECT_EQ(lb->test, lb_rdma(lb, IB_WR_RDMA_WRITE, s->dma, len,
					  lb->pd->local_dma_lkey, raddr, rkey),
			status);
	lb_expect_mem(lb, t, model, "target after a failed write");
	lb_expect_qp_error(lb, lb->qp[0]);
}

/*
 * A SEND of @ssge into a receive through the bad @direct SGE, then, on new
 * QPs, into one through the bad @indirect SGE: both receives complete in
 * error, the indirect one with the receive and send statuses the direct
 * one got, and neither writes a byte of @r (filled with LB_CANARY).
 */
static void lb_expect_recv_fails_alike(struct lb *lb, struct ib_sge *ssge,
				       struct ib_sge *direct,
				       struct ib_sge *indirect,
				       struct lb_buf *r)
{
	struct kunit *test = lb->test;
	u8 *model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	int send[2], recv[2], i;

	KUNIT_ASSERT_NOT_NULL(test, model);
	memset(model, LB_CANARY, LB_MEM);
	for (i = 0; i < 2; i++) {
		if (i)
			KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
		send[i] = lb_send_recv(lb, ssge, i ? indirect : direct,
				       &recv[i], NULL);
		KUNIT_ASSERT_NE_MSG(test, recv[i], -1,
				    "send status %d: the receive never completed",
				    send[i]);
	}
	KUNIT_EXPECT_NE(test, recv[0], IB_WC_SUCCESS);
	KUNIT_EXPECT_EQ(test, recv[1], recv[0]);
	KUNIT_EXPECT_EQ(test, send[1], send[0]);
	kunit_info(test, "indirect: recv %d send %d; direct: recv %d send %d",
		   recv[1], send[1], recv[0], send[0]);
	lb_expect_mem(lb, r, model, "receive buffer");
}

static struct ib_mr *lb_gappy_target(struct lb *lb, struct lb_buf **t)
{
	*t = lb_buf(lb, LB_MEM, LB_CANARY);
	return lb_indirect(lb, *t, gappy_pieces, ARRAY_SIZE(gappy_pieces),
			   lb->pd->local_dma_lkey, RW_ACCESS);
}

static void lb_out_of_range_end(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);

	lb_expect_write_fails(lb, t, mr->iova, mr->length + 1, mr->rkey,
			      IB_WC_REM_ACCESS_ERR);
}

static void lb_out_of_range_start(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);

	lb_expect_write_fails(lb, t, mr->iova - 1, 2, mr->rkey,
			      IB_WC_REM_ACCESS_ERR);
}

static void lb_local_invalidate(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);

	KUNIT_ASSERT_EQ(test, lb_local_inv(lb, mr->rkey), IB_WC_SUCCESS);
	lb_expect_write_fails(lb, t, mr->iova, 16, mr->rkey,
			      IB_WC_REM_ACCESS_ERR);
}

/* SEND_WITH_INV carrying the rkey invalidates it at the responder. */
static void lb_remote_invalidate(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *r = lb_buf(lb, 64, 0);
	struct ib_sge rsge = { r->dma, 64, lb->pd->local_dma_lkey };
	struct ib_recv_wr rwr = { .sg_list = &rsge, .num_sge = 1 };
	struct ib_send_wr swr = { .opcode = IB_WR_SEND_WITH_INV };
	struct ib_wc wc;
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);

	swr.ex.invalidate_rkey = mr->rkey;
	KUNIT_ASSERT_EQ(test, ib_post_recv(lb->qp[1], &rwr, NULL), 0);
	KUNIT_ASSERT_EQ(test, lb_post_send(lb, lb->qp[0], &swr), IB_WC_SUCCESS);
	KUNIT_ASSERT_EQ(test, lb_wait(lb, lb->rcq, &wc), 0);
	KUNIT_EXPECT_EQ(test, wc.status, IB_WC_SUCCESS);
	KUNIT_EXPECT_TRUE(test, wc.wc_flags & IB_WC_WITH_INVALIDATE);
	KUNIT_EXPECT_EQ(test, wc.ex.invalidate_rkey, mr->rkey);
	lb_expect_write_fails(lb, t, mr->iova, 16, mr->rkey,
			      IB_WC_REM_ACCESS_ERR);
}

/* After invalidation and a new key, the new key works and the old fails. */
static void lb_rkey_rotation(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);
	u32 old = mr->rkey;

	KUNIT_ASSERT_EQ(test, lb_local_inv(lb, old), IB_WC_SUCCESS);
	ib_update_fast_reg_key(mr, ib_inc_rkey(mr->rkey));
	KUNIT_ASSERT_NE(test, mr->rkey, old);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);

	lb_expect_write_lands(lb, t, s, 41, mr->iova, mr->rkey, 0, 1200,
			      gappy_pieces, ARRAY_SIZE(gappy_pieces),
			      "target through the new key");
	lb_expect_write_fails(lb, t, mr->iova, 16, old, IB_WC_REM_ACCESS_ERR);
}

/* An entry in another PD: the access fails as a bad key would. */
static void lb_entry_other_pd(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, LB_CANARY);
	static const u32 one[][2] = { { 100, 500 } };
	struct ib_mr *mr = lb_indirect(lb, t, one, 1, lb->pd2->local_dma_lkey,
				       RW_ACCESS);

	lb_expect_write_fails(lb, t, mr->iova, 8, mr->rkey,
			      IB_WC_REM_ACCESS_ERR);
}

/* An entry that is itself an indirect MR: one level only. */
static void lb_entry_indirect(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t;
	struct ib_mr *inner = lb_gappy_target(lb, &t);
	struct ib_sge sge = { inner->iova, 64, inner->lkey };
	struct ib_mr *outer = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, 1);

	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(outer, &sge, 1, 0x5000), 1);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, outer, RW_ACCESS), IB_WC_SUCCESS);
	lb_expect_write_fails(lb, t, outer->iova, 8, outer->rkey,
			      IB_WC_REM_ACCESS_ERR);
}

/*
 * A referenced fast-registered MR without local write: a remote write
 * through the indirect MR fails, a remote read through it succeeds.
 */
static void lb_entry_needs_local_write(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, 0);
	struct lb_buf *d = lb_buf(lb, 64, LB_CANARY);
	struct ib_mr *frmr, *mr;
	struct ib_sge sge;

	lb_pattern(t, 9);
	frmr = lb_fast_mr(lb, t, IB_ACCESS_REMOTE_READ);

	sge = (struct ib_sge){ frmr->iova + 16, 48, frmr->lkey };
	mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, 1);
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(mr, &sge, 1, 0x7000), 1);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);

	KUNIT_ASSERT_EQ(test, lb_rdma(lb, IB_WR_RDMA_READ, d->dma, 48,
				      lb->pd->local_dma_lkey, mr->iova,
				      mr->rkey), IB_WC_SUCCESS);
	lb_sync(lb, d);
	KUNIT_EXPECT_EQ(test, memcmp(d->cpu, t->cpu + 16, 48), 0);
	KUNIT_EXPECT_EQ(test, d->cpu[48], LB_CANARY);
	lb_expect_write_fails(lb, t, mr->iova, 8, mr->rkey,
			      IB_WC_REM_ACCESS_ERR);
}

/* The indirect MR's own rights: no remote write. */
static void lb_needs_remote_write(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, LB_CANARY);
	struct ib_mr *mr = lb_indirect(lb, t, gappy_pieces,
				       ARRAY_SIZE(gappy_pieces),
				       lb->pd->local_dma_lkey,
				       IB_ACCESS_LOCAL_WRITE |
				       IB_ACCESS_REMOTE_READ);

	lb_expect_write_fails(lb, t, mr->iova, 8, mr->rkey,
			      IB_WC_REM_ACCESS_ERR);
}

/*
 * The indirect MR's own rights, the other remote ones: without remote
 * read a READ fails, without remote atomic a fetch-and-add fails, and
 * neither changes a byte on either side.
 */
static void lb_needs_remote_read_atomic(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, LB_CANARY);
	struct lb_buf *d = lb_buf(lb, LB_MEM, 0x5a);
	/* MR byte 5 is 8-aligned in the MR (iova + 3) and lands on t + 64 */
	static const u32 one[][2] = { { 59, 64 } };
	struct ib_mr *mr = lb_indirect(lb, t, one, 1, lb->pd->local_dma_lkey,
				       IB_ACCESS_LOCAL_WRITE |
				       IB_ACCESS_REMOTE_WRITE);
	u8 *model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, model);
	memset(model, 0x5a, LB_MEM);
	KUNIT_EXPECT_EQ(test, lb_rdma(lb, IB_WR_RDMA_READ, d->dma, 64,
				      lb->pd->local_dma_lkey, mr->iova,
				      mr->rkey), IB_WC_REM_ACCESS_ERR);
	lb_expect_qp_error(lb, lb->qp[0]);
	KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
	KUNIT_ASSERT_EQ(test, (mr->iova + 5) % 8, 0);
	KUNIT_EXPECT_EQ(test, lb_atomic(lb, IB_WR_ATOMIC_FETCH_AND_ADD, d,
					mr->iova + 5, mr->rkey, 0, 1),
			IB_WC_REM_ACCESS_ERR);
	lb_expect_mem(lb, d, model, "local buffer");
	memset(model, LB_CANARY, LB_MEM);
	lb_expect_mem(lb, t, model, "target");
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
	struct ib_sge ssge = { s->dma, 100, lb->pd->local_dma_lkey };
	struct ib_sge direct = { fmr->iova, 200, fmr->lkey };
	struct ib_sge indirect = { mr->iova, 200, mr->lkey };

	lb_expect_recv_fails_alike(lb, &ssge, &direct, &indirect, r);
}

/* An entry naming an SG_GAPS MR: one level of indirection only (A2). */
static void lb_entry_sg_gaps(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, LB_CANARY);
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	struct ib_mr *gaps = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_SG_GAPS, 2);
	struct ib_mr *mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, 1);
	static const u32 gaps_pieces[][2] = { { 10, 100 }, { 500, 100 } };
	struct scatterlist sg[2];
	struct ib_sge sge;

	sg_init_table(sg, 2);
	sg_dma_address(&sg[0]) = t->dma + 10;
	sg_dma_len(&sg[0]) = 100;
	sg_dma_address(&sg[1]) = t->dma + 500;
	sg_dma_len(&sg[1]) = 100;
	KUNIT_ASSERT_EQ(test, ib_map_mr_sg(gaps, sg, 2, NULL, PAGE_SIZE), 2);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, gaps, RW_ACCESS), IB_WC_SUCCESS);
	/* the SG_GAPS MR itself translates the range the entry names */
	lb_expect_write_lands(lb, t, s, 3, gaps->iova, gaps->rkey, 0, 150,
			      gaps_pieces, 2, "target through the SG_GAPS MR");
	sge = (struct ib_sge){ gaps->iova, 150, gaps->lkey };
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(mr, &sge, 1, 0x6000), 1);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
	lb_expect_write_fails(lb, t, mr->iova, 150, mr->rkey,
			      IB_WC_REM_ACCESS_ERR);
}

/*
 * REG_MR with a key that differs from the MR's in more than the low 8
 * bits fails as it does for a fast MR (rule S4) and leaves the MR FREE:
 * its rkey does not work, and a REG_MR with a good key then does.
 */
static void lb_reg_bad_key(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);
	struct ib_mr *fmr = lb_fast_mr(lb, t, IB_ACCESS_LOCAL_WRITE);
	int status[2], i;

	for (i = 0; i < 2; i++) {
		struct ib_mr *m = i ? mr : fmr;

		KUNIT_ASSERT_EQ(test, lb_local_inv(lb, m->rkey), IB_WC_SUCCESS);
		status[i] = lb_reg_key(lb, lb->qp[1], m, m->rkey ^ 0x100,
				       RW_ACCESS);
		KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
	}
	KUNIT_EXPECT_NE(test, status[0], IB_WC_SUCCESS);
	KUNIT_EXPECT_EQ(test, status[1], status[0]);
	lb_expect_write_fails(lb, t, mr->iova, 8, mr->rkey,
			      IB_WC_REM_ACCESS_ERR);
	KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
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
	struct ib_mr *fmr = lb_fast_mr(lb, t, IB_ACCESS_LOCAL_WRITE);
	struct ib_qp **qp2 = lb->extra;	/* lb_exit() destroys them */
	int status[2] = { -1, -1 }, i;

	KUNIT_ASSERT_EQ(test, lb_local_inv(lb, mr->rkey), IB_WC_SUCCESS);
	KUNIT_ASSERT_EQ(test, lb_local_inv(lb, fmr->rkey), IB_WC_SUCCESS);
	for (i = 0; i < 2; i++) {
		struct ib_mr *m = i ? mr : fmr;

		if (lb_qp_pair(lb, lb->pd2, qp2, lb->scq, lb->rcq)) {
			KUNIT_FAIL(test, "cannot connect QPs in the other PD");
			break;
		}
		status[i] = lb_reg_key(lb, qp2[1], m, m->rkey, RW_ACCESS);
	}
	KUNIT_EXPECT_NE(test, status[0], IB_WC_SUCCESS);
	KUNIT_EXPECT_EQ(test, status[1], status[0]);
	lb_expect_write_fails(lb, t, mr->iova, 8, mr->rkey,
			      IB_WC_REM_ACCESS_ERR);
	KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
	KUNIT_EXPECT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
}

/* A referenced MR deregistered while the indirect MR is valid. */
static void lb_entry_deregistered(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, LB_CANARY);
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	static const u32 two[][2] = { { 0, 4096 }, { 8192, 100 } };
	struct ib_sge sge[2];
	struct ib_mr *frmr, *mr;

	frmr = lb_fast_mr(lb, t, IB_ACCESS_LOCAL_WRITE);
	sge[0] = (struct ib_sge){ frmr->iova + two[0][0], two[0][1],
				  frmr->lkey };
	sge[1] = (struct ib_sge){ t->dma + two[1][0], two[1][1],
				  lb->pd->local_dma_lkey };
	mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, 2);
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(mr, sge, 2, 0), 2);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);

	/* while both entries are good, a write spanning them lands */
	lb_expect_write_lands(lb, t, s, 13, mr->iova, mr->rkey, 0, 4196, two,
			      2, "target before dereg");

	KUNIT_ASSERT_EQ(test, ib_dereg_mr(frmr), 0);
	lb_forget_mr(lb, frmr);
	lb_expect_write_fails(lb, t, mr->iova + 4090, 8, mr->rkey,
			      IB_WC_REM_ACCESS_ERR);
}

/*
 * Atomics must be 8-byte aligned in the MR's address space (rxe refuses
 * such a work request when it is posted) and where they resolve to: an
 * entry starting 4 bytes into a word makes an aligned iova resolve to an
 * unaligned address, which the responder rejects as an invalid request.
 */
static void lb_atomic_misaligned(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, 0);
	struct lb_buf *res = lb_buf(lb, 8, 0);
	struct ib_sge sge = { t->dma + 256 + 4, 64, lb->pd->local_dma_lkey };
	struct ib_mr *mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, 1);
	struct ib_sge rsge = { res->dma, 8, lb->pd->local_dma_lkey };
	struct ib_atomic_wr wr = {
		.wr.opcode = IB_WR_ATOMIC_FETCH_AND_ADD,
		.wr.sg_list = &rsge,
		.wr.num_sge = 1,
		.wr.send_flags = IB_SEND_SIGNALED,
		.compare_add = 5,
	};
	u8 *model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, model);
	lb_pattern(t, 17);
	memcpy(model, t->cpu, LB_MEM);
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(mr, &sge, 1, 0x40000), 1);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);

	wr.remote_addr = mr->iova + 4;
	wr.rkey = mr->rkey;
	KUNIT_EXPECT_EQ(test, ib_post_send(lb->qp[0], &wr.wr, NULL), -EINVAL);

	KUNIT_EXPECT_EQ(test, lb_atomic(lb, IB_WR_ATOMIC_FETCH_AND_ADD, res,
					mr->iova + 8, mr->rkey, 0, 5),
			IB_WC_REM_INV_REQ_ERR);
	lb_expect_mem(lb, t, model, "target");
}

/* Aligned atomics inside one entry work; one crossing two entries fails. */
static void lb_atomic_ok_and_crossing(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, 0);
	struct lb_buf *res = lb_buf(lb, 8, 0);
	struct ib_sge sge[2];
	struct ib_mr *mr;
	u64 *a, *b;

	/* entry 0: 16 bytes at t+64; entry 1: 24 bytes at t+256 */
	sge[0] = (struct ib_sge){ t->dma + 64, 12, lb->pd->local_dma_lkey };
	sge[1] = (struct ib_sge){ t->dma + 256 + 4, 20,
				  lb->pd->local_dma_lkey };
	mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, 2);
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(mr, sge, 2, 0x40000), 2);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
	/* MR bytes 16..23 = entry 1 bytes 4..11 = t+264, 8-aligned */
	a = (u64 *)(t->cpu + 264);
	*a = 1000;
	/* MR bytes 8..15 cross from entry 0 into entry 1 */
	b = (u64 *)(t->cpu + 64 + 8);
	*b = 0;

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
	KUNIT_EXPECT_EQ(test, *a, 77);

	KUNIT_EXPECT_EQ(test, lb_atomic(lb, IB_WR_ATOMIC_FETCH_AND_ADD, res,
					mr->iova + 8, mr->rkey, 0, 5),
			IB_WC_REM_ACCESS_ERR);
	lb_sync(lb, t);
	KUNIT_EXPECT_EQ(test, *a, 77);
	KUNIT_EXPECT_EQ(test, *b, 0);
}

/*
 * REG_MR on an MR that is already valid fails, and the MR stays valid
 * with its list and key (rule S4): a write through it still lands.
 */
static void lb_reg_twice(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);

	KUNIT_EXPECT_NE(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
	KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
	lb_expect_write_lands(lb, t, s, 61, mr->iova, mr->rkey, 0,
			      gappy_total(), gappy_pieces,
			      ARRAY_SIZE(gappy_pieces),
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
			      gappy_pieces, ARRAY_SIZE(gappy_pieces),
			      "target through the live list");

	/* after invalidation and REG_MR the staged list is live */
	KUNIT_ASSERT_EQ(test, lb_local_inv(lb, mr->rkey), IB_WC_SUCCESS);
	ib_update_fast_reg_key(mr, ib_inc_rkey(mr->rkey));
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
	lb_expect_write_lands(lb, t, s, 83, mr->iova, mr->rkey, 0, 900, other,
			      2, "target through the new list");
}

/*
 * Every invalid map of the contract's table, on a real device: the
 * documented errno, and nothing changed.  The MR keeps its keys, iova and
 * length, its live list still translates, and its staged list survives:
 * the REG_MR after an invalidation installs the list of the last good
 * map (rule S3).  A map on an MR of another type changes that MR neither.
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
	int i;

	KUNIT_ASSERT_NOT_NULL(test, bad);
	for (i = 0; i <= max; i++)
		bad[i] = (struct ib_sge){ t->dma + 16 * i, 8,
					  lb->pd->local_dma_lkey };

	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(fmr, bad, 1, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, NULL, 1, 0), -EFAULT);
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, bad, 0, 0), -ERANGE);
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, bad, -1, 0), -ERANGE);
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, bad, max + 1, 0), -ERANGE);
	bad[1].length = 0;
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, bad, 2, 0), -ENODATA);
	bad[1].length = 8;
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, bad, 2, U64_MAX - 14),
			-EOVERFLOW);
	if (lb->dev->attrs.max_mr_size < 2ULL * U32_MAX) {
		bad[0].length = U32_MAX;
		bad[1].length = U32_MAX;
		KUNIT_EXPECT_EQ(test, ib_map_mr_sge(mr, bad, 2, 0), -EFBIG);
	} else {
		kunit_info(test, "max_mr_size %llu: -EFBIG is not reachable here (the core suite covers it)",
			   lb->dev->attrs.max_mr_size);
	}

	KUNIT_EXPECT_EQ(test, mr->lkey, lkey);
	KUNIT_EXPECT_EQ(test, mr->rkey, rkey);
	KUNIT_EXPECT_EQ(test, mr->iova, iova);
	KUNIT_EXPECT_EQ(test, mr->length, length);
	KUNIT_EXPECT_EQ(test, fmr->iova, fiova);
	KUNIT_EXPECT_EQ(test, fmr->length, flength);

	/* the live list, then the staged one made live again: the same */
	for (n = 0; n < 2; n++) {
		if (n) {
			KUNIT_ASSERT_EQ(test, lb_local_inv(lb, mr->rkey),
					IB_WC_SUCCESS);
			ib_update_fast_reg_key(mr, ib_inc_rkey(mr->rkey));
			KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS),
					IB_WC_SUCCESS);
		}
		lb_expect_write_lands(lb, t, s, 31 + n, mr->iova, mr->rkey, 0,
				      gappy_total(), gappy_pieces,
				      ARRAY_SIZE(gappy_pieces),
				      n ? "through the list made live again" :
				      "through the live list");
	}
	/*
	 * The fast MR still translates its page: a READ of the MR's first
	 * 64 bytes (t + 5, entry 0) lands through it at t + 2048.
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
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	struct lb_buf *r = lb_buf(lb, LB_MEM, LB_CANARY);
	static const u32 one[][2] = { { 0, 100 } };
	struct ib_mr *mr = lb_indirect(lb, s, one, 1, lb->pd2->local_dma_lkey,
				       RW_ACCESS);
	struct ib_sge direct = { s->dma, 100, lb->pd2->local_dma_lkey };
	struct ib_sge indirect = { mr->iova, 100, mr->lkey };
	struct ib_sge rsge = { r->dma, r->len, lb->pd->local_dma_lkey };
	u8 *model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	int want, got, recv;

	KUNIT_ASSERT_NOT_NULL(test, model);
	memset(model, LB_CANARY, LB_MEM);
	want = lb_send_recv(lb, &direct, &rsge, &recv, NULL);
	KUNIT_EXPECT_NE(test, want, IB_WC_SUCCESS);
	KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
	got = lb_send_recv(lb, &indirect, &rsge, &recv, NULL);
	KUNIT_EXPECT_EQ(test, got, want);
	kunit_info(test, "bad entry: status %d, bad direct lkey: status %d",
		   got, want);
	lb_expect_mem(lb, r, model, "receive buffer");
}

/*
 * A READ response scattered through an indirect lkey with a bad entry
 * fails as one through that bad lkey used directly, writing nothing.
 */
static void lb_read_into_bad_entry(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t, *d = lb_buf(lb, LB_MEM, LB_CANARY);
	struct ib_mr *src = lb_gappy_target(lb, &t);
	static const u32 one[][2] = { { 0, 100 } };
	struct ib_mr *mr = lb_indirect(lb, d, one, 1, lb->pd2->local_dma_lkey,
				       RW_ACCESS);
	u8 *model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	int want, got;

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
	struct lb_buf *s = lb_buf(lb, 256, 0x42);
	struct lb_buf *r = lb_buf(lb, LB_MEM, LB_CANARY);
	static const u32 one[][2] = { { 0, 200 } };
	struct ib_mr *mr = lb_indirect(lb, r, one, 1, lb->pd2->local_dma_lkey,
				       RW_ACCESS);
	struct ib_sge ssge = { s->dma, 100, lb->pd->local_dma_lkey };
	struct ib_sge direct = { r->dma, 200, lb->pd2->local_dma_lkey };
	struct ib_sge indirect = { mr->iova, 200, mr->lkey };

	lb_expect_recv_fails_alike(lb, &ssge, &direct, &indirect, r);
}

/* A referenced fast MR invalidated while the indirect MR is valid. */
static void lb_entry_invalidated(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, LB_CANARY);
	struct ib_mr *frmr = lb_fast_mr(lb, t, IB_ACCESS_LOCAL_WRITE);
	struct ib_sge sge = { frmr->iova + 100, 200, frmr->lkey };
	struct ib_mr *mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, 1);

	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(mr, &sge, 1, 0x3000), 1);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
	KUNIT_ASSERT_EQ(test, lb_local_inv(lb, frmr->rkey), IB_WC_SUCCESS);
	lb_expect_write_fails(lb, t, mr->iova, 8, mr->rkey,
			      IB_WC_REM_ACCESS_ERR);
}

/*
 * One packet touching 40 entries: more than rxe resolves on its stack,
 * so it takes the allocated-table path.
 */
static void lb_many_entries_packet(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, LB_CANARY);
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	u32 (*pieces)[2] = kunit_kcalloc(test, 40, sizeof(*pieces), GFP_KERNEL);
	struct ib_sge *sge = kunit_kcalloc(test, 40, sizeof(*sge), GFP_KERNEL);
	struct ib_mr *mr;
	int i;

	KUNIT_ASSERT_TRUE(test, pieces && sge);
	for (i = 0; i < 40; i++) {
		pieces[i][0] = 11000 - i * 271;		/* gaps, descending */
		pieces[i][1] = 10;
		sge[i] = (struct ib_sge){ t->dma + pieces[i][0], 10,
					  lb->pd->local_dma_lkey };
	}
	mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, 40);
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(mr, sge, 40, 0x8000), 40);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
	lb_expect_write_lands(lb, t, s, 97, mr->iova, mr->rkey, 0, 400,
			      (const u32 (*)[2])pieces, 40, "target");
}

/* REG_MR on an indirect MR that was never mapped fails (rule S3). */
static void lb_reg_unmapped(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct ib_mr *mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, 4);

	KUNIT_EXPECT_NE(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
}

/* Allocation limits and the capability. */
static void lb_alloc_limits(struct kunit *test)
{
	struct lb *lb = test->priv;
	u32 max = lb->dev->attrs.max_indirect_reg_list_len;
	struct ib_mr *mr;

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
	KUNIT_CASE(lb_alloc_limits),
	KUNIT_CASE(lb_write_through_rkey),
	KUNIT_CASE(lb_read_through_rkey),
	KUNIT_CASE(lb_send_recv_lkeys),
	KUNIT_CASE(lb_write_from_lkey),
	KUNIT_CASE_PARAM(lb_map_mr_sg_gappy, sg_type_gen_params),
	KUNIT_CASE(lb_out_of_range_end),
	KUNIT_CASE(lb_out_of_range_start),
	KUNIT_CASE(lb_local_invalidate),
	KUNIT_CASE(lb_remote_invalidate),
	KUNIT_CASE(lb_rkey_rotation),
	KUNIT_CASE(lb_entry_other_pd),
	KUNIT_CASE(lb_entry_indirect),
	KUNIT_CASE(lb_entry_needs_local_write),
	KUNIT_CASE(lb_needs_remote_write),
	KUNIT_CASE(lb_needs_remote_read_atomic),
	KUNIT_CASE(lb_recv_needs_local_write),
	KUNIT_CASE(lb_entry_sg_gaps),
	KUNIT_CASE(lb_reg_bad_key),
	KUNIT_CASE(lb_reg_other_pd),
	KUNIT_CASE(lb_entry_deregistered),
	KUNIT_CASE(lb_atomic_misaligned),
	KUNIT_CASE(lb_atomic_ok_and_crossing),
	KUNIT_CASE(lb_reg_twice),
	KUNIT_CASE(lb_map_while_valid),
	KUNIT_CASE(lb_bad_map_changes_nothing),
	KUNIT_CASE(lb_send_bad_entry),
	KUNIT_CASE(lb_read_into_bad_entry),
	KUNIT_CASE(lb_recv_bad_entry),
	KUNIT_CASE(lb_entry_invalidated),
	KUNIT_CASE(lb_many_entries_packet),
	KUNIT_CASE(lb_reg_unmapped),
	{}
};

static struct kunit_suite lb_suite = {
	.name = "ib_indirect_mr_loopback",
	.init = lb_init,
	.exit = lb_exit,
	.test_cases = lb_cases,
};

kunit_test_suite(lb_suite);
