#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sp-genpcap: deterministic synthetic pcaps, with the flows NFStream makes of them.

Usage:
    sp-genpcap.py OUTDIR [--only NAME ...]   write the pcaps of every (or the named) scenario
                                             and OUTDIR/manifest.json
    sp-genpcap.py --list                     list the scenarios

Each scenario is a small capture built to exercise one rule of the NFStream semantics spec
(docs/nfstream-semantics.md, sections 3 to 6 and the verified cases of section 11),
plus one or more "runs": the streamprobe options to use and what must come out.

Expected values come from two independent places, and the generator refuses to write anything
when they disagree:

* hand values: written next to each scenario below, worked out from the spec by hand (the
  comments give the arithmetic);
* a reference model of the spec in this file: a packet parser that follows spec section 3
  line by line (ref_parse) and a meter that follows sections 4 to 6 and 9 (Meter, Flow). It
  gives every column of every flow, formatted as NFStream's to_csv writes it.

The manifest carries both, plus the expected accounting (received, in_flows, ignored per
reason, filtered). Nothing here comes from running streamprobe. Stdlib only; the same
arguments always give the same bytes (fixed seed, fixed start time 2024-01-01T00:00:00Z).
"""

import argparse
import ipaddress
import json
import math
import os
import random
import struct
import sys
from collections import OrderedDict

T0_S = 1704067200               # 2024-01-01T00:00:00Z
T0_MS = T0_S * 1000
NS_PER_MS = 1000000

# pcap LINKTYPE values written in file headers, and the DLT libpcap reports for them on Linux.
LT_NULL, LT_EN10MB, LT_PPP, LT_PPP_HDLC, LT_C_HDLC = 0, 1, 9, 50, 104
LT_RAW, LT_LINUX_SLL, LT_IPV4, LT_IPV6, LT_LINUX_SLL2 = 101, 113, 228, 229, 276
LT_RADIOTAP = 127
DLT_OF_LINKTYPE = {LT_NULL: 0, LT_EN10MB: 1, LT_PPP: 9, LT_PPP_HDLC: 50, LT_C_HDLC: 104,
                   LT_RAW: 12, LT_LINUX_SLL: 113, LT_IPV4: 228, LT_IPV6: 229,
                   LT_LINUX_SLL2: 276, LT_RADIOTAP: 127}
# The DLTs NFStream's packet_datalink_checker() decodes.
DLT_DECODED = (0, 1, 9, 12, 50, 104, 113, 127, 228, 229)

# Ignore reasons, as streamprobe names them (sp_parse_result_name()).
REASONS = ("dlt", "short", "l2", "ip_short", "ip_version", "ipv4_hdr", "ipv4_frag",
           "ipv6_trunc", "ipv6_ext", "tunnel")


class Ambiguous(Exception):
    """A packet NFStream ignores at a point where the reason name is not pinned down by the
    spec. The scenarios never build such packets; hitting one is a generator bug."""


# --------------------------------------------------------------------------------------------
# Byte builders
# --------------------------------------------------------------------------------------------

def be16(b, o):
    return (b[o] << 8) | b[o + 1]


def be32(b, o):
    return struct.unpack_from(">I", b, o)[0]


def ip4(a):
    return ipaddress.IPv4Address(a).packed


def ip6(a):
    return ipaddress.IPv6Address(a).packed


def mac(s):
    return bytes.fromhex(s.replace(":", ""))


def mac_of(addr):
    """Deterministic, readable MAC for a host: 02:00 + the IPv4 address, or 02:06 + the low
    32 bits of an IPv6 address."""
    a = ipaddress.ip_address(addr)
    if a.version == 4:
        return b"\x02\x00" + a.packed
    return b"\x02\x06" + a.packed[12:]


def mac_str(m):
    return ":".join("%02x" % x for x in m)


def checksum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def udp(sport, dport, payload=b"", length=None):
    ln = 8 + len(payload) if length is None else length
    return struct.pack(">HHHH", sport, dport, ln, 0) + payload


TCP_FLAGS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20, "E": 0x40,
             "C": 0x80}


def tcp(sport, dport, flags="", payload=b"", seq=1000, ack=0, options=b"", win=64240):
    fl = 0
    for c in flags:
        fl |= TCP_FLAGS[c]
    assert len(options) % 4 == 0
    doff = 5 + len(options) // 4
    return (struct.pack(">HHIIBBHHH", sport, dport, seq, ack, doff << 4, fl, win, 0, 0)
            + options + payload)


def icmp_echo(typ, ident, seq, payload=b""):
    h = struct.pack(">BBHHH", typ, 0, 0, ident, seq) + payload
    c = checksum(h)
    return h[:2] + struct.pack(">H", c) + h[4:]


def pay(n, seed=0):
    """n deterministic payload bytes (printable, so tcpdump -X stays readable)."""
    return bytes((0x41 + ((i + seed) % 26)) for i in range(n))


def _l4_fix(proto, pseudo, l4):
    """Fill the TCP/UDP/ICMPv6 checksum, so that tcpdump -vv shows clean packets."""
    if proto == 6 and len(l4) >= 20:
        c = checksum(pseudo + l4[:16] + b"\x00\x00" + l4[18:])
        return l4[:16] + struct.pack(">H", c) + l4[18:]
    if proto == 17 and len(l4) >= 8:
        c = checksum(pseudo + l4[:6] + b"\x00\x00" + l4[8:]) or 0xFFFF
        return l4[:6] + struct.pack(">H", c) + l4[8:]
    if proto == 58 and len(l4) >= 4:
        c = checksum(pseudo + l4[:2] + b"\x00\x00" + l4[4:])
        return l4[:2] + struct.pack(">H", c) + l4[4:]
    return l4


def ipv4(src, dst, proto, l4, *, ident=1, flags=0, frag=0, ttl=64, ihl=5, tot_len=None,
         version=4, fix=True):
    """IPv4 header + l4. flags: 2 = DF, 1 = MF; frag in 8-byte units."""
    s, d = ip4(src), ip4(dst)
    opts = b"\x01" * (ihl * 4 - 20) if ihl > 5 else b""
    tl = 20 + len(opts) + len(l4) if tot_len is None else tot_len
    if fix and frag == 0 and not (flags & 1):
        l4 = _l4_fix(proto, s + d + struct.pack(">BBH", 0, proto, len(l4)), l4)
    h = struct.pack(">BBHHHBBH4s4s", (version << 4) | ihl, 0, tl, ident,
                    (flags << 13) | frag, ttl, proto, 0, s, d) + opts
    c = checksum(h) if len(h) % 4 == 0 else 0
    return h[:10] + struct.pack(">H", c) + h[12:] + l4


def ipv6(src, dst, nxt, payload, *, exts=(), plen=None, hlim=64, fix=True):
    """IPv6 header, optional extension headers [(type, bytes)], then payload.
    nxt is the protocol of payload; exts are chained in order."""
    s, d = ip6(src), ip6(dst)
    if fix:
        payload = _l4_fix(nxt, s + d + struct.pack(">IxxxB", len(payload), nxt), payload)
    body = b""
    chain = [t for t, _ in exts] + [nxt]
    for i, (t, raw) in enumerate(exts):
        body += bytes([chain[i + 1]]) + raw[1:]
    body += payload
    first = chain[0]
    pl = len(body) if plen is None else plen
    return struct.pack(">IHBB16s16s", 0x60000000, pl, first, hlim, s, d) + body


def ext_opts(n8=1):
    """Hop-by-hop or destination options header of n8*8 bytes (PadN filled)."""
    ln = n8 * 8
    return bytes([0, n8 - 1, 1, ln - 4]) + b"\x00" * (ln - 4)


def ext_frag(offset8, more, ident=0x1234):
    return struct.pack(">BBHI", 0, 0, (offset8 << 3) | (1 if more else 0), ident)


def ext_routing(n8):
    ln = (n8 + 1) * 8
    return bytes([0, n8, 0, 0]) + b"\x00" * (ln - 4)


def ether(src_mac, dst_mac, etype, payload, vlans=()):
    """Ethernet II; vlans: list of (tpid, tci) tags written before etype."""
    h = dst_mac + src_mac
    for tpid, tci in vlans:
        h += struct.pack(">HH", tpid, tci)
    return h + struct.pack(">H", etype) + payload


def eth_ip(src, dst, ippkt, vlans=(), smac=None, dmac=None):
    """Ethernet frame carrying an IP packet from host src to host dst (MACs from mac_of)."""
    v = ipaddress.ip_address(src).version
    return ether(smac or mac_of(src), dmac or mac_of(dst), 0x0800 if v == 4 else 0x86DD,
                 ippkt, [(0x8100, t) for t in vlans])


def udp4(src, dst, sport, dport, n=0, seed=0, **kw):
    return ipv4(src, dst, 17, udp(sport, dport, pay(n, seed)), **kw)


def tcp4(src, dst, sport, dport, flags, n=0, seed=0, options=b"", **kw):
    return ipv4(src, dst, 6, tcp(sport, dport, flags, pay(n, seed), options=options), **kw)


def udp6(src, dst, sport, dport, n=0, seed=0, **kw):
    return ipv6(src, dst, 17, udp(sport, dport, pay(n, seed)), **kw)


def tcp6(src, dst, sport, dport, flags, n=0, seed=0, **kw):
    return ipv6(src, dst, 6, tcp(sport, dport, flags, pay(n, seed)), **kw)


# --------------------------------------------------------------------------------------------
# Capture files
# --------------------------------------------------------------------------------------------

class Rec:
    """One captured frame: time in ns, captured bytes, wire length, and what the scenario
    author expects of it ("ok" or an ignore reason) and of BPF filters (set of filter
    strings that accept it)."""
    __slots__ = ("ts_ns", "data", "wire_len", "expect", "bpf")

    def __init__(self, ts_ns, frame, expect="ok", caplen=None, wire_len=None, bpf=()):
        self.ts_ns = ts_ns
        self.data = frame if caplen is None else frame[:caplen]
        self.wire_len = len(frame) if wire_len is None else wire_len
        self.expect = expect
        self.bpf = frozenset(bpf)


def ms(x):
    """ns timestamp of T0 + x milliseconds (x may be fractional)."""
    return T0_S * 10 ** 9 + int(round(x * NS_PER_MS))


def write_pcap(path, recs, linktype, nsec=False, big_endian=False):
    e = ">" if big_endian else "<"
    out = [struct.pack(e + "IHHiIII", 0xA1B23C4D if nsec else 0xA1B2C3D4, 2, 4, 0, 0,
                       262144, linktype)]
    for r in recs:
        sec, frac = divmod(r.ts_ns, 10 ** 9)
        if not nsec:
            frac //= 1000
        out.append(struct.pack(e + "IIII", sec, frac, len(r.data), r.wire_len) + r.data)
    with open(path, "wb") as f:
        f.write(b"".join(out))


def _block(btype, body):
    ln = 12 + len(body)
    return struct.pack("<II", btype, ln) + body + struct.pack("<I", ln)


def write_pcapng(path, recs, linktype):
    """One section, one interface with if_tsresol = 9 (ns), enhanced packet blocks."""
    out = [_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))]
    opts = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)
    out.append(_block(1, struct.pack("<HHI", linktype, 0, 262144) + opts))
    for r in recs:
        pad = b"\x00" * ((4 - len(r.data) % 4) % 4)
        body = struct.pack("<IIIII", 0, r.ts_ns >> 32, r.ts_ns & 0xFFFFFFFF, len(r.data),
                           r.wire_len) + r.data + pad
        out.append(_block(6, body))
    with open(path, "wb") as f:
        f.write(b"".join(out))


class CapFile:
    """fmt: pcap-us (default), pcap-ns, pcap-us-be, pcap-ns-be, pcapng; cut: keep only this
    many bytes of the file (a capture truncated mid-record); raw: exact file bytes."""

    def __init__(self, name, recs, linktype=LT_EN10MB, fmt="pcap-us", cut=None, raw=None):
        self.name, self.recs, self.linktype = name, recs, linktype
        self.fmt, self.cut, self.raw = fmt, cut, raw

    def write(self, outdir):
        path = os.path.join(outdir, self.name)
        if self.raw is not None:
            with open(path, "wb") as f:
                f.write(self.raw)
            return
        if self.fmt == "pcapng":
            write_pcapng(path, self.recs, self.linktype)
        else:
            write_pcap(path, self.recs, self.linktype, nsec="ns" in self.fmt,
                       big_endian=self.fmt.endswith("-be"))
        if self.cut is not None:
            with open(path, "rb") as f:
                data = f.read()
            with open(path, "wb") as f:
                f.write(data[:self.cut])


# --------------------------------------------------------------------------------------------
# Reference parser: spec section 3 (lib_engine.c packet_process and helpers), step by step.
# Returns a Meta for a packet that goes to a flow, or the ignore reason as a string.
# --------------------------------------------------------------------------------------------

class Meta:
    __slots__ = ("src_ip", "dst_ip", "sport", "dport", "proto", "ipver", "vlan", "tunnel",
                 "flags", "smac", "dmac", "size")


def _ipv6_ext(l3len, pkt, l4ptr, l4len, nxt):
    """nDPI ndpi_handle_ipv6_extension_headers (spec 3.4); all arithmetic in uint16."""
    l3len &= 0xFFFF
    while l3len > 1 and nxt in (0, 43, 44, 60, 135, 59):
        if nxt == 59:
            return 1, l4ptr, l4len, nxt
        if nxt == 44:
            if l4len < 8 or l3len < 5:
                return 1, l4ptr, l4len, nxt
            l3len -= 5
            nxt = pkt[l4ptr]
            if (be16(pkt, l4ptr + 2) >> 3) != 0:
                return 1, l4ptr, l4len, nxt
            l4len -= 8
            l4ptr += 8
            continue
        if l4len < 2:
            return 1, l4ptr, l4len, nxt
        ehdr = pkt[l4ptr + 1] * 8 + 8
        if ehdr > l3len or l4len < ehdr:
            return 1, l4ptr, l4len, nxt
        l3len -= ehdr
        nxt = pkt[l4ptr]
        l4len -= ehdr
        l4ptr += ehdr
    return 0, l4ptr, l4len, nxt


def ref_parse(pkt, wire_len, dlt, decode_tunnels):
    caplen = len(pkt)
    # Every read below is checked against caplen but one, as in NFStream: the TCP/UDP header
    # of an IPv4 packet cut by the snaplen, read past caplen (spec 3.7). NFStream reads
    # whatever follows in libpcap's buffer there; streamprobe reads zeros, and so does this.
    pkt = bytes(pkt) + bytes(16)
    eth_offset = 0
    typ = 0
    vlan_id = 0
    tunnel = 0
    pyld_eth_len = 0
    wifi_len = 0
    proto = 0
    frag_off = 0
    smac = dmac = bytes(6)
    state = "datalink"
    ip_off = 0
    ip_len = 0
    v6 = False
    while True:
        if state == "datalink":
            eo = eth_offset
            # NFStream ignores a short frame before it looks at the link type; the reason's
            # name is streamprobe's, which counts every frame of an unsupported link type as
            # such, short or not
            if dlt not in DLT_DECODED:
                return "dlt"
            if caplen < eo + 28:
                return "short"
            if dlt == 0:
                typ = 0x0800 if be32(pkt, eo) == 2 else 0x86DD
                ip_off = eo + 4
            elif dlt == 50:
                ip_off = eo + 4
                typ = be16(pkt, eo + 2)
            elif dlt in (9, 104):
                if pkt[0] in (0x0F, 0x8F):
                    ip_off = eo + 4
                    typ = be16(pkt, eo + 2)
                else:
                    ip_off = eo + 2
                    typ = be16(pkt, eo)
            elif dlt == 228:
                typ, ip_off = 0x0800, eo
            elif dlt == 229:
                typ, ip_off = 0x86DD, eo
            elif dlt == 1:
                dmac, smac = pkt[eo:eo + 6], pkt[eo + 6:eo + 12]
                ip_off = eo + 14
                check = be16(pkt, eo + 12)
                if check <= 1500:
                    pyld_eth_len = check
                elif check >= 1536:
                    typ = check
                if pyld_eth_len != 0:
                    dsap, ssap = pkt[ip_off], pkt[ip_off + 1]
                    if dsap == 0xAA or ssap == 0xAA:
                        # snap.proto_ID read without ntohs on a little-endian host (sic)
                        typ = pkt[ip_off + 6] | (pkt[ip_off + 7] << 8)
                        ip_off += 8
                    elif dsap == 0x42 or ssap == 0x42:
                        return "l2"
            elif dlt == 113:
                typ = be16(pkt, eo + 14)
                ip_off = eo + 16
            elif dlt == 12:
                ip_off = eo
                if caplen > eo:
                    v = pkt[eo] >> 4
                    if v == 4:
                        typ = 0x0800
                    if v == 6:
                        typ = 0x86DD
            elif dlt == 127:
                # radiotap + 802.11 + LLC (spec 3.2); names as streamprobe counts them
                radio_len = pkt[eo + 2] | (pkt[eo + 3] << 8)
                if (pkt[eo + 16] & 0x50) == 0x50:       # bad FCS, at a fixed offset
                    return "l2"
                if caplen < eo + radio_len + 24:
                    return "short"
                w = eo + radio_len
                fc = pkt[w] | (pkt[w + 1] << 8)
                if (fc >> 2) & 0x3 != 2:                # not a data frame
                    return "l2"
                if bool(fc & 0x0100) != bool(fc & 0x0200):
                    wifi_len = 26                       # else left as it was (sic)
                smac, dmac = pkt[w + 10:w + 16], pkt[w + 16:w + 22]
                if caplen < eo + wifi_len + radio_len + 8:
                    return "short"
                llc = eo + wifi_len + radio_len
                if pkt[llc] == 0xAA:
                    typ = be16(pkt, llc + 6)
                ip_off = llc + 8
            else:
                return "dlt"
            # ether_type_check loop (VLAN, MPLS, PPPoE chains)
            while True:
                if typ == 0x8100:
                    if ip_off + 4 >= caplen:
                        raise Ambiguous("vlan tag cut")
                    vlan_id = be16(pkt, ip_off) & 0xFFF
                    typ = be16(pkt, ip_off + 2)
                    ip_off += 4
                    while typ == 0x8100 and ip_off + 4 < caplen:
                        vlan_id = be16(pkt, ip_off) & 0xFFF
                        typ = be16(pkt, ip_off + 2)
                        ip_off += 4
                    continue
                if typ in (0x8847, 0x8848):
                    if ip_off + 4 >= caplen:
                        raise Ambiguous("mpls cut")
                    label = be32(pkt, ip_off)
                    typ = 0x0800
                    ip_off += 4
                    while not (label >> 8) & 1 and ip_off + 4 < caplen:
                        label = be32(pkt, ip_off)
                        ip_off += 4
                    continue
                if typ == 0x8864:
                    typ = 0x0800
                    ip_off += 8
                    continue
                break
            state = "iph"
        if state == "iph":
            if caplen < ip_off + 20:
                return "ip_short"
            if typ == 0x0800:
                frag_off = be16(pkt, ip_off + 6)
                proto = pkt[ip_off + 9]
            ver = pkt[ip_off] >> 4
            if ver == 4:
                ip_len = (pkt[ip_off] & 0xF) * 4
                v6 = False
                if pkt[ip_off + 9] in (41, 4):
                    ip_off += ip_len
                    if ip_len > 0:
                        continue
                if frag_off & 0x1FFF:
                    return "ipv4_frag"
            elif ver == 6:
                if caplen < ip_off + 40:
                    raise Ambiguous("ipv6 header cut")
                proto = pkt[ip_off + 6]
                ip_len = be16(pkt, ip_off + 4)
                if caplen < ip_off + 40 + ip_len:
                    return "ipv6_trunc"
                ipsize = (caplen - ip_off) & 0xFFFF
                rc, l4ptr, ip_len, proto = _ipv6_ext(ipsize - 40, pkt, ip_off + 40, ip_len,
                                                     proto)
                if rc:
                    return "ipv6_ext"
                if proto in (41, 4):
                    ip_off = l4ptr
                    continue
                v6 = True
            else:
                return "ip_version"
            state = "tunnel"
        if state == "tunnel":
            state = "parse"
            if decode_tunnels and proto == 17:
                if caplen < ip_off + ip_len + 8:
                    raise Ambiguous("udp header cut before tunnel check")
                u = ip_off + ip_len
                sport, dport = be16(pkt, u), be16(pkt, u + 2)
                if 2152 in (sport, dport) and u + 8 + 8 < caplen:
                    off = u + 8
                    flags, mtype = pkt[off], pkt[off + 1]
                    err = False
                    if (flags & 0xE0) >> 5 == 1 and mtype == 0xFF:
                        off += 8
                        if flags & 0x07:
                            off += 4
                        if flags & 0x04:
                            while off < caplen:
                                ext_len = pkt[off] << 2
                                off += ext_len
                                if off >= caplen or ext_len == 0:
                                    err = True
                                    break
                                if pkt[off - 1] == 0:
                                    break
                        if off < caplen and not err:
                            tunnel = 1
                            ip_off = off
                            v = pkt[ip_off] >> 4
                            if v == 6:
                                v6 = True
                                if caplen < ip_off + 40:
                                    raise Ambiguous("gtp inner ipv6 cut")
                            elif v != 4:
                                raise Ambiguous("gtp inner version")
                            else:
                                v6 = False
                                if caplen < ip_off + 20:
                                    raise Ambiguous("gtp inner ipv4 cut")
                elif 37008 in (sport, dport):
                    if caplen < u + 8 + 4:
                        return "tunnel"
                    off = u + 8
                    version, ts_type, encap = pkt[off], pkt[off + 1], be16(pkt, off + 2)
                    tunnel = 3
                    if version == 1 and ts_type == 0 and encap == 1:
                        off += 4
                        if off < caplen:
                            tag = pkt[off]
                            if tag in (0, 1):
                                tag_len = 1
                            else:
                                if off + 1 >= caplen:
                                    return "tunnel"
                                tag_len = pkt[off + 1]
                            off += tag_len
                            if off >= caplen:
                                return "tunnel"
                            eth_offset = off
                            state = "datalink"
                            continue
                elif 5247 in (sport, dport):
                    off = u + 8
                    if off + 1 < caplen and (pkt[off] & 0x0F) == 0:
                        off += (pkt[off + 1] & 0xF8) >> 1
                        if off + 32 < caplen:
                            smac, dmac = pkt[off + 10:off + 16], pkt[off + 16:off + 22]
                            off += 24
                            typ = be16(pkt, off + 6)
                            ip_off = off + 8
                            tunnel = 2
                            state = "iph"
                            continue
        # packet_parse / packet_get_ip_info / packet_get_ipv6_info
        ipsize = (caplen - ip_off) & 0xFFFF
        m = Meta()
        if not v6:
            ihl4 = (pkt[ip_off] & 0xF) * 4
            tot_len = be16(pkt, ip_off + 2)
            l4_len = (tot_len - ihl4) & 0xFFFF
            l4_off = ihl4
            if ipsize < 20 or ihl4 > ipsize:
                return "ipv4_hdr"
            if max(tot_len, ipsize) < l4_off + l4_len:
                return "ipv4_hdr"
            l4proto = pkt[ip_off + 9]
            m.src_ip = pkt[ip_off + 12:ip_off + 16] + bytes(12)
            m.dst_ip = pkt[ip_off + 16:ip_off + 20] + bytes(12)
            ip_size = tot_len
            m.ipver = 4
        else:
            if ipsize < 40:
                raise Ambiguous("ipv6 short in parse")
            nxt = pkt[ip_off + 6]
            plen = be16(pkt, ip_off + 4)
            if ipsize < 40 + plen:
                return "ipv6_trunc"
            rc, l4ptr, l4_len, nxt = _ipv6_ext(ipsize - 40, pkt, ip_off + 40, plen, nxt)
            if rc:
                return "ipv6_ext"
            l4proto = nxt
            l4_off = l4ptr - ip_off
            if l4_off > ipsize:
                raise Ambiguous("ipv6 l4 offset")
            if max(plen, ipsize) < l4_off + l4_len:
                raise Ambiguous("ipv6 length")
            m.src_ip = pkt[ip_off + 8:ip_off + 24]
            m.dst_ip = pkt[ip_off + 24:ip_off + 40]
            ip_size = plen
            m.ipver = 6
        l4 = ip_off + l4_off
        flags = 0
        payload = 0
        if l4proto == 6 and l4_len >= 20:
            sport, dport = be16(pkt, l4), be16(pkt, l4 + 2)
            payload = max(0, l4_len - 4 * (pkt[l4 + 12] >> 4))
            flags = pkt[l4 + 13]
            transport = l4_len
        elif l4proto == 17 and l4_len >= 8:
            sport, dport = be16(pkt, l4), be16(pkt, l4 + 2)
            payload = l4_len - 8
            transport = l4_len
        elif l4proto in (1, 58):
            sport = dport = 0
            payload = l4_len - 8 if l4_len > 8 else 0
            transport = l4_len
        else:
            sport = dport = 0
            transport = 0
        m.sport, m.dport, m.proto = sport, dport, l4proto
        m.vlan, m.tunnel, m.flags = vlan_id, tunnel, flags
        m.smac, m.dmac = bytes(smac), bytes(dmac)
        m.size = (wire_len & 0xFFFF, ip_size & 0xFFFF, transport & 0xFFFF, payload & 0xFFFF)
        return m


# --------------------------------------------------------------------------------------------
# Reference meter: spec sections 4 to 6, and the CSV text of section 9
# --------------------------------------------------------------------------------------------

def ntop(b16, ver):
    """glibc inet_ntop: dotted quad, or RFC 5952 IPv6 with the ::a.b.c.d forms."""
    if ver == 4:
        return ".".join(str(x) for x in b16[:4])
    w = struct.unpack(">8H", b16)
    best, cur = (-1, 0), (-1, 0)
    for i in range(8):
        if w[i] == 0:
            cur = (i if cur[0] < 0 else cur[0], cur[1] + 1)
            if cur[1] > best[1]:
                best = cur
        else:
            cur = (-1, 0)
    if best[1] < 2:
        best = (-1, 0)
    out = ""
    i = 0
    while i < 8:
        if best[0] >= 0 and best[0] <= i < best[0] + best[1]:
            if i == best[0]:
                out += ":"
            i += 1
            continue
        if i:
            out += ":"
        if i == 6 and best[0] == 0 and (best[1] == 6 or (best[1] == 5 and w[5] == 0xFFFF)):
            out += ".".join(str(x) for x in b16[12:16])
            break
        out += "%x" % w[i]
        i += 1
    if best[0] >= 0 and best[0] + best[1] == 8:
        out += ":"
    return out


FLAG_ORDER = (0x02, 0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x01)   # syn cwr ece urg ack psh rst fin
FLAG_NAMES = ("syn", "cwr", "ece", "urg", "ack", "psh", "rst", "fin")


class Scope:
    """Counters of one direction scope, updated exactly as lib_engine.c does."""

    def __init__(self):
        self.n = 0
        self.bytes = 0
        self.first = self.last = self.dur = 0
        self.min_ps = self.max_ps = 0
        self.mean_ps = self.m2_ps = 0.0
        self.min_piat = self.max_piat = 0
        self.mean_piat = self.m2_piat = 0.0
        self.flags = [0] * 8

    def add(self, t, size, flags):
        self.n += 1
        self.bytes += size
        for i, bit in enumerate(FLAG_ORDER):
            if flags & bit:
                self.flags[i] += 1
        if self.n == 1:
            self.first = self.last = t
            self.min_ps = self.max_ps = size
            self.mean_ps = 0.0 + size
            return
        piat = t - self.last
        self.last = t
        self.dur = t - self.first
        self.max_ps = max(self.max_ps, size)
        self.min_ps = min(self.min_ps, size)
        old = self.mean_ps
        self.mean_ps += (size - old) / self.n
        self.m2_ps += (size - old) * (size - self.mean_ps)
        if self.n == 2:
            self.min_piat = self.max_piat = piat
            self.mean_piat = 0.0 + piat
        else:
            self.max_piat = max(self.max_piat, piat)
            self.min_piat = min(self.min_piat, piat)
            old = self.mean_piat
            self.mean_piat += (piat - old) / (self.n - 1)
            self.m2_piat += (piat - old) * (piat - self.mean_piat)

    def std_ps(self):
        return math.sqrt(self.m2_ps / (self.n - 1)) if self.n > 1 else 0.0

    def std_piat(self):
        return math.sqrt(self.m2_piat / (self.n - 2)) if self.n > 2 else 0.0


class Flow:
    def __init__(self, m, t, mode, splt):
        self.m = m
        self.exp = 0
        self.sc = [Scope(), Scope(), Scope()]
        size = m.size[mode]
        self.sc[0].add(t, size, m.flags)
        self.sc[1].add(t, size, m.flags)
        self.splt = [[-1] * splt, [-1] * splt, [-1] * splt]
        if splt:
            self.splt[0][0], self.splt[1][0], self.splt[2][0] = 0, size, 0

    def update(self, p, t, mode):
        f = self.m
        d = 0 if (p.sport, p.dport, p.src_ip, p.dst_ip) == (f.sport, f.dport, f.src_ip,
                                                            f.dst_ip) else 1
        size = p.size[mode]
        k = self.sc[0].n          # index of this packet in the SPLT arrays
        piat = t - self.sc[0].last
        if k < len(self.splt[0]):
            self.splt[0][k], self.splt[1][k], self.splt[2][k] = d, size, piat
        self.sc[0].add(t, size, p.flags)
        self.sc[1 + d].add(t, size, p.flags)

    def values(self, o):
        """(column, value) pairs in NFStream slot order for run options o."""
        m = self.m
        smac, dmac = mac_str(m.smac), mac_str(m.dmac)
        v = [("expiration_id", self.exp),
             ("src_ip", ntop(m.src_ip, m.ipver)), ("src_mac", smac), ("src_oui", smac[:8]),
             ("src_port", m.sport),
             ("dst_ip", ntop(m.dst_ip, m.ipver)), ("dst_mac", dmac), ("dst_oui", dmac[:8]),
             ("dst_port", m.dport), ("protocol", m.proto), ("ip_version", m.ipver),
             ("vlan_id", m.vlan)]
        if o["decode_tunnels"]:
            v.append(("tunnel_id", m.tunnel))
        for name, s in zip(("bidirectional", "src2dst", "dst2src"), self.sc):
            v += [(name + "_first_seen_ms", s.first), (name + "_last_seen_ms", s.last),
                  (name + "_duration_ms", s.dur), (name + "_packets", s.n),
                  (name + "_bytes", s.bytes)]
        if o["stats"]:
            for name, s in zip(("bidirectional", "src2dst", "dst2src"), self.sc):
                v += [(name + "_min_ps", s.min_ps), (name + "_mean_ps", s.mean_ps),
                      (name + "_stddev_ps", s.std_ps()), (name + "_max_ps", s.max_ps)]
            for name, s in zip(("bidirectional", "src2dst", "dst2src"), self.sc):
                v += [(name + "_min_piat_ms", s.min_piat), (name + "_mean_piat_ms", s.mean_piat),
                      (name + "_stddev_piat_ms", s.std_piat()),
                      (name + "_max_piat_ms", s.max_piat)]
            for name, s in zip(("bidirectional", "src2dst", "dst2src"), self.sc):
                v += [(name + "_%s_packets" % fl, s.flags[i])
                      for i, fl in enumerate(FLAG_NAMES)]
        if o["splt"]:
            v += [("splt_direction", self.splt[0]), ("splt_ps", self.splt[1]),
                  ("splt_piat_ms", self.splt[2])]
        return v


APP_COLUMNS = ["application_name", "application_category_name", "application_is_guessed",
               "application_confidence", "requested_server_name", "client_fingerprint",
               "server_fingerprint", "user_agent", "content_type"]


def columns(o):
    f = Flow.__new__(Flow)
    m = Meta()
    m.src_ip = m.dst_ip = bytes(16)
    m.smac = m.dmac = bytes(6)
    m.sport = m.dport = m.proto = m.vlan = m.tunnel = m.flags = 0
    m.ipver = 4
    f.m, f.exp, f.sc = m, 0, [Scope(), Scope(), Scope()]
    f.splt = [[], [], []]
    cols = ["id"] + [c for c, _ in f.values(o)]
    if o["n_dissections"]:
        cols += APP_COLUMNS
    return cols


def field_text(v):
    """utils.py csv_converter + str(): the text of one CSV field."""
    if isinstance(v, bool):
        raise TypeError("bool in a flow value")
    if isinstance(v, (int, float)):
        return repr(v) if isinstance(v, float) else str(v)
    return '"' + str(v).replace('"', '\\"') + '"'


def field_value(v):
    """What Python's csv.reader returns for field_text(v)."""
    if isinstance(v, float):
        return repr(v)
    return str(v)


class Meter:
    """meter.py meter_workflow/consume/meter_scan with n_meters = 1 (spec 5.1 to 6.1)."""

    def __init__(self, o):
        self.o = o
        self.idle = o["idle_timeout"] * 1000
        self.active = o["active_timeout"] * 1000
        self.tick = 0
        self.scan_tick = 0
        self.cache = OrderedDict()
        self.out = []
        self.acct = {"received": 0, "in_flows": 0, "ignored": 0, "filtered": 0,
                     "dropped": 0, "reasons": {}}

    def packet(self, rec, dlt):
        o = self.o
        self.acct["received"] += 1
        if o["bpf"] is not None and o["bpf"] not in rec.bpf:
            self.acct["filtered"] += 1
            return
        m = ref_parse(rec.data, rec.wire_len, dlt, o["decode_tunnels"])
        if isinstance(m, str):
            self.acct["ignored"] += 1
            self.acct["reasons"][m] = self.acct["reasons"].get(m, 0) + 1
            return
        self.acct["in_flows"] += 1
        t = rec.ts_ns // 1000 // 1000          # libpcap us (truncated), then ms (truncated)
        if t > self.tick:
            self.tick = t
        else:
            t = self.tick
        go_scan = self.tick - self.scan_tick >= 10
        if go_scan:
            self.scan_tick = self.tick
        a, b = (m.src_ip, m.sport), (m.dst_ip, m.dport)
        key = (min(a, b), max(a, b), m.proto, m.vlan, m.tunnel)
        f = self.cache.get(key)
        if f is None:
            self.cache[key] = Flow(m, t, o["accounting_mode"], o["splt"])
        else:
            r = 0
            if t - f.sc[0].last >= self.idle:
                r = 1
            elif t - f.sc[0].first >= self.active:
                r = 2
            if r:
                f.exp = r - 1
                self.out.append(f)
                del self.cache[key]
                self.cache[key] = Flow(m, t, o["accounting_mode"], o["splt"])
            else:
                f.update(m, t, o["accounting_mode"])
        if go_scan:
            n = 0
            while self.cache and n < 1000:
                k, f = next(iter(self.cache.items()))
                if self.tick - self.idle >= f.sc[0].last:
                    self.out.append(f)
                    del self.cache[k]
                    n += 1
                else:
                    break

    def finish(self):
        self.out.extend(self.cache.values())
        self.cache.clear()
        flows = self.out
        if self.o["max_nflows"]:
            flows = flows[:self.o["max_nflows"]]
        return flows


# --------------------------------------------------------------------------------------------
# Scenarios and runs
# --------------------------------------------------------------------------------------------

DEFAULT_OPTS = {"idle_timeout": 120, "active_timeout": 1800, "accounting_mode": 0,
                "stats": False, "splt": 0, "n_dissections": 20, "decode_tunnels": True,
                "max_nflows": 0, "bpf": None}


class Run:
    def __init__(self, name, files, hand=None, acct=None, extra=(), **opts):
        self.name, self.files = name, list(files)
        self.hand = hand            # list of dicts (flow id order) of hand-derived values
        self.hand_acct = acct       # dict of hand-derived accounting values, or None
        self.extra = list(extra)    # arguments that restate a default (parsing check)
        self.o = dict(DEFAULT_OPTS)
        for k, v in opts.items():
            if k not in self.o:
                raise KeyError(k)
            self.o[k] = v

    def args(self):
        o, a = self.o, []
        d = DEFAULT_OPTS
        if o["idle_timeout"] != d["idle_timeout"]:
            a += ["--idle-timeout", str(o["idle_timeout"])]
        if o["active_timeout"] != d["active_timeout"]:
            a += ["--active-timeout", str(o["active_timeout"])]
        if o["accounting_mode"]:
            a += ["--accounting-mode", str(o["accounting_mode"])]
        if o["stats"]:
            a += ["--statistical-analysis"]
        if o["splt"]:
            a += ["--splt-analysis", str(o["splt"])]
        if o["n_dissections"] != d["n_dissections"]:
            a += ["--n-dissections", str(o["n_dissections"])]
        if not o["decode_tunnels"]:
            a += ["--no-decode-tunnels"]
        if o["max_nflows"]:
            a += ["--max-nflows", str(o["max_nflows"])]
        if o["bpf"] is not None:
            a += ["--bpf-filter", o["bpf"]]
        return a + self.extra


class Scenario:
    def __init__(self, name, doc):
        self.name, self.doc = name, doc
        self.files = []
        self.runs = []
        self.error = None       # for captures streamprobe must refuse or may stop on

    def file(self, *a, **kw):
        f = CapFile(*a, **kw)
        self.files.append(f)
        return f

    def run(self, name, files=None, **kw):
        r = Run(name, files or [f.name for f in self.files], **kw)
        self.runs.append(r)
        return r


SCENARIOS = []


def scenario(fn):
    SCENARIOS.append(fn)
    return fn


# Hosts used throughout.
A, B, C, D, E, F_ = "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"
A6, B6 = "2001:db8::1", "2001:db8::2"


def M(addr):
    return mac_str(mac_of(addr))


STAT_ZERO_D2S = {"dst2src_first_seen_ms": 0, "dst2src_last_seen_ms": 0,
                 "dst2src_duration_ms": 0, "dst2src_packets": 0, "dst2src_bytes": 0}


@scenario
def s_idle_boundary():
    s = Scenario("idle_boundary", "spec 5.2/11: a reply exactly idle_timeout after the request "
                 "opens a new flow whose src is the replier; 1 ms less keeps the flow")
    s.file("idle_boundary.pcap", [
        Rec(ms(0), eth_ip(A, B, udp4(A, B, 40000, 7000, 20))),          # 14+20+8+20 = 62
        Rec(ms(10000), eth_ip(B, A, udp4(B, A, 7000, 40000, 40))),      # 82, t - last = 10000
        Rec(ms(20000), eth_ip(E, F_, udp4(E, F_, 40001, 7000, 20))),    # 62
        Rec(ms(29999), eth_ip(F_, E, udp4(F_, E, 7000, 40001, 40))),    # 82, 9999 < 10000
    ])
    # idle 10 s: AB is expired by the reply (packet-triggered, id 0); the reply starts BA
    # (id 1), which the scan at t=20000 expires (20000-10000 >= 10000); EF ends at EOF.
    s.run("idle10", idle_timeout=10, stats=True, splt=4, n_dissections=0, hand=[
        dict(id=0, expiration_id=0, src_ip=A, src_port=40000, dst_ip=B, dst_port=7000,
             src_mac=M(A), src_oui=M(A)[:8], dst_mac=M(B), protocol=17, ip_version=4,
             vlan_id=0, tunnel_id=0,
             bidirectional_first_seen_ms=T0_MS, bidirectional_last_seen_ms=T0_MS,
             bidirectional_duration_ms=0, bidirectional_packets=1, bidirectional_bytes=62,
             src2dst_packets=1, src2dst_bytes=62, **STAT_ZERO_D2S,
             bidirectional_mean_ps=62.0, bidirectional_stddev_ps=0.0,
             dst2src_min_ps=0, dst2src_mean_ps=0.0, dst2src_max_ps=0,
             bidirectional_min_piat_ms=0, bidirectional_mean_piat_ms=0.0,
             splt_direction=[0, -1, -1, -1], splt_ps=[62, -1, -1, -1],
             splt_piat_ms=[0, -1, -1, -1]),
        dict(id=1, expiration_id=0, src_ip=B, src_port=7000, dst_ip=A, dst_port=40000,
             src_mac=M(B), dst_mac=M(A),
             bidirectional_first_seen_ms=T0_MS + 10000, bidirectional_last_seen_ms=T0_MS + 10000,
             bidirectional_packets=1, bidirectional_bytes=82, src2dst_bytes=82),
        dict(id=2, expiration_id=0, src_ip=E, src_port=40001, dst_ip=F_, dst_port=7000,
             bidirectional_first_seen_ms=T0_MS + 20000, bidirectional_last_seen_ms=T0_MS + 29999,
             bidirectional_duration_ms=9999, bidirectional_packets=2, bidirectional_bytes=144,
             src2dst_packets=1, src2dst_bytes=62, dst2src_packets=1, dst2src_bytes=82,
             dst2src_first_seen_ms=T0_MS + 29999, dst2src_duration_ms=0,
             bidirectional_min_ps=62, bidirectional_max_ps=82, bidirectional_mean_ps=72.0,
             bidirectional_stddev_ps=math.sqrt(200.0),
             bidirectional_min_piat_ms=9999, bidirectional_max_piat_ms=9999,
             bidirectional_mean_piat_ms=9999.0, bidirectional_stddev_piat_ms=0.0,
             splt_direction=[0, 1, -1, -1], splt_ps=[62, 82, -1, -1],
             splt_piat_ms=[0, 9999, -1, -1]),
    ], acct=dict(received=4, in_flows=4, ignored=0, filtered=0, reasons={}))
    # idle 11 s: the reply (10 s) stays in AB; the scan at t=29999 (29999-11000 >= 10000)
    # expires AB, EF ends at EOF.
    s.run("idle11", idle_timeout=11, stats=True, hand=[
        dict(id=0, src_ip=A, bidirectional_packets=2, src2dst_packets=1, dst2src_packets=1,
             bidirectional_duration_ms=10000, dst2src_first_seen_ms=T0_MS + 10000),
        dict(id=1, src_ip=E, bidirectional_packets=2),
    ])
    return s


@scenario
def s_active_timeout():
    s = Scenario("active_timeout", "spec 11: UDP 1 pkt/s for 71 s, idle 10 active 60: 60 packets "
                 "with expiration_id 1, then 11 packets with expiration_id 0")
    s.file("active_timeout.pcap", [
        Rec(ms(1000 * i), eth_ip(A, B, udp4(A, B, 40000, 7000, 100, seed=i)))   # 142 bytes
        for i in range(71)])
    s.run("idle10_active60", idle_timeout=10, active_timeout=60, stats=True, splt=3,
          n_dissections=0, hand=[
              dict(id=0, expiration_id=1, src_ip=A, dst_ip=B, bidirectional_packets=60,
                   bidirectional_first_seen_ms=T0_MS, bidirectional_last_seen_ms=T0_MS + 59000,
                   bidirectional_duration_ms=59000, bidirectional_bytes=60 * 142,
                   src2dst_packets=60, dst2src_packets=0,
                   bidirectional_min_piat_ms=1000, bidirectional_max_piat_ms=1000,
                   bidirectional_mean_piat_ms=1000.0, bidirectional_stddev_piat_ms=0.0,
                   bidirectional_mean_ps=142.0, bidirectional_stddev_ps=0.0,
                   splt_direction=[0, 0, 0], splt_ps=[142, 142, 142],
                   splt_piat_ms=[0, 1000, 1000]),
              dict(id=1, expiration_id=0, src_ip=A, bidirectional_packets=11,
                   bidirectional_first_seen_ms=T0_MS + 60000,
                   bidirectional_last_seen_ms=T0_MS + 70000,
                   bidirectional_duration_ms=10000, bidirectional_bytes=11 * 142),
          ], acct=dict(received=71, in_flows=71, ignored=0, filtered=0, reasons={}))
    # more than 255 SPLT slots is allowed (NFStream only warns): 300-long lists
    s.run("splt300", idle_timeout=10, active_timeout=60, splt=300, n_dissections=0, hand=[
        dict(id=0, splt_direction=[0] * 60 + [-1] * 240, splt_ps=[142] * 60 + [-1] * 240,
             splt_piat_ms=[0] + [1000] * 59 + [-1] * 240),
        dict(id=1, splt_ps=[142] * 11 + [-1] * 289)])
    return s


@scenario
def s_hol_scan():
    s = Scenario("hol_scan", "spec 5.3/11: an idle flow behind an older active flow is not "
                 "expired by the scan (head-of-line), values unchanged, exported after it")
    recs = []
    for i in range(6):      # A active for 300 s, a packet every 60 s
        recs.append(Rec(ms(60000 * i), eth_ip(A, B, udp4(A, B, 40000, 7000, 10))))   # 52
        if i == 0:
            recs.append(Rec(ms(1000), eth_ip(C, D, udp4(C, D, 40001, 7000, 10))))
            recs.append(Rec(ms(2000), eth_ip(C, D, udp4(C, D, 40001, 7000, 10))))
    s.file("hol_scan.pcap", recs)
    s.run("idle120", stats=True, n_dissections=0, hand=[
        dict(id=0, expiration_id=0, src_ip=A, bidirectional_packets=6,
             bidirectional_first_seen_ms=T0_MS, bidirectional_last_seen_ms=T0_MS + 300000,
             bidirectional_duration_ms=300000, bidirectional_bytes=312,
             bidirectional_min_piat_ms=60000, bidirectional_max_piat_ms=60000),
        dict(id=1, expiration_id=0, src_ip=C, bidirectional_packets=2,
             bidirectional_first_seen_ms=T0_MS + 1000, bidirectional_last_seen_ms=T0_MS + 2000,
             bidirectional_duration_ms=1000, bidirectional_bytes=104,
             bidirectional_min_piat_ms=1000, bidirectional_mean_piat_ms=1000.0),
    ], acct=dict(received=8, in_flows=8, ignored=0, filtered=0, reasons={}))
    # idle 59 s: each A packet (60 s apart) expires the previous A flow by packet and the
    # new A flow goes to the end of the cache, so C becomes the head and the scan at
    # t=120000 expires it (120000-59000 >= 2000) right after A's 2nd flow.
    s.run("idle59", idle_timeout=59, n_dissections=0, hand=[
        dict(id=0, src_ip=A, bidirectional_first_seen_ms=T0_MS, bidirectional_packets=1),
        dict(id=1, src_ip=A, bidirectional_first_seen_ms=T0_MS + 60000),
        dict(id=2, src_ip=C, bidirectional_packets=2, expiration_id=0),
        dict(id=3, src_ip=A, bidirectional_first_seen_ms=T0_MS + 120000),
        dict(id=4, src_ip=A, bidirectional_first_seen_ms=T0_MS + 180000),
        dict(id=5, src_ip=A, bidirectional_first_seen_ms=T0_MS + 240000),
        dict(id=6, src_ip=A, bidirectional_first_seen_ms=T0_MS + 300000),
    ])
    return s


@scenario
def s_tcp_fin_rst():
    s = Scenario("tcp_fin_rst", "spec 5.4/11: SYN..FIN,FIN then a new SYN and an RST on the same "
                 "5-tuple are one flow (syn 3, fin 2, rst 1); flag counters per direction")
    seq = [  # (t ms, from client?, flags, payload)
        (0, True, "SEC", 0), (10, False, "SAE", 0), (20, True, "A", 0), (30, True, "PAU", 100),
        (40, False, "A", 0), (50, True, "FA", 0), (60, False, "FA", 0), (70, True, "A", 0),
        (1000, True, "S", 0), (1010, False, "RA", 0)]
    recs = []
    for t, cli, fl, n in seq:
        if cli:
            recs.append(Rec(ms(t), eth_ip(A, B, tcp4(A, B, 40000, 80, fl, n))))
        else:
            recs.append(Rec(ms(t), eth_ip(B, A, tcp4(B, A, 80, 40000, fl, n))))
    s.file("tcp_fin_rst.pcap", recs)
    # sizes: 54 without payload, 154 with 100 bytes; 9*54 + 154 = 640
    s.run("default", stats=True, splt=10, n_dissections=0, hand=[
        dict(id=0, expiration_id=0, src_ip=A, src_port=40000, dst_port=80, protocol=6,
             bidirectional_packets=10, src2dst_packets=6, dst2src_packets=4,
             bidirectional_bytes=640, src2dst_bytes=424, dst2src_bytes=216,
             bidirectional_first_seen_ms=T0_MS, bidirectional_last_seen_ms=T0_MS + 1010,
             bidirectional_syn_packets=3, bidirectional_fin_packets=2,
             bidirectional_rst_packets=1, bidirectional_ack_packets=8,
             bidirectional_psh_packets=1, bidirectional_urg_packets=1,
             bidirectional_ece_packets=2, bidirectional_cwr_packets=1,
             src2dst_syn_packets=2, src2dst_fin_packets=1, src2dst_rst_packets=0,
             src2dst_ack_packets=4, src2dst_ece_packets=1, src2dst_cwr_packets=1,
             src2dst_urg_packets=1, src2dst_psh_packets=1,
             dst2src_syn_packets=1, dst2src_fin_packets=1, dst2src_rst_packets=1,
             dst2src_ack_packets=4, dst2src_ece_packets=1, dst2src_cwr_packets=0,
             bidirectional_min_ps=54, bidirectional_max_ps=154, bidirectional_mean_ps=64.0,
             bidirectional_stddev_ps=math.sqrt(1000.0),     # M2 = 9*10^2 + 90^2 = 9000, /9
             bidirectional_min_piat_ms=10, bidirectional_max_piat_ms=930,
             splt_direction=[0, 1, 0, 0, 1, 0, 1, 0, 0, 1],
             splt_ps=[54, 54, 54, 154, 54, 54, 54, 54, 54, 54],
             splt_piat_ms=[0, 10, 10, 10, 10, 10, 10, 10, 930, 10]),
    ], acct=dict(received=10, in_flows=10, ignored=0, filtered=0, reasons={}))
    return s


@scenario
def s_backwards_time():
    s = Scenario("backwards_time", "spec 3.1/11: a packet earlier than its predecessor takes the "
                 "predecessor's ms and piat 0; a new flow created then starts at the forced time")
    s.file("backwards_time.pcap", [
        Rec(ms(1000.4), eth_ip(A, B, udp4(A, B, 40000, 7000, 10))),
        Rec(ms(1500), eth_ip(B, A, udp4(B, A, 7000, 40000, 10))),
        Rec(ms(1200), eth_ip(A, B, udp4(A, B, 40000, 7000, 10))),       # forced to 1500
        Rec(ms(1300), eth_ip(C, D, udp4(C, D, 40001, 7000, 10))),       # forced to 1500
        Rec(ms(2000), eth_ip(A, B, udp4(A, B, 40000, 7000, 10))),
    ])
    s.run("default", stats=True, splt=5, n_dissections=0, hand=[
        dict(id=0, src_ip=A, bidirectional_packets=4, bidirectional_first_seen_ms=T0_MS + 1000,
             bidirectional_last_seen_ms=T0_MS + 2000, bidirectional_duration_ms=1000,
             src2dst_packets=3, src2dst_first_seen_ms=T0_MS + 1000,
             src2dst_last_seen_ms=T0_MS + 2000, dst2src_first_seen_ms=T0_MS + 1500,
             bidirectional_min_piat_ms=0, bidirectional_max_piat_ms=500,
             src2dst_min_piat_ms=500, src2dst_max_piat_ms=500, src2dst_mean_piat_ms=500.0,
             splt_direction=[0, 1, 0, 0, -1], splt_piat_ms=[0, 500, 0, 500, -1]),
        dict(id=1, src_ip=C, bidirectional_first_seen_ms=T0_MS + 1500,
             bidirectional_last_seen_ms=T0_MS + 1500, bidirectional_packets=1),
    ], acct=dict(received=5, in_flows=5, ignored=0, filtered=0, reasons={}))
    return s


@scenario
def s_truncated():
    s = Scenario("truncated", "spec 3.4/3.7/11: frames with caplen < len. IPv4 is counted with "
                 "the wire length and the IP header lengths; IPv6 is ignored; raw size is len "
                 "modulo 2^16")
    big = tcp4(C, D, 40002, 443, "A", 65490)      # tot_len 20+20+65490 = 65530
    # the BPF length is the wire length, as libpcap has it: only the 142-byte frame is
    # under 200 (by captured length only the untruncated 562-byte one would pass)
    G200 = "greater 200"
    s.file("truncated.pcap", [
        # wire 14+20+8+500 = 542, caplen 100: ip 528, transport 508, payload 500
        Rec(ms(0), eth_ip(A, B, udp4(A, B, 40000, 7000, 500)), caplen=100, bpf={G200}),
        Rec(ms(10), eth_ip(B, A, udp4(B, A, 7000, 40000, 100))),          # 142/128/108/100
        # wire 14+40+8+500 = 562, caplen 100: ignored; then the untruncated copy: 562/508/508/500
        Rec(ms(20), eth_ip(A6, B6, udp6(A6, B6, 40000, 7000, 500)), caplen=100,
            expect="ipv6_trunc", bpf={G200}),
        Rec(ms(30), eth_ip(A6, B6, udp6(A6, B6, 40000, 7000, 500)), bpf={G200}),
        # wire 14+20+20+1000 = 1054, caplen 64: 1054/1040/1020/1000
        Rec(ms(40), eth_ip(A, B, tcp4(A, B, 40001, 80, "PA", 1000)), caplen=64, bpf={G200}),
        # wire 14+65530 = 65544 -> raw 65544 & 0xFFFF = 8; ip 65530, transport 65510,
        # payload 65490
        Rec(ms(50), eth_ip(C, D, big), caplen=100, bpf={G200}),
        Rec(ms(60), eth_ip(C, D, big), caplen=100, bpf={G200}),
    ])
    acct = dict(received=7, in_flows=6, ignored=1, filtered=0, reasons={"ipv6_trunc": 1})
    per_mode = {  # mode: (AB, AB s2d, AB d2s, v6, tcp, CD)
        0: (684, 542, 142, 562, 1054, 16),
        1: (656, 528, 128, 508, 1040, 131060),
        2: (616, 508, 108, 508, 1020, 131020),
        3: (600, 500, 100, 500, 1000, 130980),
    }
    for mode, (ab, ab1, ab2, v6, tc, cd) in per_mode.items():
        s.run("mode%d" % mode, accounting_mode=mode, stats=True, splt=2, n_dissections=0,
              acct=acct, hand=[
                  dict(id=0, src_ip=A, bidirectional_packets=2, bidirectional_bytes=ab,
                       src2dst_bytes=ab1, dst2src_bytes=ab2, splt_ps=[ab1, ab2]),
                  dict(id=1, src_ip=A6, ip_version=6, bidirectional_packets=1,
                       bidirectional_bytes=v6, bidirectional_first_seen_ms=T0_MS + 30),
                  dict(id=2, src_ip=A, protocol=6, src_port=40001, bidirectional_bytes=tc),
                  dict(id=3, src_ip=C, bidirectional_packets=2, bidirectional_bytes=cd,
                       bidirectional_max_ps=cd // 2, bidirectional_min_ps=cd // 2),
              ])
    s.run("greater", bpf=G200, n_dissections=0, hand=[
        dict(id=0, src_ip=A, bidirectional_packets=1, bidirectional_bytes=542),
        dict(id=1, src_ip=A6, ip_version=6, bidirectional_packets=1),
        dict(id=2, src_ip=A, protocol=6, src_port=40001, bidirectional_bytes=1054),
        dict(id=3, src_ip=C, bidirectional_packets=2, bidirectional_bytes=16),
    ], acct=dict(received=7, in_flows=5, ignored=1, filtered=1, reasons={"ipv6_trunc": 1}))
    return s


@scenario
def s_icmp():
    s = Scenario("icmp", "spec 3.5/11: ICMP/ICMPv6 have ports 0, so echo with different ids is "
                 "one flow per host pair; ICMP payload = l4 - 8 when l4 > 8")
    s.file("icmp.pcap", [
        # 14+20+8+56 = 98 (l4 64, payload 56)
        Rec(ms(0), eth_ip(A, B, ipv4(A, B, 1, icmp_echo(8, 1, 1, pay(56))))),
        Rec(ms(1), eth_ip(B, A, ipv4(B, A, 1, icmp_echo(0, 1, 1, pay(56))))),
        Rec(ms(1000), eth_ip(A, B, ipv4(A, B, 1, icmp_echo(8, 2, 1, pay(56))))),
        Rec(ms(2000), eth_ip(A, B, ipv4(A, B, 1, icmp_echo(8, 3, 1, pay(56))))),
        # bare echo header: 42 (l4 8, payload 0)
        Rec(ms(3000), eth_ip(A, B, ipv4(A, B, 1, icmp_echo(8, 4, 1)))),
        # 4 bytes of ICMP: 38 (l4 4, payload 0)
        Rec(ms(4000), eth_ip(A, B, ipv4(A, B, 1, icmp_echo(8, 5, 1)[:4]))),
        # ICMPv6 echo, 14+40+8+56 = 118 (plen 64)
        Rec(ms(5000), eth_ip(A6, B6, ipv6(A6, B6, 58, icmp_echo(128, 7, 1, pay(56))))),
        Rec(ms(5001), eth_ip(B6, A6, ipv6(B6, A6, 58, icmp_echo(129, 7, 1, pay(56))))),
    ])
    acct = dict(received=8, in_flows=8, ignored=0, filtered=0, reasons={})
    for mode, ab, v6 in ((0, 472, 236), (1, 388, 128), (2, 268, 128), (3, 224, 112)):
        s.run("mode%d" % mode, accounting_mode=mode, stats=True, splt=6, n_dissections=0,
              acct=acct, hand=[
                  dict(id=0, src_ip=A, dst_ip=B, src_port=0, dst_port=0, protocol=1,
                       bidirectional_packets=6, src2dst_packets=5, dst2src_packets=1,
                       bidirectional_bytes=ab),
                  dict(id=1, src_ip=A6, dst_ip=B6, src_port=0, dst_port=0, protocol=58,
                       ip_version=6, bidirectional_packets=2, bidirectional_bytes=v6),
              ])
    # No statistics, no SPLT, nDPI on: the column set shrinks to the 29 base columns + 9 app
    s.run("plain", acct=acct, hand=[dict(id=0, bidirectional_packets=6),
                                    dict(id=1, bidirectional_packets=2)])
    return s


@scenario
def s_vlan():
    s = Scenario("vlan", "spec 3.3/11: the last 0x8100 VID wins (double tag 100,200 -> 200); "
                 "vlan is in the flow key; 0x88A8 and 0x9100 are not decoded (ignored)")
    v = lambda *vids: [(0x8100, x) for x in vids]
    s.file("vlan.pcap", [
        # 14+4+4+20+8+10 = 60
        Rec(ms(0), ether(mac_of(A), mac_of(B), 0x0800, udp4(A, B, 40000, 7000, 10), v(100, 200))),
        # single tag 200, the reply: same flow. 56
        Rec(ms(10), ether(mac_of(B), mac_of(A), 0x0800, udp4(B, A, 7000, 40000, 10), v(200))),
        # untagged: another flow (vlan 0). 52
        Rec(ms(20), eth_ip(A, B, udp4(A, B, 40000, 7000, 10))),
        # VID 300: another flow. 56
        Rec(ms(30), ether(mac_of(A), mac_of(B), 0x0800, udp4(A, B, 40000, 7000, 10), v(300))),
        # 802.1ad S-tag: IP looked for at offset 14 = TCI 0x0064: version 0
        Rec(ms(40), ether(mac_of(A), mac_of(B), 0x0800, udp4(A, B, 40000, 7000, 10),
                          [(0x88A8, 100), (0x8100, 200)]), expect="ip_version"),
        Rec(ms(50), ether(mac_of(A), mac_of(B), 0x0800, udp4(A, B, 40000, 7000, 10),
                          [(0x9100, 100)]), expect="ip_version"),
        # PCP 5 + VID 10: TCI 0xA00A -> vlan 10. 56
        Rec(ms(60), ether(mac_of(A), mac_of(B), 0x0800, udp4(A, B, 40000, 7000, 10), v(0xA00A))),
        # triple tag: 3. 64
        Rec(ms(70), ether(mac_of(A), mac_of(B), 0x0800, udp4(A, B, 40000, 7000, 10), v(1, 2, 3))),
    ])
    s.run("default", stats=True, n_dissections=0, hand=[
        dict(id=0, vlan_id=200, src_ip=A, bidirectional_packets=2, dst2src_packets=1,
             bidirectional_bytes=116),
        dict(id=1, vlan_id=0, bidirectional_packets=1, bidirectional_bytes=52),
        dict(id=2, vlan_id=300, bidirectional_bytes=56),
        dict(id=3, vlan_id=10, bidirectional_bytes=56),
        dict(id=4, vlan_id=3, bidirectional_bytes=64),
    ], acct=dict(received=8, in_flows=6, ignored=2, filtered=0, reasons={"ip_version": 2}))
    return s


def mpls(*labels):
    out = b""
    for i, lab in enumerate(labels):
        out += struct.pack(">I", (lab << 12) | ((1 if i == len(labels) - 1 else 0) << 8) | 64)
    return out


def pppoe(ppp_proto, payload):
    return struct.pack(">BBHHH", 0x11, 0, 0x1234, len(payload) + 2, ppp_proto) + payload


@scenario
def s_mpls_pppoe():
    s = Scenario("mpls_pppoe", "spec 3.3: MPLS label stacks (0x8847/0x8848, IPv4 or IPv6 by the "
                 "version nibble), VLAN+MPLS, PPPoE session (0x8864) with IPv4 and IPv6")
    E6, F6 = "2001:db8::5", "2001:db8::6"
    fr = lambda src, dst, etype, body, vlans=(): ether(mac_of(src), mac_of(dst), etype, body,
                                                        vlans)
    s.file("mpls_pppoe.pcap", [
        # 14 + 8 + 38 = 60
        Rec(ms(0), fr(A, B, 0x8847, mpls(100, 200) + udp4(A, B, 40000, 7000, 10))),
        # 14 + 4 + 40+8+10 = 76
        Rec(ms(10), fr(A6, B6, 0x8847, mpls(300) + udp6(A6, B6, 40000, 7000, 10))),
        # VLAN 10 then MPLS: 14+4+4+38 = 60
        Rec(ms(20), fr(C, D, 0x8847, mpls(400) + udp4(C, D, 40001, 7000, 10), [(0x8100, 10)])),
        # PPPoE + PPP IPv4: 14 + 8 + 38 = 60
        Rec(ms(30), fr(E, F_, 0x8864, pppoe(0x0021, udp4(E, F_, 40002, 7000, 10)))),
        # PPPoE + PPP IPv6: 14 + 8 + 58 = 80
        Rec(ms(40), fr(E6, F6, 0x8864, pppoe(0x0057, udp6(E6, F6, 40003, 7000, 10)))),
        # 0x8848, 3 labels, the reply of the first packet: 14 + 12 + 38 = 64
        Rec(ms(50), fr(B, A, 0x8848, mpls(1, 2, 3) + udp4(B, A, 7000, 40000, 10))),
    ])
    s.run("default", stats=True, n_dissections=0, hand=[
        dict(id=0, src_ip=A, vlan_id=0, bidirectional_packets=2, bidirectional_bytes=124,
             src_mac=M(A), dst2src_bytes=64),
        dict(id=1, src_ip=A6, ip_version=6, bidirectional_bytes=76),
        dict(id=2, src_ip=C, vlan_id=10, bidirectional_bytes=60),
        dict(id=3, src_ip=E, bidirectional_bytes=60, src_mac=M(E)),
        dict(id=4, src_ip=E6, ip_version=6, bidirectional_bytes=80),
    ], acct=dict(received=6, in_flows=6, ignored=0, filtered=0, reasons={}))
    return s


@scenario
def s_ipv4_frag():
    s = Scenario("ipv4_frag", "spec 3.4/11: a first IPv4 fragment (MF, offset 0) is counted with "
                 "ports from its L4 header; non-first fragments are ignored; DF is harmless")
    dgram = udp(5000, 6000, pay(100))            # 108 bytes
    seg = tcp(40000, 80, "PA", pay(60))          # 80 bytes
    s.file("ipv4_frag.pcap", [
        # 20 + 56: tot_len 76, frame 90: ip 76, transport 56, payload 48
        Rec(ms(0), eth_ip(A, B, ipv4(A, B, 17, dgram[:56], ident=7, flags=1))),
        Rec(ms(1), eth_ip(A, B, ipv4(A, B, 17, dgram[56:], ident=7, frag=7)),
            expect="ipv4_frag"),
        # TCP first fragment: 20 + 40 (20 header + 20 data): ip 60, transport 40, payload 20
        Rec(ms(2), eth_ip(A, B, ipv4(A, B, 6, seg[:40], ident=8, flags=1))),
        Rec(ms(3), eth_ip(A, B, ipv4(A, B, 6, seg[40:], ident=8, frag=5)), expect="ipv4_frag"),
        # DF set, reply of the UDP one: same flow, 52 bytes
        Rec(ms(4), eth_ip(B, A, udp4(B, A, 6000, 5000, 10, flags=2))),
    ])
    s.run("default", stats=True, n_dissections=0, hand=[
        dict(id=0, src_ip=A, src_port=5000, dst_port=6000, protocol=17,
             bidirectional_packets=2, bidirectional_bytes=142, src2dst_bytes=90),
        dict(id=1, src_ip=A, src_port=40000, dst_port=80, protocol=6, bidirectional_bytes=74,
             bidirectional_psh_packets=1),
    ], acct=dict(received=5, in_flows=3, ignored=2, filtered=0, reasons={"ipv4_frag": 2}))
    for mode, a, b in ((1, 76 + 38, 60), (2, 56 + 18, 40), (3, 48 + 10, 20)):
        s.run("mode%d" % mode, accounting_mode=mode, n_dissections=0, hand=[
            dict(id=0, bidirectional_bytes=a), dict(id=1, bidirectional_bytes=b)])
    return s


@scenario
def s_ipv6_ext():
    s = Scenario("ipv6_ext", "spec 3.4/3.7/4.1: IPv6 extension headers are skipped (ip size = "
                 "payload_len incl. them), first fragment kept, non-first fragment and "
                 "no-next-header ignored; inet_ntop text forms")
    C6, D6 = "2001:db8::3", "2001:db8::4"
    frag_dgram = udp(40002, 7000, pay(80))
    m1, m2 = "::ffff:192.0.2.1", "::ffff:192.0.2.2"
    c1, c2 = "::192.0.2.3", "::192.0.2.4"
    z1, z2 = "2001:db8:0:1:0:0:0:1", "2001:0:0:1:0:0:1:2"
    s.file("ipv6_ext.pcap", [
        # HBH 8 + DST 8 + UDP 8 + 32: plen 56, frame 110: ip 56, transport 40, payload 32
        Rec(ms(0), eth_ip(A6, B6, ipv6(A6, B6, 17, udp(40000, 7000, pay(32)),
                                       exts=[(0, ext_opts()), (60, ext_opts())]))),
        # routing header 24 + TCP SYN 20: plen 44, frame 98: ip 44, transport 20, payload 0
        Rec(ms(10), eth_ip(A6, B6, ipv6(A6, B6, 6, tcp(40001, 80, "S"),
                                        exts=[(43, ext_routing(2))]))),
        # first fragment: frag hdr 8 + UDP header + 40 of 80 data: plen 56, frame 110:
        # ip 56, transport 48, payload 40
        Rec(ms(20), eth_ip(C6, D6, ipv6(C6, D6, 17, frag_dgram[:48],
                                        exts=[(44, ext_frag(0, True))], fix=False))),
        # second fragment (offset 48 = 6 units): ignored
        Rec(ms(21), eth_ip(C6, D6, ipv6(C6, D6, 17, frag_dgram[48:],
                                        exts=[(44, ext_frag(6, False))], fix=False)),
            expect="ipv6_ext"),
        # next header 59 with 8 bytes after the header: ignored
        Rec(ms(30), eth_ip(A6, B6, ipv6(A6, B6, 59, b"\x00" * 8, fix=False)), expect="ipv6_ext"),
        Rec(ms(40), eth_ip(m1, m2, udp6(m1, m2, 40003, 7000, 10))),
        Rec(ms(50), eth_ip(c1, c2, udp6(c1, c2, 40004, 7000, 10))),
        Rec(ms(60), eth_ip(z1, z2, udp6(z1, z2, 40005, 7000, 10))),
    ])
    acct = dict(received=8, in_flows=6, ignored=2, filtered=0, reasons={"ipv6_ext": 2})
    s.run("default", stats=True, n_dissections=0, acct=acct, hand=[
        dict(id=0, src_ip="2001:db8::1", dst_ip="2001:db8::2", protocol=17, src_port=40000,
             dst_port=7000, ip_version=6, bidirectional_bytes=110),
        dict(id=1, protocol=6, src_port=40001, dst_port=80, bidirectional_bytes=98,
             bidirectional_syn_packets=1),
        dict(id=2, src_ip="2001:db8::3", protocol=17, src_port=40002, dst_port=7000,
             bidirectional_packets=1, bidirectional_bytes=110),
        dict(id=3, src_ip="::ffff:192.0.2.1", dst_ip="::ffff:192.0.2.2", ip_version=6),
        dict(id=4, src_ip="::192.0.2.3", dst_ip="::192.0.2.4"),
        dict(id=5, src_ip="2001:db8:0:1::1", dst_ip="2001::1:0:0:1:2"),
    ])
    # the last three flows are plain UDP with 10 bytes of payload: 18/18/10
    for mode, sizes in ((1, (56, 44, 56, 18, 18, 18)), (2, (40, 20, 48, 18, 18, 18)),
                        (3, (32, 0, 40, 10, 10, 10))):
        s.run("mode%d" % mode, accounting_mode=mode, n_dissections=0, acct=acct, hand=[
            dict(id=i, bidirectional_bytes=x) for i, x in enumerate(sizes)])
    return s


@scenario
def s_ipip():
    s = Scenario("ipip", "spec 3.4: 4in4, 6in4, 4in6 and 6in6 are always decapsulated (tunnel_id "
                 "0, outer header lost, outer MACs); inner fragments of 4in6 are not dropped")
    O1, O2 = "198.51.100.1", "198.51.100.2"
    O61, O62 = "2001:db8:ff::1", "2001:db8:ff::2"
    i1, i2 = "192.168.1.1", "192.168.1.2"
    j1, j2 = "192.168.2.1", "192.168.2.2"
    p61, p62 = "2001:db8:1::1", "2001:db8:1::2"
    q61, q62 = "2001:db8:2::1", "2001:db8:2::2"
    ufrag = udp(1111, 2222, pay(8))              # 16 bytes looking like a UDP datagram
    s.file("ipip.pcap", [
        # 4in4: 14+20+38 = 72; ip 38, transport 18, payload 10
        Rec(ms(0), eth_ip(O1, O2, ipv4(O1, O2, 4, udp4(i1, i2, 1111, 2222, 10)))),
        # plain reply of the inner flow: same flow. 52
        Rec(ms(10), eth_ip(i2, i1, udp4(i2, i1, 2222, 1111, 10))),
        # 6in4: 14+20+40+18 = 92; ip 18
        Rec(ms(20), eth_ip(O1, O2, ipv4(O1, O2, 41, udp6(p61, p62, 1111, 2222, 10)))),
        # 4in6: 14+40+38 = 92; ip 38
        Rec(ms(30), eth_ip(O61, O62, ipv6(O61, O62, 4, udp4(j1, j2, 1111, 2222, 10)))),
        # 6in6: 14+40+58 = 112; ip 18
        Rec(ms(40), eth_ip(O61, O62, ipv6(O61, O62, 41, udp6(q61, q62, 1111, 2222, 10)))),
        # 4in6 whose inner IPv4 is a non-first fragment: type stays 0x86DD, so it is not
        # dropped; its first 8 data bytes read as ports 1111 -> 2222: joins the 4in6 flow.
        # 14+40+36 = 90; ip 36, transport 16, payload 8
        Rec(ms(50), eth_ip(O61, O62, ipv6(O61, O62, 4, ipv4(j1, j2, 17, ufrag, frag=100)))),
        # 4in4 with an inner non-first fragment: type 0x0800, dropped
        Rec(ms(60), eth_ip(O1, O2, ipv4(O1, O2, 4, ipv4(i1, i2, 17, ufrag, frag=100))),
            expect="ipv4_frag"),
    ])
    acct = dict(received=7, in_flows=6, ignored=1, filtered=0, reasons={"ipv4_frag": 1})
    hand = [
        dict(id=0, src_ip=i1, dst_ip=i2, src_port=1111, dst_port=2222, tunnel_id=0,
             src_mac=M(O1), dst_mac=M(O2), bidirectional_packets=2, dst2src_packets=1,
             bidirectional_bytes=124),
        dict(id=1, src_ip=p61, ip_version=6, bidirectional_bytes=92),
        dict(id=2, src_ip=j1, ip_version=4, src_mac=M(O61), bidirectional_packets=2,
             src2dst_packets=2, bidirectional_bytes=182),
        dict(id=3, src_ip=q61, ip_version=6, bidirectional_bytes=112),
    ]
    s.run("default", stats=True, n_dissections=0, acct=acct, hand=hand)
    s.run("no_decode", decode_tunnels=False, stats=True, n_dissections=0, acct=acct,
          hand=[{k: v for k, v in h.items() if k != "tunnel_id"} for h in hand])
    s.run("mode1", accounting_mode=1, n_dissections=0, acct=acct, hand=[
        dict(id=0, bidirectional_bytes=76), dict(id=1, bidirectional_bytes=18),
        dict(id=2, bidirectional_bytes=74), dict(id=3, bidirectional_bytes=18)])
    return s


def gtp(payload, flags=0x30, mtype=0xFF, teid=1, ext=b""):
    extra = b""
    if flags & 0x07:
        extra = struct.pack(">HBB", 0, 0, 0x85 if ext else 0)
    body = extra + ext + payload
    return struct.pack(">BBHI", flags, mtype, len(body), teid) + body


@scenario
def s_gtp():
    s = Scenario("gtp", "spec 3.6: GTP-U on UDP 2152 (plain, S flag, E flag + extension, inner "
                 "IPv6) gives the inner flow with tunnel_id 1 and outer MACs; a non-T-PDU is "
                 "plain UDP; tunnel_id is in the key")
    G1, G2 = "10.100.0.1", "10.100.0.2"
    u1, u2 = "172.16.0.1", "172.16.0.2"
    w1, w2 = "2001:db8:9::1", "2001:db8:9::2"
    outer = lambda src, dst, g: eth_ip(src, dst, ipv4(src, dst, 17, udp(2152, 2152, g)))
    s.file("gtp.pcap", [
        # 14+20+8+8+48 = 98; inner ip 48, transport 28, payload 20
        Rec(ms(0), outer(G1, G2, gtp(udp4(u1, u2, 3333, 4444, 20)))),
        # S flag: 12-byte header, reverse direction: 102
        Rec(ms(10), outer(G2, G1, gtp(udp4(u2, u1, 4444, 3333, 20), flags=0x32))),
        # E flag + one 4-byte extension, inner IPv6: 14+20+8+12+4+68 = 126; ip 28
        Rec(ms(20), outer(G1, G2, gtp(udp6(w1, w2, 3333, 4444, 20), flags=0x34,
                                      ext=b"\x01\x00\x00\x00"))),
        # echo request (type 1): not decoded, plain UDP 2152 -> 2152: 14+20+8+12 = 54
        Rec(ms(30), outer(G1, G2, gtp(b"", flags=0x32, mtype=1, teid=0))),
        # the inner 5-tuple without tunnel: another flow (tunnel_id 0). 62
        Rec(ms(40), eth_ip(u2, u1, udp4(u2, u1, 4444, 3333, 20))),
    ])
    acct = dict(received=5, in_flows=5, ignored=0, filtered=0, reasons={})
    s.run("default", stats=True, n_dissections=0, acct=acct, hand=[
        dict(id=0, src_ip=u1, dst_ip=u2, src_port=3333, dst_port=4444, tunnel_id=1,
             src_mac=M(G1), dst_mac=M(G2), bidirectional_packets=2, dst2src_packets=1,
             bidirectional_bytes=200),
        dict(id=1, src_ip=w1, ip_version=6, tunnel_id=1, bidirectional_bytes=126),
        dict(id=2, src_ip=G1, src_port=2152, dst_port=2152, tunnel_id=0, bidirectional_bytes=54),
        dict(id=3, src_ip=u2, src_port=4444, tunnel_id=0, bidirectional_bytes=62),
    ])
    # the defaults spelled out: same output as "default"
    s.run("explicit_defaults", stats=True, n_dissections=0, acct=acct,
          extra=["--decode-tunnels", "--idle-timeout", "120", "--active-timeout", "1800",
                 "--accounting-mode", "0", "--max-nflows", "0"])
    s.run("mode1", accounting_mode=1, n_dissections=0, acct=acct, hand=[
        dict(id=0, bidirectional_bytes=96), dict(id=1, bidirectional_bytes=28),
        dict(id=2, bidirectional_bytes=40), dict(id=3, bidirectional_bytes=48)])
    # not decoded: packets 1-4 are one outer flow (2 is the reverse direction)
    s.run("no_decode", decode_tunnels=False, stats=True, n_dissections=0, acct=acct, hand=[
        dict(id=0, src_ip=G1, dst_ip=G2, src_port=2152, dst_port=2152, bidirectional_packets=4,
             src2dst_packets=3, dst2src_packets=1, bidirectional_bytes=380),
        dict(id=1, src_ip=u2, bidirectional_bytes=62),
    ])
    return s


def tzsp(frame, encap=1, tags=b"\x01"):
    return struct.pack(">BBH", 1, 0, encap) + tags + frame


@scenario
def s_tzsp():
    s = Scenario("tzsp", "spec 3.6: TZSP on UDP 37008: inner Ethernet frame re-parsed with its "
                 "MACs and VLAN (tunnel_id 3); only the first tag is skipped, by its length "
                 "byte alone; other encapsulations stay outer UDP with tunnel_id 3; < 4 bytes "
                 "is ignored")
    Z1, Z2 = "10.200.0.1", "10.200.0.2"
    n1, n2 = "192.168.50.1", "192.168.50.2"
    k1, k2 = "192.168.51.1", "192.168.51.2"
    im1, im2 = mac("02:aa:00:00:00:01"), mac("02:aa:00:00:00:02")
    outer = lambda t: eth_ip(Z1, Z2, ipv4(Z1, Z2, 17, udp(40000, 37008, t)))
    inner1 = ether(im1, im2, 0x0800, udp4(n1, n2, 5555, 6666, 20))              # 62
    inner2 = ether(im1, im2, 0x0800, udp4(k1, k2, 5555, 6666, 20), [(0x8100, 42)])  # 66
    inner3 = ether(im2, im1, 0x0800, udp4(n2, n1, 6666, 5555, 20))              # 62
    s.file("tzsp.pcap", [
        # 14+20+8 + 4+1+62 = 109
        Rec(ms(0), outer(tzsp(inner1))),
        # first tag 0x0A with length byte 3: skips 3 bytes (not 2+3); 14+20+8+4+3+66 = 115
        Rec(ms(10), outer(tzsp(inner2, tags=b"\x0a\x03\xee"))),
        # encapsulation 18 (802.11): outer UDP flow, tunnel 3. 14+20+8+4+1+20 = 67
        Rec(ms(20), outer(tzsp(pay(20), encap=18))),
        # 2 bytes after UDP: ignored. 44
        Rec(ms(30), outer(b"\x01\x00"), expect="tunnel"),
        # reply of the first inner flow: 109
        Rec(ms(40), outer(tzsp(inner3))),
    ])
    s.run("default", stats=True, n_dissections=0, hand=[
        dict(id=0, src_ip=n1, dst_ip=n2, src_port=5555, dst_port=6666, tunnel_id=3, vlan_id=0,
             src_mac="02:aa:00:00:00:01", dst_mac="02:aa:00:00:00:02", src_oui="02:aa:00",
             bidirectional_packets=2, dst2src_packets=1, bidirectional_bytes=218),
        dict(id=1, src_ip=k1, vlan_id=42, tunnel_id=3, bidirectional_bytes=115),
        dict(id=2, src_ip=Z1, dst_ip=Z2, src_port=40000, dst_port=37008, tunnel_id=3,
             src_mac=M(Z1), bidirectional_bytes=67),
    ], acct=dict(received=5, in_flows=4, ignored=1, filtered=0, reasons={"tunnel": 1}))
    s.run("no_decode", decode_tunnels=False, stats=True, n_dissections=0, hand=[
        dict(id=0, src_ip=Z1, dst_port=37008, bidirectional_packets=5,
             bidirectional_bytes=109 + 115 + 67 + 44 + 109),
    ], acct=dict(received=5, in_flows=5, ignored=0, filtered=0, reasons={}))
    return s


def capwap(payload, preamble=0, hlen_words=2, rmac=None, tmac=None, dmac=None):
    hdr = bytes([preamble, hlen_words << 3, 0x03, 0x00]) + b"\x00" * (hlen_words * 4 - 4)
    wifi = struct.pack("<HH", 0x0208, 0) + rmac + tmac + dmac + b"\x00\x00"
    llc = b"\xaa\xaa\x03\x00\x00\x00\x08\x00"
    return hdr + wifi + llc + payload


@scenario
def s_capwap():
    s = Scenario("capwap", "spec 3.6: CAPWAP data on UDP 5247: 802.11 addr2/addr3 become the "
                 "MACs, the inner IP flow gets tunnel_id 2; a bad preamble stays plain UDP")
    W1, W2 = "10.210.0.1", "10.210.0.2"
    c1, c2 = "192.168.60.1", "192.168.60.2"
    r = mac("02:bb:00:00:00:09")
    t1, t2 = mac("02:bb:00:00:00:01"), mac("02:bb:00:00:00:02")
    s.file("capwap.pcap", [
        # 14+20+8 + 8+24+8+48 = 130
        Rec(ms(0), eth_ip(W1, W2, ipv4(W1, W2, 17, udp(12345, 5247, capwap(
            udp4(c1, c2, 5555, 6666, 20), rmac=r, tmac=t1, dmac=t2))))),
        # preamble 0x01: not CAPWAP, plain UDP. 14+20+8+8 = 50
        Rec(ms(10), eth_ip(W1, W2, ipv4(W1, W2, 17, udp(12345, 5247, b"\x01" + b"\x00" * 7)))),
        # inner reply, from the 5247 side. 130
        Rec(ms(20), eth_ip(W2, W1, ipv4(W2, W1, 17, udp(5247, 12345, capwap(
            udp4(c2, c1, 6666, 5555, 20), rmac=r, tmac=t2, dmac=t1))))),
    ])
    acct = dict(received=3, in_flows=3, ignored=0, filtered=0, reasons={})
    s.run("default", stats=True, n_dissections=0, acct=acct, hand=[
        dict(id=0, src_ip=c1, dst_ip=c2, tunnel_id=2, src_mac="02:bb:00:00:00:01",
             dst_mac="02:bb:00:00:00:02", bidirectional_packets=2, dst2src_packets=1,
             bidirectional_bytes=260),
        dict(id=1, src_ip=W1, dst_port=5247, tunnel_id=0, bidirectional_bytes=50),
    ])
    s.run("no_decode", decode_tunnels=False, n_dissections=0, acct=acct, hand=[
        dict(id=0, src_ip=W1, src_port=12345, dst_port=5247, bidirectional_packets=3,
             dst2src_packets=1, bidirectional_bytes=310, src_mac=M(W1)),
    ])
    return s


@scenario
def s_linktypes():
    s = Scenario("linktypes", "spec 3.2: NULL (AF_INET read big-endian: a little-endian header "
                 "gives type IPv6, so IPv4 fragments are not dropped), RAW, LINUX_SLL (MACs 0), "
                 "IPV4/IPV6 (228/229), PPP, C_HDLC, PPP_SERIAL; SLL2 is unsupported")
    z = "00:00:00:00:00:00"
    ufrag = udp(1111, 2222, pay(8))
    u = udp4(A, B, 40000, 7000, 10)             # 38
    r = udp4(B, A, 7000, 40000, 10)
    v6 = udp6(A6, B6, 40000, 7000, 10)          # 58
    frag = ipv4(A, B, 17, ufrag, frag=100)       # 36, non-first fragment
    be2, le2, le10 = b"\x00\x00\x00\x02", b"\x02\x00\x00\x00", b"\x0a\x00\x00\x00"
    s.file("null_be.pcap", [Rec(ms(0), be2 + u), Rec(ms(1), be2 + r),
                            Rec(ms(2), be2 + frag, expect="ipv4_frag")], linktype=LT_NULL)
    s.file("null_le.pcap", [Rec(ms(0), le2 + u), Rec(ms(1), le2 + r), Rec(ms(2), le2 + frag),
                            Rec(ms(3), le10 + v6)], linktype=LT_NULL)
    s.file("raw.pcap", [Rec(ms(0), u), Rec(ms(1), v6)], linktype=LT_RAW)
    sll = lambda proto, ip, m: struct.pack(">HHH", 0, 1, 6) + m + b"\x00\x00" + \
        struct.pack(">H", proto) + ip
    s.file("sll.pcap", [Rec(ms(0), sll(0x0800, u, mac_of(A))),
                        Rec(ms(1), sll(0x86DD, v6, mac_of(A6)))], linktype=LT_LINUX_SLL)
    s.file("ipv4.pcap", [Rec(ms(0), u), Rec(ms(1), r)], linktype=LT_IPV4)
    s.file("ipv6.pcap", [Rec(ms(0), v6)], linktype=LT_IPV6)
    s.file("ppp.pcap", [Rec(ms(0), b"\x00\x21" + u),
                        Rec(ms(1), b"\xff\x03\x00\x21" + u, expect="ip_version"),
                        Rec(ms(2), b"\x0f\x00\x08\x00" + r)], linktype=LT_PPP)
    s.file("chdlc.pcap", [Rec(ms(0), b"\x0f\x00\x08\x00" + u),
                          Rec(ms(1), b"\x8f\x00\x86\xdd" + v6)], linktype=LT_C_HDLC)
    s.file("ppp_serial.pcap", [Rec(ms(0), b"\xff\x03\x00\x21" + u)], linktype=LT_PPP_HDLC)
    sll2 = struct.pack(">HHIHBB", 0x0800, 0, 1, 1, 0, 6) + mac_of(A) + b"\x00\x00"
    s.file("sll2.pcap", [Rec(ms(0), sll2 + u, expect="dlt"), Rec(ms(1), sll2 + r, expect="dlt")],
           linktype=LT_LINUX_SLL2)
    ok = lambda n, i=0, ign=None: dict(received=n + i, in_flows=n, ignored=i, filtered=0,
                                       reasons=ign or {})
    base = dict(src_ip=A, dst_ip=B, src_port=40000, dst_port=7000, src_mac=z, dst_mac=z,
                src_oui="00:00:00")
    s.run("null_be", ["null_be.pcap"], n_dissections=0, acct=ok(2, 1, {"ipv4_frag": 1}), hand=[
        dict(id=0, bidirectional_packets=2, bidirectional_bytes=84, **base)])
    s.run("null_le", ["null_le.pcap"], n_dissections=0, acct=ok(4), hand=[
        dict(id=0, bidirectional_packets=2, bidirectional_bytes=84, **base),
        dict(id=1, src_ip=A, src_port=1111, dst_port=2222, protocol=17, bidirectional_bytes=40),
        dict(id=2, src_ip=A6, ip_version=6, bidirectional_bytes=62, src_mac=z)])
    s.run("raw", ["raw.pcap"], n_dissections=0, acct=ok(2), hand=[
        dict(id=0, bidirectional_bytes=38, **base),
        dict(id=1, src_ip=A6, ip_version=6, bidirectional_bytes=58, src_mac=z)])
    s.run("sll", ["sll.pcap"], n_dissections=0, accounting_mode=0, acct=ok(2), hand=[
        dict(id=0, bidirectional_bytes=54, **base),
        dict(id=1, src_ip=A6, bidirectional_bytes=74, src_mac=z)])
    s.run("ipv4", ["ipv4.pcap"], n_dissections=0, acct=ok(2), hand=[
        dict(id=0, bidirectional_packets=2, bidirectional_bytes=76, **base)])
    s.run("ipv6", ["ipv6.pcap"], n_dissections=0, acct=ok(1), hand=[
        dict(id=0, src_ip=A6, bidirectional_bytes=58)])
    s.run("ppp", ["ppp.pcap"], n_dissections=0, acct=ok(2, 1, {"ip_version": 1}), hand=[
        dict(id=0, bidirectional_packets=2, bidirectional_bytes=40 + 42, **base)])
    s.run("chdlc", ["chdlc.pcap"], n_dissections=0, acct=ok(2), hand=[
        dict(id=0, bidirectional_bytes=42, **base),
        dict(id=1, src_ip=A6, bidirectional_bytes=62)])
    s.run("ppp_serial", ["ppp_serial.pcap"], n_dissections=0, acct=ok(1), hand=[
        dict(id=0, bidirectional_bytes=42, **base)])
    s.run("sll2", ["sll2.pcap"], n_dissections=0, acct=ok(0, 2, {"dlt": 2}), hand=[])
    return s


@scenario
def s_malformed():
    s = Scenario("malformed", "spec 3.2-3.5: short frames, bad IP versions and headers, STP, "
                 "no-next-header; ignored packets do not advance the clock; truncated L4 "
                 "headers give ports 0 and sizes 0; 802.3 SNAP IPv4 is counted but its tunnel "
                 "is not decoded")
    ma, mb = mac_of(A), mac_of(B)
    good = udp4(A, B, 40000, 7000, 10)
    v5 = bytearray(tcp4(A, B, 40001, 80, "S", 6))
    v5[0] = 0x55
    ihl15 = bytearray(tcp4(A, B, 40001, 80, "S", 6))
    ihl15[0] = 0x4F
    stp = mac("01:80:c2:00:00:00") + ma + struct.pack(">H", 38) + b"\x42\x42\x03" + b"\x00" * 35
    udp_short = ipv4(A, C, 17, b"\x04\xd2\x16\x2e")           # tot_len 24, l4 4
    tcp_short = ipv4(A, C, 6, b"\x9c\x41\x00\x50" + b"\x00" * 8)  # tot_len 32, l4 12
    snap_ip = ipv4(D, E, 17, udp(40000, 2152, gtp(ipv4(A, B, 17, udp(1, 2)))))   # 64
    snap = mac_of(E) + mac_of(D) + struct.pack(">H", 8 + len(snap_ip)) + \
        b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + snap_ip
    pad = lambda fr: fr + b"\x00" * max(0, 60 - len(fr))
    s.file("malformed.pcap", [
        Rec(ms(0), eth_ip(A, B, good)),                                       # 52
        Rec(ms(100), ether(ma, mb, 0x0800, b"\x45" + b"\x00" * 5), expect="short"),   # 20
        Rec(ms(200), ether(ma, mb, 0x0800, good[:16]), expect="ip_short"),             # 30
        Rec(ms(50000), ether(ma, mb, 0x0800, bytes(v5)), expect="ip_version"),   # late time
        Rec(ms(300), ether(ma, mb, 0x0800, bytes(ihl15)), expect="ipv4_hdr"),          # 60
        Rec(ms(400), ether(ma, mb, 0x0800, tcp4(A, B, 40001, 80, "A", 100, tot_len=0)),
            expect="ipv4_hdr"),
        Rec(ms(500), ether(ma, mb, 0x0800, tcp4(A, B, 40001, 80, "A", 6, tot_len=10)),
            expect="ipv4_hdr"),
        Rec(ms(600), stp, expect="l2"),
        Rec(ms(700), eth_ip(A6, B6, ipv6(A6, B6, 59, b"\x00" * 8, fix=False)), expect="ipv6_ext"),
        # UDP with a 4-byte L4: protocol 17, ports 0, transport 0, payload 0; padded to 60
        Rec(ms(1000), pad(eth_ip(A, C, udp_short))),
        # TCP with a 12-byte L4: protocol 6, ports 0, no flags
        Rec(ms(1100), pad(eth_ip(A, C, tcp_short))),
        Rec(ms(2000), eth_ip(B, A, udp4(B, A, 7000, 40000, 10))),            # 52
        # 802.3 + SNAP: type = 0x0008 (no ntohs), IPv4 still parsed, GTP not decoded
        Rec(ms(2100), snap),                                                # 14+8+64 = 86
    ])
    s.run("default", stats=True, splt=2, n_dissections=0, hand=[
        dict(id=0, src_ip=A, dst_ip=B, bidirectional_packets=2,
             bidirectional_last_seen_ms=T0_MS + 2000, bidirectional_duration_ms=2000,
             splt_piat_ms=[0, 2000]),
        dict(id=1, src_ip=A, dst_ip=C, protocol=17, src_port=0, dst_port=0,
             bidirectional_bytes=60),
        dict(id=2, src_ip=A, dst_ip=C, protocol=6, src_port=0, dst_port=0,
             bidirectional_syn_packets=0, bidirectional_ack_packets=0),
        dict(id=3, src_ip=D, dst_ip=E, src_port=40000, dst_port=2152, tunnel_id=0,
             bidirectional_bytes=86, src_mac=M(D)),
    ], acct=dict(received=13, in_flows=5, ignored=8, filtered=0,
                 reasons={"short": 1, "ip_short": 1, "ip_version": 1, "ipv4_hdr": 3, "l2": 1,
                          "ipv6_ext": 1}))
    for mode, sizes in ((1, (76, 24, 32, 64)), (2, (36, 0, 0, 44)), (3, (20, 0, 0, 36))):
        s.run("mode%d" % mode, accounting_mode=mode, n_dissections=0, hand=[
            dict(id=i, bidirectional_bytes=x) for i, x in enumerate(sizes)])
    return s


@scenario
def s_accounting():
    s = Scenario("accounting", "spec 3.5/3.7: the four accounting modes on TCP with options, "
                 "IPv6 TCP, a protocol without ports (GRE: transport and payload 0) and an "
                 "empty UDP datagram")
    A6a, B6b = "2001:db8::a", "2001:db8::b"
    opt = b"\x02\x04\x05\xb4\x01\x03\x03\x07\x04\x02\x00\x00"     # 12 bytes: doff 8
    s.file("accounting.pcap", [
        Rec(ms(0), eth_ip(A, B, tcp4(A, B, 40000, 443, "S", options=opt))),           # 66
        Rec(ms(5), eth_ip(B, A, tcp4(B, A, 443, 40000, "SA", options=opt))),          # 66
        Rec(ms(10), eth_ip(A, B, tcp4(A, B, 40000, 443, "PA", 200, options=opt))),    # 266
        Rec(ms(15), eth_ip(A6a, B6b, tcp6(A6a, B6b, 40000, 443, "PA", 100))),          # 174
        Rec(ms(20), eth_ip(A, B, ipv4(A, B, 47, b"\x00\x00\x08\x00" + pay(20)))),     # 58
        Rec(ms(25), eth_ip(A, B, udp4(A, B, 40001, 7000))),                            # 42
    ])
    acct = dict(received=6, in_flows=6, ignored=0, filtered=0, reasons={})
    table = {  # mode: (tcp flow, tcp ps list, v6, gre, udp)
        0: (398, [66, 66, 266], 174, 58, 42),
        1: (356, [52, 52, 252], 120, 44, 28),
        2: (296, [32, 32, 232], 120, 0, 8),
        3: (200, [0, 0, 200], 100, 0, 0),
    }
    for mode, (tc, ps, v6, gre, ud) in table.items():
        s.run("mode%d" % mode, accounting_mode=mode, stats=True, splt=3, n_dissections=0,
              acct=acct, hand=[
                  dict(id=0, protocol=6, bidirectional_bytes=tc, splt_ps=ps,
                       src2dst_bytes=ps[0] + ps[2], dst2src_bytes=ps[1],
                       bidirectional_min_ps=min(ps), bidirectional_max_ps=max(ps)),
                  dict(id=1, ip_version=6, bidirectional_bytes=v6),
                  dict(id=2, protocol=47, src_port=0, dst_port=0, bidirectional_bytes=gre),
                  dict(id=3, protocol=17, src_port=40001, bidirectional_bytes=ud),
              ])
    return s


@scenario
def s_nanosecond():
    s = Scenario("nanosecond", "spec 3.1: ns timestamps (ns pcap LE/BE, pcapng if_tsresol 9) and "
                 "us timestamps are truncated to ms, never rounded")
    times = [999999, 1000000, 1999999, 1999999999, 2000000001]     # ns after T0
    recs = []
    for i, t in enumerate(times):
        fr = eth_ip(A, B, udp4(A, B, 40000, 7000, 10)) if i % 2 == 0 else \
            eth_ip(B, A, udp4(B, A, 7000, 40000, 10))
        recs.append(Rec(T0_S * 10 ** 9 + t, fr))
    fmts = (("ns_le.pcap", "pcap-ns"), ("ns_be.pcap", "pcap-ns-be"), ("us_be.pcap", "pcap-us-be"),
            ("ng_ns.pcapng", "pcapng"))
    for name, fmt in fmts:
        s.file(name, recs, fmt=fmt)
    for name, fmt in fmts:
        # ms: 0, 1, 1, 1999, 2000 -> piat 1, 0, 1998, 1
        s.run(name.split(".")[0], [name], stats=True, splt=5, n_dissections=0, hand=[
            dict(id=0, bidirectional_first_seen_ms=T0_MS, bidirectional_last_seen_ms=T0_MS + 2000,
                 bidirectional_duration_ms=2000, src2dst_last_seen_ms=T0_MS + 2000,
                 dst2src_first_seen_ms=T0_MS + 1, dst2src_last_seen_ms=T0_MS + 1999,
                 dst2src_duration_ms=1998, src2dst_min_piat_ms=1, src2dst_max_piat_ms=1999,
                 splt_piat_ms=[0, 1, 0, 1998, 1], splt_direction=[0, 1, 0, 1, 0]),
        ], acct=dict(received=5, in_flows=5, ignored=0, filtered=0, reasons={}))
    return s


@scenario
def s_multifile():
    s = Scenario("multifile", "spec 1/3.1/5: several files are read in order through one flow "
                 "cache and one monotonic clock, so a flow spans files and an earlier-stamped "
                 "second file is clamped")
    s.file("part1.pcap", [
        Rec(ms(0), eth_ip(A, B, udp4(A, B, 40000, 7000, 10))),
        Rec(ms(1000), eth_ip(A, B, udp4(A, B, 40000, 7000, 10))),
        Rec(ms(5000), eth_ip(C, D, udp4(C, D, 40001, 7000, 10))),
    ])
    s.file("part2.pcap", [
        Rec(ms(2000), eth_ip(B, A, udp4(B, A, 7000, 40000, 10))),       # clamped to 5000
        Rec(ms(6000), eth_ip(A, B, udp4(A, B, 40000, 7000, 10))),
        Rec(ms(7000), eth_ip(E, F_, udp4(E, F_, 40002, 7000, 10))),
    ])
    acct6 = dict(received=6, in_flows=6, ignored=0, filtered=0, reasons={})
    s.run("in_order", ["part1.pcap", "part2.pcap"], stats=True, splt=4, n_dissections=0,
          acct=acct6, hand=[
              dict(id=0, src_ip=A, bidirectional_packets=4, src2dst_packets=3,
                   bidirectional_first_seen_ms=T0_MS, bidirectional_last_seen_ms=T0_MS + 6000,
                   dst2src_first_seen_ms=T0_MS + 5000, splt_piat_ms=[0, 1000, 4000, 1000]),
              dict(id=1, src_ip=C, bidirectional_first_seen_ms=T0_MS + 5000),
              dict(id=2, src_ip=E, bidirectional_first_seen_ms=T0_MS + 7000),
          ])
    s.run("reversed", ["part2.pcap", "part1.pcap"], stats=True, n_dissections=0, acct=acct6,
          hand=[
              dict(id=0, src_ip=B, src_port=7000, bidirectional_packets=4, src2dst_packets=1,
                   bidirectional_first_seen_ms=T0_MS + 2000,
                   bidirectional_last_seen_ms=T0_MS + 7000),
              dict(id=1, src_ip=E, bidirectional_first_seen_ms=T0_MS + 7000),
              dict(id=2, src_ip=C, bidirectional_first_seen_ms=T0_MS + 7000),
          ])
    # idle 3: the scan at t=5000 (C->D) expires AB (5000-3000 >= 1000); B->A then opens BA
    s.run("idle3", ["part1.pcap", "part2.pcap"], idle_timeout=3, n_dissections=0, acct=acct6,
          hand=[
              dict(id=0, src_ip=A, bidirectional_packets=2, expiration_id=0),
              dict(id=1, src_ip=C),
              dict(id=2, src_ip=B, bidirectional_packets=2,
                   bidirectional_first_seen_ms=T0_MS + 5000),
              dict(id=3, src_ip=E),
          ])
    s.run("second_only", ["part2.pcap"], n_dissections=0, hand=[
        dict(id=0, src_ip=B, bidirectional_packets=2, bidirectional_first_seen_ms=T0_MS + 2000),
        dict(id=1, src_ip=E)])
    return s


@scenario
def s_max_nflows():
    s = Scenario("max_nflows", "spec 1/6: max_nflows stops after that many flows, in export "
                 "order (scan expirations before the EOF flush)")
    hosts = [("10.0.1.%d" % i, "10.0.2.%d" % i) for i in range(1, 6)]
    tms = [0, 1, 20000, 20001, 20002]
    s.file("max_nflows.pcap", [
        Rec(ms(t), eth_ip(a, b, udp4(a, b, 40000 + i, 7000, 10)))
        for i, ((a, b), t) in enumerate(zip(hosts, tms))])
    for n in (1, 3, 5, 0):
        s.run("max%d" % n, idle_timeout=10, max_nflows=n, n_dissections=0, hand=[
            dict(id=i, src_ip=hosts[i][0], bidirectional_first_seen_ms=T0_MS + tms[i])
            for i in range(n or 5)])
    return s


@scenario
def s_bpf():
    s = Scenario("bpf", "spec 1: the BPF filter applies to files; rejected packets are never "
                 "seen and do not advance the clock")
    C6 = "2001:db8::1"
    P53, UDP_ = "port 53", "udp"
    # a one-byte load at a variable offset (ldb [x + 13]) and a jset #2
    SYN = "tcp[tcpflags] & tcp-syn != 0"
    s.file("bpf.pcap", [
        Rec(ms(0), eth_ip(A, B, udp4(A, B, 40000, 53, 20)), bpf={P53, UDP_}),
        Rec(ms(10), eth_ip(B, A, udp4(B, A, 53, 40000, 40)), bpf={P53, UDP_}),
        Rec(ms(20), eth_ip(A, B, tcp4(A, B, 40001, 53, "S")), bpf={P53, SYN}),
        Rec(ms(30), eth_ip(B, A, tcp4(B, A, 53, 40001, "SA")), bpf={P53, SYN}),
        Rec(ms(40), eth_ip(A, C, udp4(A, C, 40002, 123, 48)), bpf={UDP_}),
        Rec(ms(5000), eth_ip(A, D, tcp4(A, D, 40003, 80, "S")), bpf={SYN}),
        Rec(ms(3000), eth_ip(C6, B6, udp6(C6, B6, 40004, 53, 20)), bpf={P53, UDP_}),
        Rec(ms(3010), eth_ip(A, E, ipv4(A, E, 1, icmp_echo(8, 1, 1, pay(8))))),
        Rec(ms(3020), eth_ip(D, A, tcp4(D, A, 80, 40003, "SA")), bpf={SYN}),
    ])
    s.run("port53", bpf=P53, n_dissections=0, stats=True, hand=[
        dict(id=0, protocol=17, dst_port=53, bidirectional_packets=2),
        dict(id=1, protocol=6, dst_port=53, bidirectional_packets=2, bidirectional_syn_packets=2),
        dict(id=2, ip_version=6, bidirectional_first_seen_ms=T0_MS + 3000),
    ], acct=dict(received=9, in_flows=5, ignored=0, filtered=4, reasons={}))
    s.run("udp", bpf=UDP_, n_dissections=0, hand=[
        dict(id=0, protocol=17, dst_port=53, bidirectional_packets=2),
        dict(id=1, dst_port=123),
        dict(id=2, ip_version=6, bidirectional_first_seen_ms=T0_MS + 3000),
    ], acct=dict(received=9, in_flows=4, ignored=0, filtered=5, reasons={}))
    s.run("tcpflags", bpf=SYN, n_dissections=0, stats=True, hand=[
        dict(id=0, protocol=6, dst_port=53, bidirectional_packets=2, bidirectional_syn_packets=2),
        dict(id=1, protocol=6, dst_port=80, bidirectional_packets=2, bidirectional_syn_packets=2,
             bidirectional_first_seen_ms=T0_MS + 5000, bidirectional_last_seen_ms=T0_MS + 5000),
    ], acct=dict(received=9, in_flows=4, ignored=0, filtered=5, reasons={}))
    # without a filter the 5000 ms packet clamps everything after it
    s.run("none", n_dissections=0, hand=[
        dict(id=0, dst_port=53, protocol=17), dict(id=1, dst_port=53, protocol=6),
        dict(id=2, dst_port=123),
        dict(id=3, dst_port=80, bidirectional_packets=2, bidirectional_last_seen_ms=T0_MS + 5000),
        dict(id=4, ip_version=6, bidirectional_first_seen_ms=T0_MS + 5000),
        dict(id=5, protocol=1, bidirectional_first_seen_ms=T0_MS + 5000),
    ], acct=dict(received=9, in_flows=9, ignored=0, filtered=0, reasons={}))
    return s


def _budget_host(i):
    return "10.3.%d.%d" % (i // 250, i % 250 + 1)


@scenario
def s_scan_budget():
    s = Scenario("scan_budget", "spec 5.3/6.1: one idle scan expires at most 1000 flows; a packet "
                 "of a flow left behind by the budget expires it first (export order)")
    srv, late = "10.4.0.1", "10.5.0.1"
    recs = [Rec(ms(0.005 * i), eth_ip(_budget_host(i), srv,
                                      udp4(_budget_host(i), srv, 5000, 7000, 10)))
            for i in range(1500)]                                   # t = 0 .. 7.495 ms
    recs.append(Rec(ms(20000), eth_ip(late, srv, udp4(late, srv, 5000, 7000, 10))))
    h = _budget_host(1200)
    recs.append(Rec(ms(20010), eth_ip(h, srv, udp4(h, srv, 5000, 7000, 10))))
    s.file("scan_budget.pcap", recs)
    # t=20000: the scan expires flows 0..999 (budget), then stops on the budget with 1000
    # at the head. t=20010: flow 1200 is expired by its own packet (id 1000) and restarts
    # at the end; the scan then expires 1000..1199 and 1201..1499 (ids 1001..1499) and
    # stops on the 20000 flow. EOF: the 20000 flow (1500), then 1200 again (1501).
    s.run("idle10", idle_timeout=10, n_dissections=0, hand=(
        [dict(id=i, src_ip=_budget_host(i), expiration_id=0) for i in range(1000)] +
        [dict(id=1000, src_ip=h, bidirectional_first_seen_ms=T0_MS + 6)] +
        [dict(id=1001 + i, src_ip=_budget_host(1000 + i)) for i in range(200)] +
        [dict(id=1201 + i, src_ip=_budget_host(1201 + i)) for i in range(299)] +
        [dict(id=1500, src_ip=late, bidirectional_first_seen_ms=T0_MS + 20000),
         dict(id=1501, src_ip=h, bidirectional_first_seen_ms=T0_MS + 20010)]),
        acct=dict(received=1502, in_flows=1502, ignored=0, filtered=0, reasons={}))
    return s


@scenario
def s_float_format():
    s = Scenario("float_format", "spec 9: Python repr floats, including the scientific form "
                 "below 1e-4: 20001 packets, one piat of 1 ms among 20000, mean piat ~5e-05")
    recs = [Rec(ms(0 if i <= 10000 else 1) + i, eth_ip(A, B, udp4(A, B, 40000, 7000, i % 7)))
            for i in range(20001)]
    s.file("float_format.pcap", recs)
    s.run("stats", stats=True, splt=3, n_dissections=0, hand=[
        dict(id=0, bidirectional_packets=20001, bidirectional_duration_ms=1,
             bidirectional_min_piat_ms=0, bidirectional_max_piat_ms=1,
             bidirectional_mean_piat_ms=1 / 20000, splt_piat_ms=[0, 0, 0])],
        acct=dict(received=20001, in_flows=20001, ignored=0, filtered=0, reasons={}))
    return s


@scenario
def s_bad_files():
    s = Scenario("bad_files", "a capture cut in the middle of a record, a bad magic, an empty "
                 "file and a valid capture without packets")
    recs = [Rec(ms(i * 10), eth_ip(A, B, udp4(A, B, 40000, 7000, 100))) for i in range(4)]
    # 24 + 3 * (16 + 142) = 498 bytes of complete records, then 16 + 40 of the 4th
    s.file("corrupt.pcap", recs, cut=24 + 3 * 158 + 16 + 40)
    s.file("badmagic.pcap", [], raw=b"NOTAPCAP" + b"\x00" * 16 + b"\x01" * 64)
    s.file("empty.pcap", [], raw=b"")
    s.file("header_only.pcap", [])
    s.error = {
        # streamprobe may either stop with a one-line error (non-zero exit) or count the
        # complete records and finish (exit 0 with exactly the flows of the model below)
        "corrupt.pcap": "error_or_prefix",
        "badmagic.pcap": "error",
        "empty.pcap": "error",
    }
    # model of the complete prefix: the 3 whole records
    s.prefix = {"corrupt.pcap": 3}
    s.run("corrupt", ["corrupt.pcap"], n_dissections=0, hand=[
        dict(id=0, src_ip=A, bidirectional_packets=3, bidirectional_bytes=426)])
    s.run("header_only", ["header_only.pcap"], n_dissections=0, hand=[],
          acct=dict(received=0, in_flows=0, ignored=0, filtered=0, reasons={}))
    return s


@scenario
def s_mixed():
    s = Scenario("mixed", "a few hundred seeded random conversations (TCP/UDP/ICMP over IPv4 and "
                 "IPv6, some VLAN-tagged, reused 5-tuples, out-of-order stamps), checked "
                 "column by column against the reference model only")
    rng = random.Random(20240101)
    recs = []
    reuse = []
    for conv in range(332):
        longlived = conv % 28 == 27         # 11 of them run for minutes: active timeouts
        kind = rng.choices(["tcp4", "udp4", "icmp4", "tcp6", "udp6", "icmp6"],
                           [40, 25, 10, 10, 10, 5])[0]
        if reuse and rng.random() < 0.06:
            cli, srv, sp, dp, kind, vlan = rng.choice(reuse)
            if rng.random() < 0.5:
                cli, srv, sp, dp = srv, cli, dp, sp
        else:
            if kind.endswith("6"):
                cli = "2001:db8:c::%x" % rng.randrange(1, 0xFFFF)
                srv = "2001:db8:5:%x::%x" % (rng.randrange(0, 4), rng.randrange(1, 0x3FF))
            else:
                cli = "10.1.%d.%d" % (rng.randrange(0, 8), rng.randrange(1, 255))
                srv = "10.2.%d.%d" % (rng.randrange(0, 4), rng.randrange(1, 255))
            sp = rng.randrange(10000, 60000)
            if sp in (37008,):
                sp += 1
            dp = rng.choice([80, 443, 8080, 5000, 7000, 9000, 1234])
            vlan = rng.choice([0] * 8 + [10, 20])
            reuse.append((cli, srv, sp, dp, kind, vlan))
        t = rng.uniform(0, 90000)
        n = rng.choice([1, 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 25])
        if longlived:
            n = rng.randrange(50, 120)
        for k in range(n):
            fwd = k == 0 or rng.random() < 0.55
            s_, d_ = (cli, srv) if fwd else (srv, cli)
            ps, pd = (sp, dp) if fwd else (dp, sp)
            size = rng.choice([0, 0, 1, 20, 64, 100, 512, 1000, 1400, rng.randrange(0, 1400)])
            if kind.startswith("tcp"):
                if k == 0:
                    fl = "S"
                elif k == 1:
                    fl = "SA" if not fwd else "A"
                elif k == n - 1 and rng.random() < 0.5:
                    fl = rng.choice(["FA", "RA", "R"])
                else:
                    fl = rng.choice(["A", "PA", "PA", "A", "UA", "EA", "CA"])
                body = tcp(ps, pd, fl, pay(size if "P" in fl else 0, k), seq=1000 + k)
                ip = ipv4(s_, d_, 6, body) if kind == "tcp4" else ipv6(s_, d_, 6, body)
            elif kind.startswith("udp"):
                body = udp(ps, pd, pay(size, k))
                ip = ipv4(s_, d_, 17, body) if kind == "udp4" else ipv6(s_, d_, 17, body)
            else:
                typ = (8 if fwd else 0) if kind == "icmp4" else (128 if fwd else 129)
                body = icmp_echo(typ, sp & 0xFFFF, k, pay(min(size, 200), k))
                ip = ipv4(s_, d_, 1, body) if kind == "icmp4" else ipv6(s_, d_, 58, body)
            recs.append(Rec(ms(t), ether(mac_of(s_), mac_of(d_),
                                         0x0800 if ":" not in s_ else 0x86DD, ip,
                                         [(0x8100, vlan)] if vlan else [])))
            gap = rng.expovariate(1 / 250.0)
            if longlived:
                gap = rng.uniform(200, 2000)
            elif rng.random() < 0.1:
                gap = rng.uniform(3000, 12000)
            t += gap
    recs.sort(key=lambda r: r.ts_ns)
    out = []
    for r in recs:
        out.append(r)
        x = rng.random()
        if x < 0.015 and r.wire_len > 100:
            # a snaplen-cut copy: IPv4 counts with its wire length, IPv6 is ignored
            cut = Rec(r.ts_ns + 1000, r.data, caplen=80)
            cut.expect = "ipv6_trunc" if r.data[12:14] == b"\x86\xdd" or \
                r.data[16:18] == b"\x86\xdd" else "ok"
            out.append(cut)
        elif x < 0.02:
            # a non-first IPv4 fragment between two random hosts: ignored
            a, b = "10.1.9.%d" % rng.randrange(1, 255), "10.2.9.%d" % rng.randrange(1, 255)
            out.append(Rec(r.ts_ns + 2000, eth_ip(a, b, ipv4(a, b, 17, pay(64), frag=185)),
                           expect="ipv4_frag"))
    recs = out
    # a few packets stamped a little before their predecessor (forced time, piat 0)
    for i in range(1, len(recs)):
        if rng.random() < 0.02:
            recs[i].ts_ns = recs[i - 1].ts_ns - rng.randrange(1000, 3000000)
    s.file("mixed.pcap", recs)
    s.run("default", stats=True, splt=10)
    s.run("t5_30_exact", idle_timeout=5, active_timeout=30, stats=True, splt=20,
          n_dissections=0)
    s.run("mode2_exact", accounting_mode=2, n_dissections=0)
    s.run("mode3_t5_30_exact", accounting_mode=3, idle_timeout=5, active_timeout=30,
          stats=True, splt=5, n_dissections=0, decode_tunnels=False)
    return s


# --------------------------------------------------------------------------------------------
# Expectations: model every run, check the hand values against it, write the manifest
# --------------------------------------------------------------------------------------------

def hand_matches(want, got):
    if isinstance(want, float):
        return isinstance(got, float) and math.isclose(want, got, rel_tol=1e-9, abs_tol=0.0)
    if isinstance(want, list):
        return want == got
    return type(want) is type(got) and want == got


def model_run(sc, run, files_by_name):
    o = run.o
    meter = Meter(o)
    for fname in run.files:
        cf = files_by_name[fname]
        dlt = DLT_OF_LINKTYPE[cf.linktype]
        recs = cf.recs
        limit = getattr(sc, "prefix", {}).get(fname)
        if limit is not None:
            recs = recs[:limit]
        for r in recs:
            meter.packet(r, dlt)
    flows = meter.finish()
    cols = columns(o)
    rows = []
    for i, f in enumerate(flows):
        vals = [("id", i)] + f.values(o)
        rows.append(vals)
    return cols, rows, meter.acct


def check_hand(sc, run, cols, rows, acct):
    where = "%s/%s" % (sc.name, run.name)
    if run.hand is not None:
        if len(run.hand) != len(rows):
            raise SystemExit("%s: hand says %d flows, model %d" % (where, len(run.hand), len(rows)))
        for h, vals in zip(run.hand, rows):
            d = dict(vals)
            for k, want in h.items():
                if k not in cols:
                    raise SystemExit("%s: hand column %s not in the output" % (where, k))
                if k not in d:
                    continue            # application column: not modelled
                if not hand_matches(want, d[k]):
                    raise SystemExit("%s flow %s: hand %s=%r, model %r" % (where, h.get("id"), k,
                                                                          want, d[k]))
    if run.hand_acct is not None:
        for k, want in run.hand_acct.items():
            if acct[k] != want:
                raise SystemExit("%s: hand accounting %s=%r, model %r" % (where, k, want, acct[k]))


def check_packet_expectations(sc):
    """Every frame's hand-written expectation ("ok" or a reason) against ref_parse, for the
    link type of its file, with and without tunnel decoding where it cannot differ."""
    for cf in sc.files:
        if cf.raw is not None:
            continue
        dlt = DLT_OF_LINKTYPE[cf.linktype]
        for i, r in enumerate(cf.recs):
            m = ref_parse(r.data, r.wire_len, dlt, True)
            got = "ok" if not isinstance(m, str) else m
            if got != r.expect:
                raise SystemExit("%s/%s packet %d: expected %s, reference parser says %s"
                                 % (sc.name, cf.name, i, r.expect, got))
            ref_parse(r.data, r.wire_len, dlt, False)      # must not hit an ambiguous reason


def render_csv(cols, rows):
    out = [",".join(cols) + "\n"]
    for vals in rows:
        out.append(",".join(field_text(v) for _, v in vals) + "\n")
    return "".join(out)


def build(outdir, only=None):
    os.makedirs(outdir, exist_ok=True)
    manifest = {"generator": "sp-genpcap.py", "version": 1, "t0_ms": T0_MS,
                "app_columns": APP_COLUMNS, "reasons": list(REASONS), "scenarios": []}
    for fn in SCENARIOS:
        sc = fn()
        if only and sc.name not in only:
            continue
        check_packet_expectations(sc)
        files_by_name = {f.name: f for f in sc.files}
        for f in sc.files:
            f.write(outdir)
        entry = {"name": sc.name, "doc": sc.doc, "errors": sc.error or {},
                 "files": [{"name": f.name,
                            "packets": getattr(sc, "prefix", {}).get(f.name, len(f.recs)),
                            "linktype": f.linktype, "format": f.fmt if f.raw is None else "raw",
                            "bpf": {flt: sum(1 for r in f.recs if flt in r.bpf)
                                    for flt in sorted({x for r in f.recs for x in r.bpf})}}
                           for f in sc.files],
                 "runs": []}
        for run in sc.runs:
            cols, rows, acct = model_run(sc, run, files_by_name)
            check_hand(sc, run, cols, rows, acct)
            exact = run.o["n_dissections"] == 0
            entry["runs"].append({
                "name": run.name,
                "files": run.files,
                "args": run.args(),
                "options": run.o,
                "columns": cols,
                # application columns (nDPI) are not modelled: null
                "rows": [[field_value(v) for _, v in vals] + [None] * (len(cols) - len(vals))
                         for vals in rows],
                "hand": run.hand,
                "accounting": None if run.o["max_nflows"] else acct,
                "csv_text": render_csv(cols, rows) if exact and rows else None,
            })
        manifest["scenarios"].append(entry)
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    return manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir", nargs="?")
    ap.add_argument("--only", action="append", help="build only this scenario (repeatable)")
    ap.add_argument("--list", action="store_true", help="list the scenarios and exit")
    a = ap.parse_args()
    if a.list:
        for fn in SCENARIOS:
            sc = fn()
            print("%-16s %s" % (sc.name, sc.doc))
        return 0
    if not a.outdir:
        ap.error("OUTDIR is required")
    m = build(a.outdir, set(a.only) if a.only else None)
    nf = sum(len(s["files"]) for s in m["scenarios"])
    nr = sum(len(s["runs"]) for s in m["scenarios"])
    print("sp-genpcap: %d scenarios, %d files, %d runs -> %s" % (len(m["scenarios"]), nf, nr,
                                                                 a.outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
