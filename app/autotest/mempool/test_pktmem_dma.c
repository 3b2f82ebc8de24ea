/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers of the mempool and mbuf tests (test_pktmem_dma.h): a dma_soft
 * device, a DMA source buffer, hugepages for IOVA mode pa.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "keel_cycles.h"
#include "keel_dmadev.h"
#include "keel_malloc.h"
#include "keel_memory.h"
#include "keel_vdev.h"
#include "test_pktmem_dma.h"

#define DEV_NAME "dma_soft_pktmem"
#define NB_DESC 1024
#define WAIT_NS 5000000000ull

static unsigned int pending;

int
test_dma_open(void)
{
	struct keel_dma_conf conf = { .nb_vchans = 1 };
	struct keel_dma_vchan_conf vc = {
		.direction = KEEL_DMA_DIR_MEM_TO_MEM, .nb_desc = NB_DESC,
	};
	int ret, dev;

	ret = keel_vdev_create(DEV_NAME, "mode=inline");
	if (ret < 0) {
		printf("  cannot create %s: %s\n", DEV_NAME, strerror(-ret));
		return ret;
	}
	dev = keel_dma_get_dev_id_by_name(DEV_NAME);
	if (dev < 0 || keel_dma_configure((int16_t)dev, &conf) < 0 ||
	    keel_dma_vchan_setup((int16_t)dev, 0, &vc) < 0 ||
	    keel_dma_start((int16_t)dev) < 0) {
		printf("  cannot start %s\n", DEV_NAME);
		keel_vdev_remove(DEV_NAME);
		return -EIO;
	}
	pending = 0;
	return dev;
}

void
test_dma_close(int dev)
{
	(void)dev;
	keel_vdev_remove(DEV_NAME);
}

int
test_dma_wait(int dev)
{
	enum keel_dma_status_code st[64];
	uint64_t t0 = keel_time_ns();
	int bad = 0;
	uint16_t last;

	while (pending > 0 && keel_time_ns() - t0 < WAIT_NS) {
		uint16_t n = keel_dma_completed_status((int16_t)dev, 0, 64,
						       &last, st);

		for (uint16_t i = 0; i < n; i++)
			if (st[i] != KEEL_DMA_STATUS_SUCCESSFUL) {
				if (!bad)
					printf("  dma op %u: %s\n", last,
					       keel_dma_status_name(st[i]));
				bad = 1;
			}
		pending -= n;
	}
	if (pending > 0) {
		printf("  dma: %u ops did not complete\n", pending);
		pending = 0;
		return -1;
	}
	return bad ? -1 : 0;
}

int
test_dma_copy_async(int dev, uint64_t src, uint64_t dst, uint32_t len)
{
	int ret;

	if (pending == NB_DESC && test_dma_wait(dev) < 0)
		return -1;
	ret = keel_dma_copy((int16_t)dev, 0, src, dst, len,
			    KEEL_DMA_OP_FLAG_SUBMIT);
	if (ret < 0) {
		printf("  dma copy 0x%" PRIx64 " -> 0x%" PRIx64 " len %u: %s\n",
		       src, dst, len, strerror(-ret));
		return -1;
	}
	pending++;
	return 0;
}

int
test_dma_copy(int dev, uint64_t src, uint64_t dst, uint32_t len)
{
	if (test_dma_copy_async(dev, src, dst, len) < 0)
		return -1;
	return test_dma_wait(dev);
}

uint8_t *
test_dma_src(uint32_t len, uint8_t seed, uint64_t *iova)
{
	uint8_t *p = keel_malloc("test_dma_src", 4096, 4096);

	if (p == NULL || len > 4096)
		return NULL;
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
	*iova = keel_mem_virt2iova(p);
	return p;
}
