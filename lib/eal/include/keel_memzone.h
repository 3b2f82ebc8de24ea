/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_MEMZONE_H
#define KEEL_MEMZONE_H

/**
 * @file
 * Memzones: named, aligned, optionally bounded reservations of EAL memory,
 * found again by name. They come from the socket heaps, so they are DMA-able
 * and mapped in the IOMMU container like any EAL memory.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest memzone name, NUL included. */
#define KEEL_MEMZONE_NAMESIZE 32

/** Flag: the zone must be IOVA-contiguous (matters in PA mode). */
#define KEEL_MEMZONE_IOVA_CONTIG (1u << 0)

/** A reserved zone. Read-only for users. */
struct keel_memzone {
	char name[KEEL_MEMZONE_NAMESIZE]; /**< unique name */
	void *addr;                       /**< virtual address */
	uint64_t iova;                    /**< IOVA of addr */
	uint64_t len;                     /**< length in bytes */
	uint64_t hugepage_sz;             /**< page size backing it */
	int socket_id;                    /**< NUMA socket */
	unsigned int flags;               /**< flags it was reserved with */
};

/**
 * Reserve a zone of @p len bytes on @p socket_id (KEEL_SOCKET_ID_ANY: any)
 * aligned to 64 bytes.
 * @return the zone, or NULL with errno: EINVAL (len 0, bad socket, bad
 *         flags, align/bound not powers of two or bound < len),
 *         ENAMETOOLONG, EEXIST (name taken), ENOMEM.
 */
const struct keel_memzone *keel_memzone_reserve(const char *name,
						uint64_t len, int socket_id,
						unsigned int flags);

/** As keel_memzone_reserve(), aligned to @p align (a power of two). */
const struct keel_memzone *keel_memzone_reserve_aligned(const char *name,
		uint64_t len, int socket_id, unsigned int flags,
		uint64_t align);

/**
 * As keel_memzone_reserve_aligned(), and the zone does not cross a
 * multiple of @p bound (a power of two >= len; 0: no bound).
 */
const struct keel_memzone *keel_memzone_reserve_bounded(const char *name,
		uint64_t len, int socket_id, unsigned int flags,
		uint64_t align, uint64_t bound);

/** Find a zone by name; NULL (errno ENOENT) if none. */
const struct keel_memzone *keel_memzone_lookup(const char *name);

/** Free a zone. @return 0, or -EINVAL if it is not a reserved zone. */
int keel_memzone_free(const struct keel_memzone *mz);

/** Call fn for each zone, in reservation order. */
void keel_memzone_walk(void (*fn)(const struct keel_memzone *, void *),
		       void *arg);

/** Number of reserved zones. */
unsigned int keel_memzone_count(void);

/** Print every zone. */
void keel_memzone_dump(FILE *f);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_MEMZONE_H */
