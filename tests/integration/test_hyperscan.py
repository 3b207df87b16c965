#!/usr/bin/env python3
"""The hyperscan plugin through the real app.

* Generated: a TCP flow whose patterns are split across 2 to 5 packets in
  both directions, a caseless and a dot-all rule, bytes=N, in the CSV;
  bad rule files and flags: one line "streamprobe: --plugin hyperscan...:
  FILE:LINE: ..." and exit 2.
* Corpus (differential, SKIP without ../shared/corpus): every capture of
  pcaps/ run with a set of rules in the common subset of Hyperscan's and
  Python's regex syntax; for each TCP and UDP flow, and each direction, the
  rule ids streamprobe reports (udps.hs_ids_src2dst, udps.hs_ids_dst2src)
  must equal the rules Python's re finds (re.search) in the same first N
  payload bytes of that direction, concatenated in capture order, the
  payloads read by dpkt (Debian's python3-dpkt, /usr/bin/python3).

    STREAMPROBE=build/app/streamprobe tests/integration/test_hyperscan.py [Generated|Corpus]

Flows are matched to the CSV's rows by protocol and endpoints; a 5-tuple
that makes several flows (idle timeouts), a flow with IP fragments, packets
cut by the snap length, tunnelled flows, and captures of a link type read
here as neither Ethernet, raw IP, Linux cooked nor loopback are left out of
the comparison and counted (printed).
"""
import ast
import csv
import ipaddress
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sp_accounting import check_run  # noqa: E402
from concurrent.futures import ThreadPoolExecutor

try:
    import dpkt  # noqa: F401
except ImportError:
    # the python3 on PATH may not be Debian's, which has python3-dpkt
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("test_hyperscan: no dpkt (apt-get install python3-dpkt): skipped")
    sys.exit(77)
import dpkt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STREAMPROBE", os.path.join(ROOT, "build", "app", "streamprobe"))
CORPUS = os.environ.get("SP_CORPUS", os.path.join(ROOT, "..", "shared", "corpus"))
T0 = 1700000000

# The common subset: literals, classes, \d, bounded and unbounded repeats,
# alternation, groups, ^ at the start of the data, the i and s flags and
# inline (?i). Not $ (Python's also matches before a final \n), \s (\v),
# \b, back references or look-arounds.
RULES = [
    (1, rb"^GET ", ""),
    (2, rb"HTTP\/1\.[01] [2-5]\d\d", ""),
    (3, rb"host: [a-z0-9.-]+\.(com|net|org)", "i"),
    (4, rb"user-agent:[^\r\n]{0,200}mozilla", "i"),
    (5, rb"^\x16\x03[\x00-\x04]", ""),
    (6, rb"\x16\x03[\x01-\x03].{2}\x01", "s"),
    (7, rb"[a-z]{16}", ""),
    (8, rb"\d{4}-\d{2}-\d{2}", ""),
    (9, rb"content-length: *\d+", "i"),
    (10, rb"\r\n\r\n", ""),
    (11, rb"google|facebook|microsoft|apple", "i"),
    (12, rb"\x00\x00\x00\x01\x00", ""),
    (13, rb"(\x03www|www\.)[a-z0-9-]{2,}", "i"),
    (14, rb"[\x80-\xff]{8}", ""),
    (15, rb"(?i)cookie:", ""),
    (16, rb"<html.*</html>", "si"),
    (17, rb"\x05local\x00", ""),
    (18, rb"[^\x00-\x1f\x7f-\xff]{40}", ""),
    (19, rb"a.{100,}b", ""),
    (20, rb"\xff\xfe|\xfe\xff", ""),
    (21, rb"^(?:\x00{4}|\xff{4})", ""),
    (22, rb"bittorrent protocol", "i"),
    (23, rb"[A-Z][a-z]+ [A-Z][a-z]+", ""),
    (24, rb"(\d{1,3}\.){3}\d{1,3}", ""),
    (25, rb"^.{10}\x00", "s"),
    (26, rb"x.y", ""),
    (27, rb"X.Y", "s"),
]
N = 1000


def rule_line(i, pat, flags):
    """ID:/regex/flags with the bytes as Hyperscan's parser reads them."""
    text = "".join(chr(b) if 0x20 <= b < 0x7f else "\\x%02x" % b for b in pat)
    return "%d:/%s/%s" % (i, text, flags)


def py_matches(data):
    out = set()
    for i, pat, flags in RULES:
        f = (re.I if "i" in flags else 0) | (re.S if "s" in flags else 0)
        if re.search(pat, data, f):
            out.add(i)
    return out


def run(args, timeout=120):
    p = subprocess.run([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    # every run that reaches its report: received = in flows + ignored + filtered + dropped
    check_run(p.stderr, p.returncode == 0 and "--pcap" in args)
    return p


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, escapechar="\\", doublequote=False))


def ids(cell):
    return ast.literal_eval(cell) if cell else None


# ---- generated captures ----

def csum(h):
    s = sum(struct.unpack("!%dH" % (len(h) // 2), h))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff


def tcp_frame(src, dst, sport, dport, seq, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                     bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip + tcp


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", T0 + i // 1000, (i % 1000) * 1000, len(fr), len(fr)) + fr)


A, B = (10, 0, 0, 1), (10, 0, 0, 2)


class Generated(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sp_hs_")

    def tearDown(self):
        subprocess.run(["rm", "-rf", self.tmp])

    def rules(self, text, name="r.rules"):
        p = os.path.join(self.tmp, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def test_split_flows(self):
        """Flow k (k = 2..5) carries "Authorization: Basic" and "secret" each cut in k
        packets, the first from the client, the second from the server, their packets
        alternating; flow 6 carries the caseless and dot-all matches, flow 7 the
        pattern past bytes=N."""
        rules = self.rules("1:/Authorization: Basic/ label=auth\n"
                           "2:/secret/ label=secret\n"
                           "3:/mixed case/i label=caseless\n"
                           "4:/begin.end/s label=dotall\n"
                           "5:/begin.end/\n"
                           "6:/late/ label=late\n")
        frames = []
        for k in range(2, 6):
            sport = 40000 + k
            frames.append(tcp_frame(A, B, sport, 80, 0, 0x02, b""))
            a, s = b"xAuthorization: Basicx", b"--secret--"
            ca = [len(a) * j // k for j in range(k + 1)]
            cs = [len(s) * j // k for j in range(k + 1)]
            for j in range(k):
                frames.append(tcp_frame(A, B, sport, 80, 1, 0x18, a[ca[j]:ca[j + 1]]))
                frames.append(tcp_frame(B, A, 80, sport, 1, 0x18, s[cs[j]:cs[j + 1]]))
        frames.append(tcp_frame(A, B, 41000, 80, 0, 0x18, b"MiXeD CaSe begin\nend"))
        frames.append(tcp_frame(A, B, 41001, 80, 0, 0x18, b"z" * 60))
        frames.append(tcp_frame(A, B, 41001, 80, 0, 0x18, b"late"))
        frames.append(tcp_frame(B, A, 80, 41001, 0, 0x18, b"xlate"))
        pcap = os.path.join(self.tmp, "g.pcap")
        write_pcap(pcap, frames)
        out = os.path.join(self.tmp, "o.csv")
        p = run(["--pcap", pcap, "--csv", out, "--plugin", "hyperscan:rules=%s,bytes=62" % rules])
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = {int(r["src_port"]): r for r in read_csv(out)}
        for k in range(2, 6):
            r = rows[40000 + k]
            # packets: SYN, then (client piece j, server piece j) for j < k: "Basic"
            # ends (its 'c', byte 20) in client packet 2 + 2j, "secret" (its 't', byte
            # 7) in server packet 3 + 2j
            ja = max(j for j in range(k) if 22 * j // k <= 20)
            js = max(j for j in range(k) if 10 * j // k <= 7)
            pa, ps = 2 + 2 * ja, 3 + 2 * js
            self.assertEqual(ids(r["udps.hs_ids"]), [1, 2] if pa < ps else [2, 1], k)
            self.assertEqual(ids(r["udps.hs_ids_src2dst"]), [1], k)
            self.assertEqual(ids(r["udps.hs_ids_dst2src"]), [2], k)
            self.assertEqual(ids(r["udps.hs_labels"]),
                             ["auth", "secret"] if pa < ps else ["secret", "auth"], k)
            self.assertEqual(int(r["udps.hs_first_packet"]), min(pa, ps), k)
        r = rows[41000]
        self.assertEqual(ids(r["udps.hs_ids"]), [3, 4])
        self.assertEqual(ids(r["udps.hs_labels"]), ["caseless", "dotall"])
        self.assertEqual(r["udps.hs_first_packet"], "1")
        r = rows[41001]
        # "late" begins at byte 60 of 62 in src2dst: not within N; dst2src has it
        self.assertEqual(ids(r["udps.hs_ids_src2dst"]), [])
        self.assertEqual(ids(r["udps.hs_ids_dst2src"]), [6])
        self.assertEqual(r["udps.hs_first_packet"], "3")
        self.assertIn("plugin hyperscan: packets_scanned=", p.stderr)

    def test_errors(self):
        cases = [
            ("1:/a/\n2:/ab(c/\n", ":2: rule 2: Hyperscan: Missing close parenthesis"),
            ("1:/a/\n\n# c\n3:/b/q\n", ":4: rule 3: unsupported flag 'q'"),
            ("5:/a/\n5:/b/\n", ":2: rule id 5 is also line 1's"),
        ]
        for text, want in cases:
            rules = self.rules(text)
            p = run(["--pcap", "/dev/null", "--plugin", "hyperscan:rules=" + rules])
            self.assertEqual(p.returncode, 2, p.stderr)
            lines = p.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertTrue(lines[0].startswith("streamprobe: --plugin hyperscan"), lines[0])
            self.assertIn(rules + want, lines[0])
        p = run(["--pcap", "/dev/null", "--plugin", "hyperscan"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("rules=FILE is required", p.stderr)


# ---- the corpus, against Python's re ----

def link_ip(linktype, buf):
    """The IP packet of a frame, as dpkt reads it, or None."""
    if linktype == dpkt.pcap.DLT_EN10MB:
        eth = dpkt.ethernet.Ethernet(buf)
        return eth.data if isinstance(eth.data, (dpkt.ip.IP, dpkt.ip6.IP6)) else None
    if linktype in (dpkt.pcap.DLT_RAW, 12, 14):
        v = buf[0] >> 4 if buf else 0
        return dpkt.ip.IP(buf) if v == 4 else dpkt.ip6.IP6(buf) if v == 6 else None
    if linktype == dpkt.pcap.DLT_LINUX_SLL:
        sll = dpkt.sll.SLL(buf)
        return sll.data if isinstance(sll.data, (dpkt.ip.IP, dpkt.ip6.IP6)) else None
    if linktype in (dpkt.pcap.DLT_NULL, dpkt.pcap.DLT_LOOP):
        return link_ip(dpkt.pcap.DLT_RAW, buf[4:])
    raise ValueError("link type %d" % linktype)


def frames(rd):
    """The frames of a reader, up to where a cut file ends."""
    it = iter(rd)
    while True:
        try:
            _, buf = next(it)
        except StopIteration:
            return
        except (dpkt.NeedData, dpkt.UnpackError, ValueError, struct.error):
            return
        yield buf


def raw_key(linktype, buf):
    """The flow key of a frame dpkt cannot read, from the bytes (None: not TCP/UDP)."""
    off = {dpkt.pcap.DLT_EN10MB: 14, dpkt.pcap.DLT_LINUX_SLL: 16, dpkt.pcap.DLT_NULL: 4,
           dpkt.pcap.DLT_LOOP: 4}.get(linktype, 0)
    if linktype == dpkt.pcap.DLT_EN10MB:
        while len(buf) >= off and buf[off - 2:off] in (b"\x81\x00", b"\x88\xa8"):
            off += 4
    b = buf[off:]
    if len(b) >= 20 and b[0] >> 4 == 4:
        proto, l4 = b[9], b[(b[0] & 15) * 4:]
        src, dst = socket.inet_ntop(socket.AF_INET, b[12:16]), \
            socket.inet_ntop(socket.AF_INET, b[16:20])
    elif len(b) >= 40 and b[0] >> 4 == 6:
        proto, l4 = b[6], b[40:]
        src, dst = socket.inet_ntop(socket.AF_INET6, b[8:24]), \
            socket.inet_ntop(socket.AF_INET6, b[24:40])
    else:
        return None
    if proto not in (6, 17) or len(l4) < 4:
        return None
    sport, dport = struct.unpack("!HH", l4[:4])
    return (proto,) + tuple(sorted([(src, sport), (dst, dport)]))


def capture_payloads(path):
    """{(proto, (ip, port), (ip, port)): [(src endpoint, payload, whole)]} in capture
    order; whole is False for a fragment, a cut packet or one dpkt cannot read."""
    flows = {}
    with open(path, "rb") as f:
        magic = f.read(4)
        f.seek(0)
        rd = dpkt.pcapng.Reader(f) if magic == b"\x0a\x0d\x0d\x0a" else dpkt.pcap.Reader(f)
        lt = rd.datalink()
        for buf in frames(rd):
            try:
                ip = link_ip(lt, buf)
                if ip is not None:
                    bytes(ip.data)
            except ValueError:
                raise
            except Exception:
                # dpkt cannot read the frame, streamprobe may: its flow is left out
                key = raw_key(lt, buf)
                if key is not None:
                    flows.setdefault(key, []).append((None, b"", False))
                continue
            if ip is None:
                # not IP to dpkt, yet streamprobe (as NFStream) may read IP there (a
                # fuzzed EtherType): a flow with such a frame is left out
                key = raw_key(lt, buf)
                if key is not None:
                    flows.setdefault(key, []).append((None, b"", False))
                continue
            whole = True
            if isinstance(ip, dpkt.ip.IP):
                if ip.mf or ip.offset:
                    whole = False
                src, dst = socket.inet_ntop(socket.AF_INET, ip.src), \
                    socket.inet_ntop(socket.AF_INET, ip.dst)
                total = ip.len
                hdr = ip.hl * 4
            else:
                src, dst = socket.inet_ntop(socket.AF_INET6, ip.src), \
                    socket.inet_ntop(socket.AF_INET6, ip.dst)
                total = 40 + ip.plen
                hdr = None
            l4 = ip.data
            if not isinstance(l4, (dpkt.tcp.TCP, dpkt.udp.UDP)):
                continue
            proto = 6 if isinstance(l4, dpkt.tcp.TCP) else 17
            if hdr is not None and len(bytes(ip)) < total:
                whole = False	# cut by the snap length
            a, b = (src, l4.sport), (dst, l4.dport)
            key = (proto,) + tuple(sorted([a, b]))
            flows.setdefault(key, []).append((a, bytes(l4.data), whole))
    return flows


def norm(ip):
    return str(ipaddress.ip_address(ip))


class Corpus(unittest.TestCase):
    def test_against_re(self):
        pcaps = os.path.join(CORPUS, "pcaps")
        tmp = tempfile.mkdtemp(prefix="sp_hs_corpus_")
        rules = os.path.join(tmp, "c.rules")
        with open(rules, "w") as f:
            for i, pat, flags in RULES:
                f.write(rule_line(i, pat, flags) + "\n")
        counts = dict(captures=0, flows=0, directions=0, with_matches=0, ids=0,
                      skipped_linktype=0, skipped_multi=0, skipped_partial=0,
                      skipped_tunnel=0, skipped_unseen=0, cut_captures=0,
                      across_packets=0)
        differ = []
        per_rule = {i: 0 for i, _, _ in RULES}

        def sp_run(name):
            out = os.path.join(tmp, name + ".csv")
            return name, out, run(["--pcap", os.path.join(pcaps, name), "--csv", out,
                                   "--plugin", "hyperscan:rules=%s,bytes=%d,max=64" % (rules, N)],
                                  timeout=300)
        # streamprobe runs ahead (two at a time) while this thread reads the captures
        ex = ThreadPoolExecutor(max_workers=2)
        try:
            for name, out, p in ex.map(sp_run, sorted(os.listdir(pcaps))):
                path = os.path.join(pcaps, name)
                # a capture cut short (the fuzz ones): its flows up to the cut, exit 1
                if p.returncode == 1 and "read error" in p.stderr:
                    counts["cut_captures"] += 1
                else:
                    self.assertEqual(p.returncode, 0, name + ": " + p.stderr)
                try:
                    pkts = capture_payloads(path)
                except ValueError:
                    counts["skipped_linktype"] += 1
                    continue
                counts["captures"] += 1
                rows = read_csv(out) if os.path.getsize(out) else []
                os.unlink(out)
                by_key = {}
                for r in rows:
                    proto = int(r["protocol"])
                    if proto not in (6, 17):
                        continue
                    a = (norm(r["src_ip"]), int(r["src_port"]))
                    b = (norm(r["dst_ip"]), int(r["dst_port"]))
                    by_key.setdefault((proto,) + tuple(sorted([a, b])), []).append((a, r))
                for key, flows in by_key.items():
                    if len(flows) > 1:
                        counts["skipped_multi"] += len(flows)
                        continue
                    a, r = flows[0]
                    if r["tunnel_id"] != "0":
                        counts["skipped_tunnel"] += 1
                        continue
                    if key not in pkts:
                        counts["skipped_unseen"] += 1
                        continue
                    if not all(w for _, _, w in pkts[key]) or key[1] == key[2]:
                        counts["skipped_partial"] += 1
                        continue
                    data = [b"", b""]
                    alone = [set(), set()]  # rules some one packet matches by itself
                    for src, pl, _ in pkts[key]:
                        d = 0 if src == a else 1
                        if len(data[d]) < N and pl:
                            alone[d] |= py_matches(pl[:N - len(data[d])])
                        data[d] += pl
                    counts["flows"] += 1
                    for d, col in enumerate(("udps.hs_ids_src2dst", "udps.hs_ids_dst2src")):
                        want = py_matches(data[d][:N])
                        got = ids(r[col])
                        counts["directions"] += 1
                        counts["with_matches"] += 1 if want else 0
                        counts["ids"] += len(want)
                        for i in want:
                            per_rule[i] += 1
                        # in the direction's bytes, but in no one packet by itself
                        counts["across_packets"] += len(want - alone[d])
                        if got is None or sorted(got) != sorted(want) or \
                                len(got) != len(set(got)):
                            differ.append((name, key, col, got, sorted(want)))
                    union = set(ids(r["udps.hs_ids_src2dst"])) | set(ids(r["udps.hs_ids_dst2src"]))
                    if sorted(ids(r["udps.hs_ids"])) != sorted(union):
                        differ.append((name, key, "udps.hs_ids", ids(r["udps.hs_ids"]),
                                       sorted(union)))
        finally:
            ex.shutdown(cancel_futures=True)
            subprocess.run(["rm", "-rf", tmp])
        print("\nhyperscan-corpus: %s" % " ".join("%s=%d" % kv for kv in counts.items()))
        print("hyperscan-corpus: flow directions matched per rule: %s" %
              " ".join("%d:%d" % kv for kv in sorted(per_rule.items())))
        for d in differ[:20]:
            print("differ: %s %s %s streamprobe %s re %s" % d)
        self.assertEqual(differ, [])
        # the comparison is not empty: most captures, thousands of flows, every rule seen
        self.assertGreater(counts["captures"], 100)
        self.assertGreater(counts["flows"], 2000)
        self.assertGreater(counts["with_matches"], 500)
        self.assertGreater(counts["across_packets"], 50)
        self.assertEqual([i for i, n in per_rule.items() if n == 0], [])


if __name__ == "__main__":
    which = sys.argv[1:] or ["Generated", "Corpus"]
    if "Corpus" in which and not os.path.isdir(os.path.join(CORPUS, "pcaps")):
        print("test_hyperscan: no corpus at %s (set SP_CORPUS): Corpus skipped" % CORPUS)
        which = [w for w in which if w != "Corpus"]
        if not which:
            sys.exit(77)
    suite = unittest.TestSuite(unittest.defaultTestLoader.loadTestsFromTestCase(
        globals()[w]) for w in which)
    res = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if res.wasSuccessful() else 1)
