/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keel-only commands, for what DPDK's testpmd cannot show: the EAL's IOMMU
 * container and its IOVA map table, the emulated IOMMU's faults, and the
 * DMA devices (dmafwd's engines).
 *
 * `show iommu faults` takes the faults out of the emulated IOMMU's log
 * (reading it empties it) and keeps the last FAULT_HISTORY here, so each
 * show lists them again until newer ones push them out.
 */
#include <inttypes.h>
#include <string.h>

#include <keel_dmadev.h>
#include <keel_emu_iommu.h>
#include <keel_iommu.h>

#include "cmdline.h"
#include "testpmd.h"

#define FAULT_HISTORY 32

static void
print_size(uint64_t bytes)
{
	if (bytes >= (1ull << 30) && bytes % (1ull << 20) == 0)
		printf("%.1f GiB", (double)bytes / (1 << 30));
	else if (bytes >= (1ull << 20))
		printf("%.1f MiB", (double)bytes / (1 << 20));
	else if (bytes >= 1024)
		printf("%.1f KiB", (double)bytes / 1024);
	else
		printf("%" PRIu64 " B", bytes);
}

static struct keel_iommu_container *
container_or_say(void)
{
	struct keel_iommu_container *c = keel_iommu_container_default();

	if (c == NULL)
		printf("No IOMMU container (--iommu none): devices use IOVAs "
		       "as they are (IOVA mode %s)\n",
		       keel_iova_mode_name(keel_eal_iova_mode()));
	return c;
}

static int
cmd_show_iommu(const struct tp_cmd_args *a)
{
	struct keel_iommu_container *c = container_or_say();
	struct keel_iommu_caps caps;
	struct keel_iommu_stats st;

	(void)a;
	if (c == NULL)
		return 0;
	if (keel_iommu_caps_get(c, &caps) < 0 ||
	    keel_iommu_stats_get(c, &st) < 0) {
		printf("Cannot read the IOMMU container\n");
		return -1;
	}
	printf("IOMMU container (the EAL's default)\n");
	printf("  kind:              %s\n",
	       keel_iommu_kind_name(keel_iommu_container_kind(c)));
	printf("  backend:           %s\n",
	       keel_iommu_container_backend_ops(c)->name);
	printf("  unmap rule:        %s\n", caps.can_split ?
	       "any page-aligned part of a mapping (can split)" :
	       "whole map calls only (chunks; cannot split)");
	printf("  page sizes:        0x%" PRIx64 " (smallest ", caps.pgsize_bitmap);
	print_size(caps.pgsize_bitmap & -caps.pgsize_bitmap);
	printf(")\n  address width:     %u bits\n", caps.addr_width);
	printf("  mapping limit:     ");
	if (caps.max_mappings != 0)
		printf("%" PRIu64 "\n", caps.max_mappings);
	else
		printf("none\n");
	for (unsigned int i = 0; i < caps.n_ranges; i++)
		printf("  usable IOVA range: 0x%" PRIx64 "-0x%" PRIx64 "\n",
		       caps.ranges[i].start, caps.ranges[i].last);
	printf("  entries:           %" PRIu64 " (table), %" PRIu64
	       " (backend)\n", st.entries, st.backend_mappings);
	printf("  mapped:            %" PRIu64 " bytes (", st.bytes);
	print_size(st.bytes);
	printf(")\n  map/unmap calls:   %" PRIu64 " / %" PRIu64 ", %" PRIu64
	       " failed\n", st.backend_maps, st.backend_unmaps,
	       st.backend_errors);
	printf("  merges / splits:   %" PRIu64 " / %" PRIu64 "\n", st.merges,
	       st.splits);
	printf("  refused calls:     %" PRIu64 "\n", st.refused);
	printf("  table memory:      %" PRIu64 " bytes\n", st.node_bytes);
	if (keel_iommu_container_kind(c) == KEEL_IOMMU_EMULATED) {
		struct keel_emu_domain *d = keel_emu_backend_domain(
			keel_iommu_container_backend_priv(c));
		struct keel_emu_domain_stats ds;

		if (d != NULL && keel_emu_domain_stats_get(d, &ds) == 0)
			printf("  emulated domain:   %" PRIu64 " page-table pages"
			       ", leaves 4K/2M/1G %" PRIu64 "/%" PRIu64 "/%"
			       PRIu64 ", %" PRIu64 " faults\n", ds.table_pages,
			       ds.leaves_4k, ds.leaves_2m, ds.leaves_1g,
			       ds.n_faults);
	}
	return 0;
}

struct map_walk {
	uint64_t max, n;
};

static int
map_walk_cb(const struct keel_iommu_mapping *m, void *arg)
{
	struct map_walk *w = arg;

	if (w->n < w->max) {
		printf("  %-4" PRIu64 " 0x%012" PRIx64 "-0x%012" PRIx64
		       "  0x%012" PRIx64 "  %-12" PRIu64 " ", w->n, m->iova,
		       m->iova + m->len - 1, m->va, m->len);
		if (m->chunk != 0)
			print_size(m->chunk);
		else
			printf("-");
		printf("\n");
	}
	w->n++;
	return 0;
}

static int
cmd_show_iommu_map(const struct tp_cmd_args *a)
{
	struct keel_iommu_container *c = container_or_say();
	struct map_walk w = { .max = a->argc > 3 ? a->num[3] : UINT64_MAX };

	if (c == NULL)
		return 0;
	printf("  %-4s %-29s  %-14s  %-12s %s\n", "#", "IOVA (first-last)",
	       "VA", "bytes", "chunk");
	keel_iommu_walk(c, map_walk_cb, &w);
	if (w.n > w.max)
		printf("  ... %" PRIu64 " more (show iommu map %" PRIu64 ")\n",
		       w.n - w.max, w.n);
	printf("  %" PRIu64 " entries, by IOVA\n", w.n);
	return 0;
}

static struct keel_emu_fault history[FAULT_HISTORY];
static uint64_t history_n;     /* faults ever taken from the log */

static const char *
dir_name(enum keel_emu_dma_dir d)
{
	return d == KEEL_EMU_DMA_TO_DEVICE ? "read" :
	       d == KEEL_EMU_DMA_FROM_DEVICE ? "write" : "read+write";
}

static int
cmd_show_iommu_faults(const struct tp_cmd_args *a)
{
	struct keel_iommu_container *c = container_or_say();
	struct keel_emu_fault_counters fc;
	struct keel_emu_fault f;
	uint64_t first;

	(void)a;
	if (c == NULL)
		return 0;
	if (keel_iommu_container_kind(c) != KEEL_IOMMU_EMULATED) {
		printf("The IOMMU is %s: the kernel logs its faults (dmesg)\n",
		       keel_iommu_kind_name(keel_iommu_container_kind(c)));
		return 0;
	}
	while (keel_emu_fault_read(&f, 1) == 1)
		history[history_n++ % FAULT_HISTORY] = f;
	keel_emu_fault_counters_get(&fc);
	printf("IOMMU faults: %" PRIu64 " (not mapped %" PRIu64 ", permission %"
	       PRIu64 ", out of range %" PRIu64 ", no domain %" PRIu64
	       ", not logged %" PRIu64 ")\n", fc.total, fc.not_mapped,
	       fc.permission, fc.out_of_range, fc.no_domain, fc.dropped);
	first = history_n > FAULT_HISTORY ? history_n - FAULT_HISTORY : 0;
	if (history_n > 0)
		printf("  %-6s %-18s %-8s %-10s %-12s %-10s %s\n", "#", "IOVA",
		       "bytes", "access", "reason", "endpoint", "domain");
	for (uint64_t i = first; i < history_n; i++) {
		const struct keel_emu_fault *h = &history[i % FAULT_HISTORY];

		printf("  %-6" PRIu64 " 0x%-16" PRIx64 " %-8" PRIu64 " %-10s "
		       "%-12s 0x%-8x %" PRIu64 "\n", i, h->iova, h->len,
		       dir_name(h->dir), keel_emu_fault_reason_name(h->reason),
		       h->endpoint_id, h->domain_id);
	}
	return 0;
}

/* ----------------------------------------------------------------- DMA */

static bool dma_show_stats;
static struct keel_dma_stats dma_last[KEEL_DMADEV_MAX];
static uint64_t dma_last_tsc[KEEL_DMADEV_MAX];

static int
dma_lcore_of(int16_t id)
{
	if (strcmp(tp.engine->name, "dmafwd") != 0)
		return -1;
	for (unsigned int c = 0; c < tp.nb_cfg_lcores; c++)
		if (tp.lcores[c].dma_id == id)
			return (int)tp.lcores[c].lcore_id;
	return -1;
}

static void
dma_info(int16_t id)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} capa[] = {
		{ KEEL_DMA_CAPA_MEM_TO_MEM, "mem2mem" },
		{ KEEL_DMA_CAPA_MEM_TO_DEV, "mem2dev" },
		{ KEEL_DMA_CAPA_DEV_TO_MEM, "dev2mem" },
		{ KEEL_DMA_CAPA_DEV_TO_DEV, "dev2dev" },
		{ KEEL_DMA_CAPA_SVA, "sva" },
		{ KEEL_DMA_CAPA_HANDLES_ERRORS, "handles_errors" },
		{ KEEL_DMA_CAPA_BEHIND_IOMMU, "behind_iommu" },
		{ KEEL_DMA_CAPA_OPS_COPY, "copy" },
		{ KEEL_DMA_CAPA_OPS_COPY_SG, "copy_sg" },
		{ KEEL_DMA_CAPA_OPS_FILL, "fill" },
	};
	struct keel_dma_info info;
	int lc = dma_lcore_of(id);

	if (keel_dma_info_get(id, &info) < 0)
		return;
	printf("DMA device %d: %s (driver %s)\n", id, info.dev_name,
	       info.driver);
	printf("  capabilities:");
	for (size_t i = 0; i < sizeof(capa) / sizeof(capa[0]); i++)
		if (info.dev_capa & capa[i].bit)
			printf(" %s", capa[i].name);
	printf("\n  vchans: %u configured, at most %u\n", info.nb_vchans,
	       info.max_vchans);
	printf("  ring: %u..%u descriptors; scatter-gather: %u entries\n",
	       info.min_desc, info.max_desc, info.max_sges);
	printf("  NUMA node: %d\n", info.numa_node);
	if (lc >= 0)
		printf("  dmafwd: copies for lcore %d\n", lc);
}

static void
dma_stats(int16_t id)
{
	struct keel_dma_info info;
	struct keel_dma_stats st, *last = &dma_last[id];
	uint64_t now = keel_get_tsc_cycles();
	uint64_t cyc = dma_last_tsc[id] ? now - dma_last_tsc[id] : 0;
	double rate = 0;
	int lc = dma_lcore_of(id);

	if (keel_dma_info_get(id, &info) < 0)
		return;
	if (info.nb_vchans == 0 ||
	    keel_dma_stats_get(id, KEEL_DMA_ALL_VCHAN, &st) < 0) {
		printf("DMA device %d (%s): not configured, no statistics\n",
		       id, info.dev_name);
		return;
	}
	if (cyc != 0 && st.completed >= last->completed)
		rate = (double)(st.completed - last->completed) *
		       (double)keel_get_tsc_hz() / (double)cyc;
	printf("DMA device %d (%s):\n", id, info.dev_name);
	printf("  submitted: %-14" PRIu64 " completed: %-14" PRIu64
	       " errors: %" PRIu64 "\n", st.submitted, st.completed, st.errors);
	printf("  completed ops/s since last show: %.0f\n", rate);
	if (lc >= 0) {
		uint64_t copies = 0, failed = 0;

		for (unsigned int s = 0; s < tp.nb_streams; s++)
			if ((int)tp.streams[s].lc->lcore_id == lc) {
				copies += tp.streams[s].dma_copies;
				failed += tp.streams[s].dma_failed;
			}
		printf("  dmafwd (lcore %d): packets copied %" PRIu64
		       ", copies failed %" PRIu64 "\n", lc, copies, failed);
	}
	*last = st;
	dma_last_tsc[id] = now;
}

static int
dma_each(uint64_t v)
{
	int16_t id;

	if (v != TP_ALL) {
		(dma_show_stats ? dma_stats : dma_info)((int16_t)v);
		return 0;
	}
	if (keel_dma_count_avail() == 0)
		printf("No DMA devices (add one with --vdev dma_soft0)\n");
	KEEL_DMA_FOREACH_DEV(id)
		(dma_show_stats ? dma_stats : dma_info)(id);
	return 0;
}

static int
cmd_show_dma(const struct tp_cmd_args *a)
{
	dma_show_stats = strcmp(a->argv[2], "stats") == 0;
	return dma_each(a->num[3]);
}

static int
cmd_clear_dma(const struct tp_cmd_args *a)
{
	int16_t id;

	KEEL_DMA_FOREACH_DEV(id) {
		struct keel_dma_info info;

		if (a->num[3] != TP_ALL && id != (int16_t)a->num[3])
			continue;
		if (keel_dma_info_get(id, &info) == 0 && info.nb_vchans > 0)
			keel_dma_stats_reset(id, KEEL_DMA_ALL_VCHAN);
		memset(&dma_last[id], 0, sizeof(dma_last[id]));
		dma_last_tsc[id] = keel_get_tsc_cycles();
	}
	printf("  DMA statistics cleared\n");
	return 0;
}

static const struct tp_cmd cmds[] = {
	{ "show iommu",
	  "the IOMMU container: kind, backend, rules, entries, bytes, "
	  "merges/splits, limits", cmd_show_iommu },
	{ "show iommu map [<count>]",
	  "the IOVA map table by IOVA (at most count entries)",
	  cmd_show_iommu_map },
	{ "show iommu faults",
	  "the emulated IOMMU's fault counters and last faults",
	  cmd_show_iommu_faults },
	{ "show dma info|stats <dma>",
	  "DMA devices: capabilities, or ops submitted/completed/failed",
	  cmd_show_dma },
	{ "clear dma stats <dma>", "zero DMA device statistics",
	  cmd_clear_dma },
	{ NULL, NULL, NULL },
};

const struct tp_cmd_group tp_cmds_keel = {
	.title = "IOMMU and DMA (Keel)",
	.cmds = cmds,
};
