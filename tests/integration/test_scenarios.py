#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Integration tests: streamprobe on synthetic captures, against NFStream's rules.

    python3 tests/integration/test_scenarios.py [-v] [-k PATTERN]

The binary is $STREAMPROBE (default: build/app/streamprobe under the repository root).
$STREAMPROBE_ARGS, split like a shell would, is put before the other arguments (EAL
options, if the build needs any). $SP_KEEP=1 keeps the temporary directory.

tools/sp-genpcap.py writes the captures and a manifest. For every scenario run it holds:
the options, the exact header, every flow's values (from the generator's reference model
of the spec, which is checked against the hand-derived values written next to each
scenario), those hand values, the expected accounting line, and for runs without nDPI
(--n-dissections 0) the whole expected CSV text. Nothing in the manifest comes from running
streamprobe. (The same model, fed the conformance corpus captures, gives NFStream's
non-application columns exactly on 185 of its 187 pcaps; the 2 others are fuzz files whose
record headers libpcap reads in its own way.)

Checks per run: exit status 0; CSV header; number of flows; the hand values of each flow;
every non-application column of every flow (the text as written); the byte-exact file when
there are no application columns; the stderr accounting line
`accounting: received=R in_flows=F ignored=I filtered=B dropped=D`, its invariant
R = F + I + B + D and the per-reason `ignored:` counts. Application columns (nDPI) are only
checked for presence and range: their values depend on nDPI, which the spec does not model.
Error cases: missing, corrupt, empty and bad-magic captures, an unwritable output path and
bad option values must give a clean non-zero exit with a message, never a crash.
"""

import atexit
import csv
import io
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

import sp_accounting

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GENERATOR = os.path.join(REPO, "tools", "sp-genpcap.py")
BINARY = os.environ.get("STREAMPROBE") or os.path.join(REPO, "build", "app", "streamprobe")
PREFIX_ARGS = shlex.split(os.environ.get("STREAMPROBE_ARGS", ""))
RUN_TIMEOUT = 120

ACCT_RE = re.compile(r"accounting: received=(\d+) in_flows=(\d+) ignored=(\d+) "
                     r"filtered=(\d+) dropped=(\d+)")
IGN_RE = re.compile(r"(?:^|\s)ignored:(.*)$")
KV_RE = re.compile(r"([A-Za-z0-9_]+)=(\d+)")


def _generate(outdir):
    p = subprocess.run([sys.executable, GENERATOR, outdir], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError("sp-genpcap.py failed (%d): %s%s" % (p.returncode, p.stdout,
                                                               p.stderr))
    with open(os.path.join(outdir, "manifest.json")) as f:
        return json.load(f)


WORK = tempfile.mkdtemp(prefix="sp-it-")
if not os.environ.get("SP_KEEP"):
    atexit.register(shutil.rmtree, WORK, True)
else:
    print("sp-it: keeping %s" % WORK, file=sys.stderr)
PCAPS = os.path.join(WORK, "pcaps")
MANIFEST = _generate(PCAPS)
APP_COLUMNS = set(MANIFEST["app_columns"])
REASONS = set(MANIFEST["reasons"])


def run_probe(files, args, csv_path):
    cmd = [BINARY] + PREFIX_ARGS
    for f in files:
        cmd += ["--pcap", f]
    cmd += ["--csv", csv_path] + list(args)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise AssertionError("timeout after %d s: %s" % (RUN_TIMEOUT, " ".join(cmd)))
    p.stdout_text = p.stdout.decode("utf-8", "replace")
    p.stderr_text = p.stderr.decode("utf-8", "replace")
    sp_accounting.check_run(p.stderr_text, p.returncode == 0)
    p.cmd = " ".join(shlex.quote(c) for c in cmd)
    return p


def describe(p):
    tail = "\n".join(p.stderr_text.splitlines()[-15:])
    return "command: %s\nexit: %s\nstderr (tail):\n%s" % (p.cmd, p.returncode, tail)


def parse_accounting(text):
    """(dict of the five counters, dict of reason counts) from streamprobe's stderr."""
    acct = None
    reasons = None
    for line in text.splitlines():
        m = ACCT_RE.search(line)
        if m:
            acct = dict(zip(("received", "in_flows", "ignored", "filtered", "dropped"),
                            (int(x) for x in m.groups())))
            reasons = None
            continue
        m = IGN_RE.search(line)
        if m and acct is not None and reasons is None:
            reasons = {k: int(v) for k, v in KV_RE.findall(m.group(1))}
    return acct, reasons


def read_csv(path):
    """(header, rows, raw text); header None when the file is absent or empty."""
    if not os.path.exists(path):
        return None, [], None
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")
    if not text:
        return None, [], text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:], text


def hand_ok(want, text):
    if isinstance(want, bool):
        raise TypeError("bool hand value")
    if isinstance(want, int):
        return text == str(want)
    if isinstance(want, float):
        try:
            got = float(text)
        except ValueError:
            return False
        return math.isclose(want, got, rel_tol=1e-9, abs_tol=0.0)
    if isinstance(want, list):
        return text == str(want)
    return text == want


class ProbeTestCase(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        if not (os.path.isfile(BINARY) and os.access(BINARY, os.X_OK)):
            raise AssertionError("streamprobe binary not found or not executable: %s "
                                 "(build it, or set STREAMPROBE)" % BINARY)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="run-", dir=WORK)

    def tearDown(self):
        shutil.rmtree(self.tmp, True)

    def assertNoCrash(self, p):
        self.assertTrue(0 <= p.returncode < 128,
                        "crashed or killed (exit status %s)\n%s" % (p.returncode, describe(p)))
        for bad in ("Segmentation fault", "core dumped", "Assertion", "AddressSanitizer",
                    "Traceback"):
            self.assertNotIn(bad, p.stderr_text, describe(p))

    def assertAccounting(self, p, want):
        """The invariant always; the counters and the reasons when want is given."""
        acct, reasons = parse_accounting(p.stderr_text)
        self.assertIsNotNone(acct, "no 'accounting:' line on stderr\n" + describe(p))
        self.assertEqual(acct["received"], acct["in_flows"] + acct["ignored"] +
                         acct["filtered"] + acct["dropped"],
                         "accounting invariant broken: %r" % acct)
        self.assertIsNotNone(reasons, "no 'ignored:' line after the accounting line\n"
                             + describe(p))
        unknown = set(reasons) - REASONS
        self.assertFalse(unknown, "unknown ignore reasons %s" % sorted(unknown))
        self.assertEqual(sum(reasons.values()), acct["ignored"],
                         "ignored=%d but the reasons add up to %d: %r"
                         % (acct["ignored"], sum(reasons.values()), reasons))
        if want is None:
            return acct
        got = {k: acct[k] for k in ("received", "in_flows", "ignored", "filtered", "dropped")}
        exp = {k: want[k] for k in got}
        self.assertEqual(got, exp, "accounting counters")
        self.assertEqual({k: v for k, v in reasons.items() if v},
                         {k: v for k, v in want["reasons"].items() if v},
                         "ignored reasons")
        return acct

    def assertFlows(self, run, path):
        header, rows, text = read_csv(path)
        cols, exp_rows = run["columns"], run["rows"]
        if not exp_rows:
            # NFStream writes no file for 0 flows; streamprobe the header alone (docs/csv.md)
            self.assertEqual(header, cols, "header of an output without flows")
            self.assertEqual(rows, [], "no flow expected")
            return
        self.assertIsNotNone(header, "no CSV written (expected %d flows)" % len(exp_rows))
        self.assertEqual(header, cols, "CSV header")
        self.assertEqual(len(rows), len(exp_rows),
                         "number of flows: got %d, expected %d" % (len(rows), len(exp_rows)))
        idx = {c: i for i, c in enumerate(cols)}
        problems = []
        for n, row in enumerate(rows):
            if len(row) != len(cols):
                problems.append("flow %d: %d fields for %d columns" % (n, len(row), len(cols)))
        if problems:
            self.fail("\n".join(problems[:20]))
        # 1. the values derived by hand next to the scenario
        for h in run["hand"] or []:
            row = rows[h["id"]]
            for k, want in h.items():
                if not hand_ok(want, row[idx[k]]):
                    problems.append("flow %d %s: expected %r, got %r (hand-derived)"
                                    % (h["id"], k, want, row[idx[k]]))
        if problems:
            self.fail("%d hand-derived values differ:\n%s"
                      % (len(problems), "\n".join(problems[:40])))
        # 2. every modelled column of every flow, as text
        for n, (row, exp) in enumerate(zip(rows, exp_rows)):
            for c, got, want in zip(cols, row, exp):
                if c in APP_COLUMNS:
                    continue
                if got != want:
                    problems.append("flow %d %s: expected %s, got %s" % (n, c, want, got))
        if problems:
            self.fail("%d values differ from the reference model:\n%s"
                      % (len(problems), "\n".join(problems[:40])))
        # 3. application columns: present, and in range where the range is known
        if "application_confidence" in idx:
            for n, row in enumerate(rows):
                self.assertIn(row[idx["application_is_guessed"]], ("0", "1"), "flow %d" % n)
                self.assertIn(row[idx["application_confidence"]],
                              [str(i) for i in range(7)], "flow %d" % n)
                self.assertTrue(row[idx["application_name"]], "flow %d: empty app name" % n)
        # 4. byte-exact text when nothing depends on nDPI
        if run["csv_text"] is not None:
            self.assertEqual(text, run["csv_text"], "CSV text differs (quoting, float format, "
                             "line ends)")


def _make_run_test(sc, run):
    def test(self):
        files = [os.path.join(PCAPS, f) for f in run["files"]]
        out = os.path.join(self.tmp, "out.csv")
        p = run_probe(files, run["args"], out)
        self.assertNoCrash(p)
        self.assertEqual(p.returncode, 0, describe(p))
        self.assertFlows(run, out)
        self.assertAccounting(p, run["accounting"])
    test.__doc__ = "%s/%s: %s %s" % (sc["name"], run["name"], " ".join(run["args"]),
                                     sc["doc"][:60])
    return test


class ScenarioTest(ProbeTestCase):
    """One test per scenario run of the manifest (test_<scenario>__<run>)."""


for _sc in MANIFEST["scenarios"]:
    for _run in _sc["runs"]:
        if _sc["errors"].get(_run["files"][0]) == "error_or_prefix":
            continue        # handled by ErrorTest
        setattr(ScenarioTest, "test_%s__%s" % (_sc["name"], _run["name"]),
                _make_run_test(_sc, _run))


def _scenario(name):
    for sc in MANIFEST["scenarios"]:
        if sc["name"] == name:
            return sc
    raise KeyError(name)


class ErrorTest(ProbeTestCase):
    """Captures and options streamprobe must refuse cleanly."""

    def assertCleanError(self, p, needle, codes=None):
        self.assertNoCrash(p)
        self.assertNotEqual(p.returncode, 0, "expected a failure\n" + describe(p))
        if codes:
            self.assertIn(p.returncode, codes, describe(p))
        lines = [l for l in p.stderr_text.splitlines() if needle.lower() in l.lower()]
        self.assertTrue(lines, "no stderr line mentions %r\n%s" % (needle, describe(p)))

    def test_missing_file(self):
        path = os.path.join(self.tmp, "does-not-exist.pcap")
        p = run_probe([path], [], os.path.join(self.tmp, "out.csv"))
        self.assertCleanError(p, "does-not-exist.pcap")

    def test_missing_second_file(self):
        good = os.path.join(PCAPS, "part1.pcap")
        p = run_probe([good, os.path.join(self.tmp, "nope.pcap")], [],
                      os.path.join(self.tmp, "out.csv"))
        self.assertCleanError(p, "nope.pcap")

    def test_bad_magic(self):
        p = run_probe([os.path.join(PCAPS, "badmagic.pcap")], [],
                      os.path.join(self.tmp, "out.csv"))
        self.assertCleanError(p, "badmagic.pcap")

    def test_empty_file(self):
        p = run_probe([os.path.join(PCAPS, "empty.pcap")], [],
                      os.path.join(self.tmp, "out.csv"))
        self.assertCleanError(p, "empty.pcap")

    def test_corrupt_truncated_record(self):
        """Cut in the middle of the 4th record: either a clean one-line error naming the
        file (non-zero exit), or the 3 complete records are counted and the run succeeds."""
        run = [r for r in _scenario("bad_files")["runs"] if r["name"] == "corrupt"][0]
        out = os.path.join(self.tmp, "out.csv")
        p = run_probe([os.path.join(PCAPS, "corrupt.pcap")], run["args"], out)
        self.assertNoCrash(p)
        if p.returncode != 0:
            self.assertCleanError(p, "corrupt.pcap")
            return
        self.assertFlows(run, out)
        acct = self.assertAccounting(p, None)
        self.assertGreaterEqual(acct["in_flows"], 3)

    def test_unwritable_output(self):
        blocker = os.path.join(self.tmp, "notadir")
        with open(blocker, "w") as f:
            f.write("a regular file, so notadir/out.csv cannot be created, even by root\n")
        out = os.path.join(blocker, "out.csv")
        p = run_probe([os.path.join(PCAPS, "idle_boundary.pcap")], [], out)
        self.assertCleanError(p, "notadir")
        self.assertFalse(os.path.exists(out))

    def test_output_in_missing_directory(self):
        out = os.path.join(self.tmp, "no", "such", "dir", "out.csv")
        p = run_probe([os.path.join(PCAPS, "idle_boundary.pcap")], [], out)
        self.assertCleanError(p, "out.csv")

    def test_bad_option_values(self):
        pc = os.path.join(PCAPS, "idle_boundary.pcap")
        out = os.path.join(self.tmp, "out.csv")
        cases = [
            (["--accounting-mode", "7"], "accounting"),
            (["--accounting-mode", "-1"], "accounting"),
            (["--n-dissections", "256"], "dissection"),
            (["--splt-analysis", "70000"], "splt"),
            (["--idle-timeout", "abc"], "idle"),
            (["--idle-timeout", "-5"], "idle"),
            (["--active-timeout", "1x"], "active"),
            (["--max-nflows", "-1"], "nflows"),
            (["--bogus-option"], "bogus"),
        ]
        for args, needle in cases:
            with self.subTest(args=args):
                p = run_probe([pc], args, out)
                self.assertCleanError(p, needle, codes=(1, 2))

    def test_bad_bpf_filter(self):
        p = run_probe([os.path.join(PCAPS, "bpf.pcap")], ["--bpf-filter", "port port port"],
                      os.path.join(self.tmp, "out.csv"))
        self.assertNoCrash(p)
        self.assertNotEqual(p.returncode, 0, describe(p))
        self.assertTrue(p.stderr_text.strip(), describe(p))

    def test_no_pcap(self):
        p = subprocess.run([BINARY] + PREFIX_ARGS + ["--csv", os.path.join(self.tmp, "o.csv")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
        self.assertTrue(0 < p.returncode < 128, "exit %d" % p.returncode)
        self.assertTrue(p.stderr.strip(), "no message")


class GeneratorTest(unittest.TestCase):
    """The generator itself (needs no streamprobe binary)."""

    def test_deterministic(self):
        other = tempfile.mkdtemp(prefix="gen2-", dir=WORK)
        _generate(other)
        a, b = sorted(os.listdir(PCAPS)), sorted(os.listdir(other))
        self.assertEqual(a, b)
        for name in a:
            with open(os.path.join(PCAPS, name), "rb") as f1, \
                    open(os.path.join(other, name), "rb") as f2:
                self.assertEqual(f1.read(), f2.read(), name)

    def test_manifest_shape(self):
        names = set()
        for sc in MANIFEST["scenarios"]:
            for run in sc["runs"]:
                names.add(sc["name"])
                for row in run["rows"]:
                    self.assertEqual(len(row), len(run["columns"]), sc["name"])
                for i, row in enumerate(run["rows"]):
                    self.assertEqual(row[0], str(i))
                for h in run["hand"] or []:
                    self.assertLess(h["id"], len(run["rows"]))
                acct = run["accounting"]
                if acct:
                    self.assertEqual(acct["received"], acct["in_flows"] + acct["ignored"] +
                                     acct["filtered"] + acct["dropped"])
        for required in ("idle_boundary", "active_timeout", "hol_scan", "tcp_fin_rst",
                         "backwards_time", "truncated", "icmp", "vlan", "mpls_pppoe",
                         "ipv4_frag", "ipv6_ext", "ipip", "gtp", "tzsp", "capwap", "linktypes",
                         "malformed", "accounting", "nanosecond", "multifile", "max_nflows",
                         "bpf", "scan_budget", "float_format", "bad_files", "mixed"):
            self.assertIn(required, names)

    def test_pcaps_readable(self):
        """libpcap (through tcpdump) reads every capture, with the packet count and BPF
        matches the manifest states; the broken ones fail as intended."""
        self.assertIsNotNone(shutil.which("tcpdump"), "tcpdump (tools/install-deps.sh)")
        for sc in MANIFEST["scenarios"]:
            for f in sc["files"]:
                path = os.path.join(PCAPS, f["name"])
                p = subprocess.run(["tcpdump", "-n", "-r", path], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, universal_newlines=True)
                count = sum(1 for l in p.stdout.splitlines() if l and not l[0].isspace())
                kind = sc["errors"].get(f["name"])
                with self.subTest(file=f["name"]):
                    if kind == "error":
                        self.assertNotEqual(p.returncode, 0)
                    elif kind == "error_or_prefix":
                        self.assertIn("truncated", p.stderr)
                        self.assertEqual(count, 3)
                    else:
                        self.assertEqual(p.returncode, 0, p.stderr)
                        self.assertEqual(count, f["packets"])
                for flt, n in f["bpf"].items():
                    q = subprocess.run(["tcpdump", "-n", "-r", path, flt],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       universal_newlines=True)
                    with self.subTest(file=f["name"], bpf=flt):
                        self.assertEqual(q.returncode, 0, q.stderr)
                        self.assertEqual(sum(1 for l in q.stdout.splitlines()
                                             if l and not l[0].isspace()), n)


if __name__ == "__main__":
    unittest.main()
