/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flowgen: send generated UDP packets spread over FLOWGEN_FLOWS flows
 * (destination IPv4 198.18.0.2 + flow, so RSS and flow tables see many
 * flows), each with its own IPv4 id and checksum; receive and free what
 * arrives.
 */
#include "fwd_engines.h"

#define FLOWGEN_FLOWS 1024

static void
flowgen_fwd(struct fwd_stream *fs)
{
	struct keel_mbuf *pkts[TP_MAX_BURST];
	struct fwd_udp_pkt_hdr h;
	uint16_t nb_rx, nb;

	nb_rx = fwd_rx_burst(fs, pkts, tp.burst);
	keel_pktmbuf_free_bulk(pkts, nb_rx);

	for (nb = 0; nb < tp.burst; nb++) {
		fwd_udp_hdr_build(fs, FWD_IP_DST + fs->flow, fs->ip_id++, &h);
		pkts[nb] = fwd_pkt_alloc(fs, &h);
		if (pkts[nb] == NULL)
			break;
		fs->flow = (fs->flow + 1) % FLOWGEN_FLOWS;
	}
	fwd_tx_burst(fs, fs->tx_port, pkts, nb);
}

static void
flowgen_stream_init(struct fwd_stream *fs)
{
	fs->flow = 0;
	fs->ip_id = 0;
}

const struct fwd_engine fwd_flowgen_engine = {
	.name = "flowgen",
	.help = "send UDP packets over 1024 flows; receive and free",
	.stream_init = flowgen_stream_init,
	.packet_fwd = flowgen_fwd,
};
