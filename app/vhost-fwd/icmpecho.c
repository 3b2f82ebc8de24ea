/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP (RFC 826) and ICMP echo (RFC 792) replies, in place (icmpecho.h).
 * Every header is bounds-checked against the first segment: a short or
 * odd frame is not ours.
 */
#include <string.h>

#include "icmpecho.h"
#include "keel_mbuf.h"

#define ETH_HLEN 14

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
csum(const uint8_t *p, uint32_t len)
{
	uint32_t s = 0, i;

	for (i = 0; i + 1 < len; i += 2)
		s += rd16(p + i);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static enum icmpecho_verdict
arp(uint8_t *p, uint32_t len, uint32_t ip, const uint8_t mac[6])
{
	uint8_t *a = p + ETH_HLEN;

	/* Ethernet/IPv4, request, for our address */
	if (len < ETH_HLEN + 28 || rd16(a) != 1 || rd16(a + 2) != 0x0800 ||
	    a[4] != 6 || a[5] != 4 || rd16(a + 6) != 1 ||
	    memcmp(a + 24, &ip, 4) != 0)
		return ICMPECHO_DROP;
	wr16(a + 6, 2);                     /* reply */
	memcpy(a + 18, a + 8, 10);          /* target = the asker */
	memcpy(a + 8, mac, 6);              /* sender = us */
	memcpy(a + 14, &ip, 4);
	memcpy(p, a + 18, 6);               /* to the asker */
	memcpy(p + 6, mac, 6);
	return ICMPECHO_ARP_REPLY;
}

static enum icmpecho_verdict
icmp(uint8_t *p, uint32_t len, uint32_t ip, const uint8_t mac[6])
{
	uint8_t *iph = p + ETH_HLEN, *ic;
	uint32_t ihl, tot;

	if (len < ETH_HLEN + 20 || (iph[0] >> 4) != 4)
		return ICMPECHO_DROP;
	ihl = (uint32_t)(iph[0] & 0xf) * 4;
	tot = rd16(iph + 2);
	if (ihl < 20 || tot < ihl + 8 || ETH_HLEN + tot > len ||
	    iph[9] != 1 || memcmp(iph + 16, &ip, 4) != 0 ||
	    (rd16(iph + 6) & 0x3fff) != 0)          /* no fragments */
		return ICMPECHO_DROP;
	ic = iph + ihl;
	if (ic[0] != 8 || ic[1] != 0)
		return ICMPECHO_DROP;
	/* addresses swap; echo reply; both checksums again */
	memcpy(p, p + 6, 6);
	memcpy(p + 6, mac, 6);
	memcpy(iph + 16, iph + 12, 4);
	memcpy(iph + 12, &ip, 4);
	iph[8] = 64;
	wr16(iph + 10, 0);
	wr16(iph + 10, csum(iph, ihl));
	ic[0] = 0;
	wr16(ic + 2, 0);
	wr16(ic + 2, csum(ic, tot - ihl));
	return ICMPECHO_ECHO_REPLY;
}

enum icmpecho_verdict
icmpecho_reply(struct keel_mbuf *m, uint32_t ip, const uint8_t mac[6])
{
	uint8_t *p = keel_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = m->data_len;
	uint16_t type;

	if (len < ETH_HLEN)
		return ICMPECHO_DROP;
	type = rd16(p + 12);
	if (type == 0x0806)
		return arp(p, len, ip, mac);
	if (type == 0x0800)
		return icmp(p, len, ip, mac);
	return ICMPECHO_DROP;
}
