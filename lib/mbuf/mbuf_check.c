/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Looking at mbufs: consistency checks, the debug-pool checks on alloc
 * and free, dump, and names of flags and packet types. Nothing here
 * changes an mbuf.
 */
#include <inttypes.h>
#include <string.h>

#include "keel_mbuf.h"
#include "mbuf_internal.h"

int
keel_mbuf_check(const struct keel_mbuf *m, int is_header, const char **reason)
{
	const struct keel_mbuf *seg;
	uint32_t nb_segs, pkt_len, walked = 0;
	uint16_t cnt;

#define BAD(why) do { *reason = (why); return -1; } while (0)
	if (m == NULL)
		BAD("mbuf is NULL");
	if (m->pool == NULL)
		BAD("bad mbuf pool");
	if (m->buf_iova == 0 || m->buf_iova == KEEL_BAD_IOVA)
		BAD("bad IOVA");
	if (m->buf_addr == NULL)
		BAD("bad virtual address");
	cnt = keel_mbuf_refcnt_read(m);
	if (cnt == 0 || cnt == UINT16_MAX)
		BAD("bad refcnt");
	if (!is_header)
		return 0;
	if (m->data_len > m->pkt_len)
		BAD("data_len above pkt_len");
	nb_segs = m->nb_segs;
	pkt_len = m->pkt_len;
	for (seg = m; seg != NULL; seg = seg->next) {
		if (seg->data_off > seg->buf_len)
			BAD("data offset too big in a segment");
		if ((uint32_t)seg->data_off + seg->data_len > seg->buf_len)
			BAD("data length too big in a segment");
		if (++walked > nb_segs)
			BAD("more segments than nb_segs (or a loop)");
		pkt_len -= seg->data_len;
	}
	if (walked != nb_segs)
		BAD("fewer segments than nb_segs");
	if (pkt_len != 0)
		BAD("pkt_len is not the sum of data_len");
#undef BAD
	*reason = NULL;
	return 0;
}

int
keel_mbuf_sanity_check(const struct keel_mbuf *m, int is_header)
{
	const char *reason;

	if (keel_mbuf_check(m, is_header, &reason) == 0)
		return 0;
	MBUF_LOG(ERR, "mbuf %p: %s", (const void *)m, reason);
	errno = EINVAL;
	return -EINVAL;
}

void
keel_mbuf_raw_check_(const struct keel_mbuf *m, int alloc)
{
	const char *reason = NULL;

	if (keel_mbuf_refcnt_read(m) != 1)
		reason = "refcnt is not 1";
	else if (m->next != NULL)
		reason = "next is not NULL";
	else if (m->nb_segs != 1)
		reason = "nb_segs is not 1";
	else if (!KEEL_MBUF_DIRECT(m))
		reason = "still attached to another buffer";
	else if (keel_mbuf_check(m, 0, &reason) == 0)
		return;
	MBUF_LOG(ERR, "mbuf %p %s pool '%s' in a bad state: %s", (const void *)m,
		 alloc ? "leaving" : "entering", m->pool ? m->pool->name : "?",
		 reason);
	if (m->pool != NULL)
		__atomic_fetch_add(&m->pool->audit_errors, 1, __ATOMIC_RELAXED);
}

static const struct {
	uint64_t mask, value;
	const char *name;
} rx_names[] = {
	{ KEEL_MBUF_F_RX_VLAN, KEEL_MBUF_F_RX_VLAN, "RX_VLAN" },
	{ KEEL_MBUF_F_RX_RSS_HASH, KEEL_MBUF_F_RX_RSS_HASH, "RX_RSS_HASH" },
	{ KEEL_MBUF_F_RX_FDIR, KEEL_MBUF_F_RX_FDIR, "RX_FDIR" },
	{ KEEL_MBUF_F_RX_L4_CKSUM_MASK, KEEL_MBUF_F_RX_L4_CKSUM_BAD, "RX_L4_CKSUM_BAD" },
	{ KEEL_MBUF_F_RX_L4_CKSUM_MASK, KEEL_MBUF_F_RX_L4_CKSUM_GOOD, "RX_L4_CKSUM_GOOD" },
	{ KEEL_MBUF_F_RX_L4_CKSUM_MASK, KEEL_MBUF_F_RX_L4_CKSUM_NONE, "RX_L4_CKSUM_NONE" },
	{ KEEL_MBUF_F_RX_IP_CKSUM_MASK, KEEL_MBUF_F_RX_IP_CKSUM_BAD, "RX_IP_CKSUM_BAD" },
	{ KEEL_MBUF_F_RX_IP_CKSUM_MASK, KEEL_MBUF_F_RX_IP_CKSUM_GOOD, "RX_IP_CKSUM_GOOD" },
	{ KEEL_MBUF_F_RX_IP_CKSUM_MASK, KEEL_MBUF_F_RX_IP_CKSUM_NONE, "RX_IP_CKSUM_NONE" },
	{ KEEL_MBUF_F_RX_OUTER_IP_CKSUM_BAD, KEEL_MBUF_F_RX_OUTER_IP_CKSUM_BAD,
	  "RX_OUTER_IP_CKSUM_BAD" },
	{ KEEL_MBUF_F_RX_VLAN_STRIPPED, KEEL_MBUF_F_RX_VLAN_STRIPPED, "RX_VLAN_STRIPPED" },
	{ KEEL_MBUF_F_RX_IEEE1588_PTP, KEEL_MBUF_F_RX_IEEE1588_PTP, "RX_IEEE1588_PTP" },
	{ KEEL_MBUF_F_RX_IEEE1588_TMST, KEEL_MBUF_F_RX_IEEE1588_TMST, "RX_IEEE1588_TMST" },
	{ KEEL_MBUF_F_RX_FDIR_ID, KEEL_MBUF_F_RX_FDIR_ID, "RX_FDIR_ID" },
	{ KEEL_MBUF_F_RX_FDIR_FLX, KEEL_MBUF_F_RX_FDIR_FLX, "RX_FDIR_FLX" },
	{ KEEL_MBUF_F_RX_QINQ_STRIPPED, KEEL_MBUF_F_RX_QINQ_STRIPPED, "RX_QINQ_STRIPPED" },
	{ KEEL_MBUF_F_RX_LRO, KEEL_MBUF_F_RX_LRO, "RX_LRO" },
	{ KEEL_MBUF_F_RX_SEC_OFFLOAD, KEEL_MBUF_F_RX_SEC_OFFLOAD, "RX_SEC_OFFLOAD" },
	{ KEEL_MBUF_F_RX_SEC_OFFLOAD_FAILED, KEEL_MBUF_F_RX_SEC_OFFLOAD_FAILED,
	  "RX_SEC_OFFLOAD_FAILED" },
	{ KEEL_MBUF_F_RX_QINQ, KEEL_MBUF_F_RX_QINQ, "RX_QINQ" },
	{ KEEL_MBUF_F_RX_OUTER_L4_CKSUM_MASK, KEEL_MBUF_F_RX_OUTER_L4_CKSUM_BAD,
	  "RX_OUTER_L4_CKSUM_BAD" },
	{ KEEL_MBUF_F_RX_OUTER_L4_CKSUM_MASK, KEEL_MBUF_F_RX_OUTER_L4_CKSUM_GOOD,
	  "RX_OUTER_L4_CKSUM_GOOD" },
	{ KEEL_MBUF_F_RX_OUTER_L4_CKSUM_MASK, KEEL_MBUF_F_RX_OUTER_L4_CKSUM_INVALID,
	  "RX_OUTER_L4_CKSUM_INVALID" },
};

static const struct {
	uint64_t mask, value;
	const char *name;
} tx_names[] = {
	{ KEEL_MBUF_F_TX_VLAN, KEEL_MBUF_F_TX_VLAN, "TX_VLAN" },
	{ KEEL_MBUF_F_TX_IP_CKSUM, KEEL_MBUF_F_TX_IP_CKSUM, "TX_IP_CKSUM" },
	{ KEEL_MBUF_F_TX_L4_MASK, KEEL_MBUF_F_TX_TCP_CKSUM, "TX_TCP_CKSUM" },
	{ KEEL_MBUF_F_TX_L4_MASK, KEEL_MBUF_F_TX_SCTP_CKSUM, "TX_SCTP_CKSUM" },
	{ KEEL_MBUF_F_TX_L4_MASK, KEEL_MBUF_F_TX_UDP_CKSUM, "TX_UDP_CKSUM" },
	{ KEEL_MBUF_F_TX_IEEE1588_TMST, KEEL_MBUF_F_TX_IEEE1588_TMST, "TX_IEEE1588_TMST" },
	{ KEEL_MBUF_F_TX_TCP_SEG, KEEL_MBUF_F_TX_TCP_SEG, "TX_TCP_SEG" },
	{ KEEL_MBUF_F_TX_IPV4, KEEL_MBUF_F_TX_IPV4, "TX_IPV4" },
	{ KEEL_MBUF_F_TX_IPV6, KEEL_MBUF_F_TX_IPV6, "TX_IPV6" },
	{ KEEL_MBUF_F_TX_OUTER_IP_CKSUM, KEEL_MBUF_F_TX_OUTER_IP_CKSUM, "TX_OUTER_IP_CKSUM" },
	{ KEEL_MBUF_F_TX_OUTER_IPV4, KEEL_MBUF_F_TX_OUTER_IPV4, "TX_OUTER_IPV4" },
	{ KEEL_MBUF_F_TX_OUTER_IPV6, KEEL_MBUF_F_TX_OUTER_IPV6, "TX_OUTER_IPV6" },
	{ KEEL_MBUF_F_TX_TUNNEL_MASK, KEEL_MBUF_F_TX_TUNNEL_VXLAN, "TX_TUNNEL_VXLAN" },
	{ KEEL_MBUF_F_TX_TUNNEL_MASK, KEEL_MBUF_F_TX_TUNNEL_GRE, "TX_TUNNEL_GRE" },
	{ KEEL_MBUF_F_TX_TUNNEL_MASK, KEEL_MBUF_F_TX_TUNNEL_IPIP, "TX_TUNNEL_IPIP" },
	{ KEEL_MBUF_F_TX_TUNNEL_MASK, KEEL_MBUF_F_TX_TUNNEL_GENEVE, "TX_TUNNEL_GENEVE" },
	{ KEEL_MBUF_F_TX_TUNNEL_MASK, KEEL_MBUF_F_TX_TUNNEL_MPLSINUDP, "TX_TUNNEL_MPLSINUDP" },
	{ KEEL_MBUF_F_TX_TUNNEL_MASK, KEEL_MBUF_F_TX_TUNNEL_VXLAN_GPE, "TX_TUNNEL_VXLAN_GPE" },
	{ KEEL_MBUF_F_TX_TUNNEL_MASK, KEEL_MBUF_F_TX_TUNNEL_GTP, "TX_TUNNEL_GTP" },
	{ KEEL_MBUF_F_TX_TUNNEL_MASK, KEEL_MBUF_F_TX_TUNNEL_ESP, "TX_TUNNEL_ESP" },
	{ KEEL_MBUF_F_TX_TUNNEL_MASK, KEEL_MBUF_F_TX_TUNNEL_IP, "TX_TUNNEL_IP" },
	{ KEEL_MBUF_F_TX_TUNNEL_MASK, KEEL_MBUF_F_TX_TUNNEL_UDP, "TX_TUNNEL_UDP" },
	{ KEEL_MBUF_F_TX_QINQ, KEEL_MBUF_F_TX_QINQ, "TX_QINQ" },
	{ KEEL_MBUF_F_TX_MACSEC, KEEL_MBUF_F_TX_MACSEC, "TX_MACSEC" },
	{ KEEL_MBUF_F_TX_SEC_OFFLOAD, KEEL_MBUF_F_TX_SEC_OFFLOAD, "TX_SEC_OFFLOAD" },
	{ KEEL_MBUF_F_TX_UDP_SEG, KEEL_MBUF_F_TX_UDP_SEG, "TX_UDP_SEG" },
	{ KEEL_MBUF_F_TX_OUTER_UDP_CKSUM, KEEL_MBUF_F_TX_OUTER_UDP_CKSUM,
	  "TX_OUTER_UDP_CKSUM" },
};

const char *
keel_get_rx_ol_flag_name(uint64_t mask)
{
	size_t i;

	for (i = 0; i < sizeof(rx_names) / sizeof(rx_names[0]); i++)
		if (mask == rx_names[i].value)
			return rx_names[i].name;
	return NULL;
}

const char *
keel_get_tx_ol_flag_name(uint64_t mask)
{
	size_t i;

	for (i = 0; i < sizeof(tx_names) / sizeof(tx_names[0]); i++)
		if (mask == tx_names[i].value)
			return tx_names[i].name;
	return NULL;
}

/* names of the static flags in ol_flags, each field decoded once */
static void
dump_flags(FILE *f, uint64_t fl)
{
	size_t i;

	for (i = 0; i < sizeof(rx_names) / sizeof(rx_names[0]); i++)
		if (rx_names[i].value != 0 &&
		    (fl & rx_names[i].mask) == rx_names[i].value)
			fprintf(f, " %s", rx_names[i].name);
	for (i = 0; i < sizeof(tx_names) / sizeof(tx_names[0]); i++)
		if (tx_names[i].value != 0 &&
		    (fl & tx_names[i].mask) == tx_names[i].value)
			fprintf(f, " %s", tx_names[i].name);
	if (fl & KEEL_MBUF_F_EXTERNAL)
		fprintf(f, " EXTERNAL");
	if (fl & KEEL_MBUF_F_INDIRECT)
		fprintf(f, " INDIRECT");
}

static void
hexdump(FILE *f, const uint8_t *p, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		fprintf(f, "%s%02x%s", i % 16 == 0 ? "    " : "", p[i],
			i % 16 == 15 || i + 1 == len ? "\n" : " ");
}

void
keel_pktmbuf_dump(FILE *f, const struct keel_mbuf *m, unsigned int dump_len)
{
	const struct keel_mbuf *seg;
	const char *reason;
	char ptype[256];
	unsigned int n, segs = 0;

	if (f == NULL)
		return;
	if (m == NULL) {
		fprintf(f, "mbuf NULL\n");
		return;
	}
	fprintf(f, "mbuf at %p, iova 0x%" PRIx64 ", buf_len %u, pool %s\n",
		(const void *)m, m->buf_iova, m->buf_len,
		m->pool ? m->pool->name : "(none)");
	keel_get_ptype_name(m->packet_type, ptype, sizeof(ptype));
	fprintf(f, "  pkt_len %u, nb_segs %u, port %u, ptype 0x%x (%s)\n",
		m->pkt_len, m->nb_segs, m->port, m->packet_type, ptype);
	fprintf(f, "  ol_flags 0x%" PRIx64 ":", m->ol_flags);
	dump_flags(f, m->ol_flags);
	fprintf(f, "\n");
	if (keel_mbuf_check(m, 1, &reason) != 0)
		fprintf(f, "  inconsistent: %s\n", reason);
	for (seg = m; seg != NULL && segs <= m->nb_segs; seg = seg->next, segs++) {
		fprintf(f, "  segment at %p: data %p (iova 0x%" PRIx64 "), len %u,"
			" off %u, refcnt %u\n", (const void *)seg,
			keel_pktmbuf_mtod(seg, const void *),
			keel_pktmbuf_iova(seg), seg->data_len, seg->data_off,
			keel_mbuf_refcnt_read(seg));
		n = seg->data_len < dump_len ? seg->data_len : dump_len;
		hexdump(f, keel_pktmbuf_mtod(seg, const uint8_t *), n);
		dump_len -= n;
	}
}

static const char *const l2_names[16] = {
	[1] = "L2_ETHER", [2] = "L2_ETHER_TIMESYNC", [3] = "L2_ETHER_ARP",
	[4] = "L2_ETHER_LLDP", [5] = "L2_ETHER_NSH", [6] = "L2_ETHER_VLAN",
	[7] = "L2_ETHER_QINQ", [8] = "L2_ETHER_PPPOE", [9] = "L2_ETHER_FCOE",
	[10] = "L2_ETHER_MPLS",
};
static const char *const l3_names[16] = {
	[1] = "L3_IPV4", [3] = "L3_IPV4_EXT", [4] = "L3_IPV6",
	[9] = "L3_IPV4_EXT_UNKNOWN", [12] = "L3_IPV6_EXT",
	[14] = "L3_IPV6_EXT_UNKNOWN",
};
static const char *const l4_names[16] = {
	[1] = "L4_TCP", [2] = "L4_UDP", [3] = "L4_FRAG", [4] = "L4_SCTP",
	[5] = "L4_ICMP", [6] = "L4_NONFRAG", [7] = "L4_IGMP",
};
static const char *const tun_names[16] = {
	[1] = "TUNNEL_IP", [2] = "TUNNEL_GRE", [3] = "TUNNEL_VXLAN",
	[4] = "TUNNEL_NVGRE", [5] = "TUNNEL_GENEVE", [6] = "TUNNEL_GRENAT",
	[7] = "TUNNEL_GTPC", [8] = "TUNNEL_GTPU", [9] = "TUNNEL_ESP",
	[10] = "TUNNEL_L2TP", [11] = "TUNNEL_VXLAN_GPE",
	[12] = "TUNNEL_MPLS_IN_GRE", [13] = "TUNNEL_MPLS_IN_UDP",
};
static const char *const il2_names[16] = {
	[1] = "INNER_L2_ETHER", [2] = "INNER_L2_ETHER_VLAN",
	[3] = "INNER_L2_ETHER_QINQ",
};
static const char *const il3_names[16] = {
	[1] = "INNER_L3_IPV4", [2] = "INNER_L3_IPV4_EXT", [3] = "INNER_L3_IPV6",
	[4] = "INNER_L3_IPV4_EXT_UNKNOWN", [5] = "INNER_L3_IPV6_EXT",
	[6] = "INNER_L3_IPV6_EXT_UNKNOWN",
};
static const char *const il4_names[16] = {
	[1] = "INNER_L4_TCP", [2] = "INNER_L4_UDP", [3] = "INNER_L4_FRAG",
	[4] = "INNER_L4_SCTP", [5] = "INNER_L4_ICMP", [6] = "INNER_L4_NONFRAG",
};

int
keel_get_ptype_name(uint32_t ptype, char *buf, size_t size)
{
	static const char *const *const layers[7] = {
		l2_names, l3_names, l4_names, tun_names, il2_names, il3_names,
		il4_names,
	};
	int len = 0, i;

	if (buf == NULL || size == 0)
		return -EINVAL;
	buf[0] = '\0';
	for (i = 0; i < 7; i++) {
		unsigned int v = (ptype >> (4 * i)) & 0xf;
		const char *name = layers[i][v];
		int n;

		if (v == 0)
			continue;
		n = snprintf(buf + ((size_t)len < size ? (size_t)len : size - 1),
			     (size_t)len < size ? size - (size_t)len : 1, "%s%s%s",
			     len ? " " : "", name ? name : "?", name ? "" : "");
		len += n;
	}
	if (len == 0)
		len = snprintf(buf, size, "UNKNOWN");
	return len;
}
