/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ring API tests (fast suite):
 *   ring_api:        create/lookup/free, exact sizes, init in own memory,
 *                    reset, dump, htd_max, statistics
 *   ring_edges:      full and empty edges in every sync mode
 *   ring_copy_wrap:  every count at every slot offset (and across the
 *                    2^32 position wrap), element sizes 4-20, every mode:
 *                    the element copies split at the end of the ring,
 *                    odd counts, and write nothing past what they return
 *   ring_bad_input:  every bad argument gets NULL/0/negative, errno, one
 *                    log line naming the value, and changes nothing
 */
#include <stdlib.h>
#include <string.h>

#include "keel_memzone.h"
#include "keel_ring.h"
#include "test.h"
#include "test_ring_util.h"

static int
test_ring_api(void)
{
	struct keel_ring *r, *r2, *own;
	void *objs[16], *out[16];
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	ssize_t sz;
	unsigned int i;

	for (i = 0; i < 16; i++)
		objs[i] = (void *)(uintptr_t)(0x1000 + i);

	r = keel_ring_create("api", 16, KEEL_SOCKET_ID_ANY,
			     KEEL_RING_F_SP_ENQ | KEEL_RING_F_SC_DEQ);
	TEST_ASSERT(r != NULL, "create");
	TEST_ASSERT(keel_ring_lookup("api") == r, "lookup");
	TEST_ASSERT(keel_memzone_lookup(KEEL_RING_MZ_PREFIX "api") != NULL,
		    "lives in a memzone");
	TEST_ASSERT_EQUAL(keel_ring_get_size(r), 16, "size");
	TEST_ASSERT_EQUAL(keel_ring_get_capacity(r), 15, "capacity");
	TEST_ASSERT_EQUAL(keel_ring_get_esize(r), sizeof(void *), "esize");
	TEST_ASSERT(keel_ring_is_prod_single(r) && keel_ring_is_cons_single(r),
		    "single");
	TEST_ASSERT_EQUAL(keel_ring_get_prod_sync_type(r), KEEL_RING_SYNC_ST,
			  "prod sync");

	/* exact size: capacity as asked, slots the next power of two */
	r2 = keel_ring_create_elem("exact", 12, 1000, KEEL_SOCKET_ID_ANY,
				   KEEL_RING_F_EXACT_SZ |
				   KEEL_RING_F_MP_RTS_ENQ |
				   KEEL_RING_F_MC_HTS_DEQ);
	TEST_ASSERT(r2 != NULL, "create exact");
	TEST_ASSERT_EQUAL(keel_ring_get_capacity(r2), 1000, "exact capacity");
	TEST_ASSERT_EQUAL(keel_ring_get_size(r2), 1024, "exact size");
	TEST_ASSERT_EQUAL(keel_ring_get_esize(r2), 12, "elem size");
	TEST_ASSERT_EQUAL(keel_ring_get_prod_sync_type(r2),
			  KEEL_RING_SYNC_MT_RTS, "rts");
	TEST_ASSERT_EQUAL(keel_ring_get_cons_sync_type(r2),
			  KEEL_RING_SYNC_MT_HTS, "hts");
	TEST_ASSERT_EQUAL(keel_ring_get_prod_htd_max(r2), 125, "htd default");
	TEST_ASSERT_SUCCESS(keel_ring_set_prod_htd_max(r2, 10), "set htd");
	TEST_ASSERT_EQUAL(keel_ring_get_prod_htd_max(r2), 10, "htd");
	TEST_ASSERT_EQUAL(keel_ring_size_of(1000), 1024, "size_of");
	TEST_ASSERT_EQUAL(keel_ring_size_of(1024), 2048, "size_of pow2");

	/* reset empties */
	TEST_ASSERT_EQUAL(keel_ring_enqueue_bulk(r, objs, 10, NULL), 10, "enq");
	keel_ring_reset(r);
	TEST_ASSERT(keel_ring_empty(r) && keel_ring_count(r) == 0, "reset");
	TEST_ASSERT_EQUAL(keel_ring_enqueue_burst(r, objs, 16, NULL), 15,
			  "burst fills to capacity after reset");
	TEST_ASSERT_EQUAL(keel_ring_dequeue_bulk(r, out, 13, NULL), 13, "deq");
	for (i = 0; i < 13; i++)
		TEST_ASSERT(out[i] == objs[i], "order %u", i);
	/* one pointer into one variable, the common way: this also keeps
	 * the inline copy free of -Wstringop-overflow under -Werror */
	{
		void *one = NULL;

		TEST_ASSERT_SUCCESS(keel_ring_sc_dequeue(r, &one), "single");
		TEST_ASSERT(one == objs[13], "single value");
		TEST_ASSERT_SUCCESS(keel_ring_dequeue(r, &one), "single");
		TEST_ASSERT(one == objs[14], "single value");
		TEST_ASSERT_EQUAL(keel_ring_mc_dequeue(r, &one), -ENOENT,
				  "empty");
	}

	/* dump names the ring and its positions; list_dump shows both */
	f = open_memstream(&buf, &len);
	TEST_ASSERT(f != NULL, "memstream");
	keel_ring_dump(f, r);
	keel_ring_list_dump(f);
	fclose(f);
	TEST_ASSERT(strstr(buf, "ring <api>") != NULL &&
		    strstr(buf, "ring <exact>") != NULL &&
		    strstr(buf, "sync=MT_RTS") != NULL &&
		    strstr(buf, "capacity=1000") != NULL, "dump: %s", buf);
	free(buf);

	/* a ring in memory of our own */
	sz = keel_ring_get_memsize(64);
	TEST_ASSERT(sz >= (ssize_t)(sizeof(struct keel_ring) + 64 * 8),
		    "memsize %zd", sz);
	own = aligned_alloc(KEEL_RING_CACHE_LINE, (size_t)sz);
	TEST_ASSERT(own != NULL, "alloc");
	TEST_ASSERT_SUCCESS(keel_ring_init(own, "own", 64, 0), "init");
	TEST_ASSERT_EQUAL(keel_ring_mp_enqueue_bulk(own, objs, 16, NULL), 16,
			  "enq own");
	TEST_ASSERT_EQUAL(keel_ring_count(own), 16, "count own");
	errno = 0;
	TEST_ASSERT(keel_ring_lookup("own") == NULL && errno == ENOENT,
		    "an init'd ring is not registered");

	/* statistics: counted in debug builds, refused otherwise */
	{
		struct keel_ring_stats st;
		int ret = keel_ring_stats_get(own, &st);

		if (own->stats != NULL) {
			TEST_ASSERT_SUCCESS(ret, "stats");
			TEST_ASSERT(st.enq_ok_calls == 1 && st.enq_ok_objs == 16,
				    "stats counted: %" PRIu64 " %" PRIu64,
				    st.enq_ok_calls, st.enq_ok_objs);
			keel_ring_stats_reset(own);
			TEST_ASSERT(keel_ring_stats_get(own, &st) == 0 &&
				    st.enq_ok_objs == 0, "stats reset");
		} else {
			TEST_ASSERT_EQUAL(ret, -ENOTSUP, "no stats in release");
		}
	}
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_ring_free(own), -EINVAL,
			  "free of an init'd ring");
	free(test_log_capture_stop());
	free(own);

	TEST_ASSERT_SUCCESS(keel_ring_free(r), "free");
	TEST_ASSERT_SUCCESS(keel_ring_free(r2), "free");
	TEST_ASSERT_SUCCESS(keel_ring_free(NULL), "free NULL");
	errno = 0;
	TEST_ASSERT(keel_ring_lookup("api") == NULL && errno == ENOENT,
		    "gone after free");
	TEST_ASSERT(keel_memzone_lookup(KEEL_RING_MZ_PREFIX "api") == NULL,
		    "memzone released");
	/* the name can be taken again */
	r = keel_ring_create("api", 4, KEEL_SOCKET_ID_ANY, 0);
	TEST_ASSERT(r != NULL, "re-create");
	keel_ring_free(r);
	return TEST_SUCCESS;
}
KEEL_TEST(ring_api, "fast", 0, test_ring_api)

/* fill to exactly the capacity and drain to exactly empty, in one mode */
static int
edges_one(unsigned int mode, unsigned int count, unsigned int flags)
{
	struct keel_ring *r = ring_make("edges", 16, count,
					flags | ring_mode_flags(mode, mode), 0);
	unsigned int cap, i, fs, av;
	char obj[16], *all;

	TEST_ASSERT(r != NULL, "create");
	cap = keel_ring_get_capacity(r);
	all = calloc(cap + 1, 16);
	TEST_ASSERT(all != NULL, "calloc");
	for (i = 0; i <= cap; i++)
		ring_elem_fill(all + 16 * i, 16, i);

	/* empty */
	TEST_ASSERT(keel_ring_empty(r) && !keel_ring_full(r), "empty");
	TEST_ASSERT_EQUAL(ring_deq_one(r, (int)mode, obj, 16), -ENOENT,
			  "single dequeue from empty");
	TEST_ASSERT_EQUAL(ring_deq(r, (int)mode, 1, all, 16, 1, &av), 0,
			  "bulk from empty");
	TEST_ASSERT_EQUAL(av, 0, "available 0");
	TEST_ASSERT_EQUAL(ring_deq(r, (int)mode, 0, all, 16, 4, NULL), 0,
			  "burst from empty");

	/* bulk of the capacity + 1 never fits (logs), capacity does */
	test_log_capture_start();
	TEST_ASSERT_EQUAL(ring_enq(r, (int)mode, 1, all, 16, cap + 1, &fs), 0,
			  "bulk cap + 1");
	free(test_log_capture_stop());
	TEST_ASSERT_EQUAL(fs, cap, "free space reported");
	TEST_ASSERT_EQUAL(ring_enq(r, (int)mode, 1, all, 16, cap, &fs), cap,
			  "bulk of exactly the capacity");
	TEST_ASSERT_EQUAL(fs, 0, "no room left");
	TEST_ASSERT(keel_ring_full(r) && keel_ring_free_count(r) == 0, "full");
	TEST_ASSERT_EQUAL(ring_enq_one(r, (int)mode, all, 16), -ENOBUFS,
			  "single into full");
	TEST_ASSERT_EQUAL(ring_enq(r, (int)mode, 0, all, 16, 3, &fs), 0,
			  "burst into full");
	TEST_ASSERT_EQUAL(ring_enq(r, (int)mode, 1, all, 16, 0, NULL), 0,
			  "bulk of 0");

	/* one out, one in: the ring wraps at the full edge */
	TEST_ASSERT_EQUAL(ring_deq(r, (int)mode, 0, obj, 16, 1, &av), 1,
			  "one out");
	TEST_ASSERT_EQUAL(av, cap - 1, "available");
	TEST_ASSERT(ring_elem_check(obj, 16, 0), "first in, first out");
	TEST_ASSERT_EQUAL(ring_enq(r, (int)mode, 0, all + 16 * cap, 16, 5,
				   &fs), 1, "burst takes the one free slot");
	TEST_ASSERT_EQUAL(fs, 0, "full again");

	/* drain with a burst larger than the count */
	TEST_ASSERT_EQUAL(ring_deq(r, (int)mode, 0, all, 16, cap + 7, &av), cap,
			  "drain");
	TEST_ASSERT_EQUAL(av, 0, "nothing left");
	for (i = 0; i < cap; i++)
		TEST_ASSERT(ring_elem_check(all + 16 * i, 16, i + 1),
			    "order at %u", i);
	TEST_ASSERT(keel_ring_empty(r) && keel_ring_count(r) == 0, "empty");
	free(all);
	keel_ring_free(r);
	return TEST_SUCCESS;
}

static int
test_ring_edges(void)
{
	unsigned int mode;

	for (mode = 0; mode < 4; mode++) {
		printf("  %s\n", ring_mode_name((int)mode));
		if (edges_one(mode, 2, 0) != TEST_SUCCESS ||
		    edges_one(mode, 1024, 0) != TEST_SUCCESS ||
		    edges_one(mode, 1, KEEL_RING_F_EXACT_SZ) != TEST_SUCCESS ||
		    edges_one(mode, 100, KEEL_RING_F_EXACT_SZ) != TEST_SUCCESS)
			return TEST_FAILED;
	}
	return TEST_SUCCESS;
}
KEEL_TEST(ring_edges, "fast", 0, test_ring_edges)

#define WRAP_COUNT 16 /* slots; capacity 15 */
#define WRAP_GUARD 0xa5

/* bytes [from, to) of buf all still WRAP_GUARD? */
static int
guard_intact(const unsigned char *buf, size_t from, size_t to)
{
	for (; from < to; from++)
		if (buf[from] != WRAP_GUARD)
			return 0;
	return 1;
}

/*
 * One case: n elements enqueued (bulk) at position pos, peeked at where
 * the mode allows it, then dequeued as a bulk of n / 2 and a burst asking
 * for n (which gets the rest), so that the dequeue copies split at other
 * places than the enqueue's.
 */
static int
copy_wrap_case(struct keel_ring *r, unsigned int esize, unsigned int mode,
	       uint32_t pos, unsigned int n, unsigned char *in,
	       unsigned char *out, size_t tab)
{
	const char *name = ring_mode_name((int)mode);
	uint32_t v0 = pos + n * 1000;
	unsigned int i, k = n / 2;

	ring_set_pos(r, pos);
	for (i = 0; i < n; i++)
		ring_elem_fill(in + (size_t)i * esize, esize, v0 + i);
	TEST_ASSERT_EQUAL(ring_enq(r, (int)mode, 1, in, esize, n, NULL), n,
			  "esize %u %s pos %u: enqueue %u", esize, name, pos,
			  n);
	if (mode == KEEL_RING_SYNC_ST || mode == KEEL_RING_SYNC_MT_HTS) {
		memset(out, WRAP_GUARD, tab);
		TEST_ASSERT_EQUAL(keel_ring_dequeue_bulk_elem_start(r, out,
						esize, n, NULL), n,
				  "esize %u %s pos %u: peek %u", esize, name,
				  pos, n);
		for (i = 0; i < n; i++)
			TEST_ASSERT(ring_elem_check(out + (size_t)i * esize,
						    esize, v0 + i),
				    "esize %u %s pos %u n %u: peeked %u",
				    esize, name, pos, n, i);
		TEST_ASSERT(guard_intact(out, (size_t)n * esize, tab),
			    "esize %u %s pos %u: peek wrote past %u", esize,
			    name, pos, n);
		TEST_ASSERT_SUCCESS(keel_ring_dequeue_elem_finish(r, 0),
				    "finish 0");
	}
	memset(out, WRAP_GUARD, tab);
	TEST_ASSERT_EQUAL(ring_deq(r, (int)mode, 1, out, esize, k, NULL), k,
			  "esize %u %s pos %u: bulk %u", esize, name, pos, k);
	TEST_ASSERT(guard_intact(out, (size_t)k * esize, tab),
		    "esize %u %s pos %u: bulk wrote past %u", esize, name,
		    pos, k);
	TEST_ASSERT_EQUAL(ring_deq(r, (int)mode, 0, out + (size_t)k * esize,
				   esize, n, NULL), n - k,
			  "esize %u %s pos %u: burst of the rest of %u", esize,
			  name, pos, n);
	for (i = 0; i < n; i++)
		TEST_ASSERT(ring_elem_check(out + (size_t)i * esize, esize,
					    v0 + i),
			    "esize %u %s pos %u n %u: element %u", esize, name,
			    pos, n, i);
	TEST_ASSERT(guard_intact(out, (size_t)n * esize, tab),
		    "esize %u %s pos %u: dequeue wrote past %u", esize, name,
		    pos, n);
	TEST_ASSERT(keel_ring_empty(r), "empty");
	return TEST_SUCCESS;
}

/*
 * Every count at every slot offset, near 0 and across the 2^32 position
 * wrap, in a ring allocated to the byte (ASan sees a copy past the last
 * slot).
 */
static int
copy_wrap_one(unsigned int esize, unsigned int mode)
{
	static const uint32_t bases[] = { 0, 0xfffffff0u };
	const size_t tab = (size_t)(WRAP_COUNT + 2) * esize;
	unsigned char *in = malloc(tab), *out = malloc(tab);
	struct keel_ring *r = ring_make("copy_wrap", esize, WRAP_COUNT,
					ring_mode_flags(mode, mode), 1);
	unsigned int b, off, n;
	int ret = TEST_SUCCESS;

	if (in == NULL || out == NULL || r == NULL ||
	    keel_ring_get_capacity(r) != WRAP_COUNT - 1) {
		printf("  cannot set up esize %u %s\n", esize,
		       ring_mode_name((int)mode));
		ret = TEST_FAILED;
	}
	for (b = 0; b < 2 && ret == TEST_SUCCESS; b++)
		for (off = 0; off < WRAP_COUNT && ret == TEST_SUCCESS; off++)
			for (n = 1; n < WRAP_COUNT && ret == TEST_SUCCESS; n++)
				ret = copy_wrap_case(r, esize, mode,
						     bases[b] + off, n, in,
						     out, tab);
	if (r != NULL)
		ring_unmake(r, 1);
	free(in);
	free(out);
	return ret;
}

static int
test_ring_copy_wrap(void)
{
	static const unsigned int esizes[] = { 4, 8, 12, 16, 20 };
	unsigned int e, mode;

	for (e = 0; e < sizeof(esizes) / sizeof(esizes[0]); e++)
		for (mode = 0; mode < 4; mode++)
			if (copy_wrap_one(esizes[e], mode) != TEST_SUCCESS)
				return TEST_FAILED;
	return TEST_SUCCESS;
}
KEEL_TEST(ring_copy_wrap, "fast", 0, test_ring_copy_wrap)

/* a call that must fail: errno, and a log line containing `names` */
#define EXPECT_FAIL(call_ok, err, names, what) do { \
	char *log_; \
	errno = 0; \
	test_log_capture_start(); \
	int ok_ = (call_ok); \
	int errno_ = errno; \
	log_ = test_log_capture_stop(); \
	if (!ok_ || errno_ != (err) || strstr(log_, (names)) == NULL || \
	    strchr(log_, '\n') != strrchr(log_, '\n')) { \
		printf("  %s: ok %d errno %d (want %d), log '%s' (want one " \
		       "line with '%s')\n", what, ok_, errno_, err, log_, \
		       names); \
		free(log_); \
		return TEST_FAILED; \
	} \
	free(log_); \
} while (0)

static int
test_ring_bad_input(void)
{
	unsigned int zones = keel_memzone_count(), n;
	struct keel_ring *r, *rts;
	void *objs[16] = { NULL };
	char *own;

	EXPECT_FAIL(keel_ring_create("np2", 100, -1, 0) == NULL, EINVAL,
		    "count 100", "size not a power of two");
	EXPECT_FAIL(keel_ring_create("one", 1, -1, 0) == NULL, EINVAL,
		    "count 1", "size 1 holds nothing");
	EXPECT_FAIL(keel_ring_create("zero", 0, -1, KEEL_RING_F_EXACT_SZ) ==
		    NULL, EINVAL, "exact count 0", "exact 0");
	EXPECT_FAIL(keel_ring_create("big", 1u << 31, -1, 0) == NULL, EINVAL,
		    "count 2147483648", "count larger than any ring");
	EXPECT_FAIL(keel_ring_create("bigx", 1u << 30, -1,
				     KEEL_RING_F_EXACT_SZ) == NULL, EINVAL,
		    "exact count 1073741824", "exact count larger than any ring");
	EXPECT_FAIL(keel_ring_create("a_ring_name_of_thirty_characters", 8, -1,
				     0) == NULL, ENAMETOOLONG,
		    "a_ring_name_of_thirty_charac", "name too long");
	EXPECT_FAIL(keel_ring_create(NULL, 8, -1, 0) == NULL, EINVAL,
		    "name is NULL", "NULL name");
	EXPECT_FAIL(keel_ring_create_elem("es", 6, 8, -1, 0) == NULL, EINVAL,
		    "element size 6", "esize not a multiple of 4");
	EXPECT_FAIL(keel_ring_create_elem("es0", 0, 8, -1, 0) == NULL, EINVAL,
		    "element size 0", "esize 0");
	EXPECT_FAIL(keel_ring_create("fl", 8, -1, 0x100) == NULL, EINVAL,
		    "unknown flags 0x100", "unknown flag");
	EXPECT_FAIL(keel_ring_create("fl2", 8, -1, KEEL_RING_F_SP_ENQ |
				     KEEL_RING_F_MP_RTS_ENQ) == NULL, EINVAL,
		    "flags 0x9", "two producer modes");
	EXPECT_FAIL(keel_ring_create("sock", 8, 99, 0) == NULL, EINVAL,
		    "socket 99", "bad socket");
	EXPECT_FAIL(keel_ring_get_memsize(24) == -EINVAL, EINVAL, "size 24",
		    "memsize of a non power of two");
	EXPECT_FAIL(keel_ring_get_memsize_elem(3, 8) == -EINVAL, EINVAL,
		    "element size 3", "memsize of esize 3");
	own = aligned_alloc(64, 4096);
	TEST_ASSERT(own != NULL, "alloc");
	EXPECT_FAIL(keel_ring_init((struct keel_ring *)(own + 8), "mis", 8,
				   0) == -EINVAL, EINVAL, "aligned",
		    "misaligned init");
	EXPECT_FAIL(keel_ring_init(NULL, "null", 8, 0) == -EINVAL, EINVAL,
		    "(nil)", "init of NULL");
	free(own);
	TEST_ASSERT_EQUAL(keel_memzone_count(), zones,
			  "no failed create left a memzone");

	r = keel_ring_create("taken", 8, -1, 0);
	TEST_ASSERT(r != NULL, "create");
	zones = keel_memzone_count();
	EXPECT_FAIL(keel_ring_create("taken", 16, -1, 0) == NULL, EEXIST,
		    "'taken' already exists", "name taken");
	TEST_ASSERT_EQUAL(keel_memzone_count(), zones, "nothing created");
	TEST_ASSERT(keel_ring_lookup("taken") == r &&
		    keel_ring_get_size(r) == 8, "the first one unchanged");
	EXPECT_FAIL(keel_ring_lookup(NULL) == NULL, EINVAL, "NULL",
		    "lookup NULL");

	/* fast path: nothing moves, the ring is unchanged */
	TEST_ASSERT_EQUAL(keel_ring_enqueue_bulk(r, objs, 3, NULL), 3, "enq");
	EXPECT_FAIL(keel_ring_enqueue_bulk(r, objs, 8, NULL) == 0, EINVAL,
		    "bulk of 8 objects can never fit (capacity 7)",
		    "bulk larger than the ring");
	EXPECT_FAIL(keel_ring_dequeue_bulk(r, objs, 9, NULL) == 0, EINVAL,
		    "bulk of 9", "dequeue bulk larger than the ring");
	EXPECT_FAIL(keel_ring_enqueue_bulk(NULL, objs, 1, NULL) == 0, EINVAL,
		    "NULL ring", "NULL ring");
	EXPECT_FAIL(keel_ring_dequeue_burst(r, NULL, 2, NULL) == 0, EINVAL,
		    "NULL object table (n 2)", "NULL table");
	EXPECT_FAIL(keel_ring_enqueue_bulk_elem(r, objs, 16, 1, NULL) == 0,
		    EINVAL, "element size 16, the ring's is 8", "wrong esize");
	EXPECT_FAIL(keel_ring_sc_dequeue_elem(r, objs, 4) == -ENOENT, EINVAL,
		    "element size 4", "wrong esize, single");
	EXPECT_FAIL(keel_ring_dequeue_bulk_start(r, objs, 1, NULL) == 0,
		    ENOTSUP, "sync mode", "peek on an MT ring");
	TEST_ASSERT_EQUAL(keel_ring_count(r), 3, "still 3 objects");
	n = 0;
	TEST_ASSERT_EQUAL(keel_ring_enqueue_burst(r, objs, 8, &n), 4,
			  "burst larger than the ring is fine");
	TEST_ASSERT_EQUAL(n, 0, "full");

	/* RTS sides refuse the sp/mp/hts calls */
	rts = keel_ring_create("rts", 8, -1, KEEL_RING_F_MP_RTS_ENQ |
			       KEEL_RING_F_MC_RTS_DEQ);
	TEST_ASSERT(rts != NULL, "create rts");
	EXPECT_FAIL(keel_ring_mp_enqueue_bulk(rts, objs, 1, NULL) == 0,
		    ENOTSUP, "sync mode 0", "mp call on an RTS ring");
	EXPECT_FAIL(keel_ring_sc_dequeue(rts, objs) == -ENOENT, ENOTSUP,
		    "sync mode 1", "sc call on an RTS ring");
	EXPECT_FAIL(keel_ring_mp_hts_enqueue_burst(rts, objs, 1, NULL) == 0,
		    ENOTSUP, "sync mode 3", "hts call on an RTS ring");
	EXPECT_FAIL(keel_ring_set_prod_htd_max(rts, 0) == -EINVAL, EINVAL,
		    "htd_max 0", "htd_max 0");
	EXPECT_FAIL(keel_ring_set_cons_htd_max(r, 2) == -EINVAL, EINVAL,
		    "not MT_RTS", "htd_max on an MT ring");
	TEST_ASSERT(keel_ring_empty(rts), "rts ring untouched");
	TEST_ASSERT_EQUAL(keel_ring_mp_rts_enqueue_burst(rts, objs, 2, NULL), 2,
			  "rts call works");
	keel_ring_free(rts);
	keel_ring_free(r);
	return TEST_SUCCESS;
}
KEEL_TEST(ring_bad_input, "fast", 0, test_ring_bad_input)
