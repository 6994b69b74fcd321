// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Allocation failures on the paths of indirect memory registration, in
 * loopback.  tools/testing/selftests/rdma/indirect_mr_fault.sh arms the
 * kernel's fault injection and runs these cases in two groups:
 *
 * nth_*    failslab and fail_page_alloc also fail sleeping and order-0
 *          allocations; each case fails the 1st, 2nd, ... allocation of
 *          one call in its own task (current->fail_nth, as
 *          /proc/self/fail-nth does) until the call makes no more, and
 *          checks that every failure is clean.
 * armed_*  failslab fails the next allocation made from rxe_ind_copy()
 *          (the table of the references a packet holds when it touches
 *          more distinct MRs than rxe keeps on its stack), in whichever
 *          rxe task it runs; one case per module load, and the script
 *          checks that the failure was used and counts rxe's RNR NAKs.
 *
 * Run without that set-up, the nth_* cases fail: they check that the
 * failures they expect were injected.  So do the armed_* cases whose
 * outcome differs from the unfailed one (a dropped UC or UD message, a
 * failed gather or scatter); those that retry succeed either way, and the
 * script's counts tell whether the failure took their retry path.
 */

#include <linux/gfp.h>
#include <linux/sched.h>
#include <rdma/restrack.h>

#include "indirect_mr_lb.h"

#define FAULT_MAX_NTH	10000

/* Fail the @nth allocation this task makes from now on; 0: none. */
static void lb_fail_nth(unsigned int nth)
{
	WRITE_ONCE(current->fail_nth, nth);
}

/* What is left of the countdown: 0 once the failure was injected. */
static unsigned int lb_fail_left(void)
{
	unsigned int left = READ_ONCE(current->fail_nth);

	lb_fail_nth(0);
	return left;
}

/* Whether the set-up of the nth_* cases is in place. */
static bool lb_nth_armed(void)
{
	struct page *page;
	void *p;
	bool slab, pages;

	lb_fail_nth(1);
	p = kmalloc(8, GFP_KERNEL);
	slab = !p && !lb_fail_left();
	kfree(p);
	lb_fail_nth(1);
	page = alloc_page(GFP_KERNEL);
	pages = !page && !lb_fail_left();
	if (page)
		__free_page(page);
	return slab && pages;
}

struct lb_fault_alloc {
	u32		entries;
	const char	*what;
};

static const struct lb_fault_alloc lb_fault_allocs[] = {
	{ 8, "8 entries (slab)" },
	{ 65536, "65536 entries (kvmalloc: pages, then vmalloc)" },
};

static void lb_fault_alloc_desc(const struct lb_fault_alloc *a, char *desc)
{
	strscpy(desc, a->what, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(lb_fault_alloc, lb_fault_allocs, lb_fault_alloc_desc);

/*
 * ib_alloc_mr(IB_MR_TYPE_INDIRECT) with its 1st, 2nd, ... allocation
 * failed: -ENOMEM, or success if the allocator recovered (kvmalloc falls
 * back to vmalloc), and in either case no MR left in restrack and the
 * PD's use count unchanged.
 */
static void nth_alloc_mr(struct kunit *test)
{
	const struct lb_fault_alloc *a = test->param_value;
	struct lb *lb = test->priv;
	unsigned int nth, failed = 0, recovered = 0, left;
	int mrs = rdma_restrack_count(lb->dev, RDMA_RESTRACK_MR, false);
	int pd_users = atomic_read(&lb->pd->usecnt);
	struct ib_mr *mr;

	if (a->entries > lb->dev->attrs.max_indirect_reg_list_len)
		kunit_skip(test, "%s takes at most %u entries",
			   dev_name(&lb->dev->dev),
			   lb->dev->attrs.max_indirect_reg_list_len);
	KUNIT_ASSERT_TRUE_MSG(test, lb_nth_armed(),
			      "fault injection not armed: run indirect_mr_fault.sh");
	for (nth = 1; nth < FAULT_MAX_NTH; nth++) {
		lb_fail_nth(nth);
		mr = ib_alloc_mr(lb->pd, IB_MR_TYPE_INDIRECT, a->entries);
		left = lb_fail_left();
		if (IS_ERR(mr)) {
			KUNIT_EXPECT_EQ_MSG(test, PTR_ERR(mr), -ENOMEM,
					    "allocation %u failed", nth);
			KUNIT_EXPECT_EQ(test, left, 0);
			failed++;
		} else {
			KUNIT_EXPECT_EQ(test, mr->max_num_sg, a->entries);
			KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
			if (left)
				break;	/* it made fewer than nth allocations */
			recovered++;
		}
		KUNIT_EXPECT_EQ_MSG(test, rdma_restrack_count(lb->dev,
							      RDMA_RESTRACK_MR,
							      false),
				    mrs, "MR left behind, allocation %u", nth);
		KUNIT_EXPECT_EQ(test, atomic_read(&lb->pd->usecnt), pd_users);
		if (test->status == KUNIT_FAILURE)
			return;
	}
	KUNIT_EXPECT_LT(test, nth, FAULT_MAX_NTH);
	KUNIT_EXPECT_GT(test, failed, 0);
	kunit_info(test, "%u allocations: %u failures gave -ENOMEM, %u were recovered from, nothing left behind",
		   nth - 1, failed, recovered);
}

/*
 * Neither map call allocates (drivers stage into storage allocated with
 * the MR, since a map may be made in atomic context): with the next
 * allocation armed to fail, both succeed and the failure is not used.
 */
static void nth_map_allocates_nothing(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *b = lb_buf(lb, LB_MEM, 0);
	struct ib_sge sge[4];
	struct scatterlist sg[2];
	unsigned int left;
	struct ib_mr *mr;
	int i, n;

	KUNIT_ASSERT_TRUE_MSG(test, lb_nth_armed(),
			      "fault injection not armed: run indirect_mr_fault.sh");
	for (i = 0; i < ARRAY_SIZE(sge); i++)
		sge[i] = (struct ib_sge){ b->dma + 1000 * i + 3, 999,
					  lb->pd->local_dma_lkey };
	mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, ARRAY_SIZE(sge));
	/* nothing between arming and reading back may allocate */
	lb_fail_nth(1);
	n = ib_map_mr_sge(mr, sge, ARRAY_SIZE(sge), 0);
	left = lb_fail_left();
	KUNIT_EXPECT_EQ(test, n, ARRAY_SIZE(sge));
	KUNIT_EXPECT_EQ(test, left, 1);

	sg_init_table(sg, ARRAY_SIZE(sg));
	for (i = 0; i < ARRAY_SIZE(sg); i++) {
		sg_dma_address(&sg[i]) = b->dma + 2000 * i + 1;
		sg_dma_len(&sg[i]) = 1500;
	}
	lb_fail_nth(1);
	n = ib_map_mr_sg(mr, sg, ARRAY_SIZE(sg), NULL, PAGE_SIZE);
	left = lb_fail_left();
	KUNIT_EXPECT_EQ(test, n, ARRAY_SIZE(sg));
	KUNIT_EXPECT_EQ(test, left, 1);
	KUNIT_EXPECT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
}

/*
 * The armed_* cases.  The script arms failslab once, for the next
 * allocation whose stack holds rxe_ind_copy(), and loads the module for
 * one case at a time.  rxe resolves the referenced MRs of a packet on its
 * stack up to RXE_IND_STACK_REFS (4) distinct ones and allocates a table
 * for more: the first packet of a case that names more than 4 distinct
 * MRs gets -ENOMEM from rxe_ind_copy(), every later one its table.  Each
 * case lays its lists out so that this first packet is the one it means,
 * wherever it is copied: on the responder (RC: an RNR NAK, the packet is
 * retried; UC and UD: the message is dropped), in the requester's gather
 * or in the completer's scatter (the work request fails).  The script
 * checks that the failure was injected and counts rxe's RNR NAKs.
 */

#define LB_FAULT_MTU	1024	/* the path MTU of the QPs of every case */

/* Skip unless the device is rxe, whose allocation the script arms. */
static void lb_fault_rxe(struct lb *lb)
{
	if (lb->dev->ops.driver_id != RDMA_DRIVER_RXE)
		kunit_skip(lb->test, "rxe's per-packet table; %s is not rxe",
			   dev_name(&lb->dev->dev));
}

#define FAULT_ENTRIES	40

/*
 * 40 pieces of 1 to 23 bytes, about 100 bytes apart: one packet's worth
 * (the return value, in bytes).  Through lb_indirect_spread() a packet
 * over them names LB_SPREAD distinct MRs.
 */
static u32 lb_fault_one_packet(struct lb *lb, u32 (*pieces)[2])
{
	u32 len = 0;
	int i;

	for (i = 0; i < FAULT_ENTRIES; i++) {
		pieces[i][0] = 100 * i + i % 7;
		pieces[i][1] = 1 + i % 23;
		len += pieces[i][1];
	}
	KUNIT_ASSERT_LE(lb->test, len, LB_FAULT_MTU);
	return len;
}

#define MID_N		24
#define MID_LEN		(3 * LB_FAULT_MTU)

/*
 * The pieces of a message of three packets through lb_indirect_spread(),
 * with gaps of 1 to 13 bytes: the first and the last packet touch 4
 * entries each (MRs 0 to 3, and 2 to 5), the middle one 16 entries that
 * name all LB_SPREAD MRs.  Only the middle packet needs rxe's table.
 */
static void lb_fault_mid_pieces(struct lb *lb, u32 (*p)[2])
{
	static const u32 outer[] = { 300, 250, 200, 274 };
	u32 off = 5, mid = 0, len = 0;
	int i;

	for (i = 0; i < MID_N; i++) {
		if (i < 4)
			p[i][1] = outer[i];
		else if (i >= MID_N - 4)
			p[i][1] = outer[MID_N - 1 - i];
		else if (i < MID_N - 5)
			p[i][1] = 40 + (i * 37) % 41;
		else
			p[i][1] = LB_FAULT_MTU - mid;
		if (i >= 4 && i < MID_N - 4)
			mid += p[i][1];
		p[i][0] = off;
		off += p[i][1] + 1 + i % 13;
		len += p[i][1];
	}
	KUNIT_ASSERT_EQ(lb->test, mid, LB_FAULT_MTU);
	KUNIT_ASSERT_EQ(lb->test, len, MID_LEN);
	KUNIT_ASSERT_LE(lb->test, off, LB_MEM);
}

/* The path MTU the cases lay their packets out for. */
static void lb_fault_mtu(struct lb *lb)
{
	struct ib_qp_init_attr init;
	struct ib_qp_attr attr;

	KUNIT_ASSERT_EQ(lb->test, ib_query_qp(lb->qp[0], &attr, IB_QP_PATH_MTU,
					      &init), 0);
	KUNIT_ASSERT_EQ(lb->test, ib_mtu_enum_to_int(attr.path_mtu),
			LB_FAULT_MTU);
}

static enum ib_qp_state lb_fault_qp_state(struct lb *lb, struct ib_qp *qp)
{
	struct ib_qp_init_attr init;
	struct ib_qp_attr attr;

	KUNIT_ASSERT_EQ(lb->test, ib_query_qp(qp, &attr, IB_QP_STATE, &init),
			0);
	return attr.qp_state;
}

/*
 * An RDMA WRITE of one packet through 40 entries that name in turn
 * LB_SPREAD distinct fast MRs, more than rxe holds references to on its
 * stack, while the table for them cannot be allocated: the responder
 * answers with an RNR NAK, the requester retries (rnr_retry 7: without
 * end) and the write completes with the model's bytes.
 */
static void armed_copy_table(struct kunit *test)
{
	struct lb *lb = test->priv;
	u32 pieces[FAULT_ENTRIES][2], len;
	struct lb_buf *t, *s;
	struct ib_mr *mr;

	lb_fault_rxe(lb);
	t = lb_buf(lb, LB_MEM, LB_CANARY);
	s = lb_buf(lb, LB_MEM, 0);
	len = lb_fault_one_packet(lb, pieces);
	mr = lb_indirect_spread(lb, t, (const u32 (*)[2])pieces,
				FAULT_ENTRIES);
	lb_expect_write_lands(lb, t, s, 9, mr->iova, mr->rkey, 0, len,
			      (const u32 (*)[2])pieces, FAULT_ENTRIES,
			      "target after the retried write");
}

/*
 * An RDMA WRITE of three packets whose middle packet alone needs the
 * table: the RNR NAK names that packet, the first stays written and the
 * requester resends from the first (a duplicate the responder acknowledges
 * without writing it again) or from the middle one.  The write completes
 * with the model's bytes.
 */
static void armed_write_middle_packet(struct kunit *test)
{
	struct lb *lb = test->priv;
	u32 pieces[MID_N][2];
	struct lb_buf *t, *s;
	struct ib_mr *mr;

	lb_fault_rxe(lb);
	lb_fault_mtu(lb);
	t = lb_buf(lb, LB_MEM, LB_CANARY);
	s = lb_buf(lb, LB_MEM, 0);
	lb_fault_mid_pieces(lb, pieces);
	mr = lb_indirect_spread(lb, t, (const u32 (*)[2])pieces, MID_N);
	lb_expect_write_lands(lb, t, s, 13, mr->iova, mr->rkey, 0, MID_LEN,
			      (const u32 (*)[2])pieces, MID_N,
			      "target after the retried middle packet");
}

/*
 * An RDMA READ of one packet through the 40 entries of armed_copy_table:
 * its only response packet cannot be built, the responder answers the
 * READ with an RNR NAK, and the retried READ returns the model's bytes.
 */
static void armed_read_first_packet(struct kunit *test)
{
	struct lb *lb = test->priv;
	u32 pieces[FAULT_ENTRIES][2];
	struct lb_buf *t;
	struct ib_mr *mr;

	lb_fault_rxe(lb);
	t = lb_buf(lb, LB_MEM, 0);
	lb_pattern(lb, t, 43);
	lb_fault_one_packet(lb, pieces);
	mr = lb_indirect_spread(lb, t, (const u32 (*)[2])pieces,
				FAULT_ENTRIES);
	lb_expect_read_gathers(lb, t, mr->iova, mr->rkey,
			       (const u32 (*)[2])pieces, FAULT_ENTRIES,
			       "read destination after the retried response");
}

/*
 * An RDMA READ of three response packets whose middle one alone needs
 * the table: the first response is delivered, the RNR NAK makes the
 * requester ask again for the rest, and the destination holds the model's
 * bytes.
 */
static void armed_read_middle_packet(struct kunit *test)
{
	struct lb *lb = test->priv;
	u32 pieces[MID_N][2];
	struct lb_buf *t;
	struct ib_mr *mr;

	lb_fault_rxe(lb);
	lb_fault_mtu(lb);
	t = lb_buf(lb, LB_MEM, 0);
	lb_pattern(lb, t, 19);
	lb_fault_mid_pieces(lb, pieces);
	mr = lb_indirect_spread(lb, t, (const u32 (*)[2])pieces, MID_N);
	lb_expect_read_gathers(lb, t, mr->iova, mr->rkey,
			       (const u32 (*)[2])pieces, MID_N,
			       "read destination after the retried middle response");
}

#define SEND_DIRECT	(LB_FAULT_MTU + 300)
#define SEND_N		16

/*
 * The indirect SGE of armed_send_middle_packet's receive, after
 * SEND_DIRECT bytes of a direct one, for a SEND of MID_LEN bytes: the
 * middle packet reaches it after 300 bytes and there touches 12 entries
 * naming all LB_SPREAD MRs; the last packet touches 4 entries (MRs 0 to
 * 3).  Returns the MR's length.
 */
static u32 lb_fault_send_pieces(struct lb *lb, u32 (*p)[2])
{
	static const u32 last[] = { 257, 255, 300, 212 };
	u32 off = 3, len = 0;
	int i;

	for (i = 0; i < SEND_N; i++) {
		if (i < 11)
			p[i][1] = 45 + (i * 29) % 31;
		else if (i == 11)
			p[i][1] = 2 * LB_FAULT_MTU - SEND_DIRECT - len;
		else
			p[i][1] = last[i - 12];
		p[i][0] = off;
		off += p[i][1] + 2 + i % 5;
		len += p[i][1];
	}
	KUNIT_ASSERT_EQ(lb->test, SEND_DIRECT + len, MID_LEN);
	KUNIT_ASSERT_LE(lb->test, off, LB_MEM);
	return len;
}

/*
 * A SEND of three packets into a receive of two SGEs, SEND_DIRECT bytes
 * of a direct buffer and then an indirect MR.  The middle packet fills
 * the direct SGE and moves rxe's receive cursor on to the indirect one,
 * whose table it cannot have: the responder restores the cursor and
 * answers with an RNR NAK.  The retried packet scatters from the same
 * place, so both SGEs hold the model's bytes; had the cursor stayed on
 * the indirect SGE, the retry would have written there from the wrong
 * offset and left the end of the direct one as it was.
 */
static void armed_send_middle_packet(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct ib_recv_wr rwr = { .wr_id = 0x5e4d, .num_sge = 2 };
	struct ib_send_wr swr = { .opcode = IB_WR_SEND, .num_sge = 1 };
	u8 *rmodel, *tmodel;
	struct ib_sge ssge, rsge[2];
	u32 pieces[SEND_N][2], len;
	struct lb_buf *r, *t, *s;
	struct ib_mr *mr;
	struct ib_wc wc;

	lb_fault_rxe(lb);
	lb_fault_mtu(lb);
	rmodel = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	tmodel = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, rmodel && tmodel);
	r = lb_buf(lb, LB_MEM, LB_CANARY);
	t = lb_buf(lb, LB_MEM, LB_CANARY);
	s = lb_buf(lb, LB_MEM, 0);
	lb_pattern(lb, s, 31);
	len = lb_fault_send_pieces(lb, pieces);
	mr = lb_indirect_spread(lb, t, (const u32 (*)[2])pieces, SEND_N);

	lb_sync(lb, s);
	lb_sync(lb, r);
	memcpy(rmodel, r->cpu, LB_MEM);
	memcpy(rmodel + 7, s->cpu, SEND_DIRECT);
	lb_sync(lb, t);
	lb_model(tmodel, t->cpu, LB_MEM, s->cpu + SEND_DIRECT, len,
		 (const u32 (*)[2])pieces, SEND_N);

	rsge[0] = (struct ib_sge){ r->dma + 7, SEND_DIRECT,
				   lb->pd->local_dma_lkey };
	rsge[1] = (struct ib_sge){ mr->iova, len, mr->lkey };
	rwr.sg_list = rsge;
	KUNIT_ASSERT_EQ(test, ib_post_recv(lb->qp[1], &rwr, NULL), 0);
	ssge = (struct ib_sge){ s->dma, MID_LEN, lb->pd->local_dma_lkey };
	swr.sg_list = &ssge;
	KUNIT_ASSERT_EQ(test, lb_post_send(lb, lb->qp[0], &swr),
			IB_WC_SUCCESS);
	KUNIT_ASSERT_EQ(test, lb_wait(lb, lb->rcq, &wc), 0);
	KUNIT_EXPECT_EQ(test, wc.status, IB_WC_SUCCESS);
	KUNIT_EXPECT_EQ(test, wc.wr_id, 0x5e4d);
	KUNIT_EXPECT_EQ(test, wc.byte_len, MID_LEN);
	lb_expect_mem(lb, r, rmodel, "direct SGE of the receive");
	lb_expect_mem(lb, t, tmodel, "indirect SGE of the receive");
}

/*
 * A pair of @type on the case's CQs in lb->extra (lb_exit() destroys it):
 * [0] sends, [1] receives, from @srq if not NULL.
 */
static void lb_fault_pair(struct lb *lb, enum ib_qp_type type,
			  struct ib_srq *srq)
{
	struct ib_qp_init_attr qpa = {
		.send_cq = lb->scq,
		.recv_cq = lb->rcq,
		.cap.max_send_wr = LB_SQ_DEPTH,
		.cap.max_recv_wr = LB_SQ_DEPTH,
		.cap.max_send_sge = 2,
		.cap.max_recv_sge = 2,
		.sq_sig_type = IB_SIGNAL_REQ_WR,
		.qp_type = type,
	};
	int i;

	for (i = 0; i < 2; i++) {
		if (i && srq) {
			qpa.srq = srq;
			qpa.cap.max_recv_wr = 0;
			qpa.cap.max_recv_sge = 0;
		}
		lb->extra[i] = ib_create_qp(lb->pd, &qpa);
		KUNIT_ASSERT_FALSE_MSG(lb->test, IS_ERR(lb->extra[i]),
				       "ib_create_qp: %ld",
				       PTR_ERR(lb->extra[i]));
	}
	for (i = 0; i < 2; i++)
		KUNIT_ASSERT_EQ(lb->test,
				lb_connect(lb, lb->extra[i],
					   lb->extra[!i]->qp_num), 0);
}

/* Both QPs of lb->extra are still in RTS, and nothing else completed. */
static void lb_fault_expect_pair_alive(struct lb *lb)
{
	struct ib_wc wc;
	int i;

	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_EQ_MSG(lb->test,
				    lb_fault_qp_state(lb, lb->extra[i]),
				    IB_QPS_RTS, "QP %d of the pair", i);
	KUNIT_EXPECT_EQ_MSG(lb->test, ib_poll_cq(lb->rcq, 1, &wc), 0,
			    "a second receive completed");
	KUNIT_EXPECT_EQ_MSG(lb->test, ib_poll_cq(lb->scq, 1, &wc), 0,
			    "an unexpected send completion");
}

/* lb->quiesce of a case with an address handle: lb_exit() frees the PD. */
static void lb_fault_destroy_ah(struct lb *lb)
{
	rdma_destroy_ah(lb->quiesce_data, RDMA_DESTROY_AH_SLEEPABLE);
}

static struct ib_ah *lb_fault_ah(struct lb *lb)
{
	struct rdma_ah_attr attr = {};
	struct ib_ah *ah;

	lb_ah_attr(lb, &attr);
	ah = rdma_create_ah(lb->pd, &attr, RDMA_CREATE_AH_SLEEPABLE);
	KUNIT_ASSERT_FALSE_MSG(lb->test, IS_ERR(ah), "rdma_create_ah: %ld",
			       PTR_ERR(ah));
	lb->quiesce_data = ah;
	lb->quiesce = lb_fault_destroy_ah;
	return ah;
}

/*
 * lb->quiesce of armed_send_srq: the pair goes before its SRQ, which
 * lb_exit() does not know.
 */
static void lb_fault_destroy_srq(struct lb *lb)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (!IS_ERR_OR_NULL(lb->extra[i]))
			ib_destroy_qp(lb->extra[i]);
		lb->extra[i] = NULL;
	}
	ib_destroy_srq(lb->quiesce_data);
}

/*
 * A SEND of one packet into a receive from an SRQ, through an indirect
 * lkey over the 40 entries: the responder takes the receive off the SRQ,
 * cannot have the table and answers with an RNR NAK.  The retried packet
 * must land in that same receive, the first on the SRQ, and not in the
 * one after it, which stays posted and untouched.
 */
static void armed_send_srq(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct ib_srq_init_attr sa = {
		.attr.max_wr = 8,
		.attr.max_sge = 2,
		.srq_type = IB_SRQT_BASIC,
	};
	struct ib_recv_wr rwr[2] = {
		{ .wr_id = 0xa, .num_sge = 1 }, { .wr_id = 0xb, .num_sge = 1 },
	};
	struct ib_send_wr swr = { .opcode = IB_WR_SEND, .num_sge = 1 };
	u32 pieces[FAULT_ENTRIES][2], len;
	struct ib_sge ssge, rsge[2];
	u8 *tmodel, *rmodel;
	struct lb_buf *t, *r, *s;
	struct ib_srq *srq;
	struct ib_mr *mr;
	struct ib_wc wc;
	int i;

	lb_fault_rxe(lb);
	tmodel = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	rmodel = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, tmodel && rmodel);
	srq = ib_create_srq(lb->pd, &sa);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(srq), "ib_create_srq: %ld",
			       PTR_ERR(srq));
	lb->quiesce_data = srq;
	lb->quiesce = lb_fault_destroy_srq;
	lb_fault_pair(lb, IB_QPT_RC, srq);
	t = lb_buf(lb, LB_MEM, LB_CANARY);
	r = lb_buf(lb, LB_MEM, LB_CANARY);
	s = lb_buf(lb, LB_MEM, 0);
	lb_pattern(lb, s, 61);
	len = lb_fault_one_packet(lb, pieces);
	mr = lb_indirect_spread(lb, t, (const u32 (*)[2])pieces,
				FAULT_ENTRIES);
	lb_sync(lb, s);
	lb_sync(lb, t);
	lb_model(tmodel, t->cpu, LB_MEM, s->cpu, len,
		 (const u32 (*)[2])pieces, FAULT_ENTRIES);
	memset(rmodel, LB_CANARY, LB_MEM);

	rsge[0] = (struct ib_sge){ mr->iova, len, mr->lkey };
	rsge[1] = (struct ib_sge){ r->dma, r->len, lb->pd->local_dma_lkey };
	for (i = 0; i < 2; i++) {
		rwr[i].sg_list = &rsge[i];
		KUNIT_ASSERT_EQ(test, ib_post_srq_recv(srq, &rwr[i], NULL), 0);
	}
	ssge = (struct ib_sge){ s->dma, len, lb->pd->local_dma_lkey };
	swr.sg_list = &ssge;
	KUNIT_ASSERT_EQ(test, lb_post_send(lb, lb->extra[0], &swr),
			IB_WC_SUCCESS);
	KUNIT_ASSERT_EQ(test, lb_wait(lb, lb->rcq, &wc), 0);
	KUNIT_EXPECT_EQ(test, wc.status, IB_WC_SUCCESS);
	KUNIT_EXPECT_EQ_MSG(test, wc.wr_id, 0xa,
			    "the SEND completed another receive of the SRQ");
	KUNIT_EXPECT_EQ(test, wc.byte_len, len);
	lb_expect_mem(lb, t, tmodel, "first receive of the SRQ");
	lb_expect_mem(lb, r, rmodel, "second receive of the SRQ");
	KUNIT_EXPECT_EQ_MSG(test, ib_poll_cq(lb->rcq, 1, &wc), 0,
			    "a second receive completed");
}

/*
 * On UC, a shortage drops the message: an RDMA WRITE with immediate of
 * one packet through the 40 entries, while the table cannot be had,
 * writes nothing and consumes no receive; the next one, shorter, lands
 * and completes the receive the first one left.  Nothing of the first
 * remains past the second's end, and both QPs stay in RTS.
 */
static void armed_uc_write_dropped(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct ib_recv_wr rwr = { .wr_id = 0xc0, .num_sge = 1 };
	u32 pieces[FAULT_ENTRIES][2], len[2];
	struct ib_sge sge, rsge;
	struct ib_rdma_wr wr;
	struct lb_buf *t, *s, *g;
	struct ib_mr *mr;
	struct ib_wc wc;
	u8 *model;
	int i;

	lb_fault_rxe(lb);
	lb_require_strict(lb, "A6 (nothing written by the dropped packet)");
	model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, model);
	lb_fault_pair(lb, IB_QPT_UC, NULL);
	t = lb_buf(lb, LB_MEM, LB_CANARY);
	s = lb_buf(lb, LB_MEM, 0);
	lb_pattern(lb, s, 37);
	len[0] = lb_fault_one_packet(lb, pieces);
	len[1] = len[0] - 100;
	mr = lb_indirect_spread(lb, t, (const u32 (*)[2])pieces,
				FAULT_ENTRIES);
	lb_sync(lb, s);
	lb_sync(lb, t);
	lb_model(model, t->cpu, LB_MEM, s->cpu + 4096, len[1],
		 (const u32 (*)[2])pieces, FAULT_ENTRIES);

	/* a receive for the immediate data; nothing lands in its buffer */
	g = lb_buf(lb, 64, LB_CANARY);
	rsge = (struct ib_sge){ g->dma, g->len, lb->pd->local_dma_lkey };
	rwr.sg_list = &rsge;
	KUNIT_ASSERT_EQ(test, ib_post_recv(lb->extra[1], &rwr, NULL), 0);
	for (i = 0; i < 2; i++) {
		sge = (struct ib_sge){ s->dma + 4096 * i, len[i],
				       lb->pd->local_dma_lkey };
		wr = (struct ib_rdma_wr){
			.wr.opcode = IB_WR_RDMA_WRITE_WITH_IMM,
			.wr.sg_list = &sge,
			.wr.num_sge = 1,
			.wr.ex.imm_data = cpu_to_be32(i + 1),
			.remote_addr = mr->iova,
			.rkey = mr->rkey,
		};
		KUNIT_ASSERT_EQ(test, lb_post_send(lb, lb->extra[0], &wr.wr),
				IB_WC_SUCCESS);
	}
	KUNIT_ASSERT_EQ(test, lb_wait(lb, lb->rcq, &wc), 0);
	KUNIT_EXPECT_EQ(test, wc.status, IB_WC_SUCCESS);
	KUNIT_EXPECT_EQ(test, wc.opcode, IB_WC_RECV_RDMA_WITH_IMM);
	KUNIT_EXPECT_EQ(test, wc.wr_id, 0xc0);
	KUNIT_EXPECT_EQ_MSG(test, be32_to_cpu(wc.ex.imm_data), 2,
			    "the receive was completed by another write");
	KUNIT_EXPECT_EQ(test, wc.byte_len, len[1]);
	lb_expect_mem(lb, t, model, "target: the second write only");
	lb_fault_expect_pair_alive(lb);
}

/*
 * On UD, a shortage drops the datagram: a SEND into a receive of the GRH
 * (a direct SGE) and an indirect MR over the 40 entries.  The GRH lands,
 * the payload cannot have its table: the datagram is dropped and the
 * receive is left for the next one, shorter, which completes it with its
 * own bytes and nothing of the first past its end.  Both QPs stay in RTS.
 */
static void armed_ud_send_dropped(struct kunit *test)
{
	const u32 grh = sizeof(union rdma_network_hdr);
	struct lb *lb = test->priv;
	struct ib_recv_wr rwr = { .wr_id = 0xd0, .num_sge = 2 };
	u32 pieces[FAULT_ENTRIES][2], len[2];
	struct ib_sge sge, rsge[2];
	struct lb_buf *g, *t, *s;
	struct ib_ud_wr wr;
	struct ib_mr *mr;
	struct ib_ah *ah;
	struct ib_wc wc;
	u8 *model;
	int i;

	lb_fault_rxe(lb);
	lb_require_strict(lb, "A6 (nothing written by the dropped packet)");
	model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, model);
	lb_fault_pair(lb, IB_QPT_UD, NULL);
	ah = lb_fault_ah(lb);
	g = lb_buf(lb, 64, LB_CANARY);
	t = lb_buf(lb, LB_MEM, LB_CANARY);
	s = lb_buf(lb, LB_MEM, 0);
	lb_pattern(lb, s, 47);
	len[0] = lb_fault_one_packet(lb, pieces);
	len[1] = len[0] - 100;
	mr = lb_indirect_spread(lb, t, (const u32 (*)[2])pieces,
				FAULT_ENTRIES);
	lb_sync(lb, s);
	lb_sync(lb, t);
	lb_model(model, t->cpu, LB_MEM, s->cpu + 4096, len[1],
		 (const u32 (*)[2])pieces, FAULT_ENTRIES);

	rsge[0] = (struct ib_sge){ g->dma, grh, lb->pd->local_dma_lkey };
	rsge[1] = (struct ib_sge){ mr->iova, len[0], mr->lkey };
	rwr.sg_list = rsge;
	KUNIT_ASSERT_EQ(test, ib_post_recv(lb->extra[1], &rwr, NULL), 0);
	for (i = 0; i < 2; i++) {
		sge = (struct ib_sge){ s->dma + 4096 * i, len[i],
				       lb->pd->local_dma_lkey };
		wr = (struct ib_ud_wr){
			.wr.opcode = IB_WR_SEND,
			.wr.sg_list = &sge,
			.wr.num_sge = 1,
			.ah = ah,
			.remote_qpn = lb->extra[1]->qp_num,
			.remote_qkey = LB_QKEY,
		};
		KUNIT_ASSERT_EQ(test, lb_post_send(lb, lb->extra[0], &wr.wr),
				IB_WC_SUCCESS);
	}
	KUNIT_ASSERT_EQ(test, lb_wait(lb, lb->rcq, &wc), 0);
	KUNIT_EXPECT_EQ(test, wc.status, IB_WC_SUCCESS);
	KUNIT_EXPECT_EQ(test, wc.opcode, IB_WC_RECV);
	KUNIT_EXPECT_EQ(test, wc.wr_id, 0xd0);
	KUNIT_EXPECT_TRUE(test, wc.wc_flags & IB_WC_GRH);
	KUNIT_EXPECT_EQ(test, wc.src_qp, lb->extra[0]->qp_num);
	KUNIT_EXPECT_EQ_MSG(test, wc.byte_len, grh + len[1],
			    "the receive was completed by another datagram");
	lb_expect_mem(lb, t, model, "receive: the second datagram only");
	lb_sync(lb, g);
	KUNIT_EXPECT_NULL_MSG(test, memchr_inv(g->cpu + grh, LB_CANARY,
					       g->len - grh),
			      "written past the GRH's SGE");
	lb_fault_expect_pair_alive(lb);
}

/*
 * The requester's gather: a SEND of one packet from an indirect lkey
 * over the 40 entries, while the table cannot be had, fails as a SEND
 * whose direct SGE cannot be copied (a bad lkey) fails, at both ends; the
 * requester's QP goes to the error state and the receive buffer is not
 * written.
 */
static void armed_send_gather(struct kunit *test)
{
	struct lb *lb = test->priv;
	u32 pieces[FAULT_ENTRIES][2], len;
	struct ib_sge ssge[2], rsge;
	int send[2], recv[2], i;
	struct lb_buf *s, *r;
	struct ib_mr *mr;
	u8 *model;

	lb_fault_rxe(lb);
	model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, model);
	memset(model, LB_CANARY, LB_MEM);
	s = lb_buf(lb, LB_MEM, 0);
	r = lb_buf(lb, LB_MEM, LB_CANARY);
	lb_pattern(lb, s, 53);
	len = lb_fault_one_packet(lb, pieces);
	mr = lb_indirect_spread(lb, s, (const u32 (*)[2])pieces,
				FAULT_ENTRIES);
	ssge[0] = (struct ib_sge){ s->dma, len, lb->pd2->local_dma_lkey };
	ssge[1] = (struct ib_sge){ mr->iova, len, mr->lkey };
	rsge = (struct ib_sge){ r->dma, r->len, lb->pd->local_dma_lkey };
	for (i = 0; i < 2; i++) {
		if (i)
			KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
		send[i] = lb_send_recv(lb, &ssge[i], &rsge, &recv[i], NULL);
	}
	KUNIT_EXPECT_NE_MSG(test, send[0], IB_WC_SUCCESS,
			    "the SEND from a bad direct lkey succeeded");
	KUNIT_EXPECT_EQ(test, send[1], send[0]);
	KUNIT_EXPECT_EQ(test, recv[1], recv[0]);
	kunit_info(test, "no table: send %d recv %d; bad direct lkey: send %d recv %d",
		   send[1], recv[1], send[0], recv[0]);
	KUNIT_EXPECT_EQ(test, lb_fault_qp_state(lb, lb->qp[0]), IB_QPS_ERR);
	lb_expect_mem(lb, r, model, "receive buffer");
}

/*
 * The completer's scatter of a READ response: an RDMA READ of one packet
 * into an indirect lkey over the 40 entries, while the table cannot be
 * had, completes as a READ into a bad direct lkey does and writes none of
 * the response through the lkey.
 */
static void armed_read_scatter(struct kunit *test)
{
	struct lb *lb = test->priv;
	u32 pieces[FAULT_ENTRIES][2], len;
	struct lb_buf *src, *d;
	struct ib_mr *fmr, *mr;
	int want, got;
	u8 *model;

	lb_fault_rxe(lb);
	lb_require_strict(lb, "A6 (nothing written through the lkey)");
	model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, model);
	memset(model, LB_CANARY, LB_MEM);
	src = lb_buf(lb, LB_MEM, 0);
	lb_pattern(lb, src, 59);
	fmr = lb_fast_mr(lb, src, RW_ACCESS);
	d = lb_buf(lb, LB_MEM, LB_CANARY);
	len = lb_fault_one_packet(lb, pieces);
	mr = lb_indirect_spread(lb, d, (const u32 (*)[2])pieces,
				FAULT_ENTRIES);
	want = lb_rdma(lb, IB_WR_RDMA_READ, d->dma, len,
		       lb->pd2->local_dma_lkey, fmr->iova, fmr->rkey);
	KUNIT_EXPECT_NE_MSG(test, want, IB_WC_SUCCESS,
			    "the READ into a bad direct lkey succeeded");
	KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
	got = lb_rdma(lb, IB_WR_RDMA_READ, mr->iova, len, mr->lkey, fmr->iova,
		      fmr->rkey);
	KUNIT_EXPECT_EQ(test, got, want);
	kunit_info(test, "no table: status %d; bad direct lkey: status %d",
		   got, want);
	KUNIT_EXPECT_EQ(test, lb_fault_qp_state(lb, lb->qp[0]), IB_QPS_ERR);
	lb_expect_mem(lb, d, model, "read destination");
}

static int lb_fault_fetch_add(struct lb *lb, struct ib_sge *sge, u64 raddr,
			      u32 rkey, u64 add)
{
	struct ib_atomic_wr wr = {
		.wr.opcode = IB_WR_ATOMIC_FETCH_AND_ADD,
		.wr.sg_list = sge,
		.wr.num_sge = 1,
		.remote_addr = raddr,
		.rkey = rkey,
		.compare_add = add,
	};

	return lb_post_send(lb, lb->qp[0], &wr.wr);
}

/*
 * The completer's scatter of an atomic's original value: a fetch-and-add
 * whose 8-byte result goes through an indirect lkey of 8 one-byte entries
 * naming LB_SPREAD MRs, while the table cannot be had, completes as one
 * into a bad direct lkey does and writes no byte of the result.  (Both
 * were executed at the responder alike.)
 */
static void armed_atomic_result(struct kunit *test)
{
	struct lb *lb = test->priv;
	u32 pieces[8][2];
	struct lb_buf *t, *res;
	struct ib_mr *fmr, *mr;
	struct ib_sge sge;
	u64 *word, after[2];
	int want, got, i;
	u8 *model;

	lb_fault_rxe(lb);
	lb_require_strict(lb, "A6 (nothing written through the lkey)");
	lb_require_atomics(lb);
	model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, model);
	memset(model, LB_CANARY, LB_MEM);
	t = lb_buf(lb, LB_MEM, 0);
	fmr = lb_fast_mr(lb, t, ATOMIC_ACCESS);
	res = lb_buf(lb, LB_MEM, LB_CANARY);
	for (i = 0; i < ARRAY_SIZE(pieces); i++) {
		pieces[i][0] = 100 * i + 3;
		pieces[i][1] = 1;
	}
	mr = lb_indirect_spread(lb, res, (const u32 (*)[2])pieces,
				ARRAY_SIZE(pieces));
	word = (u64 *)(t->cpu + 64);
	lb_sync(lb, t);
	*word = 1000;
	lb_sync_dev(lb, t);

	sge = (struct ib_sge){ res->dma, 8, lb->pd2->local_dma_lkey };
	want = lb_fault_fetch_add(lb, &sge, fmr->iova + 64, fmr->rkey, 5);
	KUNIT_EXPECT_NE_MSG(test, want, IB_WC_SUCCESS,
			    "the atomic into a bad direct lkey succeeded");
	lb_sync(lb, t);
	after[0] = *word;
	KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
	sge = (struct ib_sge){ mr->iova, 8, mr->lkey };
	got = lb_fault_fetch_add(lb, &sge, fmr->iova + 64, fmr->rkey, 5);
	KUNIT_EXPECT_EQ(test, got, want);
	kunit_info(test, "no table: status %d; bad direct lkey: status %d",
		   got, want);
	KUNIT_EXPECT_EQ(test, lb_fault_qp_state(lb, lb->qp[0]), IB_QPS_ERR);
	lb_sync(lb, t);
	after[1] = *word;
	KUNIT_EXPECT_EQ(test, after[1] - after[0], after[0] - 1000);
	lb_expect_mem(lb, res, model, "atomic result buffer");
}

static struct kunit_case lb_fault_cases[] = {
	KUNIT_CASE_PARAM(nth_alloc_mr, lb_fault_alloc_gen_params), /* no rule */
	KUNIT_CASE(nth_map_allocates_nothing),	/* S5 */
	KUNIT_CASE(armed_copy_table),		/* no rule: rxe's table */
	KUNIT_CASE(armed_write_middle_packet),	/* no rule: rxe's RNR NAK */
	KUNIT_CASE(armed_read_first_packet),	/* no rule: rxe's RNR NAK */
	KUNIT_CASE(armed_read_middle_packet),	/* no rule: rxe's RNR NAK */
	KUNIT_CASE(armed_send_middle_packet),	/* no rule: rxe's RNR NAK */
	KUNIT_CASE(armed_send_srq),		/* no rule: rxe's RNR NAK */
	KUNIT_CASE(armed_uc_write_dropped),	/* strict: A6 */
	KUNIT_CASE(armed_ud_send_dropped),	/* strict: A6 */
	KUNIT_CASE(armed_send_gather),		/* no rule: rxe's gather */
	KUNIT_CASE(armed_read_scatter),		/* strict: A6 */
	KUNIT_CASE(armed_atomic_result),	/* strict: A6 */
	{}
};

static struct kunit_suite lb_fault_suite = {
	.name = "ib_indirect_mr_fault",
	.init = lb_init,
	.exit = lb_exit,
	.test_cases = lb_fault_cases,
};

kunit_test_suite(lb_fault_suite);
