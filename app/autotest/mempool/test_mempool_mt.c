/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mempool concurrency: four lcores on two CPUs (so threads are preempted
 * while they hold objects, caches or the backend) and two non-EAL threads
 * (one uncached, one with a cache of its own) get and put random bulks.
 * An ownership array proves no object is held twice at once; at the end
 * every object comes back exactly once. A second test races two threads
 * putting the same object: the audit lets exactly one of them in.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "keel_eal.h"
#include "keel_malloc.h"
#include "keel_mempool.h"
#include "test.h"
#include "test_mempool.h"
#include "test_util.h"

#define MT_EAL_ARGS "--no-huge -m 64 -l 0@0,1@1,2@0,3@1"
#define MT_OBJS 2048
#define MT_ITERS 40000
#define MT_MAX_HELD 200
#define MT_NONEAL 2

struct mt_ctx {
	struct keel_mempool *mp;
	uint8_t owned[MT_OBJS];
	unsigned int errors;      /* atomic */
	unsigned int go;          /* atomic: start line */
	unsigned int ready;       /* atomic */
	unsigned int iters;       /* per thread */
	uint64_t seed;
};

struct mt_thread {
	struct mt_ctx *ctx;
	unsigned int id;
	int user_cache;
	uint64_t ops;
	uint64_t uc_got, uc_put; /* counted in the user cache */
};

static void
mt_error(struct mt_ctx *c, const char *what, uint32_t idx, unsigned int id)
{
	if (__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED) < 5)
		printf("  thread %u: object %u %s\n", id, idx, what);
}

static int
mt_body(struct mt_thread *t)
{
	struct mt_ctx *c = t->ctx;
	struct keel_mempool_cache *cache = NULL;
	uint64_t rnd = c->seed * 0x9e3779b97f4a7c15ull + t->id + 1;
	void *held[MT_MAX_HELD];
	unsigned int nheld = 0, i, k;

	if (t->user_cache) {
		cache = keel_mempool_cache_create(24, KEEL_SOCKET_ID_ANY);
		if (cache == NULL)
			return -1;
	} else {
		cache = keel_mempool_default_cache(c->mp, keel_lcore_id());
	}
	__atomic_fetch_add(&c->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&c->go, __ATOMIC_ACQUIRE))
		sched_yield();
	for (i = 0; i < c->iters; i++) {
		uint64_t r = test_rand(&rnd);
		/* bulks of 1..32, sometimes 64 (past the cache size) */
		unsigned int n = (r >> 8) % 16 == 0 ? 64 : 1 + (r >> 16) % 32;

		if (nheld + n <= MT_MAX_HELD && ((r & 1) || nheld == 0)) {
			if (keel_mempool_generic_get(c->mp, held + nheld, n,
						     cache) != 0)
				continue; /* others hold the rest */
			for (k = nheld; k < nheld + n; k++) {
				uint32_t idx = test_mempool_idx(held[k]);

				if (idx >= MT_OBJS ||
				    __atomic_exchange_n(&c->owned[idx], 1,
							__ATOMIC_ACQ_REL) != 0)
					mt_error(c, "handed out twice", idx, t->id);
			}
			nheld += n;
		} else {
			n = n > nheld ? nheld : n;
			nheld -= n;
			for (k = nheld; k < nheld + n; k++) {
				uint32_t idx = test_mempool_idx(held[k]);

				if (__atomic_exchange_n(&c->owned[idx], 0,
							__ATOMIC_ACQ_REL) != 1)
					mt_error(c, "put while not held", idx,
						 t->id);
			}
			keel_mempool_generic_put(c->mp, held + nheld, n, cache);
		}
		t->ops++;
	}
	for (k = 0; k < nheld; k++)
		__atomic_store_n(&c->owned[test_mempool_idx(held[k])], 0,
				 __ATOMIC_RELEASE);
	keel_mempool_generic_put(c->mp, held, nheld, cache);
	keel_mempool_cache_flush(cache, c->mp);
	if (t->user_cache) {
		t->uc_got = cache->stats.get_success_objs;
		t->uc_put = cache->stats.put_objs;
		keel_mempool_cache_free(cache);
	}
	return 0;
}

static int
mt_lcore(void *arg)
{
	return mt_body(arg);
}

static void *
mt_pthread(void *arg)
{
	mt_body(arg);
	return NULL;
}

static int
mt_case(const char *ops, unsigned int iters, unsigned int cache_size,
	uint64_t seed)
{
	struct mt_thread th[KEEL_MAX_LCORE + MT_NONEAL];
	pthread_t pt[MT_NONEAL];
	struct keel_mempool_stats st;
	struct mt_ctx *c;
	void **all;
	unsigned int lc, n = 0, i, nthreads;
	uint8_t *seen;
	uint64_t t0;
	int ret = TEST_FAILED;

	c = calloc(1, sizeof(*c));
	all = calloc(MT_OBJS, sizeof(void *));
	seen = calloc(MT_OBJS, 1);
	if (c == NULL || all == NULL || seen == NULL)
		goto out;
	c->seed = seed;
	c->iters = iters;
	c->mp = keel_mempool_create_empty("mp_mt", MT_OBJS, 64, cache_size, 0,
					  -1, KEEL_MEMPOOL_F_STATS);
	if (c->mp == NULL || keel_mempool_set_ops_byname(c->mp, ops, NULL) ||
	    keel_mempool_populate_default(c->mp) != MT_OBJS) {
		printf("  cannot create the pool: %s\n", strerror(errno));
		goto out;
	}
	keel_mempool_obj_iter(c->mp, test_mempool_obj_index, NULL);
	memset(th, 0, sizeof(th));
	KEEL_LCORE_FOREACH_WORKER(lc) {
		th[n] = (struct mt_thread){ c, n, 0, 0, 0, 0 };
		if (keel_eal_remote_launch(mt_lcore, &th[n], lc) != 0)
			goto out;
		n++;
	}
	for (i = 0; i < MT_NONEAL; i++, n++) {
		th[n] = (struct mt_thread){ c, n, (int)i, 0, 0, 0 };
		if (pthread_create(&pt[i], NULL, mt_pthread, &th[n]) != 0)
			goto out;
	}
	th[n] = (struct mt_thread){ c, n, 0, 0, 0, 0 };
	nthreads = n + 1;
	while (__atomic_load_n(&c->ready, __ATOMIC_ACQUIRE) != nthreads - 1)
		sched_yield();
	t0 = keel_time_ns();
	__atomic_store_n(&c->go, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&c->ready, 1, __ATOMIC_RELEASE);
	mt_body(&th[n]);
	if (keel_eal_mp_wait() != 0)
		mt_error(c, "(an lcore failed)", 0, 0);
	for (i = 0; i < MT_NONEAL; i++)
		pthread_join(pt[i], NULL);
	printf("  %s cache %u: %u threads, %.1f ms\n", ops, cache_size,
	       nthreads, (double)(keel_time_ns() - t0) / 1e6);
	TEST_ASSERT_EQUAL(c->errors, 0, "ownership errors");

	/* every object comes back, exactly once */
	TEST_ASSERT(keel_mempool_full(c->mp), "all returned (avail %u)",
		    keel_mempool_avail_count(c->mp));
	TEST_ASSERT_SUCCESS(keel_mempool_get_bulk(c->mp, all, MT_OBJS),
			    "one thread gets them all");
	for (i = 0; i < MT_OBJS; i++) {
		uint32_t idx = test_mempool_idx(all[i]);

		TEST_ASSERT(idx < MT_OBJS && !seen[idx], "object %u twice", idx);
		seen[idx] = 1;
	}
	keel_mempool_put_bulk(c->mp, all, MT_OBJS);
	TEST_ASSERT_SUCCESS(keel_mempool_stats_get(c->mp, &st), "stats");
	for (i = 0; i < nthreads; i++) {
		st.get_success_objs += th[i].uc_got;
		st.put_objs += th[i].uc_put;
	}
	TEST_ASSERT_EQUAL(st.get_success_objs - st.put_objs, 0,
			  "objects got == objects put");
	TEST_ASSERT_EQUAL(st.audit_errors, 0, "audit");
	TEST_ASSERT_SUCCESS(keel_mempool_audit(c->mp), "audit");
	ret = TEST_SUCCESS;
out:
	if (c != NULL)
		keel_mempool_free(c->mp);
	free(c);
	free(all);
	free(seen);
	return ret;
}

/*
 * The backends any number of threads may use at once, and how many
 * iterations each thread runs: ring_mp_mc makes each thread wait for the
 * ones that claimed before it, so with six threads on two CPUs it runs
 * ~100 times slower than the others (see doc/guides/mempool.md).
 */
static const struct {
	const char *name;
	unsigned int iters;
} mt_ops[] = {
	{ "ring_mt_rts", MT_ITERS }, { "ring_mt_hts", MT_ITERS },
	{ "stack", MT_ITERS }, { "ring_mp_mc", MT_ITERS / 10 },
};

static int
test_mempool_mt(void)
{
	unsigned int i;
	int ret;

	ret = test_eal_init_str(MT_EAL_ARGS);
	TEST_ASSERT(ret >= 0, "init: %s", strerror(-ret));
	TEST_ASSERT_EQUAL(keel_lcore_count(), 4, "4 lcores");
	for (i = 0; i < sizeof(mt_ops) / sizeof(mt_ops[0]); i++) {
		if (mt_case(mt_ops[i].name, mt_ops[i].iters, 0,
			    keel_test_seed()) ||
		    mt_case(mt_ops[i].name, mt_ops[i].iters, 32,
			    keel_test_seed() + 1))
			goto fail;
	}
	keel_eal_cleanup();
	return TEST_SUCCESS;
fail:
	keel_eal_mp_wait();
	keel_eal_cleanup();
	return TEST_FAILED;
}
KEEL_TEST(mempool_mt, "fast", TEST_NO_EAL | TEST_RANDOM, test_mempool_mt)

/* ---- two threads put the same object at once ---- */

struct race {
	struct keel_mempool *mp;
	void *obj;
	unsigned int round;   /* atomic: the round both put in */
	unsigned int arrived; /* atomic */
	unsigned int rounds;
};

static int
race_worker(void *arg)
{
	struct race *r = arg;
	unsigned int k;

	for (k = 1; k <= r->rounds; k++) {
		while (__atomic_load_n(&r->round, __ATOMIC_ACQUIRE) != k)
			keel_pause();
		__atomic_fetch_add(&r->arrived, 1, __ATOMIC_ACQ_REL);
		while (__atomic_load_n(&r->arrived, __ATOMIC_ACQUIRE) < 4 * k - 2)
			keel_pause();
		keel_mempool_put(r->mp, r->obj);
		__atomic_fetch_add(&r->arrived, 1, __ATOMIC_ACQ_REL);
	}
	return 0;
}

static int
test_mempool_audit_race(void)
{
	struct keel_mempool_stats st;
	struct race r;
	unsigned int worker, k;
	char *log;

	worker = keel_get_next_lcore(-1, 1);
	if (worker >= KEEL_MAX_LCORE)
		return keel_test_skip("needs a worker lcore");
	memset(&r, 0, sizeof(r));
	r.rounds = 200;
	r.mp = keel_mempool_create("mp_race", 64, 32, 8, 0, NULL, NULL, NULL,
				   NULL, -1, KEEL_MEMPOOL_F_DEBUG);
	TEST_ASSERT(r.mp != NULL, "create: %s", strerror(errno));
	TEST_ASSERT_SUCCESS(keel_eal_remote_launch(race_worker, &r, worker),
			    "launch");
	test_log_capture_start();
	for (k = 1; k <= r.rounds; k++) {
		if (keel_mempool_get(r.mp, &r.obj) != 0)
			break;
		__atomic_store_n(&r.round, k, __ATOMIC_RELEASE);
		__atomic_fetch_add(&r.arrived, 1, __ATOMIC_ACQ_REL);
		while (__atomic_load_n(&r.arrived, __ATOMIC_ACQUIRE) < 4 * k - 2)
			keel_pause();
		keel_mempool_put(r.mp, r.obj);
		__atomic_fetch_add(&r.arrived, 1, __ATOMIC_ACQ_REL);
		while (__atomic_load_n(&r.arrived, __ATOMIC_ACQUIRE) < 4 * k)
			keel_pause();
		/* the worker's cache may hold it: collect it back here */
	}
	keel_eal_wait_lcore(worker);
	log = test_log_capture_stop();
	TEST_ASSERT_EQUAL(k, r.rounds + 1, "every round ran");
	TEST_ASSERT_SUCCESS(keel_mempool_stats_get(r.mp, &st), "stats");
	TEST_ASSERT_EQUAL(st.audit_errors, r.rounds, "one loser per round");
	TEST_ASSERT(strstr(log, "double put") != NULL, "logged");
	free(log);
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(r.mp), 64,
			  "each object stored once");
	TEST_ASSERT_SUCCESS(keel_mempool_audit(r.mp), "consistent");
	keel_mempool_free(r.mp);
	return TEST_SUCCESS;
}
KEEL_TEST(mempool_audit_race, "fast", 0, test_mempool_audit_race)
