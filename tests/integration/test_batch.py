#!/usr/bin/env python3
"""Batch mode (--pcap-dir / --out-dir): one output per capture, each byte for byte what a run of
its own writes (`streamprobe --pcap F --csv OUT` with the same options).

- generated captures (tools/sp-genpcap.py), a corrupt, a truncated and a not-a-capture file
  among them, with 1 and 2 workers: every CSV identical to the separate run's, the unreadable
  captures named once each with no output, the exit code 1 and the accounting per capture and
  in total holding;
- --max-nflows per capture, --csv-anonymize with a key;
- an empty directory, the out-dir checks (an existing output without --overwrite, two captures
  of one name, an output that is an input, out-dir a file, refused combinations);
- with ../shared/corpus beside the repository (or SP_CORPUS) present, every corpus capture with 2 workers against
  its separate run (NFStream's conformance settings; skipped, not passed, without the corpus).

Exit 77 (meson's skip) only when every test was skipped.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

import sp_accounting

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STREAMPROBE", os.path.join(ROOT, "build", "app", "streamprobe"))
CORPUS = os.environ.get("SP_CORPUS", os.path.join(ROOT, "..", "shared", "corpus"))
# The flow settings both runs get: every column family, so that a value carried from one
# capture to the next (a clock, an id, nDPI's state) shows.
FLOW_ARGS = ["--statistical-analysis", "--splt-analysis", "10", "--max-flows", "65536"]
# Unreadable: refused at open (no output), or read up to a bad record (output kept).
NOT_CAPTURES = ("badmagic.pcap", "empty.pcap")
CORRUPT = ("corrupt.pcap",)
# A few of tools/sp-genpcap.py's scenarios (every one: ~40 runs of their own, too long): time
# and scan rules, tunnels, link types, pcapng, max_nflows, and the bad files.
SCENARIOS = ["mixed", "scan_budget", "active_timeout", "gtp", "vlan", "linktypes", "nanosecond",
             "max_nflows", "bad_files"]
CAP_LINE = re.compile(r"^capture (\S+): received=(\d+) in_flows=(\d+) ignored=(\d+) "
                      r"filtered=(\d+) dropped=(\d+) flows=(\d+) worker=(\d+)$", re.M)


def run(args, **kw):
    return subprocess.run([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, errors="replace", timeout=kw.pop("timeout", 300), **kw)


def separate(pcap_dir, out_dir, extra):
    """A run of its own per capture; returns {name: (returncode, stderr)}."""
    os.makedirs(out_dir, exist_ok=True)
    res = {}
    for name in sorted(os.listdir(pcap_dir)):
        if name.startswith(".") or not os.path.isfile(os.path.join(pcap_dir, name)):
            continue    # not a capture of the directory
        p = run(["--pcap", os.path.join(pcap_dir, name), "--csv",
                 os.path.join(out_dir, name + ".csv"), "--quiet"] + extra)
        res[name] = (p.returncode, p.stderr)
    return res


class Batch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(BIN, os.X_OK):
            raise RuntimeError("streamprobe binary not found at %s" % BIN)
        cls.tmp = tempfile.mkdtemp(prefix="sp-batch-")
        gen = os.path.join(cls.tmp, "gen")
        cmd = [sys.executable, os.path.join(ROOT, "tools", "sp-genpcap.py"), gen]
        for s in SCENARIOS:
            cmd += ["--only", s]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        cls.pcaps = os.path.join(cls.tmp, "pcaps")
        os.makedirs(cls.pcaps)
        for name in sorted(os.listdir(gen)):
            if name.endswith((".pcap", ".pcapng")):
                shutil.copy(os.path.join(gen, name), cls.pcaps)
        # a hidden file and a subdirectory are not captures of the directory
        with open(os.path.join(cls.pcaps, ".partial.pcap"), "wb") as f:
            f.write(b"not read")
        os.makedirs(os.path.join(cls.pcaps, "sub"))
        cls.sep = os.path.join(cls.tmp, "sep")
        cls.sep_res = {}
        for name in sorted(os.listdir(cls.pcaps)):
            path = os.path.join(cls.pcaps, name)
            if os.path.isfile(path) and not name.startswith("."):
                os.makedirs(cls.sep, exist_ok=True)
                p = run(["--pcap", path, "--csv", os.path.join(cls.sep, name + ".csv"),
                         "--quiet"] + FLOW_ARGS)
                cls.sep_res[name] = (p.returncode, p.stderr)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def out(self, tag):
        return os.path.join(self.tmp, "out-" + tag)

    def check_same(self, out, ref):
        """Every output of out is byte for byte the separate run's, and the same files exist."""
        self.assertEqual(sorted(os.listdir(out)), sorted(os.listdir(ref)))
        for name in sorted(os.listdir(ref)):
            with open(os.path.join(ref, name), "rb") as a, \
                    open(os.path.join(out, name), "rb") as b:
                self.assertEqual(a.read(), b.read(), "%s differs from its separate run" % name)

    def check_report(self, stderr, n_captures):
        """The accounting per capture and in total, and the totals are the captures' sum."""
        total = sp_accounting.check_accounting(stderr)
        caps = CAP_LINE.findall(stderr)
        sums = [0] * 5
        for c in caps:
            r, f, i, x, d = (int(v) for v in c[1:6])
            self.assertEqual(r, f + i + x + d, "capture %s: accounting does not add up" % c[0])
            sums = [s + v for s, v in zip(sums, (r, f, i, x, d))]
        self.assertEqual(sums, [total[k] for k in sp_accounting.FIELDS])
        m = re.search(r"^batch: captures=(\d+) written=(\d+) failed=(\d+) not_read=(\d+)",
                      stderr, re.M)
        self.assertIsNotNone(m, stderr)
        self.assertEqual(int(m.group(1)), n_captures)
        return caps, m

    def test_identical_to_separate_runs_1_and_2_workers(self):
        n = len(self.sep_res)
        for workers in (1, 2):
            out = self.out("w%d" % workers)
            p = run(["--pcap-dir", self.pcaps, "--out-dir", out, "--workers", str(workers)] +
                    FLOW_ARGS)
            # the unreadable captures fail the batch, and only they
            self.assertEqual(p.returncode, 1, p.stderr)
            self.check_same(out, self.sep)
            caps, m = self.check_report(p.stderr, n)
            self.assertEqual(int(m.group(3)), len(NOT_CAPTURES) + len(CORRUPT), p.stderr)
            self.assertEqual(int(m.group(4)), 0)
            # a line for each capture that opened, none for the others
            self.assertEqual(sorted(c[0] for c in caps),
                             sorted(k for k in self.sep_res if k not in NOT_CAPTURES))
            if workers == 2:
                self.assertEqual({c[7] for c in caps}, {"0", "1"}, "one worker did it all")
            for name in NOT_CAPTURES + CORRUPT:
                lines = [l for l in p.stderr.splitlines() if name in l and "error" in l]
                self.assertEqual(len(lines), 1, "%s: %r" % (name, lines))
                self.assertTrue(lines[0].startswith("streamprobe: error: "), lines[0])
                # the separate run fails on it too
                self.assertNotEqual(self.sep_res[name][0], 0)
            for name, (rc, err) in self.sep_res.items():
                if name not in NOT_CAPTURES + CORRUPT:
                    self.assertEqual(rc, 0, "%s alone: %s" % (name, err))

    def test_quiet_keeps_errors_and_totals_only(self):
        out = self.out("quiet")
        p = run(["--pcap-dir", self.pcaps, "--out-dir", out, "--quiet"] + FLOW_ARGS)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(CAP_LINE.findall(p.stderr), [])
        self.assertEqual(len(re.findall(r"^streamprobe: error: ", p.stderr, re.M)),
                         len(NOT_CAPTURES) + len(CORRUPT), p.stderr)
        sp_accounting.check_accounting(p.stderr)
        self.check_same(out, self.sep)

    def test_all_good_exit_0_and_several_pcap(self):
        """--pcap FILE entries (and a --pcap directory) with --out-dir are captures too."""
        names = ["mixed.pcap", "gtp.pcap", "scan_budget.pcap"]
        out = self.out("files")
        args = []
        for n in names:
            args += ["--pcap", os.path.join(self.pcaps, n)]
        p = run(args + ["--out-dir", out, "--workers", "2"] + FLOW_ARGS)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.check_report(p.stderr, len(names))
        self.assertEqual(sorted(os.listdir(out)), sorted(n + ".csv" for n in names))
        for n in names:
            with open(os.path.join(out, n + ".csv"), "rb") as a, \
                    open(os.path.join(self.sep, n + ".csv"), "rb") as b:
                self.assertEqual(a.read(), b.read(), n)

    def test_max_nflows_and_anonymize_per_capture(self):
        key = os.path.join(self.tmp, "key")
        with open(key, "wb") as f:
            f.write(bytes(range(64)))
        extra = FLOW_ARGS + ["--max-nflows", "3", "--csv-anonymize", "src_ip,dst_ip",
                             "--csv-anonymize-key", key]
        src = os.path.join(self.tmp, "few")
        os.makedirs(src)
        for n in ("mixed.pcap", "scan_budget.pcap", "max_nflows.pcap", "gtp.pcap"):
            shutil.copy(os.path.join(self.pcaps, n), src)
        ref = os.path.join(self.tmp, "few-sep")
        res = separate(src, ref, extra)
        self.assertTrue(all(rc == 0 for rc, _ in res.values()), res)
        out = self.out("few")
        p = run(["--pcap-dir", src, "--out-dir", out, "--workers", "2"] + extra)
        self.assertEqual(p.returncode, 0, p.stderr)
        sp_accounting.check_accounting(p.stderr)
        self.check_same(out, ref)
        for n in os.listdir(out):
            with open(os.path.join(out, n)) as f:
                self.assertLessEqual(len(f.read().splitlines()), 4, n)

    def test_bpf_filter_per_capture_link_type(self):
        """The filter is compiled for each capture's link type, as its own run compiles it: one
        it cannot take there (an Ethernet address on RAW, NULL, PPP...) fails that capture only,
        named, with no output, as its own run fails; a bad expression is refused up front."""
        extra = FLOW_ARGS + ["--bpf-filter", "ether host 00:11:22:33:44:55 or udp"]
        ref = os.path.join(self.tmp, "bpf-sep")
        res = separate(self.pcaps, ref, extra)
        out = self.out("bpf")
        p = run(["--pcap-dir", self.pcaps, "--out-dir", out, "--workers", "2"] + extra)
        self.assertEqual(p.returncode, 1, p.stderr)
        sp_accounting.check_accounting(p.stderr)
        self.check_same(out, ref)
        failed = sorted(n for n, (rc, _) in res.items() if rc != 0)
        not_ether = [n for n, (rc, _) in res.items() if rc == 2]
        self.assertGreaterEqual(len(not_ether), 3, res)     # linktypes: RAW, NULL, PPP, ...
        named = sorted(set(re.findall(r"^streamprobe: error: \S*/([^/\s:]+): ", p.stderr, re.M)))
        self.assertEqual(named, failed, p.stderr)
        self.assertRegex(p.stderr, r"(?m)^batch: captures=%d .*failed=%d" % (len(res), len(failed)))
        # filtered packets are counted as in the runs of their own
        self.assertGreater(sp_accounting.check_accounting(p.stderr)["filtered"], 0)
        p = run(["--pcap-dir", self.pcaps, "--out-dir", self.out("bpf-bad"),
                 "--bpf-filter", "udp or"])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertRegex(p.stderr, r"^streamprobe: --bpf-filter: bad expression 'udp or'")
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertFalse(os.path.exists(self.out("bpf-bad")))

    def test_sigint_stops_between_captures(self):
        """A signal: the workers end the capture they read and take no other; those not read
        are named, the run fails (1), what was written is whole and accounted."""
        src = os.path.join(self.tmp, "many")
        os.makedirs(src)
        for i in range(40):
            shutil.copy(os.path.join(self.pcaps, "mixed.pcap"), os.path.join(src, "m%02d.pcap" % i))
        out = self.out("sigint")
        p = subprocess.Popen([BIN, "--pcap-dir", src, "--out-dir", out, "--workers", "2"] +
                             FLOW_ARGS, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
        first = p.stderr.readline()     # the first capture done: the batch is under way
        p.send_signal(signal.SIGINT)
        err = first + p.stderr.read()
        self.assertEqual(p.wait(timeout=60), 1, err)
        sp_accounting.check_accounting(err)
        m = re.search(r"^batch: captures=40 written=(\d+) failed=(\d+) not_read=(\d+)", err, re.M)
        self.assertIsNotNone(m, err)
        self.assertGreater(int(m.group(3)), 0, err)
        self.assertRegex(err, r"(?m)^streamprobe: error: %d of 40 captures not read \(stopped\): "
                         r"m\d\d\.pcap" % int(m.group(3)))
        with open(os.path.join(self.sep, "mixed.pcap.csv"), "rb") as f:
            ref = f.read()
        # every output is whole: the capture's own run's, or (cut by the signal, said) a prefix
        cut = re.findall(r"^streamprobe: error: \S*/(m\d\d\.pcap): stopped before its end", err,
                         re.M)
        for n in os.listdir(out):
            with open(os.path.join(out, n), "rb") as f:
                data = f.read()
            if n[:-4] in cut:
                self.assertTrue(data.endswith(b"\n"), n)
            else:
                self.assertEqual(data, ref, n)
        self.assertEqual(int(m.group(2)), len(cut))

    def test_empty_directory(self):
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(os.path.join(empty, "sub"))
        open(os.path.join(empty, ".hidden"), "w").close()
        out = self.out("empty")
        p = run(["--pcap-dir", empty, "--out-dir", out])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(p.stderr, r"^streamprobe: --pcap-dir %s: a directory without capture "
                         r"files" % re.escape(empty))
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)

    def test_out_dir_checks(self):
        src = os.path.join(self.tmp, "two")
        os.makedirs(src)
        shutil.copy(os.path.join(self.pcaps, "gtp.pcap"), src)
        shutil.copy(os.path.join(self.pcaps, "vlan.pcap"), src)
        out = self.out("checks")
        # made when absent; a second run refuses to overwrite, before reading anything
        p = run(["--pcap-dir", src, "--out-dir", out, "--quiet"] + FLOW_ARGS)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(out, "vlan.pcap.csv"), "w") as f:
            f.write("mine\n")
        p = run(["--pcap-dir", src, "--out-dir", out, "--quiet"])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertRegex(p.stderr, r"^streamprobe: --out-dir: \S+/(gtp|vlan)\.pcap\.csv exists "
                         r".*--overwrite")
        self.assertNotIn("accounting:", p.stderr)
        with open(os.path.join(out, "vlan.pcap.csv")) as f:
            self.assertEqual(f.read(), "mine\n")
        p = run(["--pcap-dir", src, "--out-dir", out, "--quiet", "--overwrite"] + FLOW_ARGS)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(out, "vlan.pcap.csv"), "rb") as a, \
                open(os.path.join(self.sep, "vlan.pcap.csv"), "rb") as b:
            self.assertEqual(a.read(), b.read())
        # an output that cannot be written (a directory in its place, --overwrite): that
        # capture fails, named, the other is written
        os.remove(os.path.join(out, "gtp.pcap.csv"))
        os.makedirs(os.path.join(out, "gtp.pcap.csv"))
        p = run(["--pcap-dir", src, "--out-dir", out, "--overwrite", "--workers", "2"] +
                FLOW_ARGS)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(p.stderr, r"(?m)^streamprobe: error: \S+/gtp\.pcap\.csv: Is a directory$")
        self.assertRegex(p.stderr, r"(?m)^batch: captures=2 written=1 failed=1 not_read=0 ")
        sp_accounting.check_accounting(p.stderr)
        with open(os.path.join(out, "vlan.pcap.csv"), "rb") as a, \
                open(os.path.join(self.sep, "vlan.pcap.csv"), "rb") as b:
            self.assertEqual(a.read(), b.read())
        # two captures of one name
        other = os.path.join(self.tmp, "other")
        os.makedirs(other)
        shutil.copy(os.path.join(self.pcaps, "gtp.pcap"), other)
        p = run(["--pcap-dir", src, "--pcap", other, "--out-dir", self.out("dup")])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("would both be written to", p.stderr)
        # an output that is an input: out-dir = the captures' directory, run twice
        p = run(["--pcap-dir", src, "--out-dir", src, "--quiet"])
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run(["--pcap-dir", src, "--out-dir", src, "--quiet", "--overwrite"])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("is an input", p.stderr)
        # out-dir a file; out-dir that cannot be made
        p = run(["--pcap-dir", other, "--out-dir", os.path.join(self.pcaps, "gtp.pcap")])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("not a directory", p.stderr)
        p = run(["--pcap-dir", other, "--out-dir", os.path.join(self.tmp, "no", "such")])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(p.stderr, r"^streamprobe: --out-dir \S+/no/such: No such file")

    def test_refused_combinations(self):
        d = self.pcaps
        o = self.out("refused")
        cases = [
            (["--pcap-dir", d], "--pcap-dir: needs --out-dir"),
            (["--pcap", d, "--overwrite"], "--overwrite: needs --out-dir"),
            (["--pcap-dir", d, "--out-dir", o, "--csv", "x.csv"], "--csv: not with --out-dir"),
            (["--pcap-dir", d, "--out-dir", o, "--ipfix", "file:x.ipfix"],
             "--ipfix: not with --out-dir"),
            (["--pcap-dir", d, "--out-dir", o, "--replay-loops", "2"],
             "--replay-loops: not with --out-dir"),
            (["--pcap-dir", d, "--out-dir", o, "--dispatch"], "--dispatch: not with --out-dir"),
            (["--pcap", "-", "--out-dir", o], "--pcap -: not with --out-dir"),
            (["--out-dir", o], "--out-dir: no input"),
            (["--pcap-dir", os.path.join(d, "gtp.pcap"), "--out-dir", o],
             "not a directory"),
        ]
        for args, msg in cases:
            p = run(args)
            self.assertEqual(p.returncode, 2, "%r: %s" % (args, p.stderr))
            self.assertTrue(p.stderr.startswith("streamprobe: "), p.stderr)
            self.assertIn(msg, p.stderr, args)
            self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertFalse(os.path.exists(o))


class Corpus(unittest.TestCase):
    """Every corpus capture, 2 workers, against its separate run (the conformance settings)."""
    ARGS = ["--statistical-analysis", "--splt-analysis", "10", "--n-dissections", "20"]

    def test_corpus_identical(self):
        pcaps = os.path.join(CORPUS, "pcaps")
        if not os.path.isdir(pcaps):
            self.skipTest("no corpus at %s" % CORPUS)
        tmp = tempfile.mkdtemp(prefix="sp-batch-corpus-")
        try:
            out = os.path.join(tmp, "batch")
            p = run(["--pcap-dir", pcaps, "--out-dir", out, "--workers", "2", "--quiet"] +
                    self.ARGS, timeout=600)
            sp_accounting.check_accounting(p.stderr)
            ref = os.path.join(tmp, "sep")
            res = separate(pcaps, ref, self.ARGS)
            failed = sorted(n for n, (rc, _) in res.items() if rc != 0)
            # the batch fails exactly when a separate run does, naming those captures
            self.assertEqual(p.returncode, 1 if failed else 0, p.stderr[-2000:])
            for n in failed:
                self.assertRegex(p.stderr, r"streamprobe: error: .*%s" % re.escape(n))
            self.assertEqual(sorted(os.listdir(out)), sorted(os.listdir(ref)))
            diff = []
            for n in sorted(os.listdir(ref)):
                with open(os.path.join(ref, n), "rb") as a, open(os.path.join(out, n), "rb") as b:
                    if a.read() != b.read():
                        diff.append(n)
            self.assertEqual(diff, [], "outputs differ from their separate runs")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.testsRun and len(result.skipped) == result.testsRun:
        sys.exit(77)
    sys.exit(0)
