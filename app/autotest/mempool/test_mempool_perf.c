/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mempool_perf: objects per second through get and put, in the shape of
 * DPDK 22.11's mempool_perf_autotest (same loop, same pool, same output
 * line), for each backend: without and with a per-lcore cache (512),
 * on 1 and 2 cores, bulks of 1, 4 and 32, keeping 32 or 128 objects out.
 *
 * Each core gets n_keep objects in bulks of n_get_bulk, puts them back in
 * bulks of n_put_bulk, and counts; the rate is the sum over the cores.
 * app/autotest/mbuf/dpdk-pktmem-bench.c runs the same lines on DPDK.
 * Prints figures only. KEEL_PERF_MS sets the time per line (default 500),
 * KEEL_PERF_OPS limits the run to one backend, KEEL_PERF_CACHE (0 or 512)
 * and KEEL_PERF_CORES (1 or 2) to some lines.
 */
#include <stdlib.h>

#include "keel_cycles.h"
#include "keel_eal.h"
#include "keel_mempool.h"
#include "test.h"
#include "test_mempool.h"

#define MAX_KEEP 512
#define ELT_SIZE 2048
#define N_PER_CHECK 65536u

struct perf_ctx {
	struct keel_mempool *mp;
	unsigned int n_get_bulk, n_put_bulk, n_keep;
	uint64_t ticks;       /* how long each core runs */
	unsigned int go;      /* atomic */
	uint64_t count[KEEL_MAX_LCORE];
	uint64_t best[KEEL_MAX_LCORE]; /* fewest cycles for N_PER_CHECK */
	int failed;
};

static int
per_lcore(void *arg)
{
	struct perf_ctx *c = arg;
	unsigned int lcore = keel_lcore_id(), idx, i;
	struct keel_mempool_cache *cache;
	void *objs[MAX_KEEP];
	uint64_t start, count = 0, t0, t1, best = UINT64_MAX;

	cache = keel_mempool_default_cache(c->mp, lcore);
	while (!__atomic_load_n(&c->go, __ATOMIC_ACQUIRE))
		keel_pause();
	start = t1 = keel_get_tsc_cycles();
	while (t1 - start < c->ticks) {
		t0 = t1;
		for (i = 0; i < N_PER_CHECK / c->n_keep; i++) {
			for (idx = 0; idx < c->n_keep; idx += c->n_get_bulk)
				if (keel_mempool_generic_get(c->mp, &objs[idx],
							     c->n_get_bulk,
							     cache) < 0) {
					c->failed = 1;
					return -1;
				}
			for (idx = 0; idx < c->n_keep; idx += c->n_put_bulk)
				keel_mempool_generic_put(c->mp, &objs[idx],
							 c->n_put_bulk, cache);
		}
		count += N_PER_CHECK / c->n_keep * c->n_keep;
		t1 = keel_get_tsc_cycles();
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	c->count[lcore] = count;
	c->best[lcore] = best;
	return 0;
}

static int
run_line(struct perf_ctx *c, unsigned int cores, unsigned int bulk,
	 unsigned int keep, uint64_t ms)
{
	unsigned int lc, launched = 0;
	uint64_t sum = 0;
	double best = 0;

	memset(c->count, 0, sizeof(c->count));
	c->n_get_bulk = c->n_put_bulk = bulk;
	c->n_keep = keep;
	c->ticks = keel_get_tsc_hz() / 1000 * ms;
	c->go = 0;
	KEEL_LCORE_FOREACH_WORKER(lc) {
		if (launched + 1 >= cores)
			break;
		if (keel_eal_remote_launch(per_lcore, c, lc) != 0)
			return -1;
		launched++;
	}
	if (launched + 1 < cores)
		return 1;   /* not enough lcores */
	__atomic_store_n(&c->go, 1, __ATOMIC_RELEASE);
	per_lcore(c);
	keel_eal_mp_wait();
	if (c->failed)
		return -1;
	for (lc = 0; lc < KEEL_MAX_LCORE; lc++) {
		sum += c->count[lc];
		if (c->count[lc] != 0)
			best += (double)(N_PER_CHECK / keep * keep) *
				(double)keel_get_tsc_hz() / (double)c->best[lc];
	}
	printf("mempool_autotest cache=%u cores=%u n_get_bulk=%u n_put_bulk=%u "
	       "n_keep=%u rate_persec=%" PRIu64 "\n", c->mp->cache_size, cores,
	       bulk, bulk, keep, sum * 1000 / ms);
	/* the best block of each core: what the code costs when the machine
	 * lets it run (the line above includes time other programs took) */
	printf("mempool_best cache=%u cores=%u n_get_bulk=%u n_put_bulk=%u "
	       "n_keep=%u best_persec=%.0f\n", c->mp->cache_size, cores, bulk,
	       bulk, keep, best);
	return 0;
}

/* KEEL_PERF_CORES=1|2: only those lines (finer interleaving with DPDK) */
static unsigned int only_cores;

static int
perf_pool(const char *ops, unsigned int cache_size, uint64_t ms)
{
	static const unsigned int bulks[] = { 1, 4, 32 };
	static const unsigned int keeps[] = { 32, 128 };
	unsigned int n = keel_lcore_count() * (MAX_KEEP +
					       KEEL_MEMPOOL_CACHE_MAX_SIZE * 2) - 1;
	struct perf_ctx *c = calloc(1, sizeof(*c));
	unsigned int max_cores;
	int ret = 0;

	if (c == NULL)
		return -1;
	c->mp = keel_mempool_create_empty("perf_mp", n, ELT_SIZE, cache_size,
					  0, -1, 0);
	if (c->mp == NULL || keel_mempool_set_ops_byname(c->mp, ops, NULL) ||
	    keel_mempool_populate_default(c->mp) < 0) {
		printf("  cannot create a pool with ops %s\n", ops);
		keel_mempool_free(c->mp);
		free(c);
		return -1;
	}
	printf("ops %s (flags 0x%x)\n", ops, c->mp->flags);
	/* a single-producer or single-consumer backend: one core only */
	max_cores = strstr(ops, "_sp_") || strstr(ops, "_sc") ? 1 : 2;
	for (unsigned int cores = 1; cores <= max_cores && ret >= 0; cores++) {
		if (only_cores && cores != only_cores)
			continue;
		for (unsigned int b = 0; b < 3 && ret >= 0; b++)
			for (unsigned int k = 0; k < 2 && ret >= 0; k++)
				ret = run_line(c, cores, bulks[b], keeps[k], ms);
	}
	keel_mempool_free(c->mp);
	free(c);
	return ret < 0 ? -1 : 0;
}

static int
test_mempool_perf(void)
{
	const char *env = getenv("KEEL_PERF_MS");
	const char *only = getenv("KEEL_PERF_OPS");
	const char *cache_env = getenv("KEEL_PERF_CACHE");
	const char *cores_env = getenv("KEEL_PERF_CORES");
	uint64_t ms = env ? strtoull(env, NULL, 0) : 500;
	int cache = cache_env ? atoi(cache_env) : -1;
	unsigned int i;

	if (ms == 0)
		ms = 500;
	only_cores = cores_env ? (unsigned int)atoi(cores_env) : 0;
	if (keel_lcore_count() < 2)
		printf("  one lcore: the 2-core lines are left out\n");
	for (i = 0; i < test_mempool_n_ops; i++) {
		if (only != NULL && strcmp(only, test_mempool_ops[i]) != 0)
			continue;
		if ((cache <= 0 && perf_pool(test_mempool_ops[i], 0, ms) < 0) ||
		    (cache != 0 && perf_pool(test_mempool_ops[i],
					     KEEL_MEMPOOL_CACHE_MAX_SIZE, ms) < 0))
			return TEST_FAILED;
	}
	return TEST_SUCCESS;
}
KEEL_TEST(mempool_perf, "perf", 0, test_mempool_perf)
