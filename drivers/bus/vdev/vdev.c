/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual device bus: a list of drivers (by name prefix) and a table of
 * devices created through them.
 *
 * Invariant: every used slot of vdevs[] names a device that its driver's
 * probe accepted and whose remove has not been called; names are unique.
 * Lock: bus_lock protects drivers, vdevs[] and n_vdevs (and the name
 * list buffer of error messages). It is recursive so that a driver whose
 * library is loaded while the bus lock is held can still register from
 * its constructor; drivers' probe and remove must not call back into the
 * bus. Drivers come from the program's link, the EAL's driver directory
 * and -d (lib/eal/drivers.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "keel_bus.h"
#include "keel_eal.h"
#include "keel_log.h"
#include "keel_vdev.h"

KEEL_LOG_REGISTER(keel_logtype_vdev, "bus.vdev", INFO)

#define VDEV_MAX 64
#define VDEV_NAME_MAX 64
#define VDEV_ARGS_MAX 256

struct vdev {
	char name[VDEV_NAME_MAX];
	char args[VDEV_ARGS_MAX];
	struct keel_vdev_driver *drv;
};

/* recursive: a driver loaded by autoload registers from its constructor */
static pthread_mutex_t bus_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static struct keel_vdev_driver *drivers;
static struct vdev vdevs[VDEV_MAX];
static int n_vdevs;
static int in_eal_probe; /* the EAL's bus probe runs before it is "initialised" */

void
keel_vdev_driver_register(struct keel_vdev_driver *drv)
{
	if (drv == NULL || drv->name == NULL || drv->probe == NULL ||
	    drv->remove == NULL)
		return;
	pthread_mutex_lock(&bus_lock);
	drv->next = drivers;
	drivers = drv;
	pthread_mutex_unlock(&bus_lock);
}

static struct keel_vdev_driver *
find_driver(const char *name)
{
	struct keel_vdev_driver *best = NULL;
	size_t best_len = 0;

	for (struct keel_vdev_driver *d = drivers; d != NULL; d = d->next) {
		size_t l = strlen(d->name);

		if (strncmp(name, d->name, l) == 0 && l > best_len) {
			best = d;
			best_len = l;
		}
	}
	return best;
}

/* "a, b" of the registered drivers' prefixes (bus_lock held) */
static const char *
driver_names(void)
{
	static char buf[256];
	size_t n = 0;

	buf[0] = '\0';
	for (struct keel_vdev_driver *d = drivers; d != NULL && n < sizeof(buf);
	     d = d->next) {
		int w = snprintf(buf + n, sizeof(buf) - n, "%s%s",
				 n ? ", " : "", d->name);

		n = w < 0 ? sizeof(buf) : n + (size_t)w;
	}
	return buf[0] ? buf : "none";
}

static int
find_dev(const char *name)
{
	for (int i = 0; i < n_vdevs; i++)
		if (strcmp(vdevs[i].name, name) == 0)
			return i;
	return -1;
}

static int
create_locked(const char *name, const char *args)
{
	struct keel_vdev_driver *drv;
	int ret;

	if (name == NULL || name[0] == '\0' ||
	    strnlen(name, VDEV_NAME_MAX) >= VDEV_NAME_MAX) {
		KEEL_LOG(ERR, keel_logtype_vdev, "vdev create: bad name '%.80s'",
			 name == NULL ? "(null)" : name);
		return -EINVAL;
	}
	if (args == NULL)
		args = "";
	if (strnlen(args, VDEV_ARGS_MAX) >= VDEV_ARGS_MAX) {
		KEEL_LOG(ERR, keel_logtype_vdev,
			 "vdev create %s: arguments longer than %d bytes", name,
			 VDEV_ARGS_MAX - 1);
		return -EINVAL;
	}
	if (!keel_eal_is_initialized() && !in_eal_probe) {
		KEEL_LOG(ERR, keel_logtype_vdev,
			 "vdev create %s: the EAL is not initialised", name);
		return -EINVAL;
	}
	if (find_dev(name) >= 0) {
		KEEL_LOG(ERR, keel_logtype_vdev, "vdev create %s: exists", name);
		return -EEXIST;
	}
	if (n_vdevs == VDEV_MAX) {
		KEEL_LOG(ERR, keel_logtype_vdev,
			 "vdev create %s: %d devices already", name, VDEV_MAX);
		return -ENOSPC;
	}
	drv = find_driver(name);
	if (drv == NULL) {
		KEEL_LOG(ERR, keel_logtype_vdev,
			 "vdev create %s: no driver for this name (drivers: "
			 "%s; more come from the driver directory or -d)", name,
			 driver_names());
		return -ENOENT;
	}
	ret = drv->probe(name, args);
	if (ret < 0) {
		KEEL_LOG(ERR, keel_logtype_vdev, "vdev create %s: %s probe: %s",
			 name, drv->name, strerror(-ret));
		return ret;
	}
	snprintf(vdevs[n_vdevs].name, VDEV_NAME_MAX, "%s", name);
	snprintf(vdevs[n_vdevs].args, VDEV_ARGS_MAX, "%s", args);
	vdevs[n_vdevs].drv = drv;
	n_vdevs++;
	return 0;
}

int
keel_vdev_create(const char *name, const char *args)
{
	int ret;

	pthread_mutex_lock(&bus_lock);
	ret = create_locked(name, args);
	pthread_mutex_unlock(&bus_lock);
	if (ret < 0)
		errno = -ret;
	return ret;
}

static int
remove_locked(int i)
{
	int ret = vdevs[i].drv->remove(vdevs[i].name);

	if (ret < 0) {
		KEEL_LOG(ERR, keel_logtype_vdev, "vdev remove %s: %s",
			 vdevs[i].name, strerror(-ret));
		return ret;
	}
	vdevs[i] = vdevs[n_vdevs - 1];
	memset(&vdevs[n_vdevs - 1], 0, sizeof(vdevs[0]));
	n_vdevs--;
	return 0;
}

int
keel_vdev_remove(const char *name)
{
	int i, ret;

	if (name == NULL) {
		KEEL_LOG(ERR, keel_logtype_vdev, "vdev remove: NULL name");
		errno = EINVAL;
		return -EINVAL;
	}
	pthread_mutex_lock(&bus_lock);
	i = find_dev(name);
	if (i < 0) {
		pthread_mutex_unlock(&bus_lock);
		KEEL_LOG(ERR, keel_logtype_vdev, "vdev remove %s: no such device",
			 name);
		errno = ENOENT;
		return -ENOENT;
	}
	ret = remove_locked(i);
	pthread_mutex_unlock(&bus_lock);
	if (ret < 0)
		errno = -ret;
	return ret;
}

int
keel_vdev_probe_eal(void)
{
	char created[KEEL_EAL_MAX_DEVARGS][VDEV_NAME_MAX];
	int n = 0, ret = 0, count = keel_eal_vdev_count();

	pthread_mutex_lock(&bus_lock);
	for (int i = 0; i < count && i < KEEL_EAL_MAX_DEVARGS; i++) {
		const struct keel_devarg *da = keel_eal_vdev_get(i);

		if (da == NULL || find_dev(da->name) >= 0)
			continue;
		ret = create_locked(da->name, da->args);
		if (ret < 0)
			break;
		snprintf(created[n++], VDEV_NAME_MAX, "%s", da->name);
	}
	if (ret < 0) {
		/* undo: leave the bus as it was */
		while (n > 0) {
			int j = find_dev(created[--n]);

			if (j >= 0)
				remove_locked(j);
		}
	}
	pthread_mutex_unlock(&bus_lock);
	if (ret < 0) {
		errno = -ret;
		return ret;
	}
	return n;
}

int
keel_vdev_remove_all(void)
{
	int n = 0;

	pthread_mutex_lock(&bus_lock);
	for (int i = n_vdevs - 1; i >= 0; i--)
		if (remove_locked(i) == 0)
			n++;
	pthread_mutex_unlock(&bus_lock);
	return n;
}

int
keel_vdev_count(void)
{
	int n;

	pthread_mutex_lock(&bus_lock);
	n = n_vdevs;
	pthread_mutex_unlock(&bus_lock);
	return n;
}

void
keel_vdev_dump(FILE *f)
{
	if (f == NULL)
		f = stdout;
	pthread_mutex_lock(&bus_lock);
	fprintf(f, "vdev drivers:\n");
	for (struct keel_vdev_driver *d = drivers; d != NULL; d = d->next)
		fprintf(f, "  %s: %s\n", d->name, d->params ? d->params : "");
	fprintf(f, "vdev devices: %d\n", n_vdevs);
	for (int i = 0; i < n_vdevs; i++)
		fprintf(f, "  %s (%s) args '%s'\n", vdevs[i].name,
			vdevs[i].drv->name, vdevs[i].args);
	pthread_mutex_unlock(&bus_lock);
}

/* ------------------------------------------------ EAL bus registration */

static int
vdev_bus_probe(void)
{
	int ret;

	in_eal_probe = 1;
	ret = keel_vdev_probe_eal();
	in_eal_probe = 0;
	return ret < 0 ? ret : 0;
}

static void
vdev_bus_cleanup(void)
{
	keel_vdev_remove_all();
}

/* keel_dev_probe(): names no vdev driver claims are another bus's */
static int
vdev_bus_plug(const char *name, const char *args)
{
	int ret;

	pthread_mutex_lock(&bus_lock);
	if (find_driver(name) == NULL && find_dev(name) < 0) {
		pthread_mutex_unlock(&bus_lock);
		return -ENODEV;
	}
	ret = create_locked(name, args);
	pthread_mutex_unlock(&bus_lock);
	return ret;
}

static int
vdev_bus_unplug(const char *name)
{
	int i, ret;

	pthread_mutex_lock(&bus_lock);
	i = find_dev(name);
	ret = i < 0 ? -ENODEV : remove_locked(i);
	pthread_mutex_unlock(&bus_lock);
	return ret;
}

static struct keel_bus vdev_bus = {
	.name = "vdev",
	.probe = vdev_bus_probe,
	.cleanup = vdev_bus_cleanup,
	.plug = vdev_bus_plug,
	.unplug = vdev_bus_unplug,
};

KEEL_BUS_REGISTER(vdev_bus)
