/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz body: the ring walkers over an image of guest memory (see
 * vhost_fuzz.h).
 *
 * Input: u8 flags | u8 size | u8 rounds | u8 fold | image...
 * flags: bit 0 packed, 1 indirect negotiated, 2 event idx, 3 the device
 * writes (receive side), 4 IOMMU with only the ring area mapped (buffers
 * miss), 5 flip the direction every round. size: split rings 2^(size%8),
 * packed 1 + size%128. The image is copied to guest memory from the
 * descriptor ring on. fold (to reach deeper code more often): bit 0 folds
 * descriptor addresses into guest memory and bit 1 their lengths under
 * 12 KiB, for the ring and the indirect area; bit 2 folds split heads
 * under 2 * size.
 */
#include <stdio.h>
#include <string.h>

#include "vhost_copy.h"
#include "vhost_fuzz.h"
#include "../vhost_test_env.h"

static void
fold_descs(uint8_t *area, size_t bytes, uint8_t fold)
{
	size_t i;

	for (i = 0; i + 16 <= bytes; i += 16) {
		uint64_t addr;
		uint32_t len;

		memcpy(&addr, area + i, 8);
		memcpy(&len, area + i + 8, 4);
		if (fold & 1)
			addr = VT_GPA - 0x100 + addr % (VT_GSIZE + 0x200);
		if (fold & 2)
			len %= 0x3000;
		memcpy(area + i, &addr, 8);
		memcpy(area + i + 8, &len, 4);
	}
}

/* every piece lies inside one region of the device's table */
static int
inside(const struct vhost_mem *m, const struct vhost_piece *p)
{
	uint32_t i;

	for (i = 0; i < m->n; i++) {
		uintptr_t h = (uintptr_t)m->r[i].host, a = (uintptr_t)p->host;

		if (a >= h && p->len <= m->r[i].size &&
		    a - h <= m->r[i].size - p->len)
			return 1;
	}
	return 0;
}

int
vhost_fuzz_ring_one(const uint8_t *data, size_t size)
{
	struct vt_env e;
	uint64_t feat = 0;
	uint32_t rsize, rounds, r;
	uint8_t flags, fold;
	size_t img;
	int write, ret = 0;

	if (size < 4)
		return 0;
	flags = data[0];
	fold = data[3];
	rounds = 1 + data[2] % 64;
	if (flags & 1) {
		feat |= 1ULL << VIRTIO_F_RING_PACKED;
		rsize = 1 + data[1] % 128;
	} else {
		rsize = 1u << (data[1] % 8);
	}
	if (flags & 2)
		feat |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (flags & 4)
		feat |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (flags & 16)
		feat |= 1ULL << VIRTIO_F_IOMMU_PLATFORM;
	write = (flags >> 3) & 1;
	if (vt_env_init(&e, feat, rsize) != 0) {
		printf("  fuzz ring: environment did not come up\n");
		vt_env_fini(&e);
		return -1;
	}
	img = size - 4 < VT_BUF_OFF ? size - 4 : VT_BUF_OFF;
	memcpy(e.g, data + 4, img);
	if (fold & 3) {
		fold_descs(e.g + VT_DESC_OFF, VRING_DESC_SIZE(rsize), fold);
		fold_descs(e.g + VT_INDIR_OFF, VT_IMAGE_END - VT_INDIR_OFF,
			   fold);
	}
	if ((fold & 4) && !(flags & 1)) {
		struct vring_avail *av = (void *)(e.g + VT_AVAIL_OFF);

		for (r = 0; r < rsize; r++)
			av->ring[r] %= (uint16_t)(2 * rsize);
	}
	for (r = 0; r < rounds; r++) {
		struct vhost_chain c;
		uint32_t i, sum = 0;
		int f = vt_fetch(&e, write, &c);

		if (f == VHOST_FETCH_OK) {
			for (i = 0; i < c.npieces; i++) {
				const struct vhost_piece *p =
					&e.vq->pieces[c.first + i];

				if (!inside(e.dev->mem, p)) {
					printf("  fuzz ring: piece %u outside "
					       "guest memory\n", i);
					ret = -1;
				}
				/* touch both ends: guard pages would fault */
				if (write && p->len > 0) {
					p->host[0] = 0xa5;
					p->host[p->len - 1] = 0x5a;
				}
				sum += p->len;
			}
			if (sum != c.len || c.first + c.npieces > e.vq->npieces) {
				printf("  fuzz ring: chain of %u bytes in "
				       "pieces of %u\n", c.len, sum);
				ret = -1;
			}
			vt_give_back(&e, &c, write ? c.len : 0, write);
		} else if (f == VHOST_FETCH_BAD) {
			if (c.npieces != 0 || e.vq->npieces != 0) {
				printf("  fuzz ring: bad chain kept pieces\n");
				ret = -1;
			}
			vt_give_back(&e, &c, 0, write);
		} else {
			if (f == VHOST_FETCH_BROKEN && e.vq->ready) {
				printf("  fuzz ring: broken but ready\n");
				ret = -1;
			}
			break;
		}
		if (flags & 32)
			write ^= 1;
	}
	vt_env_fini(&e);
	return ret;
}

size_t
vhost_fuzz_ring_seed(uint8_t *buf, size_t cap, int packed)
{
	/* rings and indirect tables (buffers need no bytes) */
	size_t need = 4 + VT_IMAGE_END;
	struct vt_env e;
	struct vt_buf b[3] = {
		{ VT_GPA + VT_BUF_OFF, 1500, 1 },
		{ VT_GPA + VT_BUF_OFF + 0x1000, 100, 1 },
		{ VT_GPA + VT_REGION - 64, 200, 1 },
	};
	uint64_t feat = (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
			(packed ? 1ULL << VIRTIO_F_RING_PACKED : 0);

	if (cap < need || vt_env_init(&e, feat, 16) != 0)
		return 0;
	vt_offer(&e, b, 1, 0);
	vt_offer(&e, b, 3, 0);
	vt_offer(&e, b, 3, 1);
	vt_offer(&e, b + 2, 1, 0);
	buf[0] = (uint8_t)((packed ? 1 : 0) | 2 | 8);
	buf[1] = packed ? 15 : 4;   /* 16 either way */
	buf[2] = 8;
	buf[3] = 0;
	memcpy(buf + 4, e.g, need - 4);
	vt_env_fini(&e);
	return need;
}
