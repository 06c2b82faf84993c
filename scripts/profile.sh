#!/bin/sh
# profile.sh profile|scheduling|trace — each variant once under a profiler, a scheduling recorder,
# or strace, against a target server (started here unless one answers; stopped again at the end).
#
#   profile     Linux: `perf record -e cpu-clock -g` (a software clock: hardware counters are often
#               missing in VMs and containers), then the top symbols from `perf report --stdio`.
#               Haiku: `profile -a -c -C -f`, as the old suite did.
#   scheduling  Haiku: SCHEDULING_RECORDER (default `scheduling_recorder`) writes sched_<variant>.bin
#               for DebugAnalyzer, as the old suite did. Linux: `perf sched record`, then
#               `perf sched latency` (per-task scheduling delays); `perf record -e sched:sched_switch`
#               if perf sched cannot record.
#   trace       Linux: `strace -c -f`, with strace's socket-call counts beside the client's own
#               counters (`syscalls.*` of its record); the two must agree.
#
# Output goes to PROFILE_DIR (default results/<mode>-<hostname>-<UTC timestamp>/). Environment as
# for benchmark.sh: VARIANTS, NO_CONNECTIONS/CONNECTIONS, PORT, BIND, ADDRESS, PAYLOAD_PATH, SERVER.

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
VARIANTS=${VARIANTS:-threaded poll}
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

INTERRUPTED=
trap 'INTERRUPTED=1' INT TERM
trap 'stop_server' EXIT
start_server || exit 1
mkdir -p "$OUT" || exit 1
log "output goes to $OUT"

# Sets "$@" to the client's command line for one variant.
client_args() {
    set -- "$BENCH" run --variant "$1" --address "$ADDRESS" --port "$PORT" --path "$PAYLOAD_PATH" --json
    [ -n "$CONNECTIONS" ] && set -- "$@" --connections "$CONNECTIONS"
    CLIENT="$*"
}

status=0
for variant in $VARIANTS; do
    [ -n "$INTERRUPTED" ] && break
    client_args "$variant"
    log "$MODE: $variant"
    # shellcheck disable=SC2086 # CLIENT is split on purpose: no argument holds a space.
    case $OS-$MODE in
        Linux-profile)
            perf record -q -e cpu-clock -g -o "$OUT/$variant.perf.data" -- $CLIENT \
                >"$OUT/$variant.run.json" || status=1
            echo "== $variant: top symbols (perf report, cpu-clock samples, self time)"
            perf report -q -i "$OUT/$variant.perf.data" --stdio --no-children --sort dso,symbol \
                --percent-limit 1 -g none 2>/dev/null | sed 's/  *-  *-  *$//' | sed -n '1,25p' | tee "$OUT/$variant.report.txt"
            ;;
        Linux-scheduling)
            if perf sched record -q -o "$OUT/$variant.sched.data" -- $CLIENT \
                >"$OUT/$variant.run.json"; then
                # perf sched records the whole system: show the client's threads, keep the rest.
                perf sched latency -i "$OUT/$variant.sched.data" --sort max \
                    >"$OUT/$variant.latency.txt" 2>/dev/null
                echo "== $variant: scheduling delays of the client's threads (perf sched latency;"
                echo "   every task of the system in $OUT/$variant.latency.txt)"
                sed -n '2,4p' "$OUT/$variant.latency.txt"
                grep 'bench-overhead' "$OUT/$variant.latency.txt"
            else
                log "perf sched record failed: recording sched:sched_switch events instead"
                perf record -q -e sched:sched_switch -g -o "$OUT/$variant.switch.data" -- $CLIENT \
                    >"$OUT/$variant.run.json" || status=1
                echo "== $variant: context switches by symbol (perf report)"
                perf report -q -i "$OUT/$variant.switch.data" --stdio --no-children \
                    --sort comm,symbol -g none 2>/dev/null | sed -n '1,25p' |
                    tee "$OUT/$variant.switch.txt"
            fi
            ;;
        Linux-trace)
            strace -c -f -o "$OUT/$variant.strace.txt" -- $CLIENT >"$OUT/$variant.run.json" || status=1
            echo "== $variant"
            "$BENCH" suite syscalls --strace "$OUT/$variant.strace.txt" --run "$OUT/$variant.run.json" ||
                status=1
            ;;
        Haiku-profile)
            profile -o "$OUT/profile_$variant.log" -a -c -C -f $CLIENT >"$OUT/$variant.run.json" ||
                status=1
            sed -n '1,40p' "$OUT/profile_$variant.log"
            ;;
        Haiku-scheduling)
            "${SCHEDULING_RECORDER:-scheduling_recorder}" "$OUT/sched_$variant.bin" $CLIENT \
                >"$OUT/$variant.run.json" || status=1
            log "open $OUT/sched_$variant.bin with DebugAnalyzer"
            ;;
    esac
done

stop_server
log "output: $OUT"
[ -n "$INTERRUPTED" ] && exit 130
exit "$status"
