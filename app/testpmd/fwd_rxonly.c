/* SPDX-License-Identifier: BSD-3-Clause */
/* rxonly: receive and free (a sink, e.g. to measure a port's Rx). */
#include "fwd_engines.h"

static void
rxonly_fwd(struct fwd_stream *fs)
{
	struct keel_mbuf *pkts[TP_MAX_BURST];
	uint16_t nb_rx;

	nb_rx = fwd_rx_burst(fs, pkts, tp.burst);
	if (nb_rx == 0)
		return;
	keel_pktmbuf_free_bulk(pkts, nb_rx);
}

const struct fwd_engine fwd_rxonly_engine = {
	.name = "rxonly",
	.help = "receive and free packets",
	.packet_fwd = rxonly_fwd,
};
