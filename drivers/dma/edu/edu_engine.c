/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dma_edu's engine: the device's transfer registers, the ring of the one
 * vchan and the fast path (invariants in edu_internal.h). No lock: one
 * thread drives a device at a time.
 */
#include "edu_internal.h"

/* ------------------------------------------------------------ registers */

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
	ed->t_start = keel_time_ns();
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
void
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
			if (keel_time_ns() - ed->t_start < EDU_XFER_TIMEOUT_NS)
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
void
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

int
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

int
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

int
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

int
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

uint16_t
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

uint16_t
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

uint16_t
edu_burst_capacity(const void *priv, uint16_t vchan)
{
	const struct edu_dev *ed = priv;

	(void)vchan;
	return (uint16_t)(ed->nb_desc - (ed->enq - ed->cpl));
}
