#!/usr/bin/env python3
"""Offline results do not depend on the number of workers.

The same captures are run with --workers 1, 2, 3 and 4; every flow and
every value but `id` must be identical. The nine nDPI columns are compared
too on these generated captures; on real traffic nDPI's per-worker caches
may label a few flows differently (README), which the corpus run with
several workers allows for.
"""
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STREAMPROBE", os.path.join(ROOT, "build", "app", "streamprobe"))
SCENARIOS = ["mixed", "active_timeout", "scan_budget", "gtp", "tzsp", "ipip", "vlan",
             "multifile", "truncated", "bpf"]


class WorkerCountIndependence(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(BIN, os.X_OK):
            raise RuntimeError("streamprobe binary not found at %s" % BIN)
        cls.tmp = tempfile.mkdtemp(prefix="sp-workers-")
        cls.pcaps = os.path.join(cls.tmp, "pcaps")
        cmd = [sys.executable, os.path.join(ROOT, "tools", "sp-genpcap.py"), cls.pcaps]
        for s in SCENARIOS:
            cmd += ["--only", s]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_all(self, workers):
        out = os.path.join(self.tmp, "w%d" % workers)
        os.makedirs(out, exist_ok=True)
        for name in sorted(os.listdir(self.pcaps)):
            if not name.endswith(".pcap") or name.startswith(("part", "corrupt", "badmagic",
                                                              "empty")):
                continue
            args = [BIN, "--pcap", os.path.join(self.pcaps, name), "--csv",
                    os.path.join(out, name + ".csv"), "--quiet", "--max-flows", "65536",
                    "--statistical-analysis", "--splt-analysis", "10",
                    "--workers", str(workers)]
            if name == "bpf.pcap":
                args += ["--bpf-filter", "udp"]
            p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual(p.returncode, 0, "%s with %d workers: %s" % (name, workers,
                                                                          p.stderr))
            acc = [l for l in p.stderr.splitlines() if l.startswith("accounting:")]
            self.assertEqual(len(acc), 1, p.stderr)
            if workers > 1:
                self.assertIn("workers:", p.stderr)
        # multifile: both parts through one cache
        p = subprocess.run([BIN, "--pcap", os.path.join(self.pcaps, "part1.pcap"), "--pcap",
                            os.path.join(self.pcaps, "part2.pcap"), "--csv",
                            os.path.join(out, "parts.csv"), "--quiet", "--statistical-analysis",
                            "--workers", str(workers), "--max-flows", "65536"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        return out

    def test_same_flows_for_1_to_4_workers(self):
        ref = self.run_all(1)
        exp = os.path.join(self.tmp, "expected")
        os.makedirs(exp, exist_ok=True)
        for name in os.listdir(ref):
            with open(os.path.join(ref, name), "rb") as f, \
                    gzip.open(os.path.join(exp, name + ".gz"), "wb") as g:
                g.write(f.read())
        for workers in (2, 3, 4):
            out = self.run_all(workers)
            p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "sp-conformance"),
                                "--expected", exp, "--actual", out],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            self.assertEqual(p.returncode, 0, "%d workers differ:\n%s" % (workers, p.stdout))
            self.assertIn("cells equal", p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
