/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_IOMMU_H
#define KEEL_IOMMU_H

/**
 * @file
 * IOMMU containers: every DMA mapping of the process goes through the IOVA
 * map table of a container, which checks it, merges and splits entries,
 * and calls the container's backend (VFIO type1, the emulated IOMMU, ...).
 *
 * keel_eal_init() creates the default container per --iommu and maps all
 * EAL memory into it as the memory appears; other memory is mapped with
 * keel_iommu_dma_map() (caller picks the IOVA) or keel_iommu_dma_register()
 * (the container picks it). See doc/guides/iommu.md for the chunk rules.
 *
 * All functions are thread-safe. Lookups (keel_iommu_lookup_iova(),
 * keel_iommu_lookup_va(), keel_iommu_va2iova()) and keel_iommu_walk() take
 * no lock and never wait for a map or an unmap in progress, so datapath
 * lcores may call them per packet: they write no shared memory (a lookup
 * costs about as much as one of the table's B+tree descents) and return an
 * entry as it was at some moment during the call, never a torn mix, never
 * one whose unmap returned before the lookup began. Maps and unmaps are
 * serialised per container.
 *
 * Changes in this version (issue 14): keel_iommu_dma_map() takes the
 * access a device needs; struct keel_iommu_mapping has .access; struct
 * keel_iommu_stats has .unmap_waits and .reuse_batches; lookups are
 * lock-free; an unmap that waits for a device does so without blocking
 * the rest of the table; a short unmap (-EIO) keeps what the backend
 * still holds; errno and a log line for every refusal (below).
 *
 * Errors: functions returning int return 0 or a negative errno, and set
 * errno to it; every refusal is logged (component "iommu") with the values
 * involved. A NULL argument is refused with -EINVAL (functions returning a
 * pointer, a kind or an IOVA return NULL, KEEL_IOMMU_NONE or KEEL_BAD_IOVA),
 * errno EINVAL and a log line naming the function and the argument. A
 * lookup that finds nothing returns -ENOENT with errno ENOENT and logs
 * nothing: it is an answer, not a refusal. Success leaves errno alone.
 */

#include <stdint.h>
#include <stdio.h>

#include "keel_eal.h"
#include "iommu_backend.h"

#ifdef __cplusplus
extern "C" {
#endif

struct keel_iommu_container;

/** Device access to a mapping: the device may read the memory (e.g. a
 *  transmit buffer, a guest's TX queue memory). */
#define KEEL_IOMMU_ACCESS_READ  (1u << 0)
/** Device access to a mapping: the device may write the memory. On VT-d
 *  a writable mapping is also readable (the IOMMU has no write-only). */
#define KEEL_IOMMU_ACCESS_WRITE (1u << 1)
/** Both: what EAL memory and dma_register mappings get. */
#define KEEL_IOMMU_ACCESS_RW (KEEL_IOMMU_ACCESS_READ | KEEL_IOMMU_ACCESS_WRITE)

/** One entry of the IOVA map table: [iova, iova + len) -> [va, va + len). */
struct keel_iommu_mapping {
	uint64_t va;    /**< first virtual address */
	uint64_t iova;  /**< first IO virtual address */
	uint64_t len;   /**< bytes */
	/** unmap granularity: the length of the original map call on a
	 *  backend that cannot split mappings, 0 on one that can */
	uint64_t chunk;
	/** KEEL_IOMMU_ACCESS_READ and/or _WRITE, as mapped (new in issue
	 *  14; entries of different access never merge) */
	uint32_t access;
};

/** Counters of one container. */
struct keel_iommu_stats {
	uint64_t entries;        /**< table entries now */
	uint64_t bytes;          /**< bytes mapped now */
	uint64_t backend_mappings; /**< mappings the backend holds (strict
				      backends: exact; else backend's report
				      or entries) */
	uint64_t max_mappings;   /**< backend limit, 0 = none */
	uint64_t backend_maps;   /**< backend map calls made */
	uint64_t backend_unmaps; /**< backend unmap calls made */
	uint64_t backend_errors; /**< backend calls that failed */
	uint64_t merges;         /**< entries merged with a neighbour */
	uint64_t splits;         /**< unmaps that left a remainder */
	uint64_t refused;        /**< calls refused by the table's checks */
	uint64_t node_bytes;     /**< memory the table holds (nodes,
				      entries, bookkeeping) */
	/** unmaps that waited (outside the table's lock) for a device still
	 *  using the range (new in issue 14) */
	uint64_t unmap_waits;
	/** times the table made retired memory reusable; a lookup running
	 *  at that moment may retry once (new in issue 14) */
	uint64_t reuse_batches;
};

/**
 * The container keel_eal_init() created, or NULL when running without an
 * IOMMU (--iommu=none, or auto found no backend) or before init.
 */
struct keel_iommu_container *keel_iommu_container_default(void);

/**
 * Create a container whose backend is the one registered for @p kind
 * (KEEL_IOMMU_VFIO or KEEL_IOMMU_EMULATED).
 * @param kind  KEEL_IOMMU_VFIO or KEEL_IOMMU_EMULATED
 * @param args  backend arguments ("key=value,..."), may be NULL
 * @return the container, or NULL with errno: ENODEV (no backend registered
 *         for @p kind), EINVAL (bad kind), ENOMEM, or the backend's error.
 */
struct keel_iommu_container *
keel_iommu_container_create(enum keel_iommu_kind kind, const char *args);

/**
 * Create a container whose backend is the one registered as @p name
 * ("vfio", "emulated", "memback", ...). Errors as for
 * keel_iommu_container_create().
 */
struct keel_iommu_container *
keel_iommu_container_create_by_name(const char *name, const char *args);

/**
 * Create a container over an explicit backend (tests, fake kernels). The
 * container owns @p priv afterwards (ops->destroy on destroy, and on
 * failure here). @return the container, or NULL with errno.
 */
struct keel_iommu_container *
keel_iommu_container_create_with_backend(
		const struct keel_iommu_backend_ops *ops, void *priv);

/**
 * Unmap every mapping still in the table (logged as a warning), destroy the
 * backend and free the container.
 * @return 0, -EINVAL (NULL), -EBUSY (the default container while the EAL
 *         is initialised).
 */
int keel_iommu_container_destroy(struct keel_iommu_container *c);

/**
 * Map [va, va + len) at [iova, iova + len) for the access a device needs.
 * A read-only buffer (a transmit queue, a guest's read-only memory) is
 * mapped with KEEL_IOMMU_ACCESS_READ, so a device write to it faults.
 * Changed in issue 14: the @p access argument is new (what the call did
 * before is KEEL_IOMMU_ACCESS_RW).
 *
 * @param c       the container
 * @param va      first VA (aligned to the backend's minimum page)
 * @param iova    first IOVA (aligned likewise)
 * @param len     bytes (whole pages)
 * @param access  KEEL_IOMMU_ACCESS_READ, _WRITE or _RW (VFIO: the READ and
 *                WRITE flags of VFIO_IOMMU_MAP_DMA; emulated: the page
 *                permission bits)
 * @return 0, or -EINVAL (zero length, NULL, access 0 or unknown bits),
 *         -EOVERFLOW (va or iova + len wraps), -EDOM (not aligned to the
 *         minimum page), -ERANGE (beyond the IOMMU address width),
 *         -EADDRNOTAVAIL (in a reserved region / outside the usable
 *         ranges), -EEXIST (overlaps a mapped IOVA, or one whose unmap is
 *         still waiting for a device), -ENOSPC (backend mapping limit),
 *         -ENOMEM, or the backend's error (e.g. VFIO and the emulated
 *         IOMMU: -EFAULT for a VA that is not mapped in the process, WRITE
 *         on read-only memory, READ alone on PROT_NONE memory).
 */
int keel_iommu_dma_map(struct keel_iommu_container *c, uint64_t va,
		       uint64_t iova, uint64_t len, uint32_t access);

/**
 * Unmap [iova, iova + len), which must be mapped to [va, va + len). The
 * range may span several entries; on backends that cannot split, both ends
 * must fall on chunk boundaries. Nothing is removed on failure.
 *
 * When a device still uses part of the range (the emulated IOMMU in its
 * in-flight "wait" mode), the call returns only once the device let go:
 * the mapping is gone for lookups and new device access at once, its IOVAs
 * stay taken (a map over them gets -EEXIST) until the call returns, and
 * the wait holds no lock of the table, so lookups, maps and unmaps of
 * other ranges go on (also from the device's own thread).
 * @return 0, or -EINVAL, -EOVERFLOW, -EDOM (as for map), -ENOENT (a byte of
 *         the range is not mapped), -EFAULT (mapped to another VA),
 *         -ENOTSUP (would bisect a chunk on a backend that cannot split),
 *         -EIO (the backend removed less than asked, as type1 does when
 *         it meets a mapping another process made: the table removes
 *         exactly what the backend removed, the start of the range, and
 *         keeps the rest, which stays mapped and can be unmapped later),
 *         -EBUSY (part of the range is still being unmapped by another
 *         call that waits for a device), or the backend's error (nothing
 *         removed).
 */
int keel_iommu_dma_unmap(struct keel_iommu_container *c, uint64_t va,
			 uint64_t iova, uint64_t len);

/**
 * Map [va, va + len) at an IOVA the container picks: IOVA = VA when the VA
 * range is usable, below 2^dma_mask_bits and free; otherwise the lowest
 * free, aligned IOVA in the usable ranges below 2^dma_mask_bits. The
 * mapping is read-write (KEEL_IOMMU_ACCESS_RW); for another access pick
 * the IOVA with keel_iommu_dma_map().
 * @param c              the container
 * @param va             first VA (page-aligned: see keel_iommu_dma_map())
 * @param len            bytes (whole pages)
 * @param dma_mask_bits  device DMA mask width (1..64), 0 = address width
 * @param[out] iova      the IOVA chosen
 * @return 0, or the errors of keel_iommu_dma_map(), or -ENOSPC (no free
 *         IOVA range of that size below the mask).
 */
int keel_iommu_dma_register(struct keel_iommu_container *c, uint64_t va,
			    uint64_t len, unsigned int dma_mask_bits,
			    uint64_t *iova);

/**
 * Find the entry holding @p iova (lock-free; see the top of this file).
 * @return 0 (entry in @p m; the contiguous length from @p iova is
 *         m->iova + m->len - iova), -ENOENT, -EINVAL.
 */
int keel_iommu_lookup_iova(struct keel_iommu_container *c, uint64_t iova,
			   struct keel_iommu_mapping *m);

/**
 * Find an entry holding @p va (one of them if the VA is mapped at several
 * IOVAs), lock-free. @return 0 (entry in @p m), -ENOENT, -EINVAL.
 */
int keel_iommu_lookup_va(struct keel_iommu_container *c, uint64_t va,
			 struct keel_iommu_mapping *m);

/**
 * Translate a VA to an IOVA through the container's map table: for memory
 * mapped in @p c by the application and for EAL memory (which the EAL maps
 * in the default container at keel_mem_virt2iova()'s IOVA).
 * @return the IOVA; KEEL_BAD_IOVA (errno ENOENT) if unmapped in @p c.
 */
uint64_t keel_iommu_va2iova(struct keel_iommu_container *c, uint64_t va);

/**
 * Call @p fn for every entry in IOVA order. No lock is held while @p fn
 * runs (changed in issue 14: it may map and unmap); each entry was in the
 * table when the walk read it. Stops when @p fn returns non-zero and
 * returns that value.
 */
int keel_iommu_walk(struct keel_iommu_container *c,
		    int (*fn)(const struct keel_iommu_mapping *m, void *arg),
		    void *arg);

/** The backend's private state (e.g. for keel_emu_backend_domain()). */
void *keel_iommu_container_backend_priv(struct keel_iommu_container *c);

/** The backend's ops (its name is ops->name). */
const struct keel_iommu_backend_ops *
keel_iommu_container_backend_ops(struct keel_iommu_container *c);

/**
 * The kind the container was created for; for containers made with
 * keel_iommu_container_create_with_backend(), the kind its ops name is
 * registered under, else KEEL_IOMMU_NONE.
 */
enum keel_iommu_kind keel_iommu_container_kind(struct keel_iommu_container *c);

/** Copy the backend capabilities the table works with. */
int keel_iommu_caps_get(struct keel_iommu_container *c,
			struct keel_iommu_caps *caps);

/**
 * Re-read the backend's capabilities (e.g. after a group attach narrowed
 * the usable ranges). Existing entries are kept even if now outside.
 */
int keel_iommu_caps_refresh(struct keel_iommu_container *c);

/** Fill @p st. @return 0 or -EINVAL. */
int keel_iommu_stats_get(struct keel_iommu_container *c,
			 struct keel_iommu_stats *st);

/** Print capabilities, stats and every entry to @p f. */
void keel_iommu_dump(FILE *f, struct keel_iommu_container *c);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_IOMMU_H */
