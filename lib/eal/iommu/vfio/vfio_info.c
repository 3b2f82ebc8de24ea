/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Decoding of a VFIO_IOMMU_GET_INFO reply and its capability chain.
 *
 * The reply is untrusted input (a buggy or hostile kernel, or a fake):
 * every offset is checked against the reply's length before it is read,
 * the chain must move strictly forward (the kernel appends each capability
 * after the previous one, and this guarantees the walk ends), offsets are
 * 4-byte aligned (every capability struct is a multiple of 4 bytes), and
 * fields are read with memcpy (no unaligned loads). The order of the ids
 * is not relied on. Pure function: no state, no lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/vfio.h>
#include <stddef.h>
#include <string.h>

#include "keel_log.h"
#include "vfio_internal.h"

#define INFO_FIXED_LEN sizeof(struct vfio_iommu_type1_info)
#define INFO_MIN_LEN (offsetof(struct vfio_iommu_type1_info, iova_pgsizes) + \
		      sizeof(uint64_t))

static int
bad_info(const char *what, uint64_t v1, uint64_t v2)
{
	KEEL_LOG(ERR, keel_logtype_vfio,
		 "vfio: malformed VFIO_IOMMU_GET_INFO reply: %s (0x%" PRIx64 ", 0x%" PRIx64 ")",
		 what, v1, v2);
	return vfio_err(EPROTO);
}

static int
parse_iova_range(const uint8_t *b, uint64_t off, uint64_t extent,
		 struct keel_vfio_iommu_info *info)
{
	struct vfio_iommu_type1_info_cap_iova_range hdr;
	uint64_t need;
	uint32_t i, nr;

	if (info->has_iova_ranges)
		return bad_info("second IOVA_RANGE capability at offset", off,
				0);
	if (extent < sizeof(hdr))
		return bad_info("IOVA_RANGE shorter than its header (offset, bytes)",
				off, extent);
	memcpy(&hdr, b + off, sizeof(hdr));
	nr = hdr.nr_iovas;
	need = sizeof(hdr) + (uint64_t)nr * sizeof(struct vfio_iova_range);
	if (need > extent)
		return bad_info("IOVA_RANGE nr_iovas runs past the capability (nr_iovas, bytes)",
				nr, extent);
	if (nr > KEEL_VFIO_MAX_KERNEL_RANGES)
		return bad_info("IOVA_RANGE has too many ranges (nr_iovas, max)",
				nr, KEEL_VFIO_MAX_KERNEL_RANGES);
	for (i = 0; i < nr; i++) {
		struct vfio_iova_range r;

		memcpy(&r, b + off + sizeof(hdr) + i * sizeof(r), sizeof(r));
		if (r.start > r.end)
			return bad_info("IOVA range start above end", r.start,
					r.end);
		if (i > 0 && r.start <= info->ranges[i - 1].last)
			return bad_info("IOVA ranges overlap or are out of order (start, previous end)",
					r.start, info->ranges[i - 1].last);
		info->ranges[i].start = r.start;
		info->ranges[i].last = r.end;
	}
	info->n_ranges = nr;
	info->has_iova_ranges = true;
	return 0;
}

int
vfio_parse_iommu_info(const void *buf, size_t len,
		      struct keel_vfio_iommu_info *out)
{
	const uint8_t *b = buf;
	struct vfio_iommu_type1_info fixed;
	struct keel_vfio_iommu_info info;
	uint64_t off, prev = 0;
	int ret;

	memset(&info, 0, sizeof(info));
	if (buf == NULL || len < INFO_MIN_LEN)
		return bad_info("reply shorter than the fixed part (bytes, need)",
				len, INFO_MIN_LEN);
	memset(&fixed, 0, sizeof(fixed));
	memcpy(&fixed, b, len < sizeof(fixed) ? len : sizeof(fixed));
	if (fixed.flags & VFIO_IOMMU_INFO_PGSIZES)
		info.pgsize_bitmap = fixed.iova_pgsizes;
	if (!(fixed.flags & VFIO_IOMMU_INFO_CAPS) || len < INFO_FIXED_LEN ||
	    fixed.cap_offset == 0) {
		*out = info;
		return 0;
	}
	off = fixed.cap_offset;
	while (off != 0) {
		struct vfio_info_cap_header h;
		uint64_t extent;

		if (off < INFO_FIXED_LEN)
			return bad_info("capability inside the fixed part (offset, fixed size)",
					off, INFO_FIXED_LEN);
		if (off <= prev)
			return bad_info("capability chain does not move forward (offset, previous)",
					off, prev);
		if (off % 4 != 0)
			return bad_info("capability offset not 4-byte aligned",
					off, 0);
		if (off > len || len - off < sizeof(h))
			return bad_info("capability header past the end (offset, reply bytes)",
					off, len);
		memcpy(&h, b + off, sizeof(h));
		if (h.next != 0 && (h.next <= off || h.next > len))
			return bad_info("capability next out of range (offset, next)",
					off, h.next);
		extent = (h.next != 0 ? h.next : len) - off;
		switch (h.id) {
		case VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE:
			if (h.version < 1)
				return bad_info("IOVA_RANGE version", h.version,
						1);
			ret = parse_iova_range(b, off, extent, &info);
			if (ret < 0)
				return ret;
			break;
		case VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL: {
			struct vfio_iommu_type1_info_dma_avail da;

			if (h.version < 1)
				return bad_info("DMA_AVAIL version", h.version,
						1);
			if (info.has_dma_avail)
				return bad_info("second DMA_AVAIL capability at offset",
						off, 0);
			if (extent < sizeof(da))
				return bad_info("DMA_AVAIL shorter than its struct (offset, bytes)",
						off, extent);
			memcpy(&da, b + off, sizeof(da));
			info.dma_avail = da.avail;
			info.has_dma_avail = true;
			break;
		}
		case VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION:
			if (extent < sizeof(struct vfio_iommu_type1_info_cap_migration))
				return bad_info("MIGRATION shorter than its struct (offset, bytes)",
						off, extent);
			info.has_migration = true;
			break;
		default:
			KEEL_LOG(DEBUG, keel_logtype_vfio,
				 "vfio: GET_INFO: skipping unknown capability id %u v%u at offset %" PRIu64,
				 h.id, h.version, off);
			break;
		}
		prev = off;
		off = h.next;
	}
	*out = info;
	return 0;
}
