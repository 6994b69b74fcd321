// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Indirect memory registration (IB_MR_TYPE_INDIRECT) over KLM mkeys.
 *
 * An indirect MR is the KLM-mode mkey that IB_MR_TYPE_SG_GAPS already
 * uses: one KLM {byte count, key, address} per entry, laid end to end by
 * the device from the mkey's start address.  Mapping only writes the KLM
 * array (the staged list); IB_WR_REG_MR posts the usual fast-registration
 * UMR, which copies the KLMs into the mkey, inline in the WQE when they
 * fit and through a pointer to the array otherwise (set_reg_wr()).  What
 * the device translates therefore changes only when that UMR executes,
 * and a REG_MR without a new map installs the same list again.  The
 * contract is Documentation/infiniband/indirect_mr.rst.
 */

#include <kunit/static_stub.h>
#include <kunit/visibility.h>
#include <linux/dma-mapping.h>
#include <rdma/ib_verbs.h>

#include "mlx5_ib.h"
#include "umr.h"
#include "indirect.h"

/**
 * mlx5_ib_klms_from_sge() - Build the KLM array of an entry list
 * @klms: room for @nents KLMs
 * @sge: the entries, validated by the core
 * @nents: number of entries
 *
 * The KLM builder of indirect MRs: a pure function of its arguments, one
 * KLM per entry in list order.
 */
void mlx5_ib_klms_from_sge(struct mlx5_klm *klms, const struct ib_sge *sge,
			   int nents)
{
	int i;

	for (i = 0; i < nents; i++)
		mlx5_ib_set_klm(&klms[i], sge[i].addr, sge[i].length,
				sge[i].lkey);
}

/**
 * mlx5_ib_indirect_caps() - Advertise indirect registration
 * @dev: the device, its capabilities queried
 * @props: the attributes being filled in by mlx5_ib_query_device()
 *
 * Indirect MRs need what SG_GAPS MRs need (imaicl: KLM-mode mkeys that
 * UMR may update, the gate of IBK_SG_GAPS_REG), what IB_WR_REG_MR needs
 * (a UMR that may change the entity size, the gate of
 * IB_DEVICE_MEM_MGT_EXTENSIONS) and a UMR that may modify an indirect
 * mkey (umr_indirect_mkey_disabled clear).  The list length is that of
 * an SG_GAPS MR: what the device maps in one mkey (log_max_klm_list_size)
 * and what one UMR can carry (MLX5R_UMR_MAX_KLMS), and no more than one
 * DMA mapping of the device can take: an MR's KLMs are mapped as one
 * buffer (mlx5_alloc_priv_descs()), and a bouncing swiotlb maps at most
 * 256 KiB (16384 KLMs) at a time.
 */
void mlx5_ib_indirect_caps(struct mlx5_ib_dev *dev,
			   struct ib_device_attr *props)
{
	struct mlx5_core_dev *mdev = dev->mdev;
	size_t map_klms;
	u32 len;

	if (!MLX5_CAP_GEN(mdev, imaicl) ||
	    MLX5_CAP_GEN(mdev, umr_modify_entity_size_disabled) ||
	    MLX5_CAP_GEN(mdev, umr_indirect_mkey_disabled))
		return;
	len = mlx5r_umr_max_reg_list_len(mdev);
	map_klms = dma_max_mapping_size(mdev->device) / sizeof(struct mlx5_klm);
	/* the MR maps ALIGN(max_num_sg, 4) KLMs */
	if (map_klms < len)
		len = rounddown(map_klms, 4);
	if (!len)
		return;
	props->kernel_cap_flags |= IBK_INDIRECT_REG;
	props->max_indirect_reg_list_len = len;
}

/**
 * mlx5_ib_sync_descs() - Hand a KLM array to the CPU or to the device
 * @ibdev: the device the array is DMA-mapped for
 * @dma: DMA address of the array (mlx5_alloc_priv_descs())
 * @size: bytes from @dma
 * @for_device: true once the KLMs are written, false before writing them
 *
 * The device reads an indirect MR's array when a REG_MR's UMR points at
 * it, so every write of its KLMs is bracketed by these two syncs.  The
 * KUnit suites of mlx5_ib_indirect_test replace this function to see
 * what the device would read.
 */
VISIBLE_IF_KUNIT void mlx5_ib_sync_descs(struct ib_device *ibdev, u64 dma,
					 size_t size, bool for_device)
{
	KUNIT_STATIC_STUB_REDIRECT(mlx5_ib_sync_descs, ibdev, dma, size,
				   for_device);
	if (for_device)
		ib_dma_sync_single_for_device(ibdev, dma, size, DMA_TO_DEVICE);
	else
		ib_dma_sync_single_for_cpu(ibdev, dma, size, DMA_TO_DEVICE);
}
EXPORT_SYMBOL_IF_KUNIT(mlx5_ib_sync_descs);

/* The whole KLM array of @mr, to the CPU or to the device */
static void mlx5_ib_klms_for(struct mlx5_ib_mr *mr, bool for_device)
{
	mlx5_ib_sync_descs(mr->ibmr.device, mr->desc_map,
			   mr->desc_size * mr->max_descs, for_device);
}

/**
 * mlx5_ib_map_mr_sge() - The map_mr_sge operation: stage an entry list
 * @ibmr: an IB_MR_TYPE_INDIRECT MR
 * @sge: the entries, validated by the core (ib_map_mr_sge())
 * @nents: number of entries, at most the MR's max_num_sg
 * @iova: first address of the MR (the core stores it in @ibmr)
 *
 * Writes one KLM per entry.  The array is the MR's only staged list: the
 * device copies it into the mkey when IB_WR_REG_MR executes, so a map
 * while the MR is valid does not change what it translates.  Does not
 * sleep.
 *
 * Return: @nents.
 */
int mlx5_ib_map_mr_sge(struct ib_mr *ibmr, const struct ib_sge *sge,
		       int nents, u64 iova)
{
	struct mlx5_ib_mr *mr = to_mmr(ibmr);

	mlx5_ib_klms_for(mr, false);
	mlx5_ib_klms_from_sge(mr->descs, sge, nents);
	mlx5_ib_klms_for(mr, true);
	mr->mmkey.ndescs = nents;
	return nents;
}

static int mlx5_ib_indirect_set_sge(struct ib_mr *ibmr,
				    const struct ib_sge *sge)
{
	struct mlx5_ib_mr *mr = to_mmr(ibmr);

	if (unlikely(mr->mmkey.ndescs == mr->max_descs))
		return -ENOMEM;
	mlx5_ib_klms_from_sge((struct mlx5_klm *)mr->descs + mr->mmkey.ndescs,
			      sge, 1);
	mr->mmkey.ndescs++;
	return 0;
}

/**
 * mlx5_ib_map_indirect_mr_sg() - map_mr_sg on an indirect MR
 * @ibmr: an IB_MR_TYPE_INDIRECT MR
 * @sg: DMA-mapped scatterlist
 * @sg_nents: elements in @sg
 * @sg_offset: bytes to skip in the first element, or NULL
 *
 * Goes through the core's ib_sg_to_sge(), so that an indirect MR maps a
 * scatterlist exactly as an SG_GAPS MR does (one KLM per element under
 * the PD's local_dma_lkey).  ib_sg_to_sge() fails only before it stores
 * an entry, so a failed call leaves the previous KLMs, their count,
 * mr->iova and mr->length as they were.
 *
 * Return: the number of elements mapped, or a negative errno.
 */
int mlx5_ib_map_indirect_mr_sg(struct ib_mr *ibmr, struct scatterlist *sg,
			       int sg_nents, unsigned int *sg_offset)
{
	struct mlx5_ib_mr *mr = to_mmr(ibmr);
	int staged = mr->mmkey.ndescs;
	int n;

	mlx5_ib_klms_for(mr, false);
	mr->mmkey.ndescs = 0;
	n = ib_sg_to_sge(ibmr, sg, sg_nents, sg_offset,
			 mlx5_ib_indirect_set_sge);
	if (n < 0)
		mr->mmkey.ndescs = staged;
	mlx5_ib_klms_for(mr, true);
	return n;
}

/**
 * mlx5_ib_indirect_reg_check() - Checks of IB_WR_REG_MR the device lacks
 * @qp: the QP the work request is posted on
 * @wr: an IB_WR_REG_MR work request for an IB_MR_TYPE_INDIRECT MR
 *
 * The UMR names its mkey by the key in the WQE and rewrites whatever
 * mkey that is; it checks neither that a list was staged nor the PD, and
 * its start address and length are plain u64s.  Rule S4 of the contract
 * makes these REG_MRs fail; they fail here, when mlx5_ib_post_send()
 * meets them, before it begins their WQE, so that the doorbell it rings
 * for the work requests before them names the last WQE built.  A REG_MR
 * of a valid MR is left to the device (MLX5_UMR_CHECK_NOT_FREE), which
 * completes it in error.
 *
 * Return: 0, or -EINVAL if the MR was never mapped, @wr->key names
 * another mkey, the MR's PD is not the QP's or the last byte of the MR
 * (mr->iova + mr->length - 1) does not fit in a u64.
 */
int mlx5_ib_indirect_reg_check(struct mlx5_ib_qp *qp,
			       const struct ib_reg_wr *wr)
{
	struct mlx5_ib_mr *mr = to_mmr(wr->mr);

	if (!mr->mmkey.ndescs || !mr->ibmr.length)
		return -EINVAL;
	if (mlx5_base_mkey(wr->key) != mlx5_base_mkey(mr->mmkey.key))
		return -EINVAL;
	if (mr->ibmr.pd != qp->ibqp.pd)
		return -EINVAL;
	if (mr->ibmr.length - 1 > U64_MAX - mr->ibmr.iova)
		return -EINVAL;
	return 0;
}
