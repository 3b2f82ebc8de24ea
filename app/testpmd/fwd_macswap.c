/* SPDX-License-Identifier: BSD-3-Clause */
/* macswap: swap each packet's Ethernet source and destination, forward. */
#include "fwd_engines.h"

static void
macswap_fwd(struct fwd_stream *fs)
{
	struct keel_mbuf *pkts[TP_MAX_BURST];
	uint16_t nb_rx;

	nb_rx = fwd_rx_burst(fs, pkts, tp.burst);
	if (nb_rx == 0)
		return;
	for (uint16_t i = 0; i < nb_rx; i++) {
		struct keel_ether_hdr *eh =
			keel_pktmbuf_mtod(pkts[i], struct keel_ether_hdr *);
		struct keel_ether_addr tmp = eh->dst_addr;

		if (i + 1 < nb_rx)
			__builtin_prefetch(keel_pktmbuf_mtod(pkts[i + 1],
							     void *));
		eh->dst_addr = eh->src_addr;
		eh->src_addr = tmp;
	}
	fwd_tx_burst(fs, fs->tx_port, pkts, nb_rx);
}

const struct fwd_engine fwd_macswap_engine = {
	.name = "macswap",
	.help = "swap source and destination MAC, forward",
	.packet_fwd = macswap_fwd,
};
