#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""IPFIX export decoded by real collectors, value for value against the CSV.

    python3 tests/integration/test_ipfix.py [-v] [-k PATTERN]

streamprobe writes the CSV of generated captures (tools/sp-genpcap.py 'mixed',
with all 89 columns and with the core columns only) and, when the conformance
corpus is there ($SP_CORPUS, else ../shared/corpus), of a few corpus captures
chosen for IPv6, HTTP and TLS strings, odd DNS names and tunnels. ipfix_replay
(built next to this test) parses each CSV back into flow records, which the
CSV exporter must write again byte for byte, and sends them through the IPFIX
exporter. Four independent decoders from Debian then read the result:

* ipfixDump (libfixbuf-tools), on file: output, with our element XML;
* nfcapd + nfdump, collecting UDP on loopback;
* tshark's cflow dissector, on a capture of the same UDP traffic;
* python3-ipfix, on the file and as a TCP collector that restarts mid-run.

For every flow and every element a decoder understands, the decoded value must
equal the CSV value (floats: exactly, except ipfixDump, which prints 8
significant digits); every flow must be present; no decoder may report a
decode error, a missing template or a sequence number gap. A missing decoder
binary fails the test (tools/install-deps.sh installs them all).

$STREAMPROBE and $IPFIX_REPLAY name the binaries (default: under build/).
$SP_KEEP=1 keeps the work directory.
"""

import atexit
import collections
import csv
import datetime
import io
import ipaddress
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
import xml.etree.ElementTree as ET

import sp_accounting

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
STREAMPROBE = os.environ.get("STREAMPROBE") or os.path.join(REPO, "build", "app", "streamprobe")
REPLAY = os.environ.get("IPFIX_REPLAY") or os.path.join(REPO, "build", "tests", "ipfix_replay")
PYCOLLECTOR = os.path.join(HERE, "ipfix_pycollector.py")
SYS_PYTHON = "/usr/bin/python3"	# python3-ipfix is a Debian package
GENERATOR = os.path.join(REPO, "tools", "sp-genpcap.py")
PEN = 32473
ENV = dict(os.environ, TZ="UTC", LC_ALL="C")

CORPUS_PCAPS = ["http_ipv6.pcap", "443-chrome.pcap", "ja3_lots_of_cipher_suites.pcap",
                "http-manipulated.pcap", "dns-invalid-chars.pcap", "dns_long_domainname.pcap",
                "gtp-u.pcap", "1kxun.pcap"]


def corpus_dir():
    for d in (os.environ.get("SP_CORPUS"), os.path.join(REPO, "..", "shared", "corpus"),
              os.path.join(REPO, "..", "..", "shared", "corpus")):
        if d and os.path.isdir(os.path.join(d, "pcaps")):
            return os.path.abspath(d)
    return None


def run(cmd, timeout=120, env=ENV, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=timeout, env=env, **kw)
    if cmd[0] == STREAMPROBE:
        sp_accounting.check_run(p.stderr, p.returncode == 0)
    if p.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s%s" % (" ".join(cmd), p.returncode,
                                                        p.stdout[-3000:], p.stderr[-3000:]))
    return p


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def stop(proc, sig=signal.SIGTERM, timeout=20):
    """Stop a process this test started (by its own handle, never by name)."""
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for f in (proc.stdout, proc.stderr):
        if f is not None:
            f.close()


def read(path):
    with open(path) as f:
        return f.read()


# --------------------------------------------------------------------------
# The CSV, as streamprobe (NFStream to_csv) writes it.

def split_row(line):
    """Fields of one line: quoted fields lose their quotes, \\" becomes "."""
    out, i, n = [], 0, len(line)
    while True:
        if i < n and line[i] == '"':
            i += 1
            buf = []
            while i < n and line[i] != '"':
                if line[i] == "\\" and i + 1 < n and line[i + 1] == '"':
                    i += 1
                buf.append(line[i])
                i += 1
            i += 1
            out.append("".join(buf))
        else:
            j = i
            while i < n and line[i] != ",":
                i += 1
            out.append(line[j:i])
        if i < n and line[i] == ",":
            i += 1
            continue
        return out


def load_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    header = lines[0].split(",")
    rows = []
    for line in lines[1:]:
        if line == "":
            continue
        vals = split_row(line)
        if len(vals) != len(header):
            raise AssertionError("%s: %d fields in %r" % (path, len(vals), line[:200]))
        rows.append(dict(zip(header, vals)))
    return header, rows


# --------------------------------------------------------------------------
# The published elements (what each column becomes), from the generator.

class Elements:
    """Column -> element, read from ipfix_replay --elements csv."""

    def __init__(self, csv_path):
        out = run([REPLAY, "--elements", "csv", "--csv-in", csv_path]).stdout
        self.by_col = collections.defaultdict(list)
        for r in csv.DictReader(io.StringIO(out)):
            e = {"pen": int(r["EnterpriseId"]), "id": int(r["ElementID"]), "name": r["Name"],
                 "type": r["Abstract Data Type"], "len": r["Length"], "col": r["Column"]}
            self.by_col[r["Column"]].append(e)

    def field(self, col, v6):
        """The template element of a column (basicList for lists)."""
        cands = self.by_col[col]
        if cands[0]["type"] in ("ipv4Address", "ipv6Address"):
            want = "ipv6Address" if v6 else "ipv4Address"
            return [e for e in cands if e["type"] == want][0]
        return cands[0]

    def item(self, col):
        """The listed element of a basicList column."""
        return self.by_col[col][1]


def expected(col, text, etype, name):
    """The value a CSV cell stands for, as the element type holds it."""
    if name == "flowEndReason":
        return {0: 1, 1: 2, -1: 3}.get(int(text), 4)
    if etype in ("unsigned8", "unsigned16", "unsigned32", "unsigned64", "signed8",
                 "signed16", "signed32", "signed64", "dateTimeMilliseconds"):
        return int(text)
    if etype == "float64":
        return float(text)
    if etype in ("ipv4Address", "ipv6Address"):
        return ipaddress.ip_address(text)
    if etype == "macAddress":
        return bytes.fromhex(text.replace(":", ""))
    if etype == "octetArray":
        return bytes.fromhex(text.replace(":", ""))
    if etype == "string":
        return text
    if etype == "basicList":
        return [int(x) for x in text.strip("[]").split(",") if x.strip() != ""]
    raise AssertionError("no rule for %s (%s)" % (col, etype))


def decode_bytes(b, etype):
    """An element's value from its bytes (for tshark's raw values)."""
    if etype.startswith("unsigned") or etype == "dateTimeMilliseconds":
        return int.from_bytes(b, "big")
    if etype.startswith("signed"):
        return int.from_bytes(b, "big", signed=True)
    if etype == "float64":
        return struct.unpack(">d", b)[0]
    if etype in ("ipv4Address", "ipv6Address"):
        return ipaddress.ip_address(b)
    if etype in ("macAddress", "octetArray"):
        return b
    if etype == "string":
        return b.decode("utf-8")
    raise AssertionError("no decoder for %s" % etype)


def decode_basiclist(b):
    """RFC 6313 basicList content: (semantic, pen, id, values)."""
    sem, fid, elen = b[0], struct.unpack(">H", b[1:3])[0], struct.unpack(">H", b[3:5])[0]
    off, pen = 5, 0
    if fid & 0x8000:
        pen = struct.unpack(">I", b[5:9])[0]
        off = 9
    vals = [int.from_bytes(b[i:i + elen], "big", signed=True)
            for i in range(off, len(b), elen)]
    return sem, pen, fid & 0x7fff, vals


class Mismatches:
    """Collects differences; a test fails on the first few, all counted."""

    def __init__(self, what):
        self.what = what
        self.items = []
        self.compared = 0

    def check(self, ok, fmt, *args):
        self.compared += 1
        if not ok:
            self.items.append(fmt % args)

    def assert_none(self, tc):
        print("  %s: %d values compared, %d mismatches" % (self.what, self.compared,
                                                         len(self.items)), file=sys.stderr)
        tc.assertEqual(self.items, [], "%s: %d mismatches of %d values:\n%s" % (
            self.what, len(self.items), self.compared, "\n".join(self.items[:20])))
        tc.assertGreater(self.compared, 0, self.what + ": nothing compared")


# --------------------------------------------------------------------------
# Decoders.

FIELD_RE = re.compile(r"^\t\(([0-9/]+)\)\s+(\S+) : ?(.*)$")
LIST_RE = re.compile(r"count: (\d+)\s+semantic: (\S+)\s+ie: \(([0-9/]+)\) (\S+)")
ITEM_RE = re.compile(r"^\t\t\t(\d+)\s*: (.*)$")


def ipfixdump(path, xml):
    """Records of ipfixDump --data output: (pen, id) -> printed value; lists apart."""
    p = run(["ipfixDump", "--in", path, "--element-file", xml, "--data"])
    recs, rec, lst = [], None, None
    for line in p.stdout.split("\n"):
        if line.startswith("--- data record"):
            rec = {"fields": {}, "lists": {}}
            recs.append(rec)
            lst = None
            continue
        if rec is None:
            continue
        m = FIELD_RE.match(line)
        if m:
            key = m.group(1)
            pen, eid = (int(key.split("/")[0]), int(key.split("/")[1])) if "/" in key \
                else (0, int(key))
            if (pen, eid) != (0, 291):
                rec["fields"][(pen, eid)] = m.group(3)
            lst = None
            continue
        m = LIST_RE.search(line)
        if m:
            k = m.group(3).split("/")
            lst = {"semantic": m.group(2), "count": int(m.group(1)), "values": []}
            rec["lists"][(int(k[0]), int(k[1]))] = lst
            continue
        m = ITEM_RE.match(line)
        if m and lst is not None:
            lst["values"].append(int(m.group(2)))
    return recs, p.stderr


def ipfixdump_value(printed, etype):
    if etype in ("unsigned8", "unsigned16", "unsigned32", "unsigned64", "signed8",
                 "signed16", "signed32", "signed64"):
        return int(printed)
    if etype == "dateTimeMilliseconds":
        d = datetime.datetime.strptime(printed, "%Y-%m-%d %H:%M:%S.%f")
        return (d - datetime.datetime(1970, 1, 1)) // datetime.timedelta(milliseconds=1)
    if etype in ("ipv4Address", "ipv6Address"):
        return ipaddress.ip_address(printed)
    if etype == "macAddress":
        return bytes.fromhex(printed.replace(":", ""))
    if etype == "octetArray":
        # ipfixDump prints a fixed octetArray of <= 8 bytes as a host-order integer.
        return int(printed).to_bytes(8, "little")
    if etype == "string":
        m = re.match(r"^\(len: (\d+)\) (.*)$", printed, re.S)
        return (int(m.group(1)), m.group(2))
    return printed


def pycollector_file(path, spec):
    p = run([SYS_PYTHON, PYCOLLECTOR, "file", path, "--spec", spec])
    return [json.loads(l) for l in p.stdout.split("\n") if l.startswith('{"conn": 0, "seq"')]


def compare_fields(tc, what, rows, header, el, recs, getter, float_exact=True):
    """recs: decoded records; getter(rec, element) -> decoded value or KeyError.
    float_exact=False: floats are compared as printed with 8 significant digits."""
    mm = Mismatches(what)
    by_id = {int(r["id"]): r for r in rows}
    seen = set()
    for rec in recs:
        fid = getter(rec, {"pen": 0, "id": 148, "type": "unsigned64", "name": "flowId"})
        row = by_id.get(fid)
        mm.check(row is not None, "flow id %r is not in the CSV", fid)
        mm.check(fid not in seen, "flow id %r twice", fid)
        seen.add(fid)
        if row is None:
            continue
        v6 = row["ip_version"] != "4"
        for col in header:
            e = el.field(col, v6)
            if e["type"] == "basicList":
                e = dict(el.item(col), type="basicList")
            want = expected(col, row[col], e["type"], e["name"])
            try:
                got = getter(rec, e)
            except KeyError:
                mm.check(False, "flow %d %s: element %d/%d missing", fid, col, e["pen"], e["id"])
                continue
            if e["type"] == "octetArray" and isinstance(got, bytes) and len(got) == 8:
                got = got[:len(want)]
            elif e["type"] == "float64" and not float_exact:
                want = "%.8g" % want
            mm.check(got == want, "flow %d %s (%d/%d %s): %r != CSV %r", fid, col, e["pen"],
                     e["id"], e["name"], got, want)
    mm.check(len(seen) == len(rows), "%d flows decoded of %d", len(seen), len(rows))
    mm.assert_none(tc)
    return mm.compared


# --------------------------------------------------------------------------
# Fixtures: captures, CSVs, element files.

WORK = tempfile.mkdtemp(prefix="sp-ipfix-it-")
if not os.environ.get("SP_KEEP"):
    atexit.register(shutil.rmtree, WORK, True)
else:
    print("test_ipfix: keeping %s" % WORK, file=sys.stderr)

CASES = []	# (name, csv path, header, rows)
CORPUS = corpus_dir()


def setUpModule():
    missing = [t for t in ("ipfixDump", "nfcapd", "nfdump", "tshark", "dumpcap")
               if shutil.which(t) is None]
    if not os.path.exists(SYS_PYTHON) or subprocess.run(
            [SYS_PYTHON, "-c", "import ipfix"], stderr=subprocess.DEVNULL).returncode != 0:
        missing.append("python3-ipfix")
    if missing:
        raise AssertionError("IPFIX decoders missing (run tools/install-deps.sh): %s" %
                             ", ".join(missing))
    for b in (STREAMPROBE, REPLAY):
        if not os.access(b, os.X_OK):
            raise AssertionError("%s is not built" % b)
    pcaps = os.path.join(WORK, "pcaps")
    run([sys.executable, GENERATOR, pcaps, "--only", "mixed"], timeout=300)
    todo = [("mixed", os.path.join(pcaps, "mixed.pcap"),
             ["--statistical-analysis", "--splt-analysis", "10"]),
            ("mixed-core", os.path.join(pcaps, "mixed.pcap"),
             ["--n-dissections", "0", "--no-decode-tunnels"])]
    if CORPUS is not None:
        for p in CORPUS_PCAPS:
            todo.append((p.rsplit(".", 1)[0], os.path.join(CORPUS, "pcaps", p),
                         ["--statistical-analysis", "--splt-analysis", "10"]))
    else:
        print("test_ipfix: no conformance corpus: generated captures only", file=sys.stderr)
    for name, pcap, opts in todo:
        out = os.path.join(WORK, name + ".csv")
        # the probe writes CSV and IPFIX in the same run: both are checked
        run([STREAMPROBE, "--pcap", pcap, "--csv", out, "--quiet", "--ipfix",
             "file:" + os.path.join(WORK, name + ".app.ipfix"), "--ipfix-domain", "7"] + opts,
            timeout=300)
        header, rows = load_csv(out)
        if not rows:
            raise AssertionError("%s: no flow" % name)
        CASES.append((name, out, header, rows))


def element_files(csv_path, tag):
    files = {}
    for fmt, ext in (("xml", "xml"), ("iespec", "iespec")):
        path = os.path.join(WORK, "%s.%s" % (tag, ext))
        with open(path, "w") as f:
            f.write(run([REPLAY, "--elements", fmt, "--csv-in", csv_path]).stdout)
        files[fmt] = path
    return files


# --------------------------------------------------------------------------
# Tests.

class ElementFiles(unittest.TestCase):
    """The element lists in docs/ are what the column table gives today."""

    def test_docs_in_sync(self):
        for fmt, path in (("xml", "docs/ipfix/streamprobe-elements.xml"),
                          ("csv", "docs/ipfix/streamprobe-elements.csv"),
                          ("iespec", "docs/ipfix/streamprobe-elements.iespec")):
            got = run([REPLAY, "--elements", fmt]).stdout
            with open(os.path.join(REPO, path)) as f:
                self.assertEqual(f.read(), got, "%s is stale: regenerate it with "
                                 "build/tests/ipfix_replay --elements %s > %s" %
                                 (path, fmt, path))
        md = run([REPLAY, "--elements", "md"]).stdout
        with open(os.path.join(REPO, "docs", "ipfix.md")) as f:
            doc = f.read()
        m = re.search(r"<!-- elements:begin -->\n(.*?)<!-- elements:end -->", doc, re.S)
        self.assertIsNotNone(m, "docs/ipfix.md lacks the elements markers")
        self.assertEqual(m.group(1), md, "docs/ipfix.md table is stale: replace it with "
                         "build/tests/ipfix_replay --elements md")

    def test_libfixbuf_reads_xml(self):
        # ipfixDump refuses an element file it cannot parse.
        xml = os.path.join(WORK, "all.xml")
        with open(xml, "w") as f:
            f.write(run([REPLAY, "--elements", "xml"]).stdout)
        empty = os.path.join(WORK, "empty.ipfix")
        open(empty, "wb").close()
        p = subprocess.run(["ipfixDump", "--in", empty, "--element-file", xml, "--stats"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, env=ENV)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("rror", p.stderr)


class FileExport(unittest.TestCase):
    """file: output, read by ipfixDump and by python3-ipfix."""

    def test_every_case(self):
        for name, path, header, rows in CASES:
            with self.subTest(case=name):
                self.one(name, path, header, rows)

    def one(self, name, path, header, rows):
        out = os.path.join(WORK, name + ".ipfix")
        back = os.path.join(WORK, name + ".back.csv")
        st = json.loads(run([REPLAY, "--csv-in", path, "--csv-out", back, "--ipfix",
                             "file:" + out, "--stats", "--domain", "7"]).stdout)
        # The records are the probe's: the CSV exporter writes them again byte for byte.
        with open(path, "rb") as a, open(back, "rb") as b:
            self.assertEqual(a.read(), b.read(), "%s: CSV round trip differs" % name)
        self.assertEqual((st["records"], st["records_dropped"], st["files"]),
                         (len(rows), 0, 1))
        # the replay's file and the probe's own file (same run as the CSV)
        self.decoded(name, out, path, header, rows)
        self.decoded(name + " (streamprobe --ipfix)", os.path.join(WORK, name + ".app.ipfix"),
                     path, header, rows)

    def decoded(self, name, out, path, header, rows):
        el = Elements(path)
        files = element_files(path, name.split()[0])

        stats = run(["ipfixDump", "--in", out, "--stats"]).stdout
        m = re.search(r"(\d+) Messages, (\d+) Data Records, (\d+) Template Records", stats)
        self.assertIsNotNone(m, stats)
        self.assertEqual(int(m.group(2)), len(rows), stats)
        self.assertEqual(int(m.group(3)), 2, stats)

        recs, err = ipfixdump(out, files["xml"])
        self.assertNotIn("sequence", err)
        self.assertNotIn("rror", err)
        self.assertEqual(len(recs), len(rows))

        def dump_get(rec, e):
            if e["type"] == "basicList":
                lst = rec["lists"][(e["pen"], e["id"])]
                if lst["semantic"] != "4-ordered" or lst["count"] != len(lst["values"]):
                    return ("bad list header", lst)
                return lst["values"]
            v = ipfixdump_value(rec["fields"][(e["pen"], e["id"])], e["type"])
            if e["type"] == "string":
                n, s = v
                return s if n == len(s.encode()) else ("length", n, s)
            return v

        # ipfixDump prints 8 significant digits of a float: compared at that precision
        compare_fields(self, "ipfixDump " + name, rows, header, el, recs, dump_get,
                       float_exact=False)

        # python3-ipfix: every value, floats exactly.
        prec = pycollector_file(out, files["iespec"])

        def py_get(rec, e):
            if e["type"] == "basicList":
                for pen, eid, v in rec["fields"]:
                    if (pen, eid) == (0, 291) and isinstance(v, dict):
                        sem, lpen, lid, vals = decode_basiclist(bytes.fromhex(v["hex"]))
                        if (lpen, lid) == (e["pen"], e["id"]):
                            return vals if sem == 4 else ("semantic", sem)
                raise KeyError(e["name"])
            for pen, eid, v in rec["fields"]:
                if (pen, eid) == (e["pen"], e["id"]):
                    if isinstance(v, dict):
                        return bytes.fromhex(v["hex"])
                    if e["type"] in ("ipv4Address", "ipv6Address"):
                        return ipaddress.ip_address(v)
                    return v
            raise KeyError(e["name"])

        compare_fields(self, "python3-ipfix " + name, rows, header, el, prec, py_get)


class UdpExport(unittest.TestCase):
    """udp:// output collected by nfcapd (read with nfdump) and captured by tshark."""

    def test_udp_collectors(self):
        port = free_port(socket.SOCK_DGRAM)
        nfdir = os.path.join(WORK, "nfcapd")
        os.makedirs(nfdir)
        cap = os.path.join(WORK, "udp.pcapng")
        nflog = open(os.path.join(WORK, "nfcapd.log"), "w")
        tslog = os.path.join(WORK, "tshark.log")
        tserr = open(tslog, "w")
        nfcapd = subprocess.Popen(["nfcapd", "-w", nfdir, "-b", "127.0.0.1", "-p", str(port),
                                   "-t", "3600", "-B", "8388608"], stdout=nflog,
                                  stderr=subprocess.STDOUT, env=ENV)
        tshark = subprocess.Popen(["tshark", "-i", "lo", "-f", "udp dst port %d" % port,
                                   "-w", cap, "-q"], stdout=subprocess.DEVNULL,
                                  stderr=tserr, env=ENV)
        try:
            deadline = time.time() + 30
            while "Capturing on" not in read(tslog):
                self.assertIsNone(tshark.poll(), read(tslog))
                self.assertLess(time.time(), deadline, "tshark did not start")
                time.sleep(0.1)
            time.sleep(0.5)
            sent = {}
            for k, (name, path, header, rows) in enumerate(CASES):
                # A domain per run: each run is a new exporter with its own numbering.
                st = json.loads(run([REPLAY, "--csv-in", path, "--ipfix",
                                     "udp://127.0.0.1:%d" % port, "--domain", str(100 + k),
                                     "--pace", "10:2", "--stats"]).stdout)
                self.assertEqual((st["records"], st["records_dropped"],
                                  st["messages_dropped"]), (len(rows), 0, 0), name)
                sent[100 + k] = st["messages"]
            time.sleep(1.5)
        finally:
            stop(tshark, signal.SIGINT)
            stop(nfcapd, signal.SIGTERM)
            nflog.close()
            tserr.close()
        self.check_nfdump(nfdir)
        self.check_tshark(cap, port, sent)

    def check_nfdump(self, nfdir):
        log = read(os.path.join(WORK, "nfcapd.log"))
        total = sum(len(rows) for _, _, _, rows in CASES)
        m = re.search(r"Flows: (\d+), .*Sequence Errors: (\d+), Bad Packets: (\d+)", log)
        self.assertIsNotNone(m, log)
        self.assertEqual((int(m.group(1)), int(m.group(2)), int(m.group(3))), (total, 0, 0),
                         log)
        out = run(["nfdump", "-R", nfdir, "-o", "json"]).stdout
        recs = json.loads(out) if out.strip() else []
        self.assertEqual(len(recs), total)

        def ms(text):
            d = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f")
            return (d - datetime.datetime(1970, 1, 1)) // datetime.timedelta(milliseconds=1)

        # What nfdump understands of a record, from the CSV and from nfdump.
        def from_csv(r):
            proto, dport = int(r["protocol"]), int(r["dst_port"])
            ports = (dport >> 8, dport & 0xff) if proto in (1, 58) else \
                (int(r["src_port"]), dport)
            return (proto, ipaddress.ip_address(r["src_ip"]), ipaddress.ip_address(r["dst_ip"]),
                    ports, int(r["bidirectional_first_seen_ms"]),
                    int(r["bidirectional_last_seen_ms"]), int(r["src2dst_packets"]),
                    int(r["src2dst_bytes"]), int(r["dst2src_packets"]), int(r["dst2src_bytes"]),
                    int(r["vlan_id"]), r["src_mac"], r["dst_mac"])

        def from_nfdump(j):
            proto = j["proto"]
            ports = (j["icmp_type"], j["icmp_code"]) if proto in (1, 58) else \
                (j["src_port"], j["dst_port"])
            src = j.get("src4_addr", j.get("src6_addr"))
            dst = j.get("dst4_addr", j.get("dst6_addr"))
            return (proto, ipaddress.ip_address(src), ipaddress.ip_address(dst), ports,
                    ms(j["first"]), ms(j["last"]), j["in_packets"], j["in_bytes"],
                    j.get("out_packets", 0), j.get("out_bytes", 0), j["src_vlan"],
                    j["in_src_mac"], j["in_dst_mac"])

        want = collections.Counter(from_csv(r) for _, _, _, rows in CASES for r in rows)
        got = collections.Counter(from_nfdump(j) for j in recs)
        self.assertEqual(got - want, collections.Counter(), "nfdump: unexpected records")
        self.assertEqual(want - got, collections.Counter(), "nfdump: records missing")
        self.assertEqual(sum(got.values()), total)

    TSHARK_IANA = {
        "cflow.flow_id": 148, "cflow.flow_end_reason": 136, "cflow.srcaddr": 8,
        "cflow.dstaddr": 12, "cflow.srcaddrv6": 27, "cflow.dstaddrv6": 28,
        "cflow.srcmac": 56, "cflow.dstmac": 80, "cflow.srcport": 7, "cflow.dstport": 11,
        "cflow.protocol": 4, "cflow.ip_version": 60, "cflow.vlanid": 58,
        "cflow.abstimestart": 152, "cflow.abstimeend": 153, "cflow.packets": 2,
        "cflow.octets": 1, "cflow.appl_name": 96, "cflow.application_category_name": 372,
        "cflow.http_user_agent": 468, "cflow.http_content_type": 469,
        "cflow.tcpflags": 6, "cflow.observation_time_milliseconds": 323,
    }

    def check_tshark(self, cap, port, sent):
        p = run(["tshark", "-r", cap, "-o", "cflow.max_template_fields:512",
                 "-d", "udp.port==%d,cflow" % port, "-T", "pdml"], timeout=600)
        root = ET.fromstring(p.stdout)
        msgs = collections.Counter()
        flows = collections.defaultdict(list)	# domain -> [record]
        problems = []
        for pkt in root.iter("packet"):
            cf = [pr for pr in pkt.iter("proto") if pr.get("name") == "cflow"]
            if len(cf) != 1:
                problems.append("a packet without one cflow layer")
                continue
            cf = cf[0]
            dom = None
            for f in cf.iter("field"):
                n = f.get("name") or ""
                if n == "cflow.od_id":
                    dom = int(f.get("show"))
                if n.startswith("_ws.expert") or n.startswith("_ws.malformed") or \
                        "unexpected_sequence" in n:
                    problems.append("%s: %s" % (n, f.get("showname")))
                if "no template found" in (f.get("show") or "") + (f.get("showname") or ""):
                    problems.append("no template found")
            msgs[dom] += 1
            for flow in cf.iter("field"):
                if not (flow.get("show") or "").startswith("Flow ") or flow.get("name"):
                    continue
                rec = []
                for f in flow.iter("field"):
                    n = f.get("name")
                    if n in ("cflow.string_len_short", "cflow.string_len_long",
                             "cflow.timedelta") or f is flow:
                        continue
                    rec.append((n, f.get("showname") or "", f.get("value") or "",
                                f.get("show") or ""))
                flows[dom].append(rec)
        self.assertEqual(problems[:10], [], "tshark reports problems")
        self.assertEqual(dict(msgs), sent, "messages captured per domain")

        def getter_for(rec):
            fields = {}
            lists = {}
            unknown = []
            for n, showname, value, show in rec:
                if n.startswith("cflow.tcpflags."):
                    continue	# the bits of cflow.tcpflags
                b = bytes.fromhex(value)
                if n == "cflow.enterprise_private_entry":
                    if "((null)) Type 291:" in showname:
                        sem, lpen, lid, vals = decode_basiclist(b)
                        lists[(lpen, lid)] = vals if sem == 4 else ("semantic", sem)
                        continue
                    m = re.search(r"\(Example Enterprise Number for Documentation Use\) "
                                  r"Type (\d+):", showname)
                    if m is None:
                        unknown.append(showname)
                        continue
                    fields[(PEN, int(m.group(1)))] = (b, None)
                elif n in self.TSHARK_IANA:
                    pen = 29305 if "(Reverse Type" in showname else 0
                    fields[(pen, self.TSHARK_IANA[n])] = (b, show)
                else:
                    unknown.append(n)
            return fields, lists, unknown

        mm = Mismatches("tshark")
        for k, (name, path, header, rows) in enumerate(CASES):
            el = Elements(path)
            by_id = {int(r["id"]): r for r in rows}
            seen = set()
            for rec in flows[100 + k]:
                fields, lists, unknown = getter_for(rec)
                mm.check(unknown == [], "%s: fields tshark shows that we did not send: %s",
                         name, unknown)
                fid = int.from_bytes(fields[(0, 148)][0], "big")
                row = by_id[fid]
                seen.add(fid)
                v6 = row["ip_version"] != "4"
                for col in header:
                    e = el.field(col, v6)
                    if e["type"] == "basicList":
                        e = el.item(col)
                        want = expected(col, row[col], "basicList", e["name"])
                        mm.check(lists.get((e["pen"], e["id"])) == want,
                                 "%s flow %d %s: %r != CSV %r", name, fid, col,
                                 lists.get((e["pen"], e["id"])), want)
                        continue
                    want = expected(col, row[col], e["type"], e["name"])
                    if (e["pen"], e["id"]) not in fields:
                        # tshark shows no item for an empty variable-length field.
                        mm.check(e["len"] == "variable" and want == "",
                                 "%s flow %d %s: %s missing", name, fid, col, e["name"])
                        continue
                    b, show = fields[(e["pen"], e["id"])]
                    got = decode_bytes(b, e["type"])
                    mm.check(got == want, "%s flow %d %s (%s): %r != CSV %r", name, fid, col,
                             e["name"], got, want)
                    # Where tshark interprets the element, its reading must agree too.
                    if show is not None and e["type"].startswith("unsigned") and \
                            e["name"] not in ("flowStartMilliseconds", "flowEndMilliseconds"):
                        mm.check(show == str(want), "%s flow %d %s: tshark shows %r",
                                 name, fid, col, show)
                    elif show is not None and e["type"] == "string":
                        mm.check(show == want or not want.isprintable() or
                                 not want.isascii(), "%s flow %d %s: tshark shows %r",
                                 name, fid, col, show)
                # The fields that are no column: first seen, each direction's flag OR
                # (from the counters the statistical cases have; the replay derives it).
                want = {(0, 323): int(row["bidirectional_first_seen_ms"])}
                if "src2dst_syn_packets" in row:
                    for pen, d in ((0, "src2dst"), (29305, "dst2src")):
                        want[(pen, 6)] = sum(b for f, b in FLAG_BITS.items()
                                             if int(row["%s_%s_packets" % (d, f)]) > 0)
                for key, v in want.items():
                    got = int.from_bytes(fields[key][0], "big") if key in fields else None
                    mm.check(got == v, "%s flow %d element %d/%d: %r != %r", name, fid,
                             key[0], key[1], got, v)
            mm.check(seen == set(by_id), "%s: flows missing from the capture: %s", name,
                     sorted(set(by_id) - seen)[:10])
        mm.assert_none(self)


class TcpRestart(unittest.TestCase):
    """tcp:// to python3-ipfix collectors; the collector restarts mid-run."""

    def collector(self, port, spec, out, *extra):
        p = subprocess.Popen([SYS_PYTHON, PYCOLLECTOR, "tcp", "--port", str(port), "--spec",
                              spec, "--out", out] + list(extra), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True, env=ENV)
        line = p.stdout.readline()
        if line.strip() != "listening":
            stop(p)
            self.fail("collector did not start: %r" % line)
        return p

    def restart_run(self, tag, extra_replay, abrupt=False, stop_after=100, down_s=0.4):
        name, path, header, rows = CASES[0]
        files = element_files(path, "tcp-" + tag)
        port = free_port(socket.SOCK_STREAM)
        out_a = os.path.join(WORK, "tcp-%s-a.jsonl" % tag)
        out_b = os.path.join(WORK, "tcp-%s-b.jsonl" % tag)
        a = self.collector(port, files["iespec"], out_a, "--stop-after", str(stop_after),
                           *(["--abrupt"] if abrupt else []))
        replay = subprocess.Popen([REPLAY, "--csv-in", path, "--ipfix",
                                   "tcp://127.0.0.1:%d" % port, "--pace", "10:20",
                                   "--reconnect-min-ms", "50", "--reconnect-max-ms", "200",
                                   "--linger-ms", "10000", "--stats"] + extra_replay,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  universal_newlines=True, env=ENV)
        b = None
        try:
            a.wait(timeout=60)
            self.assertEqual(a.returncode, 0, a.stderr.read())
            stop(a)
            self.assertIsNone(replay.poll(), "the exporter ended with the collector")
            time.sleep(down_s)		# the collector is away
            b = self.collector(port, files["iespec"], out_b)
            so, se = replay.communicate(timeout=120)
            self.assertEqual(replay.returncode, 0, "exporter failed:\n" + se)
            b.wait(timeout=60)
            self.assertEqual(b.returncode, 0, b.stderr.read())
        finally:
            for p in (a, b):
                if p is not None:
                    stop(p)
            if replay.poll() is None:
                stop(replay)
        st = json.loads(so)
        recs, msgs = [], []
        for k, conn_file in enumerate((out_a, out_b)):
            with open(conn_file) as f:
                for line in f:
                    j = json.loads(line)
                    j["conn"] = (k, j["conn"])	# collector run, connection
                    (recs if "fields" in j else msgs).append(j)
        el = Elements(path)
        ids = [next(v for pen, eid, v in r["fields"] if (pen, eid) == (0, 148)) for r in recs]
        unique = set(ids)
        return st, recs, unique, el, rows, header, msgs

    def check_values(self, what, recs, rows, header, el):
        # Every delivered record is the CSV's, values exact (duplicates of a resent
        # message included); compare_fields wants one record per flow.
        by_fid = {}
        for r in recs:
            fid = next(v for pen, eid, v in r["fields"] if (pen, eid) == (0, 148))
            by_fid.setdefault(fid, []).append(r)
        for fid, lst in by_fid.items():
            for other in lst[1:]:
                self.assertEqual(other["fields"], lst[0]["fields"], "a resent record differs")
        present = [lst[0] for lst in by_fid.values()]
        wanted = [r for r in rows if int(r["id"]) in by_fid]

        def py_get(rec, e):
            if e["type"] == "basicList":
                for pen, eid, v in rec["fields"]:
                    if (pen, eid) == (0, 291):
                        sem, lpen, lid, vals = decode_basiclist(bytes.fromhex(v["hex"]))
                        if (lpen, lid) == (e["pen"], e["id"]):
                            return vals
                raise KeyError(e["name"])
            for pen, eid, v in rec["fields"]:
                if (pen, eid) == (e["pen"], e["id"]):
                    if isinstance(v, dict):
                        return bytes.fromhex(v["hex"])
                    if e["type"] in ("ipv4Address", "ipv6Address"):
                        return ipaddress.ip_address(v)
                    return v
            raise KeyError(e["name"])

        compare_fields(self, what, wanted, header, el, present, py_get)

    def check_sequence(self, msgs, dropped):
        # Within a connection a message is numbered by the records before it. Records
        # the exporter had to drop keep their numbers, so the collector sees the loss
        # as a gap: the gaps add up to no more than the dropped count.
        by_conn = collections.defaultdict(list)
        for m in msgs:
            by_conn[m["conn"]].append(m)
        gaps = 0
        for conn, lst in by_conn.items():
            for prev, cur in zip(lst, lst[1:]):
                gap = cur["msg_seq"] - (prev["msg_seq"] + prev["records"])
                self.assertGreaterEqual(gap, 0, "sequence goes back on connection %r" %
                                        (conn,))
                gaps += gap
        self.assertLessEqual(gaps, dropped)
        if dropped == 0:
            self.assertEqual(gaps, 0)

    def test_graceful_restart_nothing_lost(self):
        st, recs, unique, el, rows, header, msgs = self.restart_run("graceful", [])
        self.assertGreaterEqual(st["connects"], 2)
        self.assertGreaterEqual(st["disconnects"], 1)
        self.assertEqual(st["records_dropped"], 0)
        self.assertEqual(unique, {int(r["id"]) for r in rows}, "flows missing")
        self.check_values("python3-ipfix tcp graceful", recs, rows, header, el)
        self.check_sequence(msgs, 0)

    def test_graceful_restart_small_buffer(self):
        # 16 KiB of queue while the collector is away for a second: most of what
        # is exported meanwhile is dropped, and counted.
        st, recs, unique, el, rows, header, msgs = self.restart_run(
            "small", ["--buffer", "16384"], down_s=1.0)
        self.assertGreater(st["records_dropped"], 0)
        self.assertEqual(len(unique) + st["records_dropped"], len(rows),
                         "delivered + dropped != exported")
        self.check_values("python3-ipfix tcp small buffer", recs, rows, header, el)
        self.check_sequence(msgs, st["records_dropped"])

    def test_abrupt_restart_no_crash(self):
        # A collector that dies leaves what its kernel acknowledged unread: IPFIX has
        # no application acknowledgement, so those can be lost without a count. The
        # exporter must reconnect and go on; all that arrives must be right.
        st, recs, unique, el, rows, header, msgs = self.restart_run("abrupt", [], abrupt=True)
        self.assertGreaterEqual(st["connects"], 2)
        self.assertLessEqual(len(unique) + st["records_dropped"], len(rows))
        self.assertGreater(len([r for r in recs if r["conn"][0] == 0]), 0)
        tail = {int(r["id"]) for r in rows[-50:]}
        self.assertTrue(tail <= unique, "records after the restart are missing")
        self.check_values("python3-ipfix tcp abrupt", recs, rows, header, el)


# --------------------------------------------------------------------------
# Losses: said while running, failing the run; UDP paced for a collector.

def many_flows_pcap(path, n, t0=1704067200.0):
    """n TCP conversations of 4 packets (client SYN, server SYN-ACK, client
    PSH-ACK with 100 bytes, client FIN-ACK) between distinct address pairs,
    starting 0.1 ms apart. With the default timeouts all of them end together
    at the end of the file: the burst that overruns a collector."""
    out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]

    def pkt(ts, src, dst, sport, dport, flags, payload=b""):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, 65535, 0, 0) + \
            payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0, src, dst) + \
            tcp
        fr = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip
        sec = int(ts)
        out.append(struct.pack("<IIII", sec, int(round((ts - sec) * 1e6)), len(fr), len(fr)) +
                   fr)

    for i in range(n):
        c = bytes([10, 1 + (i >> 16) % 200, (i >> 8) & 255, i & 255])
        srv = bytes([10, 250, (i >> 8) & 255, i & 255])
        sp, t = 1024 + i % 60000, t0 + i * 0.0001
        pkt(t, c, srv, sp, 80, 0x02)
        pkt(t + 0.001, srv, c, 80, sp, 0x12)
        pkt(t + 0.002, c, srv, sp, 80, 0x18, bytes(100))
        pkt(t + 0.003, c, srv, sp, 80, 0x11)
    with open(path, "wb") as f:
        f.write(b"".join(out))


IPFIX_LINE_RE = re.compile(r"^ipfix (\S+): records=(\d+) records_dropped=(\d+)", re.M)


def probe(args, timeout=300):
    """Run streamprobe; (returncode, stderr, {uri: (records, records_dropped)})."""
    p = subprocess.run([STREAMPROBE, "--quiet"] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=timeout, env=ENV)
    sp_accounting.check_run(p.stderr, p.returncode == 0)
    return p.returncode, p.stderr, {m.group(1): (int(m.group(2)), int(m.group(3)))
                                    for m in IPFIX_LINE_RE.finditer(p.stderr)}


class Nfcapd:
    """nfcapd on a free loopback port, into its own directory (stopped by its handle)."""

    def __init__(self, tag, buffer_bytes=None):
        self.port = free_port(socket.SOCK_DGRAM)
        self.dir = os.path.join(WORK, "nfcapd-" + tag)
        os.makedirs(self.dir)
        self.log = os.path.join(WORK, "nfcapd-%s.log" % tag)
        self.logf = open(self.log, "w")
        cmd = ["nfcapd", "-w", self.dir, "-b", "127.0.0.1", "-p", str(self.port), "-t", "3600"]
        if buffer_bytes:
            cmd += ["-B", str(buffer_bytes)]
        self.proc = subprocess.Popen(cmd, stdout=self.logf, stderr=subprocess.STDOUT, env=ENV)
        time.sleep(0.5)

    def stop(self):
        time.sleep(1.0)		# what is in flight arrives
        stop(self.proc, signal.SIGTERM)
        self.logf.close()
        m = re.search(r"Flows: (\d+), .*Sequence Errors: (\d+)", read(self.log))
        return (int(m.group(1)), int(m.group(2))) if m else (None, None)

    def count(self):
        out = run(["nfdump", "-R", self.dir, "-q", "-o", "fmt:%pr"]).stdout
        return len([l for l in out.split("\n") if l.strip()])


class ExportLoss(unittest.TestCase):
    """Losses the exporter knows of are warned about while running and fail the run."""

    @classmethod
    def setUpClass(cls):
        cls.pcap = os.path.join(WORK, "many20k.pcap")
        if not os.path.exists(cls.pcap):
            many_flows_pcap(cls.pcap, 20000)

    def test_tcp_never_listening(self):
        port = free_port(socket.SOCK_STREAM)
        uri = "tcp://127.0.0.1:%d" % port
        name, path, header, rows = CASES[0]
        rc, err, st = probe(["--pcap", os.path.join(WORK, "pcaps", "mixed.pcap"),
                             "--statistical-analysis", "--splt-analysis", "10", "--ipfix", uri])
        self.assertEqual(rc, 1, err)
        self.assertEqual(st[uri], (len(rows), len(rows)), err)
        self.assertIn("streamprobe: error: ipfix %s: %d records dropped (collector "
                      "unreachable: Connection refused)\n" % (uri, len(rows)), err)

    def test_tcp_warned_while_running(self):
        # The 64 KiB queue overflows early. A second, UDP, exporter paced at 20000
        # records/s makes the run last a second (offline it is otherwise over before
        # the first 100 ms tick): the warning comes while it goes on, then the error.
        port = free_port(socket.SOCK_STREAM)
        uri = "tcp://127.0.0.1:%d" % port
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind(("127.0.0.1", 0))
        try:
            rc, err, st = probe(["--pcap", self.pcap, "--n-dissections", "0",
                                 "--ipfix", uri, "--ipfix-buffer", "65536",
                                 "--ipfix", "udp://127.0.0.1:%d" % sink.getsockname()[1],
                                 "--ipfix-rate", "20000"])
        finally:
            sink.close()
        self.assertEqual(rc, 1, err)
        self.assertEqual(st[uri], (20000, 20000), err)
        warn = re.findall(r"^streamprobe: warning: ipfix %s: (\d+) records dropped \(collector "
                          r"unreachable: Connection refused\)$" % re.escape(uri), err, re.M)
        self.assertGreaterEqual(len(warn), 1, err)
        self.assertLess(sum(int(n) for n in warn), 20000, "a warning before the end")
        self.assertLess(err.index("warning: ipfix"), err.index("\nflows: exported="), err)
        self.assertIn("streamprobe: error: ipfix %s: 20000 records dropped" % uri, err)

    def test_udp_unreachable(self):
        # Nobody on the port: the ICMP errors the socket reports are losses.
        uri = "udp://127.0.0.1:%d" % free_port(socket.SOCK_DGRAM)
        rc, err, st = probe(["--pcap", self.pcap, "--n-dissections", "0", "--ipfix", uri])
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, r"streamprobe: error: ipfix %s: \d+ ICMP errors \(datagrams "
                         r"lost\) \(collector unreachable: Connection refused\)" %
                         re.escape(uri))

    def test_udp_default_pace_nfcapd_keeps_all(self):
        # nfcapd with its default receive buffer, streamprobe at its default pace for
        # files: every flow arrives. Unpaced, nfcapd loses a large part of them.
        cases = [("generated", [self.pcap], [])]
        if CORPUS is not None:
            full = ["--statistical-analysis", "--splt-analysis", "10"]
            cases.append(("synscan", [os.path.join(CORPUS, "pcaps", "synscan.pcap")], full))
            # The whole corpus in one run, a mix of thousands of flows (the fuzzed
            # captures aside: a cut one makes the run exit 1).
            every = sorted(os.path.join(CORPUS, "pcaps", p)
                           for p in os.listdir(os.path.join(CORPUS, "pcaps")) if "fuzz" not in p)
            cases.append(("corpus", every, full))
        for tag, pcaps, opts in cases:
            with self.subTest(capture=tag):
                nf = Nfcapd("pace-" + tag)
                uri = "udp://127.0.0.1:%d" % nf.port
                try:
                    args = sum((["--pcap", p] for p in pcaps), []) + opts + ["--ipfix", uri]
                    rc, err, st = probe(args)
                finally:
                    flows, seq_errors = nf.stop()
                self.assertEqual(rc, 0, err)
                records, dropped = st[uri]
                self.assertGreater(records, 1000)
                self.assertEqual(dropped, 0)
                self.assertEqual((flows, seq_errors), (records, 0), read(nf.log))
                self.assertEqual(nf.count(), records, "nfdump -r count != exported count")
        if CORPUS is None:
            self.skipTest("no conformance corpus: the corpus capture was not exported")


FLAG_BITS = {"syn": 0x02, "cwr": 0x80, "ece": 0x40, "urg": 0x20, "ack": 0x10, "psh": 0x08,
             "rst": 0x04, "fin": 0x01}


def nfdump_flags(bits):
    """nfdump 1.7's flag string: CEUAPRSF, '.' for a flag not set."""
    return "".join(c if bits & b else "." for c, b in zip("CEUAPRSF",
                                                          (0x80, 0x40, 0x20, 0x10, 0x08,
                                                           0x04, 0x02, 0x01)))


def ms_text(ms):
    """An epoch ms as nfdump prints it in UTC: 2024-01-01 00:00:00.138."""
    d = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)
    return d.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (ms % 1000)


def dur_text(ms):
    return "%02d:%02d:%02d.%03d" % (ms // 3600000, ms // 60000 % 60, ms // 1000 % 60, ms % 1000)


class NfdumpViews(unittest.TestCase):
    """What nfdump shows of streamprobe's own export: the default view's time (the
    NSEL build's event time: first seen here) and -o long's first seen, duration
    and TCP flags (tcpControlBits: the OR of src2dst's flags)."""

    def test_default_and_long_views(self):
        todo = [("mixed", os.path.join(WORK, "pcaps", "mixed.pcap"))]
        if CORPUS is not None:
            todo += [(p, os.path.join(CORPUS, "pcaps", p))
                     for p in ("443-chrome.pcap", "synscan.pcap", "http_ipv6.pcap")]
        nf = Nfcapd("views", 8 << 20)
        uri = "udp://127.0.0.1:%d" % nf.port
        rows = []
        try:
            for tag, pcap in todo:
                out = os.path.join(WORK, "views-%s.csv" % tag)
                rc, err, st = probe(["--pcap", pcap, "--statistical-analysis", "--csv", out,
                                     "--ipfix", uri])
                self.assertEqual(rc, 0, err)
                rows += load_csv(out)[1]
        finally:
            nf.stop()
        self.assertGreater(len(rows), 100)

        def s2d_flags(r):
            return sum(b for f, b in FLAG_BITS.items() if int(r["src2dst_%s_packets" % f]) > 0)

        # The default view: "Event time" leads every line.
        out = run(["nfdump", "-R", nf.dir, "-q"]).stdout
        got = collections.Counter(l[:23] for l in out.split("\n") if l.strip())
        want = collections.Counter(ms_text(int(r["bidirectional_first_seen_ms"])) for r in rows)
        self.assertEqual(got, want, "nfdump default view times:\n" + out[:1000])
        # -o long: first seen, duration, protocol, flags.
        out = run(["nfdump", "-R", nf.dir, "-q", "-o", "long"]).stdout
        long_re = re.compile(r"^(\S+ \S+)\s+(\S+)\s+(\S+)\s.*\s([CEUAPRSF.]{8})\s+\d+\s")
        got = collections.Counter()
        for line in out.split("\n"):
            if line.strip():
                m = long_re.match(line)
                self.assertIsNotNone(m, line)
                got[m.groups()] += 1
        proto = {"6": "TCP", "17": "UDP", "1": "ICMP", "58": "ICMP6"}
        want = collections.Counter(
            (ms_text(int(r["bidirectional_first_seen_ms"])),
             dur_text(int(r["bidirectional_duration_ms"])),
             proto.get(r["protocol"], r["protocol"]), nfdump_flags(s2d_flags(r)))
            for r in rows)
        self.assertEqual(got - want, collections.Counter(), "nfdump -o long: unexpected")
        self.assertEqual(want - got, collections.Counter(), "nfdump -o long: missing")
        self.assertGreater(sum(1 for r in rows if s2d_flags(r) != 0), 10)


if __name__ == "__main__":
    unittest.main(verbosity=2)
