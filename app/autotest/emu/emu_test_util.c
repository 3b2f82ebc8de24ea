/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers of the emulated-IOMMU tests (see emu_test_util.h). Stateless.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "emu_test_util.h"

static int
emu_t_push(struct emu_t_leaf **out, long *n, const struct emu_t_leaf *l)
{
	if ((*n & (*n - 1)) == 0 || *n == 0) { /* grow at powers of two */
		long cap = *n == 0 ? 16 : *n * 2;
		struct emu_t_leaf *p = realloc(*out, (size_t)cap * sizeof(*p));

		if (p == NULL)
			return -1;
		*out = p;
	}
	(*out)[(*n)++] = *l;
	return 0;
}

long
emu_t_leaves(struct keel_emu_domain *d, struct emu_t_leaf **out)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	long n = 0;

	*out = NULL;
	if (f == NULL)
		return -1;
	if (keel_emu_domain_dump(d, f) != 0) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		struct emu_t_leaf l;
		uint64_t first, last;
		char r, w;
		int lvl;

		if (strstr(line, "-> va") == NULL)
			continue;
		if (sscanf(line, " L%d [0x%" SCNx64 "-0x%" SCNx64 "] %*s -> va 0x%"
			   SCNx64 " %c%c", &lvl, &first, &last, &l.va, &r, &w) != 6) {
			printf("  cannot parse dump line '%s'\n", line);
			free(buf);
			free(*out);
			*out = NULL;
			return -1;
		}
		l.iova = first;
		l.size = last - first + 1;
		l.prot = (r == 'r' ? KEEL_EMU_PROT_READ : 0) |
			 (w == 'w' ? KEEL_EMU_PROT_WRITE : 0);
		if (emu_t_push(out, &n, &l) < 0) {
			free(buf);
			return -1;
		}
	}
	free(buf);
	return n;
}

int
emu_t_greedy(uint64_t iova, uint64_t va, uint64_t len, uint32_t prot,
	     uint64_t pgsizes, long max, struct emu_t_leaf **out, long *n)
{
	static const uint64_t sizes[] = { GB1, MB2, KB4 };
	uint64_t x = iova, end = iova + len;
	unsigned int i;

	while (x < end) {
		if (max != 0 && *n >= max)
			return -2; /* more than the caller wants to look at */
		for (i = 0; i < 3; i++) {
			uint64_t s = sizes[i];

			if ((pgsizes & s) && x % s == 0 &&
			    (va + (x - iova)) % s == 0 && end - x >= s) {
				struct emu_t_leaf l = {
					.iova = x, .size = s,
					.va = va + (x - iova), .prot = prot,
				};

				if (emu_t_push(out, n, &l) < 0)
					return -1;
				x += s;
				break;
			}
		}
	}
	return 0;
}

bool
emu_t_log_has(const char *log, const char *needle)
{
	return log != NULL && strstr(log, needle) != NULL;
}

uint64_t
emu_t_va_window(void)
{
	static uint64_t base;
	void *p;

	if (base == 0) {
		p = mmap(NULL, EMU_T_VA_WINDOW + GB1, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p != MAP_FAILED)
			base = ((uint64_t)(uintptr_t)p + GB1 - 1) & ~(GB1 - 1);
	}
	return base;
}
