/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_MEMPOOL_INTERNAL_H
#define KEEL_MEMPOOL_INTERNAL_H

/* What the files of lib/mempool share and nobody else sees. */
#include <errno.h>
#include <stdbool.h>

#include "keel_log.h"
#include "keel_mempool.h"

extern int keel_logtype_mempool;

#define MP_LOG(lvl, ...) KEEL_LOG(lvl, keel_logtype_mempool, __VA_ARGS__)

/* Audit cookies (debug pools): header state and trailer guard. */
#define MP_COOKIE_FREE    0x4b45454c46524545ull /* "KEELFREE" */
#define MP_COOKIE_ALLOC   0x4b45454c414c4c43ull /* "KEELALLC" */
#define MP_TRAILER_COOKIE 0x5452414954524c52ull /* "TRAITRLR" */

/* set errno and return -err */
static inline int
mp_fail(int err)
{
	errno = err;
	return -err;
}

/* 1 when mp is a live pool (its magic checked; mp must be readable) */
static inline bool
mp_live(const struct keel_mempool *mp)
{
	return mp != NULL && mp->magic == KEEL_MEMPOOL_MAGIC;
}

/* the trailer cookie of an object (debug pools), unaligned-safe */
static inline uint64_t *
mp_trailer(const struct keel_mempool *mp, void *obj)
{
	return (uint64_t *)((char *)obj + ((mp->elt_size + 7u) & ~7u));
}

/* bytes each object takes, header to trailer */
static inline uint32_t
mp_total_size(const struct keel_mempool *mp)
{
	return mp->header_size + mp->elt_size + mp->trailer_size;
}

/* mempool_ops.c: the backend ops a pool gets by default */
const struct keel_mempool_ops *mp_ops_default(unsigned int flags);

/* mempool_populate.c: release every chunk (unmap, free_cb, free) */
void mp_release_chunks(struct keel_mempool *mp);

/* mempool_audit.c: initial cookies of a new object */
void mp_obj_cookies_init(struct keel_mempool *mp, void *obj);

#endif
