#!/bin/sh
# profile.sh profile|scheduling|trace — each variant once under a profiler, a scheduling recorder,
# or strace, against a target server (started here unless one answers; stopped again at the end).
#
#   profile     Linux: `perf record -e cycles -g` where the CPU exposes a cycle counter, else
#               `-e cpu-clock` (a software clock: hardware counters are often missing in VMs and
#               containers); it says which. Then the top symbols from `perf report --stdio`.
#               Haiku: `profile -a -c -C -f`, as the old suite did.
#   scheduling  Haiku: SCHEDULING_RECORDER (default `scheduling_recorder`) writes
#               sched_<variant>.bin for DebugAnalyzer, as the old suite did. Linux: `perf sched
#               record`, then `perf sched latency` (per-task scheduling delays); `perf record -e
#               sched:sched_switch` where perf sched cannot record on this machine (tried once,
#               before the variants).
#   trace       Linux: `strace -I2 -c -f`, with strace's counts beside the client's own, kind by
#               kind (`syscalls.*` of its record; `suite syscalls`); the two must agree. By default
#               every model and backend: threaded, poll:epoll, poll:poll, poll:polling, uring.
#
# Output goes to PROFILE_DIR (default results/<mode>-<hostname>-<UTC timestamp>/). Environment as
# for benchmark.sh: VARIANTS, NO_CONNECTIONS/CONNECTIONS, PORT, BIND, ADDRESS, PAYLOAD_PATH,
# PAYLOAD_DIR, SERVER. Exit status: 0; 1 when a tool or a client run failed; 130 after INT, 143
# after TERM, 129 after HUP (the variant under way is stopped, the server started here too).

MODE=${1:-}
case $MODE in
    profile | scheduling | trace) ;;
    *)
        echo "usage: $0 profile|scheduling|trace" >&2
        exit 2
        ;;
esac

. "$(dirname "$0")/lib.sh"
need_binaries

OS=$(uname -s)
# trace checks every model and backend by default; the other modes the models with native backends.
if [ -z "${VARIANTS:-}" ]; then
    case $OS-$MODE in
        Linux-trace) VARIANTS="threaded poll:epoll poll:poll poll:polling uring" ;;
        Linux-*) VARIANTS="threaded poll uring" ;;
        *) VARIANTS="threaded poll" ;;
    esac
fi
CONNECTIONS=${CONNECTIONS:-${NO_CONNECTIONS:-}}
OUT=${PROFILE_DIR:-$ROOT/results/$MODE-$(uname -n)-$(date -u +%Y%m%dT%H%M%SZ)}

# The tool this mode needs on this OS, checked before a server is started.
need_tool() {
    if ! command -v "$1" >/dev/null 2>&1; then
        log "$1 is not installed: $2"
        exit 1
    fi
}
case $OS-$MODE in
    Linux-profile | Linux-scheduling) need_tool perf "apt-get install linux-perf (Ubuntu: linux-tools-generic)" ;;
    Linux-trace) need_tool strace "apt-get install strace" ;;
    Haiku-profile) need_tool profile "it ships with Haiku's developer tools" ;;
    Haiku-scheduling) need_tool "${SCHEDULING_RECORDER:-scheduling_recorder}" \
        "build it from Haiku's source tree (src/bin/debug/scheduling_recorder) and set SCHEDULING_RECORDER=/path/to/it" ;;
    *)
        log "$MODE is not supported on $OS (Linux: perf, strace; Haiku: profile, scheduling_recorder)"
        exit 1
        ;;
esac

trap 'stop_server' EXIT
start_server || exit 1
mkdir -p "$OUT" || exit 1
log "output goes to $OUT"

# Linux profile: the hardware cycle counter where perf can count it, else the software clock.
# (perf itself may silently fall back from cycles to cpu-clock; asking first lets this say which.)
if [ "$OS-$MODE" = Linux-profile ]; then
    if perf stat -x, -e cycles -- true 2>&1 >/dev/null | grep -q '^[0-9]'; then
        EVENT=cycles
        log "perf event: cycles (the CPU's cycle counter)"
    else
        EVENT=cpu-clock
        log "perf event: cpu-clock (perf says this machine does not support cycles: no hardware counters)"
    fi
fi
# Linux scheduling: whether perf sched can record here at all, tried on `true` so that a client
# that fails under it is reported as the client's failure, not retried under the fallback.
if [ "$OS-$MODE" = Linux-scheduling ]; then
    if perf sched record -q -o "$OUT/probe.sched.data" -- true >/dev/null 2>"$OUT/probe.log"; then
        SCHED=sched
    else
        SCHED=switch
        log "perf sched record does not work here ($(head -n 1 "$OUT/probe.log")): recording sched:sched_switch events instead"
    fi
    rm -f "$OUT/probe.sched.data" "$OUT/probe.log"
fi

# run_tool OUTFILE COMMAND...: the tool wrapping the client, its stdout (the client's record) to
# OUTFILE; INT or TERM stops it at once (lib.sh). Returns its exit status.
run_tool() {
    out=$1
    shift
    "$@" >"$out" &
    CHILD=$!
    run_child_wait
    return "$status"
}

# Sets "$@" to the client's command line for one variant.
client_args() {
    set -- "$BENCH" run --variant "$1" --address "$ADDRESS" --port "$PORT" --path "$PAYLOAD_PATH" --json
    [ -n "$CONNECTIONS" ] && set -- "$@" --connections "$CONNECTIONS"
    CLIENT="$*"
}

result=0
for model in $VARIANTS; do
    [ -n "$INTERRUPTED" ] && break
    client_args "$model"
    # poll:epoll → poll-epoll in file names.
    variant=$(printf '%s' "$model" | tr ':' '-')
    log "$MODE: $variant"
    # shellcheck disable=SC2086 # CLIENT is split on purpose: no argument holds a space.
    case $OS-$MODE in
        Linux-profile)
            run_tool "$OUT/$variant.run.json" \
                perf record -q -e "$EVENT" -g -o "$OUT/$variant.perf.data" -- $CLIENT || result=1
            echo "== $variant: top symbols (perf report, $EVENT samples, self time)"
            perf report -q -i "$OUT/$variant.perf.data" --stdio --no-children --sort dso,symbol \
                --percent-limit 1 -g none 2>/dev/null | sed 's/  *-  *-  *$//' | sed -n '1,25p' | tee "$OUT/$variant.report.txt"
            ;;
        Linux-scheduling)
            if [ "$SCHED" = sched ]; then
                # perf record passes on the client's exit status: a failure here is the client's.
                run_tool "$OUT/$variant.run.json" \
                    perf sched record -q -o "$OUT/$variant.sched.data" -- $CLIENT ||
                    { result=1; [ -n "$INTERRUPTED" ] || log "$variant: the client failed under perf sched record (status $status)"; }
                # perf sched records the whole system: show the client's threads, keep the rest.
                perf sched latency -i "$OUT/$variant.sched.data" --sort max \
                    >"$OUT/$variant.latency.txt" 2>/dev/null
                echo "== $variant: scheduling delays of the client's threads (perf sched latency;"
                echo "   every task of the system in $OUT/$variant.latency.txt)"
                sed -n '2,4p' "$OUT/$variant.latency.txt"
                grep 'bench-overhead' "$OUT/$variant.latency.txt"
            else
                run_tool "$OUT/$variant.run.json" \
                    perf record -q -e sched:sched_switch -g -o "$OUT/$variant.switch.data" -- $CLIENT ||
                    result=1
                echo "== $variant: context switches by symbol (perf report)"
                perf report -q -i "$OUT/$variant.switch.data" --stdio --no-children \
                    --sort comm,symbol -g none 2>/dev/null | sed -n '1,25p' |
                    tee "$OUT/$variant.switch.txt"
            fi
            ;;
        Linux-trace)
            # -I2: strace's default with -o blocks TERM until the client ends; this lets TERM stop
            # strace, which then kills the client it started.
            run_tool "$OUT/$variant.run.json" \
                strace -I2 -c -f -o "$OUT/$variant.strace.txt" -- $CLIENT || result=1
            # An interrupted client left no record to set beside strace's counts.
            [ -n "$INTERRUPTED" ] && break
            echo "== $variant"
            "$BENCH" suite syscalls --strace "$OUT/$variant.strace.txt" --run "$OUT/$variant.run.json" ||
                result=1
            ;;
        Haiku-profile)
            run_tool "$OUT/$variant.run.json" profile -o "$OUT/profile_$variant.log" -a -c -C -f $CLIENT ||
                result=1
            sed -n '1,40p' "$OUT/profile_$variant.log"
            ;;
        Haiku-scheduling)
            run_tool "$OUT/$variant.run.json" \
                "${SCHEDULING_RECORDER:-scheduling_recorder}" "$OUT/sched_$variant.bin" $CLIENT ||
                result=1
            log "open $OUT/sched_$variant.bin with DebugAnalyzer"
            ;;
    esac
done

stop_server
log "output: $OUT"
[ -n "$INTERRUPTED" ] && exit "$INTERRUPTED"
exit "$result"
