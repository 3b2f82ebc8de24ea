/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_null: Rx hands out well-formed mbufs of `size` bytes (copy=1 with
 * the driver's pattern in them), Tx frees whatever it is given (plain,
 * chained, cloned: the pool gets every buffer back exactly once), bad
 * arguments are refused by name, pool exhaustion counts rx_nombuf, and the
 * link follows start/stop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keel_eal.h"
#include "keel_ethdev.h"
#include "keel_malloc.h"
#include "keel_mbuf.h"
#include "keel_mempool.h"
#include "test.h"
#include "test_net_util.h"
#include "test_util.h"

static int
expect_attach_fails(const char *devargs, int err, const char *in_log)
{
	uint16_t n = keel_eth_dev_count_total();
	char *log;
	int ret;

	test_log_capture_start();
	ret = test_net_attach(devargs);
	log = test_log_capture_stop();
	TEST_ASSERT_EQUAL(ret, err, "attach %s", devargs);
	TEST_ASSERT(strstr(log, in_log) != NULL, "log does not name '%s': %s",
		    in_log, log);
	free(log);
	TEST_ASSERT_EQUAL(keel_eth_dev_count_total(), n, "no port left");
	return TEST_SUCCESS;
}

static int
test_net_null_rx_tx(void)
{
	struct keel_mempool *mp = test_net_pool("null_rxtx", 2047);
	struct keel_mbuf *pkts[64], *chain, *clone;
	struct keel_eth_stats st;
	struct keel_eth_link link;
	unsigned int avail;
	int port;
	uint16_t p;

	TEST_ASSERT(mp != NULL, "pool");
	if (expect_attach_fails("net_null_x,size=70000", -EINVAL, "size") ||
	    expect_attach_fails("net_null_x,copy=2", -EINVAL, "copy") ||
	    expect_attach_fails("net_null_x,bogus=1", -EINVAL, "bogus"))
		return TEST_FAILED;
	port = test_net_attach("net_null_rx,size=100,copy=1");
	TEST_ASSERT(port >= 0, "attach: %d", port);
	p = (uint16_t)port;
	TEST_ASSERT_SUCCESS(test_net_start(p, 2, mp), "start");
	avail = keel_mempool_avail_count(mp);
	TEST_ASSERT_SUCCESS(keel_eth_link_get_nowait(p, &link), "link");
	TEST_ASSERT_EQUAL(link.link_status, KEEL_ETH_LINK_UP, "up when started");

	TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 1, pkts, 64), 64, "rx");
	for (int i = 0; i < 64; i++) {
		struct keel_mbuf *m = pkts[i];

		TEST_ASSERT(m->pkt_len == 100 && m->data_len == 100 &&
			    m->nb_segs == 1 && m->next == NULL &&
			    m->port == p && keel_mbuf_refcnt_read(m) == 1 &&
			    m->data_off == KEEL_PKTMBUF_HEADROOM &&
			    m->ol_flags == 0 && m->pool == mp,
			    "mbuf %d: len %u/%u segs %u port %u", i,
			    m->pkt_len, m->data_len, m->nb_segs, m->port);
		/* copy=1: the driver's bytes 0, 1, 2, ... */
		TEST_ASSERT(test_net_pkt_check(m, 100, 0), "data of mbuf %d", i);
	}
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), avail - 64, "taken");
	TEST_ASSERT_EQUAL(keel_eth_tx_burst(p, 0, pkts, 64), 64, "tx frees");
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), avail, "all back");

	/* a chain, a clone (refcnt 2) and a plain mbuf in one Tx burst */
	chain = test_net_pkt(mp, 60, 1);
	pkts[1] = test_net_pkt(mp, 40, 2);
	TEST_ASSERT(chain != NULL && pkts[1] != NULL, "pkts");
	TEST_ASSERT_SUCCESS(keel_pktmbuf_chain(chain, pkts[1]), "chain");
	pkts[0] = chain;
	pkts[1] = test_net_pkt(mp, 30, 3);
	clone = keel_pktmbuf_clone(pkts[1], mp);
	pkts[2] = test_net_pkt(mp, 20, 4);
	TEST_ASSERT(clone != NULL && pkts[2] != NULL, "clone");
	TEST_ASSERT_EQUAL(keel_eth_tx_burst(p, 0, pkts, 3), 3, "mixed tx");
	TEST_ASSERT(test_net_pkt_check(clone, 30, 3), "clone's data intact");
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), avail - 2,
			  "the clone holds 2 mbufs");
	keel_pktmbuf_free(clone);
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), avail, "all back");

	TEST_ASSERT_SUCCESS(keel_eth_stats_get(p, &st), "stats");
	TEST_ASSERT(st.ipackets == 64 && st.ibytes == 6400 &&
		    st.q_ipackets[1] == 64, "rx stats %llu",
		    (unsigned long long)st.ipackets);
	TEST_ASSERT(st.opackets == 67 && st.obytes == 6400 + 150,
		    "tx stats %llu/%llu", (unsigned long long)st.opackets,
		    (unsigned long long)st.obytes);

	/* pool exhausted: Rx returns nothing and counts */
	{
		struct keel_mbuf **all = calloc(4096, sizeof(*all));
		unsigned int n = 0;

		TEST_ASSERT(all != NULL, "alloc");
		while (n < 4096 && (all[n] = keel_pktmbuf_alloc(mp)) != NULL)
			n++;
		TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 0, pkts, 32), 0, "empty");
		TEST_ASSERT_SUCCESS(keel_eth_stats_get(p, &st), "stats");
		TEST_ASSERT_EQUAL(st.rx_nombuf, 32, "rx_nombuf");
		keel_pktmbuf_free_bulk(all, n);
		free(all);
	}
	TEST_ASSERT_SUCCESS(keel_eth_dev_stop(p), "stop");
	TEST_ASSERT_SUCCESS(keel_eth_link_get_nowait(p, &link), "link");
	TEST_ASSERT_EQUAL(link.link_status, KEEL_ETH_LINK_DOWN, "down");
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach(p), "detach");
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), mp->size, "no leak");
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}
KEEL_TEST(net_null_rx_tx, "fast", 0, test_net_null_rx_tx)

/* the pool must hold a generated packet; no-rx gives nothing */
static int
test_net_null_limits(void)
{
	struct keel_mempool *small = keel_pktmbuf_pool_create("null_small",
		255, 0, 0, KEEL_PKTMBUF_HEADROOM + 64, KEEL_SOCKET_ID_ANY);
	struct keel_mempool *mp = test_net_pool("null_lim", 511);
	struct keel_eth_dev_info info;
	struct keel_mbuf *pkts[8];
	struct keel_eth_conf c = { 0 };
	char *log;
	int port, ret;

	TEST_ASSERT(small != NULL && mp != NULL, "pools");
	port = test_net_attach("net_null_l,size=65");
	TEST_ASSERT(port >= 0, "attach");
	TEST_ASSERT_SUCCESS(keel_eth_dev_info_get((uint16_t)port, &info), "info");
	TEST_ASSERT_EQUAL(info.min_rx_bufsize, 65, "min_rx_bufsize = size");
	TEST_ASSERT(strcmp(info.driver_name, "net_null") == 0, "driver");
	TEST_ASSERT_SUCCESS(keel_eth_dev_configure((uint16_t)port, 1, 1, &c),
			    "configure");
	test_log_capture_start();
	ret = keel_eth_rx_queue_setup((uint16_t)port, 0, 0, KEEL_SOCKET_ID_ANY,
				      NULL, small);
	log = test_log_capture_stop();
	TEST_ASSERT_EQUAL(ret, -EINVAL, "65-byte packets in 64-byte buffers");
	TEST_ASSERT(strstr(log, "null_small has 192 bytes of data room, the port needs headroom 128 + 65") != NULL,
		    "log: %s", log);
	free(log);
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach((uint16_t)port), "detach");

	port = test_net_attach("net_null_n,no-rx=1");
	TEST_ASSERT(port >= 0, "attach no-rx");
	TEST_ASSERT_SUCCESS(test_net_start((uint16_t)port, 1, mp), "start");
	TEST_ASSERT_EQUAL(keel_eth_rx_burst((uint16_t)port, 0, pkts, 8), 0,
			  "no-rx");
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach((uint16_t)port), "detach");
	keel_mempool_free(small);
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}
KEEL_TEST(net_null_limits, "fast", 0, test_net_null_limits)

/* --vdev net_null0 --vdev net_null1 at start-up, as testpmd is run */
static int
test_net_null_vdev(void)
{
	uint16_t p0, p1;
	int ret;

	TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup");
	ret = test_eal_init_str("--no-huge -m 64 --vdev net_null0 "
				"--vdev net_null1,size=128");
	TEST_ASSERT(ret > 0, "init: %d", ret);
	TEST_ASSERT_SUCCESS(keel_eth_dev_get_port_by_name("net_null0", &p0), "0");
	TEST_ASSERT_SUCCESS(keel_eth_dev_get_port_by_name("net_null1", &p1), "1");
	TEST_ASSERT(p0 == 0 && p1 == 1, "ids %u %u", p0, p1);
	TEST_ASSERT_EQUAL(keel_eth_dev_count_avail(), 2, "two ports");
	return TEST_SUCCESS;   /* the runner's cleanup removes them */
}
KEEL_TEST(net_null_vdev, "fast", 0, test_net_null_vdev)
