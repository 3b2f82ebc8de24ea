/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_ring: port pairs over named rings (from devargs), ports over the
 * application's rings (keel_eth_from_rings/_ring), loopback ports. Every
 * packet sent arrives once, in order, with its data, also when a worker
 * lcore sends and the main lcore receives; a full ring refuses the rest of
 * a burst (counted); rings the driver made go with the last port using
 * them; bad arguments are named.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keel_eth_ring.h"
#include "keel_ethdev.h"
#include "keel_malloc.h"
#include "keel_mbuf.h"
#include "keel_mempool.h"
#include "keel_ring.h"
#include "test.h"
#include "test_net_util.h"

/* packet i: length 60 + (i * 37) % 1455, bytes from seed i */
static uint32_t
seq_len(uint32_t i)
{
	return 60 + (i * 37) % 1455;
}

/* send @p n numbered packets from (tx, txq); receive them at (rx, rxq) in
 * bursts of varying size and check each arrives once, in order, intact */
static int
send_recv(struct keel_mempool *mp, uint16_t tx, uint16_t txq, uint16_t rx,
	  uint16_t rxq, uint32_t n, uint64_t *seed)
{
	uint32_t sent = 0, got = 0;

	while (got < n) {
		struct keel_mbuf *pkts[64];
		uint16_t b = (uint16_t)(1 + test_rand(seed) % 64), k = 0, r;

		while (sent < n && k < b && sent - got + k < 200) {
			pkts[k] = test_net_pkt(mp, seq_len(sent), (uint8_t)sent);
			TEST_ASSERT(pkts[k] != NULL, "pool empty at %u", sent);
			k++;
			sent++;
		}
		r = keel_eth_tx_burst(tx, txq, pkts, k);
		TEST_ASSERT_EQUAL(r, k, "ring took %u of %u", r, k);
		r = keel_eth_rx_burst(rx, rxq, pkts,
				      (uint16_t)(1 + test_rand(seed) % 64));
		for (uint16_t i = 0; i < r; i++, got++) {
			TEST_ASSERT(test_net_pkt_check(pkts[i], seq_len(got),
						       (uint8_t)got),
				    "packet %u: length %u or data wrong", got,
				    pkts[i]->pkt_len);
			keel_pktmbuf_free(pkts[i]);
		}
		TEST_ASSERT(got <= sent, "received %u, sent %u", got, sent);
	}
	return TEST_SUCCESS;
}

static int
test_net_ring_pair(void)
{
	struct keel_mempool *mp = test_net_pool("ring_pair", 4095);
	struct keel_eth_stats st;
	uint64_t seed = keel_test_seed();
	int a, b;

	TEST_ASSERT(mp != NULL, "pool");
	a = test_net_attach("net_ring_a,rx=r_ba,tx=r_ab,size=256");
	b = test_net_attach("net_ring_b,rx=r_ab,tx=r_ba");
	TEST_ASSERT(a >= 0 && b >= 0, "attach %d %d", a, b);
	TEST_ASSERT_SUCCESS(test_net_start((uint16_t)a, 1, mp), "start a");
	TEST_ASSERT_SUCCESS(test_net_start((uint16_t)b, 1, mp), "start b");
	if (send_recv(mp, (uint16_t)a, 0, (uint16_t)b, 0, 5000, &seed) ||
	    send_recv(mp, (uint16_t)b, 0, (uint16_t)a, 0, 5000, &seed))
		return TEST_FAILED;
	TEST_ASSERT_SUCCESS(keel_eth_stats_get((uint16_t)a, &st), "stats");
	TEST_ASSERT(st.opackets == 5000 && st.ipackets == 5000,
		    "a: %llu out %llu in", (unsigned long long)st.opackets,
		    (unsigned long long)st.ipackets);
	{
		uint64_t bytes = 0;

		for (uint32_t i = 0; i < 5000; i++)
			bytes += seq_len(i);
		TEST_ASSERT(st.obytes == bytes && st.ibytes == bytes,
			    "bytes %llu", (unsigned long long)st.obytes);
	}

	/* a full ring takes part of a burst; the caller keeps the rest */
	{
		struct keel_mbuf *pkts[300];
		uint16_t k;

		for (int i = 0; i < 300; i++)
			pkts[i] = test_net_pkt(mp, 64, (uint8_t)i);
		k = keel_eth_tx_burst((uint16_t)a, 0, pkts, 255);
		TEST_ASSERT_EQUAL(k, 255, "255 fit a 256-slot ring");
		k = keel_eth_tx_burst((uint16_t)a, 0, pkts + 255, 45);
		TEST_ASSERT_EQUAL(k, 0, "full");
		keel_pktmbuf_free_bulk(pkts + 255, 45);
		TEST_ASSERT_SUCCESS(keel_eth_stats_get((uint16_t)a, &st), "st");
		TEST_ASSERT_EQUAL(st.oerrors, 45, "refused packets counted");
	}
	/* b never drains: the packets in the ring go with it */
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach((uint16_t)a), "detach a");
	TEST_ASSERT(keel_ring_lookup("r_ab") != NULL, "b still uses r_ab");
	{
		struct keel_mbuf *pkts[32];
		uint16_t k;

		while ((k = keel_eth_rx_burst((uint16_t)b, 0, pkts, 32)) > 0)
			keel_pktmbuf_free_bulk(pkts, k);
	}
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach((uint16_t)b), "detach b");
	TEST_ASSERT(keel_ring_lookup("r_ab") == NULL &&
		    keel_ring_lookup("r_ba") == NULL, "rings freed with b");
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), mp->size, "no leak");
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}
KEEL_TEST(net_ring_pair, "fast", TEST_RANDOM, test_net_ring_pair)

static int
test_net_ring_api(void)
{
	struct keel_mempool *mp = test_net_pool("ring_api", 4095);
	struct keel_ring *r[2], *lo;
	struct keel_mbuf *pkts[8];
	uint64_t seed = keel_test_seed() ^ 1;
	char *log;
	int p, l;

	TEST_ASSERT(mp != NULL, "pool");
	r[0] = keel_ring_create("app_r0", 1024, KEEL_SOCKET_ID_ANY, 0);
	r[1] = keel_ring_create("app_r1", 1024, KEEL_SOCKET_ID_ANY, 0);
	lo = keel_ring_create("app_lo", 512, KEEL_SOCKET_ID_ANY, 0);
	TEST_ASSERT(r[0] && r[1] && lo, "rings");
	/* two queues, each a loop through its own ring */
	p = keel_eth_from_rings("ring_api", r, 2, r, 2, (unsigned int)-1);
	TEST_ASSERT(p >= 0, "from_rings: %d", p);
	TEST_ASSERT_SUCCESS(test_net_start((uint16_t)p, 2, mp), "start");
	if (send_recv(mp, (uint16_t)p, 1, (uint16_t)p, 1, 3000, &seed))
		return TEST_FAILED;
	TEST_ASSERT_EQUAL(keel_ring_count(r[0]), 0, "queue 0 untouched");
	TEST_ASSERT_EQUAL(keel_eth_rx_burst((uint16_t)p, 0, pkts, 8), 0, "q0");
	l = keel_eth_from_ring(lo);
	TEST_ASSERT(l >= 0, "from_ring");
	TEST_ASSERT_SUCCESS(test_net_start((uint16_t)l, 1, mp), "start");
	if (send_recv(mp, (uint16_t)l, 0, (uint16_t)l, 0, 1000, &seed))
		return TEST_FAILED;
	TEST_ASSERT_SUCCESS(keel_eth_dev_close((uint16_t)p), "close");
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach((uint16_t)l), "detach");
	TEST_ASSERT(keel_ring_lookup("app_r0") == r[0], "the app's rings stay");

	test_log_capture_start();
	errno = 0;
	TEST_ASSERT(keel_eth_from_rings("x", r, 17, r, 1, 0) == -1 &&
		    errno == EINVAL, "17 rings");
	TEST_ASSERT(keel_eth_from_rings("x", NULL, 1, r, 1, 0) == -1, "NULL");
	TEST_ASSERT(keel_eth_from_ring(NULL) == -1 && errno == EINVAL, "NULL");
	TEST_ASSERT(keel_eth_from_rings("x", r, 0, r, 0, 0) == -1, "none");
	TEST_ASSERT_EQUAL(test_net_attach("net_ring_x,size=1000"), -EINVAL,
			  "size not a power of two");
	TEST_ASSERT_EQUAL(test_net_attach("net_ring_x,rx=only"), -EINVAL,
			  "rx without tx");
	TEST_ASSERT_EQUAL(test_net_attach("net_ring_x,queues=17"), -EINVAL,
			  "queues");
	TEST_ASSERT_EQUAL(test_net_attach("net_ring_x,rx=app_r0,tx=q"), -EEXIST,
			  "rx names the application's ring");
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "size=1000 is not a power of two") &&
		    strstr(log, "give rx= and tx= together") &&
		    strstr(log, "queues=17") &&
		    strstr(log, "ring app_r0 exists"), "log: %s", log);
	free(log);
	TEST_ASSERT(keel_ring_lookup("q") == NULL, "no ring left behind");
	keel_ring_free(r[0]);
	keel_ring_free(r[1]);
	keel_ring_free(lo);
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), mp->size, "no leak");
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}
KEEL_TEST(net_ring_api, "fast", TEST_RANDOM, test_net_ring_api)

/* a pipeline: the worker lcore sends on one port, main receives on the
 * other, through a ring both directions of the pair share */
struct sender {
	uint16_t port;
	uint32_t n;
	struct keel_mempool *mp;
	int err;
};

static int
send_loop(void *arg)
{
	struct sender *s = arg;
	uint32_t sent = 0;

	while (sent < s->n) {
		struct keel_mbuf *pkts[32];
		uint16_t k = 0, r;

		while (k < 32 && sent + k < s->n) {
			pkts[k] = test_net_pkt(s->mp, seq_len(sent + k),
					       (uint8_t)(sent + k));
			if (pkts[k] == NULL)
				break;
			k++;
		}
		r = keel_eth_tx_burst(s->port, 0, pkts, k);
		keel_pktmbuf_free_bulk(pkts + r, k - r);   /* ring full */
		sent += r;
	}
	return 0;
}

static int
test_net_ring_lcores(void)
{
	struct keel_mempool *mp = test_net_pool("ring_lc", 8191);
	struct sender s = { .n = 20000 };
	unsigned int worker = keel_get_next_lcore(-1, 1);
	uint32_t got = 0;
	int a, b, bad = 0;

	if (worker >= KEEL_MAX_LCORE)
		return keel_test_skip("needs a worker lcore");
	TEST_ASSERT(mp != NULL, "pool");
	a = test_net_attach("net_ring_la,rx=lc_ba,tx=lc_ab");
	b = test_net_attach("net_ring_lb,rx=lc_ab,tx=lc_ba");
	TEST_ASSERT(a >= 0 && b >= 0, "attach");
	TEST_ASSERT_SUCCESS(test_net_start((uint16_t)a, 1, mp), "start a");
	TEST_ASSERT_SUCCESS(test_net_start((uint16_t)b, 1, mp), "start b");
	s.port = (uint16_t)a;
	s.mp = mp;
	TEST_ASSERT_SUCCESS(keel_eal_remote_launch(send_loop, &s, worker), "go");
	while (got < s.n) {
		struct keel_mbuf *pkts[32];
		uint16_t r = keel_eth_rx_burst((uint16_t)b, 0, pkts, 32);

		for (uint16_t i = 0; i < r; i++, got++) {
			if (!bad && !test_net_pkt_check(pkts[i], seq_len(got),
							(uint8_t)got))
				bad = (int)got + 1;
			keel_pktmbuf_free(pkts[i]);
		}
	}
	TEST_ASSERT_SUCCESS(keel_eal_wait_lcore(worker), "wait");
	TEST_ASSERT(bad == 0, "packet %d out of order or corrupt", bad - 1);
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach((uint16_t)a), "detach");
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach((uint16_t)b), "detach");
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), mp->size, "no leak");
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}
KEEL_TEST(net_ring_lcores, "fast", 0, test_net_ring_lcores)
