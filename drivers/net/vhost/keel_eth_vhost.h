/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_ETH_VHOST_H
#define KEEL_ETH_VHOST_H

/**
 * @file
 * net_vhost: a vhost-user socket as an ethdev port (DPDK 22.11's
 * rte_eth_vhost.h with the keel_ prefix).
 *
 *     --vdev 'net_vhost0,iface=/tmp/vh.sock[,client=1][,queues=N]
 *             [,iommu-support=1][,compliant-ol-flags=1]'
 *
 * The link is up while a front-end has the port's first queue pair
 * running (and the port is started). Each queue a front-end enables or
 * disables raises KEEL_ETH_EVENT_QUEUE_STATE; keel_eth_vhost_get_queue_event()
 * says which. Rx queue q takes the guest's transmit virtqueue 2q+1, Tx
 * queue q fills its receive virtqueue 2q.
 */

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A queue the front-end enabled or disabled. */
struct keel_eth_vhost_queue_event {
	uint16_t queue_id;  /**< the port's queue */
	bool rx;            /**< an Rx queue (guest transmit) */
	bool enable;        /**< usable now */
};

/**
 * Take the oldest queue event of a net_vhost port.
 * @return 0 (event filled), -EAGAIN (none), -ENODEV (not a vhost port).
 */
int keel_eth_vhost_get_queue_event(uint16_t port_id,
				   struct keel_eth_vhost_queue_event *event);

/** The vhost device id behind a port, or -1 (none connected / not vhost). */
int keel_eth_vhost_get_vid_from_port_id(uint16_t port_id);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_ETH_VHOST_H */
