/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_ETHDEV_DRIVER_H
#define KEEL_ETHDEV_DRIVER_H

/**
 * @file
 * Driver side of the ethdev library.
 *
 * A driver creates a port in three steps:
 *
 *     dev = keel_eth_dev_allocate(name, numa_node, sizeof(struct my_priv));
 *     dev->dev_ops = &my_ops;            fast path, MAC, flags, device name
 *     dev->rx_pkt_burst = my_rx; dev->tx_pkt_burst = my_tx;
 *     keel_eth_dev_probing_finish(dev);  the port becomes visible: NEW
 *
 * and gives it back with keel_eth_dev_release_port() when probing fails
 * before probing_finish. A visible port is closed by the application
 * (keel_eth_dev_close()) or, when its device goes away, by the driver's bus
 * remove through keel_eth_dev_destroy(); both stop the port, signal
 * DESTROY, release its queues, call the dev_close op and free the port.
 *
 * The library validates every argument against dev_infos_get() and tracks
 * state before it calls an op, so ops only see valid requests in the right
 * state: dev_configure while stopped, queue setup while configured and
 * stopped, start with every queue set up, stop when started, queue
 * start/stop on a started port. Ops return 0 or a negative errno and
 * leave the device as it was on failure. Ops run with the library lock
 * held: they must not call the application-facing control path (the
 * keel_eth_dev_* helpers below are fine).
 *
 * Queues: rx_queue_setup returns the driver's queue object through @p rxq;
 * the library stores it in dev->rx_queues[] and hands it to the burst
 * function and to rx_queue_release. A queue replaced by a new setup is
 * released only after the new one was created.
 *
 * Statistics: the driver counts per queue, in its queue objects, written
 * only by the polling thread; queue_stats_get reads one queue. The library
 * sums queues and keeps the reset baselines, so drivers never reset
 * counters (no race with the polling thread). Driver xstats are counters
 * too (monotonic, baseline-reset by the library).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "keel_ethdev.h"

#ifdef __cplusplus
extern "C" {
#endif

struct keel_eth_dev;

/** Control-path ops of a driver. */
struct keel_eth_dev_ops {
	/** Mandatory. Fill limits and capabilities (the library fills the
	 *  driver and device names and the configured queue counts). */
	int (*dev_infos_get)(struct keel_eth_dev *dev,
			     struct keel_eth_dev_info *info);
	/** Mandatory. Apply dev->data.dev_conf / nb_*_queues (already
	 *  checked; the queue arrays are new and empty). On success the
	 *  queues of the previous configuration are released. */
	int (*dev_configure)(struct keel_eth_dev *dev);
	/** Mandatory. Start: every configured queue is set up. */
	int (*dev_start)(struct keel_eth_dev *dev);
	/** Mandatory. Stop (the fast path already returns 0). */
	int (*dev_stop)(struct keel_eth_dev *dev);
	/** Mandatory. Free the driver's resources (queues already released). */
	int (*dev_close)(struct keel_eth_dev *dev);
	/** Optional: return the device to its just-probed state. */
	int (*dev_reset)(struct keel_eth_dev *dev);

	/** Create Rx queue @p queue_id (nb_desc and offloads checked). */
	int (*rx_queue_setup)(struct keel_eth_dev *dev, uint16_t queue_id,
			      uint16_t nb_desc, int socket_id,
			      const struct keel_eth_rxconf *conf,
			      struct keel_mempool *mp, void **rxq);
	/** Create Tx queue @p queue_id. */
	int (*tx_queue_setup)(struct keel_eth_dev *dev, uint16_t queue_id,
			      uint16_t nb_desc, int socket_id,
			      const struct keel_eth_txconf *conf, void **txq);
	/** Free a queue object (the port is stopped or the queue replaced). */
	void (*rx_queue_release)(struct keel_eth_dev *dev, void *rxq);
	/** Free a Tx queue object. */
	void (*tx_queue_release)(struct keel_eth_dev *dev, void *txq);
	/** Optional: hardware side of Rx queue start. */
	int (*rx_queue_start)(struct keel_eth_dev *dev, uint16_t queue_id);
	/** Optional: hardware side of Rx queue stop. */
	int (*rx_queue_stop)(struct keel_eth_dev *dev, uint16_t queue_id);
	/** Optional: hardware side of Tx queue start. */
	int (*tx_queue_start)(struct keel_eth_dev *dev, uint16_t queue_id);
	/** Optional: hardware side of Tx queue stop. */
	int (*tx_queue_stop)(struct keel_eth_dev *dev, uint16_t queue_id);

	/** Mandatory. Raw counters of one queue object. */
	int (*queue_stats_get)(struct keel_eth_dev *dev, const void *queue,
			       bool is_rx, struct keel_eth_queue_stats *st);
	/** Optional: driver xstats names; returns how many (writes them
	 *  when @p n is large enough). */
	int (*xstats_get_names)(struct keel_eth_dev *dev,
				struct keel_eth_xstat_name *names,
				unsigned int n);
	/** Optional: raw driver xstats values, same order; returns count. */
	int (*xstats_get)(struct keel_eth_dev *dev, uint64_t *values,
			  unsigned int n);

	/** Optional: refresh dev link with keel_eth_dev_link_set(). Without
	 *  it the link is what the driver last set. */
	int (*link_update)(struct keel_eth_dev *dev, int wait_to_complete);
	/** Optional: bring the link up. */
	int (*dev_set_link_up)(struct keel_eth_dev *dev);
	/** Optional: bring the link down. */
	int (*dev_set_link_down)(struct keel_eth_dev *dev);

	/** Optional (absent: -ENOTSUP): receive every unicast frame. */
	int (*promiscuous_enable)(struct keel_eth_dev *dev);
	/** Optional (absent: -ENOTSUP): unicast to our addresses only. */
	int (*promiscuous_disable)(struct keel_eth_dev *dev);
	/** Optional (absent: -ENOTSUP): receive every multicast frame. */
	int (*allmulticast_enable)(struct keel_eth_dev *dev);
	/** Optional (absent: -ENOTSUP): joined multicast groups only. */
	int (*allmulticast_disable)(struct keel_eth_dev *dev);
	/** Optional (absent: -ENOTSUP). Default MAC address. */
	int (*mac_addr_set)(struct keel_eth_dev *dev,
			    const struct keel_ether_addr *addr);
	/** Optional (absent: -ENOTSUP). Extra MAC at table index @p index. */
	int (*mac_addr_add)(struct keel_eth_dev *dev,
			    const struct keel_ether_addr *addr,
			    uint32_t index);
	/** Optional: forget the extra MAC at table index @p index. */
	void (*mac_addr_remove)(struct keel_eth_dev *dev, uint32_t index);
	/** Optional (absent: -ENOTSUP). MTU (range checked). */
	int (*mtu_set)(struct keel_eth_dev *dev, uint16_t mtu);
	/** Optional (absent: -ENOTSUP). RSS (checked against the info). */
	int (*rss_hash_update)(struct keel_eth_dev *dev,
			       const struct keel_eth_rss_conf *conf);
	/** Optional (absent: -ENOTSUP): the RSS functions and key now. */
	int (*rss_hash_conf_get)(struct keel_eth_dev *dev,
				 struct keel_eth_rss_conf *conf);
	/** Optional: print driver state for keel_eth_dev_dump(). */
	int (*dev_dump)(struct keel_eth_dev *dev, FILE *f);
};

/** Configuration and state the library keeps for a port (driver: read). */
struct keel_eth_dev_data {
	struct keel_eth_conf dev_conf;  /**< accepted configuration */
	uint16_t nb_rx_queues;          /**< configured Rx queues */
	uint16_t nb_tx_queues;          /**< configured Tx queues */
	void **rx_queues;               /**< driver queue objects (NULL: not set up) */
	void **tx_queues;               /**< driver queue objects */
	uint16_t mtu;                   /**< current MTU */
	uint8_t promiscuous;            /**< promiscuous on */
	uint8_t all_multicast;          /**< all-multicast on */
	uint8_t dev_started;            /**< started */
	uint8_t rss_key[KEEL_ETH_RSS_KEY_MAX]; /**< RSS key given to configure */
};

/** A port as its driver sees it. */
struct keel_eth_dev {
	char name[KEEL_ETH_NAME_MAX_LEN]; /**< unique port name */
	uint16_t port_id;                 /**< index in the port table */
	int numa_node;                    /**< -1 unknown */
	const char *driver_name;          /**< "net_null" (static string) */
	/** Bus device this port belongs to ("net_null0"), "" for ports made
	 *  by API; keel_eth_dev_detach() removes it from its bus. */
	char device_name[KEEL_ETH_NAME_MAX_LEN];
	uint32_t dev_flags;               /**< KEEL_ETH_DEV_INTR_* */
	const struct keel_eth_dev_ops *dev_ops; /**< set before probing_finish */
	keel_eth_rx_burst_t rx_pkt_burst; /**< set before start */
	keel_eth_tx_burst_t tx_pkt_burst; /**< set before start */
	keel_eth_tx_prep_t tx_pkt_prepare; /**< NULL: no Tx checks */
	void *dev_private;                /**< driver state (zeroed) */
	/** MAC table: [0] the default (set before probing_finish; a random
	 *  local address is made when left zero). */
	struct keel_ether_addr mac_addrs[KEEL_ETH_MAX_MAC_ADDRS];
	struct keel_eth_dev_data data;    /**< library-kept state */
	struct keel_eth_link link;        /**< use keel_eth_dev_link_set() */
};

/**
 * Reserve a port called @p name (not yet visible to the application),
 * with @p priv_size zeroed bytes at dev->dev_private.
 *
 * @return the port, or NULL with errno: EINVAL (bad name or size), EEXIST
 *         (name taken), ENOSPC (all KEEL_MAX_ETHPORTS ids used), ENOMEM.
 */
struct keel_eth_dev *keel_eth_dev_allocate(const char *name, int numa_node,
					   size_t priv_size);

/**
 * Make an allocated port visible (lookup, iteration, control path) and
 * signal NEW. dev_ops must be set (and its mandatory ops).
 * @return 0 or -EINVAL (logged; the port stays allocated).
 */
int keel_eth_dev_probing_finish(struct keel_eth_dev *dev);

/**
 * Give back a port that never reached probing_finish (its private memory
 * is freed). @return 0 or -EINVAL.
 */
int keel_eth_dev_release_port(struct keel_eth_dev *dev);

/**
 * The device behind a port is going away (its bus removes it): stop,
 * close and release the port whatever its owner, signalling DESTROY. For
 * a driver's bus remove. Not from an op.
 * @return 0, -EINVAL (not a visible port), or the dev_close op's error
 *         (the port is released anyway).
 */
int keel_eth_dev_destroy(struct keel_eth_dev *dev);

/** @return the visible or allocated port called @p name, or NULL. */
struct keel_eth_dev *keel_eth_dev_get_by_name(const char *name);

/**
 * Set the link state; when it changed and the application asked for LSC
 * events (intr_conf.lsc on a port with KEEL_ETH_DEV_INTR_LSC), signal
 * INTR_LSC (from the calling thread, after the library lock is dropped).
 * Safe from any thread, with or without the library lock held by the
 * caller's op (the event is then delivered when the op returns).
 *
 * @return 1 when the state changed, 0 when not.
 */
int keel_eth_dev_link_set(struct keel_eth_dev *dev,
			  const struct keel_eth_link *link);

/**
 * Signal @p event on a port (e.g. INTR_RMV or INTR_RESET). From an op it
 * is queued and delivered when the control call returns; from a driver's
 * own thread it is delivered at once. Not from the fast path.
 */
void keel_eth_dev_event(struct keel_eth_dev *dev,
			enum keel_eth_event_type event);

/**
 * Fill @p link for a virtual port: @p up, @p speed Mbps, full duplex,
 * fixed.
 */
void keel_eth_link_virtual(struct keel_eth_link *link, bool up,
			   uint32_t speed);

/** Log component of the ethdev library. */
extern int keel_logtype_ethdev;

#ifdef __cplusplus
}
#endif
#endif /* KEEL_ETHDEV_DRIVER_H */
