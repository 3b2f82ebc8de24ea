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
 */

#ifdef __cplusplus
extern "C" {
#endif

/** A bus. The structure must stay valid while registered. */
struct keel_bus {
	const char *name;
	/** create the devices (from --vdev, a PCI scan, ...); 0 or -errno */
	int (*probe)(void);
	/** remove every device the bus created */
	void (*cleanup)(void);
	struct keel_bus *next; /**< private to the EAL */
};

/** Register a bus (idempotent). */
void keel_bus_register(struct keel_bus *bus);

/** Remove a bus (e.g. when its shared object is unloaded). */
void keel_bus_unregister(struct keel_bus *bus);

/** Find a bus by name; NULL if none. */
struct keel_bus *keel_bus_find(const char *name);

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
