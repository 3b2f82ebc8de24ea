/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_TEST_MEMPOOL_H
#define KEEL_TEST_MEMPOOL_H

/* Helpers shared by the mempool tests. */
#include "keel_mempool.h"

/*
 * The backends every mempool test runs against: each name here must be
 * registered (a missing one fails the test that asks for it).
 */
extern const char *const test_mempool_ops[];
extern const unsigned int test_mempool_n_ops;

/* Count of memzones whose name starts with "MP_" (pool headers). */
unsigned int test_mempool_zones(void);

/*
 * Give every object its index (a uint32_t at offset 0): an obj_init
 * callback, so tests can keep per-object state in plain arrays.
 */
void test_mempool_obj_index(struct keel_mempool *mp, void *arg, void *obj,
			    unsigned int idx);

static inline uint32_t
test_mempool_idx(const void *obj)
{
	return *(const uint32_t *)obj;
}

#endif
