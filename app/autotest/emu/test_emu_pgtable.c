/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Emulated IOMMU page tables: map/unmap at every page size and alignment
 * mix and address width; the walker (read back through the dump) against a
 * reference model over random mappings in strict and split mode; strict
 * refuses what split allows; every refusal leaves the table unchanged;
 * no page-table page leaks.
 */
#include <stdlib.h>
#include <string.h>

#include "keel_log.h"
#include "test.h"
#include "emu_test_util.h"
#include "emu_internal.h"

#define VA_BASE emu_t_va_window() /* never dereferenced by these tests */

static int
leaves_equal(struct keel_emu_domain *d, const struct emu_t_leaf *want,
	     long n_want, const char *what)
{
	struct emu_t_leaf *got;
	long n = emu_t_leaves(d, &got), i;

	if (n != n_want) {
		printf("  %s: %ld leaves, expected %ld\n", what, n, n_want);
		free(got);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (got[i].iova != want[i].iova || got[i].size != want[i].size ||
		    got[i].va != want[i].va || got[i].prot != want[i].prot) {
			printf("  %s: leaf %ld is iova 0x%" PRIx64 " size 0x%" PRIx64
			       " va 0x%" PRIx64 " prot %u, expected 0x%" PRIx64
			       " 0x%" PRIx64 " 0x%" PRIx64 " %u\n", what, i,
			       got[i].iova, got[i].size, got[i].va, got[i].prot,
			       want[i].iova, want[i].size, want[i].va,
			       want[i].prot);
			free(got);
			return -1;
		}
	}
	free(got);
	return 0;
}

/* every page size, every alignment mix, every address width */
static int
test_emu_pgtable_sizes(void)
{
	static const uint64_t offs[] = { 0, KB4, MB2, MB2 + KB4, GB1 - MB2 };
	static const uint64_t shifts[] = { 0, KB4, MB2 };
	static const uint64_t lens[] = {
		KB4, MB2, MB2 + KB4, GB1, GB1 + MB2 + 2 * KB4, 2 * GB1 + 3 * MB2,
	};
	static const unsigned int aws[] = { 39, 48, 57 };
	static const uint64_t pgs[] = { KEEL_EMU_PGSIZES, KB4 | MB2, KB4 };
	uint64_t pages0 = keel_emu_pt_pages_alive();
	unsigned int a, o, s, l, p;

	for (a = 0; a < 3; a++) {
	for (p = 0; p < 3; p++) {
		struct keel_emu_domain_config cfg = {
			.addr_width = aws[a], .pgsize_bitmap = pgs[p],
		};
		struct keel_emu_domain *d = keel_emu_domain_create(&cfg);
		struct keel_emu_endpoint *ep = keel_emu_endpoint_create(1, "t");
		uint64_t base = 64 * GB1, top = 1ULL << aws[a];

		TEST_ASSERT(d != NULL && ep != NULL, "create aw %u", aws[a]);
		TEST_ASSERT_SUCCESS(keel_emu_endpoint_attach(ep, d), "attach");
		for (o = 0; o < 5; o++)
		for (s = 0; s < 3; s++)
		for (l = 0; l < 6; l++) {
			uint64_t iova = base + offs[o], len = lens[l];

			uint64_t va = VA_BASE + offs[o] + shifts[s], un = 0;
			struct emu_t_leaf *want = NULL;
			struct keel_emu_domain_stats st;
			long n = 0, i;
			char what[128];

			if (emu_t_greedy(iova, va, len, KEEL_EMU_PROT_READ,
					 pgs[p], 2048, &want, &n) != 0) {
				free(want);
				continue; /* keep it fast: a few thousand leaves */
			}
			snprintf(what, sizeof(what), "aw %u pgs 0x%" PRIx64 " iova 0x%"
				 PRIx64 " va 0x%" PRIx64 " len 0x%" PRIx64, aws[a],
				 pgs[p], iova, va, len);
			TEST_ASSERT_SUCCESS(keel_emu_map(d, iova, va, len,
					    KEEL_EMU_PROT_READ), "%s", what);
			TEST_ASSERT_SUCCESS(leaves_equal(d, want, n, what), "%s",
					    what);
			/* first and last byte of every leaf translate */
			for (i = 0; i < n; i++) {
				void *v;
				uint64_t pl;
				uint64_t at[2] = { want[i].iova,
						   want[i].iova + want[i].size - 1 };
				int k;

				for (k = 0; k < 2; k++) {
					TEST_ASSERT_SUCCESS(keel_emu_translate(ep,
						at[k], 1, KEEL_EMU_DMA_TO_DEVICE,
						&v, &pl), "%s: translate 0x%" PRIx64,
						what, at[k]);
					TEST_ASSERT_EQUAL((uintptr_t)v, want[i].va +
						(at[k] - want[i].iova),
						"%s: va of 0x%" PRIx64, what, at[k]);
				}
			}
			free(want);
			TEST_ASSERT_SUCCESS(keel_emu_domain_stats_get(d, &st), "st");
			TEST_ASSERT_EQUAL(st.mapped_bytes, len, "%s", what);
			TEST_ASSERT_SUCCESS(keel_emu_unmap(d, iova, len, &un), "%s",
					    what);
			TEST_ASSERT_EQUAL(un, len, "%s: unmapped", what);
			TEST_ASSERT_SUCCESS(keel_emu_domain_stats_get(d, &st), "st");
			TEST_ASSERT_EQUAL(st.table_pages, 1,
					  "%s: empty tables not freed", what);
		}
		/* the very top of the address space, and just past it */
		TEST_ASSERT_SUCCESS(keel_emu_map(d, top - GB1, VA_BASE, GB1,
				    KEEL_EMU_PROT_WRITE), "top aw %u", aws[a]);
		TEST_ASSERT_EQUAL(keel_emu_map(d, top - KB4, VA_BASE, 2 * KB4,
				  KEEL_EMU_PROT_WRITE), -ERANGE, "past top");
		TEST_ASSERT_SUCCESS(keel_emu_unmap(d, top - GB1, GB1, NULL), "top");
		TEST_ASSERT_SUCCESS(keel_emu_endpoint_destroy(ep), "ep");
		TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");
	}
	}
	TEST_ASSERT_EQUAL(keel_emu_pt_pages_alive(), pages0, "page-table leak");
	return TEST_SUCCESS;
}
KEEL_TEST(emu_pgtable_sizes, "fast", TEST_NO_EAL, test_emu_pgtable_sizes)

/* ---------------------------------------------------------- model tests */

struct seg {
	uint64_t first, last, va;
	uint32_t prot;
};

struct model {
	struct seg s[128];
	unsigned int n;
};

static bool
model_overlaps(const struct model *m, uint64_t first, uint64_t last)
{
	unsigned int i;

	for (i = 0; i < m->n; i++)
		if (m->s[i].first <= last && m->s[i].last >= first)
			return true;
	return false;
}

static int
seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* strict: compare leaves exactly with the greedy leaves of every segment */
static int
model_check_strict(struct keel_emu_domain *d, struct model *m, uint64_t pgs)
{
	struct emu_t_leaf *want = NULL;
	long n = 0;
	unsigned int i;
	int ret;

	qsort(m->s, m->n, sizeof(m->s[0]), seg_cmp);
	for (i = 0; i < m->n; i++)
		emu_t_greedy(m->s[i].first, m->s[i].va,
			     m->s[i].last - m->s[i].first + 1, m->s[i].prot, pgs,
			     0, &want, &n);
	ret = leaves_equal(d, want, n, "model");
	free(want);
	return ret;
}

/* split: every leaf lies in one segment with its VA and prot; the bytes add
 * up (so nothing is mapped that the model does not have) */
static int
model_check_split(struct keel_emu_domain *d, struct model *m)
{
	struct emu_t_leaf *got;
	long n = emu_t_leaves(d, &got), i;
	uint64_t bytes = 0, want = 0;
	unsigned int j;

	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		for (j = 0; j < m->n; j++)
			if (got[i].iova >= m->s[j].first &&
			    got[i].iova + got[i].size - 1 <= m->s[j].last)
				break;
		if (j == m->n || got[i].va != m->s[j].va +
		    (got[i].iova - m->s[j].first) || got[i].prot != m->s[j].prot) {
			printf("  leaf 0x%" PRIx64 "+0x%" PRIx64 " va 0x%" PRIx64
			       " not in the model\n", got[i].iova, got[i].size,
			       got[i].va);
			free(got);
			return -1;
		}
		bytes += got[i].size;
	}
	free(got);
	for (j = 0; j < m->n; j++)
		want += m->s[j].last - m->s[j].first + 1;
	if (bytes != want) {
		printf("  %" PRIu64 " bytes mapped, model has %" PRIu64 "\n", bytes,
		       want);
		return -1;
	}
	return 0;
}

static uint64_t
rnd(uint64_t *st, uint64_t n)
{
	return test_rand(st) % n;
}

static int
run_model(enum keel_emu_unmap_mode mode, unsigned int ops, uint64_t limit)
{
	static const uint64_t gran[] = { KB4, MB2, GB1 };
	struct keel_emu_domain_config cfg = {
		.addr_width = 39, .unmap_mode = mode, .max_mappings = limit,
	};
	uint64_t seed = keel_test_seed(), st = seed, pages0;
	struct keel_emu_domain *d;
	struct keel_emu_endpoint *ep;
	struct model *m = calloc(1, sizeof(*m));
	unsigned int op, i;

	TEST_ASSERT(m != NULL, "calloc");
	pages0 = keel_emu_pt_pages_alive();
	d = keel_emu_domain_create(&cfg);
	ep = keel_emu_endpoint_create(7, "model");
	TEST_ASSERT(d != NULL && ep != NULL, "create");
	TEST_ASSERT_SUCCESS(keel_emu_endpoint_attach(ep, d), "attach");
	keel_log_set_level("iommu.emu", KEEL_LOG_CRIT); /* refusals are normal */
	for (op = 0; op < ops; op++) {
		uint64_t g = gran[rnd(&st, 10) < 6 ? 0 : rnd(&st, 10) < 8 ? 1 : 2];
		uint64_t first, last, len, un = 0, want_un = 0;
		int r, want;

		if (rnd(&st, 100) < 55 && m->n < 120) {
			/* map: alignment of va relative to iova varies */
			uint64_t shift = (g == GB1 ? MB2 : KB4) * rnd(&st, 2);
			uint32_t prot = 1 + (uint32_t)rnd(&st, 3);

			first = g * rnd(&st, (16 * GB1) / g);
			len = g * (1 + rnd(&st, 3)) + KB4 * rnd(&st, 3);
			last = first + len - 1;
			want = 0;
			if (limit != 0 && m->n >= limit)
				want = -ENOSPC;
			else if (model_overlaps(m, first, last))
				want = -EEXIST;
			r = keel_emu_map(d, first, VA_BASE + first + shift, len, prot);
			if (r != want)
				keel_log_set_level("iommu.emu", KEEL_LOG_INFO);
			TEST_ASSERT_EQUAL(r, want, "op %u map 0x%" PRIx64 "+0x%" PRIx64
					  " (seed %" PRIu64 ")", op, first, len,
					  seed);
			if (r == 0)
				m->s[m->n++] = (struct seg){ first, last,
					VA_BASE + first + shift, prot };
		} else {
			unsigned int k = m->n ? (unsigned int)rnd(&st, m->n) : 0;
			unsigned int how = (unsigned int)rnd(&st, 3);
			bool bisect = false;
			unsigned int n_new = 0;
			struct seg keep[256];

			if (m->n == 0 || how == 2) {
				first = g * rnd(&st, (16 * GB1) / g);
				last = first + g * (1 + rnd(&st, 4)) - 1;
			} else if (how == 0) {
				first = m->s[k].first;
				last = m->s[k].last;
			} else {
				unsigned int k2 = (unsigned int)rnd(&st, m->n);

				first = m->s[k].first < m->s[k2].first ?
					m->s[k].first : m->s[k2].first;
				last = m->s[k].last > m->s[k2].last ?
				       m->s[k].last : m->s[k2].last;
			}
			/* expected result */
			for (i = 0; i < m->n; i++) {
				struct seg *x = &m->s[i];

				if (x->last < first || x->first > last) {
					keep[n_new++] = *x;
					continue;
				}
				if (x->first < first || x->last > last)
					bisect = true;
				want_un += (x->last < last ? x->last : last) -
					   (x->first > first ? x->first : first) + 1;
				if (x->first < first) {
					keep[n_new] = *x;
					keep[n_new++].last = first - 1;
				}
				if (x->last > last) {
					keep[n_new] = *x;
					keep[n_new].first = last + 1;
					keep[n_new++].va = x->va + (last + 1 - x->first);
				}
			}
			want = 0;
			if (mode == KEEL_EMU_UNMAP_STRICT && bisect)
				want = -EINVAL;
			else if (mode == KEEL_EMU_UNMAP_SPLIT && limit != 0 &&
				 n_new > limit)
				want = -ENOSPC;
			r = keel_emu_unmap(d, first, last - first + 1, &un);
			TEST_ASSERT_EQUAL(r, want, "op %u unmap 0x%" PRIx64 "-0x%"
					  PRIx64 " (seed %" PRIu64 ")", op, first,
					  last, seed);
			if (r == 0) {
				TEST_ASSERT_EQUAL(un, want_un, "op %u unmapped", op);
				TEST_ASSERT(n_new <= 128, "model overflow");
				memcpy(m->s, keep, n_new * sizeof(keep[0]));
				m->n = n_new;
			}
		}
		/* a random byte of a random segment translates as the model says */
		if (m->n != 0) {
			struct seg *x = &m->s[rnd(&st, m->n)];
			uint64_t at = x->first + rnd(&st, x->last - x->first + 1);
			uint64_t pl;
			void *v;

			TEST_ASSERT_SUCCESS(keel_emu_translate(ep, at, 1,
					    (enum keel_emu_dma_dir)x->prot, &v, &pl),
					    "op %u translate 0x%" PRIx64, op, at);
			TEST_ASSERT_EQUAL((uintptr_t)v, x->va + (at - x->first),
					  "op %u va of 0x%" PRIx64, op, at);
		}
		if (op % 512 == 511 || op == ops - 1) {
			struct keel_emu_domain_stats s;
			int c = mode == KEEL_EMU_UNMAP_STRICT ?
				model_check_strict(d, m, KEEL_EMU_PGSIZES) :
				model_check_split(d, m);

			TEST_ASSERT_SUCCESS(c, "op %u: walker != model (seed %"
					    PRIu64 ")", op, seed);
			TEST_ASSERT_SUCCESS(keel_emu_domain_stats_get(d, &s), "st");
			TEST_ASSERT_EQUAL(s.n_mappings, m->n, "op %u: mappings", op);
		}
	}
	keel_log_set_level("iommu.emu", KEEL_LOG_INFO);
	/* everything out: only the root table is left */
	for (i = 0; i < m->n; i++)
		TEST_ASSERT_SUCCESS(keel_emu_unmap(d, m->s[i].first,
				    m->s[i].last - m->s[i].first + 1, NULL), "drain");
	{
		struct keel_emu_domain_stats s;

		TEST_ASSERT_SUCCESS(keel_emu_domain_stats_get(d, &s), "st");
		TEST_ASSERT_EQUAL(s.table_pages, 1, "tables left after drain");
		TEST_ASSERT_EQUAL(s.n_mappings, 0, "mappings left after drain");
	}
	TEST_ASSERT_SUCCESS(keel_emu_endpoint_destroy(ep), "ep");
	TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");
	TEST_ASSERT_EQUAL(keel_emu_pt_pages_alive(), pages0, "page-table leak");
	free(m);
	return TEST_SUCCESS;
}

static int
test_emu_model_strict(void)
{
	return run_model(KEEL_EMU_UNMAP_STRICT, 100000, 0);
}
KEEL_TEST(emu_model_strict, "fast", TEST_NO_EAL | TEST_RANDOM, test_emu_model_strict)

static int
test_emu_model_split(void)
{
	return run_model(KEEL_EMU_UNMAP_SPLIT, 100000, 0);
}
KEEL_TEST(emu_model_split, "fast", TEST_NO_EAL | TEST_RANDOM, test_emu_model_split)

static int
test_emu_model_limit(void)
{
	int r = run_model(KEEL_EMU_UNMAP_STRICT, 5000, 6);

	return r != TEST_SUCCESS ? r : run_model(KEEL_EMU_UNMAP_SPLIT, 5000, 6);
}
KEEL_TEST(emu_model_limit, "fast", TEST_NO_EAL | TEST_RANDOM, test_emu_model_limit)
