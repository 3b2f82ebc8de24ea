/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VHOST_NET_H
#define KEEL_VHOST_NET_H

/*
 * The net device's data path pieces: header parsing, the virtio-net
 * header <-> mbuf offloads (vhost_net_hdr.c), checksum fix-ups done on the
 * guest's copy. See vhost_net_hdr.c for the mapping.
 */
#include "vhost_internal.h"

struct keel_mbuf;

/* lengths of a packet's headers (bytes); proto: IP protocol, 0 if none */
struct vhost_net_l {
	uint32_t l2, l3, l4;
	uint8_t proto;
	uint8_t ipv4;
};

/* parse Ethernet (VLAN/QinQ), IPv4/IPv6, TCP/UDP: 0, or -1 when the
 * headers are not all within [p, p + len) */
int vhost_net_parse(const uint8_t *p, uint32_t len, struct vhost_net_l *l);

/* checksums to finish in the guest's copy (offsets from the packet) */
struct vhost_net_fixup {
	uint32_t ip_csum_at;     /* IPv4 header start; 0 = none */
	uint32_t ip_hlen;
	uint32_t l4_csum_start;  /* first byte summed */
	uint32_t l4_csum_at;     /* where the sum goes; 0 = none */
};

/* header for a packet going to the guest; -1 when the guest cannot take
 * the offload it asks for (the packet is dropped) */
int vhost_net_hdr_from_mbuf(const struct keel_mbuf *m, uint64_t features,
			    struct virtio_net_hdr *h,
			    struct vhost_net_fixup *fx);
/* finish checksums in the guest's copy (pieces of the whole chain, the
 * packet starting after hdr_len bytes) */
void vhost_net_fixup(const struct vhost_piece *pc, uint32_t n,
		     uint32_t hdr_len, uint32_t pkt_len,
		     const struct vhost_net_fixup *fx);
/* ones' complement sum of [off, off + len) of the pieces, plus @p sum */
uint16_t vhost_net_csum_pieces(const struct vhost_piece *pc, uint32_t n,
			       uint32_t off, uint32_t len, uint32_t sum);
/* offload flags of a packet from the guest: 0, or -1 for a header that
 * does not match the packet (the flags stay clear) */
int vhost_net_hdr_to_mbuf(const struct virtio_net_hdr *h, struct keel_mbuf *m,
			  int compliant);

#endif /* KEEL_VHOST_NET_H */
