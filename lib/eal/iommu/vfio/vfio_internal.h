/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VFIO_INTERNAL_H
#define KEEL_VFIO_INTERNAL_H

/*
 * Internal state of the VFIO type1 backend, shared by vfio_*.c and visible
 * to the autotests (pure parsers are tested on tables of cases).
 *
 * Invariants: a group is on its container's list iff it is bound
 * (VFIO_GROUP_SET_CONTAINER done); iommu_set iff at least one group is
 * bound; refs counts the explicit bind plus each open device. The
 * container's lock protects the group list, iommu_set, info, dma_limit
 * and n_devices; mapped_bytes is atomic (map/unmap do not take the lock).
 */

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "keel_vfio.h"

extern int keel_logtype_vfio;

/* Most reserved regions read per group. */
#define VFIO_MAX_RESV 64
/* Largest GET_INFO reply accepted (argsz the kernel asks for). */
#define VFIO_INFO_MAX_ARGSZ 65536

struct vfio_group {
	struct vfio_group *next;
	int num;
	int fd;
	bool explicit_bind;              /* bound by keel_vfio_group_bind */
	unsigned int n_devices;          /* open devices of this group */
	unsigned int n_resv;
	struct keel_vfio_resv resv[VFIO_MAX_RESV];
};

struct keel_vfio_container {
	pthread_mutex_t lock;
	int fd;
	bool iommu_set;
	struct vfio_group *groups;
	unsigned int n_groups;
	unsigned int n_devices;
	struct keel_vfio_iommu_info info; /* last GET_INFO */
	uint64_t dma_limit;
	uint64_t min_pg;                  /* atomic: lowest iova_pgsizes bit */
	uint64_t mapped_bytes;            /* atomic */
};

/* The system-call table in use. */
const struct keel_vfio_sys_ops *vfio_sys(void);
/* Count of open containers and devices (set_sys_ops refuses while > 0). */
void vfio_obj_get(void);
void vfio_obj_put(void);

/*
 * Validate and decode a VFIO_IOMMU_GET_INFO reply of @p len bytes (the
 * argsz the caller passed). Untrusted: every capability offset must be
 * 4-byte aligned, past the fixed header, strictly increasing and inside
 * @p len, and each capability's body must fit before the next one.
 * Unknown capability ids are skipped. Returns 0 or -EPROTO (logged).
 */
int vfio_parse_iommu_info(const void *buf, size_t len,
			  struct keel_vfio_iommu_info *info);

/* VFIO_IOMMU_GET_INFO into *info (retrying with the argsz the kernel asks
 * for, at most VFIO_INFO_MAX_ARGSZ); container lock held. */
int vfio_query_info_locked(struct keel_vfio_container *c,
			   struct keel_vfio_iommu_info *info);

/* Lowest set bit of an iova_pgsizes bitmap; the CPU page size if 0. */
uint64_t vfio_min_pgsize(uint64_t bitmap);

/* Read a small sysfs file under the sysfs root into buf (NUL-terminated).
 * Returns bytes read or -errno. */
ssize_t vfio_sysfs_read(const char *relpath, char *buf, size_t cap);

/* Bind/unbind with the container lock held. */
int vfio_group_ref_locked(struct keel_vfio_container *c, int num,
			  bool explicit_bind, struct vfio_group **out);
void vfio_group_unref_locked(struct keel_vfio_container *c,
			     struct vfio_group *g, bool explicit_bind);

/* Errno helper: set errno and return -err. */
static inline int
vfio_err(int err)
{
	errno = err;
	return -err;
}

#endif /* KEEL_VFIO_INTERNAL_H */
