/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMA device table and control path (the fast-path table's contents:
 * dmadev_fp.c).
 *
 * Invariant: devs[i] is NULL or a device whose dev_id is i and whose state
 * is not UNUSED; keel_dma_fp_objs[i] holds the driver's fast-path
 * callbacks exactly while devs[i] is STARTED (dmadev_fp_install()), and
 * the dummy callbacks (which log and fail) otherwise (dmadev_fp_reset()). Every control-path call validates its
 * arguments before changing anything, so a failed call leaves the device
 * as it was.
 *
 * Lock: dev_lock (a mutex) protects devs[] and every device's library
 * state; driver control ops are called with it held. The fast path takes
 * no lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "keel_dmadev.h"
#include "keel_dmadev_pmd.h"
#include "keel_log.h"
#include "dmadev_internal.h"

KEEL_LOG_REGISTER(keel_logtype_dmadev, "dmadev", INFO)

static struct keel_dma_dev *devs[KEEL_DMADEV_MAX];
static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;

static int
fail(int err)
{
	errno = err;
	return -err;
}


/* ---- driver side ---- */

static struct keel_dma_dev *
find_by_name(const char *name)
{
	for (int i = 0; i < KEEL_DMADEV_MAX; i++)
		if (devs[i] != NULL && strcmp(devs[i]->name, name) == 0)
			return devs[i];
	return NULL;
}

struct keel_dma_dev *
keel_dma_pmd_allocate(const char *name, int numa_node, size_t priv_size)
{
	struct keel_dma_dev *dev;
	size_t hdr = (sizeof(*dev) + 63) & ~(size_t)63;
	int id;

	if (name == NULL || name[0] == '\0' ||
	    strnlen(name, KEEL_DMADEV_NAME_MAX) >= KEEL_DMADEV_NAME_MAX) {
		KEEL_LOG(ERR, keel_logtype_dmadev,
			 "dma allocate: bad device name '%.80s'",
			 name == NULL ? "(null)" : name);
		errno = EINVAL;
		return NULL;
	}
	if (priv_size > (1u << 30)) {
		KEEL_LOG(ERR, keel_logtype_dmadev,
			 "dma allocate %s: private size %zu too large", name,
			 priv_size);
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&dev_lock);
	if (find_by_name(name) != NULL) {
		pthread_mutex_unlock(&dev_lock);
		KEEL_LOG(ERR, keel_logtype_dmadev,
			 "dma allocate: device %s already exists", name);
		errno = EEXIST;
		return NULL;
	}
	for (id = 0; id < KEEL_DMADEV_MAX && devs[id] != NULL; id++)
		;
	if (id == KEEL_DMADEV_MAX) {
		pthread_mutex_unlock(&dev_lock);
		KEEL_LOG(ERR, keel_logtype_dmadev,
			 "dma allocate %s: all %d device slots in use", name,
			 KEEL_DMADEV_MAX);
		errno = ENOSPC;
		return NULL;
	}
	if (posix_memalign((void **)&dev, 64, hdr + priv_size) != 0) {
		pthread_mutex_unlock(&dev_lock);
		errno = ENOMEM;
		return NULL;
	}
	memset(dev, 0, hdr + priv_size);
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->dev_id = (int16_t)id;
	dev->numa_node = numa_node;
	dev->state = KEEL_DMA_DEV_REGISTERED;
	dev->driver = "unknown";
	dev->dev_private = priv_size ? (char *)dev + hdr : NULL;
	devs[id] = dev;
	dmadev_fp_reset((int16_t)id, true);
	pthread_mutex_unlock(&dev_lock);
	return dev;
}

static int
release_locked(struct keel_dma_dev *dev)
{
	int16_t id = dev->dev_id;

	if (id < 0 || id >= KEEL_DMADEV_MAX || devs[id] != dev)
		return fail(EINVAL);
	dmadev_fp_reset(id, false);
	devs[id] = NULL;
	dev->state = KEEL_DMA_DEV_UNUSED;
	free(dev);
	return 0;
}

int
keel_dma_pmd_release(struct keel_dma_dev *dev)
{
	int ret;

	if (dev == NULL)
		return fail(EINVAL);
	pthread_mutex_lock(&dev_lock);
	ret = release_locked(dev);
	pthread_mutex_unlock(&dev_lock);
	return ret;
}

struct keel_dma_dev *
keel_dma_pmd_get_dev_by_name(const char *name)
{
	struct keel_dma_dev *dev;

	if (name == NULL)
		return NULL;
	pthread_mutex_lock(&dev_lock);
	dev = find_by_name(name);
	pthread_mutex_unlock(&dev_lock);
	return dev;
}

/* ---- control path ---- */

/* Lock and return the device, or log and return NULL. */
static struct keel_dma_dev *
dev_get_locked(int16_t dev_id, const char *fn)
{
	pthread_mutex_lock(&dev_lock);
	if (dev_id < 0 || dev_id >= KEEL_DMADEV_MAX || devs[dev_id] == NULL) {
		pthread_mutex_unlock(&dev_lock);
		KEEL_LOG(ERR, keel_logtype_dmadev, "%s: no DMA device %d", fn,
			 dev_id);
		errno = EINVAL;
		return NULL;
	}
	return devs[dev_id];
}

int
keel_dma_get_dev_id_by_name(const char *name)
{
	struct keel_dma_dev *dev;
	int id;

	if (name == NULL) {
		KEEL_LOG(ERR, keel_logtype_dmadev, "dma lookup: NULL name");
		return fail(EINVAL);
	}
	pthread_mutex_lock(&dev_lock);
	dev = find_by_name(name);
	id = dev == NULL ? -ENODEV : dev->dev_id;
	pthread_mutex_unlock(&dev_lock);
	if (id < 0)
		errno = ENODEV;
	return id;
}

bool
keel_dma_is_valid(int16_t dev_id)
{
	bool ok;

	pthread_mutex_lock(&dev_lock);
	ok = dev_id >= 0 && dev_id < KEEL_DMADEV_MAX && devs[dev_id] != NULL;
	pthread_mutex_unlock(&dev_lock);
	return ok;
}

uint16_t
keel_dma_count_avail(void)
{
	uint16_t n = 0;

	pthread_mutex_lock(&dev_lock);
	for (int i = 0; i < KEEL_DMADEV_MAX; i++)
		n += devs[i] != NULL;
	pthread_mutex_unlock(&dev_lock);
	return n;
}

int16_t
keel_dma_next_dev(int16_t start)
{
	int16_t id = -1;

	if (start < 0)
		start = 0;
	pthread_mutex_lock(&dev_lock);
	for (int i = start; i < KEEL_DMADEV_MAX; i++)
		if (devs[i] != NULL) {
			id = (int16_t)i;
			break;
		}
	pthread_mutex_unlock(&dev_lock);
	return id;
}

static int
info_locked(const struct keel_dma_dev *dev, struct keel_dma_info *info)
{
	int ret;

	memset(info, 0, sizeof(*info));
	if (dev->ops == NULL)
		return fail(ENODEV);
	ret = dev->ops->info_get(dev, info);
	if (ret < 0)
		return ret;
	info->dev_name = dev->name;
	info->driver = dev->driver;
	info->numa_node = dev->numa_node;
	info->nb_vchans = dev->nb_vchans;
	if (info->dma_mask_bits == 0 || info->dma_mask_bits > 64)
		info->dma_mask_bits = 64;
	if (info->max_vchans > KEEL_DMA_MAX_VCHANS)
		info->max_vchans = KEEL_DMA_MAX_VCHANS;
	return 0;
}

int
keel_dma_info_get(int16_t dev_id, struct keel_dma_info *info)
{
	struct keel_dma_dev *dev = dev_get_locked(dev_id, "dma info");
	int ret;

	if (dev == NULL)
		return -EINVAL;
	if (info == NULL) {
		pthread_mutex_unlock(&dev_lock);
		KEEL_LOG(ERR, keel_logtype_dmadev, "dma info %d: NULL info",
			 dev_id);
		return fail(EINVAL);
	}
	ret = info_locked(dev, info);
	pthread_mutex_unlock(&dev_lock);
	return ret;
}

int
keel_dma_socket_id(int16_t dev_id)
{
	struct keel_dma_dev *dev = dev_get_locked(dev_id, "dma socket id");
	int s;

	if (dev == NULL)
		return -EINVAL;
	s = dev->numa_node;
	pthread_mutex_unlock(&dev_lock);
	return s;
}

int
keel_dma_configure(int16_t dev_id, const struct keel_dma_conf *conf)
{
	struct keel_dma_dev *dev = dev_get_locked(dev_id, "dma configure");
	struct keel_dma_info info;
	int ret;

	if (dev == NULL)
		return -EINVAL;
	ret = -EINVAL;
	if (conf == NULL) {
		KEEL_LOG(ERR, keel_logtype_dmadev, "dma configure %s: NULL conf",
			 dev->name);
		goto out;
	}
	if (dev->state == KEEL_DMA_DEV_STARTED) {
		KEEL_LOG(ERR, keel_logtype_dmadev,
			 "dma configure %s: device is started", dev->name);
		ret = -EBUSY;
		goto out;
	}
	ret = info_locked(dev, &info);
	if (ret < 0)
		goto out;
	ret = -EINVAL;
	if (conf->nb_vchans == 0 || conf->nb_vchans > info.max_vchans) {
		KEEL_LOG(ERR, keel_logtype_dmadev,
			 "dma configure %s: nb_vchans %u not in 1..%u",
			 dev->name, conf->nb_vchans, info.max_vchans);
		goto out;
	}
	if (conf->flags != 0) {
		KEEL_LOG(ERR, keel_logtype_dmadev,
			 "dma configure %s: unknown flags 0x%x", dev->name,
			 conf->flags);
		goto out;
	}
	ret = dev->ops->configure(dev, conf);
	if (ret < 0)
		goto out;
	dev->nb_vchans = conf->nb_vchans;
	dev->vchan_ready = 0;
	dev->state = KEEL_DMA_DEV_CONFIGURED;
out:
	pthread_mutex_unlock(&dev_lock);
	if (ret < 0)
		errno = -ret;
	return ret;
}

static uint64_t
dir_capa(enum keel_dma_direction d)
{
	switch (d) {
	case KEEL_DMA_DIR_MEM_TO_MEM: return KEEL_DMA_CAPA_MEM_TO_MEM;
	case KEEL_DMA_DIR_MEM_TO_DEV: return KEEL_DMA_CAPA_MEM_TO_DEV;
	case KEEL_DMA_DIR_DEV_TO_MEM: return KEEL_DMA_CAPA_DEV_TO_MEM;
	case KEEL_DMA_DIR_DEV_TO_DEV: return KEEL_DMA_CAPA_DEV_TO_DEV;
	}
	return 0;
}

int
keel_dma_vchan_setup(int16_t dev_id, uint16_t vchan,
		     const struct keel_dma_vchan_conf *conf)
{
	struct keel_dma_dev *dev = dev_get_locked(dev_id, "dma vchan setup");
	struct keel_dma_info info;
	int ret;

	if (dev == NULL)
		return -EINVAL;
	ret = -EINVAL;
	if (conf == NULL) {
		KEEL_LOG(ERR, keel_logtype_dmadev,
			 "dma vchan setup %s: NULL conf", dev->name);
		goto out;
	}
	if (dev->state == KEEL_DMA_DEV_STARTED) {
		KEEL_LOG(ERR, keel_logtype_dmadev,
			 "dma vchan setup %s: device is started", dev->name);
		ret = -EBUSY;
		goto out;
	}
	if (dev->state != KEEL_DMA_DEV_CONFIGURED) {
		KEEL_LOG(ERR, keel_logtype_dmadev,
			 "dma vchan setup %s: device is not configured",
			 dev->name);
		goto out;
	}
	if (vchan >= dev->nb_vchans) {
		KEEL_LOG(ERR, keel_logtype_dmadev,
			 "dma vchan setup %s: vchan %u >= nb_vchans %u",
			 dev->name, vchan, dev->nb_vchans);
		goto out;
	}
	ret = info_locked(dev, &info);
	if (ret < 0)
		goto out;
	ret = -EINVAL;
	if ((dir_capa(conf->direction) & info.dev_capa) == 0) {
		KEEL_LOG(ERR, keel_logtype_dmadev,
			 "dma vchan setup %s: direction %d not supported",
			 dev->name, (int)conf->direction);
		goto out;
	}
	if (conf->nb_desc < info.min_desc || conf->nb_desc > info.max_desc ||
	    (conf->nb_desc & (conf->nb_desc - 1)) != 0) {
		KEEL_LOG(ERR, keel_logtype_dmadev,
			 "dma vchan setup %s: nb_desc %u not a power of two in %u..%u",
			 dev->name, conf->nb_desc, info.min_desc,
			 info.max_desc);
		goto out;
	}
	ret = dev->ops->vchan_setup(dev, vchan, conf);
	if (ret == 0)
		dev->vchan_ready |= 1ull << vchan;
out:
	pthread_mutex_unlock(&dev_lock);
	if (ret < 0)
		errno = -ret;
	return ret;
}

int
keel_dma_start(int16_t dev_id)
{
	struct keel_dma_dev *dev = dev_get_locked(dev_id, "dma start");
	struct keel_dma_info info;
	uint64_t all;
	int ret = 0;

	if (dev == NULL)
		return -EINVAL;
	if (dev->state == KEEL_DMA_DEV_STARTED)
		goto out;
	ret = -EINVAL;
	if (dev->state != KEEL_DMA_DEV_CONFIGURED) {
		KEEL_LOG(ERR, keel_logtype_dmadev,
			 "dma start %s: device is not configured", dev->name);
		goto out;
	}
	all = dev->nb_vchans == 64 ? UINT64_MAX :
	      (1ull << dev->nb_vchans) - 1;
	if ((dev->vchan_ready & all) != all) {
		KEEL_LOG(ERR, keel_logtype_dmadev,
			 "dma start %s: vchan %d is not set up", dev->name,
			 __builtin_ctzll(~dev->vchan_ready & all));
		goto out;
	}
	if (dev->fp.copy == NULL || dev->fp.submit == NULL ||
	    dev->fp.completed == NULL || dev->fp.completed_status == NULL ||
	    dev->fp.burst_capacity == NULL) {
		KEEL_LOG(ERR, keel_logtype_dmadev,
			 "dma start %s: the driver lacks a mandatory fast-path "
			 "op (copy, submit, completed, completed_status, "
			 "burst_capacity)", dev->name);
		goto out;
	}
	ret = info_locked(dev, &info);
	if (ret < 0)
		goto out;
	ret = dev->ops->start(dev);
	if (ret < 0)
		goto out;
	dmadev_fp_install(dev, info.max_sges);
	dev->state = KEEL_DMA_DEV_STARTED;
out:
	pthread_mutex_unlock(&dev_lock);
	if (ret < 0)
		errno = -ret;
	return ret;
}

static int
stop_locked(struct keel_dma_dev *dev)
{
	int ret;

	if (dev->state != KEEL_DMA_DEV_STARTED || dev->ops == NULL)
		return 0;
	dmadev_fp_reset(dev->dev_id, true);
	ret = dev->ops->stop(dev);
	if (ret < 0)
		KEEL_LOG(ERR, keel_logtype_dmadev, "dma stop %s: driver: %s",
			 dev->name, strerror(-ret));
	/* the device is stopped either way: its fast path is gone */
	dev->state = KEEL_DMA_DEV_CONFIGURED;
	return ret;
}

int
keel_dma_stop(int16_t dev_id)
{
	struct keel_dma_dev *dev = dev_get_locked(dev_id, "dma stop");
	int ret;

	if (dev == NULL)
		return -EINVAL;
	ret = stop_locked(dev);
	pthread_mutex_unlock(&dev_lock);
	return ret;
}

int
keel_dma_close(int16_t dev_id)
{
	struct keel_dma_dev *dev = dev_get_locked(dev_id, "dma close");
	int ret;

	if (dev == NULL)
		return -EINVAL;
	stop_locked(dev);
	ret = dev->ops == NULL ? 0 : dev->ops->close(dev);
	if (ret < 0)
		KEEL_LOG(ERR, keel_logtype_dmadev, "dma close %s: driver: %s",
			 dev->name, strerror(-ret));
	release_locked(dev);
	pthread_mutex_unlock(&dev_lock);
	return ret;
}

static int
check_vchan_locked(struct keel_dma_dev *dev, uint16_t vchan, bool all_ok,
		   const char *fn)
{
	if (all_ok && vchan == KEEL_DMA_ALL_VCHAN)
		return 0;
	if (vchan >= dev->nb_vchans || !(dev->vchan_ready & (1ull << vchan))) {
		KEEL_LOG(ERR, keel_logtype_dmadev,
			 "%s %s: vchan %u is not set up (%u configured)", fn,
			 dev->name, vchan, dev->nb_vchans);
		return fail(EINVAL);
	}
	return 0;
}

int
keel_dma_stats_get(int16_t dev_id, uint16_t vchan,
		   struct keel_dma_stats *stats)
{
	struct keel_dma_dev *dev = dev_get_locked(dev_id, "dma stats");
	struct keel_dma_stats one;
	int ret;

	if (dev == NULL)
		return -EINVAL;
	if (stats == NULL) {
		KEEL_LOG(ERR, keel_logtype_dmadev, "dma stats %s: NULL stats",
			 dev->name);
		ret = fail(EINVAL);
		goto out;
	}
	ret = check_vchan_locked(dev, vchan, true, "dma stats");
	if (ret < 0)
		goto out;
	if (vchan != KEEL_DMA_ALL_VCHAN) {
		ret = dev->ops->stats_get(dev, vchan, stats);
		goto out;
	}
	memset(stats, 0, sizeof(*stats));
	for (uint16_t v = 0; v < dev->nb_vchans; v++) {
		if (!(dev->vchan_ready & (1ull << v)))
			continue;
		ret = dev->ops->stats_get(dev, v, &one);
		if (ret < 0)
			goto out;
		stats->submitted += one.submitted;
		stats->completed += one.completed;
		stats->errors += one.errors;
	}
out:
	pthread_mutex_unlock(&dev_lock);
	return ret;
}

int
keel_dma_stats_reset(int16_t dev_id, uint16_t vchan)
{
	struct keel_dma_dev *dev = dev_get_locked(dev_id, "dma stats reset");
	int ret;

	if (dev == NULL)
		return -EINVAL;
	ret = check_vchan_locked(dev, vchan, true, "dma stats reset");
	if (ret < 0 || dev->ops->stats_reset == NULL)
		goto out;
	for (uint16_t v = 0; v < dev->nb_vchans; v++) {
		if (vchan != KEEL_DMA_ALL_VCHAN && v != vchan)
			continue;
		if (!(dev->vchan_ready & (1ull << v)))
			continue;
		ret = dev->ops->stats_reset(dev, v);
		if (ret < 0)
			break;
	}
out:
	pthread_mutex_unlock(&dev_lock);
	return ret;
}

int
keel_dma_vchan_status(int16_t dev_id, uint16_t vchan,
		      enum keel_dma_vchan_status *status)
{
	struct keel_dma_dev *dev = dev_get_locked(dev_id, "dma vchan status");
	int ret;

	if (dev == NULL)
		return -EINVAL;
	ret = check_vchan_locked(dev, vchan, false, "dma vchan status");
	if (ret == 0 && status == NULL) {
		KEEL_LOG(ERR, keel_logtype_dmadev,
			 "dma vchan status %s: NULL status", dev->name);
		ret = fail(EINVAL);
	}
	if (ret == 0)
		ret = dev->ops->vchan_status(dev, vchan, status);
	pthread_mutex_unlock(&dev_lock);
	return ret;
}

static const char *
state_name(enum keel_dma_dev_state s)
{
	switch (s) {
	case KEEL_DMA_DEV_UNUSED: return "unused";
	case KEEL_DMA_DEV_REGISTERED: return "registered";
	case KEEL_DMA_DEV_CONFIGURED: return "configured";
	case KEEL_DMA_DEV_STARTED: return "started";
	}
	return "?";
}

int
keel_dma_dump(int16_t dev_id, FILE *f)
{
	struct keel_dma_dev *dev = dev_get_locked(dev_id, "dma dump");
	struct keel_dma_info info;
	struct keel_dma_stats st;
	int ret;

	if (dev == NULL)
		return -EINVAL;
	if (f == NULL)
		f = stdout;
	ret = info_locked(dev, &info);
	if (ret < 0)
		goto out;
	fprintf(f, "dmadev %d '%s' driver %s socket %d state %s\n",
		dev->dev_id, dev->name, dev->driver, dev->numa_node,
		state_name(dev->state));
	fprintf(f, "  capa 0x%" PRIx64 " max_vchans %u desc %u..%u max_sges %u nb_vchans %u\n",
		info.dev_capa, info.max_vchans, info.min_desc, info.max_desc,
		info.max_sges, dev->nb_vchans);
	for (uint16_t v = 0; v < dev->nb_vchans; v++) {
		if (!(dev->vchan_ready & (1ull << v)) ||
		    dev->ops->stats_get(dev, v, &st) < 0)
			continue;
		fprintf(f, "  vchan %u: submitted %" PRIu64 " completed %"
			PRIu64 " errors %" PRIu64 "\n", v, st.submitted,
			st.completed, st.errors);
	}
	if (dev->ops->dump != NULL)
		ret = dev->ops->dump(dev, f);
out:
	pthread_mutex_unlock(&dev_lock);
	return ret;
}

const char *
keel_dma_status_name(enum keel_dma_status_code code)
{
	switch (code) {
	case KEEL_DMA_STATUS_SUCCESSFUL: return "success";
	case KEEL_DMA_STATUS_USER_ABORT: return "user_abort";
	case KEEL_DMA_STATUS_NOT_ATTEMPTED: return "not_attempted";
	case KEEL_DMA_STATUS_INVALID_SRC_ADDR: return "invalid_src_addr";
	case KEEL_DMA_STATUS_INVALID_DST_ADDR: return "invalid_dst_addr";
	case KEEL_DMA_STATUS_INVALID_ADDR: return "invalid_addr";
	case KEEL_DMA_STATUS_INVALID_LENGTH: return "invalid_length";
	case KEEL_DMA_STATUS_INVALID_OPCODE: return "invalid_opcode";
	case KEEL_DMA_STATUS_BUS_READ_ERROR: return "bus_read_error";
	case KEEL_DMA_STATUS_BUS_WRITE_ERROR: return "bus_write_error";
	case KEEL_DMA_STATUS_BUS_ERROR: return "bus_error";
	case KEEL_DMA_STATUS_DATA_ERROR: return "data_error";
	case KEEL_DMA_STATUS_DESCRIPTOR_READ_ERROR:
		return "descriptor_read_error";
	case KEEL_DMA_STATUS_DEV_LINK_ERROR: return "dev_link_error";
	case KEEL_DMA_STATUS_PAGE_FAULT: return "page_fault";
	case KEEL_DMA_STATUS_ERROR_UNKNOWN: return "error_unknown";
	}
	return "?";
}
