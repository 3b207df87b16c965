#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sp-genflows: a capture of N flows that are all alive at once (flow table load tests).

Usage:
    sp-genflows.py OUT.pcap --flows N [--step-us US] [--tail N]

Flow i (0 <= i < N) is two packets, a request at t0 + i * US microseconds and its answer
10 us later: odd i a TCP SYN and SYN-ACK to port 443, even i a UDP datagram of 16 bytes
to port 53 and back. Every flow has its own client address (10.64.0.0/10 and up, by i) and
port, so the N flows are distinct; the capture spans N * US us, which must stay under the
idle timeout (120 s by default) for all N to be in the table at the end: 2,000,000 flows at
the default 20 us take 40 s of packet time.

--tail N adds N more packets after the last flow, each of flow i mod N again (a second
request), so that the flows are looked up again while the table is at its largest.

Stdlib only; the same arguments always give the same bytes (t0 = 2024-01-01T00:00:00Z).
tools/sp-bench builds a comparable capture with ../shared/tools/make-bench-pcaps.sh; this
one needs nothing beside the repository. 2,000,000 flows: 288 MB, under a minute.
"""

import argparse
import struct
import sys

T0_S = 1704067200


def csum(hdr):
    s = sum(struct.unpack("!10H", hdr))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return (~s) & 0xffff


def ipv4(src, dst, proto, l4):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0, src, dst)
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + l4


ETH_C2S = bytes.fromhex("020000000002" "020000000001" "0800")
ETH_S2C = bytes.fromhex("020000000001" "020000000002" "0800")
PAYLOAD = bytes(range(16))


def flow_packets(i):
    """The two frames of flow i: (request, answer)."""
    c = struct.pack("!I", (10 << 24 | 64 << 16) + i)     # 10.64.0.0 + i
    s = struct.pack("!I", (172 << 24 | 16 << 16) + (i % 4093))
    sport = 1024 + (i * 7) % 60000
    if i % 2:
        # TCP checksum left 0: streamprobe and NFStream do not verify it
        syn = struct.pack("!HHIIBBHHH", sport, 443, 1000, 0, 5 << 4, 0x02, 64240, 0, 0)
        sak = struct.pack("!HHIIBBHHH", 443, sport, 5000, 1001, 5 << 4, 0x12, 64240, 0, 0)
        return (ETH_C2S + ipv4(c, s, 6, syn), ETH_S2C + ipv4(s, c, 6, sak))
    q = struct.pack("!HHHH", sport, 53, 8 + len(PAYLOAD), 0) + PAYLOAD
    a = struct.pack("!HHHH", 53, sport, 8 + len(PAYLOAD), 0) + PAYLOAD
    return (ETH_C2S + ipv4(c, s, 17, q), ETH_S2C + ipv4(s, c, 17, a))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--flows", type=int, required=True)
    ap.add_argument("--step-us", type=int, default=20)
    ap.add_argument("--tail", type=int, default=0)
    a = ap.parse_args()
    if a.flows < 1 or a.flows > (1 << 22) or a.step_us < 1 or a.tail < 0:
        ap.error("--flows is 1..4194304, --step-us >= 1, --tail >= 0")
    pkt = struct.Struct("<IIII")
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        buf = []
        t_us = 0
        for i in range(a.flows):
            t_us = i * a.step_us
            for k, fr in enumerate(flow_packets(i)):
                t = t_us + 10 * k
                buf.append(pkt.pack(T0_S + t // 1000000, t % 1000000, len(fr), len(fr)))
                buf.append(fr)
            if len(buf) >= 65536:
                f.write(b"".join(buf))
                buf = []
        t_us += 20
        for j in range(a.tail):
            fr = flow_packets(j % a.flows)[0]
            t = t_us + j * a.step_us
            buf.append(pkt.pack(T0_S + t // 1000000, t % 1000000, len(fr), len(fr)))
            buf.append(fr)
        f.write(b"".join(buf))
    print("sp-genflows: %d flows, %d packets -> %s" % (a.flows, 2 * a.flows + a.tail, a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
