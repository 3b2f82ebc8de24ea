/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_pmd_perf (perf suite): the cycles per packet of the vhost-user
 * loopback of app/vhost-fwd/perf.py, in one process and on one lcore so
 * that the figure is the code's and not the scheduler's: a net_vhost port
 * and a net_virtio_user port on one socket, each io-forwarding what it
 * receives back out of itself (testpmd's io engine, --port-topology=loop),
 * the front-end starting with one burst of 32 packets ("start tx_first").
 * Printed per packet forwarded by both sides: the cycles spent in the
 * back-end's bursts (vhost Rx = dequeue, Tx = enqueue) and in the
 * front-end's, split and packed rings, 64 B and 1518 B, mergeable buffers
 * on (perf.py's setting); rounds interleaved, min / median / max.
 * The test asserts that the 32 packets survive the run byte for byte.
 *
 * Under callgrind the instruction counts per packet are repeatable where
 * cycles are not (a shared machine):
 *   KEEL_VHOST_PERF_ITERS=2000 KEEL_VHOST_PERF_ONLY=split-64 \
 *   valgrind --tool=callgrind build/app/autotest/keel-autotest \
 *     --no-huge -m 64 -- vhost_pmd_perf
 * (ONLY: split-64, split-1518, packed-64 or packed-1518; the inclusive
 * costs of vh_rx, vh_tx, vu_rx and vu_tx divided by the packets printed.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keel_cycles.h"
#include "keel_eal.h"
#include "keel_ethdev.h"
#include "keel_mbuf.h"
#include "keel_vdev.h"
#include "test.h"
#include "test_util.h"
#include "vhost_test_fe.h"

#define INFLIGHT 32
#define ROUNDS 3

struct side {
	uint64_t cycles;
	uint64_t pkts;
};

static uint8_t
pat(uint32_t seed, uint32_t i)
{
	return (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

static int
port_up(const char *name, struct keel_mempool *mp, uint16_t *port)
{
	struct keel_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	if (keel_eth_dev_get_port_by_name(name, port) != 0 ||
	    keel_eth_dev_configure(*port, 1, 1, &conf) != 0 ||
	    keel_eth_rx_queue_setup(*port, 0, 256, 0, NULL, mp) != 0 ||
	    keel_eth_tx_queue_setup(*port, 0, 256, 0, NULL) != 0)
		return -1;
	return keel_eth_dev_start(*port);
}

static int
links_up(uint16_t a, uint16_t b)
{
	struct keel_eth_link la, lb;
	int i;

	for (i = 0; i < 500; i++) {
		keel_eth_link_get_nowait(a, &la);
		keel_eth_link_get_nowait(b, &lb);
		if (la.link_status && lb.link_status)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* testpmd's io engine on a port looped to itself */
static inline void
io_fwd(uint16_t port, struct side *s)
{
	struct keel_mbuf *b[INFLIGHT];
	uint64_t t0 = keel_get_tsc_cycles();
	uint16_t n = keel_eth_rx_burst(port, 0, b, INFLIGHT), sent = 0;

	if (n > 0) {
		sent = keel_eth_tx_burst(port, 0, b, n);
		if (sent < n)
			keel_pktmbuf_free_bulk(b + sent, n - sent);
		s->pkts += n;
	}
	s->cycles += keel_get_tsc_cycles() - t0;
}

static int
one(int packed, uint32_t len, uint64_t iters, double *vh, double *vu)
{
	char path[108], vh_args[200], vu_args[200];
	struct keel_mempool *mp;
	struct keel_mbuf *b[INFLIGHT];
	struct side sv = { 0, 0 }, su = { 0, 0 };
	uint16_t pv, pu, n = 0;
	uint64_t it;
	uint32_t i, k, got = 0, tries;

	mp = keel_pktmbuf_pool_create("vpp", 4095, 256, 0,
				      KEEL_MBUF_DEFAULT_BUF_SIZE,
				      KEEL_SOCKET_ID_ANY);
	TEST_ASSERT(mp != NULL, "pool");
	vt_fe_path(path, sizeof(path), "pperf");
	snprintf(vh_args, sizeof(vh_args), "iface=%s", path);
	snprintf(vu_args, sizeof(vu_args), "path=%s,mrg_rxbuf=1,packed_vq=%d",
		 path, packed);
	TEST_ASSERT_SUCCESS(keel_vdev_create("net_vhost0", vh_args), "vhost");
	TEST_ASSERT_SUCCESS(keel_vdev_create("net_virtio_user0", vu_args),
			    "virtio_user");
	TEST_ASSERT_SUCCESS(port_up("net_vhost0", mp, &pv), "vhost port");
	TEST_ASSERT_SUCCESS(port_up("net_virtio_user0", mp, &pu), "vu port");
	TEST_ASSERT(links_up(pv, pu), "links up");
	/* tx_first: one burst of 32, each packet numbered in its bytes */
	for (i = 0; i < INFLIGHT; i++) {
		uint8_t *p;

		b[i] = keel_pktmbuf_alloc(mp);
		TEST_ASSERT(b[i] != NULL, "mbuf");
		p = (uint8_t *)keel_pktmbuf_append(b[i], (uint16_t)len);
		TEST_ASSERT(p != NULL, "room for %u bytes", len);
		for (k = 0; k < len; k++)
			p[k] = pat(i, k);
		p[0] = (uint8_t)i;
	}
	for (tries = 0; n < INFLIGHT && tries < 1000; tries++)
		n = (uint16_t)(n + keel_eth_tx_burst(pu, 0, b + n,
						     (uint16_t)(INFLIGHT - n)));
	TEST_ASSERT_EQUAL(n, INFLIGHT, "the first burst went");
	for (it = 0; it < iters; it++) {
		io_fwd(pv, &sv);
		io_fwd(pu, &su);
	}
	/* the packets are all still there, intact: collect them */
	for (tries = 0; got < INFLIGHT && tries < 100000; tries++) {
		io_fwd(pv, &sv);
		n = keel_eth_rx_burst(pu, 0, b, INFLIGHT);
		for (i = 0; i < n; i++) {
			const uint8_t *p = keel_pktmbuf_mtod(b[i], const uint8_t *);
			uint32_t seed = p[0], bad = 0;

			for (k = 1; k < len && b[i]->data_len == len; k++)
				bad += p[k] != pat(seed, k);
			TEST_ASSERT(b[i]->pkt_len == len && b[i]->nb_segs == 1 &&
				    bad == 0, "packet %u: %u bytes, %u segs, %u "
				    "bytes differ", seed, b[i]->pkt_len,
				    b[i]->nb_segs, bad);
		}
		keel_pktmbuf_free_bulk(b, n);
		got += n;
	}
	TEST_ASSERT_EQUAL(got, INFLIGHT, "every packet still circulates");
	TEST_ASSERT(sv.pkts > 0 && su.pkts > 0, "packets moved");
	*vh = (double)sv.cycles / (double)sv.pkts;
	*vu = (double)su.cycles / (double)su.pkts;
	printf("  %s %4u B: %8.1f cycles/packet vhost side, %8.1f virtio_user "
	       "side (%" PRIu64 " and %" PRIu64 " packets)\n",
	       packed ? "packed" : "split ", len, *vh, *vu, sv.pkts, su.pkts);
	TEST_ASSERT_SUCCESS(keel_eth_dev_close(pu), "close vu");
	TEST_ASSERT_SUCCESS(keel_eth_dev_close(pv), "close vhost");
	keel_vdev_remove("net_virtio_user0");
	keel_vdev_remove("net_vhost0");
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
test_pmd_perf(void)
{
	static const uint32_t sizes[] = { 64, 1518 };
	const char *only = getenv("KEEL_VHOST_PERF_ONLY");
	const char *s_iters = getenv("KEEL_VHOST_PERF_ITERS");
	uint64_t iters = s_iters != NULL ? strtoull(s_iters, NULL, 0) : 50000;
	double vh[2][2][ROUNDS], vu[2][2][ROUNDS];
	int rounds = only != NULL ? 1 : ROUNDS, r, packed, z, ret;

	for (r = 0; r < rounds; r++)
		for (packed = 0; packed < 2; packed++)
			for (z = 0; z < 2; z++) {
				char name[32];

				snprintf(name, sizeof(name), "%s-%u",
					 packed ? "packed" : "split", sizes[z]);
				if (only != NULL && strcmp(only, name) != 0)
					continue;
				ret = one(packed, sizes[z], iters,
					  &vh[packed][z][r], &vu[packed][z][r]);
				if (ret != TEST_SUCCESS)
					return ret;
			}
	if (only != NULL)
		return TEST_SUCCESS;
	printf("cycles per packet, %d rounds, min / median / max:\n", rounds);
	for (packed = 0; packed < 2; packed++)
		for (z = 0; z < 2; z++) {
			qsort(vh[packed][z], ROUNDS, sizeof(double), cmp_d);
			qsort(vu[packed][z], ROUNDS, sizeof(double), cmp_d);
			printf("  %s %4u B: vhost %.0f / %.0f / %.0f, "
			       "virtio_user %.0f / %.0f / %.0f\n",
			       packed ? "packed" : "split ", sizes[z],
			       vh[packed][z][0], vh[packed][z][1],
			       vh[packed][z][2], vu[packed][z][0],
			       vu[packed][z][1], vu[packed][z][2]);
		}
	return TEST_SUCCESS;
}

KEEL_TEST(vhost_pmd_perf, "perf", 0, test_pmd_perf)
