/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * How the SRP initiator registers the data buffer of a command (ib_srp.c).
 */

#ifndef _SRP_REG_H
#define _SRP_REG_H

#include <linux/percpu.h>
#include <linux/parser.h>	/* after a header that defines u64 and bool */
#include <rdma/ib_verbs.h>

struct Scsi_Host;
struct scatterlist;
struct srp_fr_desc;
struct srp_fr_pool;
struct srp_rdma_ch;
struct srp_target_port;

/**
 * enum srp_reg_policy - the add_target option reg_policy (its default: the
 *	module parameter of that name)
 * @SRP_REG_AUTO: a page-list MR for lists one maps, one fallback MR for
 *	the others, a direct descriptor for every command, no virt_boundary
 * @SRP_REG_ALWAYS: every command through one fallback MR
 * @SRP_REG_NEVER: the registration of Linux 6.12
 */
enum srp_reg_policy {
	SRP_REG_AUTO,
	SRP_REG_ALWAYS,
	SRP_REG_NEVER,
};

/**
 * struct srp_reg_dev - what a device offers the registration of SRP
 * @caps: kernel_cap_flags of the device
 * @fast_reg: the initiator uses fast registration on it
 * @max_pages_per_mr: pages of a page-list MR
 * @max_page_list_len: max_fast_reg_page_list_len
 * @max_indirect_len: max_indirect_reg_list_len
 * @max_seg_size: the device's DMA segment limit (ib_dma_max_seg_size())
 * @mr_page_mask: mask of the page size of a page list
 */
struct srp_reg_dev {
	u64		caps;
	bool		fast_reg;
	u32		max_pages_per_mr;
	u32		max_page_list_len;
	u32		max_indirect_len;
	unsigned int	max_seg_size;
	u64		mr_page_mask;
};

/**
 * struct srp_reg_plan - how a target port registers, fixed when it is added
 * @policy: the policy in effect (SRP_REG_NEVER where the device has no MR
 *	that maps any list)
 * @mr_type: type of the MRs of each channel's fr_pool
 * @mr_entries: their max_num_sg
 * @fb_type: type of the MRs of each channel's fb_pool
 * @fb_entries: their max_num_sg; 0 when there is no fb_pool
 * @sg_tablesize: the SCSI host's sg_tablesize (0: as Linux 6.12 computes)
 * @virt_boundary_mask: the SCSI host's virt_boundary_mask
 * @max_segment_size: the SCSI host's max_segment_size
 */
struct srp_reg_plan {
	enum srp_reg_policy	policy;
	enum ib_mr_type		mr_type;
	u32			mr_entries;
	enum ib_mr_type		fb_type;
	u32			fb_entries;
	unsigned int		sg_tablesize;
	unsigned long		virt_boundary_mask;
	unsigned int		max_segment_size;
};

/**
 * struct srp_reg_stats - how the commands of a target port were registered,
 *	one set per CPU (srp_reg_stats_sum() adds them up)
 * @page_list: with one page-list (IB_MR_TYPE_MEM_REG) MR
 * @fallback: with one MR that maps any list (indirect or SG_GAPS)
 * @multi_mr: with several MRs and an indirect descriptor
 * @out_of_mrs: refused with -ENOMEM, for want of a free MR or of room in
 *	the send queue (the SCSI midlayer retries them)
 * @fallback_err: other failures of a fallback registration
 */
struct srp_reg_stats {
	unsigned long	page_list;
	unsigned long	fallback;
	unsigned long	multi_mr;
	unsigned long	out_of_mrs;
	unsigned long	fallback_err;
};

void srp_reg_dev_init(struct srp_reg_dev *rd, struct ib_device *ibdev,
		      bool fast_reg, u32 max_pages_per_mr, u64 mr_page_mask);
void srp_reg_plan_init(struct srp_reg_plan *plan,
		       const struct srp_reg_dev *rd,
		       enum srp_reg_policy policy, unsigned int max_sectors);
enum srp_reg_policy srp_reg_policy_get(void);
int srp_reg_policy_parse(substring_t *arg, enum srp_reg_policy *policy);
bool srp_reg_degrade(struct srp_target_port *target, int err);
void srp_reg_set_limits(struct Scsi_Host *shost,
			const struct srp_reg_plan *plan);
struct srp_fr_pool *srp_reg_pick_pool(struct srp_rdma_ch *ch,
				      struct scatterlist *sg, int count);
struct srp_fr_pool *srp_reg_desc_pool(struct srp_rdma_ch *ch,
				      struct srp_fr_desc *d);
void srp_reg_count(struct srp_target_port *target, struct srp_fr_pool *pool,
		   unsigned int nmdesc, int err);
void srp_reg_stats_sum(const struct srp_reg_stats __percpu *stats,
		       struct srp_reg_stats *sum);

extern const struct attribute_group srp_reg_attr_group;

#endif /* _SRP_REG_H */
