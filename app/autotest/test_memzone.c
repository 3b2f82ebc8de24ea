/* SPDX-License-Identifier: BSD-3-Clause */
/* memzones: reserve, lookup, free, alignment, bounds, errors, walk. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "keel_eal.h"
#include "keel_malloc.h"
#include "keel_memzone.h"
#include "test.h"

static void
walk_names(const struct keel_memzone *mz, void *arg)
{
	strcat(arg, mz->name);
	strcat(arg, ",");
}

static int
test_memzone(void)
{
	const struct keel_memzone *a, *b, *c;
	char names[256] = "", *log;
	uint64_t bound;
	int i;

	a = keel_memzone_reserve("mz_a", 1000, KEEL_SOCKET_ID_ANY, 0);
	TEST_ASSERT(a != NULL, "reserve a");
	TEST_ASSERT(strcmp(a->name, "mz_a") == 0 && a->len == 1000, "fields");
	TEST_ASSERT_EQUAL(a->iova, keel_mem_virt2iova(a->addr), "iova");
	TEST_ASSERT_EQUAL((uintptr_t)a->addr % 64, 0, "cache aligned");
	memset(a->addr, 1, 1000);
	TEST_ASSERT(keel_memzone_lookup("mz_a") == a, "lookup");
	errno = 0;
	TEST_ASSERT(keel_memzone_lookup("nope") == NULL && errno == ENOENT,
		    "lookup missing");

	test_log_capture_start();
	errno = 0;
	TEST_ASSERT(keel_memzone_reserve("mz_a", 10, -1, 0) == NULL &&
		    errno == EEXIST, "duplicate");
	errno = 0;
	TEST_ASSERT(keel_memzone_reserve("a_name_that_is_way_too_long_for_it", 10,
					 -1, 0) == NULL && errno == ENAMETOOLONG,
		    "long name");
	errno = 0;
	TEST_ASSERT(keel_memzone_reserve("zero", 0, -1, 0) == NULL &&
		    errno == EINVAL, "len 0");
	errno = 0;
	TEST_ASSERT(keel_memzone_reserve_aligned("al3", 10, -1, 0, 3) == NULL &&
		    errno == EINVAL, "align 3");
	errno = 0;
	TEST_ASSERT(keel_memzone_reserve_bounded("bnd", 4096, -1, 0, 64, 1024) ==
		    NULL && errno == EINVAL, "bound < len");
	errno = 0;
	TEST_ASSERT(keel_memzone_reserve("sock", 10, 77, 0) == NULL &&
		    errno == EINVAL, "bad socket");
	errno = 0;
	TEST_ASSERT(keel_memzone_reserve("flags", 10, -1, 0x80) == NULL &&
		    errno == EINVAL, "bad flags");
	errno = 0;
	TEST_ASSERT(keel_memzone_reserve("enormous", 1ULL << 41, -1, 0) == NULL &&
		    errno == ENOMEM, "too big");
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "'mz_a' already exists") != NULL, "log: %s", log);
	TEST_ASSERT(strstr(log, "socket 77") != NULL, "log names socket: %s", log);
	free(log);

	b = keel_memzone_reserve_aligned("mz_b", 3000, 0, 0, 1 << 16);
	TEST_ASSERT(b != NULL && (uintptr_t)b->addr % (1 << 16) == 0, "aligned 64K");
	TEST_ASSERT_EQUAL(b->socket_id, 0, "socket 0");
	for (i = 0, bound = 4096; i < 50; i++) {
		char name[32];

		snprintf(name, sizeof(name), "bnd%d", i);
		c = keel_memzone_reserve_bounded(name, 3000 + i * 17, -1, 0, 64,
						 bound);
		TEST_ASSERT(c != NULL, "bounded %d", i);
		TEST_ASSERT_EQUAL((uintptr_t)c->addr / bound,
				  ((uintptr_t)c->addr + c->len - 1) / bound,
				  "zone %d does not cross a %" PRIu64 " boundary",
				  i, bound);
	}
	c = keel_memzone_reserve("mz_c", 1 << 20, -1, KEEL_MEMZONE_IOVA_CONTIG);
	TEST_ASSERT(c != NULL, "iova contig (VA mode)");
	TEST_ASSERT_EQUAL(keel_memzone_count(), 53, "count");
	TEST_ASSERT_SUCCESS(keel_memzone_free(b), "free b");
	TEST_ASSERT_EQUAL(keel_memzone_free(b), -EINVAL, "free b twice");
	TEST_ASSERT(keel_memzone_lookup("mz_b") == NULL, "b gone");
	for (i = 0; i < 50; i++) {
		char name[32];

		snprintf(name, sizeof(name), "bnd%d", i);
		TEST_ASSERT_SUCCESS(keel_memzone_free(keel_memzone_lookup(name)),
				    "free %s", name);
	}
	keel_memzone_walk(walk_names, names);
	TEST_ASSERT(strcmp(names, "mz_a,mz_c,") == 0, "walk order: %s", names);
	b = keel_memzone_reserve("mz_b", 10, -1, 0);
	TEST_ASSERT(b != NULL, "name reusable after free");
	TEST_ASSERT_SUCCESS(keel_malloc_validate(), "heap consistent");
	/* the rest is freed by keel_eal_cleanup() */
	return TEST_SUCCESS;
}
KEEL_TEST(memzone, "fast", 0, test_memzone)

/* a bounded zone whose last byte is the last byte before a multiple of the
 * bound does not cross it: it goes where an unbounded zone of that length
 * goes; one byte more crosses, so that zone goes elsewhere */
static int
test_memzone_bound_edge(void)
{
	const uint64_t bound = 4096, align = 64;
	const struct keel_memzone *z, *fill[16];
	unsigned int n_fill = 0, round;
	uint64_t at = 0, len = 0;

	for (round = 0; round < 16 && len == 0; round++) {
		char name[32];

		z = keel_memzone_reserve_aligned("edge_probe", align, -1, 0, align);
		TEST_ASSERT(z != NULL, "probe");
		at = (uintptr_t)z->addr;
		TEST_ASSERT_SUCCESS(keel_memzone_free(z), "free probe");
		if (at % bound == 0) {
			/* step off the boundary and look again */
			snprintf(name, sizeof(name), "edge_fill%u", round);
			fill[n_fill] = keel_memzone_reserve_aligned(name, align,
								    -1, 0, align);
			TEST_ASSERT(fill[n_fill] != NULL, "filler");
			n_fill++;
			continue;
		}
		/* the zone of this length that starts at 'at' ends on the
		 * boundary; an unbounded one must start there too */
		len = bound - at % bound;
		z = keel_memzone_reserve_aligned("edge_probe", len, -1, 0, align);
		TEST_ASSERT(z != NULL, "probe of %" PRIu64, len);
		if ((uintptr_t)z->addr != at)
			len = 0;
		TEST_ASSERT_SUCCESS(keel_memzone_free(z), "free probe");
	}
	TEST_ASSERT(len != 0, "no free spot off a %" PRIu64 " boundary", bound);
	z = keel_memzone_reserve_bounded("edge", len, -1, 0, align, bound);
	TEST_ASSERT(z != NULL, "bounded %" PRIu64, len);
	TEST_ASSERT_EQUAL((uintptr_t)z->addr, at, "zone 0x%" PRIx64 "-0x%" PRIx64
			  " ending on the boundary placed elsewhere", at,
			  at + len - 1);
	TEST_ASSERT_EQUAL(((uintptr_t)z->addr + z->len) % bound, 0, "ends on it");
	TEST_ASSERT_SUCCESS(keel_memzone_free(z), "free");
	z = keel_memzone_reserve_bounded("edge", len + 1, -1, 0, align, bound);
	TEST_ASSERT(z != NULL, "bounded %" PRIu64, len + 1);
	TEST_ASSERT((uintptr_t)z->addr != at, "a zone 1 byte longer would cross");
	TEST_ASSERT_EQUAL((uintptr_t)z->addr / bound,
			  ((uintptr_t)z->addr + z->len - 1) / bound, "crosses");
	TEST_ASSERT_SUCCESS(keel_memzone_free(z), "free");
	while (n_fill > 0)
		TEST_ASSERT_SUCCESS(keel_memzone_free(fill[--n_fill]), "filler");
	TEST_ASSERT_SUCCESS(keel_malloc_validate(), "heap consistent");
	return TEST_SUCCESS;
}
KEEL_TEST(memzone_bound_edge, "fast", 0, test_memzone_bound_edge)
