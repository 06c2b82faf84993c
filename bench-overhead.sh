#!/bin/sh
# bench-overhead.sh [ADDRESS] [PORT] — run each I/O variant ITERATIONS times under memmon against an
# HTTP server and keep everything in one results folder (runs.csv, jobs.csv, memory.csv, meta.json,
# summary.md). Plain POSIX sh: it also runs under busybox sh inside a QEMU guest. Anything more than
# glue lives in `bench-overhead suite …` (Rust).
#
# Environment (defaults in brackets):
#   ITERATIONS [10]                 runs of each variant
#   VARIANTS [every model here]     models in order, model[:backend] (threaded poll poll:poll
#                                   poll:polling uring), each once; "threaded poll uring" on Linux
#   CONNECTIONS [built-in default]  concurrent connections per run (the NO_CONNECTIONS of the build);
#                                   a list ("1 10 100") sweeps: every variant at every count
#   WORKLOADS [download]            what each connection does (run --workload), in order: download
#                                   (PAYLOAD_PATH), keepalive and churn (requests for /hello),
#                                   upload (PUT /upload: the built-in server, `make serve`; a
#                                   server that refuses the probe PUT has its upload steps skipped)
#   DURATION [client's 10s]         keepalive, churn: how long each run asks (run --duration)
#   WARMUP [none]                   keepalive, churn: the first part of DURATION, not counted
#   RATE [closed loop]              keepalive, churn: requests per second over all connections
#                                   (run --rate: open loop, latency from each intended send time)
#   THREADS [1]                     event loops of the poll and uring models (run --threads)
#   PAYLOAD_PATH [/testpayload]     path requested from the server; {connections} in it stands
#                                   for the step's count (make sweep: /sweep-{connections})
#   INTERVAL [100ms]                memmon's sampling interval
#   TIMEOUT [client's 30s]          limit for connect and for each wait for data (run --timeout)
#   RUN_TIMEOUT [client's 10m]      limit for one whole run (run --run-timeout): raise it for
#                                   slow paths (a TCG guest, a slow LAN) so long downloads finish
#   RESULTS [results/<hostname>-<UTC timestamp>]   the results folder (must be new)
#   BIN_DIR [target/release beside this script]   where bench-overhead and memmon are
#   NETWORK [loopback or network]   network path label recorded with every run
#   META [""]                       space-separated key=value pairs for meta.json's "extra"
#                                   (tcp_congestion_control is added on Linux unless given)
#   SERVER_PID [""]                 the server's PID, to measure its CPU and memory beside the
#                                   client (make benchmark sets it); ignored for a server at an
#                                   address not on this machine (meta.json's server_cost says why)
#
# Exit status: 0 every iteration succeeded; 1 an iteration failed (it is recorded, the suite went
# on) or a setup error; 130 stopped by SIGINT (Ctrl-C), 143 by SIGTERM, 129 by SIGHUP: 128 + the
# signal's number, as a shell reports a process the signal killed (the folder is kept, partial).
# A signal once every iteration has run (while the folder is finished and the summary printed)
# stops nothing: the folder is complete, and so the status is 0 or 1.

ADDRESS=${1:-127.0.0.1}
PORT=${2:-8000}
ITERATIONS=${ITERATIONS:-10}
# Every model this OS supports, each with its native backend (uring on Linux only).
if [ -z "${VARIANTS:-}" ]; then
    case $(uname -s) in
        Linux) VARIANTS="threaded poll uring" ;;
        *) VARIANTS="threaded poll" ;;
    esac
fi
CONNECTIONS=${CONNECTIONS:-}
WORKLOADS=${WORKLOADS:-download}
DURATION=${DURATION:-}
WARMUP=${WARMUP:-}
RATE=${RATE:-}
THREADS=${THREADS:-}
PAYLOAD_PATH=${PAYLOAD_PATH:-/testpayload}
INTERVAL=${INTERVAL:-100ms}
TIMEOUT=${TIMEOUT:-}
RUN_TIMEOUT=${RUN_TIMEOUT:-}
NETWORK=${NETWORK:-}
META=${META:-}
SERVER_PID=${SERVER_PID:-}
COMMAND_LINE="$0 $*"

HERE=$(cd "$(dirname "$0")" && pwd)
BIN_DIR=${BIN_DIR:-$HERE/target/release}
BENCH=$BIN_DIR/bench-overhead
MEMMON=$BIN_DIR/memmon
RESULTS=${RESULTS:-$HERE/results/$(uname -n)-$(date -u +%Y%m%dT%H%M%SZ)}

say() { echo "bench-overhead.sh: $*" >&2; }

for binary in "$BENCH" "$MEMMON"; do
    if [ ! -x "$binary" ]; then
        say "$binary not found: build with \`make build\` (or set BIN_DIR to the folder holding bench-overhead and memmon)"
        exit 1
    fi
done
for sourced in signals settings process; do
    [ -r "$HERE/scripts/$sourced.sh" ] ||
        { say "$HERE/scripts/$sourced.sh is missing: run bench-overhead.sh from its checkout"; exit 1; }
done
# Every setting, before the server is probed or anything is written (one line, exit 1).
# shellcheck source=scripts/settings.sh
. "$HERE/scripts/settings.sh"
check_suite_settings

# The TCP congestion control shapes loopback figures as much as the server does (under cubic up to
# twice those under BBR on the machine the README names), so meta.json's extra records it unless
# META already does. Linux only: elsewhere there is no such file to read.
CC_FILE=/proc/sys/net/ipv4/tcp_congestion_control
case " $META " in
    *" tcp_congestion_control="*) ;;
    *) [ -r "$CC_FILE" ] && META="${META:+$META }tcp_congestion_control=$(cat "$CC_FILE")" ;;
esac

# A sweep: CONNECTIONS="1 10 100" runs every variant at every count (the built-in default when
# unset). PAYLOAD_PATH may name the count as {connections} (make sweep serves one payload per
# count, so that each step moves the same bytes).
COUNTS=${CONNECTIONS:-built-in}
SWEEP=
case $COUNTS in *' '*) SWEEP=1 ;; esac
# Sets REPLACED to $1 with every $2 in it replaced by $3. In the shell itself, not in a command
# substitution: Ctrl-C reaches the whole process group, and a subshell of the run loop killed by it
# would leave an empty run id or path behind.
replace_all() {
    rest=$1
    REPLACED=
    while :; do
        case $rest in
            *"$2"*)
                REPLACED=$REPLACED${rest%%"$2"*}$3
                rest=${rest#*"$2"}
                ;;
            *) break ;;
        esac
    done
    REPLACED=$REPLACED$rest
}
# Sets STEP_PATH to the payload path of the step with $1 connections.
step_path() {
    replace_all "$PAYLOAD_PATH" '{connections}' "$1"
    STEP_PATH=$REPLACED
}

# The path each workload asks for: the payload, the 13-byte /hello, or /upload (the built-in
# server counts a PUT to any path); the client's own defaults, given explicitly so that the check
# below probes what the runs will ask.
REQUEST_PATH=/hello
UPLOAD_PATH=/upload
is_request_workload() {
    case $1 in keepalive | churn) return 0 ;; *) return 1 ;; esac
}

# Fail fast, before any folder exists, when no server answers or serves a step's payload (the
# check prints the one line). A server that takes no upload (lighttpd has no PUT handler) is no
# reason to stop: its upload steps are skipped with UPLOAD_SKIP, the reason the check printed.
SERVER=
UPLOAD_SKIP=
for workload in $WORKLOADS; do
    case $workload in
        download)
            for count in $COUNTS; do
                step_path "$count"
                header=$("$BENCH" suite check --address "$ADDRESS" --port "$PORT" --path "$STEP_PATH") ||
                    exit 1
                SERVER=${SERVER:-$header}
                case $PAYLOAD_PATH in *'{connections}'*) ;; *) break ;; esac
            done
            ;;
        upload)
            if header=$("$BENCH" suite check --address "$ADDRESS" --port "$PORT" --path "$UPLOAD_PATH" --upload); then
                SERVER=${SERVER:-$header}
            elif [ "$?" = 3 ] && [ -n "$header" ]; then
                UPLOAD_SKIP=$header
            else
                exit 1
            fi
            ;;
        *)
            header=$("$BENCH" suite check --address "$ADDRESS" --port "$PORT" --path "$REQUEST_PATH") ||
                exit 1
            SERVER=${SERVER:-$header}
            ;;
    esac
done

# Ctrl-C (INT), TERM or HUP stops the suite at once (scripts/signals.sh): memmon forwards the TERM
# it gets to the client; the cut-short iteration is recorded as interrupted, the folder is finished
# as partial, and the summary of the runs recorded so far is printed.
# shellcheck source=scripts/signals.sh
. "$HERE/scripts/signals.sh"
# shellcheck source=scripts/process.sh
. "$HERE/scripts/process.sh"

# memmon runs in a session (and so a process group) of its own where setsid exists: a client that
# outlives memmon (memmon killed outright) is then still in that group, and is stopped before the
# next iteration instead of competing with it. A script's background job never leads a process
# group, so setsid runs memmon in place and $! is memmon's pid, the group's id.
SETSID=
command -v setsid >/dev/null 2>&1 && SETSID=setsid

# Stops whatever is left in process group $1 once memmon has ended (scripts/process.sh); NOTE
# says so on the run's line.
stop_leftovers() {
    NOTE=
    [ -n "$SETSID" ] && kill -0 "-$1" 2>/dev/null || return 0
    NOTE="memmon left its client running: stopped it before the next iteration"
    stop_process "-$1"
}

# Creates the folder and prints the plan (what runs, how often, the connections and their source)
# on stderr, and on stdout the PID of the server memmon watches beside the client (WATCH; empty
# when the server is not measured).
WATCH=$(uninterrupted "$BENCH" suite begin --results "$RESULTS" --command-line "$COMMAND_LINE" \
    --address "$ADDRESS" --port "$PORT" --path "$PAYLOAD_PATH" --connections "$CONNECTIONS" \
    --iterations "$ITERATIONS" --variants "$VARIANTS" --interval "$INTERVAL" \
    --timeout "$TIMEOUT" --run-timeout "$RUN_TIMEOUT" \
    --network "$NETWORK" --server "$SERVER" --extra "$META" --server-pid "$SERVER_PID" \
    --workloads "$WORKLOADS" \
    --request-settings "DURATION=$DURATION WARMUP=$WARMUP RATE=$RATE THREADS=$THREADS") || exit 1
RAW=$RESULTS/raw
FAILED=
TOTAL=0
for workload in $WORKLOADS; do
    for count in $COUNTS; do
        for variant in $VARIANTS; do TOTAL=$((TOTAL + ITERATIONS)); done
    done
done
DONE=0

# One step per workload × count × variant: checked against the machine's limits first (a step it
# cannot hold is skipped with the reason), then ITERATIONS runs, then its outcome goes into
# meta.json. Download run ids are as before workloads existed; the others name their workload
# after the variant (poll-keepalive-1).
for workload in $WORKLOADS; do
    [ -n "$INTERRUPTED" ] && break
    WORKLOAD_ARGS="--workload $workload"
    WORKLOAD_PATH=$UPLOAD_PATH
    if is_request_workload "$workload"; then
        WORKLOAD_PATH=$REQUEST_PATH
        [ -n "$DURATION" ] && WORKLOAD_ARGS="$WORKLOAD_ARGS --duration $DURATION"
        [ -n "$WARMUP" ] && WORKLOAD_ARGS="$WORKLOAD_ARGS --warmup $WARMUP"
        [ -n "$RATE" ] && WORKLOAD_ARGS="$WORKLOAD_ARGS --rate $RATE"
    fi
    ID_WORKLOAD=-$workload
    [ "$workload" = download ] && { WORKLOAD_ARGS=; ID_WORKLOAD=; }
    for count in $COUNTS; do
        if [ "$count" = built-in ]; then COUNT_ARGS=; else COUNT_ARGS="--connections $count"; fi
        step_path "$count"
        path=$STEP_PATH
        [ -n "$ID_WORKLOAD" ] && path=$WORKLOAD_PATH
        for variant in $VARIANTS; do
            [ -n "$INTERRUPTED" ] && break 2
            if [ "$workload" = upload ] && [ -n "$UPLOAD_SKIP" ]; then
                # shellcheck disable=SC2086
                uninterrupted "$BENCH" suite outcome --meta "$RESULTS/meta.json" $COUNT_ARGS \
                    --variant "$variant" --workload "$workload" --skipped "$UPLOAD_SKIP" || exit 1
                DONE=$((DONE + ITERATIONS))
                continue
            fi
            # shellcheck disable=SC2086 # COUNT_ARGS is an option and its number, or nothing.
            if reason=$(uninterrupted "$BENCH" suite limits $COUNT_ARGS --variant "$variant"); then
                :
            elif [ -n "$reason" ]; then
                # shellcheck disable=SC2086
                uninterrupted "$BENCH" suite outcome --meta "$RESULTS/meta.json" $COUNT_ARGS \
                    --variant "$variant" --workload "$workload" --skipped "$reason" || exit 1
                DONE=$((DONE + ITERATIONS))
                continue
            else
                exit 1
            fi
            STEP_IDS=
            SKIPPED=
            i=1
            while [ "$i" -le "$ITERATIONS" ]; do
                [ -n "$INTERRUPTED" ] && break 3
                replace_all "$variant" : -
                id=$REPLACED$ID_WORKLOAD${SWEEP:+-${count}c}-$i
                STEP_IDS="$STEP_IDS $id"
                set -- run --variant "$variant" --address "$ADDRESS" --port "$PORT" --path "$path" \
                    --json --jobs-csv "$RESULTS/jobs.csv" --run-id "$id"
                # shellcheck disable=SC2086 # options and their values, or nothing.
                set -- "$@" $COUNT_ARGS $WORKLOAD_ARGS
                case $variant in threaded) ;; *) [ -n "$THREADS" ] && set -- "$@" --threads "$THREADS" ;; esac
                [ -n "$NETWORK" ] && set -- "$@" --network "$NETWORK"
                [ -n "$TIMEOUT" ] && set -- "$@" --timeout "$TIMEOUT"
                [ -n "$RUN_TIMEOUT" ] && set -- "$@" --run-timeout "$RUN_TIMEOUT"
                # In the background, so a signal to this shell is handled now rather than after the run.
                # --sockets: the kernel's TCP socket memory; --also: the server's CPU and memory.
                $SETSID "$MEMMON" --interval "$INTERVAL" --json --output "$RAW/$id.memmon.json" \
                    --sockets ${WATCH:+--also "$WATCH"} --csv "$RESULTS/memory.csv" --run-id "$id" -- "$BENCH" "$@" \
                    >"$RAW/$id.run.json" 2>"$RAW/$id.stderr" &
                CHILD=$!
                CHILD_PID=$CHILD
                run_child_wait
                stop_leftovers "$CHILD_PID"
                # A kernel that refuses io_uring: the client said so in one line and ran nothing; the
                # step is skipped with that line.
                if [ "$status" = 0 ] && [ ! -s "$RAW/$id.run.json" ] && grep -q 'model is skipped' "$RAW/$id.stderr"; then
                    SKIPPED=$(uninterrupted cat "$RAW/$id.stderr")
                    rm -f "$RAW/$id.run.json" "$RAW/$id.memmon.json" "$RAW/$id.stderr"
                    break
                fi
                # memmon exits 128+signal when the client was killed: a client killed by SIGINT or
                # SIGTERM stops the suite even where this shell could not trap the signal.
                case $status in
                    0) ;;
                    130 | 143) [ -n "$INTERRUPTED" ] || INTERRUPTED=$status ;;
                    *) FAILED=1 ;;
                esac
                label="$variant $i/$ITERATIONS"
                if [ -n "$SWEEP" ]; then
                    if [ "$count" = 1 ]; then word=connection; else word=connections; fi
                    label="$variant at $count $word $i/$ITERATIONS"
                fi
                [ -n "$ID_WORKLOAD" ] && label="$workload $label"
                set -- --run-id "$id" --variant "$variant" --run "$RAW/$id.run.json" \
                    --memory "$RAW/$id.memmon.json" --stderr "$RAW/$id.stderr" --status "$status" \
                    --runs-csv "$RESULTS/runs.csv" --meta "$RESULTS/meta.json" \
                    --label "$label" --progress "$((DONE + 1))/$TOTAL" --workload "$workload"
                [ -n "$INTERRUPTED" ] && set -- "$@" --interrupted
                [ -n "$NOTE" ] && set -- "$@" --note "$NOTE"
                if ! uninterrupted "$BENCH" suite record "$@"; then
                    say "could not record $id: stopping (rows written so far are kept)"
                    uninterrupted "$BENCH" suite finish --results "$RESULTS" --status partial
                    exit 1
                fi
                i=$((i + 1))
                DONE=$((DONE + 1))
            done
            if [ -n "$SKIPPED" ]; then
                set -- --skipped "$SKIPPED"
                DONE=$((DONE + ITERATIONS - i + 1))
            else
                set -- --run-ids "$STEP_IDS"
            fi
            # shellcheck disable=SC2086
            uninterrupted "$BENCH" suite outcome --meta "$RESULTS/meta.json" $COUNT_ARGS \
                --variant "$variant" --workload "$workload" "$@" || exit 1
        done
    done
done

# The status is settled here: a signal during the summary below no longer makes the folder partial,
# nor the exit status 128 + its number (that status says the folder is partial).
if [ -n "$INTERRUPTED" ]; then FINAL=partial; else FINAL=complete; fi
uninterrupted "$BENCH" suite finish --results "$RESULTS" --status "$FINAL"

echo
uninterrupted "$BENCH" summarize "$RESULTS" --markdown "$RESULTS/summary.md"
uninterrupted "$BENCH" suite verdict --results "$RESULTS"
say "results: $RESULTS (summary.md, runs.csv, jobs.csv, memory.csv, meta.json)"
if [ "$FINAL" = partial ]; then
    say "interrupted: $RESULTS is marked partial"
    exit "$INTERRUPTED"
fi
[ -n "$FAILED" ] && exit 1
exit 0
