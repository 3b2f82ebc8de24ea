/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOMMU containers: a backend plus the IOVA map table in front of it.
 *
 * Invariant: c->t was created over (c->ops, c->priv) and is the only path
 * to that backend; the backend is destroyed exactly once, with the
 * container. The default container is published in def_container (an
 * atomic pointer) by iommu_eal.c while the EAL is initialised.
 *
 * Locks: the table's writer mutex (inside iova_table.c) for maps; lookups
 * take none;
 * c->alloc_lock serialises IOVA allocation + map in dma_register so two
 * registrations do not pick the same free range. It also protects
 * [pend_iova, pend_iova + pend_len): an IOVA handed to EAL memory (alloc
 * IOVA mode) that its ALLOC event has not mapped yet; dma_register never
 * picks it. EAL allocations are serialised by the memory hotplug lock, so
 * one pending range is enough.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "keel_log.h"
#include "iova_alloc.h"
#include "iova_table.h"
#include "iommu_internal.h"
#include "keel_iommu.h"

struct keel_iommu_container {
	struct iova_table *t;
	const struct keel_iommu_backend_ops *ops;
	void *priv;
	enum keel_iommu_kind kind;
	pthread_mutex_t alloc_lock;
	uint64_t pend_iova;
	uint64_t pend_len;  /* 0: nothing pending */
};

/* 1 if [iova, iova + len) meets the pending range; alloc_lock held */
static int
overlaps_pending(const struct keel_iommu_container *c, uint64_t iova,
		 uint64_t len)
{
	return c->pend_len != 0 && iova <= c->pend_iova + c->pend_len - 1 &&
	       c->pend_iova <= iova + len - 1;
}

static struct keel_iommu_container *def_container;

/* refuse a NULL argument of a public entry point: log it, set errno */
static int
null_arg(const char *fn, const char *what)
{
	KEEL_LOG(ERR, keel_logtype_iommu, "%s: %s is NULL", fn, what);
	errno = EINVAL;
	return -EINVAL;
}

/* errno for a negative return value; the value itself */
static inline int
set_errno(int ret)
{
	if (ret < 0)
		errno = -ret;
	return ret;
}

struct keel_iommu_container *
keel_iommu_container_default(void)
{
	return __atomic_load_n(&def_container, __ATOMIC_ACQUIRE);
}

void
iommu_set_default(struct keel_iommu_container *c)
{
	__atomic_store_n(&def_container, c, __ATOMIC_RELEASE);
}

static struct keel_iommu_container *
make(const struct keel_iommu_backend_ops *ops, void *priv,
     enum keel_iommu_kind kind)
{
	struct keel_iommu_container *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		if (ops->destroy)
			ops->destroy(priv);
		errno = ENOMEM;
		return NULL;
	}
	c->t = iova_table_create(ops, priv);
	if (c->t == NULL) {
		int err = errno;

		if (ops->destroy)
			ops->destroy(priv);
		free(c);
		errno = err;
		return NULL;
	}
	c->ops = ops;
	c->priv = priv;
	c->kind = kind;
	pthread_mutex_init(&c->alloc_lock, NULL);
	return c;
}

struct keel_iommu_container *
keel_iommu_container_create_with_backend(
		const struct keel_iommu_backend_ops *ops, void *priv)
{
	int kind;

	if (ops == NULL) {
		KEEL_LOG(ERR, keel_logtype_iommu, "container: ops is NULL");
		errno = EINVAL;
		return NULL;
	}
	kind = keel_iommu_backend_kind_of(ops->name);
	return make(ops, priv, kind >= 0 ? (enum keel_iommu_kind)kind :
		    KEEL_IOMMU_NONE);
}

static struct keel_iommu_container *
create_from(keel_iommu_backend_create_t create, const char *name,
	    enum keel_iommu_kind kind, const char *args)
{
	const struct keel_iommu_backend_ops *ops = NULL;
	void *priv = NULL;
	int ret;

	ret = create(args, &ops, &priv);
	if (ret < 0 || ops == NULL) {
		if (ret >= 0)
			ret = -EINVAL;
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "container: backend %s (args '%s') failed: %s",
			 name, args ? args : "", strerror(-ret));
		errno = -ret;
		return NULL;
	}
	return make(ops, priv, kind);
}

struct keel_iommu_container *
keel_iommu_container_create(enum keel_iommu_kind kind, const char *args)
{
	keel_iommu_backend_create_t create;
	const char *name = NULL;

	if (kind != KEEL_IOMMU_VFIO && kind != KEEL_IOMMU_EMULATED) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "container: kind %d (%s) has no backend; use vfio or "
			 "emulated", (int)kind, keel_iommu_kind_name(kind));
		errno = EINVAL;
		return NULL;
	}
	create = keel_iommu_backend_find(kind, NULL, &name);
	if (create == NULL) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "container: no backend registered for kind %s",
			 keel_iommu_kind_name(kind));
		errno = ENODEV;
		return NULL;
	}
	return create_from(create, name, kind, args);
}

struct keel_iommu_container *
keel_iommu_container_create_by_name(const char *name, const char *args)
{
	keel_iommu_backend_create_t create;
	int kind;

	if (name == NULL) {
		null_arg(__func__, "name");
		return NULL;
	}
	create = keel_iommu_backend_find(KEEL_IOMMU_NONE, name, NULL);
	if (create == NULL) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "container: no backend registered as '%s'", name);
		errno = ENODEV;
		return NULL;
	}
	kind = keel_iommu_backend_kind_of(name);
	return create_from(create, name, kind >= 0 ?
			   (enum keel_iommu_kind)kind : KEEL_IOMMU_NONE, args);
}

static void
destroy(struct keel_iommu_container *c)
{
	struct keel_iommu_stats st;
	int n;

	iova_table_stats(c->t, &st);
	if (st.entries != 0) {
		KEEL_LOG(WARNING, keel_logtype_iommu,
			 "container %p (backend %s): destroyed with %" PRIu64
			 " entries (0x%" PRIx64 " bytes) mapped; unmapping them",
			 (void *)c, c->ops->name, st.entries, st.bytes);
		n = iova_table_unmap_all(c->t);
		if (n < 0)
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "container %p: unmapping left entries: %s",
				 (void *)c, strerror(-n));
	}
	iova_table_destroy(c->t);
	if (c->ops->destroy)
		c->ops->destroy(c->priv);
	pthread_mutex_destroy(&c->alloc_lock);
	free(c);
}

int
keel_iommu_container_destroy(struct keel_iommu_container *c)
{
	if (c == NULL)
		return null_arg(__func__, "container");
	if (c == keel_iommu_container_default()) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "container %p is the default container; it goes with "
			 "keel_eal_cleanup()", (void *)c);
		errno = EBUSY;
		return -EBUSY;
	}
	destroy(c);
	return 0;
}

/* used by iommu_eal.c after it has cleared the default pointer */
void
iommu_container_destroy_default(struct keel_iommu_container *c)
{
	if (c != NULL)
		destroy(c);
}

#define CHECK_C(c) do { \
	if ((c) == NULL) \
		return null_arg(__func__, "container"); \
} while (0)

int
keel_iommu_dma_map(struct keel_iommu_container *c, uint64_t va,
		   uint64_t iova, uint64_t len, uint32_t access)
{
	CHECK_C(c);
	return iova_table_map(c->t, va, iova, len, access);
}

int
keel_iommu_dma_unmap(struct keel_iommu_container *c, uint64_t va,
		     uint64_t iova, uint64_t len)
{
	CHECK_C(c);
	return iova_table_unmap(c->t, va, iova, len);
}

/*
 * IOVA = VA possible: the table would accept [va, va + len) as an IOVA
 * range (its own checks, not a copy), below the mask, not IOVA 0, not the
 * range the EAL holds pending, and free now. alloc_lock held.
 */
static bool
va_fits(struct keel_iommu_container *c, uint64_t va, uint64_t len,
	uint64_t mask_last)
{
	struct keel_iommu_mapping m;

	if (va == 0 || va + len - 1 > mask_last ||
	    iova_table_check_request(c->t, NULL, va, va, len, true) < 0 ||
	    overlaps_pending(c, va, len))
		return false;
	return iova_table_next(c->t, va, &m) < 0 || m.iova > va + len - 1;
}

int
keel_iommu_dma_register(struct keel_iommu_container *c, uint64_t va,
			uint64_t len, unsigned int dma_mask_bits,
			uint64_t *iova)
{
	struct keel_iommu_caps caps;
	uint64_t mask_last, min_pg, align, pick = 0;
	int ret, tries;

	CHECK_C(c);
	if (iova == NULL)
		return null_arg(__func__, "iova pointer");
	if (dma_mask_bits > 64) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "dma_register va 0x%" PRIx64 ": DMA mask of %u bits is "
			 "wider than 64", va, dma_mask_bits);
		errno = EINVAL;
		return -EINVAL;
	}
	/* length, alignment, overflow: the table's checks, logged */
	ret = iova_table_check_request(c->t, "dma_register", va, va, len,
				       false);
	if (ret < 0)
		return ret;
	iova_table_caps(c->t, &caps);
	min_pg = caps.pgsize_bitmap & (~caps.pgsize_bitmap + 1);
	mask_last = (dma_mask_bits == 0 || dma_mask_bits == 64) ? UINT64_MAX :
		(UINT64_C(1) << dma_mask_bits) - 1;

	pthread_mutex_lock(&c->alloc_lock);
	if (va_fits(c, va, len, mask_last)) {
		ret = iova_table_map(c->t, va, va, len, KEEL_IOMMU_ACCESS_RW);
		if (ret != -EEXIST) {
			pick = va;
			goto out;
		}
	}
	/* prefer the largest page size that divides va and fits in len (big
	 * IOMMU pages); fall back to smaller alignments down to min_pg */
	align = min_pg;
	for (int b = 63; b >= 0; b--) {
		uint64_t p = UINT64_C(1) << b;

		if ((caps.pgsize_bitmap & p) && p <= len && (va & (p - 1)) == 0) {
			align = p;
			break;
		}
	}
	for (tries = 0; tries < 8; tries++) {
		uint64_t a = align;

		ret = -ENOSPC;
		while (a >= min_pg) {
			ret = iova_alloc_find(c->t, &caps, len, a, 0,
					      mask_last, &pick);
			if (ret == 0 && overlaps_pending(c, pick, len))
				ret = iova_alloc_find(c->t, &caps, len, a,
						      c->pend_iova + c->pend_len,
						      mask_last, &pick);
			if (ret == 0)
				break;
			/* next smaller supported page size */
			a >>= 1;
			while (a > min_pg && !(caps.pgsize_bitmap & a))
				a >>= 1;
		}
		if (ret < 0) {
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "dma_register va 0x%" PRIx64 " len 0x%" PRIx64
				 ": no free IOVA range of that size at or below"
				 " 0x%" PRIx64 " (DMA mask %u bits)", va, len,
				 mask_last, dma_mask_bits);
			break;
		}
		ret = iova_table_map(c->t, va, pick, len, KEEL_IOMMU_ACCESS_RW);
		if (ret != -EEXIST)    /* -EEXIST: a racing dma_map took it */
			break;
	}
out:
	pthread_mutex_unlock(&c->alloc_lock);
	if (ret == 0)
		*iova = pick;
	else
		errno = -ret;
	return ret;
}

int
keel_iommu_lookup_iova(struct keel_iommu_container *c, uint64_t iova,
		       struct keel_iommu_mapping *m)
{
	CHECK_C(c);
	if (m == NULL)
		return null_arg(__func__, "mapping pointer");
	return set_errno(iova_table_lookup_iova(c->t, iova, m));
}

int
keel_iommu_lookup_va(struct keel_iommu_container *c, uint64_t va,
		     struct keel_iommu_mapping *m)
{
	CHECK_C(c);
	if (m == NULL)
		return null_arg(__func__, "mapping pointer");
	return set_errno(iova_table_lookup_va(c->t, va, m));
}

uint64_t
keel_iommu_va2iova(struct keel_iommu_container *c, uint64_t va)
{
	struct keel_iommu_mapping m;

	if (c == NULL) {
		null_arg(__func__, "container");
		return KEEL_BAD_IOVA;
	}
	if (iova_table_lookup_va(c->t, va, &m) < 0) {
		errno = ENOENT;
		return KEEL_BAD_IOVA;
	}
	return m.iova + (va - m.va);
}

int
keel_iommu_walk(struct keel_iommu_container *c,
		int (*fn)(const struct keel_iommu_mapping *m, void *arg),
		void *arg)
{
	CHECK_C(c);
	if (fn == NULL)
		return null_arg(__func__, "callback");
	return iova_table_walk(c->t, fn, arg);
}

void *
keel_iommu_container_backend_priv(struct keel_iommu_container *c)
{
	if (c == NULL) {
		null_arg(__func__, "container");
		return NULL;
	}
	return c->priv;
}

const struct keel_iommu_backend_ops *
keel_iommu_container_backend_ops(struct keel_iommu_container *c)
{
	if (c == NULL) {
		null_arg(__func__, "container");
		return NULL;
	}
	return c->ops;
}

enum keel_iommu_kind
keel_iommu_container_kind(struct keel_iommu_container *c)
{
	if (c == NULL) {
		null_arg(__func__, "container");
		return KEEL_IOMMU_NONE;
	}
	return c->kind;
}

int
keel_iommu_caps_get(struct keel_iommu_container *c,
		    struct keel_iommu_caps *caps)
{
	CHECK_C(c);
	if (caps == NULL)
		return null_arg(__func__, "caps pointer");
	iova_table_caps(c->t, caps);
	return 0;
}

int
keel_iommu_caps_refresh(struct keel_iommu_container *c)
{
	CHECK_C(c);
	return set_errno(iova_table_caps_refresh(c->t));
}

int
keel_iommu_stats_get(struct keel_iommu_container *c,
		     struct keel_iommu_stats *st)
{
	CHECK_C(c);
	if (st == NULL)
		return null_arg(__func__, "stats pointer");
	iova_table_stats(c->t, st);
	return 0;
}

void
keel_iommu_dump(FILE *f, struct keel_iommu_container *c)
{
	if (f == NULL)
		f = stdout;
	if (c == NULL) {
		fprintf(f, "no IOMMU container\n");
		return;
	}
	fprintf(f, "IOMMU container %p, kind %s%s\n", (void *)c,
		keel_iommu_kind_name(c->kind),
		c == keel_iommu_container_default() ? " (default)" : "");
	iova_table_dump(c->t, f);
}

void
iommu_container_iova_settle(struct keel_iommu_container *c)
{
	pthread_mutex_lock(&c->alloc_lock);
	c->pend_len = 0;
	pthread_mutex_unlock(&c->alloc_lock);
}

int
iommu_container_iova_alloc(struct keel_iommu_container *c, uint64_t len,
			   uint64_t align, uint64_t min_iova, uint64_t *iova)
{
	struct keel_iommu_caps caps;
	int ret;

	CHECK_C(c);
	iova_table_caps(c->t, &caps);
	if (align == 0 || (align & (align - 1)) != 0)
		align = 1;
	pthread_mutex_lock(&c->alloc_lock);
	ret = iova_alloc_find(c->t, &caps, len, align, min_iova, UINT64_MAX,
			      iova);
	if (ret == 0) {
		c->pend_iova = *iova;
		c->pend_len = len;
	}
	pthread_mutex_unlock(&c->alloc_lock);
	if (ret < 0)
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "IOVA allocation of 0x%" PRIx64 " bytes (align 0x%"
			 PRIx64 ") failed: %s", len, align, strerror(-ret));
	return ret;
}
