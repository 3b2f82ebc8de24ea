/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_RING_HTS_H
#define KEEL_RING_HTS_H

/**
 * @file
 * Multi-producer/consumer calls in head/tail-sync mode (MT_HTS), as DPDK's
 * rte_ring_hts.h. Use them, or the default-mode calls, on a ring created
 * with KEEL_RING_F_MP_HTS_ENQ / KEEL_RING_F_MC_HTS_DEQ; calling them on a
 * ring side in another mode is refused (errno ENOTSUP).
 *
 * HTS runs one operation of a side at a time, so a thread may peek at
 * what it dequeues and give part of it back (keel_ring_peek.h) with
 * several consumers. A preempted thread stops its side until it runs again.
 * Included by keel_ring.h.
 */

#include "keel_ring_elem.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @name HTS enqueue/dequeue of elements (see keel_ring_elem.h)
 * @{
 */
/**
 * Enqueue exactly @p n elements of @p esize bytes from @p obj_table, or none;
 * multi-producer, HTS sync. @return n or 0.
 */
__KEEL_RING_ENQ_ELEM(keel_ring_mp_hts_enqueue_bulk_elem,
		     KEEL_RING_QUEUE_FIXED, KEEL_RING_SYNC_MT_HTS)
/**
 * Enqueue up to @p n elements of @p esize bytes from @p obj_table, as many as
 * fit; multi-producer, HTS sync. @return the number moved.
 */
__KEEL_RING_ENQ_ELEM(keel_ring_mp_hts_enqueue_burst_elem,
		     KEEL_RING_QUEUE_VARIABLE, KEEL_RING_SYNC_MT_HTS)
/**
 * Dequeue exactly @p n elements of @p esize bytes into @p obj_table, or none;
 * multi-consumer, HTS sync. @return n or 0.
 */
__KEEL_RING_DEQ_ELEM(keel_ring_mc_hts_dequeue_bulk_elem,
		     KEEL_RING_QUEUE_FIXED, KEEL_RING_SYNC_MT_HTS)
/**
 * Dequeue up to @p n elements of @p esize bytes into @p obj_table, as many as
 * there are; multi-consumer, HTS sync. @return the number moved.
 */
__KEEL_RING_DEQ_ELEM(keel_ring_mc_hts_dequeue_burst_elem,
		     KEEL_RING_QUEUE_VARIABLE, KEEL_RING_SYNC_MT_HTS)
/** @} */

/**
 * @name HTS enqueue/dequeue of pointers (see keel_ring.h)
 * @{
 */
/**
 * Enqueue exactly @p n pointers from @p obj_table, or none; multi-producer,
 * HTS sync. @return n or 0.
 */
__keel_ring_inline unsigned int
keel_ring_mp_hts_enqueue_bulk(struct keel_ring *r, void * const *obj_table,
			      unsigned int n, unsigned int *free_space)
{
	return keel_ring_mp_hts_enqueue_bulk_elem(r, obj_table,
						  sizeof(void *), n,
						  free_space);
}

/**
 * Enqueue up to @p n pointers from @p obj_table, as many as fit;
 * multi-producer, HTS sync. @return the number moved.
 */
__keel_ring_inline unsigned int
keel_ring_mp_hts_enqueue_burst(struct keel_ring *r, void * const *obj_table,
			       unsigned int n, unsigned int *free_space)
{
	return keel_ring_mp_hts_enqueue_burst_elem(r, obj_table,
						   sizeof(void *), n,
						   free_space);
}

/**
 * Dequeue exactly @p n pointers into @p obj_table, or none; multi-consumer,
 * HTS sync. @return n or 0.
 */
__keel_ring_inline unsigned int
keel_ring_mc_hts_dequeue_bulk(struct keel_ring *r, void **obj_table,
			      unsigned int n, unsigned int *available)
{
	return keel_ring_mc_hts_dequeue_bulk_elem(r, obj_table,
						  sizeof(void *), n,
						  available);
}

/**
 * Dequeue up to @p n pointers into @p obj_table, as many as there are;
 * multi-consumer, HTS sync. @return the number moved.
 */
__keel_ring_inline unsigned int
keel_ring_mc_hts_dequeue_burst(struct keel_ring *r, void **obj_table,
			       unsigned int n, unsigned int *available)
{
	return keel_ring_mc_hts_dequeue_burst_elem(r, obj_table,
						   sizeof(void *), n,
						   available);
}
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KEEL_RING_HTS_H */
