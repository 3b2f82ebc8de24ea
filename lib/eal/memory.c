/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL memory: segment lists of pages, allocated and released at run time.
 *
 * One segment list per NUMA socket, all of one page size (hugepages of the
 * chosen size, or 4 KiB with --no-huge). Each list reserves a VA window with
 * a PROT_NONE mapping and is backed by one file (memfd, or a file in
 * --huge-dir) sized to the window: page i of the list lives at file offset
 * i * page_sz. Allocating pages maps that part of the file over the
 * reservation (MAP_FIXED); releasing them maps PROT_NONE back and punches a
 * hole in the file so the kernel gets the memory back.
 *
 * Invariants: a page's memseg is valid iff used[i] is set; no page at or
 * above the list's `hi` watermark is used (scans stop there); its iova is set
 * before any ALLOC event names it. Memory events for a run are delivered
 * to every callback, in registration order, before the pages are handed to
 * the caller; FREE events in reverse order before they go.
 *
 * This file: pages (allocation in units, release, IOVA of each page), the
 * IOVA mode and preallocation, init and cleanup. memory_list.c creates the
 * lists, memory_lookup.c answers lookups and walks, memory_events.c keeps
 * the callbacks; memory_private.h is what they share.
 *
 * Locking: mem_hotplug_lock (rwlock) — writers: page alloc/free, callback
 * (un)registration; readers: lookups and walks.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/memfd.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "eal_internal.h"
#include "memory_private.h"


pthread_rwlock_t mem_hotplug_lock = PTHREAD_RWLOCK_INITIALIZER;
struct memseg_list mem_lists[EAL_MAX_NUMA];
int mem_n_lists;
uint64_t mem_page_size;
struct keel_mem_stats mem_stats;
static struct eal_iova_hook iova_hook;
static int pagemap_fd = -1;
enum keel_iova_mode eal_iova_mode_cur;

/* preallocated (-m / --socket-mem) runs, released at cleanup */
struct prealloc_run {
	void *va;
	uint64_t len;
};
static struct prealloc_run prealloc[EAL_MAX_NUMA];
static int n_prealloc;

uint64_t
eal_mem_page_size(void)
{
	return mem_page_size;
}

enum keel_iova_mode
keel_eal_iova_mode(void)
{
	return eal_iova_mode_cur;
}

const char *
keel_iova_mode_name(enum keel_iova_mode mode)
{
	switch (mode) {
	case KEEL_IOVA_DC: return "auto";
	case KEEL_IOVA_PA: return "pa";
	case KEEL_IOVA_VA: return "va";
	case KEEL_IOVA_ALLOC: return "alloc";
	}
	return "?";
}

void
eal_mem_set_iova_hook(const struct eal_iova_hook *hook)
{
	pthread_rwlock_wrlock(&mem_hotplug_lock);
	if (hook != NULL)
		iova_hook = *hook;
	else
		memset(&iova_hook, 0, sizeof(iova_hook));
	pthread_rwlock_unlock(&mem_hotplug_lock);
}

/* ---- IOVA of pages ---- */

static uint64_t
page_pa(const void *va)
{
	uint64_t entry;
	off_t off = (off_t)((uintptr_t)va / PAGE_4K * sizeof(entry));

	if (pagemap_fd < 0 ||
	    pread(pagemap_fd, &entry, sizeof(entry), off) != sizeof(entry))
		return KEEL_BAD_IOVA;
	/* bit 63: present; bits 0-54: PFN (Documentation/admin-guide/mm/pagemap.rst) */
	if (!(entry & (1ULL << 63)) || (entry & ((1ULL << 55) - 1)) == 0)
		return KEEL_BAD_IOVA;
	return (entry & ((1ULL << 55) - 1)) * PAGE_4K +
	       ((uintptr_t)va & (PAGE_4K - 1));
}

/* split pages [first, first + n) of l into IOVA-contiguous runs */
static int
make_runs(struct memseg_list *l, uint64_t first, uint64_t n,
	  struct mem_run **out)
{
	struct mem_run *runs = calloc(n, sizeof(*runs));
	uint64_t i;
	int nr = 0;

	if (runs == NULL)
		return -ENOMEM;
	for (i = first; i < first + n; i++) {
		struct keel_memseg *ms = &l->segs[i];

		if (nr > 0 && runs[nr - 1].iova + runs[nr - 1].len == ms->iova &&
		    (uint8_t *)runs[nr - 1].va + runs[nr - 1].len ==
		    (uint8_t *)ms->addr) {
			runs[nr - 1].len += ms->len;
			continue;
		}
		runs[nr].va = ms->addr;
		runs[nr].iova = ms->iova;
		runs[nr].len = ms->len;
		nr++;
	}
	*out = runs;
	return nr;
}

/* ---- page allocation ---- */

static void
unmap_pages(struct memseg_list *l, uint64_t first, uint64_t n)
{
	uint8_t *va = (uint8_t *)l->base + first * l->page_sz;
	uint64_t len = n * l->page_sz;

	mmap(va, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
	     MAP_NORESERVE, -1, 0);
	fallocate(l->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		  (off_t)(first * l->page_sz), (off_t)len);
}

/*
 * The allocation unit at or after page *p of @p l: moves *p to its first
 * page and returns its page count, or 0 when there is none.
 */
static uint64_t
next_unit(const struct memseg_list *l, uint64_t *p)
{
	uint64_t n;

	while (*p < l->hi && l->used[*p] != PAGE_START)
		(*p)++;
	if (*p >= l->hi)
		return 0;
	for (n = 1; *p + n < l->hi && l->used[*p + n] == PAGE_CONT; n++)
		;
	return n;
}

/* every allocation unit of a list, in VA order: first page p, n pages */
#define for_each_unit(l, p, n) \
	for ((p) = 0; ((n) = next_unit((l), &(p))) != 0; (p) += (n))

static int
find_free_pages(struct memseg_list *l, uint64_t n, uint64_t *first)
{
	uint64_t i, run = 0, end = l->hi + n;

	/* every page from hi up is free: a fit starts at hi at the latest */
	if (end > l->n_pages || end < n)
		end = l->n_pages;
	for (i = 0; i < end; i++) {
		run = l->used[i] ? 0 : run + 1;
		if (run == n) {
			*first = i + 1 - n;
			return 0;
		}
	}
	return -ENOMEM;
}

static int
map_pages(struct memseg_list *l, uint64_t first, uint64_t n)
{
	uint8_t *va = (uint8_t *)l->base + first * l->page_sz;
	uint64_t len = n * l->page_sz, i, iova = 0;
	bool populate = l->page_sz != PAGE_4K ||
			eal_iova_mode_cur == KEEL_IOVA_PA;
	void *p;
	int ret = 0, nodes = (int)keel_socket_count();

	if (l->page_sz != PAGE_4K &&
	    fallocate(l->fd, 0, (off_t)(first * l->page_sz), (off_t)len) != 0)
		return errno == ENOSPC ? -ENOMEM : -errno;
	if (nodes > 1)
		numa_set_preferred(l->socket);
	p = mmap(va, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED | (populate ? MAP_POPULATE : 0),
		 l->fd, (off_t)(first * l->page_sz));
	if (nodes > 1)
		numa_set_localalloc();
	if (p == MAP_FAILED) {
		ret = -errno;
		fallocate(l->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  (off_t)(first * l->page_sz), (off_t)len);
		return ret;
	}
	if (eal_iova_mode_cur == KEEL_IOVA_PA && l->page_sz == PAGE_4K &&
	    mlock(va, len) != 0) {
		ret = -errno;
		goto fail;
	}
	if (eal_iova_mode_cur == KEEL_IOVA_ALLOC) {
		if (iova_hook.alloc == NULL) {
			ret = -ENODEV;
			goto fail;
		}
		ret = iova_hook.alloc(len, l->page_sz, &iova, iova_hook.arg);
		if (ret < 0)
			goto fail;
	}
	for (i = 0; i < n; i++) {
		struct keel_memseg *ms = &l->segs[first + i];

		ms->addr = va + i * l->page_sz;
		ms->len = l->page_sz;
		ms->hugepage_sz = l->page_sz;
		ms->socket_id = l->socket;
		switch (eal_iova_mode_cur) {
		case KEEL_IOVA_PA:
			ms->iova = page_pa(ms->addr);
			if (ms->iova == KEEL_BAD_IOVA) {
				KEEL_LOG(ERR, keel_logtype_eal,
					 "no physical address for %p in "
					 "/proc/self/pagemap (needs root)",
					 ms->addr);
				ret = -EPERM;
				goto fail;
			}
			break;
		case KEEL_IOVA_ALLOC:
			ms->iova = iova + i * l->page_sz;
			break;
		default:
			ms->iova = (uint64_t)(uintptr_t)ms->addr;
			break;
		}
		if (populate && nodes > 1) {
			int node = -1;

			if (get_mempolicy(&node, NULL, 0, ms->addr,
					  MPOL_F_NODE | MPOL_F_ADDR) == 0 &&
			    node >= 0)
				ms->socket_id = node;
		}
	}
	return 0;
fail:
	if (eal_iova_mode_cur == KEEL_IOVA_ALLOC && iova != 0 &&
	    iova_hook.free != NULL && ret != -ENODEV)
		iova_hook.free(iova, len, iova_hook.arg);
	unmap_pages(l, first, n);
	return ret;
}

struct memseg_list *
mem_list_of(const void *va)
{
	int i;

	for (i = 0; i < mem_n_lists; i++) {
		const uint8_t *b = mem_lists[i].base;

		if ((const uint8_t *)va >= b &&
		    (const uint8_t *)va < b + mem_lists[i].n_pages * mem_lists[i].page_sz)
			return &mem_lists[i];
	}
	return NULL;
}

static void *
alloc_pages_locked(int socket, uint64_t len)
{
	uint64_t n, first = 0;
	struct memseg_list *l = NULL;
	struct mem_run *runs;
	int i, nr, ret = -ENOMEM;

	if (len == 0 || len % mem_page_size != 0) {
		errno = EINVAL;
		return NULL;
	}
	n = len / mem_page_size;
	if (mem_stats.allocated + len > mem_stats.limit || mem_stats.allocated + len < len) {
		errno = ENOMEM;
		return NULL;
	}
	/* the asked socket first, then any other */
	for (i = -1; i < mem_n_lists; i++) {
		struct memseg_list *cand;

		if (i == -1) {
			if (socket < 0 || socket >= mem_n_lists)
				continue;
			cand = &mem_lists[socket];
		} else {
			if (socket >= 0 && i == socket)
				continue;
			if (socket >= 0)
				break; /* a specific socket was asked */
			cand = &mem_lists[i];
		}
		if (find_free_pages(cand, n, &first) != 0)
			continue;
		ret = map_pages(cand, first, n);
		if (ret == 0) {
			l = cand;
			break;
		}
	}
	if (l == NULL) {
		errno = -ret;
		return NULL;
	}
	nr = make_runs(l, first, n, &runs);
	if (nr < 0) {
		ret = nr;
		goto undo;
	}
	ret = mem_events_fire_alloc(runs, nr);
	free(runs);
	if (ret < 0)
		goto undo;
	memset(l->used + first, PAGE_CONT, n);
	l->used[first] = PAGE_START;
	l->n_used += n;
	if (first + n > l->hi)
		l->hi = first + n;
	mem_stats.allocated += len;
	return l->segs[first].addr;
undo:
	if (eal_iova_mode_cur == KEEL_IOVA_ALLOC && iova_hook.free)
		iova_hook.free(l->segs[first].iova, len, iova_hook.arg);
	unmap_pages(l, first, n);
	memset(l->segs + first, 0, n * sizeof(*l->segs));
	errno = -ret;
	return NULL;
}

void *
eal_mem_alloc_pages(int socket, uint64_t len)
{
	void *va;

	pthread_rwlock_wrlock(&mem_hotplug_lock);
	va = alloc_pages_locked(socket, len);
	pthread_rwlock_unlock(&mem_hotplug_lock);
	return va;
}

static int
free_pages_locked(void *va, uint64_t len)
{
	struct memseg_list *l = mem_list_of(va);
	uint64_t first, n, i;
	struct mem_run *runs;
	int nr;

	if (l == NULL || len == 0 || len % l->page_sz != 0 ||
	    ((uint8_t *)va - (uint8_t *)l->base) % l->page_sz != 0)
		return -EINVAL;
	first = (uint64_t)((uint8_t *)va - (uint8_t *)l->base) / l->page_sz;
	n = len / l->page_sz;
	if (first + n > l->n_pages)
		return -EINVAL;
	/* whole units only */
	if (l->used[first] != PAGE_START ||
	    (first + n < l->n_pages && l->used[first + n] == PAGE_CONT))
		return -EINVAL;
	for (i = first + 1; i < first + n; i++)
		if (l->used[i] != PAGE_CONT)
			return -EINVAL; /* free, or the start of another unit */
	nr = make_runs(l, first, n, &runs);
	if (nr < 0)
		return nr;
	mem_events_fire_free(runs, nr);
	if (eal_iova_mode_cur == KEEL_IOVA_ALLOC && iova_hook.free)
		for (i = 0; i < (uint64_t)nr; i++)
			iova_hook.free(runs[i].iova, runs[i].len, iova_hook.arg);
	free(runs);
	if (eal_iova_mode_cur == KEEL_IOVA_PA && l->page_sz == PAGE_4K)
		munlock(va, len);
	unmap_pages(l, first, n);
	memset(l->used + first, 0, n);
	memset(l->segs + first, 0, n * sizeof(*l->segs));
	l->n_used -= n;
	while (l->hi > 0 && !l->used[l->hi - 1])
		l->hi--;
	mem_stats.allocated -= len;
	return 0;
}

int
eal_mem_free_pages(void *va, uint64_t len)
{
	int ret;

	pthread_rwlock_wrlock(&mem_hotplug_lock);
	ret = free_pages_locked(va, len);
	pthread_rwlock_unlock(&mem_hotplug_lock);
	if (ret < 0)
		KEEL_LOG(ERR, keel_logtype_eal,
			 "free of pages va %p len 0x%" PRIx64 ": not an allocated run",
			 va, len);
	return ret;
}

int
eal_mem_socket_of(const void *va)
{
	struct memseg_list *l = mem_list_of(va);

	return l ? l->socket : -1;
}
/* ---- init / cleanup ---- */

static int
choose_iova_mode(void)
{
	eal_iova_mode_cur = eal_cfg.iova_mode;
	if (eal_iova_mode_cur == KEEL_IOVA_DC)
		eal_iova_mode_cur = KEEL_IOVA_VA;
	if (eal_iova_mode_cur == KEEL_IOVA_PA) {
		pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
		if (pagemap_fd < 0) {
			int err = errno;

			KEEL_LOG(ERR, keel_logtype_eal,
				 "--iova-mode pa: cannot open /proc/self/pagemap: %s",
				 strerror(err));
			return -err;
		}
		if (geteuid() != 0) {
			KEEL_LOG(ERR, keel_logtype_eal,
				 "--iova-mode pa: physical addresses in "
				 "/proc/self/pagemap need root (CAP_SYS_ADMIN)");
			close(pagemap_fd);
			pagemap_fd = -1;
			return -EPERM;
		}
	}
	return 0;
}

static int
preallocate(void)
{
	unsigned int s;

	if (!eal_cfg.socket_mem_set) {
		uint64_t len;

		if (eal_cfg.mem_size == 0)
			return 0;
		len = (eal_cfg.mem_size + mem_page_size - 1) / mem_page_size * mem_page_size;
		prealloc[0].va = alloc_pages_locked(-1, len);
		if (prealloc[0].va == NULL) {
			KEEL_LOG(ERR, keel_logtype_eal,
				 "-m: cannot allocate %" PRIu64 " MiB of %" PRIu64
				 " kB pages: %s", len >> 20, mem_page_size >> 10,
				 strerror(errno));
			return -ENOMEM;
		}
		prealloc[0].len = len;
		n_prealloc = 1;
		mem_stats.preallocated = len;
		return 0;
	}
	for (s = 0; s < EAL_MAX_NUMA; s++) {
		uint64_t len = (eal_cfg.socket_mem[s] + mem_page_size - 1) /
			       mem_page_size * mem_page_size;

		if (len == 0)
			continue;
		prealloc[n_prealloc].va = alloc_pages_locked((int)s, len);
		if (prealloc[n_prealloc].va == NULL) {
			KEEL_LOG(ERR, keel_logtype_eal,
				 "--socket-mem: cannot allocate %" PRIu64
				 " MiB on socket %u: %s", len >> 20, s,
				 strerror(errno));
			return -ENOMEM;
		}
		prealloc[n_prealloc++].len = len;
		mem_stats.preallocated += len;
	}
	return 0;
}

/* heap regions hold the preallocated runs; the heap reads them here */
int
eal_mem_prealloc_get(int i, void **va, uint64_t *len)
{
	if (i < 0 || i >= n_prealloc)
		return -ENOENT;
	*va = prealloc[i].va;
	*len = prealloc[i].len;
	return 0;
}

uint64_t
eal_mem_va_last(void)
{
	uint64_t last = 0;
	int i;

	for (i = 0; i < mem_n_lists; i++) {
		uint64_t l = (uint64_t)(uintptr_t)mem_lists[i].base +
			     mem_lists[i].n_pages * mem_lists[i].page_sz - 1;

		if (l > last)
			last = l;
	}
	return last;
}

int
eal_mem_switch_to_alloc(void)
{
	struct { uint64_t iova, len; } *got;
	uint64_t n_units = 0, k = 0, p, n;
	int i, ret = 0;

	pthread_rwlock_wrlock(&mem_hotplug_lock);
	if (mem_events_n_callbacks() != 0 || iova_hook.alloc == NULL ||
	    eal_iova_mode_cur != KEEL_IOVA_VA) {
		pthread_rwlock_unlock(&mem_hotplug_lock);
		return -EBUSY;
	}
	for (i = 0; i < mem_n_lists; i++)
		for_each_unit(&mem_lists[i], p, n)
			n_units++;
	got = calloc(n_units ? n_units : 1, sizeof(*got));
	if (got == NULL) {
		pthread_rwlock_unlock(&mem_hotplug_lock);
		return -ENOMEM;
	}
	/* first get an IOVA for every unit; give them back if one fails */
	for (i = 0; i < mem_n_lists && ret == 0; i++) {
		struct memseg_list *l = &mem_lists[i];

		for_each_unit(l, p, n) {
			got[k].len = n * l->page_sz;
			ret = iova_hook.alloc(got[k].len, l->page_sz,
					      &got[k].iova, iova_hook.arg);
			if (ret < 0)
				break;
			k++;
		}
	}
	if (ret < 0) {
		while (k > 0) {
			k--;
			iova_hook.free(got[k].iova, got[k].len, iova_hook.arg);
		}
		goto out;
	}
	k = 0;
	for (i = 0; i < mem_n_lists; i++) {
		struct memseg_list *l = &mem_lists[i];
		uint64_t q;

		for_each_unit(l, p, n) {
			for (q = 0; q < n; q++)
				l->segs[p + q].iova = got[k].iova +
						      q * l->page_sz;
			k++;
		}
	}
	eal_iova_mode_cur = KEEL_IOVA_ALLOC;
out:
	pthread_rwlock_unlock(&mem_hotplug_lock);
	free(got);
	return ret;
}

int
eal_memory_prealloc(void)
{
	int ret = 0;

	if (eal_iova_mode_cur != KEEL_IOVA_ALLOC)
		return 0;
	pthread_rwlock_wrlock(&mem_hotplug_lock);
	if (n_prealloc == 0)
		ret = preallocate();
	pthread_rwlock_unlock(&mem_hotplug_lock);
	return ret;
}

void
eal_memory_prealloc_undo(void)
{
	/* alloc mode: the IOVAs go back before the container does */
	if (eal_iova_mode_cur != KEEL_IOVA_ALLOC)
		return;
	pthread_rwlock_wrlock(&mem_hotplug_lock);
	while (n_prealloc > 0) {
		n_prealloc--;
		free_pages_locked(prealloc[n_prealloc].va,
				  prealloc[n_prealloc].len);
		mem_stats.preallocated -= prealloc[n_prealloc].len;
	}
	pthread_rwlock_unlock(&mem_hotplug_lock);
}

void
eal_memory_cleanup(void)
{
	int i;

	pthread_rwlock_wrlock(&mem_hotplug_lock);
	for (i = 0; i < mem_n_lists; i++) {
		struct memseg_list *l = &mem_lists[i];
		uint64_t p, n;

		/* whatever is still allocated goes now, with FREE events */
		for_each_unit(l, p, n)
			free_pages_locked(l->segs[p].addr, n * l->page_sz);
		mem_list_destroy(l);
	}
	mem_n_lists = 0;
	n_prealloc = 0;
	mem_events_cleanup();
	memset(&mem_stats, 0, sizeof(mem_stats));
	memset(&iova_hook, 0, sizeof(iova_hook));
	if (pagemap_fd >= 0)
		close(pagemap_fd);
	pagemap_fd = -1;
	mem_page_size = 0;
	eal_iova_mode_cur = KEEL_IOVA_DC;
	pthread_rwlock_unlock(&mem_hotplug_lock);
}

int
eal_memory_init(void)
{
	unsigned int s, n_sockets = keel_socket_count();
	int ret;

	if (n_sockets > EAL_MAX_NUMA)
		n_sockets = EAL_MAX_NUMA;
	ret = choose_iova_mode();
	if (ret < 0)
		return ret;
	ret = mem_choose_page_size();
	if (ret < 0)
		goto fail;
	pthread_rwlock_wrlock(&mem_hotplug_lock);
	for (s = 0; s < n_sockets; s++) {
		ret = mem_list_create(&mem_lists[s], (int)s);
		if (ret < 0) {
			pthread_rwlock_unlock(&mem_hotplug_lock);
			goto fail;
		}
		mem_n_lists++;
		mem_stats.reserved_va += mem_lists[s].n_pages * mem_page_size;
	}
	mem_stats.page_sz = mem_page_size;
	mem_stats.limit = mem_stats.reserved_va;
	/* in alloc mode pages need IOVAs from the IOMMU container, which
	 * exists only after this step: eal_memory_prealloc() does it then */
	ret = eal_iova_mode_cur == KEEL_IOVA_ALLOC ? 0 : preallocate();
	pthread_rwlock_unlock(&mem_hotplug_lock);
	if (ret < 0)
		goto fail;
	return 0;
fail:
	eal_memory_cleanup();
	return ret;
}
