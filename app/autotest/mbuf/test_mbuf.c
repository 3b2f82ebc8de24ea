/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mbuf tests, single-threaded: pools, alloc/free (single and bulk), data
 * operations, chains, linearize/read/copy, clones, external buffers and
 * their free callback, sanity checks, dump, raw alloc/free, free_seg,
 * names of packet types and flags, and bad input.
 */
#include <stdlib.h>

#include "keel_mbuf.h"
#include "test.h"

#define NB_MBUF 128

/* every mbuf back in the pool and the pool consistent */
#define ASSERT_POOL_FULL(mp) do { \
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), (mp)->size, \
			  "pool %s full", (mp)->name); \
	TEST_ASSERT_SUCCESS(keel_mempool_audit(mp), "audit"); \
} while (0)

static void
fill(struct keel_mbuf *m, uint16_t len, uint8_t seed)
{
	char *p = keel_pktmbuf_append(m, len);

	for (uint16_t i = 0; p != NULL && i < len; i++)
		p[i] = (char)(seed + i);
}

static int
test_mbuf_basic(void)
{
	struct keel_mbuf *m, *ms[NB_MBUF], *more[NB_MBUF / 2 + 1];
	struct keel_mempool *mp;
	const char *reason;
	char *p, *d;
	unsigned int i;

	mp = keel_pktmbuf_pool_create("mbuf_basic", NB_MBUF, 16, 16,
				      KEEL_MBUF_DEFAULT_BUF_SIZE, -1);
	TEST_ASSERT(mp != NULL, "pool: %s", strerror(errno));
	TEST_ASSERT_EQUAL(keel_pktmbuf_data_room_size(mp),
			  KEEL_MBUF_DEFAULT_BUF_SIZE, "data room");
	TEST_ASSERT_EQUAL(keel_pktmbuf_priv_size(mp), 16, "priv size");
	TEST_ASSERT_EQUAL(mp->elt_size, sizeof(struct keel_mbuf) + 16 +
			  KEEL_MBUF_DEFAULT_BUF_SIZE, "element size");

	m = keel_pktmbuf_alloc(mp);
	TEST_ASSERT(m != NULL, "alloc");
	TEST_ASSERT(m->pool == mp && m->nb_segs == 1 && m->next == NULL &&
		    keel_mbuf_refcnt_read(m) == 1 && m->pkt_len == 0 &&
		    m->data_len == 0 && m->port == KEEL_MBUF_PORT_INVALID,
		    "fresh mbuf");
	TEST_ASSERT_EQUAL(keel_pktmbuf_headroom(m), KEEL_PKTMBUF_HEADROOM,
			  "headroom");
	TEST_ASSERT_EQUAL(keel_pktmbuf_tailroom(m), KEEL_MBUF_DEFAULT_DATAROOM,
			  "tailroom");
	TEST_ASSERT(m->buf_addr == (char *)m + sizeof(*m) + 16 &&
		    keel_mbuf_to_priv(m) == (void *)(m + 1) &&
		    keel_mbuf_to_baddr(m) == m->buf_addr, "layout");
	TEST_ASSERT_EQUAL(m->buf_iova, keel_mem_virt2iova(m->buf_addr),
			  "buffer IOVA");
	TEST_ASSERT_EQUAL(keel_pktmbuf_iova(m),
			  keel_mem_virt2iova(keel_pktmbuf_mtod(m, char *)),
			  "data IOVA");
	TEST_ASSERT_EQUAL(keel_mbuf_data_iova_default(m), keel_pktmbuf_iova(m),
			  "default data IOVA");
	TEST_ASSERT_SUCCESS(keel_mbuf_check(m, 1, &reason), "check");

	/* append / prepend / adj / trim, and their limits */
	d = keel_pktmbuf_mtod(m, char *);
	p = keel_pktmbuf_append(m, 100);
	TEST_ASSERT(p == d && m->data_len == 100 && m->pkt_len == 100, "append");
	TEST_ASSERT(keel_pktmbuf_append(m, KEEL_MBUF_DEFAULT_DATAROOM - 99) ==
		    NULL && m->data_len == 100, "append past the tailroom");
	p = keel_pktmbuf_prepend(m, 14);
	TEST_ASSERT(p == d - 14 && m->data_len == 114 && m->pkt_len == 114 &&
		    keel_pktmbuf_mtod(m, char *) == p, "prepend");
	TEST_ASSERT(keel_pktmbuf_prepend(m, KEEL_PKTMBUF_HEADROOM) == NULL &&
		    m->data_off == KEEL_PKTMBUF_HEADROOM - 14,
		    "prepend past the headroom");
	TEST_ASSERT(keel_pktmbuf_adj(m, 14) == d && m->pkt_len == 100, "adj");
	TEST_ASSERT(keel_pktmbuf_adj(m, 101) == NULL && m->pkt_len == 100,
		    "adj past the data");
	TEST_ASSERT_SUCCESS(keel_pktmbuf_trim(m, 40), "trim");
	TEST_ASSERT(m->data_len == 60 && m->pkt_len == 60, "trimmed");
	TEST_ASSERT(keel_pktmbuf_trim(m, 61) == -1 && m->data_len == 60,
		    "trim past the data");
	TEST_ASSERT_EQUAL(keel_pktmbuf_iova_offset(m, 10),
			  keel_mem_virt2iova(d + 10), "IOVA at an offset");

	/* reset keeps nothing of the packet */
	m->ol_flags = KEEL_MBUF_F_RX_VLAN | KEEL_MBUF_F_TX_IPV4;
	m->vlan_tci = 7;
	m->packet_type = KEEL_PTYPE_L2_ETHER | KEEL_PTYPE_L3_IPV4;
	m->l2_len = 14;
	keel_pktmbuf_reset(m);
	TEST_ASSERT(m->ol_flags == 0 && m->vlan_tci == 0 && m->packet_type == 0 &&
		    m->tx_offload == 0 && m->data_len == 0 && m->pkt_len == 0 &&
		    m->data_off == KEEL_PKTMBUF_HEADROOM, "reset");
	keel_pktmbuf_free(m);
	keel_pktmbuf_free(NULL);
	ASSERT_POOL_FULL(mp);

	/* bulk: all or nothing */
	TEST_ASSERT_SUCCESS(keel_pktmbuf_alloc_bulk(mp, ms, NB_MBUF), "all");
	TEST_ASSERT(keel_pktmbuf_alloc(mp) == NULL, "empty pool");
	for (i = 0; i < NB_MBUF; i++) {
		TEST_ASSERT(ms[i]->data_len == 0 && ms[i]->refcnt == 1, "reset");
		fill(ms[i], 64, (uint8_t)i);
	}
	keel_pktmbuf_free_bulk(ms + NB_MBUF / 2, NB_MBUF / 2);
	TEST_ASSERT_EQUAL(keel_pktmbuf_alloc_bulk(mp, more, NB_MBUF / 2 + 1),
			  -ENOENT, "one too many");
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), NB_MBUF / 2,
			  "nothing taken");
	m = ms[0];
	ms[0] = NULL;   /* NULL entries are skipped */
	keel_pktmbuf_free_bulk(ms, NB_MBUF / 2);
	TEST_ASSERT_EQUAL(keel_mempool_in_use_count(mp), 1, "all but one");
	keel_pktmbuf_free(m);
	ASSERT_POOL_FULL(mp);
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}
KEEL_TEST(mbuf_basic, "fast", 0, test_mbuf_basic)

/* a packet of n segments of len bytes each, data seeded */
static struct keel_mbuf *
make_chain(struct keel_mempool *mp, unsigned int n, uint16_t len)
{
	struct keel_mbuf *head = NULL, *m;

	for (unsigned int i = 0; i < n; i++) {
		m = keel_pktmbuf_alloc(mp);
		if (m == NULL)
			return NULL;
		for (uint16_t k = 0; k < len; k++)
			*keel_pktmbuf_append(m, 1) = (char)(i * len + k);
		if (head == NULL)
			head = m;
		else if (keel_pktmbuf_chain(head, m) != 0)
			return NULL;
	}
	return head;
}

static int
check_bytes(const struct keel_mbuf *m, uint32_t from, uint32_t len)
{
	uint8_t buf[4096];
	const uint8_t *p = keel_pktmbuf_read(m, 0, len, buf);

	if (p == NULL)
		return -1;
	for (uint32_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)(from + i))
			return -1;
	return 0;
}

static int
test_mbuf_chain(void)
{
	struct keel_mbuf *m, *c, *big;
	struct keel_mempool *mp;
	const char *reason;
	uint8_t buf[512];
	const uint8_t *p;

	mp = keel_pktmbuf_pool_create("mbuf_chain", NB_MBUF, 0, 0,
				      KEEL_MBUF_DEFAULT_BUF_SIZE, -1);
	TEST_ASSERT(mp != NULL, "pool: %s", strerror(errno));
	m = make_chain(mp, 4, 100);
	TEST_ASSERT(m != NULL, "chain");
	TEST_ASSERT(m->nb_segs == 4 && m->pkt_len == 400 && m->data_len == 100,
		    "lengths");
	TEST_ASSERT(!keel_pktmbuf_is_contiguous(m), "not contiguous");
	TEST_ASSERT_SUCCESS(keel_mbuf_check(m, 1, &reason), "check: %s", reason);
	TEST_ASSERT(keel_pktmbuf_lastseg(m) == m->next->next->next, "lastseg");

	/* read: a pointer inside one segment, a copy across segments */
	p = keel_pktmbuf_read(m, 10, 50, buf);
	TEST_ASSERT(p == keel_pktmbuf_mtod_offset(m, uint8_t *, 10), "in place");
	p = keel_pktmbuf_read(m, 150, 200, buf);
	TEST_ASSERT(p == buf, "copied");
	for (int i = 0; i < 200; i++)
		TEST_ASSERT_EQUAL(p[i], (uint8_t)(150 + i), "byte %d", i);
	TEST_ASSERT(keel_pktmbuf_read(m, 350, 51, buf) == NULL, "past the end");
	p = keel_pktmbuf_read(m, 250, 50, buf);
	TEST_ASSERT(p == keel_pktmbuf_mtod_offset(m->next->next, uint8_t *, 50),
		    "in place in the third segment");

	/* append and trim work on the last segment */
	TEST_ASSERT(keel_pktmbuf_append(m, 10) ==
		    keel_pktmbuf_mtod_offset(keel_pktmbuf_lastseg(m), char *, 100),
		    "append at the tail");
	TEST_ASSERT(m->pkt_len == 410 && keel_pktmbuf_lastseg(m)->data_len == 110,
		    "appended");
	TEST_ASSERT_SUCCESS(keel_pktmbuf_trim(m, 10), "trim");

	/* copy: a part, into as few segments as fit */
	c = keel_pktmbuf_copy(m, mp, 50, 300);
	TEST_ASSERT(c != NULL && c->pkt_len == 300 && c->nb_segs == 1,
		    "copy of 300 bytes is one segment");
	TEST_ASSERT_SUCCESS(check_bytes(c, 50, 300), "copied bytes");
	keel_pktmbuf_free(c);
	c = keel_pktmbuf_copy(m, mp, 0, UINT32_MAX);
	TEST_ASSERT(c != NULL && c->pkt_len == 400, "copy to the end");
	TEST_ASSERT_SUCCESS(check_bytes(c, 0, 400), "copied bytes");
	keel_pktmbuf_free(c);

	/* linearize */
	TEST_ASSERT_SUCCESS(keel_pktmbuf_linearize(m), "linearize");
	TEST_ASSERT(m->nb_segs == 1 && m->next == NULL && m->data_len == 400 &&
		    m->pkt_len == 400, "one segment");
	TEST_ASSERT_SUCCESS(check_bytes(m, 0, 400), "bytes kept");
	TEST_ASSERT_EQUAL(keel_mempool_in_use_count(mp), 1, "segments freed");
	TEST_ASSERT_SUCCESS(keel_pktmbuf_linearize(m), "contiguous: no-op");
	keel_pktmbuf_free(m);

	/* a chain that does not fit in the first segment stays a chain */
	big = make_chain(mp, 3, 1500);
	TEST_ASSERT(big != NULL && big->pkt_len == 4500, "big chain");
	TEST_ASSERT_EQUAL(keel_pktmbuf_linearize(big), -ENOSPC, "no room");
	TEST_ASSERT(big->nb_segs == 3 && big->pkt_len == 4500, "unchanged");
	c = keel_pktmbuf_copy(big, mp, 0, UINT32_MAX);
	TEST_ASSERT(c != NULL && c->nb_segs == 3 && c->pkt_len == 4500,
		    "copy of 4500 bytes: %u segments", c ? c->nb_segs : 0);
	TEST_ASSERT_SUCCESS(keel_mbuf_check(c, 1, &reason), "check: %s", reason);
	TEST_ASSERT_SUCCESS(check_bytes(c, 0, 4096), "copied bytes");
	keel_pktmbuf_free(c);
	keel_pktmbuf_free(big);

	/* chain refuses to pass KEEL_MBUF_MAX_NB_SEGS */
	m = keel_pktmbuf_alloc(mp);
	c = keel_pktmbuf_alloc(mp);
	TEST_ASSERT(m != NULL && c != NULL, "alloc");
	m->nb_segs = KEEL_MBUF_MAX_NB_SEGS;
	TEST_ASSERT_EQUAL(keel_pktmbuf_chain(m, c), -EOVERFLOW, "too many");
	TEST_ASSERT(m->next == NULL, "unchanged");
	m->nb_segs = 1;
	keel_pktmbuf_free(m);
	keel_pktmbuf_free(c);
	ASSERT_POOL_FULL(mp);
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}
KEEL_TEST(mbuf_chain, "fast", 0, test_mbuf_chain)

static int
test_mbuf_clone(void)
{
	struct keel_mempool *mp, *cp;
	struct keel_mbuf *m, *c1, *c2, *cc;
	const char *reason;

	mp = keel_pktmbuf_pool_create("mbuf_direct", 16, 0, 8,
				      KEEL_MBUF_DEFAULT_BUF_SIZE, -1);
	cp = keel_pktmbuf_pool_create("mbuf_clones", 16, 0, 0, 0, -1);
	TEST_ASSERT(mp != NULL && cp != NULL, "pools: %s", strerror(errno));
	m = make_chain(mp, 3, 200);
	TEST_ASSERT(m != NULL, "chain");
	m->port = 3;
	m->packet_type = KEEL_PTYPE_L2_ETHER;
	m->hash.rss = 0x1234;
	m->dynfield1[2] = 0xfeed;

	c1 = keel_pktmbuf_clone(m, cp);
	TEST_ASSERT(c1 != NULL && c1->nb_segs == 3 && c1->pkt_len == 600,
		    "clone of a chain");
	TEST_ASSERT(KEEL_MBUF_CLONED(c1) && KEEL_MBUF_CLONED(c1->next) &&
		    KEEL_MBUF_DIRECT(m), "indirect");
	TEST_ASSERT(c1->port == 3 && c1->packet_type == KEEL_PTYPE_L2_ETHER &&
		    c1->hash.rss == 0x1234 && c1->dynfield1[2] == 0xfeed,
		    "fields and dynamic fields inherited");
	TEST_ASSERT(keel_pktmbuf_mtod(c1, char *) == keel_pktmbuf_mtod(m, char *) &&
		    keel_pktmbuf_iova(c1->next) == keel_pktmbuf_iova(m->next),
		    "same data, same IOVA");
	TEST_ASSERT(keel_mbuf_from_indirect(c1->next) == m->next, "direct");
	TEST_ASSERT(keel_mbuf_refcnt_read(m) == 2 &&
		    keel_mbuf_refcnt_read(m->next->next) == 2, "refcnt 2");
	TEST_ASSERT_SUCCESS(keel_mbuf_check(c1, 1, &reason), "%s", reason);
	TEST_ASSERT_SUCCESS(check_bytes(c1, 0, 600), "clone reads the data");

	/* a clone of a clone points at the direct mbufs */
	cc = keel_pktmbuf_clone(c1, cp);
	TEST_ASSERT(cc != NULL && keel_mbuf_from_indirect(cc) == m &&
		    keel_mbuf_refcnt_read(m) == 3, "clone of a clone");
	c2 = keel_pktmbuf_clone(m, cp);
	TEST_ASSERT(c2 != NULL && keel_mbuf_refcnt_read(m) == 4, "4 refs");

	/* the direct packet goes back only with its last reference */
	keel_pktmbuf_free(m);
	TEST_ASSERT_EQUAL(keel_mempool_in_use_count(mp), 3, "still held");
	TEST_ASSERT_SUCCESS(check_bytes(c2, 0, 600), "data still there");
	keel_pktmbuf_free(c1);
	keel_pktmbuf_free(cc);
	TEST_ASSERT_EQUAL(keel_mempool_in_use_count(mp), 3, "c2 holds them");
	TEST_ASSERT_EQUAL(keel_mbuf_refcnt_read(keel_mbuf_from_indirect(c2)), 1,
			  "one reference left");
	keel_pktmbuf_free(c2);
	ASSERT_POOL_FULL(mp);
	ASSERT_POOL_FULL(cp);

	/* a clone that runs out of mbufs keeps nothing */
	m = make_chain(mp, 3, 10);
	TEST_ASSERT(m != NULL, "chain");
	{
		struct keel_mbuf *hold[16];

		TEST_ASSERT_SUCCESS(keel_pktmbuf_alloc_bulk(cp, hold, 14), "hold");
		errno = 0;
		TEST_ASSERT(keel_pktmbuf_clone(m, cp) == NULL && errno == ENOENT,
			    "2 of 3 clones");
		TEST_ASSERT_EQUAL(keel_mbuf_refcnt_read(m), 1, "refs undone");
		TEST_ASSERT_EQUAL(keel_mempool_avail_count(cp), 2, "given back");
		keel_pktmbuf_free_bulk(hold, 14);
	}
	keel_pktmbuf_free(m);
	ASSERT_POOL_FULL(mp);
	ASSERT_POOL_FULL(cp);
	keel_mempool_free(cp);
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}
KEEL_TEST(mbuf_clone, "fast", 0, test_mbuf_clone)

/* ---- external buffers ---- */

struct ext_buf {
	unsigned int freed;
	void *addr;
};

static void
ext_free_cb(void *addr, void *opaque)
{
	struct ext_buf *e = opaque;

	e->freed++;
	e->addr = addr;
}

static int
test_mbuf_extbuf(void)
{
	struct keel_mbuf_ext_shared_info *shinfo;
	struct keel_mbuf *m, *c, *m2;
	struct keel_mempool *mp;
	struct ext_buf e = { 0, NULL };
	uint16_t len = 4096;
	uint8_t *buf;

	mp = keel_pktmbuf_pool_create("mbuf_ext", 16, 0, 0,
				      KEEL_MBUF_DEFAULT_BUF_SIZE, -1);
	buf = keel_malloc("ext", 4096, 64);
	TEST_ASSERT(mp != NULL && buf != NULL, "pool and buffer");
	shinfo = keel_pktmbuf_ext_shinfo_init_helper(buf, &len, ext_free_cb, &e);
	TEST_ASSERT(shinfo != NULL && len < 4096 && len >= 4096 - 32 &&
		    (uint8_t *)shinfo >= buf + len, "shinfo at the end");
	TEST_ASSERT_EQUAL(keel_mbuf_ext_refcnt_read(shinfo), 1, "count 1");

	m = keel_pktmbuf_alloc(mp);
	TEST_ASSERT(m != NULL, "alloc");
	keel_pktmbuf_attach_extbuf(m, buf, keel_mem_virt2iova(buf), len, shinfo);
	TEST_ASSERT(KEEL_MBUF_HAS_EXTBUF(m) && !KEEL_MBUF_DIRECT(m), "external");
	TEST_ASSERT(keel_pktmbuf_append(m, 1000) == (char *)buf, "data at 0");
	memset(buf, 0x42, 1000);
	TEST_ASSERT_EQUAL(keel_pktmbuf_iova(m), keel_mem_virt2iova(buf), "IOVA");

	/* a clone shares the external buffer; a second mbuf attached too */
	c = keel_pktmbuf_clone(m, mp);
	TEST_ASSERT(c != NULL && KEEL_MBUF_HAS_EXTBUF(c) && !KEEL_MBUF_CLONED(c) &&
		    c->shinfo == shinfo && keel_mbuf_ext_refcnt_read(shinfo) == 2,
		    "clone of an external buffer");
	m2 = keel_pktmbuf_alloc(mp);
	keel_mbuf_ext_refcnt_update(shinfo, 1);
	keel_pktmbuf_attach_extbuf(m2, buf, keel_mem_virt2iova(buf), len, shinfo);
	TEST_ASSERT_EQUAL(keel_mbuf_ext_refcnt_read(shinfo), 3, "three users");
	TEST_ASSERT_EQUAL(keel_pktmbuf_linearize(m), 0, "one segment: no-op");

	keel_pktmbuf_free(m);
	keel_pktmbuf_free(c);
	TEST_ASSERT_EQUAL(e.freed, 0, "not yet");
	TEST_ASSERT_EQUAL(keel_mempool_in_use_count(mp), 1, "mbufs come back");
	keel_pktmbuf_free(m2);
	TEST_ASSERT_EQUAL(e.freed, 1, "callback once, at the last one");
	TEST_ASSERT(e.addr == buf, "with the buffer address");
	ASSERT_POOL_FULL(mp);

	/* detach gives the mbuf its own buffer back */
	len = 4096;
	shinfo = keel_pktmbuf_ext_shinfo_init_helper(buf, &len, ext_free_cb, &e);
	m = keel_pktmbuf_alloc(mp);
	keel_pktmbuf_attach_extbuf(m, buf, keel_mem_virt2iova(buf), len, shinfo);
	keel_pktmbuf_detach_extbuf(m);
	TEST_ASSERT(KEEL_MBUF_DIRECT(m) && m->buf_addr == keel_mbuf_to_baddr(m) &&
		    m->buf_iova == keel_mem_virt2iova(m->buf_addr) &&
		    e.freed == 2, "detached");
	keel_pktmbuf_free(m);
	ASSERT_POOL_FULL(mp);

	/* bad input */
	len = 16;
	errno = 0;
	TEST_ASSERT(keel_pktmbuf_ext_shinfo_init_helper(buf, &len, ext_free_cb,
						       &e) == NULL &&
		    errno == EINVAL && len == 16, "buffer too small");
	TEST_ASSERT(keel_pktmbuf_ext_shinfo_init_helper(buf, &len, NULL, &e) ==
		    NULL, "no callback");
	keel_free(buf);
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}
KEEL_TEST(mbuf_extbuf, "fast", 0, test_mbuf_extbuf)

/*
 * Raw alloc/free (no reset: only the free-state fields are set) and
 * keel_pktmbuf_free_seg (one segment, its last reference only).
 */
static int
test_mbuf_raw_seg(void)
{
	struct keel_mbuf *m, *m2, *t;
	struct keel_mempool *mp;

	/* no cache: the stack hands back the mbuf put last */
	mp = keel_pktmbuf_pool_create("mbuf_raw", 2, 0, 0,
				      KEEL_MBUF_DEFAULT_BUF_SIZE, -1);
	TEST_ASSERT(mp != NULL, "pool: %s", strerror(errno));

	m = keel_pktmbuf_alloc(mp);
	TEST_ASSERT(m != NULL, "alloc");
	fill(m, 100, 1);
	m->port = 7;
	keel_pktmbuf_free(m);
	m2 = keel_mbuf_raw_alloc(mp);
	TEST_ASSERT(m2 == m, "LIFO: the same mbuf");
	TEST_ASSERT(m2->refcnt == 1 && m2->next == NULL && m2->nb_segs == 1,
		    "free state");
	TEST_ASSERT(m2->data_len == 100 && m2->port == 7,
		    "raw alloc does not reset (data_len %u port %u)",
		    m2->data_len, m2->port);
	TEST_ASSERT_SUCCESS(keel_mbuf_check(m2, 0, NULL), "a valid segment");
	t = keel_mbuf_raw_alloc(mp);
	TEST_ASSERT(t != NULL && t != m2, "second");
	errno = 0;
	TEST_ASSERT(keel_mbuf_raw_alloc(mp) == NULL, "empty pool");
	TEST_ASSERT_EQUAL(keel_mempool_in_use_count(mp), 2, "two out");
	keel_mbuf_raw_free(t);
	keel_mbuf_raw_free(m2);
	ASSERT_POOL_FULL(mp);

	/* free_seg on a chain head frees the head only */
	m = keel_pktmbuf_alloc(mp);
	t = keel_pktmbuf_alloc(mp);
	TEST_ASSERT(m != NULL && t != NULL, "alloc two");
	fill(m, 10, 0);
	fill(t, 20, 0);
	TEST_ASSERT_SUCCESS(keel_pktmbuf_chain(m, t), "chain");
	keel_pktmbuf_free_seg(m);
	TEST_ASSERT_EQUAL(keel_mempool_in_use_count(mp), 1, "the tail stays");
	TEST_ASSERT(t->refcnt == 1 && t->data_len == 20, "tail untouched");
	/* a segment with two references goes back with the second drop */
	keel_mbuf_refcnt_update(t, 1);
	keel_pktmbuf_free_seg(t);
	TEST_ASSERT_EQUAL(keel_mempool_in_use_count(mp), 1, "one ref left");
	TEST_ASSERT_EQUAL(keel_mbuf_refcnt_read(t), 1, "refcnt 1");
	keel_pktmbuf_free_seg(t);
	ASSERT_POOL_FULL(mp);
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}
KEEL_TEST(mbuf_raw_seg, "fast", 0, test_mbuf_raw_seg)

/* names of packet types and offload flags, as DPDK prints them */
static int
test_mbuf_names(void)
{
	char buf[128], small[8];

	TEST_ASSERT_EQUAL(keel_get_ptype_name(KEEL_PTYPE_L2_ETHER |
			  KEEL_PTYPE_L3_IPV4 | KEEL_PTYPE_L4_UDP, buf,
			  sizeof(buf)), strlen("L2_ETHER L3_IPV4 L4_UDP"), "len");
	TEST_ASSERT(strcmp(buf, "L2_ETHER L3_IPV4 L4_UDP") == 0, "'%s'", buf);
	keel_get_ptype_name(KEEL_PTYPE_L2_ETHER | KEEL_PTYPE_L3_IPV6_EXT |
			    KEEL_PTYPE_L4_UDP | KEEL_PTYPE_TUNNEL_VXLAN |
			    KEEL_PTYPE_INNER_L2_ETHER_VLAN |
			    KEEL_PTYPE_INNER_L3_IPV4 |
			    KEEL_PTYPE_INNER_L4_TCP, buf, sizeof(buf));
	TEST_ASSERT(strcmp(buf, "L2_ETHER L3_IPV6_EXT L4_UDP TUNNEL_VXLAN "
			   "INNER_L2_ETHER_VLAN INNER_L3_IPV4 INNER_L4_TCP") == 0,
		    "tunnel: '%s'", buf);
	keel_get_ptype_name(KEEL_PTYPE_UNKNOWN, buf, sizeof(buf));
	TEST_ASSERT(strcmp(buf, "UNKNOWN") == 0, "unknown: '%s'", buf);
	/* truncated like snprintf: the full length comes back */
	TEST_ASSERT_EQUAL(keel_get_ptype_name(KEEL_PTYPE_L2_ETHER |
			  KEEL_PTYPE_L3_IPV4, small, sizeof(small)),
			  strlen("L2_ETHER L3_IPV4"), "full length");
	TEST_ASSERT(strcmp(small, "L2_ETHE") == 0, "truncated: '%s'", small);
	TEST_ASSERT_EQUAL(keel_get_ptype_name(KEEL_PTYPE_L2_ETHER, NULL, 8),
			  -EINVAL, "NULL buffer");
	TEST_ASSERT_EQUAL(keel_get_ptype_name(KEEL_PTYPE_L2_ETHER, buf, 0),
			  -EINVAL, "size 0");

	TEST_ASSERT(strcmp(keel_get_rx_ol_flag_name(KEEL_MBUF_F_RX_VLAN),
			   "RX_VLAN") == 0, "rx vlan");
	TEST_ASSERT(strcmp(keel_get_rx_ol_flag_name(KEEL_MBUF_F_RX_L4_CKSUM_NONE),
			   "RX_L4_CKSUM_NONE") == 0, "a two-bit field value");
	TEST_ASSERT(strcmp(keel_get_rx_ol_flag_name(KEEL_MBUF_F_RX_IP_CKSUM_BAD),
			   "RX_IP_CKSUM_BAD") == 0, "ip cksum bad");
	TEST_ASSERT(strcmp(keel_get_tx_ol_flag_name(KEEL_MBUF_F_TX_TCP_CKSUM),
			   "TX_TCP_CKSUM") == 0, "tx tcp cksum");
	TEST_ASSERT(strcmp(keel_get_tx_ol_flag_name(KEEL_MBUF_F_TX_TUNNEL_VXLAN),
			   "TX_TUNNEL_VXLAN") == 0, "tx tunnel");
	TEST_ASSERT(keel_get_rx_ol_flag_name(KEEL_MBUF_F_FIRST_FREE) == NULL,
		    "a dynamic flag bit has no static name");
	TEST_ASSERT(keel_get_rx_ol_flag_name(KEEL_MBUF_F_RX_VLAN |
					     KEEL_MBUF_F_RX_RSS_HASH) == NULL,
		    "two flags are not one name");
	TEST_ASSERT(keel_get_tx_ol_flag_name(KEEL_MBUF_F_RX_VLAN) == NULL,
		    "an rx bit has no tx name");
	return TEST_SUCCESS;
}
KEEL_TEST(mbuf_names, "fast", 0, test_mbuf_names)
