/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dma_edu: QEMU's edu device (1234:11e8) as a DMA device, over VFIO.
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
#include <time.h>
#include <unistd.h>

#include "keel_dma_edu.h"
#include "keel_dmadev.h"
#include "keel_dmadev_pmd.h"
#include "keel_eal.h"
#include "keel_iommu.h"
#include "keel_log.h"
#include "keel_pci.h"
#include "keel_vfio.h"

KEEL_LOG_REGISTER(edu_logtype, "pmd.dma.edu", INFO)

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

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------ registers */

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

/* 0 when [iova, iova + len) is below the device's DMA mask. */
static inline int
edu_iova_ok(const struct edu_dev *ed, uint64_t iova, uint64_t len)
{
	if (iova + len < iova)
		return -1;
	if (ed->dma_end != 0 && iova + len > ed->dma_end)
		return -1;
	return 0;
}

/*
 * Start one device transfer of @p count bytes between IOVA @p iova and the
 * device buffer at @p off. Every argument is checked first, and nothing is
 * written to the device unless all pass: a count of 0 or a device range
 * past 0x40ffe aborts QEMU 7.2, an IOVA past the mask aliases.
 */
static int
edu_xfer_start(struct edu_dev *ed, int to_ram, uint64_t iova, uint32_t off,
	       uint32_t count)
{
	if (count < 1 || off > KEEL_DMA_EDU_MAX_XFER ||
	    count > KEEL_DMA_EDU_MAX_XFER - off) {
		KEEL_LOG(ERR, edu_logtype,
			 "%s: refused device transfer: offset %u count %u "
			 "(need 1 <= count, offset + count <= %u)", ed->bdf,
			 off, count, KEEL_DMA_EDU_MAX_XFER);
		return -EINVAL;
	}
	if (edu_iova_ok(ed, iova, count) < 0) {
		KEEL_LOG(ERR, edu_logtype,
			 "%s: refused device transfer: IOVA 0x%" PRIx64
			 " + %u reaches past the %u-bit DMA mask", ed->bdf,
			 iova, count, ed->mask_bits);
		return -ERANGE;
	}
	if (edu_busy(ed)) {
		KEEL_LOG(ERR, edu_logtype, "%s: device busy", ed->bdf);
		return -EBUSY;
	}
	if (to_ram) {
		wr64(ed, EDU_REG_DMA_SRC, EDU_BUF_ADDR + off);
		wr64(ed, EDU_REG_DMA_DST, iova);
	} else {
		wr64(ed, EDU_REG_DMA_SRC, iova);
		wr64(ed, EDU_REG_DMA_DST, EDU_BUF_ADDR + off);
	}
	wr64(ed, EDU_REG_DMA_CNT, count);
	/* the CPU's stores to the source are visible before the device starts */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr64(ed, EDU_REG_DMA_CMD,
	     EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0));
	ed->transfers++;
	ed->t_start = now_ns();
	return 0;
}

/* ---------------------------------------------------------------- engine */

static void
op_done(struct edu_dev *ed, uint16_t status)
{
	ed->ring[ed->hw & ed->mask].status = status;
	ed->hw++;
	ed->off = 0;
	ed->phase = EDU_IDLE;
}

/*
 * Advance the engine as far as it goes without waiting: finish the
 * transfer in flight if the device is done, start the next one.
 */
static void
edu_poll(struct edu_dev *ed)
{
	while (ed->hw != ed->sub) {
		struct edu_desc *d = &ed->ring[ed->hw & ed->mask];

		if (ed->phase == EDU_IDLE) {
			if (ed->off == 0) {
				/* a new op: its ranges must be visible to
				 * the device in full */
				if (edu_iova_ok(ed, d->src, d->len) < 0) {
					KEEL_LOG(ERR, edu_logtype,
						 "%s: copy source 0x%" PRIx64
						 " + %u past the %u-bit DMA "
						 "mask", ed->bdf, d->src,
						 d->len, ed->mask_bits);
					op_done(ed,
						KEEL_DMA_STATUS_INVALID_SRC_ADDR);
					continue;
				}
				if (edu_iova_ok(ed, d->dst, d->len) < 0) {
					KEEL_LOG(ERR, edu_logtype,
						 "%s: copy destination 0x%"
						 PRIx64 " + %u past the %u-bit "
						 "DMA mask", ed->bdf, d->dst,
						 d->len, ed->mask_bits);
					op_done(ed,
						KEEL_DMA_STATUS_INVALID_DST_ADDR);
					continue;
				}
			}
			if (ed->broken) {
				op_done(ed, KEEL_DMA_STATUS_DEV_LINK_ERROR);
				continue;
			}
			ed->step = d->len - ed->off;
			if (ed->step > KEEL_DMA_EDU_MAX_XFER)
				ed->step = KEEL_DMA_EDU_MAX_XFER;
			if (edu_xfer_start(ed, 0, d->src + ed->off, 0,
					   ed->step) < 0) {
				op_done(ed, KEEL_DMA_STATUS_ERROR_UNKNOWN);
				continue;
			}
			ed->phase = EDU_TO_DEV;
			return;
		}
		if (edu_busy(ed)) {
			if (now_ns() - ed->t_start < EDU_XFER_TIMEOUT_NS)
				return;
			KEEL_LOG(ERR, edu_logtype,
				 "%s: transfer of %u bytes not done after "
				 "%llu s: device given up", ed->bdf, ed->step,
				 EDU_XFER_TIMEOUT_NS / 1000000000ull);
			ed->broken = 1;
			op_done(ed, KEEL_DMA_STATUS_DEV_LINK_ERROR);
			continue;
		}
		/* the device's writes are visible before we report them */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (ed->phase == EDU_TO_DEV) {
			if (edu_xfer_start(ed, 1, d->dst + ed->off, 0,
					   ed->step) < 0) {
				op_done(ed, KEEL_DMA_STATUS_ERROR_UNKNOWN);
				continue;
			}
			ed->phase = EDU_FROM_DEV;
			return;
		}
		ed->off += ed->step;
		ed->phase = EDU_IDLE;
		if (ed->off == d->len)
			op_done(ed, KEEL_DMA_STATUS_SUCCESSFUL);
	}
}

/* Run the engine until every submitted op is done (each transfer has its
 * own timeout, so this ends). */
static void
edu_drain(struct edu_dev *ed)
{
	for (;;) {
		edu_poll(ed);
		if (ed->hw == ed->sub)
			return;
		usleep(1000);
	}
}

/* ------------------------------------------------------------- fast path */

static inline void
stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static int
edu_submit(void *priv, uint16_t vchan)
{
	struct edu_dev *ed = priv;

	(void)vchan;
	if (ed->enq != ed->sub) {
		stat_add(&ed->st.submitted, ed->enq - ed->sub);
		ed->sub = ed->enq;
	}
	return 0;
}

static int
edu_copy(void *priv, uint16_t vchan, uint64_t src, uint64_t dst,
	 uint32_t length, uint64_t flags)
{
	struct edu_dev *ed = priv;
	struct edu_desc *d;
	int idx;

	if (ed->enq - ed->cpl >= ed->nb_desc)
		return -ENOSPC;
	d = &ed->ring[ed->enq & ed->mask];
	d->src = src;
	d->dst = dst;
	d->len = length;
	d->status = KEEL_DMA_STATUS_NOT_ATTEMPTED;
	idx = (int)(ed->enq & 0xffff);
	ed->enq++;
	/* ops run one after another: every op is fenced */
	if (flags & KEEL_DMA_OP_FLAG_SUBMIT)
		edu_submit(ed, vchan);
	return idx;
}

static int
edu_copy_sg(void *priv, uint16_t vchan, const struct keel_dma_sge *src,
	    const struct keel_dma_sge *dst, uint16_t nb_src, uint16_t nb_dst,
	    uint64_t flags)
{
	struct edu_dev *ed = priv;

	(void)src, (void)dst, (void)nb_src, (void)nb_dst, (void)flags;
	/* unreachable through keel_dma_copy_sg(): max_sges is 0 */
	KEEL_LOG(ERR, edu_logtype, "%s: vchan %u: copy_sg is not supported",
		 ed->bdf, vchan);
	errno = ENOTSUP;
	return -ENOTSUP;
}

static int
edu_fill(void *priv, uint16_t vchan, uint64_t pattern, uint64_t dst,
	 uint32_t length, uint64_t flags)
{
	struct edu_dev *ed = priv;

	(void)pattern, (void)dst, (void)length, (void)flags;
	KEEL_LOG(ERR, edu_logtype, "%s: vchan %u: fill is not supported",
		 ed->bdf, vchan);
	errno = ENOTSUP;
	return -ENOTSUP;
}

static uint16_t
edu_completed(void *priv, uint16_t vchan, uint16_t nb_cpls,
	      uint16_t *last_idx, bool *has_error)
{
	struct edu_dev *ed = priv;
	uint64_t n, i;

	(void)vchan;
	edu_poll(ed);
	n = ed->hw - ed->cpl;
	if (n > nb_cpls)
		n = nb_cpls;
	for (i = 0; i < n; i++) {
		if (ed->ring[(ed->cpl + i) & ed->mask].status !=
		    KEEL_DMA_STATUS_SUCCESSFUL) {
			*has_error = true;
			break;
		}
	}
	ed->cpl += i;
	stat_add(&ed->st.completed, i);
	*last_idx = (uint16_t)(ed->cpl - 1);
	return (uint16_t)i;
}

static uint16_t
edu_completed_status(void *priv, uint16_t vchan, uint16_t nb_cpls,
		     uint16_t *last_idx, enum keel_dma_status_code *status)
{
	struct edu_dev *ed = priv;
	uint64_t n, err = 0;

	(void)vchan;
	edu_poll(ed);
	n = ed->hw - ed->cpl;
	if (n > nb_cpls)
		n = nb_cpls;
	for (uint64_t i = 0; i < n; i++) {
		status[i] = ed->ring[(ed->cpl + i) & ed->mask].status;
		err += status[i] != KEEL_DMA_STATUS_SUCCESSFUL;
	}
	ed->cpl += n;
	stat_add(&ed->st.completed, n);
	if (err != 0)
		stat_add(&ed->st.errors, err);
	*last_idx = (uint16_t)(ed->cpl - 1);
	return (uint16_t)n;
}

static uint16_t
edu_burst_capacity(const void *priv, uint16_t vchan)
{
	const struct edu_dev *ed = priv;

	(void)vchan;
	return (uint16_t)(ed->nb_desc - (ed->enq - ed->cpl));
}

/* ---------------------------------------------------------- control path */

static int
edu_info_get(const struct keel_dma_dev *dev, struct keel_dma_info *info)
{
	const struct edu_dev *ed = dev->dev_private;

	info->dma_mask_bits = (uint8_t)ed->mask_bits;
	info->iommu = ed->cont;
	/* no HANDLES_ERRORS: the device reports no error of its own (an
	 * IOMMU fault reads zeros or drops the write); no fill, no copy_sg */
	info->dev_capa = KEEL_DMA_CAPA_MEM_TO_MEM | KEEL_DMA_CAPA_OPS_COPY |
			 KEEL_DMA_CAPA_BEHIND_IOMMU;
	info->max_vchans = 1;
	info->min_desc = EDU_MIN_DESC;
	info->max_desc = EDU_MAX_DESC;
	info->max_sges = 0;
	return 0;
}

static int
edu_configure(struct keel_dma_dev *dev, const struct keel_dma_conf *conf)
{
	struct edu_dev *ed = dev->dev_private;

	(void)conf;
	free(ed->ring);
	ed->ring = NULL;
	ed->nb_desc = 0;
	return 0;
}

static int
edu_vchan_setup(struct keel_dma_dev *dev, uint16_t vchan,
		const struct keel_dma_vchan_conf *conf)
{
	struct edu_dev *ed = dev->dev_private;
	struct edu_desc *ring = calloc(conf->nb_desc, sizeof(*ring));

	if (ring == NULL) {
		KEEL_LOG(ERR, edu_logtype, "%s: no memory for vchan %u ring",
			 dev->name, vchan);
		return -ENOMEM;
	}
	free(ed->ring);
	ed->ring = ring;
	ed->nb_desc = conf->nb_desc;
	ed->mask = conf->nb_desc - 1;
	return 0;
}

static int
edu_start(struct keel_dma_dev *dev)
{
	struct edu_dev *ed = dev->dev_private;

	ed->enq = ed->sub = ed->hw = ed->cpl = 0;
	ed->phase = EDU_IDLE;
	ed->off = 0;
	return 0;
}

static int
edu_stop(struct keel_dma_dev *dev)
{
	struct edu_dev *ed = dev->dev_private;

	edu_drain(ed);
	return 0;
}

static int
edu_close(struct keel_dma_dev *dev)
{
	struct edu_dev *ed = dev->dev_private;
	uint64_t t0 = now_ns();

	/* a transfer may still run (device given up): let it end */
	while (ed->bar != NULL && edu_busy(ed) &&
	       now_ns() - t0 < EDU_XFER_TIMEOUT_NS)
		usleep(1000);
	if (keel_vfio_config_write(ed->vdev, PCI_COMMAND, &ed->saved_cmd,
				   sizeof(ed->saved_cmd)) < 0)
		KEEL_LOG(WARNING, edu_logtype,
			 "%s: cannot restore the PCI command word", ed->bdf);
	keel_vfio_device_close(ed->vdev);
	ed->vdev = NULL;
	ed->bar = NULL;
	if (ed->own_cont != NULL)
		keel_iommu_container_destroy(ed->own_cont);
	ed->own_cont = NULL;
	ed->cont = NULL;
	free(ed->ring);
	ed->ring = NULL;
	return 0;
}

static int
edu_stats_get(const struct keel_dma_dev *dev, uint16_t vchan,
	      struct keel_dma_stats *stats)
{
	const struct edu_dev *ed = dev->dev_private;

	(void)vchan;
	stats->submitted = __atomic_load_n(&ed->st.submitted,
					   __ATOMIC_RELAXED) -
			   ed->base.submitted;
	stats->completed = __atomic_load_n(&ed->st.completed,
					   __ATOMIC_RELAXED) -
			   ed->base.completed;
	stats->errors = __atomic_load_n(&ed->st.errors, __ATOMIC_RELAXED) -
			ed->base.errors;
	return 0;
}

static int
edu_stats_reset(struct keel_dma_dev *dev, uint16_t vchan)
{
	struct edu_dev *ed = dev->dev_private;

	(void)vchan;
	ed->base.submitted = __atomic_load_n(&ed->st.submitted,
					     __ATOMIC_RELAXED);
	ed->base.completed = __atomic_load_n(&ed->st.completed,
					     __ATOMIC_RELAXED);
	ed->base.errors = __atomic_load_n(&ed->st.errors, __ATOMIC_RELAXED);
	return 0;
}

static int
edu_vchan_status(const struct keel_dma_dev *dev, uint16_t vchan,
		 enum keel_dma_vchan_status *status)
{
	struct edu_dev *ed = dev->dev_private;

	(void)vchan;
	edu_poll(ed);
	if (ed->broken)
		*status = KEEL_DMA_VCHAN_HALTED_ERROR;
	else
		*status = ed->hw != ed->sub ? KEEL_DMA_VCHAN_ACTIVE :
					      KEEL_DMA_VCHAN_IDLE;
	return 0;
}

static int
edu_dump(const struct keel_dma_dev *dev, FILE *f)
{
	const struct edu_dev *ed = dev->dev_private;

	fprintf(f, "  edu %s: id 0x%08x, dma mask %u bits, %" PRIu64
		" device transfers%s\n", ed->bdf, ed->id, ed->mask_bits,
		ed->transfers, ed->broken ? ", given up (transfer hung)" : "");
	fprintf(f, "  ring %u: enq %" PRIu64 " sub %" PRIu64 " hw %" PRIu64
		" cpl %" PRIu64 ", phase %d offset %u\n", ed->nb_desc, ed->enq,
		ed->sub, ed->hw, ed->cpl, (int)ed->phase, ed->off);
	return 0;
}

static const struct keel_dma_dev_ops edu_ops = {
	.info_get = edu_info_get,
	.configure = edu_configure,
	.vchan_setup = edu_vchan_setup,
	.start = edu_start,
	.stop = edu_stop,
	.close = edu_close,
	.stats_get = edu_stats_get,
	.stats_reset = edu_stats_reset,
	.vchan_status = edu_vchan_status,
	.dump = edu_dump,
};

/* --------------------------------------------------------- public knobs */

static struct keel_dma_dev *
edu_dev_get(int16_t dev_id, const char *fn)
{
	struct keel_dma_info info;
	struct keel_dma_dev *dev = NULL;

	if (keel_dma_info_get(dev_id, &info) == 0)
		dev = keel_dma_pmd_get_dev_by_name(info.dev_name);
	if (dev == NULL || dev->driver == NULL ||
	    strcmp(dev->driver, EDU_DRIVER) != 0) {
		KEEL_LOG(ERR, edu_logtype, "%s: device %d is not an edu device",
			 fn, dev_id);
		errno = EINVAL;
		return NULL;
	}
	return dev;
}

int
keel_dma_edu_dma_mask_bits(int16_t dev_id)
{
	struct keel_dma_dev *dev = edu_dev_get(dev_id, "edu dma mask");

	if (dev == NULL)
		return -EINVAL;
	return (int)((struct edu_dev *)dev->dev_private)->mask_bits;
}

struct keel_iommu_container *
keel_dma_edu_container(int16_t dev_id)
{
	struct keel_dma_dev *dev = edu_dev_get(dev_id, "edu container");

	if (dev == NULL)
		return NULL;
	return ((struct edu_dev *)dev->dev_private)->cont;
}

static void
set_mask(struct edu_dev *ed, unsigned int bits)
{
	ed->mask_bits = bits;
	ed->dma_end = bits >= 64 ? 0 : 1ull << bits;
}

int
keel_dma_edu_set_dma_mask_bits(int16_t dev_id, unsigned int bits)
{
	struct keel_dma_dev *dev = edu_dev_get(dev_id, "edu set dma mask");

	if (dev == NULL)
		return -EINVAL;
	if (bits < 12 || bits > 64) {
		KEEL_LOG(ERR, edu_logtype,
			 "%s: DMA mask of %u bits (want 12..64)", dev->name,
			 bits);
		errno = EINVAL;
		return -EINVAL;
	}
	if (dev->state == KEEL_DMA_DEV_STARTED) {
		KEEL_LOG(ERR, edu_logtype,
			 "%s: DMA mask cannot change while started", dev->name);
		errno = EBUSY;
		return -EBUSY;
	}
	set_mask(dev->dev_private, bits);
	return 0;
}

/* ------------------------------------------------------------------ bus */

/* Open, enable, and check that it is alive; ed->vdev and ed->bar set. */
static int
edu_hw_init(struct edu_dev *ed, struct keel_vfio_container *vc)
{
	struct keel_vfio_region r;
	uint16_t cmd, cmd2;
	uint32_t live;
	void *bar;
	int ret;

	ret = keel_vfio_device_open(vc, ed->bdf, &ed->vdev);
	if (ret < 0) {
		KEEL_LOG(ERR, edu_logtype, "%s: VFIO open: %s", ed->bdf,
			 strerror(-ret));
		return ret;
	}
	ret = keel_vfio_region_info(ed->vdev, 0, &r);
	if (ret == 0 && r.size < EDU_BAR0_MIN)
		ret = -ENODEV;
	if (ret == 0)
		ret = keel_vfio_bar_map(ed->vdev, 0, &bar, &ed->bar_len);
	if (ret == 0 && ed->bar_len < EDU_BAR0_MIN)
		ret = -ENODEV;
	if (ret < 0) {
		KEEL_LOG(ERR, edu_logtype, "%s: BAR0 (size 0x%" PRIx64
			 "): %s", ed->bdf, ret == -ENODEV ? r.size : 0,
			 strerror(-ret));
		return ret;
	}
	ed->bar = bar;
	/* memory decoding and bus mastering (off after the VFIO open) */
	ret = keel_vfio_config_read(ed->vdev, PCI_COMMAND, &cmd, sizeof(cmd));
	if (ret == 0) {
		ed->saved_cmd = cmd;
		cmd |= PCI_COMMAND_MEM | PCI_COMMAND_MASTER;
		ret = keel_vfio_config_write(ed->vdev, PCI_COMMAND, &cmd,
					     sizeof(cmd));
	}
	if (ret == 0)
		ret = keel_vfio_config_read(ed->vdev, PCI_COMMAND, &cmd2,
					    sizeof(cmd2));
	if (ret == 0 && !(cmd2 & PCI_COMMAND_MASTER))
		ret = -EIO;
	if (ret < 0) {
		KEEL_LOG(ERR, edu_logtype,
			 "%s: cannot enable bus mastering: %s", ed->bdf,
			 strerror(-ret));
		return ret;
	}
	ed->id = rd32(ed, EDU_REG_ID);
	if ((ed->id & EDU_ID_MASK) != EDU_ID_MAGIC) {
		KEEL_LOG(ERR, edu_logtype,
			 "%s: id register 0x%08x is not edu's (0xRRrr00ed)",
			 ed->bdf, ed->id);
		return -ENODEV;
	}
	wr32(ed, EDU_REG_LIVE, 0x12345678u);
	live = rd32(ed, EDU_REG_LIVE);
	if (live != (uint32_t)~0x12345678u) {
		KEEL_LOG(ERR, edu_logtype,
			 "%s: liveness: wrote 0x12345678, read 0x%08x "
			 "(want 0x%08x)", ed->bdf, live, ~0x12345678u);
		return -EIO;
	}
	/* a transfer left running by an earlier process must end first */
	ed->t_start = now_ns();
	while (edu_busy(ed)) {
		if (now_ns() - ed->t_start > EDU_XFER_TIMEOUT_NS) {
			KEEL_LOG(ERR, edu_logtype,
				 "%s: DMA engine busy since open", ed->bdf);
			return -EBUSY;
		}
		usleep(1000);
	}
	return 0;
}

/* The VFIO IOMMU container for @p bdf: the default one when its backend is
 * VFIO, else (--iommu none or emulated, e.g. auto fell back because EAL
 * memory is beyond the IOMMU's width) one created for the device. */
static int
edu_container(struct edu_dev *ed)
{
	struct keel_iommu_container *c = keel_iommu_container_default();
	const struct keel_iommu_backend_ops *bops;
	char args[64];

	bops = c != NULL ? keel_iommu_container_backend_ops(c) : NULL;
	if (bops != NULL && bops->name != NULL &&
	    strcmp(bops->name, "vfio") == 0) {
		ed->cont = c;
		return 0;
	}
	snprintf(args, sizeof(args), "dev=%s", ed->bdf);
	c = keel_iommu_container_create_by_name("vfio", args);
	if (c == NULL) {
		int err = errno != 0 ? errno : ENODEV;

		KEEL_LOG(ERR, edu_logtype,
			 "%s: the default IOMMU container is %s and a VFIO "
			 "container for the device cannot be made: %s",
			 ed->bdf, bops != NULL && bops->name != NULL ?
			 bops->name : "none", strerror(err));
		return -err;
	}
	KEEL_LOG(INFO, edu_logtype,
		 "%s: default IOMMU container is %s: the device gets its own "
		 "VFIO container (map its buffers with "
		 "keel_dma_edu_container())", ed->bdf,
		 bops != NULL && bops->name != NULL ? bops->name : "none");
	ed->cont = c;
	ed->own_cont = c;
	return 0;
}

static int
edu_probe(const char *bdf, const struct keel_pci_id *id)
{
	struct keel_vfio_container *vc;
	char name[KEEL_DMADEV_NAME_MAX];
	struct keel_dma_dev *dev;
	struct edu_dev *ed;
	int ret;

	(void)id;
	snprintf(name, sizeof(name), KEEL_DMA_EDU_PREFIX "%s", bdf);
	dev = keel_dma_pmd_allocate(name, -1, sizeof(*ed));
	if (dev == NULL)
		return -errno;
	ed = dev->dev_private;
	ed->dev = dev;
	snprintf(ed->bdf, sizeof(ed->bdf), "%s", bdf);
	set_mask(ed, KEEL_DMA_EDU_DEFAULT_MASK_BITS);
	ret = edu_container(ed);
	if (ret == 0) {
		vc = keel_vfio_backend_container(
			keel_iommu_container_backend_priv(ed->cont));
		ret = vc != NULL ? edu_hw_init(ed, vc) : -ENODEV;
	}
	if (ret < 0) {
		keel_vfio_device_close(ed->vdev);
		if (ed->own_cont != NULL)
			keel_iommu_container_destroy(ed->own_cont);
		keel_dma_pmd_release(dev);
		return ret;
	}
	dev->driver = EDU_DRIVER;
	dev->ops = &edu_ops;
	dev->fp = (struct keel_dma_fp_ops){
		.copy = edu_copy,
		.copy_sg = edu_copy_sg,
		.fill = edu_fill,
		.submit = edu_submit,
		.completed = edu_completed,
		.completed_status = edu_completed_status,
		.burst_capacity = edu_burst_capacity,
	};
	KEEL_LOG(INFO, edu_logtype, "%s: edu id 0x%08x, DMA device %s", bdf,
		 ed->id, name);
	return 0;
}

static int
edu_remove(const char *bdf)
{
	char name[KEEL_DMADEV_NAME_MAX];
	struct keel_dma_dev *dev;

	snprintf(name, sizeof(name), KEEL_DMA_EDU_PREFIX "%s", bdf);
	dev = keel_dma_pmd_get_dev_by_name(name);
	if (dev == NULL)
		return 0;   /* closed through keel_dma_close() already */
	return keel_dma_close(dev->dev_id);
}

static const struct keel_pci_id edu_ids[] = {
	{ .vendor = EDU_VENDOR, .device = EDU_DEVICE },
};

static struct keel_pci_driver edu_driver = {
	.ids = edu_ids,
	.nb_ids = 1,
	.probe = edu_probe,
	.remove = edu_remove,
};

KEEL_PCI_DRIVER_REGISTER(dma_edu, edu_driver, "1234:11e8")
