// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * rxe indirect MRs: the reference implementation of
 * Documentation/infiniband/indirect_mr.rst.
 *
 * An indirect MR owns two entry lists.  A map stages entries in a list
 * that is neither live nor in use by an access; IB_WR_REG_MR makes the
 * staged list live; invalidation drops the live list.  An access takes a
 * use count on the live list, resolves every entry it touches to its
 * referenced MR (holding a reference, as a direct lookup does) and checks
 * them all before it moves a byte, so a bad entry fails the access with
 * nothing written.
 */

#include <rdma/restrack.h>

#include "rxe.h"
#include "rxe_loc.h"

struct rxe_ind {
	spinlock_t		lock;		/* staged, live */
	struct rxe_sge_list	*list[2];
	atomic_t		users[2];	/* accesses in flight */
	int			staged;		/* index into list[] */
	int			filling;	/* list a map is writing */
	bool			mapping;	/* a map is writing it */
	int			live;		/* index, or -1 when not VALID */
};

int rxe_ind_mr_init(struct rxe_mr *mr, u32 max_entries)
{
	struct rxe_ind *ind;
	int i;

	ind = kzalloc(sizeof(*ind), GFP_KERNEL);
	if (!ind)
		return -ENOMEM;
	/*
	 * The caller picks the size (up to 1.75 MiB a list) and gets
	 * -ENOMEM if it cannot be had: no allocation-failure splat.
	 */
	for (i = 0; i < 2; i++) {
		ind->list[i] = rxe_sge_list_alloc(max_entries,
						  GFP_KERNEL | __GFP_NOWARN);
		if (!ind->list[i])
			goto err;
		atomic_set(&ind->users[i], 0);
	}
	spin_lock_init(&ind->lock);
	ind->live = -1;
	mr->ind = ind;

	/* As for fast MRs: the REG_MR work request sets the real rights. */
	rxe_mr_init(RXE_ACCESS_REMOTE, mr);
	mr->state = RXE_MR_STATE_FREE;
	return 0;

err:
	rxe_sge_list_free(ind->list[0]);
	kfree(ind);
	return -ENOMEM;
}

void rxe_ind_mr_cleanup(struct rxe_mr *mr)
{
	struct rxe_ind *ind = mr->ind;

	if (!ind)
		return;
	rxe_sge_list_free(ind->list[0]);
	rxe_sge_list_free(ind->list[1]);
	kfree(ind);
	mr->ind = NULL;
}

/* Pairs with the release in rxe_ind_put_live(): reads are done before. */
static bool rxe_ind_list_free(struct rxe_ind *ind, int i)
{
	return i != ind->live && !atomic_read_acquire(&ind->users[i]);
}

/*
 * Pick the list to stage into: the one that is not staged now if it is
 * free, so that the current staged list survives a failed map, else the
 * staged one.  A list that is live or in use by an access is never
 * written.
 */
static int rxe_ind_pick(struct rxe_ind *ind)
{
	unsigned long flags;
	int i;

	spin_lock_irqsave(&ind->lock, flags);
	i = ind->staged ^ 1;
	if (!rxe_ind_list_free(ind, i)) {
		i = ind->staged;
		if (!rxe_ind_list_free(ind, i))
			i = -EBUSY;
	}
	if (ind->mapping)
		i = -EBUSY;		/* maps on one MR must not overlap */
	if (i >= 0) {
		ind->filling = i;
		ind->mapping = true;
	}
	spin_unlock_irqrestore(&ind->lock, flags);
	return i;
}

/* End a map: on success the list it wrote becomes the staged one. */
static void rxe_ind_commit(struct rxe_ind *ind, int i, bool ok)
{
	unsigned long flags;

	spin_lock_irqsave(&ind->lock, flags);
	if (ok)
		ind->staged = i;
	ind->mapping = false;
	spin_unlock_irqrestore(&ind->lock, flags);
}

int rxe_ind_map_mr_sge(struct ib_mr *ibmr, const struct ib_sge *sge,
		       int nents, u64 iova)
{
	struct rxe_mr *mr = to_rmr(ibmr);
	int i, err;

	if (ibmr->type != IB_MR_TYPE_INDIRECT)
		return -EINVAL;
	i = rxe_ind_pick(mr->ind);
	if (i < 0)
		return i;
	err = rxe_sge_list_set(mr->ind->list[i], sge, nents, iova);
	rxe_ind_commit(mr->ind, i, !err);
	return err ?: nents;
}

static int rxe_ind_set_sge(struct ib_mr *ibmr, const struct ib_sge *sge)
{
	struct rxe_ind *ind = to_rmr(ibmr)->ind;

	return rxe_sge_list_add(ind->list[ind->filling], sge);
}

int rxe_ind_map_mr_sg(struct ib_mr *ibmr, struct scatterlist *sgl,
		      int sg_nents, unsigned int *sg_offset)
{
	struct rxe_mr *mr = to_rmr(ibmr);
	struct rxe_ind *ind = mr->ind;
	unsigned int offset = sg_offset ? *sg_offset : 0;
	int i, n;

	if (!sgl || sg_nents < 1 || offset >= sg_dma_len(sgl))
		return -EINVAL;
	/* the first element must fit, or nothing is mapped */
	if (sg_dma_len(sgl) - offset - 1 >
	    U64_MAX - (sg_dma_address(sgl) + offset))
		return -EOVERFLOW;
	i = rxe_ind_pick(ind);
	if (i < 0)
		return i;
	rxe_sge_list_reset(ind->list[i], sg_dma_address(sgl) + offset);
	n = ib_sg_to_sge(ibmr, sgl, sg_nents, sg_offset, rxe_ind_set_sge);
	if (n > 0)
		rxe_sge_list_index(ind->list[i]);
	rxe_ind_commit(ind, i, n > 0);
	return n;
}

/* IB_WR_REG_MR: the staged list becomes live. */
int rxe_ind_reg(struct rxe_mr *mr)
{
	struct rxe_ind *ind = mr->ind;
	unsigned long flags;
	int err = 0;

	spin_lock_irqsave(&ind->lock, flags);
	if (!ind->list[ind->staged]->nents)
		err = -EINVAL;		/* never mapped */
	else if (ind->mapping && ind->filling == ind->staged)
		err = -EBUSY;		/* the list is being rewritten */
	else
		ind->live = ind->staged;
	spin_unlock_irqrestore(&ind->lock, flags);
	return err;
}

void rxe_ind_invalidate(struct rxe_mr *mr)
{
	unsigned long flags;

	spin_lock_irqsave(&mr->ind->lock, flags);
	mr->ind->live = -1;
	spin_unlock_irqrestore(&mr->ind->lock, flags);
}

/* Take the live list for one access; rxe_ind_put_live() ends it. */
static struct rxe_sge_list *rxe_ind_get_live(struct rxe_ind *ind, int *idx)
{
	struct rxe_sge_list *list = NULL;
	unsigned long flags;

	spin_lock_irqsave(&ind->lock, flags);
	*idx = ind->live;
	if (*idx >= 0) {
		atomic_inc(&ind->users[*idx]);
		list = ind->list[*idx];
	}
	spin_unlock_irqrestore(&ind->lock, flags);
	return list;
}

/* Every read of the list happens before a map may see it free. */
static void rxe_ind_put_live(struct rxe_ind *ind, int idx)
{
	atomic_dec_return_release(&ind->users[idx]);
}

int rxe_ind_check_range(struct rxe_mr *mr, u64 iova, u64 length)
{
	struct rxe_sge_list *list;
	int idx, n;

	list = rxe_ind_get_live(mr->ind, &idx);
	if (!list)
		return -EINVAL;
	n = rxe_sge_count(list, iova, length);
	rxe_ind_put_live(mr->ind, idx);
	return n < 0 ? -EINVAL : 0;
}

/* One access: the referenced MR of each touched entry, held, in order. */
struct rxe_ind_access {
	struct rxe_pd		*pd;
	int			access;		/* needed on referenced MRs */
	struct rxe_mr		**refs;
	int			n;		/* resolved */
	int			max;
	int			next;		/* copy cursor */
	void			*addr;
	enum rxe_mr_copy_dir	dir;
};

/*
 * The MR of one segment, held, resolved exactly as a direct local access
 * through its lkey would be: a VALID MR of @pd with @access, covering the
 * segment; and never another indirect MR.  NULL if there is none.
 */
static struct rxe_mr *rxe_ind_lookup(struct rxe_pd *pd, int access,
				     const struct rxe_sge_seg *seg)
{
	struct rxe_mr *ref = lookup_mr(pd, access, seg->lkey, RXE_LOOKUP_LOCAL);

	if (ref && (rxe_mr_is_indirect(ref) ||
		    mr_check_range(ref, seg->addr, seg->len))) {
		rxe_put(ref);
		ref = NULL;
	}
	return ref;
}

static int rxe_ind_resolve(const struct rxe_sge_seg *seg, void *ctx)
{
	struct rxe_ind_access *acc = ctx;
	struct rxe_mr *ref;

	if (acc->n >= acc->max)
		return -EFAULT;
	ref = rxe_ind_lookup(acc->pd, acc->access, seg);
	if (!ref)
		return -EFAULT;
	acc->refs[acc->n++] = ref;
	return 0;
}

static int rxe_ind_copy_seg(const struct rxe_sge_seg *seg, void *ctx)
{
	struct rxe_ind_access *acc = ctx;
	int err;

	err = rxe_mr_copy(acc->refs[acc->next++], seg->addr, acc->addr,
			  seg->len, acc->dir);
	acc->addr += seg->len;
	return err;
}

static void rxe_ind_release(struct rxe_ind_access *acc)
{
	while (acc->n)
		rxe_put(acc->refs[--acc->n]);
}

#define RXE_IND_STACK_REFS	16

/*
 * Copy between @addr and the MR's bytes [iova, iova + length): check the
 * range and resolve every touched entry first, holding each referenced
 * MR, then copy.  One call moves at most one packet's payload.  Returns
 * 0, or -EFAULT with nothing copied, or -ENOMEM if an access touching
 * more than RXE_IND_STACK_REFS entries finds no memory for its table.
 */
int rxe_ind_copy(struct rxe_mr *mr, u64 iova, void *addr,
		 unsigned int length, enum rxe_mr_copy_dir dir)
{
	struct rxe_mr *stack[RXE_IND_STACK_REFS];
	struct rxe_ind_access acc = {
		.pd = mr_pd(mr),
		.access = dir == RXE_TO_MR_OBJ ? IB_ACCESS_LOCAL_WRITE : 0,
		.refs = stack,
		.max = ARRAY_SIZE(stack),
		.addr = addr,
		.dir = dir,
	};
	struct rxe_sge_list *list;
	int idx, n, err;

	list = rxe_ind_get_live(mr->ind, &idx);
	if (!list)
		return -EFAULT;
	n = rxe_sge_count(list, iova, length);
	if (n < 0) {
		err = -EFAULT;
		goto out;
	}
	if (n > acc.max) {
		/* the caller may be atomic; the rkey holder picks n */
		acc.refs = kmalloc_array(n, sizeof(*acc.refs),
					 GFP_NOWAIT | __GFP_NOWARN);
		if (!acc.refs) {
			err = -ENOMEM;
			goto out;
		}
		acc.max = n;
	}

	err = rxe_sge_walk(list, iova, length, rxe_ind_resolve, &acc);
	if (!err)
		err = rxe_sge_walk(list, iova, length, rxe_ind_copy_seg, &acc);
	rxe_ind_release(&acc);
	if (acc.refs != stack)
		kfree(acc.refs);
out:
	rxe_ind_put_live(mr->ind, idx);
	if (err)
		rxe_dbg_mr(mr, "access %#llx+%u through an entry failed: %d\n",
			   iova, length, err);
	return err == -ENOMEM ? err : err ? -EFAULT : 0;
}

/* The one segment of an atomic: its MR, held, and its address there. */
struct rxe_ind_atomic {
	struct rxe_pd	*pd;
	struct rxe_mr	*ref;
	u64		addr;
};

static int rxe_ind_resolve_one(const struct rxe_sge_seg *seg, void *ctx)
{
	struct rxe_ind_atomic *at = ctx;

	if (at->ref)
		return -EFAULT;		/* the 8 bytes span two entries */
	at->ref = rxe_ind_lookup(at->pd, IB_ACCESS_LOCAL_WRITE, seg);
	at->addr = seg->addr;
	return at->ref ? 0 : -EFAULT;
}

/*
 * Resolve the 8 bytes of an atomic at @iova: aligned in the MR's address
 * space and inside one entry; the referenced MR is returned held.
 */
static int rxe_ind_resolve_atomic(struct rxe_mr *mr, u64 iova,
				  struct rxe_mr **ref, u64 *addr)
{
	struct rxe_ind_atomic at = { .pd = mr_pd(mr) };
	struct rxe_sge_list *list;
	int idx, err;

	if (iova & 7)
		return RESPST_ERR_MISALIGNED_ATOMIC;
	list = rxe_ind_get_live(mr->ind, &idx);
	if (!list)
		return RESPST_ERR_RKEY_VIOLATION;
	err = rxe_sge_walk(list, iova, sizeof(u64), rxe_ind_resolve_one, &at);
	rxe_ind_put_live(mr->ind, idx);
	if (err) {
		if (at.ref)
			rxe_put(at.ref);
		return RESPST_ERR_RKEY_VIOLATION;
	}
	*ref = at.ref;
	*addr = at.addr;
	return 0;
}

int rxe_ind_atomic_op(struct rxe_mr *mr, u64 iova, int opcode, u64 compare,
		      u64 swap_add, u64 *orig_val)
{
	struct rxe_mr *ref;
	u64 addr;
	int err;

	err = rxe_ind_resolve_atomic(mr, iova, &ref, &addr);
	if (err)
		return err;
	err = rxe_mr_do_atomic_op(ref, addr, opcode, compare, swap_add,
				  orig_val);
	rxe_put(ref);
	return err;
}

int rxe_ind_atomic_write(struct rxe_mr *mr, u64 iova, u64 value)
{
	struct rxe_mr *ref;
	u64 addr;
	int err;

	err = rxe_ind_resolve_atomic(mr, iova, &ref, &addr);
	if (err)
		return err;
	err = rxe_mr_do_atomic_write(ref, addr, value);
	rxe_put(ref);
	return err;
}

struct rxe_ind_flush_ctx {
	struct rxe_pd	*pd;
	int		access;
	bool		persistent;
};

static int rxe_ind_flush_seg(const struct rxe_sge_seg *seg, void *ctx)
{
	struct rxe_ind_flush_ctx *fc = ctx;
	struct rxe_mr *ref;
	int err = 0;

	ref = rxe_ind_lookup(fc->pd, fc->access, seg);
	if (!ref)
		return -EFAULT;
	if (fc->persistent)
		err = rxe_flush_pmem_iova(ref, seg->addr, seg->len);
	rxe_put(ref);
	return err;
}

/**
 * rxe_ind_flush() - RDMA FLUSH through an indirect MR
 * @mr: the indirect MR
 * @whole: IB_FLUSH_MR: the whole live list, @iova and @length ignored
 * @iova: first byte of an IB_FLUSH_RANGE flush
 * @length: its bytes
 * @type: IB_FLUSH_GLOBAL and/or IB_FLUSH_PERSISTENT
 *
 * Each touched entry is checked as a direct access with the same flush
 * right would be, and for a persistent flush flushed through its
 * referenced MR.
 *
 * Return: 0, or -EFAULT if the range or an entry fails.
 */
int rxe_ind_flush(struct rxe_mr *mr, bool whole, u64 iova, u64 length,
		  u32 type)
{
	struct rxe_ind_flush_ctx fc = {
		.pd = mr_pd(mr),
		.persistent = type & IB_FLUSH_PERSISTENT,
		.access = type & IB_FLUSH_PERSISTENT ?
			  IB_ACCESS_FLUSH_PERSISTENT : IB_ACCESS_FLUSH_GLOBAL,
	};
	struct rxe_sge_list *list;
	int idx, err;

	list = rxe_ind_get_live(mr->ind, &idx);
	if (!list)
		return -EFAULT;
	if (whole) {
		iova = list->iova;
		length = list->length;
	}
	err = rxe_sge_walk(list, iova, length, rxe_ind_flush_seg, &fc);
	rxe_ind_put_live(mr->ind, idx);
	return err ? -EFAULT : 0;
}

/**
 * rxe_fill_res_mr_entry() - Driver attributes of an MR for restrack
 * @msg: the netlink message
 * @ibmr: the MR
 *
 * For an indirect or SG_GAPS MR: its kind, the entries of the live list
 * (0 when the MR is not valid) and of the staged list, as shown by
 * `rdma resource show mr -dd`.
 *
 * Return: 0, or -EMSGSIZE when @msg is full.
 */
int rxe_fill_res_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr)
{
	struct rxe_mr *mr = to_rmr(ibmr);
	struct rxe_ind *ind = mr->ind;
	u32 live, staged;

	struct nlattr *table;
	unsigned long flags;

	if (!rxe_mr_is_indirect(mr))
		return 0;
	spin_lock_irqsave(&ind->lock, flags);
	live = ind->live < 0 ? 0 : ind->list[ind->live]->nents;
	staged = ind->list[ind->staged]->nents;
	spin_unlock_irqrestore(&ind->lock, flags);

	table = nla_nest_start(msg, RDMA_NLDEV_ATTR_DRIVER);
	if (!table)
		return -EMSGSIZE;
	if (rdma_nl_put_driver_string(msg, "kind",
				      ibmr->type == IB_MR_TYPE_INDIRECT ?
				      "indirect" : "sg_gaps") ||
	    rdma_nl_put_driver_u32(msg, "entries", live) ||
	    rdma_nl_put_driver_u32(msg, "staged_entries", staged) ||
	    rdma_nl_put_driver_u32(msg, "max_entries", ind->list[0]->max)) {
		nla_nest_cancel(msg, table);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, table);
	return 0;
}
