/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VHOST_PROTO_H
#define KEEL_VHOST_PROTO_H

/*
 * Wire formats: the vhost-user protocol (QEMU docs/interop/vhost-user.rst,
 * "Message Specification"; numbers are in host byte order) and the virtio
 * 1.x ring layouts (OASIS virtio 1.2, 2.7 split virtqueues, 2.8 packed
 * virtqueues; rings are little-endian, which is host order on the
 * platforms Keel builds for: see the static assert in vhost_msg.c).
 *
 * Only constants and layouts live here; no code.
 */

#include <stdint.h>

/* ---- message header (vhost-user "Header") ---- */
#define VHOST_USER_VERSION          0x1u
#define VHOST_USER_VERSION_MASK     0x3u
#define VHOST_USER_REPLY_MASK       (1u << 2)
#define VHOST_USER_NEED_REPLY_MASK  (1u << 3)
#define VHOST_USER_HDR_SIZE         12u
/* most fds one message may carry (SET_MEM_TABLE's eight regions) */
#define VHOST_USER_MAX_FDS          8u

/* ---- front-end requests (vhost-user "Front-end message types") ---- */
enum vhost_user_request {
	VHOST_USER_NONE = 0,
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_SEND_RARP = 19,
	VHOST_USER_NET_SET_MTU = 20,
	VHOST_USER_SET_BACKEND_REQ_FD = 21,
	VHOST_USER_IOTLB_MSG = 22,
	VHOST_USER_SET_VRING_ENDIAN = 23,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_SET_CONFIG = 25,
	VHOST_USER_CREATE_CRYPTO_SESSION = 26,
	VHOST_USER_CLOSE_CRYPTO_SESSION = 27,
	VHOST_USER_POSTCOPY_ADVISE = 28,
	VHOST_USER_POSTCOPY_LISTEN = 29,
	VHOST_USER_POSTCOPY_END = 30,
	VHOST_USER_GET_INFLIGHT_FD = 31,
	VHOST_USER_SET_INFLIGHT_FD = 32,
	VHOST_USER_GPU_SET_SOCKET = 33,
	VHOST_USER_RESET_DEVICE = 34,
	VHOST_USER_VRING_KICK = 35,
	VHOST_USER_GET_MAX_MEM_SLOTS = 36,
	VHOST_USER_ADD_MEM_REG = 37,
	VHOST_USER_REM_MEM_REG = 38,
	VHOST_USER_SET_STATUS = 39,
	VHOST_USER_GET_STATUS = 40,
	VHOST_USER_REQUEST_MAX = 41,   /* one past the last known request */
};

/* ---- back-end requests (vhost-user "Back-end message types") ---- */
enum vhost_user_backend_request {
	VHOST_USER_BACKEND_IOTLB_MSG = 1,
	VHOST_USER_BACKEND_CONFIG_CHANGE_MSG = 2,
	VHOST_USER_BACKEND_VRING_HOST_NOTIFIER_MSG = 3,
};

/* ---- protocol features (vhost-user "Protocol features") ---- */
#define VHOST_USER_PROTOCOL_F_MQ                    0
#define VHOST_USER_PROTOCOL_F_LOG_SHMFD             1
#define VHOST_USER_PROTOCOL_F_RARP                  2
#define VHOST_USER_PROTOCOL_F_REPLY_ACK             3
#define VHOST_USER_PROTOCOL_F_NET_MTU               4
#define VHOST_USER_PROTOCOL_F_BACKEND_REQ           5
#define VHOST_USER_PROTOCOL_F_CROSS_ENDIAN          6
#define VHOST_USER_PROTOCOL_F_CRYPTO_SESSION        7
#define VHOST_USER_PROTOCOL_F_PAGEFAULT             8
#define VHOST_USER_PROTOCOL_F_CONFIG                9
#define VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD       10
#define VHOST_USER_PROTOCOL_F_HOST_NOTIFIER         11
#define VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD        12
#define VHOST_USER_PROTOCOL_F_RESET_DEVICE          13
#define VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS  14
#define VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS   15
#define VHOST_USER_PROTOCOL_F_STATUS                16

/* vhost-user's own feature bit, in the virtio feature word (bit 30, the
 * reserved UNUSED bit of virtio 1.x 6.3) */
#define VHOST_USER_F_PROTOCOL_FEATURES  30
/* vhost: dirty logging of all guest writes (linux/vhost.h) */
#define VHOST_F_LOG_ALL                 26

/* ---- virtio feature bits (virtio 1.2, 5.1.3 and 6) ---- */
#define VIRTIO_NET_F_CSUM               0
#define VIRTIO_NET_F_GUEST_CSUM         1
#define VIRTIO_NET_F_CTRL_GUEST_OFFLOADS 2
#define VIRTIO_NET_F_MTU                3
#define VIRTIO_NET_F_MAC                5
#define VIRTIO_NET_F_GUEST_TSO4         7
#define VIRTIO_NET_F_GUEST_TSO6         8
#define VIRTIO_NET_F_GUEST_ECN          9
#define VIRTIO_NET_F_GUEST_UFO          10
#define VIRTIO_NET_F_HOST_TSO4          11
#define VIRTIO_NET_F_HOST_TSO6          12
#define VIRTIO_NET_F_HOST_ECN           13
#define VIRTIO_NET_F_HOST_UFO           14
#define VIRTIO_NET_F_MRG_RXBUF          15
#define VIRTIO_NET_F_STATUS             16
#define VIRTIO_NET_F_CTRL_VQ            17
#define VIRTIO_NET_F_CTRL_RX            18
#define VIRTIO_NET_F_CTRL_VLAN          19
#define VIRTIO_NET_F_GUEST_ANNOUNCE     21
#define VIRTIO_NET_F_MQ                 22
#define VIRTIO_F_NOTIFY_ON_EMPTY        24
#define VIRTIO_F_ANY_LAYOUT             27
#define VIRTIO_RING_F_INDIRECT_DESC     28
#define VIRTIO_RING_F_EVENT_IDX         29
#define VIRTIO_F_VERSION_1              32
#define VIRTIO_F_IOMMU_PLATFORM         33
#define VIRTIO_F_RING_PACKED            34
#define VIRTIO_F_IN_ORDER               35

/* device status bits (virtio 1.2, 2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE   1u
#define VIRTIO_STATUS_DRIVER        2u
#define VIRTIO_STATUS_DRIVER_OK     4u
#define VIRTIO_STATUS_FEATURES_OK   8u
#define VIRTIO_STATUS_NEEDS_RESET   64u
#define VIRTIO_STATUS_FAILED        128u

/* ---- payloads ---- */
struct vhost_user_vring_state {
	uint32_t index;
	uint32_t num;
};

#define VHOST_VRING_F_LOG 0   /* bit of vhost_user_vring_addr.flags */
struct vhost_user_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;    /* user address, or IOVA with IOMMU_PLATFORM */
	uint64_t used;
	uint64_t avail;
	uint64_t log;     /* guest physical address of the used ring */
};

struct vhost_user_mem_region {
	uint64_t guest_addr;
	uint64_t size;
	uint64_t user_addr;
	uint64_t mmap_offset;
};

/* SET_MEM_TABLE carries at most this many regions (its fds: one each) */
#define VHOST_USER_MEM_TABLE_MAX 8u
struct vhost_user_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vhost_user_mem_region regions[VHOST_USER_MEM_TABLE_MAX];
};

struct vhost_user_mem_single {
	uint64_t padding;
	struct vhost_user_mem_region region;
};

struct vhost_user_log {
	uint64_t size;
	uint64_t offset;
};

/* struct vhost_iotlb_msg of linux/vhost_types.h: 26 bytes + padding */
struct vhost_user_iotlb {
	uint64_t iova;
	uint64_t size;
	uint64_t uaddr;
	uint8_t perm;
	uint8_t type;
	uint8_t pad[6];
};
#define VHOST_IOTLB_MISS        1
#define VHOST_IOTLB_UPDATE      2
#define VHOST_IOTLB_INVALIDATE  3
#define VHOST_IOTLB_ACCESS_FAIL 4
#define VHOST_ACCESS_RO 1u
#define VHOST_ACCESS_WO 2u
#define VHOST_ACCESS_RW 3u

#define VHOST_USER_CONFIG_MAX 256u
struct vhost_user_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t payload[VHOST_USER_CONFIG_MAX];
};

struct vhost_user_inflight {
	uint64_t mmap_size;
	uint64_t mmap_offset;
	uint16_t num_queues;
	uint16_t queue_size;
};

/* SET_VRING_KICK/CALL/ERR u64: bits 0-7 index, bit 8 "no fd" */
#define VHOST_USER_VRING_IDX_MASK  0xffu
#define VHOST_USER_VRING_NOFD_MASK (1u << 8)

union vhost_user_payload {
	uint64_t u64;
	struct vhost_user_vring_state state;
	struct vhost_user_vring_addr addr;
	struct vhost_user_mem_table mem;
	struct vhost_user_mem_single mem_single;
	struct vhost_user_log log;
	struct vhost_user_iotlb iotlb;
	struct vhost_user_config config;
	struct vhost_user_inflight inflight;
};

/* In memory the payload is 8-byte aligned after the 12-byte header; on
 * the wire it follows the header directly (vhost_msg_send/recv split it). */
struct vhost_user_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	uint32_t pad_;            /* not sent */
	union vhost_user_payload payload;
};

/* ---- split virtqueue (virtio 1.2, 2.7) ---- */
#define VRING_DESC_F_NEXT      1u
#define VRING_DESC_F_WRITE     2u
#define VRING_DESC_F_INDIRECT  4u
#define VRING_USED_F_NO_NOTIFY     1u
#define VRING_AVAIL_F_NO_INTERRUPT 1u

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];   /* then uint16_t used_event */
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[];  /* then uint16_t avail_event */
};

/* bytes of each part for a ring of n entries (2.7: the trailing event
 * index field is always counted, as drivers always allocate it) */
#define VRING_DESC_SIZE(n)  ((uint64_t)(n) * 16u)
#define VRING_AVAIL_SIZE(n) (4u + (uint64_t)(n) * 2u + 2u)
#define VRING_USED_SIZE(n)  (4u + (uint64_t)(n) * 8u + 2u)

/* 2.7.10: the device should notify when the driver's event index was
 * passed by the last batch [old, new_idx) */
static inline int
vring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

/* ---- packed virtqueue (virtio 1.2, 2.8) ---- */
#define VRING_PACKED_DESC_F_AVAIL (1u << 7)
#define VRING_PACKED_DESC_F_USED  (1u << 15)
#define VRING_PACKED_EVENT_F_ENABLE  0u
#define VRING_PACKED_EVENT_F_DISABLE 1u
#define VRING_PACKED_EVENT_F_DESC    2u
#define VRING_PACKED_EVENT_WRAP      15   /* bit of off_wrap */

struct vring_packed_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

struct vring_packed_event {
	uint16_t off_wrap;
	uint16_t flags;
};

/* largest ring: 2.7 (split, a power of 2) and 2.8 (packed, any size) */
#define VHOST_VRING_SIZE_MAX 32768u

/* ---- virtio-net header (virtio 1.2, 5.1.6) ---- */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1u
#define VIRTIO_NET_HDR_F_DATA_VALID 2u
#define VIRTIO_NET_HDR_GSO_NONE     0u
#define VIRTIO_NET_HDR_GSO_TCPV4    1u
#define VIRTIO_NET_HDR_GSO_UDP      3u
#define VIRTIO_NET_HDR_GSO_TCPV6    4u
#define VIRTIO_NET_HDR_GSO_ECN      0x80u

struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

struct virtio_net_hdr_mrg {
	struct virtio_net_hdr hdr;
	uint16_t num_buffers;
};

#endif /* KEEL_VHOST_PROTO_H */
