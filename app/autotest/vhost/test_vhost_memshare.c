/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel_memseg_list_walk(): what net_virtio_user hands a vhost-user
 * back-end. Every allocation lies in a listed window, and the window's
 * file, mapped again as another process would map it, shows the same
 * bytes at the same offset.
 */
#include <string.h>
#include <sys/mman.h>

#include "keel_malloc.h"
#include "keel_memory.h"
#include "test.h"

struct find {
	const uint8_t *va;
	struct keel_memseg_list_info hit;
	int n;
};

static int
find_list(const struct keel_memseg_list_info *l, void *arg)
{
	struct find *f = arg;

	f->n++;
	if (f->va >= (const uint8_t *)l->base &&
	    f->va < (const uint8_t *)l->base + l->len)
		f->hit = *l;
	return 0;
}

static int
test_memseg_list_walk(void)
{
	struct find f;
	uint8_t *p = keel_malloc("vt_share", 3 * 4096, 4096), *q;
	uint64_t off;
	int i;

	TEST_ASSERT(p != NULL, "memory");
	memset(&f, 0, sizeof(f));
	f.va = p;
	TEST_ASSERT_SUCCESS(keel_memseg_list_walk(find_list, &f), "walk");
	TEST_ASSERT(f.n >= 1, "at least one list");
	TEST_ASSERT(f.hit.base != NULL, "the allocation is in a listed window");
	TEST_ASSERT(f.hit.fd >= 0 && f.hit.page_sz >= 4096, "fd and page size");
	/* map the window's file as a back-end would; same bytes */
	off = (uint64_t)(p - (uint8_t *)f.hit.base);
	q = mmap(NULL, 3 * 4096, PROT_READ, MAP_SHARED, f.hit.fd,
		 (off_t)(off & ~(f.hit.page_sz - 1)));
	TEST_ASSERT(q != MAP_FAILED, "map the list's file");
	for (i = 0; i < 3 * 4096; i++)
		p[i] = (uint8_t)(i * 3);
	for (i = 0; i < 3 * 4096 - (int)(off & (f.hit.page_sz - 1)); i += 97)
		TEST_ASSERT_EQUAL(q[(off & (f.hit.page_sz - 1)) + i],
				  (uint8_t)(i * 3), "byte %d", i);
	munmap(q, 3 * 4096);
	keel_free(p);
	TEST_ASSERT_EQUAL(keel_memseg_list_walk(NULL, NULL), -EINVAL, "NULL");
	return TEST_SUCCESS;
}
KEEL_TEST(eal_memseg_list_walk, "fast", 0, test_memseg_list_walk)
