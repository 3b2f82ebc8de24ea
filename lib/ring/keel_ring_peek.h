/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_RING_PEEK_H
#define KEEL_RING_PEEK_H

/**
 * @file
 * Peek: split an enqueue or a dequeue in two (as DPDK's rte_ring_peek.h).
 *
 * - Enqueue: `_start` reserves room for up to n objects; `_finish` copies
 *   the m objects the caller really has (m <= reserved) and publishes them.
 *   A stage can reserve before it knows how many packets it will produce.
 * - Dequeue: `_start` copies up to n objects out without removing them;
 *   `_finish` removes the first m (m <= what start gave) and leaves the
 *   rest for the next dequeue. A stage can look at what is queued and
 *   take only what it can handle.
 *
 * Only for a ring side in ST (single producer/consumer) or MT_HTS mode:
 * between start and finish no other thread of that side can proceed (HTS
 * makes them wait). On a side in MT or MT_RTS mode the start calls return
 * 0 with errno ENOTSUP. A finish with m larger than reserved changes
 * nothing and returns -EINVAL. Call finish only after a start that
 * returned non-zero: with HTS, a finish by a thread that holds no
 * reservation would release another thread's (as in DPDK).
 * Included by keel_ring.h.
 *
 * @code
 *	n = keel_ring_dequeue_burst_start(r, objs, 32, NULL);
 *	m = handle(objs, n);                  // may stop early
 *	keel_ring_dequeue_finish(r, m);       // the rest stay queued
 * @endcode
 */

#include "keel_ring_elem.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Internal: the start half of a peek or zero-copy call on one side. */
__keel_ring_inline uint32_t
__keel_ring_peek_start(struct keel_ring *r, int enq, uint32_t n,
		       enum keel_ring_queue_behavior behavior, uint32_t *old,
		       uint32_t *left)
{
	struct keel_ring_headtail *ht = enq ? &r->prod : &r->cons;
	const uint64_t *other = enq ? &r->cons.tail : &r->prod.tail;
	uint32_t base = enq ? r->capacity : 0, m;

	switch (ht->sync_type) {
	case KEEL_RING_SYNC_ST:
		m = __keel_ring_move_head(ht, other, base, 1, n, behavior, old,
					  left);
		break;
	case KEEL_RING_SYNC_MT_HTS:
		m = __keel_ring_hts_move_head(ht, other, base, n, behavior,
					      old, left);
		break;
	default:
		*old = 0;
		return keel_ring_fp_error(r, KEEL_RING_ERR_SYNC,
					  ht->sync_type);
	}
	if (__keel_ring_unlikely(m == 0))
		return __keel_ring_check_bulk(r, n, behavior);
	return m;
}

/** Internal: objects reserved by the start in progress on one side. */
__keel_ring_inline uint32_t
__keel_ring_peek_reserved(const struct keel_ring_headtail *ht)
{
	return (uint32_t)__atomic_load_n(&ht->head, __ATOMIC_RELAXED) -
	       (uint32_t)__atomic_load_n(&ht->tail, __ATOMIC_RELAXED);
}

/**
 * Internal: the finish half: keep n of the reserved objects (publish them
 * for an enqueue, remove them for a dequeue), give back the rest.
 */
__keel_ring_inline int
__keel_ring_peek_finish(struct keel_ring *r, int enq, uint32_t n,
			const void *obj_table, unsigned int esize)
{
	struct keel_ring_headtail *ht;
	uint32_t old;

	if (__keel_ring_unlikely(r == NULL)) {
		keel_ring_fp_error(r, KEEL_RING_ERR_NULL, n);
		return -EINVAL;
	}
	ht = enq ? &r->prod : &r->cons;
	if (__keel_ring_unlikely(n > __keel_ring_peek_reserved(ht))) {
		keel_ring_fp_error(r, KEEL_RING_ERR_FINISH, n);
		return -EINVAL;
	}
	/* ST or HTS: this thread alone moves this side now */
	old = (uint32_t)__atomic_load_n(&ht->tail, __ATOMIC_RELAXED);
	if (obj_table != NULL)
		__keel_ring_enqueue_elems(r, old, obj_table, esize, n);
	if (ht->sync_type == KEEL_RING_SYNC_MT_HTS) {
		__keel_ring_hts_update_tail(ht, old, n);
	} else {
		uint64_t h = __atomic_load_n(&ht->head, __ATOMIC_RELAXED);

		__atomic_store_n(&ht->tail, (uint64_t)(uint32_t)(old + n),
				 __ATOMIC_RELEASE);
		__atomic_store_n(&ht->head, __keel_ring_pack(old + n,
					(uint32_t)(h >> 32)), __ATOMIC_RELAXED);
	}
	if (enq)
		__keel_ring_stat_enq(r, n);
	else
		__keel_ring_stat_deq(r, n);
	return 0;
}

/** Internal: dequeue start: reserve, then copy out without removing. */
__keel_ring_inline unsigned int
__keel_ring_dequeue_start(struct keel_ring *r, void *obj_table,
			  unsigned int esize, unsigned int n,
			  enum keel_ring_queue_behavior behavior,
			  unsigned int *available)
{
	uint32_t old, m;

	if (__keel_ring_bad_args(r, obj_table, esize, n))
		return 0;
	m = __keel_ring_peek_start(r, 0, n, behavior, &old, available);
	if (m != 0)
		__keel_ring_dequeue_elems(r, old, obj_table, esize, m);
	return m;
}

/** Internal: enqueue start: reserve room only. */
__keel_ring_inline unsigned int
__keel_ring_enqueue_start(struct keel_ring *r, unsigned int n,
			  enum keel_ring_queue_behavior behavior,
			  unsigned int *free_space)
{
	uint32_t old;

	if (__keel_ring_unlikely(r == NULL))
		return keel_ring_fp_error(r, KEEL_RING_ERR_NULL, n);
	return __keel_ring_peek_start(r, 1, n, behavior, &old, free_space);
}

/**
 * Reserve room for exactly n objects (or none).
 * @return n or 0; *free_space (if not NULL): room left after the reserve.
 */
__keel_ring_inline unsigned int
keel_ring_enqueue_bulk_elem_start(struct keel_ring *r, unsigned int n,
				  unsigned int *free_space)
{
	return __keel_ring_enqueue_start(r, n, KEEL_RING_QUEUE_FIXED,
					 free_space);
}

/** As keel_ring_enqueue_bulk_elem_start() (pointer rings). */
__keel_ring_inline unsigned int
keel_ring_enqueue_bulk_start(struct keel_ring *r, unsigned int n,
			     unsigned int *free_space)
{
	return keel_ring_enqueue_bulk_elem_start(r, n, free_space);
}

/** Reserve room for up to n objects. @return how many (0..n). */
__keel_ring_inline unsigned int
keel_ring_enqueue_burst_elem_start(struct keel_ring *r, unsigned int n,
				   unsigned int *free_space)
{
	return __keel_ring_enqueue_start(r, n, KEEL_RING_QUEUE_VARIABLE,
					 free_space);
}

/** As keel_ring_enqueue_burst_elem_start() (pointer rings). */
__keel_ring_inline unsigned int
keel_ring_enqueue_burst_start(struct keel_ring *r, unsigned int n,
			      unsigned int *free_space)
{
	return keel_ring_enqueue_burst_elem_start(r, n, free_space);
}

/**
 * Enqueue n elements from obj_table into the room reserved by a start
 * call (n <= reserved; n == 0 cancels) and give back the rest.
 * @return 0, or -EINVAL (n above the reservation, wrong esize, NULL
 *         arguments): nothing changed, errno set, one log line.
 */
__keel_ring_inline int
keel_ring_enqueue_elem_finish(struct keel_ring *r, const void *obj_table,
			      unsigned int esize, unsigned int n)
{
	if (__keel_ring_bad_args(r, obj_table, esize, n))
		return -EINVAL;
	return __keel_ring_peek_finish(r, 1, n, obj_table, esize);
}

/** As keel_ring_enqueue_elem_finish() (pointer rings). */
__keel_ring_inline int
keel_ring_enqueue_finish(struct keel_ring *r, void * const *obj_table,
			 unsigned int n)
{
	return keel_ring_enqueue_elem_finish(r, obj_table, sizeof(void *), n);
}

/**
 * Copy exactly n elements (or none) out of the ring into obj_table,
 * leaving them queued until keel_ring_dequeue_elem_finish().
 * @return n or 0; *available (if not NULL): objects queued after them.
 */
__keel_ring_inline unsigned int
keel_ring_dequeue_bulk_elem_start(struct keel_ring *r, void *obj_table,
				  unsigned int esize, unsigned int n,
				  unsigned int *available)
{
	return __keel_ring_dequeue_start(r, obj_table, esize, n,
					 KEEL_RING_QUEUE_FIXED, available);
}

/** As keel_ring_dequeue_bulk_elem_start() (pointer rings). */
__keel_ring_inline unsigned int
keel_ring_dequeue_bulk_start(struct keel_ring *r, void **obj_table,
			     unsigned int n, unsigned int *available)
{
	return keel_ring_dequeue_bulk_elem_start(r, obj_table, sizeof(void *),
						 n, available);
}

/** Copy up to n elements out, leaving them queued. @return 0..n. */
__keel_ring_inline unsigned int
keel_ring_dequeue_burst_elem_start(struct keel_ring *r, void *obj_table,
				   unsigned int esize, unsigned int n,
				   unsigned int *available)
{
	return __keel_ring_dequeue_start(r, obj_table, esize, n,
					 KEEL_RING_QUEUE_VARIABLE, available);
}

/** As keel_ring_dequeue_burst_elem_start() (pointer rings). */
__keel_ring_inline unsigned int
keel_ring_dequeue_burst_start(struct keel_ring *r, void **obj_table,
			      unsigned int n, unsigned int *available)
{
	return keel_ring_dequeue_burst_elem_start(r, obj_table,
						  sizeof(void *), n,
						  available);
}

/**
 * Remove the first n of the elements a dequeue start gave (n <= that
 * count; the rest stay queued).
 * @return 0, or -EINVAL (n too large, NULL r): nothing changed.
 */
__keel_ring_inline int
keel_ring_dequeue_elem_finish(struct keel_ring *r, unsigned int n)
{
	return __keel_ring_peek_finish(r, 0, n, NULL, 0);
}

/** As keel_ring_dequeue_elem_finish() (pointer rings). */
__keel_ring_inline int
keel_ring_dequeue_finish(struct keel_ring *r, unsigned int n)
{
	return keel_ring_dequeue_elem_finish(r, n);
}

#ifdef __cplusplus
}
#endif
#endif /* KEEL_RING_PEEK_H */
