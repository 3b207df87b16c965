#!/usr/bin/env python3
"""Live capture through net_af_packet on a veth pair inside a network
namespace the test creates, fed by tcpreplay at a bounded rate.

- The flows match an offline run of the same capture in every column but
  the timing ones (first/last seen, durations, inter-arrival statistics and
  SPLT piat) and id.
- With a 1 s idle timeout, flows are exported by the workers' timers while
  no packet arrives at all (telemetry shows it before the run is stopped).
- The interface is left as it was found (flags, operstate, promiscuity),
  whether it was up or down, after SIGINT and after SIGKILL; the capture is
  promiscuous only while it runs and not at all with --no-promiscuous-mode.
- --snapshot-length cuts what nDPI sees while the sizes stay the wire's;
  --iface with an unknown name says so.

Needs root, iproute2 and tcpreplay (tools/install-deps.sh installs it).
"""
import csv
import importlib.util
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import sp_accounting

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STREAMPROBE", os.path.join(ROOT, "build", "app", "streamprobe"))
NS = "sp%d" % os.getpid()
# Captures without VLAN tags (the kernel strips them into metadata), IPv4
# fragments (af_packet reassembles them) or gaps longer than the timeouts.
SCENARIOS = ["tcp_fin_rst", "icmp", "accounting", "ipip", "gtp", "capwap"]
TIMING = ("first_seen_ms", "last_seen_ms", "duration_ms", "piat_ms")


def sh(*args, **kw):
    return subprocess.run(list(args), check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, **kw)


def link(dev):
    """The interface's state as `ip` shows it: flags (PROMISC is the ioctl
    flag), operstate, and the kernel's promiscuity count (captures)."""
    d = json.loads(sh("ip", "-d", "-j", "-n", NS, "link", "show", "dev", dev).stdout)[0]
    return {"flags": sorted(d["flags"]), "operstate": d["operstate"],
            "promiscuity": d["promiscuity"]}


def genpcap():
    spec = importlib.util.spec_from_file_location(
        "sp_genpcap", os.path.join(ROOT, "tools", "sp-genpcap.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def http_pcap(path):
    """One HTTP exchange with its handshake: Host and User-Agent are past
    byte 80 of the request frame (54 bytes of headers + the request line)."""
    g = genpcap()
    a, b = "10.1.0.1", "10.1.0.2"
    req = (b"GET /index.html HTTP/1.1\r\nHost: example.com\r\n"
           b"User-Agent: sp-live-test/1.0\r\nAccept: */*\r\n\r\n")
    resp = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"
    c, s = 1000, 5000
    pkts = [(True, "S", b"", c, 0), (False, "SA", b"", s, c + 1), (True, "A", b"", c + 1, s + 1),
            (True, "PA", req, c + 1, s + 1), (False, "PA", resp, s + 1, c + 1 + len(req)),
            (True, "A", b"", c + 1 + len(req), s + 1 + len(resp))]
    recs = []
    for i, (cli, fl, pay, seq, ack) in enumerate(pkts):
        src, dst, sp, dp = (a, b, 41000, 80) if cli else (b, a, 80, 41000)
        tcp = g.tcp(sp, dp, fl, pay, seq=seq, ack=ack)
        recs.append(g.Rec(g.ms(i * 10), g.eth_ip(src, dst, g.ipv4(src, dst, 6, tcp))))
    g.write_pcap(path, recs, 1)


def rows(path):
    with open(path, newline="") as f:
        data = list(csv.reader(io.StringIO(f.read().replace('\\"', '""'))))
    return data[0], data[1:]


class Live(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("ip", "tcpreplay"):
            if shutil.which(tool) is None:
                raise RuntimeError("%s is not installed (tools/install-deps.sh)" % tool)
        if not os.access(BIN, os.X_OK):
            raise RuntimeError("streamprobe binary not found at %s" % BIN)
        cls.tmp = tempfile.mkdtemp(prefix="sp-live-")
        cmd = [sys.executable, os.path.join(ROOT, "tools", "sp-genpcap.py"), cls.tmp]
        for s in SCENARIOS:
            cmd += ["--only", s]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        cls.pcaps = [os.path.join(cls.tmp, s + ".pcap") for s in SCENARIOS]
        subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
        sh("ip", "netns", "add", NS)
        sh("ip", "-n", NS, "link", "set", "lo", "up")
        sh("ip", "-n", NS, "link", "add", "vfeed", "type", "veth", "peer", "name", "vcap")
        # no IPv6: the kernel would send its own router/MLD packets
        sh("ip", "netns", "exec", NS, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        for dev in ("vfeed", "vcap"):
            sh("ip", "-n", NS, "link", "set", dev, "mtu", "9000", "up")

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
        if not os.environ.get("SP_KEEP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def start(self, csv_path, extra, max_flows="65536"):
        args = ["ip", "netns", "exec", NS, BIN, "--iface", "vcap", "--csv", csv_path,
                "--quiet", "--max-flows", max_flows, "--statistical-analysis",
                "--splt-analysis", "10", "--telemetry"] + extra
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # ready when the port has started: af_packet's link is UP from
        # rte_eth_dev_start() on (the telemetry socket comes earlier, with
        # the EAL, before the mbuf pool is populated)
        t0 = time.monotonic()
        while True:
            ok = subprocess.run(["pgrep", "-f", "streamprobe --iface vcap --csv " + csv_path],
                                stdout=subprocess.PIPE, text=True).stdout.split()
            path = ("/var/run/dpdk/streamprobe%s/dpdk_telemetry.v2" % ok[0]) if ok else ""
            try:
                if path and self.stats(path, "/ethdev/link_status,0")["status"] == "UP":
                    return p, path
            except (OSError, KeyError, TypeError, ValueError):
                pass
            if p.poll() is not None or time.monotonic() - t0 > 20:
                if p.poll() is None:
                    p.kill()
                out, err = p.communicate()
                raise RuntimeError("streamprobe did not start: %s" % err)
            time.sleep(0.1)

    @staticmethod
    def stats(path, cmd="/streamprobe/stats"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
            s.connect(path)
            s.recv(16384)
            s.send(cmd.encode())
            return json.loads(s.recv(1 << 16).decode())[cmd.split(",")[0]]

    def replay(self, pcaps=None):
        r = sh("ip", "netns", "exec", NS, "tcpreplay", "-i", "vfeed", "--pps", "300",
               *(pcaps or self.pcaps))
        self.assertIn("Failed packets:            0", r.stdout)

    def stop(self, p):
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        sp_accounting.check_accounting(err)
        return err

    def test_live_matches_offline(self):
        self.live_vs_offline(self.pcaps, "live.csv")

    def live_vs_offline(self, pcaps, name):
        live_csv = os.path.join(self.tmp, name)
        p, _ = self.start(live_csv, ["--workers", "2"])
        try:
            self.replay(pcaps)
            time.sleep(0.5)
            err = self.stop(p)
        finally:
            if p.poll() is None:
                self.kill(p)
        acc = dict(f.split("=") for f in
                   [l for l in err.splitlines() if l.startswith("accounting:")][0].split()[1:])
        expected_pkts = 0
        totals = []
        for pcap in pcaps:
            off = os.path.join(self.tmp, os.path.basename(pcap) + ".csv")
            q = subprocess.run([BIN, "--pcap", pcap, "--csv", off, "--quiet", "--max-flows",
                                "65536", "--statistical-analysis", "--splt-analysis", "10"],
                               check=True, stderr=subprocess.PIPE)
            sp_accounting.check_accounting(q.stderr)
            totals.append(rows(off))
        header, live = rows(live_csv)
        keep = [i for i, c in enumerate(header) if c != "id" and not c.endswith(TIMING)
                and c != "splt_piat_ms"]
        offline = []
        for h, r in totals:
            self.assertEqual(h, header)
            offline += r
            expected_pkts += sum(int(x[header.index("bidirectional_packets")]) for x in r)
        self.assertEqual(int(acc["received"]), int(acc["in_flows"]) + int(acc["ignored"]))
        proj = lambda rs: sorted(tuple(r[i] for i in keep) for r in rs)
        self.assertEqual(len(live), len(offline))
        self.assertEqual(proj(live), proj(offline))
        self.assertEqual(int(acc["in_flows"]), expected_pkts)

    def test_full_table_refuses_new_flows(self):
        """Live, a full table keeps its flows and refuses new ones: their packets are
        dropped and counted, and one warning names --max-flows (README "Flow table
        size")."""
        pcap = os.path.join(self.tmp, "flows100.pcap")
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "sp-genflows.py"), pcap,
                        "--flows", "100", "--step-us", "2000"], check=True,
                       stdout=subprocess.DEVNULL)
        live_csv = os.path.join(self.tmp, "full.csv")
        p, _ = self.start(live_csv, [], max_flows="64")
        try:
            self.replay([pcap])
            time.sleep(0.5)
            err = self.stop(p)
        finally:
            if p.poll() is None:
                self.kill(p)
        acc = {k: int(v) for k, v in (f.split("=") for f in
               [l for l in err.splitlines() if l.startswith("accounting:")][0].split()[1:])}
        self.assertEqual(acc["received"], 200, err)
        # the first 64 flows, both packets each; the 36 others' 72 packets dropped
        self.assertEqual(acc["in_flows"], 128, err)
        self.assertEqual(acc["dropped"], 72, err)
        self.assertEqual(acc["received"], acc["in_flows"] + acc["ignored"] + acc["filtered"] +
                         acc["dropped"])
        warn = [l for l in err.splitlines() if "warning" in l]
        self.assertEqual(len(warn), 1, err)
        self.assertTrue(warn[0].startswith("streamprobe: warning: the flow table is full "
                                           "(--max-flows 64 per worker)"), warn)
        self.assertIn("evicted_table_full=0", err)
        self.assertEqual(len(rows(live_csv)[1]), 64)

    def test_timer_expiry_without_packets(self):
        live_csv = os.path.join(self.tmp, "timer.csv")
        p, tel = self.start(live_csv, ["--idle-timeout", "1"])
        try:
            self.replay()
            # tcpreplay has returned, but on a loaded machine the probe may still be
            # taking the last packets off the veth: the count must first settle
            before = self.stats(tel)
            for _ in range(25):
                time.sleep(0.2)
                now = self.stats(tel)
                if now["packets"] == before["packets"]:
                    break
                before = now
            self.assertGreater(before["packets"], 0)
            # nothing arrives any more; within ~1 s + 10 ms the timer expires all
            deadline = time.monotonic() + 10
            while True:
                st = self.stats(tel)
                if st["flows_active"] == 0:
                    break
                self.assertLess(time.monotonic() - deadline, 0, st)
                time.sleep(0.2)
            self.assertEqual(st["packets"], before["packets"])
            self.assertGreater(st["flows_exported"], 0)
            self.assertEqual(st["flows_exported"], st["flows_created"])
            self.stop(p)
        finally:
            if p.poll() is None:
                self.kill(p)

    # --- the interface as found (issue 11, items 3, 9, 11) ---------------

    def start_on(self, dev, extra=()):
        """streamprobe on dev (no CSV), returned once its port has started:
        af_packet's link shows UP in telemetry from rte_eth_dev_start() on."""
        p = subprocess.Popen(["ip", "netns", "exec", NS, BIN, "--iface", dev, "--quiet",
                              "--telemetry"] + list(extra),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # `ip netns exec` execs the program: p.pid is streamprobe's
        tel = "/var/run/dpdk/streamprobe%d/dpdk_telemetry.v2" % p.pid
        t0 = time.monotonic()
        while True:
            try:
                if self.stats(tel, "/ethdev/link_status,0")["status"] == "UP":
                    return p
            except (OSError, KeyError, TypeError, ValueError):
                pass
            if p.poll() is not None or time.monotonic() - t0 > 20:
                err = p.communicate()[1] if p.poll() is not None else "timeout"
                self.kill(p)
                raise RuntimeError("streamprobe did not start: %s" % err)
            time.sleep(0.05)

    @staticmethod
    def kill(p):
        """SIGKILL, and the EAL runtime directory it could not remove."""
        if p.poll() is None:
            p.kill()
        p.communicate(timeout=30)
        shutil.rmtree("/var/run/dpdk/streamprobe%d" % p.pid, ignore_errors=True)

    def veth(self, name, up):
        sh("ip", "-n", NS, "link", "add", name, "type", "veth", "peer", "name", name + "p")
        self.addCleanup(subprocess.run, ["ip", "-n", NS, "link", "del", name],
                        stderr=subprocess.DEVNULL)
        sh("ip", "-n", NS, "link", "set", name + "p", "up")
        if up:
            sh("ip", "-n", NS, "link", "set", name, "up")
        # settle: operstate follows the carrier asynchronously
        for _ in range(50):
            if (link(name)["operstate"] == "UP") == up:
                break
            time.sleep(0.05)
        return link(name)

    def test_iface_flags_restored(self):
        for up in (True, False):
            with self.subTest(up=up):
                dev = "vfl%d" % up
                before = self.veth(dev, up)
                self.assertEqual("UP" in before["flags"], up)
                self.assertEqual(before["promiscuity"], 0)
                p = self.start_on(dev)
                try:
                    during = link(dev)
                    # promiscuous by a membership, as libpcap: no ioctl flag
                    self.assertEqual(during["promiscuity"], 1, during)
                    self.assertEqual(during["flags"], before["flags"])
                    err = self.stop(p)
                finally:
                    if p.poll() is None:
                        self.kill(p)
                self.assertEqual(link(dev), before)
                self.assertEqual("the interface is down" in err, not up, err)

    def test_iface_flags_after_sigkill(self):
        before = self.veth("vkill", True)
        p = self.start_on("vkill")
        self.kill(p)
        self.assertEqual(link("vkill"), before)

    def test_iface_promiscuous_already(self):
        """An interface the admin made promiscuous stays so, and only so."""
        self.veth("vprom", True)
        sh("ip", "-n", NS, "link", "set", "vprom", "promisc", "on")
        before = link("vprom")
        self.assertIn("PROMISC", before["flags"])
        p = self.start_on("vprom", ["--no-promiscuous-mode"])
        try:
            self.assertEqual(link("vprom"), before)
            self.stop(p)
        finally:
            if p.poll() is None:
                self.kill(p)
        self.assertEqual(link("vprom"), before)

    def test_no_promiscuous_mode(self):
        before = self.veth("vnop", True)
        p = self.start_on("vnop", ["--no-promiscuous-mode"])
        try:
            # veth filters no MAC (frames for others still reach AF_PACKET),
            # so the kernel's count is what tells
            self.assertEqual(link("vnop")["promiscuity"], 0)
            self.stop(p)
        finally:
            if p.poll() is None:
                self.kill(p)
        self.assertEqual(link("vnop"), before)

    def test_no_such_interface(self):
        r = subprocess.run(["ip", "netns", "exec", NS, BIN, "--iface", "nosuch0", "--quiet"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stderr.strip().splitlines(),
                         ["streamprobe: --iface nosuch0: no such device"])

    def test_snapshot_length(self):
        pcap = os.path.join(self.tmp, "http.pcap")
        http_pcap(pcap)
        got = {}
        for snap in ("80", "1536"):
            out = os.path.join(self.tmp, "snap%s.csv" % snap)
            p, _ = self.start(out, ["--snapshot-length", snap])
            try:
                self.replay([pcap])
                time.sleep(0.5)
                self.stop(p)
            finally:
                if p.poll() is None:
                    self.kill(p)
            header, rs = rows(out)
            flows = [dict(zip(header, r)) for r in rs if r[header.index("dst_port")] == "80"]
            self.assertEqual(len(flows), 1, rs)
            got[snap] = flows[0]
        cut, whole = got["80"], got["1536"]
        self.assertEqual(whole["requested_server_name"], "example.com")
        self.assertEqual(whole["user_agent"], "sp-live-test/1.0")
        # the request line (bytes 54-79) is seen, Host and User-Agent are not
        self.assertEqual(cut["requested_server_name"], "")
        self.assertEqual(cut["user_agent"], "")
        # sizes are the wire's: 6 frames, 482 bytes, the request 143
        for col in ("bidirectional_packets", "bidirectional_bytes", "src2dst_bytes",
                    "dst2src_bytes", "bidirectional_max_ps", "src2dst_max_ps", "splt_ps"):
            self.assertEqual(cut[col], whole[col], col)
        self.assertEqual(whole["bidirectional_bytes"], "482")

    def test_port_promiscuous(self):
        """--port on an af_packet vdev of the user's EAL options: promiscuous through
        rte_eth_promiscuous_* while it runs (the PMD's IFF_PROMISC ioctl), none with
        --no-promiscuous-mode, and the flag cleared at exit."""
        before = self.veth("vport", True)
        prefix = "spport%d" % os.getpid()
        tel = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
        self.addCleanup(shutil.rmtree, "/var/run/dpdk/" + prefix, True)
        for opt, promisc in (([], True), (["--no-promiscuous-mode"], False)):
            with self.subTest(opt=opt):
                p = subprocess.Popen(["ip", "netns", "exec", NS, BIN, "--no-huge", "--no-pci",
                                      "-m", "256", "--no-shconf", "--file-prefix", prefix,
                                      "--vdev", "net_af_packet0,iface=vport", "-l", "0,1",
                                      "--", "--port", "0", "--quiet"] + opt,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                try:
                    t0 = time.monotonic()
                    while True:
                        try:
                            if self.stats(tel, "/ethdev/link_status,0")["status"] == "UP":
                                break
                        except (OSError, KeyError, TypeError, ValueError):
                            pass
                        self.assertIsNone(p.poll(), p.communicate()[1] if p.poll() else "")
                        self.assertLess(time.monotonic() - t0, 20)
                        time.sleep(0.05)
                    time.sleep(0.2)
                    self.assertEqual("PROMISC" in link("vport")["flags"], promisc)
                    self.stop(p)
                finally:
                    if p.poll() is None:
                        p.kill()
                        p.communicate()
                self.assertEqual(link("vport"), before)

    def test_socket_buffer_size(self):
        """The AF_PACKET ring is socket_buffer_size bytes in whole blocks (libpcap's
        2 MiB by default), as the PMD reports it at its INFO log level."""
        self.veth("vbuf", True)
        page = os.sysconf("SC_PAGE_SIZE")
        prefix = "spbuf%d" % os.getpid()
        self.addCleanup(shutil.rmtree, "/var/run/dpdk/" + prefix, True)
        for size, blocks in (("100000", 100000 // page), (None, (2 << 20) // page)):
            with self.subTest(size=size):
                args = ["ip", "netns", "exec", NS, BIN, "--no-huge", "--no-pci", "-m", "256",
                        "--no-shconf", "--no-telemetry", "--file-prefix", prefix,
                        "--log-level=pmd.net.af_packet:info", "-l", "0,1", "--",
                        "--iface", "vbuf", "--quiet"]
                if size is not None:
                    args += ["--socket-buffer-size", size]
                p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
                try:
                    # started: the promiscuity membership comes after the vdev
                    t0 = time.monotonic()
                    while link("vbuf")["promiscuity"] == 0:
                        self.assertIsNone(p.poll(), p.communicate()[1] if p.poll() else "")
                        self.assertLess(time.monotonic() - t0, 20)
                        time.sleep(0.05)
                    err = self.stop(p)
                finally:
                    if p.poll() is None:
                        p.kill()
                        p.communicate()
                self.assertIn("\tblock size %d\n" % page, err)
                self.assertIn("\tblock count %d\n" % blocks, err)
                self.assertIn("\tframe size 2048\n", err)
                self.assertIn("\tframe count %d\n" % (blocks * (page // 2048)), err)

    def test_jumbo_wire_length(self):
        """vcap's MTU is 9000: the af_packet ring frames hold whole 8 KB frames,
        so their sizes are the wire's (the PMD's default 2 KiB frames cut
        them at 1982 bytes and reported that as their length)."""
        g = genpcap()
        a, b = "10.2.0.1", "10.2.0.2"
        recs = [g.Rec(g.ms(i * 10), g.eth_ip(a, b, g.udp4(a, b, 5000, 6000, n, seed=i)))
                for i, n in enumerate((8000, 3000, 100))]
        pcap = os.path.join(self.tmp, "jumbo.pcap")
        g.write_pcap(pcap, recs, 1)
        out = os.path.join(self.tmp, "jumbo.csv")
        p, _ = self.start(out, [])
        try:
            self.replay([pcap])
            time.sleep(0.5)
            self.stop(p)
        finally:
            if p.poll() is None:
                self.kill(p)
        header, rs = rows(out)
        flows = [dict(zip(header, r)) for r in rs if r[header.index("dst_port")] == "6000"]
        self.assertEqual(len(flows), 1, rs)
        self.assertEqual(flows[0]["bidirectional_packets"], "3")
        self.assertEqual(flows[0]["bidirectional_max_ps"], "8042")
        self.assertEqual(flows[0]["splt_ps"], "[8042, 3042, 142, -1, -1, -1, -1, -1, -1, -1]")

    def test_csv_holds_flows_within_a_second(self):
        """A live CSV is flushed by time, not only when its buffer fills: once the
        workers have exported every flow (telemetry), the file holds them all within a
        second (--flush-interval, default 100 ms), header first."""
        live_csv = os.path.join(self.tmp, "flush.csv")
        p, tel = self.start(live_csv, ["--idle-timeout", "1"])
        try:
            self.replay()
            deadline = time.monotonic() + 10
            while True:
                st = self.stats(tel)
                if st["flows_active"] == 0 and st["flows_exported"] > 0:
                    break
                self.assertLess(time.monotonic(), deadline, st)
                time.sleep(0.05)
            exported = time.monotonic()
            while True:
                with open(live_csv, newline="") as f:
                    text = f.read()
                lines = text.count("\n")
                if lines == st["flows_exported"] + 1:
                    break
                self.assertLess(time.monotonic() - exported, 1.0,
                                "%d flows exported, the CSV has %d lines" %
                                (st["flows_exported"], lines))
                time.sleep(0.02)
            header, flows = rows(live_csv)
            self.assertEqual(header[:3], ["id", "expiration_id", "src_ip"])
            self.assertEqual(len(flows), st["flows_exported"])
            self.stop(p)
        finally:
            if p.poll() is None:
                p.kill()


CORPUS = os.path.join(os.environ.get("SP_CORPUS") or
                      os.path.join(ROOT, "..", "shared", "corpus"), "pcaps")


class LiveCorpus(Live):
    """A real capture of the conformance corpus, replayed live (a TLS session
    of 667 packets over 8 s: no VLAN tag, no fragment, no idle gap)."""

    def test_corpus_capture_matches_offline(self):
        self.live_vs_offline([os.path.join(CORPUS, "443-firefox.pcap")], "live-corpus.csv")

    test_live_matches_offline = None
    test_timer_expiry_without_packets = None
    test_csv_holds_flows_within_a_second = None
    test_iface_flags_restored = None
    test_iface_flags_after_sigkill = None
    test_iface_promiscuous_already = None
    test_no_promiscuous_mode = None
    test_no_such_interface = None
    test_snapshot_length = None
    test_jumbo_wire_length = None
    test_socket_buffer_size = None
    test_port_promiscuous = None


if __name__ == "__main__":
    # "LiveCorpus" alone exits 77 (meson's "skipped") without the corpus.
    if sys.argv[1:] == ["LiveCorpus"] and not os.path.isdir(CORPUS):
        print("no corpus at %s: skipped" % CORPUS)
        sys.exit(77)
    unittest.main(verbosity=2)
