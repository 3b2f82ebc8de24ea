/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VU_INTERNAL_H
#define KEEL_VU_INTERNAL_H

/*
 * net_virtio_user internals: a virtio-net driver in this process whose
 * device is a vhost-user back-end reached through a unix socket. The
 * process's EAL memory plays the guest's memory (one region per memory
 * segment list, shared by fd; addresses are the process's own), so mbufs
 * are given to the back-end as they are.
 *
 *  vu_proto.c   the vhost-user front-end protocol (negotiation, memory
 *               table, vrings, stop)
 *  vu_ring.c    the driver side of split and packed rings
 *  vu_ethdev.c  the port: probe, ops, the connection thread, bursts
 *
 * Locking: a queue is driven by one polling thread; the connection thread
 * changes a queue only after clearing `ready` and waiting for `busy` to
 * drop (see vu_ethdev.c).
 */

#include <stdint.h>

#include "keel_memzone.h"

/* wire layouts: the same public specs as lib/vhost (virtio 1.2 2.7, 2.8,
 * 5.1.6; vhost-user "Message Specification") */
#define VU_VERSION 1u
#define VU_REPLY (1u << 2)
#define VU_NEED_REPLY (1u << 3)
#define VU_HDR_SIZE 12u

#define VU_GET_FEATURES 1
#define VU_SET_FEATURES 2
#define VU_SET_OWNER 3
#define VU_SET_MEM_TABLE 5
#define VU_SET_VRING_NUM 8
#define VU_SET_VRING_ADDR 9
#define VU_SET_VRING_BASE 10
#define VU_GET_VRING_BASE 11
#define VU_SET_VRING_KICK 12
#define VU_SET_VRING_CALL 13
#define VU_GET_PROTOCOL_FEATURES 15
#define VU_SET_PROTOCOL_FEATURES 16
#define VU_GET_QUEUE_NUM 17
#define VU_SET_VRING_ENABLE 18
#define VU_SET_STATUS 39

#define VU_PF_MQ 0
#define VU_PF_REPLY_ACK 3
#define VU_PF_STATUS 16

#define VU_F_MRG_RXBUF 15
#define VU_F_MQ 22
#define VU_F_PROTOCOL_FEATURES 30
#define VU_F_VERSION_1 32
#define VU_F_RING_PACKED 34
#define VU_F_IN_ORDER 35

#define VU_DESC_F_NEXT 1u
#define VU_DESC_F_WRITE 2u
#define VU_AVAIL_F_NO_INTERRUPT 1u
#define VU_USED_F_NO_NOTIFY 1u
#define VU_PDESC_F_AVAIL (1u << 7)
#define VU_PDESC_F_USED (1u << 15)
#define VU_EVENT_F_DISABLE 1u
#define VU_PDESC_PER_LINE 4u  /* packed descriptors in a 64-byte line */

#define VU_NET_HDR_LEN 12u    /* VERSION_1 / MRG_RXBUF header */
#define VU_MAX_MEM_REGIONS 8u

struct keel_mbuf;
struct keel_mempool;
struct vu_dev;

struct vu_desc {          /* split and packed descriptors: 16 bytes */
	uint64_t addr;
	uint32_t len;
	uint16_t a;           /* split: flags; packed: id */
	uint16_t b;           /* split: next; packed: flags */
};

struct vu_slot {
	struct keel_mbuf *m;  /* Tx: the packet; Rx: the buffer */
	uint16_t ndesc;       /* descriptors the buffer took */
	uint16_t next;        /* free list (split: descriptors, packed: ids) */
};

struct vu_queue {
	/* fast path */
	uint32_t ready;       /* the back-end runs this vring */
	uint32_t busy;        /* a burst is in it */
	struct vu_desc *desc;
	uint16_t *avail;      /* split: flags, idx, ring[]; packed: driver area */
	uint16_t *used;       /* split: flags, idx, ring[]; packed: device area */
	uint16_t size;
	uint8_t packed;
	uint8_t mrg;          /* Rx: mergeable buffers */
	uint8_t in_order;     /* packed with IN_ORDER: a buffer's id is its
			       * head slot; one used entry may stand for the
			       * buffers before it (virtio 1.2, 2.8.9) */
	uint16_t avail_idx;   /* split: next to publish; packed: next slot */
	uint16_t used_idx;    /* split: next to read; packed: next slot */
	uint16_t used_shadow; /* split: the device's used idx as last read */
	uint8_t avail_wrap, used_wrap;
	uint16_t free_head;   /* split: free descriptors; packed: free ids */
	uint16_t nfree;       /* split: free descriptors; packed: slots */
	uint16_t nfree_ids;   /* packed: free ids */
	uint16_t pending;     /* published, not yet kicked */
	struct vu_slot *slots;
	uint8_t *hdrs;        /* Tx: one header per descriptor / id */
	struct keel_mempool *mp;
	int kickfd, callfd;
	uint16_t vring;       /* virtqueue index */
	uint16_t port_id;
	uint64_t packets, bytes, errors, nombuf;
	const struct keel_memzone *mz;
	struct vu_dev *dev;
};

/* vu_ring.c */
int vu_ring_alloc(struct vu_queue *q, const char *name, uint16_t size,
		  int socket_id);
void vu_ring_free(struct vu_queue *q);
/* zero the ring for a (re)start (Tx packets in flight are freed) */
void vu_ring_reset(struct vu_queue *q, int packed, int mrg, int in_order);
/* Rx: post free mbufs as buffers; @return buffers posted */
uint16_t vu_rx_refill(struct vu_queue *q);
uint16_t vu_rx_burst(struct vu_queue *q, struct keel_mbuf **pkts, uint16_t n);
uint16_t vu_tx_burst(struct vu_queue *q, struct keel_mbuf **pkts, uint16_t n);
/* the vring's addresses for SET_VRING_ADDR */
void vu_ring_addrs(const struct vu_queue *q, uint64_t *desc, uint64_t *avail,
		   uint64_t *used);

/* vu_proto.c */
struct vu_dev {
	char path[108];
	int server;
	uint16_t nq;              /* queue pairs */
	uint16_t ring_size;
	int want_packed, want_mrg, want_in_order;
	int mem_allocated;        /* mem_regions=allocated (vu_proto.c) */
	int listenfd;
	int fd;                   /* the connection, -1 */
	uint64_t features;        /* negotiated */
	uint64_t protocol;
	struct vu_queue *rxq[128], *txq[128];
};

/* negotiate and start every vring over dev->fd; 0 or -errno (logged) */
int vu_proto_setup(struct vu_dev *d);
/* a unix stream connection to / a listening socket at d->path */
int vu_proto_connect(struct vu_dev *d);
int vu_proto_listen(struct vu_dev *d);

extern int vu_logtype;

#endif /* KEEL_VU_INTERNAL_H */
