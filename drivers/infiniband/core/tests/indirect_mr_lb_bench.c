// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Benchmarks of indirect memory registration in loopback, not tests.
 * Each prints every run it measured as a "benchdata" line, side by side
 * in one run, and workbench/benchreport.py takes the minimum, median and
 * maximum and the ratios.  Marked slow; 'make bench' runs them, 'make
 * check' does not.
 *
 *   ceiling       memcpy() of the sizes the data path moves
 *   data path     RDMA WRITE, RDMA READ and SEND of N entries of S bytes:
 *                 through fast-registered MRs over page-aligned memory,
 *                 and through one indirect MR over the same bytes moved
 *                 512 bytes on, so that no entry starts on a page
 *   registration  map + REG_MR + LOCAL_INV against the entry count
 */

#include <linux/ktime.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/sizes.h>

#include "indirect_mr_lb.h"

static unsigned int bench_reps = 5;
module_param(bench_reps, uint, 0444);
MODULE_PARM_DESC(bench_reps, "runs of each benchmark figure, 3 to 25 (a ratio needs 3)");

static unsigned int bench_run_ms = 200;
module_param(bench_run_ms, uint, 0444);
MODULE_PARM_DESC(bench_run_ms, "time one run of a data path cell lasts at most (ms, by the guest's clock)");

static unsigned long bench_max_bytes = SZ_64M;
module_param(bench_max_bytes, ulong, 0444);
MODULE_PARM_DESC(bench_max_bytes, "largest operation of the data path benchmark (bytes)");

#define BENCH_MAX_REPS	25
#define BENCH_CHUNK	SZ_4M	/* one kmalloc() buffer */
#define BENCH_FAST	SZ_2M	/* 512 pages: what one fast MR of rxe maps */
#define BENCH_SHIFT	512	/* of the indirect entries from the pages */
#define BENCH_BUDGET	SZ_8M	/* bytes of a run of small operations */
#define BENCH_MAX_SRC	(SZ_64M / BENCH_CHUNK)	/* SGEs of one operation */
#define BENCH_MAX_FAST	34
#define BENCH_LIST	(BENCH_MAX_REPS * 21)

static u32 lb_bench_reps(void)
{
	return clamp(bench_reps, 3U, (unsigned int)BENCH_MAX_REPS);
}

/* @v[0..n) as "a,b,c", in hundredths if @cents */
static const char *lb_bench_list(char *buf, const u64 *v, u32 n, bool cents)
{
	int at = 0;
	u32 i;

	for (i = 0; i < n; i++) {
		at += scnprintf(buf + at, BENCH_LIST - at, "%s%llu", i ? "," : "",
				cents ? v[i] / 100 : v[i]);
		if (cents)
			at += scnprintf(buf + at, BENCH_LIST - at, ".%02llu",
					v[i] % 100);
	}
	return buf;
}

/* MB/s in hundredths */
static u64 lb_bench_rate(u64 bytes, u64 ns)
{
	return ns ? div64_u64(bytes * 100000, ns) : 0;
}

/* The memory of the data path: a source, and target chunks. */
struct lb_bench_mem {
	struct lb_buf	*src;
	struct lb_buf	*chunk[DIV_ROUND_UP(SZ_64M, BENCH_CHUNK - SZ_64K) + 1];
	u32		nchunks;
};

/* One cell of the data path: N entries of S bytes. */
struct lb_bench_cell {
	u32		n, size, per_chunk, ops;
	u64		bytes;
	struct ib_mr	*imr;
	struct ib_mr	*fmr[BENCH_MAX_FAST];
	u32		nfast;
	u64		rate[3][2][BENCH_MAX_REPS];	/* [op][fast, indirect] */
};

static const struct {
	enum ib_wr_opcode	op;
	const char		*name;
} lb_bench_ops[] = {
	{ IB_WR_RDMA_WRITE, "write" },
	{ IB_WR_RDMA_READ, "read" },
	{ IB_WR_SEND, "send" },
};

static u32 lb_bench_per_chunk(u32 size)
{
	return (BENCH_CHUNK - BENCH_SHIFT) / size;
}

static void lb_bench_nice_restore(void *nice)
{
	set_user_nice(current, (long)nice);
}

/*
 * Run the rest of the case at the lowest priority.  rxe does the work in
 * a kworker: on one CPU a poller of the same priority that only offers
 * to reschedule (cond_resched()) may keep it waiting until the next tick,
 * and that wait counted in the figures (registration pairs of 1.3 us
 * measured 5 to 7.7 us in some runs).  Below it, the poller gives way as
 * soon as the kworker is woken.
 */
static void lb_bench_low_priority(struct kunit *test)
{
	long nice = task_nice(current);
	int err;

	set_user_nice(current, MAX_NICE);
	err = kunit_add_action_or_reset(test, lb_bench_nice_restore,
					(void *)nice);
	KUNIT_ASSERT_EQ(test, err, 0);
}

/*
 * One signaled operation of @len bytes from the source (one SGE per
 * BENCH_CHUNK, the source repeated) to @addr of @key, waited for:
 * the RDMA WRITE or READ of (@addr, rkey @key), or a SEND that lands in
 * a receive of (@addr, lkey @key).
 */
static void lb_bench_op(struct lb *lb, struct lb_bench_mem *m,
			enum ib_wr_opcode op, u64 len, u64 addr, u32 key)
{
	struct ib_sge sge[BENCH_MAX_SRC], rsge = { addr, len, key };
	struct ib_recv_wr rwr = { .sg_list = &rsge, .num_sge = 1 };
	struct ib_rdma_wr wr = {
		.wr.opcode = op,
		.wr.sg_list = sge,
		.wr.send_flags = IB_SEND_SIGNALED,
		.remote_addr = addr,
		.rkey = key,
	};
	struct ib_wc wc;
	u64 at;

	for (at = 0; at < len; at += BENCH_CHUNK)
		sge[wr.wr.num_sge++] = (struct ib_sge){
			m->src->dma, min_t(u64, len - at, BENCH_CHUNK),
			lb->pd->local_dma_lkey };
	if (op == IB_WR_SEND)
		KUNIT_ASSERT_EQ(lb->test, ib_post_recv(lb->qp[1], &rwr, NULL),
				0);
	KUNIT_ASSERT_EQ_MSG(lb->test,
			    lb_post_chain(lb->qp[0], lb->scq, &wr.wr, true),
			    IB_WC_SUCCESS, "%s of %llu bytes", op == IB_WR_SEND ?
			    "SEND" : "RDMA", len);
	if (op == IB_WR_SEND) {
		KUNIT_ASSERT_EQ(lb->test, lb_wait_spin(lb, lb->rcq, &wc), 0);
		KUNIT_ASSERT_EQ(lb->test, wc.status, IB_WC_SUCCESS);
	}
}

/*
 * One run of the cell's @op: its rate, MB/s in hundredths.  A run moves
 * the cell's bytes c->ops times, or fewer if bench_run_ms passes first,
 * so that a slow host gives fewer operations per run, not a timeout.
 */
static u64 lb_bench_run(struct lb *lb, struct lb_bench_mem *m,
			struct lb_bench_cell *c, int op, bool indirect)
{
	enum ib_wr_opcode code = lb_bench_ops[op].op;
	ktime_t t0 = ktime_get(), end = ktime_add_ms(t0, bench_run_ms);
	struct ib_mr *mr;
	u32 i, j;

	for (i = 0; i < c->ops && ktime_before(ktime_get(), end); i++) {
		if (indirect) {
			mr = c->imr;
			lb_bench_op(lb, m, code, c->bytes, mr->iova,
				    code == IB_WR_SEND ? mr->lkey : mr->rkey);
			continue;
		}
		for (j = 0; j < c->nfast; j++) {
			mr = c->fmr[j];
			lb_bench_op(lb, m, code, mr->length, mr->iova,
				    code == IB_WR_SEND ? mr->lkey : mr->rkey);
		}
	}
	return lb_bench_rate(c->bytes * i,
			     ktime_to_ns(ktime_sub(ktime_get(), t0)));
}

/*
 * The MRs of a cell: one indirect MR of N entries, entry i in chunk
 * i / per_chunk at BENCH_SHIFT + (i % per_chunk) * S, and over the same
 * bytes of each chunk from its start, fast MRs of at most BENCH_FAST.
 */
static void lb_bench_cell_mrs(struct lb *lb, struct lb_bench_mem *m,
			      struct lb_bench_cell *c)
{
	struct kunit *test = lb->test;
	struct ib_sge *sge = lb_kvcalloc(test, c->n, sizeof(*sge));
	struct scatterlist sg;
	struct lb_buf *b;
	u64 used, off;
	u32 i, len;

	KUNIT_ASSERT_NOT_NULL(test, sge);
	for (i = 0; i < c->n; i++)
		sge[i] = (struct ib_sge){
			m->chunk[i / c->per_chunk]->dma + BENCH_SHIFT +
			(u64)(i % c->per_chunk) * c->size, c->size,
			lb->pd->local_dma_lkey };
	c->imr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, c->n);
	KUNIT_ASSERT_EQ(test, ib_map_mr_sge(c->imr, sge, c->n, 0), c->n);
	KUNIT_ASSERT_EQ(test, lb_reg(lb, c->imr, RW_ACCESS), IB_WC_SUCCESS);

	c->nfast = 0;
	for (i = 0; i < c->n; i += c->per_chunk) {
		b = m->chunk[i / c->per_chunk];
		used = (u64)min(c->per_chunk, c->n - i) * c->size;
		for (off = 0; off < used; off += len) {
			struct ib_mr *mr;

			len = min_t(u64, used - off, BENCH_FAST);
			KUNIT_ASSERT_LT(test, c->nfast, BENCH_MAX_FAST);
			mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_MEM_REG,
					 DIV_ROUND_UP(len, SZ_4K));
			sg_init_one(&sg, b->cpu + off, len);
			sg_dma_address(&sg) = b->dma + off;
			sg_dma_len(&sg) = len;
			KUNIT_ASSERT_EQ(test, ib_map_mr_sg(mr, &sg, 1, NULL, SZ_4K),
					1);
			KUNIT_ASSERT_EQ(test, lb_reg(lb, mr, RW_ACCESS),
					IB_WC_SUCCESS);
			c->fmr[c->nfast++] = mr;
		}
	}
}

static void lb_bench_cell_free(struct lb *lb, struct lb_bench_cell *c)
{
	u32 i;

	for (i = 0; i < c->nfast; i++) {
		lb_forget_mr(lb, c->fmr[i]);
		ib_dereg_mr(c->fmr[i]);
	}
	lb_forget_mr(lb, c->imr);
	ib_dereg_mr(c->imr);
}

/* memcpy() of @bytes from the source to the chunks, as the data path. */
static void lb_bench_ceiling(struct lb *lb, struct lb_bench_mem *m, u64 bytes)
{
	u64 rate[BENCH_MAX_REPS], at, len, ns;
	u32 ops = max_t(u64, 1, BENCH_BUDGET / bytes), r, i;
	char buf[BENCH_LIST];
	ktime_t t0;

	for (r = 0; r < lb_bench_reps(); r++) {
		t0 = ktime_get();
		for (i = 0; i < ops; i++)
			for (at = 0; at < bytes; at += len) {
				len = min_t(u64, bytes - at, BENCH_CHUNK);
				memcpy(m->chunk[at / BENCH_CHUNK]->cpu,
				       m->src->cpu, len);
			}
		ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
		rate[r] = lb_bench_rate(bytes * ops, ns);
	}
	kunit_info(lb->test, "benchdata ceiling bytes=%llu mbps=%s", bytes,
		   lb_bench_list(buf, rate, lb_bench_reps(), true));
}

/*
 * The data path: N = 1, 4, 64, 1024 entries of 512 B, 4 KiB and 64 KiB,
 * one cell per parameter, so that each is bounded by KUnit's timeout on
 * its own and a slow host gives noisier figures, never a timeout.  A
 * fast MR maps at most BENCH_FAST bytes, so the fast side moves a cell
 * of more in one work request per fast MR, as a ULP would; the indirect
 * side moves it in one.  The runs of the two sides and of the three
 * operations alternate, so that noise falls on all of them alike.
 */
static const struct lb_bench_shape {
	u32	n, size;
} lb_bench_shapes[] = {
	{ 1, 512 }, { 4, 512 }, { 64, 512 }, { 1024, 512 },
	{ 1, SZ_4K }, { 4, SZ_4K }, { 64, SZ_4K }, { 1024, SZ_4K },
	{ 1, SZ_64K }, { 4, SZ_64K }, { 64, SZ_64K }, { 1024, SZ_64K },
};

static void lb_bench_shape_desc(const struct lb_bench_shape *t, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u x %u B", t->n, t->size);
}

KUNIT_ARRAY_PARAM(lb_bench_shape, lb_bench_shapes, lb_bench_shape_desc);

static void lb_bench_data_path(struct kunit *test)
{
	const struct lb_bench_shape *t = test->param_value;
	struct lb *lb = test->priv;
	struct lb_bench_cell *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct lb_bench_mem *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	char *fast = kunit_kzalloc(test, 2 * BENCH_LIST, GFP_KERNEL);
	char *ind = fast + BENCH_LIST;
	u32 need, r;
	int op;

	KUNIT_ASSERT_TRUE(test, c && m && fast);
	lb_bench_low_priority(test);
	c->n = t->n;
	c->size = t->size;
	c->bytes = (u64)c->n * c->size;
	/* the source of an operation is one SGE per chunk */
	lb->max_send_sge = min_t(u32, BENCH_MAX_SRC,
				 lb->dev->attrs.max_send_sge);
	if (c->bytes > bench_max_bytes ||
	    DIV_ROUND_UP(c->bytes, BENCH_CHUNK) > lb->max_send_sge) {
		for (op = 0; op < ARRAY_SIZE(lb_bench_ops); op++)
			kunit_info(test, "benchdata rxe op=%s n=%u size=%u bytes=%llu why=more than the %lu bytes this run moves at once (bench_max_bytes)",
				   lb_bench_ops[op].name, c->n, c->size,
				   c->bytes, bench_max_bytes);
		return;
	}
	KUNIT_ASSERT_EQ(test, lb_qp_pair(lb, lb->pd, lb->qp, lb->scq, lb->rcq,
					 LB_SQ_DEPTH), 0);
	c->per_chunk = lb_bench_per_chunk(c->size);
	need = DIV_ROUND_UP(c->n, c->per_chunk);
	KUNIT_ASSERT_LE(test, need, ARRAY_SIZE(m->chunk));
	m->src = lb_buf(lb, BENCH_CHUNK, 0x5a);
	for (m->nchunks = 0; m->nchunks < need; m->nchunks++)
		m->chunk[m->nchunks] = lb_buf(lb, BENCH_CHUNK, 0);

	lb_bench_ceiling(lb, m, c->bytes);
	c->ops = max_t(u64, 1, BENCH_BUDGET / c->bytes);
	lb_bench_cell_mrs(lb, m, c);
	for (r = 0; r < lb_bench_reps(); r++)
		for (op = 0; op < ARRAY_SIZE(lb_bench_ops); op++) {
			c->rate[op][0][r] = lb_bench_run(lb, m, c, op, false);
			c->rate[op][1][r] = lb_bench_run(lb, m, c, op, true);
		}
	for (op = 0; op < ARRAY_SIZE(lb_bench_ops); op++)
		kunit_info(test, "benchdata rxe op=%s n=%u size=%u bytes=%llu fast_wrs=%u fast_mbps=%s indirect_mbps=%s",
			   lb_bench_ops[op].name, c->n, c->size, c->bytes,
			   c->nfast,
			   lb_bench_list(fast, c->rate[op][0], lb_bench_reps(),
					 true),
			   lb_bench_list(ind, c->rate[op][1], lb_bench_reps(),
					 true));
	lb_bench_cell_free(lb, c);
}

#define BENCH_PAIRS	512	/* REG_MR + LOCAL_INV pairs measured */
#define BENCH_BATCH	64	/* pairs posted in one chain */
#define BENCH_MAPS	4096	/* entries mapped per run, at least one map */

/*
 * IB_WR_REG_MR + IB_WR_LOCAL_INV of @mr, BENCH_PAIRS times, each pair with
 * the next key: chains of BENCH_BATCH pairs of which only the last WR is
 * signaled, one wait per chain, polling without sleeping, so that what is
 * measured is the device's work and not the test's waiting.  The time
 * per pair in ns.
 */
static u64 lb_bench_reg_pairs(struct lb *lb, struct ib_mr *mr,
			      struct ib_reg_wr *reg, struct ib_send_wr *inv)
{
	ktime_t t0 = ktime_get();
	int b, i;

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
		KUNIT_ASSERT_EQ_MSG(lb->test,
				    lb_post_chain(lb->qp[1], lb->scq,
						  &reg[0].wr, true), 0,
				    "REG_MR + LOCAL_INV of a %s MR",
				    mr->type == IB_MR_TYPE_INDIRECT ?
				    "indirect" : "fast");
	}
	return div_u64(ktime_to_ns(ktime_sub(ktime_get(), t0)), BENCH_PAIRS);
}

/* Map @mr (N entries or pages) as one run does: the time per map in ns. */
static u64 lb_bench_map(struct lb *lb, struct ib_mr *mr, u32 n,
			struct ib_sge *sge, struct scatterlist *sg)
{
	u32 maps = max_t(u32, 1, BENCH_MAPS / n), i;
	ktime_t t0 = ktime_get();

	for (i = 0; i < maps; i++)
		KUNIT_ASSERT_EQ(lb->test, sge ? ib_map_mr_sge(mr, sge, n, 0) :
				ib_map_mr_sg(mr, sg, 1, NULL, SZ_4K),
				sge ? n : 1);
	return div_u64(ktime_to_ns(ktime_sub(ktime_get(), t0)), maps);
}

/*
 * Registration against entries: ib_map_mr_sge() of 1 to 65536 entries of
 * a 4 KiB buffer and IB_WR_REG_MR + IB_WR_LOCAL_INV of the MR, next to a
 * fast MR of as many pages (up to what the device maps), in the same runs.
 */
static void lb_bench_registration(struct kunit *test)
{
	struct lb *lb = test->priv;
	u32 max = min_t(u32, lb->dev->attrs.max_indirect_reg_list_len, SZ_64K);
	u32 fmax = min_t(u32, lb->dev->attrs.max_fast_reg_page_list_len,
			 BENCH_FAST / SZ_4K);
	struct lb_buf *t = lb_buf(lb, SZ_4K, 0);
	struct lb_buf *f = lb_buf(lb, BENCH_FAST, 0);
	struct ib_sge *sge = lb_kvcalloc(test, max, sizeof(*sge));
	struct ib_reg_wr *reg = kunit_kcalloc(test, BENCH_BATCH, sizeof(*reg),
					      GFP_KERNEL);
	struct ib_send_wr *inv = kunit_kcalloc(test, BENCH_BATCH,
					       sizeof(*inv), GFP_KERNEL);
	/* map, pair of the indirect MR; of the fast MR */
	u64 (*ns)[BENCH_MAX_REPS] = kunit_kcalloc(test, 4, sizeof(*ns),
						  GFP_KERNEL);
	char (*b)[BENCH_LIST] = kunit_kcalloc(test, 4, sizeof(*b), GFP_KERNEL);
	struct scatterlist sg;
	u32 n, j, r;

	KUNIT_ASSERT_TRUE(test, sge && reg && inv && ns && b);
	lb_bench_low_priority(test);
	KUNIT_ASSERT_EQ(test, lb_qp_pair(lb, lb->pd, lb->qp, lb->scq, lb->rcq,
					 2 * BENCH_BATCH), 0);
	for (j = 0; j < max; j++)
		sge[j] = (struct ib_sge){ t->dma + j % 4000, 1 + j % 64,
					  lb->pd->local_dma_lkey };
	for (n = 1; n <= max; n *= 4) {
		struct ib_mr *mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT,
					       n);
		struct ib_mr *fmr = NULL;

		if (n <= fmax) {
			fmr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_MEM_REG, n);
			sg_init_one(&sg, f->cpu, n * SZ_4K);
			sg_dma_address(&sg) = f->dma;
			sg_dma_len(&sg) = n * SZ_4K;
		}
		/* a first map, not counted, warms the lists up */
		lb_bench_map(lb, mr, n, sge, NULL);
		for (r = 0; r < lb_bench_reps(); r++) {
			ns[0][r] = lb_bench_map(lb, mr, n, sge, NULL);
			ns[1][r] = lb_bench_reg_pairs(lb, mr, reg, inv);
			if (!fmr)
				continue;
			ns[2][r] = lb_bench_map(lb, fmr, n, NULL, &sg);
			ns[3][r] = lb_bench_reg_pairs(lb, fmr, reg, inv);
		}
		for (j = 0; j < 4; j++)
			lb_bench_list(b[j], ns[j], lb_bench_reps(), false);
		if (fmr)
			kunit_info(test, "benchdata reg n=%u indirect_map_ns=%s indirect_pair_ns=%s fast_map_ns=%s fast_pair_ns=%s",
				   n, b[0], b[1], b[2], b[3]);
		else
			kunit_info(test, "benchdata reg n=%u indirect_map_ns=%s indirect_pair_ns=%s",
				   n, b[0], b[1]);
		lb_forget_mr(lb, mr);
		ib_dereg_mr(mr);
		if (fmr) {
			lb_forget_mr(lb, fmr);
			ib_dereg_mr(fmr);
		}
	}
}

static struct kunit_case lb_bench_cases[] = {
	KUNIT_CASE_PARAM(lb_bench_data_path, lb_bench_shape_gen_params), /* no rule: benchmark */
	KUNIT_CASE_SLOW(lb_bench_registration),		/* no rule: benchmark */
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
