/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_ETHER_H
#define KEEL_ETHER_H

/**
 * @file
 * Ethernet addresses and the Ethernet header (IEEE 802.3 clause 3.1.1), as
 * DPDK's rte_ether.h: struct keel_ether_addr, struct keel_ether_hdr, the
 * EtherType constants and small address helpers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KEEL_ETHER_ADDR_LEN   6    /**< bytes in a MAC address */
#define KEEL_ETHER_TYPE_LEN   2    /**< bytes in an EtherType */
#define KEEL_ETHER_CRC_LEN    4    /**< bytes in the frame check sequence */
#define KEEL_ETHER_HDR_LEN    14   /**< destination + source + EtherType */
#define KEEL_ETHER_MIN_LEN    64   /**< shortest frame, FCS included */
#define KEEL_ETHER_MAX_LEN    1518 /**< longest untagged frame, FCS included */
#define KEEL_ETHER_MTU        1500 /**< default MTU: MAX_LEN - HDR - CRC */
#define KEEL_ETHER_MIN_MTU    68   /**< smallest IPv4 MTU (RFC 791) */
/** Frame overhead over the MTU: header + FCS. */
#define KEEL_ETHER_HDR_CRC_LEN (KEEL_ETHER_HDR_LEN + KEEL_ETHER_CRC_LEN)

/** Length of "xx:xx:xx:xx:xx:xx" with its NUL. */
#define KEEL_ETHER_ADDR_FMT_SIZE 18

#define KEEL_ETHER_TYPE_IPV4 0x0800 /**< IPv4 */
#define KEEL_ETHER_TYPE_ARP  0x0806 /**< ARP (RFC 826) */
#define KEEL_ETHER_TYPE_VLAN 0x8100 /**< IEEE 802.1Q tag */
#define KEEL_ETHER_TYPE_IPV6 0x86DD /**< IPv6 */

/** A 48-bit MAC address, in network byte order. */
struct keel_ether_addr {
	uint8_t addr_bytes[KEEL_ETHER_ADDR_LEN]; /**< byte 0 is sent first */
} __attribute__((aligned(2)));

/** Ethernet header; ether_type in network byte order. */
struct keel_ether_hdr {
	struct keel_ether_addr dst_addr; /**< destination */
	struct keel_ether_addr src_addr; /**< source */
	uint16_t ether_type;             /**< EtherType, big endian */
} __attribute__((aligned(2)));

/** @return true when the two addresses are equal. */
static inline bool
keel_is_same_ether_addr(const struct keel_ether_addr *a,
			const struct keel_ether_addr *b)
{
	for (int i = 0; i < KEEL_ETHER_ADDR_LEN; i++)
		if (a->addr_bytes[i] != b->addr_bytes[i])
			return false;
	return true;
}

/** @return true for 00:00:00:00:00:00. */
static inline bool
keel_is_zero_ether_addr(const struct keel_ether_addr *a)
{
	for (int i = 0; i < KEEL_ETHER_ADDR_LEN; i++)
		if (a->addr_bytes[i] != 0)
			return false;
	return true;
}

/** @return true for a group (multicast or broadcast) address: I/G bit set. */
static inline bool
keel_is_multicast_ether_addr(const struct keel_ether_addr *a)
{
	return (a->addr_bytes[0] & 0x01) != 0;
}

/** @return true for ff:ff:ff:ff:ff:ff. */
static inline bool
keel_is_broadcast_ether_addr(const struct keel_ether_addr *a)
{
	for (int i = 0; i < KEEL_ETHER_ADDR_LEN; i++)
		if (a->addr_bytes[i] != 0xff)
			return false;
	return true;
}

/** @return true for an individual (unicast) address. */
static inline bool
keel_is_unicast_ether_addr(const struct keel_ether_addr *a)
{
	return !keel_is_multicast_ether_addr(a);
}

/** @return true for a locally administered address (U/L bit set). */
static inline bool
keel_is_local_admin_ether_addr(const struct keel_ether_addr *a)
{
	return (a->addr_bytes[0] & 0x02) != 0;
}

/** @return true for a unicast, non-zero address: one a port may own. */
static inline bool
keel_is_valid_assigned_ether_addr(const struct keel_ether_addr *a)
{
	return keel_is_unicast_ether_addr(a) && !keel_is_zero_ether_addr(a);
}

/** Copy an address. */
static inline void
keel_ether_addr_copy(const struct keel_ether_addr *from,
		     struct keel_ether_addr *to)
{
	*to = *from;
}

/**
 * Fill @p addr with a random unicast, locally administered address (the
 * kind a virtual port gives itself).
 */
void keel_eth_random_addr(uint8_t *addr);

/**
 * Write "xx:xx:xx:xx:xx:xx" to @p buf (at least KEEL_ETHER_ADDR_FMT_SIZE
 * bytes for the whole text; shorter buffers get a truncated string).
 */
void keel_ether_format_addr(char *buf, uint16_t size,
			    const struct keel_ether_addr *addr);

/**
 * Parse "xx:xx:xx:xx:xx:xx" (or with '-' separators) into @p addr.
 * @return 0, or -EINVAL (addr untouched).
 */
int keel_ether_unformat_addr(const char *str, struct keel_ether_addr *addr);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_ETHER_H */
