/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VHOST_ETH_ASYNC_H
#define KEEL_VHOST_ETH_ASYNC_H

/*
 * net_vhost's async queues: the dmas= device argument and the bursts on
 * keel_vhost_async.h. A queue named in dmas= copies through a vchan of its
 * dmadev while a front-end is attached; the others stay synchronous.
 * Locking: parse at probe; attach/detach on the vhost dispatcher thread
 * (new_device / destroy_device, after the port's bursts are quiesced);
 * the bursts on their queue's lcore.
 */
#include <stdint.h>

#include "keel_vhost.h"

#define VH_DMA_NAME_MAX 64

struct vh_dmas {
	/* per vring (2q: guest receive = port Tx, 2q+1: port Rx): dmadev
	 * name, "" = synchronous */
	char name[2 * KEEL_VHOST_MAX_QUEUE_PAIRS][VH_DMA_NAME_MAX];
	uint32_t threshold;     /* copies below go by CPU */
	uint8_t any;
	uint8_t on[2 * KEEL_VHOST_MAX_QUEUE_PAIRS]; /* registered now */
};

/* dmas=[txq0@NAME;rxq0@NAME;...]: @return 0 or -EINVAL (logged) */
int vh_dmas_parse(const char *port, const char *spec, uint16_t nq,
		  struct vh_dmas *d);
/* register the named queues of @p vid (configuring and starting a dmadev
 * that is not started: one vchan); @return 0 or -errno (logged) */
int vh_dmas_attach(const char *port, int vid, struct vh_dmas *d,
		   uint16_t nq);
/* wait for the copies in flight, free what is owed, unregister */
void vh_dmas_detach(int vid, struct vh_dmas *d, uint16_t nq);

/* the port's bursts on an async vring: Tx submits, then frees what
 * completed (failed ones are in the vring's async_failed xstat);
 * @return packets taken */
uint16_t vh_async_tx(int vid, uint16_t vring, struct keel_mbuf **pkts,
		     uint16_t n);
/* free the Tx packets whose copies completed (from either lcore: the
 * library's queue lock is tried, never waited for) */
void vh_async_tx_done(int vid, uint16_t vring);
uint16_t vh_async_rx(int vid, uint16_t vring, struct keel_mempool *mp,
		     struct keel_mbuf **pkts, uint16_t n);

#endif /* KEEL_VHOST_ETH_ASYNC_H */
