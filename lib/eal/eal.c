/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel_eal_init() / keel_eal_cleanup().
 *
 * Init runs the steps of init_steps[] in order; if one fails, the steps
 * already done are undone in reverse, so a failed init leaves nothing behind
 * (no threads, fds, mappings or files) and init may be retried. Cleanup undoes
 * all steps in reverse. `initialized` is the only state shared with other
 * threads; init and cleanup themselves must not race (like DPDK, they are
 * called from the main thread).
 *
 * Nothing one init sets may outlive its cleanup (tests run one after
 * another in one process rely on it). Process-wide state, file by file:
 *   eal.c      eal_cfg, main lcore affinity: undone here
 *   drivers.c  loaded driver objects stay loaded on purpose (RTLD_NODELETE:
 *              their registrations outlive a cleanup)
 *   log.c      levels and patterns: snapshot at init, restored
 *              (eal_log_restore); stream back to stderr; syslog closed if
 *              --syslog opened it
 *   lcore.c    workers joined, this_lcore reset; the NUMA probe result is
 *              a fact of the machine and is kept
 *   cycles.c   the TSC frequency: a fact of the machine, kept
 *   memory.c   lists, callbacks, stats, IOVA hook and mode, pagemap fd
 *   malloc.c   heaps, bad-free counter;  memzone.c: zones
 *   bus.c      probed buses (the registry itself is filled by
 *              constructors and stays)
 *   iommu/     default container and its registration; the emulated
 *              IOMMU's fault log, counters, test seams and table-page
 *              cache, its /proc/self/maps fd and its bus-error signal
 *              handlers (eal_emu_reset); backend registrations and the VFIO
 *              ops/sysfs seams belong to whoever set them and stay
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "eal_internal.h"
#include "iommu_internal.h"

struct eal_config eal_cfg;

static int initialized;
static cpu_set_t saved_affinity;

const char *
keel_version(void)
{
	return "Keel 0.1.0";
}

int
keel_eal_is_initialized(void)
{
	return __atomic_load_n(&initialized, __ATOMIC_ACQUIRE);
}

const char *
keel_iommu_kind_name(enum keel_iommu_kind kind)
{
	switch (kind) {
	case KEEL_IOMMU_AUTO: return "auto";
	case KEEL_IOMMU_VFIO: return "vfio";
	case KEEL_IOMMU_EMULATED: return "emulated";
	case KEEL_IOMMU_NONE: return "none";
	}
	return "?";
}

enum keel_iommu_kind
keel_eal_iommu_kind(void)
{
	return eal_iommu_kind();
}

int
keel_eal_vdev_count(void)
{
	return eal_cfg.n_vdev;
}

const struct keel_devarg *
keel_eal_vdev_get(int i)
{
	if (i < 0 || i >= eal_cfg.n_vdev)
		return NULL;
	return &eal_cfg.vdev[i];
}

/* canonical form DDDD:BB:DD.F of a PCI address, or "" */
static void
pci_canon(const char *in, char out[16])
{
	unsigned int d = 0, b, dev, f;

	out[0] = '\0';
	if (sscanf(in, "%x:%x:%x.%x", &d, &b, &dev, &f) == 4 ||
	    (d = 0, sscanf(in, "%x:%x.%x", &b, &dev, &f) == 3))
		snprintf(out, 16, "%04x:%02x:%02x.%x", d & 0xffff, b & 0xff,
			 dev & 0x1f, f & 7);
}

int
keel_eal_pci_allowed(const char *addr)
{
	char a[16], c[16];
	int i;

	if (eal_cfg.no_pci || addr == NULL)
		return 0;
	pci_canon(addr, a);
	if (a[0] == '\0')
		return 0;
	for (i = 0; i < eal_cfg.n_block; i++) {
		pci_canon(eal_cfg.block[i].name, c);
		if (strcmp(a, c) == 0)
			return 0;
	}
	if (eal_cfg.n_allow == 0)
		return 1;
	for (i = 0; i < eal_cfg.n_allow; i++) {
		pci_canon(eal_cfg.allow[i].name, c);
		if (strcmp(a, c) == 0)
			return 1;
	}
	return 0;
}

/* --log-level values, validated by the parser, in command-line order */
static void
apply_log_levels(const struct eal_config *cfg)
{
	int i;

	for (i = 0; i < cfg->n_log_levels; i++) {
		const char *v = cfg->log_levels[i], *colon = strrchr(v, ':');
		char comp[KEEL_LOG_NAME_MAX];

		if (colon == NULL) {
			keel_log_set_level("*", (uint32_t)keel_log_level_parse(v));
			continue;
		}
		memcpy(comp, v, (size_t)(colon - v));
		comp[colon - v] = '\0';
		keel_log_set_level(comp, (uint32_t)keel_log_level_parse(colon + 1));
	}
}

/*
 * A --log-level pattern that matches no component is most likely a typo:
 * say so once every driver has registered its components (the level still
 * applies to components registered later).
 */
static void
warn_unmatched_log_levels(const struct eal_config *cfg)
{
	char names[1024];
	int i;

	for (i = 0; i < cfg->n_log_levels; i++) {
		const char *v = cfg->log_levels[i], *colon = strrchr(v, ':');
		char comp[KEEL_LOG_NAME_MAX];

		if (colon == NULL)
			continue;
		memcpy(comp, v, (size_t)(colon - v));
		comp[colon - v] = '\0';
		if (eal_log_match_count(comp, names, sizeof(names)) == 0)
			KEEL_LOG(WARNING, keel_logtype_eal,
				 "--log-level '%s': no log component matches '%s' "
				 "(components: %s)", v, comp, names);
	}
}

static int
pin_main(void)
{
	int ret;

	if (sched_getaffinity(0, sizeof(saved_affinity), &saved_affinity) != 0)
		return -errno;
	ret = pthread_setaffinity_np(pthread_self(), sizeof(cpu_set_t),
				     &eal_cfg.lcore[eal_cfg.main_lcore].cpus);
	if (ret != 0) {
		KEEL_LOG(ERR, keel_logtype_eal, "cannot pin main lcore %u: %s",
			 eal_cfg.main_lcore, strerror(ret));
		return -ret;
	}
	return 0;
}

static void
unpin_main(void)
{
	pthread_setaffinity_np(pthread_self(), sizeof(saved_affinity),
			       &saved_affinity);
}

static int
tsc_init(void)
{
	keel_get_tsc_hz();
	return 0;
}

static void
nothing(void)
{
}

/* The IOMMU layer gets the options it needs, not the EAL's configuration. */
static int
iommu_init(void)
{
	const struct eal_iommu_params p = {
		.kind = eal_cfg.iommu,
		.iova_mode_auto = eal_cfg.iova_mode == KEEL_IOVA_DC,
	};

	return eal_iommu_init(&p);
}

struct init_step {
	const char *name;
	int (*init)(void);
	void (*undo)(void);
};

static const struct init_step init_steps[] = {
	{ "timer", tsc_init, nothing },
	{ "main lcore", pin_main, unpin_main },
	{ "lcores", eal_lcore_init, eal_lcore_cleanup },
	{ "drivers", eal_drivers_load, eal_drivers_unload },
	{ "memory", eal_memory_init, eal_memory_cleanup },
	{ "iommu", iommu_init, eal_iommu_cleanup },
	{ "preallocation", eal_memory_prealloc, eal_memory_prealloc_undo },
	{ "malloc", eal_malloc_init, eal_malloc_cleanup },
	{ "memzone", eal_memzone_init, eal_memzone_cleanup },
	{ "buses", eal_bus_probe, eal_bus_cleanup },
};
#define N_STEPS ((int)(sizeof(init_steps) / sizeof(init_steps[0])))

static void
undo_steps(int n)
{
	while (n-- > 0)
		init_steps[n].undo();
}

int
keel_eal_init(int argc, char **argv)
{
	struct eal_config *cfg;
	int ret, i, consumed = 0;

	if (keel_eal_is_initialized()) {
		KEEL_LOG(ERR, keel_logtype_eal, "EAL already initialised");
		errno = EALREADY;
		return -EALREADY;
	}
	if (argc < 1 || argv == NULL || argv[0] == NULL) {
		errno = EINVAL;
		return -EINVAL;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		errno = ENOMEM;
		return -ENOMEM;
	}
	ret = eal_parse_args(argc, argv, cfg, &consumed);
	if (ret != 0) {
		free(cfg);
		errno = -ret;
		return ret;
	}
	eal_cfg = *cfg;
	free(cfg);
	eal_log_save();
	apply_log_levels(&eal_cfg);
	if (eal_cfg.syslog)
		keel_log_set_syslog(1, "keel");

	for (i = 0; i < N_STEPS; i++) {
		ret = init_steps[i].init();
		if (ret < 0) {
			KEEL_LOG(ERR, keel_logtype_eal, "init failed at %s: %s",
				 init_steps[i].name, strerror(-ret));
			undo_steps(i);
			if (eal_cfg.syslog)
				keel_log_set_syslog(0, NULL);
			eal_log_restore();
			memset(&eal_cfg, 0, sizeof(eal_cfg));
			errno = -ret;
			return ret;
		}
	}
	__atomic_store_n(&initialized, 1, __ATOMIC_RELEASE);
	warn_unmatched_log_levels(&eal_cfg);

	/* as DPDK: the application continues at argv + consumed */
	if (consumed > 0)
		argv[consumed] = argv[0];
	return consumed;
}

int
keel_eal_cleanup(void)
{
	if (!keel_eal_is_initialized()) {
		errno = EALREADY;
		return -EALREADY;
	}
	/* devices first: a driver may run its engine on a worker lcore */
	eal_bus_cleanup();
	if (eal_lcores_busy()) {
		KEEL_LOG(ERR, keel_logtype_eal,
			 "cleanup: a worker lcore is still running");
		errno = EBUSY;
		return -EBUSY;
	}
	__atomic_store_n(&initialized, 0, __ATOMIC_RELEASE);
	undo_steps(N_STEPS);
	if (eal_cfg.syslog)
		keel_log_set_syslog(0, NULL);
	eal_emu_reset();
	eal_log_restore();
	memset(&eal_cfg, 0, sizeof(eal_cfg));
	return 0;
}

