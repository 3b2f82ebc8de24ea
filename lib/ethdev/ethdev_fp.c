/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fast-path table (keel_ethdev_core.h) and Rx/Tx callbacks.
 *
 * Invariant: an entry's burst function is NULL for queues a port does not
 * have, stopped_rx/stopped_tx for queues of a port (or queue) that is not
 * started, and the driver's for started queues; the data pointer is the
 * driver's queue whenever the function is the driver's. Callback lists are
 * singly linked, published with release stores; a removed callback is
 * unlinked at once and freed at the next stop or release of its port (no
 * lcore may poll a port then), so a poller walking the list never reads
 * freed memory.
 *
 * Lock: every write happens with the library lock held; the fast path
 * reads without locks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ethdev_private.h"

struct keel_eth_fp_rxq keel_eth_fp_rxq[KEEL_MAX_ETHPORTS][KEEL_MAX_QUEUES_PER_PORT]
	__attribute__((aligned(64)));
struct keel_eth_fp_txq keel_eth_fp_txq[KEEL_MAX_ETHPORTS][KEEL_MAX_QUEUES_PER_PORT]
	__attribute__((aligned(64)));

struct keel_eth_rxtx_callback {
	struct keel_eth_rxtx_callback *next;
	union {
		keel_rx_callback_fn rx;
		keel_tx_callback_fn tx;
	} fn;
	void *param;
	struct keel_eth_rxtx_callback *retired_next;
};

/* the port or queue exists but is not started: nothing in, nothing out */
static uint16_t
stopped_rx(void *q, struct keel_mbuf **pkts, uint16_t n)
{
	(void)q; (void)pkts; (void)n;
	return 0;
}

static uint16_t
stopped_tx(void *q, struct keel_mbuf **pkts, uint16_t n)
{
	(void)q; (void)pkts; (void)n;
	return 0;
}

uint16_t
keel_eth_fp_bad_queue(uint16_t port_id, uint16_t queue_id, const char *dir)
{
	KEEL_LOG(ERR, keel_logtype_ethdev,
		 "%s burst: port %u has no %s queue %u (port not configured, or queue id >= the configured count)",
		 dir, port_id, dir, queue_id);
	errno = EINVAL;
	return 0;
}

uint16_t
keel_eth_run_rx_callbacks(uint16_t port_id, uint16_t queue_id,
			  struct keel_mbuf **rx_pkts, uint16_t nb_rx,
			  uint16_t nb_pkts, const struct keel_eth_fp_rxq *q)
{
	const struct keel_eth_rxtx_callback *cb =
		__atomic_load_n(&q->cbs, __ATOMIC_ACQUIRE);

	for (; cb != NULL; cb = __atomic_load_n(&cb->next, __ATOMIC_ACQUIRE))
		nb_rx = cb->fn.rx(port_id, queue_id, rx_pkts, nb_rx, nb_pkts,
				  cb->param);
	return nb_rx;
}

uint16_t
keel_eth_run_tx_callbacks(uint16_t port_id, uint16_t queue_id,
			  struct keel_mbuf **tx_pkts, uint16_t nb_pkts,
			  const struct keel_eth_fp_txq *q)
{
	const struct keel_eth_rxtx_callback *cb =
		__atomic_load_n(&q->cbs, __ATOMIC_ACQUIRE);

	for (; cb != NULL; cb = __atomic_load_n(&cb->next, __ATOMIC_ACQUIRE))
		nb_pkts = cb->fn.tx(port_id, queue_id, tx_pkts, nb_pkts,
				    cb->param);
	return nb_pkts;
}

static struct keel_eth_rxtx_callback **
cb_head(uint16_t port, uint16_t q, bool rx)
{
	return rx ? &keel_eth_fp_rxq[port][q].cbs : &keel_eth_fp_txq[port][q].cbs;
}

static void
free_list(struct keel_eth_rxtx_callback *cb)
{
	while (cb != NULL) {
		struct keel_eth_rxtx_callback *n = cb->next;

		free(cb);
		cb = n;
	}
}

/* zero entries [from, KEEL_MAX_QUEUES_PER_PORT), freeing their callbacks */
static void
clear_from(struct eth_port *p, uint16_t from_rx, uint16_t from_tx)
{
	uint16_t id = p->dev.port_id;

	for (uint16_t q = from_rx; q < KEEL_MAX_QUEUES_PER_PORT; q++) {
		struct keel_eth_fp_rxq *e = &keel_eth_fp_rxq[id][q];

		if (e->rx_pkt_burst == NULL && e->cbs == NULL)
			continue;
		__atomic_store_n(&e->rx_pkt_burst, NULL, __ATOMIC_RELEASE);
		free_list(e->cbs);
		memset(e, 0, sizeof(*e));
	}
	for (uint16_t q = from_tx; q < KEEL_MAX_QUEUES_PER_PORT; q++) {
		struct keel_eth_fp_txq *e = &keel_eth_fp_txq[id][q];

		if (e->tx_pkt_burst == NULL && e->cbs == NULL)
			continue;
		__atomic_store_n(&e->tx_pkt_burst, NULL, __ATOMIC_RELEASE);
		free_list(e->cbs);
		memset(e, 0, sizeof(*e));
	}
}

void
eth_fp_configure(struct eth_port *p)
{
	uint16_t id = p->dev.port_id;

	eth_fp_free_retired(p);
	clear_from(p, p->dev.data.nb_rx_queues, p->dev.data.nb_tx_queues);
	for (uint16_t q = 0; q < p->dev.data.nb_rx_queues; q++) {
		keel_eth_fp_rxq[id][q].data = NULL;
		__atomic_store_n(&keel_eth_fp_rxq[id][q].rx_pkt_burst,
				 stopped_rx, __ATOMIC_RELEASE);
	}
	for (uint16_t q = 0; q < p->dev.data.nb_tx_queues; q++) {
		keel_eth_fp_txq[id][q].data = NULL;
		keel_eth_fp_txq[id][q].tx_pkt_prepare = NULL;
		__atomic_store_n(&keel_eth_fp_txq[id][q].tx_pkt_burst,
				 stopped_tx, __ATOMIC_RELEASE);
	}
}

void
eth_fp_clear(struct eth_port *p)
{
	eth_fp_free_retired(p);
	clear_from(p, 0, 0);
}

void
eth_fp_start_queue(struct eth_port *p, bool rx, uint16_t q)
{
	uint16_t id = p->dev.port_id;

	if (rx) {
		struct keel_eth_fp_rxq *e = &keel_eth_fp_rxq[id][q];

		e->data = p->dev.data.rx_queues[q];
		__atomic_store_n(&e->rx_pkt_burst, p->dev.rx_pkt_burst,
				 __ATOMIC_RELEASE);
		p->rxq[q].state = KEEL_ETH_QUEUE_STATE_STARTED;
	} else {
		struct keel_eth_fp_txq *e = &keel_eth_fp_txq[id][q];

		e->data = p->dev.data.tx_queues[q];
		e->tx_pkt_prepare = p->dev.tx_pkt_prepare;
		__atomic_store_n(&e->tx_pkt_burst, p->dev.tx_pkt_burst,
				 __ATOMIC_RELEASE);
		p->txq[q].state = KEEL_ETH_QUEUE_STATE_STARTED;
	}
}

void
eth_fp_stop_queue(struct eth_port *p, bool rx, uint16_t q)
{
	uint16_t id = p->dev.port_id;

	if (rx) {
		__atomic_store_n(&keel_eth_fp_rxq[id][q].rx_pkt_burst,
				 stopped_rx, __ATOMIC_RELEASE);
		p->rxq[q].state = KEEL_ETH_QUEUE_STATE_STOPPED;
	} else {
		__atomic_store_n(&keel_eth_fp_txq[id][q].tx_pkt_burst,
				 stopped_tx, __ATOMIC_RELEASE);
		keel_eth_fp_txq[id][q].tx_pkt_prepare = NULL;
		p->txq[q].state = KEEL_ETH_QUEUE_STATE_STOPPED;
	}
}

void
eth_fp_free_retired(struct eth_port *p)
{
	while (p->retired != NULL) {
		struct keel_eth_rxtx_callback *n = p->retired->retired_next;

		free(p->retired);
		p->retired = n;
	}
}

/* ------------------------------------------------------------ callbacks */

static const struct keel_eth_rxtx_callback *
add_cb(uint16_t port_id, uint16_t q, bool rx, bool first, void *fn,
       void *param)
{
	const char *what = rx ? "add Rx callback" : "add Tx callback";
	struct keel_eth_rxtx_callback *cb, **pp;
	struct eth_port *p;
	uint16_t nq;

	if (fn == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev, "%s port %u: NULL function",
			 what, port_id);
		errno = EINVAL;
		return NULL;
	}
	p = eth_port_get_for_change(port_id, what);
	if (p == NULL) {
		errno = EINVAL;
		return NULL;
	}
	nq = rx ? p->dev.data.nb_rx_queues : p->dev.data.nb_tx_queues;
	if (q >= nq) {
		eth_lock_drop();
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "%s port %u: queue %u >= %u configured", what, port_id,
			 q, nq);
		errno = EINVAL;
		return NULL;
	}
	cb = calloc(1, sizeof(*cb));
	if (cb == NULL) {
		eth_lock_drop();
		errno = ENOMEM;
		return NULL;
	}
	if (rx)
		cb->fn.rx = (keel_rx_callback_fn)fn;
	else
		cb->fn.tx = (keel_tx_callback_fn)fn;
	cb->param = param;
	pp = cb_head(port_id, q, rx);
	if (!first)
		while (*pp != NULL)
			pp = &(*pp)->next;
	cb->next = *pp;
	__atomic_store_n(pp, cb, __ATOMIC_RELEASE);
	eth_lock_drop();
	return cb;
}

const struct keel_eth_rxtx_callback *
keel_eth_add_rx_callback(uint16_t port_id, uint16_t queue_id,
			 keel_rx_callback_fn fn, void *user_param)
{
	return add_cb(port_id, queue_id, true, false, (void *)fn, user_param);
}

const struct keel_eth_rxtx_callback *
keel_eth_add_first_rx_callback(uint16_t port_id, uint16_t queue_id,
			       keel_rx_callback_fn fn, void *user_param)
{
	return add_cb(port_id, queue_id, true, true, (void *)fn, user_param);
}

const struct keel_eth_rxtx_callback *
keel_eth_add_tx_callback(uint16_t port_id, uint16_t queue_id,
			 keel_tx_callback_fn fn, void *user_param)
{
	return add_cb(port_id, queue_id, false, false, (void *)fn, user_param);
}

static int
remove_cb(uint16_t port_id, uint16_t q, bool rx,
	  const struct keel_eth_rxtx_callback *user_cb)
{
	const char *what = rx ? "remove Rx callback" : "remove Tx callback";
	struct keel_eth_rxtx_callback **pp, *cb;
	struct eth_port *p;
	uint16_t nq;

	if (user_cb == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev, "%s port %u: NULL callback",
			 what, port_id);
		return eth_fail(EINVAL);
	}
	p = eth_port_get_locked(port_id, what);
	if (p == NULL)
		return eth_fail(EINVAL);
	nq = rx ? p->dev.data.nb_rx_queues : p->dev.data.nb_tx_queues;
	if (q >= nq) {
		eth_lock_drop();
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "%s port %u: queue %u >= %u configured", what, port_id,
			 q, nq);
		return eth_fail(EINVAL);
	}
	for (pp = cb_head(port_id, q, rx); *pp != NULL; pp = &(*pp)->next) {
		if (*pp != user_cb)
			continue;
		cb = *pp;
		/* a poller on cb keeps walking through cb->next */
		__atomic_store_n(pp, cb->next, __ATOMIC_RELEASE);
		cb->retired_next = p->retired;
		p->retired = cb;
		eth_lock_drop();
		return 0;
	}
	eth_lock_drop();
	KEEL_LOG(ERR, keel_logtype_ethdev,
		 "%s port %u: not a callback of queue %u", what, port_id, q);
	return eth_fail(ENOENT);
}

int
keel_eth_remove_rx_callback(uint16_t port_id, uint16_t queue_id,
			    const struct keel_eth_rxtx_callback *user_cb)
{
	return remove_cb(port_id, queue_id, true, user_cb);
}

int
keel_eth_remove_tx_callback(uint16_t port_id, uint16_t queue_id,
			    const struct keel_eth_rxtx_callback *user_cb)
{
	return remove_cb(port_id, queue_id, false, user_cb);
}
