/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_ETHDEV_H
#define KEEL_ETHDEV_H

/**
 * @file
 * Ethernet ports: the API every packet application links against, shaped
 * as DPDK 22.11's rte_ethdev.h (keel_ instead of rte_, same argument order,
 * 0 or a negative errno returned).
 *
 * A port is created by a driver (from --vdev at start-up, by
 * keel_eth_dev_attach() while the application runs, or by a driver's own
 * API such as keel_eth_from_rings()) and goes through these states:
 *
 *     attached --configure--> configured --start--> started
 *        ^                      ^   |                  |
 *        |                      |   +--queue setup     |
 *        +------reset-----------+------<---stop--------+
 *     close or detach (any state, the port is stopped first) releases it.
 *
 * - keel_eth_dev_configure() sets queue counts and port-wide settings; it
 *   is refused on a started port (-EBUSY) and releases every queue, so the
 *   queues are set up again after it.
 * - keel_eth_rx_queue_setup() / keel_eth_tx_queue_setup() need a configured,
 *   stopped port; keel_eth_dev_start() needs every configured queue set up.
 * - Every call checks its arguments against keel_eth_dev_info_get() first
 *   (queue ids, descriptor counts, offloads the port lacks, MTU, RSS) and
 *   returns -EINVAL (or -EBUSY / -ENOTSUP) with a log line naming the bad
 *   value; a failed call leaves the port exactly as it was.
 *
 * Fast path: keel_eth_rx_burst() / keel_eth_tx_burst() are inline, take no
 * lock, and make one indirect call (the driver's burst function, found in a
 * flat per-port, per-queue table as lib/dmadev does). Their contract:
 * - a port that is not started (or a queue stopped with
 *   keel_eth_dev_rx_queue_stop()) receives 0 packets and sends 0 packets
 *   (the caller keeps its mbufs), silently: an lcore may poll a stopped
 *   port. A queue id that was never configured, or a port id out of range,
 *   also returns 0 and logs the bad id (a programming error).
 * - one queue is driven by one thread at a time; different queues and
 *   ports may be polled concurrently from different lcores.
 * - a port must not be polled while another thread stops, reconfigures,
 *   closes or detaches it (the usual DPDK rule); polling other ports while
 *   ports come and go is safe: the table never moves and a port's entries
 *   change only under its own control calls.
 *
 * Where Keel differs from DPDK:
 * - rx_burst/tx_burst on a stopped port are defined (0 packets, no log).
 * - a failed control call changes nothing (DPDK's queue setup frees the old
 *   queue before trying the new one; Keel keeps it until the new one exists).
 * - statistics are read and reset without racing the fast path: drivers
 *   count per queue, the library sums, and a reset records a baseline
 *   instead of writing counters a polling lcore owns.
 * - a port owned with keel_eth_dev_owner_set() cannot be closed or
 *   detached by anyone but its owner (who unsets the ownership first).
 *
 * Threading: the control path is thread-safe (one library lock). Event
 * callbacks run on the thread that caused the event (a control call, or a
 * driver's control thread), never with the library lock held, so they may
 * call the control path.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "keel_ether.h"
#include "keel_ethdev_types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct keel_mbuf;
struct keel_mempool;

/**
 * @name Ports: lookup and iteration
 * @{
 */

/** @return true when @p port_id names a port (configured or not). */
bool keel_eth_dev_is_valid_port(uint16_t port_id);

/** @return the number of ports without an owner. */
uint16_t keel_eth_dev_count_avail(void);

/** @return the number of ports, owned or not. */
uint16_t keel_eth_dev_count_total(void);

/**
 * @return the first port >= @p port_id owned by @p owner_id
 *         (KEEL_ETH_DEV_NO_OWNER: without an owner), or KEEL_MAX_ETHPORTS.
 */
uint64_t keel_eth_find_next_owned_by(uint16_t port_id, uint64_t owner_id);

/** @return the first port >= @p port_id, owned or not, or KEEL_MAX_ETHPORTS. */
uint16_t keel_eth_find_next(uint16_t port_id);

/** Iterate over ports owned by @p o (uint16_t @p p). */
#define KEEL_ETH_FOREACH_DEV_OWNED_BY(p, o) \
	for ((p) = (uint16_t)keel_eth_find_next_owned_by(0, o); \
	     (p) < KEEL_MAX_ETHPORTS; \
	     (p) = (uint16_t)keel_eth_find_next_owned_by((uint16_t)((p) + 1), o))

/** Iterate over ports without an owner, as DPDK's RTE_ETH_FOREACH_DEV. */
#define KEEL_ETH_FOREACH_DEV(p) \
	KEEL_ETH_FOREACH_DEV_OWNED_BY(p, KEEL_ETH_DEV_NO_OWNER)

/** Iterate over every port, owned or not. */
#define KEEL_ETH_FOREACH_VALID_DEV(p) \
	for ((p) = keel_eth_find_next(0); (p) < KEEL_MAX_ETHPORTS; \
	     (p) = keel_eth_find_next((uint16_t)((p) + 1)))

/**
 * Port id of the port called @p name ("net_null0").
 * @return 0, -EINVAL (NULL argument), -ENODEV (no such port).
 */
int keel_eth_dev_get_port_by_name(const char *name, uint16_t *port_id);

/**
 * Name of a port, into @p name (at least KEEL_ETH_NAME_MAX_LEN bytes).
 * @return 0, -EINVAL, -ENODEV.
 */
int keel_eth_dev_get_name_by_port(uint16_t port_id, char *name);

/** @return the NUMA socket of a port (-1 unknown), or -EINVAL. */
int keel_eth_dev_socket_id(uint16_t port_id);

/** @} */

/**
 * @name Hotplug
 * @{
 */

/**
 * Create a port while the application runs, as --vdev would at start-up
 * (through keel_dev_probe()). NEW is signalled.
 *
 * @param devargs  "net_null2" or "net_null2,size=64"
 * @param port_id  set to the new port's id (may be NULL)
 * @return 0; -EINVAL (bad devargs, logged by the driver or bus), -EEXIST,
 *         -ENODEV (no driver for the name), -ENOSPC (no free port id).
 */
int keel_eth_dev_attach(const char *devargs, uint16_t *port_id);

/**
 * Stop, close and remove a port: its device goes away (bus devices are
 * removed from their bus; ports made by API are closed). DESTROY is
 * signalled before the port id is freed. Other ports may be polled by
 * other lcores meanwhile; this port must not be.
 *
 * @return 0; -ENODEV (no such port), -EBUSY (owned by another component).
 */
int keel_eth_dev_detach(uint16_t port_id);

/** @} */

/**
 * @name Configuration and state
 * @{
 */

/**
 * What a port is and can do.
 * @return 0, -ENODEV (no such port), -EINVAL (NULL @p dev_info).
 */
int keel_eth_dev_info_get(uint16_t port_id, struct keel_eth_dev_info *dev_info);

/**
 * Configure a stopped port: queue counts and port-wide settings. Every
 * queue is released: set them up again before keel_eth_dev_start().
 *
 * @param port_id      the port
 * @param nb_rx_queue  0..max_rx_queues (0 and 0: one queue each, as DPDK)
 * @param nb_tx_queue  0..max_tx_queues
 * @param eth_conf     settings (offloads within the capabilities, MTU,
 *                     RSS, events the port can signal)
 * @return 0; -ENODEV; -EBUSY (started); -EINVAL (bad value, logged);
 *         -ENOTSUP (a feature the port lacks: RSS, interrupts, loopback);
 *         or the driver's error. On error nothing changed.
 */
int keel_eth_dev_configure(uint16_t port_id, uint16_t nb_rx_queue,
			   uint16_t nb_tx_queue,
			   const struct keel_eth_conf *eth_conf);

/**
 * Set up (or replace) Rx queue @p rx_queue_id of a configured, stopped port.
 *
 * @param port_id     the port
 * @param rx_queue_id 0..nb_rx_queue - 1
 * @param nb_rx_desc  0: the driver's default; else within rx_desc_lim
 * @param socket_id   NUMA socket for its memory (KEEL_SOCKET_ID_ANY: any)
 * @param rx_conf     NULL: dev_info.default_rxconf
 * @param mb_pool     the pool Rx buffers come from (mandatory)
 * @return 0; -ENODEV; -EBUSY (started); -EINVAL (not configured, bad queue
 *         id, descriptor count, offloads or pool); -ENOMEM. A queue set up
 *         before stays as it was when this fails.
 */
int keel_eth_rx_queue_setup(uint16_t port_id, uint16_t rx_queue_id,
			    uint16_t nb_rx_desc, unsigned int socket_id,
			    const struct keel_eth_rxconf *rx_conf,
			    struct keel_mempool *mb_pool);

/** Tx twin of keel_eth_rx_queue_setup() (no pool). */
int keel_eth_tx_queue_setup(uint16_t port_id, uint16_t tx_queue_id,
			    uint16_t nb_tx_desc, unsigned int socket_id,
			    const struct keel_eth_txconf *tx_conf);

/**
 * Start a configured port whose queues are all set up; queues set up with
 * deferred start stay stopped. Starting a started port returns 0.
 * @return 0; -ENODEV; -EINVAL (not configured, a queue not set up); or
 *         the driver's error (the port stays stopped).
 */
int keel_eth_dev_start(uint16_t port_id);

/**
 * Stop a port: from now on its bursts return 0. Stopping a stopped port
 * returns 0. @return 0, -ENODEV, or the driver's error (the port is
 * stopped anyway).
 */
int keel_eth_dev_stop(uint16_t port_id);

/**
 * Stop and release a port (its driver's resources, its queues, its id).
 * DESTROY is signalled first. Devices on a bus stay on it (remove them
 * with keel_dev_remove(), or use keel_eth_dev_detach() for both).
 * @return 0; -ENODEV; -EBUSY (owned by another component).
 */
int keel_eth_dev_close(uint16_t port_id);

/**
 * Reset a port (e.g. after an INTR_RESET event): stop it, release its
 * queues and return it to the attached state; configure it again.
 * @return 0, -ENODEV, or the driver's error.
 */
int keel_eth_dev_reset(uint16_t port_id);

/** @return 1 when started, 0 when not, -ENODEV. */
int keel_eth_dev_is_started(uint16_t port_id);

/**
 * Stop / start one queue of a started port. A stopped queue's bursts
 * return 0 (the library swaps the queue's fast-path entry, then tells the
 * driver). Stopping a stopped queue, or starting a started one, returns 0.
 * @return 0; -ENODEV; -EINVAL (bad queue, port not started, queue not set
 *         up).
 */
int keel_eth_dev_rx_queue_start(uint16_t port_id, uint16_t rx_queue_id);
/** @copydoc keel_eth_dev_rx_queue_start */
int keel_eth_dev_rx_queue_stop(uint16_t port_id, uint16_t rx_queue_id);
/** @copydoc keel_eth_dev_rx_queue_start */
int keel_eth_dev_tx_queue_start(uint16_t port_id, uint16_t tx_queue_id);
/** @copydoc keel_eth_dev_rx_queue_start */
int keel_eth_dev_tx_queue_stop(uint16_t port_id, uint16_t tx_queue_id);

/**
 * Configuration of a set-up queue.
 * @return 0; -ENODEV; -EINVAL (bad queue id, queue not set up, NULL).
 */
int keel_eth_rx_queue_info_get(uint16_t port_id, uint16_t queue_id,
			       struct keel_eth_rxq_info *qinfo);
/** @copydoc keel_eth_rx_queue_info_get */
int keel_eth_tx_queue_info_get(uint16_t port_id, uint16_t queue_id,
			       struct keel_eth_txq_info *qinfo);

/**
 * Current configuration (as accepted by keel_eth_dev_configure()).
 * @return 0, -ENODEV, -EINVAL (NULL).
 */
int keel_eth_dev_conf_get(uint16_t port_id, struct keel_eth_conf *dev_conf);

/**
 * Print everything about a port (name, driver, state, MAC, link, limits,
 * offloads, queues, statistics) to @p f (stdout when NULL).
 * @return 0 or -ENODEV.
 */
int keel_eth_dev_dump(uint16_t port_id, FILE *f);

/** @} */

/**
 * @name MAC addresses, filters, MTU, RSS
 * @{
 */

/** Default MAC address. @return 0, -ENODEV, -EINVAL (NULL). */
int keel_eth_macaddr_get(uint16_t port_id, struct keel_ether_addr *mac_addr);

/**
 * Up to @p num MAC addresses of the port, default first.
 * @return the number written, -ENODEV, -EINVAL.
 */
int keel_eth_macaddrs_get(uint16_t port_id, struct keel_ether_addr *ma,
			  unsigned int num);

/**
 * Change the default MAC address (unicast, non-zero).
 * @return 0, -ENODEV, -EINVAL, -ENOTSUP, or the driver's error.
 */
int keel_eth_dev_default_mac_addr_set(uint16_t port_id,
				      struct keel_ether_addr *mac_addr);

/**
 * Add a MAC address the port receives (pool must be 0). Adding one it has
 * already returns 0.
 * @return 0, -ENODEV, -EINVAL (zero or bad pool), -ENOSPC (table full),
 *         -ENOTSUP.
 */
int keel_eth_dev_mac_addr_add(uint16_t port_id,
			      struct keel_ether_addr *mac_addr, uint32_t pool);

/**
 * Remove an added MAC address.
 * @return 0; -ENODEV; -EADDRINUSE (the default address); -ENOENT; -ENOTSUP.
 */
int keel_eth_dev_mac_addr_remove(uint16_t port_id,
				 struct keel_ether_addr *mac_addr);

/** Receive every unicast frame. @return 0, -ENODEV, -ENOTSUP. */
int keel_eth_promiscuous_enable(uint16_t port_id);
/** @copydoc keel_eth_promiscuous_enable */
int keel_eth_promiscuous_disable(uint16_t port_id);
/** @return 1 promiscuous, 0 not, -ENODEV. */
int keel_eth_promiscuous_get(uint16_t port_id);
/** Receive every multicast frame. @return 0, -ENODEV, -ENOTSUP. */
int keel_eth_allmulticast_enable(uint16_t port_id);
/** @copydoc keel_eth_allmulticast_enable */
int keel_eth_allmulticast_disable(uint16_t port_id);
/** @return 1 all-multicast, 0 not, -ENODEV. */
int keel_eth_allmulticast_get(uint16_t port_id);

/** MTU now. @return 0, -ENODEV, -EINVAL. */
int keel_eth_dev_get_mtu(uint16_t port_id, uint16_t *mtu);

/**
 * Change the MTU (min_mtu..max_mtu).
 * @return 0, -ENODEV, -EINVAL (out of range), -ENOTSUP, driver's error.
 */
int keel_eth_dev_set_mtu(uint16_t port_id, uint16_t mtu);

/**
 * Change the RSS hash functions and key of a configured port.
 * @return 0; -ENODEV; -ENOTSUP (no RSS); -EINVAL (bad hf or key length).
 */
int keel_eth_dev_rss_hash_update(uint16_t port_id,
				 struct keel_eth_rss_conf *rss_conf);

/**
 * RSS hash functions and key (rss_key: NULL, or a buffer of
 * hash_key_size bytes).
 * @return 0; -ENODEV; -ENOTSUP; -EINVAL.
 */
int keel_eth_dev_rss_hash_conf_get(uint16_t port_id,
				   struct keel_eth_rss_conf *rss_conf);

/** @} */

/**
 * @name Link
 * @{
 */

/**
 * Link state, asking the driver (which may wait up to a few seconds for
 * autonegotiation).
 * @return 0, -ENODEV, -EINVAL (NULL), -ENOTSUP.
 */
int keel_eth_link_get(uint16_t port_id, struct keel_eth_link *link);

/** Link state without waiting. @copydetails keel_eth_link_get */
int keel_eth_link_get_nowait(uint16_t port_id, struct keel_eth_link *link);

/** Bring the link up / down (where the port has one to control). */
int keel_eth_dev_set_link_up(uint16_t port_id);
/** @copydoc keel_eth_dev_set_link_up */
int keel_eth_dev_set_link_down(uint16_t port_id);

/** "10 Gbps", "Unknown", "None". */
const char *keel_eth_link_speed_to_str(uint32_t link_speed);

/**
 * Format a link: "Link up at 10 Gbps FDX Autoneg" / "Link down".
 * @return characters written (as snprintf), or -EINVAL.
 */
int keel_eth_link_to_str(char *str, size_t len,
			 const struct keel_eth_link *eth_link);

/** @} */

/**
 * @name Statistics
 * @{
 */

/**
 * Port statistics since the last reset.
 * @return 0, -ENODEV, -EINVAL (NULL).
 */
int keel_eth_stats_get(uint16_t port_id, struct keel_eth_stats *stats);

/** Zero the basic and extended statistics. @return 0 or -ENODEV. */
int keel_eth_stats_reset(uint16_t port_id);

/**
 * Counters of one queue (any id below the configured count).
 * @param port_id   the port
 * @param queue_id  below the configured count of that direction
 * @param is_rx     true: Rx queue, false: Tx queue
 * @param stats     filled on success
 * @return 0; -ENODEV; -EINVAL (bad queue, NULL).
 */
int keel_eth_queue_stats_get(uint16_t port_id, uint16_t queue_id, bool is_rx,
			     struct keel_eth_queue_stats *stats);

/**
 * Names of the extended statistics: the generic ones ("rx_good_packets",
 * "tx_good_packets", "rx_good_bytes", "tx_good_bytes", "rx_missed_errors",
 * "rx_errors", "tx_errors", "rx_mbuf_allocation_errors", then
 * "rx_qN_packets", "rx_qN_bytes", "rx_qN_errors" per Rx queue and
 * "tx_qN_packets", "tx_qN_bytes" per Tx queue), then the driver's.
 *
 * @param port_id       the port
 * @param xstats_names  NULL (or @p size too small): only count
 * @param size          entries in @p xstats_names
 * @return the number of statistics (write nothing when > @p size), or
 *         -ENODEV.
 */
int keel_eth_xstats_get_names(uint16_t port_id,
			      struct keel_eth_xstat_name *xstats_names,
			      unsigned int size);

/**
 * Values of the extended statistics, in the order of the names, id = index.
 * @return the number of statistics (nothing written when > @p n), or
 *         -ENODEV.
 */
int keel_eth_xstats_get(uint16_t port_id, struct keel_eth_xstat *xstats,
			unsigned int n);

/**
 * Id of the statistic called @p xstat_name.
 * @return 0, -ENODEV, -EINVAL (NULL), -ENOENT (no such name).
 */
int keel_eth_xstats_get_id_by_name(uint16_t port_id, const char *xstat_name,
				   uint64_t *id);

/**
 * Values of the statistics whose ids are in @p ids (all when NULL).
 * @return the number of values written; -EINVAL (an id out of range,
 *         nothing written); -ENODEV.
 */
int keel_eth_xstats_get_by_id(uint16_t port_id, const uint64_t *ids,
			      uint64_t *values, unsigned int size);

/** Zero the extended (and basic) statistics. @return 0 or -ENODEV. */
int keel_eth_xstats_reset(uint16_t port_id);

/** @} */

/**
 * @name Events
 * @{
 */

/**
 * Call @p cb_fn(port, event, cb_arg, NULL) when @p event happens on
 * @p port_id (or on any port with KEEL_ETH_ALL). Registering the same
 * (fn, arg) twice has no effect.
 * @return 0, -EINVAL (bad port or event, NULL fn), -ENOMEM.
 */
int keel_eth_dev_callback_register(uint16_t port_id,
				   enum keel_eth_event_type event,
				   keel_eth_dev_cb_fn cb_fn, void *cb_arg);

/**
 * Remove a callback (cb_arg KEEL_ETH_CB_ANY_ARG: every arg). A callback
 * may unregister itself. Waits for a run of it on another thread to end.
 * @return 0, -EINVAL (bad port or event, NULL fn), -ENOENT (not found).
 */
int keel_eth_dev_callback_unregister(uint16_t port_id,
				     enum keel_eth_event_type event,
				     keel_eth_dev_cb_fn cb_fn, void *cb_arg);

/** Name of an event ("link_state_change", "new", ...). */
const char *keel_eth_event_name(enum keel_eth_event_type event);

/** @} */

/**
 * @name Ownership
 * A component (a bonding driver, testpmd, a capture tool) owns the ports it
 * drives: KEEL_ETH_FOREACH_DEV skips them, nobody else can take them, and
 * nobody else can close or detach them.
 * @{
 */

/** A new owner id (never KEEL_ETH_DEV_NO_OWNER). @return 0 or -EINVAL. */
int keel_eth_dev_owner_new(uint64_t *owner_id);

/**
 * Take port @p port_id for @p owner (id from owner_new()).
 * @return 0; -ENODEV; -EINVAL (bad id or name); -EBUSY (owned by another;
 *         the log names it).
 */
int keel_eth_dev_owner_set(uint16_t port_id,
			   const struct keel_eth_dev_owner *owner);

/**
 * Release the port (it must be owned by @p owner_id).
 * @return 0, -ENODEV, -EINVAL (bad id), -EPERM (another owner).
 */
int keel_eth_dev_owner_unset(uint16_t port_id, uint64_t owner_id);

/** Release every port of @p owner_id. @return 0 or -EINVAL. */
int keel_eth_dev_owner_delete(uint64_t owner_id);

/** Owner of a port (id 0 and "" when none). @return 0, -ENODEV, -EINVAL. */
int keel_eth_dev_owner_get(uint16_t port_id, struct keel_eth_dev_owner *owner);

/** @} */

/**
 * @name Rx/Tx callbacks
 * Functions run on each burst of a queue, after the driver's Rx and before
 * the driver's Tx (a capture tool, a counter, a filter). Added and removed
 * at any time; a removed callback's memory is freed at the next stop or
 * close of the port, when no lcore can still be running it.
 * @{
 */

/** Rx callback: may drop or reorder; returns the packets left in @p pkts. */
typedef uint16_t (*keel_rx_callback_fn)(uint16_t port_id, uint16_t queue,
	struct keel_mbuf *pkts[], uint16_t nb_pkts, uint16_t max_pkts,
	void *user_param);

/** Tx callback: returns the packets left to send in @p pkts. */
typedef uint16_t (*keel_tx_callback_fn)(uint16_t port_id, uint16_t queue,
	struct keel_mbuf *pkts[], uint16_t nb_pkts, void *user_param);

/** A registered Rx or Tx callback (opaque handle). */
struct keel_eth_rxtx_callback;

/**
 * Run @p fn after each Rx burst of a queue (after those added before it).
 * @return a handle, or NULL with errno EINVAL (bad port/queue, NULL fn) or
 *         ENOMEM.
 */
const struct keel_eth_rxtx_callback *
keel_eth_add_rx_callback(uint16_t port_id, uint16_t queue_id,
			 keel_rx_callback_fn fn, void *user_param);

/** As keel_eth_add_rx_callback(), run before the others. */
const struct keel_eth_rxtx_callback *
keel_eth_add_first_rx_callback(uint16_t port_id, uint16_t queue_id,
			       keel_rx_callback_fn fn, void *user_param);

/** Run @p fn before each Tx burst of a queue. */
const struct keel_eth_rxtx_callback *
keel_eth_add_tx_callback(uint16_t port_id, uint16_t queue_id,
			 keel_tx_callback_fn fn, void *user_param);

/**
 * Remove a callback. @return 0; -EINVAL (bad port/queue, NULL);
 * -ENOENT (not a callback of this queue).
 */
int keel_eth_remove_rx_callback(uint16_t port_id, uint16_t queue_id,
				const struct keel_eth_rxtx_callback *user_cb);
/** @copydoc keel_eth_remove_rx_callback */
int keel_eth_remove_tx_callback(uint16_t port_id, uint16_t queue_id,
				const struct keel_eth_rxtx_callback *user_cb);

/** @} */

#ifdef __cplusplus
}
#endif

#include "keel_ethdev_core.h"

#endif /* KEEL_ETHDEV_H */
