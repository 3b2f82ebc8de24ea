/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_MBUF_PTYPE_H
#define KEEL_MBUF_PTYPE_H

/**
 * @file
 * Packet types (keel_mbuf.packet_type): what a driver or a parser found
 * in a packet, one 4-bit field per layer. Values are DPDK 22.11's
 * RTE_PTYPE_* with the KEEL_ prefix, so drivers and applications port
 * as they are.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KEEL_PTYPE_UNKNOWN                   0x00000000 /**< no type known */
/**
 * @name Outer layer 2 (bits 0-3)
 * @{
 */
#define KEEL_PTYPE_L2_ETHER                  0x00000001 /**< Ethernet */
#define KEEL_PTYPE_L2_ETHER_TIMESYNC         0x00000002 /**< Ethernet, IEEE 1588 (PTP) */
#define KEEL_PTYPE_L2_ETHER_ARP              0x00000003 /**< Ethernet, ARP */
#define KEEL_PTYPE_L2_ETHER_LLDP             0x00000004 /**< Ethernet, LLDP */
#define KEEL_PTYPE_L2_ETHER_NSH              0x00000005 /**< Ethernet, NSH */
#define KEEL_PTYPE_L2_ETHER_VLAN             0x00000006 /**< Ethernet, one VLAN tag */
#define KEEL_PTYPE_L2_ETHER_QINQ             0x00000007 /**< Ethernet, two VLAN tags */
#define KEEL_PTYPE_L2_ETHER_PPPOE            0x00000008 /**< Ethernet, PPPoE */
#define KEEL_PTYPE_L2_ETHER_FCOE             0x00000009 /**< Ethernet, FCoE */
#define KEEL_PTYPE_L2_ETHER_MPLS             0x0000000a /**< Ethernet, MPLS */
#define KEEL_PTYPE_L2_MASK                   0x0000000f /**< the L2 field */
/** @} */

/**
 * @name Outer layer 3 (bits 4-7)
 * @{
 */
#define KEEL_PTYPE_L3_IPV4                   0x00000010 /**< IPv4 without options */
#define KEEL_PTYPE_L3_IPV4_EXT               0x00000030 /**< IPv4 with options */
#define KEEL_PTYPE_L3_IPV6                   0x00000040 /**< IPv6 without extensions */
#define KEEL_PTYPE_L3_IPV4_EXT_UNKNOWN       0x00000090 /**< IPv4, options unknown */
#define KEEL_PTYPE_L3_IPV6_EXT               0x000000c0 /**< IPv6 with extensions */
#define KEEL_PTYPE_L3_IPV6_EXT_UNKNOWN       0x000000e0 /**< IPv6, extensions unknown */
#define KEEL_PTYPE_L3_MASK                   0x000000f0 /**< the L3 field */
/** @} */

/**
 * @name Outer layer 4 (bits 8-11)
 * @{
 */
#define KEEL_PTYPE_L4_TCP                    0x00000100 /**< TCP */
#define KEEL_PTYPE_L4_UDP                    0x00000200 /**< UDP */
#define KEEL_PTYPE_L4_FRAG                   0x00000300 /**< IP fragment */
#define KEEL_PTYPE_L4_SCTP                   0x00000400 /**< SCTP */
#define KEEL_PTYPE_L4_ICMP                   0x00000500 /**< ICMP or ICMPv6 */
#define KEEL_PTYPE_L4_NONFRAG                0x00000600 /**< not a fragment, other L4 */
#define KEEL_PTYPE_L4_IGMP                   0x00000700 /**< IGMP */
#define KEEL_PTYPE_L4_MASK                   0x00000f00 /**< the L4 field */
/** @} */

/**
 * @name Tunnel (bits 12-15)
 * @{
 */
#define KEEL_PTYPE_TUNNEL_IP                 0x00001000 /**< IP in IP */
#define KEEL_PTYPE_TUNNEL_GRE                0x00002000 /**< GRE */
#define KEEL_PTYPE_TUNNEL_VXLAN              0x00003000 /**< VXLAN */
#define KEEL_PTYPE_TUNNEL_NVGRE              0x00004000 /**< NVGRE */
#define KEEL_PTYPE_TUNNEL_GENEVE             0x00005000 /**< Geneve */
#define KEEL_PTYPE_TUNNEL_GRENAT             0x00006000 /**< Teredo, VXLAN or GRE (NAT) */
#define KEEL_PTYPE_TUNNEL_GTPC               0x00007000 /**< GTP-C */
#define KEEL_PTYPE_TUNNEL_GTPU               0x00008000 /**< GTP-U */
#define KEEL_PTYPE_TUNNEL_ESP                0x00009000 /**< IPsec ESP */
#define KEEL_PTYPE_TUNNEL_L2TP               0x0000a000 /**< L2TP */
#define KEEL_PTYPE_TUNNEL_VXLAN_GPE          0x0000b000 /**< VXLAN-GPE */
#define KEEL_PTYPE_TUNNEL_MPLS_IN_GRE        0x0000c000 /**< MPLS in GRE */
#define KEEL_PTYPE_TUNNEL_MPLS_IN_UDP        0x0000d000 /**< MPLS in UDP */
#define KEEL_PTYPE_TUNNEL_MASK               0x0000f000 /**< the tunnel field */
/** @} */

/**
 * @name Inner layer 2 (bits 16-19)
 * @{
 */
#define KEEL_PTYPE_INNER_L2_ETHER            0x00010000 /**< inner Ethernet */
#define KEEL_PTYPE_INNER_L2_ETHER_VLAN       0x00020000 /**< inner Ethernet, one VLAN tag */
#define KEEL_PTYPE_INNER_L2_ETHER_QINQ       0x00030000 /**< inner Ethernet, two VLAN tags */
#define KEEL_PTYPE_INNER_L2_MASK             0x000f0000 /**< the inner L2 field */
/** @} */

/**
 * @name Inner layer 3 (bits 20-23)
 * @{
 */
#define KEEL_PTYPE_INNER_L3_IPV4             0x00100000 /**< inner IPv4 without options */
#define KEEL_PTYPE_INNER_L3_IPV4_EXT         0x00200000 /**< inner IPv4 with options */
#define KEEL_PTYPE_INNER_L3_IPV6             0x00300000 /**< inner IPv6 without extensions */
#define KEEL_PTYPE_INNER_L3_IPV4_EXT_UNKNOWN 0x00400000 /**< inner IPv4, options unknown */
#define KEEL_PTYPE_INNER_L3_IPV6_EXT         0x00500000 /**< inner IPv6 with extensions */
#define KEEL_PTYPE_INNER_L3_IPV6_EXT_UNKNOWN 0x00600000 /**< inner IPv6, extensions unknown */
#define KEEL_PTYPE_INNER_L3_MASK             0x00f00000 /**< the inner L3 field */
/** @} */

/**
 * @name Inner layer 4 (bits 24-27)
 * @{
 */
#define KEEL_PTYPE_INNER_L4_TCP              0x01000000 /**< inner TCP */
#define KEEL_PTYPE_INNER_L4_UDP              0x02000000 /**< inner UDP */
#define KEEL_PTYPE_INNER_L4_FRAG             0x03000000 /**< inner IP fragment */
#define KEEL_PTYPE_INNER_L4_SCTP             0x04000000 /**< inner SCTP */
#define KEEL_PTYPE_INNER_L4_ICMP             0x05000000 /**< inner ICMP or ICMPv6 */
#define KEEL_PTYPE_INNER_L4_NONFRAG          0x06000000 /**< inner non-fragment, other L4 */
#define KEEL_PTYPE_INNER_L4_MASK             0x0f000000 /**< the inner L4 field */
/** @} */

#define KEEL_PTYPE_ALL_MASK                  0x0fffffff /**< every field */

/**
 * Write the names of the layers in @p ptype ("L2_ETHER L3_IPV4 L4_UDP")
 * to @p buf (@p size bytes, NUL-terminated, truncated to fit).
 * @return the length of the full text (as snprintf), or -EINVAL.
 */
int keel_get_ptype_name(uint32_t ptype, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_MBUF_PTYPE_H */
