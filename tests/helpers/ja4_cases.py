#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes tests/unit/test_plugin_ja4_cases.h: hand-built TLS hellos, flows
made of them (some cut or corrupted), and the udps.ja4 / udps.ja4s that
NFStream's own JA4 plugin gives for each, computed by running that plugin's
code (nfstream/plugins/ja4.py, with dpkt) on the same packets.

Usage: /usr/bin/python3 tests/helpers/ja4_cases.py NFSTREAM_REPO > tests/unit/test_plugin_ja4_cases.h
(needs Debian's python3-dpkt; NFSTREAM_REPO is a checkout of nfstream/nfstream)
"""
import random
import struct
import subprocess
import sys
import types
from collections import namedtuple

repo = sys.argv[1]
src = subprocess.run(["git", "-C", repo, "show", "HEAD:nfstream/plugins/ja4.py"],
                     check=True, capture_output=True, text=True).stdout
fake = types.ModuleType("nfstream")


class NFPlugin:
    def __init__(self, **kw):
        pass


fake.NFPlugin = NFPlugin
sys.modules["nfstream"] = fake
ja4mod = types.ModuleType("ja4")
exec(compile(src, "ja4.py", "exec"), ja4mod.__dict__)


def ext(t, data):
    return struct.pack(">HH", t, len(data)) + data


def client_hello(ciphers, exts, version=0x0303, sid=b"\x11" * 32):
    body = struct.pack(">H", version) + b"\x22" * 32 + bytes([len(sid)]) + sid
    cs = b"".join(struct.pack(">H", c) for c in ciphers)
    body += struct.pack(">H", len(cs)) + cs + b"\x01\x00"
    e = b"".join(exts)
    body += struct.pack(">H", len(e)) + e
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def server_hello(cipher, exts, version=0x0303):
    body = struct.pack(">H", version) + b"\x33" * 32 + b"\x20" + b"\x11" * 32
    body += struct.pack(">H", cipher) + b"\x00"
    if exts is not None:
        e = b"".join(exts)
        body += struct.pack(">H", len(e)) + e
    hs = b"\x02" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x03" + struct.pack(">H", len(hs)) + hs


def alpn(*names):
    lst = b"".join(bytes([len(n)]) + n for n in names)
    return ext(0x0010, struct.pack(">H", len(lst)) + lst)


def sigalgs(*algs):
    lst = b"".join(struct.pack(">H", a) for a in algs)
    return ext(0x000d, struct.pack(">H", len(lst)) + lst)


def versions(*v):
    lst = b"".join(struct.pack(">H", x) for x in v)
    return ext(0x002b, bytes([len(lst)]) + lst)


sni = ext(0x0000, b"\x00\x0e\x00\x00\x0bexample.com")
PAYLOADS = [
    # 0: a browser-like TLS 1.3 client hello with GREASE (two in a row in
    #    the ciphers: NFStream's remove_grease keeps the second)
    client_hello([0x0a0a, 0x1a1a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0x00ff, 0x0035],
                 [ext(0x2a2a, b""), sni, ext(0x0017, b""), ext(0xff01, b"\x00"),
                  ext(0x000a, b"\x00\x08\x1a\x1a\x00\x1d\x00\x17\x00\x18"),
                  ext(0x000b, b"\x01\x00"), ext(0x0023, b""), alpn(b"h2", b"http/1.1"),
                  ext(0x0005, b"\x01\x00\x00\x00\x00"),
                  sigalgs(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601),
                  ext(0x0012, b""), ext(0x0033, b"\x00\x2b\x2a\x2a\x00\x01\x00" + b"\x00" * 36),
                  ext(0x002d, b"\x01\x01"), versions(0x3a3a, 0x0304, 0x0303),
                  ext(0x001b, b"\x02\x00\x02"), ext(0x4a4a, b"\x00"), ext(0x0015, b"\x00" * 20)]),
    # 1: TLS 1.2 client, no SNI, no ALPN, no supported_versions, no signature algorithms
    client_hello([0xc030, 0xc02c, 0x009f, 0x0035, 0x000a],
                 [ext(0x000a, b"\x00\x04\x00\x17\x00\x18"), ext(0x000b, b"\x01\x00"),
                  ext(0xff01, b"\x00")]),
    # 2: TLS 1.3 server hello
    server_hello(0x1301, [ext(0x002b, b"\x03\x04"), ext(0x0033, b"\x00\x1d\x00\x20" + b"\x44" * 32)]),
    # 3: TLS 1.2 server hello with ALPN
    server_hello(0xc02f, [ext(0xff01, b"\x00"), ext(0x000b, b"\x01\x00"), alpn(b"http/1.1")]),
    # 4: client hello with a non-ASCII, upper-case ALPN, repeated extension types
    client_hello([0x1301, 0x0a0a],
                 [alpn("ÉtΣ".encode()), ext(0x0017, b""), ext(0x0017, b"\x00"), sni, versions(0x0304)]),
    # 5: client hello without extensions
    client_hello([0x002f, 0x0035], []),
    # 6: server hello whose supported_versions holds 12 bytes (printed as one number)
    server_hello(0x1302, [ext(0x002b, b"\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e")]),
    # 7: server hello without an extensions field
    server_hello(0x002f, None),
]

# Flows: (direction, TCP flags, payload index or -1 for none, or "C"/"S" for
# the case's client/server payload). Flags: S=0x02, SA=0x12, A=0x10, PA=0x18.
SCEN = [
    [(0, 0x02, -1), (1, 0x12, -1), (0, 0x10, -1), (0, 0x18, "C"), (1, 0x18, "S"), (0, 0x10, -1)],
    [(0, 0x02, -1), (1, 0x12, -1), (0, 0x18, "C"), (1, 0x18, "S")],     # hello on the last ACK
    [(0, 0x02, -1), (1, 0x12, -1), (0, 0x10, -1), (0, 0x10, -1), (0, 0x18, "C"), (1, 0x18, "S")],
    [(0, 0x10, -1), (0, 0x18, "C"), (1, 0x18, "S")],                   # no SYN first
    [(0, 0x02, -1), (1, 0x12, -1), (0, 0x10, -1), (0, 0x18, "C"), (1, 0x10, -1), (1, 0x18, "S")],
    # a second client hello where the server's is expected, then the server's
    [(0, 0x02, -1), (1, 0x12, -1), (0, 0x10, -1), (0, 0x18, "C"), (0, 0x18, "C"), (1, 0x18, "S")],
]

Pkt = namedtuple("Pkt", "ip_version ip_packet syn ack direction time")


def ip_packet(flags, payload):
    tcp = struct.pack(">HHIIBBHHH", 50000, 443, 1, 1, 5 << 4, flags, 65535, 0, 0)
    tot = 20 + len(tcp) + len(payload)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, tot, 1, 0x4000, 64, 6, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return ip + tcp + payload


def mutate(p, muts):
    """The payload, and bytes captured after the IP total length (padding)."""
    orig = p
    p = bytearray(p)
    pad = b""
    hdr = []
    for op, a, b in muts:
        if op == 5:      # byte a of the IP packet (headers included) = b
            hdr.append((a, b))
        if op == 1:      # cut at a
            del p[a:]
        elif op == 4:    # what was cut follows as padding, beyond the IP total length
            pad = orig[len(p):]
        elif op == 2:    # set byte a to b
            if a < len(p):
                p[a] = b
        elif op == 3:    # append b copies of byte a... (a = value)
            p += bytes([a]) * b
    return bytes(p), pad, hdr


def run(scen, cpl, spl, cpad=b"", spad=b"", chdr=(), shdr=()):
    flow = types.SimpleNamespace(udps=types.SimpleNamespace())
    plug = ja4mod.JA4()
    for i, (d, fl, pi) in enumerate(scen):
        pl = cpl if pi == "C" else spl if pi == "S" else b"" if pi == -1 else PAYLOADS[pi]
        pad = cpad if pi == "C" else spad if pi == "S" else b""
        raw = bytearray(ip_packet(fl, pl) + pad)
        for a, b in (chdr if pi == "C" else shdr if pi == "S" else ()):
            raw[a] = b
        pk = Pkt(4, bytes(raw), bool(fl & 2), bool(fl & 0x10), d, i)
        if i == 0:
            plug.on_init(pk, flow)
        else:
            plug.on_update(pk, flow)
    u = flow.udps
    return u.ja4, u.ja4s


rng = random.Random(4)
cases = []
# the plain hellos in every scenario
for s in range(len(SCEN)):
    for c, sv in ((0, 2), (1, 3), (4, 2), (5, 3), (0, 6), (1, 7)):
        cases.append((s, c, [], sv, []))
# cuts of each hello at many points, and corrupted bytes (lengths above all)
for c in (0, 1, 4):
    n = len(PAYLOADS[c])
    for cut in sorted(set(list(range(0, 60)) + list(range(60, n, 7)))):
        cases.append((0, c, [(1, cut, 0)], 2, []))
    for _ in range(120):
        off = rng.choice(list(range(0, 12)) + list(range(40, n)))
        cases.append((0, c, [(2, off, rng.choice([0, 1, 2, 0x0a, 0x7f, 0xff, rng.randrange(256)]))],
                      2, []))
for sv in (2, 3, 6):
    n = len(PAYLOADS[sv])
    for cut in range(0, n, 3):
        cases.append((0, 0, [], sv, [(1, cut, 0)]))
    for _ in range(60):
        off = rng.randrange(n)
        cases.append((0, 0, [], sv, [(2, off, rng.choice([0, 1, 0xff, rng.randrange(256)]))]))
# absurd counts: extension and cipher lengths past the end, a trailing record
cases += [
    (0, 0, [(2, 49 + 32 + 2, 0xff), (2, 49 + 32 + 3, 0xff)], 2, []),
    (0, 0, [(3, 0x16, 300)], 2, [(3, 0x00, 5)]),
    (0, 1, [(2, 44 + 32 + 1, 0xff)], 3, []),
]
# supported_versions of a server hello as long as Python can print (4,300
# digits) and longer (str() raises: the client's ja4 is cleared)
for n in (1780, 1786, 1787, 1788, 1795):
    big = server_hello(0x1301, [ext(0x002b, b"\x03" + b"\x99" * (n - 1))])
    PAYLOADS.append(big)
    cases.append((0, 0, [], len(PAYLOADS) - 1, []))
# more random corruptions, for a longer differential run (JA4_FUZZ=count)
for _ in range(int(__import__("os").environ.get("JA4_FUZZ", "0"))):
    c = rng.choice((0, 1, 4, 5))
    sv = rng.choice((2, 3, 6, 7))
    sc = rng.randrange(len(SCEN))
    def muts(n):
        out = []
        for _ in range(rng.randrange(1, 3)):
            if rng.random() < 0.3:
                out.append((1, rng.randrange(n + 1), 0))
            else:
                out.append((2, rng.randrange(n), rng.randrange(256)))
        return out
    cases.append((sc, c, muts(len(PAYLOADS[c])), sv, muts(len(PAYLOADS[sv]))))
# the IP and TCP headers as dpkt reads them: header lengths, total length,
# fragment offset, protocol, TCP data offset
HDR = [(0, 0x44), (0, 0x46), (0, 0x4f), (0, 0x40), (2, 0), (3, 0), (3, 30), (3, 45), (3, 90),
       (2, 0xff), (6, 0x00), (6, 0x20), (7, 0x01), (7, 0xff), (9, 17), (9, 1), (9, 0),
       (32, 0x40), (32, 0x60), (32, 0xf0), (32, 0x00), (32, 0x80)]
for a, b in HDR:
    cases.append((0, 0, [(5, a, b)], 2, []))
    cases.append((0, 0, [], 2, [(5, a, b)]))
    cases.append((0, 0, [(5, 2, 0), (5, 3, 0)], 2, [(5, a, b)]))
# padding after the IP total length is not part of the segment (dpkt trims it)
for cut in (5, 11, 60, 80, 100):
    cases.append((0, 0, [], 2, [(1, cut, 0), (4, 0, 0)]))
    cases.append((0, 0, [(1, cut * 2, 0), (4, 0, 0)], 2, []))

out = []
for s, c, cm, sv, sm in cases:
    cpl, cpad, chdr = mutate(PAYLOADS[c], cm)
    spl, spad, shdr = mutate(PAYLOADS[sv], sm)
    a, b = run(SCEN[s], cpl, spl, cpad, spad, chdr, shdr)
    out.append((s, c, cm, sv, sm, a, b))


def cstr(v):
    if v is None:
        return "NULL"
    return '"' + "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else
                         "".join("\\x%02x\"\"" % x for x in ch.encode()) for ch in v) + '"'


print("/* SPDX-License-Identifier: BSD-3-Clause */")
print("/* Generated by tests/helpers/ja4_cases.py from NFStream's ja4.py: do not edit. */")
print("#include <stdint.h>\n")
for i, p in enumerate(PAYLOADS):
    print("static const uint8_t ja4_payload_%d[] = {" % i)
    for k in range(0, len(p), 16):
        print("\t" + ", ".join("0x%02x" % x for x in p[k:k + 16]) + ",")
    print("};")
print("static const struct { const uint8_t *b; uint32_t n; } ja4_payloads[] = {")
for i in range(len(PAYLOADS)):
    print("\t{ ja4_payload_%d, sizeof(ja4_payload_%d) }," % (i, i))
print("};\n")
print("/* direction, TCP flags, payload: -1 none, -2 the case's client one, -3 its server one */")
print("static const int8_t ja4_scenarios[][8][3] = {")
for sc in SCEN:
    row = ["{ %d, 0x%02x, %d }" % (d, f, -2 if p == "C" else -3 if p == "S" else p) for d, f, p in sc]
    print("\t{ " + ", ".join(row) + " },")
print("};")
print("static const uint8_t ja4_scenario_len[] = { " + ", ".join(str(len(s)) for s in SCEN) + " };\n")
print("struct ja4_mut { uint8_t op; uint16_t a; uint16_t b; };	/* 1 cut at a, 2 byte a = b, 3 append b bytes a, 4 the cut bytes as padding after the IP packet, 5 byte a of the IP packet = b */")
print("struct ja4_case {\n\tuint8_t scenario, client, server, nc, ns;\n"
      "\tstruct ja4_mut cm[2], sm[2];\n\tconst char *ja4, *ja4s;\n};")
print("static const struct ja4_case ja4_cases[] = {")
for s, c, cm, sv, sm, a, b in out:
    def m(lst):
        lst = lst + [(0, 0, 0)] * (2 - len(lst))
        return "{ " + ", ".join("{ %d, %d, %d }" % x for x in lst) + " }"
    print("\t{ %d, %d, %d, %d, %d, %s, %s, %s, %s }," % (s, c, sv, len(cm), len(sm), m(cm), m(sm),
                                                       cstr(a), cstr(b)))
print("};")
