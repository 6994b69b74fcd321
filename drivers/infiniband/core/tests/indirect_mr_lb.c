// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Indirect memory registration on a real device, in loopback: two RC QPs
 * of one device connected to each other, work requests through indirect
 * MRs as remote rkeys and as local lkeys, and every byte of the memory
 * involved compared with a model afterwards, including the bytes that
 * must not change.
 *
 * This file holds what the suites share: the device, PD, CQs and the
 * connected QP pair of each case, buffers, work request helpers and the
 * byte model.  The suites are in indirect_mr_lb_*.c.
 *
 * Load the module once the device exists, e.g. for soft-RoCE:
 *   rdma link add rxe0 type rxe netdev dummy0
 *   modprobe indirect_mr_loopback_test netdev=dummy0
 * tools/testing/selftests/rdma/indirect_mr.sh does this.  Any device that
 * sets IBK_INDIRECT_REG and has a RoCEv2 IPv4 GID can be named instead
 * (ibdev=mlx5_0).  The cases of the portable rules run on every device;
 * those of the rules the contract leaves to the device (nesting, the
 * rights and state of the referenced MRs, what a failed packet writes,
 * ...) run, as rxe defines them, only on a strict device: rxe, or any
 * with strict=1.  A failure a case expects has the status the device
 * gives the same failure on a direct MR, found by trying it first.
 */

#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <rdma/ib_cache.h>

#include "indirect_mr_lb.h"

static char *ibdev = "";
module_param(ibdev, charp, 0444);
MODULE_PARM_DESC(ibdev, "RDMA device under test; empty: the one on netdev");

static char *netdev = "dummy0";
module_param(netdev, charp, 0444);
MODULE_PARM_DESC(netdev, "netdev of the RDMA device under test, if ibdev is empty");

static int strict = -1;
module_param(strict, int, 0444);
MODULE_PARM_DESC(strict,
		 "also run the cases of the rules the contract leaves to the device, as rxe defines them: 1 yes, 0 no, -1 (default) if the device is rxe");

static bool refuse_atomics;
module_param(refuse_atomics, bool, 0444);
MODULE_PARM_DESC(refuse_atomics,
		 "behave as a device that refuses atomics when they are posted (mlx5 kernel QPs): the suites' atomics get -EOPNOTSUPP before the device sees them");

/*
 * Buffers are mapped for DMA in both directions.  The CPU reads one only
 * after lb_sync() and hands it back with lb_sync_dev() after writing it.
 */
struct lb_buf *lb_buf(struct lb *lb, size_t len, u8 fill)
{
	struct kunit *test = lb->test;
	struct lb_buf *b;

	KUNIT_ASSERT_LT(test, lb->nbufs, ARRAY_SIZE(lb->bufs));
	b = &lb->bufs[lb->nbufs];
	b->cpu = kmalloc(len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b->cpu);
	memset(b->cpu, fill, len);	/* mapping hands it to the device */
	b->len = len;
	b->dma = ib_dma_map_single(lb->dev, b->cpu, len, DMA_BIDIRECTIONAL);
	if (ib_dma_mapping_error(lb->dev, b->dma)) {
		kfree(b->cpu);
		KUNIT_FAIL_AND_ABORT(test, "dma mapping failed");
	}
	lb->nbufs++;
	return b;
}

void lb_sync(struct lb *lb, struct lb_buf *b)
{
	ib_dma_sync_single_for_cpu(lb->dev, b->dma, b->len, DMA_BIDIRECTIONAL);
}

void lb_sync_dev(struct lb *lb, struct lb_buf *b)
{
	ib_dma_sync_single_for_device(lb->dev, b->dma, b->len,
				      DMA_BIDIRECTIONAL);
}

void lb_pattern(struct lb *lb, struct lb_buf *b, u8 seed)
{
	u32 x = 0x9e3779b9u ^ seed;
	size_t i;

	/*
	 * xorshift32: no period of 256 bytes or a page, so a translation
	 * off by such a distance cannot read or write the same values.
	 */
	for (i = 0; i < b->len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b->cpu[i] = (u8)(x >> 24);
	}
	lb_sync_dev(lb, b);
}

/* The case's scratch buffer of LB_MEM bytes, patterned from @seed. */
static struct lb_buf *lb_scratch(struct lb *lb, u8 seed)
{
	if (!lb->scratch)
		lb->scratch = lb_buf(lb, LB_MEM, 0);
	lb_pattern(lb, lb->scratch, seed);
	return lb->scratch;
}

KUNIT_DEFINE_ACTION_WRAPPER(lb_kvfree, kvfree, const void *);

/* kvcalloc() freed with the case; NULL if it fails. */
void *lb_kvcalloc(struct kunit *test, size_t n, size_t size)
{
	void *p = kvcalloc(n, size, GFP_KERNEL);

	if (p && kunit_add_action_or_reset(test, lb_kvfree, p))
		return NULL;
	return p;
}

struct ib_mr *lb_alloc_mr(struct lb *lb, struct ib_pd *pd,
			  enum ib_mr_type type, u32 n)
{
	struct kunit *test = lb->test;
	struct ib_mr *mr;
	int i;

	/* the first slot lb_forget_mr() emptied, else a new one */
	for (i = 0; i < lb->nmrs && lb->mrs[i]; i++)
		;
	KUNIT_ASSERT_LT(test, i, LB_MAX_MRS);
	mr = ib_alloc_mr(pd, type, n);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(mr), "ib_alloc_mr: %ld",
			       PTR_ERR(mr));
	lb->mrs[i] = mr;
	if (i == lb->nmrs)
		lb->nmrs++;
	return mr;
}

void lb_forget_mr(struct lb *lb, struct ib_mr *mr)
{
	int i;

	for (i = 0; i < lb->nmrs; i++)
		if (lb->mrs[i] == mr)
			lb->mrs[i] = NULL;
}

/*
 * Wait for the next completion on @cq, sleeping between polls unless
 * @spin: 0, or -ETIMEDOUT.  Reports nothing, so a thread other than the
 * test's may use it.
 */
static int lb_poll(struct ib_cq *cq, struct ib_wc *wc, bool spin)
{
	unsigned long end = jiffies + msecs_to_jiffies(LB_TIMEOUT_MS);

	do {
		if (ib_poll_cq(cq, 1, wc) == 1)
			return 0;
		if (spin)
			cond_resched();
		else
			usleep_range(20, 100);
	} while (time_before(jiffies, end));
	return -ETIMEDOUT;
}

/* Wait for the next completion on @cq. */
int lb_wait(struct lb *lb, struct ib_cq *cq, struct ib_wc *wc)
{
	int ret = lb_poll(cq, wc, false);

	if (ret)
		KUNIT_FAIL(lb->test, "no completion within %d ms", LB_TIMEOUT_MS);
	return ret;
}

/* lb_wait() polling without sleeping, for the benchmarks. */
int lb_wait_spin(struct lb *lb, struct ib_cq *cq, struct ib_wc *wc)
{
	int ret = lb_poll(cq, wc, true);

	if (ret)
		KUNIT_FAIL(lb->test, "no completion within %d ms", LB_TIMEOUT_MS);
	return ret;
}

/*
 * Post the send WRs @wr on @qp as they are and wait for the next
 * completion on @cq, polling without sleeping if @spin: its status, or a
 * negative errno.  Reports nothing.
 */
int lb_post_chain(struct ib_qp *qp, struct ib_cq *cq,
		  const struct ib_send_wr *wr, bool spin)
{
	struct ib_wc wc;
	int ret;

	ret = ib_post_send(qp, wr, NULL);
	if (!ret)
		ret = lb_poll(cq, &wc, spin);
	return ret ?: wc.status;
}

/* Post one signaled send WR on @qp and wait for it, as lb_post_chain(). */
static int lb_post_wait(struct ib_qp *qp, struct ib_cq *cq,
			struct ib_send_wr *wr)
{
	wr->send_flags |= IB_SEND_SIGNALED;
	return lb_post_chain(qp, cq, wr, false);
}

/* IB_WR_REG_MR of @mr with @key and @access, as lb_post_wait(). */
int lb_reg_wait(struct ib_qp *qp, struct ib_cq *cq, struct ib_mr *mr, u32 key,
		int access)
{
	struct ib_reg_wr wr = {
		.wr.opcode = IB_WR_REG_MR,
		.mr = mr,
		.key = key,
		.access = access,
	};

	return lb_post_wait(qp, cq, &wr.wr);
}

/* IB_WR_LOCAL_INV of @rkey, as lb_post_wait(). */
int lb_inv_wait(struct ib_qp *qp, struct ib_cq *cq, u32 rkey)
{
	struct ib_send_wr wr = {
		.opcode = IB_WR_LOCAL_INV,
		.ex.invalidate_rkey = rkey,
	};

	return lb_post_wait(qp, cq, &wr);
}

/*
 * The test's view of lb_post_wait(): a timeout fails the case, and so
 * does a WR that cannot be posted unless @may_refuse.
 */
static int lb_report(struct lb *lb, int ret, bool may_refuse)
{
	if (ret == -ETIMEDOUT)
		KUNIT_FAIL(lb->test, "no completion within %d ms", LB_TIMEOUT_MS);
	else if (!may_refuse)
		KUNIT_ASSERT_GE_MSG(lb->test, ret, 0, "ib_post_send: %d", ret);
	return ret;
}

/* Post one signaled send WR on @qp; return its completion status. */
int lb_post_send(struct lb *lb, struct ib_qp *qp, struct ib_send_wr *wr)
{
	return lb_report(lb, lb_post_wait(qp, lb->scq, wr), false);
}

/* REG_MR of @mr with @key on @qp, whose send CQ is lb->scq. */
static int lb_reg_key(struct lb *lb, struct ib_qp *qp, struct ib_mr *mr,
		      u32 key, int access)
{
	return lb_report(lb, lb_reg_wait(qp, lb->scq, mr, key, access), false);
}

int lb_reg(struct lb *lb, struct ib_mr *mr, int access)
{
	return lb_reg_key(lb, lb->qp[1], mr, mr->rkey, access);
}

/*
 * After a failed RC operation the QP @qp is in the error state.  A device
 * may deliver the error completion before it moves the QP (rxe's
 * completer does, and a debug kernel shows it), so the state is given
 * LB_TIMEOUT_MS to change.
 */
static void lb_expect_qp_error(struct lb *lb, struct ib_qp *qp)
{
	unsigned long end = jiffies + msecs_to_jiffies(LB_TIMEOUT_MS);
	struct ib_qp_init_attr init;
	struct ib_qp_attr attr;

	do {
		KUNIT_ASSERT_EQ(lb->test, ib_query_qp(qp, &attr, IB_QP_STATE,
						      &init), 0);
		if (attr.qp_state == IB_QPS_ERR)
			return;
		usleep_range(100, 200);
	} while (time_before(jiffies, end));
	KUNIT_EXPECT_EQ(lb->test, attr.qp_state, IB_QPS_ERR);
}

/*
 * A REG_MR of @mr with @key on @qp (sending on lb->scq) that must fail.
 * The device may refuse it when it is posted (-EINVAL), or complete it in
 * error and move the QP to the error state; such a completion must have
 * the status @want unless @want is LB_ANY_ERROR or a refusal.  Returns
 * what happened, as lb_post_wait().  The case goes on with new QPs.
 */
int lb_expect_reg_fails(struct lb *lb, struct ib_qp *qp, struct ib_mr *mr,
			u32 key, int access, int want)
{
	struct kunit *test = lb->test;
	int ret = lb_report(lb, lb_reg_wait(qp, lb->scq, mr, key, access),
			    true);

	if (ret < 0) {
		KUNIT_EXPECT_EQ_MSG(test, ret, -EINVAL,
				    "REG_MR refused when posted");
	} else {
		KUNIT_EXPECT_NE_MSG(test, ret, IB_WC_SUCCESS,
				    "REG_MR succeeded");
		if (want > 0)
			KUNIT_EXPECT_EQ_MSG(test, ret, want,
					    "REG_MR completed with another status than on a fast MR");
		lb_expect_qp_error(lb, qp);
	}
	KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
	return ret;
}

int lb_local_inv(struct lb *lb, u32 rkey)
{
	return lb_report(lb, lb_inv_wait(lb->qp[1], lb->scq, rkey), false);
}

static bool lb_is_atomic(enum ib_wr_opcode op)
{
	return op == IB_WR_ATOMIC_CMP_AND_SWP ||
	       op == IB_WR_ATOMIC_FETCH_AND_ADD;
}

/*
 * @op from qp[0] through the remote (@raddr, @rkey) with the local @sge:
 * an RDMA WRITE or READ, or an atomic (@compare is ignored by a
 * fetch-and-add, which adds @swap_add).  As lb_post_wait().
 */
static int lb_remote_op(struct lb *lb, enum ib_wr_opcode op,
			struct ib_sge *sge, u64 raddr, u32 rkey, u64 compare,
			u64 swap_add)
{
	struct ib_rdma_wr rdma = {
		.wr.opcode = op,
		.wr.sg_list = sge,
		.wr.num_sge = 1,
		.remote_addr = raddr,
		.rkey = rkey,
	};
	struct ib_atomic_wr atomic = {
		.wr = rdma.wr,
		.remote_addr = raddr,
		.rkey = rkey,
		.compare_add = op == IB_WR_ATOMIC_FETCH_AND_ADD ? swap_add :
			       compare,
		.swap = swap_add,
	};

	/* as mlx5_ib_post_send() refuses atomics on kernel QPs */
	if (refuse_atomics && lb_is_atomic(op))
		return -EOPNOTSUPP;
	return lb_post_wait(lb->qp[0], lb->scq,
			    lb_is_atomic(op) ? &atomic.wr : &rdma.wr);
}

/* RDMA WRITE or READ from qp[0]: local [addr, +len) under lkey. */
int lb_rdma(struct lb *lb, enum ib_wr_opcode op, u64 addr, u32 len,
	    u32 lkey, u64 raddr, u32 rkey)
{
	struct ib_sge sge = { .addr = addr, .length = len, .lkey = lkey };

	return lb_report(lb, lb_remote_op(lb, op, &sge, raddr, rkey, 0, 0),
			 false);
}

int lb_atomic(struct lb *lb, enum ib_wr_opcode op, struct lb_buf *res,
	      u64 raddr, u32 rkey, u64 compare, u64 swap_add)
{
	struct ib_sge sge = {
		.addr = res->dma, .length = 8, .lkey = lb->pd->local_dma_lkey,
	};

	return lb_report(lb, lb_remote_op(lb, op, &sge, raddr, rkey, compare,
					  swap_add), false);
}

/* Whether @got is @want, or any failure if @want is LB_ANY_ERROR. */
bool lb_as_wanted(int got, int want)
{
	return got == want || (want == LB_ANY_ERROR && got != IB_WC_SUCCESS);
}

/*
 * What the device answers to an access that fails on a direct MR: @op (an
 * RDMA WRITE or READ of @len bytes, or an atomic) from the scratch buffer
 * to (@raddr, @rkey), the rkey of a fast-registered MR with the fault an
 * indirect MR is about to be tried with.  Returns its completion status,
 * or the errno of a refusal at post time (see lb_expect_fails()); the case
 * goes on with new QPs.
 */
int lb_direct_status(struct lb *lb, enum ib_wr_opcode op, u64 raddr, u32 len,
		     u32 rkey)
{
	struct lb_buf *l = lb_scratch(lb, 0);
	struct ib_sge sge = { l->dma, len, lb->pd->local_dma_lkey };
	int ret;

	KUNIT_ASSERT_LE(lb->test, len, l->len);
	ret = lb_report(lb, lb_remote_op(lb, op, &sge, raddr, rkey, 0, 1),
			true);
	KUNIT_ASSERT_NE_MSG(lb->test, ret, IB_WC_SUCCESS,
			    "the access through a direct MR succeeded");
	KUNIT_ASSERT_EQ(lb->test, lb_new_qps(lb), 0);
	return ret;
}

/*
 * An access through an indirect MR that must fail: @op (an RDMA WRITE or
 * READ of @len bytes, or an atomic) between the scratch buffer and
 * (@raddr, @rkey) in @t.  It gets @want, from lb_direct_status(): the same
 * completion status, or the same refusal when posted; LB_ANY_ERROR
 * accepts any failure.  Neither @t nor the scratch buffer changes, and a
 * completion in error leaves the requester's QP in the error state.  The
 * case goes on with new QPs.
 */
void lb_expect_fails(struct lb *lb, enum ib_wr_opcode op, struct lb_buf *t,
		     u64 raddr, u32 len, u32 rkey, int want)
{
	struct kunit *test = lb->test;
	struct lb_buf *l = lb_scratch(lb, 0x33);
	struct ib_sge sge = { l->dma, len, lb->pd->local_dma_lkey };
	u8 *tmodel = kunit_kmalloc(test, t->len, GFP_KERNEL);
	u8 *lmodel = kunit_kmalloc(test, l->len, GFP_KERNEL);
	int got;

	KUNIT_ASSERT_TRUE(test, tmodel && lmodel);
	KUNIT_ASSERT_LE(test, len, l->len);
	lb_sync(lb, t);
	memcpy(tmodel, t->cpu, t->len);
	lb_sync(lb, l);
	memcpy(lmodel, l->cpu, l->len);
	got = lb_report(lb, lb_remote_op(lb, op, &sge, raddr, rkey, 0, 1),
			true);
	KUNIT_EXPECT_TRUE_MSG(test, lb_as_wanted(got, want),
			      "result %d; through a direct MR: %d", got, want);
	if (got > 0)
		lb_expect_qp_error(lb, lb->qp[0]);
	lb_expect_mem(lb, t, tmodel, "target after a failed access");
	lb_expect_mem(lb, l, lmodel, "local buffer after a failed access");
	KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
}

/*
 * @op of @len bytes fails through the direct MR (@draddr, @drkey), then
 * through the indirect (@raddr, @rkey) in @t, with the same result and
 * nothing written; see lb_direct_status() and lb_expect_fails().
 */
void lb_expect_fails_alike(struct lb *lb, enum ib_wr_opcode op, u32 len,
			   u64 draddr, u32 drkey, struct lb_buf *t,
			   u64 raddr, u32 rkey)
{
	lb_expect_fails(lb, op, t, raddr, len, rkey,
			lb_direct_status(lb, op, draddr, len, drkey));
}

/*
 * What a fetch-and-add at a word 4 bytes off in a direct MR gets, in
 * *@direct: the completion status, or the errno of ib_post_send() if the
 * device refuses a misaligned atomic when it is posted (rxe).  One at a
 * misaligned address of an indirect MR gets the same (rules A5 and A7).
 *
 * Returned: what a strict device gives an atomic at an aligned address of
 * an indirect MR that an entry resolves to a misaligned one (rule A9):
 * *@direct if that is a completion status; if the device refuses at post
 * time, which it cannot do for this atomic, IB_WC_REM_INV_REQ_ERR, as rxe
 * gives.
 */
int lb_misaligned_atomic_status(struct lb *lb, int *direct)
{
	struct lb_buf *b = lb_buf(lb, PAGE_SIZE, 0);
	struct ib_mr *fmr = lb_fast_mr(lb, b, ATOMIC_ACCESS);

	KUNIT_ASSERT_EQ(lb->test, fmr->iova % 8, 0);
	*direct = lb_direct_status(lb, IB_WR_ATOMIC_FETCH_AND_ADD,
				   fmr->iova + 4, 8, fmr->rkey);
	if (*direct >= 0)
		return *direct;
	return IB_WC_REM_INV_REQ_ERR;
}

/*
 * An indirect MR over @n (offset, length) pieces of @b, staged at iova
 * 0x10000003 and valid with @access; entry i is under lkeys[i % @nkeys],
 * each the lkey of an MR whose addresses are @b's DMA addresses (the DMA
 * lkey, or a fast MR over @b from its start).
 */
struct ib_mr *lb_indirect_keys(struct lb *lb, struct lb_buf *b,
			       const u32 pieces[][2], int n, const u32 *lkeys,
			       int nkeys, int access)
{
	struct kunit *test = lb->test;
	struct ib_sge *sge = kunit_kcalloc(test, n, sizeof(*sge), GFP_KERNEL);
	struct ib_mr *mr;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, sge);
	for (i = 0; i < n; i++) {
		sge[i].addr = b->dma + pieces[i][0];
		sge[i].length = pieces[i][1];
		sge[i].lkey = lkeys[i % nkeys];
	}
	mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, n);
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(mr, sge, n, 0x10000000 + 3), n);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, access), IB_WC_SUCCESS);
	return mr;
}

/* An indirect MR over @n pieces of @b, all under @lkey. */
struct ib_mr *lb_indirect(struct lb *lb, struct lb_buf *b,
			  const u32 pieces[][2], int n, u32 lkey,
			  int access)
{
	return lb_indirect_keys(lb, b, pieces, n, &lkey, 1, access);
}

/*
 * An indirect MR over @n pieces of @b whose entries name in turn
 * LB_SPREAD fast-registered MRs over @b: a packet through LB_SPREAD
 * consecutive entries touches that many distinct MRs.
 */
struct ib_mr *lb_indirect_spread(struct lb *lb, struct lb_buf *b,
				 const u32 pieces[][2], int n)
{
	u32 lkeys[LB_SPREAD];
	int i;

	for (i = 0; i < LB_SPREAD; i++)
		lkeys[i] = lb_fast_mr(lb, b, IB_ACCESS_LOCAL_WRITE)->lkey;
	return lb_indirect_keys(lb, b, pieces, n, lkeys, LB_SPREAD, RW_ACCESS);
}

/*
 * The model of a write: @len bytes of @src laid into a copy of @mem
 * through @pieces, from byte @off of their concatenation on.
 */
static void lb_model_at(u8 *model, const u8 *mem, size_t mem_len,
			const u8 *src, u32 off, u32 len,
			const u32 pieces[][2], int n)
{
	int i;

	memcpy(model, mem, mem_len);
	for (i = 0; i < n && len; i++) {
		u32 plen = pieces[i][1], c;

		if (off >= plen) {
			off -= plen;
			continue;
		}
		c = min(len, plen - off);
		memcpy(model + pieces[i][0] + off, src, c);
		src += c;
		len -= c;
		off = 0;
	}
}

void lb_model(u8 *model, const u8 *mem, size_t mem_len, const u8 *src,
	      u32 len, const u32 pieces[][2], int n)
{
	lb_model_at(model, mem, mem_len, src, 0, len, pieces, n);
}

/* The model of a read: the concatenation of @pieces of @mem. */
u32 lb_gather(u8 *dst, const u8 *mem, const u32 pieces[][2], int n)
{
	u32 pos = 0;
	int i;

	for (i = 0; i < n; i++) {
		memcpy(dst + pos, mem + pieces[i][0], pieces[i][1]);
		pos += pieces[i][1];
	}
	return pos;
}

void lb_expect_mem(struct lb *lb, struct lb_buf *b, const u8 *model,
		   const char *what)
{
	size_t i;

	lb_sync(lb, b);
	for (i = 0; i < b->len; i++)
		if (b->cpu[i] != model[i]) {
			KUNIT_FAIL(lb->test, "%s: byte %zu is %#x, expected %#x",
				   what, i, b->cpu[i], model[i]);
			return;
		}
}

/* A page-list MR of @qp's PD over [@off, @off + @len) of @b, mapped. */
static struct ib_mr *lb_fast_mr_mapped(struct lb *lb, struct ib_qp *qp,
				       struct lb_buf *b, u32 off, u32 len)
{
	u64 dma = b->dma + off;
	struct scatterlist sg;
	struct ib_mr *mr;

	KUNIT_ASSERT_LE(lb->test, (size_t)off + len, b->len);
	mr = lb_alloc_mr(lb, qp->pd, IB_MR_TYPE_MEM_REG,
			 DIV_ROUND_UP(offset_in_page(dma) + len, PAGE_SIZE));
	sg_init_table(&sg, 1);
	sg_dma_address(&sg) = dma;
	sg_dma_len(&sg) = len;
	KUNIT_ASSERT_EQ(lb->test, ib_map_mr_sg(mr, &sg, 1, NULL, PAGE_SIZE), 1);
	return mr;
}

/*
 * A fast-registered MR over bytes [@off, @off + @len) of @b, allocated in
 * the PD of @qp and registered through @qp with @access.
 */
struct ib_mr *lb_fast_mr_at(struct lb *lb, struct ib_qp *qp,
			    struct lb_buf *b, u32 off, u32 len, int access)
{
	struct ib_mr *mr = lb_fast_mr_mapped(lb, qp, b, off, len);

	KUNIT_ASSERT_EQ(lb->test, lb_reg_key(lb, qp, mr, mr->rkey, access),
			IB_WC_SUCCESS);
	return mr;
}

/* A valid fast-registered MR over all of @b, with @access. */
struct ib_mr *lb_fast_mr(struct lb *lb, struct lb_buf *b, int access)
{
	return lb_fast_mr_at(lb, lb->qp[1], b, 0, b->len, access);
}

/* A fast-registered MR over @b, registered and invalidated again. */
struct ib_mr *lb_free_fast_mr(struct lb *lb, struct lb_buf *b)
{
	struct ib_mr *mr = lb_fast_mr(lb, b, RW_ACCESS);

	KUNIT_ASSERT_EQ(lb->test, lb_local_inv(lb, mr->rkey), IB_WC_SUCCESS);
	return mr;
}

/*
 * An RDMA READ of the MR (@iova, @rkey) that maps @pieces of @t, from its
 * start: it succeeds and returns their concatenation, and nothing past it
 * changes in the destination.
 */
void lb_expect_read_gathers(struct lb *lb, struct lb_buf *t, u64 iova,
			    u32 rkey, const u32 pieces[][2], int n,
			    const char *what)
{
	struct lb_buf *d = lb_buf(lb, LB_MEM, LB_CANARY);
	u8 *model = kunit_kmalloc(lb->test, LB_MEM, GFP_KERNEL);
	u32 len;

	KUNIT_ASSERT_NOT_NULL(lb->test, model);
	memset(model, LB_CANARY, LB_MEM);
	lb_sync(lb, t);
	len = lb_gather(model, t->cpu, pieces, n);
	KUNIT_ASSERT_EQ(lb->test, lb_rdma(lb, IB_WR_RDMA_READ, d->dma, len,
					  lb->pd->local_dma_lkey, iova, rkey),
			IB_WC_SUCCESS);
	lb_expect_mem(lb, d, model, what);
}

/*
 * An RDMA WRITE of @len bytes of @s, filled afresh from @seed, to byte
 * @off of the MR at (@iova, @rkey) that maps @pieces of @t: it succeeds,
 * and exactly the bytes of @t that the model puts there change.
 */
void lb_expect_write_lands(struct lb *lb, struct lb_buf *t, struct lb_buf *s,
			   u8 seed, u64 iova, u32 rkey, u32 off, u32 len,
			   const u32 pieces[][2], int n, const char *what)
{
	u8 *model = kunit_kmalloc(lb->test, LB_MEM, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(lb->test, model);
	lb_pattern(lb, s, seed);
	lb_sync(lb, s);
	lb_sync(lb, t);
	lb_model_at(model, t->cpu, LB_MEM, s->cpu, off, len, pieces, n);
	KUNIT_ASSERT_EQ(lb->test, lb_rdma(lb, IB_WR_RDMA_WRITE, s->dma, len,
					  lb->pd->local_dma_lkey, iova + off,
					  rkey), IB_WC_SUCCESS);
	lb_expect_mem(lb, t, model, what);
}

/*
 * SEND from @ssge on qp[0] into a receive of @rsge posted on qp[1]: the
 * send's status.  *@recv is the receive's status and *@len (if not NULL)
 * the bytes it got; *@recv is -1 when the send failed without reaching
 * the receive, which then goes with the QPs.
 */
int lb_send_recv(struct lb *lb, struct ib_sge *ssge, struct ib_sge *rsge,
		 int *recv, u32 *len)
{
	struct ib_recv_wr rwr = { .sg_list = rsge, .num_sge = 1 };
	struct ib_send_wr swr = { .opcode = IB_WR_SEND, .sg_list = ssge,
				  .num_sge = 1 };
	struct ib_wc wc;
	int status;

	KUNIT_ASSERT_EQ(lb->test, ib_post_recv(lb->qp[1], &rwr, NULL), 0);
	status = lb_post_send(lb, lb->qp[0], &swr);
	*recv = -1;
	if (status == IB_WC_SUCCESS || status == IB_WC_REM_OP_ERR) {
		if (lb_wait(lb, lb->rcq, &wc))
			return -ETIMEDOUT;
		*recv = wc.status;
		if (len)
			*len = wc.byte_len;
	}
	return status;
}

static const struct ib_gid_attr *lb_find_gid(struct ib_device *dev)
{
	const struct ib_gid_attr *attr;
	int i;

	for (i = 0; i < 64; i++) {
		attr = rdma_get_gid_attr(dev, 1, i);
		if (IS_ERR(attr))
			continue;
		if (attr->gid_type == IB_GID_TYPE_ROCE_UDP_ENCAP &&
		    ipv6_addr_v4mapped((struct in6_addr *)attr->gid.raw))
			return attr;
		rdma_put_gid_attr(attr);
	}
	return NULL;
}

/* The address of our own GID: every QP of the suite talks to this port. */
void lb_ah_attr(struct lb *lb, struct rdma_ah_attr *ah)
{
	union ib_gid dgid = lb->gid->gid;	/* loopback: our own GID */

	ah->type = RDMA_AH_ATTR_TYPE_ROCE;
	rdma_ah_set_port_num(ah, 1);
	rdma_ah_set_grh(ah, &dgid, 0, lb->gid->index, 1, 0);
	/* kernel users resolve the destination MAC themselves */
	memcpy(ah->roce.dmac, lb->dmac, ETH_ALEN);
}

/*
 * Take @qp to RTS, connected to @peer unless it is a UD QP (whose Q_Key is
 * LB_QKEY); an RC QP with rnr_retry 7, so RNR NAKs are retried without end.
 */
int lb_connect(struct lb *lb, struct ib_qp *qp, u32 peer)
{
	bool rc = qp->qp_type == IB_QPT_RC, ud = qp->qp_type == IB_QPT_UD;
	struct ib_qp_attr attr = {
		.qp_state = IB_QPS_INIT,
		.port_num = 1,
		.qkey = LB_QKEY,
		.qp_access_flags = IB_ACCESS_REMOTE_WRITE |
				   (rc ? IB_ACCESS_REMOTE_READ |
					 IB_ACCESS_REMOTE_ATOMIC : 0),
	};
	int ret;

	ret = ib_modify_qp(qp, &attr, IB_QP_STATE | IB_QP_PKEY_INDEX |
			   IB_QP_PORT | (ud ? IB_QP_QKEY : IB_QP_ACCESS_FLAGS));
	if (ret)
		return ret;

	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IB_QPS_RTR;
	attr.path_mtu = IB_MTU_1024;
	attr.dest_qp_num = peer;
	attr.max_dest_rd_atomic = 4;
	attr.min_rnr_timer = 12;
	lb_ah_attr(lb, &attr.ah_attr);
	ret = ib_modify_qp(qp, &attr, IB_QP_STATE |
			   (ud ? 0 : IB_QP_AV | IB_QP_PATH_MTU |
				     IB_QP_DEST_QPN | IB_QP_RQ_PSN) |
			   (rc ? IB_QP_MAX_DEST_RD_ATOMIC |
				 IB_QP_MIN_RNR_TIMER : 0));
	if (ret)
		return ret;

	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IB_QPS_RTS;
	attr.timeout = 14;
	attr.retry_cnt = 7;
	attr.rnr_retry = 7;
	attr.max_rd_atomic = 4;
	return ib_modify_qp(qp, &attr, IB_QP_STATE | IB_QP_SQ_PSN |
			    (rc ? IB_QP_TIMEOUT | IB_QP_RETRY_CNT |
				  IB_QP_RNR_RETRY | IB_QP_MAX_QP_RD_ATOMIC : 0));
}

/*
 * (Re)create the pair @qp[0], @qp[1] in @pd, on @scq and @rcq, with send
 * queues of @depth WRs, and connect the two QPs to each other.
 */
int lb_qp_pair(struct lb *lb, struct ib_pd *pd, struct ib_qp **qp,
	       struct ib_cq *scq, struct ib_cq *rcq, u32 depth)
{
	struct ib_qp_init_attr qpa = {
		.send_cq = scq,
		.recv_cq = rcq,
		.cap.max_send_wr = depth,
		.cap.max_recv_wr = LB_SQ_DEPTH,
		.cap.max_send_sge = lb->max_send_sge ?: 2,
		.cap.max_recv_sge = 2,
		.sq_sig_type = IB_SIGNAL_REQ_WR,
		.qp_type = IB_QPT_RC,
	};
	struct ib_wc wc;
	int i;

	for (i = 0; i < 2; i++) {
		if (!IS_ERR_OR_NULL(qp[i]))
			ib_destroy_qp(qp[i]);
		qp[i] = ib_create_qp(pd, &qpa);
		if (IS_ERR(qp[i]))
			return PTR_ERR(qp[i]);
	}
	/* completions of the old QPs are gone with them */
	while (ib_poll_cq(scq, 1, &wc) > 0 || ib_poll_cq(rcq, 1, &wc) > 0)
		;
	if (lb_connect(lb, qp[0], qp[1]->qp_num) ||
	    lb_connect(lb, qp[1], qp[0]->qp_num))
		return -EIO;
	return 0;
}

/* (Re)create the case's two QPs, e.g. after a failed operation. */
int lb_new_qps(struct lb *lb)
{
	return lb_qp_pair(lb, lb->pd, lb->qp, lb->scq, lb->rcq, LB_SQ_DEPTH);
}

void lb_exit(struct kunit *test)
{
	struct lb *lb = test->priv;
	int i;

	if (!lb)
		return;
	if (lb->quiesce)
		lb->quiesce(lb);	/* also after a failed assertion */
	for (i = 0; i < 2; i++) {
		if (!IS_ERR_OR_NULL(lb->qp[i]))
			ib_destroy_qp(lb->qp[i]);
		if (!IS_ERR_OR_NULL(lb->extra[i]))
			ib_destroy_qp(lb->extra[i]);
	}
	for (i = lb->nmrs - 1; i >= 0; i--)
		if (lb->mrs[i])
			ib_dereg_mr(lb->mrs[i]);
	for (i = 0; i < lb->nbufs; i++) {
		ib_dma_unmap_single(lb->dev, lb->bufs[i].dma, lb->bufs[i].len,
				    DMA_BIDIRECTIONAL);
		kfree(lb->bufs[i].cpu);
	}
	if (!IS_ERR_OR_NULL(lb->scq))
		ib_free_cq(lb->scq);
	if (!IS_ERR_OR_NULL(lb->rcq))
		ib_free_cq(lb->rcq);
	if (!IS_ERR_OR_NULL(lb->pd2))
		ib_dealloc_pd(lb->pd2);
	if (!IS_ERR_OR_NULL(lb->pd))
		ib_dealloc_pd(lb->pd);
	if (lb->gid)
		rdma_put_gid_attr(lb->gid);
	if (lb->dev)
		ib_device_put(lb->dev);
	test->priv = NULL;
}

/*
 * What the device does with an atomic through a direct MR, found once per
 * module load: 1 it executes it; otherwise why not, in lb_no_atomics.
 */
static int lb_atomics_found;
static char lb_no_atomics[128];

static void lb_find_atomics(struct lb *lb)
{
	struct lb_buf *b = lb_buf(lb, PAGE_SIZE, 0), *res = lb_buf(lb, 8, 0);
	struct ib_sge sge = { res->dma, 8, lb->pd->local_dma_lkey };
	const char *name = dev_name(&lb->dev->dev);
	struct ib_mr *mr = lb_fast_mr_mapped(lb, lb->qp[1], b, 0, PAGE_SIZE);
	u64 *word = (u64 *)b->cpu;
	int ret;

	ret = lb_reg_wait(lb->qp[1], lb->scq, mr, mr->rkey, ATOMIC_ACCESS);
	if (ret) {
		snprintf(lb_no_atomics, sizeof(lb_no_atomics),
			 "%s refuses a fast registration with remote atomic (%d)",
			 name, ret);
		goto out;
	}
	lb_sync(lb, b);
	*word = 40;
	lb_sync_dev(lb, b);
	ret = lb_report(lb, lb_remote_op(lb, IB_WR_ATOMIC_FETCH_AND_ADD, &sge,
					 mr->iova, mr->rkey, 0, 2), true);
	lb_sync(lb, b);
	if (ret < 0)
		snprintf(lb_no_atomics, sizeof(lb_no_atomics),
			 "%s refuses atomics when posted (%d), on a direct MR too",
			 name, ret);
	else if (ret)
		snprintf(lb_no_atomics, sizeof(lb_no_atomics),
			 "a fetch-and-add through a direct MR of %s completed with status %d",
			 name, ret);
	else if (*word != 42)
		snprintf(lb_no_atomics, sizeof(lb_no_atomics),
			 "a fetch-and-add through a direct MR of %s left %llu, not 42",
			 name, *word);
	else
		lb_atomics_found = 1;
out:
	if (lb_atomics_found != 1) {
		lb_atomics_found = -1;
		kunit_info(lb->test, "atomics: %s; atomic cases skip",
			   lb_no_atomics);
	}
	KUNIT_ASSERT_EQ(lb->test, lb_new_qps(lb), 0);
}

/*
 * Whether the device executes atomics through a direct MR, as the suites
 * need to compare an indirect MR's atomics with it (found the first time
 * a case asks).
 */
bool lb_atomics(struct lb *lb)
{
	if (!lb_atomics_found)
		lb_find_atomics(lb);
	return lb_atomics_found == 1;
}

/* Skip a case of atomics where the device does not execute them. */
void lb_require_atomics(struct lb *lb)
{
	if (!lb_atomics(lb))
		kunit_skip(lb->test, "%s", lb_no_atomics);
}

/* Whether to check @what, an atomic part of a case; says why not. */
bool lb_atomic_checks(struct lb *lb, const char *what)
{
	if (lb_atomics(lb))
		return true;
	kunit_info(lb->test, "%s not checked: %s", what, lb_no_atomics);
	return false;
}

/*
 * Skip the case unless the device is strict: @rule is one the contract
 * leaves to the device, and the case checks it as rxe defines it.
 */
void lb_require_strict(struct lb *lb, const char *rule)
{
	if (!lb->strict)
		kunit_skip(lb->test, "device-defined rule %s; %s is not strict",
			   rule, dev_name(&lb->dev->dev));
}

/*
 * Whether a case whose other checks are portable also checks @rule, one
 * the contract leaves to the device: only on a strict device.  Elsewhere
 * it says so, and the rest of the case still runs and counts, which a
 * skip after its portable checks would hide.
 */
bool lb_strict_checks(struct lb *lb, const char *rule)
{
	if (!lb->strict)
		kunit_info(lb->test, "device-defined rule %s not checked; %s is not strict",
			   rule, dev_name(&lb->dev->dev));
	return lb->strict;
}

/*
 * The device under test: ibdev, or the one on netdev.  Every case is
 * skipped when there is none, or it cannot run the cases (no indirect
 * registration, no RoCEv2 IPv4 GID to connect its QPs through); what
 * fails after that is a failure.  lb_exit() undoes what was done.
 */
int lb_init(struct kunit *test)
{
	struct net_device *nd;
	const char *name;
	struct lb *lb;

	lb = kunit_kzalloc(test, sizeof(*lb), GFP_KERNEL);
	if (!lb)
		return -ENOMEM;
	lb->test = test;
	test->priv = lb;

	if (*ibdev) {
		lb->dev = ib_device_get_by_name(ibdev, RDMA_DRIVER_UNKNOWN);
		if (!lb->dev)
			kunit_skip(test, "no RDMA device %s", ibdev);
		nd = ib_device_get_netdev(lb->dev, 1);
		if (!nd)
			kunit_skip(test, "%s has no netdev on port 1", ibdev);
	} else {
		nd = dev_get_by_name(&init_net, netdev);
		if (!nd)
			kunit_skip(test, "no netdev %s", netdev);
		lb->dev = ib_device_get_by_netdev(nd, RDMA_DRIVER_UNKNOWN);
	}
	ether_addr_copy(lb->dmac, nd->dev_addr);
	dev_put(nd);
	if (!lb->dev)
		kunit_skip(test, "no RDMA device on %s", netdev);
	name = dev_name(&lb->dev->dev);
	if (!(lb->dev->attrs.kernel_cap_flags & IBK_INDIRECT_REG))
		kunit_skip(test, "%s lacks IBK_INDIRECT_REG", name);
	lb->gid = lb_find_gid(lb->dev);
	if (!lb->gid)
		kunit_skip(test, "%s has no RoCEv2 IPv4 GID on port 1", name);
	lb->strict = strict < 0 ? lb->dev->ops.driver_id == RDMA_DRIVER_RXE :
		     strict;

	lb->pd = ib_alloc_pd(lb->dev, 0);
	lb->pd2 = ib_alloc_pd(lb->dev, 0);
	lb->scq = ib_alloc_cq(lb->dev, NULL, LB_CQ_DEPTH, 0, IB_POLL_DIRECT);
	lb->rcq = ib_alloc_cq(lb->dev, NULL, LB_CQ_DEPTH, 0, IB_POLL_DIRECT);
	if (IS_ERR(lb->pd) || IS_ERR(lb->pd2) || IS_ERR(lb->scq) ||
	    IS_ERR(lb->rcq)) {
		kunit_err(test, "cannot allocate the PDs and CQs on %s", name);
		return -EIO;
	}
	if (lb_new_qps(lb)) {
		kunit_err(test, "cannot create and connect the QPs on %s", name);
		return -EIO;
	}
	return 0;
}

MODULE_DESCRIPTION("Loopback tests of RDMA indirect memory registration");
MODULE_LICENSE("Dual BSD/GPL");
