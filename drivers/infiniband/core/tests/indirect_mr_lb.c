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
 * tools/testing/selftests/rdma/indirect_mr.sh does this.
 */

#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <rdma/ib_cache.h>

#include "indirect_mr_lb.h"

static char *netdev = "dummy0";
module_param(netdev, charp, 0444);
MODULE_PARM_DESC(netdev, "netdev of the RDMA device under test");

struct lb_buf *lb_buf(struct lb *lb, size_t len, u8 fill)
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

void lb_sync(struct lb *lb, struct lb_buf *b)
{
	ib_dma_sync_single_for_cpu(lb->dev, b->dma, b->len, DMA_BIDIRECTIONAL);
}

void lb_pattern(struct lb_buf *b, u8 seed)
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
}

struct ib_mr *lb_alloc_mr(struct lb *lb, struct ib_pd *pd,
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

void lb_forget_mr(struct lb *lb, struct ib_mr *mr)
{
	int i;

	for (i = 0; i < lb->nmrs; i++)
		if (lb->mrs[i] == mr)
			lb->mrs[i] = NULL;
}

/*
 * Wait for the next completion on @cq: 0, or -ETIMEDOUT.  Reports
 * nothing, so a thread other than the test's may use it.
 */
static int lb_poll(struct ib_cq *cq, struct ib_wc *wc)
{
	unsigned long end = jiffies + msecs_to_jiffies(LB_TIMEOUT_MS);

	do {
		if (ib_poll_cq(cq, 1, wc) == 1)
			return 0;
		usleep_range(20, 100);
	} while (time_before(jiffies, end));
	return -ETIMEDOUT;
}

/* Wait for the next completion on @cq. */
int lb_wait(struct lb *lb, struct ib_cq *cq, struct ib_wc *wc)
{
	int ret = lb_poll(cq, wc);

	if (ret)
		KUNIT_FAIL(lb->test, "no completion within %d ms", LB_TIMEOUT_MS);
	return ret;
}

/*
 * Post one signaled send WR on @qp and wait for its completion on @cq:
 * the completion status, or a negative errno.  Reports nothing.
 */
int lb_post_wait(struct ib_qp *qp, struct ib_cq *cq, struct ib_send_wr *wr)
{
	struct ib_wc wc;
	int ret;

	wr->send_flags |= IB_SEND_SIGNALED;
	ret = ib_post_send(qp, wr, NULL);
	if (!ret)
		ret = lb_poll(cq, &wc);
	return ret ?: wc.status;
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

/* The test's view of lb_post_wait(): a WR that cannot be posted aborts. */
static int lb_report(struct lb *lb, int ret)
{
	if (ret == -ETIMEDOUT)
		KUNIT_FAIL(lb->test, "no completion within %d ms", LB_TIMEOUT_MS);
	else
		KUNIT_ASSERT_GE_MSG(lb->test, ret, 0, "ib_post_send: %d", ret);
	return ret;
}

/* Post one signaled send WR on @qp; return its completion status. */
int lb_post_send(struct lb *lb, struct ib_qp *qp, struct ib_send_wr *wr)
{
	return lb_report(lb, lb_post_wait(qp, lb->scq, wr));
}

/* REG_MR of @mr with @key on @qp, whose send CQ is lb->scq. */
int lb_reg_key(struct lb *lb, struct ib_qp *qp, struct ib_mr *mr, u32 key,
	       int access)
{
	return lb_report(lb, lb_reg_wait(qp, lb->scq, mr, key, access));
}

int lb_reg(struct lb *lb, struct ib_mr *mr, int access)
{
	return lb_reg_key(lb, lb->qp[1], mr, mr->rkey, access);
}

int lb_local_inv(struct lb *lb, u32 rkey)
{
	return lb_report(lb, lb_inv_wait(lb->qp[1], lb->scq, rkey));
}

/* RDMA WRITE or READ from qp[0]: local [addr, +len) under lkey. */
int lb_rdma(struct lb *lb, enum ib_wr_opcode op, u64 addr, u32 len,
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

int lb_atomic(struct lb *lb, enum ib_wr_opcode op, struct lb_buf *res,
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
struct ib_mr *lb_indirect(struct lb *lb, struct lb_buf *b,
			  const u32 pieces[][2], int n, u32 lkey,
			  int access)
{
	struct kunit *test = lb->test;
	struct ib_sge sge[LB_MAX_PIECES];
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

/*
 * The model of a write: @len bytes of @src laid into a copy of @mem
 * through @pieces, from byte @off of their concatenation on.
 */
void lb_model_at(u8 *model, const u8 *mem, size_t mem_len,
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

/* A valid fast-registered MR over the first page of @b, with @access. */
struct ib_mr *lb_fast_mr(struct lb *lb, struct lb_buf *b, int access)
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
	lb_pattern(s, seed);
	lb_sync(lb, t);
	lb_model_at(model, t->cpu, LB_MEM, s->cpu, off, len, pieces, n);
	KUNIT_ASSERT_EQ(lb->test, lb_rdma(lb, IB_WR_RDMA_WRITE, s->dma, len,
					  lb->pd->local_dma_lkey, iova + off,
					  rkey), IB_WC_SUCCESS);
	lb_expect_mem(lb, t, model, what);
}

/* After a failed RC operation the requester's QP is in the error state. */
void lb_expect_qp_error(struct lb *lb, struct ib_qp *qp)
{
	struct ib_qp_init_attr init;
	struct ib_qp_attr attr;

	KUNIT_ASSERT_EQ(lb->test, ib_query_qp(qp, &attr, IB_QP_STATE, &init),
			0);
	KUNIT_EXPECT_EQ(lb->test, attr.qp_state, IB_QPS_ERR);
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

/*
 * (Re)create the pair @qp[0], @qp[1] in @pd, on @scq and @rcq, and
 * connect the two QPs to each other.
 */
int lb_qp_pair(struct lb *lb, struct ib_pd *pd, struct ib_qp **qp,
	       struct ib_cq *scq, struct ib_cq *rcq)
{
	struct ib_qp_init_attr qpa = {
		.send_cq = scq,
		.recv_cq = rcq,
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
	return lb_qp_pair(lb, lb->pd, lb->qp, lb->scq, lb->rcq);
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

int lb_init(struct kunit *test)
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
		kunit_info(test, "%s lacks IBK_INDIRECT_REG",
			   dev_name(&lb->dev->dev));
		lb_exit(test);
		kunit_skip(test, "no indirect registration on %s", netdev);
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

MODULE_DESCRIPTION("Loopback tests of RDMA indirect memory registration");
MODULE_LICENSE("Dual BSD/GPL");
