/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading the IOVA map table: lookups by IOVA and by VA, next and walk
 * (no lock: they never wait for a writer, see iova_store.h), and stats,
 * dump and the self-check (under the writer mutex, for a stable view).
 *
 * Invariant: a lookup returns an entry that was in the table at some
 * moment during the call, never a torn mix of two entries, and never one
 * whose unmap had returned before the lookup started. Placeholders of
 * ranges being unmapped are invisible to lookups and walk (not to next,
 * which the IOVA allocator uses: their IOVAs are still taken).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "keel_log.h"
#include "iova_table_internal.h"

static void
to_mapping(const struct iova_entry *e, struct keel_iommu_mapping *m)
{
	m->va = e->va;
	m->iova = e->iova;
	m->len = e->len;
	m->chunk = e->chunk_fl & ~(uint64_t)IOVA_E_FLAGS;
	m->access = (uint32_t)(e->chunk_fl & IOVA_E_ACCESS);
}

int
iova_table_lookup_iova(struct iova_table *t, uint64_t iova,
		       struct keel_iommu_mapping *m)
{
	struct iova_entry e;

	if (bt_r_floor(&t->st, &t->roots, iova, &e) < 0 ||
	    iova - e.iova >= e.len || (e.chunk_fl & IOVA_E_DYING))
		return -ENOENT;
	to_mapping(&e, m);
	return 0;
}

int
iova_table_lookup_va(struct iova_table *t, uint64_t va,
		     struct keel_iommu_mapping *m)
{
	struct iova_entry e;

	if (bt_r_stab_va(&t->st, &t->roots, va, &e) < 0)
		return -ENOENT;
	to_mapping(&e, m);
	return 0;
}

int
iova_table_next(struct iova_table *t, uint64_t iova,
		struct keel_iommu_mapping *m)
{
	struct iova_entry e;

	if (bt_r_floor(&t->st, &t->roots, iova, &e) < 0 ||
	    iova - e.iova >= e.len) {
		if (bt_r_from(&t->st, &t->roots, iova, &e, 1) == 0)
			return -ENOENT;
	}
	to_mapping(&e, m);
	return 0;
}

#define WALK_BATCH 32

int
iova_table_walk(struct iova_table *t,
		int (*fn)(const struct keel_iommu_mapping *m, void *arg),
		void *arg)
{
	struct iova_entry e[WALK_BATCH];
	struct keel_iommu_mapping m;
	uint64_t from = 0;
	unsigned int n, i;
	int ret;

	for (;;) {
		n = bt_r_from(&t->st, &t->roots, from, e, WALK_BATCH);
		if (n == 0)
			return 0;
		for (i = 0; i < n; i++) {
			if (e[i].chunk_fl & IOVA_E_DYING)
				continue;
			to_mapping(&e[i], &m);
			ret = fn(&m, arg);
			if (ret != 0)
				return ret;
		}
		if (e[n - 1].iova + e[n - 1].len - 1 == UINT64_MAX)
			return 0;
		from = e[n - 1].iova + e[n - 1].len;
	}
}

/* ---- stats, dump (writer mutex: one consistent view) ---- */

static void
stats_locked(struct iova_table *t, struct keel_iommu_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->entries = t->n_entries;
	st->bytes = t->bytes;
	st->backend_mappings = iova_table_backend_usage(t);
	st->max_mappings = t->caps.max_mappings;
	st->backend_maps = t->backend_maps;
	st->backend_unmaps = t->backend_unmaps;
	st->backend_errors = t->backend_errors;
	st->merges = t->merges;
	st->splits = t->splits;
	st->refused = t->refused;
	st->node_bytes = iova_store_bytes(&t->st) + sizeof(*t) +
		t->cov.cap * sizeof(t->cov.p[0]);
	st->unmap_waits = t->waits;
	st->reuse_batches = t->st.bumps;
}

void
iova_table_stats(struct iova_table *t, struct keel_iommu_stats *st)
{
	pthread_mutex_lock(&t->lock);
	stats_locked(t, st);
	pthread_mutex_unlock(&t->lock);
}

struct dump_ctx {
	struct iova_table *t;
	FILE *f;
};

static int
dump_one(uint32_t idx, void *arg)
{
	struct dump_ctx *d = arg;
	const struct iova_entry *e = es_w(&d->t->st, idx);
	unsigned int acc = (unsigned int)(e->chunk_fl & IOVA_E_ACCESS);

	if (e->chunk_fl & IOVA_E_DYING) {
		fprintf(d->f, "  iova 0x%016" PRIx64 "-0x%016" PRIx64
			" being unmapped (waiting for a device)\n", e->iova,
			e->iova + e->len - 1);
		return 0;
	}
	fprintf(d->f, "  iova 0x%016" PRIx64 "-0x%016" PRIx64
		" va 0x%016" PRIx64 " len 0x%" PRIx64 " chunk 0x%" PRIx64
		" %s%s\n", e->iova, e->iova + e->len - 1, e->va, e->len,
		e->chunk_fl & ~(uint64_t)IOVA_E_FLAGS,
		acc & IOVA_E_READ ? "r" : "-", acc & IOVA_E_WRITE ? "w" : "-");
	return 0;
}

void
iova_table_dump(struct iova_table *t, FILE *f)
{
	struct dump_ctx d = { t, f };
	struct keel_iommu_stats st;
	unsigned int i;

	pthread_mutex_lock(&t->lock);
	stats_locked(t, &st);
	fprintf(f, "backend %s: %s, pgsizes 0x%" PRIx64 ", %u-bit, limit %"
		PRIu64 "\n", t->ops->name,
		t->caps.can_split ? "can split" : "cannot split",
		t->caps.pgsize_bitmap, t->caps.addr_width,
		t->caps.max_mappings);
	for (i = 0; i < t->caps.n_ranges; i++)
		fprintf(f, "  usable [0x%" PRIx64 ", 0x%" PRIx64 "]\n",
			t->caps.ranges[i].start, t->caps.ranges[i].last);
	fprintf(f, "entries %" PRIu64 ", bytes 0x%" PRIx64 ", backend mappings %"
		PRIu64 ", backend calls %" PRIu64 " map / %" PRIu64
		" unmap / %" PRIu64 " failed, merges %" PRIu64 ", splits %"
		PRIu64 ", refused %" PRIu64 ", table memory %" PRIu64 " B\n",
		st.entries, st.bytes, st.backend_mappings, st.backend_maps,
		st.backend_unmaps, st.backend_errors, st.merges, st.splits,
		st.refused, st.node_bytes);
	bt_w_walk(atomic_load_explicit(&t->roots.r[TR_IOVA],
				       memory_order_relaxed), dump_one, &d);
	pthread_mutex_unlock(&t->lock);
}

/* ---- self-check (tests) ---- */

struct chk_seq {
	struct iova_table *t;
	bool have;
	struct iova_entry prev;
	uint64_t entries;
	uint64_t bytes;
	uint64_t chunks;
	uint64_t dying;
	const char *why;
	uint64_t at;
};

static int
chk_seq_one(uint32_t idx, void *arg)
{
	struct chk_seq *s = arg;
	const struct iova_entry *e = es_w(&s->t->st, idx);
	uint64_t chunk = e->chunk_fl & ~(uint64_t)IOVA_E_FLAGS;
	bool dying = e->chunk_fl & IOVA_E_DYING;

	s->at = e->iova;
	if (e->len == 0)
		return s->why = "empty entry", 1;
	if (dying) {
		if (chunk != 0 || (e->chunk_fl & IOVA_E_ACCESS))
			return s->why = "placeholder with chunk or access", 1;
		s->dying++;
	} else if ((e->chunk_fl & IOVA_E_ACCESS) == 0) {
		return s->why = "entry without access", 1;
	} else if (s->t->caps.can_split ? chunk != 0 :
		   (chunk == 0 || e->len % chunk)) {
		return s->why = "chunk does not fit the backend kind", 1;
	}
	if (s->have) {
		const struct iova_entry *p = &s->prev;

		if (p->iova + p->len - 1 >= e->iova)
			return s->why = "overlapping IOVA ranges", 1;
		if (!dying && !(p->chunk_fl & IOVA_E_DYING) &&
		    p->iova + p->len == e->iova && p->va + p->len == e->va &&
		    e->va != 0 && p->chunk_fl == e->chunk_fl)
			return s->why = "unmerged neighbours", 1;
	}
	if (!dying) {
		s->entries++;
		s->bytes += e->len;
		if (chunk)
			s->chunks += e->len / chunk;
	}
	s->prev = *e;
	s->have = true;
	return 0;
}

int
iova_table_check(struct iova_table *t)
{
	struct chk_seq s;
	const char *why = NULL;
	uint64_t n_io = 0, n_va = 0;
	int ret = 0;

	memset(&s, 0, sizeof(s));
	s.t = t;
	pthread_mutex_lock(&t->lock);
	if (bt_check(&t->st, atomic_load_explicit(&t->roots.r[TR_IOVA],
						  memory_order_relaxed),
		     TR_IOVA, &n_io, &why) < 0 ||
	    bt_check(&t->st, atomic_load_explicit(&t->roots.r[TR_VA],
						  memory_order_relaxed),
		     TR_VA, &n_va, &why) < 0) {
		KEEL_LOG(ERR, keel_logtype_iommu, "table check: tree: %s", why);
		ret = -EUCLEAN;
	}
	if (ret == 0 && bt_w_walk(atomic_load_explicit(&t->roots.r[TR_IOVA],
						       memory_order_relaxed),
				  chk_seq_one, &s) != 0) {
		KEEL_LOG(ERR, keel_logtype_iommu, "table check: %s at iova 0x%"
			 PRIx64, s.why, s.at);
		ret = -EUCLEAN;
	}
	if (ret == 0 && (s.entries != t->n_entries || s.bytes != t->bytes ||
			 n_io != s.entries + s.dying || n_va != s.entries ||
			 (!t->caps.can_split && s.chunks != t->n_chunks))) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "table check: counters: entries %" PRIu64 " vs %"
			 PRIu64 " (IOVA tree %" PRIu64 ", VA tree %" PRIu64
			 ", placeholders %" PRIu64 "), bytes %" PRIu64 " vs %"
			 PRIu64 ", chunks %" PRIu64 " vs %" PRIu64, s.entries,
			 t->n_entries, n_io, n_va, s.dying, s.bytes, t->bytes,
			 s.chunks, t->n_chunks);
		ret = -EUCLEAN;
	}
	pthread_mutex_unlock(&t->lock);
	return ret;
}
