/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fake VFIO kernel, groups and devices: group status and container
 * attach, device info, regions (config space, BAR0 mmap-able, BAR2),
 * interrupts by eventfd, reset. Called under fake_vfio.c's lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake_vfio_internal.h"

static const uint32_t irq_counts[FAKE_NUM_IRQS] = { 1, 1, FAKE_MAX_VECS, 1, 1 };
static const uint32_t irq_flags[FAKE_NUM_IRQS] = {
	VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED,
	VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
	VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
	VFIO_IRQ_INFO_EVENTFD,
	VFIO_IRQ_INFO_EVENTFD,
};

/* ---- group ---- */

int
group_ioctl(struct fgroup *g, unsigned long req, void *arg)
{
	unsigned int i;

	switch (req) {
	case VFIO_GROUP_GET_STATUS: {
		struct vfio_group_status *st = arg;

		if (st->argsz < sizeof(*st))
			return fake_fail(EINVAL);
		st->flags = (g->cfg.not_viable ? 0 : VFIO_GROUP_FLAGS_VIABLE) |
			    (g->container ? VFIO_GROUP_FLAGS_CONTAINER_SET : 0);
		return 0;
	}
	case VFIO_GROUP_SET_CONTAINER: {
		struct fobject *o = fake_fd_get(*(int *)arg);

		if (g->container != NULL)
			return fake_fail(EINVAL);
		if (g->cfg.not_viable)
			return fake_fail(EPERM);
		if (o == NULL || o->type != F_CONTAINER)
			return fake_fail(EBADF);
		g->container = o->p;
		g->container->n_groups++;
		return 0;
	}
	case VFIO_GROUP_UNSET_CONTAINER: {
		struct fcontainer *c = g->container;

		if (c == NULL)
			return fake_fail(EINVAL);
		if (g->dev_fds > 0)
			return fake_fail(EBUSY);
		g->container = NULL;
		if (--c->n_groups == 0) {
			/* the IOMMU goes with the last group: mappings too */
			c->iommu_set = false;
			c->n_maps = 0;
			c->dma_avail = 0;
		}
		container_maybe_free(c);
		return 0;
	}
	case VFIO_GROUP_GET_DEVICE_FD: {
		const char *name = arg;
		int fd;

		if (g->container == NULL || !g->container->iommu_set)
			return fake_fail(EINVAL);
		for (i = 0; i < fk.n_devices; i++) {
			if (fk.devices[i].group == g &&
			    strcmp(fk.devices[i].cfg.name, name) == 0) {
				fd = fake_fd_alloc(F_DEVICE, &fk.devices[i]);
				if (fd >= 0)
					g->dev_fds++;
				return fd;
			}
		}
		return fake_fail(ENODEV);
	}
	default:
		return fake_fail(ENOTTY);
	}
}

/* ---- device ---- */

uint64_t
region_size(struct fdevice *d, uint32_t index, uint32_t *flags)
{
	(void)d;
	switch (index) {
	case VFIO_PCI_BAR0_REGION_INDEX:
		*flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			 VFIO_REGION_INFO_FLAG_MMAP;
		return FAKE_BAR0_SIZE;
	case VFIO_PCI_BAR2_REGION_INDEX:
		*flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		return FAKE_BAR2_SIZE;
	case VFIO_PCI_CONFIG_REGION_INDEX:
		*flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		return FAKE_CFG_SIZE;
	default:
		*flags = 0;
		return 0;
	}
}

void
device_reset_state(struct fdevice *d)
{
	memset(d->config, 0, sizeof(d->config));
	d->config[0] = 0x86;     /* vendor 0x8086 */
	d->config[1] = 0x80;
	d->config[2] = 0x0e;     /* device 0x100e (82540EM) */
	d->config[3] = 0x10;
	memset(d->bar0, 0, FAKE_BAR0_SIZE);
	memset(d->bar2, 0, sizeof(d->bar2));
}

static int
set_irqs(struct fdevice *d, struct vfio_irq_set *s)
{
	uint32_t dtype = s->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	uint32_t atype = s->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	uint32_t i;

	if (s->argsz < sizeof(*s) || s->index >= FAKE_NUM_IRQS)
		return fake_fail(EINVAL);
	if (__builtin_popcount(dtype) != 1 || __builtin_popcount(atype) != 1 ||
	    (s->flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK |
			  VFIO_IRQ_SET_ACTION_TYPE_MASK)))
		return fake_fail(EINVAL);
	if (dtype == VFIO_IRQ_SET_DATA_NONE && atype == VFIO_IRQ_SET_ACTION_TRIGGER &&
	    s->count == 0) {
		for (i = 0; i < FAKE_MAX_VECS; i++)
			d->efd[s->index][i] = -1;
		return 0;
	}
	if (s->count == 0 || s->start >= irq_counts[s->index] ||
	    s->count > irq_counts[s->index] - s->start)
		return fake_fail(EINVAL);
	if (dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
		if (atype != VFIO_IRQ_SET_ACTION_TRIGGER)
			return fake_fail(EINVAL);
		if (s->argsz < sizeof(*s) + s->count * sizeof(int32_t))
			return fake_fail(EINVAL);
		for (i = 0; i < s->count; i++) {
			int32_t fd;

			memcpy(&fd, s->data + i * sizeof(fd), sizeof(fd));
			if (fd != -1 && fcntl(fd, F_GETFD) < 0)
				return fake_fail(EBADF);
		}
		for (i = 0; i < s->count; i++)
			memcpy(&d->efd[s->index][s->start + i],
			       s->data + i * sizeof(int32_t), sizeof(int32_t));
		return 0;
	}
	if (dtype == VFIO_IRQ_SET_DATA_NONE && atype == VFIO_IRQ_SET_ACTION_UNMASK) {
		d->unmasks++;
		return 0;
	}
	return fake_fail(EINVAL);
}

int
device_ioctl(struct fdevice *d, unsigned long req, void *arg)
{
	switch (req) {
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info *di = arg;

		if (di->argsz < offsetof(struct vfio_device_info, cap_offset))
			return fake_fail(EINVAL);
		di->flags = (d->cfg.not_pci ? VFIO_DEVICE_FLAGS_PLATFORM :
			     VFIO_DEVICE_FLAGS_PCI) |
			    (d->cfg.has_reset ? VFIO_DEVICE_FLAGS_RESET : 0);
		di->num_regions = VFIO_PCI_NUM_REGIONS;
		di->num_irqs = FAKE_NUM_IRQS;
		return 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO: {
		struct vfio_region_info *ri = arg;
		uint32_t flags;

		if (ri->argsz < offsetof(struct vfio_region_info, offset) + 8 ||
		    ri->index >= VFIO_PCI_NUM_REGIONS ||
		    ri->index == VFIO_PCI_VGA_REGION_INDEX)
			return fake_fail(EINVAL);
		ri->size = region_size(d, ri->index, &flags);
		ri->flags = flags;
		ri->offset = (uint64_t)ri->index << REGION_SHIFT;
		ri->cap_offset = 0;
		return 0;
	}
	case VFIO_DEVICE_GET_IRQ_INFO: {
		struct vfio_irq_info *ii = arg;

		if (ii->argsz < sizeof(*ii) || ii->index >= FAKE_NUM_IRQS)
			return fake_fail(EINVAL);
		ii->flags = irq_flags[ii->index];
		ii->count = irq_counts[ii->index];
		return 0;
	}
	case VFIO_DEVICE_SET_IRQS:
		return set_irqs(d, arg);
	case VFIO_DEVICE_RESET:
		if (!d->cfg.has_reset)
			return fake_fail(EINVAL);
		d->resets++;
		device_reset_state(d);
		return 0;
	default:
		return fake_fail(ENOTTY);
	}
}

uint8_t *
region_mem(struct fdevice *d, uint64_t off, size_t *avail)
{
	uint32_t index = (uint32_t)(off >> REGION_SHIFT), flags;
	uint64_t pos = off & ((UINT64_C(1) << REGION_SHIFT) - 1);
	uint64_t size = region_size(d, index, &flags);
	uint8_t *base;

	if (pos >= size)
		return NULL;
	*avail = (size_t)(size - pos);
	base = index == VFIO_PCI_BAR0_REGION_INDEX ? d->bar0 :
	       index == VFIO_PCI_BAR2_REGION_INDEX ? d->bar2 : d->config;
	return base + pos;
}

