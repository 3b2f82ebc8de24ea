/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Model-based random test of the IOVA map table: random map/unmap calls
 * (seeded; the seed is printed on failure) are applied to the table (over
 * memback) and to a per-page reference model that predicts each result.
 * After every call the table must equal the model (pages, VAs and, on a
 * strict backend, the chunk of every map call), and periodically the
 * backend's own record and the table's structural self-check. Some
 * unmaps stop short in the backend (as type1 does at another process's
 * mapping); the model predicts what the backend removed and the table
 * must follow it.
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "iommu_test_util.h"

#define MP 512                 /* pages in the IOVA universe */
#define IO_BASE 0x10000000ULL
#define N_DELTA 3

static const uint64_t deltas[N_DELTA] = {
	0x7f0000000000ULL, 0x7f0100000000ULL, 0x600000000000ULL,
};

struct mpage {
	uint8_t mapped;
	uint8_t acc;         /* KEEL_IOMMU_ACCESS_* of its map call */
	uint64_t va;
	uint32_t call;       /* id of the map call that mapped it */
	uint32_t cstart;     /* first page of that call */
	uint32_t clen;       /* pages of that call */
};

struct model {
	struct mpage p[MP];
	bool can_split;
	uint64_t limit;
	uint64_t n_calls;    /* strict: live map calls = backend mappings */
	uint64_t runs;       /* split: backend records */
	uint32_t next_id;
};

static uint64_t
pg_iova(uint64_t i)
{
	return IO_BASE + i * PG;
}

/* run start: mapped and not continuing the previous page's record */
static bool
run_start(const struct model *m, int64_t i)
{
	if (i < 0 || i >= MP || !m->p[i].mapped)
		return false;
	return i == 0 || !m->p[i - 1].mapped || m->p[i - 1].call != m->p[i].call;
}

static int
model_map(struct model *m, uint64_t a, uint64_t n, uint64_t va, uint8_t acc)
{
	uint64_t i;

	for (i = a; i < a + n; i++)
		if (m->p[i].mapped)
			return -EEXIST;
	if (m->limit && (m->can_split ? m->runs : m->n_calls) >= m->limit)
		return -ENOSPC;
	for (i = a; i < a + n; i++) {
		m->p[i].mapped = 1;
		m->p[i].acc = acc;
		m->p[i].va = va + (i - a) * PG;
		m->p[i].call = m->next_id;
		m->p[i].cstart = (uint32_t)a;
		m->p[i].clen = (uint32_t)n;
	}
	m->next_id++;
	m->n_calls++;
	m->runs++;
	return 0;
}

static int
model_unmap(struct model *m, uint64_t a, uint64_t n, uint64_t va)
{
	uint64_t i, b = a + n;
	int64_t before = 0, after = 0, j;
	struct mpage save[MP];

	for (i = a; i < b; i++) {
		if (!m->p[i].mapped)
			return -ENOENT;
		if (m->p[i].va != va + (i - a) * PG)
			return -EFAULT;
	}
	if (!m->can_split) {
		const struct mpage *f = &m->p[a], *l = &m->p[b - 1];

		if (f->cstart != a || l->cstart + l->clen != b)
			return -ENOTSUP;
	}
	for (j = (int64_t)a; j <= (int64_t)b; j++)
		before += run_start(m, j);
	memcpy(save, m->p, sizeof(save));
	for (i = a; i < b; i++)
		m->p[i].mapped = 0;
	for (j = (int64_t)a; j <= (int64_t)b; j++)
		after += run_start(m, j);
	if (m->can_split && after > before && m->limit &&
	    m->runs >= m->limit) {
		memcpy(m->p, save, sizeof(save));
		return -ENOSPC;
	}
	m->runs += after - before;
	if (!m->can_split)
		for (i = a; i < b; i++)
			if (save[i].cstart == i)
				m->n_calls--;
	return 0;
}

/*
 * A short unmap of [a, a + n) (memback's seam, type1's behaviour at
 * another process's mapping): the backend stops at the last record the
 * range meets. Records are runs of pages of one map call. @return the
 * first page it keeps (== a when it removes nothing).
 */
static uint64_t
model_short_stop(const struct model *m, uint64_t a, uint64_t n)
{
	uint64_t j = a + n - 1;

	while (j > a && m->p[j - 1].mapped &&
	       m->p[j - 1].call == m->p[j].call)
		j--;
	return j;
}

struct cmp_ctx {
	const struct model *m;
	uint64_t pages;
	const char *why;
	uint64_t at;
};

static int
cmp_entry(const struct keel_iommu_mapping *e, void *arg)
{
	struct cmp_ctx *c = arg;
	uint64_t i, first = (e->iova - IO_BASE) / PG, n = e->len / PG;

	if (e->iova < IO_BASE || first + n > MP) {
		c->why = "entry outside the universe";
		c->at = e->iova;
		return 1;
	}
	for (i = first; i < first + n; i++) {
		const struct mpage *p = &c->m->p[i];

		if (!p->mapped || p->va != e->va + (i - first) * PG) {
			c->why = p->mapped ? "VA differs" : "mapped in table only";
			c->at = pg_iova(i);
			return 1;
		}
		if (p->acc != e->access) {
			c->why = "access differs";
			c->at = pg_iova(i);
			return 1;
		}
		if (!c->m->can_split) {
			uint64_t cp = e->chunk / PG;

			if (e->chunk == 0 || ((i - first) % cp == 0 &&
			    (p->cstart != i || p->clen != cp))) {
				c->why = "chunk differs from the map call";
				c->at = pg_iova(i);
				return 1;
			}
		} else if (e->chunk != 0) {
			c->why = "chunk on a splitting backend";
			c->at = e->iova;
			return 1;
		}
	}
	c->pages += n;
	return 0;
}

static int
model_compare(struct tb *tb, const struct model *m)
{
	struct cmp_ctx c = { m, 0, NULL, 0 };
	uint64_t i, mapped = 0;

	for (i = 0; i < MP; i++)
		mapped += m->p[i].mapped;
	if (iova_table_walk(tb->t, cmp_entry, &c) != 0) {
		printf("  model: %s at iova 0x%" PRIx64 "\n", c.why, c.at);
		return -1;
	}
	if (c.pages != mapped) {
		printf("  model: table maps %" PRIu64 " pages, model %" PRIu64
		       "\n", c.pages, mapped);
		return -1;
	}
	return 0;
}

struct model_cfg {
	bool can_split;
	uint64_t limit;
	uint64_t ops;
	uint64_t full_check_every;
	bool local_checks;   /* per op: only the pages around the op */
};

/* the pages of [a - 1, a + n]: mapped as the model says, at its VA */
static int
local_compare(struct tb *tb, const struct model *m, uint64_t a, uint64_t n)
{
	uint64_t i = a ? a - 1 : 0, end = a + n < MP ? a + n + 1 : MP;

	for (; i < end; i++) {
		struct keel_iommu_mapping e;
		int r = iova_table_lookup_iova(tb->t, pg_iova(i), &e);

		if ((r == 0) != m->p[i].mapped ||
		    (r == 0 && e.va + (pg_iova(i) - e.iova) != m->p[i].va)) {
			printf("  model: page 0x%" PRIx64 " differs\n",
			       pg_iova(i));
			return -1;
		}
	}
	return 0;
}

static int
run_model(const struct model_cfg *mc, uint64_t seed)
{
	struct keel_memback_cfg c = { .can_split = mc->can_split,
		.pgsize_bitmap = PG, .addr_width = 48,
		.max_mappings = mc->limit };
	uint64_t s = seed, op, n_ok = 0, n_err = 0, i, hist[256] = {0};
	uint64_t n_short = 0;
	struct keel_iommu_stats st;
	struct model *m;
	struct tb tb;
	int ret = TEST_FAILED;

	m = calloc(1, sizeof(*m));
	TEST_ASSERT(m != NULL, "no memory");
	m->can_split = mc->can_split;
	m->limit = mc->limit;
	if (tb_open(&tb, &c) != 0) {
		free(m);
		return TEST_FAILED;
	}
	keel_log_set_level("iommu", KEEL_LOG_CRIT);   /* refusals are normal */
	for (op = 0; op < mc->ops; op++) {
		uint64_t r = test_rand(&s) % 100;
		uint64_t a = test_rand(&s) % MP, n, va;
		int want, got;
		bool is_map;
		/* read-only, write-only or both: entries of different
		 * access must never merge */
		uint8_t acc = (uint8_t)(1 + test_rand(&s) % 3);

		/* sizes 1, 2, 4 (merges need equal chunks) or 1..16 */
		n = (test_rand(&s) % 4 == 0) ? 1 + test_rand(&s) % 16 :
			(uint64_t)1 << (test_rand(&s) % 3);
		if (a + n > MP)
			n = MP - a;
		va = pg_iova(a) + deltas[test_rand(&s) % N_DELTA];
		is_map = r < 45;
		if (!is_map && r < 95 && !m->p[a].mapped) {
			/* aim at mapped memory: the next mapped page */
			for (i = 1; i < MP && !m->p[(a + i) % MP].mapped; i++)
				;
			a = (a + i) % MP;
			if (a + n > MP)
				n = MP - a;
		}
		if (is_map && r < 20 && a > 0 && m->p[a - 1].mapped) {
			/* right after a mapped page, VA-contiguous: merges
			 * (mostly with the same access) */
			va = m->p[a - 1].va + PG;
			n = m->p[a - 1].clen;
			if (r < 16)
				acc = m->p[a - 1].acc;
			if (a + n > MP)
				n = MP - a;
		}
		if (!is_map && r < 80 && m->p[a].mapped) {
			/* call-aligned unmap over one or more calls */
			uint64_t k, calls = 1 + test_rand(&s) % 3;

			a = m->p[a].cstart;
			va = m->p[a].va;
			for (k = 0, n = 0; k < calls && a + n < MP &&
			     m->p[a + n].mapped; k++)
				n += m->p[a + n].clen -
					(a + n - m->p[a + n].cstart);
			if (n == 0)
				n = 1;
		} else if (!is_map && r < 95 && m->p[a].mapped) {
			va = m->p[a].va;    /* random range, right VA */
		}
		if (r >= 98) {
			/* bad parameters */
			want = r == 98 ? -EINVAL : -EDOM;
			got = r == 98 ? iova_table_map(tb.t, va, pg_iova(a), 0, KEEL_IOMMU_ACCESS_RW) :
				iova_table_unmap(tb.t, va + 0x10, pg_iova(a),
						 n * PG);
		} else if (is_map) {
			want = model_map(m, a, n, va, acc);
			got = iova_table_map(tb.t, va, pg_iova(a), n * PG, acc);
		} else if (test_rand(&s) % 50 != 0) {
			want = model_unmap(m, a, n, va);
			got = iova_table_unmap(tb.t, va, pg_iova(a), n * PG);
		} else {
			/* 2% of the unmaps: if the model says it reaches the
			 * backend, the backend stops short there (as type1 at
			 * another process's mapping); the table must follow */
			struct model *probe = malloc(sizeof(*probe));

			TEST_ASSERT(probe != NULL, "no memory");
			*probe = *m;
			want = model_unmap(probe, a, n, va);
			free(probe);
			if (want == 0) {
				uint64_t stop = model_short_stop(m, a, n);

				if (stop > a)
					model_unmap(m, a, stop - a, va);
				want = -EIO;
				n_short++;
				keel_memback_short_unmap_nth(tb.mb, 1);
			}
			got = iova_table_unmap(tb.t, va, pg_iova(a), n * PG);
		}
		if (got != want) {
			printf("  op %" PRIu64 ": %s va 0x%" PRIx64 " iova 0x%"
			       PRIx64 " len 0x%" PRIx64 " returned %d, model "
			       "says %d\n", op, is_map ? "map" : "unmap", va,
			       pg_iova(a), n * PG, got, want);
			goto fail;
		}
		if (got == 0)
			n_ok++;
		else
			n_err++;
		if (got < 0 && -got < 256)
			hist[-got]++;
		if ((mc->local_checks ? local_compare(&tb, m, a, n) :
		     model_compare(&tb, m)) != 0) {
			printf("  after op %" PRIu64 "\n", op);
			goto fail;
		}
		if (op % mc->full_check_every == 0) {
			if (tb_agree(&tb) != 0 || model_compare(&tb, m) != 0) {
				printf("  after op %" PRIu64 "\n", op);
				goto fail;
			}
			for (i = 0; i < 8; i++) {
				uint64_t p = test_rand(&s) % MP;
				struct keel_iommu_mapping e;
				int fi = iova_table_lookup_iova(tb.t,
							pg_iova(p) + 8, &e);
				int fv = m->p[p].mapped ?
					iova_table_lookup_va(tb.t,
							     m->p[p].va + 8, &e) :
					-ENOENT;

				if ((fi == 0) != m->p[p].mapped ||
				    (m->p[p].mapped && (fv != 0 ||
				     e.iova + (m->p[p].va - e.va) != pg_iova(p)))) {
					printf("  lookup of page %" PRIu64
					       " disagrees (op %" PRIu64 ")\n",
					       p, op);
					goto fail;
				}
			}
		}
	}
	if (tb_agree(&tb) != 0)
		goto fail;
	iova_table_stats(tb.t, &st);
	printf("  %" PRIu64 " ops: %" PRIu64 " ok, %" PRIu64 " refused; %"
	       PRIu64 " merges, %" PRIu64 " splits, %" PRIu64 " entries\n",
	       mc->ops, n_ok, n_err, st.merges, st.splits, st.entries);
	printf("  refusals: EEXIST %" PRIu64 ", ENOENT %" PRIu64 ", EFAULT %"
	       PRIu64 ", ENOTSUP %" PRIu64 ", ENOSPC %" PRIu64 ", EINVAL %"
	       PRIu64 ", EDOM %" PRIu64 "; short unmaps (EIO) %" PRIu64 "\n",
	       hist[EEXIST], hist[ENOENT], hist[EFAULT], hist[ENOTSUP],
	       hist[ENOSPC], hist[EINVAL], hist[EDOM], n_short);
	if (n_ok < mc->ops / 10 || n_err < mc->ops / 20 || st.merges == 0 ||
	    st.splits == 0 || !hist[EEXIST] || !hist[ENOENT] ||
	    !hist[EFAULT] || !hist[EINVAL] || !hist[EDOM] ||
	    hist[EIO] != n_short || n_short == 0 ||
	    (!mc->can_split && !hist[ENOTSUP]) ||
	    (mc->limit && !hist[ENOSPC])) {
		printf("  the random mix did not exercise the table\n");
		goto fail;
	}
	ret = TEST_SUCCESS;
fail:
	keel_log_set_level("iommu", KEEL_LOG_INFO);
	if (ret != TEST_SUCCESS)
		printf("  seed %" PRIu64 " (rerun with --seed %" PRIu64 ")\n",
		       seed, seed);
	tb_close(&tb);
	free(m);
	return ret;
}

static int
test_model_split(void)
{
	struct model_cfg mc = { true, 0, 100000, 64 };

	return run_model(&mc, keel_test_seed());
}
KEEL_TEST(iova_table_model_split, "fast", TEST_NO_EAL | TEST_RANDOM, test_model_split)

static int
test_model_strict(void)
{
	struct model_cfg mc = { false, 0, 100000, 64 };

	return run_model(&mc, keel_test_seed());
}
KEEL_TEST(iova_table_model_strict, "fast", TEST_NO_EAL | TEST_RANDOM, test_model_strict)

static int
test_model_tiny(void)
{
	struct model_cfg strict = { false, 8, 50000, 32 };
	struct model_cfg split = { true, 8, 50000, 32 };

	TEST_ASSERT_SUCCESS(run_model(&strict, keel_test_seed()),
			    "strict, limit 8");
	TEST_ASSERT_SUCCESS(run_model(&split, keel_test_seed() + 1),
			    "splitting, limit 8");
	return TEST_SUCCESS;
}
KEEL_TEST(iova_table_model_tiny, "fast", TEST_NO_EAL | TEST_RANDOM, test_model_tiny)

/* 10^6 operations on each backend shape, one test per shape so that
 * meson runs them in parallel */
static int
test_model_long(void)
{
	struct model_cfg mc = { false, 0, 1000000, 1024, true };

	return run_model(&mc, keel_test_seed());
}
KEEL_TEST(iova_table_model_long, "fast", TEST_NO_EAL | TEST_RANDOM, test_model_long)

static int
test_model_long_split(void)
{
	struct model_cfg mc = { true, 0, 1000000, 1024, true };

	return run_model(&mc, keel_test_seed());
}
KEEL_TEST(iova_table_model_long_split, "fast", TEST_NO_EAL | TEST_RANDOM, test_model_long_split)

static int
test_model_long_tiny(void)
{
	struct model_cfg mc = { false, 16, 1000000, 1024, true };

	return run_model(&mc, keel_test_seed());
}
KEEL_TEST(iova_table_model_long_tiny, "fast", TEST_NO_EAL | TEST_RANDOM, test_model_long_tiny)
