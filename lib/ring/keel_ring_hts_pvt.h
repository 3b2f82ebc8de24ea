/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_RING_HTS_PVT_H
#define KEEL_RING_HTS_PVT_H

/*
 * Private to lib/ring: the head/tail-sync (MT_HTS) mode, and the start /
 * finish halves that the peek and zero-copy APIs build on (ST and HTS).
 *
 * The head word holds this side's head (low 32) and tail (high 32). A
 * thread may claim only when they are equal (no operation in progress), so
 * operations of one side are serialised: one CAS to enter, two stores to
 * leave (the tail word the other side reads, then the head word with head
 * == tail). Because nobody else moves the head meanwhile, the finishing
 * thread may give back part of what it claimed, which is what peek needs.
 * A preempted thread in HTS stops its whole side until it runs again: use
 * it for peek/zero-copy with several threads, not for throughput.
 *
 * Memory ordering (C11): leaving stores the tail word with release (the
 * other side's acquire sees our slot accesses), then the head word with
 * release; the next thread of our side loads it with acquire before
 * reading the other side's tail, so it cannot see a tail older than ours.
 */

#include "keel_ring_mt_pvt.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Internal: claim up to n slots (MT_HTS); as __keel_ring_move_head(). */
__keel_ring_inline uint32_t
__keel_ring_hts_move_head(struct keel_ring_headtail *ht,
			  const uint64_t *other_tail, uint32_t room_base,
			  uint32_t n, enum keel_ring_queue_behavior behavior,
			  uint32_t *old, uint32_t *left)
{
	uint64_t oh, nh;
	uint32_t pos, room, want;
	unsigned int spins = 0;

	oh = __atomic_load_n(&ht->head, __ATOMIC_ACQUIRE);
	do {
		while (__keel_ring_unlikely((uint32_t)oh !=
					    (uint32_t)(oh >> 32))) {
			__keel_ring_wait(&spins);
			oh = __atomic_load_n(&ht->head, __ATOMIC_ACQUIRE);
		}
		pos = (uint32_t)oh;
		room = room_base - pos +
		       (uint32_t)__atomic_load_n(other_tail, __ATOMIC_ACQUIRE);
		want = n;
		if (__keel_ring_unlikely(room < n))
			want = behavior == KEEL_RING_QUEUE_FIXED ? 0 : room;
		if (__keel_ring_unlikely(want == 0))
			break;
		nh = __keel_ring_pack(pos + want, pos);
		/* oh was already acquired by the load or the failed CAS
		 * that returned it; success repeats the failure's acquire
		 * only because C11 wants failure <= success */
	} while (!__atomic_compare_exchange_n(&ht->head, &oh, nh, 0,
					      __ATOMIC_ACQUIRE,
					      __ATOMIC_ACQUIRE));
	*old = pos;
	if (left != NULL)
		*left = room - want;
	return want;
}

/**
 * Internal: leave an HTS operation that started at @p old, keeping n of
 * the slots it claimed (n <= claimed).
 */
__keel_ring_inline void
__keel_ring_hts_update_tail(struct keel_ring_headtail *ht, uint32_t old,
			    uint32_t n)
{
	uint32_t pos = old + n;

	__atomic_store_n(&ht->tail, (uint64_t)pos, __ATOMIC_RELEASE);
	__atomic_store_n(&ht->head, __keel_ring_pack(pos, pos),
			 __ATOMIC_RELEASE);
}

/** Internal: MT_HTS enqueue. */
__keel_ring_inline unsigned int
__keel_ring_hts_do_enqueue(struct keel_ring *r, const void *obj_table,
			   unsigned int esize, unsigned int n,
			   enum keel_ring_queue_behavior behavior,
			   unsigned int *free_space)
{
	uint32_t head, m;

	m = __keel_ring_hts_move_head(&r->prod, &r->cons.tail, r->capacity, n,
				      behavior, &head, free_space);
	if (__keel_ring_unlikely(m == 0))
		return 0;
	__keel_ring_enqueue_elems(r, head, obj_table, esize, m);
	__keel_ring_hts_update_tail(&r->prod, head, m);
	return m;
}

/** Internal: MT_HTS dequeue. */
__keel_ring_inline unsigned int
__keel_ring_hts_do_dequeue(struct keel_ring *r, void *obj_table,
			   unsigned int esize, unsigned int n,
			   enum keel_ring_queue_behavior behavior,
			   unsigned int *available)
{
	uint32_t head, m;

	m = __keel_ring_hts_move_head(&r->cons, &r->prod.tail, 0, n, behavior,
				      &head, available);
	if (__keel_ring_unlikely(m == 0))
		return 0;
	__keel_ring_dequeue_elems(r, head, obj_table, esize, m);
	__keel_ring_hts_update_tail(&r->cons, head, m);
	return m;
}

#ifdef __cplusplus
}
#endif
#endif /* KEEL_RING_HTS_PVT_H */
