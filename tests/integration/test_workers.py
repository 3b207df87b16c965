#!/usr/bin/env python3
"""Offline results do not depend on the number of workers or on the input path.

The same captures are run with --workers 1, 2, 3 and 4, with --dispatch (one
worker fed by the main lcore), through the pcap PMD (--pcap-pmd) rather than
the own reader, and replayed from memory (--replay-loops 1);
every flow and every value but `id` must be identical. The nine nDPI columns are compared
too on these generated captures; on real traffic nDPI's per-worker caches
may label a few flows differently (README), which the corpus run with
several workers allows for.
"""
import gzip
import os
import re
import struct
import shutil
import subprocess
import sys
import tempfile
import unittest

import sp_accounting

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

    def run_all(self, workers, extra=(), tag=""):
        out = os.path.join(self.tmp, "w%d%s" % (workers, tag))
        os.makedirs(out, exist_ok=True)
        for name in sorted(os.listdir(self.pcaps)):
            if not name.endswith(".pcap") or name.startswith(("part", "corrupt", "badmagic",
                                                              "empty")):
                continue
            args = [BIN, "--pcap", os.path.join(self.pcaps, name), "--csv",
                    os.path.join(out, name + ".csv"), "--quiet", "--max-flows", "65536",
                    "--statistical-analysis", "--splt-analysis", "10",
                    "--workers", str(workers)] + list(extra)
            if name == "bpf.pcap":
                args += ["--bpf-filter", "udp"]
            p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual(p.returncode, 0, "%s with %d workers: %s" % (name, workers,
                                                                          p.stderr))
            sp_accounting.check_accounting(p.stderr)
            if workers > 1:
                self.assertIn("workers:", p.stderr)
        # multifile: both parts through one cache
        p = subprocess.run([BIN, "--pcap", os.path.join(self.pcaps, "part1.pcap"), "--pcap",
                            os.path.join(self.pcaps, "part2.pcap"), "--csv",
                            os.path.join(out, "parts.csv"), "--quiet", "--statistical-analysis",
                            "--workers", str(workers), "--max-flows", "65536"] + list(extra),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        sp_accounting.check_accounting(p.stderr)
        return out

    def test_same_flows_for_1_to_4_workers(self):
        ref = self.run_all(1)
        exp = os.path.join(self.tmp, "expected")
        os.makedirs(exp, exist_ok=True)
        for name in os.listdir(ref):
            with open(os.path.join(ref, name), "rb") as f, \
                    gzip.open(os.path.join(exp, name + ".gz"), "wb") as g:
                g.write(f.read())
        runs = [(2, (), ""), (3, (), ""), (4, (), ""), (1, ("--dispatch",), "d"),
                (1, ("--pcap-pmd",), "p"), (2, ("--pcap-pmd",), "p"),
                (1, ("--replay-loops", "1"), "r"), (2, ("--replay-loops", "1"), "r")]
        for workers, extra, tag in runs:
            out = self.run_all(workers, extra, tag)
            p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "sp-conformance"),
                                "--expected", exp, "--actual", out],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            self.assertEqual(p.returncode, 0, "%d workers %s differ:\n%s"
                             % (workers, " ".join(extra), p.stdout))
            self.assertIn("cells equal", p.stdout)

    def test_replay_passes_are_new_flows(self):
        """--replay-loops 3: every flow of the capture three times, the same but for
        its times (each pass later by the capture's span + the idle timeout)."""
        pcap = os.path.join(self.pcaps, "mixed.pcap")
        rows = {}
        for loops in ("1", "3"):
            csv_path = os.path.join(self.tmp, "loops%s.csv" % loops)
            p = subprocess.run([BIN, "--pcap", pcap, "--csv", csv_path, "--quiet",
                                "--replay-loops", loops],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            sp_accounting.check_accounting(p.stderr)
            self.assertRegex(p.stderr, r"replay: loaded \d+ packets .* %s complete passes"
                             % loops)
            with open(csv_path) as f:
                lines = f.read().splitlines()
            head = lines[0].split(",")
            keep = [i for i, c in enumerate(head)
                    if c != "id" and not c.endswith(("first_seen_ms", "last_seen_ms"))]
            rows[loops] = sorted(",".join(l.split(",")[i] for i in keep) for l in lines[1:])
        self.assertGreater(len(rows["1"]), 0)
        self.assertEqual(rows["3"], sorted(rows["1"] * 3))


def write_pcap(path, packets):
    """packets: (ts_us, frame bytes) in order; Ethernet link type."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for ts, frame in packets:
            f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(frame), len(frame)))
            f.write(frame)


def udp_frame(src, sport, dst, dport):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0, bytes(src), bytes(dst))
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + struct.pack("!HHHH", sport, dport,
                                                                      8, 0)


class DispatchUnderExportPressure(unittest.TestCase):
    """Flows ending by the thousand while packets keep coming: the workers
    wait for their export rings, the dispatching lcore waits for the workers'
    RX rings, and must drain the export rings meanwhile (it once deadlocked)."""

    def test_no_deadlock(self):
        tmp = tempfile.mkdtemp(prefix="sp-pressure-")
        try:
            pkts = [(1000000 + i * 20, udp_frame((10, 0, i >> 8, i & 255), 1000 + (i % 50000),
                                                  (10, 1, 0, 1), 53)) for i in range(30000)]
            late = udp_frame((10, 9, 9, 9), 9, (10, 1, 0, 1), 53)
            pkts += [(200000000 + i * 10000, late) for i in range(6000)]
            pcap = os.path.join(tmp, "pressure.pcap")
            write_pcap(pcap, pkts)
            for extra in (["--dispatch"], ["--workers", "2"]):
                p = subprocess.run([BIN, "--pcap", pcap, "--quiet", "--csv",
                                    os.path.join(tmp, "out.csv")] + extra,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   timeout=120)
                self.assertEqual(p.returncode, 0, p.stderr)
                sp_accounting.check_accounting(p.stderr)
                self.assertIn("accounting: received=36000 in_flows=36000 ", p.stderr)
                self.assertIn("flows: exported=30001 ", p.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class ReplayClock(unittest.TestCase):
    """A capture whose times lie far apart (a pcapng interface in microseconds,
    one record at 1 us, one at 2^64 - 2 us: 584,542 years) fits about a
    thousand replay passes in the 64-bit millisecond clock. The replay stops
    there with a warning; it went on before, its times wrapped back, every
    later packet was held at the last time by the monotonic forcing, and the
    two flows were never ended nor created again (a 10-minute soak on the
    corpus stopped creating flows after 7 minutes)."""

    def test_replay_stops_at_the_end_of_the_clock(self):
        tmp = tempfile.mkdtemp(prefix="sp-clock-")
        self.addCleanup(shutil.rmtree, tmp, True)
        out = [ng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)),
               # if_tsresol 6 (us)
               ng_block(1, struct.pack("<HHI", 1, 0, 262144) +
                        struct.pack("<HHB3x", 9, 1, 6) + struct.pack("<HH", 0, 0))]
        for ts, (src, dst) in ((1, ((10, 0, 0, 1), (10, 0, 0, 2))),
                               ((1 << 64) - 2, ((10, 0, 0, 3), (10, 0, 0, 4)))):
            frame = udp_frame(src, 1000, dst, 53)
            pad = b"\x00" * ((4 - len(frame) % 4) % 4)
            out.append(ng_block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF,
                                               len(frame), len(frame)) + frame + pad))
        path = os.path.join(tmp, "far.pcapng")
        with open(path, "wb") as f:
            f.write(b"".join(out))
        csv_path = os.path.join(tmp, "far.csv")
        p = subprocess.run([BIN, "--pcap", path, "--csv", csv_path, "--quiet",
                            "--replay-loops", "3000"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        passes = int(re.search(r"(\d+) complete passes", p.stderr).group(1))
        exported = int(re.search(r"flows: exported=(\d+)", p.stderr).group(1))
        # each pass: its two flows, new
        self.assertEqual(exported, 2 * passes, p.stderr)
        # 2^64 ms over (2^64 us / 1000 + the idle timeout) per pass
        self.assertTrue(990 <= passes <= 1000, p.stderr)
        self.assertIn("streamprobe: warning: the replay stopped after %d passes: " % passes,
                      p.stderr)
        with open(csv_path) as f:
            self.assertEqual(len(f.read().splitlines()), 1 + exported)


def ng_block(btype, body):
    body += b"\x00" * ((4 - len(body) % 4) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


if __name__ == "__main__":
    unittest.main(verbosity=2)
