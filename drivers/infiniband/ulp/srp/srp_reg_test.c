// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * KUnit tests of how the SRP initiator plans a target port's registration:
 * the MR pools, sg_tablesize and queue limits for each policy and device,
 * the SCSI host limits they set, which pool a descriptor returns to, and
 * how a command is counted.  ib_srp.c includes this file at its end when
 * CONFIG_INFINIBAND_SRP_KUNIT_TEST is set, so the suite is built into
 * ib_srp.
 */

#include <kunit/test.h>
#include <linux/sizes.h>
#include <scsi/scsi_host.h>
#include <scsi/srp.h>

#include "ib_srp.h"
#include "srp_reg.h"

#define T_IND	(IBK_INDIRECT_REG | IBK_SG_GAPS_REG)
#define T_GAPS	IBK_SG_GAPS_REG
#define T_MASK	(~(u64)(SZ_4K - 1))

struct t_plan_case {
	const char		*name;
	/* the device */
	u64			caps;
	bool			fast_reg;
	u32			page_list_len;
	u32			indirect_len;
	unsigned int		seg_size;
	/* the target port */
	enum srp_reg_policy	policy;
	unsigned int		max_sectors;
	/* the plan */
	enum srp_reg_policy	want_policy;
	enum ib_mr_type		want_mr_type;
	u32			want_mr_entries;
	enum ib_mr_type		want_fb_type;
	u32			want_fb_entries;
	unsigned int		want_sg_tablesize;
	bool			want_boundary;
	unsigned int		want_seg_size;
};

static const struct t_plan_case t_plan_cases[] = {
	{ "indirect device, auto: page lists and indirect fallback",
	  T_IND, true, 512, 65536, UINT_MAX, SRP_REG_AUTO, 1024,
	  SRP_REG_AUTO, IB_MR_TYPE_MEM_REG, 129, IB_MR_TYPE_INDIRECT, 128,
	  128, false, IB_INDIRECT_MAX_ENTRY_LEN },
	{ "indirect device, always: indirect MRs only",
	  T_IND, true, 512, 65536, UINT_MAX, SRP_REG_ALWAYS, 1024,
	  SRP_REG_ALWAYS, IB_MR_TYPE_INDIRECT, 128, 0, 0,
	  128, false, IB_INDIRECT_MAX_ENTRY_LEN },
	{ "indirect device, never: SG_GAPS MRs as Linux 6.12",
	  T_IND, true, 512, 65536, UINT_MAX, SRP_REG_NEVER, 1024,
	  SRP_REG_NEVER, IB_MR_TYPE_SG_GAPS, 512, 0, 0,
	  0, false, UINT_MAX },
	{ "SG_GAPS device, auto: SG_GAPS fallback",
	  T_GAPS, true, 256, 0, SZ_1G, SRP_REG_AUTO, 1024,
	  SRP_REG_AUTO, IB_MR_TYPE_MEM_REG, 129, IB_MR_TYPE_SG_GAPS, 128,
	  128, false, SZ_1G },
	{ "page-list device, auto: Linux 6.12, virt_boundary, no segment limit",
	  0, true, 512, 0, SZ_64K, SRP_REG_AUTO, 1024,
	  SRP_REG_NEVER, IB_MR_TYPE_MEM_REG, 512, 0, 0,
	  0, true, UINT_MAX },
	{ "page-list device, never: virt_boundary, no segment limit",
	  0, true, 512, 0, SZ_1G, SRP_REG_NEVER, 1024,
	  SRP_REG_NEVER, IB_MR_TYPE_MEM_REG, 512, 0, 0,
	  0, true, UINT_MAX },
	{ "indirect device without fast registration: Linux 6.12",
	  T_IND, false, 512, 65536, SZ_64K, SRP_REG_AUTO, 1024,
	  SRP_REG_NEVER, IB_MR_TYPE_SG_GAPS, 512, 0, 0,
	  0, false, SZ_64K },
	{ "short indirect lists bound sg_tablesize",
	  T_IND, true, 512, 64, UINT_MAX, SRP_REG_AUTO, 1024,
	  SRP_REG_AUTO, IB_MR_TYPE_MEM_REG, 129, IB_MR_TYPE_INDIRECT, 64,
	  64, false, IB_INDIRECT_MAX_ENTRY_LEN },
	{ "large max_sect: sg_tablesize at most SG_MAX_SEGMENTS",
	  T_IND, true, 512, 65536, UINT_MAX, SRP_REG_AUTO, 32768,
	  SRP_REG_AUTO, IB_MR_TYPE_MEM_REG, 512, IB_MR_TYPE_INDIRECT,
	  SG_MAX_SEGMENTS, SG_MAX_SEGMENTS, false,
	  IB_INDIRECT_MAX_ENTRY_LEN },
	{ "small max_sect: one entry per 4 KiB page, rounded up",
	  T_IND, true, 512, 65536, UINT_MAX, SRP_REG_ALWAYS, 20,
	  SRP_REG_ALWAYS, IB_MR_TYPE_INDIRECT, 3, 0, 0,
	  3, false, IB_INDIRECT_MAX_ENTRY_LEN },
	{ "SG_GAPS device with short page lists bounds sg_tablesize",
	  T_GAPS, true, 64, 0, SZ_1G, SRP_REG_AUTO, 1024,
	  SRP_REG_AUTO, IB_MR_TYPE_MEM_REG, 64, IB_MR_TYPE_SG_GAPS, 64,
	  64, false, SZ_1G },
	{ "device DMA limit below the indirect entry limit is kept",
	  T_IND, true, 512, 65536, SZ_64K, SRP_REG_AUTO, 1024,
	  SRP_REG_AUTO, IB_MR_TYPE_MEM_REG, 129, IB_MR_TYPE_INDIRECT, 128,
	  128, false, SZ_64K },
};

static void t_plan_desc(const struct t_plan_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(t_plan, t_plan_cases, t_plan_desc);

static void t_dev(struct srp_reg_dev *rd, const struct t_plan_case *c)
{
	memset(rd, 0, sizeof(*rd));
	rd->caps = c->caps;
	rd->fast_reg = c->fast_reg;
	rd->max_pages_per_mr = c->page_list_len;
	rd->max_page_list_len = c->page_list_len;
	rd->max_indirect_len = c->indirect_len;
	rd->max_seg_size = c->seg_size;
	rd->mr_page_mask = T_MASK;
}

/* The plan of each policy and device, and the limits it sets. */
static void srp_reg_test_plan(struct kunit *test)
{
	const struct t_plan_case *c = test->param_value;
	struct Scsi_Host *shost;
	struct srp_reg_plan p;
	struct srp_reg_dev rd;

	t_dev(&rd, c);
	srp_reg_plan_init(&p, &rd, c->policy, c->max_sectors);
	KUNIT_EXPECT_EQ(test, p.policy, c->want_policy);
	KUNIT_EXPECT_EQ(test, p.mr_type, c->want_mr_type);
	KUNIT_EXPECT_EQ(test, p.mr_entries, c->want_mr_entries);
	KUNIT_EXPECT_EQ(test, p.fb_entries, c->want_fb_entries);
	if (c->want_fb_entries)
		KUNIT_EXPECT_EQ(test, p.fb_type, c->want_fb_type);
	KUNIT_EXPECT_EQ(test, p.sg_tablesize, c->want_sg_tablesize);
	KUNIT_EXPECT_EQ(test, p.virt_boundary_mask,
			c->want_boundary ? (unsigned long)(SZ_4K - 1) : 0UL);
	KUNIT_EXPECT_EQ(test, p.max_segment_size, c->want_seg_size);

	/* the SCSI host gets exactly these limits */
	shost = kunit_kzalloc(test, sizeof(*shost), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, shost);
	shost->virt_boundary_mask = 0x1ff;
	shost->max_segment_size = 12345;
	srp_reg_set_limits(shost, &p);
	KUNIT_EXPECT_EQ(test, shost->virt_boundary_mask, p.virt_boundary_mask);
	KUNIT_EXPECT_EQ(test, shost->max_segment_size, p.max_segment_size);
}

/* A virt_boundary never comes with a segment limit below UINT_MAX. */
static void srp_reg_test_boundary_unlimited(struct kunit *test)
{
	static const unsigned int seg[] = { SZ_64K, SZ_1G, UINT_MAX };
	static const enum srp_reg_policy pol[] = {
		SRP_REG_AUTO, SRP_REG_ALWAYS, SRP_REG_NEVER };
	static const u64 caps[] = { 0, T_GAPS, T_IND };
	struct t_plan_case c = { .fast_reg = true, .page_list_len = 512,
				 .indirect_len = 4096, .max_sectors = 1024 };
	struct srp_reg_plan p;
	struct srp_reg_dev rd;
	int i, j, k, n = 0;

	for (i = 0; i < ARRAY_SIZE(seg); i++)
		for (j = 0; j < ARRAY_SIZE(pol); j++)
			for (k = 0; k < ARRAY_SIZE(caps); k++) {
				c.seg_size = seg[i];
				c.caps = caps[k];
				t_dev(&rd, &c);
				srp_reg_plan_init(&p, &rd, pol[j], 1024);
				if (!p.virt_boundary_mask) {
					KUNIT_EXPECT_LE(test,
							p.max_segment_size,
							seg[i]);
					continue;
				}
				n++;
				KUNIT_EXPECT_EQ(test, p.max_segment_size,
						UINT_MAX);
				KUNIT_EXPECT_EQ(test, caps[k], 0);
			}
	KUNIT_EXPECT_EQ(test, n, ARRAY_SIZE(seg) * ARRAY_SIZE(pol));
}

struct t_pools {
	struct srp_rdma_ch	ch;
	struct srp_fr_pool	*fr, *fb;
	struct ib_mr		mr[2];
};

static struct srp_fr_pool *t_pool(struct kunit *test, int n, struct ib_mr *mr)
{
	struct srp_fr_pool *pool;
	int i;

	pool = kunit_kzalloc(test, struct_size(pool, desc, n), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	pool->size = n;
	for (i = 0; i < n; i++)
		pool->desc[i].mr = mr;
	return pool;
}

static struct t_pools *t_pools(struct kunit *test, bool fb)
{
	struct t_pools *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->mr[0].type = IB_MR_TYPE_MEM_REG;
	t->mr[1].type = IB_MR_TYPE_INDIRECT;
	t->fr = t_pool(test, 3, &t->mr[0]);
	t->ch.fr_pool = t->fr;
	if (fb) {
		t->fb = t_pool(test, 3, &t->mr[1]);
		t->ch.fb_pool = t->fb;
	}
	return t;
}

/* Every descriptor goes back to the pool it came from. */
static void srp_reg_test_desc_pool(struct kunit *test)
{
	struct t_pools *t = t_pools(test, true);
	struct t_pools *one = t_pools(test, false);
	int i;

	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_PTR_EQ(test, srp_reg_desc_pool(&t->ch,
							    &t->fr->desc[i]),
				    t->fr);
		KUNIT_EXPECT_PTR_EQ(test, srp_reg_desc_pool(&t->ch,
							    &t->fb->desc[i]),
				    t->fb);
		KUNIT_EXPECT_PTR_EQ(test, srp_reg_desc_pool(&one->ch,
							    &one->fr->desc[i]),
				    one->fr);
	}
}

static void t_free_percpu(void *p)
{
	free_percpu((void __percpu __force *)p);
}

/* Each registration lands in exactly one counter, on the CPU it ran on. */
static void srp_reg_test_count(struct kunit *test)
{
	struct t_pools *t = t_pools(test, true);
	struct srp_target_port *target;
	struct srp_reg_stats st;
	int cpu, err;

	target = kunit_kzalloc(test, sizeof(*target), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, target);
	/* a failed fallback is reported on the host's device */
	target->scsi_host = kunit_kzalloc(test, sizeof(*target->scsi_host),
					  GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, target->scsi_host);
	target->reg_stats = alloc_percpu(struct srp_reg_stats);
	KUNIT_ASSERT_FALSE(test, !target->reg_stats);
	err = kunit_add_action_or_reset(test, t_free_percpu,
					(void __force *)target->reg_stats);
	KUNIT_ASSERT_EQ(test, err, 0);
	srp_reg_count(target, t->fr, 1, 0);
	srp_reg_count(target, t->fr, 1, 0);
	srp_reg_count(target, t->fb, 1, 0);
	srp_reg_count(target, t->fr, 3, 0);
	srp_reg_count(target, t->fr, 2, -ENOMEM);
	srp_reg_count(target, t->fb, 0, -ENOMEM);
	srp_reg_count(target, t->fr, 0, -EINVAL);	/* not a fallback */
	srp_reg_count(target, t->fb, 0, -EINVAL);
	srp_reg_count(target, t->fb, 0, -EIO);
	srp_reg_count(target, NULL, 0, 0);		/* nothing registered */
	srp_reg_stats_sum(target->reg_stats, &st);
	KUNIT_EXPECT_EQ(test, st.page_list, 2);
	KUNIT_EXPECT_EQ(test, st.fallback, 1);
	KUNIT_EXPECT_EQ(test, st.multi_mr, 1);
	KUNIT_EXPECT_EQ(test, st.out_of_mrs, 2);
	KUNIT_EXPECT_EQ(test, st.fallback_err, 2);
	/* the counts of every CPU add up */
	cpu = cpumask_last(cpu_possible_mask);
	per_cpu_ptr(target->reg_stats, cpu)->fallback += 3;
	srp_reg_stats_sum(target->reg_stats, &st);
	KUNIT_EXPECT_EQ(test, st.fallback, 4);
}

/*
 * A target port being added whose MRs fail for lack of memory plans again
 * as Linux 6.12 did, once; other errors and 6.12's own plan fail the login.
 */
static void srp_reg_test_degrade(struct kunit *test)
{
	struct srp_target_port *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->reg_policy = SRP_REG_AUTO;
	t->reg_plan.policy = SRP_REG_AUTO;
	KUNIT_EXPECT_FALSE(test, srp_reg_degrade(t, -EINVAL));
	KUNIT_EXPECT_EQ(test, t->reg_policy, SRP_REG_AUTO);
	KUNIT_EXPECT_EQ(test, t->reg_plan_6_12, 0);
	KUNIT_EXPECT_TRUE(test, srp_reg_degrade(t, -ENOMEM));
	KUNIT_EXPECT_EQ(test, t->reg_policy, SRP_REG_NEVER);
	KUNIT_EXPECT_EQ(test, t->reg_plan_6_12, 1);

	/* the plan add_target then makes: 6.12's, which cannot degrade */
	t->reg_plan.policy = SRP_REG_NEVER;
	KUNIT_EXPECT_FALSE(test, srp_reg_degrade(t, -ENOMEM));
	KUNIT_EXPECT_EQ(test, t->reg_plan_6_12, 1);

	t->reg_policy = SRP_REG_ALWAYS;
	t->reg_plan.policy = SRP_REG_ALWAYS;
	KUNIT_EXPECT_TRUE(test, srp_reg_degrade(t, -ENOMEM));
	KUNIT_EXPECT_EQ(test, t->reg_policy, SRP_REG_NEVER);
	KUNIT_EXPECT_EQ(test, t->reg_plan_6_12, 2);
}

static struct kunit_case srp_reg_test_cases[] = {
	KUNIT_CASE_PARAM(srp_reg_test_plan, t_plan_gen_params),
	KUNIT_CASE(srp_reg_test_boundary_unlimited),
	KUNIT_CASE(srp_reg_test_desc_pool),
	KUNIT_CASE(srp_reg_test_count),
	KUNIT_CASE(srp_reg_test_degrade),
	{}
};

static struct kunit_suite srp_reg_test_suite = {
	.name = "ib_srp_reg",
	.test_cases = srp_reg_test_cases,
};

kunit_test_suite(srp_reg_test_suite);
