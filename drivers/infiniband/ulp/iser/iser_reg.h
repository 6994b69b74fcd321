/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * How iSER registers the data buffer of a command (iser_reg.c).
 */

#ifndef _ISER_REG_H
#define _ISER_REG_H

#include <linux/atomic.h>
#include <rdma/ib_verbs.h>

struct iscsi_stats;
struct iser_conn;
struct iser_data_buf;
struct iser_fr_desc;
struct iser_reg_resources;

/**
 * enum iser_reg_policy - the module parameter reg_policy
 * @ISER_REG_AUTO: a page-list MR for lists it maps, the fallback MR for
 *	the others, no virt_boundary
 * @ISER_REG_ALWAYS: every command through the fallback MR
 * @ISER_REG_NEVER: the registration of Linux 6.12: an SG_GAPS MR for
 *	every command where the device has IBK_SG_GAPS_REG, else a page-list
 *	MR and a 4 KiB virt_boundary
 */
enum iser_reg_policy {
	ISER_REG_AUTO,
	ISER_REG_ALWAYS,
	ISER_REG_NEVER,
};

/**
 * struct iser_reg_plan - the MRs of a connection, fixed at address resolution
 * @mr_type: type of every descriptor's rsc.mr
 * @fb_type: type of rsc.fb_mr when @has_fb
 * @has_fb: descriptors carry a fallback MR next to rsc.mr
 * @gaps: some MR of the connection maps any list, so no virt_boundary
 * @new_mrs: the plan has indirect or SG_GAPS MRs that 6.12's had not
 * @degraded: 6.12's plan, taken after the pool of a new plan could not be
 *	allocated (iser_reg_degrade())
 * @fb_entries: entries of a fallback MR (a command's scatterlist)
 */
struct iser_reg_plan {
	enum ib_mr_type	mr_type;
	enum ib_mr_type	fb_type;
	bool		has_fb;
	bool		gaps;
	bool		new_mrs;
	bool		degraded;
	u32		fb_entries;
};

/**
 * struct iser_reg_stats - how the commands of a connection were registered
 * @dma_lkey: single-entry buffers sent with the local DMA lkey
 * @page_list: through a page-list (IB_MR_TYPE_MEM_REG) MR
 * @fallback: through an SG_GAPS or indirect MR
 * @fallback_err: fallback registrations that failed
 * @plan_6_12: times the connection took 6.12's plan because the pool of
 *	its own could not be allocated (iser_reg_degrade())
 */
struct iser_reg_stats {
	atomic64_t	dma_lkey;
	atomic64_t	page_list;
	atomic64_t	fallback;
	atomic64_t	fallback_err;
	atomic64_t	plan_6_12;
};

struct Scsi_Host;

bool iser_reg_degrade(struct iser_conn *iser_conn, struct Scsi_Host *shost);
bool iser_reg_calc_scsi_params(struct iser_conn *iser_conn,
			       unsigned int max_sectors);
int iser_reg_alloc_mrs(struct iser_reg_resources *rsc, struct ib_pd *pd,
		       const struct iser_reg_plan *plan, unsigned int size);
void iser_reg_free_mrs(struct iser_reg_resources *rsc);
struct ib_mr *iser_reg_pick_mr(struct iser_conn *iser_conn,
			       struct iser_fr_desc *desc,
			       struct iser_data_buf *mem);
void iser_reg_count(struct iser_conn *iser_conn, struct ib_mr *mr, int err);
void iser_reg_get_stats(struct iser_conn *iser_conn,
			struct iscsi_stats *stats);

#endif /* _ISER_REG_H */
