/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_BUS_H
#define KEEL_BUS_H

/**
 * @file
 * Buses (vdev, pci, ...) register with the EAL from a constructor.
 * keel_eal_init() calls every bus's probe() last, once memory and the IOMMU
 * container exist; keel_eal_cleanup() calls cleanup() first, in reverse
 * registration order. A probe failure fails init, after the buses already
 * probed have been cleaned up.
 *
 * Hotplug: keel_dev_probe("net_null2,size=64") and keel_dev_remove() create
 * and remove one device while the application runs, through the first bus
 * whose plug()/unplug() recognises the name.
 */

#ifdef __cplusplus
extern "C" {
#endif

/** A bus. The structure must stay valid while registered. */
struct keel_bus {
	const char *name; /**< "vdev", "pci": keel_bus_find() takes it */
	/** create the devices (from --vdev, a PCI scan, ...); 0 or -errno */
	int (*probe)(void);
	/** remove every device the bus created */
	void (*cleanup)(void);
	/**
	 * Optional: create device @p name with @p args ("" for none).
	 * @return 0, -ENODEV (without logging) when @p name is not a device
	 *         name of this bus, or another -errno (logged).
	 */
	int (*plug)(const char *name, const char *args);
	/**
	 * Optional: remove device @p name.
	 * @return 0, -ENODEV (without logging) when the bus has no such
	 *         device, or another -errno (logged).
	 */
	int (*unplug)(const char *name);
	struct keel_bus *next; /**< private to the EAL */
};

/** Register a bus (idempotent). */
void keel_bus_register(struct keel_bus *bus);

/** Remove a bus (e.g. when its shared object is unloaded). */
void keel_bus_unregister(struct keel_bus *bus);

/** Find a bus by name; NULL if none. */
struct keel_bus *keel_bus_find(const char *name);

/** Longest device name accepted by keel_dev_probe(), NUL included. */
#define KEEL_DEV_NAME_MAX 64

/**
 * Create a device while the application runs (hotplug), as --vdev would at
 * start-up.
 *
 * @param devargs  "NAME" or "NAME,key=value,..." (e.g. "net_null2,size=64")
 * @return 0; -EINVAL (NULL, empty or too long name; EAL not initialised),
 *         -ENODEV (no bus knows the name), or the bus's error (-EEXIST,
 *         the driver's -EINVAL for a bad argument, ...). Logged.
 */
int keel_dev_probe(const char *devargs);

/**
 * Remove a device created by keel_dev_probe() or at start-up.
 * @return 0; -EINVAL (NULL name), -ENODEV (no bus has it), or the bus's
 *         error. Logged.
 */
int keel_dev_remove(const char *name);

/** Register @p bus from a constructor. */
#define KEEL_BUS_REGISTER(bus) \
	__attribute__((constructor)) static void keel_bus_ctor_##bus(void) \
	{ \
		keel_bus_register(&(bus)); \
	}

#ifdef __cplusplus
}
#endif
#endif /* KEEL_BUS_H */
