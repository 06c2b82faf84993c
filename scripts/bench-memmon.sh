#!/bin/sh
# bench-memmon: what memmon itself costs (CPU, peak RSS) while it watches a busy child, beside
# what the child costs. Goals (issue 4): at a 100 ms interval memmon uses <= 1 % of one core and
# <= 4 MiB RSS, also for a child with 10,000 threads (a thread-per-connection client).
#
# The child is memmon's `busy_child` example: it touches BENCH_MIB MiB, starts BENCH_THREADS idle
# threads (each a stack mapping) where asked, and keeps one core busy for BENCH_SECONDS. Figures
# come from memmon's own --json summary: the child's CPU and peak RSS from wait4, memmon's own
# from getrusage(RUSAGE_SELF) just before it reports (so they include its start-up).
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

# field JSON KEY: the value of a top-level scalar key of memmon's one-line JSON summary.
field() {
    printf '%s\n' "$1" | sed -n "s/.*[{,]\"$2\":\([^,}]*\).*/\1/p"
}

printf 'memmon watching busy_child (%s MiB touched, one core busy for %s s), interval %s\n\n' \
    "$MIB" "$SECONDS_BUSY" "$INTERVAL"
printf '%-34s %7s %7s | %9s %12s | %9s %10s %12s\n' \
    "case" "samples" "pss" "child CPU" "child peak" "memmon CPU" "per sample" "memmon peak"

# measure LABEL THREADS MEMMON-OPTIONS...: one run, one table row.
measure() {
    label=$1
    threads=$2
    shift 2
    if ! "$MEMMON" --json --interval "$INTERVAL" --output "$TMP/summary.json" "$@" -- \
        "$CHILD" --mib "$MIB" --seconds "$SECONDS_BUSY" --threads "$threads" \
        >/dev/null 2>"$TMP/child.err"; then
        echo "bench-memmon: the $label run failed: $(cat "$TMP/child.err" "$TMP/summary.json" 2>/dev/null)" >&2
        exit 1
    fi
    json=$(cat "$TMP/summary.json")
    cp "$TMP/summary.json" "$TMP/last.json"
    # Threads the child could not start (limits) are reported, not hidden.
    if [ -s "$TMP/child.err" ]; then
        label="$label ($(sed -n 's/.*stopped at \([0-9]*\) threads.*/\1 threads only/p' "$TMP/child.err"))"
    fi
    awk -v label="$label" \
        -v samples="$(field "$json" samples)" -v pss="$(field "$json" pss_samples)" \
        -v ms="$(field "$json" elapsed_ms)" \
        -v user="$(field "$json" cpu_user_s)" -v sys="$(field "$json" cpu_sys_s)" \
        -v peak="$(field "$json" peak_rss_bytes)" \
        -v own="$(field "$json" memmon_cpu_s)" -v own_peak="$(field "$json" memmon_peak_rss_bytes)" \
        'function mib(b) { return (b == "null" || b == "") ? "n/a" : sprintf("%.2f MiB", b / 1048576) }
        BEGIN {
            s = ms / 1000
            printf "%-34s %7d %7d | %8.1f%% %12s | %9.3f%% %8.0f us %12s\n",
                label, samples, pss, (user + sys) / s * 100, mib(peak),
                own / s * 100, own / samples * 1e6, mib(own_peak)
        }'
}

measure "default" 0
measure "default, $THREADS threads" "$THREADS"
measure "PSS every sample (--pss-budget 100)" 0 --pss-budget 100
measure "PSS every sample, $THREADS threads" "$THREADS" --pss-budget 100
if [ "$(uname -s)" = Linux ]; then
    # The floor: statm only (PSS read at the first sample and then practically never).
    measure "RSS+VSZ only (--pss-budget 0.001)" 0 --pss-budget 0.001
    measure "RSS+VSZ only, $THREADS threads" "$THREADS" --pss-budget 0.001
    # sysinfo's process refresh instead of /proc/PID/statm (RSS and VSZ only, no PSS).
    measure "--sampler sysinfo" 0 --sampler sysinfo
    measure "--sampler sysinfo, $THREADS threads" "$THREADS" --sampler sysinfo
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

child CPU: the child's user+system time over the run, in % of one core (it keeps one core busy).
memmon CPU: memmon's own user+system time in % of one core; per sample: that time / samples.
pss: samples that read Pss_Anon/Pss (smaps_rollup walks every page, so a large child has it read
under a CPU budget, --pss-budget, 0.75 % of a core by default, and at new highs of its memory).
Goals at 100 ms, default options: memmon CPU <= 1 %, memmon peak <= 4 MiB.
EOF
