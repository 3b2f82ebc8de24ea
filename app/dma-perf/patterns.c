/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel-dma-perf's access patterns (see main.c): back-to-back, scattered
 * and mixed sizes, from a fixed seed so every round copies the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>

#include "dma_perf.h"


static uint64_t
rng(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* a random order of slots 0..n-1 */
static void
shuffle(uint32_t *a, uint32_t n, uint64_t *s)
{
	for (uint32_t i = 0; i < n; i++)
		a[i] = i;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rng(s) % (i + 1)), t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}

/*
 * The ops of one run: @p n ops of pattern @p pat (size @p size for b2b
 * and scattered) over regions of @p region bytes. Returns the op list
 * (NULL on ENOMEM) and the bytes it copies in *bytes.
 */
struct op *
make_ops(enum pattern pat, uint64_t size, uint64_t region, uint32_t n,
	 uint64_t *bytes, uint32_t *n_slots)
{
	static const uint32_t imix[12] = {
		64, 64, 64, 64, 64, 64, 64, 576, 576, 576, 576, 1500,
	};
	uint64_t stride = pat == PAT_B2B ? size :
			  pat == PAT_MIXED ? MBUF_STRIDE :
			  2 * ((size + 63) & ~63ull);
	uint32_t slots = (uint32_t)(region / stride), *sp, *dp;
	struct op *ops = calloc(n, sizeof(*ops));
	uint64_t s = 0x6b65656c5045524full;

	*bytes = 0;
	if (slots == 0)
		slots = 1;
	*n_slots = slots;
	sp = calloc(slots, sizeof(*sp));
	dp = calloc(slots, sizeof(*dp));
	if (ops == NULL || sp == NULL || dp == NULL) {
		free(ops);
		ops = NULL;
		goto out;
	}
	shuffle(sp, slots, &s);
	shuffle(dp, slots, &s);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t slot = k % slots;

		switch (pat) {
		case PAT_B2B:
			ops[k].src_off = (uint32_t)(slot * stride);
			ops[k].dst_off = (uint32_t)(slot * stride);
			ops[k].len = (uint32_t)size;
			break;
		case PAT_SCATTERED:
			ops[k].src_off = (uint32_t)(sp[slot] * stride);
			ops[k].dst_off = (uint32_t)(dp[slot] * stride);
			ops[k].len = (uint32_t)size;
			break;
		default:
			ops[k].src_off = (uint32_t)(sp[slot] * stride + 128);
			ops[k].dst_off = (uint32_t)(dp[slot] * stride + 128);
			ops[k].len = imix[rng(&s) % 12];
			break;
		}
		*bytes += ops[k].len;
	}
out:
	free(sp);
	free(dp);
	return ops;
}
