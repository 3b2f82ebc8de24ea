/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOTLB cache: IOVA -> front-end user address translations that the
 * front-end sends with IOTLB UPDATE messages when VIRTIO_F_IOMMU_PLATFORM
 * is negotiated (vhost-user "IOMMU support").
 *
 * Invariant: entries are sorted by IOVA, pairwise disjoint, never empty,
 * never wrap; at most VHOST_IOTLB_MAX. Adjacent entries whose IOVA and
 * user ranges both continue, with the same permissions, are merged, so a
 * run the guest maps page by page translates as one range. `gen` grows
 * with every update: a queue paused on a miss retries only when it moved.
 * It is a cache: when full, an entry is evicted (the queue that needs it
 * again asks again), never refused.
 *
 * Locking: changed only by the dispatcher with every queue lock of the
 * device held; read by the datapath under its queue's lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vhost_internal.h"

/* first entry whose last byte is >= iova */
static uint32_t
lower(const struct vhost_iotlb *t, uint64_t iova)
{
	uint32_t lo = 0, hi = t->n;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		const struct vhost_iotlb_entry *e = &t->e[mid];

		if (e->iova + (e->size - 1) < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
remove_at(struct vhost_iotlb *t, uint32_t i)
{
	memmove(&t->e[i], &t->e[i + 1], (t->n - i - 1) * sizeof(t->e[0]));
	t->n--;
}

static int
insert_at(struct vhost_iotlb *t, uint32_t i, const struct vhost_iotlb_entry *x)
{
	if (t->n >= VHOST_IOTLB_MAX)
		return -ENOSPC;
	memmove(&t->e[i + 1], &t->e[i], (t->n - i) * sizeof(t->e[0]));
	t->e[i] = *x;
	t->n++;
	return 0;
}

/* remove [iova, last] from the table, trimming and splitting entries */
static void
cut(struct vhost_iotlb *t, uint64_t iova, uint64_t last)
{
	uint32_t i = lower(t, iova);

	while (i < t->n && t->e[i].iova <= last) {
		struct vhost_iotlb_entry *e = &t->e[i];
		uint64_t e_last = e->iova + (e->size - 1);

		if (e->iova < iova && e_last > last) {
			/* split: keep both ends (drop the tail when full) */
			struct vhost_iotlb_entry tail = *e;
			uint64_t skip = last + 1 - e->iova;

			tail.iova = last + 1;
			tail.uaddr = e->uaddr + skip;
			tail.size = e_last - last;
			e->size = iova - e->iova;
			insert_at(t, i + 1, &tail);
			return;
		}
		if (e->iova < iova) {           /* keep the head */
			e->size = iova - e->iova;
			i++;
		} else if (e_last > last) {     /* keep the tail */
			uint64_t skip = last + 1 - e->iova;

			e->iova += skip;
			e->uaddr += skip;
			e->size -= skip;
			return;
		} else {
			remove_at(t, i);
		}
	}
}

static int
mergeable(const struct vhost_iotlb_entry *a, const struct vhost_iotlb_entry *b)
{
	return a->perm == b->perm && a->iova + a->size == b->iova &&
	       a->uaddr + a->size == b->uaddr &&
	       a->size <= UINT64_MAX - b->size;
}

int
vhost_iotlb_update(struct vhost_dev *dev, uint64_t iova, uint64_t size,
		   uint64_t uaddr, uint8_t perm)
{
	struct vhost_iotlb *t = &dev->iotlb;
	struct vhost_iotlb_entry x = {
		.iova = iova, .size = size, .uaddr = uaddr, .perm = perm,
	};
	uint32_t i;

	if (size == 0 || iova > UINT64_MAX - (size - 1) ||
	    uaddr > UINT64_MAX - (size - 1)) {
		VHOST_LOG(ERR, dev, "IOTLB update iova 0x%" PRIx64 " size 0x%"
			  PRIx64 " uaddr 0x%" PRIx64 ": empty or wraps",
			  iova, size, uaddr);
		return -EINVAL;
	}
	if (perm == 0 || perm > VHOST_ACCESS_RW) {
		VHOST_LOG(ERR, dev, "IOTLB update iova 0x%" PRIx64
			  ": bad permissions %u", iova, perm);
		return -EINVAL;
	}
	if (t->e == NULL) {
		t->e = calloc(VHOST_IOTLB_MAX, sizeof(t->e[0]));
		if (t->e == NULL)
			return -ENOMEM;
	}
	cut(t, iova, iova + (size - 1));
	if (t->n >= VHOST_IOTLB_MAX)   /* evict one, spread by generation */
		remove_at(t, (uint32_t)(t->gen % t->n));
	i = lower(t, iova);
	/* merge with the previous and/or next entry */
	if (i > 0 && mergeable(&t->e[i - 1], &x)) {
		t->e[i - 1].size += x.size;
		if (i < t->n && mergeable(&t->e[i - 1], &t->e[i])) {
			t->e[i - 1].size += t->e[i].size;
			remove_at(t, i);
		}
	} else if (i < t->n && mergeable(&x, &t->e[i])) {
		t->e[i].iova = x.iova;
		t->e[i].uaddr = x.uaddr;
		t->e[i].size += x.size;
	} else {
		insert_at(t, i, &x);
	}
	t->gen++;
	return 0;
}

void
vhost_iotlb_invalidate(struct vhost_dev *dev, uint64_t iova, uint64_t size)
{
	uint64_t last;

	if (size == 0)
		return;
	last = iova > UINT64_MAX - (size - 1) ? UINT64_MAX : iova + (size - 1);
	cut(&dev->iotlb, iova, last);
	dev->iotlb.gen++;
}

void
vhost_iotlb_flush(struct vhost_iotlb *t)
{
	free(t->e);
	t->e = NULL;
	t->n = 0;
	t->gen++;
}

int
vhost_iotlb_lookup(const struct vhost_iotlb *t, uint64_t iova, uint64_t len,
		   uint8_t perm, uint64_t *uaddr, uint64_t *contig)
{
	const struct vhost_iotlb_entry *e;
	uint32_t i = lower(t, iova);
	uint64_t off;

	if (i >= t->n || t->e[i].iova > iova)
		return -ENOENT;
	e = &t->e[i];
	if ((e->perm & perm) != perm)
		return -EACCES;
	off = iova - e->iova;
	*uaddr = e->uaddr + off;
	*contig = e->size - off < len ? e->size - off : len;
	return 0;
}
