/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_TEST_ETHDEV_DRV_H
#define KEEL_TEST_ETHDEV_DRV_H

/*
 * "net_ethtest": an ethdev driver for tests, with the limits a test chooses,
 * failure injection per op, and counters of what the library called. Its
 * Rx returns fake mbuf pointers (never dereferenced), so the library can be
 * tested without packet memory. Ports come from test_eth_create() or from
 * the vdev bus ("net_ethtest0,avail=N").
 */
#include <stdbool.h>
#include <stdint.h>

#include "keel_ethdev.h"

struct test_eth_cfg {
	uint16_t max_rx_queues, max_tx_queues;
	struct keel_eth_desc_lim rx_lim, tx_lim;
	uint64_t rx_offload_capa, tx_offload_capa;
	uint64_t rx_queue_offload_capa, tx_queue_offload_capa;
	uint64_t rss_offloads;
	uint8_t hash_key_size;
	uint16_t min_mtu, max_mtu;
	uint32_t max_mac_addrs;
	uint32_t dev_flags;
	uint64_t dev_capa;
	uint32_t rx_avail;       /* packets each Rx burst can return */
	uint32_t tx_room;        /* packets each Tx burst takes */
	uint32_t min_rx_bufsize; /* data room an Rx pool must have */
};

enum test_eth_op {
	TOP_CONFIGURE, TOP_START, TOP_STOP, TOP_CLOSE, TOP_RXQ_SETUP,
	TOP_TXQ_SETUP, TOP_RXQ_RELEASE, TOP_TXQ_RELEASE, TOP_MTU, TOP_MAC,
	TOP_PROMISC, TOP_RESET, TOP_MAX
};

struct test_eth_priv {
	struct test_eth_cfg cfg;
	int fail_next[TOP_MAX];   /* -errno the next call of the op returns */
	unsigned int calls[TOP_MAX];
	int live_rxq, live_txq;   /* queue objects alive */
	uint64_t rx_polls;        /* driver xstat "rx_polls" */
	uint16_t last_mtu;
	uint8_t rss_key[64];
	uint64_t rss_hf;
};

/* A configuration with ordinary limits: 4+4 queues, 64..4096 descriptors
 * (multiple of 32), checksum offloads, RSS with a 40-byte key, LSC. */
void test_eth_default_cfg(struct test_eth_cfg *cfg);

/* Create a port by API; returns its id or -errno. */
int test_eth_create(const char *name, const struct test_eth_cfg *cfg);

/* A small mbuf pool for queue setups (made at first use in each EAL). */
struct keel_mempool *test_eth_pool(void);

/* The driver state of a test port (NULL when @p port_id is not one). */
struct test_eth_priv *test_eth_priv(uint16_t port_id);

#endif
