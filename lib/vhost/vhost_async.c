/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dmadev copy engine of async queues (the invariant is in
 * vhost_async.h) and their registration.
 * Locking: the engine runs under the queue's lock; registration takes it
 * from the control side, and owners_lock for the vchan owners.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "keel_dmadev.h"
#include "keel_eal.h"
#include "keel_iommu.h"
#include "keel_mbuf.h"
#include "vhost_async.h"
#include "vhost_net.h"

/* pieces one copy may split into where IOVAs are not contiguous; a copy
 * needing more is done by the CPU */
#define XL_PIECES 8

/* ---------------------------------------------------------------- engine */

static inline void
op_done(struct vhost_vq *vq, const struct vhost_async_op *op, int ok)
{
	struct vhost_inflight *e = &vq->inflight[op->slot];

	if (!ok)
		e->failed = 1;
	else if (vq->log_copies)
		vhost_vq_log_host_write(vq, op->dst, op->len);
	if (op->last)
		e->pending--;
}

/* IOVA of @p p for a DMA op; *len cut to what is contiguous there.
 * KEEL_BAD_IOVA when the container does not map it. */
static inline uint64_t
xl(struct vhost_async *a, int side, const void *p, uint32_t *len)
{
	struct vhost_async_xl *c = &a->xl[side];
	uint64_t va = (uintptr_t)p,
		 gen = __atomic_load_n(&vhost_async_map_gen, __ATOMIC_ACQUIRE);

	if (a->cont == NULL)
		return va;
	if (c->gen != gen || va < c->va || va - c->va >= c->len) {
		struct keel_iommu_mapping m;

		if (keel_iommu_lookup_va(a->cont, va, &m) < 0)
			return KEEL_BAD_IOVA;
		c->va = m.va;
		c->iova = m.iova;
		c->len = m.len;
		c->gen = gen;
	}
	if (va + *len > c->va + c->len)
		*len = (uint32_t)(c->va + c->len - va);
	return c->iova + (va - c->va);
}

static void
doorbell(struct vhost_async_chan *ch)
{
	if (ch->unsubmitted > 0) {
		keel_dma_submit(ch->dev_id, ch->vchan);
		ch->unsubmitted = 0;
	}
}

/* collect the vchan's completions */
static void
chan_poll(struct vhost_vq *vq, struct vhost_async *a,
	  struct vhost_async_chan *ch)
{
	enum keel_dma_status_code st[64];
	uint16_t n, i, last;

	while (ch->head != ch->tail || ch->ignore > 0) {
		n = keel_dma_completed_status(ch->dev_id, ch->vchan, 64, &last,
					      st);
		for (i = 0; i < n; i++) {
			int ok = st[i] == KEEL_DMA_STATUS_SUCCESSFUL;

			if (ch->ignore > 0) {
				ch->ignore--;
				continue;
			}
			if (!ok)
				a->st.dma_errors++;
			op_done(vq, &ch->ops[ch->tail++ & (ch->size - 1)], ok);
		}
		if (n < 64)
			break;
	}
}

/* One copy as DMA ops on @p ch (all or none). @return 1 taken, 0 no room
 * on the vchan now, -1 not translatable as DMA (the caller copies by CPU,
 * or fails it when the container does not map it). */
static int
seg_dma(struct vhost_async *a, struct vhost_async_chan *ch,
	const struct vhost_copy_seg *s, uint16_t *room)
{
	uint64_t src[XL_PIECES], dst[XL_PIECES];
	uint32_t len[XL_PIECES], off = 0, n = 0, i;

	while (off < s->len) {
		uint32_t l = s->len - off, ld;

		if (n == XL_PIECES)
			return -1;
		ld = l;
		src[n] = xl(a, 0, (const uint8_t *)s->src + off, &l);
		dst[n] = xl(a, 1, (uint8_t *)s->dst + off, &ld);
		if (src[n] == KEEL_BAD_IOVA || dst[n] == KEEL_BAD_IOVA)
			return -2;
		len[n] = l < ld ? l : ld;
		if (ch->iova_end != 0 &&
		    (src[n] >= ch->iova_end || dst[n] >= ch->iova_end ||
		     len[n] > ch->iova_end - src[n] ||
		     len[n] > ch->iova_end - dst[n]))
			return -4;   /* beyond the device's DMA mask */
		off += len[n++];
	}
	if (n > *room || ch->head - ch->tail + n > ch->size)
		return 0;
	for (i = 0, off = 0; i < n; i++) {
		struct vhost_async_op *op = &ch->ops[ch->head & (ch->size - 1)];

		if (keel_dma_copy(ch->dev_id, ch->vchan, src[i], dst[i], len[i],
				  0) < 0)
			return i == 0 ? 0 : -3;   /* capacity said there was room */
		op->dst = (uint8_t *)s->dst + off;
		op->len = len[i];
		op->slot = s->slot;
		op->last = i + 1 == n;
		off += len[i];
		ch->head++;
		ch->unsubmitted++;
		(*room)--;
	}
	return 1;
}

/* take copies in order; @return how many (the rest waits) */
static uint32_t
take_segs(struct vhost_vq *vq, struct vhost_async *a,
	  const struct vhost_copy_seg *s, uint32_t n)
{
	struct vhost_async_chan *ch = &a->ch[a->cur];
	uint16_t room = keel_dma_burst_capacity(ch->dev_id, ch->vchan);
	uint32_t i;
	int r, retried = 0;

	for (i = 0; i < n; i++) {
		if (s[i].len < a->cpu_threshold) {
			memcpy(s[i].dst, s[i].src, s[i].len);
			vhost_copy_done(vq, &s[i], 1);
			a->st.cpu_copies++;
			continue;
		}
		r = seg_dma(a, ch, &s[i], &room);
		if (r == 1) {
			a->st.dma_copies++;
			continue;
		}
		if (r == 0 && !retried) {
			/* ring full: flush, collect, try once more */
			a->st.ring_full++;
			doorbell(ch);
			chan_poll(vq, a, ch);
			room = keel_dma_burst_capacity(ch->dev_id, ch->vchan);
			retried = 1;
			i--;
			continue;
		}
		if (r == 0)
			break;
		if (r == -4 && !a->warned_mask) {
			VHOST_LOG(WARNING, vq->dev, "vring %u: memory at %p "
				  "or %p is beyond the DMA mask of dmadev %d: "
				  "such copies go by CPU (logged once)",
				  vq->index, s[i].src, s[i].dst, ch->dev_id);
			a->warned_mask = 1;
		}
		if (r == -1 || r == -4) {
			/* too scattered for one DMA copy, or out of the
			 * engine's reach (application memory: guest memory
			 * is mapped below the mask) */
			memcpy(s[i].dst, s[i].src, s[i].len);
			vhost_copy_done(vq, &s[i], 1);
			a->st.cpu_copies++;
			if (r == -4)
				a->st.beyond_mask++;
			continue;
		}
		/* not mapped for the engine, or the engine refused it */
		VHOST_LOG(ERR, vq->dev, "vring %u: copy of %u bytes %p -> %p "
			  "cannot be given to dmadev %d (%s)", vq->index,
			  s[i].len, s[i].src, s[i].dst, ch->dev_id,
			  r == -2 ? "not mapped in the IOMMU container" :
				    "refused");
		if (r == -3) {
			/* ops of it already enqueued: they complete, the
			 * last one was never enqueued; fail it by hand */
			vhost_copy_done(vq, &s[i], 0);
			vq->inflight[s[i].slot].pending++;  /* ops still due */
			ch->ops[(ch->head - 1) & (ch->size - 1)].last = 1;
		} else {
			vhost_copy_done(vq, &s[i], 0);
		}
	}
	doorbell(ch);
	return i;
}

static uint32_t
async_submit(struct vhost_vq *vq, const struct vhost_copy_seg *s, uint32_t n)
{
	struct vhost_async *a = vq->copy_priv;
	uint32_t took = 0;

	if (a->nbacklog == 0)
		took = take_segs(vq, a, s, n);
	if (took < n) {
		/* never more than one burst waits (see vhost_async.h) */
		memcpy(&a->backlog[a->nbacklog], &s[took],
		       (n - took) * sizeof(*s));
		a->nbacklog += n - took;
	}
	return n;
}

static void
async_poll(struct vhost_vq *vq)
{
	struct vhost_async *a = vq->copy_priv;
	uint16_t i;

	for (i = 0; i < a->nch; i++)
		chan_poll(vq, a, &a->ch[i]);
	if (a->nbacklog > 0) {
		uint32_t took = take_segs(vq, a, a->backlog, a->nbacklog);

		memmove(a->backlog, &a->backlog[took],
			(a->nbacklog - took) * sizeof(a->backlog[0]));
		a->nbacklog -= took;
	}
}

static int
idle(const struct vhost_async *a)
{
	uint16_t i;

	if (a->nbacklog > 0)
		return 0;
	for (i = 0; i < a->nch; i++)
		if (a->ch[i].head != a->ch[i].tail)
			return 0;
	return 1;
}

/* give up on every op still out: each fails its packet; the engine's
 * late completions of them are skipped */
static void
cancel_all(struct vhost_vq *vq, struct vhost_async *a)
{
	uint32_t i;
	uint16_t k;

	for (k = 0; k < a->nch; k++) {
		struct vhost_async_chan *ch = &a->ch[k];

		while (ch->tail != ch->head) {
			op_done(vq, &ch->ops[ch->tail++ & (ch->size - 1)], 0);
			ch->ignore++;
			a->st.cancelled++;
		}
	}
	for (i = 0; i < a->nbacklog; i++)
		vhost_copy_done(vq, &a->backlog[i], 0);
	a->nbacklog = 0;
}

static void
async_drain(struct vhost_vq *vq)
{
	struct vhost_async *a = vq->copy_priv;
	uint64_t t0 = keel_time_ns();
	uint32_t i, slot;

	for (;;) {
		async_poll(vq);
		if (idle(a))
			break;
		if (keel_time_ns() - t0 > VHOST_ASYNC_DRAIN_NS) {
			VHOST_LOG(ERR, vq->dev, "vring %u: DMA copies still in "
				  "flight after %llu ms: given up, their "
				  "packets failed", vq->index,
				  (unsigned long long)(VHOST_ASYNC_DRAIN_NS /
						       1000000));
			cancel_all(vq, a);
			break;
		}
		sched_yield();
	}
	if (vq->indexes_set && vq->inflight != NULL)
		return;     /* the seam writes the used entries next */
	/* no ring to write to: the packets fail */
	for (i = 0, slot = vq->infl_tail; i < vq->infl_count; i++) {
		vq->copy->retire(vq, slot, 1);
		if (++slot == vq->infl_size)
			slot = 0;
	}
	vq->infl_count = 0;
}

static void
async_retire(struct vhost_vq *vq, uint32_t slot, int failed)
{
	struct vhost_async *a = vq->copy_priv;
	struct keel_mbuf *m = a->pkt[slot];
	uint32_t at;

	if (m == NULL)
		return;
	a->pkt[slot] = NULL;
	if (failed)
		vq->stats.failed++;
	if (vq->index & 1) {            /* guest to host */
		if (failed) {
			keel_pktmbuf_free(m);
			a->npkts--;
			return;
		}
		if (vhost_net_hdr_to_mbuf(&a->hdr[slot], m,
					  vq->dev->compliant_ol) < 0)
			vq->stats.bad_headers++;
	}
	at = a->done_head + a->done_count;
	if (at >= VHOST_ASYNC_SLOTS)
		at -= VHOST_ASYNC_SLOTS;
	a->done[at] = m;
	a->done_failed[at] = (uint8_t)failed;
	a->done_count++;
}

const struct vhost_copy_ops vhost_copy_async = {
	.name = "dmadev",
	.submit = async_submit,
	.poll = async_poll,
	.drain = async_drain,
	.retire = async_retire,
};

/* ---------------------------------------------------------- registration */

/* which queue uses each (dmadev, vchan), and the devices' async_queues
 * counts: guarded by owners_lock (not vhost_global_lock: registration runs
 * in callbacks the dispatcher makes while it may hold that one) */
static pthread_mutex_t owners_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int16_t dev_id;
	uint16_t vchan;
	int vid;
	uint16_t qid;
	uint8_t mask_bits;   /* the dmadev's DMA mask */
} owners[KEEL_VHOST_MAX_DEVICES];
static uint32_t nowners;

static int
fail(int err)
{
	errno = err;
	return -1;
}

static void
async_free(struct vhost_async *a)
{
	uint16_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nch; i++)
		free(a->ch[i].ops);
	free(a->pkt);
	free(a->hdr);
	free(a->done);
	free(a->done_failed);
	free(a->backlog);
	free(a);
}

static void
owners_drop(int vid, uint16_t qid)
{
	uint32_t i = 0;

	while (i < nowners) {
		if (owners[i].vid == vid && owners[i].qid == qid)
			owners[i] = owners[--nowners];
		else
			i++;
	}
}

/* check the vchans and record this queue as their owner */
static int
take_vchans(struct vhost_dev *dev, uint16_t qid,
	    const struct keel_vhost_async_config *cfg, struct vhost_async *a)
{
	struct keel_dma_info info;
	uint32_t i, k;

	for (i = 0; i < cfg->nb_dma; i++) {
		const struct keel_vhost_async_dma *d = &cfg->dma[i];

		if (keel_dma_info_get(d->dev_id, &info) < 0 ||
		    d->vchan >= info.nb_vchans ||
		    !(info.dev_capa & KEEL_DMA_CAPA_MEM_TO_MEM)) {
			VHOST_LOG(ERR, dev, "vring %u: dmadev %d vchan %u is "
				  "not a configured mem-to-mem vchan", qid,
				  d->dev_id, d->vchan);
			return -EINVAL;
		}
		if (info.iommu != NULL && info.iommu != a->cont) {
			/* guest memory is mapped in the default container
			 * only: the device would read and write whatever its
			 * own container has at those IOVAs (edu reports no
			 * fault: zeros would reach the guest as data) */
			VHOST_LOG(ERR, dev, "vring %u: dmadev %d (%s) sits "
				  "behind an IOMMU container that is not the "
				  "EAL's default one (%s), where guest memory "
				  "is mapped (dma_edu: start the EAL with "
				  "--iommu vfio)", qid, d->dev_id,
				  info.dev_name, a->cont == NULL ? "none" :
				  keel_iommu_container_backend_ops(a->cont)->name);
			return -EINVAL;
		}
		if (a->cont == NULL && !(info.dev_capa & KEEL_DMA_CAPA_SVA)) {
			VHOST_LOG(ERR, dev, "vring %u: no IOMMU container and "
				  "dmadev %d cannot use process addresses",
				  qid, d->dev_id);
			return -EINVAL;
		}
		for (k = 0; k < nowners + i; k++) {
			if (owners[k].dev_id != d->dev_id ||
			    owners[k].vchan != d->vchan)
				continue;
			VHOST_LOG(ERR, dev, "vring %u: dmadev %d vchan %u "
				  "serves another queue (vid %d vring %u)", qid,
				  d->dev_id, d->vchan, owners[k].vid,
				  owners[k].qid);
			return -EBUSY;
		}
		if (nowners + i >= KEEL_VHOST_MAX_DEVICES)
			return -ENOSPC;
		owners[nowners + i].dev_id = d->dev_id;
		owners[nowners + i].vchan = d->vchan;
		owners[nowners + i].vid = dev->vid;
		owners[nowners + i].qid = qid;
		owners[nowners + i].mask_bits = info.dma_mask_bits;
		a->ch[i].dev_id = d->dev_id;
		a->ch[i].iova_end = info.dma_mask_bits >= 64 ? 0 :
				    UINT64_C(1) << info.dma_mask_bits;
		a->ch[i].vchan = d->vchan;
		a->ch[i].size = info.max_desc;
		a->ch[i].ops = calloc(info.max_desc, sizeof(a->ch[i].ops[0]));
		if (a->ch[i].ops == NULL)
			return -ENOMEM;
		a->nch = (uint16_t)(i + 1);
	}
	nowners += cfg->nb_dma;
	return 0;
}

/* the narrowest DMA mask of the device's vchans in owners[0, n) */
static void
owners_mask(const struct vhost_dev *dev, uint32_t n, uint8_t *bits,
	    int16_t *dma)
{
	uint32_t k;

	*bits = 64;
	*dma = -1;
	for (k = 0; k < n; k++)
		if (owners[k].vid == dev->vid && owners[k].mask_bits < *bits) {
			*bits = owners[k].mask_bits;
			*dma = owners[k].dev_id;
		}
}

/* With the device's mask narrowed to @p bits for a new queue: regions
 * mapped already (for the other async queues) must lie below it. */
static int
mapped_fit(struct vhost_dev *dev, uint16_t qid, uint8_t bits, int16_t dma)
{
	uint64_t last = bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	uint32_t i;

	for (i = 0; dev->mem != NULL && i < dev->mem->n; i++) {
		const struct vhost_region *r = &dev->mem->r[i];

		if (r->dma_cont == NULL || r->dma_iova + r->dma_len - 1 <= last)
			continue;
		VHOST_LOG(ERR, dev, "vring %u: dmadev %d reaches IOVAs below "
			  "2^%u only, but region guest 0x%" PRIx64 " is "
			  "DMA-mapped at IOVA 0x%" PRIx64 " (0x%" PRIx64
			  " bytes) for the device's other async queues: "
			  "register the queues of the narrow engine first",
			  qid, dma, bits, r->gpa, r->dma_iova, r->dma_len);
		return -ERANGE;
	}
	return 0;
}

int
keel_vhost_async_channel_register(int vid, uint16_t queue_id,
				  const struct keel_vhost_async_config *cfg)
{
	struct vhost_dev *dev = vhost_dev_get(vid);
	struct vhost_vq *vq;
	struct vhost_async *a;
	int ret;

	if (dev == NULL)
		return fail(ENODEV);
	vq = queue_id < VHOST_MAX_VRINGS ? dev->vq[queue_id] : NULL;
	if (vq == NULL || cfg == NULL || cfg->nb_dma == 0 ||
	    cfg->nb_dma > KEEL_VHOST_ASYNC_MAX_DMA) {
		VHOST_LOG(ERR, dev, "async register: vring %u (%s), %u vchans "
			  "(1..%u)", queue_id, vq == NULL ? "not set up" : "ok",
			  cfg == NULL ? 0 : cfg->nb_dma, KEEL_VHOST_ASYNC_MAX_DMA);
		return fail(EINVAL);
	}
	if (vq->copy != &vhost_copy_cpu) {
		VHOST_LOG(ERR, dev, "vring %u is async already", queue_id);
		return fail(EBUSY);
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return fail(ENOMEM);
	a->cpu_threshold = cfg->cpu_threshold;
	a->cont = keel_iommu_container_default();
	a->pkt = calloc(VHOST_ASYNC_SLOTS, sizeof(a->pkt[0]));
	a->hdr = calloc(VHOST_ASYNC_SLOTS, sizeof(a->hdr[0]));
	a->done = calloc(VHOST_ASYNC_SLOTS, sizeof(a->done[0]));
	a->done_failed = calloc(VHOST_ASYNC_SLOTS, 1);
	a->backlog = calloc(VHOST_BURST_SEGS, sizeof(a->backlog[0]));
	if (a->pkt == NULL || a->hdr == NULL || a->done == NULL ||
	    a->done_failed == NULL || a->backlog == NULL) {
		async_free(a);
		return fail(ENOMEM);
	}
	pthread_mutex_lock(&owners_lock);
	ret = take_vchans(dev, queue_id, cfg, a);
	if (ret == 0) {
		uint8_t old_bits = dev->async_mask_bits, bits;
		int16_t old_dma = dev->async_mask_dma, mdma;

		owners_mask(dev, nowners, &bits, &mdma);
		ret = mapped_fit(dev, queue_id, bits, mdma);
		if (ret == 0) {
			dev->async_mask_bits = bits;
			dev->async_mask_dma = mdma;
			dev->async_queues++;
			ret = vhost_async_mem_map(dev, dev->mem);
			if (ret < 0) {
				dev->async_queues--;
				dev->async_mask_bits = old_bits;
				dev->async_mask_dma = old_dma;
			}
		}
		if (ret < 0)
			nowners -= cfg->nb_dma;
	}
	pthread_mutex_unlock(&owners_lock);
	if (ret < 0) {
		async_free(a);
		return fail(-ret);
	}
	vhost_lock_ctrl(&vq->lock);
	vq->copy_priv = a;
	vq->copy = &vhost_copy_async;
	vhost_unlock(&vq->lock);
	VHOST_LOG(INFO, dev, "vring %u: async on %u vchan(s), CPU below %u B",
		  queue_id, cfg->nb_dma, cfg->cpu_threshold);
	return 0;
}

int
keel_vhost_async_channel_unregister(int vid, uint16_t queue_id)
{
	struct vhost_dev *dev = vhost_dev_get(vid);
	struct vhost_vq *vq;
	struct vhost_async *a;

	if (dev == NULL)
		return fail(ENODEV);
	vq = queue_id < VHOST_MAX_VRINGS ? dev->vq[queue_id] : NULL;
	if (vq == NULL || vhost_async_of(vq) == NULL)
		return fail(EINVAL);
	vhost_lock_ctrl(&vq->lock);
	a = vq->copy_priv;
	vhost_vq_drain_locked(vq);
	if (a->npkts > 0) {
		vhost_unlock(&vq->lock);
		VHOST_LOG(ERR, dev, "vring %u: %u packets not yet collected: "
			  "cannot leave async mode", queue_id, a->npkts);
		return fail(EBUSY);
	}
	vq->copy = &vhost_copy_cpu;
	vq->copy_priv = NULL;
	vhost_unlock(&vq->lock);
	pthread_mutex_lock(&owners_lock);
	owners_drop(vid, queue_id);
	owners_mask(dev, nowners, &dev->async_mask_bits, &dev->async_mask_dma);
	if (--dev->async_queues == 0)
		vhost_async_mem_unmap_all(dev);
	pthread_mutex_unlock(&owners_lock);
	async_free(a);
	return 0;
}

int
keel_vhost_async_stats_get(int vid, uint16_t queue_id,
			   struct keel_vhost_async_stats *st)
{
	struct vhost_dev *dev = vhost_dev_get(vid);
	struct vhost_vq *vq;
	struct vhost_async *a;

	if (dev == NULL)
		return fail(ENODEV);
	vq = queue_id < VHOST_MAX_VRINGS ? dev->vq[queue_id] : NULL;
	a = vq != NULL ? vhost_async_of(vq) : NULL;
	if (a == NULL || st == NULL)
		return fail(EINVAL);
	*st = a->st;
	return 0;
}
