/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_RING_PEEK_ZC_H
#define KEEL_RING_PEEK_ZC_H

/**
 * @file
 * Zero-copy peek (as DPDK's rte_ring_peek_zc.h): `_start` reserves up to n
 * slots and hands back where they are in the ring's own memory, in at most
 * two runs (the second when the reservation wraps past the end); the
 * caller reads or writes the elements there, then `_finish` publishes (or
 * removes) the first m <= reserved. Nothing is copied through a temporary
 * array: a receive loop can let a driver write mbuf pointers straight into
 * the ring.
 *
 * Same modes as keel_ring_peek.h: ST or MT_HTS sides only.
 *
 * @code
 *	struct keel_ring_zc_data zcd;
 *	n = keel_ring_enqueue_zc_burst_start(r, 32, &zcd, NULL);
 *	got = rx(zcd.ptr1, zcd.n1);
 *	if (got == zcd.n1 && n > zcd.n1)
 *		got += rx(zcd.ptr2, n - zcd.n1);
 *	keel_ring_enqueue_zc_finish(r, got);
 * @endcode
 */

#include "keel_ring_peek.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Where a zero-copy start's slots are. */
struct keel_ring_zc_data {
	void *ptr1;       /**< first slot */
	void *ptr2;       /**< slot 0 when the run wraps, else NULL */
	unsigned int n1;  /**< slots at ptr1; the rest (n - n1) at ptr2 */
} __attribute__((aligned(KEEL_RING_CACHE_LINE)));

/** Internal: zero-copy start on one side. */
__keel_ring_inline unsigned int
__keel_ring_zc_start(struct keel_ring *r, int enq, unsigned int esize,
		     unsigned int n, enum keel_ring_queue_behavior behavior,
		     struct keel_ring_zc_data *zcd, unsigned int *left)
{
	uint32_t old, m, idx;

	if (__keel_ring_bad_args(r, zcd, esize, 1))
		return 0;
	m = __keel_ring_peek_start(r, enq, n, behavior, &old, left);
	if (m == 0)
		return 0;
	idx = old & r->mask;
	zcd->ptr1 = __keel_ring_slot(r, idx, esize);
	if (idx + m <= r->size) {
		zcd->n1 = m;
		zcd->ptr2 = NULL;
	} else {
		zcd->n1 = r->size - idx;
		zcd->ptr2 = __keel_ring_slot(r, 0, esize);
	}
	return m;
}

/**
 * @name Zero-copy enqueue
 * Reserve exactly n (bulk) or up to n (burst) slots of esize bytes (the
 * ring's element size; sizeof(void *) for the pointer variants).
 * @return slots reserved (0 on failure, errno set for bad arguments) @{
 */
__keel_ring_inline unsigned int
keel_ring_enqueue_zc_bulk_elem_start(struct keel_ring *r, unsigned int esize,
				     unsigned int n,
				     struct keel_ring_zc_data *zcd,
				     unsigned int *free_space)
{
	return __keel_ring_zc_start(r, 1, esize, n, KEEL_RING_QUEUE_FIXED, zcd,
				    free_space);
}

__keel_ring_inline unsigned int
keel_ring_enqueue_zc_bulk_start(struct keel_ring *r, unsigned int n,
				struct keel_ring_zc_data *zcd,
				unsigned int *free_space)
{
	return keel_ring_enqueue_zc_bulk_elem_start(r, sizeof(void *), n, zcd,
						    free_space);
}

__keel_ring_inline unsigned int
keel_ring_enqueue_zc_burst_elem_start(struct keel_ring *r,
				      unsigned int esize, unsigned int n,
				      struct keel_ring_zc_data *zcd,
				      unsigned int *free_space)
{
	return __keel_ring_zc_start(r, 1, esize, n, KEEL_RING_QUEUE_VARIABLE,
				    zcd, free_space);
}

__keel_ring_inline unsigned int
keel_ring_enqueue_zc_burst_start(struct keel_ring *r, unsigned int n,
				 struct keel_ring_zc_data *zcd,
				 unsigned int *free_space)
{
	return keel_ring_enqueue_zc_burst_elem_start(r, sizeof(void *), n,
						     zcd, free_space);
}

/**
 * Publish the first n of the reserved slots (n <= reserved), give back
 * the rest. @return 0, or -EINVAL (nothing changed).
 */
__keel_ring_inline int
keel_ring_enqueue_zc_elem_finish(struct keel_ring *r, unsigned int n)
{
	return __keel_ring_peek_finish(r, 1, n, NULL, 0);
}

__keel_ring_inline int
keel_ring_enqueue_zc_finish(struct keel_ring *r, unsigned int n)
{
	return keel_ring_enqueue_zc_elem_finish(r, n);
}
/** @} */

/**
 * @name Zero-copy dequeue
 * Reserve exactly n (bulk) or up to n (burst) queued elements and point
 * at them in the ring. @return elements reserved @{
 */
__keel_ring_inline unsigned int
keel_ring_dequeue_zc_bulk_elem_start(struct keel_ring *r, unsigned int esize,
				     unsigned int n,
				     struct keel_ring_zc_data *zcd,
				     unsigned int *available)
{
	return __keel_ring_zc_start(r, 0, esize, n, KEEL_RING_QUEUE_FIXED, zcd,
				    available);
}

__keel_ring_inline unsigned int
keel_ring_dequeue_zc_bulk_start(struct keel_ring *r, unsigned int n,
				struct keel_ring_zc_data *zcd,
				unsigned int *available)
{
	return keel_ring_dequeue_zc_bulk_elem_start(r, sizeof(void *), n, zcd,
						    available);
}

__keel_ring_inline unsigned int
keel_ring_dequeue_zc_burst_elem_start(struct keel_ring *r,
				      unsigned int esize, unsigned int n,
				      struct keel_ring_zc_data *zcd,
				      unsigned int *available)
{
	return __keel_ring_zc_start(r, 0, esize, n, KEEL_RING_QUEUE_VARIABLE,
				    zcd, available);
}

__keel_ring_inline unsigned int
keel_ring_dequeue_zc_burst_start(struct keel_ring *r, unsigned int n,
				 struct keel_ring_zc_data *zcd,
				 unsigned int *available)
{
	return keel_ring_dequeue_zc_burst_elem_start(r, sizeof(void *), n,
						     zcd, available);
}

/**
 * Remove the first n of the reserved elements (n <= reserved); the rest
 * stay queued. @return 0, or -EINVAL (nothing changed).
 */
__keel_ring_inline int
keel_ring_dequeue_zc_elem_finish(struct keel_ring *r, unsigned int n)
{
	return __keel_ring_peek_finish(r, 0, n, NULL, 0);
}

__keel_ring_inline int
keel_ring_dequeue_zc_finish(struct keel_ring *r, unsigned int n)
{
	return keel_ring_dequeue_zc_elem_finish(r, n);
}
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KEEL_RING_PEEK_ZC_H */
