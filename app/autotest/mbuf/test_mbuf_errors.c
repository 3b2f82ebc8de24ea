/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mbuf misuse: bad pool arguments, bad attach/copy/linearize input, the
 * checks finding corrupt mbufs (with a reason, no panic), a debug pool
 * catching a double free and a corrupt mbuf coming back, and dump.
 */
#include <stdlib.h>

#include "keel_mbuf.h"
#include "test.h"

static int
expect_pool_fail(const char *name, uint16_t priv, int err, const char *needle)
{
	struct keel_mempool *mp;
	char *log;

	test_log_capture_start();
	errno = 0;
	mp = keel_pktmbuf_pool_create(name, 16, 0, priv,
				      KEEL_MBUF_DEFAULT_BUF_SIZE, -1);
	log = test_log_capture_stop();
	if (mp != NULL || errno != err || strstr(log, needle) == NULL) {
		printf("  pool '%s' priv %u: %p errno %d, log: %s\n", name, priv,
		       (void *)mp, errno, log);
		free(log);
		return -1;
	}
	free(log);
	return 0;
}

static int
test_mbuf_bad_args(void)
{
	struct keel_mbuf *m, *c, *chain;
	struct keel_mempool *mp;
	const char *reason;
	char *log;

	TEST_ASSERT_SUCCESS(expect_pool_fail("mbuf_bad", 12, EINVAL,
					     "private size 12"), "priv size");
	TEST_ASSERT_SUCCESS(expect_pool_fail("a_much_too_long_pool_name_xyz", 0,
					     ENAMETOOLONG, "name longer"), "name");
	TEST_ASSERT(keel_pktmbuf_pool_create_by_ops("mbuf_bad", 16, 0, 0, 256,
						    -1, "no_such_ops") == NULL &&
		    keel_mempool_lookup("mbuf_bad") == NULL,
		    "unknown ops: no pool left");
	mp = keel_pktmbuf_pool_create("mbuf_bad", 16, 0, 0,
				      KEEL_MBUF_DEFAULT_BUF_SIZE, -1);
	TEST_ASSERT(mp != NULL, "pool");
	TEST_ASSERT_SUCCESS(expect_pool_fail("mbuf_bad", 0, EEXIST,
					     "already taken"), "name taken");

	m = keel_pktmbuf_alloc(mp);
	c = keel_pktmbuf_alloc(mp);
	memset(keel_pktmbuf_append(m, 100), 1, 100);

	/* attach: the new mbuf must be a fresh direct one */
	test_log_capture_start();
	keel_pktmbuf_attach(m, m);
	keel_pktmbuf_attach(NULL, m);
	keel_mbuf_refcnt_set(c, 2);
	keel_pktmbuf_attach(c, m);
	keel_mbuf_refcnt_set(c, 1);
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "to itself") && strstr(log, "NULL mbuf") &&
		    strstr(log, "held once"), "attach errors logged: %s", log);
	free(log);
	TEST_ASSERT(KEEL_MBUF_DIRECT(m) && KEEL_MBUF_DIRECT(c) &&
		    keel_mbuf_refcnt_read(m) == 1, "nothing attached");

	/* copy past the end, linearize of a clone */
	test_log_capture_start();
	errno = 0;
	TEST_ASSERT(keel_pktmbuf_copy(m, mp, 100, 1) == NULL && errno == EINVAL,
		    "copy at the end");
	TEST_ASSERT(keel_pktmbuf_copy(m, mp, 101, 1) == NULL, "past the end");
	free(test_log_capture_stop());
	keel_pktmbuf_attach(c, m);
	chain = keel_pktmbuf_alloc(mp);
	keel_pktmbuf_append(chain, 10);
	TEST_ASSERT_SUCCESS(keel_pktmbuf_chain(c, chain), "chain");
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_pktmbuf_linearize(c), -EINVAL, "shared buffer");
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "shared") != NULL, "log: %s", log);
	free(log);
	TEST_ASSERT(c->nb_segs == 2 && c->pkt_len == 110, "unchanged");
	keel_pktmbuf_free(c);
	TEST_ASSERT_EQUAL(keel_mbuf_refcnt_read(m), 1, "clone gone");

	/* the checks give a reason instead of a panic */
	TEST_ASSERT_SUCCESS(keel_mbuf_sanity_check(m, 1), "sane");
	m->pkt_len = 99;
	TEST_ASSERT(keel_mbuf_check(m, 1, &reason) == -1 &&
		    strstr(reason, "pkt_len") != NULL, "pkt_len: %s", reason);
	m->pkt_len = 100;
	m->nb_segs = 2;
	TEST_ASSERT(keel_mbuf_check(m, 1, &reason) == -1 &&
		    strstr(reason, "nb_segs") != NULL, "nb_segs: %s", reason);
	m->nb_segs = 1;
	m->data_off = (uint16_t)(m->buf_len - 10);
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_mbuf_sanity_check(m, 1), -EINVAL, "data length");
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "data length too big") != NULL, "log: %s", log);
	free(log);
	m->data_off = KEEL_PKTMBUF_HEADROOM;
	keel_mbuf_refcnt_set(m, 0);
	TEST_ASSERT(keel_mbuf_check(m, 0, &reason) == -1 &&
		    strstr(reason, "refcnt") != NULL, "refcnt: %s", reason);
	keel_mbuf_refcnt_set(m, 1);
	m->next = m;  /* a loop */
	TEST_ASSERT(keel_mbuf_check(m, 1, &reason) == -1, "a loop is caught");
	m->next = NULL;
	TEST_ASSERT(keel_mbuf_check(NULL, 0, &reason) == -1, "NULL");
	keel_pktmbuf_free(m);
	TEST_ASSERT(keel_mempool_full(mp), "all back");
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}
KEEL_TEST(mbuf_bad_args, "fast", 0, test_mbuf_bad_args)

/* a debug pool: a double free is caught, the pool stays right */
static int
test_mbuf_debug_pool(void)
{
	struct keel_mempool_stats st;
	struct keel_mempool *mp;
	struct keel_mbuf *m, *m2;
	char *log = NULL, *out = NULL;
	size_t len = 0;
	FILE *f;

	/* pools of keel_pktmbuf_pool_create() are debug pools in debug
	 * builds only; build one by hand to test it in every build */
	mp = keel_mempool_create("mbuf_debug", 32,
				 sizeof(struct keel_mbuf) + 256, 8,
				 sizeof(struct keel_pktmbuf_pool_private),
				 keel_pktmbuf_pool_init, NULL, keel_pktmbuf_init,
				 NULL, -1, KEEL_MEMPOOL_F_DEBUG);
	TEST_ASSERT(mp != NULL, "pool: %s", strerror(errno));
	TEST_ASSERT_EQUAL(keel_pktmbuf_data_room_size(mp), 256, "data room");
	m = keel_pktmbuf_alloc(mp);
	TEST_ASSERT(m != NULL && m->buf_len == 256, "alloc");
	memcpy(keel_pktmbuf_append(m, 5), "hello", 5);

	f = open_memstream(&out, &len);
	keel_pktmbuf_dump(f, m, 64);
	fclose(f);
	TEST_ASSERT(strstr(out, "pkt_len 5") && strstr(out, "68 65 6c 6c 6f"),
		    "dump: %s", out);
	free(out);

	keel_pktmbuf_free(m);
	test_log_capture_start();
	keel_pktmbuf_free(m);   /* double free */
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "double put") != NULL, "caught: %s", log);
	free(log);
	TEST_ASSERT_SUCCESS(keel_mempool_stats_get(mp, &st), "stats");
	TEST_ASSERT_EQUAL(st.audit_errors, 1, "counted");
	TEST_ASSERT(keel_mempool_full(mp), "in the pool once");

	/* an mbuf coming back in a bad state is reported */
	m2 = keel_pktmbuf_alloc(mp);
	TEST_ASSERT(m2 != NULL, "alloc");
	m2->nb_segs = 3;
	test_log_capture_start();
	keel_mbuf_raw_free(m2);
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "nb_segs is not 1") != NULL, "log: %s", log);
	free(log);
	/* it comes out again reported, and reset */
	test_log_capture_start();
	m2 = keel_pktmbuf_alloc(mp);
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "leaving pool") != NULL, "log: %s", log);
	free(log);
	TEST_ASSERT(m2 != NULL && m2->nb_segs == 1, "reset");
	keel_pktmbuf_free(m2);
	TEST_ASSERT_SUCCESS(keel_mempool_audit(mp), "audit");
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}
KEEL_TEST(mbuf_debug_pool, "fast", 0, test_mbuf_debug_pool)
