/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_IOMMU_TEST_UTIL_H
#define KEEL_IOMMU_TEST_UTIL_H

/*
 * Helpers shared by the IOMMU tests: a table over a fresh memback, the
 * referee (table == backend), snapshots to prove "unchanged after failure".
 */
#include <stdbool.h>
#include <stdint.h>

#include "iova_table.h"
#include "memback.h"

#define PG UINT64_C(0x1000)

struct tb {
	struct iova_table *t;
	void *mb;
};

/* table over a memback with @p cfg; 0 or -errno */
int tb_open(struct tb *tb, const struct keel_memback_cfg *cfg);
void tb_close(struct tb *tb);

/*
 * Referee: the table and the memback hold the same IOVA->VA pages, and on
 * a strict backend every backend mapping is exactly one chunk of a table
 * entry. Also runs iova_table_check(). 0 or -1 (with a printed reason).
 */
int tb_agree(struct tb *tb);

/* a copy of all entries */
struct snap {
	struct keel_iommu_mapping *e;
	uint64_t n;
	uint64_t cap;
};
int snap_take(struct iova_table *t, struct snap *s);
bool snap_equal(const struct snap *a, const struct snap *b);
void snap_free(struct snap *s);

/* log capture helpers: run, return 1 if the captured log has all needles */
bool log_has(const char *log, const char *needle);

#endif /* KEEL_IOMMU_TEST_UTIL_H */
