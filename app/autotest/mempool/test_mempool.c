/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mempool tests, single-threaded: the API on every backend, object
 * iteration and IOVAs, caches and their counters, lookup and walk, and
 * bad input everywhere (a clear error, nothing changed).
 */
#include <pthread.h>
#include <stdlib.h>

#include "keel_malloc.h"
#include "keel_mempool.h"
#include "keel_memzone.h"
#include "test.h"
#include "test_mempool.h"

const char *const test_mempool_ops[] = {
	"ring_mp_mc", "ring_sp_sc", "ring_mp_sc", "ring_sp_mc", "ring_mt_rts",
	"ring_mt_hts", "stack",
};
const unsigned int test_mempool_n_ops =
	sizeof(test_mempool_ops) / sizeof(test_mempool_ops[0]);

static void
count_zone(const struct keel_memzone *mz, void *arg)
{
	if (strncmp(mz->name, "MP_", 3) == 0)
		(*(unsigned int *)arg)++;
}

unsigned int
test_mempool_zones(void)
{
	unsigned int n = 0;

	keel_memzone_walk(count_zone, &n);
	return n;
}

void
test_mempool_obj_index(struct keel_mempool *mp, void *arg, void *obj,
		       unsigned int idx)
{
	(void)mp;
	(void)arg;
	*(uint32_t *)obj = idx;
}

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

struct iter_chk {
	unsigned int n, bad;
};

static void
iter_obj(struct keel_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct iter_chk *c = arg;
	uint64_t iova = keel_mempool_virt2iova(obj);

	/* in order, of this pool, cache-aligned, IOVA right at both ends */
	if (idx != c->n || keel_mempool_from_obj(obj) != mp ||
	    ((uintptr_t)obj & 63) != 0 || iova != keel_mem_virt2iova(obj) ||
	    keel_mem_virt2iova((char *)obj + mp->elt_size - 1) !=
	    iova + mp->elt_size - 1)
		c->bad++;
	c->n++;
}

/* get/put/bulk/counts/iteration on one backend */
static int
basic_one(const char *ops)
{
	enum { N = 1000 };
	struct iter_chk chk = { 0, 0 };
	struct keel_mempool *mp;
	void **all, *o, *o2;
	unsigned int i;

	all = calloc(N + 1, sizeof(void *));
	TEST_ASSERT(all != NULL, "calloc");
	mp = keel_mempool_create_empty("mp_basic", N, 200, 32, 48,
				       KEEL_SOCKET_ID_ANY, 0);
	TEST_ASSERT(mp != NULL, "create_empty: %s", strerror(errno));
	TEST_ASSERT_SUCCESS(keel_mempool_set_ops_byname(mp, ops, NULL),
			    "ops %s", ops);
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), 0, "empty pool");
	TEST_ASSERT_EQUAL(keel_mempool_populate_default(mp), N, "populate");
	TEST_ASSERT(strcmp(mp->ops->name, ops) == 0, "ops kept");
	TEST_ASSERT(keel_mempool_lookup("mp_basic") == mp, "lookup");
	TEST_ASSERT(keel_mempool_full(mp) && !keel_mempool_empty(mp), "full");
	TEST_ASSERT(keel_mempool_get_priv(mp) != NULL, "private area");
	memset(keel_mempool_get_priv(mp), 0xab, 48);
	TEST_ASSERT_EQUAL(keel_mempool_obj_iter(mp, iter_obj, &chk), N, "iter");
	TEST_ASSERT_EQUAL(chk.bad, 0, "objects: pool, alignment, IOVA");

	/* one object; the lcore cache hands the hot object back */
	TEST_ASSERT_SUCCESS(keel_mempool_get(mp, &o), "get one");
	TEST_ASSERT_EQUAL(keel_mempool_in_use_count(mp), 1, "in use");
	memset(o, 0x5a, 200);
	keel_mempool_put(mp, o);
	TEST_ASSERT_EQUAL(keel_mempool_in_use_count(mp), 0, "back");
	TEST_ASSERT_SUCCESS(keel_mempool_get(mp, &o2), "get again");
	TEST_ASSERT(o2 == o, "LIFO cache returns the hot object");
	keel_mempool_put(mp, o2);

	/* drain in bulks (one object sits in this lcore's cache) */
	for (i = 0; i < 15; i++)
		TEST_ASSERT_SUCCESS(keel_mempool_get_bulk(mp, all + 64 * i, 64),
				    "bulk %u", i);
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), 40, "40 left");
	TEST_ASSERT_EQUAL(keel_mempool_get_bulk(mp, all + 960, 41), -ENOENT,
			  "41 of 40");
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), 40, "nothing taken");
	TEST_ASSERT_SUCCESS(keel_mempool_get_bulk(mp, all + 960, 40),
			    "the last 40, cache included");
	TEST_ASSERT(keel_mempool_empty(mp), "empty");
	TEST_ASSERT_EQUAL(keel_mempool_get(mp, &o), -ENOENT, "none left");
	qsort(all, N, sizeof(void *), cmp_ptr);
	for (i = 1; i < N; i++)
		TEST_ASSERT(all[i] != all[i - 1], "object %p twice", all[i]);
	for (i = 0; i < N; i += 100)
		keel_mempool_put_bulk(mp, all + i, 100);
	TEST_ASSERT(keel_mempool_full(mp), "full again");
	TEST_ASSERT_SUCCESS(keel_mempool_audit(mp), "audit");
	keel_mempool_free(mp);
	TEST_ASSERT(keel_mempool_lookup("mp_basic") == NULL && errno == ENOENT,
		    "gone after free");
	free(all);
	return TEST_SUCCESS;
}

static void
walk_count(struct keel_mempool *mp, void *arg)
{
	if (strncmp(mp->name, "mp_", 3) == 0)
		(*(unsigned int *)arg)++;
}

static int
test_mempool_basic(void)
{
	unsigned int zones = test_mempool_zones(), i;
	struct keel_mempool *mp;

	for (i = 0; i < test_mempool_n_ops; i++) {
		printf("  ops %s\n", test_mempool_ops[i]);
		if (basic_one(test_mempool_ops[i]) != TEST_SUCCESS)
			return TEST_FAILED;
	}
	/* the documented defaults (doc/guides/mempool.md) */
	TEST_ASSERT(strcmp(keel_mempool_default_ops_name(0), "stack") == 0 &&
		    strcmp(keel_mempool_default_ops_name(KEEL_MEMPOOL_F_SP_PUT |
			   KEEL_MEMPOOL_F_SC_GET), "ring_sp_sc") == 0 &&
		    strcmp(keel_mempool_default_ops_name(KEEL_MEMPOOL_F_SC_GET),
			   "ring_mp_sc") == 0, "default backends");
	/* keel_mempool_create with callbacks, default ops, no cache */
	mp = keel_mempool_create("mp_cb", 100, 8, 0, 0, NULL, NULL,
				 test_mempool_obj_index, NULL,
				 KEEL_SOCKET_ID_ANY, 0);
	TEST_ASSERT(mp != NULL, "create: %s", strerror(errno));
	TEST_ASSERT(strcmp(mp->ops->name,
			   keel_mempool_default_ops_name(0)) == 0, "default ops");
	TEST_ASSERT(keel_mempool_default_cache(mp, keel_lcore_id()) == NULL,
		    "no cache");
	{
		void *objs[100];
		unsigned char seen[100] = { 0 };

		TEST_ASSERT_SUCCESS(keel_mempool_get_bulk(mp, objs, 100), "all");
		for (i = 0; i < 100; i++) {
			uint32_t idx = test_mempool_idx(objs[i]);

			TEST_ASSERT(idx < 100 && !seen[idx], "obj_init index");
			seen[idx] = 1;
		}
		keel_mempool_put_bulk(mp, objs, 100);
	}
	{
		struct keel_mempool *mp2 = keel_mempool_create("mp_cb2", 10, 8, 0,
				0, NULL, NULL, NULL, NULL, -1, 0);
		unsigned int n = 0;

		TEST_ASSERT(mp2 != NULL, "second pool");
		keel_mempool_walk(walk_count, &n);
		TEST_ASSERT_EQUAL(n, 2, "walk sees both pools");
		keel_mempool_free(mp2);
	}
	keel_mempool_free(mp);
	keel_mempool_free(NULL);
	TEST_ASSERT_EQUAL(test_mempool_zones(), zones, "no pool header left");
	return TEST_SUCCESS;
}
KEEL_TEST(mempool_basic, "fast", 0, test_mempool_basic)

/* ---- caches: exact behaviour and counters ---- */

struct nonlcore_arg {
	struct keel_mempool *mp;
	unsigned int backend_before, backend_after_get, backend_after_put;
	int user_cache_ok;
};

static void *
nonlcore_thread(void *p)
{
	struct nonlcore_arg *a = p;
	struct keel_mempool_cache *uc;
	void *objs[8];

	a->backend_before = a->mp->ops->get_count(a->mp);
	if (keel_mempool_get_bulk(a->mp, objs, 8) != 0)
		return NULL;
	a->backend_after_get = a->mp->ops->get_count(a->mp);
	keel_mempool_put_bulk(a->mp, objs, 8);
	a->backend_after_put = a->mp->ops->get_count(a->mp);
	/* a cache of its own */
	uc = keel_mempool_cache_create(16, KEEL_SOCKET_ID_ANY);
	if (uc == NULL)
		return NULL;
	if (keel_mempool_generic_get(a->mp, objs, 4, uc) == 0) {
		keel_mempool_generic_put(a->mp, objs, 4, uc);
		a->user_cache_ok = uc->len == 20 &&
			uc->stats.get_success_objs == 4;
		keel_mempool_cache_flush(uc, a->mp);
		a->user_cache_ok &= uc->len == 0;
	}
	keel_mempool_cache_free(uc);
	return NULL;
}

static int
test_mempool_cache(void)
{
	struct keel_mempool_cache *c;
	struct keel_mempool_stats st;
	struct nonlcore_arg na;
	struct keel_mempool *mp;
	void *objs[300], *big[900];
	pthread_t th;
	unsigned int i;

	mp = keel_mempool_create("mp_cache", 1024, 64, 100, 0, NULL, NULL,
				 NULL, NULL, KEEL_SOCKET_ID_ANY,
				 KEEL_MEMPOOL_F_STATS);
	TEST_ASSERT(mp != NULL, "create: %s", strerror(errno));
	c = keel_mempool_default_cache(mp, keel_lcore_id());
	TEST_ASSERT(c != NULL && c->size == 100 && c->flushthresh == 150 &&
		    c->len == 0, "lcore cache 100, flush at 150");
	TEST_ASSERT(keel_mempool_default_cache(mp, KEEL_LCORE_ID_ANY) == NULL,
		    "non-lcore threads have none");

	/* a get refills: size objects stay after serving n */
	TEST_ASSERT_SUCCESS(keel_mempool_get_bulk(mp, objs, 10), "get 10");
	TEST_ASSERT_EQUAL(c->len, 100, "refilled to size");
	TEST_ASSERT_EQUAL(mp->ops->get_count(mp), 1024 - 110, "backend");
	/* puts stay in the cache up to the threshold ... */
	keel_mempool_put_bulk(mp, objs, 10);
	TEST_ASSERT_EQUAL(c->len, 110, "cached");
	TEST_ASSERT_SUCCESS(keel_mempool_get_bulk(mp, objs, 40), "get 40");
	keel_mempool_put_bulk(mp, objs, 40);
	TEST_ASSERT_EQUAL(c->len, 110, "from and to the cache");
	TEST_ASSERT_EQUAL(mp->ops->get_count(mp), 1024 - 110, "backend idle");
	/* ... and a put past it flushes the cache, keeping the new ones */
	TEST_ASSERT_SUCCESS(keel_mempool_get_bulk(mp, objs, 99), "get 99");
	TEST_ASSERT_EQUAL(c->len, 11, "cache after serving 99");
	TEST_ASSERT_SUCCESS(keel_mempool_get_bulk(mp, objs + 99, 99), "get 99");
	TEST_ASSERT_EQUAL(c->len, 100, "refilled");
	keel_mempool_put_bulk(mp, objs, 50);
	TEST_ASSERT_EQUAL(c->len, 150, "at the threshold");
	keel_mempool_put_bulk(mp, objs + 50, 1);
	TEST_ASSERT_EQUAL(c->len, 1, "flushed, then the new object");
	TEST_ASSERT_EQUAL(mp->ops->get_count(mp), 1024 - 110 - 188 + 150,
			  "backend got the cache");
	keel_mempool_put_bulk(mp, objs + 51, 147);
	/* bulks of cache size or more go to the backend */
	TEST_ASSERT_SUCCESS(keel_mempool_get_bulk(mp, objs, 200), "get 200");
	TEST_ASSERT_EQUAL(c->len, 148, "cache untouched by a big get");
	keel_mempool_put_bulk(mp, objs, 200);
	TEST_ASSERT_EQUAL(c->len, 148, "cache untouched by a big put");
	TEST_ASSERT(keel_mempool_full(mp), "all back");

	TEST_ASSERT_SUCCESS(keel_mempool_stats_get(mp, &st), "stats");
	TEST_ASSERT_EQUAL(st.get_success_bulk, 5, "gets");
	TEST_ASSERT_EQUAL(st.get_success_objs, 10 + 40 + 99 + 99 + 200, "got");
	TEST_ASSERT_EQUAL(st.put_bulk, 6, "puts");
	TEST_ASSERT_EQUAL(st.put_objs, 10 + 40 + 50 + 1 + 147 + 200, "put");
	TEST_ASSERT_EQUAL(st.get_common_pool_bulk, 3, "backend gets");
	TEST_ASSERT_EQUAL(st.get_common_pool_objs, 110 + 188 + 200,
			  "backend objs got");
	TEST_ASSERT_EQUAL(st.put_common_pool_bulk, 2, "backend puts");
	TEST_ASSERT_EQUAL(st.put_common_pool_objs, 150 + 200, "backend objs put");
	/* the third 300 needs this lcore's cache too; the fourth fails */
	TEST_ASSERT_SUCCESS(keel_mempool_get_bulk(mp, big, 300), "300");
	TEST_ASSERT_SUCCESS(keel_mempool_get_bulk(mp, big + 300, 300), "600");
	TEST_ASSERT_SUCCESS(keel_mempool_get_bulk(mp, big + 600, 300), "900");
	TEST_ASSERT_EQUAL(c->len, 0, "the cache gave its 148");
	TEST_ASSERT_EQUAL(keel_mempool_get_bulk(mp, objs, 300), -ENOENT,
			  "1200 of 1024");
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), 124, "nothing taken");
	TEST_ASSERT_SUCCESS(keel_mempool_stats_get(mp, &st), "stats");
	TEST_ASSERT_EQUAL(st.get_fail_bulk, 1, "failed gets");
	TEST_ASSERT_EQUAL(st.get_fail_objs, 300, "failed objs");
	keel_mempool_stats_reset(mp);
	TEST_ASSERT_SUCCESS(keel_mempool_stats_get(mp, &st), "stats");
	TEST_ASSERT_EQUAL(st.get_success_bulk + st.get_fail_bulk, 0, "reset");
	keel_mempool_put_bulk(mp, big, 900);
	TEST_ASSERT(keel_mempool_full(mp), "all back");
	keel_mempool_free(mp);

	/* a non-lcore thread uses no cache */
	mp = keel_mempool_create("mp_cache2", 256, 64, 16, 0, NULL, NULL,
				 NULL, NULL, KEEL_SOCKET_ID_ANY,
				 KEEL_MEMPOOL_F_STATS);
	TEST_ASSERT(mp != NULL, "create: %s", strerror(errno));
	memset(&na, 0, sizeof(na));
	na.mp = mp;
	TEST_ASSERT_SUCCESS(pthread_create(&th, NULL, nonlcore_thread, &na),
			    "thread");
	pthread_join(th, NULL);
	TEST_ASSERT_EQUAL(na.backend_before - na.backend_after_get, 8,
			  "non-lcore get straight from the backend");
	TEST_ASSERT_EQUAL(na.backend_after_put, na.backend_before,
			  "non-lcore put straight to the backend");
	TEST_ASSERT(na.user_cache_ok, "a user cache works and flushes");
	TEST_ASSERT(keel_mempool_full(mp), "all back");
	TEST_ASSERT_SUCCESS(keel_mempool_stats_get(mp, &st), "stats");
	TEST_ASSERT_EQUAL(st.get_success_objs, 8, "non-lcore gets counted "
			  "(user cache counts in the user cache)");
	for (i = 0; i < mp->n_caches; i++)
		TEST_ASSERT_EQUAL(keel_mempool_default_cache(mp, i)->len, 0,
				  "lcore caches untouched");
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}
KEEL_TEST(mempool_cache, "fast", 0, test_mempool_cache)
