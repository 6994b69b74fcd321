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
 * @may_degrade: the controller is making its first connect, before any
 *	namespace has its queue limits: it may still take Linux 6.12's plan
 * @has_fb: new I/O queues get a pool of fallback MRs, and the
 *	namespaces have no virt_boundary
 * @always: every command goes through a fallback MR (reg_policy=always)
 * @fb_type: IB_MR_TYPE_INDIRECT or IB_MR_TYPE_SG_GAPS, when @has_fb: the
 *	type the device of the last connect offers
 * @fb_entries: entries of a fallback MR, when @has_fb
 * @page_list: commands registered through a page-list MR
 * @fallback: commands registered through a fallback MR
 * @fallback_err: fallback registrations that failed
 * @plan_6_12: times the controller took Linux 6.12's plan because the
 *	fallback MRs could not be allocated
 */
struct nvme_rdma_reg {
	bool		planned;
	bool		may_degrade;
	bool		has_fb;
	bool		always;
	enum ib_mr_type	fb_type;
	u32		fb_entries;
	atomic64_t	page_list;
	atomic64_t	fallback;
	atomic64_t	fallback_err;
	atomic64_t	plan_6_12;
};

/**
 * struct nvme_rdma_reg_queue - the fallback MRs of one queue
 * @mrs: the pool (ib_mr_pool_get()/put() under the QP's mr_lock)
 * @page_mr: an MR of the queue's page-list pool, read for its max_num_sg
 *	only (it may be in use); NULL when the queue has no fallback MRs
 * @always: every command through a fallback MR
 *
 * Set before the queue takes commands and not changed after, so the
 * I/O path reads it without locks.
 */
struct nvme_rdma_reg_queue {
	struct list_head	mrs;
	struct ib_mr		*page_mr;
	bool			always;
};

struct nvme_rdma_reg *nvme_rdma_ctrl_reg(struct nvme_ctrl *ctrl);

int nvme_rdma_reg_plan(struct nvme_rdma_reg *reg, struct nvme_ctrl *ctrl,
		       struct ib_device *ibdev, u32 max_fr_pages);
unsigned long nvme_rdma_reg_virt_boundary(const struct nvme_rdma_reg *reg,
					  bool is_admin);
u32 nvme_rdma_reg_max_segments(const struct nvme_rdma_reg *reg,
			       u32 max_fr_pages);
int nvme_rdma_reg_pool_init(struct nvme_rdma_reg *reg, struct nvme_ctrl *ctrl,
			    struct ib_qp *qp, struct nvme_rdma_reg_queue *fb,
			    int nr, bool is_admin);
void nvme_rdma_reg_pool_destroy(struct ib_qp *qp,
				struct nvme_rdma_reg_queue *fb);
struct list_head *nvme_rdma_reg_pick(struct ib_qp *qp,
				     struct nvme_rdma_reg_queue *fb,
				     struct scatterlist *sgl, int count);
void nvme_rdma_reg_count(struct nvme_rdma_reg *reg, struct nvme_ctrl *ctrl,
			 struct ib_mr *mr, int err);

extern const struct attribute_group *nvme_rdma_dev_attr_groups[];

#endif /* _NVME_RDMA_REG_H */
