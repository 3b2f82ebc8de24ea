/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port registry: allocation and release of port ids, lookup and iteration,
 * ownership, the library lock, and hotplug (attach/detach).
 *
 * Invariant and lock: see ethdev_private.h. A port id is free exactly when
 * eth_ports[id] is NULL; the lowest free id is handed out (as DPDK), so
 * --vdev net_null0 --vdev net_null1 become ports 0 and 1.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ethdev_private.h"
#include "keel_bus.h"
#include "keel_eal.h"

KEEL_LOG_REGISTER(keel_logtype_ethdev, "ethdev", INFO)

struct eth_port *eth_ports[KEEL_MAX_ETHPORTS];

static pthread_mutex_t eth_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static __thread unsigned int eth_lock_depth;
static pthread_mutex_t owner_mutex = PTHREAD_MUTEX_INITIALIZER;
static uint64_t next_owner_id = 1;

void
eth_lock_take(void)
{
	pthread_mutex_lock(&eth_mutex);
	eth_lock_depth++;
}

void
eth_lock_drop(void)
{
	uint32_t pending[KEEL_MAX_ETHPORTS];
	bool outer = eth_lock_depth == 1;

	if (outer)
		eth_events_collect(pending);
	eth_lock_depth--;
	pthread_mutex_unlock(&eth_mutex);
	if (!outer)
		return;
	for (uint16_t i = 0; i < KEEL_MAX_ETHPORTS; i++)
		if (pending[i] != 0)
			eth_event_deliver(i, pending[i]);
}

bool
eth_lock_held(void)
{
	return eth_lock_depth > 0;
}

static bool
port_visible(const struct eth_port *p)
{
	return p != NULL && p->state >= ETH_PORT_ATTACHED;
}

struct eth_port *
eth_port_get_locked(uint16_t port_id, const char *fn)
{
	eth_lock_take();
	if (port_id >= KEEL_MAX_ETHPORTS || !port_visible(eth_ports[port_id])) {
		eth_lock_drop();
		KEEL_LOG(ERR, keel_logtype_ethdev, "%s: no port %u", fn,
			 port_id);
		errno = ENODEV;
		return NULL;
	}
	return eth_ports[port_id];
}

struct eth_port *
eth_port_get_for_change(uint16_t port_id, const char *fn)
{
	struct eth_port *p = eth_port_get_locked(port_id, fn);

	if (p != NULL && p->closing) {
		eth_lock_drop();
		KEEL_LOG(ERR, keel_logtype_ethdev, "%s: port %u is being closed",
			 fn, port_id);
		errno = ENODEV;
		return NULL;
	}
	return p;
}

/* ---------------------------------------------------------- driver side */

static struct eth_port *
find_by_name(const char *name)
{
	for (int i = 0; i < KEEL_MAX_ETHPORTS; i++)
		if (eth_ports[i] != NULL &&
		    strcmp(eth_ports[i]->dev.name, name) == 0)
			return eth_ports[i];
	return NULL;
}

struct keel_eth_dev *
keel_eth_dev_allocate(const char *name, int numa_node, size_t priv_size)
{
	size_t hdr = (sizeof(struct eth_port) + 63) & ~(size_t)63;
	struct eth_port *p;
	int id;

	if (name == NULL || name[0] == '\0' ||
	    strnlen(name, KEEL_ETH_NAME_MAX_LEN) >= KEEL_ETH_NAME_MAX_LEN) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "port allocate: bad name '%.80s' (1..%d characters)",
			 name == NULL ? "(null)" : name,
			 KEEL_ETH_NAME_MAX_LEN - 1);
		errno = EINVAL;
		return NULL;
	}
	if (priv_size > (1u << 30)) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "port allocate %s: private size %zu too large", name,
			 priv_size);
		errno = EINVAL;
		return NULL;
	}
	eth_lock_take();
	if (find_by_name(name) != NULL) {
		eth_lock_drop();
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "port allocate: port %s already exists", name);
		errno = EEXIST;
		return NULL;
	}
	for (id = 0; id < KEEL_MAX_ETHPORTS && eth_ports[id] != NULL; id++)
		;
	if (id == KEEL_MAX_ETHPORTS) {
		eth_lock_drop();
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "port allocate %s: all %d port ids in use", name,
			 KEEL_MAX_ETHPORTS);
		errno = ENOSPC;
		return NULL;
	}
	if (posix_memalign((void **)&p, 64, hdr + priv_size) != 0) {
		eth_lock_drop();
		errno = ENOMEM;
		return NULL;
	}
	memset(p, 0, hdr + priv_size);
	snprintf(p->dev.name, sizeof(p->dev.name), "%s", name);
	p->dev.port_id = (uint16_t)id;
	p->dev.numa_node = numa_node;
	p->dev.driver_name = "unknown";
	p->dev.dev_private = priv_size ? (char *)p + hdr : NULL;
	p->dev.data.mtu = KEEL_ETHER_MTU;
	p->state = ETH_PORT_ALLOCATED;
	eth_ports[id] = p;
	eth_lock_drop();
	return &p->dev;
}

int
keel_eth_dev_probing_finish(struct keel_eth_dev *dev)
{
	const struct keel_eth_dev_ops *o;
	struct eth_port *p;

	if (dev == NULL)
		return eth_fail(EINVAL);
	p = eth_port_of(dev);
	o = dev->dev_ops;
	if (o == NULL || o->dev_infos_get == NULL || o->dev_configure == NULL ||
	    o->dev_start == NULL || o->dev_stop == NULL ||
	    o->dev_close == NULL || o->queue_stats_get == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "port %s: driver %s lacks a mandatory op", dev->name,
			 dev->driver_name);
		return eth_fail(EINVAL);
	}
	eth_lock_take();
	if (dev->port_id >= KEEL_MAX_ETHPORTS || eth_ports[dev->port_id] != p ||
	    p->state != ETH_PORT_ALLOCATED) {
		eth_lock_drop();
		return eth_fail(EINVAL);
	}
	if (keel_is_zero_ether_addr(&dev->mac_addrs[0]))
		keel_eth_random_addr(dev->mac_addrs[0].addr_bytes);
	p->state = ETH_PORT_ATTACHED;
	eth_event_queue(p, KEEL_ETH_EVENT_NEW);
	eth_lock_drop();
	KEEL_LOG(DEBUG, keel_logtype_ethdev, "port %u: %s (%s)", dev->port_id,
		 dev->name, dev->driver_name);
	return 0;
}

int
keel_eth_dev_release_port(struct keel_eth_dev *dev)
{
	struct eth_port *p;

	if (dev == NULL)
		return eth_fail(EINVAL);
	p = eth_port_of(dev);
	eth_lock_take();
	if (dev->port_id >= KEEL_MAX_ETHPORTS || eth_ports[dev->port_id] != p ||
	    p->state != ETH_PORT_ALLOCATED) {
		eth_lock_drop();
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "release port %s: not a port being probed (close it)",
			 dev->name);
		return eth_fail(EINVAL);
	}
	eth_ports[dev->port_id] = NULL;
	eth_lock_drop();
	free(p);
	return 0;
}

void
eth_port_free_locked(struct eth_port *p)
{
	uint16_t id = p->dev.port_id;

	eth_fp_clear(p);
	eth_stats_forget(p);
	free(p->dev.data.rx_queues);
	free(p->dev.data.tx_queues);
	free(p->rxq);
	free(p->txq);
	eth_ports[id] = NULL;
	eth_callbacks_drop_port(id);
	free(p);
}

struct keel_eth_dev *
keel_eth_dev_get_by_name(const char *name)
{
	struct eth_port *p;

	if (name == NULL)
		return NULL;
	eth_lock_take();
	p = find_by_name(name);
	eth_lock_drop();
	return p == NULL ? NULL : &p->dev;
}

/* ------------------------------------------------------ lookup, iterate */

bool
keel_eth_dev_is_valid_port(uint16_t port_id)
{
	bool ok;

	eth_lock_take();
	ok = port_id < KEEL_MAX_ETHPORTS && port_visible(eth_ports[port_id]);
	eth_lock_drop();
	return ok;
}

static uint16_t
count(bool only_unowned)
{
	uint16_t n = 0;

	eth_lock_take();
	for (int i = 0; i < KEEL_MAX_ETHPORTS; i++)
		if (port_visible(eth_ports[i]) &&
		    (!only_unowned ||
		     eth_ports[i]->owner.id == KEEL_ETH_DEV_NO_OWNER))
			n++;
	eth_lock_drop();
	return n;
}

uint16_t
keel_eth_dev_count_avail(void)
{
	return count(true);
}

uint16_t
keel_eth_dev_count_total(void)
{
	return count(false);
}

uint64_t
keel_eth_find_next_owned_by(uint16_t port_id, uint64_t owner_id)
{
	uint64_t found = KEEL_MAX_ETHPORTS;

	eth_lock_take();
	for (uint16_t i = port_id; i < KEEL_MAX_ETHPORTS; i++)
		if (port_visible(eth_ports[i]) &&
		    eth_ports[i]->owner.id == owner_id) {
			found = i;
			break;
		}
	eth_lock_drop();
	return found;
}

uint16_t
keel_eth_find_next(uint16_t port_id)
{
	uint16_t found = KEEL_MAX_ETHPORTS;

	eth_lock_take();
	for (uint16_t i = port_id; i < KEEL_MAX_ETHPORTS; i++)
		if (port_visible(eth_ports[i])) {
			found = i;
			break;
		}
	eth_lock_drop();
	return found;
}

int
keel_eth_dev_get_port_by_name(const char *name, uint16_t *port_id)
{
	struct eth_port *p;

	if (name == NULL || port_id == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "get port by name: NULL %s", name == NULL ? "name" :
			 "port_id");
		return eth_fail(EINVAL);
	}
	eth_lock_take();
	p = find_by_name(name);
	if (!port_visible(p)) {
		eth_lock_drop();
		return eth_fail(ENODEV);
	}
	*port_id = p->dev.port_id;
	eth_lock_drop();
	return 0;
}

int
keel_eth_dev_get_name_by_port(uint16_t port_id, char *name)
{
	struct eth_port *p;

	if (name == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "get name of port %u: NULL buffer", port_id);
		return eth_fail(EINVAL);
	}
	p = eth_port_get_locked(port_id, "get name by port");
	if (p == NULL)
		return -ENODEV;
	snprintf(name, KEEL_ETH_NAME_MAX_LEN, "%s", p->dev.name);
	eth_lock_drop();
	return 0;
}

int
keel_eth_dev_socket_id(uint16_t port_id)
{
	struct eth_port *p = eth_port_get_locked(port_id, "socket id");
	int s;

	if (p == NULL)
		return -EINVAL;
	s = p->dev.numa_node;
	eth_lock_drop();
	return s;
}

/* ------------------------------------------------------------ ownership */

int
keel_eth_dev_owner_new(uint64_t *owner_id)
{
	if (owner_id == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev, "owner new: NULL owner_id");
		return eth_fail(EINVAL);
	}
	pthread_mutex_lock(&owner_mutex);
	*owner_id = next_owner_id++;
	pthread_mutex_unlock(&owner_mutex);
	return 0;
}

static bool
owner_id_valid(uint64_t id)
{
	bool ok;

	pthread_mutex_lock(&owner_mutex);
	ok = id != KEEL_ETH_DEV_NO_OWNER && id < next_owner_id;
	pthread_mutex_unlock(&owner_mutex);
	return ok;
}

int
keel_eth_dev_owner_set(uint16_t port_id, const struct keel_eth_dev_owner *owner)
{
	struct eth_port *p;

	if (owner == NULL || !owner_id_valid(owner->id) ||
	    strnlen(owner->name, KEEL_ETH_MAX_OWNER_NAME_LEN) >=
	    KEEL_ETH_MAX_OWNER_NAME_LEN) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "owner set port %u: bad owner (id %llu; use owner_new)",
			 port_id, owner == NULL ? 0ULL :
			 (unsigned long long)owner->id);
		return eth_fail(EINVAL);
	}
	p = eth_port_get_locked(port_id, "owner set");
	if (p == NULL)
		return -ENODEV;
	if (p->owner.id != KEEL_ETH_DEV_NO_OWNER && p->owner.id != owner->id) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "owner set port %u: owned by %s (id %llu)", port_id,
			 p->owner.name, (unsigned long long)p->owner.id);
		eth_lock_drop();
		return eth_fail(EBUSY);
	}
	p->owner = *owner;
	eth_lock_drop();
	return 0;
}

int
keel_eth_dev_owner_unset(uint16_t port_id, uint64_t owner_id)
{
	struct eth_port *p;

	if (!owner_id_valid(owner_id)) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "owner unset port %u: bad owner id %llu", port_id,
			 (unsigned long long)owner_id);
		return eth_fail(EINVAL);
	}
	p = eth_port_get_locked(port_id, "owner unset");
	if (p == NULL)
		return -ENODEV;
	if (p->owner.id != owner_id) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "owner unset port %u: owner is %llu, not %llu",
			 port_id, (unsigned long long)p->owner.id,
			 (unsigned long long)owner_id);
		eth_lock_drop();
		return eth_fail(EPERM);
	}
	memset(&p->owner, 0, sizeof(p->owner));
	eth_lock_drop();
	return 0;
}

int
keel_eth_dev_owner_delete(uint64_t owner_id)
{
	if (!owner_id_valid(owner_id)) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "owner delete: bad owner id %llu",
			 (unsigned long long)owner_id);
		return eth_fail(EINVAL);
	}
	eth_lock_take();
	for (int i = 0; i < KEEL_MAX_ETHPORTS; i++)
		if (eth_ports[i] != NULL && eth_ports[i]->owner.id == owner_id)
			memset(&eth_ports[i]->owner, 0,
			       sizeof(eth_ports[i]->owner));
	eth_lock_drop();
	return 0;
}

int
keel_eth_dev_owner_get(uint16_t port_id, struct keel_eth_dev_owner *owner)
{
	struct eth_port *p;

	if (owner == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "owner get port %u: NULL owner", port_id);
		return eth_fail(EINVAL);
	}
	p = eth_port_get_locked(port_id, "owner get");
	if (p == NULL)
		return -ENODEV;
	*owner = p->owner;
	eth_lock_drop();
	return 0;
}

/* -------------------------------------------------------------- hotplug */

int
keel_eth_dev_attach(const char *devargs, uint16_t *port_id)
{
	char name[KEEL_DEV_NAME_MAX];
	struct eth_port *p;
	size_t len;
	int ret;

	if (devargs == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev, "attach: NULL devargs");
		return eth_fail(EINVAL);
	}
	len = strcspn(devargs, ",");
	if (len == 0 || len >= sizeof(name)) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "attach '%.80s': device name empty or longer than %d",
			 devargs, KEEL_DEV_NAME_MAX - 1);
		return eth_fail(EINVAL);
	}
	memcpy(name, devargs, len);
	name[len] = '\0';
	ret = keel_dev_probe(devargs);
	if (ret < 0)
		return ret;
	/* the device's first port */
	eth_lock_take();
	p = NULL;
	for (int i = 0; i < KEEL_MAX_ETHPORTS && p == NULL; i++)
		if (port_visible(eth_ports[i]) &&
		    strcmp(eth_ports[i]->dev.device_name, name) == 0)
			p = eth_ports[i];
	if (p != NULL && port_id != NULL)
		*port_id = p->dev.port_id;
	eth_lock_drop();
	if (p == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "attach %s: the device made no Ethernet port", name);
		keel_dev_remove(name);
		return eth_fail(ENODEV);
	}
	return 0;
}

int
keel_eth_dev_detach(uint16_t port_id)
{
	char device[KEEL_ETH_NAME_MAX_LEN];
	struct eth_port *p = eth_port_get_locked(port_id, "detach");

	if (p == NULL)
		return -ENODEV;
	if (p->owner.id != KEEL_ETH_DEV_NO_OWNER) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "detach port %u: owned by %s (id %llu): it must release the port first",
			 port_id, p->owner.name,
			 (unsigned long long)p->owner.id);
		eth_lock_drop();
		return eth_fail(EBUSY);
	}
	snprintf(device, sizeof(device), "%s", p->dev.device_name);
	eth_lock_drop();
	if (device[0] == '\0')
		return eth_port_close(port_id, true, "detach");
	/* the bus removes the device; its driver closes the port */
	return keel_dev_remove(device);
}

/* At EAL cleanup: close the ports no bus removed (e.g. made by API). */
static void
ethdev_cleanup(void)
{
	for (uint16_t i = 0; i < KEEL_MAX_ETHPORTS; i++) {
		bool live;

		eth_lock_take();
		live = port_visible(eth_ports[i]);
		if (live)
			memset(&eth_ports[i]->owner, 0,
			       sizeof(eth_ports[i]->owner));
		eth_lock_drop();
		if (live)
			eth_port_close(i, false, "cleanup");
	}
}

/* Not a bus: the EAL's bus list is its only cleanup hook. */
static struct keel_bus ethdev_pseudo_bus = {
	.name = "ethdev",
	.cleanup = ethdev_cleanup,
};

KEEL_BUS_REGISTER(ethdev_pseudo_bus)
