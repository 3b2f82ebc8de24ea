/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "vfio" suite: IOVA placement around the reserved regions the kernel
 * reports for the device's IOMMU group (on x86, VT-d and virtio-iommu alike
 * report the MSI window 0xfee00000-0xfeefffff; read from sysfs here, never
 * assumed). For each region: the kernel itself refuses a map there; Keel's
 * container refuses a map at it, or straddling its start, with
 * -EADDRNOTAVAIL before the kernel is asked (no backend call); a map right
 * after it goes through; keel_iommu_dma_register() of a buffer whose VA
 * lies on the region never places it there (IOVA = VA is not taken); and,
 * where the usable space below the region is small, first fit skips over
 * the region. The body also runs in the fast suite on the fake kernel, as
 * a VT-d guest and as a virtio-iommu guest (64-bit aperture, every page
 * size) would report.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake_vfio.h"
#include "keel_iommu.h"
#include "keel_vfio.h"
#include "test.h"

#define CH UINT64_C(0x10000)
#define PG UINT64_C(0x1000)
#define RW (KEEL_IOMMU_PROT_READ | KEEL_IOMMU_PROT_WRITE)
#define MAX_RESV 16

static const char *
resv_name(enum keel_vfio_resv_type t)
{
	switch (t) {
	case KEEL_VFIO_RESV_DIRECT: return "direct";
	case KEEL_VFIO_RESV_DIRECT_RELAXABLE: return "direct-relaxable";
	case KEEL_VFIO_RESV_RESERVED: return "reserved";
	case KEEL_VFIO_RESV_MSI: return "msi";
	default: return "unknown";
	}
}

/* the reserved regions sysfs lists for the group of @p bdf */
static int
read_resv(const char *bdf, struct keel_vfio_resv *r, unsigned int *n)
{
	char path[512], text[4096];
	int group, ret;
	FILE *f;
	size_t len;

	ret = keel_vfio_pci_group_num(bdf, &group);
	if (ret != 0)
		return ret;
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/reserved_regions",
		 keel_vfio_get_sysfs_root(), group);
	f = fopen(path, "r");
	if (f == NULL)
		return -errno;
	len = fread(text, 1, sizeof(text), f);
	fclose(f);
	return keel_vfio_resv_parse(text, len, r, MAX_RESV, n);
}

/* is [a, b] inside one of the ranges? */
static bool
usable(const struct keel_iommu_caps *caps, uint64_t a, uint64_t b)
{
	unsigned int i;

	for (i = 0; i < caps->n_ranges; i++)
		if (caps->ranges[i].start <= a && b <= caps->ranges[i].last)
			return true;
	return false;
}

/* the usable range holding @p a, or NULL */
static const struct keel_iova_range *
range_of(const struct keel_iommu_caps *caps, uint64_t a)
{
	unsigned int i;

	for (i = 0; i < caps->n_ranges; i++)
		if (caps->ranges[i].start <= a && a <= caps->ranges[i].last)
			return &caps->ranges[i];
	return NULL;
}

/* Keel refuses [iova, iova + len) without asking the kernel */
static int
refused_early(struct keel_iommu_container *c, uint64_t va, uint64_t iova,
	      uint64_t len, const char *what)
{
	struct keel_iommu_stats s0, s1;
	int ret;

	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &s0), "stats");
	test_log_capture_start();
	ret = keel_iommu_dma_map(c, va, iova, len, KEEL_IOMMU_ACCESS_RW);
	free(test_log_capture_stop());
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &s1), "stats");
	TEST_ASSERT_EQUAL(ret, -EADDRNOTAVAIL, "%s: map at 0x%" PRIx64, what, iova);
	TEST_ASSERT_EQUAL(s1.backend_maps, s0.backend_maps,
			  "%s: the kernel was asked", what);
	TEST_ASSERT_EQUAL(s1.refused, s0.refused + 1, "%s: not counted", what);
	TEST_ASSERT_EQUAL(s1.entries, s0.entries, "%s: table changed", what);
	return TEST_SUCCESS;
}

/* register a buffer placed at VA @p want (if that VA is free): the IOVA
 * must keep out of [r->start, r->last] */
static int
register_at(struct keel_iommu_container *c, const struct keel_vfio_resv *r,
	    uint64_t want, uint64_t len)
{
	uint64_t iova;
	void *p;

	p = mmap((void *)(uintptr_t)want, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED || (uint64_t)(uintptr_t)p != want) {
		if (p != MAP_FAILED)
			munmap(p, len);
		printf("  VA 0x%" PRIx64 " is taken in this process: IOVA = VA "
		       "case not run\n", want);
		return TEST_SUCCESS;
	}
	TEST_ASSERT_SUCCESS(keel_iommu_dma_register(c, want, len, 0, &iova),
			    "register VA 0x%" PRIx64, want);
	printf("  VA 0x%" PRIx64 " + 0x%" PRIx64 " registered at IOVA 0x%" PRIx64
	       "\n", want, len, iova);
	TEST_ASSERT(iova + len - 1 < r->start || iova > r->last,
		    "IOVA 0x%" PRIx64 " + 0x%" PRIx64 " touches the %s region",
		    iova, len, resv_name(r->type));
	TEST_ASSERT_EQUAL(keel_iommu_va2iova(c, want + PG), iova + PG, "va2iova");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, want, iova, len), "unregister");
	munmap(p, len);
	return TEST_SUCCESS;
}

/* first fit across the region, where the space below it is small */
static int
first_fit(struct keel_iommu_container *c, const struct keel_iommu_caps *caps,
	  const struct keel_vfio_resv *r, uint64_t va)
{
	const struct keel_iova_range *below = range_of(caps, r->start - 1);
	const struct keel_iova_range *above = range_of(caps, r->last + 1);
	uint64_t gap, iova, iova2;
	unsigned int i;

	if (r->start == 0 || r->last == UINT64_MAX || below == NULL ||
	    above == NULL)
		return TEST_SUCCESS;
	/* only the range right below the region, and nothing before it */
	for (i = 0; i < caps->n_ranges && &caps->ranges[i] != below; i++)
		;
	gap = below->last - below->start + 1;
	if (i > 0 || gap > 4 * CH || above->last - above->start < 8 * CH) {
		printf("  0x%" PRIx64 " usable bytes below the %s region: first "
		       "fit across it not checked here\n", gap, resv_name(r->type));
		return TEST_SUCCESS;
	}
	/* more than the gap holds: after the region */
	TEST_ASSERT_SUCCESS(keel_iommu_dma_register(c, va, gap + CH, 32, &iova),
			    "register 0x%" PRIx64, gap + CH);
	TEST_ASSERT_EQUAL(iova, above->start, "placed after the region");
	/* one chunk: in the gap, below the region */
	TEST_ASSERT_SUCCESS(keel_iommu_dma_register(c, va + 8 * CH, CH, 32, &iova2),
			    "register a chunk");
	TEST_ASSERT(iova2 >= below->start && iova2 + CH - 1 < r->start,
		    "chunk at 0x%" PRIx64 ", not in the gap below", iova2);
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, va, iova, gap + CH), "unmap");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, va + 8 * CH, iova2, CH), "unmap");
	printf("  first fit: 0x%" PRIx64 " bytes after the region at 0x%" PRIx64
	       ", a chunk below it at 0x%" PRIx64 "\n", gap + CH, iova, iova2);
	return TEST_SUCCESS;
}

static int
resv_body(const char *bdf)
{
	struct keel_vfio_resv resv[MAX_RESV];
	struct keel_iommu_container *c;
	struct keel_vfio_container *vc;
	struct keel_iommu_caps caps;
	uint64_t va, top, un;
	unsigned int n = 0, i, checked = 0;
	char args[128];
	uint8_t *buf;
	int ret;

	snprintf(args, sizeof(args), "dev=%s", bdf);
	c = keel_iommu_container_create(KEEL_IOMMU_VFIO, args);
	if (c == NULL && (errno == EPERM || errno == EBUSY))
		return keel_test_skip("%s: %s", bdf, strerror(errno));
	TEST_ASSERT(c != NULL, "create vfio container: %s", strerror(errno));
	TEST_ASSERT_SUCCESS(keel_iommu_caps_get(c, &caps), "caps");
	vc = keel_vfio_backend_container(keel_iommu_container_backend_priv(c));
	TEST_ASSERT_SUCCESS(read_resv(bdf, resv, &n), "reserved_regions of %s", bdf);
	top = caps.addr_width >= 64 ? UINT64_MAX : (1ULL << caps.addr_width) - 1;
	printf("  %s: aw %u, pgsizes 0x%" PRIx64 ", %u usable ranges, %u "
	       "reserved regions\n", bdf, caps.addr_width, caps.pgsize_bitmap,
	       caps.n_ranges, n);
	for (i = 0; i < n; i++)
		printf("  reserved [0x%" PRIx64 ", 0x%" PRIx64 "] %s\n",
		       resv[i].start, resv[i].last, resv_name(resv[i].type));
	buf = mmap(NULL, 16 * CH, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(buf != MAP_FAILED, "mmap");
	va = (uint64_t)(uintptr_t)buf;
	for (i = 0; i < n; i++) {
		const struct keel_vfio_resv *r = &resv[i];
		uint64_t s = r->start & ~(PG - 1);

		if (r->type == KEEL_VFIO_RESV_DIRECT_RELAXABLE || r->start > top)
			continue;
		checked++;
		/* Keel's usable ranges leave the whole region out */
		TEST_ASSERT(!usable(&caps, r->start, r->start) &&
			    !usable(&caps, r->last, r->last),
			    "region [0x%" PRIx64 ", 0x%" PRIx64 "] is in a usable "
			    "range", r->start, r->last);
		/* so does the kernel: a map there behind Keel's back fails */
		test_log_capture_start();
		ret = keel_vfio_dma_map(vc, va, s, PG, RW);
		free(test_log_capture_stop());
		if (ret == 0)
			keel_vfio_dma_unmap(vc, s, PG, &un);
		TEST_ASSERT_EQUAL(ret, -EINVAL, "the kernel maps 0x%" PRIx64, s);
		/* Keel refuses at the region and across its start */
		if (refused_early(c, va, s, CH, "at the start") != TEST_SUCCESS)
			return TEST_FAILED;
		if (s >= CH &&
		    refused_early(c, va, s - CH, 2 * CH, "across the start") !=
		    TEST_SUCCESS)
			return TEST_FAILED;
		/* right after it is fine (a kernel map) */
		if (r->last < top - CH && usable(&caps, r->last + 1, r->last + CH)) {
			TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, va, r->last + 1, CH, KEEL_IOMMU_ACCESS_RW),
					    "map right after 0x%" PRIx64, r->last);
			TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, va, r->last + 1, CH),
					    "unmap");
		}
		/* automatic IOVAs: a VA on the region or straddling it */
		if (s >= 32 * CH && register_at(c, r, s - 16 * CH, 32 * CH) !=
		    TEST_SUCCESS)
			return TEST_FAILED;
		if (register_at(c, r, s, 2 * CH) != TEST_SUCCESS)
			return TEST_FAILED;
		if (first_fit(c, &caps, r, va) != TEST_SUCCESS)
			return TEST_FAILED;
	}
	munmap(buf, 16 * CH);
	TEST_ASSERT_SUCCESS(keel_iommu_container_destroy(c), "destroy");
	if (checked == 0)
		return keel_test_skip("no reserved region below 2^%u for %s",
				      caps.addr_width, bdf);
	return TEST_SUCCESS;
}

static int
test_vfio_real_resv(void)
{
	char bdf[300];

	if (test_vfio_find_dev(bdf, sizeof(bdf)) < 0)
		return keel_test_skip("no device bound to vfio-pci");
	return resv_body(bdf);
}
KEEL_TEST(vfio_real_resv, "vfio", TEST_NEED_VFIO | TEST_NEED_ROOT | TEST_NO_EAL,
	  test_vfio_real_resv)

/*
 * The same body on the fake kernel, shaped like each guest: VT-d (aw 39,
 * 4K|2M|1G), virtio-iommu (64-bit aperture, every page size from 4K), and
 * a narrow aperture where first fit has to skip the MSI window.
 */
static int
test_vfio_real_resv_on_fake(void)
{
	struct fake_vfio_cfg cfg;

	WITH_FAKE(NULL, resv_body("0000:00:03.0"));
	memset(&cfg, 0, sizeof(cfg));
	cfg.pgsizes = 0xfffffffffffff000ULL;
	cfg.n_ranges = 2;
	cfg.ranges[0] = (struct keel_iova_range){ 0, 0xfedfffffULL };
	cfg.ranges[1] = (struct keel_iova_range){ 0xfef00000ULL, UINT64_MAX };
	WITH_FAKE(&cfg, resv_body("0000:00:03.0"));
	cfg.n_ranges = 2;
	cfg.ranges[0] = (struct keel_iova_range){ 0xfedd0000ULL, 0xfedfffffULL };
	cfg.ranges[1] = (struct keel_iova_range){ 0xfef00000ULL, 0xffffffffULL };
	WITH_FAKE(&cfg, resv_body("0000:00:03.0"));
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_real_resv_on_fake, "fast", TEST_NO_EAL, test_vfio_real_resv_on_fake)
