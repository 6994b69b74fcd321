/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Indirect memory registration over KLM mkeys (indirect.c).
 */

#ifndef _MLX5_IB_INDIRECT_H
#define _MLX5_IB_INDIRECT_H

#include <linux/mlx5/device.h>
#include <linux/mlx5/qp.h>
#include <rdma/ib_verbs.h>

struct mlx5_ib_dev;
struct mlx5_ib_qp;

/**
 * mlx5_ib_set_klm() - Write one KLM: @len bytes at @addr through @key
 * @klm: the descriptor
 * @addr: address in the memory that @key names
 * @len: bytes, at most IB_INDIRECT_MAX_ENTRY_LEN
 * @key: lkey of the memory
 *
 * The device lays the KLMs of an mkey end to end from its start address.
 */
static inline void mlx5_ib_set_klm(struct mlx5_klm *klm, u64 addr, u32 len,
				   u32 key)
{
	klm->va = cpu_to_be64(addr);
	klm->bcount = cpu_to_be32(len);
	klm->key = cpu_to_be32(key);
}

void mlx5_ib_klms_from_sge(struct mlx5_klm *klms, const struct ib_sge *sge,
			   int nents);
void mlx5_ib_indirect_caps(struct mlx5_ib_dev *dev,
			   struct ib_device_attr *props);
int mlx5_ib_map_mr_sge(struct ib_mr *ibmr, const struct ib_sge *sge,
		       int nents, u64 iova);
int mlx5_ib_map_indirect_mr_sg(struct ib_mr *ibmr, struct scatterlist *sg,
			       int sg_nents, unsigned int *sg_offset);
int mlx5_ib_indirect_reg_check(struct mlx5_ib_qp *qp,
			       const struct ib_reg_wr *wr);
#if IS_ENABLED(CONFIG_KUNIT)
void mlx5_ib_sync_descs(struct ib_device *ibdev, u64 dma, size_t size,
			bool for_device);
#endif

#endif /* _MLX5_IB_INDIRECT_H */
