#!/usr/bin/env python3
"""--plugin tls-fingerprint through the real app, against FoxIO's own JA4 values.

../shared/corpus/ja4/ (README.md there) holds captures of the FoxIO-LLC/ja4 repository and,
in expected.tsv, for each TLS client hello in them, the four forms FoxIO's reference
implementation computes (ja4, ja4_r, ja4_o, ja4_ro). Each capture is read by streamprobe with
--plugin tls-fingerprint, and every flow's udps.tls_ja4, udps.tls_ja4_r, udps.tls_ja4_o and
udps.tls_ja4_ro must equal the first row of its stream (flows and rows matched by their
unordered endpoint pair: a stream with several client hellos, a hello retried after the
server's HelloRetryRequest, has several rows, the first is the flow's); every such first row
must be found, and no other flow may have a value (but QUIC ones: below). Exit 77 (meson:
SKIP) without the corpus.

Quic: FoxIO's set has no QUIC row, so the QUIC client hellos of its captures ('q': Initial
packets decrypted) are checked against Wireshark's own decryption and dissection: tshark's
fields of each hello (ciphers, extensions, supported versions, ALPN, signature algorithms),
the four forms made from them here as the specification says, equal to the columns of the
flow (exit 77 without tshark or the corpus).

App (no corpus needed: `test_tls_fingerprint.py App`): a capture written here with the
specification's example hello (technical_details/JA4.md: its lists, GREASE values added) sent
in 3 TCP segments out of order, one of them retransmitted, over IPv4 and IPv6, gives the four
forms printed in the specification; a bad option is one line naming it, exit 2; tools/sp-bench's plugins section has a tls-fingerprint row, and reads the plugin's own slot
and record bytes from --plugin-info (not nDPI's line, which comes first when DPI is on).
"""
import csv
import hashlib
import importlib.machinery
import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sp_accounting import check_accounting  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STREAMPROBE", os.path.join(ROOT, "build", "app", "streamprobe"))
CORPUS = os.environ.get("SP_CORPUS") or os.path.join(ROOT, "..", "shared", "corpus")
JA4 = os.path.join(CORPUS, "ja4")
FORMS = ("ja4", "ja4_r", "ja4_o", "ja4_ro")


def end(ip, port):
    return "%s|%s" % (ip, port)


def pair(a, b):
    return tuple(sorted((a, b)))


def expected():
    """{capture: {endpoint pair: (row of the stream's first hello, hellos in the stream)}}"""
    out = {}
    with open(os.path.join(JA4, "expected.tsv"), newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            k = pair(end(r["src"], r["srcport"]), end(r["dst"], r["dstport"]))
            flows = out.setdefault(r["pcap"], {})
            if k in flows:
                flows[k][1] += 1
            else:
                flows[k] = [r, 1]
    return out

# technical_details/JA4.md's example: its lists and its four printed forms
SPEC_CIPHERS = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
                0xc014, 0x009c, 0x009d, 0x002f, 0x0035]
SPEC_EXTS = [0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023,
             0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015]
SPEC_SIGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]
SPEC = ("t13d1516h2_8daaf6152771_e5627efa2ab1",
        "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_"
        "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_"
        "0403,0804,0401,0503,0805,0501,0806,0601",
        "t13d1516h2_acb858a92679_18f69afefd3d",
        "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_"
        "001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_"
        "0403,0804,0401,0503,0805,0501,0806,0601")


def spec_hello():
    """The TLS record of a client hello with the example's lists, and GREASE values."""
    u16 = lambda v: struct.pack("!H", v)
    ext = u16(0x2a2a) + u16(0)
    for t in SPEC_EXTS:
        if t == 0x0000:
            d = u16(14) + b"\x00" + u16(11) + b"example.com"
        elif t == 0x0010:
            d = u16(12) + b"\x02h2\x08http/1.1"
        elif t == 0x000d:
            d = u16(2 * len(SPEC_SIGS) + 2) + u16(0x5a5a) + b"".join(u16(x) for x in SPEC_SIGS)
        elif t == 0x002b:
            d = b"\x06" + u16(0x7a7a) + u16(0x0304) + u16(0x0303)
        else:
            d = b""
        ext += u16(t) + u16(len(d)) + d
    ciphers = [0xdada] + SPEC_CIPHERS
    body = (u16(0x0303) + bytes(range(32)) + b"\x20" + b"\xee" * 32 +
            u16(2 * len(ciphers)) + b"".join(u16(c) for c in ciphers) + b"\x01\x00" +
            u16(len(ext)) + ext)
    msg = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + u16(len(msg)) + msg


def tcp_frame(v6, c2s, seq, ack, flags, payload):
    cli, srv = ((b"\x20\x01" + bytes(13) + b"\x01", b"\x20\x01" + bytes(13) + b"\x02") if v6
                else (bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])))
    src, dst, sp, dp = (cli, srv, 50000, 443) if c2s else (srv, cli, 443, 50000)
    tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    if v6:
        ip = struct.pack("!IHBB", 6 << 28, len(tcp), 6, 64) + src + dst
        et = b"\x86\xdd"
    else:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, src, dst)
        et = b"\x08\x00"
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01" + et + ip + tcp


def write_capture(path):
    """Per IP version, a connection whose hello comes in 3 segments: the last first, then the
    first, the first again (a retransmission), the middle one."""
    frames = []
    hello = spec_hello()
    a, b = len(hello) // 3, 2 * len(hello) // 3
    for v6 in (False, True):
        isn, sisn = 0xfffffe00, 1000     # the client's sequence numbers wrap
        frames += [tcp_frame(v6, True, isn, 0, 0x02, b""),
                   tcp_frame(v6, False, sisn, isn + 1, 0x12, b""),
                   tcp_frame(v6, True, isn + 1, sisn + 1, 0x10, b"")]
        for lo, hi in ((b, len(hello)), (0, a), (0, a), (a, b)):
            frames.append(tcp_frame(v6, True, (isn + 1 + lo) & 0xffffffff, sisn + 1, 0x18,
                                    hello[lo:hi]))
        frames.append(tcp_frame(v6, False, sisn + 1, isn + 1 + len(hello), 0x10, b""))
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)) + fr)


class App(unittest.TestCase):
    def test_segments_out_of_order(self):
        with tempfile.TemporaryDirectory() as tmp:
            cap, out = os.path.join(tmp, "hello.pcap"), os.path.join(tmp, "out.csv")
            write_capture(cap)
            p = subprocess.run([BIN, "--pcap", cap, "--csv", out, "--plugin", "tls-fingerprint"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            check_accounting(p.stderr)
            self.assertRegex(p.stderr, r"plugin tls-fingerprint: client_hellos=2 .*"
                             r"out_of_order_segments=2 retransmitted_segments=2 ")
            with open(out, newline="") as f:
                rows = list(csv.DictReader(f))
            self.assertEqual(sorted(r["ip_version"] for r in rows), ["4", "6"])
            for r in rows:
                self.assertEqual(tuple(r["udps.tls_" + x] for x in FORMS), SPEC)

    def test_option_errors(self):
        for spec, msg in (("max=100", "max='100': want the bytes of client hello kept per flow,"
                           " 512..16384"),
                          ("packets=x", "packets='x': want the packets a flow may take to bring"
                           " its hello, 1..10000"),
                          ("raw=10", "raw='10': want the bytes of the raw forms' columns,"
                           " 64..65535"),
                          ("bogus=1", "unknown option 'bogus' (options: max, packets, raw)")):
            p = subprocess.run([BIN, "--plugin", "tls-fingerprint:" + spec, "--plugin-info"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=60)
            self.assertEqual(p.returncode, 2)
            self.assertEqual(p.stderr, "streamprobe: --plugin tls-fingerprint: %s\n" % msg)

    def test_sp_bench_row(self):
        path = os.path.join(ROOT, "tools", "sp-bench")
        loader = importlib.machinery.SourceFileLoader("sp_bench", path)
        spec = importlib.util.spec_from_loader("sp_bench", loader)
        bench = importlib.util.module_from_spec(spec)
        loader.exec_module(bench)
        self.assertIn(("tls-fingerprint", "tls-fingerprint"), bench.PLUGIN_CANDIDATES)
        for dpi in ([], ["--n-dissections", "0"]):
            p = subprocess.run([BIN, "--plugin", "tls-fingerprint", "--plugin-info"] + dpi,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            info = bench.parse_plugin_info(p.stdout)
            self.assertEqual(len(info), 1, p.stdout)
            self.assertEqual(info[0]["name"], "tls-fingerprint")
            # the reassembly buffer (max=4096 by default) and a few bytes of state
            self.assertTrue(4096 < info[0]["slot"] <= 4096 + 128, info[0])
            self.assertEqual(info[0]["columns"], ["udps.tls_" + x for x in FORMS])


GREASE = {0x0a0a + 0x1010 * i for i in range(16)}
VERSIONS = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
            0x0002: "s2", 0xfeff: "d1", 0xfefd: "d2", 0xfefc: "d3"}


def h12(text):
    return hashlib.sha256(text.encode()).hexdigest()[:12] if text else "000000000000"


def ja4_forms(kind, ciphers, exts, versions, legacy, alpn, sigs, sni):
    """The four forms of technical_details/JA4.md from a hello's lists (GREASE included)."""
    ciphers = [c for c in ciphers if c not in GREASE]
    exts = [e for e in exts if e not in GREASE]
    sigs = [x for x in sigs if x not in GREASE]
    versions = [v for v in versions if v not in GREASE]
    ver = VERSIONS.get(max(versions) if versions else legacy, "00")
    if not alpn:
        al = "00"
    elif alpn[0].isascii() and alpn[0].isalnum() and alpn[-1].isascii() and alpn[-1].isalnum():
        al = alpn[0] + alpn[-1]
    else:
        hx = alpn.encode().hex()
        al = hx[0] + hx[-1]
    a = "%s%s%s%02d%02d%s" % (kind, ver, "d" if sni else "i", min(len(ciphers), 99),
                              min(len(exts), 99), al)
    j = lambda v: ",".join("%04x" % x for x in v)
    sig = ("_" + j(sigs)) if sigs else ""
    srt = j(sorted(e for e in exts if e not in (0x0000, 0x0010))) + sig
    org = j(exts) + sig
    zero_c = not srt
    return (a + "_" + h12(j(sorted(ciphers))) + "_" + ("000000000000" if zero_c else h12(srt)),
            a + "_" + j(sorted(ciphers)) + "_" + srt,
            a + "_" + h12(j(ciphers)) + "_" + ("000000000000" if zero_c else h12(org)),
            a + "_" + j(ciphers) + "_" + org)


class Quic(unittest.TestCase):
    FIELDS = ("udp.srcport", "udp.dstport", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst",
              "tls.handshake.ciphersuite", "tls.handshake.extension.type",
              "tls.handshake.extensions.supported_version", "tls.handshake.version",
              "tls.handshake.extensions_alpn_str", "tls.handshake.sig_hash_alg")

    def test_quic_hellos(self):
        self.assertIsNotNone(shutil.which("tshark"), "the Quic test needs tshark")
        checked = 0
        bad = []
        with tempfile.TemporaryDirectory() as tmp:
            for cap in sorted(os.listdir(os.path.join(JA4, "pcaps"))):
                path = os.path.join(JA4, "pcaps", cap)
                out = os.path.join(tmp, cap + ".csv")
                p = subprocess.run([BIN, "--pcap", path, "--csv", out, "--plugin",
                                    "tls-fingerprint", "--n-dissections", "0"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   timeout=120)
                self.assertEqual(p.returncode, 0, p.stderr)
                check_accounting(p.stderr)
                with open(out, newline="") as f:
                    rows = list(csv.DictReader(f))
                # tshark reads the captures with UDP flows on port 443 (seconds, not a minute)
                if not any(r["protocol"] == "17" and "443" in (r["src_port"], r["dst_port"])
                           for r in rows):
                    continue
                cmd = ["tshark", "-n", "-r", path, "-Y", "quic && tls.handshake.type == 1",
                       "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
                       "-E", "separator=/t"]
                for f in self.FIELDS:
                    cmd += ["-e", f]
                t = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   text=True, timeout=120)
                want = {}
                for line in t.stdout.splitlines():
                    c = line.split("\t")
                    num = lambda v: [int(x, 0) for x in v.split(",") if x]
                    exts = num(c[7])
                    # tshark lists delegated_credentials' algorithms with the hello's own
                    self.assertNotIn(0x0022, exts)
                    k = pair(end(c[2] or c[3], c[0]), end(c[4] or c[5], c[1]))
                    if k in want:
                        continue    # a stream's later hello: the flow's is its first
                    want[k] = ja4_forms("q", num(c[6]), exts, num(c[8]), num(c[9])[0],
                                        c[10].split(",")[0], num(c[11]), 0x0000 in exts)
                for r in rows:
                    k = pair(end(r["src_ip"], r["src_port"]), end(r["dst_ip"], r["dst_port"]))
                    if r["protocol"] != "17" or k not in want:
                        continue
                    got = tuple(r["udps.tls_" + x] for x in FORMS)
                    if got == want.pop(k):
                        checked += 1
                    else:
                        bad.append("%s %s: %s" % (cap, k, got))
                bad += ["%s %s: no flow with the hello" % (cap, k) for k in want]
        print("\n  tls-fingerprint: %d QUIC client hellos equal the forms from tshark's"
              " dissection" % checked, file=sys.stderr)
        self.assertEqual(bad, [])
        self.assertGreaterEqual(checked, 3)


class Corpus(unittest.TestCase):
    def test_foxio_values(self):
        exp = expected()
        self.assertGreater(sum(len(v) for v in exp.values()), 100)
        matched = hellos = later = 0
        bad = []
        with tempfile.TemporaryDirectory() as tmp:
            for cap in sorted(os.listdir(os.path.join(JA4, "pcaps"))):
                out = os.path.join(tmp, cap + ".csv")
                p = subprocess.run([BIN, "--pcap", os.path.join(JA4, "pcaps", cap), "--csv", out,
                                    "--plugin", "tls-fingerprint", "--n-dissections", "0"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   timeout=120)
                self.assertEqual(p.returncode, 0, "%s: %s" % (cap, p.stderr))
                check_accounting(p.stderr)
                want = exp.get(cap, {})
                seen = set()
                with open(out, newline="") as f:
                    for r in csv.DictReader(f):
                        k = pair(end(r["src_ip"], r["src_port"]), end(r["dst_ip"], r["dst_port"]))
                        got = tuple(r["udps.tls_" + x] for x in FORMS)
                        if k not in want or r["protocol"] != "6":
                            # FoxIO's set has no QUIC hello: those are the Quic test's
                            if any(got) and not got[0].startswith("q"):
                                bad.append("%s %s: %s on a flow without a hello in FoxIO's"
                                           " values" % (cap, k, got[0]))
                            continue
                        if k in seen:
                            # the same endpoints again (a new flow after a timeout): no hello
                            continue
                        seen.add(k)
                        row, n = want[k]
                        ref = tuple(row[x] for x in FORMS)
                        if got == ref:
                            matched += 1
                        else:
                            bad.append("%s %s:\n    ours   %s\n    FoxIO  %s" % (cap, k, got, ref))
                for k, (row, n) in want.items():
                    hellos += n
                    later += n - 1
                    if k not in seen:
                        bad.append("%s %s: no flow (FoxIO: %s)" % (cap, k, row["ja4"]))
        print("\n  tls-fingerprint: %d of %d streams' first client hellos equal FoxIO's four forms"
              " (%d hellos in expected.tsv, %d of them a stream's second hello)"
              % (matched, sum(len(v) for v in exp.values()), hellos, later), file=sys.stderr)
        self.assertEqual(bad, [])
        self.assertEqual(matched, sum(len(v) for v in exp.values()))


if __name__ == "__main__":
    if (sys.argv[1:2] in (["Corpus"], ["Quic"]) and
            not os.path.isfile(os.path.join(JA4, "expected.tsv"))):
        print("no JA4 reference set at %s: skipped" % JA4)
        sys.exit(77)
    if sys.argv[1:2] == ["Quic"] and shutil.which("tshark") is None:
        print("no tshark (Debian's tshark): skipped")
        sys.exit(77)
    unittest.main(verbosity=2)
