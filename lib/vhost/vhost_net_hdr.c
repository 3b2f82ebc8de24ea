/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtio-net header (virtio 1.2, 5.1.6) and mbuf offload flags, both
 * ways:
 *  - to the guest (enqueue): an mbuf asking for an L4 checksum becomes
 *    NEEDS_CSUM with csum_start/offset when the guest negotiated
 *    GUEST_CSUM, else the checksum is computed here (into the guest's
 *    copy, never into the caller's mbuf); an IPv4 header checksum asked
 *    for is always computed here (virtio cannot carry it); TSO/UFO becomes
 *    a GSO type when the guest negotiated the matching GUEST_* feature;
 *    an mbuf whose L4 checksum a NIC found good becomes DATA_VALID.
 *  - from the guest (dequeue): NEEDS_CSUM and GSO types become the
 *    offload flags DPDK 22.11's vhost library sets (Tx checksum/TSO
 *    requests, "legacy" flags), or with NET_COMPLIANT_OL_FLAGS the
 *    Rx-side meaning (L4 checksum not computed but data valid).
 * The packet's headers are parsed from the first segment only, read
 * once, bounds-checked; anything unparsable leaves the flags clear.
 * Stateless; no locks.
 */
#include <string.h>

#include "keel_mbuf.h"
#include "vhost_net.h"

#define ETH_HLEN 14
#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_VLAN 0x8100
#define ETH_P_QINQ 0x88a8
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define TCP_CSUM_OFF 16   /* RFC 9293 3.1 */
#define UDP_CSUM_OFF 6    /* RFC 768 */

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int
vhost_net_parse(const uint8_t *p, uint32_t len, struct vhost_net_l *l)
{
	uint32_t off = ETH_HLEN;
	uint16_t type;

	memset(l, 0, sizeof(*l));
	if (len < ETH_HLEN)
		return -1;
	type = be16(p + 12);
	while ((type == ETH_P_VLAN || type == ETH_P_QINQ) && off + 4 <= len) {
		type = be16(p + off + 2);
		off += 4;
	}
	l->l2 = off;
	if (type == ETH_P_IPV4) {
		if (off + 20 > len || (p[off] >> 4) != 4)
			return -1;
		l->l3 = (uint32_t)(p[off] & 0xf) * 4;
		if (l->l3 < 20 || off + l->l3 > len)
			return -1;
		l->ipv4 = 1;
		l->proto = p[off + 9];
	} else if (type == ETH_P_IPV6) {
		if (off + 40 > len)
			return -1;
		l->l3 = 40;        /* extension headers are not followed */
		l->proto = p[off + 6];
	} else {
		return -1;
	}
	off += l->l3;
	if (l->proto == IPPROTO_TCP_) {
		if (off + 20 > len)
			return -1;
		l->l4 = (uint32_t)(p[off + 12] >> 4) * 4;
		if (l->l4 < 20 || off + l->l4 > len)
			return -1;
	} else if (l->proto == IPPROTO_UDP_) {
		if (off + 8 > len)
			return -1;
		l->l4 = 8;
	}
	return 0;
}

/* ---- to the guest ---- */

/* ones' complement sum of a byte run (RFC 1071), odd start handled */
static uint32_t
sum16(const uint8_t *p, uint32_t len, uint32_t sum, int *odd)
{
	uint32_t i = 0;

	if (*odd && len > 0) {
		sum += p[0];
		i = 1;
		*odd = 0;
	}
	for (; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len) {
		sum += (uint32_t)p[i] << 8;
		*odd = 1;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

uint16_t
vhost_net_csum_pieces(const struct vhost_piece *pc, uint32_t n, uint32_t off,
		      uint32_t len, uint32_t sum)
{
	uint32_t i;
	int odd = 0;

	for (i = 0; i < n && len > 0; i++) {
		uint32_t take;

		if (off >= pc[i].len) {
			off -= pc[i].len;
			continue;
		}
		take = pc[i].len - off < len ? pc[i].len - off : len;
		sum = sum16(pc[i].host + off, take, sum, &odd);
		len -= take;
		off = 0;
	}
	return (uint16_t)sum;
}

int
vhost_net_hdr_from_mbuf(const struct keel_mbuf *m, uint64_t features,
			struct virtio_net_hdr *h, struct vhost_net_fixup *fx)
{
	uint64_t f = m->ol_flags;
	uint64_t l4 = f & KEEL_MBUF_F_TX_L4_MASK;
	struct vhost_net_l l;

	memset(h, 0, sizeof(*h));
	memset(fx, 0, sizeof(*fx));
	if (!(f & (KEEL_MBUF_F_TX_L4_MASK | KEEL_MBUF_F_TX_IP_CKSUM |
		   KEEL_MBUF_F_TX_TCP_SEG | KEEL_MBUF_F_TX_UDP_SEG))) {
		if ((f & KEEL_MBUF_F_RX_L4_CKSUM_MASK) ==
		    KEEL_MBUF_F_RX_L4_CKSUM_GOOD &&
		    (features >> VIRTIO_NET_F_GUEST_CSUM) & 1)
			h->flags = VIRTIO_NET_HDR_F_DATA_VALID;
		return 0;
	}
	/* the mbuf's own lengths when it has them, else parse */
	if (m->l2_len && m->l3_len) {
		memset(&l, 0, sizeof(l));
		l.l2 = m->l2_len;
		l.l3 = m->l3_len;
		l.l4 = m->l4_len;
		l.ipv4 = (f & KEEL_MBUF_F_TX_IPV4) != 0;
	} else if (vhost_net_parse(keel_pktmbuf_mtod(m, const uint8_t *),
				   m->data_len, &l) != 0) {
		return -1;
	}
	if ((f & KEEL_MBUF_F_TX_IP_CKSUM) && l.ipv4) {
		fx->ip_csum_at = l.l2;     /* done after the copy */
		fx->ip_hlen = l.l3;
	}
	if (f & (KEEL_MBUF_F_TX_TCP_SEG | KEEL_MBUF_F_TX_UDP_SEG)) {
		int tcp = (f & KEEL_MBUF_F_TX_TCP_SEG) != 0;
		unsigned int need = tcp ? (l.ipv4 ? VIRTIO_NET_F_GUEST_TSO4 :
					  VIRTIO_NET_F_GUEST_TSO6) :
				    VIRTIO_NET_F_GUEST_UFO;

		if (!((features >> need) & 1) ||
		    !((features >> VIRTIO_NET_F_GUEST_CSUM) & 1))
			return -1;     /* the guest cannot take it */
		h->gso_type = (uint8_t)(tcp ? (l.ipv4 ? VIRTIO_NET_HDR_GSO_TCPV4 :
					       VIRTIO_NET_HDR_GSO_TCPV6) :
					VIRTIO_NET_HDR_GSO_UDP);
		h->gso_size = (uint16_t)m->tso_segsz;
		h->hdr_len = (uint16_t)(l.l2 + l.l3 + l.l4);
		l4 = tcp ? KEEL_MBUF_F_TX_TCP_CKSUM : KEEL_MBUF_F_TX_UDP_CKSUM;
	}
	if (l4 == KEEL_MBUF_F_TX_TCP_CKSUM || l4 == KEEL_MBUF_F_TX_UDP_CKSUM) {
		uint16_t at = l4 == KEEL_MBUF_F_TX_TCP_CKSUM ? TCP_CSUM_OFF :
							       UDP_CSUM_OFF;

		if ((features >> VIRTIO_NET_F_GUEST_CSUM) & 1) {
			h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			h->csum_start = (uint16_t)(l.l2 + l.l3);
			h->csum_offset = at;
		} else {
			/* the checksum field holds the pseudo-header sum (the
			 * DPDK convention for Tx offloads): finish it here */
			fx->l4_csum_start = l.l2 + l.l3;
			fx->l4_csum_at = l.l2 + l.l3 + at;
		}
	}
	return 0;
}

/* write a 16-bit big-endian value at byte off of the pieces */
static void
put16(const struct vhost_piece *pc, uint32_t n, uint32_t off, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	uint32_t i, k = 0;

	for (i = 0; i < n && k < 2; i++) {
		while (k < 2 && off < pc[i].len)
			pc[i].host[off++] = b[k++];
		off -= pc[i].len;
	}
}

void
vhost_net_fixup(const struct vhost_piece *pc, uint32_t n, uint32_t hdr_len,
		uint32_t pkt_len, const struct vhost_net_fixup *fx)
{
	if (fx->ip_csum_at) {
		uint32_t at = hdr_len + fx->ip_csum_at;
		uint16_t s;

		put16(pc, n, at + 10, 0);
		s = vhost_net_csum_pieces(pc, n, at, fx->ip_hlen, 0);
		put16(pc, n, at + 10, (uint16_t)~s);
	}
	if (fx->l4_csum_at && pkt_len > fx->l4_csum_start) {
		/* the field holds the pseudo-header sum already */
		uint16_t s = vhost_net_csum_pieces(pc, n,
					hdr_len + fx->l4_csum_start,
					pkt_len - fx->l4_csum_start, 0);

		uint16_t c = (uint16_t)~s;

		/* UDP sends 0 as 0xffff (RFC 768); the same sum for TCP */
		put16(pc, n, hdr_len + fx->l4_csum_at, c != 0 ? c : 0xffff);
	}
}

/* ---- from the guest ---- */

int
vhost_net_hdr_to_mbuf(const struct virtio_net_hdr *h, struct keel_mbuf *m,
		      int compliant)
{
	struct vhost_net_l l;
	uint8_t gso = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

	if (h->flags == 0 && gso == VIRTIO_NET_HDR_GSO_NONE)
		return 0;
	if (h->flags & VIRTIO_NET_HDR_F_DATA_VALID && !compliant) {
		m->ol_flags |= KEEL_MBUF_F_RX_L4_CKSUM_GOOD;
		return 0;
	}
	if (vhost_net_parse(keel_pktmbuf_mtod(m, const uint8_t *), m->data_len,
			    &l) != 0 || l.proto == 0)
		return -1;
	m->l2_len = l.l2;
	m->l3_len = l.l3;
	m->l4_len = l.l4;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		uint32_t start = l.l2 + l.l3;

		if (h->csum_start != start ||
		    (h->csum_offset != TCP_CSUM_OFF &&
		     h->csum_offset != UDP_CSUM_OFF))
			return -1;     /* not where a TCP/UDP checksum sits */
		if (compliant)
			m->ol_flags |= KEEL_MBUF_F_RX_L4_CKSUM_NONE;
		else
			m->ol_flags |= (l.proto == IPPROTO_TCP_ ?
					KEEL_MBUF_F_TX_TCP_CKSUM :
					KEEL_MBUF_F_TX_UDP_CKSUM) |
				       (l.ipv4 ? KEEL_MBUF_F_TX_IPV4 :
						 KEEL_MBUF_F_TX_IPV6);
	}
	if (gso != VIRTIO_NET_HDR_GSO_NONE) {
		if (h->gso_size == 0 ||
		    (gso == VIRTIO_NET_HDR_GSO_UDP) != (l.proto == IPPROTO_UDP_))
			return -1;
		m->tso_segsz = h->gso_size;
		if (compliant)
			m->ol_flags |= KEEL_MBUF_F_RX_LRO;
		else
			m->ol_flags |= (gso == VIRTIO_NET_HDR_GSO_UDP ?
					KEEL_MBUF_F_TX_UDP_SEG :
					KEEL_MBUF_F_TX_TCP_SEG) |
				       (l.ipv4 ? KEEL_MBUF_F_TX_IPV4 :
						 KEEL_MBUF_F_TX_IPV6);
	}
	return 0;
}
