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
 *          rxe task it runs; the script checks that it was used.
 *
 * Run without that set-up, the nth_* cases fail: they check that the
 * failures they expect were injected.
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

#define FAULT_ENTRIES	40

/*
 * An RDMA WRITE of one packet through 40 entries that name in turn
 * LB_SPREAD distinct fast MRs, more than rxe holds references to on its
 * stack, while the table for them cannot be allocated: the responder
 * answers with an RNR NAK, the requester retries (rnr_retry 7: without
 * end) and the write completes with the model's bytes.  The script checks
 * that the armed failure was used.  Specific to rxe.
 */
static void armed_copy_table(struct kunit *test)
{
	struct lb *lb = test->priv;
	u32 (*pieces)[2], len = 0;
	struct lb_buf *t, *s;
	struct ib_mr *mr;
	int i;

	if (lb->dev->ops.driver_id != RDMA_DRIVER_RXE)
		kunit_skip(test, "rxe's per-packet table; %s is not rxe",
			   dev_name(&lb->dev->dev));
	t = lb_buf(lb, LB_MEM, LB_CANARY);
	s = lb_buf(lb, LB_MEM, 0);
	pieces = kunit_kcalloc(test, FAULT_ENTRIES, sizeof(*pieces),
			       GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pieces);
	for (i = 0; i < FAULT_ENTRIES; i++) {
		pieces[i][0] = 100 * i + i % 7;
		pieces[i][1] = 1 + i % 23;
		len += pieces[i][1];
	}
	KUNIT_ASSERT_LE(test, len, 1024);	/* one packet at MTU 1024 */
	mr = lb_indirect_spread(lb, t, (const u32 (*)[2])pieces,
				FAULT_ENTRIES);
	lb_expect_write_lands(lb, t, s, 9, mr->iova, mr->rkey, 0, len,
			      (const u32 (*)[2])pieces, FAULT_ENTRIES,
			      "target after the retried write");
}

static struct kunit_case lb_fault_cases[] = {
	KUNIT_CASE_PARAM(nth_alloc_mr, lb_fault_alloc_gen_params), /* no rule */
	KUNIT_CASE(nth_map_allocates_nothing),	/* S5 */
	KUNIT_CASE(armed_copy_table),		/* no rule: rxe's table */
	{}
};

static struct kunit_suite lb_fault_suite = {
	.name = "ib_indirect_mr_fault",
	.init = lb_init,
	.exit = lb_exit,
	.test_cases = lb_fault_cases,
};

kunit_test_suite(lb_fault_suite);
