/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_DMA_SOFT_INTERNAL_H
#define KEEL_DMA_SOFT_INTERNAL_H

/*
 * dma_soft's two halves: soft.c (the driving thread's fast path, the
 * control path and the vdev glue) and soft_engine.c (the engine that
 * translates IOVAs and runs the ops, inline or on a worker). The ring
 * protocol between them and its invariants are in soft.c's header.
 */
#include <pthread.h>
#include <stdint.h>

#include "keel_dmadev.h"
#include "keel_emu_iommu.h"
#include "keel_iommu.h"

extern int soft_logtype;

#define SOFT_DRIVER     "dma_soft"
#define SOFT_MAX_VCHANS 8
#define SOFT_MIN_DESC   32
#define SOFT_MAX_DESC   8192
#define SOFT_MAX_SGES   16
#define SOFT_EP_ID_BASE 0x5f000u
#define SOFT_PUBLISH    16      /* ops the engine runs between publishes */
#define SOFT_RUN_OPS    32      /* most back-to-back copies under one hold */
#define SOFT_RUN_BYTES  (256u << 10)    /* and most bytes */

enum soft_op { SOFT_OP_COPY = 0, SOFT_OP_COPY_SG, SOFT_OP_FILL };
enum soft_mode { SOFT_MODE_WORKER = 0, SOFT_MODE_INLINE };
enum soft_xl { XL_IDENTITY = 0, XL_EMU, XL_TABLE };

struct soft_desc {
	uint64_t src;      /* copy: source IOVA; fill: pattern */
	uint64_t dst;      /* copy, fill: destination IOVA */
	uint32_t len;      /* total bytes */
	uint8_t op;
	uint8_t fence;
	uint8_t nb_src;
	uint8_t nb_dst;
} __attribute__((aligned(32)));

struct soft_stats {
	uint64_t submitted;
	uint64_t completed;
	uint64_t errors;
};

/* one cache line per writer, so the engine never reads a line the driving
 * thread keeps writing (and the other way round) except where they talk */
struct soft_vchan {
	/* fixed while started */
	struct soft_desc *ring;
	uint16_t *status;          /* engine-written, one per slot */
	struct keel_dma_sge *sg;   /* 2 * SOFT_MAX_SGES per slot */
	uint64_t mask;
	uint16_t nb_desc;
	/* control thread only: stats at the last reset */
	struct soft_stats base;
	/* driving thread only */
	uint64_t enq __attribute__((aligned(64)));
	uint64_t cpl;
	struct soft_stats st;
	/* published by the driving thread */
	uint64_t sub __attribute__((aligned(64)));
	/* engine side */
	uint64_t done __attribute__((aligned(64)));
	uint64_t hw;
};

struct soft_dev {
	struct keel_dma_dev *dev;
	enum soft_mode mode;
	int want_lcore;          /* worker lcore asked for, -1 none */
	int any_lcore;           /* take any free worker lcore */
	int reorder;
	uint16_t nb_vchans;
	struct soft_vchan *vchans[SOFT_MAX_VCHANS];
	/* translation */
	enum soft_xl xl;
	struct keel_emu_endpoint *ep;
	struct keel_iommu_container *cont;
	/* DMA mask (devarg dma_mask_bits): the engine reaches IOVAs below
	 * dma_end only (0: all); an op reaching past it faults */
	unsigned int mask_bits;
	uint64_t dma_end;
	/* worker */
	int run;
	int lcore;               /* lcore running the worker, -1 none */
	int have_thread;
	pthread_t thread;
};

/* Run every op the driving thread submitted on @p v; @return how many. */
uint64_t soft_engine_poll(struct soft_dev *sd, struct soft_vchan *v);
/* The worker loop: on an EAL lcore (keel_eal_remote_launch) or a thread. */
int soft_worker(void *arg);
void *soft_thread(void *arg);

#endif /* KEEL_DMA_SOFT_INTERNAL_H */
