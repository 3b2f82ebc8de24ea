/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL memory segment lists: the page size (hugepages of the chosen or
 * default size, or 4 KiB with --no-huge), and for each NUMA socket a VA
 * window reserved PROT_NONE with one backing file (memfd, or a file in
 * --huge-dir) sized to it, plus the list's memseg and state tables.
 * Pages are mapped into a window later, by memory.c.
 *
 * Runs single-threaded inside keel_eal_init() / keel_eal_cleanup() (under
 * mem_hotplug_lock where memory.c takes it).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/memfd.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "eal_internal.h"
#include "memory_private.h"

#define NOHUGE_LIST_SIZE (8ULL << 30)   /* VA per socket, 4 KiB pages */
#define HUGE_LIST_SIZE (64ULL << 30)    /* VA per socket, hugepages */
#define HUGETLBFS_MAGIC 0x958458f6      /* statfs(2) f_type of hugetlbfs */

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

int
mem_choose_page_size(void)
{
	static const uint64_t sizes[] = { 1ULL << 30, 2ULL << 20 };
	uint64_t def;
	unsigned int i;

	if (eal_cfg.no_huge) {
		mem_page_size = PAGE_4K;
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
		mem_page_size = (uint64_t)sfs.f_bsize;
		return 0;
	}
	def = default_hugepage_size();
	if (def != 0 && free_hugepages(def) > 0) {
		mem_page_size = def;
		return 0;
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (free_hugepages(sizes[i]) > 0) {
			mem_page_size = sizes[i];
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
		if (mem_page_size != PAGE_4K) {
			int shift = __builtin_ctzll(mem_page_size);

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
	if (ftruncate(l->fd, (off_t)(l->n_pages * mem_page_size)) != 0) {
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

void
mem_list_destroy(struct memseg_list *l)
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

int
mem_list_create(struct memseg_list *l, int socket)
{
	uint64_t va_size = mem_page_size == PAGE_4K ? NOHUGE_LIST_SIZE :
			   HUGE_LIST_SIZE;
	uint64_t align = mem_page_size < (1ULL << 30) ? (1ULL << 30) : mem_page_size;
	uint8_t *p;
	uint64_t off;
	int ret;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->socket = socket;
	l->page_sz = mem_page_size;
	l->n_pages = va_size / mem_page_size;
	l->segs = table_alloc(l->n_pages * sizeof(*l->segs));
	l->used = table_alloc(l->n_pages);
	if (l->segs == NULL || l->used == NULL) {
		mem_list_destroy(l);
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
		mem_list_destroy(l);
		return ret;
	}
	off = (align - ((uintptr_t)p & (align - 1))) & (align - 1);
	if (off != 0)
		munmap(p, off);
	munmap(p + off + va_size, align - off);
	l->base = p + off;
	ret = open_backing(l);
	if (ret < 0) {
		mem_list_destroy(l);
		return ret;
	}
	return 0;
}
