#!/bin/sh
# make bench-server: is the built-in server fast enough to stand in for lighttpd? Starts both on
# loopback, serving the same payloads/, and runs the poll client against each in turn (PAIRS
# interleaved pairs, so machine noise hits both alike; odd pairs run lighttpd first, even pairs
# the built-in server first, so neither always gets the second, warmer or cooler, slot), then prints
# each pair's aggregate MiB/s and the ratio built-in / lighttpd of their means. The goal: a ratio of at least 0.8, so a run against
# the built-in server measures the client and the OS, not the server.
#
# Variables: PAIRS (5), CONNECTIONS (NO_CONNECTIONS, 100), PAYLOAD_PATH (/testpayload),
# LIGHTTPD_PORT (8090; the built-in server takes any free port), BIN_DIR (target/release).
set -eu

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN_DIR=${BIN_DIR:-$ROOT/target/release}
BENCH=$BIN_DIR/bench-overhead
PAIRS=${PAIRS:-5}
CONNECTIONS=${CONNECTIONS:-${NO_CONNECTIONS:-100}}
PAYLOAD_PATH=${PAYLOAD_PATH:-/testpayload}
LIGHTTPD_PORT=${LIGHTTPD_PORT:-8090}

die() {
    echo "bench-server: $*" >&2
    exit 1
}

[ -x "$BENCH" ] || die "$BENCH is missing: run make build"
[ -f "payloads${PAYLOAD_PATH}" ] || die "payloads${PAYLOAD_PATH} is missing: run make payload"
case $PAIRS in '' | *[!0-9]* | 0) die "PAIRS=$PAIRS: give a whole number of at least 1" ;; esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-server.XXXXXX")
SERVE_PID=
cleanup() {
    SETUP_DIR=$WORK sh scripts/lighttpd.sh stop >/dev/null 2>&1 || true
    [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free loopback port: the built-in server picks one with --port 0 and names it.
"$BENCH" serve --address 127.0.0.1 --port 0 --root payloads 2>"$WORK/serve.log" &
SERVE_PID=$!
tries=0
until BUILTIN_PORT=$(sed -n '1s/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/serve.log") &&
    [ -n "$BUILTIN_PORT" ]; do
    tries=$((tries + 1))
    [ "$tries" -lt 50 ] || die "the built-in server did not start: $(cat "$WORK/serve.log")"
    sleep 0.2
done

SETUP_DIR=$WORK PORT=$LIGHTTPD_PORT sh scripts/lighttpd.sh setup >/dev/null ||
    die "lighttpd could not be set up (see the line above)"
SETUP_DIR=$WORK PORT=$LIGHTTPD_PORT sh scripts/lighttpd.sh start >/dev/null ||
    die "lighttpd did not start on 127.0.0.1:$LIGHTTPD_PORT (LIGHTTPD_PORT=n picks another port)"

for port in "$LIGHTTPD_PORT" "$BUILTIN_PORT"; do
    "$BENCH" suite check --address 127.0.0.1 --port "$port" --path "$PAYLOAD_PATH" \
        >/dev/null 2>"$WORK/check.log" || die "$(cat "$WORK/check.log")"
done

# One poll run against PORT; prints its aggregate MiB/s, or fails when any job failed.
aggregate() {
    line=$(timeout 900 "$BENCH" run --variant poll --address 127.0.0.1 --port "$1" \
        --path "$PAYLOAD_PATH" --connections "$CONNECTIONS" --json) ||
        die "a run against 127.0.0.1:$1 failed: $line"
    echo "$line" | sed -n 's/.*"aggregate_mib_s":\([0-9.eE+-]*\).*/\1/p'
}

# The congestion control changes loopback figures (and this ratio) as much as the server does.
cc=$(cat /proc/sys/net/ipv4/tcp_congestion_control 2>/dev/null || echo unknown)
echo "poll client, $CONNECTIONS connections, $PAYLOAD_PATH, $PAIRS interleaved pairs (aggregate MiB/s), TCP congestion control: $cc"
printf '  %-6s %12s %12s %8s\n' pair lighttpd built-in ratio
i=1
: >"$WORK/pairs"
while [ "$i" -le "$PAIRS" ]; do
    if [ $((i % 2)) -eq 1 ]; then
        l=$(aggregate "$LIGHTTPD_PORT")
        b=$(aggregate "$BUILTIN_PORT")
    else
        b=$(aggregate "$BUILTIN_PORT")
        l=$(aggregate "$LIGHTTPD_PORT")
    fi
    echo "$l $b" >>"$WORK/pairs"
    awk -v i="$i" -v l="$l" -v b="$b" 'BEGIN { printf "  %-6s %12.1f %12.1f %8.2f\n", i, l, b, b / l }'
    i=$((i + 1))
done
awk '{ l += $1; b += $2; n++ } END {
    printf "  %-6s %12.1f %12.1f %8.2f   (goal: built-in >= 0.80 x lighttpd)\n", "mean", l / n, b / n, b / l
}' "$WORK/pairs"
