/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_RING_MT_PVT_H
#define KEEL_RING_MT_PVT_H

/*
 * Private to lib/ring: claiming and publishing slots in the single-thread
 * (ST) and multi-thread (MT) modes, which share one layout so that sp/mp
 * and sc/mc calls may be mixed on one ring (as in DPDK).
 *
 * The head word holds this side's head position and a cached copy of the
 * other side's tail, written together (one store or one CAS), so for every
 * value ever stored, pos - cache <= capacity: the cache is always a safe
 * lower bound of the room left. It is refreshed from the other side's tail
 * line only when it says the request does not fit, or when the caller asks
 * how much room is left (free_space / available), so that in steady state a
 * side does not read the line the other side writes on every call.
 *
 * Memory ordering (C11 terms), producer side; the consumer's mirrors it:
 *  - cons.tail is loaded with acquire: it synchronises with the consumers'
 *    release store after they read the slots, so our writes to those slots
 *    happen after their reads.
 *  - A cached tail read from the head word stands for an acquire of
 *    cons.tail made by another producer. That producer stored the word with
 *    release (CAS success order acq_rel), and we load it with acquire (and a
 *    failed CAS returns it with acquire), so its acquire reaches us transitively.
 *  - The head is loaded before cons.tail is refreshed (acquire orders the
 *    two loads): with head newer than the tail, pos - tail could exceed the
 *    capacity and the unsigned room would wrap.
 *  - The tail is stored with release after the slots are written (read,
 *    for the consumer), publishing them. An MT thread first waits, with an
 *    acquire load, until the tail reaches its own start, so the threads
 *    before it are published too (their release, our acquire, our release).
 */

#include "keel_ring_elem_pvt.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Internal: pack a head word. */
__keel_ring_inline uint64_t
__keel_ring_pack(uint32_t lo, uint32_t hi)
{
	return ((uint64_t)hi << 32) | lo;
}

/**
 * Internal: claim up to n slots for @p ht's side (ST or MT); the other
 * side's tail is @p other_tail. Room is capacity + tail - pos for
 * producers and tail - pos for consumers (@p room_base = capacity or 0).
 *
 * @return the number claimed (0: none); *old is the first position
 *         claimed; *left (if not NULL) the room left after the claim,
 *         computed from a fresh read of the other side's tail.
 */
__keel_ring_inline uint32_t
__keel_ring_move_head(struct keel_ring_headtail *ht,
		      const uint64_t *other_tail, uint32_t room_base,
		      unsigned int is_st, uint32_t n,
		      enum keel_ring_queue_behavior behavior, uint32_t *old,
		      uint32_t *left)
{
	uint64_t oh, nh;
	uint32_t pos, cache, room, want;

	/* ST: only this thread writes the word (callers of sp/sc calls
	 * synchronise among themselves), relaxed is enough */
	oh = __atomic_load_n(&ht->head,
			     is_st ? __ATOMIC_RELAXED : __ATOMIC_ACQUIRE);
	for (;;) {
		pos = (uint32_t)oh;
		cache = (uint32_t)(oh >> 32);
		room = room_base + cache - pos;
		if (left != NULL || __keel_ring_unlikely(room < n)) {
			cache = (uint32_t)__atomic_load_n(other_tail,
							  __ATOMIC_ACQUIRE);
			room = room_base + cache - pos;
		}
		want = n;
		if (__keel_ring_unlikely(room < n))
			want = behavior == KEEL_RING_QUEUE_FIXED ? 0 : room;
		if (__keel_ring_unlikely(want == 0))
			break; /* nothing stored: polling an empty (full)
				* ring does not dirty the head line */
		nh = __keel_ring_pack(pos + want, cache);
		if (is_st) {
			__atomic_store_n(&ht->head, nh, __ATOMIC_RELAXED);
			break;
		}
		/* success: release, as the cache we store stands for our
		 * acquire of the other tail (acq_rel only because C11 wants
		 * failure <= success); failure: acquire, see the top */
		if (__atomic_compare_exchange_n(&ht->head, &oh, nh, 0,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			break;
	}
	*old = pos;
	if (left != NULL)
		*left = room - want;
	return want;
}

/**
 * Internal: publish [old, old + n) of @p ht's side. MT threads publish in
 * the order they claimed: wait until the tail reaches @p old. This is the
 * wait that stalls every later thread of the side when one is preempted
 * between claim and publish; MT_RTS has none.
 */
__keel_ring_inline void
__keel_ring_update_tail(struct keel_ring_headtail *ht, uint32_t old,
			uint32_t n, unsigned int is_st)
{
	if (!is_st) {
		unsigned int spins = 0;

		while (__keel_ring_unlikely((uint32_t)__atomic_load_n(&ht->tail,
						__ATOMIC_ACQUIRE) != old))
			__keel_ring_wait(&spins);
	}
	__atomic_store_n(&ht->tail, (uint64_t)(uint32_t)(old + n),
			 __ATOMIC_RELEASE);
}

/** Internal: ST/MT enqueue. */
__keel_ring_inline unsigned int
__keel_ring_do_enqueue(struct keel_ring *r, const void *obj_table,
		       unsigned int esize, unsigned int n,
		       enum keel_ring_queue_behavior behavior,
		       unsigned int is_sp, unsigned int *free_space)
{
	uint32_t head, m;

	m = __keel_ring_move_head(&r->prod, &r->cons.tail, r->capacity, is_sp,
				  n, behavior, &head, free_space);
	if (__keel_ring_unlikely(m == 0))
		return 0;
	__keel_ring_enqueue_elems(r, head, obj_table, esize, m);
	__keel_ring_update_tail(&r->prod, head, m, is_sp);
	return m;
}

/** Internal: ST/MT dequeue. */
__keel_ring_inline unsigned int
__keel_ring_do_dequeue(struct keel_ring *r, void *obj_table,
		       unsigned int esize, unsigned int n,
		       enum keel_ring_queue_behavior behavior,
		       unsigned int is_sc, unsigned int *available)
{
	uint32_t head, m;

	m = __keel_ring_move_head(&r->cons, &r->prod.tail, 0, is_sc, n,
				  behavior, &head, available);
	if (__keel_ring_unlikely(m == 0))
		return 0;
	__keel_ring_dequeue_elems(r, head, obj_table, esize, m);
	__keel_ring_update_tail(&r->cons, head, m, is_sc);
	return m;
}

#ifdef __cplusplus
}
#endif
#endif /* KEEL_RING_MT_PVT_H */
