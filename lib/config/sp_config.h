/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_CONFIG_H
#define SP_CONFIG_H

/**
 * @file
 * The run's configuration: command-line options parsed once into one
 * validated struct, before any port, pool or table exists. Defaults are
 * NFStream's (docs/nfstream-semantics.md §1) wherever NFStream has the option.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SP_CONFIG_MAX_PCAPS 256
#define SP_CONFIG_MAX_IPFIX 8
/* nDPI and the plugins share the worker's 16 per-flow hooks */
#define SP_CONFIG_MAX_PLUGINS 15

#define SP_DEFAULT_IDLE_TIMEOUT_S 120
#define SP_DEFAULT_ACTIVE_TIMEOUT_S 1800
#define SP_DEFAULT_N_DISSECTIONS 20
#define SP_DEFAULT_MAX_FLOWS (1u << 20)	/* live flow table capacity per worker */
#define SP_MIN_MAX_FLOWS 64u
#define SP_MAX_MAX_FLOWS (1u << 30)
#define SP_MIN_MAX_MEMORY (UINT64_C(1) << 20)
#define SP_MAX_WORKERS 64
#define SP_DEFAULT_FLUSH_INTERVAL_MS 100
#define SP_DEFAULT_SNAPLEN 1536		/* NFStream snapshot_length */
/*
 * UDP IPFIX records/s when reading files: what nfcapd with its default
 * receive buffer keeps up with on loopback here (docs/ipfix.md). Live
 * input is unpaced: flows end at the network's pace.
 */
#define SP_DEFAULT_IPFIX_FILE_RATE 10000

/** Everything a run needs to know, filled by sp_config_parse(). */
struct sp_config {
	const char *pcaps[SP_CONFIG_MAX_PCAPS];	/**< input files, read in order */
	unsigned int n_pcaps;
	/** "-": standard output, also when neither --csv nor --ipfix is given; NULL: no CSV */
	const char *csv_path;
	bool no_csv;			/**< --no-csv: no CSV even without --ipfix */
	/**
	 * Batch (--out-dir): each capture of the inputs (a file, or each
	 * regular file of a directory) is a run of its own, written to
	 * out_dir/<capture name>.csv (sp_batch.h). --pcap-dir adds a
	 * directory to pcaps[] and asks for this mode.
	 */
	const char *out_dir;
	const char *pcap_dir;		/**< --pcap-dir, also in pcaps[] */
	bool overwrite;			/**< --overwrite: replace existing outputs in out_dir */
	/* NFStream's to_csv() parameters (docs/csv.md) */
	const char *csv_anonymize;	/**< columns_to_anonymize, comma-separated */
	const char *csv_anonymize_key;	/**< file of the 64-byte key; NULL: random per run */
	uint64_t csv_flows_per_file;	/**< flows_per_file, 0 = one file */
	uint32_t csv_rotate_files;	/**< rotate_files, 0 = never */
	uint32_t flush_interval_ms;	/**< every exporter is flushed at least this often */
	uint64_t idle_timeout_ms;
	uint64_t active_timeout_ms;
	uint8_t accounting_mode;	/**< 0 link, 1 IP, 2 transport, 3 payload */
	bool statistical;		/**< --statistical-analysis */
	uint16_t splt_n;		/**< --splt-analysis N */
	uint8_t n_dissections;		/**< 0 disables nDPI and its columns */
	uint64_t max_nflows;		/**< 0 = unlimited */
	const char *bpf_filter;		/**< NULL = none */
	bool decode_tunnels;
	uint32_t max_flows;		/**< flow table capacity per worker (live, or max_flows_set) */
	bool max_flows_set;		/**< --max-flows given: a fixed capacity, files too */
	/**
	 * Reading files without --max-flows: bytes the flow tables (and the
	 * per-flow state of the stages) may take, all workers together; each
	 * worker's capacity is its share over the bytes a flow takes.
	 * --max-memory, else sp_config_default_max_memory(). 0: live, or
	 * --max-flows given.
	 */
	uint64_t max_memory;
	bool quiet;			/**< no status line */
	unsigned int n_workers;		/**< worker lcores (--workers) */
	bool dispatch;			/**< --dispatch: main lcore reads, workers get rings */
	bool pcap_pmd;			/**< --pcap-pmd: files through net_pcap */
	bool no_read_ahead;		/**< --no-read-ahead: no reading thread */
	bool telemetry;			/**< serve rte_telemetry (--telemetry) */
	const char *iface;		/**< live: an AF_PACKET interface (--iface) */
	int port_id;			/**< live: an ethdev port (--port), -1 if none */
	const char *port_config;	/**< --config: profile read over the driver's */
	int8_t promiscuous;		/**< live: 1/0 (--[no-]promiscuous-mode), -1: the profile's */
	uint32_t snaplen;		/**< live: bytes of a frame parsed and dissected */
	uint32_t ring_bytes;		/**< --iface: --socket-buffer-size, 0: libpcap's */
	bool lru_idle_scan;		/**< idle scan in last-seen order (live default) */
	/* Replay from memory (benchmarks): the files are loaded, then fed
	 * replay_loops times or for replay_ms; both 0 = read the files. */
	uint64_t replay_loops;
	uint64_t replay_ms;
	/* IPFIX export (zero: the exporter's default) */
	const char *ipfix[SP_CONFIG_MAX_IPFIX];	/**< udp://, tcp://, file: URIs */
	unsigned int n_ipfix;
	uint32_t ipfix_domain;
	uint32_t ipfix_pen;
	uint16_t ipfix_mtu;
	uint32_t ipfix_refresh_s;
	uint64_t ipfix_buffer;
	uint32_t ipfix_reconnect_min_ms;
	uint32_t ipfix_reconnect_max_ms;
	uint64_t ipfix_rotate_bytes;
	uint32_t ipfix_rotate_s;
	uint32_t ipfix_rate;		/**< UDP records/s, 0 unpaced (when ipfix_rate_set) */
	bool ipfix_rate_set;		/**< else: files SP_DEFAULT_IPFIX_FILE_RATE, live 0 */
	const char *ipfix_elements;	/**< print the element list (xml, csv, iespec) and exit */
	bool plugin_info;		/**< print the plugins' memory and columns and exit */
	bool dpi_stats;			/**< print the nDPI memory line at exit */
	bool startup_times;		/**< print the start-up's phases (docs/startup.md) */
	unsigned int performance_report; /**< seconds between JSON lines, 0 = off */
	const char *ndpi_protos;	/**< nDPI protocols file (ndpiReader -p) */
	const char *ndpi_categories;	/**< nDPI categories file */
	bool ndpi_risks;		/**< --ndpi-risks: risk names and score columns */
	bool ndpi_extra;		/**< --ndpi-extra: DNS and TLS metadata columns */
	/** --plugin NAME[:key=value,...] as given, in order (lib/plugin parses them) */
	const char *plugins[SP_CONFIG_MAX_PLUGINS];
	unsigned int n_plugins;
	/**
	 * Not an option: bytes of the plugins' columns in each record, set by
	 * sp_plugins_load_run() so that the workers' record pools (and the memory
	 * sp_worker_heap_size() counts) hold them.
	 */
	size_t record_ext_size;
};

/** Whether the run replays its files from memory (--replay-loops/-time). */
static inline bool
sp_config_replay(const struct sp_config *cfg)
{
	return cfg->replay_loops != 0 || cfg->replay_ms != 0;
}

/**
 * --max-memory's default: half the machine's memory (sysconf(_SC_PHYS_PAGES)),
 * or of its cgroup's memory limit when that is lower (a container), or of
 * what may still be committed under strict overcommit (vm.overcommit_memory
 * 2), or of the address space limit (ulimit -v), at least SP_MIN_MAX_MEMORY.
 */
uint64_t sp_config_default_max_memory(void);

/** Fill cfg with the defaults. */
void sp_config_defaults(struct sp_config *cfg);

/**
 * Parse application options (argv[0] is the program name) into cfg, which
 * must hold defaults. The strings in argv must outlive cfg.
 *
 * @param err
 *   On failure, a one-line message naming the option and the bad value.
 * @return
 *   0 on success, 1 when --help or --version was handled (text already on
 *   stdout), -EINVAL on a bad option, value or combination.
 */
int sp_config_parse(struct sp_config *cfg, int argc, char **argv, char *err, size_t errlen);

/**
 * Split "PROG [EAL options] -- [options]", the DPDK convention: the EAL
 * part (PROG and what precedes "--") is copied to eal, NULL-terminated;
 * *argc and *argv are left at the application part, its argv[0] set to
 * PROG. Without "--" everything is the application's.
 *
 * @param eal  room for max + 1 pointers
 * @return the number of EAL arguments (0: none given), -E2BIG when there
 *   are more than max.
 */
int sp_config_split_eal(int *argc, char ***argv, char **eal, int max);

/** Write the option summary (for --help) to stdout. */
void sp_config_usage(const char *prog);

#ifdef __cplusplus
}
#endif

#endif /* SP_CONFIG_H */
