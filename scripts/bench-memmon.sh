#!/bin/sh
# bench-memmon: what memmon itself costs (CPU, peak RSS) and whether it keeps its schedule while
# it watches a busy child, beside what the child costs. Goals, checked for every case run with
# default options, each printed with PASS or FAIL (the script exits 1 when one fails):
#   - memmon's own CPU <= 1 % of one core at a 100 ms interval;
#   - at least 90 % of the scheduled samples taken (one at spawn, one every interval);
#   - memmon's peak RSS <= 4 MiB;
# for a 64 MiB child, one with 10,000 threads (a thread-per-connection client at 10,000
# connections) and one of 400 MiB with 100 threads (100 connections × 4 MiB buffers).
#
# The child is memmon's `busy_child` example: it touches BENCH_MIB MiB (400 in the third case),
# starts idle threads (each a stack mapping) where asked, and keeps one core busy for
# BENCH_SECONDS. Figures come from memmon's own --json summary: the child's CPU and peak RSS from
# wait4, memmon's own from getrusage(RUSAGE_SELF) just before it reports (so they include its
# start-up). The cases with other options say what a sample costs: with PSS at every sample
# (smaps_rollup walks every page) and with RSS alone.
#
# Usage: sh scripts/bench-memmon.sh   (or `make bench-memmon`)
# Variables: BENCH_SECONDS (6), BENCH_MIB (64), BENCH_THREADS (10000), INTERVAL (100ms), CARGO.
set -eu

cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
SECONDS_BUSY=${BENCH_SECONDS:-6}
MIB=${BENCH_MIB:-64}
THREADS=${BENCH_THREADS:-10000}
INTERVAL=${INTERVAL:-100ms}
MEMMON=target/release/memmon
CHILD=target/release/examples/busy_child

"$CARGO" build --release --quiet -p memmon --bin memmon --example busy_child

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-memmon.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
: >"$TMP/goals"

# field JSON KEY: the value of a top-level scalar key of memmon's one-line JSON summary.
field() {
    printf '%s\n' "$1" | sed -n "s/.*[{,]\"$2\":\([^,}]*\).*/\1/p"
}

printf 'memmon watching busy_child (one core busy for %s s), interval %s\n\n' "$SECONDS_BUSY" "$INTERVAL"
printf '%-38s %15s %5s | %9s %11s | %9s %10s %11s\n' \
    "case" "samples" "pss" "child CPU" "child peak" "memmon CPU" "per sample" "memmon peak"

# measure GOALS LABEL MIB THREADS MEMMON-OPTIONS...: one run, one table row; GOALS=goals checks
# the run against the goals (recorded in $TMP/goals, printed after the table).
measure() {
    goals=$1
    label=$2
    mib=$3
    threads=$4
    shift 4
    if ! "$MEMMON" --json --interval "$INTERVAL" --output "$TMP/summary.json" "$@" -- \
        "$CHILD" --mib "$mib" --seconds "$SECONDS_BUSY" --threads "$threads" \
        >/dev/null 2>"$TMP/child.err"; then
        echo "bench-memmon: the $label run failed: $(cat "$TMP/child.err" "$TMP/summary.json" 2>/dev/null)" >&2
        exit 1
    fi
    json=$(cat "$TMP/summary.json")
    cp "$TMP/summary.json" "$TMP/last.json"
    # Threads the child could not start (limits) are reported, not hidden.
    stopped=$(sed -n 's/.*stopped at \([0-9]*\) threads.*/\1/p' "$TMP/child.err")
    [ -z "$stopped" ] || label="$label ($stopped threads only)"
    awk -v label="$label" -v goals="$goals" -v goalfile="$TMP/goals" \
        -v samples="$(field "$json" samples)" -v scheduled="$(field "$json" scheduled_samples)" \
        -v pss="$(field "$json" pss_samples)" -v ms="$(field "$json" elapsed_ms)" \
        -v user="$(field "$json" cpu_user_s)" -v sys="$(field "$json" cpu_sys_s)" \
        -v peak="$(field "$json" peak_rss_bytes)" \
        -v own="$(field "$json" memmon_cpu_s)" -v own_peak="$(field "$json" memmon_peak_rss_bytes)" \
        'function mib(b) { return (b == "null" || b == "") ? "n/a" : sprintf("%.2f MiB", b / 1048576) }
        function goal(name, ok, value) {
            printf "%s  %-38s %-28s %s\n", ok ? "PASS" : "FAIL", label, name, value >> goalfile
        }
        BEGIN {
            s = ms / 1000
            share = samples / scheduled * 100
            cpu = own / s * 100
            printf "%-38s %4d/%4d %4.0f%% %5d | %8.1f%% %11s | %9.3f%% %7.0f us %11s\n",
                label, samples, scheduled, share, pss, (user + sys) / s * 100, mib(peak),
                cpu, own / samples * 1e6, mib(own_peak)
            if (goals == "goals") {
                goal("memmon CPU <= 1 % of a core", cpu <= 1, sprintf("%.3f %%", cpu))
                goal("samples >= 90 % of schedule", share >= 90,
                    sprintf("%d of %d (%.0f %%)", samples, scheduled, share))
                goal("memmon peak RSS <= 4 MiB", own_peak != "null" && own_peak <= 4 * 1048576,
                    mib(own_peak))
            }
        }'
}

measure goals "default, $MIB MiB" "$MIB" 0
measure goals "default, $THREADS threads" "$MIB" "$THREADS"
measure goals "default, 400 MiB, 100 threads" 400 100
measure info "PSS every sample, $MIB MiB" "$MIB" 0 --pss-budget 100
measure info "PSS every sample, 400 MiB, 100 threads" 400 100 --pss-budget 100
measure info "PSS every sample, $THREADS threads" "$MIB" "$THREADS" --pss-budget 100
if [ "$(uname -s)" = Linux ]; then
    # The floor: RSS only (PSS read at the first sample and then practically never).
    measure info "RSS+VSZ only (--pss-budget 0.001)" "$MIB" 0 --pss-budget 0.001
    # sysinfo's process refresh instead of /proc/PID/statm (RSS and VSZ only, no PSS).
    measure info "--sampler sysinfo" "$MIB" 0 --sampler sysinfo
fi

# What watching the benchmark's server costs beside the command (memmon --also PID, and the
# kernel's socket memory, --sockets): a second busy_child holding BENCH_MIB MiB stands for the
# server; the same run with and without watching it, side by side (issue 16: <= 1 % of a core).
"$CHILD" --mib "$MIB" --seconds $((SECONDS_BUSY * 2 + 10)) >/dev/null 2>&1 &
ALSO=$!
trap 'kill "$ALSO" 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
measure "default, beside a second process" 0
cp "$TMP/last.json" "$TMP/alone.json"
measure "--also PID --sockets" 0 --also "$ALSO" --sockets
kill "$ALSO" 2>/dev/null
own() { field "$(cat "$1")" memmon_cpu_s; }
awk -v alone="$(own "$TMP/alone.json")" -v both="$(own "$TMP/last.json")" \
    -v ms="$(field "$(cat "$TMP/last.json")" elapsed_ms)" \
    'BEGIN {
        extra = (both - alone) / (ms / 1000) * 100
        printf "\nwatching a second process and the sockets: +%.3f %% of a core (goal <= 1 %%): %s\n",
            extra, (extra <= 1 ? "PASS" : "FAIL")
    }'

cat <<EOF

samples: taken / scheduled (one at spawn, one every interval) and their share; pss: samples
that read Pss_Anon/Pss (smaps_rollup walks every page, so a large child has it read under a CPU
budget, --pss-budget, 0.5 % of a core by default, and at new highs of its memory).
child CPU: the child's user+system time over the run, in % of one core (it keeps one core busy).
memmon CPU: memmon's own user+system time in % of one core; per sample: that time / samples.

Goals (cases with default options, interval $INTERVAL):
EOF
cat "$TMP/goals"
if grep -q '^FAIL' "$TMP/goals"; then
    echo "bench-memmon: $(grep -c '^FAIL' "$TMP/goals") goal(s) failed" >&2
    exit 1
fi
