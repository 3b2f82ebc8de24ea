/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VFIO PCI device: fd from its group, region info, BAR mmap, config
 * space and region I/O, reset, interrupts as eventfds.
 *
 * Invariants: regions[i] is the kernel's answer for index i < n_regions
 * (size 0 = absent); bars[i].addr != NULL iff BAR i is mmapped;
 * irq_enabled bit i set iff eventfds are attached to index i. A device is
 * used by one thread at a time; open/close take the container's lock for
 * the group reference.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "keel_log.h"
#include "vfio_internal.h"

#define DEV_MAX_REGIONS (VFIO_PCI_VGA_REGION_INDEX + 1)
#define DEV_MAX_IRQS 32

struct vfio_bar_map {
	void *addr;
	uint64_t len;
};

struct keel_vfio_device {
	struct keel_vfio_container *c;
	struct vfio_group *g;
	char name[32];
	int fd;
	uint32_t flags;
	uint32_t num_regions;
	uint32_t num_irqs;
	uint32_t n_regions;                 /* cached: min(num, MAX) */
	struct keel_vfio_region regions[DEV_MAX_REGIONS];
	struct vfio_bar_map bars[KEEL_VFIO_PCI_NUM_BARS];
	uint32_t irq_enabled;
};

static void
dev_unref_group(struct keel_vfio_device *d)
{
	struct keel_vfio_container *c = d->c;

	pthread_mutex_lock(&c->lock);
	vfio_group_unref_device_locked(c, d->g);
	c->n_devices--;
	pthread_mutex_unlock(&c->lock);
}

static int
dev_read_regions(struct keel_vfio_device *d)
{
	const struct keel_vfio_sys_ops *sys = vfio_sys();
	uint32_t i;

	d->n_regions = d->num_regions < DEV_MAX_REGIONS ? d->num_regions :
		       DEV_MAX_REGIONS;
	for (i = 0; i < d->n_regions; i++) {
		struct vfio_region_info ri;

		memset(&ri, 0, sizeof(ri));
		ri.argsz = sizeof(ri);
		ri.index = i;
		d->regions[i].index = i;
		if (sys->ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0) {
			int err = errno;

			if (err == EINVAL)   /* absent region, e.g. VGA */
				continue;
			KEEL_LOG(ERR, keel_logtype_vfio,
				 "vfio: %s: VFIO_DEVICE_GET_REGION_INFO %u: %s",
				 d->name, i, strerror(err));
			return vfio_err(err);
		}
		if (ri.size != 0 && ri.offset > (uint64_t)INT64_MAX - ri.size) {
			KEEL_LOG(ERR, keel_logtype_vfio,
				 "vfio: %s: region %u offset 0x%llx size 0x%llx overflows",
				 d->name, i, (unsigned long long)ri.offset,
				 (unsigned long long)ri.size);
			return vfio_err(EPROTO);
		}
		d->regions[i].flags = ri.flags;
		d->regions[i].size = ri.size;
		d->regions[i].offset = ri.offset;
	}
	return 0;
}

int
keel_vfio_device_open(struct keel_vfio_container *c, const char *bdf,
		      struct keel_vfio_device **out)
{
	const struct keel_vfio_sys_ops *sys = vfio_sys();
	struct vfio_device_info di;
	struct keel_vfio_device *d;
	int num, ret, err;

	if (c == NULL || out == NULL) {
		KEEL_LOG(ERR, keel_logtype_vfio, "vfio: device open: NULL argument");
		return vfio_err(EINVAL);
	}
	ret = keel_vfio_pci_group_num(bdf, &num);
	if (ret < 0)
		return ret;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return vfio_err(ENOMEM);
	d->c = c;
	d->fd = -1;
	snprintf(d->name, sizeof(d->name), "%s", bdf);
	pthread_mutex_lock(&c->lock);
	ret = vfio_group_ref_locked(c, num, false, &d->g);
	if (ret == 0)
		c->n_devices++;
	pthread_mutex_unlock(&c->lock);
	if (ret < 0) {
		free(d);
		return ret;
	}
	d->fd = vfio_group_device_fd(d->g, d->name);
	if (d->fd < 0) {
		ret = d->fd;
		goto fail;
	}
	memset(&di, 0, sizeof(di));
	di.argsz = sizeof(di);
	if (sys->ioctl(d->fd, VFIO_DEVICE_GET_INFO, &di) < 0) {
		err = errno;
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: VFIO_DEVICE_GET_INFO %s: %s", d->name,
			 strerror(err));
		ret = vfio_err(err);
		goto fail;
	}
	if (!(di.flags & VFIO_DEVICE_FLAGS_PCI)) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: %s is not a vfio-pci device (flags 0x%x)",
			 d->name, di.flags);
		ret = vfio_err(ENODEV);
		goto fail;
	}
	d->flags = di.flags;
	d->num_regions = di.num_regions;
	d->num_irqs = di.num_irqs;
	ret = dev_read_regions(d);
	if (ret < 0)
		goto fail;
	vfio_obj_get();
	*out = d;
	return 0;
fail:
	if (d->fd >= 0)
		sys->close(d->fd);
	dev_unref_group(d);
	free(d);
	errno = -ret;
	return ret;
}

void
keel_vfio_device_close(struct keel_vfio_device *d)
{
	unsigned int i;

	if (d == NULL)
		return;
	for (i = 0; i < KEEL_VFIO_PCI_NUM_BARS; i++)
		if (d->bars[i].addr != NULL)
			keel_vfio_bar_unmap(d, i);
	for (i = 0; i < DEV_MAX_IRQS; i++)
		if (d->irq_enabled & (1u << i))
			keel_vfio_irq_disable(d, i);
	vfio_sys()->close(d->fd);
	dev_unref_group(d);
	free(d);
	vfio_obj_put();
}

int
keel_vfio_device_fd(const struct keel_vfio_device *d)
{
	return d == NULL ? vfio_err(EINVAL) : d->fd;
}

uint32_t
keel_vfio_device_flags(const struct keel_vfio_device *d)
{
	return d == NULL ? 0 : d->flags;
}

uint32_t
keel_vfio_device_num_regions(const struct keel_vfio_device *d)
{
	return d == NULL ? 0 : d->num_regions;
}

uint32_t
keel_vfio_device_num_irqs(const struct keel_vfio_device *d)
{
	return d == NULL ? 0 : d->num_irqs;
}

static const struct keel_vfio_region *
dev_region(struct keel_vfio_device *d, uint32_t index)
{
	if (index >= d->n_regions || d->regions[index].size == 0) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: %s has no region %u (%u regions)", d->name,
			 index, d->num_regions);
		return NULL;
	}
	return &d->regions[index];
}

int
keel_vfio_region_info(struct keel_vfio_device *d, uint32_t index,
		      struct keel_vfio_region *r)
{
	const struct keel_vfio_region *x;

	if (d == NULL || r == NULL)
		return vfio_err(EINVAL);
	x = dev_region(d, index);
	if (x == NULL)
		return vfio_err(EINVAL);
	*r = *x;
	return 0;
}

int
keel_vfio_bar_map(struct keel_vfio_device *d, unsigned int bar, void **addr,
		  uint64_t *len)
{
	const struct keel_vfio_region *r;
	void *p;
	int err;

	if (d == NULL || addr == NULL || bar >= KEEL_VFIO_PCI_NUM_BARS) {
		KEEL_LOG(ERR, keel_logtype_vfio, "vfio: BAR %u is not 0..%d",
			 bar, KEEL_VFIO_PCI_NUM_BARS - 1);
		return vfio_err(EINVAL);
	}
	r = dev_region(d, bar);
	if (r == NULL)
		return vfio_err(EINVAL);
	if (!(r->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: %s BAR %u cannot be mmapped (flags 0x%x): use region read/write",
			 d->name, bar, r->flags);
		return vfio_err(ENOTSUP);
	}
	if (r->size > SIZE_MAX) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: %s BAR %u size 0x%" PRIx64 " too large", d->name,
			 bar, r->size);
		return vfio_err(EINVAL);
	}
	if (d->bars[bar].addr == NULL) {
		p = vfio_sys()->mmap(NULL, (size_t)r->size,
				     PROT_READ | PROT_WRITE, MAP_SHARED, d->fd,
				     (off_t)r->offset);
		if (p == MAP_FAILED) {
			err = errno;
			KEEL_LOG(ERR, keel_logtype_vfio,
				 "vfio: mmap of %s BAR %u (0x%" PRIx64 " bytes at 0x%" PRIx64 "): %s",
				 d->name, bar, r->size, r->offset,
				 strerror(err));
			return vfio_err(err);
		}
		d->bars[bar].addr = p;
		d->bars[bar].len = r->size;
	}
	*addr = d->bars[bar].addr;
	if (len != NULL)
		*len = d->bars[bar].len;
	return 0;
}

int
keel_vfio_bar_unmap(struct keel_vfio_device *d, unsigned int bar)
{
	if (d == NULL || bar >= KEEL_VFIO_PCI_NUM_BARS ||
	    d->bars[bar].addr == NULL) {
		KEEL_LOG(ERR, keel_logtype_vfio, "vfio: BAR %u is not mapped",
			 bar);
		return vfio_err(ENOENT);
	}
	if (vfio_sys()->munmap(d->bars[bar].addr, (size_t)d->bars[bar].len) < 0)
		KEEL_LOG(WARNING, keel_logtype_vfio,
			 "vfio: munmap of %s BAR %u: %s", d->name, bar,
			 strerror(errno));
	d->bars[bar].addr = NULL;
	d->bars[bar].len = 0;
	return 0;
}

static int
region_io(struct keel_vfio_device *d, uint32_t index, uint64_t off,
	  void *rbuf, const void *wbuf, size_t len)
{
	const struct keel_vfio_region *r;
	uint32_t need = rbuf ? VFIO_REGION_INFO_FLAG_READ :
			VFIO_REGION_INFO_FLAG_WRITE;
	ssize_t n;

	if (d == NULL || (rbuf == NULL && wbuf == NULL))
		return vfio_err(EINVAL);
	r = dev_region(d, index);
	if (r == NULL)
		return vfio_err(EINVAL);
	if (len == 0 || off >= r->size || len > r->size - off) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: %s region %u: [0x%" PRIx64 ", +0x%zx) is outside its 0x%" PRIx64 " bytes",
			 d->name, index, off, len, r->size);
		return vfio_err(EINVAL);
	}
	if (!(r->flags & need)) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: %s region %u is not %s (flags 0x%x)", d->name,
			 index, rbuf ? "readable" : "writable", r->flags);
		return vfio_err(EACCES);
	}
	if (rbuf != NULL)
		n = vfio_sys()->pread(d->fd, rbuf, len, (off_t)(r->offset + off));
	else
		n = vfio_sys()->pwrite(d->fd, wbuf, len, (off_t)(r->offset + off));
	if (n < 0 || (size_t)n != len) {
		int err = n < 0 ? errno : EIO;

		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: %s %s region %u at 0x%" PRIx64 " (0x%zx bytes): %s (%zd)",
			 d->name, rbuf ? "read of" : "write to", index, off, len,
			 strerror(err), n);
		return vfio_err(n < 0 ? err : EIO);
	}
	return 0;
}

int
keel_vfio_region_read(struct keel_vfio_device *d, uint32_t index,
		      uint64_t off, void *buf, size_t len)
{
	return region_io(d, index, off, buf, NULL, len);
}

int
keel_vfio_region_write(struct keel_vfio_device *d, uint32_t index,
		       uint64_t off, const void *buf, size_t len)
{
	return region_io(d, index, off, NULL, buf, len);
}

int
keel_vfio_config_read(struct keel_vfio_device *d, uint64_t off, void *buf,
		      size_t len)
{
	return region_io(d, KEEL_VFIO_PCI_CONFIG_REGION, off, buf, NULL, len);
}

int
keel_vfio_config_write(struct keel_vfio_device *d, uint64_t off,
		       const void *buf, size_t len)
{
	return region_io(d, KEEL_VFIO_PCI_CONFIG_REGION, off, NULL, buf, len);
}

int
keel_vfio_device_reset(struct keel_vfio_device *d)
{
	int err;

	if (d == NULL)
		return vfio_err(EINVAL);
	if (!(d->flags & VFIO_DEVICE_FLAGS_RESET)) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: %s does not support VFIO_DEVICE_RESET (flags 0x%x)",
			 d->name, d->flags);
		return vfio_err(ENOTSUP);
	}
	if (vfio_sys()->ioctl(d->fd, VFIO_DEVICE_RESET, NULL) < 0) {
		err = errno;
		KEEL_LOG(ERR, keel_logtype_vfio, "vfio: VFIO_DEVICE_RESET %s: %s",
			 d->name, strerror(err));
		return vfio_err(err);
	}
	return 0;
}

int
keel_vfio_irq_info(struct keel_vfio_device *d, uint32_t index,
		   struct keel_vfio_irq *irq)
{
	struct vfio_irq_info ii;
	int err;

	if (d == NULL || irq == NULL)
		return vfio_err(EINVAL);
	if (index >= d->num_irqs || index >= DEV_MAX_IRQS) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: %s has no interrupt index %u (%u indices)",
			 d->name, index, d->num_irqs);
		return vfio_err(EINVAL);
	}
	memset(&ii, 0, sizeof(ii));
	ii.argsz = sizeof(ii);
	ii.index = index;
	if (vfio_sys()->ioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0) {
		err = errno;
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: VFIO_DEVICE_GET_IRQ_INFO %s index %u: %s",
			 d->name, index, strerror(err));
		return vfio_err(err);
	}
	irq->index = index;
	irq->flags = ii.flags;
	irq->count = ii.count;
	return 0;
}

static int
irq_set(struct keel_vfio_device *d, uint32_t index, uint32_t flags,
	uint32_t start, uint32_t count, const int *fds)
{
	size_t datalen = fds ? (size_t)count * sizeof(int32_t) : 0;
	struct vfio_irq_set *s;
	uint32_t i;
	int err = 0;

	s = calloc(1, sizeof(*s) + datalen);
	if (s == NULL)
		return vfio_err(ENOMEM);
	s->argsz = (uint32_t)(sizeof(*s) + datalen);
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	for (i = 0; fds != NULL && i < count; i++) {
		int32_t v = fds[i];

		memcpy(s->data + i * sizeof(v), &v, sizeof(v));
	}
	if (vfio_sys()->ioctl(d->fd, VFIO_DEVICE_SET_IRQS, s) < 0) {
		err = errno;
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: VFIO_DEVICE_SET_IRQS %s index %u flags 0x%x [%u, +%u): %s",
			 d->name, index, flags, start, count, strerror(err));
	}
	free(s);
	return err ? vfio_err(err) : 0;
}

int
keel_vfio_irq_set_eventfds(struct keel_vfio_device *d, uint32_t index,
			   uint32_t start, uint32_t count, const int *fds)
{
	struct keel_vfio_irq irq;
	int ret;

	if (fds == NULL || count == 0) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: set eventfds: no fds (count %u)", count);
		return vfio_err(EINVAL);
	}
	ret = keel_vfio_irq_info(d, index, &irq);
	if (ret < 0)
		return ret;
	if (!(irq.flags & VFIO_IRQ_INFO_EVENTFD)) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: %s interrupt index %u does not support eventfds",
			 d->name, index);
		return vfio_err(EINVAL);
	}
	if (start >= irq.count || count > irq.count - start) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: %s interrupt index %u: vectors [%u, +%u) beyond its %u",
			 d->name, index, start, count, irq.count);
		return vfio_err(EINVAL);
	}
	ret = irq_set(d, index, VFIO_IRQ_SET_DATA_EVENTFD |
		      VFIO_IRQ_SET_ACTION_TRIGGER, start, count, fds);
	if (ret == 0)
		d->irq_enabled |= 1u << index;
	return ret;
}

int
keel_vfio_irq_disable(struct keel_vfio_device *d, uint32_t index)
{
	int ret;

	if (d == NULL || index >= d->num_irqs || index >= DEV_MAX_IRQS) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: disable: no interrupt index %u", index);
		return vfio_err(EINVAL);
	}
	ret = irq_set(d, index, VFIO_IRQ_SET_DATA_NONE |
		      VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
	if (ret == 0)
		d->irq_enabled &= ~(1u << index);
	return ret;
}

int
keel_vfio_irq_unmask(struct keel_vfio_device *d, uint32_t index,
		     uint32_t vector)
{
	if (d == NULL || index >= d->num_irqs || index >= DEV_MAX_IRQS) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: unmask: no interrupt index %u", index);
		return vfio_err(EINVAL);
	}
	return irq_set(d, index, VFIO_IRQ_SET_DATA_NONE |
		       VFIO_IRQ_SET_ACTION_UNMASK, vector, 1, NULL);
}
