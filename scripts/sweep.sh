#!/bin/sh
# make sweep: every variant at every connection count, the cost curve of each I/O model.
#
# Each step (a count × a variant) moves the same bytes: SWEEP_MIB MiB in all, SWEEP_MIB / count per
# connection, from one payload per count (PAYLOAD_DIR/sweep-<count>), so a step of 10,000
# connections runs about as long as one of 1 and the whole sweep stays short: with the defaults
# (5 counts × threaded, poll:epoll, poll:poll, uring × 3 iterations × 512 MiB: 60 runs) it took 33 s
# on the 2-core VM this was built on. Before each step
# bench-overhead.sh checks the machine's limits (open files, threads, ephemeral ports, memory): a step the machine cannot hold is skipped with the reason; a step whose
# runs fail is recorded as failed with the OS's error; the sweep goes on. meta.json's `steps` holds
# every step's outcome (results/README.md).
#
# Environment: CONNECTIONS ["1 10 100 1000 10000"], VARIANTS [every model and backend of this OS:
# `bench-overhead suite variants`], ITERATIONS [3], SWEEP_MIB [512], INTERVAL [10ms: a step runs
# for well under a second here, and memory per connection is the slope of each run's largest
# sample, which 100 ms sampling misses], and what benchmark.sh reads (PORT, BIND, ADDRESS, SERVER,
# PAYLOAD_DIR, RESULTS, TIMEOUT, RUN_TIMEOUT…).
# Exit status: bench-overhead.sh's (1 when a run failed: see the failed steps).

. "$(dirname "$0")/lib.sh"
need_binaries

CONNECTIONS=${CONNECTIONS:-1 10 100 1000 10000}
VARIANTS=${VARIANTS:-$("$BENCH" suite variants)}
ITERATIONS=${ITERATIONS:-3}
SWEEP_MIB=${SWEEP_MIB:-512}
INTERVAL=${INTERVAL:-10ms}
export CONNECTIONS VARIANTS ITERATIONS INTERVAL
check_count SWEEP_MIB "$SWEEP_MIB" 512
check_suite_settings

# The payload of each step: SWEEP_MIB MiB over its connections, at least one byte each.
mkdir -p "$PAYLOAD_DIR" || exit 1
for count in $CONNECTIONS; do
    bytes=$(awk "BEGIN { b = int($SWEEP_MIB * 1048576 / $count); print (b < 1 ? 1 : b) }")
    "$BENCH" payload --size "$bytes" --out "$PAYLOAD_DIR/sweep-$count" 2>/dev/null || {
        log "cannot write $PAYLOAD_DIR/sweep-$count"
        exit 1
    }
done
log "each step moves $SWEEP_MIB MiB: $PAYLOAD_DIR/sweep-<count> is $SWEEP_MIB MiB / count"

# The server is started (or found) serving the first step's payload; each step asks for its own.
set -- $CONNECTIONS
PAYLOAD_PATH=/sweep-$1
RESULTS=${RESULTS:-$ROOT/results/sweep-$(uname -n)-$(date -u +%Y%m%dT%H%M%SZ)}
export RESULTS BIN_DIR
trap 'stop_server' EXIT
start_server || exit 1

status=
if [ -z "$INTERRUPTED" ]; then
    PAYLOAD_PATH='/sweep-{connections}' sh "$ROOT/bench-overhead.sh" "$ADDRESS" "$PORT" &
    CHILD=$!
    run_child_wait
fi
stop_server
if [ -f "$RESULTS/meta.json" ]; then
    log "the sweep's table: \`$BENCH compare --extended $RESULTS\` (or \`make compare\`); charts: \`make report\` (results/charts/)"
fi
if [ -n "$INTERRUPTED" ] && { [ -z "$status" ] || [ "$status" -gt 128 ]; }; then
    status=$INTERRUPTED
fi
exit "${status:-0}"
