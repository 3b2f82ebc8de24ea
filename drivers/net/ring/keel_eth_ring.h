/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_ETH_RING_H
#define KEEL_ETH_RING_H

/**
 * @file
 * net_ring: Ethernet ports backed by Keel rings (keel_ring.h), so two ports,
 * or two pipeline stages, in one process exchange mbufs: what one port's Tx
 * queue enqueues, the port reading that ring receives, once each, in order,
 * untouched. As DPDK's rte_eth_ring.h.
 *
 * From the command line:
 *   --vdev net_ring0                  loopback: Tx queue i feeds Rx queue i
 *                                     (rings made by the driver)
 *   --vdev net_ring0,queues=4,size=4096
 *   --vdev net_ring0,rx=r01,tx=r10 --vdev net_ring1,rx=r10,tx=r01
 *                                     a pair: rings looked up by name,
 *                                     created when absent, freed with the
 *                                     last port that uses them
 * By API: keel_eth_from_rings() / keel_eth_from_ring() with rings the
 * application owns (the port never frees them).
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct keel_ring;

/**
 * Create a port whose Rx queue i dequeues from @p rx_queues[i] and whose Tx
 * queue i enqueues to @p tx_queues[i]. The rings stay the caller's; they
 * must outlive the port. The port is configured with nb_rx_queues and
 * nb_tx_queues at most (descriptor counts are ignored: the ring size
 * rules).
 *
 * @return the port id, or -1 with errno: EINVAL (NULL or too many rings,
 *         bad name), EEXIST (name in use), ENOSPC (no port id), ENOMEM.
 */
int keel_eth_from_rings(const char *name, struct keel_ring *const rx_queues[],
			unsigned int nb_rx_queues,
			struct keel_ring *const tx_queues[],
			unsigned int nb_tx_queues, unsigned int numa_node);

/**
 * A port on one ring for both directions (a loopback), named after it.
 * @return the port id, or -1 with errno as keel_eth_from_rings().
 */
int keel_eth_from_ring(struct keel_ring *r);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_ETH_RING_H */
