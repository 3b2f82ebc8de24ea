/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel-dma-perf: copy throughput (GB/s) and op rate (Mops/s) of DMA
 * devices, for a range of copy sizes, next to a single-core memcpy of the
 * same bytes as the reference column. Every point's data is verified.
 *
 * The main lcore drives every (device, vchan) round-robin: it keeps each
 * ring filled, enqueueing in bursts of --burst ops followed by a submit,
 * and collects completions. Devices are the ones named with --dev, else
 * --devs soft devices created here with --dev-args (default lcore=any:
 * the engine runs on an EAL worker lcore when one is free).
 *
 * With --compare-iommu the EAL is initialised twice, with
 * --iommu=emulated and with --iommu=none, and both tables are printed.
 *
 * Usage: keel-dma-perf [EAL args] -- [options]; --help lists them.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keel_dmadev.h"
#include "keel_eal.h"
#include "keel_iommu.h"
#include "keel_malloc.h"
#include "keel_vdev.h"

#define MAX_DEVS 8
#define MAX_SIZES 16
#define MAX_VCHANS 8
#define BUF_MAX (8ull << 20)   /* bytes per side per vchan */

struct opts {
	uint64_t sizes[MAX_SIZES];
	unsigned int n_sizes;
	uint16_t burst;
	uint16_t ring;
	uint16_t vchans;
	unsigned int devs;
	uint64_t total;            /* bytes per point */
	const char *dev_args;
	const char *dev_names[MAX_DEVS];
	unsigned int n_dev_names;
	int csv;
	int verify;
	int compare_iommu;
};

struct lane {                      /* one (device, vchan) */
	int16_t dev;
	uint16_t vchan;
	uint8_t *src, *dst;
	uint64_t src_iova, dst_iova;
	uint64_t slots;            /* copies of `size` that fit the buffer */
	uint64_t enq, done, target, errors;
};

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
	if (errno != 0 || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end != '\0' && *end != ',')
		return -1;
	*out = v;
	return (int)(end - s);
}

static void
usage(const char *prog)
{
	printf("usage: %s [EAL args] -- [options]\n"
	       "  --sizes LIST     copy sizes, e.g. 64,4k,64k,1m (default)\n"
	       "  --burst N        ops per submit (default 32)\n"
	       "  --ring N         descriptors per vchan (default 1024)\n"
	       "  --vchans N       vchans per device (default 1)\n"
	       "  --devs N         soft devices to create (default 1)\n"
	       "  --dev NAME       use this existing device (repeatable)\n"
	       "  --dev-args ARGS  arguments of created soft devices "
	       "(default lcore=any)\n"
	       "  --total BYTES    bytes copied per point (default 256m)\n"
	       "  --no-verify      skip the data check\n"
	       "  --compare-iommu  run with --iommu=emulated, then --iommu=none\n"
	       "  --csv            CSV instead of a table\n", prog);
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "sizes", required_argument, NULL, 's' },
		{ "burst", required_argument, NULL, 'b' },
		{ "ring", required_argument, NULL, 'r' },
		{ "vchans", required_argument, NULL, 'v' },
		{ "devs", required_argument, NULL, 'n' },
		{ "dev", required_argument, NULL, 'd' },
		{ "dev-args", required_argument, NULL, 'a' },
		{ "total", required_argument, NULL, 't' },
		{ "no-verify", no_argument, NULL, 'V' },
		{ "compare-iommu", no_argument, NULL, 'C' },
		{ "csv", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const uint64_t def_sizes[] = { 64, 4096, 65536, 1 << 20 };
	uint64_t v;
	int opt, n;
	const char *p;

	memset(o, 0, sizeof(*o));
	memcpy(o->sizes, def_sizes, sizeof(def_sizes));
	o->n_sizes = 4;
	o->burst = 32;
	o->ring = 1024;
	o->vchans = 1;
	o->devs = 1;
	o->total = 256ull << 20;
	o->dev_args = "lcore=any";
	o->verify = 1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 's':
			o->n_sizes = 0;
			for (p = optarg; *p != '\0'; p += n + (p[n] == ',')) {
				n = parse_size(p, &v);
				if (n <= 0 || v == 0 || v > (1ull << 30) ||
				    o->n_sizes == MAX_SIZES) {
					fprintf(stderr, "bad --sizes '%s'\n",
						optarg);
					return -1;
				}
				o->sizes[o->n_sizes++] = v;
			}
			break;
		case 'b': case 'r': case 'v': case 'n': case 't':
			if (parse_size(optarg, &v) <= 0 || v == 0 ||
			    optarg[parse_size(optarg, &v)] != '\0') {
				fprintf(stderr, "bad number '%s'\n", optarg);
				return -1;
			}
			if ((opt == 'b' && v > 4096) ||
			    (opt == 'r' && (v > 32768 || (v & (v - 1)))) ||
			    (opt == 'v' && v > MAX_VCHANS) ||
			    (opt == 'n' && v > MAX_DEVS)) {
				fprintf(stderr, "value %s out of range\n", optarg);
				return -1;
			}
			if (opt == 'b')
				o->burst = (uint16_t)v;
			else if (opt == 'r')
				o->ring = (uint16_t)v;
			else if (opt == 'v')
				o->vchans = (uint16_t)v;
			else if (opt == 'n')
				o->devs = (unsigned int)v;
			else
				o->total = v;
			break;
		case 'd':
			if (o->n_dev_names == MAX_DEVS)
				return -1;
			o->dev_names[o->n_dev_names++] = optarg;
			break;
		case 'a':
			o->dev_args = optarg;
			break;
		case 'V':
			o->verify = 0;
			break;
		case 'C':
			o->compare_iommu = 1;
			break;
		case 'c':
			o->csv = 1;
			break;
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			usage(argv[0]);
			return -1;
		}
	}
	if (o->burst > o->ring) {
		fprintf(stderr, "--burst %u larger than --ring %u\n", o->burst,
			o->ring);
		return -1;
	}
	return 0;
}

/* Run every lane to its target; @return elapsed ns, 0 on a stall. */
static uint64_t
run_lanes(struct lane *l, unsigned int n, uint64_t size, uint16_t burst)
{
	enum keel_dma_status_code st[256];
	uint64_t t0 = now_ns(), stall_tsc = 10 * keel_get_tsc_hz();
	uint64_t last_progress = keel_get_tsc_cycles();
	unsigned int left = n;
	uint16_t idx;

	while (left > 0) {
		left = 0;
		for (unsigned int i = 0; i < n; i++) {
			struct lane *x = &l[i];
			uint16_t cap = keel_dma_burst_capacity(x->dev, x->vchan);
			bool err = false;
			uint16_t got;

			if (x->done >= x->target)
				continue;
			left++;
			while (cap >= burst && x->enq < x->target) {
				uint16_t k;

				for (k = 0; k < burst && x->enq < x->target; k++) {
					uint64_t off = (x->enq % x->slots) * size;

					keel_dma_copy(x->dev, x->vchan,
						      x->src_iova + off,
						      x->dst_iova + off,
						      (uint32_t)size, 0);
					x->enq++;
				}
				keel_dma_submit(x->dev, x->vchan);
				cap = (uint16_t)(cap - k);
			}
			got = keel_dma_completed(x->dev, x->vchan, 256, &idx,
						 &err);
			if (err) {
				uint16_t m = keel_dma_completed_status(
					x->dev, x->vchan, 256, &idx, st);

				for (uint16_t j = 0; j < m; j++)
					x->errors += st[j] !=
						     KEEL_DMA_STATUS_SUCCESSFUL;
				got = (uint16_t)(got + m);
			}
			x->done += got;
			if (got > 0)
				last_progress = keel_get_tsc_cycles();
		}
		if (keel_get_tsc_cycles() - last_progress > stall_tsc)
			return 0;
	}
	return now_ns() - t0;
}

static const char *
iommu_now(void)
{
	struct keel_iommu_container *c = keel_iommu_container_default();

	return c == NULL ? "none" :
	       keel_iommu_kind_name(keel_iommu_container_kind(c));
}

/* One EAL session: set up devices and lanes, run every size. */
static int
run_all(const struct opts *o, int print_header)
{
	struct lane lanes[MAX_DEVS * MAX_VCHANS];
	int16_t devs[MAX_DEVS];
	char made[MAX_DEVS][32];
	unsigned int n_devs = 0, n_made = 0, n_lanes = 0;
	int ret = 0;

	memset(lanes, 0, sizeof(lanes));
	if (o->n_dev_names > 0) {
		for (unsigned int i = 0; i < o->n_dev_names; i++) {
			int id = keel_dma_get_dev_id_by_name(o->dev_names[i]);

			if (id < 0) {
				fprintf(stderr, "no DMA device %s\n",
					o->dev_names[i]);
				return -1;
			}
			devs[n_devs++] = (int16_t)id;
		}
	} else {
		for (unsigned int i = 0; i < o->devs; i++) {
			snprintf(made[n_made], sizeof(made[0]), "dma_soft_perf%u",
				 i);
			if (keel_vdev_create(made[n_made], o->dev_args) < 0) {
				ret = -1;
				goto out;
			}
			devs[n_devs++] = (int16_t)keel_dma_get_dev_id_by_name(
				made[n_made++]);
		}
	}
	for (unsigned int d = 0; d < n_devs; d++) {
		struct keel_dma_conf conf = { .nb_vchans = o->vchans };
		struct keel_dma_vchan_conf vc = {
			.direction = KEEL_DMA_DIR_MEM_TO_MEM, .nb_desc = o->ring,
		};

		keel_dma_stop(devs[d]);
		if (keel_dma_configure(devs[d], &conf) < 0) {
			ret = -1;
			goto out;
		}
		for (uint16_t v = 0; v < o->vchans; v++) {
			struct lane *x = &lanes[n_lanes++];

			if (keel_dma_vchan_setup(devs[d], v, &vc) < 0) {
				ret = -1;
				goto out;
			}
			x->dev = devs[d];
			x->vchan = v;
			x->src = keel_malloc("dma-perf", BUF_MAX, 4096);
			x->dst = keel_zmalloc("dma-perf", BUF_MAX, 4096);
			if (x->src == NULL || x->dst == NULL) {
				fprintf(stderr, "cannot allocate buffers (try -m)\n");
				ret = -1;
				goto out;
			}
			x->src_iova = keel_mem_virt2iova(x->src);
			x->dst_iova = keel_mem_virt2iova(x->dst);
			if (keel_mem_virt2iova(x->src + BUF_MAX - 1) !=
			    x->src_iova + BUF_MAX - 1 ||
			    keel_mem_virt2iova(x->dst + BUF_MAX - 1) !=
			    x->dst_iova + BUF_MAX - 1) {
				fprintf(stderr, "buffers are not IOVA-contiguous\n");
				ret = -1;
				goto out;
			}
			for (uint64_t k = 0; k < BUF_MAX; k++)
				x->src[k] = (uint8_t)(k * 7 + (k >> 11) + d);
		}
		if (keel_dma_start(devs[d]) < 0) {
			ret = -1;
			goto out;
		}
	}
	if (print_header && o->csv)
		printf("iommu,size,burst,devs,vchans,ops,dma_gbps,dma_mops,"
		       "memcpy_gbps,memcpy_mops,pct_of_memcpy,verify\n");
	if (print_header && !o->csv)
		printf("%-8s %8s %5s %4s %6s %9s %9s %9s %11s %11s %7s %6s\n",
		       "iommu", "size", "burst", "devs", "vchans", "ops",
		       "DMA GB/s", "DMA Mop/s", "memcpy GB/s", "memcpy Mop/s",
		       "% mcpy", "verify");
	for (unsigned int s = 0; s < o->n_sizes; s++) {
		uint64_t size = o->sizes[s], ops, ns, mc_ns, errors = 0;
		uint64_t slots = BUF_MAX / size ? BUF_MAX / size : 0;
		const char *vr = "skip";

		if (slots == 0) {
			fprintf(stderr, "size %" PRIu64 " above %llu\n", size,
				BUF_MAX);
			continue;
		}
		ops = o->total / size;
		if (ops < 64)
			ops = 64;
		if (ops > 4000000)
			ops = 4000000;
		for (unsigned int i = 0; i < n_lanes; i++) {
			lanes[i].slots = slots;
			lanes[i].enq = lanes[i].done = lanes[i].errors = 0;
			lanes[i].target = (ops + n_lanes - 1) / n_lanes;
			memset(lanes[i].dst, 0, BUF_MAX);
		}
		ns = run_lanes(lanes, n_lanes, size, o->burst);
		if (ns == 0) {
			fprintf(stderr, "devices stopped completing ops\n");
			ret = -1;
			goto out;
		}
		ops = 0;
		for (unsigned int i = 0; i < n_lanes; i++) {
			ops += lanes[i].done;
			errors += lanes[i].errors;
		}
		if (o->verify) {
			vr = errors ? "ERRORS" : "ok";
			for (unsigned int i = 0; i < n_lanes && !errors; i++) {
				uint64_t used = lanes[i].target < slots ?
						lanes[i].target : slots;

				if (memcmp(lanes[i].src, lanes[i].dst,
					   used * size) != 0)
					vr = "FAILED";
			}
			if (strcmp(vr, "ok") != 0)
				ret = -1;
		}
		/* reference: the same copies with memcpy on this core */
		uint64_t t0 = now_ns();

		for (uint64_t k = 0; k < ops; k++) {
			uint64_t off = (k % slots) * size;
			struct lane *x = &lanes[k % n_lanes];

			memcpy(x->dst + off, x->src + off, size);
		}
		mc_ns = now_ns() - t0;
		if (mc_ns == 0)
			mc_ns = 1;
		double gbps = (double)(ops * size) / (double)ns;
		double mops = (double)ops * 1e3 / (double)ns;
		double mgbps = (double)(ops * size) / (double)mc_ns;
		double mmops = (double)ops * 1e3 / (double)mc_ns;

		if (o->csv)
			printf("%s,%" PRIu64 ",%u,%u,%u,%" PRIu64
			       ",%.3f,%.3f,%.3f,%.3f,%.1f,%s\n", iommu_now(),
			       size, o->burst, n_devs, o->vchans, ops, gbps,
			       mops, mgbps, mmops, 100.0 * gbps / mgbps, vr);
		else
			printf("%-8s %8" PRIu64 " %5u %4u %6u %9" PRIu64
			       " %9.2f %9.3f %11.2f %11.3f %6.1f%% %6s\n",
			       iommu_now(), size, o->burst, n_devs, o->vchans,
			       ops, gbps, mops, mgbps, mmops,
			       100.0 * gbps / mgbps, vr);
		fflush(stdout);
	}
out:
	for (unsigned int d = 0; d < n_devs; d++)
		keel_dma_stop(devs[d]);
	for (unsigned int i = 0; i < n_lanes; i++) {
		keel_free(lanes[i].src);
		keel_free(lanes[i].dst);
	}
	while (n_made > 0)
		keel_vdev_remove(made[--n_made]);
	return ret;
}

int
main(int argc, char **argv)
{
	struct opts o;
	int split = argc, ret, rc = 0;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			split = i;
			break;
		}
	/* application options after "--" */
	{
		char **av = calloc((size_t)(argc - split) + 2, sizeof(char *));

		if (av == NULL)
			return 1;
		av[0] = argv[0];
		for (int i = split + 1; i < argc; i++)
			av[i - split] = argv[i];
		ret = parse_opts(argc - split, av, &o);
		free(av);
		if (ret < 0)
			return 1;
	}
	for (int pass = 0; pass < (o.compare_iommu ? 2 : 1); pass++) {
		char **ev = calloc((size_t)split + 2, sizeof(char *));
		int ec = split;

		if (ev == NULL)
			return 1;
		memcpy(ev, argv, (size_t)split * sizeof(char *));
		if (o.compare_iommu)
			ev[ec++] = pass == 0 ? "--iommu=emulated" : "--iommu=none";
		ret = keel_eal_init(ec, ev);
		free(ev);
		if (ret < 0) {
			fprintf(stderr, "keel_eal_init: %s\n", strerror(-ret));
			return 1;
		}
		if (run_all(&o, pass == 0) < 0)
			rc = 1;
		if (keel_eal_cleanup() < 0)
			rc = 1;
	}
	return rc;
}
