/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memback: a test IOMMU backend with its own record of mappings.
 *
 * Invariant: recs[0..n) are sorted by iova, disjoint, non-empty; one record
 * per map call (never merged), split on partial unmap only when can_split.
 * Mirrors type1 v2: MAP fails on any overlap (EEXIST), outside the usable
 * ranges / width (EINVAL), at the limit (ENOSPC); UNMAP may span records
 * and holes, an unmap that would bisect a record fails with EINVAL when it
 * cannot split, and nothing changes on any failure. A short unmap (test
 * seam) behaves like type1 meeting another process's mapping: it removes
 * the records before the last one the range meets and reports their bytes.
 *
 * Lock: none; the IOVA map table calls its backend under its writer mutex
 * (memback has no unmap_wait: nothing is ever in flight).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "keel_log.h"
#include "iova_table.h"
#include "memback.h"

struct memback {
	struct keel_memback_cfg cfg;
	struct keel_iommu_caps caps;
	uint64_t min_pg;
	struct keel_memback_rec *recs;
	uint64_t n;
	uint64_t cap;
	uint64_t calls;
	uint64_t fail_at;       /* call number that fails; 0 = none */
	int fail_err;
	uint64_t unmaps;
	uint64_t short_at;      /* unmap number that stops early */
};

/* first record whose last byte >= iova */
static uint64_t
first_from(const struct memback *m, uint64_t iova)
{
	uint64_t lo = 0, hi = m->n;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		const struct keel_memback_rec *r = &m->recs[mid];

		if (r->iova + r->len - 1 < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
reserve(struct memback *m, uint64_t extra)
{
	if (m->n + extra <= m->cap)
		return 0;
	{
		uint64_t cap = m->cap ? m->cap * 2 : 64;
		struct keel_memback_rec *r;

		while (cap < m->n + extra)
			cap *= 2;
		r = realloc(m->recs, cap * sizeof(*r));
		if (r == NULL)
			return -ENOMEM;
		m->recs = r;
		m->cap = cap;
	}
	return 0;
}

static int
injected(struct memback *m)
{
	m->calls++;
	if (m->fail_at != 0 && m->calls == m->fail_at) {
		m->fail_at = 0;
		return m->fail_err;
	}
	return 0;
}

static bool
bad_args(const struct memback *m, uint64_t iova, uint64_t len, uint64_t va)
{
	uint64_t pg = m->min_pg;

	return len == 0 || ((iova | len | va) & (pg - 1)) != 0 ||
	       len - 1 > UINT64_MAX - iova || len - 1 > UINT64_MAX - va;
}

static int
mb_get_caps(void *priv, struct keel_iommu_caps *caps)
{
	*caps = ((struct memback *)priv)->caps;
	return 0;
}

static int
mb_map(void *priv, uint64_t va, uint64_t iova, uint64_t len, uint32_t prot)
{
	struct memback *m = priv;
	uint64_t last, i;
	unsigned int k;
	bool ok = false;
	int ret;

	ret = injected(m);
	if (ret)
		return -ret;
	if (bad_args(m, iova, len, va) || prot == 0 ||
	    (prot & ~(KEEL_IOMMU_PROT_READ | KEEL_IOMMU_PROT_WRITE)) != 0)
		return -EINVAL;
	last = iova + len - 1;
	for (k = 0; k < m->caps.n_ranges; k++)
		if (iova >= m->caps.ranges[k].start &&
		    last <= m->caps.ranges[k].last)
			ok = true;
	if (!ok)
		return -EINVAL;
	if (m->cfg.no_track) {
		m->n++;
		return 0;
	}
	i = first_from(m, iova);
	if (i < m->n && m->recs[i].iova <= last)
		return -EEXIST;
	if (m->cfg.max_mappings && m->n >= m->cfg.max_mappings)
		return -ENOSPC;
	if (reserve(m, 1) < 0)
		return -ENOMEM;
	memmove(&m->recs[i + 1], &m->recs[i], (m->n - i) * sizeof(m->recs[0]));
	m->recs[i].iova = iova;
	m->recs[i].va = va;
	m->recs[i].len = len;
	m->recs[i].prot = prot;
	m->n++;
	return 0;
}

static int
mb_unmap(void *priv, uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	struct memback *m = priv;
	uint64_t last, i, j, done = 0;
	struct keel_memback_rec *f, *l;
	bool head, tail;
	int ret;

	ret = injected(m);
	if (ret)
		return -ret;
	if (bad_args(m, iova, len, 0))
		return -EINVAL;
	m->unmaps++;
	last = iova + len - 1;
	if (m->cfg.no_track) {
		*unmapped = len;
		if (m->n)
			m->n--;
		return 0;
	}
	i = first_from(m, iova);
	j = i;
	while (j < m->n && m->recs[j].iova <= last)
		j++;
	/* records [i, j) intersect the range */
	if (i == j) {
		*unmapped = 0;
		return 0;
	}
	f = &m->recs[i];
	l = &m->recs[j - 1];
	head = f->iova < iova;
	tail = l->iova + l->len - 1 > last;
	/* the kernel refuses a bisection before it removes anything */
	if ((head || tail) && !m->cfg.can_split)
		return -EINVAL;
	if (m->short_at != 0 && m->unmaps == m->short_at) {
		/* stop at the last record the range meets, as type1 stops at
		 * another mm's mapping: only what lies before it goes */
		uint64_t stop = l->iova > iova ? l->iova : iova;

		m->short_at = 0;
		if (stop == iova) {
			*unmapped = 0;
			return 0;
		}
		last = stop - 1;
		j--;
		l = &m->recs[j - 1];
		tail = false;
	}
	if (head && tail && i == j - 1) {
		/* one record loses its middle: it becomes two */
		struct keel_memback_rec r = *f;

		if (m->cfg.max_mappings && m->n >= m->cfg.max_mappings)
			return -ENOSPC;
		if (reserve(m, 1) < 0)
			return -ENOMEM;
		f = &m->recs[i];
		memmove(&m->recs[i + 1], &m->recs[i],
			(m->n - i) * sizeof(m->recs[0]));
		m->n++;
		m->recs[i].len = iova - r.iova;
		m->recs[i + 1].iova = last + 1;
		m->recs[i + 1].va = r.va + (last + 1 - r.iova);
		m->recs[i + 1].len = r.iova + r.len - 1 - last;
		*unmapped = len;
		return 0;
	}
	for (uint64_t k = i; k < j; k++) {
		struct keel_memback_rec *r = &m->recs[k];
		uint64_t s = r->iova > iova ? r->iova : iova;
		uint64_t e = r->iova + r->len - 1 < last ?
			r->iova + r->len - 1 : last;

		done += e - s + 1;
	}
	if (head) {
		f->len = iova - f->iova;
		i++;
	}
	if (tail) {
		uint64_t cut = last + 1 - l->iova;

		l->iova += cut;
		l->va += cut;
		l->len -= cut;
		j--;
	}
	if (j > i) {
		memmove(&m->recs[i], &m->recs[j],
			(m->n - j) * sizeof(m->recs[0]));
		m->n -= j - i;
	}
	*unmapped = done;
	return 0;
}

static int
mb_get_usage(void *priv, uint64_t *n)
{
	*n = ((struct memback *)priv)->n;
	return 0;
}

static void
mb_destroy(void *priv)
{
	struct memback *m = priv;

	if (m == NULL)
		return;
	free(m->recs);
	free(m);
}

const struct keel_iommu_backend_ops keel_memback_ops = {
	.name = "memback",
	.get_caps = mb_get_caps,
	.map = mb_map,
	.unmap = mb_unmap,
	.destroy = mb_destroy,
	.get_usage = mb_get_usage,
};

void *
keel_memback_create(const struct keel_memback_cfg *cfg)
{
	struct keel_memback_cfg c = {0};
	struct keel_iommu_caps *caps;
	struct memback *m;
	uint64_t top, start = 0;
	unsigned int i, j;
	bool done = false;

	if (cfg != NULL)
		c = *cfg;
	if (c.pgsize_bitmap == 0)
		c.pgsize_bitmap = 0x40201000;
	if (c.addr_width == 0)
		c.addr_width = 48;
	if (c.addr_width > 64 || c.n_resv > KEEL_MEMBACK_MAX_RESV) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < c.n_resv; i++) {
		if (c.resv[i].last < c.resv[i].start ||
		    (i > 0 && c.resv[i].start <= c.resv[i - 1].last)) {
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "memback: reserved range %u [0x%" PRIx64
				 ", 0x%" PRIx64 "] empty or not ascending", i,
				 c.resv[i].start, c.resv[i].last);
			errno = EINVAL;
			return NULL;
		}
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	m->cfg = c;
	m->min_pg = c.pgsize_bitmap & (~c.pgsize_bitmap + 1);
	caps = &m->caps;
	caps->can_split = c.can_split;
	caps->pgsize_bitmap = c.pgsize_bitmap;
	caps->addr_width = c.addr_width;
	caps->max_mappings = c.max_mappings;
	top = c.addr_width == 64 ? UINT64_MAX :
		(UINT64_C(1) << c.addr_width) - 1;
	/* usable = [0, top] minus the reserved ranges */
	j = 0;
	for (i = 0; i < c.n_resv; i++) {
		if (c.resv[i].start > top)
			break;
		if (c.resv[i].start > start && j < KEEL_IOMMU_MAX_RANGES) {
			caps->ranges[j].start = start;
			caps->ranges[j++].last = c.resv[i].start - 1;
		}
		if (c.resv[i].last >= top) {
			done = true;
			break;
		}
		start = c.resv[i].last + 1;
	}
	if (!done && j < KEEL_IOMMU_MAX_RANGES) {
		caps->ranges[j].start = start;
		caps->ranges[j++].last = top;
	}
	caps->n_ranges = j;
	return m;
}

void
keel_memback_fail_nth(void *priv, uint64_t nth, int err)
{
	struct memback *m = priv;

	m->fail_at = nth ? m->calls + nth : 0;
	m->fail_err = err > 0 ? err : EIO;
}

void
keel_memback_short_unmap_nth(void *priv, uint64_t nth)
{
	struct memback *m = priv;

	m->short_at = nth ? m->unmaps + nth : 0;
}

uint64_t
keel_memback_calls(void *priv)
{
	return ((struct memback *)priv)->calls;
}

uint64_t
keel_memback_count(void *priv)
{
	return ((struct memback *)priv)->n;
}

int
keel_memback_walk(void *priv,
		  int (*fn)(const struct keel_memback_rec *r, void *arg),
		  void *arg)
{
	struct memback *m = priv;
	uint64_t i;
	int ret;

	for (i = 0; i < m->n && !m->cfg.no_track; i++) {
		ret = fn(&m->recs[i], arg);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- registry entry: "memback" with key=value args ---- */

static int
parse_args(const char *args, struct keel_memback_cfg *c)
{
	char buf[512], *save = NULL, *tok;

	memset(c, 0, sizeof(*c));
	if (args == NULL || args[0] == '\0')
		return 0;
	if (strlen(args) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, args);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		unsigned long long v;

		if (eq == NULL)
			goto bad;
		*eq++ = '\0';
		if (strcmp(tok, "resv") == 0) {
			char *s2 = NULL, *r;

			for (r = strtok_r(eq, ":", &s2); r != NULL;
			     r = strtok_r(NULL, ":", &s2)) {
				struct keel_iova_range *rr;

				if (c->n_resv == KEEL_MEMBACK_MAX_RESV)
					goto bad;
				rr = &c->resv[c->n_resv++];
				errno = 0;
				rr->start = strtoull(r, &end, 0);
				if (errno || *end != '-')
					goto bad;
				rr->last = strtoull(end + 1, &end, 0);
				if (errno || *end != '\0')
					goto bad;
			}
			continue;
		}
		errno = 0;
		v = strtoull(eq, &end, 0);
		if (errno || *end != '\0' || eq[0] == '\0')
			goto bad;
		if (strcmp(tok, "can_split") == 0)
			c->can_split = v != 0;
		else if (strcmp(tok, "pgsizes") == 0)
			c->pgsize_bitmap = v;
		else if (strcmp(tok, "aw") == 0)
			c->addr_width = (unsigned int)v;
		else if (strcmp(tok, "limit") == 0)
			c->max_mappings = v;
		else if (strcmp(tok, "notrack") == 0)
			c->no_track = v != 0;
		else
			goto bad;
	}
	return 0;
bad:
	KEEL_LOG(ERR, keel_logtype_iommu, "memback: bad argument '%s' in '%s'",
		 tok, args);
	return -EINVAL;
}

static int
memback_create_cb(const char *args, const struct keel_iommu_backend_ops **ops,
		  void **priv)
{
	struct keel_memback_cfg c;
	int ret = parse_args(args, &c);

	if (ret < 0)
		return ret;
	*priv = keel_memback_create(&c);
	if (*priv == NULL)
		return -errno;
	*ops = &keel_memback_ops;
	return 0;
}

__attribute__((constructor)) static void
memback_register(void)
{
	keel_iommu_backend_register(KEEL_IOMMU_NONE, "memback",
				    memback_create_cb);
}
