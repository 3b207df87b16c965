/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_CAPTURE_H
#define SP_CAPTURE_H

/**
 * @file
 * Offline capture input: pcap and pcapng files, read in order through one
 * flow cache, handed out as bursts of mbufs with what NFStream needs of
 * each record (time, wire length, link type). An input may also be "-"
 * (standard input), a FIFO or pipe, a gzip, xz or zstd compressed capture
 * (known by its magic bytes) or a directory (its regular files in name
 * order); each is opened once.
 *
 * By default streamprobe reads the files itself: classic pcap files are
 * read in 256 KiB read() calls (optionally by a thread ahead of the lcore),
 * and each frame is copied into an mbuf (a chain beyond one mbuf's
 * buffer), as the pcap PMD does; anything else
 * (pcapng, old or damaged files) is read through libpcap's own API, so its
 * rules and error messages hold.
 *
 * With sp_capture_params.pmd the files go through DPDK's pcap PMD
 * (net_pcap) instead, each through its own vdev attached when its turn
 * comes and detached after its last packet. The PMD hands over each frame
 * with its captured length only: the original wire length that NFStream
 * counts (pcap header `len`) is lost. The capture module therefore keeps a
 * second, header-only reader of the same file (the "shadow"), advanced in
 * lock-step with the PMD: each mbuf is matched with the next record by
 * captured length and timestamp, which gives the wire length and the link
 * type, and shows any record the PMD failed to deliver (counted as lost,
 * never silently). Both ways give the same packets (the tests check it);
 * the PMD's is about twice as slow (BENCHMARKS.md).
 *
 * Replay mode (sp_capture_params.replay) takes the PMD and the disk out of
 * the measurement: the files are read once into memory, and each burst is
 * mbufs from the pool holding the loaded frames (copied in as the PMD's
 * infinite_rx does, or attached as external buffers when larger than an
 * mbuf's buffer). Passes are shifted
 * in time so each one is new traffic to the flow table and nDPI.
 *
 * Thread safety: one capture is used by one lcore.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Per-packet facts the PMD does not carry. */
struct sp_rx_info {
	/**
	 * Capture time in ms as NFStream computes it: tv_sec * 1000 +
	 * tv_usec / 1000 with C's signed division (libpcap reads tv_usec as a
	 * signed 32-bit value, so a corrupt record can make it negative).
	 */
	uint64_t ts_ms;
	uint32_t wire_len;	/**< original length on the wire */
	int32_t dlt;		/**< link type of the file the packet came from */
};

struct sp_capture_params {
	/** read in this order: files, "-" (standard input), directories */
	const char *const *files;
	unsigned int n_files;
	struct rte_mempool *pool;	/**< mbufs for the packets */
	bool pmd;			/**< read through the pcap PMD (net_pcap) */
	/**
	 * Own reader: a control thread does the file's read() calls ahead of
	 * the lcore that calls sp_capture_rx(). Worth it when a CPU other
	 * than that lcore's has time (one worker reading: the main lcore's
	 * CPU); on a busy one it only competes.
	 */
	bool read_ahead;
	/**
	 * Replay from memory instead of the pcap PMD (benchmarks): the files
	 * are loaded once, then fed replay_loops times, or until replay_ms of
	 * wall time have passed (0: no limit; one of the two must be set).
	 */
	bool replay;
	uint64_t replay_loops;
	uint64_t replay_ms;
	/**
	 * Replay: every pass is shifted in time past the previous one by this
	 * much more than the capture's span (the idle timeout: each pass then
	 * comes as new flows, as if the traffic happened again later).
	 */
	uint64_t replay_gap_ms;
};

struct sp_capture_stats {
	uint64_t received;	/**< mbufs handed out */
	uint64_t lost;		/**< PMD: records it read but did not deliver */
	/** live: of lost, the port's missed (sp_port_live_losses()); the rest is rx_nombuf */
	uint64_t missed;
	uint64_t unmatched;	/**< PMD: mbufs no record matched (wire length = caplen),
				     or records over 64 KiB cut for want of mbufs */
	unsigned int files_done;
	int read_error;		/**< 0, or -EIO once a file failed mid-way */
	/**
	 * pcapng records of interfaces libpcap rejected (a link type other than
	 * the file's first interface's), passed over as NFStream passes over
	 * them: never received
	 */
	uint64_t skipped;
	/* replay only */
	uint64_t replay_loaded;		/**< records held in memory */
	uint64_t replay_bytes;		/**< their captured bytes */
	double replay_load_s;		/**< time to load them */
	uint64_t replay_passes;		/**< passes started */
	double replay_feed_s;		/**< first burst to end of input */
	uint64_t replay_wire_bytes;	/**< wire bytes of the packets fed */
	/** the replay stopped early: one more pass would wrap the 64-bit ms clock */
	bool replay_clock_end;
	uint64_t replay_period_ms;	/**< time shift between passes */
	char error[320];	/**< the read error, for the report */
};

struct sp_capture;

/**
 * Open every input once and check it (readable, pcap or pcapng, plain or
 * compressed; a directory stands for its files), then start the first one.
 *
 * @return the capture, or NULL with rte_errno set and a one-line message in
 *   err naming the file.
 */
struct sp_capture *sp_capture_open(const struct sp_capture_params *p, char *err, size_t errlen);

/**
 * Receive up to n packets of the current file, moving to the next file at
 * the end of one.
 *
 * @return the number of packets (info[i] describes pkts[i]); 0 when nothing
 *   is ready yet; -ENODATA when every file has been read to its end.
 */
int sp_capture_rx(struct sp_capture *c, struct rte_mbuf **pkts, struct sp_rx_info *info,
		  uint16_t n);

/** Link type of the n-th file (pcap_datalink() value), directories expanded. */
int sp_capture_file_dlt(const struct sp_capture *c, unsigned int file);

/** Number of files to read: directories count as the files they hold. */
unsigned int sp_capture_n_files(const struct sp_capture *c);

void sp_capture_get_stats(const struct sp_capture *c, struct sp_capture_stats *s);

/**
 * Share of the input read so far, 0.0 .. 1.0 (by bytes over all files; a
 * compressed file's compressed bytes), or -1.0 when the total is unknown
 * (an input is a pipe or standard input): see sp_capture_bytes_read().
 */
double sp_capture_progress(const struct sp_capture *c);

/** Bytes read from the inputs so far (compressed bytes where compressed). */
uint64_t sp_capture_bytes_read(const struct sp_capture *c);

/** Close the current file (detach its vdev) and release everything. NULL is a no-op. */
void sp_capture_close(struct sp_capture *c);

#ifdef __cplusplus
}
#endif

#endif /* SP_CAPTURE_H */
