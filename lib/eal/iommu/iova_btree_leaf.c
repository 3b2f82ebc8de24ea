/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Leaves of the IOVA map table's B+trees, in two formats.
 *
 * Compact (512 bytes): keys are 32-bit deltas from the first key, in units
 * of the largest power of two that divides every difference (IOVAs and VAs
 * of one leaf are close and page-aligned): 8 bytes an element in the IOVA
 * tree; the VA tree also keeps each entry's length the same way (12 bytes),
 * so its augmentation never reads an entry. Wide (1 KiB): 64-bit keys, for
 * the rare leaf whose keys are too far apart (e.g. IOVAs scattered over a
 * 64-bit space). Both hold the same number of elements, so the trees'
 * balancing does not depend on the format.
 *
 * Invariant: a leaf's format fits its elements and its size its format
 * (bt_node_bytes()); a compact leaf's base is at most its first key.
 * Lock: the table's writer mutex.
 */
#include <string.h>

#include "iova_btree_internal.h"

unsigned int
bt_leaf_get(const struct bt_node *n, int tr, struct elem *e)
{
	unsigned int j;

	for (j = 0; j < n->n; j++) {
		e[j].key = leaf_key(n, tr, j);
		e[j].idx = leaf_idx(n, tr, j);
		e[j].len = tr == TR_VA ? leaf_len(n, j) : 0;
		e[j].child = NULL;
		e[j].aug = 0;
	}
	return n->n;
}

/* largest power of two (as a shift) dividing every v[j] - v0, and
 * whether the largest difference, so divided, fits 32 bits */
static int
span_shift(uint64_t v0, const struct elem *e, unsigned int cnt, bool lens)
{
	uint64_t any = 0, top = 0;
	unsigned int j, sh;

	for (j = 0; j < cnt; j++) {
		uint64_t d = lens ? e[j].len : e[j].key - v0;

		any |= d;
		if (d > top)
			top = d;
	}
	sh = any ? (unsigned int)__builtin_ctzll(any) : 0;
	return (top >> sh) > UINT32_MAX ? -1 : (int)sh;
}

/*
 * Store elements e[0 .. cnt) in the fresh leaf @p n, in the compact
 * format when they fit it (keys as 32-bit deltas from the first in units
 * of their common alignment; VA lengths likewise). A leaf whose size does
 * not suit the format is replaced by a fresh one of the right size:
 * @return the leaf that holds them now (the caller links it), or NULL
 * (x->err). A VA leaf's aug comes from its elements, no entry is read.
 */
struct bt_node *
bt_leaf_put(struct iova_txn *x, int tr, struct bt_node *n, const struct elem *e,
	 unsigned int cnt)
{
	int sh = span_shift(cnt ? e[0].key : 0, e, cnt, false), lsh = 0;
	unsigned int want, j;

	if (tr == TR_VA && sh >= 0)
		lsh = span_shift(0, e, cnt, true);
	want = sh < 0 || lsh < 0 ? BT_WIDE_BYTES : BT_NODE_BYTES;
	if (bt_node_bytes(n) != want) {
		struct bt_node *m = txn_node_new(x, want);

		if (m == NULL)
			return NULL;
		txn_node_drop(x, n);
		n = m;
	}
	n->level = 0;
	n->n = (uint16_t)cnt;
	n->aug = 0;
	if (want == BT_WIDE_BYTES)
		n->fmt = BT_FMT_WIDE;
	else
		n->fmt = (uint8_t)sh;
	for (j = 0; j < cnt; j++) {
		if (tr == TR_VA && e[j].key + e[j].len - 1 > n->aug)
			n->aug = e[j].key + e[j].len - 1;
		if (tr == TR_VA && want == BT_WIDE_BYTES) {
			n->vw.key[j] = e[j].key;
			n->vw.idx[j] = e[j].idx;
			n->vw.len[j] = e[j].len;
		} else if (tr == TR_VA) {
			n->vl.delta[j] = (uint32_t)((e[j].key - e[0].key) >> sh);
			n->vl.idx[j] = e[j].idx;
			n->vl.len[j] = (uint32_t)(e[j].len >> lsh);
		} else if (want == BT_WIDE_BYTES) {
			n->w.key[j] = e[j].key;
			n->w.idx[j] = e[j].idx;
		} else {
			n->l.delta[j] = (uint32_t)((e[j].key - e[0].key) >> sh);
			n->l.idx[j] = e[j].idx;
		}
	}
	if (want == BT_NODE_BYTES && tr == TR_VA) {
		n->vl.base = cnt ? e[0].key : 0;
		n->vl.lsh = (uint32_t)lsh;
	} else if (want == BT_NODE_BYTES) {
		n->l.base = cnt ? e[0].key : 0;
	}
	return n;
}

/*
 * The common leaf changes without decoding: insert element (key, idx,
 * len) at its place, or remove the one at @p j, in a compact leaf whose
 * encoding (base, shifts) holds the new state. Into the fresh leaf @p m,
 * from @p n. @return false when the generic path must do it.
 */
bool
bt_leaf_fast_insert(struct bt_node *m, const struct bt_node *n, int tr,
		 uint64_t key, uint32_t idx, uint64_t len)
{
	const uint32_t *nd = tr == TR_VA ? n->vl.delta : n->l.delta;
	const uint32_t *ni = tr == TR_VA ? n->vl.idx : n->l.idx;
	uint64_t base = tr == TR_VA ? n->vl.base : n->l.base, d;
	unsigned int sh = n->fmt, cnt = n->n, lo = 0, hi = cnt;
	uint32_t *md, *mi;

	if (sh == BT_FMT_WIDE || cnt == 0 || key < base ||
	    ((key - base) & ((1ULL << sh) - 1)) != 0 ||
	    ((key - base) >> sh) > UINT32_MAX)
		return false;
	if (tr == TR_VA && ((len & ((1ULL << n->vl.lsh) - 1)) != 0 ||
			    (len >> n->vl.lsh) > UINT32_MAX))
		return false;
	d = (key - base) >> sh;
	while (lo < hi) {       /* first element >= (key, idx) */
		unsigned int mid = (lo + hi) / 2;

		if (nd[mid] < d || (nd[mid] == d && ni[mid] < idx))
			lo = mid + 1;
		else
			hi = mid;
	}
	m->level = 0;
	m->fmt = (uint8_t)sh;
	m->n = (uint16_t)(cnt + 1);
	md = tr == TR_VA ? m->vl.delta : m->l.delta;
	mi = tr == TR_VA ? m->vl.idx : m->l.idx;
	memcpy(md, nd, lo * sizeof(*md));
	memcpy(md + lo + 1, nd + lo, (cnt - lo) * sizeof(*md));
	md[lo] = (uint32_t)d;
	memcpy(mi, ni, lo * sizeof(*mi));
	memcpy(mi + lo + 1, ni + lo, (cnt - lo) * sizeof(*mi));
	mi[lo] = idx;
	if (tr == TR_VA) {
		m->vl.base = base;
		m->vl.lsh = n->vl.lsh;
		memcpy(m->vl.len, n->vl.len, lo * sizeof(m->vl.len[0]));
		memcpy(m->vl.len + lo + 1, n->vl.len + lo,
		       (cnt - lo) * sizeof(m->vl.len[0]));
		m->vl.len[lo] = (uint32_t)(len >> n->vl.lsh);
		m->aug = key + len - 1 > n->aug ? key + len - 1 : n->aug;
	} else {
		m->l.base = base;
		m->aug = 0;
	}
	return true;
}

bool
bt_leaf_fast_remove(struct bt_node *m, const struct bt_node *n, int tr,
		 unsigned int j)
{
	unsigned int cnt = n->n, k;

	if (n->fmt == BT_FMT_WIDE || cnt < 2)
		return false;
	m->level = 0;
	m->fmt = n->fmt;
	m->n = (uint16_t)(cnt - 1);
	if (tr == TR_VA) {
		/* the base may stay below the new first key */
		m->vl.base = n->vl.base;
		m->vl.lsh = n->vl.lsh;
		memcpy(m->vl.delta, n->vl.delta, j * sizeof(m->vl.delta[0]));
		memcpy(m->vl.delta + j, n->vl.delta + j + 1,
		       (cnt - j - 1) * sizeof(m->vl.delta[0]));
		memcpy(m->vl.idx, n->vl.idx, j * sizeof(m->vl.idx[0]));
		memcpy(m->vl.idx + j, n->vl.idx + j + 1,
		       (cnt - j - 1) * sizeof(m->vl.idx[0]));
		memcpy(m->vl.len, n->vl.len, j * sizeof(m->vl.len[0]));
		memcpy(m->vl.len + j, n->vl.len + j + 1,
		       (cnt - j - 1) * sizeof(m->vl.len[0]));
		m->aug = 0;
		for (k = 0; k < m->n; k++) {
			uint64_t l = leaf_key(m, tr, k) + leaf_len(m, k) - 1;

			if (l > m->aug)
				m->aug = l;
		}
	} else {
		m->l.base = n->l.base;
		memcpy(m->l.delta, n->l.delta, j * sizeof(m->l.delta[0]));
		memcpy(m->l.delta + j, n->l.delta + j + 1,
		       (cnt - j - 1) * sizeof(m->l.delta[0]));
		memcpy(m->l.idx, n->l.idx, j * sizeof(m->l.idx[0]));
		memcpy(m->l.idx + j, n->l.idx + j + 1,
		       (cnt - j - 1) * sizeof(m->l.idx[0]));
		m->aug = 0;
	}
	return true;
}
