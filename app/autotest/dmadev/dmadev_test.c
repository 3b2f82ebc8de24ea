/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the generic dmadev tests share (test_dmadev.c, test_dmadev_errors.c):
 * soft devices in every mode, device setup, completion collection,
 * IOVA-contiguous buffers, and a loop over every device present.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keel_dmadev.h"
#include "keel_eal.h"
#include "keel_emu_iommu.h"
#include "keel_iommu.h"
#include "keel_malloc.h"
#include "keel_memory.h"
#include "keel_vdev.h"
#include "test.h"

#include "dmadev_test.h"

uint64_t
dmt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Create soft devices in each mode; 0 or -errno. */
int
dmt_create_soft_devs(struct test_devs *td)
{
	static const char *const args[][2] = {
		{ "dma_soft_t_inline", "mode=inline" },
		{ "dma_soft_t_thread", "mode=worker" },
		{ "dma_soft_t_lcore", "mode=worker,lcore=any" },
		{ "dma_soft_t_reorder", "mode=inline,reorder=1" },
	};

	td->n = 0;
	for (unsigned int i = 0; i < 4; i++) {
		int ret = keel_vdev_create(args[i][0], args[i][1]);

		if (ret < 0) {
			printf("  cannot create %s: %s\n", args[i][0],
			       strerror(-ret));
			return ret;
		}
		snprintf(td->names[td->n++], sizeof(td->names[0]), "%s",
			 args[i][0]);
	}
	return 0;
}

void
dmt_remove_soft_devs(struct test_devs *td)
{
	while (td->n > 0)
		keel_vdev_remove(td->names[--td->n]);
}

/* Stop, configure @p nb_vchans rings of @p nb_desc, start. */
int
dmt_dev_setup(int16_t id, uint16_t nb_vchans, uint16_t nb_desc)
{
	struct keel_dma_conf conf = { .nb_vchans = nb_vchans };
	struct keel_dma_vchan_conf vc = {
		.direction = KEEL_DMA_DIR_MEM_TO_MEM, .nb_desc = nb_desc,
	};
	int ret;

	keel_dma_stop(id);
	ret = keel_dma_configure(id, &conf);
	if (ret < 0)
		return ret;
	for (uint16_t v = 0; v < nb_vchans; v++) {
		ret = keel_dma_vchan_setup(id, v, &vc);
		if (ret < 0)
			return ret;
	}
	return keel_dma_start(id);
}

/* Collect exactly @p n ops into st[] (within the timeout); @return n got. */
uint16_t
dmt_collect(int16_t id, uint16_t vchan, uint16_t n, uint16_t *last,
	enum keel_dma_status_code *st)
{
	uint64_t t0 = dmt_now_ns();
	uint16_t got = 0;

	while (got < n && dmt_now_ns() - t0 < POLL_TIMEOUT_NS)
		got += keel_dma_completed_status(id, vchan, n - got, last,
						 st + got);
	return got;
}

/* set when a buffer could not be had IOVA-contiguous (PA mode, 4 KiB pages) */
int dmt_buf_noncontig;

/* A buffer of EAL memory whose IOVAs are contiguous. */
void *
dmt_buf_alloc(size_t len, uint64_t *iova)
{
	uint8_t *p = keel_malloc("dmadev_test", len, 4096);

	if (p == NULL)
		return NULL;
	*iova = keel_mem_virt2iova(p);
	if (*iova == KEEL_BAD_IOVA ||
	    keel_mem_virt2iova(p + len - 1) != *iova + len - 1) {
		printf("  buffer of %zu bytes is not IOVA-contiguous\n", len);
		dmt_buf_noncontig = 1;
		keel_free(p);
		return NULL;
	}
	return p;
}

/* Run fn on every device (after creating the soft test devices). */
int
dmt_for_each_dev(const char *what, dmt_dev_fn fn)
{
	struct test_devs td;
	struct keel_dma_info info;
	int16_t id;
	int ret = TEST_SUCCESS;

	if (dmt_create_soft_devs(&td) < 0) {
		dmt_remove_soft_devs(&td);
		return TEST_FAILED;
	}
	KEEL_DMA_FOREACH_DEV(id) {
		if (keel_dma_info_get(id, &info) < 0) {
			ret = TEST_FAILED;
			break;
		}
		printf("  %s: %s (%s)\n", what, info.dev_name, info.driver);
		dmt_buf_noncontig = 0;
		ret = fn(id, &info);
		keel_dma_stop(id);
		if (ret != TEST_SUCCESS && dmt_buf_noncontig) {
			ret = keel_test_skip("needs IOVA-contiguous buffers "
					     "(not in PA mode with 4 KiB pages)");
			break;
		}
		if (ret == TEST_SKIPPED)
			break;
		if (ret != TEST_SUCCESS) {
			printf("  ... failed on %s\n", info.dev_name);
			break;
		}
	}
	dmt_remove_soft_devs(&td);
	return ret;
}

int
dmt_check_region(const uint8_t *p, const uint8_t *want, size_t len,
	     const char *what)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != want[i]) {
			printf("  %s: byte %zu is 0x%02x, want 0x%02x\n", what,
			       i, p[i], want[i]);
			return -1;
		}
	return 0;
}
