/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Starting and stopping packet forwarding, and the loop each forwarding
 * lcore runs: the engine's packet_fwd over its streams, round and round,
 * until its `stopped` flag is set.
 *
 * start: check the ports, lay the streams out (config.c), let the engine
 * prepare (begin), init the streams, record each port's statistics as the
 * base for the forwarding statistics, add the verbose callbacks, launch.
 * stop: raise every lcore's flag, wait for each to return (each finishes
 * what it has in flight in lcore_end), let the engine clean up (end),
 * remove the callbacks, print the forwarding statistics.
 *
 * The flags are the only thing shared while forwarding runs; the main
 * lcore reads the streams' counters for `show fwd stats` (64-bit loads,
 * single writer) and writes nothing they read.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include <keel_ethdev.h>
#include <keel_lcore.h>

#include "fwd_engines.h"
#include "testpmd.h"

const struct fwd_engine *const tp_engines[] = {
	&fwd_io_engine,
	&fwd_mac_engine,
	&fwd_macswap_engine,
	&fwd_rxonly_engine,
	&fwd_txonly_engine,
	&fwd_flowgen_engine,
	&fwd_icmpecho_engine,
	&fwd_dmafwd_engine,
	NULL,
};

const struct fwd_engine *
tp_engine_find(const char *name)
{
	for (unsigned int i = 0; tp_engines[i] != NULL; i++)
		if (strcmp(tp_engines[i]->name, name) == 0)
			return tp_engines[i];
	return NULL;
}

/* The loop of one forwarding lcore. */
static int
fwd_lcore_run(void *arg)
{
	struct fwd_lcore *fc = arg;
	struct fwd_stream *fsm = &tp.streams[fc->stream_idx];
	const unsigned int nb = fc->stream_nb;
	void (*packet_fwd)(struct fwd_stream *) = tp.engine->packet_fwd;

	for (int b = 0; b < fc->tx_first; b++)
		for (unsigned int i = 0; i < nb; i++)
			fwd_txonly_engine.packet_fwd(&fsm[i]);
	do {
		for (unsigned int i = 0; i < nb; i++)
			packet_fwd(&fsm[i]);
	} while (!__atomic_load_n(&fc->stopped, __ATOMIC_RELAXED));
	if (tp.engine->lcore_end != NULL)
		tp.engine->lcore_end(fc);
	return 0;
}

/* ------------------------------------------------------------- verbose */

static void
dump_burst(const char *dir, uint16_t port, uint16_t queue,
	   struct keel_mbuf **pkts, uint16_t n)
{
	if (n == 0)
		return;
	flockfile(stdout);
	printf("port %u/queue %u: %s %u packets\n", port, queue, dir, n);
	for (uint16_t i = 0; i < n; i++) {
		const struct keel_mbuf *m = pkts[i];
		const struct keel_ether_hdr *eh =
			keel_pktmbuf_mtod(m, const struct keel_ether_hdr *);
		char src[KEEL_ETHER_ADDR_FMT_SIZE], dst[KEEL_ETHER_ADDR_FMT_SIZE];

		if (m->data_len < KEEL_ETHER_HDR_LEN) {
			printf("  length=%u - nb_segs=%u (runt)\n", m->pkt_len,
			       m->nb_segs);
			continue;
		}
		keel_ether_format_addr(src, sizeof(src), &eh->src_addr);
		keel_ether_format_addr(dst, sizeof(dst), &eh->dst_addr);
		printf("  src=%s - dst=%s - type=0x%04x - length=%u - "
		       "nb_segs=%u\n", src, dst,
		       (unsigned int)__builtin_bswap16(eh->ether_type),
		       m->pkt_len, m->nb_segs);
	}
	funlockfile(stdout);
}

static uint16_t
verbose_rx_cb(uint16_t port, uint16_t queue, struct keel_mbuf *pkts[],
	      uint16_t nb_pkts, uint16_t max_pkts, void *arg)
{
	(void)max_pkts;
	(void)arg;
	dump_burst("received", port, queue, pkts, nb_pkts);
	return nb_pkts;
}

static uint16_t
verbose_tx_cb(uint16_t port, uint16_t queue, struct keel_mbuf *pkts[],
	      uint16_t nb_pkts, void *arg)
{
	(void)arg;
	dump_burst("sent", port, queue, pkts, nb_pkts);
	return nb_pkts;
}

/* callbacks added at start, removed at stop */
static struct {
	uint16_t port, queue;
	bool rx;
	const struct keel_eth_rxtx_callback *cb;
} vcbs[KEEL_MAX_ETHPORTS * 16 * 2];
static unsigned int nb_vcbs;
#define NB_VCBS (sizeof(vcbs) / sizeof(vcbs[0]))

static void
verbose_add(void)
{
	nb_vcbs = 0;
	if (tp.verbose == 0)
		return;
	for (unsigned int i = 0; i < tp.nb_fwd_ports; i++) {
		uint16_t p = tp.fwd_ports[i];
		const struct tp_port *port = &tp.ports[p];

		for (uint16_t q = 0; q < port->nb_rxq && q < 16; q++) {
			if (!(tp.verbose & 1) || nb_vcbs == NB_VCBS)
				break;
			vcbs[nb_vcbs] = (typeof(vcbs[0])){ p, q, true,
				keel_eth_add_rx_callback(p, q, verbose_rx_cb,
							 NULL) };
			if (vcbs[nb_vcbs].cb != NULL)
				nb_vcbs++;
		}
		for (uint16_t q = 0; q < port->nb_txq && q < 16; q++) {
			if (!(tp.verbose & 2) || nb_vcbs == NB_VCBS)
				break;
			vcbs[nb_vcbs] = (typeof(vcbs[0])){ p, q, false,
				keel_eth_add_tx_callback(p, q, verbose_tx_cb,
							 NULL) };
			if (vcbs[nb_vcbs].cb != NULL)
				nb_vcbs++;
		}
	}
}

static void
verbose_remove(void)
{
	for (unsigned int i = 0; i < nb_vcbs; i++) {
		if (vcbs[i].rx)
			keel_eth_remove_rx_callback(vcbs[i].port, vcbs[i].queue,
						    vcbs[i].cb);
		else
			keel_eth_remove_tx_callback(vcbs[i].port, vcbs[i].queue,
						    vcbs[i].cb);
	}
	nb_vcbs = 0;
}

/* `set verbose` while forwarding runs: callbacks follow the new level. */
void
tp_verbose_apply(void)
{
	if (!tp.fwd_running)
		return;
	verbose_remove();
	verbose_add();
}

/* ---------------------------------------------------------- start/stop */

#define TP_LINK_WAIT_MS 3000

/*
 * Before `start tx_first`: wait (at most TP_LINK_WAIT_MS) for the
 * forwarding ports' links, as DPDK's testpmd checks link status when it
 * starts ports. A burst sent on a port whose link is down is lost, and
 * some links come up only after start: a vhost-user port's once its
 * peer has connected and negotiated. Ports that cannot tell count as up.
 */
static void
wait_links_up(void)
{
	uint64_t deadline = keel_get_tsc_cycles() +
			    keel_get_tsc_hz() * TP_LINK_WAIT_MS / 1000;

	for (;;) {
		bool late = keel_get_tsc_cycles() >= deadline;
		unsigned int down = 0;

		for (unsigned int i = 0; i < tp.nb_fwd_ports; i++) {
			struct keel_eth_link l;
			uint16_t p = tp.fwd_ports[i];

			if (keel_eth_link_get_nowait(p, &l) != 0 ||
			    l.link_status == KEEL_ETH_LINK_UP)
				continue;
			down++;
			if (late)
				printf("Port %u: link still down after %u ms; "
				       "its first bursts may be lost\n", p,
				       TP_LINK_WAIT_MS);
		}
		if (down == 0 || late)
			return;
		usleep(10 * 1000);
	}
}

static void
lcores_stop_and_wait(unsigned int nb)
{
	for (unsigned int c = 0; c < nb; c++)
		__atomic_store_n(&tp.lcores[c].stopped, 1, __ATOMIC_RELAXED);
	for (unsigned int c = 0; c < nb; c++)
		keel_eal_wait_lcore(tp.lcores[c].lcore_id);
}

/*
 * Start forwarding; with @p tx_first, each stream first sends that many
 * txonly bursts. @return 0 or a negative errno (printed).
 */
int
tp_start(unsigned int tx_first)
{
	unsigned int launched = 0;
	int ret;

	if (tp.fwd_running) {
		printf("Packet forwarding already started\n");
		return -EBUSY;
	}
	if (tp.nb_fwd_ports == 0) {
		printf("No ports to forward on: attach some with 'port attach'\n");
		return -EINVAL;
	}
	for (unsigned int i = 0; i < tp.nb_fwd_ports; i++)
		if (keel_eth_dev_is_started(tp.fwd_ports[i]) != 1) {
			printf("Port %u is not started: 'port start %u' (or "
			       "'port start all') first\n", tp.fwd_ports[i],
			       tp.fwd_ports[i]);
			return -EINVAL;
		}
	ret = tp_fwd_config_setup();
	if (ret < 0)
		return ret;
	if (tx_first)
		wait_links_up();
	if (tp.engine->begin != NULL) {
		ret = tp.engine->begin();
		if (ret < 0)
			return ret;
	}
	for (unsigned int s = 0; s < tp.nb_streams; s++) {
		struct fwd_stream *fs = &tp.streams[s];

		fs->rx_packets = fs->tx_packets = fs->fwd_dropped = 0;
		fs->rx_bad = fs->dma_copies = fs->dma_failed = 0;
		fs->last_rx = fs->last_tx = 0;
		fs->last_tsc = keel_get_tsc_cycles();
		if (tp.engine->stream_init != NULL)
			tp.engine->stream_init(fs);
		if (tx_first && tp.engine != &fwd_txonly_engine)
			fwd_txonly_engine.stream_init(fs);
	}
	for (unsigned int i = 0; i < tp.nb_fwd_ports; i++) {
		uint16_t p = tp.fwd_ports[i];

		struct tp_port *port = &tp.ports[p];

		keel_eth_stats_get(p, &port->fwd_base);
		/* rates of the next `show port stats`: since start */
		port->last_ipackets = port->fwd_base.ipackets;
		port->last_opackets = port->fwd_base.opackets;
		port->last_ibytes = port->fwd_base.ibytes;
		port->last_obytes = port->fwd_base.obytes;
		port->last_tsc = keel_get_tsc_cycles();
	}
	verbose_add();
	tp_print_config_fwd(stdout);
	tp.fwd_start_tsc = keel_get_tsc_cycles();
	for (unsigned int c = 0; c < tp.nb_cfg_lcores; c++) {
		struct fwd_lcore *lc = &tp.lcores[c];

		lc->stopped = 0;
		lc->tx_first = (int)tx_first;
		ret = keel_eal_remote_launch(fwd_lcore_run, lc, lc->lcore_id);
		if (ret < 0) {
			printf("Cannot launch forwarding on lcore %u: %s\n",
			       lc->lcore_id, strerror(-ret));
			lcores_stop_and_wait(launched);
			verbose_remove();
			if (tp.engine->end != NULL)
				tp.engine->end();
			return ret;
		}
		launched++;
	}
	tp.fwd_running = true;
	return 0;
}

/* Stop forwarding and print its statistics. @return 0 or -EINVAL. */
int
tp_stop(void)
{
	if (!tp.fwd_running) {
		printf("Packet forwarding not started\n");
		return -EINVAL;
	}
	printf("Telling cores to stop...\nWaiting for lcores to finish...\n");
	lcores_stop_and_wait(tp.nb_cfg_lcores);
	tp.fwd_running = false;
	if (tp.engine->end != NULL)
		tp.engine->end();
	verbose_remove();
	tp_show_fwd_stats(stdout);
	printf("\nDone.\n");
	return 0;
}
