/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The EAL heap: alignment, zeroing, realloc, bad arguments, exhaustion,
 * double free detection, growth and shrink, a randomized stress against
 * byte patterns with the heap validated throughout, and IOVA contiguity.
 */
#include <stdlib.h>
#include <string.h>

#include "keel_eal.h"
#include "keel_malloc.h"
#include "keel_memory.h"
#include "test.h"
#include "test_util.h"

static int
test_malloc_basic(void)
{
	struct keel_malloc_socket_stats st0, st1;
	unsigned int align;
	uint8_t *p, *q;
	char *log;
	size_t i;

	TEST_ASSERT_SUCCESS(keel_malloc_get_socket_stats(0, &st0), "stats");
	for (align = 1; align <= (1u << 21); align <<= 1) {
		p = keel_malloc("align", 100, align);
		TEST_ASSERT(p != NULL, "align %u", align);
		TEST_ASSERT_EQUAL((uintptr_t)p % (align < 64 ? 64 : align), 0,
				  "aligned to %u", align);
		TEST_ASSERT(keel_mem_virt2iova(p) != KEEL_BAD_IOVA, "has iova");
		keel_free(p);
	}
	errno = 0;
	TEST_ASSERT(keel_malloc("zero", 0, 0) == NULL && errno == EINVAL, "size 0");
	errno = 0;
	TEST_ASSERT(keel_malloc("a3", 8, 3) == NULL && errno == EINVAL, "align 3");
	errno = 0;
	TEST_ASSERT(keel_malloc_socket("s", 8, 0, 64) == NULL && errno == EINVAL,
		    "bad socket");
	errno = 0;
	TEST_ASSERT(keel_calloc("ov", SIZE_MAX / 2, 4, 0) == NULL && errno == EINVAL,
		    "calloc overflow");
	errno = 0;
	TEST_ASSERT(keel_malloc("huge", 1ULL << 40, 0) == NULL && errno == ENOMEM,
		    "exhaustion -> ENOMEM");

	p = keel_zmalloc("z", 5000, 0);
	TEST_ASSERT(p != NULL, "zmalloc");
	for (i = 0; i < 5000; i++)
		TEST_ASSERT_EQUAL(p[i], 0, "zeroed at %zu", i);
	TEST_ASSERT(keel_malloc_usable_size(p) >= 5000, "usable size");
	memset(p, 0x5a, 5000);
	q = keel_realloc(p, 100000, 0);
	TEST_ASSERT(q != NULL, "realloc up");
	for (i = 0; i < 5000; i++)
		TEST_ASSERT_EQUAL(q[i], 0x5a, "contents kept at %zu", i);
	p = keel_realloc(q, 10, 0);
	TEST_ASSERT(p == q, "realloc down stays in place");
	errno = 0;
	TEST_ASSERT(keel_realloc(p, 0, 0) == NULL && errno == EINVAL,
		    "realloc to 0");
	keel_free(p);

	/* double free: detected, logged, heap intact */
	test_log_capture_start();
	keel_free(p);
	keel_free((uint8_t *)&st0);
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "double free") != NULL, "logged: %s", log);
	free(log);
	TEST_ASSERT_SUCCESS(keel_malloc_get_socket_stats(0, &st1), "stats");
	TEST_ASSERT_EQUAL(st1.n_bad_free, st0.n_bad_free + 2, "two bad frees");
	TEST_ASSERT_EQUAL(st1.alloc_count, st0.alloc_count, "nothing live");
	TEST_ASSERT_SUCCESS(keel_malloc_validate(), "heap consistent");
	keel_free(NULL);
	return TEST_SUCCESS;
}
KEEL_TEST(malloc_basic, "fast", 0, test_malloc_basic)

/* a double free of a block whose neighbours are both in use: nothing to
 * merge with, so the block stays a free element of its own; the second
 * free must still be refused (not put it on a free list twice, whence two
 * later allocations would share it) */
static int
test_malloc_double_free_between(void)
{
	struct keel_malloc_socket_stats st0, st1;
	uint8_t *blk[16], *a = NULL, *b = NULL, *c = NULL, *x, *y;
	unsigned int i;
	char *log;

	for (i = 0; i < 16; i++) {
		blk[i] = keel_malloc("dfb", 256, 0);
		TEST_ASSERT(blk[i] != NULL, "malloc %u", i);
		memset(blk[i], i, 256);
	}
	/* three blocks carved one after the other: equal steps, no room for
	 * another element between them */
	for (i = 0; i + 2 < 16 && b == NULL; i++)
		if (blk[i + 1] > blk[i] &&
		    blk[i + 1] - blk[i] == blk[i + 2] - blk[i + 1] &&
		    blk[i + 1] - blk[i] < 256 + 128) {
			a = blk[i];
			b = blk[i + 1];
			c = blk[i + 2];
		}
	TEST_ASSERT(b != NULL, "no three adjacent blocks among 16");
	TEST_ASSERT_SUCCESS(keel_malloc_get_socket_stats(0, &st0), "stats");
	keel_free(b);
	test_log_capture_start();
	keel_free(b);
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "double free") != NULL, "not logged: '%s'", log);
	free(log);
	TEST_ASSERT_SUCCESS(keel_malloc_get_socket_stats(0, &st1), "stats");
	TEST_ASSERT_EQUAL(st1.n_bad_free, st0.n_bad_free + 1, "bad frees");
	TEST_ASSERT_EQUAL(st1.alloc_count, st0.alloc_count - 1, "one free counted");
	TEST_ASSERT_EQUAL(st1.heap_freesz_bytes - st0.heap_freesz_bytes,
			  (uint64_t)(b - a), "one block's bytes free");
	TEST_ASSERT_SUCCESS(keel_malloc_validate(), "heap consistent");
	/* two allocations of that size are two blocks */
	x = keel_malloc("dfb", 256, 0);
	y = keel_malloc("dfb", 256, 0);
	TEST_ASSERT(x != NULL && y != NULL && x != y, "x %p y %p", x, y);
	memset(x, 0xee, 256);
	memset(y, 0xdd, 256);
	for (i = 0; i < 256; i++) {
		TEST_ASSERT_EQUAL(x[i], 0xee, "x byte %u", i);
		TEST_ASSERT_EQUAL(a[i], a[0], "left neighbour byte %u", i);
		TEST_ASSERT_EQUAL(c[i], c[0], "right neighbour byte %u", i);
	}
	keel_free(x);
	keel_free(y);
	for (i = 0; i < 16; i++)
		if (blk[i] != b)
			keel_free(blk[i]);
	TEST_ASSERT_SUCCESS(keel_malloc_get_socket_stats(0, &st1), "stats");
	TEST_ASSERT_EQUAL(st1.n_bad_free, st0.n_bad_free + 1, "no other bad free");
	TEST_ASSERT_SUCCESS(keel_malloc_validate(), "heap consistent");
	return TEST_SUCCESS;
}
KEEL_TEST(malloc_double_free_between, "fast", 0, test_malloc_double_free_between)

static int
test_malloc_grow_shrink(void)
{
	struct keel_malloc_socket_stats st0, st1;
	struct keel_mem_stats ms;
	uint64_t sz;
	void *p[4];
	int i;

	/* each allocation is larger than what -m preallocated: must grow */
	TEST_ASSERT_SUCCESS(keel_mem_stats_get(&ms), "mem stats");
	sz = ms.preallocated + (16 << 20);
	TEST_ASSERT_SUCCESS(keel_malloc_get_socket_stats(0, &st0), "stats");
	for (i = 0; i < 4; i++) {
		p[i] = keel_malloc("grow", sz, 0);
		TEST_ASSERT(p[i] != NULL, "%" PRIu64 " bytes #%d", sz, i);
	}
	TEST_ASSERT_SUCCESS(keel_malloc_get_socket_stats(0, &st1), "stats");
	TEST_ASSERT(st1.n_grow >= st0.n_grow + 4, "heap grew");
	TEST_ASSERT(st1.heap_totalsz_bytes >= st0.heap_totalsz_bytes + 4 * sz,
		    "heap holds the new pages");
	for (i = 0; i < 4; i++)
		keel_free(p[i]);
	TEST_ASSERT_SUCCESS(keel_malloc_get_socket_stats(0, &st1), "stats");
	TEST_ASSERT(st1.n_shrink >= st0.n_shrink + 4, "pages given back");
	TEST_ASSERT_EQUAL(st1.heap_totalsz_bytes, st0.heap_totalsz_bytes,
			  "heap back to its size");
	TEST_ASSERT_SUCCESS(keel_malloc_validate(), "heap consistent");
	return TEST_SUCCESS;
}
KEEL_TEST(malloc_grow_shrink, "fast", 0, test_malloc_grow_shrink)

#define N_SLOTS 512

static int
test_malloc_random(void)
{
	static uint8_t *slot[N_SLOTS];
	static size_t len[N_SLOTS];
	uint64_t rs = keel_test_seed();
	struct keel_malloc_socket_stats st;
	int i, it;

	memset(slot, 0, sizeof(slot));
	for (it = 0; it < 100000; it++) {
		i = (int)(test_rand(&rs) % N_SLOTS);
		if (slot[i] != NULL) {
			size_t k;

			for (k = 0; k < len[i]; k += 61)
				TEST_ASSERT_EQUAL(slot[i][k], (uint8_t)(i ^ k),
						  "slot %d byte %zu (seed %" PRIu64 ")",
						  i, k, keel_test_seed());
			keel_free(slot[i]);
			slot[i] = NULL;
		} else {
			unsigned int align = 1u << (test_rand(&rs) % 13);
			size_t k;

			len[i] = 1 + test_rand(&rs) % ((test_rand(&rs) & 7) ?
						      4096 : (1 << 20));
			slot[i] = keel_malloc("rnd", len[i], align);
			TEST_ASSERT(slot[i] != NULL, "alloc %zu", len[i]);
			TEST_ASSERT_EQUAL((uintptr_t)slot[i] % (align < 64 ? 64 : align),
					  0, "alignment");
			for (k = 0; k < len[i]; k += 61)
				slot[i][k] = (uint8_t)(i ^ k);
		}
		if (it % 10000 == 0)
			TEST_ASSERT_SUCCESS(keel_malloc_validate(),
					    "valid at %d (seed %" PRIu64 ")", it,
					    keel_test_seed());
	}
	for (i = 0; i < N_SLOTS; i++)
		keel_free(slot[i]);
	TEST_ASSERT_SUCCESS(keel_malloc_validate(), "valid at end");
	TEST_ASSERT_SUCCESS(keel_malloc_get_socket_stats(0, &st), "stats");
	TEST_ASSERT_EQUAL(st.alloc_count, 0, "nothing live");
	TEST_ASSERT_EQUAL(st.heap_allocsz_bytes, 0, "no bytes allocated");
	return TEST_SUCCESS;
}
KEEL_TEST(malloc_random, "fast", TEST_RANDOM, test_malloc_random)

struct mt_arg {
	int fails;
	uint64_t seed;
};

static int
mt_worker(void *p)
{
	struct mt_arg *a = p;
	uint8_t *mine[64] = { 0 };
	uint64_t rs = a->seed;
	int it, i;

	for (it = 0; it < 20000; it++) {
		i = (int)(test_rand(&rs) % 64);
		if (mine[i]) {
			if (mine[i][0] != (uint8_t)i)
				a->fails++;
			keel_free(mine[i]);
			mine[i] = NULL;
		} else {
			mine[i] = keel_malloc("mt", 1 + test_rand(&rs) % 8192, 0);
			if (mine[i] == NULL)
				a->fails++;
			else
				mine[i][0] = (uint8_t)i;
		}
	}
	for (i = 0; i < 64; i++)
		keel_free(mine[i]);
	return 0;
}

static int
test_malloc_threads(void)
{
	struct mt_arg args[KEEL_MAX_LCORE] = { 0 };
	unsigned int id;

	KEEL_LCORE_FOREACH_WORKER(id) {
		args[id].seed = keel_test_seed() + id;
		keel_eal_remote_launch(mt_worker, &args[id], id);
	}
	id = keel_lcore_id();
	args[id].seed = keel_test_seed();
	mt_worker(&args[id]);
	keel_eal_mp_wait();
	KEEL_LCORE_FOREACH(id)
		TEST_ASSERT_EQUAL(args[id].fails, 0, "lcore %u", id);
	TEST_ASSERT_SUCCESS(keel_malloc_validate(), "heap consistent");
	return TEST_SUCCESS;
}
KEEL_TEST(malloc_threads, "fast", TEST_RANDOM, test_malloc_threads)

/* 0 if [p, p + len) has contiguous IOVAs, else the offset of the break */
static size_t
iova_break_at(const uint8_t *p, size_t len)
{
	uint64_t iova0 = keel_mem_virt2iova(p);
	size_t off;

	for (off = 4096 - ((uintptr_t)p & 4095); off < len; off += 4096)
		if (keel_mem_virt2iova(p + off) != iova0 + off)
			return off;
	return 0;
}

/*
 * Every heap allocation is IOVA-contiguous, so a device may take its whole
 * length from its first IOVA. In PA mode with 4 KiB pages the physical
 * pages are scattered: allocations that fit in a page always succeed, and
 * larger ones either are contiguous or fail with ENOMEM and a log line,
 * leaving the heap as it was (no pages kept).
 */
static int
test_malloc_iova_contig(void)
{
	static const size_t sizes[] = {
		64, 1000, 3000, 4032, 4096, 8192, 65536, 1 << 20,
	};
	struct keel_malloc_socket_stats st0, st1;
	void *live[64];
	unsigned int n_live = 0, i, k, refused = 0;
	char *log;
	int ret;

	test_log_capture_start();
	ret = test_eal_init_str("--no-huge -m 4 --iova-mode pa");
	log = test_log_capture_stop();
	TEST_ASSERT(ret >= 0, "init pa: %d", ret);
	TEST_ASSERT(strstr(log, "WARNING: --iova-mode pa with 4 kB pages") != NULL,
		    "the combination is warned about: %s", log);
	free(log);
	TEST_ASSERT_SUCCESS(keel_malloc_get_socket_stats(0, &st0), "stats");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (k = 0; k < 6; k++) {
			uint8_t *p;
			size_t brk;

			errno = 0;
			test_log_capture_start();
			p = keel_malloc("contig", sizes[i], k % 2 ? 64 : 4096);
			log = test_log_capture_stop();
			if (p == NULL) {
				TEST_ASSERT(sizes[i] > 4096, "%zu bytes refused",
					    sizes[i]);
				TEST_ASSERT(errno == ENOMEM &&
					    strstr(log, "IOVA-contiguous") != NULL,
					    "%zu: errno %d, log: %s", sizes[i],
					    errno, log);
				free(log);
				refused++;
				continue;
			}
			free(log);
			brk = iova_break_at(p, sizes[i]);
			TEST_ASSERT(brk == 0, "%zu bytes at %p: IOVA break at "
				    "offset %zu", sizes[i], (void *)p, brk);
			memset(p, 0xa5, sizes[i]);
			if (n_live < sizeof(live) / sizeof(live[0]))
				live[n_live++] = p;
			else
				keel_free(p);
		}
	}
	printf("  %u allocations above 4 KiB refused as not contiguous\n",
	       refused);
	TEST_ASSERT_SUCCESS(keel_malloc_validate(), "heap consistent");
	while (n_live > 0)
		keel_free(live[--n_live]);
	TEST_ASSERT_SUCCESS(keel_malloc_get_socket_stats(0, &st1), "stats");
	TEST_ASSERT_EQUAL(st1.heap_totalsz_bytes, st0.heap_totalsz_bytes,
			  "refused growths gave their pages back");
	keel_eal_cleanup();

	/* in VA mode a large allocation is one contiguous run */
	TEST_ASSERT(test_eal_init_str("--no-huge -m 4") >= 0, "init va");
	{
		uint8_t *p = keel_malloc("contig", 8 << 20, 0);

		TEST_ASSERT(p != NULL, "8 MiB in VA mode");
		TEST_ASSERT_EQUAL(iova_break_at(p, 8 << 20), 0, "contiguous");
		keel_free(p);
	}
	keel_eal_cleanup();
	return TEST_SUCCESS;
}
KEEL_TEST(malloc_iova_contig, "fast", TEST_NO_EAL | TEST_NEED_ROOT,
	  test_malloc_iova_contig)
