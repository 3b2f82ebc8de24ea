/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lock-free readers of the IOVA map table's B+trees: floor by IOVA, the
 * entries from an IOVA on, and the VA stab.
 *
 * Invariant: a reader returns only what it read between two equal samples
 * of the store's reuse_seq, so nothing it read was reused meanwhile: it is
 * a state some published root reached (iova_store.h). It checks reuse_seq
 * before it follows any pointer it read, so it never dereferences reused
 * memory, and checks every count against the node's capacity first, so a
 * torn read stays inside the node. Lock: none.
 */
#include <errno.h>

#include "iova_btree.h"

/*
 * Ask for every line of a compact node at once: a search's probes then
 * wait for about one miss per node, not one per probe (a node is 8 lines;
 * a wide leaf's second half is left to the probes). A prefetch of memory
 * since reused is harmless: nothing is read from it before r_ok().
 */
static inline void
r_prefetch(const struct bt_node *n)
{
	const char *p = (const char *)n;

	for (unsigned int o = 0; o < BT_NODE_BYTES; o += 64)
		__builtin_prefetch(p + o);
}

static inline uint64_t
r_begin(struct iova_store *st)
{
	return atomic_load_explicit(&st->reuse_seq, memory_order_acquire);
}

/* nothing read since r_begin() returned @p s was reused */
static inline bool
r_ok(struct iova_store *st, uint64_t s)
{
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&st->reuse_seq, memory_order_relaxed) == s;
}

static inline bool
r_copy(struct iova_store *st, uint32_t idx, struct iova_entry *out)
{
	const struct es_dir *d = atomic_load_explicit(&st->dir,
						      memory_order_acquire);
	const struct iova_entry *e = es_get(d, idx);

	if (e == NULL)
		return false;
	out->iova = RD(e->iova);
	out->va = RD(e->va);
	out->len = RD(e->len);
	out->chunk_fl = RD(e->chunk_fl);
	return true;
}

/* a child pointer read from @p n, checked; NULL: start again */
static inline const struct bt_node *
r_child(struct iova_store *st, uint64_t s, const struct bt_node *n,
	unsigned int j, unsigned int level)
{
	const struct bt_node *c = RD(n->i.child[j]);

	if (!r_ok(st, s) || c == NULL || RD(c->level) != level - 1)
		return NULL;
	return c;
}

/*
 * A leaf's count and format, checked before its arrays are read (a
 * compact leaf is 512 bytes, a wide one 1 KiB): 0, or -1 to start again.
 */
static inline int
r_leaf(struct iova_store *st, uint64_t s, const struct bt_node *n, int tr,
       unsigned int *cnt, unsigned int *fmt)
{
	*cnt = RD(n->n);
	*fmt = RD(n->fmt);
	if (*cnt > (tr == TR_VA ? BT_VLEAF_MAX : BT_LEAF_MAX) ||
	    (*fmt > 63 && *fmt != BT_FMT_WIDE) || !r_ok(st, s))
		return -1;
	return 0;
}

/* keys of a leaf (header checked) that are <= x */
static inline unsigned int
r_leaf_le(const struct bt_node *n, int tr, unsigned int cnt, unsigned int fmt,
	  uint64_t x)
{
	uint64_t base, d;

	if (fmt == BT_FMT_WIDE)
		return count_le(tr == TR_VA ? n->vw.key : n->w.key, cnt, x);
	base = tr == TR_VA ? RD(n->vl.base) : RD(n->l.base);
	if (cnt == 0 || x < base)
		return 0;
	d = (x - base) >> fmt;
	return d > UINT32_MAX ? cnt : count_le32(tr == TR_VA ? n->vl.delta :
						  n->l.delta, cnt,
						  (uint32_t)d);
}

/* keys of a leaf that are < x */
static inline unsigned int
r_leaf_lt(const struct bt_node *n, int tr, unsigned int cnt,
	  unsigned int fmt, uint64_t x)
{
	return x == 0 ? 0 : r_leaf_le(n, tr, cnt, fmt, x - 1);
}

static inline uint32_t
r_leaf_idx(const struct bt_node *n, int tr, unsigned int fmt, unsigned int j)
{
	if (tr == TR_VA)
		return fmt == BT_FMT_WIDE ? RD(n->vw.idx[j]) : RD(n->vl.idx[j]);
	return fmt == BT_FMT_WIDE ? RD(n->w.idx[j]) : RD(n->l.idx[j]);
}

/* element j of a VA leaf holds va (from the leaf alone) */
static inline bool
r_vleaf_holds(const struct bt_node *n, unsigned int fmt, unsigned int j,
	      uint64_t va)
{
	uint64_t key, len;

	if (fmt == BT_FMT_WIDE) {
		key = RD(n->vw.key[j]);
		len = RD(n->vw.len[j]);
	} else {
		key = RD(n->vl.base) + ((uint64_t)RD(n->vl.delta[j]) << fmt);
		len = (uint64_t)RD(n->vl.len[j]) << (RD(n->vl.lsh) & 63);
	}
	return va - key < len;
}

int
bt_r_floor(struct iova_store *st, struct bt_roots *rt, uint64_t iova,
	   struct iova_entry *out)
{
	for (;;) {
		uint64_t s = r_begin(st);
		const struct bt_node *n = atomic_load_explicit(&rt->r[TR_IOVA],
							memory_order_acquire);
		unsigned int lvl, cnt, c, fmt;

		if (n == NULL)
			return -ENOENT;
		lvl = RD(n->level);
		while (lvl > 0) {
			cnt = RD(n->n);
			if (cnt == 0 || cnt > BT_INNER_MAX || lvl >= BT_MAX_DEPTH)
				break;
			c = count_le(n->i.key, cnt, iova);
			if (c == 0) {
				if (r_ok(st, s))
					return -ENOENT;
				break;
			}
			n = r_child(st, s, n, c - 1, lvl);
			if (n == NULL)
				break;
			r_prefetch(n);
			lvl--;
		}
		if (lvl > 0)
			continue;
		if (r_leaf(st, s, n, TR_IOVA, &cnt, &fmt) < 0)
			continue;
		c = r_leaf_le(n, TR_IOVA, cnt, fmt, iova);
		if (c == 0) {
			if (r_ok(st, s))
				return -ENOENT;
			continue;
		}
		if (r_copy(st, r_leaf_idx(n, TR_IOVA, fmt, c - 1), out) &&
		    r_ok(st, s))
			return 0;
	}
}

unsigned int
bt_r_from(struct iova_store *st, struct bt_roots *rt, uint64_t iova,
	  struct iova_entry *out, unsigned int max)
{
	for (;;) {
		uint64_t s = r_begin(st);
		const struct bt_node *n = atomic_load_explicit(&rt->r[TR_IOVA],
							memory_order_acquire);
		const struct bt_node *succ = NULL;
		unsigned int lvl, cnt, c, p, k = 0, succ_lvl = 0, fmt;

		if (n == NULL)
			return 0;
		lvl = RD(n->level);
		while (lvl > 0) {
			cnt = RD(n->n);
			if (cnt == 0 || cnt > BT_INNER_MAX || lvl >= BT_MAX_DEPTH)
				break;
			c = count_le(n->i.key, cnt, iova);
			p = c ? c - 1 : 0;
			if (p + 1 < cnt) {
				succ = r_child(st, s, n, p + 1, lvl);
				succ_lvl = lvl - 1;
				if (succ == NULL)
					break;
			}
			n = r_child(st, s, n, p, lvl);
			if (n == NULL)
				break;
			lvl--;
		}
		if (lvl > 0)
			continue;
		if (r_leaf(st, s, n, TR_IOVA, &cnt, &fmt) < 0)
			continue;
		c = r_leaf_lt(n, TR_IOVA, cnt, fmt, iova);
		if (c == cnt) {
			if (succ == NULL) {
				if (r_ok(st, s))
					return 0;
				continue;
			}
			/* the leftmost leaf of the next subtree */
			for (n = succ, lvl = succ_lvl; n != NULL && lvl > 0;
			     lvl--)
				n = r_child(st, s, n, 0, lvl);
			if (n == NULL ||
			    r_leaf(st, s, n, TR_IOVA, &cnt, &fmt) < 0 ||
			    cnt == 0)
				continue;
			c = 0;
		}
		for (; c < cnt && k < max; c++, k++)
			if (!r_copy(st, r_leaf_idx(n, TR_IOVA, fmt, c),
				    &out[k]))
				break;
		if (r_ok(st, s) && (c == cnt || k == max))
			return k;
	}
}

/* the slow stab: every subtree whose smallest VA is <= va and whose
 * largest last VA is >= va, in order (VA ranges overlap); 1 found, 0 not,
 * -1 start again */
static int
r_stab_dfs(struct iova_store *st, uint64_t s, const struct bt_node *root,
	   uint64_t va, struct iova_entry *out)
{
	const struct bt_node *stk[BT_MAX_DEPTH];
	unsigned int next[BT_MAX_DEPTH], lvl[BT_MAX_DEPTH], sp = 0;

	stk[0] = root;
	next[0] = 0;
	lvl[0] = RD(root->level);
	if (lvl[0] >= BT_MAX_DEPTH)
		return -1;
	sp = 1;
	while (sp > 0) {
		const struct bt_node *n = stk[sp - 1];
		unsigned int cnt = RD(n->n), lim, j, fmt;

		if (lvl[sp - 1] == 0) {
			if (r_leaf(st, s, n, TR_VA, &cnt, &fmt) < 0)
				return -1;
			lim = r_leaf_le(n, TR_VA, cnt, fmt, va);
			for (j = 0; j < lim; j++) {
				if (!r_vleaf_holds(n, fmt, j, va))
					continue;
				if (!r_copy(st, r_leaf_idx(n, TR_VA, fmt, j),
					    out))
					return -1;
				return r_ok(st, s) ? 1 : -1;
			}
			sp--;
			continue;
		}
		if (cnt > BT_INNER_MAX)
			return -1;
		lim = count_le(n->i.key, cnt, va);
		for (j = next[sp - 1]; j < lim; j++)
			if (RD(n->i.caug[j]) >= va)
				break;
		if (j >= lim) {
			sp--;
			continue;
		}
		next[sp - 1] = j + 1;
		if (sp == BT_MAX_DEPTH)
			return -1;
		stk[sp] = r_child(st, s, n, j, lvl[sp - 1]);
		if (stk[sp] == NULL)
			return -1;
		lvl[sp] = lvl[sp - 1] - 1;
		next[sp] = 0;
		sp++;
	}
	return r_ok(st, s) ? 0 : -1;
}

int
bt_r_stab_va(struct iova_store *st, struct bt_roots *rt, uint64_t va,
	     struct iova_entry *out)
{
	for (;;) {
		uint64_t s = r_begin(st);
		const struct bt_node *root = atomic_load_explicit(&rt->r[TR_VA],
							memory_order_acquire);
		const struct bt_node *n = root;
		unsigned int lvl, cnt, c, fmt;
		int r;

		if (n == NULL)
			return -ENOENT;
		/* fast path: the entry with the largest VA <= va holds it
		 * whenever VA ranges do not overlap */
		lvl = RD(n->level);
		while (lvl > 0) {
			cnt = RD(n->n);
			if (cnt == 0 || cnt > BT_INNER_MAX || lvl >= BT_MAX_DEPTH)
				break;
			c = count_le(n->i.key, cnt, va);
			if (c == 0)
				break;
			n = r_child(st, s, n, c - 1, lvl);
			if (n == NULL)
				break;
			r_prefetch(n);
			lvl--;
		}
		if (lvl == 0 && r_leaf(st, s, n, TR_VA, &cnt, &fmt) == 0) {
			c = r_leaf_le(n, TR_VA, cnt, fmt, va);
			if (c > 0 && r_copy(st, r_leaf_idx(n, TR_VA, fmt, c - 1),
					    out) &&
			    va - out->va < out->len && r_ok(st, s))
				return 0;
		}
		if (!r_ok(st, s))
			continue;
		r = r_stab_dfs(st, s, root, va, out);
		if (r >= 0)
			return r ? 0 : -ENOENT;
	}
}
