/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The audit of debug pools (KEEL_MEMPOOL_F_DEBUG): cookies in each
 * object's header and trailer, checked on every get and put and by
 * keel_mempool_audit(); and the out-of-line get/put of pools that audit
 * or count every call (KEEL_MEMPOOL_F_STATS).
 *
 * Invariant (debug pools): an object's header cookie is MP_COOKIE_FREE
 * while the object is in the backend or a cache, MP_COOKIE_ALLOC while a
 * user holds it; its trailer (the 8 bytes after the object) always holds
 * MP_TRAILER_COOKIE. The header cookie changes only by compare-and-swap,
 * so two threads putting the same object at once cannot both succeed: one
 * of them sees a double put. Objects the audit refuses are not put back,
 * so the pool never holds an object twice.
 */
#include <inttypes.h>
#include <string.h>

#include "mempool_internal.h"

#define AUDIT_BATCH 64

static void
audit_error(struct keel_mempool *mp)
{
	__atomic_fetch_add(&mp->audit_errors, 1, __ATOMIC_RELAXED);
}

void
mp_obj_cookies_init(struct keel_mempool *mp, void *obj)
{
	uint64_t t = MP_TRAILER_COOKIE;

	keel_mempool_get_header(obj)->cookie = MP_COOKIE_FREE;
	if (mp->flags & KEEL_MEMPOOL_F_DEBUG)
		memcpy(mp_trailer(mp, obj), &t, sizeof(t));
}

/* check and repair the trailer; 0 when it was intact */
static int
trailer_check(struct keel_mempool *mp, void *obj, const char *when)
{
	uint64_t t, want = MP_TRAILER_COOKIE;

	memcpy(&t, mp_trailer(mp, obj), sizeof(t));
	if (t == want)
		return 0;
	MP_LOG(ERR, "mempool '%s': %s object %p: written past its end (trailer "
	       "0x%016" PRIx64 "; %u-byte objects)", mp->name, when, obj, t,
	       mp->elt_size);
	memcpy(mp_trailer(mp, obj), &want, sizeof(want));
	audit_error(mp);
	return -1;
}

/* take an object from state `from` to `to`; 0, or -1 (logged, counted) */
static int
cookie_move(struct keel_mempool *mp, void *obj, uint64_t from, uint64_t to,
	    const char *when)
{
	struct keel_mempool_objhdr *h = keel_mempool_get_header(obj);
	uint64_t old = from;

	if (__atomic_compare_exchange_n(&h->cookie, &old, to, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return 0;
	if (old == to)
		MP_LOG(ERR, "mempool '%s': %s object %p: %s", mp->name, when, obj,
		       to == MP_COOKIE_FREE ? "double put (the object is free "
		       "already); not put back" : "handed out while in use");
	else
		MP_LOG(ERR, "mempool '%s': %s object %p: header overwritten "
		       "(cookie 0x%016" PRIx64 ")%s", mp->name, when, obj, old,
		       to == MP_COOKIE_FREE ? "; not put back" : "");
	audit_error(mp);
	return -1;
}

/* check one object being put; 0 when it may go back */
static int
put_check(struct keel_mempool *mp, void *obj)
{
	if (obj == NULL || keel_mempool_get_header(obj)->mp != mp) {
		MP_LOG(ERR, "mempool '%s': put of %p: %s; not put back",
		       mp->name, obj, obj == NULL ? "NULL object" :
		       "not an object of this pool");
		audit_error(mp);
		return -1;
	}
	trailer_check(mp, obj, "put of");
	return cookie_move(mp, obj, MP_COOKIE_ALLOC, MP_COOKIE_FREE, "put of");
}

static void
put_audit(struct keel_mempool *mp, void * const *obj_table, unsigned int n,
	  struct keel_mempool_cache *cache, int calls)
{
	void *good[AUDIT_BATCH];
	unsigned int i, ng = 0;

	/* all good (the usual case): one put, as without the audit */
	for (i = 0; i < n; i++)
		if (put_check(mp, obj_table[i]) < 0)
			break;
	if (i == n) {
		keel_mempool_do_put_(mp, obj_table, n, cache, calls);
		return;
	}
	/* the good ones before the first bad one, then the rest checked */
	if (i != 0)
		keel_mempool_do_put_(mp, obj_table, i, cache, calls);
	for (i++; i < n; i++) {
		if (put_check(mp, obj_table[i]) < 0)
			continue;
		good[ng++] = obj_table[i];
		if (ng == AUDIT_BATCH) {
			keel_mempool_do_put_(mp, good, ng, cache, calls);
			ng = 0;
		}
	}
	if (ng != 0)
		keel_mempool_do_put_(mp, good, ng, cache, calls);
}

static void
get_audit(struct keel_mempool *mp, void **obj_table, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		trailer_check(mp, obj_table[i], "get of");
		cookie_move(mp, obj_table[i], MP_COOKIE_FREE, MP_COOKIE_ALLOC,
			    "get of");
	}
}

void
keel_mempool_put_slow_(struct keel_mempool *mp, void * const *obj_table,
		       unsigned int n, struct keel_mempool_cache *cache)
{
	int calls = (mp->flags & KEEL_MEMPOOL_F_STATS) != 0;

	if (mp->flags & KEEL_MEMPOOL_F_DEBUG)
		put_audit(mp, obj_table, n, cache, calls);
	else
		keel_mempool_do_put_(mp, obj_table, n, cache, 1);
}

int
keel_mempool_get_slow_(struct keel_mempool *mp, void **obj_table,
		       unsigned int n, struct keel_mempool_cache *cache)
{
	int ret;

	if (mp->flags & KEEL_MEMPOOL_F_STATS)
		ret = keel_mempool_do_get_(mp, obj_table, n, cache, 1);
	else
		ret = keel_mempool_do_get_(mp, obj_table, n, cache, 0);
	if (ret == 0 && (mp->flags & KEEL_MEMPOOL_F_DEBUG))
		get_audit(mp, obj_table, n);
	return ret;
}

struct audit_walk {
	uint64_t free_objs, bad;
};

static void
audit_obj(struct keel_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct keel_mempool_objhdr *h = keel_mempool_get_header(obj);
	struct audit_walk *w = arg;

	(void)idx;
	if (h->mp != mp) {
		MP_LOG(ERR, "mempool '%s' audit: object %p header names pool %p",
		       mp->name, obj, (void *)h->mp);
		w->bad++;
		return;
	}
	if (!(mp->flags & KEEL_MEMPOOL_F_DEBUG))
		return;
	if (h->cookie == MP_COOKIE_FREE)
		w->free_objs++;
	else if (h->cookie != MP_COOKIE_ALLOC) {
		MP_LOG(ERR, "mempool '%s' audit: object %p header overwritten "
		       "(cookie 0x%016" PRIx64 ")", mp->name, obj, h->cookie);
		w->bad++;
	}
	if (trailer_check(mp, obj, "audit:") < 0)
		w->bad++;
}

int
keel_mempool_audit(struct keel_mempool *mp)
{
	struct audit_walk w = { 0, 0 };
	unsigned int avail;
	uint32_t i;

	if (!mp_live(mp)) {
		MP_LOG(ERR, "mempool audit: %p is not a pool", (void *)mp);
		return mp_fail(EINVAL);
	}
	for (i = 0; i < mp->n_caches; i++) {
		struct keel_mempool_cache *c = keel_mempool_default_cache(mp, i);

		if (c->len > c->capacity || c->size != mp->cache_size) {
			MP_LOG(ERR, "mempool '%s' audit: lcore %u cache holds %u"
			       " (capacity %u, size %u of %u)", mp->name, i,
			       c->len, c->capacity, c->size, mp->cache_size);
			w.bad++;
		}
	}
	if (mp->flags & KEEL_MEMPOOL_F_POOL_CREATED) {
		uint64_t sum = mp->ops->get_count(mp);

		for (i = 0; i < mp->n_caches; i++)
			sum += keel_mempool_default_cache(mp, i)->len;
		if (sum > mp->populated_size) {
			MP_LOG(ERR, "mempool '%s' audit: %" PRIu64 " objects "
			       "available, more than the %u it holds", mp->name,
			       sum, mp->populated_size);
			w.bad++;
		}
	}
	keel_mempool_obj_iter(mp, audit_obj, &w);
	avail = keel_mempool_avail_count(mp);
	if ((mp->flags & KEEL_MEMPOOL_F_DEBUG) && w.free_objs != avail) {
		MP_LOG(ERR, "mempool '%s' audit: %" PRIu64 " objects marked free,"
		       " %u available", mp->name, w.free_objs, avail);
		w.bad++;
	}
	return w.bad ? mp_fail(EFAULT) : 0;
}
