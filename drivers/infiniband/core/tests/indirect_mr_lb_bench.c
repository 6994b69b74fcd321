// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Benchmarks of indirect memory registration in loopback, not tests:
 * each reports what it measured, side by side in one run.  Marked slow;
 * 'make bench' runs them, 'make check' does not.
 */

#include <linux/ktime.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>

#include "indirect_mr_lb.h"

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

#define BENCH_PAIRS	512	/* REG_MR + LOCAL_INV pairs measured */
#define BENCH_BATCH	64	/* pairs posted in one chain */

/*
 * IB_WR_REG_MR + IB_WR_LOCAL_INV of @mr, BENCH_PAIRS times, each pair with
 * the next key: chains of BENCH_BATCH pairs of which only the last WR is
 * signaled, one wait per chain, polling without sleeping, so that what is
 * measured is the device's work and not the test's waiting.  The total
 * time in ns, or 0 (reported) if a work request failed.
 */
static u64 lb_bench_reg_pairs(struct lb *lb, struct ib_mr *mr,
			      struct ib_reg_wr *reg, struct ib_send_wr *inv)
{
	ktime_t t0 = ktime_get();
	int b, i, ret;

	for (b = 0; b < BENCH_PAIRS / BENCH_BATCH; b++) {
		for (i = 0; i < BENCH_BATCH; i++) {
			ib_update_fast_reg_key(mr, ib_inc_rkey(mr->rkey));
			reg[i] = (struct ib_reg_wr){
				.wr.opcode = IB_WR_REG_MR,
				.wr.next = &inv[i],
				.mr = mr,
				.key = mr->rkey,
				.access = RW_ACCESS,
			};
			inv[i] = (struct ib_send_wr){
				.opcode = IB_WR_LOCAL_INV,
				.ex.invalidate_rkey = mr->rkey,
				.next = i + 1 < BENCH_BATCH ? &reg[i + 1].wr :
					NULL,
			};
		}
		inv[BENCH_BATCH - 1].send_flags = IB_SEND_SIGNALED;
		ret = lb_post_chain(lb->qp[1], lb->scq, &reg[0].wr, true);
		if (ret) {
			KUNIT_FAIL(lb->test, "REG_MR + LOCAL_INV of a %s MR: %d",
				   mr->type == IB_MR_TYPE_INDIRECT ?
				   "indirect" : "fast", ret);
			return 0;
		}
	}
	return ktime_to_ns(ktime_sub(ktime_get(), t0));
}

/*
 * Registration against entries: ib_map_mr_sge() of 1 to 65536 entries of
 * a 4 KiB buffer, and IB_WR_REG_MR + IB_WR_LOCAL_INV of the MR, next to
 * the same pair for a fast MR over that buffer's page, in the same run.
 */
static void lb_bench_registration(struct kunit *test)
{
	static const u32 sizes[] = { 1, 16, 256, 4096, 65536 };
	struct lb *lb = test->priv;
	u32 max = min(lb->dev->attrs.max_indirect_reg_list_len, 65536U);
	struct lb_buf *t = lb_buf(lb, SZ_4K, 0);
	struct ib_sge *sge = lb_kvcalloc(test, max, sizeof(*sge));
	struct ib_reg_wr *reg = kunit_kcalloc(test, BENCH_BATCH, sizeof(*reg),
					      GFP_KERNEL);
	struct ib_send_wr *inv = kunit_kcalloc(test, BENCH_BATCH,
					       sizeof(*inv), GFP_KERNEL);
	struct ib_mr *fmr;
	u32 i, j;

	KUNIT_ASSERT_TRUE(test, sge && reg && inv);
	KUNIT_ASSERT_EQ(test, lb_qp_pair(lb, lb->pd, lb->qp, lb->scq, lb->rcq,
					 2 * BENCH_BATCH), 0);
	fmr = lb_fast_mr(lb, t, RW_ACCESS);
	KUNIT_ASSERT_EQ(test, lb_local_inv(lb, fmr->rkey), IB_WC_SUCCESS);
	for (j = 0; j < max; j++)
		sge[j] = (struct ib_sge){ t->dma + j % 4000, 1 + j % 64,
					  lb->pd->local_dma_lkey };
	for (i = 0; i < ARRAY_SIZE(sizes) && sizes[i] <= max; i++) {
		struct ib_mr *mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT,
					       sizes[i]);
		u64 map_ns = 0, reg_ns, fast_ns;
		ktime_t t0;
		int r;

		/* a first map, not counted, warms the lists up */
		KUNIT_ASSERT_EQ(test, ib_map_mr_sge(mr, sge, sizes[i], 0),
				sizes[i]);
		for (r = 0; r < BENCH_ROUNDS; r++) {
			t0 = ktime_get();
			if (ib_map_mr_sge(mr, sge, sizes[i], 0) != sizes[i])
				break;
			map_ns += ktime_to_ns(ktime_sub(ktime_get(), t0));
		}
		if (r < BENCH_ROUNDS) {
			KUNIT_FAIL(test, "map of %u entries failed", sizes[i]);
			break;
		}
		reg_ns = lb_bench_reg_pairs(lb, mr, reg, inv);
		fast_ns = lb_bench_reg_pairs(lb, fmr, reg, inv);
		if (!reg_ns || !fast_ns)
			break;
		map_ns /= BENCH_ROUNDS;
		reg_ns /= BENCH_PAIRS;
		fast_ns /= BENCH_PAIRS;
		kunit_info(test, "bench registration: %u entries: map %llu us (%llu ns per entry), REG_MR + LOCAL_INV %llu.%llu us per pair (fast MR: %llu.%llu us per pair)",
			   sizes[i], map_ns / 1000, map_ns / sizes[i],
			   reg_ns / 1000, reg_ns % 1000 / 100,
			   fast_ns / 1000, fast_ns % 1000 / 100);
		lb_forget_mr(lb, mr);
		ib_dereg_mr(mr);
	}
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

kunit_test_suite(lb_bench_suite);
