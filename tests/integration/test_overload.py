#!/usr/bin/env python3
"""Live overload (issue 13, item 7): tcpreplay at top speed into a veth pair
inside a network namespace of the test's own, read by `--iface` through an
AF_PACKET ring far too small for the burst (--socket-buffer-size 65536: 32
frames), so that the kernel drops packets while the probe is busy.

Every packet tcpreplay sent is accounted for, each where it was lost:

    tcpreplay's "Successful packets"
      = the probe's received (processed + missed + nombuf + unread)
      + the veth's own losses that tcpreplay did not see: vfeed's tx_dropped
        and vcap's rx_dropped (`ip -s link`; the receive backlog was full),
        less tcpreplay's "Retried packets (ENOBUFS)" (a veth drop fails the
        send with ENOBUFS, and tcpreplay sends that packet again)

where `missed` is the kernel's count of packets that found the AF_PACKET
ring full (PACKET_STATISTICS tp_drops: net_af_packet in DPDK 22.11 reports
no imissed). The exit report's accounting line adds up, and its `dropped:`
line gives the drops by place and sums to `dropped`.

Needs root, iproute2 and tcpreplay (tools/install-deps.sh installs it).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STREAMPROBE", os.path.join(ROOT, "build", "app", "streamprobe"))
NS = "spov%d" % os.getpid()
PACKETS = 200000
FLOWS = 2000

ACCT_RE = re.compile(r"^accounting: received=(\d+) in_flows=(\d+) ignored=(\d+) "
                     r"filtered=(\d+) dropped=(\d+)$", re.M)
DROP_RE = re.compile(r"^dropped:((?: [a-z_]+=\d+)+)$", re.M)


def sh(*args):
    return subprocess.run(list(args), check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def accounting(err):
    """The exit report's accounting and dropped: lines, checked to add up."""
    acct = ACCT_RE.findall(err)
    assert len(acct) == 1, err[-2000:]
    d = dict(zip(("received", "in_flows", "ignored", "filtered", "dropped"),
                 (int(x) for x in acct[0])))
    assert d["received"] == d["in_flows"] + d["ignored"] + d["filtered"] + d["dropped"], d
    assert "accounting does not add up" not in err, err[-2000:]
    return d


def drops_by_place(err, acct):
    """The dropped: line (the places), checked to sum to dropped."""
    drops = DROP_RE.findall(err)
    assert len(drops) == 1, "no dropped: line by place:\n" + err[-2000:]
    place = {k: int(v) for k, v in (kv.split("=") for kv in drops[0].split())}
    assert sum(place.values()) == acct["dropped"], (place, acct)
    return place


def veth_lost(before, after, replay_out):
    """Packets the veth pair dropped that tcpreplay counted as sent."""
    drops = sum(after[d][k]["dropped"] - before[d][k]["dropped"]
                for d, k in (("vfeed", "tx"), ("vcap", "rx")))
    retried = re.search(r"Retried packets \(ENOBUFS\):\s+(\d+)", replay_out)
    lost = drops - (int(retried.group(1)) if retried else 0)
    assert lost >= 0, (drops, replay_out)
    return lost


def link_stats(dev):
    d = json.loads(sh("ip", "-s", "-j", "-n", NS, "link", "show", "dev", dev).stdout)[0]
    return d["stats64"]


def write_pcap(path):
    """PACKETS minimum-size UDP frames over FLOWS flows (60 B: the most
    packets per second tcpreplay can push)."""
    spec = __import__("importlib.util").util.spec_from_file_location(
        "sp_genpcap", os.path.join(ROOT, "tools", "sp-genpcap.py"))
    g = __import__("importlib.util").util.module_from_spec(spec)
    spec.loader.exec_module(g)
    frames = []
    for i in range(FLOWS):
        a, b = "10.9.%d.%d" % (i >> 8, i & 255), "10.8.0.1"
        frames.append(g.eth_ip(a, b, g.udp4(a, b, 20000 + i % 40000, 53, 18, seed=i)))
    g.write_pcap(path, [g.Rec(g.ms(i * 0.01), frames[i % FLOWS]) for i in range(PACKETS)], 1)


class Overload(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("ip", "tcpreplay"):
            if shutil.which(tool) is None:
                raise RuntimeError("%s is not installed (tools/install-deps.sh)" % tool)
        if not os.access(BIN, os.X_OK):
            raise RuntimeError("streamprobe binary not found at %s" % BIN)
        cls.tmp = tempfile.mkdtemp(prefix="sp-overload-")
        cls.pcap = os.path.join(cls.tmp, "small.pcap")
        write_pcap(cls.pcap)
        subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
        sh("ip", "netns", "add", NS)
        sh("ip", "-n", NS, "link", "set", "lo", "up")
        sh("ip", "-n", NS, "link", "add", "vfeed", "type", "veth", "peer", "name", "vcap")
        # no IPv6: the kernel would send its own router/MLD packets
        sh("ip", "netns", "exec", NS, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        for dev in ("vfeed", "vcap"):
            sh("ip", "-n", NS, "link", "set", dev, "up")

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
        if not os.environ.get("SP_KEEP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @staticmethod
    def stats(path, cmd="/streamprobe/stats"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
            s.connect(path)
            s.recv(16384)
            s.send(cmd.encode())
            return json.loads(s.recv(1 << 16).decode())[cmd.split(",")[0]]

    def start(self, extra):
        csv_path = os.path.join(self.tmp, "flows.csv")
        p = subprocess.Popen(["ip", "netns", "exec", NS, BIN, "--iface", "vcap", "--csv",
                              csv_path, "--quiet", "--telemetry", "--socket-buffer-size",
                              "65536", "--max-flows", "65536"] + extra,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # `ip netns exec` execs the program: p.pid is streamprobe's
        tel = "/var/run/dpdk/streamprobe%d/dpdk_telemetry.v2" % p.pid
        t0 = time.monotonic()
        while True:
            try:
                if self.stats(tel, "/ethdev/link_status,0")["status"] == "UP":
                    return p, tel
            except (OSError, KeyError, TypeError, ValueError):
                pass
            if p.poll() is not None or time.monotonic() - t0 > 20:
                if p.poll() is None:
                    p.kill()
                raise RuntimeError("streamprobe did not start: %s" % p.communicate()[1])
            time.sleep(0.05)

    def overload(self, extra):
        before = {d: link_stats(d) for d in ("vfeed", "vcap")}
        p, tel = self.start(extra)
        try:
            r = sh("ip", "netns", "exec", NS, "tcpreplay", "-i", "vfeed", "--topspeed",
                   self.pcap)
            sent = int(re.search(r"Successful packets:\s+(\d+)", r.stdout).group(1))
            failed = int(re.search(r"Failed packets:\s+(\d+)", r.stdout).group(1))
            # the probe has read what it will: its counts stop moving
            last, t0 = None, time.monotonic()
            while time.monotonic() - t0 < 20:
                st = self.stats(tel)
                now = (st["packets"], st["drop_input_lost"])
                if now == last:
                    break
                last = now
                time.sleep(0.3)
            time.sleep(1.2)	# one more performance report after the last change
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(p.returncode, 0, err)
        after = {d: link_stats(d) for d in ("vfeed", "vcap")}
        lost = veth_lost(before, after, r.stdout)
        acct = accounting(err)
        self.perf = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
        rate = re.search(r"Rated: .*?([\d.]+) pps", r.stdout)
        sys.stderr.write("sent=%d (%s pps) failed=%d veth_lost=%d %s\n" %
                         (sent, rate.group(1) if rate else "?", failed, lost,
                          [l for l in err.splitlines() if l.startswith(("acc", "dropped:"))]))
        # every packet the veth delivered reached the probe's count
        self.assertEqual(sent, acct["received"] + lost,
                         "sent %d != received %d + veth losses %d (%r)" %
                         (sent, acct["received"], lost, acct))
        place = acct["by_place"] = drops_by_place(err, acct)
        # overload did happen: the ring overflowed, and it was counted
        self.assertGreater(place["missed"], 0, "no overload: %r" % acct)
        self.assertEqual(acct["dropped"], place["missed"] + place["nombuf"] + place["unread"] +
                         place["ring_full"] + place["table_full"])
        self.assertEqual(acct["filtered"], 0)
        return acct

    def test_stopped_reader(self):
        """The probe frozen (SIGSTOP) while tcpreplay sends: the ring fills, the
        kernel drops the rest (missed); SIGINT is then pending when it resumes, so
        the run often stops with packets still in the ring, which it never read:
        they are received and dropped as unread, and sent = received still holds.
        (Whether the worker reads the ring before it sees the stop is a race: three
        rounds, and the equation holds whichever way each goes.)"""
        for i in range(3):
            with self.subTest(round=i):
                self.stopped_reader()

    def stopped_reader(self):
        before = {d: link_stats(d) for d in ("vfeed", "vcap")}
        p, tel = self.start([])
        try:
            os.kill(p.pid, signal.SIGSTOP)
            r = sh("ip", "netns", "exec", NS, "tcpreplay", "-i", "vfeed", "--topspeed",
                   "--limit", "5000", self.pcap)
            sent = int(re.search(r"Successful packets:\s+(\d+)", r.stdout).group(1))
            os.kill(p.pid, signal.SIGINT)
            os.kill(p.pid, signal.SIGCONT)
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(p.returncode, 0, err)
        after = {d: link_stats(d) for d in ("vfeed", "vcap")}
        lost = veth_lost(before, after, r.stdout)
        acct = accounting(err)
        place = drops_by_place(err, acct)
        sys.stderr.write("sent=%d veth_lost=%d %r %r\n" % (sent, lost, acct, place))
        self.assertEqual(sent, 5000)
        self.assertEqual(sent, acct["received"] + lost, (acct, place))
        # the ring holds 32 frames: the kernel dropped the rest while frozen
        self.assertGreaterEqual(place["missed"], sent - lost - 32, place)
        self.assertLessEqual(acct["received"] - place["missed"], 32, (acct, place))

    def test_one_worker(self):
        acct = self.overload(["--performance-report", "1"])
        self.assertEqual(acct["ignored"], 0)
        self.assertEqual(acct["by_place"]["ring_full"], 0)
        # NFStream's performance report counts them as dropped by the kernel
        self.assertTrue(self.perf, "no performance report")
        self.assertEqual(self.perf[-1]["packets_dropped_filtered_by_kernel"], acct["dropped"])

    def test_dispatched_workers(self):
        """Two workers behind the software dispatch: the ring's drops and the
        dispatch rings' are both counted, each in its place."""
        self.overload(["--workers", "2"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
