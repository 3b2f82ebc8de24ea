/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_DMADEV_TEST_H
#define KEEL_DMADEV_TEST_H

/* The generic dmadev tests' shared helpers (dmadev_test.c). */
#include <stddef.h>
#include <stdint.h>

#include "keel_dmadev.h"

#define POLL_TIMEOUT_NS 5000000000ull

/* soft devices a test created (names to remove) */
struct test_devs {
	char names[4][32];
	int n;
};

uint64_t dmt_now_ns(void);
/* Create soft devices in each mode; 0 or -errno. */
int dmt_create_soft_devs(struct test_devs *td);
void dmt_remove_soft_devs(struct test_devs *td);
/* Stop, configure @p nb_vchans rings of @p nb_desc, start. */
int dmt_dev_setup(int16_t id, uint16_t nb_vchans, uint16_t nb_desc);
/* Collect exactly @p n ops into st[] (within the timeout); @return n got. */
uint16_t dmt_collect(int16_t id, uint16_t vchan, uint16_t n, uint16_t *last,
		     enum keel_dma_status_code *st);
/* set when a buffer could not be had IOVA-contiguous (PA mode, 4 KiB pages) */
extern int dmt_buf_noncontig;
/* A buffer of EAL memory whose IOVAs are contiguous (keel_free it). */
void *dmt_buf_alloc(size_t len, uint64_t *iova);

typedef int (*dmt_dev_fn)(int16_t id, const struct keel_dma_info *info);
/* Run fn on every device (after creating the soft test devices);
 * TEST_SUCCESS, TEST_FAILED or TEST_SKIPPED. */
int dmt_for_each_dev(const char *what, dmt_dev_fn fn);
/* 0 when @p len bytes at @p p equal @p want, else -1 (the byte printed). */
int dmt_check_region(const uint8_t *p, const uint8_t *want, size_t len,
		     const char *what);

#endif /* KEEL_DMADEV_TEST_H */
