/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VHOST_COPY_H
#define KEEL_VHOST_COPY_H

/*
 * The copy seam between the ring walkers and the engine that moves packet
 * bytes, and the per-chain completion tracking that lets used-ring writes
 * wait for copies.
 *
 * A burst fetches chains, records one inflight entry per chain (in ring
 * order: its id, descriptor count, the length it will hold, and how many
 * copies it waits for), hands the burst's copies to the queue's engine,
 * then calls vhost_vq_complete(), which writes used entries for the oldest
 * chains whose copies are all done - whole packets only, so a mergeable
 * packet's buffers appear together - and notifies the guest.
 *
 * The CPU engine (the default) copies inside submit(), so a burst completes
 * everything it fetched. An asynchronous engine (a dmadev vchan, issue 13)
 * plugs in as another struct vhost_copy_ops: submit() enqueues DMA ops,
 * poll() collects completions into the inflight entries, and drain() waits
 * until none is in flight; the control thread calls drain() (through
 * vhost_vq_drain_locked()) before the memory table changes, an IOTLB
 * invalidate, a queue stop, a reset or a disconnect. Guest regions are
 * mapped once each with their fd kept (struct vhost_region), so an engine
 * behind an IOMMU can map each region with one call.
 *
 * Invariant: 0 <= infl_count <= infl_size; entries [infl_tail, +count) are
 * the chains fetched and not yet written to the used ring, in ring order.
 * Locking: the queue's lock (datapath) or all queue locks (control).
 */

#include "vhost_internal.h"

/* one copy: host addresses on both sides (the guest side inside a region) */
struct vhost_copy_seg {
	void *dst;
	const void *src;
	uint32_t len;
	uint32_t slot;     /* inflight entry the copy belongs to */
};

struct vhost_copy_ops {
	const char *name;
	/* start @p n copies; each decrements its slot's `pending` when done
	 * (or sets `failed`). @return copies accepted (all, or the burst
	 * stops there and the caller retries the rest later). */
	uint32_t (*submit)(struct vhost_vq *vq, const struct vhost_copy_seg *s,
			   uint32_t n);
	/* collect completions (NULL when submit completes everything) */
	void (*poll)(struct vhost_vq *vq);
	/* wait until no copy of the queue is in flight (NULL: never any) */
	void (*drain)(struct vhost_vq *vq);
	/* a chain's used entry was written (NULL: nothing to do); @p failed
	 * when a copy of its packet failed (the entry claims 0 bytes) */
	void (*retire)(struct vhost_vq *vq, uint32_t slot, int failed);
};

extern const struct vhost_copy_ops vhost_copy_cpu;

/* an engine reports one copy done (ok) or failed: the chain's pending
 * count drops; a completed copy into the guest is logged now, when its
 * bytes are there (dirty log) */
static inline void
vhost_copy_done(struct vhost_vq *vq, const struct vhost_copy_seg *s, int ok)
{
	struct vhost_inflight *e = &vq->inflight[s->slot];

	if (!ok)
		e->failed = 1;
	else if (vq->log_copies)
		vhost_vq_log_host_write(vq, s->dst, s->len);
	e->pending--;
}

/* next inflight entry (the caller fills it); NULL when the queue's
 * tracking is full (cannot happen with one entry per ring slot) */
static inline struct vhost_inflight *
vhost_infl_push(struct vhost_vq *vq)
{
	struct vhost_inflight *e;
	uint32_t slot;

	if (vq->infl_count >= vq->infl_size)
		return NULL;
	slot = vq->infl_tail + vq->infl_count;
	if (slot >= vq->infl_size)
		slot -= vq->infl_size;
	vq->infl_count++;
	e = &vq->inflight[slot];
	e->failed = 0;
	e->pkt_end = 1;
	return e;
}

static inline uint32_t
vhost_infl_slot(const struct vhost_vq *vq, const struct vhost_inflight *e)
{
	return (uint32_t)(e - vq->inflight);
}

/* write used entries for completed packets, publish, notify the guest;
 * @p device_wrote: the chains were written by the device (receive side)
 * @return chains written to the used ring */
uint32_t vhost_vq_complete(struct vhost_vq *vq, int device_wrote);

#endif /* KEEL_VHOST_COPY_H */
