/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TP_NET_H
#define TP_NET_H

/*
 * The protocol headers keel-testpmd's engines read and write, in network
 * byte order, laid out byte for byte as on the wire (packed; addresses in
 * ARP as byte arrays so nothing needs alignment):
 *   IPv4 (RFC 791 section 3.1), UDP (RFC 768), ICMP echo (RFC 792),
 *   ARP for IPv4 over Ethernet (RFC 826), IEEE 802.1Q tag,
 * and the Internet checksum (RFC 1071) with its incremental update
 * (RFC 1624 eqn. 3).
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel_ether.h>

#define TP_IPPROTO_ICMP 1
#define TP_IPPROTO_UDP  17
#define TP_ICMP_ECHO_REPLY   0
#define TP_ICMP_ECHO_REQUEST 8
#define TP_ARP_HRD_ETHER 1      /* RFC 826 ar$hrd: Ethernet */
#define TP_ARP_OP_REQUEST 1
#define TP_ARP_OP_REPLY 2
#define TP_IPV4_VERSION_IHL 0x45 /* version 4, 5 words: no options */
#define TP_IPV4_DEF_TTL 64

struct tp_ipv4_hdr {
	uint8_t version_ihl;
	uint8_t tos;
	uint16_t total_length;
	uint16_t packet_id;
	uint16_t fragment_offset;
	uint8_t ttl;
	uint8_t next_proto_id;
	uint16_t hdr_checksum;
	uint32_t src_addr;
	uint32_t dst_addr;
} __attribute__((packed));

struct tp_udp_hdr {
	uint16_t src_port;
	uint16_t dst_port;
	uint16_t dgram_len;
	uint16_t dgram_cksum;
} __attribute__((packed));

struct tp_icmp_hdr {
	uint8_t type;
	uint8_t code;
	uint16_t cksum;
	uint16_t ident;
	uint16_t seq;
} __attribute__((packed));

struct tp_arp_hdr {
	uint16_t hrd;           /* hardware type: 1 */
	uint16_t pro;           /* protocol: 0x0800 */
	uint8_t hln;            /* 6 */
	uint8_t pln;            /* 4 */
	uint16_t op;            /* 1 request, 2 reply */
	uint8_t sha[6];         /* sender MAC */
	uint8_t spa[4];         /* sender IPv4 */
	uint8_t tha[6];         /* target MAC */
	uint8_t tpa[4];         /* target IPv4 */
} __attribute__((packed));

struct tp_vlan_hdr {
	uint16_t tci;
	uint16_t eth_proto;
} __attribute__((packed));

_Static_assert(sizeof(struct tp_ipv4_hdr) == 20, "IPv4 header");
_Static_assert(sizeof(struct tp_udp_hdr) == 8, "UDP header");
_Static_assert(sizeof(struct tp_icmp_hdr) == 8, "ICMP echo header");
_Static_assert(sizeof(struct tp_arp_hdr) == 28, "ARP for IPv4");

static inline uint16_t tp_htons(uint16_t v) { return __builtin_bswap16(v); }
static inline uint16_t tp_ntohs(uint16_t v) { return __builtin_bswap16(v); }
static inline uint32_t tp_htonl(uint32_t v) { return __builtin_bswap32(v); }

/* Sum of 16-bit big-endian words of @p buf, added to @p sum (unfolded). */
static inline uint32_t
tp_cksum_add(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;

	for (; len >= 2; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

/* Fold a sum to 16 bits and complement it: the checksum, host order. */
static inline uint16_t
tp_cksum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* IPv4 header checksum of @p ip (its checksum field taken as 0), in
 * network byte order, ready to store. */
static inline uint16_t
tp_ipv4_cksum(const struct tp_ipv4_hdr *ip)
{
	struct tp_ipv4_hdr h = *ip;

	h.hdr_checksum = 0;
	return tp_htons(tp_cksum_fold(tp_cksum_add(&h, sizeof(h), 0)));
}

/*
 * RFC 1624: the checksum after one 16-bit word changes from @p old_w to
 * @p new_w (all host order): HC' = ~(~HC + ~m + m').
 */
static inline uint16_t
tp_cksum_update(uint16_t cksum, uint16_t old_w, uint16_t new_w)
{
	uint32_t sum = (uint16_t)~cksum;

	sum += (uint16_t)~old_w;
	sum += new_w;
	return tp_cksum_fold(sum);
}

#endif /* TP_NET_H */
