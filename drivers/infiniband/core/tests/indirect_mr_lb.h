/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * What the suites of the indirect MR loopback test module share; see
 * indirect_mr_lb.c.
 */
#ifndef INDIRECT_MR_LB_H
#define INDIRECT_MR_LB_H

#include <kunit/test.h>
#include <linux/if_ether.h>
#include <rdma/ib_verbs.h>

#define LB_MEM		(3 * PAGE_SIZE)	/* target and source buffers */
#define LB_CANARY	0xc5
#define LB_TIMEOUT_MS	30000	/* a debug kernel under TCG is slow */
#define LB_MAX_MRS	40	/* the fast MRs of a 64 MiB benchmark */
#define LB_MAX_BUFS	24	/* its 4 MiB buffers */
/* distinct MRs of lb_indirect_spread(): more than rxe resolves on its stack */
#define LB_SPREAD	6
#define LB_SQ_DEPTH	32	/* send queue of the QPs of a case */
#define LB_CQ_DEPTH	512
#define LB_QKEY		0x1234	/* of the fault suite's UD pair */

/* An expected result that is any failure, see lb_expect_fails(). */
#define LB_ANY_ERROR	INT_MIN

#define RW_ACCESS (IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE | \
		   IB_ACCESS_REMOTE_READ)
/*
 * Only what posts atomics asks for remote atomic: some devices refuse a
 * registration that grants it (mlx5 with umr_modify_atomic_disabled).
 */
#define ATOMIC_ACCESS (RW_ACCESS | IB_ACCESS_REMOTE_ATOMIC)

struct lb_buf {
	u8		*cpu;
	u64		dma;
	size_t		len;
};

struct lb {
	struct kunit		*test;
	struct ib_device	*dev;
	bool			strict;	/* device-defined rules are rxe's */
	struct ib_pd		*pd, *pd2;
	struct ib_cq		*scq, *rcq;
	struct ib_qp		*qp[2];	/* [0] requester, [1] responder */
	struct ib_qp		*extra[2];	/* a case's second pair */
	u32			max_send_sge;	/* of new QPs; 0: 2 */
	const struct ib_gid_attr *gid;
	u8			dmac[ETH_ALEN];	/* loopback: our own */
	struct ib_mr		*mrs[LB_MAX_MRS];
	int			nmrs;
	struct lb_buf		bufs[LB_MAX_BUFS];
	int			nbufs;
	struct lb_buf		*scratch;	/* see lb_expect_fails() */
	/* stops what a case started beside it, before anything is freed */
	void			(*quiesce)(struct lb *lb);
	void			*quiesce_data;
};

int lb_init(struct kunit *test);
void lb_exit(struct kunit *test);
void lb_require_strict(struct lb *lb, const char *rule);
bool lb_strict_checks(struct lb *lb, const char *rule);
bool lb_atomics(struct lb *lb);
void lb_require_atomics(struct lb *lb);
bool lb_atomic_checks(struct lb *lb, const char *what);
int lb_qp_pair(struct lb *lb, struct ib_pd *pd, struct ib_qp **qp,
	       struct ib_cq *scq, struct ib_cq *rcq, u32 depth);
int lb_new_qps(struct lb *lb);

struct lb_buf *lb_buf(struct lb *lb, size_t len, u8 fill);
void lb_sync(struct lb *lb, struct lb_buf *b);
void lb_sync_dev(struct lb *lb, struct lb_buf *b);
void lb_pattern(struct lb *lb, struct lb_buf *b, u8 seed);
void *lb_kvcalloc(struct kunit *test, size_t n, size_t size);
struct ib_mr *lb_alloc_mr(struct lb *lb, struct ib_pd *pd,
			  enum ib_mr_type type, u32 n);
void lb_forget_mr(struct lb *lb, struct ib_mr *mr);
struct ib_mr *lb_fast_mr_at(struct lb *lb, struct ib_qp *qp,
			    struct lb_buf *b, u32 off, u32 len, int access);
struct ib_mr *lb_fast_mr(struct lb *lb, struct lb_buf *b, int access);
struct ib_mr *lb_free_fast_mr(struct lb *lb, struct lb_buf *b);
struct ib_mr *lb_indirect(struct lb *lb, struct lb_buf *b,
			  const u32 pieces[][2], int n, u32 lkey, int access);
struct ib_mr *lb_indirect_keys(struct lb *lb, struct lb_buf *b,
			       const u32 pieces[][2], int n, const u32 *lkeys,
			       int nkeys, int access);
struct ib_mr *lb_indirect_spread(struct lb *lb, struct lb_buf *b,
				 const u32 pieces[][2], int n);

int lb_post_chain(struct ib_qp *qp, struct ib_cq *cq,
		  const struct ib_send_wr *wr, bool spin);
int lb_reg_wait(struct ib_qp *qp, struct ib_cq *cq, struct ib_mr *mr, u32 key,
		int access);
int lb_inv_wait(struct ib_qp *qp, struct ib_cq *cq, u32 rkey);

int lb_wait(struct lb *lb, struct ib_cq *cq, struct ib_wc *wc);
int lb_wait_spin(struct lb *lb, struct ib_cq *cq, struct ib_wc *wc);
int lb_post_send(struct lb *lb, struct ib_qp *qp, struct ib_send_wr *wr);
int lb_reg(struct lb *lb, struct ib_mr *mr, int access);
int lb_expect_reg_fails(struct lb *lb, struct ib_qp *qp, struct ib_mr *mr,
			u32 key, int access, int want);
int lb_local_inv(struct lb *lb, u32 rkey);
int lb_rdma(struct lb *lb, enum ib_wr_opcode op, u64 addr, u32 len,
	    u32 lkey, u64 raddr, u32 rkey);
int lb_atomic(struct lb *lb, enum ib_wr_opcode op, struct lb_buf *res,
	      u64 raddr, u32 rkey, u64 compare, u64 swap_add);
int lb_send_recv(struct lb *lb, struct ib_sge *ssge, struct ib_sge *rsge,
		 int *recv, u32 *len);

bool lb_as_wanted(int got, int want);
int lb_direct_status(struct lb *lb, enum ib_wr_opcode op, u64 raddr, u32 len,
		     u32 rkey);
int lb_misaligned_atomic_status(struct lb *lb, int *direct);
void lb_expect_fails(struct lb *lb, enum ib_wr_opcode op, struct lb_buf *t,
		     u64 raddr, u32 len, u32 rkey, int want);
void lb_expect_fails_alike(struct lb *lb, enum ib_wr_opcode op, u32 len,
			   u64 draddr, u32 drkey, struct lb_buf *t,
			   u64 raddr, u32 rkey);

void lb_model(u8 *model, const u8 *mem, size_t mem_len, const u8 *src,
	      u32 len, const u32 pieces[][2], int n);
u32 lb_gather(u8 *dst, const u8 *mem, const u32 pieces[][2], int n);
void lb_expect_mem(struct lb *lb, struct lb_buf *b, const u8 *model,
		   const char *what);
void lb_ah_attr(struct lb *lb, struct rdma_ah_attr *ah);
int lb_connect(struct lb *lb, struct ib_qp *qp, u32 peer);
void lb_expect_read_gathers(struct lb *lb, struct lb_buf *t, u64 iova,
			    u32 rkey, const u32 pieces[][2], int n,
			    const char *what);
void lb_expect_write_lands(struct lb *lb, struct lb_buf *t, struct lb_buf *s,
			   u8 seed, u64 iova, u32 rkey, u32 off, u32 len,
			   const u32 pieces[][2], int n, const char *what);

#endif /* INDIRECT_MR_LB_H */
