/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The EAL's default IOMMU container: created per --iommu at init, fed with
 * every run of EAL memory through a memory event callback (ALLOC maps,
 * FREE unmaps), and the IOVA allocator behind --iova-mode=alloc.
 *
 * Invariant: while `registered`, every allocated EAL page is mapped in the
 * default container at its memseg IOVA. On a backend that cannot split,
 * EAL memory is mapped one page per backend call (chunk = page size), so
 * any page-aligned part of a run can be freed later; the table merges the
 * pages of a run into one entry.
 *
 * Lock: init/cleanup run single-threaded inside keel_eal_init/cleanup; the
 * callback runs under the EAL hotplug lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "eal_memory_internal.h"
#include "keel_log.h"
#include "iova_alloc.h"
#include "iova_table.h"
#include "iommu_internal.h"

#define MEM_CB_NAME "iommu"


static struct keel_iommu_container *def;
static enum keel_iommu_kind def_kind = KEEL_IOMMU_NONE;
static bool registered;
static uint64_t pending_end;    /* IOVAs handed out before registration */
static struct eal_iommu_params params;	/* the options, from eal_iommu_init() */

enum keel_iommu_kind
eal_iommu_kind(void)
{
	return def_kind;
}

static int
mem_cb(enum keel_mem_event ev, void *vap, uint64_t iova, uint64_t len,
       void *arg)
{
	struct keel_iommu_container *c = arg;
	uint64_t va = (uint64_t)(uintptr_t)vap;
	int ret;

	if (iova == KEEL_BAD_IOVA) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "memory %s va 0x%" PRIx64 " len 0x%" PRIx64
			 ": the run has no IOVA", ev == KEEL_MEM_EVENT_ALLOC ?
			 "alloc" : "free", va, len);
		return -EINVAL;
	}
	if (ev == KEEL_MEM_EVENT_FREE) {
		ret = keel_iommu_dma_unmap(c, va, iova, len);
		if (ret < 0)
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "memory free va 0x%" PRIx64 " iova 0x%" PRIx64
				 " len 0x%" PRIx64 ": unmap failed: %s", va,
				 iova, len, strerror(-ret));
		return 0;
	}
	/* EAL memory events name the same runs on ALLOC and FREE (see
	 * keel_memory.h), so even a backend that cannot split maps each run
	 * in one call: -m 64 of 4 KiB pages is one VFIO mapping, not 16384 */
	ret = keel_iommu_dma_map(c, va, iova, len, KEEL_IOMMU_ACCESS_RW);
	if (keel_eal_iova_mode() == KEEL_IOVA_ALLOC)
		iommu_container_iova_settle(c);
	return ret;
}

/*
 * --iova-mode=alloc: the memory code asks for IOVA ranges here. Once the
 * callback is registered, each range is mapped (and so in the table)
 * before the next request. Before that (memory preallocated at init,
 * mapped later by the register walk), ranges are handed out upwards from
 * pending_end so they cannot collide.
 */
static int
hook_alloc(uint64_t len, uint64_t align, uint64_t *iova, void *arg)
{
	int ret;

	ret = iommu_container_iova_alloc(arg, len, align,
					 registered ? 0 : pending_end, iova);
	if (ret == 0 && !registered)
		pending_end = *iova + len;
	return ret;
}

static void
hook_free(uint64_t iova, uint64_t len, void *arg)
{
	/* the table is the record of used IOVAs: the FREE event unmapped it;
	 * an IOVA whose ALLOC never mapped it is no longer pending either */
	(void)iova;
	(void)len;
	iommu_container_iova_settle(arg);
}

static bool
vfio_usable(void)
{
	return access("/dev/vfio/vfio", R_OK | W_OK) == 0;
}

static struct keel_iommu_container *
create_kind(enum keel_iommu_kind kind)
{
	return keel_iommu_container_create(kind, NULL);
}

static int
create_default(bool skip_vfio)
{
	enum keel_iommu_kind want = params.kind;
	struct keel_iommu_container *c = NULL;
	enum keel_iommu_kind got = KEEL_IOMMU_NONE;

	switch (want) {
	case KEEL_IOMMU_NONE:
		break;
	case KEEL_IOMMU_AUTO:
		if (!skip_vfio &&
		    keel_iommu_backend_find(KEEL_IOMMU_VFIO, NULL, NULL) &&
		    vfio_usable()) {
			c = create_kind(KEEL_IOMMU_VFIO);
			got = KEEL_IOMMU_VFIO;
			if (c == NULL)
				KEEL_LOG(WARNING, keel_logtype_iommu,
					 "--iommu auto: vfio backend failed (%s),"
					 " trying emulated", strerror(errno));
		}
		if (c == NULL &&
		    keel_iommu_backend_find(KEEL_IOMMU_EMULATED, NULL, NULL)) {
			c = create_kind(KEEL_IOMMU_EMULATED);
			got = KEEL_IOMMU_EMULATED;
			if (c == NULL)
				return -errno;
		}
		if (c == NULL) {
			KEEL_LOG(INFO, keel_logtype_iommu,
				 "--iommu auto: no usable IOMMU backend; "
				 "running without an IOMMU");
			got = KEEL_IOMMU_NONE;
		}
		break;
	case KEEL_IOMMU_VFIO:
	case KEEL_IOMMU_EMULATED:
		if (keel_iommu_backend_find(want, NULL, NULL) == NULL) {
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "--iommu %s: no such backend is built in",
				 keel_iommu_kind_name(want));
			return -ENODEV;
		}
		if (want == KEEL_IOMMU_VFIO && !vfio_usable()) {
			KEEL_LOG(ERR, keel_logtype_iommu,
				 "--iommu vfio: /dev/vfio/vfio is not usable: %s",
				 strerror(errno));
			return -ENODEV;
		}
		c = create_kind(want);
		if (c == NULL)
			return -errno;
		got = want;
		break;
	default:
		KEEL_LOG(ERR, keel_logtype_iommu, "--iommu: bad kind %d",
			 (int)want);
		return -EINVAL;
	}
	def = c;
	def_kind = got;
	iommu_set_default(c);
	if (c != NULL)
		KEEL_LOG(INFO, keel_logtype_iommu,
			 "default IOMMU container: %s (backend %s)",
			 keel_iommu_kind_name(got),
			 keel_iommu_container_backend_ops(c)->name);
	return 0;
}

/* Create the default container and set the --iova-mode=alloc hook
 * (idempotent). */
static int
early_init(bool skip_vfio)
{
	struct eal_iova_hook hook;
	int ret;

	if (def != NULL || registered)
		return 0;
	ret = create_default(skip_vfio);
	if (ret < 0)
		return ret;
	if (def != NULL) {
		hook.alloc = hook_alloc;
		hook.free = hook_free;
		hook.arg = def;
		eal_mem_set_iova_hook(&hook);
	}
	return 0;
}

/*
 * --iova-mode auto: IOVA = VA when the IOMMU's usable ranges reach every VA
 * the EAL may use, else allocated IOVAs (e.g. a 39-bit VT-d and 47-bit VAs).
 */
static int
resolve_auto_iova_mode(void)
{
	struct keel_iommu_caps caps;
	uint64_t top, va_last = eal_mem_va_last();
	int ret;

	if (!params.iova_mode_auto ||
	    keel_eal_iova_mode() != KEEL_IOVA_VA)
		return 0;
	ret = keel_iommu_caps_get(def, &caps);
	if (ret < 0)
		return ret;
	top = caps.n_ranges ? caps.ranges[caps.n_ranges - 1].last : UINT64_MAX;
	if (caps.addr_width < 64 && top > (1ULL << caps.addr_width) - 1)
		top = (1ULL << caps.addr_width) - 1;
	if (va_last <= top)
		return 0;
	KEEL_LOG(INFO, keel_logtype_iommu,
		 "--iova-mode auto: EAL VAs reach 0x%" PRIx64 ", the IOMMU only "
		 "0x%" PRIx64 ": using allocated IOVAs", va_last, top);
	ret = eal_mem_switch_to_alloc();
	if (ret < 0)
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "cannot switch EAL memory to allocated IOVAs: %s",
			 strerror(-ret));
	return ret;
}

int
eal_iommu_init(const struct eal_iommu_params *p)
{
	int ret;

	params = *p;

	ret = early_init(false);
	if (ret < 0)
		return ret;
	if (def == NULL)
		return 0;
	ret = resolve_auto_iova_mode();
	if (ret < 0) {
		eal_iommu_cleanup();
		return ret;
	}
	ret = keel_mem_event_callback_register_walk(MEM_CB_NAME, mem_cb, def);
	if (ret < 0 && params.kind == KEEL_IOMMU_AUTO &&
	    def_kind == KEEL_IOMMU_VFIO &&
	    keel_eal_iova_mode() != KEEL_IOVA_ALLOC) {
		/* auto: VFIO is there but cannot map (no group yet?) */
		KEEL_LOG(WARNING, keel_logtype_iommu,
			 "--iommu auto: mapping EAL memory through vfio failed"
			 " (%s); falling back to emulated", strerror(-ret));
		eal_iommu_cleanup();
		ret = early_init(true);
		if (ret < 0)
			return ret;
		if (def == NULL)
			return 0;
		ret = keel_mem_event_callback_register_walk(MEM_CB_NAME,
							    mem_cb, def);
	}
	if (ret < 0) {
		KEEL_LOG(ERR, keel_logtype_iommu,
			 "mapping EAL memory into the %s container failed: %s",
			 keel_iommu_kind_name(def_kind), strerror(-ret));
		eal_iommu_cleanup();
		return ret;
	}
	registered = true;
	pending_end = 0;
	return 0;
}

void
eal_iommu_cleanup(void)
{
	struct keel_iommu_container *c = def;

	if (registered) {
		keel_mem_event_callback_unregister(MEM_CB_NAME, c, 1);
		registered = false;
	}
	if (c != NULL) {
		eal_mem_set_iova_hook(NULL);
		iommu_set_default(NULL);
		def = NULL;
		iommu_container_destroy_default(c);
	}
	def_kind = KEEL_IOMMU_NONE;
	pending_end = 0;
}
