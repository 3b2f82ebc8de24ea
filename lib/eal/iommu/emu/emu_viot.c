/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parser of the ACPI Virtual I/O Translation Table (VIOT; ACPI 6.5,
 * section 5.2.32) into the topology model (emu_topology.c): PCI ranges and
 * MMIO endpoints, each tied to the virtio-iommu (PCI or MMIO) its output
 * node names. The input is untrusted. A first pass walks the nodes without
 * allocating and checks every length, offset, range and count against the
 * table; only then is the model allocated, and filled by two more passes
 * (the IOMMU nodes first, since an endpoint node may name an IOMMU node
 * further on), and the rules across items checked (emu_topo_validate()).
 * Every field is read little-endian byte by byte. Stateless apart from the
 * model it returns; no lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "emu_internal.h"
#include "emu_topo_internal.h"

/* ACPI 6.5, 5.2.6 "System Description Table Header": 36 bytes */
#define SDT_SIGNATURE      0     /* 4 bytes, "VIOT" */
#define SDT_LENGTH         4     /* le32, whole table in bytes */
#define SDT_CHECKSUM       9     /* u8: all bytes of the table sum to 0 */
#define SDT_HDR_LEN        36
/* ACPI 6.5, 5.2.32, VIOT table: after the SDT header */
#define VIOT_NODE_COUNT    36    /* le16 */
#define VIOT_NODE_OFFSET   38    /* le16, from the start of the table */
#define VIOT_HDR_LEN       48    /* + 8 reserved bytes */
/* 5.2.32, node header, common to every node */
#define NODE_TYPE          0     /* u8 */
#define NODE_LENGTH        2     /* le16, including this header */
#define NODE_HDR_LEN       4
/* node types */
#define NODE_PCI_RANGE     1
#define NODE_MMIO_EP       2
#define NODE_VIRTIO_PCI    3
#define NODE_VIRTIO_MMIO   4
/* 5.2.32, "PCI Range Node Structure" (24 bytes) */
#define PCI_EP_START       4     /* le32 */
#define PCI_SEG_START      8     /* le16 */
#define PCI_SEG_END        10    /* le16 */
#define PCI_BDF_START      12    /* le16 */
#define PCI_BDF_END        14    /* le16 */
#define PCI_OUTPUT         16    /* le16, offset of the IOMMU node */
#define PCI_LEN            24
/* 5.2.32, "Single MMIO Endpoint Node Structure" (24 bytes) */
#define MMIO_EP_ID         4     /* le32 */
#define MMIO_EP_BASE       8     /* le64 */
#define MMIO_OUTPUT        16    /* le16 */
#define MMIO_LEN           24
/* 5.2.32, "virtio-pci IOMMU Node Structure" (16 bytes) */
#define VPCI_SEGMENT       4     /* le16 */
#define VPCI_BDF           6     /* le16 */
#define VPCI_LEN           16
/* 5.2.32, "virtio-mmio IOMMU Node Structure" (16 bytes) */
#define VMMIO_BASE         8     /* le64, after 4 reserved bytes */
#define VMMIO_LEN          16

#define VIOT_ERR(...) do { \
	KEEL_LOG(ERR, emu_logtype, "VIOT: " __VA_ARGS__); \
	ret = -EINVAL; \
	goto fail; \
} while (0)

static const char *
node_name(unsigned int type)
{
	switch (type) {
	case NODE_PCI_RANGE: return "PCI range";
	case NODE_MMIO_EP: return "MMIO endpoint";
	case NODE_VIRTIO_PCI: return "virtio-pci IOMMU";
	case NODE_VIRTIO_MMIO: return "virtio-mmio IOMMU";
	default: return "unknown";
	}
}

static uint16_t
node_min_len(unsigned int type)
{
	switch (type) {
	case NODE_PCI_RANGE: return PCI_LEN;
	case NODE_MMIO_EP: return MMIO_LEN;
	case NODE_VIRTIO_PCI: return VPCI_LEN;
	case NODE_VIRTIO_MMIO: return VMMIO_LEN;
	default: return NODE_HDR_LEN;
	}
}

/* the three passes over the nodes */
enum pass {
	PASS_CHECK,     /* check every node, count items and IOMMUs */
	PASS_IOMMUS,    /* fill the IOMMUs (output nodes may point forward) */
	PASS_ITEMS,     /* fill the items, tied to their IOMMUs */
};

struct viot_walk {
	unsigned int n_items, n_iommus;
	uint32_t *iommu_off;    /* offset of each IOMMU's node, ascending */
};

/* index of the IOMMU whose node is at @p off, or -1 */
static int
iommu_at(const struct viot_walk *w, uint32_t off)
{
	unsigned int lo = 0, hi = w->n_iommus;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (w->iommu_off[mid] == off)
			return (int)mid;
		if (w->iommu_off[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* the IOMMU an endpoint node's output node names, or -EINVAL (logged) */
static int
output_iommu(const struct viot_walk *w, const uint8_t *q, unsigned int field,
	     unsigned int type, uint32_t off)
{
	int iommu = iommu_at(w, emu_le16(q + field));

	if (iommu < 0) {
		KEEL_LOG(ERR, emu_logtype, "VIOT: %s node at offset 0x%" PRIx32
			 ": output node 0x%x is not the offset of an IOMMU node",
			 node_name(type), off, emu_le16(q + field));
		return -EINVAL;
	}
	return iommu;
}

/* PASS_CHECK: the checks of one node that need no other node */
static int
check_node(const uint8_t *q, unsigned int type, uint16_t nlen, uint32_t off,
	   uint32_t len, uint64_t *items, uint64_t *iommus)
{
	int ret;

	if (nlen < node_min_len(type))
		VIOT_ERR("%s node at offset 0x%" PRIx32 ": length %u is shorter "
			 "than its %u bytes", node_name(type), off, nlen,
			 node_min_len(type));
	if ((uint64_t)off + nlen > len)
		VIOT_ERR("%s node at offset 0x%" PRIx32 ": length %u runs past "
			 "the table's %" PRIu32 " bytes", node_name(type), off,
			 nlen, len);
	if (type == NODE_PCI_RANGE) {
		uint32_t ep = emu_le32(q + PCI_EP_START);
		uint16_t s0 = emu_le16(q + PCI_SEG_START);
		uint16_t s1 = emu_le16(q + PCI_SEG_END);
		uint16_t b0 = emu_le16(q + PCI_BDF_START);
		uint16_t b1 = emu_le16(q + PCI_BDF_END);

		if (s0 > s1 || b0 > b1)
			VIOT_ERR("PCI range node at offset 0x%" PRIx32 ": segments "
				 "0x%x-0x%x, BDFs 0x%x-0x%x: a start past its end",
				 off, s0, s1, b0, b1);
		if ((uint64_t)ep + ((uint64_t)(s1 - s0) << 16) + (b1 - b0) >
		    UINT32_MAX)
			VIOT_ERR("PCI range node at offset 0x%" PRIx32 ": "
				 "endpoint_start %" PRIu32 " over segments 0x%x-0x%x "
				 "and BDFs 0x%x-0x%x overflows 32 bits", off, ep, s0,
				 s1, b0, b1);
		*items += (uint64_t)(s1 - s0) + 1;
	} else if (type == NODE_MMIO_EP) {
		*items += 1;
	} else if (type == NODE_VIRTIO_PCI || type == NODE_VIRTIO_MMIO) {
		*iommus += 1;
	} else {
		KEEL_LOG(DEBUG, emu_logtype, "VIOT: node at offset 0x%" PRIx32
			 ": type %u skipped (%u bytes)", off, type, nlen);
	}
	if (*items > EMU_TOPO_MAX_ITEMS || *iommus > EMU_TOPO_MAX_IOMMUS)
		VIOT_ERR("%s node at offset 0x%" PRIx32 ": more than %d items "
			 "(PCI ranges, per segment, and endpoints) or %d IOMMUs",
			 node_name(type), off, EMU_TOPO_MAX_ITEMS,
			 EMU_TOPO_MAX_IOMMUS);
	return 0;
fail:
	return ret;
}

/* PASS_IOMMUS / PASS_ITEMS: fill the model from one (checked) node */
static int
fill_node(const uint8_t *q, unsigned int type, uint32_t off, enum pass pass,
	  struct viot_walk *w, struct keel_emu_topology *t, unsigned int *at)
{
	int iommu;

	if (pass == PASS_IOMMUS &&
	    (type == NODE_VIRTIO_PCI || type == NODE_VIRTIO_MMIO)) {
		struct keel_emu_topo_iommu *m = &t->iommus[w->n_iommus];

		w->iommu_off[w->n_iommus++] = off;
		if (type == NODE_VIRTIO_PCI) {
			m->kind = KEEL_EMU_TOPO_IOMMU_PCI;
			m->segment = emu_le16(q + VPCI_SEGMENT);
			m->bdf = emu_le16(q + VPCI_BDF);
		} else {
			m->kind = KEEL_EMU_TOPO_IOMMU_MMIO;
			m->address = emu_le64(q + VMMIO_BASE);
		}
	} else if (pass == PASS_ITEMS && type == NODE_PCI_RANGE) {
		uint16_t s0 = emu_le16(q + PCI_SEG_START);
		uint16_t s1 = emu_le16(q + PCI_SEG_END);
		uint32_t s;

		iommu = output_iommu(w, q, PCI_OUTPUT, type, off);
		if (iommu < 0)
			return iommu;
		/* endpoint = start + ((segment - segment_start) << 16) +
		 * (BDF - bdf_start): one item per segment */
		for (s = s0; s <= s1; s++) {
			struct emu_topo_item *e = &t->item[(*at)++];

			e->type = KEEL_EMU_TOPO_PCI_RANGE;
			e->iommu = (uint16_t)iommu;
			e->hierarchy = (uint16_t)s;
			e->req_start = emu_le16(q + PCI_BDF_START);
			e->req_end = emu_le16(q + PCI_BDF_END);
			e->endpoint = emu_le32(q + PCI_EP_START) + ((s - s0) << 16);
			e->src = off;
		}
	} else if (pass == PASS_ITEMS && type == NODE_MMIO_EP) {
		struct emu_topo_item *e = &t->item[(*at)++];

		iommu = output_iommu(w, q, MMIO_OUTPUT, type, off);
		if (iommu < 0)
			return iommu;
		e->type = KEEL_EMU_TOPO_ENDPOINT;
		e->iommu = (uint16_t)iommu;
		e->endpoint = emu_le32(q + MMIO_EP_ID);
		e->address = emu_le64(q + MMIO_EP_BASE);
		e->src = off;
	}
	return 0;
}

/* one pass over the @p count nodes that start at @p first */
static int
walk(const uint8_t *p, uint32_t len, uint32_t first, uint32_t count,
     enum pass pass, struct viot_walk *w, struct keel_emu_topology *t)
{
	uint64_t items = 0, iommus = 0;
	uint32_t off = first, k;
	unsigned int at = 0;
	int ret;

	for (k = 0; k < count; k++) {
		const uint8_t *q = p + off;
		unsigned int type;
		uint16_t nlen;

		if ((uint64_t)off + NODE_HDR_LEN > len)
			VIOT_ERR("node %" PRIu32 " of %" PRIu32 " at offset 0x%"
				 PRIx32 ": its %d-byte header runs past the "
				 "table's %" PRIu32 " bytes", k, count, off,
				 NODE_HDR_LEN, len);
		type = q[NODE_TYPE];
		nlen = emu_le16(q + NODE_LENGTH);
		if (pass == PASS_CHECK)
			ret = check_node(q, type, nlen, off, len, &items, &iommus);
		else
			ret = fill_node(q, type, off, pass, w, t, &at);
		if (ret != 0)
			return ret;
		off += nlen;
	}
	if (pass == PASS_CHECK) {
		w->n_items = (unsigned int)items;
		w->n_iommus = (unsigned int)iommus;
	}
	return 0;
fail:
	return ret;
}

struct iommu_key {
	uint64_t kind, where;
	unsigned int i;
};

static int
cmp_iommu(const void *pa, const void *pb)
{
	const struct iommu_key *a = pa, *b = pb;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->where != b->where)
		return a->where < b->where ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/* no two IOMMU nodes at one PCI location or one MMIO address */
static int
iommus_distinct(const struct keel_emu_topology *t)
{
	struct iommu_key *key;
	unsigned int i;
	int ret = 0;

	if (t->n_iommus < 2)
		return 0;
	key = malloc(t->n_iommus * sizeof(*key));
	if (key == NULL) {
		KEEL_LOG(ERR, emu_logtype, "VIOT: no memory to check %u IOMMUs",
			 t->n_iommus);
		return -ENOMEM;
	}
	for (i = 0; i < t->n_iommus; i++) {
		const struct keel_emu_topo_iommu *m = &t->iommus[i];

		key[i].kind = m->kind;
		key[i].where = m->kind == KEEL_EMU_TOPO_IOMMU_PCI ?
			((uint64_t)m->segment << 16 | m->bdf) : m->address;
		key[i].i = i;
	}
	qsort(key, t->n_iommus, sizeof(key[0]), cmp_iommu);
	for (i = 1; i < t->n_iommus; i++) {
		if (key[i].kind != key[i - 1].kind ||
		    key[i].where != key[i - 1].where)
			continue;
		KEEL_LOG(ERR, emu_logtype, "VIOT: IOMMUs %u and %u are both the "
			 "%s at 0x%" PRIx64, key[i - 1].i, key[i].i,
			 key[i].kind == KEEL_EMU_TOPO_IOMMU_PCI ?
			 "virtio-pci IOMMU (segment << 16 | BDF)" :
			 "virtio-mmio IOMMU", key[i].where);
		ret = -EINVAL;
		break;
	}
	free(key);
	return ret;
}

int
keel_emu_viot_parse(const void *buf, uint64_t size,
		    struct keel_emu_topology **topo)
{
	const uint8_t *p = buf;
	struct keel_emu_topology *t = NULL;
	struct viot_walk w = { 0, 0, NULL };
	uint32_t len, first, count, i;
	uint8_t sum = 0;
	int ret;

	if (topo == NULL || (buf == NULL && size != 0)) {
		KEEL_LOG(ERR, emu_logtype, "VIOT: NULL %s",
			 topo == NULL ? "output" : "buffer");
		errno = EINVAL;
		return -EINVAL;
	}
	*topo = NULL;
	if (size < VIOT_HDR_LEN)
		VIOT_ERR("buffer of %" PRIu64 " bytes is shorter than the %d-byte "
			 "table header", size, VIOT_HDR_LEN);
	if (memcmp(p + SDT_SIGNATURE, "VIOT", 4) != 0)
		VIOT_ERR("signature %02x %02x %02x %02x is not \"VIOT\"",
			 p[0], p[1], p[2], p[3]);
	len = emu_le32(p + SDT_LENGTH);
	if (len < VIOT_HDR_LEN || len > size)
		VIOT_ERR("table length %" PRIu32 " is shorter than its %d-byte "
			 "header or longer than the %" PRIu64 "-byte buffer", len,
			 VIOT_HDR_LEN, size);
	for (i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	if (sum != 0)
		VIOT_ERR("checksum: the %" PRIu32 " bytes sum to 0x%02x, not 0 "
			 "(checksum byte 0x%02x)", len, sum, p[SDT_CHECKSUM]);
	count = emu_le16(p + VIOT_NODE_COUNT);
	first = emu_le16(p + VIOT_NODE_OFFSET);
	if (count != 0 && (first < VIOT_HDR_LEN || first >= len))
		VIOT_ERR("node_offset 0x%" PRIx32 " is inside the %d-byte header "
			 "or past the table's %" PRIu32 " bytes (%" PRIu32
			 " nodes)", first, VIOT_HDR_LEN, len, count);
	ret = walk(p, len, first, count, PASS_CHECK, &w, NULL);
	if (ret != 0)
		goto fail;
	/* the table holds every node it claims: now allocate */
	t = emu_topo_alloc(w.n_items, w.n_iommus, true);
	if (t == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	w.iommu_off = malloc((w.n_iommus + 1) * sizeof(*w.iommu_off));
	if (w.iommu_off == NULL) {
		KEEL_LOG(ERR, emu_logtype, "VIOT: no memory for %u IOMMUs",
			 w.n_iommus);
		ret = -ENOMEM;
		goto fail;
	}
	w.n_iommus = 0;
	ret = walk(p, len, first, count, PASS_IOMMUS, &w, t);
	if (ret == 0)
		ret = walk(p, len, first, count, PASS_ITEMS, &w, t);
	if (ret == 0)
		ret = iommus_distinct(t);
	if (ret == 0)
		ret = emu_topo_validate(t);
	if (ret != 0)
		goto fail;
	free(w.iommu_off);
	*topo = t;
	return 0;
fail:
	free(w.iommu_off);
	keel_emu_topology_free(t);
	errno = -ret;
	return ret;
}
