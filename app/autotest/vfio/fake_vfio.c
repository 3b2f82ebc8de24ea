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

#include "fake_vfio_internal.h"

struct fake_vfio_state fk;

uint64_t
fake_minpg(void)
{
	return fk.cfg.pgsizes & (~fk.cfg.pgsizes + 1);
}

int
fake_fail(int err)
{
	errno = err;
	return -1;
}

int
fake_fd_alloc(enum fobj type, void *p)
{
	int i;

	for (i = 0; i < FAKE_MAX_FDS; i++) {
		if (fk.fds[i].type == F_NONE) {
			fk.fds[i].type = type;
			fk.fds[i].p = p;
			return FAKE_FD_BASE + i;
		}
	}
	return fake_fail(EMFILE);
}

struct fobject *
fake_fd_get(int fd)
{
	if (fd < FAKE_FD_BASE || fd >= FAKE_FD_BASE + FAKE_MAX_FDS ||
	    fk.fds[fd - FAKE_FD_BASE].type == F_NONE)
		return NULL;
	return &fk.fds[fd - FAKE_FD_BASE];
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

	snprintf(fk.dir, sizeof(fk.dir), "/tmp/keel-fake-sysfs-XXXXXX");
	if (mkdtemp(fk.dir) == NULL)
		return -errno;
	for (i = 0; i < fk.n_groups; i++) {
		const char *txt = fk.groups[i].cfg.resv_text ? fk.groups[i].cfg.resv_text :
			"0x00000000fee00000 0x00000000feefffff msi\n";

		snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices",
			 fk.dir, fk.groups[i].cfg.num);
		ret = mkdirs(path);
		if (ret < 0)
			return ret;
		snprintf(path, sizeof(path),
			 "%s/kernel/iommu_groups/%d/reserved_regions", fk.dir,
			 fk.groups[i].cfg.num);
		ret = write_file(path, txt);
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < fk.n_devices; i++) {
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", fk.dir,
			 fk.devices[i].cfg.name);
		ret = mkdirs(path);
		if (ret < 0)
			return ret;
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/vendor",
			 fk.dir, fk.devices[i].cfg.name);
		ret = write_file(path, "0x8086\n");
		if (ret < 0)
			return ret;
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group",
			 fk.dir, fk.devices[i].cfg.name);
		snprintf(target, sizeof(target),
			 "../../../../kernel/iommu_groups/%d",
			 fk.devices[i].cfg.group);
		if (symlink(target, path) < 0)
			return -errno;
	}
	/* the vfio-pci driver directory: one link per device, plus the
	 * driver's own files */
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/vfio-pci", fk.dir);
	ret = mkdirs(path);
	if (ret < 0)
		return ret;
	strcat(path, "/bind");
	ret = write_file(path, "");
	if (ret < 0)
		return ret;
	for (i = 0; i < fk.n_devices; i++) {
		snprintf(path, sizeof(path), "%s/bus/pci/drivers/vfio-pci/%s",
			 fk.dir, fk.devices[i].cfg.name);
		snprintf(target, sizeof(target), "../../../../bus/pci/devices/%s",
			 fk.devices[i].cfg.name);
		if (symlink(target, path) < 0)
			return -errno;
	}
	if (!fk.cfg.no_module_param) {
		char val[32];

		snprintf(path, sizeof(path),
			 "%s/module/vfio_iommu_type1/parameters", fk.dir);
		ret = mkdirs(path);
		if (ret < 0)
			return ret;
		strcat(path, "/dma_entry_limit");
		snprintf(val, sizeof(val), "%u\n", fk.cfg.dma_entry_limit);
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
			return fake_fail(ENOMEM);
		for (i = 0; i < 4 && fk.containers[i] != NULL; i++)
			;
		if (i == 4) {
			free(c);
			return fake_fail(EMFILE);
		}
		fd = fake_fd_alloc(F_CONTAINER, c);
		if (fd < 0) {
			free(c);
			return fd;
		}
		c->live = true;
		c->fd_open = true;
		fk.containers[i] = c;
		return fd;
	}
	if (sscanf(path, "/dev/vfio/%d%c", &num, &extra) == 1) {
		for (i = 0; i < fk.n_groups; i++) {
			if (fk.groups[i].cfg.num != num)
				continue;
			if (fk.groups[i].open)
				return fake_fail(EBUSY);
			num = fake_fd_alloc(F_GROUP, &fk.groups[i]);
			if (num >= 0)
				fk.groups[i].open = true;
			return num;
		}
	}
	return fake_fail(ENOENT);
}

static int
fake_close(int fd)
{
	struct fobject *o = fake_fd_get(fd);

	if (o == NULL)
		return fake_fail(EBADF);
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
	struct fobject *o = fake_fd_get(fd);

	fk.ioctl_total++;
	if (fk.n_req_log < sizeof(fk.req_log) / sizeof(fk.req_log[0]))
		fk.req_log[fk.n_req_log++] = req;
	if (fk.fail_nth != 0 && --fk.fail_nth == 0)
		return fake_fail(fk.fail_err);
	if (o == NULL)
		return fake_fail(EBADF);
	switch (o->type) {
	case F_CONTAINER:
		return container_ioctl(o->p, req, arg);
	case F_GROUP:
		return group_ioctl(o->p, req, arg);
	case F_DEVICE:
		return device_ioctl(o->p, req, arg);
	default:
		return fake_fail(EBADF);
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
	struct fobject *o = fake_fd_get(fd);
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

	for (i = 0; i < fk.n_devices; i++) {
		if (fk.devices[i].bar0 == addr && fk.devices[i].mmaps > 0 &&
		    len <= FAKE_BAR0_SIZE) {
			fk.devices[i].mmaps--;
			return 0;
		}
	}
	return fake_fail(EINVAL);
}

/* The bytes of a device fd's region at @p off, *len clipped to what is
 * there; NULL with errno set (EBADF, EINVAL). Shared by pread/pwrite. */
static uint8_t *
device_window(int fd, off_t off, size_t *len)
{
	struct fobject *o = fake_fd_get(fd);
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

	if (fk.installed)
		return -EBUSY;
	memset(&fk, 0, sizeof(fk));
	if (cfg != NULL)
		fk.cfg = *cfg;
	if (!fk.cfg.api_version_set)
		fk.cfg.api_version = VFIO_API_VERSION;
	if (fk.cfg.pgsizes == 0)
		fk.cfg.pgsizes = 0x40201000;
	if (fk.cfg.n_ranges == 0 && !fk.cfg.no_iova_range_cap) {
		fk.cfg.n_ranges = 2;
		fk.cfg.ranges[0].start = 0;
		fk.cfg.ranges[0].last = 0xfedfffff;
		fk.cfg.ranges[1].start = 0xfef00000;
		fk.cfg.ranges[1].last = 0x7fffffffffULL;
	}
	if (fk.cfg.no_iova_range_cap && fk.cfg.n_ranges == 0) {
		/* the kernel still enforces its aperture */
		fk.cfg.n_ranges = 1;
		fk.cfg.ranges[0].start = 0;
		fk.cfg.ranges[0].last = UINT64_MAX;
	}
	if (fk.cfg.dma_entry_limit == 0)
		fk.cfg.dma_entry_limit = 65535;
	if (fk.cfg.n_groups == 0) {
		fk.cfg.n_groups = 1;
		fk.cfg.groups[0].num = 7;
	}
	if (fk.cfg.n_devices == 0) {
		fk.cfg.n_devices = 1;
		fk.cfg.devices[0].name = "0000:00:03.0";
		fk.cfg.devices[0].group = 7;
	}
	fk.n_groups = fk.cfg.n_groups;
	for (i = 0; i < fk.n_groups; i++)
		fk.groups[i].cfg = fk.cfg.groups[i];
	fk.n_devices = fk.cfg.n_devices;
	for (i = 0; i < fk.n_devices; i++) {
		struct fdevice *d = &fk.devices[i];

		d->cfg = fk.cfg.devices[i];
		for (j = 0; j < fk.n_groups; j++)
			if (fk.groups[j].cfg.num == d->cfg.group)
				d->group = &fk.groups[j];
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
		ret = keel_vfio_set_sysfs_root(fk.dir);
	if (ret == 0)
		ret = keel_vfio_set_sys_ops(&fake_ops);
	if (ret < 0) {
		fk.installed = true;
		fake_vfio_uninstall();
		return ret;
	}
	fk.installed = true;
	return 0;
}

int
fake_vfio_uninstall(void)
{
	unsigned int i;
	int leaks = 0;

	if (!fk.installed)
		return 0;
	keel_vfio_set_sys_ops(NULL);
	keel_vfio_set_sysfs_root(NULL);
	for (i = 0; i < FAKE_MAX_FDS; i++)
		if (fk.fds[i].type != F_NONE) {
			printf("  fake_vfio: fd %d (type %d) leaked\n",
			       FAKE_FD_BASE + (int)i, fk.fds[i].type);
			leaks++;
		}
	for (i = 0; i < 4; i++)
		if (fk.containers[i] != NULL) {
			free(fk.containers[i]);
			fk.containers[i] = NULL;
		}
	for (i = 0; i < fk.n_devices; i++) {
		if (fk.devices[i].mmaps > 0) {
			printf("  fake_vfio: BAR0 of %s still mmapped\n",
			       fk.devices[i].cfg.name);
			leaks++;
		}
		if (fk.devices[i].bar0 != NULL && fk.devices[i].bar0 != MAP_FAILED)
			munmap(fk.devices[i].bar0, FAKE_BAR0_SIZE);
	}
	if (fk.dir[0] != '\0')
		nftw(fk.dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	fk.installed = false;
	return leaks;
}

void
fake_vfio_fail_ioctl(unsigned int nth, int err)
{
	fk.fail_nth = nth;
	fk.fail_err = err;
}

unsigned int
fake_vfio_ioctl_count(unsigned long req)
{
	unsigned int i, n = 0;

	for (i = 0; i < fk.n_req_log; i++)
		if (fk.req_log[i] == req)
			n++;
	return n;
}

unsigned int
fake_vfio_ioctl_total(void)
{
	return fk.ioctl_total;
}

static struct fcontainer *
live_container(void)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (fk.containers[i] != NULL)
			return fk.containers[i];
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

	for (i = 0; i < fk.n_groups; i++)
		if (fk.groups[i].cfg.num == num)
			return fk.groups[i].container != NULL;
	return false;
}

static struct fdevice *
dev_by_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < fk.n_devices; i++)
		if (strcmp(fk.devices[i].cfg.name, name) == 0)
			return &fk.devices[i];
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
	return fk.dir;
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
