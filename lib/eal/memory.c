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
 * Locking: hotplug_lock (rwlock) — writers: page alloc/free, callback
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

#define MEM_MAX_CALLBACKS 32
#define MEM_CB_NAME_MAX 64
#define NOHUGE_LIST_SIZE (8ULL << 30)   /* VA per socket, 4 KiB pages */
#define HUGE_LIST_SIZE (64ULL << 30)    /* VA per socket, hugepages */
#define PAGE_4K 4096ULL
#define HUGETLBFS_MAGIC 0x958458f6

/*
 * used[] states. Pages are allocated and freed in units (one
 * eal_mem_alloc_pages() call); a unit's first page is PAGE_START, the rest
 * PAGE_CONT. Runs reported to callbacks never cross a unit boundary, so a
 * FREE always names exactly what an ALLOC named (an IOMMU that cannot split
 * mappings can map each run in one call).
 */
#define PAGE_FREE 0
#define PAGE_START 1
#define PAGE_CONT 2

struct memseg_list {
	void *base;
	uint64_t page_sz;
	uint64_t n_pages;
	int socket;
	int fd;
	char path[PATH_MAX];          /* hugetlbfs file, "" for memfd */
	struct keel_memseg *segs;
	uint8_t *used;                /* PAGE_FREE / PAGE_START / PAGE_CONT */
	uint64_t n_used;
	uint64_t hi;                  /* pages at index >= hi are all free */
};

struct mem_callback {
	char name[MEM_CB_NAME_MAX];
	keel_mem_event_callback_t cb;
	void *arg;
};

static pthread_rwlock_t hotplug_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct memseg_list lists[EAL_MAX_NUMA];
static int n_lists;
static uint64_t page_size;
static struct mem_callback callbacks[MEM_MAX_CALLBACKS];
static int n_callbacks;
static struct keel_mem_stats stats;
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
	return page_size;
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
	pthread_rwlock_wrlock(&hotplug_lock);
	if (hook != NULL)
		iova_hook = *hook;
	else
		memset(&iova_hook, 0, sizeof(iova_hook));
	pthread_rwlock_unlock(&hotplug_lock);
}

/* ---- page size and backing files ---- */

static uint64_t
default_hugepage_size(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	uint64_t kb = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %" SCNu64, &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

static uint64_t
free_hugepages(uint64_t sz)
{
	char path[128];
	uint64_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/free_hugepages",
		 sz / 1024);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%" SCNu64, &n) != 1)
		n = 0;
	fclose(f);
	return n;
}

static int
choose_page_size(void)
{
	static const uint64_t sizes[] = { 1ULL << 30, 2ULL << 20 };
	uint64_t def;
	unsigned int i;

	if (eal_cfg.no_huge) {
		page_size = PAGE_4K;
		return 0;
	}
	if (eal_cfg.huge_dir[0]) {
		struct statfs sfs;

		if (statfs(eal_cfg.huge_dir, &sfs) != 0 ||
		    (unsigned long)sfs.f_type != HUGETLBFS_MAGIC) {
			KEEL_LOG(ERR, keel_logtype_eal,
				 "--huge-dir '%s' is not a hugetlbfs mount",
				 eal_cfg.huge_dir);
			return -EINVAL;
		}
		page_size = (uint64_t)sfs.f_bsize;
		return 0;
	}
	def = default_hugepage_size();
	if (def != 0 && free_hugepages(def) > 0) {
		page_size = def;
		return 0;
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (free_hugepages(sizes[i]) > 0) {
			page_size = sizes[i];
			return 0;
		}
	}
	KEEL_LOG(ERR, keel_logtype_eal,
		 "no free hugepages (default size %" PRIu64 " kB): reserve some "
		 "(echo N > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages) "
		 "or use --no-huge", def / 1024);
	return -ENOMEM;
}

static int
open_backing(struct memseg_list *l)
{
	char name[128];
	unsigned int flags = MFD_CLOEXEC;

	snprintf(name, sizeof(name), "%s-socket%d", eal_cfg.file_prefix,
		 l->socket);
	if (eal_cfg.huge_dir[0]) {
		if (snprintf(l->path, sizeof(l->path), "%s/%smap_%d",
			     eal_cfg.huge_dir, eal_cfg.file_prefix,
			     l->socket) >= (int)sizeof(l->path)) {
			l->path[0] = '\0';
			return -ENAMETOOLONG;
		}
		l->fd = open(l->path, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC,
			     0600);
	} else {
		l->path[0] = '\0';
		if (page_size != PAGE_4K) {
			int shift = __builtin_ctzll(page_size);

			flags |= MFD_HUGETLB |
				 ((unsigned int)shift << MFD_HUGE_SHIFT);
		}
		l->fd = memfd_create(name, flags);
	}
	if (l->fd < 0) {
		int err = errno;

		KEEL_LOG(ERR, keel_logtype_eal, "cannot create backing file %s: %s",
			 l->path[0] ? l->path : name, strerror(err));
		return -err;
	}
	if (ftruncate(l->fd, (off_t)(l->n_pages * page_size)) != 0) {
		int err = errno;

		KEEL_LOG(ERR, keel_logtype_eal, "cannot size backing file: %s",
			 strerror(err));
		close(l->fd);
		if (l->path[0])
			unlink(l->path);
		l->fd = -1;
		return -err;
	}
	return 0;
}

/*
 * Per-page tables (80 MiB of memsegs for 8 GiB of 4 KiB pages) are mapped,
 * not calloc()ed: zero pages come lazily and cost only where pages are
 * used, whatever the malloc state (calloc() from a large heap top, or with
 * MALLOC_PERTURB_, writes all of it at every keel_eal_init()).
 */
static void *
table_alloc(uint64_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void
table_free(void *p, uint64_t len)
{
	if (p != NULL)
		munmap(p, len);
}

static void
list_destroy(struct memseg_list *l)
{
	if (l->base != NULL)
		munmap(l->base, l->n_pages * l->page_sz);
	if (l->fd >= 0)
		close(l->fd);
	if (l->path[0])
		unlink(l->path);
	table_free(l->segs, l->n_pages * sizeof(*l->segs));
	table_free(l->used, l->n_pages);
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}

static int
list_create(struct memseg_list *l, int socket)
{
	uint64_t va_size = page_size == PAGE_4K ? NOHUGE_LIST_SIZE :
			   HUGE_LIST_SIZE;
	uint64_t align = page_size < (1ULL << 30) ? (1ULL << 30) : page_size;
	uint8_t *p;
	uint64_t off;
	int ret;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->socket = socket;
	l->page_sz = page_size;
	l->n_pages = va_size / page_size;
	l->segs = table_alloc(l->n_pages * sizeof(*l->segs));
	l->used = table_alloc(l->n_pages);
	if (l->segs == NULL || l->used == NULL) {
		list_destroy(l);
		return -ENOMEM;
	}
	/* reserve va_size + align, keep an aligned window, so the IOMMU can
	 * use large pages for large runs */
	p = mmap(NULL, va_size + align, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		KEEL_LOG(ERR, keel_logtype_eal, "cannot reserve %" PRIu64
			 " bytes of VA: %s", va_size, strerror(-ret));
		list_destroy(l);
		return ret;
	}
	off = (align - ((uintptr_t)p & (align - 1))) & (align - 1);
	if (off != 0)
		munmap(p, off);
	munmap(p + off + va_size, align - off);
	l->base = p + off;
	ret = open_backing(l);
	if (ret < 0) {
		list_destroy(l);
		return ret;
	}
	return 0;
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

/* ---- event delivery ---- */

struct run {
	void *va;
	uint64_t iova;
	uint64_t len;
};

/* split pages [first, first + n) of l into IOVA-contiguous runs */
static int
make_runs(struct memseg_list *l, uint64_t first, uint64_t n,
	  struct run **out)
{
	struct run *runs = calloc(n, sizeof(*runs));
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

/* deliver FREE of runs[0..nr) to callbacks [0..ncb), newest callback first */
static void
fire_free(const struct run *runs, int nr, int ncb)
{
	int r, c;

	for (r = nr - 1; r >= 0; r--) {
		for (c = ncb - 1; c >= 0; c--)
			callbacks[c].cb(KEEL_MEM_EVENT_FREE, runs[r].va,
					runs[r].iova, runs[r].len,
					callbacks[c].arg);
		stats.n_free_events++;
	}
}

static int
fire_alloc(const struct run *runs, int nr)
{
	int r, c, ret;

	for (r = 0; r < nr; r++) {
		for (c = 0; c < n_callbacks; c++) {
			ret = callbacks[c].cb(KEEL_MEM_EVENT_ALLOC, runs[r].va,
					      runs[r].iova, runs[r].len,
					      callbacks[c].arg);
			if (ret < 0) {
				KEEL_LOG(ERR, keel_logtype_eal,
					 "memory event callback '%s' refused "
					 "va %p iova 0x%" PRIx64 " len 0x%" PRIx64
					 ": %s", callbacks[c].name, runs[r].va,
					 runs[r].iova, runs[r].len,
					 strerror(-ret));
				/* undo: this run for callbacks before c,
				 * earlier runs for everybody */
				for (c--; c >= 0; c--)
					callbacks[c].cb(KEEL_MEM_EVENT_FREE,
							runs[r].va, runs[r].iova,
							runs[r].len,
							callbacks[c].arg);
				fire_free(runs, r, n_callbacks);
				return ret;
			}
		}
		stats.n_alloc_events++;
	}
	return 0;
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

static struct memseg_list *
list_of(const void *va)
{
	int i;

	for (i = 0; i < n_lists; i++) {
		const uint8_t *b = lists[i].base;

		if ((const uint8_t *)va >= b &&
		    (const uint8_t *)va < b + lists[i].n_pages * lists[i].page_sz)
			return &lists[i];
	}
	return NULL;
}

static void *
alloc_pages_locked(int socket, uint64_t len)
{
	uint64_t n, first = 0;
	struct memseg_list *l = NULL;
	struct run *runs;
	int i, nr, ret = -ENOMEM;

	if (len == 0 || len % page_size != 0) {
		errno = EINVAL;
		return NULL;
	}
	n = len / page_size;
	if (stats.allocated + len > stats.limit || stats.allocated + len < len) {
		errno = ENOMEM;
		return NULL;
	}
	/* the asked socket first, then any other */
	for (i = -1; i < n_lists; i++) {
		struct memseg_list *cand;

		if (i == -1) {
			if (socket < 0 || socket >= n_lists)
				continue;
			cand = &lists[socket];
		} else {
			if (socket >= 0 && i == socket)
				continue;
			if (socket >= 0)
				break; /* a specific socket was asked */
			cand = &lists[i];
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
	ret = fire_alloc(runs, nr);
	free(runs);
	if (ret < 0)
		goto undo;
	memset(l->used + first, PAGE_CONT, n);
	l->used[first] = PAGE_START;
	l->n_used += n;
	if (first + n > l->hi)
		l->hi = first + n;
	stats.allocated += len;
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

	pthread_rwlock_wrlock(&hotplug_lock);
	va = alloc_pages_locked(socket, len);
	pthread_rwlock_unlock(&hotplug_lock);
	return va;
}

static int
free_pages_locked(void *va, uint64_t len)
{
	struct memseg_list *l = list_of(va);
	uint64_t first, n, i;
	struct run *runs;
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
	fire_free(runs, nr, n_callbacks);
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
	stats.allocated -= len;
	return 0;
}

int
eal_mem_free_pages(void *va, uint64_t len)
{
	int ret;

	pthread_rwlock_wrlock(&hotplug_lock);
	ret = free_pages_locked(va, len);
	pthread_rwlock_unlock(&hotplug_lock);
	if (ret < 0)
		KEEL_LOG(ERR, keel_logtype_eal,
			 "free of pages va %p len 0x%" PRIx64 ": not an allocated run",
			 va, len);
	return ret;
}

int
eal_mem_socket_of(const void *va)
{
	struct memseg_list *l = list_of(va);

	return l ? l->socket : -1;
}

/* ---- lookups ---- */

static struct keel_memseg *
seg_of_locked(const void *va)
{
	struct memseg_list *l = list_of(va);
	uint64_t i;

	if (l == NULL)
		return NULL;
	i = (uint64_t)((const uint8_t *)va - (uint8_t *)l->base) / l->page_sz;
	return l->used[i] ? &l->segs[i] : NULL;
}

uint64_t
keel_mem_virt2iova(const void *va)
{
	struct keel_memseg *ms;
	uint64_t iova = KEEL_BAD_IOVA;

	pthread_rwlock_rdlock(&hotplug_lock);
	ms = seg_of_locked(va);
	if (ms != NULL && ms->iova != KEEL_BAD_IOVA)
		iova = ms->iova + (uint64_t)((const uint8_t *)va -
					     (uint8_t *)ms->addr);
	pthread_rwlock_unlock(&hotplug_lock);
	if (iova == KEEL_BAD_IOVA)
		errno = EINVAL;
	return iova;
}

int
keel_mem_virt2memseg(const void *va, struct keel_memseg *out)
{
	struct keel_memseg *ms;

	if (out == NULL)
		return -EINVAL;
	pthread_rwlock_rdlock(&hotplug_lock);
	ms = seg_of_locked(va);
	if (ms != NULL)
		*out = *ms;
	pthread_rwlock_unlock(&hotplug_lock);
	return ms ? 0 : -EINVAL;
}

int
keel_memseg_walk(int (*fn)(const struct keel_memseg *, void *), void *arg)
{
	int i, ret = 0;
	uint64_t p;

	if (fn == NULL)
		return -EINVAL;
	pthread_rwlock_rdlock(&hotplug_lock);
	for (i = 0; i < n_lists && ret == 0; i++)
		for (p = 0; p < lists[i].hi && ret == 0; p++)
			if (lists[i].used[p])
				ret = fn(&lists[i].segs[p], arg);
	pthread_rwlock_unlock(&hotplug_lock);
	return ret;
}

int
keel_memseg_list_walk(int (*fn)(const struct keel_memseg_list_info *, void *),
		      void *arg)
{
	int i, ret = 0;

	if (fn == NULL)
		return -EINVAL;
	pthread_rwlock_rdlock(&hotplug_lock);
	for (i = 0; i < n_lists && ret == 0; i++) {
		struct keel_memseg_list_info info = {
			.base = lists[i].base,
			.len = lists[i].n_pages * lists[i].page_sz,
			.page_sz = lists[i].page_sz,
			.socket_id = lists[i].socket,
			.fd = lists[i].fd,
		};

		ret = fn(&info, arg);
	}
	pthread_rwlock_unlock(&hotplug_lock);
	return ret;
}

typedef int (*contig_fn)(void *, uint64_t, uint64_t, int, void *);

static int
contig_walk_locked(contig_fn fn, void *arg)
{
	int i, ret = 0;
	uint64_t p;

	for (i = 0; i < n_lists && ret == 0; i++) {
		struct memseg_list *l = &lists[i];

		for (p = 0; p < l->hi && ret == 0; p++) {
			struct keel_memseg *ms = &l->segs[p];
			uint64_t len = ms->len;

			if (!l->used[p])
				continue;
			while (p + 1 < l->hi && l->used[p + 1] == PAGE_CONT &&
			       l->segs[p + 1].iova == ms->iova + len) {
				len += l->page_sz;
				p++;
			}
			ret = fn(ms->addr, ms->iova, len, l->socket, arg);
		}
	}
	return ret;
}

int
keel_memseg_contig_walk(contig_fn fn, void *arg)
{
	int ret;

	if (fn == NULL)
		return -EINVAL;
	pthread_rwlock_rdlock(&hotplug_lock);
	ret = contig_walk_locked(fn, arg);
	pthread_rwlock_unlock(&hotplug_lock);
	return ret;
}

/* ---- callbacks ---- */

static int
find_callback(const char *name, void *arg)
{
	int i;

	for (i = 0; i < n_callbacks; i++)
		if (strcmp(callbacks[i].name, name) == 0 &&
		    callbacks[i].arg == arg)
			return i;
	return -1;
}

struct replay {
	keel_mem_event_callback_t cb;
	void *arg;
	enum keel_mem_event ev;
	int err;
	uint64_t n_done;
};

static int
replay_one(void *va, uint64_t iova, uint64_t len, int socket, void *p)
{
	struct replay *r = p;
	int ret;

	(void)socket;
	ret = r->cb(r->ev, va, iova, len, r->arg);
	if (ret < 0 && r->ev == KEEL_MEM_EVENT_ALLOC) {
		r->err = ret;
		return 1;
	}
	r->n_done++;
	return 0;
}

struct replay_undo {
	struct replay *r;
	uint64_t left;
};

static int
undo_one(void *va, uint64_t iova, uint64_t len, int socket, void *p)
{
	struct replay_undo *u = p;

	(void)socket;
	if (u->left == 0)
		return 1;
	u->left--;
	u->r->cb(KEEL_MEM_EVENT_FREE, va, iova, len, u->r->arg);
	return 0;
}

static int
register_cb(const char *name, keel_mem_event_callback_t cb, void *arg,
	    int walk)
{
	struct replay r = { cb, arg, KEEL_MEM_EVENT_ALLOC, 0, 0 };
	int ret = 0;

	if (name == NULL || cb == NULL || strlen(name) >= MEM_CB_NAME_MAX) {
		errno = EINVAL;
		return -EINVAL;
	}
	pthread_rwlock_wrlock(&hotplug_lock);
	if (find_callback(name, arg) >= 0) {
		ret = -EEXIST;
	} else if (n_callbacks == MEM_MAX_CALLBACKS) {
		ret = -ENOSPC;
	} else if (walk) {
		contig_walk_locked(replay_one, &r);
		if (r.err < 0) {
			struct replay_undo u = { &r, r.n_done };

			contig_walk_locked(undo_one, &u);
			ret = r.err;
		}
	}
	if (ret == 0) {
		snprintf(callbacks[n_callbacks].name, MEM_CB_NAME_MAX, "%s",
			 name);
		callbacks[n_callbacks].cb = cb;
		callbacks[n_callbacks].arg = arg;
		n_callbacks++;
	}
	pthread_rwlock_unlock(&hotplug_lock);
	if (ret < 0) {
		KEEL_LOG(ERR, keel_logtype_eal,
			 "cannot register memory callback '%s': %s", name,
			 strerror(-ret));
		errno = -ret;
	}
	return ret;
}

int
keel_mem_event_callback_register(const char *name,
				 keel_mem_event_callback_t cb, void *arg)
{
	return register_cb(name, cb, arg, 0);
}

int
keel_mem_event_callback_register_walk(const char *name,
				      keel_mem_event_callback_t cb, void *arg)
{
	return register_cb(name, cb, arg, 1);
}

int
keel_mem_event_callback_unregister(const char *name, void *arg,
				   int replay_free)
{
	int i;

	if (name == NULL)
		return -EINVAL;
	pthread_rwlock_wrlock(&hotplug_lock);
	i = find_callback(name, arg);
	if (i < 0) {
		pthread_rwlock_unlock(&hotplug_lock);
		errno = ENOENT;
		return -ENOENT;
	}
	if (replay_free) {
		struct replay r = { callbacks[i].cb, arg, KEEL_MEM_EVENT_FREE,
				    0, 0 };

		contig_walk_locked(replay_one, &r);
	}
	memmove(&callbacks[i], &callbacks[i + 1],
		(size_t)(n_callbacks - i - 1) * sizeof(callbacks[0]));
	n_callbacks--;
	pthread_rwlock_unlock(&hotplug_lock);
	return 0;
}

/* ---- stats, dump ---- */

int
keel_mem_stats_get(struct keel_mem_stats *st)
{
	if (st == NULL)
		return -EINVAL;
	pthread_rwlock_rdlock(&hotplug_lock);
	*st = stats;
	pthread_rwlock_unlock(&hotplug_lock);
	return 0;
}

void
keel_mem_dump(FILE *f)
{
	int i;

	pthread_rwlock_rdlock(&hotplug_lock);
	fprintf(f, "memory: page size %" PRIu64 ", iova mode %s, %" PRIu64
		" of %" PRIu64 " bytes allocated\n", page_size,
		keel_iova_mode_name(eal_iova_mode_cur), stats.allocated,
		stats.limit);
	for (i = 0; i < n_lists; i++) {
		struct memseg_list *l = &lists[i];

		fprintf(f, "  list %d: socket %d base %p pages %" PRIu64
			"/%" PRIu64 " backing %s\n", i, l->socket, l->base,
			l->n_used, l->n_pages, l->path[0] ? l->path : "memfd");
	}
	pthread_rwlock_unlock(&hotplug_lock);
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
		len = (eal_cfg.mem_size + page_size - 1) / page_size * page_size;
		prealloc[0].va = alloc_pages_locked(-1, len);
		if (prealloc[0].va == NULL) {
			KEEL_LOG(ERR, keel_logtype_eal,
				 "-m: cannot allocate %" PRIu64 " MiB of %" PRIu64
				 " kB pages: %s", len >> 20, page_size >> 10,
				 strerror(errno));
			return -ENOMEM;
		}
		prealloc[0].len = len;
		n_prealloc = 1;
		stats.preallocated = len;
		return 0;
	}
	for (s = 0; s < EAL_MAX_NUMA; s++) {
		uint64_t len = (eal_cfg.socket_mem[s] + page_size - 1) /
			       page_size * page_size;

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
		stats.preallocated += len;
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

	for (i = 0; i < n_lists; i++) {
		uint64_t l = (uint64_t)(uintptr_t)lists[i].base +
			     lists[i].n_pages * lists[i].page_sz - 1;

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

	pthread_rwlock_wrlock(&hotplug_lock);
	if (n_callbacks != 0 || iova_hook.alloc == NULL ||
	    eal_iova_mode_cur != KEEL_IOVA_VA) {
		pthread_rwlock_unlock(&hotplug_lock);
		return -EBUSY;
	}
	for (i = 0; i < n_lists; i++)
		for_each_unit(&lists[i], p, n)
			n_units++;
	got = calloc(n_units ? n_units : 1, sizeof(*got));
	if (got == NULL) {
		pthread_rwlock_unlock(&hotplug_lock);
		return -ENOMEM;
	}
	/* first get an IOVA for every unit; give them back if one fails */
	for (i = 0; i < n_lists && ret == 0; i++) {
		struct memseg_list *l = &lists[i];

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
	for (i = 0; i < n_lists; i++) {
		struct memseg_list *l = &lists[i];
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
	pthread_rwlock_unlock(&hotplug_lock);
	free(got);
	return ret;
}

int
eal_memory_prealloc(void)
{
	int ret = 0;

	if (eal_iova_mode_cur != KEEL_IOVA_ALLOC)
		return 0;
	pthread_rwlock_wrlock(&hotplug_lock);
	if (n_prealloc == 0)
		ret = preallocate();
	pthread_rwlock_unlock(&hotplug_lock);
	return ret;
}

void
eal_memory_prealloc_undo(void)
{
	/* alloc mode: the IOVAs go back before the container does */
	if (eal_iova_mode_cur != KEEL_IOVA_ALLOC)
		return;
	pthread_rwlock_wrlock(&hotplug_lock);
	while (n_prealloc > 0) {
		n_prealloc--;
		free_pages_locked(prealloc[n_prealloc].va,
				  prealloc[n_prealloc].len);
		stats.preallocated -= prealloc[n_prealloc].len;
	}
	pthread_rwlock_unlock(&hotplug_lock);
}

void
eal_memory_cleanup(void)
{
	int i;

	pthread_rwlock_wrlock(&hotplug_lock);
	for (i = 0; i < n_lists; i++) {
		struct memseg_list *l = &lists[i];
		uint64_t p, n;

		/* whatever is still allocated goes now, with FREE events */
		for_each_unit(l, p, n)
			free_pages_locked(l->segs[p].addr, n * l->page_sz);
		list_destroy(l);
	}
	n_lists = 0;
	n_prealloc = 0;
	n_callbacks = 0;
	memset(&stats, 0, sizeof(stats));
	memset(&iova_hook, 0, sizeof(iova_hook));
	if (pagemap_fd >= 0)
		close(pagemap_fd);
	pagemap_fd = -1;
	page_size = 0;
	eal_iova_mode_cur = KEEL_IOVA_DC;
	pthread_rwlock_unlock(&hotplug_lock);
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
	ret = choose_page_size();
	if (ret < 0)
		goto fail;
	pthread_rwlock_wrlock(&hotplug_lock);
	for (s = 0; s < n_sockets; s++) {
		ret = list_create(&lists[s], (int)s);
		if (ret < 0) {
			pthread_rwlock_unlock(&hotplug_lock);
			goto fail;
		}
		n_lists++;
		stats.reserved_va += lists[s].n_pages * page_size;
	}
	stats.page_sz = page_size;
	stats.limit = stats.reserved_va;
	/* in alloc mode pages need IOVAs from the IOMMU container, which
	 * exists only after this step: eal_memory_prealloc() does it then */
	ret = eal_iova_mode_cur == KEEL_IOVA_ALLOC ? 0 : preallocate();
	pthread_rwlock_unlock(&hotplug_lock);
	if (ret < 0)
		goto fail;
	return 0;
fail:
	eal_memory_cleanup();
	return ret;
}
