/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_FAKE_VFIO_INTERNAL_H
#define KEEL_FAKE_VFIO_INTERNAL_H

/*
 * Between the fake VFIO kernel's files: fake_vfio.c (fds, the sysfs tree,
 * the system-call table, install and the test probes), fake_vfio_iommu.c
 * (a container: type1 v2 map/unmap/info) and fake_vfio_device.c (groups
 * and devices). State and invariants: see fake_vfio.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

struct fake_vfio_state {
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
};

/* The one fake kernel (ioctls serialised by fake_vfio.c's lock). */
extern struct fake_vfio_state fk;

uint64_t fake_minpg(void);
int fake_fail(int err);
int fake_fd_alloc(enum fobj type, void *p);
struct fobject *fake_fd_get(int fd);

/* fake_vfio_iommu.c */
struct fmap *map_containing(struct fcontainer *c, uint64_t a);
int container_ioctl(struct fcontainer *c, unsigned long req, void *arg);
void container_maybe_free(struct fcontainer *c);

/* fake_vfio_device.c */
int group_ioctl(struct fgroup *g, unsigned long req, void *arg);
int device_ioctl(struct fdevice *d, unsigned long req, void *arg);
void device_reset_state(struct fdevice *d);
uint64_t region_size(struct fdevice *d, uint32_t index, uint32_t *flags);
uint8_t *region_mem(struct fdevice *d, uint64_t off, size_t *avail);

#endif /* KEEL_FAKE_VFIO_INTERNAL_H */
