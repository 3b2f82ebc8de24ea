/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ethdev library tests through the test driver (net_ethtest): the state
 * machine, argument checks (each refused call leaves the port as it was
 * and logs the bad value), failure injection in every op, the fast path
 * on stopped ports and bad ids.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keel_ethdev.h"
#include "keel_malloc.h"
#include "keel_mbuf.h"
#include "keel_mempool.h"
#include "test.h"
#include "test_ethdev_drv.h"


/* run @p call, expect @p err and a log line containing @p in_log */
#define EXPECT_FAIL(call, err, in_log) do { \
	const char *want__ = (in_log); \
	char *log__; \
	int r__; \
	test_log_capture_start(); \
	r__ = (call); \
	log__ = test_log_capture_stop(); \
	if (r__ != (err) || (want__ != NULL && strstr(log__, want__) == NULL)) { \
		printf("  %s:%d: %s returned %d (expected %d), log: %s\n", \
		       __FILE__, __LINE__, #call, r__, (err), log__); \
		free(log__); \
		return TEST_FAILED; \
	} \
	free(log__); \
} while (0)

/* a snapshot of everything the application can see of a port */
struct snap {
	struct keel_eth_dev_info info;
	struct keel_eth_conf conf;
	int started;
	struct keel_eth_rxq_info rxq[4];
	struct keel_eth_txq_info txq[4];
	int rxq_ret[4], txq_ret[4];
};

static void
take(uint16_t port, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	keel_eth_dev_info_get(port, &s->info);
	keel_eth_dev_conf_get(port, &s->conf);
	s->started = keel_eth_dev_is_started(port);
	test_log_capture_start();
	for (uint16_t q = 0; q < 4; q++) {
		s->rxq_ret[q] = keel_eth_rx_queue_info_get(port, q, &s->rxq[q]);
		s->txq_ret[q] = keel_eth_tx_queue_info_get(port, q, &s->txq[q]);
	}
	free(test_log_capture_stop());
}

static int
same(uint16_t port, const struct snap *a, const char *what)
{
	struct snap b;

	take(port, &b);
	TEST_ASSERT(memcmp(a, &b, sizeof(b)) == 0,
		    "port %u changed by a refused %s", port, what);
	return TEST_SUCCESS;
}

static int
mk_port(const char *name, struct test_eth_cfg *cfg_out)
{
	struct test_eth_cfg cfg;
	int port;

	test_eth_default_cfg(&cfg);
	if (cfg_out != NULL)
		*cfg_out = cfg;
	port = test_eth_create(name, &cfg);
	return port;
}

static int
setup_all(uint16_t port, uint16_t nrx, uint16_t ntx)
{
	struct keel_eth_conf conf = { 0 };

	TEST_ASSERT_SUCCESS(keel_eth_dev_configure(port, nrx, ntx, &conf),
			    "configure");
	for (uint16_t q = 0; q < nrx; q++)
		TEST_ASSERT_SUCCESS(keel_eth_rx_queue_setup(port, q, 128,
				    KEEL_SOCKET_ID_ANY, NULL, test_eth_pool()),
				    "rxq %u", q);
	for (uint16_t q = 0; q < ntx; q++)
		TEST_ASSERT_SUCCESS(keel_eth_tx_queue_setup(port, q, 128,
				    KEEL_SOCKET_ID_ANY, NULL), "txq %u", q);
	return TEST_SUCCESS;
}

static int
test_ethdev_configure_checks(void)
{
	struct keel_eth_conf c;
	struct test_eth_priv *pv;
	uint8_t key[40] = { 1, 2, 3 };
	struct snap s;
	int port = mk_port("t_cfg", NULL);

	TEST_ASSERT(port >= 0, "create: %d", port);
	pv = test_eth_priv((uint16_t)port);
	TEST_ASSERT(pv != NULL, "priv");
	take((uint16_t)port, &s);
	TEST_ASSERT_EQUAL(s.info.nb_rx_queues, 0, "fresh port has no queues");
	TEST_ASSERT(strcmp(s.info.driver_name, "net_ethtest") == 0, "driver");

	EXPECT_FAIL(keel_eth_dev_configure((uint16_t)port, 1, 1, NULL), -EINVAL,
		    "NULL eth_conf");
	memset(&c, 0, sizeof(c));
	EXPECT_FAIL(keel_eth_dev_configure((uint16_t)port, 5, 1, &c), -EINVAL,
		    "nb_rx_queues 5 > max 4");
	EXPECT_FAIL(keel_eth_dev_configure((uint16_t)port, 1, 9, &c), -EINVAL,
		    "nb_tx_queues 9 > max 4");
	c.rxmode.offloads = KEEL_ETH_RX_OFFLOAD_TCP_LRO;
	EXPECT_FAIL(keel_eth_dev_configure((uint16_t)port, 1, 1, &c), -EINVAL,
		    "Rx offloads 0x10 not supported");
	c.rxmode.offloads = 0;
	c.txmode.offloads = KEEL_ETH_TX_OFFLOAD_TCP_TSO;
	EXPECT_FAIL(keel_eth_dev_configure((uint16_t)port, 1, 1, &c), -EINVAL,
		    "Tx offloads 0x20 not supported");
	c.txmode.offloads = 0;
	c.rxmode.mtu = 9001;
	EXPECT_FAIL(keel_eth_dev_configure((uint16_t)port, 1, 1, &c), -EINVAL,
		    "MTU 9001 not in 68..9000");
	c.rxmode.mtu = 67;
	EXPECT_FAIL(keel_eth_dev_configure((uint16_t)port, 1, 1, &c), -EINVAL,
		    "MTU 67");
	c.rxmode.mtu = 0;
	c.rxmode.mq_mode = KEEL_ETH_MQ_RX_RSS;
	c.rx_adv_conf.rss_conf.rss_hf = KEEL_ETH_RSS_L2_PAYLOAD;
	EXPECT_FAIL(keel_eth_dev_configure((uint16_t)port, 2, 1, &c), -EINVAL,
		    "RSS hash functions 0x4000 not supported");
	c.rx_adv_conf.rss_conf.rss_hf = KEEL_ETH_RSS_IPV4;
	c.rx_adv_conf.rss_conf.rss_key = key;
	c.rx_adv_conf.rss_conf.rss_key_len = 39;
	EXPECT_FAIL(keel_eth_dev_configure((uint16_t)port, 2, 1, &c), -EINVAL,
		    "RSS key length 39, the port takes 40");
	c.rxmode.mq_mode = (enum keel_eth_rx_mq_mode)7;
	EXPECT_FAIL(keel_eth_dev_configure((uint16_t)port, 2, 1, &c), -EINVAL,
		    "unknown Rx mq_mode 7");
	memset(&c, 0, sizeof(c));
	c.rxmode.offloads = KEEL_ETH_RX_OFFLOAD_RSS_HASH;
	EXPECT_FAIL(keel_eth_dev_configure((uint16_t)port, 1, 1, &c), -EINVAL,
		    "needs mq_mode RSS");
	memset(&c, 0, sizeof(c));
	c.lpbk_mode = 1;
	EXPECT_FAIL(keel_eth_dev_configure((uint16_t)port, 1, 1, &c), -ENOTSUP,
		    "loopback");
	memset(&c, 0, sizeof(c));
	c.intr_conf.rmv = 1;
	EXPECT_FAIL(keel_eth_dev_configure((uint16_t)port, 1, 1, &c), -ENOTSUP,
		    "intr_conf.rmv");
	memset(&c, 0, sizeof(c));
	c.link_speeds = KEEL_ETH_LINK_SPEED_100G;
	EXPECT_FAIL(keel_eth_dev_configure((uint16_t)port, 1, 1, &c), -EINVAL,
		    "link speeds 0x4000");
	memset(&c, 0, sizeof(c));
	pv->fail_next[TOP_CONFIGURE] = -EIO;
	EXPECT_FAIL(keel_eth_dev_configure((uint16_t)port, 1, 1, &c), -EIO,
		    "driver");
	if (same((uint16_t)port, &s, "configure"))
		return TEST_FAILED;
	EXPECT_FAIL(keel_eth_dev_configure(KEEL_MAX_ETHPORTS + 3, 1, 1, &c),
		    -ENODEV, "no port 35");

	/* RSS accepted on a port that has it; key kept by the library */
	c.rxmode.mq_mode = KEEL_ETH_MQ_RX_RSS;
	c.rxmode.offloads = KEEL_ETH_RX_OFFLOAD_RSS_HASH;
	c.rx_adv_conf.rss_conf.rss_hf = KEEL_ETH_RSS_IPV4;
	c.rx_adv_conf.rss_conf.rss_key = key;
	c.rx_adv_conf.rss_conf.rss_key_len = 40;
	c.intr_conf.lsc = 1;
	TEST_ASSERT_SUCCESS(keel_eth_dev_configure((uint16_t)port, 2, 2, &c),
			    "configure with RSS");
	TEST_ASSERT_EQUAL(pv->rss_hf, KEEL_ETH_RSS_IPV4, "driver saw rss_hf");
	{
		struct keel_eth_conf got;

		TEST_ASSERT_SUCCESS(keel_eth_dev_conf_get((uint16_t)port, &got),
				    "conf get");
		TEST_ASSERT_EQUAL(got.rxmode.mtu, 1500, "default MTU filled");
		TEST_ASSERT_EQUAL(got.rx_adv_conf.rss_conf.rss_hf,
				  KEEL_ETH_RSS_IPV4, "hf");
	}
	/* 0 and 0 queues: one each, as DPDK */
	memset(&c, 0, sizeof(c));
	TEST_ASSERT_SUCCESS(keel_eth_dev_configure((uint16_t)port, 0, 0, &c),
			    "0/0");
	take((uint16_t)port, &s);
	TEST_ASSERT(s.info.nb_rx_queues == 1 && s.info.nb_tx_queues == 1,
		    "0/0 gives 1/1, got %u/%u", s.info.nb_rx_queues,
		    s.info.nb_tx_queues);
	TEST_ASSERT_SUCCESS(keel_eth_dev_close((uint16_t)port), "close");
	return TEST_SUCCESS;
}
KEEL_TEST(ethdev_configure_checks, "fast", 0, test_ethdev_configure_checks)

static int
test_ethdev_queue_checks(void)
{
	struct keel_eth_rxconf rc = { 0 };
	struct keel_eth_txconf tc = { 0 };
	struct keel_eth_conf c = { 0 };
	struct keel_eth_rxq_info qi;
	struct test_eth_priv *pv;
	struct snap s;
	int port = mk_port("t_q", NULL);
	uint16_t p = (uint16_t)port;

	TEST_ASSERT(port >= 0, "create");
	pv = test_eth_priv(p);
	EXPECT_FAIL(keel_eth_rx_queue_setup(p, 0, 128, KEEL_SOCKET_ID_ANY,
					    NULL, test_eth_pool()), -EINVAL,
		    "not configured");
	TEST_ASSERT_SUCCESS(keel_eth_dev_configure(p, 2, 2, &c), "configure");
	take(p, &s);
	EXPECT_FAIL(keel_eth_rx_queue_setup(p, 2, 128, KEEL_SOCKET_ID_ANY,
					    NULL, test_eth_pool()), -EINVAL,
		    "queue 2 >= 2 configured");
	EXPECT_FAIL(keel_eth_tx_queue_setup(p, 7, 128, KEEL_SOCKET_ID_ANY,
					    NULL), -EINVAL,
		    "queue 7 >= 2 configured");
	EXPECT_FAIL(keel_eth_rx_queue_setup(p, 0, 32, KEEL_SOCKET_ID_ANY,
					    NULL, test_eth_pool()), -EINVAL,
		    "32 descriptors not in 64..4096 (multiple of 32)");
	EXPECT_FAIL(keel_eth_rx_queue_setup(p, 0, 8192, KEEL_SOCKET_ID_ANY,
					    NULL, test_eth_pool()), -EINVAL,
		    "8192 descriptors");
	EXPECT_FAIL(keel_eth_tx_queue_setup(p, 0, 100, KEEL_SOCKET_ID_ANY,
					    NULL), -EINVAL, "100 descriptors");
	EXPECT_FAIL(keel_eth_rx_queue_setup(p, 0, 128, KEEL_SOCKET_ID_ANY,
					    NULL, NULL), -EINVAL,
		    "NULL mempool");
	{
		struct keel_mempool *small = keel_pktmbuf_pool_create("t_small",
			15, 0, 0, KEEL_PKTMBUF_HEADROOM + 64, KEEL_SOCKET_ID_ANY);

		TEST_ASSERT(small != NULL, "pool");
		pv->cfg.min_rx_bufsize = 100;
		EXPECT_FAIL(keel_eth_rx_queue_setup(p, 0, 128,
			    KEEL_SOCKET_ID_ANY, NULL, small), -EINVAL,
			    "pool t_small has 192 bytes of data room, the port needs headroom 128 + 100");
		pv->cfg.min_rx_bufsize = 0;
		keel_mempool_free(small);
	}
	EXPECT_FAIL(keel_eth_rx_queue_setup(p, 0, 128, 999, NULL, test_eth_pool()),
		    -EINVAL, "socket 999");
	rc.offloads = KEEL_ETH_RX_OFFLOAD_IPV4_CKSUM;  /* port-only offload */
	EXPECT_FAIL(keel_eth_rx_queue_setup(p, 0, 128, KEEL_SOCKET_ID_ANY,
					    &rc, test_eth_pool()), -EINVAL,
		    "offloads 0x2 are not per-queue");
	tc.offloads = KEEL_ETH_TX_OFFLOAD_TCP_TSO;
	EXPECT_FAIL(keel_eth_tx_queue_setup(p, 0, 128, KEEL_SOCKET_ID_ANY,
					    &tc), -EINVAL, "offloads 0x20");
	pv->fail_next[TOP_RXQ_SETUP] = -ENOMEM;
	EXPECT_FAIL(keel_eth_rx_queue_setup(p, 0, 128, KEEL_SOCKET_ID_ANY,
					    NULL, test_eth_pool()), -ENOMEM,
		    "driver");
	if (same(p, &s, "queue setup"))
		return TEST_FAILED;
	TEST_ASSERT_EQUAL(pv->live_rxq, 0, "no queue object leaked");

	/* nb_desc 0: the driver's default (fallback 512, within limits) */
	rc.offloads = KEEL_ETH_RX_OFFLOAD_VLAN_STRIP;  /* a per-queue one */
	TEST_ASSERT_SUCCESS(keel_eth_rx_queue_setup(p, 0, 0,
				KEEL_SOCKET_ID_ANY, &rc, test_eth_pool()), "rxq0");
	TEST_ASSERT_SUCCESS(keel_eth_rx_queue_info_get(p, 0, &qi), "qinfo");
	TEST_ASSERT_EQUAL(qi.nb_desc, 512, "default descriptors");
	TEST_ASSERT(qi.mp == test_eth_pool(), "pool");
	TEST_ASSERT_EQUAL(qi.conf.offloads, KEEL_ETH_RX_OFFLOAD_VLAN_STRIP,
			  "queue offloads");
	/* replacing a queue: a failed setup keeps the old one */
	pv->fail_next[TOP_RXQ_SETUP] = -ENOMEM;
	EXPECT_FAIL(keel_eth_rx_queue_setup(p, 0, 256, KEEL_SOCKET_ID_ANY,
					    NULL, test_eth_pool()), -ENOMEM, "driver");
	TEST_ASSERT_SUCCESS(keel_eth_rx_queue_info_get(p, 0, &qi), "qinfo");
	TEST_ASSERT_EQUAL(qi.nb_desc, 512, "old queue kept");
	TEST_ASSERT_EQUAL(pv->live_rxq, 1, "one queue object");
	TEST_ASSERT_SUCCESS(keel_eth_rx_queue_setup(p, 0, 256,
				KEEL_SOCKET_ID_ANY, NULL, test_eth_pool()), "again");
	TEST_ASSERT_EQUAL(pv->live_rxq, 1, "old one released");
	EXPECT_FAIL(keel_eth_rx_queue_info_get(p, 1, &qi), -EINVAL,
		    "queue 1 not set up");

	/* start needs every queue */
	EXPECT_FAIL(keel_eth_dev_start(p), -EINVAL, "Rx queue 1 is not set up");
	TEST_ASSERT_SUCCESS(keel_eth_rx_queue_setup(p, 1, 64,
				KEEL_SOCKET_ID_ANY, NULL, test_eth_pool()), "rxq1");
	EXPECT_FAIL(keel_eth_dev_start(p), -EINVAL, "Tx queue 0 is not set up");
	for (uint16_t q = 0; q < 2; q++)
		TEST_ASSERT_SUCCESS(keel_eth_tx_queue_setup(p, q, 64,
				KEEL_SOCKET_ID_ANY, NULL), "txq%u", q);
	pv->fail_next[TOP_START] = -EIO;
	EXPECT_FAIL(keel_eth_dev_start(p), -EIO, "driver");
	TEST_ASSERT_EQUAL(keel_eth_dev_is_started(p), 0, "still stopped");
	TEST_ASSERT_SUCCESS(keel_eth_dev_start(p), "start");
	TEST_ASSERT_SUCCESS(keel_eth_dev_start(p), "start twice is fine");
	take(p, &s);
	EXPECT_FAIL(keel_eth_dev_configure(p, 1, 1, &c), -EBUSY,
		    "port is started; stop it first");
	EXPECT_FAIL(keel_eth_rx_queue_setup(p, 0, 128, KEEL_SOCKET_ID_ANY,
					    NULL, test_eth_pool()), -EBUSY,
		    "port is started");
	if (same(p, &s, "call on a started port"))
		return TEST_FAILED;
	TEST_ASSERT_SUCCESS(keel_eth_dev_stop(p), "stop");
	TEST_ASSERT_SUCCESS(keel_eth_dev_stop(p), "stop twice is fine");
	/* reconfigure releases every queue */
	TEST_ASSERT_SUCCESS(keel_eth_dev_configure(p, 1, 1, &c), "reconfigure");
	TEST_ASSERT(pv->live_rxq == 0 && pv->live_txq == 0,
		    "queues released: %d %d", pv->live_rxq, pv->live_txq);
	EXPECT_FAIL(keel_eth_dev_start(p), -EINVAL, "Rx queue 0 is not set up");
	TEST_ASSERT_SUCCESS(keel_eth_dev_close(p), "close");
	EXPECT_FAIL(keel_eth_dev_start(p), -ENODEV, "no port");
	return TEST_SUCCESS;
}
KEEL_TEST(ethdev_queue_checks, "fast", 0, test_ethdev_queue_checks)

/* the fast path in every state */
static int
test_ethdev_burst_states(void)
{
	struct keel_mbuf *pkts[64];
	struct test_eth_priv *pv;
	char *log;
	int port = mk_port("t_burst", NULL);
	uint16_t p = (uint16_t)port;

	TEST_ASSERT(port >= 0, "create");
	pv = test_eth_priv(p);
	/* not configured: a bad queue, logged */
	EXPECT_FAIL(keel_eth_rx_burst(p, 0, pkts, 32), 0, "has no rx queue 0");
	EXPECT_FAIL(keel_eth_tx_burst(p, 0, pkts, 32), 0, "has no tx queue 0");
	EXPECT_FAIL(keel_eth_rx_burst(KEEL_MAX_ETHPORTS, 0, pkts, 32), 0,
		    "port 32 has no rx queue");
	EXPECT_FAIL(keel_eth_rx_burst(p, KEEL_MAX_QUEUES_PER_PORT, pkts, 32), 0,
		    "queue 1024");
	if (setup_all(p, 2, 2))
		return TEST_FAILED;
	/* configured, stopped: 0, silently */
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 0, pkts, 32), 0, "stopped rx");
	TEST_ASSERT_EQUAL(keel_eth_tx_burst(p, 1, pkts, 32), 0, "stopped tx");
	TEST_ASSERT_EQUAL(keel_eth_tx_prepare(p, 1, pkts, 32), 32, "prepare");
	log = test_log_capture_stop();
	TEST_ASSERT(log[0] == '\0', "polling a stopped port logged: %s", log);
	free(log);
	EXPECT_FAIL(keel_eth_rx_burst(p, 2, pkts, 32), 0, "has no rx queue 2");
	TEST_ASSERT_SUCCESS(keel_eth_dev_start(p), "start");
	TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 0, pkts, 64), 32, "rx");
	TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 1, pkts, 8), 8, "rx q1");
	pv->cfg.tx_room = 5;
	TEST_ASSERT_EQUAL(keel_eth_tx_burst(p, 0, pkts, 8), 5, "tx room");
	/* queue stop / start at run time */
	TEST_ASSERT_SUCCESS(keel_eth_dev_rx_queue_stop(p, 1), "q stop");
	TEST_ASSERT_SUCCESS(keel_eth_dev_rx_queue_stop(p, 1), "q stop twice");
	TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 1, pkts, 8), 0, "stopped q");
	TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 0, pkts, 8), 8, "other q");
	EXPECT_FAIL(keel_eth_dev_rx_queue_start(p, 5), -EINVAL,
		    "queue 5 >= 2 configured");
	TEST_ASSERT_SUCCESS(keel_eth_dev_rx_queue_start(p, 1), "q start");
	TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 1, pkts, 8), 8, "restarted q");
	TEST_ASSERT_SUCCESS(keel_eth_dev_tx_queue_stop(p, 0), "txq stop");
	TEST_ASSERT_EQUAL(keel_eth_tx_burst(p, 0, pkts, 4), 0, "stopped txq");
	TEST_ASSERT_SUCCESS(keel_eth_dev_stop(p), "stop");
	EXPECT_FAIL(keel_eth_dev_tx_queue_start(p, 0), -EINVAL,
		    "port is not started");
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 0, pkts, 32), 0, "after stop");
	TEST_ASSERT_EQUAL(keel_eth_tx_burst(p, 0, pkts, 32), 0, "after stop");
	log = test_log_capture_stop();
	TEST_ASSERT(log[0] == '\0', "stopped port logged: %s", log);
	free(log);
	/* deferred start: the queue waits for queue start */
	{
		struct keel_eth_rxconf rc = { .rx_deferred_start = 1 };

		TEST_ASSERT_SUCCESS(keel_eth_rx_queue_setup(p, 1, 64,
				KEEL_SOCKET_ID_ANY, &rc, test_eth_pool()), "rxq1");
	}
	TEST_ASSERT_SUCCESS(keel_eth_dev_start(p), "start");
	TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 1, pkts, 8), 0, "deferred");
	TEST_ASSERT_SUCCESS(keel_eth_dev_rx_queue_start(p, 1), "q start");
	TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 1, pkts, 8), 8, "started");
	TEST_ASSERT_SUCCESS(keel_eth_dev_close(p), "close");
	EXPECT_FAIL(keel_eth_rx_burst(p, 0, pkts, 32), 0, "has no rx queue 0");
	return TEST_SUCCESS;
}
KEEL_TEST(ethdev_burst_states, "fast", 0, test_ethdev_burst_states)

static int
test_ethdev_reset_close(void)
{
	struct test_eth_priv *pv;
	struct test_eth_cfg cfg;
	char name[KEEL_ETH_NAME_MAX_LEN];
	int port = mk_port("t_reset", &cfg), p2;
	uint16_t p = (uint16_t)port, id;

	TEST_ASSERT(port >= 0, "create");
	pv = test_eth_priv(p);
	EXPECT_FAIL(mk_port("t_reset", NULL), -EEXIST, "already exists");
	if (setup_all(p, 2, 1))
		return TEST_FAILED;
	TEST_ASSERT_SUCCESS(keel_eth_dev_start(p), "start");
	TEST_ASSERT_SUCCESS(keel_eth_dev_reset(p), "reset");
	TEST_ASSERT_EQUAL(keel_eth_dev_is_started(p), 0, "stopped");
	TEST_ASSERT(pv->live_rxq == 0 && pv->live_txq == 0, "queues released");
	EXPECT_FAIL(keel_eth_dev_start(p), -EINVAL, "not configured");
	if (setup_all(p, 1, 1))
		return TEST_FAILED;
	TEST_ASSERT_SUCCESS(keel_eth_dev_start(p), "start after reset");
	/* names and ids */
	TEST_ASSERT_SUCCESS(keel_eth_dev_get_port_by_name("t_reset", &id), "id");
	TEST_ASSERT_EQUAL(id, p, "by name");
	TEST_ASSERT_SUCCESS(keel_eth_dev_get_name_by_port(p, name), "name");
	TEST_ASSERT(strcmp(name, "t_reset") == 0, "name %s", name);
	EXPECT_FAIL(keel_eth_dev_get_port_by_name("nope", &id), -ENODEV, NULL);
	EXPECT_FAIL(keel_eth_dev_get_port_by_name(NULL, &id), -EINVAL, "NULL");
	TEST_ASSERT(keel_eth_dev_is_valid_port(p), "valid");
	/* close a started port: stopped, queues released, id free */
	TEST_ASSERT_SUCCESS(keel_eth_dev_close(p), "close");
	TEST_ASSERT(!keel_eth_dev_is_valid_port(p), "gone");
	EXPECT_FAIL(keel_eth_dev_close(p), -ENODEV, "no port");
	/* the lowest free id is reused */
	p2 = mk_port("t_reset2", NULL);
	TEST_ASSERT_EQUAL(p2, port, "id reused");
	TEST_ASSERT_SUCCESS(keel_eth_dev_close((uint16_t)p2), "close");
	return TEST_SUCCESS;
}
KEEL_TEST(ethdev_reset_close, "fast", 0, test_ethdev_reset_close)

/* all KEEL_MAX_ETHPORTS ids, then one more */
static int
test_ethdev_port_limit(void)
{
	char name[32];
	int n0 = keel_eth_dev_count_total(), made = 0;

	for (int i = 0; i < KEEL_MAX_ETHPORTS - n0; i++) {
		snprintf(name, sizeof(name), "t_lim%d", i);
		TEST_ASSERT(mk_port(name, NULL) >= 0, "create %s", name);
		made++;
	}
	TEST_ASSERT_EQUAL(keel_eth_dev_count_total(), KEEL_MAX_ETHPORTS, "full");
	EXPECT_FAIL(mk_port("t_lim_x", NULL), -ENOSPC, "all 32 port ids in use");
	for (int i = 0; i < made; i++) {
		uint16_t id;

		snprintf(name, sizeof(name), "t_lim%d", i);
		TEST_ASSERT_SUCCESS(keel_eth_dev_get_port_by_name(name, &id),
				    "find");
		TEST_ASSERT_SUCCESS(keel_eth_dev_close(id), "close");
	}
	TEST_ASSERT_EQUAL(keel_eth_dev_count_total(), n0, "back");
	{
		char longname[80];

		memset(longname, 'x', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		EXPECT_FAIL(mk_port(longname, NULL), -EINVAL, "bad name");
		EXPECT_FAIL(mk_port("", NULL), -EINVAL, "bad name");
	}
	return TEST_SUCCESS;
}
KEEL_TEST(ethdev_port_limit, "fast", 0, test_ethdev_port_limit)
