#!/bin/sh
# make bench-server: is the built-in server fast enough to stand in for lighttpd? Starts both on
# loopback, serving the same payloads/, and measures each in turn, in interleaved pairs (machine
# noise hits both alike; odd pairs run lighttpd first, even pairs the built-in server first, so
# neither always gets the second, warmer or cooler, slot):
#
# - downloads: the poll client (PAIRS pairs); each pair's aggregate MiB/s and the ratio
#   built-in / lighttpd of their means. Goal: at least 0.80, so a run against the built-in
#   server measures the client and the OS, not the server.
# - request rates: wrk -t2 -c100 for RR_SECONDS on RR_PATH (RR_PAIRS pairs), keep-alive and
#   with `Connection: close`; req/s and the ratio of the means. Goal: at least 1.00 for each, so
#   the built-in server is never the bottleneck of a request-rate figure.
#
# Prints PASS or FAIL per goal and exits 1 when one fails.
#
# Variables: PAIRS (5), CONNECTIONS (NO_CONNECTIONS, 100), PAYLOAD_PATH (/testpayload),
# RR_PAIRS (3; 0 skips the request rates, which need wrk), RR_SECONDS (5), RR_PATH (/hello),
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
RR_PAIRS=${RR_PAIRS:-3}
RR_SECONDS=${RR_SECONDS:-5}
RR_PATH=${RR_PATH:-/hello}

die() {
    echo "bench-server: $*" >&2
    exit 1
}

[ -x "$BENCH" ] || die "$BENCH is missing: run make build"
[ -f "payloads${PAYLOAD_PATH}" ] || die "payloads${PAYLOAD_PATH} is missing: run make payload"
case $PAIRS in '' | *[!0-9]* | 0) die "PAIRS=$PAIRS: give a whole number of at least 1" ;; esac
case $RR_PAIRS in '' | *[!0-9]*) die "RR_PAIRS=$RR_PAIRS: give a whole number (0 skips the request rates)" ;; esac
case $RR_SECONDS in '' | *[!0-9]* | 0) die "RR_SECONDS=$RR_SECONDS: give a whole number of seconds of at least 1" ;; esac
if [ "$RR_PAIRS" -gt 0 ]; then
    command -v wrk >/dev/null 2>&1 ||
        die "wrk is not installed: apt-get install wrk, or RR_PAIRS=0 to skip the request rates"
    [ -f "payloads${RR_PATH}" ] || die "payloads${RR_PATH} is missing: run make payload"
fi

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
    for path in "$PAYLOAD_PATH" $([ "$RR_PAIRS" -gt 0 ] && echo "$RR_PATH"); do
        "$BENCH" suite check --address 127.0.0.1 --port "$port" --path "$path" \
            >/dev/null 2>"$WORK/check.log" || die "$(cat "$WORK/check.log")"
    done
done

FAILED=0
# judge RATIO GOAL: sets VERDICT to PASS or FAIL; a FAIL is remembered for the exit status.
judge() {
    if awk -v r="$1" -v g="$2" 'BEGIN { exit !(r >= g) }'; then
        VERDICT=PASS
    else
        VERDICT=FAIL
        FAILED=1
    fi
}

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
judge "$(awk '{ l += $1; b += $2 } END { printf "%.2f", b / l }' "$WORK/pairs")" 0.80
awk -v v="$VERDICT" '{ l += $1; b += $2; n++ } END {
    printf "  %-6s %12.1f %12.1f %8.2f   goal: built-in >= 0.80 x lighttpd: %s\n", "mean", l / n, b / n, b / l, v
}' "$WORK/pairs"

# One wrk run against PORT in MODE (keep-alive or close); prints its req/s, or fails when wrk
# failed or saw an answer other than 2xx/3xx or a socket error.
rate() {
    if [ "$2" = close ]; then
        set -- "$1" -H 'Connection: close'
    else
        set -- "$1"
    fi
    port=$1
    shift
    timeout $((RR_SECONDS + 60)) wrk -t2 -c100 -d"${RR_SECONDS}s" "$@" \
        "http://127.0.0.1:$port$RR_PATH" >"$WORK/wrk.log" 2>&1 ||
        die "wrk against 127.0.0.1:$port failed: $(tail -n 3 "$WORK/wrk.log")"
    if grep -q -e 'Non-2xx' -e 'Socket errors' "$WORK/wrk.log"; then
        die "wrk against 127.0.0.1:$port saw errors: $(grep -e 'Non-2xx' -e 'Socket errors' "$WORK/wrk.log")"
    fi
    per_second=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$WORK/wrk.log")
    awk -v r="$per_second" 'BEGIN { exit !(r > 0) }' ||
        die "wrk against 127.0.0.1:$port reported no request rate: $(tail -n 3 "$WORK/wrk.log")"
    echo "$per_second"
}

if [ "$RR_PAIRS" -gt 0 ]; then
    echo
    echo "wrk -t2 -c100 -d${RR_SECONDS}s $RR_PATH, $RR_PAIRS interleaved pairs per mode (req/s)"
    printf '  %-6s %-10s %12s %12s %8s\n' pair mode lighttpd built-in ratio
    : >"$WORK/rr-keep-alive"
    : >"$WORK/rr-close"
    i=1
    while [ "$i" -le "$RR_PAIRS" ]; do
        for mode in keep-alive close; do
            if [ $((i % 2)) -eq 1 ]; then
                l=$(rate "$LIGHTTPD_PORT" "$mode")
                b=$(rate "$BUILTIN_PORT" "$mode")
            else
                b=$(rate "$BUILTIN_PORT" "$mode")
                l=$(rate "$LIGHTTPD_PORT" "$mode")
            fi
            echo "$l $b" >>"$WORK/rr-$mode"
            awk -v i="$i" -v m="$mode" -v l="$l" -v b="$b" \
                'BEGIN { printf "  %-6s %-10s %12.0f %12.0f %8.2f\n", i, m, l, b, b / l }'
        done
        i=$((i + 1))
    done
    for mode in keep-alive close; do
        judge "$(awk '{ l += $1; b += $2 } END { printf "%.2f", b / l }' "$WORK/rr-$mode")" 1.00
        awk -v m="$mode" -v v="$VERDICT" '{ l += $1; b += $2; n++ } END {
            printf "  %-6s %-10s %12.0f %12.0f %8.2f   goal: built-in >= 1.00 x lighttpd: %s\n", "mean", m, l / n, b / n, b / l, v
        }' "$WORK/rr-$mode"
    done
fi
exit "$FAILED"
