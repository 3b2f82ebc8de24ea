/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fake VFIO kernel: the type1 v2 rules of Linux 6.1 (see fake_vfio.h and
 * shared/notes/vfio-qemu-devices.md §3-4), with the same errnos.
 *
 * Invariants: fds[] maps each live fake fd (FAKE_FD_BASE + i) to an
 * object; a container's mappings[] are sorted by IOVA and never overlap;
 * dma_avail + n_maps == the limit sampled at SET_IOMMU; iommu_set iff a
 * group is attached. Global state: ioctls are serialised by fake_lock (so
 * several threads may map/unmap at once); everything else is used by one
 * test thread at a time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_vfio.h"

#define FAKE_FD_BASE (1 << 20)
#define FAKE_MAX_FDS 64
#define FAKE_MAX_MAPS 4096
#define FAKE_NUM_IRQS 5
#define FAKE_MAX_VECS 4
#define FAKE_CFG_SIZE 256
#define FAKE_BAR0_SIZE 4096
#define FAKE_BAR2_SIZE 256
#define REGION_SHIFT 40

enum fobj { F_NONE, F_CONTAINER, F_GROUP, F_DEVICE };

struct fmap {
	uint64_t iova, size, vaddr;
	uint32_t flags;         /* VFIO_DMA_MAP_FLAG_READ / _WRITE */
	bool foreign;
};

struct fcontainer {
	bool live;
	bool fd_open;
	bool iommu_set;
	unsigned int n_groups;
	uint32_t dma_avail;
	unsigned int n_maps;
	struct fmap maps[FAKE_MAX_MAPS];
};

struct fgroup {
	struct fake_vfio_group_cfg cfg;
	bool open;
	struct fcontainer *container;
	unsigned int dev_fds;
};

struct fdevice {
	struct fake_vfio_device_cfg cfg;
	struct fgroup *group;
	uint8_t config[FAKE_CFG_SIZE];
	uint8_t *bar0;          /* FAKE_BAR0_SIZE, mmap-able */
	uint8_t bar2[FAKE_BAR2_SIZE];
	int efd[FAKE_NUM_IRQS][FAKE_MAX_VECS];
	unsigned int unmasks, resets, mmaps;
};

struct fobject {
	enum fobj type;
	void *p;
};

static const uint32_t irq_counts[FAKE_NUM_IRQS] = { 1, 1, FAKE_MAX_VECS, 1, 1 };
static const uint32_t irq_flags[FAKE_NUM_IRQS] = {
	VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED,
	VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
	VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
	VFIO_IRQ_INFO_EVENTFD,
	VFIO_IRQ_INFO_EVENTFD,
};

static struct {
	bool installed;
	struct fake_vfio_cfg cfg;
	char dir[64];
	struct fobject fds[FAKE_MAX_FDS];
	struct fcontainer *containers[4];
	struct fgroup groups[FAKE_MAX_GROUPS];
	unsigned int n_groups;
	struct fdevice devices[FAKE_MAX_DEVICES];
	unsigned int n_devices;
	unsigned int fail_nth;
	int fail_err;
	unsigned int ioctl_total;
	unsigned long req_log[4096];
	unsigned int n_req_log;
} F;

static uint64_t
minpg(void)
{
	return F.cfg.pgsizes & (~F.cfg.pgsizes + 1);
}

static int
fail(int err)
{
	errno = err;
	return -1;
}

static int
fd_alloc(enum fobj type, void *p)
{
	int i;

	for (i = 0; i < FAKE_MAX_FDS; i++) {
		if (F.fds[i].type == F_NONE) {
			F.fds[i].type = type;
			F.fds[i].p = p;
			return FAKE_FD_BASE + i;
		}
	}
	return fail(EMFILE);
}

static struct fobject *
fd_get(int fd)
{
	if (fd < FAKE_FD_BASE || fd >= FAKE_FD_BASE + FAKE_MAX_FDS ||
	    F.fds[fd - FAKE_FD_BASE].type == F_NONE)
		return NULL;
	return &F.fds[fd - FAKE_FD_BASE];
}

/* ---- sysfs tree ---- */

static int
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -errno;
	fputs(text, f);
	fclose(f);
	return 0;
}

static int
mkdirs(const char *path)
{
	char tmp[512];
	char *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int
build_sysfs(void)
{
	char path[512], target[128];
	unsigned int i;
	int ret;

	snprintf(F.dir, sizeof(F.dir), "/tmp/keel-fake-sysfs-XXXXXX");
	if (mkdtemp(F.dir) == NULL)
		return -errno;
	for (i = 0; i < F.n_groups; i++) {
		const char *txt = F.groups[i].cfg.resv_text ? F.groups[i].cfg.resv_text :
			"0x00000000fee00000 0x00000000feefffff msi\n";

		snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices",
			 F.dir, F.groups[i].cfg.num);
		ret = mkdirs(path);
		if (ret < 0)
			return ret;
		snprintf(path, sizeof(path),
			 "%s/kernel/iommu_groups/%d/reserved_regions", F.dir,
			 F.groups[i].cfg.num);
		ret = write_file(path, txt);
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < F.n_devices; i++) {
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", F.dir,
			 F.devices[i].cfg.name);
		ret = mkdirs(path);
		if (ret < 0)
			return ret;
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/vendor",
			 F.dir, F.devices[i].cfg.name);
		ret = write_file(path, "0x8086\n");
		if (ret < 0)
			return ret;
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group",
			 F.dir, F.devices[i].cfg.name);
		snprintf(target, sizeof(target),
			 "../../../../kernel/iommu_groups/%d",
			 F.devices[i].cfg.group);
		if (symlink(target, path) < 0)
			return -errno;
	}
	/* the vfio-pci driver directory: one link per device, plus the
	 * driver's own files */
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/vfio-pci", F.dir);
	ret = mkdirs(path);
	if (ret < 0)
		return ret;
	strcat(path, "/bind");
	ret = write_file(path, "");
	if (ret < 0)
		return ret;
	for (i = 0; i < F.n_devices; i++) {
		snprintf(path, sizeof(path), "%s/bus/pci/drivers/vfio-pci/%s",
			 F.dir, F.devices[i].cfg.name);
		snprintf(target, sizeof(target), "../../../../bus/pci/devices/%s",
			 F.devices[i].cfg.name);
		if (symlink(target, path) < 0)
			return -errno;
	}
	if (!F.cfg.no_module_param) {
		char val[32];

		snprintf(path, sizeof(path),
			 "%s/module/vfio_iommu_type1/parameters", F.dir);
		ret = mkdirs(path);
		if (ret < 0)
			return ret;
		strcat(path, "/dma_entry_limit");
		snprintf(val, sizeof(val), "%u\n", F.cfg.dma_entry_limit);
		ret = write_file(path, val);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* ---- container ---- */

static struct fmap *
map_containing(struct fcontainer *c, uint64_t a)
{
	unsigned int i;

	for (i = 0; i < c->n_maps; i++)
		if (c->maps[i].iova <= a && a - c->maps[i].iova < c->maps[i].size)
			return &c->maps[i];
	return NULL;
}

static bool
in_one_range(uint64_t iova, uint64_t last)
{
	unsigned int i;

	for (i = 0; i < F.cfg.n_ranges; i++)
		if (iova >= F.cfg.ranges[i].start && last <= F.cfg.ranges[i].last)
			return true;
	return false;
}

static int
do_map(struct fcontainer *c, struct vfio_iommu_type1_dma_map *m)
{
	uint64_t pg = minpg();
	unsigned int i, pos;

	if (m->argsz < sizeof(*m))
		return fail(EINVAL);
	if (m->flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
		return fail(EINVAL);
	if (!(m->flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)))
		return fail(EINVAL);
	if (m->size == 0 || ((m->iova | m->size | m->vaddr) & (pg - 1)))
		return fail(EINVAL);
	if (m->iova + m->size - 1 < m->iova || m->vaddr + m->size - 1 < m->vaddr)
		return fail(EINVAL);
	for (i = 0; i < c->n_maps; i++) {
		struct fmap *x = &c->maps[i];

		if (x->iova <= m->iova + m->size - 1 &&
		    m->iova <= x->iova + x->size - 1)
			return fail(EEXIST);
	}
	if (c->dma_avail == 0)
		return fail(ENOSPC);
	if (!in_one_range(m->iova, m->iova + m->size - 1))
		return fail(EINVAL);
	if (m->vaddr < 0x10000)
		return fail(EFAULT);
	if (c->n_maps == FAKE_MAX_MAPS)
		return fail(ENOMEM);
	for (pos = 0; pos < c->n_maps && c->maps[pos].iova < m->iova; pos++)
		;
	memmove(&c->maps[pos + 1], &c->maps[pos],
		(c->n_maps - pos) * sizeof(c->maps[0]));
	c->maps[pos].iova = m->iova;
	c->maps[pos].size = m->size;
	c->maps[pos].vaddr = m->vaddr;
	c->maps[pos].flags = m->flags;
	c->maps[pos].foreign = false;
	c->n_maps++;
	c->dma_avail--;
	return 0;
}

static int
do_unmap(struct fcontainer *c, struct vfio_iommu_type1_dma_unmap *u)
{
	uint64_t pg = minpg(), last, done = 0;
	struct fmap *x;
	unsigned int i;

	if (u->argsz < offsetof(struct vfio_iommu_type1_dma_unmap, size) + 8)
		return fail(EINVAL);
	if (u->flags & ~VFIO_DMA_UNMAP_FLAG_ALL)
		return fail(EINVAL);
	if (u->flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (u->iova != 0 || u->size != 0)
			return fail(EINVAL);
		for (i = 0; i < c->n_maps; i++)
			done += c->maps[i].size;
		c->dma_avail += c->n_maps;
		c->n_maps = 0;
		u->size = done;
		return 0;
	}
	if (u->size == 0 || ((u->iova | u->size) & (pg - 1)))
		return fail(EINVAL);
	last = u->iova + u->size - 1;
	if (last < u->iova)
		return fail(EINVAL);
	/* v2: no bisection of either end */
	x = map_containing(c, u->iova);
	if (x != NULL && x->iova != u->iova)
		return fail(EINVAL);
	x = map_containing(c, last);
	if (x != NULL && x->iova + x->size - 1 != last)
		return fail(EINVAL);
	i = 0;
	while (i < c->n_maps) {
		x = &c->maps[i];
		if (x->iova < u->iova) {
			i++;
			continue;
		}
		if (x->iova > last)
			break;
		if (x->foreign)   /* another mm's mapping: the loop stops */
			break;
		done += x->size;
		memmove(x, x + 1, (c->n_maps - i - 1) * sizeof(*x));
		c->n_maps--;
		c->dma_avail++;
	}
	u->size = done;
	return 0;
}

static void
build_info_caps(struct fcontainer *c, uint8_t *buf, size_t *len)
{
	size_t off = sizeof(struct vfio_iommu_type1_info), prev = 0;
	int order[3] = { VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
			 VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION,
			 VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL };
	unsigned int k, i;

	if (F.cfg.caps_reversed) {
		order[0] = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
		order[2] = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
	}
	for (k = 0; k < 3; k++) {
		/* built aligned, then copied: in the reply a capability may
		 * sit at a 4-byte offset (after the 12-byte DMA_AVAIL) */
		uint64_t tmp[64];
		struct vfio_info_cap_header *h = (void *)tmp;
		size_t sz;

		memset(tmp, 0, sizeof(tmp));
		if (order[k] == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			struct vfio_iommu_type1_info_cap_iova_range *r = (void *)h;

			if (F.cfg.no_iova_range_cap)
				continue;
			sz = sizeof(*r) + F.cfg.n_ranges * sizeof(r->iova_ranges[0]);
			r->nr_iovas = F.cfg.n_ranges;
			for (i = 0; i < F.cfg.n_ranges; i++) {
				r->iova_ranges[i].start = F.cfg.ranges[i].start;
				r->iova_ranges[i].end = F.cfg.ranges[i].last;
			}
		} else if (order[k] == VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION) {
			struct vfio_iommu_type1_info_cap_migration *m = (void *)h;

			if (F.cfg.no_migration_cap)
				continue;
			sz = sizeof(*m);
			m->pgsize_bitmap = minpg();
			m->max_dirty_bitmap_size = 0x10000000;
		} else {
			struct vfio_iommu_type1_info_dma_avail *d = (void *)h;

			if (F.cfg.no_dma_avail_cap)
				continue;
			sz = sizeof(*d);
			d->avail = c->dma_avail;
		}
		h->id = (uint16_t)order[k];
		h->version = 1;
		memcpy(buf + off, tmp, sz);
		if (prev != 0) {
			uint32_t next = (uint32_t)off;

			memcpy(buf + prev + offsetof(struct vfio_info_cap_header, next),
			       &next, sizeof(next));
		}
		prev = off;
		off += sz;
	}
	*len = off;
}

static int
do_get_info(struct fcontainer *c, struct vfio_iommu_type1_info *info)
{
	uint8_t full[1024] __attribute__((aligned(8)));
	struct vfio_iommu_type1_info *hdr = (void *)full;
	size_t len = sizeof(*hdr);
	uint32_t argsz;

	if (info->argsz < offsetof(struct vfio_iommu_type1_info, cap_offset))
		return fail(EINVAL);
	argsz = info->argsz;
	memset(full, 0, sizeof(full));
	if (F.cfg.raw_info != NULL) {
		len = F.cfg.raw_info_len < sizeof(full) ? F.cfg.raw_info_len :
		      sizeof(full);
		memcpy(full, F.cfg.raw_info, len);
	} else {
		hdr->flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
		hdr->iova_pgsizes = F.cfg.pgsizes;
		build_info_caps(c, full, &len);
		hdr->cap_offset = len > sizeof(*hdr) ? sizeof(*hdr) : 0;
	}
	hdr->argsz = (uint32_t)len;
	if (F.cfg.info_argsz_lie)
		hdr->argsz = F.cfg.info_argsz_lie;
	if (argsz < hdr->argsz) {
		/* too small: fixed part only, cap_offset 0, argsz = needed */
		size_t n = argsz < sizeof(*hdr) ? argsz : sizeof(*hdr);

		hdr->cap_offset = 0;
		memcpy(info, full, n);
		return 0;
	}
	memcpy(info, full, len < argsz ? len : argsz);
	return 0;
}

static int
container_ioctl(struct fcontainer *c, unsigned long req, void *arg)
{
	switch (req) {
	case VFIO_GET_API_VERSION:
		return F.cfg.api_version;
	case VFIO_CHECK_EXTENSION:
		switch ((uintptr_t)arg) {
		case VFIO_TYPE1_IOMMU:
		case VFIO_UNMAP_ALL:
			return 1;
		case VFIO_TYPE1v2_IOMMU:
			return F.cfg.no_type1v2 ? 0 : 1;
		default:
			return 0;
		}
	case VFIO_SET_IOMMU:
		if (c->n_groups == 0 || c->iommu_set)
			return fail(EINVAL);
		if ((uintptr_t)arg != VFIO_TYPE1v2_IOMMU &&
		    (uintptr_t)arg != VFIO_TYPE1_IOMMU)
			return fail(ENODEV);
		if ((uintptr_t)arg == VFIO_TYPE1v2_IOMMU && F.cfg.no_type1v2)
			return fail(ENODEV);
		c->iommu_set = true;
		c->dma_avail = F.cfg.dma_entry_limit;
		return 0;
	case VFIO_IOMMU_GET_INFO:
		if (!c->iommu_set)
			return fail(EINVAL);
		return do_get_info(c, arg);
	case VFIO_IOMMU_MAP_DMA:
		if (!c->iommu_set)
			return fail(EINVAL);
		return do_map(c, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		if (!c->iommu_set)
			return fail(EINVAL);
		return do_unmap(c, arg);
	default:
		return fail(ENOTTY);
	}
}

static void
container_maybe_free(struct fcontainer *c)
{
	unsigned int i;

	if (c->fd_open || c->n_groups > 0)
		return;
	for (i = 0; i < 4; i++)
		if (F.containers[i] == c)
			F.containers[i] = NULL;
	free(c);
}

/* ---- group ---- */

static int
group_ioctl(struct fgroup *g, unsigned long req, void *arg)
{
	unsigned int i;

	switch (req) {
	case VFIO_GROUP_GET_STATUS: {
		struct vfio_group_status *st = arg;

		if (st->argsz < sizeof(*st))
			return fail(EINVAL);
		st->flags = (g->cfg.not_viable ? 0 : VFIO_GROUP_FLAGS_VIABLE) |
			    (g->container ? VFIO_GROUP_FLAGS_CONTAINER_SET : 0);
		return 0;
	}
	case VFIO_GROUP_SET_CONTAINER: {
		struct fobject *o = fd_get(*(int *)arg);

		if (g->container != NULL)
			return fail(EINVAL);
		if (g->cfg.not_viable)
			return fail(EPERM);
		if (o == NULL || o->type != F_CONTAINER)
			return fail(EBADF);
		g->container = o->p;
		g->container->n_groups++;
		return 0;
	}
	case VFIO_GROUP_UNSET_CONTAINER: {
		struct fcontainer *c = g->container;

		if (c == NULL)
			return fail(EINVAL);
		if (g->dev_fds > 0)
			return fail(EBUSY);
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
			return fail(EINVAL);
		for (i = 0; i < F.n_devices; i++) {
			if (F.devices[i].group == g &&
			    strcmp(F.devices[i].cfg.name, name) == 0) {
				fd = fd_alloc(F_DEVICE, &F.devices[i]);
				if (fd >= 0)
					g->dev_fds++;
				return fd;
			}
		}
		return fail(ENODEV);
	}
	default:
		return fail(ENOTTY);
	}
}

/* ---- device ---- */

static uint64_t
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

static void
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
		return fail(EINVAL);
	if (__builtin_popcount(dtype) != 1 || __builtin_popcount(atype) != 1 ||
	    (s->flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK |
			  VFIO_IRQ_SET_ACTION_TYPE_MASK)))
		return fail(EINVAL);
	if (dtype == VFIO_IRQ_SET_DATA_NONE && atype == VFIO_IRQ_SET_ACTION_TRIGGER &&
	    s->count == 0) {
		for (i = 0; i < FAKE_MAX_VECS; i++)
			d->efd[s->index][i] = -1;
		return 0;
	}
	if (s->count == 0 || s->start >= irq_counts[s->index] ||
	    s->count > irq_counts[s->index] - s->start)
		return fail(EINVAL);
	if (dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
		if (atype != VFIO_IRQ_SET_ACTION_TRIGGER)
			return fail(EINVAL);
		if (s->argsz < sizeof(*s) + s->count * sizeof(int32_t))
			return fail(EINVAL);
		for (i = 0; i < s->count; i++) {
			int32_t fd;

			memcpy(&fd, s->data + i * sizeof(fd), sizeof(fd));
			if (fd != -1 && fcntl(fd, F_GETFD) < 0)
				return fail(EBADF);
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
	return fail(EINVAL);
}

static int
device_ioctl(struct fdevice *d, unsigned long req, void *arg)
{
	switch (req) {
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info *di = arg;

		if (di->argsz < offsetof(struct vfio_device_info, cap_offset))
			return fail(EINVAL);
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
			return fail(EINVAL);
		ri->size = region_size(d, ri->index, &flags);
		ri->flags = flags;
		ri->offset = (uint64_t)ri->index << REGION_SHIFT;
		ri->cap_offset = 0;
		return 0;
	}
	case VFIO_DEVICE_GET_IRQ_INFO: {
		struct vfio_irq_info *ii = arg;

		if (ii->argsz < sizeof(*ii) || ii->index >= FAKE_NUM_IRQS)
			return fail(EINVAL);
		ii->flags = irq_flags[ii->index];
		ii->count = irq_counts[ii->index];
		return 0;
	}
	case VFIO_DEVICE_SET_IRQS:
		return set_irqs(d, arg);
	case VFIO_DEVICE_RESET:
		if (!d->cfg.has_reset)
			return fail(EINVAL);
		d->resets++;
		device_reset_state(d);
		return 0;
	default:
		return fail(ENOTTY);
	}
}

static uint8_t *
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

/* ---- the sys ops ---- */

static int
fake_open(const char *path, int flags)
{
	unsigned int i;
	int num;
	char extra;

	(void)flags;
	if (strcmp(path, "/dev/vfio/vfio") == 0) {
		struct fcontainer *c = calloc(1, sizeof(*c));
		int fd;

		if (c == NULL)
			return fail(ENOMEM);
		for (i = 0; i < 4 && F.containers[i] != NULL; i++)
			;
		if (i == 4) {
			free(c);
			return fail(EMFILE);
		}
		fd = fd_alloc(F_CONTAINER, c);
		if (fd < 0) {
			free(c);
			return fd;
		}
		c->live = true;
		c->fd_open = true;
		F.containers[i] = c;
		return fd;
	}
	if (sscanf(path, "/dev/vfio/%d%c", &num, &extra) == 1) {
		for (i = 0; i < F.n_groups; i++) {
			if (F.groups[i].cfg.num != num)
				continue;
			if (F.groups[i].open)
				return fail(EBUSY);
			num = fd_alloc(F_GROUP, &F.groups[i]);
			if (num >= 0)
				F.groups[i].open = true;
			return num;
		}
	}
	return fail(ENOENT);
}

static int
fake_close(int fd)
{
	struct fobject *o = fd_get(fd);

	if (o == NULL)
		return fail(EBADF);
	if (o->type == F_CONTAINER) {
		struct fcontainer *c = o->p;

		c->fd_open = false;
		container_maybe_free(c);
	} else if (o->type == F_GROUP) {
		struct fgroup *g = o->p;

		g->open = false;
		if (g->container != NULL && g->dev_fds == 0) {
			/* closing the group fd detaches it, as in the kernel */
			struct fcontainer *c = g->container;

			g->container = NULL;
			if (--c->n_groups == 0) {
				c->iommu_set = false;
				c->n_maps = 0;
			}
			container_maybe_free(c);
		}
	} else if (o->type == F_DEVICE) {
		struct fdevice *d = o->p;

		d->group->dev_fds--;
	}
	o->type = F_NONE;
	o->p = NULL;
	return 0;
}

/* Serialises ioctls, as the kernel's container lock does for MAP/UNMAP. */
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;

static int
fake_ioctl_locked(int fd, unsigned long req, void *arg)
{
	struct fobject *o = fd_get(fd);

	F.ioctl_total++;
	if (F.n_req_log < sizeof(F.req_log) / sizeof(F.req_log[0]))
		F.req_log[F.n_req_log++] = req;
	if (F.fail_nth != 0 && --F.fail_nth == 0)
		return fail(F.fail_err);
	if (o == NULL)
		return fail(EBADF);
	switch (o->type) {
	case F_CONTAINER:
		return container_ioctl(o->p, req, arg);
	case F_GROUP:
		return group_ioctl(o->p, req, arg);
	case F_DEVICE:
		return device_ioctl(o->p, req, arg);
	default:
		return fail(EBADF);
	}
}

static int
fake_ioctl(int fd, unsigned long req, void *arg)
{
	int ret, err;

	pthread_mutex_lock(&fake_lock);
	ret = fake_ioctl_locked(fd, req, arg);
	err = errno;
	pthread_mutex_unlock(&fake_lock);
	errno = err;
	return ret;
}

static void *
fake_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct fobject *o = fd_get(fd);
	struct fdevice *d;
	uint32_t rflags;

	(void)addr;
	(void)prot;
	if (o == NULL || o->type != F_DEVICE || !(flags & MAP_SHARED)) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	d = o->p;
	region_size(d, (uint32_t)((uint64_t)off >> REGION_SHIFT), &rflags);
	if (!(rflags & VFIO_REGION_INFO_FLAG_MMAP) ||
	    ((uint64_t)off & ((UINT64_C(1) << REGION_SHIFT) - 1)) != 0 ||
	    len > FAKE_BAR0_SIZE) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	d->mmaps++;
	return d->bar0;
}

static int
fake_munmap(void *addr, size_t len)
{
	unsigned int i;

	for (i = 0; i < F.n_devices; i++) {
		if (F.devices[i].bar0 == addr && F.devices[i].mmaps > 0 &&
		    len <= FAKE_BAR0_SIZE) {
			F.devices[i].mmaps--;
			return 0;
		}
	}
	return fail(EINVAL);
}

/* The bytes of a device fd's region at @p off, *len clipped to what is
 * there; NULL with errno set (EBADF, EINVAL). Shared by pread/pwrite. */
static uint8_t *
device_window(int fd, off_t off, size_t *len)
{
	struct fobject *o = fd_get(fd);
	uint8_t *p;
	size_t avail;

	if (o == NULL || o->type != F_DEVICE) {
		errno = EBADF;
		return NULL;
	}
	p = region_mem(o->p, (uint64_t)off, &avail);
	if (p == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (*len > avail)
		*len = avail;
	return p;
}

static ssize_t
fake_pread(int fd, void *buf, size_t len, off_t off)
{
	uint8_t *p = device_window(fd, off, &len);

	if (p == NULL)
		return -1;
	memcpy(buf, p, len);
	return (ssize_t)len;
}

static ssize_t
fake_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	uint8_t *p = device_window(fd, off, &len);

	if (p == NULL)
		return -1;
	memcpy(p, buf, len);
	return (ssize_t)len;
}

static const struct keel_vfio_sys_ops fake_ops = {
	.open = fake_open,
	.close = fake_close,
	.ioctl = fake_ioctl,
	.mmap = fake_mmap,
	.munmap = fake_munmap,
	.pread = fake_pread,
	.pwrite = fake_pwrite,
};

/* ---- install ---- */

int
fake_vfio_install(const struct fake_vfio_cfg *cfg)
{
	unsigned int i, j, k;
	int ret;

	if (F.installed)
		return -EBUSY;
	memset(&F, 0, sizeof(F));
	if (cfg != NULL)
		F.cfg = *cfg;
	if (!F.cfg.api_version_set)
		F.cfg.api_version = VFIO_API_VERSION;
	if (F.cfg.pgsizes == 0)
		F.cfg.pgsizes = 0x40201000;
	if (F.cfg.n_ranges == 0 && !F.cfg.no_iova_range_cap) {
		F.cfg.n_ranges = 2;
		F.cfg.ranges[0].start = 0;
		F.cfg.ranges[0].last = 0xfedfffff;
		F.cfg.ranges[1].start = 0xfef00000;
		F.cfg.ranges[1].last = 0x7fffffffffULL;
	}
	if (F.cfg.no_iova_range_cap && F.cfg.n_ranges == 0) {
		/* the kernel still enforces its aperture */
		F.cfg.n_ranges = 1;
		F.cfg.ranges[0].start = 0;
		F.cfg.ranges[0].last = UINT64_MAX;
	}
	if (F.cfg.dma_entry_limit == 0)
		F.cfg.dma_entry_limit = 65535;
	if (F.cfg.n_groups == 0) {
		F.cfg.n_groups = 1;
		F.cfg.groups[0].num = 7;
	}
	if (F.cfg.n_devices == 0) {
		F.cfg.n_devices = 1;
		F.cfg.devices[0].name = "0000:00:03.0";
		F.cfg.devices[0].group = 7;
	}
	F.n_groups = F.cfg.n_groups;
	for (i = 0; i < F.n_groups; i++)
		F.groups[i].cfg = F.cfg.groups[i];
	F.n_devices = F.cfg.n_devices;
	for (i = 0; i < F.n_devices; i++) {
		struct fdevice *d = &F.devices[i];

		d->cfg = F.cfg.devices[i];
		for (j = 0; j < F.n_groups; j++)
			if (F.groups[j].cfg.num == d->cfg.group)
				d->group = &F.groups[j];
		if (d->group == NULL)
			return -EINVAL;
		d->bar0 = mmap(NULL, FAKE_BAR0_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (d->bar0 == MAP_FAILED)
			return -errno;
		device_reset_state(d);
		for (j = 0; j < FAKE_NUM_IRQS; j++)
			for (k = 0; k < FAKE_MAX_VECS; k++)
				d->efd[j][k] = -1;
	}
	ret = build_sysfs();
	if (ret == 0)
		ret = keel_vfio_set_sysfs_root(F.dir);
	if (ret == 0)
		ret = keel_vfio_set_sys_ops(&fake_ops);
	if (ret < 0) {
		F.installed = true;
		fake_vfio_uninstall();
		return ret;
	}
	F.installed = true;
	return 0;
}

int
fake_vfio_uninstall(void)
{
	unsigned int i;
	int leaks = 0;

	if (!F.installed)
		return 0;
	keel_vfio_set_sys_ops(NULL);
	keel_vfio_set_sysfs_root(NULL);
	for (i = 0; i < FAKE_MAX_FDS; i++)
		if (F.fds[i].type != F_NONE) {
			printf("  fake_vfio: fd %d (type %d) leaked\n",
			       FAKE_FD_BASE + (int)i, F.fds[i].type);
			leaks++;
		}
	for (i = 0; i < 4; i++)
		if (F.containers[i] != NULL) {
			free(F.containers[i]);
			F.containers[i] = NULL;
		}
	for (i = 0; i < F.n_devices; i++) {
		if (F.devices[i].mmaps > 0) {
			printf("  fake_vfio: BAR0 of %s still mmapped\n",
			       F.devices[i].cfg.name);
			leaks++;
		}
		if (F.devices[i].bar0 != NULL && F.devices[i].bar0 != MAP_FAILED)
			munmap(F.devices[i].bar0, FAKE_BAR0_SIZE);
	}
	if (F.dir[0] != '\0')
		nftw(F.dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	F.installed = false;
	return leaks;
}

void
fake_vfio_fail_ioctl(unsigned int nth, int err)
{
	F.fail_nth = nth;
	F.fail_err = err;
}

unsigned int
fake_vfio_ioctl_count(unsigned long req)
{
	unsigned int i, n = 0;

	for (i = 0; i < F.n_req_log; i++)
		if (F.req_log[i] == req)
			n++;
	return n;
}

unsigned int
fake_vfio_ioctl_total(void)
{
	return F.ioctl_total;
}

static struct fcontainer *
live_container(void)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (F.containers[i] != NULL)
			return F.containers[i];
	return NULL;
}

unsigned int
fake_vfio_n_mappings(void)
{
	struct fcontainer *c = live_container();

	return c ? c->n_maps : 0;
}

uint32_t
fake_vfio_dma_avail(void)
{
	struct fcontainer *c = live_container();

	return c ? c->dma_avail : 0;
}

bool
fake_vfio_iommu_set(void)
{
	struct fcontainer *c = live_container();

	return c ? c->iommu_set : false;
}

bool
fake_vfio_has_mapping(uint64_t iova, uint64_t len, uint64_t va)
{
	struct fcontainer *c = live_container();
	unsigned int i;

	for (i = 0; c != NULL && i < c->n_maps; i++)
		if (c->maps[i].iova == iova && c->maps[i].size == len &&
		    c->maps[i].vaddr == va)
			return true;
	return false;
}

int
fake_vfio_mark_foreign(uint64_t iova)
{
	struct fcontainer *c = live_container();
	struct fmap *m = c ? map_containing(c, iova) : NULL;

	if (m == NULL)
		return -ENOENT;
	m->foreign = true;
	return 0;
}

uint32_t
fake_vfio_mapping_flags(uint64_t iova)
{
	struct fcontainer *c = live_container();
	struct fmap *m = c ? map_containing(c, iova) : NULL;

	return m != NULL ? m->flags : 0;
}

int
fake_vfio_clear_foreign(uint64_t iova)
{
	struct fcontainer *c = live_container();
	struct fmap *m = c ? map_containing(c, iova) : NULL;

	if (m == NULL)
		return -ENOENT;
	m->foreign = false;
	return 0;
}

bool
fake_vfio_group_attached(int num)
{
	unsigned int i;

	for (i = 0; i < F.n_groups; i++)
		if (F.groups[i].cfg.num == num)
			return F.groups[i].container != NULL;
	return false;
}

static struct fdevice *
dev_by_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < F.n_devices; i++)
		if (strcmp(F.devices[i].cfg.name, name) == 0)
			return &F.devices[i];
	return NULL;
}

int
fake_vfio_trigger(const char *name, uint32_t index, uint32_t vec)
{
	struct fdevice *d = dev_by_name(name);
	uint64_t one = 1;

	if (d == NULL || index >= FAKE_NUM_IRQS || vec >= FAKE_MAX_VECS ||
	    d->efd[index][vec] < 0)
		return -ENOENT;
	if (write(d->efd[index][vec], &one, sizeof(one)) != sizeof(one))
		return -errno;
	return 0;
}

unsigned int
fake_vfio_unmask_count(const char *name)
{
	struct fdevice *d = dev_by_name(name);

	return d ? d->unmasks : 0;
}

unsigned int
fake_vfio_reset_count(const char *name)
{
	struct fdevice *d = dev_by_name(name);

	return d ? d->resets : 0;
}

uint8_t
fake_vfio_config_byte(const char *name, unsigned int off)
{
	struct fdevice *d = dev_by_name(name);

	return d && off < FAKE_CFG_SIZE ? d->config[off] : 0;
}

const char *
fake_vfio_sysfs_dir(void)
{
	return F.dir;
}

/*
 * Real-host helper: the device the vfio-suite tests use, from
 * KEEL_TEST_VFIO_DEV or else the first device bound to vfio-pci.
 * Returns 0 with @p bdf filled, or -1 when there is none.
 */
int
test_vfio_find_dev(char *bdf, size_t len)
{
	const char *env = getenv("KEEL_TEST_VFIO_DEV");
	struct dirent *e;
	DIR *d;

	if (env != NULL && env[0] != '\0') {
		snprintf(bdf, len, "%s", env);
		return 0;
	}
	d = opendir("/sys/bus/pci/drivers/vfio-pci");
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strchr(e->d_name, ':') != NULL) {
			snprintf(bdf, len, "%s", e->d_name);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	return -1;
}
