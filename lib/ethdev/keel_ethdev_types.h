/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_ETHDEV_TYPES_H
#define KEEL_ETHDEV_TYPES_H

/**
 * @file
 * The types and constants of the ethdev API: limits, offload and RSS bits,
 * link speeds, the configuration and information structures, statistics,
 * events and owners (the same names and values as DPDK 22.11's, with
 * keel_/KEEL_). The functions that take them are in keel_ethdev.h, which
 * includes this header.
 */

#include <stdint.h>

#include "keel_ether.h"

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif

#endif /* KEEL_ETHDEV_TYPES_H */
