#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""An IPFIX collector built on Debian's python3-ipfix, for test_ipfix.py.

    ipfix_pycollector.py file IN --spec S                   records of an IPFIX file
    ipfix_pycollector.py tcp --port P --spec S --out J [--stop-after N [--abrupt]]

Run with /usr/bin/python3 (python3-ipfix is a Debian package). Each record is
one JSON line: {"conn": k, "seq": message sequence number, "tid": template id,
"fields": [[pen, id, value], ...]} in template order, so the three basicLists
of a record stay apart. Values: integers and floats as such (JSON keeps
float64 exactly), dateTimeMilliseconds as integer ms, addresses as text,
octets as {"hex": ...}, strings as text. Messages are also listed, one JSON
line {"conn", "msg_seq", "records"} each.

tcp mode accepts connections one after the other. With --stop-after N it
stops after N records: gracefully by default (it half-closes, then reads
what the exporter still sends until the exporter closes: nothing acknowledged
is lost), or with --abrupt by exiting at once (the kernel resets the
connection, and what it had acknowledged but this process had not read is
lost, as with a collector that crashes). Without --stop-after it collects
until the exporter closes its connection.
"""

import argparse
import datetime
import ipaddress
import json
import os
import socket
import sys

import ipfix.ie
import ipfix.message

EPOCH = datetime.datetime(1970, 1, 1)


def value(v):
    if isinstance(v, (bytes, bytearray)):
        return {"hex": bytes(v).hex()}
    if isinstance(v, datetime.datetime):
        return (v - EPOCH) // datetime.timedelta(milliseconds=1)
    if isinstance(v, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return str(v)
    return v


def positional(tmpl, buf, offset, recinf=None):
    (vals, offset) = tmpl.decode_from(buf, offset)
    return ([[ie.pen, ie.num, value(v)] for ie, v in zip(tmpl.ies, vals)], offset)


def emit_message(msg, conn, out):
    n = 0
    for fields in msg.record_iterator(decode_fn=positional):
        out.write(json.dumps({"conn": conn, "seq": msg.sequence, "fields": fields}) + "\n")
        n += 1
    out.write(json.dumps({"conn": conn, "msg_seq": msg.sequence, "records": n}) + "\n")
    out.flush()
    return n


def load_spec(path):
    ipfix.ie.use_iana_default()
    ipfix.ie.use_5103_default()
    ipfix.ie.use_specfile(path)


def run_file(a):
    msg = ipfix.message.MessageBuffer()
    with open(a.input, "rb") as f:
        while True:
            try:
                msg.read_message(f)
            except EOFError:
                break
            emit_message(msg, 0, sys.stdout)


def run_tcp(a):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.port))
    ls.listen(4)
    print("listening", flush=True)
    total = 0
    conn = 0
    with open(a.out, "a") as out:
        while True:
            c, _ = ls.accept()
            stream = c.makefile("rb")
            msg = ipfix.message.MessageBuffer()
            stopping = False
            while True:
                try:
                    msg.read_message(stream)
                except EOFError:
                    break
                total += emit_message(msg, conn, out)
                if a.stop_after and total >= a.stop_after and not stopping:
                    if a.abrupt:
                        os._exit(0)
                    # Half-close: the exporter sees us leave, we still read
                    # everything it sent before it closed.
                    c.shutdown(socket.SHUT_WR)
                    stopping = True
            stream.close()
            c.close()
            conn += 1
            if stopping or not a.stop_after:
                break
    ls.close()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    f = sub.add_parser("file")
    f.add_argument("input")
    f.add_argument("--spec", required=True)
    t = sub.add_parser("tcp")
    t.add_argument("--port", type=int, required=True)
    t.add_argument("--spec", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--stop-after", type=int, default=0)
    t.add_argument("--abrupt", action="store_true")
    a = ap.parse_args()
    load_spec(a.spec)
    if a.mode == "file":
        run_file(a)
    else:
        run_tcp(a)


if __name__ == "__main__":
    main()
