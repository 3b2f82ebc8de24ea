/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reference for keel-dma-perf: the same driving loop (fill the ring in
 * bursts of 32 with a submit each, collect up to 256) against Debian's DPDK
 * 22.11 dma_skeleton, for 64 B, 4 KiB, 64 KiB and 1 MiB copies, next to a
 * single-core memcpy. Not built by meson (DPDK is not a Keel dependency).
 *
 * Build: apt-get install dpdk-dev librte-dma-skeleton23
 *        cc -O2 -DALLOW_EXPERIMENTAL_API dpdk-skeleton-bench.c \
 *           $(pkg-config --cflags --libs libdpdk) -o dpdk-skeleton-bench
 * Run:   ./dpdk-skeleton-bench --no-huge -m 256 -l 0 --iova-mode=va --no-pci \
 *           --vdev=dma_skeleton0,lcore=1 --file-prefix=kb \
 *           -d /usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0/librte_dma_skeleton.so
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_dmadev.h>
#include <rte_eal.h>
#include <rte_malloc.h>

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	static const uint64_t sizes[] = { 64, 4096, 65536, 1 << 20 };
	struct rte_dma_conf c = { .nb_vchans = 1 };
	struct rte_dma_vchan_conf vc = {
		.direction = RTE_DMA_DIR_MEM_TO_MEM, .nb_desc = 1024,
	};
	size_t buf = 8 << 20;
	uint8_t *src, *dst;
	int16_t dev;

	if (rte_eal_init(argc, argv) < 0)
		return 1;
	dev = rte_dma_next_dev(0);
	if (dev < 0 || rte_dma_configure(dev, &c) ||
	    rte_dma_vchan_setup(dev, 0, &vc) || rte_dma_start(dev))
		return 1;
	src = rte_malloc(NULL, buf, 4096);
	dst = rte_zmalloc(NULL, buf, 4096);
	if (src == NULL || dst == NULL)
		return 1;
	memset(src, 0x5a, buf);
	for (int s = 0; s < 4; s++) {
		uint64_t size = sizes[s], ops = (1ull << 30) / size;
		uint64_t slots = buf / size, enq = 0, done = 0;
		rte_iova_t si = rte_malloc_virt2iova(src);
		rte_iova_t di = rte_malloc_virt2iova(dst);
		double t0, dt, t1, mt;
		int ok;

		if (ops > 4000000)
			ops = 4000000;
		if (ops < 64)
			ops = 64;
		t0 = now();
		while (done < ops) {
			uint16_t cap = rte_dma_burst_capacity(dev, 0), last;
			bool err = false;

			while (cap >= 32 && enq < ops) {
				int k;

				for (k = 0; k < 32 && enq < ops; k++, enq++)
					rte_dma_copy(dev, 0,
						     si + (enq % slots) * size,
						     di + (enq % slots) * size,
						     (uint32_t)size, 0);
				rte_dma_submit(dev, 0);
				cap = (uint16_t)(cap - k);
			}
			done += rte_dma_completed(dev, 0, 256, &last, &err);
		}
		dt = now() - t0;
		ok = memcmp(src, dst, (ops < slots ? ops : slots) * size) == 0;
		t1 = now();
		for (uint64_t k = 0; k < ops; k++)
			memcpy(dst + (k % slots) * size,
			       src + (k % slots) * size, size);
		mt = now() - t1;
		printf("dpdk-skeleton %8lu B: %8.2f GB/s %8.3f Mop/s  memcpy %8.2f GB/s  verify %s\n",
		       (unsigned long)size, (double)(ops * size) / dt / 1e9,
		       (double)ops / dt / 1e6, (double)(ops * size) / mt / 1e9,
		       ok ? "ok" : "FAILED");
	}
	rte_dma_stop(dev);
	rte_eal_cleanup();
	return 0;
}
