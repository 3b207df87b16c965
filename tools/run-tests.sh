#!/bin/sh
# Build streamprobe and run its whole test suite (unit, integration and,
# when ../shared/corpus exists, conformance). This is what .ci/run runs.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD"
set +e
meson test -C "$BUILD" --print-errorlogs --num-processes 2 "$@"
rc=$?
set -e
# One plain closing line with the totals of the run.
python3 - "$BUILD/meson-logs/testlog.json" <<'PY'
import json, sys
res = {}
for line in open(sys.argv[1]):
    t = json.loads(line)
    res[t["result"]] = res.get(t["result"], 0) + 1
ok = res.get("OK", 0) + res.get("EXPECTEDFAIL", 0)
bad = sum(v for k, v in res.items() if k not in ("OK", "EXPECTEDFAIL", "SKIP"))
print("%d passed, %d failed, %d skipped" % (ok, bad, res.get("SKIP", 0)))
PY
exit $rc
