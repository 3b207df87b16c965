/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_SOURCE_H
#define SP_SOURCE_H

/**
 * @file
 * Sources: where a run's packets come from, behind one interface.
 *
 * - files: the capture of lib/capture (pcap/pcapng files, pipes, replay),
 *   its packets stamped with their record's time;
 * - live: the RX queues of a started port, each burst stamped on arrival
 *   with the wall clock (NFStream's live timestamps are the capture's wall
 *   clock too), or each packet with its RX timestamp when the port's profile
 *   says packet_time = rx_timestamp; cut to the snapshot length.
 *
 * A source owns what it reads: its capture and mbuf pool, or its port.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include <sp_capture.h>
#include <sp_port.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sp_source;

/** Mbufs of an offline pool that dispatches: room for a burst of 256 kB jumbo frames... */
#define SP_SOURCE_MBUFS 16383
/**
 * ... and when the worker reads: a burst (32) and one 256 kB chain (128).
 * The worker allocates and frees them on its own lcore, so what its cache
 * holds is there for its next burst; an empty pool makes the reader wait,
 * never drop. 2047 before: creating the pool writes every mbuf's header,
 * one fresh EAL page each, and took 6.9 ms; 1023 took 4.9 ms, 511 2.9 ms
 * (medians of 6 alternated creations after rte_eal_init --no-huge, loaded
 * 2-vCPU VM) of a 1,000-packet run's start-up.
 */
#define SP_SOURCE_MBUFS_OWN_READER 511
/** Mbufs per worker a live port may take (its profile says, 8 k-16 k per queue). */
#define SP_SOURCE_LIVE_MBUFS 65536
#define SP_SOURCE_MBUF_CACHE 256

struct sp_source_files_params {
	/** The files and how to read them; pool and read_ahead are set by the source. */
	struct sp_capture_params capture;
	bool read_ahead;		/**< a reading thread, when a worker reads the files */
	unsigned int n_workers;
	/** The main lcore reads and spreads packets over the workers' rings. */
	bool dispatched;
	unsigned int rx_ring_size;	/**< dispatched: packets each worker's ring holds */
	int socket_id;			/**< of the pool */
};

/**
 * Mbufs of the pool of a files source: room for a burst (of up to 256 kB
 * frames, as chains), and dispatched for every worker ring full. The pcap
 * PMD loses a packet it cannot get an mbuf for, so it gets room for a whole
 * burst of jumbo chains; the own reader retries a record it lacks mbufs
 * for, and with one worker reading, every mbuf is back before the next
 * burst: a small pool is enough, and populating the large one was most of
 * the start-up (38 MB written for 16 k mbufs). With no file (live), what
 * a live port may take: SP_SOURCE_LIVE_MBUFS per worker.
 */
unsigned int sp_source_files_mbufs(const struct sp_source_files_params *p);

/** DPDK heap memory of a pool of n mbufs (sized for the EAL before it is up). */
size_t sp_source_mbufs_heap_size(unsigned int n);

/**
 * A source reading files: its mbuf pool and the capture of the files,
 * opened and checked. Every queue reads the one capture: it is read by
 * one lcore at a time.
 *
 * @return the source, or NULL with rte_errno set and the message in err.
 */
struct sp_source *sp_source_files_open(const struct sp_source_files_params *p, char *err,
				       size_t errlen);

/**
 * A source reading the RX queues of a live port (sp_port_live_open()). Its
 * clock starts now: packet times are the wall clock at the open plus the
 * TSC since; or, with the profile's packet_time = rx_timestamp, the mbufs'
 * RX timestamps (the dynfield, in the profile's unit, read once here).
 *
 * @param snaplen  packets longer than this are cut (NFStream's snapshot_length)
 * @return the source, or NULL with rte_errno set (sp_port_live_open()'s:
 *   EINVAL for a bad profile) and the message in err.
 */
struct sp_source *sp_source_live_open(const struct sp_port_live_params *p, uint32_t snaplen,
				      char *err, size_t errlen);

/**
 * Close what the source reads (the capture and its pool, or the port,
 * leaving its interface as found) and free it. NULL is a no-op.
 *
 * @return 0, or -errno when a live interface's flags could not be restored.
 */
int sp_source_close(struct sp_source *s);

/** The live port a source reads, or NULL (files). */
struct sp_port_live *sp_source_port(const struct sp_source *s);

/** Whether the main lcore reads the source and the dispatcher spreads it. */
bool sp_source_dispatched(const struct sp_source *s);

/**
 * The link type (DLT) of each input: one per file, in the capture's order,
 * or one (Ethernet) for a port; what a BPF filter is compiled for.
 *
 * @param n  set to the number of inputs
 */
const int *sp_source_link_types(const struct sp_source *s, unsigned int *n);

/**
 * Receive a burst of up to SP_BURST packets from one queue (live: the
 * port's RX queue; files: the capture, whatever the queue). info[i]
 * describes pkts[i]. Never waits.
 *
 * @return the number received (0: none now), or -ENODATA when the input
 *   has ended (files only: a live port never ends).
 */
int sp_source_rx(struct sp_source *s, uint16_t queue, struct rte_mbuf **pkts,
		 struct sp_rx_info *info);

/** Whether packets come from a live port (no end; losses counted, not waited for). */
bool sp_source_is_live(const struct sp_source *s);

/**
 * Live: the clock of a queue's packets, ms, at a TSC value: the wall clock,
 * or with packet time from the port's RX timestamps (profile packet_time),
 * the queue's last burst's time plus the TSC since. Files: 0.
 */
uint64_t sp_source_now_ms(const struct sp_source *s, uint16_t queue, uint64_t tsc);

/**
 * Files: the share read, 0..1, or a negative value when an input has no
 * size (a pipe: see bytes_read). Live: a negative value.
 *
 * @param bytes_read  set to the bytes read so far (files), 0 (live); may be NULL
 */
double sp_source_progress(const struct sp_source *s, uint64_t *bytes_read);

/**
 * The input's counters: files, the capture's; live, only `lost`, what the
 * port lost before the workers saw it (no descriptor or a full AF_PACKET
 * ring: `missed`; no mbuf: rx_nombuf).
 */
void sp_source_get_stats(const struct sp_source *s, struct sp_capture_stats *st);

/**
 * Live, once the queues are no longer polled: packets the port took in that
 * were never read (left in an AF_PACKET ring; sp_port_live_unread()), so
 * received and dropped at once. Files: 0.
 */
uint64_t sp_source_unread(const struct sp_source *s);

#ifdef __cplusplus
}
#endif

#endif /* SP_SOURCE_H */
