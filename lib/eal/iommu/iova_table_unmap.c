/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unmap in the IOVA map table: the coverage and chunk rules, the one
 * backend call, a short unmap (the table keeps what the backend kept), and
 * the wait for a device still using the range, done without the table's
 * lock behind a placeholder that keeps the IOVAs taken.
 *
 * Invariants: those of iova_table.c. Lock: t->lock is held on entry and on
 * return; wait_inflight() drops it around the backend's unmap_wait().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "keel_log.h"
#include "iova_table_internal.h"

/* what removing [iova, last] from the covered entries changes */
struct delta {
	int64_t entries;
	int64_t bytes;
	int64_t chunks;
	bool split;
};

/*
 * Remove [iova, last] from the table in transaction @p x: the covered
 * entries cov[0 .. n) (in IOVA order, the first holding iova, the last
 * holding last) go, the parts of the first and the last outside the range
 * come back as remainders, and (placeholder) a placeholder entry keeps the
 * range taken. Counter changes go to @p d. @return x->err.
 */
static int
prepare_removal(struct iova_table *t, struct iova_txn *x, uint64_t iova,
		uint64_t last, const uint32_t *cov, uint64_t n,
		bool placeholder, struct delta *d)
{
	struct iova_entry f = *E(t, cov[0]), l = *E(t, cov[n - 1]), r;
	uint64_t k;

	memset(d, 0, sizeof(*d));
	for (k = 0; k < n; k++) {
		const struct iova_entry *e = E(t, cov[k]);
		uint64_t s = e->iova > iova ? e->iova : iova;
		uint64_t en = e_last(e) < last ? e_last(e) : last;

		if (e_chunk(e) != 0)
			d->chunks -= (int64_t)((en - s + 1) / e_chunk(e));
		d->entries--;
		d->bytes -= (int64_t)e->len;
		tx_remove(t, x, cov[k]);
	}
	if (iova > f.iova) {
		r = f;
		r.len = iova - f.iova;
		tx_add(x, &r, true);
		d->entries++;
		d->bytes += (int64_t)r.len;
		d->split = true;
	}
	if (last < e_last(&l)) {
		r = l;
		r.iova = last + 1;
		r.va = l.va + (last + 1 - l.iova);
		r.len = e_last(&l) - last;
		tx_add(x, &r, true);
		d->entries++;
		d->bytes += (int64_t)r.len;
		d->split = true;
	}
	if (placeholder) {
		r.iova = iova;
		r.va = 0;
		r.len = last - iova + 1;
		r.chunk_fl = IOVA_E_DYING;
		tx_add(x, &r, false);
	}
	return x->err;
}

static void
apply_delta(struct iova_table *t, const struct delta *d)
{
	t->n_entries = (uint64_t)((int64_t)t->n_entries + d->entries);
	t->bytes = (uint64_t)((int64_t)t->bytes + d->bytes);
	t->n_chunks = (uint64_t)((int64_t)t->n_chunks + d->chunks);
	t->splits += d->split;
}

/*
 * The backend has unmapped [iova, iova + len) but a device may still be
 * using it; the placeholder keeps the range taken. Wait without the lock
 * (lookups, maps and unmaps of other ranges go on; the device holding the
 * range may call into the table), then drop the placeholder. Called and
 * returns with t->lock held.
 */
static void
wait_inflight(struct iova_table *t, uint64_t iova, uint64_t len)
{
	struct bt_node *resv[ONE_DELETE_NODES], *resv_w[BT_WIDE_RESERVE];
	unsigned int n_resv = ONE_DELETE_NODES, n_resv_w = BT_WIDE_RESERVE;
	struct iova_txn x;
	uint32_t ph;

	/* what removing the placeholder will need, taken now */
	if (iova_store_take(&t->st, BT_NODE_BYTES, resv, n_resv) < 0)
		n_resv = 0;
	if (iova_store_take(&t->st, BT_WIDE_BYTES, resv_w, n_resv_w) < 0)
		n_resv_w = 0;
	t->waits++;
	pthread_mutex_unlock(&t->lock);
	t->ops->unmap_wait(t->priv, iova, len);
	pthread_mutex_lock(&t->lock);
	ph = bt_w_floor(atomic_load_explicit(&t->roots.r[TR_IOVA],
					     memory_order_relaxed), iova);
	tx_begin(t, &x);
	x.resv[0] = resv;
	x.n_resv[0] = n_resv;
	x.resv[1] = resv_w;
	x.n_resv[1] = n_resv_w;
	x.reserved = true;
	if (ph != 0 && E(t, ph)->iova == iova && e_dying(E(t, ph)))
		tx_remove(t, &x, ph);
	if (x.err) {
		txn_abort(&x);
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "unmap iova 0x%" PRIx64 " len 0x%" PRIx64 ": out of "
			 "memory to release the range after the device let go;"
			 " its IOVAs stay taken", iova, len);
	} else {
		tx_commit(t, &x);
	}
	iova_store_give(&t->st, BT_NODE_BYTES, resv, x.n_resv[0]);
	iova_store_give(&t->st, BT_WIDE_BYTES, resv_w, x.n_resv[1]);
}

static int
check_agree(struct iova_table *t, const struct iova_entry *n, uint64_t va,
	    uint64_t iova, uint64_t len)
{
	uint64_t at = iova > n->iova ? iova : n->iova;

	if (e_dying(n)) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "unmap va 0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%"
			 PRIx64 ": IOVA 0x%" PRIx64 " is being unmapped by "
			 "another call (a device still uses it)", va, iova, len,
			 at);
		t->refused++;
		return -EBUSY;
	}
	if (n->va - n->iova == va - iova)
		return 0;
	KEEL_LOG(ERR, keel_logtype_iommu,
		 "unmap va 0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%" PRIx64
		 ": IOVA 0x%" PRIx64 " is mapped to va 0x%" PRIx64
		 ", not 0x%" PRIx64 " (entry va 0x%" PRIx64 " iova 0x%" PRIx64
		 " len 0x%" PRIx64 ")", va, iova, len, at,
		 n->va + (at - n->iova), va + (at - iova), n->va, n->iova,
		 n->len);
	t->refused++;
	return -EFAULT;
}

/* fill t->cov with the entries covering [iova, last], checked */
static int
cover(struct iova_table *t, uint64_t va, uint64_t iova, uint64_t len)
{
	const struct bt_node *root = atomic_load_explicit(
			&t->roots.r[TR_IOVA], memory_order_relaxed);
	uint64_t last = iova + len - 1;
	const struct iova_entry *e;
	uint32_t i;
	int ret;

	t->cov.n = 0;
	i = bt_w_floor(root, iova);
	if (i == 0 || e_last(E(t, i)) < iova) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "unmap va 0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%"
			 PRIx64 ": IOVA 0x%" PRIx64 " is not mapped",
			 va, iova, len, iova);
		t->refused++;
		return -ENOENT;
	}
	for (;;) {
		e = E(t, i);
		ret = check_agree(t, e, va, iova, len);
		if (ret < 0)
			return ret;
		if (t->cov.n == t->cov.cap) {
			uint64_t cap = t->cov.cap ? 2 * t->cov.cap : 64;
			uint32_t *p = realloc(t->cov.p, cap * sizeof(*p));

			if (p == NULL)
				return iova_table_nomem(t, "unmap", iova, len);
			t->cov.p = p;
			t->cov.cap = cap;
		}
		t->cov.p[t->cov.n++] = i;
		if (e_last(e) >= last)
			return 0;
		i = bt_w_ceil(root, e_last(e) + 1);
		if (i == 0 || E(t, i)->iova != e_last(e) + 1) {
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "unmap va 0x%" PRIx64 " iova 0x%" PRIx64
				 " len 0x%" PRIx64 ": IOVA 0x%" PRIx64
				 " is not mapped (hole in the range)",
				 va, iova, len, e_last(e) + 1);
			t->refused++;
			return -ENOENT;
		}
	}
}

/* both ends on chunk boundaries (a backend that cannot split) */
static int
check_chunks(struct iova_table *t, uint64_t va, uint64_t iova, uint64_t len)
{
	const struct iova_entry *f = E(t, t->cov.p[0]);
	const struct iova_entry *l = E(t, t->cov.p[t->cov.n - 1]);
	uint64_t last = iova + len - 1;
	uint64_t off_s = iova - f->iova, off_e = last - l->iova + 1;
	bool s;
	const struct iova_entry *e;

	if (t->caps.can_split || ((e_chunk(f) == 0 || off_s % e_chunk(f) == 0) &&
				  (e_chunk(l) == 0 || off_e % e_chunk(l) == 0)))
		return 0;
	s = e_chunk(f) && off_s % e_chunk(f);
	e = s ? f : l;
	KEEL_LOG(ERR, keel_logtype_iommu,
		 "unmap va 0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%" PRIx64
		 ": %s 0x%" PRIx64 " would split a 0x%" PRIx64 "-byte chunk of"
		 " entry iova 0x%" PRIx64 " len 0x%" PRIx64 "; backend %s "
		 "cannot split mappings", va, iova, len, s ? "start" : "end",
		 s ? iova : last + 1, e_chunk(e), e->iova, e->len,
		 t->ops->name);
	t->refused++;
	return -ENOTSUP;
}

/*
 * The backend removed @p unmapped bytes, not @p len: the mappings at the
 * start of the range (iommu_backend.h). @return the end (exclusive) of
 * what the table removes: that, rounded down to a chunk (page) boundary;
 * a count no mirrored mapping can give keeps the whole chunk (a stale
 * entry is refused later; forgetting a live mapping would leave device
 * access nobody can revoke).
 */
static uint64_t
short_end(struct iova_table *t, uint64_t iova, uint64_t len,
	  uint64_t unmapped)
{
	uint64_t end = iova + (unmapped > len ? len : unmapped);
	uint64_t k, want = end;

	for (k = 0; k < t->cov.n && end > iova; k++) {
		const struct iova_entry *e = E(t, t->cov.p[k]);
		uint64_t unit = e_chunk(e) ? e_chunk(e) : t->min_pg;

		if (end - 1 <= e_last(e)) {
			end = e->iova + (end - e->iova) / unit * unit;
			break;
		}
	}
	if (end < iova)
		end = iova;
	if (end != want)
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "unmap iova 0x%" PRIx64 ": backend %s reports 0x%"
			 PRIx64 " bytes removed, not a chunk boundary; the "
			 "table keeps the chunk at 0x%" PRIx64, iova,
			 t->ops->name, unmapped, end);
	return end;
}

static int
do_unmap(struct iova_table *t, uint64_t va, uint64_t iova, uint64_t len)
{
	bool can_wait = t->ops->unmap_wait != NULL;
	uint64_t last, unmapped = 0, end, n;
	struct iova_txn x;
	struct delta d;
	int ret;

	ret = iova_table_check_locked(t, "unmap", va, iova, len, false);
	if (ret < 0) {
		t->refused++;
		return ret;
	}
	last = iova + len - 1;
	ret = cover(t, va, iova, len);
	if (ret == 0)
		ret = check_chunks(t, va, iova, len);
	if (ret < 0)
		return ret;

	/* prepare the whole removal; make sure that a short unmap's smaller
	 * removal, and a placeholder, cannot fail for memory later */
	tx_begin(t, &x);
	if (prepare_removal(t, &x, iova, last, t->cov.p, t->cov.n, false,
			    &d) != 0 ||
	    iova_store_reserve(&t->st, 6 * DELETE_NODES(tree_depth(t)), 3) < 0) {
		txn_abort(&x);
		return iova_table_nomem(t, "unmap", iova, len);
	}
	t->backend_unmaps++;
	ret = t->ops->unmap(t->priv, iova, len, &unmapped);
	if (ret < 0) {
		txn_abort(&x);
		t->backend_errors++;
		if (ret == -ENOSPC)
			iova_table_log_enospc(t, "unmap", iova, len);
		else
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "unmap va 0x%" PRIx64 " iova 0x%" PRIx64
				 " len 0x%" PRIx64 ": backend %s failed: %s",
				 va, iova, len, t->ops->name, strerror(-ret));
		return ret;
	}
	if (ret > 0 && !can_wait)
		ret = 0;        /* a backend without unmap_wait has waited */
	if (unmapped == len) {
		/* the removal as prepared; a placeholder if devices are in
		 * flight (reserved above: cannot fail) */
		if (ret > 0) {
			struct iova_entry ph = { iova, 0, len, IOVA_E_DYING };

			x.reserved = true;
			tx_add(&x, &ph, false);
			if (x.err) {
				/* not reached (reserved above); safe if it
				 * were: the removal alone, and the wait
				 * under the lock as it used to be */
				txn_abort(&x);
				tx_begin(t, &x);
				x.reserved = true;
				prepare_removal(t, &x, iova, last, t->cov.p,
						t->cov.n, false, &d);
				if (x.err) {
					txn_abort(&x);
					t->ops->unmap_wait(t->priv, iova, len);
					return iova_table_nomem(t, "unmap",
								iova, len);
				}
				tx_commit(t, &x);
				apply_delta(t, &d);
				t->ops->unmap_wait(t->priv, iova, len);
				return 0;
			}
		}
		tx_commit(t, &x);
		apply_delta(t, &d);
		if (ret > 0)
			wait_inflight(t, iova, len);
		return 0;
	}

	/* short: the backend removed the start of the range only */
	txn_abort(&x);
	t->backend_errors++;
	end = short_end(t, iova, len, unmapped);
	if (end > iova) {
		for (n = 0; n < t->cov.n && E(t, t->cov.p[n])->iova < end; n++)
			;
		tx_begin(t, &x);
		x.reserved = true;
		prepare_removal(t, &x, iova, end - 1, t->cov.p, n, ret > 0,
				&d);
		if (x.err) {    /* reserved above: not reached */
			txn_abort(&x);
			return iova_table_nomem(t, "unmap", iova, len);
		}
		tx_commit(t, &x);
		apply_delta(t, &d);
	}
	if (unmapped > len)
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "unmap va 0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%"
			 PRIx64 ": backend %s unmapped 0x%" PRIx64 " bytes, more"
			 " than asked; the range is removed from the table", va,
			 iova, len, t->ops->name, unmapped);
	else
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "unmap va 0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%"
			 PRIx64 ": backend %s unmapped 0x%" PRIx64 " bytes, not"
			 " 0x%" PRIx64 "; the table removes [0x%" PRIx64 ", 0x%"
			 PRIx64 ") and keeps the rest, which the backend still "
			 "holds", va, iova, len, t->ops->name, unmapped, len,
			 iova, end);
	if (ret > 0 && end > iova)
		wait_inflight(t, iova, end - iova);
	return -EIO;
}

int
iova_table_unmap(struct iova_table *t, uint64_t va, uint64_t iova,
		 uint64_t len)
{
	int ret;

	pthread_mutex_lock(&t->lock);
	ret = do_unmap(t, va, iova, len);
	pthread_mutex_unlock(&t->lock);
	if (ret < 0)
		errno = -ret;
	return ret;
}

int
iova_table_unmap_all(struct iova_table *t)
{
	int n = 0, ret = 0;
	uint32_t i;

	pthread_mutex_lock(&t->lock);
	while ((i = bt_w_ceil(atomic_load_explicit(&t->roots.r[TR_IOVA],
						   memory_order_relaxed), 0))) {
		struct iova_entry e = *E(t, i);

		if (e_dying(&e)) {
			/* an unmap still waits for a device: not ours */
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "unmap all: iova 0x%" PRIx64 " len 0x%" PRIx64
				 " is still being unmapped by another call",
				 e.iova, e.len);
			ret = -EBUSY;
			break;
		}
		ret = do_unmap(t, e.va, e.iova, e.len);
		if (ret < 0) {
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "unmap all: stopped at iova 0x%" PRIx64 ": %s",
				 e.iova, strerror(-ret));
			break;
		}
		n++;
	}
	pthread_mutex_unlock(&t->lock);
	if (ret < 0) {
		errno = -ret;
		return ret;
	}
	return n;
}

