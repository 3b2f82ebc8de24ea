/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_ETHDEV_PRIVATE_H
#define KEEL_ETHDEV_PRIVATE_H

/*
 * State shared by the ethdev library's files.
 *
 * Invariant: ports[i] is NULL or a port whose dev.port_id is i; its state
 * is ALLOCATED (reserved by a driver, invisible), ATTACHED, CONFIGURED or
 * STARTED (dev.data.dev_started == 1 exactly then). The fast-path table
 * entries of port i (ethdev_fp.c) are zero unless the port is CONFIGURED
 * or STARTED; then entries [0, nb_*_queues) hold the driver's burst
 * function and queue for set-up queues of a started port with the queue
 * started, and the "stopped" function otherwise.
 *
 * Lock: eth_lock (recursive mutex, through eth_lock_take/eth_lock_drop)
 * protects ports[], every port's library state and the table; driver
 * control ops run with it held. Events are queued per port while it is
 * held and delivered by eth_lock_drop() on the outermost release, so
 * callbacks never run with it held.
 */

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "keel_ethdev.h"
#include "keel_ethdev_driver.h"
#include "keel_log.h"

enum eth_port_state {
	ETH_PORT_ALLOCATED = 1,
	ETH_PORT_ATTACHED,
	ETH_PORT_CONFIGURED,
	ETH_PORT_STARTED,
};

/* Library view of one Rx or Tx queue. */
struct eth_queue_lib {
	bool set_up;
	uint8_t state;                  /* KEEL_ETH_QUEUE_STATE_* */
	uint16_t nb_desc;
	struct keel_mempool *mp;        /* Rx only */
	union {
		struct keel_eth_rxconf rx;
		struct keel_eth_txconf tx;
	} conf;
	struct keel_eth_queue_stats base; /* counters at the last reset */
};

struct eth_port {
	struct keel_eth_dev dev;        /* first: container of dev */
	enum eth_port_state state;
	struct keel_eth_dev_owner owner;
	struct eth_queue_lib *rxq;      /* nb_rx_queues entries */
	struct eth_queue_lib *txq;
	uint64_t *xbase;                /* driver xstats at the last reset */
	unsigned int n_xbase;
	struct keel_eth_rxtx_callback *retired; /* removed callbacks */
	uint32_t pending_events;        /* bit per event type, to deliver */
	bool closing;                   /* DESTROY being signalled */
};

extern struct eth_port *eth_ports[KEEL_MAX_ETHPORTS];

/* the library lock (recursive); drop delivers queued events */
void eth_lock_take(void);
void eth_lock_drop(void);
bool eth_lock_held(void);

static inline struct eth_port *
eth_port_of(struct keel_eth_dev *dev)
{
	return (struct eth_port *)dev;
}

/* Lock, and return the visible port @p port_id, or drop the lock, log
 * "<fn>: no port N" and return NULL (errno ENODEV). */
struct eth_port *eth_port_get_locked(uint16_t port_id, const char *fn);

/* As eth_port_get_locked(), for calls that change the port: a port being
 * closed is refused too. */
struct eth_port *eth_port_get_for_change(uint16_t port_id, const char *fn);

/* Return -err with errno set. */
static inline int
eth_fail(int err)
{
	errno = err;
	return -err;
}

/* fetch the port's info (driver + library fields); 0 or -errno */
int eth_info_locked(struct eth_port *p, struct keel_eth_dev_info *info);

/* queue an event for delivery when the lock is dropped */
void eth_event_queue(struct eth_port *p, enum keel_eth_event_type ev);
/* deliver port @p port_id's queued events (lock not held) */
void eth_event_deliver(uint16_t port_id, uint32_t events);
/* take and clear the queued events of every port (lock held) */
void eth_events_collect(uint32_t pending[KEEL_MAX_ETHPORTS]);
/* forget every callback registered for one port (its id is being freed) */
void eth_callbacks_drop_port(uint16_t port_id);

/* fast-path table (ethdev_fp.c), lock held */
void eth_fp_configure(struct eth_port *p);   /* entries for the queue counts */
void eth_fp_clear(struct eth_port *p);      /* entries zero, callbacks freed */
void eth_fp_start_queue(struct eth_port *p, bool rx, uint16_t q);
void eth_fp_stop_queue(struct eth_port *p, bool rx, uint16_t q);
void eth_fp_free_retired(struct eth_port *p);  /* removed callbacks */

/* stats (ethdev_stats.c), lock held */
void eth_stats_forget(struct eth_port *p);   /* drop driver xstats baselines */

/* release everything of a visible port and free its id (lock held);
 * the DESTROY event must have been delivered before */
void eth_port_free_locked(struct eth_port *p);

/* stop + close + free, signalling DESTROY (lock not held) */
int eth_port_close(uint16_t port_id, bool check_owner, const char *fn);

/* stop a started port (lock held); 0 or the driver's error */
int eth_stop_locked(struct eth_port *p);
/* release every queue object and the queue arrays (lock held) */
void eth_queues_release_locked(struct eth_port *p);

#endif /* KEEL_ETHDEV_PRIVATE_H */
