/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dmafwd: every received packet is copied by a DMA device into a fresh
 * mbuf, and the copy is what is sent to the peer port; the original is
 * freed. So the whole DMA path runs under real traffic: mbuf IOVAs, the
 * IOMMU map table (and, with the emulated IOMMU, translation and faults),
 * the engine, completions.
 *
 * Each forwarding lcore drives one DMA device (--dma=NAME,..., one per
 * lcore in order, else the first devices by id), one vchan, alone. Per
 * lcore, ops[] remembers each copy in flight by its ring index (the ring
 * size is a power of two, so index & mask survives the 16-bit wrap): the
 * original, the copy and the stream it belongs to. Completions come back
 * in ring order and are sent out per stream as they come.
 *
 * Failures are counted and never forwarded: a copy that completes with an
 * error status (an unmapped buffer is an IOMMU fault) frees both mbufs and
 * counts dma_failed on its stream; no mbuf for the copy, a full ring or a
 * packet longer than an mbuf count as dropped.
 *
 * At stop, each lcore collects what it still has in flight (lcore_end)
 * before the devices are stopped (end).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <keel_dmadev.h>

#include "fwd_engines.h"

#define DMAFWD_RING 1024        /* ring size asked of each device */
#define DMAFWD_DRAIN_S 2        /* seconds to wait for copies at stop */

struct dmafwd_op {
	struct keel_mbuf *src;
	struct keel_mbuf *dst;
	struct fwd_stream *fs;
};

struct dmafwd_lcore {
	int16_t dev;
	uint16_t mask;
	uint16_t max_sges;
	uint64_t inflight;
	struct dmafwd_op *ops;
};

/*
 * Enqueue one copy of @p src into @p dst (a fresh mbuf, or NULL: the
 * burst's bulk allocation failed, take one now). @return 0 or -1 (dropped).
 */
static int
dmafwd_enqueue(struct dmafwd_lcore *dl, struct fwd_stream *fs,
	       struct keel_mbuf *src, struct keel_mbuf *dst)
{
	int idx;

	if (dst == NULL)
		dst = keel_pktmbuf_alloc(fs->pool);
	if (dst == NULL || src->pkt_len > keel_pktmbuf_tailroom(dst) ||
	    src->pkt_len == 0 || src->nb_segs > dl->max_sges)
		goto drop;
	if (src->nb_segs == 1) {
		idx = keel_dma_copy(dl->dev, 0, keel_pktmbuf_iova(src),
				    keel_pktmbuf_iova(dst), src->data_len, 0);
	} else {
		struct keel_dma_sge s[TP_MAX_SEGS * 2], d;
		uint16_t n = 0;

		for (struct keel_mbuf *seg = src; seg != NULL; seg = seg->next)
			if (seg->data_len != 0)
				s[n++] = (struct keel_dma_sge){
					keel_pktmbuf_iova(seg), seg->data_len };
		d = (struct keel_dma_sge){ keel_pktmbuf_iova(dst),
					   src->pkt_len };
		idx = keel_dma_copy_sg(dl->dev, 0, s, &d, n, 1, 0);
	}
	if (idx < 0)
		goto drop;
	dl->ops[(uint16_t)idx & dl->mask] = (struct dmafwd_op){ src, dst, fs };
	dl->inflight++;
	return 0;
drop:
	fs->fwd_dropped++;
	keel_pktmbuf_free(dst);
	keel_pktmbuf_free(src);
	return -1;
}

/*
 * Hand over @p n completed ops ending at ring index @p last: copies that
 * succeeded (all, or those whose status says so) go out per stream, the
 * others are counted and freed.
 */
static void
dmafwd_deliver(struct dmafwd_lcore *dl, uint16_t n, uint16_t last,
	       const enum keel_dma_status_code *st)
{
	struct keel_mbuf *tx[TP_MAX_BURST], *done[TP_MAX_BURST * 2];
	struct fwd_stream *cur = NULL;
	uint16_t first = (uint16_t)(last - n + 1), nb_tx = 0, nb_done = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct dmafwd_op *op = &dl->ops[(uint16_t)(first + i) & dl->mask];

		if (op->fs != cur || nb_tx == TP_MAX_BURST) {
			if (cur != NULL)
				fwd_tx_burst(cur, cur->tx_port, tx, nb_tx);
			cur = op->fs;
			nb_tx = 0;
		}
		if (st == NULL || st[i] == KEEL_DMA_STATUS_SUCCESSFUL) {
			op->dst->data_len = (uint16_t)op->src->pkt_len;
			op->dst->pkt_len = op->src->pkt_len;
			op->dst->port = op->src->port;
			done[nb_done++] = op->src;
			tx[nb_tx++] = op->dst;
			cur->dma_copies++;
		} else {
			done[nb_done++] = op->src;
			done[nb_done++] = op->dst;
			cur->dma_failed++;
		}
	}
	if (cur != NULL)
		fwd_tx_burst(cur, cur->tx_port, tx, nb_tx);
	/* the originals (and failed copies), in one go */
	keel_pktmbuf_free_bulk(done, nb_done);
	dl->inflight -= n;
}

/* Collect what the device finished: the successes in one call, then, if
 * it stopped at a failure, the rest with their statuses. */
static void
dmafwd_collect(struct dmafwd_lcore *dl)
{
	enum keel_dma_status_code st[TP_MAX_BURST];
	bool has_error = false;
	uint16_t last, n;

	n = keel_dma_completed(dl->dev, 0, TP_MAX_BURST, &last, &has_error);
	if (n > 0)
		dmafwd_deliver(dl, n, last, NULL);
	if (has_error) {
		n = keel_dma_completed_status(dl->dev, 0, TP_MAX_BURST, &last,
					      st);
		dmafwd_deliver(dl, n, last, st);
	}
}

static void
dmafwd_fwd(struct fwd_stream *fs)
{
	struct dmafwd_lcore *dl = fs->lc->priv;
	struct keel_mbuf *pkts[TP_MAX_BURST], *dst[TP_MAX_BURST];
	uint16_t nb_rx, nb_enq = 0, room;

	/* take no more than the ring holds: what does not fit waits in the
	 * port (counted there as missed), not dropped here */
	room = keel_dma_burst_capacity(dl->dev, 0);
	nb_rx = fwd_rx_burst(fs, pkts, room < tp.burst ? room : tp.burst);
	if (nb_rx > 0 && keel_pktmbuf_alloc_bulk(fs->pool, dst, nb_rx) != 0)
		memset(dst, 0, nb_rx * sizeof(dst[0]));
	for (uint16_t i = 0; i < nb_rx; i++)
		nb_enq += dmafwd_enqueue(dl, fs, pkts[i], dst[i]) == 0;
	if (nb_enq > 0)
		keel_dma_submit(dl->dev, 0);
	if (dl->inflight > 0)
		dmafwd_collect(dl);
}

/* On the forwarding lcore after its loop: collect every copy in flight. */
static void
dmafwd_lcore_end(struct fwd_lcore *fc)
{
	struct dmafwd_lcore *dl = fc->priv;
	uint64_t deadline = keel_get_tsc_cycles() +
			    DMAFWD_DRAIN_S * keel_get_tsc_hz();

	keel_dma_submit(dl->dev, 0);
	while (dl->inflight > 0 && keel_get_tsc_cycles() < deadline)
		dmafwd_collect(dl);
	if (dl->inflight > 0)
		printf("dmafwd: lcore %u: %" PRIu64 " copies still in flight "
		       "on DMA device %d after %d s; their mbufs are left\n",
		       fc->lcore_id, dl->inflight, dl->dev, DMAFWD_DRAIN_S);
}

/* Device @p dev for lcore @p c: one vchan, started. 0 or -errno (printed). */
static int
dmafwd_dev_setup(unsigned int c, int16_t dev)
{
	struct keel_dma_conf conf = { .nb_vchans = 1 };
	struct keel_dma_vchan_conf vc = { .direction = KEEL_DMA_DIR_MEM_TO_MEM };
	struct dmafwd_lcore *dl;
	struct keel_dma_info info;
	int ret;

	ret = keel_dma_info_get(dev, &info);
	if (ret < 0)
		return ret;
	if (!(info.dev_capa & KEEL_DMA_CAPA_MEM_TO_MEM) ||
	    !(info.dev_capa & KEEL_DMA_CAPA_OPS_COPY)) {
		printf("dmafwd: DMA device %s cannot copy memory to memory\n",
		       info.dev_name);
		return -ENOTSUP;
	}
	vc.nb_desc = DMAFWD_RING;
	while (vc.nb_desc > info.max_desc)
		vc.nb_desc >>= 1;
	if (vc.nb_desc < info.min_desc)
		vc.nb_desc = info.min_desc;
	keel_dma_stop(dev);
	ret = keel_dma_configure(dev, &conf);
	if (ret == 0)
		ret = keel_dma_vchan_setup(dev, 0, &vc);
	if (ret == 0)
		ret = keel_dma_start(dev);
	if (ret < 0) {
		printf("dmafwd: cannot set DMA device %s up (one vchan, %u "
		       "descriptors): %s\n", info.dev_name, vc.nb_desc,
		       strerror(-ret));
		return ret;
	}
	dl = calloc(1, sizeof(*dl));
	if (dl != NULL)
		dl->ops = calloc(vc.nb_desc, sizeof(*dl->ops));
	if (dl == NULL || dl->ops == NULL) {
		free(dl);
		keel_dma_stop(dev);
		return -ENOMEM;
	}
	dl->dev = dev;
	dl->mask = (uint16_t)(vc.nb_desc - 1);
	dl->max_sges = info.dev_capa & KEEL_DMA_CAPA_OPS_COPY_SG ?
		       (info.max_sges < TP_MAX_SEGS * 2 ? info.max_sges :
			TP_MAX_SEGS * 2) : 1;
	tp.lcores[c].dma_id = dev;
	tp.lcores[c].priv = dl;
	return 0;
}

static void
dmafwd_end(void)
{
	for (unsigned int c = 0; c < tp.nb_cfg_lcores; c++) {
		struct dmafwd_lcore *dl = tp.lcores[c].priv;

		if (dl == NULL)
			continue;
		keel_dma_stop(dl->dev);
		free(dl->ops);
		free(dl);
		tp.lcores[c].priv = NULL;
	}
}

/* The device of each forwarding lcore, by --dma / `set dma` or in id
 * order; 0 or -errno (printed). */
static int
dmafwd_begin(void)
{
	int16_t devs[KEEL_MAX_LCORE];
	unsigned int n = 0;
	int ret;

	if (tp.dma_names[0] != '\0') {
		const char *p = tp.dma_names;

		while (*p != '\0' && n < KEEL_MAX_LCORE) {
			char name[KEEL_DMADEV_NAME_MAX];
			size_t len = strcspn(p, ",");
			int id;

			snprintf(name, sizeof(name), "%.*s", (int)len, p);
			id = keel_dma_get_dev_id_by_name(name);
			if (id < 0) {
				printf("dmafwd: no DMA device '%s' (create it "
				       "with --vdev %s, e.g. dma_soft0)\n",
				       name, name);
				return -ENODEV;
			}
			devs[n++] = (int16_t)id;
			p += len + (p[len] == ',');
		}
	} else {
		int16_t id;

		KEEL_DMA_FOREACH_DEV(id)
			if (n < KEEL_MAX_LCORE)
				devs[n++] = id;
	}
	if (n < tp.nb_cfg_lcores) {
		printf("dmafwd: %u forwarding lcores need a DMA device each, "
		       "%u given: add devices (--vdev dma_soft0 --vdev "
		       "dma_soft1 ...) and name them with --dma or 'set dma'\n",
		       tp.nb_cfg_lcores, n);
		return -EINVAL;
	}
	for (unsigned int c = 0; c < tp.nb_cfg_lcores; c++) {
		for (unsigned int d = 0; d < c; d++)
			if (devs[d] == devs[c]) {
				printf("dmafwd: DMA device %d is named for two "
				       "lcores; each lcore needs its own\n",
				       devs[c]);
				dmafwd_end();
				return -EINVAL;
			}
		ret = dmafwd_dev_setup(c, devs[c]);
		if (ret < 0) {
			dmafwd_end();
			return ret;
		}
	}
	return 0;
}

const struct fwd_engine fwd_dmafwd_engine = {
	.name = "dmafwd",
	.help = "copy each packet into a fresh mbuf with a DMA device, send "
		"the copy",
	.begin = dmafwd_begin,
	.end = dmafwd_end,
	.lcore_end = dmafwd_lcore_end,
	.packet_fwd = dmafwd_fwd,
};
