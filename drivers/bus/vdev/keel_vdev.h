/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VDEV_H
#define KEEL_VDEV_H

/**
 * @file
 * The virtual device bus: software devices ("dma_soft0") created from the
 * EAL's --vdev arguments or by API.
 *
 * A driver registers under a name prefix with KEEL_VDEV_DRIVER_REGISTER();
 * a device named "<prefix><anything>" is handed to the driver whose prefix
 * is the longest match. The registration also embeds a driver info string
 * in the object's ".keel_pmd_info" section, which buildtools/pmdinfo.py
 * lists from a .so, .a or executable.
 *
 * Lock: one mutex serialises create/remove/probe and driver registration;
 * drivers' probe and remove run with it held (they must not call back into
 * the bus).
 */

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A virtual device driver. */
struct keel_vdev_driver {
	const char *name;    /**< prefix of its device names, e.g. "dma_soft" */
	const char *params;  /**< accepted arguments, for help and pmdinfo */
	/** Create device @p name from @p args ("" when none): 0 or -errno. */
	int (*probe)(const char *name, const char *args);
	/** Destroy device @p name: 0 or -errno. */
	int (*remove)(const char *name);
	struct keel_vdev_driver *next; /**< bus-internal */
};

/** Register a driver (called by KEEL_VDEV_DRIVER_REGISTER's constructor). */
void keel_vdev_driver_register(struct keel_vdev_driver *drv);

/** Make a JSON-safe literal of a macro argument. */
#define KEEL_PMD_STR_(x) #x
/**
 * Register driver @p drv (a struct keel_vdev_driver) under prefix @p nm and
 * embed "KEEL_PMD_INFO={...}" naming it, its bus and @p params_str (a
 * string literal without double quotes or backslashes).
 *
 * It also defines the global symbol keel_pmd_anchor_<nm>: nothing calls a
 * driver directly, so programs link it with -Wl,-u,keel_pmd_anchor_<nm>,
 * which keeps the driver (and its constructor) in the link with
 * --as-needed and pulls it out of a static archive.
 */
#define KEEL_VDEV_DRIVER_REGISTER(nm, drv, params_str) \
	const int keel_pmd_anchor_##nm __attribute__((used)) = 1; \
	static const char keel_pmd_info_##nm[] \
		__attribute__((used, section(".keel_pmd_info"), aligned(1))) = \
		"KEEL_PMD_INFO={\"name\":\"" KEEL_PMD_STR_(nm) \
		"\",\"bus\":\"vdev\",\"params\":\"" params_str "\"}"; \
	__attribute__((constructor)) static void keel_vdev_drv_ctor_##nm(void) \
	{ \
		(drv).name = KEEL_PMD_STR_(nm); \
		(drv).params = params_str; \
		keel_vdev_driver_register(&(drv)); \
	}

/**
 * Create a virtual device. The EAL must be initialised.
 *
 * @param name  device name, e.g. "dma_soft0" (at most 63 characters)
 * @param args  driver arguments "k=v,k=v" (NULL or "" for none)
 * @return 0; -EINVAL (bad name), -ENOENT (no driver for the name, logged),
 *         -EEXIST (exists), -ENOSPC, or the driver's error.
 */
int keel_vdev_create(const char *name, const char *args);

/**
 * Remove a virtual device created by keel_vdev_create() or from --vdev.
 * @return 0, -ENOENT (no such device), or the driver's error.
 */
int keel_vdev_remove(const char *name);

/**
 * Create the devices named by the EAL's --vdev arguments that do not exist
 * yet (so calling it again is harmless).
 *
 * @return the number of devices created, or the first error (the devices
 *         created by this call are removed again then).
 */
int keel_vdev_probe_eal(void);

/** Remove every virtual device. @return the number removed. */
int keel_vdev_remove_all(void);

/** @return the number of virtual devices. */
int keel_vdev_count(void);

/** Print drivers and devices to @p f (stdout when NULL). */
void keel_vdev_dump(FILE *f);

/** Log component of the vdev bus. */
extern int keel_logtype_vdev;

#ifdef __cplusplus
}
#endif
#endif /* KEEL_VDEV_H */
