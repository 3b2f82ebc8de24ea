/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VHOST_ASYNC_INTERNAL_H
#define KEEL_VHOST_ASYNC_INTERNAL_H

/*
 * The dmadev copy engine of an async queue (struct vhost_copy_ops, see
 * vhost_copy.h) and the packets it owes the application.
 *
 * Each copy of a burst becomes one DMA op per piece that is contiguous in
 * IOVA on both sides (or one memcpy below the queue's threshold). Per
 * vchan, a FIFO holds the ops enqueued and not yet collected, in ring order
 * (a vchan completes in order): op i lives at ops[i & (size - 1)],
 *     tail <= head, head - tail <= size,
 * and `ignore` completions of ops a timed-out drain gave up come first. An
 * op's completion marks its inflight entry failed on error, and the last
 * op of a copy drops the entry's pending count. Copies no vchan could take
 * (rings full) wait in `backlog`, in order; while it is not empty the
 * queue takes no new packet, so it never holds more than one burst.
 *
 * Packets: pkt[slot] is the mbuf of the packet whose first chain is
 * inflight entry `slot` (NULL for chains without one); when its used
 * entries are written (retire) it moves to the `done` FIFO, in ring order,
 * until the application collects it. npkts counts packets in flight and in
 * done, <= VHOST_ASYNC_SLOTS.
 * Locking: the queue's lock (datapath, or the control thread's drain).
 */
#include "keel_vhost_async.h"
#include "vhost_copy.h"
#include "vhost_proto.h"

/* most inflight entries of a queue: the largest ring (virtio 1.2, 2.7) */
#define VHOST_ASYNC_SLOTS 32768u
/* how long a drain waits for the engines before giving up on the ops */
#define VHOST_ASYNC_DRAIN_NS (2ULL * 1000 * 1000 * 1000)

struct keel_iommu_container;

struct vhost_async_op {
	uint8_t *dst;       /* for the dirty log */
	uint32_t len;
	uint32_t slot;      /* inflight entry */
	uint8_t last;       /* last op of its copy */
};

struct vhost_async_chan {
	int16_t dev_id;
	uint16_t vchan;
	uint32_t size;      /* FIFO entries (power of two) */
	uint64_t head;      /* ops enqueued */
	uint64_t tail;      /* ops collected */
	uint32_t unsubmitted;  /* enqueued since the last doorbell */
	uint64_t ignore;    /* completions of given-up ops still to come */
	uint64_t iova_end;  /* the device's DMA mask: IOVAs below it (0: all) */
	struct vhost_async_op *ops;
};

/* the last container entry a side of the copies hit */
struct vhost_async_xl {
	uint64_t va;
	uint64_t iova;
	uint64_t len;       /* 0: empty */
	uint64_t gen;
};

struct vhost_async {
	struct vhost_async_chan ch[KEEL_VHOST_ASYNC_MAX_DMA];
	uint16_t nch;
	uint16_t cur;              /* vchan of the current burst */
	uint32_t cpu_threshold;
	struct keel_iommu_container *cont;   /* NULL: IOVA = VA */
	struct vhost_async_xl xl[2];         /* 0: source, 1: destination */
	struct keel_mbuf **pkt;              /* VHOST_ASYNC_SLOTS */
	struct virtio_net_hdr *hdr;          /* VHOST_ASYNC_SLOTS (dequeue) */
	struct keel_mbuf **done;             /* VHOST_ASYNC_SLOTS */
	uint8_t *done_failed;
	uint32_t done_head;
	uint32_t done_count;
	uint32_t npkts;
	struct vhost_copy_seg *backlog;      /* VHOST_BURST_SEGS */
	uint32_t nbacklog;
	uint8_t warned_mask;                 /* beyond_mask logged once */
	struct keel_vhost_async_stats st;
};

extern const struct vhost_copy_ops vhost_copy_async;

/* bumped by every DMA map or unmap of a guest region (vhost_async_mem.c):
 * a translation cached before is stale */
extern uint64_t vhost_async_map_gen;

/* DMA-unmap every region of the device (last async queue gone) */
void vhost_async_mem_unmap_all(struct vhost_dev *dev);

static inline struct vhost_async *
vhost_async_of(const struct vhost_vq *vq)
{
	return vq->copy == &vhost_copy_async ?
	       (struct vhost_async *)vq->copy_priv : NULL;
}

#endif /* KEEL_VHOST_ASYNC_INTERNAL_H */
