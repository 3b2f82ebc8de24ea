/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_IOVA_STORE_H
#define KEEL_IOVA_STORE_H

/*
 * The memory of one IOVA map table: its entries (32 bytes each, addressed
 * by a 32-bit index) and the 512-byte nodes of its two B+trees, with the
 * copy-on-write transactions that change them and the reuse protocol that
 * lets lookups run without locks.
 *
 * Lock-free reading (see iova_btree.c for the readers):
 *  - Published nodes and entries are never written. A writer copies what
 *    it changes (a transaction), then publishes new roots with a release
 *    store; what the new roots no longer reach is retired to `limbo`.
 *  - Memory is type-stable: nodes and entries are never returned to the
 *    system while the table lives, only reused. Before any retired node or
 *    entry is written again, the writer bumps `reuse_seq` (one bump per
 *    batch moved from limbo to the free lists).
 *  - A reader samples reuse_seq, walks, and checks reuse_seq again before
 *    it follows a pointer or returns what it read. Unchanged: nothing it
 *    read was reused, so it read a state that was published at some point
 *    during the lookup. Changed: it retries. A lookup never waits for a
 *    writer and never writes shared memory; it retries only when a reuse
 *    batch started during its own few tens of nanoseconds.
 *
 * Lock: everything here except the reader side is called with the table's
 * writer mutex held (iova_table.c).
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- entries ---- */

/* flags in the low bits of chunk_fl (chunk is a multiple of the minimum
 * page, at least 16 bytes, so they never collide) */
#define IOVA_E_READ    1u       /* = KEEL_IOMMU_ACCESS_READ */
#define IOVA_E_WRITE   2u       /* = KEEL_IOMMU_ACCESS_WRITE */
#define IOVA_E_ACCESS  3u
#define IOVA_E_DYING   4u       /* placeholder of a range being unmapped */
#define IOVA_E_FLAGS   15u

struct iova_entry {
	uint64_t iova;
	uint64_t va;
	uint64_t len;
	uint64_t chunk_fl;      /* chunk | flags */
};

#define ES_SHIFT 10             /* entries per block: 1024 (32 KiB) */
#define ES_PER_BLOCK (1u << ES_SHIFT)

/* the block directory readers index; a grown one replaces it, the old
 * ones stay allocated (type-stable) until the table is destroyed */
struct es_dir {
	uint32_t n_blocks;
	uint32_t cap;
	struct es_dir *older;   /* previous directory (freed at destroy) */
	struct iova_entry *blk[];
};

/* ---- nodes ---- */

#define BT_NODE_BYTES 512       /* inner nodes and compact leaves */
#define BT_WIDE_BYTES 1024      /* leaves whose keys need 64 bits each */
#define BT_LEAF_MAX 61          /* elements of an IOVA-tree leaf */
#define BT_VLEAF_MAX 40         /* elements of a VA-tree leaf */
#define BT_INNER_MAX 17
#define BT_MAX_DEPTH 16         /* > log_8(2^32 / 20) + 2 */
#define BT_FMT_WIDE 0xff        /* leaf format: 64-bit keys */

struct bt_node {
	uint16_t n;             /* elements (leaf) or children (inner) */
	uint8_t level;          /* 0: leaf */
	/* leaf: BT_FMT_WIDE, or the shift of the compact keys (key =
	 * base + (delta << fmt)); inner: 0 */
	uint8_t fmt;
	uint32_t txn;           /* transaction that wrote it */
	uint64_t aug;           /* VA tree: largest last VA in the subtree */
	/* a leaf's layout depends on its tree and format; its size on the
	 * format only (bt_node_bytes()) */
	union {
		/* IOVA tree, compact (512 bytes): the keys of a leaf are
		 * close and equally aligned, 8 bytes an element */
		struct {
			uint64_t base;
			uint32_t delta[BT_LEAF_MAX];
			uint32_t idx[BT_LEAF_MAX];
		} l;
		/* IOVA tree, wide (1 KiB): keys too far apart */
		struct {
			uint64_t key[BT_LEAF_MAX];
			uint32_t idx[BT_LEAF_MAX];
		} w;
		/* VA tree, compact: with each element's length (len << lsh),
		 * so the largest last VA needs no entry (12 bytes each) */
		struct {
			uint64_t base;
			uint32_t lsh;
			uint32_t delta[BT_VLEAF_MAX];
			uint32_t idx[BT_VLEAF_MAX];
			uint32_t len[BT_VLEAF_MAX];
		} vl;
		/* VA tree, wide */
		struct {
			uint64_t key[BT_VLEAF_MAX];
			uint32_t idx[BT_VLEAF_MAX];
			uint64_t len[BT_VLEAF_MAX];
		} vw;
		struct {
			/* (key[i], kidx[i]) is the smallest element of
			 * child[i]; caug[i] its aug (VA tree) */
			uint64_t key[BT_INNER_MAX];
			uint32_t kidx[BT_INNER_MAX];
			struct bt_node *child[BT_INNER_MAX];
			uint64_t caug[BT_INNER_MAX];
		} i;
	};
};
#define BT_END(m) (offsetof(struct bt_node, m) + sizeof(((struct bt_node *)0)->m))
_Static_assert(BT_END(l) <= BT_NODE_BYTES && BT_END(vl) <= BT_NODE_BYTES &&
	       BT_END(i) <= BT_NODE_BYTES, "compact node too big");
_Static_assert(BT_END(w) <= BT_WIDE_BYTES && BT_END(vw) <= BT_WIDE_BYTES,
	       "wide leaf too big");

/* copy the part of @p src that is in use into @p dst (same size); only
 * inner nodes are copied (leaves are always rewritten whole) */
static inline void
bt_node_copy(struct bt_node *dst, const struct bt_node *src)
{
	unsigned int n = src->n;

	memcpy(dst, src, offsetof(struct bt_node, i));
	memcpy(dst->i.key, src->i.key, n * sizeof(src->i.key[0]));
	memcpy(dst->i.kidx, src->i.kidx, n * sizeof(src->i.kidx[0]));
	memcpy(dst->i.child, src->i.child, n * sizeof(src->i.child[0]));
	memcpy(dst->i.caug, src->i.caug, n * sizeof(src->i.caug[0]));
}

/* bytes of node @p n (its header says which kind it is) */
static inline unsigned int
bt_node_bytes(const struct bt_node *n)
{
	return n->level == 0 && n->fmt == BT_FMT_WIDE ? BT_WIDE_BYTES :
		BT_NODE_BYTES;
}

/* ---- pointer vectors (writer bookkeeping) ---- */

struct pvec {
	void **p;
	uint64_t n;
	uint64_t cap;
};

struct uvec {
	uint32_t *p;
	uint64_t n;
	uint64_t cap;
};

/* ---- the store ---- */

struct iova_store {
	/* read by lookups: own cache line */
	_Atomic uint64_t reuse_seq __attribute__((aligned(64)));
	struct es_dir *_Atomic dir;

	/* writer side */
	uint32_t txn_id __attribute__((aligned(64)));
	uint32_t e_next;        /* first never-used entry index */
	/* the entry free list runs through the free entries themselves
	 * (they may be written: a bump happened since they were retired,
	 * or they were never published); limbo may not be written, so it
	 * is a vector, as are the node free lists (popping from a list
	 * inside the nodes would be a dependent cache miss) */
	uint32_t e_free;        /* first reusable entry index, 0: none */
	uint64_t e_free_n;
	struct uvec e_limbo;    /* retired, not reusable yet */
	struct pvec n_free[2];  /* reusable nodes: 512 B, 1 KiB (a vector:
				   popping touches no cold node) */
	struct pvec n_limbo;    /* retired nodes */
	struct pvec chunks;     /* arena chunks (freed at destroy) */
	/* two bump regions, [0] nodes, [1] entry blocks (32 KiB): a big
	 * block never strands the tail of a chunk of small nodes */
	char *bump[2];          /* next free byte of the region's chunk */
	uint64_t bump_left[2];
	uint64_t region_bytes[2];
	uint64_t arena_bytes;   /* all chunks */
	uint64_t live_nodes;    /* nodes reachable from the roots */
	uint64_t bumps;         /* reuse batches so far */
	/* the open transaction's bookkeeping */
	struct pvec t_fresh;    /* nodes it allocated */
	struct pvec t_old;      /* published nodes it replaced */
	struct uvec t_efresh;   /* entries it allocated */
	struct uvec t_eold;     /* published entries it removed */
	/* test seam: fail the nth allocation from now (0: off) */
	uint64_t fail_at;
	uint64_t allocs;
};

/* a transaction: a private working copy of the two roots */
enum { TR_IOVA = 0, TR_VA = 1 };

struct iova_txn {
	struct iova_store *st;
	uint32_t id;
	struct bt_node *root[2];
	int err;                /* -ENOMEM once an allocation failed */
	/* runs after the backend acted, on memory reserved before: the
	 * test seam (fail_at) does not apply */
	bool reserved;
	/* nodes reserved for this transaction (taken first; [0] 512 B,
	 * [1] 1 KiB), may be NULL */
	struct bt_node **resv[2];
	unsigned int n_resv[2];
};

int iova_store_init(struct iova_store *st);
void iova_store_fini(struct iova_store *st);
/* bytes of memory the store holds (arena, directories, bookkeeping) */
uint64_t iova_store_bytes(const struct iova_store *st);

/* entry @p idx as readers see it (validate before trusting it): NULL if
 * the index is beyond the directory */
static inline const struct iova_entry *
es_get(const struct es_dir *d, uint32_t idx)
{
	if ((idx >> ES_SHIFT) >= d->n_blocks)
		return NULL;
	return &d->blk[idx >> ES_SHIFT][idx & (ES_PER_BLOCK - 1)];
}

/* the writer's view of a published or fresh entry */
static inline struct iova_entry *
es_w(struct iova_store *st, uint32_t idx)
{
	struct es_dir *d = atomic_load_explicit(&st->dir, memory_order_relaxed);

	return &d->blk[idx >> ES_SHIFT][idx & (ES_PER_BLOCK - 1)];
}

/* ---- transactions ---- */

void txn_begin(struct iova_txn *x, struct iova_store *st,
	       struct bt_node *const roots[2]);
/* publish x->root into @p roots (release) and retire what was replaced */
void txn_commit(struct iova_txn *x, struct bt_node *_Atomic roots[2]);
/* drop everything the transaction allocated; nothing was published */
void txn_abort(struct iova_txn *x);

/* a node of @p bytes (BT_NODE_BYTES or BT_WIDE_BYTES) for the
 * transaction (fresh: it may change it in place), its header set to an
 * empty node of that size; NULL and x->err = -ENOMEM when out of memory */
struct bt_node *txn_node_new(struct iova_txn *x, unsigned int bytes);
/* a writable version of inner node @p n: n itself if fresh, else a fresh
 * copy of its used part (and n is retired at commit); leaves are never
 * edited, they are rewritten whole (txn_node_renew) */
struct bt_node *txn_node_w(struct iova_txn *x, struct bt_node *n);
/* a fresh node that will replace @p n entirely (n itself if fresh, else
 * a new node of the same size, n retired at commit); nothing is copied */
struct bt_node *txn_node_renew(struct iova_txn *x, struct bt_node *n);
/* @p n leaves the tree (merged away) */
void txn_node_drop(struct iova_txn *x, struct bt_node *n);
/* a new entry holding @p e; 0 and x->err = -ENOMEM when out of memory */
uint32_t txn_entry_new(struct iova_txn *x, const struct iova_entry *e);
/* entry @p idx leaves the table */
void txn_entry_drop(struct iova_txn *x, uint32_t idx);

/* wide leaves a transaction that must not fail may need (a few leaves
 * change per operation; wide ones are rare) */
#define BT_WIDE_RESERVE 4

/*
 * Make sure the free lists hold @p nodes 512-byte nodes (and
 * BT_WIDE_RESERVE wide ones) and @p entries entries, and the bookkeeping
 * room for a transaction to use them, so that it cannot fail for memory
 * (work that must not fail once the backend has acted).
 * @return 0 or -ENOMEM.
 */
int iova_store_reserve(struct iova_store *st, uint64_t nodes,
		       uint64_t entries);
/* move @p n nodes of @p bytes out of the free lists into @p out (a
 * private reserve for a later transaction); 0 or -ENOMEM */
int iova_store_take(struct iova_store *st, unsigned int bytes,
		    struct bt_node **out, unsigned int n);
/* give back what a private reserve did not use */
void iova_store_give(struct iova_store *st, unsigned int bytes,
		     struct bt_node **in, unsigned int n);

#endif /* KEEL_IOVA_STORE_H */
