/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_EMU_IOMMU_H
#define KEEL_EMU_IOMMU_H

/**
 * @file
 * The emulated IOMMU: an in-process IOMMU that software DMA engines go
 * through, so that a device touching an IOVA that was never mapped (or was
 * unmapped while in use) is a recorded fault, not a memory scribble.
 *
 * Concepts:
 * - A **domain** is one IO address space: a multi-level IO page table
 *   (3, 4 or 5 levels for a 39, 48 or 57-bit IOVA width) with 4 KiB, 2 MiB
 *   and 1 GiB leaves, each readable and/or writable.
 * - An **endpoint** is one device (an endpoint ID, as in virtio-iommu). An
 *   endpoint is attached to at most one domain; several endpoints may share
 *   a domain. All DMA goes through an endpoint.
 * - **Translation** (keel_emu_translate()) gives the VA behind an IOVA and
 *   how many bytes are contiguous from there, or a fault. Translations are
 *   cached in a per-thread IOTLB; every unmap invalidates the domain's
 *   entries before it returns, so no translation started after an unmap
 *   returned can see the old mapping.
 * - **In-flight safety**: keel_emu_dma_map() hands out a VA for zero-copy
 *   access and holds the range until keel_emu_dma_unmap(); the copy helpers
 *   (keel_emu_dma_read() ...) hold each chunk while they copy it. An IOMMU
 *   unmap (keel_emu_unmap()) of a held range does not return until the
 *   holder releases it (KEEL_EMU_INFLIGHT_WAIT), or fails with -EBUSY and
 *   later calls the domain's release callback (KEEL_EMU_INFLIGHT_EBUSY).
 * - **Faults** never touch memory; each is counted and recorded in a
 *   bounded, process-wide log (keel_emu_fault_read()).
 *
 * Thread safety: translation, the DMA helpers and dma_map/dma_unmap may run
 * on any number of threads while other threads map and unmap the same
 * domain; their IOTLB-hit path takes no lock. Map, unmap, stats and dump
 * serialise on a per-domain lock. Creating, attaching, detaching and
 * destroying endpoints and domains must not race with DMA through them.
 *
 * Every function that fails returns a negative errno (and sets errno), logs
 * a line naming the bad value, and leaves the state as it was.
 */

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Smallest page the emulated IOMMU maps (4 KiB). */
#define KEEL_EMU_PAGE_SIZE 4096ULL
/** Page sizes the emulated IOMMU supports: 4 KiB, 2 MiB, 1 GiB. */
#define KEEL_EMU_PGSIZES ((1ULL << 12) | (1ULL << 21) | (1ULL << 30))

/** Mapping permission: the device may read the memory. */
#define KEEL_EMU_PROT_READ  (1u << 0)
/** Mapping permission: the device may write the memory. */
#define KEEL_EMU_PROT_WRITE (1u << 1)

/** Most reserved ranges a domain takes. */
#define KEEL_EMU_MAX_RESERVED 8

/** Direction of a DMA, seen from the device (as in the Linux DMA API). */
enum keel_emu_dma_dir {
	/** The device reads memory (needs KEEL_EMU_PROT_READ). */
	KEEL_EMU_DMA_TO_DEVICE = 1,
	/** The device writes memory (needs KEEL_EMU_PROT_WRITE). */
	KEEL_EMU_DMA_FROM_DEVICE = 2,
	/** Both (needs read and write permission). */
	KEEL_EMU_DMA_BIDIRECTIONAL = 3,
};

/** What an unmap that covers only part of an earlier map call does. */
enum keel_emu_unmap_mode {
	/**
	 * Refuse it with -EINVAL and remove nothing (VFIO type1 v2,
	 * virtio-iommu, iommufd). An unmap may span holes and whole
	 * mappings.
	 */
	KEEL_EMU_UNMAP_STRICT = 0,
	/** Allow any 4 KiB-aligned sub-range; huge leaves are split. */
	KEEL_EMU_UNMAP_SPLIT,
};

/** What keel_emu_unmap() does when a device still holds the range. */
enum keel_emu_inflight_mode {
	/** Remove the mapping, then wait until every holder released it. */
	KEEL_EMU_INFLIGHT_WAIT = 0,
	/** Fail with -EBUSY, remove nothing, call release_cb later. */
	KEEL_EMU_INFLIGHT_EBUSY,
};

/** Why a translation faulted. */
enum keel_emu_fault_reason {
	KEEL_EMU_FAULT_NOT_MAPPED = 1,  /**< no mapping at that IOVA */
	KEEL_EMU_FAULT_PERMISSION,      /**< mapped without the needed prot */
	KEEL_EMU_FAULT_OUT_OF_RANGE,    /**< IOVA beyond the address width */
	KEEL_EMU_FAULT_NO_DOMAIN,       /**< endpoint not attached */
	/** the IOVA translates, but the memory behind it was unmapped (or
	 *  lost the access) in the process after keel_emu_map() */
	KEEL_EMU_FAULT_BUS_ERROR,
};

/** An inclusive IOVA range [first, last]. */
struct keel_emu_range {
	uint64_t first;  /**< first IOVA */
	uint64_t last;   /**< last IOVA (inclusive) */
};

struct keel_emu_domain;
struct keel_emu_endpoint;

/**
 * Called (on the releasing thread, with no lock held) when the range that
 * made keel_emu_unmap() fail with -EBUSY is no longer held by any device.
 * The callback may call keel_emu_unmap() again.
 */
typedef void (*keel_emu_release_cb_t)(struct keel_emu_domain *d,
				      uint64_t iova, uint64_t len, void *arg);

/** Domain configuration; zero-initialised gives the defaults. */
struct keel_emu_domain_config {
	/** IOVA width: 39, 48 or 57 bits (3, 4, 5 levels); 0 = 48. */
	unsigned int addr_width;
	/** Leaf sizes map may use, a subset of KEEL_EMU_PGSIZES that
	 *  contains 4 KiB; 0 = all three. */
	uint64_t pgsize_bitmap;
	/** Strict (default) or split unmap semantics. */
	enum keel_emu_unmap_mode unmap_mode;
	/** Wait (default) or -EBUSY on unmap of a held range. */
	enum keel_emu_inflight_mode inflight_mode;
	/** Most mappings (map calls, or pieces of one after a split
	 *  unmap) held at once, like VFIO's dma_entry_limit; 0 = none. */
	uint64_t max_mappings;
	/** Most page-table pages (4 KiB each, the root included) the
	 *  domain may hold; a map that would need more is refused before
	 *  anything is allocated. 0 = KEEL_EMU_DEFAULT_TABLE_PAGES. */
	uint64_t max_table_pages;
	/** Ranges that may never be mapped (e.g. the MSI window). */
	struct keel_emu_range reserved[KEEL_EMU_MAX_RESERVED];
	/** Number of valid entries in reserved[]. */
	unsigned int n_reserved;
	/** For KEEL_EMU_INFLIGHT_EBUSY: called when a busy range frees. */
	keel_emu_release_cb_t release_cb;
	/** Argument of release_cb. */
	void *release_cb_arg;
};

/** Default page-table bound of a domain: 65,536 pages (256 MiB), enough
 *  for 128 GiB mapped with 4 KiB leaves; one 2^46-byte map whose VA
 *  forces 4 KiB leaves would need ~2^25 pages (128 GiB). */
#define KEEL_EMU_DEFAULT_TABLE_PAGES 65536

/** Statistics of a domain (a walk of its page table). */
struct keel_emu_domain_stats {
	uint64_t table_pages;     /**< page-table pages (4 KiB each) */
	uint64_t leaves_4k;       /**< 4 KiB leaf entries */
	uint64_t leaves_2m;       /**< 2 MiB leaf entries */
	uint64_t leaves_1g;       /**< 1 GiB leaf entries */
	uint64_t mapped_bytes;    /**< bytes mapped */
	uint64_t n_mappings;      /**< mappings counted against the limit */
	uint64_t n_map_calls;     /**< successful keel_emu_map() calls */
	uint64_t n_unmap_calls;   /**< successful keel_emu_unmap() calls */
	uint64_t n_busy;          /**< unmaps that waited or got -EBUSY */
	uint64_t n_faults;        /**< faults by endpoints of this domain */
};

/** One recorded fault. */
struct keel_emu_fault {
	uint64_t iova;                   /**< first faulting IOVA */
	uint64_t len;                    /**< bytes the access wanted there */
	enum keel_emu_dma_dir dir;       /**< direction of the access */
	enum keel_emu_fault_reason reason; /**< why it faulted */
	uint32_t endpoint_id;            /**< endpoint that faulted */
	uint64_t domain_id;              /**< its domain's id, 0 if none */
};

/** Fault counters (process-wide, since the last clear). */
struct keel_emu_fault_counters {
	uint64_t total;        /**< all faults */
	uint64_t not_mapped;   /**< KEEL_EMU_FAULT_NOT_MAPPED */
	uint64_t permission;   /**< KEEL_EMU_FAULT_PERMISSION */
	uint64_t out_of_range; /**< KEEL_EMU_FAULT_OUT_OF_RANGE */
	uint64_t no_domain;    /**< KEEL_EMU_FAULT_NO_DOMAIN */
	uint64_t bus_error;    /**< KEEL_EMU_FAULT_BUS_ERROR */
	uint64_t dropped;      /**< faults not logged because it was full */
};

/** Entries kept in the fault log; older unread faults are kept, newer dropped. */
#define KEEL_EMU_FAULT_LOG_SIZE 256

/* ---------------------------------------------------------------- domains */

/**
 * Create a domain.
 *
 * @param cfg  configuration; NULL for the defaults (48-bit, strict, wait)
 * @return the domain, or NULL with errno EINVAL (bad config, logged) or
 *         ENOMEM.
 */
struct keel_emu_domain *
keel_emu_domain_create(const struct keel_emu_domain_config *cfg);

/**
 * Destroy a domain and free every page-table page.
 *
 * @return 0; -EBUSY while endpoints are attached or a device holds a
 *         range; -EINVAL for NULL.
 */
int keel_emu_domain_destroy(struct keel_emu_domain *d);

/** @return the domain's unique id (never reused, never 0). */
uint64_t keel_emu_domain_id(const struct keel_emu_domain *d);

/**
 * Map [iova, iova + len) to [va, va + len) with the largest leaves that
 * the alignment of va and iova and the length allow.
 *
 * @param d     the domain
 * @param iova  first IOVA (4 KiB-aligned)
 * @param va    first VA it maps to (4 KiB-aligned)
 * @param len   bytes (a multiple of 4 KiB)
 * @param prot  KEEL_EMU_PROT_READ and/or KEEL_EMU_PROT_WRITE (not 0)
 * As the kernel's pin does for VFIO, the VA range is checked first: it
 * must be mapped in this process, writable when @p prot has
 * KEEL_EMU_PROT_WRITE, readable when it is KEEL_EMU_PROT_READ alone. A VA
 * unmapped (or protected) later is not a crash either: a DMA that meets it
 * faults with KEEL_EMU_FAULT_BUS_ERROR.
 *
 * @return 0; -EINVAL for a len of 0, va/iova/len not 4 KiB-aligned, a bad
 *         prot or a wrapping range; -ERANGE beyond the address width;
 *         -EPERM when it overlaps a reserved range; -EFAULT when the VA
 *         range is not mapped in the process with that access; -EEXIST
 *         when any part is mapped already; -ENOSPC at the mapping limit or
 *         when the page tables would pass the domain's max_table_pages
 *         (refused before allocating any); -ENOMEM.
 */
int keel_emu_map(struct keel_emu_domain *d, uint64_t iova, uint64_t va,
		 uint64_t len, uint32_t prot);

/**
 * Unmap every mapping in [iova, iova + len). Holes are fine; a range
 * covering nothing succeeds with *unmapped = 0.
 *
 * @param d         the domain
 * @param iova      first IOVA (4 KiB-aligned)
 * @param len       bytes (a multiple of 4 KiB)
 * @param unmapped  if not NULL, bytes removed
 * @return 0; -EINVAL for bad alignment or length, or (strict mode) when
 *         the range bisects an earlier map call; -ERANGE beyond the address
 *         width; -ENOSPC (split mode) when the split would pass the mapping
 *         limit or the page-table limit; -EBUSY (EBUSY mode) while a device holds part of it;
 *         -ENOMEM (split mode, for new tables).
 */
int keel_emu_unmap(struct keel_emu_domain *d, uint64_t iova, uint64_t len,
		   uint64_t *unmapped);

/**
 * keel_emu_unmap() without its wait, for a caller that must not wait while
 * it holds its own lock (the IOMMU container): the mapping is removed and
 * every IOTLB invalidated as by keel_emu_unmap(), but when a device still
 * holds part of the range (KEEL_EMU_INFLIGHT_WAIT) it returns 1 instead of
 * waiting. The memory may then still be accessed until
 * keel_emu_unmap_wait() on the same range returns.
 *
 * @return 1 (unmapped, a device still holds part of it), otherwise as
 *         keel_emu_unmap().
 */
int keel_emu_unmap_nowait(struct keel_emu_domain *d, uint64_t iova,
			  uint64_t len, uint64_t *unmapped);

/**
 * Wait until no device holds any part of [iova, iova + len) of @p d (the
 * second half of keel_emu_unmap_nowait()). Returns at once when none does.
 */
void keel_emu_unmap_wait(struct keel_emu_domain *d, uint64_t iova,
			 uint64_t len);

/** Drop every cached translation of the domain (on all threads). */
void keel_emu_domain_iotlb_flush(struct keel_emu_domain *d);

/** Fill @p st from a walk of the page table. @return 0 or -EINVAL. */
int keel_emu_domain_stats_get(struct keel_emu_domain *d,
			      struct keel_emu_domain_stats *st);

/**
 * Print the domain: configuration, then one line per page-table entry in
 * pre-order (tables and leaves, with IOVA range, VA and permissions).
 *
 * @return 0 or -EINVAL.
 */
int keel_emu_domain_dump(struct keel_emu_domain *d, FILE *f);

/**
 * @return the number of page-table pages alive in the process (all
 *         domains). Tests use it to check for leaks.
 */
uint64_t keel_emu_pt_pages_alive(void);

/* -------------------------------------------------------------- endpoints */

/**
 * Create an endpoint (a device) with an endpoint ID, e.g. one given by
 * keel_emu_topology_lookup_pci(). The endpoint starts detached.
 *
 * @param id    its endpoint ID
 * @param name  for logs and faults (copied; may be NULL)
 * @return the endpoint or NULL with errno ENOMEM.
 */
struct keel_emu_endpoint *keel_emu_endpoint_create(uint32_t id,
						   const char *name);

/**
 * Destroy an endpoint (detaching it first).
 *
 * @return 0; -EBUSY while it holds ranges through keel_emu_dma_map().
 */
int keel_emu_endpoint_destroy(struct keel_emu_endpoint *ep);

/**
 * Attach an endpoint to a domain; attaching an attached endpoint moves it
 * (as a virtio-iommu ATTACH implies a DETACH).
 *
 * @return 0; -EBUSY while the endpoint holds ranges; -EINVAL for NULL.
 */
int keel_emu_endpoint_attach(struct keel_emu_endpoint *ep,
			     struct keel_emu_domain *d);

/** Detach an endpoint. @return 0, -EBUSY while it holds ranges, -EINVAL. */
int keel_emu_endpoint_detach(struct keel_emu_endpoint *ep);

/** @return the domain the endpoint is attached to, or NULL. */
struct keel_emu_domain *keel_emu_endpoint_domain(
	const struct keel_emu_endpoint *ep);

/** @return the endpoint ID. */
uint32_t keel_emu_endpoint_id(const struct keel_emu_endpoint *ep);

/* ------------------------------------------------------------ translation */

/**
 * Translate an IOVA for an access of up to @p len bytes in direction
 * @p dir. The result is a snapshot: it stays right only while the caller
 * knows the range is not unmapped; to hold a range use keel_emu_dma_map().
 *
 * @param ep    the endpoint (device) making the access
 * @param iova  first IOVA of the access
 * @param len   bytes of the access (> 0)
 * @param dir   read or write
 * @param va    out: the VA of @p iova
 * @param plen  out: bytes contiguous from @p iova with the same
 *              permission, at most @p len (always > 0 on success)
 * @return 0; -EFAULT for a fault (recorded in the fault log; memory is not
 *         touched); -EINVAL for NULL arguments, a len of 0 or a bad dir.
 */
int keel_emu_translate(struct keel_emu_endpoint *ep, uint64_t iova,
		       uint64_t len, enum keel_emu_dma_dir dir, void **va,
		       uint64_t *plen);

/**
 * The device reads @p len bytes of memory at @p iova into @p buf,
 * following translations across page boundaries.
 *
 * @return 0; -EFAULT when any byte faults (recorded; no byte is copied
 *         unless an unmap races with the copy); -EINVAL for bad arguments.
 */
int keel_emu_dma_read(struct keel_emu_endpoint *ep, uint64_t iova,
		      void *buf, uint64_t len);

/**
 * The device writes @p len bytes from @p buf to memory at @p iova.
 *
 * @return 0; -EFAULT when any byte faults (recorded; memory is not written
 *         unless an unmap races with the copy); -EINVAL.
 */
int keel_emu_dma_write(struct keel_emu_endpoint *ep, uint64_t iova,
		       const void *buf, uint64_t len);

/**
 * The device writes @p len zero bytes to memory at @p iova.
 *
 * @return as keel_emu_dma_write().
 */
int keel_emu_dma_zero(struct keel_emu_endpoint *ep, uint64_t iova,
		      uint64_t len);

/**
 * Map an IOVA range for zero-copy access by the device and hold it: an
 * IOMMU unmap of any part of it waits (or gets -EBUSY) until
 * keel_emu_dma_unmap(). The VA is never stale while held.
 *
 * @param ep   the endpoint (device)
 * @param iova first IOVA
 * @param dir  read or write
 * @param len  in: bytes wanted; out: bytes contiguous at the returned VA
 *             (may be less; call again for the rest)
 * @return the VA, or NULL with errno EFAULT (fault recorded), ENOSPC (this
 *         thread holds KEEL_EMU_MAX_HOLDS ranges already) or EINVAL.
 */
void *keel_emu_dma_map(struct keel_emu_endpoint *ep, uint64_t iova,
		       uint64_t *len, enum keel_emu_dma_dir dir);

/** Most ranges one thread may hold through keel_emu_dma_map() at once. */
#define KEEL_EMU_MAX_HOLDS 32

/**
 * Release a range held by keel_emu_dma_map() (from any thread).
 *
 * @param ep   the endpoint that holds it
 * @param va   the VA keel_emu_dma_map() returned
 * @param len  the length it returned
 * @return 0; -EINVAL (logged) when no such hold exists.
 */
int keel_emu_dma_unmap(struct keel_emu_endpoint *ep, void *va, uint64_t len);

/**
 * A memory-to-memory copy of @p len bytes between two ranges that @p ep
 * holds through keel_emu_dma_map() (what a DMA engine does with them; the
 * ranges may overlap). The copy survives memory unmapped or protected in
 * the process after keel_emu_map() checked it: a bus error there ends the
 * copy and is recorded as a KEEL_EMU_FAULT_BUS_ERROR fault at the IOVA it
 * hit (on the @p dst_iova or the @p src_iova side), where a plain memmove()
 * would kill the process.
 *
 * @param ep        the endpoint holding both ranges
 * @param dst       VA of the destination (from keel_emu_dma_map())
 * @param dst_iova  its IOVA (for the fault record)
 * @param src       VA of the source (from keel_emu_dma_map())
 * @param src_iova  its IOVA
 * @param len       bytes (0: nothing)
 * @return 0; -EFAULT after a bus error (recorded; bytes before it may have
 *         been copied); -EINVAL for a NULL argument.
 */
int keel_emu_dma_copy(struct keel_emu_endpoint *ep, void *dst,
		      uint64_t dst_iova, const void *src, uint64_t src_iova,
		      uint64_t len);

/** A device-side operation run by keel_emu_dma_guarded(). */
typedef void (*keel_emu_dma_op_t)(void *dst, uint64_t len, void *arg);

/**
 * Run an engine's own write of @p len bytes at @p dst (a range @p ep holds
 * through keel_emu_dma_map()) other than a copy — a fill, say — under the
 * bus-error guard of keel_emu_dma_copy(): when the memory behind the range
 * went away in the process after its map, the write ends and a
 * KEEL_EMU_FAULT_BUS_ERROR fault is recorded at the IOVA it hit, where the
 * plain write would kill the process.
 *
 * A bus error leaves @p op by siglongjmp(): it must touch no memory but
 * [dst, dst + len) and its own locals, and take no lock, allocate nothing
 * and hold nothing across the call.
 *
 * @param ep        the endpoint holding the range
 * @param dst       VA of the range (from keel_emu_dma_map())
 * @param dst_iova  its IOVA (for the fault record)
 * @param len       bytes (0: @p op is not called)
 * @param op        the write, called once as op(dst, len, arg)
 * @param arg       passed to @p op
 * @return 0; -EFAULT after a bus error (recorded; bytes before it may have
 *         been written); -EINVAL for a NULL endpoint, range or op (logged).
 */
int keel_emu_dma_guarded(struct keel_emu_endpoint *ep, void *dst,
			 uint64_t dst_iova, uint64_t len, keel_emu_dma_op_t op,
			 void *arg);

/* ----------------------------------------------------------------- faults */

/**
 * Take up to @p n faults, oldest first, out of the fault log.
 *
 * @return the number of faults written to @p out.
 */
unsigned int keel_emu_fault_read(struct keel_emu_fault *out, unsigned int n);

/** Copy the fault counters. */
void keel_emu_fault_counters_get(struct keel_emu_fault_counters *c);

/** Empty the fault log and zero the counters. */
void keel_emu_fault_clear(void);

/** Name of a fault reason ("not-mapped", ...); "?" when unknown. */
const char *keel_emu_fault_reason_name(enum keel_emu_fault_reason r);

/* --------------------------------------------------------------- topology */

/* endpoint IDs from a virtio-iommu topology or an ACPI VIOT table */
#include "keel_emu_topology.h"

/* ---------------------------------------------------------------- backend */

/**
 * The domain behind a container whose backend is the emulated IOMMU, e.g.
 * keel_emu_backend_domain(keel_iommu_container_backend_priv(
 * keel_iommu_container_default())), so a software DMA engine can attach
 * its endpoint to it.
 *
 * @param backend_priv  the priv pointer of an "emulated" backend
 * @return the domain, or NULL (errno EINVAL) when @p backend_priv is NULL
 *         or not an emulated backend.
 */
struct keel_emu_domain *keel_emu_backend_domain(void *backend_priv);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_EMU_IOMMU_H */
