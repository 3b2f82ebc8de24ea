/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_MALLOC_H
#define KEEL_MALLOC_H

/**
 * @file
 * DMA-able memory allocation from the EAL's heaps (one per NUMA socket).
 *
 * Memory comes from EAL pages, so every byte has an IOVA
 * (keel_mem_virt2iova()) and is mapped in the IOMMU container. Heaps grow by
 * allocating pages (memory events fire) and give whole grown regions back
 * when they become entirely free. Memory preallocated with -m is kept.
 *
 * **Every allocation is IOVA-contiguous**: byte i of an allocation p has
 * the IOVA keel_mem_virt2iova(p) + i, so a device may be given the whole
 * buffer by its first IOVA. That costs nothing in IOVA modes va and alloc.
 * In pa mode, pages are as contiguous as the physical memory behind them:
 * with hugepages an allocation up to a page always fits, and with 4 KiB
 * pages (--no-huge, warned about at init) one larger than a page needs
 * physically adjacent pages and mostly fails with ENOMEM and a log line
 * saying so.
 *
 * Errors: NULL with errno = EINVAL (size 0, alignment not a power of two,
 * bad socket) or ENOMEM (no memory, or no IOVA-contiguous run that large).
 * Freeing a pointer that is not a live allocation (double free, wild
 * pointer) is detected, logged and ignored.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Any socket. */
#define KEEL_SOCKET_ID_ANY (-1)

/**
 * Allocate @p size bytes aligned to @p align (a power of two; 0 = cache
 * line, 64) on the caller's socket, falling back to any socket.
 * @p type is a tag for debugging (may be NULL).
 */
void *keel_malloc(const char *type, size_t size, unsigned int align);

/** keel_malloc() and zero the memory. */
void *keel_zmalloc(const char *type, size_t size, unsigned int align);

/** Zeroed array of @p num elements of @p size bytes (overflow: EINVAL). */
void *keel_calloc(const char *type, size_t num, size_t size,
		  unsigned int align);

/**
 * Resize: contents kept up to the smaller size. @p ptr NULL acts as
 * keel_malloc(). On failure NULL is returned and @p ptr stays valid.
 */
void *keel_realloc(void *ptr, size_t size, unsigned int align);

/** Allocate on socket @p socket only (KEEL_SOCKET_ID_ANY: any). */
void *keel_malloc_socket(const char *type, size_t size, unsigned int align,
			 int socket);

/** keel_malloc_socket() and zero the memory. */
void *keel_zmalloc_socket(const char *type, size_t size, unsigned int align,
			  int socket);

/** Free memory from the functions above. NULL is ignored. */
void keel_free(void *ptr);

/** @return the usable size of an allocation, or 0 if @p ptr is not one. */
size_t keel_malloc_usable_size(const void *ptr);

/** Statistics of one socket's heap. */
struct keel_malloc_socket_stats {
	uint64_t heap_totalsz_bytes;  /**< bytes of pages the heap holds */
	uint64_t heap_freesz_bytes;   /**< free bytes */
	uint64_t heap_allocsz_bytes;  /**< allocated bytes (headers included) */
	uint64_t greatest_free_size;  /**< largest free element */
	uint64_t free_count;          /**< free elements */
	uint64_t alloc_count;         /**< live allocations */
	uint64_t n_grow;              /**< times the heap grew */
	uint64_t n_shrink;            /**< times it gave pages back */
	uint64_t n_bad_free;          /**< double or invalid frees seen */
};

/** @return 0, or -EINVAL for a bad socket / NULL. */
int keel_malloc_get_socket_stats(int socket,
				 struct keel_malloc_socket_stats *st);

/** Print every heap's statistics. */
void keel_malloc_dump_stats(FILE *f);

/**
 * Check every heap's element chains (headers, links, sizes).
 * @return 0 when consistent, -EFAULT (and a log line) otherwise.
 */
int keel_malloc_validate(void);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_MALLOC_H */
