/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Copy-on-write B+trees over the entries of an IOVA map table.
 *
 * Invariants (checked by bt_check()):
 *  - every leaf is at level 0 and a child is one level below its parent;
 *  - elements (key, entry index) strictly increase in in-order;
 *  - an inner node's (key[i], kidx[i]) is exactly the smallest element of
 *    child i, so one descent finds the floor of a key;
 *  - a node other than the root holds at least half its capacity less one;
 *  - VA tree: a leaf's aug is the largest last VA of its entries, an inner
 *    node's caug[i] is child i's aug and its aug the largest caug.
 *
 * Writers restructure top-down: a full child is balanced with a sibling
 * that has room, or with a full sibling made into three nodes (B*-tree),
 * or split, before the descent enters it (inserts); a child at its
 * minimum borrows from or merges with a sibling (deletes).
 * Every node a writer changes is its transaction's own copy.
 *
 * The readers are in iova_btree_read.c.
 */
#include <errno.h>
#include <string.h>

#include "iova_btree.h"


struct elem {
	uint64_t key;
	uint32_t idx;
	struct bt_node *child;  /* inner elements */
	uint64_t aug;           /* inner elements (VA tree) */
};

static inline unsigned int
cap_of(const struct bt_node *n)
{
	return n->level == 0 ? BT_LEAF_MAX : BT_INNER_MAX;
}

static inline unsigned int
min_of(const struct bt_node *n)
{
	return cap_of(n) / 2;
}

static inline int
kcmp(uint64_t ak, uint32_t ai, uint64_t bk, uint32_t bi)
{
	if (ak != bk)
		return ak < bk ? -1 : 1;
	return ai < bi ? -1 : ai > bi;
}

static uint64_t
entry_last(struct iova_store *st, uint32_t idx)
{
	const struct iova_entry *e = es_w(st, idx);

	return e->va + e->len - 1;
}

/* ---- elements ---- */

static void
get_e(const struct bt_node *n, unsigned int j, struct elem *e)
{
	if (n->level == 0) {
		e->key = n->l.key[j];
		e->idx = n->l.idx[j];
		e->child = NULL;
		e->aug = 0;
	} else {
		e->key = n->i.key[j];
		e->idx = n->i.kidx[j];
		e->child = n->i.child[j];
		e->aug = n->i.caug[j];
	}
}

static void
put_e(struct bt_node *n, unsigned int j, const struct elem *e)
{
	if (n->level == 0) {
		n->l.key[j] = e->key;
		n->l.idx[j] = e->idx;
	} else {
		n->i.key[j] = e->key;
		n->i.kidx[j] = e->idx;
		n->i.child[j] = e->child;
		n->i.caug[j] = e->aug;
	}
}

static void
fix_aug(struct iova_store *st, int tr, struct bt_node *n)
{
	uint64_t m = 0;
	unsigned int j;

	if (tr != TR_VA)
		return;
	for (j = 0; j < n->n; j++) {
		uint64_t a = n->level == 0 ? entry_last(st, n->l.idx[j]) :
			n->i.caug[j];

		if (a > m)
			m = a;
	}
	n->aug = m;
}

/* child index of inner node @p n whose range holds (key, idx) */
static unsigned int
inner_pos(const struct bt_node *n, uint64_t key, uint32_t idx)
{
	unsigned int lo = 0, hi = n->n;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (kcmp(n->i.key[mid], n->i.kidx[mid], key, idx) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : 0;
}

/* first position of leaf @p n whose element is >= (key, idx) */
static unsigned int
leaf_lb(const struct bt_node *n, uint64_t key, uint32_t idx)
{
	unsigned int lo = 0, hi = n->n;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (kcmp(n->l.key[mid], n->l.idx[mid], key, idx) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- restructuring (parent @p P and its children are writable) ---- */

enum { RD_BALANCE, RD_MERGE, RD_FILL_LEFT };

/* children p and p + 1 of P: share their elements evenly, merge them into
 * child p, or fill child p and leave the rest in p + 1 (appends) */
static void
redistribute(struct iova_txn *x, int tr, struct bt_node *P, unsigned int p,
	     int mode)
{
	bool merge = mode == RD_MERGE;
	struct elem tmp[2 * BT_LEAF_MAX];
	struct bt_node *a, *b;
	unsigned int na, total, j;

	a = txn_node_w(x, P->i.child[p]);
	b = a ? txn_node_w(x, P->i.child[p + 1]) : NULL;
	if (b == NULL)
		return;
	P->i.child[p] = a;
	P->i.child[p + 1] = b;
	total = a->n + b->n;
	for (j = 0; j < a->n; j++)
		get_e(a, j, &tmp[j]);
	for (j = 0; j < b->n; j++)
		get_e(b, j, &tmp[a->n + j]);
	na = merge ? total : (total + 1) / 2;
	if (mode == RD_FILL_LEFT)
		na = total - 1 < cap_of(a) ? total - 1 : cap_of(a);
	for (j = 0; j < na; j++)
		put_e(a, j, &tmp[j]);
	a->n = (uint16_t)na;
	fix_aug(x->st, tr, a);
	P->i.caug[p] = a->aug;
	if (merge) {
		memmove(&P->i.key[p + 1], &P->i.key[p + 2],
			(P->n - p - 2) * sizeof(P->i.key[0]));
		memmove(&P->i.kidx[p + 1], &P->i.kidx[p + 2],
			(P->n - p - 2) * sizeof(P->i.kidx[0]));
		memmove(&P->i.child[p + 1], &P->i.child[p + 2],
			(P->n - p - 2) * sizeof(P->i.child[0]));
		memmove(&P->i.caug[p + 1], &P->i.caug[p + 2],
			(P->n - p - 2) * sizeof(P->i.caug[0]));
		P->n--;
		txn_node_drop(x, b);
		return;
	}
	for (j = na; j < total; j++)
		put_e(b, j - na, &tmp[j]);
	b->n = (uint16_t)(total - na);
	fix_aug(x->st, tr, b);
	P->i.key[p + 1] = tmp[na].key;
	P->i.kidx[p + 1] = tmp[na].idx;
	P->i.caug[p + 1] = b->aug;
}

/* split child p of P (not full) into two */
static void
split_child(struct iova_txn *x, int tr, struct bt_node *P, unsigned int p)
{
	struct bt_node *c = txn_node_w(x, P->i.child[p]), *nb;
	unsigned int keep, j, m;
	struct elem e;

	nb = c ? txn_node_new(x) : NULL;
	if (nb == NULL)
		return;
	P->i.child[p] = c;
	nb->level = c->level;
	keep = (c->n + 1) / 2;
	for (j = keep; j < c->n; j++) {
		get_e(c, j, &e);
		put_e(nb, j - keep, &e);
	}
	nb->n = (uint16_t)(c->n - keep);
	c->n = (uint16_t)keep;
	fix_aug(x->st, tr, c);
	fix_aug(x->st, tr, nb);
	m = P->n - p - 1;
	memmove(&P->i.key[p + 2], &P->i.key[p + 1], m * sizeof(P->i.key[0]));
	memmove(&P->i.kidx[p + 2], &P->i.kidx[p + 1], m * sizeof(P->i.kidx[0]));
	memmove(&P->i.child[p + 2], &P->i.child[p + 1],
		m * sizeof(P->i.child[0]));
	memmove(&P->i.caug[p + 2], &P->i.caug[p + 1], m * sizeof(P->i.caug[0]));
	get_e(nb, 0, &e);
	P->i.key[p + 1] = e.key;
	P->i.kidx[p + 1] = e.idx;
	P->i.child[p + 1] = nb;
	P->i.caug[p + 1] = nb->aug;
	P->i.caug[p] = c->aug;
	P->n++;
}

/*
 * Children p and p + 1 of P are both full: make three nodes of them, each
 * two thirds full (a B*-tree split: the tree stays fuller than with a
 * split of one node into two halves).
 */
static void
split3(struct iova_txn *x, int tr, struct bt_node *P, unsigned int p)
{
	struct elem tmp[2 * BT_LEAF_MAX];
	struct bt_node *a, *b, *c;
	unsigned int total, na, nb, j, m;

	a = txn_node_w(x, P->i.child[p]);
	b = a ? txn_node_w(x, P->i.child[p + 1]) : NULL;
	c = b ? txn_node_new(x) : NULL;
	if (c == NULL)
		return;
	P->i.child[p] = a;
	P->i.child[p + 1] = b;
	c->level = a->level;
	total = a->n + b->n;
	for (j = 0; j < a->n; j++)
		get_e(a, j, &tmp[j]);
	for (j = 0; j < b->n; j++)
		get_e(b, j, &tmp[a->n + j]);
	na = (total + 2) / 3;
	nb = (total - na + 1) / 2;
	for (j = 0; j < na; j++)
		put_e(a, j, &tmp[j]);
	for (j = 0; j < nb; j++)
		put_e(b, j, &tmp[na + j]);
	for (j = 0; j < total - na - nb; j++)
		put_e(c, j, &tmp[na + nb + j]);
	a->n = (uint16_t)na;
	b->n = (uint16_t)nb;
	c->n = (uint16_t)(total - na - nb);
	fix_aug(x->st, tr, a);
	fix_aug(x->st, tr, b);
	fix_aug(x->st, tr, c);
	m = P->n - p - 2;
	memmove(&P->i.key[p + 3], &P->i.key[p + 2], m * sizeof(P->i.key[0]));
	memmove(&P->i.kidx[p + 3], &P->i.kidx[p + 2], m * sizeof(P->i.kidx[0]));
	memmove(&P->i.child[p + 3], &P->i.child[p + 2],
		m * sizeof(P->i.child[0]));
	memmove(&P->i.caug[p + 3], &P->i.caug[p + 2], m * sizeof(P->i.caug[0]));
	P->i.key[p + 1] = tmp[na].key;
	P->i.kidx[p + 1] = tmp[na].idx;
	P->i.key[p + 2] = tmp[na + nb].key;
	P->i.kidx[p + 2] = tmp[na + nb].idx;
	P->i.child[p + 2] = c;
	P->i.caug[p] = a->aug;
	P->i.caug[p + 1] = b->aug;
	P->i.caug[p + 2] = c->aug;
	P->n++;
}

/* ---- insert / delete ---- */

int
bt_insert(struct iova_txn *x, int tr, uint64_t key, uint32_t idx)
{
	struct iova_store *st = x->st;
	uint64_t last = tr == TR_VA ? entry_last(st, idx) : 0;
	struct bt_node *path[BT_MAX_DEPTH], *n;
	unsigned int pos[BT_MAX_DEPTH], d = 0, j;

	if (x->err)
		return x->err;
	n = x->root[tr];
	if (n == NULL) {
		n = txn_node_new(x);
		if (n == NULL)
			return x->err;
		n->level = 0;
		n->n = 1;
		n->l.key[0] = key;
		n->l.idx[0] = idx;
		n->aug = last;
		x->root[tr] = n;
		return 0;
	}
	n = txn_node_w(x, n);
	if (n == NULL)
		return x->err;
	x->root[tr] = n;
	if (n->n == cap_of(n)) {
		struct bt_node *r = txn_node_new(x);
		struct elem e;

		if (r == NULL)
			return x->err;
		get_e(n, 0, &e);
		r->level = n->level + 1;
		r->n = 1;
		r->i.key[0] = e.key;
		r->i.kidx[0] = e.idx;
		r->i.child[0] = n;
		r->i.caug[0] = n->aug;
		r->aug = n->aug;
		x->root[tr] = r;
		split_child(x, tr, r, 0);
		if (x->err)
			return x->err;
		n = r;
	}
	while (n->level > 0) {
		unsigned int p = inner_pos(n, key, idx);
		struct bt_node *c = txn_node_w(x, n->i.child[p]);

		if (c == NULL || d == BT_MAX_DEPTH)
			return x->err ? x->err : -ENOSPC;
		n->i.child[p] = c;
		if (c->n == cap_of(c)) {
			struct elem lastc;
			bool append;

			/* appending at the right edge (rising IOVAs, EAL
			 * memory): fill the left neighbour, or split off a
			 * new right node, so the nodes left behind stay full */
			get_e(c, c->n - 1u, &lastc);
			append = p + 1 == n->n &&
				 kcmp(key, idx, lastc.key, lastc.idx) > 0;
			if (append && p > 0 &&
			    n->i.child[p - 1]->n + 1u < cap_of(c))
				redistribute(x, tr, n, p - 1, RD_FILL_LEFT);
			else if (append)
				split_child(x, tr, n, p);
			/* else a neighbour with room takes some; two full
			 * ones become three (B*); an only child splits */
			else if (p + 1 < n->n &&
				 n->i.child[p + 1]->n + 1u < cap_of(c))
				redistribute(x, tr, n, p, RD_BALANCE);
			else if (p > 0 && n->i.child[p - 1]->n + 1u < cap_of(c))
				redistribute(x, tr, n, p - 1, RD_BALANCE);
			else if (p + 1 < n->n)
				split3(x, tr, n, p);
			else if (p > 0)
				split3(x, tr, n, p - 1);
			else
				split_child(x, tr, n, p);
			if (x->err)
				return x->err;
			p = inner_pos(n, key, idx);
			c = n->i.child[p];
		}
		if (kcmp(key, idx, n->i.key[p], n->i.kidx[p]) < 0) {
			n->i.key[p] = key;
			n->i.kidx[p] = idx;
		}
		path[d] = n;
		pos[d++] = p;
		n = c;
	}
	j = leaf_lb(n, key, idx);
	memmove(&n->l.key[j + 1], &n->l.key[j],
		(n->n - j) * sizeof(n->l.key[0]));
	memmove(&n->l.idx[j + 1], &n->l.idx[j],
		(n->n - j) * sizeof(n->l.idx[0]));
	n->l.key[j] = key;
	n->l.idx[j] = idx;
	n->n++;
	if (tr == TR_VA) {
		if (last > n->aug)
			n->aug = last;
		while (d-- > 0) {
			struct bt_node *P = path[d];

			P->i.caug[pos[d]] = n->aug;
			if (n->aug > P->aug)
				P->aug = n->aug;
			n = P;
		}
	}
	return 0;
}

int
bt_delete(struct iova_txn *x, int tr, uint64_t key, uint32_t idx)
{
	struct iova_store *st = x->st;
	struct bt_node *path[BT_MAX_DEPTH], *n, *root;
	unsigned int pos[BT_MAX_DEPTH], d = 0, j, k;
	uint64_t last;

	if (x->err)
		return x->err;
	if (x->root[tr] == NULL)
		return -ENOENT;
	n = txn_node_w(x, x->root[tr]);
	if (n == NULL)
		return x->err;
	x->root[tr] = n;
	while (n->level > 0) {
		unsigned int p = inner_pos(n, key, idx);
		struct bt_node *c = txn_node_w(x, n->i.child[p]);

		if (c == NULL || d == BT_MAX_DEPTH)
			return x->err ? x->err : -ENOSPC;
		n->i.child[p] = c;
		if (c->n <= min_of(c) && n->n > 1) {
			unsigned int q = p + 1 < n->n ? p : p - 1;
			struct bt_node *s = n->i.child[q == p ? p + 1 : p - 1];

			redistribute(x, tr, n, q, s->n <= min_of(c) ?
				     RD_MERGE : RD_BALANCE);
			if (x->err)
				return x->err;
			p = inner_pos(n, key, idx);
			c = n->i.child[p];
		}
		path[d] = n;
		pos[d++] = p;
		n = c;
	}
	j = leaf_lb(n, key, idx);
	if (j >= n->n || n->l.key[j] != key || n->l.idx[j] != idx)
		return -ENOENT;
	last = tr == TR_VA ? entry_last(st, idx) : 0;
	memmove(&n->l.key[j], &n->l.key[j + 1],
		(n->n - j - 1) * sizeof(n->l.key[0]));
	memmove(&n->l.idx[j], &n->l.idx[j + 1],
		(n->n - j - 1) * sizeof(n->l.idx[0]));
	n->n--;
	if (tr == TR_VA && last >= n->aug)
		fix_aug(st, tr, n);
	/* a new smallest element: the separators above it follow */
	if (j == 0 && n->n > 0) {
		for (k = d; k-- > 0;) {
			path[k]->i.key[pos[k]] = n->l.key[0];
			path[k]->i.kidx[pos[k]] = n->l.idx[0];
			if (pos[k] != 0)
				break;
		}
	}
	if (tr == TR_VA) {
		for (k = d; k-- > 0;) {
			path[k]->i.caug[pos[k]] = n->aug;
			fix_aug(st, tr, path[k]);
			n = path[k];
		}
	}
	root = x->root[tr];
	if (root->level > 0 && root->n == 1) {
		x->root[tr] = root->i.child[0];
		txn_node_drop(x, root);
	} else if (root->level == 0 && root->n == 0) {
		x->root[tr] = NULL;
		txn_node_drop(x, root);
	}
	return x->err;
}

/* ---- writer-side reads of a working tree ---- */

uint32_t
bt_w_floor(const struct bt_node *n, uint64_t key)
{
	unsigned int c;

	if (n == NULL)
		return 0;
	while (n->level > 0) {
		c = count_le(n->i.key, n->n, key);
		if (c == 0)
			return 0;
		n = n->i.child[c - 1];
	}
	c = count_le(n->l.key, n->n, key);
	return c ? n->l.idx[c - 1] : 0;
}

uint32_t
bt_w_ceil(const struct bt_node *n, uint64_t key)
{
	const struct bt_node *succ = NULL;
	unsigned int c, p;

	if (n == NULL)
		return 0;
	while (n->level > 0) {
		c = count_le(n->i.key, n->n, key);
		p = c ? c - 1 : 0;
		if (p + 1 < n->n)
			succ = n->i.child[p + 1];
		n = n->i.child[p];
	}
	c = count_lt(n->l.key, n->n, key);
	if (c < n->n)
		return n->l.idx[c];
	if (succ == NULL)
		return 0;
	for (n = succ; n->level > 0; n = n->i.child[0])
		;
	return n->l.idx[0];
}

int
bt_w_walk(const struct bt_node *n, int (*fn)(uint32_t idx, void *arg),
	  void *arg)
{
	unsigned int j;
	int ret;

	if (n == NULL)
		return 0;
	for (j = 0; j < n->n; j++) {
		ret = n->level == 0 ? fn(n->l.idx[j], arg) :
			bt_w_walk(n->i.child[j], fn, arg);
		if (ret != 0)
			return ret;
	}
	return 0;
}

void
bt_w_clear_txn(struct bt_node *n)
{
	unsigned int j;

	if (n == NULL)
		return;
	n->txn = 0;
	if (n->level > 0)
		for (j = 0; j < n->n; j++)
			bt_w_clear_txn(n->i.child[j]);
}

unsigned int
bt_w_depth(const struct bt_node *n)
{
	return n == NULL ? 0 : (unsigned int)n->level + 1;
}

/* ---- self-check ---- */

struct chk {
	struct iova_store *st;
	int tr;
	uint64_t count;
	bool have_prev;
	uint64_t prev_key;
	uint32_t prev_idx;
	const char *why;
};

static int
chk_node(struct chk *c, const struct bt_node *n, bool root, unsigned int level,
	 struct elem *first)
{
	unsigned int j, lo = root ? (n->level ? 2 : 1) : min_of(n) - 1;
	uint64_t m = 0;

	if (n->level != level)
		return c->why = "node level", -1;
	if (n->n < lo || n->n > cap_of(n))
		return c->why = "node fill", -1;
	for (j = 0; j < n->n; j++) {
		struct elem e, f;

		get_e(n, j, &e);
		if (j == 0)
			*first = e;
		if (n->level == 0) {
			if (c->have_prev && kcmp(c->prev_key, c->prev_idx,
						 e.key, e.idx) >= 0)
				return c->why = "element order", -1;
			c->have_prev = true;
			c->prev_key = e.key;
			c->prev_idx = e.idx;
			c->count++;
			if (c->tr == TR_VA && entry_last(c->st, e.idx) > m)
				m = entry_last(c->st, e.idx);
			continue;
		}
		if (e.child == NULL)
			return c->why = "missing child", -1;
		if (chk_node(c, e.child, false, level - 1, &f) < 0)
			return -1;
		if (f.key != e.key || f.idx != e.idx)
			return c->why = "separator is not the child's minimum",
				-1;
		if (c->tr == TR_VA && e.aug != e.child->aug)
			return c->why = "child aug", -1;
		if (e.aug > m)
			m = e.aug;
	}
	if (c->tr == TR_VA && n->aug != m)
		return c->why = "node aug", -1;
	return 0;
}

int
bt_check(struct iova_store *st, const struct bt_node *root, int tr,
	 uint64_t *count, const char **why)
{
	struct chk c = { st, tr, 0, false, 0, 0, NULL };
	struct elem f;

	*count = 0;
	if (root != NULL && (root->level >= BT_MAX_DEPTH ||
			     chk_node(&c, root, true, root->level, &f) < 0)) {
		*why = c.why ? c.why : "too deep";
		return -1;
	}
	*count = c.count;
	return 0;
}
