/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ring walkers over guest memory (split and packed), driven directly: the
 * test writes the guest's side of the ring, the library fetches chains and
 * returns them. Good chains (direct, indirect, across regions, wrapping),
 * hostile ones (loops, out-of-range indexes, lies about availability,
 * nested or malformed indirect tables, addresses outside memory, wrong
 * direction), event-index notifications, the dirty log.
 */
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test.h"
#include "vhost_copy.h"
#include "vhost_test_env.h"

#define F(bit) (1ULL << (bit))

#define fetch vt_fetch
#define give_back vt_give_back

/* the pieces of c cover exactly the guest bytes [gpa, gpa + len) */
static int
pieces_cover(struct vt_env *e, const struct vhost_chain *c, uint64_t gpa,
	     uint32_t len)
{
	uint32_t i, off = 0;

	for (i = 0; i < c->npieces; i++) {
		const struct vhost_piece *p = &e->vq->pieces[c->first + i];
		uint32_t k;

		/* write through the device's view, read the guest's view */
		for (k = 0; k < p->len; k += 97)
			p->host[k] = (uint8_t)(off + k);
		for (k = 0; k < p->len; k += 97)
			if (*vt_gva(e, gpa + off + k) != (uint8_t)(off + k))
				return 0;
		off += p->len;
	}
	return off == len;
}

static int
ring_good_chains(uint64_t feat)
{
	struct vt_env e;
	struct vhost_chain c;
	struct vt_buf b[4];
	uint16_t id, uid;
	uint32_t ulen;
	int i, round;

	TEST_ASSERT_SUCCESS(vt_env_init(&e, feat |
			    F(VIRTIO_RING_F_INDIRECT_DESC), 16), "env");
	for (round = 0; round < 40; round++) {   /* wraps the ring */
		int indirect = round % 3 == 1, write = round % 2;
		unsigned int n = 1 + round % 3;

		for (i = 0; i < (int)n; i++) {
			b[i].gpa = VT_GPA + VT_BUF_OFF + 0x1000 * i;
			b[i].len = 100 + round + i;
			b[i].write = write;
		}
		id = vt_offer(&e, b, n, indirect);
		TEST_ASSERT_EQUAL(fetch(&e, write, &c), VHOST_FETCH_OK,
				  "round %d", round);
		TEST_ASSERT_EQUAL(c.id, id, "chain id, round %d", round);
		TEST_ASSERT_EQUAL(c.npieces, n, "pieces, round %d", round);
		for (i = 0; i < (int)n; i++)
			TEST_ASSERT(pieces_cover(&e, &(struct vhost_chain){
				.first = c.first + i, .npieces = 1 },
				b[i].gpa, b[i].len), "piece %d round %d", i,
				round);
		{
			struct vhost_chain c2;
			uint32_t np = e.vq->npieces;

			TEST_ASSERT_EQUAL(fetch(&e, write, &c2),
					  VHOST_FETCH_EMPTY, "one chain offered");
			e.vq->npieces = np;
		}
		give_back(&e, &c, 7, write);
		TEST_ASSERT(vt_take_used(&e, &uid, &ulen), "used, round %d",
			    round);
		TEST_ASSERT_EQUAL(uid, id, "used id");
		TEST_ASSERT_EQUAL(ulen, 7, "used len");
	}
	/* a buffer across the two regions comes as two pieces */
	b[0].gpa = VT_GPA + VT_REGION - 100;
	b[0].len = 300;
	b[0].write = 1;
	vt_offer(&e, b, 1, 0);
	TEST_ASSERT_EQUAL(fetch(&e, 1, &c), VHOST_FETCH_OK, "spanning");
	TEST_ASSERT_EQUAL(c.npieces, 2, "two pieces");
	TEST_ASSERT_EQUAL(e.vq->pieces[c.first].len, 100, "first piece");
	TEST_ASSERT(pieces_cover(&e, &c, b[0].gpa, 300), "bytes land");
	vt_env_fini(&e);
	return TEST_SUCCESS;
}

static int
test_split_good(void)
{
	return ring_good_chains(0);
}

static int
test_packed_good(void)
{
	return ring_good_chains(F(VIRTIO_F_RING_PACKED));
}
KEEL_TEST(vhost_split_chains, "fast", TEST_NO_EAL, test_split_good)
KEEL_TEST(vhost_packed_chains, "fast", TEST_NO_EAL, test_packed_good)

/* a packed ring of a size that is not a power of 2 wraps correctly */
static int
test_packed_odd_size(void)
{
	struct vt_env e;
	struct vhost_chain c;
	struct vt_buf b = { VT_GPA + VT_BUF_OFF, 64, 1 };
	uint16_t id, uid;
	uint32_t ulen;
	int i;

	TEST_ASSERT_SUCCESS(vt_env_init(&e, F(VIRTIO_F_RING_PACKED), 7), "env");
	for (i = 0; i < 50; i++) {
		id = vt_offer(&e, &b, 1, 0);
		TEST_ASSERT_EQUAL(fetch(&e, 1, &c), VHOST_FETCH_OK, "round %d", i);
		TEST_ASSERT_EQUAL(c.id, id, "id");
		give_back(&e, &c, 64, 1);
		TEST_ASSERT(vt_take_used(&e, &uid, &ulen) && uid == id,
			    "used round %d", i);
	}
	vt_env_fini(&e);
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_packed_odd_size, "fast", TEST_NO_EAL, test_packed_odd_size)

/* ---- hostile rings ---- */

static int
expect_broken(struct vt_env *e, int write, const char *what)
{
	struct vhost_chain c;
	uint64_t v = 0;

	e->vq->errfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	TEST_ASSERT_EQUAL(fetch(e, write, &c), VHOST_FETCH_BROKEN, "%s", what);
	TEST_ASSERT(e->vq->broken && !e->vq->ready, "%s: marked broken", what);
	TEST_ASSERT_EQUAL(e->vq->stats.broken, 1, "%s: counted", what);
	TEST_ASSERT_EQUAL(read(e->vq->errfd, &v, 8), 8, "%s: err eventfd", what);
	TEST_ASSERT_EQUAL(e->vq->npieces, 0, "%s: no pieces kept", what);
	return TEST_SUCCESS;
}

static int
expect_bad_then_good(struct vt_env *e, int write, const char *what)
{
	struct vt_buf good = { VT_GPA + VT_BUF_OFF, 64, write };
	struct vhost_chain c;
	uint16_t uid, id;
	uint32_t ulen;
	uint64_t bad_before = e->vq->stats.bad_chains;

	TEST_ASSERT_EQUAL(fetch(e, write, &c), VHOST_FETCH_BAD, "%s", what);
	TEST_ASSERT_EQUAL(c.npieces, 0, "%s: no pieces", what);
	TEST_ASSERT_EQUAL(e->vq->stats.bad_chains, bad_before + 1, "%s", what);
	give_back(e, &c, 0, write);
	TEST_ASSERT(vt_take_used(e, &uid, &ulen), "%s: returned", what);
	TEST_ASSERT_EQUAL(ulen, 0, "%s: returned empty", what);
	/* the queue goes on */
	id = vt_offer(e, &good, 1, 0);
	TEST_ASSERT_EQUAL(fetch(e, write, &c), VHOST_FETCH_OK, "%s: after",
			  what);
	TEST_ASSERT_EQUAL(c.id, id, "%s: next chain", what);
	give_back(e, &c, 0, write);
	vt_take_used(e, &uid, &ulen);
	return TEST_SUCCESS;
}

#define RUN(x) do { int r_ = (x); if (r_ != TEST_SUCCESS) return r_; } while (0)

static int
test_split_hostile(void)
{
	uint64_t feat = F(VIRTIO_RING_F_INDIRECT_DESC);
	struct vt_env e;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vt_buf b[2];
	int fds0 = test_count_fds();

	/* a loop: 0 -> 1 -> 0 */
	TEST_ASSERT_SUCCESS(vt_env_init(&e, feat, 8), "env");
	desc = (void *)vt_gva(&e, VT_GPA + VT_DESC_OFF);
	avail = (void *)vt_gva(&e, VT_GPA + VT_AVAIL_OFF);
	desc[0] = (struct vring_desc){ VT_GPA + VT_BUF_OFF, 10,
				       VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1 };
	desc[1] = (struct vring_desc){ VT_GPA + VT_BUF_OFF, 10,
				       VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 0 };
	avail->ring[0] = 0;
	avail->idx = 1;
	RUN(expect_broken(&e, 1, "loop"));
	vt_env_fini(&e);

	/* head out of range */
	TEST_ASSERT_SUCCESS(vt_env_init(&e, feat, 8), "env");
	avail = (void *)vt_gva(&e, VT_GPA + VT_AVAIL_OFF);
	avail->ring[0] = 8;
	avail->idx = 1;
	RUN(expect_broken(&e, 1, "head out of range"));
	vt_env_fini(&e);

	/* available index further ahead than the ring holds */
	TEST_ASSERT_SUCCESS(vt_env_init(&e, feat, 8), "env");
	avail = (void *)vt_gva(&e, VT_GPA + VT_AVAIL_OFF);
	avail->idx = 9;
	RUN(expect_broken(&e, 1, "avail index jump"));
	vt_env_fini(&e);

	/* next out of range */
	TEST_ASSERT_SUCCESS(vt_env_init(&e, feat, 8), "env");
	desc = (void *)vt_gva(&e, VT_GPA + VT_DESC_OFF);
	avail = (void *)vt_gva(&e, VT_GPA + VT_AVAIL_OFF);
	desc[0] = (struct vring_desc){ VT_GPA + VT_BUF_OFF, 10,
				       VRING_DESC_F_NEXT | VRING_DESC_F_WRITE,
				       100 };
	avail->idx = 1;
	RUN(expect_broken(&e, 1, "next out of range"));
	vt_env_fini(&e);

	/* nested indirect; indirect with NEXT; ragged indirect length;
	 * indirect when not negotiated */
	{
		static const struct { uint16_t flags, inner; uint32_t len;
				      uint64_t feat; const char *what; } cases[] = {
			{ VRING_DESC_F_INDIRECT, VRING_DESC_F_INDIRECT, 32,
			  F(VIRTIO_RING_F_INDIRECT_DESC), "nested indirect" },
			{ VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 0, 32,
			  F(VIRTIO_RING_F_INDIRECT_DESC), "indirect + next" },
			{ VRING_DESC_F_INDIRECT, 0, 24,
			  F(VIRTIO_RING_F_INDIRECT_DESC), "ragged table" },
			{ VRING_DESC_F_INDIRECT, 0, 16 * (VHOST_INDIRECT_MAX + 1),
			  F(VIRTIO_RING_F_INDIRECT_DESC), "huge table" },
			{ VRING_DESC_F_INDIRECT, 0, 32, 0, "not negotiated" },
		};
		unsigned int i;

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct vring_desc *t;

			TEST_ASSERT_SUCCESS(vt_env_init(&e, cases[i].feat, 8),
					    "env");
			desc = (void *)vt_gva(&e, VT_GPA + VT_DESC_OFF);
			avail = (void *)vt_gva(&e, VT_GPA + VT_AVAIL_OFF);
			t = (void *)vt_gva(&e, VT_GPA + VT_INDIR_OFF);
			t[0] = (struct vring_desc){ VT_GPA + VT_INDIR_OFF, 32,
				cases[i].inner, 0 };
			desc[0] = (struct vring_desc){ VT_GPA + VT_INDIR_OFF,
				cases[i].len, cases[i].flags, 1 };
			avail->idx = 1;
			RUN(expect_broken(&e, 1, cases[i].what));
			vt_env_fini(&e);
		}
	}

	/* unusable buffers: consumed, returned empty, the queue goes on */
	{
		static const struct { uint64_t gpa; uint32_t len; int write;
				      const char *what; } cases[] = {
			{ 0x1000, 64, 1, "below guest memory" },
			{ VT_GPA + VT_GSIZE - 10, 64, 1, "past guest memory" },
			{ UINT64_MAX - 10, 64, 1, "wraps the address space" },
			{ VT_GPA + VT_BUF_OFF, 64, 0, "wrong direction" },
			{ VT_GPA + VT_BUF_OFF, 0xfffffff0u, 1, "huge" },
		};
		unsigned int i;

		TEST_ASSERT_SUCCESS(vt_env_init(&e, 0, 8), "env");
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			b[0] = (struct vt_buf){ cases[i].gpa, cases[i].len,
						cases[i].write };
			vt_offer(&e, b, 1, 0);
			RUN(expect_bad_then_good(&e, 1, cases[i].what));
		}
		/* lengths summing past 2^32 in one chain */
		b[0] = (struct vt_buf){ VT_GPA + VT_BUF_OFF, 0x80000000u, 1 };
		b[1] = (struct vt_buf){ VT_GPA + VT_BUF_OFF, 0x80000000u, 1 };
		vt_offer(&e, b, 2, 0);
		RUN(expect_bad_then_good(&e, 1, "sum past 2^32"));
		vt_env_fini(&e);
	}
	TEST_ASSERT_EQUAL(test_count_fds(), fds0 + 0, "fds flat");
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_split_hostile, "fast", TEST_NO_EAL, test_split_hostile)

static int
test_packed_hostile(void)
{
	uint64_t feat = F(VIRTIO_F_RING_PACKED) | F(VIRTIO_RING_F_INDIRECT_DESC);
	struct vring_packed_desc *ring;
	struct vt_env e;
	struct vt_buf b[2];
	uint32_t i;

	/* every descriptor chains to the next: longer than the ring */
	TEST_ASSERT_SUCCESS(vt_env_init(&e, feat, 8), "env");
	ring = (void *)vt_gva(&e, VT_GPA + VT_DESC_OFF);
	for (i = 0; i < 8; i++)
		ring[i] = (struct vring_packed_desc){ VT_GPA + VT_BUF_OFF, 8, 0,
			VRING_DESC_F_NEXT | VRING_DESC_F_WRITE |
			VRING_PACKED_DESC_F_AVAIL };
	RUN(expect_broken(&e, 1, "endless chain"));
	vt_env_fini(&e);

	/* the head is available, the next descriptor is not */
	TEST_ASSERT_SUCCESS(vt_env_init(&e, feat, 8), "env");
	ring = (void *)vt_gva(&e, VT_GPA + VT_DESC_OFF);
	ring[0] = (struct vring_packed_desc){ VT_GPA + VT_BUF_OFF, 8, 0,
		VRING_DESC_F_NEXT | VRING_DESC_F_WRITE |
		VRING_PACKED_DESC_F_AVAIL };
	RUN(expect_broken(&e, 1, "chain into unavailable"));
	vt_env_fini(&e);

	/* indirect: nested, with NEXT, ragged */
	{
		static const struct { uint16_t flags, inner; uint32_t len;
				      const char *what; } cases[] = {
			{ VRING_DESC_F_INDIRECT, VRING_DESC_F_INDIRECT, 32,
			  "nested indirect" },
			{ VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 0, 32,
			  "indirect + next" },
			{ VRING_DESC_F_INDIRECT, 0, 40, "ragged table" },
		};

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct vring_packed_desc *t;

			TEST_ASSERT_SUCCESS(vt_env_init(&e, feat, 8), "env");
			ring = (void *)vt_gva(&e, VT_GPA + VT_DESC_OFF);
			t = (void *)vt_gva(&e, VT_GPA + VT_INDIR_OFF);
			t[0] = (struct vring_packed_desc){ VT_GPA + VT_BUF_OFF,
				8, 0, cases[i].inner | VRING_DESC_F_WRITE };
			t[1] = t[0];
			ring[1] = (struct vring_packed_desc){ VT_GPA +
				VT_BUF_OFF, 8, 0, VRING_DESC_F_WRITE |
				VRING_PACKED_DESC_F_AVAIL };
			ring[0] = (struct vring_packed_desc){ VT_GPA +
				VT_INDIR_OFF, cases[i].len, 0,
				cases[i].flags | VRING_PACKED_DESC_F_AVAIL };
			RUN(expect_broken(&e, 1, cases[i].what));
			vt_env_fini(&e);
		}
	}

	/* unusable buffers */
	TEST_ASSERT_SUCCESS(vt_env_init(&e, feat, 8), "env");
	b[0] = (struct vt_buf){ 0x1000, 64, 1 };
	vt_offer(&e, b, 1, 0);
	RUN(expect_bad_then_good(&e, 1, "outside memory"));
	b[0] = (struct vt_buf){ VT_GPA + VT_BUF_OFF, 64, 0 };
	vt_offer(&e, b, 1, 0);
	RUN(expect_bad_then_good(&e, 1, "wrong direction"));
	b[0] = (struct vt_buf){ VT_GPA + VT_BUF_OFF, 0x80000000u, 1 };
	b[1] = b[0];
	vt_offer(&e, b, 2, 1);
	RUN(expect_bad_then_good(&e, 1, "sum past 2^32 (indirect)"));
	vt_env_fini(&e);
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_packed_hostile, "fast", TEST_NO_EAL, test_packed_hostile)

/*
 * DPDK's virtio PMD leaves VRING_DESC_F_WRITE on the header entry of its
 * packed Tx indirect tables: a chain the device reads takes the entry (as
 * DPDK's own back-end does); a chain the device writes still refuses a
 * device-readable entry.
 */
static void
offer_indirect_pair(struct vt_env *e, uint16_t f0, uint16_t f1)
{
	struct vring_packed_desc *ring = (void *)vt_gva(e, VT_GPA + VT_DESC_OFF);
	struct vring_packed_desc *t = (void *)vt_gva(e, VT_GPA + VT_INDIR_OFF);

	t[0] = (struct vring_packed_desc){ VT_GPA + VT_BUF_OFF, 12, 0, f0 };
	t[1] = (struct vring_packed_desc){ VT_GPA + VT_BUF_OFF + 0x1000, 1500,
					   1, f1 };
	ring[0] = (struct vring_packed_desc){ VT_GPA + VT_INDIR_OFF, 32, 5,
		VRING_DESC_F_INDIRECT | VRING_PACKED_DESC_F_AVAIL };
}

static int
test_packed_indirect_write_flag(void)
{
	uint64_t feat = F(VIRTIO_F_RING_PACKED) | F(VIRTIO_RING_F_INDIRECT_DESC);
	struct vhost_chain c;
	struct vt_env e;

	TEST_ASSERT_SUCCESS(vt_env_init(&e, feat, 8), "env");
	offer_indirect_pair(&e, VRING_DESC_F_WRITE, 0);
	TEST_ASSERT_EQUAL(fetch(&e, 0, &c), VHOST_FETCH_OK, "device reads");
	TEST_ASSERT_EQUAL(c.id, 5, "chain id");
	TEST_ASSERT_EQUAL(c.npieces, 2, "header and payload");
	TEST_ASSERT_EQUAL(c.len, 1512, "length");
	TEST_ASSERT(pieces_cover(&e, &(struct vhost_chain){ .first = c.first,
		    .npieces = 1 }, VT_GPA + VT_BUF_OFF, 12), "header bytes");
	TEST_ASSERT(pieces_cover(&e, &(struct vhost_chain){
		    .first = c.first + 1, .npieces = 1 },
		    VT_GPA + VT_BUF_OFF + 0x1000, 1500), "payload bytes");
	TEST_ASSERT_EQUAL(e.vq->stats.bad_chains, 0, "not counted bad");
	vt_env_fini(&e);

	TEST_ASSERT_SUCCESS(vt_env_init(&e, feat, 8), "env");
	offer_indirect_pair(&e, 0, VRING_DESC_F_WRITE);
	TEST_ASSERT_EQUAL(fetch(&e, 1, &c), VHOST_FETCH_BAD,
			  "device-readable entry in a chain the device writes");
	TEST_ASSERT_EQUAL(c.npieces, 0, "no pieces");
	TEST_ASSERT_EQUAL(e.vq->stats.bad_chains, 1, "counted bad");
	vt_env_fini(&e);
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_packed_indirect_write_flag, "fast", TEST_NO_EAL,
	  test_packed_indirect_write_flag)

/* ---- notifications ---- */

static uint64_t
events(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, 8) != 8)
		return 0;
	return v;
}

static int
test_event_idx(void)
{
	struct vt_env e;
	struct vhost_chain c;
	struct vt_buf b = { VT_GPA + VT_BUF_OFF, 64, 1 };
	uint16_t *used_event;
	uint16_t uid;
	uint32_t ulen;
	int i, fd;

	/* split, event idx: the guest asks to hear at used index 3 */
	TEST_ASSERT_SUCCESS(vt_env_init(&e, F(VIRTIO_RING_F_EVENT_IDX), 16),
			    "env");
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	e.vq->callfd = fd;
	used_event = (uint16_t *)vt_gva(&e, VT_GPA + VT_AVAIL_OFF + 4 + 2 * 16);
	*used_event = 3;
	for (i = 0; i < 6; i++) {
		vt_offer(&e, &b, 1, 0);
		TEST_ASSERT_EQUAL(fetch(&e, 1, &c), VHOST_FETCH_OK, "fetch");
		give_back(&e, &c, 1, 1);
		vt_take_used(&e, &uid, &ulen);
		/* the first call always goes; then only passing index 3
		 * (after the 4th used entry, i == 3) */
		TEST_ASSERT_EQUAL(events(fd) != 0, i == 0 || i == 3,
				  "call after used entry %d", i + 1);
	}
	vt_env_fini(&e);

	/* split without event idx: NO_INTERRUPT silences calls */
	TEST_ASSERT_SUCCESS(vt_env_init(&e, 0, 16), "env");
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	e.vq->callfd = fd;
	((struct vring_avail *)vt_gva(&e, VT_GPA + VT_AVAIL_OFF))->flags =
		VRING_AVAIL_F_NO_INTERRUPT;
	vt_offer(&e, &b, 1, 0);
	TEST_ASSERT_EQUAL(fetch(&e, 1, &c), VHOST_FETCH_OK, "fetch");
	give_back(&e, &c, 1, 1);
	TEST_ASSERT_EQUAL(events(fd), 0, "no call with NO_INTERRUPT");
	vt_env_fini(&e);

	/* packed: DISABLE silences, ENABLE calls */
	TEST_ASSERT_SUCCESS(vt_env_init(&e, F(VIRTIO_F_RING_PACKED), 16), "env");
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	e.vq->callfd = fd;
	((struct vring_packed_event *)vt_gva(&e, VT_GPA + VT_AVAIL_OFF))->flags =
		VRING_PACKED_EVENT_F_DISABLE;
	vt_offer(&e, &b, 1, 0);
	TEST_ASSERT_EQUAL(fetch(&e, 1, &c), VHOST_FETCH_OK, "fetch");
	give_back(&e, &c, 1, 1);
	TEST_ASSERT_EQUAL(events(fd), 0, "packed: disabled");
	((struct vring_packed_event *)vt_gva(&e, VT_GPA + VT_AVAIL_OFF))->flags =
		VRING_PACKED_EVENT_F_ENABLE;
	vt_offer(&e, &b, 1, 0);
	TEST_ASSERT_EQUAL(fetch(&e, 1, &c), VHOST_FETCH_OK, "fetch");
	give_back(&e, &c, 1, 1);
	TEST_ASSERT(events(fd) != 0, "packed: enabled");
	/* the device asks not to be kicked while polling */
	TEST_ASSERT_EQUAL(((struct vring_packed_event *)vt_gva(&e, VT_GPA +
			  VT_USED_OFF))->flags, VRING_PACKED_EVENT_F_DISABLE,
			  "kicks off");
	vt_env_fini(&e);
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_event_idx, "fast", TEST_NO_EAL, test_event_idx)

/* ---- dirty log ---- */

static int
bit(const uint8_t *log, uint64_t gpa)
{
	uint64_t page = gpa / 4096;

	return (log[page / 8] >> (page % 8)) & 1;
}

static int
test_dirty_log(void)
{
	struct vt_env e;
	struct vhost_chain c;
	struct vt_buf b = { VT_GPA + VT_BUF_OFF + 0x3000, 64, 1 };
	uint64_t log_size = (VT_GPA + VT_GSIZE) / 4096 / 8;
	uint8_t *log;
	int lfd;

	TEST_ASSERT_SUCCESS(vt_env_init(&e, F(VHOST_F_LOG_ALL), 16), "env");
	lfd = memfd_create("vt-log", MFD_CLOEXEC);
	TEST_ASSERT(lfd >= 0 && ftruncate(lfd, 4096 + log_size) == 0, "memfd");
	TEST_ASSERT_SUCCESS(vhost_log_set(e.dev, lfd, log_size, 4096), "log");
	log = mmap(NULL, 4096 + log_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   lfd, 0);
	TEST_ASSERT(log != MAP_FAILED, "map log");
	log += 4096;
	e.vq->log_used = 1;
	e.vq->log_guest_addr = VT_GPA + VT_USED_OFF;
	vt_offer(&e, &b, 1, 0);
	TEST_ASSERT_EQUAL(fetch(&e, 1, &c), VHOST_FETCH_OK, "fetch");
	vhost_vq_log_host_write(e.vq, e.vq->pieces[c.first].host, 64);
	give_back(&e, &c, 64, 1);
	TEST_ASSERT(bit(log, b.gpa), "buffer page logged");
	TEST_ASSERT(bit(log, VT_GPA + VT_USED_OFF), "used ring logged");
	TEST_ASSERT(!bit(log, VT_GPA + VT_BUF_OFF), "untouched page clean");
	TEST_ASSERT(!bit(log, VT_GPA + VT_INDIR_OFF), "untouched page clean");
	/* writes past the bitmap are ignored, not out of bounds */
	vhost_log_write_gpa(&e.dev->log, 1ULL << 40, 4096);
	/* refusals: size 0, beyond its file, too large */
	TEST_ASSERT_EQUAL(vhost_log_set(e.dev, lfd, 0, 0), -EINVAL, "size 0");
	TEST_ASSERT_EQUAL(vhost_log_set(e.dev, lfd, log_size, 8192), -EINVAL,
			  "past the file");
	TEST_ASSERT_EQUAL(vhost_log_set(e.dev, lfd, VHOST_LOG_MAX_SIZE + 1, 0),
			  -EINVAL, "too large");
	munmap(log - 4096, 4096 + log_size);
	close(lfd);
	vt_env_fini(&e);
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_dirty_log, "fast", TEST_NO_EAL, test_dirty_log)
