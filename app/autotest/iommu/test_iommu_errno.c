/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel_iommu.h promises that every function returning int returns 0 or a
 * negative errno with errno set, and that every refusal is logged naming
 * the value. This test calls every public entry point with each NULL
 * argument, and the lookups with addresses that are not mapped, and checks
 * the return value, errno and (for refusals) the log line.
 */
#include <stdlib.h>
#include <string.h>

#include "keel_iommu.h"
#include "test.h"
#include "iommu_test_util.h"

struct call_check {
	const char *what;
	long ret;
	long want_ret;
	int err;
	int want_err;
	char *log;
	const char *needle;     /* NULL: no log line expected */
};

static int
verdict(struct call_check *c)
{
	int ok = c->ret == c->want_ret && c->err == c->want_err;

	if (c->needle != NULL)
		ok = ok && log_has(c->log, c->needle);
	else
		ok = ok && (c->log == NULL || c->log[0] == '\0');
	if (!ok)
		printf("  %s: returned %ld errno %d (%s), log '%s'; expected %ld"
		       " errno %d, log naming '%s'\n", c->what, c->ret, c->err,
		       strerror(c->err), c->log ? c->log : "", c->want_ret,
		       c->want_err, c->needle ? c->needle : "(none)");
	free(c->log);
	return ok ? TEST_SUCCESS : TEST_FAILED;
}

/* run @p call with errno cleared and the log captured */
#define CALL(call, want_ret, want_err, needle) do { \
	struct call_check c_ = { #call, 0, (long)(want_ret), 0, (want_err), \
				 NULL, (needle) }; \
	test_log_capture_start(); \
	errno = 0; \
	c_.ret = (long)(call); \
	c_.err = errno; \
	c_.log = test_log_capture_stop(); \
	if (verdict(&c_) != TEST_SUCCESS) \
		fails++; \
} while (0)

static int
walk_one(const struct keel_iommu_mapping *m, void *arg)
{
	(void)m;
	(void)arg;
	return 0;
}

static int
test_iommu_errno(void)
{
	struct keel_iommu_container *c;
	struct keel_iommu_mapping m;
	struct keel_iommu_caps caps;
	struct keel_iommu_stats st;
	uint64_t iova;
	int fails = 0;

	c = keel_iommu_container_create_by_name("memback", "pgsizes=0x1000");
	TEST_ASSERT(c != NULL, "create: %s", strerror(errno));
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, 0x40000000, 0x100000, 4 * PG, KEEL_IOMMU_ACCESS_RW), "map");

	/* NULL arguments: -EINVAL, errno EINVAL, a log line naming them */
	CALL(keel_iommu_container_create_by_name(NULL, NULL), 0, EINVAL,
	     "name is NULL");
	CALL(keel_iommu_container_destroy(NULL), -EINVAL, EINVAL,
	     "container is NULL");
	CALL(keel_iommu_dma_map(NULL, 0x1000, 0x1000, PG, KEEL_IOMMU_ACCESS_RW), -EINVAL, EINVAL,
	     "container is NULL");
	CALL(keel_iommu_dma_unmap(NULL, 0x1000, 0x1000, PG), -EINVAL, EINVAL,
	     "container is NULL");
	CALL(keel_iommu_dma_register(NULL, 0x1000, PG, 0, &iova), -EINVAL,
	     EINVAL, "container is NULL");
	CALL(keel_iommu_dma_register(c, 0x1000, PG, 0, NULL), -EINVAL, EINVAL,
	     "iova pointer is NULL");
	CALL(keel_iommu_lookup_iova(NULL, 0x100000, &m), -EINVAL, EINVAL,
	     "container is NULL");
	CALL(keel_iommu_lookup_iova(c, 0x100000, NULL), -EINVAL, EINVAL,
	     "mapping pointer is NULL");
	CALL(keel_iommu_lookup_va(NULL, 0x40000000, &m), -EINVAL, EINVAL,
	     "container is NULL");
	CALL(keel_iommu_lookup_va(c, 0x40000000, NULL), -EINVAL, EINVAL,
	     "mapping pointer is NULL");
	CALL(keel_iommu_va2iova(NULL, 0x40000000), KEEL_BAD_IOVA, EINVAL,
	     "container is NULL");
	CALL(keel_iommu_walk(NULL, walk_one, NULL), -EINVAL, EINVAL,
	     "container is NULL");
	CALL(keel_iommu_walk(c, NULL, NULL), -EINVAL, EINVAL,
	     "callback is NULL");
	CALL(keel_iommu_container_backend_priv(NULL), 0, EINVAL,
	     "container is NULL");
	CALL(keel_iommu_container_backend_ops(NULL), 0, EINVAL,
	     "container is NULL");
	CALL(keel_iommu_container_kind(NULL), KEEL_IOMMU_NONE, EINVAL,
	     "container is NULL");
	CALL(keel_iommu_caps_get(NULL, &caps), -EINVAL, EINVAL,
	     "container is NULL");
	CALL(keel_iommu_caps_get(c, NULL), -EINVAL, EINVAL,
	     "caps pointer is NULL");
	CALL(keel_iommu_caps_refresh(NULL), -EINVAL, EINVAL,
	     "container is NULL");
	CALL(keel_iommu_stats_get(NULL, &st), -EINVAL, EINVAL,
	     "container is NULL");
	CALL(keel_iommu_stats_get(c, NULL), -EINVAL, EINVAL,
	     "stats pointer is NULL");

	/* a miss is an answer, not a refusal: -ENOENT, errno, no log line */
	CALL(keel_iommu_lookup_iova(c, 0x104000, &m), -ENOENT, ENOENT, NULL);
	CALL(keel_iommu_lookup_va(c, 0x40004000, &m), -ENOENT, ENOENT, NULL);
	CALL(keel_iommu_va2iova(c, 0x40004000), KEEL_BAD_IOVA, ENOENT, NULL);

	/* success leaves errno alone */
	CALL(keel_iommu_lookup_iova(c, 0x103fff, &m), 0, 0, NULL);
	CALL(keel_iommu_lookup_va(c, 0x40000000, &m), 0, 0, NULL);
	CALL(keel_iommu_caps_get(c, &caps), 0, 0, NULL);
	CALL(keel_iommu_stats_get(c, &st), 0, 0, NULL);
	CALL(keel_iommu_walk(c, walk_one, NULL), 0, 0, NULL);

	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, 0x40000000, 0x100000,
						 4 * PG), "unmap");
	TEST_ASSERT_SUCCESS(keel_iommu_container_destroy(c), "destroy");
	TEST_ASSERT_EQUAL(fails, 0, "%d entry points break the errno/log "
			  "contract", fails);
	return TEST_SUCCESS;
}
KEEL_TEST(iommu_errno, "fast", TEST_NO_EAL, test_iommu_errno)
