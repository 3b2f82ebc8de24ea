/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_MBUF_CORE_H
#define KEEL_MBUF_CORE_H

/**
 * @file
 * The packet buffer structure, its offload flags and constants. The layout
 * is DPDK 22.11's struct rte_mbuf (IOVA kept in the mbuf), field for field
 * and offset for offset, so driver code that touches it ports as is:
 *
 *  - cache line 0 holds what an rx path writes and a tx path reads for
 *    every packet: buffer address and IOVA, the 8-byte "rearm" word
 *    (data_off, refcnt, nb_segs, port) a driver stores at once when it
 *    refills a descriptor, ol_flags, the rx descriptor fields (packet
 *    type, lengths, VLAN, RSS hash), buf_len and the pool;
 *  - cache line 1 holds what is used on chained, offloaded or cloned
 *    packets only: next segment, tx offload lengths, external buffer
 *    shared info, private size, and 36 bytes for dynamic fields
 *    (keel_mbuf_dyn.h).
 *
 * static_asserts below pin every offset that drivers rely on.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct keel_mempool;

/**
 * @name Rx offload flags (keel_mbuf.ol_flags, bits 0..22)
 * @{
 */
#define KEEL_MBUF_F_RX_VLAN              (1ULL << 0)  /**< vlan_tci valid */
#define KEEL_MBUF_F_RX_RSS_HASH          (1ULL << 1)  /**< hash.rss valid */
#define KEEL_MBUF_F_RX_FDIR              (1ULL << 2)  /**< flow director match */
#define KEEL_MBUF_F_RX_OUTER_IP_CKSUM_BAD (1ULL << 5) /**< outer IP cksum bad */
#define KEEL_MBUF_F_RX_VLAN_STRIPPED     (1ULL << 6)  /**< VLAN stripped */
#define KEEL_MBUF_F_RX_IP_CKSUM_MASK     ((1ULL << 4) | (1ULL << 7))
#define KEEL_MBUF_F_RX_IP_CKSUM_UNKNOWN  0ULL          /**< not checked */
#define KEEL_MBUF_F_RX_IP_CKSUM_BAD      (1ULL << 4)  /**< IP cksum wrong */
#define KEEL_MBUF_F_RX_IP_CKSUM_GOOD     (1ULL << 7)  /**< IP cksum right */
#define KEEL_MBUF_F_RX_IP_CKSUM_NONE     ((1ULL << 4) | (1ULL << 7))
#define KEEL_MBUF_F_RX_L4_CKSUM_MASK     ((1ULL << 3) | (1ULL << 8))
#define KEEL_MBUF_F_RX_L4_CKSUM_UNKNOWN  0ULL          /**< not checked */
#define KEEL_MBUF_F_RX_L4_CKSUM_BAD      (1ULL << 3)  /**< L4 cksum wrong */
#define KEEL_MBUF_F_RX_L4_CKSUM_GOOD     (1ULL << 8)  /**< L4 cksum right */
#define KEEL_MBUF_F_RX_L4_CKSUM_NONE     ((1ULL << 3) | (1ULL << 8))
#define KEEL_MBUF_F_RX_IEEE1588_PTP      (1ULL << 9)  /**< PTP packet */
#define KEEL_MBUF_F_RX_IEEE1588_TMST     (1ULL << 10) /**< timestamp taken */
#define KEEL_MBUF_F_RX_FDIR_ID           (1ULL << 13) /**< hash.fdir.hi is an id */
#define KEEL_MBUF_F_RX_FDIR_FLX          (1ULL << 14) /**< flexible fdir bytes */
#define KEEL_MBUF_F_RX_QINQ_STRIPPED     (1ULL << 15) /**< both tags stripped */
#define KEEL_MBUF_F_RX_LRO               (1ULL << 16) /**< LRO packet */
#define KEEL_MBUF_F_RX_SEC_OFFLOAD       (1ULL << 18) /**< security offload */
#define KEEL_MBUF_F_RX_SEC_OFFLOAD_FAILED (1ULL << 19) /**< it failed */
#define KEEL_MBUF_F_RX_QINQ              (1ULL << 20) /**< both tags valid */
#define KEEL_MBUF_F_RX_OUTER_L4_CKSUM_MASK ((1ULL << 21) | (1ULL << 22))
#define KEEL_MBUF_F_RX_OUTER_L4_CKSUM_UNKNOWN 0ULL
#define KEEL_MBUF_F_RX_OUTER_L4_CKSUM_BAD    (1ULL << 21)
#define KEEL_MBUF_F_RX_OUTER_L4_CKSUM_GOOD   (1ULL << 22)
#define KEEL_MBUF_F_RX_OUTER_L4_CKSUM_INVALID ((1ULL << 21) | (1ULL << 22))
/** @} */

#define KEEL_MBUF_F_FIRST_FREE (1ULL << 23) /**< first bit for dynamic flags */
#define KEEL_MBUF_F_LAST_FREE  (1ULL << 40) /**< last bit for dynamic flags */

/**
 * @name Tx offload flags (bits 41..60)
 * @{
 */
#define KEEL_MBUF_F_TX_OUTER_UDP_CKSUM   (1ULL << 41) /**< outer UDP cksum */
#define KEEL_MBUF_F_TX_UDP_SEG           (1ULL << 42) /**< UDP fragmentation */
#define KEEL_MBUF_F_TX_SEC_OFFLOAD       (1ULL << 43) /**< security offload */
#define KEEL_MBUF_F_TX_MACSEC            (1ULL << 44) /**< MACsec */
#define KEEL_MBUF_F_TX_TUNNEL_VXLAN      (0x1ULL << 45)
#define KEEL_MBUF_F_TX_TUNNEL_GRE        (0x2ULL << 45)
#define KEEL_MBUF_F_TX_TUNNEL_IPIP       (0x3ULL << 45)
#define KEEL_MBUF_F_TX_TUNNEL_GENEVE     (0x4ULL << 45)
#define KEEL_MBUF_F_TX_TUNNEL_MPLSINUDP  (0x5ULL << 45)
#define KEEL_MBUF_F_TX_TUNNEL_VXLAN_GPE  (0x6ULL << 45)
#define KEEL_MBUF_F_TX_TUNNEL_GTP        (0x7ULL << 45)
#define KEEL_MBUF_F_TX_TUNNEL_ESP        (0x8ULL << 45)
#define KEEL_MBUF_F_TX_TUNNEL_IP         (0xDULL << 45)
#define KEEL_MBUF_F_TX_TUNNEL_UDP        (0xEULL << 45)
#define KEEL_MBUF_F_TX_TUNNEL_MASK       (0xFULL << 45)
#define KEEL_MBUF_F_TX_QINQ              (1ULL << 49) /**< insert both tags */
#define KEEL_MBUF_F_TX_TCP_SEG           (1ULL << 50) /**< TSO */
#define KEEL_MBUF_F_TX_IEEE1588_TMST     (1ULL << 51) /**< timestamp it */
#define KEEL_MBUF_F_TX_L4_NO_CKSUM       (0ULL << 52)
#define KEEL_MBUF_F_TX_TCP_CKSUM         (1ULL << 52)
#define KEEL_MBUF_F_TX_SCTP_CKSUM        (2ULL << 52)
#define KEEL_MBUF_F_TX_UDP_CKSUM         (3ULL << 52)
#define KEEL_MBUF_F_TX_L4_MASK           (3ULL << 52)
#define KEEL_MBUF_F_TX_IP_CKSUM          (1ULL << 54) /**< IPv4 cksum */
#define KEEL_MBUF_F_TX_IPV4              (1ULL << 55) /**< IPv4 packet */
#define KEEL_MBUF_F_TX_IPV6              (1ULL << 56) /**< IPv6 packet */
#define KEEL_MBUF_F_TX_VLAN              (1ULL << 57) /**< insert vlan_tci */
#define KEEL_MBUF_F_TX_OUTER_IP_CKSUM    (1ULL << 58)
#define KEEL_MBUF_F_TX_OUTER_IPV4        (1ULL << 59)
#define KEEL_MBUF_F_TX_OUTER_IPV6        (1ULL << 60)
/** Every tx offload flag. */
#define KEEL_MBUF_F_TX_OFFLOAD_MASK ( \
	KEEL_MBUF_F_TX_OUTER_IPV6 | KEEL_MBUF_F_TX_OUTER_IPV4 | \
	KEEL_MBUF_F_TX_OUTER_IP_CKSUM | KEEL_MBUF_F_TX_VLAN | \
	KEEL_MBUF_F_TX_IPV6 | KEEL_MBUF_F_TX_IPV4 | KEEL_MBUF_F_TX_IP_CKSUM | \
	KEEL_MBUF_F_TX_L4_MASK | KEEL_MBUF_F_TX_IEEE1588_TMST | \
	KEEL_MBUF_F_TX_TCP_SEG | KEEL_MBUF_F_TX_QINQ | \
	KEEL_MBUF_F_TX_TUNNEL_MASK | KEEL_MBUF_F_TX_MACSEC | \
	KEEL_MBUF_F_TX_SEC_OFFLOAD | KEEL_MBUF_F_TX_UDP_SEG | \
	KEEL_MBUF_F_TX_OUTER_UDP_CKSUM)
/** @} */

/** The buffer is external (keel_pktmbuf_attach_extbuf()). */
#define KEEL_MBUF_F_EXTERNAL (1ULL << 61)
/** The mbuf is indirect: it points at another mbuf's buffer (clone). */
#define KEEL_MBUF_F_INDIRECT (1ULL << 62)

/** Private areas are multiples of this (bytes). */
#define KEEL_MBUF_PRIV_ALIGN 8
/** Bytes left before the data of a fresh mbuf (as DPDK's default). */
#define KEEL_PKTMBUF_HEADROOM 128
/** Data room of a standard packet buffer, headroom excluded. */
#define KEEL_MBUF_DEFAULT_DATAROOM 2048
/** Data room argument for standard pools: 2 KiB + headroom. */
#define KEEL_MBUF_DEFAULT_BUF_SIZE \
	(KEEL_MBUF_DEFAULT_DATAROOM + KEEL_PKTMBUF_HEADROOM)
/** Most segments in a packet. */
#define KEEL_MBUF_MAX_NB_SEGS UINT16_MAX
/** Port of an mbuf that came from no port. */
#define KEEL_MBUF_PORT_INVALID UINT16_MAX

/**
 * Bit widths of the tx offload lengths (keel_mbuf.tx_offload).
 */
enum {
	KEEL_MBUF_L2_LEN_BITS = 7,
	KEEL_MBUF_L3_LEN_BITS = 9,
	KEEL_MBUF_L4_LEN_BITS = 8,
	KEEL_MBUF_TSO_SEGSZ_BITS = 16,
	KEEL_MBUF_OUTL3_LEN_BITS = 9,
	KEEL_MBUF_OUTL2_LEN_BITS = 7,
};

/** Called when the last mbuf lets go of an external buffer. */
typedef void (*keel_mbuf_extbuf_free_callback_t)(void *addr, void *opaque);

/**
 * Shared information of an external buffer: how many mbufs point at it
 * and whom to call when the last one lets go.
 */
struct keel_mbuf_ext_shared_info {
	keel_mbuf_extbuf_free_callback_t free_cb; /**< called once, at 0 */
	void *fcb_opaque;                         /**< its second argument */
	uint16_t refcnt;                          /**< atomic */
};

/** A packet buffer (one segment of a packet). */
struct keel_mbuf {
	/* ---- cache line 0: every packet, rx and tx ---- */
	void *buf_addr;            /**< virtual address of the buffer */
	uint64_t buf_iova;         /**< IOVA of buf_addr */
	union {
		/** the four fields below as one word (rx refill) */
		uint64_t rearm_data;
		struct {
			uint16_t data_off; /**< data start in the buffer */
			/** references (atomic); 1 in a free mbuf */
			uint16_t refcnt;
			uint16_t nb_segs;  /**< segments (first segment) */
			uint16_t port;     /**< input port */
		};
	};
	uint64_t ol_flags;         /**< KEEL_MBUF_F_* and dynamic flags */
	/* rx descriptor fields */
	union {
		uint32_t packet_type;  /**< KEEL_PTYPE_* */
		struct {
			uint8_t l2_type:4;     /**< (outer) L2 */
			uint8_t l3_type:4;     /**< (outer) L3 */
			uint8_t l4_type:4;     /**< (outer) L4 */
			uint8_t tun_type:4;    /**< tunnel */
			union {
				uint8_t inner_esp_next_proto;
				struct {
					uint8_t inner_l2_type:4;
					uint8_t inner_l3_type:4;
				};
			};
			uint8_t inner_l4_type:4; /**< inner L4 */
		};
	};
	uint32_t pkt_len;          /**< bytes in all segments */
	uint16_t data_len;         /**< bytes in this segment */
	uint16_t vlan_tci;         /**< VLAN tag (KEEL_MBUF_F_RX_VLAN) */
	union {
		uint32_t rss;          /**< RSS hash (KEEL_MBUF_F_RX_RSS_HASH) */
		struct {
			union {
				struct {
					uint16_t hash;
					uint16_t id;
				};
				uint32_t lo;
			};
			uint32_t hi;
		} fdir;                /**< flow director (KEEL_MBUF_F_RX_FDIR) */
		uint32_t usr;          /**< application data */
	} hash;                        /**< hash information */
	uint16_t vlan_tci_outer;   /**< outer VLAN tag (KEEL_MBUF_F_RX_QINQ) */
	uint16_t buf_len;          /**< bytes of the buffer */
	struct keel_mempool *pool; /**< pool the mbuf belongs to */

	/* ---- cache line 1: chains, tx offloads, clones, dynamic ---- */
	struct keel_mbuf *next;    /**< next segment, NULL in the last */
	union {
		uint64_t tx_offload;   /**< the lengths below as one word */
		struct {
			uint64_t l2_len:KEEL_MBUF_L2_LEN_BITS;
			uint64_t l3_len:KEEL_MBUF_L3_LEN_BITS;
			uint64_t l4_len:KEEL_MBUF_L4_LEN_BITS;
			uint64_t tso_segsz:KEEL_MBUF_TSO_SEGSZ_BITS;
			uint64_t outer_l3_len:KEEL_MBUF_OUTL3_LEN_BITS;
			uint64_t outer_l2_len:KEEL_MBUF_OUTL2_LEN_BITS;
		};
	};
	/** external buffer's shared info (KEEL_MBUF_F_EXTERNAL) */
	struct keel_mbuf_ext_shared_info *shinfo;
	uint16_t priv_size;        /**< private area after the struct */
	uint16_t timesync;         /**< timesync flags */
	uint32_t dynfield1[9];     /**< dynamic fields (keel_mbuf_dyn.h) */
} __attribute__((aligned(64)));

/** @cond internal */
#define KEEL_MBUF_ASSERT_OFF_(f, off) \
	_Static_assert(offsetof(struct keel_mbuf, f) == (off), \
		       "keel_mbuf." #f " at offset " #off)
KEEL_MBUF_ASSERT_OFF_(buf_addr, 0);
KEEL_MBUF_ASSERT_OFF_(buf_iova, 8);
KEEL_MBUF_ASSERT_OFF_(rearm_data, 16);
KEEL_MBUF_ASSERT_OFF_(data_off, 16);
KEEL_MBUF_ASSERT_OFF_(refcnt, 18);
KEEL_MBUF_ASSERT_OFF_(nb_segs, 20);
KEEL_MBUF_ASSERT_OFF_(port, 22);
KEEL_MBUF_ASSERT_OFF_(ol_flags, 24);
KEEL_MBUF_ASSERT_OFF_(packet_type, 32);
KEEL_MBUF_ASSERT_OFF_(pkt_len, 36);
KEEL_MBUF_ASSERT_OFF_(data_len, 40);
KEEL_MBUF_ASSERT_OFF_(vlan_tci, 42);
KEEL_MBUF_ASSERT_OFF_(hash, 44);
KEEL_MBUF_ASSERT_OFF_(vlan_tci_outer, 52);
KEEL_MBUF_ASSERT_OFF_(buf_len, 54);
KEEL_MBUF_ASSERT_OFF_(pool, 56);
KEEL_MBUF_ASSERT_OFF_(next, 64);
KEEL_MBUF_ASSERT_OFF_(tx_offload, 72);
KEEL_MBUF_ASSERT_OFF_(shinfo, 80);
KEEL_MBUF_ASSERT_OFF_(priv_size, 88);
KEEL_MBUF_ASSERT_OFF_(timesync, 90);
KEEL_MBUF_ASSERT_OFF_(dynfield1, 92);
_Static_assert(sizeof(((struct keel_mbuf *)0)->hash) == 8, "8-byte hash");
_Static_assert(sizeof(struct keel_mbuf) == 128, "keel_mbuf is 2 cache lines");
_Static_assert(_Alignof(struct keel_mbuf) == 64, "cache-line aligned");
/** @endcond */

#ifdef __cplusplus
}
#endif
#endif /* KEEL_MBUF_CORE_H */
