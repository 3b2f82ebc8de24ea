/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_RING_ELEM_H
#define KEEL_RING_ELEM_H

/**
 * @file
 * Rings of elements of any size that is a multiple of 4 bytes (the element
 * API, as DPDK's rte_ring_elem.h). keel_ring.h includes this file and adds
 * the pointer API (elements of sizeof(void *) bytes) on top.
 *
 * Every enqueue/dequeue takes the element size @p esize, which must equal
 * the ring's (given at creation): unlike DPDK, which trusts it, a
 * different size is refused (0 objects, errno EINVAL, one log line).
 *
 * Return conventions (as DPDK): bulk calls move exactly n objects or none
 * and return n or 0; burst calls move as many as they can (0..n) and
 * return that number; single-object calls return 0 or -ENOBUFS (enqueue,
 * ring full) / -ENOENT (dequeue, ring empty). @p free_space / @p available
 * (may be NULL) receive the room or the objects left after the call.
 * Bad arguments (NULL ring, NULL table with n > 0, wrong esize, a bulk n
 * above the capacity, a call whose mode does not match the ring's) move
 * nothing, set errno and log one line naming the value.
 */

#include <sys/types.h>

#include "keel_ring_core.h"
#include "keel_ring_elem_pvt.h"
#include "keel_ring_mt_pvt.h"
#include "keel_ring_rts_pvt.h"
#include "keel_ring_hts_pvt.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Bytes needed by a ring of @p count elements of @p esize bytes (for
 * keel_ring_init_elem() into memory of your own).
 *
 * @param esize  element size, a non-zero multiple of 4
 * @param count  slots: a power of two (capacity count - 1), or with
 *               KEEL_RING_F_EXACT_SZ any count (use
 *               keel_ring_get_memsize_elem(esize, keel_ring_size_of(count)))
 * @return the size, or -EINVAL (errno set, one log line) for a bad esize or
 *         count, or a size that overflows
 */
ssize_t keel_ring_get_memsize_elem(unsigned int esize, unsigned int count);

/**
 * Create a ring of @p count elements of @p esize bytes in a memzone named
 * KEEL_RING_MZ_PREFIX + @p name, found again with keel_ring_lookup().
 *
 * @param name       unique name, shorter than KEEL_RING_NAMESIZE
 * @param esize      element size, a non-zero multiple of 4
 * @param count      ring size, a power of two (holds count - 1 objects);
 *                   with KEEL_RING_F_EXACT_SZ the exact capacity wanted
 * @param socket_id  NUMA socket for the memory, or KEEL_SOCKET_ID_ANY
 * @param flags      KEEL_RING_F_*: at most one of SP_ENQ, MP_RTS_ENQ,
 *                   MP_HTS_ENQ (none: MP) and one of SC_DEQ, MC_RTS_DEQ,
 *                   MC_HTS_DEQ (none: MC); EXACT_SZ
 * @return the ring, or NULL with errno: EINVAL (NULL name, bad esize,
 *         count or flags), ENAMETOOLONG, EEXIST (name taken), ENOMEM;
 *         nothing is created on failure, and one log line names the value
 */
struct keel_ring *keel_ring_create_elem(const char *name, unsigned int esize,
					unsigned int count, int socket_id,
					unsigned int flags);

/**
 * Set up a ring of @p esize-byte elements in memory the caller owns, of
 * keel_ring_get_memsize_elem() bytes and aligned to KEEL_RING_CACHE_LINE
 * (the mempool embeds its rings this way). Not found by keel_ring_lookup(),
 * not freed by keel_ring_free(). Keel extension: DPDK's rte_ring_init()
 * only makes pointer rings.
 *
 * @return 0, or -EINVAL (NULL or misaligned r, NULL name, bad esize, count
 *         or flags) / -ENAMETOOLONG, with errno set and one log line
 */
int keel_ring_init_elem(struct keel_ring *r, const char *name,
			unsigned int esize, unsigned int count,
			unsigned int flags);

/**
 * Internal: a bulk call that moved nothing: was n impossible? @return 0,
 * the count to hand back. Callers end with `return` on it: with the cold
 * error call in a branch that rejoined the normal path before its return,
 * GCC 12 judged every return of the call "never executed" and moved the
 * end of each enqueue/dequeue (the odd element, the tail store, the
 * return) to .text.unlikely, a jump away from the copy loop: 16-byte bulk
 * 8 and 32 cost 27-36% more cycles for it (pointer bulk 32: 26%).
 */
__keel_ring_inline unsigned int
__keel_ring_check_bulk(const struct keel_ring *r, unsigned int n,
		       enum keel_ring_queue_behavior behavior)
{
	if (behavior == KEEL_RING_QUEUE_FIXED &&
	    __keel_ring_unlikely(n > r->capacity))
		return keel_ring_fp_error(r, KEEL_RING_ERR_COUNT, n);
	return 0;
}

/**
 * Internal: enqueue in mode @p sync (-1: the ring's default). Every
 * public enqueue ends here; with constant arguments one path remains.
 */
__keel_ring_inline unsigned int
__keel_ring_enqueue(struct keel_ring *r, const void *obj_table,
		    unsigned int esize, unsigned int n,
		    enum keel_ring_queue_behavior behavior, int sync,
		    unsigned int *free_space)
{
	unsigned int m;

	if (__keel_ring_bad_call(r, 1, obj_table, esize, n, sync))
		return keel_ring_fp_bad_call(r, obj_table, esize, n, sync, 1);
	if (sync < 0)
		sync = (int)r->prod.sync_type;
	switch (sync) {
	case KEEL_RING_SYNC_ST:
		m = __keel_ring_do_enqueue(r, obj_table, esize, n, behavior, 1,
					   free_space);
		break;
	case KEEL_RING_SYNC_MT:
		m = __keel_ring_do_enqueue(r, obj_table, esize, n, behavior, 0,
					   free_space);
		break;
	case KEEL_RING_SYNC_MT_RTS:
		m = __keel_ring_rts_do_enqueue(r, obj_table, esize, n,
					       behavior, free_space);
		break;
	default:
		m = __keel_ring_hts_do_enqueue(r, obj_table, esize, n,
					       behavior, free_space);
		break;
	}
	__keel_ring_stat_enq(r, m);
	if (__keel_ring_unlikely(m == 0))
		return __keel_ring_check_bulk(r, n, behavior);
	return m;
}

/** Internal: dequeue in mode @p sync (-1: the ring's default). */
__keel_ring_inline unsigned int
__keel_ring_dequeue(struct keel_ring *r, void *obj_table, unsigned int esize,
		    unsigned int n, enum keel_ring_queue_behavior behavior,
		    int sync, unsigned int *available)
{
	unsigned int m;

	if (__keel_ring_bad_call(r, 0, obj_table, esize, n, sync))
		return keel_ring_fp_bad_call(r, obj_table, esize, n, sync, 0);
	if (sync < 0)
		sync = (int)r->cons.sync_type;
	switch (sync) {
	case KEEL_RING_SYNC_ST:
		m = __keel_ring_do_dequeue(r, obj_table, esize, n, behavior, 1,
					   available);
		break;
	case KEEL_RING_SYNC_MT:
		m = __keel_ring_do_dequeue(r, obj_table, esize, n, behavior, 0,
					   available);
		break;
	case KEEL_RING_SYNC_MT_RTS:
		m = __keel_ring_rts_do_dequeue(r, obj_table, esize, n,
					       behavior, available);
		break;
	default:
		m = __keel_ring_hts_do_dequeue(r, obj_table, esize, n,
					       behavior, available);
		break;
	}
	__keel_ring_stat_deq(r, m);
	if (__keel_ring_unlikely(m == 0))
		return __keel_ring_check_bulk(r, n, behavior);
	return m;
}

/* Generators for the many thin wrappers: mode x bulk/burst. */
#define __KEEL_RING_ENQ_ELEM(name, behavior, sync) \
__keel_ring_inline unsigned int \
name(struct keel_ring *r, const void *obj_table, unsigned int esize, \
     unsigned int n, unsigned int *free_space) \
{ \
	return __keel_ring_enqueue(r, obj_table, esize, n, behavior, sync, \
				   free_space); \
}
#define __KEEL_RING_DEQ_ELEM(name, behavior, sync) \
__keel_ring_inline unsigned int \
name(struct keel_ring *r, void *obj_table, unsigned int esize, \
     unsigned int n, unsigned int *available) \
{ \
	return __keel_ring_dequeue(r, obj_table, esize, n, behavior, sync, \
				   available); \
}

/**
 * @name Enqueue of elements
 * keel_ring_[mp_|sp_]enqueue_{bulk,burst}_elem(r, obj_table, esize, n,
 * free_space): enqueue n elements of esize bytes from obj_table, as
 * multi-producer (mp_), single-producer (sp_: the caller guarantees no
 * other producer runs meanwhile) or in the ring's default mode (no prefix).
 * Bulk: n or 0. Burst: 0..n.
 * @{
 */
/**
 * Enqueue exactly @p n elements of @p esize bytes from @p obj_table, or none;
 * multi-producer. @return n or 0.
 */
__KEEL_RING_ENQ_ELEM(keel_ring_mp_enqueue_bulk_elem, KEEL_RING_QUEUE_FIXED,
		     KEEL_RING_SYNC_MT)
/**
 * Enqueue exactly @p n elements of @p esize bytes from @p obj_table, or none;
 * single-producer (no other producer runs meanwhile). @return n or 0.
 */
__KEEL_RING_ENQ_ELEM(keel_ring_sp_enqueue_bulk_elem, KEEL_RING_QUEUE_FIXED,
		     KEEL_RING_SYNC_ST)
/**
 * Enqueue exactly @p n elements of @p esize bytes from @p obj_table, or none;
 * in the ring's default mode. @return n or 0.
 */
__KEEL_RING_ENQ_ELEM(keel_ring_enqueue_bulk_elem, KEEL_RING_QUEUE_FIXED, -1)
/**
 * Enqueue up to @p n elements of @p esize bytes from @p obj_table, as many as
 * fit; multi-producer. @return the number moved.
 */
__KEEL_RING_ENQ_ELEM(keel_ring_mp_enqueue_burst_elem,
		     KEEL_RING_QUEUE_VARIABLE, KEEL_RING_SYNC_MT)
/**
 * Enqueue up to @p n elements of @p esize bytes from @p obj_table, as many as
 * fit; single-producer (no other producer runs meanwhile). @return the number
 * moved.
 */
__KEEL_RING_ENQ_ELEM(keel_ring_sp_enqueue_burst_elem,
		     KEEL_RING_QUEUE_VARIABLE, KEEL_RING_SYNC_ST)
/**
 * Enqueue up to @p n elements of @p esize bytes from @p obj_table, as many as
 * fit; in the ring's default mode. @return the number moved.
 */
__KEEL_RING_ENQ_ELEM(keel_ring_enqueue_burst_elem, KEEL_RING_QUEUE_VARIABLE,
		     -1)
/** @} */

/**
 * @name Dequeue of elements
 * keel_ring_[mc_|sc_]dequeue_{bulk,burst}_elem(r, obj_table, esize, n,
 * available): dequeue up to n elements of esize bytes into obj_table.
 * @{
 */
/**
 * Dequeue exactly @p n elements of @p esize bytes into @p obj_table, or none;
 * multi-consumer. @return n or 0.
 */
__KEEL_RING_DEQ_ELEM(keel_ring_mc_dequeue_bulk_elem, KEEL_RING_QUEUE_FIXED,
		     KEEL_RING_SYNC_MT)
/**
 * Dequeue exactly @p n elements of @p esize bytes into @p obj_table, or none;
 * single-consumer (no other consumer runs meanwhile). @return n or 0.
 */
__KEEL_RING_DEQ_ELEM(keel_ring_sc_dequeue_bulk_elem, KEEL_RING_QUEUE_FIXED,
		     KEEL_RING_SYNC_ST)
/**
 * Dequeue exactly @p n elements of @p esize bytes into @p obj_table, or none;
 * in the ring's default mode. @return n or 0.
 */
__KEEL_RING_DEQ_ELEM(keel_ring_dequeue_bulk_elem, KEEL_RING_QUEUE_FIXED, -1)
/**
 * Dequeue up to @p n elements of @p esize bytes into @p obj_table, as many as
 * there are; multi-consumer. @return the number moved.
 */
__KEEL_RING_DEQ_ELEM(keel_ring_mc_dequeue_burst_elem,
		     KEEL_RING_QUEUE_VARIABLE, KEEL_RING_SYNC_MT)
/**
 * Dequeue up to @p n elements of @p esize bytes into @p obj_table, as many as
 * there are; single-consumer (no other consumer runs meanwhile). @return the
 * number moved.
 */
__KEEL_RING_DEQ_ELEM(keel_ring_sc_dequeue_burst_elem,
		     KEEL_RING_QUEUE_VARIABLE, KEEL_RING_SYNC_ST)
/**
 * Dequeue up to @p n elements of @p esize bytes into @p obj_table, as many as
 * there are; in the ring's default mode. @return the number moved.
 */
__KEEL_RING_DEQ_ELEM(keel_ring_dequeue_burst_elem, KEEL_RING_QUEUE_VARIABLE,
		     -1)
/** @} */

/**
 * @name One element
 * Enqueue the element at @p obj (esize bytes): 0 or -ENOBUFS (full; also
 * for bad arguments, with errno set). Dequeue one into @p obj_p: 0 or
 * -ENOENT (empty; also for bad arguments, with errno set).
 * @{
 */
/**
 * Enqueue one element of @p esize bytes (@p obj); multi-producer. @return 0,
 * or -ENOBUFS.
 */
__keel_ring_inline int
keel_ring_mp_enqueue_elem(struct keel_ring *r, void *obj, unsigned int esize)
{
	return keel_ring_mp_enqueue_bulk_elem(r, obj, esize, 1, NULL) ?
	       0 : -ENOBUFS;
}

/**
 * Enqueue one element of @p esize bytes (@p obj); single-producer (no other
 * producer runs meanwhile). @return 0, or -ENOBUFS.
 */
__keel_ring_inline int
keel_ring_sp_enqueue_elem(struct keel_ring *r, void *obj, unsigned int esize)
{
	return keel_ring_sp_enqueue_bulk_elem(r, obj, esize, 1, NULL) ?
	       0 : -ENOBUFS;
}

/**
 * Enqueue one element of @p esize bytes (@p obj); in the ring's default mode.
 * @return 0, or -ENOBUFS.
 */
__keel_ring_inline int
keel_ring_enqueue_elem(struct keel_ring *r, void *obj, unsigned int esize)
{
	return keel_ring_enqueue_bulk_elem(r, obj, esize, 1, NULL) ?
	       0 : -ENOBUFS;
}

/**
 * Dequeue one element of @p esize bytes into @p obj_p; multi-consumer.
 * @return 0, or -ENOENT.
 */
__keel_ring_inline int
keel_ring_mc_dequeue_elem(struct keel_ring *r, void *obj_p,
			  unsigned int esize)
{
	return keel_ring_mc_dequeue_bulk_elem(r, obj_p, esize, 1, NULL) ?
	       0 : -ENOENT;
}

/**
 * Dequeue one element of @p esize bytes into @p obj_p; single-consumer (no
 * other consumer runs meanwhile). @return 0, or -ENOENT.
 */
__keel_ring_inline int
keel_ring_sc_dequeue_elem(struct keel_ring *r, void *obj_p,
			  unsigned int esize)
{
	return keel_ring_sc_dequeue_bulk_elem(r, obj_p, esize, 1, NULL) ?
	       0 : -ENOENT;
}

/**
 * Dequeue one element of @p esize bytes into @p obj_p; in the ring's default
 * mode. @return 0, or -ENOENT.
 */
__keel_ring_inline int
keel_ring_dequeue_elem(struct keel_ring *r, void *obj_p, unsigned int esize)
{
	return keel_ring_dequeue_bulk_elem(r, obj_p, esize, 1, NULL) ?
	       0 : -ENOENT;
}
/** @} */

#ifdef __cplusplus
}
#endif

#include "keel_ring_rts.h"
#include "keel_ring_hts.h"
#include "keel_ring_peek.h"
#include "keel_ring_peek_zc.h"

#endif /* KEEL_RING_ELEM_H */
