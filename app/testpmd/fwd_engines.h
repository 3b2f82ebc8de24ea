/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FWD_ENGINES_H
#define FWD_ENGINES_H

/*
 * The forwarding engines (one per fwd_*.c file) and the few steps they
 * share: send a burst and count what Tx did not take, and write the
 * Ethernet/IPv4/UDP headers of a generated packet (fwd_pkt.c).
 */

#include <keel_ethdev.h>
#include <keel_mbuf.h>

#include "testpmd.h"
#include "tp_net.h"

extern const struct fwd_engine fwd_io_engine;
extern const struct fwd_engine fwd_mac_engine;
extern const struct fwd_engine fwd_macswap_engine;
extern const struct fwd_engine fwd_rxonly_engine;
extern const struct fwd_engine fwd_txonly_engine;
extern const struct fwd_engine fwd_flowgen_engine;
extern const struct fwd_engine fwd_icmpecho_engine;
extern const struct fwd_engine fwd_dmafwd_engine;

/* Receive up to @p max packets from the stream's Rx queue and count them. */
static inline uint16_t
fwd_rx_burst(struct fwd_stream *fs, struct keel_mbuf **pkts, uint16_t max)
{
	uint16_t n = keel_eth_rx_burst(fs->rx_port, fs->rx_queue, pkts, max);

	fs->rx_packets += n;
	return n;
}

/*
 * Send @p nb packets on (@p port, fs->tx_queue); count what was sent and
 * free (and count as dropped) what Tx did not take.
 */
static inline void
fwd_tx_burst(struct fwd_stream *fs, uint16_t port, struct keel_mbuf **pkts,
	     uint16_t nb)
{
	uint16_t sent;

	if (nb == 0)
		return;
	sent = keel_eth_tx_burst(port, fs->tx_queue, pkts, nb);
	fs->tx_packets += sent;
	if (__builtin_expect(sent < nb, 0)) {
		fs->fwd_dropped += (uint64_t)(nb - sent);
		keel_pktmbuf_free_bulk(&pkts[sent], nb - sent);
	}
}

/* The first 42 bytes of a txonly/flowgen packet. */
struct fwd_udp_pkt_hdr {
	struct keel_ether_hdr eth;
	struct tp_ipv4_hdr ip;
	struct tp_udp_hdr udp;
} __attribute__((packed, aligned(2)));

/* Source and destination of generated packets: RFC 2544's benchmark
 * range 198.18.0.0/15, UDP port 9 (discard), as DPDK's txonly. */
#define FWD_IP_SRC ((198u << 24) | (18u << 16) | (0u << 8) | 1u)
#define FWD_IP_DST ((198u << 24) | (18u << 16) | (0u << 8) | 2u)
#define FWD_UDP_PORT 9

/* Headers for a @p pkt_len-byte packet from the stream's Tx port to its
 * peer, IPv4 destination @p ip_dst (host order), checksum filled in. */
void fwd_udp_hdr_build(const struct fwd_stream *fs, uint32_t ip_dst,
		       uint16_t ip_id, struct fwd_udp_pkt_hdr *h);

/*
 * Allocate one packet of tp.txpkts segments from fs->pool, headers from
 * @p h in the first segment; NULL when the pool is empty.
 */
struct keel_mbuf *fwd_pkt_alloc(struct fwd_stream *fs,
				const struct fwd_udp_pkt_hdr *h);

#endif /* FWD_ENGINES_H */
