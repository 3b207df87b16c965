#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""valgrind memcheck on representative streamprobe runs.

    python3 tests/integration/test_valgrind.py [-v] [-k PATTERN]

Each run is made under

    valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
             --suppressions=tests/valgrind/ndpi.supp

and must end with memcheck's "ERROR SUMMARY: 0 errors" (invalid reads and writes, uses of
uninitialised values, bad frees, and definite leaks, which --errors-for-leak-kinds makes
errors) besides the run's own expected exit status. The runs cover: a capture with nDPI and
its optional columns, the shipped plugins dhcp, mdns, ja4 and slicer on a capture made here
with DHCP, mDNS, TLS, HTTP and DNS (well formed and cut or corrupted), IPFIX file output, 2
workers, every link type, tunnel and malformed-packet scenario of tools/sp-genpcap.py, the
pcap PMD input, a compressed input, the CSV anonymizer, --max-nflows, and error exits (bad
files, options, plugins). A run that completes must write the same CSV as the same binary
without valgrind (with 2 workers: the same number of flows and the same accounting line,
since nDPI's per-worker caches may label flows differently).

tests/valgrind/ndpi.supp lists what is suppressed: only nDPI's own leaks, each with why it
is nDPI's. valgrind 3.19 does not decode AVX-512: a binary built with -march=native on a
CPU that has it may stop with "unhandled instruction"; the test then fails and says to build
with -Dcpu_instruction_set=x86-64-v3.

The binary is $STREAMPROBE (default: build/app/streamprobe under the repository root).
Exit 77 (meson: SKIP) without valgrind, or when the binary is an ASan build (valgrind
cannot run those; tools/run-tests.sh --sanitize leaves this suite out).
"""

import gzip
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sp_accounting import check_accounting  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("STREAMPROBE") or os.path.join(REPO, "build", "app", "streamprobe")
GENERATOR = os.path.join(REPO, "tools", "sp-genpcap.py")
SUPP = os.path.join(REPO, "tests", "valgrind", "ndpi.supp")
VALGRIND = shutil.which("valgrind")
VG_ARGS = ["--error-exitcode=1", "--leak-check=full", "--errors-for-leak-kinds=definite",
           "--show-leak-kinds=definite", "--suppressions=" + SUPP, "--num-callers=40"]
VG_TIMEOUT = 600
ACCT_RE = re.compile(r"^accounting: .*$", re.M)
T0 = 1700000000

# ---------------------------------------------------------------- a capture for the plugins


def csum(h):
    if len(h) % 2:
        h += b"\0"
    s = sum(struct.unpack("!%dH" % (len(h) // 2), h))
    while s >> 16:
        s = (s >> 16) + (s & 0xffff)
    return ~s & 0xffff


def ipv4(src, dst, proto, l4):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0,
                     bytes(src), bytes(dst))
    return ip[:10] + struct.pack("!H", csum(ip)) + ip[12:] + l4


def eth(payload, smac=b"\x02\0\0\0\0\x01", dmac=b"\x02\0\0\0\0\x02"):
    return dmac + smac + b"\x08\x00" + payload


def udp(src, dst, sport, dport, payload):
    return eth(ipv4(src, dst, 17, struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
                    + payload))


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b""):
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    return eth(ipv4(src, dst, 6, h + payload))


def dhcp(op, msg_type, ciaddr=(0, 0, 0, 0), yiaddr=(0, 0, 0, 0), extra=b"", cut=None):
    bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", op, 1, 6, 0, 0x1234, 0, 0x8000,
                        bytes(ciaddr), bytes(yiaddr), bytes(4), bytes(4),
                        b"\x02\0\0\0\0\x05" + bytes(10), bytes(64), bytes(128))
    opts = bytes([53, 1, msg_type]) + bytes([12, 6]) + b"host-1" + \
        bytes([50, 4, 10, 0, 0, 50]) + bytes([55, 5, 1, 3, 6, 15, 119]) + \
        bytes([57, 2, 5, 220]) + bytes([60, 8]) + b"MSFT 5.0" + \
        bytes([77, 4]) + b"user" + bytes([61, 7, 1]) + b"\x02\0\0\0\0\x05" + extra + b"\xff"
    msg = bootp + b"\x63\x82\x53\x63" + opts
    return msg[:cut] if cut else msg


def dns_name(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"


def mdns_response(names, extra_rr=b"", count_lie=0):
    an = b""
    for n in names:
        rdata = dns_name(n + ".local")
        an += dns_name("_services._dns-sd._udp.local") + struct.pack("!HHIH", 12, 1, 120,
                                                                     len(rdata)) + rdata
    # an A record whose name is a (backward) compression pointer to the first answer's name
    an += b"\xc0\x0c" + struct.pack("!HHIH", 1, 0x8001, 120, 4) + bytes([10, 0, 0, 9])
    an += extra_rr
    hdr = struct.pack("!HHHHHH", 0, 0x8400, 0, len(names) + 1 + count_lie, 0, 0)
    return hdr + an


def dns_query(qname, qtype=1):
    return struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + dns_name(qname) + \
        struct.pack("!HH", qtype, 1)


def ext(t, data):
    return struct.pack("!HH", t, len(data)) + data


def client_hello(sni):
    exts = [ext(0, struct.pack("!HBH", len(sni) + 3, 0, len(sni)) + sni),
            ext(10, struct.pack("!HHHH", 6, 0x1d, 0x17, 0x18)),
            ext(11, b"\x01\x00"),
            ext(13, struct.pack("!HHHHH", 8, 0x0403, 0x0804, 0x0401, 0x0503)),
            ext(16, struct.pack("!H", 12) + b"\x02h2\x08http/1.1"),
            ext(43, b"\x04\x03\x04\x03\x03"),
            ext(0x0a0a, b"")]
    body = struct.pack("!H", 0x0303) + b"\x22" * 32 + b"\x20" + b"\x11" * 32
    cs = struct.pack("!6H", 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0x0a0a)
    body += struct.pack("!H", len(cs)) + cs + b"\x01\x00"
    e = b"".join(exts)
    body += struct.pack("!H", len(e)) + e
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def server_hello():
    e = ext(43, b"\x03\x04") + ext(51, struct.pack("!HH", 0x1d, 32) + b"\x44" * 32)
    body = struct.pack("!H", 0x0303) + b"\x33" * 32 + b"\x20" + b"\x11" * 32 + \
        struct.pack("!HB", 0x1301, 0) + struct.pack("!H", len(e)) + e
    hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs


def tcp_session(cli, srv, cport, sport, c_data, s_data):
    """SYN, SYN/ACK, ACK, then the client's and the server's payloads, FIN both ways."""
    cs, ss = 1000, 5000
    out = [tcp(cli, srv, cport, sport, cs, 0, 0x02), tcp(srv, cli, sport, cport, ss, cs + 1, 0x12),
           tcp(cli, srv, cport, sport, cs + 1, ss + 1, 0x10)]
    cs, ss = cs + 1, ss + 1
    for c, s in zip(c_data, s_data):
        out.append(tcp(cli, srv, cport, sport, cs, ss, 0x18, c))
        cs += len(c)
        out.append(tcp(srv, cli, sport, cport, ss, cs, 0x18, s))
        ss += len(s)
    out += [tcp(cli, srv, cport, sport, cs, ss, 0x11), tcp(srv, cli, sport, cport, ss, cs + 1, 0x11),
            tcp(cli, srv, cport, sport, cs + 1, ss + 1, 0x10)]
    return out


def apps_frames():
    Z, BC, SRV, CLI = (0, 0, 0, 0), (255, 255, 255, 255), (10, 0, 0, 1), (10, 0, 0, 50)
    M = (224, 0, 0, 251)
    f = []
    # DHCP: a full exchange, then an unknown message type, a cut message and an option
    # whose length runs past the end
    f.append(udp(Z, BC, 68, 67, dhcp(1, 1)))
    f.append(udp(SRV, CLI, 67, 68, dhcp(2, 2, yiaddr=CLI)))
    f.append(udp(Z, BC, 68, 67, dhcp(1, 3)))
    f.append(udp(SRV, CLI, 67, 68, dhcp(2, 5, yiaddr=CLI)))
    f.append(udp((10, 0, 0, 51), SRV, 68, 67, dhcp(1, 106, ciaddr=(10, 0, 0, 51))))
    f.append(udp((10, 0, 0, 52), SRV, 68, 67, dhcp(1, 3, ciaddr=(10, 0, 0, 52), cut=250)))
    f.append(udp((10, 0, 0, 53), SRV, 68, 67,
                 dhcp(1, 8, ciaddr=(10, 0, 0, 53), extra=bytes([12, 200]) + b"x" * 5)[:-1]))
    # mDNS: answers with PTR names, a count that lies, a forward pointer, a bad UTF-8 name
    f.append(udp((10, 0, 0, 7), M, 5353, 5353, mdns_response(["printer", "tv"])))
    f.append(udp((10, 0, 0, 7), M, 5353, 5353, mdns_response(["speaker"], count_lie=3)))
    f.append(udp((10, 0, 0, 7), M, 5353, 5353,
                 mdns_response(["nas"], extra_rr=b"\xc0\xff" + struct.pack("!HHIH", 1, 1, 1, 0))))
    bad = bytearray(mdns_response(["bad"]))
    bad[14] = 0xff          # a byte of the first name that is not UTF-8
    f.append(udp((10, 0, 0, 8), M, 5353, 5353, bytes(bad)))
    # DNS for nDPI
    f.append(udp(CLI, SRV, 40000, 53, dns_query("www.example.com")))
    f.append(udp(SRV, CLI, 53, 40000, dns_query("www.example.com")[:2] + b"\x81\x80" +
                 dns_query("www.example.com")[4:]))
    # TLS: a full handshake (JA4 and JA4S), one with the client hello cut
    f += tcp_session(CLI, (93, 184, 216, 34), 50000, 443, [client_hello(b"www.example.com")],
                     [server_hello()])
    f += tcp_session(CLI, (93, 184, 216, 35), 50001, 443,
                     [client_hello(b"cut.example.com")[:90]], [b"\x15\x03\x03\x00\x02\x02\x28"])
    # HTTP with a Host and a User-Agent for nDPI
    f += tcp_session(CLI, (93, 184, 216, 36), 50002, 80,
                     [b"GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n"
                      b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) \"quoted\", comma\r\n\r\n"],
                     [b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\n"
                      b"hello"])
    return f


def write_pcap(path, frames):
    with open(path, "wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            fh.write(struct.pack("<IIII", T0 + i // 10, (i % 10) * 1000, len(fr), len(fr)) + fr)


# ---------------------------------------------------------------- runs

def is_asan(binary):
    """ASan-instrumented: the binary calls __asan_init (GCC: from libasan.so, clang: its
    own static runtime)."""
    with open(binary, "rb") as fh:
        return b"__asan_init" in fh.read()


class Run:
    def __init__(self, cmd, rc, err, log):
        self.cmd, self.rc, self.err, self.log = cmd, rc, err, log


class ValgrindTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="sp-vg-")
        cls.pcaps = os.path.join(cls.work, "pcaps")
        p = subprocess.run([sys.executable, GENERATOR, cls.pcaps], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True, timeout=300)
        if p.returncode != 0:
            raise RuntimeError("sp-genpcap.py failed: " + p.stdout)
        write_pcap(cls.pcap("apps.pcap"), apps_frames())
        with open(cls.pcap("mixed.pcap"), "rb") as src, \
                gzip.open(cls.pcap("mixed.pcap.gz"), "wb") as dst:
            shutil.copyfileobj(src, dst)
        with open(os.path.join(cls.work, "key"), "wb") as fh:
            fh.write(bytes(range(64)))

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("SP_KEEP"):
            shutil.rmtree(cls.work, True)

    @classmethod
    def pcap(cls, name):
        return os.path.join(cls.pcaps, name)

    def run_sp(self, tag, args, valgrind):
        cmd = [BINARY] + args
        log = None
        if valgrind:
            log = os.path.join(self.work, tag + ".vg.log")
            cmd = [VALGRIND, "--log-file=" + log] + VG_ARGS + cmd
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, errors="replace",
                           timeout=VG_TIMEOUT if valgrind else 120)
        return Run(" ".join(cmd), p.returncode, p.stderr, log)

    def assertClean(self, r):
        """memcheck found nothing: the log's ERROR SUMMARY says 0 errors."""
        with open(r.log) as fh:
            text = fh.read()
        if "unhandled instruction" in text:
            self.fail("valgrind cannot decode an instruction of the binary (AVX-512 with "
                      "-march=native?): build it with -Dcpu_instruction_set=x86-64-v3\n"
                      + text[-3000:])
        m = re.search(r"ERROR SUMMARY: (\d+) errors", text)
        self.assertIsNotNone(m, "no ERROR SUMMARY in the valgrind log %s\n%s\nstderr:\n%s"
                             % (r.log, text[-3000:], r.err[-2000:]))
        self.assertEqual(int(m.group(1)), 0, "memcheck errors (rerun with --track-origins=yes "
                         "for the origin of uninitialised values):\n%s\ncommand: %s"
                         % (text[-12000:], r.cmd))

    def check(self, tag, args, csv=True, same_rows=True):
        """A run that must succeed: exit 0 under valgrind, memcheck clean, and the output
        of a run without valgrind (the CSV, or with same_rows False its number of lines
        and the accounting line)."""
        out_vg = os.path.join(self.work, tag + ".vg.csv")
        out_nat = os.path.join(self.work, tag + ".csv")
        vg = self.run_sp(tag, args + (["--csv", out_vg] if csv else []), True)
        self.assertClean(vg)
        self.assertEqual(vg.rc, 0, "exit status under valgrind\ncommand: %s\nstderr:\n%s"
                         % (vg.cmd, vg.err[-3000:]))
        nat = self.run_sp(tag, [a.replace(".vg.", ".") for a in args] +
                          (["--csv", out_nat] if csv else []), False)
        self.assertEqual(nat.rc, 0, nat.err[-3000:])
        self.assertEqual(ACCT_RE.findall(vg.err), ACCT_RE.findall(nat.err))
        self.assertTrue(ACCT_RE.findall(vg.err), "no accounting line:\n" + vg.err[-3000:])
        check_accounting(vg.err)
        check_accounting(nat.err)
        if not csv:
            return vg
        with open(out_vg) as a, open(out_nat) as b:
            got, want = a.read().splitlines(), b.read().splitlines()
        self.assertGreater(len(want), 1, "no flow in %s" % out_nat)
        if same_rows:
            self.assertEqual(got, want, "the CSV under valgrind differs from the one without")
        else:
            self.assertEqual(got[0], want[0])
            self.assertEqual(len(got), len(want))
        return vg

    def check_error(self, tag, args, needle):
        """A run that must fail cleanly: non-zero exit, a message naming the cause, and
        memcheck clean on that exit path too."""
        vg = self.run_sp(tag, args, True)
        self.assertClean(vg)
        self.assertNotEqual(vg.rc, 0, "expected a failure\n" + vg.err[-2000:])
        self.assertIn(needle, vg.err, vg.err[-2000:])

    # -- the runs

    def test_dpi(self):
        """nDPI with its optional columns, statistics and SPLT on the mixed capture."""
        self.check("dpi", ["--pcap", self.pcap("mixed.pcap"), "--statistical-analysis",
                           "--splt-analysis", "10", "--ndpi-risks", "--ndpi-extra",
                           "--dpi-stats"])

    def test_plugins_ipfix(self):
        """dhcp, mdns and ja4 with nDPI on DHCP/mDNS/TLS/HTTP/DNS, IPFIX to a file too."""
        ipfix = os.path.join(self.work, "plugins.vg.ipfix")
        vg = self.check("plugins", ["--pcap", self.pcap("apps.pcap"), "--pcap",
                                    self.pcap("mixed.pcap"), "--plugin", "dhcp",
                                    "--plugin", "mdns", "--plugin", "ja4",
                                    "--ipfix", "file:" + ipfix])
        m = re.search(r"ipfix file:\S+: records=(\d+)", vg.err)
        self.assertIsNotNone(m, vg.err)
        with open(os.path.join(self.work, "plugins.vg.csv")) as fh:
            self.assertEqual(int(m.group(1)), len(fh.read().splitlines()) - 1)
        self.assertGreater(os.path.getsize(ipfix), 0)

    def test_workers_slicer(self):
        """2 workers, the slicer and dhcp, statistics."""
        self.check("workers", ["--pcap", self.pcap("apps.pcap"), "--pcap",
                               self.pcap("mixed.pcap"), "--workers", "2", "--plugin",
                               "slicer:limit=3", "--plugin", "dhcp", "--statistical-analysis"],
                   same_rows=False)

    def test_scenarios(self):
        """Every link type, tunnel, truncated and malformed-packet capture of sp-genpcap."""
        names = ["malformed", "truncated", "ipv4_frag", "ipv6_ext", "ipip", "gtp", "tzsp",
                 "capwap", "mpls_pppoe", "vlan", "icmp", "null_be", "null_le", "raw", "sll",
                 "sll2", "ipv4", "ipv6", "ppp", "chdlc", "ppp_serial", "backwards_time",
                 "tcp_fin_rst", "accounting"]
        args = []
        for n in names:
            args += ["--pcap", self.pcap(n + ".pcap")]
        self.check("scenarios", args + ["--pcap", self.pcap("ng_ns.pcapng"),
                                        "--statistical-analysis", "--splt-analysis", "5"])

    def test_pcap_pmd(self):
        """The net_pcap PMD input (and its shadow libpcap reader)."""
        self.check("pmd", ["--pcap-pmd", "--pcap", self.pcap("apps.pcap"), "--pcap",
                           self.pcap("mixed.pcap"), "--n-dissections", "0"])

    def test_gzip_anonymize_max_nflows(self):
        """A gzip input, the CSV anonymizer (BLAKE2b), --max-nflows stopping the run."""
        self.check("gzip", ["--pcap", self.pcap("mixed.pcap.gz"), "--csv-anonymize",
                            "src_ip,dst_ip,src_mac", "--csv-anonymize-key",
                            os.path.join(self.work, "key"), "--max-nflows", "50"])

    def test_errors(self):
        """Error exits free what they made: bad files, options, plugins."""
        out = os.path.join(self.work, "err.csv")
        self.check_error("badmagic", ["--pcap", self.pcap("badmagic.pcap"), "--csv", out],
                         "streamprobe:")
        self.check_error("corrupt", ["--pcap", self.pcap("corrupt.pcap"), "--csv", out],
                         "streamprobe:")
        self.check_error("badopt", ["--pcap", self.pcap("mixed.pcap"), "--idle-timeout",
                                    "x", "--csv", out], "--idle-timeout")
        self.check_error("badplugin", ["--pcap", self.pcap("mixed.pcap"), "--plugin",
                                       "dhcp:nosuch=1", "--csv", out], "dhcp")
        self.check_error("badcsv", ["--pcap", self.pcap("mixed.pcap"), "--csv",
                                    os.path.join(self.work, "no", "such", "dir.csv")],
                         "streamprobe:")


if __name__ == "__main__":
    if VALGRIND is None:
        print("test_valgrind: valgrind not installed (tools/install-deps.sh installs it): "
              "skipped")
        sys.exit(77)
    if not os.access(BINARY, os.X_OK):
        print("test_valgrind: no binary %s (build it, or set STREAMPROBE)" % BINARY)
        sys.exit(1)
    if is_asan(BINARY):
        print("test_valgrind: %s is an ASan build, which valgrind cannot run: skipped"
              % BINARY)
        sys.exit(77)
    unittest.main()
