/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * icmpecho: answer ARP requests and ICMP echo requests out of the port they
 * arrived on, so a kernel or a guest can resolve and ping any address
 * through the port; free everything else (counted as not answered).
 *
 * Replies are built in place:
 *   ARP request (RFC 826) for IPv4 over Ethernet -> reply: the port's MAC
 *     answers for the address asked (target and sender swapped). Probes
 *     (sender 0.0.0.0, RFC 5227) and announcements (sender == target) are
 *     not requests for an answer and are left alone.
 *   ICMP echo request (RFC 792) to a unicast IPv4 address, not a fragment
 *     -> echo reply: addresses swapped (the IPv4 checksum is unchanged by
 *     a swap), type 0, ICMP checksum updated incrementally (RFC 1624).
 *   Ethernet: back to the sender, from the port's MAC; one 802.1Q tag is
 *     kept as it is.
 * Every length is checked against the first segment before a byte is read:
 * the packet comes from the wire and is not trusted.
 */
#include "fwd_engines.h"

static bool
arp_reply(struct tp_arp_hdr *arp, uint32_t len)
{
	uint8_t ip[4];

	if (len < sizeof(*arp) || arp->hrd != tp_htons(TP_ARP_HRD_ETHER) ||
	    arp->pro != tp_htons(KEEL_ETHER_TYPE_IPV4) || arp->hln != 6 ||
	    arp->pln != 4 || arp->op != tp_htons(TP_ARP_OP_REQUEST))
		return false;
	if (memcmp(arp->spa, "\0\0\0\0", 4) == 0 ||
	    memcmp(arp->spa, arp->tpa, 4) == 0)
		return false;
	arp->op = tp_htons(TP_ARP_OP_REPLY);
	memcpy(arp->tha, arp->sha, 6);
	memcpy(ip, arp->tpa, 4);
	memcpy(arp->tpa, arp->spa, 4);
	memcpy(arp->spa, ip, 4);
	return true;   /* sha is written by the caller: the port's MAC */
}

/*
 * @p seg: bytes of the packet in the first segment from the IPv4 header on;
 * @p total: bytes of the whole packet from there.
 */
static bool
icmp_reply(struct tp_ipv4_hdr *ip, uint32_t seg, uint32_t total)
{
	uint32_t ihl, tot, tmp;
	struct tp_icmp_hdr *icmp;
	const uint8_t *dst = (const uint8_t *)&ip->dst_addr;

	if (seg < sizeof(*ip) || (ip->version_ihl >> 4) != 4)
		return false;
	ihl = (ip->version_ihl & 0xfu) * 4u;
	tot = tp_ntohs(ip->total_length);
	if (ihl < sizeof(*ip) || seg < ihl + sizeof(*icmp) ||
	    tot < ihl + sizeof(*icmp) || tot > total ||
	    ip->next_proto_id != TP_IPPROTO_ICMP ||
	    (tp_ntohs(ip->fragment_offset) & 0x3fffu) != 0)
		return false;
	if (dst[0] >= 224)
		return false;   /* multicast, broadcast: no unicast reply */
	icmp = (struct tp_icmp_hdr *)((uint8_t *)ip + ihl);
	if (icmp->type != TP_ICMP_ECHO_REQUEST || icmp->code != 0)
		return false;
	tmp = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = tmp;
	icmp->type = TP_ICMP_ECHO_REPLY;
	icmp->cksum = tp_htons(tp_cksum_update(tp_ntohs(icmp->cksum),
					       TP_ICMP_ECHO_REQUEST << 8,
					       TP_ICMP_ECHO_REPLY << 8));
	return true;
}

/* Turn @p m into its reply in place; false when it gets none. */
static bool
icmpecho_reply(struct keel_mbuf *m, const struct keel_ether_addr *port_mac)
{
	struct keel_ether_hdr *eh = keel_pktmbuf_mtod(m, struct keel_ether_hdr *);
	uint32_t len = m->data_len, off = sizeof(*eh);
	uint16_t type;
	bool ok;

	if (len < off)
		return false;
	type = eh->ether_type;
	if (type == tp_htons(KEEL_ETHER_TYPE_VLAN)) {
		const struct tp_vlan_hdr *vh = (const void *)(eh + 1);

		if (len < off + sizeof(*vh))
			return false;
		type = vh->eth_proto;
		off += sizeof(*vh);
	}
	if (type == tp_htons(KEEL_ETHER_TYPE_ARP)) {
		struct tp_arp_hdr *arp = (void *)((uint8_t *)eh + off);

		ok = arp_reply(arp, len - off);
		if (ok)
			memcpy(arp->sha, port_mac->addr_bytes, 6);
	} else if (type == tp_htons(KEEL_ETHER_TYPE_IPV4)) {
		ok = icmp_reply((void *)((uint8_t *)eh + off), len - off,
				m->pkt_len - off);
	} else {
		return false;
	}
	if (!ok)
		return false;
	eh->dst_addr = eh->src_addr;
	eh->src_addr = *port_mac;
	return true;
}

static void
icmpecho_fwd(struct fwd_stream *fs)
{
	struct keel_mbuf *pkts[TP_MAX_BURST];
	const struct keel_ether_addr *mac = &tp.ports[fs->rx_port].mac;
	uint16_t nb_rx, nb_tx = 0;

	nb_rx = fwd_rx_burst(fs, pkts, tp.burst);
	if (nb_rx == 0)
		return;
	for (uint16_t i = 0; i < nb_rx; i++) {
		if (icmpecho_reply(pkts[i], mac)) {
			pkts[nb_tx++] = pkts[i];
		} else {
			keel_pktmbuf_free(pkts[i]);
			fs->rx_bad++;
		}
	}
	fwd_tx_burst(fs, fs->rx_port, pkts, nb_tx);
}

const struct fwd_engine fwd_icmpecho_engine = {
	.name = "icmpecho",
	.help = "answer ARP requests and ICMP echo requests on the Rx port",
	.tx_on_rx_port = true,
	.packet_fwd = icmpecho_fwd,
};
