/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_EDU_INTERNAL_H
#define KEEL_EDU_INTERNAL_H

/*
 * dma_edu: QEMU's edu device (1234:11e8) as a DMA device, over VFIO;
 * between edu.c (control path, bus) and edu_engine.c (registers, the
 * ring, the fast path).
 *
 * Facts this relies on (QEMU 7.2, ../shared notes §1): BAR0 registers id
 * 0x00 (0x010000ed), liveness 0x04 (reads ~written), DMA source 0x80,
 * destination 0x88, count 0x90, command 0x98 (bit0 start/busy, bit1
 * device->RAM); the device buffer is 4096 bytes at device address 0x40000;
 * a transfer whose count is 0 or whose device range reaches 0x41000 makes
 * QEMU 7.2 abort the VM, so edu_xfer_start() checks 1 <= count and
 * offset + count <= 4095 before it writes anything; RAM addresses are
 * masked with the device's DMA mask (28 bits by default), so an op whose
 * IOVA range reaches 2^mask_bits completes with an error status and the
 * device never sees it; bus mastering is off after the VFIO open and is
 * set through the config region; the device has no reset.
 *
 * Ring of the one vchan (nb_desc a power of two, 64-bit free-running
 * counters, ring index = counter & 0xffff):
 *     cpl <= hw <= sub <= enq,  enq - cpl <= nb_desc
 * hw is the op the device is working on (ops below it have their status
 * written). An op is copied in steps of at most 4095 bytes: RAM->device
 * buffer, then device buffer->RAM; one device transfer is in flight at a
 * time (phase != EDU_IDLE). The engine advances only when the driving
 * thread polls (completed, completed_status, vchan_status, stop): no
 * thread, no lock. Everything is driven by one thread at a time, as the
 * dmadev fast-path contract says; the control path runs under the
 * library's lock with the fast path quiet.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keel_cycles.h"
#include "keel_dma_edu.h"
#include "keel_dmadev.h"
#include "keel_dmadev_pmd.h"
#include "keel_eal.h"
#include "keel_iommu.h"
#include "keel_log.h"
#include "keel_pci.h"
#include "keel_vfio.h"

extern int edu_logtype;

#define EDU_DRIVER      "dma_edu"
#define EDU_VENDOR      0x1234
#define EDU_DEVICE      0x11e8

/* BAR0 registers */
#define EDU_REG_ID      0x00
#define EDU_REG_LIVE    0x04
#define EDU_REG_DMA_SRC 0x80
#define EDU_REG_DMA_DST 0x88
#define EDU_REG_DMA_CNT 0x90
#define EDU_REG_DMA_CMD 0x98
#define EDU_BAR0_MIN    0x100

#define EDU_ID_MASK     0xffffu   /* low half: 0x00ed, high: version */
#define EDU_ID_MAGIC    0x00edu
#define EDU_CMD_START   0x1u
#define EDU_CMD_TO_RAM  0x2u
#define EDU_BUF_ADDR    0x40000ull
/* device range [EDU_BUF_ADDR + off, + count) must end at most here */
#define EDU_BUF_END     (EDU_BUF_ADDR + KEEL_DMA_EDU_MAX_XFER)

#define PCI_COMMAND       0x04
#define PCI_COMMAND_MEM   0x2u
#define PCI_COMMAND_MASTER 0x4u

#define EDU_MIN_DESC    1
#define EDU_MAX_DESC    256
/* a transfer takes ~100 ms of QEMU virtual time; a wedged one is given up */
#define EDU_XFER_TIMEOUT_NS 10000000000ull

enum edu_phase { EDU_IDLE = 0, EDU_TO_DEV, EDU_FROM_DEV };

struct edu_desc {
	uint64_t src;
	uint64_t dst;
	uint32_t len;
	uint16_t status;
};

struct edu_stats {
	uint64_t submitted;
	uint64_t completed;
	uint64_t errors;
};

struct edu_dev {
	struct keel_dma_dev *dev;
	char bdf[KEEL_PCI_ADDR_LEN];
	struct keel_vfio_device *vdev;
	struct keel_iommu_container *cont;     /* the device's IOMMU */
	struct keel_iommu_container *own_cont; /* created here, or NULL */
	volatile uint8_t *bar;
	uint64_t bar_len;
	uint16_t saved_cmd;        /* PCI command word at open */
	uint32_t id;
	unsigned int mask_bits;
	uint64_t dma_end;          /* exclusive: 2^mask_bits (0 = 2^64) */
	int broken;                /* a transfer never finished */
	uint64_t transfers;        /* device transfers started */
	/* ring */
	struct edu_desc *ring;
	uint16_t nb_desc;
	uint64_t mask;
	uint64_t enq, sub, hw, cpl;
	struct edu_stats st, base;
	/* transfer in flight */
	enum edu_phase phase;
	uint32_t off;              /* bytes of ring[hw] already copied */
	uint32_t step;             /* bytes of the transfer in flight */
	uint64_t t_start;
};

static inline uint32_t
rd32(struct edu_dev *ed, uint32_t off)
{
	return *(volatile uint32_t *)(ed->bar + off);
}

static inline void
wr32(struct edu_dev *ed, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(ed->bar + off) = v;
}

static inline uint64_t
rd64(struct edu_dev *ed, uint32_t off)
{
	return *(volatile uint64_t *)(ed->bar + off);
}

static inline void
wr64(struct edu_dev *ed, uint32_t off, uint64_t v)
{
	/* 64-bit stores only: 0x84, 0x8c, ... are not decoded */
	*(volatile uint64_t *)(ed->bar + off) = v;
}

static inline int
edu_busy(struct edu_dev *ed)
{
	return (rd64(ed, EDU_REG_DMA_CMD) & EDU_CMD_START) != 0;
}

/* edu_engine.c */
void edu_poll(struct edu_dev *ed);
void edu_drain(struct edu_dev *ed);
int edu_submit(void *priv, uint16_t vchan);
int edu_copy(void *priv, uint16_t vchan, uint64_t src, uint64_t dst,
	 uint32_t length, uint64_t flags);
int edu_copy_sg(void *priv, uint16_t vchan, const struct keel_dma_sge *src,
	    const struct keel_dma_sge *dst, uint16_t nb_src, uint16_t nb_dst,
	    uint64_t flags);
int edu_fill(void *priv, uint16_t vchan, uint64_t pattern, uint64_t dst,
	 uint32_t length, uint64_t flags);
uint16_t edu_completed(void *priv, uint16_t vchan, uint16_t nb_cpls,
	      uint16_t *last_idx, bool *has_error);
uint16_t edu_completed_status(void *priv, uint16_t vchan, uint16_t nb_cpls,
		     uint16_t *last_idx, enum keel_dma_status_code *status);
uint16_t edu_burst_capacity(const void *priv, uint16_t vchan);

#endif
