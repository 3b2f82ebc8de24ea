/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_KVARGS_H
#define KEEL_KVARGS_H

/**
 * @file
 * key=value argument lists, as given to devices and drivers
 * ("dma_soft0,mode=worker,lcore=1" after the device name). Every bus and
 * driver parses its arguments with it (libkeel_kvargs).
 *
 * Grammar (the input is untrusted; anything else is rejected):
 *
 *     args  := "" | pair ("," pair)*
 *     pair  := key "=" value
 *     key   := [A-Za-z0-9_-]{1,31}   (DPDK spells some with "-": no-rx)
 *     value := 1..255 printable ASCII characters other than "," and "="
 *
 * A key may appear once. With a list of valid keys, any other key is
 * rejected. Errors return NULL with errno EINVAL and log the offending
 * text; nothing is allocated then.
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most pairs in one argument string. */
#define KEEL_KVARGS_MAX_PAIRS 32
/** Longest argument string accepted, NUL excluded. */
#define KEEL_KVARGS_MAX_LEN 4096
/** Longest key, NUL excluded. */
#define KEEL_KVARGS_KEY_MAX 31
/** Longest value, NUL excluded. */
#define KEEL_KVARGS_VALUE_MAX 255

struct keel_kvargs;

/**
 * Parse @p args.
 *
 * @param args        the text (NULL is taken as "")
 * @param valid_keys  NULL-terminated list of allowed keys, or NULL for any
 * @return the parsed list (free with keel_kvargs_free()), or NULL with
 *         errno EINVAL (bad syntax, unknown or repeated key, too long, too
 *         many pairs; logged) or ENOMEM.
 */
struct keel_kvargs *keel_kvargs_parse(const char *args,
				      const char *const valid_keys[]);

/** Free a list (NULL is fine). */
void keel_kvargs_free(struct keel_kvargs *kv);

/** @return the number of pairs. */
unsigned int keel_kvargs_count(const struct keel_kvargs *kv);

/** @return the key of pair @p i (NULL when out of range). */
const char *keel_kvargs_key(const struct keel_kvargs *kv, unsigned int i);
/** @return the value of pair @p i (NULL when out of range). */
const char *keel_kvargs_value(const struct keel_kvargs *kv, unsigned int i);

/** @return the value of @p key, or NULL when absent. */
const char *keel_kvargs_get(const struct keel_kvargs *kv, const char *key);

/**
 * Value of @p key as an unsigned decimal or 0x-hex integer in
 * [@p min, @p max].
 *
 * @return 0 with *out set; -ENOENT when absent (*out untouched); -EINVAL
 *         (logged) when not a number or out of range.
 */
int keel_kvargs_get_u64(const struct keel_kvargs *kv, const char *key,
			uint64_t min, uint64_t max, uint64_t *out);

/**
 * Value of @p key that must be one of @p choices (NULL-terminated).
 *
 * @return the index of the choice; -ENOENT when absent; -EINVAL (logged)
 *         when it is none of them.
 */
int keel_kvargs_get_choice(const struct keel_kvargs *kv, const char *key,
			   const char *const choices[]);

/** Log component of the parser ("kvargs"). */
extern int keel_logtype_kvargs;

#ifdef __cplusplus
}
#endif
#endif /* KEEL_KVARGS_H */
