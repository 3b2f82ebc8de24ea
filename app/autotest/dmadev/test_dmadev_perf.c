/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dmadev perf test: dma_soft (inline and worker) copy throughput at 64 B,
 * 4 KiB, 64 KiB and 1 MiB next to a single-core memcpy of the same bytes.
 * Prints figures only (speed is never asserted); the data is verified.
 * keel-dma-perf (app/dma-perf) measures more shapes.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "keel_cycles.h"
#include "keel_dmadev.h"
#include "keel_malloc.h"
#include "keel_memory.h"
#include "keel_vdev.h"
#include "test.h"

#define PBUF (4ull << 20)

static int
perf_one(const char *name, const char *args, uint8_t *src, uint8_t *dst)
{
	static const uint64_t sizes[] = { 64, 4096, 65536, 1 << 20 };
	struct keel_dma_conf c = { .nb_vchans = 1 };
	struct keel_dma_vchan_conf vc = {
		.direction = KEEL_DMA_DIR_MEM_TO_MEM, .nb_desc = 1024,
	};
	uint64_t si = keel_mem_virt2iova(src), di = keel_mem_virt2iova(dst);
	uint64_t hz = keel_get_tsc_hz();
	int16_t id;
	int ret = TEST_FAILED;

	if (keel_vdev_create(name, args) < 0)
		return TEST_FAILED;
	id = (int16_t)keel_dma_get_dev_id_by_name(name);
	if (keel_dma_configure(id, &c) < 0 || keel_dma_vchan_setup(id, 0, &vc) < 0 ||
	    keel_dma_start(id) < 0)
		goto out;
	for (unsigned int s = 0; s < 4; s++) {
		uint64_t size = sizes[s], slots = PBUF / size;
		uint64_t ops = (256ull << 20) / size, enq = 0, done = 0, t0, t1;
		uint16_t last;
		bool err = false;

		if (ops > 1000000)
			ops = 1000000;
		memset(dst, 0, PBUF);
		t0 = keel_get_tsc_cycles();
		while (done < ops) {
			while (enq < ops && enq - done < 1024) {
				uint64_t off = (enq % slots) * size;

				if (keel_dma_copy(id, 0, si + off, di + off,
						  (uint32_t)size, 0) < 0)
					break;
				enq++;
			}
			keel_dma_submit(id, 0);
			done += keel_dma_completed(id, 0, 1024, &last, &err);
			if (err) {
				printf("  %s: op failed\n", name);
				goto out;
			}
		}
		t1 = keel_get_tsc_cycles();
		if (memcmp(src, dst, (ops < slots ? ops : slots) * size) != 0) {
			printf("  %s: data mismatch at size %" PRIu64 "\n", name,
			       size);
			goto out;
		}
		uint64_t m0 = keel_get_tsc_cycles();

		for (uint64_t k = 0; k < ops; k++)
			memcpy(dst + (k % slots) * size, src + (k % slots) * size,
			       size);
		uint64_t m1 = keel_get_tsc_cycles();
		double dt = (double)(t1 - t0) / (double)hz;
		double mt = (double)(m1 - m0) / (double)hz;

		printf("  %-10s %8" PRIu64 " B: %7.2f GB/s %8.3f Mops/s | memcpy %7.2f GB/s %8.3f Mops/s\n",
		       args, size, (double)(ops * size) / dt / 1e9,
		       (double)ops / dt / 1e6, (double)(ops * size) / mt / 1e9,
		       (double)ops / mt / 1e6);
	}
	ret = TEST_SUCCESS;
out:
	keel_vdev_remove(name);
	return ret;
}

static int
test_dmadev_perf(void)
{
	uint8_t *src = keel_malloc("dma_perf", PBUF, 4096);
	uint8_t *dst = keel_malloc("dma_perf", PBUF, 4096);
	int ret = TEST_FAILED;

	if (src == NULL || dst == NULL ||
	    keel_mem_virt2iova(src + PBUF - 1) != keel_mem_virt2iova(src) + PBUF - 1 ||
	    keel_mem_virt2iova(dst + PBUF - 1) != keel_mem_virt2iova(dst) + PBUF - 1) {
		printf("  need 2 IOVA-contiguous 4 MiB buffers\n");
		goto out;
	}
	for (uint64_t i = 0; i < PBUF; i++)
		src[i] = (uint8_t)(i * 13 + 5);
	if (perf_one("dma_soft_pi", "mode=inline", src, dst) == TEST_SUCCESS &&
	    perf_one("dma_soft_pw", "lcore=any", src, dst) == TEST_SUCCESS)
		ret = TEST_SUCCESS;
out:
	keel_free(src);
	keel_free(dst);
	return ret;
}
KEEL_TEST(dmadev_perf, "perf", 0, test_dmadev_perf)
