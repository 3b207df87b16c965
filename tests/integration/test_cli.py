#!/usr/bin/env python3
"""What a new user meets first: option and error messages, refused
combinations, the status line, memory for many workers, the exit codes,
quickstart.sh and `meson install`. Each case was a bug a user hit."""
import json
import os
import pty
import shutil
import subprocess
import sys
import tempfile
import unittest

import sp_accounting

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STREAMPROBE", os.path.join(ROOT, "build", "app", "streamprobe"))
BUILD = os.path.dirname(os.path.dirname(os.path.abspath(BIN)))
REPORT = ("accounting:", "ignored:", "dropped:", "flows:", "workers:", "time:", "ipfix ",
          "replay:")


def run(args, **kw):
    p = subprocess.run([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=kw.pop("timeout", 120), **kw)
    # every run that reports adds up; one reading a capture to the end must report
    sp_accounting.check_run(p.stderr, p.returncode == 0 and "--pcap" in args)
    return p


def accounting(stderr):
    line = [l for l in stderr.splitlines() if l.startswith("accounting:")]
    assert len(line) == 1, stderr
    return {k: int(v) for k, v in (f.split("=") for f in line[0].split()[1:])}


def messages(stderr):
    """The lines that are not the exit report."""
    return [l for l in stderr.splitlines() if l and not l.startswith(REPORT)]


class Cli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sp-cli-")
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "sp-genpcap.py"), cls.tmp,
                        "--only", "mixed", "--only", "tcp_fin_rst"], check=True,
                       stdout=subprocess.DEVNULL)
        cls.pcap = os.path.join(cls.tmp, "mixed.pcap")
        cls.small = os.path.join(cls.tmp, "tcp_fin_rst.pcap")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def usage_error(self, args, *words):
        p = run(args)
        self.assertEqual(p.returncode, 2, p.stderr)
        lines = messages(p.stderr)
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith("streamprobe: "), lines[0])
        for w in words:
            self.assertIn(w, lines[0])
        return lines[0]

    # item 5: memory sized per worker
    def test_ten_workers_default_table(self):
        csv = os.path.join(self.tmp, "w10.csv")
        p = run(["--pcap", self.pcap, "--csv", csv, "--workers", "10", "--quiet"])
        self.assertEqual(p.returncode, 0, p.stderr)
        a = accounting(p.stderr)
        self.assertEqual(a["received"], a["in_flows"] + a["ignored"] + a["filtered"] +
                         a["dropped"])
        one = os.path.join(self.tmp, "w1.csv")
        self.assertEqual(run(["--pcap", self.pcap, "--csv", one, "--quiet"]).returncode, 0)
        with open(csv) as f1, open(one) as f2:
            self.assertEqual(len(f1.readlines()), len(f2.readlines()))

    def test_out_of_memory_says_what_is_needed(self):
        # too little EAL memory for the mbufs, then for the workers
        for mem, what, need in (("60", "streamprobe: mbuf pool", r"mbufs need [0-9.]+ MB"),
                                ("112", "streamprobe: worker", r"each worker needs [0-9.]+ MB")):
            p = run(["--no-huge", "--no-pci", "-m", mem, "--lcores=(0-4)@0",
                     "--file-prefix=spcli%d" % os.getpid(), "--log-level=*:error", "--",
                     "--pcap", self.small, "--csv", os.path.join(self.tmp, "oom.csv"),
                     "--workers", "4", "--quiet"])
            self.assertEqual(p.returncode, 1, p.stderr)
            line = [l for l in messages(p.stderr) if l.startswith(what)]
            self.assertEqual(len(line), 1, p.stderr)
            self.assertRegex(line[0], need)
            self.assertIn("-m", line[0])

    # item 11: messages name the option and the cause
    def test_option_named_not_value(self):
        msg = self.usage_error(["--pcap", self.small, "--ipfix-domain", "-1"], "--ipfix-domain")
        self.assertFalse(msg.startswith("streamprobe: -1"), msg)
        self.usage_error(["--pcap", self.small, "--workers"], "--workers", "missing value")

    def test_ipfix_uri_messages(self):
        self.usage_error(["--pcap", self.small, "--ipfix", "udp://nosuchhost"], "has no port")
        self.usage_error(["--pcap", self.small, "--ipfix", "udp://127.0.0.1"], "has no port")
        self.usage_error(["--pcap", self.small, "--ipfix", "tcp://127.0.0.1:99999"],
                         "not a port")
        self.usage_error(["--pcap", self.small, "--ipfix", "udp://::1:4739"], "brackets")
        p = run(["--pcap", self.small, "--quiet", "--ipfix", "udp://nosuchhost.invalid:4739"])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("does not resolve", p.stderr)

    def test_disk_full_said_when_it_happens(self):
        mnt = os.path.join(self.tmp, "tiny")
        os.mkdir(mnt)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", mnt],
                          stderr=subprocess.DEVNULL).returncode != 0:
            self.skipTest("cannot mount a tmpfs (not root)")
        try:
            p = run(["--pcap", self.pcap, "--csv", os.path.join(mnt, "o.csv"), "--quiet"])
        finally:
            subprocess.run(["umount", mnt])
        self.assertEqual(p.returncode, 1, p.stderr)
        lines = p.stderr.splitlines()
        err = [i for i, l in enumerate(lines) if "No space left on device" in l]
        rep = [i for i, l in enumerate(lines) if l.startswith("accounting:")]
        self.assertEqual(len(err), 1, p.stderr)
        self.assertTrue(lines[err[0]].startswith("streamprobe: error: "), p.stderr)
        self.assertLess(err[0], rep[0], "the error must come before the report")

    # item 12: conflicting or repeated options
    def test_conflicts_refused(self):
        self.usage_error(["--pcap", self.small, "--replay-time", "1", "--replay-loops", "2"],
                         "--replay-loops", "--replay-time")
        self.usage_error(["--pcap", self.small, "--csv", "a.csv", "--csv", "b.csv"],
                         "--csv", "twice")
        self.usage_error(["--pcap", self.small, "--config", "x.ini"], "--config")
        self.usage_error(["--pcap", self.small, "--quiet", "--quiet"], "--quiet", "twice")

    def test_output_is_not_an_input(self):
        copy = os.path.join(self.tmp, "victim.pcap")
        shutil.copy(self.small, copy)
        with open(copy, "rb") as f:
            before = f.read()
        self.usage_error(["--csv", copy, "--pcap", copy], "--csv", "input")
        # the same file by another name
        rel = os.path.relpath(copy)
        self.usage_error(["--pcap", copy, "--ipfix", "file:" + rel], "--ipfix", "input")
        with open(copy, "rb") as f:
            self.assertEqual(f.read(), before)
        out = os.path.join(self.tmp, "same.out")
        self.usage_error(["--pcap", copy, "--csv", out, "--ipfix", "file:" + out], "--ipfix",
                         "--csv")

    # item 13: the status line and the first performance report
    def test_status_line_completed_before_report(self):
        master, slave = pty.openpty()
        p = subprocess.Popen([BIN, "--pcap", self.pcap, "--csv",
                              os.path.join(self.tmp, "pty.csv")],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        self.assertEqual(p.wait(timeout=60), 0)
        text = out.decode()
        sp_accounting.check_accounting(text)
        before, _, _ = text.partition("accounting:")
        self.assertTrue(before.endswith("\n"), repr(before[-200:]))
        last = before.rstrip("\r\n").split("\r")[-1]
        self.assertTrue(last.strip().startswith("100.0%"), repr(last))

    def test_performance_report_consistent(self):
        big = os.path.join(self.tmp, "big.pcap")
        with open(self.pcap, "rb") as f:
            data = f.read()
        with open(big, "wb") as f:
            f.write(data[:24] + data[24:] * 30)
        p = run(["--pcap", big, "--pcap", big, "--csv", os.path.join(self.tmp, "perf.csv"),
                 "--performance-report", "1", "--workers", "2", "--quiet", "--no-read-ahead"])
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
        for r in lines:
            self.assertEqual(r["packets_processed"], sum(r["meters_packets_processing_balance"]),
                             r)

    # item 15: -h, -V, exit codes in --help
    def test_short_help_and_version(self):
        h, lh = run(["-h"]), run(["--help"])
        self.assertEqual((h.returncode, lh.returncode), (0, 0))
        self.assertEqual(h.stdout, lh.stdout)
        self.assertIn("Exit codes:", h.stdout)
        for code in ("  0 ", "  1 ", "  2 ", "  130 "):
            self.assertIn(code, h.stdout)
        v, lv = run(["-V"]), run(["--version"])
        self.assertEqual((v.returncode, v.stdout), (0, lv.stdout))
        self.assertTrue(v.stdout.startswith("streamprobe "))

    def test_man_page_has_every_option(self):
        import re
        opts = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]+", run(["--help"]).stdout))
        with open(os.path.join(ROOT, "docs", "streamprobe.1")) as f:
            man = f.read().replace("\\-", "-").replace("\\fR", "").replace('"', "")
        missing = sorted(o for o in opts if o not in man)
        self.assertEqual(missing, [], "options of --help missing from docs/streamprobe.1")
        self.assertGreater(len(opts), 40)

    def test_meson_install(self):
        dest = os.path.join(self.tmp, "dest")
        p = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--destdir", dest],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.assertEqual(p.returncode, 0, p.stdout)
        intro = json.loads(subprocess.run(["meson", "introspect", BUILD, "--buildoptions"],
                                          stdout=subprocess.PIPE, text=True).stdout)
        opt = {o["name"]: o["value"] for o in intro}
        prefix = dest + opt["prefix"]
        binary = os.path.join(prefix, opt["bindir"], "streamprobe")
        profiles = os.path.join(prefix, opt["datadir"], "streamprobe", "drivers-config")
        for path in (binary, os.path.join(prefix, opt["mandir"], "man1", "streamprobe.1"),
                     os.path.join(profiles, "default.ini"),
                     os.path.join(profiles, "net_af_packet.ini"),
                     os.path.join(prefix, opt["datadir"], "streamprobe", "systemd",
                                  "streamprobe@.service")):
            self.assertTrue(os.path.isfile(path), path)
        self.assertEqual(subprocess.run([binary, "-V"], stdout=subprocess.PIPE,
                                        text=True).stdout, run(["-V"]).stdout)
        man = subprocess.run(["man", "-l", "-P", "cat", os.path.join(
            prefix, opt["mandir"], "man1", "streamprobe.1")], stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, env=dict(os.environ, MANWIDTH="100"))
        if man.returncode == 0:
            self.assertIn("EXIT STATUS", man.stdout)
        # The installed binary reads the installed profiles, not the source
        # tree's: without them it stops and names the installed directory.
        live = [binary, "--no-huge", "--no-pci", "-m", "256", "--vdev=net_null0",
                "--file-prefix=spinst%d" % os.getpid(), "--log-level=*:error", "--", "--port",
                "0", "--csv", os.path.join(self.tmp, "inst.csv"), "--quiet", "--max-nflows", "1"]
        env = {k: v for k, v in os.environ.items() if k != "STREAMPROBE_DRIVERS_CONFIG"}
        moved = profiles + ".away"
        os.rename(profiles, moved)
        try:
            p = subprocess.run(live, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=60, env=env)
        finally:
            os.rename(moved, profiles)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("NIC profiles: ", p.stderr)
        self.assertIn(os.path.realpath(os.path.dirname(profiles)),
                      os.path.realpath(p.stderr.split("NIC profiles: ")[1].split(":")[0]))

    # item 14: quickstart.sh with a relative file, from another directory
    def test_quickstart_relative_file(self):
        env = dict(os.environ, BUILD=BUILD)
        p = subprocess.run([os.path.join(ROOT, "tools", "quickstart.sh"), "tcp_fin_rst.pcap"],
                           cwd=self.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=600, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("quickstart: building", p.stderr)
        # two runs: the core columns, then the hyperscan plugin on the same capture
        runs = p.stderr.split("quickstart: running: ")[1:]
        self.assertEqual(len(runs), 2, p.stderr)
        for r in runs:
            sp_accounting.check_accounting(r)
        self.assertIn("--plugin hyperscan:rules=", runs[1])
        self.assertIn("flows written to", p.stdout)
        self.assertIn("(1 flows)", p.stdout)
        self.assertRegex(p.stdout, r"hyperscan labelled [01] of 1 flows")
        self.assertIn("the binary: ", p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
