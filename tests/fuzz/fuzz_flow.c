/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: a packet sequence through the worker (parse, clock, flow
 * table, expiry, features, nDPI and the shipped dhcp, mdns and ja4 plugins),
 * each finished record encoded to CSV and to IPFIX (a file exporter) in
 * memory files.
 *
 * Input: records of a 5-byte header and a frame:
 *   u16 caplen (little endian; cut to what is left of the input)
 *   u16 time step (LE): bit 15 clear, 0..32767 ms; set, 0..32767 s
 *       (so idle and active timeouts and the scan happen)
 *   u8  link type (low 4 bits, index of fuzz_dlts[]); bit 4 of the first
 *       record's set: the input runs with tunnels not decoded; extra wire
 *       bytes (bits 5..7 times 512: frames cut by a snapshot length)
 * Frames beyond an mbuf's room come as chains, as the readers make them.
 *
 * Creating a worker costs more than most inputs (nDPI's per-worker module):
 * two workers, one per tunnel setting, live for the whole run. An input
 * ends with a flush that empties the table, and the next one starts a day
 * after the last packet of the previous, so each finds an empty table and a
 * clock with nothing to expire (only nDPI's per-worker caches carry over).
 *
 * What must hold: every packet lands in one counter (accounting), every
 * flow created is exported once the input is flushed, each record is one
 * CSV row (quote-aware count) and one IPFIX data record, and the IPFIX
 * file is a sequence of well-formed messages.
 */
#define _GNU_SOURCE	/* memfd_create() */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <sp_config.h>
#include <sp_export.h>
#include <sp_plugins.h>
#include <sp_worker.h>

#include "fuzz.h"

#define T0 1700000000000ull
#define BURST 8
#define SEG 2048u		/* data room of the pool's mbufs */
#define HDR 5u

static struct rte_mempool *pool;
static struct sp_plugins *plugins;
static struct sp_config cfg[2];	/* [decode_tunnels] */
static struct sp_columns cols[2];
static struct sp_worker *workers[2];
static uint64_t t_next = T0;
static int csv_fd = -1, ipfix_fd = -1;
static char csv_path[64], ipfix_path[80];

static const char *const plugin_specs[] = { "dhcp", "mdns", "ja4" };

static int
memfd(char *path, size_t len, const char *prefix)
{
	int fd = memfd_create("sp_fuzz_out", 0);

	if (fd < 0)
		fuzz_fail("flow", "memfd_create failed");
	snprintf(path, len, "%s/proc/self/fd/%d", prefix, fd);
	return fd;
}

/* At exit, before the EAL goes: the workers' nDPI state hangs off DPDK
 * memory, which LeakSanitizer does not scan, so left alone it is a leak. */
static void
fuzz_flow_cleanup(void)
{
	sp_worker_free(workers[0]);
	sp_worker_free(workers[1]);
	sp_plugins_unload(plugins);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sp_worker_params wp;
	char err[512];
	unsigned int i, k;

	(void)argc;
	(void)argv;
	plugins = sp_plugins_load_run(&(struct sp_plugins_params){
		.specs = plugin_specs, .n_specs = RTE_DIM(plugin_specs),
		.dpi = { .n_dissections = 20, .risks = true, .extra = true } },
		err, sizeof(err));
	if (plugins == NULL) {
		fprintf(stderr, "streamprobe: fuzz flow: %s\n", err);
		abort();
	}
	fuzz_eal_init("fuzz_flow", 512);
	pool = rte_pktmbuf_pool_create("fuzz_mbufs", 1023, 0, 0, SEG + RTE_PKTMBUF_HEADROOM,
				       SOCKET_ID_ANY);
	if (pool == NULL)
		fuzz_fail("flow", "no mbuf pool");
	for (k = 0; k < 2; k++) {
		sp_config_defaults(&cfg[k]);
		cfg[k].max_flows = 512;	/* small: a full table (offline eviction) is reachable */
		cfg[k].statistical = true;
		cfg[k].splt_n = 8;
		cfg[k].n_dissections = 20;
		cfg[k].ndpi_risks = true;
		cfg[k].ndpi_extra = true;
		cfg[k].decode_tunnels = k;
		cfg[k].record_ext_size = sp_plugins_area_size(plugins);
		cols[k].tunnel_id = k;
		cols[k].statistical = true;
		cols[k].splt_n = cfg[k].splt_n;
		sp_export_columns_plugins(&cols[k], plugins);
		memset(&wp, 0, sizeof(wp));
		wp.cfg = &cfg[k];
		wp.id = k;
		wp.socket_id = SOCKET_ID_ANY;
		wp.lossless = true;
		for (i = 0; i < sp_plugins_n_hooks(plugins); i++)
			wp.hooks[wp.n_hooks++] = sp_plugins_hook(plugins, i);
		workers[k] = sp_worker_create(&wp);
		if (workers[k] == NULL)
			fuzz_fail("flow", "worker not created");
	}
	atexit(fuzz_flow_cleanup);
	csv_fd = memfd(csv_path, sizeof(csv_path), "");
	ipfix_fd = memfd(ipfix_path, sizeof(ipfix_path), "file:");
	return 0;
}

/* The frame as an mbuf chain of SEG-byte segments. */
static struct rte_mbuf *
frame_mbuf(const uint8_t *p, uint32_t len)
{
	struct rte_mbuf *head = NULL, *m;
	uint32_t off = 0;

	do {
		uint16_t n = (uint16_t)RTE_MIN(len - off, SEG);

		m = rte_pktmbuf_alloc(pool);
		if (m == NULL)
			fuzz_fail("flow", "mbuf pool exhausted");
		memcpy(rte_pktmbuf_append(m, n), p + off, n);
		off += n;
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) != 0)
			fuzz_fail("flow", "chain too long");
	} while (off < len);
	return head;
}

/* Records waiting on the export ring: to both exporters, then back. */
static uint64_t
drain(struct sp_worker *w, struct sp_exporter *csv, struct sp_exporter *ipfix, uint64_t *id)
{
	uint64_t n = 0;
	void *obj;

	while (rte_ring_sc_dequeue(sp_worker_export_ring(w), &obj) == 0) {
		struct sp_flow_record *r = obj;

		r->id = (*id)++;
		if (sp_export_write(csv, r) != 0 || sp_export_write(ipfix, r) != 0)
			fuzz_fail("flow", "an exporter refused a record");
		rte_mempool_put(sp_worker_record_pool(w), obj);
		n++;
	}
	return n;
}

/* Rows of a CSV text: line ends outside double quotes. */
static uint64_t
csv_rows(const char *s, size_t len)
{
	uint64_t rows = 0;
	bool quoted = false;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (s[i] == '\n' && !quoted)
			rows++;
	}
	if (quoted || (len > 0 && s[len - 1] != '\n'))
		fuzz_fail("flow", "CSV ends inside quotes or mid-line");
	return rows;
}

static char *
slurp_fd(int fd, size_t *len)
{
	struct stat sb;
	char *buf;

	if (fstat(fd, &sb) != 0)
		fuzz_fail("flow", "fstat");
	buf = malloc((size_t)sb.st_size + 1);
	if (buf == NULL || pread(fd, buf, (size_t)sb.st_size, 0) != sb.st_size)
		fuzz_fail("flow", "reading an output back");
	*len = (size_t)sb.st_size;
	return buf;
}

/* The IPFIX file: messages of version 10, each at least a header long,
 * back to back to the file's end. Returns the number of messages. */
static uint64_t
ipfix_messages(const uint8_t *p, size_t len)
{
	uint64_t n = 0;
	size_t off = 0;

	while (off < len) {
		unsigned int v, l;

		if (len - off < 16)
			fuzz_fail("flow", "IPFIX file ends inside a message header");
		v = (unsigned int)p[off] << 8 | p[off + 1];
		l = (unsigned int)p[off + 2] << 8 | p[off + 3];
		if (v != 10 || l < 16 || l > len - off)
			fuzz_fail("flow", "IPFIX message with a bad version or length");
		off += l;
		n++;
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_worker_stats st0, st;
	struct sp_ipfix_stats ist;
	struct sp_exporter *csv, *ipfix;
	struct rte_mbuf *burst[BURST];
	struct sp_rx_info info[BURST];
	uint64_t t = t_next, id = 1, exported = 0, accounted, rows;
	struct sp_worker *w;
	unsigned int nb = 0, i, k;
	size_t off = 0, len;
	char *out;

	if (ftruncate(csv_fd, 0) != 0 || ftruncate(ipfix_fd, 0) != 0)
		fuzz_fail("flow", "ftruncate");
	k = size < HDR || (data[4] & 0x10) == 0;	/* decode tunnels (the default) */
	w = workers[k];
	sp_worker_get_stats(w, &st0);
	csv = sp_export_csv_open(csv_path, &cols[k]);
	ipfix = sp_export_ipfix_open(ipfix_path, &cols[k], &(struct sp_ipfix_params){ 0 });
	if (csv == NULL || ipfix == NULL)
		fuzz_fail("flow", "exporters not created");

	while (size - off >= HDR) {
		const uint8_t *h = data + off;
		uint32_t caplen = (uint32_t)(h[0] | h[1] << 8);
		uint16_t step = (uint16_t)(h[2] | h[3] << 8);

		off += HDR;
		caplen = (uint32_t)RTE_MIN((size_t)caplen, size - off);
		if (caplen == 0)
			continue;	/* no reader hands out an empty frame */
		t += (step & 0x8000) ? (uint64_t)(step & 0x7fff) * 1000 : step;
		burst[nb] = frame_mbuf(data + off, caplen);
		info[nb] = (struct sp_rx_info){ .ts_ms = t, .wire_len = caplen + (h[4] >> 5) * 512u,
						.dlt = fuzz_dlts[(h[4] & 0xf) % fuzz_n_dlts] };
		off += caplen;
		if (++nb == BURST) {
			sp_worker_process_burst(w, burst, info, nb);
			nb = 0;
			exported += drain(w, csv, ipfix, &id);
		}
	}
	if (nb > 0)
		sp_worker_process_burst(w, burst, info, nb);
	sp_worker_flush(w);
	exported += drain(w, csv, ipfix, &id);
	t_next = t + 86400000;
	sp_worker_get_stats(w, &st);

	/* this input's share of the worker's counters */
	accounted = (st.in_flows - st0.in_flows) + (st.filtered - st0.filtered) +
		    (st.dropped_table_full - st0.dropped_table_full);
	for (i = 1; i < SP_PARSE_RESULTS; i++)
		accounted += st.ignored[i] - st0.ignored[i];
	if (accounted != st.packets - st0.packets)
		fuzz_fail("flow", "packets not accounted: in_flows + ignored + dropped != packets");
	if (st.flows_created - st0.flows_created != exported ||
	    st.flows_exported - st0.flows_exported != exported ||
	    st.records_dropped != st0.records_dropped || st.flows_active != 0)
		fuzz_fail("flow", "flows created and records exported differ");
	if (sp_export_close(csv) != 0 || sp_export_ipfix_close(ipfix, &ist) != 0)
		fuzz_fail("flow", "an exporter failed to close");
	if (ist.records != exported || ist.records_dropped != 0)
		fuzz_fail("flow", "IPFIX records differ from the records exported");

	out = slurp_fd(csv_fd, &len);
	rows = csv_rows(out, len);
	free(out);
	if (rows != exported + 1)
		fuzz_fail("flow", "CSV rows differ from header + records exported");
	out = slurp_fd(ipfix_fd, &len);
	if (ipfix_messages((const uint8_t *)out, len) == 0)
		fuzz_fail("flow", "IPFIX file without a message (templates)");
	free(out);
	return 0;
}
