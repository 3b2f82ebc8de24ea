/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_DMA_PERF_H
#define KEEL_DMA_PERF_H

/*
 * keel-dma-perf's parts: options.c parses the command line into struct
 * opts, patterns.c builds a run's op list, main.c runs and reports (see
 * main.c's header for what the tool measures and how).
 */
#include <stdint.h>

#define MAX_DEVS 8
#define MAX_SIZES 16
#define MAX_VCHANS 8
#define MAX_ROUNDS 101
#define MAX_OPS_ROUND (1u << 20)    /* ops per timed run, at most */
#define MBUF_STRIDE 2176            /* 2048 B of data + 128 B headroom */

enum pattern { PAT_B2B, PAT_SCATTERED, PAT_MIXED, N_PATTERNS };
extern const char *const pattern_names[N_PATTERNS];

struct opts {
	uint64_t sizes[MAX_SIZES];
	unsigned int n_sizes;
	unsigned int patterns;     /* bit per enum pattern */
	unsigned int rounds;
	uint16_t burst;
	uint16_t ring;             /* 0: the device's largest up to 1024 */
	uint16_t vchans;
	unsigned int devs;
	uint64_t total;            /* bytes per timed run */
	uint64_t region;           /* bytes per side per lane */
	const char *dev_args;
	const char *dev_names[MAX_DEVS];
	unsigned int n_dev_names;
	int csv;
	int verify;
	int compare_iommu;
};

struct op {                        /* one copy of a run's op list */
	uint32_t src_off, dst_off, len;
};

struct lane {                      /* one (device, vchan) */
	int16_t dev;
	uint16_t vchan;
	uint8_t *src, *dst;
	uint64_t src_iova, dst_iova;
	uint64_t enq, done, target, errors;
};

/* argv[0], for messages */
extern const char *prog;

/* options.c: --help text; parse the options after "--" into *o.
 * @return 0, 1 for --help, -1 for a bad option (named on stderr). */
void app_usage(const char *prgname);
int parse_opts(int argc, char **argv, struct opts *o);

/*
 * patterns.c: the ops of one run: @p n ops of pattern @p pat (size @p size
 * for b2b and scattered) over regions of @p region bytes. Returns the op
 * list (NULL on ENOMEM), the bytes it copies in *bytes and the slots used
 * per region in *n_slots.
 */
struct op *make_ops(enum pattern pat, uint64_t size, uint64_t region,
		    uint32_t n, uint64_t *bytes, uint32_t *n_slots);

#endif /* KEEL_DMA_PERF_H */
