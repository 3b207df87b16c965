#!/bin/sh
# Install what streamprobe needs from Debian 12, only what is missing.
# Run as root (or with sudo available). Safe to run again.
#
#   tools/install-deps.sh          build, test suite (valgrind: the valgrind test and the
#                                  bench smoke's callgrind)
#   tools/install-deps.sh --bench  also the peers and capture tools of the full benchmark
#                                  (tools/sp-bench): softflowd, nfdump (nfpcapd), wireshark-common
#                                  (editcap/mergecap/capinfos for make-bench-pcaps.sh)
set -eu
# libgcrypt20-dev: the CSV anonymizer's keyed BLAKE2b. python3-pandas: the CSV dialect test
# (tests/integration/test_csv.py reads streamprobe's CSV with the call docs/csv.md gives).
# libfixbuf-dev .. python3-ipfix: the export benchmark and the IPFIX decoders of
# tests/integration/test_ipfix.py (ipfixDump, nfcapd/nfdump, tshark, python3-ipfix).
# python3-sklearn, python3-xgboost, python3-joblib: tools/sp-model-export (the model plugin's
# exporter) and tests/integration/test_model.py.
# clang, libclang-rt-14-dev (its sanitizer and libFuzzer runtimes, only a Recommends): the
# libFuzzer targets (tools/sp-fuzz) and the ASan + UBSan build of tools/run-tests.sh --sanitize.
# linux-perf: tools/sp-bench's ndpi-floor section (the bench smoke runs it too).
PKGS="build-essential pkg-config meson ninja-build python3 clang libclang-rt-14-dev linux-perf
libdpdk-dev dpdk-dev libndpi-dev libndpi-bin libhyperscan-dev libcunit1-dev libpcap-dev
zlib1g-dev liblzma-dev libzstd-dev gzip xz-utils zstd libgcrypt20-dev
tcpdump tcpreplay iproute2 procps python3-pandas
libfixbuf-dev libfixbuf-tools nfdump tshark python3-ipfix valgrind python3-dpkt
python3-sklearn python3-xgboost python3-joblib"
BENCH_PKGS="softflowd wireshark-common"
for arg in "$@"; do
	case "$arg" in
	--bench) PKGS="$PKGS $BENCH_PKGS" ;;
	*) echo "usage: $0 [--bench]" >&2; exit 2 ;;
	esac
done
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	echo "installing:$missing" >&2
	$SUDO apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
