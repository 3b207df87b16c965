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
 *   clock too), cut to the snapshot length.
 *
 * A source does not own what it reads: the capture and the port are
 * closed by whoever opened them, after the source is freed.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include <sp_capture.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sp_source;

/**
 * A source reading a capture. Every queue reads the one capture: it is
 * read by one lcore at a time.
 *
 * @return the source, or NULL with rte_errno set (EINVAL, ENOMEM).
 */
struct sp_source *sp_source_files_create(struct sp_capture *cap);

/**
 * A source reading the RX queues of a started port. Its clock starts now:
 * packet times are the wall clock at creation plus the TSC since.
 *
 * @param snaplen  packets longer than this are cut (NFStream's snapshot_length)
 * @return the source, or NULL with rte_errno set (EINVAL, ENOMEM).
 */
struct sp_source *sp_source_live_create(uint16_t port_id, uint32_t snaplen);

/** NULL is a no-op. The capture or port stays open. */
void sp_source_free(struct sp_source *s);

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

/** Live: the source's clock, ms of wall-clock time, at a TSC value. Files: 0. */
uint64_t sp_source_now_ms(const struct sp_source *s, uint64_t tsc);

/**
 * Files: the share read, 0..1, or a negative value when an input has no
 * size (a pipe: see bytes_read). Live: a negative value.
 *
 * @param bytes_read  set to the bytes read so far (files), 0 (live); may be NULL
 */
double sp_source_progress(const struct sp_source *s, uint64_t *bytes_read);

/**
 * The input's counters: files, the capture's; live, only `lost`, what the
 * port lost before the workers saw it (no descriptor: imissed; no mbuf:
 * rx_nombuf).
 */
void sp_source_get_stats(const struct sp_source *s, struct sp_capture_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* SP_SOURCE_H */
