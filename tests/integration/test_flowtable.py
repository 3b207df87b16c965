#!/usr/bin/env python3
"""Reading files, the flow table grows with the flows: no capacity default changes a file's
records. Only past --max-memory are flows ended early, counted, with one warning naming it.

The capture (tools/sp-genflows.py) holds 20,000 flows alive at once, then 5,000 second
requests of the first ones. A growing table starts with 4,096 buckets, so this run doubles them
three times (4,096 -> 32,768; tests/unit/test_flow.c checks the rehash itself); its CSV must be
byte for byte the one a fixed --max-flows large enough for every flow gives."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STREAMPROBE", os.path.join(ROOT, "build", "app", "streamprobe"))
FLOWS = 20000
TAIL = 5000


def accounting(stderr):
    line = [l for l in stderr.splitlines() if l.startswith("accounting:")]
    assert len(line) == 1, stderr
    a = {k: int(v) for k, v in (f.split("=") for f in line[0].split()[1:])}
    assert a["received"] == a["in_flows"] + a["ignored"] + a["filtered"] + a["dropped"], line
    return a


def flows_line(stderr):
    line = [l for l in stderr.splitlines() if l.startswith("flows:")]
    assert len(line) == 1, stderr
    return {k: int(v) for k, v in (f.split("=") for f in line[0].split()[1:])}


class FlowTable(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(BIN, os.X_OK):
            raise RuntimeError("streamprobe binary not found at %s" % BIN)
        cls.tmp = tempfile.mkdtemp(prefix="sp-flowtable-")
        cls.pcap = os.path.join(cls.tmp, "flows.pcap")
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "sp-genflows.py"), cls.pcap,
                        "--flows", str(FLOWS), "--tail", str(TAIL)], check=True,
                       stdout=subprocess.DEVNULL)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_sp(self, name, *extra):
        csv = os.path.join(self.tmp, name + ".csv")
        p = subprocess.run([BIN, "--pcap", self.pcap, "--csv", csv, "--quiet"] + list(extra),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        accounting(p.stderr)
        with open(csv, "rb") as f:
            return f.read(), p.stderr

    def test_defaults_equal_a_large_fixed_table(self):
        for workers in ("1", "2"):
            with self.subTest(workers=workers):
                grown, err = self.run_sp("grown" + workers, "--workers", workers)
                self.assertEqual(flows_line(err)["evicted_table_full"], 0, err)
                self.assertNotIn("warning", err)
                self.assertEqual(grown.count(b"\n"), 1 + FLOWS, err)
                fixed, err = self.run_sp("fixed" + workers, "--workers", workers,
                                         "--max-flows", "65536")
                self.assertEqual(flows_line(err)["evicted_table_full"], 0, err)
                self.assertEqual(self.same(grown, workers), self.same(fixed, workers))
                # the limit is what matters, not a capacity: 64 MiB hold every flow
                small, err = self.run_sp("small" + workers, "--workers", workers,
                                         "--max-memory", "64M")
                self.assertEqual(flows_line(err)["evicted_table_full"], 0, err)
                self.assertEqual(self.same(grown, workers), self.same(small, workers))

    @staticmethod
    def same(csv, workers):
        """One worker: the CSV as it is. Several: the workers' records interleave as they
        come, so the rows without their id (the export order), sorted."""
        if workers == "1":
            return csv
        return sorted(l.split(b",", 1)[1] for l in csv.splitlines())

    def test_past_the_limit(self):
        # 4 MiB hold a few thousand flows (nDPI's state is most of a flow's bytes)
        _, err = self.run_sp("limited", "--max-memory", "4M")
        warn = [l for l in err.splitlines() if "warning" in l]
        self.assertEqual(len(warn), 1, err)
        self.assertTrue(warn[0].startswith("streamprobe: warning: "), warn)
        self.assertIn("--max-memory", warn[0])
        cap = int(re.search(r"(\d+) flows per worker", warn[0]).group(1))
        self.assertLess(cap, FLOWS)
        f = flows_line(err)
        # every flow beyond the capacity evicted the oldest one; the tail's
        # requests find their flows evicted and start new ones
        self.assertEqual(f["exported"], FLOWS + TAIL, err)
        self.assertEqual(f["evicted_table_full"], FLOWS + TAIL - cap, err)
        # the same with an explicit --max-flows: the warning names it
        _, err = self.run_sp("capped", "--max-flows", "1000")
        warn = [l for l in err.splitlines() if "warning" in l]
        self.assertEqual(len(warn), 1, err)
        self.assertIn("--max-flows 1000", warn[0])
        self.assertEqual(flows_line(err)["evicted_table_full"], FLOWS + TAIL - 1000, err)

    def test_bad_max_memory(self):
        for args, text in ((["--max-memory", "12Q"], "--max-memory: '12Q'"),
                           (["--max-memory", "1K"], "--max-memory: '1K'"),
                           (["--max-memory", "1G", "--max-flows", "4096"],
                            "--max-flows and --max-memory exclude each other")):
            p = subprocess.run([BIN, "--pcap", self.pcap, "--no-csv"] + args,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=60)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertTrue(p.stderr.startswith("streamprobe: " + text), p.stderr)


if __name__ == "__main__":
    unittest.main()
