/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel-testpmd's command table, options and stream layout, without
 * forwarding: completion offers what the syntax allows and the world has;
 * a bad line or option is refused and changes nothing; streams are spread
 * over lcores as DPDK does and a Tx queue shared across lcores is refused.
 */
#include <stdlib.h>

#include "cmdline.h"
#include "test.h"
#include "testpmd.h"

/* Do the candidates for @p line equal @p want (space separated, sorted as
 * the table lists them)? */
static int
complete_is(const char *line, const char *want)
{
	char *c[64], got[512] = "";
	unsigned int n = tp_cmd_complete(line, c, 64);
	size_t o = 0;

	for (unsigned int i = 0; i < n; i++) {
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s",
				      i ? " " : "", c[i]);
		free(c[i]);
	}
	TEST_ASSERT(strcmp(got, want) == 0, "complete '%s': got '%s', want '%s'",
		    line, got, want);
	return TEST_SUCCESS;
}

static int
test_testpmd_cmdline(void)
{
	static const char *const bad_lines[] = {
		"bogus", "show", "show port", "show port stats",
		"show port stats 9", "show port nope 0", "set burst 0",
		"set burst 513", "set burst x", "set fwd nope", "stop extra",
		"set nbcore 0", "set txpkts 10", "set verbose 9",
		"port config all rxq 0",
		"set eth-peer 0 not-a-mac", "show dma info 63",
		"start tx_first 0",
	};
	int ret;

	tp_defaults();
	tp.ports[0].in_use = true;
	tp.ports[1].in_use = true;
	tp.nb_worker_lcores = 1;

	/* completion: keywords, then values the world has */
	if ((ret = complete_is("sh", "show")) ||
	    (ret = complete_is("show port ", "info stats xstats")) ||
	    (ret = complete_is("show port s", "stats")) ||
	    (ret = complete_is("show port stats ", "all 0 1")) ||
	    (ret = complete_is("set fwd mac", "mac macswap")) ||
	    (ret = complete_is("set burst ", "<nb_pkts>")) ||
	    (ret = complete_is("port ", "start stop close reset config attach "
				"detach")) ||
	    (ret = complete_is("help sh", "show")) ||
	    (ret = complete_is("show iommu ", "map faults")) ||
	    (ret = complete_is("nothing ", "")))
		return ret;

	/* refused lines leave the settings alone */
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		const struct fwd_engine *eng = tp.engine;
		uint16_t burst = tp.burst;
		uint32_t txlen = tp.tx_pkt_len;

		TEST_ASSERT_EQUAL(tp_cmd_run_line(bad_lines[i]), -1,
				  "'%s' refused", bad_lines[i]);
		TEST_ASSERT(tp.engine == eng && tp.burst == burst &&
			    tp.tx_pkt_len == txlen && tp.verbose == 0 &&
			    !tp.fwd_running && !tp.quit,
			    "'%s' changed nothing", bad_lines[i]);
	}
	/* good lines do what they say */
	TEST_ASSERT_SUCCESS(tp_cmd_run_line("set burst 64"), "set burst");
	TEST_ASSERT_EQUAL(tp.burst, 64, "burst");
	TEST_ASSERT_SUCCESS(tp_cmd_run_line("  set fwd   macswap  # comment"),
			    "set fwd");
	TEST_ASSERT(strcmp(tp.engine->name, "macswap") == 0, "engine");
	TEST_ASSERT_SUCCESS(tp_cmd_run_line("set txpkts 64,128"), "txpkts");
	TEST_ASSERT_EQUAL(tp.tx_pkt_len, 192, "txpkts length");
	TEST_ASSERT_EQUAL(tp.nb_txpkts, 2, "txpkts segments");
	TEST_ASSERT_SUCCESS(tp_cmd_run_line("set verbose 1"), "verbose");
	TEST_ASSERT_EQUAL(tp.verbose, 1, "verbose");
	TEST_ASSERT_SUCCESS(tp_cmd_run_line("set eth-peer 1 02:00:00:00:aa:bb"),
			    "eth-peer");
	TEST_ASSERT_EQUAL(tp.ports[1].peer.addr_bytes[4], 0xaa, "peer");
	TEST_ASSERT_SUCCESS(tp_cmd_run_line(""), "empty line");
	TEST_ASSERT_SUCCESS(tp_cmd_run_line("# only a comment"), "comment");
	TEST_ASSERT_SUCCESS(tp_cmd_run_line("help port"), "help");
	TEST_ASSERT_SUCCESS(tp_cmd_run_line("quit"), "quit");
	TEST_ASSERT(tp.quit, "quit sets the flag");
	tp_defaults();
	return TEST_SUCCESS;
}
KEEL_TEST(testpmd_cmdline, "fast", 0, test_testpmd_cmdline)

static int
parse(const char *args)
{
	char buf[512], *argv[32];
	int argc = 0;

	snprintf(buf, sizeof(buf), "keel-testpmd %s", args);
	for (char *t = strtok(buf, " "); t != NULL && argc < 31;
	     t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	tp_defaults();
	return tp_parse_args(argc, argv);
}

static int
test_testpmd_options(void)
{
	static const char *const bad[] = {
		"--rxq=0", "--rxq=1025", "--txq=x", "--rxd=0", "--burst=0",
		"--burst=513", "--txpkts=10", "--txpkts=64,,64", "--txpkts=",
		"--txpkts=64,64,64,64,64,64,64,64,64", "--portmask=0",
		"--portmask=zz", "--portlist=1-0", "--portlist=0,0",
		"--portlist=40", "--eth-peer=0,zz", "--eth-peer=99,02:00:00:00:00:01",
		"--forward-mode=nope", "--port-topology=ring", "--run-time=-1",
		"--run-time=0", "--nb-cores=x", "--nb-cores=0",
		"--total-num-mbufs=10", "--mbuf-size=100", "--stats-period=0",
		"--dma=", "--dma=a,,b", "extra", "-i --run-time=1", "--bogus",
		"-z", "--rxq",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		TEST_ASSERT_EQUAL(parse(bad[i]), -EINVAL, "'%s' refused", bad[i]);
	TEST_ASSERT_EQUAL(parse("--help"), 1, "--help");
	TEST_ASSERT_SUCCESS(parse("-i -a --forward-mode=icmpecho --nb-cores=1 "
				  "--rxq=2 --txq=2 --rxd=256 --txd=256 "
				  "--burst=64 --txpkts=100,28 --portlist=0,2-3 "
				  "--eth-peer=1,02:00:00:00:00:09 --dma=d0,d1 "
				  "--stats-period=2 --port-topology=chained "
				  "--total-num-mbufs=9000 --mbuf-size=4096"),
			    "good options");
	TEST_ASSERT(tp.interactive && tp.auto_start, "-i -a");
	TEST_ASSERT(strcmp(tp.engine->name, "icmpecho") == 0, "mode");
	TEST_ASSERT(tp.nb_rxq == 2 && tp.nb_txq == 2 && tp.nb_rxd == 256 &&
		    tp.nb_txd == 256 && tp.burst == 64, "queues, burst");
	TEST_ASSERT(tp.nb_txpkts == 2 && tp.tx_pkt_len == 128, "txpkts");
	TEST_ASSERT(tp.nb_portlist == 3 && tp.portlist[2] == 3, "portlist");
	TEST_ASSERT(tp.ports[1].peer_set &&
		    tp.ports[1].peer.addr_bytes[5] == 9, "eth-peer");
	TEST_ASSERT(strcmp(tp.dma_names, "d0,d1") == 0, "dma");
	TEST_ASSERT(tp.topology == TP_TOPO_CHAINED && tp.stats_period == 2 &&
		    tp.total_num_mbufs == 9000 && tp.mbuf_size == 4096,
		    "the rest");
	TEST_ASSERT_SUCCESS(parse("--run-time=0.5 --tx-first"), "run-time");
	TEST_ASSERT(tp.run_time == 0.5 && tp.tx_first == 1, "run-time value");
	tp_defaults();
	return TEST_SUCCESS;
}
KEEL_TEST(testpmd_options, "fast", 0, test_testpmd_options)

/* Lay @p nb_ports ports x @p q queues over @p lcores lcores. */
static int
layout(unsigned int nb_ports, uint16_t rxq, uint16_t txq, unsigned int lcores,
       enum tp_topology topo)
{
	free(tp.streams);
	tp_defaults();
	tp.topology = topo;
	tp.nb_fwd_ports = nb_ports;
	for (unsigned int i = 0; i < nb_ports; i++) {
		tp.fwd_ports[i] = (uint16_t)i;
		tp.ports[i].in_use = true;
		tp.ports[i].nb_rxq = rxq;
		tp.ports[i].nb_txq = txq;
	}
	tp.nb_worker_lcores = lcores;
	for (unsigned int c = 0; c < lcores; c++)
		tp.worker_lcores[c] = 10 + c;
	tp.nb_fwd_lcores = lcores;
	return tp_fwd_config_setup();
}

#define STREAM_IS(k, rp, rq, tpo, tq, lcid) \
	TEST_ASSERT(tp.streams[k].rx_port == (rp) && \
		    tp.streams[k].rx_queue == (rq) && \
		    tp.streams[k].tx_port == (tpo) && \
		    tp.streams[k].tx_queue == (tq) && \
		    tp.streams[k].lc->lcore_id == (lcid), \
		    "stream %u: %u/%u -> %u/%u on lcore %u", k, \
		    tp.streams[k].rx_port, tp.streams[k].rx_queue, \
		    tp.streams[k].tx_port, tp.streams[k].tx_queue, \
		    tp.streams[k].lc->lcore_id)

static int
test_testpmd_layout(void)
{
	/* 2 ports x 2 queues over 2 lcores, paired: queue-major streams */
	TEST_ASSERT_SUCCESS(layout(2, 2, 2, 2, TP_TOPO_PAIRED), "layout");
	TEST_ASSERT_EQUAL(tp.nb_streams, 4, "streams");
	STREAM_IS(0, 0, 0, 1, 0, 10);
	STREAM_IS(1, 1, 0, 0, 0, 10);
	STREAM_IS(2, 0, 1, 1, 1, 11);
	STREAM_IS(3, 1, 1, 0, 1, 11);
	/* one Tx queue for two lcores: refused */
	TEST_ASSERT_EQUAL(layout(2, 2, 1, 2, TP_TOPO_PAIRED), -EINVAL,
			  "shared Tx queue refused");
	/* ... but fine on one lcore */
	TEST_ASSERT_SUCCESS(layout(2, 2, 1, 1, TP_TOPO_PAIRED), "one lcore");
	/* 4 streams over 3 lcores: the last lcore takes the extra one */
	TEST_ASSERT_SUCCESS(layout(2, 2, 2, 3, TP_TOPO_PAIRED), "3 lcores");
	TEST_ASSERT(tp.lcores[0].stream_nb == 1 && tp.lcores[1].stream_nb == 1 &&
		    tp.lcores[2].stream_nb == 2, "1, 1, 2 streams");
	/* more lcores than streams: only as many lcores as streams */
	TEST_ASSERT_SUCCESS(layout(2, 1, 1, 4, TP_TOPO_PAIRED), "4 lcores");
	TEST_ASSERT_EQUAL(tp.nb_cfg_lcores, 2, "2 lcores used");
	/* topologies over three ports */
	TEST_ASSERT_SUCCESS(layout(3, 1, 1, 1, TP_TOPO_PAIRED), "paired");
	STREAM_IS(0, 0, 0, 1, 0, 10);
	STREAM_IS(1, 1, 0, 0, 0, 10);
	STREAM_IS(2, 2, 0, 2, 0, 10);
	TEST_ASSERT_SUCCESS(layout(3, 1, 1, 1, TP_TOPO_CHAINED), "chained");
	STREAM_IS(0, 0, 0, 1, 0, 10);
	STREAM_IS(1, 1, 0, 2, 0, 10);
	STREAM_IS(2, 2, 0, 0, 0, 10);
	TEST_ASSERT_SUCCESS(layout(3, 1, 1, 1, TP_TOPO_LOOP), "loop");
	STREAM_IS(1, 1, 0, 1, 0, 10);
	free(tp.streams);
	tp_defaults();
	return TEST_SUCCESS;
}
KEEL_TEST(testpmd_layout, "fast", 0, test_testpmd_layout)
