/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethernet address helpers (keel_ether.h). No state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "keel_ether.h"

void
keel_eth_random_addr(uint8_t *addr)
{
	uint8_t b[KEEL_ETHER_ADDR_LEN];

	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b))
		for (int i = 0; i < KEEL_ETHER_ADDR_LEN; i++)
			b[i] = (uint8_t)random();
	b[0] &= (uint8_t)~0x01;  /* individual (I/G = 0) */
	b[0] |= 0x02;            /* locally administered (U/L = 1) */
	memcpy(addr, b, sizeof(b));
}

void
keel_ether_format_addr(char *buf, uint16_t size,
		       const struct keel_ether_addr *a)
{
	if (buf == NULL || size == 0)
		return;
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x",
		 a->addr_bytes[0], a->addr_bytes[1], a->addr_bytes[2],
		 a->addr_bytes[3], a->addr_bytes[4], a->addr_bytes[5]);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
keel_ether_unformat_addr(const char *s, struct keel_ether_addr *addr)
{
	uint8_t b[KEEL_ETHER_ADDR_LEN];
	char sep;

	if (s == NULL || addr == NULL || strlen(s) != 17)
		return -EINVAL;
	sep = s[2];
	if (sep != ':' && sep != '-')
		return -EINVAL;
	for (int i = 0; i < KEEL_ETHER_ADDR_LEN; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != sep))
			return -EINVAL;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(addr->addr_bytes, b, sizeof(b));
	return 0;
}
