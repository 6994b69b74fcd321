/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Byte-granular walker over the entry list of an indirect MR.
 *
 * A pure function of its inputs: it knows no MR, no key and no lock, so
 * that other implementations of indirect registration can be checked
 * against it on the same lists and accesses.
 */

#ifndef RXE_SGE_WALK_H
#define RXE_SGE_WALK_H

#include <linux/types.h>
#include <rdma/ib_verbs.h>

/**
 * struct rxe_sge_list - entries laid end to end from @iova
 * @max: capacity of @sge and @start
 * @nents: entries in use
 * @iova: address of the first byte
 * @length: sum of the entry lengths
 * @sge: the entries
 * @start: @start[i] is the offset of entry i from @iova (prefix sums)
 * @bucket: when @nbuckets is not 0, @bucket[b] is the entry holding
 *	    offset b << @shift, so a lookup searches only the entries of one
 *	    bucket: O(1) when lengths are alike, O(log n) at worst
 * @nbuckets: buckets in use, 0 until rxe_sge_list_index()
 * @shift: log2 of the bucket width in bytes
 */
struct rxe_sge_list {
	u32		max;
	u32		nents;
	u64		iova;
	u64		length;
	struct ib_sge	*sge;
	u64		*start;
	u32		*bucket;
	u32		nbuckets;
	u32		shift;
};

/**
 * struct rxe_sge_seg - the part of one entry that an access touches
 * @index: the entry
 * @lkey: its lkey
 * @addr: first address inside the entry's MR
 * @len: bytes
 */
struct rxe_sge_seg {
	u32	index;
	u32	lkey;
	u64	addr;
	u32	len;
};

typedef int (*rxe_sge_seg_fn)(const struct rxe_sge_seg *seg, void *ctx);

struct rxe_sge_list *rxe_sge_list_alloc(u32 max, gfp_t gfp);
void rxe_sge_list_free(struct rxe_sge_list *list);
void rxe_sge_list_reset(struct rxe_sge_list *list, u64 iova);
int rxe_sge_list_add(struct rxe_sge_list *list, const struct ib_sge *sge);
int rxe_sge_list_set(struct rxe_sge_list *list, const struct ib_sge *sge,
		     u32 nents, u64 iova);
void rxe_sge_list_index(struct rxe_sge_list *list);
u32 rxe_sge_list_find(const struct rxe_sge_list *list, u64 offset);
int rxe_sge_count(const struct rxe_sge_list *list, u64 iova, u64 length);
int rxe_sge_walk(const struct rxe_sge_list *list, u64 iova, u64 length,
		 rxe_sge_seg_fn fn, void *ctx);

#endif /* RXE_SGE_WALK_H */
