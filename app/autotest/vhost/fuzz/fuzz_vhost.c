/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer targets of lib/vhost, one binary per body (FUZZ_BODY picks):
 *   build-clang/app/autotest/vhost/fuzz/fuzz-vhost-msg  [corpus dir]
 *   build-clang/app/autotest/vhost/fuzz/fuzz-vhost-ring [corpus dir]
 * With an empty corpus they start from the same seeds as the autotests.
 */
#include <stdlib.h>
#include <string.h>

#include "keel_log.h"
#include "vhost_fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max,
			       unsigned int seed);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	keel_log_set_level("vhost", KEEL_LOG_CRIT); /* refusals are normal */
	return 0;
}

/* one mutation in 16 (and every empty input) starts again from a valid
 * seed, so the deep handlers stay in reach of small mutations */
size_t
LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max,
			unsigned int seed)
{
	if (size == 0 || seed % 16 == 0) {
#if FUZZ_BODY == 0
		size_t n = vhost_fuzz_msg_seed(data, max);
#else
		size_t n = vhost_fuzz_ring_seed(data, max, (int)(seed & 1));
#endif
		if (n > 0)
			size = n;
	}
	return LLVMFuzzerMutate(data, size, max);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#if FUZZ_BODY == 0
	if (vhost_fuzz_msg_one(data, size) < 0)
		abort();
#else
	if (vhost_fuzz_ring_one(data, size) < 0)
		abort();
#endif
	return 0;
}
