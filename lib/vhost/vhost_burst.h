/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VHOST_BURST_H
#define KEEL_VHOST_BURST_H

/*
 * One packet of a net burst, shared by the synchronous bursts
 * (vhost_enqueue.c, vhost_dequeue.c) and the asynchronous ones
 * (vhost_async_burst.c): each fetches the packet's chains, records one
 * inflight entry per chain and appends its copies to the queue's segs; the
 * caller hands the segs to the copy engine and completes.
 * Locking: the queue's lock, held by the caller.
 */
#include "vhost_internal.h"

struct keel_mbuf;
struct keel_mempool;
struct virtio_net_hdr;

/* start a receive burst: header length, mergeable, work areas reset */
void vhost_enqueue_begin(struct vhost_vq *vq, uint32_t *hlen, int *mrg);
/* Put @p m into the guest's buffers. @return 1 taken (sent, or dropped
 * and counted), 0 the burst stops here (m not taken). *first_slot: the
 * inflight entry of the packet's first chain, UINT32_MAX when dropped. */
int vhost_enqueue_one(struct vhost_vq *vq, struct keel_mbuf *m, uint32_t hlen,
		      int mrg, uint32_t *first_slot);

/* the gratuitous RARP a front-end asked for (SEND_RARP), once; NULL when
 * none is pending (or no mbuf) */
struct keel_mbuf *vhost_dequeue_rarp(struct vhost_dev *dev,
				     struct keel_mempool *mp);
/* start a transmit burst: @return the header length */
uint32_t vhost_dequeue_begin(struct vhost_vq *vq);
/* mbufs a burst allocated in bulk ahead of the chains: m[next, n) */
/* mbufs taken from the pool in bulk as a burst's chains need them: m[next
 * .. n) are left; up to `want` more may be taken, VHOST_STASH_CHUNK at a
 * time (a stash with want 0 and n 0 is the pool one by one) */
#define VHOST_STASH_CHUNK 8
struct vhost_mbuf_stash {
	struct keel_mbuf *m[VHOST_STASH_CHUNK];
	uint32_t n, next, want;
};

/* Take one chain from the guest into a new mbuf (*pkt: the first from
 * @p st when given and not used up, else from @p mp), its header read
 * once into @p hdr. With the CPU engine the bytes are copied at once.
 * @return 1 a packet (its inflight entry *first_slot), 0 a chain consumed
 * without a packet (returned empty, counted), -1 the burst stops here
 * (nothing available, paused, no mbuf, no room). */
int vhost_dequeue_one(struct vhost_vq *vq, struct keel_mempool *mp,
		      struct vhost_mbuf_stash *st, uint32_t hlen,
		      struct virtio_net_hdr *hdr, struct keel_mbuf **pkt,
		      uint32_t *first_slot);

#endif /* KEEL_VHOST_BURST_H */
