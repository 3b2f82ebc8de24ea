/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Generated packets (txonly, flowgen, start tx_first): Ethernet from the
 * Tx port to its peer, IPv4 in RFC 2544's benchmark range, UDP to port 9,
 * the rest zero-filled payload, in the segment lengths of --txpkts /
 * `set txpkts`. The forwarding lcore calls these; they read tp's txpkts
 * (fixed while forwarding runs).
 */
#include <string.h>

#include "fwd_engines.h"

void
fwd_udp_hdr_build(const struct fwd_stream *fs, uint32_t ip_dst,
		  uint16_t ip_id, struct fwd_udp_pkt_hdr *h)
{
	const struct tp_port *txp = &tp.ports[fs->tx_port];
	uint16_t l3_len = (uint16_t)(tp.tx_pkt_len - sizeof(h->eth));

	h->eth.dst_addr = txp->peer;
	h->eth.src_addr = txp->mac;
	h->eth.ether_type = tp_htons(KEEL_ETHER_TYPE_IPV4);
	h->ip.version_ihl = TP_IPV4_VERSION_IHL;
	h->ip.tos = 0;
	h->ip.total_length = tp_htons(l3_len);
	h->ip.packet_id = tp_htons(ip_id);
	h->ip.fragment_offset = 0;
	h->ip.ttl = TP_IPV4_DEF_TTL;
	h->ip.next_proto_id = TP_IPPROTO_UDP;
	h->ip.src_addr = tp_htonl(FWD_IP_SRC);
	h->ip.dst_addr = tp_htonl(ip_dst);
	h->ip.hdr_checksum = tp_ipv4_cksum(&h->ip);
	h->udp.src_port = tp_htons(FWD_UDP_PORT);
	h->udp.dst_port = tp_htons(FWD_UDP_PORT);
	h->udp.dgram_len = tp_htons((uint16_t)(l3_len - sizeof(h->ip)));
	h->udp.dgram_cksum = 0;  /* optional over IPv4 (RFC 768) */
}

struct keel_mbuf *
fwd_pkt_alloc(struct fwd_stream *fs, const struct fwd_udp_pkt_hdr *h)
{
	struct keel_mbuf *head = keel_pktmbuf_alloc(fs->pool), *prev;
	uint8_t *d;

	if (head == NULL)
		return NULL;
	d = keel_pktmbuf_mtod(head, uint8_t *);
	memcpy(d, h, sizeof(*h));
	memset(d + sizeof(*h), 0, tp.txpkts[0] - sizeof(*h));
	head->data_len = tp.txpkts[0];
	head->pkt_len = tp.tx_pkt_len;
	prev = head;
	for (unsigned int s = 1; s < tp.nb_txpkts; s++) {
		struct keel_mbuf *seg = keel_pktmbuf_alloc(fs->pool);

		if (seg == NULL) {
			keel_pktmbuf_free(head);
			return NULL;
		}
		memset(keel_pktmbuf_mtod(seg, uint8_t *), 0, tp.txpkts[s]);
		seg->data_len = tp.txpkts[s];
		prev->next = seg;
		prev = seg;
	}
	head->nb_segs = (uint16_t)tp.nb_txpkts;
	return head;
}
