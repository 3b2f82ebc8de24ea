/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VFIO_INTERNAL_H
#define KEEL_VFIO_INTERNAL_H

/*
 * Internal state of the VFIO type1 backend, shared by vfio_*.c and visible
 * to the autotests (pure parsers are tested on tables of cases).
 *
 * Invariants: a group is on its container's list iff it is bound
 * (VFIO_GROUP_SET_CONTAINER done); iommu_set iff at least one group is
 * bound; a group stays listed while it is explicitly bound or has open
 * devices. The container's lock protects the group list, iommu_set, info,
 * dma_limit and n_devices; mapped_bytes is atomic (map/unmap do not take
 * the lock).
 *
 * Ownership: vfio_group.c alone reads and writes groups and the group list
 * (struct vfio_group is private to it); vfio_container.c alone sets the
 * container's IOMMU state (iommu_set, info, dma_limit, min_pg), which
 * vfio_group.c asks for through vfio_container_iommu_join/leave_locked().
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

/* A bound IOMMU group (vfio_group.c's). */
struct vfio_group;

/* The groups bound to a container, newest first (vfio_group.c's). */
struct vfio_group_list {
	struct vfio_group *head;
	unsigned int n;
};

struct keel_vfio_container {
	pthread_mutex_t lock;
	int fd;
	bool iommu_set;
	struct vfio_group_list groups;    /* vfio_group.c's */
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

/*
 * vfio_group.c, container lock held. ref: bind group @p num (or take one
 * more reference: an explicit bind, or an open device). unref: drop one.
 */
int vfio_group_ref_locked(struct keel_vfio_container *c, int num,
			  bool explicit_bind, struct vfio_group **out);
void vfio_group_unref_locked(struct keel_vfio_container *c,
			     struct vfio_group *g, bool explicit_bind);
/*
 * A device of @p g closes. If that would unbind the container's last group
 * while mappings exist (which would drop them behind the IOVA table's
 * back), the group stays bound until the container closes.
 */
void vfio_group_unref_device_locked(struct keel_vfio_container *c,
				    struct vfio_group *g);
/* VFIO_GROUP_GET_DEVICE_FD of @p name in @p g: the fd, or -errno (logged). */
int vfio_group_device_fd(const struct vfio_group *g, const char *name);
/* Unbind every group (the container closes with no open device). */
void vfio_groups_release_all_locked(struct keel_vfio_container *c);
/*
 * Remove every bound group's reserved regions (except relaxable direct
 * ones) from the @p *cnt ranges in @p work (room for @p max).
 * Returns 0 or keel_vfio_ranges_subtract()'s error.
 */
int vfio_groups_subtract_resv_locked(struct keel_vfio_container *c,
				     struct keel_iova_range *work,
				     unsigned int *cnt, unsigned int max);

/*
 * vfio_container.c, for vfio_group.c, container lock held. join: a group
 * was just added to the container (VFIO_GROUP_SET_CONTAINER): set the
 * IOMMU type on the first, re-read the IOMMU info on every join (the
 * usable ranges narrow as groups join). Returns 0 or -errno (logged); on
 * error the container's IOMMU state is unchanged. leave: the last group
 * left; the kernel dropped the IOMMU with it.
 */
int vfio_container_iommu_join_locked(struct keel_vfio_container *c,
				     int group_num);
void vfio_container_iommu_leave_locked(struct keel_vfio_container *c);
/* Bytes mapped through the container now. */
uint64_t vfio_container_mapped_bytes(struct keel_vfio_container *c);

/* Errno helper: set errno and return -err. */
static inline int
vfio_err(int err)
{
	errno = err;
	return -err;
}

#endif /* KEEL_VFIO_INTERNAL_H */
