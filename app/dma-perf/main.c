/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel-dma-perf: copy throughput (GB/s) and op rate (Mops/s) of DMA
 * devices next to a single-core memcpy() doing the very same copies.
 *
 * Honest figures on a noisy machine: every point runs --rounds rounds; a
 * round times the DMA run and the memcpy run back to back, alternating
 * which goes first, and the table gives the minimum, median and maximum of
 * each and of the per-round ratio. Every buffer is written before anything
 * is timed (no first-touch page faults inside a run), each point starts
 * with an untimed warm-up of the same copies, and each DMA run with one
 * untimed op that has the engine busy (a software engine left idle gives
 * its CPU away and would start late: see wake()).
 *
 * Access patterns (--patterns):
 *   b2b        back-to-back: op k copies slot k of a region to slot k of
 *              another (what the soft engine's run merging favours);
 *   scattered  each op at a random slot of a large region, source and
 *              destination independently, slots 2x the size apart (packets
 *              in mbufs);
 *   mixed      sizes drawn from simple IMIX (64 B x7, 576 B x4, 1500 B x1,
 *              mean 353 B), scattered like mbufs of 2176 bytes.
 *
 * The main lcore drives every (device, vchan) lane round-robin, keeping
 * each ring filled in bursts of --burst ops and a submit, and verifies the
 * data of every DMA run. Devices are the ones named with --dev, else
 * --devs soft devices created here with --dev-args.
 *
 * Usage: keel-dma-perf [EAL args] -- [options]; --help lists them.
 * Exit status: 0 when every point ran and verified; 1 otherwise; 2 for a
 * bad option (named, with what it accepts).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keel_dmadev.h"
#include "keel_eal.h"
#include "keel_iommu.h"
#include "keel_malloc.h"
#include "keel_vdev.h"

#include "dma_perf.h"

const char *prog = "keel-dma-perf";

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------ running */

/*
 * Run the ops (lane i takes ops i, i + n, ...) on every lane to the end;
 * @return elapsed ns, 0 on a stall (nothing completed for 10 s).
 */
static uint64_t
run_dma(struct lane *l, unsigned int n, const struct op *ops, uint32_t n_ops,
	uint16_t burst)
{
	enum keel_dma_status_code st[256];
	uint64_t stall_tsc = 10 * keel_get_tsc_hz();
	uint64_t last_progress = keel_get_tsc_cycles();
	uint64_t t0 = now_ns();
	unsigned int left = n;
	uint16_t idx;

	for (unsigned int i = 0; i < n; i++) {
		l[i].enq = l[i].done = l[i].errors = 0;
		l[i].target = n_ops / n + (i < n_ops % n);
	}
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
					const struct op *o =
						&ops[x->enq * n + i];

					keel_dma_copy(x->dev, x->vchan,
						      x->src_iova + o->src_off,
						      x->dst_iova + o->dst_off,
						      o->len, 0);
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

/*
 * Have every lane's engine busy before a timed run: one 64-byte copy into
 * the destination's scratch page, waited for. A software engine that found
 * no work for a while gives its CPU away (dma_soft yields, then sleeps), and
 * its first op then waits for the scheduler: milliseconds on a loaded
 * machine, not the copy throughput this measures. @return 0 or -1 (stall).
 */
static int
wake(struct lane *l, unsigned int n, uint64_t region)
{
	uint64_t t0 = now_ns();

	for (unsigned int i = 0; i < n; i++) {
		uint16_t last;
		bool err = false;

		if (keel_dma_copy(l[i].dev, l[i].vchan, l[i].src_iova,
				  l[i].dst_iova + region, 64,
				  KEEL_DMA_OP_FLAG_SUBMIT) < 0)
			return -1;
		while (keel_dma_completed(l[i].dev, l[i].vchan, 1, &last,
					  &err) == 0 && !err)
			if (now_ns() - t0 > 10000000000ull)
				return -1;
		if (err) {
			enum keel_dma_status_code st;

			keel_dma_completed_status(l[i].dev, l[i].vchan, 1,
						  &last, &st);
			return -1;
		}
	}
	return 0;
}

/* the same copies with memcpy() on this core; @return elapsed ns */
static uint64_t
run_memcpy(struct lane *l, unsigned int n, const struct op *ops,
	   uint32_t n_ops)
{
	uint64_t t0 = now_ns(), t;

	for (uint32_t k = 0; k < n_ops; k++) {
		struct lane *x = &l[k % n];

		memcpy(x->dst + ops[k].dst_off, x->src + ops[k].src_off,
		       ops[k].len);
	}
	t = now_ns() - t0;
	return t ? t : 1;
}

/*
 * "ok", or why not. Ops k and k + slots use the same slots, so the first
 * pass over the slots checks every byte the run wrote.
 */
static const char *
verify(struct lane *l, unsigned int n, const struct op *ops, uint32_t n_ops,
       uint32_t slots)
{
	uint32_t check = n_ops;

	for (unsigned int i = 0; i < n; i++)
		if (l[i].errors)
			return "ERRORS";
	/* n lanes: op k is lane k % n's; a slot of each lane per pass */
	if ((uint64_t)slots * n < check)
		check = slots * n;
	for (uint32_t k = 0; k < check; k++) {
		struct lane *x = &l[k % n];

		if (memcmp(x->dst + ops[k].dst_off, x->src + ops[k].src_off,
			   ops[k].len) != 0)
			return "FAILED";
	}
	return "ok";
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct spread {
	double min, med, max;
};

static struct spread
spread_of(double *v, unsigned int n)
{
	struct spread s;

	qsort(v, n, sizeof(*v), cmp_double);
	s.min = v[0];
	s.max = v[n - 1];
	s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return s;
}

static const char *
iommu_now(void)
{
	struct keel_iommu_container *c = keel_iommu_container_default();

	return c == NULL ? "none" :
	       keel_iommu_kind_name(keel_iommu_container_kind(c));
}

/* ring size for device @p id: --ring checked against it, or its largest
 * power of two up to 1024; 0 (and a message) when --ring does not fit */
static uint16_t
ring_for(const struct opts *o, int16_t id)
{
	struct keel_dma_info info;
	uint16_t n = 1024;

	if (keel_dma_info_get(id, &info) < 0)
		return 0;
	if (o->ring != 0) {
		if (o->ring < info.min_desc || o->ring > info.max_desc) {
			fprintf(stderr, "%s: --ring %u: device %s takes %u..%u "
				"descriptors\n", prog, o->ring, info.dev_name,
				info.min_desc, info.max_desc);
			return 0;
		}
		return o->ring;
	}
	while (n > info.max_desc && n > 1)
		n >>= 1;
	return n < info.min_desc ? info.min_desc : n;
}

static void
clear_dst(const struct opts *o, struct lane *l, unsigned int n)
{
	for (unsigned int i = 0; i < n && o->verify; i++)
		memset(l[i].dst, 0, o->region);
}

/* One point: rounds of (DMA run, memcpy run) in alternating order. */
static int
run_point(const struct opts *o, struct lane *lanes, unsigned int n_lanes,
	  unsigned int n_devs, enum pattern pat, uint64_t size)
{
	double dma[MAX_ROUNDS], mc[MAX_ROUNDS], pct[MAX_ROUNDS], mops[MAX_ROUNDS];
	uint64_t bytes, mean;
	uint32_t n_ops, slots;
	struct spread d, m, p, r;
	const char *vr = o->verify ? "ok" : "skip";
	char size_str[24];
	struct op *ops;
	int ret = 0;

	mean = pat == PAT_MIXED ? 353 : size;
	n_ops = (uint32_t)(o->total / mean);
	if (n_ops < 64)
		n_ops = 64;
	if (n_ops > MAX_OPS_ROUND)
		n_ops = MAX_OPS_ROUND;
	n_ops -= n_ops % n_lanes;
	if (n_ops == 0)
		n_ops = n_lanes;
	ops = make_ops(pat, size, o->region, n_ops, &bytes, &slots);
	if (ops == NULL) {
		fprintf(stderr, "%s: no memory for %u ops\n", prog, n_ops);
		return -1;
	}
	/* warm-up: the same copies once each way, untimed */
	if (run_dma(lanes, n_lanes, ops, n_ops, o->burst) == 0) {
		fprintf(stderr, "%s: the devices stopped completing ops\n", prog);
		free(ops);
		return -1;
	}
	run_memcpy(lanes, n_lanes, ops, n_ops);
	for (unsigned int r_ = 0; r_ < o->rounds; r_++) {
		uint64_t dns, mns = 0;

		/* odd rounds: memcpy() first. With --verify the destination
		 * is cleared (untimed) before each run, so the DMA is checked
		 * on bytes only it wrote, and both runs start alike */
		if (r_ % 2 == 1) {
			clear_dst(o, lanes, n_lanes);
			mns = run_memcpy(lanes, n_lanes, ops, n_ops);
		}
		clear_dst(o, lanes, n_lanes);
		dns = wake(lanes, n_lanes, o->region) < 0 ? 0 :
		      run_dma(lanes, n_lanes, ops, n_ops, o->burst);
		if (dns == 0) {
			fprintf(stderr, "%s: the devices stopped completing ops\n",
				prog);
			free(ops);
			return -1;
		}
		if (o->verify) {
			const char *v = verify(lanes, n_lanes, ops, n_ops,
					       slots);

			if (strcmp(v, "ok") != 0) {
				vr = v;
				ret = -1;
			}
		}
		if (r_ % 2 == 0) {
			clear_dst(o, lanes, n_lanes);
			mns = run_memcpy(lanes, n_lanes, ops, n_ops);
		}
		dma[r_] = (double)bytes / (double)dns;
		mc[r_] = (double)bytes / (double)mns;
		pct[r_] = 100.0 * dma[r_] / mc[r_];
		mops[r_] = (double)n_ops * 1e3 / (double)dns;
	}
	free(ops);
	d = spread_of(dma, o->rounds);
	m = spread_of(mc, o->rounds);
	p = spread_of(pct, o->rounds);
	r = spread_of(mops, o->rounds);
	if (pat == PAT_MIXED)
		snprintf(size_str, sizeof(size_str), "imix");
	else
		snprintf(size_str, sizeof(size_str), "%" PRIu64, size);
	if (o->csv)
		printf("%s,%s,%s,%u,%u,%u,%u,%u,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,"
		       "%.3f,%.1f,%.1f,%.1f,%s\n", iommu_now(),
		       pattern_names[pat], size_str, o->burst, n_devs,
		       o->vchans, n_ops, o->rounds, d.min, d.med, d.max, r.med,
		       m.min, m.med, m.max, p.min, p.med, p.max, vr);
	else
		printf("%-8s %-9s %7s %8u  %5.2f %5.2f %5.2f  %7.3f  "
		       "%5.2f %5.2f %5.2f  %4.0f%% %4.0f%% %4.0f%%  %s\n",
		       iommu_now(), pattern_names[pat], size_str, n_ops, d.min,
		       d.med, d.max, r.med, m.min, m.med, m.max, p.min, p.med,
		       p.max, vr);
	fflush(stdout);
	return ret;
}

/* One EAL session: set up devices and lanes, run every point. */
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
				fprintf(stderr, "%s: --dev %s: no such DMA device\n",
					prog, o->dev_names[i]);
				return -1;
			}
			devs[n_devs++] = (int16_t)id;
		}
	} else {
		for (unsigned int i = 0; i < o->devs; i++) {
			snprintf(made[n_made], sizeof(made[0]), "dma_soft_perf%u",
				 i);
			if (keel_vdev_create(made[n_made], o->dev_args) < 0) {
				fprintf(stderr, "%s: cannot create %s with '%s' "
					"(--dev-args; see the log above)\n",
					prog, made[n_made], o->dev_args);
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
			.direction = KEEL_DMA_DIR_MEM_TO_MEM,
			.nb_desc = ring_for(o, devs[d]),
		};

		if (vc.nb_desc == 0 || vc.nb_desc < o->burst) {
			if (vc.nb_desc != 0)
				fprintf(stderr, "%s: --burst %u is larger than the "
					"ring (%u descriptors)\n", prog, o->burst,
					vc.nb_desc);
			ret = -1;
			goto out;
		}
		keel_dma_stop(devs[d]);
		if (keel_dma_configure(devs[d], &conf) < 0) {
			fprintf(stderr, "%s: cannot configure %u vchans (--vchans)\n",
				prog, o->vchans);
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
			/* heap memory is IOVA-contiguous: one IOVA per side */
			x->src = keel_malloc("dma-perf", o->region, 4096);
			/* + a scratch page for wake() */
			x->dst = keel_malloc("dma-perf", o->region + 4096, 4096);
			if (x->src == NULL || x->dst == NULL) {
				fprintf(stderr, "%s: cannot allocate 2 x %" PRIu64
					" bytes per lane (-m, --region)\n", prog,
					o->region);
				ret = -1;
				goto out;
			}
			x->src_iova = keel_mem_virt2iova(x->src);
			x->dst_iova = keel_mem_virt2iova(x->dst);
			/* touch every page before anything is timed */
			for (uint64_t k = 0; k < o->region; k++)
				x->src[k] = (uint8_t)(k * 7 + (k >> 11) + d);
			memset(x->dst, 0, o->region + 4096);
		}
		if (keel_dma_start(devs[d]) < 0) {
			ret = -1;
			goto out;
		}
	}
	if (print_header && o->csv)
		printf("iommu,pattern,size,burst,devs,vchans,ops,rounds,"
		       "dma_gbps_min,dma_gbps_med,dma_gbps_max,dma_mops_med,"
		       "memcpy_gbps_min,memcpy_gbps_med,memcpy_gbps_max,"
		       "pct_min,pct_med,pct_max,verify\n");
	if (print_header && !o->csv) {
		double load = -1;

		if (getloadavg(&load, 1) == 1 &&
		    load >= (double)sysconf(_SC_NPROCESSORS_ONLN))
			printf("note: load average %.1f on %ld CPUs: other work "
			       "shares the CPUs the engine and memcpy() run on; "
			       "expect wide spreads\n", load,
			       sysconf(_SC_NPROCESSORS_ONLN));
		printf("%u rounds per point, DMA and memcpy() interleaved; "
		       "min / median / max\n", o->rounds);
		printf("%-8s %-9s %7s %8s  %-17s  %7s  %-17s  %-17s  %s\n",
		       "iommu", "pattern", "size", "ops", "DMA GB/s", "Mop/s",
		       "memcpy GB/s", "% of memcpy", "verify");
	}
	for (int pat = 0; pat < N_PATTERNS && ret == 0; pat++) {
		if (!(o->patterns & (1u << pat)))
			continue;
		if (pat == PAT_MIXED) {
			ret = run_point(o, lanes, n_lanes, n_devs, PAT_MIXED, 0);
			continue;
		}
		for (unsigned int s = 0; s < o->n_sizes && ret == 0; s++)
			ret = run_point(o, lanes, n_lanes, n_devs,
					(enum pattern)pat, o->sizes[s]);
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

static void
usage_hook(const char *prgname)
{
	app_usage(prgname);
	printf("\n");
}

int
main(int argc, char **argv)
{
	struct opts o;
	int split = argc, ret, rc = 0;

	prog = argv[0];
	keel_set_application_usage_hook(usage_hook);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			split = i;
			break;
		}
	/* application options after "--", checked before the EAL starts */
	{
		char **av = calloc((size_t)(argc - split) + 2, sizeof(char *));

		if (av == NULL)
			return 1;
		av[0] = argv[0];
		for (int i = split + 1; i < argc; i++)
			av[i - split] = argv[i];
		ret = parse_opts(argc - split > 0 ? argc - split : 1, av, &o);
		free(av);
		if (ret < 0)
			return 2;
		if (ret > 0) {
			usage_hook(argv[0]);
			keel_eal_usage(stdout);
			return 0;
		}
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
		if (ret == -ECANCELED)
			return 0; /* --help */
		if (ret < 0) {
			fprintf(stderr, "%s: keel_eal_init: %s\n", prog,
				strerror(-ret));
			return 1;
		}
		if (run_all(&o, pass == 0) < 0)
			rc = 1;
		if (keel_eal_cleanup() < 0)
			rc = 1;
	}
	return rc;
}
