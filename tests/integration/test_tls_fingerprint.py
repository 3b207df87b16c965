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

App (no corpus needed: `test_tls_fingerprint.py App`): a bad option is one line naming it, exit
2; tools/sp-bench's plugins section has a tls-fingerprint row, and reads the plugin's own slot
and record bytes from --plugin-info (not nDPI's line, which comes first when DPI is on).
"""
import csv
import hashlib
import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

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


class App(unittest.TestCase):
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
