/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory message handlers: SET_MEM_TABLE, ADD_MEM_REG, REM_MEM_REG,
 * GET_MAX_MEM_SLOTS, SET_LOG_BASE.
 *
 * Every change builds the next table apart from the current one, then
 * swaps it in with every queue lock held (after the queues' in-flight
 * copies drained: the async seam), then unmaps what the new table no
 * longer holds. A region that is in both tables (same addresses, size,
 * offset and file) keeps its mapping: a new SET_MEM_TABLE costs only
 * what changed. On any failure the current table is untouched.
 * Locking: dispatcher thread; the swap under vhost_dev_lock_all().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhost_internal.h"

static void
desc_of(const struct vhost_region *r, struct vhost_user_mem_region *d)
{
	d->guest_addr = r->gpa;
	d->size = r->size;
	d->user_addr = r->uaddr;
	d->mmap_offset = r->mmap_offset;
}

/* the current region identical to description d on file fd, or NULL */
static const struct vhost_region *
find_same(const struct vhost_mem *cur, const struct vhost_user_mem_region *d,
	  int fd)
{
	struct vhost_region probe;
	struct stat st;
	uint32_t i;

	if (cur == NULL || fstat(fd, &st) != 0)
		return NULL;
	memset(&probe, 0, sizeof(probe));
	probe.gpa = d->guest_addr;
	probe.size = d->size;
	probe.uaddr = d->user_addr;
	probe.mmap_offset = d->mmap_offset;
	probe.st_dev = st.st_dev;
	probe.st_ino = st.st_ino;
	for (i = 0; i < cur->n; i++)
		if (vhost_region_same(&cur->r[i], &probe))
			return &cur->r[i];
	return NULL;
}

static int
in_table(const struct vhost_mem *m, const struct vhost_region *r)
{
	uint32_t i;

	for (i = 0; m != NULL && i < m->n; i++)
		if (m->r[i].map_base == r->map_base)
			return 1;
	return 0;
}

/* undo a next table that was never applied: unmap only its new regions */
static void
discard_next(struct vhost_dev *dev, struct vhost_mem *next)
{
	uint32_t i;

	for (i = 0; i < next->n; i++)
		if (!in_table(dev->mem, &next->r[i]))
			vhost_region_unmap(&next->r[i]);
	free(next);
}

int
vhost_mem_apply(struct vhost_dev *dev, struct vhost_mem *next)
{
	struct vhost_mem *old;
	uint32_t i;
	int ret;

	ret = vhost_mem_build(dev, next);
	if (ret == 0)
		ret = vhost_async_mem_map(dev, next);
	if (ret < 0) {
		discard_next(dev, next);
		return ret;
	}
	vhost_dev_lock_all(dev);
	vhost_dev_drain_locked(dev);
	old = dev->mem;
	dev->mem = next;
	/* ring pointers point into the old mappings: translate again */
	for (i = 0; i < dev->nr_vring; i++)
		if (dev->vq[i] != NULL) {
			dev->vq[i]->ready = 0;
			dev->vq[i]->xc_size = 0;    /* its region may be gone */
		}
	vhost_dev_unlock_all(dev);
	if (old != NULL) {
		for (i = 0; i < old->n; i++)
			if (!in_table(next, &old->r[i]))
				vhost_region_unmap(&old->r[i]);
		free(old);
	}
	vhost_dev_update_state(dev);
	return 0;
}

int
vhost_user_set_mem_table(struct vhost_dev *dev, struct vhost_user_msg *msg,
			 int *fds, uint32_t nfds)
{
	const struct vhost_user_mem_table *t = &msg->payload.mem;
	struct vhost_mem *next;
	uint32_t i, kept = 0;
	int ret;

	if (t->nregions > VHOST_USER_MEM_TABLE_MAX ||
	    msg->size != 8 + t->nregions * sizeof(t->regions[0]) ||
	    nfds != t->nregions) {
		VHOST_LOG(ERR, dev, "SET_MEM_TABLE: %u regions in %u bytes with "
			  "%u fds (at most %u regions, one fd each)",
			  t->nregions, msg->size, nfds, VHOST_USER_MEM_TABLE_MAX);
		return VH_CLOSE;
	}
	for (i = 0; i < t->nregions; i++) {
		ret = vhost_region_check(dev, &t->regions[i]);
		if (ret < 0)
			return ret;
	}
	next = calloc(1, sizeof(*next));
	if (next == NULL)
		return -ENOMEM;
	for (i = 0; i < t->nregions; i++) {
		const struct vhost_region *same;

		same = find_same(dev->mem, &t->regions[i], fds[i]);
		if (same != NULL && !in_table(next, same)) {
			next->r[next->n++] = *same;   /* keeps its mapping */
			kept++;
			continue;
		}
		ret = vhost_region_map(dev, &t->regions[i], fds[i],
				       &next->r[next->n]);
		if (ret < 0) {
			discard_next(dev, next);
			return ret;
		}
		fds[i] = -1;
		next->n++;
	}
	ret = vhost_mem_apply(dev, next);
	if (ret < 0)
		return ret;
	VHOST_LOG(INFO, dev, "memory table: %u regions (%u kept, %u mapped)",
		  t->nregions, kept, t->nregions - kept);
	return VH_OK;
}

int
vhost_user_get_max_mem_slots(struct vhost_dev *dev, struct vhost_user_msg *msg,
			     int *fds, uint32_t nfds)
{
	(void)dev; (void)fds; (void)nfds;
	msg->payload.u64 = KEEL_VHOST_MAX_MEM_REGIONS;
	msg->size = sizeof(uint64_t);
	return VH_REPLY;
}

static struct vhost_mem *
copy_table(const struct vhost_mem *cur)
{
	struct vhost_mem *next = calloc(1, sizeof(*next));

	if (next != NULL && cur != NULL) {
		memcpy(next->r, cur->r, cur->n * sizeof(cur->r[0]));
		next->n = cur->n;
	}
	return next;
}

int
vhost_user_add_mem_reg(struct vhost_dev *dev, struct vhost_user_msg *msg,
		       int *fds, uint32_t nfds)
{
	const struct vhost_user_mem_region *d = &msg->payload.mem_single.region;
	struct vhost_mem *next;
	int ret;

	if (nfds != 1) {
		VHOST_LOG(ERR, dev, "ADD_MEM_REG needs one fd, got %u", nfds);
		return VH_CLOSE;
	}
	if (dev->mem != NULL && dev->mem->n >= KEEL_VHOST_MAX_MEM_REGIONS) {
		VHOST_LOG(ERR, dev, "ADD_MEM_REG guest 0x%" PRIx64 ": all %u "
			  "slots used", d->guest_addr, KEEL_VHOST_MAX_MEM_REGIONS);
		return -ENOSPC;
	}
	next = copy_table(dev->mem);
	if (next == NULL)
		return -ENOMEM;
	ret = vhost_region_map(dev, d, fds[0], &next->r[next->n]);
	if (ret < 0) {
		free(next);
		return ret;
	}
	fds[0] = -1;
	next->n++;
	ret = vhost_mem_apply(dev, next);
	if (ret < 0)
		return ret;
	VHOST_LOG(INFO, dev, "added memory region guest 0x%" PRIx64 " size 0x%"
		  PRIx64 " (%u regions)", d->guest_addr, d->size, dev->mem->n);
	return VH_OK;
}

int
vhost_user_rem_mem_reg(struct vhost_dev *dev, struct vhost_user_msg *msg,
		       int *fds, uint32_t nfds)
{
	const struct vhost_user_mem_region *d = &msg->payload.mem_single.region;
	struct vhost_user_mem_region have;
	struct vhost_mem *next;
	uint32_t i;

	/* an fd here is tolerated and closed unused (vhost-user spec) */
	(void)fds; (void)nfds;
	for (i = 0; dev->mem != NULL && i < dev->mem->n; i++) {
		desc_of(&dev->mem->r[i], &have);
		if (have.guest_addr == d->guest_addr &&
		    have.user_addr == d->user_addr && have.size == d->size)
			break;
	}
	if (dev->mem == NULL || i == dev->mem->n) {
		VHOST_LOG(ERR, dev, "REM_MEM_REG guest 0x%" PRIx64 " user 0x%"
			  PRIx64 " size 0x%" PRIx64 ": no such region",
			  d->guest_addr, d->user_addr, d->size);
		return -ENOENT;
	}
	next = copy_table(dev->mem);
	if (next == NULL)
		return -ENOMEM;
	memmove(&next->r[i], &next->r[i + 1],
		(next->n - i - 1) * sizeof(next->r[0]));
	next->n--;
	vhost_mem_apply(dev, next);   /* a subset of a valid table */
	VHOST_LOG(INFO, dev, "removed memory region guest 0x%" PRIx64 " size 0x%"
		  PRIx64 " (%u regions)", d->guest_addr, d->size, next->n);
	return VH_OK;
}

int
vhost_user_set_log_base(struct vhost_dev *dev, struct vhost_user_msg *msg,
			int *fds, uint32_t nfds)
{
	int ret;

	if (nfds != 1) {
		VHOST_LOG(ERR, dev, "SET_LOG_BASE needs one fd, got %u", nfds);
		return VH_CLOSE;
	}
	ret = vhost_log_set(dev, fds[0], msg->payload.log.size,
			    msg->payload.log.offset);
	if (ret < 0)
		return ret;
	/* the front-end waits for a reply without payload (with LOG_SHMFD) */
	msg->size = 0;
	return VH_REPLY;
}
