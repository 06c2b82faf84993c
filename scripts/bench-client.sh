#!/bin/sh
# make bench-client: how much does the client itself cost, and does each I/O model meet its goals?
# Downloads the same payload over the same connections with every model and backend of
# `bench-overhead run` (threaded, poll:epoll, poll:poll, poll:polling, uring where the OS has
# them) and with wrk, against one lighttpd, and prints aggregate GiB/s, CPU s/GiB, syscalls per
# MiB and peak memory side by side; then each goal with PASS or FAIL, and exits 1 when one fails.
#
# Goals (issue 13):
#   1. every model and backend: aggregate >= 1.5x wrk's Transfer/sec on the same payload;
#   2. no model below 0.95x the poll model on the polling crate (the client before raw backends);
#   3. uring syscalls per MiB <= 0.5x epoll's; epoll's <= the polling crate's (its own extra calls
#      are not counted, so this is "today's count minus the shim's");
#   4. poll (native backend) peak RSS <= 16 MiB at CONNECTIONS and at 10,000 connections (64 KiB
#      payload), measured by memmon;
#   5. threaded and poll complete 10,000 connections (64 KiB payload) with 0 failed jobs, or
#      refuse in one line where the open-file limit does not allow them (then SKIP, not FAIL).
#
# Variables: PAYLOAD (default payloads/testpayload), CONNECTIONS (NO_CONNECTIONS, 100), DURATION
# (wrk's run, 10s), WRK_THREADS (2), BIN_DIR (target/release), MODELS (default: every model and
# backend this OS has).
#
# CPU: the client's own getrusage figures (cpu_user_s + cpu_sys_s); wrk's from /usr/bin/time.
# wrk's GiB/s is its `summary.bytes` over `summary.duration`: every byte it read, heads and the
# responses in flight when DURATION ended included. wrk counts a response slower than its
# --timeout as an error though the transfer goes on, so --timeout is set beyond DURATION.
set -eu

cd "$(dirname "$0")/.."
BIN_DIR=${BIN_DIR:-target/release}
PAYLOAD=${PAYLOAD:-payloads/testpayload}
CONNECTIONS=${CONNECTIONS:-${NO_CONNECTIONS:-100}}
DURATION=${DURATION:-10s}
WRK_THREADS=${WRK_THREADS:-2}
case $(uname -s) in
    Linux) DEFAULT_MODELS="threaded poll:epoll poll:poll poll:polling uring" ;;
    *) DEFAULT_MODELS="threaded poll poll:poll poll:polling" ;;
esac
MODELS=${MODELS:-$DEFAULT_MODELS}
SCALE=10000
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
[ -x "$MEMMON" ] || die "$MEMMON is missing: run make build"
[ -f "$PAYLOAD" ] || die "$PAYLOAD is missing: run make payload"
command -v wrk >/dev/null 2>&1 || die "wrk is not installed (apt-get install wrk): the goals are ratios to it"
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
PIDFILE=$WORK/lighttpd.pid
cleanup() {
    if [ -s "$PIDFILE" ]; then
        kill "$(cat "$PIDFILE")" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The document root: the payload (linked, not copied) and a 64 KiB file for the scale goals.
mkdir "$WORK/root"
NAME=$(basename "$PAYLOAD")
ln "$PAYLOAD" "$WORK/root/$NAME" 2>/dev/null || ln -s "$(cd "$(dirname "$PAYLOAD")" && pwd)/$NAME" "$WORK/root/$NAME"
"$CLIENT" payload --size 64KiB --out "$WORK/root/small" >/dev/null 2>&1

# lighttpd daemonises only once it listens, so a zero exit means ready; a taken port fails at once.
PORT=""
tries=0
while [ -z "$PORT" ] && [ "$tries" -lt 20 ]; do
    tries=$((tries + 1))
    candidate=$(awk -v seed="$$$tries" 'BEGIN { srand(seed); print 20000 + int(rand() * 30000) }')
    cat >"$WORK/lighttpd.conf" <<EOF
server.document-root = "$WORK/root"
server.bind = "127.0.0.1"
server.port = $candidate
server.pid-file = "$PIDFILE"
server.errorlog = "$WORK/error.log"
server.max-fds = 65536
server.max-connections = 16384
server.follow-symlink = "enable"
mimetype.assign = ("" => "application/octet-stream")
EOF
    if "$LIGHTTPD" -f "$WORK/lighttpd.conf" 2>>"$WORK/start.log"; then
        PORT=$candidate
    fi
done
[ -n "$PORT" ] || die "lighttpd did not start: $(cat "$WORK/start.log" "$WORK/error.log" 2>/dev/null | tail -n 3)"
i=0
while [ ! -s "$PIDFILE" ] && [ "$i" -lt 50 ]; do i=$((i + 1)); sleep 0.1; done

# Value of a numeric JSON key in a one-line object (the first one, or the one inside "syscalls").
json_number() {
    sed -n "s/.*\"$1\":\([0-9.eE+-]*\).*/\1/p" "$2" | head -n 1
}

SIZE=$(wc -c <"$PAYLOAD" | tr -d ' ')
echo "bench-client: $CONNECTIONS connections, $NAME ($SIZE bytes), lighttpd on 127.0.0.1:$PORT; peak memory from memmon"

# measure MODEL CONNECTIONS PATH TAG: one run under memmon; writes $WORK/TAG.json and .mem.
# Returns the client's status (0 ok, 1 failed jobs, 2 refused before any connection).
measure() {
    status=0
    $LIMIT "$MEMMON" --json --output "$WORK/$4.mem" -- "$CLIENT" run --variant "$1" \
        --connections "$2" --address 127.0.0.1 --port "$PORT" --path "$3" --json \
        --run-timeout 10m >"$WORK/$4.json" 2>"$WORK/$4.err" || status=$?
    return "$status"
}

# One line per client: name GiB/s cpu_s_per_gib syscalls_per_mib peak_bytes
: >"$WORK/table"
for model in $MODELS; do
    tag=$(printf '%s' "$model" | tr ':' '-')
    measure "$model" "$CONNECTIONS" "/$NAME" "$tag" || true
    if [ ! -s "$WORK/$tag.json" ]; then
        echo "bench-client: $model did not run: $(tail -n 1 "$WORK/$tag.err")" >&2
        continue
    fi
    failed=$(json_number jobs_failed "$WORK/$tag.json")
    [ "$failed" = 0 ] || die "$model: $failed failed jobs ($(tail -n 1 "$WORK/$tag.err"))"
    awk -v name="$model" -v mib="$(json_number aggregate_mib_s "$WORK/$tag.json")" \
        -v user="$(json_number cpu_user_s "$WORK/$tag.json")" \
        -v sys="$(json_number cpu_sys_s "$WORK/$tag.json")" \
        -v bytes="$(json_number bytes "$WORK/$tag.json")" \
        -v peak="$(json_number peak_rss_bytes "$WORK/$tag.mem")" \
        -v calls="$(sed -n 's/.*"syscalls":{\([^}]*\)}.*/\1/p' "$WORK/$tag.json")" 'BEGIN {
            n = split(calls, kv, ",")
            total = 0
            for (i = 1; i <= n; i++) {
                split(kv[i], p, ":")
                if (p[1] != "\"thread_spawns\"" && p[2] != "null") total += p[2]
            }
            gib = bytes / 1073741824
            printf "%s %.6f %.6f %.4f %d\n", name, mib / 1024, (user + sys) / gib, total / (bytes / 1048576), peak
        }' >>"$WORK/table"
done

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
    "http://127.0.0.1:$PORT/$NAME" >"$WORK/wrk.out" || die "wrk failed: $(tail -n 3 "$WORK/wrk.out")"
line=$(grep '^wrk_bytes=' "$WORK/wrk.out") || die "wrk printed no summary: $(tail -n 3 "$WORK/wrk.out")"
eval "$line"
read -r wrk_user wrk_sys wrk_kib <<EOF
$(tail -n 1 "$WORK/wrk.time")
EOF
awk -v bytes="$wrk_bytes" -v us="$wrk_us" -v user="$wrk_user" -v sys="$wrk_sys" -v kib="$wrk_kib" 'BEGIN {
    gib = bytes / 1073741824
    printf "wrk %.6f %.6f - %d\n", gib / (us / 1e6), (user + sys) / gib, kib * 1024
}' >>"$WORK/table"
[ "$wrk_errors" = 0 ] || echo "bench-client: wrk reported $wrk_errors errors" >&2
echo "wrk: $wrk_requests responses in $DURATION with $WRK_THREADS threads"

# The scale goals: 10,000 connections, 64 KiB payload, poll's memory at CONNECTIONS too.
: >"$WORK/scale"
for model in threaded poll; do
    if measure "$model" "$SCALE" /small "$model-scale"; then
        printf '%s ok %s %s\n' "$model" "$(json_number jobs_failed "$WORK/$model-scale.json")" \
            "$(json_number peak_rss_bytes "$WORK/$model-scale.mem")" >>"$WORK/scale"
    elif [ ! -s "$WORK/$model-scale.json" ]; then
        printf '%s refused - - %s\n' "$model" "$(tail -n 1 "$WORK/$model-scale.err" | tr ' ' '_')" >>"$WORK/scale"
    else
        printf '%s failed %s %s\n' "$model" "$(json_number jobs_failed "$WORK/$model-scale.json")" \
            "$(json_number peak_rss_bytes "$WORK/$model-scale.mem")" >>"$WORK/scale"
    fi
done
measure poll "$CONNECTIONS" /small poll-small || true
small_peak=$(json_number peak_rss_bytes "$WORK/poll-small.mem")

echo
awk -v scale_file="$WORK/scale" -v small_peak="${small_peak:-0}" -v connections="$CONNECTIONS" \
    -v scale="$SCALE" '
    { name[NR] = $1; gibs[NR] = $2; cpu[NR] = $3; calls[NR] = $4; peak[NR] = $5; at[$1] = NR }
    function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
    function verdict(ok, text) {
        printf "%s  %s\n", ok ? "PASS" : "FAIL", text
        if (!ok) failed = 1
    }
    END {
        w = at["wrk"]
        printf "%-14s %8s %8s %10s %12s %10s\n", "client", "GiB/s", "vs wrk", "CPU s/GiB", "syscalls/MiB", "peak MiB"
        for (i = 1; i <= NR; i++)
            printf "%-14s %8.3f %8s %10.3f %12s %10.1f\n", name[i], gibs[i], ratio(gibs[i], gibs[w]),
                cpu[i], calls[i], peak[i] / 1048576
        print ""
        native = at["poll:epoll"] ? at["poll:epoll"] : at["poll"]
        old = at["poll:polling"]
        for (i = 1; i <= NR; i++) {
            if (i == w) continue
            verdict(gibs[i] >= 1.5 * gibs[w], sprintf("%s aggregate %.3f GiB/s >= 1.5x wrk (%.3f)", name[i], gibs[i], 1.5 * gibs[w]))
            if (old && i != old)
                verdict(gibs[i] >= 0.95 * gibs[old], sprintf("%s aggregate >= 0.95x poll:polling (%.3f GiB/s)", name[i], 0.95 * gibs[old]))
        }
        if (at["uring"] && native)
            verdict(calls[at["uring"]] <= 0.5 * calls[native], sprintf("uring %.4f syscalls/MiB <= 0.5x epoll (%.4f)", calls[at["uring"]], 0.5 * calls[native]))
        if (native && old)
            verdict(calls[native] <= calls[old], sprintf("epoll %.4f syscalls/MiB <= the polling crate (%.4f)", calls[native], calls[old]))
        verdict(small_peak > 0 && small_peak <= 16 * 1048576, sprintf("poll peak RSS %.1f MiB <= 16 MiB at %d connections (64 KiB payload)", small_peak / 1048576, connections))
        while ((getline line < scale_file) > 0) {
            split(line, f, " ")
            if (f[2] == "refused") {
                gsub("_", " ", f[5])
                printf "SKIP  %s at %d connections: %s\n", f[1], scale, f[5]
                continue
            }
            verdict(f[2] == "ok" && f[3] == "0", sprintf("%s completes %d connections with 0 failed jobs (%s failed)", f[1], scale, f[3]))
            if (f[1] == "poll")
                verdict(f[4] > 0 && f[4] <= 16 * 1048576, sprintf("poll peak RSS %.1f MiB <= 16 MiB at %d connections", f[4] / 1048576, scale))
        }
        exit failed
    }
' "$WORK/table"
