/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOMMU topology model (keel_emu_topology.h): PCI requester-ID ranges
 * and MMIO endpoints, each tied to one IOMMU, mapped to endpoint IDs.
 * Filled by the parsers (emu_topo_virtio.c, emu_viot.c), checked here by
 * emu_topo_validate(), then read by the lookups.
 * Invariant of a validated model: no two PCI ranges of a hierarchy share a
 * requester ID, no two endpoints share an address, and the endpoint IDs of
 * any two items behind one IOMMU are disjoint. It is immutable after
 * parsing, so lookups need no lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "emu_internal.h"
#include "emu_topo_internal.h"

_Atomic uint64_t emu_topo_fail_nth;

struct keel_emu_topology *
emu_topo_alloc(unsigned int n_items, unsigned int n_iommus, bool viot)
{
	struct keel_emu_topology *t = NULL;
	uint64_t n = atomic_load(&emu_topo_fail_nth);
	size_t items = sizeof(*t) + (size_t)n_items * sizeof(t->item[0]);

	if (n != 0)
		atomic_store(&emu_topo_fail_nth, n - 1);
	if (n != 1)
		t = calloc(1, items + (size_t)n_iommus * sizeof(t->iommus[0]));
	if (t == NULL) {
		KEEL_LOG(ERR, emu_logtype, "%s: no memory for %u items and %u "
			 "IOMMUs", viot ? "VIOT" : "emu topology", n_items,
			 n_iommus);
		errno = ENOMEM;
		return NULL;
	}
	t->viot = viot;
	t->n = n_items;
	t->n_iommus = n_iommus;
	t->iommus = (struct keel_emu_topo_iommu *)((uint8_t *)t + items);
	return t;
}

const char *
emu_topo_src(const struct keel_emu_topology *t, unsigned int i, char *buf,
	     size_t len)
{
	if (t->viot)
		snprintf(buf, len, "node at offset 0x%" PRIx32, t->item[i].src);
	else
		snprintf(buf, len, "item %" PRIu32, t->item[i].src);
	return buf;
}

/* the last endpoint ID of an item */
static uint32_t
ep_last(const struct emu_topo_item *it)
{
	return it->endpoint + (it->type == KEEL_EMU_TOPO_PCI_RANGE ?
			       (uint32_t)(it->req_end - it->req_start) : 0);
}

/* a sort key: (k1, k2), ties broken by parse order so that messages name
 * the earlier item first */
struct sort_key {
	uint64_t k1, k2;
	unsigned int i;
};

static int
cmp_key(const void *pa, const void *pb)
{
	const struct sort_key *a = pa, *b = pb;

	if (a->k1 != b->k1)
		return a->k1 < b->k1 ? -1 : 1;
	if (a->k2 != b->k2)
		return a->k2 < b->k2 ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

enum sort_by { BY_RID, BY_ADDRESS, BY_ENDPOINT };

/* the items of @p type (0: all) in @p key, sorted; @return how many */
static unsigned int
sorted(const struct keel_emu_topology *t, struct sort_key *key,
       uint16_t type, enum sort_by by)
{
	unsigned int i, n = 0;

	for (i = 0; i < t->n; i++) {
		const struct emu_topo_item *it = &t->item[i];

		if (type != 0 && it->type != type)
			continue;
		key[n].i = i;
		if (by == BY_RID) {
			key[n].k1 = it->hierarchy;
			key[n].k2 = it->req_start;
		} else if (by == BY_ADDRESS) {
			key[n].k1 = it->address;
			key[n].k2 = 0;
		} else {
			key[n].k1 = it->iommu;
			key[n].k2 = it->endpoint;
		}
		n++;
	}
	qsort(key, n, sizeof(key[0]), cmp_key);
	return n;
}

#define VAL_ERR(...) do { \
	KEEL_LOG(ERR, emu_logtype, __VA_ARGS__); \
	free(key); \
	errno = EINVAL; \
	return -EINVAL; \
} while (0)

int
emu_topo_validate(struct keel_emu_topology *t)
{
	const char *what = t->viot ? "VIOT" : "emu topology";
	char sa[48], sb[48];
	struct sort_key *key;
	unsigned int n, k, hold;

	if (t->n == 0)
		return 0;
	key = malloc(t->n * sizeof(*key));
	if (key == NULL) {
		KEEL_LOG(ERR, emu_logtype, "%s: no memory to check %u items",
			 what, t->n);
		errno = ENOMEM;
		return -ENOMEM;
	}
	/* requester IDs: ranges sorted by (hierarchy, start); a range that
	 * starts at or before the furthest end so far in its hierarchy
	 * overlaps the range holding that end */
	n = sorted(t, key, KEEL_EMU_TOPO_PCI_RANGE, BY_RID);
	for (k = 1, hold = n > 0 ? key[0].i : 0; k < n; k++) {
		const struct emu_topo_item *a = &t->item[hold];
		const struct emu_topo_item *b = &t->item[key[k].i];

		if (a->hierarchy == b->hierarchy && b->req_start <= a->req_end)
			VAL_ERR("%s: %s: requesters 0x%x-0x%x of hierarchy %u "
				"overlap %s (0x%x-0x%x)", what,
				emu_topo_src(t, key[k].i, sb, sizeof(sb)),
				b->req_start, b->req_end, b->hierarchy,
				emu_topo_src(t, hold, sa, sizeof(sa)),
				a->req_start, a->req_end);
		if (a->hierarchy != b->hierarchy || b->req_end > a->req_end)
			hold = key[k].i;
	}
	/* MMIO addresses: one device each */
	n = sorted(t, key, KEEL_EMU_TOPO_ENDPOINT, BY_ADDRESS);
	for (k = 1; k < n; k++) {
		const struct emu_topo_item *a = &t->item[key[k - 1].i];
		const struct emu_topo_item *b = &t->item[key[k].i];

		if (a->address == b->address)
			VAL_ERR("%s: %s: address 0x%" PRIx64 " already used by "
				"%s", what, emu_topo_src(t, key[k].i, sb, sizeof(sb)),
				b->address, emu_topo_src(t, key[k - 1].i, sa,
							 sizeof(sa)));
	}
	/* endpoint IDs per IOMMU, ranges and endpoints together: the same
	 * sweep as for requester IDs (hold: the item reaching furthest) */
	n = sorted(t, key, 0, BY_ENDPOINT);
	for (k = 1, hold = key[0].i; k < n; k++) {
		const struct emu_topo_item *a = &t->item[hold];
		const struct emu_topo_item *b = &t->item[key[k].i];

		if (a->iommu == b->iommu && b->endpoint <= ep_last(a))
			VAL_ERR("%s: %s: endpoint IDs %" PRIu32 "-%" PRIu32
				" overlap those of %s (%" PRIu32 "-%" PRIu32
				") behind IOMMU %u: two devices would share an "
				"endpoint", what,
				emu_topo_src(t, key[k].i, sb, sizeof(sb)),
				b->endpoint, ep_last(b),
				emu_topo_src(t, hold, sa, sizeof(sa)),
				a->endpoint, ep_last(a), b->iommu);
		if (a->iommu != b->iommu || ep_last(b) > ep_last(a))
			hold = key[k].i;
	}
	free(key);
	return 0;
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

unsigned int
keel_emu_topology_iommu_count(const struct keel_emu_topology *topo)
{
	return topo != NULL ? topo->n_iommus : 0;
}

int
keel_emu_topology_iommu_get(const struct keel_emu_topology *topo,
			    unsigned int idx, struct keel_emu_topo_iommu *out)
{
	if (topo == NULL || out == NULL || idx >= topo->n_iommus) {
		KEEL_LOG(ERR, emu_logtype, "emu topology: IOMMU %u of %u%s",
			 idx, topo != NULL ? topo->n_iommus : 0,
			 topo == NULL || out == NULL ? " (NULL argument)" : "");
		errno = EINVAL;
		return -EINVAL;
	}
	*out = topo->iommus[idx];
	return 0;
}

int
keel_emu_topology_lookup_pci(const struct keel_emu_topology *topo,
			     uint16_t hierarchy, uint16_t rid, uint32_t *ep_id,
			     unsigned int *iommu)
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
			if (iommu != NULL)
				*iommu = it->iommu;
			return 0;
		}
	}
	errno = ENOENT;
	return -ENOENT;
}

int
keel_emu_topology_lookup_mmio(const struct keel_emu_topology *topo,
			      uint64_t address, uint32_t *ep_id,
			      unsigned int *iommu)
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
			if (iommu != NULL)
				*iommu = topo->item[i].iommu;
			return 0;
		}
	}
	errno = ENOENT;
	return -ENOENT;
}

void
keel_emu_topology_dump(FILE *f, const struct keel_emu_topology *topo)
{
	unsigned int i;

	if (f == NULL || topo == NULL)
		return;
	fprintf(f, "%s topology: %u IOMMUs, %u items\n",
		topo->viot ? "VIOT" : "virtio-iommu", topo->n_iommus, topo->n);
	for (i = 0; i < topo->n_iommus; i++) {
		const struct keel_emu_topo_iommu *io = &topo->iommus[i];

		if (io->kind == KEEL_EMU_TOPO_IOMMU_PCI)
			fprintf(f, "  iommu %u: virtio-pci at %04x:%02x:%02x.%x\n",
				i, io->segment, io->bdf >> 8, (io->bdf >> 3) & 0x1f,
				io->bdf & 7);
		else if (io->kind == KEEL_EMU_TOPO_IOMMU_MMIO)
			fprintf(f, "  iommu %u: virtio-mmio at 0x%" PRIx64 "\n",
				i, io->address);
		else
			fprintf(f, "  iommu %u: the device carrying the "
				"description\n", i);
	}
	for (i = 0; i < topo->n; i++) {
		const struct emu_topo_item *it = &topo->item[i];
		char src[48];

		emu_topo_src(topo, i, src, sizeof(src));
		if (it->type == KEEL_EMU_TOPO_PCI_RANGE)
			fprintf(f, "  pci %04x:%02x:%02x.%x-%02x:%02x.%x -> "
				"endpoints %" PRIu32 "-%" PRIu32 ", iommu %u (%s)\n",
				it->hierarchy, it->req_start >> 8,
				(it->req_start >> 3) & 0x1f, it->req_start & 7,
				it->req_end >> 8, (it->req_end >> 3) & 0x1f,
				it->req_end & 7, it->endpoint, ep_last(it),
				it->iommu, src);
		else
			fprintf(f, "  mmio 0x%" PRIx64 " -> endpoint %" PRIu32
				", iommu %u (%s)\n", it->address, it->endpoint,
				it->iommu, src);
	}
}
