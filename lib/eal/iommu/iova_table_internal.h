/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_IOVA_TABLE_INTERNAL_H
#define KEEL_IOVA_TABLE_INTERNAL_H

/*
 * The IOVA map table's state and writer helpers, shared by iova_table.c
 * (map), iova_table_unmap.c (unmap) and iova_table_read.c (lookups, walk,
 * stats, dump, self-check). Locking is described in iova_table.c.
 */
#include <pthread.h>

#include "iova_btree.h"
#include "iova_store.h"
#include "iova_table.h"

struct iova_table {
	/* read by lookups (no lock) */
	struct iova_store st;   /* reuse_seq, entry directory */
	struct bt_roots roots;

	/* writers */
	pthread_mutex_t lock __attribute__((aligned(64)));
	const struct keel_iommu_backend_ops *ops;
	void *priv;
	struct keel_iommu_caps caps;
	uint64_t min_pg;
	struct uvec cov;        /* scratch: entries an unmap covers */

	uint64_t n_entries;     /* mappings (placeholders not counted) */
	uint64_t bytes;
	uint64_t n_chunks;      /* backend mappings on a strict backend */
	uint64_t backend_maps;
	uint64_t backend_unmaps;
	uint64_t backend_errors;
	uint64_t merges;
	uint64_t splits;
	uint64_t refused;
	uint64_t waits;         /* unmaps that waited for a device */
};

/* how many mappings the backend holds (for stats and ENOSPC messages);
 * t->lock held */
uint64_t iova_table_backend_usage(struct iova_table *t);
/* iova_table_check_request() with t->lock held (counts no refusal) */
int iova_table_check_locked(struct iova_table *t, const char *op,
			    uint64_t va, uint64_t iova, uint64_t len,
			    bool is_map);
/* log lines shared by map and unmap; nomem returns -ENOMEM */
void iova_table_log_enospc(struct iova_table *t, const char *op,
			   uint64_t iova, uint64_t len);
int iova_table_nomem(struct iova_table *t, const char *op, uint64_t iova,
		     uint64_t len);

/* nodes a delete of one element can need in a tree of @p depth levels
 * (path copies, a sibling per level, slack for the depth to grow by one) */
#define DELETE_NODES(depth) (2 * ((depth) + 1) + 2)
/* the most it can be: the private reserve of a waiting unmap */
#define ONE_DELETE_NODES DELETE_NODES(BT_MAX_DEPTH)

/* ---- writer helpers (t->lock held) ---- */

static inline void
tx_begin(struct iova_table *t, struct iova_txn *x)
{
	struct bt_node *roots[2];

	roots[0] = atomic_load_explicit(&t->roots.r[0], memory_order_relaxed);
	roots[1] = atomic_load_explicit(&t->roots.r[1], memory_order_relaxed);
	if (t->st.txn_id == UINT32_MAX) {
		/* the 32-bit tags are about to wrap: no published node may
		 * look fresh to a later transaction */
		bt_w_clear_txn(roots[0]);
		bt_w_clear_txn(roots[1]);
		t->st.txn_id = 0;
	}
	txn_begin(x, &t->st, roots);
}

static inline void
tx_commit(struct iova_table *t, struct iova_txn *x)
{
	txn_commit(x, t->roots.r);
}

/* levels of the deeper of the two trees */
static inline unsigned int
tree_depth(struct iova_table *t)
{
	unsigned int a = bt_w_depth(atomic_load_explicit(&t->roots.r[TR_IOVA],
							 memory_order_relaxed));
	unsigned int b = bt_w_depth(atomic_load_explicit(&t->roots.r[TR_VA],
							 memory_order_relaxed));

	return a > b ? a : b;
}

/* the published entry @p idx (writer view) */
static inline struct iova_entry *
E(struct iova_table *t, uint32_t idx)
{
	return es_w(&t->st, idx);
}

static inline uint64_t
e_last(const struct iova_entry *e)
{
	return e->iova + e->len - 1;
}

static inline uint64_t
e_chunk(const struct iova_entry *e)
{
	return e->chunk_fl & ~(uint64_t)IOVA_E_FLAGS;
}

static inline bool
e_dying(const struct iova_entry *e)
{
	return e->chunk_fl & IOVA_E_DYING;
}

/* entry @p e becomes part of the table in transaction @p x */
static inline uint32_t
tx_add(struct iova_txn *x, const struct iova_entry *e, bool index_va)
{
	uint32_t idx = txn_entry_new(x, e);

	if (idx == 0)
		return 0;
	bt_insert(x, TR_IOVA, e->iova, idx);
	if (index_va)
		bt_insert(x, TR_VA, e->va, idx);
	return x->err ? 0 : idx;
}

/* entry @p idx leaves the table in transaction @p x */
static inline void
tx_remove(struct iova_table *t, struct iova_txn *x, uint32_t idx)
{
	const struct iova_entry *e = E(t, idx);

	if (bt_delete(x, TR_IOVA, e->iova, idx) == 0 && !e_dying(e))
		bt_delete(x, TR_VA, e->va, idx);
	txn_entry_drop(x, idx);
}

#endif /* KEEL_IOVA_TABLE_INTERNAL_H */
