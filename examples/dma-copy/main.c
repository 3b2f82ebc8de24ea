/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel-dma-copy: Keel's main job. Initialise the EAL, allocate two buffers
 * of DMA-able memory, copy one into the other through a DMA device in
 * chunks, verify every byte, and print the throughput, the verification
 * result and the number of IOMMU faults.
 *
 * The device is the one named with --dev, else the first DMA device (e.g.
 * from --vdev dma_soft0), else a dma_soft0 created here. On the default
 * machine that is the software engine behind the emulated IOMMU, so every
 * IOVA the copy uses is translated (and checked) by the IOMMU.
 *
 * Usage: keel-dma-copy [EAL args] -- [--dev NAME] [--size BYTES]
 *                      [--chunk BYTES] [--iters N]
 * Out of tree: cc main.c $(pkg-config --cflags --libs keel) -o dma-copy
 * Exit status: 0 when every byte verified and no op failed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <keel_dmadev.h>
#include <keel_eal.h>
#include <keel_emu_iommu.h>
#include <keel_iommu.h>
#include <keel_malloc.h>
#include <keel_vdev.h>

#define BURST 32

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || v == 0)
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

/*
 * Ring size: the largest power of two the device takes, up to 1024 (the
 * edu device takes at most 256, dma_soft up to 8192).
 */
static uint16_t
ring_size(const struct keel_dma_info *info)
{
	uint16_t n = 1024;

	while (n > info->max_desc && n > 1)
		n >>= 1;
	return n < info->min_desc ? info->min_desc : n;
}

/* Pick the device: by name, the first one, or a dma_soft0 made here. */
static int16_t
pick_device(const char *name)
{
	int16_t id;

	if (name != NULL) {
		id = (int16_t)keel_dma_get_dev_id_by_name(name);
		if (id < 0)
			fprintf(stderr, "no DMA device '%s'\n", name);
		return id;
	}
	id = keel_dma_next_dev(0);
	if (id >= 0)
		return id;
	if (keel_vdev_create("dma_soft0", "") < 0) {
		fprintf(stderr, "cannot create dma_soft0\n");
		return -1;
	}
	return (int16_t)keel_dma_get_dev_id_by_name("dma_soft0");
}

/*
 * Copy @p size bytes from src to dst in chunks; @return the number of ops
 * that failed, or -1 when the device stopped answering.
 */
static int64_t
dma_copy_all(int16_t id, uint8_t *src, uint8_t *dst, uint64_t size,
	     uint64_t chunk)
{
	enum keel_dma_status_code st[BURST];
	uint64_t n_ops = (size + chunk - 1) / chunk, enq = 0, done = 0;
	uint64_t idle_since = keel_get_tsc_cycles();
	uint64_t stall = 10 * keel_get_tsc_hz();
	int64_t failed = 0;
	uint16_t last;

	while (done < n_ops) {
		while (enq < n_ops) {
			uint64_t off = enq * chunk;
			uint32_t len = (uint32_t)(size - off < chunk ?
						  size - off : chunk);

			if (keel_dma_copy(id, 0, keel_mem_virt2iova(src + off),
					  keel_mem_virt2iova(dst + off), len,
					  0) < 0)
				break;  /* ring full: collect first */
			enq++;
		}
		keel_dma_submit(id, 0);
		uint16_t n = keel_dma_completed_status(id, 0, BURST, &last, st);

		for (uint16_t i = 0; i < n; i++)
			if (st[i] != KEEL_DMA_STATUS_SUCCESSFUL) {
				if (failed++ < 5)
					fprintf(stderr, "op %" PRIu64 ": %s\n",
						done + i,
						keel_dma_status_name(st[i]));
			}
		done += n;
		if (n > 0)
			idle_since = keel_get_tsc_cycles();
		else if (keel_get_tsc_cycles() - idle_since > stall)
			return -1;
	}
	return failed;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "iters", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	struct keel_dma_conf conf = { .nb_vchans = 1 };
	struct keel_dma_vchan_conf vc = {
		.direction = KEEL_DMA_DIR_MEM_TO_MEM,
	};
	struct keel_emu_fault_counters fc = { 0 };
	struct keel_iommu_container *cont;
	struct keel_dma_info info;
	const char *dev_name = NULL, *iommu = "none";
	uint64_t size = 16 << 20, chunk = 64 << 10, iters = 4, t0, dma_ns = 0;
	uint64_t mc_ns;
	uint8_t *src = NULL, *dst = NULL;
	int64_t failed = 0;
	int ret, opt, verified = 0, rc = 1;
	int16_t id = -1;

	ret = keel_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "keel_eal_init: %s\n", strerror(-ret));
		return 1;
	}
	argc -= ret;
	argv += ret;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		uint64_t v;

		if (opt == 'd') {
			dev_name = optarg;
			continue;
		}
		if (opt == '?' || parse_size(optarg, &v) < 0) {
			fprintf(stderr, "usage: %s [EAL args] -- [--dev NAME] "
				"[--size BYTES] [--chunk BYTES] [--iters N]\n",
				argv[0]);
			goto out;
		}
		if (opt == 's')
			size = v;
		else if (opt == 'c')
			chunk = v;
		else
			iters = v;
	}
	if (chunk > UINT32_MAX || chunk > size) {
		fprintf(stderr, "--chunk must be <= --size and < 4 GiB\n");
		goto out;
	}

	id = pick_device(dev_name);
	if (id < 0 || keel_dma_info_get(id, &info) < 0)
		goto out;
	vc.nb_desc = ring_size(&info);
	if (keel_dma_configure(id, &conf) < 0 ||
	    keel_dma_vchan_setup(id, 0, &vc) < 0 || keel_dma_start(id) < 0) {
		fprintf(stderr, "cannot set up %s\n", info.dev_name);
		goto out;
	}

	/* buffers: EAL memory, so each byte has an IOVA mapped in the IOMMU */
	src = keel_malloc("dma-copy", size, 4096);
	dst = keel_zmalloc("dma-copy", size, 4096);
	if (src == NULL || dst == NULL) {
		fprintf(stderr, "cannot allocate 2 x %" PRIu64 " bytes (try -m)\n",
			size);
		goto out;
	}
	for (uint64_t off = 0; off < size; off += chunk) {
		uint64_t l = size - off < chunk ? size - off : chunk;

		if (keel_mem_virt2iova(src + off) + l - 1 !=
		    keel_mem_virt2iova(src + off + l - 1) ||
		    keel_mem_virt2iova(dst + off) + l - 1 !=
		    keel_mem_virt2iova(dst + off + l - 1)) {
			fprintf(stderr, "chunk at %" PRIu64 " is not IOVA-contiguous: "
				"use a smaller --chunk\n", off);
			goto out;
		}
	}
	for (uint64_t i = 0; i < size; i++)
		src[i] = (uint8_t)(i * 131 + (i >> 12));

	cont = keel_iommu_container_default();
	if (cont != NULL)
		iommu = keel_iommu_kind_name(keel_iommu_container_kind(cont));
	if (cont != NULL && keel_iommu_container_kind(cont) ==
	    KEEL_IOMMU_EMULATED)
		keel_emu_fault_clear();

	for (uint64_t it = 0; it < iters; it++) {
		int64_t f;

		t0 = now_ns();
		f = dma_copy_all(id, src, dst, size, chunk);
		dma_ns += now_ns() - t0;
		if (f < 0) {
			fprintf(stderr, "%s stopped completing ops\n",
				info.dev_name);
			goto out;
		}
		failed += f;
	}
	verified = memcmp(src, dst, size) == 0;

	/* the reference: the same bytes with one core's memcpy */
	t0 = now_ns();
	for (uint64_t it = 0; it < iters; it++)
		memcpy(dst, src, size);
	mc_ns = now_ns() - t0;

	if (cont != NULL && keel_iommu_container_kind(cont) ==
	    KEEL_IOMMU_EMULATED)
		keel_emu_fault_counters_get(&fc);
	printf("device:        %s (driver %s%s)\n", info.dev_name, info.driver,
	       info.dev_capa & KEEL_DMA_CAPA_BEHIND_IOMMU ?
	       ", behind the IOMMU" : "");
	printf("iommu:         %s\n", iommu);
	printf("copied:        %" PRIu64 " x %" PRIu64 " bytes in %" PRIu64
	       "-byte ops\n", iters, size, chunk);
	printf("throughput:    %.2f GB/s (memcpy on one core: %.2f GB/s)\n",
	       (double)(size * iters) / (double)dma_ns,
	       (double)(size * iters) / (double)mc_ns);
	printf("failed ops:    %" PRId64 "\n", failed);
	printf("verification:  %s\n", verified ? "OK" : "FAILED");
	printf("iommu faults:  %" PRIu64 "\n", fc.total);
	rc = verified && failed == 0 && fc.total == 0 ? 0 : 1;
out:
	if (id >= 0)
		keel_dma_stop(id);
	keel_free(src);
	keel_free(dst);
	if (keel_eal_cleanup() < 0)
		rc = 1;
	return rc;
}
