/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_IOVA_BTREE_H
#define KEEL_IOVA_BTREE_H

/*
 * The two copy-on-write B+trees of an IOVA map table over the entries of
 * its store (iova_store.h): TR_IOVA holds every entry keyed by IOVA (IOVA
 * ranges are disjoint); TR_VA holds the mappings (not the placeholders of
 * ranges being unmapped) keyed by (VA, entry index), VA ranges may
 * overlap, so each inner node keeps the largest last VA of every child
 * subtree and a VA lookup is an interval stab.
 *
 * Writers (bt_insert/bt_delete/bt_w_*) run inside a transaction under the
 * table's writer mutex. Readers (bt_r_*) take no lock and never write; see
 * iova_store.h for why what they return is a state that was published.
 */
#include <stdbool.h>
#include <stdint.h>

#include "iova_store.h"

/* a load that may race with a writer reusing the memory (readers check
 * reuse_seq before trusting what it returned) */
#define RD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* number of k[0..n) <= x (k ascending) */
static inline unsigned int
count_le(const uint64_t *k, unsigned int n, uint64_t x)
{
	const uint64_t *b = k;

	if (n == 0)
		return 0;
	while (n > 1) {
		unsigned int half = n / 2;

		b = RD(b[half]) <= x ? b + half : b;
		n -= half;
	}
	return (unsigned int)(b - k) + (RD(*b) <= x);
}

/* number of k[0..n) <= x (32-bit keys: compact leaves) */
static inline unsigned int
count_le32(const uint32_t *k, unsigned int n, uint32_t x)
{
	const uint32_t *b = k;

	if (n == 0)
		return 0;
	while (n > 1) {
		unsigned int half = n / 2;

		b = RD(b[half]) <= x ? b + half : b;
		n -= half;
	}
	return (unsigned int)(b - k) + (RD(*b) <= x);
}

/* number of k[0..n) < x */
static inline unsigned int
count_lt(const uint64_t *k, unsigned int n, uint64_t x)
{
	return x == 0 ? 0 : count_le(k, n, x - 1);
}

/* the roots readers load */
struct bt_roots {
	struct bt_node *_Atomic r[2];
};

/* ---- writers (inside a transaction) ---- */

/* insert element (key, idx) into tree @p tr; 0 or x->err */
int bt_insert(struct iova_txn *x, int tr, uint64_t key, uint32_t idx);
/* remove element (key, idx) from tree @p tr; 0, -ENOENT or x->err */
int bt_delete(struct iova_txn *x, int tr, uint64_t key, uint32_t idx);
/* index of the entry with the largest key <= @p key in a working tree, or
 * 0 when there is none */
uint32_t bt_w_floor(const struct bt_node *root, uint64_t key);
/* index of the entry with the smallest key >= @p key, or 0 */
uint32_t bt_w_ceil(const struct bt_node *root, uint64_t key);
/* in-order walk of a working tree; stops on non-zero and returns it */
int bt_w_walk(const struct bt_node *root,
	      int (*fn)(uint32_t idx, void *arg), void *arg);
/* set the txn tag of every node to 0 (before the 32-bit tag wraps) */
void bt_w_clear_txn(struct bt_node *root);
/* longest root-to-leaf path (levels) */
unsigned int bt_w_depth(const struct bt_node *root);
/*
 * Check tree @p tr: levels, fill, order, separators equal to each child's
 * smallest element, the VA augmentation. @return 0 with *count = elements,
 * or -1 with *why set.
 */
int bt_check(struct iova_store *st, const struct bt_node *root, int tr,
	     uint64_t *count, const char **why);

/* ---- readers (no lock) ---- */

/* the entry with the largest IOVA <= @p iova; 0 or -ENOENT */
int bt_r_floor(struct iova_store *st, struct bt_roots *rt, uint64_t iova,
	       struct iova_entry *out);
/*
 * Up to @p max entries in IOVA order, the first being the one with the
 * smallest IOVA >= @p iova (all from one consistent read). @return how
 * many, 0 when there is none.
 */
unsigned int bt_r_from(struct iova_store *st, struct bt_roots *rt,
		       uint64_t iova, struct iova_entry *out, unsigned int max);
/* a mapping (never a placeholder) whose VA range holds @p va; 0/-ENOENT */
int bt_r_stab_va(struct iova_store *st, struct bt_roots *rt, uint64_t va,
		 struct iova_entry *out);

#endif /* KEEL_IOVA_BTREE_H */
