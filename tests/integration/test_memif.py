#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The live row's machinery (tools/sp-bench, section live): streamprobe --port on a
net_memif server, fed by tools/sp-pktgen as the memif client.

- Paced at a low rate, 64 B frames over 256 flows: no loss at either end, streamprobe
  received exactly what the sender put in the ring, one flow per sender flow.
- Unpaced (the ring always full): the sender's ring_full and streamprobe's received add up
  to what was offered, to the packet; that is how sp-bench reads losses.
- A capture replayed in a loop: its frames arrive whole (bytes counted as sent).

The sender leaves after streamprobe has stopped: DPDK 22.11's memif PMD unmaps the shared
ring when the peer goes, under a polling worker (sp-bench's live_step says more).
Exits 77 (meson: SKIP) when net_memif cannot run here.
"""
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

import sp_accounting

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STREAMPROBE", os.path.join(ROOT, "build", "app", "streamprobe"))
PKTGEN = os.environ.get("SP_PKTGEN", os.path.join(ROOT, "build", "tools", "sp-pktgen"))
RUNDIR = "/var/run/dpdk" if os.getuid() == 0 else os.path.join(
    os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")
# 2^14 slots: at the test's rates, a third of a second of traffic, so that a busy machine
# descheduling the worker cannot make a loss the test would blame on the probe
RSIZE = 14
RESULT = re.compile(r"offered=(\d+) sent=(\d+) ring_full=(\d+) skipped=(\d+) seconds=([\d.]+)")


class Skip(Exception):
    pass


def telemetry(path, cmd):
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(2)
        s.connect(path)
        s.recv(16384)
        s.send(cmd.encode())
        return json.loads(s.recv(1 << 16).decode())[cmd.split(",")[0]]


class Memif(unittest.TestCase):
    runs = 0

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sp-memif-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def live(self, gen_args, gen_seconds):
        """streamprobe --port 0 on a memif server, sp-pktgen on the client for gen_seconds;
        streamprobe stopped once it has every packet sent, then the sender. Returns
        (sender's counters, streamprobe's stderr)."""
        Memif.runs += 1
        sock = os.path.join(self.tmp, "memif%d.sock" % self.runs)
        pre = "spmemif%d_%d" % (os.getpid(), self.runs)
        memif = "net_memif0,socket=%s,socket-abstract=no" % sock
        tel = os.path.join(RUNDIR, pre, "dpdk_telemetry.v2")
        sp = subprocess.Popen([BIN, "--no-huge", "-m", "512", "--no-pci", "-l", "0,1",
                               "--file-prefix=" + pre, "--log-level=*:warning",
                               "--vdev=" + memif + ",role=server", "--", "--port", "0",
                               "--quiet", "--no-csv", "--n-dissections", "0", "--telemetry"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        gen = None
        self.addCleanup(shutil.rmtree, os.path.join(RUNDIR, pre), True)
        self.addCleanup(shutil.rmtree, os.path.join(RUNDIR, pre + "g"), True)
        try:
            t0 = time.monotonic()
            while True:
                try:
                    if "0" in telemetry(tel, "/streamprobe/workers"):
                        break
                except (OSError, KeyError, ValueError):
                    pass
                if sp.poll() is not None:
                    err = sp.communicate()[1]
                    # the EAL has no net_memif driver, or the PMD could not set
                    # the device up (no memfd, no socket): nothing of streamprobe's ran
                    if re.search(r'failed to parse device "net_memif0"|Unable to parse '
                                 r'device .net_memif0|memif.*(Failed|failed) to (create|'
                                 r'setup|open)|Requested device net_memif0 cannot be used',
                                 err):
                        raise Skip("net_memif cannot run here: " + err.strip()[-300:])
                    self.fail("streamprobe --port ended: %s" % err)
                self.assertLess(time.monotonic() - t0, 30, "no worker after 30 s")
                time.sleep(0.02)
            gen = subprocess.Popen([PKTGEN, "--no-huge", "-m", "256", "--no-pci", "-l", "1",
                                    "--file-prefix=%sg" % pre, "--log-level=*:warning",
                                    "--vdev=%s,role=client,rsize=%d" % (memif, RSIZE), "--",
                                    "--seconds", str(gen_seconds), "--linger-ms", "60000"] +
                                   gen_args, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
            line = ""
            for line in gen.stdout:
                if RESULT.search(line):
                    break
            m = RESULT.search(line)
            self.assertIsNotNone(m, "sp-pktgen printed no result: %s" % line)
            got = dict(zip(("offered", "sent", "ring_full", "skipped"),
                           (int(x) for x in m.groups()[:4])))
            t0 = time.monotonic()
            while True:
                stats = telemetry(tel, "/streamprobe/stats")
                if stats["packets"] >= got["sent"]:
                    break
                self.assertLess(time.monotonic() - t0, 10, "streamprobe never got them all")
                time.sleep(0.02)
            got["sp_bytes"] = stats["bytes"]
            sp.send_signal(signal.SIGINT)
            err = sp.communicate(timeout=30)[1]
            self.assertEqual(sp.returncode, 0, err)
            # only now the client goes (the ring is unmapped by the server's stop)
            gen.send_signal(signal.SIGINT)
            gen.communicate(timeout=30)
            self.assertEqual(gen.returncode, 0)
        finally:
            for p in (sp, gen):
                if p is not None and p.poll() is None:
                    p.kill()
                    p.communicate()
        return got, err

    def test_paced_no_loss(self):
        """50 kpps of 64 B frames over 256 flows for 1 s: nothing lost at either end."""
        got, err = self.live(["--rate", "50000", "--size", "64", "--flows", "256"], 1)
        acc = sp_accounting.check_accounting(err)
        self.assertEqual(got["ring_full"], 0, got)
        self.assertEqual(got["offered"], got["sent"])
        # the schedule: 50 k packets due in 1 s, sent or skipped (a busy machine may
        # deschedule the sender; what it skipped it never offered)
        self.assertGreater(got["sent"], 0, got)
        self.assertTrue(49000 <= got["offered"] + got["skipped"] <= 50100, got)
        self.assertEqual(acc["received"], got["sent"], err)
        self.assertEqual(acc["in_flows"], got["sent"], err)
        self.assertEqual(acc["dropped"], 0, err)
        self.assertRegex(err, r"(?m)^dropped: missed=0 nombuf=0 ")
        self.assertRegex(err, r"(?m)^flows: exported=256 ")

    def test_unpaced_losses_add_up(self):
        """As fast as the ring takes them for 0.3 s: the sender finds the ring full, and
        offered = streamprobe's received + the sender's ring_full, exactly."""
        got, err = self.live(["--rate", "0", "--size", "64", "--flows", "4"], 0.3)
        acc = sp_accounting.check_accounting(err)
        self.assertGreater(got["ring_full"], 0, got)
        self.assertEqual(got["offered"], got["sent"] + got["ring_full"])
        self.assertEqual(acc["received"], got["sent"], err)
        self.assertEqual(acc["dropped"], 0, err)
        self.assertRegex(err, r"(?m)^flows: exported=4 ")

    def test_capture_replayed(self):
        """A capture's frames (sizes 60 to 1514 and one of 2000 B, two memif slots) in a
        loop: every frame arrives, with its bytes."""
        path = os.path.join(self.tmp, "sizes.pcap")
        sizes = [60, 64, 128, 512, 1514, 2000]
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for i, n in enumerate(sizes):
                eth = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00"
                ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, n - 14, 0, 0, 64, 17, 0,
                                 bytes([10, 0, 0, i + 1]), bytes([10, 0, 1, 1]))
                udp = struct.pack("!HHHH", 2000 + i, 9, n - 34, 0)
                frame = (eth + ip + udp).ljust(n, b"\0")
                f.write(struct.pack("<IIII", i, 0, n, n) + frame)
        got, err = self.live(["--rate", "20000", "--pcap", path], 0.5)
        acc = sp_accounting.check_accounting(err)
        self.assertEqual(got["ring_full"], 0, got)
        self.assertEqual(acc["received"], got["sent"], err)
        self.assertEqual(acc["dropped"], 0, err)
        self.assertRegex(err, r"(?m)^flows: exported=%d " % len(sizes))
        loops, part = divmod(got["sent"], len(sizes))
        self.assertEqual(got["sp_bytes"], loops * sum(sizes) + sum(sizes[:part]), got)


def main():
    if not os.access(BIN, os.X_OK) or not os.access(PKTGEN, os.X_OK):
        print("streamprobe or sp-pktgen not built (%s, %s)" % (BIN, PKTGEN), file=sys.stderr)
        return 77
    prog = unittest.main(exit=False, argv=sys.argv[:1] + sys.argv[1:])
    res = prog.result
    skips = [e for _, e in res.errors if "Skip: " in e]
    if skips and len(skips) == res.testsRun:
        print("SKIP: " + skips[0].strip().splitlines()[-1], file=sys.stderr)
        return 77
    return 0 if res.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
