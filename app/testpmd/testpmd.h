/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TESTPMD_H
#define TESTPMD_H

/*
 * keel-testpmd: the state every part of the application shares.
 *
 * One global, `tp`, holds the configuration (from the command line and the
 * `set`/`port config` commands), the ports testpmd drives, the forwarding
 * streams and the forwarding lcores. It is written by the main lcore only
 * (options, commands, start/stop); forwarding lcores read the streams they
 * are given and write only their own streams' counters, and only between
 * `start` and `stop`. While forwarding runs, the commands that would change
 * what the lcores read (ports, queues, engine, burst, txpkts) are refused.
 * No lock is needed: `stop` waits for every forwarding lcore to return
 * before the main lcore touches their streams again.
 *
 * The parts:
 *   params.c        command-line options (DPDK testpmd's spelling)
 *   ports.c         port set-up, start/stop/close/reset, attach/detach
 *   config.c        streams over ports x queues, spread over lcores
 *   fwd.c           start/stop, the forwarding loop, tx_first
 *   stats.c         port, stream and forwarding statistics with rates
 *   fwd_*.c         forwarding engines, one per file
 *   cmdline.c       the command table: match, complete, help
 *   cmd_*.c         commands, one file per group
 *   prompt.c        the interactive prompt (libedit)
 *   main.c          start-up, the non-interactive run, shut-down
 */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <keel_eal.h>
#include <keel_ethdev.h>
#include <keel_mbuf.h>

/** Longest burst (--burst, set burst). */
#define TP_MAX_BURST 512
/** Default burst (DPDK's MAX_PKT_BURST default). */
#define TP_DEF_BURST 32
/** Most segments of a txonly packet (--txpkts). */
#define TP_MAX_SEGS 8
/** Default descriptors per queue. */
#define TP_DEF_RXD 512
#define TP_DEF_TXD 512
/** Per-lcore mbuf cache of the packet pool. */
#define TP_MBUF_CACHE 256
/** Most DMA device names (--dma). */
#define TP_MAX_DMA KEEL_MAX_LCORE
/** Longest DMA device name list. */
#define TP_DMA_NAMES_LEN 512
/** "all" as the value of a <port> or <dma> argument. */
#define TP_ALL UINT64_MAX

/** How ports are paired (--port-topology). */
enum tp_topology {
	TP_TOPO_PAIRED = 0, /* 0<->1, 2<->3; an odd last port to itself */
	TP_TOPO_CHAINED,    /* 0->1->2->...->0 */
	TP_TOPO_LOOP,       /* every port to itself */
};

/** A port testpmd drives. */
struct tp_port {
	bool in_use;            /* attached and managed by testpmd */
	bool need_config;       /* configure + queue set-up at next start */
	uint16_t nb_rxq, nb_txq;
	uint16_t nb_rxd, nb_txd;
	int promisc;            /* wanted: 1 on, 0 off */
	bool peer_set;          /* peer given with --eth-peer / set eth-peer */
	struct keel_ether_addr mac;  /* the port's address (read at start) */
	struct keel_ether_addr peer; /* destination of mac/txonly/flowgen */
	struct keel_eth_stats fwd_base; /* port stats at forwarding start */
	/* show port stats: values and time at the last show (for rates) */
	uint64_t last_ipackets, last_opackets, last_ibytes, last_obytes;
	uint64_t last_tsc;
};

struct fwd_lcore;

/**
 * One forwarding stream: what arrives on (rx_port, rx_queue) goes out on
 * (tx_port, tx_queue). Driven by exactly one forwarding lcore.
 */
struct fwd_stream {
	uint16_t rx_port, rx_queue;
	uint16_t tx_port, tx_queue;
	struct keel_mempool *pool;     /* packets the engine allocates */
	struct fwd_lcore *lc;          /* the lcore driving it */
	uint32_t flow;                 /* flowgen: next flow */
	uint16_t ip_id;                /* txonly/flowgen: next IPv4 id */
	/* counters: written by the forwarding lcore only */
	uint64_t rx_packets;           /* received */
	uint64_t tx_packets;           /* sent */
	uint64_t fwd_dropped;          /* not taken by Tx, or no mbuf */
	uint64_t rx_bad;               /* engine dropped (not for it, bad) */
	uint64_t dma_copies;           /* dmafwd: copies completed */
	uint64_t dma_failed;           /* dmafwd: copies that failed */
	/* control path: counters at the last `clear fwd stats` (shown
	 * counts are differences, so the lcore's counters are never
	 * written by another thread) and at the last show (for rates) */
	struct {
		uint64_t rx, tx, dropped, bad, copies, failed;
	} base;
	uint64_t last_rx, last_tx, last_tsc;
} __attribute__((aligned(64)));

/** A forwarding lcore and the streams it drives. */
struct fwd_lcore {
	unsigned int lcore_id;
	unsigned int stream_idx;       /* first stream in tp.streams */
	unsigned int stream_nb;        /* number of streams */
	int16_t dma_id;                /* dmafwd: its DMA device */
	void *priv;                    /* engine's per-lcore state */
	volatile int stopped;          /* set by stop (atomic) */
	int tx_first;                  /* bursts to send before forwarding */
};

/**
 * A forwarding engine. packet_fwd is called for each stream of an lcore in
 * turn, again and again, until stop; it should read as a straight line:
 * receive a burst, do the engine's one thing, transmit, count.
 */
struct fwd_engine {
	const char *name;
	const char *help;              /* one line for `help set fwd` */
	bool tx_on_rx_port;            /* replies go out the receiving port */
	/* on the main lcore before launch: check and prepare; 0 or -errno
	 * (the reason printed) */
	int (*begin)(void);
	/* on the main lcore after every lcore returned */
	void (*end)(void);
	/* on each stream before launch */
	void (*stream_init)(struct fwd_stream *fs);
	/* on the forwarding lcore after its loop: finish what is in flight */
	void (*lcore_end)(struct fwd_lcore *fc);
	void (*packet_fwd)(struct fwd_stream *fs);
};

/** The application's state (see the file comment). */
struct tp_state {
	/* configuration */
	bool interactive;
	bool auto_start;
	unsigned int tx_first;          /* --tx-first: bursts before start */
	unsigned int nb_fwd_lcores;     /* --nb-cores */
	uint16_t burst;
	uint16_t nb_rxq, nb_txq, nb_rxd, nb_txd;
	uint32_t total_num_mbufs;       /* 0: computed */
	uint16_t mbuf_size;             /* data room, headroom included */
	uint16_t txpkts[TP_MAX_SEGS];
	unsigned int nb_txpkts;
	uint32_t tx_pkt_len;            /* sum of txpkts */
	unsigned int verbose;
	unsigned int stats_period;      /* seconds, 0: none */
	double run_time;                /* seconds, 0: until a signal */
	uint64_t portmask;              /* 0: every port */
	bool portlist_set;
	uint16_t portlist[KEEL_MAX_ETHPORTS];
	unsigned int nb_portlist;
	enum tp_topology topology;
	const struct fwd_engine *engine;
	char dma_names[TP_DMA_NAMES_LEN]; /* --dma, comma separated */
	const char *cmdline_file;
	bool promisc_default;

	/* ports */
	struct tp_port ports[KEEL_MAX_ETHPORTS];
	uint16_t fwd_ports[KEEL_MAX_ETHPORTS];
	unsigned int nb_fwd_ports;
	struct keel_mempool *pool;

	/* forwarding */
	bool fwd_running;
	unsigned int nb_worker_lcores;
	unsigned int worker_lcores[KEEL_MAX_LCORE];
	struct fwd_lcore lcores[KEEL_MAX_LCORE];
	unsigned int nb_cfg_lcores;     /* lcores with streams now */
	struct fwd_stream *streams;
	unsigned int nb_streams;
	uint64_t fwd_start_tsc;

	/* the run */
	volatile sig_atomic_t quit;     /* SIGINT/SIGTERM or `quit` */
	unsigned int cmd_errors;        /* failed commands of --cmdline-file */
};

extern struct tp_state tp;

/* params.c */
void tp_defaults(void);
/* 0: go on; 1: --help printed; -EINVAL: bad option (printed) */
int tp_parse_args(int argc, char **argv);
void tp_usage(FILE *f, const char *prog);
int tp_parse_txpkts(const char *s);
int tp_check_args_after_init(void);
int tp_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* ports.c */
int tp_ports_init(void);
void tp_ports_close_all(void);
int tp_port_start(uint16_t pid);
int tp_port_stop(uint16_t pid);
int tp_port_close(uint16_t pid);
int tp_port_reset(uint16_t pid);
int tp_port_attach(const char *devargs);
int tp_port_detach(uint16_t pid);
bool tp_port_is_fwd(uint16_t pid);
bool tp_all_ports_stopped(void);
int tp_pool_create(void);
void tp_port_set_peer(uint16_t pid, const struct keel_ether_addr *mac);

/* config.c */
int tp_fwd_config_setup(void);
void tp_show_config_fwd(FILE *f);
void tp_print_config_fwd(FILE *f);
void tp_show_config_rxtx(FILE *f);
uint16_t tp_topology_peer(unsigned int idx);

/* fwd.c */
int tp_start(unsigned int tx_first);
int tp_stop(void);
void tp_verbose_apply(void);
const struct fwd_engine *tp_engine_find(const char *name);
extern const struct fwd_engine *const tp_engines[];

/* stats.c */
void tp_show_port_stats(FILE *f, uint16_t pid);
void tp_show_port_xstats(FILE *f, uint16_t pid);
void tp_show_port_info(FILE *f, uint16_t pid);
void tp_clear_port_stats(uint16_t pid);
void tp_show_fwd_stats(FILE *f);
void tp_clear_fwd_stats(void);
void tp_print_final_stats(FILE *f);

/* cmdline.c */
int tp_cmd_run_line(const char *line);
int tp_cmdline_file(const char *path);

/* prompt.c */
int tp_prompt(void);

/* quitting */
static inline bool
tp_quitting(void)
{
	return __atomic_load_n(&tp.quit, __ATOMIC_RELAXED) != 0;
}

#endif /* TESTPMD_H */
