/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exporter throughput on one core: flow records per second through the CSV
 * exporter and the IPFIX exporter (file, UDP and TCP), for the core column
 * set and the full one (statistics, SPLT 10, application columns). When
 * built with libfixbuf, the same full IPFIX records are also encoded with
 * libfixbuf (into a buffer exporter, so without any I/O at all), which is
 * the measurement that decided against it.
 *
 *   bench_export [records]        (default 1000000 per case)
 *
 * Output sinks cost as little as possible: /dev/null for files, a UDP
 * socket nobody reads, a TCP peer (a child process) that reads and drops.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_errno.h>

#include <sp_export.h>
#include "ipfix_private.h"

#ifdef SP_BENCH_FIXBUF
#include <fixbuf/public.h>
#endif

#define NREC_POOL 1024	/* distinct records cycled through */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* nDPI's columns as a run with nDPI has them: its nine, the first plugin columns. */
static struct sp_plugins *ndpi;
static struct sp_columns full = { .tunnel_id = true, .statistical = true, .splt_n = 10 };

static void
set_str(struct sp_plugin_record *v, unsigned int col, const char *s)
{
	sp_plugin_set_string(v, col, s, strlen(s));
}

/* Records that look like real ones: a mix of v4 and v6, TLS/HTTP/DNS strings. */
static struct sp_flow_record **
make_records(uint16_t splt_n)
{
	static const char *const names[] = {
		"TLS.Google", "HTTP", "DNS.Microsoft", "QUIC.YouTube",
	};
	static const char *const cats[] = { "Web", "Web", "Network", "Media" };
	static const char *const sni[] = { "www.google.com", "example.org",
					   "login.live.com", "rr3---sn-4g5e6nzz.googlevideo.com" };
	struct sp_flow_record **r = calloc(NREC_POOL, sizeof(*r));
	struct sp_plugin_record *v;
	unsigned int i, s, k;

	v = sp_plugins_record_new(full.plugin_cols, full.n_plugin_cols, NULL);
	if (r == NULL || v == NULL)
		return NULL;
	for (i = 0; i < NREC_POOL; i++) {
		struct sp_flow_record *x = calloc(1, sp_record_size_ext(splt_n,
							sp_plugins_area_size(ndpi)));

		if (x == NULL)
			return NULL;
		r[i] = x;
		x->splt_n = splt_n;	/* first: the plugin area follows the SPLT arrays */
		sp_plugins_record_set_area(v, sp_record_ext(x));
		x->id = i;
		x->expiration_id = (int8_t)(i % 3 == 2 ? 1 : 0);
		x->st.ip_version = i % 5 == 0 ? 6 : 4;
		if (x->st.ip_version == 4) {
			uint32_t a = htonl(0x0a000000u + i), b = htonl(0xc6336400u + (i & 0xff));

			memcpy(x->st.src_ip, &a, 4);
			memcpy(x->st.dst_ip, &b, 4);
		} else {
			inet_pton(AF_INET6, "2001:db8::1", x->st.src_ip);
			inet_pton(AF_INET6, "2001:db8:5::53", x->st.dst_ip);
			x->st.src_ip[15] = (uint8_t)i;
		}
		x->st.src_port = (uint16_t)(30000 + i);
		x->st.dst_port = i % 4 == 2 ? 53 : 443;
		x->st.protocol = i % 4 == 2 ? 17 : 6;
		x->st.vlan_id = (uint16_t)(i % 7);
		for (k = 0; k < 6; k++) {
			x->st.src_mac[k] = (uint8_t)(i + k);
			x->st.dst_mac[k] = (uint8_t)(0x50 + k);
		}
		for (s = 0; s < SP_SCOPES; s++) {
			x->st.first_seen_ms[s] = 1704067200000ull + i;
			x->st.last_seen_ms[s] = 1704067200000ull + i + 1500 + s;
			x->st.packets[s] = 10 + i % 50 + s;
			x->st.bytes[s] = 1500 * (10 + i % 50) + s;
			x->duration_ms[s] = 1500 + s;
			x->min_ps[s] = 60;
			x->max_ps[s] = 1514;
			x->mean_ps[s] = 734.25 + i;
			x->stddev_ps[s] = 611.0 / (s + 3);
			x->min_piat_ms[s] = 0;
			x->max_piat_ms[s] = 900 + s;
			x->mean_piat_ms[s] = 36.5 + s;
			x->stddev_piat_ms[s] = 120.0 / (i + 1);
			for (k = 0; k < 8; k++)
				x->flags[s][k] = (i + k + s) % 11;
		}
		/* nDPI's columns in its order (sp_dpi_columns()), every one set */
		set_str(v, 0, names[i % 4]);
		set_str(v, 1, cats[i % 4]);
		sp_plugin_set_uint(v, 2, 0);
		sp_plugin_set_uint(v, 3, 6);
		set_str(v, 4, sni[i % 4]);
		set_str(v, 5, i % 4 == 0 || i % 4 == 3 ? "cd08e31494f9531f560d64c695473da9" : "");
		set_str(v, 6, i % 4 == 0 || i % 4 == 3 ? "f4febc55ea12b31ae17cfb7e614afda8" : "");
		set_str(v, 7, i % 4 == 1 ? "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) "
			"Gecko/20100101 Firefox/115.0" : "");
		set_str(v, 8, i % 4 == 1 ? "text/html" : "");
		for (k = 0; k < splt_n; k++) {
			sp_record_splt_direction(x)[k] = (int8_t)(k & 1);
			sp_record_splt_ps(x)[k] = (int32_t)(60 + 100 * k);
			sp_record_splt_piat(x)[k] = k == 0 ? 0 : (int64_t)(k * 3);
		}
	}
	sp_plugins_record_free(v);
	return r;
}

static void
free_records(struct sp_flow_record **r)
{
	unsigned int i;

	for (i = 0; r != NULL && i < NREC_POOL; i++)
		free(r[i]);
	free(r);
}

/* Time n writes through an exporter, the final flush and close included. */
static int
run(const char *label, struct sp_exporter *e, struct sp_flow_record **r, uint64_t n)
{
	struct sp_ipfix_stats st;
	bool ipfix = false;
	double t0, dt;
	uint64_t i;
	int ret;

	if (e == NULL) {
		fprintf(stderr, "bench_export: %s: open failed: %s\n", label,
			strerror(rte_errno));
		return -1;
	}
	t0 = now_s();
	for (i = 0; i < n; i++) {
		if (sp_export_write(e, r[i % NREC_POOL]) != 0) {
			fprintf(stderr, "bench_export: %s: write failed\n", label);
			sp_export_close(e);
			return -1;
		}
		/* The app flushes on a timer; once per 64 Ki records is close to 10/s. */
		if ((i & 0xffff) == 0xffff)
			sp_export_flush(e);
	}
	if (strncmp(label, "ipfix", 5) == 0) {
		ipfix = true;
		ret = sp_export_ipfix_close(e, &st);
	} else {
		ret = sp_export_close(e);
	}
	dt = now_s() - t0;
	printf("%-28s %9.0f records/s  (%" PRIu64 " in %.3f s)", label, (double)n / dt, n, dt);
	if (ipfix)
		printf("  %.1f B/record, %" PRIu64 " messages, %" PRIu64 " records dropped",
		       (double)st.bytes / (double)n, st.messages, st.records_dropped);
	printf("\n");
	return ret == 0 ? 0 : -1;
}

/* A TCP collector that reads and throws away; returns its port. */
static int
tcp_sink(pid_t *child)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (ls < 0)
		return -1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ls, 4) != 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &al) != 0) {
		close(ls);
		return -1;
	}
	*child = fork();
	if (*child == 0) {
		static char buf[1 << 16];

		for (;;) {
			int c = accept(ls, NULL, NULL);

			if (c < 0)
				_exit(0);
			while (read(c, buf, sizeof(buf)) > 0)
				;
			close(c);
		}
	}
	close(ls);
	return ntohs(a.sin_port);
}

/* A UDP socket bound and never read: datagrams are dropped by its full queue. */
static int
udp_sink(int *fd)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	*fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(*fd, (struct sockaddr *)&a, &al) != 0)
		return -1;
	return ntohs(a.sin_port);
}

#ifdef SP_BENCH_FIXBUF
/*
 * The full IPFIX record of this exporter, encoded by libfixbuf instead: the
 * same elements (our XML loaded into its model), the record copied into
 * libfixbuf's in-memory layout (varfields, basicLists), fBufAppend()
 * into a buffer exporter. No I/O: this is libfixbuf's encoding cost alone.
 */
static int
run_fixbuf(const struct sp_columns *cols, struct sp_flow_record **r, uint64_t n)
{
	struct sp_ipfix_field f[SP_IPFIX_MAX_FIELDS];
	const fbInfoElement_t *item[SP_IPFIX_MAX_FIELDS];
	fbInfoModel_t *m = fbInfoModelAlloc();
	fbTemplate_t *t = fbTemplateAlloc(m);
	static uint8_t out[65535];
	GError *err = NULL;
	fbSession_t *s;
	fbExporter_t *x;
	fBuf_t *b;
	char *xml = NULL;
	size_t xml_len = 0, off, rl;
	FILE *mf = open_memstream(&xml, &xml_len);
	unsigned int nf, i;
	uint8_t *rec;
	double t0, dt;
	uint64_t k;

	if (mf == NULL || sp_export_ipfix_elements(mf, SP_IPFIX_ELEMENTS_XML, cols, 0) != 0)
		return -1;
	fclose(mf);
	if (!fbInfoModelReadXMLData(m, xml, (gssize)xml_len, &err)) {
		fprintf(stderr, "libfixbuf: our XML: %s\n", err->message);
		return -1;
	}
	free(xml);
	nf = sp_ipfix_fields(cols, false, SP_IPFIX_PEN_DEFAULT, f);
	for (i = 0; i < nf; i++) {
		fbInfoElementSpec_t spec = { f[i].ie.name, f[i].ie.len, 0 };

		if (!fbTemplateAppendSpec(t, &spec, 0, &err)) {
			fprintf(stderr, "libfixbuf: %s: %s\n", f[i].ie.name, err->message);
			return -1;
		}
		item[i] = f[i].ie.type == SP_IPFIX_T_BASICLIST ?
			  fbInfoModelGetElementByName(m, f[i].item.name) : NULL;
	}
	rl = fbTemplateGetIELenOfMemBuffer(t);
	rec = calloc(1, rl);
	s = fbSessionAlloc(m);
	x = fbExporterAllocBuffer(out, sizeof(out));
	if (rec == NULL || !fbSessionAddTemplate(s, TRUE, 256, t, &err) ||
	    !fbSessionAddTemplate(s, FALSE, 256, t, &err))
		goto fail;
	b = fBufAllocForExport(s, x);
	fBufSetAutomaticMode(b, FALSE);
	/* In manual mode the template export ends the message (FB_ERROR_EOM). */
	if (!fbSessionExportTemplates(s, &err))
		g_clear_error(&err);
	if (!fBufEmit(b, &err) || !fBufSetInternalTemplate(b, 256, &err) ||
	    !fBufSetExportTemplate(b, 256, &err))
		goto fail;
	t0 = now_s();
	for (k = 0; k < n; k++) {
		const struct sp_flow_record *fr = r[k % NREC_POOL];
		const uint8_t *base = (const uint8_t *)fr;

		if (fr->st.ip_version != 4)
			fr = r[(k + 1) % NREC_POOL];	/* one template here: IPv4 records */
		base = (const uint8_t *)fr;
		off = 0;
		for (i = 0; i < nf; i++) {
			const uint8_t *v = base + f[i].col->offset;

			switch (f[i].ie.type) {
			case SP_IPFIX_T_STRING: {
				fbVarfield_t vf = { strnlen((const char *)v, f[i].col->size),
						    (uint8_t *)(uintptr_t)v };

				memcpy(rec + off, &vf, sizeof(vf));
				off += sizeof(vf);
				break;
			}
			case SP_IPFIX_T_BASICLIST: {
				fbBasicList_t *bl = (fbBasicList_t *)(rec + off);
				uint8_t *d = f[i].enc == SP_IPFIX_ENC_LIST_I8 ?
					(uint8_t *)sp_record_splt_direction(fr) :
					f[i].enc == SP_IPFIX_ENC_LIST_I32 ?
					(uint8_t *)sp_record_splt_ps(fr) :
					(uint8_t *)sp_record_splt_piat(fr);

				fbBasicListInitWithOwnBuffer(bl, SP_IPFIX_LIST_ORDERED, item[i],
							     fr->splt_n, (uint16_t)(fr->splt_n *
							     f[i].item.len), d);
				off += sizeof(fbBasicList_t);
				break;
			}
			case SP_IPFIX_T_IPV4: {
				uint32_t a;

				memcpy(&a, v, 4);
				a = ntohl(a);
				memcpy(rec + off, &a, 4);
				off += 4;
				break;
			}
			default:
				memcpy(rec + off, f[i].enc == SP_IPFIX_ENC_END_REASON ?
				       (const uint8_t *)"\x01" : v, f[i].ie.len);
				off += f[i].ie.len;
				break;
			}
		}
		if (!fBufAppend(b, rec, rl, &err)) {
			g_clear_error(&err);
			if (!fBufEmit(b, &err) || !fBufAppend(b, rec, rl, &err)) {
				fprintf(stderr, "libfixbuf: %s\n", err->message);
				return -1;
			}
		}
	}
	dt = now_s() - t0;
	printf("%-28s %9.0f records/s  (%" PRIu64 " in %.3f s, encoding only)\n",
	       "libfixbuf full (same IEs)", (double)n / dt, n, dt);
	fBufFree(b);
	fbInfoModelFree(m);
	free(rec);
	return 0;
fail:
	fprintf(stderr, "libfixbuf: %s\n", err != NULL ? err->message : "setup failed");
	return -1;
}
#endif

int
main(int argc, char **argv)
{
	struct sp_columns core = { .tunnel_id = true };
	struct sp_plugins_params pp = { .dpi = { .n_dissections = 20 } };
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 1000000;
	struct sp_flow_record **rc, **rf;
	char err[256];
	struct sp_ipfix_params jumbo = { .mtu = 9000 };
	char uri[64];
	pid_t child = -1;
	int port, ufd = -1, rcode = 0;

	ndpi = sp_plugins_load_run(&pp, err, sizeof(err));
	if (ndpi == NULL)
		return 1;
	sp_export_columns_plugins(&full, ndpi);
	rc = make_records(0);
	rf = make_records(10);
	if (rc == NULL || rf == NULL || n == 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	printf("exporter throughput, one core, %" PRIu64 " records per case\n", n);
	rcode |= run("csv core", sp_export_csv_open("/dev/null", &core), rc, n);
	rcode |= run("csv full", sp_export_csv_open("/dev/null", &full), rf, n);
	rcode |= run("ipfix file core", sp_export_ipfix_open("file:/dev/null", &core, NULL),
		     rc, n);
	rcode |= run("ipfix file full", sp_export_ipfix_open("file:/dev/null", &full, NULL),
		     rf, n);
	port = udp_sink(&ufd);
	if (port > 0) {
		snprintf(uri, sizeof(uri), "udp://127.0.0.1:%d", port);
		rcode |= run("ipfix udp full (mtu 1500)", sp_export_ipfix_open(uri, &full, NULL),
			     rf, n);
		rcode |= run("ipfix udp core (mtu 1500)", sp_export_ipfix_open(uri, &core, NULL),
			     rc, n);
		/*
		 * One full record per 1500-byte datagram: the kernel's cost per
		 * datagram bounds the rate; a jumbo frame carries 11.
		 */
		rcode |= run("ipfix udp full (mtu 9000)", sp_export_ipfix_open(uri, &full, &jumbo),
			     rf, n);
	}
	port = tcp_sink(&child);
	if (port > 0) {
		snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", port);
		rcode |= run("ipfix tcp full", sp_export_ipfix_open(uri, &full, NULL), rf, n);
	}
#ifdef SP_BENCH_FIXBUF
	rcode |= run_fixbuf(&full, rf, n);
#endif
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	if (ufd >= 0)
		close(ufd);
	free_records(rc);
	free_records(rf);
	return rcode != 0;
}
