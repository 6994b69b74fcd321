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
 *
 * A failure returns the errno the same fault gets on a direct MR, so that
 * every caller maps it to the status it gives a direct access.  On rxe
 * that is -EINVAL for each of them: an access outside the indirect MR and
 * an entry whose part lies outside its referenced MR fail as
 * mr_check_range() fails, an entry whose lkey names no usable MR as
 * copy_data() fails when lookup_mr() finds none.
 */

#include <kunit/visibility.h>
#include <rdma/ib_sge_walk.h>
#include <rdma/restrack.h>

#include "rxe.h"
#include "rxe_loc.h"

/*
 * The lock covers the list bookkeeping: @staged, @filling, @mapping,
 * @live, @live_iova and the published @nents of each list.  The entries
 * of a list are written only by the one map that picked it, outside the
 * lock, while the list is neither staged for a REG_MR in progress, nor
 * live, nor read by an access (@users); rxe_ind_commit() publishes them
 * under the lock.  Readers other than accesses (REG_MR, restrack) use the
 * published counts, and REG_MR reads no field of a list a map is
 * writing.  An access takes no lock: it reads @live and @live_iova under
 * @live_seq, which their writers bump under the lock, and counts itself
 * in @users before it checks that they did not change.
 */
struct rxe_ind {
	spinlock_t		lock;		/* see above */
	seqcount_spinlock_t	live_seq;	/* @live, @live_iova */
	struct ib_sge_list	*list[2];
	atomic_t		users[2];	/* accesses in flight */
	u32			nents[2];	/* published entry counts */
	int			staged;		/* index into list[] */
	int			filling;	/* list a map is writing */
	bool			mapping;	/* a map is writing it */
	bool			untouched;	/* ... but has not written yet */
	int			live;		/* index, or -1 when not VALID */
	u64			live_iova;	/* taken by IB_WR_REG_MR */
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
		ind->list[i] = ib_sge_list_alloc(max_entries,
						 GFP_KERNEL | __GFP_NOWARN);
		if (!ind->list[i])
			goto err;
		atomic_set(&ind->users[i], 0);
	}
	spin_lock_init(&ind->lock);
	seqcount_spinlock_init(&ind->live_seq, &ind->lock);
	ind->live = -1;
	mr->ind = ind;

	/* As for fast MRs: the REG_MR work request sets the real rights. */
	rxe_mr_init(RXE_ACCESS_REMOTE, mr);
	mr->state = RXE_MR_STATE_FREE;
	return 0;

err:
	ib_sge_list_free(ind->list[0]);
	kfree(ind);
	return -ENOMEM;
}

void rxe_ind_mr_cleanup(struct rxe_mr *mr)
{
	struct rxe_ind *ind = mr->ind;

	if (!ind)
		return;
	ib_sge_list_free(ind->list[0]);
	ib_sge_list_free(ind->list[1]);
	kfree(ind);
	mr->ind = NULL;
}

/*
 * Under the lock.  The full barrier orders the bump of @live_seq that
 * took list @i out of use before the read of its users, as the access
 * orders its count before its check of @live_seq (rxe_ind_get_live()):
 * either the access sees the bump and backs off, or the map sees it
 * counted.  The acquire pairs with the release in rxe_ind_put_live():
 * the reads of a finished access are done before a map writes.
 */
static bool rxe_ind_list_free(struct rxe_ind *ind, int i)
{
	/* the bump of @live_seq before the read of @users: see above */
	smp_mb();
	return i != ind->live && !atomic_read_acquire(&ind->users[i]);
}

/* Under the lock: make list @live (-1: none) live at @iova. */
static void rxe_ind_set_live(struct rxe_ind *ind, int live, u64 iova)
{
	write_seqcount_begin(&ind->live_seq);
	ind->live = live;
	ind->live_iova = iova;
	write_seqcount_end(&ind->live_seq);
}

/*
 * Pick the list to stage into: the one that is not staged now if it is
 * free, so that the current staged list survives a failed map, else the
 * staged one.  A list that is live or in use by an access is never
 * written.  rxe_ind_commit() ends the map.  (Visible to KUnit, which
 * holds a map in progress with the two.)
 */
VISIBLE_IF_KUNIT int rxe_ind_pick(struct rxe_ind *ind)
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
		ind->untouched = true;
	}
	spin_unlock_irqrestore(&ind->lock, flags);
	return i;
}
EXPORT_SYMBOL_IF_KUNIT(rxe_ind_pick);

/*
 * End a map: on success the list it wrote becomes the staged one.  A map
 * that failed before writing leaves the staged list as it was; one that
 * failed later (not reachable with the core's checks) took it.
 */
VISIBLE_IF_KUNIT void rxe_ind_commit(struct rxe_ind *ind, int i, bool ok)
{
	unsigned long flags;

	spin_lock_irqsave(&ind->lock, flags);
	if (ok) {
		ind->staged = i;
		ind->nents[i] = ind->list[i]->nents;
	} else if (!ind->untouched) {
		ind->nents[i] = 0;
	}
	ind->mapping = false;
	spin_unlock_irqrestore(&ind->lock, flags);
}
EXPORT_SYMBOL_IF_KUNIT(rxe_ind_commit);

/* The core has validated the list (ib_map_mr_sge()). */
int rxe_ind_map_mr_sge(struct ib_mr *ibmr, const struct ib_sge *sge,
		       int nents, u64 iova)
{
	struct rxe_ind *ind = to_rmr(ibmr)->ind;
	int i, err;

	i = rxe_ind_pick(ind);
	if (i < 0)
		return i;
	ind->untouched = false;
	err = ib_sge_list_set(ind->list[i], sge, nents);
	rxe_ind_commit(ind, i, !err);
	return err ?: nents;
}

/* ib_sg_to_sge() calls this only with entries it has checked. */
static int rxe_ind_set_sge(struct ib_mr *ibmr, const struct ib_sge *sge)
{
	struct rxe_ind *ind = to_rmr(ibmr)->ind;

	if (ind->untouched) {
		ib_sge_list_reset(ind->list[ind->filling]);
		ind->untouched = false;
	}
	return ib_sge_list_add(ind->list[ind->filling], sge);
}

int rxe_ind_map_mr_sg(struct ib_mr *ibmr, struct scatterlist *sgl,
		      int sg_nents, unsigned int *sg_offset)
{
	struct rxe_ind *ind = to_rmr(ibmr)->ind;
	int i, n;

	i = rxe_ind_pick(ind);
	if (i < 0)
		return i;
	n = ib_sg_to_sge(ibmr, sgl, sg_nents, sg_offset, rxe_ind_set_sge);
	if (n > 0)
		ib_sge_list_index(ind->list[i]);
	rxe_ind_commit(ind, i, n > 0);
	return n;
}

/*
 * IB_WR_REG_MR: the staged list becomes live at the iova the MR has now,
 * as for a fast MR (a ULP may rewrite mr->iova between the map and the
 * REG_MR, as xprtrdma does).  Return: 0, or -EINVAL with nothing changed
 * if the MR was never mapped or its range would wrap, -EBUSY if the
 * staged list is being rewritten.
 */
int rxe_ind_reg(struct rxe_mr *mr)
{
	struct rxe_ind *ind = mr->ind;
	u64 iova = mr->ibmr.iova;
	unsigned long flags;
	int err = 0;

	spin_lock_irqsave(&ind->lock, flags);
	if (ind->mapping && ind->filling == ind->staged)
		err = -EBUSY;		/* the list is being rewritten */
	else if (!ind->nents[ind->staged])
		err = -EINVAL;		/* never mapped */
	else if (ind->list[ind->staged]->length - 1 > U64_MAX - iova)
		err = -EINVAL;		/* the last byte would wrap */
	if (!err)
		rxe_ind_set_live(ind, ind->staged, iova);
	spin_unlock_irqrestore(&ind->lock, flags);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(rxe_ind_reg);

void rxe_ind_invalidate(struct rxe_mr *mr)
{
	unsigned long flags;

	spin_lock_irqsave(&mr->ind->lock, flags);
	rxe_ind_set_live(mr->ind, -1, 0);
	spin_unlock_irqrestore(&mr->ind->lock, flags);
}
EXPORT_SYMBOL_IF_KUNIT(rxe_ind_invalidate);

/*
 * Take the live list for an access at @iova; rxe_ind_put_live() ends it.
 * *@offset is @iova - live_iova, computed modulo 2^64: since REG_MR
 * refused a range that wraps, an @iova below the live iova gives an
 * offset of at least the list's length, which the walker rejects as out
 * of range like any other.  Return: the list, or NULL if the MR is not
 * VALID.  (Visible to KUnit, which holds an access in flight with it.)
 */
VISIBLE_IF_KUNIT struct ib_sge_list *rxe_ind_get_live(struct rxe_ind *ind,
						      u64 iova, int *idx,
						      u64 *offset)
{
	unsigned int seq;
	u64 live_iova;
	int i;

	for (;;) {
		seq = read_seqcount_begin(&ind->live_seq);
		i = READ_ONCE(ind->live);
		live_iova = READ_ONCE(ind->live_iova);
		if (i < 0) {
			if (read_seqcount_retry(&ind->live_seq, seq))
				continue;
			return NULL;
		}
		atomic_inc(&ind->users[i]);
		/* see rxe_ind_list_free() */
		smp_mb__after_atomic();
		if (!read_seqcount_retry(&ind->live_seq, seq))
			break;
		/* REG_MR or invalidation meanwhile: nothing read, again */
		atomic_dec(&ind->users[i]);
	}
	*idx = i;
	*offset = iova - live_iova;
	return ind->list[i];
}
EXPORT_SYMBOL_IF_KUNIT(rxe_ind_get_live);

/* Every read of the list happens before a map may see it free. */
VISIBLE_IF_KUNIT void rxe_ind_put_live(struct rxe_ind *ind, int idx)
{
	atomic_dec_return_release(&ind->users[idx]);
}
EXPORT_SYMBOL_IF_KUNIT(rxe_ind_put_live);

/* mr_check_range() of an indirect MR: -EINVAL, as for a direct MR. */
int rxe_ind_check_range(struct rxe_mr *mr, u64 iova, u64 length)
{
	struct ib_sge_list *list;
	u64 offset;
	bool in;
	int idx;

	list = rxe_ind_get_live(mr->ind, iova, &idx, &offset);
	if (!list)
		return -EINVAL;
	in = ib_sge_in_range(list, offset, length);
	rxe_ind_put_live(mr->ind, idx);
	return in ? 0 : -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(rxe_ind_check_range);

/*
 * The referenced MR of one segment, held, resolved as a direct local
 * access through its lkey would be: a VALID MR of @pd with @access; and
 * never another indirect MR.  NULL if there is none.
 */
static struct rxe_mr *rxe_ind_lookup(struct rxe_pd *pd, int access, u32 lkey)
{
	struct rxe_mr *ref = lookup_mr(pd, access, lkey, RXE_LOOKUP_LOCAL);

	if (ref && rxe_mr_is_indirect(ref)) {
		rxe_put(ref);
		ref = NULL;
	}
	return ref;
}

/*
 * The PD's own DMA MR (ib_alloc_pd()'s __internal_mr) if @lkey names it,
 * with the checks of lookup_mr(): every SG_GAPS list on rxe names it, and
 * so do the lists iSER and SRP build.  A PD outlives its MRs (it is an
 * error to deallocate one that has any), so while the caller holds the
 * indirect MR of the access the DMA MR exists: no lookup and no reference
 * are needed.  NULL for any other lkey, or if the checks fail.
 */
static struct rxe_mr *rxe_ind_pd_dma_mr(struct rxe_pd *pd, int access,
					u32 lkey)
{
	struct ib_mr *ibmr = pd->ibpd.__internal_mr;
	struct rxe_mr *mr;

	if (!ibmr || lkey != pd->ibpd.local_dma_lkey)
		return NULL;
	mr = to_rmr(ibmr);
	if (unlikely(mr->lkey != lkey || (access & mr->access) != access ||
		     mr->state != RXE_MR_STATE_VALID))
		return NULL;
	return mr;
}

/*
 * rxe_ind_lookup() of a segment's MR that also covers the segment, held in
 * *@ref.  Return: 0, or the errno of a direct access to the segment:
 * -EINVAL if its lkey names no usable MR (copy_data()), else that of
 * mr_check_range() if it lies outside the MR.
 */
static int rxe_ind_lookup_seg(struct rxe_pd *pd, int access,
			      const struct ib_sge_seg *seg, struct rxe_mr **ref)
{
	int err;

	*ref = rxe_ind_lookup(pd, access, seg->lkey);
	if (!*ref)
		return -EINVAL;
	err = mr_check_range(*ref, seg->addr, seg->len);
	if (err) {
		rxe_put(*ref);
		*ref = NULL;
	}
	return err;
}

/* Most packets name one MR (always so for SG_GAPS) or a few. */
#define RXE_IND_STACK_REFS	4
/* Segments an access resolves and then copies without a second walk. */
#define RXE_IND_SEGS		8

/*
 * A referenced MR held by an access, under the lkey that resolved it: the
 * MR's own lkey may change (a ULP re-registering it) while it is held.
 */
struct rxe_ind_ref {
	u32		lkey;
	struct rxe_mr	*mr;
};

/* A resolved segment: the MR (held, or the PD's DMA MR), where, how much */
struct rxe_ind_seg {
	struct rxe_mr	*mr;
	u64		addr;
	u32		len;
};

/*
 * One access: the distinct referenced MRs it touches, each held once
 * (the PD's DMA MR needs no hold).  A packet of at most one MTU touches
 * at most that many entries, so the linear search of @refs stays short;
 * the last hit is tried first, as neighbouring entries usually name the
 * same MR.  The first RXE_IND_SEGS segments are kept as resolved, so an
 * access of at most that many is copied from them.
 */
struct rxe_ind_access {
	struct rxe_pd		*pd;
	int			access;		/* needed on referenced MRs */
	struct rxe_ind_ref	*refs;
	int			n;		/* held */
	int			max;		/* room in @refs */
	int			last;		/* last hit in @refs */
	int			nsegs;		/* segments resolved */
	const struct ib_sge_list *list;
	u64			offset;
	unsigned int		length;
	struct rxe_ind_ref	stack[RXE_IND_STACK_REFS];
	struct rxe_ind_seg	segs[RXE_IND_SEGS];
};

static struct rxe_mr *rxe_ind_held(struct rxe_ind_access *acc, u32 lkey)
{
	int i;

	if (acc->n && acc->refs[acc->last].lkey == lkey)
		return acc->refs[acc->last].mr;
	for (i = 0; i < acc->n; i++)
		if (acc->refs[i].lkey == lkey) {
			acc->last = i;
			return acc->refs[i].mr;
		}
	return NULL;
}

/*
 * Room for one more held MR; more than the stack holds is allocated, one
 * per entry the access touches at most.
 */
static int rxe_ind_grow(struct rxe_ind_access *acc)
{
	struct rxe_ind_ref *refs;
	int touched;

	if (acc->n < acc->max)
		return 0;
	touched = ib_sge_count(acc->list, acc->offset, acc->length);
	/* the caller may be atomic */
	refs = kmalloc_array(touched, sizeof(*refs), GFP_NOWAIT | __GFP_NOWARN);
	if (!refs)
		return -ENOMEM;
	memcpy(refs, acc->refs, acc->n * sizeof(*refs));
	acc->refs = refs;
	acc->max = touched;
	return 0;
}

/* The referenced MR of an lkey for this access: the PD's, or held. */
static struct rxe_mr *rxe_ind_ref_of(struct rxe_ind_access *acc, u32 lkey)
{
	return rxe_ind_pd_dma_mr(acc->pd, acc->access, lkey) ?:
	       rxe_ind_held(acc, lkey);
}

/*
 * Resolve one segment as copy_data() resolves a direct SGE: -EINVAL if
 * its lkey names no usable MR, mr_check_range()'s errno (-EINVAL) if the
 * segment lies outside it, as rxe_mr_copy() returns it for a direct SGE.
 */
static int rxe_ind_resolve(const struct ib_sge_seg *seg, void *ctx)
{
	struct rxe_ind_access *acc = ctx;
	struct rxe_mr *ref = rxe_ind_ref_of(acc, seg->lkey);
	int err;

	if (!ref) {
		err = rxe_ind_grow(acc);
		if (err)
			return err;
		ref = rxe_ind_lookup(acc->pd, acc->access, seg->lkey);
		if (!ref)
			return -EINVAL;
		acc->last = acc->n;
		acc->refs[acc->n].lkey = seg->lkey;
		acc->refs[acc->n++].mr = ref;
	}
	err = mr_check_range(ref, seg->addr, seg->len);
	if (err)
		return err;
	if (acc->nsegs < RXE_IND_SEGS)
		acc->segs[acc->nsegs] = (struct rxe_ind_seg){
			ref, seg->addr, seg->len };
	acc->nsegs++;
	return 0;
}

static void rxe_ind_release(struct rxe_ind_access *acc)
{
	while (acc->n)
		rxe_put(acc->refs[--acc->n].mr);
	if (acc->refs != acc->stack)
		kfree(acc->refs);
}

/*
 * An access that spans entries, from its first segment @first: resolve
 * every touched entry first, holding each distinct referenced MR once,
 * then copy, so a failure writes nothing.  The copy takes the resolved
 * segments if they were few, else goes over the entries again.
 */
static int rxe_ind_copy_span(const struct ib_sge_list *list, u64 offset,
			     const struct ib_sge_seg *first, void *addr,
			     unsigned int length, enum rxe_mr_copy_dir dir,
			     struct rxe_pd *pd, int access)
{
	struct rxe_ind_access acc;
	struct ib_sge_seg seg = *first;
	unsigned int left = length;
	int err, i;

	/* only what is read before it is written: this is per packet */
	acc.pd = pd;
	acc.access = access;
	acc.refs = acc.stack;
	acc.n = 0;
	acc.max = RXE_IND_STACK_REFS;
	acc.last = 0;
	acc.nsegs = 0;
	acc.list = list;
	acc.offset = offset;
	acc.length = length;
	for (;;) {
		err = rxe_ind_resolve(&seg, &acc);
		if (err)
			goto out;
		left -= seg.len;
		if (!left)
			break;
		ib_sge_next(list, &seg, left);
	}
	if (acc.nsegs <= RXE_IND_SEGS) {
		for (i = 0; i < acc.nsegs && !err; i++) {
			err = rxe_mr_copy(acc.segs[i].mr, acc.segs[i].addr, addr,
					  acc.segs[i].len, dir);
			addr += acc.segs[i].len;
		}
		goto out;
	}
	for (seg = *first, left = length; !err; ib_sge_next(list, &seg, left)) {
		err = rxe_mr_copy(rxe_ind_ref_of(&acc, seg.lkey), seg.addr,
				  addr, seg.len, dir);
		addr += seg.len;
		left -= seg.len;
		if (!left)
			break;
	}
out:
	rxe_ind_release(&acc);
	return err;
}

/**
 * rxe_ind_copy() - Copy between memory and an indirect MR
 * @mr: the indirect or SG_GAPS MR
 * @iova: first byte in the MR's address space
 * @addr: the other side of the copy
 * @length: bytes, at most one packet's payload
 * @dir: RXE_TO_MR_OBJ or RXE_FROM_MR_OBJ
 *
 * Checks the range and resolves every touched entry first, holding each
 * distinct referenced MR once, then copies, so a failure writes nothing.
 * An access inside one entry (most packets) takes one search of the list
 * and no walk; if the entry names the PD's DMA MR, no lookup either.  The
 * live list is taken without a lock (rxe_ind_get_live()).
 *
 * Return: 0; -EINVAL if the access is outside the MR, the MR is no longer
 * VALID, an entry's lkey names no usable MR or an entry's part lies
 * outside its referenced MR: the errno rxe_mr_copy() and copy_data()
 * return for the same faults on a direct MR (mr_check_range(), or
 * lookup_mr() finding none), so every caller gives the status it gives a
 * direct access (the requester's gather, IB_WC_LOC_QP_OP_ERR in the WQE;
 * the others map any error alike); -ENOMEM if the table of a packet
 * naming more than RXE_IND_STACK_REFS distinct MRs cannot be had, a
 * transient shortage the responder answers with an RNR NAK.  Nothing is
 * copied on error.
 */
int rxe_ind_copy(struct rxe_mr *mr, u64 iova, void *addr,
		 unsigned int length, enum rxe_mr_copy_dir dir)
{
	int access = dir == RXE_TO_MR_OBJ ? IB_ACCESS_LOCAL_WRITE : 0;
	struct rxe_pd *pd = mr_pd(mr);
	struct ib_sge_list *list;
	struct ib_sge_seg seg;
	struct rxe_mr *ref;
	u64 offset;
	int idx, err;

	list = rxe_ind_get_live(mr->ind, iova, &idx, &offset);
	if (!list)
		return -EINVAL;		/* as lookup_mr() of a !VALID MR */
	if (ib_sge_first(list, offset, length, &seg)) {
		err = -EINVAL;		/* as mr_check_range() */
		goto out;
	}
	if (seg.len < length) {
		err = rxe_ind_copy_span(list, offset, &seg, addr, length, dir,
					pd, access);
		goto out;
	}
	/* most packets lie in one entry, most entries in the PD's DMA MR */
	ref = rxe_ind_pd_dma_mr(pd, access, seg.lkey);
	if (ref) {
		err = rxe_mr_copy(ref, seg.addr, addr, length, dir);
		goto out;
	}
	err = rxe_ind_lookup_seg(pd, access, &seg, &ref);
	if (!err) {
		err = rxe_mr_copy(ref, seg.addr, addr, length, dir);
		rxe_put(ref);
	}
out:
	rxe_ind_put_live(mr->ind, idx);
	if (err)
		rxe_dbg_mr(mr, "access %#llx+%u through an entry failed: %d\n",
			   iova, length, err);
	return err;
}

/* The one segment of an atomic: its MR, held, and its address there. */
struct rxe_ind_atomic {
	struct rxe_pd	*pd;
	struct rxe_mr	*ref;
	u64		addr;
};

/* Any error is an rkey violation to the caller, as on a direct MR. */
static int rxe_ind_resolve_one(const struct ib_sge_seg *seg, void *ctx)
{
	struct rxe_ind_atomic *at = ctx;

	if (at->ref)
		return -EINVAL;		/* the 8 bytes span two entries */
	at->addr = seg->addr;
	return rxe_ind_lookup_seg(at->pd, IB_ACCESS_LOCAL_WRITE, seg,
				  &at->ref);
}

/*
 * Resolve the 8 bytes of an atomic at @iova: aligned in the MR's address
 * space and inside one entry; the referenced MR is returned held.
 */
static int rxe_ind_resolve_atomic(struct rxe_mr *mr, u64 iova,
				  struct rxe_mr **ref, u64 *addr)
{
	struct rxe_ind_atomic at = { .pd = mr_pd(mr) };
	struct ib_sge_list *list;
	u64 offset;
	int idx, err;

	if (iova & 7)
		return RESPST_ERR_MISALIGNED_ATOMIC;
	list = rxe_ind_get_live(mr->ind, iova, &idx, &offset);
	if (!list)
		return RESPST_ERR_RKEY_VIOLATION;
	err = ib_sge_walk(list, offset, sizeof(u64), rxe_ind_resolve_one, &at);
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

static int rxe_ind_flush_seg(const struct ib_sge_seg *seg, void *ctx)
{
	struct rxe_ind_flush_ctx *fc = ctx;
	struct rxe_mr *ref;
	int err;

	err = rxe_ind_lookup_seg(fc->pd, fc->access, seg, &ref);
	if (err)
		return err;
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
 * Return: 0, or the errno a direct flush gets for the same fault, which
 * process_flush() reports as an rkey violation either way: -EINVAL if the
 * range is outside the MR or the MR is no longer VALID, or an entry
 * fails its lookup or range check; rxe_flush_pmem_iova()'s errno if the
 * flush of an entry's part fails.
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
	struct ib_sge_list *list;
	u64 offset;
	int idx, err;

	list = rxe_ind_get_live(mr->ind, iova, &idx, &offset);
	if (!list)
		return -EINVAL;
	if (whole) {
		offset = 0;
		length = list->length;
	}
	err = ib_sge_walk(list, offset, length, rxe_ind_flush_seg, &fc);
	rxe_ind_put_live(mr->ind, idx);
	return err == -ERANGE ? -EINVAL : err;	/* -ERANGE: outside the MR */
}
EXPORT_SYMBOL_IF_KUNIT(rxe_ind_flush);

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
	live = ind->live < 0 ? 0 : ind->nents[ind->live];
	staged = ind->nents[ind->staged];
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
