#!/usr/bin/env python3
"""--plugin through the real app.

* Every way a plugin can fail to load or start gives ONE line,
  "streamprobe: --plugin NAME: reason", and exit 2 (worker_init: exit 1):
  a missing plugin (by name, by path), an ABI mismatch, a shared object
  without sp_plugin_entry, a refusing configure(), a failing worker_init(),
  a bad option and a bad spec. The faulty plugins are tests/plugins/*.c,
  built as shared objects by tests/meson.build.
* The shipped slicer ends flows at their limit-th packet (expiration_id -1).
* tests/plugins/cols.c (a column of each type) in the CSV as NFStream
  writes udps values, in IPFIX as ipfixDump decodes it with the element
  file of --ipfix-elements, and its counters in the exit report and in
  telemetry (/streamprobe/plugins) while the run goes on.
* docs/plugins.md's example, after `meson install --destdir`, built out of
  tree with `cc -shared -fPIC $(pkg-config --cflags streamprobe-plugin)`
  against the installed header only, loaded by path; its columns checked in
  the CSV and in the IPFIX file.
"""
import csv
import io
import json
import os
import re
import shutil
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
BUILD = os.path.dirname(os.path.dirname(os.path.abspath(BIN)))
FIX = os.environ.get("SP_PLUGIN_FIXTURES", os.path.join(BUILD, "tests"))
REPORT = ("accounting:", "ignored:", "dropped:", "flows:", "workers:", "time:", "ipfix ",
          "replay:", "plugin ")
T0 = 1700000000


def run(args, **kw):
    p = subprocess.run([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=kw.pop("timeout", 120), **kw)
    sp_accounting.check_run(p.stderr, p.returncode == 0 and "--pcap" in args)
    return p


def messages(stderr):
    """The lines that are not the exit report."""
    return [l for l in stderr.splitlines() if l and not l.startswith(REPORT)]


def csum(h):
    s = sum(struct.unpack("!%dH" % (len(h) // 2), h))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff


def udp_frame(src, dst, sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip + udp


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", T0 + i, 0, len(fr), len(fr)) + fr)


A, B, C, M = (10, 0, 0, 1), (10, 0, 0, 2), (10, 0, 0, 3), (224, 0, 0, 251)


def capture(path):
    """Flow 1: five UDP packets both ways; flow 2: two packets, payload 0x07...;
    flow 3: one packet without payload."""
    frames = []
    for i in range(5):
        frames.append(udp_frame(A, B, 40000, 53, b"Q" * (10 + i)) if i % 2 == 0 else
                      udp_frame(B, A, 53, 40000, b"R" * (20 + i)))
    frames.append(udp_frame(C, M, 5353, 5353, b"\x07" + b"m" * 30))
    frames.append(udp_frame(C, M, 5353, 5353, b"\x08" + b"m" * 30))
    frames.append(udp_frame(A, C, 40001, 9, b""))
    write_pcap(path, frames)


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f, escapechar="\\", doublequote=False))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def ipfixdump(path, xml):
    """ipfixDump --data: each record's fields by element name (lists: their items)."""
    p = subprocess.run(["ipfixDump", "--in", path, "--element-file", xml, "--data"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    recs, rec, lst = [], None, None
    for line in p.stdout.split("\n"):
        if line.startswith("--- data record"):
            rec, lst = {}, None
            recs.append(rec)
            continue
        if rec is None:
            continue
        m = re.match(r"^\t\(([0-9/]+)\)\s+(\S+) : ?(.*)$", line)
        if m:
            if m.group(2) != "basicList":
                # strings: "(len: 8) say "hi""
                rec[m.group(2)] = re.sub(r"^\(len: \d+\) ", "", m.group(3))
            lst = None
            continue
        m = re.search(r"count: (\d+)\s+semantic: (\S+)\s+ie: \(([0-9/]+)\) (\S+)", line)
        if m:
            lst = rec[m.group(4)] = []
            continue
        m = re.match(r"^\t\t\t(\d+)\s*: (.*)$", line)
        if m and lst is not None:
            lst.append(re.sub(r"^\(len: \d+\) ", "", m.group(2)))
    return recs


class Plugins(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sp-plugins-")
        cls.pcap = os.path.join(cls.tmp, "udp.pcap")
        capture(cls.pcap)
        for f in ("abi", "nosym", "badconf", "badinit", "cols", "done"):
            if not os.path.isfile(os.path.join(FIX, f + ".so")):
                raise AssertionError("fixture %s.so not built in %s" % (f, FIX))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def fix(self, name):
        return os.path.join(FIX, name + ".so")

    def one_line(self, spec, rc, reason, extra=()):
        p = run(["--pcap", self.pcap, "--csv", os.path.join(self.tmp, "x.csv"),
                 "--plugin", spec] + list(extra))
        self.assertEqual(p.returncode, rc, p.stderr)
        lines = messages(p.stderr)
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertRegex(lines[0], reason)
        return lines[0]

    def test_faults(self):
        fix = re.escape(FIX)
        self.one_line("nosuch", 2, r"^streamprobe: --plugin nosuch: no such plugin \(shipped: "
                      r"[a-z0-9, -]*slicer[a-z0-9, -]*; load another by path, e\.g\. "
                      r"\./nosuch\.so\)$")
        self.one_line(os.path.join(self.tmp, "absent.so"), 2,
                      r"^streamprobe: --plugin %s/absent\.so: cannot load: .*No such file" %
                      re.escape(self.tmp))
        self.one_line(self.fix("abi"), 2, r"^streamprobe: --plugin %s/abi\.so: ABI version "
                      r"100, this streamprobe has 2 \(rebuild the plugin against its "
                      r"sp_plugin\.h\)$" % fix)
        self.one_line(self.fix("nosym"), 2, r"^streamprobe: --plugin %s/nosym\.so: no symbol "
                      r"sp_plugin_entry \(declare the plugin with SP_PLUGIN_REGISTER\)$" % fix)
        self.one_line(self.fix("badconf") + ":rules=/nonexistent", 2,
                      r"^streamprobe: --plugin %s/badconf\.so: option 'rules': cannot read "
                      r"'/nonexistent'$" % fix)
        self.one_line(self.fix("badinit"), 1,
                      r"^streamprobe: --plugin %s/badinit\.so: worker_init failed$" % fix)
        # bad options: the plugin's reason, and the spec syntax
        self.one_line("slicer:limit=x", 2,
                      r"^streamprobe: --plugin slicer: limit 'x' is not a packet count >= 1$")
        self.one_line("slicer:limit=2,,", 2, r"^streamprobe: --plugin slicer: empty option "
                      r"in 'slicer:limit=2,,' \(key=value,key=value\)$")
        self.one_line(self.fix("cols") + ":=1", 2,
                      r"^streamprobe: --plugin %s/cols\.so: option '=1' has no key$" % fix)

    def test_ndpi_first(self):
        # nDPI is the run's first plugin (registered by the loader): its
        # columns right after the core's, before every --plugin's, with its
        # optional ones; none at --n-dissections 0; a bad nDPI file is one
        # line, exit 2; --dpi-stats still reports each worker
        out = os.path.join(self.tmp, "ndpi.csv")
        p = run(["--pcap", self.pcap, "--csv", out, "--ndpi-risks", "--ndpi-extra",
                 "--plugin", self.fix("cols"), "--dpi-stats"])
        self.assertEqual(p.returncode, 0, p.stderr)
        head, rows = read_csv(out)
        i = head.index("dst2src_bytes")
        self.assertEqual(head[i + 1:i + 16], [
            "application_name", "application_category_name", "application_is_guessed",
            "application_confidence", "requested_server_name", "client_fingerprint",
            "server_fingerprint", "user_agent", "content_type", "application_risks",
            "application_risk_score", "dns_query_type", "dns_response_code", "tls_version",
            "tls_cipher"])
        self.assertTrue(all(h.startswith("udps.") for h in head[i + 16:]), head)
        self.assertGreater(len(head), i + 16)
        self.assertEqual(len(rows), 3)
        self.assertTrue(all(r["application_name"] != "" for r in rows), rows)
        self.assertRegex(p.stderr, r"(?m)^worker 0 dpi: flows_dissected=3 ")
        p = run(["--pcap", self.pcap, "--csv", out, "--n-dissections", "0",
                 "--plugin", self.fix("cols")])
        self.assertEqual(p.returncode, 0, p.stderr)
        head, _ = read_csv(out)
        self.assertNotIn("application_name", head)
        self.assertEqual(head[head.index("dst2src_bytes") + 1][:5], "udps.")
        p = run(["--pcap", self.pcap, "--csv", out, "--ndpi-protos", "/nonexistent"])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("streamprobe: nDPI: No such file or directory (check --ndpi-protos)\n",
                      p.stderr)

    def test_slicer(self):
        out = os.path.join(self.tmp, "slicer.csv")
        p = run(["--pcap", self.pcap, "--csv", out, "--plugin", "slicer:limit=2"])
        self.assertEqual(p.returncode, 0, p.stderr)
        _, rows = read_csv(out)
        got = sorted((r["src_port"], int(r["bidirectional_first_seen_ms"]),
                      int(r["bidirectional_packets"]), int(r["expiration_id"])) for r in rows)
        # 5 packets: 2 + 2 (each ended at its 2nd, -1) + 1 (end of input);
        # the third slice starts on packet 5 (src2dst)
        self.assertEqual(got, [("40000", T0 * 1000, 2, -1), ("40000", (T0 + 2) * 1000, 2, -1),
                               ("40000", (T0 + 4) * 1000, 1, 0), ("40001", (T0 + 7) * 1000, 1, 0),
                               ("5353", (T0 + 5) * 1000, 2, -1)])
        # limit 1: every packet a flow
        p = run(["--pcap", self.pcap, "--csv", out, "--plugin", "slicer:limit=1"])
        _, rows = read_csv(out)
        self.assertEqual(len(rows), 8)
        self.assertEqual({r["expiration_id"] for r in rows}, {"-1"})

    def test_fifteen(self):
        """The most plugins a run takes, 15, with nDPI: 16 hooks. 14 done.so (done at each
        flow's first packet; they count the on_update calls the worker makes: none) and,
        last, the slicer in the flow mask's top bit: the flows are cut as with the slicer
        alone, the CSV is the same bytes. A 16th plugin is refused in one line."""
        alone = os.path.join(self.tmp, "alone.csv")
        out = os.path.join(self.tmp, "fifteen.csv")
        p = run(["--pcap", self.pcap, "--csv", alone, "--plugin", "slicer:limit=2"])
        self.assertEqual(p.returncode, 0, p.stderr)
        specs = [self.fix("done")] * 14 + ["slicer:limit=2"]
        args = ["--pcap", self.pcap, "--csv", out]
        for s in specs:
            args += ["--plugin", s]
        p = run(args)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(alone) as a, open(out) as b:
            self.assertEqual(b.read(), a.read())
        lines = [l for l in p.stderr.splitlines()
                 if l.startswith("plugin %s: " % self.fix("done"))]
        self.assertEqual(len(lines), 14, p.stderr)
        # 5 flows (the slicer cut flow 1 into 3); not one on_update call
        for l in lines:
            self.assertRegex(l, r": flows=5 updates=0 values_cut=0 bad_set=0$")
        p = run(args + ["--plugin", self.fix("done")])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(messages(p.stderr), ["streamprobe: --plugin: at most 15 plugins"])

    def test_plugin_info(self):
        """--plugin-info: each plugin's slot and record bytes and columns, then the total,
        on stdout; no input needed, nothing else started."""
        p = run(["--plugin", self.fix("cols"), "--plugin", "slicer:limit=3",
                 "--plugin", self.fix("done"), "--plugin-info", "--n-dissections", "0"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 4, p.stdout)
        self.assertRegex(lines[0], r"^plugin %s: slot_bytes=8 record_bytes=\d+ on_update=no "
                         r"columns=udps\.proto,udps\.bytes,.*,udps\.payload_first$" %
                         re.escape(self.fix("cols")))
        self.assertEqual(lines[1], "plugin slicer: slot_bytes=0 record_bytes=0 on_update=yes "
                         "columns=")
        self.assertEqual(lines[2], "plugin %s: slot_bytes=0 record_bytes=0 on_update=yes "
                         "columns=" % self.fix("done"))
        rec = int(re.search(r"record_bytes=(\d+)", lines[0]).group(1))
        self.assertEqual(lines[3], "plugins: n=3 slot_bytes=8 record_bytes=%d" % rec)
        # nDPI (the default) is the internal first plugin: its line comes first, and its
        # slot and record bytes count in the total
        p = run(["--plugin", "slicer:limit=3", "--plugin-info"])
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 3, p.stdout)
        m = re.match(r"^plugin ndpi \(internal, --n-dissections 20\): slot_bytes=(\d+) "
                     r"record_bytes=(\d+) on_update=yes columns=application_name,", lines[0])
        self.assertIsNotNone(m, lines[0])
        self.assertEqual(lines[2], "plugins: n=1 and ndpi slot_bytes=%s record_bytes=%s"
                         % (m.group(1), m.group(2)))

    def test_cols_csv(self):
        out = os.path.join(self.tmp, "cols.csv")
        p = run(["--pcap", self.pcap, "--csv", out, "--plugin", self.fix("cols"),
                 "--plugin", "slicer:limit=100"])
        self.assertEqual(p.returncode, 0, p.stderr)
        header, rows = read_csv(out)
        self.assertEqual(header[-8:], ["udps.proto", "udps.bytes", "udps.mean_size",
                                       "udps.note", "udps.ports", "udps.tags", "udps.none",
                                       "udps.payload_first"])
        # core, then nDPI's, then the plugins'
        self.assertLess(header.index("content_type"), header.index("udps.proto"))
        self.assertEqual(len(rows), 3)
        with open(out) as f:
            raw = f.read().splitlines()
        for r, line in zip(rows, raw[1:]):
            by, pk = int(r["bidirectional_bytes"]), int(r["bidirectional_packets"])
            self.assertEqual(r["udps.proto"], "17")
            self.assertEqual(r["udps.bytes"], str(by))
            self.assertEqual(r["udps.mean_size"], repr(by / pk))
            self.assertEqual(r["udps.note"], 'say "hi"')
            self.assertEqual(r["udps.ports"], str([int(r["src_port"]), int(r["dst_port"])]))
            self.assertEqual(r["udps.tags"], str(["it's", 'a"b']))
            self.assertEqual(r["udps.none"], "")
            # the text itself, as NFStream's csv_converter writes it
            self.assertIn(',"say \\"hi\\"","[%s, %s]","[\\"it\'s\\", \'a\\"b\']",,' %
                          (r["src_port"], r["dst_port"]), line)
        first = {r["src_port"]: r["udps.payload_first"] for r in rows}
        self.assertEqual(first, {"40000": str(ord("Q")), "5353": "7", "40001": ""})
        self.assertIn("plugin %s: flows=3 values_cut=0 bad_set=0" % self.fix("cols"),
                      p.stderr.splitlines())
        # a plugin without counters (the slicer's are all 0) has no line
        self.assertFalse([l for l in p.stderr.splitlines() if l.startswith("plugin slicer")])

    def test_cols_anonymized(self):
        """--csv-anonymize takes plugin columns: blake2b of str(value), None left
        None, as NFStream's NFAnonymizer."""
        import hashlib
        out, keyf = os.path.join(self.tmp, "anon.csv"), os.path.join(self.tmp, "key")
        key = bytes(range(64))
        with open(keyf, "wb") as f:
            f.write(key)
        p = run(["--pcap", self.pcap, "--csv", out, "--plugin", self.fix("cols"),
                 "--csv-anonymize", "udps.tags,udps.mean_size,udps.none",
                 "--csv-anonymize-key", keyf])
        self.assertEqual(p.returncode, 0, p.stderr)
        _, rows = read_csv(out)

        def h(v):
            return hashlib.blake2b(str(v).encode(), digest_size=64, key=key).hexdigest()
        for r in rows:
            by, pk = int(r["bidirectional_bytes"]), int(r["bidirectional_packets"])
            self.assertEqual(r["udps.tags"], h(["it's", 'a"b']))
            self.assertEqual(r["udps.mean_size"], h(by / pk))
            self.assertEqual(r["udps.none"], "")	# None stays None (anonymizer.py)

    def test_cols_ipfix(self):
        if shutil.which("ipfixDump") is None:
            raise AssertionError("ipfixDump missing (run tools/install-deps.sh)")
        out, xml = os.path.join(self.tmp, "cols.ipfix"), os.path.join(self.tmp, "cols.xml")
        csvp = os.path.join(self.tmp, "cols2.csv")
        p = run(["--pcap", self.pcap, "--csv", csvp, "--ipfix", "file:" + out,
                 "--plugin", self.fix("cols")])
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run(["--plugin", self.fix("cols"), "--ipfix-elements", "xml"])
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(xml, "w") as f:
            f.write(p.stdout)
        self.assertIn("<name>udpsNote</name>", p.stdout)
        # the declared id, and the plugins' range for the others
        self.assertRegex(p.stdout, r"<name>udpsPayloadFirst</name>\s*<dataType>signed64"
                         r"</dataType>[\s\S]*?<elementId>8000</elementId>")
        _, rows = read_csv(csvp)
        recs = ipfixdump(out, xml)
        self.assertEqual(len(recs), len(rows))
        by_port = {r["src_port"]: r for r in rows}
        for rec in recs:
            r = by_port[rec["sourceTransportPort"]]
            self.assertEqual(rec["udpsProto"], "17")
            self.assertEqual(rec["udpsBytes"], r["bidirectional_bytes"])
            self.assertAlmostEqual(float(rec["udpsMeanSize"]), float(r["udps.mean_size"]))
            self.assertEqual(rec["udpsNote"], 'say "hi"')
            self.assertEqual(rec["udpsPorts"], [r["src_port"], r["dst_port"]])
            self.assertEqual(rec["udpsTags"], ["it's", 'a"b'])
            self.assertEqual(rec["udpsNone"], "0")	# IPFIX has no None
            self.assertEqual(rec["udpsPayloadFirst"], r["udps.payload_first"] or "0")

    def test_telemetry(self):
        """/streamprobe/plugins: each plugin's counters, summed over the workers, while
        the run goes on (its input a FIFO still open)."""
        fifo, out = os.path.join(self.tmp, "in.fifo"), os.path.join(self.tmp, "tel.csv")
        os.mkfifo(fifo)
        with open(self.pcap, "rb") as f:
            data = f.read()
        p = subprocess.Popen([BIN, "--telemetry", "--workers", "2", "--pcap", fifo, "--csv", out,
                              "--plugin", self.fix("cols"), "--plugin", "slicer:limit=2"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            w = open(fifo, "wb")
            # the capture, then a flow of 400 full-size packets: the reader
            # reads the FIFO in blocks, so these push the first ones through
            w.write(data)
            filler = udp_frame(A, B, 7000, 7001, b"f" * 1400)
            for i in range(400):
                w.write(struct.pack("<IIII", T0 + 10, i, len(filler), len(filler)) + filler)
            w.flush()
            path = "/var/run/dpdk/streamprobe%d/dpdk_telemetry.v2" % p.pid
            t0, s, got = time.monotonic(), None, None
            while time.monotonic() - t0 < 20:
                try:
                    if s is None:
                        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                        s.connect(path)
                        json.loads(s.recv(16384).decode())
                    s.send(b"/streamprobe/plugins")
                    got = json.loads(s.recv(1 << 16).decode())["/streamprobe/plugins"]
                    if got.get("0_cols", {}).get("flows", 0) >= 3:
                        break
                except OSError:
                    if s is not None:
                        s.close()
                    s = None
                time.sleep(0.05)
            if s is not None:
                s.close()
            # keyed by position and the plugin's own name (no '/' in telemetry
            # keys); flows ended by the slicer were written by cols meanwhile
            self.assertIsNotNone(got)
            self.assertEqual(sorted(got), ["0_cols", "1_slicer"])
            self.assertEqual(got["1_slicer"], {"plugin": "slicer", "values_cut": 0,
                                               "bad_set": 0})
            self.assertEqual(got["0_cols"]["plugin"], self.fix("cols"))
            self.assertGreaterEqual(got["0_cols"]["flows"], 3)
            w.close()
            _, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, err)
            sp_accounting.check_accounting(err)
            _, rows = read_csv(out)
            self.assertIn("plugin %s: flows=%d values_cut=0 bad_set=0" %
                          (self.fix("cols"), len(rows)), err.splitlines())
            self.assertGreaterEqual(len(rows), got["0_cols"]["flows"])
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()

    def test_help_and_elements_without_plugin(self):
        # --ipfix-elements with no plugin has none of their elements
        p = run(["--ipfix-elements", "csv"])
        self.assertEqual(p.returncode, 0)
        self.assertNotIn("udps", p.stdout)


def docs_example():
    """The C code block of docs/plugins.md that defines SP_PLUGIN_REGISTER(...)."""
    with open(os.path.join(ROOT, "docs", "plugins.md")) as f:
        text = f.read()
    blocks = re.findall(r"```c\n(.*?)```", text, re.S)
    code = [b for b in blocks if "SP_PLUGIN_REGISTER(" in b]
    assert len(code) == 1, "docs/plugins.md: one example plugin expected"
    return code[0]


class OutOfTree(unittest.TestCase):
    """docs/plugins.md's tutorial, against an installed streamprobe."""

    def test_example_plugin(self):
        for tool in ("cc", "pkg-config", "ipfixDump"):
            if shutil.which(tool) is None:
                raise AssertionError("%s missing (run tools/install-deps.sh)" % tool)
        tmp = tempfile.mkdtemp(prefix="sp-plugin-oot-")
        try:
            self.example(tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def example(self, tmp):
        dest = os.path.join(tmp, "dest")
        p = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--destdir", dest],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.assertEqual(p.returncode, 0, p.stdout)
        intro = json.loads(subprocess.run(["meson", "introspect", BUILD, "--buildoptions"],
                                          stdout=subprocess.PIPE, text=True).stdout)
        opt = {o["name"]: o["value"] for o in intro}
        prefix = dest + opt["prefix"]
        pcdir = os.path.join(prefix, opt["libdir"], "pkgconfig")
        self.assertTrue(os.path.isfile(os.path.join(pcdir, "streamprobe-plugin.pc")))
        self.assertTrue(os.path.isfile(os.path.join(prefix, opt["includedir"], "streamprobe",
                                                    "sp_plugin.h")))
        src = os.path.join(tmp, "example", "sizes.c")
        os.makedirs(os.path.dirname(src))
        with open(src, "w") as f:
            f.write(docs_example())
        # the tutorial's command; the destdir stands for the root
        env = dict(os.environ, PKG_CONFIG_PATH=pcdir, PKG_CONFIG_SYSROOT_DIR=dest)
        cflags = subprocess.run(["pkg-config", "--cflags", "streamprobe-plugin"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(cflags.returncode, 0, cflags.stderr)
        self.assertIn(os.path.join(prefix, opt["includedir"], "streamprobe"), cflags.stdout)
        libs = subprocess.run(["pkg-config", "--libs", "streamprobe-plugin"], env=env,
                              stdout=subprocess.PIPE, text=True).stdout.strip()
        self.assertEqual(libs, "")	# sp_plugin_*() come from the executable
        so = os.path.join(tmp, "example", "sizes.so")
        cc = subprocess.run(["cc", "-shared", "-fPIC", "-Wall", "-Werror", "-o", so, src] +
                            cflags.stdout.split(), cwd=os.path.dirname(src),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.assertEqual(cc.returncode, 0, cc.stdout)
        pcap = os.path.join(tmp, "udp.pcap")
        capture(pcap)
        binary = os.path.join(prefix, opt["bindir"], "streamprobe")
        out, ipf, xml = (os.path.join(tmp, n) for n in ("o.csv", "o.ipfix", "o.xml"))
        p = subprocess.run([binary, "--pcap", pcap, "--csv", out, "--ipfix", "file:" + ipf,
                            "--plugin", so + ":n=2"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        sp_accounting.check_accounting(p.stderr)
        header, rows = read_csv(out)
        self.assertEqual(header[-2:], ["udps.payload_sizes", "udps.max_payload"])
        sizes = {r["src_port"]: (r["udps.payload_sizes"], r["udps.max_payload"]) for r in rows}
        # n=2: the first two packets' payloads (10 and 21 bytes for flow 1)
        self.assertEqual(sizes, {"40000": ("[10, 21]", "21"), "5353": ("[31, 31]", "31"),
                                 "40001": ("[0]", "0")})
        p = subprocess.run([binary, "--plugin", so, "--ipfix-elements", "xml"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(xml, "w") as f:
            f.write(p.stdout)
        recs = ipfixdump(ipf, xml)
        got = {r["sourceTransportPort"]: (r["udpsPayloadSizes"], r["udpsMaxPayload"])
               for r in recs}
        self.assertEqual(got, {"40000": (["10", "21"], "21"), "5353": (["31", "31"], "31"),
                               "40001": (["0"], "0")})
        # a bad option: the example's own reason, one line
        p = subprocess.run([binary, "--pcap", pcap, "--plugin", so + ":n=99"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stderr, "streamprobe: --plugin %s: option 'n': sizes takes "
                         "n=1..32\n" % so)


if __name__ == "__main__":
    unittest.main(verbosity=2)
