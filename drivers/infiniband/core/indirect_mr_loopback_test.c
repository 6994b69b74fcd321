// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Indirect memory registration on a real device, in loopback: two RC QPs
 * of one device connected to each other, work requests through indirect
 * MRs as remote rkeys and as local lkeys, and every byte of the memory
 * involved compared with a model afterwards, including the bytes that
 * must not change.
 *
 * Load it once the device exists, e.g. for soft-RoCE:
 *   rdma link add rxe0 type rxe netdev dummy0
 *   modprobe indirect_mr_loopback_test netdev=dummy0
 * tools/testing/selftests/rdma/indirect_mr.sh does this.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/ktime.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/prandom.h>
#include <linux/scatterlist.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_verbs.h>

static char *netdev = "dummy0";
module_param(netdev, charp, 0444);
MODULE_PARM_DESC(netdev, "netdev of the RDMA device under test");

static unsigned int random_ops = 200;
module_param(random_ops, uint, 0444);
MODULE_PARM_DESC(random_ops, "operations of the randomized differential case");

static unsigned int random_seed = 1;
module_param(random_seed, uint, 0444);
MODULE_PARM_DESC(random_seed, "seed of the randomized differential case");

static unsigned int hold_ms;
module_param(hold_ms, uint, 0444);
MODULE_PARM_DESC(hold_ms,
		 "keep the first case's MR registered this long (for a demo)");

#define LB_MEM		(3 * PAGE_SIZE)	/* target and source buffers */
#define LB_CANARY	0xc5
#define LB_TIMEOUT_MS	30000	/* a debug kernel under TCG is slow */
#define LB_MAX_MRS	8

struct lb_buf {
	u8		*cpu;
	u64		dma;
	size_t		len;
};

struct lb {
	struct kunit		*test;
	struct ib_device	*dev;
	struct ib_pd		*pd, *pd2;
	struct ib_cq		*scq, *rcq;
	struct ib_qp		*qp[2];	/* [0] requester, [1] responder */
	const struct ib_gid_attr *gid;
	u8			dmac[ETH_ALEN];	/* loopback: our own */
	struct ib_mr		*mrs[LB_MAX_MRS];
	int			nmrs;
	struct lb_buf		bufs[8];
	int			nbufs;
};

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

static struct lb_buf *lb_buf(struct lb *lb, size_t len, u8 fill)
{
	struct kunit *test = lb->test;
	struct lb_buf *b;

	KUNIT_ASSERT_LT(test, lb->nbufs, ARRAY_SIZE(lb->bufs));
	b = &lb->bufs[lb->nbufs];
	b->cpu = kmalloc(len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b->cpu);
	memset(b->cpu, fill, len);
	b->len = len;
	b->dma = ib_dma_map_single(lb->dev, b->cpu, len, DMA_BIDIRECTIONAL);
	if (ib_dma_mapping_error(lb->dev, b->dma)) {
		kfree(b->cpu);
		KUNIT_FAIL_AND_ABORT(test, "dma mapping failed");
	}
	lb->nbufs++;
	return b;
}

static void lb_sync(struct lb *lb, struct lb_buf *b)
{
	ib_dma_sync_single_for_cpu(lb->dev, b->dma, b->len, DMA_BIDIRECTIONAL);
}

static void lb_pattern(struct lb_buf *b, u8 seed)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		b->cpu[i] = (u8)(i * 7 + seed);
}

static struct ib_mr *lb_alloc_mr(struct lb *lb, struct ib_pd *pd,
				 enum ib_mr_type type, u32 n)
{
	struct kunit *test = lb->test;
	struct ib_mr *mr;

	KUNIT_ASSERT_LT(test, lb->nmrs, LB_MAX_MRS);
	mr = ib_alloc_mr(pd, type, n);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(mr), "ib_alloc_mr: %ld",
			       PTR_ERR(mr));
	lb->mrs[lb->nmrs++] = mr;
	return mr;
}

static void lb_forget_mr(struct lb *lb, struct ib_mr *mr)
{
	int i;

	for (i = 0; i < lb->nmrs; i++)
		if (lb->mrs[i] == mr)
			lb->mrs[i] = NULL;
}

static int lb_new_qps(struct lb *lb);

/* Wait for the next completion on @cq. */
static int lb_wait(struct lb *lb, struct ib_cq *cq, struct ib_wc *wc)
{
	unsigned long end = jiffies + msecs_to_jiffies(LB_TIMEOUT_MS);

	do {
		if (ib_poll_cq(cq, 1, wc) == 1)
			return 0;
		usleep_range(20, 100);
	} while (time_before(jiffies, end));
	KUNIT_FAIL(lb->test, "no completion within %d ms", LB_TIMEOUT_MS);
	return -ETIMEDOUT;
}

/* Post one signaled send WR on @qp; return its completion status. */
static int lb_post_send(struct lb *lb, struct ib_qp *qp, struct ib_send_wr *wr)
{
	struct ib_wc wc;
	int ret;

	wr->send_flags |= IB_SEND_SIGNALED;
	ret = ib_post_send(qp, wr, NULL);
	KUNIT_ASSERT_EQ(lb->test, ret, 0);
	if (lb_wait(lb, lb->scq, &wc))
		return -ETIMEDOUT;
	return wc.status;
}

static int lb_reg(struct lb *lb, struct ib_mr *mr, int access)
{
	struct ib_reg_wr wr = {
		.wr.opcode = IB_WR_REG_MR,
		.mr = mr,
		.key = mr->rkey,
		.access = access,
	};

	return lb_post_send(lb, lb->qp[1], &wr.wr);
}

static int lb_local_inv(struct lb *lb, u32 rkey)
{
	struct ib_send_wr wr = {
		.opcode = IB_WR_LOCAL_INV,
		.ex.invalidate_rkey = rkey,
	};

	return lb_post_send(lb, lb->qp[1], &wr);
}

/* RDMA WRITE or READ from qp[0]: local [addr, +len) under lkey. */
static int lb_rdma(struct lb *lb, enum ib_wr_opcode op, u64 addr, u32 len,
		   u32 lkey, u64 raddr, u32 rkey)
{
	struct ib_sge sge = { .addr = addr, .length = len, .lkey = lkey };
	struct ib_rdma_wr wr = {
		.wr.opcode = op,
		.wr.sg_list = &sge,
		.wr.num_sge = 1,
		.remote_addr = raddr,
		.rkey = rkey,
	};

	return lb_post_send(lb, lb->qp[0], &wr.wr);
}

static int lb_atomic(struct lb *lb, enum ib_wr_opcode op, struct lb_buf *res,
		     u64 raddr, u32 rkey, u64 compare, u64 swap_add)
{
	struct ib_sge sge = {
		.addr = res->dma, .length = 8, .lkey = lb->pd->local_dma_lkey,
	};
	struct ib_atomic_wr wr = {
		.wr.opcode = op,
		.wr.sg_list = &sge,
		.wr.num_sge = 1,
		.remote_addr = raddr,
		.rkey = rkey,
		.compare_add = op == IB_WR_ATOMIC_FETCH_AND_ADD ? swap_add : compare,
		.swap = swap_add,
	};

	return lb_post_send(lb, lb->qp[0], &wr.wr);
}

/* An indirect MR over @n (offset, length) pieces of @b, staged and valid. */
static struct ib_mr *lb_indirect(struct lb *lb, struct lb_buf *b,
				 const u32 (*pieces)[2], int n, u32 lkey,
				 int access)
{
	struct kunit *test = lb->test;
	struct ib_sge sge[ARRAY_SIZE(gappy_pieces)];
	struct ib_mr *mr;
	int i;

	KUNIT_ASSERT_LE(test, n, ARRAY_SIZE(sge));
	for (i = 0; i < n; i++) {
		sge[i].addr = b->dma + pieces[i][0];
		sge[i].length = pieces[i][1];
		sge[i].lkey = lkey;
	}
	mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, n);
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(mr, sge, n, 0x10000000 + 3), n);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, access), IB_WC_SUCCESS);
	return mr;
}

#define RW_ACCESS (IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE | \
		   IB_ACCESS_REMOTE_READ | IB_ACCESS_REMOTE_ATOMIC)

/*
 * The model of a write: @len bytes of @src laid into a copy of @mem
 * through @pieces, from byte @off of their concatenation on.
 */
static void lb_model_at(u8 *model, const u8 *mem, size_t mem_len,
			const u8 *src, u32 off, u32 len,
			const u32 (*pieces)[2], int n)
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

static void lb_model(u8 *model, const u8 *mem, size_t mem_len, const u8 *src,
		     u32 len, const u32 (*pieces)[2], int n)
{
	lb_model_at(model, mem, mem_len, src, 0, len, pieces, n);
}

/* The model of a read: the concatenation of @pieces of @mem. */
static u32 lb_gather(u8 *dst, const u8 *mem, const u32 (*pieces)[2], int n)
{
	u32 pos = 0;
	int i;

	for (i = 0; i < n; i++) {
		memcpy(dst + pos, mem + pieces[i][0], pieces[i][1]);
		pos += pieces[i][1];
	}
	return pos;
}

static void lb_expect_mem(struct lb *lb, struct lb_buf *b, const u8 *model,
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

/* RDMA WRITE through an indirect rkey lands in the entries, in order. */
static void lb_write_through_rkey(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, LB_CANARY);
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	u8 *model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	struct ib_mr *mr;

	KUNIT_ASSERT_NOT_NULL(test, model);
	lb_pattern(s, 1);
	mr = lb_indirect(lb, t, gappy_pieces, ARRAY_SIZE(gappy_pieces),
			 lb->pd->local_dma_lkey, RW_ACCESS);
	KUNIT_EXPECT_EQ(test, mr->length, gappy_total());
	lb_model(model, t->cpu, LB_MEM, s->cpu, gappy_total(), gappy_pieces,
		 ARRAY_SIZE(gappy_pieces));
	kunit_info(test, "%zu entries at byte offsets in one buffer -> one MR: rkey %#x iova %#llx length %llu",
		   ARRAY_SIZE(gappy_pieces), mr->rkey, mr->iova, mr->length);
	KUNIT_ASSERT_EQ(test, lb_rdma(lb, IB_WR_RDMA_WRITE, s->dma,
				      gappy_total(), lb->pd->local_dma_lkey,
				      mr->iova, mr->rkey), IB_WC_SUCCESS);
	lb_expect_mem(lb, t, model, "target");
	kunit_info(test, "RDMA WRITE of %u bytes through the rkey: all %lu bytes of the buffer match the model",
		   gappy_total(), LB_MEM);
	if (hold_ms)
		msleep(hold_ms);

	/* a write into the middle: from byte 999 (last of entry 0), 3400 B */
	lb_pattern(s, 77);
	lb_model_at(model, t->cpu, LB_MEM, s->cpu, 999, 3400, gappy_pieces,
		    ARRAY_SIZE(gappy_pieces));
	KUNIT_ASSERT_EQ(test, lb_rdma(lb, IB_WR_RDMA_WRITE, s->dma, 3400,
				      lb->pd->local_dma_lkey, mr->iova + 999,
				      mr->rkey), IB_WC_SUCCESS);
	lb_expect_mem(lb, t, model, "target after partial write");
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

/* A valid fast-registered MR over the first page of @b, with @access. */
static struct ib_mr *lb_fast_mr(struct lb *lb, struct lb_buf *b, int access)
{
	struct ib_mr *mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_MEM_REG, 1);
	struct scatterlist sg;

	sg_init_one(&sg, b->cpu, PAGE_SIZE);
	sg_dma_address(&sg) = b->dma;
	sg_dma_len(&sg) = PAGE_SIZE;
	KUNIT_ASSERT_EQ(lb->test, ib_map_mr_sg(mr, &sg, 1, NULL, PAGE_SIZE), 1);
	KUNIT_ASSERT_EQ(lb->test, lb_reg(lb, mr, access), IB_WC_SUCCESS);
	return mr;
}

/* After a failed RC operation the requester's QP is in the error state. */
static void lb_expect_qp_error(struct lb *lb, struct ib_qp *qp)
{
	struct ib_qp_init_attr init;
	struct ib_qp_attr attr;

	KUNIT_ASSERT_EQ(lb->test, ib_query_qp(qp, &attr, IB_QP_STATE, &init),
			0);
	KUNIT_EXPECT_EQ(lb->test, attr.qp_state, IB_QPS_ERR);
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
	u8 *model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	u32 old = mr->rkey;

	KUNIT_ASSERT_NOT_NULL(test, model);
	KUNIT_ASSERT_EQ(test, lb_local_inv(lb, old), IB_WC_SUCCESS);
	ib_update_fast_reg_key(mr, ib_inc_rkey(mr->rkey));
	KUNIT_ASSERT_NE(test, mr->rkey, old);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);

	lb_pattern(s, 41);
	lb_model(model, t->cpu, LB_MEM, s->cpu, 1200, gappy_pieces,
		 ARRAY_SIZE(gappy_pieces));
	KUNIT_ASSERT_EQ(test, lb_rdma(lb, IB_WR_RDMA_WRITE, s->dma, 1200,
				      lb->pd->local_dma_lkey, mr->iova,
				      mr->rkey), IB_WC_SUCCESS);
	lb_expect_mem(lb, t, model, "target through the new key");
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

/* The indirect MR's own rights: no remote write, no remote write. */
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

/* A referenced MR deregistered while the indirect MR is valid. */
static void lb_entry_deregistered(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, LB_MEM, LB_CANARY);
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	static const u32 two[][2] = { { 0, 4096 }, { 8192, 100 } };
	struct ib_sge sge[2];
	struct ib_mr *frmr, *mr;
	u8 *model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, model);
	frmr = lb_fast_mr(lb, t, IB_ACCESS_LOCAL_WRITE);
	sge[0] = (struct ib_sge){ frmr->iova + two[0][0], two[0][1],
				  frmr->lkey };
	sge[1] = (struct ib_sge){ t->dma + two[1][0], two[1][1],
				  lb->pd->local_dma_lkey };
	mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, 2);
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(mr, sge, 2, 0), 2);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);

	/* while both entries are good, a write spanning them lands */
	lb_pattern(s, 13);
	lb_model(model, t->cpu, LB_MEM, s->cpu, 4196, two, 2);
	KUNIT_ASSERT_EQ(test, lb_rdma(lb, IB_WR_RDMA_WRITE, s->dma, 4196,
				      lb->pd->local_dma_lkey, mr->iova,
				      mr->rkey), IB_WC_SUCCESS);
	lb_expect_mem(lb, t, model, "target before dereg");

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
	u8 *model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);

	KUNIT_ASSERT_NOT_NULL(test, model);
	KUNIT_EXPECT_NE(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
	KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
	lb_pattern(s, 61);
	lb_model(model, t->cpu, LB_MEM, s->cpu, gappy_total(), gappy_pieces,
		 ARRAY_SIZE(gappy_pieces));
	KUNIT_ASSERT_EQ(test, lb_rdma(lb, IB_WR_RDMA_WRITE, s->dma,
				      gappy_total(), lb->pd->local_dma_lkey,
				      mr->iova, mr->rkey), IB_WC_SUCCESS);
	lb_expect_mem(lb, t, model, "target through the still valid MR");
}

/*
 * A map while the MR is valid only stages (rule S1): accesses still go
 * through the live list until LOCAL_INV and REG_MR make the new one live.
 */
static void lb_map_while_valid(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *s = lb_buf(lb, LB_MEM, 0);
	u8 *model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	static const u32 other[][2] = { { 9000, 600 }, { 64, 300 } };
	struct ib_sge sge[ARRAY_SIZE(other)];
	struct lb_buf *t;
	struct ib_mr *mr = lb_gappy_target(lb, &t);
	u64 live_iova = mr->iova;
	u32 live_rkey = mr->rkey;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, model);
	for (i = 0; i < ARRAY_SIZE(other); i++)
		sge[i] = (struct ib_sge){ t->dma + other[i][0], other[i][1],
					  lb->pd->local_dma_lkey };
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(mr, sge, 2, 0x900000), 2);
	KUNIT_EXPECT_EQ(test, mr->iova, 0x900000);
	KUNIT_EXPECT_EQ(test, mr->length, 900);

	/* still the old list: a 1200-byte write lands in the gappy pieces */
	lb_pattern(s, 71);
	lb_model(model, t->cpu, LB_MEM, s->cpu, 1200, gappy_pieces,
		 ARRAY_SIZE(gappy_pieces));
	KUNIT_ASSERT_EQ(test, lb_rdma(lb, IB_WR_RDMA_WRITE, s->dma, 1200,
				      lb->pd->local_dma_lkey, live_iova,
				      live_rkey), IB_WC_SUCCESS);
	lb_expect_mem(lb, t, model, "target through the live list");

	/* after invalidation and REG_MR the staged list is live */
	KUNIT_ASSERT_EQ(test, lb_local_inv(lb, mr->rkey), IB_WC_SUCCESS);
	ib_update_fast_reg_key(mr, ib_inc_rkey(mr->rkey));
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
	lb_pattern(s, 83);
	lb_model(model, t->cpu, LB_MEM, s->cpu, 900, other, 2);
	KUNIT_ASSERT_EQ(test, lb_rdma(lb, IB_WR_RDMA_WRITE, s->dma, 900,
				      lb->pd->local_dma_lkey, mr->iova,
				      mr->rkey), IB_WC_SUCCESS);
	lb_expect_mem(lb, t, model, "target through the new list");
}

/* SEND from @sge to a posted receive; the send's status. */
static int lb_send_to(struct lb *lb, struct ib_sge *sge, struct lb_buf *r)
{
	struct ib_sge rsge = { r->dma, r->len, lb->pd->local_dma_lkey };
	struct ib_recv_wr rwr = { .sg_list = &rsge, .num_sge = 1 };
	struct ib_send_wr swr = { .opcode = IB_WR_SEND, .sg_list = sge,
				  .num_sge = 1 };

	KUNIT_ASSERT_EQ(lb->test, ib_post_recv(lb->qp[1], &rwr, NULL), 0);
	return lb_post_send(lb, lb->qp[0], &swr);
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
	u8 *model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	int want, got;

	KUNIT_ASSERT_NOT_NULL(test, model);
	memset(model, LB_CANARY, LB_MEM);
	want = lb_send_to(lb, &direct, r);
	KUNIT_EXPECT_NE(test, want, IB_WC_SUCCESS);
	KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
	got = lb_send_to(lb, &indirect, r);
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
	u8 *model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	int send[2], recv[2], i;

	KUNIT_ASSERT_NOT_NULL(test, model);
	memset(model, LB_CANARY, LB_MEM);
	for (i = 0; i < 2; i++) {
		struct ib_recv_wr rwr = { .sg_list = i ? &indirect : &direct,
					  .num_sge = 1 };
		struct ib_send_wr swr = { .opcode = IB_WR_SEND,
					  .sg_list = &ssge, .num_sge = 1 };
		struct ib_wc wc;

		if (i)
			KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
		KUNIT_ASSERT_EQ(test, ib_post_recv(lb->qp[1], &rwr, NULL), 0);
		send[i] = lb_post_send(lb, lb->qp[0], &swr);
		KUNIT_ASSERT_EQ(test, lb_wait(lb, lb->rcq, &wc), 0);
		recv[i] = wc.status;
	}
	KUNIT_EXPECT_NE(test, recv[0], IB_WC_SUCCESS);
	KUNIT_EXPECT_EQ(test, recv[1], recv[0]);
	KUNIT_EXPECT_EQ(test, send[1], send[0]);
	kunit_info(test, "bad entry: recv %d send %d; bad direct lkey: recv %d send %d",
		   recv[1], send[1], recv[0], send[0]);
	lb_expect_mem(lb, r, model, "receive buffer");
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
	u8 *model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	struct ib_mr *mr;
	int i;

	KUNIT_ASSERT_TRUE(test, pieces && sge && model);
	for (i = 0; i < 40; i++) {
		pieces[i][0] = 11000 - i * 271;		/* gaps, descending */
		pieces[i][1] = 10;
		sge[i] = (struct ib_sge){ t->dma + pieces[i][0], 10,
					  lb->pd->local_dma_lkey };
	}
	mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, 40);
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(mr, sge, 40, 0x8000), 40);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
	lb_pattern(s, 97);
	lb_model(model, t->cpu, LB_MEM, s->cpu, 400,
		 (const u32 (*)[2])pieces, 40);
	KUNIT_ASSERT_EQ(test, lb_rdma(lb, IB_WR_RDMA_WRITE, s->dma, 400,
				      lb->pd->local_dma_lkey, mr->iova,
				      mr->rkey), IB_WC_SUCCESS);
	lb_expect_mem(lb, t, model, "target");
}

/* REG_MR on an indirect MR that was never mapped fails (rule S3). */
static void lb_reg_unmapped(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct ib_mr *mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, 4);

	KUNIT_EXPECT_NE(test, lb_reg(lb, mr, RW_ACCESS), IB_WC_SUCCESS);
}

/*
 * Randomized differential test: random lists (byte offsets, lengths from
 * one byte, entries in the DMA MR and in a fast MR, overlapping allowed)
 * and random RDMA WRITE, READ and fetch-and-add through them, each checked
 * against a byte-array model of the target buffer; accesses the contract
 * forbids must fail and change nothing.
 */
#define RND_MAX_ENTRIES	8

struct lb_rnd {
	struct lb		*lb;
	struct rnd_state	rnd;
	struct lb_buf		*t, *s, *d;
	struct ib_mr		*mr, *frmr;
	u8			*model;
	u32			*map;		/* MR byte -> offset in t */
	u8			*ent;		/* MR byte -> its entry */
	u32			len;
	u64			checked;
};

static u32 rnd_below(struct lb_rnd *r, u32 n)
{
	return prandom_u32_state(&r->rnd) % n;
}

/* A new random list, made live through invalidation and REG_MR. */
static int lb_rnd_list(struct lb_rnd *r)
{
	struct lb *lb = r->lb;
	struct ib_sge sge[RND_MAX_ENTRIES];
	u32 n = 1 + rnd_below(r, RND_MAX_ENTRIES), i, j, k = 0;

	for (i = 0; i < n; i++) {
		bool fast = rnd_below(r, 3) == 0;	/* first page of t */
		u32 room = fast ? PAGE_SIZE : LB_MEM;
		u32 len = rnd_below(r, 4) ? 1 + rnd_below(r, 1500) : 1;
		u32 off = rnd_below(r, room - len + 1);

		sge[i].addr = (fast ? r->frmr->iova : r->t->dma) + off;
		sge[i].length = len;
		sge[i].lkey = fast ? r->frmr->lkey : lb->pd->local_dma_lkey;
		for (j = 0; j < len; j++, k++) {
			r->map[k] = off + j;
			r->ent[k] = i;
		}
	}
	r->len = k;
	if (r->mr->need_inval && lb_local_inv(lb, r->mr->rkey) != IB_WC_SUCCESS)
		return -EIO;
	ib_update_fast_reg_key(r->mr, ib_inc_rkey(r->mr->rkey));
	if (ib_map_mr_sge(r->mr, sge, n, (u64)rnd_below(r, 1 << 20) << 12 |
			  rnd_below(r, 4096)) != n ||
	    lb_reg(lb, r->mr, RW_ACCESS) != IB_WC_SUCCESS)
		return -EIO;
	r->mr->need_inval = true;
	return 0;
}

static bool lb_rnd_same(struct lb_rnd *r, u32 op)
{
	lb_sync(r->lb, r->t);
	if (!memcmp(r->t->cpu, r->model, LB_MEM))
		return true;
	KUNIT_FAIL(r->lb->test, "seed %u, operation %u: target differs from the model",
		   random_seed, op);
	return false;
}

static void lb_random_ops(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_rnd *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	u32 op;

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->lb = lb;
	prandom_seed_state(&r->rnd, random_seed);
	r->t = lb_buf(lb, LB_MEM, 0);
	r->s = lb_buf(lb, LB_MEM, 0);
	r->d = lb_buf(lb, LB_MEM, 0);
	r->model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	r->map = kunit_kcalloc(test, RND_MAX_ENTRIES * 1500, sizeof(u32),
			       GFP_KERNEL);
	r->ent = kunit_kcalloc(test, RND_MAX_ENTRIES * 1500, 1, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, r->model && r->map && r->ent);
	lb_pattern(r->t, 1);
	memcpy(r->model, r->t->cpu, LB_MEM);
	r->frmr = lb_fast_mr(lb, r->t, IB_ACCESS_LOCAL_WRITE);
	r->mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, RND_MAX_ENTRIES);
	r->mr->need_inval = false;

	for (op = 0; op < random_ops; op++) {
		u32 kind = rnd_below(r, 10), off, len, k;
		int status;

		if (op % 8 == 0)
			KUNIT_ASSERT_EQ(test, lb_rnd_list(r), 0);
		off = rnd_below(r, r->len);
		len = 1 + rnd_below(r, min(r->len - off, 4096U));
		if (kind < 4) {				/* RDMA WRITE */
			u32 src = rnd_below(r, LB_MEM - len + 1);

			lb_pattern(r->s, (u8)op);
			status = lb_rdma(lb, IB_WR_RDMA_WRITE, r->s->dma + src,
					 len, lb->pd->local_dma_lkey,
					 r->mr->iova + off, r->mr->rkey);
			KUNIT_ASSERT_EQ(test, status, IB_WC_SUCCESS);
			for (k = 0; k < len; k++)
				r->model[r->map[off + k]] = r->s->cpu[src + k];
		} else if (kind < 8) {			/* RDMA READ */
			status = lb_rdma(lb, IB_WR_RDMA_READ, r->d->dma, len,
					 lb->pd->local_dma_lkey,
					 r->mr->iova + off, r->mr->rkey);
			KUNIT_ASSERT_EQ(test, status, IB_WC_SUCCESS);
			lb_sync(lb, r->d);
			for (k = 0; k < len; k++)
				if (r->d->cpu[k] != r->model[r->map[off + k]])
					break;
			KUNIT_ASSERT_EQ_MSG(test, k, len,
					    "seed %u, operation %u: read differs",
					    random_seed, op);
		} else if (kind < 9) {			/* fetch-and-add */
			u64 va = (r->mr->iova + off) & ~7ULL;
			u32 o = va - r->mr->iova;
			bool inside = va >= r->mr->iova && o + 8 <= r->len;
			bool one = inside && r->ent[o] == r->ent[o + 7];
			u64 v;

			if (!inside)
				continue;
			status = lb_atomic(lb, IB_WR_ATOMIC_FETCH_AND_ADD,
					   r->d, va, r->mr->rkey, 0, 3);
			if (!one) {		/* crosses two entries */
				KUNIT_ASSERT_EQ(test, status,
						IB_WC_REM_ACCESS_ERR);
				KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
			} else if (r->map[o] & 7) {	/* lands unaligned */
				KUNIT_ASSERT_EQ(test, status,
						IB_WC_REM_INV_REQ_ERR);
				KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
			} else {
				KUNIT_ASSERT_EQ(test, status, IB_WC_SUCCESS);
				memcpy(&v, r->model + r->map[o], 8);
				lb_sync(lb, r->d);
				KUNIT_ASSERT_EQ_MSG(test, memcmp(r->d->cpu, &v, 8),
						    0, "seed %u, operation %u: original value",
						    random_seed, op);
				v += 3;
				memcpy(r->model + r->map[o], &v, 8);
			}
		} else {				/* one byte beyond */
			status = lb_rdma(lb, IB_WR_RDMA_WRITE, r->s->dma, 1,
					 lb->pd->local_dma_lkey,
					 r->mr->iova + r->len, r->mr->rkey);
			KUNIT_ASSERT_EQ(test, status, IB_WC_REM_ACCESS_ERR);
			KUNIT_ASSERT_EQ(test, lb_new_qps(lb), 0);
		}
		if (!lb_rnd_same(r, op))
			return;
		r->checked++;
	}
	kunit_info(test, "seed %u: %llu random operations checked against the model",
		   random_seed, r->checked);
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

static int lb_connect(struct lb *lb, struct ib_qp *qp, u32 peer)
{
	union ib_gid dgid = lb->gid->gid;	/* loopback: our own GID */
	struct ib_qp_attr attr = {};
	int ret;

	attr.qp_state = IB_QPS_INIT;
	attr.port_num = 1;
	attr.qp_access_flags = IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_READ |
			       IB_ACCESS_REMOTE_ATOMIC;
	ret = ib_modify_qp(qp, &attr, IB_QP_STATE | IB_QP_PKEY_INDEX |
			   IB_QP_PORT | IB_QP_ACCESS_FLAGS);
	if (ret)
		return ret;

	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IB_QPS_RTR;
	attr.path_mtu = IB_MTU_1024;
	attr.dest_qp_num = peer;
	attr.max_dest_rd_atomic = 4;
	attr.min_rnr_timer = 12;
	attr.ah_attr.type = RDMA_AH_ATTR_TYPE_ROCE;
	rdma_ah_set_port_num(&attr.ah_attr, 1);
	rdma_ah_set_grh(&attr.ah_attr, &dgid, 0, lb->gid->index, 1, 0);
	/* kernel users resolve the destination MAC themselves */
	memcpy(attr.ah_attr.roce.dmac, lb->dmac, ETH_ALEN);
	ret = ib_modify_qp(qp, &attr, IB_QP_STATE | IB_QP_AV | IB_QP_PATH_MTU |
			   IB_QP_DEST_QPN | IB_QP_RQ_PSN |
			   IB_QP_MAX_DEST_RD_ATOMIC | IB_QP_MIN_RNR_TIMER);
	if (ret)
		return ret;

	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IB_QPS_RTS;
	attr.timeout = 14;
	attr.retry_cnt = 7;
	attr.rnr_retry = 7;
	attr.max_rd_atomic = 4;
	return ib_modify_qp(qp, &attr, IB_QP_STATE | IB_QP_TIMEOUT |
			    IB_QP_RETRY_CNT | IB_QP_RNR_RETRY | IB_QP_SQ_PSN |
			    IB_QP_MAX_QP_RD_ATOMIC);
}

/* (Re)create the two QPs and connect them to each other. */
static int lb_new_qps(struct lb *lb)
{
	struct ib_qp_init_attr qpa = {
		.send_cq = lb->scq,
		.recv_cq = lb->rcq,
		.cap.max_send_wr = 32,
		.cap.max_recv_wr = 32,
		.cap.max_send_sge = 2,
		.cap.max_recv_sge = 2,
		.sq_sig_type = IB_SIGNAL_REQ_WR,
		.qp_type = IB_QPT_RC,
	};
	struct ib_wc wc;
	int i;

	for (i = 0; i < 2; i++) {
		if (!IS_ERR_OR_NULL(lb->qp[i]))
			ib_destroy_qp(lb->qp[i]);
		lb->qp[i] = ib_create_qp(lb->pd, &qpa);
		if (IS_ERR(lb->qp[i]))
			return PTR_ERR(lb->qp[i]);
	}
	/* completions of the old QPs are gone with them */
	while (ib_poll_cq(lb->scq, 1, &wc) > 0 ||
	       ib_poll_cq(lb->rcq, 1, &wc) > 0)
		;
	if (lb_connect(lb, lb->qp[0], lb->qp[1]->qp_num) ||
	    lb_connect(lb, lb->qp[1], lb->qp[0]->qp_num))
		return -EIO;
	return 0;
}

static void lb_exit(struct kunit *test)
{
	struct lb *lb = test->priv;
	int i;

	if (!lb)
		return;
	for (i = 0; i < 2; i++)
		if (!IS_ERR_OR_NULL(lb->qp[i]))
			ib_destroy_qp(lb->qp[i]);
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

static int lb_init(struct kunit *test)
{
	struct net_device *nd;
	struct lb *lb;

	lb = kunit_kzalloc(test, sizeof(*lb), GFP_KERNEL);
	if (!lb)
		return -ENOMEM;
	lb->test = test;
	test->priv = lb;

	nd = dev_get_by_name(&init_net, netdev);
	if (!nd) {
		kunit_err(test, "no netdev %s", netdev);
		return -ENODEV;
	}
	lb->dev = ib_device_get_by_netdev(nd, RDMA_DRIVER_UNKNOWN);
	ether_addr_copy(lb->dmac, nd->dev_addr);
	dev_put(nd);
	if (!lb->dev) {
		kunit_err(test, "no RDMA device on %s", netdev);
		return -ENODEV;
	}
	if (!(lb->dev->attrs.kernel_cap_flags & IBK_INDIRECT_REG)) {
		kunit_err(test, "%s lacks IBK_INDIRECT_REG", dev_name(&lb->dev->dev));
		goto err;
	}
	lb->gid = lb_find_gid(lb->dev);
	if (!lb->gid) {
		kunit_err(test, "no RoCEv2 IPv4 GID on %s", netdev);
		goto err;
	}
	lb->pd = ib_alloc_pd(lb->dev, 0);
	lb->pd2 = ib_alloc_pd(lb->dev, 0);
	lb->scq = ib_alloc_cq(lb->dev, NULL, 64, 0, IB_POLL_DIRECT);
	lb->rcq = ib_alloc_cq(lb->dev, NULL, 64, 0, IB_POLL_DIRECT);
	if (IS_ERR(lb->pd) || IS_ERR(lb->pd2) || IS_ERR(lb->scq) ||
	    IS_ERR(lb->rcq))
		goto err;

	if (lb_new_qps(lb)) {
		kunit_err(test, "cannot create and connect the QPs");
		goto err;
	}
	return 0;

err:
	lb_exit(test);
	return -EIO;
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
	KUNIT_CASE(lb_entry_deregistered),
	KUNIT_CASE(lb_atomic_misaligned),
	KUNIT_CASE(lb_atomic_ok_and_crossing),
	KUNIT_CASE(lb_reg_twice),
	KUNIT_CASE(lb_map_while_valid),
	KUNIT_CASE(lb_send_bad_entry),
	KUNIT_CASE(lb_read_into_bad_entry),
	KUNIT_CASE(lb_recv_bad_entry),
	KUNIT_CASE(lb_entry_invalidated),
	KUNIT_CASE(lb_many_entries_packet),
	KUNIT_CASE(lb_reg_unmapped),
	KUNIT_CASE(lb_random_ops),
	{}
};

static struct kunit_suite lb_suite = {
	.name = "ib_indirect_mr_loopback",
	.init = lb_init,
	.exit = lb_exit,
	.test_cases = lb_cases,
};

/*
 * Benchmarks, not tests: each reports what it measured, side by side in
 * one run.  Marked slow; 'make bench' runs them, 'make check' does not.
 */
#define BENCH_ENTRIES	64
#define BENCH_BYTES	(BENCH_ENTRIES * SZ_4K)
#define BENCH_ROUNDS	5
#define BENCH_OPS	8

static u64 lb_bench_ops(struct lb *lb, enum ib_wr_opcode op,
			struct lb_buf *s, struct ib_mr *mr)
{
	ktime_t t0 = ktime_get();
	int i;

	for (i = 0; i < BENCH_OPS; i++)
		KUNIT_ASSERT_EQ(lb->test, lb_rdma(lb, op, s->dma, BENCH_BYTES,
						  lb->pd->local_dma_lkey,
						  mr->iova, mr->rkey),
				IB_WC_SUCCESS);
	return ktime_to_ns(ktime_sub(ktime_get(), t0));
}

/*
 * RDMA WRITE and READ of 256 KiB through an indirect MR of 64 entries of
 * 4 KiB that each start 512 bytes into a page, against 256 KiB of the
 * same buffer through a fast-registered MR of 64 pages, alternating.
 */
static void lb_bench_write_read(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_buf *t = lb_buf(lb, BENCH_BYTES + SZ_4K, 0);
	struct lb_buf *s = lb_buf(lb, BENCH_BYTES, 0x11);
	struct ib_sge *sge = kunit_kcalloc(test, BENCH_ENTRIES, sizeof(*sge),
					   GFP_KERNEL);
	struct ib_mr *frmr, *imr;
	struct scatterlist sg;
	u64 ns[2][2] = {};	/* [write, read][fast, indirect] */
	int i, r;

	KUNIT_ASSERT_NOT_NULL(test, sge);
	KUNIT_ASSERT_TRUE(test, PAGE_ALIGNED(t->cpu));
	frmr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_MEM_REG, BENCH_ENTRIES);
	sg_init_one(&sg, t->cpu, BENCH_BYTES);
	sg_dma_address(&sg) = t->dma;
	sg_dma_len(&sg) = BENCH_BYTES;
	KUNIT_ASSERT_EQ(test, ib_map_mr_sg(frmr, &sg, 1, NULL, SZ_4K), 1);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, frmr, RW_ACCESS), IB_WC_SUCCESS);

	for (i = 0; i < BENCH_ENTRIES; i++)
		sge[i] = (struct ib_sge){ t->dma + i * SZ_4K + 512, SZ_4K,
					  lb->pd->local_dma_lkey };
	imr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, BENCH_ENTRIES);
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(imr, sge, BENCH_ENTRIES, 0),
			BENCH_ENTRIES);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, imr, RW_ACCESS), IB_WC_SUCCESS);

	for (r = 0; r < BENCH_ROUNDS; r++) {
		ns[0][0] += lb_bench_ops(lb, IB_WR_RDMA_WRITE, s, frmr);
		ns[0][1] += lb_bench_ops(lb, IB_WR_RDMA_WRITE, s, imr);
		ns[1][0] += lb_bench_ops(lb, IB_WR_RDMA_READ, s, frmr);
		ns[1][1] += lb_bench_ops(lb, IB_WR_RDMA_READ, s, imr);
	}
	for (i = 0; i < 2; i++) {
		u64 bytes = (u64)BENCH_BYTES * BENCH_OPS * BENCH_ROUNDS;

		kunit_info(test, "bench %s 256 KiB: fast MR %llu MB/s, indirect MR (64 x 4 KiB at +512) %llu MB/s, ratio %llu.%02llu",
			   i ? "RDMA READ" : "RDMA WRITE",
			   bytes * 1000 / ns[i][0], bytes * 1000 / ns[i][1],
			   ns[i][0] / ns[i][1], ns[i][0] * 100 / ns[i][1] % 100);
	}
}

/* Registration (map + IB_WR_REG_MR + IB_WR_LOCAL_INV) against entries. */
static void lb_bench_registration(struct kunit *test)
{
	static const u32 sizes[] = { 1, 16, 256, 4096, 65536 };
	struct lb *lb = test->priv;
	u32 max = min(lb->dev->attrs.max_indirect_reg_list_len, 65536U);
	struct lb_buf *t = lb_buf(lb, SZ_4K, 0);
	struct ib_sge *sge = kvcalloc(max, sizeof(*sge), GFP_KERNEL);
	u32 i, j;

	KUNIT_ASSERT_NOT_NULL(test, sge);
	for (j = 0; j < max; j++)
		sge[j] = (struct ib_sge){ t->dma + j % 4000, 1 + j % 64,
					  lb->pd->local_dma_lkey };
	for (i = 0; i < ARRAY_SIZE(sizes) && sizes[i] <= max; i++) {
		struct ib_mr *mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT,
					       sizes[i]);
		u64 map_ns = 0, reg_ns = 0;
		ktime_t t0;
		int r;

		for (r = 0; r < BENCH_ROUNDS; r++) {
			t0 = ktime_get();
			if (ib_map_mr_sge(mr, sge, sizes[i], 0) != sizes[i])
				break;
			map_ns += ktime_to_ns(ktime_sub(ktime_get(), t0));
			t0 = ktime_get();
			if (lb_reg(lb, mr, RW_ACCESS) != IB_WC_SUCCESS ||
			    lb_local_inv(lb, mr->rkey) != IB_WC_SUCCESS)
				break;
			reg_ns += ktime_to_ns(ktime_sub(ktime_get(), t0));
			ib_update_fast_reg_key(mr, ib_inc_rkey(mr->rkey));
		}
		if (r < BENCH_ROUNDS) {
			KUNIT_FAIL(test, "registration of %u entries failed",
				   sizes[i]);
			break;
		}
		map_ns /= BENCH_ROUNDS;
		reg_ns /= BENCH_ROUNDS;
		kunit_info(test, "bench registration: %u entries: map %llu us (%llu ns per entry), REG_MR + LOCAL_INV %llu us",
			   sizes[i], map_ns / 1000, map_ns / sizes[i],
			   reg_ns / 1000);
		lb_forget_mr(lb, mr);
		ib_dereg_mr(mr);
	}
	kvfree(sge);
}

static struct kunit_case lb_bench_cases[] = {
	KUNIT_CASE_SLOW(lb_bench_write_read),
	KUNIT_CASE_SLOW(lb_bench_registration),
	{}
};

static struct kunit_suite lb_bench_suite = {
	.name = "ib_indirect_mr_bench",
	.init = lb_init,
	.exit = lb_exit,
	.test_cases = lb_bench_cases,
	.attr.speed = KUNIT_SPEED_SLOW,
};

kunit_test_suites(&lb_suite, &lb_bench_suite);

MODULE_DESCRIPTION("Loopback tests of RDMA indirect memory registration");
MODULE_LICENSE("Dual BSD/GPL");
