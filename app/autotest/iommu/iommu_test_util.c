/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared helpers of the IOMMU tests (no tests here). Not thread-safe:
 * each test owns its tables.
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "iommu_test_util.h"

int
tb_open(struct tb *tb, const struct keel_memback_cfg *cfg)
{
	tb->mb = keel_memback_create(cfg);
	if (tb->mb == NULL)
		return -errno;
	tb->t = iova_table_create(&keel_memback_ops, tb->mb);
	if (tb->t == NULL) {
		int err = errno;

		keel_memback_ops.destroy(tb->mb);
		return -err;
	}
	return 0;
}

void
tb_close(struct tb *tb)
{
	iova_table_destroy(tb->t);
	keel_memback_ops.destroy(tb->mb);
	tb->t = NULL;
	tb->mb = NULL;
}

/* runs of IOVA+VA-contiguous bytes */
struct runs {
	struct keel_iommu_mapping *r;
	uint64_t n, cap;
};

static int
runs_add(struct runs *rs, uint64_t va, uint64_t iova, uint64_t len,
	 uint32_t access)
{
	if (rs->n) {
		struct keel_iommu_mapping *p = &rs->r[rs->n - 1];

		if (p->iova + p->len == iova && p->va + p->len == va &&
		    p->access == access) {
			p->len += len;
			return 0;
		}
	}
	if (rs->n == rs->cap) {
		uint64_t cap = rs->cap ? rs->cap * 2 : 256;
		void *n = realloc(rs->r, cap * sizeof(*rs->r));

		if (n == NULL)
			return -1;
		rs->r = n;
		rs->cap = cap;
	}
	rs->r[rs->n].va = va;
	rs->r[rs->n].iova = iova;
	rs->r[rs->n].len = len;
	rs->r[rs->n].chunk = 0;
	rs->r[rs->n].access = access;
	rs->n++;
	return 0;
}

static int
runs_from_table(const struct keel_iommu_mapping *m, void *arg)
{
	return runs_add(arg, m->va, m->iova, m->len, m->access);
}

static int
runs_from_mb(const struct keel_memback_rec *r, void *arg)
{
	return runs_add(arg, r->va, r->iova, r->len, r->prot);
}

struct chunk_chk {
	struct iova_table *t;
	const struct keel_memback_rec *bad;
};

static int
rec_is_chunk(const struct keel_memback_rec *r, void *arg)
{
	struct chunk_chk *c = arg;
	struct keel_iommu_mapping m;

	if (iova_table_lookup_iova(c->t, r->iova, &m) < 0 || m.chunk == 0 ||
	    (r->iova - m.iova) % m.chunk != 0 || r->len != m.chunk ||
	    r->va != m.va + (r->iova - m.iova) || r->prot != m.access) {
		c->bad = r;
		return 1;
	}
	return 0;
}

int
tb_agree(struct tb *tb)
{
	struct runs a = {0}, b = {0};
	struct keel_iommu_caps caps;
	uint64_t i;
	int ret = 0;

	if (iova_table_check(tb->t) != 0) {
		printf("  table self-check failed\n");
		return -1;
	}
	iova_table_walk(tb->t, runs_from_table, &a);
	keel_memback_walk(tb->mb, runs_from_mb, &b);
	if (a.n != b.n) {
		printf("  table has %" PRIu64 " runs, backend %" PRIu64 "\n",
		       a.n, b.n);
		ret = -1;
	}
	for (i = 0; ret == 0 && i < a.n; i++) {
		if (a.r[i].va != b.r[i].va || a.r[i].iova != b.r[i].iova ||
		    a.r[i].len != b.r[i].len ||
		    a.r[i].access != b.r[i].access) {
			printf("  run %" PRIu64 ": table va 0x%" PRIx64
			       " iova 0x%" PRIx64 " len 0x%" PRIx64 " access %u"
			       ", backend va 0x%" PRIx64 " iova 0x%" PRIx64
			       " len 0x%" PRIx64 " access %u\n", i, a.r[i].va,
			       a.r[i].iova, a.r[i].len, a.r[i].access,
			       b.r[i].va, b.r[i].iova, b.r[i].len,
			       b.r[i].access);
			ret = -1;
		}
	}
	iova_table_caps(tb->t, &caps);
	if (ret == 0 && !caps.can_split) {
		struct chunk_chk c = { tb->t, NULL };

		if (keel_memback_walk(tb->mb, rec_is_chunk, &c) != 0) {
			printf("  backend mapping iova 0x%" PRIx64 " len 0x%"
			       PRIx64 " is not one chunk of a table entry\n",
			       c.bad->iova, c.bad->len);
			ret = -1;
		}
	}
	free(a.r);
	free(b.r);
	return ret;
}

static int
snap_one(const struct keel_iommu_mapping *m, void *arg)
{
	struct snap *s = arg;

	if (s->n == s->cap) {
		uint64_t cap = s->cap ? s->cap * 2 : 64;
		void *n = realloc(s->e, cap * sizeof(*s->e));

		if (n == NULL)
			return -1;
		s->e = n;
		s->cap = cap;
	}
	s->e[s->n++] = *m;
	return 0;
}

int
snap_take(struct iova_table *t, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	return iova_table_walk(t, snap_one, s);
}

bool
snap_equal(const struct snap *a, const struct snap *b)
{
	uint64_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		const struct keel_iommu_mapping *x = &a->e[i], *y = &b->e[i];

		if (x->va != y->va || x->iova != y->iova || x->len != y->len ||
		    x->chunk != y->chunk || x->access != y->access)
			return false;
	}
	return true;
}

void
snap_free(struct snap *s)
{
	free(s->e);
	memset(s, 0, sizeof(*s));
}

bool
log_has(const char *log, const char *needle)
{
	return log != NULL && strstr(log, needle) != NULL;
}
