/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parser of the virtio-iommu topology description (PCI requester-ID ranges
 * and MMIO endpoints -> endpoint IDs). The input is untrusted: every
 * offset, count and length is checked for overflow and truncation before
 * any byte is read, and every field is read little-endian byte by byte.
 * Invariant of a parsed topology: items are valid, no two PCI ranges of a
 * hierarchy overlap, no two endpoints share an address. It is immutable
 * after parsing, so lookups need no lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "keel_log.h"
#include "emu_internal.h"

#define TOPO_HDR_LEN       12
#define TOPO_PCI_LEN       12
#define TOPO_EP_LEN        16
#define TOPO_MAX_ITEMS     4096

struct emu_topo_item {
	uint16_t type;
	uint16_t hierarchy;
	uint16_t req_start;
	uint16_t req_end;
	uint32_t endpoint;      /* endpoint_start for a PCI range */
	uint64_t address;
};

struct keel_emu_topology {
	unsigned int n;
	struct emu_topo_item item[];
};

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)le16(p) | ((uint32_t)le16(p + 2) << 16);
}

static uint64_t
le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | ((uint64_t)le32(p + 4) << 32);
}

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
	unsigned int i, j;
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
	offset = le32(p);
	num = le32(p + 4);
	ilen = le32(p + 8);
	if (num > TOPO_MAX_ITEMS)
		TOPO_ERR("num_items %" PRIu32 " exceeds %d", num, TOPO_MAX_ITEMS);
	t = calloc(1, sizeof(*t) + (size_t)num * sizeof(t->item[0]));
	if (t == NULL) {
		KEEL_LOG(ERR, emu_logtype, "emu topology: no memory for %" PRIu32
			 " items", num);
		errno = ENOMEM;
		return -ENOMEM;
	}
	if (num == 0) {
		*topo = t;
		return 0;
	}
	if (offset < TOPO_HDR_LEN || offset % 4 != 0 || offset >= size)
		TOPO_ERR("offset %" PRIu32 " is inside the header, unaligned or "
			 "past the end of %" PRIu64 " bytes", offset, size);
	if (ilen < 4 || ilen % 4 != 0)
		TOPO_ERR("item_length %" PRIu32 " is not a multiple of 4 of at "
			 "least 4", ilen);
	/* 32 x 32 bits cannot overflow 64 bits; the sum may, in principle */
	end = (uint64_t)num * ilen;
	if (end > UINT64_MAX - offset || end + offset > size)
		TOPO_ERR("%" PRIu32 " items of %" PRIu32 " bytes at offset %" PRIu32
			 " do not fit in %" PRIu64 " bytes", num, ilen, offset,
			 size);
	for (i = 0; i < num; i++) {
		const uint8_t *q = p + offset + (uint64_t)i * ilen;
		struct emu_topo_item *it = &t->item[i];

		it->type = le16(q);
		if (it->type == KEEL_EMU_TOPO_PCI_RANGE) {
			if (ilen < TOPO_PCI_LEN)
				TOPO_ERR("item %u: PCI range truncated to %" PRIu32
					 " of %d bytes", i, ilen, TOPO_PCI_LEN);
			it->hierarchy = le16(q + 2);
			it->req_start = le16(q + 4);
			it->req_end = le16(q + 6);
			it->endpoint = le32(q + 8);
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
			it->endpoint = le32(q + 4);
			it->address = le64(q + 8);
		} else {
			TOPO_ERR("item %u: unknown type %u", i, it->type);
		}
		for (j = 0; j < i; j++) {
			const struct emu_topo_item *o = &t->item[j];

			if (o->type != it->type)
				continue;
			if (it->type == KEEL_EMU_TOPO_PCI_RANGE &&
			    o->hierarchy == it->hierarchy &&
			    o->req_start <= it->req_end &&
			    it->req_start <= o->req_end)
				TOPO_ERR("item %u: requesters 0x%x-0x%x of "
					 "hierarchy %u overlap item %u", i,
					 it->req_start, it->req_end,
					 it->hierarchy, j);
			if (it->type == KEEL_EMU_TOPO_ENDPOINT &&
			    o->address == it->address)
				TOPO_ERR("item %u: address 0x%" PRIx64 " already "
					 "used by item %u", i, it->address, j);
		}
	}
	t->n = num;
	*topo = t;
	return 0;
fail:
	free(t);
	errno = -ret;
	return ret;
}

void
keel_emu_topology_free(struct keel_emu_topology *topo)
{
	free(topo);
}

unsigned int
keel_emu_topology_count(const struct keel_emu_topology *topo)
{
	return topo != NULL ? topo->n : 0;
}

int
keel_emu_topology_lookup_pci(const struct keel_emu_topology *topo,
			     uint16_t hierarchy, uint16_t rid, uint32_t *ep_id)
{
	unsigned int i;

	if (topo == NULL || ep_id == NULL) {
		KEEL_LOG(ERR, emu_logtype, "emu topology lookup: NULL argument");
		errno = EINVAL;
		return -EINVAL;
	}
	for (i = 0; i < topo->n; i++) {
		const struct emu_topo_item *it = &topo->item[i];

		if (it->type == KEEL_EMU_TOPO_PCI_RANGE &&
		    it->hierarchy == hierarchy && rid >= it->req_start &&
		    rid <= it->req_end) {
			*ep_id = it->endpoint + (uint32_t)(rid - it->req_start);
			return 0;
		}
	}
	errno = ENOENT;
	return -ENOENT;
}

int
keel_emu_topology_lookup_mmio(const struct keel_emu_topology *topo,
			      uint64_t address, uint32_t *ep_id)
{
	unsigned int i;

	if (topo == NULL || ep_id == NULL) {
		KEEL_LOG(ERR, emu_logtype, "emu topology lookup: NULL argument");
		errno = EINVAL;
		return -EINVAL;
	}
	for (i = 0; i < topo->n; i++) {
		if (topo->item[i].type == KEEL_EMU_TOPO_ENDPOINT &&
		    topo->item[i].address == address) {
			*ep_id = topo->item[i].endpoint;
			return 0;
		}
	}
	errno = ENOENT;
	return -ENOENT;
}
