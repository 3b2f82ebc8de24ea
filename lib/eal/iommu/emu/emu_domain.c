/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Domains and endpoints of the emulated IOMMU: the control path (map,
 * unmap, stats, dump, attach). Every change of a domain's page table is
 * made under domain->lock held for writing and is followed, before the
 * lock is dropped, by a bump of domain->seq that invalidates every IOTLB
 * entry of the domain on every thread (see emu_internal.h for the protocol
 * with the lock-free translation path). Invariant: after any failed call
 * the page table maps exactly what it mapped before (a failed split-mode
 * unmap may leave huge leaves split into equivalent smaller ones).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keel_log.h"
#include "eal_internal.h"
#include "emu_internal.h"

KEEL_LOG_REGISTER(emu_logtype, "iommu.emu", INFO)

static _Atomic uint64_t emu_next_uid = 1;

#define EMU_ERR(err, ...) do { \
	KEEL_LOG(ERR, emu_logtype, __VA_ARGS__); \
	errno = (err); \
	return -(err); \
} while (0)

/* ---------------------------------------------------------------- domain */

static int
emu_config_check(const struct keel_emu_domain_config *c)
{
	unsigned int i;

	if (c->addr_width != 39 && c->addr_width != 48 && c->addr_width != 57)
		EMU_ERR(EINVAL, "emu domain: address width %u not 39, 48 or 57",
			c->addr_width);
	if ((c->pgsize_bitmap & ~KEEL_EMU_PGSIZES) != 0 ||
	    !(c->pgsize_bitmap & KEEL_EMU_PAGE_SIZE))
		EMU_ERR(EINVAL, "emu domain: page sizes 0x%" PRIx64
			" not a subset of 4K|2M|1G containing 4K",
			c->pgsize_bitmap);
	if (c->unmap_mode != KEEL_EMU_UNMAP_STRICT &&
	    c->unmap_mode != KEEL_EMU_UNMAP_SPLIT)
		EMU_ERR(EINVAL, "emu domain: unknown unmap mode %d",
			(int)c->unmap_mode);
	if (c->inflight_mode != KEEL_EMU_INFLIGHT_WAIT &&
	    c->inflight_mode != KEEL_EMU_INFLIGHT_EBUSY)
		EMU_ERR(EINVAL, "emu domain: unknown in-flight mode %d",
			(int)c->inflight_mode);
	if (c->n_reserved > KEEL_EMU_MAX_RESERVED)
		EMU_ERR(EINVAL, "emu domain: %u reserved ranges, at most %d",
			c->n_reserved, KEEL_EMU_MAX_RESERVED);
	for (i = 0; i < c->n_reserved; i++)
		if (c->reserved[i].first > c->reserved[i].last)
			EMU_ERR(EINVAL, "emu domain: reserved range 0x%" PRIx64
				"-0x%" PRIx64 " has first > last",
				c->reserved[i].first, c->reserved[i].last);
	return 0;
}

struct keel_emu_domain *
keel_emu_domain_create(const struct keel_emu_domain_config *cfg)
{
	struct keel_emu_domain_config c;
	struct keel_emu_domain *d;

	if (cfg != NULL)
		c = *cfg;
	else
		memset(&c, 0, sizeof(c));
	if (c.addr_width == 0)
		c.addr_width = 48;
	if (c.pgsize_bitmap == 0)
		c.pgsize_bitmap = KEEL_EMU_PGSIZES;
	if (emu_config_check(&c) < 0)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		KEEL_LOG(ERR, emu_logtype, "emu domain: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	if (c.max_table_pages == 0)
		c.max_table_pages = KEEL_EMU_DEFAULT_TABLE_PAGES;
	d->cfg = c;
	if (emu_pt_init(&d->pt, c.addr_width, c.pgsize_bitmap,
			c.max_table_pages) < 0) {
		free(d);
		KEEL_LOG(ERR, emu_logtype, "emu domain: no memory for root table");
		errno = ENOMEM;
		return NULL;
	}
	d->uid = atomic_fetch_add(&emu_next_uid, 1);
	atomic_init(&d->seq, 0);
	pthread_rwlock_init(&d->lock, NULL);
	pthread_mutex_init(&d->wait_lock, NULL);
	pthread_cond_init(&d->wait_cond, NULL);
	return d;
}

int
keel_emu_domain_destroy(struct keel_emu_domain *d)
{
	if (d == NULL)
		EMU_ERR(EINVAL, "emu domain destroy: NULL domain");
	if (atomic_load(&d->n_attached) != 0)
		EMU_ERR(EBUSY, "emu domain %" PRIu64 ": %u endpoints attached",
			d->uid, atomic_load(&d->n_attached));
	if (emu_holds_overlap(d, NULL, 0, UINT64_MAX))
		EMU_ERR(EBUSY, "emu domain %" PRIu64 ": ranges still held",
			d->uid);
	emu_pt_fini(&d->pt);
	pthread_rwlock_destroy(&d->lock);
	pthread_mutex_destroy(&d->wait_lock);
	pthread_cond_destroy(&d->wait_cond);
	free(d);
	return 0;
}

uint64_t
keel_emu_domain_id(const struct keel_emu_domain *d)
{
	return d != NULL ? d->uid : 0;
}

void
keel_emu_domain_iotlb_flush(struct keel_emu_domain *d)
{
	if (d == NULL)
		return;
	pthread_rwlock_wrlock(&d->lock);
	atomic_fetch_add_explicit(&d->seq, 2, memory_order_release);
	pthread_rwlock_unlock(&d->lock);
}

/* common checks of a (iova, len) argument; *last = inclusive end */
static int
emu_range_check(const struct keel_emu_domain *d, const char *what,
		uint64_t iova, uint64_t len, uint64_t *last)
{
	if (len == 0)
		EMU_ERR(EINVAL, "emu %s: length 0 at iova 0x%" PRIx64, what, iova);
	if ((iova | len) & (KEEL_EMU_PAGE_SIZE - 1))
		EMU_ERR(EINVAL, "emu %s: iova 0x%" PRIx64 " or length 0x%" PRIx64
			" not 4 KiB-aligned", what, iova, len);
	if (iova + (len - 1) < iova)
		EMU_ERR(EINVAL, "emu %s: iova 0x%" PRIx64 " + length 0x%" PRIx64
			" wraps", what, iova, len);
	*last = iova + (len - 1);
	if (*last >> d->cfg.addr_width)
		EMU_ERR(ERANGE, "emu %s: iova 0x%" PRIx64 "-0x%" PRIx64
			" beyond the %u-bit address width", what, iova, *last,
			d->cfg.addr_width);
	return 0;
}

int
keel_emu_map(struct keel_emu_domain *d, uint64_t iova, uint64_t va,
	     uint64_t len, uint32_t prot)
{
	uint64_t last, bad, need;
	const char *why;
	unsigned int i;
	int ret;

	if (d == NULL)
		EMU_ERR(EINVAL, "emu map: NULL domain");
	ret = emu_range_check(d, "map", iova, len, &last);
	if (ret < 0)
		return ret;
	if (va & (KEEL_EMU_PAGE_SIZE - 1))
		EMU_ERR(EINVAL, "emu map: va 0x%" PRIx64 " not 4 KiB-aligned", va);
	if (va + (len - 1) < va)
		EMU_ERR(EINVAL, "emu map: va 0x%" PRIx64 " + length 0x%" PRIx64
			" wraps", va, len);
	if (prot == 0 || (prot & ~(KEEL_EMU_PROT_READ | KEEL_EMU_PROT_WRITE)))
		EMU_ERR(EINVAL, "emu map: bad prot 0x%x", prot);
	for (i = 0; i < d->cfg.n_reserved; i++) {
		const struct keel_emu_range *r = &d->cfg.reserved[i];

		if (iova <= r->last && last >= r->first)
			EMU_ERR(EPERM, "emu map: iova 0x%" PRIx64 "-0x%" PRIx64
				" overlaps reserved range 0x%" PRIx64 "-0x%"
				PRIx64, iova, last, r->first, r->last);
	}
	/* what the kernel's pin refuses: memory that is not there, or not
	 * with the access the device needs */
	if (emu_va_check(va, len, prot, &bad, &why) < 0)
		EMU_ERR(EFAULT, "emu map: iova 0x%" PRIx64 " va 0x%" PRIx64
			" len 0x%" PRIx64 " (%s): va 0x%" PRIx64 " is %s", iova,
			va, len, prot == KEEL_EMU_PROT_READ ? "read" :
			prot == KEEL_EMU_PROT_WRITE ? "write" : "read-write",
			bad, why);
	/* a DMA to memory unmapped after this map is a fault, not a crash */
	emu_guard_install();

	pthread_rwlock_wrlock(&d->lock);
	if (d->cfg.max_mappings != 0 && d->n_mappings >= d->cfg.max_mappings) {
		pthread_rwlock_unlock(&d->lock);
		EMU_ERR(ENOSPC, "emu map: iova 0x%" PRIx64 ": domain %" PRIu64
			" at its limit of %" PRIu64 " mappings", iova, d->uid,
			d->cfg.max_mappings);
	}
	if (emu_pt_any_mapped(&d->pt, iova, last)) {
		pthread_rwlock_unlock(&d->lock);
		EMU_ERR(EEXIST, "emu map: iova 0x%" PRIx64 "-0x%" PRIx64
			" overlaps an existing mapping", iova, last);
	}
	/* the page-table bound, before anything is allocated: the tables the
	 * map needs, less those of them that exist (walked only near it) */
	need = emu_pt_tables_needed(&d->pt, iova, last, va);
	if (need > d->pt.max_tables - d->pt.n_tables)
		need -= emu_pt_tables_present(&d->pt, iova, last);
	if (need > d->pt.max_tables - d->pt.n_tables) {
		uint64_t have = d->pt.n_tables;

		pthread_rwlock_unlock(&d->lock);
		EMU_ERR(ENOSPC, "emu map: iova 0x%" PRIx64 " va 0x%" PRIx64
			" len 0x%" PRIx64 " needs %" PRIu64 " more page-table "
			"pages; domain %" PRIu64 " has %" PRIu64 " of its limit "
			"of %" PRIu64 " (%" PRIu64 " KiB)", iova, va, len, need,
			d->uid, have, d->pt.max_tables, d->pt.max_tables * 4);
	}
	ret = emu_pt_map(&d->pt, iova, last, va, (uint64_t)prot << 1);
	if (ret == 0) {
		d->n_mappings++;
		d->n_map_calls++;
	}
	pthread_rwlock_unlock(&d->lock);
	if (ret < 0)
		EMU_ERR(-ret, "emu map: iova 0x%" PRIx64 " len 0x%" PRIx64
			": no memory for page tables", iova, len);
	return 0;
}

static int
emu_strict_check(struct keel_emu_domain *d, uint64_t first, uint64_t last)
{
	struct emu_leaf l;

	if (emu_pt_lookup(&d->pt, first, &l) &&
	    (l.base != first || !(l.pte & EMU_PTE_START)))
		EMU_ERR(EINVAL, "emu unmap: 0x%" PRIx64 "-0x%" PRIx64 " starts "
			"inside a mapping (strict mode forbids splitting one)",
			first, last);
	if (emu_pt_lookup(&d->pt, last, &l) &&
	    (l.base + (l.size - 1) != last || !(l.pte & EMU_PTE_END)))
		EMU_ERR(EINVAL, "emu unmap: 0x%" PRIx64 "-0x%" PRIx64 " ends "
			"inside a mapping (strict mode forbids splitting one)",
			first, last);
	return 0;
}

/* EBUSY mode, under d->lock: true (and the busy range recorded) when a
 * device holds part of [first, last]. Leaves d->seq odd until the caller
 * bumps it, so no hold can start on a cached translation meanwhile. */
static bool
emu_busy_check(struct keel_emu_domain *d, uint64_t first, uint64_t last)
{
	struct keel_emu_range saved;
	uint32_t saved_pending;
	bool held;

	atomic_fetch_add(&d->seq, 1); /* odd */
	pthread_mutex_lock(&d->wait_lock);
	saved_pending = atomic_load(&d->busy_pending);
	saved = d->busy_range;
	if (saved_pending) {
		if (first < d->busy_range.first)
			d->busy_range.first = first;
		if (last > d->busy_range.last)
			d->busy_range.last = last;
	} else {
		d->busy_range.first = first;
		d->busy_range.last = last;
	}
	atomic_store(&d->busy_pending, 1);
	pthread_mutex_unlock(&d->wait_lock);
	keel_fence_heavy();
	held = emu_holds_overlap(d, NULL, first, last);
	if (!held) {
		pthread_mutex_lock(&d->wait_lock);
		d->busy_range = saved;
		atomic_store(&d->busy_pending, saved_pending);
		pthread_mutex_unlock(&d->wait_lock);
	}
	return held;
}

static void
emu_wait_holders(struct keel_emu_domain *d, uint64_t first, uint64_t last)
{
	struct timespec ts;
	unsigned int rounds = 0;

	pthread_mutex_lock(&d->wait_lock);
	atomic_fetch_add(&d->n_waiters, 1);
	for (;;) {
		keel_fence_heavy();
		if (!emu_holds_overlap(d, NULL, first, last))
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&d->wait_cond, &d->wait_lock, &ts);
		if (++rounds % 500 == 0)
			KEEL_LOG(WARNING, emu_logtype, "emu unmap: iova 0x%" PRIx64
				 "-0x%" PRIx64 " still held by a device after %u s",
				 first, last, rounds / 100);
	}
	atomic_fetch_sub(&d->n_waiters, 1);
	pthread_mutex_unlock(&d->wait_lock);
}

/*
 * The unmap; @p wait: wait here for devices still holding part of the
 * range (in-flight wait mode), else return 1 and leave that wait to
 * keel_emu_unmap_wait().
 */
static int
emu_unmap(struct keel_emu_domain *d, uint64_t iova, uint64_t len,
	  uint64_t *unmapped, bool wait)
{
	bool ebusy_mode, split, left = false, right = false, done_any;
	uint64_t last, starts = 0, bytes, n_new = 0;
	struct emu_leaf l;
	int ret;

	if (d == NULL)
		EMU_ERR(EINVAL, "emu unmap: NULL domain");
	ret = emu_range_check(d, "unmap", iova, len, &last);
	if (ret < 0)
		return ret;
	ebusy_mode = d->cfg.inflight_mode == KEEL_EMU_INFLIGHT_EBUSY;
	split = d->cfg.unmap_mode == KEEL_EMU_UNMAP_SPLIT;

	pthread_rwlock_wrlock(&d->lock);
	if (!split) {
		ret = emu_strict_check(d, iova, last);
		if (ret < 0)
			goto out_unlock;
	} else {
		/* pieces left over on either side after the split */
		left = emu_pt_lookup(&d->pt, iova, &l) &&
		       !(l.base == iova && (l.pte & EMU_PTE_START));
		right = emu_pt_lookup(&d->pt, last, &l) &&
			!(l.base + (l.size - 1) == last &&
			  (l.pte & EMU_PTE_END));
		starts = emu_pt_count_starts(&d->pt, iova, last);
		n_new = d->n_mappings - starts + (right ? 1 : 0);
		if (d->cfg.max_mappings != 0 && n_new > d->cfg.max_mappings) {
			KEEL_LOG(ERR, emu_logtype, "emu unmap: 0x%" PRIx64 "-0x%"
				 PRIx64 " would split a mapping past the limit of %"
				 PRIu64, iova, last, d->cfg.max_mappings);
			ret = -ENOSPC;
			goto out_unlock;
		}
	}
	if (ebusy_mode && atomic_load(&d->n_attached) != 0) {
		if (emu_busy_check(d, iova, last)) {
			atomic_fetch_add(&d->seq, 1); /* even again */
			atomic_fetch_add(&d->n_busy, 1);
			KEEL_LOG(INFO, emu_logtype, "emu unmap: 0x%" PRIx64 "-0x%"
				 PRIx64 " is held by a device: EBUSY", iova, last);
			ret = -EBUSY;
			goto out_unlock;
		}
	}
	if (split) {
		ret = emu_pt_split_at(&d->pt, iova);
		if (ret == 0 && (last + 1) >> d->cfg.addr_width == 0)
			ret = emu_pt_split_at(&d->pt, last + 1);
		if (ret < 0 && d->pt.n_tables >= d->pt.max_tables) {
			KEEL_LOG(ERR, emu_logtype, "emu unmap: 0x%" PRIx64 "-0x%"
				 PRIx64 ": splitting a huge page needs a page-table"
				 " page past the limit of %" PRIu64, iova, last,
				 d->pt.max_tables);
			ret = -ENOSPC;
		} else if (ret < 0) {
			KEEL_LOG(ERR, emu_logtype, "emu unmap: 0x%" PRIx64 "-0x%"
				 PRIx64 ": no memory to split a huge page",
				 iova, last);
		}
		if (ret < 0) {
			if (atomic_load(&d->seq) & 1)
				atomic_fetch_add(&d->seq, 1);
			goto out_unlock;
		}
		if (left)
			emu_pt_set_flags(&d->pt, iova - 1, EMU_PTE_END);
		if (right)
			emu_pt_set_flags(&d->pt, last + 1, EMU_PTE_START);
	}
	bytes = emu_pt_unmap(&d->pt, iova, last, &starts);
	d->n_mappings = split ? n_new : d->n_mappings - starts;
	d->n_unmap_calls++;
	/* invalidate every IOTLB entry of the domain (stays even) */
	atomic_fetch_add_explicit(&d->seq, (atomic_load_explicit(&d->seq,
				  memory_order_relaxed) & 1) ? 1 : 2,
				  memory_order_release);
	pthread_rwlock_unlock(&d->lock);
	done_any = bytes != 0;
	if (unmapped != NULL)
		*unmapped = bytes;
	/* holds exist only through attached endpoints (detach refuses
	 * while an endpoint holds): with none, nobody can be in flight */
	if (!ebusy_mode && done_any && atomic_load(&d->n_attached) != 0) {
		keel_fence_heavy();
		if (emu_holds_overlap(d, NULL, iova, last)) {
			atomic_fetch_add(&d->n_busy, 1);
			if (!wait)
				return 1;
			emu_wait_holders(d, iova, last);
		}
	}
	return 0;

out_unlock:
	pthread_rwlock_unlock(&d->lock);
	errno = -ret;
	return ret;
}

int
keel_emu_unmap(struct keel_emu_domain *d, uint64_t iova, uint64_t len,
	       uint64_t *unmapped)
{
	return emu_unmap(d, iova, len, unmapped, true);
}

int
keel_emu_unmap_nowait(struct keel_emu_domain *d, uint64_t iova, uint64_t len,
		      uint64_t *unmapped)
{
	return emu_unmap(d, iova, len, unmapped, false);
}

void
keel_emu_unmap_wait(struct keel_emu_domain *d, uint64_t iova, uint64_t len)
{
	if (d == NULL || len == 0 || iova + (len - 1) < iova)
		return;
	emu_wait_holders(d, iova, iova + (len - 1));
}

int
keel_emu_domain_stats_get(struct keel_emu_domain *d,
			  struct keel_emu_domain_stats *st)
{
	if (d == NULL || st == NULL)
		EMU_ERR(EINVAL, "emu stats: NULL %s", d == NULL ? "domain" : "stats");
	memset(st, 0, sizeof(*st));
	pthread_rwlock_rdlock(&d->lock);
	emu_pt_stats(&d->pt, st);
	st->n_mappings = d->n_mappings;
	st->n_map_calls = d->n_map_calls;
	st->n_unmap_calls = d->n_unmap_calls;
	pthread_rwlock_unlock(&d->lock);
	st->n_busy = atomic_load(&d->n_busy);
	st->n_faults = atomic_load(&d->n_faults);
	return 0;
}

int
keel_emu_domain_dump(struct keel_emu_domain *d, FILE *f)
{
	unsigned int i;

	if (d == NULL || f == NULL)
		EMU_ERR(EINVAL, "emu dump: NULL %s", d == NULL ? "domain" : "file");
	pthread_rwlock_rdlock(&d->lock);
	fprintf(f, "emu domain %" PRIu64 ": %u-bit, %d levels, pgsizes 0x%" PRIx64
		", %s unmap, %s, %" PRIu64 " mappings (limit %" PRIu64 "), %"
		PRIu64 " table pages (limit %" PRIu64 ")\n", d->uid, d->cfg.addr_width,
		d->pt.root_level, d->cfg.pgsize_bitmap,
		d->cfg.unmap_mode == KEEL_EMU_UNMAP_SPLIT ? "split" : "strict",
		d->cfg.inflight_mode == KEEL_EMU_INFLIGHT_EBUSY ?
		"in-flight EBUSY" : "in-flight wait",
		d->n_mappings, d->cfg.max_mappings, d->pt.n_tables,
		d->pt.max_tables);
	for (i = 0; i < d->cfg.n_reserved; i++)
		fprintf(f, "  reserved 0x%" PRIx64 "-0x%" PRIx64 "\n",
			d->cfg.reserved[i].first, d->cfg.reserved[i].last);
	emu_pt_dump(&d->pt, f);
	pthread_rwlock_unlock(&d->lock);
	return 0;
}

uint64_t
keel_emu_pt_pages_alive(void)
{
	return atomic_load(&emu_pt_pages);
}

/* keel_eal_cleanup(): nothing of this run reaches the next one */
void
eal_emu_reset(void)
{
	keel_emu_fault_clear();
	atomic_store(&emu_pt_fail_nth, 0);
	emu_pt_cache_drain();
	emu_va_reset();
	emu_guard_reset();
}

/* ------------------------------------------------------------- endpoints */

struct keel_emu_endpoint *
keel_emu_endpoint_create(uint32_t id, const char *name)
{
	struct keel_emu_endpoint *ep = calloc(1, sizeof(*ep));

	if (ep == NULL) {
		KEEL_LOG(ERR, emu_logtype, "emu endpoint %u: out of memory", id);
		errno = ENOMEM;
		return NULL;
	}
	ep->id = id;
	snprintf(ep->name, sizeof(ep->name), "%s", name != NULL ? name : "");
	atomic_init(&ep->domain, NULL);
	return ep;
}

int
keel_emu_endpoint_detach(struct keel_emu_endpoint *ep)
{
	struct keel_emu_domain *d;

	if (ep == NULL)
		EMU_ERR(EINVAL, "emu detach: NULL endpoint");
	if (emu_ep_has_holds(ep))
		EMU_ERR(EBUSY, "emu endpoint %u (%s): still holds mapped ranges",
			ep->id, ep->name);
	d = atomic_exchange(&ep->domain, NULL);
	if (d != NULL)
		atomic_fetch_sub(&d->n_attached, 1);
	return 0;
}

int
keel_emu_endpoint_attach(struct keel_emu_endpoint *ep,
			 struct keel_emu_domain *d)
{
	struct keel_emu_domain *old;

	if (ep == NULL || d == NULL)
		EMU_ERR(EINVAL, "emu attach: NULL %s",
			ep == NULL ? "endpoint" : "domain");
	if (emu_ep_has_holds(ep))
		EMU_ERR(EBUSY, "emu endpoint %u (%s): still holds mapped ranges",
			ep->id, ep->name);
	atomic_fetch_add(&d->n_attached, 1);
	old = atomic_exchange(&ep->domain, d);
	if (old != NULL)
		atomic_fetch_sub(&old->n_attached, 1);
	return 0;
}

int
keel_emu_endpoint_destroy(struct keel_emu_endpoint *ep)
{
	int ret;

	if (ep == NULL)
		return 0;
	ret = keel_emu_endpoint_detach(ep);
	if (ret < 0)
		return ret;
	free(ep);
	return 0;
}

struct keel_emu_domain *
keel_emu_endpoint_domain(const struct keel_emu_endpoint *ep)
{
	return ep != NULL ? atomic_load(&ep->domain) : NULL;
}

uint32_t
keel_emu_endpoint_id(const struct keel_emu_endpoint *ep)
{
	return ep != NULL ? ep->id : 0;
}
