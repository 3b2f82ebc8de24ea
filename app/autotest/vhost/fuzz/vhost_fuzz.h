/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VHOST_FUZZ_H
#define KEEL_VHOST_FUZZ_H

/*
 * Fuzz bodies of lib/vhost, shared by the libFuzzer targets
 * (fuzz_vhost_msg.c, fuzz_vhost_ring.c) and the fast autotests that run
 * them over random and mutated inputs (test_vhost_fuzz.c).
 *
 * vhost_fuzz_msg_one(): the input is a sequence of messages (see
 *   fuzz_msg.c for the encoding), fed to the message dispatcher of a device
 *   whose connection is a socketpair; fds of several kinds are attached as
 *   the input says. After the device is destroyed the process holds the
 *   fds and guest-memory mappings it held before.
 * vhost_fuzz_ring_one(): the input is a ring configuration and an image of
 *   guest memory (rings, indirect tables, buffers); the walkers fetch and
 *   return chains until the ring is empty, paused or broken. Every piece
 *   they hand out lies inside guest memory (the library's mappings have
 *   guard pages, so a stray access faults).
 *
 * Each returns 0 when every invariant held, -1 (with a message) otherwise.
 * Not thread-safe (one device slot and process-wide counters).
 */
#include <stddef.h>
#include <stdint.h>

int vhost_fuzz_msg_one(const uint8_t *data, size_t size);
int vhost_fuzz_ring_one(const uint8_t *data, size_t size);

/* a valid message sequence (negotiation, memory, two rings, an IOTLB
 * update): a seed for mutation. @return its length (<= cap) */
size_t vhost_fuzz_msg_seed(uint8_t *buf, size_t cap);
/* a valid ring image with a few good chains: a seed for mutation */
size_t vhost_fuzz_ring_seed(uint8_t *buf, size_t cap, int packed);

#endif /* KEEL_VHOST_FUZZ_H */
