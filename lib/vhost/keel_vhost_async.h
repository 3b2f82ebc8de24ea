/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VHOST_ASYNC_H
#define KEEL_VHOST_ASYNC_H

/**
 * @file
 * Asynchronous vhost data path: a virtqueue's packet copies are offloaded
 * to dmadev vchans (after DPDK 22.11's rte_vhost_async.h).
 *
 * A queue registered with keel_vhost_async_channel_register() takes packets
 * only through the calls below (the synchronous bursts return 0 on it):
 *  - host to guest: keel_vhost_submit_enqueue_burst() puts packets into the
 *    guest's buffers as DMA copies and returns at once; the mbufs belong to
 *    the library until keel_vhost_poll_enqueue_completed() hands them back
 *    (to be freed by the caller), after their used entries were written;
 *  - guest to host: keel_vhost_async_try_dequeue_burst() starts copies of
 *    new guest packets and returns the packets whose copies completed.
 * Used entries are written in ring order, whole packets at a time, only
 * after every copy of the packet completed; a copy that fails (the engine
 * reports an error, e.g. an IOMMU fault) fails its packet: its used entries
 * claim 0 bytes, it is counted in keel_vhost_vring_stats.failed, an enqueued
 * packet comes back marked failed and a dequeued one is freed, never
 * delivered. (DPDK 22.11 logs DMA errors once and goes on.)
 *
 * While any queue of a device is async, every guest memory region is
 * DMA-mapped into the EAL's default IOMMU container (one map call per
 * region: IOVA = the region's address in this process where the IOMMU and
 * the engines can reach it, else an IOVA the container allocates below
 * the narrowest DMA mask (keel_dma_info.dma_mask_bits) of the device's
 * async queues' dmadevs, e.g. 2^28 for QEMU's edu), and unmapped exactly
 * when the region goes (REM_MEM_REG, a new table without it, a reset),
 * after the copies in flight drained. Queue stop, reset, disconnect,
 * memory changes and IOTLB invalidates all wait for the copies in flight.
 *
 * Threads: the calls of one queue must not run concurrently (as for the
 * synchronous bursts; a call that finds the queue busy returns 0). A vchan
 * belongs to one queue at a time (the control thread drains it with the
 * queue's lock held): registering a vchan another queue uses is refused.
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct keel_mbuf;
struct keel_mempool;

/** Most vchans one queue spreads its copies over. */
#define KEEL_VHOST_ASYNC_MAX_DMA 8

/** One dmadev vchan. */
struct keel_vhost_async_dma {
	int16_t dev_id;   /**< a started dmadev (mem-to-mem capable) */
	uint16_t vchan;   /**< one of its configured vchans */
};

/** How a queue copies asynchronously. */
struct keel_vhost_async_config {
	uint16_t nb_dma;  /**< 1..KEEL_VHOST_ASYNC_MAX_DMA */
	/** vchans, used in turn burst by burst */
	struct keel_vhost_async_dma dma[KEEL_VHOST_ASYNC_MAX_DMA];
	/** copies shorter than this many bytes go by CPU at once (a DMA op
	 *  costs more than a small memcpy: see doc/guides/vhost.md for where
	 *  DMA starts to pay off); 0: every copy by DMA */
	uint32_t cpu_threshold;
};

/**
 * Make queue @p queue_id of device @p vid async. Call it from the
 * new_device() or vring_state_changed() callback, or while the front-end
 * sends no memory change. The first async queue of a device DMA-maps the
 * device's guest memory regions into the default IOMMU container.
 * @return 0, or -1 with errno: ENODEV (no such device), EINVAL (bad queue,
 *         NULL config, nb_dma out of range, a vchan invalid or not
 *         started, the engine cannot reach process memory without an IOMMU
 *         container, the engine sits behind an IOMMU container other than
 *         the EAL's default one: keel_dma_info.iommu), EBUSY (the queue is async already, or a vchan serves
 *         another queue), ERANGE (a vchan's device has a DMA mask that
 *         guest memory already mapped for the device's other async queues
 *         lies beyond: register the narrow one first), ENOMEM, or the
 *         IOMMU container's error mapping a region, e.g. ENOSPC (no free
 *         IOVA range below the DMA mask) (nothing changed; logged with the
 *         dmadev and its mask).
 */
int keel_vhost_async_channel_register(int vid, uint16_t queue_id,
				      const struct keel_vhost_async_config *cfg);

/**
 * Make the queue synchronous again (its copies drained first). The last
 * async queue of a device DMA-unmaps its guest memory.
 * @return 0, or -1 with errno: ENODEV, EINVAL (not async), EBUSY (packets
 *         still owed to the application: poll them first).
 */
int keel_vhost_async_channel_unregister(int vid, uint16_t queue_id);

/**
 * Submit packets into the guest's receive queue @p queue_id (even id).
 * @return packets taken (the first n of @p pkts): they belong to the
 *         library until polled back. A packet the guest cannot take
 *         (dropped, counted) is taken too and comes back failed.
 */
uint16_t keel_vhost_submit_enqueue_burst(int vid, uint16_t queue_id,
					 struct keel_mbuf **pkts,
					 uint16_t count);

/**
 * Collect packets whose copies finished and whose used entries are
 * written, in the order they were submitted (dropped ones may come
 * earlier). @p failed, when not NULL, gets 1 for a packet that did not
 * reach the guest, 0 otherwise.
 * @return packets returned into @p pkts (the caller frees them).
 */
uint16_t keel_vhost_poll_enqueue_completed(int vid, uint16_t queue_id,
					   struct keel_mbuf **pkts,
					   uint16_t count, uint8_t *failed);

/**
 * Take packets from the guest's transmit queue @p queue_id (odd id): start
 * the copies of new guest packets into mbufs from @p mp and return those
 * whose copies completed, in ring order. @p nr_inflight (may be NULL) gets
 * the packets still in flight. A RARP the front-end asked for comes first,
 * as from keel_vhost_dequeue_burst().
 * @return packets returned (the caller owns them).
 */
uint16_t keel_vhost_async_try_dequeue_burst(int vid, uint16_t queue_id,
					    struct keel_mempool *mp,
					    struct keel_mbuf **pkts,
					    uint16_t count, int *nr_inflight);

/**
 * Wait for the queue's copies in flight (the control side: for a device
 * going away) and return packets owed to the application without taking
 * new ones: enqueued packets (failed[i] as in
 * keel_vhost_poll_enqueue_completed()) or dequeued ones (failed ones are
 * freed and not returned). Call it until keel_vhost_async_get_inflight()
 * is 0, then unregister. (DPDK: rte_vhost_clear_queue_thread_unsafe().)
 * @return packets returned into @p pkts.
 */
uint16_t keel_vhost_async_clear_queue(int vid, uint16_t queue_id,
				      struct keel_mbuf **pkts, uint16_t count,
				      uint8_t *failed);

/**
 * Packets of the queue in flight or completed and not yet returned.
 * @return the count, or -1 with errno (ENODEV, EINVAL: not async).
 */
int keel_vhost_async_get_inflight(int vid, uint16_t queue_id);

/** Counters of an async queue's engine. */
struct keel_vhost_async_stats {
	uint64_t dma_copies;     /**< copies done by DMA ops */
	uint64_t cpu_copies;     /**< copies below the threshold, by CPU */
	uint64_t dma_errors;     /**< DMA ops that completed with an error */
	uint64_t ring_full;      /**< times a vchan's ring was found full:
				      flushed, completions collected, and
				      the rest continued (or left for the
				      next call) */
	uint64_t cancelled;      /**< ops given up by a drain that timed out */
	/** copies done by CPU (also counted in cpu_copies) because
	 *  application memory (an mbuf) lies at an IOVA beyond the vchan's
	 *  device's DMA mask (keel_dma_info.dma_mask_bits); guest memory is
	 *  always mapped below it */
	uint64_t beyond_mask;
};

/** Read an async queue's engine counters. @return 0 or -1 with errno. */
int keel_vhost_async_stats_get(int vid, uint16_t queue_id,
			       struct keel_vhost_async_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* KEEL_VHOST_ASYNC_H */
