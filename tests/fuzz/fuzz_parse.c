/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: packet parsing (lib/parse), one frame per input.
 *
 * Input: byte 0 picks the link type (fuzz_dlts[], the parser's and two it
 * refuses), byte 1 bit 0 turns tunnel decoding on and bits 1..7 add to the
 * wire length (a frame cut by the snapshot length); the rest is the frame,
 * ending exactly where the input ends so that ASan sees any read past it.
 */
#include <stdlib.h>
#include <string.h>

#include <sp_parse.h>

#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_pkt_meta m;
	enum sp_parse_result r;
	uint32_t caplen, wire;
	int dlt;

	if (size < 2 || size - 2 > UINT32_MAX / 2)
		return 0;
	dlt = fuzz_dlts[data[0] % fuzz_n_dlts];
	caplen = (uint32_t)(size - 2);
	wire = caplen + (data[1] >> 1);
	memset(&m, 0xa5, sizeof(m));	/* nothing may depend on what was there */
	r = sp_parse_packet(data + 2, caplen, wire, dlt, data[1] & 1, &m);
	if ((unsigned int)r >= SP_PARSE_RESULTS || sp_parse_result_name(r) == NULL)
		fuzz_fail("parse", "result out of range");
	if (r != SP_PARSE_OK)
		return 0;
	if (!sp_parse_dlt_supported(dlt))
		fuzz_fail("parse", "a frame of an unsupported link type was accepted");
	if (m.ip_version != 4 && m.ip_version != 6)
		fuzz_fail("parse", "accepted with an IP version other than 4 or 6");
	if (m.ip_offset >= caplen)
		fuzz_fail("parse", "the IP header starts beyond the captured bytes");
	if (m.size[SP_SIZE_RAW] != (uint16_t)wire)
		fuzz_fail("parse", "raw size is not the wire length modulo 2^16");
	if (m.tunnel_id > SP_TUNNEL_TZSP || (!(data[1] & 1) && m.tunnel_id != SP_TUNNEL_NONE))
		fuzz_fail("parse", "tunnel id out of range, or set with tunnels not decoded");
	if (m.ip_version == 4 && memcmp(m.src_ip + 4, (uint8_t[12]){ 0 }, 12) != 0)
		fuzz_fail("parse", "IPv4 source address with bytes 4..15 not zero");
	if (m.protocol != 6 && m.tcp_flags != 0)
		fuzz_fail("parse", "TCP flags on a packet that is not TCP");
	return 0;
}
