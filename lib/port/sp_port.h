/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_PORT_H
#define SP_PORT_H

/**
 * @file
 * Live ports: NIC setup driven by a profile from drivers-config/, chosen by
 * the port's driver name (dev_info.driver_name), so NIC quirks are data.
 *
 * A profile is an INI file (rte_cfgfile) with sections [port], [rss] and
 * [offloads]; drivers-config/README.md documents every key. A bad key or
 * value is an error naming the file, the section and the key.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SP_RSS_KEY_MAX 52

struct sp_port_profile {
	char file[256];			/**< where it was read from */
	uint16_t rx_desc;		/**< RX descriptors per queue */
	uint32_t mbufs_per_queue;	/**< pool sizing */
	uint16_t mbuf_cache;
	bool promiscuous;
	uint16_t mtu;			/**< 0: leave the port's */
	bool rss;			/**< hardware RSS over the worker queues */
	uint8_t rss_key[SP_RSS_KEY_MAX];
	uint8_t rss_key_len;		/**< 0: the driver's default key */
	uint64_t rss_hf;		/**< RTE_ETH_RSS_* */
	bool rx_timestamp;		/**< use the NIC's RX timestamps if offered */
};

/** Defaults used for anything a profile leaves out. */
void sp_port_profile_defaults(struct sp_port_profile *p);

/**
 * Read a profile file over p (keys it does not set keep their value).
 * @return 0, or -EINVAL/-ENOENT with "FILE: [section] key: reason" in err.
 */
int sp_port_profile_load(const char *path, struct sp_port_profile *p, char *err, size_t errlen);

/**
 * Defaults, then DIR/default.ini, then DIR/<driver>.ini when it exists.
 * @return 0 or -errno with err set.
 */
int sp_port_profile_for_driver(const char *dir, const char *driver, struct sp_port_profile *p,
			       char *err, size_t errlen);

/**
 * The symmetric Toeplitz key (0x6d5a repeated): with it the RSS hash of a
 * flow is the same in both directions, so both land on one worker.
 */
void sp_port_symmetric_key(uint8_t *key, size_t len);

/**
 * Configure and start a port with n_queues RX queues (one per worker) from
 * the profile; promiscuous mode, MTU and RSS as it says.
 * @return 0 or -errno with err set.
 */
int sp_port_start(uint16_t port_id, uint16_t n_queues, struct rte_mempool *pool,
		  const struct sp_port_profile *p, char *err, size_t errlen);

/** Stop and close the port. */
void sp_port_stop(uint16_t port_id);

/**
 * The directory of the NIC profiles (drivers-config/): $STREAMPROBE_DRIVERS_CONFIG
 * if set; else, for a binary run from its build tree, the source tree's;
 * else the installed one beside the binary (<bindir>/../share/streamprobe/
 * drivers-config with the default layout).
 *
 * @return buf, holding the path (not checked for existence).
 */
const char *sp_port_profile_dir(char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SP_PORT_H */
