/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device's guest-memory window (lib/vhost/vhost_mem_window.c): regions
 * adjacent in guest memory are adjacent in our VA, with inaccessible pages
 * around them; regions the window cannot take (file offset not congruent
 * with the guest address modulo the page, guest address beyond the 1 TiB
 * window) are mapped on their own and work; an overlapping region is
 * still refused and leaves the placed ones untouched; the window goes with
 * the last region and comes back with the next.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "vhost_test_env.h"

/* the permissions of the mapping holding @p a ("rw-s", "---p"), or "" */
static const char *
perms_at(const void *a, char out[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi;
	char line[512], p[5];

	out[0] = '\0';
	if (f == NULL)
		return out;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 &&
		    (uintptr_t)a >= lo && (uintptr_t)a < hi) {
			memcpy(out, p, 5);
			break;
		}
	fclose(f);
	return out;
}

static int
add(struct vt_env *e, uint64_t gpa, uint64_t size, uint64_t off)
{
	struct vhost_user_msg msg;
	struct vhost_user_mem_region *d = &msg.payload.mem_single.region;
	int fd, ret;

	memset(&msg, 0, sizeof(msg));
	d->guest_addr = gpa;
	d->size = size;
	d->user_addr = gpa + VT_UOFF;
	d->mmap_offset = off;
	fd = dup(e->mfd);
	ret = vhost_user_add_mem_reg(e->dev, &msg, &fd, 1);
	if (fd >= 0)
		close(fd);
	return ret;
}

static int
rem(struct vt_env *e, uint64_t gpa, uint64_t size)
{
	struct vhost_user_msg msg;
	struct vhost_user_mem_region *d = &msg.payload.mem_single.region;

	memset(&msg, 0, sizeof(msg));
	d->guest_addr = gpa;
	d->size = size;
	d->user_addr = gpa + VT_UOFF;
	return vhost_user_rem_mem_reg(e->dev, &msg, NULL, 0);
}

/* bytes [gpa, gpa + 64) read through the device's table are the file's
 * bytes at off (written with pwrite) */
static int
reads_file(struct vt_env *e, uint64_t gpa, uint64_t off, uint8_t seed)
{
	uint8_t want[64];
	uint64_t contig;
	uint8_t *h;
	int i;

	for (i = 0; i < 64; i++)
		want[i] = (uint8_t)(seed + i);
	if (pwrite(e->mfd, want, sizeof(want), (off_t)off) != sizeof(want))
		return 0;
	h = vhost_mem_gpa_to_host(e->dev->mem, gpa, 64, &contig);
	return h != NULL && contig == 64 && memcmp(h, want, 64) == 0;
}

static int
test_window(void)
{
	const uint64_t far = VT_GPA + VHOST_MEM_WINDOW + (1ULL << 30);
	const struct vhost_region *r0, *r1, *r;
	struct vt_env e;
	uint8_t *h0, *h1;
	char p[5];
	int maps0 = vt_count_maps();

	TEST_ASSERT_SUCCESS(vt_env_init(&e, 0, 64), "env");
	TEST_ASSERT_SUCCESS(ftruncate(e.mfd, 4 * VT_GSIZE), "grow");
	r0 = &e.dev->mem->r[0];
	r1 = &e.dev->mem->r[1];
	TEST_ASSERT(r0->win != NULL && r1->win == r0->win, "both in the window");
	TEST_ASSERT(r1->host == r0->host + VT_REGION, "adjacent in VA");
	TEST_ASSERT_EQUAL(e.dev->mem_win.n, 2, "two ranges");
	TEST_ASSERT(strcmp(perms_at(r0->host - 1, p), "---p") == 0,
		    "guard before the first: '%s'", p);
	TEST_ASSERT(strcmp(perms_at(r1->host + VT_REGION, p), "---p") == 0,
		    "guard after the last: '%s'", p);
	TEST_ASSERT(strncmp(perms_at(r1->host, p), "rw", 2) == 0, "mapped");
	h0 = r0->host;
	h1 = r1->host;

	/* file offset 0x800 off the guest address's page phase: own mapping */
	TEST_ASSERT_SUCCESS(add(&e, VT_GPA + 4 * VT_REGION, 0x2000,
				VT_GSIZE + 0x800), "add unaligned");
	r = vhost_mem_gpa_find(e.dev->mem, VT_GPA + 4 * VT_REGION);
	TEST_ASSERT(r != NULL && r->win == NULL, "not in the window");
	TEST_ASSERT(reads_file(&e, VT_GPA + 4 * VT_REGION + 0x100,
			       VT_GSIZE + 0x900, 7), "reads its file");
	/* beyond the window (1 TiB from the origin): own mapping */
	TEST_ASSERT_SUCCESS(add(&e, far, VT_REGION, 2 * VT_GSIZE), "add far");
	r = vhost_mem_gpa_find(e.dev->mem, far);
	TEST_ASSERT(r != NULL && r->win == NULL, "far: not in the window");
	TEST_ASSERT(reads_file(&e, far + 0x1000, 2 * VT_GSIZE + 0x1000, 9),
		    "far: reads its file");
	TEST_ASSERT_EQUAL(e.dev->mem_win.n, 2, "window: still two");
	/* overlapping region 1 by a page: refused, the placed ones as were */
	TEST_ASSERT(add(&e, VT_GPA + 2 * VT_REGION - 0x1000, VT_REGION,
			3 * VT_GSIZE) < 0, "overlap refused");
	TEST_ASSERT_EQUAL(e.dev->mem->n, 4, "table unchanged");
	TEST_ASSERT(e.dev->mem->r[0].host == h0 && e.dev->mem->r[1].host == h1,
		    "same mappings");
	TEST_ASSERT(reads_file(&e, VT_GPA + 2 * VT_REGION - 0x1000,
			       2 * VT_REGION - 0x1000, 11),
		    "region 1's last page still its file");
	TEST_ASSERT_EQUAL(e.dev->mem_win.n, 2, "window: still two");

	/* the window goes with its last region, comes back with the next */
	TEST_ASSERT_SUCCESS(rem(&e, VT_GPA, VT_REGION), "rem 0");
	TEST_ASSERT(strcmp(perms_at(h0, p), "---p") == 0,
		    "region 0's range reserved again: '%s'", p);
	TEST_ASSERT_SUCCESS(rem(&e, VT_GPA + VT_REGION, VT_REGION), "rem 1");
	TEST_ASSERT(e.dev->mem_win.resv == NULL && e.dev->mem_win.n == 0,
		    "window released");
	TEST_ASSERT_SUCCESS(add(&e, VT_GPA, VT_REGION, 0), "add again");
	TEST_ASSERT(e.dev->mem->r[0].win != NULL, "in a new window");
	TEST_ASSERT(reads_file(&e, VT_GPA + 0x3000, 0x3000, 13), "reads");
	vt_env_fini(&e);
	TEST_ASSERT_EQUAL(vt_count_maps(), maps0, "no mapping left");
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_mem_window, "fast", TEST_NO_EAL, test_window)
