/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dma_soft: a software DMA engine.
 *
 * The CPU performs the ops, either on a worker or inline, on the thread
 * that calls completed() / completed_status(). The worker runs on the EAL
 * worker lcore named by lcore=N, or on any free one with lcore=any (taken
 * with keel_eal_remote_launch()), else (default, or no worker lcore free)
 * on a thread of its own. Every IOVA goes through a translation:
 *   - emulated IOMMU (default container's backend is "emulated"): the device
 *     is an endpoint attached to the container's domain; each access maps
 *     the range with keel_emu_dma_map(), so an unmapped or read-only
 *     destination faults (recorded by the emulated IOMMU) and the op
 *     completes with an error status without writing a byte; copies that
 *     continue each other back to back share one hold per side (taken
 *     from a byte the first of them holds already, so it adds no fault,
 *     and released before any of them is reported done);
 *   - another container (VFIO): the IOVA is looked up in the container's
 *     map table;
 *   - no container and IOVA-as-VA mode: identity (IOVA = VA, SVA capable).
 * dma_mask_bits=N (12..64, default 64) makes it a device that reaches only
 * IOVAs below 2^N (as QEMU's edu with its 28-bit mask): an op any byte of
 * which lies at or above 2^N completes with INVALID_SRC_ADDR /
 * INVALID_DST_ADDR and touches nothing; keel_dma_info.dma_mask_bits says N.
 *
 * Ring of one vchan (nb_desc a power of two, 64-bit free-running counters,
 * ring index = counter & 0xffff):
 *     cpl <= done <= sub <= enq,  enq - cpl <= nb_desc
 * enq, cpl and the stats are written only by the thread driving the vchan;
 * sub is published by it with a release store; the engine reads sub with
 * an acquire load, runs the ops, writes their status and publishes done
 * with a release store. So the fast path takes no lock (SPSC). Cache lines
 * have one writer each: descriptors (32 bytes, two a line) are written by
 * the driving thread only, statuses (a separate array, 32 a line) by the
 * engine only; the engine publishes done once per SOFT_PUBLISH ops and at
 * the end of what it found submitted, not per op. With
 * reorder=1 the engine runs each run of ops between fences backwards, so
 * tests can tell whether a fence is honoured; completions are always
 * reported in ring order.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keel_dmadev.h"
#include "keel_dmadev_pmd.h"
#include "keel_eal.h"
#include "keel_emu_iommu.h"
#include "keel_iommu.h"
#include "keel_kvargs.h"
#include "keel_log.h"
#include "keel_vdev.h"

#include "soft_internal.h"

KEEL_LOG_REGISTER(soft_logtype, "pmd.dma.soft", INFO)

/* -------------------------------------------------------------- fast path */

/* Counters have one writer; relaxed stores let stats_get read them racily
 * but whole. */
static inline void
stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static int
soft_submit(void *priv, uint16_t vchan)
{
	struct soft_dev *sd = priv;
	struct soft_vchan *v = sd->vchans[vchan];
	uint64_t sub = v->sub;

	if (v->enq != sub) {
		stat_add(&v->st.submitted, v->enq - sub);
		__atomic_store_n(&v->sub, v->enq, __ATOMIC_RELEASE);
	}
	return 0;
}

static inline struct soft_desc *
soft_slot(struct soft_vchan *v)
{
	if (v->enq - v->cpl >= v->nb_desc)
		return NULL;
	return &v->ring[v->enq & v->mask];
}

static inline int
soft_enqueued(struct soft_dev *sd, uint16_t vchan, struct soft_vchan *v,
	      uint64_t flags)
{
	int idx = (int)(v->enq & 0xffff);

	v->enq++;
	if (flags & KEEL_DMA_OP_FLAG_SUBMIT)
		soft_submit(sd, vchan);
	return idx;
}

/* copy and fill: one descriptor with a source (or pattern) and a destination */
static inline int
soft_enq_simple(void *priv, uint16_t vchan, uint8_t op, uint64_t src,
		uint64_t dst, uint32_t length, uint64_t flags)
{
	struct soft_dev *sd = priv;
	struct soft_vchan *v = sd->vchans[vchan];
	struct soft_desc *d = soft_slot(v);

	if (d == NULL)
		return -ENOSPC;
	d->op = op;
	d->src = src;
	d->dst = dst;
	d->len = length;
	d->fence = (flags & KEEL_DMA_OP_FLAG_FENCE) != 0;
	return soft_enqueued(sd, vchan, v, flags);
}

static int
soft_copy(void *priv, uint16_t vchan, uint64_t src, uint64_t dst,
	  uint32_t length, uint64_t flags)
{
	return soft_enq_simple(priv, vchan, SOFT_OP_COPY, src, dst, length,
			       flags);
}

static int
soft_copy_sg(void *priv, uint16_t vchan, const struct keel_dma_sge *src,
	     const struct keel_dma_sge *dst, uint16_t nb_src, uint16_t nb_dst,
	     uint64_t flags)
{
	struct soft_dev *sd = priv;
	struct soft_vchan *v = sd->vchans[vchan];
	struct soft_desc *d;
	struct keel_dma_sge *sg;
	uint64_t ts = 0, td = 0;

	for (uint16_t i = 0; i < nb_src; i++) {
		if (src[i].length == 0)
			return keel_dma_fp_bad_arg(sd->dev->dev_id, vchan,
						   "sg source length", 0);
		ts += src[i].length;
	}
	for (uint16_t i = 0; i < nb_dst; i++) {
		if (dst[i].length == 0)
			return keel_dma_fp_bad_arg(sd->dev->dev_id, vchan,
						   "sg destination length", 0);
		td += dst[i].length;
	}
	if (ts != td || ts > UINT32_MAX)
		return keel_dma_fp_bad_arg(sd->dev->dev_id, vchan,
					   "sg total (source != destination)",
					   (long long)ts);
	d = soft_slot(v);
	if (d == NULL)
		return -ENOSPC;
	sg = &v->sg[(v->enq & v->mask) * 2 * SOFT_MAX_SGES];
	memcpy(sg, src, nb_src * sizeof(*src));
	memcpy(sg + SOFT_MAX_SGES, dst, nb_dst * sizeof(*dst));
	d->op = SOFT_OP_COPY_SG;
	d->nb_src = (uint8_t)nb_src;
	d->nb_dst = (uint8_t)nb_dst;
	d->len = (uint32_t)ts;
	d->fence = (flags & KEEL_DMA_OP_FLAG_FENCE) != 0;
	return soft_enqueued(sd, vchan, v, flags);
}

static int
soft_fill(void *priv, uint16_t vchan, uint64_t pattern, uint64_t dst,
	  uint32_t length, uint64_t flags)
{
	return soft_enq_simple(priv, vchan, SOFT_OP_FILL, pattern, dst, length,
			       flags);
}

static inline uint64_t
soft_ready(struct soft_dev *sd, struct soft_vchan *v)
{
	if (sd->mode == SOFT_MODE_INLINE)
		soft_engine_poll(sd, v);
	return __atomic_load_n(&v->done, __ATOMIC_ACQUIRE) - v->cpl;
}

static uint16_t
soft_completed(void *priv, uint16_t vchan, uint16_t nb_cpls,
	       uint16_t *last_idx, bool *has_error)
{
	struct soft_dev *sd = priv;
	struct soft_vchan *v = sd->vchans[vchan];
	uint64_t n = soft_ready(sd, v), i;

	if (n > nb_cpls)
		n = nb_cpls;
	for (i = 0; i < n; i++) {
		if (v->status[(v->cpl + i) & v->mask] !=
		    KEEL_DMA_STATUS_SUCCESSFUL) {
			*has_error = true;
			break;
		}
	}
	v->cpl += i;
	stat_add(&v->st.completed, i);
	*last_idx = (uint16_t)(v->cpl - 1);
	return (uint16_t)i;
}

static uint16_t
soft_completed_status(void *priv, uint16_t vchan, uint16_t nb_cpls,
		      uint16_t *last_idx, enum keel_dma_status_code *status)
{
	struct soft_dev *sd = priv;
	struct soft_vchan *v = sd->vchans[vchan];
	uint64_t n = soft_ready(sd, v), err = 0;

	if (n > nb_cpls)
		n = nb_cpls;
	for (uint64_t i = 0; i < n; i++) {
		status[i] = v->status[(v->cpl + i) & v->mask];
		err += status[i] != KEEL_DMA_STATUS_SUCCESSFUL;
	}
	v->cpl += n;
	stat_add(&v->st.completed, n);
	if (err != 0)
		stat_add(&v->st.errors, err);
	*last_idx = (uint16_t)(v->cpl - 1);
	return (uint16_t)n;
}

static uint16_t
soft_burst_capacity(const void *priv, uint16_t vchan)
{
	const struct soft_dev *sd = priv;
	const struct soft_vchan *v = sd->vchans[vchan];

	return (uint16_t)(v->nb_desc - (v->enq - v->cpl));
}

/* ----------------------------------------------------------- control path */

static int
soft_info_get(const struct keel_dma_dev *dev, struct keel_dma_info *info)
{
	const struct soft_dev *sd = dev->dev_private;

	info->dev_capa = KEEL_DMA_CAPA_MEM_TO_MEM |
			 KEEL_DMA_CAPA_HANDLES_ERRORS |
			 KEEL_DMA_CAPA_OPS_COPY | KEEL_DMA_CAPA_OPS_COPY_SG |
			 KEEL_DMA_CAPA_OPS_FILL;
	if (sd->xl == XL_IDENTITY)
		info->dev_capa |= KEEL_DMA_CAPA_SVA;
	if (sd->xl == XL_EMU)
		info->dev_capa |= KEEL_DMA_CAPA_BEHIND_IOMMU;
	info->dma_mask_bits = (uint8_t)sd->mask_bits;
	if (sd->xl == XL_TABLE)
		info->iommu = sd->cont;
	info->max_vchans = SOFT_MAX_VCHANS;
	info->min_desc = SOFT_MIN_DESC;
	info->max_desc = SOFT_MAX_DESC;
	info->max_sges = SOFT_MAX_SGES;
	return 0;
}

static void
vchan_free(struct soft_vchan *v)
{
	if (v == NULL)
		return;
	free(v->ring);
	free(v->status);
	free(v->sg);
	free(v);
}

static int
soft_configure(struct keel_dma_dev *dev, const struct keel_dma_conf *conf)
{
	struct soft_dev *sd = dev->dev_private;

	for (int i = 0; i < SOFT_MAX_VCHANS; i++) {
		vchan_free(sd->vchans[i]);
		sd->vchans[i] = NULL;
	}
	sd->nb_vchans = conf->nb_vchans;
	return 0;
}

static int
soft_vchan_setup(struct keel_dma_dev *dev, uint16_t vchan,
		 const struct keel_dma_vchan_conf *conf)
{
	struct soft_dev *sd = dev->dev_private;
	struct soft_vchan *v;

	if (posix_memalign((void **)&v, 64, sizeof(*v)) != 0)
		return -ENOMEM;
	memset(v, 0, sizeof(*v));
	v->nb_desc = conf->nb_desc;
	v->mask = conf->nb_desc - 1;
	if (posix_memalign((void **)&v->ring, 64,
			   conf->nb_desc * sizeof(*v->ring)) != 0)
		v->ring = NULL;
	else
		memset(v->ring, 0, conf->nb_desc * sizeof(*v->ring));
	if (posix_memalign((void **)&v->status, 64,
			   conf->nb_desc * sizeof(*v->status)) != 0)
		v->status = NULL;
	else
		memset(v->status, 0, conf->nb_desc * sizeof(*v->status));
	v->sg = calloc((size_t)conf->nb_desc * 2 * SOFT_MAX_SGES,
		       sizeof(*v->sg));
	if (v->ring == NULL || v->status == NULL || v->sg == NULL) {
		vchan_free(v);
		KEEL_LOG(ERR, soft_logtype, "%s: no memory for vchan %u ring",
			 dev->name, vchan);
		return -ENOMEM;
	}
	vchan_free(sd->vchans[vchan]);
	sd->vchans[vchan] = v;
	return 0;
}

static int
soft_start(struct keel_dma_dev *dev)
{
	struct soft_dev *sd = dev->dev_private;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_attr_t attr;
	cpu_set_t cpus;
	unsigned int l;
	int ret;

	for (uint16_t i = 0; i < sd->nb_vchans; i++) {
		struct soft_vchan *v = sd->vchans[i];

		v->enq = v->cpl = v->sub = v->done = v->hw = 0;
	}
	sd->lcore = -1;
	sd->have_thread = 0;
	if (sd->mode == SOFT_MODE_INLINE)
		return 0;
	__atomic_store_n(&sd->run, 1, __ATOMIC_RELEASE);
	if (sd->want_lcore >= 0) {
		ret = keel_eal_remote_launch(soft_worker, sd,
					     (unsigned int)sd->want_lcore);
		if (ret < 0) {
			KEEL_LOG(ERR, soft_logtype,
				 "%s: cannot run on lcore %d: %s", dev->name,
				 sd->want_lcore, strerror(-ret));
			return ret;
		}
		sd->lcore = sd->want_lcore;
		return 0;
	}
	KEEL_LCORE_FOREACH_WORKER(l) {
		if (!sd->any_lcore)
			break;
		if (keel_eal_remote_launch(soft_worker, sd, l) == 0) {
			sd->lcore = (int)l;
			KEEL_LOG(DEBUG, soft_logtype, "%s: worker on lcore %u",
				 dev->name, l);
			return 0;
		}
	}
	/* not on the creator's (main lcore's) CPU only: any CPU */
	pthread_attr_init(&attr);
	CPU_ZERO(&cpus);
	for (long c = 0; c < ncpu && c < CPU_SETSIZE; c++)
		CPU_SET(c, &cpus);
	pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
	ret = pthread_create(&sd->thread, &attr, soft_thread, sd);
	pthread_attr_destroy(&attr);
	if (ret != 0) {
		KEEL_LOG(ERR, soft_logtype, "%s: cannot create worker thread: %s",
			 dev->name, strerror(ret));
		return -ret;
	}
	sd->have_thread = 1;
	KEEL_LOG(DEBUG, soft_logtype, "%s: worker on its own thread",
		 dev->name);
	return 0;
}

static int
soft_stop(struct keel_dma_dev *dev)
{
	struct soft_dev *sd = dev->dev_private;

	__atomic_store_n(&sd->run, 0, __ATOMIC_RELEASE);
	if (sd->lcore >= 0)
		keel_eal_wait_lcore((unsigned int)sd->lcore);
	if (sd->have_thread)
		pthread_join(sd->thread, NULL);
	sd->lcore = -1;
	sd->have_thread = 0;
	if (sd->mode == SOFT_MODE_INLINE)
		for (uint16_t i = 0; i < sd->nb_vchans; i++)
			soft_engine_poll(sd, sd->vchans[i]);
	return 0;
}

static int
soft_close(struct keel_dma_dev *dev)
{
	struct soft_dev *sd = dev->dev_private;
	int ret = 0;

	for (int i = 0; i < SOFT_MAX_VCHANS; i++) {
		vchan_free(sd->vchans[i]);
		sd->vchans[i] = NULL;
	}
	if (sd->ep != NULL) {
		ret = keel_emu_endpoint_destroy(sd->ep);
		sd->ep = NULL;
	}
	return ret;
}

static int
soft_stats_get(const struct keel_dma_dev *dev, uint16_t vchan,
	       struct keel_dma_stats *stats)
{
	const struct soft_dev *sd = dev->dev_private;
	const struct soft_vchan *v = sd->vchans[vchan];

	stats->submitted = __atomic_load_n(&v->st.submitted, __ATOMIC_RELAXED) -
			   v->base.submitted;
	stats->completed = __atomic_load_n(&v->st.completed, __ATOMIC_RELAXED) -
			   v->base.completed;
	stats->errors = __atomic_load_n(&v->st.errors, __ATOMIC_RELAXED) -
			v->base.errors;
	return 0;
}

static int
soft_stats_reset(struct keel_dma_dev *dev, uint16_t vchan)
{
	struct soft_dev *sd = dev->dev_private;
	struct soft_vchan *v = sd->vchans[vchan];

	v->base.submitted = __atomic_load_n(&v->st.submitted, __ATOMIC_RELAXED);
	v->base.completed = __atomic_load_n(&v->st.completed, __ATOMIC_RELAXED);
	v->base.errors = __atomic_load_n(&v->st.errors, __ATOMIC_RELAXED);
	return 0;
}

static int
soft_vchan_status(const struct keel_dma_dev *dev, uint16_t vchan,
		  enum keel_dma_vchan_status *status)
{
	const struct soft_dev *sd = dev->dev_private;
	const struct soft_vchan *v = sd->vchans[vchan];

	*status = __atomic_load_n(&v->done, __ATOMIC_ACQUIRE) !=
		  __atomic_load_n(&v->sub, __ATOMIC_ACQUIRE) ?
		  KEEL_DMA_VCHAN_ACTIVE : KEEL_DMA_VCHAN_IDLE;
	return 0;
}

static const char *
xl_name(enum soft_xl xl)
{
	switch (xl) {
	case XL_IDENTITY: return "identity (IOVA = VA)";
	case XL_EMU: return "emulated IOMMU";
	case XL_TABLE: return "IOMMU container map table";
	}
	return "?";
}

static int
soft_dump(const struct keel_dma_dev *dev, FILE *f)
{
	const struct soft_dev *sd = dev->dev_private;

	fprintf(f, "  soft: mode %s, reorder %d, translation %s",
		sd->mode == SOFT_MODE_INLINE ? "inline" : "worker", sd->reorder,
		xl_name(sd->xl));
	if (sd->ep != NULL)
		fprintf(f, " (endpoint 0x%x)", keel_emu_endpoint_id(sd->ep));
	if (sd->lcore >= 0)
		fprintf(f, ", worker lcore %d", sd->lcore);
	else if (sd->have_thread)
		fprintf(f, ", worker thread");
	fprintf(f, "\n");
	for (uint16_t i = 0; i < sd->nb_vchans; i++) {
		const struct soft_vchan *v = sd->vchans[i];

		if (v == NULL)
			continue;
		fprintf(f, "  vchan %u: nb_desc %u enq %" PRIu64 " sub %" PRIu64
			" done %" PRIu64 " cpl %" PRIu64 "\n", i, v->nb_desc,
			v->enq, v->sub, v->done, v->cpl);
	}
	return 0;
}

static const struct keel_dma_dev_ops soft_ops = {
	.info_get = soft_info_get,
	.configure = soft_configure,
	.vchan_setup = soft_vchan_setup,
	.start = soft_start,
	.stop = soft_stop,
	.close = soft_close,
	.stats_get = soft_stats_get,
	.stats_reset = soft_stats_reset,
	.vchan_status = soft_vchan_status,
	.dump = soft_dump,
};

/* --------------------------------------------------------------- vdev glue */

static const char *const soft_keys[] = { "mode", "lcore", "reorder",
					 "dma_mask_bits", NULL };
static const char *const soft_modes[] = { "worker", "inline", NULL };

/* Choose the translation for the default container; 0 or -errno. */
static int
soft_xl_setup(struct soft_dev *sd, const char *name)
{
	static uint32_t next_ep_id = SOFT_EP_ID_BASE;
	struct keel_iommu_container *c = keel_iommu_container_default();
	struct keel_emu_domain *dom;
	int ret;

	if (c == NULL) {
		if (keel_eal_iova_mode() != KEEL_IOVA_VA) {
			KEEL_LOG(ERR, soft_logtype,
				 "%s: no IOMMU container and IOVA mode %s: cannot translate IOVAs",
				 name, keel_iova_mode_name(keel_eal_iova_mode()));
			return -ENOTSUP;
		}
		sd->xl = XL_IDENTITY;
		return 0;
	}
	if (keel_iommu_container_kind(c) != KEEL_IOMMU_EMULATED) {
		sd->xl = XL_TABLE;
		sd->cont = c;
		return 0;
	}
	dom = keel_emu_backend_domain(keel_iommu_container_backend_priv(c));
	if (dom == NULL) {
		KEEL_LOG(ERR, soft_logtype,
			 "%s: emulated container without a domain", name);
		return -ENODEV;
	}
	sd->ep = keel_emu_endpoint_create(
		__atomic_fetch_add(&next_ep_id, 1, __ATOMIC_RELAXED), name);
	if (sd->ep == NULL)
		return -ENOMEM;
	ret = keel_emu_endpoint_attach(sd->ep, dom);
	if (ret < 0) {
		keel_emu_endpoint_destroy(sd->ep);
		sd->ep = NULL;
		return ret;
	}
	sd->xl = XL_EMU;
	return 0;
}

static int
soft_probe(const char *name, const char *args)
{
	struct keel_kvargs *kv = keel_kvargs_parse(args, soft_keys);
	struct keel_dma_dev *dev;
	struct soft_dev *sd;
	uint64_t lcore = UINT64_MAX, reorder = 0, mask_bits = 64;
	int mode = SOFT_MODE_WORKER, ret, any_lcore = 0;
	const char *lv;

	if (kv == NULL)
		return -errno;
	ret = keel_kvargs_get_choice(kv, "mode", soft_modes);
	if (ret >= 0)
		mode = ret;
	else if (ret != -ENOENT)
		goto out;
	lv = keel_kvargs_get(kv, "lcore");
	if (lv != NULL && strcmp(lv, "any") == 0) {
		any_lcore = 1;
	} else {
		ret = keel_kvargs_get_u64(kv, "lcore", 0, KEEL_MAX_LCORE - 1,
					  &lcore);
		if (ret < 0 && ret != -ENOENT)
			goto out;
	}
	if (lcore != UINT64_MAX &&
	    (!keel_lcore_is_enabled((unsigned int)lcore) ||
	     lcore == keel_get_main_lcore())) {
		KEEL_LOG(ERR, soft_logtype, "%s: lcore=%" PRIu64
			 " is not an enabled worker lcore", name, lcore);
		ret = -EINVAL;
		goto out;
	}
	ret = keel_kvargs_get_u64(kv, "reorder", 0, 1, &reorder);
	if (ret < 0 && ret != -ENOENT)
		goto out;
	ret = keel_kvargs_get_u64(kv, "dma_mask_bits", 12, 64, &mask_bits);
	if (ret < 0 && ret != -ENOENT)
		goto out;
	dev = keel_dma_pmd_allocate(name, keel_socket_id(), sizeof(*sd));
	if (dev == NULL) {
		ret = -errno;
		goto out;
	}
	sd = dev->dev_private;
	sd->dev = dev;
	sd->mode = (enum soft_mode)mode;
	sd->want_lcore = lcore == UINT64_MAX ? -1 : (int)lcore;
	sd->any_lcore = any_lcore;
	sd->reorder = (int)reorder;
	sd->mask_bits = (unsigned int)mask_bits;
	sd->dma_end = mask_bits >= 64 ? 0 : UINT64_C(1) << mask_bits;
	sd->lcore = -1;
	ret = soft_xl_setup(sd, name);
	if (ret < 0) {
		keel_dma_pmd_release(dev);
		goto out;
	}
	dev->driver = SOFT_DRIVER;
	dev->fp.copy = soft_copy;
	dev->fp.copy_sg = soft_copy_sg;
	dev->fp.fill = soft_fill;
	dev->fp.submit = soft_submit;
	dev->fp.completed = soft_completed;
	dev->fp.completed_status = soft_completed_status;
	dev->fp.burst_capacity = soft_burst_capacity;
	__atomic_store_n(&dev->ops, &soft_ops, __ATOMIC_RELEASE);
	KEEL_LOG(INFO, soft_logtype, "%s: dmadev %d, %s mode, %s", name,
		 dev->dev_id, mode == SOFT_MODE_INLINE ? "inline" : "worker",
		 xl_name(sd->xl));
	ret = 0;
out:
	keel_kvargs_free(kv);
	if (ret < 0)
		errno = -ret;
	return ret;
}

static int
soft_remove(const char *name)
{
	struct keel_dma_dev *dev = keel_dma_pmd_get_dev_by_name(name);

	if (dev == NULL)
		return 0;   /* closed through keel_dma_close() already */
	return keel_dma_close(dev->dev_id);
}

static struct keel_vdev_driver soft_driver = {
	.probe = soft_probe,
	.remove = soft_remove,
};

KEEL_VDEV_DRIVER_REGISTER(dma_soft, soft_driver,
	"mode=<worker|inline> lcore=<worker lcore id|any> reorder=<0|1> "
	"dma_mask_bits=<12..64>")
