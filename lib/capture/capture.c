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
 *
 * Every input is opened once, at sp_capture_open(), and kept open until its
 * turn (input.c): its header is checked and its link type known up front
 * (the BPF filter is compiled per link type before the first packet), and
 * a pipe or standard input loses nothing to the check. A directory stands
 * for its regular files, in name order.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
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
/* Descriptors left to the rest of the process (EAL, exporters) when every
 * input is held open at once. */
#define CAPTURE_FD_SPARE 256

struct sp_capture {
	char **files;			/* the inputs' names, directories expanded */
	struct capture_input **in;	/* per input, open until done */
	unsigned int n_files;
	struct rte_mempool *pool;
	int *dlt;			/* per file */
	unsigned int cur;		/* file being read; n_files when done */
	uint16_t port_id;
	bool attached;
	char vdev_name[32];
	pcap_t *shadow;			/* the input's libpcap reader */
	bool shadow_failed;		/* it met a read error: the file ends */
	bool pending;			/* pending_hdr: read ahead by the shadow */
	struct pcap_pkthdr pending_hdr;
	const u_char *pending_data;	/* its bytes, libpcap's until its next read */
	uint64_t errors_ahead;		/* records the PMD will fail on before it */
	int ts_off;			/* PMD timestamp dynfield, -1 if absent */
	uint64_t ts_flag;
	uint64_t nombuf_seen;
	uint64_t bytes_total;		/* sizes of all inputs */
	uint64_t bytes_done;		/* bytes read of the inputs finished */
	bool size_unknown;		/* an input is a pipe: no total */
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

unsigned int
sp_capture_n_files(const struct sp_capture *c)
{
	return c->n_files;
}

void
sp_capture_get_stats(const struct sp_capture *c, struct sp_capture_stats *s)
{
	*s = c->st;
	if (c->replay != NULL)
		capture_replay_stats(c->replay, s);
}

/* The current input is done with: close its reader and the input. */
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
	c->shadow = NULL;	/* the input's, closed with it */
	c->pending = false;
	c->errors_ahead = 0;
	if (c->in != NULL && c->cur < c->n_files && c->in[c->cur] != NULL) {
		capture_input_done(c->in[c->cur]);
		c->st.skipped += c->in[c->cur]->skipped;
		c->bytes_done += __atomic_load_n(&c->in[c->cur]->raw, __ATOMIC_RELAXED);
		capture_input_close(c->in[c->cur]);
		c->in[c->cur] = NULL;
	}
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
		c->file = capture_file_open(c->in[c->cur], c->read_ahead, err, errlen);
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

	/* the PMD opens the file by name; the shadow reads the input opened
	 * at start-up (the PMD path takes regular files only: see open) */
	c->shadow = capture_input_pcap(c->in[c->cur], errbuf);
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

/* Directory entries in strcmp() order: byte order, the same whatever the
 * locale (strcoll() would make a run depend on LC_COLLATE). */
static int
capture_dirent_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Names starting with '.' are left out: hidden files (editor swap files,
 * .DS_Store, partial downloads) are not captures someone meant. */
static int
capture_dirent_visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int
capture_add_name(struct sp_capture *c, unsigned int *cap, const char *a, const char *b)
{
	char **files;
	size_t len = strlen(a) + (b != NULL ? strlen(b) + 1 : 0) + 1;

	if (c->n_files == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		files = realloc(c->files, sizeof(*files) * *cap);
		if (files == NULL)
			return -ENOMEM;
		c->files = files;
	}
	c->files[c->n_files] = malloc(len);
	if (c->files[c->n_files] == NULL)
		return -ENOMEM;
	if (b != NULL)
		snprintf(c->files[c->n_files], len, "%s/%s", a, b);
	else
		snprintf(c->files[c->n_files], len, "%s", a);
	c->n_files++;
	return 0;
}

/* The inputs: each --pcap in order; a directory stands for its regular
 * files (symbolic links to them included; subdirectories, FIFOs and
 * hidden files left out) in name order, as if each were given with --pcap.
 * Returns 0, or -errno with err set. */
static int
capture_expand(struct sp_capture *c, const struct sp_capture_params *p, char *err,
	       size_t errlen)
{
	struct dirent **list;
	unsigned int i, cap = 0, before;
	char path[PATH_MAX];
	struct stat sb;
	bool stdin_seen = false;
	int n, j, ret = 0;

	for (i = 0; i < p->n_files && ret == 0; i++) {
		const char *f = p->files[i];

		if (strcmp(f, "-") == 0) {
			if (stdin_seen) {
				snprintf(err, errlen, "--pcap -: standard input can be read once "
					 "only");
				return -EINVAL;
			}
			stdin_seen = true;
		} else if (stat(f, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			n = scandir(f, &list, capture_dirent_visible, capture_dirent_cmp);
			if (n < 0) {
				ret = -errno;
				snprintf(err, errlen, "%s: %s", f, strerror(-ret));
				return ret;
			}
			before = c->n_files;
			for (j = 0; j < n; j++) {
				snprintf(path, sizeof(path), "%s/%s", f, list[j]->d_name);
				if (ret == 0 && stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
					ret = capture_add_name(c, &cap, f, list[j]->d_name);
				free(list[j]);
			}
			free(list);
			if (ret == 0 && c->n_files == before) {
				snprintf(err, errlen, "%s: a directory without capture files (it "
					 "reads the regular files not starting with '.')", f);
				return -ENOENT;
			}
			continue;
		}
		ret = capture_add_name(c, &cap, f, NULL);
	}
	if (ret != 0)
		snprintf(err, errlen, "out of memory for the input list");
	return ret;
}

/* Every input is held open from start-up to its turn: make room for a
 * large directory's worth of descriptors where the hard limit allows. */
static void
capture_fd_room(unsigned int n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (rlim_t)n + CAPTURE_FD_SPARE)
		return;
	rl.rlim_cur = RTE_MIN(rl.rlim_max, (rlim_t)n + CAPTURE_FD_SPARE);
	setrlimit(RLIMIT_NOFILE, &rl);
}

/* Open every input, in order. Returns 0, or -errno with err set. */
static int
capture_open_inputs(struct sp_capture *c, const struct sp_capture_params *p, char *err,
		    size_t errlen)
{
	struct capture_input *in;
	unsigned int i;

	capture_fd_room(c->n_files);
	for (i = 0; i < c->n_files; i++) {
		const char *f = c->files[i];

		if (p->pmd && !p->replay && strchr(f, ',') != NULL) {
			snprintf(err, errlen, "%s: file names with ',' cannot be passed to the "
				 "pcap PMD; rename or link the file", f);
			return -EINVAL;
		}
		in = capture_input_open(f, err, errlen);
		if (in == NULL)
			return -EINVAL;
		c->in[i] = in;
		c->dlt[i] = in->dlt;
		if (p->pmd && !p->replay && (!in->regular || in->codec != CAPTURE_PLAIN)) {
			/* net_pcap opens files by name and reads them as they
			 * are; the shadow reader must see the same bytes */
			snprintf(err, errlen, "--pcap-pmd: %s: the pcap PMD reads uncompressed "
				 "regular files by name only, not %s input; leave out "
				 "--pcap-pmd to read it with streamprobe's own reader", in->name,
				 !in->regular ? (strcmp(f, "-") == 0 ? "standard" : "a pipe's") :
				 capture_input_kind(in));
			return -EINVAL;
		}
		if (in->regular)
			c->bytes_total += in->size;
		else
			c->size_unknown = true;
	}
	return 0;
}

struct sp_capture *
sp_capture_open(const struct sp_capture_params *p, char *err, size_t errlen)
{
	struct sp_capture *c;
	unsigned int i;
	int ret;

	if (p == NULL || p->n_files == 0 || p->pool == NULL) {
		snprintf(err, errlen, "no input file");
		rte_errno = EINVAL;
		return NULL;
	}
	c = rte_zmalloc("sp_capture", sizeof(*c), 0);
	if (c == NULL) {
		snprintf(err, errlen, "out of memory for the capture");
		rte_errno = ENOMEM;
		return NULL;
	}
	c->ts_off = -1;
	c->pool = p->pool;
	c->pmd = p->pmd;
	c->read_ahead = p->read_ahead;
	ret = capture_expand(c, p, err, errlen);
	if (ret != 0)
		goto fail;
	c->dlt = rte_zmalloc("sp_capture_dlt", sizeof(int) * c->n_files, 0);
	c->in = calloc(c->n_files, sizeof(*c->in));
	if (c->dlt == NULL || c->in == NULL) {
		snprintf(err, errlen, "out of memory for the capture");
		ret = -ENOMEM;
		goto fail;
	}
	/* Check every input up front: a bad third file must not surface
	 * after two files' worth of flows were already written. */
	ret = capture_open_inputs(c, p, err, errlen);
	if (ret != 0)
		goto fail;
	if (p->replay) {
		c->replay = capture_replay_load(p, c->in, c->n_files, c->dlt, err, errlen);
		if (c->replay == NULL) {
			ret = -rte_errno;
			goto fail;
		}
		/* all in memory now: the inputs are done with */
		for (i = 0; i < c->n_files; i++) {
			capture_input_close(c->in[i]);
			c->in[i] = NULL;
		}
		c->cur = c->n_files;
		return c;
	}
	if (capture_attach(c, err, errlen) != 0) {
		ret = -EIO;
		goto fail;
	}
	return c;

fail:
	sp_capture_close(c);
	rte_errno = -ret;
	return NULL;
}

/* Bytes an mbuf chain holds. */
static uint32_t
capture_chain_len(const struct rte_mbuf *m)
{
	uint32_t n = 0;

	for (; m != NULL; m = m->next)
		n += m->data_len;
	return n;
}

/*
 * net_pcap splits a frame larger than an mbuf over a chain with a 16-bit
 * length (eth_pcap_rx_jumbo()), but gives the chain the record's caplen:
 * a record over 65535 bytes came as a chain holding caplen modulo 2^16
 * bytes, which reading pkt_len bytes walked off (a crash on a 70000-byte
 * frame). The shadow has just read the same record: its bytes replace the
 * chain's, which grows from the pool as needed. Returns 0, or -ENOBUFS
 * (m is then a valid chain of fewer bytes).
 */
static int
capture_pmd_refill(struct rte_mempool *pool, struct rte_mbuf *m, const uint8_t *data,
		   uint32_t len)
{
	if (m->next != NULL) {
		rte_pktmbuf_free(m->next);
		m->next = NULL;
	}
	m->nb_segs = 1;
	m->data_len = 0;
	return capture_copy_frame(pool, m, data, len);
}

/* Pair an mbuf with its pcap record: the next shadow record with the same
 * captured length and timestamp. Records skipped on the way are ones the
 * PMD read but dropped (mbuf allocation failure). net_pcap calls
 * pcap_next_ex() again after any error and reads on; the shadow passes
 * over what NFStream passes over (a pcapng interface libpcap rejects, and
 * its packets, which net_pcap skips the same way: capture_input_next()).
 * Returns -EIO at any other read error: the own reader stops the file
 * there, and so does this path. */
static int
capture_match(struct sp_capture *c, struct rte_mbuf *m, struct sp_rx_info *info)
{
	struct pcap_pkthdr *hdr;
	const u_char *data;
	uint64_t pmd_ts = 0, ts;
	int r;
	bool has_ts = c->ts_off >= 0 && (m->ol_flags & c->ts_flag) != 0;

	if (has_ts)
		pmd_ts = *RTE_MBUF_DYNFIELD(m, c->ts_off, rte_mbuf_timestamp_t *);
	info->dlt = c->dlt[c->cur];
	for (;;) {
		if (c->pending) {
			/* read ahead by capture_pmd_idle() */
			hdr = &c->pending_hdr;
			data = c->pending_data;
			c->pending = false;
		} else if ((r = capture_input_next(c->in[c->cur], c->shadow, &hdr, &data)) != 1) {
			break;
		}
		ts = (uint64_t)hdr->ts.tv_sec * 1000000 + (uint64_t)hdr->ts.tv_usec;
		if ((hdr->caplen == m->pkt_len ||
		     (hdr->caplen > UINT16_MAX && (uint16_t)hdr->caplen == m->pkt_len)) &&
		    (!has_ts || ts == pmd_ts)) {
			if (unlikely(hdr->caplen > UINT16_MAX) &&
			    capture_pmd_refill(c->pool, m, data, hdr->caplen) != 0) {
				/* no mbuf for the rest: the chain as it is, its
				 * length what it holds */
				m->pkt_len = capture_chain_len(m);
				c->st.unmatched++;
			}
			info->ts_ms = capture_ts_ms(hdr);
			info->wire_len = hdr->len;
			return 0;
		}
		c->st.lost++;
	}
	if (r == PCAP_ERROR) {
		c->shadow_failed = true;
		return -EIO;
	}
	c->st.unmatched++;
	info->ts_ms = pmd_ts / 1000;
	info->wire_len = m->pkt_len;
	return 0;
}

/* The current file is done (read to its end, or to a read error that
 * file_error describes): move on to the next one. */
static int
capture_next_file(struct sp_capture *c, const char *file_error)
{
	char err[320];

	if (file_error != NULL && c->st.read_error == 0) {
		c->st.read_error = -EIO;
		snprintf(c->st.error, sizeof(c->st.error), "%s", file_error);
	}
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

/* The shadow met a read error: the file ends there (capture_match()). */
static int
capture_shadow_stop(struct sp_capture *c)
{
	char err[320];

	c->shadow_failed = false;
	snprintf(err, sizeof(err), "%s: read error: %s", c->files[c->cur],
		 pcap_geterr(c->shadow));
	return capture_next_file(c, err);
}

/* The PMD gave nothing: it is out of mbufs (retry later), it stopped at a
 * record libpcap fails on and passes over (a rejected pcapng interface's:
 * it reads on at the next call), or its file is exhausted (EOF or read
 * error); then account for any records it never delivered and move on to
 * the next file. The shadow tells the second case from the third by
 * reading ahead: the next record it reads, past errors, comes later from
 * the PMD too (kept for capture_match()); one empty burst per error. */
static int
capture_pmd_idle(struct sp_capture *c)
{
	struct capture_input *in = c->in[c->cur];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	struct rte_eth_stats es;
	uint64_t passed;
	int r;

	if (rte_eth_stats_get(c->port_id, &es) == 0 && es.rx_nombuf != c->nombuf_seen) {
		c->nombuf_seen = es.rx_nombuf;
		return 0;
	}
	if (c->pending) {
		if (c->errors_ahead > 0) {
			c->errors_ahead--;	/* the PMD met one of them */
			return 0;
		}
		c->st.lost++;	/* a record remains that the PMD does not give */
		c->pending = false;
	}
	passed = in->passed;
	while ((r = capture_input_next(in, c->shadow, &hdr, &data)) == 1) {
		if (in->passed != passed) {
			/* this burst met the first of them */
			c->pending_hdr = *hdr;
			c->pending_data = data;
			c->pending = true;
			c->errors_ahead = in->passed - passed - 1;
			return 0;
		}
		c->st.lost++;
	}
	if (r == PCAP_ERROR)
		return capture_shadow_stop(c);
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

/* Out of line for the same reason as sp_worker_process_burst(): the
 * reading's cost shows under this name (tools/sp-bench's callgrind rows). */
__rte_noinline int
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
	if (c->shadow_failed)
		return capture_shadow_stop(c);
	nb = rte_eth_rx_burst(c->port_id, 0, pkts, n);
	if (nb == 0)
		return capture_pmd_idle(c);
	for (i = 0; i < nb; i++) {
		if (capture_match(c, pkts[i], &info[i]) != 0) {
			/* what the PMD read past the error is not the file's */
			rte_pktmbuf_free_bulk(&pkts[i], nb - i);
			nb = i;
			break;
		}
	}
	if (nb == 0 && c->shadow_failed)
		return capture_shadow_stop(c);
	c->st.received += nb;
	return nb;
}

uint64_t
sp_capture_bytes_read(const struct sp_capture *c)
{
	uint64_t done = c->bytes_done;

	if (c->in != NULL && c->cur < c->n_files && c->in[c->cur] != NULL)
		done += __atomic_load_n(&c->in[c->cur]->raw, __ATOMIC_RELAXED);
	return done;
}

double
sp_capture_progress(const struct sp_capture *c)
{
	uint64_t done;

	if (c->replay != NULL)
		return capture_replay_progress(c->replay);
	if (c->size_unknown)
		return -1.0;
	if (c->bytes_total == 0)
		return 1.0;
	/* bytes read from the inputs: a compressed file's compressed bytes,
	 * the shadow's position for the PMD (it moves in lock-step) */
	done = sp_capture_bytes_read(c);
	return done >= c->bytes_total ? 1.0 : (double)done / (double)c->bytes_total;
}

void
sp_capture_close(struct sp_capture *c)
{
	unsigned int i;

	if (c == NULL)
		return;
	capture_detach(c);
	capture_replay_free(c->replay);
	for (i = 0; i < c->n_files; i++) {
		if (c->in != NULL)
			capture_input_close(c->in[i]);
		free(c->files[i]);
	}
	free(c->in);
	free(c->files);
	rte_free(c->dlt);
	rte_free(c);
}
