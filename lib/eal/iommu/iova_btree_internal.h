/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_IOVA_BTREE_INTERNAL_H
#define KEEL_IOVA_BTREE_INTERNAL_H

/*
 * Between the writer files of the B+trees: iova_btree.c (insert, delete,
 * restructuring, writer-side reads, self-check) and iova_btree_leaf.c (the
 * leaf formats). Called under the table's writer mutex.
 */
#include <stdbool.h>
#include <stdint.h>

#include "iova_btree.h"

/* an element while a node is being rebuilt */
struct elem {
	uint64_t key;
	uint32_t idx;
	uint64_t len;           /* VA leaves: the entry's length */
	struct bt_node *child;  /* inner elements */
	uint64_t aug;           /* inner elements (VA tree) */
};

static inline unsigned int
cap_of(const struct bt_node *n, int tr)
{
	return n->level ? BT_INNER_MAX : tr == TR_VA ? BT_VLEAF_MAX :
		BT_LEAF_MAX;
}

static inline unsigned int
min_of(const struct bt_node *n, int tr)
{
	return cap_of(n, tr) / 2;
}

static inline int
kcmp(uint64_t ak, uint32_t ai, uint64_t bk, uint32_t bi)
{
	if (ak != bk)
		return ak < bk ? -1 : 1;
	return ai < bi ? -1 : ai > bi;
}

static inline uint64_t
leaf_key(const struct bt_node *n, int tr, unsigned int j)
{
	if (tr == TR_VA)
		return n->fmt == BT_FMT_WIDE ? n->vw.key[j] :
			n->vl.base + ((uint64_t)n->vl.delta[j] << n->fmt);
	return n->fmt == BT_FMT_WIDE ? n->w.key[j] :
		n->l.base + ((uint64_t)n->l.delta[j] << n->fmt);
}

static inline uint32_t
leaf_idx(const struct bt_node *n, int tr, unsigned int j)
{
	if (tr == TR_VA)
		return n->fmt == BT_FMT_WIDE ? n->vw.idx[j] : n->vl.idx[j];
	return n->fmt == BT_FMT_WIDE ? n->w.idx[j] : n->l.idx[j];
}

static inline uint64_t
leaf_len(const struct bt_node *n, unsigned int j)
{
	return n->fmt == BT_FMT_WIDE ? n->vw.len[j] :
		(uint64_t)n->vl.len[j] << n->vl.lsh;
}

/* number of keys of leaf @p n that are <= x */
static inline unsigned int
leaf_count_le(const struct bt_node *n, int tr, uint64_t x)
{
	uint64_t base, d;

	if (n->fmt == BT_FMT_WIDE)
		return count_le(tr == TR_VA ? n->vw.key : n->w.key, n->n, x);
	base = tr == TR_VA ? n->vl.base : n->l.base;
	if (n->n == 0 || x < base)
		return 0;
	d = (x - base) >> n->fmt;
	return d > UINT32_MAX ? n->n : count_le32(tr == TR_VA ? n->vl.delta :
						   n->l.delta, n->n,
						   (uint32_t)d);
}

/* the elements of leaf @p n, decoded; @return how many */
unsigned int bt_leaf_get(const struct bt_node *n, int tr, struct elem *e);
/*
 * Store e[0 .. cnt) in the fresh leaf @p n in the compact format when they
 * fit it, else the wide one (replacing @p n by a fresh node of the right
 * size). @return the leaf holding them (the caller links it), NULL (x->err).
 */
struct bt_node *bt_leaf_put(struct iova_txn *x, int tr, struct bt_node *n,
			    const struct elem *e, unsigned int cnt);
/* insert (key, idx, len) / remove element @p j, from @p n into the fresh
 * @p m, without decoding, when the compact encoding allows it; false: the
 * caller takes the general path */
bool bt_leaf_fast_insert(struct bt_node *m, const struct bt_node *n, int tr,
			 uint64_t key, uint32_t idx, uint64_t len);
bool bt_leaf_fast_remove(struct bt_node *m, const struct bt_node *n, int tr,
			 unsigned int j);

#endif /* KEEL_IOVA_BTREE_INTERNAL_H */
