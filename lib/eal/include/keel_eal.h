/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_EAL_H
#define KEEL_EAL_H

/**
 * @file
 * Environment abstraction layer: start-up and shut-down.
 *
 * keel_eal_init() parses DPDK-style arguments, sets up logging, lcores,
 * memory, the IOMMU container and the devices, and returns how many
 * arguments it consumed. Unlike DPDK, it may be called again after
 * keel_eal_cleanup() in the same process. A failed init leaves nothing
 * behind: no threads, fds, files or hugepages.
 */

#include <stdint.h>

#include "keel_cycles.h"
#include "keel_lcore.h"
#include "keel_log.h"
#include "keel_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Which IOMMU backend the default container uses. */
enum keel_iommu_kind {
	KEEL_IOMMU_AUTO = 0,  /**< VFIO when usable, else emulated */
	KEEL_IOMMU_VFIO,      /**< VFIO type1 (kernel IOMMU) */
	KEEL_IOMMU_EMULATED,  /**< in-process emulated IOMMU */
	KEEL_IOMMU_NONE,      /**< no IOMMU: IOVA is used as is */
};

/**
 * Initialise the EAL.
 *
 * @param argc, argv  program arguments; argv[0] is the program name.
 *                    Parsing stops at "--" (consumed) or at the first
 *                    non-option. Options take getopt_long()'s forms
 *                    ("-l0", "--vdev=x", unique prefixes of long names),
 *                    but getopt() itself is not used: the application's
 *                    getopt state (optind, opterr, optarg, optopt and
 *                    glibc's own) is left as it was.
 * @return as DPDK: the number n of EAL arguments consumed, argv[0] not
 *         counted; argv[n] is overwritten with argv[0] so the application
 *         continues with (argc - n, argv + n). Or a negative errno (errno
 *         set too): -EINVAL for a bad argument (a log line names it),
 *         -ECANCELED after -h/--help printed the usage (the application's
 *         through keel_set_application_usage_hook(), then the EAL's), -EALREADY when
 *         already initialised, -ENOMEM when memory cannot be had, -ENODEV
 *         when a requested backend is missing. On failure nothing is left
 *         allocated.
 */
int keel_eal_init(int argc, char **argv);

/**
 * Release everything keel_eal_init() set up: stops and joins worker lcores,
 * frees memory, closes fds. keel_eal_init() may be called again afterwards.
 * Worker lcores must be idle (keel_eal_mp_wait()).
 *
 * Nothing of the run outlives it: log levels and patterns go back to what
 * they were when keel_eal_init() was called (levels set with --log-level or
 * keel_log_set_level() meanwhile are undone; levels set before init stay),
 * the log stream goes back to stderr, and the emulated IOMMU's fault log
 * and counters are emptied. A failed keel_eal_init() does the same.
 *
 * Devices are closed first (a driver may run its engine on a worker lcore);
 * if an application function still runs on a worker, -EBUSY is returned and
 * the EAL stays initialised (without its devices) so cleanup can be retried.
 *
 * @return 0, or -EALREADY when not initialised, -EBUSY when a worker is busy.
 */
int keel_eal_cleanup(void);

/** @return 1 between a successful keel_eal_init() and keel_eal_cleanup(). */
int keel_eal_is_initialized(void);

/** Print the usage text for EAL options to a stream. */
void keel_eal_usage(FILE *f);

/**
 * An application's usage function: prints the application's own usage
 * line and options to stdout (keel_eal_init() prints the EAL's after it).
 */
typedef void (*keel_usage_hook_t)(const char *prgname);

/**
 * Set the function -h / --help calls before the EAL's options are printed,
 * as DPDK's rte_set_application_usage_hook(). Without one, --help prints
 * "usage: PRG [EAL options] [-- application options]". keel_eal_init()
 * then returns -ECANCELED: the application should exit with status 0.
 * Kept across keel_eal_cleanup().
 *
 * @return the previous hook (NULL if none).
 */
keel_usage_hook_t keel_set_application_usage_hook(keel_usage_hook_t hook);

/**
 * The driver directory keel_eal_init() loads every driver library from:
 * "keel/drivers-<ABI>" next to the libkeel_eal.so in use (an installed
 * Keel has a link to each of its drivers there, so drivers are found
 * however the program was linked, --as-needed included).
 *
 * @return the path (whether it exists or not), or NULL when the EAL is
 *         linked statically (a static program carries its drivers).
 */
const char *keel_eal_driver_dir(void);

/** The IOMMU backend kind chosen by --iommu (after auto resolution). */
enum keel_iommu_kind keel_eal_iommu_kind(void);

/** Name of an IOMMU kind ("auto", "vfio", "emulated", "none"). */
const char *keel_iommu_kind_name(enum keel_iommu_kind kind);

/** Keel's version string. */
const char *keel_version(void);

/** Maximum number of -a / -b / --vdev arguments kept. */
#define KEEL_EAL_MAX_DEVARGS 64

/** A device argument: from -a (allow), -b (block) or --vdev. */
struct keel_devarg {
	char name[64];     /**< "0000:00:04.0" or "dma_soft0" */
	char args[256];    /**< the text after the first ',' ("" when none) */
};

/** @return the number of --vdev arguments. */
int keel_eal_vdev_count(void);
/** @return --vdev argument @p i (0..count - 1), or NULL out of range. */
const struct keel_devarg *keel_eal_vdev_get(int i);
/** @return 1 if a PCI address passes -a/-b filters and --no-pci. */
int keel_eal_pci_allowed(const char *pci_addr);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_EAL_H */
