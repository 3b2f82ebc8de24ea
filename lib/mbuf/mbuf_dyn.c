/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registry of dynamic mbuf fields and flags.
 *
 * It lives in the memzone "keel_mbuf_dyn", created at the first
 * registration, so it lasts exactly as long as the EAL: keel_eal_cleanup()
 * frees every memzone and the next EAL starts with an empty registry.
 *
 * Invariant: free_bytes[i] is 1 exactly for the bytes of the dynamic area
 * (dynfield1) no registered field covers, and free_flags has a bit set
 * exactly for the bits of [FIRST_FREE, LAST_FREE] no registered flag uses;
 * names are unique among fields and among flags. dyn_lock protects all of
 * it; every call checks its arguments before it changes anything.
 */
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "keel_mbuf.h"
#include "keel_mbuf_dyn.h"
#include "keel_memzone.h"
#include "mbuf_internal.h"

#define DYN_MZ "keel_mbuf_dyn"
#define MAX_FIELDS 64
#define MAX_FLAGS 64
#define MBUF_SIZE sizeof(struct keel_mbuf)

struct dyn_field {
	struct keel_mbuf_dynfield p;
	size_t offset;
};

struct dyn_flag {
	struct keel_mbuf_dynflag p;
	unsigned int bit;
};

struct dyn_shm {
	uint8_t free_bytes[MBUF_SIZE];
	uint64_t free_flags;
	unsigned int n_fields, n_flags;
	struct dyn_field fields[MAX_FIELDS];
	struct dyn_flag flags[MAX_FLAGS];
};

static pthread_mutex_t dyn_lock = PTHREAD_MUTEX_INITIALIZER;

static int
fail(int err)
{
	errno = err;
	return -err;
}

/* the registry, created when @p create; NULL when there is none */
static struct dyn_shm *
shm_get(int create)
{
	const struct keel_memzone *mz = keel_memzone_lookup(DYN_MZ);
	struct dyn_shm *shm;
	uint64_t bit;
	size_t i;

	if (mz != NULL || !create)
		return mz ? mz->addr : NULL;
	mz = keel_memzone_reserve(DYN_MZ, sizeof(*shm), KEEL_SOCKET_ID_ANY, 0);
	if (mz == NULL)
		return NULL;
	shm = mz->addr;
	memset(shm, 0, sizeof(*shm));
	for (i = offsetof(struct keel_mbuf, dynfield1);
	     i < offsetof(struct keel_mbuf, dynfield1) +
	     sizeof(((struct keel_mbuf *)0)->dynfield1); i++)
		shm->free_bytes[i] = 1;
	for (bit = KEEL_MBUF_F_FIRST_FREE; bit <= KEEL_MBUF_F_LAST_FREE; bit <<= 1)
		shm->free_flags |= bit;
	return shm;
}

static int
name_check(const char *name, const char *what)
{
	if (name[0] == '\0' ||
	    strnlen(name, KEEL_MBUF_DYN_NAMESIZE) == KEEL_MBUF_DYN_NAMESIZE) {
		MBUF_LOG(ERR, "mbuf dynamic %s '%.*s': name %s", what,
			 KEEL_MBUF_DYN_NAMESIZE - 1, name,
			 name[0] ? "longer than 63 characters" : "empty");
		return name[0] ? -ENAMETOOLONG : -EINVAL;
	}
	return 0;
}

static int
range_free(const struct dyn_shm *shm, size_t off, size_t size)
{
	size_t i;

	if (off + size > MBUF_SIZE || off + size < off)
		return 0;
	for (i = off; i < off + size; i++)
		if (!shm->free_bytes[i])
			return 0;
	return 1;
}

int
keel_mbuf_dynfield_register_offset(const struct keel_mbuf_dynfield *params,
				   size_t req)
{
	struct dyn_field *f;
	struct dyn_shm *shm;
	size_t off, i;
	int ret;

	if (params == NULL)
		return fail(EINVAL);
	ret = name_check(params->name, "field");
	if (ret < 0)
		return fail(-ret);
	if (params->size == 0 || params->size > MBUF_SIZE || params->align == 0 ||
	    (params->align & (params->align - 1)) || params->flags != 0) {
		MBUF_LOG(ERR, "mbuf dynamic field '%s': size %zu align %zu flags "
			 "0x%x: size must be 1..%zu, align a power of two, flags 0",
			 params->name, params->size, params->align,
			 params->flags, MBUF_SIZE);
		return fail(EINVAL);
	}
	if (req != SIZE_MAX && (req & (params->align - 1))) {
		MBUF_LOG(ERR, "mbuf dynamic field '%s': offset %zu is not aligned "
			 "to %zu", params->name, req, params->align);
		return fail(EINVAL);
	}
	pthread_mutex_lock(&dyn_lock);
	shm = shm_get(1);
	if (shm == NULL) {
		pthread_mutex_unlock(&dyn_lock);
		MBUF_LOG(ERR, "mbuf dynamic field '%s': no memory for the "
			 "registry", params->name);
		return fail(ENOMEM);
	}
	for (i = 0; i < shm->n_fields; i++) {
		f = &shm->fields[i];
		if (strcmp(f->p.name, params->name) != 0)
			continue;
		if (f->p.size == params->size && f->p.align == params->align &&
		    f->p.flags == params->flags &&
		    (req == SIZE_MAX || req == f->offset)) {
			pthread_mutex_unlock(&dyn_lock);
			return (int)f->offset;
		}
		pthread_mutex_unlock(&dyn_lock);
		MBUF_LOG(ERR, "mbuf dynamic field '%s': registered already with "
			 "size %zu align %zu at offset %zu", params->name,
			 f->p.size, f->p.align, f->offset);
		return fail(EEXIST);
	}
	if (shm->n_fields == MAX_FIELDS) {
		pthread_mutex_unlock(&dyn_lock);
		MBUF_LOG(ERR, "mbuf dynamic field '%s': %d fields registered "
			 "already", params->name, MAX_FIELDS);
		return fail(ENOSPC);
	}
	if (req != SIZE_MAX) {
		if (!range_free(shm, req, params->size)) {
			pthread_mutex_unlock(&dyn_lock);
			MBUF_LOG(ERR, "mbuf dynamic field '%s': bytes %zu..%zu are "
				 "taken or not in the dynamic area", params->name,
				 req, req + params->size - 1);
			return fail(EBUSY);
		}
		off = req;
	} else {
		for (off = 0; off < MBUF_SIZE; off += params->align)
			if (range_free(shm, off, params->size))
				break;
		if (off >= MBUF_SIZE) {
			pthread_mutex_unlock(&dyn_lock);
			MBUF_LOG(ERR, "mbuf dynamic field '%s': no room for %zu "
				 "bytes aligned to %zu", params->name, params->size,
				 params->align);
			return fail(ENOSPC);
		}
	}
	f = &shm->fields[shm->n_fields++];
	f->p = *params;
	f->offset = off;
	memset(&shm->free_bytes[off], 0, params->size);
	pthread_mutex_unlock(&dyn_lock);
	return (int)off;
}

int
keel_mbuf_dynfield_register(const struct keel_mbuf_dynfield *params)
{
	return keel_mbuf_dynfield_register_offset(params, SIZE_MAX);
}

int
keel_mbuf_dynfield_lookup(const char *name, struct keel_mbuf_dynfield *params)
{
	struct dyn_shm *shm;
	unsigned int i;
	int ret = -ENOENT;

	if (name == NULL)
		return fail(EINVAL);
	pthread_mutex_lock(&dyn_lock);
	shm = shm_get(0);
	for (i = 0; shm != NULL && i < shm->n_fields; i++)
		if (strcmp(shm->fields[i].p.name, name) == 0) {
			if (params != NULL)
				*params = shm->fields[i].p;
			ret = (int)shm->fields[i].offset;
			break;
		}
	pthread_mutex_unlock(&dyn_lock);
	return ret < 0 ? fail(-ret) : ret;
}

int
keel_mbuf_dynflag_register_bitnum(const struct keel_mbuf_dynflag *params,
				  unsigned int req)
{
	struct dyn_shm *shm;
	struct dyn_flag *f;
	unsigned int i, bit;
	int ret;

	if (params == NULL)
		return fail(EINVAL);
	ret = name_check(params->name, "flag");
	if (ret < 0)
		return fail(-ret);
	if (params->flags != 0) {
		MBUF_LOG(ERR, "mbuf dynamic flag '%s': flags 0x%x must be 0",
			 params->name, params->flags);
		return fail(EINVAL);
	}
	pthread_mutex_lock(&dyn_lock);
	shm = shm_get(1);
	if (shm == NULL) {
		pthread_mutex_unlock(&dyn_lock);
		return fail(ENOMEM);
	}
	for (i = 0; i < shm->n_flags; i++) {
		f = &shm->flags[i];
		if (strcmp(f->p.name, params->name) != 0)
			continue;
		if (f->p.flags == params->flags && (req == UINT_MAX ||
						    req == f->bit)) {
			pthread_mutex_unlock(&dyn_lock);
			return (int)f->bit;
		}
		pthread_mutex_unlock(&dyn_lock);
		MBUF_LOG(ERR, "mbuf dynamic flag '%s': registered already on bit "
			 "%u", params->name, f->bit);
		return fail(EEXIST);
	}
	if (req != UINT_MAX) {
		if (req >= 64 || !(shm->free_flags & (1ULL << req))) {
			pthread_mutex_unlock(&dyn_lock);
			MBUF_LOG(ERR, "mbuf dynamic flag '%s': bit %u is taken or "
				 "not free for dynamic flags (23..40)",
				 params->name, req);
			return fail(EBUSY);
		}
		bit = req;
	} else {
		if (shm->free_flags == 0 || shm->n_flags == MAX_FLAGS) {
			pthread_mutex_unlock(&dyn_lock);
			MBUF_LOG(ERR, "mbuf dynamic flag '%s': no free bit left",
				 params->name);
			return fail(ENOSPC);
		}
		/* from the top, as DPDK, so fixed low bits stay available */
		bit = 63 - (unsigned int)__builtin_clzll(shm->free_flags);
	}
	f = &shm->flags[shm->n_flags++];
	f->p = *params;
	f->bit = bit;
	shm->free_flags &= ~(1ULL << bit);
	pthread_mutex_unlock(&dyn_lock);
	return (int)bit;
}

int
keel_mbuf_dynflag_register(const struct keel_mbuf_dynflag *params)
{
	return keel_mbuf_dynflag_register_bitnum(params, UINT_MAX);
}

int
keel_mbuf_dynflag_lookup(const char *name, struct keel_mbuf_dynflag *params)
{
	struct dyn_shm *shm;
	unsigned int i;
	int ret = -ENOENT;

	if (name == NULL)
		return fail(EINVAL);
	pthread_mutex_lock(&dyn_lock);
	shm = shm_get(0);
	for (i = 0; shm != NULL && i < shm->n_flags; i++)
		if (strcmp(shm->flags[i].p.name, name) == 0) {
			if (params != NULL)
				*params = shm->flags[i].p;
			ret = (int)shm->flags[i].bit;
			break;
		}
	pthread_mutex_unlock(&dyn_lock);
	return ret < 0 ? fail(-ret) : ret;
}

void
keel_mbuf_dyn_dump(FILE *out)
{
	struct dyn_shm *shm;
	unsigned int i, nfree = 0;

	if (out == NULL)
		return;
	pthread_mutex_lock(&dyn_lock);
	shm = shm_get(0);
	if (shm == NULL) {
		pthread_mutex_unlock(&dyn_lock);
		fprintf(out, "mbuf dynamic fields: none registered; 36 bytes and "
			"18 flags free\n");
		return;
	}
	for (i = 0; i < shm->n_fields; i++)
		fprintf(out, "  field '%s': offset %zu size %zu align %zu\n",
			shm->fields[i].p.name, shm->fields[i].offset,
			shm->fields[i].p.size, shm->fields[i].p.align);
	for (i = 0; i < shm->n_flags; i++)
		fprintf(out, "  flag '%s': bit %u\n", shm->flags[i].p.name,
			shm->flags[i].bit);
	for (i = 0; i < MBUF_SIZE; i++)
		nfree += shm->free_bytes[i];
	fprintf(out, "  free: %u bytes, flags 0x%016" PRIx64 "\n", nfree,
		shm->free_flags);
	pthread_mutex_unlock(&dyn_lock);
}
