/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Populating pools: carving objects out of memory chunks whose IOVAs are
 * contiguous, and giving the chunks back at free.
 *
 * Invariant: every chunk on mp->mem_list is IOVA-contiguous over its
 * length (chunk->iova + offset is the IOVA of chunk->addr + offset), so an
 * object never straddles an IOVA discontinuity and its header holds the
 * IOVA of its first byte. populate_default relies on the EAL heap, whose
 * every allocation is IOVA-contiguous (in pa mode it asks for at most a
 * page at a time); populate_iova and populate_extmem on their callers or
 * on the IOMMU container.
 *
 * A populate call either adds its objects (and chunks) or changes nothing:
 * memory and chunk headers are all had first, objects written and enqueued
 * last (enqueueing at most mp->size objects cannot fail).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "keel_iommu.h"
#include "keel_malloc.h"
#include "mempool_internal.h"

#define ENQ_BATCH 64

static uint64_t
obj_align(const struct keel_mempool *mp)
{
	return (mp->flags & KEEL_MEMPOOL_F_NO_CACHE_ALIGN) ? 8 : 64;
}

/* objects that fit in [addr, addr + len) */
static uint64_t
objs_fit(const struct keel_mempool *mp, uintptr_t addr, uint64_t len)
{
	uint64_t a = obj_align(mp);
	uint64_t skip = ((addr + a - 1) & ~(a - 1)) - addr;

	if (len <= skip)
		return 0;
	return (len - skip) / mp_total_size(mp);
}

/* ops alloc on the first populate */
static int
ops_alloc_once(struct keel_mempool *mp)
{
	int ret;

	if (mp->flags & KEEL_MEMPOOL_F_POOL_CREATED)
		return 0;
	ret = mp->ops->alloc(mp);
	if (ret < 0) {
		MP_LOG(ERR, "mempool '%s': ops '%s' cannot set up the backend: %s",
		       mp->name, mp->ops->name, strerror(-ret));
		return mp_fail(-ret);
	}
	mp->flags |= KEEL_MEMPOOL_F_POOL_CREATED;
	return 0;
}

static int
check_populate(struct keel_mempool *mp, const char *what)
{
	if (!mp_live(mp)) {
		MP_LOG(ERR, "mempool %s: %p is not a pool", what, (void *)mp);
		return mp_fail(EINVAL);
	}
	if (mp->populated_size >= mp->size) {
		MP_LOG(ERR, "mempool '%s' %s: already holds its %u objects",
		       mp->name, what, mp->size);
		return mp_fail(EEXIST);
	}
	return 0;
}

/* Write the headers of a chunk's objects and enqueue them; cannot fail. */
static void
chunk_commit(struct keel_mempool *mp, struct keel_mempool_memhdr *m)
{
	uint64_t a = obj_align(mp), total = mp_total_size(mp);
	uintptr_t base = (uintptr_t)m->addr;
	uintptr_t hdr = (base + a - 1) & ~(uintptr_t)(a - 1);
	void *batch[ENQ_BATCH];
	unsigned int nb = 0;
	struct keel_mempool_memhdr **pp;
	uint32_t i;

	m->first_obj = (uint32_t)(hdr - base);
	for (i = 0; i < m->n_objs; i++, hdr += total) {
		void *obj = (char *)hdr + mp->header_size;
		struct keel_mempool_objhdr *oh = keel_mempool_get_header(obj);

		oh->mp = mp;
		oh->iova = m->iova + ((uintptr_t)obj - base);
		oh->reserved = 0;
		mp_obj_cookies_init(mp, obj);
		batch[nb++] = obj;
		if (nb == ENQ_BATCH) {
			keel_mempool_backend_put_(mp, batch, nb);
			nb = 0;
		}
	}
	if (nb != 0)
		keel_mempool_backend_put_(mp, batch, nb);
	for (pp = &mp->mem_list; *pp != NULL; pp = &(*pp)->next)
		;
	m->next = NULL;
	*pp = m;
	mp->nb_mem_chunks++;
	mp->populated_size += m->n_objs;
}

static struct keel_mempool_memhdr *
memhdr_new(struct keel_mempool *mp, void *addr, uint64_t iova, uint64_t len,
	   uint64_t n_objs)
{
	struct keel_mempool_memhdr *m;

	m = keel_zmalloc("mempool_memhdr", sizeof(*m), 0);
	if (m == NULL)
		return NULL;
	m->mp = mp;
	m->addr = addr;
	m->iova = iova;
	m->len = len;
	m->n_objs = (uint32_t)n_objs;
	return m;
}

int
keel_mempool_populate_iova(struct keel_mempool *mp, void *vaddr, uint64_t iova,
			   uint64_t len, keel_mempool_memchunk_free_cb_t *free_cb,
			   void *opaque)
{
	struct keel_mempool_memhdr *m;
	uint64_t n;
	int ret;

	ret = check_populate(mp, "populate_iova");
	if (ret < 0)
		return ret;
	n = objs_fit(mp, (uintptr_t)vaddr, len);
	if (vaddr == NULL || iova == KEEL_BAD_IOVA || n == 0 ||
	    (uintptr_t)vaddr + len < (uintptr_t)vaddr || iova + len < iova) {
		MP_LOG(ERR, "mempool '%s' populate_iova: va %p iova 0x%" PRIx64
		       " len %" PRIu64 ": %s", mp->name, vaddr, iova, len,
		       vaddr == NULL ? "NULL address" :
		       iova == KEEL_BAD_IOVA ? "objects need an IOVA" :
		       n == 0 ? "too small for one object" : "range wraps");
		return mp_fail(EINVAL);
	}
	if (n > mp->size - mp->populated_size)
		n = mp->size - mp->populated_size;
	ret = ops_alloc_once(mp);
	if (ret < 0)
		return ret;
	m = memhdr_new(mp, vaddr, iova, len, n);
	if (m == NULL) {
		MP_LOG(ERR, "mempool '%s': no memory for a chunk header", mp->name);
		return mp_fail(ENOMEM);
	}
	m->free_cb = free_cb;
	m->opaque = opaque;
	chunk_commit(mp, m);
	return (int)n;
}

int
keel_mempool_populate_extmem(struct keel_mempool *mp, void *addr, uint64_t len,
			     keel_mempool_memchunk_free_cb_t *free_cb,
			     void *opaque)
{
	struct keel_iommu_container *c = keel_iommu_container_default();
	struct keel_iommu_mapping map;
	uint64_t va = (uintptr_t)addr, iova, n;
	bool mapped_here = false;
	int ret;

	ret = check_populate(mp, "populate_extmem");
	if (ret < 0)
		return ret;
	n = objs_fit(mp, va, len);
	if (addr == NULL || n == 0 || va + len < va) {
		MP_LOG(ERR, "mempool '%s' populate_extmem: va %p len %" PRIu64
		       ": %s", mp->name, addr, len, addr == NULL ? "NULL address" :
		       n == 0 ? "too small for one object" : "range wraps");
		return mp_fail(EINVAL);
	}
	if (c == NULL) {
		if (keel_eal_iova_mode() != KEEL_IOVA_VA) {
			MP_LOG(ERR, "mempool '%s' populate_extmem: no IOMMU "
			       "container, and IOVA mode '%s' is not VA: the "
			       "memory at %p would have no IOVA", mp->name,
			       keel_iova_mode_name(keel_eal_iova_mode()), addr);
			return mp_fail(ENOTSUP);
		}
		iova = va;
	} else if (keel_iommu_lookup_va(c, va, &map) == 0 &&
		   map.va + map.len >= va + len) {
		/* the caller mapped it already: use that mapping as is */
		iova = map.iova + (va - map.va);
	} else {
		ret = keel_iommu_dma_register(c, va, len, 0, &iova);
		if (ret < 0) {
			MP_LOG(ERR, "mempool '%s' populate_extmem: cannot map va %p"
			       " len %" PRIu64 " in the IOMMU container: %s",
			       mp->name, addr, len, strerror(-ret));
			return mp_fail(-ret);
		}
		mapped_here = true;
	}
	ret = keel_mempool_populate_iova(mp, addr, iova, len, free_cb, opaque);
	if (ret < 0) {
		if (mapped_here)
			keel_iommu_dma_unmap(c, va, iova, len);
		return ret;
	}
	if (mapped_here) {
		struct keel_mempool_memhdr *m = mp->mem_list;

		while (m->next != NULL)
			m = m->next;
		m->iommu = c;
	}
	return ret;
}

/* ---- populate_default: EAL memory ---- */

/*
 * Most bytes one allocation may have: the EAL heap gives IOVA-contiguous
 * allocations only, which in pa mode means at most a page for sure (pages
 * are as contiguous as the physical memory behind them); va and alloc
 * modes have no limit.
 */
static uint64_t
chunk_limit(void)
{
	struct keel_mem_stats st;

	if (keel_eal_iova_mode() != KEEL_IOVA_PA ||
	    keel_mem_stats_get(&st) != 0 || st.page_sz == 0)
		return UINT64_MAX;
	return st.page_sz;
}

int
keel_mempool_populate_default(struct keel_mempool *mp)
{
	struct keel_mempool_memhdr **chunks = NULL;
	uint64_t remaining, per_chunk, total, limit, n, left;
	unsigned int nc = 0, max_chunks, i;
	int ret;

	ret = check_populate(mp, "populate_default");
	if (ret < 0)
		return ret;
	remaining = mp->size - mp->populated_size;
	total = mp_total_size(mp);
	limit = chunk_limit();
	per_chunk = limit == UINT64_MAX ? remaining : limit / total;
	if (per_chunk == 0) {
		MP_LOG(ERR, "mempool '%s': objects of %" PRIu64 " bytes (%u + "
		       "header and trailer) are larger than a page (%" PRIu64
		       " bytes), the most IOVA-contiguous memory IOVA mode pa "
		       "can promise; use bigger pages, or IOVA mode va or alloc",
		       mp->name, total, mp->elt_size, limit);
		return mp_fail(ENOMEM);
	}
	max_chunks = (unsigned int)((remaining + per_chunk - 1) / per_chunk);
	chunks = calloc(max_chunks, sizeof(*chunks));
	if (chunks == NULL)
		return mp_fail(ENOMEM);
	/* have every chunk and its header first: nothing is added on failure */
	for (left = remaining; left > 0; left -= n) {
		uint64_t bytes;
		void *base;

		n = left < per_chunk ? left : per_chunk;
		bytes = n * total;
		base = keel_malloc_socket("mempool", bytes, (unsigned int)
					  obj_align(mp), mp->socket_id);
		if (base == NULL) {
			MP_LOG(ERR, "mempool '%s': no EAL memory for %" PRIu64
			       " objects (%" PRIu64 " bytes) on socket %d",
			       mp->name, n, bytes, mp->socket_id);
			ret = -ENOMEM;
			goto fail;
		}
		chunks[nc] = memhdr_new(mp, base, keel_mem_virt2iova(base),
					bytes, n);
		if (chunks[nc] == NULL) {
			keel_free(base);
			ret = -ENOMEM;
			goto fail;
		}
		chunks[nc++]->alloc_base = base;
	}
	ret = ops_alloc_once(mp);
	if (ret < 0)
		goto fail;
	for (i = 0; i < nc; i++)
		chunk_commit(mp, chunks[i]);
	free(chunks);
	return (int)remaining;
fail:
	for (i = 0; i < nc; i++) {
		keel_free(chunks[i]->alloc_base);
		keel_free(chunks[i]);
	}
	free(chunks);
	return mp_fail(-ret);
}

void
mp_release_chunks(struct keel_mempool *mp)
{
	struct keel_mempool_memhdr *m = mp->mem_list, *next;

	for (; m != NULL; m = next) {
		next = m->next;
		if (m->iommu != NULL) {
			int ret = keel_iommu_dma_unmap(m->iommu,
					(uintptr_t)m->addr, m->iova, m->len);

			if (ret < 0)
				MP_LOG(ERR, "mempool '%s': unmapping va %p iova 0x%"
				       PRIx64 " len %" PRIu64 ": %s", mp->name,
				       m->addr, m->iova, m->len, strerror(-ret));
		}
		if (m->free_cb != NULL)
			m->free_cb(m, m->opaque);
		if (m->alloc_base != NULL)
			keel_free(m->alloc_base);
		keel_free(m);
	}
	mp->mem_list = NULL;
	mp->nb_mem_chunks = 0;
	mp->populated_size = 0;
}

uint32_t
keel_mempool_obj_iter(struct keel_mempool *mp, keel_mempool_obj_cb_t *obj_cb,
		      void *obj_cb_arg)
{
	struct keel_mempool_memhdr *m;
	uint32_t n = 0, i;

	if (!mp_live(mp) || obj_cb == NULL) {
		MP_LOG(ERR, "mempool obj_iter: %s", obj_cb == NULL ?
		       "NULL callback" : "not a pool");
		return 0;
	}
	for (m = mp->mem_list; m != NULL; m = m->next) {
		char *hdr = (char *)m->addr + m->first_obj;

		for (i = 0; i < m->n_objs; i++, hdr += mp_total_size(mp))
			obj_cb(mp, obj_cb_arg, hdr + mp->header_size, n++);
	}
	return n;
}

uint32_t
keel_mempool_mem_iter(struct keel_mempool *mp, keel_mempool_mem_cb_t *mem_cb,
		      void *mem_cb_arg)
{
	struct keel_mempool_memhdr *m;
	uint32_t n = 0;

	if (!mp_live(mp) || mem_cb == NULL) {
		MP_LOG(ERR, "mempool mem_iter: %s", mem_cb == NULL ?
		       "NULL callback" : "not a pool");
		return 0;
	}
	for (m = mp->mem_list; m != NULL; m = m->next)
		mem_cb(mp, mem_cb_arg, m, n++);
	return n;
}
