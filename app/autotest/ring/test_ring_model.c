/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring_model: a model-based random test. A plain array queue (the model)
 * predicts the result of every call — objects moved, free_space /
 * available, the bytes dequeued, count/free_count/empty/full — for random
 * sequences of bulk, burst, single, peek and zero-copy calls, in every
 * sync mode, through the element and the pointer API, for element sizes
 * 4..40 bytes, power-of-two and exact sizes, and with positions started
 * just below 2^32 so they wrap. Seeded by keel_test_seed() (--seed N).
 */
#include <stdlib.h>

#include "keel_ring.h"
#include "test.h"
#include "test_ring_util.h"

#define MAX_CAP 70
#define MAX_ESIZE 40
/* sanitizer builds run ~5x slower */
#ifdef __SANITIZE_ADDRESS__
#define OPS_PER_RING 800
#else
#define OPS_PER_RING 3000
#endif

/* the model: values of the queued elements, oldest first */
struct model {
	uint32_t v[MAX_CAP];
	unsigned int head, count, cap;
	uint32_t next; /* value of the next element produced */
};

static uint32_t
model_at(const struct model *m, unsigned int i)
{
	return m->v[(m->head + i) % m->cap];
}

static void
model_push(struct model *m, uint32_t v)
{
	m->v[(m->head + m->count) % m->cap] = v;
	m->count++;
}

static void
model_pop(struct model *m, unsigned int n)
{
	m->head = (m->head + n) % m->cap;
	m->count -= n;
}

/* expected number moved for a request of n with `room` available */
static unsigned int
predict(int bulk, unsigned int n, unsigned int room)
{
	if (n <= room)
		return n;
	return bulk ? 0 : room;
}

struct ctx {
	struct keel_ring *r;
	struct model m;
	unsigned int esize;
	int prod_mode, cons_mode; /* enum keel_ring_sync_type */
	uint64_t rng;
	char buf[MAX_CAP * MAX_ESIZE];
	char out[MAX_CAP * MAX_ESIZE];
};

/* a sync mode to call in: the default, the ring's own, or (ST/MT
 * sides, which mix) the other of the two */
static int
pick_mode(struct ctx *c, int side_mode)
{
	switch (test_rand(&c->rng) % 3) {
	case 0:
		return -1;
	case 1:
		return side_mode;
	default:
		return side_mode <= KEEL_RING_SYNC_ST ?
		       (int)(test_rand(&c->rng) % 2) : side_mode;
	}
}

static int
check_counts(struct ctx *c)
{
	struct keel_ring *r = c->r;

	TEST_ASSERT_EQUAL(keel_ring_count(r), c->m.count, "count");
	TEST_ASSERT_EQUAL(keel_ring_free_count(r), c->m.cap - c->m.count,
			  "free_count");
	TEST_ASSERT_EQUAL(keel_ring_empty(r), c->m.count == 0, "empty");
	TEST_ASSERT_EQUAL(keel_ring_full(r), c->m.count == c->m.cap, "full");
	return TEST_SUCCESS;
}

/* check that k elements at `out` are the model's [from, from + k) */
static int
check_out(struct ctx *c, const char *out, unsigned int from, unsigned int k)
{
	unsigned int i;

	for (i = 0; i < k; i++)
		TEST_ASSERT(ring_elem_check(out + (size_t)i * c->esize,
					    c->esize, model_at(&c->m, from + i)),
			    "element %u of %u (value %u) corrupted", i, k,
			    model_at(&c->m, from + i));
	return TEST_SUCCESS;
}

static int
op_enqueue(struct ctx *c)
{
	unsigned int room = c->m.cap - c->m.count, n, k, i, fs = ~0u;
	int bulk = test_rand(&c->rng) % 2, mode = pick_mode(c, c->prod_mode);
	int single = test_rand(&c->rng) % 8 == 0;

	n = single ? 1 : (unsigned int)(test_rand(&c->rng) %
					 (c->m.cap + (bulk ? 1 : 3)));
	for (i = 0; i < n; i++)
		ring_elem_fill(c->buf + (size_t)i * c->esize, c->esize,
			       c->m.next + i);
	if (single) {
		int ret = ring_enq_one(c->r, mode, c->buf, c->esize);

		TEST_ASSERT_EQUAL(ret, room ? 0 : -ENOBUFS, "single enqueue");
		k = room ? 1 : 0;
	} else {
		k = ring_enq(c->r, mode, bulk, c->buf, c->esize, n,
			     test_rand(&c->rng) % 2 ? &fs : NULL);
		TEST_ASSERT_EQUAL(k, predict(bulk, n, room),
				  "%s enqueue of %u, room %u, mode %d",
				  bulk ? "bulk" : "burst", n, room, mode);
		if (fs != ~0u)
			TEST_ASSERT_EQUAL(fs, room - k, "free_space");
	}
	for (i = 0; i < k; i++)
		model_push(&c->m, c->m.next + i);
	c->m.next += n;
	return TEST_SUCCESS;
}

static int
op_dequeue(struct ctx *c)
{
	unsigned int n, k, av = ~0u;
	int bulk = test_rand(&c->rng) % 2, mode = pick_mode(c, c->cons_mode);
	int single = test_rand(&c->rng) % 8 == 0;

	n = single ? 1 : (unsigned int)(test_rand(&c->rng) %
					 (c->m.cap + (bulk ? 1 : 3)));
	if (single) {
		int ret = ring_deq_one(c->r, mode, c->out, c->esize);

		TEST_ASSERT_EQUAL(ret, c->m.count ? 0 : -ENOENT,
				  "single dequeue");
		k = c->m.count ? 1 : 0;
	} else {
		k = ring_deq(c->r, mode, bulk, c->out, c->esize, n,
			     test_rand(&c->rng) % 2 ? &av : NULL);
		TEST_ASSERT_EQUAL(k, predict(bulk, n, c->m.count),
				  "%s dequeue of %u, count %u, mode %d",
				  bulk ? "bulk" : "burst", n, c->m.count, mode);
		if (av != ~0u)
			TEST_ASSERT_EQUAL(av, c->m.count - k, "available");
	}
	if (check_out(c, c->out, 0, k) != TEST_SUCCESS)
		return TEST_FAILED;
	model_pop(&c->m, k);
	return TEST_SUCCESS;
}

/* peek / zero-copy enqueue: reserve, maybe let the consumer side work,
 * try a too-large finish, then publish a random part */
static int
op_enqueue_peek(struct ctx *c)
{
	unsigned int room = c->m.cap - c->m.count, n, k, keep, i;
	int bulk = test_rand(&c->rng) % 2, zc = test_rand(&c->rng) % 2;
	struct keel_ring_zc_data zcd = { NULL, NULL, 0 };

	n = (unsigned int)(test_rand(&c->rng) % (c->m.cap + 1));
	if (zc)
		k = bulk ? keel_ring_enqueue_zc_bulk_elem_start(c->r, c->esize,
								 n, &zcd, NULL)
			 : keel_ring_enqueue_zc_burst_elem_start(c->r,
								 c->esize, n,
								 &zcd, NULL);
	else
		k = bulk ? keel_ring_enqueue_bulk_elem_start(c->r, n, NULL)
			 : keel_ring_enqueue_burst_elem_start(c->r, n, NULL);
	TEST_ASSERT_EQUAL(k, predict(bulk, n, room), "peek enqueue start");
	TEST_ASSERT_EQUAL(keel_ring_count(c->r), c->m.count,
			  "reserved room is not visible");
	if (c->m.count > 0 && test_rand(&c->rng) % 2 &&
	    op_dequeue(c) != TEST_SUCCESS)
		return TEST_FAILED;
	keep = (unsigned int)(test_rand(&c->rng) % (k + 1));
	for (i = 0; i < keep; i++)
		ring_elem_fill(c->buf + (size_t)i * c->esize, c->esize,
			       c->m.next + i);
	if (zc) {
		unsigned int n1 = keep < zcd.n1 ? keep : zcd.n1;

		if (n1 > 0)
			memcpy(zcd.ptr1, c->buf, (size_t)n1 * c->esize);
		if (keep > n1)
			memcpy(zcd.ptr2, c->buf + (size_t)n1 * c->esize,
			       (size_t)(keep - n1) * c->esize);
		if (test_rand(&c->rng) % 4 == 0) {
			TEST_ASSERT_EQUAL(keel_ring_enqueue_zc_elem_finish(c->r,
					k + 1), -EINVAL, "zc finish > reserved");
			TEST_ASSERT_EQUAL(keel_ring_count(c->r), c->m.count,
					  "nothing changed");
		}
		TEST_ASSERT_SUCCESS(keel_ring_enqueue_zc_elem_finish(c->r,
					keep), "zc finish");
	} else {
		if (test_rand(&c->rng) % 4 == 0) {
			TEST_ASSERT_EQUAL(keel_ring_enqueue_elem_finish(c->r,
					c->buf, c->esize, k + 1), -EINVAL,
					"finish > reserved");
			TEST_ASSERT_EQUAL(keel_ring_count(c->r), c->m.count,
					  "nothing changed");
		}
		TEST_ASSERT_SUCCESS(keel_ring_enqueue_elem_finish(c->r, c->buf,
					c->esize, keep), "finish");
	}
	for (i = 0; i < keep; i++)
		model_push(&c->m, c->m.next + i);
	c->m.next += keep;
	return TEST_SUCCESS;
}

static int
op_dequeue_peek(struct ctx *c)
{
	unsigned int n, k, keep;
	int bulk = test_rand(&c->rng) % 2, zc = test_rand(&c->rng) % 2;
	struct keel_ring_zc_data zcd = { NULL, NULL, 0 };

	n = (unsigned int)(test_rand(&c->rng) % (c->m.cap + 1));
	if (zc) {
		k = bulk ? keel_ring_dequeue_zc_bulk_elem_start(c->r, c->esize,
								 n, &zcd, NULL)
			 : keel_ring_dequeue_zc_burst_elem_start(c->r,
								 c->esize, n,
								 &zcd, NULL);
		if (k > 0) {
			unsigned int n1 = k < zcd.n1 ? k : zcd.n1;

			memcpy(c->out, zcd.ptr1, (size_t)n1 * c->esize);
			if (k > n1)
				memcpy(c->out + (size_t)n1 * c->esize,
				       zcd.ptr2, (size_t)(k - n1) * c->esize);
		}
	} else {
		k = bulk ? keel_ring_dequeue_bulk_elem_start(c->r, c->out,
							     c->esize, n, NULL)
			 : keel_ring_dequeue_burst_elem_start(c->r, c->out,
							      c->esize, n,
							      NULL);
	}
	TEST_ASSERT_EQUAL(k, predict(bulk, n, c->m.count),
			  "peek dequeue start");
	if (check_out(c, c->out, 0, k) != TEST_SUCCESS)
		return TEST_FAILED;
	TEST_ASSERT_EQUAL(keel_ring_free_count(c->r), c->m.cap - c->m.count,
			  "peeked objects still take room");
	keep = (unsigned int)(test_rand(&c->rng) % (k + 1));
	if (test_rand(&c->rng) % 4 == 0)
		TEST_ASSERT_EQUAL(keel_ring_dequeue_elem_finish(c->r, k + 1),
				  -EINVAL, "finish > reserved");
	TEST_ASSERT_SUCCESS(zc ? keel_ring_dequeue_zc_elem_finish(c->r, keep) :
			    keel_ring_dequeue_elem_finish(c->r, keep),
			    "dequeue finish");
	model_pop(&c->m, keep);
	return TEST_SUCCESS;
}

/* peek on an MT or RTS side: refused, nothing changes */
static int
op_peek_refused(struct ctx *c)
{
	unsigned int k;

	errno = 0;
	if (c->prod_mode == KEEL_RING_SYNC_MT ||
	    c->prod_mode == KEEL_RING_SYNC_MT_RTS) {
		k = keel_ring_enqueue_burst_elem_start(c->r, 1, NULL);
		TEST_ASSERT(k == 0 && errno == ENOTSUP,
			    "enqueue start on mode %d: %u, errno %d",
			    c->prod_mode, k, errno);
	} else {
		k = keel_ring_dequeue_burst_elem_start(c->r, c->out, c->esize,
						       1, NULL);
		TEST_ASSERT(k == 0 && errno == ENOTSUP,
			    "dequeue start on mode %d: %u, errno %d",
			    c->cons_mode, k, errno);
	}
	return check_counts(c);
}

static int
run_ring(struct ctx *c)
{
	int peek_enq = c->prod_mode == KEEL_RING_SYNC_ST ||
		       c->prod_mode == KEEL_RING_SYNC_MT_HTS;
	int peek_deq = c->cons_mode == KEEL_RING_SYNC_ST ||
		       c->cons_mode == KEEL_RING_SYNC_MT_HTS;
	unsigned int op;
	int ret;

	for (op = 0; op < OPS_PER_RING; op++) {
		switch (test_rand(&c->rng) % 8) {
		case 0: case 1: case 2:
			ret = op_enqueue(c);
			break;
		case 3: case 4: case 5:
			ret = op_dequeue(c);
			break;
		case 6:
			ret = peek_enq ? op_enqueue_peek(c) :
			      !peek_deq ? op_peek_refused(c) : op_enqueue(c);
			break;
		default:
			ret = peek_deq ? op_dequeue_peek(c) :
			      !peek_enq ? op_peek_refused(c) : op_dequeue(c);
			break;
		}
		if (ret != TEST_SUCCESS || check_counts(c) != TEST_SUCCESS) {
			printf("  op %u, ring:\n", op);
			keel_ring_dump(stdout, c->r);
			return TEST_FAILED;
		}
	}
	return TEST_SUCCESS;
}

static int
test_ring_model(void)
{
	static const unsigned int esizes[] = { 8, 4, 12, 16, 20, 40 };
	static const unsigned int counts[] = { 2, 8, 64, 5, 17, 70 };
	static const unsigned int modes[] = {
		KEEL_RING_SYNC_MT, KEEL_RING_SYNC_ST, KEEL_RING_SYNC_MT_RTS,
		KEEL_RING_SYNC_MT_HTS,
	};
	struct ctx *c = calloc(1, sizeof(*c));
	unsigned int e, s, pm, cm, runs = 0;
	char *log;
	int ret = TEST_SUCCESS;

	TEST_ASSERT(c != NULL, "calloc");
	c->rng = keel_test_seed() | 1;
	/* the refused and too-large calls log by design: keep them quiet */
	test_log_capture_start();
	for (e = 0; e < 6 && ret == TEST_SUCCESS; e++)
	for (s = 0; s < 6 && ret == TEST_SUCCESS; s++)
	for (pm = 0; pm < 4 && ret == TEST_SUCCESS; pm++)
	for (cm = 0; cm < 4 && ret == TEST_SUCCESS; cm++) {
		unsigned int exact = counts[s] & (counts[s] - 1) ? 1 : 0;
		unsigned int flags = ring_mode_flags(modes[pm], modes[cm]) |
				     (exact ? KEEL_RING_F_EXACT_SZ : 0);

		/* every 3rd ring embedded with keel_ring_init_elem */
		c->r = ring_make("model", esizes[e], counts[s], flags,
				 runs % 3 == 2);
		if (c->r == NULL) {
			ret = TEST_FAILED;
			printf("  cannot make ring esize %u count %u flags 0x%x\n",
			       esizes[e], counts[s], flags);
			break;
		}
		memset(&c->m, 0, sizeof(c->m));
		c->m.cap = keel_ring_get_capacity(c->r);
		c->esize = esizes[e];
		c->prod_mode = modes[pm];
		c->cons_mode = modes[cm];
		/* half the rings start 40..1 positions below 2^32 */
		if (runs % 2)
			ring_set_pos(c->r, 0u - 1 -
				     (uint32_t)(test_rand(&c->rng) % 40));
		ret = run_ring(c);
		if (ret != TEST_SUCCESS)
			printf("  ring esize %u count %u prod %u cons %u\n",
			       esizes[e], counts[s], modes[pm], modes[cm]);
		ring_unmake(c->r, runs % 3 == 2);
		runs++;
	}
	log = test_log_capture_stop();
	free(log);
	free(c);
	if (ret == TEST_SUCCESS)
		printf("  %u rings x %u ops agree with the model\n", runs,
		       OPS_PER_RING);
	return ret;
}
KEEL_TEST(ring_model, "fast", TEST_RANDOM, test_ring_model)
