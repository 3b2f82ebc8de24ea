/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The forwarding configuration: streams over the forwarding ports and
 * their queues, and which lcore drives which streams. Laid out as DPDK
 * testpmd does it:
 *   - one Rx queue per port: one stream per port, Rx queue 0 -> the peer
 *     port's Tx queue 0;
 *   - several: one stream per (queue, port), queue-major (all ports' queue
 *     0, then queue 1, ...), Rx queue q -> the peer's Tx queue q mod txq;
 *   - the peer follows --port-topology (paired: 0<->1, 2<->3, an odd last
 *     port to itself; chained: each to the next, the last to the first;
 *     loop: each to itself);
 *   - streams are cut into nb_fwd_lcores consecutive runs; when they do
 *     not divide evenly, the last lcores get one more (DPDK's rule); never
 *     more lcores than streams.
 * Safety check DPDK lacks: a Tx queue used by streams on two lcores would
 * be driven by two threads at once; such a layout is refused with the
 * queue named.
 *
 * Runs on the main lcore while forwarding is stopped (tp.streams is then
 * read by nobody else).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <keel_dmadev.h>
#include <keel_malloc.h>

#include "testpmd.h"

uint16_t
tp_topology_peer(unsigned int idx)
{
	unsigned int n = tp.nb_fwd_ports;

	switch (tp.topology) {
	case TP_TOPO_LOOP:
		return tp.fwd_ports[idx];
	case TP_TOPO_CHAINED:
		return tp.fwd_ports[(idx + 1) % n];
	case TP_TOPO_PAIRED:
	default:
		if (idx & 1)
			return tp.fwd_ports[idx - 1];
		if (idx + 1 < n)
			return tp.fwd_ports[idx + 1];
		return tp.fwd_ports[idx];
	}
}

/* Tx queue uniqueness across lcores: @return 0 or -EINVAL (printed). */
static int
check_txq_owners(void)
{
	for (unsigned int i = 0; i < tp.nb_streams; i++) {
		const struct fwd_stream *a = &tp.streams[i];
		uint16_t ap = tp.engine->tx_on_rx_port ? a->rx_port : a->tx_port;

		for (unsigned int j = i + 1; j < tp.nb_streams; j++) {
			const struct fwd_stream *b = &tp.streams[j];
			uint16_t bp = tp.engine->tx_on_rx_port ? b->rx_port :
								 b->tx_port;

			if (ap == bp && a->tx_queue == b->tx_queue &&
			    a->lc != b->lc) {
				printf("Tx queue %u of port %u would be driven "
				       "by lcores %u and %u at once: give ports "
				       "as many Tx queues as Rx queues (port "
				       "config all txq N) or use fewer cores\n",
				       a->tx_queue, ap, a->lc->lcore_id,
				       b->lc->lcore_id);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/*
 * Build tp.streams and assign them to lcores.
 * @return 0, or -EINVAL / -ENOMEM (printed).
 */
int
tp_fwd_config_setup(void)
{
	unsigned int nb_ports = tp.nb_fwd_ports, nb_q = 1, nb_fs, nb_fc;
	unsigned int per, extra, sm = 0;
	struct fwd_stream *fs;

	if (nb_ports == 0) {
		printf("No forwarding ports: attach some first\n");
		return -EINVAL;
	}
	/* queues: every forwarding port has the same count (port config
	 * sets them all); take the smallest to be safe */
	nb_q = UINT16_MAX;
	for (unsigned int i = 0; i < nb_ports; i++) {
		const struct tp_port *p = &tp.ports[tp.fwd_ports[i]];

		if (p->nb_rxq < nb_q)
			nb_q = p->nb_rxq;
	}
	nb_fs = nb_ports * nb_q;
	fs = calloc(nb_fs, sizeof(*fs));
	if (fs == NULL) {
		printf("Cannot allocate %u streams\n", nb_fs);
		return -ENOMEM;
	}
	for (unsigned int q = 0, k = 0; q < nb_q; q++) {
		for (unsigned int i = 0; i < nb_ports; i++, k++) {
			uint16_t txp = tp_topology_peer(i);

			fs[k].rx_port = tp.fwd_ports[i];
			fs[k].rx_queue = (uint16_t)q;
			fs[k].tx_port = txp;
			fs[k].tx_queue = (uint16_t)(q % tp.ports[txp].nb_txq);
			fs[k].pool = tp.pool;
		}
	}
	free(tp.streams);
	tp.streams = fs;
	tp.nb_streams = nb_fs;

	nb_fc = tp.nb_fwd_lcores < nb_fs ? tp.nb_fwd_lcores : nb_fs;
	per = nb_fs / nb_fc;
	extra = nb_fs % nb_fc;
	for (unsigned int c = 0; c < nb_fc; c++) {
		struct fwd_lcore *lc = &tp.lcores[c];
		unsigned int n = per + (c >= nb_fc - extra ? 1 : 0);

		lc->lcore_id = tp.worker_lcores[c];
		lc->stream_idx = sm;
		lc->stream_nb = n;
		lc->dma_id = -1;
		for (unsigned int s = 0; s < n; s++)
			fs[sm + s].lc = lc;
		sm += n;
	}
	tp.nb_cfg_lcores = nb_fc;
	return check_txq_owners();
}

static const char *
topology_name(void)
{
	switch (tp.topology) {
	case TP_TOPO_CHAINED:
		return "chained";
	case TP_TOPO_LOOP:
		return "loop";
	default:
		return "paired";
	}
}

/* Which lcore polls which queue, as laid out now. */
void
tp_print_config_fwd(FILE *f)
{
	fprintf(f, "%s packet forwarding - ports=%u - cores=%u - streams=%u - "
		"topology %s - burst %u\n", tp.engine->name, tp.nb_fwd_ports,
		tp.nb_cfg_lcores, tp.nb_streams, topology_name(), tp.burst);
	for (unsigned int c = 0; c < tp.nb_cfg_lcores; c++) {
		const struct fwd_lcore *lc = &tp.lcores[c];

		fprintf(f, "Logical Core %u (socket %d) forwards packets on "
			"%u streams:\n", lc->lcore_id,
			keel_lcore_to_socket_id(lc->lcore_id), lc->stream_nb);
		for (unsigned int s = 0; s < lc->stream_nb; s++) {
			const struct fwd_stream *fs =
				&tp.streams[lc->stream_idx + s];
			uint16_t txp = tp.engine->tx_on_rx_port ? fs->rx_port :
								  fs->tx_port;
			char peer[KEEL_ETHER_ADDR_FMT_SIZE];

			keel_ether_format_addr(peer, sizeof(peer),
					       &tp.ports[txp].peer);
			fprintf(f, "  RX P=%u/Q=%u -> TX P=%u/Q=%u peer=%s\n",
				fs->rx_port, fs->rx_queue, txp, fs->tx_queue,
				peer);
		}
	}
	if (strcmp(tp.engine->name, "dmafwd") == 0) {
		for (unsigned int c = 0; c < tp.nb_cfg_lcores; c++)
			if (tp.lcores[c].dma_id >= 0) {
				struct keel_dma_info info;

				keel_dma_info_get(tp.lcores[c].dma_id, &info);
				fprintf(f, "Logical Core %u copies with DMA "
					"device %d (%s)\n",
					tp.lcores[c].lcore_id,
					tp.lcores[c].dma_id, info.dev_name);
			}
	}
}

/* `show config fwd`: the layout `start` would use (or uses). */
void
tp_show_config_fwd(FILE *f)
{
	if (tp.nb_fwd_ports == 0) {
		fprintf(f, "No forwarding ports\n");
		return;
	}
	if (!tp.fwd_running && tp_fwd_config_setup() < 0)
		return;
	tp_print_config_fwd(f);
}

/* `show config rxtx`: queue counts and sizes of each forwarding port. */
void
tp_show_config_rxtx(FILE *f)
{
	fprintf(f, "  %s packet forwarding - burst %u - txpkts", tp.engine->name,
		tp.burst);
	for (unsigned int i = 0; i < tp.nb_txpkts; i++)
		fprintf(f, "%c%u", i ? ',' : ' ', tp.txpkts[i]);
	fprintf(f, " - mbuf data room %u - pool %u mbufs (%u free)\n",
		tp.mbuf_size, tp.pool ? tp.pool->size : 0,
		tp.pool ? keel_mempool_avail_count(tp.pool) : 0);
	for (unsigned int i = 0; i < tp.nb_fwd_ports; i++) {
		const struct tp_port *p = &tp.ports[tp.fwd_ports[i]];

		fprintf(f, "  port %u: RX queues=%u - RX desc=%u - TX queues=%u "
			"- TX desc=%u%s\n", tp.fwd_ports[i], p->nb_rxq,
			p->nb_rxd, p->nb_txq, p->nb_txd,
			p->need_config ? " (applied at the next port start)" :
			"");
	}
}
