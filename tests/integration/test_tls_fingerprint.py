#!/usr/bin/env python3
"""--plugin tls-fingerprint through the real app, against FoxIO's own JA4 values.

../shared/corpus/ja4/ (README.md there) holds captures of the FoxIO-LLC/ja4 repository and,
in expected.tsv, for each TLS client hello in them, the four forms FoxIO's reference
implementation computes (ja4, ja4_r, ja4_o, ja4_ro). Each capture is read by streamprobe with
--plugin tls-fingerprint, and every flow's udps.tls_ja4, udps.tls_ja4_r, udps.tls_ja4_o and
udps.tls_ja4_ro must equal the first row of its stream (flows and rows matched by their
unordered endpoint pair: a stream with several client hellos, a hello retried after the
server's HelloRetryRequest, has several rows, the first is the flow's); every such first row
must be found, and no other flow may have a value. Exit 77 (meson: SKIP) without the corpus.

BenchRow (run without the corpus too: `test_tls_fingerprint.py BenchRow`): tools/sp-bench's
plugins section has a tls-fingerprint row, and reads the plugin's own slot and record bytes
from --plugin-info (not nDPI's line, which comes first when DPI is on).
"""
import csv
import importlib.machinery
import importlib.util
import os
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


class BenchRow(unittest.TestCase):
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
            self.assertTrue(4096 < info[0]["slot"] <= 4096 + 64, info[0])
            self.assertEqual(info[0]["columns"], ["udps.tls_" + x for x in FORMS])


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
                            if any(got):
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
    if sys.argv[1:] == ["Corpus"] and not os.path.isfile(os.path.join(JA4, "expected.tsv")):
        print("no JA4 reference set at %s: skipped" % JA4)
        sys.exit(77)
    unittest.main(verbosity=2)
