#!/bin/sh
# Install what is missing, build, and turn a capture into NFStream flows.
#   tools/quickstart.sh              a capture generated here (tools/sp-genpcap.py)
#   tools/quickstart.sh FILE.pcap    your own capture
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
mkdir -p build/demo
if [ $# -ge 1 ]; then
	PCAP=$1
else
	python3 tools/sp-genpcap.py build/demo --only mixed >/dev/null
	PCAP=build/demo/mixed.pcap
fi
build/app/streamprobe --pcap "$PCAP" --csv build/demo/flows.csv \
	--statistical-analysis --splt-analysis 10
echo "flows written to build/demo/flows.csv ($(($(wc -l < build/demo/flows.csv) - 1)) flows); first lines:"
head -3 build/demo/flows.csv | cut -c1-300
