/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulated IOMMU as a container backend ("emulated", kind
 * KEEL_IOMMU_EMULATED): one emulated domain per backend instance, whose
 * map/unmap are the container's. Arguments: "aw=39|48|57,mode=strict|split,
 * inflight=wait|ebusy,limit=N,tables=N,reserved=FIRST-LAST" (reserved may
 * repeat, LAST inclusive; tables: page-table pages at most); defaults:
 * 48-bit, strict, wait, no mapping limit, KEEL_EMU_DEFAULT_TABLE_PAGES.
 * Invariant: emu_backends lists exactly the live instances (so
 * keel_emu_backend_domain() can tell an emulated priv from any other
 * pointer); it is protected by emu_backends_lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "keel_eal.h"
#include "keel_log.h"
#include "iommu_backend.h"
#include "emu_internal.h"

struct emu_backend {
	struct keel_emu_domain *d;
	struct emu_backend *next;
};

static pthread_mutex_t emu_backends_lock = PTHREAD_MUTEX_INITIALIZER;
static struct emu_backend *emu_backends;

static int
emu_be_get_caps(void *priv, struct keel_iommu_caps *caps)
{
	struct keel_emu_domain *d = ((struct emu_backend *)priv)->d;
	struct keel_emu_range r[KEEL_EMU_MAX_RESERVED], tmp;
	uint64_t aw_last = (1ULL << d->cfg.addr_width) - 1, cur = 0;
	unsigned int n = d->cfg.n_reserved, i, j;
	bool done = false;

	memset(caps, 0, sizeof(*caps));
	caps->can_split = d->cfg.unmap_mode == KEEL_EMU_UNMAP_SPLIT;
	caps->pgsize_bitmap = d->cfg.pgsize_bitmap;
	caps->addr_width = d->cfg.addr_width;
	caps->max_mappings = d->cfg.max_mappings;
	memcpy(r, d->cfg.reserved, n * sizeof(r[0]));
	for (i = 1; i < n; i++)             /* insertion sort by first */
		for (j = i; j > 0 && r[j - 1].first > r[j].first; j--) {
			tmp = r[j];
			r[j] = r[j - 1];
			r[j - 1] = tmp;
		}
	/* usable = [0, aw_last] minus the reserved ranges */
	for (i = 0; i < n && !done && r[i].first <= aw_last; i++) {
		if (r[i].first > cur) {
			caps->ranges[caps->n_ranges].start = cur;
			caps->ranges[caps->n_ranges++].last = r[i].first - 1;
		}
		if (r[i].last >= aw_last)
			done = true;
		else if (r[i].last + 1 > cur)
			cur = r[i].last + 1;
	}
	if (!done) {
		caps->ranges[caps->n_ranges].start = cur;
		caps->ranges[caps->n_ranges++].last = aw_last;
	}
	return 0;
}

static int
emu_be_map(void *priv, uint64_t va, uint64_t iova, uint64_t len,
	   uint32_t prot)
{
	return keel_emu_map(((struct emu_backend *)priv)->d, iova, va, len,
			    prot);
}

/* 1: a device still holds part of the range; the container waits for it
 * with emu_be_unmap_wait() once it has dropped its own lock */
static int
emu_be_unmap(void *priv, uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	return keel_emu_unmap_nowait(((struct emu_backend *)priv)->d, iova, len,
				     unmapped);
}

static void
emu_be_unmap_wait(void *priv, uint64_t iova, uint64_t len)
{
	keel_emu_unmap_wait(((struct emu_backend *)priv)->d, iova, len);
}

static int
emu_be_get_usage(void *priv, uint64_t *n_mappings)
{
	struct keel_emu_domain_stats st;
	int ret = keel_emu_domain_stats_get(((struct emu_backend *)priv)->d,
					    &st);

	if (ret == 0)
		*n_mappings = st.n_mappings;
	return ret;
}

static void
emu_be_destroy(void *priv)
{
	struct emu_backend *be = priv, **pp;

	pthread_mutex_lock(&emu_backends_lock);
	for (pp = &emu_backends; *pp != NULL; pp = &(*pp)->next)
		if (*pp == be) {
			*pp = be->next;
			break;
		}
	pthread_mutex_unlock(&emu_backends_lock);
	/* still attached endpoints: keep the domain (they may DMA) */
	if (keel_emu_domain_destroy(be->d) < 0)
		KEEL_LOG(ERR, emu_logtype, "emu backend: domain %" PRIu64
			 " still in use; not freed", keel_emu_domain_id(be->d));
	free(be);
}

static const struct keel_iommu_backend_ops emu_be_ops = {
	.name = "emulated",
	.get_caps = emu_be_get_caps,
	.map = emu_be_map,
	.unmap = emu_be_unmap,
	.unmap_wait = emu_be_unmap_wait,
	.destroy = emu_be_destroy,
	.get_usage = emu_be_get_usage,
};

static int
emu_be_parse_u64(const char *key, const char *v, uint64_t *out,
		 const char **endp)
{
	char *end;

	errno = 0;
	if (*v < '0' || *v > '9')
		goto bad;
	*out = strtoull(v, &end, 0);
	if (errno != 0 || end == v)
		goto bad;
	*endp = end;
	return 0;
bad:
	KEEL_LOG(ERR, emu_logtype, "emu backend: bad number '%s' for %s", v, key);
	return -EINVAL;
}

static int
emu_be_parse(const char *args, struct keel_emu_domain_config *c)
{
	char buf[512], *save = NULL, *kv;
	const char *end;
	uint64_t v;

	if (args == NULL || args[0] == '\0')
		return 0;
	if (strlen(args) >= sizeof(buf)) {
		KEEL_LOG(ERR, emu_logtype, "emu backend: arguments too long");
		return -EINVAL;
	}
	strcpy(buf, args);
	for (kv = strtok_r(buf, ",", &save); kv != NULL;
	     kv = strtok_r(NULL, ",", &save)) {
		char *val = strchr(kv, '=');

		if (val == NULL) {
			KEEL_LOG(ERR, emu_logtype, "emu backend: '%s' is not "
				 "key=value", kv);
			return -EINVAL;
		}
		*val++ = '\0';
		if (strcmp(kv, "aw") == 0) {
			if (emu_be_parse_u64(kv, val, &v, &end) < 0)
				return -EINVAL;
			if (*end != '\0' || (v != 39 && v != 48 && v != 57)) {
				KEEL_LOG(ERR, emu_logtype, "emu backend: aw=%s not "
					 "39, 48 or 57", val);
				return -EINVAL;
			}
			c->addr_width = (unsigned int)v;
		} else if (strcmp(kv, "mode") == 0) {
			if (strcmp(val, "strict") == 0) {
				c->unmap_mode = KEEL_EMU_UNMAP_STRICT;
			} else if (strcmp(val, "split") == 0) {
				c->unmap_mode = KEEL_EMU_UNMAP_SPLIT;
			} else {
				KEEL_LOG(ERR, emu_logtype, "emu backend: mode=%s "
					 "not strict or split", val);
				return -EINVAL;
			}
		} else if (strcmp(kv, "inflight") == 0) {
			if (strcmp(val, "wait") == 0) {
				c->inflight_mode = KEEL_EMU_INFLIGHT_WAIT;
			} else if (strcmp(val, "ebusy") == 0) {
				c->inflight_mode = KEEL_EMU_INFLIGHT_EBUSY;
			} else {
				KEEL_LOG(ERR, emu_logtype, "emu backend: inflight=%s"
					 " not wait or ebusy", val);
				return -EINVAL;
			}
		} else if (strcmp(kv, "limit") == 0) {
			if (emu_be_parse_u64(kv, val, &v, &end) < 0)
				return -EINVAL;
			if (*end != '\0') {
				KEEL_LOG(ERR, emu_logtype, "emu backend: bad limit=%s",
					 val);
				return -EINVAL;
			}
			c->max_mappings = v;
		} else if (strcmp(kv, "tables") == 0) {
			if (emu_be_parse_u64(kv, val, &v, &end) < 0)
				return -EINVAL;
			if (*end != '\0' || v == 0) {
				KEEL_LOG(ERR, emu_logtype, "emu backend: tables=%s "
					 "is not a page count > 0", val);
				return -EINVAL;
			}
			c->max_table_pages = v;
		} else if (strcmp(kv, "reserved") == 0) {
			struct keel_emu_range r;

			if (c->n_reserved >= KEEL_EMU_MAX_RESERVED) {
				KEEL_LOG(ERR, emu_logtype, "emu backend: more than "
					 "%d reserved ranges", KEEL_EMU_MAX_RESERVED);
				return -EINVAL;
			}
			if (emu_be_parse_u64(kv, val, &r.first, &end) < 0)
				return -EINVAL;
			if (*end != '-' ||
			    emu_be_parse_u64(kv, end + 1, &r.last, &end) < 0 ||
			    *end != '\0' || r.first > r.last) {
				KEEL_LOG(ERR, emu_logtype, "emu backend: reserved=%s"
					 " is not FIRST-LAST with FIRST <= LAST",
					 val);
				return -EINVAL;
			}
			c->reserved[c->n_reserved++] = r;
		} else {
			KEEL_LOG(ERR, emu_logtype, "emu backend: unknown key '%s'",
				 kv);
			return -EINVAL;
		}
	}
	return 0;
}

static int
emu_be_create(const char *args, const struct keel_iommu_backend_ops **ops,
	      void **priv)
{
	struct keel_emu_domain_config c;
	struct emu_backend *be;

	memset(&c, 0, sizeof(c));
	if (emu_be_parse(args, &c) < 0) {
		errno = EINVAL;
		return -EINVAL;
	}
	be = calloc(1, sizeof(*be));
	if (be == NULL) {
		errno = ENOMEM;
		return -ENOMEM;
	}
	be->d = keel_emu_domain_create(&c);
	if (be->d == NULL) {
		int err = errno;

		free(be);
		errno = err;
		return -err;
	}
	pthread_mutex_lock(&emu_backends_lock);
	be->next = emu_backends;
	emu_backends = be;
	pthread_mutex_unlock(&emu_backends_lock);
	*ops = &emu_be_ops;
	*priv = be;
	return 0;
}

struct keel_emu_domain *
keel_emu_backend_domain(void *backend_priv)
{
	struct emu_backend *be;
	struct keel_emu_domain *d = NULL;

	pthread_mutex_lock(&emu_backends_lock);
	for (be = emu_backends; be != NULL; be = be->next)
		if (be == backend_priv) {
			d = be->d;
			break;
		}
	pthread_mutex_unlock(&emu_backends_lock);
	if (d == NULL)
		errno = EINVAL;
	return d;
}

__attribute__((constructor)) static void
emu_backend_register(void)
{
	keel_iommu_backend_register(KEEL_IOMMU_EMULATED, "emulated",
				    emu_be_create);
}
