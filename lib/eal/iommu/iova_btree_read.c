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

int
bt_r_floor(struct iova_store *st, struct bt_roots *rt, uint64_t iova,
	   struct iova_entry *out)
{
	for (;;) {
		uint64_t s = r_begin(st);
		const struct bt_node *n = atomic_load_explicit(&rt->r[TR_IOVA],
							memory_order_acquire);
		unsigned int lvl, cnt, c;

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
			lvl--;
		}
		if (lvl > 0)
			continue;
		cnt = RD(n->n);
		if (cnt > BT_LEAF_MAX)
			continue;
		c = count_le(n->l.key, cnt, iova);
		if (c == 0) {
			if (r_ok(st, s))
				return -ENOENT;
			continue;
		}
		if (r_copy(st, RD(n->l.idx[c - 1]), out) && r_ok(st, s))
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
		unsigned int lvl, cnt, c, p, k = 0, succ_lvl = 0;

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
		cnt = RD(n->n);
		if (cnt > BT_LEAF_MAX)
			continue;
		c = count_lt(n->l.key, cnt, iova);
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
			if (n == NULL)
				continue;
			cnt = RD(n->n);
			if (cnt == 0 || cnt > BT_LEAF_MAX)
				continue;
			c = 0;
		}
		for (; c < cnt && k < max; c++, k++)
			if (!r_copy(st, RD(n->l.idx[c]), &out[k]))
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
		unsigned int cnt = RD(n->n), lim, j;

		if (lvl[sp - 1] == 0) {
			if (cnt > BT_LEAF_MAX)
				return -1;
			lim = count_le(n->l.key, cnt, va);
			for (j = 0; j < lim; j++) {
				if (!r_copy(st, RD(n->l.idx[j]), out))
					return -1;
				if (va - out->va < out->len &&
				    !(out->chunk_fl & IOVA_E_DYING))
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
		unsigned int lvl, cnt, c;
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
			lvl--;
		}
		if (lvl == 0) {
			cnt = RD(n->n);
			c = cnt <= BT_LEAF_MAX ? count_le(n->l.key, cnt, va) : 0;
			if (c > 0 && r_copy(st, RD(n->l.idx[c - 1]), out) &&
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
