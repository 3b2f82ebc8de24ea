/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel-dma-copy: Keel's main job. Initialise the EAL, allocate two buffers
 * of DMA-able memory, copy one into the other through a DMA device in
 * chunks, verify every byte, and print the throughput next to memcpy()'s,
 * the verification result and the number of IOMMU faults.
 *
 * The figures mean what they say: memcpy() does the very same chunk
 * copies as the device, both are timed in the same rounds, alternating
 * which goes first, after an untimed warm-up of each, with every page
 * already touched, and the device is busy when its pass starts (one
 * untimed op first: see wake()); the median and the spread of the rounds
 * are printed.
 *
 * The device is the one named with --dev, else the first DMA device (e.g.
 * from --vdev dma_soft0), else a dma_soft0 created here (its engine on a
 * free EAL worker lcore, "lcore=any", like keel-dma-perf's). On the default
 * machine that is the software engine behind the emulated IOMMU, so every
 * IOVA the copy uses is translated (and checked) by the IOMMU.
 *
 * Usage: keel-dma-copy [EAL args] -- [--dev NAME] [--size BYTES]
 *                      [--chunk BYTES] [--rounds N]; --help lists them.
 * Out of tree: cc main.c $(pkg-config --cflags --libs keel) -o dma-copy
 * Exit status: 0 when every byte verified and no op failed; 1 when not;
 * 2 for a bad option (named, with what it accepts).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <keel_dmadev.h>
#include <keel_eal.h>
#include <keel_emu_iommu.h>
#include <keel_iommu.h>
#include <keel_malloc.h>
#include <keel_vdev.h>

#define BURST 32
#define MAX_ROUNDS 100

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
usage(const char *prgname)
{
	printf("usage: %s [EAL options] -- [options]\n"
	       "\n"
	       "Copy a buffer through a DMA device in chunks, verify it, and print\n"
	       "the throughput next to memcpy() of the same chunks on one core.\n"
	       "Options (sizes take a k, m or g suffix):\n"
	       "  --dev NAME      DMA device (default: the first one, else a\n"
	       "                  dma_soft0 created here)\n"
	       "  --size BYTES    buffer size, 1..1g (default 16m)\n"
	       "  --chunk BYTES   bytes per DMA op, 1..--size and below 4g\n"
	       "                  (default 64k)\n"
	       "  --rounds N      timed rounds, 1..%d (default 5)\n"
	       "  -h, --help      this help, then the EAL's options\n"
	       "\n", prgname, MAX_ROUNDS);
}

/* a size with an optional k/m/g suffix in [min, max]; 0 or -1 */
static int
parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end != '\0' || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	v <<= shift;
	if (v < min || v > max)
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
			fprintf(stderr, "--dev %s: no such DMA device\n", name);
		return id;
	}
	id = keel_dma_next_dev(0);
	if (id >= 0)
		return id;
	/* the engine on an EAL worker lcore of its own when one is free, as
	 * a device would be: not sharing a CPU with this polling thread */
	if (keel_vdev_create("dma_soft0", "lcore=any") < 0) {
		fprintf(stderr, "cannot create dma_soft0\n");
		return -1;
	}
	return (int16_t)keel_dma_get_dev_id_by_name("dma_soft0");
}

/*
 * Copy @p size bytes from src to dst in chunks; @return the number of ops
 * that failed, or -1 when the device stopped answering. The buffers are
 * IOVA-contiguous (EAL heap memory): one IOVA each.
 */
static int64_t
dma_copy_all(int16_t id, uint64_t src, uint64_t dst, uint64_t size,
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

			if (keel_dma_copy(id, 0, src + off, dst + off, len,
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

/*
 * Have the device busy before a timed pass: one small copy into @p scratch,
 * waited for. A software engine with no work for a while gives its CPU
 * away (dma_soft yields, then sleeps) and would start the pass late: on a
 * loaded machine by milliseconds, which is not copy throughput.
 */
static int
wake(int16_t id, uint64_t src, uint64_t scratch)
{
	enum keel_dma_status_code st;
	uint64_t t0 = keel_get_tsc_cycles(), stall = 10 * keel_get_tsc_hz();
	uint16_t last;

	if (keel_dma_copy(id, 0, src, scratch, 64, KEEL_DMA_OP_FLAG_SUBMIT) < 0)
		return -1;
	while (keel_dma_completed_status(id, 0, 1, &last, &st) == 0)
		if (keel_get_tsc_cycles() - t0 > stall)
			return -1;
	return st == KEEL_DMA_STATUS_SUCCESSFUL ? 0 : -1;
}

/* what the CPU would do instead: the same chunk copies */
static void
memcpy_all(uint8_t *dst, const uint8_t *src, uint64_t size, uint64_t chunk)
{
	for (uint64_t off = 0; off < size; off += chunk)
		memcpy(dst + off, src + off,
		       size - off < chunk ? size - off : chunk);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* sorts v; the median (mean of the middle two for an even count) */
static double
median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
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
	uint64_t size = 16 << 20, chunk = 64 << 10, rounds = 5;
	uint64_t src_iova, dst_iova, v;
	double dma[MAX_ROUNDS], mc[MAX_ROUNDS], pct[MAX_ROUNDS], dmed, mmed, pmed;
	uint8_t *src = NULL, *dst = NULL;
	int64_t failed = 0, f;
	int ret, opt, verified = 1, rc = 1;
	int16_t id = -1;

	keel_set_application_usage_hook(usage);
	ret = keel_eal_init(argc, argv);
	if (ret == -ECANCELED)
		return 0;       /* --help printed the usage */
	if (ret < 0) {
		fprintf(stderr, "keel_eal_init: %s\n", strerror(-ret));
		return 1;
	}
	argc -= ret;
	argv += ret;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		const char *bad = NULL;

		switch (opt) {
		case 'd':
			dev_name = optarg;
			break;
		case 's':
			if (parse_size(optarg, 1, 1ull << 30, &size) < 0)
				bad = "a size in 1..1g";
			break;
		case 'c':
			if (parse_size(optarg, 1, UINT32_MAX, &chunk) < 0)
				bad = "a size in 1..--size, below 4g";
			break;
		case 'r':
			if (parse_size(optarg, 1, MAX_ROUNDS, &v) < 0)
				bad = "an integer in 1..100";
			rounds = v;
			break;
		case 'h':
			usage(argv[0]);
			keel_eal_usage(stdout);
			keel_eal_cleanup();
			return 0;
		case ':':
			fprintf(stderr, "option '%s' needs a value (see --help)\n",
				argv[optind - 1]);
			rc = 2;
			goto out;
		default:
			fprintf(stderr, "unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			rc = 2;
			goto out;
		}
		if (bad != NULL) {
			fprintf(stderr, "--%s '%s': expected %s\n",
				opt == 's' ? "size" : opt == 'c' ? "chunk" :
				"rounds", optarg, bad);
			rc = 2;
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "unexpected argument '%s' (see --help)\n",
			argv[optind]);
		rc = 2;
		goto out;
	}
	if (chunk > size) {
		fprintf(stderr, "--chunk %" PRIu64 ": expected a size in 1..--size "
			"(%" PRIu64 ")\n", chunk, size);
		rc = 2;
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

	/* EAL heap memory: IOVA-contiguous and mapped in the IOMMU */
	src = keel_malloc("dma-copy", size, 4096);
	/* + a scratch page for wake(); zmalloc touches every page */
	dst = keel_zmalloc("dma-copy", size + 4096, 4096);
	if (src == NULL || dst == NULL) {
		fprintf(stderr, "cannot allocate 2 x %" PRIu64 " bytes (try -m)\n",
			size);
		goto out;
	}
	src_iova = keel_mem_virt2iova(src);
	dst_iova = keel_mem_virt2iova(dst);
	for (uint64_t i = 0; i < size; i++)
		src[i] = (uint8_t)(i * 131 + (i >> 12));

	cont = keel_iommu_container_default();
	if (cont != NULL)
		iommu = keel_iommu_kind_name(keel_iommu_container_kind(cont));
	if (cont != NULL && keel_iommu_container_kind(cont) ==
	    KEEL_IOMMU_EMULATED)
		keel_emu_fault_clear();

	/* warm-up, untimed: the device's engine and caches, and memcpy() */
	f = dma_copy_all(id, src_iova, dst_iova, size, chunk);
	if (f < 0) {
		fprintf(stderr, "%s stopped completing ops\n", info.dev_name);
		goto out;
	}
	failed += f;
	memcpy_all(dst, src, size, chunk);

	for (uint64_t r = 0; r < rounds; r++) {
		uint64_t t0, dns = 0, mns = 0;

		if (r % 2 == 1) {       /* odd rounds: memcpy() first */
			t0 = now_ns();
			memcpy_all(dst, src, size, chunk);
			mns = now_ns() - t0;
		}
		/* the check below sees only bytes this DMA pass wrote */
		memset(dst, 0, size);
		if (wake(id, src_iova, dst_iova + size) < 0) {
			fprintf(stderr, "%s: a single op failed\n", info.dev_name);
			goto out;
		}
		t0 = now_ns();
		f = dma_copy_all(id, src_iova, dst_iova, size, chunk);
		dns = now_ns() - t0;
		if (f < 0) {
			fprintf(stderr, "%s stopped completing ops\n",
				info.dev_name);
			goto out;
		}
		failed += f;
		verified &= memcmp(src, dst, size) == 0;
		if (r % 2 == 0) {
			t0 = now_ns();
			memcpy_all(dst, src, size, chunk);
			mns = now_ns() - t0;
		}
		dma[r] = (double)size / (double)(dns ? dns : 1);
		mc[r] = (double)size / (double)(mns ? mns : 1);
		pct[r] = 100.0 * dma[r] / mc[r];
	}

	if (cont != NULL && keel_iommu_container_kind(cont) ==
	    KEEL_IOMMU_EMULATED)
		keel_emu_fault_counters_get(&fc);
	dmed = median(dma, (unsigned int)rounds);
	mmed = median(mc, (unsigned int)rounds);
	pmed = median(pct, (unsigned int)rounds);
	printf("device:        %s (driver %s%s)\n", info.dev_name, info.driver,
	       info.dev_capa & KEEL_DMA_CAPA_BEHIND_IOMMU ?
	       ", behind the IOMMU" : "");
	printf("iommu:         %s\n", iommu);
	printf("copied:        %" PRIu64 " rounds x %" PRIu64 " bytes in %" PRIu64
	       "-byte ops (ring %u)\n", rounds, size, chunk, vc.nb_desc);
	printf("DMA:           %.2f GB/s (median; %.2f..%.2f)\n", dmed, dma[0],
	       dma[rounds - 1]);
	printf("memcpy:        %.2f GB/s (median; %.2f..%.2f; one core, the "
	       "same %" PRIu64 "-byte copies)\n", mmed, mc[0], mc[rounds - 1],
	       chunk);
	printf("DMA/memcpy:    %.0f%% (median of the rounds' ratios; "
	       "%.0f..%.0f%%)\n", pmed, pct[0], pct[rounds - 1]);
	{
		double load = -1;

		if (getloadavg(&load, 1) == 1 &&
		    load >= (double)sysconf(_SC_NPROCESSORS_ONLN))
			printf("note:          load average %.1f on %ld CPUs: "
			       "other work shares these CPUs, figures vary\n",
			       load, sysconf(_SC_NPROCESSORS_ONLN));
	}
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
