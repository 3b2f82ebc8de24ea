/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_DMADEV_H
#define KEEL_DMADEV_H

/**
 * @file
 * DMA devices: a control path (lookup, info, configure, vchan setup,
 * start/stop/close, stats, dump) and an inline fast path (enqueue copy,
 * copy_sg, fill; submit; completed; completed_status; burst_capacity).
 *
 * Every address handed to the fast path is an IOVA, as the device sees it:
 * get it from keel_mem_virt2iova() for EAL memory. The library never
 * assumes IOVA = VA; a driver translates IOVAs through the IOMMU it sits
 * behind (a device with KEEL_DMA_CAPA_SVA also accepts process VAs).
 *
 * Ring indexes: each enqueue returns the op's ring index, a 16-bit counter
 * per vchan that starts at 0 after keel_dma_start() and wraps from 65535 to
 * 0, as DPDK users expect. completed() and completed_status() report the
 * index of the last op they returned, so `(uint16_t)(last_idx - idx)`
 * arithmetic works across the wrap.
 *
 * Threading: the control path is thread-safe (one lock). The fast path of
 * one vchan is lock-free and must be driven by one thread at a time;
 * different vchans may be driven by different threads concurrently. The
 * fast path must not run concurrently with stop/close/configure of the
 * same device.
 *
 * Bad arguments on the fast path (device id, vchan, scatter-gather count,
 * length 0, a device not started) return -EINVAL and log the bad value;
 * they never touch memory.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct keel_iommu_container;

/** Most DMA devices in a process. */
#define KEEL_DMADEV_MAX 64
/** Longest device name, NUL included. */
#define KEEL_DMADEV_NAME_MAX 64
/** Passed as vchan to stats calls: every vchan. */
#define KEEL_DMA_ALL_VCHAN 0xFFFFu

/**
 * @name Device capabilities (keel_dma_info.dev_capa)
 * @{
 */
#define KEEL_DMA_CAPA_MEM_TO_MEM     (1ull << 0)  /**< memory to memory */
#define KEEL_DMA_CAPA_MEM_TO_DEV     (1ull << 1)  /**< memory to device */
#define KEEL_DMA_CAPA_DEV_TO_MEM     (1ull << 2)  /**< device to memory */
#define KEEL_DMA_CAPA_DEV_TO_DEV     (1ull << 3)  /**< device to device */
#define KEEL_DMA_CAPA_SVA            (1ull << 4)  /**< process VAs usable */
#define KEEL_DMA_CAPA_HANDLES_ERRORS (1ull << 6)  /**< per-op error status */
#define KEEL_DMA_CAPA_BEHIND_IOMMU   (1ull << 8)  /**< IOVAs go through an IOMMU */
#define KEEL_DMA_CAPA_OPS_COPY       (1ull << 32) /**< keel_dma_copy() */
#define KEEL_DMA_CAPA_OPS_COPY_SG    (1ull << 33) /**< keel_dma_copy_sg() */
#define KEEL_DMA_CAPA_OPS_FILL       (1ull << 34) /**< keel_dma_fill() */
/** @} */

/**
 * @name Op flags
 * @{
 */
/** Start this op only after every earlier op of the vchan has completed. */
#define KEEL_DMA_OP_FLAG_FENCE   (1ull << 0)
/** Submit this op and every earlier one (as keel_dma_submit()). */
#define KEEL_DMA_OP_FLAG_SUBMIT  (1ull << 1)
/**
 * Hint: the destination will not be read soon, do not keep it in the CPU
 * caches (a device may bypass caches; engines without the choice ignore it).
 */
#define KEEL_DMA_OP_FLAG_NOCACHE (1ull << 2)
/** @} */

/** Transfer direction of a vchan. */
enum keel_dma_direction {
	KEEL_DMA_DIR_MEM_TO_MEM = 0, /**< memory to memory */
	KEEL_DMA_DIR_MEM_TO_DEV,     /**< memory to device */
	KEEL_DMA_DIR_DEV_TO_MEM,     /**< device to memory */
	KEEL_DMA_DIR_DEV_TO_DEV,     /**< device to device */
};

/** Status of one completed op (keel_dma_completed_status()). */
enum keel_dma_status_code {
	KEEL_DMA_STATUS_SUCCESSFUL = 0,      /**< done */
	KEEL_DMA_STATUS_USER_ABORT,          /**< aborted by stop/close */
	KEEL_DMA_STATUS_NOT_ATTEMPTED,       /**< skipped after an earlier error */
	/** source not readable: not mapped, or mapped without read
	 *  permission (an IOMMU fault on the source side) */
	KEEL_DMA_STATUS_INVALID_SRC_ADDR,
	/** destination not writable: not mapped, or mapped read-only (an
	 *  IOMMU fault on the destination side; dma_soft and dma_edu report
	 *  every fault with these two) */
	KEEL_DMA_STATUS_INVALID_DST_ADDR,
	KEEL_DMA_STATUS_INVALID_ADDR,        /**< an address is invalid */
	KEEL_DMA_STATUS_INVALID_LENGTH,      /**< length invalid for the device */
	KEEL_DMA_STATUS_INVALID_OPCODE,      /**< op not supported */
	KEEL_DMA_STATUS_BUS_READ_ERROR,      /**< bus error reading */
	KEEL_DMA_STATUS_BUS_WRITE_ERROR,     /**< bus error writing */
	KEEL_DMA_STATUS_BUS_ERROR,           /**< other bus error */
	KEEL_DMA_STATUS_DATA_ERROR,          /**< data poisoned or corrupt */
	KEEL_DMA_STATUS_DESCRIPTOR_READ_ERROR, /**< descriptor unreadable */
	KEEL_DMA_STATUS_DEV_LINK_ERROR,      /**< device link down */
	/** an IOMMU fault the device cannot attribute to a side (no Keel
	 *  driver reports it: they use INVALID_SRC_ADDR / INVALID_DST_ADDR) */
	KEEL_DMA_STATUS_PAGE_FAULT,
	KEEL_DMA_STATUS_ERROR_UNKNOWN = 0x100, /**< anything else */
};

/** State of a vchan (keel_dma_vchan_status()). */
enum keel_dma_vchan_status {
	KEEL_DMA_VCHAN_IDLE = 0,      /**< nothing in flight */
	KEEL_DMA_VCHAN_ACTIVE,        /**< ops submitted and not done */
	KEEL_DMA_VCHAN_HALTED_ERROR,  /**< halted on an error */
};

/** What a device can do (keel_dma_info_get()). */
struct keel_dma_info {
	const char *dev_name;  /**< device name, valid while the device lives */
	const char *driver;    /**< driver name */
	uint64_t dev_capa;     /**< KEEL_DMA_CAPA_* */
	uint16_t max_vchans;   /**< most vchans keel_dma_configure() accepts */
	uint16_t max_desc;     /**< largest ring size (power of two) */
	uint16_t min_desc;     /**< smallest ring size */
	uint16_t max_sges;     /**< most entries per side of a copy_sg */
	int numa_node;         /**< NUMA socket of the device, -1 unknown */
	uint16_t nb_vchans;    /**< vchans configured now (0 before configure) */
	/**
	 * DMA mask width: the device reaches IOVAs below 2^dma_mask_bits
	 * only (1..64; 64 = the whole IOVA space, what the library reports
	 * when a driver sets nothing). Memory the device uses must be mapped
	 * below it, e.g. keel_iommu_dma_register(c, va, len, dma_mask_bits,
	 * &iova). dma_edu: 28 by default (QEMU's edu dma_mask is 2^28 - 1;
	 * the device masks, not checks, higher addresses); dma_soft: 64, or
	 * its dma_mask_bits devarg. Not in DPDK 22.11's rte_dma_info, whose
	 * EAL keeps one process-wide mask (rte_mem_set_dma_mask(maskbits),
	 * set from the IOMMU's address width): an engine can reach less than
	 * the IOMMU, so whoever maps memory for it needs the device's own
	 * width; named after Linux's dma_set_mask(DMA_BIT_MASK(n)) and
	 * DPDK's maskbits.
	 */
	uint8_t dma_mask_bits;
	/**
	 * The IOMMU container whose IOVAs the device takes: memory it uses
	 * must be mapped there. NULL when the driver does not say (then it
	 * is the EAL's default container, keel_iommu_container_default()).
	 * dma_edu sits in a VFIO container of its own when the default one
	 * is not VFIO (see keel_dma_edu.h). Not in DPDK 22.11, whose EAL has
	 * one VFIO container for every device.
	 */
	struct keel_iommu_container *iommu;
};

/** Device configuration (keel_dma_configure()). */
struct keel_dma_conf {
	uint16_t nb_vchans;    /**< 1..info.max_vchans */
	uint16_t flags;        /**< must be 0 (no flags defined yet) */
};

/** Vchan configuration (keel_dma_vchan_setup()). */
struct keel_dma_vchan_conf {
	enum keel_dma_direction direction; /**< must be in the capabilities */
	uint16_t nb_desc;      /**< ring size: power of two in [min, max] */
};

/** Per-vchan statistics (keel_dma_stats_get()). */
struct keel_dma_stats {
	uint64_t submitted;    /**< ops submitted */
	uint64_t completed;    /**< ops returned by completed/_status */
	uint64_t errors;       /**< of which with a non-success status */
};

/** One scatter-gather entry (keel_dma_copy_sg()). */
struct keel_dma_sge {
	uint64_t addr;         /**< IOVA */
	uint32_t length;       /**< bytes */
};

/**
 * @name Control path
 * @{
 */

/** @return the id of the device called @p name, or -ENODEV / -EINVAL. */
int keel_dma_get_dev_id_by_name(const char *name);

/** @return true when @p dev_id names an existing device. */
bool keel_dma_is_valid(int16_t dev_id);

/** @return the number of existing devices. */
uint16_t keel_dma_count_avail(void);

/** @return the first device id >= @p start_dev_id, or -1 when none. */
int16_t keel_dma_next_dev(int16_t start_dev_id);

/** Iterate over existing device ids (an int16_t variable). */
#define KEEL_DMA_FOREACH_DEV(p) \
	for ((p) = keel_dma_next_dev(0); (p) != -1; \
	     (p) = keel_dma_next_dev((int16_t)((p) + 1)))

/**
 * Capabilities and limits of a device.
 * @return 0, or -EINVAL (bad id or NULL @p info).
 */
int keel_dma_info_get(int16_t dev_id, struct keel_dma_info *info);

/** @return the NUMA socket of a device (-1 unknown), or -EINVAL. */
int keel_dma_socket_id(int16_t dev_id);

/**
 * Configure a stopped device: set the number of vchans. Vchans must then
 * be set up again before keel_dma_start().
 * @return 0, -EINVAL (bad id, conf, vchan count or flags), -EBUSY (started)
 */
int keel_dma_configure(int16_t dev_id, const struct keel_dma_conf *conf);

/**
 * Set up vchan @p vchan of a configured, stopped device.
 * @return 0, -EINVAL (bad id, vchan, direction or ring size; unconfigured
 *         device), -EBUSY (started), -ENOMEM
 */
int keel_dma_vchan_setup(int16_t dev_id, uint16_t vchan,
			 const struct keel_dma_vchan_conf *conf);

/**
 * Start a device whose vchans are all set up. Ring indexes restart at 0.
 * @return 0, -EINVAL (bad id, not configured or a vchan not set up), or the
 *         driver's error. Starting a started device returns 0.
 */
int keel_dma_start(int16_t dev_id);

/**
 * Stop a device. Ops in flight are finished first; ops enqueued and not
 * submitted are dropped. @return 0 or -EINVAL.
 */
int keel_dma_stop(int16_t dev_id);

/**
 * Stop (if needed) and release a device; its id becomes free.
 * @return 0, or -EINVAL.
 */
int keel_dma_close(int16_t dev_id);

/**
 * Statistics of one vchan, or of all summed (KEEL_DMA_ALL_VCHAN).
 * @return 0, or -EINVAL (bad id or vchan, NULL @p stats).
 */
int keel_dma_stats_get(int16_t dev_id, uint16_t vchan,
		       struct keel_dma_stats *stats);

/** Zero the statistics of one vchan or all. @return 0 or -EINVAL. */
int keel_dma_stats_reset(int16_t dev_id, uint16_t vchan);

/** State of a vchan of a started device. @return 0 or -EINVAL. */
int keel_dma_vchan_status(int16_t dev_id, uint16_t vchan,
			  enum keel_dma_vchan_status *status);

/** Print a device's state to @p f. @return 0 or -EINVAL. */
int keel_dma_dump(int16_t dev_id, FILE *f);

/** Name of a status code ("success", "invalid_dst_addr", ...). */
const char *keel_dma_status_name(enum keel_dma_status_code code);

/** @} */

/*
 * Fast path. Driver callbacks; see keel_dmadev_pmd.h for the contract.
 */
/** @cond internal */
typedef int (*keel_dma_copy_t)(void *dev_private, uint16_t vchan,
			       uint64_t src, uint64_t dst, uint32_t length,
			       uint64_t flags);
typedef int (*keel_dma_copy_sg_t)(void *dev_private, uint16_t vchan,
				  const struct keel_dma_sge *src,
				  const struct keel_dma_sge *dst,
				  uint16_t nb_src, uint16_t nb_dst,
				  uint64_t flags);
typedef int (*keel_dma_fill_t)(void *dev_private, uint16_t vchan,
			       uint64_t pattern, uint64_t dst, uint32_t length,
			       uint64_t flags);
typedef int (*keel_dma_submit_t)(void *dev_private, uint16_t vchan);
typedef uint16_t (*keel_dma_completed_t)(void *dev_private, uint16_t vchan,
					 uint16_t nb_cpls, uint16_t *last_idx,
					 bool *has_error);
typedef uint16_t (*keel_dma_completed_status_t)(void *dev_private,
		uint16_t vchan, uint16_t nb_cpls, uint16_t *last_idx,
		enum keel_dma_status_code *status);
typedef uint16_t (*keel_dma_burst_capacity_t)(const void *dev_private,
					      uint16_t vchan);

/*
 * Per-device fast-path object. While a device is not started, its object
 * points at functions that log and return -EINVAL (or 0 for the counts),
 * with dev_private holding the device id.
 */
struct keel_dma_fp_object {
	void *dev_private;
	keel_dma_copy_t copy;
	keel_dma_copy_sg_t copy_sg;
	keel_dma_fill_t fill;
	keel_dma_submit_t submit;
	keel_dma_completed_t completed;
	keel_dma_completed_status_t completed_status;
	keel_dma_burst_capacity_t burst_capacity;
	uint16_t nb_vchans;
	uint16_t max_sges;
} __attribute__((aligned(64)));

extern struct keel_dma_fp_object keel_dma_fp_objs[KEEL_DMADEV_MAX];

/* Logs the bad argument and returns -EINVAL. */
int keel_dma_fp_bad_arg(int16_t dev_id, uint16_t vchan, const char *what,
			long long value);

static inline struct keel_dma_fp_object *
keel_dma_fp_get(int16_t dev_id, uint16_t vchan, int *err)
{
	struct keel_dma_fp_object *obj;

	if (__builtin_expect((uint16_t)dev_id >= KEEL_DMADEV_MAX, 0)) {
		*err = keel_dma_fp_bad_arg(dev_id, vchan, "device id", dev_id);
		return NULL;
	}
	obj = &keel_dma_fp_objs[dev_id];
	if (__builtin_expect(vchan >= obj->nb_vchans, 0) &&
	    obj->nb_vchans != 0) {
		*err = keel_dma_fp_bad_arg(dev_id, vchan, "vchan", vchan);
		return NULL;
	}
	return obj;
}
/** @endcond */

/**
 * @name Fast path
 * @{
 */

/**
 * Enqueue a copy of @p length bytes from IOVA @p src to IOVA @p dst.
 *
 * @param dev_id  the device
 * @param vchan   its vchan (driven by one thread at a time)
 * @param src     IOVA of the first source byte
 * @param dst     IOVA of the first destination byte
 * @param length  bytes to copy (> 0)
 * @param flags   KEEL_DMA_OP_FLAG_* (FENCE, SUBMIT, NOCACHE)
 * @return the op's ring index (0..65535), -ENOSPC when the ring is full
 *         (completed ops not yet collected count as occupying it), or
 *         -EINVAL (bad device, vchan, zero length, device not started).
 */
static inline int
keel_dma_copy(int16_t dev_id, uint16_t vchan, uint64_t src, uint64_t dst,
	      uint32_t length, uint64_t flags)
{
	int err = 0;
	struct keel_dma_fp_object *obj = keel_dma_fp_get(dev_id, vchan, &err);

	if (obj == NULL)
		return err;
	if (__builtin_expect(length == 0, 0))
		return keel_dma_fp_bad_arg(dev_id, vchan, "copy length", 0);
	return obj->copy(obj->dev_private, vchan, src, dst, length, flags);
}

/**
 * Enqueue a scatter-gather copy: the bytes of @p src[0..nb_src) in order
 * go to @p dst[0..nb_dst) in order. Both totals must be equal and every
 * entry non-empty; 1 <= nb_src, nb_dst <= info.max_sges.
 *
 * @return the ring index, -ENOSPC, -EINVAL, or -ENOTSUP when the device
 *         has no scatter-gather copy (no KEEL_DMA_CAPA_OPS_COPY_SG).
 */
static inline int
keel_dma_copy_sg(int16_t dev_id, uint16_t vchan,
		 const struct keel_dma_sge *src, const struct keel_dma_sge *dst,
		 uint16_t nb_src, uint16_t nb_dst, uint64_t flags)
{
	int err = 0;
	struct keel_dma_fp_object *obj = keel_dma_fp_get(dev_id, vchan, &err);

	if (obj == NULL)
		return err;
	if (__builtin_expect(src == NULL || dst == NULL || nb_src == 0 ||
			     nb_dst == 0 || nb_src > obj->max_sges ||
			     nb_dst > obj->max_sges, 0))
		return keel_dma_fp_bad_arg(dev_id, vchan, "sg entry count",
					   nb_src == 0 || nb_src > obj->max_sges ?
					   nb_src : nb_dst);
	return obj->copy_sg(obj->dev_private, vchan, src, dst, nb_src, nb_dst,
			    flags);
}

/**
 * Enqueue a fill of @p length bytes at IOVA @p dst with the 8-byte
 * @p pattern repeated (byte i gets byte (i % 8) of the little-endian
 * pattern).
 *
 * @return the ring index, -ENOSPC, -EINVAL, or -ENOTSUP when the device
 *         cannot fill (no KEEL_DMA_CAPA_OPS_FILL).
 */
static inline int
keel_dma_fill(int16_t dev_id, uint16_t vchan, uint64_t pattern, uint64_t dst,
	      uint32_t length, uint64_t flags)
{
	int err = 0;
	struct keel_dma_fp_object *obj = keel_dma_fp_get(dev_id, vchan, &err);

	if (obj == NULL)
		return err;
	if (__builtin_expect(length == 0, 0))
		return keel_dma_fp_bad_arg(dev_id, vchan, "fill length", 0);
	return obj->fill(obj->dev_private, vchan, pattern, dst, length, flags);
}

/**
 * Hand every op enqueued so far on the vchan to the device.
 * @return 0, or -EINVAL.
 */
static inline int
keel_dma_submit(int16_t dev_id, uint16_t vchan)
{
	int err = 0;
	struct keel_dma_fp_object *obj = keel_dma_fp_get(dev_id, vchan, &err);

	if (obj == NULL)
		return err;
	return obj->submit(obj->dev_private, vchan);
}

/**
 * Collect up to @p nb_cpls completed ops, in ring order, stopping before the
 * first op that failed (that op and those after it stay for
 * keel_dma_completed_status()).
 *
 * @param dev_id     the device
 * @param vchan      its vchan
 * @param nb_cpls    most ops to collect
 * @param last_idx   set to the ring index of the last op returned (or of
 *                   the last op collected before, when 0 are returned)
 * @param has_error  set to true when collection stopped at a failed op
 * @return the number of ops collected (0 on a bad argument, which logs)
 */
static inline uint16_t
keel_dma_completed(int16_t dev_id, uint16_t vchan, uint16_t nb_cpls,
		   uint16_t *last_idx, bool *has_error)
{
	int err = 0;
	struct keel_dma_fp_object *obj = keel_dma_fp_get(dev_id, vchan, &err);
	uint16_t idx;
	bool herr = false;

	if (obj == NULL || nb_cpls == 0)
		return 0;
	if (last_idx == NULL)
		last_idx = &idx;
	if (has_error == NULL)
		has_error = &herr;
	*has_error = false;
	return obj->completed(obj->dev_private, vchan, nb_cpls, last_idx,
			      has_error);
}

/**
 * Collect up to @p nb_cpls completed ops, successful or not, writing each
 * op's status to @p status[i].
 *
 * @return the number of ops collected (0 on a bad argument, which logs)
 */
static inline uint16_t
keel_dma_completed_status(int16_t dev_id, uint16_t vchan, uint16_t nb_cpls,
			  uint16_t *last_idx,
			  enum keel_dma_status_code *status)
{
	int err = 0;
	struct keel_dma_fp_object *obj = keel_dma_fp_get(dev_id, vchan, &err);
	uint16_t idx;

	if (obj == NULL || nb_cpls == 0)
		return 0;
	if (status == NULL) {
		keel_dma_fp_bad_arg(dev_id, vchan, "status array", 0);
		return 0;
	}
	if (last_idx == NULL)
		last_idx = &idx;
	return obj->completed_status(obj->dev_private, vchan, nb_cpls,
				     last_idx, status);
}

/**
 * @return how many more ops can be enqueued on the vchan now (0 on a bad
 *         argument, which logs).
 */
static inline uint16_t
keel_dma_burst_capacity(int16_t dev_id, uint16_t vchan)
{
	int err = 0;
	struct keel_dma_fp_object *obj = keel_dma_fp_get(dev_id, vchan, &err);

	if (obj == NULL)
		return 0;
	return obj->burst_capacity(obj->dev_private, vchan);
}

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KEEL_DMADEV_H */
