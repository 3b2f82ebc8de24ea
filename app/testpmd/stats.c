/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Statistics: per port (ethdev counters, rates since the last show), per
 * stream and per port for forwarding (since `start` or `clear fwd
 * stats`), extended statistics, and port information. Output follows DPDK
 * testpmd's layout so scripts that read one read the other.
 *
 * Runs on the main lcore. Stream counters are written by forwarding lcores
 * while forwarding runs; here they are only read (whole 64-bit loads),
 * and clearing records a base instead of writing them.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <keel_ethdev.h>
#include <keel_mempool.h>

#include "testpmd.h"

static uint64_t
rate(uint64_t delta, uint64_t cycles)
{
	if (cycles == 0)
		return 0;
	return (uint64_t)((double)delta * (double)keel_get_tsc_hz() /
			  (double)cycles);
}

void
tp_show_port_stats(FILE *f, uint16_t pid)
{
	struct tp_port *port = &tp.ports[pid];
	struct keel_eth_stats st;
	uint64_t now = keel_get_tsc_cycles(), cyc;
	uint64_t rx_pps, tx_pps, rx_bps, tx_bps;

	if (keel_eth_stats_get(pid, &st) < 0) {
		fprintf(f, "Port %u: cannot read statistics\n", pid);
		return;
	}
	cyc = port->last_tsc ? now - port->last_tsc : 0;
	rx_pps = rate(st.ipackets - port->last_ipackets, cyc);
	tx_pps = rate(st.opackets - port->last_opackets, cyc);
	rx_bps = rate((st.ibytes - port->last_ibytes) * 8, cyc);
	tx_bps = rate((st.obytes - port->last_obytes) * 8, cyc);
	port->last_ipackets = st.ipackets;
	port->last_opackets = st.opackets;
	port->last_ibytes = st.ibytes;
	port->last_obytes = st.obytes;
	port->last_tsc = now;

	fprintf(f, "\n  ######################## NIC statistics for port %-2u "
		"#######################\n", pid);
	fprintf(f, "  RX-packets: %-10" PRIu64 " RX-missed: %-10" PRIu64
		" RX-bytes:  %-" PRIu64 "\n", st.ipackets, st.imissed,
		st.ibytes);
	fprintf(f, "  RX-errors: %" PRIu64 "\n", st.ierrors);
	fprintf(f, "  RX-nombuf:  %-10" PRIu64 "\n", st.rx_nombuf);
	fprintf(f, "  TX-packets: %-10" PRIu64 " TX-errors: %-10" PRIu64
		" TX-bytes:  %-" PRIu64 "\n", st.opackets, st.oerrors,
		st.obytes);
	fprintf(f, "\n  Throughput (since last show)\n");
	fprintf(f, "  Rx-pps: %12" PRIu64 "          Rx-bps: %12" PRIu64 "\n",
		rx_pps, rx_bps);
	fprintf(f, "  Tx-pps: %12" PRIu64 "          Tx-bps: %12" PRIu64 "\n",
		tx_pps, tx_bps);
	fprintf(f, "  ################################################"
		"############################\n");
}

void
tp_clear_port_stats(uint16_t pid)
{
	struct tp_port *port = &tp.ports[pid];

	keel_eth_stats_reset(pid);
	port->last_ipackets = port->last_opackets = 0;
	port->last_ibytes = port->last_obytes = 0;
	port->last_tsc = keel_get_tsc_cycles();
	/* forwarding statistics are differences from fwd_base */
	memset(&port->fwd_base, 0, sizeof(port->fwd_base));
	printf("  NIC statistics for port %u cleared\n", pid);
}

void
tp_show_port_xstats(FILE *f, uint16_t pid)
{
	struct keel_eth_xstat_name *names = NULL;
	struct keel_eth_xstat *vals = NULL;
	int n = keel_eth_xstats_get_names(pid, NULL, 0);

	if (n < 0) {
		fprintf(f, "Port %u: cannot read extended statistics\n", pid);
		return;
	}
	names = calloc((size_t)n + 1, sizeof(*names));
	vals = calloc((size_t)n + 1, sizeof(*vals));
	if (names == NULL || vals == NULL ||
	    keel_eth_xstats_get_names(pid, names, (unsigned int)n) != n ||
	    keel_eth_xstats_get(pid, vals, (unsigned int)n) != n) {
		fprintf(f, "Port %u: cannot read extended statistics\n", pid);
		goto out;
	}
	fprintf(f, "###### NIC extended statistics for port %-2u\n", pid);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s: %" PRIu64 "\n", names[vals[i].id].name,
			vals[i].value);
out:
	free(names);
	free(vals);
}

void
tp_show_port_info(FILE *f, uint16_t pid)
{
	const struct tp_port *port = &tp.ports[pid];
	struct keel_eth_dev_info info;
	struct keel_eth_link link;
	struct keel_ether_addr mac;
	char name[KEEL_ETH_NAME_MAX_LEN], macs[KEEL_ETHER_ADDR_FMT_SIZE];
	char links[KEEL_ETH_LINK_MAX_STR_LEN], peer[KEEL_ETHER_ADDR_FMT_SIZE];
	uint16_t mtu = 0;

	if (keel_eth_dev_info_get(pid, &info) < 0 ||
	    keel_eth_dev_get_name_by_port(pid, name) < 0) {
		fprintf(f, "Port %u: cannot read its information\n", pid);
		return;
	}
	keel_eth_macaddr_get(pid, &mac);
	keel_ether_format_addr(macs, sizeof(macs), &mac);
	keel_ether_format_addr(peer, sizeof(peer), &port->peer);
	if (keel_eth_link_get_nowait(pid, &link) == 0)
		keel_eth_link_to_str(links, sizeof(links), &link);
	else
		snprintf(links, sizeof(links), "unknown");
	keel_eth_dev_get_mtu(pid, &mtu);

	fprintf(f, "\n********************* Infos for port %-2u "
		"*********************\n", pid);
	fprintf(f, "MAC address: %s\n", macs);
	fprintf(f, "Device name: %s\n", name);
	fprintf(f, "Driver name: %s\n", info.driver_name);
	fprintf(f, "Socket id: %d\n", keel_eth_dev_socket_id(pid));
	fprintf(f, "State: %s\n", keel_eth_dev_is_started(pid) == 1 ?
		"started" : "stopped");
	fprintf(f, "Link: %s\n", links);
	fprintf(f, "MTU: %u (%u..%u)\n", mtu, info.min_mtu, info.max_mtu);
	fprintf(f, "Promiscuous mode: %s\n",
		keel_eth_promiscuous_get(pid) == 1 ? "enabled" : "disabled");
	fprintf(f, "Allmulticast mode: %s\n",
		keel_eth_allmulticast_get(pid) == 1 ? "enabled" : "disabled");
	fprintf(f, "Forwarding: %s, peer %s\n",
		tp_port_is_fwd(pid) ? "yes" : "no", peer);
	fprintf(f, "Current number of RX queues: %u (max %u), %u descriptors "
		"(%u..%u)\n", info.nb_rx_queues, info.max_rx_queues,
		port->nb_rxd, info.rx_desc_lim.nb_min, info.rx_desc_lim.nb_max);
	fprintf(f, "Current number of TX queues: %u (max %u), %u descriptors "
		"(%u..%u)\n", info.nb_tx_queues, info.max_tx_queues,
		port->nb_txd, info.tx_desc_lim.nb_min, info.tx_desc_lim.nb_max);
	fprintf(f, "Max RX packet length: %u, min RX buffer: %u\n",
		info.max_rx_pktlen, info.min_rx_bufsize);
	fprintf(f, "RX offload capabilities: 0x%" PRIx64 ", TX: 0x%" PRIx64
		"\n", info.rx_offload_capa, info.tx_offload_capa);
	if (info.hash_key_size != 0)
		fprintf(f, "RSS: key %u bytes, redirection table %u, hash "
			"functions 0x%" PRIx64 "\n", info.hash_key_size,
			info.reta_size, info.flow_type_rss_offloads);
	if (port->need_config)
		fprintf(f, "Queue settings change at the next 'port start'\n");
}

/* ---------------------------------------------------- forwarding stats */

struct fwd_port_sum {
	uint64_t rx, tx, rx_dropped, tx_dropped, bad, copies, failed;
};

static void
stream_counts(const struct fwd_stream *fs, uint64_t *rx, uint64_t *tx,
	      uint64_t *dropped, uint64_t *bad, uint64_t *copies,
	      uint64_t *failed)
{
	*rx = __atomic_load_n(&fs->rx_packets, __ATOMIC_RELAXED) - fs->base.rx;
	*tx = __atomic_load_n(&fs->tx_packets, __ATOMIC_RELAXED) - fs->base.tx;
	*dropped = __atomic_load_n(&fs->fwd_dropped, __ATOMIC_RELAXED) -
		   fs->base.dropped;
	*bad = __atomic_load_n(&fs->rx_bad, __ATOMIC_RELAXED) - fs->base.bad;
	*copies = __atomic_load_n(&fs->dma_copies, __ATOMIC_RELAXED) -
		  fs->base.copies;
	*failed = __atomic_load_n(&fs->dma_failed, __ATOMIC_RELAXED) -
		  fs->base.failed;
}

static void
show_stream(FILE *f, struct fwd_stream *fs, uint64_t now)
{
	uint64_t rx, tx, dropped, bad, copies, failed, cyc;
	uint16_t txp = tp.engine->tx_on_rx_port ? fs->rx_port : fs->tx_port;

	stream_counts(fs, &rx, &tx, &dropped, &bad, &copies, &failed);
	cyc = now - fs->last_tsc;
	fprintf(f, "\n  ------- Forward Stats for RX Port=%2u/Queue=%2u -> TX "
		"Port=%2u/Queue=%2u -------\n", fs->rx_port, fs->rx_queue, txp,
		fs->tx_queue);
	fprintf(f, "  RX-packets: %-14" PRIu64 " TX-packets: %-14" PRIu64
		" TX-dropped: %-14" PRIu64 "\n", rx, tx, dropped);
	if (bad != 0 || tp.engine->tx_on_rx_port)
		fprintf(f, "  Not answered: %-12" PRIu64 "\n", bad);
	if (strcmp(tp.engine->name, "dmafwd") == 0)
		fprintf(f, "  DMA-copies: %-14" PRIu64 " DMA-failed: %-14" PRIu64
			"\n", copies, failed);
	fprintf(f, "  Rx-pps: %-14" PRIu64 "     Tx-pps: %-14" PRIu64
		" (since last show)\n", rate(rx + fs->base.rx - fs->last_rx, cyc),
		rate(tx + fs->base.tx - fs->last_tx, cyc));
	fs->last_rx = rx + fs->base.rx;
	fs->last_tx = tx + fs->base.tx;
	fs->last_tsc = now;
}

/* `show fwd stats all`, and what stop prints. */
void
tp_show_fwd_stats(FILE *f)
{
	struct fwd_port_sum sum[KEEL_MAX_ETHPORTS], all = { 0 };
	uint64_t now = keel_get_tsc_cycles();
	bool dma = strcmp(tp.engine->name, "dmafwd") == 0;

	if (tp.streams == NULL) {
		fprintf(f, "No forwarding statistics: forwarding never ran\n");
		return;
	}
	memset(sum, 0, sizeof(sum));
	for (unsigned int s = 0; s < tp.nb_streams; s++) {
		struct fwd_stream *fs = &tp.streams[s];
		uint64_t rx, tx, dropped, bad, copies, failed;
		uint16_t txp = tp.engine->tx_on_rx_port ? fs->rx_port :
							  fs->tx_port;

		stream_counts(fs, &rx, &tx, &dropped, &bad, &copies, &failed);
		sum[fs->rx_port].bad += bad;
		sum[txp].tx_dropped += dropped;
		sum[fs->rx_port].copies += copies;
		sum[fs->rx_port].failed += failed;
		if (tp.nb_streams > tp.nb_fwd_ports)
			show_stream(f, fs, now);
	}
	for (unsigned int i = 0; i < tp.nb_fwd_ports; i++) {
		uint16_t p = tp.fwd_ports[i];
		const struct keel_eth_stats *b = &tp.ports[p].fwd_base;
		struct fwd_port_sum *ps = &sum[p];
		struct keel_eth_stats st;

		if (keel_eth_stats_get(p, &st) < 0)
			continue;
		ps->rx = st.ipackets - b->ipackets;
		ps->tx = st.opackets - b->opackets;
		ps->rx_dropped = st.imissed - b->imissed;
		ps->tx_dropped += st.oerrors - b->oerrors;
		fprintf(f, "\n  ---------------------- Forward statistics for "
			"port %-2u ----------------------\n", p);
		fprintf(f, "  RX-packets: %-14" PRIu64 " RX-dropped: %-14" PRIu64
			" RX-total: %-" PRIu64 "\n", ps->rx, ps->rx_dropped,
			ps->rx + ps->rx_dropped);
		fprintf(f, "  TX-packets: %-14" PRIu64 " TX-dropped: %-14" PRIu64
			" TX-total: %-" PRIu64 "\n", ps->tx, ps->tx_dropped,
			ps->tx + ps->tx_dropped);
		if (tp.engine->tx_on_rx_port)
			fprintf(f, "  Not answered: %-12" PRIu64 "\n", ps->bad);
		if (dma)
			fprintf(f, "  DMA-copies: %-14" PRIu64 " DMA-failed: %-14"
				PRIu64 "\n", ps->copies, ps->failed);
		fprintf(f, "  ---------------------------------------------"
			"-------------------------------\n");
		all.rx += ps->rx;
		all.tx += ps->tx;
		all.rx_dropped += ps->rx_dropped;
		all.tx_dropped += ps->tx_dropped;
		all.copies += ps->copies;
		all.failed += ps->failed;
		all.bad += ps->bad;
	}
	fprintf(f, "\n  +++++++++++++++ Accumulated forward statistics for all "
		"ports+++++++++++++++\n");
	fprintf(f, "  RX-packets: %-14" PRIu64 " RX-dropped: %-14" PRIu64
		" RX-total: %-" PRIu64 "\n", all.rx, all.rx_dropped,
		all.rx + all.rx_dropped);
	fprintf(f, "  TX-packets: %-14" PRIu64 " TX-dropped: %-14" PRIu64
		" TX-total: %-" PRIu64 "\n", all.tx, all.tx_dropped,
		all.tx + all.tx_dropped);
	if (dma)
		fprintf(f, "  DMA-copies: %-14" PRIu64 " DMA-failed: %-14" PRIu64
			"\n", all.copies, all.failed);
	fprintf(f, "  ++++++++++++++++++++++++++++++++++++++++++++++++++++++"
		"++++++++++++++++++++++\n");
}

void
tp_clear_fwd_stats(void)
{
	for (unsigned int s = 0; s < tp.nb_streams; s++) {
		struct fwd_stream *fs = &tp.streams[s];

		fs->base.rx = __atomic_load_n(&fs->rx_packets, __ATOMIC_RELAXED);
		fs->base.tx = __atomic_load_n(&fs->tx_packets, __ATOMIC_RELAXED);
		fs->base.dropped = __atomic_load_n(&fs->fwd_dropped,
						   __ATOMIC_RELAXED);
		fs->base.bad = __atomic_load_n(&fs->rx_bad, __ATOMIC_RELAXED);
		fs->base.copies = __atomic_load_n(&fs->dma_copies,
						  __ATOMIC_RELAXED);
		fs->base.failed = __atomic_load_n(&fs->dma_failed,
						  __ATOMIC_RELAXED);
	}
	for (unsigned int i = 0; i < tp.nb_fwd_ports; i++) {
		uint16_t p = tp.fwd_ports[i];

		keel_eth_stats_get(p, &tp.ports[p].fwd_base);
	}
	printf("  Forward statistics cleared\n");
}

/* The end of a non-interactive run: every port's NIC statistics. */
void
tp_print_final_stats(FILE *f)
{
	for (unsigned int i = 0; i < tp.nb_fwd_ports; i++)
		tp_show_port_stats(f, tp.fwd_ports[i]);
}
