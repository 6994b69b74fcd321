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
 * ib_indirect_check_device() - Is a device's indirect support complete?
 * @dev: the device, its attributes queried
 *
 * Called by ib_register_device().  A device that sets IBK_INDIRECT_REG
 * must also accept IB_MR_TYPE_SG_GAPS (IBK_SG_GAPS_REG), implement
 * map_mr_sge and say how many entries an indirect MR may hold.
 *
 * Return: 0 if so or if the device does not set IBK_INDIRECT_REG, else
 * -EINVAL after a message naming what is missing.
 */
int ib_indirect_check_device(struct ib_device *dev)
{
	const char *missing = NULL;

	if (!(dev->attrs.kernel_cap_flags & IBK_INDIRECT_REG))
		return 0;
	if (!(dev->attrs.kernel_cap_flags & IBK_SG_GAPS_REG))
		missing = "IBK_SG_GAPS_REG";
	else if (!dev->ops.map_mr_sge)
		missing = "a map_mr_sge operation";
	else if (!dev->attrs.max_indirect_reg_list_len)
		missing = "max_indirect_reg_list_len";
	if (!missing)
		return 0;
	dev_warn(&dev->dev, "IBK_INDIRECT_REG without %s\n", missing);
	return -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(ib_indirect_check_device);

/**
 * ib_indirect_check_sge() - Validate an entry list for an indirect MR
 * @mr: the memory region
 * @sge: the entries
 * @nents: number of entries
 * @iova: first address of the MR
 * @length: set to the sum of the entry lengths when the list is valid
 *
 * The only validation of an entry list: drivers trust it.  The checks run
 * in the order the contract documents; the first that fails decides the
 * error.  -EINVAL means the call is malformed; -E2BIG that a well-formed
 * list exceeds a limit of the MR, the device or the contract, so the
 * caller may split it.
 *
 * Return: 0 if the list may be mapped, else the negative errno of the
 * first class that failed (see ib_map_mr_sge()).
 */
VISIBLE_IF_KUNIT int ib_indirect_check_sge(const struct ib_mr *mr,
					   const struct ib_sge *sge, int nents,
					   u64 iova, u64 *length)
{
	bool empty = false, too_long = false;
	u64 total = 0;
	int i;

	if (mr->type != IB_MR_TYPE_INDIRECT || !sge || nents < 1)
		return -EINVAL;
	if (nents > mr->max_num_sg)
		return -E2BIG;
	/* at most INT_MAX entries of at most 2 GiB: the sum cannot wrap */
	for (i = 0; i < nents; i++) {
		empty |= !sge[i].length;
		too_long |= sge[i].length > IB_INDIRECT_MAX_ENTRY_LEN;
		total += sge[i].length;
	}
	if (empty)
		return -EINVAL;
	if (too_long)
		return -E2BIG;
	/* The last byte, iova + total - 1, must not wrap. */
	if (total - 1 > U64_MAX - iova)
		return -EINVAL;
	if (total > mr->device->attrs.max_mr_size)
		return -E2BIG;
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
 * what the MR translates until then.  As for fast registration, the MR
 * translates from the iova mr->iova holds when IB_WR_REG_MR is posted,
 * so a ULP may rewrite it in between.  The lkeys are resolved when the MR
 * is accessed, not here.  Entries are validated here, once; drivers do
 * not check them again.
 *
 * On any error nothing changes: neither @mr nor the driver's state.
 *
 * Return: @nents on success; -EINVAL if @mr is not an
 * IB_MR_TYPE_INDIRECT MR, @sge is NULL, @nents is below 1, an entry has
 * length 0 or the last byte @iova + length - 1 wraps u64; -E2BIG if
 * @nents exceeds the MR's max_num_sg, an entry is longer than
 * IB_INDIRECT_MAX_ENTRY_LEN or the total length exceeds the device's
 * max_mr_size; -EOPNOTSUPP if the device cannot map entry lists; or
 * another negative errno from the driver, such as -ENOMEM or -EBUSY.
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
 * MR's max_num_sg elements, and none from the first element of DMA length
 * 0 or longer than IB_INDIRECT_MAX_ENTRY_LEN on.  mr->iova becomes the
 * DMA address of the first mapped byte and mr->length the number of bytes
 * mapped.  @set_sge gets only entries checked here.
 *
 * Return: the number of elements mapped, or a negative errno if nothing
 * could be mapped: -EINVAL for an empty list or an offset that is not
 * inside the first element, -E2BIG if the first entry is too long, or
 * the first error of @set_sge.
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

		if (!sge.length || sge.length > IB_INDIRECT_MAX_ENTRY_LEN) {
			if (!i)
				return sge.length ? -E2BIG : -EINVAL;
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
