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

#define KEEL_PTYPE_UNKNOWN                   0x00000000
#define KEEL_PTYPE_L2_ETHER                  0x00000001
#define KEEL_PTYPE_L2_ETHER_TIMESYNC         0x00000002
#define KEEL_PTYPE_L2_ETHER_ARP              0x00000003
#define KEEL_PTYPE_L2_ETHER_LLDP             0x00000004
#define KEEL_PTYPE_L2_ETHER_NSH              0x00000005
#define KEEL_PTYPE_L2_ETHER_VLAN             0x00000006
#define KEEL_PTYPE_L2_ETHER_QINQ             0x00000007
#define KEEL_PTYPE_L2_ETHER_PPPOE            0x00000008
#define KEEL_PTYPE_L2_ETHER_FCOE             0x00000009
#define KEEL_PTYPE_L2_ETHER_MPLS             0x0000000a
#define KEEL_PTYPE_L2_MASK                   0x0000000f
#define KEEL_PTYPE_L3_IPV4                   0x00000010
#define KEEL_PTYPE_L3_IPV4_EXT               0x00000030
#define KEEL_PTYPE_L3_IPV6                   0x00000040
#define KEEL_PTYPE_L3_IPV4_EXT_UNKNOWN       0x00000090
#define KEEL_PTYPE_L3_IPV6_EXT               0x000000c0
#define KEEL_PTYPE_L3_IPV6_EXT_UNKNOWN       0x000000e0
#define KEEL_PTYPE_L3_MASK                   0x000000f0
#define KEEL_PTYPE_L4_TCP                    0x00000100
#define KEEL_PTYPE_L4_UDP                    0x00000200
#define KEEL_PTYPE_L4_FRAG                   0x00000300
#define KEEL_PTYPE_L4_SCTP                   0x00000400
#define KEEL_PTYPE_L4_ICMP                   0x00000500
#define KEEL_PTYPE_L4_NONFRAG                0x00000600
#define KEEL_PTYPE_L4_IGMP                   0x00000700
#define KEEL_PTYPE_L4_MASK                   0x00000f00
#define KEEL_PTYPE_TUNNEL_IP                 0x00001000
#define KEEL_PTYPE_TUNNEL_GRE                0x00002000
#define KEEL_PTYPE_TUNNEL_VXLAN              0x00003000
#define KEEL_PTYPE_TUNNEL_NVGRE              0x00004000
#define KEEL_PTYPE_TUNNEL_GENEVE             0x00005000
#define KEEL_PTYPE_TUNNEL_GRENAT             0x00006000
#define KEEL_PTYPE_TUNNEL_GTPC               0x00007000
#define KEEL_PTYPE_TUNNEL_GTPU               0x00008000
#define KEEL_PTYPE_TUNNEL_ESP                0x00009000
#define KEEL_PTYPE_TUNNEL_L2TP               0x0000a000
#define KEEL_PTYPE_TUNNEL_VXLAN_GPE          0x0000b000
#define KEEL_PTYPE_TUNNEL_MPLS_IN_GRE        0x0000c000
#define KEEL_PTYPE_TUNNEL_MPLS_IN_UDP        0x0000d000
#define KEEL_PTYPE_TUNNEL_MASK               0x0000f000
#define KEEL_PTYPE_INNER_L2_ETHER            0x00010000
#define KEEL_PTYPE_INNER_L2_ETHER_VLAN       0x00020000
#define KEEL_PTYPE_INNER_L2_ETHER_QINQ       0x00030000
#define KEEL_PTYPE_INNER_L2_MASK             0x000f0000
#define KEEL_PTYPE_INNER_L3_IPV4             0x00100000
#define KEEL_PTYPE_INNER_L3_IPV4_EXT         0x00200000
#define KEEL_PTYPE_INNER_L3_IPV6             0x00300000
#define KEEL_PTYPE_INNER_L3_IPV4_EXT_UNKNOWN 0x00400000
#define KEEL_PTYPE_INNER_L3_IPV6_EXT         0x00500000
#define KEEL_PTYPE_INNER_L3_IPV6_EXT_UNKNOWN 0x00600000
#define KEEL_PTYPE_INNER_L3_MASK             0x00f00000
#define KEEL_PTYPE_INNER_L4_TCP              0x01000000
#define KEEL_PTYPE_INNER_L4_UDP              0x02000000
#define KEEL_PTYPE_INNER_L4_FRAG             0x03000000
#define KEEL_PTYPE_INNER_L4_SCTP             0x04000000
#define KEEL_PTYPE_INNER_L4_ICMP             0x05000000
#define KEEL_PTYPE_INNER_L4_NONFRAG          0x06000000
#define KEEL_PTYPE_INNER_L4_MASK             0x0f000000
#define KEEL_PTYPE_ALL_MASK                  0x0fffffff

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
