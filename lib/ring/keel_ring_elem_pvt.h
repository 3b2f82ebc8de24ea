/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_RING_ELEM_PVT_H
#define KEEL_RING_ELEM_PVT_H

/*
 * Private to lib/ring: what every sync mode shares. Copying elements in and
 * out of the slots (wrapping at the end of the ring), the bounded spin that
 * turns into sched_yield() when a thread waits for another that may have
 * been preempted, the out-of-line error reports, and the debug counters.
 * Nothing here touches head or tail.
 */

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "keel_cycles.h"
#include "keel_ring_core.h"

#ifdef KEEL_RING_DEBUG
#include "keel_lcore.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Optimised builds always inline the fast path (one call per burst); -O0
 * builds (debug, ASan/UBSan) leave it to the compiler: forcing every mode
 * and element size inline into the perf test took GCC 12 over 12 minutes
 * for that one file at -O0 with sanitizers, 2 s without the attribute.
 */
#ifdef __OPTIMIZE__
#define __keel_ring_inline static inline __attribute__((always_inline))
#else
#define __keel_ring_inline static inline
#endif
#define __keel_ring_likely(x) __builtin_expect(!!(x), 1)
#define __keel_ring_unlikely(x) __builtin_expect(!!(x), 0)

/*
 * A thread that waits for another one (MT: its predecessor's tail, HTS: the
 * operation in progress, RTS: head too far ahead of tail) spins with pause
 * for this many rounds, tens of microseconds, then yields its CPU once per
 * round. A peer that is running finishes in well under a microsecond, so
 * the yield is only reached when the peer is not running: then the CPU is
 * better spent running it (if it waits for this CPU) than spinning until
 * the scheduler's tick. (In MT the waiter already holds claimed slots, so
 * its yield delays the threads behind it; it still measures far better
 * than spinning: ring_stress with 4 MP/MC threads on 2 CPUs took minutes
 * instead of a second.) 0: never yield (DPDK's behaviour).
 */
#ifndef KEEL_RING_SPIN_BEFORE_YIELD
#define KEEL_RING_SPIN_BEFORE_YIELD 1024
#endif

/** Internal: one round of waiting for another thread of the same side. */
__keel_ring_inline void
__keel_ring_wait(unsigned int *spins)
{
#if KEEL_RING_SPIN_BEFORE_YIELD > 0
	if (__keel_ring_unlikely(++*spins >= KEEL_RING_SPIN_BEFORE_YIELD)) {
		sched_yield();
		return;
	}
#else
	(void)spins;
#endif
	keel_pause();
}

/* Reasons for keel_ring_fp_error(). */
#define KEEL_RING_ERR_NULL   1 /* ring or object table NULL */
#define KEEL_RING_ERR_ESIZE  2 /* element size differs from the ring's */
#define KEEL_RING_ERR_COUNT  3 /* bulk n larger than the capacity */
#define KEEL_RING_ERR_SYNC   4 /* API not available in this sync mode */
#define KEEL_RING_ERR_FINISH 5 /* finish n larger than what start gave */

/**
 * Internal: report a bad argument met on the fast path: one log line
 * naming the ring and the value, errno = EINVAL (ENOTSUP for
 * KEEL_RING_ERR_SYNC). @return 0, the object count to hand back.
 */
unsigned int keel_ring_fp_error(const struct keel_ring *r, int why,
				unsigned int value)
	__attribute__((cold, noinline));

/**
 * Internal: the call_key a call in mode @p sync (-1: the default) with
 * elements of @p esize bytes needs to find on the ring side it uses: the
 * element size, and the family of modes that share a layout (ST and MT
 * mix freely; RTS and HTS take only their own calls).
 */
#define __KEEL_RING_FAMILY(sync) ((sync) == KEEL_RING_SYNC_ST ? \
				  KEEL_RING_SYNC_MT : (unsigned int)(sync))
#define __KEEL_RING_CALL_KEY(esize, sync) \
	(((uint32_t)(esize) << 2) | __KEEL_RING_FAMILY(sync))

/**
 * Internal: report a call whose arguments do not fit the ring (NULL ring
 * or table, element size, mode); one log line, errno EINVAL or ENOTSUP.
 * @return 0.
 */
unsigned int keel_ring_fp_bad_call(const struct keel_ring *r,
				   const void *obj_table, unsigned int esize,
				   unsigned int n, int sync, int enq)
	__attribute__((cold, noinline));

/**
 * Internal: the checks every enqueue/dequeue makes: one load and one
 * compare of the side's call_key (plus the NULL tests, which fold away
 * for arrays), all predicted not taken.
 */
__keel_ring_inline int
__keel_ring_bad_call(const struct keel_ring *r, int enq,
		     const void *obj_table, unsigned int esize,
		     unsigned int n, int sync)
{
	const struct keel_ring_headtail *ht;

	if (__keel_ring_unlikely(r == NULL || (obj_table == NULL && n != 0)))
		return 1;
	ht = enq ? &r->prod : &r->cons;
	if (sync < 0)
		return __keel_ring_unlikely(ht->call_key >> 2 != esize);
	return __keel_ring_unlikely(ht->call_key !=
				    __KEEL_RING_CALL_KEY(esize, sync));
}

/** Internal: the checks of the peek and zero-copy calls. */
__keel_ring_inline int
__keel_ring_bad_args(const struct keel_ring *r, const void *obj_table,
		     unsigned int esize, unsigned int n)
{
	if (__keel_ring_unlikely(r == NULL || (obj_table == NULL && n != 0))) {
		keel_ring_fp_error(r, KEEL_RING_ERR_NULL, n);
		return 1;
	}
	if (__keel_ring_unlikely(esize != r->esize)) {
		keel_ring_fp_error(r, KEEL_RING_ERR_ESIZE, esize);
		return 1;
	}
	return 0;
}

/* ---- copying: slot index = pos & mask, wrapping once at most ---- */

/* n 8-byte elements: 32 bytes at a time, then one by one. memcpy of a
 * constant size is plain moves and keeps the compiler's aliasing rules
 * (object tables are void *[], slots raw memory). Kept this simple on
 * purpose: a switch on n & 3 makes GCC warn (-Wstringop-overflow) in
 * callers that dequeue one pointer into a single variable. */
__keel_ring_inline void
__keel_ring_copy64(void *dst, const void *src, uint32_t n)
{
	char *d = (char *)dst;
	const char *s = (const char *)src;

	for (; n >= 4; n -= 4, d += 32, s += 32)
		memcpy(d, s, 32);
	for (; n > 0; n--, d += 8, s += 8)
		memcpy(d, s, 8);
}

/* n 16-byte elements: 64 bytes a step, then 32, then 16. DPDK copies 32 a
 * step; with ring-pair-bench.c 64 measured 2-5 cycles fewer per enqueue +
 * dequeue pair on six of the 8- and 32-element lines, 1.5 more on two. */
__keel_ring_inline void
__keel_ring_copy128(void *dst, const void *src, uint32_t n)
{
	char *d = (char *)dst;
	const char *s = (const char *)src;

	for (; n >= 4; n -= 4, d += 64, s += 64)
		memcpy(d, s, 64);
	if (n & 2) {
		memcpy(d, s, 32);
		d += 32;
		s += 32;
	}
	if (n & 1)
		memcpy(d, s, 16);
}

/* n elements of esize bytes; esize is a constant in nearly every caller,
 * so only one branch survives inlining */
__keel_ring_inline void
__keel_ring_copy(void *dst, const void *src, uint32_t esize, uint32_t n)
{
	if (esize == 8)
		__keel_ring_copy64(dst, src, n);
	else if (esize == 16)
		__keel_ring_copy128(dst, src, n);
	else
		memcpy(dst, src, (size_t)esize * n);
}

/** Internal: address of the slot at position @p pos. */
__keel_ring_inline void *
__keel_ring_slot(const struct keel_ring *r, uint32_t pos, uint32_t esize)
{
	return (char *)(uintptr_t)(r + 1) + (size_t)(pos & r->mask) * esize;
}

/** Internal: copy n elements from obj_table into slots [pos, pos + n). */
__keel_ring_inline void
__keel_ring_enqueue_elems(struct keel_ring *r, uint32_t pos,
			  const void *obj_table, uint32_t esize, uint32_t n)
{
	uint32_t idx = pos & r->mask, first = r->size - idx;

	if (__keel_ring_likely(n <= first)) {
		__keel_ring_copy(__keel_ring_slot(r, idx, esize), obj_table,
				 esize, n);
	} else {
		__keel_ring_copy(__keel_ring_slot(r, idx, esize), obj_table,
				 esize, first);
		__keel_ring_copy(__keel_ring_slot(r, 0, esize),
				 (const char *)obj_table +
				 (size_t)first * esize, esize, n - first);
	}
}

/** Internal: copy n elements from slots [pos, pos + n) to obj_table. */
__keel_ring_inline void
__keel_ring_dequeue_elems(const struct keel_ring *r, uint32_t pos,
			  void *obj_table, uint32_t esize, uint32_t n)
{
	uint32_t idx = pos & r->mask, first = r->size - idx;

	if (__keel_ring_likely(n <= first)) {
		__keel_ring_copy(obj_table, __keel_ring_slot(r, idx, esize),
				 esize, n);
	} else {
		__keel_ring_copy(obj_table, __keel_ring_slot(r, idx, esize),
				 esize, first);
		__keel_ring_copy((char *)obj_table + (size_t)first * esize,
				 __keel_ring_slot(r, 0, esize), esize,
				 n - first);
	}
}

/* ---- debug counters (KEEL_RING_DEBUG builds only) ---- */

#ifdef KEEL_RING_DEBUG
/** Internal: this thread's counters: its lcore's, or the shared last row. */
__keel_ring_inline struct keel_ring_stats *
__keel_ring_stats(const struct keel_ring *r)
{
	unsigned int id = keel_lcore_id();

	return &r->stats[id < KEEL_MAX_LCORE ? id : KEEL_MAX_LCORE];
}

/* relaxed adds: counters, not synchronisation; atomic because non-EAL
 * threads share the last row */
#define __KEEL_RING_STAT_ADD(r, field, v) do { \
	if ((r)->stats != NULL) \
		__atomic_fetch_add(&__keel_ring_stats(r)->field, (v), \
				   __ATOMIC_RELAXED); \
} while (0)
#else
#define __KEEL_RING_STAT_ADD(r, field, v) do { } while (0)
#endif

/** Internal: count one enqueue of n objects (n == 0: a failed call). */
__keel_ring_inline void
__keel_ring_stat_enq(const struct keel_ring *r, uint32_t n)
{
	(void)r;
	(void)n;
	if (n != 0) {
		__KEEL_RING_STAT_ADD(r, enq_ok_calls, 1);
		__KEEL_RING_STAT_ADD(r, enq_ok_objs, n);
	} else {
		__KEEL_RING_STAT_ADD(r, enq_fail_calls, 1);
	}
}

/** Internal: count one dequeue of n objects (n == 0: a failed call). */
__keel_ring_inline void
__keel_ring_stat_deq(const struct keel_ring *r, uint32_t n)
{
	(void)r;
	(void)n;
	if (n != 0) {
		__KEEL_RING_STAT_ADD(r, deq_ok_calls, 1);
		__KEEL_RING_STAT_ADD(r, deq_ok_objs, n);
	} else {
		__KEEL_RING_STAT_ADD(r, deq_fail_calls, 1);
	}
}

#ifdef __cplusplus
}
#endif
#endif /* KEEL_RING_ELEM_PVT_H */
