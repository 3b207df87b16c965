#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Faults and security (issue 13, items 5 and 8): what a bad day does to a run.

    test_faults.py Faults     collectors down, refusing, restarting; SIGINT/SIGTERM at
                              random points; --max-nflows; bad profile, option, plugin
    test_faults.py Security   telemetry socket, plugin search, umask of the outputs
    test_faults.py DiskFull   CSV and IPFIX files on a full disk (a 64 KiB tmpfs mounted
                              here: exits 77, meson's SKIP, when mounting is not allowed)

Every capture is generated here (stdlib only). The input of the runs that must last is a
FIFO fed by a thread at a known pace: one single-packet UDP flow every 20 ms of wall time
and 2 s of packet time, so that with --idle-timeout 1 each packet ends the flow before it
and records leave while the run goes on. Every run that gets to its report has its
accounting line checked (received = in flows + ignored + filtered + dropped).
"""

import csv
import glob
import io
import os
import random
import re
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("STREAMPROBE", os.path.join(ROOT, "build", "app", "streamprobe"))
FIXTURES = os.environ.get("SP_PLUGIN_FIXTURES",
                          os.path.join(os.path.dirname(os.path.dirname(BIN)), "tests"))
T0 = 1704067200.0
REPORT = ("accounting:", "ignored:", "dropped:", "flows:", "workers:", "time:", "ipfix ", "replay:")

sys.path.insert(0, HERE)
try:
    from sp_accounting import check_accounting
except ImportError:
    ACCT_RE = re.compile(r"^accounting: received=(\d+) in_flows=(\d+) ignored=(\d+) "
                         r"filtered=(\d+) dropped=(\d+)$", re.M)

    def check_accounting(text):
        """The exit report's accounting line: one, and adding up."""
        acct = ACCT_RE.findall(text)
        assert len(acct) == 1, "expected one accounting line:\n" + text[-2000:]
        r, f, i, x, d = (int(v) for v in acct[0])
        assert r == f + i + x + d, "accounting does not add up:\n" + text[-2000:]
        return {"received": r, "in_flows": f, "ignored": i, "filtered": x, "dropped": d}


# --------------------------------------------------------------------------
# Captures

def pcap_header():
    return struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)


def udp_packet(i, t, payload_len=32):
    """One UDP packet of flow i (a 5-tuple of its own) at time t."""
    src = bytes([10, 1 + (i >> 16) % 200, (i >> 8) & 255, i & 255])
    dst = bytes([10, 250, 0, 1])
    payload = bytes(payload_len)
    udp = struct.pack("!HHHH", 1024 + i % 60000, 53, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst) + udp
    fr = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip
    sec = int(t)
    return struct.pack("<IIII", sec, int(round((t - sec) * 1e6)), len(fr), len(fr)) + fr


def write_pcap(path, n, step_s=0.0001):
    """n single-packet flows step_s apart: with the default timeouts all end together at the
    end of the file (the export burst)."""
    with open(path, "wb") as f:
        f.write(pcap_header() + b"".join(udp_packet(i, T0 + i * step_s) for i in range(n)))


class Feeder(threading.Thread):
    """Writes n flows into a FIFO, one every `every` s of wall time and 2 s of packet time.
    A reader that leaves early (a stopped run) is no error."""

    def __init__(self, fifo, n, every=0.02):
        super().__init__(daemon=True)
        self.fifo, self.n, self.every = fifo, n, every
        self.written = 0
        self.broken = False

    def run(self):
        try:
            with open(self.fifo, "wb", buffering=0) as w:
                w.write(pcap_header())
                for i in range(self.n):
                    w.write(udp_packet(i, T0 + 2.0 * i))
                    self.written += 1
                    time.sleep(self.every)
        except (BrokenPipeError, ConnectionResetError):
            self.broken = True


# --------------------------------------------------------------------------
# Outputs

def read_csv_complete(tc, path):
    """The CSV ends with a whole line and parses: every row has the header's fields and the
    ids run 0..n-1. Returns the rows (dicts)."""
    with open(path, "rb") as f:
        data = f.read()
    tc.assertTrue(data.endswith(b"\n"), "%s ends in a half line: %r" % (path, data[-80:]))
    rows = list(csv.reader(io.StringIO(data.decode())))
    tc.assertGreaterEqual(len(rows), 1, "no header")
    header = rows[0]
    for k, r in enumerate(rows[1:]):
        tc.assertEqual(len(r), len(header), "row %d of %s has %d fields" % (k, path, len(r)))
    ids = [int(r[0]) for r in rows[1:]]
    tc.assertEqual(ids, list(range(len(ids))), "ids of %s" % path)
    return [dict(zip(header, r)) for r in rows[1:]]


def ipfix_messages(data):
    """Split an IPFIX byte stream into messages; (messages, bytes left over)."""
    msgs, off = [], 0
    while off + 16 <= len(data):
        ver, length = struct.unpack_from("!HH", data, off)
        if ver != 10 or length < 16 or off + length > len(data):
            break
        msgs.append(data[off:off + length])
        off += length
    return msgs, len(data) - off


class IpfixDecoder:
    """Just enough RFC 7011 to count records and read flowId (IANA 148) per Transport
    Session: templates (set 2) define data sets (>= 256) in the same session."""

    def __init__(self):
        self.tmpl = {}

    def message(self, m):
        """[(set id, [flowId, ...])] of one message, in order; data of an unknown
        template raises."""
        out = []
        length = struct.unpack_from("!H", m, 2)[0]
        assert length == len(m)
        off = 16
        while off < length:
            sid, slen = struct.unpack_from("!HH", m, off)
            assert slen >= 4 and off + slen <= length, "bad set length"
            body = m[off + 4:off + slen]
            if sid == 2:
                self.templates(body)
                out.append((sid, []))
            elif sid >= 256:
                if sid not in self.tmpl:
                    raise AssertionError("data set %d before its template" % sid)
                out.append((sid, self.records(self.tmpl[sid], body)))
            off += slen
        return out

    def templates(self, b):
        p = 0
        while p + 4 <= len(b):
            tid, n = struct.unpack_from("!HH", b, p)
            p += 4
            fields = []
            for _ in range(n):
                eid, flen = struct.unpack_from("!HH", b, p)
                p += 4
                pen = 0
                if eid & 0x8000:
                    pen = struct.unpack_from("!I", b, p)[0]
                    p += 4
                fields.append((pen, eid & 0x7fff, flen))
            self.tmpl[tid] = fields

    @staticmethod
    def records(fields, b):
        ids, p = [], 0
        fixed = sum(f[2] for f in fields if f[2] != 65535)
        while len(b) - p >= max(fixed, 1):
            fid = None
            for pen, eid, flen in fields:
                if flen == 65535:
                    flen = b[p]
                    p += 1
                    if flen == 255:
                        flen = struct.unpack_from("!H", b, p)[0]
                        p += 2
                if (pen, eid) == (0, 148):
                    fid = int.from_bytes(b[p:p + flen], "big")
                p += flen
            assert p <= len(b), "record past its set"
            ids.append(fid)
        return ids


def read_ipfix_whole(tc, path):
    """The file is whole messages, the first with the templates; returns the flow ids."""
    with open(path, "rb") as f:
        data = f.read()
    msgs, left = ipfix_messages(data)
    tc.assertEqual(left, 0, "%s ends in a half message (%d bytes after the last whole one "
                   "of %d)" % (path, left, len(msgs)))
    dec, ids = IpfixDecoder(), []
    for m in msgs:
        for sid, recs in dec.message(m):
            ids += recs
    return ids


# --------------------------------------------------------------------------
# Running

def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def messages(stderr):
    """The lines that are not the exit report."""
    return [l for l in stderr.splitlines() if l and not l.startswith(REPORT)]


def exported(stderr):
    m = re.search(r"^flows: exported=(\d+)", stderr, re.M)
    return int(m.group(1)) if m else None


def ipfix_stats(stderr, uri):
    m = re.search(r"^ipfix %s: (.*)$" % re.escape(uri), stderr, re.M)
    return {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())} if m else None


def start(args, umask=None, env=None):
    def pre():
        if umask is not None:
            os.umask(umask)
    return subprocess.Popen([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=pre, env=env)


def run(args, timeout=120, **kw):
    p = start(args, **kw)
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out, err


def rundir_of(pid):
    """The EAL runtime directory a default run makes (root: /var/run/dpdk)."""
    base = os.environ.get("XDG_RUNTIME_DIR") if os.getuid() != 0 else None
    base = os.path.join(base, "dpdk") if base else ("/var/run/dpdk" if os.getuid() == 0
                                                     else "/tmp/dpdk")
    return os.path.join(base, "streamprobe%d" % pid)


class Collector(threading.Thread):
    """A raw TCP IPFIX collector: each accepted connection's messages kept in order.

    plan: one entry a connection: None (read to the end), or N: after N data records
    half-close and read on to the end (a graceful stop: nothing the exporter sent is lost),
    or -N: after N records reset the connection (a crash). Between connections the
    listener is closed for `gap` s (a restart: connections are refused meanwhile);
    `delay` s pass before the first listen (a collector not up yet)."""

    def __init__(self, port, plan, delay=0.0, gap=0.5):
        super().__init__(daemon=True)
        self.port, self.plan, self.delay, self.gap = port, plan, delay, gap
        self.conns = []
        self.error = None

    def listen(self):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.port))
        ls.listen(1)
        ls.settimeout(30)
        return ls

    def run(self):
        try:
            time.sleep(self.delay)
            for k, stop in enumerate(self.plan):
                if k > 0:
                    time.sleep(self.gap)
                ls = self.listen()
                c, _ = ls.accept()
                ls.close()		# refused until the next listen
                self.conns.append(self.serve(c, stop))
        except Exception as e:	# reported by the test
            self.error = e

    def serve(self, c, stop):
        c.settimeout(30)
        buf, msgs, dec, nrec, stopped = b"", [], IpfixDecoder(), 0, False
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            buf += chunk
            got, left = ipfix_messages(buf)
            buf = buf[len(buf) - left:]
            for m in got:
                msgs.append(m)
                nrec += sum(len(r) for _, r in dec.message(m))
            if stop is not None and nrec >= abs(stop) and not stopped:
                stopped = True
                if stop < 0:
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    break
                c.shutdown(socket.SHUT_WR)
        c.close()
        return msgs


def connection_ids(tc, msgs, what):
    """A connection's flow ids; it must start with its templates."""
    tc.assertGreater(len(msgs), 0, "%s: no message" % what)
    dec, ids, first = IpfixDecoder(), [], True
    for m in msgs:
        sets = dec.message(m)	# raises on data before its template
        if first:
            tc.assertEqual(sets[0][0], 2, "%s: the first set is no template set" % what)
            first = False
        for _, r in sets:
            ids += r
    return ids


# --------------------------------------------------------------------------

FLOWS = 100		# of a fed run: 2 s at one flow every 20 ms
FED = ["--idle-timeout", "1", "--n-dissections", "0", "--quiet"]


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sp-faults-")
        cls.big = os.path.join(cls.tmp, "big.pcap")
        write_pcap(cls.big, 3000)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, "%s-%s" % (self._testMethodName, name))

    def fifo(self):
        self.nfifo = getattr(self, "nfifo", 0) + 1
        f = self.path("fifo%d" % self.nfifo)
        os.mkfifo(f)
        return f

    def fed_run(self, args, n=FLOWS, every=0.02, during=None, timeout=60):
        """Run on a fed FIFO; during(proc) runs while it does. (rc, stderr, feeder)."""
        fifo = self.fifo()
        feeder = Feeder(fifo, n, every)
        p = start(["--pcap", fifo] + FED + args)
        feeder.start()
        try:
            if during is not None:
                during(p)
            _, err = p.communicate(timeout=timeout)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        feeder.join(10)
        return p.returncode, err, feeder


class Faults(Base):
    # ---- an idle management lcore still flushes every --flush-interval

    def test_csv_flushed_while_idle(self):
        """Flows expired while the input pauses (a FIFO held open) reach the CSV within
        the flush interval, though the management lcore sleeps between records (it waits
        on the workers' eventfds now, up to 1 ms at a time, not a 100 µs poll)."""
        fifo, csvp = self.fifo(), self.path("o.csv")
        p = start(["--pcap", fifo, "--csv", csvp, "--flush-interval", "50"] + FED)
        try:
            with open(fifo, "wb", buffering=0) as w:
                w.write(pcap_header())
                for rnd in range(3):
                    # 5 flows 2 s apart in packet time: each ends the one before
                    for i in range(5 * rnd, 5 * rnd + 5):
                        w.write(udp_packet(i, T0 + 2.0 * i))
                    fed, want = time.monotonic(), 5 * rnd + 4
                    while True:
                        rows = 0
                        if os.path.exists(csvp):
                            with open(csvp, "rb") as f:
                                rows = f.read().count(b"\n") - 1
                        if rows >= want:
                            break
                        self.assertLess(time.monotonic() - fed, 1.0,
                                        "round %d: %d of %d rows after 1 s idle" %
                                        (rnd, rows, want))
                        time.sleep(0.01)
                    self.assertEqual(rows, want)
                    time.sleep(0.3)	# idle: the management lcore's wait at its cap
            _, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 0, err)
        check_accounting(err)
        self.assertEqual(len(read_csv_complete(self, csvp)), 15)

    # ---- IPFIX collectors away, refusing, restarting: counted, retried, never fatal

    def test_tcp_refused_then_listening(self):
        # Nobody listens for the first 0.6 s (connects refused); the queue holds what is
        # exported meanwhile, and the collector gets everything, templates first.
        port = free_port(socket.SOCK_STREAM)
        uri = "tcp://127.0.0.1:%d" % port
        col = Collector(port, [None], delay=0.6)
        col.start()
        csvp = self.path("o.csv")
        rc, err, _ = self.fed_run(["--csv", csvp, "--ipfix", uri, "--ipfix-reconnect",
                                   "50:200"])
        col.join(30)
        self.assertIsNone(col.error)
        self.assertEqual(rc, 0, err)
        check_accounting(err)
        st = ipfix_stats(err, uri)
        self.assertEqual((st["records"], st["records_dropped"], st["connects"]),
                         (FLOWS, 0, 1), err)
        self.assertEqual(len(col.conns), 1)
        self.assertEqual(sorted(connection_ids(self, col.conns[0], "tcp")),
                         list(range(FLOWS)))
        self.assertEqual(len(read_csv_complete(self, csvp)), FLOWS)

    def restart(self, first_stop):
        port = free_port(socket.SOCK_STREAM)
        uri = "tcp://127.0.0.1:%d" % port
        col = Collector(port, [first_stop, None], gap=0.5)
        col.start()
        time.sleep(0.2)
        csvp = self.path("o.csv")
        rc, err, _ = self.fed_run(["--csv", csvp, "--ipfix", uri, "--ipfix-reconnect",
                                   "50:200"])
        col.join(30)
        self.assertIsNone(col.error)
        self.assertEqual(len(col.conns), 2, err)
        a = connection_ids(self, col.conns[0], "first connection")
        b = connection_ids(self, col.conns[1], "after the restart")
        st = ipfix_stats(err, uri)
        self.assertEqual((st["connects"], st["disconnects"]), (2, 1), err)
        self.assertEqual(len(read_csv_complete(self, csvp)), FLOWS)
        check_accounting(err)
        return rc, err, st, a, b

    def test_tcp_collector_restarts_gracefully(self):
        # Closed after 30 records (it reads what was sent until the exporter leaves), away
        # for 0.5 s, back: the exporter reconnects and sends the templates again before
        # any data; nothing is lost, the run succeeds.
        rc, err, st, a, b = self.restart(30)
        self.assertEqual(rc, 0, err)
        self.assertEqual(st["records_dropped"], 0, err)
        self.assertEqual(set(a) | set(b), set(range(FLOWS)))
        self.assertGreater(len(b), 0)

    def test_tcp_collector_crashes(self):
        # Reset after 30 records: what its kernel had acknowledged is lost without the
        # exporter knowing (IPFIX has no acknowledgement); the run goes on, reconnects,
        # and all flows after the restart arrive.
        rc, err, st, a, b = self.restart(-30)
        self.assertIn(rc, (0, 1), err)
        self.assertEqual(rc != 0, st["records_dropped"] != 0, err)
        self.assertTrue(set(range(FLOWS - 20, FLOWS)) <= set(b), "flows after the restart")

    def test_udp_port_unreachable(self):
        # Nobody on the UDP port: the ICMP errors are counted (warned while running, an
        # error at the end: exit 1), and the run goes on to its end: every flow is in the
        # CSV.
        uri = "udp://127.0.0.1:%d" % free_port(socket.SOCK_DGRAM)
        csvp = self.path("o.csv")
        rc, err, feeder = self.fed_run(["--csv", csvp, "--ipfix", uri])
        self.assertEqual(rc, 1, err)
        self.assertEqual(feeder.written, FLOWS)
        self.assertEqual(len(read_csv_complete(self, csvp)), FLOWS)
        check_accounting(err)
        self.assertEqual(ipfix_stats(err, uri)["records"], FLOWS, err)
        self.assertRegex(err, r"streamprobe: warning: ipfix %s: .*ICMP errors" %
                         re.escape(uri))
        self.assertRegex(err, r"streamprobe: error: ipfix %s: \d+ ICMP errors \(datagrams "
                         r"lost\) \(collector unreachable: Connection refused\)" %
                         re.escape(uri))
        self.assertLess(err.index("warning: ipfix"), err.index("accounting:"), err)

    def test_udp_collector_starts_late(self):
        # The UDP collector comes up 0.7 s into the run: what was sent before met ICMP
        # errors (counted: exit 1); the exporter sends the templates again at once rather
        # than at the next refresh (a minute later), so the collector decodes the flows
        # exported once it is up.
        port = free_port(socket.SOCK_DGRAM)
        uri = "udp://127.0.0.1:%d" % port
        got = {"ids": [], "undecodable": 0}
        stop = threading.Event()

        def collect():
            time.sleep(0.7)
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", port))
            s.settimeout(0.1)
            got["up"] = time.monotonic()
            dec = IpfixDecoder()
            while not stop.is_set():
                try:
                    d = s.recv(65536)
                except socket.timeout:
                    continue
                off = 16
                while off < len(d):	# as collectors do: data of no known template dropped
                    sid, slen = struct.unpack_from("!HH", d, off)
                    body = d[off + 4:off + slen]
                    if sid == 2:
                        dec.templates(body)
                    elif sid >= 256:
                        if sid in dec.tmpl:
                            got["ids"] += dec.records(dec.tmpl[sid], body)
                        else:
                            got["undecodable"] += 1
                    off += slen
            s.close()
        t = threading.Thread(target=collect, daemon=True)
        t.start()
        csvp = self.path("o.csv")
        try:
            rc, err, _ = self.fed_run(["--csv", csvp, "--ipfix", uri, "--flush-interval", "50"])
            time.sleep(0.3)
        finally:
            stop.set()
            t.join(10)
        self.assertEqual(rc, 1, err)
        check_accounting(err)
        self.assertEqual(len(read_csv_complete(self, csvp)), FLOWS)
        self.assertRegex(err, r"streamprobe: error: ipfix %s: \d+ ICMP errors" % re.escape(uri))
        # the last 40 flows were exported over the last 0.8 s, well after the collector
        # came up: all of them decoded
        self.assertTrue(set(range(FLOWS - 40, FLOWS)) <= set(got["ids"]),
                        "decoded %d records, %d data sets without their template" %
                        (len(got["ids"]), got["undecodable"]))

    # ---- SIGINT and SIGTERM at random points

    def check_stopped(self, rc, err, csvp, ipfp, what):
        """A stopped run: exit 0, the accounting, complete files with every exported flow."""
        self.assertEqual(rc, 0, "%s:\n%s" % (what, err))
        check_accounting(err)
        n = exported(err)
        self.assertEqual(len(read_csv_complete(self, csvp)), n, what)
        self.assertEqual(sorted(read_ipfix_whole(self, ipfp)), list(range(n)), what)
        self.assertEqual(messages(err), [], what)
        return n

    def test_signal_during_startup(self):
        # Anywhere in the first 0.3 s (options, nDPI, the EAL, the setup): the run stops
        # before reading, writes its (empty) outputs and report, and leaves no runtime
        # directory behind.
        for seed in range(6):
            rng = random.Random(seed)
            sig = rng.choice((signal.SIGINT, signal.SIGTERM))
            delay = rng.uniform(0.0, 0.3)
            csvp, ipfp = self.path("%d.csv" % seed), self.path("%d.ipfix" % seed)
            what = "seed %d: %s after %.3f s" % (seed, sig.name, delay)
            p = start(["--pcap", self.big, "--csv", csvp, "--ipfix", "file:" + ipfp,
                       "--n-dissections", "0", "--quiet"])
            time.sleep(delay)
            p.send_signal(sig)
            _, err = p.communicate(timeout=60)
            self.assertFalse(os.path.exists(rundir_of(p.pid)), "%s: runtime directory left "
                             "behind" % what)
            if p.returncode == -sig:
                # before main() set its handlers (the dynamic loader, under load): nothing
                # was made yet
                self.assertFalse(os.path.exists(csvp), what)
                continue
            self.check_stopped(p.returncode, err, csvp, ipfp, what)

    def test_signal_while_reading(self):
        # While the FIFO is being read: the run stops reading at once, exports the flows
        # it has, and its files are complete; with one worker reading, and with two fed by
        # the dispatcher.
        for seed in range(4):
            rng = random.Random(100 + seed)
            sig = rng.choice((signal.SIGINT, signal.SIGTERM))
            delay = rng.uniform(0.5, 1.5)
            csvp, ipfp = self.path("%d.csv" % seed), self.path("%d.ipfix" % seed)
            what = "seed %d: %s after %.3f s" % (seed, sig.name, delay)
            t = {}

            def during(p):
                time.sleep(delay)
                p.send_signal(sig)
                t["sent"] = time.monotonic()
            rc, err, feeder = self.fed_run(["--csv", csvp, "--ipfix", "file:" + ipfp,
                                            "--workers", str(1 + seed % 2)], during=during)
            self.assertLess(time.monotonic() - t["sent"], 5.0, what + ": slow to stop")
            self.assertLess(feeder.written, FLOWS, what + ": the input was read to its end")
            n = self.check_stopped(rc, err, csvp, ipfp, what)
            self.assertGreater(n, 0, what)

    def flushing_run(self, csvp, ipfp, sink, seed):
        """Start a run whose 3000 flows all end at the end of the file, its export paced to
        a second by a UDP exporter at 3000 records/s; return once the first rows are in the
        CSV."""
        p = start(["--pcap", self.big, "--csv", csvp, "--ipfix", "file:" + ipfp,
                   "--ipfix", "udp://127.0.0.1:%d" % sink.getsockname()[1],
                   "--ipfix-rate", "3000", "--n-dissections", "0", "--quiet",
                   "--flush-interval", "20"])
        hdr = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if os.path.exists(csvp):
                with open(csvp, "rb") as f:
                    data = f.read()
                if hdr is None and b"\n" in data:
                    hdr = data.index(b"\n") + 1
                if hdr is not None and len(data) > hdr:
                    break
            time.sleep(0.005)
        time.sleep(random.Random(seed).uniform(0.0, 0.3))
        return p

    def test_second_signal_leaves_whole_files(self):
        # The second signal leaves at once (exit 130), in the middle of the export: the
        # files end with a whole row, a whole message, and the runtime directory is gone.
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind(("127.0.0.1", 0))
        try:
            for seed in range(3):
                csvp, ipfp = self.path("%d.csv" % seed), self.path("%d.ipfix" % seed)
                p = self.flushing_run(csvp, ipfp, sink, 300 + seed)
                p.send_signal(signal.SIGINT)
                time.sleep(0.05)
                p.send_signal(signal.SIGTERM)
                _, err = p.communicate(timeout=60)
                what = "seed %d: two signals while flushing" % seed
                self.assertEqual(p.returncode, 130, what + "\n" + err)
                self.assertNotIn("accounting:", err, what)
                rows = read_csv_complete(self, csvp)
                self.assertLess(len(rows), 3000, what + ": not left at once")
                ids = read_ipfix_whole(self, ipfp)
                self.assertEqual(ids, list(range(len(ids))), what)
                self.assertFalse(os.path.exists(rundir_of(p.pid)), what)
        finally:
            sink.close()

    def test_signal_while_flushing(self):
        # 3000 flows end together at the end of the file; a UDP exporter paced at 3000
        # records/s makes their export last a second. A signal then changes nothing: every
        # flow is exported, the files are complete.
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind(("127.0.0.1", 0))
        try:
            for seed in range(2):
                rng = random.Random(200 + seed)
                sig = rng.choice((signal.SIGINT, signal.SIGTERM))
                csvp, ipfp = self.path("%d.csv" % seed), self.path("%d.ipfix" % seed)
                p = self.flushing_run(csvp, ipfp, sink, 200 + seed)
                p.send_signal(sig)
                _, err = p.communicate(timeout=60)
                what = "seed %d: %s while flushing" % (seed, sig.name)
                self.assertEqual(self.check_stopped(p.returncode, err, csvp, ipfp, what),
                                 3000, what)
        finally:
            sink.close()

    # ---- --max-nflows

    def test_max_nflows_stops_cleanly(self):
        # The 7th flow ends the run at once (the feeder has 93 more to give): exit 0,
        # exactly 7 records in both outputs, the accounting adds up.
        csvp, ipfp = self.path("o.csv"), self.path("o.ipfix")
        rc, err, feeder = self.fed_run(["--csv", csvp, "--ipfix", "file:" + ipfp,
                                        "--max-nflows", "7"])
        self.assertEqual(rc, 0, err)
        self.assertLess(feeder.written, FLOWS, "the run waited for the end of its input")
        check_accounting(err)
        self.assertEqual(len(read_csv_complete(self, csvp)), 7)
        self.assertEqual(sorted(read_ipfix_whole(self, ipfp)), list(range(7)))
        self.assertEqual(messages(err), [])
        # from a file: the same, the other flows counted as not exported
        rc, _, err = run(["--pcap", self.big, "--csv", csvp, "--ipfix", "file:" + ipfp,
                          "--max-nflows", "7", "--n-dissections", "0", "--quiet"])
        self.assertEqual(rc, 0, err)
        check_accounting(err)
        self.assertEqual(len(read_csv_complete(self, csvp)), 7)
        self.assertEqual(sorted(read_ipfix_whole(self, ipfp)), list(range(7)))
        # the same with two workers (the software dispatch)
        rc, _, err = run(["--pcap", self.big, "--csv", csvp, "--ipfix", "file:" + ipfp,
                          "--max-nflows", "7", "--n-dissections", "0", "--quiet",
                          "--workers", "2"])
        self.assertEqual(rc, 0, err)
        check_accounting(err)
        self.assertEqual(len(read_csv_complete(self, csvp)), 7)
        self.assertEqual(sorted(read_ipfix_whole(self, ipfp)), list(range(7)))

    # ---- usage errors: one line naming it, exit 2

    def usage_error(self, args, *words):
        rc, _, err = run(args)
        self.assertEqual(rc, 2, err)
        lines = messages(err)
        self.assertEqual(len(lines), 1, err)
        self.assertTrue(lines[0].startswith("streamprobe: "), lines[0])
        for w in words:
            self.assertIn(w, lines[0])
        return lines[0]

    def test_bad_option_values(self):
        small = self.path("s.pcap")
        write_pcap(small, 3)
        base = ["--pcap", small, "--quiet", "--no-csv"]
        for opt, val in (("--idle-timeout", "x"), ("--active-timeout", "-5"),
                         ("--accounting-mode", "4"), ("--splt-analysis", "65536"),
                         ("--n-dissections", "256"), ("--max-nflows", "many"),
                         ("--max-flows", "1"), ("--workers", "0"),
                         ("--flush-interval", "0"), ("--ipfix-mtu", "100"),
                         ("--ipfix-reconnect", "5"), ("--ipfix-rate", "fast"),
                         ("--ipfix-domain", "x"), ("--csv-flows-per-file", "-1"),
                         ("--replay-loops", "0"), ("--performance-report", "soon"),
                         ("--ipfix-elements", "yaml")):
            self.usage_error(base + [opt, val], opt, "'%s'" % val)

    def test_bad_profile(self):
        # A port profile with a bad value, an unknown key, an unknown section, or missing:
        # one line naming --config, the file and what is wrong in it (a net_null port).
        cases = (("[port]\nrx_desc = lots\n", "[port] rx_desc: bad value 'lots'"),
                 ("[port]\nno_such_key = 1\n", "[port] no_such_key: unknown key"),
                 ("[nosuch]\nx = 1\n", "[nosuch]: unknown section"),
                 (None, "No such file or directory"))
        for k, (text, why) in enumerate(cases):
            ini = self.path("%d.ini" % k)
            if text is not None:
                with open(ini, "w") as f:
                    f.write(text)
            msg = self.usage_error(["--no-huge", "--no-pci", "--vdev=net_null0",
                                    "--file-prefix=spfaults%d" % os.getpid(),
                                    "--log-level=*:error", "--", "--port", "0", "--config",
                                    ini, "--no-csv", "--quiet"], ini, why)
            self.assertTrue(msg.startswith("streamprobe: --config %s: " % ini), msg)
        # a broken installed profile (the driver's own): named, with what is wrong
        d = self.path("profiles")
        os.mkdir(d)
        with open(os.path.join(d, "net_null.ini"), "w") as f:
            f.write("[rss]\nkey = xyz\n")
        rc, _, err = run(["--no-huge", "--no-pci", "--vdev=net_null0",
                          "--file-prefix=spfaults%d" % os.getpid(), "--log-level=*:error", "--",
                          "--port", "0", "--no-csv", "--quiet"],
                         env=dict(os.environ, STREAMPROBE_DRIVERS_CONFIG=d))
        self.assertEqual(rc, 2, err)
        self.assertEqual(messages(err), ["streamprobe: %s/net_null.ini: [rss] key: bad value "
                                         "'xyz'" % d], err)

    def test_bad_plugin_argument(self):
        small = self.path("s.pcap")
        write_pcap(small, 3)
        base = ["--pcap", small, "--quiet", "--no-csv"]
        self.usage_error(base + ["--plugin", "slicer:limit=-1"], "--plugin slicer",
                         "limit '-1'")
        self.usage_error(base + ["--plugin", "slicer:nolimit=1"], "--plugin slicer",
                         "unknown option 'nolimit'")
        self.usage_error(base + ["--plugin", ":limit=1"], "--plugin", "':limit=1' has no name")


class Security(Base):
    def test_telemetry_socket_owner_only(self):
        # The telemetry socket takes commands from whoever can connect: its directory and
        # the socket itself are the owner's only, whatever the umask.
        seen = {}

        def during(p):
            sock = os.path.join(rundir_of(p.pid), "dpdk_telemetry.v2")
            deadline = time.monotonic() + 10
            while not os.path.exists(sock) and time.monotonic() < deadline:
                time.sleep(0.01)
            seen["dir"] = os.stat(os.path.dirname(sock)).st_mode
            seen["sock"] = os.stat(sock).st_mode
        old = os.umask(0)		# the widest umask a user may have
        try:
            rc, err, _ = self.fed_run(["--no-csv", "--telemetry"], n=40, during=during)
        finally:
            os.umask(old)
        self.assertEqual(rc, 0, err)
        self.assertTrue(stat.S_ISSOCK(seen["sock"]))
        self.assertEqual(stat.S_IMODE(seen["dir"]) & 0o077, 0, oct(seen["dir"]))
        self.assertEqual(stat.S_IMODE(seen["sock"]) & 0o077, 0, oct(seen["sock"]))

    def test_plugin_bare_name_never_searched(self):
        # "cols.so" is no path: it is not looked for in LD_LIBRARY_PATH nor in the
        # working directory (dlopen() would search both ways); only "./cols.so" loads it.
        so = os.path.join(FIXTURES, "cols.so")
        if not os.path.isfile(so):
            self.fail("fixture %s not built" % so)
        wd = self.path("wd")
        os.mkdir(wd)
        shutil.copy(so, os.path.join(wd, "cols.so"))
        small = os.path.join(wd, "s.pcap")
        write_pcap(small, 3)
        env = dict(os.environ, LD_LIBRARY_PATH=FIXTURES + ":" + wd + ":.")
        for spec in ("cols.so", "cols"):
            p = subprocess.run([BIN, "--pcap", small, "--no-csv", "--quiet", "--plugin", spec],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=wd, env=env, timeout=60)
            self.assertEqual(p.returncode, 2, p.stderr)
            lines = messages(p.stderr)
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertRegex(lines[0], r"^streamprobe: --plugin %s: no such plugin \(shipped: "
                             r"[a-z0-9, -]+; load another by path, e\.g\. \./cols\.so\)$" %
                             re.escape(spec))
        p = subprocess.run([BIN, "--pcap", small, "--no-csv", "--quiet", "--plugin",
                            "./cols.so"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, cwd=wd, env=env, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_outputs_created_with_the_umask(self):
        # open(..., 0666) and the umask decides: 002 gives 0664, 027 gives 0640, for the
        # CSV, its rotated files and the IPFIX files.
        for umask, mode in ((0o002, 0o664), (0o027, 0o640), (0o077, 0o600)):
            csvp = self.path("%o.csv" % umask)
            rot = self.path("%o-rot.csv" % umask)
            ipfp = self.path("%o.ipfix" % umask)
            ipfr = self.path("%o-rot.ipfix" % umask)
            rc, _, err = run(["--pcap", self.big, "--csv", csvp, "--ipfix", "file:" + ipfp,
                              "--n-dissections", "0", "--quiet"], umask=umask)
            self.assertEqual(rc, 0, err)
            rc, _, err = run(["--pcap", self.big, "--csv", rot, "--csv-flows-per-file",
                              "1000", "--ipfix", "file:" + ipfr, "--ipfix-rotate-size",
                              "100000", "--n-dissections", "0", "--quiet"], umask=umask)
            self.assertEqual(rc, 0, err)
            files = [csvp, ipfp] + glob.glob(rot.replace("csv", "*.csv")) + \
                glob.glob(ipfr + ".0*")
            self.assertGreaterEqual(len(files), 2 + 3 + 2, files)
            for f in files:
                self.assertEqual(stat.S_IMODE(os.stat(f).st_mode), mode,
                                 "%s with umask %03o" % (f, umask))


class DiskFull(Base):
    """A tmpfs of 64 KiB (the IPFIX test: 512 KiB, 8 messages of up to 64 KiB): the outputs
    fill it early in the run."""

    def setUp(self):
        self.mnt = self.path("mnt")
        os.mkdir(self.mnt)
        size = "512k" if "ipfix" in self._testMethodName else "64k"
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", self.mnt],
                       check=True)
        self.addCleanup(subprocess.run, ["umount", self.mnt])

    def full_run(self, args, every_flow=True):
        rc, _, err = run(["--pcap", self.big, "--n-dissections", "0", "--quiet"] + args)
        self.assertEqual(rc, 1, err)
        check_accounting(err)
        if every_flow:
            self.assertEqual(exported(err), 3000, err)
        return err

    def test_csv(self):
        # Said once, when it happens, naming the file and the cause; the file ends with
        # the last row that fit whole.
        csvp = os.path.join(self.mnt, "o.csv")
        err = self.full_run(["--csv", csvp], every_flow=False)
        # the CSV was the only output: the input stops too (all flows still counted)
        self.assertEqual(messages(err), ["streamprobe: error: %s: No space left on device" %
                                         csvp, "streamprobe: no output left: stopping the "
                                         "input"], err)
        rows = read_csv_complete(self, csvp)
        self.assertGreater(len(rows), 0)
        self.assertLess(len(rows), 3000)

    def test_csv_rotated_files(self):
        # --csv-flows-per-file: every file ends with a whole row, the one the disk filled
        # included, and the ids run on from file to file. 50 rows are 3 pages of the
        # tmpfs's 16: the sixth file gets one page of its three.
        csvp = os.path.join(self.mnt, "o.csv")
        err = self.full_run(["--csv", csvp, "--csv-flows-per-file", "50"], every_flow=False)
        self.assertIn("streamprobe: error: %s: No space left on device" % csvp, err)
        files = sorted(glob.glob(os.path.join(self.mnt, "o.*.csv")),
                       key=lambda f: int(f.split(".")[-2]))
        self.assertGreater(len(files), 1)
        first = 0
        for f in files:
            with open(f, "rb") as fh:
                data = fh.read()
            # empty: the disk was full before its header
            self.assertTrue(data == b"" or data.endswith(b"\n"), "%s ends in a half line" % f)
            rows = list(csv.reader(io.StringIO(data.decode())))
            ids = [int(r[0]) for r in rows[1:]]
            self.assertEqual(ids, list(range(first, first + len(ids))), f)
            first += len(ids)

    def test_csv_full_other_outputs_go_on(self):
        # The CSV on the full disk fails alone: the IPFIX file elsewhere gets every flow.
        csvp = os.path.join(self.mnt, "o.csv")
        ipfp = self.path("o.ipfix")
        err = self.full_run(["--csv", csvp, "--ipfix", "file:" + ipfp])
        read_csv_complete(self, csvp)
        self.assertEqual(sorted(read_ipfix_whole(self, ipfp)), list(range(3000)))
        self.assertIn("streamprobe: error: %s: No space left on device" % csvp, err)

    def test_ipfix_file(self):
        # The IPFIX file ends at a message boundary; the loss is counted and said, naming
        # the file and the cause.
        ipfp = os.path.join(self.mnt, "o.ipfix")
        uri = "file:" + ipfp
        err = self.full_run(["--no-csv", "--ipfix", uri])
        ids = read_ipfix_whole(self, ipfp)
        self.assertEqual(messages(err), ["streamprobe: error: ipfix %s: %d records dropped "
                                         "(write failed: No space left on device)" %
                                         (uri, 3000 - len(ids))], err)
        self.assertGreater(len(ids), 0)
        self.assertEqual(ids, list(range(len(ids))))
        st = ipfix_stats(err, uri)
        self.assertEqual(st["records"], 3000, err)
        self.assertEqual(st["records_dropped"], 3000 - len(ids), err)
        self.assertIn("streamprobe: error: ipfix %s: %d records dropped (write failed: No "
                      "space left on device)" % (uri, 3000 - len(ids)), err)


if __name__ == "__main__":
    if sys.argv[1:] == ["DiskFull"]:
        # mounting a tmpfs needs root (CAP_SYS_ADMIN): without it, meson's SKIP
        probe = tempfile.mkdtemp(prefix="sp-faults-mnt-")
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe],
                            stderr=subprocess.DEVNULL).returncode == 0
        if ok:
            subprocess.run(["umount", probe])
        os.rmdir(probe)
        if not ok:
            print("cannot mount a tmpfs (not root?): skipped")
            sys.exit(77)
    unittest.main(verbosity=2)
