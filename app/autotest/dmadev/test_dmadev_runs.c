/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dma_soft runs: back-to-back copies run under one emulated-IOMMU hold per
 * side. Where a mapping ends mid-run (read-only page, unmapped pages, a
 * source hole, a mapping not contiguous in memory) every op must still get
 * its own status, the data and the fault records must be exactly those of
 * op-by-op execution, and nothing stays held once the ops completed.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "keel_dmadev.h"
#include "keel_eal.h"
#include "keel_emu_iommu.h"
#include "keel_iommu.h"
#include "keel_vdev.h"
#include "test.h"

#define PG 4096ULL
#define N 12
#define S 0x7d00000000ULL
#define D 0x7d10000000ULL
#define RW (KEEL_EMU_PROT_READ | KEEL_EMU_PROT_WRITE)

static int
wait_done(int16_t id, uint16_t n, enum keel_dma_status_code *st)
{
	uint16_t got = 0, last;
	long t;

	for (t = 0; got < n && t < 200000000; t++)
		got += keel_dma_completed_status(id, 0, n - got, &last, st + got);
	return got;
}

static int
runs_body(int16_t id, struct keel_emu_domain *dom, uint8_t *a, uint8_t *b,
	  uint8_t *d, uint8_t *model)
{
	enum keel_dma_status_code st[64];
	struct keel_emu_fault f[16];
	uint64_t wi[] = { D + 4 * PG, D + 5 * PG, D + 6 * PG, S + 9 * PG };
	int want[N], k;
	unsigned int i, nf;

	for (i = 0; i < 6 * PG; i++) {
		a[i] = (uint8_t)(i * 3 + 1);
		b[i] = (uint8_t)(i * 5 + 7);
	}
	memset(d, 0xa5, N * PG);
	memcpy(model, d, N * PG);
	/* src: pages 0-5 at a, 6-8 and 10-11 at b (not VA-contiguous with a),
	 * page 9 unmapped; dst: 0-3 rw, 4 read-only, 5-6 unmapped, 7-11 rw */
	TEST_ASSERT_SUCCESS(keel_emu_map(dom, S, (uintptr_t)a, 6 * PG,
					 KEEL_EMU_PROT_READ), "map a");
	TEST_ASSERT_SUCCESS(keel_emu_map(dom, S + 6 * PG, (uintptr_t)b, 3 * PG,
					 KEEL_EMU_PROT_READ), "map b");
	TEST_ASSERT_SUCCESS(keel_emu_map(dom, S + 10 * PG, (uintptr_t)b + 4 * PG,
					 2 * PG, KEEL_EMU_PROT_READ), "map b2");
	TEST_ASSERT_SUCCESS(keel_emu_map(dom, D, (uintptr_t)d, 4 * PG, RW), "d");
	TEST_ASSERT_SUCCESS(keel_emu_map(dom, D + 4 * PG, (uintptr_t)d + 4 * PG,
					 PG, KEEL_EMU_PROT_READ), "d ro");
	TEST_ASSERT_SUCCESS(keel_emu_map(dom, D + 7 * PG, (uintptr_t)d + 7 * PG,
					 5 * PG, RW), "d2");
	keel_emu_fault_clear();
	for (k = 0; k < N; k++) {
		TEST_ASSERT_EQUAL(keel_dma_copy(id, 0, S + k * PG, D + k * PG, PG,
				  k == N - 1 ? KEEL_DMA_OP_FLAG_SUBMIT : 0), k,
				  "enqueue %d", k);
		want[k] = KEEL_DMA_STATUS_SUCCESSFUL;
		if (k >= 4 && k <= 6)
			want[k] = KEEL_DMA_STATUS_INVALID_DST_ADDR;
		if (k == 9)
			want[k] = KEEL_DMA_STATUS_INVALID_SRC_ADDR;
		if (want[k] == KEEL_DMA_STATUS_SUCCESSFUL)
			memcpy(model + k * PG,
			       k < 6 ? a + k * PG : b + (k - 6) * PG, PG);
	}
	TEST_ASSERT_EQUAL(wait_done(id, N, st), N, "all completed");
	for (k = 0; k < N; k++)
		TEST_ASSERT_EQUAL(st[k], want[k], "status of op %d", k);
	TEST_ASSERT(memcmp(d, model, N * PG) == 0, "data as op by op");
	nf = keel_emu_fault_read(f, 16);
	TEST_ASSERT_EQUAL(nf, 4, "four faults");
	for (i = 0; i < 4; i++)
		TEST_ASSERT(f[i].iova == wi[i] && f[i].len == PG,
			    "fault %u at 0x%" PRIx64 " len %" PRIu64, i,
			    f[i].iova, f[i].len);
	/* nothing is held after completion: everything unmaps at once */
	TEST_ASSERT(keel_emu_unmap(dom, S, 6 * PG, NULL) >= 0, "unmap a");
	TEST_ASSERT(keel_emu_unmap(dom, S + 6 * PG, 3 * PG, NULL) >= 0, "b");
	TEST_ASSERT(keel_emu_unmap(dom, S + 10 * PG, 2 * PG, NULL) >= 0, "b2");
	TEST_ASSERT(keel_emu_unmap(dom, D, 5 * PG, NULL) >= 0, "unmap d");
	TEST_ASSERT(keel_emu_unmap(dom, D + 7 * PG, 5 * PG, NULL) >= 0, "d2");
	return TEST_SUCCESS;
}

static int
test_dmadev_soft_runs(void)
{
	static const char *const modes[] = { "mode=worker", "mode=inline",
					     "lcore=any" };
	struct keel_iommu_container *c = keel_iommu_container_default();
	struct keel_dma_conf conf = { .nb_vchans = 1 };
	struct keel_dma_vchan_conf vc = {
		.direction = KEEL_DMA_DIR_MEM_TO_MEM, .nb_desc = 64 };
	struct keel_emu_domain *dom;
	uint8_t *a, *b, *d, *model;
	unsigned int m;
	int ret = TEST_SUCCESS;

	if (c == NULL || keel_iommu_container_kind(c) != KEEL_IOMMU_EMULATED)
		return keel_test_skip("needs the emulated IOMMU");
	dom = keel_emu_backend_domain(keel_iommu_container_backend_priv(c));
	a = aligned_alloc(PG, 6 * PG);
	b = aligned_alloc(PG, 6 * PG);
	d = aligned_alloc(PG, N * PG);
	model = malloc(N * PG);
	TEST_ASSERT(a && b && d && model && dom, "buffers");
	for (m = 0; m < 3 && ret == TEST_SUCCESS; m++) {
		int16_t id;

		TEST_ASSERT_SUCCESS(keel_vdev_create("dma_soft_runs", modes[m]),
				    "create %s", modes[m]);
		id = keel_dma_get_dev_id_by_name("dma_soft_runs");
		if (keel_dma_configure(id, &conf) != 0 ||
		    keel_dma_vchan_setup(id, 0, &vc) != 0 ||
		    keel_dma_start(id) != 0) {
			printf("  setup of %s failed\n", modes[m]);
			ret = TEST_FAILED;
		} else {
			ret = runs_body(id, dom, a, b, d, model);
			if (ret != TEST_SUCCESS)
				printf("  in %s\n", modes[m]);
		}
		keel_dma_stop(id);
		keel_vdev_remove("dma_soft_runs");
	}
	free(a);
	free(b);
	free(d);
	free(model);
	return ret;
}
KEEL_TEST(dmadev_soft_runs, "fast", 0, test_dmadev_soft_runs)
