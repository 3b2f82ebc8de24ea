/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TPT_ENV_H
#define TPT_ENV_H

/*
 * A testpmd in the test process: ports over rings the test owns (what the
 * test enqueues on a port's Rx ring, the port receives; what the port
 * sends lands on its Tx ring), testpmd's own port set-up and pool, its
 * engines on a worker lcore.
 */

#include <stdint.h>

#include <keel_mbuf.h>
#include <keel_ring.h>

#include "testpmd.h"

#define TPT_MAX_PORTS 4

struct tpt_env {
	unsigned int nb_ports;
	uint16_t port[TPT_MAX_PORTS];
	struct keel_ring *rx[TPT_MAX_PORTS];   /* test -> port */
	struct keel_ring *tx[TPT_MAX_PORTS];   /* port -> test */
};

/* testpmd with @p nb_ports ring ports and @p engine; TEST_SUCCESS,
 * TEST_SKIPPED (no worker lcore) or TEST_FAILED. */
int tpt_setup(struct tpt_env *e, unsigned int nb_ports, const char *engine);
/* Stop, drain the rings, close the ports, free everything. */
void tpt_teardown(struct tpt_env *e);

/* A packet of @p len bytes from tp.pool holding @p data (NULL: a pattern
 * from @p seed). */
struct keel_mbuf *tpt_pkt(const void *data, uint16_t len, uint32_t seed);
/* Put packets on port @p i's Rx ring; 0 or -1. */
int tpt_inject(struct tpt_env *e, unsigned int i, struct keel_mbuf **m,
	       unsigned int n);
/* Wait (up to 5 s) until port @p i's Tx ring holds @p n packets; the
 * count reached. */
unsigned int tpt_wait_tx(struct tpt_env *e, unsigned int i, unsigned int n);
/* Take up to @p max packets off port @p i's Tx ring; how many. */
unsigned int tpt_collect(struct tpt_env *e, unsigned int i,
			 struct keel_mbuf **m, unsigned int max);
/* Sum of a counter over every stream. */
uint64_t tpt_sum_rx(void);
uint64_t tpt_sum_tx(void);
uint64_t tpt_sum_dropped(void);
uint64_t tpt_sum_bad(void);

#endif /* TPT_ENV_H */
