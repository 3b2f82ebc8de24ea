/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_RING_RTS_PVT_H
#define KEEL_RING_RTS_PVT_H

/*
 * Private to lib/ring: the relaxed-tail-sync (MT_RTS) mode.
 *
 * Head and tail words each hold a position (low 32 bits) and a count of
 * operations (high 32 bits). Claiming increments the head's count with the
 * position in one CAS; finishing increments the tail's count with a CAS,
 * and the thread whose increment makes the tail's count equal to the
 * head's (the last one out) also moves the tail's position to the head's.
 * So no thread ever waits for another to publish, unlike MT where every
 * thread waits for all that claimed before it: a preempted thread delays
 * when its slots (and later ones) become visible, but it does not hold the
 * others inside the ring burning their CPU. The one wait left bounds how
 * far the head may run ahead of the tail (htd_max, capacity / 8 by
 * default), so that a stalled tail does not let the head lap it.
 *
 * Memory ordering (C11): each finisher's tail CAS is a release, so the
 * last one's CAS, read with acquire by the other side, carries every
 * finished thread's slot accesses with it (a release sequence of RMWs).
 * The tail is read with acquire before the head, so a finisher sees the
 * head claims of every operation its count includes and cannot miss being
 * the last one. The head is read before the other side's tail, as in MT.
 */

#include "keel_ring_mt_pvt.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Internal: the head may not get further than htd_max from the tail. */
__keel_ring_inline uint64_t
__keel_ring_rts_head_wait(const struct keel_ring_headtail *ht, uint64_t h)
{
	unsigned int spins = 0;

	while (__keel_ring_unlikely((uint32_t)h -
			(uint32_t)__atomic_load_n(&ht->tail, __ATOMIC_RELAXED) >
			ht->htd_max)) {
		__keel_ring_wait(&spins);
		h = __atomic_load_n(&ht->head, __ATOMIC_ACQUIRE);
	}
	return h;
}

/** Internal: claim up to n slots (MT_RTS); as __keel_ring_move_head(). */
__keel_ring_inline uint32_t
__keel_ring_rts_move_head(struct keel_ring_headtail *ht,
			  const uint64_t *other_tail, uint32_t room_base,
			  uint32_t n, enum keel_ring_queue_behavior behavior,
			  uint32_t *old, uint32_t *left)
{
	uint64_t oh, nh;
	uint32_t pos, room, want;

	oh = __atomic_load_n(&ht->head, __ATOMIC_ACQUIRE);
	do {
		oh = __keel_ring_rts_head_wait(ht, oh);
		pos = (uint32_t)oh;
		room = room_base - pos +
		       (uint32_t)__atomic_load_n(other_tail, __ATOMIC_ACQUIRE);
		want = n;
		if (__keel_ring_unlikely(room < n))
			want = behavior == KEEL_RING_QUEUE_FIXED ? 0 : room;
		if (__keel_ring_unlikely(want == 0))
			break;
		nh = __keel_ring_pack(pos + want, (uint32_t)(oh >> 32) + 1);
		/* the slots we touch next are ordered by the acquire of
		 * other_tail above and publishing is the tail's job, so
		 * success needs no more than the failure's acquire (C11
		 * forbids a failure order stronger than success) */
	} while (!__atomic_compare_exchange_n(&ht->head, &oh, nh, 0,
					      __ATOMIC_ACQUIRE,
					      __ATOMIC_ACQUIRE));
	*old = pos;
	if (left != NULL)
		*left = room - want;
	return want;
}

/** Internal: finish one operation (MT_RTS); the last one out publishes. */
__keel_ring_inline void
__keel_ring_rts_update_tail(struct keel_ring_headtail *ht)
{
	uint64_t ot, nt, h;

	ot = __atomic_load_n(&ht->tail, __ATOMIC_ACQUIRE);
	do {
		h = __atomic_load_n(&ht->head, __ATOMIC_RELAXED);
		nt = ot + (1ull << 32);
		if ((uint32_t)(nt >> 32) == (uint32_t)(h >> 32))
			nt = __keel_ring_pack((uint32_t)h, (uint32_t)(nt >> 32));
	} while (!__atomic_compare_exchange_n(&ht->tail, &ot, nt, 0,
					      __ATOMIC_RELEASE,
					      __ATOMIC_ACQUIRE));
}

/** Internal: MT_RTS enqueue. */
__keel_ring_inline unsigned int
__keel_ring_rts_do_enqueue(struct keel_ring *r, const void *obj_table,
			   unsigned int esize, unsigned int n,
			   enum keel_ring_queue_behavior behavior,
			   unsigned int *free_space)
{
	uint32_t head, m;

	m = __keel_ring_rts_move_head(&r->prod, &r->cons.tail, r->capacity, n,
				      behavior, &head, free_space);
	if (__keel_ring_unlikely(m == 0))
		return 0;
	__keel_ring_enqueue_elems(r, head, obj_table, esize, m);
	__keel_ring_rts_update_tail(&r->prod);
	return m;
}

/** Internal: MT_RTS dequeue. */
__keel_ring_inline unsigned int
__keel_ring_rts_do_dequeue(struct keel_ring *r, void *obj_table,
			   unsigned int esize, unsigned int n,
			   enum keel_ring_queue_behavior behavior,
			   unsigned int *available)
{
	uint32_t head, m;

	m = __keel_ring_rts_move_head(&r->cons, &r->prod.tail, 0, n, behavior,
				      &head, available);
	if (__keel_ring_unlikely(m == 0))
		return 0;
	__keel_ring_dequeue_elems(r, head, obj_table, esize, m);
	__keel_ring_rts_update_tail(&r->cons);
	return m;
}

#ifdef __cplusplus
}
#endif
#endif /* KEEL_RING_RTS_PVT_H */
