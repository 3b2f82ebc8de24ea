/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dmadev: a driver may leave the optional fast-path ops (copy_sg, fill)
 * NULL; the library answers -ENOTSUP for them instead of calling NULL. A
 * driver without a mandatory op is refused at keel_dma_start().
 *
 * The driver here is a minimal in-test one: it copies by memcpy (IOVA as
 * VA), completes at submit, and has no copy_sg or fill.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keel_dmadev.h"
#include "keel_dmadev_pmd.h"
#include "test.h"

struct mini {
	uint16_t next;       /* ring index of the next op */
	uint16_t done;       /* ops completed, not yet collected */
};

static int
mini_info(const struct keel_dma_dev *dev, struct keel_dma_info *info)
{
	(void)dev;
	info->dev_capa = KEEL_DMA_CAPA_MEM_TO_MEM | KEEL_DMA_CAPA_OPS_COPY;
	info->max_vchans = 1;
	info->min_desc = 16;
	info->max_desc = 16;
	info->max_sges = 0;
	return 0;
}

static int
mini_ok(struct keel_dma_dev *dev)
{
	struct mini *m = dev->dev_private;

	m->next = m->done = 0;
	return 0;
}

static int
mini_configure(struct keel_dma_dev *dev, const struct keel_dma_conf *conf)
{
	(void)conf;
	return mini_ok(dev);
}

static int
mini_vchan_setup(struct keel_dma_dev *dev, uint16_t vchan,
		 const struct keel_dma_vchan_conf *conf)
{
	(void)vchan, (void)conf;
	return mini_ok(dev);
}

static int
mini_stats_get(const struct keel_dma_dev *dev, uint16_t vchan,
	       struct keel_dma_stats *stats)
{
	(void)dev, (void)vchan;
	memset(stats, 0, sizeof(*stats));
	return 0;
}

static int
mini_vchan_status(const struct keel_dma_dev *dev, uint16_t vchan,
		  enum keel_dma_vchan_status *status)
{
	(void)dev, (void)vchan;
	*status = KEEL_DMA_VCHAN_IDLE;
	return 0;
}

static const struct keel_dma_dev_ops mini_ops = {
	.info_get = mini_info,
	.configure = mini_configure,
	.vchan_setup = mini_vchan_setup,
	.start = mini_ok,
	.stop = mini_ok,
	.close = mini_ok,
	.stats_get = mini_stats_get,
	.vchan_status = mini_vchan_status,
};

static int
mini_copy(void *priv, uint16_t vchan, uint64_t src, uint64_t dst,
	  uint32_t length, uint64_t flags)
{
	struct mini *m = priv;

	(void)vchan, (void)flags;
	memcpy((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, length);
	m->done++;
	return m->next++;
}

static int
mini_submit(void *priv, uint16_t vchan)
{
	(void)priv, (void)vchan;
	return 0;
}

static uint16_t
mini_completed(void *priv, uint16_t vchan, uint16_t nb, uint16_t *last_idx,
	       bool *has_error)
{
	struct mini *m = priv;
	uint16_t n = m->done < nb ? m->done : nb;

	(void)vchan;
	m->done -= n;
	*last_idx = (uint16_t)(m->next - 1 - m->done);
	*has_error = false;
	return n;
}

static uint16_t
mini_completed_status(void *priv, uint16_t vchan, uint16_t nb,
		      uint16_t *last_idx, enum keel_dma_status_code *status)
{
	bool err;
	uint16_t n = mini_completed(priv, vchan, nb, last_idx, &err);

	memset(status, 0, sizeof(*status) * n);
	return n;
}

static uint16_t
mini_burst_capacity(const void *priv, uint16_t vchan)
{
	(void)priv, (void)vchan;
	return 16;
}

static int16_t
mini_create(const char *name, int with_copy)
{
	struct keel_dma_dev *dev = keel_dma_pmd_allocate(name, 0,
							 sizeof(struct mini));

	if (dev == NULL)
		return -1;
	dev->ops = &mini_ops;
	dev->fp = (struct keel_dma_fp_ops){
		.copy = with_copy ? mini_copy : NULL,
		.submit = mini_submit,
		.completed = mini_completed,
		.completed_status = mini_completed_status,
		.burst_capacity = mini_burst_capacity,
	};
	return dev->dev_id;
}

static int
mini_setup(int16_t id)
{
	struct keel_dma_conf conf = { .nb_vchans = 1 };
	struct keel_dma_vchan_conf vconf = {
		.direction = KEEL_DMA_DIR_MEM_TO_MEM, .nb_desc = 16,
	};
	int ret = keel_dma_configure(id, &conf);

	return ret < 0 ? ret : keel_dma_vchan_setup(id, 0, &vconf);
}

static int
test_dmadev_optional_ops(void)
{
	char src[64], dst[64];
	struct keel_dma_sge s = { .addr = (uintptr_t)src, .length = 8 };
	struct keel_dma_sge d = { .addr = (uintptr_t)dst, .length = 8 };
	uint16_t last;
	bool err;
	int16_t id = mini_create("dma_mini0", 1);
	int16_t bad = mini_create("dma_mini1", 0);
	char *log;

	TEST_ASSERT(id >= 0 && bad >= 0, "allocate: %s", strerror(errno));
	TEST_ASSERT_SUCCESS(mini_setup(id), "setup");
	TEST_ASSERT_SUCCESS(keel_dma_start(id), "start");

	/* the op it has works */
	memset(src, 0xa5, sizeof(src));
	memset(dst, 0, sizeof(dst));
	TEST_ASSERT_EQUAL(keel_dma_copy(id, 0, (uintptr_t)src, (uintptr_t)dst,
					sizeof(src), KEEL_DMA_OP_FLAG_SUBMIT), 0,
			  "copy");
	TEST_ASSERT_EQUAL(keel_dma_completed(id, 0, 4, &last, &err), 1,
			  "completed");
	TEST_ASSERT(memcmp(src, dst, sizeof(src)) == 0, "copied");

	/* the ops it lacks: -ENOTSUP with errno and a log line, no crash */
	test_log_capture_start();
	errno = 0;
	TEST_ASSERT_EQUAL(keel_dma_fill(id, 0, 0x1122334455667788ull,
					(uintptr_t)dst, 8, 0), -ENOTSUP,
			  "fill without a fill op");
	TEST_ASSERT_EQUAL(errno, ENOTSUP, "errno after fill");
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "no fill") != NULL, "log names the op: %s",
		    log);
	free(log);
	/* max_sges is 0: the entry count is refused before the op */
	TEST_ASSERT_EQUAL(keel_dma_copy_sg(id, 0, &s, &d, 1, 1, 0), -EINVAL,
			  "copy_sg on a device with max_sges 0");
	TEST_ASSERT(dst[0] == (char)0xa5, "nothing written by the refused ops");

	/* a driver without a mandatory op cannot start */
	TEST_ASSERT_SUCCESS(mini_setup(bad), "setup of the copy-less device");
	TEST_ASSERT_EQUAL(keel_dma_start(bad), -EINVAL,
			  "start without a copy op");
	TEST_ASSERT_EQUAL(keel_dma_copy(bad, 0, (uintptr_t)src, (uintptr_t)dst,
					8, 0), -EINVAL,
			  "fast path of a device that did not start");

	TEST_ASSERT_SUCCESS(keel_dma_stop(id), "stop");
	TEST_ASSERT_SUCCESS(keel_dma_close(id), "close");
	TEST_ASSERT_SUCCESS(keel_dma_close(bad), "close the other");
	return TEST_SUCCESS;
}
KEEL_TEST(dmadev_optional_ops, "fast", 0, test_dmadev_optional_ops)
