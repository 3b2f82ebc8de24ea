/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mbuf_perf: nanoseconds per mbuf for alloc + free, on 1 and 2 cores, in
 * two patterns applications have:
 *  - burst: allocate a burst (1: keel_pktmbuf_alloc/free, else
 *    keel_pktmbuf_alloc_bulk/free_bulk) and free it at once (an rx/tx loop
 *    that drops, the cache's best case);
 *  - hold: allocate 512 mbufs in bursts, write 64 bytes into each, and
 *    free them in bursts in a shuffled order (packets held in queues and
 *    freed out of order: colder mbufs, scattered memory).
 * app/autotest/mbuf/dpdk-pktmem-bench.c runs the same lines on DPDK's
 * rte_pktmbuf_alloc_bulk/rte_pktmbuf_free_bulk. Prints figures only.
 * KEEL_PERF_MS sets the time per line (default 500).
 */
#include <stdlib.h>

#include "keel_cycles.h"
#include "keel_eal.h"
#include "keel_mbuf.h"
#include "test.h"

#define HOLD 512
#define CACHE 256
#define N_PER_CHECK 8192u

struct mperf {
	struct keel_mempool *mp;
	unsigned int burst;
	int hold;
	uint64_t ticks;
	unsigned int go;          /* atomic */
	uint64_t count[KEEL_MAX_LCORE];
	uint64_t elapsed[KEEL_MAX_LCORE];
	uint16_t perm[HOLD];      /* free order of the hold pattern */
	int failed;
};

static void
burst_round(struct mperf *c, struct keel_mbuf **ms)
{
	if (c->burst == 1) {
		struct keel_mbuf *m = keel_pktmbuf_alloc(c->mp);

		if (m == NULL) {
			c->failed = 1;
			return;
		}
		keel_pktmbuf_free(m);
		return;
	}
	if (keel_pktmbuf_alloc_bulk(c->mp, ms, c->burst) != 0) {
		c->failed = 1;
		return;
	}
	keel_pktmbuf_free_bulk(ms, c->burst);
}

static void
hold_round(struct mperf *c, struct keel_mbuf **ms, struct keel_mbuf **out)
{
	unsigned int i, k;

	for (i = 0; i < HOLD; i += c->burst)
		if (keel_pktmbuf_alloc_bulk(c->mp, ms + i, c->burst) != 0) {
			c->failed = 1;
			return;
		}
	for (i = 0; i < HOLD; i++)
		memset(keel_pktmbuf_mtod(ms[i], char *), (int)i, 64);
	for (i = 0; i < HOLD; i += c->burst) {
		for (k = 0; k < c->burst; k++)
			out[k] = ms[c->perm[i + k]];
		keel_pktmbuf_free_bulk(out, c->burst);
	}
}

static int
mperf_lcore(void *arg)
{
	struct mperf *c = arg;
	struct keel_mbuf *ms[HOLD], *out[HOLD];
	unsigned int lcore = keel_lcore_id(), i;
	uint64_t start, now, count = 0;
	unsigned int per = c->hold ? N_PER_CHECK / HOLD : N_PER_CHECK / c->burst;

	while (!__atomic_load_n(&c->go, __ATOMIC_ACQUIRE))
		keel_pause();
	start = now = keel_get_tsc_cycles();
	while (now - start < c->ticks && !c->failed) {
		for (i = 0; i < per; i++) {
			if (c->hold)
				hold_round(c, ms, out);
			else
				burst_round(c, ms);
		}
		count += (uint64_t)per * (c->hold ? HOLD : c->burst);
		now = keel_get_tsc_cycles();
	}
	c->count[lcore] = count;
	c->elapsed[lcore] = now - start;
	return c->failed ? -1 : 0;
}

static int
mperf_line(struct mperf *c, unsigned int cores, unsigned int burst, int hold,
	   uint64_t ms)
{
	unsigned int lc, launched = 0;
	double ns = 0;
	int n = 0;

	memset(c->count, 0, sizeof(c->count));
	c->burst = burst;
	c->hold = hold;
	c->ticks = keel_get_tsc_hz() / 1000 * ms;
	c->go = 0;
	KEEL_LCORE_FOREACH_WORKER(lc) {
		if (launched + 1 >= cores)
			break;
		if (keel_eal_remote_launch(mperf_lcore, c, lc) != 0)
			return -1;
		launched++;
	}
	if (launched + 1 < cores)
		return 0;
	__atomic_store_n(&c->go, 1, __ATOMIC_RELEASE);
	mperf_lcore(c);
	keel_eal_mp_wait();
	if (c->failed)
		return -1;
	/* per core: ns per mbuf; the line gives their mean */
	for (lc = 0; lc < KEEL_MAX_LCORE; lc++)
		if (c->count[lc] != 0) {
			ns += (double)c->elapsed[lc] * 1e9 /
				(double)keel_get_tsc_hz() / (double)c->count[lc];
			n++;
		}
	printf("mbuf_perf pattern=%s cache=%u cores=%u burst=%u "
	       "ns_per_mbuf=%.2f\n", hold ? "hold" : "burst", c->mp->cache_size,
	       cores, burst, ns / n);
	return 0;
}

static int
test_mbuf_perf(void)
{
	static const unsigned int bursts[] = { 1, 4, 32 };
	const char *env = getenv("KEEL_PERF_MS");
	uint64_t ms = env ? strtoull(env, NULL, 0) : 500, rnd = 12345;
	struct mperf *c = calloc(1, sizeof(*c));
	unsigned int i, b, cores;
	int ret = TEST_SUCCESS;

	TEST_ASSERT(c != NULL, "calloc");
	if (ms == 0)
		ms = 500;
	c->mp = keel_pktmbuf_pool_create("mbuf_perf", keel_lcore_count() *
					 (HOLD + 2 * CACHE) + 256, CACHE, 0,
					 KEEL_MBUF_DEFAULT_BUF_SIZE, -1);
	TEST_ASSERT(c->mp != NULL, "pool: %s", strerror(errno));
	printf("ops %s\n", c->mp->ops->name);
	for (i = 0; i < HOLD; i++)
		c->perm[i] = (uint16_t)i;
	for (i = HOLD - 1; i > 0; i--) {
		unsigned int j = (unsigned int)(test_rand(&rnd) % (i + 1));
		uint16_t t = c->perm[i];

		c->perm[i] = c->perm[j];
		c->perm[j] = t;
	}
	for (cores = 1; cores <= 2 && ret == TEST_SUCCESS; cores++)
		for (b = 0; b < 3; b++)
			if (mperf_line(c, cores, bursts[b], 0, ms) < 0 ||
			    (bursts[b] > 1 &&
			     mperf_line(c, cores, bursts[b], 1, ms) < 0)) {
				ret = TEST_FAILED;
				break;
			}
	TEST_ASSERT(keel_mempool_full(c->mp), "every mbuf back");
	keel_mempool_free(c->mp);
	free(c);
	return ret;
}
KEEL_TEST(mbuf_perf, "perf", 0, test_mbuf_perf)
