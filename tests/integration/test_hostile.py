#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Hostile captures (issue 13, item 3), generated here and read by the real app.

    python3 tests/integration/test_hostile.py [-v] [-k PATTERN]

$STREAMPROBE names the binary (default: build/app/streamprobe). $SP_KEEP=1 keeps the
temporary directory.

Packets are built with tools/sp-genpcap.py's builders, and what NFStream makes of them comes
from its reference model (ref_parse, the spec's section 3 step by step, and Meter): for
every modelled capture the test asserts the exact CSV text (no nDPI: --n-dissections 0),
the accounting line and the count of every ignore reason, so a hostile packet must be
ignored for the right reason (the right counter moves) or counted exactly as NFStream
counts it. Where the spec leaves the reason's name open (NFStream has no names),
AMBIGUOUS below gives streamprobe's.

- every header cut at every offset: Ethernet, 802.3/SNAP, VLAN, MPLS, PPPoE, IPv4 with
  options, IPv6 with extension headers, TCP, UDP, ICMP, ICMPv6, IP-in-IP (4in4, 6in4,
  4in6), GTP-U (with extension headers), TZSP, CAPWAP, VXLAN (plain UDP to NFStream), and
  the other link types (NULL, RAW, LINUX_SLL, IPV4, IPV6, PPP, C_HDLC, PPP_SERIAL,
  radiotap; SLL2: unsupported), with and without tunnel decoding; every such frame with
  random bytes replaced (SP_HOSTILE_SEED picks other mutants); --bpf-filter on the cuts
  against libpcap's filter;
- record lengths: caplen > len, len 0, len 65535 and beyond, frames of 65535 bytes and
  more (up to libpcap's 262144), a record longer than the file's snapshot length, and
  beyond libpcap's maximum (a bad file);
- IPv4 IHL and total-length lies; IPv6 extension-header chains 100 deep, self-looping
  headers, oversized lengths, 50 nested IP-in-IP headers; GTP with bad extension lengths;
  TZSP and CAPWAP garbage (seeded random bytes after their headers, nested tunnels);
  uint16 offset wrap (a frame of 20000 VLAN tags or MPLS labels);
- times that jump backwards, before 1970 and past 2038 (libpcap's signed 32-bit seconds,
  unsigned in a byte-swapped file), fractions out of range, nanosecond files; a full
  flow table at 2^64 - 1 ms;
- bad files: a record cut mid-header and mid-data, compressed files cut mid-stream, an
  empty file, a short file header, a wrong magic, pcapng with unknown, custom and
  oversized blocks, pcap and pcapng headers with random bytes (read as libpcap reads
  them): a `streamprobe:` message and a non-zero exit for what cannot be read, the
  complete records before it counted;
- strings from the wire (TLS SNI, HTTP User-Agent, DHCP hostname with --plugin dhcp) holding
  quotes, commas, CR, LF, backslashes, NUL, invalid UTF-8, or longer than their fields:
  each cell as NFStream writes what nDPI or the plugin keeps, the file read back by the
  pandas reader of docs/csv.md (Debian's python3-pandas under /usr/bin/python3), and
  --csv-anonymize's digest of it.

The modelled captures also go through every other input path (INPUT_PATHS: the pcap PMD,
the replay from memory, --dispatch, several workers) to the same model.
Every run must end without a crash, and its accounting line must add up
(sp_accounting.check_accounting).
"""

import atexit
import gzip
import hashlib
import importlib.util
import json
import lzma
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

import sp_accounting

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STREAMPROBE") or os.path.join(ROOT, "build", "app", "streamprobe")
DEBIAN_PYTHON = "/usr/bin/python3"

_spec = importlib.util.spec_from_file_location("genpcap", os.path.join(ROOT, "tools",
                                                                        "sp-genpcap.py"))
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

# Where NFStream's code gives no reason name (it just returns "ignore"), the reference model
# raises Ambiguous; streamprobe counts these under the reason named here (lib/parse).
AMBIGUOUS = {
    "vlan tag cut": "short",            # parse_ethertype: tag beyond caplen
    "mpls cut": "short",
    "ipv6 header cut": "ipv6_trunc",    # parse_ip: fewer than 40 bytes
    "udp header cut before tunnel check": "tunnel",
    "gtp inner ipv6 cut": "ipv6_trunc",
    "gtp inner version": "ip_version",
    "gtp inner ipv4 cut": "ip_short",
    "ipv6 short in parse": "ipv6_trunc",
    "ipv6 l4 offset": "ipv6_trunc",
    "ipv6 length": "ipv6_trunc",
}
_ref_parse = gen.ref_parse


def ref_parse(pkt, wire_len, dlt, decode_tunnels):
    try:
        return _ref_parse(pkt, wire_len, dlt, decode_tunnels)
    except gen.Ambiguous as e:
        return AMBIGUOUS[str(e)]


gen.ref_parse = ref_parse       # the model's Meter calls it by this name

WORK = tempfile.mkdtemp(prefix="sp-hostile-")
if not os.environ.get("SP_KEEP"):
    atexit.register(shutil.rmtree, WORK, True)
else:
    print("sp-hostile: keeping %s" % WORK, file=sys.stderr)

A, B, C, D, E = "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"
A6, B6 = "2001:db8::1", "2001:db8::2"
MA, MB = gen.mac_of(A), gen.mac_of(B)
TCP_OPTS = b"\x02\x04\x05\xb4\x01\x03\x03\x07\x04\x02\x00\x00"
# The other ways a capture comes in, each held to the same model: the pcap PMD (with its
# shadow reader), the replay from memory, one worker fed by the main lcore, several workers.
INPUT_PATHS = [["--pcap-pmd"], ["--replay-loops", "1"], ["--dispatch"], ["--workers", "3"]]
CRASH = ("Segmentation fault", "core dumped", "Assertion", "AddressSanitizer",
         "runtime error", "Traceback", "PANIC", "stack smashing")


def run(args, timeout=120):
    """streamprobe with args; never a crash, and the accounting adds up if reported."""
    try:
        p = subprocess.run([BIN, "--quiet"] + args, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError("timeout after %d s: %s" % (timeout, " ".join(args)))
    p.err = p.stderr.decode("utf-8", "replace")
    assert 0 <= p.returncode < 128, "crashed (exit %d): %s\n%s" % (p.returncode, args,
                                                                  p.err[-3000:])
    for bad in CRASH:
        assert bad not in p.err, "%s: %s\n%s" % (bad, args, p.err[-3000:])
    p.acct = sp_accounting.check_run(p.err, p.returncode == 0)
    return p


def write_raw_pcap(path, recs, linktype=1, snaplen=262144, nsec=False, big_endian=False):
    """recs: (sec, frac, caplen, len, data) written as given (u32 each)."""
    e = ">" if big_endian else "<"
    out = [struct.pack(e + "IHHiIII", 0xA1B23C4D if nsec else 0xA1B2C3D4, 2, 4, 0, 0,
                       snaplen, linktype)]
    for sec, frac, caplen, ln, data in recs:
        out.append(struct.pack(e + "IIII", sec, frac, caplen, ln) + data)
    with open(path, "wb") as f:
        f.write(b"".join(out))


def vxlan(frame, vni=42):
    return struct.pack(">BBHI", 0x08, 0, 0, vni << 8) + frame


def base_frames():
    """(name, linktype, frame): one of each header the parser walks, to be cut."""
    z = gen.udp4
    u = z(A, B, 40000, 7000, 10)
    v6 = gen.udp6(A6, B6, 40000, 7000, 10)
    inner_tcp = gen.tcp4(A, B, 40001, 80, "PA", 8, options=TCP_OPTS)
    exts6 = ((0, gen.ext_opts(1)), (43, gen.ext_routing(1)), (44, gen.ext_frag(0, True)),
             (60, gen.ext_opts(2)))
    gtp_ext = b"\x01\xaa\xbb\x00"        # one 4-byte extension, next type 0
    snap_ip = z(D, E, 40002, 7001, 6)
    snap = MB + MA + struct.pack(">H", 8 + len(snap_ip)) + \
        b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + snap_ip
    sll = struct.pack(">HHH", 0, 1, 6) + MA + b"\x00\x00" + struct.pack(">H", 0x0800) + u
    eth = [
        ("ipv4_tcp_options", gen.eth_ip(A, B, gen.tcp4(A, B, 40000, 443, "PA", 20,
                                                          options=TCP_OPTS))),
        ("ipv4_ihl7_udp", gen.eth_ip(A, B, z(A, B, 40000, 53, 12, ihl=7))),
        ("vlan2_ipv4_udp", gen.eth_ip(A, B, z(A, B, 40000, 53, 12), vlans=(100, 200))),
        ("ipv4_icmp", gen.eth_ip(A, B, gen.ipv4(A, B, 1, gen.icmp_echo(8, 7, 1,
                                                                       gen.pay(16))))),
        ("ipv6_icmp", gen.eth_ip(A6, B6, gen.ipv6(A6, B6, 58, gen.icmp_echo(128, 7, 1,
                                                                             gen.pay(8))))),
        ("ipv6_udp", gen.eth_ip(A6, B6, v6)),
        ("ipv6_ext_tcp", gen.eth_ip(A6, B6, gen.ipv6(A6, B6, 6, gen.tcp(40000, 443, "S"),
                                                     exts=exts6))),
        ("mpls2_ipv4_udp", gen.ether(MA, MB, 0x8847, gen.mpls(100, 200) + u)),
        ("pppoe_ipv4_tcp", gen.ether(MA, MB, 0x8864, gen.pppoe(0x21, inner_tcp))),
        ("snap_ipv4_udp", snap),
        ("4in4_udp", gen.eth_ip(D, E, gen.ipv4(D, E, 4, u))),
        ("6in4_udp", gen.eth_ip(D, E, gen.ipv4(D, E, 41, v6))),
        ("4in6_udp", gen.eth_ip(A6, B6, gen.ipv6(A6, B6, 4, u, fix=False))),
        ("gtp_ext_ipv4_tcp", gen.eth_ip(D, E, gen.ipv4(D, E, 17, gen.udp(
            2152, 2152, gen.gtp(inner_tcp, flags=0x36, ext=gtp_ext))))),
        ("gtp_ipv6_udp", gen.eth_ip(D, E, gen.ipv4(D, E, 17, gen.udp(
            40000, 2152, gen.gtp(v6, flags=0x32))))),
        ("tzsp_eth_ipv4_udp", gen.eth_ip(D, E, gen.ipv4(D, E, 17, gen.udp(
            37008, 37008, gen.tzsp(gen.eth_ip(A, B, u), tags=b"\x0a\x02xy\x01"))))),
        ("capwap_ipv4_tcp", gen.eth_ip(D, E, gen.ipv4(D, E, 17, gen.udp(
            5247, 5247, gen.capwap(inner_tcp, rmac=MB, tmac=MA, dmac=MB))))),
        ("vxlan_eth_ipv4_udp", gen.eth_ip(D, E, gen.ipv4(D, E, 17, gen.udp(
            40000, 4789, vxlan(gen.eth_ip(A, B, u)))))),
    ]
    out = [(n, gen.LT_EN10MB, f) for n, f in eth]
    out += [
        ("null_be_ipv4", gen.LT_NULL, b"\x00\x00\x00\x02" + u),
        ("null_le_ipv6", gen.LT_NULL, b"\x0a\x00\x00\x00" + v6),
        ("raw_ipv4", gen.LT_RAW, u),
        ("raw_ipv6", gen.LT_RAW, v6),
        ("sll_ipv4", gen.LT_LINUX_SLL, sll),
        ("ipv4_linktype", gen.LT_IPV4, gen.tcp4(A, B, 40000, 80, "S", options=TCP_OPTS)),
        ("ipv6_linktype", gen.LT_IPV6, gen.ipv6(A6, B6, 6, gen.tcp(40000, 80, "S"),
                                                exts=exts6[:2])),
        ("ppp_ipv4", gen.LT_PPP, b"\x00\x21" + u),
        ("chdlc_ipv6", gen.LT_C_HDLC, b"\x8f\x00\x86\xdd" + v6),
        ("ppp_serial_ipv4", gen.LT_PPP_HDLC, b"\xff\x03\x00\x21" + u),
        ("sll2_ipv4", gen.LT_LINUX_SLL2, struct.pack(">HHIHBB", 0x0800, 0, 1, 1, 0, 6) +
         MA + b"\x00\x00" + u),
    ]
    return out


class Hostile(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        if not os.access(BIN, os.X_OK):
            raise RuntimeError("streamprobe binary not found at %s" % BIN)

    def path(self, name):
        return os.path.join(WORK, name)

    def modelled(self, name, recs, linktype=gen.LT_EN10MB, fmt="pcap-us", raw=None,
                 paths=False, **opts):
        """Write recs, run streamprobe on them, and hold its CSV text and accounting to
        the reference model's. With raw (the path of a file written otherwise), streamprobe
        reads that file and the model recs, the packets as libpcap hands them over. With
        paths, the same again through every other way in: INPUT_PATHS."""
        opts.setdefault("n_dissections", 0)
        opts.setdefault("stats", True)
        opts.setdefault("splt", 3)
        cf = gen.CapFile(name, recs, linktype, fmt=fmt)
        if raw is None:
            cf.write(WORK)
        sc = gen.Scenario(name, "")
        r = gen.Run(name, [name], **opts)
        cols, rows, acct = gen.model_run(sc, r, {name: cf})
        out = self.path(name + ".csv")
        p = run(["--pcap", raw or self.path(name), "--csv", out] + r.args())
        self.check_model(name, p, out, cols, rows, acct)
        for extra in (INPUT_PATHS if paths else ()):
            with self.subTest(capture=name, path=" ".join(extra)):
                q = run(["--pcap", raw or self.path(name), "--csv", out] + r.args() + extra)
                self.check_model("%s %s" % (name, " ".join(extra)), q, out, cols, rows, acct,
                                 any_order="--workers" in extra)
        return p

    def check_model(self, name, p, out, cols, rows, acct, any_order=False):
        self.assertEqual(p.returncode, 0, "%s: %s" % (name, p.err))
        got = {k: p.acct[k] for k in sp_accounting.FIELDS}
        want = {k: acct[k] for k in sp_accounting.FIELDS}
        self.assertEqual((got, {k: v for k, v in p.acct["reasons"].items() if v}),
                         (want, acct["reasons"]), "%s: accounting and ignore reasons" % name)
        with open(out, newline="") as f:
            text = f.read()
        want_text = gen.render_csv(cols, rows) if rows else ",".join(cols) + "\n"
        if any_order:
            # several workers: the same flows in another order (ids follow it)
            def unordered(t):
                lines = t.split("\n")
                return lines[0], sorted(l.split(",", 1)[-1] for l in lines[1:])
            text, want_text = unordered(text), unordered(want_text)
            self.assertEqual(text, want_text, "%s: flows differ from the model" % name)
            return
        if text != want_text:
            got_l, want_l = text.splitlines(), want_text.splitlines()
            diff = [(i, g, w) for i, (g, w) in enumerate(zip(got_l, want_l)) if g != w][:3]
            self.fail("%s: CSV differs from the model (%d vs %d lines); first rows that "
                      "differ:\n%s" % (name, len(got_l), len(want_l), "\n".join(
                          "line %d\n got  %s\n want %s" % d for d in diff)))

    # --- every header cut at every offset -------------------------------------------------

    def test_truncated_at_every_offset(self):
        """Each frame cut at every length from 0 to its own (wire length unchanged): every
        cut of every header either ignored for its reason or counted as NFStream does."""
        for name, lt, frame in base_frames():
            with self.subTest(frame=name):
                recs = [gen.Rec(gen.ms(i), frame, caplen=c) for i, c in
                        enumerate(range(len(frame) + 1))]
                self.modelled("cut_" + name + ".pcap", recs, lt)
                # and without tunnel decoding (GTP/TZSP/CAPWAP are then plain UDP)
                if name.startswith(("gtp", "tzsp", "capwap")):
                    self.modelled("cut_nt_" + name + ".pcap", recs, lt,
                                  decode_tunnels=False)
        # every Ethernet cut in one capture, through every other way in
        recs, t = [], 0
        for name, lt, frame in base_frames():
            if lt == gen.LT_EN10MB:
                for c in range(len(frame) + 1):
                    recs.append(gen.Rec(gen.ms(t), frame, caplen=c))
                    t += 1
        self.modelled("cut_all.pcap", recs, paths=True)

    def test_mutated_frames(self):
        """Every header frame with 1 to 4 of its bytes replaced by seeded random ones (and
        some of those cut): a differential run against the model, per link type."""
        # $SP_HOSTILE_SEED tries other mutants
        rnd = random.Random(int(os.environ.get("SP_HOSTILE_SEED", "1313")))
        by_lt = {}
        for name, lt, frame in base_frames():
            recs = by_lt.setdefault(lt, [])
            for k in range(60):
                b = bytearray(frame)
                for _ in range(rnd.randint(1, 4)):
                    b[rnd.randrange(len(b))] = rnd.randrange(256)
                cut = rnd.randrange(len(b) + 1) if k % 3 == 0 else len(b)
                recs.append(gen.Rec(gen.ms(len(recs)), bytes(b), caplen=cut,
                                    wire_len=len(b)))
        for lt, recs in sorted(by_lt.items()):
            with self.subTest(linktype=lt):
                self.modelled("mutated_%d.pcap" % lt, recs, lt,
                              paths=lt == gen.LT_EN10MB)

    def test_bpf_on_cut_frames(self):
        """--bpf-filter on every cut of every Ethernet header: the packets it keeps are the
        ones libpcap's filter keeps (tcpdump -w), loads past the captured bytes included;
        the others are counted as filtered."""
        if shutil.which("tcpdump") is None:
            self.skipTest("tcpdump is not installed")
        recs, t = [], 0
        for name, lt, frame in base_frames():
            if lt == gen.LT_EN10MB:
                for c in range(len(frame) + 1):
                    recs.append(gen.Rec(gen.ms(t), frame, caplen=c))
                    t += 1
        path = self.path("cut_bpf.pcap")
        gen.write_pcap(path, recs, gen.LT_EN10MB)
        for flt in ("udp", "greater 100", "ether[0] & 1 = 0", "ip[2:2] > 40", "ip6", "mpls",
                    "tcp[13] & 2 != 0", "udp[8:2] = 0x3000", "vlan", "pppoes and tcp",
                    "ip6[40] = 60 or ip[9] = 4"):
            with self.subTest(filter=flt):
                kept = self.path("kept.pcap")
                q = subprocess.run(["tcpdump", "-r", path, "-w", kept, flt],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                self.assertEqual(q.returncode, 0, q.stderr)
                with open(kept, "rb") as f:
                    data = f.read()
                n, off = 0, 24
                while off + 16 <= len(data):
                    n += 1
                    off += 16 + struct.unpack_from("<I", data, off + 8)[0]
                p = run(["--pcap", path, "--csv", self.path("bpf.csv"), "--n-dissections",
                         "0", "--bpf-filter", flt])
                self.assertEqual(p.returncode, 0, p.err)
                self.assertEqual((p.acct["received"], p.acct["filtered"]),
                                 (len(recs), len(recs) - n))

    def test_radiotap(self):
        """Radiotap + 802.11 + LLC/SNAP: every cut, bad FCS, other frame types and
        distribution bits, mutated bytes."""
        rt = struct.pack("<BBHI", 0, 0, 12, 0) + b"\x00" * 4
        llc = b"\xaa\xaa\x03\x00\x00\x00\x08\x00"
        u = gen.udp4(A, B, 40000, 7000, 10)
        frames = []
        for fc in (0x0288, 0x0188, 0x0388, 0x0088, 0x0208, 0x0108, 0x0080, 0x0284):
            # QoS control: NFStream takes 26 bytes of 802.11 header with one DS bit set
            wifi = struct.pack("<HH", fc, 0) + MB + MA + MB + b"\x00\x00" + b"\x00\x00"
            frames.append(rt + wifi + llc + u)
        bad_fcs = bytearray(frames[0])
        bad_fcs[16] = 0x50
        frames.append(bytes(bad_fcs))
        long_rt = struct.pack("<BBHI", 0, 0, 40, 0) + b"\x00" * 32
        frames.append(long_rt + frames[0][12:])
        recs = []
        for fr in frames:
            for c in range(len(fr) + 1):
                recs.append(gen.Rec(gen.ms(len(recs)), fr, caplen=c))
        rnd = random.Random(127)
        for k in range(400):
            b = bytearray(rnd.choice(frames))
            for _ in range(rnd.randint(1, 4)):
                b[rnd.randrange(len(b))] = rnd.randrange(256)
            recs.append(gen.Rec(gen.ms(len(recs)), bytes(b)))
        p = self.modelled("radiotap.pcap", recs, 127, paths=True)
        self.assertGreater(p.acct["in_flows"], 0)

    # --- record lengths -------------------------------------------------------------------

    def test_record_lengths(self):
        """caplen > len, len 0, len 65535 and beyond (raw size is len modulo 2^16)."""
        fr = gen.eth_ip(A, B, gen.udp4(A, B, 40000, 7000, 100))
        fr6 = gen.eth_ip(A6, B6, gen.udp6(A6, B6, 40000, 7000, 100))
        recs = []
        for i, wl in enumerate((0, 1, 14, 60, 141, 142, 143, 1514, 65535, 65536, 65537,
                                65536 + 142, 131072, 2 ** 31, 2 ** 32 - 1)):
            recs.append(gen.Rec(gen.ms(2 * i), fr, wire_len=wl))
            recs.append(gen.Rec(gen.ms(2 * i + 1), fr6, wire_len=wl))
        self.modelled("lengths.pcap", recs, paths=True)
        self.modelled("lengths_mode1.pcap", recs, accounting_mode=1)

    def test_big_frames(self):
        """Frames of 65535 bytes and more, up to libpcap's 262144 for Ethernet: IPv4 and
        IPv6 lengths are 16 bits, so these lie; NFStream's uint16 sizes wrap."""
        recs = []
        for i, n in enumerate((65535 - 42, 65536 - 42, 65536, 70000, 131072, 262144 - 62)):
            u = gen.udp(40000, 7000, gen.pay(n), length=(8 + n) & 0xFFFF)
            t = gen.tcp(40001, 80, "A", gen.pay(n))
            recs.append(gen.Rec(gen.ms(i), gen.eth_ip(A, B, gen.ipv4(
                A, B, 17, u, tot_len=(28 + n) & 0xFFFF, fix=False))))
            recs.append(gen.Rec(gen.ms(i), gen.eth_ip(A, B, gen.ipv4(
                A, B, 6, t, tot_len=(40 + n) & 0xFFFF, fix=False))))
            recs.append(gen.Rec(gen.ms(i), gen.eth_ip(A6, B6, gen.ipv6(
                A6, B6, 17, u, plen=(8 + n) & 0xFFFF, fix=False))))
        self.modelled("big.pcap", recs, paths=True)

    def test_caplen_beyond_snaplen(self):
        """A record longer than the file's snapshot length: libpcap reads snaplen bytes of
        it (the rest skipped), so the packet is the cut one."""
        fr = gen.eth_ip(A, B, gen.tcp4(A, B, 40000, 80, "PA", 1400))
        recs = [(gen.T0_S, 0, len(fr), len(fr), fr), (gen.T0_S, 1000, 100, len(fr), fr[:100]),
                (gen.T0_S, 2000, len(fr), len(fr), fr)]
        path = self.path("snap.pcap")
        write_raw_pcap(path, recs, snaplen=1000)
        model = [gen.Rec(gen.ms(i), fr, caplen=c) for i, c in enumerate((1000, 100, 1000))]
        p = self.modelled("snap.pcap", model, raw=path, accounting_mode=3)
        self.assertEqual((p.acct["received"], p.acct["in_flows"]), (3, 3))

    def test_caplen_beyond_maximum(self):
        """caplen above libpcap's maximum for the link type: a bad file, said so."""
        fr = gen.eth_ip(A, B, gen.udp4(A, B, 40000, 7000, 10))
        for caplen in (262145, 2 ** 31, 2 ** 32 - 1):
            with self.subTest(caplen=caplen):
                path = self.path("huge%d.pcap" % caplen)
                write_raw_pcap(path, [(gen.T0_S, 0, len(fr), len(fr), fr),
                                      (gen.T0_S, 1, caplen, caplen, fr)])
                p = run(["--pcap", path, "--csv", self.path("huge.csv")])
                self.assertEqual(p.returncode, 1, p.err)
                self.assertRegex(p.err, r"(?m)^streamprobe: error: %s: read error: invalid "
                                 r"packet capture length %d" % (re.escape(path), caplen))
                self.assertEqual((p.acct["received"], p.acct["in_flows"]), (1, 1))

    # --- header lies ----------------------------------------------------------------------

    def test_ipv4_ihl_and_total_length_lies(self):
        recs, t = [], 0
        for proto, l4 in ((6, gen.tcp(40000, 80, "PA", gen.pay(30))),
                          (17, gen.udp(40001, 53, gen.pay(30))),
                          (1, gen.icmp_echo(8, 1, 1, gen.pay(30)))):
            true = 20 + len(l4)
            for ihl in range(16):
                for tot in sorted({0, 1, 19, 20, ihl * 4 - 1, ihl * 4, ihl * 4 + 1, true - 1,
                                   true, true + 1, true + 40, 1500, 65535}):
                    if tot < 0:
                        continue
                    ip = bytearray(gen.ipv4(A, B, proto, l4))
                    ip[0] = 0x40 | ihl
                    ip[2:4] = struct.pack(">H", tot)
                    recs.append(gen.Rec(gen.ms(t), gen.eth_ip(A, B, bytes(ip))))
                    t += 1
            # fragments: every flag and some offsets
            for flags in range(8):
                for off in (0, 1, 0x1FFF):
                    recs.append(gen.Rec(gen.ms(t), gen.eth_ip(A, B, gen.ipv4(
                        A, B, proto, l4, flags=flags, frag=off))))
                    t += 1
        self.modelled("ipv4_lies.pcap", recs, paths=True)

    def test_ipv6_extension_chains(self):
        tcp = gen.tcp(40000, 443, "S")
        cases = [
            # 100 destination options headers, then TCP
            [(60, gen.ext_opts(1))] * 100,
            # 100 hop-by-hop headers (only the first is legal) of growing length
            [(0, gen.ext_opts(1 + i % 4)) for i in range(100)],
            # 100 first fragments in a row
            [(44, gen.ext_frag(0, True))] * 100,
            # routing headers, one of 255 * 8 bytes
            [(43, gen.ext_routing(1)), (43, gen.ext_routing(255))],
            # no next header in the middle
            [(60, gen.ext_opts(1)), (59, gen.ext_opts(1)), (60, gen.ext_opts(1))],
            # a non-first fragment after 50 options
            [(60, gen.ext_opts(1))] * 50 + [(44, gen.ext_frag(3, False))],
        ]
        recs, t = [], 0
        for exts in cases:
            for plen in (None, 0, 8, 65535):
                pkt = gen.ipv6(A6, B6, 6, tcp, exts=exts, plen=plen)
                recs.append(gen.Rec(gen.ms(t), gen.eth_ip(A6, B6, pkt)))
                t += 1
        # a header that names itself as next until the end of the packet (a "loop"),
        # with lengths that do and do not land on the end
        for n8 in (0, 1, 7):
            for k in (1, 10, 100):
                body = bytes([60, n8]) + b"\x00" * (n8 * 8 + 6)
                pkt = gen.ipv6(A6, B6, 60, body * k, fix=False)
                recs.append(gen.Rec(gen.ms(t), gen.eth_ip(A6, B6, pkt)))
                t += 1
        # 50 nested IPv6-in-IPv6 and 50 nested IPv4-in-IPv4 headers, then UDP
        inner6, inner4 = gen.udp6(A6, B6, 40000, 7000, 4), gen.udp4(A, B, 40000, 7000, 4)
        for _ in range(50):
            inner6 = gen.ipv6(A6, B6, 41, inner6, fix=False)
            inner4 = gen.ipv4(C, D, 4, inner4)
        recs.append(gen.Rec(gen.ms(t), gen.eth_ip(A6, B6, inner6)))
        recs.append(gen.Rec(gen.ms(t + 1), gen.eth_ip(C, D, inner4)))
        self.modelled("ipv6_chains.pcap", recs, paths=True)

    def test_gtp_bad_extension_lengths(self):
        inner = gen.tcp4(A, B, 40000, 80, "S")
        recs, t = [], 0

        def gtp_raw(flags, after_hdr, mtype=0xFF):
            body = after_hdr
            return struct.pack(">BBHI", flags, mtype, len(body), 1) + body

        opt = b"\x00\x00\x00\x85"        # seq, N-PDU, next extension type
        payloads = [
            gtp_raw(0x34, opt + b"\x00" + inner),                   # extension length 0
            gtp_raw(0x34, opt + b"\xff" + inner),                   # 1020 bytes: past the end
            gtp_raw(0x34, opt + b"\x01\x00\x00\x85" * 30 + b"\x01\x00\x00\x00" + inner),
            gtp_raw(0x34, opt + b"\x01\x00\x00\x85" * 3),           # never ends
            gtp_raw(0x34, opt + b"\x02" + b"\x00" * 6 + b"\x00"),  # ends at the frame's end
            gtp_raw(0x34, opt + b"\x01\x00\x00\x00" + b"\x50" + inner[1:]),  # inner v5
            gtp_raw(0x34, opt + b"\x01\x00\x00\x00" + inner[:12]),  # inner IPv4 cut
            gtp_raw(0x34, opt + b"\x01\x00\x00\x00" + b"\x60" + b"\x00" * 20),  # IPv6 cut
            gtp_raw(0x30, b"\x60" + b"\x00" * 30),                  # no options, IPv6 cut
            gtp_raw(0x30, inner, mtype=0x01),                       # echo request
            gtp_raw(0x50, inner),                                   # version 2
            gtp_raw(0x37, opt + inner),                             # E, S, PN: 0x85 ext
        ]
        for i, pl in enumerate(payloads):
            for sp, dp in ((2152, 2152), (40000 + i, 2152)):
                recs.append(gen.Rec(gen.ms(t), gen.eth_ip(D, E, gen.ipv4(
                    D, E, 17, gen.udp(sp, dp, pl)))))
                t += 1
        rnd = random.Random(13)
        for i in range(300):
            pl = bytes([0x30 | rnd.randrange(8), 0xFF]) + rnd.randbytes(rnd.randrange(40))
            recs.append(gen.Rec(gen.ms(t), gen.eth_ip(D, E, gen.ipv4(
                D, E, 17, gen.udp(2152, 2152, pl)))))
            t += 1
        self.modelled("gtp_bad.pcap", recs, paths=True)

    def test_tzsp_capwap_garbage(self):
        rnd = random.Random(11)
        inner = gen.eth_ip(A, B, gen.udp4(A, B, 40000, 7000, 8))
        recs, t = [], 0

        def udp_frame(sp, dp, pl):
            return gen.eth_ip(D, E, gen.ipv4(D, E, 17, gen.udp(sp, dp, pl)))

        tz = []
        for version, typ, encap in ((1, 0, 1), (2, 0, 1), (1, 1, 1), (1, 0, 0), (1, 0, 18)):
            for tags in (b"", b"\x00", b"\x01", b"\x0a\x00", b"\x0a\xff", b"\x0a\x05abc",
                         b"\x0a"):
                tz.append(struct.pack(">BBH", version, typ, encap) + tags + inner)
        tz += [b"", b"\x01", b"\x01\x00\x00", b"\x01\x00\x00\x01"]
        # 40 TZSP headers nested: each restart of the link layer finds the next
        nest = inner
        for _ in range(40):
            nest = udp_frame(37008, 37008, gen.tzsp(nest))
        recs.append(gen.Rec(gen.ms(t), nest))
        t += 1
        cw = []
        for pre in (0, 1, 0x10):
            for hlen in (0, 1, 2, 16, 31):
                cw.append(gen.capwap(gen.tcp4(A, B, 40000, 80, "S"), preamble=pre,
                                     hlen_words=hlen, rmac=MB, tmac=MA, dmac=MB))
        cw.append(gen.capwap(gen.ipv6(A6, B6, 6, gen.tcp(1, 2, "S")), rmac=MB, tmac=MA,
                             dmac=MB)[:-30])
        for pl in tz:
            recs.append(gen.Rec(gen.ms(t), udp_frame(37008, 40000, pl)))
            t += 1
        for pl in cw:
            recs.append(gen.Rec(gen.ms(t), udp_frame(40000, 5247, pl)))
            t += 1
        for port in (37008, 5247, 2152):
            for i in range(300):
                pl = rnd.randbytes(rnd.randrange(80))
                if port == 37008 and i % 2:
                    pl = b"\x01\x00\x00\x01" + pl
                recs.append(gen.Rec(gen.ms(t), udp_frame(port, port, pl)))
                t += 1
        self.modelled("tunnel_garbage.pcap", recs, paths=True)
        self.modelled("tunnel_garbage_nt.pcap", recs, decode_tunnels=False)

    def test_offset_wrap(self):
        """20000 VLAN tags (an 80 kB frame): NFStream's uint16 offset wraps and it may loop
        for ever; streamprobe bounds the walk and ignores the frame. Likewise 20000 MPLS
        labels without a bottom of stack. Not modelled: counted, no crash, no hang."""
        vl = gen.ether(MA, MB, 0x8100, struct.pack(">HH", 5, 0x8100) * 20000 +
                       gen.udp4(A, B, 1, 2))
        mp = gen.ether(MA, MB, 0x8847, struct.pack(">I", 100 << 12) * 20000 +
                       gen.udp4(A, B, 1, 2))
        ok = gen.eth_ip(A, B, gen.udp4(A, B, 40000, 7000, 10))
        path = self.path("wrap.pcap")
        gen.write_pcap(path, [gen.Rec(gen.ms(0), vl), gen.Rec(gen.ms(1), mp),
                              gen.Rec(gen.ms(2), ok)], gen.LT_EN10MB)
        p = run(["--pcap", path, "--csv", self.path("wrap.csv"), "--n-dissections", "0"],
                timeout=60)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(p.acct["received"], 3)
        self.assertGreaterEqual(p.acct["in_flows"], 1)

    # --- time -----------------------------------------------------------------------------

    def test_times_backwards_and_years_ahead(self):
        """Times as libpcap reads them (signed 32-bit seconds and microseconds in a file of
        the machine's byte order) and NFStream adds them (uint64 ms, truncated)."""
        fr = gen.eth_ip(A, B, gen.udp4(A, B, 40000, 7000, 10))
        rf = gen.eth_ip(B, A, gen.udp4(B, A, 7000, 40000, 20))
        y2037, y2100 = 2114380800, 4102444800
        # (seconds, fraction) as written; the fraction is in ns in a nanosecond file
        stamps = [(gen.T0_S, 0), (gen.T0_S + 10, 0), (gen.T0_S - 3600, 0),   # back an hour
                  (gen.T0_S + 20, 999999), (gen.T0_S + 20, 1000000),          # usec 1e6
                  (gen.T0_S + 20, 4000000000),                                 # usec < 0
                  (0, 0), (1, 1),                                              # 1970
                  (y2037, 0), (y2037 + 1, 500000),
                  (y2100, 0), (y2100 + 3600, 0),                               # past 2038
                  (2 ** 32 - 1, 999999), (gen.T0_S + 30, 0)]
        for nsec, swapped in ((False, False), (True, False), (False, True), (True, True)):
            raw, model = [], []
            for i, (sec, frac) in enumerate(stamps):
                f = fr if i % 3 else rf
                raw.append((sec, frac, len(f), len(f), f))
                if swapped:
                    # libpcap's byte swap of a file of the other byte order gives
                    # unsigned values
                    s, u = sec, frac // 1000 if nsec else frac
                else:
                    s = sec - 2 ** 32 if sec >= 2 ** 31 else sec
                    u = frac - 2 ** 32 if frac >= 2 ** 31 else frac
                    u = int(u / 1000) if nsec else u        # C's truncating division
                ms = (s * 1000 + int(u / 1000)) % 2 ** 64
                model.append(gen.Rec(ms * gen.NS_PER_MS, f))
            tag = "%s%s" % ("ns" if nsec else "us", "_be" if swapped else "")
            path = self.path("times_%s.pcap" % tag)
            write_raw_pcap(path, raw, nsec=nsec, big_endian=swapped)
            for idle, active in ((120, 1800), (2 ** 32 - 1, 2 ** 32 - 1)):
                with self.subTest(file=tag, idle=idle, active=active):
                    self.modelled("times_%s_%d.pcap" % (tag, idle), model, raw=path,
                                  paths=not swapped and not nsec, idle_timeout=idle,
                                  active_timeout=active)

    def test_full_table_at_the_end_of_time(self):
        """More flows than --max-flows, stamped 1 ms before 2^64 ms (a native pcap's -1 s
        + 999999 us, which NFStream adds as uint64): the oldest flows still make room,
        whatever their times, and every flow is written once."""
        raw = []
        for i in range(3000):
            a = "10.1.%d.%d" % (i >> 8, i & 255)
            f = gen.eth_ip(a, B, gen.udp4(a, B, 1000, 53, 4))
            raw.append((2 ** 32 - 1, 999999, len(f), len(f), f))
        path = self.path("end_of_time.pcap")
        write_raw_pcap(path, raw)
        for extra in ([], ["--workers", "2"]):
            with self.subTest(extra=extra):
                p = run(["--pcap", path, "--csv", self.path("eot.csv"), "--n-dissections",
                         "0", "--max-flows", "1024"] + extra, timeout=60)
                self.assertEqual(p.returncode, 0, p.err)
                self.assertEqual(p.acct["in_flows"], 3000)
                m = re.search(r"flows: exported=(\d+) evicted_table_full=(\d+)", p.err)
                self.assertEqual(int(m.group(1)), 3000, p.err)
                self.assertGreater(int(m.group(2)), 0, p.err)
                with open(self.path("eot.csv")) as f:
                    rows = f.read().splitlines()[1:]
                self.assertEqual(len(rows), 3000)
                self.assertTrue(all(",18446744073709551615,18446744073709551615,0,1," in r
                                    for r in rows), rows[0])

    # --- bad files ------------------------------------------------------------------------

    def write_good(self, name, n=4):
        fr = gen.eth_ip(A, B, gen.udp4(A, B, 40000, 7000, 100))
        gen.write_pcap(self.path(name), [gen.Rec(gen.ms(i), fr) for i in range(n)],
                       gen.LT_EN10MB)
        with open(self.path(name), "rb") as f:
            return f.read(), len(fr)

    def assert_bad(self, path, message, received=None):
        p = run(["--pcap", path, "--csv", self.path("bad.csv"), "--n-dissections", "0"])
        self.assertEqual(p.returncode, 1, p.err)
        lines = [l for l in p.err.splitlines() if l.startswith("streamprobe:")]
        self.assertTrue(lines, p.err)
        self.assertIn(message, lines[-1])
        self.assertTrue(lines[-1].startswith("streamprobe: "), lines[-1])
        if received is not None:
            self.assertIsNotNone(p.acct, p.err)
            self.assertEqual((p.acct["received"], p.acct["in_flows"]),
                             (received, received))
        return p

    def test_bad_files(self):
        data, n = self.write_good("good4.pcap")
        rec = 16 + n
        cases = [
            ("cut_in_header.pcap", data[:24 + 2 * rec + 7],
             "truncated dump file; tried to read 16 header bytes, only got 7", 2),
            ("cut_in_data.pcap", data[:24 + 2 * rec + 16 + 20],
             "truncated dump file; tried to read %d captured bytes, only got 20" % n, 2),
            ("cut_after_header.pcap", data[:24 + 3 * rec + 16],
             "truncated dump file; tried to read %d captured bytes, only got 0" % n, 3),
            ("empty.pcap", b"", "not a readable pcap/pcapng file", None),
            ("short_header.pcap", data[:10], "not a readable pcap/pcapng file", None),
            ("wrong_magic.pcap", b"\xd4\xc3\xb2\xa0" + data[4:],
             "not a readable pcap/pcapng file (unknown file format)", None),
            ("text.pcap", b"GET / HTTP/1.1\r\n" * 8, "not a readable pcap/pcapng file", None),
        ]
        for name, raw, msg, received in cases:
            with self.subTest(file=name):
                with open(self.path(name), "wb") as f:
                    f.write(raw)
                self.assert_bad(self.path(name), msg, received)
        # compressed captures cut mid-stream: the records decompressed before count
        for name, mod in (("cut.pcap.gz", gzip), ("cut.pcap.xz", lzma)):
            with self.subTest(file=name):
                z = mod.compress(data)
                with open(self.path(name), "wb") as f:
                    f.write(z[:len(z) - 12])
                p = self.assert_bad(self.path(name), "compressed data is truncated")
                self.assertIsNotNone(p.acct, p.err)
        # a bad file between good ones: the others are read, the run fails
        p = run(["--pcap", self.path("good4.pcap"), "--pcap", self.path("cut_in_data.pcap"),
                 "--pcap", self.path("good4.pcap"), "--csv", self.path("mixed.csv"),
                 "--n-dissections", "0"])
        self.assertEqual(p.returncode, 1, p.err)
        self.assertEqual(p.acct["in_flows"], 4 + 2 + 4)
        self.assertIn("streamprobe: error: %s: read error: truncated dump file" %
                      self.path("cut_in_data.pcap"), p.err)
        # the flows of the complete records are written
        run(["--pcap", self.path("cut_in_data.pcap"), "--csv", self.path("cut.csv"),
                 "--n-dissections", "0"])
        with open(self.path("cut.csv")) as f:
            rows = f.read().splitlines()
        self.assertEqual(len(rows), 2, rows)
        self.assertIn(",2,%d," % (2 * n), rows[1])

    def test_mutated_files(self):
        """pcap and pcapng files with 1 to 3 bytes of their file, record and block headers
        replaced (seeded): streamprobe reads what libpcap reads (tcpdump -w), records and
        error alike: the same number of packets, a failed run exactly when libpcap fails,
        said in a `streamprobe:` line."""
        if shutil.which("tcpdump") is None:
            self.skipTest("tcpdump is not installed")
        recs = [gen.Rec(gen.ms(i * 10), gen.eth_ip(A, B, gen.udp4(A, B, 40000 + i % 2, 7000,
                                                               20 + i))) for i in range(6)]
        base = {}
        for kind, write in (("pcap", gen.write_pcap), ("pcapng", gen.write_pcapng)):
            write(self.path("base." + kind), recs, gen.LT_EN10MB)
            with open(self.path("base." + kind), "rb") as f:
                base[kind] = f.read()
        rnd = random.Random(int(os.environ.get("SP_HOSTILE_SEED", "1313")))
        for kind, data in sorted(base.items()):
            heads = list(range(24)) + [o + k for o in range(24, len(data) - 16, 16 + 62)
                                       for k in range(16)]
            for n in range(14):
                b = bytearray(data)
                for _ in range(rnd.randint(1, 3)):
                    pos = rnd.choice(heads) if rnd.random() < 0.7 else rnd.randrange(len(b))
                    b[pos] = rnd.choice((0, 1, 0x7F, 0x80, 0xFF, rnd.randrange(256)))
                path = self.path("mutant%d.%s" % (n, kind))
                with open(path, "wb") as f:
                    f.write(b)
                with self.subTest(file=os.path.basename(path)):
                    kept = self.path("kept.pcap")
                    if os.path.exists(kept):
                        os.unlink(kept)
                    q = subprocess.run(["tcpdump", "-r", path, "-w", kept],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                    p = run(["--pcap", path, "--csv", self.path("mutant.csv"),
                             "--n-dissections", "0"])
                    msg = [l for l in p.err.splitlines() if l.startswith("streamprobe:")]
                    if b"unknown data link type" in q.stderr:
                        # tcpdump's limit, not libpcap's: every packet read is
                        # ignored for its link type
                        self.assertEqual(p.acct["reasons"]["dlt"], p.acct["received"])
                        continue
                    if not os.path.exists(kept):
                        # libpcap cannot open it
                        self.assertEqual(p.returncode, 1, p.err)
                        self.assertIsNone(p.acct, p.err)
                        self.assertIn("not a readable pcap/pcapng file", msg[-1])
                        continue
                    with open(kept, "rb") as f:
                        out = f.read()
                    got, off = 0, 24
                    while off + 16 <= len(out):
                        got += 1
                        off += 16 + struct.unpack_from("<I", out, off + 8)[0]
                    self.assertEqual((p.returncode != 0, p.acct["received"]),
                                     (q.returncode != 0, got), p.err + q.stderr.decode())
                    if p.returncode != 0:
                        self.assertTrue(msg and msg[-1].startswith("streamprobe: error: "),
                                        p.err)

    def pcapng(self, blocks):
        shb = gen._block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
        idb = gen._block(1, struct.pack("<HHI", gen.LT_EN10MB, 0, 262144))
        return shb + idb + b"".join(blocks)

    def epb(self, fr, i):
        ts = (gen.T0_S + i) * 10 ** 6
        return gen._block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(fr),
                                         len(fr)) + fr + b"\0" * ((4 - len(fr) % 4) % 4))

    def test_pcapng_unknown_and_oversized_blocks(self):
        fr = gen.eth_ip(A, B, gen.udp4(A, B, 40000, 7000, 10))
        unknown = gen._block(0x0BADBEEF & 0x7FFFFFFF, b"x" * 20)
        custom = gen._block(0x40000BAD, struct.pack("<I", 32473) + b"copied!!")
        big_unknown = gen._block(0x0BAD, b"\0" * (1 << 20))
        path = self.path("ng_unknown.pcapng")
        with open(path, "wb") as f:
            f.write(self.pcapng([self.epb(fr, 0), unknown, self.epb(fr, 1), custom,
                                 big_unknown, self.epb(fr, 2)]))
        p = run(["--pcap", path, "--csv", self.path("ng.csv"), "--n-dissections", "0"])
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual((p.acct["received"], p.acct["in_flows"]), (3, 3))
        # a block longer than libpcap's limit, one shorter than a block can be, one whose
        # length is not a multiple of 4, and one whose packet is longer than the block
        bad = [
            (struct.pack("<II", 0x0BAD, 64 * 1024 * 1024 + 12) + b"\0" * 100,
             "pcapng block size 67108876 > maximum 16777216"),
            (struct.pack("<II", 0x0BAD, 8) + b"\0" * 100, "block"),
            (struct.pack("<II", 0x0BAD, 13) + b"\0" * 100, "block"),
            (gen._block(6, struct.pack("<IIIII", 0, 0, 0, 5000, 5000) + fr),
             "block of type 6 in pcapng dump file is too short"),
        ]
        for i, (blk, msg) in enumerate(bad):
            with self.subTest(block=i):
                path = self.path("ng_bad%d.pcapng" % i)
                with open(path, "wb") as f:
                    f.write(self.pcapng([self.epb(fr, 0), blk]))
                self.assert_bad(path, msg, 1)

    # --- strings from the wire ------------------------------------------------------------

    def test_hostile_strings(self):
        """SNI, User-Agent and DHCP hostname with quotes, commas, CR, LF, backslashes, NUL
        and invalid UTF-8: each cell as NFStream writes it, and the file read back by the
        pandas reader of docs/csv.md into the right columns."""
        if subprocess.run([DEBIAN_PYTHON, "-c", "import pandas"],
                          stderr=subprocess.DEVNULL).returncode != 0:
            self.skipTest("Debian's python3-pandas is missing (tools/install-deps.sh)")
        recs, want, t = [], [], [0]

        def add(frames):
            for fr in frames:
                recs.append(gen.Rec(gen.ms(t[0]), fr))
                t[0] += 10

        for i, raw in enumerate(HOSTILE_STRINGS):
            c = "10.7.%d.1" % i
            # TLS: what nDPI keeps of the SNI (ndpi_sni()); NFStream's ffi.string() then
            # decode("utf-8", "ignore")
            add(tcp_exchange(c, "10.7.200.1", 41000 + i, 443, [tls_client_hello(raw)]))
            want.append((c, 443, "requested_server_name", nfstream_str(ndpi_sni(raw))))
            # HTTP: nDPI keeps the User-Agent line as sent up to CR LF (a bare LF or CR
            # stays in it)
            req = b"GET / HTTP/1.1\r\nHost: h.example\r\nUser-Agent: " + raw + \
                b"\r\nAccept: */*\r\n\r\n"
            add(tcp_exchange(c, "10.7.200.2", 42000 + i, 80, [req]))
            want.append((c, 80, "user_agent", nfstream_str(raw[:UA_MAX])))
            # DHCP: dhcp.py decodes option 12 with errors="replace" (NUL kept)
            if len(raw) > 255:
                continue                    # more than an option holds
            add([dhcp_request(c, raw)])
            want.append((c, 67, "udps.dhcp_12", raw.decode("utf-8", errors="replace")))
            # ... and nDPI's DHCP dissector keeps its last 79 bytes as sent (NFStream
            # reads them up to a NUL)
            want.append((c, 67, "requested_server_name", nfstream_str(raw[-SNI_MAX:])))
        path = self.path("strings.pcap")
        gen.write_pcap(path, recs, gen.LT_EN10MB)
        out = self.path("strings.csv")
        p = run(["--pcap", path, "--csv", out, "--plugin", "dhcp"])
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(p.acct["in_flows"], len(recs))
        with open(out, "rb") as f:
            data = f.read()
        text = data.decode("utf-8")         # valid UTF-8 whatever the wire held
        table = pandas_read(out)
        header = table["columns"]
        self.assertEqual(header, text[:text.index("\n")].split(","))
        self.assertEqual(table["nan"], 0)
        self.assertEqual(len(table["rows"]), 2 * len(HOSTILE_STRINGS) +
                         sum(len(raw) <= 255 for raw in HOSTILE_STRINGS))
        rows = [dict(zip(header, r)) for r in table["rows"]]
        for src, port, col, cell in want:
            with self.subTest(src=src, column=col):
                got = [r[col] for r in rows if r["src_ip"] == src and r["dst_port"] == str(port)]
                self.assertEqual(got, [cell])
                # written as csv_converter() does: quoted, every '"' as '\\"'
                if cell:
                    self.assertIn(',"%s",' % cell.replace('"', '\\"'), text)
        # --csv-anonymize hashes str(value) as NFStream does: the NUL and the U+FFFD of a
        # DHCP hostname included
        key = bytes(range(64))
        with open(self.path("strings.key"), "wb") as f:
            f.write(key)
        anon = self.path("strings-anon.csv")
        p = run(["--pcap", path, "--csv", anon, "--plugin", "dhcp", "--csv-anonymize",
                 "udps.dhcp_12", "--csv-anonymize-key", self.path("strings.key")])
        self.assertEqual(p.returncode, 0, p.err)
        hashed = [dict(zip(header, r)) for r in pandas_read(anon)["rows"]]
        for src, port, col, cell in want:
            if col == "udps.dhcp_12" and cell:
                with self.subTest(src=src, anonymized=col):
                    got = [r[col] for r in hashed
                           if r["src_ip"] == src and r["dst_port"] == str(port)]
                    self.assertEqual(got, [hashlib.blake2b(cell.encode(), digest_size=64,
                                                           key=key).hexdigest()])


# Strings sent on the wire: quotes, commas, CR, LF, backslashes (one at the end), NUL,
# invalid and truncated UTF-8, valid multi-byte UTF-8 and nothing at all.
HOSTILE_STRINGS = [
    b'a"b,c', b"new\nline, \"q\"", b"cr\rhere", b"nul\x00after", b"bad\xff\xfeutf8",
    b"\xc3\xa9t\xc3\xa9.example", b"cut\xe2\x82", b"back\\slash\\\"", b"\x00", b'"',
    b"ends with a backslash\\", b"x,y\n\"z\"\x00\xff", b"",
    # longer than the fields (nDPI's host_server_name[80], NFStream's user_agent[256]),
    # a two-byte character across the cut
    b"s" * 77 + "\u00e9".encode() + b".example", b"u" * 254 + "\u00e9".encode() + b"tail",
]
SNI_MAX, UA_MAX = 79, 255


def ndpi_sni(raw):
    """The SNI as nDPI 4.2 (tls.c, ndpi_hostname_sni_set()) keeps it: up to a NUL, its
    last 79 bytes (host_server_name[80]), lowercased, every byte outside the printable
    ASCII range as '?'."""
    raw = raw.split(b"\x00")[0][-SNI_MAX:].lower()
    return bytes(c if 0x20 <= c < 0x7f else 0x3f for c in raw)


def nfstream_str(raw):
    """A C string of nDPI's as NFStream reads it: up to the NUL, bad UTF-8 dropped."""
    return raw.split(b"\x00")[0].decode("utf-8", errors="ignore")


def tcp_exchange(c, s, sport, dport, requests):
    """A TCP handshake, then each request from the client answered by an ACK."""
    def pkt(src, dst, sp, dp, fl, pl=b"", seq=1, ack=0):
        return gen.eth_ip(src, dst, gen.ipv4(src, dst, 6, gen.tcp(sp, dp, fl, pl, seq=seq,
                                                                 ack=ack)))
    out = [pkt(c, s, sport, dport, "S", seq=100), pkt(s, c, dport, sport, "SA", seq=500,
                                                      ack=101),
           pkt(c, s, sport, dport, "A", seq=101, ack=501)]
    seq = 101
    for r in requests:
        out.append(pkt(c, s, sport, dport, "PA", r, seq=seq, ack=501))
        seq += len(r)
        out.append(pkt(s, c, dport, sport, "A", seq=501, ack=seq))
    return out


def tls_client_hello(sni):
    def ext(typ, body):
        return struct.pack("!HH", typ, len(body)) + body
    exts = ext(0, struct.pack("!HBH", len(sni) + 3, 0, len(sni)) + sni)
    exts += ext(10, struct.pack("!HHH", 4, 0x001d, 0x0017)) + ext(11, b"\x01\x00")
    body = struct.pack("!H", 0x0303) + bytes(range(1, 33)) + b"\x00"
    body += struct.pack("!HHH", 4, 0x1301, 0x1302)
    body += b"\x01\x00" + struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def dhcp_request(c, hostname):
    """A DHCP REQUEST from c to the server with option 12 (hostname) as given."""
    hdr = bytearray(240)
    hdr[0:4] = b"\x01\x01\x06\x00"
    hdr[4:8] = b"\x12\x34\x56\x78"
    hdr[28:34] = gen.mac_of(c)
    hdr[236:240] = b"\x63\x82\x53\x63"
    opts = bytes([53, 1, 3, 12, len(hostname)]) + hostname + bytes([55, 3, 1, 3, 6, 255])
    return gen.eth_ip(c, "10.7.200.3", gen.ipv4(c, "10.7.200.3", 17, gen.udp(
        68, 67, bytes(hdr) + opts)))


def pandas_read(path):
    """The reader of docs/csv.md ("Reading it with pandas"), run by Debian's python3:
    {"columns", "rows" (each cell as str), "nan"}."""
    with open(os.path.join(ROOT, "docs", "csv.md")) as f:
        doc = f.read()
    reader = doc.split("## Reading it with pandas", 1)[1].split("```python\n", 1)[1]
    reader = reader.split("```", 1)[0]
    code = reader + """
import json, sys
df = read_nfstream_csv(sys.argv[1])
print(json.dumps({"columns": list(df.columns), "nan": int(df.isna().sum().sum()),
                  "rows": [[str(v) for v in r] for r in df.itertuples(index=False)]}))
"""
    p = subprocess.run([DEBIAN_PYTHON, "-c", code, path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    if p.returncode != 0:
        raise AssertionError("the pandas reader of docs/csv.md failed:\n" +
                             p.stderr.decode("utf-8", "replace")[-3000:])
    return json.loads(p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
