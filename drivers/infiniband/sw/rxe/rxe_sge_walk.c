// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Byte-granular walker over the entry list of an indirect MR: for an
 * access (iova, length) it yields the segments {lkey, addr, len} the
 * access touches.  The entry holding the first byte is found by binary
 * search over prefix offsets, O(log n); the walk is then linear in the
 * entries the access touches.
 */

#include <linux/bitops.h>
#include <linux/math64.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#include "rxe_sge_walk.h"

/**
 * rxe_sge_list_alloc() - Allocate an empty list of @max entries
 * @max: capacity, at least 1
 * @gfp: allocation flags
 *
 * Return: the list, or NULL if @max is 0 or memory is short.
 */
struct rxe_sge_list *rxe_sge_list_alloc(u32 max, gfp_t gfp)
{
	struct rxe_sge_list *list;

	if (!max)
		return NULL;
	list = kzalloc(sizeof(*list), gfp);
	if (!list)
		return NULL;
	list->sge = kvcalloc(max, sizeof(*list->sge), gfp);
	list->start = kvcalloc(max, sizeof(*list->start), gfp);
	list->bucket = kvcalloc(max, sizeof(*list->bucket), gfp);
	if (!list->sge || !list->start || !list->bucket) {
		rxe_sge_list_free(list);
		return NULL;
	}
	list->max = max;
	return list;
}
EXPORT_SYMBOL_IF_KUNIT(rxe_sge_list_alloc);

/**
 * rxe_sge_list_free() - Free a list
 * @list: the list, or NULL
 */
void rxe_sge_list_free(struct rxe_sge_list *list)
{
	if (!list)
		return;
	kvfree(list->sge);
	kvfree(list->start);
	kvfree(list->bucket);
	kfree(list);
}
EXPORT_SYMBOL_IF_KUNIT(rxe_sge_list_free);

/**
 * rxe_sge_list_reset() - Empty a list and set its first address
 * @list: the list
 * @iova: address of the first byte of the entries to come
 */
void rxe_sge_list_reset(struct rxe_sge_list *list, u64 iova)
{
	list->nents = 0;
	list->iova = iova;
	list->length = 0;
	list->nbuckets = 0;
}
EXPORT_SYMBOL_IF_KUNIT(rxe_sge_list_reset);

/**
 * rxe_sge_list_add() - Append one entry
 * @list: the list
 * @sge: the entry; its length must not be 0
 *
 * Return: 0; -ENOSPC if the list is full; -EINVAL for a zero-length
 * entry; -EOVERFLOW if the last byte would lie beyond U64_MAX.  The list
 * is unchanged on error.
 */
int rxe_sge_list_add(struct rxe_sge_list *list, const struct ib_sge *sge)
{
	u64 length;

	if (list->nents >= list->max)
		return -ENOSPC;
	if (!sge->length)
		return -EINVAL;
	if (check_add_overflow(list->length, (u64)sge->length, &length) ||
	    length - 1 > U64_MAX - list->iova)
		return -EOVERFLOW;
	list->sge[list->nents] = *sge;
	list->start[list->nents] = list->length;
	list->nents++;
	list->length = length;
	list->nbuckets = 0;	/* rxe_sge_list_index() rebuilds it */
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(rxe_sge_list_add);

/**
 * rxe_sge_list_set() - Replace the entries of a list
 * @list: the list
 * @sge: the entries
 * @nents: their number, 1 to @list->max
 * @iova: address of the first byte
 *
 * Return: 0, or a negative errno (-ERANGE for @nents, else as
 * rxe_sge_list_add()) with the list unchanged.
 */
int rxe_sge_list_set(struct rxe_sge_list *list, const struct ib_sge *sge,
		     u32 nents, u64 iova)
{
	u64 total = 0;
	u32 i;

	if (!nents || nents > list->max)
		return -ERANGE;
	for (i = 0; i < nents; i++) {
		if (!sge[i].length)
			return -EINVAL;
		if (check_add_overflow(total, (u64)sge[i].length, &total))
			return -EOVERFLOW;
	}
	if (total - 1 > U64_MAX - iova)
		return -EOVERFLOW;

	rxe_sge_list_reset(list, iova);
	for (i = 0; i < nents; i++) {
		list->sge[i] = sge[i];
		list->start[i] = list->length;
		list->length += sge[i].length;
	}
	list->nents = nents;
	rxe_sge_list_index(list);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(rxe_sge_list_set);

/**
 * rxe_sge_list_index() - Build the bucket index of a complete list
 * @list: the list, with at least one entry
 *
 * At most one bucket per entry, each at least as wide as the average
 * entry, so that with lengths alike a bucket holds about one entry
 * boundary.  One pass over the entries.
 */
void rxe_sge_list_index(struct rxe_sge_list *list)
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
EXPORT_SYMBOL_IF_KUNIT(rxe_sge_list_index);

/**
 * rxe_sge_list_find() - The entry holding byte @offset of the list
 * @list: a list with at least one entry
 * @offset: below @list->length
 *
 * Return: the largest index i with start[i] <= @offset.
 */
u32 rxe_sge_list_find(const struct rxe_sge_list *list, u64 offset)
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
EXPORT_SYMBOL_IF_KUNIT(rxe_sge_list_find);

static int rxe_sge_offset(const struct rxe_sge_list *list, u64 iova,
			  u64 length, u64 *offset)
{
	if (iova < list->iova)
		return -ERANGE;
	*offset = iova - list->iova;
	if (*offset > list->length || length > list->length - *offset)
		return -ERANGE;
	return 0;
}

/**
 * rxe_sge_count() - How many entries an access touches
 * @list: the list
 * @iova: first byte of the access
 * @length: bytes of the access
 *
 * Return: the number of entries, 0 for a zero-length access inside the
 * list's range, or -ERANGE if the access is not inside
 * [@list->iova, @list->iova + @list->length).
 */
int rxe_sge_count(const struct rxe_sge_list *list, u64 iova, u64 length)
{
	u64 offset;
	int err;

	err = rxe_sge_offset(list, iova, length, &offset);
	if (err)
		return err;
	if (!length)
		return 0;
	return rxe_sge_list_find(list, offset + length - 1) -
	       rxe_sge_list_find(list, offset) + 1;
}
EXPORT_SYMBOL_IF_KUNIT(rxe_sge_count);

/**
 * rxe_sge_walk() - Call @fn for each segment an access touches, in order
 * @list: the list
 * @iova: first byte of the access
 * @length: bytes of the access
 * @fn: called once per touched entry with the part of it the access
 *	covers; a non-zero return stops the walk
 * @ctx: passed to @fn
 *
 * Return: 0 when every segment was visited; -ERANGE, without calling
 * @fn, if the access is not inside the list's range; else what @fn
 * returned.
 */
int rxe_sge_walk(const struct rxe_sge_list *list, u64 iova, u64 length,
		 rxe_sge_seg_fn fn, void *ctx)
{
	struct rxe_sge_seg seg;
	u64 offset;
	u32 i;
	int err;

	err = rxe_sge_offset(list, iova, length, &offset);
	if (err || !length)
		return err;

	i = rxe_sge_list_find(list, offset);
	offset -= list->start[i];
	while (length) {
		const struct ib_sge *sge = &list->sge[i];

		seg.index = i;
		seg.lkey = sge->lkey;
		seg.addr = sge->addr + offset;
		seg.len = min_t(u64, sge->length - offset, length);
		err = fn(&seg, ctx);
		if (err)
			return err;
		length -= seg.len;
		offset = 0;
		i++;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(rxe_sge_walk);
