/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_EMU_TOPOLOGY_FUZZ_H
#define KEEL_EMU_TOPOLOGY_FUZZ_H

/*
 * One fuzz input through the virtio-iommu topology parser, shared by the
 * libFuzzer target (fuzz_topology.c) and the "emu_topology_fuzz" autotest.
 */
#include <stddef.h>
#include <stdint.h>

/*
 * Parse @p data (exactly @p size bytes) and check what a parse claims
 * against the raw bytes: an accepted description satisfies every bound,
 * and every item it holds is found by the lookups. @return 1 accepted,
 * 0 rejected, -1 an invariant broke (a message is printed).
 */
int emu_topology_fuzz_one(const uint8_t *data, size_t size);

#endif /* KEEL_EMU_TOPOLOGY_FUZZ_H */
