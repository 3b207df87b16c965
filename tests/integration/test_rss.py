#!/usr/bin/env python3
"""The NIC path with RSS, without a NIC (issue 13 item 6).

tools/sp-rss-split spreads a capture over per-queue pcap files by the
symmetric Toeplitz hash of the default profile's key; one net_pcap port
gets them as its RX queues (one rx_pcap= per file) and `--port` reads it
with one worker per queue ([rss] emulated = 1 in the port.ini the tool
writes), each worker polling its own queue, packet time from the mbufs' RX
timestamps (net_pcap stamps each with its record's time). The flows of 2
and 4 workers must equal one worker's, in every column but `id`, as for the
software dispatch (test_workers.py, compared with the same tools/sp-conformance);
on corpus captures with several workers the nDPI columns are left out, as
for the software dispatch (README "Several workers": nDPI's caches are per
worker).

- Generated captures (the Ethernet scenarios of tools/sp-genpcap.py one
  after another in one capture): 2 and 4 queues/workers through the port
  against --pcap with one worker; `mixed`, whose records are partly cut
  short (a port sees a record's captured bytes as the frame, so a cut
  record's size is its caplen), against one worker through the same port.
- Corpus captures (a dozen Ethernet ones without cut records, one after
  another in one capture, when ../shared/corpus is there): 2 and 4 workers
  through the port against --pcap with one worker.
- Each worker received exactly its queue's packets (the `workers:` line),
  nothing was dropped, and the accounting line adds up.
- A port.ini asking for emulated RSS with a worker count other than the
  port's queues is refused, naming the key.

Runs oversubscribed (the lcores share the machine's CPUs).
"""
import glob
import gzip
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

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STREAMPROBE", os.path.join(ROOT, "build", "app", "streamprobe"))
SPLIT = os.environ.get("SP_RSS_SPLIT", os.path.join(os.path.dirname(os.path.dirname(BIN)),
                                                    "tools", "sp-rss-split"))
CORPUS = os.environ.get("SP_CORPUS") or os.path.join(ROOT, "..", "shared", "corpus")
CONFORMANCE = os.path.join(ROOT, "tools", "sp-conformance")
OPTS = ["--max-flows", "65536", "--statistical-analysis", "--splt-analysis", "10"]
# Ethernet scenarios, in one run; the others have another link type (a port
# delivers Ethernet frames only) or are files the reader refuses. Not ipip:
# one of its inner flows has a packet in a 4in4 tunnel and its reply outside
# it, and a NIC hashes the outer addresses, so the two meet on one worker
# only by chance (the RSS exception of README "Several workers"; the software
# dispatch hashes the inner flow key).
GENERATED = ["accounting", "active_timeout", "backwards_time", "capwap", "gtp", "hol_scan",
             "icmp", "idle_boundary", "ipv4_frag", "ipv6_ext", "malformed", "mpls_pppoe",
             "scan_budget", "tcp_fin_rst", "tzsp", "vlan"]
CORPUS_FILES = 12


def read_pcap(path):
    """(link type, [(ns, caplen, len, bytes)]) of a classic pcap, or None."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return None
    magics = {b"\xd4\xc3\xb2\xa1": ("<", 1000), b"\x4d\x3c\xb2\xa1": ("<", 1),
              b"\xa1\xb2\xc3\xd4": (">", 1000), b"\xa1\xb2\x3c\x4d": (">", 1)}
    if data[:4] not in magics:
        return None
    end, mul = magics[data[:4]]
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0xffff
    off, recs = 24, []
    while off + 16 <= len(data):
        sec, frac, caplen, length = struct.unpack(end + "IIII", data[off:off + 16])
        recs.append((sec * 1000000000 + frac * mul, caplen, length,
                     data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return linktype, recs


def merge_pcaps(paths, out):
    """The captures one after another, each moved to start a day after the
    previous one's start, as one nanosecond pcap: one run covers them all,
    and no flow of one meets a flow of another (the idle timeout parts them)."""
    base = 1704067200 * 1000000000
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 262144, 1))
        for k, path in enumerate(paths):
            _, recs = read_pcap(path)
            first = min(r[0] for r in recs)
            for ns, caplen, length, data in recs:
                t = ns - first + base + k * 86400 * 1000000000
                f.write(struct.pack("<IIII", t // 1000000000, t % 1000000000, caplen, length))
                f.write(data)


def pcap_facts(path):
    """(link type, records, records cut short) of a classic pcap, or None."""
    r = read_pcap(path)
    if r is None:
        return None
    return r[0], len(r[1]), sum(1 for x in r[1] if x[1] < x[2])


def accounting(stderr):
    """The exit report's accounting line, checked to add up."""
    line = [l for l in stderr.splitlines() if l.startswith("accounting:")]
    if len(line) != 1:
        raise AssertionError("no accounting line:\n" + stderr)
    acc = {k: int(v) for k, v in (f.split("=") for f in line[0].split()[1:])}
    if acc["received"] != acc["in_flows"] + acc["ignored"] + acc["filtered"] + acc["dropped"]:
        raise AssertionError("accounting does not add up: " + line[0])
    return acc


class RssEmulation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for exe in (BIN, SPLIT):
            if not os.access(exe, os.X_OK):
                raise RuntimeError("not found: %s" % exe)
        cls.tmp = tempfile.mkdtemp(prefix="sp-rss-")
        cls.gen = os.path.join(cls.tmp, "gen")
        cmd = [sys.executable, os.path.join(ROOT, "tools", "sp-genpcap.py"), cls.gen]
        for s in GENERATED + ["mixed", "linktypes"]:
            cmd += ["--only", s]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        cls.runs = 0

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("SP_KEEP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def split(self, name, captures, queues):
        out = os.path.join(self.tmp, "%s-q%d" % (name, queues))
        p = subprocess.run([SPLIT, "-n", str(queues), "-o", out] + captures,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        counts = [int(n) for n in re.findall(r"^queue \d+: (\d+) packets$", p.stdout, re.M)]
        self.assertEqual(len(counts), queues, p.stdout)
        return out, counts

    @staticmethod
    def telemetry(path, cmd):
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
            s.connect(path)
            s.recv(16384)
            s.send(cmd.encode())
            return json.loads(s.recv(1 << 16).decode())[cmd]

    def port_run(self, qdir, counts, csv_path, extra=()):
        """--port on net_pcap over the per-queue files, one worker per queue;
        stopped by SIGINT once the workers have every packet (telemetry)."""
        RssEmulation.runs += 1
        n = len(counts)
        prefix = "sprss%d_%d" % (os.getpid(), self.runs)
        vdev = "net_pcap0," + ",".join("rx_pcap=%s/q%d.pcap" % (qdir, q) for q in range(n))
        args = [BIN, "--no-huge", "-m", "512", "--no-pci", "--lcores=(0-%d)@(0-1)" % n,
                "--file-prefix=" + prefix, "--log-level=*:error", "--vdev", vdev, "--",
                "--port", "0", "--workers", str(n), "--config", os.path.join(qdir, "port.ini"),
                "--snapshot-length", "262144", "--telemetry", "--quiet", "--csv",
                csv_path] + OPTS + list(extra)
        rundir = "/var/run/dpdk" if os.getuid() == 0 else os.path.join(
            os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")
        sock = os.path.join(rundir, prefix, "dpdk_telemetry.v2")
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            t0 = time.monotonic()
            while True:
                try:
                    if self.telemetry(sock, "/streamprobe/stats")["packets"] == sum(counts):
                        break
                except (OSError, KeyError, TypeError, ValueError):
                    pass
                if p.poll() is not None:
                    _, err = p.communicate()
                    self.fail("streamprobe --port ended early: %s" % err)
                self.assertLess(time.monotonic() - t0, 60, "the port's packets never all came")
                time.sleep(0.05)
            p.send_signal(signal.SIGINT)
            _, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
            # the EAL's runtime directory of this run (the exit leaves it)
            shutil.rmtree(os.path.join(rundir, prefix), ignore_errors=True)
        self.assertEqual(p.returncode, 0, err)
        acc = accounting(err)
        self.assertEqual(acc["received"], sum(counts), err)
        self.assertEqual(acc["dropped"], 0, err)
        self.assertRegex(err, r"records_dropped=0\b")
        if n > 1:
            # one worker per queue: each got exactly its queue's file
            line = [l for l in err.splitlines() if l.startswith("workers:")][0]
            self.assertEqual(line, "workers: " + " ".join("%d=%d" % (q, c)
                                                           for q, c in enumerate(counts)), err)
        return err

    def pcap_run(self, captures, csv_path):
        args = [BIN, "--csv", csv_path, "--quiet"] + OPTS
        for c in captures:
            args += ["--pcap", c]
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        accounting(p.stderr)

    def same(self, expected_csv, actual_csv, name, ignore=""):
        exp = os.path.join(self.tmp, "cmp-exp")
        act = os.path.join(self.tmp, "cmp-act")
        for d in (exp, act):
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
        with open(expected_csv, "rb") as f, gzip.open(os.path.join(exp, name + ".csv.gz"),
                                                      "wb") as g:
            g.write(f.read())
        shutil.copy(actual_csv, os.path.join(act, name + ".csv"))
        args = [sys.executable, CONFORMANCE, "--expected", exp, "--actual", act]
        if ignore:
            args += ["--ignore-columns", ignore]
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.assertEqual(p.returncode, 0, "%s: %s differs from %s:\n%s"
                         % (name, actual_csv, expected_csv, p.stdout))
        self.assertIn("cells equal", p.stdout)
        with open(expected_csv) as f:
            self.assertGreater(len(f.read().splitlines()), 1, "no flow in " + expected_csv)

    def queues_vs_reference(self, name, capture, ref, queues, ignore=""):
        for n in queues:
            qdir, counts = self.split(name, [capture], n)
            out = os.path.join(self.tmp, "%s-port%d.csv" % (name, n))
            self.port_run(qdir, counts, out)
            if n > 1:
                self.assertTrue(all(c > 0 for c in counts), counts)
            self.same(ref, out, name, ignore if n > 1 else "")

    def test_generated_scenarios(self):
        """Every Ethernet scenario, one after another in one capture."""
        caps = [os.path.join(self.gen, s + ".pcap") for s in GENERATED]
        for c in caps:
            facts = pcap_facts(c)
            self.assertEqual((facts[0], facts[2]), (1, 0), c)
        merged = os.path.join(self.tmp, "generated.pcap")
        merge_pcaps(caps, merged)
        ref = os.path.join(self.tmp, "generated-pcap.csv")
        self.pcap_run([merged], ref)
        self.queues_vs_reference("generated", merged, ref, (2, 4))

    def test_generated_mixed(self):
        """Seeded random conversations, times out of order (forced forward by
        the split, as one NIC clock would have them), records cut short: a
        port sees their captured bytes only, so one worker through the same
        port is the reference."""
        cap = os.path.join(self.gen, "mixed.pcap")
        self.assertGreater(pcap_facts(cap)[2], 0)
        qdir, counts = self.split("mixed", [cap], 1)
        one = os.path.join(self.tmp, "mixed-port1.csv")
        self.port_run(qdir, counts, one)
        self.queues_vs_reference("mixed", cap, one, (2, 4))

    def test_corpus(self):
        manifest = os.path.join(CORPUS, "MANIFEST.tsv")
        if not os.path.isfile(manifest):
            self.skipTest("no corpus at %s" % CORPUS)
        picked = []
        with open(manifest) as f:
            for line in f.read().splitlines()[1:]:
                name, _, packets, flows = line.split("\t")[:4]
                path = os.path.join(CORPUS, "pcaps", name)
                if not (100 <= int(packets) <= 5000 and int(flows) >= 3 and
                        os.path.isfile(path)):
                    continue
                facts = pcap_facts(path)
                if facts is not None and facts[0] == 1 and facts[1] > 0 and facts[2] == 0:
                    picked.append(path)
                if len(picked) == CORPUS_FILES:
                    break
        self.assertEqual(len(picked), CORPUS_FILES)
        merged = os.path.join(self.tmp, "corpus.pcap")
        merge_pcaps(picked, merged)
        ref = os.path.join(self.tmp, "corpus-pcap.csv")
        self.pcap_run([merged], ref)
        self.queues_vs_reference("corpus", merged, ref, (2, 4), ignore="app")

    def test_split_refuses(self):
        """What a port could not deliver, or a profile that does not say how a
        NIC would hash, is an error naming the file and the cause."""
        out = os.path.join(self.tmp, "refused-split")
        p = subprocess.run([SPLIT, "-n", "2", "-o", out, os.path.join(self.gen, "sll.pcap")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, r"^streamprobe: sp-rss-split: .*sll\.pcap: link type "
                         r"LINUX_SLL: a port delivers Ethernet frames only")
        missing = os.path.join(self.tmp, "nosuch.pcap")
        p = subprocess.run([SPLIT, "-n", "2", "-o", out, missing],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 1)
        # the file named once, with the cause
        self.assertEqual(p.stderr, "streamprobe: sp-rss-split: %s: No such file or "
                         "directory\n" % missing)
        cfg = os.path.join(self.tmp, "default-key.ini")
        with open(cfg, "w") as f:
            f.write("[rss]\nkey = default\n")
        p = subprocess.run([SPLIT, "-n", "2", "-o", out, "--config", cfg,
                            os.path.join(self.gen, "vlan.pcap")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("[rss] key = default: the driver's own key is not known", p.stderr)
        p = subprocess.run([SPLIT, "-n", "17", "-o", out, os.path.join(self.gen, "vlan.pcap")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--queues: '17' is not in 1..16", p.stderr)

    def test_emulated_needs_one_worker_per_queue(self):
        qdir, counts = self.split("refused", [os.path.join(self.gen, "vlan.pcap")], 2)
        vdev = "net_pcap0,rx_pcap=%s/q0.pcap,rx_pcap=%s/q1.pcap" % (qdir, qdir)
        p = subprocess.run([BIN, "--no-huge", "-m", "512", "--no-pci", "--lcores=(0-3)@(0-1)",
                            "--file-prefix=sprssbad%d" % os.getpid(), "--log-level=*:error",
                            "--vdev", vdev, "--", "--port", "0", "--workers", "3", "--config",
                            os.path.join(qdir, "port.ini"), "--quiet", "--csv",
                            os.path.join(self.tmp, "refused.csv")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=60)
        shutil.rmtree("/var/run/dpdk/sprssbad%d" % os.getpid(), ignore_errors=True)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertRegex(p.stderr, r"^streamprobe: port 0 \(net_pcap\): its 2 RX queues arrive "
                         r"already spread \(\[rss\] emulated = 1 in .*port\.ini\): give "
                         r"--workers 2")


if __name__ == "__main__":
    unittest.main(verbosity=2)
