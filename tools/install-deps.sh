#!/bin/sh
# Install what streamprobe needs from Debian 12, only what is missing.
# Run as root (or with sudo available). Safe to run again.
set -eu
# libfixbuf-dev .. python3-ipfix: the export benchmark and the IPFIX decoders of
# tests/integration/test_ipfix.py (ipfixDump, nfcapd/nfdump, tshark, python3-ipfix).
PKGS="build-essential pkg-config meson ninja-build python3
libdpdk-dev dpdk-dev libndpi-dev libndpi-bin libhyperscan-dev libcunit1-dev libpcap-dev
tcpdump tcpreplay iproute2 procps
libfixbuf-dev libfixbuf-tools nfdump tshark python3-ipfix"
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
