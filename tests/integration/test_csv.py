#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The CSV output as a user gets it (docs/csv.md).

    python3 tests/integration/test_csv.py Csv          generated captures
    python3 tests/integration/test_csv.py CsvCorpus    every corpus expected CSV (77 without it)

Csv:
- without --csv and --ipfix the CSV goes to standard output, the same bytes as --csv FILE;
- a run without a flow writes the header alone, and pandas reads it (an empty table);
- `--csv - | head -2` gives the header and one row, and streamprobe stops at the broken
  pipe at once (exit 0) instead of reading on;
- the pandas call of docs/csv.md (the test checks the document holds it word for word)
  reads a CSV streamprobe wrote from a capture with quotes, commas, backslashes and newlines
  in HTTP User-Agents into the right columns, each cell as sent;
- --csv-anonymize: every value of the named columns is Python's
  blake2b(str(value), digest_size=64, key=KEY).hexdigest() (hashlib), with a key file or a
  random key per run;
- --csv-flows-per-file / --csv-rotate-files: NFStream's file names, a header per file.
CsvCorpus: the same pandas call reads every /work/shared/corpus/expected*/*.csv.gz into
its header's number of columns, every row.

pandas is Debian's (python3-pandas, tools/install-deps.sh), so it runs under
/usr/bin/python3 (the python3 on PATH may be another one).
"""
import glob
import gzip
import hashlib
import importlib.util
import json
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
DEBIAN_PYTHON = "/usr/bin/python3"
CORPUS = os.environ.get("SP_CORPUS") or os.path.join(ROOT, "..", "shared", "corpus")

# The reader docs/csv.md gives, word for word (test_doc_holds_the_calls checks it), and its
# one-line form for files where no string ends with a backslash.
PANDAS_READER = r'''import io
import re

import pandas as pd


def read_nfstream_csv(path):
    """NFStream's (and streamprobe's) to_csv() file as a DataFrame."""
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    # A string is "...", a '"' inside it \" and nothing else escaped: where a \" ends
    # a string (one ending in a backslash) shows only from the row's number of fields.
    field = r'("(?:[^"]|(?<=\\)")*"|[^",\n]*)'
    ncols = text[:text.index("\n")].count(",") + 1
    row = re.compile(",".join([field] * ncols) + "\n")
    rows, pos = [], 0
    while pos < len(text):
        m = row.match(text, pos)
        if m is None:
            raise ValueError("%s: not a to_csv() row at offset %d" % (path, pos))
        rows.append(",".join('"%s"' % f[1:-1].replace('\\"', '""') if f[:1] == '"' else f
                             for f in m.groups()))
        pos = m.end()
    # pandas' C parser ends a cell at a NUL (a plugin's string may hold one: a DHCP
    # hostname); its Python parser keeps the cell whole
    return pd.read_csv(io.StringIO("\n".join(rows) + "\n"), keep_default_na=False,
                       engine="python" if "\0" in text else "c")
'''
PANDAS_ONE_LINER = """\
import io
import pandas as pd

with open(path, encoding="utf-8", newline="") as f:
    df = pd.read_csv(io.StringIO(f.read().replace('\\\\"', '""')), keep_default_na=False)
"""

# Runs under Debian's python: argv[1] "reader" or "one-liner", then files; the documented
# code itself on each, then the table as JSON (every cell as text, each column's dtype, the
# NaN count).
RUNNER = """\
import json
import sys

READER = %r
ONE_LINER = %r
out = []
for path in sys.argv[2:]:
    ns = {"path": path}
    if sys.argv[1].startswith("reader"):
        exec(READER, ns)
        df = ns["read_nfstream_csv"](path)
    else:
        exec(ONE_LINER, ns)
        df = ns["df"]
    out.append({"columns": list(df.columns), "dtypes": [str(t) for t in df.dtypes],
                "rows": ([] if sys.argv[1].endswith("summary") else
                         [[str(v) for v in r] for r in df.itertuples(index=False)]),
                "shape": list(df.shape), "nan": int(df.isna().sum().sum())})
print(json.dumps(out))
""" % (PANDAS_READER, PANDAS_ONE_LINER)

_spec = importlib.util.spec_from_file_location("genpcap", os.path.join(ROOT, "tools",
                                                                        "sp-genpcap.py"))
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

# User-Agents nDPI keeps as sent (HTTP lines end at CRLF, so a bare LF stays inside).
# The last three end with a backslash: NFStream writes "...\", which only the row's number
# of fields tells from an escaped quote.
HOSTILE_UAS = ['Mozilla/5.0 "quoted", comma', 'back\\slash and \\"quote',
               'new\nline, "q"\\x', 'a,b,,c""d', 'plain', 'NaN', '',
               'ends with a backslash\\', 'q"\\', '\\']
ENDS_WITH_BACKSLASH = 3


def hostile_pcap(path, uas):
    """One HTTP/1.1 exchange per User-Agent, each its own TCP flow."""
    recs, t = [], 0

    def pkt(src, dst, sp, dp, fl, pl=b"", seq=1, ack=0):
        return gen.eth_ip(src, dst, gen.ipv4(src, dst, 6, gen.tcp(sp, dp, fl, pl, seq=seq,
                                                                 ack=ack)))
    for i, ua in enumerate(uas):
        c, s, sp = "10.9.0.%d" % (i + 1), "10.9.1.1", 40000 + i
        req = ("GET /x HTTP/1.1\r\nHost: h%d.example\r\nUser-Agent: %s\r\nAccept: */*\r\n\r\n"
               % (i, ua)).encode()
        resp = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
        for fr in (pkt(c, s, sp, 80, "S", seq=100), pkt(s, c, 80, sp, "SA", seq=500, ack=101),
                   pkt(c, s, sp, 80, "A", seq=101, ack=501),
                   pkt(c, s, sp, 80, "PA", req, seq=101, ack=501),
                   pkt(s, c, 80, sp, "PA", resp, seq=501, ack=101 + len(req))):
            recs.append(gen.Rec(gen.ms(t), fr))
            t += 10
    gen.write_pcap(path, recs, gen.LT_EN10MB)


def parse_nfstream_csv(text):
    """Rows of a to_csv() text, cells unquoted and unescaped: a reference reader written
    from the format's definition (utils.py csv_converter), with no backslash before a
    closing quote (no User-Agent here ends with one)."""
    rows, row, i, n = [], [], 0, len(text)
    while i < n:
        if text[i] == '"':
            j, cell = i + 1, []
            while True:
                if text.startswith('\\"', j):
                    cell.append('"')
                    j += 2
                elif text[j] == '"':
                    break
                else:
                    cell.append(text[j])
                    j += 1
            row.append("".join(cell))
            i = j + 1
        else:
            j = i
            while text[j] not in ",\n":
                j += 1
            row.append(text[i:j])
            i = j
        if text[i] == "\n":
            rows.append(row)
            row = []
        i += 1
    return rows


def pandas_read(*paths, how="reader"):
    p = subprocess.run([DEBIAN_PYTHON, "-c", RUNNER, how] + list(paths), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=600)
    if p.returncode != 0:
        raise AssertionError("the documented pandas call failed:\n" + p.stderr[-3000:])
    return json.loads(p.stdout)


def run(args, **kw):
    p = subprocess.run([BIN, "--quiet"] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120, **kw)
    sp_accounting.check_run(p.stderr, p.returncode == 0)
    return p


class Csv(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        if not os.access(BIN, os.X_OK):
            raise RuntimeError("streamprobe binary not found at %s" % BIN)
        p = subprocess.run([DEBIAN_PYTHON, "-c", "import pandas"], stderr=subprocess.PIPE)
        if p.returncode != 0:
            raise RuntimeError("Debian's python3-pandas is missing (tools/install-deps.sh)")
        cls.tmp = tempfile.mkdtemp(prefix="sp-csv-")
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "sp-genpcap.py"), cls.tmp,
                        "--only", "tcp_fin_rst", "--only", "mixed"], check=True,
                       stdout=subprocess.DEVNULL)
        cls.hostile = os.path.join(cls.tmp, "hostile.pcap")
        hostile_pcap(cls.hostile, HOSTILE_UAS)
        # what the one-line call reads: no string ends with a backslash
        cls.hostile_simple = os.path.join(cls.tmp, "hostile-simple.pcap")
        hostile_pcap(cls.hostile_simple, HOSTILE_UAS[:-ENDS_WITH_BACKSLASH])

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("SP_KEEP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def test_stdout_is_the_default(self):
        pcap = self.path("tcp_fin_rst.pcap")
        p = run(["--pcap", pcap])
        self.assertEqual(p.returncode, 0, p.stderr)
        f = run(["--pcap", pcap, "--csv", self.path("default.csv")])
        self.assertEqual(f.returncode, 0, f.stderr)
        want = self.read(self.path("default.csv"))
        self.assertGreater(want.count(b"\n"), 1)
        self.assertEqual(p.stdout, want)
        # The status and performance lines stay off the CSV.
        self.assertNotIn(b"accounting:", p.stdout)
        # --no-csv: nothing anywhere (benchmarks), the flows still counted.
        n = run(["--pcap", pcap, "--no-csv"])
        self.assertEqual(n.returncode, 0, n.stderr)
        self.assertEqual(n.stdout, b"")
        self.assertRegex(n.stderr.decode(), r"flows: exported=[1-9]")

    def test_no_flow_gives_a_header(self):
        pcap = self.path("tcp_fin_rst.pcap")
        out = self.path("none.csv")
        args = ["--pcap", pcap, "--bpf-filter", "port 1", "--statistical-analysis"]
        p = run(args + ["--csv", out])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("flows: exported=0", p.stderr.decode())
        text = self.read(out).decode()
        full = run(["--pcap", pcap, "--csv", self.path("full.csv"),
                    "--statistical-analysis"])
        self.assertEqual(full.returncode, 0, full.stderr)
        header = self.read(self.path("full.csv")).decode().split("\n")[0]
        self.assertEqual(text, header + "\n")
        t = pandas_read(out)[0]
        self.assertEqual(t["columns"], header.split(","))
        self.assertEqual(t["rows"], [])
        s = run(args)
        self.assertEqual(s.stdout.decode(), header + "\n")

    def test_head_stops_the_run(self):
        """`--csv - | head -2`: the header and the first row, then streamprobe stops at the
        broken pipe although its input (a replay for 120 s) goes on."""
        err = open(self.path("head.err"), "w+")
        t0 = time.monotonic()
        sp = subprocess.Popen([BIN, "--quiet", "--pcap", self.path("mixed.pcap"),
                               "--replay-time", "120", "--idle-timeout", "1", "--csv", "-"],
                              stdout=subprocess.PIPE, stderr=err)
        head = subprocess.Popen(["head", "-2"], stdin=sp.stdout, stdout=subprocess.PIPE)
        sp.stdout.close()
        out = head.communicate(timeout=60)[0].decode()
        try:
            rc = sp.wait(timeout=30)
        except subprocess.TimeoutExpired:
            sp.kill()
            sp.wait()
            self.fail("streamprobe still running 30 s after head exited")
        took = time.monotonic() - t0
        err.seek(0)
        msg = err.read()
        err.close()
        lines = out.split("\n")
        self.assertEqual(len(lines), 3, out)
        self.assertTrue(lines[0].startswith("id,expiration_id,src_ip,"), out)
        self.assertEqual(len(parse_nfstream_csv(lines[1] + "\n")[0]),
                         len(lines[0].split(",")))
        self.assertEqual(rc, 0, msg)
        self.assertIn("streamprobe: -: the reader closed the pipe", msg)
        sp_accounting.check_accounting(msg)
        self.assertLess(took, 40, msg)

    def test_doc_holds_the_calls(self):
        with open(os.path.join(ROOT, "docs", "csv.md")) as f:
            doc = f.read()
        self.assertIn(PANDAS_READER, doc)
        self.assertIn(PANDAS_ONE_LINER, doc)

    def test_pandas_reads_hostile_strings(self):
        """The documented reader on User-Agents with quotes, commas, backslashes (one
        ending a string), newlines, "NaN" and "": the other columns as a run that
        anonymized the User-Agent has them (no hostile string left there, so plain
        parsing is exact), the User-Agent as sent, and its digest that run's digest."""
        out, anon, keyfile = self.path("hostile.csv"), self.path("hostile-anon.csv"), \
            self.path("hostile.key")
        key = bytes(range(100, 164))
        with open(keyfile, "wb") as f:
            f.write(key)
        p = run(["--pcap", self.hostile, "--csv", out])
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run(["--pcap", self.hostile, "--csv", anon, "--csv-anonymize", "user_agent",
                 "--csv-anonymize-key", keyfile])
        self.assertEqual(p.returncode, 0, p.stderr)
        ref = parse_nfstream_csv(self.read(anon).decode())
        header, rows = ref[0], ref[1:]
        ua = header.index("user_agent")
        t = pandas_read(out)[0]
        self.assertEqual(t["columns"], header)
        self.assertEqual(t["nan"], 0)
        self.assertEqual(len(t["rows"]), len(HOSTILE_UAS))
        for got, want in zip(t["rows"], rows):
            self.assertEqual(got[:ua] + got[ua + 1:], want[:ua] + want[ua + 1:])
            self.assertEqual(hashlib.blake2b(got[ua].encode(), digest_size=64,
                                             key=key).hexdigest(), want[ua], got[ua])
        self.assertEqual(sorted(r[ua] for r in t["rows"]), sorted(HOSTILE_UAS))
        # Numbers come back as numbers, strings as strings.
        types = dict(zip(t["columns"], t["dtypes"]))
        self.assertEqual(types["bidirectional_packets"], "int64")
        self.assertEqual(types["user_agent"], "object")

    def test_one_liner_without_trailing_backslash(self):
        out = self.path("hostile-simple.csv")
        p = run(["--pcap", self.hostile_simple, "--csv", out])
        self.assertEqual(p.returncode, 0, p.stderr)
        ref = parse_nfstream_csv(self.read(out).decode())
        t = pandas_read(out, how="one-liner")[0]
        self.assertEqual(t["columns"], ref[0])
        self.assertEqual(t["nan"], 0)
        self.assertEqual(t["rows"], ref[1:])
        self.assertEqual(pandas_read(out)[0], t)
        # plain pd.read_csv (NFStream's to_pandas()) does not read the dialect
        q = subprocess.run([DEBIAN_PYTHON, "-c", "import sys, pandas\n"
                            "df = pandas.read_csv(sys.argv[1], keep_default_na=False)\n"
                            "print(sorted(df['user_agent']))", out],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertNotEqual(q.stdout.strip(), str(sorted(HOSTILE_UAS[:-ENDS_WITH_BACKSLASH])))

    def test_anonymize_matches_hashlib(self):
        plain = self.path("plain.csv")
        keyfile = self.path("key")
        key = bytes((7 * i + 3) & 0xFF for i in range(64))
        with open(keyfile, "wb") as f:
            f.write(key)
        cols = ["src_ip", "src_port", "user_agent", "bidirectional_mean_ps", "src_mac"]
        anon = self.path("anon.csv")
        p = run(["--pcap", self.hostile_simple, "--csv", anon, "--statistical-analysis",
                 "--csv-anonymize", ",".join(cols), "--csv-anonymize-key", keyfile])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(run(["--pcap", self.hostile_simple, "--csv", plain,
                              "--statistical-analysis"]).returncode, 0)
        pr = parse_nfstream_csv(self.read(plain).decode())
        ar = parse_nfstream_csv(self.read(anon).decode())
        self.assertEqual(pr[0], ar[0])
        idx = [pr[0].index(c) for c in cols]
        self.assertEqual(len(ar), len(pr))
        for prow, arow in zip(pr[1:], ar[1:]):
            for i, (pv, av) in enumerate(zip(prow, arow)):
                if i in idx:
                    self.assertEqual(av, hashlib.blake2b(pv.encode(), digest_size=64,
                                                         key=key).hexdigest(), pr[0][i])
                else:
                    self.assertEqual(av, pv, pr[0][i])
        # Quoted as strings, as csv_converter() writes NFStream's hex digests.
        line = self.read(anon).decode().split("\n")[1]
        self.assertRegex(line, r'^0,0,"[0-9a-f]{128}",')
        # No key: a new one each run, so the digests differ from run to run.
        digests = []
        for n in range(2):
            out = self.path("rand%d.csv" % n)
            p = run(["--pcap", self.hostile_simple, "--csv", out, "--csv-anonymize", "src_ip"])
            self.assertEqual(p.returncode, 0, p.stderr)
            digests.append(parse_nfstream_csv(self.read(out).decode())[1][2])
            self.assertRegex(digests[-1], r"^[0-9a-f]{128}$")
        self.assertNotEqual(digests[0], digests[1])
        # A name that is no column stops the run before it starts; one this run lacks is
        # skipped with a warning (NFStream prints one too).
        p = run(["--pcap", self.hostile_simple, "--csv", out, "--csv-anonymize", "src_ipp"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("streamprobe: --csv-anonymize: 'src_ipp' is not a column", p.stderr.decode())
        p = run(["--pcap", self.hostile_simple, "--csv", out, "--n-dissections", "0",
                 "--csv-anonymize", "user_agent"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("streamprobe: --csv-anonymize: this run has no column 'user_agent'",
                      p.stderr.decode())
        with open(keyfile, "ab") as f:
            f.write(b"\n")
        p = run(["--pcap", self.hostile_simple, "--csv", out, "--csv-anonymize", "src_ip",
                 "--csv-anonymize-key", keyfile])
        self.assertEqual(p.returncode, 2)
        self.assertIn("exactly 64 bytes", p.stderr.decode())

    def test_flows_per_file(self):
        plain = self.path("all.csv")
        self.assertEqual(run(["--pcap", self.hostile_simple, "--csv", plain]).returncode, 0)
        lines = self.read(plain).decode().split("\n")
        header = lines[0]
        rows = parse_nfstream_csv(self.read(plain).decode())[1:]
        self.assertEqual(len(rows), 7)
        d = self.path("chunks")
        os.makedirs(d)
        p = run(["--pcap", self.hostile_simple, "--csv", os.path.join(d, "flows.csv"),
                 "--csv-flows-per-file", "2"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(sorted(os.listdir(d)), ["flows.%d.csv" % k for k in range(4)])
        got = []
        for k, n in ((0, 2), (1, 2), (2, 2), (3, 1)):
            text = self.read(os.path.join(d, "flows.%d.csv" % k)).decode()
            self.assertEqual(text.split("\n")[0], header)
            part = parse_nfstream_csv(text)[1:]
            self.assertEqual(len(part), n)
            got += part
        self.assertEqual(got, rows)
        shutil.rmtree(d)
        os.makedirs(d)
        p = run(["--pcap", self.hostile_simple, "--csv", os.path.join(d, "flows.csv"),
                 "--csv-flows-per-file", "2", "--csv-rotate-files", "2"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(sorted(os.listdir(d)), ["flows.0.csv", "flows.1.csv"])
        self.assertEqual(parse_nfstream_csv(self.read(os.path.join(d, "flows.0.csv"))
                                            .decode())[1:], rows[4:6])
        self.assertEqual(parse_nfstream_csv(self.read(os.path.join(d, "flows.1.csv"))
                                            .decode())[1:], rows[6:])


class CsvCorpus(unittest.TestCase):
    def test_pandas_reads_every_corpus_csv(self):
        files = sorted(glob.glob(os.path.join(CORPUS, "expected*", "*.csv.gz")))
        self.assertTrue(files)
        tmp = tempfile.mkdtemp(prefix="sp-csv-corpus-")
        try:
            plain, want = [], []
            for f in files:
                with gzip.open(f, "rt", encoding="utf-8", newline="") as g:
                    text = g.read()
                if not text:
                    continue        # NFStream writes nothing for 0 flows
                out = os.path.join(tmp, "%d.csv" % len(plain))
                with open(out, "w", encoding="utf-8", newline="") as o:
                    o.write(text)
                plain.append(out)
                rows = parse_nfstream_csv(text)
                want.append((f, rows[0], len(rows) - 1))
            for how in ("reader-summary", "one-liner-summary"):
                for t, (f, header, n) in zip(pandas_read(*plain, how=how), want):
                    self.assertEqual(t["columns"], header, f)
                    # a long row fails the call, a short one is padded with NaN
                    self.assertEqual(t["shape"], [n, len(header)], f)
                    self.assertEqual(t["nan"], 0, f)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["CsvCorpus"] and not glob.glob(os.path.join(CORPUS, "expected*",
                                                                    "*.csv.gz")):
        print("no corpus at %s: skipped" % CORPUS)
        sys.exit(77)
    unittest.main(verbosity=2)
