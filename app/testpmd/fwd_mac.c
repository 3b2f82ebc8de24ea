/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mac: forward to the peer port with the Ethernet source set to the Tx
 * port's address and the destination to its peer (--eth-peer, default
 * 02:00:00:00:00:<port>).
 */
#include "fwd_engines.h"

static void
mac_fwd(struct fwd_stream *fs)
{
	struct keel_mbuf *pkts[TP_MAX_BURST];
	const struct tp_port *txp = &tp.ports[fs->tx_port];
	uint16_t nb_rx;

	nb_rx = fwd_rx_burst(fs, pkts, tp.burst);
	if (nb_rx == 0)
		return;
	for (uint16_t i = 0; i < nb_rx; i++) {
		struct keel_ether_hdr *eh =
			keel_pktmbuf_mtod(pkts[i], struct keel_ether_hdr *);

		if (i + 1 < nb_rx)
			__builtin_prefetch(keel_pktmbuf_mtod(pkts[i + 1],
							     void *));
		eh->dst_addr = txp->peer;
		eh->src_addr = txp->mac;
	}
	fwd_tx_burst(fs, fs->tx_port, pkts, nb_rx);
}

const struct fwd_engine fwd_mac_engine = {
	.name = "mac",
	.help = "set source/destination MAC to the Tx port's and its peer's",
	.packet_fwd = mac_fwd,
};
