/* SPDX-License-Identifier: BSD-3-Clause */
/* io: forward every packet untouched to the peer port. */
#include "fwd_engines.h"

static void
io_fwd(struct fwd_stream *fs)
{
	struct keel_mbuf *pkts[TP_MAX_BURST];
	uint16_t nb_rx;

	nb_rx = fwd_rx_burst(fs, pkts, tp.burst);
	if (nb_rx == 0)
		return;
	fwd_tx_burst(fs, fs->tx_port, pkts, nb_rx);
}

const struct fwd_engine fwd_io_engine = {
	.name = "io",
	.help = "forward packets untouched",
	.packet_fwd = io_fwd,
};
