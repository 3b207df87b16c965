#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Self-test of tools/sp-conformance on tiny hand-made expected/actual trees.

Run: python3 tests/integration/test_conformance_tool.py
"""

import gzip
import json
import os
import subprocess
import sys
import tempfile
import unittest

TOOL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools",
                    "sp-conformance")

HEADER = ("id,expiration_id,src_ip,src_port,dst_ip,dst_port,protocol,vlan_id,tunnel_id,"
          "bidirectional_first_seen_ms,bidirectional_packets,bidirectional_mean_ps,"
          "application_name,user_agent")


def row(fid, src, sport, dst, dport, first, pkts, mean="60.0", app="DNS", ua=""):
    return '%d,0,"%s",%d,"%s",%d,17,0,0,%d,%d,%s,"%s","%s"' % (
        fid, src, sport, dst, dport, first, pkts, mean, app, ua)


A = row(0, "10.0.0.1", 1000, "10.0.0.2", 53, 1000, 2)
B = row(1, "10.0.0.3", 1001, "10.0.0.2", 53, 1001, 4, "61.5")
C = row(2, "fe80::1", 5353, "ff02::fb", 5353, 1002, 1, "1e-05")
# Two flows with the same key (same endpoints and first-seen time): only the
# packet count tells them apart.
D1 = row(0, "10.0.0.1", 7, "10.0.0.2", 8, 5000, 3)
D2 = row(1, "10.0.0.1", 7, "10.0.0.2", 8, 5000, 9)
# Quoted text with a comma, a newline, escaped quotes and a trailing backslash.
Q = row(0, "10.0.0.9", 80, "10.0.0.8", 4242, 7000, 5, app="HTTP",
        ua='Mozilla \\"x\\", y\nz \\')


def write(path, lines, gz=False):
    data = "".join(line + "\n" for line in lines).encode()
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)


def reid(line, fid):
    return str(fid) + line[line.index(","):]


class ConformanceToolTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.exp = os.path.join(self.tmp.name, "expected")
        self.act = os.path.join(self.tmp.name, "actual")
        os.mkdir(self.exp)
        os.mkdir(self.act)

    def tearDown(self):
        self.tmp.cleanup()

    def run_tool(self, *extra):
        js = os.path.join(self.tmp.name, "summary.json")
        p = subprocess.run([sys.executable, TOOL, "--expected", self.exp, "--actual", self.act,
                            "--json", js] + list(extra),
                           capture_output=True, text=True, timeout=60)
        summary = None
        if os.path.exists(js):
            with open(js) as f:
                summary = json.load(f)
            os.unlink(js)
        return p, summary

    def good_tree(self):
        write(os.path.join(self.exp, "a.pcap.csv.gz"), [HEADER, A, B, C], gz=True)
        # Reordered, with other ids: ids are not compared, order does not matter.
        write(os.path.join(self.act, "a.pcap.csv"),
              [HEADER, reid(C, 0), reid(A, 1), reid(B, 2)])
        write(os.path.join(self.exp, "dup.pcap.csv.gz"), [HEADER, D1, D2], gz=True)
        write(os.path.join(self.act, "dup.pcap.csv"), [HEADER, reid(D2, 0), reid(D1, 1)])
        write(os.path.join(self.exp, "quoted.pcap.csv.gz"), [HEADER, Q], gz=True)
        write(os.path.join(self.act, "quoted.pcap.csv"), [HEADER, Q])
        # No flow: an empty expected file and a header-only actual one.
        write(os.path.join(self.exp, "none.pcap.csv.gz"), [], gz=True)
        write(os.path.join(self.act, "none.pcap.csv"), [HEADER])

    def test_all_equal(self):
        self.good_tree()
        p, s = self.run_tool()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(s["pcaps"], 4)
        self.assertEqual(s["flows_expected"], 6)
        self.assertEqual(s["flows_matched"], 6)
        self.assertEqual(s["flows_missing"], 0)
        self.assertEqual(s["flows_extra"], 0)
        # 13 compared columns (all but id) per matched flow.
        self.assertEqual(s["cells_compared"], 6 * 13)
        self.assertEqual(s["cells_equal"], 6 * 13)
        self.assertIn("flows matched:  6 (100.00%)", p.stdout)
        self.assertIn("cells equal:    78 (100.0000%)", p.stdout)

    def test_mismatch_missing_extra(self):
        self.good_tree()
        # One cell differs.
        write(os.path.join(self.exp, "m.pcap.csv.gz"), [HEADER, A, B], gz=True)
        write(os.path.join(self.act, "m.pcap.csv"),
              [HEADER, A, B.replace(",61.5,", ",61.50000000000001,")])
        # One flow missing.
        write(os.path.join(self.exp, "miss.pcap.csv.gz"), [HEADER, A, C], gz=True)
        write(os.path.join(self.act, "miss.pcap.csv"), [HEADER, C])
        # One flow extra, for a pcap whose expected file does not exist.
        write(os.path.join(self.act, "extra.pcap.csv"), [HEADER, B])
        p, s = self.run_tool()
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(s["pcaps"], 7)
        self.assertEqual(s["pcaps_with_differences"], 3)
        self.assertEqual(s["flows_expected"], 10)
        self.assertEqual(s["flows_matched"], 9)
        self.assertEqual(s["flows_missing"], 1)
        self.assertEqual(s["flows_extra"], 1)
        self.assertEqual(s["cells_compared"], 9 * 13)
        self.assertEqual(s["cells_equal"], 9 * 13 - 1)
        self.assertEqual(s["column_mismatches"], {"bidirectional_mean_ps": 1})
        self.assertEqual(s["per_pcap"]["miss.pcap"]["missing"], 1)
        self.assertEqual(s["per_pcap"]["extra.pcap"]["extra"], 1)
        self.assertIn("m.pcap: flows expected 2, matched 2, missing 0, extra 0; "
                      "cells 25/26 equal", p.stdout)
        self.assertIn("bidirectional_mean_ps: 1 mismatches (e.g. m.pcap id 1: expected 61.5, "
                      "actual 61.50000000000001)", p.stdout)
        self.assertFalse([l for l in p.stdout.splitlines() if l.startswith(("a.pcap:", "dup."))])

    def test_ignore_app_columns(self):
        write(os.path.join(self.exp, "a.pcap.csv.gz"), [HEADER, A, Q], gz=True)
        write(os.path.join(self.act, "a.pcap.csv"),
              [HEADER, A.replace('"DNS"', '"Unknown"'), Q.replace("Mozilla", "Opera")])
        p, s = self.run_tool()
        self.assertEqual(p.returncode, 1)
        self.assertEqual(s["column_mismatches"], {"application_name": 1, "user_agent": 1})
        p, s = self.run_tool("--ignore-columns", "app")
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertEqual(s["cells_compared"], 2 * 11)
        self.assertEqual(s["cells_equal"], 2 * 11)

    def test_header_difference_fails(self):
        write(os.path.join(self.exp, "a.pcap.csv.gz"), [HEADER, A], gz=True)
        cut = HEADER.replace(",user_agent", "")
        write(os.path.join(self.act, "a.pcap.csv"), [cut, A[:A.rindex(",")]])
        p, s = self.run_tool()
        self.assertEqual(p.returncode, 1)
        self.assertEqual(s["header_diffs"], 1)
        self.assertEqual(s["flows_matched"], 1)
        self.assertEqual(s["cells_equal"], 12)
        self.assertIn("columns absent: user_agent", p.stdout)

    def test_usage_errors(self):
        p = subprocess.run([sys.executable, TOOL], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2)
        p = subprocess.run([sys.executable, TOOL, "--expected", self.exp, "--actual",
                            os.path.join(self.tmp.name, "nope")],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2)
        p = subprocess.run([sys.executable, TOOL, "--expected", self.exp, "--actual", self.act,
                            "--report", "x"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2)

    def test_empty_trees(self):
        p, s = self.run_tool()
        self.assertEqual(p.returncode, 0)
        self.assertEqual(s["pcaps"], 0)
        self.assertEqual(s["flows_expected"], 0)


if __name__ == "__main__":
    unittest.main()
