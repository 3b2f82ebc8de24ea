/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_EMU_TEST_UTIL_H
#define KEEL_EMU_TEST_UTIL_H

/*
 * Helpers of the emulated-IOMMU tests: read a domain's leaves back from its
 * dump (so the tests see exactly what the walker visits), and the greedy
 * "largest page that fits" reference that the page table must agree with.
 */
#include <stdbool.h>
#include <stdint.h>

#include "keel_emu_iommu.h"

#define KB4 0x1000ULL
#define MB2 0x200000ULL
#define GB1 0x40000000ULL

struct emu_t_leaf {
	uint64_t iova;
	uint64_t size;
	uint64_t va;
	uint32_t prot;
};

/* leaves of @p d in IOVA order from keel_emu_domain_dump(); the array is
 * malloc'd (caller frees); returns the count or -1 */
long emu_t_leaves(struct keel_emu_domain *d, struct emu_t_leaf **out);

/* the leaves a map of [iova, iova + len) -> va must produce; appended to
 * *out (realloc'd, *n updated); 0, -1, or -2 when *n would pass max
 * (0 = no max) */
int emu_t_greedy(uint64_t iova, uint64_t va, uint64_t len, uint32_t prot,
		 uint64_t pgsizes, long max, struct emu_t_leaf **out, long *n);

/* the first byte of a 1 GiB-aligned window of EMU_T_VA_WINDOW bytes of
 * VA mapped read-write in this process (never touched, so no memory is
 * committed), for tests that map VAs they never dereference: keel_emu_map()
 * checks the VA as the kernel's pin would. Reserved on first use; 0 when
 * it cannot be. */
#define EMU_T_VA_WINDOW (64 * GB1)
uint64_t emu_t_va_window(void);

/* true when the captured log contains @p needle */
bool emu_t_log_has(const char *log, const char *needle);

#endif /* KEEL_EMU_TEST_UTIL_H */
