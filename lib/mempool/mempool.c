/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pools: creation, lookup, caches, counts, release.
 *
 * A pool's header lives in the memzone "MP_<name>": the struct, then one
 * cache per lcore id below n_caches (cache_stride bytes apart), then the
 * counter lines (one per lcore + one shared), then the private area. The
 * memzone is the pool's entry in the process: lookup and walk go through
 * the memzone list (whose lock makes names unique), so there is no list of
 * pools to keep in step, and keel_eal_cleanup(), which frees every memzone,
 * leaves nothing behind.
 *
 * Invariant: mp->magic == KEEL_MEMPOOL_MAGIC exactly while the pool is
 * usable (set last by create, cleared first by free), and every object is
 * in exactly one place: the backend, one cache, or a user's hands
 * (backend count + cache lengths + in use == size once populated).
 * Control calls are not thread-safe against get/put on the same pool.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "keel_malloc.h"
#include "keel_memzone.h"
#include "mempool_internal.h"

#define ALIGN64(x) (((uint64_t)(x) + 63u) & ~(uint64_t)63u)
#define KNOWN_FLAGS (KEEL_MEMPOOL_F_NO_SPREAD | KEEL_MEMPOOL_F_NO_CACHE_ALIGN | \
		     KEEL_MEMPOOL_F_SP_PUT | KEEL_MEMPOOL_F_SC_GET | \
		     KEEL_MEMPOOL_F_NO_IOVA_CONTIG | KEEL_MEMPOOL_F_DEBUG | \
		     KEEL_MEMPOOL_F_STATS)

uint32_t
keel_mempool_calc_obj_size(uint32_t elt_size, uint32_t flags,
			   struct keel_mempool_objsz *sz)
{
	uint32_t align = (flags & KEEL_MEMPOOL_F_NO_CACHE_ALIGN) ? 8u : 64u;
	uint64_t hdr, body, total;

	hdr = (sizeof(struct keel_mempool_objhdr) + align - 1) & ~(uint64_t)(align - 1);
	body = ((uint64_t)elt_size + 7u) & ~(uint64_t)7u;
	if (flags & KEEL_MEMPOOL_F_DEBUG)
		body += sizeof(uint64_t);
	total = (hdr + body + align - 1) & ~(uint64_t)(align - 1);
	if (total > UINT32_MAX)
		return 0;
	if (sz != NULL) {
		sz->elt_size = elt_size;
		sz->header_size = (uint32_t)hdr;
		sz->trailer_size = (uint32_t)(total - hdr - elt_size);
		sz->total_size = (uint32_t)total;
	}
	return (uint32_t)total;
}

static unsigned int
lcore_ids_used(void)
{
	unsigned int i, max = 0;

	KEEL_LCORE_FOREACH(i)
		max = i + 1;
	return max;
}

static uint32_t
cache_stride(uint32_t size)
{
	return (uint32_t)ALIGN64(sizeof(struct keel_mempool_cache) +
				 2ull * size * sizeof(void *));
}

static void
cache_init(struct keel_mempool_cache *c, uint32_t size)
{
	memset(c, 0, sizeof(*c));
	c->size = size;
	c->flushthresh = KEEL_MEMPOOL_CACHE_FLUSHTHRESH(size);
	c->capacity = 2 * size;
}

/* the memzone holding a pool's header, NULL if mp is not one */
struct zone_find {
	const void *addr;
	const struct keel_memzone *mz;
};

static void
zone_find_cb(const struct keel_memzone *mz, void *arg)
{
	struct zone_find *f = arg;

	if (mz->addr == f->addr &&
	    strncmp(mz->name, KEEL_MEMPOOL_MZ_PREFIX,
		    sizeof(KEEL_MEMPOOL_MZ_PREFIX) - 1) == 0)
		f->mz = mz;
}

static const struct keel_memzone *
pool_zone(const struct keel_mempool *mp)
{
	struct zone_find f = { mp, NULL };

	keel_memzone_walk(zone_find_cb, &f);
	return f.mz;
}

struct keel_mempool *
keel_mempool_create_empty(const char *name, unsigned int n,
			  unsigned int elt_size, unsigned int cache_size,
			  unsigned int private_data_size, int socket_id,
			  unsigned int flags)
{
	char mz_name[KEEL_MEMZONE_NAMESIZE];
	const struct keel_mempool_ops *ops;
	const struct keel_memzone *mz;
	struct keel_mempool_objsz sz;
	struct keel_mempool *mp;
	uint64_t off_caches, off_stats, off_priv, total;
	uint32_t n_caches = 0, stride = 0, n_lcores, i;
	unsigned int user_flags = flags;
	const char *why = NULL;
	int err = EINVAL;

#ifdef KEEL_MEMPOOL_DEBUG_DEFAULT
	flags |= KEEL_MEMPOOL_F_DEBUG | KEEL_MEMPOOL_F_STATS;
#endif
	if (name == NULL || name[0] == '\0')
		why = "empty name";
	else if (strnlen(name, KEEL_MEMPOOL_NAMESIZE) == KEEL_MEMPOOL_NAMESIZE) {
		why = "name longer than KEEL_MEMPOOL_NAMESIZE - 1";
		err = ENAMETOOLONG;
	} else if (n == 0)
		why = "n is 0";
	else if (elt_size == 0)
		why = "element size 0";
	else if (flags & ~KNOWN_FLAGS)
		why = "unknown flags";
	else if (keel_mempool_calc_obj_size(elt_size, flags, &sz) == 0)
		why = "element size too large";
	else if (cache_size > KEEL_MEMPOOL_CACHE_MAX_SIZE)
		why = "cache size above KEEL_MEMPOOL_CACHE_MAX_SIZE (512)";
	else if (cache_size != 0 && KEEL_MEMPOOL_CACHE_FLUSHTHRESH(cache_size) > n)
		why = "cache flush threshold (1.5 x cache size) above n";
	else if (socket_id < -1 || socket_id >= (int)keel_socket_count())
		why = "no such socket";
	if (why != NULL) {
		MP_LOG(ERR, "mempool '%s': n %u elt_size %u cache %u flags 0x%x "
		       "socket %d: %s", name ? name : "(null)", n, elt_size,
		       cache_size, user_flags, socket_id, why);
		errno = err;
		return NULL;
	}
	ops = mp_ops_default(flags);
	if (ops == NULL) {
		MP_LOG(ERR, "mempool '%s': no backend ops registered", name);
		errno = ENOENT;
		return NULL;
	}
	if (cache_size != 0) {
		n_caches = lcore_ids_used();
		stride = cache_stride(cache_size);
	}
	off_caches = ALIGN64(sizeof(*mp));
	off_stats = off_caches + (uint64_t)n_caches * stride;
	n_lcores = lcore_ids_used();
	off_priv = off_stats + (n_lcores + 1ull) *
		sizeof(struct keel_mempool_stats_slot);
	total = off_priv + ALIGN64(private_data_size);
	snprintf(mz_name, sizeof(mz_name), KEEL_MEMPOOL_MZ_PREFIX "%s", name);
	mz = keel_memzone_reserve(mz_name, total, socket_id, 0);
	if (mz == NULL) {
		if (errno == EEXIST)
			MP_LOG(ERR, "mempool '%s': name already taken", name);
		else
			MP_LOG(ERR, "mempool '%s': no memory for its header "
			       "(%" PRIu64 " bytes)", name, total);
		return NULL;
	}
	mp = mz->addr;
	memset(mp, 0, total);
	snprintf(mp->name, sizeof(mp->name), "%s", name);
	mp->ops = ops;
	mp->flags = flags;
	mp->size = n;
	mp->cache_size = cache_size;
	mp->elt_size = elt_size;
	mp->header_size = sz.header_size;
	mp->trailer_size = sz.trailer_size;
	mp->private_data_size = private_data_size;
	mp->socket_id = socket_id;
	mp->mz = mz;
	mp->n_caches = n_caches;
	mp->n_lcores = n_lcores;
	mp->cache_stride = stride;
	mp->local_cache = (struct keel_mempool_cache *)((char *)mp + off_caches);
	for (i = 0; i < n_caches; i++)
		cache_init((struct keel_mempool_cache *)((char *)mp + off_caches +
			   (uint64_t)i * stride), cache_size);
	mp->lcore_stats = (struct keel_mempool_stats_slot *)((char *)mp + off_stats);
	mp->private_data = private_data_size ? (char *)mp + off_priv : NULL;
	__atomic_store_n(&mp->magic, KEEL_MEMPOOL_MAGIC, __ATOMIC_RELEASE);
	return mp;
}

struct keel_mempool *
keel_mempool_create(const char *name, unsigned int n, unsigned int elt_size,
		    unsigned int cache_size, unsigned int private_data_size,
		    keel_mempool_ctor_t *mp_init, void *mp_init_arg,
		    keel_mempool_obj_cb_t *obj_init, void *obj_init_arg,
		    int socket_id, unsigned int flags)
{
	struct keel_mempool *mp;
	int ret;

	mp = keel_mempool_create_empty(name, n, elt_size, cache_size,
				       private_data_size, socket_id, flags);
	if (mp == NULL)
		return NULL;
	if (mp_init != NULL)
		mp_init(mp, mp_init_arg);
	ret = keel_mempool_populate_default(mp);
	if (ret < 0) {
		keel_mempool_free(mp);
		errno = -ret;
		return NULL;
	}
	if (obj_init != NULL)
		keel_mempool_obj_iter(mp, obj_init, obj_init_arg);
	return mp;
}

int
keel_mempool_set_ops_byname(struct keel_mempool *mp, const char *name,
			    void *pool_config)
{
	const struct keel_mempool_ops *ops;

	if (!mp_live(mp)) {
		MP_LOG(ERR, "mempool set ops '%s': not a pool",
		       name ? name : "(null)");
		return mp_fail(EINVAL);
	}
	if (mp->flags & KEEL_MEMPOOL_F_POOL_CREATED) {
		MP_LOG(ERR, "mempool '%s': set ops '%s': the pool has objects "
		       "already (ops '%s')", mp->name, name ? name : "(null)",
		       mp->ops->name);
		return mp_fail(EEXIST);
	}
	ops = keel_mempool_ops_lookup(name);
	if (ops == NULL) {
		MP_LOG(ERR, "mempool '%s': no ops called '%s'", mp->name,
		       name ? name : "(null)");
		return mp_fail(EINVAL);
	}
	mp->ops = ops;
	mp->pool_config = pool_config;
	return 0;
}

void
keel_mempool_free(struct keel_mempool *mp)
{
	const struct keel_memzone *mz;
	unsigned int in_use;

	if (mp == NULL)
		return;
	mz = pool_zone(mp);
	if (mz == NULL || !mp_live(mp)) {
		MP_LOG(ERR, "mempool free of %p: not a pool", (void *)mp);
		errno = EINVAL;
		return;
	}
	if (mp->flags & KEEL_MEMPOOL_F_POOL_CREATED) {
		in_use = mp->populated_size - keel_mempool_avail_count(mp);
		if (in_use != 0)
			MP_LOG(WARNING, "mempool '%s' freed with %u of %u objects "
			       "in use", mp->name, in_use, mp->populated_size);
	}
	__atomic_store_n(&mp->magic, 0, __ATOMIC_RELEASE);
	if (mp->flags & KEEL_MEMPOOL_F_POOL_CREATED)
		mp->ops->free(mp);
	mp_release_chunks(mp);
	keel_memzone_free(mz);
}

struct keel_mempool *
keel_mempool_lookup(const char *name)
{
	char mz_name[KEEL_MEMZONE_NAMESIZE];
	const struct keel_memzone *mz;
	struct keel_mempool *mp;

	if (name == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (strnlen(name, KEEL_MEMPOOL_NAMESIZE) == KEEL_MEMPOOL_NAMESIZE) {
		errno = ENOENT;
		return NULL;
	}
	snprintf(mz_name, sizeof(mz_name), KEEL_MEMPOOL_MZ_PREFIX "%s", name);
	mz = keel_memzone_lookup(mz_name);
	mp = mz ? mz->addr : NULL;
	if (mp == NULL || __atomic_load_n(&mp->magic, __ATOMIC_ACQUIRE) !=
	    KEEL_MEMPOOL_MAGIC) {
		errno = ENOENT;
		return NULL;
	}
	return mp;
}

struct walk_arg {
	struct keel_mempool **list;
	unsigned int n, cap;
	bool oom;
};

static void
walk_cb(const struct keel_memzone *mz, void *arg)
{
	struct walk_arg *w = arg;
	struct keel_mempool *mp = mz->addr;

	if (strncmp(mz->name, KEEL_MEMPOOL_MZ_PREFIX,
		    sizeof(KEEL_MEMPOOL_MZ_PREFIX) - 1) != 0 ||
	    mz->len < sizeof(*mp) || !mp_live(mp))
		return;
	if (w->n == w->cap) {
		unsigned int cap = w->cap ? 2 * w->cap : 16;
		struct keel_mempool **l = realloc(w->list, cap * sizeof(*l));

		if (l == NULL) {
			w->oom = true;
			return;
		}
		w->list = l;
		w->cap = cap;
	}
	w->list[w->n++] = mp;
}

void
keel_mempool_walk(void (*fn)(struct keel_mempool *mp, void *arg), void *arg)
{
	struct walk_arg w = { NULL, 0, 0, false };
	unsigned int i;

	if (fn == NULL)
		return;
	/* collect first: fn may free pools (memzone calls take its lock) */
	keel_memzone_walk(walk_cb, &w);
	if (w.oom)
		MP_LOG(ERR, "mempool walk: out of memory, %u pools only", w.n);
	for (i = 0; i < w.n; i++)
		fn(w.list[i], arg);
	free(w.list);
}

/* ---- caches ---- */

struct keel_mempool_cache *
keel_mempool_cache_create(uint32_t size, int socket_id)
{
	struct keel_mempool_cache *c;

	if (size == 0 || size > KEEL_MEMPOOL_CACHE_MAX_SIZE) {
		MP_LOG(ERR, "mempool cache create: size %u not in 1..%d", size,
		       KEEL_MEMPOOL_CACHE_MAX_SIZE);
		errno = EINVAL;
		return NULL;
	}
	c = keel_zmalloc_socket("mempool_cache", cache_stride(size), 64,
				socket_id);
	if (c == NULL) {
		MP_LOG(ERR, "mempool cache create: no memory (size %u, socket %d)",
		       size, socket_id);
		return NULL;
	}
	cache_init(c, size);
	return c;
}

void
keel_mempool_cache_free(struct keel_mempool_cache *cache)
{
	keel_free(cache);
}

void
keel_mempool_cache_flush(struct keel_mempool_cache *cache,
			 struct keel_mempool *mp)
{
	if (mp == NULL)
		return;
	if (cache == NULL)
		cache = keel_mempool_default_cache(mp, keel_lcore_id());
	if (cache == NULL || cache->len == 0)
		return;
	cache->stats.put_common_pool_bulk++;
	cache->stats.put_common_pool_objs += cache->len;
	keel_mempool_backend_put_(mp, cache->objs, cache->len);
	cache->len = 0;
}

/*
 * A get the backend could not serve alone (a bulk at least the cache size,
 * or no cache): take what the backend lacks from the caller's own cache,
 * so one thread can always have every object no other cache holds.
 */
int
keel_mempool_get_short_(struct keel_mempool *mp, void **obj_table,
			unsigned int n, struct keel_mempool_cache *cache)
{
	struct keel_mempool_stats *st;
	unsigned int have, need, i;
	int sh;

	if (cache == NULL || cache->len == 0)
		goto fail;
	have = cache->len < n ? cache->len : n;
	need = n - have;
	if (need != 0 && mp->ops->dequeue(mp, obj_table, need) < 0)
		goto fail;
	for (i = need; i < n; i++)
		obj_table[i] = cache->objs[--cache->len];
	cache->stats.get_success_bulk++;
	cache->stats.get_success_objs += n;
	if (need != 0) {
		cache->stats.get_common_pool_bulk++;
		cache->stats.get_common_pool_objs += need;
	}
	return 0;
fail:
	st = keel_mempool_stats_of_(mp, cache, &sh);
	KEEL_MEMPOOL_SADD_(st, sh, get_fail_bulk, 1);
	KEEL_MEMPOOL_SADD_(st, sh, get_fail_objs, n);
	return -ENOENT;
}

/* ---- counts and counters ---- */

unsigned int
keel_mempool_avail_count(const struct keel_mempool *mp)
{
	uint64_t count;
	uint32_t i;

	if (!(mp->flags & KEEL_MEMPOOL_F_POOL_CREATED))
		return 0;
	count = mp->ops->get_count(mp);
	for (i = 0; i < mp->n_caches; i++)
		count += __atomic_load_n(&keel_mempool_default_cache(
				(struct keel_mempool *)(uintptr_t)mp, i)->len,
				__ATOMIC_RELAXED);
	/* racy sums may overshoot while objects move */
	return count > mp->populated_size ? mp->populated_size :
		(unsigned int)count;
}

unsigned int
keel_mempool_in_use_count(const struct keel_mempool *mp)
{
	return mp->populated_size - keel_mempool_avail_count(mp);
}

static void
stats_add(struct keel_mempool_stats *d, const struct keel_mempool_stats *s)
{
	const uint64_t *sp = (const uint64_t *)s;
	uint64_t *dp = (uint64_t *)d;
	size_t i;

	for (i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		dp[i] += __atomic_load_n(&sp[i], __ATOMIC_RELAXED);
}

int
keel_mempool_stats_get(const struct keel_mempool *mp,
		       struct keel_mempool_stats *st)
{
	struct keel_mempool *m = (struct keel_mempool *)(uintptr_t)mp;
	uint32_t i;

	if (!mp_live(mp) || st == NULL) {
		MP_LOG(ERR, "mempool stats: %s", st == NULL ? "NULL stats" :
		       "not a pool");
		return mp_fail(EINVAL);
	}
	memset(st, 0, sizeof(*st));
	for (i = 0; i < mp->n_caches; i++)
		stats_add(st, &keel_mempool_default_cache(m, i)->stats);
	for (i = 0; i <= mp->n_lcores; i++)
		stats_add(st, &mp->lcore_stats[i].s);
	st->audit_errors = __atomic_load_n(&mp->audit_errors, __ATOMIC_RELAXED);
	return 0;
}

void
keel_mempool_stats_reset(struct keel_mempool *mp)
{
	uint32_t i;

	if (!mp_live(mp))
		return;
	for (i = 0; i < mp->n_caches; i++)
		memset(&keel_mempool_default_cache(mp, i)->stats, 0,
		       sizeof(struct keel_mempool_stats));
	memset(mp->lcore_stats, 0, (mp->n_lcores + 1) *
	       sizeof(struct keel_mempool_stats_slot));
	__atomic_store_n(&mp->audit_errors, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&mp->backend_errors, 0, __ATOMIC_RELAXED);
}

void
keel_mempool_backend_refused(struct keel_mempool *mp, unsigned int n)
{
	__atomic_fetch_add(&mp->backend_errors, 1, __ATOMIC_RELAXED);
	MP_LOG(ERR, "mempool '%s': backend '%s' refused %u objects: more "
	       "objects put than the pool holds (a double put?); they are lost",
	       mp->name, mp->ops->name, n);
}

/* ---- dump ---- */

static void
dump_stats(FILE *f, const struct keel_mempool_stats *s)
{
	fprintf(f, "  put: %" PRIu64 " calls, %" PRIu64 " objs; get: %" PRIu64
		" calls, %" PRIu64 " objs; get failed: %" PRIu64 " calls, %"
		PRIu64 " objs\n", s->put_bulk, s->put_objs, s->get_success_bulk,
		s->get_success_objs, s->get_fail_bulk, s->get_fail_objs);
	fprintf(f, "  backend: put %" PRIu64 " calls, %" PRIu64 " objs; get %"
		PRIu64 " calls, %" PRIu64 " objs; audit errors %" PRIu64 "\n",
		s->put_common_pool_bulk, s->put_common_pool_objs,
		s->get_common_pool_bulk, s->get_common_pool_objs,
		s->audit_errors);
}

void
keel_mempool_dump(FILE *f, struct keel_mempool *mp)
{
	struct keel_mempool_memhdr *m;
	struct keel_mempool_stats st;
	uint32_t i;

	if (f == NULL)
		return;
	if (!mp_live(mp)) {
		fprintf(f, "mempool %p: not a pool\n", (void *)mp);
		return;
	}
	fprintf(f, "mempool '%s' at %p: ops %s, flags 0x%x, socket %d\n",
		mp->name, (void *)mp, mp->ops->name, mp->flags, mp->socket_id);
	fprintf(f, "  size %u (populated %u), elt %u + header %u + trailer %u"
		" = %u bytes, private %u\n", mp->size, mp->populated_size,
		mp->elt_size, mp->header_size, mp->trailer_size,
		mp_total_size(mp), mp->private_data_size);
	fprintf(f, "  avail %u, in use %u, backend %u\n",
		keel_mempool_avail_count(mp), keel_mempool_in_use_count(mp),
		(mp->flags & KEEL_MEMPOOL_F_POOL_CREATED) ?
		mp->ops->get_count(mp) : 0);
	for (m = mp->mem_list; m != NULL; m = m->next)
		fprintf(f, "  chunk va %p iova 0x%" PRIx64 " len %" PRIu64
			" objs %u%s\n", m->addr, m->iova, m->len, m->n_objs,
			m->iommu ? " (mapped by the pool)" : "");
	fprintf(f, "  cache size %u", mp->cache_size);
	for (i = 0; i < mp->n_caches; i++)
		fprintf(f, "%s lcore %u: %u", i ? "," : ":", i,
			keel_mempool_default_cache(mp, i)->len);
	fprintf(f, "\n");
	if (keel_mempool_stats_get(mp, &st) == 0)
		dump_stats(f, &st);
}

static void
list_dump_cb(struct keel_mempool *mp, void *arg)
{
	keel_mempool_dump(arg, mp);
}

void
keel_mempool_list_dump(FILE *f)
{
	keel_mempool_walk(list_dump_cb, f);
}
