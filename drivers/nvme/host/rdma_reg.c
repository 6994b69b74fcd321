// SPDX-License-Identifier: GPL-2.0
/*
 * How nvme-rdma registers the data buffer of a command.
 *
 * nvme-rdma registers each command's data through one page-list (fast
 * registration) MR, which maps a scatterlist only when every element but
 * the first starts on a page boundary and every element but the last ends
 * on one; so the controller's queues have a 4 KiB virt_boundary, and the
 * block layer splits a request at every gap.  Where the device has an MR
 * that maps any list (an indirect MR with IBK_INDIRECT_REG, else an
 * SG_GAPS MR with IBK_SG_GAPS_REG), the policy "auto" gives each queue a
 * second pool of such MRs, the fallback, as large as the pool of page-list
 * MRs: a command goes through a page-list MR when a page list maps its
 * buffer and through a fallback MR otherwise, still one MR and one keyed
 * SGL descriptor per command, and the queues need no virt_boundary.
 * "always" registers every command through a fallback MR, "never" as
 * Linux 6.12 did.  The admin queue, a namespace with protection
 * information (whose integrity MRs map pages), inline data and the
 * single-segment global rkey path are not changed.  See
 * Documentation/infiniband/indirect_mr.rst.
 */

#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <rdma/mr_pool.h>

#include "nvme.h"
#include "rdma_reg.h"

enum nvme_rdma_reg_policy {
	NVME_RDMA_REG_AUTO,
	NVME_RDMA_REG_ALWAYS,
	NVME_RDMA_REG_NEVER,
};

static const char * const nvme_rdma_reg_policy_names[] = {
	[NVME_RDMA_REG_AUTO]	= "auto",
	[NVME_RDMA_REG_ALWAYS]	= "always",
	[NVME_RDMA_REG_NEVER]	= "never",
};

static int nvme_rdma_reg_policy = NVME_RDMA_REG_AUTO;

static int nvme_rdma_reg_policy_set(const char *val,
				    const struct kernel_param *kp)
{
	int i = sysfs_match_string(nvme_rdma_reg_policy_names, val);

	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(*(int *)kp->arg, i);
	return 0;
}

static int nvme_rdma_reg_policy_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  nvme_rdma_reg_policy_names[READ_ONCE(*(int *)kp->arg)]);
}

static const struct kernel_param_ops nvme_rdma_reg_policy_ops = {
	.set = nvme_rdma_reg_policy_set,
	.get = nvme_rdma_reg_policy_get,
};

module_param_cb(reg_policy, &nvme_rdma_reg_policy_ops, &nvme_rdma_reg_policy,
		0644);
MODULE_PARM_DESC(reg_policy,
		 "How controllers created from now on register data: auto (page list where it maps the buffer, else an indirect or SG_GAPS MR; default), always (indirect or SG_GAPS MR), never (as Linux 6.12)");

static enum ib_mr_type nvme_rdma_reg_fb_type(struct ib_device *ibdev,
					     u32 *entries)
{
	u64 caps = ibdev->attrs.kernel_cap_flags;

	if (caps & IBK_INDIRECT_REG) {
		*entries = ibdev->attrs.max_indirect_reg_list_len;
		return IB_MR_TYPE_INDIRECT;
	}
	if (caps & IBK_SG_GAPS_REG) {
		*entries = ibdev->attrs.max_fast_reg_page_list_len;
		return IB_MR_TYPE_SG_GAPS;
	}
	*entries = 0;
	return IB_MR_TYPE_MEM_REG;
}

/**
 * nvme_rdma_reg_plan() - Choose, or check, how a controller registers data
 * @reg: the controller's registration state
 * @ctrl: the controller, for its messages
 * @ibdev: the device of the queue being created
 * @max_fr_pages: pages of the largest command, as the page-list MRs map it
 *
 * At the first connect, choose: with reg_policy "auto" or "always", on a
 * device that maps any list in one MR, each I/O queue gets fallback MRs
 * of @max_fr_pages entries (fewer if the device maps fewer) and the
 * namespaces no virt_boundary; else Linux 6.12's plan.  At a later
 * connect, a reconnect that may land on another device, the plan stays,
 * since the namespaces' queue limits follow it; the device must map any
 * list in MRs of at least as many entries, of either type.
 *
 * Return: 0, or -EOPNOTSUPP if the controller has fallback MRs and
 * @ibdev cannot allocate them; the reconnect then fails and is retried.
 */
int nvme_rdma_reg_plan(struct nvme_rdma_reg *reg, struct nvme_ctrl *ctrl,
		       struct ib_device *ibdev, u32 max_fr_pages)
{
	int policy = READ_ONCE(nvme_rdma_reg_policy);
	enum ib_mr_type type;
	u32 entries;

	type = nvme_rdma_reg_fb_type(ibdev, &entries);
	if (reg->planned) {
		if (!reg->has_fb)
			return 0;
		if (type == IB_MR_TYPE_MEM_REG || entries < reg->fb_entries) {
			dev_warn_ratelimited(ctrl->device,
					     "%s cannot map the %u-entry lists of this controller's plan\n",
					     dev_name(&ibdev->dev), reg->fb_entries);
			return -EOPNOTSUPP;
		}
		/* no queue has MRs now: the new ones may take the other type */
		reg->fb_type = type;
		return 0;
	}
	reg->planned = true;
	if (type == IB_MR_TYPE_MEM_REG || policy == NVME_RDMA_REG_NEVER)
		return 0;
	reg->has_fb = true;
	reg->always = policy == NVME_RDMA_REG_ALWAYS;
	reg->fb_type = type;
	reg->fb_entries = min(entries, max_fr_pages);
	return 0;
}

/**
 * nvme_rdma_reg_virt_boundary() - The virt_boundary of a controller's queues
 * @reg: the controller's registration state
 * @is_admin: of the admin queue, which has no fallback MRs
 *
 * Return: 0 for the namespaces when the I/O queues have fallback MRs,
 * which map any list; else NVME_CTRL_PAGE_SIZE - 1, as for every NVMe
 * controller in Linux 6.12.  The core keeps that boundary for a
 * namespace with protection information, whose integrity MRs map
 * pages.
 */
unsigned long nvme_rdma_reg_virt_boundary(const struct nvme_rdma_reg *reg,
					  bool is_admin)
{
	return !is_admin && READ_ONCE(reg->has_fb) ? 0 : NVME_CTRL_PAGE_SIZE - 1;
}

/**
 * nvme_rdma_reg_max_segments() - Segments of the largest command
 * @reg: the controller's registration state
 * @max_fr_pages: what 6.12 allows: the pages of a page-list MR but one
 *
 * Without a virt_boundary a segment may be as short as 4 bytes (the
 * queues' dma_alignment), so a command has no more segments than the
 * fallback MR has entries; a page list still maps an aligned command of
 * max_hw_sectors, which stays @max_fr_pages pages.
 *
 * Return: the controller's max_segments.
 */
u32 nvme_rdma_reg_max_segments(const struct nvme_rdma_reg *reg,
			       u32 max_fr_pages)
{
	return reg->has_fb ? min(reg->fb_entries, max_fr_pages) : max_fr_pages;
}

/**
 * nvme_rdma_reg_pool_init() - Allocate the fallback MRs of a queue
 * @reg: the controller's registration state
 * @ctrl: the controller, for its messages
 * @qp: the queue's QP, whose PD and MR accounting the pool uses; its
 *	pool of page-list MRs is allocated
 * @fb: the queue's fallback MRs, initialized here
 * @nr: MRs to allocate: one per command the queue holds
 * @is_admin: the admin queue, which keeps a virt_boundary and gets none
 *
 * One fallback MR per command, so a command never waits for one.  When
 * they cannot be allocated during the first connect (@reg->may_degrade),
 * the controller takes Linux 6.12's plan instead of failing: this queue
 * and those created after get no fallback MRs and the namespaces will
 * have a virt_boundary, with one rate-limited message and the counter
 * plan_6_12.  I/O queues created before keep theirs.
 *
 * Return: 0, or the negative errno of the allocation when the controller
 * keeps its plan (a reconnect, which is then retried).
 */
int nvme_rdma_reg_pool_init(struct nvme_rdma_reg *reg, struct nvme_ctrl *ctrl,
			    struct ib_qp *qp, struct nvme_rdma_reg_queue *fb,
			    int nr, bool is_admin)
{
	int ret;

	INIT_LIST_HEAD(&fb->mrs);
	fb->page_mr = NULL;
	fb->always = false;
	if (is_admin || !reg->has_fb)
		return 0;
	ret = ib_mr_pool_init(qp, &fb->mrs, nr, reg->fb_type, reg->fb_entries,
			      0);
	if (!ret) {
		fb->page_mr = list_first_entry(&qp->rdma_mrs, struct ib_mr,
					       qp_entry);
		fb->always = reg->always;
		return 0;
	}
	if (!reg->may_degrade)
		return ret;
	WRITE_ONCE(reg->has_fb, false);
	reg->always = false;
	atomic64_inc(&reg->plan_6_12);
	dev_warn_ratelimited(ctrl->device,
			     "no memory for the fallback MRs (%d), registering as Linux 6.12\n",
			     ret);
	return 0;
}

/**
 * nvme_rdma_reg_pool_destroy() - Free what nvme_rdma_reg_pool_init() allocated
 * @qp: the queue's QP
 * @fb: the queue's fallback MRs
 */
void nvme_rdma_reg_pool_destroy(struct ib_qp *qp,
				struct nvme_rdma_reg_queue *fb)
{
	ib_mr_pool_destroy(qp, &fb->mrs);
	fb->page_mr = NULL;
}

/**
 * nvme_rdma_reg_pick() - The pool whose MR registers a command's buffer
 * @qp: the queue's QP, whose rdma_mrs are the page-list MRs
 * @fb: the queue's fallback MRs
 * @sgl: the command's DMA-mapped scatterlist
 * @count: its number of elements
 *
 * The page-list MRs when a page list maps the whole list
 * (ib_sg_pages_fit(), which registers nothing) or the queue has no
 * fallback MRs; the fallback MRs otherwise, and for every command under
 * reg_policy "always".
 *
 * Return: the pool to take the command's MR from.
 */
struct list_head *nvme_rdma_reg_pick(struct ib_qp *qp,
				     struct nvme_rdma_reg_queue *fb,
				     struct scatterlist *sgl, int count)
{
	if (fb->page_mr &&
	    (fb->always || !ib_sg_pages_fit(fb->page_mr, sgl, count, 0, SZ_4K)))
		return &fb->mrs;
	return &qp->rdma_mrs;
}

/**
 * nvme_rdma_reg_count() - Count a registration
 * @reg: the controller's registration state
 * @ctrl: the controller, for its messages
 * @mr: the MR mapped
 * @err: 0, or the error of mapping @mr
 */
void nvme_rdma_reg_count(struct nvme_rdma_reg *reg, struct nvme_ctrl *ctrl,
			 struct ib_mr *mr, int err)
{
	if (mr->type == IB_MR_TYPE_MEM_REG) {
		if (!err)
			atomic64_inc(&reg->page_list);
	} else if (!err) {
		atomic64_inc(&reg->fallback);
	} else {
		atomic64_inc(&reg->fallback_err);
		dev_warn_ratelimited(ctrl->device,
				     "fallback registration failed (%d)\n", err);
	}
}

static const char *nvme_rdma_reg_mode(const struct nvme_rdma_reg *reg)
{
	if (!reg->has_fb)
		return "page_list";
	if (reg->fb_type == IB_MR_TYPE_INDIRECT)
		return reg->always ? "indirect" : "page_list+indirect";
	return reg->always ? "sg_gaps" : "page_list+sg_gaps";
}

static ssize_t mode_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct nvme_ctrl *ctrl = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n",
			  nvme_rdma_reg_mode(nvme_rdma_ctrl_reg(ctrl)));
}
static DEVICE_ATTR_RO(mode);

/* A counter of struct nvme_rdma_reg, at @offset, as a read-only file. */
struct nvme_rdma_reg_counter {
	struct device_attribute	attr;
	size_t			offset;
};

static ssize_t nvme_rdma_reg_counter_show(struct device *dev,
					  struct device_attribute *attr,
					  char *buf)
{
	struct nvme_rdma_reg *reg = nvme_rdma_ctrl_reg(dev_get_drvdata(dev));
	size_t offset = container_of(attr, struct nvme_rdma_reg_counter,
				     attr)->offset;

	return sysfs_emit(buf, "%lld\n",
			  atomic64_read((atomic64_t *)((char *)reg + offset)));
}

static struct nvme_rdma_reg_counter nvme_rdma_reg_counters[] = {
	{ __ATTR(page_list, 0444, nvme_rdma_reg_counter_show, NULL),
	  offsetof(struct nvme_rdma_reg, page_list) },
	{ __ATTR(fallback, 0444, nvme_rdma_reg_counter_show, NULL),
	  offsetof(struct nvme_rdma_reg, fallback) },
	{ __ATTR(fallback_errors, 0444, nvme_rdma_reg_counter_show, NULL),
	  offsetof(struct nvme_rdma_reg, fallback_err) },
	{ __ATTR(plan_6_12, 0444, nvme_rdma_reg_counter_show, NULL),
	  offsetof(struct nvme_rdma_reg, plan_6_12) },
};

static struct attribute *nvme_rdma_reg_attrs[] = {
	&dev_attr_mode.attr,
	&nvme_rdma_reg_counters[0].attr.attr,
	&nvme_rdma_reg_counters[1].attr.attr,
	&nvme_rdma_reg_counters[2].attr.attr,
	&nvme_rdma_reg_counters[3].attr.attr,
	NULL,
};

/* /sys/class/nvme/nvmeN/rdma_reg/ */
static const struct attribute_group nvme_rdma_reg_attr_group = {
	.name	= "rdma_reg",
	.attrs	= nvme_rdma_reg_attrs,
};

const struct attribute_group *nvme_rdma_dev_attr_groups[] = {
	&nvme_dev_attrs_group,
	&nvme_rdma_reg_attr_group,
	NULL,
};
