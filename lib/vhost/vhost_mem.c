/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest memory: the regions a front-end shares, each mapped once from its
 * fd, and the translations the rings need.
 *
 * Invariants: a struct vhost_mem's regions are sorted by guest address and
 * pairwise disjoint both in guest addresses and in user addresses; every
 * region's [host, host + size) is mapped, readable and writable, and has an
 * inaccessible guard page on each side unless the region next to it in
 * guest memory is mapped right there (a walker bug faults instead of
 * touching an unrelated mapping): regions are placed in the device's
 * window at their guest address (vhost_mem_window.c) when it can take
 * them, else in a reservation of their own; every region's file was at least
 * mmap_offset + size bytes long when mapped. Translations return the
 * length that is contiguous from the address (never past the region).
 *
 * Locking: tables are built by the dispatcher thread; a table a device
 * uses is read by the datapath under a queue lock and replaced only with
 * every queue lock of the device held (vhost_user_mem.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhost_internal.h"

#define PAGE_4K 4096ULL

int
vhost_region_check(struct vhost_dev *dev, const struct vhost_user_mem_region *d)
{
	if (d->size == 0) {
		VHOST_LOG(ERR, dev, "memory region at guest 0x%" PRIx64
			  " has size 0", d->guest_addr);
		return -EINVAL;
	}
	if (d->guest_addr > UINT64_MAX - (d->size - 1) ||
	    d->user_addr > UINT64_MAX - (d->size - 1) ||
	    d->mmap_offset > UINT64_MAX - (d->size - 1) ||
	    d->mmap_offset + (d->size - 1) > (uint64_t)INT64_MAX) {
		VHOST_LOG(ERR, dev, "memory region guest 0x%" PRIx64 " user 0x%"
			  PRIx64 " offset 0x%" PRIx64 " size 0x%" PRIx64
			  " wraps the address space", d->guest_addr,
			  d->user_addr, d->mmap_offset, d->size);
		return -EOVERFLOW;
	}
	return 0;
}

static uint64_t
file_align(const struct stat *st)
{
	uint64_t a = (uint64_t)st->st_blksize;

	/* hugetlbfs reports its page size as the block size */
	if (a < PAGE_4K || (a & (a - 1)) != 0 || a > (1ULL << 30))
		a = PAGE_4K;
	return a;
}

int
vhost_region_map(struct vhost_dev *dev, const struct vhost_user_mem_region *d,
		 int fd, struct vhost_region *r)
{
	struct stat st;
	uint64_t align, map_off, delta, map_len, resv_len;
	struct vhost_mem_window *win = NULL;
	uint8_t *resv, *start;
	void *p;
	int ret;

	ret = vhost_region_check(dev, d);
	if (ret < 0)
		return ret;
	if (fd < 0 || fstat(fd, &st) != 0) {
		VHOST_LOG(ERR, dev, "memory region guest 0x%" PRIx64
			  ": fd %d is not valid", d->guest_addr, fd);
		return -EBADF;
	}
	if (!S_ISREG(st.st_mode)) {
		VHOST_LOG(ERR, dev, "memory region guest 0x%" PRIx64
			  ": fd %d is not a memory file (mode 0%o)",
			  d->guest_addr, fd, (unsigned int)st.st_mode);
		return -EINVAL;
	}
	/* mapping past the end of the file would SIGBUS on first touch */
	if ((uint64_t)st.st_size < d->mmap_offset + d->size) {
		VHOST_LOG(ERR, dev, "memory region guest 0x%" PRIx64 " size 0x%"
			  PRIx64 " at offset 0x%" PRIx64 " ends past its file "
			  "(%" PRIu64 " bytes)", d->guest_addr, d->size,
			  d->mmap_offset, (uint64_t)st.st_size);
		return -EINVAL;
	}
	align = file_align(&st);
	map_off = d->mmap_offset & ~(align - 1);
	delta = d->mmap_offset - map_off;
	if (delta + d->size > UINT64_MAX - 4 * align) {
		VHOST_LOG(ERR, dev, "memory region size 0x%" PRIx64
			  " too large", d->size);
		return -EOVERFLOW;
	}
	map_len = (delta + d->size + align - 1) & ~(align - 1);
	/* in the device's window when it can take it: adjacent in guest
	 * memory -> adjacent here (vhost_mem_window.c) */
	if (d->guest_addr >= delta) {
		start = vhost_mem_window_place(dev, d->guest_addr - delta,
					       map_len, align, fd, map_off);
		if (start != NULL) {
			resv = start;
			resv_len = map_len;
			win = &dev->mem_win;
			goto mapped;
		}
	}
	/* reservation: >= one page of guard before and after, and room to
	 * place the mapping on an `align` boundary */
	resv_len = map_len + 3 * align;
	resv = mmap(NULL, resv_len, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (resv == MAP_FAILED) {
		ret = -errno;
		VHOST_LOG(ERR, dev, "cannot reserve 0x%" PRIx64 " bytes for "
			  "memory region guest 0x%" PRIx64 ": %s", resv_len,
			  d->guest_addr, strerror(-ret));
		return ret;
	}
	start = (uint8_t *)(((uintptr_t)resv + PAGE_4K + align - 1) &
			    ~(uintptr_t)(align - 1));
	p = mmap(start, map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, (off_t)map_off);
	if (p == MAP_FAILED) {
		ret = -errno;
		munmap(resv, resv_len);
		VHOST_LOG(ERR, dev, "cannot map memory region guest 0x%" PRIx64
			  " size 0x%" PRIx64 " (fd %d offset 0x%" PRIx64 "): %s",
			  d->guest_addr, d->size, fd, d->mmap_offset,
			  strerror(-ret));
		return ret;
	}
mapped:
	memset(r, 0, sizeof(*r));
	r->gpa = d->guest_addr;
	r->size = d->size;
	r->uaddr = d->user_addr;
	r->mmap_offset = d->mmap_offset;
	r->host = start + delta;
	r->map_base = resv;
	r->map_len = resv_len;
	r->win = win;
	r->fd = fd;
	r->st_dev = st.st_dev;
	r->st_ino = st.st_ino;
	return 0;
}

void
vhost_region_unmap(struct vhost_region *r)
{
	vhost_async_region_unmap(r);    /* the IOMMU lets go first */
	if (r->win != NULL)
		vhost_mem_window_release(r->win, r->map_base, r->map_len);
	else if (r->map_base != NULL)
		munmap(r->map_base, r->map_len);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

int
vhost_region_same(const struct vhost_region *a, const struct vhost_region *b)
{
	return a->gpa == b->gpa && a->size == b->size &&
	       a->uaddr == b->uaddr && a->mmap_offset == b->mmap_offset &&
	       a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int
cmp_gpa(const void *x, const void *y)
{
	const struct vhost_region *a = x, *b = y;

	return a->gpa < b->gpa ? -1 : a->gpa > b->gpa;
}

int
vhost_mem_build(struct vhost_dev *dev, struct vhost_mem *m)
{
	uint32_t i, j;

	if (m->n > KEEL_VHOST_MAX_MEM_REGIONS)
		return -E2BIG;
	qsort(m->r, m->n, sizeof(m->r[0]), cmp_gpa);
	for (i = 0; i < m->n; i++)
		m->by_uaddr[i] = (uint8_t)i;
	/* insertion sort of the index by user address (n <= 32) */
	for (i = 1; i < m->n; i++) {
		uint8_t k = m->by_uaddr[i];

		for (j = i; j > 0 && m->r[m->by_uaddr[j - 1]].uaddr >
				     m->r[k].uaddr; j--)
			m->by_uaddr[j] = m->by_uaddr[j - 1];
		m->by_uaddr[j] = k;
	}
	for (i = 1; i < m->n; i++) {
		const struct vhost_region *a = &m->r[i - 1], *b = &m->r[i];
		const struct vhost_region *ua = &m->r[m->by_uaddr[i - 1]];
		const struct vhost_region *ub = &m->r[m->by_uaddr[i]];

		if (b->gpa - a->gpa < a->size) {
			VHOST_LOG(ERR, dev, "memory regions overlap: guest 0x%"
				  PRIx64 "+0x%" PRIx64 " and 0x%" PRIx64,
				  a->gpa, a->size, b->gpa);
			return -EINVAL;
		}
		if (ub->uaddr - ua->uaddr < ua->size) {
			VHOST_LOG(ERR, dev, "memory regions overlap: user 0x%"
				  PRIx64 "+0x%" PRIx64 " and 0x%" PRIx64,
				  ua->uaddr, ua->size, ub->uaddr);
			return -EINVAL;
		}
	}
	return 0;
}

/* the region of m holding guest address a (sorted by gpa) */
static const struct vhost_region *
find_gpa(const struct vhost_mem *m, uint64_t a)
{
	uint32_t lo = 0, hi = m->n;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		const struct vhost_region *r = &m->r[mid];

		if (a < r->gpa)
			hi = mid;
		else if (a - r->gpa >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

static const struct vhost_region *
find_uaddr(const struct vhost_mem *m, uint64_t a)
{
	uint32_t lo = 0, hi = m->n;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		const struct vhost_region *r = &m->r[m->by_uaddr[mid]];

		if (a < r->uaddr)
			hi = mid;
		else if (a - r->uaddr >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

const struct vhost_region *
vhost_mem_gpa_find(const struct vhost_mem *m, uint64_t gpa)
{
	return m == NULL ? NULL : find_gpa(m, gpa);
}

uint8_t *
vhost_mem_gpa_to_host(const struct vhost_mem *m, uint64_t gpa, uint64_t len,
		      uint64_t *contig)
{
	const struct vhost_region *r;
	uint64_t off;

	if (m == NULL || (r = find_gpa(m, gpa)) == NULL)
		return NULL;
	off = gpa - r->gpa;
	*contig = r->size - off < len ? r->size - off : len;
	return r->host + off;
}

uint8_t *
vhost_mem_uaddr_to_host(const struct vhost_mem *m, uint64_t uaddr,
			uint64_t len, uint64_t *contig)
{
	const struct vhost_region *r;
	uint64_t off;

	if (m == NULL || (r = find_uaddr(m, uaddr)) == NULL)
		return NULL;
	off = uaddr - r->uaddr;
	*contig = r->size - off < len ? r->size - off : len;
	return r->host + off;
}

uint64_t
vhost_mem_uaddr_to_gpa(const struct vhost_mem *m, uint64_t uaddr)
{
	const struct vhost_region *r;

	if (m == NULL || (r = find_uaddr(m, uaddr)) == NULL)
		return UINT64_MAX;
	return r->gpa + (uaddr - r->uaddr);
}

uint64_t
vhost_mem_host_to_gpa(const struct vhost_mem *m, const void *host)
{
	uintptr_t h = (uintptr_t)host;
	uint32_t i;

	if (m == NULL)
		return UINT64_MAX;
	for (i = 0; i < m->n; i++) {
		uintptr_t base = (uintptr_t)m->r[i].host;

		if (h >= base && h - base < m->r[i].size)
			return m->r[i].gpa + (h - base);
	}
	return UINT64_MAX;
}
