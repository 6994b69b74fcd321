/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * rxe indirect MRs (IB_MR_TYPE_INDIRECT and IB_MR_TYPE_SG_GAPS): an MR
 * whose address space is a list of byte-aligned entries, each resolved
 * through its lkey to a registered MR of the same PD when accessed.
 */

#ifndef RXE_INDIRECT_H
#define RXE_INDIRECT_H

#include "rxe.h"		/* the driver's types; guarded against the cycle */

/*
 * Longest list one indirect MR takes.  Each entry costs 28 bytes in each
 * of the MR's two lists (staged and live): 3.5 MiB per MR at this size.
 * The walker (ib_sge_walk) finds the first entry of an access through a
 * bucket index, or in at most 16 steps of binary search.
 */
#define RXE_MAX_INDIRECT_LIST_LEN	65536

struct sk_buff;

static inline bool rxe_mr_is_indirect(const struct rxe_mr *mr)
{
	return mr->ibmr.type == IB_MR_TYPE_INDIRECT ||
	       mr->ibmr.type == IB_MR_TYPE_SG_GAPS;
}

int rxe_ind_mr_init(struct rxe_mr *mr, u32 max_entries);
void rxe_ind_mr_cleanup(struct rxe_mr *mr);
int rxe_ind_map_mr_sge(struct ib_mr *ibmr, const struct ib_sge *sge,
		       int nents, u64 iova);
int rxe_ind_map_mr_sg(struct ib_mr *ibmr, struct scatterlist *sgl,
		      int sg_nents, unsigned int *sg_offset);
int rxe_ind_reg(struct rxe_mr *mr);
void rxe_ind_invalidate(struct rxe_mr *mr);
int rxe_ind_check_range(struct rxe_mr *mr, u64 iova, u64 length);
int rxe_ind_copy(struct rxe_mr *mr, u64 iova, void *addr,
		 unsigned int length, enum rxe_mr_copy_dir dir);
int rxe_ind_atomic_op(struct rxe_mr *mr, u64 iova, int opcode, u64 compare,
		      u64 swap_add, u64 *orig_val);
int rxe_ind_atomic_write(struct rxe_mr *mr, u64 iova, u64 value);
int rxe_ind_flush(struct rxe_mr *mr, bool whole, u64 iova, u64 length,
		  u32 type);
int rxe_fill_res_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr);

#if IS_ENABLED(CONFIG_KUNIT)
/* Static without KUnit; its white-box tests hold maps and accesses. */
struct rxe_ind;
struct ib_sge_list;

int rxe_ind_pick(struct rxe_ind *ind);
void rxe_ind_commit(struct rxe_ind *ind, int i, bool ok);
struct ib_sge_list *rxe_ind_get_live(struct rxe_ind *ind, u64 iova,
				     int *idx, u64 *offset);
void rxe_ind_put_live(struct rxe_ind *ind, int idx);
#endif

#endif /* RXE_INDIRECT_H */
