/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_DMADEV_PMD_H
#define KEEL_DMADEV_PMD_H

/**
 * @file
 * Driver side of the DMA device library.
 *
 * A driver allocates a device with keel_dma_pmd_allocate() (usually from
 * its bus probe), fills dev->ops (control path) and dev->fp (fast-path
 * callbacks) and dev->dev_private, and releases it with
 * keel_dma_pmd_release() from its close op's caller (the library does it
 * in keel_dma_close()).
 *
 * The library validates every control-path argument against the driver's
 * info before calling an op, and tracks state (configured, vchans set up,
 * started), so ops only see valid requests: configure/vchan_setup only
 * while stopped, start only with every vchan set up, stop only when
 * started. Ops return 0 or a negative errno and must leave the device as
 * it was on failure.
 *
 * Fast-path contract: each callback gets the driver's dev_private and a
 * vchan < nb_vchans (the inline wrappers check it); copy_sg gets 1..max_sges
 * entries a side; copy and fill get length >= 1. Enqueue returns the ring
 * index (a uint16_t counter starting at 0 at each start) or -ENOSPC when
 * nb_desc ops are outstanding (enqueued and not yet collected).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "keel_dmadev.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most vchans per device the library tracks. */
#define KEEL_DMA_MAX_VCHANS 64

struct keel_dma_dev;

/** Control-path ops of a driver. All mandatory except stats_reset/dump. */
struct keel_dma_dev_ops {
	/** Fill @p info (dev_name, nb_vchans and numa_node are set by the
	 *  library afterwards). */
	int (*info_get)(const struct keel_dma_dev *dev,
			struct keel_dma_info *info);
	/** Set the number of vchans; drop previous vchan setups. */
	int (*configure)(struct keel_dma_dev *dev,
			 const struct keel_dma_conf *conf);
	/** Allocate the ring of one vchan (replacing an earlier setup). */
	int (*vchan_setup)(struct keel_dma_dev *dev, uint16_t vchan,
			   const struct keel_dma_vchan_conf *conf);
	/** Reset ring indexes to 0 and start processing. */
	int (*start)(struct keel_dma_dev *dev);
	/** Finish submitted ops and stop processing. */
	int (*stop)(struct keel_dma_dev *dev);
	/** Free everything (the device is stopped). */
	int (*close)(struct keel_dma_dev *dev);
	/** Stats of one vchan (never KEEL_DMA_ALL_VCHAN: the library sums). */
	int (*stats_get)(const struct keel_dma_dev *dev, uint16_t vchan,
			 struct keel_dma_stats *stats);
	/** Zero the stats of one vchan. */
	int (*stats_reset)(struct keel_dma_dev *dev, uint16_t vchan);
	/** State of one vchan. */
	int (*vchan_status)(const struct keel_dma_dev *dev, uint16_t vchan,
			    enum keel_dma_vchan_status *status);
	/** Print driver state. */
	int (*dump)(const struct keel_dma_dev *dev, FILE *f);
};

/**
 * Fast-path callbacks of a driver (copied into keel_dma_fp_objs at start).
 * copy_sg and fill may be NULL: the library then answers -ENOTSUP (errno
 * ENOTSUP, a log line) for them. Every other callback is mandatory;
 * keel_dma_start() refuses a device without one (-EINVAL).
 */
struct keel_dma_fp_ops {
	keel_dma_copy_t copy;                 /**< keel_dma_copy() */
	keel_dma_copy_sg_t copy_sg;           /**< keel_dma_copy_sg() */
	keel_dma_fill_t fill;                 /**< keel_dma_fill() */
	keel_dma_submit_t submit;             /**< keel_dma_submit() */
	keel_dma_completed_t completed;       /**< keel_dma_completed() */
	/** keel_dma_completed_status() */
	keel_dma_completed_status_t completed_status;
	keel_dma_burst_capacity_t burst_capacity; /**< keel_dma_burst_capacity() */
};

/** Library state of a device. */
enum keel_dma_dev_state {
	KEEL_DMA_DEV_UNUSED = 0,   /**< slot free */
	KEEL_DMA_DEV_REGISTERED,   /**< allocated, not configured */
	KEEL_DMA_DEV_CONFIGURED,   /**< configured, stopped */
	KEEL_DMA_DEV_STARTED,      /**< started */
};

/** A DMA device, as the library and its driver see it. */
struct keel_dma_dev {
	char name[KEEL_DMADEV_NAME_MAX];      /**< unique name */
	const char *driver;                   /**< driver name (static) */
	int16_t dev_id;                       /**< index */
	int numa_node;                        /**< -1 when unknown */
	enum keel_dma_dev_state state;        /**< library state */
	uint16_t nb_vchans;                   /**< configured vchans */
	uint64_t vchan_ready;                 /**< bit i: vchan i set up */
	const struct keel_dma_dev_ops *ops;   /**< set by the driver */
	struct keel_dma_fp_ops fp;            /**< set by the driver */
	void *dev_private;                    /**< driver's state */
};

/**
 * Allocate a device slot named @p name, with @p priv_size bytes of zeroed
 * private memory in dev->dev_private (none when 0).
 *
 * @return the device, or NULL with errno: EINVAL (bad name), EEXIST (name
 *         taken), ENOSPC (no free slot), ENOMEM.
 */
struct keel_dma_dev *keel_dma_pmd_allocate(const char *name, int numa_node,
					   size_t priv_size);

/**
 * Release a device slot (its private memory is freed). The driver must
 * have stopped everything. @return 0 or -EINVAL.
 */
int keel_dma_pmd_release(struct keel_dma_dev *dev);

/** @return the device called @p name, or NULL. */
struct keel_dma_dev *keel_dma_pmd_get_dev_by_name(const char *name);

/** Log component of the DMA device library. */
extern int keel_logtype_dmadev;

#ifdef __cplusplus
}
#endif
#endif /* KEEL_DMADEV_PMD_H */
