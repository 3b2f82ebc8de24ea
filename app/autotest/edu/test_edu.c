/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "vfio" suite: the dma_edu driver on a real QEMU edu device (1234:11e8)
 * behind VFIO, as in devtools/vm/run-vm.py's guest. The runner initialises
 * the EAL with the user's arguments (the vm suite: --no-huge -m 64, default
 * IOVA mode VA, --iommu auto), and the PCI bus hands the edu device to
 * dma_edu. The device sits behind the default container when that is VFIO
 * (aw-bits 48 guest) or behind a VFIO container of the driver's own (aw-bits
 * 39 guest: EAL memory at IOVA = VA is beyond the IOMMU's width, so auto
 * falls back to the emulated IOMMU); keel_dma_edu_container() says which.
 *
 * Buffers: EAL memory in VA mode has IOVAs above 2^28, out of the edu
 * device's reach, so the copy tests mmap their own buffers and map them in
 * the device's container with keel_iommu_dma_register(c, va, len, 28,
 * &iova), which places them below 2^28; the test with keel_malloc() memory
 * checks that the driver refuses an IOVA past the mask (and copies when it
 * is below and in the device's container, as with --iova-mode alloc).
 *
 * Each edu transfer takes ~100 ms of QEMU virtual time, so the tests keep
 * transfers few (about 20 in all). Every buffer and mapping is released
 * before a test returns; the device is stopped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "keel_dma_edu.h"
#include "keel_dmadev.h"
#include "keel_iommu.h"
#include "keel_malloc.h"
#include "keel_memory.h"
#include "test.h"

#define EDU_MASK_END     (1ull << KEEL_DMA_EDU_DEFAULT_MASK_BITS)
#define WAIT_TIMEOUT_NS  60000000000ull   /* 60 s: TCG on a loaded host */
#define PAGE             4096ul

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* the IOMMU container of the edu device under test */
static struct keel_iommu_container *edu_cont;

/* The first edu DMA device, or a skip / failure reason. */
static int
find_edu(int16_t *out)
{
	struct keel_dma_info info;
	int16_t id;

	KEEL_DMA_FOREACH_DEV(id) {
		if (keel_dma_info_get(id, &info) == 0 &&
		    strcmp(info.driver, "dma_edu") == 0) {
			*out = id;
			edu_cont = keel_dma_edu_container(id);
			if (edu_cont == NULL) {
				printf("  %s has no IOMMU container\n",
				       info.dev_name);
				return TEST_FAILED;
			}
			return TEST_SUCCESS;
		}
	}
	if (access("/sys/bus/pci/drivers/vfio-pci", F_OK) == 0 &&
	    system("grep -qs 0x11e8 /sys/bus/pci/drivers/vfio-pci/*/device")
	    == 0) {
		printf("  an edu device is bound to vfio-pci but dma_edu did "
		       "not take it (see the log; -a/-b filters?)\n");
		return TEST_FAILED;
	}
	return keel_test_skip("no QEMU edu device bound to vfio-pci");
}

static int
edu_setup(int16_t id, uint16_t nb_desc)
{
	struct keel_dma_conf conf = { .nb_vchans = 1 };
	struct keel_dma_vchan_conf vc = {
		.direction = KEEL_DMA_DIR_MEM_TO_MEM, .nb_desc = nb_desc,
	};
	int ret;

	keel_dma_stop(id);
	ret = keel_dma_configure(id, &conf);
	if (ret == 0)
		ret = keel_dma_vchan_setup(id, 0, &vc);
	if (ret == 0)
		ret = keel_dma_start(id);
	return ret;
}

/* Collect n ops' statuses (polling); returns how many came back. */
static int
collect(int16_t id, uint16_t n, enum keel_dma_status_code *st,
	uint16_t *last)
{
	uint64_t t0 = now_ns();
	uint16_t got = 0;

	while (got < n && now_ns() - t0 < WAIT_TIMEOUT_NS) {
		uint16_t k = keel_dma_completed_status(id, 0, n - got, last,
						       st + got);

		got += k;
		if (k == 0)
			usleep(2000);
	}
	return got;
}

/* An anonymous buffer mapped below 2^28 in the default container. */
struct lowbuf {
	uint8_t *va;
	uint64_t len;
	uint64_t iova;
	int mapped;
};

static int
lowbuf_get(struct lowbuf *b, uint64_t len)
{
	struct keel_iommu_container *c = edu_cont;
	int ret;

	memset(b, 0, sizeof(*b));
	b->len = len;
	b->va = mmap(NULL, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (b->va == MAP_FAILED) {
		b->va = NULL;
		return -errno;
	}
	ret = keel_iommu_dma_register(c, (uint64_t)(uintptr_t)b->va, len,
				      KEEL_DMA_EDU_DEFAULT_MASK_BITS,
				      &b->iova);
	if (ret < 0)
		return ret;
	b->mapped = 1;
	if (b->iova + len > EDU_MASK_END)
		return -ERANGE;
	return 0;
}

static int
lowbuf_unmap(struct lowbuf *b)
{
	int ret = 0;

	if (b->mapped)
		ret = keel_iommu_dma_unmap(edu_cont,
					   (uint64_t)(uintptr_t)b->va, b->iova,
					   b->len);
	if (ret == 0)
		b->mapped = 0;
	return ret;
}

static void
lowbuf_put(struct lowbuf *b)
{
	lowbuf_unmap(b);
	if (b->va != NULL)
		munmap(b->va, b->len);
	b->va = NULL;
}

static void
fill_random(uint8_t *p, size_t len, uint64_t *state)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)test_rand(state);
}

/* First offset in [0, len) where p differs from want, or -1. */
static long
first_diff(const uint8_t *p, const uint8_t *want, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != want[i])
			return (long)i;
	return -1;
}

static long
first_not(const uint8_t *p, uint8_t v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return (long)i;
	return -1;
}

/* ------------------------------------------------------------- API */

static int
api_body(int16_t id)
{
	struct keel_dma_conf conf = { .nb_vchans = 2 };
	struct keel_dma_vchan_conf vc = {
		.direction = KEEL_DMA_DIR_MEM_TO_DEV, .nb_desc = 8,
	};
	struct keel_dma_sge sge = { .addr = 0x1000, .length = 16 };
	enum keel_dma_status_code st[8];
	struct keel_dma_stats stats;
	struct keel_dma_info info;
	uint16_t last = 0;
	bool herr = false;
	int i, ret;

	TEST_ASSERT_SUCCESS(keel_dma_info_get(id, &info), "info");
	printf("  %s: capa 0x%llx desc %u..%u\n", info.dev_name,
	       (unsigned long long)info.dev_capa, info.min_desc,
	       info.max_desc);
	TEST_ASSERT(info.dev_capa & KEEL_DMA_CAPA_MEM_TO_MEM, "mem to mem");
	TEST_ASSERT(info.dev_capa & KEEL_DMA_CAPA_OPS_COPY, "copy");
	TEST_ASSERT(!(info.dev_capa & (KEEL_DMA_CAPA_OPS_FILL |
				       KEEL_DMA_CAPA_OPS_COPY_SG |
				       KEEL_DMA_CAPA_SVA)),
		    "fill, copy_sg and SVA must not be claimed");
	TEST_ASSERT_EQUAL(info.max_vchans, 1, "one vchan");
	TEST_ASSERT_EQUAL(info.max_sges, 0, "no scatter-gather");
	TEST_ASSERT_EQUAL(keel_dma_edu_dma_mask_bits(id), 28, "mask");
	TEST_ASSERT_EQUAL(keel_dma_edu_dma_mask_bits(-1), -EINVAL, "bad id");

	keel_dma_stop(id);
	TEST_ASSERT_EQUAL(keel_dma_configure(id, &conf), -EINVAL, "2 vchans");
	conf.nb_vchans = 1;
	TEST_ASSERT_SUCCESS(keel_dma_configure(id, &conf), "configure");
	TEST_ASSERT_EQUAL(keel_dma_vchan_setup(id, 0, &vc), -EINVAL,
			  "mem to dev direction");
	vc.direction = KEEL_DMA_DIR_MEM_TO_MEM;
	vc.nb_desc = 3;
	TEST_ASSERT_EQUAL(keel_dma_vchan_setup(id, 0, &vc), -EINVAL,
			  "ring size 3");
	vc.nb_desc = (uint16_t)(info.max_desc * 2);
	TEST_ASSERT_EQUAL(keel_dma_vchan_setup(id, 0, &vc), -EINVAL,
			  "ring too big");
	TEST_ASSERT_EQUAL(keel_dma_copy(id, 0, 0x1000, 0x2000, 16, 0), -EINVAL,
			  "copy before start");
	TEST_ASSERT_EQUAL(keel_dma_edu_set_dma_mask_bits(id, 5), -EINVAL,
			  "5-bit mask");
	TEST_ASSERT_SUCCESS(keel_dma_edu_set_dma_mask_bits(id, 40), "mask 40");
	TEST_ASSERT_EQUAL(keel_dma_edu_dma_mask_bits(id), 40, "mask now");
	TEST_ASSERT_SUCCESS(keel_dma_edu_set_dma_mask_bits(id, 28), "mask 28");

	/* ring full; no op is submitted, so the device does nothing */
	TEST_ASSERT_SUCCESS(edu_setup(id, 8), "setup");
	TEST_ASSERT_EQUAL(keel_dma_edu_set_dma_mask_bits(id, 40), -EBUSY,
			  "mask change while started");
	TEST_ASSERT_EQUAL(keel_dma_fill(id, 0, 0, 0x1000, 16, 0), -ENOTSUP,
			  "fill");
	TEST_ASSERT_EQUAL(keel_dma_copy_sg(id, 0, &sge, &sge, 1, 1, 0),
			  -EINVAL, "copy_sg");
	TEST_ASSERT_EQUAL(keel_dma_copy(id, 0, 0x1000, 0x2000, 0, 0), -EINVAL,
			  "length 0");
	TEST_ASSERT_EQUAL(keel_dma_copy(id, 1, 0x1000, 0x2000, 16, 0), -EINVAL,
			  "vchan 1");
	TEST_ASSERT_EQUAL(keel_dma_burst_capacity(id, 0), 8, "capacity");
	for (i = 0; i < 8; i++)
		TEST_ASSERT_EQUAL(keel_dma_copy(id, 0, 0x1000, 0x2000, 16, 0), i,
				  "ring index %d", i);
	TEST_ASSERT_EQUAL(keel_dma_copy(id, 0, 0x1000, 0x2000, 16, 0), -ENOSPC,
			  "ring full");
	TEST_ASSERT_EQUAL(keel_dma_burst_capacity(id, 0), 0, "no capacity");
	/* stop drops what was not submitted */
	TEST_ASSERT_SUCCESS(keel_dma_stop(id), "stop");

	/*
	 * Ranges reaching the 28-bit mask complete with an error status and
	 * never reach the device (an aliased DMA would hit another IOVA).
	 */
	TEST_ASSERT_SUCCESS(keel_dma_start(id), "restart");
	TEST_ASSERT_EQUAL(keel_dma_copy(id, 0, EDU_MASK_END, 0x2000, 64, 0), 0,
			  "index restarts at 0");
	TEST_ASSERT_EQUAL(keel_dma_copy(id, 0, 0x1000, EDU_MASK_END - 16, 32,
					0), 1, "straddling destination");
	TEST_ASSERT_EQUAL(keel_dma_copy(id, 0, UINT64_MAX - 8, 0x2000, 64,
					KEEL_DMA_OP_FLAG_SUBMIT), 2,
			  "wrapping source");
	TEST_ASSERT_EQUAL(keel_dma_completed(id, 0, 8, &last, &herr), 0,
			  "completed stops at the first error");
	TEST_ASSERT(herr, "has_error");
	TEST_ASSERT_EQUAL(collect(id, 3, st, &last), 3, "statuses");
	TEST_ASSERT_EQUAL(st[0], KEEL_DMA_STATUS_INVALID_SRC_ADDR, "src");
	TEST_ASSERT_EQUAL(st[1], KEEL_DMA_STATUS_INVALID_DST_ADDR, "dst");
	TEST_ASSERT_EQUAL(st[2], KEEL_DMA_STATUS_INVALID_SRC_ADDR, "wrap");
	TEST_ASSERT_EQUAL(last, 2, "last index");
	TEST_ASSERT_SUCCESS(keel_dma_stats_get(id, 0, &stats), "stats");
	TEST_ASSERT_EQUAL(stats.submitted, 3, "submitted");
	TEST_ASSERT_EQUAL(stats.completed, 3, "completed");
	TEST_ASSERT_EQUAL(stats.errors, 3, "errors");
	TEST_ASSERT_SUCCESS(keel_dma_stats_reset(id, 0), "stats reset");
	TEST_ASSERT_SUCCESS(keel_dma_stats_get(id, KEEL_DMA_ALL_VCHAN, &stats),
			    "stats");
	TEST_ASSERT_EQUAL(stats.submitted + stats.completed + stats.errors, 0,
			  "zero after reset");
	ret = keel_dma_dump(id, stdout);
	TEST_ASSERT_SUCCESS(ret, "dump");
	return TEST_SUCCESS;
}

static int
test_edu_api(void)
{
	int16_t id;
	int ret = find_edu(&id);

	if (ret != TEST_SUCCESS)
		return ret;
	ret = api_body(id);
	keel_dma_stop(id);
	keel_dma_edu_set_dma_mask_bits(id, KEEL_DMA_EDU_DEFAULT_MASK_BITS);
	return ret;
}

KEEL_TEST(edu_api, "vfio", TEST_NEED_VFIO | TEST_NEED_ROOT, test_edu_api)

/* -------------------------------------------------------------- copy */

#define COPY_BUF (4 * PAGE)
#define GUARD    64

static int
copy_body(int16_t id, struct lowbuf *src, struct lowbuf *dst, uint64_t seed)
{
	/* len, src offset, dst offset: 3 steps (4095 + 4095 + 100) crossing
	 * pages at odd offsets; 1 byte; exactly 4095 bytes */
	static const uint32_t ops[][3] = {
		{ 2 * KEEL_DMA_EDU_MAX_XFER + 100, 3, GUARD + 5 },
		{ 1, 8600, 8500 },
		{ KEEL_DMA_EDU_MAX_XFER, 7, 8600 },
	};
	uint8_t want[COPY_BUF];
	enum keel_dma_status_code st[3];
	struct keel_dma_stats stats;
	uint64_t state = seed, t0;
	uint16_t last = 0;
	int i;

	TEST_ASSERT(ops[0][2] + ops[0][0] + GUARD <= ops[1][2] &&
		    ops[1][2] + 1 + GUARD <= ops[2][2] &&
		    ops[2][2] + ops[2][0] + GUARD <= COPY_BUF, "layout");
	fill_random(src->va, COPY_BUF, &state);
	memset(dst->va, 0xa5, COPY_BUF);
	memset(want, 0xa5, sizeof(want));
	printf("  src iova 0x%llx dst iova 0x%llx\n",
	       (unsigned long long)src->iova, (unsigned long long)dst->iova);

	TEST_ASSERT_SUCCESS(edu_setup(id, 4), "setup");
	t0 = now_ns();
	for (i = 0; i < 3; i++) {
		TEST_ASSERT_EQUAL(keel_dma_copy(id, 0, src->iova + ops[i][1],
						dst->iova + ops[i][2],
						ops[i][0],
						i == 2 ? KEEL_DMA_OP_FLAG_SUBMIT :
							 0), i, "enqueue %d", i);
		memcpy(want + ops[i][2], src->va + ops[i][1], ops[i][0]);
	}
	TEST_ASSERT_EQUAL(collect(id, 3, st, &last), 3,
			  "3 ops done within %llu s",
			  WAIT_TIMEOUT_NS / 1000000000ull);
	printf("  3 copies (%u bytes, 10 device transfers) in %.2f s\n",
	       ops[0][0] + ops[1][0] + ops[2][0],
	       (double)(now_ns() - t0) / 1e9);
	for (i = 0; i < 3; i++)
		TEST_ASSERT_EQUAL(st[i], KEEL_DMA_STATUS_SUCCESSFUL,
				  "op %d status %s", i,
				  keel_dma_status_name(st[i]));
	TEST_ASSERT_EQUAL(last, 2, "last index");
	{
		long d = first_diff(dst->va, want, COPY_BUF);

		TEST_ASSERT(d < 0, "destination byte %ld is 0x%02x, want 0x%02x "
			    "(seed %llu)", d, d < 0 ? 0 : dst->va[d],
			    d < 0 ? 0 : want[d], (unsigned long long)seed);
	}
	TEST_ASSERT_SUCCESS(keel_dma_stats_get(id, 0, &stats), "stats");
	TEST_ASSERT_EQUAL(stats.completed, 3, "completed");
	TEST_ASSERT_EQUAL(stats.errors, 0, "errors");
	return TEST_SUCCESS;
}

static int
test_edu_copy(void)
{
	struct lowbuf src, dst;
	uint64_t seed = keel_test_seed();
	int16_t id;
	int ret = find_edu(&id);

	if (ret != TEST_SUCCESS)
		return ret;
	ret = lowbuf_get(&src, COPY_BUF);
	if (ret == 0)
		ret = lowbuf_get(&dst, COPY_BUF);
	else
		memset(&dst, 0, sizeof(dst));
	if (ret < 0) {
		printf("  buffers below 2^28: %s\n", strerror(-ret));
		ret = TEST_FAILED;
	} else {
		ret = copy_body(id, &src, &dst, seed);
	}
	keel_dma_stop(id);
	lowbuf_put(&src);
	lowbuf_put(&dst);
	return ret;
}

KEEL_TEST(edu_copy, "vfio", TEST_NEED_VFIO | TEST_NEED_ROOT | TEST_RANDOM, test_edu_copy)

/* --------------------------------------------- unmapped destination */

static int
unmapped_body(int16_t id, struct lowbuf *src, struct lowbuf *ctl,
	      struct lowbuf *dst)
{
	enum keel_dma_status_code st[2];
	uint64_t dst_iova = dst->iova;
	uint64_t state = 7;
	uint16_t last = 0;
	long d;

	fill_random(src->va, PAGE, &state);
	memset(ctl->va, 0x3c, PAGE);
	memset(dst->va, 0x3c, PAGE);
	/* the device never touched dst; now take it out of the IOMMU */
	TEST_ASSERT_SUCCESS(lowbuf_unmap(dst), "unmap destination");
	TEST_ASSERT_SUCCESS(edu_setup(id, 2), "setup");
	/* control: the same copy to a mapped buffer lands */
	TEST_ASSERT_EQUAL(keel_dma_copy(id, 0, src->iova, ctl->iova, 256, 0),
			  0, "control copy");
	TEST_ASSERT_EQUAL(keel_dma_copy(id, 0, src->iova, dst_iova, 256,
					KEEL_DMA_OP_FLAG_SUBMIT), 1,
			  "copy to the unmapped IOVA");
	TEST_ASSERT_EQUAL(collect(id, 2, st, &last), 2, "both complete");
	TEST_ASSERT_EQUAL(st[0], KEEL_DMA_STATUS_SUCCESSFUL, "control status");
	printf("  copy to unmapped IOVA 0x%llx: status %s (edu cannot tell)\n",
	       (unsigned long long)dst_iova, keel_dma_status_name(st[1]));
	d = first_diff(ctl->va, src->va, 256);
	TEST_ASSERT(d < 0, "control copy: byte %ld differs", d);
	TEST_ASSERT_EQUAL(first_not(ctl->va + 256, 0x3c, PAGE - 256), -1,
			  "control copy wrote past its end");
	d = first_not(dst->va, 0x3c, PAGE);
	TEST_ASSERT(d < 0, "unmapped destination changed at byte %ld "
		    "(0x%02x)", d, d < 0 ? 0 : dst->va[d]);
	return TEST_SUCCESS;
}

static int
test_edu_unmapped_dst(void)
{
	struct lowbuf src, ctl, dst;
	int16_t id;
	int ret = find_edu(&id);

	if (ret != TEST_SUCCESS)
		return ret;
	memset(&ctl, 0, sizeof(ctl));
	memset(&dst, 0, sizeof(dst));
	ret = lowbuf_get(&src, PAGE);
	if (ret == 0)
		ret = lowbuf_get(&ctl, PAGE);
	if (ret == 0)
		ret = lowbuf_get(&dst, PAGE);
	if (ret < 0) {
		printf("  buffers below 2^28: %s\n", strerror(-ret));
		ret = TEST_FAILED;
	} else {
		ret = unmapped_body(id, &src, &ctl, &dst);
	}
	keel_dma_stop(id);
	lowbuf_put(&src);
	lowbuf_put(&ctl);
	lowbuf_put(&dst);
	return ret;
}

KEEL_TEST(edu_unmapped_dst, "vfio", TEST_NEED_VFIO | TEST_NEED_ROOT,
	  test_edu_unmapped_dst)

/* ----------------------------------------------- EAL memory (keel_malloc) */

static int
malloc_body(int16_t id, uint8_t *src, struct lowbuf *dst)
{
	uint64_t siova = keel_mem_virt2iova(src);
	enum keel_dma_status_code st;
	uint64_t state = 11;
	uint16_t last = 0;
	long d;

	TEST_ASSERT(siova != KEEL_BAD_IOVA, "keel_malloc buffer has an IOVA");
	if (siova + 512 <= EDU_MASK_END &&
	    edu_cont != keel_iommu_container_default())
		return keel_test_skip("EAL memory (IOVA 0x%llx) is in the "
				      "default container, not in the edu "
				      "device's", (unsigned long long)siova);
	fill_random(src, 512, &state);
	memset(dst->va, 0x77, PAGE);
	TEST_ASSERT_SUCCESS(edu_setup(id, 2), "setup");
	TEST_ASSERT_EQUAL(keel_dma_copy(id, 0, siova, dst->iova, 512,
					KEEL_DMA_OP_FLAG_SUBMIT), 0, "copy");
	TEST_ASSERT_EQUAL(collect(id, 1, &st, &last), 1, "completes");
	if (siova + 512 > EDU_MASK_END) {
		/* IOVA-as-VA: out of the device's reach, refused */
		printf("  keel_malloc IOVA 0x%llx is past the 28-bit mask: %s\n",
		       (unsigned long long)siova, keel_dma_status_name(st));
		TEST_ASSERT_EQUAL(st, KEEL_DMA_STATUS_INVALID_SRC_ADDR,
				  "status");
		TEST_ASSERT_EQUAL(first_not(dst->va, 0x77, PAGE), -1,
				  "destination untouched");
	} else {
		/* e.g. --iova-mode alloc: the copy happens */
		printf("  keel_malloc IOVA 0x%llx is below 2^28: copied\n",
		       (unsigned long long)siova);
		TEST_ASSERT_EQUAL(st, KEEL_DMA_STATUS_SUCCESSFUL, "status");
		d = first_diff(dst->va, src, 512);
		TEST_ASSERT(d < 0, "byte %ld differs", d);
		TEST_ASSERT_EQUAL(first_not(dst->va + 512, 0x77, PAGE - 512),
				  -1, "wrote past the end");
	}
	return TEST_SUCCESS;
}

static int
test_edu_eal_memory(void)
{
	struct lowbuf dst;
	uint8_t *src;
	int16_t id;
	int ret = find_edu(&id);

	if (ret != TEST_SUCCESS)
		return ret;
	src = keel_malloc("edu_test", 512, 64);
	TEST_ASSERT(src != NULL, "keel_malloc");
	ret = lowbuf_get(&dst, PAGE);
	if (ret < 0) {
		printf("  buffer below 2^28: %s\n", strerror(-ret));
		ret = TEST_FAILED;
	} else {
		ret = malloc_body(id, src, &dst);
	}
	keel_dma_stop(id);
	lowbuf_put(&dst);
	keel_free(src);
	return ret;
}

KEEL_TEST(edu_eal_memory, "vfio", TEST_NEED_VFIO | TEST_NEED_ROOT,
	  test_edu_eal_memory)
