/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dynamic mbuf fields and flags: registration by name, idempotence,
 * placement, the limits of the room, bad input (clear error, registry
 * unchanged), use in mbufs (clones and copies carry fields, reset clears
 * flags), and a fresh registry after EAL cleanup.
 */
#include <limits.h>
#include <stdlib.h>

#include "keel_eal.h"
#include "keel_mbuf.h"
#include "keel_mbuf_dyn.h"
#include "test.h"
#include "test_util.h"

#define DYN_AREA_START 92
#define DYN_AREA_END 128

static int
expect_field(const char *name, size_t size, size_t align, size_t req, int ret)
{
	struct keel_mbuf_dynfield f = { .size = size, .align = align };
	int got;

	snprintf(f.name, sizeof(f.name), "%s", name);
	test_log_capture_start();
	got = keel_mbuf_dynfield_register_offset(&f, req);
	free(test_log_capture_stop());
	if (got != ret)
		printf("  field '%s' size %zu align %zu at %zu: %d, expected %d\n",
		       name, size, align, req, got, ret);
	return got == ret ? 0 : -1;
}

static int
dyn_fields(void)
{
	struct keel_mbuf_dynfield f = { .name = "test_ts", .size = 8,
					.align = 8 }, got;
	char longname[80];
	int off, off2, n;

	off = keel_mbuf_dynfield_register(&f);
	TEST_ASSERT(off >= DYN_AREA_START && off + 8 <= DYN_AREA_END &&
		    off % 8 == 0, "offset %d in the dynamic area, aligned", off);
	TEST_ASSERT_EQUAL(keel_mbuf_dynfield_register(&f), off, "idempotent");
	TEST_ASSERT_EQUAL(keel_mbuf_dynfield_lookup("test_ts", &got), off,
			  "lookup");
	TEST_ASSERT(got.size == 8 && got.align == 8, "params");
	TEST_ASSERT_EQUAL(keel_mbuf_dynfield_lookup("nope", NULL), -ENOENT,
			  "unknown");

	/* bad input: refused, nothing registered */
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	TEST_ASSERT_SUCCESS(expect_field("test_ts", 4, 4, SIZE_MAX, -EEXIST) |
			    expect_field("", 4, 4, SIZE_MAX, -EINVAL) |
			    expect_field("t_zero", 0, 1, SIZE_MAX, -EINVAL) |
			    expect_field("t_align", 4, 3, SIZE_MAX, -EINVAL) |
			    expect_field("t_big", 200, 1, SIZE_MAX, -EINVAL) |
			    expect_field("t_unal", 4, 4, 98, -EINVAL) |
			    expect_field("t_static", 4, 4, 16, -EBUSY) |
			    expect_field("t_taken", 4, 4, (size_t)off, -EBUSY) |
			    expect_field("t_edge", 8, 4, 124, -EBUSY),
			    "bad fields refused");
	f.flags = 1;
	snprintf(f.name, sizeof(f.name), "t_flags");
	TEST_ASSERT_EQUAL(keel_mbuf_dynfield_register(&f), -EINVAL, "flags");
	TEST_ASSERT_EQUAL(keel_mbuf_dynfield_lookup("t_flags", NULL), -ENOENT,
			  "not registered");
	{
		struct keel_mbuf_dynfield lf = { .size = 1, .align = 1 };

		memcpy(lf.name, longname, sizeof(lf.name));  /* no NUL */
		TEST_ASSERT_EQUAL(keel_mbuf_dynfield_register(&lf),
				  -ENAMETOOLONG, "long name");
	}

	/* a requested offset, then fill the room byte by byte */
	off2 = keel_mbuf_dynfield_register_offset(&(struct keel_mbuf_dynfield){
		.name = "test_at_92", .size = 4, .align = 4 }, 92);
	TEST_ASSERT_EQUAL(off2, 92, "at the requested offset");
	for (n = 0;; n++) {
		struct keel_mbuf_dynfield b = { .size = 1, .align = 1 };
		int r;

		snprintf(b.name, sizeof(b.name), "test_byte_%d", n);
		r = keel_mbuf_dynfield_register(&b);
		if (r < 0) {
			TEST_ASSERT_EQUAL(r, -ENOSPC, "full");
			break;
		}
		TEST_ASSERT(r >= DYN_AREA_START && r < DYN_AREA_END &&
			    r != off2 && (r < off || r >= off + 8), "byte %d at %d",
			    n, r);
	}
	TEST_ASSERT_EQUAL(n, 36 - 8 - 4, "every free byte handed out once");
	return TEST_SUCCESS;
}

static int
dyn_flags(void)
{
	struct keel_mbuf_dynflag fl = { .name = "test_flag" };
	int bit, b, n;

	bit = keel_mbuf_dynflag_register(&fl);
	TEST_ASSERT_EQUAL(bit, 40, "from the top of the free bits");
	TEST_ASSERT_EQUAL(keel_mbuf_dynflag_register(&fl), 40, "idempotent");
	TEST_ASSERT_EQUAL(keel_mbuf_dynflag_lookup("test_flag", NULL), 40,
			  "lookup");
	b = keel_mbuf_dynflag_register_bitnum(&(struct keel_mbuf_dynflag){
		.name = "test_flag_23" }, 23);
	TEST_ASSERT_EQUAL(b, 23, "requested bit");
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_mbuf_dynflag_register_bitnum(
		&(struct keel_mbuf_dynflag){ .name = "t_taken" }, 23), -EBUSY,
		"taken bit");
	TEST_ASSERT_EQUAL(keel_mbuf_dynflag_register_bitnum(
		&(struct keel_mbuf_dynflag){ .name = "t_static" }, 0), -EBUSY,
		"static flag bit");
	TEST_ASSERT_EQUAL(keel_mbuf_dynflag_register_bitnum(
		&(struct keel_mbuf_dynflag){ .name = "t_64" }, 64), -EBUSY,
		"bit 64");
	TEST_ASSERT_EQUAL(keel_mbuf_dynflag_register_bitnum(
		&(struct keel_mbuf_dynflag){ .name = "test_flag" }, 30), -EEXIST,
		"same name, other bit");
	TEST_ASSERT_EQUAL(keel_mbuf_dynflag_register(
		&(struct keel_mbuf_dynflag){ .name = "t_fl", .flags = 2 }), -EINVAL,
		"flags");
	free(test_log_capture_stop());
	TEST_ASSERT_EQUAL(keel_mbuf_dynflag_lookup("t_taken", NULL), -ENOENT,
			  "refused ones not registered");
	for (n = 0;; n++) {
		struct keel_mbuf_dynflag f = { 0 };
		int r;

		snprintf(f.name, sizeof(f.name), "test_flag_n%d", n);
		test_log_capture_start();
		r = keel_mbuf_dynflag_register(&f);
		free(test_log_capture_stop());
		if (r < 0) {
			TEST_ASSERT_EQUAL(r, -ENOSPC, "full");
			break;
		}
		TEST_ASSERT(r > 23 && r < 40, "bit %d", r);
	}
	TEST_ASSERT_EQUAL(n, 18 - 2, "18 free bits in all");
	return TEST_SUCCESS;
}

static int
dyn_in_mbufs(void)
{
	struct keel_mempool *mp;
	struct keel_mbuf *m, *c, *cp;
	int off, bit;

	off = keel_mbuf_dynfield_lookup("test_ts", NULL);
	bit = keel_mbuf_dynflag_lookup("test_flag", NULL);
	TEST_ASSERT(off > 0 && bit > 0, "registered");
	mp = keel_pktmbuf_pool_create("mbuf_dyn", 8, 0, 0,
				      KEEL_MBUF_DEFAULT_BUF_SIZE, -1);
	TEST_ASSERT(mp != NULL, "pool");
	m = keel_pktmbuf_alloc(mp);
	*keel_pktmbuf_append(m, 1) = 1;
	*KEEL_MBUF_DYNFIELD(m, off, uint64_t *) = 0x1122334455667788ull;
	m->ol_flags |= 1ULL << bit;
	c = keel_pktmbuf_clone(m, mp);
	cp = keel_pktmbuf_copy(m, mp, 0, UINT32_MAX);
	TEST_ASSERT(c != NULL && cp != NULL, "clone and copy");
	TEST_ASSERT(*KEEL_MBUF_DYNFIELD(c, off, uint64_t *) ==
		    0x1122334455667788ull &&
		    *KEEL_MBUF_DYNFIELD(cp, off, uint64_t *) ==
		    0x1122334455667788ull, "the field travels");
	TEST_ASSERT((c->ol_flags & (1ULL << bit)) &&
		    (cp->ol_flags & (1ULL << bit)), "the flag travels");
	keel_pktmbuf_reset(cp);
	TEST_ASSERT(!(cp->ol_flags & (1ULL << bit)), "reset clears flags");
	keel_pktmbuf_free(c);
	keel_pktmbuf_free(cp);
	keel_pktmbuf_free(m);
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}

static int
test_mbuf_dynfield(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	ret = test_eal_init_str("--no-huge -m 16");
	TEST_ASSERT(ret >= 0, "init");
	if (dyn_fields() != TEST_SUCCESS || dyn_flags() != TEST_SUCCESS ||
	    dyn_in_mbufs() != TEST_SUCCESS)
		goto fail;
	f = open_memstream(&out, &len);
	keel_mbuf_dyn_dump(f);
	fclose(f);
	TEST_ASSERT(strstr(out, "field 'test_ts'") != NULL &&
		    strstr(out, "flag 'test_flag': bit 40") != NULL, "dump: %s",
		    out);
	free(out);
	keel_eal_cleanup();
	/* a new EAL starts with an empty registry */
	ret = test_eal_init_str("--no-huge -m 16");
	TEST_ASSERT(ret >= 0, "init again");
	TEST_ASSERT_EQUAL(keel_mbuf_dynfield_lookup("test_ts", NULL), -ENOENT,
			  "forgotten");
	TEST_ASSERT_EQUAL(keel_mbuf_dynflag_register(&(struct keel_mbuf_dynflag){
		.name = "test_flag2" }), 40, "bit 40 free again");
	keel_eal_cleanup();
	return TEST_SUCCESS;
fail:
	keel_eal_cleanup();
	return TEST_FAILED;
}
KEEL_TEST(mbuf_dynfield, "fast", TEST_NO_EAL, test_mbuf_dynfield)
