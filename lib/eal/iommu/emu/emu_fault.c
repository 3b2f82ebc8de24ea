/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fault log of the emulated IOMMU: a process-wide ring of
 * KEEL_EMU_FAULT_LOG_SIZE records plus counters. When the ring is full,
 * new faults are counted (and counted as dropped) but not logged, so the
 * first faults — usually the interesting ones — survive.
 * Invariant: n_used <= KEEL_EMU_FAULT_LOG_SIZE; head is the oldest record.
 * All state is protected by emu_fault_lock. Faults are the slow path.
 */
#include <inttypes.h>
#include <string.h>

#include "keel_log.h"
#include "emu_internal.h"

static pthread_mutex_t emu_fault_lock = PTHREAD_MUTEX_INITIALIZER;
static struct keel_emu_fault emu_fault_ring[KEEL_EMU_FAULT_LOG_SIZE];
static unsigned int emu_fault_head;
static unsigned int emu_fault_used;
static struct keel_emu_fault_counters emu_fault_cnt;

static const char *const emu_reason_names[] = {
	[KEEL_EMU_FAULT_NOT_MAPPED] = "not-mapped",
	[KEEL_EMU_FAULT_PERMISSION] = "permission",
	[KEEL_EMU_FAULT_OUT_OF_RANGE] = "out-of-range",
	[KEEL_EMU_FAULT_NO_DOMAIN] = "no-domain",
	[KEEL_EMU_FAULT_BUS_ERROR] = "bus-error",
};

const char *
keel_emu_fault_reason_name(enum keel_emu_fault_reason r)
{
	if ((unsigned int)r >= sizeof(emu_reason_names) /
			       sizeof(emu_reason_names[0]) ||
	    emu_reason_names[r] == NULL)
		return "?";
	return emu_reason_names[r];
}

static const char *
emu_dir_name(enum keel_emu_dma_dir dir)
{
	switch (dir) {
	case KEEL_EMU_DMA_TO_DEVICE:
		return "read";
	case KEEL_EMU_DMA_FROM_DEVICE:
		return "write";
	case KEEL_EMU_DMA_BIDIRECTIONAL:
		return "read-write";
	}
	return "?";
}

void
emu_fault_record(const struct keel_emu_endpoint *ep, struct keel_emu_domain *d,
		 uint64_t iova, uint64_t len, enum keel_emu_dma_dir dir,
		 enum keel_emu_fault_reason reason)
{
	struct keel_emu_fault f = {
		.iova = iova,
		.len = len,
		.dir = dir,
		.reason = reason,
		.endpoint_id = ep->id,
		.domain_id = d != NULL ? d->uid : 0,
	};

	if (d != NULL)
		atomic_fetch_add(&d->n_faults, 1);
	pthread_mutex_lock(&emu_fault_lock);
	emu_fault_cnt.total++;
	switch (reason) {
	case KEEL_EMU_FAULT_NOT_MAPPED:
		emu_fault_cnt.not_mapped++;
		break;
	case KEEL_EMU_FAULT_PERMISSION:
		emu_fault_cnt.permission++;
		break;
	case KEEL_EMU_FAULT_OUT_OF_RANGE:
		emu_fault_cnt.out_of_range++;
		break;
	case KEEL_EMU_FAULT_NO_DOMAIN:
		emu_fault_cnt.no_domain++;
		break;
	case KEEL_EMU_FAULT_BUS_ERROR:
		emu_fault_cnt.bus_error++;
		break;
	}
	if (emu_fault_used < KEEL_EMU_FAULT_LOG_SIZE) {
		emu_fault_ring[(emu_fault_head + emu_fault_used) %
			       KEEL_EMU_FAULT_LOG_SIZE] = f;
		emu_fault_used++;
	} else {
		emu_fault_cnt.dropped++;
	}
	pthread_mutex_unlock(&emu_fault_lock);
	KEEL_LOG(DEBUG, emu_logtype,
		 "DMA fault: endpoint %u (%s) %s iova 0x%" PRIx64 " len %" PRIu64
		 " domain %" PRIu64 ": %s", ep->id, ep->name, emu_dir_name(dir),
		 iova, len, f.domain_id, keel_emu_fault_reason_name(reason));
}

unsigned int
keel_emu_fault_read(struct keel_emu_fault *out, unsigned int n)
{
	unsigned int i = 0;

	if (out == NULL)
		return 0;
	pthread_mutex_lock(&emu_fault_lock);
	while (i < n && emu_fault_used > 0) {
		out[i++] = emu_fault_ring[emu_fault_head];
		emu_fault_head = (emu_fault_head + 1) % KEEL_EMU_FAULT_LOG_SIZE;
		emu_fault_used--;
	}
	pthread_mutex_unlock(&emu_fault_lock);
	return i;
}

void
keel_emu_fault_counters_get(struct keel_emu_fault_counters *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&emu_fault_lock);
	*c = emu_fault_cnt;
	pthread_mutex_unlock(&emu_fault_lock);
}

void
keel_emu_fault_clear(void)
{
	pthread_mutex_lock(&emu_fault_lock);
	memset(&emu_fault_cnt, 0, sizeof(emu_fault_cnt));
	emu_fault_head = 0;
	emu_fault_used = 0;
	pthread_mutex_unlock(&emu_fault_lock);
}
