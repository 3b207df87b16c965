#!/usr/bin/env python3
"""A running streamprobe: telemetry answers while it works, and a signal
mid-run stops it cleanly (every active flow exported, accounting adds up,
files complete). A second signal leaves at once."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import sp_accounting

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STREAMPROBE", os.path.join(ROOT, "build", "app", "streamprobe"))


def accounting(stderr):
    return sp_accounting.check_accounting(stderr)


class Running(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(BIN, os.X_OK):
            raise RuntimeError("streamprobe binary not found at %s" % BIN)
        cls.tmp = tempfile.mkdtemp(prefix="sp-runtime-")
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "sp-genpcap.py"), cls.tmp,
                        "--only", "mixed"], check=True, stdout=subprocess.DEVNULL)
        # A long input: the records of the mixed capture 40 times over in one
        # file (times going back are fine: they are forced monotonic), read
        # 100 times: far more than the test lets it run.
        with open(os.path.join(cls.tmp, "mixed.pcap"), "rb") as f:
            data = f.read()
        cls.big = os.path.join(cls.tmp, "big.pcap")
        with open(cls.big, "wb") as f:
            f.write(data[:24] + data[24:] * 40)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def start(self, extra, csv):
        args = [BIN]
        for _ in range(100):
            args += ["--pcap", self.big]
        args += ["--csv", csv, "--quiet", "--max-flows", "65536"] + extra
        return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def telemetry(self, pid, deadline=20.0):
        path = "/var/run/dpdk/streamprobe%d/dpdk_telemetry.v2" % pid
        t0 = time.monotonic()
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                s.connect(path)
                json.loads(s.recv(16384).decode())
                return s
            except OSError:
                s.close()
                if time.monotonic() - t0 > deadline:
                    raise
                time.sleep(0.05)

    @staticmethod
    def query(s, cmd):
        s.send(cmd.encode())
        return json.loads(s.recv(1 << 16).decode())[cmd]

    def test_telemetry_then_sigint(self):
        csv = os.path.join(self.tmp, "sigint.csv")
        p = self.start(["--telemetry", "--workers", "2", "--performance-report", "1"], csv)
        try:
            s = self.telemetry(p.pid)
            first = self.query(s, "/streamprobe/stats")
            for key in ("packets", "bytes", "in_flows", "flows_active", "flows_created",
                        "flows_exported", "ignored_ipv4_frag", "drop_table_full",
                        "drop_input_lost", "workers"):
                self.assertIn(key, first)
            self.assertEqual(first["workers"], 2)
            t0 = time.monotonic()
            while True:
                later = self.query(s, "/streamprobe/stats")
                if later["packets"] > first["packets"]:
                    break
                self.assertLess(time.monotonic() - t0, 20, "packets do not advance")
                time.sleep(0.05)
            workers = self.query(s, "/streamprobe/workers")
            self.assertEqual(sorted(workers), ["0", "1"])
            self.assertIn("packets", workers["0"])
            s.close()
            time.sleep(1.5)     # at least one performance report
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
        self.assertEqual(p.returncode, 0, err)
        reports = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
        self.assertGreaterEqual(len(reports), 1, out)
        for key in ("flows_expired", "packets_processed", "packets_ignored",
                    "packets_dropped_filtered_by_kernel", "meters_packets_processing_balance"):
            self.assertIn(key, reports[-1])
        self.assertEqual(len(reports[-1]["meters_packets_processing_balance"]), 2)
        acc = accounting(err)
        self.assertEqual(acc["received"], acc["in_flows"] + acc["ignored"] + acc["filtered"]
                         + acc["dropped"])
        self.assertGreater(acc["received"], 0)
        # stopped before the end of the input
        self.assertLess(acc["received"], 100 * 40 * 3716)
        exported = int(err.split("flows: exported=")[1].split()[0])
        self.assertGreater(exported, 0)
        with open(csv) as f:
            lines = f.read().split("\n")
        self.assertEqual(lines[-1], "", "the CSV ends with a complete line")
        rows = lines[1:-1]
        self.assertEqual(len(rows), exported)
        ncols = lines[0].count(",")
        for r in rows[-5:]:
            self.assertGreaterEqual(r.count(","), ncols)

    def test_second_signal_leaves_at_once(self):
        csv = os.path.join(self.tmp, "twice.csv")
        p = self.start(["--telemetry"], csv)
        try:
            self.telemetry(p.pid).close()
            p.send_signal(signal.SIGINT)
            p.send_signal(signal.SIGINT)
            err = p.communicate(timeout=60)[1]
        finally:
            if p.poll() is None:
                p.kill()
        # 0 if the first signal's clean stop won the race, 130 otherwise;
        # never a crash
        self.assertIn(p.returncode, (0, 130))
        sp_accounting.check_run(err, p.returncode == 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
