/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The guest-memory window of a device: regions adjacent in guest memory
 * are adjacent in our address space, so the IOMMU map table merges their
 * DMA mappings (doc/guides/vhost.md, "Guest memory").
 *
 * Invariants: while win->n > 0, [resv, resv + resv_len) is reserved by us
 * (PROT_NONE, MAP_NORESERVE) except for the ranges in used[], each of them
 * one region's file mapping at base + (its guest address - origin);
 * used[] ranges are pairwise disjoint and lie in [base, base +
 * VHOST_MEM_WINDOW); at least one inaccessible page precedes base and
 * follows base + VHOST_MEM_WINDOW, and every byte of the window no region
 * holds is inaccessible (the guards between non-adjacent regions). The
 * reservation is made with the first placement and dropped with the last
 * release, so a device holds no address space while it has no memory.
 * A region the window cannot take (outside [origin, origin +
 * VHOST_MEM_WINDOW), its file offset not congruent with its guest address
 * modulo the page size, overlapping a range in use) is mapped on its own
 * by the caller, with its own guards: correct, just not merged.
 * Locking: as the device's memory tables (the dispatcher thread, or
 * vhost_dev_reset()'s caller).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include "vhost_internal.h"

#define WIN_ALIGN (1ULL << 30)   /* base: any page size up to 1 GiB fits */

static void
window_drop(struct vhost_mem_window *w)
{
	munmap(w->resv, w->resv_len);
	memset(w, 0, sizeof(*w));
}

static int
window_reserve(struct vhost_dev *dev, struct vhost_mem_window *w,
	       uint64_t gpa)
{
	uint64_t len = VHOST_MEM_WINDOW + 2 * WIN_ALIGN;
	void *p;

	p = mmap(NULL, len, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		VHOST_LOG(DEBUG, dev, "no 0x%" PRIx64 "-byte window for guest "
			  "memory (%s): regions mapped one by one", len,
			  strerror(errno));
		return -1;
	}
	memset(w, 0, sizeof(*w));
	w->resv = p;
	w->resv_len = len;
	/* >= 4 KiB before base and >= 1 GiB - 4 KiB after the window */
	w->base = (uint8_t *)(((uintptr_t)p + 4096 + WIN_ALIGN - 1) &
			      ~(uintptr_t)(WIN_ALIGN - 1));
	w->origin = gpa & ~(VHOST_MEM_WINDOW - 1);
	return 0;
}

uint8_t *
vhost_mem_window_place(struct vhost_dev *dev, uint64_t gpa, uint64_t len,
		       uint64_t align, int fd, uint64_t file_off)
{
	struct vhost_mem_window *w = &dev->mem_win;
	uint64_t off;
	uint32_t i, slot = VHOST_MEM_WINDOW_SLOTS;
	uint8_t *at;
	void *p;

	if ((gpa & (align - 1)) != 0)
		return NULL;         /* would not sit on a page boundary */
	if (w->n == 0 && window_reserve(dev, w, gpa) < 0)
		return NULL;
	if (gpa < w->origin || gpa - w->origin > VHOST_MEM_WINDOW ||
	    len > VHOST_MEM_WINDOW - (gpa - w->origin))
		goto refuse;
	off = gpa - w->origin;
	for (i = 0; i < VHOST_MEM_WINDOW_SLOTS; i++) {
		if (w->used[i].len == 0) {
			if (slot == VHOST_MEM_WINDOW_SLOTS)
				slot = i;
			continue;
		}
		if (off < w->used[i].off + w->used[i].len &&
		    w->used[i].off < off + len)
			goto refuse;      /* taken (e.g. overlapping regions) */
	}
	if (slot == VHOST_MEM_WINDOW_SLOTS)
		goto refuse;
	at = w->base + off;
	p = mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 (off_t)file_off);
	if (p == MAP_FAILED) {
		int err = errno;

		/* a failed MAP_FIXED may have dropped the reservation there */
		if (mmap(at, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED) {
			/* keep the range so nothing is placed over a hole */
			w->used[slot].off = off;
			w->used[slot].len = len;
			w->n++;
		}
		errno = err;
		goto refuse;
	}
	w->used[slot].off = off;
	w->used[slot].len = len;
	w->n++;
	return at;
refuse:
	if (w->n == 0)
		window_drop(w);
	return NULL;
}

void
vhost_mem_window_release(struct vhost_mem_window *w, void *at, uint64_t len)
{
	uint64_t off = (uint64_t)((uint8_t *)at - w->base);
	uint32_t i;

	for (i = 0; i < VHOST_MEM_WINDOW_SLOTS; i++)
		if (w->used[i].len == len && w->used[i].off == off)
			break;
	if (i == VHOST_MEM_WINDOW_SLOTS)
		return;              /* not ours: nothing to do */
	if (mmap(at, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED) {
		/* the file mapping must go even so; the range stays taken
		 * (a hole in the reservation is never reused by us) */
		KEEL_LOG(ERR, keel_logtype_vhost, "vhost: cannot reserve guest "
			 "memory window range %p+0x%" PRIx64 " again: %s", at,
			 len, strerror(errno));
		munmap(at, len);
		return;
	}
	w->used[i].len = 0;
	w->used[i].off = 0;
	if (--w->n == 0)
		window_drop(w);
}
