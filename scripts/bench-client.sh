#!/bin/sh
# make bench-client: how much does the client itself cost? Downloads the same payload with the same
# number of connections with both variants of `bench-overhead run` and with wrk (when installed),
# against one lighttpd, and prints aggregate GiB/s, CPU seconds per GiB and peak memory side by side,
# each as a ratio to wrk's. A benchmark client that costs more than the OS work it measures would
# measure itself; this keeps it honest.
#
# Variables: PAYLOAD (default payloads/testpayload), CONNECTIONS (NO_CONNECTIONS, 100), DURATION (wrk's run, 10s),
# WRK_THREADS (2), BIN_DIR (target/release).
#
# CPU: the client's own getrusage figures for its run (the record's cpu_user_s + cpu_sys_s); wrk's
# from /usr/bin/time. Peak memory: memmon's peak_rss_bytes when memmon is built, otherwise the
# kernel's maximum RSS through /usr/bin/time (the same figure). wrk keeps requesting for DURATION
# over keep-alive connections, so its figures are normalised per GiB like the client's.
#
# wrk's GiB/s is its `summary.bytes` over `summary.duration`: every byte wrk read (it adds each
# read's length), heads and the responses still in flight when DURATION ended included — with 100
# connections and a 200 MiB payload most bytes belong to such partial responses. wrk counts a
# response that takes longer than its --timeout (2 s by default) as a timeout error, though the
# transfer goes on: every 200 MiB response would be one. --timeout is therefore set beyond
# DURATION (twice it plus 10 s), so wrk's error count holds real errors only.
set -eu

cd "$(dirname "$0")/.."
BIN_DIR=${BIN_DIR:-target/release}
PAYLOAD=${PAYLOAD:-payloads/testpayload}
CONNECTIONS=${CONNECTIONS:-${NO_CONNECTIONS:-100}}
DURATION=${DURATION:-10s}
WRK_THREADS=${WRK_THREADS:-2}
# DURATION in seconds, read as wrk reads it (a whole number, optionally followed by s, m or h).
DURATION_S=$(printf '%s\n' "$DURATION" | awk '
    match($0, /^[0-9]+/) {
        unit = substr($0, RLENGTH + 1)
        scale = unit == "" || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : 0
        if (scale) { print substr($0, 1, RLENGTH) * scale; exit }
    }')
CLIENT=$BIN_DIR/bench-overhead
MEMMON=$BIN_DIR/memmon

die() {
    echo "bench-client: $*" >&2
    exit 1
}

[ -n "$DURATION_S" ] || die "DURATION=$DURATION: give a time such as 10s, 2m or 1h"
[ -x "$CLIENT" ] || die "$CLIENT is missing: run make build"
[ -f "$PAYLOAD" ] || die "$PAYLOAD is missing: run make payload"
LIGHTTPD=$(command -v lighttpd || true)
[ -n "$LIGHTTPD" ] || for candidate in /usr/sbin/lighttpd /usr/local/sbin/lighttpd; do
    [ -x "$candidate" ] && LIGHTTPD=$candidate && break
done
[ -n "$LIGHTTPD" ] || die "lighttpd is not installed: apt-get install lighttpd"
TIME=/usr/bin/time
[ -x "$TIME" ] || die "$TIME is missing: apt-get install time"
# Bound every step: nothing here may hang.
LIMIT=""
command -v timeout >/dev/null 2>&1 && LIMIT="timeout 900"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-client.XXXXXX")
ROOT=$(cd "$(dirname "$PAYLOAD")" && pwd)
NAME=$(basename "$PAYLOAD")
PIDFILE=$WORK/lighttpd.pid

cleanup() {
    if [ -s "$PIDFILE" ]; then
        kill "$(cat "$PIDFILE")" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# lighttpd daemonises only once it listens, so a zero exit means ready; a taken port fails at once.
PORT=""
tries=0
while [ -z "$PORT" ] && [ "$tries" -lt 20 ]; do
    tries=$((tries + 1))
    candidate=$(awk -v seed="$$$tries" 'BEGIN { srand(seed); print 20000 + int(rand() * 30000) }')
    cat >"$WORK/lighttpd.conf" <<EOF
server.document-root = "$ROOT"
server.bind = "127.0.0.1"
server.port = $candidate
server.pid-file = "$PIDFILE"
server.errorlog = "$WORK/error.log"
server.max-fds = 16384
server.max-connections = 8192
mimetype.assign = ("" => "application/octet-stream")
EOF
    if "$LIGHTTPD" -f "$WORK/lighttpd.conf" 2>>"$WORK/start.log"; then
        PORT=$candidate
    fi
done
[ -n "$PORT" ] || die "lighttpd did not start: $(cat "$WORK/start.log" "$WORK/error.log" 2>/dev/null | tail -n 3)"
# Wait for the pid file so cleanup can always stop it.
i=0
while [ ! -s "$PIDFILE" ] && [ "$i" -lt 50 ]; do i=$((i + 1)); sleep 0.1; done

# Does this memmon work yet? Probe it once.
USE_MEMMON=no
if [ -x "$MEMMON" ] && "$MEMMON" --json --output "$WORK/probe.json" -- true >/dev/null 2>&1 &&
    grep -q '"peak_rss_bytes"' "$WORK/probe.json" 2>/dev/null; then
    USE_MEMMON=yes
fi

# Value of a top-level numeric JSON key in a one-line object.
json_number() {
    sed -n "s/.*\"$1\":\([0-9.eE+-]*\).*/\1/p" "$2" | head -n 1
}

SIZE=$(wc -c <"$PAYLOAD" | tr -d ' ')
echo "bench-client: $CONNECTIONS connections, $NAME ($SIZE bytes), lighttpd on 127.0.0.1:$PORT; peak memory from $([ "$USE_MEMMON" = yes ] && echo memmon || echo '/usr/bin/time')"

# One line per tool: name GiB/s cpu_s_per_gib sys_s_per_gib peak_bytes
: >"$WORK/table"
for variant in poll threaded; do
    out=$WORK/$variant.json
    set -- "$CLIENT" run --variant "$variant" --connections "$CONNECTIONS" --address 127.0.0.1 \
        --port "$PORT" --path "/$NAME" --json --run-timeout 10m
    status=0
    if [ "$USE_MEMMON" = yes ]; then
        $LIMIT "$MEMMON" --json --output "$WORK/$variant.mem" -- "$@" >"$out" || status=$?
        peak=$(json_number peak_rss_bytes "$WORK/$variant.mem")
    else
        $LIMIT "$TIME" -f %M -o "$WORK/$variant.mem" "$@" >"$out" || status=$?
        peak=$(($(tail -n 1 "$WORK/$variant.mem") * 1024))
    fi
    failed=$(json_number jobs_failed "$out")
    [ "$status" -eq 0 ] && [ "$failed" = 0 ] || die "$variant run failed (exit $status, failed jobs: ${failed:-?})"
    awk -v name="$variant" -v mib="$(json_number aggregate_mib_s "$out")" \
        -v user="$(json_number cpu_user_s "$out")" -v sys="$(json_number cpu_sys_s "$out")" \
        -v bytes="$(json_number bytes "$out")" -v peak="$peak" 'BEGIN {
            gib = bytes / 1073741824
            printf "%s %.6f %.6f %.6f %d\n", name, mib / 1024, (user + sys) / gib, sys / gib, peak
        }' >>"$WORK/table"
done

if command -v wrk >/dev/null 2>&1; then
    # wrk counts every byte it read (heads included: ~150 bytes per 200 MiB response; partial
    # responses at the end of DURATION included).
    cat >"$WORK/report.lua" <<'EOF'
done = function(summary, latency, requests)
    io.write(string.format("wrk_bytes=%d wrk_us=%d wrk_requests=%d wrk_errors=%d\n",
        summary.bytes, summary.duration, summary.requests,
        summary.errors.connect + summary.errors.read + summary.errors.write
        + summary.errors.status + summary.errors.timeout))
end
EOF
    $LIMIT "$TIME" -f "%U %S %M" -o "$WORK/wrk.time" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" \
        -d"$DURATION" --timeout "$((DURATION_S * 2 + 10))s" -s "$WORK/report.lua" \
        "http://127.0.0.1:$PORT/$NAME" >"$WORK/wrk.out" ||
        die "wrk failed: $(tail -n 3 "$WORK/wrk.out")"
    line=$(grep '^wrk_bytes=' "$WORK/wrk.out") || die "wrk printed no summary: $(tail -n 3 "$WORK/wrk.out")"
    eval "$line"
    read -r wrk_user wrk_sys wrk_kib <<EOF
$(tail -n 1 "$WORK/wrk.time")
EOF
    awk -v bytes="$wrk_bytes" -v us="$wrk_us" -v user="$wrk_user" -v sys="$wrk_sys" \
        -v kib="$wrk_kib" -v name="wrk" 'BEGIN {
            gib = bytes / 1073741824
            printf "%s %.6f %.6f %.6f %d\n", name, gib / (us / 1e6), (user + sys) / gib, sys / gib, kib * 1024
        }' >>"$WORK/table"
    [ "$wrk_errors" = 0 ] || echo "bench-client: wrk reported $wrk_errors errors" >&2
    echo "wrk: $wrk_requests responses in $DURATION with $WRK_THREADS threads"
else
    echo "bench-client: wrk is not installed (apt-get install wrk): no ratios" >&2
fi

echo
awk '
    { name[NR] = $1; gibs[NR] = $2; cpu[NR] = $3; sys[NR] = $4; peak[NR] = $5 }
    $1 == "wrk" { w = NR }
    function ratio(a, b) { return (w && b > 0) ? sprintf("%.2fx", a / b) : "-" }
    END {
        printf "%-10s %10s %8s %12s %12s %8s %12s %8s\n", "client", "GiB/s", "vs wrk", "CPU s/GiB",
            "sys s/GiB", "vs wrk", "peak MiB", "vs wrk"
        for (i = 1; i <= NR; i++)
            printf "%-10s %10.3f %8s %12.3f %12.3f %8s %12.1f %8s\n", name[i], gibs[i],
                ratio(gibs[i], gibs[w]), cpu[i], sys[i], ratio(cpu[i], cpu[w]),
                peak[i] / 1048576, ratio(peak[i], peak[w])
        print ""
        print "Targets: poll >= 1.5x wrk GiB/s; poll peak memory <= 16 MiB at 100 connections;"
        print "         system CPU per GiB at or below ~0.17 s (poll) and ~0.19 s (threaded)."
    }
' "$WORK/table"
