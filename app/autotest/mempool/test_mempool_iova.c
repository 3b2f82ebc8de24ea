/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Object IOVAs, proven by DMA: in every IOVA mode (va, pa, alloc) a pool's
 * objects never straddle an IOVA discontinuity, and dma_soft, translating
 * through the emulated IOMMU, copies into each object at the IOVA its
 * header holds. External memory is mapped in the IOMMU container by
 * populate_extmem and unmapped by free.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "keel_eal.h"
#include "keel_iommu.h"
#include "keel_malloc.h"
#include "keel_mempool.h"
#include "test.h"
#include "test_mempool.h"
#include "test_pktmem_dma.h"
#include "test_util.h"

/* every page boundary inside each object continues its IOVAs */
struct straddle {
	uint64_t pg;
	unsigned int bad, n;
};

static void
straddle_obj(struct keel_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct straddle *s = arg;
	uint64_t iova = keel_mempool_virt2iova(obj), off;

	(void)idx;
	s->n++;
	for (off = s->pg - ((uintptr_t)obj & (s->pg - 1)); off < mp->elt_size;
	     off += s->pg)
		if (keel_mem_virt2iova((char *)obj + off) != iova + off)
			s->bad++;
	if (keel_mem_virt2iova(obj) != iova)
		s->bad++;
}

/* DMA a distinct pattern into every object at its IOVA, then check it */
static int
dma_into_pool(int dev, struct keel_mempool *mp, uint32_t len)
{
	void **objs = calloc(mp->size, sizeof(void *));
	uint64_t src_iova;
	uint8_t *src = test_dma_src(len, 0x31, &src_iova);
	unsigned int i;
	int ret = TEST_FAILED;

	if (objs == NULL || src == NULL ||
	    keel_mempool_get_bulk(mp, objs, mp->size) != 0)
		goto out;
	for (i = 0; i < mp->size; i++) {
		memset(objs[i], 0, len);
		if (test_dma_copy_async(dev, src_iova,
					keel_mempool_virt2iova(objs[i]), len) < 0)
			goto put;
	}
	if (test_dma_wait(dev) < 0)
		goto put;
	for (i = 0; i < mp->size; i++)
		if (memcmp(objs[i], src, len) != 0) {
			printf("  object %u (%p, iova 0x%" PRIx64 "): wrong bytes\n",
			       i, objs[i], keel_mempool_virt2iova(objs[i]));
			goto put;
		}
	ret = TEST_SUCCESS;
put:
	keel_mempool_put_bulk(mp, objs, mp->size);
out:
	keel_free(src);
	free(objs);
	return ret;
}

static int
iova_mode_case(const char *mode)
{
	char args[128];
	struct straddle s;
	struct keel_mempool *mp;
	struct keel_memseg ms;
	int dev, ret;

	/* pa: hugepages (test_hugepages_reserve()), else 4 KiB pages */
	snprintf(args, sizeof(args), "%s -m 16 --iova-mode %s --iommu emulated",
		 strcmp(mode, "pa") == 0 ? "--in-memory" : "--no-huge", mode);
	ret = test_eal_init_str(args);
	TEST_ASSERT(ret >= 0, "init %s: %s", args, strerror(-ret));
	dev = test_dma_open();
	TEST_ASSERT(dev >= 0, "dma device");
	/* 1000 objects of 3000 bytes: 3 MB, more than one 2 MiB page */
	mp = keel_mempool_create("mp_iova", 1000, 3000, 0, 0, NULL, NULL, NULL,
				 NULL, -1, 0);
	TEST_ASSERT(mp != NULL, "%s: create: %s", mode, strerror(errno));
	TEST_ASSERT_SUCCESS(keel_mem_virt2memseg(mp->mem_list->addr, &ms),
			    "memseg");
	s = (struct straddle){ ms.hugepage_sz, 0, 0 };
	keel_mempool_obj_iter(mp, straddle_obj, &s);
	TEST_ASSERT(s.n == 1000 && s.bad == 0, "%s: %u of %u objects straddle "
		    "an IOVA discontinuity", mode, s.bad, s.n);
	printf("  %s: %u objects in %u chunks (%" PRIu64 " KiB pages)\n", mode,
	       s.n, mp->nb_mem_chunks, ms.hugepage_sz >> 10);
	ret = dma_into_pool(dev, mp, 3000);
	TEST_ASSERT_SUCCESS(ret, "%s: DMA into every object", mode);
	keel_mempool_free(mp);
	test_dma_close(dev);
	TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup");
	return TEST_SUCCESS;
}

/* pa mode with 4 KiB pages: an object larger than a page, a clear error */
static int
pa_small_pages(void)
{
	struct keel_mempool *mp;
	char *log;
	int ret;

	test_log_capture_start();
	ret = test_eal_init_str("--no-huge -m 8 --iova-mode pa --iommu emulated");
	free(test_log_capture_stop());
	TEST_ASSERT(ret >= 0, "init: %s", strerror(-ret));
	test_log_capture_start();
	mp = keel_mempool_create("mp_iova", 64, 5000, 0, 0, NULL, NULL, NULL,
				 NULL, -1, 0);
	log = test_log_capture_stop();
	TEST_ASSERT(mp == NULL && errno == ENOMEM, "5000-byte objects in 4 KiB "
		    "pages: %p", (void *)mp);
	TEST_ASSERT(strstr(log, "larger than a page (4096 bytes)") != NULL,
		    "clear error: %s", log);
	free(log);
	TEST_ASSERT_EQUAL(test_mempool_zones(), 0, "nothing left");
	/* objects that fit in a page: one allocation each page */
	mp = keel_mempool_create("mp_iova", 64, 2000, 0, 0, NULL, NULL, NULL,
				 NULL, -1, 0);
	TEST_ASSERT(mp != NULL, "2000-byte objects: %s", strerror(errno));
	TEST_ASSERT_EQUAL(mp->nb_mem_chunks, 64 / (4096 / (64 + 2000 + 48)),
			  "chunks of one page");
	keel_mempool_free(mp);
	TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup");
	return TEST_SUCCESS;
}

static int
test_mempool_iova_modes(void)
{
	if (iova_mode_case("va") != TEST_SUCCESS ||
	    iova_mode_case("alloc") != TEST_SUCCESS)
		goto fail;
	if (geteuid() != 0) {
		printf("  pa mode skipped: needs root\n");
		return TEST_SUCCESS;
	}
	if (pa_small_pages() != TEST_SUCCESS)
		goto fail;
	if (test_hugepages_reserve(16) < 0) {
		printf("  pa mode with hugepages skipped: cannot reserve 16\n");
		return TEST_SUCCESS;
	}
	if (iova_mode_case("pa") != TEST_SUCCESS) {
		test_hugepages_release(16);
		goto fail;
	}
	test_hugepages_release(16);
	return TEST_SUCCESS;
fail:
	if (keel_eal_is_initialized())
		keel_eal_cleanup();
	return TEST_FAILED;
}
KEEL_TEST(mempool_iova_modes, "fast", TEST_NO_EAL, test_mempool_iova_modes)

/* ---- external memory ---- */

static unsigned int free_cb_calls;

static void
extmem_free_cb(struct keel_mempool_memhdr *m, void *opaque)
{
	free_cb_calls++;
	munmap(m->addr, (size_t)(uintptr_t)opaque);
}

static int
test_mempool_extmem(void)
{
	struct keel_iommu_container *c = keel_iommu_container_default();
	struct keel_iommu_mapping map;
	struct keel_mempool *mp;
	uint64_t len = 1 << 20, iova;
	uint8_t *mem, *mine;
	int dev, n;

	if (c == NULL)
		return keel_test_skip("needs an IOMMU container");
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap");
	mp = keel_mempool_create_empty("mp_ext", 800, 2000, 16, 0, -1, 0);
	TEST_ASSERT(mp != NULL, "create_empty: %s", strerror(errno));
	TEST_ASSERT(keel_iommu_lookup_va(c, (uintptr_t)mem, &map) == -ENOENT,
		    "not mapped before");
	free_cb_calls = 0;
	n = keel_mempool_populate_extmem(mp, mem, len, extmem_free_cb,
					 (void *)(uintptr_t)len);
	TEST_ASSERT(n > 0 && n < 800 && (unsigned int)n == len /
		    (mp->header_size + mp->elt_size + mp->trailer_size),
		    "populate_extmem: %d", n);
	TEST_ASSERT_SUCCESS(keel_iommu_lookup_va(c, (uintptr_t)mem, &map),
			    "mapped by the pool");
	TEST_ASSERT(map.len >= len, "whole range mapped");
	/* the rest in EAL memory: a pool over two kinds of memory */
	TEST_ASSERT_EQUAL(keel_mempool_populate_default(mp), 800 - n, "rest");
	TEST_ASSERT_EQUAL(mp->nb_mem_chunks >= 2, 1, "two chunks at least");
	dev = test_dma_open();
	TEST_ASSERT(dev >= 0, "dma device");
	TEST_ASSERT_SUCCESS(dma_into_pool(dev, mp, 2000), "DMA into objects");
	test_dma_close(dev);
	keel_mempool_free(mp);
	TEST_ASSERT_EQUAL(free_cb_calls, 1, "free callback once");
	TEST_ASSERT(keel_iommu_lookup_va(c, (uintptr_t)mem, &map) == -ENOENT,
		    "unmapped by free");

	/* memory the caller mapped stays mapped */
	mine = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	TEST_ASSERT(mine != MAP_FAILED, "mmap");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_register(c, (uintptr_t)mine, len, 0,
						    &iova), "register");
	mp = keel_mempool_create_empty("mp_ext", 10, 2000, 0, 0, -1, 0);
	TEST_ASSERT(mp != NULL, "create_empty");
	TEST_ASSERT_EQUAL(keel_mempool_populate_extmem(mp, mine, len, NULL,
						       NULL), 10, "populate");
	TEST_ASSERT(mp->mem_list->iova == iova, "the caller's IOVA");
	keel_mempool_free(mp);
	TEST_ASSERT_SUCCESS(keel_iommu_lookup_va(c, (uintptr_t)mine, &map),
			    "still mapped");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, (uintptr_t)mine, iova, len),
			    "unmap");
	munmap(mine, len);

	/* unaligned memory: the container's error, nothing mapped or added */
	mine = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(mine != MAP_FAILED, "mmap");
	mp = keel_mempool_create_empty("mp_ext", 10, 2000, 0, 0, -1, 0);
	test_log_capture_start();
	n = keel_mempool_populate_extmem(mp, mine + 64, len - 4096, NULL, NULL);
	free(test_log_capture_stop());
	TEST_ASSERT(n < 0 && mp->populated_size == 0, "unaligned: %d", n);
	TEST_ASSERT(keel_iommu_lookup_va(c, (uintptr_t)mine + 64, &map) ==
		    -ENOENT, "nothing left mapped");
	keel_mempool_free(mp);
	munmap(mine, len);
	return TEST_SUCCESS;
}
KEEL_TEST(mempool_extmem, "fast", 0, test_mempool_extmem)

/* without a container, external memory needs IOVA = VA */
static int
test_mempool_extmem_nocontainer(void)
{
	struct keel_mempool *mp;
	uint8_t *mem;
	char *log;
	int ret, n;

	mem = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap");
	ret = test_eal_init_str("--no-huge -m 16 --iommu none --iova-mode va");
	TEST_ASSERT(ret >= 0, "init: %s", strerror(-ret));
	mp = keel_mempool_create_empty("mp_ext", 10, 2000, 0, 0, -1, 0);
	n = keel_mempool_populate_extmem(mp, mem, 1 << 16, NULL, NULL);
	TEST_ASSERT_EQUAL(n, 10, "va mode: populated");
	TEST_ASSERT(keel_mempool_virt2iova(mem + mp->header_size) ==
		    (uintptr_t)(mem + mp->header_size), "IOVA = VA");
	keel_mempool_free(mp);
	keel_eal_cleanup();
	if (geteuid() == 0) {
		ret = test_eal_init_str("--no-huge -m 16 --iommu none "
					"--iova-mode pa");
		TEST_ASSERT(ret >= 0, "init pa: %s", strerror(-ret));
		mp = keel_mempool_create_empty("mp_ext", 10, 2000, 0, 0, -1, 0);
		test_log_capture_start();
		n = keel_mempool_populate_extmem(mp, mem, 1 << 16, NULL, NULL);
		log = test_log_capture_stop();
		TEST_ASSERT_EQUAL(n, -ENOTSUP, "pa mode without a container");
		TEST_ASSERT(strstr(log, "no IOMMU container") != NULL, "log: %s",
			    log);
		free(log);
		TEST_ASSERT_EQUAL(mp->populated_size, 0, "nothing added");
		keel_mempool_free(mp);
		keel_eal_cleanup();
	}
	munmap(mem, 1 << 16);
	return TEST_SUCCESS;
}
KEEL_TEST(mempool_extmem_nocontainer, "fast", TEST_NO_EAL,
	  test_mempool_extmem_nocontainer)
