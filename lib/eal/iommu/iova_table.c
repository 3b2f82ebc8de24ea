/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The chunk-aware IOVA map table.
 *
 * Invariants (checked by iova_table_check()):
 *  - entries have disjoint IOVA ranges; a VA may appear in several entries;
 *  - on a backend that cannot split, chunk = length of the map call that
 *    created the entry's pieces, len is a multiple of chunk and the backend
 *    holds exactly one mapping per chunk; on one that can, chunk = 0;
 *  - no two entries are IOVA-adjacent, VA-contiguous and of equal chunk
 *    (they would have been merged);
 *  - the table equals what the backend holds: every change is made in the
 *    backend first and applied to the table only after the backend agreed;
 *    all memory a change needs is reserved before the backend is called.
 *
 * Structure: one pool of 64-byte nodes addressed by 32-bit index (blocks of
 * 4096, never moved), each node linked into two AVL trees: by IOVA, and by
 * (VA, IOVA) augmented with the largest last VA of the subtree so a VA can
 * be looked up in O(log n) although VA ranges may overlap.
 *
 * Lock: t->lock, a writer-preferring rwlock. map/unmap/caps refresh hold it
 * for writing, across the backend call (so the backend sees calls one at a
 * time); lookups, walk, stats and dump hold it for reading.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "keel_log.h"
#include "iova_table.h"

KEEL_LOG_REGISTER(keel_logtype_iommu, "iommu", INFO)

#define NB_SHIFT 12
#define NB_SIZE  (1u << NB_SHIFT)
#define NB_MASK  (NB_SIZE - 1)
#define MAX_DEPTH 96            /* AVL height bound for 2^32 nodes is 46 */

enum { TR_IOVA = 0, TR_VA = 1 };

struct tnode {
	uint64_t va;
	uint64_t iova;
	uint64_t len;
	uint64_t chunk;
	uint64_t va_max_last;   /* largest va + len - 1 in the VA subtree */
	uint32_t link[2][2];    /* [tree][0 = left, 1 = right]; 0 = none */
	uint8_t height[2];      /* AVL height per tree */
	uint8_t pad[6];
};
_Static_assert(sizeof(struct tnode) == 64, "tree node must stay 64 bytes");

struct iova_table {
	pthread_rwlock_t lock;
	const struct keel_iommu_backend_ops *ops;
	void *priv;
	struct keel_iommu_caps caps;
	uint64_t min_pg;

	struct tnode **blocks;  /* node pool; index 0 is never used */
	uint32_t n_blocks;
	uint32_t blocks_cap;
	uint32_t next_fresh;    /* first never-used index */
	uint32_t free_head;     /* free list through link[0][0] */
	uint32_t root[2];

	uint64_t n_entries;
	uint64_t bytes;
	uint64_t n_chunks;      /* backend mappings on a strict backend */
	uint64_t backend_maps;
	uint64_t backend_unmaps;
	uint64_t backend_errors;
	uint64_t merges;
	uint64_t splits;
	uint64_t refused;
};

static inline struct tnode *
N(const struct iova_table *t, uint32_t i)
{
	return &t->blocks[i >> NB_SHIFT][i & NB_MASK];
}

/* ---- node pool ---- */

static uint32_t
node_alloc(struct iova_table *t)
{
	uint32_t i = t->free_head;

	if (i != 0) {
		t->free_head = N(t, i)->link[0][0];
		memset(N(t, i), 0, sizeof(struct tnode));
		return i;
	}
	if (t->next_fresh == UINT32_MAX)
		return 0;
	if ((t->next_fresh >> NB_SHIFT) >= t->n_blocks) {
		struct tnode *b;

		if (t->n_blocks == t->blocks_cap) {
			uint32_t cap = t->blocks_cap ? t->blocks_cap * 2 : 16;
			struct tnode **nb = realloc(t->blocks,
						    cap * sizeof(*nb));

			if (nb == NULL)
				return 0;
			t->blocks = nb;
			t->blocks_cap = cap;
		}
		b = aligned_alloc(64, NB_SIZE * sizeof(struct tnode));
		if (b == NULL)
			return 0;
		t->blocks[t->n_blocks++] = b;
	}
	i = t->next_fresh++;
	memset(N(t, i), 0, sizeof(struct tnode));
	return i;
}

static void
node_free(struct iova_table *t, uint32_t i)
{
	N(t, i)->link[0][0] = t->free_head;
	t->free_head = i;
}

/* ---- AVL trees over node indices ---- */

static inline int
ht(const struct iova_table *t, int tr, uint32_t i)
{
	return i ? N(t, i)->height[tr] : 0;
}

static inline bool
key_less(const struct iova_table *t, int tr, uint32_t a, uint32_t b)
{
	const struct tnode *x = N(t, a), *y = N(t, b);

	if (tr == TR_IOVA)
		return x->iova < y->iova;
	return x->va < y->va || (x->va == y->va && x->iova < y->iova);
}

static void
fix(struct iova_table *t, int tr, uint32_t i)
{
	struct tnode *n = N(t, i);
	uint32_t l = n->link[tr][0], r = n->link[tr][1];
	int hl = ht(t, tr, l), hr = ht(t, tr, r);

	n->height[tr] = (uint8_t)(1 + (hl > hr ? hl : hr));
	if (tr == TR_VA) {
		uint64_t m = n->va + n->len - 1;

		if (l && N(t, l)->va_max_last > m)
			m = N(t, l)->va_max_last;
		if (r && N(t, r)->va_max_last > m)
			m = N(t, r)->va_max_last;
		n->va_max_last = m;
	}
}

/* dir 1: right rotation (left child comes up); dir 0: left rotation */
static uint32_t
rot(struct iova_table *t, int tr, uint32_t i, int dir)
{
	uint32_t c = N(t, i)->link[tr][!dir];

	N(t, i)->link[tr][!dir] = N(t, c)->link[tr][dir];
	N(t, c)->link[tr][dir] = i;
	fix(t, tr, i);
	fix(t, tr, c);
	return c;
}

static uint32_t
balance(struct iova_table *t, int tr, uint32_t i)
{
	struct tnode *n = N(t, i);
	int bf;

	fix(t, tr, i);
	bf = ht(t, tr, n->link[tr][0]) - ht(t, tr, n->link[tr][1]);
	if (bf > 1) {
		uint32_t l = n->link[tr][0];

		if (ht(t, tr, N(t, l)->link[tr][0]) <
		    ht(t, tr, N(t, l)->link[tr][1]))
			n->link[tr][0] = rot(t, tr, l, 0);
		return rot(t, tr, i, 1);
	}
	if (bf < -1) {
		uint32_t r = n->link[tr][1];

		if (ht(t, tr, N(t, r)->link[tr][1]) <
		    ht(t, tr, N(t, r)->link[tr][0]))
			n->link[tr][1] = rot(t, tr, r, 1);
		return rot(t, tr, i, 0);
	}
	return i;
}

/* what a parent depends on in a child subtree */
struct sub {
	uint32_t i;
	uint8_t h;
	uint64_t aug;
};

static inline struct sub
sub_of(const struct iova_table *t, int tr, uint32_t i)
{
	struct sub x = { i, 0, 0 };

	if (i) {
		x.h = N(t, i)->height[tr];
		x.aug = N(t, i)->va_max_last;
	}
	return x;
}

/*
 * Put @p child under @p root on side @p dir and rebalance @p root, unless
 * the child subtree is the same node with the same height and VA
 * augmentation as before (@p old): then @p root and every node above it
 * are unchanged, and the recursion unwinds without touching more nodes.
 */
static inline uint32_t
relink(struct iova_table *t, int tr, uint32_t root, int dir, struct sub old,
       uint32_t child)
{
	if (child == old.i && child != 0 &&
	    N(t, child)->height[tr] == old.h &&
	    (tr != TR_VA || N(t, child)->va_max_last == old.aug))
		return root;
	N(t, root)->link[tr][dir] = child;
	return balance(t, tr, root);
}

static uint32_t
avl_insert(struct iova_table *t, int tr, uint32_t root, uint32_t i)
{
	struct sub old;
	int dir;

	if (root == 0) {
		struct tnode *n = N(t, i);

		n->link[tr][0] = n->link[tr][1] = 0;
		fix(t, tr, i);
		return i;
	}
	dir = key_less(t, tr, root, i) ? 1 : 0;
	old = sub_of(t, tr, N(t, root)->link[tr][dir]);
	return relink(t, tr, root, dir, old, avl_insert(t, tr, old.i, i));
}

static uint32_t
avl_remove_min(struct iova_table *t, int tr, uint32_t root, uint32_t *min)
{
	struct tnode *n = N(t, root);
	struct sub old;

	if (n->link[tr][0] == 0) {
		*min = root;
		return n->link[tr][1];
	}
	old = sub_of(t, tr, n->link[tr][0]);
	return relink(t, tr, root, 0, old, avl_remove_min(t, tr, old.i, min));
}

static uint32_t
avl_remove(struct iova_table *t, int tr, uint32_t root, uint32_t i)
{
	struct tnode *n;
	struct sub old;
	int dir;

	if (root == 0)
		return 0;               /* not reached: i is in the tree */
	n = N(t, root);
	if (root == i) {
		uint32_t l = n->link[tr][0], r = n->link[tr][1], m;

		if (l == 0)
			return r;
		if (r == 0)
			return l;
		r = avl_remove_min(t, tr, r, &m);
		N(t, m)->link[tr][0] = l;
		N(t, m)->link[tr][1] = r;
		return balance(t, tr, m);
	}
	dir = key_less(t, tr, root, i) ? 1 : 0;
	old = sub_of(t, tr, n->link[tr][dir]);
	return relink(t, tr, root, dir, old, avl_remove(t, tr, old.i, i));
}

static void
entry_insert(struct iova_table *t, uint32_t i)
{
	t->root[TR_IOVA] = avl_insert(t, TR_IOVA, t->root[TR_IOVA], i);
	t->root[TR_VA] = avl_insert(t, TR_VA, t->root[TR_VA], i);
}

static void
entry_remove(struct iova_table *t, uint32_t i)
{
	t->root[TR_IOVA] = avl_remove(t, TR_IOVA, t->root[TR_IOVA], i);
	t->root[TR_VA] = avl_remove(t, TR_VA, t->root[TR_VA], i);
}

/* largest entry with iova <= x */
static uint32_t
floor_iova(const struct iova_table *t, uint64_t x)
{
	uint32_t i = t->root[TR_IOVA], best = 0;

	while (i) {
		const struct tnode *n = N(t, i);
		int go = n->iova <= x;

		/* branch-free: a random descent mispredicts half the time */
		best = go ? i : best;
		i = n->link[TR_IOVA][go];
	}
	return best;
}

/* smallest entry with iova >= x */
static uint32_t
ceil_iova(const struct iova_table *t, uint64_t x)
{
	uint32_t i = t->root[TR_IOVA], best = 0;

	while (i) {
		const struct tnode *n = N(t, i);

		if (n->iova >= x) {
			best = i;
			i = n->link[TR_IOVA][0];
		} else {
			i = n->link[TR_IOVA][1];
		}
	}
	return best;
}

/* in one descent: largest entry with iova <= x, smallest with iova > x */
static void
bracket_iova(const struct iova_table *t, uint64_t x, uint32_t *le,
	     uint32_t *gt)
{
	uint32_t i = t->root[TR_IOVA], lo = 0, hi = 0;

	while (i) {
		const struct tnode *n = N(t, i);
		int go = n->iova <= x;

		lo = go ? i : lo;
		hi = go ? hi : i;
		i = n->link[TR_IOVA][go];
	}
	*le = lo;
	*gt = hi;
}

/* an entry whose VA range holds x (interval-tree stabbing query) */
static uint32_t
stab_va(const struct iova_table *t, uint64_t x)
{
	uint32_t i = t->root[TR_VA];

	while (i) {
		const struct tnode *n = N(t, i);
		uint32_t l = n->link[TR_VA][0];

		int right;

		if (x - n->va < n->len)         /* x >= va (unsigned wrap) */
			return i;
		right = !(l && N(t, l)->va_max_last >= x);
		i = n->link[TR_VA][right];
	}
	return 0;
}

static inline uint64_t
n_last(const struct tnode *n)
{
	return n->iova + n->len - 1;
}

static void
to_mapping(const struct tnode *n, struct keel_iommu_mapping *m)
{
	m->va = n->va;
	m->iova = n->iova;
	m->len = n->len;
	m->chunk = n->chunk;
}

/* ---- creation ---- */

static int
read_caps(struct iova_table *t)
{
	struct keel_iommu_caps caps;
	unsigned int i;
	int ret;

	memset(&caps, 0, sizeof(caps));
	ret = t->ops->get_caps(t->priv, &caps);
	if (ret < 0) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "backend %s: get_caps failed: %s", t->ops->name,
			 strerror(-ret));
		return ret;
	}
	if (caps.pgsize_bitmap == 0 || caps.addr_width == 0 ||
	    caps.addr_width > 64 || caps.n_ranges > KEEL_IOMMU_MAX_RANGES) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "backend %s: bad caps: pgsizes 0x%" PRIx64
			 " addr width %u, %u ranges", t->ops->name,
			 caps.pgsize_bitmap, caps.addr_width, caps.n_ranges);
		return -EINVAL;
	}
	for (i = 0; i < caps.n_ranges; i++) {
		if (caps.ranges[i].last < caps.ranges[i].start ||
		    (i > 0 && caps.ranges[i].start <= caps.ranges[i - 1].last)) {
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "backend %s: usable range %u [0x%" PRIx64
				 ", 0x%" PRIx64 "] is empty or not ascending",
				 t->ops->name, i, caps.ranges[i].start,
				 caps.ranges[i].last);
			return -EINVAL;
		}
	}
	t->caps = caps;
	t->min_pg = caps.pgsize_bitmap & (~caps.pgsize_bitmap + 1);
	return 0;
}

struct iova_table *
iova_table_create(const struct keel_iommu_backend_ops *ops, void *priv)
{
	pthread_rwlockattr_t attr;
	struct iova_table *t;
	int ret;

	if (ops == NULL || ops->get_caps == NULL || ops->map == NULL ||
	    ops->unmap == NULL || ops->name == NULL) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "iova table: backend ops %p incomplete", (const void *)ops);
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	t->ops = ops;
	t->priv = priv;
	t->next_fresh = 1;
	ret = read_caps(t);
	if (ret < 0) {
		free(t);
		errno = -ret;
		return NULL;
	}
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
			PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&t->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	return t;
}

void
iova_table_destroy(struct iova_table *t)
{
	uint32_t b;

	if (t == NULL)
		return;
	for (b = 0; b < t->n_blocks; b++)
		free(t->blocks[b]);
	free(t->blocks);
	pthread_rwlock_destroy(&t->lock);
	free(t);
}

/* ---- checks of a request ---- */

/* the reserved gap (or aperture edge) that holds a byte of [iova, last] */
static void
find_gap(const struct keel_iommu_caps *c, uint64_t iova, uint64_t last,
	 uint64_t *g_start, uint64_t *g_last)
{
	uint64_t prev_end = 0;          /* first byte after previous range */
	unsigned int i;

	for (i = 0; i < c->n_ranges; i++) {
		const struct keel_iova_range *r = &c->ranges[i];

		if (iova < r->start) {
			*g_start = prev_end;
			*g_last = r->start - 1;
			return;
		}
		if (iova <= r->last && last > r->last) {
			*g_start = r->last + 1;
			*g_last = i + 1 < c->n_ranges ?
				c->ranges[i + 1].start - 1 : UINT64_MAX;
			return;
		}
		prev_end = r->last + 1;
	}
	*g_start = prev_end;
	*g_last = UINT64_MAX;
}

static bool
in_one_range(const struct keel_iommu_caps *c, uint64_t iova, uint64_t last)
{
	unsigned int i;

	if (c->n_ranges == 0)
		return true;
	for (i = 0; i < c->n_ranges; i++)
		if (iova >= c->ranges[i].start && last <= c->ranges[i].last)
			return true;
	return false;
}

/* the checks of iova_table_check_request(); op NULL: no log line */
static int
check_request(struct iova_table *t, const char *op, uint64_t va,
	      uint64_t iova, uint64_t len, bool is_map)
{
	uint64_t pg = t->min_pg;
	uint64_t last;

	if (len == 0) {
		if (op != NULL)
			KEEL_LOG(ERR, keel_logtype_iommu,
			 "%s va 0x%" PRIx64 " iova 0x%" PRIx64
			 ": length is 0", op, va, iova);
		return -EINVAL;
	}
	if (len - 1 > UINT64_MAX - va || len - 1 > UINT64_MAX - iova) {
		if (op != NULL)
			KEEL_LOG(ERR, keel_logtype_iommu,
			 "%s va 0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%" PRIx64
			 ": %s + len overflows 64 bits", op, va, iova, len,
			 len - 1 > UINT64_MAX - va ? "va" : "iova");
		return -EOVERFLOW;
	}
	if (((va | iova | len) & (pg - 1)) != 0) {
		if (op != NULL)
			KEEL_LOG(ERR, keel_logtype_iommu,
			 "%s va 0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%" PRIx64
			 ": %s not aligned to the backend's minimum page 0x%"
			 PRIx64, op, va, iova, len,
			 (va & (pg - 1)) ? "va" : (iova & (pg - 1)) ? "iova" :
			 "len", pg);
		return -EDOM;
	}
	if (!is_map)
		return 0;
	last = iova + len - 1;
	if (t->caps.addr_width < 64 && (last >> t->caps.addr_width) != 0) {
		if (op != NULL)
			KEEL_LOG(ERR, keel_logtype_iommu,
			 "%s iova 0x%" PRIx64 "-0x%" PRIx64
			 ": beyond the %u-bit IOMMU address width (last IOVA 0x%"
			 PRIx64 ")", op, iova, last, t->caps.addr_width,
			 (UINT64_C(1) << t->caps.addr_width) - 1);
		return -ERANGE;
	}
	if (!in_one_range(&t->caps, iova, last)) {
		uint64_t gs, gl;

		find_gap(&t->caps, iova, last, &gs, &gl);
		if (op != NULL)
			KEEL_LOG(ERR, keel_logtype_iommu,
			 "%s iova 0x%" PRIx64 "-0x%" PRIx64
			 ": not in a usable IOVA range (reserved 0x%" PRIx64
			 "-0x%" PRIx64 ")", op, iova, last, gs, gl);
		return -EADDRNOTAVAIL;
	}
	return 0;
}

int
iova_table_check_request(struct iova_table *t, const char *op, uint64_t va,
			 uint64_t iova, uint64_t len, bool is_map)
{
	int ret;

	pthread_rwlock_rdlock(&t->lock);
	ret = check_request(t, op, va, iova, len, is_map);
	/* a logged refusal counts as one (read lock only: atomic) */
	if (ret < 0 && op != NULL)
		__atomic_fetch_add(&t->refused, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

static uint64_t
backend_usage(struct iova_table *t)
{
	uint64_t n;

	if (!t->caps.can_split)
		return t->n_chunks;
	if (t->ops->get_usage != NULL && t->ops->get_usage(t->priv, &n) == 0)
		return n;
	return t->n_entries;
}

static void
log_enospc(struct iova_table *t, const char *op, uint64_t iova, uint64_t len)
{
	KEEL_LOG(ERR, keel_logtype_iommu,
		 "%s iova 0x%" PRIx64 " len 0x%" PRIx64 ": backend %s mapping "
		 "limit reached: %" PRIu64 " mappings exist, limit %" PRIu64
		 " (%" PRIu64 " table entries)", op, iova, len, t->ops->name,
		 backend_usage(t), t->caps.max_mappings, t->n_entries);
}

/* ---- map ---- */

static int
do_map(struct iova_table *t, uint64_t va, uint64_t iova, uint64_t len)
{
	uint64_t last, chunk;
	uint32_t p, q, i;
	struct tnode *n;
	int ret;

	ret = check_request(t, "map", va, iova, len, true);
	if (ret < 0) {
		t->refused++;
		return ret;
	}
	last = iova + len - 1;
	/* p: the entry before (or overlapping) the range, q: the one after */
	bracket_iova(t, last, &p, &q);
	if (p && n_last(N(t, p)) >= iova) {
		n = N(t, p);
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "map va 0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%" PRIx64
			 ": IOVA overlaps entry iova 0x%" PRIx64 " len 0x%"
			 PRIx64 " (va 0x%" PRIx64 ")", va, iova, len, n->iova,
			 n->len, n->va);
		t->refused++;
		return -EEXIST;
	}
	chunk = t->caps.can_split ? 0 : len;
	if (!t->caps.can_split && t->caps.max_mappings != 0 &&
	    t->n_chunks >= t->caps.max_mappings) {
		log_enospc(t, "map", iova, len);
		t->refused++;
		return -ENOSPC;
	}
	i = node_alloc(t);
	if (i == 0) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "map iova 0x%" PRIx64 " len 0x%" PRIx64
			 ": out of memory for a table entry (%" PRIu64
			 " entries)", iova, len, t->n_entries);
		return -ENOMEM;
	}
	t->backend_maps++;
	ret = t->ops->map(t->priv, va, iova, len,
			  KEEL_IOMMU_PROT_READ | KEEL_IOMMU_PROT_WRITE);
	if (ret < 0) {
		node_free(t, i);
		t->backend_errors++;
		if (ret == -ENOSPC)
			log_enospc(t, "map", iova, len);
		else
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "map va 0x%" PRIx64 " iova 0x%" PRIx64
				 " len 0x%" PRIx64 ": backend %s failed: %s",
				 va, iova, len, t->ops->name, strerror(-ret));
		return ret;
	}

	n = N(t, i);
	n->va = va;
	n->iova = iova;
	n->len = len;
	n->chunk = chunk;
	t->n_entries++;
	t->bytes += len;
	if (!t->caps.can_split)
		t->n_chunks++;

	/* merge with the left neighbour (no entry starts inside the range,
	 * so p is also the last entry before iova) */
	if (iova != 0 && va != 0) {
		if (p) {
			struct tnode *l = N(t, p);

			if (l->iova + l->len == iova && l->va + l->len == va &&
			    l->chunk == chunk) {
				entry_remove(t, p);
				n->va = l->va;
				n->iova = l->iova;
				n->len += l->len;
				node_free(t, p);
				t->n_entries--;
				t->merges++;
			}
		}
	}
	/* merge with the right neighbour */
	if (last != UINT64_MAX && va + len - 1 != UINT64_MAX) {
		if (q) {
			struct tnode *r = N(t, q);

			if (r->iova == last + 1 && r->va == va + len &&
			    r->chunk == chunk) {
				entry_remove(t, q);
				n->len += r->len;
				node_free(t, q);
				t->n_entries--;
				t->merges++;
			}
		}
	}
	entry_insert(t, i);
	return 0;
}

int
iova_table_map(struct iova_table *t, uint64_t va, uint64_t iova, uint64_t len)
{
	int ret;

	if (t == NULL) {
		errno = EINVAL;
		return -EINVAL;
	}
	pthread_rwlock_wrlock(&t->lock);
	ret = do_map(t, va, iova, len);
	pthread_rwlock_unlock(&t->lock);
	if (ret < 0)
		errno = -ret;
	return ret;
}

/* ---- unmap ---- */

static int
check_agree(struct iova_table *t, const struct tnode *n, uint64_t va,
	    uint64_t iova, uint64_t len)
{
	if (n->va - n->iova == va - iova)
		return 0;
	KEEL_LOG(ERR, keel_logtype_iommu,
		 "unmap va 0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%" PRIx64
		 ": IOVA 0x%" PRIx64 " is mapped to va 0x%" PRIx64
		 ", not 0x%" PRIx64 " (entry va 0x%" PRIx64 " iova 0x%" PRIx64
		 " len 0x%" PRIx64 ")", va, iova, len,
		 iova > n->iova ? iova : n->iova,
		 n->va + ((iova > n->iova ? iova : n->iova) - n->iova),
		 va + ((iova > n->iova ? iova : n->iova) - iova),
		 n->va, n->iova, n->len);
	t->refused++;
	return -EFAULT;
}

/*
 * Remove [iova, last] from the table (the backend has removed it): the
 * entries it covers go, the parts of the first and last entry outside it
 * stay as remainders in the reserved nodes pre[0] (head), pre[1] (tail).
 * first: the entry holding iova. Unused reserved nodes are freed.
 */
static void
remove_range(struct iova_table *t, uint32_t first, uint64_t iova,
	     uint64_t last, uint32_t pre[2])
{
	struct tnode *f = N(t, first), *l;
	uint32_t lastn = floor_iova(t, last);
	bool head, tail;
	uint64_t x;

	l = N(t, lastn);
	head = iova > f->iova;
	tail = last < n_last(l);
	if (head) {
		struct tnode *h = N(t, pre[0]);

		h->va = f->va;
		h->iova = f->iova;
		h->len = iova - f->iova;
		h->chunk = f->chunk;
	}
	if (tail) {
		struct tnode *tl = N(t, pre[1]);

		tl->iova = last + 1;
		tl->va = l->va + (last + 1 - l->iova);
		tl->len = n_last(l) - last;
		tl->chunk = l->chunk;
	}
	x = f->iova;
	for (;;) {
		uint32_t i = x == f->iova ? first : ceil_iova(t, x);
		struct tnode *n = N(t, i);
		uint64_t s = n->iova > iova ? n->iova : iova;
		uint64_t e = n_last(n) < last ? n_last(n) : last;
		bool done = n_last(n) >= last;

		if (!t->caps.can_split && n->chunk)
			t->n_chunks -= (e - s + 1) / n->chunk;
		t->n_entries--;
		t->bytes -= n->len;
		x = n_last(n) + 1;
		entry_remove(t, i);
		node_free(t, i);
		if (done)
			break;
	}
	if (head) {
		entry_insert(t, pre[0]);
		t->n_entries++;
		t->bytes += N(t, pre[0])->len;
	} else {
		node_free(t, pre[0]);
	}
	if (tail) {
		entry_insert(t, pre[1]);
		t->n_entries++;
		t->bytes += N(t, pre[1])->len;
	} else {
		node_free(t, pre[1]);
	}
	if (head || tail)
		t->splits++;
}

/*
 * The backend removed @p unmapped bytes, not @p len: the mappings at the
 * start of the range (iommu_backend.h). Remove exactly those from the
 * table and keep the rest, which the backend still holds. An end that is
 * not on a chunk (page) boundary cannot be what a mirroring backend did:
 * keep the whole chunk (a stale entry is refused later; forgetting a live
 * mapping would leave device access nobody can revoke). @return -EIO.
 */
static int
short_unmap(struct iova_table *t, uint32_t first, uint64_t va, uint64_t iova,
	    uint64_t len, uint64_t unmapped, uint32_t pre[2])
{
	uint64_t end = unmapped > len ? iova + len : iova + unmapped;
	uint64_t keep_from;

	t->backend_errors++;

	if (end > iova) {
		const struct tnode *e = N(t, floor_iova(t, end - 1));
		uint64_t unit = e->chunk ? e->chunk : t->min_pg;

		end = e->iova + (end - e->iova) / unit * unit;
	}
	keep_from = end;
	if (keep_from != iova + (unmapped > len ? len : unmapped))
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "unmap iova 0x%" PRIx64 ": backend %s reports 0x%"
			 PRIx64 " bytes removed, not a chunk boundary; the "
			 "table keeps the chunk at 0x%" PRIx64, iova,
			 t->ops->name, unmapped, keep_from);
	if (end > iova) {
		remove_range(t, first, iova, end - 1, pre);
	} else {
		node_free(t, pre[0]);
		node_free(t, pre[1]);
	}
	if (unmapped > len)
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "unmap va 0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%"
			 PRIx64 ": backend %s unmapped 0x%" PRIx64 " bytes, more"
			 " than asked; the range is removed from the table", va,
			 iova, len, t->ops->name, unmapped);
	else
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "unmap va 0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%"
			 PRIx64 ": backend %s unmapped 0x%" PRIx64 " bytes, not"
			 " 0x%" PRIx64 "; the table removes [0x%" PRIx64 ", 0x%"
			 PRIx64 ") and keeps the rest, which the backend still "
			 "holds", va, iova, len, t->ops->name, unmapped, len,
			 iova, keep_from);
	return -EIO;
}

static int
do_unmap(struct iova_table *t, uint64_t va, uint64_t iova, uint64_t len)
{
	uint64_t last, unmapped = 0;
	uint32_t first, lastn, cur, nx, pre[2] = {0, 0};
	struct tnode *f, *l;
	int ret;

	ret = check_request(t, "unmap", va, iova, len, false);
	if (ret < 0) {
		t->refused++;
		return ret;
	}
	last = iova + len - 1;

	/* the range must be covered, hole-free, by entries that agree */
	first = floor_iova(t, iova);
	if (first == 0 || n_last(N(t, first)) < iova) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "unmap va 0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%"
			 PRIx64 ": IOVA 0x%" PRIx64 " is not mapped",
			 va, iova, len, iova);
		t->refused++;
		return -ENOENT;
	}
	ret = check_agree(t, N(t, first), va, iova, len);
	if (ret < 0)
		return ret;
	cur = first;
	while (n_last(N(t, cur)) < last) {
		uint64_t next = n_last(N(t, cur)) + 1;

		nx = ceil_iova(t, next);
		if (nx == 0 || N(t, nx)->iova != next) {
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "unmap va 0x%" PRIx64 " iova 0x%" PRIx64
				 " len 0x%" PRIx64 ": IOVA 0x%" PRIx64
				 " is not mapped (hole in the range)",
				 va, iova, len, next);
			t->refused++;
			return -ENOENT;
		}
		ret = check_agree(t, N(t, nx), va, iova, len);
		if (ret < 0)
			return ret;
		cur = nx;
	}
	lastn = cur;
	f = N(t, first);
	l = N(t, lastn);

	/* a backend that cannot split: both ends on chunk boundaries */
	if (!t->caps.can_split) {
		uint64_t off_s = iova - f->iova;
		uint64_t off_e = last - l->iova + 1;

		if ((f->chunk && off_s % f->chunk) ||
		    (l->chunk && off_e % l->chunk)) {
			bool s = f->chunk && off_s % f->chunk;
			const struct tnode *e = s ? f : l;

			KEEL_LOG(ERR, keel_logtype_iommu,
				 "unmap va 0x%" PRIx64 " iova 0x%" PRIx64
				 " len 0x%" PRIx64 ": %s 0x%" PRIx64
				 " would split a 0x%" PRIx64 "-byte chunk of"
				 " entry iova 0x%" PRIx64 " len 0x%" PRIx64
				 "; backend %s cannot split mappings",
				 va, iova, len, s ? "start" : "end",
				 s ? iova : last + 1, e->chunk, e->iova,
				 e->len, t->ops->name);
			t->refused++;
			return -ENOTSUP;
		}
	}

	/* reserve the nodes of the remainders before touching anything;
	 * two, whatever the request: a short unmap may need a tail */
	pre[0] = node_alloc(t);
	pre[1] = pre[0] ? node_alloc(t) : 0;
	if (pre[1] == 0)
		goto nomem;

	t->backend_unmaps++;
	ret = t->ops->unmap(t->priv, iova, len, &unmapped);
	if (ret < 0) {
		t->backend_errors++;
		if (ret == -ENOSPC)
			log_enospc(t, "unmap", iova, len);
		else
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "unmap va 0x%" PRIx64 " iova 0x%" PRIx64
				 " len 0x%" PRIx64 ": backend %s failed: %s",
				 va, iova, len, t->ops->name, strerror(-ret));
		goto release;
	}
	if (unmapped == len) {
		remove_range(t, first, iova, last, pre);
		return 0;
	}
	return short_unmap(t, first, va, iova, len, unmapped, pre);

nomem:
	KEEL_LOG(ERR, keel_logtype_iommu,
		 "unmap iova 0x%" PRIx64 " len 0x%" PRIx64
		 ": out of memory for a remainder entry", iova, len);
	ret = -ENOMEM;
release:
	if (pre[0])
		node_free(t, pre[0]);
	if (pre[1])
		node_free(t, pre[1]);
	return ret;
}

int
iova_table_unmap(struct iova_table *t, uint64_t va, uint64_t iova,
		 uint64_t len)
{
	int ret;

	if (t == NULL) {
		errno = EINVAL;
		return -EINVAL;
	}
	pthread_rwlock_wrlock(&t->lock);
	ret = do_unmap(t, va, iova, len);
	pthread_rwlock_unlock(&t->lock);
	if (ret < 0)
		errno = -ret;
	return ret;
}

int
iova_table_unmap_all(struct iova_table *t)
{
	int n = 0, ret = 0;

	pthread_rwlock_wrlock(&t->lock);
	while (t->root[TR_IOVA] != 0) {
		uint32_t i = ceil_iova(t, 0), pre[2];
		struct tnode *e = N(t, i);
		uint64_t unmapped = 0;

		pre[0] = node_alloc(t);
		pre[1] = pre[0] ? node_alloc(t) : 0;
		if (pre[1] == 0) {
			if (pre[0])
				node_free(t, pre[0]);
			ret = -ENOMEM;
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "unmap all: out of memory for a remainder");
			break;
		}
		t->backend_unmaps++;
		ret = t->ops->unmap(t->priv, e->iova, e->len, &unmapped);
		if (ret < 0) {
			t->backend_errors++;
			node_free(t, pre[0]);
			node_free(t, pre[1]);
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "unmap all: iova 0x%" PRIx64 " len 0x%" PRIx64
				 ": backend %s failed: %s", e->iova, e->len,
				 t->ops->name, strerror(-ret));
			break;
		}
		if (unmapped != e->len) {
			ret = short_unmap(t, i, e->va, e->iova, e->len,
					  unmapped, pre);
			break;
		}
		remove_range(t, i, e->iova, n_last(e), pre);
		n++;
	}
	pthread_rwlock_unlock(&t->lock);
	if (ret < 0) {
		errno = -ret;
		return ret;
	}
	return n;
}

/* ---- lookups ---- */

int
iova_table_lookup_iova(struct iova_table *t, uint64_t iova,
		       struct keel_iommu_mapping *m)
{
	uint32_t i;
	int ret = -ENOENT;

	pthread_rwlock_rdlock(&t->lock);
	i = floor_iova(t, iova);
	if (i && n_last(N(t, i)) >= iova) {
		to_mapping(N(t, i), m);
		ret = 0;
	}
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

int
iova_table_lookup_va(struct iova_table *t, uint64_t va,
		     struct keel_iommu_mapping *m)
{
	uint32_t i;
	int ret = -ENOENT;

	pthread_rwlock_rdlock(&t->lock);
	i = stab_va(t, va);
	if (i) {
		to_mapping(N(t, i), m);
		ret = 0;
	}
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

int
iova_table_next(struct iova_table *t, uint64_t iova,
		struct keel_iommu_mapping *m)
{
	uint32_t i;
	int ret = -ENOENT;

	pthread_rwlock_rdlock(&t->lock);
	i = floor_iova(t, iova);
	if (i == 0 || n_last(N(t, i)) < iova)
		i = ceil_iova(t, iova);
	if (i) {
		to_mapping(N(t, i), m);
		ret = 0;
	}
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

static int
walk_locked(struct iova_table *t,
	    int (*fn)(const struct keel_iommu_mapping *m, void *arg),
	    void *arg)
{
	uint32_t stack[MAX_DEPTH];
	uint32_t i = t->root[TR_IOVA];
	int sp = 0, ret;

	while (i || sp) {
		while (i) {
			stack[sp++] = i;
			i = N(t, i)->link[TR_IOVA][0];
		}
		i = stack[--sp];
		{
			struct keel_iommu_mapping m;

			to_mapping(N(t, i), &m);
			ret = fn(&m, arg);
			if (ret != 0)
				return ret;
		}
		i = N(t, i)->link[TR_IOVA][1];
	}
	return 0;
}

int
iova_table_walk(struct iova_table *t,
		int (*fn)(const struct keel_iommu_mapping *m, void *arg),
		void *arg)
{
	int ret;

	pthread_rwlock_rdlock(&t->lock);
	ret = walk_locked(t, fn, arg);
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

/* ---- caps, stats, dump ---- */

void
iova_table_caps(struct iova_table *t, struct keel_iommu_caps *caps)
{
	pthread_rwlock_rdlock(&t->lock);
	*caps = t->caps;
	pthread_rwlock_unlock(&t->lock);
}

int
iova_table_caps_refresh(struct iova_table *t)
{
	struct keel_iommu_caps old;
	int ret;

	pthread_rwlock_wrlock(&t->lock);
	old = t->caps;
	ret = read_caps(t);
	if (ret == 0 && old.can_split != t->caps.can_split &&
	    t->n_entries != 0) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "backend %s changed can_split with %" PRIu64
			 " entries mapped; keeping the old caps",
			 t->ops->name, t->n_entries);
		t->caps = old;
		ret = -EBUSY;
	}
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

static void
stats_locked(struct iova_table *t, struct keel_iommu_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->entries = t->n_entries;
	st->bytes = t->bytes;
	st->backend_mappings = backend_usage(t);
	st->max_mappings = t->caps.max_mappings;
	st->backend_maps = t->backend_maps;
	st->backend_unmaps = t->backend_unmaps;
	st->backend_errors = t->backend_errors;
	st->merges = t->merges;
	st->splits = t->splits;
	st->refused = t->refused;
	st->node_bytes = (uint64_t)t->n_blocks * NB_SIZE *
		sizeof(struct tnode) + t->blocks_cap * sizeof(void *) +
		sizeof(*t);
}

void
iova_table_stats(struct iova_table *t, struct keel_iommu_stats *st)
{
	pthread_rwlock_rdlock(&t->lock);
	stats_locked(t, st);
	pthread_rwlock_unlock(&t->lock);
}

static int
dump_one(const struct keel_iommu_mapping *m, void *arg)
{
	fprintf((FILE *)arg, "  iova 0x%016" PRIx64 "-0x%016" PRIx64
		" va 0x%016" PRIx64 " len 0x%" PRIx64 " chunk 0x%" PRIx64 "\n",
		m->iova, m->iova + m->len - 1, m->va, m->len, m->chunk);
	return 0;
}

void
iova_table_dump(struct iova_table *t, FILE *f)
{
	struct keel_iommu_stats st;
	unsigned int i;

	pthread_rwlock_rdlock(&t->lock);
	stats_locked(t, &st);
	fprintf(f, "backend %s: %s, pgsizes 0x%" PRIx64 ", %u-bit, limit %"
		PRIu64 "\n", t->ops->name,
		t->caps.can_split ? "can split" : "cannot split",
		t->caps.pgsize_bitmap, t->caps.addr_width,
		t->caps.max_mappings);
	for (i = 0; i < t->caps.n_ranges; i++)
		fprintf(f, "  usable [0x%" PRIx64 ", 0x%" PRIx64 "]\n",
			t->caps.ranges[i].start, t->caps.ranges[i].last);
	fprintf(f, "entries %" PRIu64 ", bytes 0x%" PRIx64 ", backend mappings %"
		PRIu64 ", backend calls %" PRIu64 " map / %" PRIu64
		" unmap / %" PRIu64 " failed, merges %" PRIu64 ", splits %"
		PRIu64 ", refused %" PRIu64 ", table memory %" PRIu64 " B\n",
		st.entries, st.bytes, st.backend_mappings, st.backend_maps,
		st.backend_unmaps, st.backend_errors, st.merges, st.splits,
		st.refused, st.node_bytes);
	walk_locked(t, dump_one, f);
	pthread_rwlock_unlock(&t->lock);
}

/* ---- self check (tests) ---- */

struct chk {
	uint64_t count;
	bool bad;
	const char *why;
	uint32_t where;
};

static int
chk_tree(struct iova_table *t, int tr, uint32_t i, struct chk *c)
{
	struct tnode *n;
	int hl, hr;
	uint64_t m;

	if (i == 0 || c->bad)
		return 0;
	n = N(t, i);
	hl = chk_tree(t, tr, n->link[tr][0], c);
	hr = chk_tree(t, tr, n->link[tr][1], c);
	if (c->bad)
		return 0;
	c->count++;
	if (n->height[tr] != 1 + (hl > hr ? hl : hr) || hl - hr > 1 ||
	    hr - hl > 1) {
		c->bad = true;
		c->why = "AVL height/balance";
		c->where = i;
	}
	if (n->link[tr][0] && !key_less(t, tr, n->link[tr][0], i)) {
		c->bad = true;
		c->why = "order (left)";
		c->where = i;
	}
	if (n->link[tr][1] && !key_less(t, tr, i, n->link[tr][1])) {
		c->bad = true;
		c->why = "order (right)";
		c->where = i;
	}
	if (tr == TR_VA) {
		m = n->va + n->len - 1;
		if (n->link[tr][0] && N(t, n->link[tr][0])->va_max_last > m)
			m = N(t, n->link[tr][0])->va_max_last;
		if (n->link[tr][1] && N(t, n->link[tr][1])->va_max_last > m)
			m = N(t, n->link[tr][1])->va_max_last;
		if (m != n->va_max_last) {
			c->bad = true;
			c->why = "VA augmentation";
			c->where = i;
		}
	}
	return n->height[tr];
}

struct chk_seq {
	bool have;
	struct keel_iommu_mapping prev;
	uint64_t bytes;
	uint64_t chunks;
	bool can_split;
	const char *why;
};

static int
chk_seq_one(const struct keel_iommu_mapping *m, void *arg)
{
	struct chk_seq *s = arg;

	if (m->len == 0)
		return s->why = "empty entry", 1;
	if (s->can_split ? m->chunk != 0 : (m->chunk == 0 || m->len % m->chunk))
		return s->why = "chunk does not fit the backend kind", 1;
	if (s->have) {
		const struct keel_iommu_mapping *p = &s->prev;

		if (p->iova + p->len - 1 >= m->iova)
			return s->why = "overlapping IOVA ranges", 1;
		if (p->iova + p->len == m->iova && p->va + p->len == m->va &&
		    p->va + p->len - 1 != UINT64_MAX && p->chunk == m->chunk)
			return s->why = "unmerged neighbours", 1;
	}
	s->bytes += m->len;
	if (m->chunk)
		s->chunks += m->len / m->chunk;
	s->prev = *m;
	s->have = true;
	return 0;
}

int
iova_table_check(struct iova_table *t)
{
	struct chk c[2];
	struct chk_seq s;
	int tr, ret = 0;

	memset(c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	pthread_rwlock_rdlock(&t->lock);
	for (tr = 0; tr < 2; tr++) {
		chk_tree(t, tr, t->root[tr], &c[tr]);
		if (c[tr].bad) {
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "table check: %s tree: %s at node %u",
				 tr ? "VA" : "IOVA", c[tr].why, c[tr].where);
			ret = -EUCLEAN;
		} else if (c[tr].count != t->n_entries) {
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "table check: %s tree holds %" PRIu64
				 " nodes, table says %" PRIu64,
				 tr ? "VA" : "IOVA", c[tr].count, t->n_entries);
			ret = -EUCLEAN;
		}
	}
	s.can_split = t->caps.can_split;
	if (ret == 0 && walk_locked(t, chk_seq_one, &s) != 0) {
		KEEL_LOG(ERR, keel_logtype_iommu, "table check: %s at iova 0x%"
			 PRIx64, s.why, s.prev.iova);
		ret = -EUCLEAN;
	}
	if (ret == 0 && (s.bytes != t->bytes ||
			 (!t->caps.can_split && s.chunks != t->n_chunks))) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "table check: counters: bytes %" PRIu64 " vs %" PRIu64
			 ", chunks %" PRIu64 " vs %" PRIu64, s.bytes, t->bytes,
			 s.chunks, t->n_chunks);
		ret = -EUCLEAN;
	}
	pthread_rwlock_unlock(&t->lock);
	return ret;
}
