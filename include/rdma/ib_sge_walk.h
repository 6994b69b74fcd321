/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Byte-granular walker over the entry list of an indirect MR
 * (drivers/infiniband/core/sge_walk.c).
 *
 * Pure functions of their inputs: they know no MR, no key and no lock, so
 * a driver can use them as its translation and any implementation of
 * indirect registration can be checked against them on the same lists
 * and accesses.
 */

#ifndef _RDMA_IB_SGE_WALK_H
#define _RDMA_IB_SGE_WALK_H

#include <linux/types.h>
#include <rdma/ib_verbs.h>

/**
 * struct ib_sge_list - entries laid end to end from offset 0
 * @max: capacity of @sge and @start
 * @nents: entries in use
 * @length: sum of the entry lengths
 * @sge: the entries
 * @start: @start[i] is the offset of entry i in the list (prefix sums)
 * @bucket: when @nbuckets is not 0, @bucket[b] is the entry holding
 *	    offset b << @shift, so a lookup searches only the entries of one
 *	    bucket: O(1) when lengths are alike, O(log n) at worst
 * @nbuckets: buckets in use, 0 until ib_sge_list_index()
 * @shift: log2 of the bucket width in bytes
 */
struct ib_sge_list {
	u32		max;
	u32		nents;
	u64		length;
	struct ib_sge	*sge;
	u64		*start;
	u32		*bucket;
	u32		nbuckets;
	u32		shift;
};

/**
 * struct ib_sge_seg - the part of one entry that an access touches
 * @index: the entry
 * @lkey: its lkey
 * @addr: first address inside the entry's MR
 * @len: bytes
 */
struct ib_sge_seg {
	u32	index;
	u32	lkey;
	u64	addr;
	u32	len;
};

typedef int (*ib_sge_seg_fn)(const struct ib_sge_seg *seg, void *ctx);

/**
 * ib_sge_in_range() - Whether an access lies inside a list
 * @list: the list
 * @offset: first byte of the access, from the start of the list
 * @length: bytes of the access
 *
 * Return: true if [@offset, @offset + @length) lies inside
 * [0, @list->length), without wrapping.
 */
static inline bool ib_sge_in_range(const struct ib_sge_list *list,
				   u64 offset, u64 length)
{
	return offset <= list->length && length <= list->length - offset;
}

struct ib_sge_list *ib_sge_list_alloc(u32 max, gfp_t gfp);
void ib_sge_list_free(struct ib_sge_list *list);
void ib_sge_list_reset(struct ib_sge_list *list);
int ib_sge_list_add(struct ib_sge_list *list, const struct ib_sge *sge);
int ib_sge_list_set(struct ib_sge_list *list, const struct ib_sge *sge,
		    u32 nents);
void ib_sge_list_index(struct ib_sge_list *list);
u32 ib_sge_list_find(const struct ib_sge_list *list, u64 offset);
int ib_sge_count(const struct ib_sge_list *list, u64 offset, u64 length);
int ib_sge_first(const struct ib_sge_list *list, u64 offset, u64 length,
		 struct ib_sge_seg *seg);
int ib_sge_walk(const struct ib_sge_list *list, u64 offset, u64 length,
		ib_sge_seg_fn fn, void *ctx);

/**
 * ib_sge_next() - The next segment of an access
 * @list: the list
 * @seg: a segment of the access from ib_sge_first() or ib_sge_next(),
 *	 replaced by the next one
 * @length: bytes of the access after @seg, at least one
 *
 * With ib_sge_first(), a walk without a callback: the segments are those
 * ib_sge_walk() visits.
 */
static inline void ib_sge_next(const struct ib_sge_list *list,
			       struct ib_sge_seg *seg, u64 length)
{
	const struct ib_sge *sge = &list->sge[++seg->index];

	seg->lkey = sge->lkey;
	seg->addr = sge->addr;
	seg->len = min_t(u64, sge->length, length);
}

#endif /* _RDMA_IB_SGE_WALK_H */
