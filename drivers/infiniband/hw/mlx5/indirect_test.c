// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * KUnit tests of mlx5 indirect MRs (indirect.c), with no device.
 *
 * The tests make an mlx5_ib_dev with main.c's device operations
 * (mlx5_ib_dev_ops), a PD, an RC QP with a one-page send queue and KLM MRs
 * in memory, and drive the driver's real code on them: ib_map_mr_sge()
 * and ib_map_mr_sg() of the core call the map_mr_sge and map_mr_sg
 * operations, and IB_WR_REG_MR goes through ib_post_send() to the
 * post_send operation, whose doorbell lands in memory.  The device is
 * replaced by a decoder that reads the WQE as the device does, with the
 * layouts of include/linux/mlx5/qp.h and mlx5_ifc.h (the mkey segment of
 * a UMR is an mkc), and follows the UMR's translation: inline after the
 * mkey segment, or through the descriptor pointer.  A device that uses
 * virtual DMA (INFINIBAND_VIRT_DMA: no dma_device) has DMA addresses that
 * are kernel addresses, so the pointer can be followed; for an indirect
 * MR it leads to the device's copy of the KLM array, updated only by the
 * driver's syncs of it (mlx5_ib_sync_descs(), replaced by the test).
 *
 * mlx5_ib_indirect_klm: the KLMs, laid end to end from the mkey's start
 * address, must translate every access into the same (key, address,
 * length) segments as the core walker (ib_sge_walk()) for the same list,
 * iova and access: seeded random lists from the distribution of the
 * loopback stress suite (indirect_mr_lb_stress.c), longer lists, and
 * fixed edge cases.  A mismatch prints the seed, the list and both
 * segment lists.  Parameters of this module (mlx5_ib_indirect_test):
 * klm_seed, klm_lists.
 *
 * mlx5_ib_indirect_wqe: the UMR WQE of an indirect REG_MR field by field,
 * the REG_MRs refused when posted, what other MR types do, the MR's
 * CREATE_MKEY, and the capability as the query_device operation reads it
 * from the HCA capability pages (mlx5_cmd_exec() answered by the test).
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/mlx5/driver.h>
#include <linux/mlx5/mlx5_ifc.h>
#include <linux/mlx5/qp.h>
#include <linux/pci.h>
#include <linux/prandom.h>
#include <linux/scatterlist.h>
#include <linux/swiotlb.h>
#include <rdma/ib_sge_walk.h>

#include "mlx5_ib.h"
#include "umr.h"
#include "wr.h"
#include "indirect.h"

static unsigned int klm_seed = 1;
module_param(klm_seed, uint, 0444);
MODULE_PARM_DESC(klm_seed, "seed of the random KLM conformance cases");

static unsigned int klm_lists = 2000;
module_param(klm_lists, uint, 0444);
MODULE_PARM_DESC(klm_lists, "random lists of the KLM conformance case");

#define T_QPN		0x00c0ff
#define T_DMA_LKEY	0x00000500	/* pd->local_dma_lkey */
#define T_MKEY		0x0012a300	/* the MR's mkey, key portion 0 */
#define T_FAST_LKEY	0x00345677	/* a fast MR that entries may name */
#define T_DMA_BASE	0x12345000ULL	/* DMA addresses of the DMA lkey */
#define T_FAST_BASE	0x7f0000000000ULL /* iova of the fast MR */
#define T_STALE		0xa5		/* what a used send queue holds */
#define T_SQ_LOG	6		/* 64 WQE basic blocks: one page */

/* The loopback stress suite's list distribution (indirect_mr_lb_stress.c) */
#define T_RND_MAX_ENTRIES	8
#define T_RND_MAX_ENTRY		1500
#define T_RND_MEM		(3 * 4096)

/*
 * What the device can read of an indirect MR's KLM array: the bytes it
 * held at the last sync for the device.  mlx5_ib_sync_descs() is replaced
 * by t_sync_descs(), which copies the array here when the driver hands it
 * to the device, so a UMR that points at the array is decoded from what
 * a device behind a bouncing swiotlb or a non-coherent bus would read.
 */
#define T_VIEWS		4

struct t_view {
	u64			map;	/* the array's DMA address */
	size_t			size;	/* 0: the MR is gone */
	const u8		*cpu;	/* the array as the CPU writes it */
	u8			*bytes;	/* and as the device reads it */
	bool			cpu_owns;
	u32			for_cpu;
	u32			for_device;
};

struct t_fw;

struct t_env {
	struct kunit		*test;
	struct mlx5_ib_dev	*dev;
	struct mlx5_hca_cap	*cap;
	struct mlx5_ib_pd	*pd;
	struct mlx5_ib_pd	*pd2;
	struct mlx5_ib_qp	*qp;
	void			*sq_buf;
	struct mlx5_buf_list	frag;
	__be32			*dbr;
	u64			*bf;
	u64			vectors;
	struct t_view		views[T_VIEWS];
	u32			nviews;
	struct t_fw		*fw;
};

/* The WQE of a REG_MR, decoded as the device reads it. */
struct t_umr {
	/* control segment */
	u8			opcode;
	u8			opmod;
	u16			wqe_index;
	u32			qpn;
	u8			ds;
	u8			fm_ce_se;
	u32			umr_mkey;
	/* UMR control segment */
	u8			flags;
	u16			xlt_octowords;
	u64			mkey_mask;
	/* mkey segment, read as an mkc */
	u8			free;
	u8			access_mode;
	u8			umr_en, a, rw, rr, lw, lr;
	u32			mkc_qpn;
	u8			mkey_7_0;
	u8			en_rinval;
	u64			start;
	u64			len;
	u32			xlt_size;
	u8			log_page_size;
	/* the translation */
	bool			inl;
	u64			ptr;
	u32			ptr_bytes;
	u32			ptr_lkey;
	const struct mlx5_klm	*klm;
	u32			nklm;
};

static void t_kvfree(void *p)
{
	kvfree(p);
}

static void *t_kvzalloc(struct kunit *test, size_t size)
{
	void *p = kvzalloc(size, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, t_kvfree, p), 0);
	return p;
}

static void t_cap_set(struct t_env *e, bool imaicl, bool entity_disabled,
		      bool indirect_disabled, u8 log_max_klm)
{
	void *c = e->cap->cur;

	MLX5_SET(cmd_hca_cap, c, imaicl, imaicl);
	MLX5_SET(cmd_hca_cap, c, umr_modify_entity_size_disabled,
		 entity_disabled);
	MLX5_SET(cmd_hca_cap, c, umr_indirect_mkey_disabled,
		 indirect_disabled);
	MLX5_SET(cmd_hca_cap, c, log_max_klm_list_size, log_max_klm);
}

static struct mlx5_ib_pd *t_pd(struct t_env *e, u32 pdn)
{
	struct mlx5_ib_pd *pd = kunit_kzalloc(e->test, sizeof(*pd), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(e->test, pd);
	pd->ibpd.device = &e->dev->ib_dev;
	pd->ibpd.local_dma_lkey = T_DMA_LKEY;
	pd->pdn = pdn;
	return pd;
}

/* The PCI function of the test device */
#define T_PCI_DEVICE	0x101d		/* a ConnectX-6 Dx */
#define T_PCI_REVISION	0x02
#define T_FW_REV	0x00230010	/* minor 35, major 16 */
#define T_FW_CMD_SUB	0x1000		/* subminor 4096 */
#define T_VENDOR_ID	0x02c9

/*
 * An Ethernet (RoCE) port's mlx5_core_dev without firmware: every HCA
 * capability page, zeroed but for what the cases set; an initialization
 * segment holding the firmware version; a PCI function that DMA-maps
 * directly, any size at once.
 */
static void t_hca_new(struct t_env *e)
{
	struct mlx5_core_dev *mdev = e->dev->mdev;
	struct mlx5_init_seg *iseg;
	struct mlx5_hca_cap *caps;
	struct pci_dev *pdev;
	int i;

	caps = t_kvzalloc(e->test, MLX5_CAP_NUM * sizeof(*caps));
	for (i = 0; i < MLX5_CAP_NUM; i++)
		mdev->caps.hca[i] = &caps[i];
	e->cap = mdev->caps.hca[MLX5_CAP_GENERAL];
	MLX5_SET(cmd_hca_cap, e->cap->cur, port_type, MLX5_CAP_PORT_TYPE_ETH);

	iseg = t_kvzalloc(e->test, sizeof(*iseg));
	iseg->fw_rev = cpu_to_be32(T_FW_REV);
	iseg->cmdif_rev_fw_sub = cpu_to_be32(T_FW_CMD_SUB);
	/* the device's BAR: memory here */
	mdev->iseg = (struct mlx5_init_seg __iomem __force *)iseg;

	pdev = kunit_kzalloc(e->test, sizeof(*pdev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(e->test, pdev);
	pdev->device = T_PCI_DEVICE;
	pdev->revision = T_PCI_REVISION;
	pdev->dev.coherent_dma_mask = DMA_BIT_MASK(64);
	pdev->dev.dma_mask = &pdev->dev.coherent_dma_mask;
	mdev->pdev = pdev;
	mdev->device = &pdev->dev;
}

/* The firmware of the query: the commands an Ethernet port's query takes */
static int t_query_cmd_exec(struct mlx5_core_dev *dev, void *in, int in_size,
			    void *out, int out_size)
{
	struct kunit *test = kunit_get_current_test();

	memset(out, 0, out_size);
	switch (MLX5_GET(query_adapter_in, in, opcode)) {
	case MLX5_CMD_OP_QUERY_ADAPTER:
		MLX5_SET(query_adapter_out, out,
			 query_adapter_struct.ieee_vendor_id, T_VENDOR_ID);
		return 0;
	case MLX5_CMD_OP_QUERY_NIC_VPORT_CONTEXT:
		return 0;
	}
	KUNIT_FAIL(test, "unexpected command %#x",
		   MLX5_GET(query_adapter_in, in, opcode));
	return -EOPNOTSUPP;
}

/*
 * The device's attributes as the core reads them at registration: the
 * driver's query_device operation (mlx5_ib_query_device()), reading the
 * capability pages, its firmware commands answered here.
 */
static int t_query_device(struct t_env *e, struct ib_device_attr *attr)
{
	struct ib_device *ibdev = &e->dev->ib_dev;
	int err;

	kunit_activate_static_stub(e->test, mlx5_cmd_exec, t_query_cmd_exec);
	err = ibdev->ops.query_device(ibdev, attr, NULL);
	kunit_deactivate_static_stub(e->test, mlx5_cmd_exec);
	if (err)
		return err;
	/* the query itself ran: what it read from the PCI function, the
	 * initialization segment and the QUERY_ADAPTER command
	 */
	KUNIT_EXPECT_EQ(e->test, attr->vendor_id, T_VENDOR_ID);
	KUNIT_EXPECT_EQ(e->test, attr->vendor_part_id, T_PCI_DEVICE);
	KUNIT_EXPECT_EQ(e->test, attr->hw_ver, T_PCI_REVISION);
	KUNIT_EXPECT_EQ(e->test, attr->fw_ver, (16ULL << 32) | (35 << 16) |
			T_FW_CMD_SUB);
	return 0;
}

/*
 * The device's copy of @mr's KLM array, from when the MR is made: what
 * the DMA mapping of the array at allocation gave the device.
 */
static struct t_view *t_view_new(struct t_env *e, struct mlx5_ib_mr *mr)
{
	struct t_view *v;

	KUNIT_ASSERT_LT(e->test, e->nviews, T_VIEWS);
	v = &e->views[e->nviews++];
	v->map = mr->desc_map;
	v->size = mr->desc_size * mr->max_descs;
	v->cpu = mr->descs;
	v->bytes = t_kvzalloc(e->test, v->size);
	memcpy(v->bytes, v->cpu, v->size);
	return v;
}

/* The view that holds the DMA address @addr, or NULL */
static struct t_view *t_view_at(struct t_env *e, u64 addr)
{
	u32 i;

	for (i = 0; i < e->nviews; i++) {
		struct t_view *v = &e->views[i];

		if (addr >= v->map && addr - v->map < v->size)
			return v;
	}
	return NULL;
}

/*
 * mlx5_ib_sync_descs() as a device sees it: syncs of an MR's array come
 * in pairs, the CPU's first, the CPU writes the array only between them,
 * and the sync for the device makes the bytes it covers visible.
 */
static void t_sync_descs(struct ib_device *ibdev, u64 dma, size_t size,
			 bool for_device)
{
	struct kunit *test = kunit_get_current_test();
	struct t_env *e = test->priv;
	struct t_view *v = t_view_at(e, dma);
	size_t off;

	KUNIT_EXPECT_PTR_EQ(test, ibdev, &e->dev->ib_dev);
	if (!v) {
		KUNIT_FAIL(test, "a sync of %#llx, in no MR's KLM array", dma);
		return;
	}
	off = dma - v->map;
	KUNIT_ASSERT_LE_MSG(test, size, v->size - off,
			    "a sync past the end of the KLM array");
	if (!for_device) {
		KUNIT_EXPECT_FALSE_MSG(test, v->cpu_owns,
				       "two syncs for the CPU in a row");
		KUNIT_EXPECT_TRUE_MSG(test,
				      !memcmp(v->cpu + off, v->bytes + off, size),
				      "KLMs written while the device owned them");
		v->cpu_owns = true;
		v->for_cpu++;
		return;
	}
	KUNIT_EXPECT_TRUE_MSG(test, v->cpu_owns,
			      "a sync for the device without one for the CPU");
	memcpy(v->bytes + off, v->cpu + off, size);
	v->cpu_owns = false;
	v->for_device++;
}

static struct t_env *t_env_new(struct kunit *test)
{
	struct t_env *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct ib_device *ibdev;
	struct mlx5_ib_qp *qp;
	struct mlx5_sq_bfreg *bfreg;
	unsigned int n = 1 << T_SQ_LOG;

	KUNIT_ASSERT_NOT_NULL(test, e);
	e->test = test;
	test->priv = e;
	kunit_activate_static_stub(test, mlx5_ib_sync_descs, t_sync_descs);
	e->dev = t_kvzalloc(test, sizeof(*e->dev));
	e->dev->mdev = t_kvzalloc(test, sizeof(*e->dev->mdev));
	t_hca_new(e);
	t_cap_set(e, true, false, false, 16);

	ibdev = &e->dev->ib_dev;
	/* main.c's operations: query_device, map_mr_sg(e), post_send, ... */
	ib_set_device_ops(ibdev, &mlx5_ib_dev_ops);
	/* the attributes ib_register_device() would read */
	KUNIT_ASSERT_EQ(test, t_query_device(e, &ibdev->attrs), 0);
	KUNIT_ASSERT_TRUE(test, ib_uses_virt_dma(ibdev));

	e->pd = t_pd(e, 7);
	e->pd2 = t_pd(e, 8);

	qp = kunit_kzalloc(test, sizeof(*qp), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, qp);
	e->qp = qp;
	qp->ibqp.device = ibdev;
	qp->ibqp.pd = &e->pd->ibpd;
	qp->ibqp.qp_type = IB_QPT_RC;
	qp->type = IB_QPT_RC;
	qp->trans_qp.base.mqp.qpn = T_QPN;
	spin_lock_init(&qp->sq.lock);
	qp->sq.wqe_cnt = n;
	qp->sq.max_post = n;
	qp->sq.max_gs = 2;	/* a QP created with max_send_sge 2 */
	qp->sq.wrid = kunit_kcalloc(test, n, sizeof(*qp->sq.wrid), GFP_KERNEL);
	qp->sq.wr_data = kunit_kcalloc(test, n, sizeof(*qp->sq.wr_data),
				       GFP_KERNEL);
	qp->sq.w_list = kunit_kcalloc(test, n, sizeof(*qp->sq.w_list),
				      GFP_KERNEL);
	qp->sq.wqe_head = kunit_kcalloc(test, n, sizeof(*qp->sq.wqe_head),
					GFP_KERNEL);
	e->sq_buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	e->dbr = kunit_kcalloc(test, 2, sizeof(*e->dbr), GFP_KERNEL);
	e->bf = kunit_kcalloc(test, 64, sizeof(*e->bf), GFP_KERNEL);
	bfreg = kunit_kzalloc(test, sizeof(*bfreg), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, qp->sq.wrid && qp->sq.wr_data &&
			  qp->sq.w_list && qp->sq.wqe_head && e->sq_buf &&
			  e->dbr && e->bf && bfreg);
	e->frag.buf = e->sq_buf;
	e->frag.map = (uintptr_t)e->sq_buf;
	mlx5_init_fbc(&e->frag, ilog2(MLX5_SEND_WQE_BB), T_SQ_LOG, &qp->sq.fbc);
	qp->db.db = e->dbr;
	/* the doorbell register: memory here */
	bfreg->map = (void __iomem __force *)e->bf;
	qp->bf.bfreg = bfreg;
	qp->bf.buf_size = 256;
	return e;
}

/* A kernel MR as __mlx5_ib_alloc_mr() makes it, minus the firmware. */
static struct mlx5_ib_mr *t_mr(struct t_env *e, enum ib_mr_type type,
			       u32 max_num_sg)
{
	struct mlx5_ib_mr *mr = kunit_kzalloc(e->test, sizeof(*mr), GFP_KERNEL);
	bool mtt = type == IB_MR_TYPE_MEM_REG;

	KUNIT_ASSERT_NOT_NULL(e->test, mr);
	mr->ibmr.device = &e->dev->ib_dev;
	mr->ibmr.pd = &e->pd->ibpd;
	mr->ibmr.type = type;
	mr->ibmr.max_num_sg = max_num_sg;
	mr->max_descs = ALIGN(max_num_sg, 4);
	mr->desc_size = mtt ? sizeof(struct mlx5_mtt) : sizeof(struct mlx5_klm);
	mr->access_mode = mtt ? MLX5_MKC_ACCESS_MODE_MTT :
				MLX5_MKC_ACCESS_MODE_KLMS;
	mr->descs = t_kvzalloc(e->test, mr->max_descs * mr->desc_size);
	memset(mr->descs, T_STALE, mr->max_descs * mr->desc_size);
	mr->desc_map = (uintptr_t)mr->descs;	/* virtual DMA */
	mr->mmkey.key = T_MKEY;
	mr->ibmr.lkey = T_MKEY;
	mr->ibmr.rkey = T_MKEY;
	/* what the device reads of its KLMs is followed from here on */
	if (type == IB_MR_TYPE_INDIRECT)
		t_view_new(e, mr);
	return mr;
}

/* Octowords of translation the mkey was created with (__mlx5_ib_alloc_mr) */
static u32 t_mkey_octowords(struct mlx5_ib_mr *mr)
{
	return ALIGN(mr->ibmr.max_num_sg, 4) * mr->desc_size / 16;
}

/* Post @wr on an empty send queue; the WQE starts at the queue's start. */
static int t_post(struct t_env *e, const struct ib_send_wr *wr,
		  const struct ib_send_wr **bad)
{
	struct mlx5_ib_qp *qp = e->qp;

	qp->sq.cur_post = 0;
	qp->sq.head = 0;
	qp->sq.tail = 0;
	qp->sq.cur_edge = get_sq_edge(&qp->sq, 0);
	qp->bf.offset = 0;
	memset(e->sq_buf, T_STALE, PAGE_SIZE);
	*bad = NULL;
	return ib_post_send(&qp->ibqp, wr, bad);
}

static int t_reg(struct t_env *e, struct mlx5_ib_mr *mr, u32 key, int access)
{
	struct ib_reg_wr wr = {
		.wr.opcode = IB_WR_REG_MR,
		.wr.send_flags = IB_SEND_SIGNALED,
		.mr = &mr->ibmr,
		.key = key,
		.access = access,
	};
	const struct ib_send_wr *bad;

	return t_post(e, &wr.wr, &bad);
}

/*
 * Read the WQE at @wqe (@size bytes readable there) as the device does.
 */
static void t_decode_at(struct t_env *e, void *wqe, size_t size,
			struct t_umr *u)
{
	struct kunit *test = e->test;
	struct mlx5_wqe_ctrl_seg *ctrl = wqe;
	struct mlx5_wqe_umr_ctrl_seg *umr = (void *)(ctrl + 1);
	void *mkc = umr + 1;
	struct t_view *view;
	u32 v;

	memset(u, 0, sizeof(*u));
	v = be32_to_cpu(ctrl->opmod_idx_opcode);
	u->opcode = v & 0xff;
	u->wqe_index = (v >> 8) & 0xffff;
	u->opmod = v >> 24;
	v = be32_to_cpu(ctrl->qpn_ds);
	u->ds = v & MLX5_WQE_CTRL_DS_MASK;
	u->qpn = v >> 8;
	u->fm_ce_se = ctrl->fm_ce_se;
	u->umr_mkey = be32_to_cpu(ctrl->umr_mkey);

	u->flags = umr->flags;
	u->xlt_octowords = be16_to_cpu(umr->xlt_octowords);
	u->mkey_mask = be64_to_cpu(umr->mkey_mask);

	u->free = MLX5_GET(mkc, mkc, free);
	u->access_mode = MLX5_GET(mkc, mkc, access_mode_1_0) |
			 MLX5_GET(mkc, mkc, access_mode_4_2) << 2;
	u->umr_en = MLX5_GET(mkc, mkc, umr_en);
	u->a = MLX5_GET(mkc, mkc, a);
	u->rw = MLX5_GET(mkc, mkc, rw);
	u->rr = MLX5_GET(mkc, mkc, rr);
	u->lw = MLX5_GET(mkc, mkc, lw);
	u->lr = MLX5_GET(mkc, mkc, lr);
	u->mkc_qpn = MLX5_GET(mkc, mkc, qpn);
	u->mkey_7_0 = MLX5_GET(mkc, mkc, mkey_7_0);
	u->en_rinval = MLX5_GET(mkc, mkc, en_rinval);
	u->start = MLX5_GET64(mkc, mkc, start_addr);
	u->len = MLX5_GET64(mkc, mkc, len);
	u->xlt_size = MLX5_GET(mkc, mkc, translations_octword_size);
	u->log_page_size = MLX5_GET(mkc, mkc, log_page_size);

	/* a KLM is one octoword: the UMR writes xlt_octowords of them */
	u->nklm = u->xlt_octowords;
	u->inl = u->flags & MLX5_UMR_INLINE;
	if (u->inl) {
		u->klm = (const void *)mkc + MLX5_ST_SZ_BYTES(mkc);
		/* the WQE must hold them, in the memory the test gave it */
		KUNIT_ASSERT_LE(test, (void *)(u->klm + u->nklm) - wqe,
				(long)size);
	} else {
		struct mlx5_wqe_data_seg *d = mkc + MLX5_ST_SZ_BYTES(mkc);

		u->ptr = be64_to_cpu(d->addr);
		u->ptr_bytes = be32_to_cpu(d->byte_count);
		u->ptr_lkey = be32_to_cpu(d->lkey);
		view = t_view_at(e, u->ptr);
		if (!view) {
			/* other MR types: their arrays as the CPU left them */
			u->klm = (const struct mlx5_klm *)(uintptr_t)u->ptr;
			return;
		}
		/* an indirect MR's: what was last synced for the device */
		KUNIT_ASSERT_LE(test, u->ptr - view->map + u->ptr_bytes,
				(u64)view->size);
		KUNIT_ASSERT_LE(test, (u64)u->nklm * sizeof(*u->klm),
				(u64)u->ptr_bytes);
		u->klm = (const void *)(view->bytes + (u->ptr - view->map));
	}
}

/* Read the WQE at the start of the send queue as the device does. */
static void t_decode(struct t_env *e, struct t_umr *u)
{
	t_decode_at(e, e->sq_buf, PAGE_SIZE, u);
}

/* The device's translation of [va, va + len): its segments, or -ERANGE. */
static int t_device_walk(const struct t_umr *u, u64 va, u64 len,
			 struct ib_sge_seg *seg, u32 max, u32 *nseg,
			 char *why, size_t whylen)
{
	u64 off, pos = 0;
	u32 i, k = 0;

	*nseg = 0;
	if (va < u->start || len > u->len || va - u->start > u->len - len)
		return -ERANGE;	/* outside the mkey: the device refuses */
	off = va - u->start;
	for (i = 0; i < u->nklm && len; i++) {
		u32 bc = be32_to_cpu(u->klm[i].bcount);
		u64 in, take;

		if (off >= pos + bc) {
			pos += bc;
			continue;
		}
		if (k == max) {
			snprintf(why, whylen, "more than %u segments", max);
			return -E2BIG;
		}
		in = off - pos;
		take = min_t(u64, bc - in, len);
		seg[k].index = i;
		seg[k].lkey = be32_to_cpu(u->klm[i].key);
		seg[k].addr = be64_to_cpu(u->klm[i].va) + in;
		seg[k].len = take;
		k++;
		off += take;
		len -= take;
		pos += bc;
	}
	*nseg = k;
	if (len) {
		snprintf(why, whylen,
			 "%llu bytes run past the %u KLMs of the translation",
			 len, u->nklm);
		return -EFAULT;
	}
	return 0;
}

struct t_segs {
	struct ib_sge_seg	*seg;
	u32			max;
	u32			n;
};

static int t_collect(const struct ib_sge_seg *seg, void *ctx)
{
	struct t_segs *s = ctx;

	if (s->n == s->max)
		return -E2BIG;
	s->seg[s->n++] = *seg;
	return 0;
}

/* One conformance check: what a test run compares with the walker. */
struct t_conf {
	struct t_env		*e;
	const char		*what;	/* the case */
	u32			seed;
	u32			vec;	/* within the case */
	const struct ib_sge	*sge;
	u32			nents;
	u64			iova;
	struct ib_sge_list	*list;
	struct t_umr		umr;
	struct ib_sge_seg	*dseg, *wseg;
	u32			max_segs;
	u32			failures;
};

static void t_conf_init(struct t_conf *c, struct t_env *e, const char *what,
			u32 max_entries)
{
	memset(c, 0, sizeof(*c));
	c->e = e;
	c->what = what;
	c->max_segs = max_entries;
	c->list = ib_sge_list_alloc(max_entries, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(e->test, c->list);
	c->dseg = t_kvzalloc(e->test, max_entries * sizeof(*c->dseg));
	c->wseg = t_kvzalloc(e->test, max_entries * sizeof(*c->wseg));
}

static void t_conf_done(struct t_conf *c)
{
	ib_sge_list_free(c->list);
}

static void t_print_segs(struct kunit *test, const char *who,
			 const struct ib_sge_seg *s, u32 n, int rc)
{
	u32 i;

	kunit_err(test, "    %s: rc %d, %u segments", who, rc, n);
	for (i = 0; i < n && i < 8; i++)
		kunit_err(test, "      [%u] entry %u key %#x addr %#llx len %u",
			  i, s[i].index, s[i].lkey, s[i].addr, s[i].len);
	if (n > 8)
		kunit_err(test, "      ... %u more", n - 8);
}

/* Compare the device's and the walker's segments of [va, va + len). */
static void t_check_access(struct t_conf *c, u64 va, u64 len)
{
	struct kunit *test = c->e->test;
	struct t_segs ws = { .seg = c->wseg, .max = c->max_segs };
	u32 dn, i;
	char why[96] = "";
	int drc, wrc;
	bool same;

	c->e->vectors++;
	drc = t_device_walk(&c->umr, va, len, c->dseg, c->max_segs, &dn, why,
			    sizeof(why));
	/* the walker works on offsets from the iova the MR was posted with */
	if (va < c->iova || va - c->iova > U64_MAX - len)
		wrc = -ERANGE;
	else
		wrc = ib_sge_walk(c->list, va - c->iova, len, t_collect, &ws);

	same = drc == wrc && dn == ws.n;
	for (i = 0; same && i < dn; i++)
		same = c->dseg[i].index == c->wseg[i].index &&
		       c->dseg[i].lkey == c->wseg[i].lkey &&
		       c->dseg[i].addr == c->wseg[i].addr &&
		       c->dseg[i].len == c->wseg[i].len;
	if (same)
		return;

	if (c->failures++ >= 3)
		return;	/* the first few mismatches tell the story */
	KUNIT_FAIL(test,
		   "%s: vector %u (klm_seed=%u): the KLM translation differs from ib_sge_walk()",
		   c->what, c->vec, c->seed);
	kunit_err(test, "    list: %u entries, iova %#llx, mkey start %#llx len %llu, %u KLMs %s",
		  c->nents, c->iova, c->umr.start, c->umr.len, c->umr.nklm,
		  c->umr.inl ? "inline" : "by pointer");
	for (i = 0; i < c->nents && i < 8; i++)
		kunit_err(test, "      entry %u: key %#x addr %#llx len %u",
			  i, c->sge[i].lkey, c->sge[i].addr, c->sge[i].length);
	if (c->nents > 8)
		kunit_err(test, "      ... %u more entries", c->nents - 8);
	kunit_err(test, "    access: va %#llx len %llu (offset %lld)", va, len,
		  (s64)(va - c->iova));
	t_print_segs(test, "device (KLMs)", c->dseg, dn, drc);
	if (why[0])
		kunit_err(test, "      %s", why);
	t_print_segs(test, "walker", c->wseg, ws.n, wrc);
}

/*
 * Stage @sge through the core and the driver, post IB_WR_REG_MR at @iova
 * and decode the WQE: what the device will translate.
 */
static int t_conf_list(struct t_conf *c, struct mlx5_ib_mr *mr,
		       const struct ib_sge *sge, u32 nents, u64 iova)
{
	struct kunit *test = c->e->test;
	int ret;

	c->sge = sge;
	c->nents = nents;
	c->iova = iova;
	ret = ib_map_mr_sge(&mr->ibmr, sge, nents, iova);
	KUNIT_ASSERT_EQ_MSG(test, ret, (int)nents, "%s: ib_map_mr_sge",
			    c->what);
	KUNIT_ASSERT_EQ(test, ib_sge_list_set(c->list, sge, nents), 0);
	ib_update_fast_reg_key(&mr->ibmr, ib_inc_rkey(mr->ibmr.rkey));
	ret = t_reg(c->e, mr, mr->ibmr.rkey, IB_ACCESS_LOCAL_WRITE |
		    IB_ACCESS_REMOTE_READ | IB_ACCESS_REMOTE_WRITE);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "%s: post REG_MR", c->what);
	t_decode(c->e, &c->umr);
	KUNIT_ASSERT_EQ(test, c->umr.opcode, MLX5_OPCODE_UMR);
	return 0;
}

/* The access classes every list gets: whole, first, last, just outside. */
static void t_conf_fixed_accesses(struct t_conf *c)
{
	u64 len = c->list->length;

	t_check_access(c, c->iova, len);
	t_check_access(c, c->iova, 1);
	t_check_access(c, c->iova + len - 1, 1);
	if (c->iova + len - 1 < U64_MAX)
		t_check_access(c, c->iova + len - 1, 2);
	if (c->iova)
		t_check_access(c, c->iova - 1, 1);
}

/* splitmix64: seeds of nearby vectors give unrelated streams */
static u64 t_mix(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static u32 t_below(struct rnd_state *r, u32 n)
{
	return prandom_u32_state(r) % n;
}

/*
 * A list as the loopback stress suite draws it: 1 to 8 entries, a quarter
 * of them 1 byte long and the others 1 to 1500, at byte offsets in 3
 * pages under the DMA lkey or, one in three, in one page of a fast MR.
 */
static u32 t_rnd_stress_list(struct rnd_state *r, struct ib_sge *sge,
			     u64 *iova)
{
	u32 n = 1 + t_below(r, T_RND_MAX_ENTRIES), i;

	for (i = 0; i < n; i++) {
		bool fast = t_below(r, 3) == 0;
		u32 room = fast ? 4096 : T_RND_MEM;
		u32 len = t_below(r, 4) ? 1 + t_below(r, T_RND_MAX_ENTRY) : 1;
		u32 off = t_below(r, room - len + 1);

		sge[i].addr = (fast ? T_FAST_BASE : T_DMA_BASE) + off;
		sge[i].length = len;
		sge[i].lkey = fast ? T_FAST_LKEY : T_DMA_LKEY;
	}
	*iova = (u64)t_below(r, 1 << 20) << 12 | t_below(r, 4096);
	return n;
}

/* A random access inside the list (the stress suite's operations). */
static void t_rnd_access(struct t_conf *c, struct rnd_state *r)
{
	u64 len = c->list->length;
	u64 off = t_below(r, len);

	t_check_access(c, c->iova + off, 1 + t_below(r, len - off));
}

static void klm_random_stress(struct kunit *test)
{
	struct t_env *e = t_env_new(test);
	struct mlx5_ib_mr *mr = t_mr(e, IB_MR_TYPE_INDIRECT,
				     T_RND_MAX_ENTRIES);
	struct ib_sge sge[T_RND_MAX_ENTRIES];
	struct rnd_state r;
	struct t_conf c;
	u32 l, k;

	t_conf_init(&c, e, "random stress lists", T_RND_MAX_ENTRIES);
	c.seed = klm_seed;
	for (l = 0; l < klm_lists && c.failures < 3; l++) {
		u64 iova;
		u32 n;

		prandom_seed_state(&r, t_mix((u64)klm_seed << 32 | l));
		n = t_rnd_stress_list(&r, sge, &iova);
		c.vec = l;
		t_conf_list(&c, mr, sge, n, iova);
		KUNIT_EXPECT_EQ(test, c.umr.inl, n <= 4);
		t_conf_fixed_accesses(&c);
		for (k = 0; k < 4; k++)
			t_rnd_access(&c, &r);
	}
	kunit_info(test, "%llu vectors of %u lists compared with ib_sge_walk() (klm_seed=%u)",
		   e->vectors, l, klm_seed);
	t_conf_done(&c);
}

/* Longer lists, accesses spanning many entries. */
static void klm_random_long(struct kunit *test)
{
	const u32 max = 512;
	struct t_env *e = t_env_new(test);
	struct mlx5_ib_mr *mr = t_mr(e, IB_MR_TYPE_INDIRECT, max);
	struct ib_sge *sge = t_kvzalloc(test, max * sizeof(*sge));
	u32 lists = max_t(u32, klm_lists / 10, 1);
	struct rnd_state r;
	struct t_conf c;
	u32 l, i, k;

	t_conf_init(&c, e, "random long lists", max);
	c.seed = klm_seed;
	for (l = 0; l < lists && c.failures < 3; l++) {
		u32 n;
		u64 iova;

		prandom_seed_state(&r, t_mix((u64)~klm_seed << 32 | l));
		n = 9 + t_below(&r, max - 8);
		for (i = 0; i < n; i++) {
			u32 shape = t_below(&r, 8);

			sge[i].length = shape == 0 ? 1 :
					shape < 6 ? 1 + t_below(&r, 4096) :
					1 + t_below(&r, 1 << 20);
			sge[i].addr = (u64)prandom_u32_state(&r) << 20 |
				      t_below(&r, 1 << 20);
			sge[i].lkey = t_below(&r, 2) ? T_DMA_LKEY :
					T_FAST_LKEY + (i << 8);
		}
		iova = t_below(&r, 4) ? (u64)prandom_u32_state(&r) << 12 : 0;
		c.vec = l;
		t_conf_list(&c, mr, sge, n, iova);
		KUNIT_EXPECT_FALSE(test, c.umr.inl);
		t_conf_fixed_accesses(&c);
		for (k = 0; k < 8; k++)
			t_rnd_access(&c, &r);
	}
	kunit_info(test, "%llu vectors of %u lists compared with ib_sge_walk() (klm_seed=%u)",
		   e->vectors, l, klm_seed);
	t_conf_done(&c);
}

/* Fixed lists: the edges of the KLM layout. */
struct t_edge {
	const char	*name;
	u32		nents;
	u32		len;	/* of every entry; 0: 1 + i % 7 */
	u64		iova;	/* ~0: the last byte of the list is U64_MAX */
};

static const struct t_edge t_edges[] = {
	{ "one entry of one byte", 1, 1, 0 },
	{ "4 entries: inline", 4, 3, 0x1000 },
	{ "5 entries: by pointer", 5, 3, 0x1000 },
	{ "64 one-byte entries", 64, 1, 0x2a },
	{ "mixed small entries", 200, 0, 0xfff },
	{ "entries of the largest length", 3, IB_INDIRECT_MAX_ENTRY_LEN, 0 },
	{ "last byte at the top of the address space", 9, 0, ~0ULL },
	{ "the longest list", MLX5R_UMR_MAX_KLMS, 0, 0x10000 },
};

KUNIT_ARRAY_PARAM_DESC(t_edge, t_edges, name);

static void klm_edges(struct kunit *test)
{
	const struct t_edge *p = test->param_value;
	struct t_env *e = t_env_new(test);
	struct mlx5_ib_mr *mr = t_mr(e, IB_MR_TYPE_INDIRECT, p->nents);
	struct ib_sge *sge = t_kvzalloc(test, p->nents * sizeof(*sge));
	u64 total = 0, iova = p->iova, off;
	struct t_conf c;
	u32 i;

	for (i = 0; i < p->nents; i++) {
		sge[i].length = p->len ? p->len : 1 + i % 7;
		sge[i].addr = T_DMA_BASE + 3 * (u64)i * sge[i].length + i;
		sge[i].lkey = i % 3 ? T_DMA_LKEY : T_FAST_LKEY;
		total += sge[i].length;
	}
	if (iova == ~0ULL)
		iova = U64_MAX - total + 1;

	t_conf_init(&c, e, p->name, p->nents);
	t_conf_list(&c, mr, sge, p->nents, iova);
	KUNIT_EXPECT_EQ(test, c.umr.inl, p->nents <= 4);
	t_conf_fixed_accesses(&c);
	/* every byte of short lists; entry boundaries of the others */
	if (total <= 512) {
		for (off = 0; off < total; off++)
			t_check_access(&c, iova + off, total - off);
	}
	for (i = 0, off = 0; i < p->nents && i < 1024; i++) {
		if (off)
			t_check_access(&c, iova + off - 1, 2);
		off += sge[i].length;
	}
	/* an access spanning half the list */
	t_check_access(&c, iova + total / 4, total / 2);
	kunit_info(test, "%llu vectors compared with ib_sge_walk()",
		   e->vectors);
	t_conf_done(&c);
}

/* Map @nsg elements from @r, with a random offset into the first. */
static u32 t_rnd_sg(struct rnd_state *r, struct scatterlist *sg, u32 max,
		    unsigned int *offset, struct ib_sge *sge)
{
	u32 n = 1 + t_below(r, max), i;

	sg_init_table(sg, n);
	for (i = 0; i < n; i++) {
		u32 len = 1 + t_below(r, 8192);

		sg_dma_address(&sg[i]) = T_DMA_BASE + ((u64)i << 16) +
					 t_below(r, 4096);
		sg_dma_len(&sg[i]) = len;
		sge[i].addr = sg_dma_address(&sg[i]);
		sge[i].length = len;
		sge[i].lkey = T_DMA_LKEY;
	}
	*offset = t_below(r, sg_dma_len(&sg[0]));
	sge[0].addr += *offset;
	sge[0].length -= *offset;
	return n;
}

/*
 * ib_map_mr_sg() on an indirect MR (ib_sg_to_sge()) and on an SG_GAPS MR
 * (mlx5_ib_sg_to_klms()) build the same KLMs, iova and length, and the
 * indirect MR translates the scatterlist as the walker does.
 */
static void klm_scatterlist(struct kunit *test)
{
	const u32 max = 16;
	struct t_env *e = t_env_new(test);
	struct mlx5_ib_mr *ind = t_mr(e, IB_MR_TYPE_INDIRECT, max);
	struct mlx5_ib_mr *gaps = t_mr(e, IB_MR_TYPE_SG_GAPS, max);
	struct scatterlist sg[16];
	struct ib_sge sge[16];
	struct rnd_state r;
	struct t_conf c;
	u32 l, k;

	t_conf_init(&c, e, "scatterlists", max);
	c.seed = klm_seed;
	for (l = 0; l < 200 && c.failures < 3; l++) {
		unsigned int off, off2;
		u32 n;
		int got, got2;

		prandom_seed_state(&r, t_mix((u64)klm_seed << 32 | l | 1u << 31));
		n = t_rnd_sg(&r, sg, max, &off, sge);
		off2 = off;
		got = ib_map_mr_sg(&ind->ibmr, sg, n, &off, PAGE_SIZE);
		got2 = ib_map_mr_sg(&gaps->ibmr, sg, n, &off2, PAGE_SIZE);
		KUNIT_ASSERT_EQ(test, got, (int)n);
		KUNIT_ASSERT_EQ(test, got2, (int)n);
		KUNIT_EXPECT_EQ(test, ind->ibmr.iova, gaps->ibmr.iova);
		KUNIT_EXPECT_EQ(test, ind->ibmr.length, gaps->ibmr.length);
		KUNIT_EXPECT_EQ(test, ind->mmkey.ndescs, gaps->mmkey.ndescs);
		KUNIT_EXPECT_EQ(test, off, 0);
		KUNIT_EXPECT_EQ(test, off2, 0);
		KUNIT_EXPECT_MEMEQ(test, ind->descs, gaps->descs,
				   n * sizeof(struct mlx5_klm));

		c.vec = l;
		c.sge = sge;
		c.nents = n;
		c.iova = ind->ibmr.iova;
		KUNIT_ASSERT_EQ(test, ib_sge_list_set(c.list, sge, n), 0);
		KUNIT_ASSERT_EQ(test, t_reg(e, ind, ind->ibmr.rkey,
					    IB_ACCESS_REMOTE_READ), 0);
		t_decode(e, &c.umr);
		t_conf_fixed_accesses(&c);
		for (k = 0; k < 4; k++)
			t_rnd_access(&c, &r);
	}
	kunit_info(test, "%llu vectors of %u scatterlists compared with ib_sge_walk() (klm_seed=%u)",
		   e->vectors, l, klm_seed);
	t_conf_done(&c);
}

/* A failed map leaves the KLMs, their count, iova and length unchanged. */
static void klm_failed_map_keeps_list(struct kunit *test)
{
	struct t_env *e = t_env_new(test);
	struct mlx5_ib_mr *mr = t_mr(e, IB_MR_TYPE_INDIRECT, 4);
	struct ib_sge sge[5] = {
		{ T_DMA_BASE + 1, 10, T_DMA_LKEY },
		{ T_DMA_BASE + 100, 20, T_FAST_LKEY },
		{ T_DMA_BASE + 300, 30, T_DMA_LKEY },
		{ T_DMA_BASE + 600, 40, T_DMA_LKEY },
		{ T_DMA_BASE + 900, 50, T_DMA_LKEY },
	};
	struct ib_sge bad[2] = {
		{ T_DMA_BASE, 5, T_DMA_LKEY },
		{ T_DMA_BASE + 50, 0, T_DMA_LKEY },
	};
	struct scatterlist sg[2];
	unsigned int off;
	u8 *snap = kunit_kzalloc(test, 4 * sizeof(struct mlx5_klm), GFP_KERNEL);
	struct t_umr u;

	KUNIT_ASSERT_NOT_NULL(test, snap);
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(&mr->ibmr, sge, 4, 0x5000), 4);
	memcpy(snap, mr->descs, 4 * sizeof(struct mlx5_klm));

	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(&mr->ibmr, sge, 5, 0x9000), -E2BIG);
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(&mr->ibmr, bad, 2, 0x9000), -EINVAL);
	sg_init_table(sg, 2);
	sg_dma_address(&sg[0]) = T_DMA_BASE;
	sg_dma_len(&sg[0]) = 8;
	sg_dma_address(&sg[1]) = T_DMA_BASE + 64;
	sg_dma_len(&sg[1]) = 8;
	off = 8;	/* not inside the first element */
	KUNIT_EXPECT_EQ(test, ib_map_mr_sg(&mr->ibmr, sg, 2, &off, PAGE_SIZE),
			-EINVAL);
	sg_dma_len(&sg[0]) = 0;	/* an empty first element */
	KUNIT_EXPECT_EQ(test, ib_map_mr_sg(&mr->ibmr, sg, 2, NULL, PAGE_SIZE),
			-EINVAL);

	KUNIT_EXPECT_EQ(test, mr->mmkey.ndescs, 4);
	KUNIT_EXPECT_EQ(test, mr->ibmr.iova, 0x5000);
	KUNIT_EXPECT_EQ(test, mr->ibmr.length, 100);
	KUNIT_EXPECT_MEMEQ(test, mr->descs, snap, 4 * sizeof(struct mlx5_klm));
	/* and REG_MR installs the list that was staged */
	KUNIT_ASSERT_EQ(test, t_reg(e, mr, mr->ibmr.rkey, 0), 0);
	t_decode(e, &u);
	KUNIT_EXPECT_EQ(test, u.start, 0x5000);
	KUNIT_EXPECT_EQ(test, u.len, 100);
	KUNIT_EXPECT_TRUE(test, u.inl);
	KUNIT_EXPECT_MEMEQ(test, u.klm, snap, 4 * sizeof(struct mlx5_klm));
}

/*
 * Every write of an indirect MR's KLMs is bracketed by a sync for the CPU
 * and one for the device (mlx5_ib_sync_descs(), here t_sync_descs()), so
 * that a UMR pointing at the array reads the list just staged: after
 * ib_map_mr_sge(), after ib_map_mr_sg(), and after an ib_map_mr_sg()
 * that fails (the list before it).  A list the core refuses and a REG_MR
 * sync nothing.
 */
static void klm_synced_for_device(struct kunit *test)
{
	const u32 n = 64;	/* more KLMs than a WQE holds inline */
	struct t_env *e = t_env_new(test);
	struct mlx5_ib_mr *mr = t_mr(e, IB_MR_TYPE_INDIRECT, n);
	struct t_view *v = t_view_at(e, mr->desc_map);
	size_t bytes = n * sizeof(struct mlx5_klm);
	struct ib_sge *sge = t_kvzalloc(test, n * sizeof(*sge));
	struct mlx5_klm *klms = t_kvzalloc(test, bytes);
	struct ib_sge bad = {
		.addr = T_DMA_BASE, .length = 0, .lkey = T_DMA_LKEY,
	};
	struct scatterlist sg[3];
	unsigned int off;
	struct t_umr u;
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, v);
	for (i = 0; i < n; i++) {
		sge[i].addr = T_DMA_BASE + i * 4096 + i;
		sge[i].length = 100 + i;
		sge[i].lkey = i % 3 ? T_DMA_LKEY : T_FAST_LKEY;
	}
	mlx5_ib_klms_from_sge(klms, sge, n);
	/* until a list is mapped the device sees what allocation mapped */
	KUNIT_EXPECT_EQ(test, v->for_cpu + v->for_device, 0);

	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(&mr->ibmr, sge, n, 0x10000), n);
	KUNIT_EXPECT_EQ(test, v->for_cpu, 1);
	KUNIT_EXPECT_EQ(test, v->for_device, 1);
	KUNIT_EXPECT_MEMEQ(test, v->bytes, klms, bytes);

	KUNIT_ASSERT_EQ(test, t_reg(e, mr, mr->ibmr.rkey, 0), 0);
	KUNIT_EXPECT_EQ(test, v->for_cpu + v->for_device, 2);
	t_decode(e, &u);
	KUNIT_ASSERT_FALSE(test, u.inl);
	KUNIT_EXPECT_EQ(test, u.ptr, mr->desc_map);
	KUNIT_EXPECT_EQ(test, u.nklm, n);
	KUNIT_EXPECT_MEMEQ(test, u.klm, klms, bytes);

	/* refused by the core before the driver sees it: nothing synced */
	KUNIT_EXPECT_EQ(test, ib_map_mr_sge(&mr->ibmr, &bad, 1, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, v->for_cpu + v->for_device, 2);

	/* a scatterlist: one KLM per element under the PD's DMA lkey */
	sg_init_table(sg, 3);
	for (i = 0; i < 3; i++) {
		sg_dma_address(&sg[i]) = T_DMA_BASE + 8192 * i + 7;
		sg_dma_len(&sg[i]) = 1000 + i;
		mlx5_ib_set_klm(&klms[i], T_DMA_BASE + 8192 * i + 7, 1000 + i,
				T_DMA_LKEY);
	}
	KUNIT_ASSERT_EQ(test, ib_map_mr_sg(&mr->ibmr, sg, 3, NULL, PAGE_SIZE),
			3);
	KUNIT_EXPECT_EQ(test, v->for_cpu, 2);
	KUNIT_EXPECT_EQ(test, v->for_device, 2);
	KUNIT_EXPECT_MEMEQ(test, v->bytes, klms, 3 * sizeof(*klms));

	/* a failed map: the syncs still pair, the device keeps that list */
	off = 2000;	/* not inside the first element */
	KUNIT_EXPECT_EQ(test, ib_map_mr_sg(&mr->ibmr, sg, 3, &off, PAGE_SIZE),
			-EINVAL);
	KUNIT_EXPECT_FALSE(test, v->cpu_owns);
	KUNIT_EXPECT_EQ(test, v->for_device, v->for_cpu);
	KUNIT_EXPECT_MEMEQ(test, v->bytes, klms, 3 * sizeof(*klms));
}

static struct kunit_case mlx5_ib_indirect_klm_cases[] = {
	KUNIT_CASE(klm_random_stress),
	KUNIT_CASE(klm_random_long),
	KUNIT_CASE_PARAM(klm_edges, t_edge_gen_params),
	KUNIT_CASE(klm_scatterlist),
	KUNIT_CASE(klm_failed_map_keeps_list),
	KUNIT_CASE(klm_synced_for_device),
	{}
};

static struct kunit_suite mlx5_ib_indirect_klm_suite = {
	.name = "mlx5_ib_indirect_klm",
	.test_cases = mlx5_ib_indirect_klm_cases,
};

/* The UMR WQE of an indirect REG_MR, field by field. */
struct t_wqe {
	const char	*name;
	u32		nents;
	int		access;
	u64		iova;
};

static const struct t_wqe t_wqes[] = {
	{ "1 KLM inline, read only", 1, 0, 0 },
	{ "3 KLMs inline, local write", 3, IB_ACCESS_LOCAL_WRITE, 0x1234 },
	{ "4 KLMs inline, remote read and write", 4,
	  IB_ACCESS_REMOTE_READ | IB_ACCESS_REMOTE_WRITE, 0xffff0000 },
	{ "5 KLMs by pointer, all rights", 5,
	  IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_READ |
	  IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC, 7 },
	{ "12 KLMs by pointer, remote read", 12, IB_ACCESS_REMOTE_READ, 0 },
	{ "300 KLMs by pointer, remote write", 300,
	  IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE, 1ULL << 40 },
};

KUNIT_ARRAY_PARAM_DESC(t_wqe, t_wqes, name);

static void wqe_fields(struct kunit *test)
{
	const struct t_wqe *p = test->param_value;
	struct t_env *e = t_env_new(test);
	struct mlx5_ib_mr *mr = t_mr(e, IB_MR_TYPE_INDIRECT, p->nents);
	struct ib_sge *sge = t_kvzalloc(test, p->nents * sizeof(*sge));
	u32 i, key, octo = ALIGN(p->nents, 4);
	u64 total = 0, mask;
	struct t_umr u;
	u8 ds;

	for (i = 0; i < p->nents; i++) {
		sge[i].addr = T_DMA_BASE + 1000 * i + i % 3;
		sge[i].length = 1 + 17 * i;
		sge[i].lkey = i & 1 ? T_FAST_LKEY : T_DMA_LKEY;
		total += sge[i].length;
	}
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(&mr->ibmr, sge, p->nents, p->iova),
			(int)p->nents);
	ib_update_fast_reg_key(&mr->ibmr, 0x3c);
	key = mr->ibmr.rkey;
	KUNIT_ASSERT_EQ(test, t_reg(e, mr, key, p->access), 0);
	t_decode(e, &u);

	/* control segment: a UMR naming the MR's mkey, fenced */
	KUNIT_EXPECT_EQ(test, u.opcode, MLX5_OPCODE_UMR);
	KUNIT_EXPECT_EQ(test, u.opmod, 0);
	KUNIT_EXPECT_EQ(test, u.wqe_index, 0);
	KUNIT_EXPECT_EQ(test, u.qpn, T_QPN);
	KUNIT_EXPECT_EQ(test, u.umr_mkey, key);
	KUNIT_EXPECT_TRUE(test, u.fm_ce_se & MLX5_WQE_CTRL_CQ_UPDATE);
	/* ds: ctrl + UMR ctrl + mkey, then the KLMs or one data segment */
	ds = (sizeof(struct mlx5_wqe_ctrl_seg) +
	      sizeof(struct mlx5_wqe_umr_ctrl_seg) +
	      sizeof(struct mlx5_mkey_seg)) / 16;
	if (p->nents <= 4)
		ds = ALIGN(ds + p->nents, 4);
	else
		ds += sizeof(struct mlx5_wqe_data_seg) / 16;
	KUNIT_EXPECT_EQ(test, u.ds, ds);
	KUNIT_EXPECT_EQ(test, e->qp->sq.cur_post, DIV_ROUND_UP(ds * 16, 64));
	KUNIT_EXPECT_EQ(test, be32_to_cpu(e->dbr[MLX5_SND_DBR]),
			e->qp->sq.cur_post);

	/*
	 * UMR control: translation size (within the mkey: checked on a
	 * real mkey by alloc_mr_creates_klm_mkey), mask, inline or not
	 */
	KUNIT_EXPECT_EQ(test, u.xlt_octowords, octo);
	KUNIT_EXPECT_EQ(test, !!(u.flags & MLX5_UMR_INLINE), p->nents <= 4);
	KUNIT_EXPECT_TRUE(test, u.flags & MLX5_UMR_CHECK_NOT_FREE);
	mask = MLX5_MKEY_MASK_LEN | MLX5_MKEY_MASK_PAGE_SIZE |
	       MLX5_MKEY_MASK_START_ADDR | MLX5_MKEY_MASK_EN_RINVAL |
	       MLX5_MKEY_MASK_KEY | MLX5_MKEY_MASK_LR | MLX5_MKEY_MASK_LW |
	       MLX5_MKEY_MASK_RR | MLX5_MKEY_MASK_RW |
	       MLX5_MKEY_MASK_SMALL_FENCE | MLX5_MKEY_MASK_FREE |
	       MLX5_MKEY_MASK_A;	/* written with or without the right */
	KUNIT_EXPECT_EQ(test, u.mkey_mask, mask);

	/* mkey segment: KLM mode, valid, rights, key, range */
	KUNIT_EXPECT_EQ(test, u.access_mode, MLX5_MKC_ACCESS_MODE_KLMS);
	KUNIT_EXPECT_EQ(test, u.free, 0);
	KUNIT_EXPECT_EQ(test, u.umr_en, 1);
	KUNIT_EXPECT_EQ(test, u.lr, 1);
	KUNIT_EXPECT_EQ(test, u.lw, !!(p->access & IB_ACCESS_LOCAL_WRITE));
	KUNIT_EXPECT_EQ(test, u.rr, !!(p->access & IB_ACCESS_REMOTE_READ));
	KUNIT_EXPECT_EQ(test, u.rw, !!(p->access & IB_ACCESS_REMOTE_WRITE));
	KUNIT_EXPECT_EQ(test, u.a, !!(p->access & IB_ACCESS_REMOTE_ATOMIC));
	KUNIT_EXPECT_EQ(test, u.mkc_qpn, 0xffffff);
	KUNIT_EXPECT_EQ(test, u.mkey_7_0, key & 0xff);
	KUNIT_EXPECT_EQ(test, u.en_rinval, 1);
	KUNIT_EXPECT_EQ(test, u.start, p->iova);
	KUNIT_EXPECT_EQ(test, u.len, total);
	KUNIT_EXPECT_EQ(test, u.xlt_size, octo);
	KUNIT_EXPECT_EQ(test, u.log_page_size, 0);

	/* the translation: one KLM per entry, in order */
	if (!u.inl) {
		KUNIT_EXPECT_EQ(test, u.ptr, (u64)mr->desc_map);
		KUNIT_EXPECT_EQ(test, u.ptr_bytes, ALIGN(16 * p->nents, 64));
		KUNIT_EXPECT_EQ(test, u.ptr_lkey, T_DMA_LKEY);
	}
	for (i = 0; i < p->nents; i++) {
		KUNIT_EXPECT_EQ(test, be32_to_cpu(u.klm[i].bcount),
				sge[i].length);
		KUNIT_EXPECT_EQ(test, be32_to_cpu(u.klm[i].key), sge[i].lkey);
		KUNIT_EXPECT_EQ(test, be64_to_cpu(u.klm[i].va), sge[i].addr);
	}
}

/* The device takes the iova that mr->iova holds when REG_MR is posted. */
static void wqe_iova_at_post(struct kunit *test)
{
	struct t_env *e = t_env_new(test);
	struct mlx5_ib_mr *mr = t_mr(e, IB_MR_TYPE_INDIRECT, 2);
	struct ib_sge sge[2] = {
		{ T_DMA_BASE + 3, 100, T_DMA_LKEY },
		{ T_DMA_BASE + 999, 28, T_DMA_LKEY },
	};
	struct t_umr u;

	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(&mr->ibmr, sge, 2, 0x1000), 2);
	mr->ibmr.iova = 0xabcd00000000ULL | 0x1000;	/* xprtrdma's xid */
	KUNIT_ASSERT_EQ(test, t_reg(e, mr, mr->ibmr.rkey, 0), 0);
	t_decode(e, &u);
	KUNIT_EXPECT_EQ(test, u.start, 0xabcd00001000ULL);
	KUNIT_EXPECT_EQ(test, u.len, 128);
	/* a second REG_MR without a map installs the same list again */
	mr->ibmr.iova = 0;
	KUNIT_ASSERT_EQ(test, t_reg(e, mr, mr->ibmr.rkey, 0), 0);
	t_decode(e, &u);
	KUNIT_EXPECT_EQ(test, u.start, 0);
	KUNIT_EXPECT_EQ(test, u.xlt_octowords, 4);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(u.klm[1].bcount), 28);
}

/* REG_MRs the driver refuses when posted (rule S4): nothing is posted. */
enum t_refusal { T_NEVER_MAPPED, T_OTHER_MKEY, T_OTHER_PD, T_WRAPS,
		 T_ACCEPT_KEY_PORTION };

struct t_refuse {
	const char	*name;
	enum t_refusal	what;
};

static const struct t_refuse t_refusals[] = {
	{ "never mapped", T_NEVER_MAPPED },
	{ "key of another mkey", T_OTHER_MKEY },
	{ "MR of another PD than the QP's", T_OTHER_PD },
	{ "iova + length - 1 wraps", T_WRAPS },
	{ "a new key portion is accepted", T_ACCEPT_KEY_PORTION },
};

KUNIT_ARRAY_PARAM_DESC(t_refuse, t_refusals, name);

static void wqe_refused_at_post(struct kunit *test)
{
	const struct t_refuse *p = test->param_value;
	struct t_env *e = t_env_new(test);
	struct mlx5_ib_mr *mr = t_mr(e, IB_MR_TYPE_INDIRECT, 2);
	struct ib_sge sge[2] = {
		{ T_DMA_BASE, 100, T_DMA_LKEY },
		{ T_DMA_BASE + 4096, 100, T_DMA_LKEY },
	};
	struct ib_reg_wr wr = {
		.wr.opcode = IB_WR_REG_MR,
		.mr = &mr->ibmr,
		.key = T_MKEY,
	};
	const struct ib_send_wr *bad;
	int ret;

	if (p->what != T_NEVER_MAPPED)
		KUNIT_ASSERT_EQ(test, ib_map_mr_sge(&mr->ibmr, sge, 2, 0), 2);
	switch (p->what) {
	case T_OTHER_MKEY:
		wr.key = T_MKEY + 0x100;
		break;
	case T_OTHER_PD:
		mr->ibmr.pd = &e->pd2->ibpd;
		break;
	case T_WRAPS:
		mr->ibmr.iova = U64_MAX - 198;	/* the last byte is U64_MAX + 1 */
		break;
	case T_ACCEPT_KEY_PORTION:
		wr.key = T_MKEY | 0xfe;
		break;
	default:
		break;
	}
	e->dbr[MLX5_SND_DBR] = cpu_to_be32(0x77);
	ret = t_post(e, &wr.wr, &bad);
	if (p->what == T_ACCEPT_KEY_PORTION) {
		KUNIT_EXPECT_EQ(test, ret, 0);
		KUNIT_EXPECT_EQ(test, e->qp->sq.cur_post, 3);
		return;
	}
	KUNIT_EXPECT_EQ(test, ret, -EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, bad, &wr.wr);
	/* nothing the device could see: no WQE, no doorbell */
	KUNIT_EXPECT_EQ(test, e->qp->sq.cur_post, 0);
	KUNIT_EXPECT_EQ(test, e->qp->sq.head, 0);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(e->dbr[MLX5_SND_DBR]), 0x77);
	KUNIT_EXPECT_EQ(test, e->qp->bf.offset, 0);
}

/*
 * A chain whose second REG_MR is refused: the first is posted, and the
 * doorbell names its WQE (the refused one is never begun).
 */
static void wqe_refused_in_chain(struct kunit *test)
{
	struct t_env *e = t_env_new(test);
	struct mlx5_ib_mr *good = t_mr(e, IB_MR_TYPE_INDIRECT, 2);
	struct mlx5_ib_mr *never = t_mr(e, IB_MR_TYPE_INDIRECT, 2);
	struct ib_sge sge = { T_DMA_BASE, 100, T_DMA_LKEY };
	struct ib_reg_wr wr[2] = {
		{ .wr.opcode = IB_WR_REG_MR, .mr = &good->ibmr, .key = T_MKEY },
		{ .wr.opcode = IB_WR_REG_MR, .mr = &never->ibmr, .key = T_MKEY },
	};
	const struct ib_send_wr *bad;

	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(&good->ibmr, &sge, 1, 0), 1);
	wr[0].wr.next = &wr[1].wr;
	KUNIT_EXPECT_EQ(test, t_post(e, &wr[0].wr, &bad), -EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, bad, &wr[1].wr);
	KUNIT_EXPECT_EQ(test, e->qp->sq.cur_post, 3);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(e->dbr[MLX5_SND_DBR]), 3);
	/* the doorbell register got the first 8 bytes of WQE 0 */
	KUNIT_EXPECT_EQ(test, e->bf[0], *(u64 *)e->sq_buf);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(((__be32 *)e->sq_buf)[0]) & 0xff,
			MLX5_OPCODE_UMR);
}

/*
 * REG_MR and LOCAL_INV on a UC or a UD QP, whose send queues build no
 * UMR: refused when posted, with nothing posted and no doorbell; on the
 * RC QP the same LOCAL_INV is posted.  Without the refusal both were
 * posted as WQEs with the UMR opcode and no UMR segments.
 */
static void wqe_umr_refused_on_uc_ud(struct kunit *test)
{
	static const enum ib_qp_type types[] = { IB_QPT_UC, IB_QPT_UD };
	struct t_env *e = t_env_new(test);
	struct mlx5_ib_mr *gaps = t_mr(e, IB_MR_TYPE_SG_GAPS, 8);
	struct mlx5_ib_ah *ah = kunit_kzalloc(test, sizeof(*ah), GFP_KERNEL);
	union {
		struct ib_reg_wr reg;
		struct ib_ud_wr ud;	/* all that the UD path may read */
	} wr;
	const struct ib_send_wr *bad;
	int i, op;

	KUNIT_ASSERT_NOT_NULL(test, ah);
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		e->qp->type = types[i];
		e->qp->ibqp.qp_type = types[i];
		for (op = 0; op < 2; op++) {
			memset(&wr, 0, sizeof(wr));
			if (op == 0) {
				wr.reg.wr.opcode = IB_WR_REG_MR;
				wr.reg.mr = &gaps->ibmr;
				wr.reg.key = T_MKEY;
			} else {
				wr.ud.wr.opcode = IB_WR_LOCAL_INV;
				wr.ud.wr.ex.invalidate_rkey = T_MKEY;
				wr.ud.ah = &ah->ibah;
			}
			e->dbr[MLX5_SND_DBR] = cpu_to_be32(0x77);
			KUNIT_EXPECT_EQ_MSG(test, t_post(e, &wr.reg.wr, &bad),
					    -EINVAL, "%s on a QP of type %d",
					    op ? "LOCAL_INV" : "REG_MR",
					    types[i]);
			KUNIT_EXPECT_PTR_EQ(test, bad, &wr.reg.wr);
			KUNIT_EXPECT_EQ(test, e->qp->sq.cur_post, 0);
			KUNIT_EXPECT_EQ(test, be32_to_cpu(e->dbr[MLX5_SND_DBR]),
					0x77);
			KUNIT_EXPECT_EQ(test, e->qp->bf.offset, 0);
		}
	}

	e->qp->type = IB_QPT_RC;
	e->qp->ibqp.qp_type = IB_QPT_RC;
	memset(&wr, 0, sizeof(wr));
	wr.reg.wr.opcode = IB_WR_LOCAL_INV;
	wr.reg.wr.ex.invalidate_rkey = T_MKEY;
	KUNIT_EXPECT_EQ(test, t_post(e, &wr.reg.wr, &bad), 0);
	KUNIT_EXPECT_GT(test, e->qp->sq.cur_post, 0);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(((__be32 *)e->sq_buf)[0]) & 0xff,
			MLX5_OPCODE_UMR);
}

/*
 * A registration refused for its access flags or IB_SEND_INLINE after
 * one that was posted: the first stays posted and the doorbell register
 * gets its WQE's first 8 bytes, not those of the refused one, which is
 * never begun.  Alone, the refused registration posts nothing.
 */
static void wqe_reg_refused_before_begin(struct kunit *test)
{
	struct t_env *e = t_env_new(test);
	struct mlx5_ib_mr *good = t_mr(e, IB_MR_TYPE_SG_GAPS, 8);
	struct mlx5_ib_mr *other = t_mr(e, IB_MR_TYPE_SG_GAPS, 8);
	struct ib_reg_wr wr[2] = {
		{ .wr.opcode = IB_WR_REG_MR, .mr = &good->ibmr, .key = T_MKEY },
		{ .wr.opcode = IB_WR_REG_MR, .mr = &other->ibmr, .key = T_MKEY },
	};
	const struct ib_send_wr *bad;
	int round, cur;

	for (round = 0; round < 2; round++) {
		if (round == 0) {
			wr[1].wr.send_flags = IB_SEND_INLINE;
		} else {
			/* a right a UMR may not change on this device */
			MLX5_SET(cmd_hca_cap, e->cap->cur, atomic, 1);
			MLX5_SET(cmd_hca_cap, e->cap->cur,
				 umr_modify_atomic_disabled, 1);
			wr[1].wr.send_flags = 0;
			wr[1].access = IB_ACCESS_REMOTE_ATOMIC;
		}
		wr[0].wr.next = &wr[1].wr;
		KUNIT_EXPECT_EQ(test, t_post(e, &wr[0].wr, &bad), -EINVAL);
		KUNIT_EXPECT_PTR_EQ(test, bad, &wr[1].wr);
		cur = e->qp->sq.cur_post;
		KUNIT_EXPECT_GT(test, cur, 0);
		KUNIT_EXPECT_EQ(test, be32_to_cpu(e->dbr[MLX5_SND_DBR]), cur);
		KUNIT_EXPECT_EQ(test, e->bf[0], *(u64 *)e->sq_buf);
		KUNIT_EXPECT_EQ(test,
				be32_to_cpu(((__be32 *)e->sq_buf)[0]) & 0xff,
				MLX5_OPCODE_UMR);

		e->dbr[MLX5_SND_DBR] = cpu_to_be32(0x77);
		KUNIT_EXPECT_EQ(test, t_post(e, &wr[1].wr, &bad), -EINVAL);
		KUNIT_EXPECT_PTR_EQ(test, bad, &wr[1].wr);
		KUNIT_EXPECT_EQ(test, e->qp->sq.cur_post, 0);
		KUNIT_EXPECT_EQ(test, be32_to_cpu(e->dbr[MLX5_SND_DBR]), 0x77);
	}
}

/*
 * Every registration writes the atomic right it grants, so that one
 * without remote atomic after one with it clears the right (rule A3):
 * the UMR's mask selects the bit whether or not it is granted.  Where a
 * UMR may not change it (umr_modify_atomic_disabled), the mask leaves it
 * and a registration asking for atomic is refused.
 */
static const enum ib_mr_type t_atomic_types[] = {
	IB_MR_TYPE_SG_GAPS, IB_MR_TYPE_INDIRECT,
};

static void t_atomic_type_desc(const enum ib_mr_type *t, char *desc)
{
	strscpy(desc, *t == IB_MR_TYPE_INDIRECT ? "indirect" : "sg_gaps",
		KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(t_atomic_types, t_atomic_types, t_atomic_type_desc);

static void wqe_atomic_right_written(struct kunit *test)
{
	const enum ib_mr_type *type = test->param_value;
	struct t_env *e = t_env_new(test);
	struct mlx5_ib_mr *mr = t_mr(e, *type, 8);
	struct ib_sge sge = { T_DMA_BASE + 5, 64, T_DMA_LKEY };
	struct t_umr u;

	if (*type == IB_MR_TYPE_INDIRECT)
		KUNIT_ASSERT_EQ(test, ib_map_mr_sge(&mr->ibmr, &sge, 1, 0x1000),
				1);
	KUNIT_ASSERT_EQ(test, t_reg(e, mr, T_MKEY, IB_ACCESS_REMOTE_ATOMIC |
				    IB_ACCESS_LOCAL_WRITE), 0);
	t_decode(e, &u);
	KUNIT_EXPECT_TRUE(test, u.mkey_mask & MLX5_MKEY_MASK_A);
	KUNIT_EXPECT_EQ(test, u.a, 1);

	KUNIT_ASSERT_EQ(test, t_reg(e, mr, T_MKEY, IB_ACCESS_LOCAL_WRITE), 0);
	t_decode(e, &u);
	KUNIT_EXPECT_TRUE(test, u.mkey_mask & MLX5_MKEY_MASK_A);
	KUNIT_EXPECT_EQ(test, u.a, 0);

	MLX5_SET(cmd_hca_cap, e->cap->cur, atomic, 1);
	MLX5_SET(cmd_hca_cap, e->cap->cur, umr_modify_atomic_disabled, 1);
	KUNIT_ASSERT_EQ(test, t_reg(e, mr, T_MKEY, IB_ACCESS_LOCAL_WRITE), 0);
	t_decode(e, &u);
	KUNIT_EXPECT_FALSE(test, u.mkey_mask & MLX5_MKEY_MASK_A);
	KUNIT_EXPECT_EQ(test, t_reg(e, mr, T_MKEY, IB_ACCESS_REMOTE_ATOMIC),
			-EINVAL);
}

/* SG_GAPS and MEM_REG MRs post what they posted before. */
static void wqe_other_types_unchanged(struct kunit *test)
{
	struct t_env *e = t_env_new(test);
	struct mlx5_ib_mr *gaps = t_mr(e, IB_MR_TYPE_SG_GAPS, 8);
	struct mlx5_ib_mr *frwr = t_mr(e, IB_MR_TYPE_MEM_REG, 12);
	struct scatterlist sg[3];
	struct t_umr u;
	u32 i;

	/* an SG_GAPS MR is not checked by the driver: never mapped posts */
	KUNIT_EXPECT_EQ(test, t_reg(e, gaps, gaps->ibmr.rkey, 0), 0);

	/* a page list: MTT mode, page size, 8-byte MTTs */
	sg_init_table(sg, 3);
	for (i = 0; i < 3; i++) {
		sg_dma_address(&sg[i]) = T_DMA_BASE + 0x10000 * i;
		sg_dma_len(&sg[i]) = 2 * PAGE_SIZE;
	}
	KUNIT_ASSERT_EQ(test, ib_map_mr_sg(&frwr->ibmr, sg, 3, NULL,
					   PAGE_SIZE), 3);
	KUNIT_ASSERT_EQ(test, frwr->mmkey.ndescs, 6);
	KUNIT_ASSERT_EQ(test, t_reg(e, frwr, frwr->ibmr.rkey,
				    IB_ACCESS_REMOTE_READ), 0);
	t_decode(e, &u);
	KUNIT_EXPECT_EQ(test, u.access_mode, MLX5_MKC_ACCESS_MODE_MTT);
	KUNIT_EXPECT_EQ(test, u.log_page_size, PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, u.start, T_DMA_BASE);
	KUNIT_EXPECT_EQ(test, u.len, 6 * PAGE_SIZE);
	/* 6 MTTs of 8 bytes: 64 bytes, 4 octowords, as before */
	KUNIT_EXPECT_EQ(test, u.xlt_octowords, 4);
	KUNIT_EXPECT_EQ(test, u.xlt_size, ALIGN(6, 8) >> 1);
	KUNIT_EXPECT_TRUE(test, u.inl);
	for (i = 0; i < 6; i++)
		KUNIT_EXPECT_EQ(test, be64_to_cpu(((__be64 *)u.klm)[i]),
				(T_DMA_BASE + 0x10000 * (i / 2) +
				 PAGE_SIZE * (i % 2)) | MLX5_EN_RD | MLX5_EN_WR);
}

/* The control segment of the WQE @wqe_bbs basic blocks into the queue. */
static struct mlx5_wqe_ctrl_seg *t_ctrl_at(struct t_env *e, u32 wqe_bbs)
{
	return e->sq_buf + wqe_bbs * MLX5_SEND_WQE_BB;
}

/* Basic blocks of the WQE whose control segment is @ctrl. */
static u32 t_wqe_bbs(const struct mlx5_wqe_ctrl_seg *ctrl)
{
	u32 ds = be32_to_cpu(ctrl->qpn_ds) & MLX5_WQE_CTRL_DS_MASK;

	return DIV_ROUND_UP(ds * MLX5_SEND_WQE_DS, MLX5_SEND_WQE_BB);
}

/*
 * The chain a ULP posts to re-register an indirect MR under a new key:
 * LOCAL_INV of the old key, REG_MR of the new one, then a SEND that uses
 * it.  LOCAL_INV is a UMR that sets only the mkey's free bit; REG_MR
 * carries the device's UMR fence (dev->umr_fence, what
 * mlx5_get_umr_fence() makes of the umr_fence capability; strong
 * ordering here), and the work request after it waits for it
 * (MLX5_FENCE_MODE_INITIATOR_SMALL), so the SEND cannot use the key
 * before the device installed it.
 */
static void wqe_inv_reg_send_chain(struct kunit *test)
{
	struct t_env *e = t_env_new(test);
	struct mlx5_ib_mr *mr = t_mr(e, IB_MR_TYPE_INDIRECT, 2);
	struct ib_sge sge[2] = {
		{ T_DMA_BASE + 3, 100, T_DMA_LKEY },
		{ T_DMA_BASE + 999, 28, T_DMA_LKEY },
	};
	u32 old = mr->ibmr.rkey, new = (old & ~0xffU) | ((old + 1) & 0xff);
	struct ib_send_wr inv = {
		.opcode = IB_WR_LOCAL_INV,
		.ex.invalidate_rkey = old,
	};
	struct ib_reg_wr reg = {
		.wr.opcode = IB_WR_REG_MR,
		.mr = &mr->ibmr,
		.key = new,
		.access = IB_ACCESS_REMOTE_READ,
	};
	struct ib_send_wr send = {
		.opcode = IB_WR_SEND,
		.send_flags = IB_SEND_SIGNALED,
	};
	struct mlx5_wqe_ctrl_seg *c[3];
	struct mlx5_wqe_umr_ctrl_seg *umr;
	const struct ib_send_wr *bad;
	void *mkc;
	u32 at = 0, i;

	e->dev->umr_fence = MLX5_FENCE_MODE_STRONG_ORDERING;
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(&mr->ibmr, sge, 2, 0x1000), 2);
	inv.next = &reg.wr;
	reg.wr.next = &send;
	KUNIT_ASSERT_EQ(test, t_post(e, &inv, &bad), 0);
	for (i = 0; i < 3; i++) {
		c[i] = t_ctrl_at(e, at);
		at += t_wqe_bbs(c[i]);
	}
	/* three WQEs, end to end, and nothing after them */
	KUNIT_EXPECT_EQ(test, e->qp->sq.cur_post, at);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(c[0]->opmod_idx_opcode) & 0xff,
			MLX5_OPCODE_UMR);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(c[1]->opmod_idx_opcode) & 0xff,
			MLX5_OPCODE_UMR);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(c[2]->opmod_idx_opcode) & 0xff,
			MLX5_OPCODE_SEND);

	/* LOCAL_INV: the old key, the free bit and nothing else */
	KUNIT_EXPECT_EQ(test, be32_to_cpu(c[0]->imm), old);
	umr = (void *)(c[0] + 1);
	KUNIT_EXPECT_EQ(test, be64_to_cpu(umr->mkey_mask),
			(u64)MLX5_MKEY_MASK_FREE);
	mkc = umr + 1;
	KUNIT_EXPECT_EQ(test, MLX5_GET(mkc, mkc, free), 1);
	KUNIT_EXPECT_EQ(test, c[0]->fm_ce_se & 0xe0, MLX5_FENCE_MODE_NONE);

	/* REG_MR: the new key, fenced as the device wants UMRs */
	KUNIT_EXPECT_EQ(test, be32_to_cpu(c[1]->imm), new);
	KUNIT_EXPECT_EQ(test, c[1]->fm_ce_se & 0xe0,
			MLX5_FENCE_MODE_STRONG_ORDERING);
	mkc = (struct mlx5_wqe_umr_ctrl_seg *)(c[1] + 1) + 1;
	KUNIT_EXPECT_EQ(test, MLX5_GET(mkc, mkc, free), 0);
	KUNIT_EXPECT_EQ(test, MLX5_GET(mkc, mkc, mkey_7_0), new & 0xff);

	/* the SEND after it waits for the registration */
	KUNIT_EXPECT_EQ(test, c[2]->fm_ce_se & 0xe0,
			MLX5_FENCE_MODE_INITIATOR_SMALL);
}

/*
 * A SEND that invalidates the indirect MR's rkey at the responder (remote
 * invalidation, as iSER and SRP targets ask for): the SEND_INVAL opcode
 * with the rkey in the control segment, then its data segment; the
 * driver treats the key as any rkey.
 */
static void wqe_send_with_inv(struct kunit *test)
{
	struct t_env *e = t_env_new(test);
	struct mlx5_ib_mr *mr = t_mr(e, IB_MR_TYPE_INDIRECT, 2);
	struct ib_sge data = { T_DMA_BASE + 64, 48, T_DMA_LKEY };
	struct ib_send_wr send = {
		.opcode = IB_WR_SEND_WITH_INV,
		.send_flags = IB_SEND_SIGNALED,
		.sg_list = &data,
		.num_sge = 1,
		.ex.invalidate_rkey = mr->ibmr.rkey,
	};
	struct mlx5_wqe_ctrl_seg *c = t_ctrl_at(e, 0);
	struct mlx5_wqe_data_seg *d = (void *)(c + 1);
	const struct ib_send_wr *bad;

	KUNIT_ASSERT_EQ(test, t_post(e, &send, &bad), 0);
	KUNIT_EXPECT_EQ(test, e->qp->sq.cur_post, 1);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(c->opmod_idx_opcode) & 0xff,
			MLX5_OPCODE_SEND_INVAL);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(c->imm), mr->ibmr.rkey);
	/* control and data segment: two 16-byte units */
	KUNIT_EXPECT_EQ(test, be32_to_cpu(c->qpn_ds) & 0x3f, 2);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(c->qpn_ds) >> 8, T_QPN);
	KUNIT_EXPECT_EQ(test, be64_to_cpu(d->addr), data.addr);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(d->byte_count), data.length);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(d->lkey), T_DMA_LKEY);
}

/*
 * A REG_MR whose WQE does not fit before the end of the send queue: the
 * driver continues it at the queue's start, and the device reads it
 * there.  Posted two basic blocks before the end, the WQE of four inline
 * KLMs (three basic blocks) puts its KLMs in block 0; read end to end
 * they are the staged list, and block 1 is untouched.
 */
static void wqe_reg_wraps_queue_edge(struct kunit *test)
{
	struct t_env *e = t_env_new(test);
	struct mlx5_ib_mr *mr = t_mr(e, IB_MR_TYPE_INDIRECT, 4);
	struct mlx5_ib_qp *qp = e->qp;
	u32 n = 1 << T_SQ_LOG, start = n - 2, i;
	u8 *lin = kunit_kzalloc(test, 4 * MLX5_SEND_WQE_BB, GFP_KERNEL);
	struct ib_sge sge[4];
	struct ib_reg_wr wr = {
		.wr.opcode = IB_WR_REG_MR,
		.wr.send_flags = IB_SEND_SIGNALED,
		.mr = &mr->ibmr,
		.key = mr->ibmr.rkey,
		.access = IB_ACCESS_REMOTE_READ,
	};
	const struct ib_send_wr *bad;
	struct t_umr u;
	u8 *bb;

	KUNIT_ASSERT_NOT_NULL(test, lin);
	for (i = 0; i < 4; i++)
		sge[i] = (struct ib_sge){ T_DMA_BASE + 4096 * i + 7, 100 + i,
					  i & 1 ? T_FAST_LKEY : T_DMA_LKEY };
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(&mr->ibmr, sge, 4, 0x2000), 4);
	memset(e->sq_buf, T_STALE, PAGE_SIZE);
	qp->sq.cur_post = start;
	qp->sq.head = 0;
	qp->sq.tail = 0;
	qp->sq.cur_edge = get_sq_edge(&qp->sq, start);
	qp->bf.offset = 0;
	KUNIT_ASSERT_EQ(test, ib_post_send(&qp->ibqp, &wr.wr, &bad), 0);
	KUNIT_EXPECT_EQ(test, qp->sq.cur_post, start + 3);
	/* the two blocks at the end, then block 0 */
	memcpy(lin, e->sq_buf + start * MLX5_SEND_WQE_BB,
	       2 * MLX5_SEND_WQE_BB);
	memcpy(lin + 2 * MLX5_SEND_WQE_BB, e->sq_buf, MLX5_SEND_WQE_BB);
	t_decode_at(e, lin, 3 * MLX5_SEND_WQE_BB, &u);
	KUNIT_EXPECT_EQ(test, u.opcode, MLX5_OPCODE_UMR);
	KUNIT_EXPECT_EQ(test, u.wqe_index, start);
	KUNIT_EXPECT_TRUE(test, u.inl);
	KUNIT_ASSERT_EQ(test, u.nklm, 4);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_EQ(test, be64_to_cpu(u.klm[i].va), sge[i].addr);
		KUNIT_EXPECT_EQ(test, be32_to_cpu(u.klm[i].bcount),
				sge[i].length);
		KUNIT_EXPECT_EQ(test, be32_to_cpu(u.klm[i].key), sge[i].lkey);
	}
	/* block 1 was not written */
	bb = e->sq_buf + MLX5_SEND_WQE_BB;
	for (i = 0; i < MLX5_SEND_WQE_BB; i++)
		KUNIT_EXPECT_EQ_MSG(test, bb[i], T_STALE, "block 1 byte %u", i);
}

/* Who advertises IBK_INDIRECT_REG, and how long a list may be. */
struct t_caps {
	const char	*name;
	bool		imaicl, entity_disabled, indirect_disabled;
	u8		log_max_klm;
	bool		indirect;
	u32		max_len;
};

static const struct t_caps t_capss[] = {
	{ "KLM mkeys, UMR may modify them", 1, 0, 0, 16, 1,
	  MLX5R_UMR_MAX_KLMS },
	{ "short KLM lists", 1, 0, 0, 10, 1, 1024 },
	{ "longer KLM lists than one UMR carries", 1, 0, 0, 20, 1,
	  MLX5R_UMR_MAX_KLMS },
	{ "no indirect mkeys (imaicl)", 0, 0, 0, 16, 0, 0 },
	{ "UMR cannot change the entity size", 1, 1, 0, 16, 0, 0 },
	{ "UMR cannot modify indirect mkeys", 1, 0, 1, 16, 0, 0 },
};

KUNIT_ARRAY_PARAM_DESC(t_caps, t_capss, name);

static void caps_advertised(struct kunit *test)
{
	const struct t_caps *p = test->param_value;
	struct t_env *e = t_env_new(test);
	struct ib_device_attr attr = {};

	KUNIT_EXPECT_EQ(test, MLX5R_UMR_MAX_KLMS, 65532);
	t_cap_set(e, p->imaicl, p->entity_disabled, p->indirect_disabled,
		  p->log_max_klm);
	KUNIT_ASSERT_EQ(test, t_query_device(e, &attr), 0);
	KUNIT_EXPECT_EQ(test, !!(attr.kernel_cap_flags & IBK_INDIRECT_REG),
			p->indirect);
	KUNIT_EXPECT_EQ(test, attr.max_indirect_reg_list_len, p->max_len);
	/* the longest list advertised fits one UMR's 16-bit octoword count */
	KUNIT_EXPECT_LE(test, mlx5r_umr_get_xlt_octo(16ULL *
			attr.max_indirect_reg_list_len), (u64)U16_MAX);
	/* what indirect registration builds on, as 6.12 advertises it */
	KUNIT_EXPECT_EQ(test, !!(attr.kernel_cap_flags & IBK_SG_GAPS_REG),
			p->imaicl);
	KUNIT_EXPECT_EQ(test,
			!!(attr.device_cap_flags & IB_DEVICE_MEM_MGT_EXTENSIONS),
			!p->entity_disabled);
	/* an SG_GAPS MR (max_fast_reg_page_list_len) is capped alike */
	KUNIT_EXPECT_EQ(test, attr.max_fast_reg_page_list_len,
			min_t(u32, 1U << p->log_max_klm, MLX5R_UMR_MAX_KLMS));
}

/* The firmware of alloc_mr_creates_klm_mkey: mlx5_cmd_exec() captured. */
#define T_MKEY_INDEX	0x4321

struct t_fw {
	u32	create_in[MLX5_ST_SZ_DW(create_mkey_in)];
	int	creates;
	int	destroys;
	u32	destroyed_index;
};

static int t_fw_cmd_exec(struct mlx5_core_dev *dev, void *in, int in_size,
			 void *out, int out_size)
{
	struct kunit *test = kunit_get_current_test();
	struct t_fw *fw = ((struct t_env *)test->priv)->fw;

	/* every command input begins with its opcode */
	switch (MLX5_GET(create_mkey_in, in, opcode)) {
	case MLX5_CMD_OP_CREATE_MKEY:
		KUNIT_EXPECT_EQ(test, in_size, sizeof(fw->create_in));
		memcpy(fw->create_in, in, min_t(int, in_size,
						sizeof(fw->create_in)));
		MLX5_SET(create_mkey_out, out, mkey_index, T_MKEY_INDEX);
		fw->creates++;
		return 0;
	case MLX5_CMD_OP_DESTROY_MKEY:
		fw->destroyed_index = MLX5_GET(destroy_mkey_in, in, mkey_index);
		fw->destroys++;
		return 0;
	}
	KUNIT_FAIL(test, "unexpected command %#x",
		   MLX5_GET(create_mkey_in, in, opcode));
	return -EOPNOTSUPP;
}

/*
 * An indirect MR allocated through the driver's alloc_mr operation
 * (mlx5_ib_alloc_mr()), its firmware command captured: CREATE_MKEY of a
 * free KLM-mode mkey that UMR may enable, with the PD, one octoword of
 * translation per KLM the MR can hold (max_num_sg rounded up to 4), no
 * rights beyond local read until a REG_MR sets them, and relaxed ordering
 * where the device offers it; the MR's keys are the mkey the firmware
 * returned.  A REG_MR of it names that mkey, and dereg_mr destroys it.
 */
static void alloc_mr_creates_klm_mkey(struct kunit *test)
{
	struct t_env *e = t_env_new(test);
	struct t_fw *fw = kunit_kzalloc(test, sizeof(*fw), GFP_KERNEL);
	struct ib_device *ibdev = &e->dev->ib_dev;
	struct ib_sge sge[3] = {
		{ T_DMA_BASE + 1, 10, T_DMA_LKEY },
		{ T_FAST_BASE + 2, 20, T_FAST_LKEY },
		{ T_DMA_BASE + 4097, 30, T_DMA_LKEY },
	};
	struct ib_sge full[6];
	struct mlx5_klm klms[6];
	struct t_view *view;
	struct mlx5_ib_mr *mr;
	struct ib_mr *ibmr;
	struct t_umr u;
	void *mkc;
	u32 key, i;

	KUNIT_ASSERT_NOT_NULL(test, fw);
	e->fw = fw;
	for (i = 0; i < ARRAY_SIZE(full); i++) {
		full[i].addr = T_DMA_BASE + 4096 * i + 3;
		full[i].length = 64;
		full[i].lkey = T_DMA_LKEY;
	}
	MLX5_SET(cmd_hca_cap, e->cap->cur, relaxed_ordering_write, 1);
	kunit_activate_static_stub(test, mlx5_cmd_exec, t_fw_cmd_exec);

	ibmr = ibdev->ops.alloc_mr(&e->pd->ibpd, IB_MR_TYPE_INDIRECT, 6);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(ibmr));
	/* what ib_alloc_mr() fills in around the driver */
	ibmr->device = ibdev;
	ibmr->pd = &e->pd->ibpd;
	ibmr->type = IB_MR_TYPE_INDIRECT;
	ibmr->max_num_sg = 6;
	mr = to_mmr(ibmr);
	/* its KLM array, mapped by the driver, as the device reads it */
	view = t_view_new(e, mr);

	KUNIT_EXPECT_EQ(test, fw->creates, 1);
	mkc = MLX5_ADDR_OF(create_mkey_in, fw->create_in,
			   memory_key_mkey_entry);
	KUNIT_EXPECT_EQ(test, MLX5_GET(mkc, mkc, free), 1);
	KUNIT_EXPECT_EQ(test, MLX5_GET(mkc, mkc, umr_en), 1);
	KUNIT_EXPECT_EQ(test, MLX5_GET(mkc, mkc, access_mode_1_0) |
			MLX5_GET(mkc, mkc, access_mode_4_2) << 2,
			MLX5_MKC_ACCESS_MODE_KLMS);
	KUNIT_EXPECT_EQ(test, MLX5_GET(mkc, mkc, translations_octword_size),
			8);
	KUNIT_EXPECT_EQ(test, MLX5_GET(mkc, mkc, pd), e->pd->pdn);
	KUNIT_EXPECT_EQ(test, MLX5_GET(mkc, mkc, qpn), 0xffffff);
	KUNIT_EXPECT_EQ(test, MLX5_GET(mkc, mkc, lr), 1);
	KUNIT_EXPECT_EQ(test, MLX5_GET(mkc, mkc, lw) | MLX5_GET(mkc, mkc, rr) |
			MLX5_GET(mkc, mkc, rw) | MLX5_GET(mkc, mkc, a), 0);
	KUNIT_EXPECT_EQ(test, MLX5_GET(mkc, mkc, relaxed_ordering_write), 1);
	KUNIT_EXPECT_EQ(test, MLX5_GET(mkc, mkc, log_page_size), 0);
	KUNIT_EXPECT_EQ(test, MLX5_GET64(mkc, mkc, start_addr), 0);

	key = mlx5_idx_to_mkey(T_MKEY_INDEX) | MLX5_GET(mkc, mkc, mkey_7_0);
	KUNIT_EXPECT_EQ(test, ibmr->lkey, key);
	KUNIT_EXPECT_EQ(test, ibmr->rkey, key);
	KUNIT_EXPECT_EQ(test, mr->max_descs, 8);
	KUNIT_EXPECT_EQ(test, mr->desc_size, sizeof(struct mlx5_klm));
	KUNIT_EXPECT_EQ(test, mr->access_mode, MLX5_MKC_ACCESS_MODE_KLMS);

	/* registered through the UMR: that mkey, the KLMs inline */
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(ibmr, sge, 3, 0x7000), 3);
	KUNIT_ASSERT_EQ(test, t_reg(e, mr, key, IB_ACCESS_REMOTE_WRITE), 0);
	t_decode(e, &u);
	KUNIT_EXPECT_EQ(test, u.umr_mkey, key);
	KUNIT_EXPECT_EQ(test, u.access_mode, MLX5_MKC_ACCESS_MODE_KLMS);
	KUNIT_EXPECT_EQ(test, u.rw, 1);
	KUNIT_EXPECT_EQ(test, u.start, 0x7000);
	KUNIT_EXPECT_EQ(test, u.len, 60);
	KUNIT_ASSERT_TRUE(test, u.inl);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(u.klm[1].key), T_FAST_LKEY);
	KUNIT_EXPECT_EQ(test, be64_to_cpu(u.klm[1].va), T_FAST_BASE + 2);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(u.klm[1].bcount), 20);

	/* the longest list it takes: the UMR stays within the mkey created */
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(ibmr, full, 6, 0x9000), 6);
	KUNIT_ASSERT_EQ(test, t_reg(e, mr, key, IB_ACCESS_REMOTE_READ), 0);
	t_decode(e, &u);
	KUNIT_EXPECT_FALSE(test, u.inl);
	KUNIT_EXPECT_EQ(test, u.ptr, mr->desc_map);
	KUNIT_EXPECT_EQ(test, view->for_device, 2);
	mlx5_ib_klms_from_sge(klms, full, 6);
	KUNIT_EXPECT_MEMEQ(test, u.klm, klms, sizeof(klms));
	KUNIT_EXPECT_EQ(test, u.len, 6 * 64);
	KUNIT_EXPECT_GE(test, u.xlt_octowords, 6);
	KUNIT_EXPECT_LE(test, u.xlt_octowords,
			MLX5_GET(mkc, mkc, translations_octword_size));
	KUNIT_EXPECT_LE(test, u.xlt_size,
			MLX5_GET(mkc, mkc, translations_octword_size));
	KUNIT_EXPECT_LE(test, u.ptr_bytes, mr->max_descs * mr->desc_size);

	KUNIT_EXPECT_EQ(test, ibdev->ops.dereg_mr(ibmr, NULL), 0);
	view->size = 0;		/* the array is unmapped and freed */
	KUNIT_EXPECT_EQ(test, fw->destroys, 1);
	KUNIT_EXPECT_EQ(test, fw->destroyed_index, T_MKEY_INDEX);
}

/*
 * Where the device's DMA goes through a bouncing swiotlb (a confidential
 * guest, swiotlb=force), one mapping holds at most 256 KiB: 16384 KLMs.
 * The list length advertised stays within it, so that every indirect MR
 * the core lets a ULP allocate can map its KLM array; a shorter limit of
 * the device's own is not raised.
 */
static void caps_clamped_by_dma_mapping(struct kunit *test)
{
#if IS_ENABLED(CONFIG_SWIOTLB)
	struct t_env *e = t_env_new(test);
	struct device *dma = e->dev->mdev->device;
	struct io_tlb_mem *bounce = kunit_kzalloc(test, sizeof(*bounce),
						   GFP_KERNEL);
	struct ib_device_attr attr = {};

	KUNIT_ASSERT_NOT_NULL(test, bounce);
	bounce->nslabs = 1;
	bounce->force_bounce = true;
	dma->dma_io_tlb_mem = bounce;
	KUNIT_ASSERT_EQ(test, dma_max_mapping_size(dma), (size_t)SZ_256K);

	t_cap_set(e, true, false, false, 16);
	KUNIT_ASSERT_EQ(test, t_query_device(e, &attr), 0);
	KUNIT_EXPECT_TRUE(test, attr.kernel_cap_flags & IBK_INDIRECT_REG);
	KUNIT_EXPECT_EQ(test, attr.max_indirect_reg_list_len, 16384);
	/* the MR's KLM array (ALIGN(max_num_sg, 4) KLMs) maps at once */
	KUNIT_EXPECT_LE(test, ALIGN(attr.max_indirect_reg_list_len, 4) *
			sizeof(struct mlx5_klm), dma_max_mapping_size(dma));

	memset(&attr, 0, sizeof(attr));
	t_cap_set(e, true, false, false, 10);
	KUNIT_ASSERT_EQ(test, t_query_device(e, &attr), 0);
	KUNIT_EXPECT_EQ(test, attr.max_indirect_reg_list_len, 1024);

	/* without the bounce buffer, the UMR's limit again */
	dma->dma_io_tlb_mem = NULL;
	memset(&attr, 0, sizeof(attr));
	t_cap_set(e, true, false, false, 16);
	KUNIT_ASSERT_EQ(test, t_query_device(e, &attr), 0);
	KUNIT_EXPECT_EQ(test, attr.max_indirect_reg_list_len,
			MLX5R_UMR_MAX_KLMS);
#else
	kunit_skip(test, "needs CONFIG_SWIOTLB");
#endif
}

/*
 * An SG_GAPS MR of the longest list the device advertises
 * (max_fast_reg_page_list_len), every entry mapped: the UMR carries every
 * KLM.  With the limit 1 << 16 that mkeys of some devices map, the
 * 16-bit octoword count of 65536 KLMs was 0.
 */
static void wqe_sg_gaps_longest_list(struct kunit *test)
{
	struct t_env *e = t_env_new(test);
	u32 n = mlx5r_umr_max_reg_list_len(e->dev->mdev), i;
	struct scatterlist *sg = t_kvzalloc(test, n * sizeof(*sg));
	struct mlx5_ib_mr *mr = t_mr(e, IB_MR_TYPE_SG_GAPS, n);
	struct t_umr u;

	KUNIT_ASSERT_EQ(test, MLX5_CAP_GEN(e->dev->mdev, log_max_klm_list_size),
			16);
	sg_init_table(sg, n);
	for (i = 0; i < n; i++) {
		sg_dma_address(&sg[i]) = T_DMA_BASE + (u64)i * SZ_4K + 512;
		sg_dma_len(&sg[i]) = 512;
	}
	KUNIT_ASSERT_EQ(test, ib_map_mr_sg(&mr->ibmr, sg, n, NULL, PAGE_SIZE),
			n);
	KUNIT_ASSERT_EQ(test, t_reg(e, mr, mr->ibmr.rkey,
				    IB_ACCESS_REMOTE_READ), 0);
	t_decode(e, &u);
	KUNIT_EXPECT_EQ(test, u.access_mode, MLX5_MKC_ACCESS_MODE_KLMS);
	KUNIT_EXPECT_EQ(test, u.xlt_octowords, n);
	KUNIT_EXPECT_EQ(test, u.xlt_size, t_mkey_octowords(mr));
	KUNIT_EXPECT_EQ(test, u.len, (u64)n * 512);
	KUNIT_EXPECT_FALSE(test, u.inl);
	KUNIT_EXPECT_EQ(test, u.ptr, (u64)mr->desc_map);
	KUNIT_EXPECT_EQ(test, be64_to_cpu(u.klm[n - 1].va),
			T_DMA_BASE + (u64)(n - 1) * SZ_4K + 512);
}

static struct kunit_case mlx5_ib_indirect_wqe_cases[] = {
	KUNIT_CASE_PARAM(wqe_fields, t_wqe_gen_params),
	KUNIT_CASE(wqe_iova_at_post),
	KUNIT_CASE_PARAM(wqe_refused_at_post, t_refuse_gen_params),
	KUNIT_CASE(wqe_refused_in_chain),
	KUNIT_CASE(wqe_umr_refused_on_uc_ud),
	KUNIT_CASE(wqe_reg_refused_before_begin),
	KUNIT_CASE_PARAM(wqe_atomic_right_written, t_atomic_types_gen_params),
	KUNIT_CASE(wqe_inv_reg_send_chain),
	KUNIT_CASE(wqe_send_with_inv),
	KUNIT_CASE(wqe_reg_wraps_queue_edge),
	KUNIT_CASE(wqe_other_types_unchanged),
	KUNIT_CASE_PARAM(caps_advertised, t_caps_gen_params),
	KUNIT_CASE(caps_clamped_by_dma_mapping),
	KUNIT_CASE(alloc_mr_creates_klm_mkey),
	KUNIT_CASE(wqe_sg_gaps_longest_list),
	{}
};

static struct kunit_suite mlx5_ib_indirect_wqe_suite = {
	.name = "mlx5_ib_indirect_wqe",
	.test_cases = mlx5_ib_indirect_wqe_cases,
};

kunit_test_suites(&mlx5_ib_indirect_klm_suite, &mlx5_ib_indirect_wqe_suite);

MODULE_DESCRIPTION("KUnit tests of mlx5 indirect memory registration");
MODULE_LICENSE("Dual BSD/GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
