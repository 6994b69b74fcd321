/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How nvme-rdma registers the data buffer of a command (rdma_reg.c).
 */

#ifndef _NVME_RDMA_REG_H
#define _NVME_RDMA_REG_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/sysfs.h>
#include <rdma/ib_verbs.h>

struct nvme_ctrl;

/**
 * struct nvme_rdma_reg - how the commands of a controller are registered
 * @planned: the plan below was chosen, at the first connect
 * @has_fb: new queues get a pool of fallback MRs, and the controller's
 *	queues have no virt_boundary
 * @always: every command goes through a fallback MR (reg_policy=always)
 * @fb_type: IB_MR_TYPE_INDIRECT or IB_MR_TYPE_SG_GAPS, when @has_fb
 * @fb_entries: entries of a fallback MR, when @has_fb
 * @page_list: commands registered through a page-list MR
 * @fallback: commands registered through a fallback MR
 * @fallback_err: fallback registrations that failed
 * @plan_6_12: times the controller took Linux 6.12's plan because the
 *	fallback MRs could not be allocated
 */
struct nvme_rdma_reg {
	bool		planned;
	bool		has_fb;
	bool		always;
	enum ib_mr_type	fb_type;
	u32		fb_entries;
	atomic64_t	page_list;
	atomic64_t	fallback;
	atomic64_t	fallback_err;
	atomic64_t	plan_6_12;
};

/* Defined in rdma.c: the registration state of a controller. */
struct nvme_rdma_reg *nvme_rdma_ctrl_reg(struct nvme_ctrl *ctrl);

int nvme_rdma_reg_plan(struct nvme_rdma_reg *reg, struct ib_device *ibdev,
		       u32 max_fr_pages);
unsigned long nvme_rdma_reg_virt_boundary(const struct nvme_rdma_reg *reg);
u32 nvme_rdma_reg_max_segments(const struct nvme_rdma_reg *reg,
			       u32 max_fr_pages);
int nvme_rdma_reg_pool_init(struct nvme_rdma_reg *reg, struct nvme_ctrl *ctrl,
			    struct ib_qp *qp, struct list_head *fb_mrs,
			    int nr, bool may_degrade);
bool nvme_rdma_reg_use_fb(const struct nvme_rdma_reg *reg,
			  const struct list_head *fb_mrs, struct ib_mr *mr,
			  struct scatterlist *sgl, int count);
void nvme_rdma_reg_count(struct nvme_rdma_reg *reg, struct nvme_ctrl *ctrl,
			 struct ib_mr *mr, int err);

extern const struct attribute_group *nvme_rdma_dev_attr_groups[];

#endif /* _NVME_RDMA_REG_H */
