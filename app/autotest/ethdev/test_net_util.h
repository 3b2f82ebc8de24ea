/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_TEST_NET_UTIL_H
#define KEEL_TEST_NET_UTIL_H

/* Helpers shared by the net driver tests (test_net_util.c). */
#include <stdint.h>

#include "keel_ethdev.h"
#include "keel_mbuf.h"

/* A pool of @p n standard mbufs (2 KiB data room), cache 32. */
struct keel_mempool *test_net_pool(const char *name, unsigned int n);

/* Configure @p nq Rx and Tx queues (Rx from @p mp), start; 0 or -errno. */
int test_net_start(uint16_t port, uint16_t nq, struct keel_mempool *mp);

/* Port of the device @p devargs attached now (-errno on failure). */
int test_net_attach(const char *devargs);

/* An mbuf of @p len bytes from @p mp: byte i = (seed + i) & 0xff. */
struct keel_mbuf *test_net_pkt(struct keel_mempool *mp, uint32_t len,
			       uint8_t seed);

/* 1 when packet @p m is @p len bytes, byte i = (seed + i) & 0xff. */
int test_net_pkt_check(const struct keel_mbuf *m, uint32_t len, uint8_t seed);

#endif
