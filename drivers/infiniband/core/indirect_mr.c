// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Indirect memory registration: one MR whose address space is a list of
 * byte-aligned ib_sge entries laid end to end.
 *
 * The core owns validation, dispatch and the conversion of scatterlists
 * into entries; drivers own translation.  The contract is in
 * Documentation/infiniband/indirect_mr.rst.
 */

#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <kunit/visibility.h>
#include <rdma/ib_verbs.h>

#include "core_priv.h"
#include <trace/events/rdma_core.h>

/**
 * ib_indirect_alloc_check() - May @dev allocate an indirect MR of @max_entries?
 * @dev: the device
 * @max_entries: entries the MR must hold
 *
 * Called by ib_alloc_mr() before the driver sees an IB_MR_TYPE_INDIRECT
 * request, so that a driver without indirect support never has to know
 * the type.
 *
 * Return: 0 if it may; -EOPNOTSUPP if the device does not advertise
 * IBK_INDIRECT_REG or has no map_mr_sge operation; -EINVAL if
 * @max_entries is 0 or above the device's max_indirect_reg_list_len.
 */
int ib_indirect_alloc_check(struct ib_device *dev, u32 max_entries)
{
	if (!(dev->attrs.kernel_cap_flags & IBK_INDIRECT_REG) ||
	    !dev->ops.map_mr_sge)
		return -EOPNOTSUPP;
	if (!max_entries || max_entries > dev->attrs.max_indirect_reg_list_len)
		return -EINVAL;
	return 0;
}

/**
 * ib_indirect_check_sge() - Validate an entry list for an indirect MR
 * @mr: the memory region
 * @sge: the entries
 * @nents: number of entries
 * @iova: first address of the MR
 * @length: set to the sum of the entry lengths when the list is valid
 *
 * The checks run in the order the contract documents; the first that
 * fails decides the error.
 *
 * Return: 0 if the list may be mapped, else the negative errno of the
 * first class that failed (see ib_map_mr_sge()).
 */
VISIBLE_IF_KUNIT int ib_indirect_check_sge(const struct ib_mr *mr,
					   const struct ib_sge *sge, int nents,
					   u64 iova, u64 *length)
{
	u64 total = 0;
	int i;

	if (mr->type != IB_MR_TYPE_INDIRECT)
		return -EINVAL;
	if (!sge)
		return -EFAULT;
	if (nents < 1 || nents > mr->max_num_sg)
		return -ERANGE;
	for (i = 0; i < nents; i++) {
		if (!sge[i].length)
			return -ENODATA;
		if (check_add_overflow(total, (u64)sge[i].length, &total))
			return -EOVERFLOW;
	}
	/* The last byte, iova + total - 1, must not wrap. */
	if (total - 1 > U64_MAX - iova)
		return -EOVERFLOW;
	if (total > mr->device->attrs.max_mr_size)
		return -EFBIG;
	*length = total;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ib_indirect_check_sge);

/**
 * ib_map_mr_sge() - Stage a list of entries in an indirect memory region
 * @mr: memory region allocated with type IB_MR_TYPE_INDIRECT
 * @sge: the entries: byte-aligned {addr, length, lkey}; each lkey names a
 *	 registered, non-indirect MR of the same PD covering the range
 * @nents: number of entries, 1 to the max_num_sg given to ib_alloc_mr()
 * @iova: address of the first byte of the first entry in the MR
 *
 * Lays the entries end to end in the MR's address space starting at
 * @iova: byte @iova + k maps to the entry that covers offset k of the
 * concatenation.  On success mr->iova is @iova and mr->length the sum of
 * the lengths.  The list is only staged: it takes effect when an
 * IB_WR_REG_MR work request for @mr executes, exactly as for fast
 * registration, and a list staged while the MR is valid does not change
 * what the MR translates until then.  The lkeys are resolved when the MR
 * is accessed, not here.
 *
 * On any error nothing changes: neither @mr nor the driver's state.
 *
 * Return: @nents on success, or
 * -EINVAL if @mr is not an IB_MR_TYPE_INDIRECT MR;
 * -EFAULT if @sge is NULL;
 * -ERANGE if @nents is below 1 or above the MR's max_num_sg;
 * -ENODATA if an entry has length 0;
 * -EOVERFLOW if the total length or @iova + length wraps u64;
 * -EFBIG if the total length exceeds the device's max_mr_size;
 * -EOPNOTSUPP if the device cannot map entry lists;
 * or another negative errno from the driver.
 */
int ib_map_mr_sge(struct ib_mr *mr, const struct ib_sge *sge, int nents,
		  u64 iova)
{
	u64 length;
	int ret;

	ret = ib_indirect_check_sge(mr, sge, nents, iova, &length);
	if (!ret && !mr->device->ops.map_mr_sge)
		ret = -EOPNOTSUPP;
	if (!ret) {
		ret = mr->device->ops.map_mr_sge(mr, sge, nents, iova);
		if (ret >= 0 && WARN_ON_ONCE(ret != nents))
			ret = -EIO;
	}
	if (ret >= 0) {
		mr->iova = iova;
		mr->length = length;
	}
	trace_mr_map_sge(mr, nents, iova, ret);
	return ret;
}
EXPORT_SYMBOL(ib_map_mr_sge);

/**
 * ib_sg_to_sge() - Convert a DMA-mapped scatterlist into indirect entries
 * @mr: memory region allocated with type IB_MR_TYPE_INDIRECT
 * @sgl: DMA-mapped scatterlist; any element may have any offset and length
 * @sg_nents: number of elements in @sgl
 * @sg_offset: if not NULL, bytes to skip in the first element; set to 0
 *	       when the function returns
 * @set_sge: driver callback storing one entry; returns 0 or a negative errno
 *
 * Helper for a driver's map_mr_sg operation on an indirect MR.  Each
 * element becomes one entry {dma address, dma length, the PD's
 * local_dma_lkey}; the first element starts @sg_offset bytes in.  As for
 * fast registration, the largest prefix that fits is mapped: at most the
 * MR's max_num_sg elements.  mr->iova becomes the DMA address of the first
 * mapped byte and mr->length the number of bytes mapped.
 *
 * Return: the number of elements mapped, or a negative errno if nothing
 * could be mapped: -EINVAL for an empty list or an offset that is not
 * inside the first element, or the first error of @set_sge.
 */
int ib_sg_to_sge(struct ib_mr *mr, struct scatterlist *sgl, int sg_nents,
		 unsigned int *sg_offset,
		 int (*set_sge)(struct ib_mr *mr, const struct ib_sge *sge))
{
	unsigned int offset = sg_offset ? *sg_offset : 0;
	int n = min_t(int, sg_nents, mr->max_num_sg);
	struct scatterlist *sg;
	u64 length = 0;
	int i, ret;

	if (!sgl || n < 1 || offset >= sg_dma_len(sgl))
		return -EINVAL;

	for_each_sg(sgl, sg, n, i) {
		struct ib_sge sge = {
			.addr = sg_dma_address(sg) + offset,
			.length = sg_dma_len(sg) - offset,
			.lkey = mr->pd->local_dma_lkey,
		};

		if (!sge.length) {
			n = i;
			break;
		}
		ret = set_sge(mr, &sge);
		if (ret) {
			if (!i)
				return ret;
			n = i;
			break;
		}
		length += sge.length;
		offset = 0;
	}
	mr->iova = sg_dma_address(sgl) + (sg_offset ? *sg_offset : 0);
	mr->length = length;
	if (sg_offset)
		*sg_offset = 0;
	return n;
}
EXPORT_SYMBOL(ib_sg_to_sge);
