/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The EAL heaps: one per NUMA socket, carved from EAL pages.
 *
 * A heap is a list of regions (page runs got from eal_mem_alloc_pages(), or
 * preallocated at init). A region starts with a struct region header and is
 * then tiled, without gaps, by elements: 64-byte headers followed by their
 * payload, every element 64-byte aligned and a multiple of 64 bytes long.
 * Invariants: no two physically adjacent elements are both free; each free
 * element is on exactly one free-list bin (by size); a region whose single
 * element is free and that was not preallocated is given back to memory.
 * Headers of elements absorbed by coalescing are poisoned (magic 0), so a
 * second free of the same pointer is detected.
 *
 * IOVA contiguity: every allocation's payload is IOVA-contiguous, so a
 * device may be given keel_mem_virt2iova(p) + i for byte i. Regions are
 * whole allocation units of pages, which are IOVA-contiguous in VA and
 * alloc modes; in PA mode pages are only as contiguous as the physical
 * memory behind them, so a region records whether it is contiguous, and a
 * payload is never placed across an IOVA break of one that is not.
 *
 * Locking: heap->lock protects everything of that heap. It is held while
 * pages are allocated or freed, so memory event callbacks must not call the
 * heap (documented in keel_memory.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "eal_internal.h"
#include "keel_malloc.h"

#define ELEM_HDR 64ULL
#define MIN_ELEM (ELEM_HDR + 64ULL)
#define REGION_HDR 64ULL
#define NBINS 24
#define GROW_MIN (2ULL << 20)
#define MAGIC_BUSY 0x6b65656c42555359ULL /* "keelBUSY" */
#define MAGIC_FREE 0x6b65656c46524545ULL /* "keelFREE" */

struct heap;

struct region {
	struct heap *heap;
	uint8_t *va;
	uint64_t len;
	bool prealloc;
	bool iova_contig;    /* the whole region is IOVA-contiguous */
	struct region *next;
	struct region *prev;
	uint64_t pad[2];
};

struct elem {
	uint64_t magic;
	struct region *region;
	struct elem *prev;   /* physically previous element, NULL if first */
	uint64_t size;       /* header included */
	struct elem *fnext;  /* free list, when free */
	struct elem *fprev;
	const char *type;
	uint64_t pad;
};

_Static_assert(sizeof(struct elem) == ELEM_HDR, "element header is 64 bytes");
_Static_assert(sizeof(struct region) <= REGION_HDR, "region header fits");

struct heap {
	pthread_mutex_t lock;
	int socket;
	struct region *regions;
	struct elem *bins[NBINS];
	struct keel_malloc_socket_stats st;
};

static struct heap heaps[EAL_MAX_NUMA];
static int n_heaps;
static uint64_t n_bad_free; /* atomic; all heaps */

static inline uint64_t
align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static inline struct elem *
elem_next(const struct elem *e)
{
	uint8_t *n = (uint8_t *)e + e->size;

	return n < e->region->va + e->region->len ? (struct elem *)n : NULL;
}

static int
bin_of(uint64_t size)
{
	int b = 63 - __builtin_clzll(size) - 7; /* 128 B -> bin 0 */

	if (b < 0)
		b = 0;
	return b >= NBINS ? NBINS - 1 : b;
}

static void
free_list_add(struct heap *h, struct elem *e)
{
	int b = bin_of(e->size);

	e->magic = MAGIC_FREE;
	e->fprev = NULL;
	e->fnext = h->bins[b];
	if (e->fnext)
		e->fnext->fprev = e;
	h->bins[b] = e;
	h->st.free_count++;
}

static void
free_list_del(struct heap *h, struct elem *e)
{
	if (e->fprev)
		e->fprev->fnext = e->fnext;
	else
		h->bins[bin_of(e->size)] = e->fnext;
	if (e->fnext)
		e->fnext->fprev = e->fprev;
	e->fnext = e->fprev = NULL;
	h->st.free_count--;
}

/*
 * The first page boundary in (va, va + len) where IOVAs stop following
 * VAs, or 0 when [va, va + len) is IOVA-contiguous.
 */
static uint64_t
iova_break(uint64_t va, uint64_t len)
{
	uint64_t pg = eal_mem_page_size();
	uint64_t iova0 = keel_mem_virt2iova((void *)(uintptr_t)va), b;

	for (b = align_up(va + 1, pg); b < va + len; b += pg)
		if (keel_mem_virt2iova((void *)(uintptr_t)b) != iova0 + (b - va))
			return b;
	return 0;
}

/*
 * Find where a payload of @p size aligned to @p align, not crossing a
 * multiple of @p bound (0: none) nor an IOVA break, fits in free element
 * @p e. The leading remainder is 0 or at least MIN_ELEM so it can stay a
 * free element.
 */
static bool
place(const struct elem *e, uint64_t size, uint64_t align, uint64_t bound,
      uint64_t *user_out)
{
	uint64_t start = (uint64_t)(uintptr_t)e, end = start + e->size;
	uint64_t user = align_up(start + ELEM_HDR, align), lead, brk;

	for (;;) {
		if (user + size > end || user + size < user)
			return false;
		if (bound && ((user ^ (user + size - 1)) & ~(bound - 1))) {
			user = align_up(user, bound);
			continue;
		}
		/* the payload only: the header may sit on the page before */
		if (!e->region->iova_contig &&
		    (brk = iova_break(user, size)) != 0) {
			user = align_up(brk, align);
			continue;
		}
		lead = user - ELEM_HDR - start;
		if (lead != 0 && lead < MIN_ELEM) {
			user = align_up(start + ELEM_HDR + MIN_ELEM, align);
			continue;
		}
		*user_out = user;
		return true;
	}
}

/* carve the busy element at user - ELEM_HDR out of free element e */
static void *
carve(struct heap *h, struct elem *e, uint64_t user, uint64_t size,
      const char *type)
{
	uint64_t start = (uint64_t)(uintptr_t)e, end = start + e->size;
	uint64_t busy_end = align_up(user + size, 64);
	struct elem *b = (struct elem *)(uintptr_t)(user - ELEM_HDR), *n;

	free_list_del(h, e);
	if (b != e) {
		/* leading part stays free */
		e->size = (uint64_t)((uint8_t *)b - (uint8_t *)e);
		b->prev = e;
		b->region = e->region;
		free_list_add(h, e);
	}
	b->size = end - (uint64_t)(uintptr_t)b;
	if (end - busy_end >= MIN_ELEM) {
		struct elem *t = (struct elem *)(uintptr_t)busy_end;

		t->region = b->region;
		t->prev = b;
		t->size = end - busy_end;
		b->size = busy_end - (uint64_t)(uintptr_t)b;
		n = elem_next(t);
		if (n)
			n->prev = t;
		free_list_add(h, t);
	}
	n = elem_next(b);
	if (n)
		n->prev = b;
	b->magic = MAGIC_BUSY;
	b->type = type;
	b->fnext = b->fprev = NULL;
	h->st.heap_freesz_bytes -= b->size;
	h->st.heap_allocsz_bytes += b->size;
	h->st.alloc_count++;
	return (void *)(uintptr_t)user;
}

static void *
heap_try(struct heap *h, uint64_t size, uint64_t align, uint64_t bound,
	 const char *type)
{
	int b;

	for (b = bin_of(size + ELEM_HDR); b < NBINS; b++) {
		struct elem *e;

		for (e = h->bins[b]; e != NULL; e = e->fnext) {
			uint64_t user;

			if (place(e, size, align, bound, &user))
				return carve(h, e, user, size, type);
		}
	}
	return NULL;
}

static struct region *
region_add(struct heap *h, void *va, uint64_t len, bool prealloc)
{
	struct region *r = va;
	struct elem *e = (struct elem *)((uint8_t *)va + REGION_HDR);

	memset(r, 0, sizeof(*r));
	r->heap = h;
	r->va = va;
	r->len = len;
	r->prealloc = prealloc;
	/* a unit of pages is contiguous except in PA mode, where it is as
	 * contiguous as the physical pages that back it */
	r->iova_contig = eal_iova_mode_cur != KEEL_IOVA_PA ||
			 iova_break((uint64_t)(uintptr_t)va, len) == 0;
	r->next = h->regions;
	if (h->regions)
		h->regions->prev = r;
	h->regions = r;
	memset(e, 0, sizeof(*e));
	e->region = r;
	e->size = len - REGION_HDR;
	free_list_add(h, e);
	h->st.heap_totalsz_bytes += len;
	h->st.heap_freesz_bytes += e->size;
	return r;
}

static struct region *
heap_grow(struct heap *h, uint64_t size, uint64_t align, uint64_t bound)
{
	uint64_t pg = eal_mem_page_size(), need, len;
	void *va;

	need = size + align + ELEM_HDR + 2 * MIN_ELEM + REGION_HDR;
	if (bound)
		need += bound;
	if (need < size)
		return NULL;
	len = align_up(need < GROW_MIN ? GROW_MIN : need, pg);
	va = eal_mem_alloc_pages(h->socket, len);
	if (va == NULL)
		return NULL;
	h->st.n_grow++;
	return region_add(h, va, len, false);
}

static void
region_release(struct heap *h, struct region *r, struct elem *e)
{
	free_list_del(h, e);
	if (r->prev)
		r->prev->next = r->next;
	else
		h->regions = r->next;
	if (r->next)
		r->next->prev = r->prev;
	h->st.heap_totalsz_bytes -= r->len;
	h->st.heap_freesz_bytes -= e->size;
	h->st.n_shrink++;
	eal_mem_free_pages(r->va, r->len);
}

/* *scattered is set when new pages were had but held no IOVA-contiguous
 * run of that size (PA mode) */
static void *
heap_alloc_on(struct heap *h, uint64_t size, uint64_t align, uint64_t bound,
	      const char *type, bool *scattered)
{
	struct region *r;
	void *p;

	pthread_mutex_lock(&h->lock);
	p = heap_try(h, size, align, bound, type);
	if (p == NULL && (r = heap_grow(h, size, align, bound)) != NULL) {
		p = heap_try(h, size, align, bound, type);
		if (p == NULL) {
			/* PA mode: the new pages hold no IOVA-contiguous run
			 * that large; give them back */
			struct elem *e = (struct elem *)(r->va + REGION_HDR);

			if (!r->iova_contig)
				*scattered = true;
			if (e->magic == MAGIC_FREE &&
			    e->size == r->len - REGION_HDR)
				region_release(h, r, e);
		}
	}
	pthread_mutex_unlock(&h->lock);
	return p;
}

/* Allocate on @p socket; with !strict, fall back to the other sockets. */
void *
eal_heap_alloc(int socket, uint64_t size, uint64_t align, uint64_t bound,
	       bool strict, const char *type)
{
	bool scattered = false;
	void *p = NULL;
	int i;

	if (size == 0 || (align & (align - 1)) != 0 ||
	    (bound && ((bound & (bound - 1)) || bound < size)) ||
	    socket >= n_heaps || socket < KEEL_SOCKET_ID_ANY ||
	    size > (1ULL << 62) || align > (1ULL << 30)) {
		errno = EINVAL;
		return NULL;
	}
	if (align < 64)
		align = 64;
	if (socket == KEEL_SOCKET_ID_ANY) {
		socket = keel_socket_id();
		if (socket >= n_heaps)
			socket = 0;
		strict = false;
	}
	p = heap_alloc_on(&heaps[socket], size, align, bound, type,
			  &scattered);
	for (i = 0; p == NULL && !strict && i < n_heaps; i++)
		if (i != socket)
			p = heap_alloc_on(&heaps[i], size, align, bound, type,
					  &scattered);
	if (p == NULL && scattered)
		KEEL_LOG(ERR, keel_logtype_eal,
			 "cannot allocate %" PRIu64 " IOVA-contiguous bytes: "
			 "in --iova-mode pa the pages' physical addresses are "
			 "scattered (%" PRIu64 " kB pages); use hugepages, or "
			 "--iova-mode va or alloc", size,
			 eal_mem_page_size() >> 10);
	if (p == NULL)
		errno = ENOMEM;
	return p;
}

/* the busy element of @p ptr with its heap locked, or NULL (nothing locked) */
static struct elem *
find_busy(const void *ptr, struct heap **hp)
{
	const uint8_t *p = ptr;
	int i;

	for (i = 0; i < n_heaps; i++) {
		struct heap *h = &heaps[i];
		struct region *r;

		pthread_mutex_lock(&h->lock);
		for (r = h->regions; r != NULL; r = r->next) {
			struct elem *e;

			if (p < r->va + REGION_HDR + ELEM_HDR ||
			    p >= r->va + r->len)
				continue;
			e = (struct elem *)(uintptr_t)((uintptr_t)p - ELEM_HDR);
			if (((uintptr_t)p & 63) != 0 || e->magic != MAGIC_BUSY ||
			    e->region != r) {
				pthread_mutex_unlock(&h->lock);
				return NULL;
			}
			*hp = h;
			return e;
		}
		pthread_mutex_unlock(&h->lock);
	}
	return NULL;
}

void
keel_free(void *ptr)
{
	struct elem *e, *n, *prev;
	struct heap *h;
	struct region *r;

	if (ptr == NULL)
		return;
	e = find_busy(ptr, &h);
	if (e == NULL) {
		KEEL_LOG(ERR, keel_logtype_eal,
			 "keel_free(%p): not a live allocation (double free or "
			 "invalid pointer), ignored", ptr);
		__atomic_fetch_add(&n_bad_free, 1, __ATOMIC_RELAXED);
		return;
	}
	r = e->region;
	h->st.heap_allocsz_bytes -= e->size;
	h->st.heap_freesz_bytes += e->size;
	h->st.alloc_count--;
	n = elem_next(e);
	if (n != NULL && n->magic == MAGIC_FREE) {
		free_list_del(h, n);
		e->size += n->size;
		n->magic = 0;
		n = elem_next(e);
		if (n)
			n->prev = e;
	}
	prev = e->prev;
	if (prev != NULL && prev->magic == MAGIC_FREE) {
		free_list_del(h, prev);
		prev->size += e->size;
		e->magic = 0;
		e = prev;
		if (n)
			n->prev = e;
	}
	free_list_add(h, e);
	if (e->prev == NULL && e->size == r->len - REGION_HDR && !r->prealloc)
		region_release(h, r, e);
	pthread_mutex_unlock(&h->lock);
}

size_t
keel_malloc_usable_size(const void *ptr)
{
	struct heap *h;
	struct elem *e;
	size_t sz;

	if (ptr == NULL)
		return 0;
	e = find_busy(ptr, &h);
	if (e == NULL)
		return 0;
	sz = (size_t)(e->size - ELEM_HDR);
	pthread_mutex_unlock(&h->lock);
	return sz;
}

void *
keel_malloc_socket(const char *type, size_t size, unsigned int align,
		   int socket)
{
	return eal_heap_alloc(socket, size, align, 0,
			      socket != KEEL_SOCKET_ID_ANY, type);
}

void *
keel_zmalloc_socket(const char *type, size_t size, unsigned int align,
		    int socket)
{
	void *p = keel_malloc_socket(type, size, align, socket);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void *
keel_malloc(const char *type, size_t size, unsigned int align)
{
	return keel_malloc_socket(type, size, align, KEEL_SOCKET_ID_ANY);
}

void *
keel_zmalloc(const char *type, size_t size, unsigned int align)
{
	return keel_zmalloc_socket(type, size, align, KEEL_SOCKET_ID_ANY);
}

void *
keel_calloc(const char *type, size_t num, size_t size, unsigned int align)
{
	size_t total;

	if (__builtin_mul_overflow(num, size, &total)) {
		errno = EINVAL;
		return NULL;
	}
	return keel_zmalloc(type, total, align);
}

void *
keel_realloc(void *ptr, size_t size, unsigned int align)
{
	size_t old;
	void *n;

	if (ptr == NULL)
		return keel_malloc(NULL, size, align);
	if (size == 0 || (align & (align - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	old = keel_malloc_usable_size(ptr);
	if (old == 0) {
		KEEL_LOG(ERR, keel_logtype_eal,
			 "keel_realloc(%p): not a live allocation", ptr);
		errno = EINVAL;
		return NULL;
	}
	if (size <= old && ((uintptr_t)ptr & ((align ? align : 64) - 1)) == 0)
		return ptr;
	n = keel_malloc_socket(NULL, size, align, eal_mem_socket_of(ptr));
	if (n == NULL)
		n = keel_malloc(NULL, size, align);
	if (n == NULL)
		return NULL;
	memcpy(n, ptr, old < size ? old : size);
	keel_free(ptr);
	return n;
}

int
keel_malloc_get_socket_stats(int socket, struct keel_malloc_socket_stats *st)
{
	struct heap *h;
	struct elem *e;
	int b;

	if (st == NULL || socket < 0 || socket >= n_heaps)
		return -EINVAL;
	h = &heaps[socket];
	pthread_mutex_lock(&h->lock);
	*st = h->st;
	st->n_bad_free = __atomic_load_n(&n_bad_free, __ATOMIC_RELAXED);
	st->greatest_free_size = 0;
	for (b = 0; b < NBINS; b++)
		for (e = h->bins[b]; e != NULL; e = e->fnext)
			if (e->size - ELEM_HDR > st->greatest_free_size)
				st->greatest_free_size = e->size - ELEM_HDR;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

void
keel_malloc_dump_stats(FILE *f)
{
	int i;

	for (i = 0; i < n_heaps; i++) {
		struct keel_malloc_socket_stats st;

		keel_malloc_get_socket_stats(i, &st);
		fprintf(f, "heap socket %d: total %" PRIu64 " free %" PRIu64
			" alloc %" PRIu64 " (%" PRIu64 " live) largest free %"
			PRIu64 " grew %" PRIu64 " shrank %" PRIu64
			" bad frees %" PRIu64 "\n", i, st.heap_totalsz_bytes,
			st.heap_freesz_bytes, st.heap_allocsz_bytes,
			st.alloc_count, st.greatest_free_size, st.n_grow,
			st.n_shrink, st.n_bad_free);
	}
}

static int
validate_heap(struct heap *h)
{
	struct region *r;
	uint64_t n_free = 0, listed = 0;
	int b;

	for (r = h->regions; r != NULL; r = r->next) {
		struct elem *e = (struct elem *)(r->va + REGION_HDR), *prev = NULL;
		uint64_t sum = 0;

		for (; e != NULL; prev = e, e = elem_next(e)) {
			if ((e->magic != MAGIC_BUSY && e->magic != MAGIC_FREE) ||
			    e->region != r || e->prev != prev ||
			    e->size < ELEM_HDR || e->size % 64 != 0)
				return -EFAULT;
			if (prev && prev->magic == MAGIC_FREE &&
			    e->magic == MAGIC_FREE)
				return -EFAULT;
			n_free += e->magic == MAGIC_FREE;
			sum += e->size;
		}
		if (sum != r->len - REGION_HDR)
			return -EFAULT;
	}
	for (b = 0; b < NBINS; b++) {
		struct elem *e;

		for (e = h->bins[b]; e != NULL; e = e->fnext) {
			if (e->magic != MAGIC_FREE || bin_of(e->size) != b)
				return -EFAULT;
			listed++;
		}
	}
	return listed == n_free && n_free == h->st.free_count ? 0 : -EFAULT;
}

int
keel_malloc_validate(void)
{
	int i, ret;

	for (i = 0; i < n_heaps; i++) {
		pthread_mutex_lock(&heaps[i].lock);
		ret = validate_heap(&heaps[i]);
		pthread_mutex_unlock(&heaps[i].lock);
		if (ret < 0) {
			KEEL_LOG(ERR, keel_logtype_eal,
				 "heap of socket %d is inconsistent", i);
			return ret;
		}
	}
	return 0;
}

int
eal_malloc_init(void)
{
	void *va;
	uint64_t len;
	int i;

	n_heaps = (int)keel_socket_count();
	if (n_heaps > EAL_MAX_NUMA)
		n_heaps = EAL_MAX_NUMA;
	for (i = 0; i < n_heaps; i++) {
		memset(&heaps[i], 0, sizeof(heaps[i]));
		pthread_mutex_init(&heaps[i].lock, NULL);
		heaps[i].socket = i;
	}
	if (eal_iova_mode_cur == KEEL_IOVA_PA && eal_mem_page_size() == 4096)
		KEEL_LOG(WARNING, keel_logtype_eal,
			 "--iova-mode pa with 4 kB pages (--no-huge): heap "
			 "allocations are IOVA-contiguous, so one larger than a "
			 "page needs physically contiguous pages and will "
			 "mostly fail; use hugepages, or --iova-mode va or "
			 "alloc");
	for (i = 0; eal_mem_prealloc_get(i, &va, &len) == 0; i++) {
		int s = eal_mem_socket_of(va);

		region_add(&heaps[s < 0 || s >= n_heaps ? 0 : s], va, len, true);
	}
	return 0;
}

void
eal_malloc_cleanup(void)
{
	int i;

	for (i = 0; i < n_heaps; i++) {
		struct heap *h = &heaps[i];

		pthread_mutex_lock(&h->lock);
		while (h->regions != NULL) {
			struct region *r = h->regions;

			h->regions = r->next;
			if (!r->prealloc)
				eal_mem_free_pages(r->va, r->len);
		}
		pthread_mutex_unlock(&h->lock);
		pthread_mutex_destroy(&h->lock);
		memset(h, 0, sizeof(*h));
	}
	n_heaps = 0;
	n_bad_free = 0;
}
