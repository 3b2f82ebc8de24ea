/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_MBUF_DYN_H
#define KEEL_MBUF_DYN_H

/**
 * @file
 * Dynamic mbuf fields and flags: a library or application registers a
 * field (bytes in the mbuf's dynamic area) or a flag (a free bit of
 * ol_flags) by name and gets its offset or bit number, so it can add data
 * to every mbuf without growing the structure. Mirrors DPDK 22.11's
 * rte_mbuf_dyn.h.
 *
 *     static int ts_off;
 *     const struct keel_mbuf_dynfield ts = {
 *             .name = "example_timestamp", .size = sizeof(uint64_t),
 *             .align = __alignof__(uint64_t) };
 *     ts_off = keel_mbuf_dynfield_register(&ts);     // offset or -errno
 *     *KEEL_MBUF_DYNFIELD(m, ts_off, uint64_t *) = now;
 *
 * Registering the same name again with the same parameters returns the
 * same offset (so each user registers in its own init), with different
 * parameters -EEXIST. The room: the 36 bytes of dynfield1 in the second
 * cache line, and ol_flags bits 23..40 (18 flags). Registrations live as
 * long as the EAL (keel_eal_cleanup() forgets them). Thread-safe.
 *
 * Keel returns negative errno values where DPDK returns -1 with rte_errno
 * (errno is set too), and says ENOSPC (DPDK: ENOENT) when there is no
 * room left.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest field or flag name, NUL included. */
#define KEEL_MBUF_DYN_NAMESIZE 64

/** A dynamic field. */
struct keel_mbuf_dynfield {
	char name[KEEL_MBUF_DYN_NAMESIZE]; /**< unique name */
	size_t size;                       /**< bytes (>= 1) */
	size_t align;                      /**< a power of two */
	unsigned int flags;                /**< must be 0 */
};

/** A dynamic flag. */
struct keel_mbuf_dynflag {
	char name[KEEL_MBUF_DYN_NAMESIZE]; /**< unique name */
	unsigned int flags;                /**< must be 0 */
};

/**
 * Register a dynamic field wherever it fits.
 * @return its byte offset in struct keel_mbuf, or -errno: -EINVAL (size
 *         0, alignment not a power of two, flags), -ENAMETOOLONG, -EEXIST
 *         (name taken with other parameters), -ENOSPC (no room), -ENOMEM.
 */
int keel_mbuf_dynfield_register(const struct keel_mbuf_dynfield *params);

/**
 * Register a dynamic field at byte offset @p req (SIZE_MAX: anywhere).
 * @return the offset, or the errors above and -EBUSY (@p req taken or not
 *         in the dynamic area), -EINVAL (@p req not aligned).
 */
int keel_mbuf_dynfield_register_offset(const struct keel_mbuf_dynfield *params,
				       size_t req);

/**
 * Find a field by name; copy its parameters to @p params (may be NULL).
 * @return its offset, or -ENOENT / -EINVAL.
 */
int keel_mbuf_dynfield_lookup(const char *name,
			      struct keel_mbuf_dynfield *params);

/**
 * Register a dynamic flag on any free bit.
 * @return its bit number in ol_flags, or -EINVAL, -ENAMETOOLONG, -EEXIST,
 *         -ENOSPC, -ENOMEM.
 */
int keel_mbuf_dynflag_register(const struct keel_mbuf_dynflag *params);

/**
 * Register a dynamic flag on bit @p req (UINT_MAX: any).
 * @return the bit number, or the errors above and -EBUSY (bit taken or
 *         not free for dynamic flags).
 */
int keel_mbuf_dynflag_register_bitnum(const struct keel_mbuf_dynflag *params,
				      unsigned int req);

/**
 * Find a flag by name; copy its parameters to @p params (may be NULL).
 * @return its bit number, or -ENOENT / -EINVAL.
 */
int keel_mbuf_dynflag_lookup(const char *name,
			     struct keel_mbuf_dynflag *params);

/** Print the registered fields and flags and the free room. */
void keel_mbuf_dyn_dump(FILE *out);

/** Pointer to a dynamic field at @p offset of mbuf @p m, as @p type. */
#define KEEL_MBUF_DYNFIELD(m, offset, type) \
	((type)((uintptr_t)(m) + (offset)))

#ifdef __cplusplus
}
#endif
#endif /* KEEL_MBUF_DYN_H */
