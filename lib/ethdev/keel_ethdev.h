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

#ifdef __cplusplus
extern "C" {
#endif

struct keel_mbuf;
struct keel_mempool;

/** Most ports in a process. */
#define KEEL_MAX_ETHPORTS 32
/** Most Rx (and most Tx) queues of one port. */
#define KEEL_MAX_QUEUES_PER_PORT 1024
/** Per-queue counters in struct keel_eth_stats (queues 0..15). */
#define KEEL_ETHDEV_QUEUE_STAT_CNTRS 16
/** Longest port name, NUL included. */
#define KEEL_ETH_NAME_MAX_LEN 64
/** Most MAC addresses of one port (default included). */
#define KEEL_ETH_MAX_MAC_ADDRS 64
/** Longest extended statistic name, NUL included. */
#define KEEL_ETH_XSTATS_NAME_SIZE 64
/** Longest RSS hash key. */
#define KEEL_ETH_RSS_KEY_MAX 64
/** Port id meaning "every port" for keel_eth_dev_callback_register(). */
#define KEEL_ETH_ALL KEEL_MAX_ETHPORTS

/**
 * @name Rx offloads (rxmode.offloads, keel_eth_rxconf.offloads)
 * Same bits as DPDK's RTE_ETH_RX_OFFLOAD_*.
 * @{
 */
/** strip the VLAN tag into vlan_tci */
#define KEEL_ETH_RX_OFFLOAD_VLAN_STRIP (1ull << 0)
/** check IPv4 header checksums */
#define KEEL_ETH_RX_OFFLOAD_IPV4_CKSUM (1ull << 1)
/** check UDP checksums */
#define KEEL_ETH_RX_OFFLOAD_UDP_CKSUM (1ull << 2)
/** check TCP checksums */
#define KEEL_ETH_RX_OFFLOAD_TCP_CKSUM (1ull << 3)
/** coalesce TCP segments */
#define KEEL_ETH_RX_OFFLOAD_TCP_LRO (1ull << 4)
/** drop VLANs not in the filter */
#define KEEL_ETH_RX_OFFLOAD_VLAN_FILTER (1ull << 9)
/** receive frames longer than a buffer as chains */
#define KEEL_ETH_RX_OFFLOAD_SCATTER (1ull << 13)
/** time-stamp received packets */
#define KEEL_ETH_RX_OFFLOAD_TIMESTAMP (1ull << 14)
/** keep the frame check sequence */
#define KEEL_ETH_RX_OFFLOAD_KEEP_CRC (1ull << 16)
/** report the RSS hash in the mbuf */
#define KEEL_ETH_RX_OFFLOAD_RSS_HASH (1ull << 19)
/** IPv4, UDP and TCP checksum checks. */
#define KEEL_ETH_RX_OFFLOAD_CHECKSUM (KEEL_ETH_RX_OFFLOAD_IPV4_CKSUM | \
	KEEL_ETH_RX_OFFLOAD_UDP_CKSUM | KEEL_ETH_RX_OFFLOAD_TCP_CKSUM)
/** @} */

/**
 * @name Tx offloads (txmode.offloads, keel_eth_txconf.offloads)
 * Same bits as DPDK's RTE_ETH_TX_OFFLOAD_*.
 * @{
 */
/** insert vlan_tci as a VLAN tag */
#define KEEL_ETH_TX_OFFLOAD_VLAN_INSERT (1ull << 0)
/** compute IPv4 header checksums */
#define KEEL_ETH_TX_OFFLOAD_IPV4_CKSUM (1ull << 1)
/** compute UDP checksums */
#define KEEL_ETH_TX_OFFLOAD_UDP_CKSUM (1ull << 2)
/** compute TCP checksums */
#define KEEL_ETH_TX_OFFLOAD_TCP_CKSUM (1ull << 3)
#define KEEL_ETH_TX_OFFLOAD_TCP_TSO        (1ull << 5) /**< segment TCP (TSO) */
/** a Tx queue may be used by several threads */
#define KEEL_ETH_TX_OFFLOAD_MT_LOCKFREE (1ull << 14)
/** send chained mbufs */
#define KEEL_ETH_TX_OFFLOAD_MULTI_SEGS (1ull << 15)
/** mbufs are of one pool, refcnt 1, direct */
#define KEEL_ETH_TX_OFFLOAD_MBUF_FAST_FREE (1ull << 16)
/** @} */

/**
 * @name RSS hash functions (rss_conf.rss_hf); DPDK's RTE_ETH_RSS_* bits
 * @{
 */
#define KEEL_ETH_RSS_IPV4                  (1ull << 2) /**< IPv4 addresses */
#define KEEL_ETH_RSS_FRAG_IPV4             (1ull << 3) /**< fragmented IPv4 */
#define KEEL_ETH_RSS_NONFRAG_IPV4_TCP      (1ull << 4) /**< IPv4 + TCP ports */
#define KEEL_ETH_RSS_NONFRAG_IPV4_UDP      (1ull << 5) /**< IPv4 + UDP ports */
#define KEEL_ETH_RSS_NONFRAG_IPV4_OTHER    (1ull << 7) /**< other IPv4 */
#define KEEL_ETH_RSS_IPV6                  (1ull << 8) /**< IPv6 addresses */
#define KEEL_ETH_RSS_FRAG_IPV6             (1ull << 9) /**< fragmented IPv6 */
#define KEEL_ETH_RSS_NONFRAG_IPV6_TCP      (1ull << 10) /**< IPv6 + TCP ports */
#define KEEL_ETH_RSS_NONFRAG_IPV6_UDP      (1ull << 11) /**< IPv6 + UDP ports */
#define KEEL_ETH_RSS_NONFRAG_IPV6_OTHER    (1ull << 13) /**< other IPv6 */
#define KEEL_ETH_RSS_L2_PAYLOAD            (1ull << 14) /**< Ethernet payload */
/** Every IP hash function above. */
#define KEEL_ETH_RSS_IP (KEEL_ETH_RSS_IPV4 | KEEL_ETH_RSS_FRAG_IPV4 | \
	KEEL_ETH_RSS_NONFRAG_IPV4_OTHER | KEEL_ETH_RSS_IPV6 | \
	KEEL_ETH_RSS_FRAG_IPV6 | KEEL_ETH_RSS_NONFRAG_IPV6_OTHER)
/** TCP hash functions. */
#define KEEL_ETH_RSS_TCP (KEEL_ETH_RSS_NONFRAG_IPV4_TCP | \
	KEEL_ETH_RSS_NONFRAG_IPV6_TCP)
/** UDP hash functions. */
#define KEEL_ETH_RSS_UDP (KEEL_ETH_RSS_NONFRAG_IPV4_UDP | \
	KEEL_ETH_RSS_NONFRAG_IPV6_UDP)
/** @} */

/**
 * @name Link speeds: capability bits (speed_capa, link_speeds) and values
 * @{
 */
#define KEEL_ETH_LINK_SPEED_AUTONEG 0          /**< autonegotiate */
#define KEEL_ETH_LINK_SPEED_FIXED   (1u << 0)  /**< no autonegotiation */
#define KEEL_ETH_LINK_SPEED_10M     (1u << 2)  /**< 10 Mbps full duplex */
#define KEEL_ETH_LINK_SPEED_100M    (1u << 4)  /**< 100 Mbps full duplex */
#define KEEL_ETH_LINK_SPEED_1G      (1u << 5)  /**< 1 Gbps */
#define KEEL_ETH_LINK_SPEED_10G     (1u << 8)  /**< 10 Gbps */
#define KEEL_ETH_LINK_SPEED_25G     (1u << 10) /**< 25 Gbps */
#define KEEL_ETH_LINK_SPEED_40G     (1u << 11) /**< 40 Gbps */
#define KEEL_ETH_LINK_SPEED_100G    (1u << 14) /**< 100 Gbps */

#define KEEL_ETH_SPEED_NUM_NONE    0          /**< not defined */
#define KEEL_ETH_SPEED_NUM_10M     10         /**< 10 Mbps */
#define KEEL_ETH_SPEED_NUM_100M    100        /**< 100 Mbps */
#define KEEL_ETH_SPEED_NUM_1G      1000       /**< 1 Gbps */
#define KEEL_ETH_SPEED_NUM_10G     10000      /**< 10 Gbps */
#define KEEL_ETH_SPEED_NUM_25G     25000      /**< 25 Gbps */
#define KEEL_ETH_SPEED_NUM_40G     40000      /**< 40 Gbps */
#define KEEL_ETH_SPEED_NUM_100G    100000     /**< 100 Gbps */
#define KEEL_ETH_SPEED_NUM_UNKNOWN UINT32_MAX /**< unknown */

#define KEEL_ETH_LINK_HALF_DUPLEX 0 /**< half duplex */
#define KEEL_ETH_LINK_FULL_DUPLEX 1 /**< full duplex */
#define KEEL_ETH_LINK_DOWN        0 /**< link down */
#define KEEL_ETH_LINK_UP          1 /**< link up */
#define KEEL_ETH_LINK_FIXED       0 /**< no autonegotiation */
#define KEEL_ETH_LINK_AUTONEG     1 /**< autonegotiated */
/** Longest text keel_eth_link_to_str() writes, NUL included. */
#define KEEL_ETH_LINK_MAX_STR_LEN 40
/** @} */

/**
 * @name Device flags (keel_eth_dev_info.dev_flags)
 * @{
 */
#define KEEL_ETH_DEV_INTR_LSC (1u << 1) /**< link-state change events */
#define KEEL_ETH_DEV_INTR_RMV (1u << 3) /**< removal events */
/** @} */

/**
 * @name Device capabilities (keel_eth_dev_info.dev_capa)
 * @{
 */
/** Rx queues can be stopped and started while the port runs. */
#define KEEL_ETH_DEV_CAPA_RUNTIME_RX_QUEUE_SETUP (1ull << 0)
/** Tx queues can be stopped and started while the port runs. */
#define KEEL_ETH_DEV_CAPA_RUNTIME_TX_QUEUE_SETUP (1ull << 1)
/** @} */

/**
 * @name Queue states (keel_eth_rxq_info.queue_state)
 * @{
 */
#define KEEL_ETH_QUEUE_STATE_STOPPED 0 /**< not receiving / sending */
#define KEEL_ETH_QUEUE_STATE_STARTED 1 /**< running */
/** @} */

/** Multi-queue Rx mode. */
enum keel_eth_rx_mq_mode {
	KEEL_ETH_MQ_RX_NONE = 0, /**< one queue gets everything */
	KEEL_ETH_MQ_RX_RSS = 1,  /**< spread by RSS hash */
};

/** Multi-queue Tx mode. */
enum keel_eth_tx_mq_mode {
	KEEL_ETH_MQ_TX_NONE = 0, /**< plain queues */
};

/** Port-wide Rx settings. */
struct keel_eth_rxmode {
	enum keel_eth_rx_mq_mode mq_mode; /**< NONE or RSS */
	uint32_t mtu;      /**< 0: KEEL_ETHER_MTU; else min_mtu..max_mtu */
	uint64_t offloads; /**< KEEL_ETH_RX_OFFLOAD_*, within rx_offload_capa */
};

/** Port-wide Tx settings. */
struct keel_eth_txmode {
	enum keel_eth_tx_mq_mode mq_mode; /**< NONE */
	uint64_t offloads; /**< KEEL_ETH_TX_OFFLOAD_*, within tx_offload_capa */
};

/** RSS configuration. */
struct keel_eth_rss_conf {
	uint8_t *rss_key;     /**< NULL: keep / use the driver's key */
	uint8_t rss_key_len;  /**< == dev_info.hash_key_size when a key is given */
	uint64_t rss_hf;      /**< KEEL_ETH_RSS_*, within flow_type_rss_offloads */
};

/** Events the application wants signalled (needs the matching dev flag). */
struct keel_eth_intr_conf {
	uint32_t lsc:1; /**< link-state changes (KEEL_ETH_DEV_INTR_LSC) */
	uint32_t rxq:1; /**< Rx interrupts: not supported, must be 0 */
	uint32_t rmv:1; /**< removal (KEEL_ETH_DEV_INTR_RMV) */
};

/** Port configuration (keel_eth_dev_configure()). */
struct keel_eth_conf {
	uint32_t link_speeds;          /**< KEEL_ETH_LINK_SPEED_*; 0 autoneg */
	struct keel_eth_rxmode rxmode; /**< Rx settings */
	struct keel_eth_txmode txmode; /**< Tx settings */
	uint32_t lpbk_mode;            /**< loopback: must be 0 */
	struct {
		struct keel_eth_rss_conf rss_conf; /**< with mq_mode RSS */
	} rx_adv_conf;                 /**< advanced Rx settings */
	struct keel_eth_intr_conf intr_conf; /**< events wanted */
};

/** Descriptor limits of a queue. */
struct keel_eth_desc_lim {
	uint16_t nb_max;   /**< most descriptors */
	uint16_t nb_min;   /**< fewest descriptors */
	uint16_t nb_align; /**< the count must be a multiple of this */
};

/** Rx queue configuration (keel_eth_rx_queue_setup()). */
struct keel_eth_rxconf {
	uint16_t rx_free_thresh;   /**< driver hint; 0 default */
	uint8_t rx_drop_en;        /**< drop when no buffer is free */
	uint8_t rx_deferred_start; /**< not started by keel_eth_dev_start() */
	uint64_t offloads;         /**< per-queue offloads (added to the port's) */
};

/** Tx queue configuration (keel_eth_tx_queue_setup()). */
struct keel_eth_txconf {
	uint16_t tx_rs_thresh;     /**< driver hint; 0 default */
	uint16_t tx_free_thresh;   /**< driver hint; 0 default */
	uint8_t tx_deferred_start; /**< not started by keel_eth_dev_start() */
	uint64_t offloads;         /**< per-queue offloads (added to the port's) */
};

/** Preferred port settings a driver suggests. */
struct keel_eth_dev_portconf {
	uint16_t burst_size; /**< preferred burst; 0 none */
	uint16_t ring_size;  /**< preferred descriptor count; 0 none */
	uint16_t nb_queues;  /**< preferred queue count; 0 none */
};

/** What a port is and can do (keel_eth_dev_info_get()). */
struct keel_eth_dev_info {
	const char *driver_name;    /**< e.g. "net_null" */
	const char *device_name;    /**< bus device ("net_null0"), "" if none */
	unsigned int if_index;      /**< kernel interface index, 0 if none */
	uint16_t min_mtu;           /**< smallest MTU */
	uint16_t max_mtu;           /**< largest MTU */
	uint32_t dev_flags;         /**< KEEL_ETH_DEV_INTR_* */
	uint32_t min_rx_bufsize;    /**< smallest Rx buffer (data room) */
	uint32_t max_rx_pktlen;     /**< longest frame received */
	uint16_t max_rx_queues;     /**< most Rx queues */
	uint16_t max_tx_queues;     /**< most Tx queues */
	uint32_t max_mac_addrs;     /**< MAC address table size (>= 1) */
	uint64_t rx_offload_capa;   /**< every Rx offload, port or queue */
	uint64_t tx_offload_capa;   /**< every Tx offload, port or queue */
	uint64_t rx_queue_offload_capa; /**< Rx offloads settable per queue */
	uint64_t tx_queue_offload_capa; /**< Tx offloads settable per queue */
	uint16_t reta_size;         /**< RSS redirection table entries */
	uint8_t hash_key_size;      /**< RSS key bytes (0: no RSS) */
	uint64_t flow_type_rss_offloads; /**< KEEL_ETH_RSS_* supported */
	struct keel_eth_rxconf default_rxconf; /**< suggested Rx queue conf */
	struct keel_eth_txconf default_txconf; /**< suggested Tx queue conf */
	struct keel_eth_desc_lim rx_desc_lim;  /**< Rx descriptor limits */
	struct keel_eth_desc_lim tx_desc_lim;  /**< Tx descriptor limits */
	uint32_t speed_capa;        /**< KEEL_ETH_LINK_SPEED_* bits */
	uint16_t nb_rx_queues;      /**< configured Rx queues */
	uint16_t nb_tx_queues;      /**< configured Tx queues */
	struct keel_eth_dev_portconf default_rxportconf; /**< Rx suggestions */
	struct keel_eth_dev_portconf default_txportconf; /**< Tx suggestions */
	uint64_t dev_capa;          /**< KEEL_ETH_DEV_CAPA_* */
};

/** Configuration of a set-up Rx queue (keel_eth_rx_queue_info_get()). */
struct keel_eth_rxq_info {
	struct keel_mempool *mp;     /**< its buffer pool */
	struct keel_eth_rxconf conf; /**< as given (offloads: effective) */
	uint16_t nb_desc;            /**< descriptors */
	uint8_t queue_state;         /**< KEEL_ETH_QUEUE_STATE_* */
};

/** Configuration of a set-up Tx queue (keel_eth_tx_queue_info_get()). */
struct keel_eth_txq_info {
	struct keel_eth_txconf conf; /**< as given (offloads: effective) */
	uint16_t nb_desc;            /**< descriptors */
	uint8_t queue_state;         /**< KEEL_ETH_QUEUE_STATE_* */
};

/** Link state (read atomically as one 64-bit word). */
struct keel_eth_link {
	uint32_t link_speed;       /**< KEEL_ETH_SPEED_NUM_* (Mbps) */
	uint16_t link_duplex:1;    /**< KEEL_ETH_LINK_[HALF|FULL]_DUPLEX */
	uint16_t link_autoneg:1;   /**< KEEL_ETH_LINK_[AUTONEG|FIXED] */
	uint16_t link_status:1;    /**< KEEL_ETH_LINK_[DOWN|UP] */
} __attribute__((aligned(8)));

/**
 * Basic statistics of a port (keel_eth_stats_get()): totals over every
 * queue, and the first KEEL_ETHDEV_QUEUE_STAT_CNTRS queues one by one
 * (keel_eth_queue_stats_get() reads any queue).
 */
struct keel_eth_stats {
	uint64_t ipackets;  /**< packets received */
	uint64_t opackets;  /**< packets sent */
	uint64_t ibytes;    /**< bytes received */
	uint64_t obytes;    /**< bytes sent */
	uint64_t imissed;   /**< packets dropped on Rx (no room, no buffer) */
	uint64_t ierrors;   /**< erroneous packets received */
	uint64_t oerrors;   /**< packets the port failed to send */
	uint64_t rx_nombuf; /**< Rx buffer allocation failures */
	uint64_t q_ipackets[KEEL_ETHDEV_QUEUE_STAT_CNTRS]; /**< per Rx queue */
	uint64_t q_opackets[KEEL_ETHDEV_QUEUE_STAT_CNTRS]; /**< per Tx queue */
	uint64_t q_ibytes[KEEL_ETHDEV_QUEUE_STAT_CNTRS];   /**< per Rx queue */
	uint64_t q_obytes[KEEL_ETHDEV_QUEUE_STAT_CNTRS];   /**< per Tx queue */
	uint64_t q_errors[KEEL_ETHDEV_QUEUE_STAT_CNTRS];   /**< per Rx queue */
};

/** Counters of one queue (keel_eth_queue_stats_get()). */
struct keel_eth_queue_stats {
	uint64_t packets; /**< received / sent */
	uint64_t bytes;   /**< received / sent */
	uint64_t errors;  /**< Rx: bad packets; Tx: packets not sent */
	uint64_t missed;  /**< Rx: dropped for lack of room (0 on Tx) */
	uint64_t nombuf;  /**< Rx: buffer allocation failures (0 on Tx) */
};

/** One extended statistic: id (index into the names) and value. */
struct keel_eth_xstat {
	uint64_t id;    /**< index of its name */
	uint64_t value; /**< counter since the last reset */
};

/** Name of an extended statistic. */
struct keel_eth_xstat_name {
	char name[KEEL_ETH_XSTATS_NAME_SIZE]; /**< e.g. "rx_q0_packets" */
};

/** Port events (same numbering as DPDK's rte_eth_event_type). */
enum keel_eth_event_type {
	KEEL_ETH_EVENT_UNKNOWN = 0,     /**< unknown */
	KEEL_ETH_EVENT_INTR_LSC = 1,    /**< link state changed */
	KEEL_ETH_EVENT_QUEUE_STATE = 2, /**< a queue's state changed */
	KEEL_ETH_EVENT_INTR_RESET = 3,  /**< the driver asks for a reset */
	KEEL_ETH_EVENT_INTR_RMV = 6,    /**< the device is going away */
	KEEL_ETH_EVENT_NEW = 7,         /**< a port was created */
	KEEL_ETH_EVENT_DESTROY = 8,     /**< a port is being released */
	KEEL_ETH_EVENT_MAX = 12,        /**< number of event types */
};

/**
 * Event callback. @p ret_param is NULL for every event above. The return
 * value is ignored (DPDK compatibility).
 */
typedef int (*keel_eth_dev_cb_fn)(uint16_t port_id,
				  enum keel_eth_event_type event,
				  void *cb_arg, void *ret_param);

/** Sentinel: match any cb_arg in keel_eth_dev_callback_unregister(). */
#define KEEL_ETH_CB_ANY_ARG ((void *)-1)

/** Owner id meaning "nobody". */
#define KEEL_ETH_DEV_NO_OWNER 0
/** Longest owner name, NUL included. */
#define KEEL_ETH_MAX_OWNER_NAME_LEN 64

/** A port owner. */
struct keel_eth_dev_owner {
	uint64_t id;                              /**< from owner_new() */
	char name[KEEL_ETH_MAX_OWNER_NAME_LEN];   /**< for messages */
};

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
