/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_DMA_EDU_H
#define KEEL_DMA_EDU_H

/**
 * @file
 * dma_edu: a dmadev driver for QEMU's edu PCI device (1234:11e8) over VFIO.
 *
 * The PCI bus hands it every edu device bound to vfio-pci (and allowed by
 * -a / -b); it opens the device through the VFIO backend of the default
 * IOMMU container when that is VFIO, else (--iommu none or emulated, or
 * auto fell back to emulated) through a VFIO container of its own, and
 * creates the DMA device
 * "edu_<bdf>" ("edu_0000:00:03.0"): one vchan, memory to memory copies
 * only, each done through the 4 KiB on-device buffer in steps of at most
 * 4095 bytes (RAM to device, then device to RAM; about 100 ms of QEMU
 * virtual time each). Completion is polled from completed() /
 * completed_status().
 *
 * The device sees only IOVAs below its DMA mask (QEMU's edu default is 28
 * bits: 256 MiB) and silently masks higher ones, so the driver completes
 * an op whose source or destination range reaches the mask with
 * KEEL_DMA_STATUS_INVALID_SRC_ADDR / _DST_ADDR without touching the device.
 * Map buffers in the device's container with
 * keel_iommu_dma_register(keel_dma_edu_container(id), va, len, 28, &iova).
 * The device reports no other error: an IOMMU fault reads zeros or drops
 * the write, and the op still completes successfully; verify the data.
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Name prefix of edu DMA devices; the PCI address follows. */
#define KEEL_DMA_EDU_PREFIX "edu_"
/** DMA mask width of QEMU's edu device unless dma_mask is set. */
#define KEEL_DMA_EDU_DEFAULT_MASK_BITS 28
/** Largest single device transfer (QEMU 7.2 aborts on 4096). */
#define KEEL_DMA_EDU_MAX_XFER 4095u

struct keel_iommu_container;

/**
 * The IOMMU container the device sits behind: the default container when
 * its backend is VFIO, else the driver's own. Buffers the device uses must
 * be mapped there.
 * @return the container, or NULL (errno EINVAL) when @p dev_id is not an
 *         edu device.
 */
struct keel_iommu_container *keel_dma_edu_container(int16_t dev_id);

/**
 * @return the DMA mask width the driver checks IOVAs against for edu
 *         device @p dev_id, or -EINVAL (not an edu device).
 */
int keel_dma_edu_dma_mask_bits(int16_t dev_id);

/**
 * Set the DMA mask width (e.g. 64 for a device started with
 * dma_mask=0xffffffffffffffff). Only while the device is stopped.
 * @return 0, -EINVAL (not an edu device, @p bits outside 12..64),
 *         -EBUSY (started).
 */
int keel_dma_edu_set_dma_mask_bits(int16_t dev_id, unsigned int bits);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_DMA_EDU_H */
