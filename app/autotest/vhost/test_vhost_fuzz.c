/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fuzz bodies (fuzz/vhost_fuzz.h) over seeds, mutations of the seeds
 * and random inputs: what CI runs of the libFuzzer targets on every build.
 * Reproduce a failure with --seed N.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz/vhost_fuzz.h"
#include "keel_log.h"
#include "test.h"
#include "vhost_test_env.h"

static void
mutate(uint8_t *buf, size_t *len, size_t cap, uint64_t *rs)
{
	unsigned int n = 1 + (unsigned int)(test_rand(rs) % 8), i;

	for (i = 0; i < n && *len > 0; i++) {
		uint64_t r = test_rand(rs);
		size_t at = (size_t)(r % *len);

		switch ((r >> 32) % 6) {
		case 0: case 1: case 2:
			buf[at] ^= (uint8_t)(1u << ((r >> 40) % 8));
			break;
		case 3:
			buf[at] = (uint8_t)(r >> 48);
			break;
		case 4:   /* interesting values */
			buf[at] = (uint8_t[]){ 0, 1, 0x7f, 0x80, 0xff }[(r >> 48) % 5];
			break;
		default:  /* cut or grow */
			if ((r >> 44) & 1)
				*len = at;
			else if (*len < cap)
				*len += (size_t)((r >> 48) % (cap - *len + 1));
			break;
		}
	}
}

static int
run(int (*one)(const uint8_t *, size_t), const uint8_t *seed, size_t slen,
    size_t cap, int iters, const char *what)
{
	uint64_t rs = keel_test_seed() | 1;
	uint8_t *buf = malloc(cap);
	int i;

	TEST_ASSERT(buf != NULL, "memory");
	keel_log_set_level("vhost", KEEL_LOG_CRIT);   /* refusals are normal */
	TEST_ASSERT_SUCCESS(one(seed, slen), "%s: the seed", what);
	for (i = 0; i < iters; i++) {
		size_t len;

		if (i % 8 == 7) {    /* random input */
			len = (size_t)(test_rand(&rs) % 512);
			for (size_t k = 0; k < len; k++)
				buf[k] = (uint8_t)test_rand(&rs);
		} else {
			memcpy(buf, seed, slen);
			len = slen;
			mutate(buf, &len, cap, &rs);
		}
		if (one(buf, len) != 0) {
			keel_log_set_level("vhost", KEEL_LOG_INFO);
			free(buf);
			printf("  %s: input %d failed (seed %" PRIu64 ")\n", what,
			       i, keel_test_seed());
			return TEST_FAILED;
		}
	}
	keel_log_set_level("vhost", KEEL_LOG_INFO);
	free(buf);
	printf("  %s: seed + %d inputs\n", what, iters);
	return TEST_SUCCESS;
}

static int
test_fuzz_msg(void)
{
	static uint8_t seed[4096];
	size_t n = vhost_fuzz_msg_seed(seed, sizeof(seed));

	TEST_ASSERT(n > 0, "seed");
	return run(vhost_fuzz_msg_one, seed, n, sizeof(seed), 2000,
		   "message fuzz");
}
KEEL_TEST(vhost_fuzz_messages, "fast", TEST_NO_EAL | TEST_RANDOM, test_fuzz_msg)

static int
test_fuzz_ring(void)
{
	static uint8_t seed[2][4 + VT_IMAGE_END];
	size_t n0 = vhost_fuzz_ring_seed(seed[0], sizeof(seed[0]), 0);
	size_t n1 = vhost_fuzz_ring_seed(seed[1], sizeof(seed[1]), 1);
	int r;

	TEST_ASSERT(n0 > 0 && n1 > 0, "seeds");
	r = run(vhost_fuzz_ring_one, seed[0], n0, sizeof(seed[0]), 1500,
		"split ring fuzz");
	if (r != TEST_SUCCESS)
		return r;
	return run(vhost_fuzz_ring_one, seed[1], n1, sizeof(seed[1]), 1500,
		   "packed ring fuzz");
}
KEEL_TEST(vhost_fuzz_rings, "fast", TEST_NO_EAL | TEST_RANDOM, test_fuzz_ring)
