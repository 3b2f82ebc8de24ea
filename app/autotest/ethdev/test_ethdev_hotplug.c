/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hotplug: ports from --vdev at start-up, keel_eth_dev_attach()/detach()
 * while the application runs (with NEW/DESTROY events), and attach/detach
 * churn on the main lcore while a worker lcore polls another port: the
 * poller never stops, never sees a packet it did not ask for, and its port's
 * counters match what it received.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keel_bus.h"
#include "keel_eal.h"
#include "keel_ethdev.h"
#include "keel_malloc.h"
#include "test.h"
#include "test_ethdev_drv.h"
#include "test_util.h"


static int
start_port(uint16_t p, uint16_t nq)
{
	struct keel_eth_conf c = { 0 };

	if (keel_eth_dev_configure(p, nq, nq, &c) < 0)
		return -1;
	for (uint16_t q = 0; q < nq; q++)
		if (keel_eth_rx_queue_setup(p, q, 64, KEEL_SOCKET_ID_ANY, NULL,
					    test_eth_pool()) < 0 ||
		    keel_eth_tx_queue_setup(p, q, 64, KEEL_SOCKET_ID_ANY,
					    NULL) < 0)
			return -1;
	return keel_eth_dev_start(p);
}

static int
count_ev(uint16_t port, enum keel_eth_event_type ev, void *arg, void *ret)
{
	int *counts = arg;

	(void)port; (void)ret;
	counts[ev]++;
	return 0;
}

static int
test_ethdev_attach_detach(void)
{
	int counts[KEEL_ETH_EVENT_MAX] = { 0 };
	uint16_t p0, p1, p;
	char *log;
	int ret;

	/* --vdev at start-up: the runner's EAL is replaced by one with two */
	TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup");
	ret = test_eal_init_str("--no-huge -m 32 --vdev net_ethtest0 "
				"--vdev net_ethtest1,avail=7");
	TEST_ASSERT(ret > 0, "init with --vdev: %d", ret);
	TEST_ASSERT_SUCCESS(keel_eth_dev_get_port_by_name("net_ethtest0", &p0),
			    "port of --vdev net_ethtest0");
	TEST_ASSERT_SUCCESS(keel_eth_dev_get_port_by_name("net_ethtest1", &p1),
			    "port of --vdev net_ethtest1");
	TEST_ASSERT(p0 == 0 && p1 == 1, "--vdev order gives ids 0, 1: %u %u",
		    p0, p1);
	TEST_ASSERT_EQUAL(test_eth_priv(p1)->cfg.rx_avail, 7, "args reached");

	TEST_ASSERT_SUCCESS(keel_eth_dev_callback_register(KEEL_ETH_ALL,
			    KEEL_ETH_EVENT_NEW, count_ev, counts), "reg");
	TEST_ASSERT_SUCCESS(keel_eth_dev_callback_register(KEEL_ETH_ALL,
			    KEEL_ETH_EVENT_DESTROY, count_ev, counts), "reg");
	TEST_ASSERT_SUCCESS(keel_eth_dev_attach("net_ethtest2,avail=3", &p),
			    "attach");
	TEST_ASSERT_EQUAL(p, 2, "next id");
	TEST_ASSERT_EQUAL(counts[KEEL_ETH_EVENT_NEW], 1, "NEW");
	TEST_ASSERT_EQUAL(test_eth_priv(p)->cfg.rx_avail, 3, "args");

	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_eth_dev_attach("net_ethtest2", &p1), -EEXIST,
			  "twice");
	TEST_ASSERT_EQUAL(keel_eth_dev_attach("net_ethtest3,avail=x", &p1),
			  -EINVAL, "bad value");
	TEST_ASSERT_EQUAL(keel_eth_dev_attach("net_ethtest3,nokey=1", &p1),
			  -EINVAL, "bad key");
	TEST_ASSERT_EQUAL(keel_eth_dev_attach("no_such_driver0", &p1), -ENODEV,
			  "no driver");
	TEST_ASSERT_EQUAL(keel_eth_dev_attach(",avail=1", &p1), -EINVAL,
			  "empty name");
	TEST_ASSERT_EQUAL(keel_eth_dev_attach(NULL, &p1), -EINVAL, "NULL");
	TEST_ASSERT_EQUAL(keel_eth_dev_detach(17), -ENODEV, "no port 17");
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "avail=x") != NULL && strstr(log, "nokey") &&
		    strstr(log, "no_such_driver0"), "errors name the value: %s",
		    log);
	free(log);
	TEST_ASSERT_EQUAL(counts[KEEL_ETH_EVENT_NEW], 1, "no NEW on failures");
	TEST_ASSERT_EQUAL(keel_eth_dev_count_total(), 3, "three ports");

	TEST_ASSERT_SUCCESS(start_port(p, 1), "start");
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach(p), "detach started port");
	TEST_ASSERT_EQUAL(counts[KEEL_ETH_EVENT_DESTROY], 1, "DESTROY");
	TEST_ASSERT(!keel_eth_dev_is_valid_port(p), "gone");
	/* the bus forgot the device too: it can come back */
	TEST_ASSERT_SUCCESS(keel_eth_dev_attach("net_ethtest2", &p), "again");
	TEST_ASSERT_SUCCESS(keel_eth_dev_close(p), "close keeps the device");
	TEST_ASSERT_EQUAL(keel_eth_dev_attach("net_ethtest2", &p), -EEXIST,
			  "device still on the bus");
	TEST_ASSERT_SUCCESS(keel_dev_remove("net_ethtest2"), "bus remove");
	/* a port made by API detaches by closing */
	{
		struct test_eth_cfg cfg;
		int api;

		test_eth_default_cfg(&cfg);
		api = test_eth_create("t_api", &cfg);
		TEST_ASSERT(api >= 0, "api port");
		TEST_ASSERT_SUCCESS(keel_eth_dev_detach((uint16_t)api),
				    "detach API port");
	}
	TEST_ASSERT_EQUAL(counts[KEEL_ETH_EVENT_DESTROY], 3, "DESTROYs");
	TEST_ASSERT_SUCCESS(keel_eth_dev_callback_unregister(KEEL_ETH_ALL,
			    KEEL_ETH_EVENT_NEW, count_ev, counts), "unreg");
	TEST_ASSERT_SUCCESS(keel_eth_dev_callback_unregister(KEEL_ETH_ALL,
			    KEEL_ETH_EVENT_DESTROY, count_ev, counts), "unreg");
	/* the runner's cleanup removes the --vdev ports */
	return TEST_SUCCESS;
}
KEEL_TEST(ethdev_attach_detach, "fast", 0, test_ethdev_attach_detach)

struct poller {
	uint16_t port;
	volatile int stop;
	uint64_t rx, tx, polls;
	int bad;
};

static int
poll_loop(void *arg)
{
	struct poller *pl = arg;
	struct keel_mbuf *pkts[32];

	while (!pl->stop) {
		uint16_t n = keel_eth_rx_burst(pl->port, 0, pkts, 32);

		if (n > 32)
			pl->bad++;
		pl->rx += n;
		pl->tx += keel_eth_tx_burst(pl->port, 0, pkts, n);
		pl->polls++;
	}
	return 0;
}

/* attach/detach churn; returns TEST_SUCCESS or TEST_FAILED */
static int
churn(struct poller *pl, int rounds)
{
	struct keel_mbuf *pkts[32];
	uint64_t polls0;
	uint16_t p;

	for (int i = 0; i < rounds; i++) {
		char args[64];

		snprintf(args, sizeof(args), "net_ethtest_h%d,avail=%d", i % 3,
			 1 + i % 32);
		TEST_ASSERT_SUCCESS(keel_eth_dev_attach(args, &p), "attach %s",
				    args);
		TEST_ASSERT(p != pl->port, "new port id %u", p);
		if (i % 2 == 0) {
			TEST_ASSERT_SUCCESS(start_port(p, (uint16_t)(1 + i % 4)),
					    "start");
			TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 0, pkts, 32),
					  1 + i % 32, "rx on the new port");
		}
		TEST_ASSERT_SUCCESS(keel_eth_dev_detach(p), "detach");
	}
	polls0 = __atomic_load_n(&pl->polls, __ATOMIC_RELAXED);
	while (__atomic_load_n(&pl->polls, __ATOMIC_RELAXED) == polls0)
		;       /* still polling after the churn */
	return TEST_SUCCESS;
}

static int
test_ethdev_hotplug_polling(void)
{
	struct keel_eth_stats st;
	struct poller pl = { 0 };
	unsigned int worker;
	int rounds = 200, ret;

	worker = keel_get_next_lcore(-1, 1);
	if (worker >= KEEL_MAX_LCORE)
		return keel_test_skip("needs a worker lcore (2 lcores)");
	TEST_ASSERT_SUCCESS(keel_eth_dev_attach("net_ethtest_poll,avail=32",
						&pl.port), "attach");
	TEST_ASSERT_SUCCESS(start_port(pl.port, 1), "start");
	TEST_ASSERT_SUCCESS(keel_eal_remote_launch(poll_loop, &pl, worker),
			    "launch");
	while (__atomic_load_n(&pl.polls, __ATOMIC_RELAXED) == 0)
		;
	ret = churn(&pl, rounds);
	pl.stop = 1;
	TEST_ASSERT_SUCCESS(keel_eal_wait_lcore(worker), "wait");
	if (ret != TEST_SUCCESS)
		return ret;
	TEST_ASSERT_EQUAL(pl.bad, 0, "bursts over the asked size");
	TEST_ASSERT(pl.rx > 0 && pl.rx == pl.polls * 32,
		    "every poll got 32: rx %llu polls %llu",
		    (unsigned long long)pl.rx, (unsigned long long)pl.polls);
	TEST_ASSERT_SUCCESS(keel_eth_stats_get(pl.port, &st), "stats");
	TEST_ASSERT(st.ipackets == pl.rx && st.opackets == pl.tx,
		    "stats %llu/%llu match the poller %llu/%llu",
		    (unsigned long long)st.ipackets,
		    (unsigned long long)st.opackets,
		    (unsigned long long)pl.rx, (unsigned long long)pl.tx);
	TEST_ASSERT_EQUAL(keel_eth_dev_count_total(), 1, "only the polled one");
	printf("  %d attach/detach rounds while lcore %u polled %llu bursts\n",
	       rounds, worker, (unsigned long long)pl.polls);
	return TEST_SUCCESS;
}
KEEL_TEST(ethdev_hotplug_polling, "fast", 0, test_ethdev_hotplug_polling)
