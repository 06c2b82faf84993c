#!/bin/sh
# make bench-rr: request rate against one lighttpd, side by side: this client's keepalive and
# churn workloads in every model and backend vs wrk (keep-alive, and with `Connection: close`,
# churn's reference) and oha where installed; then each goal of issue 14 with PASS, FAIL or SKIP,
# exit 1 when one fails. Churn rows are named churn/MODEL and their ratio is to wrk-close.
#
# Goals:
#   1. keepalive req/s of the best readiness backend >= 1.0x wrk's (keep-alive);
#   2. uring keepalive req/s >= 1.0x epoll's;
#   3. syscalls per keep-alive request <= 2.2 with epoll, < 1 with uring;
#   4. churn req/s of the best model >= 1.0x wrk with `Connection: close`;
#   5. a fixed rate of 50 % of epoll's measured keep-alive maximum (--rate, open loop) held within
#      2 % over RATE_DURATION (10s, after a 1s warm-up), with its corrected (from the intended send
#      time) and uncorrected (from the actual send) p99 printed.
# The client's poll and uring models run WRK_THREADS event loops (--threads), as wrk and oha run
# WRK_THREADS threads; threaded runs a thread per connection.
#
# Request rates on this loopback move from run to run as much as the goals' margins, so one run of
# each proves nothing: every client (wrk and oha too) runs ROUNDS times, interleaved, the order
# rotating each round, and each figure is the median of its rounds (as make bench-client does).
#
# Variables: CONNECTIONS (100), ROUNDS (3), DURATION (each run, 5s; warm-up 1s of it for this
# client), WRK_THREADS (2), BIN_DIR (target/release), MODELS (every model and backend this OS
# has), RATE_DURATION (the fixed-rate run's counted time, 10s).
# Every step is bounded by `timeout`; lighttpd is stopped on exit.
set -eu

cd "$(dirname "$0")/.."
BIN_DIR=${BIN_DIR:-target/release}
CONNECTIONS=${CONNECTIONS:-100}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
WRK_THREADS=${WRK_THREADS:-2}
RATE_DURATION=${RATE_DURATION:-10s}
case $(uname -s) in
    Linux) DEFAULT_MODELS="threaded poll:epoll poll:poll poll:polling uring" ;;
    *) DEFAULT_MODELS="threaded poll poll:poll poll:polling" ;;
esac
MODELS=${MODELS:-$DEFAULT_MODELS}
CLIENT=$BIN_DIR/bench-overhead

NAME=bench-rr
# shellcheck source=scripts/bench-common.sh
. scripts/bench-common.sh
[ -x "$CLIENT" ] || die "$CLIENT is missing: run make build"
case $ROUNDS in '' | *[!0-9]* | 0) die "ROUNDS=$ROUNDS: give a whole number of at least 1" ;; esac
command -v wrk >/dev/null 2>&1 || die "wrk is not installed (apt-get install wrk): the goals are ratios to it"
printf 'Hello, world\n' >"$WORK/root/hello"
# Without lighttpd's default cap of 1,000 requests per connection: the keep-alive figure is then
# of kept-alive connections, not of reconnects.
start_lighttpd "server.max-keep-alive-requests = 65535"

echo "bench-rr: $CONNECTIONS connections, /hello (13 bytes), $DURATION per run, $ROUNDS interleaved rounds, medians; lighttpd on 127.0.0.1:$PORT"
# One line per client and round in $WORK/rounds: name req/s p50_us p99_us p99.9_us
# syscalls_per_request cpu_us_per_request connect_p99_us ("-" where the client gives none).
: >"$WORK/rounds"
# One run of this client: workload $1 in model $2, its line added as $3.
client_row() {
    tag=$(printf '%s-%s' "$1" "$2" | tr ':' '-')
    $LIMIT "$CLIENT" run --variant "$2" --workload "$1" --connections "$CONNECTIONS" \
        --address 127.0.0.1 --port "$PORT" --duration "$DURATION" --warmup 1s --threads "$WRK_THREADS" --json \
        >"$WORK/$tag.json" 2>"$WORK/$tag.err" || true
    if [ ! -s "$WORK/$tag.json" ]; then
        echo "bench-rr: $3 did not run: $(tail -n 1 "$WORK/$tag.err")" >&2
        return
    fi
    failed=$(json_number jobs_failed "$WORK/$tag.json")
    [ "$failed" = 0 ] || echo "bench-rr: $3: $failed failed connections ($(tail -n 1 "$WORK/$tag.err"))" >&2
    awk -v name="$3" -v rps="$(json_number requests_per_s "$WORK/$tag.json")" \
        -v counted="$(json_number requests "$WORK/$tag.json" requests)" \
        -v warm="$(json_number warmup_requests "$WORK/$tag.json")" \
        -v p50="$(json_number p50 "$WORK/$tag.json" latency_us)" -v p99="$(json_number p99 "$WORK/$tag.json" latency_us)" \
        -v p999="$(json_number p99_9 "$WORK/$tag.json" latency_us)" \
        -v cp99="$(json_number p99 "$WORK/$tag.json" connect_us)" \
        -v user="$(json_number cpu_user_s "$WORK/$tag.json")" \
        -v sys="$(json_number cpu_sys_s "$WORK/$tag.json")" \
        -v total="$(syscalls_total "$WORK/$tag.json")" 'BEGIN {
            made = counted + warm
            printf "%s %.0f %.1f %.1f %.1f %.3f %.2f %s\n", name, rps, p50, p99, p999, total / made, (user + sys) * 1e6 / made, (cp99 == "" ? "-" : sprintf("%.1f", cp99))
        }' >>"$WORK/rounds"
}

# wrk: Requests/sec and its latency percentiles (--latency prints 50/75/90/99 %).
wrk_run() {
    $LIMIT wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" \
        "http://127.0.0.1:$PORT/hello" >"$WORK/wrk.out" 2>&1 || die "wrk failed: $(tail -n 3 "$WORK/wrk.out")"
    awk '
        function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /s$/) return v * 1e6; return v }
        /^ +50%/ { p50 = us($2) } /^ +99%/ { p99 = us($2) } /^Requests\/sec:/ { rps = $2 }
        END { printf "%.0f %.1f %.1f - - - -\n", rps, p50, p99 }' "$WORK/wrk.out"
}
oha_run() {
    $LIMIT oha --no-tui -c "$CONNECTIONS" -z "$DURATION" "http://127.0.0.1:$PORT/hello" >"$WORK/oha.out" 2>&1 || true
    rps=$(awk '/Requests\/sec:/ { print $2; exit }' "$WORK/oha.out")
    if [ -n "$rps" ]; then echo "oha ${rps%.*} - - - - - -" >>"$WORK/rounds"; fi
}

# One run of client $1 (a model, churn/MODEL, wrk, wrk-close or oha).
run_client() {
    case $1 in
        wrk) echo "wrk $(wrk_run)" >>"$WORK/rounds" ;;
        wrk-close) echo "wrk-close $(wrk_run -H 'Connection: close')" >>"$WORK/rounds" ;;
        oha) oha_run ;;
        churn/*) client_row churn "${1#churn/}" "$1" ;;
        *) client_row keepalive "$1" "$1" ;;
    esac
}

CLIENTS=$MODELS
for model in $MODELS; do CLIENTS="$CLIENTS churn/$model"; done
CLIENTS="$CLIENTS wrk wrk-close"
command -v oha >/dev/null 2>&1 && CLIENTS="$CLIENTS oha"
# shellcheck disable=SC2086 # CLIENTS is a list of words.
set -- $CLIENTS
round=1
while [ "$round" -le "$ROUNDS" ]; do
    echo "round $round/$ROUNDS: $*"
    for client in "$@"; do
        run_client "$client"
    done
    # Rotate: the first client goes last.
    first=$1
    shift
    set -- "$@" "$first"
    round=$((round + 1))
done

# The medians, one line per client in $WORK/table, in the columns of $WORK/rounds.
: >"$WORK/table"
for client in $CLIENTS; do
    grep -q "^$client " "$WORK/rounds" || continue
    line=$client
    for k in 2 3 4 5 6 7 8; do
        value=$(awk -v c="$client" -v k="$k" '$1 == c && $k != "-" { print $k }' "$WORK/rounds" | median)
        line="$line $value"
    done
    echo "$line" >>"$WORK/table"
done

# The fixed rate: half of epoll's keep-alive req/s above (the median of its rounds), for RATE_DURATION after a
# 1s warm-up. One line: target achieved corrected_p99_us uncorrected_p99_us, or nothing.
: >"$WORK/rate"
max=$(awk '$1 == "poll:epoll" { print $2 }' "$WORK/table")
if [ -n "$max" ]; then
    rate=$(awk -v max="$max" 'BEGIN { printf "%.0f", max / 2 }')
    seconds=$(awk -v d="$RATE_DURATION" 'BEGIN { v = d + 0; if (d ~ /ms$/) v /= 1000; else if (d ~ /m$/) v *= 60; printf "%.3f", v + 1 }')
    $LIMIT "$CLIENT" run --variant poll:epoll --workload keepalive --connections "$CONNECTIONS" \
        --address 127.0.0.1 --port "$PORT" --rate "$rate" --duration "${seconds}s" --warmup 1s \
        --threads "$WRK_THREADS" --json >"$WORK/rate.json" 2>"$WORK/rate.err" || true
    if [ -s "$WORK/rate.json" ]; then
        # The corrected latency is `latency_us`, the uncorrected `uncorrected_latency_us`.
        corrected=$(json_number p99 "$WORK/rate.json" latency_us)
        uncorrected=$(json_number p99 "$WORK/rate.json" uncorrected_latency_us)
        echo "$rate $(json_number requests_per_s "$WORK/rate.json") ${corrected:--} ${uncorrected:--}" >"$WORK/rate"
        sed -n 's/.*"schedule_missed":"\([^"]*\)".*/bench-rr: fixed rate: \1/p' "$WORK/rate.json" >&2
    else
        echo "bench-rr: the fixed-rate run did not run: $(tail -n 1 "$WORK/rate.err")" >&2
    fi
fi

echo
status=0
awk '
    { name[NR] = $1; rps[NR] = $2; at[$1] = NR; line[NR] = $0 }
    END {
        printf "%-20s %10s %8s %10s %10s %10s %10s %12s %14s\n", "client", "req/s", "x wrk", "p50 us", "p99 us", "p99.9 us", "calls/req", "CPU us/req", "connect p99 us"
        wrk = rps[at["wrk"]]
        wrkclose = rps[at["wrk-close"]]
        for (i = 1; i <= NR; i++) {
            split(line[i], f, " ")
            # churn rows (and wrk-close) are measured against wrk with Connection: close, the rest
            # against wrk.
            ref = (f[1] ~ /^churn\// || f[1] == "wrk-close" ? wrkclose : wrk)
            printf "%-20s %10s %8.2f %10s %10s %10s %10s %12s %14s\n", f[1], f[2], (ref > 0 ? f[2] / ref : 0), f[3], f[4], f[5], f[6], f[7], f[8]
        }
        print ""
        fail = 0
        best = ""; bestrps = 0
        for (i = 1; i <= NR; i++) if (name[i] ~ /^poll/ && rps[i] > bestrps) { best = name[i]; bestrps = rps[i] }
        verdict("keepalive: best readiness backend (" best ") >= 1.0x wrk", bestrps >= wrk && wrk > 0, sprintf("%.2fx", bestrps / wrk))
        if ("uring" in at && "poll:epoll" in at) {
            u = rps[at["uring"]]; e = rps[at["poll:epoll"]]
            verdict("keepalive: uring >= 1.0x epoll", u >= e, sprintf("%.2fx", u / e))
            split(line[at["uring"]], fu, " ")
            verdict("syscalls per keep-alive request < 1 with uring", fu[6] < 1, fu[6])
        }
        if ("poll:epoll" in at) {
            split(line[at["poll:epoll"]], fe, " ")
            verdict("syscalls per keep-alive request <= 2.2 with epoll", fe[6] <= 2.2, fe[6])
        }
        churn = ""; churnrps = 0
        for (i = 1; i <= NR; i++) if (name[i] ~ /^churn\// && rps[i] > churnrps) { churn = name[i]; churnrps = rps[i] }
        if (churn != "")
            verdict("churn req/s (" churn ") >= 1.0x wrk Connection: close", churnrps >= wrkclose && wrkclose > 0, sprintf("%.2fx", churnrps / wrkclose))
        else
            print "SKIP  churn req/s >= 1.0x wrk Connection: close: no churn run finished"
        exit fail
    }
    function verdict(goal, ok, figure) {
        printf "%s  %s: %s\n", ok ? "PASS" : "FAIL", goal, figure
        if (!ok) fail = 1
    }' "$WORK/table" || status=1
if [ -s "$WORK/rate" ]; then
    awk '{
        ok = $2 >= $1 * 0.98 && $2 <= $1 * 1.02
        printf "%s  a fixed rate of 50 %% of epoll'"'"'s maximum held within 2 %%: %.0f of %d req/s (%.2f %%), p99 %s us corrected, %s us uncorrected\n", ok ? "PASS" : "FAIL", $2, $1, ($2 - $1) * 100 / $1, $3, $4
        exit !ok
    }' "$WORK/rate" || status=1
else
    echo "FAIL  a fixed rate of 50 % of epoll's maximum held within 2 %: no figure (see above)"
    status=1
fi
exit $status
