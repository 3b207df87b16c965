/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command-line parsing. Each option is validated where it is read, with
 * NFStream's ranges (streamer.py setters), so that a bad value is reported
 * by name before the EAL or any resource is set up.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sp_config.h"

enum {
	OPT_PCAP = 256,
	OPT_CSV,
	OPT_IDLE,
	OPT_ACTIVE,
	OPT_ACCOUNTING,
	OPT_STATS,
	OPT_SPLT,
	OPT_NDISS,
	OPT_MAX_NFLOWS,
	OPT_BPF,
	OPT_DECODE_TUNNELS,
	OPT_NO_DECODE_TUNNELS,
	OPT_MAX_FLOWS,
	OPT_MAX_MEMORY,
	OPT_QUIET,
	OPT_WORKERS,
	OPT_TELEMETRY,
	OPT_IFACE,
	OPT_PORT,
	OPT_CONFIG,
	OPT_PROMISC,
	OPT_NO_PROMISC,
	OPT_SNAPLEN,
	OPT_SOCKBUF,
	OPT_LRU,
	OPT_PERF,
	OPT_DPI_STATS,
	OPT_STARTUP_TIMES,
	OPT_IPFIX,
	OPT_PLUGIN,
	OPT_PLUGIN_INFO,
	OPT_IPFIX_DOMAIN,
	OPT_IPFIX_PEN,
	OPT_IPFIX_MTU,
	OPT_IPFIX_REFRESH,
	OPT_IPFIX_BUFFER,
	OPT_IPFIX_RECONNECT,
	OPT_IPFIX_ROTATE_SIZE,
	OPT_IPFIX_ROTATE_TIME,
	OPT_IPFIX_ELEMENTS,
	OPT_IPFIX_RATE,
	OPT_NDPI_PROTOS,
	OPT_NDPI_CATEGORIES,
	OPT_NDPI_RISKS,
	OPT_NDPI_EXTRA,
	OPT_DISPATCH,
	OPT_PCAP_PMD,
	OPT_NO_READ_AHEAD,
	OPT_REPLAY_LOOPS,
	OPT_REPLAY_TIME,
	OPT_NO_CSV,
	OPT_CSV_ANON,
	OPT_CSV_ANON_KEY,
	OPT_CSV_FLOWS_PER_FILE,
	OPT_CSV_ROTATE_FILES,
	OPT_FLUSH_INTERVAL,
	OPT_PCAP_DIR,
	OPT_OUT_DIR,
	OPT_OVERWRITE,
	OPT_HELP,
	OPT_VERSION,
	OPT_END,	/* keep last */
};

static const struct option sp_options[] = {
	{ "pcap", required_argument, NULL, OPT_PCAP },
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "active-timeout", required_argument, NULL, OPT_ACTIVE },
	{ "accounting-mode", required_argument, NULL, OPT_ACCOUNTING },
	{ "statistical-analysis", no_argument, NULL, OPT_STATS },
	{ "splt-analysis", required_argument, NULL, OPT_SPLT },
	{ "n-dissections", required_argument, NULL, OPT_NDISS },
	{ "max-nflows", required_argument, NULL, OPT_MAX_NFLOWS },
	{ "bpf-filter", required_argument, NULL, OPT_BPF },
	{ "decode-tunnels", no_argument, NULL, OPT_DECODE_TUNNELS },
	{ "no-decode-tunnels", no_argument, NULL, OPT_NO_DECODE_TUNNELS },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "max-memory", required_argument, NULL, OPT_MAX_MEMORY },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "telemetry", no_argument, NULL, OPT_TELEMETRY },
	{ "iface", required_argument, NULL, OPT_IFACE },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "promiscuous-mode", no_argument, NULL, OPT_PROMISC },
	{ "no-promiscuous-mode", no_argument, NULL, OPT_NO_PROMISC },
	{ "snapshot-length", required_argument, NULL, OPT_SNAPLEN },
	{ "socket-buffer-size", required_argument, NULL, OPT_SOCKBUF },
	{ "lru-idle-scan", no_argument, NULL, OPT_LRU },
	{ "performance-report", required_argument, NULL, OPT_PERF },
	{ "dpi-stats", no_argument, NULL, OPT_DPI_STATS },
	{ "startup-times", no_argument, NULL, OPT_STARTUP_TIMES },
	{ "ipfix", required_argument, NULL, OPT_IPFIX },
	{ "plugin", required_argument, NULL, OPT_PLUGIN },
	{ "plugin-info", no_argument, NULL, OPT_PLUGIN_INFO },
	{ "ipfix-domain", required_argument, NULL, OPT_IPFIX_DOMAIN },
	{ "ipfix-pen", required_argument, NULL, OPT_IPFIX_PEN },
	{ "ipfix-mtu", required_argument, NULL, OPT_IPFIX_MTU },
	{ "ipfix-template-refresh", required_argument, NULL, OPT_IPFIX_REFRESH },
	{ "ipfix-buffer", required_argument, NULL, OPT_IPFIX_BUFFER },
	{ "ipfix-reconnect", required_argument, NULL, OPT_IPFIX_RECONNECT },
	{ "ipfix-rotate-size", required_argument, NULL, OPT_IPFIX_ROTATE_SIZE },
	{ "ipfix-rotate-time", required_argument, NULL, OPT_IPFIX_ROTATE_TIME },
	{ "ipfix-elements", required_argument, NULL, OPT_IPFIX_ELEMENTS },
	{ "ipfix-rate", required_argument, NULL, OPT_IPFIX_RATE },
	{ "ndpi-protos", required_argument, NULL, OPT_NDPI_PROTOS },
	{ "ndpi-categories", required_argument, NULL, OPT_NDPI_CATEGORIES },
	{ "ndpi-risks", no_argument, NULL, OPT_NDPI_RISKS },
	{ "ndpi-extra", no_argument, NULL, OPT_NDPI_EXTRA },
	{ "dispatch", no_argument, NULL, OPT_DISPATCH },
	{ "pcap-pmd", no_argument, NULL, OPT_PCAP_PMD },
	{ "no-read-ahead", no_argument, NULL, OPT_NO_READ_AHEAD },
	{ "replay-loops", required_argument, NULL, OPT_REPLAY_LOOPS },
	{ "replay-time", required_argument, NULL, OPT_REPLAY_TIME },
	{ "no-csv", no_argument, NULL, OPT_NO_CSV },
	{ "csv-anonymize", required_argument, NULL, OPT_CSV_ANON },
	{ "csv-anonymize-key", required_argument, NULL, OPT_CSV_ANON_KEY },
	{ "csv-flows-per-file", required_argument, NULL, OPT_CSV_FLOWS_PER_FILE },
	{ "csv-rotate-files", required_argument, NULL, OPT_CSV_ROTATE_FILES },
	{ "flush-interval", required_argument, NULL, OPT_FLUSH_INTERVAL },
	{ "pcap-dir", required_argument, NULL, OPT_PCAP_DIR },
	{ "out-dir", required_argument, NULL, OPT_OUT_DIR },
	{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

void
sp_config_defaults(struct sp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->idle_timeout_ms = SP_DEFAULT_IDLE_TIMEOUT_S * 1000ull;
	cfg->active_timeout_ms = SP_DEFAULT_ACTIVE_TIMEOUT_S * 1000ull;
	cfg->n_dissections = SP_DEFAULT_N_DISSECTIONS;
	cfg->decode_tunnels = true;
	cfg->max_flows = SP_DEFAULT_MAX_FLOWS;
	cfg->n_workers = 1;
	cfg->port_id = -1;
	cfg->flush_interval_ms = SP_DEFAULT_FLUSH_INTERVAL_MS;
	cfg->promiscuous = -1;
	cfg->snaplen = SP_DEFAULT_SNAPLEN;
}

void
sp_config_usage(const char *prog)
{
	printf("Usage: %s [EAL options --] --pcap FILE [--pcap FILE ...] [options]\n"
	       "\n"
	       "Turns packets into NFStream flow records. Without EAL options the EAL is set\n"
	       "up for offline reading (--no-huge --no-pci).\n"
	       "\n"
	       "Input and output:\n"
	       "  --pcap FILE               pcap or pcapng capture; repeat to read several files\n"
	       "                            in order through one flow cache. \"-\" = stdin; FIFOs,\n"
	       "                            gzip/xz/zstd captures; a directory = its files in\n"
	       "                            name order (not those starting with '.')\n"
	       "  --pcap-pmd                read the --pcap files through DPDK's pcap PMD\n"
	       "                            (net_pcap) rather than streamprobe's own reader:\n"
	       "                            same packets, about twice the reading cost;\n"
	       "                            uncompressed regular files only\n"
	       "  --pcap-dir DIR            batch: every regular file of DIR (name order, not\n"
	       "                            those starting with '.') is a capture of its own\n"
	       "  --out-dir DIR             batch: each capture (--pcap-dir, or each --pcap file\n"
	       "                            or directory's file) is read as a run of its own and\n"
	       "                            written to DIR/<capture name>.csv; the captures are\n"
	       "                            spread over the workers (one worker a capture)\n"
	       "  --overwrite               --out-dir: replace output files that exist (without\n"
	       "                            it the batch stops before reading if one does)\n"
	       "  --no-read-ahead           the worker reads the files itself, without the\n"
	       "                            read-ahead thread (one CPU; repeatable callgrind runs)\n"
	       "  --csv FILE                write flows as NFStream to_csv() CSV (\"-\" = stdout,\n"
	       "                            the default without --csv and --ipfix; docs/csv.md)\n"
	       "  --no-csv                  no CSV, even without --ipfix (flows are counted only)\n"
	       "  --csv-anonymize COLS      to_csv(columns_to_anonymize): these comma-separated\n"
	       "                            columns become keyed BLAKE2b-512 digests (hex)\n"
	       "  --csv-anonymize-key FILE  the key: a file of 64 bytes (head -c 64\n"
	       "                            /dev/urandom), so that runs stay joinable (default:\n"
	       "                            a random key per run)\n"
	       "  --csv-flows-per-file N    to_csv(flows_per_file): N flows a file, each with\n"
	       "                            the header; flows.csv gives flows.0.csv, flows.1.csv...\n"
	       "  --csv-rotate-files N      to_csv(rotate_files): reuse the names modulo N\n"
	       "  --flush-interval MS       every exporter (CSV, IPFIX) pushes out what it holds\n"
	       "                            at least every MS ms, 1-60000 (default %u)\n"
	       "  --iface NAME              live capture from a Linux interface (AF_PACKET vdev)\n"
	       "  --port ID                 live capture from an ethdev port set up by EAL options\n"
	       "  --config FILE             port profile read over drivers-config/<driver>.ini\n"
	       "  --promiscuous-mode, --no-promiscuous-mode\n"
	       "                            live: capture frames for other MACs too (default on;\n"
	       "                            --iface leaves the interface's flags as it found them)\n"
	       "  --snapshot-length N       live: parse and dissect the first N bytes of a frame;\n"
	       "                            sizes stay the wire's (default %u)\n"
	       "  --socket-buffer-size B    --iface: AF_PACKET ring bytes (default 0: 2 MiB, libpcap's)\n"
	       "  --ipfix URI               IPFIX (RFC 7011, RFC 5103 biflows) to udp://HOST:PORT,\n"
	       "                            tcp://HOST:PORT or file:PATH; repeatable (see docs/ipfix.md)\n"
	       "  --ipfix-domain N, --ipfix-pen N, --ipfix-mtu N, --ipfix-template-refresh S,\n"
	       "  --ipfix-buffer BYTES, --ipfix-reconnect MIN_MS:MAX_MS, --ipfix-rotate-size BYTES,\n"
	       "  --ipfix-rotate-time S     IPFIX settings (observation domain, enterprise number,\n"
	       "                            UDP path MTU and template refresh, TCP buffer and\n"
	       "                            reconnect backoff, file rotation)\n"
	       "  --ipfix-rate N            udp:// collectors get at most N records/s, 0 unpaced\n"
	       "                            (default: files %u, live 0; see docs/ipfix.md)\n"
	       "  --ipfix-elements FMT      print the information elements (xml, csv, iespec,\n"
	       "                            markdown) for the chosen columns and exit\n"
	       "  --bpf-filter EXPR         libpcap filter; rejected packets are counted as filtered\n"
	       "  --plugin NAME[:K=V,...]   add a plugin's columns: a shipped one by name, or a .so\n"
	       "                            by path; repeatable, order kept (docs/plugins.md)\n"
	       "  --plugin-info             print each --plugin's memory (slot bytes a flow,\n"
	       "                            record bytes) and columns, and exit\n"
	       "\n"
	       "Flow semantics (NFStream parameters, same defaults):\n"
	       "  --idle-timeout S          idle timeout in seconds (default %u)\n"
	       "  --active-timeout S        active timeout in seconds (default %u)\n"
	       "  --accounting-mode M       0 link layer, 1 IP, 2 transport, 3 payload (default 0)\n"
	       "  --statistical-analysis    add the 48 size/inter-arrival/TCP flag columns\n"
	       "  --splt-analysis N         add splt_direction/ps/piat_ms lists of N packets (0-65535)\n"
	       "  --n-dissections D         packets per flow given to nDPI, 0-255 (default %u);\n"
	       "                            0 removes the 9 application columns\n"
	       "  --ndpi-protos FILE        custom nDPI protocol rules (as ndpiReader -p)\n"
	       "  --ndpi-categories FILE    custom nDPI category rules\n"
	       "  --ndpi-risks              add application_risks and application_risk_score\n"
	       "                            (nDPI flow risks; not NFStream columns)\n"
	       "  --ndpi-extra              add dns_query_type, dns_response_code, tls_version,\n"
	       "                            tls_cipher (nDPI metadata; not NFStream columns)\n"
	       "  --max-nflows N            stop after exporting N flows (0 = unlimited)\n"
	       "  --decode-tunnels          decode GTP-U, TZSP, CAPWAP (default; adds tunnel_id)\n"
	       "  --no-decode-tunnels       do not decode them (no tunnel_id column)\n"
	       "  --lru-idle-scan           idle scan in last-seen order: no idle flow waits behind\n"
	       "                            an active older one (NFStream: creation order; live\n"
	       "                            capture always uses last-seen order)\n"
	       "\n"
	       "Resources and output:\n"
	       "  --workers N               worker lcores (default 1); with one input queue the\n"
	       "                            packets are spread by a symmetric flow hash\n"
	       "  --dispatch                the main lcore reads and parses the input and feeds\n"
	       "                            the workers' rings, even with one worker (reading\n"
	       "                            and flow work on two cores)\n"
	       "  --max-flows N             flow table capacity per worker: live (default %u),\n"
	       "                            or reading files, a fixed one instead of --max-memory\n"
	       "  --max-memory SIZE         reading files: memory the flow tables may take, all\n"
	       "                            workers together (K, M, G suffixes; default half the\n"
	       "                            machine's memory); tables grow as flows come, and only\n"
	       "                            past it are the oldest flows ended early (a warning)\n"
	       "  --quiet                   no status line\n"
	       "  --dpi-stats               print nDPI state memory per worker at exit\n"
	       "  --startup-times           print where the start-up went, phase by phase\n"
	       "  --performance-report S    every S seconds, NFStream's performance_report JSON line\n"
	       "  --replay-loops N          benchmark: load the --pcap files into memory, then\n"
	       "                            feed them N times, each pass later in time by the\n"
	       "                            capture's span + the idle timeout (new flows each\n"
	       "                            pass); no disk, libpcap or PMD copy in the timing\n"
	       "  --replay-time S           the same, passes repeated for S seconds\n"
	       "  --telemetry               serve /streamprobe/stats and /streamprobe/workers over\n"
	       "                            rte_telemetry (dpdk-telemetry.py -f streamprobe<pid>)\n"
	       "  -h, --help                this text\n"
	       "  -V, --version             the version\n"
	       "\n"
	       "Exit codes:\n"
	       "  0    every packet read and every flow written\n"
	       "  1    a run-time error: an unreadable or corrupt input (flows up to it are\n"
	       "       still written), a failed output (disk full, collector unreachable,\n"
	       "       records lost), a setup failure (EAL, memory, port)\n"
	       "  2    a usage error: a bad option, value or combination, a bad filter,\n"
	       "       profile or nDPI rules file\n"
	       "  130  a second SIGINT/SIGTERM: left at once (files written so far are whole)\n",
	       prog, SP_DEFAULT_FLUSH_INTERVAL_MS, SP_DEFAULT_SNAPLEN, SP_DEFAULT_IPFIX_FILE_RATE,
	       SP_DEFAULT_IDLE_TIMEOUT_S,
	       SP_DEFAULT_ACTIVE_TIMEOUT_S,
	       SP_DEFAULT_N_DISSECTIONS, SP_DEFAULT_MAX_FLOWS);
}

/* The long name of an option by its value, for messages: the text on the
 * command line may be the value ("--ipfix-domain -1" has "-1" last). */
static const char *
sp_config_optname(int val)
{
	static char buf[48];
	unsigned int i;

	for (i = 0; sp_options[i].name != NULL; i++)
		if (sp_options[i].val == val) {
			snprintf(buf, sizeof(buf), "--%s", sp_options[i].name);
			return buf;
		}
	return "?";
}

/* printf-checked: no caller can pass a value as the format */
static int __attribute__((format(printf, 3, 4)))
sp_config_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Strict unsigned parse: digits only, in [min, max]. */
static int
sp_config_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A number in a file, UINT64_MAX when the file is absent or says "max". */
static uint64_t
sp_config_read_limit(const char *dir, const char *sub, const char *file)
{
	char path[600];
	unsigned long long v;
	uint64_t lim = UINT64_MAX;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s/%s", dir, strcmp(sub, "/") == 0 ? "" : sub, file);
	f = fopen(path, "r");
	if (f == NULL)
		return lim;
	if (fscanf(f, "%llu", &v) == 1)
		lim = v;
	fclose(f);
	return lim;
}

/*
 * The memory limit of this process's cgroup, v2 (memory.max) or v1
 * (memory.limit_in_bytes), UINT64_MAX if none: a container's memory is
 * what it may use, whatever the machine has. The group's own directory,
 * and the mount's root (where a cgroup namespace puts the container's).
 */
static uint64_t
sp_config_cgroup_limit(void)
{
	char line[512], *p;
	uint64_t lim = UINT64_MAX, v;
	FILE *f = fopen("/proc/self/cgroup", "r");

	if (f == NULL)
		return lim;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "0::", 3) == 0) {
			p = line + 3;
			v = sp_config_read_limit("/sys/fs/cgroup", p, "memory.max");
			lim = v < lim ? v : lim;
			v = sp_config_read_limit("/sys/fs/cgroup", "/", "memory.max");
			lim = v < lim ? v : lim;
		} else if ((p = strstr(line, ":memory:")) != NULL) {
			p += 8;
			v = sp_config_read_limit("/sys/fs/cgroup/memory", p, "memory.limit_in_bytes");
			lim = v < lim ? v : lim;
			v = sp_config_read_limit("/sys/fs/cgroup/memory", "/",
						 "memory.limit_in_bytes");
			lim = v < lim ? v : lim;
		}
	}
	fclose(f);
	return lim;
}

/*
 * Under strict overcommit (vm.overcommit_memory = 2) every byte the tables
 * reserve is charged at once, MAP_NORESERVE or not: what may still be
 * committed (CommitLimit - Committed_AS), UINT64_MAX otherwise.
 */
static uint64_t
sp_config_commit_room(void)
{
	unsigned long long limit = 0, used = 0, v;
	char line[256];
	int mode = 0;
	FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");

	if (f == NULL)
		return UINT64_MAX;
	if (fscanf(f, "%d", &mode) != 1)
		mode = 0;
	fclose(f);
	if (mode != 2 || (f = fopen("/proc/meminfo", "r")) == NULL)
		return UINT64_MAX;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "CommitLimit: %llu kB", &v) == 1)
			limit = v * 1024;
		else if (sscanf(line, "Committed_AS: %llu kB", &v) == 1)
			used = v * 1024;
	}
	fclose(f);
	return limit > used ? limit - used : 0;
}

uint64_t
sp_config_default_max_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGE_SIZE);
	uint64_t mem = UINT64_C(2) << 30, lim;
	struct rlimit rl;

	/* Half of the machine's or the cgroup's memory (or of what strict
	 * overcommit or ulimit -v still allow): the rest is the page cache
	 * the input is read through, the records in flight, nDPI's own
	 * allocations and everything else running. Unknown: 1 GiB. */
	if (pages > 0 && psize > 0)
		mem = (uint64_t)pages * (uint64_t)psize;
	lim = sp_config_cgroup_limit();
	if (lim < mem)
		mem = lim;
	lim = sp_config_commit_room();
	if (lim < mem)
		mem = lim;
	/* ulimit -v: the reservation is address space, half of it at most */
	if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (uint64_t)rl.rlim_cur < mem)
		mem = (uint64_t)rl.rlim_cur;
	return mem / 2 > SP_MIN_MAX_MEMORY ? mem / 2 : SP_MIN_MAX_MEMORY;
}

/* A byte count with an optional binary suffix: 512M, 4G, 1048576. */
static int
sp_config_size(const char *s, uint64_t min, uint64_t *out)
{
	static const char suffix[] = "KMGT";
	char num[32], c;
	const char *p;
	size_t n = strlen(s);
	uint64_t v;
	unsigned int shift = 0;

	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n + 1);
	c = num[n - 1];
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	p = strchr(suffix, c);
	if (c != '\0' && p != NULL) {
		shift = 10 * (unsigned int)(p - suffix + 1);
		num[n - 1] = '\0';
	}
	if (sp_config_uint(num, 1, UINT64_MAX >> shift, &v) != 0 || (v << shift) < min)
		return -EINVAL;
	*out = v << shift;
	return 0;
}

/* An IPFIX destination's syntax: udp://HOST:PORT, tcp://HOST:PORT (an
 * IPv6 address in brackets) or file:PATH. Whether HOST resolves is known
 * when the exporter opens. */
static int
sp_config_ipfix_uri(const char *uri, char *err, size_t errlen)
{
	const char *host, *colon, *end;
	uint64_t port;

	if (strncmp(uri, "file:", 5) == 0) {
		if (uri[5] == '\0')
			return sp_config_err(err, errlen, "--ipfix: '%s' has no path (file:PATH)",
					     uri);
		return 0;
	}
	if (strncmp(uri, "udp://", 6) != 0 && strncmp(uri, "tcp://", 6) != 0)
		return sp_config_err(err, errlen, "--ipfix: '%s' is not udp://HOST:PORT, "
				     "tcp://HOST:PORT or file:PATH", uri);
	host = uri + 6;
	if (*host == '[') {
		end = strchr(host, ']');
		if (end == NULL || end == host + 1)
			return sp_config_err(err, errlen, "--ipfix: '%s': bad IPv6 address "
					     "(udp://[ADDR]:PORT)", uri);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (colon == NULL && end[1] != '\0')
			return sp_config_err(err, errlen, "--ipfix: '%s': ':PORT' must follow "
					     "the address", uri);
	} else {
		colon = strrchr(host, ':');
		if (colon == host || *host == '\0')
			return sp_config_err(err, errlen, "--ipfix: '%s' has no host "
					     "(%.6sHOST:PORT)", uri, uri);
		if (colon != NULL && memchr(host, ':', (size_t)(colon - host)) != NULL)
			return sp_config_err(err, errlen, "--ipfix: '%s': an IPv6 address "
					     "goes in brackets (%.6s[ADDR]:PORT)", uri, uri);
	}
	if (colon == NULL)
		return sp_config_err(err, errlen, "--ipfix: '%s' has no port (%.6sHOST:PORT; "
				     "IPFIX collectors usually listen on 4739)", uri, uri);
	if (sp_config_uint(colon + 1, 1, 65535, &port) != 0)
		return sp_config_err(err, errlen, "--ipfix: '%s': '%s' is not a port in 1..65535",
				     uri, colon + 1);
	return 0;
}

/* Whether two paths name the same file: the same inode when both exist,
 * else the same absolute path. */
static bool
sp_config_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	char ra[PATH_MAX], rb[PATH_MAX];

	if (strcmp(a, "-") == 0 || strcmp(b, "-") == 0)
		return false;
	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	if (realpath(a, ra) == NULL || realpath(b, rb) == NULL)
		return strcmp(a, b) == 0;
	return strcmp(ra, rb) == 0;
}

/* No output may overwrite an input or another output. */
static int
sp_config_check_outputs(const struct sp_config *cfg, char *err, size_t errlen)
{
	const char *out[1 + SP_CONFIG_MAX_IPFIX];
	const char *opt[1 + SP_CONFIG_MAX_IPFIX];
	unsigned int n = 0, i, j;

	if (cfg->csv_path != NULL) {
		opt[n] = "--csv";
		out[n++] = cfg->csv_path;
	}
	for (i = 0; i < cfg->n_ipfix; i++)
		if (strncmp(cfg->ipfix[i], "file:", 5) == 0) {
			opt[n] = "--ipfix";
			out[n++] = cfg->ipfix[i] + 5;
		}
	for (i = 0; i < n; i++) {
		for (j = 0; j < cfg->n_pcaps; j++)
			if (sp_config_same_file(out[i], cfg->pcaps[j]))
				return sp_config_err(err, errlen, "%s %s: that is an input (--pcap %s); "
						     "it would be overwritten", opt[i], out[i],
						     cfg->pcaps[j]);
		for (j = 0; j < i; j++)
			if (sp_config_same_file(out[i], out[j]))
				return sp_config_err(err, errlen, "%s %s: %s writes that file too",
						     opt[i], out[i], opt[j]);
	}
	return 0;
}

/*
 * Where the flows go. Without --csv and --ipfix the CSV goes to standard
 * output, so that a plain run shows its flows rather than computing them
 * for nothing; --no-csv is the way to ask for nothing (benchmarks).
 */
static int
sp_config_check_csv(struct sp_config *cfg, char *err, size_t errlen)
{
	const char *base;
	const char *opt = cfg->csv_flows_per_file != 0 ? "--csv-flows-per-file" :
			  cfg->csv_rotate_files != 0 ? "--csv-rotate-files" :
			  cfg->csv_anonymize != NULL ? "--csv-anonymize" :
			  cfg->csv_anonymize_key != NULL ? "--csv-anonymize-key" : NULL;

	if (cfg->no_csv && cfg->csv_path != NULL)
		return sp_config_err(err, errlen, "--no-csv: excludes --csv");
	if (cfg->no_csv && opt != NULL)
		return sp_config_err(err, errlen, "%s: there is no CSV (--no-csv)", opt);
	if (cfg->csv_path == NULL && cfg->n_ipfix == 0 && !cfg->no_csv)
		cfg->csv_path = "-";
	if (cfg->csv_path == NULL && opt != NULL)
		return sp_config_err(err, errlen, "%s: needs --csv FILE (only --ipfix is given)",
				     opt);
	if (cfg->csv_anonymize_key != NULL && cfg->csv_anonymize == NULL)
		return sp_config_err(err, errlen, "--csv-anonymize-key: needs --csv-anonymize");
	if (cfg->csv_rotate_files != 0 && cfg->csv_flows_per_file == 0)
		return sp_config_err(err, errlen, "--csv-rotate-files: needs "
				     "--csv-flows-per-file (NFStream rotates chunks only)");
	if (cfg->csv_flows_per_file == 0)
		return 0;
	/* utils.py open_file(): file k is the path with "csv" replaced by "k.csv". */
	base = strrchr(cfg->csv_path, '/');
	base = base != NULL ? base + 1 : cfg->csv_path;
	if (strcmp(cfg->csv_path, "-") == 0 || strstr(base, "csv") == NULL)
		return sp_config_err(err, errlen, "--csv-flows-per-file: the file names are made "
				     "by replacing \"csv\" in the --csv file name (flows.csv: "
				     "flows.0.csv, flows.1.csv, ...); '%s' has none",
				     cfg->csv_path);
	return 0;
}

/*
 * Batch (--out-dir): the outputs are the directory's, one set per capture,
 * and each capture is a whole run of one worker's; what names one output
 * or spans the captures has no meaning there and is refused by name.
 */
static int
sp_config_check_batch(struct sp_config *cfg, char *err, size_t errlen)
{
	const char *opt;
	unsigned int i;

	if (cfg->out_dir == NULL) {
		if (cfg->overwrite)
			return sp_config_err(err, errlen, "--overwrite: needs --out-dir");
		if (cfg->pcap_dir != NULL)
			return sp_config_err(err, errlen, "--pcap-dir: needs --out-dir DIR (each "
					     "capture written to DIR/<capture name>.csv); to read "
					     "the files as one capture, give --pcap DIR");
		return 0;
	}
	opt = cfg->csv_path != NULL ? "--csv" : cfg->no_csv ? "--no-csv" :
	      cfg->csv_flows_per_file != 0 ? "--csv-flows-per-file" :
	      cfg->csv_rotate_files != 0 ? "--csv-rotate-files" :
	      cfg->iface != NULL ? "--iface" : cfg->port_id >= 0 ? "--port" :
	      sp_config_replay(cfg) ? (cfg->replay_loops ? "--replay-loops" : "--replay-time") :
	      cfg->pcap_pmd ? "--pcap-pmd" : cfg->dispatch ? "--dispatch" :
	      cfg->telemetry ? "--telemetry" : cfg->performance_report ? "--performance-report" :
	      cfg->dpi_stats ? "--dpi-stats" : cfg->n_ipfix != 0 ? "--ipfix" : NULL;
	if (cfg->n_ipfix != 0)
		return sp_config_err(err, errlen, "--ipfix: not with --out-dir (a batch writes one "
				     "CSV per capture; for IPFIX run --pcap F --ipfix file:F.ipfix per "
				     "capture)");
	if (opt != NULL)
		return sp_config_err(err, errlen, "%s: not with --out-dir (a batch writes "
				     "DIR/<capture name>.csv for each capture, each read alone by "
				     "one worker, with the CSV options and the flow settings only)",
				     opt);
	if (cfg->n_pcaps == 0)
		return sp_config_err(err, errlen, "--out-dir: no input: give --pcap-dir DIR or "
				     "--pcap FILE");
	for (i = 0; i < cfg->n_pcaps; i++)
		if (strcmp(cfg->pcaps[i], "-") == 0)
			return sp_config_err(err, errlen, "--pcap -: not with --out-dir (a batch "
					     "names each output after its capture file)");
	return 0;
}

int
sp_config_split_eal(int *argc, char ***argv, char **eal, int max)
{
	char **v = *argv;
	int i;

	for (i = 1; i < *argc; i++)
		if (strcmp(v[i], "--") == 0)
			break;
	if (i == *argc)
		return 0;
	if (i > max)
		return -E2BIG;
	memcpy(eal, v, sizeof(*v) * (size_t)i);
	eal[i] = NULL;
	*argv = &v[i];
	*argc -= i;
	(*argv)[0] = v[0];
	return i;
}

int
sp_config_parse(struct sp_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
	const char *name, *live_opt = NULL, *sockbuf_opt = NULL;
	uint64_t v;
	int opt, idx, ret;

	uint64_t seen[(OPT_END + 63) / 64] = { 0 };

	/* 0, not 1: glibc then resets all of getopt's state, including the
	 * position inside a cluster of short options ("-pcap") that an
	 * earlier parse stopped in; with 1 the next parse went on reading
	 * that argument, of an argv that may be gone (found by fuzz_config). */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":hV", sp_options, &idx)) != -1) {
		if (opt == 'h')
			opt = OPT_HELP;
		else if (opt == 'V')
			opt = OPT_VERSION;
		name = opt >= OPT_PCAP && opt < OPT_END ? sp_config_optname(opt) : "?";
		/* An option given twice is a mistake (two --csv: which file?),
		 * but for those that add to a list. */
		if (opt >= OPT_PCAP && opt < OPT_END && opt != OPT_PCAP && opt != OPT_IPFIX &&
		    opt != OPT_PLUGIN) {
			uint64_t bit = 1ull << ((opt - OPT_PCAP) % 64);

			if (seen[(opt - OPT_PCAP) / 64] & bit)
				return sp_config_err(err, errlen, "%s: given twice", name);
			seen[(opt - OPT_PCAP) / 64] |= bit;
		}
		switch (opt) {
		case OPT_PCAP:
			if (cfg->n_pcaps == SP_CONFIG_MAX_PCAPS)
				return sp_config_err(err, errlen, "--pcap: at most %d files",
						     SP_CONFIG_MAX_PCAPS);
			if (*optarg == '\0')
				return sp_config_err(err, errlen, "--pcap: empty file name");
			cfg->pcaps[cfg->n_pcaps++] = optarg;
			break;
		case OPT_CSV:
			if (*optarg == '\0')
				return sp_config_err(err, errlen, "--csv: empty file name");
			cfg->csv_path = optarg;
			break;
		case OPT_IDLE:
		case OPT_ACTIVE:
			/* seconds as an int, like NFStream; kept in ms */
			if (sp_config_uint(optarg, 0, UINT32_MAX, &v) != 0)
				return sp_config_err(err, errlen,
					"%s: '%s' is not a number of seconds >= 0",
					opt == OPT_IDLE ? "--idle-timeout" : "--active-timeout",
					optarg);
			if (opt == OPT_IDLE)
				cfg->idle_timeout_ms = v * 1000;
			else
				cfg->active_timeout_ms = v * 1000;
			break;
		case OPT_ACCOUNTING:
			if (sp_config_uint(optarg, 0, 3, &v) != 0)
				return sp_config_err(err, errlen,
					"--accounting-mode: '%s' is not 0, 1, 2 or 3", optarg);
			cfg->accounting_mode = (uint8_t)v;
			break;
		case OPT_STATS:
			cfg->statistical = true;
			break;
		case OPT_SPLT:
			if (sp_config_uint(optarg, 0, 65535, &v) != 0)
				return sp_config_err(err, errlen,
					"--splt-analysis: '%s' is not in 0..65535", optarg);
			cfg->splt_n = (uint16_t)v;
			break;
		case OPT_NDISS:
			if (sp_config_uint(optarg, 0, 255, &v) != 0)
				return sp_config_err(err, errlen,
					"--n-dissections: '%s' is not in 0..255", optarg);
			cfg->n_dissections = (uint8_t)v;
			break;
		case OPT_MAX_NFLOWS:
			if (sp_config_uint(optarg, 0, UINT64_MAX, &v) != 0)
				return sp_config_err(err, errlen,
					"--max-nflows: '%s' is not a number >= 0", optarg);
			cfg->max_nflows = v;
			break;
		case OPT_BPF:
			cfg->bpf_filter = optarg;
			break;
		case OPT_DECODE_TUNNELS:
			cfg->decode_tunnels = true;
			break;
		case OPT_NO_DECODE_TUNNELS:
			cfg->decode_tunnels = false;
			break;
		case OPT_MAX_FLOWS:
			if (sp_config_uint(optarg, SP_MIN_MAX_FLOWS, SP_MAX_MAX_FLOWS, &v) != 0)
				return sp_config_err(err, errlen,
					"--max-flows: '%s' is not in %u..%u", optarg,
					SP_MIN_MAX_FLOWS, SP_MAX_MAX_FLOWS);
			cfg->max_flows = (uint32_t)v;
			cfg->max_flows_set = true;
			break;
		case OPT_MAX_MEMORY:
			if (sp_config_size(optarg, SP_MIN_MAX_MEMORY, &v) != 0)
				return sp_config_err(err, errlen, "--max-memory: '%s' is not a size "
						     ">= 1M (a number of bytes, or with K, M, G, T)",
						     optarg);
			cfg->max_memory = v;
			break;
		case OPT_QUIET:
			cfg->quiet = true;
			break;
		case OPT_IFACE:
			if (*optarg == '\0' || strchr(optarg, ',') != NULL)
				return sp_config_err(err, errlen, "--iface: bad name '%s'", optarg);
			cfg->iface = optarg;
			break;
		case OPT_PORT:
			if (sp_config_uint(optarg, 0, 1023, &v) != 0)
				return sp_config_err(err, errlen, "--port: '%s' is not a port id",
						     optarg);
			cfg->port_id = (int)v;
			break;
		case OPT_CONFIG:
			cfg->port_config = optarg;
			break;
		case OPT_PROMISC:
		case OPT_NO_PROMISC:
			cfg->promiscuous = opt == OPT_PROMISC;
			live_opt = opt == OPT_PROMISC ? "--promiscuous-mode" : "--no-promiscuous-mode";
			break;
		case OPT_SNAPLEN:
			/* NFStream: any int > 0; libpcap caps it at 262144 */
			if (sp_config_uint(optarg, 1, UINT32_MAX, &v) != 0)
				return sp_config_err(err, errlen,
					"--snapshot-length: '%s' is not a byte count > 0", optarg);
			cfg->snaplen = (uint32_t)v;
			live_opt = "--snapshot-length";
			break;
		case OPT_SOCKBUF:
			if (sp_config_uint(optarg, 0, INT32_MAX, &v) != 0)
				return sp_config_err(err, errlen,
					"--socket-buffer-size: '%s' is not in 0..%d", optarg,
					INT32_MAX);
			cfg->ring_bytes = (uint32_t)v;
			sockbuf_opt = "--socket-buffer-size";
			break;
		case OPT_IPFIX:
			if (cfg->n_ipfix == SP_CONFIG_MAX_IPFIX)
				return sp_config_err(err, errlen, "--ipfix: at most %d collectors",
						     SP_CONFIG_MAX_IPFIX);
			if (sp_config_ipfix_uri(optarg, err, errlen) != 0)
				return -EINVAL;
			cfg->ipfix[cfg->n_ipfix++] = optarg;
			break;
		case OPT_PLUGIN:
			if (cfg->n_plugins == SP_CONFIG_MAX_PLUGINS)
				return sp_config_err(err, errlen, "--plugin: at most %d plugins",
						     SP_CONFIG_MAX_PLUGINS);
			if (optarg[0] == '\0' || optarg[0] == ':')
				return sp_config_err(err, errlen, "--plugin: '%s' has no name",
						     optarg);
			cfg->plugins[cfg->n_plugins++] = optarg;
			break;
		case OPT_IPFIX_DOMAIN:
		case OPT_IPFIX_PEN:
			if (sp_config_uint(optarg, 0, UINT32_MAX, &v) != 0)
				return sp_config_err(err, errlen, "%s: '%s' is not a 32-bit number", name,
						     optarg);
			if (opt == OPT_IPFIX_DOMAIN)
				cfg->ipfix_domain = (uint32_t)v;
			else
				cfg->ipfix_pen = (uint32_t)v;
			break;
		case OPT_IPFIX_MTU:
			if (sp_config_uint(optarg, 576, 65535, &v) != 0)
				return sp_config_err(err, errlen, "--ipfix-mtu: '%s' is not in 576..65535",
						     optarg);
			cfg->ipfix_mtu = (uint16_t)v;
			break;
		case OPT_IPFIX_REFRESH:
		case OPT_IPFIX_ROTATE_TIME:
			if (sp_config_uint(optarg, 1, 86400 * 7, &v) != 0)
				return sp_config_err(err, errlen, "%s: '%s' is not a number of seconds",
						     name, optarg);
			if (opt == OPT_IPFIX_REFRESH)
				cfg->ipfix_refresh_s = (uint32_t)v;
			else
				cfg->ipfix_rotate_s = (uint32_t)v;
			break;
		case OPT_IPFIX_BUFFER:
		case OPT_IPFIX_ROTATE_SIZE:
			if (sp_config_uint(optarg, 65536, UINT64_MAX, &v) != 0)
				return sp_config_err(err, errlen, "%s: '%s' is not a byte count >= 65536",
						     name, optarg);
			if (opt == OPT_IPFIX_BUFFER)
				cfg->ipfix_buffer = v;
			else
				cfg->ipfix_rotate_bytes = v;
			break;
		case OPT_IPFIX_RECONNECT: {
			unsigned int lo, hi;
			char tail;

			if (sscanf(optarg, "%u:%u%c", &lo, &hi, &tail) != 2 || lo == 0 || hi < lo)
				return sp_config_err(err, errlen, "--ipfix-reconnect: '%s' is not "
						     "MIN_MS:MAX_MS", optarg);
			cfg->ipfix_reconnect_min_ms = lo;
			cfg->ipfix_reconnect_max_ms = hi;
			break;
		}
		case OPT_IPFIX_RATE:
			if (sp_config_uint(optarg, 0, UINT32_MAX, &v) != 0)
				return sp_config_err(err, errlen, "--ipfix-rate: '%s' is not "
						     "records per second", optarg);
			cfg->ipfix_rate = (uint32_t)v;
			cfg->ipfix_rate_set = true;
			break;
		case OPT_PLUGIN_INFO:
			cfg->plugin_info = true;
			break;
		case OPT_IPFIX_ELEMENTS:
			if (strcmp(optarg, "xml") != 0 && strcmp(optarg, "csv") != 0 &&
			    strcmp(optarg, "iespec") != 0 && strcmp(optarg, "markdown") != 0)
				return sp_config_err(err, errlen, "--ipfix-elements: '%s' is not xml, csv, "
						     "iespec or markdown", optarg);
			cfg->ipfix_elements = optarg;
			break;
		case OPT_DPI_STATS:
			cfg->dpi_stats = true;
			break;
		case OPT_STARTUP_TIMES:
			cfg->startup_times = true;
			break;
		case OPT_PERF:
			if (sp_config_uint(optarg, 0, 86400, &v) != 0)
				return sp_config_err(err, errlen,
					"--performance-report: '%s' is not a number of seconds",
					optarg);
			cfg->performance_report = (unsigned int)v;
			break;
		case OPT_LRU:
			cfg->lru_idle_scan = true;
			break;
		case OPT_TELEMETRY:
			cfg->telemetry = true;
			break;
		case OPT_WORKERS:
			if (sp_config_uint(optarg, 1, SP_MAX_WORKERS, &v) != 0)
				return sp_config_err(err, errlen,
					"--workers: '%s' is not in 1..%d", optarg, SP_MAX_WORKERS);
			cfg->n_workers = (unsigned int)v;
			break;
		case OPT_NDPI_PROTOS:
			cfg->ndpi_protos = optarg;
			break;
		case OPT_NDPI_CATEGORIES:
			cfg->ndpi_categories = optarg;
			break;
		case OPT_NDPI_RISKS:
			cfg->ndpi_risks = true;
			break;
		case OPT_NDPI_EXTRA:
			cfg->ndpi_extra = true;
			break;
		case OPT_DISPATCH:
			cfg->dispatch = true;
			break;
		case OPT_PCAP_PMD:
			cfg->pcap_pmd = true;
			break;
		case OPT_NO_READ_AHEAD:
			cfg->no_read_ahead = true;
			break;
		case OPT_REPLAY_LOOPS:
			if (sp_config_uint(optarg, 1, UINT32_MAX, &v) != 0)
				return sp_config_err(err, errlen,
					"--replay-loops: '%s' is not in 1..%u", optarg, UINT32_MAX);
			cfg->replay_loops = v;
			break;
		case OPT_REPLAY_TIME:
			if (sp_config_uint(optarg, 1, 86400, &v) != 0)
				return sp_config_err(err, errlen,
					"--replay-time: '%s' is not a number of seconds in 1..86400",
					optarg);
			cfg->replay_ms = v * 1000;
			break;
		case OPT_NO_CSV:
			cfg->no_csv = true;
			break;
		case OPT_CSV_ANON:
			if (*optarg == '\0' || *optarg == ',' ||
			    optarg[strlen(optarg) - 1] == ',' || strstr(optarg, ",,") != NULL)
				return sp_config_err(err, errlen, "--csv-anonymize: '%s' is not a "
						     "comma-separated list of column names",
						     optarg);
			cfg->csv_anonymize = optarg;
			break;
		case OPT_CSV_ANON_KEY:
			if (*optarg == '\0')
				return sp_config_err(err, errlen,
						     "--csv-anonymize-key: empty file name");
			cfg->csv_anonymize_key = optarg;
			break;
		case OPT_CSV_FLOWS_PER_FILE:
			if (sp_config_uint(optarg, 0, UINT64_MAX, &v) != 0)
				return sp_config_err(err, errlen,
					"--csv-flows-per-file: '%s' is not a number >= 0", optarg);
			cfg->csv_flows_per_file = v;
			break;
		case OPT_CSV_ROTATE_FILES:
			if (sp_config_uint(optarg, 0, UINT32_MAX, &v) != 0)
				return sp_config_err(err, errlen,
					"--csv-rotate-files: '%s' is not a number >= 0", optarg);
			cfg->csv_rotate_files = (uint32_t)v;
			break;
		case OPT_FLUSH_INTERVAL:
			if (sp_config_uint(optarg, 1, 60000, &v) != 0)
				return sp_config_err(err, errlen,
					"--flush-interval: '%s' is not a number of ms in 1..60000",
					optarg);
			cfg->flush_interval_ms = (uint32_t)v;
			break;
		case OPT_PCAP_DIR:
		case OPT_OUT_DIR: {
			struct stat sb;

			if (*optarg == '\0')
				return sp_config_err(err, errlen, "%s: empty directory name", name);
			if (opt == OPT_OUT_DIR) {
				cfg->out_dir = optarg;
				break;
			}
			if (stat(optarg, &sb) != 0 || !S_ISDIR(sb.st_mode))
				return sp_config_err(err, errlen, "--pcap-dir %s: %s", optarg,
						     stat(optarg, &sb) != 0 ? strerror(errno) :
						     "not a directory");
			if (cfg->n_pcaps == SP_CONFIG_MAX_PCAPS)
				return sp_config_err(err, errlen, "--pcap: at most %d files",
						     SP_CONFIG_MAX_PCAPS);
			cfg->pcap_dir = optarg;
			cfg->pcaps[cfg->n_pcaps++] = optarg;
			break;
		}
		case OPT_OVERWRITE:
			cfg->overwrite = true;
			break;
		case OPT_HELP:
			sp_config_usage(argv[0]);
			return 1;
		case OPT_VERSION:
			printf("streamprobe %s\n", SP_VERSION);
			return 1;
		case ':':
			return sp_config_err(err, errlen, "%s: missing value",
					     optopt >= OPT_PCAP ? sp_config_optname(optopt) :
					     argv[optind - 1]);
		default:
			return sp_config_err(err, errlen, "unknown option '%s' (see --help)",
					     optind > 1 && optind <= argc ? argv[optind - 1] : "?");
		}
	}
	if (optind < argc)
		return sp_config_err(err, errlen, "unexpected argument '%s' (see --help)",
				     argv[optind]);
	if (cfg->ipfix_elements != NULL || cfg->plugin_info)
		return 0;	/* prints a list only: no input needed */
	ret = sp_config_check_batch(cfg, err, errlen);
	if (ret == 0 && cfg->out_dir == NULL)
		ret = sp_config_check_csv(cfg, err, errlen);
	if (ret != 0)
		return ret;
	if ((cfg->n_pcaps > 0) + (cfg->iface != NULL) + (cfg->port_id >= 0) != 1)
		return sp_config_err(err, errlen, cfg->n_pcaps == 0 && cfg->iface == NULL &&
				     cfg->port_id < 0 ?
				     "no input: give --pcap FILE, --iface NAME or --port ID "
				     "(see --help)" :
				     "--pcap, --iface and --port exclude each other");
	if (cfg->pcap_pmd && (cfg->n_pcaps == 0 || sp_config_replay(cfg)))
		return sp_config_err(err, errlen, "--pcap-pmd: %s", cfg->n_pcaps == 0 ?
				     "reads --pcap files only" :
				     "the replay reads the files itself, without the PMD");
	if (cfg->replay_loops != 0 && cfg->replay_ms != 0)
		return sp_config_err(err, errlen, "--replay-loops and --replay-time exclude each "
				     "other (a number of passes, or a time)");
	if (cfg->port_config != NULL && cfg->n_pcaps > 0)
		return sp_config_err(err, errlen, "--config: a port profile applies to --iface "
				     "and --port, not to --pcap");
	if (sp_config_check_outputs(cfg, err, errlen) != 0)
		return -EINVAL;
	if (sp_config_replay(cfg) && cfg->n_pcaps == 0)
		return sp_config_err(err, errlen, "%s: replays --pcap files only",
				     cfg->replay_loops != 0 ? "--replay-loops" : "--replay-time");
	/* NFStream ignores its live parameters for files; an option given
	 * for nothing is more likely a mistake */
	if (live_opt != NULL && cfg->n_pcaps > 0)
		return sp_config_err(err, errlen, "%s: live capture only (--iface, --port)",
				     live_opt);
	if (sockbuf_opt != NULL && cfg->iface == NULL)
		return sp_config_err(err, errlen, "%s: --iface only (a NIC's ring is the "
				     "rx_desc of its profile)", sockbuf_opt);
	if (cfg->n_pcaps == 0 && cfg->max_memory != 0)
		return sp_config_err(err, errlen, "--max-memory: reading files only (a live "
				     "table has the fixed capacity --max-flows gives)");
	if (cfg->max_flows_set && cfg->max_memory != 0)
		return sp_config_err(err, errlen, "--max-flows and --max-memory exclude each other "
				     "(a fixed capacity, or the memory it grows to)");
	/* Reading files, the tables grow up to the memory limit: no capacity
	 * default can change a file's flows (unless --max-flows fixes one). */
	if (cfg->n_pcaps > 0 && !cfg->max_flows_set && cfg->max_memory == 0)
		cfg->max_memory = sp_config_default_max_memory();
	if (cfg->n_pcaps == 0)
		cfg->lru_idle_scan = true;	/* live: expire by last-seen order */
	/* Their columns come from nDPI: asking for them with nDPI off is a
	 * mistake worth reporting rather than silently giving no column. */
	if (cfg->n_dissections == 0 && (cfg->ndpi_risks || cfg->ndpi_extra))
		return sp_config_err(err, errlen, "%s: needs nDPI (--n-dissections > 0)",
				     cfg->ndpi_risks ? "--ndpi-risks" : "--ndpi-extra");
	return 0;
}
