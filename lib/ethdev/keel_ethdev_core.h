/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_ETHDEV_CORE_H
#define KEEL_ETHDEV_CORE_H

/**
 * @file
 * The ethdev fast path: keel_eth_rx_burst(), keel_eth_tx_burst(),
 * keel_eth_tx_prepare(), inline over a flat table with one entry per
 * (port, queue). Included by keel_ethdev.h; not for direct use.
 *
 * Table entry states (written only by the control path of that port):
 *   - zero (never configured): the burst function is NULL; the inline
 *     wrappers log the bad id and return 0;
 *   - configured but the port or queue is stopped: a library function that
 *     returns 0 and touches nothing;
 *   - started: the driver's burst function and queue.
 * The control path stores an entry's data before its function (release)
 * and the fast path loads the function first (acquire), so a poller sees
 * a matching pair. The table is static, so an entry's address never
 * changes, and polling one port never reads another port's entries.
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @cond internal */

/** Driver Rx burst: fill up to @p nb_pkts mbufs, return how many. */
typedef uint16_t (*keel_eth_rx_burst_t)(void *rxq, struct keel_mbuf **rx_pkts,
					uint16_t nb_pkts);
/** Driver Tx burst: take up to @p nb_pkts mbufs, return how many. */
typedef uint16_t (*keel_eth_tx_burst_t)(void *txq, struct keel_mbuf **tx_pkts,
					uint16_t nb_pkts);
/** Driver Tx prepare: return how many leading packets are valid. */
typedef uint16_t (*keel_eth_tx_prep_t)(void *txq, struct keel_mbuf **tx_pkts,
				       uint16_t nb_pkts);

/** Fast-path entry of one Rx queue (32 bytes, two a cache line). */
struct keel_eth_fp_rxq {
	keel_eth_rx_burst_t rx_pkt_burst;     /* NULL: no such queue */
	void *data;                           /* the driver's queue */
	struct keel_eth_rxtx_callback *cbs;   /* Rx callbacks, NULL: none */
	uintptr_t reserved;
};

/** Fast-path entry of one Tx queue. */
struct keel_eth_fp_txq {
	keel_eth_tx_burst_t tx_pkt_burst;     /* NULL: no such queue */
	keel_eth_tx_prep_t tx_pkt_prepare;    /* NULL: nothing to check */
	void *data;                           /* the driver's queue */
	struct keel_eth_rxtx_callback *cbs;   /* Tx callbacks, NULL: none */
};

extern struct keel_eth_fp_rxq
	keel_eth_fp_rxq[KEEL_MAX_ETHPORTS][KEEL_MAX_QUEUES_PER_PORT];
extern struct keel_eth_fp_txq
	keel_eth_fp_txq[KEEL_MAX_ETHPORTS][KEEL_MAX_QUEUES_PER_PORT];

/* Log a burst on a port or queue that does not exist; returns 0. */
uint16_t keel_eth_fp_bad_queue(uint16_t port_id, uint16_t queue_id,
			       const char *dir);

/* Run a queue's callback list (out of line: rarely used). */
uint16_t keel_eth_run_rx_callbacks(uint16_t port_id, uint16_t queue_id,
				   struct keel_mbuf **rx_pkts, uint16_t nb_rx,
				   uint16_t nb_pkts,
				   const struct keel_eth_fp_rxq *q);
uint16_t keel_eth_run_tx_callbacks(uint16_t port_id, uint16_t queue_id,
				   struct keel_mbuf **tx_pkts, uint16_t nb_pkts,
				   const struct keel_eth_fp_txq *q);

/** @endcond */

/**
 * Receive up to @p nb_pkts packets from Rx queue @p queue_id of a port.
 *
 * The mbufs written to @p rx_pkts belong to the caller. A port that is not
 * started, or a stopped queue, returns 0 (no log: polling a stopped port is
 * allowed). A queue that was never configured or a port id out of range
 * returns 0 and logs the bad id. No lock; one queue is polled by one
 * thread at a time.
 *
 * @return the number of packets received (0..nb_pkts)
 */
static inline uint16_t
keel_eth_rx_burst(uint16_t port_id, uint16_t queue_id,
		  struct keel_mbuf **rx_pkts, const uint16_t nb_pkts)
{
	const struct keel_eth_fp_rxq *q;
	keel_eth_rx_burst_t fn;
	uint16_t nb_rx;

	if (__builtin_expect(port_id >= KEEL_MAX_ETHPORTS ||
			     queue_id >= KEEL_MAX_QUEUES_PER_PORT, 0))
		return keel_eth_fp_bad_queue(port_id, queue_id, "rx");
	q = &keel_eth_fp_rxq[port_id][queue_id];
	fn = __atomic_load_n(&q->rx_pkt_burst, __ATOMIC_ACQUIRE);
	if (__builtin_expect(fn == NULL, 0))
		return keel_eth_fp_bad_queue(port_id, queue_id, "rx");
	nb_rx = fn(q->data, rx_pkts, nb_pkts);
	if (__builtin_expect(__atomic_load_n(&q->cbs, __ATOMIC_RELAXED) !=
			     NULL, 0))
		nb_rx = keel_eth_run_rx_callbacks(port_id, queue_id, rx_pkts,
						  nb_rx, nb_pkts, q);
	return nb_rx;
}

/**
 * Send up to @p nb_pkts packets on Tx queue @p queue_id of a port.
 *
 * The driver takes the first n packets it returns (it frees them when
 * sent); the caller keeps the rest (usually frees or retries them). A port
 * that is not started, or a stopped queue, takes 0 packets (no log). A bad
 * queue or port id takes 0 and logs. Tx callbacks run first.
 *
 * @return the number of packets taken (0..nb_pkts)
 */
static inline uint16_t
keel_eth_tx_burst(uint16_t port_id, uint16_t queue_id,
		  struct keel_mbuf **tx_pkts, uint16_t nb_pkts)
{
	const struct keel_eth_fp_txq *q;
	keel_eth_tx_burst_t fn;

	if (__builtin_expect(port_id >= KEEL_MAX_ETHPORTS ||
			     queue_id >= KEEL_MAX_QUEUES_PER_PORT, 0))
		return keel_eth_fp_bad_queue(port_id, queue_id, "tx");
	q = &keel_eth_fp_txq[port_id][queue_id];
	fn = __atomic_load_n(&q->tx_pkt_burst, __ATOMIC_ACQUIRE);
	if (__builtin_expect(fn == NULL, 0))
		return keel_eth_fp_bad_queue(port_id, queue_id, "tx");
	if (__builtin_expect(__atomic_load_n(&q->cbs, __ATOMIC_RELAXED) !=
			     NULL, 0))
		nb_pkts = keel_eth_run_tx_callbacks(port_id, queue_id, tx_pkts,
						    nb_pkts, q);
	return fn(q->data, tx_pkts, nb_pkts);
}

/**
 * Check packets for the Tx offloads they ask for (checksum, TSO fields)
 * before keel_eth_tx_burst(), as DPDK's rte_eth_tx_prepare().
 *
 * @return the number of leading packets that are fine to send; when less
 *         than @p nb_pkts, errno tells why packet [return] is not (EINVAL
 *         bad fields, ENOTSUP an offload the queue lacks). Ports without
 *         checks return @p nb_pkts. A bad queue or port id returns 0 and
 *         logs.
 */
static inline uint16_t
keel_eth_tx_prepare(uint16_t port_id, uint16_t queue_id,
		    struct keel_mbuf **tx_pkts, uint16_t nb_pkts)
{
	const struct keel_eth_fp_txq *q;

	if (__builtin_expect(port_id >= KEEL_MAX_ETHPORTS ||
			     queue_id >= KEEL_MAX_QUEUES_PER_PORT, 0))
		return keel_eth_fp_bad_queue(port_id, queue_id, "tx prepare");
	q = &keel_eth_fp_txq[port_id][queue_id];
	if (__builtin_expect(q->tx_pkt_burst == NULL, 0))
		return keel_eth_fp_bad_queue(port_id, queue_id, "tx prepare");
	if (q->tx_pkt_prepare == NULL)
		return nb_pkts;
	return q->tx_pkt_prepare(q->data, tx_pkts, nb_pkts);
}

#ifdef __cplusplus
}
#endif
#endif /* KEEL_ETHDEV_CORE_H */
