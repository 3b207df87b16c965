/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_CAPTURE_PRIVATE_H
#define SP_CAPTURE_PRIVATE_H

/* The replay source (replay.c), used by capture.c only. */

#include "sp_capture.h"

struct capture_replay;

/*
 * Load every file into memory. dlt[i] is the link type of file i; the
 * array must outlive the replay. Returns NULL with rte_errno set and a
 * message in err.
 */
struct capture_replay *capture_replay_load(const struct sp_capture_params *p, const int *dlt,
					   char *err, size_t errlen);

/* Same contract as sp_capture_rx(). */
int capture_replay_rx(struct capture_replay *r, struct rte_mbuf **pkts, struct sp_rx_info *info,
		      uint16_t n);

void capture_replay_stats(const struct capture_replay *r, struct sp_capture_stats *s);

double capture_replay_progress(const struct capture_replay *r);

void capture_replay_free(struct capture_replay *r);

#endif /* SP_CAPTURE_PRIVATE_H */
