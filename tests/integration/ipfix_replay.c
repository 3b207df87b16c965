/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipfix_replay: feed the flows of a streamprobe (NFStream to_csv) CSV back
 * through lib/export, to IPFIX exporters and optionally to a CSV exporter,
 * so that the IPFIX output of real runs can be checked against their CSV
 * by independent collectors (tests/integration/test_ipfix.py).
 *
 *   ipfix_replay --csv-in flows.csv --ipfix URI [--ipfix URI ...] [options]
 *   ipfix_replay --elements xml|csv|iespec|md [--csv-in flows.csv] [--pen N]
 *
 * Each CSV row is parsed back into a struct sp_flow_record, column by
 * column through the export column registry (nDPI's columns registered by
 * the plugin loader, as in the probe, their values set through the
 * plugins' setters), so --csv-out writes the input
 * again byte for byte (the test checks it: the records are exactly what
 * the probe exported). The app's management loop is imitated: a flush of
 * every exporter every --flush-ms, and with --pace N:MS a pause of MS ms
 * after every N records. --stats prints each IPFIX exporter's counters as
 * one JSON line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_errno.h>

#include <sp_export.h>
#include "export_private.h"

#define MAX_URIS 8
#define LINE_MAX_LEN (1u << 20)
/* the built-in columns and nDPI's with every option */
#define MAX_FIELDS (SP_EXPORT_MAX_COLUMNS + SP_PLUGINS_DPI_MAX_COLUMNS)

/* nDPI's columns, when the CSV has them: the run the probe had */
static struct sp_plugins *plugins;
static struct sp_plugin_record *plugin_rec;

struct field {
	const char *s;	/* unquoted, unescaped text */
	size_t len;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Split one NFStream CSV line in place. Quoted fields have their quotes
 * removed and "\"" turned back into '"' (to_csv escapes quotes that way).
 */
static int
split_line(char *line, struct field *f, unsigned int max)
{
	char *p = line, *o;
	unsigned int n = 0;

	for (;;) {
		if (n == max)
			return -1;
		if (*p == '"') {
			o = ++p;
			f[n].s = o;
			while (*p != '\0' && *p != '"') {
				if (p[0] == '\\' && p[1] == '"')
					p++;
				*o++ = *p++;
			}
			if (*p != '"')
				return -1;
			f[n].len = (size_t)(o - f[n].s);
			p++;
		} else {
			f[n].s = p;
			while (*p != '\0' && *p != ',' && *p != '\n' && *p != '\r')
				p++;
			f[n].len = (size_t)(p - f[n].s);
		}
		n++;
		if (*p == ',') {
			*p++ = '\0';
			continue;
		}
		*p = '\0';
		return (int)n;
	}
}

static int
parse_list(const struct field *f, int64_t *out, unsigned int max)
{
	static char buf[LINE_MAX_LEN];
	char *p, *end;
	unsigned int n = 0;

	if (f->len + 1 > sizeof(buf) || f->len < 2 || f->s[0] != '[')
		return -1;
	memcpy(buf, f->s + 1, f->len - 1);
	buf[f->len - 2] = '\0';	/* drop ']' */
	p = buf;
	while (*p != '\0') {
		if (n == max)
			return -1;
		out[n++] = strtoll(p, &end, 10);
		if (end == p)
			return -1;
		p = end;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return (int)n;
}

/* A plugin column's value (nDPI's: strings and integers, never None). */
static int
parse_plugin(const struct sp_export_column *c, const struct field *f, const char *tmp,
	     struct sp_flow_record *r)
{
	const struct sp_plugins_column *all;
	unsigned int k, n;

	all = sp_plugins_columns(plugins, &n);
	k = (unsigned int)(c->plugin - all);
	sp_plugins_record_set_area(plugin_rec, sp_record_ext(r));
	switch (c->plugin->c.type) {
	case SP_PLUGIN_STRING:
		sp_plugin_set_string(plugin_rec, k, f->s, f->len);
		break;
	case SP_PLUGIN_INT:
		sp_plugin_set_int(plugin_rec, k, strtoll(tmp, NULL, 10));
		break;
	case SP_PLUGIN_UINT:
		sp_plugin_set_uint(plugin_rec, k, strtoull(tmp, NULL, 10));
		break;
	default:
		return -1;
	}
	return sp_plugins_record_cut(plugin_rec) == 0 && sp_plugins_record_bad(plugin_rec) == 0 ?
	       0 : -1;
}

static int
parse_value(const struct sp_export_column *c, const struct field *f, struct sp_flow_record *r)
{
	uint8_t *v = (uint8_t *)r + c->offset;
	char tmp[64];
	static int64_t list[65536];
	int n, i;

	if (c->type == SP_EXPORT_COLT_PLUGIN && c->plugin->c.type == SP_PLUGIN_STRING)
		return parse_plugin(c, f, NULL, r);
	if (c->type < SP_EXPORT_COLT_SPLT_DIR || c->type == SP_EXPORT_COLT_PLUGIN) {
		if (f->len >= sizeof(tmp))
			return -1;
		memcpy(tmp, f->s, f->len);
		tmp[f->len] = '\0';
	}
	switch (c->type) {
	case SP_EXPORT_COLT_U8:
		*v = (uint8_t)strtoul(tmp, NULL, 10);
		return 0;
	case SP_EXPORT_COLT_I8:
		*(int8_t *)v = (int8_t)strtol(tmp, NULL, 10);
		return 0;
	case SP_EXPORT_COLT_U16: {
		uint16_t w = (uint16_t)strtoul(tmp, NULL, 10);

		memcpy(v, &w, 2);
		return 0;
	}
	case SP_EXPORT_COLT_U64: {
		uint64_t w = strtoull(tmp, NULL, 10);

		memcpy(v, &w, 8);
		return 0;
	}
	case SP_EXPORT_COLT_F64: {
		double d = strtod(tmp, NULL);

		memcpy(v, &d, 8);
		return 0;
	}
	case SP_EXPORT_COLT_SRC_IP:
	case SP_EXPORT_COLT_DST_IP:
		memset(v, 0, 16);
		if (strchr(tmp, ':') != NULL)
			return inet_pton(AF_INET6, tmp, v) == 1 ? 0 : -1;
		return inet_pton(AF_INET, tmp, v) == 1 ? 0 : -1;
	case SP_EXPORT_COLT_MAC:
		return sscanf(tmp, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &v[0], &v[1], &v[2], &v[3],
			      &v[4], &v[5]) == 6 ? 0 : -1;
	case SP_EXPORT_COLT_OUI:
		return 0;	/* derived from the MAC */
	case SP_EXPORT_COLT_PLUGIN:
		return parse_plugin(c, f, tmp, r);
	case SP_EXPORT_COLT_SPLT_DIR:
	case SP_EXPORT_COLT_SPLT_PS:
	case SP_EXPORT_COLT_SPLT_PIAT:
		n = parse_list(f, list, RTE_DIM(list));
		if (n != r->splt_n)
			return -1;
		for (i = 0; i < n; i++) {
			if (c->type == SP_EXPORT_COLT_SPLT_DIR)
				sp_record_splt_direction(r)[i] = (int8_t)list[i];
			else if (c->type == SP_EXPORT_COLT_SPLT_PS)
				sp_record_splt_ps(r)[i] = (int32_t)list[i];
			else
				sp_record_splt_piat(r)[i] = list[i];
		}
		return 0;
	default:
		return -1;
	}
}

/* Column set of a header; the header must be exactly that set's columns. */
static int
columns_of_header(char *hdr, struct sp_columns *cols, const struct sp_export_column ***col,
		  unsigned int *ncol)
{
	struct field f[MAX_FIELDS + 1];
	const struct sp_export_column **sel;
	struct sp_plugins_params pp;
	int n = split_line(hdr, f, RTE_DIM(f));
	unsigned int i, k;
	char err[256];

	if (n <= 0)
		return -1;
	memset(cols, 0, sizeof(*cols));
	memset(&pp, 0, sizeof(pp));
	for (i = 0; i < (unsigned int)n; i++) {
		if (strcmp(f[i].s, "tunnel_id") == 0)
			cols->tunnel_id = true;
		else if (strcmp(f[i].s, "bidirectional_min_ps") == 0)
			cols->statistical = true;
		else if (strcmp(f[i].s, "splt_direction") == 0)
			cols->splt_n = 1;	/* length from the first row */
		else if (strcmp(f[i].s, "application_name") == 0)
			pp.dpi.n_dissections = 20;
		else if (strcmp(f[i].s, "application_risks") == 0)
			pp.dpi.risks = true;
		else if (strcmp(f[i].s, "dns_query_type") == 0)
			pp.dpi.extra = true;
	}
	plugins = sp_plugins_load_run(&pp, err, sizeof(err));
	if (plugins == NULL) {
		fprintf(stderr, "ipfix_replay: %s\n", err);
		return -1;
	}
	sp_export_columns_plugins(cols, plugins);
	plugin_rec = sp_plugins_record_new(cols->plugin_cols, cols->n_plugin_cols, NULL);
	sel = sp_export_columns_all(cols, &k);
	if (plugin_rec == NULL || sel == NULL || k != (unsigned int)n) {
		free(sel);
		return -1;
	}
	for (i = 0; i < k; i++)
		if (strcmp(sel[i]->name, f[i].s) != 0) {
			free(sel);
			return -1;
		}
	*col = sel;
	*ncol = k;
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: ipfix_replay --csv-in F [--ipfix URI]... [--csv-out F] [--stats]\n"
		"         [--domain N] [--pen N] [--mtu N] [--refresh-ms N] [--refresh-msgs N]\n"
		"         [--buffer BYTES] [--reconnect-min-ms N] [--reconnect-max-ms N]\n"
		"         [--linger-ms N] [--rotate-bytes N] [--rotate-s N]\n"
		"         [--flush-ms N] [--pace N:MS] [--repeat K]\n"
		"       ipfix_replay --elements xml|csv|iespec|md [--csv-in F] [--pen N]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "csv-in", required_argument, NULL, 'i' },
		{ "csv-out", required_argument, NULL, 'o' },
		{ "ipfix", required_argument, NULL, 'x' },
		{ "stats", no_argument, NULL, 's' },
		{ "domain", required_argument, NULL, 'd' },
		{ "pen", required_argument, NULL, 'p' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "refresh-ms", required_argument, NULL, 'r' },
		{ "refresh-msgs", required_argument, NULL, 'R' },
		{ "buffer", required_argument, NULL, 'b' },
		{ "reconnect-min-ms", required_argument, NULL, 'c' },
		{ "reconnect-max-ms", required_argument, NULL, 'C' },
		{ "linger-ms", required_argument, NULL, 'l' },
		{ "rotate-bytes", required_argument, NULL, 'B' },
		{ "rotate-s", required_argument, NULL, 'S' },
		{ "flush-ms", required_argument, NULL, 'f' },
		{ "pace", required_argument, NULL, 'P' },
		{ "repeat", required_argument, NULL, 'k' },
		{ "elements", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *in = NULL, *out = NULL, *uris[MAX_URIS], *elements = NULL;
	const struct sp_export_column **col = NULL;
	struct sp_exporter *ex[MAX_URIS], *csv = NULL;
	struct sp_ipfix_params p;
	struct sp_columns cols;
	struct sp_flow_record *rec = NULL;
	struct field *f = NULL;
	unsigned int nuris = 0, ncol = 0, i, pace_n = 0, pace_ms = 0, flush_ms = 100, repeat = 1;
	uint64_t rows = 0, id, last_flush, nrec = 0;
	bool stats = false;
	char *line = NULL;
	FILE *fp = NULL;
	int opt, rc = 1, ret;
	unsigned int rep;

	memset(&p, 0, sizeof(p));
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case 'x':
			if (nuris == MAX_URIS)
				return 2;
			uris[nuris++] = optarg;
			break;
		case 's': stats = true; break;
		case 'd': p.domain_id = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'p': p.pen = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'm': p.mtu = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'r': p.template_refresh_ms = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'R': p.template_refresh_msgs = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'b': p.buffer_size = strtoull(optarg, NULL, 0); break;
		case 'c': p.reconnect_min_ms = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'C': p.reconnect_max_ms = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'l': p.linger_ms = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'B': p.rotate_bytes = strtoull(optarg, NULL, 0); break;
		case 'S': p.rotate_s = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'f': flush_ms = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'P':
			if (sscanf(optarg, "%u:%u", &pace_n, &pace_ms) != 2)
				return 2;
			break;
		case 'k': repeat = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'e': elements = optarg; break;
		default:
			usage();
			return 2;
		}
	}
	line = malloc(LINE_MAX_LEN);
	f = calloc(MAX_FIELDS + 1, sizeof(*f));
	if (line == NULL || f == NULL)
		goto out;
	memset(&cols, 0, sizeof(cols));
	if (in != NULL) {
		fp = fopen(in, "r");
		if (fp == NULL) {
			fprintf(stderr, "ipfix_replay: %s: %s\n", in, strerror(errno));
			goto out;
		}
		if (fgets(line, LINE_MAX_LEN, fp) == NULL) {
			fprintf(stderr, "ipfix_replay: %s: empty\n", in);
			goto out;
		}
		if (columns_of_header(line, &cols, &col, &ncol) != 0) {
			fprintf(stderr, "ipfix_replay: %s: not a streamprobe CSV header\n", in);
			goto out;
		}
	}
	if (elements != NULL) {
		static const char *const names[] = { "xml", "csv", "iespec", "md" };

		for (i = 0; i < RTE_DIM(names); i++)
			if (strcmp(elements, names[i]) == 0)
				break;
		if (i == RTE_DIM(names)) {
			usage();
			rc = 2;
			goto out;
		}
		if (in == NULL) {
			/* every column a run can have: all groups, nDPI with
			 * every option (its columns a run's plugin columns) */
			struct sp_plugins_params pp;
			char err[256];

			memset(&pp, 0, sizeof(pp));
			pp.dpi.n_dissections = 20;
			pp.dpi.risks = true;
			pp.dpi.extra = true;
			plugins = sp_plugins_load_run(&pp, err, sizeof(err));
			if (plugins == NULL) {
				fprintf(stderr, "ipfix_replay: %s\n", err);
				goto out;
			}
			cols.tunnel_id = true;
			cols.statistical = true;
			cols.splt_n = 1;
			sp_export_columns_plugins(&cols, plugins);
		}
		ret = sp_export_ipfix_elements(stdout, (enum sp_ipfix_elements_format)i, &cols,
					       p.pen);
		rc = ret == 0 ? 0 : 1;
		goto out;
	}
	if (in == NULL) {
		usage();
		rc = 2;
		goto out;
	}
	/* The SPLT length is the first row's list length. */
	if (cols.splt_n != 0) {
		long pos = ftell(fp);
		struct field *fd = NULL;
		static int64_t tmp[65536];

		if (fgets(line, LINE_MAX_LEN, fp) != NULL &&
		    split_line(line, f, MAX_FIELDS + 1) == (int)ncol) {
			for (i = 0; i < ncol; i++)
				if (col[i]->type == SP_EXPORT_COLT_SPLT_DIR)
					fd = &f[i];
			if (fd != NULL) {
				int n = parse_list(fd, tmp, RTE_DIM(tmp));

				cols.splt_n = n > 0 ? (uint16_t)n : 0;
			}
		}
		fseek(fp, pos, SEEK_SET);
	}
	rec = calloc(1, sp_record_size_ext(cols.splt_n, sp_plugins_area_size(plugins)));
	if (rec == NULL)
		goto out;
	for (i = 0; i < nuris; i++) {
		ex[i] = sp_export_ipfix_open(uris[i], &cols, &p);
		if (ex[i] == NULL) {
			fprintf(stderr, "ipfix_replay: %s: %s\n", uris[i], strerror(rte_errno));
			nuris = i;
			goto out;
		}
	}
	if (out != NULL) {
		csv = sp_export_csv_open(out, &cols);
		if (csv == NULL) {
			fprintf(stderr, "ipfix_replay: %s: %s\n", out, strerror(rte_errno));
			goto out;
		}
	}
	last_flush = now_ms();
	id = 0;
	for (rep = 0; rep < repeat; rep++) {
		long start = ftell(fp);

		while (fgets(line, LINE_MAX_LEN, fp) != NULL) {
			int n;

			n = split_line(line, f, MAX_FIELDS + 1);
			if (n != (int)ncol) {
				fprintf(stderr, "ipfix_replay: row %" PRIu64
					": %d fields, want %u\n", rows + 1, n, ncol);
				goto out;
			}
			memset(rec, 0, sp_record_size_ext(cols.splt_n,
							  sp_plugins_area_size(plugins)));
			rec->splt_n = cols.splt_n;
			for (i = 0; i < ncol; i++) {
				if (parse_value(col[i], &f[i], rec) != 0) {
					fprintf(stderr, "ipfix_replay: row %" PRIu64
						": bad %s\n", rows + 1, col[i]->name);
					goto out;
				}
			}
			/*
			 * The CSV has no tcpControlBits: the OR of each direction's
			 * flags follows from the counters when they are there.
			 */
			if (cols.statistical)
				for (i = 0; i < 8; i++) {
					static const uint8_t bit[8] = { 0x02, 0x80, 0x40, 0x20,
									0x10, 0x08, 0x04, 0x01 };

					if (rec->flags[SP_S2D][i] != 0)
						rec->st.tcp_flags[0] |= bit[i];
					if (rec->flags[SP_D2S][i] != 0)
						rec->st.tcp_flags[1] |= bit[i];
				}
			rows++;
			if (repeat > 1)
				rec->id = id;
			id++;
			for (i = 0; i < nuris; i++)
				if (sp_export_write(ex[i], rec) != 0)
					fprintf(stderr, "ipfix_replay: %s: write failed\n",
						uris[i]);
			if (csv != NULL && sp_export_write(csv, rec) != 0)
				goto out;
			nrec++;
			if (flush_ms != 0 && now_ms() - last_flush >= flush_ms) {
				for (i = 0; i < nuris; i++)
					sp_export_flush(ex[i]);
				last_flush = now_ms();
			}
			if (pace_n != 0 && nrec % pace_n == 0) {
				for (i = 0; i < nuris; i++)
					sp_export_flush(ex[i]);
				usleep(pace_ms * 1000u);
			}
		}
		if (rep + 1 < repeat)
			fseek(fp, start, SEEK_SET);
	}
	rc = 0;
out:
	for (i = 0; i < nuris; i++) {
		struct sp_ipfix_stats st;

		/* The final counters include what close() could not deliver. */
		ret = sp_export_ipfix_close(ex[i], &st);
		if (ret != 0) {
			fprintf(stderr, "ipfix_replay: %s: %s\n", uris[i], strerror(-ret));
			rc = 1;
		}
		if (stats)
			printf("{\"uri\": \"%s\", \"rows\": %" PRIu64 ", \"records\": %" PRIu64
			       ", \"records_dropped\": %" PRIu64 ", \"messages\": %" PRIu64
			       ", \"messages_dropped\": %" PRIu64 ", \"bytes\": %" PRIu64
			       ", \"template_sends\": %" PRIu64 ", \"oversize\": %" PRIu64
			       ", \"connects\": %" PRIu64 ", \"disconnects\": %" PRIu64
			       ", \"resent_messages\": %" PRIu64 ", \"files\": %" PRIu64 "}\n",
			       uris[i], rows, st.records, st.records_dropped, st.messages,
			       st.messages_dropped, st.bytes, st.template_sends, st.oversize,
			       st.connects, st.disconnects, st.resent_messages, st.files);
	}
	if (csv != NULL && sp_export_close(csv) != 0)
		rc = 1;
	if (fp != NULL)
		fclose(fp);
	free(rec);
	free(f);
	free(line);
	free(col);
	if (plugin_rec != NULL)
		sp_plugins_record_free(plugin_rec);
	sp_plugins_unload(plugins);
	return rc;
}
