# SPDX-License-Identifier: BSD-3-Clause
"""The packet accounting of streamprobe's exit report, checked (issue 13).

Every run that gets to its report prints on standard error

    accounting: received=R in_flows=F ignored=I filtered=X dropped=D
    ignored: dlt=.. short=.. l2=.. ...

and every packet received must be in exactly one of the four: R == F + I + X + D, with the
ignore reasons summing to I. The integration tests call check_accounting() (or check_run()
in run helpers shared by runs that fail before the report) on each run's stderr.
"""

import re

ACCT_RE = re.compile(r"^accounting: received=(\d+) in_flows=(\d+) ignored=(\d+) "
                     r"filtered=(\d+) dropped=(\d+)$", re.M)
IGN_RE = re.compile(r"^ignored:((?: [a-z0-9_]+=\d+)*)$", re.M)
FIELDS = ("received", "in_flows", "ignored", "filtered", "dropped")


def _text(stderr):
    """stderr as text, whether a pipe's bytes or str, or a terminal's (CR LF lines)."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    return text.replace("\r\n", "\n")


def check_accounting(stderr_text):
    """Parse the accounting and ignored: lines (exactly one of each), assert that they add
    up, and return the counters as a dict (FIELDS, plus "reasons": {reason: count})."""
    text = _text(stderr_text)
    acct = ACCT_RE.findall(text)
    assert len(acct) == 1, "expected one accounting line in stderr, found %d:\n%s" % (
        len(acct), text[-2000:])
    ign = IGN_RE.findall(text)
    assert len(ign) == 1, "expected one 'ignored:' line in stderr, found %d:\n%s" % (
        len(ign), text[-2000:])
    d = dict(zip(FIELDS, (int(x) for x in acct[0])))
    d["reasons"] = {k: int(v) for k, v in (kv.split("=") for kv in ign[0].split())}
    assert sum(d["reasons"].values()) == d["ignored"], \
        "ignore reasons %r do not sum to ignored=%d" % (d["reasons"], d["ignored"])
    assert d["received"] == d["in_flows"] + d["ignored"] + d["filtered"] + d["dropped"], \
        "accounting does not add up: %r" % d
    assert "packet accounting does not add up" not in text, text[-2000:]
    return d


def check_run(stderr_text, required):
    """For a run helper that also runs commands ending before the report (errors, --help):
    checks the accounting when the run printed it, and insists on it when required (the
    run was meant to complete). Returns the counters or None."""
    text = _text(stderr_text)
    if required or ACCT_RE.search(text):
        return check_accounting(text)
    return None
