/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reserved-region parsing and IOVA range-list arithmetic.
 *
 * Invariant kept by every function: a range list is ascending,
 * non-overlapping, inclusive [start, last] with start <= last; a failed
 * call leaves its output untouched. Pure functions: no state, no lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "keel_log.h"
#include "vfio_internal.h"

static const char *const resv_names[] = {
	[KEEL_VFIO_RESV_DIRECT] = "direct",
	[KEEL_VFIO_RESV_DIRECT_RELAXABLE] = "direct-relaxable",
	[KEEL_VFIO_RESV_RESERVED] = "reserved",
	[KEEL_VFIO_RESV_MSI] = "msi",
	[KEEL_VFIO_RESV_UNKNOWN] = "unknown",
};

const char *
keel_vfio_resv_type_name(enum keel_vfio_resv_type type)
{
	if ((unsigned int)type > KEEL_VFIO_RESV_UNKNOWN)
		return "?";
	return resv_names[type];
}

/* Parse "0x" + 1..16 hex digits at s[*pos..end); advance *pos. */
static int
parse_hex64(const char *s, size_t end, size_t *pos, uint64_t *val)
{
	size_t i = *pos, digits = 0;
	uint64_t v = 0;

	if (i + 2 > end || s[i] != '0' || s[i + 1] != 'x')
		return -1;
	i += 2;
	while (i < end) {
		char ch = s[i];
		unsigned int d;

		if (ch >= '0' && ch <= '9')
			d = (unsigned int)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			d = (unsigned int)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			d = (unsigned int)(ch - 'A' + 10);
		else
			break;
		if (++digits > 16)
			return -1;
		v = (v << 4) | d;
		i++;
	}
	if (digits == 0)
		return -1;
	*pos = i;
	*val = v;
	return 0;
}

/* Log a malformed line, printable characters only, at most 80 of them. */
static int
resv_bad_line(unsigned int lineno, const char *line, size_t len,
	      const char *why)
{
	char shown[81];
	size_t i, n = len < 80 ? len : 80;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)line[i];

		shown[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	shown[n] = '\0';
	KEEL_LOG(ERR, keel_logtype_vfio,
		 "vfio: reserved_regions line %u is malformed (%s): '%s'%s",
		 lineno, why, shown, len > 80 ? "..." : "");
	return vfio_err(EINVAL);
}

int
keel_vfio_resv_parse(const char *text, size_t len,
		     struct keel_vfio_resv *out, unsigned int max,
		     unsigned int *n)
{
	size_t pos = 0;
	unsigned int count = 0, lineno = 0;

	if ((text == NULL && len > 0) || n == NULL ||
	    (out == NULL && max > 0)) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: reserved_regions parse: NULL argument");
		return vfio_err(EINVAL);
	}
	while (pos < len) {
		size_t eol = pos, p, tstart;
		struct keel_vfio_resv r;
		char type[32];
		size_t tlen;

		lineno++;
		while (eol < len && text[eol] != '\n')
			eol++;
		p = pos;
		if (parse_hex64(text, eol, &p, &r.start) < 0)
			return resv_bad_line(lineno, text + pos, eol - pos,
					     "start is not 0x + 1..16 hex digits");
		if (p >= eol || text[p] != ' ')
			return resv_bad_line(lineno, text + pos, eol - pos,
					     "no single space after start");
		p++;
		if (parse_hex64(text, eol, &p, &r.last) < 0)
			return resv_bad_line(lineno, text + pos, eol - pos,
					     "end is not 0x + 1..16 hex digits");
		if (p >= eol || text[p] != ' ')
			return resv_bad_line(lineno, text + pos, eol - pos,
					     "no single space after end");
		p++;
		tstart = p;
		while (p < eol && ((text[p] >= 'a' && text[p] <= 'z') ||
				   (text[p] >= '0' && text[p] <= '9') ||
				   text[p] == '-'))
			p++;
		tlen = p - tstart;
		if (p != eol)
			return resv_bad_line(lineno, text + pos, eol - pos,
					     "type has characters other than a-z, 0-9, '-'");
		if (tlen == 0 || tlen >= sizeof(type))
			return resv_bad_line(lineno, text + pos, eol - pos,
					     "type is empty or longer than 31");
		if (r.start > r.last)
			return resv_bad_line(lineno, text + pos, eol - pos,
					     "start is above end");
		memcpy(type, text + tstart, tlen);
		type[tlen] = '\0';
		if (strcmp(type, "direct") == 0) {
			r.type = KEEL_VFIO_RESV_DIRECT;
		} else if (strcmp(type, "direct-relaxable") == 0) {
			r.type = KEEL_VFIO_RESV_DIRECT_RELAXABLE;
		} else if (strcmp(type, "reserved") == 0) {
			r.type = KEEL_VFIO_RESV_RESERVED;
		} else if (strcmp(type, "msi") == 0) {
			r.type = KEEL_VFIO_RESV_MSI;
		} else {
			KEEL_LOG(WARNING, keel_logtype_vfio,
				 "vfio: reserved_regions line %u: unknown type '%s' for [0x%" PRIx64 ", 0x%" PRIx64 "], treated as reserved",
				 lineno, type, r.start, r.last);
			r.type = KEEL_VFIO_RESV_UNKNOWN;
		}
		if (count == max) {
			KEEL_LOG(ERR, keel_logtype_vfio,
				 "vfio: reserved_regions has more than %u lines",
				 max);
			return vfio_err(ENOSPC);
		}
		out[count++] = r;
		pos = eol < len ? eol + 1 : eol;
	}
	*n = count;
	return 0;
}

int
keel_vfio_ranges_check(const struct keel_iova_range *r, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (r[i].start > r[i].last ||
		    (i > 0 && r[i].start <= r[i - 1].last)) {
			KEEL_LOG(ERR, keel_logtype_vfio,
				 "vfio: IOVA range %u [0x%" PRIx64 ", 0x%" PRIx64 "] is inverted, out of order or overlaps its predecessor",
				 i, r[i].start, r[i].last);
			return vfio_err(EINVAL);
		}
	}
	return 0;
}

int
keel_vfio_ranges_subtract(struct keel_iova_range *r, unsigned int *n,
			  unsigned int max, uint64_t start, uint64_t last)
{
	unsigned int i, cnt = *n;

	if (start > last) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: subtract [0x%" PRIx64 ", 0x%" PRIx64 "]: start above last",
			 start, last);
		return vfio_err(EINVAL);
	}
	/* a split of one range into two is the only growth: check first */
	for (i = 0; i < cnt; i++) {
		if (r[i].start < start && r[i].last > last && cnt >= max) {
			KEEL_LOG(ERR, keel_logtype_vfio,
				 "vfio: subtracting [0x%" PRIx64 ", 0x%" PRIx64 "] needs more than %u ranges",
				 start, last, max);
			return vfio_err(ENOSPC);
		}
	}
	i = 0;
	while (i < cnt) {
		struct keel_iova_range *x = &r[i];

		if (x->last < start || x->start > last) {
			i++;
			continue;
		}
		if (x->start < start && x->last > last) {
			memmove(&r[i + 2], &r[i + 1],
				(cnt - i - 1) * sizeof(*r));
			r[i + 1].start = last + 1;
			r[i + 1].last = x->last;
			x->last = start - 1;
			cnt++;
			break;
		}
		if (x->start < start) {
			x->last = start - 1;
			i++;
		} else if (x->last > last) {
			x->start = last + 1;
			i++;
		} else {
			memmove(&r[i], &r[i + 1], (cnt - i - 1) * sizeof(*r));
			cnt--;
		}
	}
	*n = cnt;
	return 0;
}

void
keel_vfio_ranges_clip(struct keel_iova_range *r, unsigned int *n,
		      uint64_t last)
{
	unsigned int i, cnt = *n;

	for (i = 0; i < cnt; i++) {
		if (r[i].start > last) {
			cnt = i;
			break;
		}
		if (r[i].last > last)
			r[i].last = last;
	}
	*n = cnt;
}

int
keel_vfio_ranges_align(struct keel_iova_range *r, unsigned int *n,
		       uint64_t pgsize)
{
	unsigned int i, o = 0;

	if (pgsize == 0 || (pgsize & (pgsize - 1)) != 0) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: page size 0x%" PRIx64 " is not a power of two",
			 pgsize);
		return vfio_err(EINVAL);
	}
	for (i = 0; i < *n; i++) {
		uint64_t s = r[i].start, e;

		/* round start up; skip if that wraps */
		if (s & (pgsize - 1)) {
			if (s > UINT64_MAX - pgsize)
				continue;
			s = (s | (pgsize - 1)) + 1;
		}
		/* round the exclusive end down: last byte of a whole page */
		e = r[i].last;
		if ((e & (pgsize - 1)) != pgsize - 1) {
			if (e < pgsize - 1)
				continue;
			e = (e & ~(pgsize - 1)) - 1;
			if ((r[i].last & ~(pgsize - 1)) == 0)
				continue;
		}
		if (s > e)
			continue;
		r[o].start = s;
		r[o].last = e;
		o++;
	}
	*n = o;
	return 0;
}

int
keel_vfio_ranges_dma_mask(const struct keel_iova_range *in,
			  unsigned int n_in, unsigned int bits,
			  struct keel_iova_range *out, unsigned int max,
			  unsigned int *n_out)
{
	uint64_t top;
	unsigned int i, cnt = 0;

	if (bits == 0 || bits > 64) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: DMA mask of %u bits is not in 1..64", bits);
		return vfio_err(EINVAL);
	}
	top = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	for (i = 0; i < n_in && in[i].start <= top; i++)
		cnt++;
	if (cnt > max) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: %u ranges reachable with a %u-bit mask, room for %u",
			 cnt, bits, max);
		return vfio_err(ENOSPC);
	}
	for (i = 0; i < cnt; i++) {
		out[i].start = in[i].start;
		out[i].last = in[i].last > top ? top : in[i].last;
	}
	*n_out = cnt;
	return 0;
}

unsigned int
keel_vfio_ranges_addr_width(const struct keel_iova_range *r, unsigned int n)
{
	uint64_t top;

	if (n == 0)
		return 0;
	top = r[n - 1].last;
	if (top == 0)
		return 1;
	return 64u - (unsigned int)__builtin_clzll(top);
}
