/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VFIO_H
#define KEEL_VFIO_H

/**
 * @file
 * VFIO type1 v2: containers, IOMMU groups and devices.
 *
 * A container is /dev/vfio/vfio. Groups (/dev/vfio/N) are bound to it; the
 * IOMMU (VFIO_TYPE1v2_IOMMU) is set when the first group is bound, and
 * VFIO_IOMMU_GET_INFO is read then (page sizes, IOVA ranges, DMA_AVAIL).
 * Devices are opened from their group: region info, BAR mmap, config space,
 * reset, eventfd interrupts.
 *
 * Every call goes through the system-call table of keel_vfio_sys.h.
 * Functions return 0 (or a documented non-negative value) on success and a
 * negative errno on failure, with errno set and a log line naming the bad
 * value; a failed call leaves the objects as they were.
 *
 * Thread safety: a container's group list is protected by its own lock;
 * map and unmap may be called concurrently (the kernel serialises them).
 * A device is used by one thread at a time.
 *
 * The container is also registered as the IOMMU backend "vfio"
 * (KEEL_IOMMU_VFIO) of the IOMMU container layer; see
 * keel_vfio_backend_create().
 */

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "iommu_backend.h"
#include "keel_vfio_ranges.h"
#include "keel_vfio_sys.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most IOVA ranges kept from the kernel's IOVA_RANGE capability. */
#define KEEL_VFIO_MAX_KERNEL_RANGES 64

/** What VFIO_IOMMU_GET_INFO said, after validation. */
struct keel_vfio_iommu_info {
	uint64_t pgsize_bitmap;      /**< iova_pgsizes (0 if not reported) */
	bool has_iova_ranges;        /**< the IOVA_RANGE capability was there */
	unsigned int n_ranges;       /**< entries in ranges[] */
	/** IOVA_RANGE: the aperture minus non-relaxable reserved regions */
	struct keel_iova_range ranges[KEEL_VFIO_MAX_KERNEL_RANGES];
	bool has_dma_avail;          /**< the DMA_AVAIL capability was there */
	uint32_t dma_avail;          /**< mappings the kernel still allows */
	bool has_migration;          /**< the MIGRATION capability was there */
};

struct keel_vfio_container;
struct keel_vfio_device;

/**
 * Open /dev/vfio/vfio, check VFIO_GET_API_VERSION == VFIO_API_VERSION and
 * that VFIO_TYPE1v2_IOMMU is supported.
 *
 * @param out  the new container
 * @return 0; -ENOENT/-EACCES/... from open(); -EPROTO for a wrong API
 *         version; -ENOTSUP without type1 v2
 */
int keel_vfio_container_open(struct keel_vfio_container **out);

/**
 * Unbind all groups and close the container (the kernel drops every
 * mapping). NULL is accepted.
 * @return 0, or -EBUSY while devices of the container are open (nothing
 *         is closed then)
 */
int keel_vfio_container_close(struct keel_vfio_container *c);

/** @return the container fd (for diagnostics). */
int keel_vfio_container_fd(const struct keel_vfio_container *c);

/** @return number of groups bound to the container (0 for NULL). */
unsigned int keel_vfio_container_n_groups(struct keel_vfio_container *c);

/**
 * IOMMU group of a PCI device, from the basename of
 * SYSFS/bus/pci/devices/BDF/iommu_group.
 *
 * @param bdf        "0000:00:03.0"
 * @param group_num  the group number
 * @return 0; -EINVAL for a bad bdf; -ENODEV if the device has no group
 */
int keel_vfio_pci_group_num(const char *bdf, int *group_num);

/**
 * Bind IOMMU group @p group_num to the container: open /dev/vfio/N, check
 * it is viable (all its devices bound to vfio), VFIO_GROUP_SET_CONTAINER,
 * and for the first group VFIO_SET_IOMMU(TYPE1v2) and GET_INFO. The
 * group's reserved regions are read from sysfs (a malformed file fails
 * the bind).
 *
 * @return 0; -EEXIST if already bound here; -EPERM if not viable; -EBUSY
 *         if another container holds it; errors of the ioctls otherwise
 */
int keel_vfio_group_bind(struct keel_vfio_container *c, int group_num);

/**
 * Unbind a group bound by keel_vfio_group_bind().
 * @return 0; -ENOENT if not bound; -EBUSY while devices of the group are
 *         open, or if it is the last group and mappings exist (unbinding
 *         would make the kernel drop them behind the caller's back)
 */
int keel_vfio_group_unbind(struct keel_vfio_container *c, int group_num);

/**
 * Query VFIO_IOMMU_GET_INFO now and validate it (capability chain walked
 * with every offset and length checked).
 * @return 0; -ENODEV before a group is bound; -EPROTO for a malformed reply
 */
int keel_vfio_iommu_info(struct keel_vfio_container *c,
			 struct keel_vfio_iommu_info *info);

/**
 * Most mappings the container can hold: DMA_AVAIL sampled when the IOMMU
 * was set (no mapping existed then), else the vfio_iommu_type1
 * dma_entry_limit module parameter, else 0 (no known limit).
 */
uint64_t keel_vfio_dma_limit(struct keel_vfio_container *c);

/**
 * Usable IOVA ranges: kernel IOVA ranges minus every bound group's reserved
 * regions (except direct-relaxable), aligned to the minimum page size.
 *
 * @param c          the container
 * @param out        result (ascending)
 * @param max        capacity; when more ranges exist the largest @p max
 *                   are kept (a warning is logged)
 * @param n          number stored
 * @param addr_width address width from the top of the kernel ranges
 *                   (may be NULL)
 * @return 0, or -ENODEV before a group is bound
 */
int keel_vfio_usable_ranges(struct keel_vfio_container *c,
			    struct keel_iova_range *out, unsigned int max,
			    unsigned int *n, unsigned int *addr_width);

/**
 * VFIO_IOMMU_MAP_DMA of [iova, iova + len) to [va, va + len).
 *
 * @param c     the container
 * @param va    first VA
 * @param iova  first IOVA
 * @param len   bytes
 * @param prot  KEEL_IOMMU_PROT_READ | KEEL_IOMMU_PROT_WRITE (at least one)
 * @return 0; -EINVAL (bad prot, zero/unaligned length, wrap, outside the
 *         IOVA ranges); -EEXIST (overlap); -ENOSPC (dma_entry_limit);
 *         -EFAULT/-ENOMEM (pinning); -ENODEV before a group is bound
 */
int keel_vfio_dma_map(struct keel_vfio_container *c, uint64_t va,
		      uint64_t iova, uint64_t len, uint32_t prot);

/**
 * VFIO_IOMMU_UNMAP_DMA of [iova, iova + len). The kernel reports the bytes
 * it removed; anything other than @p len is an error here.
 *
 * @param c         the container
 * @param iova      first IOVA
 * @param len       bytes
 * @param unmapped  bytes the kernel removed (also on -EIO); may be NULL
 * @return 0; -EINVAL (zero/unaligned length, wrap, the range bisects a
 *         mapping: nothing removed); -EIO when the kernel removed a
 *         different number of bytes than asked (both logged)
 */
int keel_vfio_dma_unmap(struct keel_vfio_container *c, uint64_t iova,
			uint64_t len, uint64_t *unmapped);

/** A device region (BAR 0-5, ROM 6, config 7, VGA 8). */
struct keel_vfio_region {
	uint32_t index;   /**< region index */
	uint32_t flags;   /**< VFIO_REGION_INFO_FLAG_* (READ 1, WRITE 2,
			       MMAP 4, CAPS 8) */
	uint64_t size;    /**< bytes; 0 = absent */
	uint64_t offset;  /**< offset of the region in the device fd */
};

/** A device interrupt index (INTX 0, MSI 1, MSIX 2, ERR 3, REQ 4). */
struct keel_vfio_irq {
	uint32_t index;   /**< interrupt index */
	uint32_t flags;   /**< VFIO_IRQ_INFO_* (EVENTFD 1, MASKABLE 2, ...) */
	uint32_t count;   /**< vectors */
};

/** Region index of PCI config space. */
#define KEEL_VFIO_PCI_CONFIG_REGION 7
/** Number of BARs. */
#define KEEL_VFIO_PCI_NUM_BARS 6

/**
 * Open a PCI device: bind its group to @p c if needed, then
 * VFIO_GROUP_GET_DEVICE_FD, VFIO_DEVICE_GET_INFO and region info.
 *
 * @param c    the container
 * @param bdf  "0000:00:03.0"
 * @param out  the device
 * @return 0 or -errno (-ENODEV: no IOMMU group; -EPERM: group not viable)
 */
int keel_vfio_device_open(struct keel_vfio_container *c, const char *bdf,
			  struct keel_vfio_device **out);

/**
 * Unmap the device's BARs, disable its interrupts and close it; the group
 * is unbound when it was bound for this device only. NULL is accepted.
 */
void keel_vfio_device_close(struct keel_vfio_device *d);

/** @return the device fd, or -EINVAL for NULL. */
int keel_vfio_device_fd(const struct keel_vfio_device *d);
/** @return VFIO_DEVICE_FLAGS_* of the device. */
uint32_t keel_vfio_device_flags(const struct keel_vfio_device *d);
/** @return number of regions. */
uint32_t keel_vfio_device_num_regions(const struct keel_vfio_device *d);
/** @return number of interrupt indices. */
uint32_t keel_vfio_device_num_irqs(const struct keel_vfio_device *d);

/**
 * Region information (VFIO_DEVICE_GET_REGION_INFO, cached at open).
 * @return 0; -EINVAL for an index the device does not have
 */
int keel_vfio_region_info(struct keel_vfio_device *d, uint32_t index,
			  struct keel_vfio_region *r);

/**
 * mmap a BAR (MAP_SHARED, read/write). Mapping twice returns the same
 * address.
 * @return 0; -EINVAL for a bad BAR; -ENOTSUP if it cannot be mmapped
 */
int keel_vfio_bar_map(struct keel_vfio_device *d, unsigned int bar,
		      void **addr, uint64_t *len);

/** munmap a BAR. @return 0, or -ENOENT if it was not mapped. */
int keel_vfio_bar_unmap(struct keel_vfio_device *d, unsigned int bar);

/**
 * pread/pwrite of a region at @p off (bounds checked against its size).
 * @return 0; -EINVAL out of bounds or region absent; -EACCES if the region
 *         lacks READ (WRITE); -EIO on a short transfer
 */
int keel_vfio_region_read(struct keel_vfio_device *d, uint32_t index,
			  uint64_t off, void *buf, size_t len);
/** @copydoc keel_vfio_region_read */
int keel_vfio_region_write(struct keel_vfio_device *d, uint32_t index,
			   uint64_t off, const void *buf, size_t len);

/** Read PCI config space (region 7). Same errors as region read. */
int keel_vfio_config_read(struct keel_vfio_device *d, uint64_t off,
			  void *buf, size_t len);
/** Write PCI config space (region 7). */
int keel_vfio_config_write(struct keel_vfio_device *d, uint64_t off,
			   const void *buf, size_t len);

/**
 * VFIO_DEVICE_RESET.
 * @return 0; -ENOTSUP if the device lacks VFIO_DEVICE_FLAGS_RESET
 */
int keel_vfio_device_reset(struct keel_vfio_device *d);

/**
 * VFIO_DEVICE_GET_IRQ_INFO.
 * @return 0; -EINVAL for an index the device does not have
 */
int keel_vfio_irq_info(struct keel_vfio_device *d, uint32_t index,
		       struct keel_vfio_irq *irq);

/**
 * Enable interrupts of an index as eventfds (VFIO_DEVICE_SET_IRQS with
 * DATA_EVENTFD|ACTION_TRIGGER): vector start + i signals fds[i]; an fd of
 * -1 detaches that vector.
 * @return 0; -EINVAL if [start, start + count) exceeds the index's count
 *         or the index does not support eventfds
 */
int keel_vfio_irq_set_eventfds(struct keel_vfio_device *d, uint32_t index,
			       uint32_t start, uint32_t count,
			       const int *fds);

/** Disable every vector of an index (DATA_NONE|ACTION_TRIGGER, count 0). */
int keel_vfio_irq_disable(struct keel_vfio_device *d, uint32_t index);

/** Unmask an automasked vector (INTx): DATA_NONE|ACTION_UNMASK. */
int keel_vfio_irq_unmask(struct keel_vfio_device *d, uint32_t index,
			 uint32_t vector);

/**
 * The VFIO container behind a "vfio" backend's private pointer (what
 * keel_iommu_container_backend_priv() returns).
 */
struct keel_vfio_container *keel_vfio_backend_container(void *backend_priv);

/** The backend ops of the "vfio" backend. */
const struct keel_iommu_backend_ops *keel_vfio_backend_ops(void);

/**
 * Create a "vfio" backend (what the registered create() does): open a
 * container and bind the groups named in @p args.
 *
 * @param args  a comma-separated list of "group=N" and "dev=BDF" items:
 *              each group (or the group of each device) is bound;
 *              NULL or "": the groups of all devices bound to vfio-pci
 *              (SYSFS/bus/pci/drivers/vfio-pci/BDF; groups that cannot
 *              be bound are skipped with a warning); "nogroups": none.
 *              With no group bound, get_caps() fails with -ENODEV until one
 *              is bound with keel_vfio_group_bind() on
 *              keel_vfio_backend_container(priv).
 * @param ops   out: the backend's ops
 * @param priv  out: its private state (the container)
 * @return 0; -EINVAL for a bad item (named in the log); errors of
 *         keel_vfio_container_open() and keel_vfio_group_bind()
 */
int keel_vfio_backend_create(const char *args,
			     const struct keel_iommu_backend_ops **ops,
			     void **priv);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_VFIO_H */
