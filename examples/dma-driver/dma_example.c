/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dma_example: the smallest complete DMA driver, written as a worked
 * example (doc/guides/drivers.md walks through it). A vdev driver whose
 * "engine" is the CPU: it parses its arguments with kvargs, allocates a
 * dmadev, and copies each op when it is submitted (mode=sync) or when
 * completions are asked for (mode=lazy), translating every IOVA through
 * the default IOMMU container as a device behind it would: an IOVA that
 * is not mapped there completes with an error status, no byte written.
 *
 * One vchan, copies only. Built as a loadable module, never linked into a
 * program:
 *     keel-dma-copy -d .../libkeel_dma_example.so \
 *         --vdev dma_example0,mode=lazy,max_desc=256 -- --dev dma_example0
 * Out of tree: cc -shared -fPIC dma_example.c \
 *                 $(pkg-config --cflags --libs keel) -o libdma_example.so
 *
 * Invariant: enq - cpl <= nb_desc; ring[i & mask] holds op i for
 * cpl <= i < enq; ops [cpl, done) have their final status. Lock: none;
 * the fast path of the vchan is driven by one thread (dmadev's contract).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <keel_dmadev_pmd.h>
#include <keel_eal.h>
#include <keel_iommu.h>
#include <keel_kvargs.h>
#include <keel_log.h>
#include <keel_vdev.h>

KEEL_LOG_REGISTER(example_log, "pmd.dma.example", INFO)

#define EX_MIN_DESC 32
#define EX_MAX_DESC 4096

struct ex_op {
	uint64_t src, dst;
	uint32_t len;
	uint16_t status;
};

struct ex_dev {
	bool lazy;                      /* mode=lazy: copy in completed() */
	uint16_t max_desc;              /* max_desc=N */
	uint16_t nb_desc, mask;
	struct ex_op *ring;
	uint64_t enq, sub, done, cpl;   /* op counters, see the invariant */
	struct keel_dma_stats st;
};

/* ------------------------------------------------------------ fast path */

/*
 * Where IOVA @p iova lives for @p len bytes: the default container's map
 * table gives the VA (EAL memory and memory the application registered);
 * without a container, IOVA = VA in va mode. NULL when not all mapped.
 */
static void *
ex_translate(uint64_t iova, uint32_t len)
{
	struct keel_iommu_container *c = keel_iommu_container_default();
	struct keel_iommu_mapping m;

	if (c == NULL)
		return keel_eal_iova_mode() == KEEL_IOVA_VA ?
		       (void *)(uintptr_t)iova : NULL;
	if (keel_iommu_lookup_iova(c, iova, &m) < 0 ||
	    iova - m.iova + len > m.len)
		return NULL;   /* unmapped, or runs past the mapping */
	return (void *)(uintptr_t)(m.va + (iova - m.iova));
}

/* run submitted ops up to op @p upto */
static void
ex_run(struct ex_dev *xd, uint64_t upto)
{
	for (; xd->done < upto; xd->done++) {
		struct ex_op *op = &xd->ring[xd->done & xd->mask];
		void *s = ex_translate(op->src, op->len);
		void *d = ex_translate(op->dst, op->len);

		if (s == NULL)
			op->status = KEEL_DMA_STATUS_INVALID_SRC_ADDR;
		else if (d == NULL)
			op->status = KEEL_DMA_STATUS_INVALID_DST_ADDR;
		else {
			memmove(d, s, op->len);
			op->status = KEEL_DMA_STATUS_SUCCESSFUL;
		}
	}
}

static int
ex_submit(void *priv, uint16_t vchan)
{
	struct ex_dev *xd = priv;

	(void)vchan;
	xd->st.submitted += xd->enq - xd->sub;
	xd->sub = xd->enq;
	if (!xd->lazy)
		ex_run(xd, xd->sub);
	return 0;
}

static int
ex_copy(void *priv, uint16_t vchan, uint64_t src, uint64_t dst,
	uint32_t length, uint64_t flags)
{
	struct ex_dev *xd = priv;
	struct ex_op *op;
	int idx;

	if (xd->enq - xd->cpl >= xd->nb_desc)
		return -ENOSPC;
	op = &xd->ring[xd->enq & xd->mask];
	op->src = src;
	op->dst = dst;
	op->len = length;
	op->status = KEEL_DMA_STATUS_NOT_ATTEMPTED;
	idx = (int)(xd->enq & 0xffff);   /* the ring index dmadev returns */
	xd->enq++;
	/* ops run in order, so FENCE holds by construction */
	if (flags & KEEL_DMA_OP_FLAG_SUBMIT)
		ex_submit(xd, vchan);
	return idx;
}

/* copies only: fill and copy_sg are refused (every fast-path callback
 * must be set; the capabilities tell applications what is supported) */
static int
ex_fill(void *priv, uint16_t vchan, uint64_t pattern, uint64_t dst,
	uint32_t length, uint64_t flags)
{
	(void)priv, (void)vchan, (void)pattern, (void)dst, (void)length;
	(void)flags;
	return -ENOTSUP;
}

static int
ex_copy_sg(void *priv, uint16_t vchan, const struct keel_dma_sge *src,
	   const struct keel_dma_sge *dst, uint16_t nb_src, uint16_t nb_dst,
	   uint64_t flags)
{
	(void)priv, (void)vchan, (void)src, (void)dst, (void)nb_src;
	(void)nb_dst, (void)flags;
	return -ENOTSUP;   /* not reached: max_sges is 0 */
}

static uint16_t
ex_completed_status(void *priv, uint16_t vchan, uint16_t nb_cpls,
		    uint16_t *last_idx, enum keel_dma_status_code *status)
{
	struct ex_dev *xd = priv;
	uint64_t n;

	(void)vchan;
	if (xd->lazy)
		ex_run(xd, xd->sub);
	n = xd->done - xd->cpl < nb_cpls ? xd->done - xd->cpl : nb_cpls;
	for (uint64_t i = 0; i < n; i++) {
		status[i] = xd->ring[(xd->cpl + i) & xd->mask].status;
		xd->st.errors += status[i] != KEEL_DMA_STATUS_SUCCESSFUL;
	}
	xd->cpl += n;
	xd->st.completed += n;
	*last_idx = (uint16_t)(xd->cpl - 1);
	return (uint16_t)n;
}

/* the successful ops in order, stopping before the first failed one */
static uint16_t
ex_completed(void *priv, uint16_t vchan, uint16_t nb_cpls,
	     uint16_t *last_idx, bool *has_error)
{
	struct ex_dev *xd = priv;
	uint64_t n, i;

	(void)vchan;
	if (xd->lazy)
		ex_run(xd, xd->sub);
	n = xd->done - xd->cpl < nb_cpls ? xd->done - xd->cpl : nb_cpls;
	for (i = 0; i < n; i++)
		if (xd->ring[(xd->cpl + i) & xd->mask].status !=
		    KEEL_DMA_STATUS_SUCCESSFUL) {
			*has_error = true;
			break;
		}
	xd->cpl += i;
	xd->st.completed += i;
	*last_idx = (uint16_t)(xd->cpl - 1);
	return (uint16_t)i;
}

static uint16_t
ex_burst_capacity(const void *priv, uint16_t vchan)
{
	const struct ex_dev *xd = priv;

	(void)vchan;
	return (uint16_t)(xd->nb_desc - (xd->enq - xd->cpl));
}

/* --------------------------------------------------------- control path */

static int
ex_info_get(const struct keel_dma_dev *dev, struct keel_dma_info *info)
{
	const struct ex_dev *xd = dev->dev_private;

	info->dev_capa = KEEL_DMA_CAPA_MEM_TO_MEM | KEEL_DMA_CAPA_OPS_COPY |
			 KEEL_DMA_CAPA_HANDLES_ERRORS |
			 (keel_iommu_container_default() != NULL ?
			  KEEL_DMA_CAPA_BEHIND_IOMMU : 0);
	info->max_vchans = 1;
	info->min_desc = EX_MIN_DESC;
	info->max_desc = xd->max_desc;
	info->max_sges = 0;
	return 0;
}

static int
ex_configure(struct keel_dma_dev *dev, const struct keel_dma_conf *conf)
{
	(void)dev;
	(void)conf;     /* the library checked nb_vchans <= max_vchans */
	return 0;
}

static int
ex_vchan_setup(struct keel_dma_dev *dev, uint16_t vchan,
	       const struct keel_dma_vchan_conf *conf)
{
	struct ex_dev *xd = dev->dev_private;
	struct ex_op *ring = calloc(conf->nb_desc, sizeof(*ring));

	(void)vchan;
	if (ring == NULL)
		return -ENOMEM;     /* the old ring stays: state as before */
	free(xd->ring);
	xd->ring = ring;
	xd->nb_desc = conf->nb_desc;    /* a power of two, checked */
	xd->mask = (uint16_t)(conf->nb_desc - 1);
	return 0;
}

static int
ex_start(struct keel_dma_dev *dev)
{
	struct ex_dev *xd = dev->dev_private;

	xd->enq = xd->sub = xd->done = xd->cpl = 0;   /* indexes restart */
	return 0;
}

static int
ex_stop(struct keel_dma_dev *dev)
{
	struct ex_dev *xd = dev->dev_private;

	ex_run(xd, xd->sub);    /* finish what was submitted */
	return 0;
}

static int
ex_close(struct keel_dma_dev *dev)
{
	struct ex_dev *xd = dev->dev_private;

	free(xd->ring);
	xd->ring = NULL;
	return 0;
}

static int
ex_stats_get(const struct keel_dma_dev *dev, uint16_t vchan,
	     struct keel_dma_stats *stats)
{
	const struct ex_dev *xd = dev->dev_private;

	(void)vchan;
	*stats = xd->st;
	return 0;
}

static int
ex_vchan_status(const struct keel_dma_dev *dev, uint16_t vchan,
		enum keel_dma_vchan_status *status)
{
	const struct ex_dev *xd = dev->dev_private;

	(void)vchan;
	*status = xd->lazy && xd->done != xd->sub ? KEEL_DMA_VCHAN_ACTIVE :
		  KEEL_DMA_VCHAN_IDLE;
	return 0;
}

static const struct keel_dma_dev_ops ex_ops = {
	.info_get = ex_info_get,
	.configure = ex_configure,
	.vchan_setup = ex_vchan_setup,
	.start = ex_start,
	.stop = ex_stop,
	.close = ex_close,
	.stats_get = ex_stats_get,
	.vchan_status = ex_vchan_status,
};

/* ---------------------------------------------------------------- bus */

static const char *const ex_keys[] = { "mode", "max_desc", NULL };
static const char *const ex_modes[] = { "sync", "lazy", NULL };

/* vdev probe: "dma_example0" with "mode=lazy,max_desc=256" */
static int
ex_probe(const char *name, const char *args)
{
	struct keel_kvargs *kv = keel_kvargs_parse(args, ex_keys);
	struct keel_dma_dev *dev;
	struct ex_dev *xd;
	uint64_t max_desc = 1024;
	int mode, ret;

	if (kv == NULL)
		return -errno;  /* logged by kvargs, with the valid keys */
	mode = keel_kvargs_get_choice(kv, "mode", ex_modes);
	ret = keel_kvargs_get_u64(kv, "max_desc", EX_MIN_DESC, EX_MAX_DESC,
				  &max_desc);
	keel_kvargs_free(kv);
	if (mode == -ENOENT)
		mode = 0;       /* absent: the default, sync */
	if (mode < 0 || (ret < 0 && ret != -ENOENT))
		return -EINVAL; /* logged by kvargs, with the choices/range */
	if (max_desc & (max_desc - 1)) {
		KEEL_LOG(ERR, example_log, "%s: max_desc=%lu is not a power "
			 "of two", name, (unsigned long)max_desc);
		return -EINVAL;
	}
	if (keel_iommu_container_default() == NULL &&
	    keel_eal_iova_mode() != KEEL_IOVA_VA) {
		KEEL_LOG(ERR, example_log, "%s: needs an IOMMU container or "
			 "--iova-mode va to reach memory", name);
		return -ENOTSUP;
	}
	dev = keel_dma_pmd_allocate(name, -1, sizeof(*xd));
	if (dev == NULL)
		return -errno;
	xd = dev->dev_private;
	xd->lazy = mode == 1;
	xd->max_desc = (uint16_t)max_desc;
	dev->driver = "dma_example";
	dev->ops = &ex_ops;
	dev->fp = (struct keel_dma_fp_ops){
		.copy = ex_copy,
		.copy_sg = ex_copy_sg,
		.fill = ex_fill,
		.submit = ex_submit,
		.completed = ex_completed,
		.completed_status = ex_completed_status,
		.burst_capacity = ex_burst_capacity,
	};
	KEEL_LOG(INFO, example_log, "%s: dmadev %d, %s mode, rings up to %u",
		 name, dev->dev_id, ex_modes[mode], xd->max_desc);
	return 0;
}

static int
ex_remove(const char *name)
{
	struct keel_dma_dev *dev = keel_dma_pmd_get_dev_by_name(name);

	/* keel_dma_close() stops, calls ex_close() and releases the slot */
	return dev == NULL ? 0 : keel_dma_close(dev->dev_id);
}

static struct keel_vdev_driver ex_driver = {
	.probe = ex_probe,
	.remove = ex_remove,
};

KEEL_VDEV_DRIVER_REGISTER(dma_example, ex_driver,
			  "mode=<sync|lazy> max_desc=<32..4096, a power of two>")
