// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Byte-granular walker over the entry list of an indirect MR: for an
 * access (offset, length) it yields the segments {lkey, addr, len} the
 * access touches.  The entry holding the first byte is found through a
 * bucket index and binary search over prefix offsets, O(log n) at worst;
 * the walk is then linear in the entries the access touches.
 *
 * A list knows no iova: offsets count from its first byte, so a driver
 * applies whatever iova the MR has when it is registered in O(1).  The
 * functions are pure (no MR, key or lock), so a driver's tests can run
 * the same lists and accesses through the reference and through the
 * driver's own translation.  The caller validates entry lists (the core
 * does, in ib_map_mr_sge()) and serialises writers against readers.
 */

#include <linux/bitops.h>
#include <linux/math64.h>
#include <linux/export.h>
#include <linux/slab.h>

#include <rdma/ib_sge_walk.h>

/**
 * ib_sge_list_alloc() - Allocate an empty list of @max entries
 * @max: capacity, at least 1
 * @gfp: allocation flags
 *
 * Return: the list, or NULL if @max is 0 or memory is short.
 */
struct ib_sge_list *ib_sge_list_alloc(u32 max, gfp_t gfp)
{
	struct ib_sge_list *list;

	if (!max)
		return NULL;
	list = kzalloc(sizeof(*list), gfp);
	if (!list)
		return NULL;
	list->sge = kvcalloc(max, sizeof(*list->sge), gfp);
	list->start = kvcalloc(max, sizeof(*list->start), gfp);
	list->bucket = kvcalloc(max, sizeof(*list->bucket), gfp);
	if (!list->sge || !list->start || !list->bucket) {
		ib_sge_list_free(list);
		return NULL;
	}
	list->max = max;
	return list;
}
EXPORT_SYMBOL(ib_sge_list_alloc);

/**
 * ib_sge_list_free() - Free a list
 * @list: the list, or NULL
 */
void ib_sge_list_free(struct ib_sge_list *list)
{
	if (!list)
		return;
	kvfree(list->sge);
	kvfree(list->start);
	kvfree(list->bucket);
	kfree(list);
}
EXPORT_SYMBOL(ib_sge_list_free);

/**
 * ib_sge_list_reset() - Empty a list
 * @list: the list
 */
void ib_sge_list_reset(struct ib_sge_list *list)
{
	list->nents = 0;
	list->length = 0;
	list->nbuckets = 0;
}
EXPORT_SYMBOL(ib_sge_list_reset);

/**
 * ib_sge_list_add() - Append one entry
 * @list: the list
 * @sge: the entry; its length must not be 0
 *
 * The caller has validated the entry (see ib_map_mr_sge()).
 *
 * Return: 0, or -ENOSPC with the list unchanged if it is full.
 */
int ib_sge_list_add(struct ib_sge_list *list, const struct ib_sge *sge)
{
	if (list->nents >= list->max)
		return -ENOSPC;
	list->sge[list->nents] = *sge;
	list->start[list->nents] = list->length;
	list->nents++;
	list->length += sge->length;
	list->nbuckets = 0;	/* ib_sge_list_index() rebuilds it */
	return 0;
}
EXPORT_SYMBOL(ib_sge_list_add);

/**
 * ib_sge_list_set() - Replace the entries of a list
 * @list: the list
 * @sge: the entries
 * @nents: their number, 1 to @list->max
 *
 * The caller has validated the entries: none has length 0 (see
 * ib_map_mr_sge()).  The bucket index is rebuilt.
 *
 * Return: 0, or -ENOSPC with the list unchanged if @nents is 0 or above
 * @list->max.
 */
int ib_sge_list_set(struct ib_sge_list *list, const struct ib_sge *sge,
		    u32 nents)
{
	u32 i;

	if (!nents || nents > list->max)
		return -ENOSPC;
	ib_sge_list_reset(list);
	for (i = 0; i < nents; i++) {
		list->sge[i] = sge[i];
		list->start[i] = list->length;
		list->length += sge[i].length;
	}
	list->nents = nents;
	ib_sge_list_index(list);
	return 0;
}
EXPORT_SYMBOL(ib_sge_list_set);

/**
 * ib_sge_list_index() - Build the bucket index of a complete list
 * @list: the list, with at least one entry
 *
 * At most one bucket per entry, each at least as wide as the average
 * entry, so that with lengths alike a bucket holds about one entry
 * boundary.  One pass over the entries.
 */
void ib_sge_list_index(struct ib_sge_list *list)
{
	u64 width = div64_u64(list->length + list->nents - 1, list->nents);
	u32 b, i = 0;

	list->shift = width > 1 ? fls64(width - 1) : 0;
	list->nbuckets = (list->length - 1) >> list->shift;
	list->nbuckets++;
	for (b = 0; b < list->nbuckets; b++) {
		u64 offset = (u64)b << list->shift;

		while (i + 1 < list->nents && list->start[i + 1] <= offset)
			i++;
		list->bucket[b] = i;
	}
}
EXPORT_SYMBOL(ib_sge_list_index);

/**
 * ib_sge_list_find() - The entry holding byte @offset of the list
 * @list: a list with at least one entry
 * @offset: below @list->length
 *
 * Return: the largest index i with start[i] <= @offset.
 */
u32 ib_sge_list_find(const struct ib_sge_list *list, u64 offset)
{
	const u64 *start = list->start;
	u32 n = list->nents;

	/* only the entries of the offset's bucket can hold it */
	if (list->nbuckets && (offset >> list->shift) < list->nbuckets) {
		u32 b = offset >> list->shift;
		u32 first = list->bucket[b];
		u32 last = b + 1 < list->nbuckets ? list->bucket[b + 1] :
			   list->nents - 1;

		start += first;
		n = last - first + 1;
	}

	/* start[0] <= offset; halve the candidates */
	while (n > 1) {
		u32 half = n / 2;

		if (start[half] <= offset)
			start += half;
		n -= half;
	}
	return start - list->start;
}
EXPORT_SYMBOL(ib_sge_list_find);

/**
 * ib_sge_count() - How many entries an access touches
 * @list: the list
 * @offset: first byte of the access, from the start of the list
 * @length: bytes of the access
 *
 * Return: the number of entries, 0 for a zero-length access inside the
 * list's range, or -ERANGE if the access is not inside
 * [0, @list->length).
 */
int ib_sge_count(const struct ib_sge_list *list, u64 offset, u64 length)
{
	if (!ib_sge_in_range(list, offset, length))
		return -ERANGE;
	if (!length)
		return 0;
	return ib_sge_list_find(list, offset + length - 1) -
	       ib_sge_list_find(list, offset) + 1;
}
EXPORT_SYMBOL(ib_sge_count);

/**
 * ib_sge_first() - The first segment an access touches
 * @list: the list
 * @offset: first byte of the access, from the start of the list
 * @length: bytes of the access, at least one
 * @seg: filled with the part of the first touched entry the access
 *	 covers; the access lies in that one entry when @seg->len is
 *	 @length
 *
 * One lookup, for a caller that takes the common case of an access inside
 * one entry without a walk.
 *
 * Return: 0; -ERANGE, with @seg untouched, if @length is 0 or the access is
 * not inside the list's range.
 */
int ib_sge_first(const struct ib_sge_list *list, u64 offset, u64 length,
		 struct ib_sge_seg *seg)
{
	const struct ib_sge *sge;
	u32 i;

	if (!length || !ib_sge_in_range(list, offset, length))
		return -ERANGE;
	i = ib_sge_list_find(list, offset);
	sge = &list->sge[i];
	offset -= list->start[i];
	seg->index = i;
	seg->lkey = sge->lkey;
	seg->addr = sge->addr + offset;
	seg->len = min_t(u64, sge->length - offset, length);
	return 0;
}
EXPORT_SYMBOL(ib_sge_first);

/**
 * ib_sge_walk() - Call @fn for each segment an access touches, in order
 * @list: the list
 * @offset: first byte of the access, from the start of the list
 * @length: bytes of the access
 * @fn: called once per touched entry with the part of it the access
 *	covers; a non-zero return stops the walk
 * @ctx: passed to @fn
 *
 * Return: 0 when every segment was visited; -ERANGE, without calling
 * @fn, if the access is not inside the list's range; else what @fn
 * returned.
 */
int ib_sge_walk(const struct ib_sge_list *list, u64 offset, u64 length,
		ib_sge_seg_fn fn, void *ctx)
{
	struct ib_sge_seg seg;
	int err;

	if (!ib_sge_in_range(list, offset, length))
		return -ERANGE;
	if (!length)
		return 0;

	ib_sge_first(list, offset, length, &seg);
	for (;;) {
		err = fn(&seg, ctx);
		if (err)
			return err;
		length -= seg.len;
		if (!length)
			return 0;
		ib_sge_next(list, &seg, length);
	}
}
EXPORT_SYMBOL(ib_sge_walk);
