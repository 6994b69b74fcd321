// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Randomized differential stress of indirect memory registration in
 * loopback.
 *
 * lb_random_ops: random lists (1 to 8 entries, byte offsets, lengths from
 * one byte, entries under the DMA lkey and in a fast MR, overlaps allowed)
 * and random operations through them: RDMA WRITE, READ, fetch-and-add and
 * compare-and-swap through the indirect rkey; SEND into a receive through
 * the indirect lkey, SEND from it, RDMA READ into it and RDMA WRITE from
 * it; accesses one byte out of range through either key.  Every result is
 * compared with a byte-array model of all the memory involved; forbidden
 * accesses must fail with the status the same failure gets on a fast MR
 * (found once per run, see lb_rnd_calibrate()) and change nothing.  An
 * atomic across two entries, or inside one but resolving to an address
 * that is not 8-byte aligned, is a device-defined failure (rule A9):
 * tried on strict devices only.
 * Operation i of seed s is a function of (s, i) alone, so a failure can
 * be replayed from any subset of the operations: the case reduces the
 * failing run to a short sequence and prints it with the module
 * parameters that replay it (random_seed, random_replay).
 *
 * lb_random_concurrent: while a kernel thread invalidates and
 * re-registers, over its own QP pair, the indirect MR and the fast MR
 * that the entries reference, random single-packet WRITEs, READs and
 * fetch-and-adds through the indirect rkey either complete with the
 * model's bytes or fail as through an invalidated fast MR having changed
 * nothing (rules A4 and A6, device-defined: strict devices only).
 */

#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "indirect_mr_lb.h"

static unsigned int random_ops = 200;
module_param(random_ops, uint, 0444);
MODULE_PARM_DESC(random_ops, "operations of the randomized differential case");

static unsigned int random_concurrent_ops = 200;
module_param(random_concurrent_ops, uint, 0444);
MODULE_PARM_DESC(random_concurrent_ops,
		 "operations of the case with concurrent invalidation");

static unsigned int random_seed = 1;
module_param(random_seed, uint, 0444);
MODULE_PARM_DESC(random_seed, "seed of the randomized cases");

static char *random_replay;
module_param(random_replay, charp, 0444);
MODULE_PARM_DESC(random_replay,
		 "comma-separated operation numbers of random_seed to run instead of 0..random_ops-1");

static bool random_model_bug;
module_param(random_model_bug, bool, 0444);
MODULE_PARM_DESC(random_model_bug,
		 "break the model on purpose (a write through a one-byte entry is left out) to watch a failure being reduced");

#define RND_MAX_ENTRIES	8
#define RND_MAX_ENTRY	1500	/* bytes */
#define RND_LIST_EVERY	8	/* operation 8k makes a new list */
#define RND_ONE_PACKET	1024	/* the QPs' path MTU */
#define RND_REDUCE_SECS	60	/* about this long reducing a failure */
#define RND_MAX_SEQ	512	/* longest sequence tried when reducing */

enum lb_op_kind {
	OP_LIST,	/* new random list: invalidate, map, REG_MR */
	OP_WRITE,	/* RDMA WRITE through the rkey */
	OP_READ,	/* RDMA READ through the rkey */
	OP_FADD,	/* fetch-and-add through the rkey */
	OP_CSWP,	/* compare-and-swap through the rkey */
	OP_RECV_INTO,	/* SEND into a receive through the lkey */
	OP_SEND_FROM,	/* SEND gathered through the lkey */
	OP_READ_INTO,	/* RDMA READ landing through the lkey */
	OP_WRITE_FROM,	/* RDMA WRITE gathered through the lkey */
	OP_BEYOND_RKEY,	/* WRITE one byte out of range of the rkey */
	OP_BEYOND_LKEY,	/* receive or send one byte out of range of the lkey */
	OP_KINDS
};

static const char * const lb_op_names[] = {
	"LIST", "WRITE", "READ", "FADD", "CSWP", "RECV_INTO", "SEND_FROM",
	"READ_INTO", "WRITE_FROM", "BEYOND_RKEY", "BEYOND_LKEY",
};

/* How often each data operation is drawn, out of 16. */
static const u8 lb_op_weights[OP_KINDS] = {
	[OP_WRITE] = 3, [OP_READ] = 3, [OP_FADD] = 1, [OP_CSWP] = 1,
	[OP_RECV_INTO] = 2, [OP_SEND_FROM] = 2, [OP_READ_INTO] = 1,
	[OP_WRITE_FROM] = 1, [OP_BEYOND_RKEY] = 1, [OP_BEYOND_LKEY] = 1,
};

/* What a fast MR gets for the failures the operations provoke. */
struct lb_rnd_want {
	int			beyond_write;	/* WRITE one byte past the end */
	int			beyond_recv[2];	/* receive past an lkey: recv, send */
	int			beyond_send[2];	/* SEND from past an lkey: recv, send */
	int			cross;		/* atomic crossing the end */
	int			misaligned;	/* atomic landing misaligned */
	int			freed[3];	/* WRITE, READ, FADD: invalidated */
};

struct lb_rnd {
	struct lb		*lb;
	struct lb_rnd_want	want;
	struct rnd_state	rnd;	/* of the operation being run */
	struct lb_buf		*t;	/* the entries point into t */
	struct lb_buf		*s, *d;	/* sources and sinks */
	struct ib_mr		*mr;	/* indirect */
	struct ib_mr		*frmr;	/* fast MR over t's first page */
	struct ib_mr		*dmr;	/* fast MR over d's first page */
	u8			*model;	/* of t */
	u8			*dmodel; /* of d */
	u32			*map;	/* MR byte -> offset in t */
	u8			*ent;	/* MR byte -> its entry */
	u32			len;	/* of the live list; 0: none */
	u8			kinds;	/* of its entries: 1 DMA lkey, 2 fast MR */
	bool			atomics;	/* the device executes them */
	bool			strict_atomics;	/* those of rule A9 too */
	int			access;	/* of the indirect MR */
	bool			verbose; /* describe each operation */
	unsigned long		deadline; /* of a replay, in jiffies; 0: none */
	char			why[128]; /* the first mismatch */
	u64			checked;
};

static u32 rnd_below(struct lb_rnd *r, u32 n)
{
	return prandom_u32_state(&r->rnd) % n;
}

/* A 64-bit finalizer (splitmix64): nearby inputs, unrelated outputs. */
static u64 lb_mix(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Operation @i of @seed: its kind; its parameters come from r->rnd. */
static enum lb_op_kind lb_op_start(struct lb_rnd *r, u32 seed, u32 i)
{
	u32 w;
	int k;

	prandom_seed_state(&r->rnd, lb_mix((u64)seed << 32 | i));
	if (i % RND_LIST_EVERY == 0)
		return OP_LIST;
	w = rnd_below(r, 16);
	for (k = OP_WRITE; k < OP_KINDS - 1; k++) {
		if (w < lb_op_weights[k])
			break;
		w -= lb_op_weights[k];
	}
	return k;
}

static __printf(2, 3) int lb_rnd_bad(struct lb_rnd *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vscnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return -EIO;
}

static int lb_rnd_status(struct lb_rnd *r, const char *what, int got,
			 int want)
{
	if (lb_as_wanted(got, want))
		return 0;
	return lb_rnd_bad(r, "%s: status %d, expected %d", what, got, want);
}

/* Compare t and d with their models. */
static int lb_rnd_same(struct lb_rnd *r)
{
	size_t i;

	lb_sync(r->lb, r->t);
	lb_sync(r->lb, r->d);
	if (memcmp(r->t->cpu, r->model, LB_MEM))
		for (i = 0; i < LB_MEM; i++)
			if (r->t->cpu[i] != r->model[i])
				return lb_rnd_bad(r, "target byte %zu is %#x, model %#x",
						  i, r->t->cpu[i],
						  r->model[i]);
	if (memcmp(r->d->cpu, r->dmodel, LB_MEM))
		return lb_rnd_bad(r, "sink differs from its model");
	return 0;
}

/* Fill d with @fill in memory and in its model. */
static void lb_rnd_fill_d(struct lb_rnd *r, u8 fill)
{
	memset(r->d->cpu, fill, LB_MEM);
	lb_sync_dev(r->lb, r->d);
	memset(r->dmodel, fill, LB_MEM);
}

/* A new random list, made live through invalidation and REG_MR. */
static int lb_rnd_list(struct lb_rnd *r)
{
	struct lb *lb = r->lb;
	struct ib_sge sge[RND_MAX_ENTRIES];
	u32 n = 1 + rnd_below(r, RND_MAX_ENTRIES), i, j, k = 0;
	u64 iova;
	int status;

	r->kinds = 0;
	for (i = 0; i < n; i++) {
		bool fast = rnd_below(r, 3) == 0;	/* first page of t */
		u32 room = fast ? PAGE_SIZE : LB_MEM;
		u32 len = rnd_below(r, 4) ? 1 + rnd_below(r, RND_MAX_ENTRY) : 1;
		u32 off = rnd_below(r, room - len + 1);

		sge[i].addr = (fast ? r->frmr->iova : r->t->dma) + off;
		sge[i].length = len;
		sge[i].lkey = fast ? r->frmr->lkey : lb->pd->local_dma_lkey;
		r->kinds |= fast ? 2 : 1;
		for (j = 0; j < len; j++, k++) {
			r->map[k] = off + j;
			r->ent[k] = i;
		}
		if (r->verbose)
			kunit_info(lb->test, "  entry %u: %s + %u, %u bytes", i,
				   fast ? "fast MR" : "DMA lkey", off, len);
	}
	iova = (u64)rnd_below(r, 1 << 20) << 12 | rnd_below(r, 4096);
	if (r->mr->need_inval) {
		status = lb_local_inv(lb, r->mr->rkey);
		if (status)
			return lb_rnd_status(r, "LOCAL_INV", status, 0);
		r->mr->need_inval = false;
	}
	r->len = 0;
	ib_update_fast_reg_key(r->mr, ib_inc_rkey(r->mr->rkey));
	if (ib_map_mr_sge(r->mr, sge, n, iova) != n)
		return lb_rnd_bad(r, "ib_map_mr_sge of %u entries failed", n);
	status = lb_reg(lb, r->mr, r->access);
	if (status)
		return lb_rnd_status(r, "REG_MR", status, 0);
	r->mr->need_inval = true;
	r->len = k;
	return 0;
}

/* A failed RC operation leaves the QPs in error: start a new pair. */
static int lb_rnd_failed(struct lb_rnd *r)
{
	return lb_new_qps(r->lb) ? lb_rnd_bad(r, "cannot reconnect") : 0;
}

/* SEND from @ssge to a receive into @rsge; both completion statuses. */
static int lb_rnd_send(struct lb_rnd *r, struct ib_sge *ssge,
		       struct ib_sge *rsge, int *recv_status)
{
	u32 got = 0;
	int status = lb_send_recv(r->lb, ssge, rsge, recv_status, &got);

	if (!*recv_status && got != ssge->length)
		return lb_rnd_bad(r, "received %u bytes of %u", got,
				  ssge->length);
	return status;
}

/* The model of bytes [off, off + len) of the MR written from @src. */
static void lb_rnd_model_write(struct lb_rnd *r, u32 off, u32 len,
			       const u8 *src)
{
	u32 k;

	for (k = 0; k < len; k++) {
		/* the deliberate bug: one-byte entries are forgotten */
		if (random_model_bug &&
		    (off + k == 0 || r->ent[off + k - 1] != r->ent[off + k]) &&
		    (off + k + 1 == r->len ||
		     r->ent[off + k + 1] != r->ent[off + k]))
			continue;
		r->model[r->map[off + k]] = src[k];
	}
}

/* Whether @dst holds the model of bytes [off, off + len) of the MR. */
static bool lb_rnd_gathered(struct lb_rnd *r, const u8 *dst, u32 off,
			    u32 len)
{
	u32 k;

	for (k = 0; k < len; k++)
		if (dst[k] != r->model[r->map[off + k]])
			return false;
	return true;
}

/*
 * A random 8-byte slot of the live list, 8-byte aligned in the MR's
 * address space: its offset in the MR, or -1 if it does not fit.
 */
static s64 lb_rnd_slot(struct lb_rnd *r)
{
	u64 va = (r->mr->iova + rnd_below(r, r->len)) & ~7ULL;
	u32 o = va - r->mr->iova;

	if (va < r->mr->iova || o + 8 > r->len)
		return -1;
	return o;
}

/* Fetch-and-add or compare-and-swap at a random 8-byte slot of the MR. */
static int lb_rnd_atomic(struct lb_rnd *r, enum lb_op_kind kind)
{
	struct lb *lb = r->lb;
	s64 o = lb_rnd_slot(r);
	u64 va = r->mr->iova + o, old = 0, want;
	u64 arg = prandom_u32_state(&r->rnd);
	bool match = rnd_below(r, 2);
	int status;

	if (o < 0 || !r->atomics)
		return 1;		/* nothing to try */
	if ((r->ent[o] != r->ent[o + 7] || (r->map[o] & 7)) &&
	    !r->strict_atomics)
		return 1;		/* device-defined (rule A9) */
	lb_rnd_fill_d(r, 0);
	/* a slot crossing entries may map past the end of t: not read */
	if (r->ent[o] == r->ent[o + 7])
		memcpy(&old, r->model + r->map[o], 8);
	if (r->verbose)
		kunit_info(lb->test, "  %s at MR offset %lld (t + %u)",
			   lb_op_names[kind], o, r->map[o]);
	if (kind == OP_FADD)
		status = lb_atomic(lb, IB_WR_ATOMIC_FETCH_AND_ADD, r->d, va,
				   r->mr->rkey, 0, arg);
	else
		status = lb_atomic(lb, IB_WR_ATOMIC_CMP_AND_SWP, r->d, va,
				   r->mr->rkey, match ? old : ~old, arg);
	/* crossing wins over alignment (rule A9) */
	if (r->ent[o] != r->ent[o + 7]) {	/* crosses two entries */
		return lb_rnd_status(r, "atomic across entries", status,
				     r->want.cross) ?: lb_rnd_failed(r);
	}
	if (r->map[o] & 7)			/* lands unaligned */
		return lb_rnd_status(r, "atomic landing unaligned", status,
				     r->want.misaligned) ?: lb_rnd_failed(r);
	if (status)
		return lb_rnd_status(r, "atomic", status, 0);
	memcpy(r->dmodel, &old, 8);		/* the original value */
	want = kind == OP_FADD ? old + arg : match ? arg : old;
	memcpy(r->model + r->map[o], &want, 8);
	return 0;
}

/*
 * An access from MR offset *@off to one byte past the live list, in one
 * packet (*@off moves up if needed): its length.
 */
static u32 lb_rnd_beyond(struct lb_rnd *r, u32 *off)
{
	u32 len = min(r->len - *off + 1, RND_ONE_PACKET);

	*off = r->len + 1 - len;
	return len;
}

/* One operation of the current seed; 0 if its result matches the model. */
static int lb_rnd_op(struct lb_rnd *r, enum lb_op_kind kind, u32 i)
{
	struct lb *lb = r->lb;
	u32 lkey = lb->pd->local_dma_lkey, off, len, at;
	struct ib_sge ssge, rsge;
	int status, recv, err;

	if (r->verbose)
		kunit_info(lb->test, "operation %u: %s", i, lb_op_names[kind]);
	if (kind == OP_LIST)
		return lb_rnd_list(r);
	if (!r->len)
		return 1;		/* no live list (a replayed subset) */

	off = rnd_below(r, r->len);
	len = 1 + rnd_below(r, min(r->len - off, 4096U));
	at = rnd_below(r, PAGE_SIZE);	/* in s, or in d's first page */
	lb_pattern(lb, r->s, (u8)i);
	lb_sync(lb, r->s);		/* the model reads it */
	if (r->verbose)
		kunit_info(lb->test, "  MR offset %u, %u bytes; other side at %u",
			   off, len, at);

	switch (kind) {
	case OP_WRITE:
		status = lb_rdma(lb, IB_WR_RDMA_WRITE, r->s->dma + at, len, lkey,
				 r->mr->iova + off, r->mr->rkey);
		if (status)
			return lb_rnd_status(r, "WRITE", status, 0);
		lb_rnd_model_write(r, off, len, r->s->cpu + at);
		break;
	case OP_READ:
		lb_rnd_fill_d(r, LB_CANARY);
		status = lb_rdma(lb, IB_WR_RDMA_READ, r->d->dma, len, lkey,
				 r->mr->iova + off, r->mr->rkey);
		if (status)
			return lb_rnd_status(r, "READ", status, 0);
		lb_sync(lb, r->d);
		if (!lb_rnd_gathered(r, r->d->cpu, off, len))
			return lb_rnd_bad(r, "READ returned other bytes");
		memcpy(r->dmodel, r->d->cpu, len);
		break;
	case OP_FADD:
	case OP_CSWP:
		return lb_rnd_atomic(r, kind);
	case OP_RECV_INTO:
		ssge = (struct ib_sge){ r->s->dma + at, len, lkey };
		rsge = (struct ib_sge){ r->mr->iova + off, len, r->mr->lkey };
		status = lb_rnd_send(r, &ssge, &rsge, &recv);
		if (status || recv)
			return lb_rnd_bad(r, "SEND into the lkey: %d, receive %d",
					  status, recv);
		lb_rnd_model_write(r, off, len, r->s->cpu + at);
		break;
	case OP_SEND_FROM:
		lb_rnd_fill_d(r, LB_CANARY);
		ssge = (struct ib_sge){ r->mr->iova + off, len, r->mr->lkey };
		rsge = (struct ib_sge){ r->d->dma, LB_MEM, lkey };
		status = lb_rnd_send(r, &ssge, &rsge, &recv);
		if (status || recv)
			return lb_rnd_bad(r, "SEND from the lkey: %d, receive %d",
					  status, recv);
		lb_sync(lb, r->d);
		if (!lb_rnd_gathered(r, r->d->cpu, off, len))
			return lb_rnd_bad(r, "SEND gathered other bytes");
		memcpy(r->dmodel, r->d->cpu, len);
		break;
	case OP_READ_INTO:
		len = min_t(u32, len, PAGE_SIZE - at);
		lb_pattern(lb, r->d, (u8)i);
		lb_sync(lb, r->d);
		memcpy(r->dmodel, r->d->cpu, LB_MEM);
		status = lb_rdma(lb, IB_WR_RDMA_READ, r->mr->iova + off, len,
				 r->mr->lkey, r->dmr->iova + at, r->dmr->rkey);
		if (status)
			return lb_rnd_status(r, "READ into the lkey", status, 0);
		lb_rnd_model_write(r, off, len, r->d->cpu + at);
		break;
	case OP_WRITE_FROM:
		len = min_t(u32, len, PAGE_SIZE - at);
		lb_rnd_fill_d(r, LB_CANARY);
		status = lb_rdma(lb, IB_WR_RDMA_WRITE, r->mr->iova + off, len,
				 r->mr->lkey, r->dmr->iova + at, r->dmr->rkey);
		if (status)
			return lb_rnd_status(r, "WRITE from the lkey", status, 0);
		lb_sync(lb, r->d);
		if (!lb_rnd_gathered(r, r->d->cpu + at, off, len))
			return lb_rnd_bad(r, "WRITE gathered other bytes");
		memcpy(r->dmodel + at, r->d->cpu + at, len);
		break;
	case OP_BEYOND_RKEY:
		len = lb_rnd_beyond(r, &off);
		status = lb_rdma(lb, IB_WR_RDMA_WRITE, r->s->dma, len, lkey,
				 r->mr->iova + off, r->mr->rkey);
		return lb_rnd_status(r, "WRITE one byte beyond", status,
				     r->want.beyond_write) ?: lb_rnd_failed(r);
	case OP_BEYOND_LKEY:
		len = lb_rnd_beyond(r, &off);
		if (rnd_below(r, 2)) {
			/* the receive fails; so does the send, at the peer */
			ssge = (struct ib_sge){ r->s->dma, len, lkey };
			rsge = (struct ib_sge){ r->mr->iova + off, len,
						r->mr->lkey };
			status = lb_rnd_send(r, &ssge, &rsge, &recv);
			err = lb_rnd_status(r, "receive one byte beyond", recv,
					    r->want.beyond_recv[0]) ?:
			      lb_rnd_status(r, "its SEND", status,
					    r->want.beyond_recv[1]);
		} else {
			/* the send fails locally, and sends nothing */
			ssge = (struct ib_sge){ r->mr->iova + off, len,
						r->mr->lkey };
			rsge = (struct ib_sge){ r->d->dma, LB_MEM, lkey };
			status = lb_rnd_send(r, &ssge, &rsge, &recv);
			err = lb_rnd_status(r, "SEND one byte beyond", status,
					    r->want.beyond_send[1]) ?:
			      lb_rnd_status(r, "its receive", recv,
					    r->want.beyond_send[0]);
		}
		return err ?: lb_rnd_failed(r);
	default:
		return lb_rnd_bad(r, "unknown operation %d", kind);
	}
	return 0;
}

/* Back to the start: t patterned, d zero, no live list, new QPs. */
static int lb_rnd_reset(struct lb_rnd *r)
{
	int err = lb_rnd_failed(r);

	if (err)
		return err;
	if (r->mr->need_inval && lb_local_inv(r->lb, r->mr->rkey))
		return lb_rnd_bad(r, "LOCAL_INV at reset failed");
	r->mr->need_inval = false;
	r->len = 0;
	lb_pattern(r->lb, r->t, 1);
	lb_sync(r->lb, r->t);
	memcpy(r->model, r->t->cpu, LB_MEM);
	lb_rnd_fill_d(r, 0);
	return 0;
}

#define RND_PASSED	-1	/* every operation matched the model */
#define RND_BROKEN	-2	/* the run could not be set up, or ran out of time */

/*
 * Run operations @idx[0..n) of the seed from the start.  Returns the
 * position in @idx of the first operation whose result differs from the
 * model, RND_PASSED or RND_BROKEN; counts the operations checked.
 */
static int lb_rnd_run(struct lb_rnd *r, const u32 *idx, u32 n)
{
	enum lb_op_kind kind;
	u32 p;
	int err;

	if (lb_rnd_reset(r))
		return RND_BROKEN;
	for (p = 0; p < n; p++) {
		if (r->deadline && time_after(jiffies, r->deadline))
			return RND_BROKEN;
		kind = lb_op_start(r, random_seed, idx[p]);
		err = lb_rnd_op(r, kind, idx[p]);
		if (err < 0 || (!err && lb_rnd_same(r)))
			return p;
		if (!err)
			r->checked++;
	}
	return RND_PASSED;
}

/* Whether @idx[0..n) still fails; if so, cut it after the failing one. */
static bool lb_rnd_fails(struct lb_rnd *r, u32 *idx, u32 *n)
{
	int p = lb_rnd_run(r, idx, *n);

	if (p < 0)
		return false;
	*n = p + 1;
	return true;
}

/*
 * Reduce a failing run of operations 0..@fail: first to the last list
 * operation before it and what follows, widened until it fails again,
 * then by removing chunks of halving size (delta debugging), within
 * RND_REDUCE_SECS.  Prints the result with the parameters that replay it.
 */
static void lb_rnd_reduce(struct lb_rnd *r, u32 fail)
{
	struct kunit *test = r->lb->test;
	unsigned long end = jiffies + RND_REDUCE_SECS * HZ;
	u32 *seq, *try, n, tn, chunk, start, groups, i, j;
	char *buf;
	size_t pos = 0;
	bool found = false;

	seq = kunit_kcalloc(test, RND_MAX_SEQ, sizeof(*seq), GFP_KERNEL);
	try = kunit_kcalloc(test, RND_MAX_SEQ, sizeof(*try), GFP_KERNEL);
	buf = kunit_kzalloc(test, 8 * RND_MAX_SEQ, GFP_KERNEL);
	if (!seq || !try || !buf)
		return;
	r->deadline = end;
	/* the failing operation with its last 1, 2, 4, ... list groups */
	for (groups = 1; !found && time_before(jiffies, end); groups *= 2) {
		u32 first = fail - fail % RND_LIST_EVERY;

		first = first > (groups - 1) * RND_LIST_EVERY ?
			first - (groups - 1) * RND_LIST_EVERY : 0;
		if (fail - first + 1 > RND_MAX_SEQ)
			break;
		for (n = 0; first + n <= fail; n++)
			seq[n] = first + n;
		found = lb_rnd_fails(r, seq, &n);
		if (!first)
			break;
	}
	if (!found) {
		r->deadline = 0;
		kunit_info(test, "seed %u: no shorter sequence fails; replay with random_ops=%u",
			   random_seed, fail + 1);
		return;
	}
	for (chunk = n / 2; chunk && time_before(jiffies, end); chunk /= 2) {
		for (start = 0; start + 1 < n && time_before(jiffies, end);) {
			/* never drop the last operation: it is the failing one */
			for (i = 0, tn = 0; i < n; i++)
				if (i < start || i >= start + chunk || i == n - 1)
					try[tn++] = seq[i];
			if (tn < n && lb_rnd_fails(r, try, &tn)) {
				memcpy(seq, try, tn * sizeof(*seq));
				n = tn;
			} else {
				start += chunk;
			}
		}
	}
	for (j = 0; j < n; j++)
		pos += scnprintf(buf + pos, 8 * RND_MAX_SEQ - pos, "%s%u",
				 j ? "," : "", seq[j]);
	kunit_info(test, "seed %u: %u operations reproduce it: random_seed=%u random_replay=%s",
		   random_seed, n, random_seed, buf);
	r->verbose = true;
	r->deadline = 0;
	if (lb_rnd_fails(r, seq, &n))
		kunit_info(test, "replayed: %s", r->why);
	r->verbose = false;
}

/* Parse random_replay into @idx; the number of operations, or 0. */
static u32 lb_rnd_parse(u32 *idx, u32 max)
{
	char *copy = kstrdup(random_replay, GFP_KERNEL), *p = copy, *tok;
	u32 n = 0;

	while (copy && (tok = strsep(&p, ",")) && n < max) {
		if (!*tok)
			continue;
		if (kstrtou32(tok, 0, &idx[n++])) {
			n = 0;
			break;
		}
	}
	kfree(copy);
	return n;
}

/*
 * What the device answers to each failure the operations provoke, found
 * on fast MRs over d: a WRITE, a receive and a SEND one byte past the end
 * of the MR (single packets, as the operations' are), an atomic crossing
 * its end and one landing misaligned, and for the concurrent case a
 * WRITE, a READ and a fetch-and-add through an invalidated fast MR.
 */
static void lb_rnd_calibrate(struct lb_rnd *r)
{
	static const enum ib_wr_opcode freed_ops[] = {
		IB_WR_RDMA_WRITE, IB_WR_RDMA_READ, IB_WR_ATOMIC_FETCH_AND_ADD,
	};
	struct lb *lb = r->lb;
	struct lb_rnd_want *w = &r->want;
	u64 end = r->dmr->iova + r->dmr->length;
	struct ib_sge in = { r->s->dma, 16, lb->pd->local_dma_lkey };
	struct ib_sge past = { end - 15, 16, r->dmr->lkey };
	struct ib_mr *fmr;
	int direct, i;

	w->beyond_write = lb_direct_status(lb, IB_WR_RDMA_WRITE, end - 15, 16,
					   r->dmr->rkey);
	w->beyond_recv[1] = lb_send_recv(lb, &in, &past, &w->beyond_recv[0],
					 NULL);
	KUNIT_ASSERT_NE(lb->test, w->beyond_recv[0], IB_WC_SUCCESS);
	KUNIT_ASSERT_EQ(lb->test, lb_new_qps(lb), 0);
	w->beyond_send[1] = lb_send_recv(lb, &past, &in, &w->beyond_send[0],
					 NULL);
	KUNIT_ASSERT_NE(lb->test, w->beyond_send[1], IB_WC_SUCCESS);
	KUNIT_ASSERT_EQ(lb->test, lb_new_qps(lb), 0);
	if (r->atomics) {
		fmr = lb_fast_mr_at(lb, lb->qp[1], r->d, 512, 12,
				    ATOMIC_ACCESS);
		w->cross = lb_direct_status(lb, IB_WR_ATOMIC_FETCH_AND_ADD,
					    fmr->iova + 8, 8, fmr->rkey);
		w->misaligned = lb_misaligned_atomic_status(lb, &direct);
	}
	fmr = lb_free_fast_mr(lb, r->d);
	for (i = 0; i < ARRAY_SIZE(freed_ops) - !r->atomics; i++)
		w->freed[i] = lb_direct_status(lb, freed_ops[i], fmr->iova, 8,
					       fmr->rkey);
}

/* t, s, d, the model and the MRs: all the randomized cases use. */
static struct lb_rnd *lb_rnd_new(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_rnd *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->lb = lb;
	r->t = lb_buf(lb, LB_MEM, 0);
	r->s = lb_buf(lb, LB_MEM, 0);
	r->d = lb_buf(lb, LB_MEM, 0);
	r->model = kunit_kmalloc(test, LB_MEM, GFP_KERNEL);
	r->dmodel = kunit_kzalloc(test, LB_MEM, GFP_KERNEL);
	r->map = kunit_kcalloc(test, RND_MAX_ENTRIES * RND_MAX_ENTRY,
			       sizeof(u32), GFP_KERNEL);
	r->ent = kunit_kcalloc(test, RND_MAX_ENTRIES * RND_MAX_ENTRY, 1,
			       GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, r->model && r->dmodel && r->map && r->ent);
	r->frmr = lb_fast_mr(lb, r->t, IB_ACCESS_LOCAL_WRITE);
	r->dmr = lb_fast_mr(lb, r->d, IB_ACCESS_LOCAL_WRITE |
			    IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_READ);
	r->mr = lb_alloc_mr(lb, lb->pd, IB_MR_TYPE_INDIRECT, RND_MAX_ENTRIES);
	r->mr->need_inval = false;
	/* the seed draws FADD and CSWP regardless; without atomics they do nothing */
	r->atomics = lb_atomic_checks(lb, "FADD and CSWP operations");
	r->access = r->atomics ? ATOMIC_ACCESS : RW_ACCESS;
	lb_rnd_calibrate(r);
	return r;
}

static void lb_random_ops(struct kunit *test)
{
	struct lb_rnd *r = lb_rnd_new(test);
	u32 *idx, n, i;
	int p;

	r->strict_atomics = lb_strict_checks(r->lb,
					     "A9 (atomics across entries or landing misaligned)");
	if (random_replay) {
		idx = kunit_kcalloc(test, RND_MAX_SEQ, sizeof(*idx), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, idx);
		n = lb_rnd_parse(idx, RND_MAX_SEQ);
		KUNIT_ASSERT_GT_MSG(test, n, 0, "bad random_replay %s",
				    random_replay);
		r->verbose = true;
		p = lb_rnd_run(r, idx, n);
		KUNIT_EXPECT_EQ_MSG(test, p, RND_PASSED, "seed %u, operation %u: %s",
				    random_seed, p < 0 ? 0 : idx[p], r->why);
		return;
	}

	idx = lb_kvcalloc(test, random_ops, sizeof(*idx));
	KUNIT_ASSERT_NOT_NULL(test, idx);
	for (i = 0; i < random_ops; i++)
		idx[i] = i;
	p = lb_rnd_run(r, idx, random_ops);
	KUNIT_ASSERT_NE_MSG(test, p, RND_BROKEN, "seed %u: %s", random_seed,
			    r->why);
	if (p >= 0) {
		KUNIT_FAIL(test, "seed %u, operation %d: %s", random_seed, p,
			   r->why);
		lb_rnd_reduce(r, p);
		return;
	}
	kunit_info(test, "seed %u: %llu random operations checked against the model",
		   random_seed, r->checked);
}

/* The thread that invalidates and re-registers under the operations. */
struct lb_churn {
	struct task_struct	*task;
	struct ib_cq		*cq;
	struct ib_qp		*qp[2];
	struct ib_mr		*mr[2];	/* the indirect MR, a referenced MR */
	int			access[2];
	u64			cycles;
	int			err;
};

/*
 * Invalidate MR @k, keep it invalid for a while, register it again with
 * the same key and list (rule S3), and keep it valid for a while.  A
 * completion in error is -EIO.
 */
static int lb_churn_cycle(struct lb_churn *c, int k)
{
	struct ib_mr *mr = c->mr[k];
	int ret;

	ret = lb_inv_wait(c->qp[1], c->cq, mr->rkey);
	if (ret)
		return ret < 0 ? ret : -EIO;
	usleep_range(200, 2000);
	ret = lb_reg_wait(c->qp[1], c->cq, mr, mr->rkey, c->access[k]);
	if (ret)
		return ret < 0 ? ret : -EIO;
	usleep_range(200, 2000);
	return 0;
}

static int lb_churn_fn(void *arg)
{
	struct lb_churn *c = arg;

	while (!kthread_should_stop()) {
		if (!READ_ONCE(c->err))
			WRITE_ONCE(c->err,
				   lb_churn_cycle(c, c->cycles++ % 3 == 2));
		else
			usleep_range(1000, 2000);
	}
	return 0;
}

/* Stop the thread, then free its QPs and CQ; the MRs stay valid. */
static void lb_churn_quiesce(struct lb *lb)
{
	struct lb_churn *c = lb->quiesce_data;
	int i;

	lb->quiesce = NULL;
	if (!IS_ERR_OR_NULL(c->task))
		kthread_stop(c->task);
	for (i = 0; i < 2; i++)
		if (!IS_ERR_OR_NULL(c->qp[i]))
			ib_destroy_qp(c->qp[i]);
	if (!IS_ERR_OR_NULL(c->cq))
		ib_free_cq(c->cq);
}

/* An 8-byte slot inside one entry, aligned in the MR and in t; or -1. */
static s64 lb_rnd_atomic_slot(struct lb_rnd *r)
{
	int tries;

	for (tries = 0; tries < 16; tries++) {
		s64 o = lb_rnd_slot(r);

		if (o >= 0 && r->ent[o] == r->ent[o + 7] && !(r->map[o] & 7))
			return o;
	}
	return -1;
}

/*
 * While lb_churn_fn() invalidates and re-registers the indirect MR and
 * the fast MR its entries reference, single-packet WRITEs, READs and
 * fetch-and-adds through the rkey either complete with the model's bytes
 * or fail as through an invalidated fast MR having changed nothing, on
 * either side (rules A4 and A6, device-defined).  Both outcomes must
 * occur.
 */
static void lb_random_concurrent(struct kunit *test)
{
	struct lb *lb = test->priv;
	struct lb_churn *c;
	struct lb_rnd *r;
	u32 i, ok = 0, failed = 0;

	lb_require_strict(lb, "A4 and A6 (invalidation under traffic)");
	r = lb_rnd_new(test);
	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	prandom_seed_state(&r->rnd, lb_mix(random_seed));
	KUNIT_ASSERT_EQ(test, lb_rnd_reset(r), 0);
	/* a list with entries under the DMA lkey and in the fast MR */
	do {
		KUNIT_ASSERT_EQ(test, lb_rnd_list(r), 0);
	} while (r->len < 64 || r->kinds != 3);

	c->mr[0] = r->mr;
	c->access[0] = r->access;
	c->mr[1] = r->frmr;
	c->access[1] = IB_ACCESS_LOCAL_WRITE;
	lb->quiesce_data = c;
	lb->quiesce = lb_churn_quiesce;
	c->cq = ib_alloc_cq(lb->dev, NULL, 64, 0, IB_POLL_DIRECT);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c->cq));
	KUNIT_ASSERT_EQ_MSG(test, lb_qp_pair(lb, lb->pd, c->qp, c->cq, c->cq,
					     LB_SQ_DEPTH),
			    0, "cannot connect the second QP pair");
	c->task = kthread_run(lb_churn_fn, c, "lb_churn");
	KUNIT_ASSERT_FALSE(test, IS_ERR(c->task));

	for (i = 0; i < random_concurrent_ops; i++) {
		u32 off = rnd_below(r, r->len);
		u32 len = 1 + rnd_below(r, min(r->len - off, RND_ONE_PACKET));
		u32 kind = rnd_below(r, 8);	/* 0-3 WRITE, 4-6 READ, 7 FADD */
		u64 add = prandom_u32_state(&r->rnd), old;
		s64 slot = kind == 7 ? lb_rnd_atomic_slot(r) : -1;
		int status;

		if (kind == 7 && (slot < 0 || !r->atomics))
			continue;
		lb_pattern(lb, r->s, (u8)i);
		lb_rnd_fill_d(r, LB_CANARY);
		if (kind < 4)
			status = lb_rdma(lb, IB_WR_RDMA_WRITE, r->s->dma, len,
					 lb->pd->local_dma_lkey,
					 r->mr->iova + off, r->mr->rkey);
		else if (kind < 7)
			status = lb_rdma(lb, IB_WR_RDMA_READ, r->d->dma, len,
					 lb->pd->local_dma_lkey,
					 r->mr->iova + off, r->mr->rkey);
		else
			status = lb_atomic(lb, IB_WR_ATOMIC_FETCH_AND_ADD, r->d,
					   r->mr->iova + slot, r->mr->rkey, 0,
					   add);
		lb_sync(lb, r->s);
		lb_sync(lb, r->t);
		lb_sync(lb, r->d);
		if (status == IB_WC_SUCCESS) {
			ok++;
			if (kind < 4) {
				lb_rnd_model_write(r, off, len, r->s->cpu);
			} else if (kind < 7) {
				if (!lb_rnd_gathered(r, r->d->cpu, off, len))
					KUNIT_FAIL(test,
						   "operation %u: READ returned other bytes",
						   i);
			} else {
				memcpy(&old, r->model + r->map[slot], 8);
				if (memcmp(r->d->cpu, &old, 8))
					KUNIT_FAIL(test,
						   "operation %u: FADD returned another value",
						   i);
				old += add;
				memcpy(r->model + r->map[slot], &old, 8);
			}
		} else {
			failed++;
			KUNIT_EXPECT_EQ_MSG(test, status,
					    r->want.freed[kind < 4 ? 0 :
							  kind < 7 ? 1 : 2],
					    "operation %u: not as through an invalidated fast MR",
					    i);
			if (memchr_inv(r->d->cpu, LB_CANARY, LB_MEM))
				KUNIT_FAIL(test,
					   "operation %u: a failed operation wrote its local buffer",
					   i);
			if (lb_new_qps(lb))
				KUNIT_FAIL(test, "cannot reconnect");
		}
		if (memcmp(r->t->cpu, r->model, LB_MEM))
			KUNIT_FAIL(test,
				   "seed %u, operation %u (kind %u, status %d): target differs from the model",
				   random_seed, i, kind, status);
		if (test->status == KUNIT_FAILURE || READ_ONCE(c->err))
			break;
		r->checked++;
	}
	lb_churn_quiesce(lb);
	KUNIT_EXPECT_EQ_MSG(test, c->err, 0, "the invalidating thread failed");
	/* both outcomes happened, so the race was run */
	KUNIT_EXPECT_GT(test, ok, 0);
	KUNIT_EXPECT_GT(test, failed, 0);
	kunit_info(test, "seed %u: %llu operations checked while %llu invalidate/re-register cycles ran: %u completed, %u failed cleanly",
		   random_seed, r->checked, c->cycles, ok, failed);
}

static struct kunit_case lb_stress_cases[] = {
	KUNIT_CASE(lb_random_ops),		/* A1 A5 A7, strict: A9 */
	KUNIT_CASE(lb_random_concurrent),	/* strict: A4 A6 */
	{}
};

static struct kunit_suite lb_stress_suite = {
	.name = "ib_indirect_mr_stress",
	.init = lb_init,
	.exit = lb_exit,
	.test_cases = lb_stress_cases,
};

kunit_test_suite(lb_stress_suite);
