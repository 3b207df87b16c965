/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sp-rss-split: a NIC's RSS without the NIC. Spreads Ethernet captures over
 * N per-queue pcap files as a port set up by a drivers-config profile
 * would spread them over N RX queues: the profile's Toeplitz key and hash
 * types (sp_port_rss_hash(), rte_thash), then the redirection table
 * sp_port_start() programs (sp_port_reta_queue()). Given to one net_pcap
 * port as its RX queues (one rx_pcap= per file) and read by `--port` with
 * one worker per queue, they run the path where each worker polls its own
 * queue. See docs/rss-emulation.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include <sp_parse.h>
#include <sp_port.h>

/* net_pcap's limit on rx_pcap= files (RTE_PMD_PCAP_MAX_QUEUES) */
#define SPLIT_MAX_QUEUES 16
/* libpcap's largest snapshot length: any record it reads fits */
#define SPLIT_SNAPLEN 262144

static const char usage[] =
	"usage: sp-rss-split -n QUEUES -o DIR [--driver NAME] [--config FILE]\n"
	"                    [--reta-size N] CAPTURE...\n"
	"Spread Ethernet captures over QUEUES pcap files DIR/q0.pcap.. as a NIC's RSS would,\n"
	"with the key and hash types of the drivers-config profile of driver NAME (default:\n"
	"default.ini), FILE read over it, and a redirection table of N entries (default 128;\n"
	"the NIC's reta_size). Writes DIR/port.ini, the profile of the net_pcap port reading\n"
	"them, and prints the streamprobe command line.\n"
	"  -n, --queues QUEUES   1..16 (net_pcap's limit)\n"
	"  -o, --output DIR      created if missing\n"
	"  --driver NAME         the profile of that driver (net_i40e, net_mlx5, ...)\n"
	"  --config FILE         a profile read over the driver's, as streamprobe --config\n"
	"  --reta-size N         redirection table entries, 1..65535\n";

static int __attribute__((format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "streamprobe: sp-rss-split: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int
parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s == '\0' || *s == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *out >= min && *out <= max ? 0 : -EINVAL;
}

struct split {
	const struct sp_port_profile *prof;
	unsigned int n_queues;
	unsigned int reta_size;
	pcap_dumper_t *out[SPLIT_MAX_QUEUES];
	unsigned long long per_queue[SPLIT_MAX_QUEUES];
	unsigned long long fields[3];	/* by enum sp_port_rss_fields */
	unsigned long long cut;		/* records with caplen < len */
	unsigned long long forced;	/* records whose time went backwards */
	uint64_t last_ns;		/* latest record time so far */
};

static int
split_file(struct split *sp, const char *file)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr, h;
	struct sp_pkt_meta meta;
	const u_char *data;
	uint64_t ns;
	enum sp_port_rss_fields f;
	uint32_t hash;
	uint16_t q;
	pcap_t *in;
	FILE *fp;
	int r;

	/* opened here: libpcap's message for a file it cannot open names the
	 * file itself, its others do not */
	fp = fopen(file, "rb");
	if (fp == NULL)
		return fail("%s: %s", file, strerror(errno));
	in = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (in == NULL) {
		fclose(fp);
		return fail("%s: %s", file, errbuf);
	}
	if (pcap_datalink(in) != DLT_EN10MB) {
		pcap_close(in);
		return fail("%s: link type %s: a port delivers Ethernet frames only", file,
			    pcap_datalink_val_to_name(pcap_datalink(in)) != NULL ?
			    pcap_datalink_val_to_name(pcap_datalink(in)) : "unknown");
	}
	while ((r = pcap_next_ex(in, &hdr, &data)) == 1) {
		/* A NIC stamps packets with one clock as they arrive, so times
		 * never go back across its queues; a capture's may. Forced
		 * forward here, over all the inputs, as NFStream forces them
		 * before it spreads packets over its meters (and streamprobe
		 * before its software dispatch): each queue's clock is then the
		 * one the packets had in a single stream. Only packets that
		 * streamprobe keeps move the clock, as there (an ignored one
		 * does not), judged by its own parser as the port path calls it
		 * (length on the wire = captured length, tunnels decoded). */
		h = *hdr;
		ns = (uint64_t)h.ts.tv_sec * 1000000000u + (uint64_t)h.ts.tv_usec;
		if (sp_parse_packet(data, h.caplen, h.caplen, SP_DLT_EN10MB, true, &meta) ==
		    SP_PARSE_OK) {
			if (ns < sp->last_ns) {
				h.ts.tv_sec = (time_t)(sp->last_ns / 1000000000u);
				h.ts.tv_usec = (suseconds_t)(sp->last_ns % 1000000000u);
				sp->forced++;
			} else {
				sp->last_ns = ns;
			}
		}
		f = sp_port_rss_hash(sp->prof, data, h.caplen, &hash);
		q = sp_port_reta_queue(hash, sp->reta_size, (uint16_t)sp->n_queues);
		pcap_dump((u_char *)sp->out[q], &h, data);
		sp->per_queue[q]++;
		sp->fields[f]++;
		if (hdr->caplen < hdr->len)
			sp->cut++;
	}
	if (r == PCAP_ERROR) {
		/* a port would stop there too (net_pcap reads with libpcap) */
		fprintf(stderr, "streamprobe: sp-rss-split: %s: read error: %s (the records "
			"before it are kept)\n", file, pcap_geterr(in));
	}
	pcap_close(in);
	return 0;
}

static int
write_port_ini(const char *dir)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/port.ini", dir);
	f = fopen(path, "w");
	if (f == NULL)
		return fail("%s: %s", path, strerror(errno));
	fprintf(f, "; Written by sp-rss-split: the net_pcap port whose RX queues are the\n"
		"; per-queue files (one rx_pcap= each), already spread by the RSS hash.\n"
		"[rss]\nenabled = 1\nemulated = 1\n\n"
		"[offloads]\n; each packet at its record's time (net_pcap stamps it, in us)\n"
		"packet_time = rx_timestamp\nrx_timestamp_unit = us\n");
	if (fclose(f) != 0)
		return fail("%s: %s", path, strerror(errno));
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "queues", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "driver", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "reta-size", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *outdir = NULL, *driver = "default", *config = NULL;
	char dir[PATH_MAX], path[PATH_MAX + 16], err[512];
	uint8_t sym[SP_RSS_KEY_MAX];
	struct sp_port_profile prof;
	struct split sp;
	unsigned long v;
	pcap_t *dead;
	unsigned int q;
	int c, ret = 0;

	memset(&sp, 0, sizeof(sp));
	sp.reta_size = 128;
	while ((c = getopt_long(argc, argv, "n:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_uint(optarg, 1, SPLIT_MAX_QUEUES, &v) != 0) {
				fail("--queues: '%s' is not in 1..16%s", optarg, "");
				return 2;
			}
			sp.n_queues = (unsigned int)v;
			break;
		case 'o':
			outdir = optarg;
			break;
		case 'd':
			driver = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'r':
			if (parse_uint(optarg, 1, UINT16_MAX, &v) != 0) {
				fail("--reta-size: '%s' is not in 1..65535%s", optarg, "");
				return 2;
			}
			sp.reta_size = (unsigned int)v;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (sp.n_queues == 0 || outdir == NULL || optind == argc) {
		fail("%s%s", sp.n_queues == 0 ? "--queues is required" : outdir == NULL ?
		     "--output is required" : "no capture given", "");
		fputs(usage, stderr);
		return 2;
	}
	/* the profile as a port of that driver reads it (sp_port_live_open()) */
	sp_port_profile_dir(dir, sizeof(dir));
	if (sp_port_profile_for_driver(dir, driver, &prof, err, sizeof(err)) != 0 ||
	    (config != NULL && sp_port_profile_load(config, &prof, err, sizeof(err)) != 0)) {
		fail("%s%s", err, "");
		return 2;
	}
	if (!prof.rss)
		return fail("%s: [rss] enabled = 0: a port with this profile does not spread "
			    "packets by RSS%s", prof.file[0] ? prof.file : "profile", ""), 2;
	if (prof.rss_key_len == 0)
		return fail("%s: [rss] key = default: the driver's own key is not known here; "
			    "give the key (symmetric or hex)%s", prof.file, ""), 2;
	/* net_pcap's devargs are comma-separated */
	if (strchr(outdir, ',') != NULL)
		return fail("--output %s: a comma cannot be in an rx_pcap= path%s", outdir, ""), 2;
	if (mkdir(outdir, 0777) != 0 && errno != EEXIST)
		return fail("%s: %s", outdir, strerror(errno));
	sp.prof = &prof;
	dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, SPLIT_SNAPLEN,
						    PCAP_TSTAMP_PRECISION_NANO);
	if (dead == NULL)
		return fail("%s%s", "cannot create a pcap handle", "");
	for (q = 0; q < sp.n_queues && ret == 0; q++) {
		snprintf(path, sizeof(path), "%s/q%u.pcap", outdir, q);
		sp.out[q] = pcap_dump_open(dead, path);
		if (sp.out[q] == NULL)
			ret = fail("%s: %s", path, pcap_geterr(dead));
	}
	for (c = optind; c < argc && ret == 0; c++)
		ret = split_file(&sp, argv[c]);
	for (q = 0; q < sp.n_queues; q++) {
		if (sp.out[q] == NULL)
			continue;
		if (pcap_dump_flush(sp.out[q]) != 0 && ret == 0) {
			snprintf(path, sizeof(path), "%s/q%u.pcap", outdir, q);
			ret = fail("%s: %s", path, strerror(errno));
		}
		pcap_dump_close(sp.out[q]);
	}
	pcap_close(dead);
	if (ret == 0)
		ret = write_port_ini(outdir);
	if (ret != 0)
		return ret;

	sp_port_symmetric_key(sym, prof.rss_key_len);
	printf("profile: %s (key %u bytes%s), RETA %u entries, %u queues\n",
	       prof.file[0] ? prof.file : "defaults", prof.rss_key_len,
	       memcmp(prof.rss_key, sym, prof.rss_key_len) == 0 ? ", symmetric" : "",
	       sp.reta_size, sp.n_queues);
	for (q = 0; q < sp.n_queues; q++)
		printf("queue %u: %llu packets\n", q, sp.per_queue[q]);
	printf("hashed: ports %llu, addresses %llu, not hashed (queue 0) %llu\n",
	       sp.fields[SP_PORT_RSS_L4], sp.fields[SP_PORT_RSS_L3], sp.fields[SP_PORT_RSS_NONE]);
	if (sp.forced > 0)
		printf("times forced forward: %llu records (earlier than one before them)\n",
		       sp.forced);
	if (sp.cut > 0)
		printf("cut records: %llu (caplen < len: through a port their size is the "
		       "captured length)\n", sp.cut);
	printf("run: streamprobe --no-huge -m 512 --no-pci --vdev net_pcap0");
	for (q = 0; q < sp.n_queues; q++)
		printf(",rx_pcap=%s/q%u.pcap", outdir, q);
	printf(" -- --port 0 --workers %u --config %s/port.ini --snapshot-length %u ...\n",
	       sp.n_queues, outdir, SPLIT_SNAPLEN);
	return 0;
}
