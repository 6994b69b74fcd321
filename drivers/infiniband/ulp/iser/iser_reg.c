// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * How iSER registers the data buffer of a command.
 *
 * A page-list (fast registration) MR maps a scatterlist only when every
 * element but the first starts on a page boundary and every element but
 * the last ends on one.  Where the device has an MR that maps any list (an
 * indirect MR with IBK_INDIRECT_REG, else an SG_GAPS MR with
 * IBK_SG_GAPS_REG), the policy "auto" gives each command descriptor both:
 * the page list, cheaper for the device to walk, for the lists it maps,
 * and the other, the fallback, for the rest; the block layer then needs
 * no virt_boundary and never splits a request for its gaps.  "always"
 * registers every command through the fallback MR, "never" as Linux 6.12
 * did.  The T10-PI path (signature MRs) is not changed: a connection with
 * T10-PI registers as 6.12 did.
 *
 * Each descriptor of the pool carries every MR a command may need, and
 * the pool holds one descriptor per command, so choosing the fallback
 * never waits for or runs out of an MR.  See
 * Documentation/infiniband/indirect_mr.rst.
 */

#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <scsi/scsi_host.h>

#include "iscsi_iser.h"

static const char * const iser_reg_policy_names[] = {
	[ISER_REG_AUTO]		= "auto",
	[ISER_REG_ALWAYS]	= "always",
	[ISER_REG_NEVER]	= "never",
};

static int iser_reg_policy = ISER_REG_AUTO;

static int iser_reg_policy_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(iser_reg_policy_names, val);

	if (i < 0)
		return -EINVAL;
	*(int *)kp->arg = i;
	return 0;
}

static int iser_reg_policy_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", iser_reg_policy_names[*(int *)kp->arg]);
}

static const struct kernel_param_ops iser_reg_policy_ops = {
	.set = iser_reg_policy_set,
	.get = iser_reg_policy_get,
};

module_param_cb(reg_policy, &iser_reg_policy_ops, &iser_reg_policy, 0444);
MODULE_PARM_DESC(reg_policy,
		 "How commands are registered: auto (page list where it maps the buffer, else an indirect or SG_GAPS MR; default), always (indirect or SG_GAPS MR), never (as Linux 6.12)");

static void iser_reg_plan_init(struct iser_reg_plan *plan,
			       struct ib_device *ib_dev, bool pi_support)
{
	u64 caps = ib_dev->attrs.kernel_cap_flags;
	enum ib_mr_type fb_type = caps & IBK_INDIRECT_REG ?
				  IB_MR_TYPE_INDIRECT : IB_MR_TYPE_SG_GAPS;

	bool degraded = plan->degraded;

	memset(plan, 0, sizeof(*plan));
	/* Linux 6.12 */
	plan->degraded = degraded;
	plan->gaps = caps & IBK_SG_GAPS_REG;
	plan->mr_type = plan->gaps ? IB_MR_TYPE_SG_GAPS : IB_MR_TYPE_MEM_REG;
	if (pi_support || !plan->gaps || iser_reg_policy == ISER_REG_NEVER ||
	    degraded)
		return;
	plan->new_mrs = true;
	if (iser_reg_policy == ISER_REG_ALWAYS) {
		plan->mr_type = fb_type;
		return;
	}
	plan->mr_type = IB_MR_TYPE_MEM_REG;
	plan->fb_type = fb_type;
	plan->has_fb = true;
}

/**
 * iser_reg_calc_scsi_params() - Choose the MRs of a connection and size them
 * @iser_conn: the connection, its device known
 * @max_sectors: the largest command, in sectors
 *
 * Sets the connection's registration plan.  Where commands may go through
 * an indirect or SG_GAPS MR, that MR holds as many entries as Linux 6.12's
 * page list has pages for the largest command (at most what the device
 * maps), and the SCSI host's sg_tablesize is that count: the block layer
 * splits a request with more segments, where 6.12 split it at every gap.
 * A page-list MR next to it holds a whole aligned command plus one page
 * for a misaligned start.
 *
 * Return: true if it set scsi_sg_tablesize and pages_per_mr; false if
 * the connection registers as Linux 6.12 did, whose computation the
 * caller then makes.
 */
bool iser_reg_calc_scsi_params(struct iser_conn *iser_conn,
			       unsigned int max_sectors)
{
	struct ib_conn *ib_conn = &iser_conn->ib_conn;
	struct ib_device_attr *attr = &ib_conn->device->ib_device->attrs;
	struct iser_reg_plan *plan = &ib_conn->reg_plan;
	enum ib_mr_type fb_type;
	u32 entries;
	u64 pages;

	iser_reg_plan_init(plan, ib_conn->device->ib_device,
			   ib_conn->pi_support);
	fb_type = plan->has_fb ? plan->fb_type : plan->mr_type;
	if (fb_type != IB_MR_TYPE_INDIRECT && !plan->has_fb)
		return false;

	entries = fb_type == IB_MR_TYPE_INDIRECT ?
		  attr->max_indirect_reg_list_len :
		  attr->max_fast_reg_page_list_len;
	/* the 4 KiB pages of the largest command, as 6.12's page list */
	pages = DIV_ROUND_UP_ULL((u64)max_sectors * SECTOR_SIZE, SZ_4K);
	entries = min3(entries, (u32)min_t(u64, pages, U32_MAX),
		       (u32)ISCSI_ISER_MAX_SG_TABLESIZE);
	/* and one more for a misaligned start */
	pages = min_t(u64, pages + 1, ISCSI_ISER_MAX_SG_TABLESIZE + 1);
	pages = min_t(u64, pages, attr->max_fast_reg_page_list_len);
	plan->fb_entries = entries;
	iser_conn->scsi_sg_tablesize = entries;
	iser_conn->pages_per_mr = plan->has_fb ? pages : entries;
	return true;
}

/**
 * iser_reg_degrade() - Take Linux 6.12's plan when the MRs of this one failed
 * @iser_conn: the connection whose descriptor pool could not be allocated
 * @shost: the session's SCSI host
 *
 * A plan with indirect or SG_GAPS MRs 6.12 did not have (iser_reg_plan_init)
 * needs more memory; when its pool cannot be allocated, the connection
 * registers as 6.12 did instead of failing the login, with one rate-limited
 * message and the counter reg_plan_6_12 of the connection.  That is only
 * possible while the session has no SCSI device: a device's queue keeps
 * the limits (no virt_boundary, sg_tablesize) it was created with, so a
 * reconnect fails instead, as 6.12's does when it cannot allocate its
 * pool, and the session retries.
 *
 * Return: true if the connection now has 6.12's plan and the caller may
 * allocate its pool again.
 */
bool iser_reg_degrade(struct iser_conn *iser_conn, struct Scsi_Host *shost)
{
	struct ib_conn *ib_conn = &iser_conn->ib_conn;
	struct iser_reg_plan *plan = &ib_conn->reg_plan;
	unsigned long flags;
	bool has_devices;

	if (!plan->new_mrs)
		return false;
	spin_lock_irqsave(shost->host_lock, flags);
	has_devices = !list_empty(&shost->__devices);
	spin_unlock_irqrestore(shost->host_lock, flags);
	if (has_devices)
		return false;

	plan->degraded = true;
	iser_calc_scsi_params(iser_conn, iser_max_sectors);
	shost->sg_tablesize = iser_conn->scsi_sg_tablesize;
	if (!plan->gaps)
		shost->virt_boundary_mask = SZ_4K - 1;
	shost->max_sectors = min_t(unsigned int, iser_max_sectors,
				   (shost->sg_tablesize * PAGE_SIZE) >> 9);
	atomic64_inc(&ib_conn->reg_stats.plan_6_12);
	pr_warn_ratelimited("iser: conn %p: no memory for the fallback MRs, registering as Linux 6.12\n",
			    iser_conn);
	return true;
}

/**
 * iser_reg_alloc_mrs() - Allocate the MRs of one command descriptor
 * @rsc: the descriptor's resources
 * @pd: protection domain
 * @plan: the connection's plan
 * @size: entries of rsc->mr (pages_per_mr)
 *
 * Return: 0, or the negative errno of ib_alloc_mr(), with nothing
 * allocated.
 */
int iser_reg_alloc_mrs(struct iser_reg_resources *rsc, struct ib_pd *pd,
		       const struct iser_reg_plan *plan, unsigned int size)
{
	struct ib_mr *mr;

	mr = ib_alloc_mr(pd, plan->mr_type, size);
	if (IS_ERR(mr))
		return PTR_ERR(mr);
	rsc->mr = mr;
	if (!plan->has_fb)
		return 0;
	mr = ib_alloc_mr(pd, plan->fb_type, plan->fb_entries);
	if (IS_ERR(mr)) {
		ib_dereg_mr(rsc->mr);
		rsc->mr = NULL;
		return PTR_ERR(mr);
	}
	rsc->fb_mr = mr;
	return 0;
}

/**
 * iser_reg_free_mrs() - Free what iser_reg_alloc_mrs() allocated
 * @rsc: the descriptor's resources
 */
void iser_reg_free_mrs(struct iser_reg_resources *rsc)
{
	if (rsc->fb_mr)
		ib_dereg_mr(rsc->fb_mr);
	rsc->fb_mr = NULL;
	ib_dereg_mr(rsc->mr);
	rsc->mr = NULL;
}

/**
 * iser_reg_pick_mr() - The MR that registers a command's buffer
 * @iser_conn: the connection
 * @desc: the command's descriptor
 * @mem: the DMA-mapped buffer
 *
 * The page-list MR when a page list maps the whole buffer
 * (ib_sg_pages_fit(), which costs no registration), else the fallback
 * MR.  Without a fallback MR, the descriptor's only MR.
 *
 * Return: the MR to map and register.
 */
struct ib_mr *iser_reg_pick_mr(struct iser_conn *iser_conn,
			       struct iser_fr_desc *desc,
			       struct iser_data_buf *mem)
{
	struct iser_reg_resources *rsc = &desc->rsc;

	if (rsc->fb_mr &&
	    !ib_sg_pages_fit(rsc->mr, mem->sg, mem->dma_nents, 0, SZ_4K))
		return rsc->fb_mr;
	return rsc->mr;
}

/**
 * iser_reg_count() - Count a registration
 * @iser_conn: the connection
 * @mr: the MR used, or NULL for the local DMA lkey
 * @err: 0, or the error of mapping @mr
 */
void iser_reg_count(struct iser_conn *iser_conn, struct ib_mr *mr, int err)
{
	struct iser_reg_stats *st = &iser_conn->ib_conn.reg_stats;

	if (!mr) {
		atomic64_inc(&st->dma_lkey);
	} else if (mr->type == IB_MR_TYPE_MEM_REG) {
		/* a failed page-list map is logged by iser_fast_reg_mr() */
		if (!err)
			atomic64_inc(&st->page_list);
	} else if (!err) {
		atomic64_inc(&st->fallback);
	} else {
		atomic64_inc(&st->fallback_err);
		pr_warn_ratelimited("iser: conn %p: fallback registration failed (%d)\n",
				    iser_conn, err);
	}
}

/**
 * iser_reg_get_stats() - The registration counters as custom iSCSI stats
 * @iser_conn: the connection, or NULL if none is bound
 * @stats: filled from custom[0]; custom_length is set
 *
 * An administrator reads them with iscsiadm -m session -r SID -s.
 */
void iser_reg_get_stats(struct iser_conn *iser_conn, struct iscsi_stats *stats)
{
	static const char * const names[] = {
		"reg_dma_lkey", "reg_page_list", "reg_fallback",
		"reg_fallback_errors", "reg_plan_6_12",
	};
	struct iser_reg_stats *st;
	s64 v[ARRAY_SIZE(names)];
	int i;

	stats->custom_length = 0;
	if (!iser_conn)
		return;
	st = &iser_conn->ib_conn.reg_stats;
	v[0] = atomic64_read(&st->dma_lkey);
	v[1] = atomic64_read(&st->page_list);
	v[2] = atomic64_read(&st->fallback);
	v[3] = atomic64_read(&st->fallback_err);
	v[4] = atomic64_read(&st->plan_6_12);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		strscpy(stats->custom[i].desc, names[i],
			sizeof(stats->custom[i].desc));
		stats->custom[i].value = v[i];
	}
	stats->custom_length = ARRAY_SIZE(names);
}
