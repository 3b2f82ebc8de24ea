/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * key=value argument parser for device arguments (every bus and driver).
 *
 * Invariant: a struct keel_kvargs owns one copy of the input in buf; every
 * pair points into it, keys are unique, and count <= KEEL_KVARGS_MAX_PAIRS.
 * The input is untrusted: every character and length is checked before it
 * is used, and a failed parse frees everything. No lock: a parsed list is
 * read-only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "keel_kvargs.h"
#include "keel_log.h"

KEEL_LOG_REGISTER(keel_logtype_kvargs, "kvargs", INFO)

struct keel_kvargs {
	unsigned int count;
	char *key[KEEL_KVARGS_MAX_PAIRS];
	char *value[KEEL_KVARGS_MAX_PAIRS];
	char buf[];
};

static int
key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int
value_char(char c)
{
	return c > ' ' && c < 0x7f && c != ',' && c != '=';
}

/* "a, b, c" of a NULL-terminated list, cut short with "..." if long */
static const char *
list_str(const char *const list[], char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; list != NULL && list[i] != NULL; i++) {
		int w = snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
				 list[i]);

		if (w < 0 || (size_t)w >= len - n) {
			snprintf(buf + (len > 4 ? len - 4 : 0), 4, "...");
			break;
		}
		n += (size_t)w;
	}
	return buf;
}

/* log "kvargs: <why> at offset <pos> of '<args>'<tail>", free, EINVAL */
static struct keel_kvargs *
bad_ex(struct keel_kvargs *kv, const char *args, size_t pos, const char *why,
       const char *tail)
{
	KEEL_LOG(ERR, keel_logtype_kvargs,
		 "kvargs: %s at offset %zu of '%.200s'%s", why, pos, args, tail);
	free(kv);
	errno = EINVAL;
	return NULL;
}

static struct keel_kvargs *
bad(struct keel_kvargs *kv, const char *args, size_t pos, const char *why)
{
	return bad_ex(kv, args, pos, why, "");
}

/* an error about a key: the message lists the valid keys, if given */
static struct keel_kvargs *
bad_keys(struct keel_kvargs *kv, const char *args, size_t pos,
	 const char *why, const char *const valid_keys[])
{
	char tail[300] = "", keys[256];

	if (valid_keys != NULL)
		snprintf(tail, sizeof(tail), " (valid keys: %s)",
			 list_str(valid_keys, keys, sizeof(keys)));
	return bad_ex(kv, args, pos, why, tail);
}

/* unknown or repeated key: name it */
static struct keel_kvargs *
bad_key(struct keel_kvargs *kv, const char *args, size_t pos,
	const char *key, const char *what, const char *const valid_keys[])
{
	char why[KEEL_KVARGS_KEY_MAX + 32];

	snprintf(why, sizeof(why), "%s key '%s'", what, key);
	return bad_keys(kv, args, pos, why, valid_keys);
}

struct keel_kvargs *
keel_kvargs_parse(const char *args, const char *const valid_keys[])
{
	struct keel_kvargs *kv;
	size_t len, pos = 0;

	if (args == NULL)
		args = "";
	len = strnlen(args, KEEL_KVARGS_MAX_LEN + 1);
	if (len > KEEL_KVARGS_MAX_LEN)
		return bad(NULL, args, KEEL_KVARGS_MAX_LEN,
			   "argument string too long");
	kv = calloc(1, sizeof(*kv) + len + 1);
	if (kv == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(kv->buf, args, len + 1);
	if (len == 0)
		return kv;
	for (;;) {
		char *key = kv->buf + pos, *val;
		size_t klen = 0, vlen = 0;

		while (key_char(key[klen]))
			klen++;
		if (klen == 0)
			return bad_keys(kv, args, pos, "missing or bad key",
					valid_keys);
		if (klen > KEEL_KVARGS_KEY_MAX)
			return bad_keys(kv, args, pos, "key too long",
					valid_keys);
		if (key[klen] != '=')
			return bad_keys(kv, args, pos + klen,
					"expected '=' after key", valid_keys);
		val = key + klen + 1;
		while (value_char(val[vlen]))
			vlen++;
		if (vlen == 0)
			return bad(kv, args, pos + klen + 1, "empty value");
		if (vlen > KEEL_KVARGS_VALUE_MAX)
			return bad(kv, args, pos + klen + 1, "value too long");
		if (val[vlen] != ',' && val[vlen] != '\0')
			return bad(kv, args, pos + klen + 1 + vlen,
				   "bad character in value");
		if (kv->count == KEEL_KVARGS_MAX_PAIRS)
			return bad(kv, args, pos, "too many pairs");
		key[klen] = '\0';
		if (valid_keys != NULL) {
			const char *const *k;

			for (k = valid_keys; *k != NULL; k++)
				if (strcmp(*k, key) == 0)
					break;
			if (*k == NULL)
				return bad_key(kv, args, pos, key, "unknown",
					       valid_keys);
		}
		if (keel_kvargs_get(kv, key) != NULL)
			return bad_key(kv, args, pos, key, "repeated",
				       valid_keys);
		kv->key[kv->count] = key;
		kv->value[kv->count] = val;
		kv->count++;
		pos += klen + 1 + vlen;
		if (val[vlen] == '\0')
			break;
		val[vlen] = '\0';
		pos++;
		if (kv->buf[pos] == '\0')
			return bad(kv, args, pos, "trailing ','");
	}
	return kv;
}

void
keel_kvargs_free(struct keel_kvargs *kv)
{
	free(kv);
}

unsigned int
keel_kvargs_count(const struct keel_kvargs *kv)
{
	return kv == NULL ? 0 : kv->count;
}

const char *
keel_kvargs_key(const struct keel_kvargs *kv, unsigned int i)
{
	return kv == NULL || i >= kv->count ? NULL : kv->key[i];
}

const char *
keel_kvargs_value(const struct keel_kvargs *kv, unsigned int i)
{
	return kv == NULL || i >= kv->count ? NULL : kv->value[i];
}

const char *
keel_kvargs_get(const struct keel_kvargs *kv, const char *key)
{
	if (kv == NULL || key == NULL)
		return NULL;
	for (unsigned int i = 0; i < kv->count; i++)
		if (strcmp(kv->key[i], key) == 0)
			return kv->value[i];
	return NULL;
}

int
keel_kvargs_get_u64(const struct keel_kvargs *kv, const char *key,
		    uint64_t min, uint64_t max, uint64_t *out)
{
	const char *v = keel_kvargs_get(kv, key);
	char *end;
	uint64_t x;

	if (v == NULL)
		return -ENOENT;
	if (out == NULL) {
		errno = EINVAL;
		return -EINVAL;
	}
	errno = 0;
	x = strtoull(v, &end, 0);
	if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 ||
	    x < min || x > max) {
		KEEL_LOG(ERR, keel_logtype_kvargs,
			 "kvargs: %s=%s is not an integer in %" PRIu64 "..%"
			 PRIu64, key, v, min, max);
		errno = EINVAL;
		return -EINVAL;
	}
	*out = x;
	return 0;
}

int
keel_kvargs_get_choice(const struct keel_kvargs *kv, const char *key,
		       const char *const choices[])
{
	const char *v = keel_kvargs_get(kv, key);
	char list[256];

	if (v == NULL)
		return -ENOENT;
	for (int i = 0; choices != NULL && choices[i] != NULL; i++)
		if (strcmp(v, choices[i]) == 0)
			return i;
	KEEL_LOG(ERR, keel_logtype_kvargs, "kvargs: %s=%s is not one of: %s",
		 key, v, list_str(choices, list, sizeof(list)));
	errno = EINVAL;
	return -EINVAL;
}
