/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mbuf_perf: nanoseconds per mbuf for alloc + free, on 1 and 2 cores, in
 * two patterns applications have:
 *  - burst: allocate a burst (1: keel_pktmbuf_alloc/free, else
 *    keel_pktmbuf_alloc_bulk/free_bulk) and free it at once (an rx/tx loop
 *    that drops, the cache's best case);
 *  - hold: allocate 512 mbufs in bursts, write 64 bytes into each, and
 *    free them in bursts in a shuffled order (packets held in queues and
 *    freed out of order: colder mbufs, scattered memory);
 *  - pipeline (2 cores): one lcore allocates bursts of 32 and passes them
 *    through a single-producer/single-consumer ring to another, which
 *    frees them (rx on one core, tx on another: every mbuf crosses from
 *    one lcore cache to the other through the pool's backend); ns per
 *    mbuf of the whole pipeline.
 * app/autotest/mbuf/dpdk-pktmem-bench.c runs the same lines on DPDK's
 * rte_pktmbuf_alloc_bulk/rte_pktmbuf_free_bulk. Prints figures only.
 * KEEL_PERF_MS sets the time per line (default 500), KEEL_PERF_OPS the
 * pool's backend (default: keel_mbuf_best_mempool_ops()), KEEL_PERF_CORES
 * (1 or 2) limits the run to those lines.
 */
#include <sched.h>
#include <stdlib.h>

#include "keel_cycles.h"
#include "keel_eal.h"
#include "keel_mbuf.h"
#include "keel_ring.h"
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
	double best_ns[KEEL_MAX_LCORE];      /* fastest block, ns per mbuf */
	uint16_t perm[HOLD];      /* free order of the hold pattern */
	struct keel_ring *pipe;   /* pipeline pattern */
	unsigned int pipe_done;   /* atomic: the producer stopped */
	int failed;
};

/*
 * Waits in the pipeline spin, then yield now and then: on a machine with
 * fewer free CPUs than lcores the other side may not be running.
 */
static void
pipe_wait(unsigned int *spins)
{
	keel_pause();
	if (++*spins % 1024 == 0)
		sched_yield();
}

/* pipeline consumer: free what comes out of the ring until told to stop */
static int
pipe_consumer(void *arg)
{
	struct mperf *c = arg;
	struct keel_mbuf *ms[32];
	unsigned int lcore = keel_lcore_id(), n;
	uint64_t start, count = 0;
	unsigned int spins = 0;

	while (!__atomic_load_n(&c->go, __ATOMIC_ACQUIRE))
		keel_pause();
	start = keel_get_tsc_cycles();
	for (;;) {
		n = keel_ring_sc_dequeue_burst(c->pipe, (void **)ms, 32, NULL);
		if (n == 0) {
			if (__atomic_load_n(&c->pipe_done, __ATOMIC_ACQUIRE) &&
			    keel_ring_empty(c->pipe))
				break;
			pipe_wait(&spins);
			continue;
		}
		keel_pktmbuf_free_bulk(ms, n);
		count += n;
	}
	c->count[lcore] = count;
	c->elapsed[lcore] = keel_get_tsc_cycles() - start;
	return 0;
}

/* pipeline producer (the main lcore); @return ns per mbuf, or < 0 */
static double
pipe_run(struct mperf *c)
{
	struct keel_mbuf *ms[32];
	unsigned int worker = keel_get_next_lcore(-1, 1), k, spins = 0;
	uint64_t start;

	if (worker >= KEEL_MAX_LCORE)
		return 0;
	memset(c->count, 0, sizeof(c->count));
	c->go = 0;
	c->pipe_done = 0;
	if (keel_eal_remote_launch(pipe_consumer, c, worker) != 0)
		return -1;
	__atomic_store_n(&c->go, 1, __ATOMIC_RELEASE);
	start = keel_get_tsc_cycles();
	while (keel_get_tsc_cycles() - start < c->ticks) {
		if (keel_pktmbuf_alloc_bulk(c->mp, ms, 32) != 0) {
			pipe_wait(&spins);   /* all in flight: wait for frees */
			continue;
		}
		for (k = 0; k < 32; k++)
			ms[k]->data_len = 64;
		while (keel_ring_sp_enqueue_bulk(c->pipe, (void **)ms, 32,
						 NULL) == 0)
			pipe_wait(&spins);
	}
	__atomic_store_n(&c->pipe_done, 1, __ATOMIC_RELEASE);
	keel_eal_wait_lcore(worker);
	if (c->count[worker] == 0)
		return -1;
	return (double)c->elapsed[worker] * 1e9 / (double)keel_get_tsc_hz() /
		(double)c->count[worker];
}

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
	uint64_t start, now, count = 0, best = UINT64_MAX;
	unsigned int per = c->hold ? N_PER_CHECK / HOLD : N_PER_CHECK / c->burst;

	while (!__atomic_load_n(&c->go, __ATOMIC_ACQUIRE))
		keel_pause();
	start = now = keel_get_tsc_cycles();
	while (now - start < c->ticks && !c->failed) {
		uint64_t t0 = now;

		for (i = 0; i < per; i++) {
			if (c->hold)
				hold_round(c, ms, out);
			else
				burst_round(c, ms);
		}
		count += (uint64_t)per * (c->hold ? HOLD : c->burst);
		now = keel_get_tsc_cycles();
		if (now - t0 < best)
			best = now - t0;
	}
	c->best_ns[lcore] = (double)best * 1e9 / (double)keel_get_tsc_hz() /
		(double)((uint64_t)per * (c->hold ? HOLD : c->burst));
	c->count[lcore] = count;
	c->elapsed[lcore] = now - start;
	return c->failed ? -1 : 0;
}

static int
mperf_line(struct mperf *c, unsigned int cores, unsigned int burst, int hold,
	   uint64_t ms)
{
	unsigned int lc, launched = 0;
	double ns = 0, best = 0;
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
			best += c->best_ns[lc];
			ns += (double)c->elapsed[lc] * 1e9 /
				(double)keel_get_tsc_hz() / (double)c->count[lc];
			n++;
		}
	printf("mbuf_perf pattern=%s cache=%u cores=%u burst=%u "
	       "ns_per_mbuf=%.2f\n", hold ? "hold" : "burst", c->mp->cache_size,
	       cores, burst, ns / n);
	/* the fastest block of each core, averaged over the cores */
	printf("mbuf_best pattern=%s cache=%u cores=%u burst=%u "
	       "ns_per_mbuf=%.2f\n", hold ? "hold" : "burst", c->mp->cache_size,
	       cores, burst, best / n);
	return 0;
}

static int
test_mbuf_perf(void)
{
	static const unsigned int bursts[] = { 1, 4, 32 };
	const char *env = getenv("KEEL_PERF_MS");
	uint64_t ms = env ? strtoull(env, NULL, 0) : 500, rnd = 12345;
	struct mperf *c = calloc(1, sizeof(*c));
	const char *cores_env = getenv("KEEL_PERF_CORES");
	unsigned int only_cores = cores_env ? (unsigned int)atoi(cores_env) : 0;
	unsigned int i, b, cores;
	int ret = TEST_SUCCESS;

	TEST_ASSERT(c != NULL, "calloc");
	if (ms == 0)
		ms = 500;
	c->mp = keel_pktmbuf_pool_create_by_ops("mbuf_perf", keel_lcore_count() *
						(HOLD + 2 * CACHE) + 256, CACHE,
						0, KEEL_MBUF_DEFAULT_BUF_SIZE, -1,
						getenv("KEEL_PERF_OPS"));
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
	for (cores = 1; cores <= 2 && ret == TEST_SUCCESS; cores++) {
		if (only_cores && cores != only_cores)
			continue;
		for (b = 0; b < 3; b++)
			if (mperf_line(c, cores, bursts[b], 0, ms) < 0 ||
			    (bursts[b] > 1 &&
			     mperf_line(c, cores, bursts[b], 1, ms) < 0)) {
				ret = TEST_FAILED;
				break;
			}
	}
	if (ret == TEST_SUCCESS && keel_lcore_count() >= 2 && only_cores != 1) {
		double ns;

		c->pipe = keel_ring_create("mbuf_perf_pipe", 1024, -1,
					   KEEL_RING_F_SP_ENQ | KEEL_RING_F_SC_DEQ);
		TEST_ASSERT(c->pipe != NULL, "ring: %s", strerror(errno));
		c->ticks = keel_get_tsc_hz() / 1000 * ms;
		ns = pipe_run(c);
		keel_ring_free(c->pipe);
		TEST_ASSERT(ns > 0, "pipeline");
		printf("mbuf_perf pattern=pipeline cache=%u cores=2 burst=32 "
		       "ns_per_mbuf=%.2f\n", c->mp->cache_size, ns);
	}
	TEST_ASSERT(keel_mempool_full(c->mp), "every mbuf back");
	keel_mempool_free(c->mp);
	free(c);
	return ret;
}
KEEL_TEST(mbuf_perf, "perf", 0, test_mbuf_perf)
