/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_DMADEV_INTERNAL_H
#define KEEL_DMADEV_INTERNAL_H

/*
 * Between dmadev.c (device table, control path) and dmadev_fp.c (the
 * fast-path table's contents). Both calls are made under dmadev.c's
 * dev_lock.
 */
#include <stdbool.h>
#include <stdint.h>

#include "keel_dmadev_pmd.h"

/* device @p id's fast path: the dummies (device absent or not started) */
void dmadev_fp_reset(int16_t id, bool exists);
/* device @p dev's fast path: its driver's callbacks (it is starting) */
void dmadev_fp_install(const struct keel_dma_dev *dev, uint16_t max_sges);

#endif
