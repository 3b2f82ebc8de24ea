/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOVA of every mbuf's data is right, proven by DMA in every IOVA mode
 * (va, alloc, and pa with 2 MiB hugepages reserved for it): dma_soft, behind the emulated IOMMU, copies a pattern
 * into each mbuf's whole buffer at buf_iova, then from one mbuf's data to
 * another's through keel_pktmbuf_iova(), into the segments of a chain, into
 * a clone's data (the direct mbuf's bytes), and into an external buffer
 * registered in the IOMMU container. A wrong IOVA is a fault or bytes
 * landing elsewhere; both fail the test.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "keel_eal.h"
#include "keel_iommu.h"
#include "keel_mbuf.h"
#include "test.h"
#include "test_util.h"
#include "../mempool/test_pktmem_dma.h"

#define NB 1000   /* 2.4 MB of mbufs: two chunks in pa mode */
#define PRIV 64

static int
bytes_are(const uint8_t *p, const uint8_t *want, uint32_t len, const char *what,
	  unsigned int i)
{
	if (memcmp(p, want, len) == 0)
		return 0;
	printf("  %s %u: wrong bytes\n", what, i);
	return -1;
}

static void
test_mbuf_dma_ext_free(void *addr, void *opaque)
{
	(void)addr;
	(*(unsigned int *)opaque)++;
}

static int
dma_mode_case(const char *mode)
{
	static struct keel_mbuf *ms[NB];
	struct keel_mbuf *chain, *seg, *clone, *ext;
	struct keel_mbuf_ext_shared_info *shinfo;
	struct keel_iommu_container *c;
	struct keel_mempool *mp;
	uint64_t src_iova, ext_iova;
	uint16_t ext_len = 4096;
	uint8_t *src, *extmem;
	char args[128];
	unsigned int i, ext_freed = 0;
	int dev, ret;

	/* pa: hugepages (with 4 KiB pages an allocation cannot pass a page) */
	snprintf(args, sizeof(args), "%s -m 16 --iova-mode %s --iommu emulated",
		 strcmp(mode, "pa") == 0 ? "--in-memory" : "--no-huge", mode);
	ret = test_eal_init_str(args);
	TEST_ASSERT(ret >= 0, "init %s: %s", args, strerror(-ret));
	dev = test_dma_open();
	TEST_ASSERT(dev >= 0, "dma device");
	mp = keel_pktmbuf_pool_create("mbuf_dma", NB, 32, PRIV,
				      KEEL_MBUF_DEFAULT_BUF_SIZE, -1);
	TEST_ASSERT(mp != NULL, "%s: pool: %s", mode, strerror(errno));
	src = test_dma_src(KEEL_MBUF_DEFAULT_BUF_SIZE, 0x5c, &src_iova);
	TEST_ASSERT(src != NULL, "source");
	TEST_ASSERT_SUCCESS(keel_pktmbuf_alloc_bulk(mp, ms, NB), "alloc");

	/* 1. the whole buffer of every mbuf, at buf_iova */
	for (i = 0; i < NB; i++) {
		memset(ms[i]->buf_addr, 0, ms[i]->buf_len);
		TEST_ASSERT_SUCCESS(test_dma_copy_async(dev, src_iova,
				    ms[i]->buf_iova, ms[i]->buf_len), "dma");
	}
	TEST_ASSERT_SUCCESS(test_dma_wait(dev), "%s: copies into buffers", mode);
	for (i = 0; i < NB; i++)
		TEST_ASSERT_SUCCESS(bytes_are(ms[i]->buf_addr, src,
					      ms[i]->buf_len, "buffer", i),
				    "%s: buffer of mbuf %u", mode, i);

	/* 2. data to data: mbuf i's packet into mbuf i+1's, at odd offsets */
	for (i = 0; i + 1 < NB; i += 2) {
		uint16_t len = (uint16_t)(60 + (i * 37) % 1400);

		memset(keel_pktmbuf_append(ms[i + 1], len), 0, len);
		keel_pktmbuf_adj(ms[i + 1], (uint16_t)(i % 7));
		keel_pktmbuf_append(ms[i], len);
		TEST_ASSERT_SUCCESS(test_dma_copy_async(dev,
				    keel_pktmbuf_iova_offset(ms[i], 3),
				    keel_pktmbuf_iova(ms[i + 1]),
				    ms[i + 1]->data_len), "dma");
	}
	TEST_ASSERT_SUCCESS(test_dma_wait(dev), "%s: data copies", mode);
	for (i = 0; i + 1 < NB; i += 2)
		TEST_ASSERT_SUCCESS(bytes_are(keel_pktmbuf_mtod(ms[i + 1], uint8_t *),
					      keel_pktmbuf_mtod_offset(ms[i], uint8_t *, 3),
					      ms[i + 1]->data_len, "data", i),
				    "%s: data of mbuf %u", mode, i + 1);
	keel_pktmbuf_free_bulk(ms, NB);

	/* 3. a chain: each segment at its own IOVA */
	chain = NULL;
	for (i = 0; i < 5; i++) {
		seg = keel_pktmbuf_alloc(mp);
		TEST_ASSERT(seg != NULL, "alloc");
		memset(keel_pktmbuf_append(seg, 1000), 0, 1000);
		if (chain == NULL)
			chain = seg;
		else
			TEST_ASSERT_SUCCESS(keel_pktmbuf_chain(chain, seg), "chain");
	}
	for (seg = chain, i = 0; seg != NULL; seg = seg->next, i++)
		TEST_ASSERT_SUCCESS(test_dma_copy_async(dev, src_iova + i * 100,
				    keel_pktmbuf_iova(seg), seg->data_len), "dma");
	TEST_ASSERT_SUCCESS(test_dma_wait(dev), "%s: chain", mode);
	for (seg = chain, i = 0; seg != NULL; seg = seg->next, i++)
		TEST_ASSERT_SUCCESS(bytes_are(keel_pktmbuf_mtod(seg, uint8_t *),
					      src + i * 100, 1000, "segment", i),
				    "%s: segment %u", mode, i);

	/* 4. a clone's IOVA is its direct mbuf's data */
	clone = keel_pktmbuf_clone(chain, mp);
	TEST_ASSERT(clone != NULL, "clone");
	keel_pktmbuf_adj(clone, 10);
	memset(keel_pktmbuf_mtod(chain->next, uint8_t *), 0, 1000);
	TEST_ASSERT_SUCCESS(test_dma_copy(dev, src_iova,
					  keel_pktmbuf_iova(clone->next), 1000),
			    "%s: dma into a clone", mode);
	TEST_ASSERT_SUCCESS(bytes_are(keel_pktmbuf_mtod(chain->next, uint8_t *),
				      src, 1000, "clone", 0),
			    "%s: the clone's bytes are the direct mbuf's", mode);
	keel_pktmbuf_free(clone);
	keel_pktmbuf_free(chain);

	/* 5. an external buffer mapped in the container */
	c = keel_iommu_container_default();
	extmem = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	TEST_ASSERT(c != NULL && extmem != MAP_FAILED, "container, memory");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_register(c, (uintptr_t)extmem, 4096,
						    0, &ext_iova), "register");
	ext = keel_pktmbuf_alloc(mp);
	TEST_ASSERT(ext != NULL, "alloc");
	shinfo = keel_pktmbuf_ext_shinfo_init_helper(extmem, &ext_len,
		test_mbuf_dma_ext_free, &ext_freed);
	keel_pktmbuf_attach_extbuf(ext, extmem, ext_iova, ext_len, shinfo);
	memset(keel_pktmbuf_append(ext, 3000), 0, 3000);
	TEST_ASSERT_SUCCESS(test_dma_copy(dev, src_iova, keel_pktmbuf_iova(ext),
					  2000), "%s: dma into extbuf", mode);
	TEST_ASSERT_SUCCESS(bytes_are(extmem, src, 2000, "extbuf", 0),
			    "%s: external buffer bytes", mode);
	keel_pktmbuf_free(ext);
	TEST_ASSERT_EQUAL(ext_freed, 1, "external buffer released");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, (uintptr_t)extmem, ext_iova,
						 4096), "unmap");
	munmap(extmem, 4096);

	printf("  %s: %u mbufs in %u chunks, every IOVA checked by DMA\n", mode,
	       NB, mp->nb_mem_chunks);
	TEST_ASSERT(keel_mempool_full(mp), "all mbufs back");
	keel_free(src);
	keel_mempool_free(mp);
	test_dma_close(dev);
	TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup");
	return TEST_SUCCESS;
}

static int
test_mbuf_iova_dma(void)
{
	static const char *const modes[] = { "va", "alloc", "pa" };

	for (unsigned int i = 0; i < 3; i++) {
		int pa = strcmp(modes[i], "pa") == 0, ret;

		if (pa && geteuid() != 0) {
			printf("  pa mode skipped: needs root\n");
			continue;
		}
		if (pa && test_hugepages_reserve(16) < 0) {
			printf("  pa mode skipped: cannot reserve 16 hugepages\n");
			continue;
		}
		ret = dma_mode_case(modes[i]);
		if (ret != TEST_SUCCESS && keel_eal_is_initialized())
			keel_eal_cleanup();
		if (pa)
			test_hugepages_release(16);
		if (ret != TEST_SUCCESS)
			return TEST_FAILED;
	}
	return TEST_SUCCESS;
}
KEEL_TEST(mbuf_iova_dma, "fast", TEST_NO_EAL, test_mbuf_iova_dma)
