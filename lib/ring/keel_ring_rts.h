/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_RING_RTS_H
#define KEEL_RING_RTS_H

/**
 * @file
 * Multi-producer/consumer calls in relaxed-tail-sync mode (MT_RTS), as
 * DPDK's rte_ring_rts.h. Use them, or the default-mode calls, on a ring
 * created with KEEL_RING_F_MP_RTS_ENQ / KEEL_RING_F_MC_RTS_DEQ; calling them
 * on a ring side in another mode is refused (errno ENOTSUP).
 *
 * RTS is Keel's mode for threads that may be preempted inside a ring call
 * (more threads than cores, or lcores sharing a CPU with other work): no
 * thread waits for another one to publish. See keel_ring.h, "Sync modes".
 * Included by keel_ring.h.
 */

#include "keel_ring_elem.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @name RTS enqueue/dequeue of elements (see keel_ring_elem.h)
 * @{
 */
/**
 * Enqueue exactly @p n elements of @p esize bytes from @p obj_table, or none;
 * multi-producer, RTS sync. @return n or 0.
 */
__KEEL_RING_ENQ_ELEM(keel_ring_mp_rts_enqueue_bulk_elem,
		     KEEL_RING_QUEUE_FIXED, KEEL_RING_SYNC_MT_RTS)
/**
 * Enqueue up to @p n elements of @p esize bytes from @p obj_table, as many as
 * fit; multi-producer, RTS sync. @return the number moved.
 */
__KEEL_RING_ENQ_ELEM(keel_ring_mp_rts_enqueue_burst_elem,
		     KEEL_RING_QUEUE_VARIABLE, KEEL_RING_SYNC_MT_RTS)
/**
 * Dequeue exactly @p n elements of @p esize bytes into @p obj_table, or none;
 * multi-consumer, RTS sync. @return n or 0.
 */
__KEEL_RING_DEQ_ELEM(keel_ring_mc_rts_dequeue_bulk_elem,
		     KEEL_RING_QUEUE_FIXED, KEEL_RING_SYNC_MT_RTS)
/**
 * Dequeue up to @p n elements of @p esize bytes into @p obj_table, as many as
 * there are; multi-consumer, RTS sync. @return the number moved.
 */
__KEEL_RING_DEQ_ELEM(keel_ring_mc_rts_dequeue_burst_elem,
		     KEEL_RING_QUEUE_VARIABLE, KEEL_RING_SYNC_MT_RTS)
/** @} */

/**
 * @name RTS enqueue/dequeue of pointers (see keel_ring.h)
 * @{
 */
/**
 * Enqueue exactly @p n pointers from @p obj_table, or none; multi-producer,
 * RTS sync. @return n or 0.
 */
__keel_ring_inline unsigned int
keel_ring_mp_rts_enqueue_bulk(struct keel_ring *r, void * const *obj_table,
			      unsigned int n, unsigned int *free_space)
{
	return keel_ring_mp_rts_enqueue_bulk_elem(r, obj_table,
						  sizeof(void *), n,
						  free_space);
}

/**
 * Enqueue up to @p n pointers from @p obj_table, as many as fit;
 * multi-producer, RTS sync. @return the number moved.
 */
__keel_ring_inline unsigned int
keel_ring_mp_rts_enqueue_burst(struct keel_ring *r, void * const *obj_table,
			       unsigned int n, unsigned int *free_space)
{
	return keel_ring_mp_rts_enqueue_burst_elem(r, obj_table,
						   sizeof(void *), n,
						   free_space);
}

/**
 * Dequeue exactly @p n pointers into @p obj_table, or none; multi-consumer,
 * RTS sync. @return n or 0.
 */
__keel_ring_inline unsigned int
keel_ring_mc_rts_dequeue_bulk(struct keel_ring *r, void **obj_table,
			      unsigned int n, unsigned int *available)
{
	return keel_ring_mc_rts_dequeue_bulk_elem(r, obj_table,
						  sizeof(void *), n,
						  available);
}

/**
 * Dequeue up to @p n pointers into @p obj_table, as many as there are;
 * multi-consumer, RTS sync. @return the number moved.
 */
__keel_ring_inline unsigned int
keel_ring_mc_rts_dequeue_burst(struct keel_ring *r, void **obj_table,
			       unsigned int n, unsigned int *available)
{
	return keel_ring_mc_rts_dequeue_burst_elem(r, obj_table,
						   sizeof(void *), n,
						   available);
}
/** @} */

/**
 * @return the largest distance the producers' head may run ahead of their
 *         tail (MT_RTS), or 0 when the producer side is not MT_RTS (or r is
 *         NULL), with errno EINVAL.
 */
uint32_t keel_ring_get_prod_htd_max(const struct keel_ring *r);

/**
 * Set the producers' head-tail distance limit (MT_RTS only; 1 <= v <=
 * capacity). Not while the ring is in use.
 * @return 0, or -EINVAL (errno set, one log line)
 */
int keel_ring_set_prod_htd_max(struct keel_ring *r, uint32_t v);

/** Consumers' counterpart of keel_ring_get_prod_htd_max(). */
uint32_t keel_ring_get_cons_htd_max(const struct keel_ring *r);

/** Consumers' counterpart of keel_ring_set_prod_htd_max(). */
int keel_ring_set_cons_htd_max(struct keel_ring *r, uint32_t v);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_RING_RTS_H */
