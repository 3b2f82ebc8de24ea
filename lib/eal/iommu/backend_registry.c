/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registry of IOMMU backends: (kind, name, create) triples that backends
 * add from constructors, so the container links against none of them.
 *
 * Invariant: regs[0..n_regs) hold distinct names. reg_lock protects the
 * array (registration runs in constructors; lookups at container creation).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "keel_log.h"
#include "iommu_backend.h"

#define MAX_BACKENDS 16
#define NAME_MAX_LEN 32

struct backend_reg {
	enum keel_iommu_kind kind;
	char name[NAME_MAX_LEN];
	keel_iommu_backend_create_t create;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct backend_reg regs[MAX_BACKENDS];
static int n_regs;

static int
find_name(const char *name)
{
	int i;

	for (i = 0; i < n_regs; i++)
		if (strcmp(regs[i].name, name) == 0)
			return i;
	return -1;
}

int
keel_iommu_backend_register(enum keel_iommu_kind kind, const char *name,
			    keel_iommu_backend_create_t create)
{
	int i, ret = 0;

	if (name == NULL || create == NULL || name[0] == '\0' ||
	    strlen(name) >= NAME_MAX_LEN) {
		errno = EINVAL;
		return -EINVAL;
	}
	pthread_mutex_lock(&reg_lock);
	i = find_name(name);
	if (i < 0) {
		if (n_regs == MAX_BACKENDS) {
			ret = -ENOSPC;
			goto out;
		}
		i = n_regs++;
	}
	regs[i].kind = kind;
	strcpy(regs[i].name, name);
	regs[i].create = create;
out:
	pthread_mutex_unlock(&reg_lock);
	if (ret < 0)
		errno = -ret;
	return ret;
}

int
keel_iommu_backend_unregister(const char *name)
{
	int i;

	if (name == NULL)
		return -EINVAL;
	pthread_mutex_lock(&reg_lock);
	i = find_name(name);
	if (i >= 0) {
		memmove(&regs[i], &regs[i + 1],
			(size_t)(n_regs - i - 1) * sizeof(regs[0]));
		n_regs--;
	}
	pthread_mutex_unlock(&reg_lock);
	return i >= 0 ? 0 : -ENOENT;
}

keel_iommu_backend_create_t
keel_iommu_backend_find(enum keel_iommu_kind kind, const char *name,
			const char **name_out)
{
	keel_iommu_backend_create_t fn = NULL;
	int i;

	pthread_mutex_lock(&reg_lock);
	for (i = n_regs - 1; i >= 0; i--) {
		if (name != NULL ? strcmp(regs[i].name, name) == 0 :
		    regs[i].kind == kind) {
			fn = regs[i].create;
			if (name_out != NULL)
				*name_out = regs[i].name;
			break;
		}
	}
	pthread_mutex_unlock(&reg_lock);
	return fn;
}

int
keel_iommu_backend_kind_of(const char *name)
{
	int i, ret = -ENOENT;

	if (name == NULL)
		return -EINVAL;
	pthread_mutex_lock(&reg_lock);
	i = find_name(name);
	if (i >= 0)
		ret = (int)regs[i].kind;
	pthread_mutex_unlock(&reg_lock);
	return ret;
}
