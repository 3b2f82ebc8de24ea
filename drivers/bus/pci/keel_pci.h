/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_PCI_H
#define KEEL_PCI_H

/**
 * @file
 * A minimal PCI bus: drivers register with the vendor:device ids they
 * handle; the bus's probe (run by keel_eal_init()) scans
 * SYSFS/bus/pci/devices, keeps the devices bound to vfio-pci that pass
 * the EAL's -a / -b / --no-pci filters (keel_eal_pci_allowed()), and hands
 * each to the driver matching its ids. keel_eal_cleanup() removes them.
 *
 * sysfs is input the bus does not trust: a malformed name or attribute
 * (vendor, device, the driver link) is logged with its value and that
 * device is skipped; the scan goes on. A driver whose probe fails is
 * logged and its device is skipped too: one bad device never fails the
 * EAL's initialisation.
 *
 * Lock: one mutex serialises scan, removal, driver (un)registration and the
 * sysfs root; drivers' probe and remove run with it held and must not call
 * back into the bus.
 */

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Length of a canonical PCI address "dddd:bb:dd.f" with its NUL. */
#define KEEL_PCI_ADDR_LEN 13

/** One vendor:device pair a driver handles. */
struct keel_pci_id {
	uint16_t vendor;  /**< PCI vendor id */
	uint16_t device;  /**< PCI device id */
};

/** A PCI driver. The structure must stay valid while registered. */
struct keel_pci_driver {
	const char *name;                 /**< e.g. "dma_edu" */
	const struct keel_pci_id *ids;    /**< ids handled */
	unsigned int nb_ids;              /**< entries in @p ids (>= 1) */
	/** Take device @p bdf ("0000:00:03.0"), whose ids are @p id: 0 or
	 *  -errno (the device is then left alone). */
	int (*probe)(const char *bdf, const struct keel_pci_id *id);
	/** Release device @p bdf: 0 or -errno. */
	int (*remove)(const char *bdf);
	struct keel_pci_driver *next;     /**< bus-internal */
};

/**
 * Register a driver (what KEEL_PCI_DRIVER_REGISTER's constructor calls).
 * @return 0; -EINVAL (NULL, no name, no ids, no probe/remove);
 *         -EEXIST (a driver of that name is registered).
 */
int keel_pci_driver_register(struct keel_pci_driver *drv);

/**
 * Unregister a driver; its devices are removed first.
 * @return 0, or -ENOENT when it is not registered.
 */
int keel_pci_driver_unregister(struct keel_pci_driver *drv);

/** @cond internal */
#define KEEL_PCI_STR_(x) #x
/** @endcond */

/**
 * Register PCI driver @p drv (a struct keel_pci_driver with ids, probe and
 * remove set) as @p nm, and embed "KEEL_PMD_INFO={...}" naming it, the bus
 * "pci" and @p ids_str (a literal such as "1234:11e8", no quotes or
 * backslashes) for buildtools/pmdinfo.py. Defines the global symbol
 * keel_pmd_anchor_<nm> (see KEEL_VDEV_DRIVER_REGISTER).
 */
#define KEEL_PCI_DRIVER_REGISTER(nm, drv, ids_str) \
	const int keel_pmd_anchor_##nm __attribute__((used)) = 1; \
	static const char keel_pmd_info_##nm[] \
		__attribute__((used, section(".keel_pmd_info"), aligned(1))) = \
		"KEEL_PMD_INFO={\"name\":\"" KEEL_PCI_STR_(nm) \
		"\",\"bus\":\"pci\",\"pci_ids\":\"" ids_str "\"}"; \
	__attribute__((constructor)) static void keel_pci_drv_ctor_##nm(void) \
	{ \
		(drv).name = KEEL_PCI_STR_(nm); \
		keel_pci_driver_register(&(drv)); \
	}

/** What one scan found (keel_pci_scan()). */
struct keel_pci_scan_stats {
	unsigned int seen;       /**< directory entries looked at */
	unsigned int malformed;  /**< skipped: bad name or attribute (logged) */
	unsigned int not_vfio;   /**< skipped: not bound to vfio-pci */
	unsigned int filtered;   /**< skipped: -a / -b / --no-pci */
	unsigned int no_driver;  /**< skipped: no driver for the ids */
	unsigned int failed;     /**< skipped: driver probe failed (logged) */
	unsigned int attached;   /**< newly handed to a driver */
};

/**
 * Scan SYSFS/bus/pci/devices and attach the devices not attached yet
 * (so a second scan is harmless).
 * @param st  counters of this scan (may be NULL)
 * @return the number of devices attached by this call; 0 when the
 *         directory does not exist (no PCI); -errno when it cannot be read
 *         or on ENOMEM.
 */
int keel_pci_scan(struct keel_pci_scan_stats *st);

/** Remove every attached device (in reverse order). @return how many. */
int keel_pci_remove_all(void);

/** @return the number of attached devices. */
int keel_pci_device_count(void);

/**
 * Whether device @p bdf is attached, and to which driver.
 * @return the driver's name, or NULL.
 */
const char *keel_pci_device_driver(const char *bdf);

/**
 * Set the sysfs root ("/sys" by default; NULL restores it), for tests on a
 * fake tree. @return 0, -EINVAL (not an absolute path), -ENAMETOOLONG,
 *         -EBUSY (devices are attached).
 */
int keel_pci_set_sysfs_root(const char *root);

/** @return the sysfs root in use. */
const char *keel_pci_get_sysfs_root(void);

/**
 * Parse a PCI address "dddd:bb:dd.f" or "bb:dd.f" (hex, domain <= 0xffff,
 * bus <= 0xff, device <= 0x1f, function <= 7) into the canonical
 * lower-case "dddd:bb:dd.f".
 * @return 0, or -EINVAL (out untouched).
 */
int keel_pci_addr_parse(const char *s, char out[KEEL_PCI_ADDR_LEN]);

/** Print drivers and attached devices to @p f (stdout when NULL). */
void keel_pci_dump(FILE *f);

/** Log component of the PCI bus. */
extern int keel_logtype_pci;

#ifdef __cplusplus
}
#endif
#endif /* KEEL_PCI_H */
