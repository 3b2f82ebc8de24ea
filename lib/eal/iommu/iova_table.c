/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The chunk-aware IOVA map table: what a map or an unmap may do, and the
 * backend call that does it.
 *
 * Invariants (checked by iova_table_check()):
 *  - entries have disjoint IOVA ranges; a VA may appear in several entries;
 *  - on a backend that cannot split, chunk = length of the map call that
 *    created the entry's pieces, len is a multiple of chunk and the backend
 *    holds exactly one mapping per chunk; on one that can, chunk = 0;
 *  - no two entries are IOVA-adjacent, VA-contiguous, of equal chunk and
 *    equal access (they would have been merged);
 *  - the table equals what the backend holds: every change is prepared in
 *    a copy-on-write transaction (all memory it needs is allocated), the
 *    backend is called, and the transaction is published only if the
 *    backend agreed (else dropped: nothing changed);
 *  - a placeholder entry (IOVA_E_DYING, IOVA tree only) marks a range the
 *    backend has unmapped while a device may still be using it: it keeps
 *    the IOVAs taken until the wait is over, and lookups do not see it.
 *
 * Files: this one (creation, request checks, map, caps), iova_table_unmap.c
 * (unmap and the wait for in-flight devices), iova_table_read.c (lookups,
 * walk, stats, dump, check); the trees in iova_btree*.c, memory and
 * transactions in iova_store.c.
 *
 * Lock: t->lock (a mutex) serialises writers: map, unmap, caps refresh,
 * stats, dump and check. It is held across the backend call, so the
 * backend sees calls one at a time, except the wait for in-flight device
 * access after an unmap (ops->unmap_wait), which runs without it. Lookups,
 * next and walk take no lock at all (iova_table_read.c, iova_store.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "keel_log.h"
#include "iova_table_internal.h"

KEEL_LOG_REGISTER(keel_logtype_iommu, "iommu", INFO)


/* ---- creation ---- */

static int
read_caps(struct iova_table *t)
{
	struct keel_iommu_caps caps;
	unsigned int i;
	int ret;

	memset(&caps, 0, sizeof(caps));
	ret = t->ops->get_caps(t->priv, &caps);
	if (ret < 0) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "backend %s: get_caps failed: %s", t->ops->name,
			 strerror(-ret));
		return ret;
	}
	/* the table keeps flags in the low 4 bits of each chunk */
	if ((caps.pgsize_bitmap & 0xf) != 0 || caps.pgsize_bitmap == 0 ||
	    caps.addr_width == 0 || caps.addr_width > 64 ||
	    caps.n_ranges > KEEL_IOMMU_MAX_RANGES) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "backend %s: bad caps: pgsizes 0x%" PRIx64
			 " (smallest page at least 16 bytes) addr width %u, %u"
			 " ranges", t->ops->name, caps.pgsize_bitmap,
			 caps.addr_width, caps.n_ranges);
		return -EINVAL;
	}
	for (i = 0; i < caps.n_ranges; i++) {
		if (caps.ranges[i].last < caps.ranges[i].start ||
		    (i > 0 && caps.ranges[i].start <= caps.ranges[i - 1].last)) {
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "backend %s: usable range %u [0x%" PRIx64
				 ", 0x%" PRIx64 "] is empty or not ascending",
				 t->ops->name, i, caps.ranges[i].start,
				 caps.ranges[i].last);
			return -EINVAL;
		}
	}
	t->caps = caps;
	t->min_pg = caps.pgsize_bitmap & (~caps.pgsize_bitmap + 1);
	return 0;
}

struct iova_table *
iova_table_create(const struct keel_iommu_backend_ops *ops, void *priv)
{
	struct iova_table *t;
	int ret;

	if (ops == NULL || ops->get_caps == NULL || ops->map == NULL ||
	    ops->unmap == NULL || ops->name == NULL) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "iova table: backend ops %p incomplete", (const void *)ops);
		errno = EINVAL;
		return NULL;
	}
	t = aligned_alloc(64, sizeof(*t));
	if (t == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(t, 0, sizeof(*t));
	t->ops = ops;
	t->priv = priv;
	ret = read_caps(t);
	if (ret == 0)
		ret = iova_store_init(&t->st);
	if (ret < 0) {
		free(t);
		errno = -ret;
		return NULL;
	}
	atomic_init(&t->roots.r[TR_IOVA], NULL);
	atomic_init(&t->roots.r[TR_VA], NULL);
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void
iova_table_destroy(struct iova_table *t)
{
	if (t == NULL)
		return;
	iova_store_fini(&t->st);
	free(t->cov.p);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* ---- checks of a request ---- */

/* the reserved gap (or aperture edge) that holds a byte of [iova, last] */
static void
find_gap(const struct keel_iommu_caps *c, uint64_t iova, uint64_t last,
	 uint64_t *g_start, uint64_t *g_last)
{
	uint64_t prev_end = 0;          /* first byte after previous range */
	unsigned int i;

	for (i = 0; i < c->n_ranges; i++) {
		const struct keel_iova_range *r = &c->ranges[i];

		if (iova < r->start) {
			*g_start = prev_end;
			*g_last = r->start - 1;
			return;
		}
		if (iova <= r->last && last > r->last) {
			*g_start = r->last + 1;
			*g_last = i + 1 < c->n_ranges ?
				c->ranges[i + 1].start - 1 : UINT64_MAX;
			return;
		}
		prev_end = r->last + 1;
	}
	*g_start = prev_end;
	*g_last = UINT64_MAX;
}

static bool
in_one_range(const struct keel_iommu_caps *c, uint64_t iova, uint64_t last)
{
	unsigned int i;

	if (c->n_ranges == 0)
		return true;
	for (i = 0; i < c->n_ranges; i++)
		if (iova >= c->ranges[i].start && last <= c->ranges[i].last)
			return true;
	return false;
}

/* the checks of iova_table_check_request(), t->lock held */
int
iova_table_check_locked(struct iova_table *t, const char *op, uint64_t va,
	      uint64_t iova, uint64_t len, bool is_map)
{
	uint64_t pg = t->min_pg;
	uint64_t last;

	if (len == 0) {
		if (op != NULL)
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "%s va 0x%" PRIx64 " iova 0x%" PRIx64
				 ": length is 0", op, va, iova);
		return -EINVAL;
	}
	if (len - 1 > UINT64_MAX - va || len - 1 > UINT64_MAX - iova) {
		if (op != NULL)
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "%s va 0x%" PRIx64 " iova 0x%" PRIx64
				 " len 0x%" PRIx64 ": %s + len overflows 64 bits",
				 op, va, iova, len,
				 len - 1 > UINT64_MAX - va ? "va" : "iova");
		return -EOVERFLOW;
	}
	if (((va | iova | len) & (pg - 1)) != 0) {
		if (op != NULL)
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "%s va 0x%" PRIx64 " iova 0x%" PRIx64
				 " len 0x%" PRIx64 ": %s not aligned to the "
				 "backend's minimum page 0x%" PRIx64, op, va,
				 iova, len, (va & (pg - 1)) ? "va" :
				 (iova & (pg - 1)) ? "iova" : "len", pg);
		return -EDOM;
	}
	if (!is_map)
		return 0;
	last = iova + len - 1;
	if (t->caps.addr_width < 64 && (last >> t->caps.addr_width) != 0) {
		if (op != NULL)
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "%s iova 0x%" PRIx64 "-0x%" PRIx64
				 ": beyond the %u-bit IOMMU address width (last "
				 "IOVA 0x%" PRIx64 ")", op, iova, last,
				 t->caps.addr_width,
				 (UINT64_C(1) << t->caps.addr_width) - 1);
		return -ERANGE;
	}
	if (!in_one_range(&t->caps, iova, last)) {
		uint64_t gs, gl;

		find_gap(&t->caps, iova, last, &gs, &gl);
		if (op != NULL)
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "%s iova 0x%" PRIx64 "-0x%" PRIx64
				 ": not in a usable IOVA range (reserved 0x%"
				 PRIx64 "-0x%" PRIx64 ")", op, iova, last, gs,
				 gl);
		return -EADDRNOTAVAIL;
	}
	return 0;
}

int
iova_table_check_request(struct iova_table *t, const char *op, uint64_t va,
			 uint64_t iova, uint64_t len, bool is_map)
{
	int ret;

	pthread_mutex_lock(&t->lock);
	ret = iova_table_check_locked(t, op, va, iova, len, is_map);
	if (ret < 0 && op != NULL)
		t->refused++;
	pthread_mutex_unlock(&t->lock);
	return ret;
}

uint64_t
iova_table_backend_usage(struct iova_table *t)
{
	uint64_t n;

	if (!t->caps.can_split)
		return t->n_chunks;
	if (t->ops->get_usage != NULL && t->ops->get_usage(t->priv, &n) == 0)
		return n;
	return t->n_entries;
}

void
iova_table_log_enospc(struct iova_table *t, const char *op, uint64_t iova, uint64_t len)
{
	KEEL_LOG(ERR, keel_logtype_iommu,
		 "%s iova 0x%" PRIx64 " len 0x%" PRIx64 ": backend %s mapping "
		 "limit reached: %" PRIu64 " mappings exist, limit %" PRIu64
		 " (%" PRIu64 " table entries)", op, iova, len, t->ops->name,
		 iova_table_backend_usage(t), t->caps.max_mappings,
		 t->n_entries);
}

int
iova_table_nomem(struct iova_table *t, const char *op, uint64_t iova, uint64_t len)
{
	KEEL_LOG(ERR, keel_logtype_iommu,
		 "%s iova 0x%" PRIx64 " len 0x%" PRIx64 ": out of memory for "
		 "the table (%" PRIu64 " entries)", op, iova, len,
		 t->n_entries);
	return -ENOMEM;
}

/* ---- map ---- */

/* may @p a (left) and @p b (right) become one entry? */
static bool
mergeable(const struct iova_entry *a, const struct iova_entry *b)
{
	return !e_dying(a) && !e_dying(b) && a->iova + a->len == b->iova &&
	       a->va + a->len == b->va && b->va != 0 &&
	       a->chunk_fl == b->chunk_fl;
}

static int
do_map(struct iova_table *t, uint64_t va, uint64_t iova, uint64_t len,
       uint32_t access)
{
	struct iova_entry n, m;
	struct iova_txn x;
	uint32_t p, q, ip = 0, iq = 0;
	uint64_t last;
	int ret;

	ret = iova_table_check_locked(t, "map", va, iova, len, true);
	if (ret == 0 && (access == 0 || (access & ~IOVA_E_ACCESS) != 0)) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "map va 0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%"
			 PRIx64 ": access 0x%x is not READ, WRITE or both",
			 va, iova, len, access);
		ret = -EINVAL;
	}
	if (ret < 0) {
		t->refused++;
		return ret;
	}
	last = iova + len - 1;
	/* p: the entry before (or overlapping) the range, q: the one after */
	p = bt_w_floor(atomic_load_explicit(&t->roots.r[TR_IOVA],
					    memory_order_relaxed), last);
	if (p != 0 && e_last(E(t, p)) >= iova) {
		const struct iova_entry *o = E(t, p);

		KEEL_LOG(ERR, keel_logtype_iommu,
			 "map va 0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%" PRIx64
			 ": IOVA overlaps %s iova 0x%" PRIx64 " len 0x%" PRIx64
			 " (va 0x%" PRIx64 ")", va, iova, len,
			 e_dying(o) ? "a range being unmapped (a device still "
			 "uses it):" : "entry", o->iova, o->len, o->va);
		t->refused++;
		return -EEXIST;
	}
	if (!t->caps.can_split && t->caps.max_mappings != 0 &&
	    t->n_chunks >= t->caps.max_mappings) {
		iova_table_log_enospc(t, "map", iova, len);
		t->refused++;
		return -ENOSPC;
	}
	q = last == UINT64_MAX ? 0 :
		bt_w_ceil(atomic_load_explicit(&t->roots.r[TR_IOVA],
					       memory_order_relaxed), last + 1);
	n.va = va;
	n.iova = iova;
	n.len = len;
	n.chunk_fl = (t->caps.can_split ? 0 : len) | access;
	m = n;
	if (p != 0 && mergeable(E(t, p), &n)) {
		ip = p;
		m.va = E(t, p)->va;
		m.iova = E(t, p)->iova;
		m.len += E(t, p)->len;
	}
	if (q != 0 && mergeable(&n, E(t, q))) {
		iq = q;
		m.len += E(t, q)->len;
	}

	/* prepare the new state, then ask the backend */
	tx_begin(t, &x);
	if (ip)
		tx_remove(t, &x, ip);
	if (iq)
		tx_remove(t, &x, iq);
	tx_add(&x, &m, true);
	if (x.err) {
		txn_abort(&x);
		return iova_table_nomem(t, "map", iova, len);
	}
	t->backend_maps++;
	ret = t->ops->map(t->priv, va, iova, len, access);
	if (ret < 0) {
		txn_abort(&x);
		t->backend_errors++;
		if (ret == -ENOSPC)
			iova_table_log_enospc(t, "map", iova, len);
		else
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "map va 0x%" PRIx64 " iova 0x%" PRIx64
				 " len 0x%" PRIx64 ": backend %s failed: %s",
				 va, iova, len, t->ops->name, strerror(-ret));
		return ret;
	}
	tx_commit(t, &x);
	t->n_entries += 1 - (ip != 0) - (iq != 0);
	t->merges += (ip != 0) + (iq != 0);
	t->bytes += len;
	if (!t->caps.can_split)
		t->n_chunks++;
	return 0;
}

int
iova_table_map(struct iova_table *t, uint64_t va, uint64_t iova, uint64_t len,
	       uint32_t access)
{
	int ret;

	pthread_mutex_lock(&t->lock);
	ret = do_map(t, va, iova, len, access);
	pthread_mutex_unlock(&t->lock);
	if (ret < 0)
		errno = -ret;
	return ret;
}

/* ---- caps ---- */

void
iova_table_caps(struct iova_table *t, struct keel_iommu_caps *caps)
{
	pthread_mutex_lock(&t->lock);
	*caps = t->caps;
	pthread_mutex_unlock(&t->lock);
}

int
iova_table_caps_refresh(struct iova_table *t)
{
	struct keel_iommu_caps old;
	uint64_t old_pg;
	int ret;

	pthread_mutex_lock(&t->lock);
	old = t->caps;
	old_pg = t->min_pg;
	ret = read_caps(t);
	if (ret == 0 && old.can_split != t->caps.can_split &&
	    t->n_entries != 0) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "backend %s changed can_split with %" PRIu64
			 " entries mapped; keeping the old caps",
			 t->ops->name, t->n_entries);
		t->caps = old;
		t->min_pg = old_pg;
		ret = -EBUSY;
	}
	pthread_mutex_unlock(&t->lock);
	return ret;
}

/* ---- test seams ---- */

void
iova_table_fail_alloc_nth(struct iova_table *t, uint64_t nth)
{
	pthread_mutex_lock(&t->lock);
	t->st.fail_at = nth ? t->st.allocs + nth : 0;
	pthread_mutex_unlock(&t->lock);
}
