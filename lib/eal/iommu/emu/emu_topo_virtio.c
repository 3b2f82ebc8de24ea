/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parser of the virtio-iommu topology description (PCI requester-ID ranges
 * and MMIO endpoints -> endpoint IDs of the one IOMMU that carries it) into
 * the topology model (emu_topology.c). The input is untrusted: the header's
 * offset, count and item length are checked against the buffer before
 * anything is allocated, and every field is read little-endian byte by
 * byte. Stateless apart from the model it returns; no lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "emu_internal.h"
#include "emu_topo_internal.h"

#define TOPO_HDR_LEN       12
#define TOPO_PCI_LEN       12
#define TOPO_EP_LEN        16

#define TOPO_ERR(...) do { \
	KEEL_LOG(ERR, emu_logtype, "emu topology: " __VA_ARGS__); \
	ret = -EINVAL; \
	goto fail; \
} while (0)

int
keel_emu_topology_parse(const void *buf, uint64_t size,
			struct keel_emu_topology **topo)
{
	const uint8_t *p = buf;
	struct keel_emu_topology *t = NULL;
	uint32_t offset, num, ilen;
	uint64_t end;
	unsigned int i;
	int ret;

	if (topo == NULL || (buf == NULL && size != 0)) {
		KEEL_LOG(ERR, emu_logtype, "emu topology: NULL %s",
			 topo == NULL ? "output" : "buffer");
		errno = EINVAL;
		return -EINVAL;
	}
	*topo = NULL;
	if (size < TOPO_HDR_LEN)
		TOPO_ERR("buffer of %" PRIu64 " bytes is shorter than the %d-byte "
			 "header", size, TOPO_HDR_LEN);
	offset = emu_le32(p);
	num = emu_le32(p + 4);
	ilen = emu_le32(p + 8);
	if (num > EMU_TOPO_MAX_ITEMS)
		TOPO_ERR("num_items %" PRIu32 " exceeds %d", num,
			 EMU_TOPO_MAX_ITEMS);
	if (num != 0) {
		if (offset < TOPO_HDR_LEN || offset % 4 != 0 || offset >= size)
			TOPO_ERR("offset %" PRIu32 " is inside the header, "
				 "unaligned or past the end of %" PRIu64 " bytes",
				 offset, size);
		if (ilen < 4 || ilen % 4 != 0)
			TOPO_ERR("item_length %" PRIu32 " is not a multiple of 4 "
				 "of at least 4", ilen);
		/* 32 x 32 bits cannot overflow 64 bits; the sum may, in
		 * principle */
		end = (uint64_t)num * ilen;
		if (end > UINT64_MAX - offset || end + offset > size)
			TOPO_ERR("%" PRIu32 " items of %" PRIu32 " bytes at offset "
				 "%" PRIu32 " do not fit in %" PRIu64 " bytes", num,
				 ilen, offset, size);
	}
	/* the buffer holds every item it claims: now allocate */
	t = emu_topo_alloc(num, 1, false);
	if (t == NULL)
		return -ENOMEM;
	t->iommus[0].kind = KEEL_EMU_TOPO_IOMMU_SELF;
	for (i = 0; i < num; i++) {
		const uint8_t *q = p + offset + (uint64_t)i * ilen;
		struct emu_topo_item *it = &t->item[i];

		it->src = i;
		it->type = emu_le16(q);
		if (it->type == KEEL_EMU_TOPO_PCI_RANGE) {
			if (ilen < TOPO_PCI_LEN)
				TOPO_ERR("item %u: PCI range truncated to %" PRIu32
					 " of %d bytes", i, ilen, TOPO_PCI_LEN);
			it->hierarchy = emu_le16(q + 2);
			it->req_start = emu_le16(q + 4);
			it->req_end = emu_le16(q + 6);
			it->endpoint = emu_le32(q + 8);
			if (it->req_start > it->req_end)
				TOPO_ERR("item %u: requester_start 0x%x > "
					 "requester_end 0x%x", i, it->req_start,
					 it->req_end);
			if ((uint64_t)it->endpoint + (it->req_end - it->req_start)
			    > UINT32_MAX)
				TOPO_ERR("item %u: endpoint_start %" PRIu32 " + %u "
					 "overflows 32 bits", i, it->endpoint,
					 it->req_end - it->req_start);
		} else if (it->type == KEEL_EMU_TOPO_ENDPOINT) {
			if (ilen < TOPO_EP_LEN)
				TOPO_ERR("item %u: endpoint truncated to %" PRIu32
					 " of %d bytes", i, ilen, TOPO_EP_LEN);
			it->endpoint = emu_le32(q + 4);
			it->address = emu_le64(q + 8);
		} else {
			TOPO_ERR("item %u: unknown type %u", i, it->type);
		}
	}
	ret = emu_topo_validate(t);
	if (ret != 0)
		goto fail;
	*topo = t;
	return 0;
fail:
	keel_emu_topology_free(t);
	errno = -ret;
	return ret;
}
