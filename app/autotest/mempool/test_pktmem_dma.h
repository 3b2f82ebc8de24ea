/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_TEST_PKTMEM_DMA_H
#define KEEL_TEST_PKTMEM_DMA_H

/*
 * A dma_soft device for the mempool and mbuf tests: the proof that an
 * object's IOVA is right is a DMA copy that lands on the right bytes (the
 * engine translates every IOVA through the IOMMU container, so a wrong
 * IOVA is a fault or a write elsewhere).
 */
#include <stdint.h>

/* Create and start "dma_soft_pktmem" (inline mode); its id, or -errno. */
int test_dma_open(void);

/* Remove the device. */
void test_dma_close(int dev);

/*
 * Copy @p len bytes from IOVA @p src to IOVA @p dst and wait for it.
 * @return 0 when the copy completed successfully, -1 otherwise (printed).
 */
int test_dma_copy(int dev, uint64_t src, uint64_t dst, uint32_t len);

/*
 * Queue a copy without waiting (submitted at once); test_dma_wait()
 * collects every queued copy. Both return 0 or -1 (printed).
 */
int test_dma_copy_async(int dev, uint64_t src, uint64_t dst, uint32_t len);
int test_dma_wait(int dev);

/* A keel_malloc() buffer of @p len bytes within one page (len <= 4096),
 * filled with a pattern from @p seed; its IOVA in *iova. */
uint8_t *test_dma_src(uint32_t len, uint8_t seed, uint64_t *iova);

#endif
