#!/bin/sh
# make benchmark: start a target server (lighttpd when installed, else the built-in one) unless one
# already answers, run bench-overhead.sh against it, stop the server it started (also on failure or
# Ctrl-C), and say where the results are. `make benchmark` has already built and written the payload.
#
# Make variables arrive as environment: NO_CONNECTIONS (connections per run), ITERATIONS, PORT,
# BIND, ADDRESS; plus bench-overhead.sh's own (VARIANTS, RESULTS, NETWORK, META…) and SERVER.

. "$(dirname "$0")/lib.sh"
need_binaries

INTERRUPTED=
trap 'INTERRUPTED=1' INT TERM
trap 'stop_server' EXIT

start_server || exit 1

# What the user typed wins over the connection count the binary was built with.
CONNECTIONS=${CONNECTIONS:-${NO_CONNECTIONS:-}}
export CONNECTIONS
RESULTS=${RESULTS:-$ROOT/results/$(uname -n)-$(date -u +%Y%m%dT%H%M%SZ)}
export RESULTS BIN_DIR PAYLOAD_PATH

status=0
if [ -z "$INTERRUPTED" ]; then
    sh "$ROOT/bench-overhead.sh" "$ADDRESS" "$PORT" || status=$?
fi
stop_server
if [ -f "$RESULTS/meta.json" ]; then
    log "results: $RESULTS (summary.md, runs.csv, jobs.csv, memory.csv, meta.json)"
fi
[ -n "$INTERRUPTED" ] && [ "$status" -eq 0 ] && status=130
exit "$status"
