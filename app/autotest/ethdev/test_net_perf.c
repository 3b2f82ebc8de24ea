/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Forwarding cost through net_null (perf suite): testpmd's io mode on one
 * lcore between two null ports -- Rx a burst of 32 on one port, Tx it on
 * the other, free what Tx refused, both directions -- for several rounds,
 * printing Mpps and ns per packet (Rx + Tx) as min/median/max.
 *
 * Variants: 64-byte packets with no data touched (the raw per-packet cost
 * of ethdev + driver + mbuf, what DPDK's testpmd io mode measures) and
 * copy=1 with mixed sizes (64 and 1500 bytes), where Rx writes and Tx
 * reads every byte. The same loop against DPDK 22.11 is
 * app/autotest/ethdev/dpdk-null-bench.c.
 *
 * Time is the forwarding thread's CPU time (CLOCK_THREAD_CPUTIME_ID): the
 * machine is shared, and wall-clock rates would measure the scheduler. A
 * rate is packets per CPU second: what one dedicated core would forward.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keel_cycles.h"
#include "keel_ethdev.h"
#include "keel_malloc.h"
#include "keel_mbuf.h"
#include "keel_mempool.h"
#include "test.h"
#include "test_net_util.h"

#define BURST  32
#define ROUNDS 7
#define ROUND_NS 300000000ull

static uint64_t
cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static uint64_t
fwd_round(const uint16_t port[2], uint64_t ns)
{
	struct keel_mbuf *pkts[BURST];
	uint64_t fwd = 0, t_end = cpu_ns() + ns;

	do {
		/* 256 bursts between clock reads */
		for (int i = 0; i < 128; i++)
			for (int d = 0; d < 2; d++) {
				uint16_t n = keel_eth_rx_burst(port[d], 0, pkts,
							       BURST);
				uint16_t s = keel_eth_tx_burst(port[d ^ 1], 0,
							       pkts, n);

				if (__builtin_expect(s < n, 0))
					keel_pktmbuf_free_bulk(pkts + s, n - s);
				fwd += s;
			}
	} while (cpu_ns() < t_end);
	return fwd;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
run(const char *what, const char *args0, const char *args1)
{
	struct keel_mempool *mp = keel_pktmbuf_pool_create("null_perf", 8191,
		256, 0, KEEL_MBUF_DEFAULT_BUF_SIZE, KEEL_SOCKET_ID_ANY);
	double mpps[ROUNDS];
	uint16_t port[2];
	int p0, p1;

	TEST_ASSERT(mp != NULL, "pool");
	p0 = test_net_attach(args0);
	p1 = test_net_attach(args1);
	TEST_ASSERT(p0 >= 0 && p1 >= 0, "attach");
	port[0] = (uint16_t)p0;
	port[1] = (uint16_t)p1;
	TEST_ASSERT_SUCCESS(test_net_start(port[0], 1, mp), "start");
	TEST_ASSERT_SUCCESS(test_net_start(port[1], 1, mp), "start");
	fwd_round(port, ROUND_NS / 3);  /* warm up caches and the pool */
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = cpu_ns(), n = fwd_round(port, ROUND_NS);

		mpps[r] = (double)n * 1e3 / (double)(cpu_ns() - t0);
	}
	qsort(mpps, ROUNDS, sizeof(mpps[0]), cmp_d);
	printf("  %-34s Mpps min/median/max %.2f / %.2f / %.2f   "
	       "ns/packet (Rx+Tx) %.2f / %.2f / %.2f\n", what, mpps[0],
	       mpps[ROUNDS / 2], mpps[ROUNDS - 1], 1e3 / mpps[ROUNDS - 1],
	       1e3 / mpps[ROUNDS / 2], 1e3 / mpps[0]);
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach(port[0]), "detach");
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach(port[1]), "detach");
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), mp->size, "no leak");
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}

static int
test_net_null_perf(void)
{
	printf("  io forwarding between two net_null ports, one lcore, "
	       "burst %d, %d rounds of %.1f s\n", BURST, ROUNDS,
	       (double)ROUND_NS / 1e9);
	if (run("64 B, data untouched", "net_null_p0", "net_null_p1") ||
	    run("64 B + 1500 B, copy=1 (data touched)",
		"net_null_p0,copy=1", "net_null_p1,copy=1,size=1500"))
		return TEST_FAILED;
	return TEST_SUCCESS;
}
KEEL_TEST(net_null_perf, "perf", 0, test_net_null_perf)
