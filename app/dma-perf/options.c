/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel-dma-perf's command line: every option checked and named with what
 * it accepts before the EAL starts.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dma_perf.h"

const char *const pattern_names[N_PATTERNS] = {
	"b2b", "scattered", "mixed",
};


void
app_usage(const char *prgname)
{
	printf("usage: %s [EAL options] -- [options]\n"
	       "\n"
	       "DMA copy throughput next to one core's memcpy() of the same copies.\n"
	       "Options (sizes take a k, m or g suffix):\n"
	       "  --sizes LIST     copy sizes for b2b and scattered, each 1..--region\n"
	       "                   (default 64,4k,64k,1m; at most %d)\n"
	       "  --patterns LIST  b2b, scattered, mixed (default all three)\n"
	       "  --rounds N       rounds per point, 1..%d (default 5): min/median/max\n"
	       "  --burst N        ops per submit, 1..4096 (default 32)\n"
	       "  --ring N         descriptors per vchan, a power of two 1..32768\n"
	       "                   within the device's limits (default: its largest\n"
	       "                   up to 1024)\n"
	       "  --vchans N       vchans per device, 1..%d (default 1)\n"
	       "  --devs N         soft devices to create, 1..%d (default 1)\n"
	       "  --dev NAME       use this existing device instead (repeatable)\n"
	       "  --dev-args ARGS  arguments of the created soft devices\n"
	       "                   (default lcore=any)\n"
	       "  --total BYTES    bytes copied per timed run, 1..64g (default 64m)\n"
	       "  --region BYTES   bytes per side of each lane's buffers, 4k..1g\n"
	       "                   (default 32m)\n"
	       "  --no-verify      skip the data check\n"
	       "  --compare-iommu  run with --iommu=emulated, then --iommu=none\n"
	       "  --csv            CSV instead of a table\n"
	       "  -h, --help       this help, then the EAL's options\n",
	       prgname, MAX_SIZES, MAX_ROUNDS - 1, MAX_VCHANS, MAX_DEVS);
}

static int
bad_opt(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "%s: %s '%s': expected %s\n", prog, opt, val, want);
	return -1;
}

/* "64", "4k", "0x100", "1m": the number of bytes; *end past it */
static int
parse_size(const char *s, uint64_t *out, const char **endp)
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
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	*endp = end;
	return 0;
}

/* a whole option value as a size in [min, max] */
static int
parse_num(const char *opt, const char *val, uint64_t min, uint64_t max,
	  const char *want, uint64_t *out)
{
	const char *end;

	if (parse_size(val, out, &end) != 0 || *end != '\0' || *out < min ||
	    *out > max)
		return bad_opt(opt, val, want);
	return 0;
}

int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "sizes", required_argument, NULL, 's' },
		{ "patterns", required_argument, NULL, 'p' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "burst", required_argument, NULL, 'b' },
		{ "ring", required_argument, NULL, 'r' },
		{ "vchans", required_argument, NULL, 'v' },
		{ "devs", required_argument, NULL, 'n' },
		{ "dev", required_argument, NULL, 'd' },
		{ "dev-args", required_argument, NULL, 'a' },
		{ "total", required_argument, NULL, 't' },
		{ "region", required_argument, NULL, 'g' },
		{ "no-verify", no_argument, NULL, 'V' },
		{ "compare-iommu", no_argument, NULL, 'C' },
		{ "csv", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const uint64_t def_sizes[] = { 64, 4096, 65536, 1 << 20 };
	const char *sizes_arg = NULL;
	uint64_t v;
	int opt;

	memset(o, 0, sizeof(*o));
	memcpy(o->sizes, def_sizes, sizeof(def_sizes));
	o->n_sizes = 4;
	o->patterns = (1u << N_PATTERNS) - 1;
	o->rounds = 5;
	o->burst = 32;
	o->vchans = 1;
	o->devs = 1;
	o->total = 64ull << 20;
	o->region = 32ull << 20;
	o->dev_args = "lcore=any";
	o->verify = 1;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (opt) {
		case 's':
			sizes_arg = optarg; /* checked against --region below */
			break;
		case 'p': {
			char buf[128], *tok, *save = NULL;

			snprintf(buf, sizeof(buf), "%s", optarg);
			o->patterns = 0;
			for (tok = strtok_r(buf, ",", &save); tok != NULL;
			     tok = strtok_r(NULL, ",", &save)) {
				int p;

				for (p = 0; p < N_PATTERNS; p++)
					if (strcmp(tok, pattern_names[p]) == 0)
						break;
				if (p == N_PATTERNS)
					return bad_opt("--patterns", optarg,
						       "a list of b2b, scattered, mixed");
				o->patterns |= 1u << p;
			}
			if (o->patterns == 0)
				return bad_opt("--patterns", optarg,
					       "a list of b2b, scattered, mixed");
			break;
		}
		case 'R':
			if (parse_num("--rounds", optarg, 1, MAX_ROUNDS - 1,
				      "an integer in 1..100", &v) < 0)
				return -1;
			o->rounds = (unsigned int)v;
			break;
		case 'b':
			if (parse_num("--burst", optarg, 1, 4096,
				      "an integer in 1..4096", &v) < 0)
				return -1;
			o->burst = (uint16_t)v;
			break;
		case 'r':
			if (parse_num("--ring", optarg, 1, 32768,
				      "a power of two in 1..32768", &v) < 0)
				return -1;
			if ((v & (v - 1)) != 0)
				return bad_opt("--ring", optarg,
					       "a power of two in 1..32768");
			o->ring = (uint16_t)v;
			break;
		case 'v':
			if (parse_num("--vchans", optarg, 1, MAX_VCHANS,
				      "an integer in 1..8", &v) < 0)
				return -1;
			o->vchans = (uint16_t)v;
			break;
		case 'n':
			if (parse_num("--devs", optarg, 1, MAX_DEVS,
				      "an integer in 1..8", &v) < 0)
				return -1;
			o->devs = (unsigned int)v;
			break;
		case 't':
			if (parse_num("--total", optarg, 1, 64ull << 30,
				      "a size in 1..64g", &o->total) < 0)
				return -1;
			break;
		case 'g':
			if (parse_num("--region", optarg, 4096, 1ull << 30,
				      "a size in 4k..1g", &o->region) < 0)
				return -1;
			break;
		case 'd':
			if (o->n_dev_names == MAX_DEVS)
				return bad_opt("--dev", optarg,
					       "at most 8 devices");
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
			return 1;
		case ':':
			fprintf(stderr, "%s: option '%s' needs a value (see --help)\n",
				prog, argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "%s: unknown option '%s' (see --help)\n",
				prog, argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n",
			prog, argv[optind]);
		return -1;
	}
	if (sizes_arg != NULL) {
		const char *p = sizes_arg, *end;
		char want[96];

		snprintf(want, sizeof(want), "a list of at most %d sizes, each "
			 "in 1..%" PRIu64 "k (--region)", MAX_SIZES,
			 o->region >> 10);
		o->n_sizes = 0;
		for (;;) {
			if (parse_size(p, &v, &end) != 0 || v == 0 ||
			    v > o->region || o->n_sizes == MAX_SIZES ||
			    (*end != ',' && *end != '\0'))
				return bad_opt("--sizes", sizes_arg, want);
			o->sizes[o->n_sizes++] = v;
			if (*end == '\0')
				break;
			p = end + 1;
		}
	}
	if (o->n_dev_names > 0 && o->compare_iommu) {
		fprintf(stderr, "%s: --compare-iommu creates its own devices: "
			"it cannot be used with --dev\n", prog);
		return -1;
	}
	return 0;
}
