// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * How the SRP initiator registers the data buffer of a command.
 *
 * A page-list (fast registration) MR maps a scatterlist only when every
 * element but the first starts on a page boundary and every element but
 * the last ends on one.  Linux 6.12 registers the other lists with
 * several page-list MRs and an indirect descriptor, one rkey and one
 * RDMA operation at the target per MR, and makes the block layer split
 * requests at a 4 KiB virt_boundary; or, where the device sets
 * IBK_SG_GAPS_REG, it registers every command with an SG_GAPS MR.
 *
 * Where the device has an MR that maps any list (an indirect MR with
 * IBK_INDIRECT_REG, else an SG_GAPS MR), the policy "auto" gives each
 * channel two pools: page-list MRs, cheaper for the device to walk, for
 * the lists one of them maps, and fallback MRs for the others.  Every
 * command is then one MR, one rkey and a direct descriptor; the block
 * layer needs no virt_boundary, and sg_tablesize follows the entries a
 * fallback MR holds, not the descriptors an SRP_CMD carries.  "always"
 * registers every command through the fallback MR, "never" as Linux 6.12
 * did.  Each pool holds an MR per command the SCSI host queues, so taking
 * the fallback never waits for or runs out of an MR.
 *
 * See Documentation/infiniband/indirect_mr.rst.
 */

#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/scatterlist.h>
#include <linux/sysfs.h>
#include <scsi/scsi_host.h>
#include <scsi/srp.h>

#include "ib_srp.h"
#include "srp_reg.h"

static const char * const srp_reg_policy_names[] = {
	[SRP_REG_AUTO]		= "auto",
	[SRP_REG_ALWAYS]	= "always",
	[SRP_REG_NEVER]		= "never",
};

static int srp_reg_policy = SRP_REG_AUTO;

static int srp_reg_policy_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(srp_reg_policy_names, val);

	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(*(int *)kp->arg, i);
	return 0;
}

static int srp_reg_policy_show(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  srp_reg_policy_names[READ_ONCE(*(int *)kp->arg)]);
}

static const struct kernel_param_ops srp_reg_policy_ops = {
	.set = srp_reg_policy_set,
	.get = srp_reg_policy_show,
};

module_param_cb(reg_policy, &srp_reg_policy_ops, &srp_reg_policy, 0644);
MODULE_PARM_DESC(reg_policy,
		 "How commands are registered, for target ports added afterwards: auto (page list where one maps the buffer, else one indirect or SG_GAPS MR; default), always (indirect or SG_GAPS MR), never (as Linux 6.12)");

/**
 * srp_reg_policy_get() - The policy a target port added now takes
 *
 * Return: the value of the module parameter reg_policy.
 */
enum srp_reg_policy srp_reg_policy_get(void)
{
	return READ_ONCE(srp_reg_policy);
}

/**
 * srp_reg_dev_init() - Collect what a device offers SRP's registration
 * @rd: filled in
 * @ibdev: the device
 * @fast_reg: the initiator registers with fast registration on @ibdev
 * @max_pages_per_mr: pages of the initiator's page-list MRs
 * @mr_page_mask: mask of their page size
 */
void srp_reg_dev_init(struct srp_reg_dev *rd, struct ib_device *ibdev,
		      bool fast_reg, u32 max_pages_per_mr, u64 mr_page_mask)
{
	const struct ib_device_attr *attr = &ibdev->attrs;

	rd->caps = attr->kernel_cap_flags;
	rd->fast_reg = fast_reg;
	rd->max_pages_per_mr = max_pages_per_mr;
	rd->max_page_list_len = attr->max_fast_reg_page_list_len;
	rd->max_indirect_len = attr->max_indirect_reg_list_len;
	rd->max_seg_size = ib_dma_max_seg_size(ibdev);
	rd->mr_page_mask = mr_page_mask;
}

/**
 * srp_reg_plan_init() - Choose how a target port registers
 * @plan: filled in
 * @rd: what the device offers
 * @policy: the module parameter when the port is added
 * @max_sectors: the SCSI host's max_sectors, after the login options
 *
 * Under "auto" and "always", with fast registration and a device that
 * has an MR mapping any list, the SCSI host's sg_tablesize is what a
 * fallback MR holds, at most one entry per sector and SG_MAX_SEGMENTS.
 * Otherwise the plan is that of Linux 6.12, except for one limit: a host
 * with a virt_boundary gets no max_segment_size limit besides it (the
 * block layer splits at the boundary; a page list maps any segment
 * length), and a host without one gets the device's DMA segment limit,
 * and for indirect MRs at most IB_INDIRECT_MAX_ENTRY_LEN per segment.
 */
void srp_reg_plan_init(struct srp_reg_plan *plan,
		       const struct srp_reg_dev *rd,
		       enum srp_reg_policy policy, unsigned int max_sectors)
{
	bool gaps = rd->caps & IBK_SG_GAPS_REG;
	enum ib_mr_type fb_type;
	u32 entries;

	memset(plan, 0, sizeof(*plan));
	/* Linux 6.12 */
	plan->policy = SRP_REG_NEVER;
	plan->mr_type = gaps ? IB_MR_TYPE_SG_GAPS : IB_MR_TYPE_MEM_REG;
	plan->mr_entries = rd->max_pages_per_mr;
	if (gaps) {
		plan->max_segment_size = rd->max_seg_size;
	} else {
		plan->virt_boundary_mask = ~rd->mr_page_mask;
		plan->max_segment_size = UINT_MAX;
	}
	if (!rd->fast_reg || !gaps || policy == SRP_REG_NEVER)
		return;

	fb_type = rd->caps & IBK_INDIRECT_REG ? IB_MR_TYPE_INDIRECT :
						IB_MR_TYPE_SG_GAPS;
	entries = fb_type == IB_MR_TYPE_INDIRECT ? rd->max_indirect_len :
						   rd->max_page_list_len;
	entries = min3(entries, max(max_sectors, 1U), (u32)SG_MAX_SEGMENTS);
	if (!entries)
		return;
	if (fb_type == IB_MR_TYPE_INDIRECT)
		plan->max_segment_size = min_t(u64, plan->max_segment_size,
					       IB_INDIRECT_MAX_ENTRY_LEN);
	plan->policy = policy;
	plan->sg_tablesize = entries;
	if (policy == SRP_REG_ALWAYS) {
		plan->mr_type = fb_type;
		plan->mr_entries = entries;
	} else {
		plan->mr_type = IB_MR_TYPE_MEM_REG;
		plan->fb_type = fb_type;
		plan->fb_entries = entries;
	}
}

/**
 * srp_reg_set_limits() - Set the queue limits of a plan on a SCSI host
 * @shost: the target port's host, not yet added
 * @plan: the target port's plan
 */
void srp_reg_set_limits(struct Scsi_Host *shost,
			const struct srp_reg_plan *plan)
{
	shost->virt_boundary_mask = plan->virt_boundary_mask;
	shost->max_segment_size = plan->max_segment_size;
}

/**
 * srp_reg_pick_pool() - The pool whose MR registers a command
 * @ch: the channel
 * @sg: the command's DMA-mapped scatterlist
 * @count: its entries
 *
 * The page-list pool when one page-list MR maps the whole list
 * (ib_sg_pages_fit(), which costs no registration), else the fallback
 * pool.  Without a fallback pool, the channel's only pool.
 *
 * Return: the pool to take the command's MR from.
 */
struct srp_fr_pool *srp_reg_pick_pool(struct srp_rdma_ch *ch,
				      struct scatterlist *sg, int count)
{
	struct srp_device *dev = ch->target->srp_host->srp_dev;

	if (ch->fb_pool &&
	    !ib_sg_pages_fit(ch->fr_pool->desc[0].mr, sg, count, 0,
			     dev->mr_page_size))
		return ch->fb_pool;
	return ch->fr_pool;
}

/**
 * srp_reg_desc_pool() - The pool a descriptor came from
 * @ch: the channel
 * @d: a descriptor of one of its pools
 *
 * Return: @ch's fallback pool if it holds @d, else its page-list pool.
 */
struct srp_fr_pool *srp_reg_desc_pool(struct srp_rdma_ch *ch,
				      struct srp_fr_desc *d)
{
	struct srp_fr_pool *fb = ch->fb_pool;

	if (fb && d >= fb->desc && d < fb->desc + fb->size)
		return fb;
	return ch->fr_pool;
}

/**
 * srp_reg_count() - Count how a command was registered
 * @target: the target port
 * @pool: the pool its data MRs came from
 * @nmdesc: data MRs it took
 * @err: 0, or the error of mapping it
 */
void srp_reg_count(struct srp_target_port *target, struct srp_fr_pool *pool,
		   unsigned int nmdesc, int err)
{
	struct srp_reg_stats __percpu *st = target->reg_stats;
	bool fb = pool && pool->desc[0].mr->type != IB_MR_TYPE_MEM_REG;

	if (err == -ENOMEM) {
		this_cpu_inc(st->out_of_mrs);
	} else if (err) {
		if (!fb)
			return;
		this_cpu_inc(st->fallback_err);
		dev_warn_ratelimited(&target->scsi_host->shost_gendev,
				     "fallback registration failed (%d)\n", err);
	} else if (nmdesc > 1) {
		this_cpu_inc(st->multi_mr);
	} else if (nmdesc == 1 && fb) {
		this_cpu_inc(st->fallback);
	} else if (nmdesc == 1) {
		this_cpu_inc(st->page_list);
	}
}

/**
 * srp_reg_stats_sum() - Add up the per-CPU counters of a target port
 * @stats: the target port's counters
 * @sum: their sums
 */
void srp_reg_stats_sum(const struct srp_reg_stats __percpu *stats,
		       struct srp_reg_stats *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct srp_reg_stats *c = per_cpu_ptr(stats, cpu);

		sum->page_list += READ_ONCE(c->page_list);
		sum->fallback += READ_ONCE(c->fallback);
		sum->multi_mr += READ_ONCE(c->multi_mr);
		sum->out_of_mrs += READ_ONCE(c->out_of_mrs);
		sum->fallback_err += READ_ONCE(c->fallback_err);
	}
}

static struct srp_target_port *srp_reg_target(struct device *dev)
{
	return shost_priv(class_to_shost(dev));
}

static ssize_t reg_policy_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	const struct srp_reg_plan *plan = &srp_reg_target(dev)->reg_plan;
	const char *fb = "";

	if (plan->policy != SRP_REG_NEVER)
		fb = (plan->fb_entries ? plan->fb_type : plan->mr_type) ==
		     IB_MR_TYPE_INDIRECT ? " indirect" : " sg_gaps";
	return sysfs_emit(buf, "%s%s\n", srp_reg_policy_names[plan->policy],
			  fb);
}
static DEVICE_ATTR_RO(reg_policy);

#define SRP_REG_STAT_ATTR(name, field)					\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	struct srp_reg_stats sum;					\
									\
	srp_reg_stats_sum(srp_reg_target(dev)->reg_stats, &sum);	\
	return sysfs_emit(buf, "%lu\n", sum.field);			\
}									\
static DEVICE_ATTR_RO(name)

SRP_REG_STAT_ATTR(reg_page_list, page_list);
SRP_REG_STAT_ATTR(reg_fallback, fallback);
SRP_REG_STAT_ATTR(reg_multi_mr, multi_mr);
SRP_REG_STAT_ATTR(reg_out_of_mrs, out_of_mrs);
SRP_REG_STAT_ATTR(reg_fallback_errors, fallback_err);

static struct attribute *srp_reg_attrs[] = {
	&dev_attr_reg_policy.attr,
	&dev_attr_reg_page_list.attr,
	&dev_attr_reg_fallback.attr,
	&dev_attr_reg_multi_mr.attr,
	&dev_attr_reg_out_of_mrs.attr,
	&dev_attr_reg_fallback_errors.attr,
	NULL
};

/* next to SRP's other attributes of the SCSI host */
const struct attribute_group srp_reg_attr_group = {
	.attrs = srp_reg_attrs,
};
