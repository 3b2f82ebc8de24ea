/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bus registry. The list is changed only from constructors, destructors and
 * keel_eal_init/cleanup, which run single-threaded; bus_lock makes the
 * occasional dlopen()ed driver safe too. Before probing, devices named on
 * the command line are checked to have a bus.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdio.h>
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

/* PCI devices bound to vfio-pci (entries of its sysfs driver directory) */
static int
count_vfio_pci_devices(void)
{
	DIR *d = opendir("/sys/bus/pci/drivers/vfio-pci");
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		unsigned int dom, bus, dev, fn;
		char end;

		if (sscanf(de->d_name, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn,
			   &end) == 4)
			n++;
	}
	closedir(d);
	return n;
}

static const char *
where_drivers_come_from(void)
{
	const char *dir = keel_eal_driver_dir();

	return dir != NULL ? dir : "(none: static EAL)";
}

/*
 * Devices asked for on the command line need their bus: without it they
 * would silently not exist (a program linked --as-needed without Keel's
 * driver directory has neither the vdev nor the PCI bus).
 */
static int
check_buses(void)
{
	int n;

	if (eal_cfg.n_vdev > 0 && keel_bus_find("vdev") == NULL) {
		KEEL_LOG(ERR, keel_logtype_eal,
			 "--vdev %s: the vdev bus is not loaded (not linked, "
			 "and not in the driver directory %s; load it with -d)",
			 eal_cfg.vdev[0].name, where_drivers_come_from());
		return -ENODEV;
	}
	if (eal_cfg.no_pci || keel_bus_find("pci") != NULL)
		return 0;
	if (eal_cfg.n_allow > 0) {
		KEEL_LOG(ERR, keel_logtype_eal,
			 "-a %s: the PCI bus is not loaded (not linked, and not "
			 "in the driver directory %s; load it with -d)",
			 eal_cfg.allow[0].name, where_drivers_come_from());
		return -ENODEV;
	}
	n = count_vfio_pci_devices();
	if (n > 0)
		KEEL_LOG(WARNING, keel_logtype_eal,
			 "%d PCI device(s) bound to vfio-pci, but the PCI bus "
			 "is not loaded: they get no driver (not linked, and not "
			 "in the driver directory %s; load it with -d, or give "
			 "--no-pci)", n, where_drivers_come_from());
	return 0;
}

int
eal_bus_probe(void)
{
	struct keel_bus *b;
	int ret;

	ret = check_buses();
	if (ret < 0)
		return ret;

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

/* next bus to try (NULL: the first); a bus is unregistered only when its
 * shared object unloads, which must not race with hotplug calls */
static struct keel_bus *
bus_next(struct keel_bus *b)
{
	struct keel_bus *n;

	pthread_mutex_lock(&bus_lock);
	n = b == NULL ? buses : b->next;
	pthread_mutex_unlock(&bus_lock);
	return n;
}

int
keel_dev_probe(const char *devargs)
{
	char name[KEEL_DEV_NAME_MAX];
	const char *comma, *args;
	size_t len;
	int ret;

	if (devargs == NULL) {
		KEEL_LOG(ERR, keel_logtype_eal, "device probe: NULL devargs");
		errno = EINVAL;
		return -EINVAL;
	}
	comma = strchr(devargs, ',');
	len = comma != NULL ? (size_t)(comma - devargs) : strlen(devargs);
	args = comma != NULL ? comma + 1 : "";
	if (len == 0 || len >= sizeof(name)) {
		KEEL_LOG(ERR, keel_logtype_eal,
			 "device probe '%.80s': device name empty or longer than %d",
			 devargs, KEEL_DEV_NAME_MAX - 1);
		errno = EINVAL;
		return -EINVAL;
	}
	if (!keel_eal_is_initialized()) {
		KEEL_LOG(ERR, keel_logtype_eal,
			 "device probe %.80s: the EAL is not initialised",
			 devargs);
		errno = EINVAL;
		return -EINVAL;
	}
	memcpy(name, devargs, len);
	name[len] = '\0';
	for (struct keel_bus *b = bus_next(NULL); b != NULL; b = bus_next(b)) {
		if (b->plug == NULL)
			continue;
		ret = b->plug(name, args);
		if (ret == -ENODEV)
			continue;
		if (ret < 0) {
			KEEL_LOG(ERR, keel_logtype_eal,
				 "device probe %s: bus %s: %s", name, b->name,
				 strerror(-ret));
			errno = -ret;
		}
		return ret;
	}
	KEEL_LOG(ERR, keel_logtype_eal,
		 "device probe %s: no bus or driver knows this name", name);
	errno = ENODEV;
	return -ENODEV;
}

int
keel_dev_remove(const char *name)
{
	int ret;

	if (name == NULL) {
		KEEL_LOG(ERR, keel_logtype_eal, "device remove: NULL name");
		errno = EINVAL;
		return -EINVAL;
	}
	for (struct keel_bus *b = bus_next(NULL); b != NULL; b = bus_next(b)) {
		if (b->unplug == NULL)
			continue;
		ret = b->unplug(name);
		if (ret == -ENODEV)
			continue;
		if (ret < 0) {
			KEEL_LOG(ERR, keel_logtype_eal,
				 "device remove %.80s: bus %s: %s", name,
				 b->name, strerror(-ret));
			errno = -ret;
		}
		return ret;
	}
	KEEL_LOG(ERR, keel_logtype_eal, "device remove %.80s: no such device",
		 name);
	errno = ENODEV;
	return -ENODEV;
}
