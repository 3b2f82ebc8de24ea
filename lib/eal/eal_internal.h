/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_EAL_INTERNAL_H
#define KEEL_EAL_INTERNAL_H

/*
 * EAL-private state shared between the EAL's files. eal_cfg is written only
 * by keel_eal_init() (single-threaded, before workers start) and cleared by
 * keel_eal_cleanup(); everything else reads it.
 */
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "keel_eal.h"

#define EAL_MAX_NUMA 8

struct eal_lcore_cfg {
	bool enabled;
	cpu_set_t cpus;
	int socket_id;
};

struct eal_config {
	struct eal_lcore_cfg lcore[KEEL_MAX_LCORE];
	unsigned int main_lcore;
	unsigned int n_lcores;

	uint64_t mem_size;                 /* -m, bytes; 0 = none given */
	uint64_t socket_mem[EAL_MAX_NUMA]; /* --socket-mem, bytes */
	bool socket_mem_set;
	bool no_huge;
	bool in_memory;
	char huge_dir[PATH_MAX];
	char file_prefix[64];
	enum keel_iova_mode iova_mode;     /* requested; DC = auto */
	enum keel_iommu_kind iommu;        /* requested; AUTO = auto */
	bool no_pci;
	bool syslog;

	struct keel_devarg allow[KEEL_EAL_MAX_DEVARGS];
	int n_allow;
	struct keel_devarg block[KEEL_EAL_MAX_DEVARGS];
	int n_block;
	struct keel_devarg vdev[KEEL_EAL_MAX_DEVARGS];
	int n_vdev;
#define EAL_MAX_DRIVER_ARGS 16
	const char *driver_paths[EAL_MAX_DRIVER_ARGS]; /* -d values */
	int n_driver_paths;
#define EAL_MAX_LOG_ARGS 16
	const char *log_levels[EAL_MAX_LOG_ARGS]; /* --log-level values */
	int n_log_levels;
};

extern struct eal_config eal_cfg;

/* log.c: components matching a glob; @p names gets every component's name */
int eal_log_match_count(const char *pattern, char *names, size_t len);

/* log.c: keel_eal_init() takes a snapshot of the log levels and patterns;
 * keel_eal_cleanup() and a failed init put it back (and the stream back
 * to stderr) */
void eal_log_save(void);
void eal_log_restore(void);

/* iommu/emu: forget the emulated IOMMU's process-wide state (fault log and
 * counters, test seams, cached table pages) at keel_eal_cleanup() */
void eal_emu_reset(void);

/* options.c */
/* fills cfg; *consumed = EAL arguments used ("--" included, argv[0] not) */
int eal_parse_args(int argc, char **argv, struct eal_config *cfg,
		   int *consumed);
int eal_parse_size(const char *s, uint64_t *out);
int eal_parse_cpulist(const char *s, cpu_set_t *set);

/* lcore.c */
int eal_lcore_init(void);
void eal_lcore_cleanup(void);
int eal_lcores_busy(void);
int eal_cpu_socket_id(unsigned int cpu);

/* memory.c: its interface to the EAL's other files */
#include "eal_memory_internal.h"

/* drivers.c: the driver directory and -d files and directories */
int eal_drivers_load(void);
void eal_drivers_unload(void);

/* bus.c */
int eal_bus_probe(void);
void eal_bus_cleanup(void);

/* malloc.c / memzone.c */
void *eal_heap_alloc(int socket, uint64_t size, uint64_t align, uint64_t bound,
		     bool strict, const char *type);
int eal_malloc_init(void);
void eal_malloc_cleanup(void);
int eal_memzone_init(void);
void eal_memzone_cleanup(void);

#endif
