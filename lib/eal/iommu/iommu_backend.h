/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_IOMMU_BACKEND_H
#define KEEL_IOMMU_BACKEND_H

/**
 * @file
 * The one interface between the IOVA map table / container and an IOMMU
 * backend (VFIO type1, the emulated IOMMU, a test's fake). Every map and
 * unmap the process makes goes through these ops, so tests can plug in a
 * fake kernel with fail-the-Nth injection.
 *
 * Ranges here are (start, len) at the edges, because that is what the
 * kernel takes; internally the table uses inclusive `last`.
 */
#include <stdbool.h>
#include <stdint.h>

#include "keel_eal.h"   /* enum keel_iommu_kind */

/** Most usable IOVA ranges a backend reports. */
#define KEEL_IOMMU_MAX_RANGES 16

/** Mapping permission: the device may read (the same bit as
 *  KEEL_IOMMU_ACCESS_READ of keel_iommu.h). */
#define KEEL_IOMMU_PROT_READ  (1u << 0)
/** Mapping permission: the device may write (KEEL_IOMMU_ACCESS_WRITE). */
#define KEEL_IOMMU_PROT_WRITE (1u << 1)

/** An inclusive IOVA range [start, last]. */
struct keel_iova_range {
	uint64_t start;  /**< first IOVA */
	uint64_t last;   /**< last IOVA (inclusive) */
};

/** What a backend can do, as the map table needs to know it. */
struct keel_iommu_caps {
	/** true: any page-aligned sub-range of a mapping may be unmapped;
	 *  false (VFIO type1 v2, virtio-iommu): an unmap may not bisect the
	 *  range of an earlier map call */
	bool can_split;
	/** supported page sizes; the lowest set bit is the minimum alignment */
	uint64_t pgsize_bitmap;
	/** IOVA address width in bits (39, 48, 57, 64) */
	unsigned int addr_width;
	/** most mappings the backend holds at once; 0 = no limit */
	uint64_t max_mappings;
	/** usable IOVA ranges (aperture minus reserved), ascending */
	struct keel_iova_range ranges[KEEL_IOMMU_MAX_RANGES];
	unsigned int n_ranges;  /**< entries used in ranges[] */
};

/** A backend's operations; every map and unmap goes through them. */
struct keel_iommu_backend_ops {
	const char *name;  /**< backend name ("vfio", "emulated", ...) */
	/** fill @p caps; 0 or -errno */
	int (*get_caps)(void *priv, struct keel_iommu_caps *caps);
	/** map [iova, iova + len) to [va, va + len) for device access @p prot
	 *  (KEEL_IOMMU_PROT_READ and/or _WRITE; a backend that cannot grant
	 *  exactly that grants no more than it must, e.g. VT-d gives READ
	 *  with WRITE); 0 or -errno */
	int (*map)(void *priv, uint64_t va, uint64_t iova, uint64_t len,
		   uint32_t prot);
	/**
	 * unmap [iova, iova + len). -errno: nothing was removed. 0: the
	 * backend removed *unmapped bytes; normally len, but a backend may
	 * stop early, as type1 does at a mapping another process made: then
	 * it removed exactly the mappings in [iova, iova + *unmapped), the
	 * start of the range in IOVA order, and holds the rest. The table
	 * follows that report (and returns -EIO to its caller).
	 * 1: as 0, but a device may still be using what was removed (an
	 * access that began before the unmap); the table keeps the IOVAs
	 * taken, drops its lock and calls unmap_wait() before it returns.
	 */
	int (*unmap)(void *priv, uint64_t iova, uint64_t len,
		     uint64_t *unmapped);
	/** release the backend's private state */
	void (*destroy)(void *priv);
	/** optional (may be NULL): how many mappings the backend holds now
	 *  (type1: dma_entry_limit - DMA_AVAIL); used in ENOSPC messages */
	int (*get_usage)(void *priv, uint64_t *n_mappings);
	/**
	 * optional (needed when unmap may return 1): wait until no device
	 * access that began before the unmap of [iova, iova + len) is still
	 * using it. Called without the table's lock: other map and unmap
	 * calls may run meanwhile (on other ranges).
	 */
	void (*unmap_wait)(void *priv, uint64_t iova, uint64_t len);
};

/**
 * Backend registry. A backend registers itself from a constructor, so the
 * container has no link-time dependency on it. create() parses its args
 * (may be NULL or ""), sets *ops and *priv, and returns 0 or -errno.
 */
typedef int (*keel_iommu_backend_create_t)(const char *args,
		const struct keel_iommu_backend_ops **ops, void **priv);

/**
 * Register backend @p name for @p kind. Re-registering the same name
 * replaces its entry. @return 0, -EINVAL (NULL/too long name, NULL create),
 * -ENOSPC (registry full).
 */
int keel_iommu_backend_register(enum keel_iommu_kind kind, const char *name,
				keel_iommu_backend_create_t create);

/** Remove a registration (tests). @return 0 or -ENOENT. */
int keel_iommu_backend_unregister(const char *name);

/**
 * Find the backend registered for @p kind (the most recent one if several),
 * or by @p name when name != NULL. @return its create function, or NULL.
 * *name_out (if not NULL) gets the registered name.
 */
keel_iommu_backend_create_t keel_iommu_backend_find(enum keel_iommu_kind kind,
		const char *name, const char **name_out);

/** @return the kind @p name is registered under (>= 0), or -ENOENT / -EINVAL. */
int keel_iommu_backend_kind_of(const char *name);

#endif /* KEEL_IOMMU_BACKEND_H */
