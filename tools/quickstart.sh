#!/bin/sh
# Install what is missing, build, and turn a capture into NFStream flows.
#   tools/quickstart.sh              a capture generated here (tools/sp-genpcap.py)
#   tools/quickstart.sh FILE.pcap    your own capture (a path from where you are)
# The binary is build/app/streamprobe in the repository (`meson install -C build`
# installs it, with its man page and NIC profiles).
set -eu
say() { printf 'quickstart: %s\n' "$*" >&2; }
if [ $# -ge 1 ]; then
	# resolve FILE from where the script was called, before changing directory
	case "$1" in
	/*) PCAP=$1 ;;
	*) PCAP=$(pwd)/$1 ;;
	esac
	if [ ! -r "$PCAP" ]; then
		say "cannot read $1"
		exit 2
	fi
fi
cd "$(dirname "$0")/.."
REPO=$(pwd)
BUILD=${BUILD:-build}	# as tools/run-tests.sh
say "checking the Debian packages streamprobe needs (tools/install-deps.sh; apt-get may take minutes the first time)"
tools/install-deps.sh
if [ ! -f "$BUILD/build.ninja" ]; then
	say "configuring the build in $BUILD (meson)"
	meson setup "$BUILD" >/dev/null
fi
say "building (ninja -C $BUILD; the first build takes a few minutes)"
ninja -C "$BUILD" >/dev/null
BUILD=$(cd "$BUILD" && pwd)
mkdir -p "$BUILD/demo"
if [ -z "${PCAP:-}" ]; then
	say "generating a demo capture (tools/sp-genpcap.py)"
	python3 tools/sp-genpcap.py "$BUILD/demo" --only mixed >/dev/null
	PCAP=$BUILD/demo/mixed.pcap
fi
OUT=$BUILD/demo/flows.csv
say "running: $BUILD/app/streamprobe --pcap $PCAP --csv $OUT --statistical-analysis --splt-analysis 10"
"$BUILD/app/streamprobe" --pcap "$PCAP" --csv "$OUT" --statistical-analysis --splt-analysis 10
echo "flows written to $OUT ($(($(wc -l < "$OUT") - 1)) flows); first lines:"
head -3 "$OUT" | cut -c1-300
# A plugin on the same capture: payload rules with Hyperscan label the flows
# (docs/plugins.md has the others: dhcp, mdns, ja4, slicer, tls-fingerprint, model).
RULES=$BUILD/demo/rules.hs
cat > "$RULES" <<'EOF_RULES'
# ID:/regex/flags label=NAME (Hyperscan's pattern-file format)
1:/^(GET|POST|HEAD) [^ ]+ HTTP\/1\.[01]\r\n/ label=http
2:/^\x16\x03[\x00-\x04]/ label=tls
3:/^[\x00-\xff]{2}\x01\x00\x00\x01/s label=dns-query
# the generated demo capture's payloads are the alphabet over and over: where it wraps
4:/WXYZABCD/ label=alphabet-wrap
EOF_RULES
OUT2=$BUILD/demo/flows-hyperscan.csv
say "running: $BUILD/app/streamprobe --pcap $PCAP --csv $OUT2 --plugin hyperscan:rules=$RULES"
"$BUILD/app/streamprobe" --pcap "$PCAP" --csv "$OUT2" --plugin "hyperscan:rules=$RULES" --quiet
python3 - "$OUT2" <<'EOF_PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
hit = [r for r in rows if r["udps.hs_labels"] not in ("", "[]")]
print("hyperscan labelled %d of %d flows, e.g.:" % (len(hit), len(rows)))
for r in hit[:3]:
    print("  %s:%s -> %s:%s %s %s" % (r["src_ip"], r["src_port"], r["dst_ip"], r["dst_port"],
                                     r["application_name"], r["udps.hs_labels"]))
EOF_PY
echo "the binary: $BUILD/app/streamprobe (see README.md, or --help)"
