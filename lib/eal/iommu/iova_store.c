/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory of an IOVA map table: an arena of nodes and entry blocks,
 * copy-on-write transactions, and the reuse protocol that lets lookups run
 * without locks (the protocol and the invariants are in iova_store.h).
 *
 * Invariant: a node or entry is in exactly one of: reachable from the
 * published roots, the open transaction (fresh), limbo (retired, perhaps
 * still being read), or a free list (reusable: a reuse_seq bump happened
 * after it was retired). Nothing in limbo is ever written.
 *
 * Lock: the table's writer mutex, for everything in this file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "iova_store.h"

#define CHUNK_MIN (64u << 10)
#define CHUNK_MAX (2u << 20)    /* one huge page */

/* ---- vectors ---- */

static int
pvec_grow(struct pvec *v, uint64_t want)
{
	uint64_t cap = v->cap ? v->cap : 16;
	void **p;

	if (want <= v->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	p = realloc(v->p, cap * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	v->p = p;
	v->cap = cap;
	return 0;
}

static int
pvec_push(struct pvec *v, void *x)
{
	if (v->n == v->cap && pvec_grow(v, v->n + 1) < 0)
		return -ENOMEM;
	v->p[v->n++] = x;
	return 0;
}

static int
uvec_grow(struct uvec *v, uint64_t want)
{
	uint64_t cap = v->cap ? v->cap : 16;
	uint32_t *p;

	if (want <= v->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	p = realloc(v->p, cap * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	v->p = p;
	v->cap = cap;
	return 0;
}

static int
uvec_push(struct uvec *v, uint32_t x)
{
	if (v->n == v->cap && uvec_grow(v, v->n + 1) < 0)
		return -ENOMEM;
	v->p[v->n++] = x;
	return 0;
}

/* ---- free lists ---- */

/* free list of nodes of @p bytes */
static inline unsigned int
fl(unsigned int bytes)
{
	return bytes == BT_WIDE_BYTES;
}

/* room was made (pvec_grow) by the caller */
static inline void
node_free_push(struct iova_store *st, unsigned int bytes, struct bt_node *n)
{
	struct pvec *v = &st->n_free[fl(bytes)];

	v->p[v->n++] = n;
}

static inline struct bt_node *
node_free_pop(struct iova_store *st, unsigned int bytes)
{
	struct pvec *v = &st->n_free[fl(bytes)];

	return v->p[--v->n];
}

static inline void
entry_free_push(struct iova_store *st, uint32_t idx)
{
	es_w(st, idx)->va = st->e_free;
	st->e_free = idx;
	st->e_free_n++;
}

static inline uint32_t
entry_free_pop(struct iova_store *st)
{
	uint32_t idx = st->e_free;

	st->e_free = (uint32_t)es_w(st, idx)->va;
	st->e_free_n--;
	return idx;
}

/* ---- arena ---- */

/* @p size bytes (a multiple of 64) from region @p r of the arena; NULL
 * when out of memory */
static void *
arena_get(struct iova_store *st, unsigned int r, uint64_t size)
{
	void *p;

	if (st->bump_left[r] < size) {
		/* chunks grow with the region: little slack when small,
		 * huge-page chunks (fewer TLB misses) when big */
		uint64_t csz = st->region_bytes[r] / 32;

		if (csz < CHUNK_MIN)
			csz = CHUNK_MIN;
		if (csz > CHUNK_MAX)
			csz = CHUNK_MAX;
		csz = (csz + CHUNK_MIN - 1) / CHUNK_MIN * CHUNK_MIN;
		if (csz < size)
			csz = size;
		if (pvec_grow(&st->chunks, st->chunks.n + 1) < 0)
			return NULL;
		p = aligned_alloc(csz >= CHUNK_MAX ? CHUNK_MAX : 4096, csz);
		if (p == NULL)
			return NULL;
		if (csz >= CHUNK_MAX)
			madvise(p, csz, MADV_HUGEPAGE);
		st->chunks.p[st->chunks.n++] = p;
		st->arena_bytes += csz;
		st->region_bytes[r] += csz;
		st->bump[r] = p;
		st->bump_left[r] = csz;
	}
	p = st->bump[r];
	st->bump[r] += size;
	st->bump_left[r] -= size;
	return p;
}

static bool
injected_failure(struct iova_store *st)
{
	st->allocs++;
	if (st->fail_at != 0 && st->allocs == st->fail_at) {
		st->fail_at = 0;
		return true;
	}
	return false;
}

/*
 * Make retired memory reusable: one reuse_seq bump for the whole batch
 * (readers that may still be in it see the bump and retry), then both
 * limbos move to the free lists. Nothing in limbo was written before.
 */
static void
reuse_batch(struct iova_store *st)
{
	uint64_t i;

	if (st->n_limbo.n == 0 && st->e_limbo.n == 0)
		return;
	if (pvec_grow(&st->n_free[0], st->n_free[0].n + st->n_limbo.n) < 0 ||
	    pvec_grow(&st->n_free[1], st->n_free[1].n + st->n_limbo.n) < 0)
		return;         /* keep them in limbo: nothing lost */
	atomic_store_explicit(&st->reuse_seq,
			      atomic_load_explicit(&st->reuse_seq,
						   memory_order_relaxed) + 1,
			      memory_order_relaxed);
	/* the bump is visible before any write to the batch */
	atomic_thread_fence(memory_order_release);
	/* a node in limbo still holds what it held: its header tells its
	 * size */
	for (i = 0; i < st->n_limbo.n; i++)
		node_free_push(st, bt_node_bytes(st->n_limbo.p[i]),
			       st->n_limbo.p[i]);
	for (i = 0; i < st->e_limbo.n; i++)
		entry_free_push(st, st->e_limbo.p[i]);
	st->n_limbo.n = 0;
	st->e_limbo.n = 0;
	st->bumps++;
}

/* limbo worth a bump: a 64th of the live nodes, at least 32 nodes */
static bool
limbo_full(const struct iova_store *st)
{
	uint64_t batch = st->live_nodes / 64;

	return st->n_limbo.n >= (batch < 32 ? 32 : batch) ||
	       st->e_limbo.n >= (batch < 32 ? 64 : 2 * batch);
}

static struct bt_node *
node_get(struct iova_store *st, unsigned int bytes, bool reserved)
{
	unsigned int k = fl(bytes);
	struct bt_node *n;

	if (!reserved && injected_failure(st))
		return NULL;
	if (st->n_free[k].n == 0 && limbo_full(st))
		reuse_batch(st);
	if (st->n_free[k].n != 0)
		return node_free_pop(st, bytes);
	n = arena_get(st, 0, bytes);
	if (n == NULL && st->n_limbo.n != 0) {
		reuse_batch(st);
		if (st->n_free[k].n != 0)
			return node_free_pop(st, bytes);
	}
	return n;
}

/* a block of entries for indices [e_next, e_next + ES_PER_BLOCK) */
static int
entry_block_add(struct iova_store *st)
{
	struct es_dir *d = atomic_load_explicit(&st->dir,
						memory_order_relaxed);
	struct iova_entry *b;

	if (d->n_blocks == d->cap) {
		uint32_t cap = d->cap * 2;
		struct es_dir *nd;

		if (cap > (UINT32_MAX >> ES_SHIFT) + 1)
			return -ENOMEM;
		nd = malloc(sizeof(*nd) + cap * sizeof(nd->blk[0]));
		if (nd == NULL)
			return -ENOMEM;
		nd->n_blocks = d->n_blocks;
		nd->cap = cap;
		nd->older = d;
		memcpy(nd->blk, d->blk, d->n_blocks * sizeof(d->blk[0]));
		/* readers may keep using d: it stays until destroy */
		atomic_store_explicit(&st->dir, nd, memory_order_release);
		d = nd;
	}
	b = arena_get(st, 1, ES_PER_BLOCK * sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	d->blk[d->n_blocks] = b;
	/* readers see the block before any index into it */
	atomic_thread_fence(memory_order_release);
	d->n_blocks++;
	return 0;
}

static int
entry_get(struct iova_store *st, uint32_t *idx, bool reserved)
{
	struct es_dir *d;

	if (!reserved && injected_failure(st))
		return -ENOMEM;
	if (st->e_free_n == 0 && limbo_full(st))
		reuse_batch(st);
	if (st->e_free_n != 0) {
		*idx = entry_free_pop(st);
		return 0;
	}
	d = atomic_load_explicit(&st->dir, memory_order_relaxed);
	if (st->e_next == UINT32_MAX)
		return -ENOMEM;
	if ((st->e_next >> ES_SHIFT) >= d->n_blocks &&
	    entry_block_add(st) < 0) {
		if (st->e_limbo.n != 0) {
			reuse_batch(st);
			if (st->e_free_n != 0) {
				*idx = entry_free_pop(st);
				return 0;
			}
		}
		return -ENOMEM;
	}
	*idx = st->e_next++;
	return 0;
}

/* ---- store ---- */

int
iova_store_init(struct iova_store *st)
{
	struct es_dir *d;

	memset(st, 0, sizeof(*st));
	d = calloc(1, sizeof(*d) + 16 * sizeof(d->blk[0]));
	if (d == NULL)
		return -ENOMEM;
	d->cap = 16;
	atomic_init(&st->dir, d);
	atomic_init(&st->reuse_seq, 0);
	st->e_next = 1;         /* index 0: no entry */
	return 0;
}

void
iova_store_fini(struct iova_store *st)
{
	struct es_dir *d = atomic_load_explicit(&st->dir, memory_order_relaxed);
	uint64_t i;

	while (d != NULL) {
		struct es_dir *o = d->older;

		free(d);
		d = o;
	}
	for (i = 0; i < st->chunks.n; i++)
		free(st->chunks.p[i]);
	free(st->chunks.p);
	free(st->n_free[0].p);
	free(st->n_free[1].p);
	free(st->n_limbo.p);
	free(st->e_limbo.p);
	free(st->t_fresh.p);
	free(st->t_old.p);
	free(st->t_efresh.p);
	free(st->t_eold.p);
	memset(st, 0, sizeof(*st));
}

uint64_t
iova_store_bytes(const struct iova_store *st)
{
	const struct es_dir *d = atomic_load_explicit(&st->dir,
						      memory_order_relaxed);
	uint64_t b = st->arena_bytes;

	for (; d != NULL; d = d->older)
		b += sizeof(*d) + d->cap * sizeof(d->blk[0]);
	b += (st->chunks.cap + st->n_free[0].cap + st->n_free[1].cap +
	      st->n_limbo.cap + st->t_fresh.cap + st->t_old.cap) *
		sizeof(void *);
	b += (st->e_limbo.cap + st->t_efresh.cap + st->t_eold.cap) *
		sizeof(uint32_t);
	return b;
}

int
iova_store_reserve(struct iova_store *st, uint64_t nodes, uint64_t entries)
{
	if (pvec_grow(&st->t_fresh, st->t_fresh.n + nodes) < 0 ||
	    pvec_grow(&st->t_old, st->t_old.n + nodes) < 0 ||
	    pvec_grow(&st->n_limbo, st->n_limbo.n + st->t_old.n + nodes) < 0 ||
	    uvec_grow(&st->t_efresh, st->t_efresh.n + entries) < 0 ||
	    uvec_grow(&st->e_limbo, st->e_limbo.n + st->t_eold.n +
		      entries) < 0)
		return -ENOMEM;
	/* the free lists hold at least that many (what a transaction takes
	 * comes from them first) */
	if ((st->n_free[0].n < nodes || st->n_free[1].n < BT_WIDE_RESERVE ||
	     st->e_free_n < entries) && limbo_full(st))
		reuse_batch(st);
	if (pvec_grow(&st->n_free[0], nodes) < 0 ||
	    pvec_grow(&st->n_free[1], BT_WIDE_RESERVE) < 0)
		return -ENOMEM;
	while (st->n_free[0].n < nodes) {
		struct bt_node *n = arena_get(st, 0, BT_NODE_BYTES);

		if (n == NULL)
			return -ENOMEM;
		node_free_push(st, BT_NODE_BYTES, n);
	}
	while (st->n_free[1].n < BT_WIDE_RESERVE) {
		struct bt_node *n = arena_get(st, 0, BT_WIDE_BYTES);

		if (n == NULL)
			return -ENOMEM;
		node_free_push(st, BT_WIDE_BYTES, n);
	}
	while (st->e_free_n < entries) {
		struct es_dir *d = atomic_load_explicit(&st->dir,
							memory_order_relaxed);

		if (st->e_next == UINT32_MAX)
			return -ENOMEM;
		if ((st->e_next >> ES_SHIFT) >= d->n_blocks &&
		    entry_block_add(st) < 0)
			return -ENOMEM;
		entry_free_push(st, st->e_next++);
	}
	return 0;
}

int
iova_store_take(struct iova_store *st, unsigned int bytes,
		struct bt_node **out, unsigned int n)
{
	unsigned int i;

	if (iova_store_reserve(st, st->n_free[0].n +
			       (bytes == BT_NODE_BYTES ? n : 0), 0) < 0)
		return -ENOMEM;
	if (pvec_grow(&st->n_free[fl(bytes)], n) < 0)
		return -ENOMEM;
	while (st->n_free[fl(bytes)].n < n) {
		struct bt_node *m = arena_get(st, 0, bytes);

		if (m == NULL)
			return -ENOMEM;
		node_free_push(st, bytes, m);
	}
	for (i = 0; i < n; i++)
		out[i] = node_free_pop(st, bytes);
	return 0;
}

void
iova_store_give(struct iova_store *st, unsigned int bytes,
		struct bt_node **in, unsigned int n)
{
	unsigned int i;

	if (pvec_grow(&st->n_free[fl(bytes)], st->n_free[fl(bytes)].n + n) < 0)
		return;         /* lost, not reused: no harm */
	for (i = 0; i < n; i++)
		if (in[i] != NULL)
			node_free_push(st, bytes, in[i]);
}

/* ---- transactions ---- */

void
txn_begin(struct iova_txn *x, struct iova_store *st,
	  struct bt_node *const roots[2])
{
	memset(x, 0, sizeof(*x));
	x->st = st;
	if (++st->txn_id == 0)
		st->txn_id = 1;
	x->id = st->txn_id;
	x->root[0] = roots[0];
	x->root[1] = roots[1];
	st->t_fresh.n = 0;
	st->t_old.n = 0;
	st->t_efresh.n = 0;
	st->t_eold.n = 0;
}

struct bt_node *
txn_node_new(struct iova_txn *x, unsigned int bytes)
{
	struct iova_store *st = x->st;
	unsigned int k = fl(bytes);
	struct bt_node *n = NULL;

	if (x->err)
		return NULL;
	if (pvec_grow(&st->t_fresh, st->t_fresh.n + 1) == 0) {
		if (x->n_resv[k] != 0)
			n = x->resv[k][--x->n_resv[k]];
		else
			n = node_get(st, bytes, x->reserved);
	}
	if (n == NULL) {
		x->err = -ENOMEM;
		return NULL;
	}
	st->t_fresh.p[st->t_fresh.n++] = n;
	n->n = 0;
	n->level = 0;
	n->fmt = bytes == BT_WIDE_BYTES ? BT_FMT_WIDE : 0;
	n->txn = x->id;
	n->aug = 0;
	return n;
}

struct bt_node *
txn_node_w(struct iova_txn *x, struct bt_node *n)
{
	unsigned int bytes = bt_node_bytes(n);
	struct bt_node *c;

	if (n->txn == x->id)
		return n;
	if (pvec_grow(&x->st->t_old, x->st->t_old.n + 1) < 0) {
		x->err = -ENOMEM;
		return NULL;
	}
	c = txn_node_new(x, bytes);
	if (c == NULL)
		return NULL;
	bt_node_copy(c, n);
	c->txn = x->id;
	x->st->t_old.p[x->st->t_old.n++] = n;
	return c;
}

struct bt_node *
txn_node_renew(struct iova_txn *x, struct bt_node *n)
{
	struct bt_node *c;

	if (n->txn == x->id)
		return n;
	if (pvec_grow(&x->st->t_old, x->st->t_old.n + 1) < 0) {
		x->err = -ENOMEM;
		return NULL;
	}
	c = txn_node_new(x, bt_node_bytes(n));
	if (c == NULL)
		return NULL;
	x->st->t_old.p[x->st->t_old.n++] = n;
	return c;
}

void
txn_node_drop(struct iova_txn *x, struct bt_node *n)
{
	/* fresh or not, it goes to limbo at commit (and is ignored by an
	 * abort, which frees every fresh node anyway) */
	if (pvec_push(&x->st->t_old, n) < 0)
		x->err = -ENOMEM;
}

uint32_t
txn_entry_new(struct iova_txn *x, const struct iova_entry *e)
{
	struct iova_store *st = x->st;
	uint32_t idx;

	if (x->err)
		return 0;
	if (uvec_grow(&st->t_efresh, st->t_efresh.n + 1) < 0 ||
	    entry_get(st, &idx, x->reserved) < 0) {
		x->err = -ENOMEM;
		return 0;
	}
	*es_w(st, idx) = *e;
	st->t_efresh.p[st->t_efresh.n++] = idx;
	return idx;
}

void
txn_entry_drop(struct iova_txn *x, uint32_t idx)
{
	if (uvec_push(&x->st->t_eold, idx) < 0)
		x->err = -ENOMEM;
}

void
txn_commit(struct iova_txn *x, struct bt_node *_Atomic roots[2])
{
	struct iova_store *st = x->st;
	uint64_t i;

	/* every node and entry of the new trees is written: publish */
	atomic_store_explicit(&roots[0], x->root[0], memory_order_release);
	atomic_store_explicit(&roots[1], x->root[1], memory_order_release);
	/* a fresh node dropped in the same transaction is in both lists */
	st->live_nodes = st->live_nodes + st->t_fresh.n - st->t_old.n;
	/* what the new roots no longer reach waits in limbo; if limbo
	 * cannot grow (no memory), it is lost rather than reused early */
	if (pvec_grow(&st->n_limbo, st->n_limbo.n + st->t_old.n) == 0)
		for (i = 0; i < st->t_old.n; i++)
			st->n_limbo.p[st->n_limbo.n++] = st->t_old.p[i];
	if (uvec_grow(&st->e_limbo, st->e_limbo.n + st->t_eold.n) == 0)
		for (i = 0; i < st->t_eold.n; i++)
			st->e_limbo.p[st->e_limbo.n++] = st->t_eold.p[i];
	st->t_fresh.n = st->t_old.n = st->t_efresh.n = st->t_eold.n = 0;
}

void
txn_abort(struct iova_txn *x)
{
	struct iova_store *st = x->st;
	uint64_t i;

	/* nothing fresh was ever published: straight back to the free
	 * lists (if a list cannot grow, the node is lost, not reused) */
	if (pvec_grow(&st->n_free[0], st->n_free[0].n + st->t_fresh.n) < 0 ||
	    pvec_grow(&st->n_free[1], st->n_free[1].n + st->t_fresh.n) < 0)
		st->t_fresh.n = 0;
	for (i = 0; i < st->t_fresh.n; i++)
		node_free_push(st, bt_node_bytes(st->t_fresh.p[i]),
			       st->t_fresh.p[i]);
	for (i = 0; i < st->t_efresh.n; i++)
		entry_free_push(st, st->t_efresh.p[i]);
	st->t_fresh.n = st->t_old.n = st->t_efresh.n = st->t_eold.n = 0;
	x->err = 0;
}
