/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VHOST_H
#define KEEL_VHOST_H

/**
 * @file
 * vhost-user back-end: a virtio-net device whose driver is a VM (QEMU) or
 * another process (a virtio_user port), reached through a unix socket.
 *
 * The API mirrors DPDK 22.11's rte_vhost.h: register a socket path
 * (server or client), give it callbacks, start it; each connection becomes
 * a device with an id ("vid"); once the front-end has set up the first
 * queue pair, new_device() is called and the application moves packets
 * with keel_vhost_enqueue_burst() (host to guest, even queue ids: the
 * guest's receive queues) and keel_vhost_dequeue_burst() (guest to host,
 * odd ids) from its polling lcores.
 *
 * Where Keel differs from DPDK:
 *  - Every message is checked against one table (exact size, fd count,
 *    the feature it needs) before any handler sees it; fds a message should
 *    not carry are closed; a malformed message closes the connection (or is
 *    nacked when the front-end asked for a reply).
 *  - The front-end and the guest are untrusted: descriptors and headers are
 *    read once, every chain walk is bounded by the ring size, every
 *    address is checked against guest memory with overflow-safe arithmetic.
 *    A queue whose ring is corrupt is marked broken (its err eventfd is
 *    signalled) and stops; other queues go on.
 *  - With a vIOMMU (VIRTIO_F_IOMMU_PLATFORM) a missing translation pauses
 *    the queue at that descriptor until the front-end's IOTLB update
 *    arrives; no packet is dropped for it (DPDK 22.11 drops it).
 *  - A new memory table is applied as a difference: regions that did not
 *    change stay mapped.
 *  - The datapath never waits for the control thread: bursts try-lock
 *    their queue and return 0 while the control thread reconfigures it.
 *
 * Threads: one dispatcher thread per process handles every socket and
 * message and calls the callbacks. The burst functions are called from any
 * thread, one thread per queue at a time.
 *
 * Errors: functions returning int return 0 (or a count) or a negative
 * errno, with errno set too; each refusal is logged (component "vhost").
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct keel_mbuf;
struct keel_mempool;

/** Register flag: connect to the socket instead of listening on it. */
#define KEEL_VHOST_USER_CLIENT          (1ULL << 0)
/** Register flag: in client mode, do not reconnect after a disconnect. */
#define KEEL_VHOST_USER_NO_RECONNECT    (1ULL << 1)
/** Register flag: offer VIRTIO_F_IOMMU_PLATFORM (vIOMMU, IOTLB messages). */
#define KEEL_VHOST_USER_IOMMU_SUPPORT   (1ULL << 3)
/** Register flag: report offloads with the checksum-compliant mbuf flags
 *  (DPDK's RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS). */
#define KEEL_VHOST_USER_NET_COMPLIANT_OL_FLAGS (1ULL << 8)

/** Most devices (connections) at once in a process. */
#define KEEL_VHOST_MAX_DEVICES 1024
/** Most queue pairs per device (256 virtqueues: the 8-bit vring index). */
#define KEEL_VHOST_MAX_QUEUE_PAIRS 128
/** Most guest memory regions per device (GET_MAX_MEM_SLOTS). */
#define KEEL_VHOST_MAX_MEM_REGIONS 32

/** Application callbacks, called from the dispatcher thread. */
struct keel_vhost_device_ops {
	/** The device is ready: its first queue pair can move packets.
	 *  A non-zero return refuses the device (it stays unusable). */
	int (*new_device)(int vid);
	/** The device stops (disconnect, reset, a queue stopped). When this
	 *  returns the application must not call bursts on @p vid until a
	 *  new new_device(). */
	void (*destroy_device)(int vid);
	/** A queue of a running device became usable (1) or not (0). */
	int (*vring_state_changed)(int vid, uint16_t queue_id, int enable);
	/** The front-end changed the negotiated features (e.g. LOG_ALL). */
	int (*features_changed)(int vid, uint64_t features);
	/** A connection was established (device @p vid created). */
	int (*new_connection)(int vid);
	/** A connection ended; @p vid is released after this returns. */
	void (*destroy_connection)(int vid);
};

/**
 * Register a vhost-user socket.
 *
 * @param path   unix socket path (at most 107 bytes)
 * @param flags  KEEL_VHOST_USER_* flags
 * @return 0, or -EINVAL (bad path or flags), -EEXIST (path registered),
 *         -ENOMEM.
 */
int keel_vhost_driver_register(const char *path, uint64_t flags);

/**
 * Close the socket and every connection on it (destroy_device and
 * destroy_connection are called for each device first) and forget it.
 * Must not be called from a callback.
 * @return 0, or -ENOENT, -EDEADLK (called from a callback).
 */
int keel_vhost_driver_unregister(const char *path);

/** Set the callbacks of a registered path (before start). */
int keel_vhost_driver_callback_register(const char *path,
		const struct keel_vhost_device_ops *ops);

/**
 * Start listening (server) or connecting (client). A client that cannot
 * connect retries every second unless KEEL_VHOST_USER_NO_RECONNECT, in
 * which case the error is returned.
 * @return 0, or -ENOENT (not registered), -EALREADY (started),
 *         -EADDRINUSE (another process listens on the path), or the
 *         socket error.
 */
int keel_vhost_driver_start(const char *path);

/** Virtio features offered on @p path (default: everything Keel supports). */
int keel_vhost_driver_set_features(const char *path, uint64_t features);
/** Add features to those offered (only ones Keel supports: -ENOTSUP). */
int keel_vhost_driver_enable_features(const char *path, uint64_t features);
/** Remove features from those offered. */
int keel_vhost_driver_disable_features(const char *path, uint64_t features);
/** Features offered on @p path. */
int keel_vhost_driver_get_features(const char *path, uint64_t *features);
/** Protocol features offered (a subset of what Keel supports). */
int keel_vhost_driver_set_protocol_features(const char *path,
					    uint64_t features);
/** Protocol features offered on @p path. */
int keel_vhost_driver_get_protocol_features(const char *path,
					    uint64_t *features);
/** Most queue pairs offered (GET_QUEUE_NUM; default 1, max 128). */
int keel_vhost_driver_set_max_queue_num(const char *path, uint32_t max);
/** Queue pairs offered on @p path (what GET_QUEUE_NUM answers). */
int keel_vhost_driver_get_queue_num(const char *path, uint32_t *num);

/** The path a device's connection belongs to. */
int keel_vhost_get_ifname(int vid, char *buf, size_t len);
/** Features the front-end acknowledged. */
int keel_vhost_get_negotiated_features(int vid, uint64_t *features);
/** Protocol features the front-end acknowledged. */
int keel_vhost_get_negotiated_protocol_features(int vid, uint64_t *features);
/** Number of virtqueues the front-end set up (2 per queue pair). */
uint16_t keel_vhost_get_vring_num(int vid);
/** MTU set by NET_SET_MTU (-ENOENT when none). */
int keel_vhost_get_mtu(int vid, uint16_t *mtu);
/** Ask the guest to kick (1) or not (0) when it adds buffers. */
int keel_vhost_enable_guest_notification(int vid, uint16_t queue_id,
					 int enable);
/** Signal the guest for queue @p queue_id (its call eventfd). */
int keel_vhost_vring_call(int vid, uint16_t queue_id);
/** Buffers the guest has made available and the device not yet taken. */
uint16_t keel_vhost_avail_entries(int vid, uint16_t queue_id);

/** Per-virtqueue counters. */
struct keel_vhost_vring_stats {
	uint64_t packets;         /**< packets moved */
	uint64_t bytes;           /**< payload bytes moved */
	uint64_t bad_chains;      /**< chains returned unused: address not in
				       guest memory, wrong direction, too long */
	uint64_t iotlb_misses;    /**< IOTLB misses requested */
	uint64_t iotlb_paused;    /**< bursts that found the queue paused */
	uint64_t broken;          /**< 1 once the ring was found corrupt */
	uint64_t guest_notified;  /**< call eventfd writes */
	uint64_t no_buffers;      /**< enqueues that found no guest buffer */
	uint64_t dropped;         /**< packets dropped: larger than the
				       guest's buffers or VHOST_MAX_PKT, an
				       offload the guest cannot take */
	uint64_t bad_headers;     /**< guest headers that did not match the
				       packet (offload flags left clear) */
	uint64_t failed;          /**< async queues: packets whose copy
				       failed (not delivered; see
				       keel_vhost_async.h) */
};

/** Read a queue's counters. @return 0, -EINVAL, -ENODEV. */
int keel_vhost_vring_stats_get(int vid, uint16_t queue_id,
			       struct keel_vhost_vring_stats *st);

/**
 * Copy packets into the guest's receive queue @p queue_id (an even id: 0
 * is the first queue pair's). The caller keeps the mbufs: they are not
 * freed. Mergeable receive buffers, checksum and segmentation offloads
 * (to the virtio-net header, or finished in software when the guest did
 * not negotiate them) are handled. A packet the guest cannot take (larger
 * than its buffers without MRG_RXBUF, an offload it did not negotiate) is
 * counted as dropped and counted in the return value.
 *
 * @return the number of packets taken from @p pkts (0 when the queue is
 *         not ready, has no guest buffers, waits for an IOTLB update or is
 *         being reconfigured; the rest stays with the caller).
 */
uint16_t keel_vhost_enqueue_burst(int vid, uint16_t queue_id,
				  struct keel_mbuf **pkts, uint16_t count);

/**
 * Take packets from the guest's transmit queue @p queue_id (an odd id)
 * into mbufs from @p mp (chained when a packet is larger than one). The
 * virtio-net header becomes offload flags (DPDK's legacy flags, or the
 * compliant ones with KEEL_VHOST_USER_NET_COMPLIANT_OL_FLAGS). A RARP
 * the front-end asked for (SEND_RARP) comes first.
 *
 * @return the number of packets in @p pkts.
 */
uint16_t keel_vhost_dequeue_burst(int vid, uint16_t queue_id,
				  struct keel_mempool *mp,
				  struct keel_mbuf **pkts, uint16_t count);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_VHOST_H */
