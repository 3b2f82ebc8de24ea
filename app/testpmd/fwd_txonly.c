/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * txonly: send bursts of generated UDP packets (--txpkts lengths) to the
 * peer port; receive nothing. Also the sender of `start tx_first`.
 */
#include "fwd_engines.h"

static void
txonly_fwd(struct fwd_stream *fs)
{
	struct keel_mbuf *pkts[TP_MAX_BURST];
	struct fwd_udp_pkt_hdr h;
	uint16_t nb;

	fwd_udp_hdr_build(fs, FWD_IP_DST, 0, &h);
	for (nb = 0; nb < tp.burst; nb++) {
		pkts[nb] = fwd_pkt_alloc(fs, &h);
		if (pkts[nb] == NULL)
			break;
	}
	fwd_tx_burst(fs, fs->tx_port, pkts, nb);
}

static void
txonly_stream_init(struct fwd_stream *fs)
{
	fs->ip_id = 0;
}

const struct fwd_engine fwd_txonly_engine = {
	.name = "txonly",
	.help = "send generated UDP packets (set txpkts), receive nothing",
	.stream_init = txonly_stream_init,
	.packet_fwd = txonly_fwd,
};
