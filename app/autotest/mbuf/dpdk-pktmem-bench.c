/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reference for Keel's mempool_perf and mbuf_perf autotests: the same
 * loops and the same output lines on Debian's DPDK 22.11 (rte_mempool with
 * its default "ring_mp_mc" backend; rte_pktmbuf_alloc_bulk and
 * rte_pktmbuf_free_bulk). Not built by meson (DPDK is not a Keel
 * dependency).
 *
 * Build: apt-get install libdpdk-dev
 *        cc -O2 -march=native app/autotest/mbuf/dpdk-pktmem-bench.c \
 *           $(pkg-config --cflags --libs libdpdk) -o dpdk-pktmem-bench
 * Run:   ./dpdk-pktmem-bench --no-huge -m 256 -l 0-1 --no-pci \
 *           --iova-mode=va --file-prefix=pktmem -- [mempool] [mbuf]
 * Compare, interleaved: app/autotest/mbuf/pktmem-bench-compare.py
 * KEEL_PERF_MS sets the time per line (default 500), KEEL_PERF_CACHE (0 or
 * 512) and KEEL_PERF_CORES (1 or 2) select lines, as for Keel.
 */
#include <inttypes.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#define MAX_KEEP 512
#define ELT_SIZE 2048
#define N_PER_CHECK 65536u
#define HOLD 512
#define CACHE 256
#define MB_PER_CHECK 8192u

static uint64_t ms = 500;
static unsigned int only_cores;   /* KEEL_PERF_CORES, as Keel's tests */

/* ---- mempool_perf ---- */

struct perf_ctx {
	struct rte_mempool *mp;
	unsigned int n_get_bulk, n_put_bulk, n_keep;
	uint64_t ticks;
	volatile unsigned int go;
	uint64_t count[RTE_MAX_LCORE];
	uint64_t best[RTE_MAX_LCORE];
	int failed;
};

static int
per_lcore(void *arg)
{
	struct perf_ctx *c = arg;
	unsigned int lcore = rte_lcore_id(), idx, i;
	struct rte_mempool_cache *cache;
	void *objs[MAX_KEEP];
	uint64_t start, count = 0, t0, t1, best = UINT64_MAX;

	cache = rte_mempool_default_cache(c->mp, lcore);
	while (!__atomic_load_n(&c->go, __ATOMIC_ACQUIRE))
		rte_pause();
	start = t1 = rte_get_tsc_cycles();
	while (t1 - start < c->ticks) {
		t0 = t1;
		for (i = 0; i < N_PER_CHECK / c->n_keep; i++) {
			for (idx = 0; idx < c->n_keep; idx += c->n_get_bulk)
				if (rte_mempool_generic_get(c->mp, &objs[idx],
							    c->n_get_bulk,
							    cache) < 0) {
					c->failed = 1;
					return -1;
				}
			for (idx = 0; idx < c->n_keep; idx += c->n_put_bulk)
				rte_mempool_generic_put(c->mp, &objs[idx],
							c->n_put_bulk, cache);
		}
		count += N_PER_CHECK / c->n_keep * c->n_keep;
		t1 = rte_get_tsc_cycles();
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	c->count[lcore] = count;
	c->best[lcore] = best;
	return 0;
}

static int
run_line(struct perf_ctx *c, unsigned int cores, unsigned int bulk,
	 unsigned int keep)
{
	unsigned int lc, launched = 0;
	uint64_t sum = 0;
	double best = 0;

	memset(c->count, 0, sizeof(c->count));
	c->n_get_bulk = c->n_put_bulk = bulk;
	c->n_keep = keep;
	c->ticks = rte_get_tsc_hz() / 1000 * ms;
	c->go = 0;
	RTE_LCORE_FOREACH_WORKER(lc) {
		if (launched + 1 >= cores)
			break;
		rte_eal_remote_launch(per_lcore, c, lc);
		launched++;
	}
	if (launched + 1 < cores)
		return 0;
	__atomic_store_n(&c->go, 1, __ATOMIC_RELEASE);
	per_lcore(c);
	rte_eal_mp_wait_lcore();
	if (c->failed)
		return -1;
	for (lc = 0; lc < RTE_MAX_LCORE; lc++) {
		sum += c->count[lc];
		if (c->count[lc] != 0)
			best += (double)(N_PER_CHECK / keep * keep) *
				(double)rte_get_tsc_hz() / (double)c->best[lc];
	}
	printf("mempool_autotest cache=%u cores=%u n_get_bulk=%u n_put_bulk=%u "
	       "n_keep=%u rate_persec=%" PRIu64 "\n", c->mp->cache_size, cores,
	       bulk, bulk, keep, sum * 1000 / ms);
	printf("mempool_best cache=%u cores=%u n_get_bulk=%u n_put_bulk=%u "
	       "n_keep=%u best_persec=%.0f\n", c->mp->cache_size, cores, bulk,
	       bulk, keep, best);
	return 0;
}

static int
mempool_perf(unsigned int cache_size)
{
	static const unsigned int bulks[] = { 1, 4, 32 };
	static const unsigned int keeps[] = { 32, 128 };
	unsigned int n = rte_lcore_count() * (MAX_KEEP +
					      RTE_MEMPOOL_CACHE_MAX_SIZE * 2) - 1;
	struct perf_ctx *c = calloc(1, sizeof(*c));

	c->mp = rte_mempool_create("perf_mp", n, ELT_SIZE, cache_size, 0, NULL,
				   NULL, NULL, NULL, SOCKET_ID_ANY, 0);
	if (c->mp == NULL)
		return -1;
	printf("ops %s\n", rte_mempool_get_ops(c->mp->ops_index)->name);
	for (unsigned int cores = 1; cores <= 2; cores++) {
		if (only_cores && cores != only_cores)
			continue;
		for (unsigned int b = 0; b < 3; b++)
			for (unsigned int k = 0; k < 2; k++)
				if (run_line(c, cores, bulks[b], keeps[k]) < 0)
					return -1;
	}
	rte_mempool_free(c->mp);
	free(c);
	return 0;
}

/* ---- mbuf_perf ---- */

struct mperf {
	struct rte_mempool *mp;
	unsigned int burst;
	int hold;
	uint64_t ticks;
	volatile unsigned int go;
	uint64_t count[RTE_MAX_LCORE];
	uint64_t elapsed[RTE_MAX_LCORE];
	double best_ns[RTE_MAX_LCORE];      /* fastest block, ns per mbuf */
	uint16_t perm[HOLD];
	struct rte_ring *pipe;
	volatile unsigned int pipe_done;
	int failed;
};

/*
 * Waits in the pipeline spin, then yield now and then: on a machine with
 * fewer free CPUs than lcores the other side may not be running.
 */
static void
pipe_wait(unsigned int *spins)
{
	rte_pause();
	if (++*spins % 1024 == 0)
		sched_yield();
}

static int
pipe_consumer(void *arg)
{
	struct mperf *c = arg;
	struct rte_mbuf *ms_[32];
	unsigned int lcore = rte_lcore_id(), n;
	uint64_t start, count = 0;
	unsigned int spins = 0;

	while (!__atomic_load_n(&c->go, __ATOMIC_ACQUIRE))
		rte_pause();
	start = rte_get_tsc_cycles();
	for (;;) {
		n = rte_ring_sc_dequeue_burst(c->pipe, (void **)ms_, 32, NULL);
		if (n == 0) {
			if (__atomic_load_n(&c->pipe_done, __ATOMIC_ACQUIRE) &&
			    rte_ring_empty(c->pipe))
				break;
			pipe_wait(&spins);
			continue;
		}
		rte_pktmbuf_free_bulk(ms_, n);
		count += n;
	}
	c->count[lcore] = count;
	c->elapsed[lcore] = rte_get_tsc_cycles() - start;
	return 0;
}

static double
pipe_run(struct mperf *c)
{
	struct rte_mbuf *ms_[32];
	unsigned int worker = rte_get_next_lcore(-1, 1, 0), k, spins = 0;
	uint64_t start;

	if (worker >= RTE_MAX_LCORE)
		return 0;
	memset(c->count, 0, sizeof(c->count));
	c->go = 0;
	c->pipe_done = 0;
	rte_eal_remote_launch(pipe_consumer, c, worker);
	__atomic_store_n(&c->go, 1, __ATOMIC_RELEASE);
	start = rte_get_tsc_cycles();
	while (rte_get_tsc_cycles() - start < c->ticks) {
		if (rte_pktmbuf_alloc_bulk(c->mp, ms_, 32) != 0) {
			pipe_wait(&spins);   /* all in flight: wait for frees */
			continue;
		}
		for (k = 0; k < 32; k++)
			ms_[k]->data_len = 64;
		while (rte_ring_sp_enqueue_bulk(c->pipe, (void **)ms_, 32,
						NULL) == 0)
			pipe_wait(&spins);
	}
	__atomic_store_n(&c->pipe_done, 1, __ATOMIC_RELEASE);
	rte_eal_wait_lcore(worker);
	if (c->count[worker] == 0)
		return -1;
	return (double)c->elapsed[worker] * 1e9 / (double)rte_get_tsc_hz() /
		(double)c->count[worker];
}

static void
burst_round(struct mperf *c, struct rte_mbuf **ms_)
{
	if (c->burst == 1) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(c->mp);

		if (m == NULL) {
			c->failed = 1;
			return;
		}
		rte_pktmbuf_free(m);
		return;
	}
	if (rte_pktmbuf_alloc_bulk(c->mp, ms_, c->burst) != 0) {
		c->failed = 1;
		return;
	}
	rte_pktmbuf_free_bulk(ms_, c->burst);
}

static void
hold_round(struct mperf *c, struct rte_mbuf **ms_, struct rte_mbuf **out)
{
	unsigned int i, k;

	for (i = 0; i < HOLD; i += c->burst)
		if (rte_pktmbuf_alloc_bulk(c->mp, ms_ + i, c->burst) != 0) {
			c->failed = 1;
			return;
		}
	for (i = 0; i < HOLD; i++)
		memset(rte_pktmbuf_mtod(ms_[i], char *), (int)i, 64);
	for (i = 0; i < HOLD; i += c->burst) {
		for (k = 0; k < c->burst; k++)
			out[k] = ms_[c->perm[i + k]];
		rte_pktmbuf_free_bulk(out, c->burst);
	}
}

static int
mperf_lcore(void *arg)
{
	struct mperf *c = arg;
	struct rte_mbuf *ms_[HOLD], *out[HOLD];
	unsigned int lcore = rte_lcore_id(), i;
	uint64_t start, now, count = 0, best = UINT64_MAX;
	unsigned int per = c->hold ? MB_PER_CHECK / HOLD : MB_PER_CHECK / c->burst;

	while (!__atomic_load_n(&c->go, __ATOMIC_ACQUIRE))
		rte_pause();
	start = now = rte_get_tsc_cycles();
	while (now - start < c->ticks && !c->failed) {
		uint64_t t0 = now;

		for (i = 0; i < per; i++) {
			if (c->hold)
				hold_round(c, ms_, out);
			else
				burst_round(c, ms_);
		}
		count += (uint64_t)per * (c->hold ? HOLD : c->burst);
		now = rte_get_tsc_cycles();
		if (now - t0 < best)
			best = now - t0;
	}
	c->best_ns[lcore] = (double)best * 1e9 / (double)rte_get_tsc_hz() /
		(double)((uint64_t)per * (c->hold ? HOLD : c->burst));
	c->count[lcore] = count;
	c->elapsed[lcore] = now - start;
	return c->failed ? -1 : 0;
}

static int
mperf_line(struct mperf *c, unsigned int cores, unsigned int burst, int hold)
{
	unsigned int lc, launched = 0;
	double ns = 0, best = 0;
	int n = 0;

	memset(c->count, 0, sizeof(c->count));
	c->burst = burst;
	c->hold = hold;
	c->ticks = rte_get_tsc_hz() / 1000 * ms;
	c->go = 0;
	RTE_LCORE_FOREACH_WORKER(lc) {
		if (launched + 1 >= cores)
			break;
		rte_eal_remote_launch(mperf_lcore, c, lc);
		launched++;
	}
	if (launched + 1 < cores)
		return 0;
	__atomic_store_n(&c->go, 1, __ATOMIC_RELEASE);
	mperf_lcore(c);
	rte_eal_mp_wait_lcore();
	if (c->failed)
		return -1;
	for (lc = 0; lc < RTE_MAX_LCORE; lc++)
		if (c->count[lc] != 0) {
			best += c->best_ns[lc];
			ns += (double)c->elapsed[lc] * 1e9 /
				(double)rte_get_tsc_hz() / (double)c->count[lc];
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

/* the same xorshift64* as Keel's test_rand(), for the same permutation */
static uint64_t
test_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static int
mbuf_perf(void)
{
	static const unsigned int bursts[] = { 1, 4, 32 };
	struct mperf *c = calloc(1, sizeof(*c));
	uint64_t rnd = 12345;
	unsigned int i;

	c->mp = rte_pktmbuf_pool_create("mbuf_perf", rte_lcore_count() *
					(HOLD + 2 * CACHE) + 256, CACHE, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (c->mp == NULL)
		return -1;
	printf("ops %s\n", rte_mempool_get_ops(c->mp->ops_index)->name);
	for (i = 0; i < HOLD; i++)
		c->perm[i] = (uint16_t)i;
	for (i = HOLD - 1; i > 0; i--) {
		unsigned int j = (unsigned int)(test_rand(&rnd) % (i + 1));
		uint16_t t = c->perm[i];

		c->perm[i] = c->perm[j];
		c->perm[j] = t;
	}
	for (unsigned int cores = 1; cores <= 2; cores++) {
		if (only_cores && cores != only_cores)
			continue;
		for (unsigned int b = 0; b < 3; b++)
			if (mperf_line(c, cores, bursts[b], 0) < 0 ||
			    (bursts[b] > 1 && mperf_line(c, cores, bursts[b], 1) < 0))
				return -1;
	}
	if (rte_lcore_count() >= 2 && only_cores != 1) {
		double ns;

		c->pipe = rte_ring_create("mbuf_perf_pipe", 1024, SOCKET_ID_ANY,
					  RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (c->pipe == NULL)
			return -1;
		c->ticks = rte_get_tsc_hz() / 1000 * ms;
		ns = pipe_run(c);
		rte_ring_free(c->pipe);
		if (ns <= 0)
			return -1;
		printf("mbuf_perf pattern=pipeline cache=%u cores=2 burst=32 "
		       "ns_per_mbuf=%.2f\n", c->mp->cache_size, ns);
	}
	rte_mempool_free(c->mp);
	free(c);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *env = getenv("KEEL_PERF_MS");
	const char *cache_env = getenv("KEEL_PERF_CACHE");
	const char *cores_env = getenv("KEEL_PERF_CORES");
	int ret, do_mempool = 0, do_mbuf = 0;
	int cache = cache_env ? atoi(cache_env) : -1;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		return 1;
	argc -= ret;
	argv += ret;
	if (env != NULL && strtoull(env, NULL, 0) > 0)
		ms = strtoull(env, NULL, 0);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "mempool") == 0)
			do_mempool = 1;
		else if (strcmp(argv[i], "mbuf") == 0)
			do_mbuf = 1;
		else {
			fprintf(stderr, "usage: %s [EAL args] -- [mempool] [mbuf]\n",
				argv[0]);
			return 2;
		}
	}
	if (!do_mempool && !do_mbuf)
		do_mempool = do_mbuf = 1;
	only_cores = cores_env ? (unsigned int)atoi(cores_env) : 0;
	if (do_mempool && ((cache <= 0 && mempool_perf(0) < 0) ||
			   (cache != 0 &&
			    mempool_perf(RTE_MEMPOOL_CACHE_MAX_SIZE) < 0)))
		return 1;
	if (do_mbuf && mbuf_perf() < 0)
		return 1;
	rte_eal_cleanup();
	return 0;
}
