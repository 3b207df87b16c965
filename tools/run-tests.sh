#!/bin/sh
# Build streamprobe and run its whole test suite (unit, integration, valgrind and,
# when ../shared/corpus exists, conformance). .ci/run runs this, then the same
# with --sanitize.
#
#   tools/run-tests.sh [MESON TEST ARGS]             the suite, in build/ ($BUILD)
#   tools/run-tests.sh --sanitize [MESON TEST ARGS]  the suite on an ASan + UBSan build
#                                                    in build-asan/ ($ASAN_BUILD)
#
# The sanitizer pass builds with clang (GCC 12's UBSan, a library apart from its ASan,
# ignores log_path and always writes to stderr) and -fno-sanitize-recover=undefined (a UB
# report ends the process), and writes every ASan, LeakSanitizer and UBSan report to files under
# $ASAN_BUILD/sanitizer-logs/ instead of the process' stderr. Tests run the binary as
# subprocesses and some expect it to fail (bad options, bad files), so an exit status
# alone would let a report through: the pass fails when any report file exists, and
# prints them. Leaks of DPDK's and nDPI's one-time allocations are suppressed in
# tests/sanitizers/lsan.supp (listed and commented there); nothing else is.
set -eu
cd "$(dirname "$0")/.."
SANITIZE=0
if [ "${1:-}" = "--sanitize" ]; then
	SANITIZE=1
	shift
fi
if [ $SANITIZE = 1 ]; then
	BUILD=${ASAN_BUILD:-build-asan}
	# debugoptimized: -O2 as the release build, with -g for the reports' stacks
	[ -f "$BUILD/build.ninja" ] || CC=clang meson setup "$BUILD" -Db_lto=false \
		-Db_sanitize=address,undefined -Dbuildtype=debugoptimized \
		-Dc_args="-fno-sanitize-recover=undefined -fno-omit-frame-pointer" >/dev/null
	LOGS=$(pwd)/$BUILD/sanitizer-logs
	rm -rf "$LOGS"
	mkdir -p "$LOGS"
	# abort_on_error=0: a report exits with status 1 (no core dump of a 4 GB mapping)
	ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:log_path=$LOGS/asan"
	LSAN_OPTIONS="suppressions=$(pwd)/tests/sanitizers/lsan.supp:print_suppressions=0"
	UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$LOGS/ubsan"
	export ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
	# Left out of this pass:
	# - suite valgrind: valgrind cannot run an ASan binary (the normal pass runs it);
	# - conformance-workers-2 and -4: after 'conformance', the heaviest tests (every
	#   corpus pcap again with 2 and 4 workers: 3 and 4.7 min in the normal pass of a
	#   .ci/run on the loaded 2-core machine, 24.6 min in all). The normal pass runs
	#   them; this pass still runs 'conformance' (every set, one worker: 4.9 min here)
	#   and the workers suite (2 and 4 workers on generated captures), to stay within
	#   .ci/run's 30 minutes;
	# - soak-smoke: it fails a run whose resident memory grows after the warm-up, and
	#   ASan's quarantine holds freed blocks up to 256 MiB by design (the soak's 20 s grew
	#   by 230 MiB under ASan, flat in the normal pass); its replay still runs here in
	#   the workers and runtime suites.
	set -- "--no-suite=valgrind" "$@"
	SKIP_TESTS="conformance-workers-2 conformance-workers-4 soak-smoke"
else
	BUILD=${BUILD:-build}
	[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
	SKIP_TESTS=""
fi
ninja -C "$BUILD"
if [ -n "$SKIP_TESTS" ] && [ $# = 1 ]; then
	# only "--no-suite valgrind" (no argument given): every test but the skipped ones
	# (with arguments, they choose the tests)
	TESTS=$(meson test -C "$BUILD" --list --no-rebuild "$@" 2>/dev/null |
		sed -n 's/^streamprobe:[^ ]* \/ //p' | grep -vxF "$(printf '%s\n' $SKIP_TESTS)" |
		sort -u)	# a name selects every suite's test of that name (ipfix: unit, integration)
	set -- "$@" $TESTS
fi
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
if [ $SANITIZE = 1 ]; then
	reports=$(find "$LOGS" -type f | sort)
	if [ -n "$reports" ]; then
		for f in $reports; do
			echo "---- $f"
			cat "$f"
		done
		echo "sanitizers: $(echo "$reports" | wc -l) report(s) (above, and in $LOGS)"
		rc=1
	else
		echo "sanitizers: no report (ASan, LeakSanitizer, UBSan)"
	fi
fi
exit $rc
