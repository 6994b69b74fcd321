// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * White-box KUnit tests of rxe's indirect MRs: what the loopback suite
 * cannot see through completions.  rxe's completer reports every send
 * work request that failed locally as IB_WC_WR_FLUSH_ERR, so the errno a
 * bad entry gives the requester's gather (copy_data()) is checked here,
 * against the same bad lkey in a direct SGE.
 *
 * Load after the device exists, e.g. after
 * 'rdma link add rxe0 type rxe netdev dummy0':
 * 'modprobe rxe_indirect_test ibdev=rxe0'.
 */

#include <kunit/test.h>
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

/* copy_data() of the whole buffer through one SGE naming @lkey. */
static int rxe_it_gather(struct rxe_it *t, u64 addr, u32 lkey)
{
	struct rxe_dma_info *dma = t->dma;

	dma->length = RXE_IT_LEN;
	dma->resid = RXE_IT_LEN;
	dma->num_sge = 1;
	dma->cur_sge = 0;
	dma->sge_offset = 0;
	dma->sge[0].addr = addr;
	dma->sge[0].length = RXE_IT_LEN;
	dma->sge[0].lkey = lkey;
	return copy_data(to_rpd(t->pd), 0, dma, t->out, RXE_IT_LEN,
			 RXE_FROM_MR_OBJ);
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
 * The requester's gather through an entry whose lkey names no MR fails
 * with the errno of the same lkey in a direct SGE (-EINVAL, which the
 * requester reports as IB_WC_LOC_QP_OP_ERR), not with that of an
 * access outside an MR (-EFAULT, IB_WC_LOC_PROT_ERR).
 */
static void rxe_ind_bad_lkey_like_direct(struct kunit *test)
{
	struct rxe_it *t = test->priv;
	u64 addr = (uintptr_t)t->buf;
	u32 bad = t->pd->local_dma_lkey ^ 0xffff00;
	struct ib_mr *mr = rxe_it_indirect(test, addr, bad);
	int direct, indirect;

	direct = rxe_it_gather(t, addr, bad);
	indirect = rxe_it_gather(t, 0x10000, mr->lkey);
	KUNIT_EXPECT_EQ(test, direct, -EINVAL);
	KUNIT_EXPECT_EQ(test, indirect, direct);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
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
	/* one byte past the MR: an access outside an MR */
	KUNIT_EXPECT_EQ(test, rxe_it_gather(t, 0x10001, mr->lkey), -EFAULT);
	KUNIT_EXPECT_EQ(test, ib_dereg_mr(mr), 0);
}

static struct kunit_case rxe_indirect_cases[] = {
	KUNIT_CASE(rxe_ind_good_entry_gathers),
	KUNIT_CASE(rxe_ind_bad_lkey_like_direct),
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
