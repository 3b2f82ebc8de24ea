/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL memory: IOVA per page in VA and PA mode, memory events on grow and
 * shrink with the right ranges, refusal by a callback, replay on
 * registration, and real hugepages (reserved by the test when root).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "eal_internal.h"
#include "keel_eal.h"
#include "keel_iommu.h"
#include "keel_malloc.h"
#include "keel_memory.h"
#include "test.h"
#include "test_util.h"

#define MAX_EV 64

struct ev_log {
	int n;
	struct {
		enum keel_mem_event ev;
		void *va;
		uint64_t iova;
		uint64_t len;
	} e[MAX_EV];
	int refuse_alloc;
	uint64_t live; /* bytes announced and not yet freed */
};

static int
record(enum keel_mem_event ev, void *va, uint64_t iova, uint64_t len, void *arg)
{
	struct ev_log *l = arg;

	if (ev == KEEL_MEM_EVENT_ALLOC && l->refuse_alloc)
		return -ENOSPC;
	if (l->n < MAX_EV) {
		l->e[l->n].ev = ev;
		l->e[l->n].va = va;
		l->e[l->n].iova = iova;
		l->e[l->n].len = len;
		l->n++;
	}
	if (ev == KEEL_MEM_EVENT_ALLOC)
		l->live += len;
	else
		l->live -= len;
	return 0;
}

static int
count_seg(const struct keel_memseg *ms, void *arg)
{
	*(uint64_t *)arg += ms->len;
	return 0;
}

static int
test_memory_events(void)
{
	struct ev_log a = { 0 }, b = { 0 };
	struct keel_mem_stats st0, st1;
	uint64_t walked = 0;
	uint8_t *p;
	int i;

	TEST_ASSERT_SUCCESS(keel_mem_stats_get(&st0), "stats");
	/* replay of what exists (-m) on registration */
	TEST_ASSERT_SUCCESS(keel_mem_event_callback_register_walk("a", record, &a),
			    "register a");
	TEST_ASSERT_EQUAL(a.live, st0.allocated, "replay covers all memory");
	TEST_ASSERT_EQUAL(keel_mem_event_callback_register_walk("a", record, &a),
			  -EEXIST, "same name and arg twice");
	TEST_ASSERT_SUCCESS(keel_mem_event_callback_register("b", record, &b),
			    "register b");
	a.n = 0;

	/* grow: 16 MiB cannot come from the 8 MiB preallocated */
	p = keel_malloc("big", 16 << 20, 0);
	TEST_ASSERT(p != NULL, "malloc 16 MiB");
	TEST_ASSERT(a.n >= 1 && b.n == a.n, "ALLOC events: a %d b %d", a.n, b.n);
	for (i = 0; i < a.n; i++) {
		TEST_ASSERT_EQUAL(a.e[i].ev, KEEL_MEM_EVENT_ALLOC, "alloc");
		TEST_ASSERT_EQUAL(a.e[i].iova, keel_mem_virt2iova(a.e[i].va),
				  "event iova == page iova");
	}
	TEST_ASSERT((uint8_t *)a.e[0].va <= p &&
		    p + (16 << 20) <= (uint8_t *)a.e[0].va + a.e[0].len,
		    "the event covers the allocation");
	TEST_ASSERT_EQUAL(keel_mem_virt2iova(p + 12345),
			  (uint64_t)(uintptr_t)(p + 12345), "VA mode: iova == va");
	memset(p, 0xa5, 16 << 20);
	keel_memseg_walk(count_seg, &walked);
	TEST_ASSERT_SUCCESS(keel_mem_stats_get(&st1), "stats");
	TEST_ASSERT_EQUAL(walked, st1.allocated, "walk sees every page");
	TEST_ASSERT_EQUAL(st1.allocated, st0.allocated + a.e[0].len, "grew");

	/* shrink: the FREE event names the same range */
	keel_free(p);
	TEST_ASSERT_EQUAL(a.e[a.n - 1].ev, KEEL_MEM_EVENT_FREE, "free event");
	TEST_ASSERT(a.e[a.n - 1].va == a.e[0].va &&
		    a.e[a.n - 1].len == a.e[0].len, "same range freed");
	TEST_ASSERT_EQUAL(keel_mem_virt2iova(p), KEEL_BAD_IOVA, "gone");
	TEST_ASSERT_SUCCESS(keel_mem_stats_get(&st1), "stats");
	TEST_ASSERT_EQUAL(st1.allocated, st0.allocated, "shrank back");

	/* a refusing callback: allocation fails, a gets ALLOC then FREE */
	b.refuse_alloc = 1;
	a.n = 0;
	p = keel_malloc("refused", 16 << 20, 0);
	TEST_ASSERT(p == NULL, "refused allocation");
	TEST_ASSERT(a.n == 2 && a.e[0].ev == KEEL_MEM_EVENT_ALLOC &&
		    a.e[1].ev == KEEL_MEM_EVENT_FREE && a.e[1].va == a.e[0].va,
		    "first callback rolled back (%d events)", a.n);
	TEST_ASSERT_SUCCESS(keel_mem_stats_get(&st1), "stats");
	TEST_ASSERT_EQUAL(st1.allocated, st0.allocated, "nothing kept");
	b.refuse_alloc = 0;

	/* unregister with replay of FREE: everything announced goes */
	TEST_ASSERT_SUCCESS(keel_mem_event_callback_unregister("a", &a, 1), "unreg");
	TEST_ASSERT_EQUAL(a.live, 0, "a saw FREE for all it was told of");
	TEST_ASSERT_EQUAL(keel_mem_event_callback_unregister("a", &a, 0), -ENOENT,
			  "twice");
	TEST_ASSERT_SUCCESS(keel_mem_event_callback_unregister("b", &b, 0), "b");

	/* refusal on registration replay: not registered */
	a.refuse_alloc = 1;
	TEST_ASSERT_EQUAL(keel_mem_event_callback_register_walk("a", record, &a),
			  -ENOSPC, "replay refused");
	TEST_ASSERT_EQUAL(keel_mem_event_callback_unregister("a", &a, 0), -ENOENT,
			  "not registered");
	TEST_ASSERT_EQUAL(keel_mem_virt2iova((void *)&a), KEEL_BAD_IOVA,
			  "a stack address is not EAL memory");
	return TEST_SUCCESS;
}

static int
test_memory_events_run(void)
{
	int ret;

	TEST_ASSERT(test_eal_init_str("--no-huge -m 8") >= 0, "init");
	ret = test_memory_events();
	keel_eal_cleanup();
	return ret;
}
KEEL_TEST(memory_events, "fast", TEST_NO_EAL, test_memory_events_run)

static uint64_t
pagemap_pa(const void *va)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t e = 0;

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (off_t)((uintptr_t)va / 4096 * 8)) != 8)
		e = 0;
	close(fd);
	return (e & ((1ULL << 55) - 1)) * 4096 + ((uintptr_t)va & 4095);
}

/* every page's IOVA is its physical address (the first 16 pages) */
static int
check_pa(const struct keel_memseg *ms, void *arg)
{
	int *n = arg;
	const uint8_t *va = (const uint8_t *)ms->addr + 7;
	uint64_t iova = keel_mem_virt2iova(va);

	if (iova == KEEL_BAD_IOVA || iova == (uintptr_t)va ||
	    iova != ms->iova + 7 || iova != pagemap_pa(va)) {
		printf("  page %p: iova 0x%" PRIx64 ", memseg 0x%" PRIx64
		       ", pagemap 0x%" PRIx64 "\n", ms->addr, iova, ms->iova,
		       pagemap_pa(va));
		return -1;
	}
	return ++*n == 16;
}

static int
test_memory_iova_pa(void)
{
	int ret, n = 0;

	ret = test_eal_init_str("--no-huge -m 4 --iova-mode pa");
	TEST_ASSERT(ret >= 0, "init pa: %d", ret);
	TEST_ASSERT_EQUAL(keel_eal_iova_mode(), KEEL_IOVA_PA, "pa mode");
	ret = keel_memseg_walk(check_pa, &n);
	keel_eal_cleanup();
	TEST_ASSERT(ret == 1 && n == 16, "16 pages with their PA as IOVA "
		    "(walk %d, %d pages)", ret, n);
	return TEST_SUCCESS;
}
KEEL_TEST(memory_iova_pa, "fast", TEST_NO_EAL | TEST_NEED_ROOT, test_memory_iova_pa)

static int
test_memory_iova_pa_unprivileged(void)
{
	char *log;
	int ret;

	if (geteuid() == 0)
		return keel_test_skip("checks the non-root refusal");
	test_log_capture_start();
	ret = test_eal_init_str("--no-huge --iova-mode pa");
	log = test_log_capture_stop();
	TEST_ASSERT_EQUAL(ret, -EPERM, "pa needs root");
	TEST_ASSERT(strstr(log, "pagemap") != NULL, "clear message: %s", log);
	free(log);
	return TEST_SUCCESS;
}
KEEL_TEST(memory_iova_pa_nonroot, "fast", TEST_NO_EAL, test_memory_iova_pa_unprivileged)


static int
hugepage_body(void)
{
	struct keel_mem_stats st;
	struct keel_memseg ms;
	uint8_t *p;

	TEST_ASSERT_SUCCESS(keel_mem_stats_get(&st), "stats");
	TEST_ASSERT_EQUAL(st.page_sz, 2 << 20, "2 MiB pages");
	TEST_ASSERT_EQUAL(st.preallocated, 4 << 20, "-m 4");
	p = keel_malloc("huge", 3 << 20, 0);
	TEST_ASSERT(p != NULL, "grow by hugepages");
	memset(p, 1, 3 << 20);
	TEST_ASSERT_SUCCESS(keel_mem_virt2memseg(p, &ms), "memseg");
	TEST_ASSERT_EQUAL(ms.hugepage_sz, 2 << 20, "page size");
	TEST_ASSERT_EQUAL(((uintptr_t)ms.addr) & ((2 << 20) - 1), 0, "aligned");
	keel_free(p);
	return TEST_SUCCESS;
}

static int
test_memory_hugepages(void)
{
	long free_before;
	int ret;

	if (test_hugepages_nr() < 0)
		return keel_test_skip("no 2 MiB hugepage support");
	/* under the lock: no parallel test reserves or takes pages meanwhile */
	if (test_hugepages_lock() != 0)
		return TEST_FAILED;
	free_before = test_hugepages_free();
	if (test_hugepages_reserve(8) != 0)
		return keel_test_skip("cannot reserve 8 hugepages");
	ret = test_eal_init_str("-m 4 --in-memory");
	if (ret >= 0) {
		ret = hugepage_body();
		keel_eal_cleanup();
	} else {
		printf("  init with hugepages failed: %d\n", ret);
		ret = TEST_FAILED;
	}
	if (test_hugepages_free() != free_before + 8) {
		printf("  free hugepages %ld after cleanup, want %ld\n",
		       test_hugepages_free(), free_before + 8);
		ret = TEST_FAILED;
	}
	test_hugepages_release(8);
	return ret;
}
KEEL_TEST(memory_hugepages, "fast", TEST_NO_EAL | TEST_NEED_ROOT, test_memory_hugepages)

static int
test_memory_no_hugepages(void)
{
	char *log;
	int ret;

	/* under the lock: no parallel test reserves pages meanwhile */
	if (test_hugepages_lock() != 0)
		return TEST_FAILED;
	if (test_hugepages_free() != 0 || test_hugepages_nr() < 0) {
		test_hugepages_unlock();
		return keel_test_skip("free hugepages exist; cannot test their absence");
	}
	test_log_capture_start();
	ret = test_eal_init_str("-m 4");
	log = test_log_capture_stop();
	test_hugepages_unlock();
	if (ret >= 0) {
		keel_eal_cleanup();
		free(log);
		return keel_test_skip("hugepages appeared meanwhile");
	}
	TEST_ASSERT_EQUAL(ret, -ENOMEM, "no hugepages -> ENOMEM");
	TEST_ASSERT(strstr(log, "--no-huge") != NULL, "says what to do: %s", log);
	free(log);
	return TEST_SUCCESS;
}
KEEL_TEST(memory_no_hugepages, "fast", TEST_NO_EAL, test_memory_no_hugepages)

/* --iova-mode alloc with -m: pages preallocated once the IOMMU exists */
static int
test_memory_iova_alloc(void)
{
	struct keel_mem_stats st;
	uint8_t *p;
	uint64_t iova;
	int ret;

	ret = test_eal_init_str("--no-huge -m 8 --iova-mode alloc --iommu emulated");
	TEST_ASSERT(ret >= 0, "init alloc: %d", ret);
	TEST_ASSERT_EQUAL(keel_eal_iova_mode(), KEEL_IOVA_ALLOC, "alloc mode");
	TEST_ASSERT_SUCCESS(keel_mem_stats_get(&st), "stats");
	TEST_ASSERT_EQUAL(st.preallocated, 8 << 20, "-m 8 honoured");
	p = keel_malloc("alloc", 1 << 20, 4096);
	TEST_ASSERT(p != NULL, "malloc");
	iova = keel_mem_virt2iova(p);
	TEST_ASSERT(iova != KEEL_BAD_IOVA && iova != (uintptr_t)p,
		    "allocated iova 0x%" PRIx64 " for va %p", iova, (void *)p);
	TEST_ASSERT_EQUAL(keel_mem_virt2iova(p + 4096 + 5), iova + 4096 + 5,
			  "contiguous within the run");
	keel_free(p);
	TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup");
	return TEST_SUCCESS;
}
KEEL_TEST(memory_iova_alloc, "fast", TEST_NO_EAL, test_memory_iova_alloc)

/*
 * Runs never cross allocation units: adjacent units are replayed as
 * separate runs, and each FREE names exactly one ALLOC's run, so an IOMMU
 * that cannot split can map every run in one call.
 */
static int
test_memory_event_units(void)
{
	struct ev_log a = { 0 }, c = { 0 };
	void *p1, *p2;
	int i, j;

	TEST_ASSERT(test_eal_init_str("--no-huge -m 8") >= 0, "init");
	TEST_ASSERT_SUCCESS(keel_mem_event_callback_register_walk("a", record, &a),
			    "register a");
	p1 = keel_malloc("u1", 16 << 20, 0);
	p2 = keel_malloc("u2", 16 << 20, 0);
	TEST_ASSERT(p1 != NULL && p2 != NULL, "two grows");
	TEST_ASSERT_EQUAL(a.n, 3, "prealloc replay + two ALLOCs");
	TEST_ASSERT((uint8_t *)a.e[1].va + a.e[1].len == (uint8_t *)a.e[2].va,
		    "the second unit follows the first (first fit)");
	TEST_ASSERT_SUCCESS(keel_mem_event_callback_register_walk("c", record, &c),
			    "register c");
	TEST_ASSERT_EQUAL(c.n, 3, "replay: one run per unit, even when adjacent");
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 3; j++)
			if (c.e[i].va == a.e[j].va && c.e[i].len == a.e[j].len)
				break;
		TEST_ASSERT(j < 3, "replayed run %d is one the ALLOCs named", i);
	}
	keel_free(p1);
	TEST_ASSERT_EQUAL(a.e[3].ev, KEEL_MEM_EVENT_FREE, "free");
	TEST_ASSERT(a.e[3].va == a.e[1].va && a.e[3].len == a.e[1].len,
		    "FREE names the ALLOC's run");
	keel_free(p2);
	TEST_ASSERT_SUCCESS(keel_mem_event_callback_unregister("a", &a, 0), "a");
	TEST_ASSERT_SUCCESS(keel_mem_event_callback_unregister("c", &c, 0), "c");
	TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup");
	return TEST_SUCCESS;
}
KEEL_TEST(memory_event_units, "fast", TEST_NO_EAL, test_memory_event_units)

/* pages are freed in the units they were allocated in, never two at once */
static int
test_memory_free_units(void)
{
	uint64_t pg = eal_mem_page_size();
	uint8_t *a, *b;
	char *log;

	a = eal_mem_alloc_pages(0, 2 * pg);
	b = eal_mem_alloc_pages(0, 2 * pg);
	TEST_ASSERT(a != NULL && b != NULL, "two units");
	TEST_ASSERT(b == a + 2 * pg, "adjacent (first fit)");
	test_log_capture_start();
	TEST_ASSERT_EQUAL(eal_mem_free_pages(a, 4 * pg), -EINVAL,
			  "one free over two units");
	TEST_ASSERT_EQUAL(eal_mem_free_pages(a + pg, pg), -EINVAL,
			  "half a unit");
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "not an allocated run") != NULL, "log: %s", log);
	free(log);
	TEST_ASSERT(keel_mem_virt2iova(b) != KEEL_BAD_IOVA &&
		    keel_mem_virt2iova(a) != KEEL_BAD_IOVA, "both still there");
	TEST_ASSERT_SUCCESS(eal_mem_free_pages(a, 2 * pg), "a");
	TEST_ASSERT_SUCCESS(eal_mem_free_pages(b, 2 * pg), "b");
	return TEST_SUCCESS;
}
KEEL_TEST(memory_free_units, "fast", 0, test_memory_free_units)

/* NULL and oversized arguments are refused, nothing registered */
static int
test_memory_bad_args(void)
{
	char name[128];

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	TEST_ASSERT_EQUAL(keel_mem_event_callback_register(NULL, record, NULL),
			  -EINVAL, "NULL name");
	TEST_ASSERT_EQUAL(keel_mem_event_callback_register("x", NULL, NULL),
			  -EINVAL, "NULL callback");
	TEST_ASSERT_EQUAL(keel_mem_event_callback_register(name, record, NULL),
			  -EINVAL, "name too long");
	TEST_ASSERT_EQUAL(keel_mem_event_callback_unregister(NULL, NULL, 0),
			  -EINVAL, "unregister NULL");
	TEST_ASSERT_EQUAL(keel_mem_event_callback_unregister("x", NULL, 0),
			  -ENOENT, "x was never registered");
	TEST_ASSERT_EQUAL(keel_memseg_walk(NULL, NULL), -EINVAL, "walk NULL");
	TEST_ASSERT_EQUAL(keel_memseg_contig_walk(NULL, NULL), -EINVAL,
			  "contig walk NULL");
	TEST_ASSERT_EQUAL(keel_mem_stats_get(NULL), -EINVAL, "stats NULL");
	TEST_ASSERT_EQUAL(keel_mem_virt2memseg(NULL, NULL), -EINVAL,
			  "virt2memseg NULL");
	TEST_ASSERT_EQUAL(eal_mem_free_pages(NULL, 4096), -EINVAL,
			  "free of nothing");
	errno = 0;
	TEST_ASSERT(eal_mem_alloc_pages(0, 1) == NULL && errno == EINVAL,
		    "length not a page multiple");
	return TEST_SUCCESS;
}
KEEL_TEST(memory_bad_args, "fast", 0, test_memory_bad_args)

/*
 * The story of the two lookups (EAL guide, "Memory a device can reach"):
 * keel_mem_virt2iova() answers for EAL memory only; keel_iommu_va2iova()
 * for whatever the container maps, EAL memory included, with the same
 * IOVA in the default container. Registering your own memory takes whole
 * pages: a malloc() buffer is refused with EDOM.
 */
static int
test_memory_iova_lookups(void)
{
	struct keel_iommu_container *c;
	uint64_t iova, len = 4 * 4096;
	uint8_t *eal, *own, *heap;
	char *log;
	int ret;

	TEST_ASSERT(test_eal_init_str("--no-huge -m 8 --iommu emulated") >= 0,
		    "init");
	c = keel_iommu_container_default();
	TEST_ASSERT(c != NULL, "default container");
	eal = keel_malloc("story", 10000, 0);
	TEST_ASSERT(eal != NULL, "keel_malloc");
	TEST_ASSERT(keel_mem_virt2iova(eal + 9999) != KEEL_BAD_IOVA, "EAL");
	TEST_ASSERT_EQUAL(keel_iommu_va2iova(c, (uintptr_t)eal + 9999),
			  keel_mem_virt2iova(eal + 9999),
			  "both lookups agree on EAL memory");

	own = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	TEST_ASSERT(own != MAP_FAILED, "mmap");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_register(c, (uintptr_t)own, len, 0,
						    &iova), "register");
	errno = 0;
	TEST_ASSERT(keel_mem_virt2iova(own + 5) == KEEL_BAD_IOVA &&
		    errno == EINVAL, "virt2iova: not EAL memory");
	TEST_ASSERT_EQUAL(keel_iommu_va2iova(c, (uintptr_t)own + 5), iova + 5,
			  "va2iova: the registered IOVA");

	heap = malloc(3 * 4096);
	TEST_ASSERT(heap != NULL, "malloc");
	test_log_capture_start();
	ret = keel_iommu_dma_register(c, (uintptr_t)heap + 16, 3 * 4096 - 16,
				      0, &iova);
	log = test_log_capture_stop();
	TEST_ASSERT_EQUAL(ret, -EDOM, "a malloc() buffer is not whole pages");
	free(log);
	free(heap);

	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, (uintptr_t)own,
						 keel_iommu_va2iova(c, (uintptr_t)own),
						 len), "unmap");
	TEST_ASSERT(keel_iommu_va2iova(c, (uintptr_t)own) == KEEL_BAD_IOVA,
		    "gone from the container");
	munmap(own, len);
	keel_free(eal);
	keel_eal_cleanup();
	return TEST_SUCCESS;
}
KEEL_TEST(memory_iova_lookups, "fast", TEST_NO_EAL, test_memory_iova_lookups)
