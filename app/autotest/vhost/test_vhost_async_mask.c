/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Async vhost with engines of narrow reach (keel_dma_info.dma_mask_bits):
 * dma_soft with dma_mask_bits=28 (QEMU's edu reaches 2^28) behind the
 * emulated IOMMU. The guest regions (at VAs far above 2^28) are DMA-mapped
 * at IOVAs the container allocates below the mask, the copies go through
 * them (the engine faults on anything at or above 2^28, so a delivered
 * packet proves its IOVAs were below) and land byte-exact both ways, also
 * across regions; the two regions, adjacent in guest memory, get adjacent
 * IOVAs and merge into one entry. Refusals: a mask no region fits under (ENOSPC), and a
 * narrow engine after a wide one mapped the regions high (ERANGE), each
 * leaving the queue synchronous and the table as it was. Application
 * memory beyond the mask (mbufs at IOVA = VA) is copied by CPU, counted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "keel_dmadev.h"
#include "keel_eal.h"
#include "keel_iommu.h"
#include "keel_mbuf.h"
#include "keel_memory.h"
#include "keel_vdev.h"
#include "keel_vhost.h"
#include "keel_vhost_async.h"
#include "test.h"
#include "test_util.h"
#include "vhost_test_env.h"

#define F(bit) (1ULL << (bit))
#define BUFLEN 2048
#define MASK_END (1ULL << 28)

static const char *const names[3] = { "dma_soft_m28", "dma_soft_m64",
				       "dma_soft_m12" };
static int16_t ids[3];    /* 28-bit, 64-bit (default), 12-bit engines */
static struct keel_mempool *pool;

static int
setup(const char *iova_mode)
{
	static const char *const dargs[3] = { "mode=inline,dma_mask_bits=28",
					      "mode=inline",
					      "mode=inline,dma_mask_bits=12" };
	struct keel_dma_conf conf = { .nb_vchans = 2 };
	struct keel_dma_vchan_conf vc = {
		.direction = KEEL_DMA_DIR_MEM_TO_MEM, .nb_desc = 64,
	};
	char args[128];
	int i, ret;

	snprintf(args, sizeof(args), "--no-huge -m 64 --iommu emulated%s%s",
		 iova_mode != NULL ? " --iova-mode " : "",
		 iova_mode != NULL ? iova_mode : "");
	ret = test_eal_init_str(args);
	if (ret < 0) {
		printf("  EAL init (%s): %s\n", args, strerror(-ret));
		return -1;
	}
	pool = keel_pktmbuf_pool_create("vt_mask", 511, 0, 0,
					KEEL_MBUF_DEFAULT_BUF_SIZE,
					KEEL_SOCKET_ID_ANY);
	if (pool == NULL)
		return -1;
	for (i = 0; i < 3; i++) {
		ret = keel_vdev_create(names[i], dargs[i]);
		if (ret == 0)
			ret = keel_dma_get_dev_id_by_name(names[i]);
		if (ret < 0) {
			printf("  %s: %s\n", names[i], strerror(-ret));
			return -1;
		}
		ids[i] = (int16_t)ret;
		if (keel_dma_configure(ids[i], &conf) < 0 ||
		    keel_dma_vchan_setup(ids[i], 0, &vc) < 0 ||
		    keel_dma_vchan_setup(ids[i], 1, &vc) < 0 ||
		    keel_dma_start(ids[i]) < 0)
			return -1;
	}
	return 0;
}

static int
teardown(void)
{
	int i;

	for (i = 0; i < 3; i++)
		keel_vdev_remove(names[i]);
	return keel_eal_cleanup();
}

static int
go_async(struct vt_env *e, uint16_t q, int16_t dev, uint16_t vchan)
{
	struct keel_vhost_async_config cfg = {
		.nb_dma = 1, .dma = { { dev, vchan } },
	};

	return keel_vhost_async_channel_register(e->dev->vid, q, &cfg);
}

/* every region mapped (or not) in the default container; below 2^28 */
static int
regions_are(struct vt_env *e, int mapped, int low)
{
	uint32_t i;

	for (i = 0; i < e->dev->mem->n; i++) {
		const struct vhost_region *r = &e->dev->mem->r[i];

		if ((r->dma_cont != NULL) != mapped)
			return 0;
		if (mapped && low && (r->dma_iova + r->dma_len > MASK_END ||
				      r->dma_iova == r->dma_va))
			return 0;
		if (mapped && low)
			printf("  region %u: VA 0x%llx at IOVA 0x%llx\n", i,
			       (unsigned long long)r->dma_va,
			       (unsigned long long)r->dma_iova);
	}
	return 1;
}

/* the two regions (adjacent in guest memory) at adjacent IOVAs too, one
 * entry in the table with one chunk each (the emulated IOMMU is strict) */
static int
regions_merged(struct vt_env *e)
{
	const struct vhost_region *a = &e->dev->mem->r[0];
	const struct vhost_region *b = &e->dev->mem->r[1];
	struct keel_iommu_mapping m;

	if (b->dma_va != a->dma_va + a->dma_len ||
	    b->dma_iova != a->dma_iova + a->dma_len)
		return 0;
	if (keel_iommu_lookup_iova(keel_iommu_container_default(),
				   a->dma_iova, &m) != 0)
		return 0;
	printf("  entry IOVA 0x%llx len 0x%llx chunk 0x%llx\n",
	       (unsigned long long)m.iova, (unsigned long long)m.len,
	       (unsigned long long)m.chunk);
	return m.iova == a->dma_iova && m.len == a->dma_len + b->dma_len &&
	       m.chunk == a->dma_len;
}


/* host to guest: n packets of sizes[] into 2 KiB buffers (the last one
 * offered across the two regions); their bytes in guest memory */
static int
enqueue_check(struct vt_env *e, const uint32_t *sizes, unsigned int n)
{
	struct keel_mbuf *pk[4], *out[4];
	uint8_t failed[4];
	unsigned int i, k;
	uint16_t id;
	uint32_t ulen;

	vt_use(e, 0);
	for (i = 0; i < n; i++) {
		uint64_t gpa = i + 1 < n ? VT_GPA + VT_BUF_OFF + i * BUFLEN :
					   VT_GPA + VT_REGION - 100;

		vt_offer(e, &(struct vt_buf){ gpa, BUFLEN, 1 }, 1, 0);
		pk[i] = vt_pkt(pool, sizes[i], 2048, 40 + i);
		TEST_ASSERT(pk[i] != NULL, "mbuf");
	}
	TEST_ASSERT_EQUAL(keel_vhost_submit_enqueue_burst(e->dev->vid, 0, pk,
			  (uint16_t)n), n, "taken");
	TEST_ASSERT_EQUAL(vt_poll_enqueue_all(e, out, failed, (uint16_t)n), n,
			  "back");
	for (i = 0; i < n; i++) {
		uint64_t gpa = i + 1 < n ? VT_GPA + VT_BUF_OFF + i * BUFLEN :
					   VT_GPA + VT_REGION - 100;

		TEST_ASSERT(out[i] == pk[i] && failed[i] == 0,
			    "packet %u delivered", i);
		TEST_ASSERT(vt_take_used(e, &id, &ulen), "used %u", i);
		TEST_ASSERT_EQUAL(ulen, sizes[i] + 12, "length of %u", i);
		for (k = 0; k < sizes[i]; k++)
			TEST_ASSERT_EQUAL(*vt_gva(e, gpa + 12 + k),
					  vt_pat(40 + i, k), "byte %u of %u",
					  k, i);
		keel_pktmbuf_free(out[i]);
	}
	return TEST_SUCCESS;
}

/* guest to host: packets of sizes[] (the last across the regions) */
static int
dequeue_check(struct vt_env *e, const uint32_t *sizes, unsigned int n)
{
	struct keel_mbuf *pk[4];
	unsigned int i, got = 0;
	uint16_t id;
	uint32_t ulen, k;
	int spins = 0;

	vt_use(e, 1);
	for (i = 0; i < n; i++) {
		uint64_t off = i + 1 < n ? VT_BUF_OFF + 0x8000 + i * 0x4000 :
					   VT_REGION - 700;
		uint8_t *p = vt_gva(e, VT_GPA + off);

		memset(p, 0, 12);
		for (k = 0; k < sizes[i]; k++)
			p[12 + k] = vt_pat(60 + i, k);
		vt_offer(e, &(struct vt_buf){ VT_GPA + off, sizes[i] + 12, 0 },
			 1, 0);
	}
	while (got < n && spins++ < 10000)
		got += keel_vhost_async_try_dequeue_burst(e->dev->vid, 1, pool,
				pk + got, (uint16_t)(n - got), NULL);
	TEST_ASSERT_EQUAL(got, n, "packets from the guest");
	for (i = 0; i < n; i++) {
		TEST_ASSERT(vt_pkt_is(pk[i], sizes[i], 60 + i), "bytes of %u",
			    i);
		TEST_ASSERT(vt_take_used(e, &id, &ulen), "used %u", i);
		keel_pktmbuf_free(pk[i]);
	}
	return TEST_SUCCESS;
}

static int
no_errors(struct vt_env *e, uint16_t q)
{
	struct keel_vhost_async_stats as;
	struct keel_vhost_vring_stats st;

	TEST_ASSERT_SUCCESS(keel_vhost_async_stats_get(e->dev->vid, q, &as),
			    "stats");
	keel_vhost_vring_stats_get(e->dev->vid, q, &st);
	TEST_ASSERT_EQUAL(st.failed, 0, "vring %u: nothing failed", q);
	TEST_ASSERT_EQUAL(as.dma_errors, 0, "vring %u: no DMA error", q);
	TEST_ASSERT(as.dma_copies > 0 && as.beyond_mask == 0,
		    "vring %u: by DMA (%" PRIu64 " DMA, %" PRIu64 " beyond)",
		    q, as.dma_copies, as.beyond_mask);
	return TEST_SUCCESS;
}

/* A 28-bit engine both ways: regions below 2^28, copies byte-exact. */
static int
test_mask_copies(void)
{
	static const uint32_t sizes[] = { 60, 1514, 300 };
	struct keel_dma_info info;
	struct keel_mbuf *m;
	struct vt_env e;
	int r;

	TEST_ASSERT_SUCCESS(setup("alloc"), "setup");
	TEST_ASSERT_SUCCESS(keel_dma_info_get(ids[0], &info), "info");
	TEST_ASSERT_EQUAL(info.dma_mask_bits, 28, "devarg dma_mask_bits=28");
	TEST_ASSERT_SUCCESS(keel_dma_info_get(ids[1], &info), "info");
	TEST_ASSERT_EQUAL(info.dma_mask_bits, 64, "no mask: 64");
	m = keel_pktmbuf_alloc(pool);
	TEST_ASSERT(m != NULL, "mbuf");
	TEST_ASSERT(keel_mem_virt2iova(m->buf_addr) < MASK_END,
		    "--iova-mode alloc: mbufs below 2^28");
	keel_pktmbuf_free(m);
	TEST_ASSERT_SUCCESS(vt_env_init(&e, 0, 64), "env");
	TEST_ASSERT(regions_are(&e, 0, 0), "sync: not mapped");
	TEST_ASSERT_SUCCESS(go_async(&e, 0, ids[0], 0), "register 0: %s",
			    strerror(errno));
	TEST_ASSERT_SUCCESS(go_async(&e, 1, ids[0], 1), "register 1: %s",
			    strerror(errno));
	TEST_ASSERT(regions_are(&e, 1, 1), "regions mapped below 2^28");
	TEST_ASSERT(regions_merged(&e), "adjacent in IOVA: one entry");
	r = enqueue_check(&e, sizes, 3);
	if (r == TEST_SUCCESS)
		r = dequeue_check(&e, sizes, 3);
	if (r == TEST_SUCCESS)
		r = no_errors(&e, 0);
	if (r == TEST_SUCCESS)
		r = no_errors(&e, 1);
	if (r != TEST_SUCCESS)
		return r;
	TEST_ASSERT_SUCCESS(keel_vhost_async_channel_unregister(e.dev->vid, 0),
			    "unregister 0");
	TEST_ASSERT(regions_are(&e, 1, 1), "still mapped for vring 1");
	TEST_ASSERT_SUCCESS(keel_vhost_async_channel_unregister(e.dev->vid, 1),
			    "unregister 1");
	TEST_ASSERT(regions_are(&e, 0, 0), "unmapped with the last queue");
	vt_env_fini(&e);
	return teardown();
}
KEEL_TEST(vhost_async_dma_mask, "fast", TEST_NO_EAL, test_mask_copies)

/* Refused: a mask nothing fits under; a narrow engine after a wide one. */
static int
test_mask_refused(void)
{
	struct keel_iommu_stats s0, s1;
	struct keel_iommu_container *c;
	struct vt_env e;

	TEST_ASSERT_SUCCESS(setup("alloc"), "setup");
	c = keel_iommu_container_default();
	TEST_ASSERT_SUCCESS(vt_env_init(&e, 0, 64), "env");
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &s0), "stats");
	errno = 0;
	TEST_ASSERT(go_async(&e, 0, ids[2], 0) < 0 && errno == ENOSPC,
		    "256 KiB regions below 2^12: refused (%s)",
		    strerror(errno));
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &s1), "stats");
	TEST_ASSERT_EQUAL(s1.entries, s0.entries, "table as it was");
	TEST_ASSERT(regions_are(&e, 0, 0), "nothing mapped");
	TEST_ASSERT(keel_vhost_async_get_inflight(e.dev->vid, 0) < 0 &&
		    errno == EINVAL, "the queue stayed synchronous");
	/* a wide engine maps them at IOVA = VA, far above 2^28 */
	TEST_ASSERT_SUCCESS(go_async(&e, 1, ids[1], 0), "wide: %s",
			    strerror(errno));
	TEST_ASSERT(regions_are(&e, 1, 0) &&
		    e.dev->mem->r[0].dma_iova == e.dev->mem->r[0].dma_va,
		    "mapped at IOVA = VA");
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &s0), "stats");
	errno = 0;
	TEST_ASSERT(go_async(&e, 0, ids[0], 0) < 0 && errno == ERANGE,
		    "a 28-bit engine next to them: refused (%s)",
		    strerror(errno));
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &s1), "stats");
	TEST_ASSERT_EQUAL(s1.backend_maps, s0.backend_maps, "no map call");
	TEST_ASSERT_EQUAL(s1.backend_unmaps, s0.backend_unmaps, "no unmap");
	TEST_ASSERT(keel_vhost_async_get_inflight(e.dev->vid, 0) < 0,
		    "vring 0 stayed synchronous");
	/* the vchan refused is free: once the wide queue is gone it works */
	TEST_ASSERT_SUCCESS(keel_vhost_async_channel_unregister(e.dev->vid, 1),
			    "unregister 1");
	TEST_ASSERT_SUCCESS(go_async(&e, 0, ids[0], 0), "narrow alone: %s",
			    strerror(errno));
	TEST_ASSERT(regions_are(&e, 1, 1), "now below 2^28");
	TEST_ASSERT_SUCCESS(keel_vhost_async_channel_unregister(e.dev->vid, 0),
			    "unregister 0");
	vt_env_fini(&e);
	return teardown();
}
KEEL_TEST(vhost_async_dma_mask_refused, "fast", TEST_NO_EAL, test_mask_refused)

/* one copy on vchan 1 of engine @p k: its status */
static enum keel_dma_status_code
probe(int k, uint64_t src, uint64_t dst, uint32_t len)
{
	enum keel_dma_status_code st = KEEL_DMA_STATUS_ERROR_UNKNOWN;
	uint16_t last;
	int spins = 0;

	if (keel_dma_copy(ids[k], 1, src, dst, len,
			  KEEL_DMA_OP_FLAG_SUBMIT) < 0)
		return KEEL_DMA_STATUS_ERROR_UNKNOWN;
	while (keel_dma_completed_status(ids[k], 1, 1, &last, &st) == 0 &&
	       spins++ < 100000)
		;
	return st;
}

/* IOVA = VA for EAL memory: the 28-bit dma_soft refuses mbufs (mapped, but
 * beyond its mask) where the 64-bit one copies; async vhost copies them by
 * CPU (counted), the guest regions still mapped below 2^28. */
static int
test_mask_beyond(void)
{
	static const uint32_t sizes[] = { 1000, 200 };
	struct keel_vhost_async_stats as;
	struct keel_mbuf *m;
	struct vt_env e;
	uint64_t iova;
	uint8_t *p;
	int r;

	TEST_ASSERT_SUCCESS(setup("va"), "setup");
	m = keel_pktmbuf_alloc(pool);
	TEST_ASSERT(m != NULL, "mbuf");
	iova = keel_mem_virt2iova(m->buf_addr);
	TEST_ASSERT(iova >= MASK_END, "IOVA = VA: mbufs above 2^28");
	p = m->buf_addr;
	memset(p, 0x5a, 64);
	memset(p + 64, 0, 64);
	TEST_ASSERT_EQUAL(probe(0, iova, iova + 64, 64),
			  KEEL_DMA_STATUS_INVALID_SRC_ADDR,
			  "28-bit engine: beyond its mask");
	TEST_ASSERT_EQUAL(p[64], 0, "nothing written");
	TEST_ASSERT_EQUAL(probe(1, iova, iova + 64, 64),
			  KEEL_DMA_STATUS_SUCCESSFUL, "64-bit engine copies");
	TEST_ASSERT_EQUAL(p[127], 0x5a, "copied");
	keel_pktmbuf_free(m);
	TEST_ASSERT_SUCCESS(vt_env_init(&e, 0, 64), "env");
	TEST_ASSERT_SUCCESS(go_async(&e, 0, ids[0], 0), "register: %s",
			    strerror(errno));
	TEST_ASSERT(regions_are(&e, 1, 1), "regions below 2^28");
	r = enqueue_check(&e, sizes, 2);
	if (r != TEST_SUCCESS)
		return r;
	TEST_ASSERT_SUCCESS(keel_vhost_async_stats_get(e.dev->vid, 0, &as),
			    "stats");
	TEST_ASSERT(as.beyond_mask > 0 && as.dma_errors == 0,
		    "by CPU (%" PRIu64 " beyond the mask, %" PRIu64
		    " DMA errors)", as.beyond_mask, as.dma_errors);
	TEST_ASSERT_SUCCESS(keel_vhost_async_channel_unregister(e.dev->vid, 0),
			    "unregister");
	vt_env_fini(&e);
	return teardown();
}
KEEL_TEST(vhost_async_dma_mask_beyond, "fast", TEST_NO_EAL, test_mask_beyond)
