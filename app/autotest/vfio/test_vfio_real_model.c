/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "vfio" suite: the IOVA map table against the real kernel, model-based.
 * Random map and unmap calls (seeded; the seed is printed) go through a
 * VFIO container's table; a per-chunk reference model predicts each result
 * (EEXIST on overlap, ENOENT for a hole, ENOTSUP for an unmap that would
 * bisect an earlier map call, EFAULT for the wrong VA, ENOSPC at the
 * kernel's mapping limit). After every call the table must equal the
 * model, and the kernel must hold one mapping per live map call
 * (DMA_AVAIL); every few calls each chunk is probed in the kernel itself,
 * behind the table's back: a one-page map there must fail with EEXIST
 * exactly where the model has a mapping. Under any IOMMU the kernel offers
 * (VT-d, virtio-iommu, with or without a small dma_entry_limit: with a
 * limit below the window the first half fills it with one-chunk maps, so
 * the limit is reached); also run on the fake kernel in the fast suite.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fake_vfio.h"
#include "keel_iommu.h"
#include "keel_vfio.h"
#include "test.h"

#define CH   UINT64_C(0x10000)  /* one chunk: 64 KiB */
#define NCH  96               /* chunks in the IOVA window */
#define PG   UINT64_C(0x1000)
#define RW   (KEEL_IOMMU_PROT_READ | KEEL_IOMMU_PROT_WRITE)
#define PROBE_EVERY 16

struct mchunk {
	bool mapped;
	uint32_t call;          /* id of the map call that mapped it */
	uint32_t first, n;      /* chunks of that call */
};

struct model {
	struct mchunk ch[NCH];
	uint64_t limit;         /* kernel mapping limit (0 = none known) */
	uint64_t calls;         /* live map calls = kernel mappings */
	uint32_t next;
};

static int
model_map(struct model *m, uint32_t a, uint32_t n)
{
	uint32_t i;

	for (i = a; i < a + n; i++)
		if (m->ch[i].mapped)
			return -EEXIST;
	if (m->limit != 0 && m->calls >= m->limit)
		return -ENOSPC;
	for (i = a; i < a + n; i++)
		m->ch[i] = (struct mchunk){ true, m->next, a, n };
	m->next++;
	m->calls++;
	return 0;
}

/* what an unmap of chunks [a, a + n) would return (the model unchanged) */
static int
model_unmap_check(const struct model *m, uint32_t a, uint32_t n)
{
	uint32_t i;

	for (i = a; i < a + n; i++)
		if (!m->ch[i].mapped)
			return -ENOENT;
	if (m->ch[a].first != a ||
	    m->ch[a + n - 1].first + m->ch[a + n - 1].n != a + n)
		return -ENOTSUP;
	return 0;
}

/* an unmap with the wrong VA is only tried where it would otherwise
 * succeed: which error wins among several is the table's choice */
static int
model_unmap(struct model *m, uint32_t a, uint32_t n, bool wrong_va)
{
	uint32_t i;
	int r = model_unmap_check(m, a, n);

	if (r != 0)
		return r;
	if (wrong_va)
		return -EFAULT;
	for (i = a; i < a + n; i++) {
		if (m->ch[i].first == i)
			m->calls--;
		m->ch[i].mapped = false;
	}
	return 0;
}

/* the table and the kernel against the model; @p probe: chunk by chunk
 * in the kernel too */
static int
compare(struct keel_iommu_container *c, struct keel_vfio_container *vc,
	const struct model *m, uint64_t va, uint64_t base, uint32_t avail0,
	bool probe, uint64_t seed, unsigned int op)
{
	struct keel_vfio_iommu_info info;
	struct keel_iommu_stats st;
	struct keel_iommu_mapping e;
	uint64_t un;
	uint32_t i;
	int r;

	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &st), "stats");
	TEST_ASSERT_EQUAL(st.backend_mappings, m->calls,
			  "seed %" PRIu64 " op %u: kernel mappings by the table", seed, op);
	TEST_ASSERT_SUCCESS(keel_vfio_iommu_info(vc, &info), "GET_INFO");
	if (info.has_dma_avail)
		TEST_ASSERT_EQUAL(avail0 - info.dma_avail, m->calls,
				  "seed %" PRIu64 " op %u: DMA_AVAIL %u of %u", seed,
				  op, info.dma_avail, avail0);
	for (i = 0; i < NCH; i++) {
		r = keel_iommu_lookup_iova(c, base + i * CH + PG, &e);
		if (m->ch[i].mapped) {
			TEST_ASSERT(r == 0 && e.va + (base + i * CH + PG - e.iova) ==
				    va + i * CH + PG,
				    "seed %" PRIu64 " op %u: chunk %u not in the table "
				    "(%d)", seed, op, i, r);
		} else {
			TEST_ASSERT_EQUAL(r, -ENOENT, "seed %" PRIu64 " op %u: "
					  "chunk %u in the table", seed, op, i);
		}
		if (!probe)
			continue;
		/* the kernel's own view: EEXIST where something is mapped */
		test_log_capture_start();
		r = keel_vfio_dma_map(vc, va, base + i * CH + PG, PG, RW);
		free(test_log_capture_stop());
		if (r == 0)
			TEST_ASSERT_SUCCESS(keel_vfio_dma_unmap(vc, base + i * CH + PG,
								PG, &un), "unprobe");
		if (r == -ENOSPC && !m->ch[i].mapped)
			continue; /* at the limit: the probe cannot tell */
		TEST_ASSERT_EQUAL(r, m->ch[i].mapped ? -EEXIST : 0,
				  "seed %" PRIu64 " op %u: the kernel's chunk %u", seed,
				  op, i);
	}
	return TEST_SUCCESS;
}

static int
model_body(const char *bdf, unsigned int ops)
{
	uint64_t seed = keel_test_seed(), st = seed, va, base = 0;
	struct keel_vfio_iommu_info info;
	struct keel_iommu_container *c;
	struct keel_vfio_container *vc;
	struct keel_iommu_caps caps;
	unsigned int op, i, hist[6] = { 0 };
	bool fill;
	struct model *m;
	char args[128];
	uint8_t *buf;
	int ret = TEST_FAILED;

	snprintf(args, sizeof(args), "dev=%s", bdf);
	c = keel_iommu_container_create(KEEL_IOMMU_VFIO, args);
	if (c == NULL && (errno == EPERM || errno == EBUSY))
		return keel_test_skip("%s: %s", bdf, strerror(errno));
	TEST_ASSERT(c != NULL, "create vfio container: %s", strerror(errno));
	TEST_ASSERT_SUCCESS(keel_iommu_caps_get(c, &caps), "caps");
	vc = keel_vfio_backend_container(keel_iommu_container_backend_priv(c));
	TEST_ASSERT_SUCCESS(keel_vfio_iommu_info(vc, &info), "GET_INFO");
	for (i = 0; i < caps.n_ranges && base == 0; i++)
		if (caps.ranges[i].last - caps.ranges[i].start > (NCH + 32) * CH)
			base = ((caps.ranges[i].start + 0xfffffULL) & ~0xfffffULL) +
			       0x100000ULL;
	TEST_ASSERT(base != 0, "a usable range of %llu chunks", NCH + 32ULL);
	m = calloc(1, sizeof(*m));
	buf = mmap(NULL, NCH * CH, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(m != NULL && buf != MAP_FAILED, "memory");
	va = (uint64_t)(uintptr_t)buf;
	m->limit = caps.max_mappings;
	/* a limit the default mix would not reach (it keeps about NCH / 2
	 * calls live): fill the window with one-chunk maps first */
	fill = m->limit >= NCH / 2 && m->limit < NCH;
	printf("  %s: chunks at IOVA 0x%" PRIx64 ", limit %" PRIu64 ", DMA_AVAIL %u, "
	       "%u ops, seed %" PRIu64 "\n", bdf, base, m->limit, info.dma_avail,
	       ops, seed);
	for (op = 0; op < ops; op++) {
		uint32_t a = (uint32_t)(test_rand(&st) % NCH);
		uint32_t n = 1 + (uint32_t)(test_rand(&st) % (fill ? 1 :
			test_rand(&st) % 4 ? 3 : 12));
		bool unmap = test_rand(&st) % (fill && op < ops / 2 ? 7 : 2) == 1,
		     wrong;
		int want, got;

		if (unmap && test_rand(&st) % 5 < 3 && m->ch[a].mapped) {
			/* a whole map call, sometimes with the calls right
			 * after it: the unmaps that succeed */
			a = m->ch[a].first;
			n = m->ch[a].n;
			while (test_rand(&st) % 3 == 0 && a + n < NCH &&
			       m->ch[a + n].mapped)
				n += m->ch[a + n].n;
		}
		if (fill && !unmap && op < ops / 2) {
			/* filling: the next free chunk, so that the maps
			 * reach the limit whatever the seed */
			for (i = 0; i < NCH && m->ch[a].mapped; i++)
				a = (a + 1) % NCH;
		}
		if (a + n > NCH)
			n = NCH - a;
		wrong = unmap && test_rand(&st) % 8 == 0 &&
			model_unmap_check(m, a, n) == 0;
		test_log_capture_start();
		if (unmap) {
			want = model_unmap(m, a, n, wrong);
			got = keel_iommu_dma_unmap(c, va + a * CH + (wrong ? CH : 0),
						   base + a * CH, n * CH);
		} else {
			want = model_map(m, a, n);
			got = keel_iommu_dma_map(c, va + a * CH, base + a * CH, n * CH, KEEL_IOMMU_ACCESS_RW);
		}
		free(test_log_capture_stop());
		if (got != want) {
			printf("  seed %" PRIu64 " op %u: %s chunks %u+%u%s: %d, the "
			       "model says %d\n", seed, op, unmap ? "unmap" : "map",
			       a, n, wrong ? " (wrong VA)" : "", got, want);
			goto out;
		}
		hist[want == 0 ? 0 : want == -EEXIST ? 1 : want == -ENOENT ? 2 :
		     want == -ENOTSUP ? 3 : want == -EFAULT ? 4 : 5]++;
		if (compare(c, vc, m, va, base, info.dma_avail,
			    op % PROBE_EVERY == PROBE_EVERY - 1 || op + 1 == ops,
			    seed, op) != TEST_SUCCESS)
			goto out;
	}
	printf("  ok %u, EEXIST %u, ENOENT %u, ENOTSUP %u, EFAULT %u, ENOSPC %u; "
	       "%" PRIu64 " mappings live\n", hist[0], hist[1], hist[2], hist[3],
	       hist[4], hist[5], m->calls);
	if (hist[0] < ops / 5 || hist[1] == 0 || hist[2] == 0 ||
	    (!fill && hist[3] == 0) ||
	    (m->limit != 0 && m->limit < NCH && hist[5] == 0)) {
		printf("  the random mix did not exercise the table\n");
		goto out;
	}
	ret = TEST_SUCCESS;
out:
	if (ret != TEST_SUCCESS)
		printf("  rerun with KEEL_TEST_SEED=%" PRIu64 "\n", seed);
	/* destroy unmaps what is left: the kernel is back where it was */
	test_log_capture_start();
	keel_iommu_container_destroy(c);
	free(test_log_capture_stop());
	munmap(buf, NCH * CH);
	free(m);
	return ret;
}

static int
test_vfio_real_model(void)
{
	char bdf[300];

	if (test_vfio_find_dev(bdf, sizeof(bdf)) < 0)
		return keel_test_skip("no device bound to vfio-pci");
	return model_body(bdf, 400);
}
KEEL_TEST(vfio_real_model, "vfio", TEST_NEED_VFIO | TEST_NEED_ROOT | TEST_NO_EAL | TEST_RANDOM, test_vfio_real_model)

/* the same on the fake kernel: default, and with limits of 24 and 64 */
static int
test_vfio_real_model_on_fake(void)
{
	struct fake_vfio_cfg cfg;

	WITH_FAKE(NULL, model_body("0000:00:03.0", 2000));
	memset(&cfg, 0, sizeof(cfg));
	cfg.dma_entry_limit = 24;
	WITH_FAKE(&cfg, model_body("0000:00:03.0", 2000));
	cfg.dma_entry_limit = 64;
	WITH_FAKE(&cfg, model_body("0000:00:03.0", 400));
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_real_model_on_fake, "fast", TEST_NO_EAL | TEST_RANDOM, test_vfio_real_model_on_fake)
