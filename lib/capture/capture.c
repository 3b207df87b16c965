/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offline input, the files in turn, from one of three sources:
 * - streamprobe's own reader (file.c, the default): each record copied
 *   into an mbuf, chained beyond one mbuf's buffer, as the PMD does;
 * - the pcap PMD (--pcap-pmd): one net_pcap vdev per file, attached in
 *   turn, plus a libpcap "shadow" reader of the same file that restores
 *   what the PMD drops (wire length, link type) and detects records it
 *   failed to deliver;
 * - the replay from memory (replay.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "sp_common.h"
#include "capture_private.h"

#define CAPTURE_RX_DESC 1024
/* libpcap's stdio buffer (capture_pcap_open()): with the default one
 * (st_blksize, 4 KiB) reading mix.pcap took ~480 k read() calls, as much
 * system time as the PMD's own reading. */
#define CAPTURE_STDIO_BUF (1u << 20)

struct sp_capture {
	const char *const *files;
	unsigned int n_files;
	struct rte_mempool *pool;
	int *dlt;			/* per file */
	unsigned int cur;		/* file being read; n_files when done */
	uint16_t port_id;
	bool attached;
	char vdev_name[32];
	pcap_t *shadow;
	char *shadow_buf;		/* its stdio buffer */
	int ts_off;			/* PMD timestamp dynfield, -1 if absent */
	uint64_t ts_flag;
	uint64_t nombuf_seen;
	uint64_t bytes_total;		/* sizes of all files */
	uint64_t bytes_done;		/* sizes of the files finished */
	struct sp_capture_stats st;
	struct capture_replay *replay;	/* replay mode, else NULL */
	bool pmd;			/* through net_pcap, else the own reader */
	bool read_ahead;		/* own reader: a thread reads ahead */
	struct capture_file *file;	/* own reader: the current file */
};

int
sp_capture_file_dlt(const struct sp_capture *c, unsigned int file)
{
	return file < c->n_files ? c->dlt[file] : -1;
}

void
sp_capture_get_stats(const struct sp_capture *c, struct sp_capture_stats *s)
{
	*s = c->st;
	if (c->replay != NULL)
		capture_replay_stats(c->replay, s);
}

static void
capture_detach(struct sp_capture *c)
{
	capture_file_close(c->file);
	c->file = NULL;
	if (c->attached) {
		rte_eth_dev_stop(c->port_id);
		rte_eth_dev_close(c->port_id);
		rte_eal_hotplug_remove("vdev", c->vdev_name);
		c->attached = false;
	}
	if (c->shadow != NULL) {
		pcap_close(c->shadow);
		c->shadow = NULL;
	}
	free(c->shadow_buf);
	c->shadow_buf = NULL;
}

pcap_t *
capture_pcap_open(const char *path, char **buf, char *errbuf)
{
	FILE *f;
	pcap_t *p;

	*buf = NULL;
	f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", strerror(errno));
		return NULL;
	}
	*buf = malloc(CAPTURE_STDIO_BUF);
	if (*buf != NULL)
		setvbuf(f, *buf, _IOFBF, CAPTURE_STDIO_BUF);
	p = pcap_fopen_offline(f, errbuf);
	if (p == NULL) {
		fclose(f);
		free(*buf);
		*buf = NULL;
	}
	return p;
}

static int
capture_attach(struct sp_capture *c, char *err, size_t errlen)
{
	const char *file = c->files[c->cur];
	char errbuf[PCAP_ERRBUF_SIZE];
	char args[PATH_MAX + 64];
	struct rte_eth_conf conf;
	int ret, sock, flag;

	if (!c->pmd) {
		c->file = capture_file_open(file, c->read_ahead, err, errlen);
		return c->file != NULL ? 0 : -EIO;
	}
	snprintf(c->vdev_name, sizeof(c->vdev_name), "net_pcap_sp%u", c->cur);
	snprintf(args, sizeof(args), "rx_pcap=%s", file);
	ret = rte_eal_hotplug_add("vdev", c->vdev_name, args);
	if (ret < 0) {
		snprintf(err, errlen, "%s: the pcap PMD cannot open it (%s)", file,
			 rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_get_port_by_name(c->vdev_name, &c->port_id);
	if (ret != 0)
		goto fail_remove;
	c->attached = true;
	memset(&conf, 0, sizeof(conf));
	sock = rte_eth_dev_socket_id(c->port_id);
	if (sock < 0)
		sock = SOCKET_ID_ANY;
	ret = rte_eth_dev_configure(c->port_id, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(c->port_id, 0, CAPTURE_RX_DESC, sock, NULL, c->pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(c->port_id, 0, CAPTURE_RX_DESC, sock, NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(c->port_id);
	if (ret != 0)
		goto fail;

	c->ts_off = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
	flag = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);
	c->ts_flag = flag >= 0 ? RTE_BIT64(flag) : 0;
	c->nombuf_seen = 0;

	c->shadow = capture_pcap_open(file, &c->shadow_buf, errbuf);
	if (c->shadow == NULL) {
		snprintf(err, errlen, "%s: %s", file, errbuf);
		ret = -EIO;
		goto fail;
	}
	return 0;

fail:
	snprintf(err, errlen, "%s: cannot start its pcap port (%s)", file, rte_strerror(-ret));
	capture_detach(c);
	return ret < 0 ? ret : -EIO;
fail_remove:
	snprintf(err, errlen, "%s: pcap port not found after attach", file);
	rte_eal_hotplug_remove("vdev", c->vdev_name);
	return -ENODEV;
}

struct sp_capture *
sp_capture_open(const struct sp_capture_params *p, char *err, size_t errlen)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct sp_capture *c;
	struct stat sb;
	unsigned int i;
	pcap_t *pc;

	if (p == NULL || p->n_files == 0 || p->pool == NULL) {
		snprintf(err, errlen, "no input file");
		rte_errno = EINVAL;
		return NULL;
	}
	/* Check every file up front: a bad third file must not surface
	 * after two files' worth of flows were already written. */
	for (i = 0; i < p->n_files; i++) {
		if (p->pmd && !p->replay && strchr(p->files[i], ',') != NULL) {
			snprintf(err, errlen, "%s: file names with ',' cannot be passed to the "
				 "pcap PMD; rename or link the file", p->files[i]);
			rte_errno = EINVAL;
			return NULL;
		}
		if (access(p->files[i], R_OK) != 0) {
			snprintf(err, errlen, "%s: %s", p->files[i], strerror(errno));
			rte_errno = errno;
			return NULL;
		}
	}
	c = rte_zmalloc("sp_capture", sizeof(*c), 0);
	if (c == NULL)
		goto nomem;
	c->dlt = rte_zmalloc("sp_capture_dlt", sizeof(int) * p->n_files, 0);
	if (c->dlt == NULL)
		goto nomem;
	for (i = 0; i < p->n_files; i++) {
		pc = pcap_open_offline(p->files[i], errbuf);
		if (pc == NULL) {
			snprintf(err, errlen, "%s: not a readable pcap/pcapng file (%s)",
				 p->files[i], errbuf);
			rte_errno = EINVAL;
			goto fail;
		}
		c->dlt[i] = pcap_datalink(pc);
		pcap_close(pc);
		if (stat(p->files[i], &sb) == 0)
			c->bytes_total += (uint64_t)sb.st_size;
	}
	c->files = p->files;
	c->n_files = p->n_files;
	c->pool = p->pool;
	c->ts_off = -1;
	c->pmd = p->pmd;
	c->read_ahead = p->read_ahead;
	if (p->replay) {
		c->replay = capture_replay_load(p, c->dlt, err, errlen);
		if (c->replay == NULL)
			goto fail;
		return c;
	}
	if (capture_attach(c, err, errlen) != 0) {
		rte_errno = EIO;
		goto fail;
	}
	return c;

nomem:
	snprintf(err, errlen, "out of memory for the capture");
	rte_errno = ENOMEM;
fail:
	if (c != NULL)
		rte_free(c->dlt);
	rte_free(c);
	return NULL;
}

/* Pair an mbuf with its pcap record: the next shadow record with the same
 * captured length and timestamp. Records skipped on the way are ones the
 * PMD read but dropped (mbuf allocation failure). */
static void
capture_match(struct sp_capture *c, struct rte_mbuf *m, struct sp_rx_info *info)
{
	struct pcap_pkthdr *hdr;
	const u_char *data;
	uint64_t pmd_ts = 0, ts;
	bool has_ts = c->ts_off >= 0 && (m->ol_flags & c->ts_flag) != 0;

	if (has_ts)
		pmd_ts = *RTE_MBUF_DYNFIELD(m, c->ts_off, rte_mbuf_timestamp_t *);
	info->dlt = c->dlt[c->cur];
	while (pcap_next_ex(c->shadow, &hdr, &data) == 1) {
		ts = (uint64_t)hdr->ts.tv_sec * 1000000 + (uint64_t)hdr->ts.tv_usec;
		if (hdr->caplen == m->pkt_len && (!has_ts || ts == pmd_ts)) {
			info->ts_ms = capture_ts_ms(hdr);
			info->wire_len = hdr->len;
			return;
		}
		c->st.lost++;
	}
	c->st.unmatched++;
	info->ts_ms = pmd_ts / 1000;
	info->wire_len = m->pkt_len;
}

/* The current file is done (read to its end, or to a read error that
 * file_error describes): move on to the next one. */
static int
capture_next_file(struct sp_capture *c, const char *file_error)
{
	struct stat sb;
	char err[256];

	if (file_error != NULL && c->st.read_error == 0) {
		c->st.read_error = -EIO;
		snprintf(c->st.error, sizeof(c->st.error), "%s", file_error);
	}
	if (stat(c->files[c->cur], &sb) == 0)
		c->bytes_done += (uint64_t)sb.st_size;
	capture_detach(c);
	c->st.files_done++;
	c->cur++;
	while (c->cur < c->n_files) {
		if (capture_attach(c, err, sizeof(err)) == 0)
			return 0;
		/* A file that stopped being readable since open: report it and
		 * keep going with the others. */
		if (c->st.read_error == 0) {
			c->st.read_error = -EIO;
			snprintf(c->st.error, sizeof(c->st.error), "%s", err);
		}
		c->cur++;
	}
	return -ENODATA;
}

/* The PMD gave nothing: either it is out of mbufs (retry later) or its
 * file is exhausted (EOF or read error); then account for any records it
 * never delivered and move on to the next file. */
static int
capture_pmd_idle(struct sp_capture *c)
{
	struct pcap_pkthdr *hdr;
	const u_char *data;
	struct rte_eth_stats es;
	char err[320];
	int r;

	if (rte_eth_stats_get(c->port_id, &es) == 0 && es.rx_nombuf != c->nombuf_seen) {
		c->nombuf_seen = es.rx_nombuf;
		return 0;
	}
	while ((r = pcap_next_ex(c->shadow, &hdr, &data)) == 1)
		c->st.lost++;
	if (r == PCAP_ERROR) {
		snprintf(err, sizeof(err), "%s: read error: %s", c->files[c->cur],
			 pcap_geterr(c->shadow));
		return capture_next_file(c, err);
	}
	return capture_next_file(c, NULL);
}

/* The own reader (file.c): records copied into mbufs, as the pcap PMD does. */
static int
capture_own_rx(struct sp_capture *c, struct rte_mbuf **pkts, struct sp_rx_info *info,
	       uint16_t n)
{
	int r = capture_file_rx(c->file, c->pool, c->dlt[c->cur], pkts, info, n);

	if (likely(r > 0)) {
		c->st.received += (uint64_t)r;
		return r;
	}
	if (r == 0)
		return 0;	/* nothing read yet, or the pool is empty */
	return capture_next_file(c, r == -EIO ? capture_file_error(c->file) : NULL);
}

int
sp_capture_rx(struct sp_capture *c, struct rte_mbuf **pkts, struct sp_rx_info *info, uint16_t n)
{
	uint16_t nb, i;
	int r;

	if (c->replay != NULL) {
		r = capture_replay_rx(c->replay, pkts, info, n);
		if (r > 0)
			c->st.received += (uint64_t)r;
		return r;
	}
	if (c->cur >= c->n_files)
		return -ENODATA;
	if (!c->pmd)
		return capture_own_rx(c, pkts, info, n);
	nb = rte_eth_rx_burst(c->port_id, 0, pkts, n);
	if (nb == 0)
		return capture_pmd_idle(c);
	for (i = 0; i < nb; i++)
		capture_match(c, pkts[i], &info[i]);
	c->st.received += nb;
	return nb;
}

double
sp_capture_progress(const struct sp_capture *c)
{
	uint64_t done = c->bytes_done;
	long pos;

	if (c->replay != NULL)
		return capture_replay_progress(c->replay);
	if (c->bytes_total == 0)
		return 1.0;
	if (c->file != NULL)
		done += capture_file_offset(c->file);
	/* the shadow reader is where the PMD is (lock-step) */
	else if (c->shadow != NULL && (pos = ftell(pcap_file(c->shadow))) > 0)
		done += (uint64_t)pos;
	return done >= c->bytes_total ? 1.0 : (double)done / (double)c->bytes_total;
}

void
sp_capture_close(struct sp_capture *c)
{
	if (c == NULL)
		return;
	capture_detach(c);
	capture_replay_free(c->replay);
	rte_free(c->dlt);
	rte_free(c);
}
