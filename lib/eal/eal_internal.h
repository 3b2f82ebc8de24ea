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

/* memory.c */
int eal_memory_init(void);
void eal_memory_cleanup(void);
/* -m / --socket-mem in alloc IOVA mode, once the IOMMU container exists */
int eal_memory_prealloc(void);
/* highest VA any segment list may use */
uint64_t eal_mem_va_last(void);
/*
 * --iova-mode auto, when the IOMMU cannot reach the VAs: give every page
 * allocated so far an IOVA from the hook and continue in alloc mode. Only
 * before any memory callback is registered (nobody has seen an IOVA yet).
 */
int eal_mem_switch_to_alloc(void);
void eal_memory_prealloc_undo(void);
/*
 * Allocate @p len bytes (a multiple of the page size) of VA-contiguous
 * pages on @p socket (-1: any), fire ALLOC events. Returns the VA or NULL
 * with errno (ENOMEM: no pages or no VA room; an event callback's error).
 */
void *eal_mem_alloc_pages(int socket, uint64_t len);
/* Fire FREE events and release pages got from eal_mem_alloc_pages(). */
int eal_mem_free_pages(void *va, uint64_t len);
uint64_t eal_mem_page_size(void);
/*
 * In KEEL_IOVA_ALLOC mode the IOMMU container assigns IOVAs: memory calls
 * alloc() for every new run of pages before firing ALLOC events, and free()
 * after the FREE events. Set by eal_iommu_init(), cleared at cleanup.
 */
struct eal_iova_hook {
	int (*alloc)(uint64_t len, uint64_t align, uint64_t *iova, void *arg);
	void (*free)(uint64_t iova, uint64_t len, void *arg);
	void *arg;
};
void eal_mem_set_iova_hook(const struct eal_iova_hook *hook);
/* IOVA mode in force (never DC after init) */
extern enum keel_iova_mode eal_iova_mode_cur;
int eal_mem_socket_of(const void *va);
/* i-th run preallocated by -m / --socket-mem; -ENOENT past the last */
int eal_mem_prealloc_get(int i, void **va, uint64_t *len);

/* drivers.c: the driver directory and -d files and directories */
int eal_drivers_load(void);
void eal_drivers_unload(void);

/* bus.c */
int eal_bus_probe(void);
void eal_bus_cleanup(void);

/* iommu/iommu_eal.c (the IOMMU container) */
int eal_iommu_init(void);
void eal_iommu_cleanup(void);

/* malloc.c / memzone.c */
void *eal_heap_alloc(int socket, uint64_t size, uint64_t align, uint64_t bound,
		     bool strict, const char *type);
int eal_malloc_init(void);
void eal_malloc_cleanup(void);
int eal_memzone_init(void);
void eal_memzone_cleanup(void);

#endif
