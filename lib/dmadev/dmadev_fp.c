/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fast-path table keel_dma_fp_objs[], which keel_dmadev.h's inline
 * calls index by device id: a started device's driver callbacks (with
 * refusing stand-ins for the optional ops it lacks), or dummies that log
 * and fail for a device that is absent or not started.
 *
 * Invariant: every entry holds a complete set of callbacks at all times
 * (the constructor fills the table before main()); nb_vchans is stored last
 * when a device starts and first reset when it stops. Lock: the entries are
 * written only by dmadev.c's control path under its dev_lock; the fast path
 * reads them without a lock.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "keel_dmadev.h"
#include "keel_dmadev_pmd.h"
#include "keel_log.h"
#include "dmadev_internal.h"

struct keel_dma_fp_object keel_dma_fp_objs[KEEL_DMADEV_MAX];

/* whether device id exists (for the dummies' message) */
static bool fp_exists[KEEL_DMADEV_MAX];

static int
fail(int err)
{
	errno = err;
	return -err;
}

int
keel_dma_fp_bad_arg(int16_t dev_id, uint16_t vchan, const char *what,
		    long long value)
{
	KEEL_LOG(ERR, keel_logtype_dmadev,
		 "dma fast path: dev %d vchan %u: bad %s %lld", dev_id, vchan,
		 what, value);
	return fail(EINVAL);
}

/* ---- optional ops a started driver lacks (copy_sg, fill) ---- */

static int
unsupported(const char *op, uint16_t vchan)
{
	KEEL_LOG(ERR, keel_logtype_dmadev,
		 "dma fast path: vchan %u: the device has no %s (see its "
		 "dev_capa)", vchan, op);
	return fail(ENOTSUP);
}

static int
unsupported_copy_sg(void *priv, uint16_t vchan, const struct keel_dma_sge *src,
		    const struct keel_dma_sge *dst, uint16_t nb_src,
		    uint16_t nb_dst, uint64_t flags)
{
	(void)priv, (void)src, (void)dst, (void)nb_src, (void)nb_dst,
	(void)flags;
	return unsupported("copy_sg", vchan);
}

static int
unsupported_fill(void *priv, uint16_t vchan, uint64_t pattern, uint64_t dst,
		 uint32_t length, uint64_t flags)
{
	(void)priv, (void)pattern, (void)dst, (void)length, (void)flags;
	return unsupported("fill", vchan);
}

/* ---- dummy fast path: device absent or not started ---- */

static int
dummy_fail(void *priv, uint16_t vchan)
{
	int16_t id = (int16_t)(intptr_t)priv;

	KEEL_LOG(ERR, keel_logtype_dmadev,
		 "dma fast path: dev %d vchan %u: device %s", id, vchan,
		 __atomic_load_n(&fp_exists[id], __ATOMIC_RELAXED) ?
		 "is not started" : "does not exist");
	return fail(EINVAL);
}

static int
dummy_copy(void *priv, uint16_t vchan, uint64_t src, uint64_t dst,
	   uint32_t length, uint64_t flags)
{
	(void)src; (void)dst; (void)length; (void)flags;
	return dummy_fail(priv, vchan);
}

static int
dummy_copy_sg(void *priv, uint16_t vchan, const struct keel_dma_sge *src,
	      const struct keel_dma_sge *dst, uint16_t nb_src, uint16_t nb_dst,
	      uint64_t flags)
{
	(void)src; (void)dst; (void)nb_src; (void)nb_dst; (void)flags;
	return dummy_fail(priv, vchan);
}

static int
dummy_fill(void *priv, uint16_t vchan, uint64_t pattern, uint64_t dst,
	   uint32_t length, uint64_t flags)
{
	(void)pattern; (void)dst; (void)length; (void)flags;
	return dummy_fail(priv, vchan);
}

static int
dummy_submit(void *priv, uint16_t vchan)
{
	return dummy_fail(priv, vchan);
}

static uint16_t
dummy_completed(void *priv, uint16_t vchan, uint16_t nb, uint16_t *last_idx,
		bool *has_error)
{
	(void)nb; (void)last_idx; (void)has_error;
	dummy_fail(priv, vchan);
	return 0;
}

static uint16_t
dummy_completed_status(void *priv, uint16_t vchan, uint16_t nb,
		       uint16_t *last_idx, enum keel_dma_status_code *st)
{
	(void)nb; (void)last_idx; (void)st;
	dummy_fail(priv, vchan);
	return 0;
}

static uint16_t
dummy_burst_capacity(const void *priv, uint16_t vchan)
{
	dummy_fail((void *)(uintptr_t)priv, vchan);
	return 0;
}

void
dmadev_fp_reset(int16_t id, bool exists)
{
	struct keel_dma_fp_object *o = &keel_dma_fp_objs[id];

	__atomic_store_n(&o->nb_vchans, 0, __ATOMIC_RELEASE);
	o->max_sges = 0;
	o->dev_private = (void *)(intptr_t)id;
	o->copy = dummy_copy;
	o->copy_sg = dummy_copy_sg;
	o->fill = dummy_fill;
	o->submit = dummy_submit;
	o->completed = dummy_completed;
	o->completed_status = dummy_completed_status;
	o->burst_capacity = dummy_burst_capacity;
	__atomic_store_n(&fp_exists[id], exists, __ATOMIC_RELAXED);
}

void
dmadev_fp_install(const struct keel_dma_dev *dev, uint16_t max_sges)
{
	struct keel_dma_fp_object *o = &keel_dma_fp_objs[dev->dev_id];

	o->dev_private = dev->dev_private;
	o->copy = dev->fp.copy;
	o->copy_sg = dev->fp.copy_sg ? dev->fp.copy_sg : unsupported_copy_sg;
	o->fill = dev->fp.fill ? dev->fp.fill : unsupported_fill;
	o->submit = dev->fp.submit;
	o->completed = dev->fp.completed;
	o->completed_status = dev->fp.completed_status;
	o->burst_capacity = dev->fp.burst_capacity;
	o->max_sges = max_sges;
	__atomic_store_n(&o->nb_vchans, dev->nb_vchans, __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void
fp_init(void)
{
	for (int16_t i = 0; i < KEEL_DMADEV_MAX; i++)
		dmadev_fp_reset(i, false);
}
