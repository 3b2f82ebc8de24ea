/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bus registry. The list is changed only from constructors, destructors and
 * keel_eal_init/cleanup, which run single-threaded; bus_lock makes the
 * occasional dlopen()ed driver safe too.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "eal_internal.h"
#include "keel_bus.h"

static pthread_mutex_t bus_lock = PTHREAD_MUTEX_INITIALIZER;
static struct keel_bus *buses;
static struct keel_bus *probed[32];
static int n_probed;

void
keel_bus_register(struct keel_bus *bus)
{
	struct keel_bus **pp;

	pthread_mutex_lock(&bus_lock);
	for (pp = &buses; *pp != NULL; pp = &(*pp)->next)
		if (*pp == bus)
			break;
	if (*pp == NULL) {
		bus->next = NULL;
		*pp = bus;
	}
	pthread_mutex_unlock(&bus_lock);
}

void
keel_bus_unregister(struct keel_bus *bus)
{
	struct keel_bus **pp;

	pthread_mutex_lock(&bus_lock);
	for (pp = &buses; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == bus) {
			*pp = bus->next;
			break;
		}
	}
	pthread_mutex_unlock(&bus_lock);
}

struct keel_bus *
keel_bus_find(const char *name)
{
	struct keel_bus *b;

	pthread_mutex_lock(&bus_lock);
	for (b = buses; b != NULL; b = b->next)
		if (strcmp(b->name, name) == 0)
			break;
	pthread_mutex_unlock(&bus_lock);
	return b;
}

void
eal_bus_cleanup(void)
{
	while (n_probed > 0) {
		struct keel_bus *b = probed[--n_probed];

		if (b->cleanup != NULL)
			b->cleanup();
	}
}

int
eal_bus_probe(void)
{
	struct keel_bus *b;
	int ret;

	for (b = buses; b != NULL; b = b->next) {
		if (n_probed == (int)(sizeof(probed) / sizeof(probed[0]))) {
			eal_bus_cleanup();
			return -ENOSPC;
		}
		probed[n_probed++] = b;
		if (b->probe == NULL)
			continue;
		ret = b->probe();
		if (ret < 0) {
			KEEL_LOG(ERR, keel_logtype_eal, "bus %s: probe failed: %s",
				 b->name, strerror(-ret));
			eal_bus_cleanup();
			return ret;
		}
	}
	return 0;
}
