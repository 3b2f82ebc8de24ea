/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port events (NEW, DESTROY, INTR_LSC, INTR_RMV, INTR_RESET, QUEUE_STATE)
 * and link state.
 *
 * Events raised while the library lock is held (from a control call or a
 * driver op) are queued as bits in the port and delivered by the outermost
 * eth_lock_drop(), after the lock is released; events raised elsewhere are
 * delivered at once. So a callback never runs with the library lock held
 * and may call the control path.
 *
 * Invariant: cbs is the list of registered callbacks; an entry being run
 * (running > 0) is not freed: unregister from another thread waits for the
 * run to end (cb_cond), and a callback unregistering itself marks its entry
 * removed, freed by the deliverer when the run returns.
 * Lock: cb_lock protects cbs and the entries' running/removed fields; it is
 * never held while a callback runs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ethdev_private.h"

struct eth_cb {
	struct eth_cb *next;
	uint16_t port_id;               /* or KEEL_ETH_ALL */
	enum keel_eth_event_type event;
	keel_eth_dev_cb_fn fn;
	void *arg;
	unsigned int running;
	pthread_t runner;               /* valid while running */
	bool removed;
};

static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cb_cond = PTHREAD_COND_INITIALIZER;
static struct eth_cb *cbs;

static bool
event_valid(enum keel_eth_event_type ev)
{
	switch (ev) {
	case KEEL_ETH_EVENT_UNKNOWN:
	case KEEL_ETH_EVENT_INTR_LSC:
	case KEEL_ETH_EVENT_QUEUE_STATE:
	case KEEL_ETH_EVENT_INTR_RESET:
	case KEEL_ETH_EVENT_INTR_RMV:
	case KEEL_ETH_EVENT_NEW:
	case KEEL_ETH_EVENT_DESTROY:
		return true;
	case KEEL_ETH_EVENT_MAX:
		break;
	}
	return false;
}

const char *
keel_eth_event_name(enum keel_eth_event_type ev)
{
	switch (ev) {
	case KEEL_ETH_EVENT_UNKNOWN: return "unknown";
	case KEEL_ETH_EVENT_INTR_LSC: return "link_state_change";
	case KEEL_ETH_EVENT_QUEUE_STATE: return "queue_state";
	case KEEL_ETH_EVENT_INTR_RESET: return "reset";
	case KEEL_ETH_EVENT_INTR_RMV: return "device_removal";
	case KEEL_ETH_EVENT_NEW: return "new";
	case KEEL_ETH_EVENT_DESTROY: return "destroy";
	case KEEL_ETH_EVENT_MAX: break;
	}
	return "?";
}

int
keel_eth_dev_callback_register(uint16_t port_id, enum keel_eth_event_type event,
			       keel_eth_dev_cb_fn cb_fn, void *cb_arg)
{
	struct eth_cb *e, **pp;

	if (cb_fn == NULL || !event_valid(event) || port_id > KEEL_ETH_ALL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "callback register: bad %s (port %u, event %d)",
			 cb_fn == NULL ? "function" :
			 !event_valid(event) ? "event" : "port", port_id,
			 (int)event);
		return eth_fail(EINVAL);
	}
	pthread_mutex_lock(&cb_lock);
	for (pp = &cbs; *pp != NULL; pp = &(*pp)->next) {
		e = *pp;
		if (!e->removed && e->port_id == port_id &&
		    e->event == event && e->fn == cb_fn && e->arg == cb_arg) {
			pthread_mutex_unlock(&cb_lock);
			return 0;
		}
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		pthread_mutex_unlock(&cb_lock);
		return eth_fail(ENOMEM);
	}
	e->port_id = port_id;
	e->event = event;
	e->fn = cb_fn;
	e->arg = cb_arg;
	*pp = e;        /* appended: callbacks run in registration order */
	pthread_mutex_unlock(&cb_lock);
	return 0;
}

static void
unlink_free_locked(struct eth_cb *e)
{
	for (struct eth_cb **pp = &cbs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			free(e);
			return;
		}
}

int
keel_eth_dev_callback_unregister(uint16_t port_id,
				 enum keel_eth_event_type event,
				 keel_eth_dev_cb_fn cb_fn, void *cb_arg)
{
	struct eth_cb *e, *next;
	int found = 0;

	if (cb_fn == NULL || !event_valid(event) || port_id > KEEL_ETH_ALL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "callback unregister: bad %s (port %u, event %d)",
			 cb_fn == NULL ? "function" :
			 !event_valid(event) ? "event" : "port", port_id,
			 (int)event);
		return eth_fail(EINVAL);
	}
	pthread_mutex_lock(&cb_lock);
again:
	for (e = cbs; e != NULL; e = next) {
		next = e->next;
		if (e->removed || e->port_id != port_id || e->event != event ||
		    e->fn != cb_fn ||
		    (cb_arg != KEEL_ETH_CB_ANY_ARG && e->arg != cb_arg))
			continue;
		if (e->running > 0 && pthread_equal(e->runner, pthread_self())) {
			/* unregistering itself: freed when its run returns */
			e->removed = true;
			found++;
			continue;
		}
		if (e->running > 0) {
			pthread_cond_wait(&cb_cond, &cb_lock);
			goto again;
		}
		unlink_free_locked(e);
		found++;
	}
	pthread_mutex_unlock(&cb_lock);
	if (found == 0)
		return eth_fail(ENOENT);
	return 0;
}

void
eth_callbacks_drop_port(uint16_t port_id)
{
	struct eth_cb *e, *next;

	pthread_mutex_lock(&cb_lock);
	for (e = cbs; e != NULL; e = next) {
		next = e->next;
		if (e->port_id != port_id)
			continue;
		if (e->running > 0)
			e->removed = true;
		else
			unlink_free_locked(e);
	}
	pthread_mutex_unlock(&cb_lock);
}

void
eth_event_deliver(uint16_t port_id, uint32_t events)
{
	for (int ev = 0; ev < KEEL_ETH_EVENT_MAX; ev++) {
		struct eth_cb *e;

		if (!(events & (1u << ev)))
			continue;
		pthread_mutex_lock(&cb_lock);
		for (e = cbs; e != NULL;) {
			struct eth_cb *next;

			if (e->removed || (int)e->event != ev ||
			    (e->port_id != port_id &&
			     e->port_id != KEEL_ETH_ALL)) {
				e = e->next;
				continue;
			}
			e->running++;
			e->runner = pthread_self();
			pthread_mutex_unlock(&cb_lock);
			e->fn(port_id, (enum keel_eth_event_type)ev, e->arg,
			      NULL);
			pthread_mutex_lock(&cb_lock);
			e->running--;
			next = e->next;
			if (e->running == 0 && e->removed)
				unlink_free_locked(e);
			pthread_cond_broadcast(&cb_cond);
			e = next;
		}
		pthread_mutex_unlock(&cb_lock);
	}
}

void
eth_event_queue(struct eth_port *p, enum keel_eth_event_type ev)
{
	__atomic_fetch_or(&p->pending_events, 1u << ev, __ATOMIC_RELAXED);
}

void
eth_events_collect(uint32_t pending[KEEL_MAX_ETHPORTS])
{
	for (int i = 0; i < KEEL_MAX_ETHPORTS; i++)
		pending[i] = eth_ports[i] == NULL ? 0 :
			__atomic_exchange_n(&eth_ports[i]->pending_events, 0,
					    __ATOMIC_RELAXED);
}

void
keel_eth_dev_event(struct keel_eth_dev *dev, enum keel_eth_event_type event)
{
	if (dev == NULL || !event_valid(event))
		return;
	/* through the lock so the event is ordered with control calls */
	eth_lock_take();
	eth_event_queue(eth_port_of(dev), event);
	eth_lock_drop();
}

/* ----------------------------------------------------------------- link */

static uint64_t
link_word(const struct keel_eth_link *l)
{
	uint64_t w;

	memcpy(&w, l, sizeof(w));
	return w;
}

int
keel_eth_dev_link_set(struct keel_eth_dev *dev, const struct keel_eth_link *link)
{
	struct keel_eth_link l = { 0 };
	uint64_t neww, oldw;
	struct eth_port *p;
	bool events;

	if (dev == NULL || link == NULL)
		return 0;
	p = eth_port_of(dev);
	l.link_speed = link->link_speed;
	l.link_duplex = link->link_duplex;
	l.link_autoneg = link->link_autoneg;
	l.link_status = link->link_status;
	neww = link_word(&l);
	oldw = __atomic_exchange_n((uint64_t *)(void *)&dev->link, neww,
				   __ATOMIC_ACQ_REL);
	if (oldw == neww)
		return 0;
	events = dev->data.dev_conf.intr_conf.lsc &&
		 (dev->dev_flags & KEEL_ETH_DEV_INTR_LSC);
	if (events) {
		eth_lock_take();
		eth_event_queue(p, KEEL_ETH_EVENT_INTR_LSC);
		eth_lock_drop();
	}
	return 1;
}

void
keel_eth_link_virtual(struct keel_eth_link *link, bool up, uint32_t speed)
{
	memset(link, 0, sizeof(*link));
	link->link_speed = up ? speed : KEEL_ETH_SPEED_NUM_NONE;
	link->link_duplex = KEEL_ETH_LINK_FULL_DUPLEX;
	link->link_autoneg = KEEL_ETH_LINK_FIXED;
	link->link_status = up ? KEEL_ETH_LINK_UP : KEEL_ETH_LINK_DOWN;
}

static int
link_get(uint16_t port_id, struct keel_eth_link *link, int wait,
	 const char *fn)
{
	struct eth_port *p;
	int ret = 0;

	if (link == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev, "%s port %u: NULL link", fn,
			 port_id);
		return eth_fail(EINVAL);
	}
	p = eth_port_get_locked(port_id, fn);
	if (p == NULL)
		return -ENODEV;
	if (p->dev.dev_ops->link_update != NULL)
		ret = p->dev.dev_ops->link_update(&p->dev, wait);
	if (ret >= 0) {
		uint64_t w = __atomic_load_n((uint64_t *)(void *)&p->dev.link,
					     __ATOMIC_ACQUIRE);

		memcpy(link, &w, sizeof(*link));
		ret = 0;
	}
	eth_lock_drop();
	return ret;
}

int
keel_eth_link_get(uint16_t port_id, struct keel_eth_link *link)
{
	return link_get(port_id, link, 1, "link get");
}

int
keel_eth_link_get_nowait(uint16_t port_id, struct keel_eth_link *link)
{
	return link_get(port_id, link, 0, "link get nowait");
}

static int
set_link(uint16_t port_id, bool up)
{
	const char *fn = up ? "set link up" : "set link down";
	struct eth_port *p = eth_port_get_for_change(port_id, fn);
	int (*op)(struct keel_eth_dev *);
	int ret;

	if (p == NULL)
		return -ENODEV;
	op = up ? p->dev.dev_ops->dev_set_link_up :
		  p->dev.dev_ops->dev_set_link_down;
	if (op == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev, "%s %s: not supported", fn,
			 p->dev.name);
		ret = -ENOTSUP;
	} else {
		ret = op(&p->dev);
	}
	eth_lock_drop();
	if (ret < 0)
		errno = -ret;
	return ret;
}

int
keel_eth_dev_set_link_up(uint16_t port_id)
{
	return set_link(port_id, true);
}

int
keel_eth_dev_set_link_down(uint16_t port_id)
{
	return set_link(port_id, false);
}

const char *
keel_eth_link_speed_to_str(uint32_t speed)
{
	switch (speed) {
	case KEEL_ETH_SPEED_NUM_NONE: return "None";
	case KEEL_ETH_SPEED_NUM_10M: return "10 Mbps";
	case KEEL_ETH_SPEED_NUM_100M: return "100 Mbps";
	case KEEL_ETH_SPEED_NUM_1G: return "1 Gbps";
	case 2500: return "2.5 Gbps";
	case 5000: return "5 Gbps";
	case KEEL_ETH_SPEED_NUM_10G: return "10 Gbps";
	case 20000: return "20 Gbps";
	case KEEL_ETH_SPEED_NUM_25G: return "25 Gbps";
	case KEEL_ETH_SPEED_NUM_40G: return "40 Gbps";
	case 50000: return "50 Gbps";
	case KEEL_ETH_SPEED_NUM_100G: return "100 Gbps";
	case 200000: return "200 Gbps";
	case KEEL_ETH_SPEED_NUM_UNKNOWN: return "Unknown";
	}
	return "Invalid";
}

int
keel_eth_link_to_str(char *str, size_t len, const struct keel_eth_link *l)
{
	if (str == NULL || len == 0 || l == NULL)
		return eth_fail(EINVAL);
	if (l->link_status == KEEL_ETH_LINK_DOWN)
		return snprintf(str, len, "Link down");
	return snprintf(str, len, "Link up at %s %s %s",
			keel_eth_link_speed_to_str(l->link_speed),
			l->link_duplex == KEEL_ETH_LINK_FULL_DUPLEX ? "FDX" :
			"HDX",
			l->link_autoneg == KEEL_ETH_LINK_AUTONEG ? "Autoneg" :
			"Fixed");
}
