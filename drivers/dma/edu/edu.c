/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dma_edu's control path, knobs and PCI probe (invariants in
 * edu_internal.h; the engine in edu_engine.c). The control path runs under
 * the dmadev library's lock with the fast path quiet.
 */
#include "edu_internal.h"

KEEL_LOG_REGISTER(edu_logtype, "pmd.dma.edu", INFO)

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
	uint64_t t0 = keel_time_ns();

	/* a transfer may still run (device given up): let it end */
	while (ed->bar != NULL && edu_busy(ed) &&
	       keel_time_ns() - t0 < EDU_XFER_TIMEOUT_NS)
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
	ed->t_start = keel_time_ns();
	while (edu_busy(ed)) {
		if (keel_time_ns() - ed->t_start > EDU_XFER_TIMEOUT_NS) {
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
