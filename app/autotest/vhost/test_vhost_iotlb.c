/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOTLB: the cache's rules (merge, cut, split, evict, permissions) checked
 * against a page-level model, and the pause: a chain whose buffer has no
 * translation stays in the ring, a miss goes out on the back-end channel,
 * and the same chain comes out once the update arrives (nothing dropped).
 */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test.h"
#include "vhost_copy.h"
#include "vhost_test_env.h"

#define F(bit) (1ULL << (bit))
#define PG 4096ULL
#define NPG 64   /* model: pages of IOVA [0, NPG * PG) */

struct model {
	uint64_t uaddr[NPG];   /* 0: unmapped */
	uint8_t perm[NPG];
};

static int
check_model(struct vhost_dev *dev, const struct model *m)
{
	const struct vhost_iotlb *t = &dev->iotlb;
	uint32_t i;

	for (i = 0; i < NPG; i++) {
		uint64_t ua = 0, contig = 0;
		int r = vhost_iotlb_lookup(t, i * PG + 5, 1, VHOST_ACCESS_RO, &ua,
					   &contig);

		if (m->uaddr[i] == 0 || !(m->perm[i] & VHOST_ACCESS_RO)) {
			TEST_ASSERT(r != 0, "page %u should not translate", i);
			continue;
		}
		TEST_ASSERT_EQUAL(r, 0, "page %u should translate", i);
		TEST_ASSERT_EQUAL(ua, m->uaddr[i] + 5, "page %u uaddr", i);
	}
	for (i = 1; i < t->n; i++) {
		TEST_ASSERT(t->e[i - 1].iova + t->e[i - 1].size <= t->e[i].iova,
			    "entries sorted and disjoint at %u", i);
		TEST_ASSERT(!(t->e[i - 1].iova + t->e[i - 1].size == t->e[i].iova
			      && t->e[i - 1].uaddr + t->e[i - 1].size ==
			      t->e[i].uaddr && t->e[i - 1].perm == t->e[i].perm),
			    "adjacent entries %u merged", i);
	}
	return TEST_SUCCESS;
}

static int
test_iotlb_model(void)
{
	struct vhost_dev dev;
	struct model m;
	uint64_t seed = keel_test_seed() | 1, ua, c;
	int step;

	memset(&dev, 0, sizeof(dev));
	memset(&m, 0, sizeof(m));
	snprintf(dev.ifname, sizeof(dev.ifname), "iotlb-model");
	/* contiguous pages merge into one entry */
	TEST_ASSERT_SUCCESS(vhost_iotlb_update(&dev, 0, PG, 0x10000, 3), "u");
	TEST_ASSERT_SUCCESS(vhost_iotlb_update(&dev, PG, PG, 0x10000 + PG, 3),
			    "u");
	TEST_ASSERT_EQUAL(dev.iotlb.n, 1, "merged");
	TEST_ASSERT_SUCCESS(vhost_iotlb_lookup(&dev.iotlb, 100, 2 * PG, 1, &ua,
					       &c), "lookup");
	TEST_ASSERT_EQUAL(c, 2 * PG - 100, "contiguous length spans both");
	/* write permission is checked */
	TEST_ASSERT_SUCCESS(vhost_iotlb_update(&dev, 8 * PG, PG, 0x90000,
					       VHOST_ACCESS_RO), "ro");
	TEST_ASSERT_EQUAL(vhost_iotlb_lookup(&dev.iotlb, 8 * PG, 1,
					     VHOST_ACCESS_WO, &ua, &c), -EACCES,
			  "read-only entry refuses a write");
	/* refusals */
	TEST_ASSERT_EQUAL(vhost_iotlb_update(&dev, 0, 0, 0, 3), -EINVAL, "empty");
	TEST_ASSERT_EQUAL(vhost_iotlb_update(&dev, UINT64_MAX - 5, 100, 0, 3),
			  -EINVAL, "wraps");
	TEST_ASSERT_EQUAL(vhost_iotlb_update(&dev, 0, PG, 0, 7), -EINVAL,
			  "bad permission");
	vhost_iotlb_flush(&dev.iotlb);

	/* random updates and invalidates against the page model */
	for (step = 0; step < 3000; step++) {
		uint64_t r = test_rand(&seed);
		uint32_t first = (uint32_t)(r % NPG);
		uint32_t n = 1 + (uint32_t)((r >> 8) % 6), i;

		if (first + n > NPG)
			n = NPG - first;
		if ((r >> 16) % 3 != 0) {
			uint64_t base = (1 + (r >> 20) % 3) * 0x100000 + first * PG;
			uint8_t perm = (uint8_t)(1 + (r >> 30) % 3);

			TEST_ASSERT_SUCCESS(vhost_iotlb_update(&dev, first * PG,
					    n * PG, base, perm), "update");
			for (i = 0; i < n; i++) {
				m.uaddr[first + i] = base + i * PG;
				m.perm[first + i] = perm;
			}
		} else {
			vhost_iotlb_invalidate(&dev, first * PG, n * PG);
			for (i = 0; i < n; i++)
				m.uaddr[first + i] = 0;
		}
		if (check_model(&dev, &m) != TEST_SUCCESS) {
			printf("  step %d (seed %" PRIu64 ")\n", step,
			       keel_test_seed());
			return TEST_FAILED;
		}
	}
	/* invalidating everything (size up to the end of the space) */
	vhost_iotlb_invalidate(&dev, 0, UINT64_MAX);
	TEST_ASSERT_EQUAL(dev.iotlb.n, 0, "all gone");
	/* a full cache evicts instead of refusing */
	for (step = 0; step < (int)VHOST_IOTLB_MAX + 10; step++)
		TEST_ASSERT_SUCCESS(vhost_iotlb_update(&dev, step * 2 * PG, PG,
				    0x1000000 + step * 4 * PG, 3), "fill %d", step);
	TEST_ASSERT_EQUAL(dev.iotlb.n, VHOST_IOTLB_MAX, "capped");
	vhost_iotlb_flush(&dev.iotlb);
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_iotlb_model, "fast", TEST_NO_EAL | TEST_RANDOM, test_iotlb_model)

/* read one back-end message from fd within 1 s: 1, or 0 if none */
static int
backend_msg(int fd, struct vhost_user_msg *m)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 1000) != 1)
		return 0;
	n = recv(fd, m, VHOST_USER_HDR_SIZE, 0);
	if (n != VHOST_USER_HDR_SIZE)
		return 0;
	n = recv(fd, &m->payload, m->size, 0);
	return n == (ssize_t)m->size;
}

static int
pending(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 50) == 1;
}

static int
test_iotlb_pause(uint64_t ring)
{
	struct vt_env e;
	struct vhost_chain c;
	struct vhost_user_msg m;
	struct vt_buf b = { VT_GPA + VT_BUF_OFF + 0x2000, 200, 1 };
	uint16_t id, uid;
	uint32_t ulen;
	int sp[2];

	TEST_ASSERT_SUCCESS(vt_env_init(&e, ring | F(VIRTIO_F_IOMMU_PLATFORM),
					16), "env");
	TEST_ASSERT_SUCCESS(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				       sp), "socketpair");
	e.dev->backend_fd = sp[0];
	e.dev->protocol_features |= F(VHOST_USER_PROTOCOL_F_BACKEND_REQ);
	/* the buffer's IOVA (= its GPA here) is not in the IOTLB */
	id = vt_offer(&e, &b, 1, 0);
	TEST_ASSERT_EQUAL(vt_fetch(&e, 1, &c), VHOST_FETCH_WAIT, "paused");
	TEST_ASSERT(backend_msg(sp[1], &m), "a miss went out");
	TEST_ASSERT_EQUAL(m.request, VHOST_USER_BACKEND_IOTLB_MSG, "request");
	TEST_ASSERT_EQUAL(m.payload.iotlb.type, VHOST_IOTLB_MISS, "type");
	TEST_ASSERT_EQUAL(m.payload.iotlb.iova, b.gpa, "iova");
	TEST_ASSERT_EQUAL(m.payload.iotlb.perm, VHOST_ACCESS_WO, "perm");
	/* still paused: no new miss while nothing changed, nothing consumed */
	TEST_ASSERT(vhost_vq_still_waiting(e.vq), "waits");
	TEST_ASSERT(!pending(sp[1]), "no second miss within a second");
	TEST_ASSERT_EQUAL(e.vq->stats.iotlb_misses, 1, "one miss counted");
	/* the update arrives (one page): the same chain comes out */
	vhost_iotlb_update(e.dev, VT_GPA + VT_BUF_OFF + 0x2000, PG,
			   VT_GPA + VT_BUF_OFF + 0x2000 + VT_UOFF,
			   VHOST_ACCESS_RW);
	TEST_ASSERT(!vhost_vq_still_waiting(e.vq), "resumes");
	TEST_ASSERT_EQUAL(vt_fetch(&e, 1, &c), VHOST_FETCH_OK, "fetched");
	TEST_ASSERT_EQUAL(c.id, id, "the chain that waited");
	TEST_ASSERT_EQUAL(c.len, 200, "its length");
	vt_give_back(&e, &c, 1, 1);
	TEST_ASSERT(vt_take_used(&e, &uid, &ulen) && uid == id, "returned");
	/* a buffer crossing into an unmapped page pauses at the second page */
	b.gpa = VT_GPA + VT_BUF_OFF + 0x3000 - 50;
	b.len = 100;
	id = vt_offer(&e, &b, 1, 0);
	TEST_ASSERT_EQUAL(vt_fetch(&e, 1, &c), VHOST_FETCH_WAIT, "paused again");
	TEST_ASSERT(backend_msg(sp[1], &m), "second miss");
	TEST_ASSERT_EQUAL(m.payload.iotlb.iova, VT_GPA + VT_BUF_OFF + 0x3000,
			  "asks for the missing page");
	vhost_iotlb_update(e.dev, VT_GPA + VT_BUF_OFF + 0x3000, PG,
			   VT_GPA + VT_BUF_OFF + 0x3000 + VT_UOFF,
			   VHOST_ACCESS_RW);
	TEST_ASSERT_EQUAL(vt_fetch(&e, 1, &c), VHOST_FETCH_OK, "fetched");
	TEST_ASSERT_EQUAL(c.id, id, "same chain");
	TEST_ASSERT_EQUAL(c.npieces, 1, "the merged entry is one piece");
	vt_give_back(&e, &c, 1, 1);
	close(sp[1]);
	vt_env_fini(&e);
	return TEST_SUCCESS;
}

static int
test_iotlb_pause_split(void)
{
	return test_iotlb_pause(0);
}

static int
test_iotlb_pause_packed(void)
{
	return test_iotlb_pause(F(VIRTIO_F_RING_PACKED));
}
KEEL_TEST(vhost_iotlb_pause_split, "fast", TEST_NO_EAL, test_iotlb_pause_split)
KEEL_TEST(vhost_iotlb_pause_packed, "fast", TEST_NO_EAL,
	  test_iotlb_pause_packed)

/*
 * GET_VRING_BASE (the front-end stops a queue) drops the cached
 * translations: a guest that resets its driver may map its new rings at
 * the old IOVAs before the invalidation arrives (QEMU intel-iommu, Linux
 * guest); the next use asks again instead of reading the old pages.
 */
static int
test_iotlb_flushed_on_stop(void)
{
	struct vhost_user_msg m;
	struct vt_env e;
	uint64_t ua, contig, gen;

	TEST_ASSERT_SUCCESS(vt_env_init(&e, F(VIRTIO_F_IOMMU_PLATFORM), 16),
			    "env");
	TEST_ASSERT_SUCCESS(vhost_iotlb_update(e.dev, 0x40000, PG, 0x90000,
					       VHOST_ACCESS_RW), "update");
	TEST_ASSERT_SUCCESS(vhost_iotlb_lookup(&e.dev->iotlb, 0x40000, 8,
					       VHOST_ACCESS_RO, &ua, &contig),
			    "cached");
	gen = e.dev->iotlb.gen;
	memset(&m, 0, sizeof(m));
	m.request = VHOST_USER_GET_VRING_BASE;
	m.size = sizeof(m.payload.state);
	m.payload.state.index = e.vq->index;
	vhost_user_get_vring_base(e.dev, &m, NULL, 0);
	TEST_ASSERT_EQUAL(vhost_iotlb_lookup(&e.dev->iotlb, 0x40000, 8,
					     VHOST_ACCESS_RO, &ua, &contig),
			  -ENOENT, "dropped at the stop");
	TEST_ASSERT(e.dev->iotlb.gen != gen, "generation moved");
	vt_env_fini(&e);
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_iotlb_flushed_on_stop, "fast", TEST_NO_EAL,
	  test_iotlb_flushed_on_stop)
