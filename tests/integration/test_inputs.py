#!/usr/bin/env python3
"""What --pcap reads besides a plain file, through the real app: standard
input ("-" and /dev/stdin), a FIFO, gzip/xz/zstd compressed captures (plain
and through a pipe), a directory (its files in name order) and the replay
of standard input each give the CSV the plain files give. --pcap-pmd
refuses what the PMD cannot read, naming the option. A pcapng whose second
interface has another link type is named when met, before the report."""
import gzip
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import unittest

import sp_accounting

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STREAMPROBE", os.path.join(ROOT, "build", "app", "streamprobe"))


def pcap_records(path):
    """(ts_sec, ts_usec, caplen, len, data) of a little-endian us pcap."""
    with open(path, "rb") as f:
        data = f.read()
    assert struct.unpack("<I", data[:4])[0] == 0xA1B2C3D4
    off, out = 24, []
    while off < len(data):
        sec, usec, cap, ln = struct.unpack("<IIII", data[off:off + 16])
        out.append((sec, usec, ln, data[off + 16:off + 16 + cap]))
        off += 16 + cap
    return out


def ng_block(btype, body):
    ln = 12 + len(body)
    return struct.pack("<II", btype, ln) + body + struct.pack("<I", ln)


def ng_epb(iface, sec, usec, wire, frame):
    ts = sec * 1000000 + usec
    pad = b"\x00" * ((4 - len(frame) % 4) % 4)
    return ng_block(6, struct.pack("<IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(frame),
                                   wire) + frame + pad)


class Inputs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(BIN, os.X_OK):
            raise RuntimeError("streamprobe binary not found at %s" % BIN)
        if shutil.which("zstd") is None:
            raise RuntimeError("the zstd command is missing (tools/install-deps.sh installs it)")
        cls.tmp = tempfile.mkdtemp(prefix="sp-inputs-")
        for s in ("mixed", "multifile"):
            subprocess.run([sys.executable, os.path.join(ROOT, "tools", "sp-genpcap.py"),
                            cls.tmp, "--only", s], check=True, stdout=subprocess.DEVNULL)
        cls.mixed = os.path.join(cls.tmp, "mixed.pcap")
        cls.part1 = os.path.join(cls.tmp, "part1.pcap")
        cls.part2 = os.path.join(cls.tmp, "part2.pcap")
        cls.ref = cls.csv(["--pcap", cls.mixed])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def run_app(cls, args, stdin=None, timeout=120):
        out = os.path.join(cls.tmp, "out.csv")
        if os.path.exists(out):
            os.unlink(out)
        p = subprocess.run([BIN] + args + ["--csv", out, "--quiet"], stdin=stdin,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        sp_accounting.check_run(p.stderr, p.returncode == 0)
        csv = None
        if os.path.exists(out):
            with open(out, "rb") as f:
                csv = f.read()
        return p.returncode, p.stderr.decode(), csv

    @classmethod
    def csv(cls, args, stdin=None):
        rc, err, csv = cls.run_app(args, stdin)
        if rc != 0:
            raise AssertionError("%s: exit %d\n%s" % (args, rc, err))
        return csv

    def piped(self, path, args):
        """Run with the bytes of path on standard input, through a real pipe."""
        cat = subprocess.Popen(["cat", path], stdout=subprocess.PIPE)
        try:
            return self.run_app(args, stdin=cat.stdout)
        finally:
            cat.stdout.close()
            cat.wait()

    def assert_same(self, got, want=None, what=""):
        rc, err, csv = got
        self.assertEqual(rc, 0, "%s: %s" % (what, err))
        self.assertEqual(csv, self.ref if want is None else want, what)

    def compressed(self):
        """mixed.pcap as .gz, .xz and .zst (no telling suffix on one of them:
        the magic bytes decide, not the name)."""
        with open(self.mixed, "rb") as f:
            data = f.read()
        out = {}
        out["gzip"] = os.path.join(self.tmp, "mixed.pcap.gz")
        with gzip.open(out["gzip"], "wb") as f:
            f.write(data)
        out["xz"] = os.path.join(self.tmp, "mixed-xz.pcap")
        with lzma.open(out["xz"], "wb", preset=1) as f:
            f.write(data)
        out["zstd"] = os.path.join(self.tmp, "mixed.pcap.zst")
        subprocess.run(["zstd", "-q", "-f", self.mixed, "-o", out["zstd"]], check=True)
        return out

    def test_stdin(self):
        self.assert_same(self.piped(self.mixed, ["--pcap", "-"]), what="--pcap -")
        self.assert_same(self.piped(self.mixed, ["--pcap", "/dev/stdin"]), what="/dev/stdin")

    def test_stdin_twice_refused(self):
        rc, err, _ = self.piped(self.mixed, ["--pcap", "-", "--pcap", "-"])
        self.assertNotEqual(rc, 0)
        self.assertIn("streamprobe: --pcap -: standard input can be read once only", err)

    def test_fifo(self):
        fifo = os.path.join(self.tmp, "fifo")
        os.mkfifo(fifo)
        try:
            def feed():
                with open(fifo, "wb") as w, open(self.mixed, "rb") as r:
                    shutil.copyfileobj(r, w)
            t = threading.Thread(target=feed)
            t.start()
            try:
                got = self.run_app(["--pcap", fifo])
            finally:
                t.join(timeout=60)
            self.assert_same(got, what="FIFO")
        finally:
            os.unlink(fifo)

    def test_compressed(self):
        for kind, path in self.compressed().items():
            for extra in ([], ["--no-read-ahead"]):
                self.assert_same(self.run_app(["--pcap", path] + extra),
                                 what="%s %s" % (kind, extra))
            self.assert_same(self.piped(path, ["--pcap", "-"]), what=kind + " on stdin")

    def test_compressed_cut(self):
        """A compressed capture cut short: the records before the cut count,
        the error names the file and the decompressor's finding."""
        path = self.compressed()["gzip"]
        cut = os.path.join(self.tmp, "cut.pcap.gz")
        with open(path, "rb") as f:
            data = f.read()
        with open(cut, "wb") as f:
            f.write(data[:len(data) // 2])
        rc, err, _ = self.run_app(["--pcap", cut])
        self.assertEqual(rc, 1, err)
        self.assertIn("error: %s: read error: gzip: compressed data is truncated" % cut, err)

    def test_directory(self):
        d = os.path.join(self.tmp, "dir")
        os.mkdir(d)
        # written in the opposite order of their names: the names decide
        shutil.copy(self.part2, os.path.join(d, "b-second.pcap"))
        with open(self.part1, "rb") as r, gzip.open(os.path.join(d, "a-first.pcap.gz"),
                                                      "wb") as w:
            w.write(r.read())
        with open(os.path.join(d, ".hidden.pcap"), "wb") as f:
            f.write(b"not a capture: hidden files are left out")
        os.mkdir(os.path.join(d, "sub"))
        want = self.csv(["--pcap", self.part1, "--pcap", self.part2])
        # the order matters to this pair of files (the second one's earlier
        # times are clamped): reading them the other way round differs
        self.assertNotEqual(want, self.csv(["--pcap", self.part2, "--pcap", self.part1]))
        self.assert_same(self.run_app(["--pcap", d]), want, "directory")
        self.assert_same(self.run_app(["--pcap", d, "--bpf-filter", "udp or tcp"]),
                         self.csv(["--pcap", self.part1, "--pcap", self.part2,
                                   "--bpf-filter", "udp or tcp"]), "directory, BPF")
        empty = os.path.join(self.tmp, "empty-dir")
        os.mkdir(empty)
        rc, err, _ = self.run_app(["--pcap", empty])
        self.assertNotEqual(rc, 0)
        self.assertIn("streamprobe: %s: a directory without capture files" % empty, err)

    def test_pcap_pmd(self):
        """The PMD opens files by name: a directory of plain files is fine,
        standard input and compressed files are refused, naming the option."""
        d = os.path.join(self.tmp, "pmd-dir")
        os.mkdir(d)
        shutil.copy(self.part1, os.path.join(d, "1.pcap"))
        shutil.copy(self.part2, os.path.join(d, "2.pcap"))
        self.assert_same(self.run_app(["--pcap", d, "--pcap-pmd"]),
                         self.csv(["--pcap", self.part1, "--pcap", self.part2]), "PMD, dir")
        rc, err, _ = self.piped(self.mixed, ["--pcap", "-", "--pcap-pmd"])
        self.assertNotEqual(rc, 0)
        self.assertIn("streamprobe: --pcap-pmd: standard input: ", err)
        rc, err, _ = self.run_app(["--pcap", self.compressed()["xz"], "--pcap-pmd"])
        self.assertNotEqual(rc, 0)
        self.assertIn("streamprobe: --pcap-pmd: %s: " % self.compressed()["xz"], err)

    def test_replay(self):
        want = self.csv(["--pcap", self.mixed, "--replay-loops", "2"])
        self.assert_same(self.piped(self.compressed()["zstd"],
                                    ["--pcap", "-", "--replay-loops", "2"]), want,
                         "replay of compressed standard input")

    def test_pcapng_link_types(self):
        """Interface 1 is RAW, interface 0 Ethernet: libpcap rejects interface
        1 and fails at each of its packets; NFStream reads on past those
        errors, so interface 0's packets all count and interface 1's are
        skipped. The warning names the interface when met, the count of
        skipped packets follows at the file's end, both before the report;
        every input gives the flows of interface 0's packets alone."""
        recs = pcap_records(self.mixed)[:10]
        out = [ng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)),
               ng_block(1, struct.pack("<HHI", 1, 0, 262144))]
        out += [ng_epb(0, s, u, w, d) for s, u, w, d in recs[:5]]
        out.append(ng_block(1, struct.pack("<HHI", 101, 0, 262144)))
        for s, u, w, d in recs[5:]:
            out.append(ng_epb(0, s, u, w, d))
            if len(out) % 3 == 0:	# three of interface 1's among them
                out.append(ng_epb(1, s, u, w - 14, d[14:]))
        self.assertEqual(sum(b[:4] == b"\x06\x00\x00\x00" and b[8:12] == b"\x01\x00\x00\x00"
                             for b in out), 3)
        path = os.path.join(self.tmp, "two-links.pcapng")
        with open(path, "wb") as f:
            f.write(b"".join(out))
        plain = os.path.join(self.tmp, "interface0.pcap")
        with open(plain, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
            for s, u, w, d in recs:
                f.write(struct.pack("<IIII", s, u, len(d), w) + d)
        want = self.csv(["--pcap", plain])
        met = ("streamprobe: warning: %s: pcapng interface 1 has link type 101 (RAW), "
               "interface 0 has 1 (EN10MB); libpcap, which NFStream reads files with, takes one "
               "link type per file: the packets of that interface are skipped" % path)
        count = "streamprobe: warning: %s: %d packets skipped, of 1 pcapng interface" % (path, 3)
        for extra in ([], ["--no-read-ahead"], ["--pcap-pmd"], ["--replay-loops", "1"]):
            rc, err, csv = self.run_app(["--pcap", path] + extra)
            self.assertEqual(rc, 0, err)
            self.assertEqual(csv, want if extra != ["--replay-loops", "1"] else
                             self.csv(["--pcap", plain] + extra), extra)
            self.assertIn(met, err, extra)
            self.assertIn(count, err, extra)
            self.assertLess(err.index(met), err.index(count), extra)
            self.assertLess(err.index(count), err.index("accounting:"), extra)
            self.assertIn("accounting: received=10 ", err, extra)


if __name__ == "__main__":
    unittest.main(verbosity=2)
