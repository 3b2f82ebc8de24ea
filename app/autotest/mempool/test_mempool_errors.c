/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mempool misuse: bad arguments to every control call (a clear error that
 * names the value, nothing created or changed), and the audit of debug
 * pools catching a double put, a foreign object and a write past an object.
 */
#include <stdlib.h>

#include "keel_mempool.h"
#include "keel_memzone.h"
#include "test.h"
#include "test_mempool.h"

/* the call fails with errno err, logs `needle`, and leaves no pool */
#define EXPECT_CREATE_FAIL(call, err, needle) do { \
	unsigned int z0 = test_mempool_zones(); \
	struct keel_mempool *mp_; \
	char *log_; \
	test_log_capture_start(); \
	errno = 0; \
	mp_ = (call); \
	log_ = test_log_capture_stop(); \
	TEST_ASSERT(mp_ == NULL, "%s succeeded", #call); \
	TEST_ASSERT_EQUAL(errno, err, "%s: errno", #call); \
	TEST_ASSERT(strstr(log_, needle) != NULL, "%s: log '%s' lacks '%s'", \
		    #call, log_, needle); \
	free(log_); \
	TEST_ASSERT_EQUAL(test_mempool_zones(), z0, "%s left a pool", #call); \
} while (0)

#define EXPECT_FAIL(call, ret, needle) do { \
	char *log_; \
	long long r_; \
	test_log_capture_start(); \
	r_ = (long long)(call); \
	log_ = test_log_capture_stop(); \
	TEST_ASSERT_EQUAL(r_, ret, "%s", #call); \
	TEST_ASSERT(strstr(log_, needle) != NULL, "%s: log '%s' lacks '%s'", \
		    #call, log_, needle); \
	free(log_); \
} while (0)

static int dummy_alloc(struct keel_mempool *mp) { (void)mp; return 0; }
static void dummy_free(struct keel_mempool *mp) { (void)mp; }
static int dummy_enq(struct keel_mempool *mp, void * const *t, unsigned int n)
{ (void)mp; (void)t; (void)n; return 0; }
static int dummy_deq(struct keel_mempool *mp, void **t, unsigned int n)
{ (void)mp; (void)t; (void)n; return -ENOBUFS; }
static unsigned int dummy_count(const struct keel_mempool *mp)
{ (void)mp; return 0; }
static int failing_alloc(struct keel_mempool *mp) { (void)mp; return -ENOMEM; }

static const struct keel_mempool_ops ops_no_deq = {
	.name = "test_no_deq", .alloc = dummy_alloc, .free = dummy_free,
	.enqueue = dummy_enq, .get_count = dummy_count,
};
static const struct keel_mempool_ops ops_dup = {
	.name = "stack", .alloc = dummy_alloc, .free = dummy_free,
	.enqueue = dummy_enq, .dequeue = dummy_deq, .get_count = dummy_count,
};
/* registered once per process (the registry outlives EAL cleanup) */
static const struct keel_mempool_ops ops_failing = {
	.name = "test_failing_alloc", .alloc = failing_alloc,
	.free = dummy_free, .enqueue = dummy_enq, .dequeue = dummy_deq,
	.get_count = dummy_count,
};

static int
test_mempool_bad_args(void)
{
	struct keel_mempool *mp;
	uint8_t buf[4096] __attribute__((aligned(64)));
	void *objs[8];

	EXPECT_CREATE_FAIL(keel_mempool_create("", 10, 8, 0, 0, NULL, NULL,
			   NULL, NULL, -1, 0), EINVAL, "empty name");
	EXPECT_CREATE_FAIL(keel_mempool_create(NULL, 10, 8, 0, 0, NULL, NULL,
			   NULL, NULL, -1, 0), EINVAL, "empty name");
	EXPECT_CREATE_FAIL(keel_mempool_create("a_name_that_is_far_too_long_29",
			   10, 8, 0, 0, NULL, NULL, NULL, NULL, -1, 0),
			   ENAMETOOLONG, "name longer");
	EXPECT_CREATE_FAIL(keel_mempool_create("mp_bad", 0, 8, 0, 0, NULL, NULL,
			   NULL, NULL, -1, 0), EINVAL, "n is 0");
	EXPECT_CREATE_FAIL(keel_mempool_create("mp_bad", 10, 0, 0, 0, NULL, NULL,
			   NULL, NULL, -1, 0), EINVAL, "element size 0");
	EXPECT_CREATE_FAIL(keel_mempool_create("mp_bad", 10, UINT32_MAX, 0, 0,
			   NULL, NULL, NULL, NULL, -1, 0), EINVAL, "too large");
	EXPECT_CREATE_FAIL(keel_mempool_create("mp_bad", 10000, 8, 513, 0, NULL,
			   NULL, NULL, NULL, -1, 0), EINVAL, "cache 513");
	EXPECT_CREATE_FAIL(keel_mempool_create("mp_bad", 100, 8, 68, 0, NULL,
			   NULL, NULL, NULL, -1, 0), EINVAL, "flush threshold");
	EXPECT_CREATE_FAIL(keel_mempool_create("mp_bad", 10, 8, 0, 0, NULL, NULL,
			   NULL, NULL, -1, 0x8000), EINVAL, "flags 0x8000");
	EXPECT_CREATE_FAIL(keel_mempool_create("mp_bad", 10, 8, 0, 0, NULL, NULL,
			   NULL, NULL, 99, 0), EINVAL, "socket 99");
	/* 67 x 3 / 2 = 100 <= 100: the largest cache a 100-object pool takes */
	mp = keel_mempool_create("mp_bad", 100, 8, 67, 0, NULL, NULL, NULL, NULL,
				 -1, 0);
	TEST_ASSERT(mp != NULL, "cache 67 of 100: %s", strerror(errno));
	EXPECT_CREATE_FAIL(keel_mempool_create("mp_bad", 10, 8, 0, 0, NULL, NULL,
			   NULL, NULL, -1, 0), EEXIST, "already taken");
	TEST_ASSERT(keel_mempool_lookup("mp_bad") == mp, "first pool intact");

	/* a full pool takes no more objects, and keeps its ops */
	EXPECT_FAIL(keel_mempool_populate_default(mp), -EEXIST, "already holds");
	EXPECT_FAIL(keel_mempool_populate_iova(mp, buf, 0x1000, sizeof(buf),
					       NULL, NULL), -EEXIST,
		    "already holds");
	EXPECT_FAIL(keel_mempool_set_ops_byname(mp, "stack", NULL), -EEXIST,
		    "has objects already");
	/* asking for more than there is takes nothing */
	TEST_ASSERT_EQUAL(keel_mempool_get_bulk(mp, (void **)buf, 101), -ENOENT,
			  "101 of 100");
	TEST_ASSERT(keel_mempool_full(mp), "nothing taken");
	keel_mempool_free(mp);

	mp = keel_mempool_create_empty("mp_bad2", 10, 100, 0, 0, -1, 0);
	TEST_ASSERT(mp != NULL, "create_empty: %s", strerror(errno));
	EXPECT_FAIL(keel_mempool_set_ops_byname(mp, "no_such_ops", NULL),
		    -EINVAL, "no ops called 'no_such_ops'");
	EXPECT_FAIL(keel_mempool_set_ops_byname(mp, NULL, NULL), -EINVAL,
		    "(null)");
	EXPECT_FAIL(keel_mempool_populate_iova(mp, NULL, 0x1000, 4096, NULL,
					       NULL), -EINVAL, "NULL address");
	EXPECT_FAIL(keel_mempool_populate_iova(mp, buf, KEEL_BAD_IOVA, 4096,
					       NULL, NULL), -EINVAL,
		    "need an IOVA");
	EXPECT_FAIL(keel_mempool_populate_iova(mp, buf, 0x1000, 100, NULL,
					       NULL), -EINVAL, "too small");
	EXPECT_FAIL(keel_mempool_populate_iova(mp, buf, UINT64_MAX - 100, 4096,
					       NULL, NULL), -EINVAL, "wraps");
	EXPECT_FAIL(keel_mempool_populate_extmem(mp, buf, 10, NULL, NULL),
		    -EINVAL, "too small");
	TEST_ASSERT_EQUAL(mp->populated_size, 0, "nothing added");
	TEST_ASSERT_EQUAL(mp->nb_mem_chunks, 0, "no chunk added");
	/* a backend that cannot start: populate fails, the pool stays empty */
	if (keel_mempool_ops_lookup("test_failing_alloc") == NULL)
		TEST_ASSERT(keel_mempool_register_ops(&ops_failing) >= 0,
			    "register");
	TEST_ASSERT_SUCCESS(keel_mempool_set_ops_byname(mp,
			    "test_failing_alloc", NULL), "set ops");
	EXPECT_FAIL(keel_mempool_populate_default(mp), -ENOMEM,
		    "cannot set up the backend");
	TEST_ASSERT(mp->populated_size == 0 && mp->mem_list == NULL,
		    "nothing added");
	TEST_ASSERT_SUCCESS(keel_mempool_set_ops_byname(mp, "stack", NULL),
			    "another backend");
	TEST_ASSERT_EQUAL(keel_mempool_populate_default(mp), 10, "populate");
	TEST_ASSERT_SUCCESS(keel_mempool_get_bulk(mp, objs, 8), "get");
	keel_mempool_put_bulk(mp, objs, 8);
	keel_mempool_free(mp);

	/* ops registration */
	EXPECT_FAIL(keel_mempool_register_ops(NULL), -EINVAL, "NULL");
	EXPECT_FAIL(keel_mempool_register_ops(&ops_no_deq), -EINVAL,
		    "callback is missing");
	EXPECT_FAIL(keel_mempool_register_ops(&ops_dup), -EEXIST,
		    "already registered");
	TEST_ASSERT(keel_mempool_ops_lookup("stack") != &ops_dup, "kept");
	TEST_ASSERT(keel_mempool_ops_lookup("test_no_deq") == NULL, "refused");

	/* caches, frees, lookups of things that are not pools */
	errno = 0;
	TEST_ASSERT(keel_mempool_cache_create(0, -1) == NULL && errno == EINVAL,
		    "cache of 0");
	TEST_ASSERT(keel_mempool_cache_create(513, -1) == NULL && errno == EINVAL,
		    "cache of 513");
	EXPECT_FAIL((keel_mempool_free((struct keel_mempool *)buf), 0), 0,
		    "not a pool");
	EXPECT_FAIL(keel_mempool_audit((struct keel_mempool *)buf), -EINVAL,
		    "not a pool");
	TEST_ASSERT(keel_mempool_lookup("nope") == NULL && errno == ENOENT,
		    "lookup of an unknown name");
	TEST_ASSERT(keel_mempool_lookup(NULL) == NULL && errno == EINVAL,
		    "lookup of NULL");
	return TEST_SUCCESS;
}
KEEL_TEST(mempool_bad_args, "fast", 0, test_mempool_bad_args)

/* ---- the audit of debug pools ---- */

static int
audit_one(const char *ops, unsigned int cache)
{
	struct keel_mempool_stats st;
	struct keel_mempool *mp, *other;
	void *o, *o2, *objs[4];
	char *log;

	mp = keel_mempool_create_empty("mp_audit", 64, 40, cache, 0, -1,
				       KEEL_MEMPOOL_F_DEBUG);
	other = keel_mempool_create("mp_other", 8, 40, 0, 0, NULL, NULL, NULL,
				    NULL, -1, 0);
	TEST_ASSERT(mp != NULL && other != NULL, "create: %s", strerror(errno));
	TEST_ASSERT_SUCCESS(keel_mempool_set_ops_byname(mp, ops, NULL), "ops");
	TEST_ASSERT_EQUAL(keel_mempool_populate_default(mp), 64, "populate");
	TEST_ASSERT(mp->trailer_size >= 8, "a trailer for the cookie");
	TEST_ASSERT_SUCCESS(keel_mempool_audit(mp), "fresh pool");

	/* double put: caught, logged, counted, not stored twice */
	TEST_ASSERT_SUCCESS(keel_mempool_get(mp, &o), "get");
	keel_mempool_put(mp, o);
	test_log_capture_start();
	keel_mempool_put(mp, o);
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "double put") != NULL, "log: %s", log);
	free(log);
	TEST_ASSERT_SUCCESS(keel_mempool_stats_get(mp, &st), "stats");
	TEST_ASSERT_EQUAL(st.audit_errors, 1, "counted");
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), 64, "stored once");
	TEST_ASSERT_SUCCESS(keel_mempool_audit(mp), "consistent after");

	/* a double put inside a bulk: the good objects still go back */
	TEST_ASSERT_SUCCESS(keel_mempool_get_bulk(mp, objs, 3), "get 3");
	objs[3] = objs[1];
	test_log_capture_start();
	keel_mempool_put_bulk(mp, objs, 4);
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "double put") != NULL, "log: %s", log);
	free(log);
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), 64, "3 back, once");

	/* an object of another pool, and NULL */
	TEST_ASSERT_SUCCESS(keel_mempool_get(other, &o2), "get other");
	test_log_capture_start();
	keel_mempool_put(mp, o2);
	keel_mempool_put(mp, NULL);
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "not an object of this pool") != NULL &&
		    strstr(log, "NULL object") != NULL, "log: %s", log);
	free(log);
	keel_mempool_put(other, o2);
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), 64, "not taken in");

	/* a write past the end: caught at put, trailer repaired */
	TEST_ASSERT_SUCCESS(keel_mempool_get(mp, &o), "get");
	memset(o, 0x77, 41);
	test_log_capture_start();
	keel_mempool_put(mp, o);
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "written past its end") != NULL, "log: %s", log);
	free(log);
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), 64, "still put back");
	TEST_ASSERT_SUCCESS(keel_mempool_stats_get(mp, &st), "stats");
	TEST_ASSERT_EQUAL(st.audit_errors, 5, "every problem counted");

	/* a write past a free object is found by keel_mempool_audit() */
	TEST_ASSERT_SUCCESS(keel_mempool_get(mp, &o), "get");
	keel_mempool_put(mp, o);
	((uint8_t *)o)[40] ^= 1;
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_mempool_audit(mp), -EFAULT, "audit finds it");
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "written past its end") != NULL, "log: %s", log);
	free(log);
	TEST_ASSERT_SUCCESS(keel_mempool_audit(mp), "repaired");
	keel_mempool_free(mp);
	keel_mempool_free(other);
	return TEST_SUCCESS;
}

static int
test_mempool_audit(void)
{
	unsigned int i;

	for (i = 0; i < test_mempool_n_ops; i++) {
		printf("  ops %s\n", test_mempool_ops[i]);
		if (audit_one(test_mempool_ops[i], 0) != TEST_SUCCESS ||
		    audit_one(test_mempool_ops[i], 16) != TEST_SUCCESS)
			return TEST_FAILED;
	}
	return TEST_SUCCESS;
}
KEEL_TEST(mempool_audit, "fast", 0, test_mempool_audit)
