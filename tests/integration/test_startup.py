#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The exit report's start-up figure (docs/startup.md): there, within the run's wall time
as the test's own clock saw it, and counted from the process's start rather than from
main() or the EAL's return: CPU burnt by a library constructor before main() (an
LD_PRELOAD fixture standing for a slow dynamic loader) is inside it. Bounds come from the
test's own clock and the work it injected, never from how fast the machine is."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import sp_accounting

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STREAMPROBE", os.path.join(ROOT, "build", "app", "streamprobe"))
SPIN = os.environ.get("SP_SPIN_CTOR", os.path.join(ROOT, "build", "tests", "sp_spin_ctor.so"))
PARTS_RE = re.compile(r"^streamprobe: start-up (\d+\.\d{3}) s: loader (\d+\.\d{3}), options "
                      r"(\d+\.\d{3}), EAL (\d+\.\d{3}), input (\d+\.\d{3}), filter and "
                      r"exporters (\d+\.\d{3}), workers (\d+\.\d{3}), run (\d+\.\d{3}); "
                      r"nDPI's modules (\d+\.\d{3}) on their thread, waited for "
                      r"(\d+\.\d{3})$", re.M)
TIME_RE = re.compile(r"^time: start-up (\d+\.\d{3}) s, input (\d+\.\d{3}) s "
                     r"\((\d+\.\d{3}) M packets/s\), flush (\d+\.\d{3}) s$", re.M)


class StartUp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(BIN, os.X_OK):
            raise RuntimeError("streamprobe binary not found at %s" % BIN)
        cls.tmp = tempfile.mkdtemp(prefix="sp-startup-")
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "sp-genpcap.py"), cls.tmp,
                        "--only", "mixed"], check=True, stdout=subprocess.DEVNULL)
        cls.pcap = os.path.join(cls.tmp, "mixed.pcap")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_timed(self, extra, env=None):
        """Run on the capture; return (start-up, input, flush) from the report and the
        wall time from just before the spawn to the exit."""
        t0 = time.monotonic()
        p = subprocess.run([BIN, "--pcap", self.pcap, "--quiet"] + extra, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=120)
        wall = time.monotonic() - t0
        self.assertEqual(p.returncode, 0, p.stderr)
        acct = sp_accounting.check_accounting(p.stderr)
        self.assertGreater(acct["in_flows"], 0)
        lines = TIME_RE.findall(p.stderr)
        self.assertEqual(len(lines), 1, p.stderr)
        startup, inp, _, flush = (float(v) for v in lines[0])
        self.parts = PARTS_RE.findall(p.stderr)
        return startup, inp, flush, wall

    def check_plausible(self, startup, inp, flush, wall):
        # the EAL alone sleeps 0.1 s calibrating its clock (docs/startup.md)
        self.assertGreaterEqual(startup, 0.1)
        # the report's three parts follow each other inside the process's life; 2 ms for
        # the three roundings to the printed millisecond
        self.assertLessEqual(startup + inp + flush, wall + 0.002)

    def test_no_csv(self):
        self.check_plausible(*self.run_timed(["--no-csv"]))

    def test_csv(self):
        csv = os.path.join(self.tmp, "out.csv")
        self.check_plausible(*self.run_timed(["--csv", csv]))
        with open(csv) as f:
            self.assertGreater(len(f.readlines()), 1)

    def test_parts(self):
        """--startup-times: one line, its phases adding up to its total, which is the
        report's start-up but for the launch of the workers."""
        startup, inp, flush, wall = self.run_timed(["--no-csv", "--startup-times"])
        self.check_plausible(startup, inp, flush, wall)
        self.assertEqual(len(self.parts), 1)
        v = [float(x) for x in self.parts[0]]
        total, phases, made, waited = v[0], v[1:8], v[8], v[9]
        self.assertAlmostEqual(sum(phases), total, delta=0.004)  # 7 roundings
        self.assertLessEqual(total, startup + 0.001)
        self.assertGreaterEqual(phases[2], 0.1)  # the EAL's calibration sleep
        self.assertGreater(made, 0)  # nDPI on by default: its modules were made ahead
        self.assertLessEqual(waited, made + 0.001)
        # without the option: no such line
        self.run_timed(["--no-csv"])
        self.assertEqual(self.parts, [])

    def test_from_process_start(self):
        """1.5 s of CPU before main(): in the start-up (measured from main() it was not)."""
        if not os.path.exists(SPIN):
            self.skipTest("fixture %s not built" % SPIN)
        env = dict(os.environ, LD_PRELOAD=SPIN, SP_SPIN_CTOR_SECONDS="1.5",
                   # an ASan build wants its runtime first in the list: the fixture
                   # is no memory-checked code
                   ASAN_OPTIONS="verify_asan_link_order=0")
        startup, inp, flush, wall = self.run_timed(["--no-csv", "--startup-times"], env)
        self.assertGreaterEqual(startup, 1.5)
        self.assertGreaterEqual(float(self.parts[0][1]), 1.5)  # the loader's share
        self.check_plausible(startup, inp, flush, wall)


if __name__ == "__main__":
    unittest.main(verbosity=2)
