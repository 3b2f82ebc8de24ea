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
 * The leaf formats are in iova_btree_leaf.c, the readers in
 * iova_btree_read.c.
 */
#include <errno.h>
#include <string.h>

#include "iova_btree_internal.h"

/* ---- inner nodes ---- */

static void
get_ie(const struct bt_node *n, unsigned int j, struct elem *e)
{
	e->key = n->i.key[j];
	e->idx = n->i.kidx[j];
	e->child = n->i.child[j];
	e->aug = n->i.caug[j];
}

static void
put_ie(struct bt_node *n, unsigned int j, const struct elem *e)
{
	n->i.key[j] = e->key;
	n->i.kidx[j] = e->idx;
	n->i.child[j] = e->child;
	n->i.caug[j] = e->aug;
}

static unsigned int
node_get_all(const struct bt_node *n, int tr, struct elem *e)
{
	unsigned int j;

	if (n->level == 0)
		return bt_leaf_get(n, tr, e);
	for (j = 0; j < n->n; j++)
		get_ie(n, j, &e[j]);
	return n->n;
}

static void
inner_fix_aug(int tr, struct bt_node *n)
{
	unsigned int j;

	n->aug = 0;
	if (tr != TR_VA)
		return;
	for (j = 0; j < n->n; j++)
		if (n->i.caug[j] > n->aug)
			n->aug = n->i.caug[j];
}

/* put e[0 .. cnt) in node @p n (fresh) of level @p level; @return the
 * node holding them (a leaf may be replaced), NULL on x->err */
static struct bt_node *
node_put_all(struct iova_txn *x, int tr, struct bt_node *n,
	     unsigned int level, const struct elem *e, unsigned int cnt)
{
	unsigned int j;

	if (level == 0)
		return bt_leaf_put(x, tr, n, e, cnt);
	n->level = (uint8_t)level;
	n->fmt = 0;
	for (j = 0; j < cnt; j++)
		put_ie(n, j, &e[j]);
	n->n = (uint16_t)cnt;
	inner_fix_aug(tr, n);
	return n;
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

/* first position in e[0 .. cnt) whose element is >= (key, idx) */
static unsigned int
elem_lb(const struct elem *e, unsigned int cnt, uint64_t key, uint32_t idx)
{
	unsigned int lo = 0, hi = cnt;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (kcmp(e[mid].key, e[mid].idx, key, idx) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* insert child entries at position @p at of inner node P (room checked) */
static void
inner_open(struct bt_node *P, unsigned int at, unsigned int k)
{
	unsigned int m = P->n - at;

	memmove(&P->i.key[at + k], &P->i.key[at], m * sizeof(P->i.key[0]));
	memmove(&P->i.kidx[at + k], &P->i.kidx[at], m * sizeof(P->i.kidx[0]));
	memmove(&P->i.child[at + k], &P->i.child[at],
		m * sizeof(P->i.child[0]));
	memmove(&P->i.caug[at + k], &P->i.caug[at], m * sizeof(P->i.caug[0]));
	P->n = (uint16_t)(P->n + k);
}

/* make P's entry @p at describe child @p c */
static void
inner_set(struct bt_node *P, unsigned int at, struct bt_node *c,
	  const struct elem *first)
{
	P->i.key[at] = first->key;
	P->i.kidx[at] = first->idx;
	P->i.child[at] = c;
	P->i.caug[at] = c->aug;
}

/* ---- restructuring (parent @p P and its children are writable) ---- */

enum { RD_BALANCE, RD_MERGE, RD_FILL_LEFT };

/* children p and p + 1 of P: share their elements evenly, merge them into
 * child p, or fill child p and leave the rest in p + 1 (appends) */
static void
redistribute(struct iova_txn *x, int tr, struct bt_node *P, unsigned int p,
	     int mode)
{
	struct elem tmp[2 * BT_LEAF_MAX];
	struct bt_node *a, *b;
	unsigned int na, total, lvl, cap;

	/* both are rewritten whole: read the originals, renew, no copy */
	a = P->i.child[p];
	b = P->i.child[p + 1];
	lvl = a->level;
	total = node_get_all(a, tr, tmp);
	total += node_get_all(b, tr, tmp + total);
	a = txn_node_renew(x, a);
	b = a ? txn_node_renew(x, b) : NULL;
	if (b == NULL)
		return;
	cap = lvl ? BT_INNER_MAX : tr == TR_VA ? BT_VLEAF_MAX : BT_LEAF_MAX;
	if (mode == RD_MERGE)
		na = total;
	else if (mode == RD_FILL_LEFT)
		na = total - 1 < cap ? total - 1 : cap;
	else
		na = (total + 1) / 2;
	a = node_put_all(x, tr, a, lvl, tmp, na);
	if (a == NULL)
		return;
	inner_set(P, p, a, &tmp[0]);
	if (mode == RD_MERGE) {
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
	b = node_put_all(x, tr, b, lvl, tmp + na, total - na);
	if (b != NULL)
		inner_set(P, p + 1, b, &tmp[na]);
}

/* split child p of P (P not full) into two */
static void
split_child(struct iova_txn *x, int tr, struct bt_node *P, unsigned int p)
{
	struct elem tmp[BT_LEAF_MAX];
	struct bt_node *c = P->i.child[p], *nb;
	unsigned int keep, cnt, lvl;

	lvl = c->level;
	cnt = node_get_all(c, tr, tmp);
	c = txn_node_renew(x, c);
	nb = c ? txn_node_new(x, BT_NODE_BYTES) : NULL;
	if (nb == NULL)
		return;
	keep = (cnt + 1) / 2;
	c = node_put_all(x, tr, c, lvl, tmp, keep);
	nb = c ? node_put_all(x, tr, nb, lvl, tmp + keep, cnt - keep) : NULL;
	if (nb == NULL)
		return;
	inner_open(P, p + 1, 1);
	inner_set(P, p, c, &tmp[0]);
	inner_set(P, p + 1, nb, &tmp[keep]);
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
	unsigned int total, na, nb, lvl;

	a = P->i.child[p];
	b = P->i.child[p + 1];
	lvl = a->level;
	total = node_get_all(a, tr, tmp);
	total += node_get_all(b, tr, tmp + total);
	a = txn_node_renew(x, a);
	b = a ? txn_node_renew(x, b) : NULL;
	c = b ? txn_node_new(x, BT_NODE_BYTES) : NULL;
	if (c == NULL)
		return;
	na = (total + 2) / 3;
	nb = (total - na + 1) / 2;
	a = node_put_all(x, tr, a, lvl, tmp, na);
	b = a ? node_put_all(x, tr, b, lvl, tmp + na, nb) : NULL;
	c = b ? node_put_all(x, tr, c, lvl, tmp + na + nb,
			     total - na - nb) : NULL;
	if (c == NULL)
		return;
	inner_open(P, p + 2, 1);
	inner_set(P, p, a, &tmp[0]);
	inner_set(P, p + 1, b, &tmp[na]);
	inner_set(P, p + 2, c, &tmp[na + nb]);
}

/* ---- insert / delete ---- */

/* link @p c where the descent found its original: child pos[d - 1] of
 * path[d - 1], or the root */
static void
relink(struct iova_txn *x, int tr, struct bt_node **path, unsigned int *pos,
       unsigned int d, struct bt_node *c)
{
	if (d == 0)
		x->root[tr] = c;
	else
		path[d - 1]->i.child[pos[d - 1]] = c;
}

int
bt_insert(struct iova_txn *x, int tr, uint64_t key, uint32_t idx)
{
	uint64_t len = tr == TR_VA ? es_w(x->st, idx)->len : 0;
	struct bt_node *path[BT_MAX_DEPTH], *n;
	unsigned int pos[BT_MAX_DEPTH], d = 0, j, cnt;
	struct elem tmp[BT_LEAF_MAX + 1];

	if (x->err)
		return x->err;
	tmp[0].key = key;
	tmp[0].idx = idx;
	tmp[0].len = len;
	n = x->root[tr];
	if (n == NULL) {
		n = txn_node_new(x, BT_NODE_BYTES);
		if (n != NULL)
			n = bt_leaf_put(x, tr, n, tmp, 1);
		if (n != NULL)
			x->root[tr] = n;
		return x->err;
	}
	if (n->level > 0) {
		n = txn_node_w(x, n);
		if (n == NULL)
			return x->err;
		x->root[tr] = n;
	}
	if (n->n == cap_of(n, tr)) {
		struct bt_node *r = txn_node_new(x, BT_NODE_BYTES);
		struct elem e;

		if (r == NULL)
			return x->err;
		e.key = n->level ? n->i.key[0] : leaf_key(n, tr, 0);
		e.idx = n->level ? n->i.kidx[0] : leaf_idx(n, tr, 0);
		r->level = n->level + 1;
		r->n = 1;
		inner_set(r, 0, n, &e);
		r->aug = n->aug;
		x->root[tr] = r;
		split_child(x, tr, r, 0);
		if (x->err)
			return x->err;
		n = r;
	}
	while (n->level > 0) {
		unsigned int p = inner_pos(n, key, idx);
		/* an inner child is changed in place: its copy; a leaf is
		 * rewritten whole below: read as it is */
		struct bt_node *c = n->i.child[p];

		if (c->level > 0)
			c = txn_node_w(x, c);
		if (c == NULL || d == BT_MAX_DEPTH)
			return x->err ? x->err : -ENOSPC;
		n->i.child[p] = c;
		if (c->n == cap_of(c, tr)) {
			unsigned int lc = c->n - 1u, cap = cap_of(c, tr);
			bool append;

			/* appending at the right edge (rising IOVAs, EAL
			 * memory): fill the left neighbour, or split off a
			 * new right node, so the nodes left behind stay full */
			append = p + 1 == n->n &&
				 kcmp(key, idx, c->level ? c->i.key[lc] :
				      leaf_key(c, tr, lc), c->level ?
				      c->i.kidx[lc] : leaf_idx(c, tr, lc)) > 0;
			if (append && p > 0 && n->i.child[p - 1]->n + 1u < cap)
				redistribute(x, tr, n, p - 1, RD_FILL_LEFT);
			else if (append)
				split_child(x, tr, n, p);
			/* else a neighbour with room takes some; two full
			 * ones become three (B*); an only child splits */
			else if (p + 1 < n->n &&
				 n->i.child[p + 1]->n + 1u < cap)
				redistribute(x, tr, n, p, RD_BALANCE);
			else if (p > 0 && n->i.child[p - 1]->n + 1u < cap)
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
	{
		struct bt_node *m = txn_node_renew(x, n);

		if (m == NULL)
			return x->err;
		if (m == n || bt_node_bytes(n) != BT_NODE_BYTES ||
		    !bt_leaf_fast_insert(m, n, tr, key, idx, len)) {
			cnt = bt_leaf_get(n, tr, tmp);
			j = elem_lb(tmp, cnt, key, idx);
			memmove(&tmp[j + 1], &tmp[j],
				(cnt - j) * sizeof(tmp[0]));
			tmp[j].key = key;
			tmp[j].idx = idx;
			tmp[j].len = len;
			m = bt_leaf_put(x, tr, m, tmp, cnt + 1);
			if (m == NULL)
				return x->err;
		}
		n = m;
	}
	relink(x, tr, path, pos, d, n);
	if (tr == TR_VA) {
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
	struct bt_node *path[BT_MAX_DEPTH], *n, *root;
	unsigned int pos[BT_MAX_DEPTH], d = 0, j, k, cnt;
	struct elem tmp[BT_LEAF_MAX];

	if (x->err)
		return x->err;
	if (x->root[tr] == NULL)
		return -ENOENT;
	n = x->root[tr];
	if (n->level > 0) {
		n = txn_node_w(x, n);
		if (n == NULL)
			return x->err;
		x->root[tr] = n;
	}
	while (n->level > 0) {
		unsigned int p = inner_pos(n, key, idx);
		struct bt_node *c = n->i.child[p];

		if (c->level > 0)
			c = txn_node_w(x, c);
		if (c == NULL || d == BT_MAX_DEPTH)
			return x->err ? x->err : -ENOSPC;
		n->i.child[p] = c;
		if (c->n <= min_of(c, tr) && n->n > 1) {
			unsigned int q = p + 1 < n->n ? p : p - 1;
			struct bt_node *s = n->i.child[q == p ? p + 1 : p - 1];

			redistribute(x, tr, n, q, s->n <= min_of(c, tr) ?
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
	/* the element's position, decoding keys one at a time */
	{
		unsigned int lo = 0, hi = n->n;
		struct bt_node *m;

		while (lo < hi) {
			unsigned int mid = (lo + hi) / 2;

			if (kcmp(leaf_key(n, tr, mid), leaf_idx(n, tr, mid),
				 key, idx) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		j = lo;
		if (j >= n->n || leaf_key(n, tr, j) != key ||
		    leaf_idx(n, tr, j) != idx)
			return -ENOENT;
		m = txn_node_renew(x, n);
		if (m == NULL)
			return x->err;
		if (m == n || bt_node_bytes(n) != BT_NODE_BYTES ||
		    !bt_leaf_fast_remove(m, n, tr, j)) {
			cnt = bt_leaf_get(n, tr, tmp);
			memmove(&tmp[j], &tmp[j + 1],
				(cnt - j - 1) * sizeof(tmp[0]));
			m = bt_leaf_put(x, tr, m, tmp, cnt - 1);
			if (m == NULL)
				return x->err;
		}
		n = m;
		cnt = n->n;
		if (cnt > 0) {
			tmp[0].key = leaf_key(n, tr, 0);
			tmp[0].idx = leaf_idx(n, tr, 0);
		}
	}
	relink(x, tr, path, pos, d, n);
	/* a new smallest element: the separators above it follow */
	if (j == 0 && cnt > 0) {
		for (k = d; k-- > 0;) {
			path[k]->i.key[pos[k]] = tmp[0].key;
			path[k]->i.kidx[pos[k]] = tmp[0].idx;
			if (pos[k] != 0)
				break;
		}
	}
	if (tr == TR_VA) {
		for (k = d; k-- > 0;) {
			path[k]->i.caug[pos[k]] = n->aug;
			inner_fix_aug(tr, path[k]);
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
	c = leaf_count_le(n, TR_IOVA, key);
	return c ? leaf_idx(n, TR_IOVA, c - 1) : 0;
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
	c = key == 0 ? 0 : leaf_count_le(n, TR_IOVA, key - 1);
	if (c < n->n)
		return leaf_idx(n, TR_IOVA, c);
	if (succ == NULL)
		return 0;
	for (n = succ; n->level > 0; n = n->i.child[0])
		;
	return leaf_idx(n, TR_IOVA, 0);
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
		ret = n->level == 0 ? fn(leaf_idx(n, TR_IOVA, j), arg) :
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
	unsigned int j, lo = root ? (n->level ? 2 : 1) : min_of(n, c->tr) - 1;
	uint64_t m = 0;

	if (n->level != level)
		return c->why = "node level", -1;
	if (n->n < lo || n->n > cap_of(n, c->tr))
		return c->why = "node fill", -1;
	if (n->level == 0 && n->fmt != BT_FMT_WIDE && n->fmt > 63)
		return c->why = "compact leaf encoding", -1;
	if (n->level > 0 && n->fmt != 0)
		return c->why = "inner node format", -1;
	for (j = 0; j < n->n; j++) {
		struct elem e, f;

		if (n->level == 0) {
			e.key = leaf_key(n, c->tr, j);
			e.idx = leaf_idx(n, c->tr, j);
			e.child = NULL;
			e.aug = 0;
		} else {
			get_ie(n, j, &e);
		}
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
			if (c->tr == TR_VA) {
				const struct iova_entry *en = es_w(c->st, e.idx);

				if (leaf_len(n, j) != en->len || en->va != e.key)
					return c->why = "VA leaf disagrees "
						"with its entry", -1;
				if (e.key + en->len - 1 > m)
					m = e.key + en->len - 1;
			}
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
