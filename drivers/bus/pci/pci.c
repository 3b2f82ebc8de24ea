/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PCI bus: driver registry, sysfs scan, attached-device list.
 *
 * Invariants: every entry of dev_list names a canonical PCI address at most
 * once and the driver whose probe accepted it, and that driver is in
 * drv_list; drivers' probe/remove are called with bus_lock held.
 * Lock: bus_lock (a plain mutex) protects drv_list, dev_list, sysfs_root
 * and the name list buffer of log lines; drivers must not call back into
 * the bus.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keel_bus.h"
#include "keel_eal.h"
#include "keel_log.h"
#include "keel_pci.h"

KEEL_LOG_REGISTER(keel_logtype_pci, "bus.pci", INFO)

#define PCI_DEFAULT_SYSFS "/sys"
#define PCI_VFIO_DRIVER   "vfio-pci"
/* longest sysfs attribute read ("0x1234\n" is 7 bytes) */
#define PCI_ATTR_MAX      32

struct pci_dev {
	char bdf[KEEL_PCI_ADDR_LEN];
	struct keel_pci_driver *drv;
	struct pci_dev *next;       /* newest first */
};

static pthread_mutex_t bus_lock = PTHREAD_MUTEX_INITIALIZER;
static struct keel_pci_driver *drv_list;
static struct pci_dev *dev_list;
static char sysfs_root[PATH_MAX] = PCI_DEFAULT_SYSFS;

static int
fail(int err)
{
	errno = err;
	return -err;
}

/* ----------------------------------------------------------- addresses */

static int
hex_field(const char **p, unsigned int max_digits, unsigned long max,
	  unsigned long *out)
{
	unsigned long v = 0;
	unsigned int n = 0;
	const char *s = *p;

	while (n < max_digits) {
		char c = s[n];
		unsigned int d;

		if (c >= '0' && c <= '9')
			d = (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned int)(c - 'A' + 10);
		else
			break;
		v = v * 16 + d;
		n++;
	}
	if (n == 0 || v > max)
		return -1;
	*p = s + n;
	*out = v;
	return 0;
}

int
keel_pci_addr_parse(const char *s, char out[KEEL_PCI_ADDR_LEN])
{
	unsigned long dom = 0, bus, dev, fn;
	const char *p = s;
	const char *colon2;

	if (s == NULL || out == NULL)
		return fail(EINVAL);
	/* "dddd:bb:dd.f" has two colons, "bb:dd.f" one */
	colon2 = strchr(s, ':');
	if (colon2 != NULL && strchr(colon2 + 1, ':') != NULL) {
		if (hex_field(&p, 4, 0xffff, &dom) < 0 || *p++ != ':')
			return fail(EINVAL);
	}
	if (hex_field(&p, 2, 0xff, &bus) < 0 || *p++ != ':' ||
	    hex_field(&p, 2, 0x1f, &dev) < 0 || *p++ != '.' ||
	    hex_field(&p, 1, 7, &fn) < 0 || *p != '\0')
		return fail(EINVAL);
	snprintf(out, KEEL_PCI_ADDR_LEN, "%04lx:%02lx:%02lx.%lx", dom, bus,
		 dev, fn);
	return 0;
}

/* Printable copy of untrusted bytes for a log line ('?' for the rest). */
static void
printable(char *dst, size_t dlen, const char *src, size_t slen)
{
	size_t i, n = slen < dlen - 1 ? slen : dlen - 1;

	for (i = 0; i < n; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[n] = '\0';
}

/* ------------------------------------------------------------- drivers */

int
keel_pci_driver_register(struct keel_pci_driver *drv)
{
	struct keel_pci_driver *d;

	if (drv == NULL || drv->name == NULL || drv->ids == NULL ||
	    drv->nb_ids == 0 || drv->probe == NULL || drv->remove == NULL) {
		KEEL_LOG(ERR, keel_logtype_pci,
			 "pci driver register: incomplete driver %s",
			 drv != NULL && drv->name != NULL ? drv->name : "(null)");
		return fail(EINVAL);
	}
	pthread_mutex_lock(&bus_lock);
	for (d = drv_list; d != NULL; d = d->next) {
		if (d == drv || strcmp(d->name, drv->name) == 0) {
			pthread_mutex_unlock(&bus_lock);
			KEEL_LOG(ERR, keel_logtype_pci,
				 "pci driver register: %s already registered",
				 drv->name);
			return fail(EEXIST);
		}
	}
	drv->next = drv_list;
	drv_list = drv;
	pthread_mutex_unlock(&bus_lock);
	return 0;
}

/* Remove one attached device (bus_lock held); unlinks and frees it. */
static void
dev_remove_locked(struct pci_dev **link)
{
	struct pci_dev *pd = *link;
	int ret = pd->drv->remove(pd->bdf);

	if (ret < 0)
		KEEL_LOG(ERR, keel_logtype_pci, "pci %s: driver %s remove: %s",
			 pd->bdf, pd->drv->name, strerror(-ret));
	*link = pd->next;
	free(pd);
}

int
keel_pci_driver_unregister(struct keel_pci_driver *drv)
{
	struct keel_pci_driver **l;
	struct pci_dev **dl;

	pthread_mutex_lock(&bus_lock);
	for (l = &drv_list; *l != NULL && *l != drv; l = &(*l)->next)
		;
	if (drv == NULL || *l == NULL) {
		pthread_mutex_unlock(&bus_lock);
		KEEL_LOG(ERR, keel_logtype_pci,
			 "pci driver unregister: %s is not registered",
			 drv != NULL && drv->name != NULL ? drv->name : "(null)");
		return fail(ENOENT);
	}
	dl = &dev_list;
	while (*dl != NULL) {
		if ((*dl)->drv == drv)
			dev_remove_locked(dl);
		else
			dl = &(*dl)->next;
	}
	*l = drv->next;
	drv->next = NULL;
	pthread_mutex_unlock(&bus_lock);
	return 0;
}

static struct keel_pci_driver *
driver_match(uint16_t vendor, uint16_t device, const struct keel_pci_id **id)
{
	for (struct keel_pci_driver *d = drv_list; d != NULL; d = d->next) {
		for (unsigned int i = 0; i < d->nb_ids; i++) {
			if (d->ids[i].vendor == vendor &&
			    d->ids[i].device == device) {
				*id = &d->ids[i];
				return d;
			}
		}
	}
	return NULL;
}

/* "a, b" of the registered drivers (bus_lock held) */
static const char *
driver_names_locked(void)
{
	static char buf[256];
	size_t n = 0;

	buf[0] = '\0';
	for (struct keel_pci_driver *d = drv_list; d != NULL && n < sizeof(buf);
	     d = d->next) {
		int w = snprintf(buf + n, sizeof(buf) - n, "%s%s",
				 n ? ", " : "", d->name);

		n = w < 0 ? sizeof(buf) : n + (size_t)w;
	}
	return buf[0] ? buf : "none";
}

static struct pci_dev *
dev_find_locked(const char *bdf)
{
	for (struct pci_dev *pd = dev_list; pd != NULL; pd = pd->next)
		if (strcmp(pd->bdf, bdf) == 0)
			return pd;
	return NULL;
}

/* ---------------------------------------------------------------- sysfs */

/*
 * Read <dir>/<attr>, which must hold "0x" and 1..4 hex digits, then an
 * optional newline and nothing else. 0, or -errno (logged; -ENOENT too).
 */
static int
read_id_attr(const char *dir, const char *bdf, const char *attr,
	     uint16_t *out)
{
	char path[PATH_MAX], buf[PCI_ATTR_MAX + 1], shown[PCI_ATTR_MAX + 1];
	const char *p;
	unsigned long v;
	ssize_t n;
	size_t len;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, attr) >=
	    sizeof(path))
		return fail(ENAMETOOLONG);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int err = errno;

		KEEL_LOG(ERR, keel_logtype_pci, "pci %s: cannot open %s: %s",
			 bdf, path, strerror(err));
		return fail(err);
	}
	/* read one byte more than a valid file can hold, to see "too long" */
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		int err = errno;

		KEEL_LOG(ERR, keel_logtype_pci, "pci %s: cannot read %s: %s",
			 bdf, path, strerror(err));
		return fail(err);
	}
	len = (size_t)n;
	printable(shown, sizeof(shown), buf, len);
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	p = buf + 2;
	if (len < 3 || len > 6 || buf[0] != '0' ||
	    (buf[1] != 'x' && buf[1] != 'X') || memchr(buf, '\0', len) ||
	    hex_field(&p, 4, 0xffff, &v) < 0 || *p != '\0') {
		KEEL_LOG(ERR, keel_logtype_pci,
			 "pci %s: malformed %s '%s' (%zd bytes): want 0x and "
			 "1 to 4 hex digits", bdf, attr, shown, n);
		return fail(EINVAL);
	}
	*out = (uint16_t)v;
	return 0;
}

/*
 * Is <dir>/driver a link to a driver called vfio-pci? 1 yes, 0 no (other
 * driver or unbound), -errno for a malformed link (logged).
 */
static int
bound_to_vfio(const char *dir, const char *bdf)
{
	char path[PATH_MAX], target[PATH_MAX], shown[64];
	const char *base;
	ssize_t n;

	if ((size_t)snprintf(path, sizeof(path), "%s/driver", dir) >=
	    sizeof(path))
		return fail(ENAMETOOLONG);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		int err = errno;

		if (err == ENOENT)
			return 0;  /* no driver bound */
		KEEL_LOG(ERR, keel_logtype_pci,
			 "pci %s: %s is not a driver link: %s", bdf, path,
			 strerror(err));
		return fail(err == EINVAL ? EINVAL : err);
	}
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base != NULL ? base + 1 : target;
	if (*base == '\0') {
		printable(shown, sizeof(shown), target, (size_t)n);
		KEEL_LOG(ERR, keel_logtype_pci,
			 "pci %s: driver link '%s' names no driver", bdf, shown);
		return fail(EINVAL);
	}
	return strcmp(base, PCI_VFIO_DRIVER) == 0;
}

/* Look at one directory entry; updates st; attaches a device when it can. */
static void
scan_entry(const char *devices, const char *name,
	   struct keel_pci_scan_stats *st, int *attached)
{
	char bdf[KEEL_PCI_ADDR_LEN], dir[PATH_MAX], shown[80];
	const struct keel_pci_id *id = NULL;
	struct keel_pci_driver *drv;
	struct pci_dev *pd;
	uint16_t vendor, device;
	struct stat sb;
	int ret;

	st->seen++;
	if (keel_pci_addr_parse(name, bdf) < 0 || strcmp(bdf, name) != 0) {
		printable(shown, sizeof(shown), name, strlen(name));
		KEEL_LOG(ERR, keel_logtype_pci,
			 "pci scan: '%s' in %s is not a PCI address "
			 "(dddd:bb:dd.f), skipped", shown, devices);
		st->malformed++;
		return;
	}
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", devices, name) >=
	    sizeof(dir) || stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		KEEL_LOG(ERR, keel_logtype_pci,
			 "pci %s: %s is not a device directory, skipped", bdf,
			 dir);
		st->malformed++;
		return;
	}
	if (dev_find_locked(bdf) != NULL)
		return;  /* attached by an earlier scan */
	/* the binding first: devices of other drivers are none of our
	 * business, their attributes are not even read */
	ret = bound_to_vfio(dir, bdf);
	if (ret < 0) {
		st->malformed++;
		return;
	}
	if (ret == 0) {
		st->not_vfio++;
		return;
	}
	if (read_id_attr(dir, bdf, "vendor", &vendor) < 0 ||
	    read_id_attr(dir, bdf, "device", &device) < 0) {
		st->malformed++;
		return;
	}
	if (!keel_eal_pci_allowed(bdf)) {
		KEEL_LOG(DEBUG, keel_logtype_pci,
			 "pci %s: excluded by -a/-b/--no-pci", bdf);
		st->filtered++;
		return;
	}
	drv = driver_match(vendor, device, &id);
	if (drv == NULL) {
		KEEL_LOG(WARNING, keel_logtype_pci,
			 "pci %s (%04x:%04x): bound to vfio-pci, but no Keel "
			 "driver handles it (PCI drivers loaded: %s; more come "
			 "from the driver directory or -d)", bdf, vendor, device,
			 driver_names_locked());
		st->no_driver++;
		return;
	}
	pd = calloc(1, sizeof(*pd));
	if (pd == NULL) {
		KEEL_LOG(ERR, keel_logtype_pci, "pci %s: out of memory", bdf);
		st->failed++;
		return;
	}
	ret = drv->probe(bdf, id);
	if (ret < 0) {
		KEEL_LOG(ERR, keel_logtype_pci,
			 "pci %s (%04x:%04x): driver %s probe failed: %s, "
			 "device skipped", bdf, vendor, device, drv->name,
			 strerror(-ret));
		free(pd);
		st->failed++;
		return;
	}
	memcpy(pd->bdf, bdf, sizeof(bdf));
	pd->drv = drv;
	pd->next = dev_list;
	dev_list = pd;
	st->attached++;
	(*attached)++;
	KEEL_LOG(INFO, keel_logtype_pci, "pci %s (%04x:%04x): driver %s", bdf,
		 vendor, device, drv->name);
}

int
keel_pci_scan(struct keel_pci_scan_stats *stp)
{
	struct keel_pci_scan_stats st = { 0 };
	char devices[PATH_MAX];
	struct dirent *de;
	int attached = 0;
	DIR *d;

	pthread_mutex_lock(&bus_lock);
	/* sysfs_root is kept short enough (keel_pci_set_sysfs_root()) */
	if ((size_t)snprintf(devices, sizeof(devices), "%s/bus/pci/devices",
			     sysfs_root) >= sizeof(devices)) {
		d = NULL;
		errno = ENAMETOOLONG;
	} else {
		d = opendir(devices);
	}
	if (d == NULL) {
		int err = errno;

		pthread_mutex_unlock(&bus_lock);
		if (stp != NULL)
			*stp = st;
		if (err == ENOENT) {
			KEEL_LOG(DEBUG, keel_logtype_pci,
				 "pci scan: no %s, no PCI devices", devices);
			return 0;
		}
		KEEL_LOG(ERR, keel_logtype_pci, "pci scan: cannot open %s: %s",
			 devices, strerror(err));
		return fail(err);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		scan_entry(devices, de->d_name, &st, &attached);
	}
	closedir(d);
	pthread_mutex_unlock(&bus_lock);
	if (stp != NULL)
		*stp = st;
	return attached;
}

int
keel_pci_remove_all(void)
{
	int n = 0;

	pthread_mutex_lock(&bus_lock);
	while (dev_list != NULL) {
		dev_remove_locked(&dev_list);
		n++;
	}
	pthread_mutex_unlock(&bus_lock);
	return n;
}

int
keel_pci_device_count(void)
{
	int n = 0;

	pthread_mutex_lock(&bus_lock);
	for (struct pci_dev *pd = dev_list; pd != NULL; pd = pd->next)
		n++;
	pthread_mutex_unlock(&bus_lock);
	return n;
}

const char *
keel_pci_device_driver(const char *bdf)
{
	char canon[KEEL_PCI_ADDR_LEN];
	struct pci_dev *pd;
	const char *name = NULL;

	if (keel_pci_addr_parse(bdf, canon) < 0)
		return NULL;
	pthread_mutex_lock(&bus_lock);
	pd = dev_find_locked(canon);
	if (pd != NULL)
		name = pd->drv->name;
	pthread_mutex_unlock(&bus_lock);
	return name;
}

int
keel_pci_set_sysfs_root(const char *root)
{
	if (root == NULL)
		root = PCI_DEFAULT_SYSFS;
	if (root[0] != '/') {
		KEEL_LOG(ERR, keel_logtype_pci,
			 "pci sysfs root '%s' is not an absolute path", root);
		return fail(EINVAL);
	}
	/* room for "/bus/pci/devices/<bdf>/<attr>" after it */
	if (strlen(root) >= sizeof(sysfs_root) - 64) {
		KEEL_LOG(ERR, keel_logtype_pci, "pci sysfs root too long (%zu)",
			 strlen(root));
		return fail(ENAMETOOLONG);
	}
	pthread_mutex_lock(&bus_lock);
	if (dev_list != NULL) {
		pthread_mutex_unlock(&bus_lock);
		KEEL_LOG(ERR, keel_logtype_pci,
			 "pci sysfs root '%s': devices are attached", root);
		return fail(EBUSY);
	}
	snprintf(sysfs_root, sizeof(sysfs_root), "%s", root);
	pthread_mutex_unlock(&bus_lock);
	return 0;
}

const char *
keel_pci_get_sysfs_root(void)
{
	return sysfs_root;
}

void
keel_pci_dump(FILE *f)
{
	if (f == NULL)
		f = stdout;
	pthread_mutex_lock(&bus_lock);
	fprintf(f, "pci bus (sysfs %s)\n", sysfs_root);
	for (struct keel_pci_driver *d = drv_list; d != NULL; d = d->next) {
		fprintf(f, "  driver %s:", d->name);
		for (unsigned int i = 0; i < d->nb_ids; i++)
			fprintf(f, " %04x:%04x", d->ids[i].vendor,
				d->ids[i].device);
		fprintf(f, "\n");
	}
	for (struct pci_dev *pd = dev_list; pd != NULL; pd = pd->next)
		fprintf(f, "  device %s -> %s\n", pd->bdf, pd->drv->name);
	pthread_mutex_unlock(&bus_lock);
}

/* ------------------------------------------------------------ EAL bus */

static int
pci_bus_probe(void)
{
	int ret = keel_pci_scan(NULL);

	/* only running out of memory fails the EAL; the rest is logged */
	return ret == -ENOMEM ? ret : 0;
}

static void
pci_bus_cleanup(void)
{
	keel_pci_remove_all();
}

static struct keel_bus pci_bus = {
	.name = "pci",
	.probe = pci_bus_probe,
	.cleanup = pci_bus_cleanup,
};

KEEL_BUS_REGISTER(pci_bus)
