#!/bin/sh
# make benchmark: start a target server (lighttpd when installed, else the built-in one) unless one
# already answers, run bench-overhead.sh against it, stop the server it started (also on failure,
# Ctrl-C or TERM); bench-overhead.sh says where the results are. `make benchmark` has already
# checked the settings, built, and written the payload.
#
# Make variables arrive as environment: NO_CONNECTIONS (built into the client as its default
# connection count; CONNECTIONS, when set, wins), ITERATIONS, PORT,
# BIND, ADDRESS; plus bench-overhead.sh's own (VARIANTS, RESULTS, TIMEOUT, RUN_TIMEOUT, NETWORK,
# META…), SERVER and PAYLOAD_DIR (see lib.sh).
#
# Exit status: bench-overhead.sh's (0, or 1 when an iteration failed); 1 when no server could be
# started; 130 after INT (Ctrl-C), 143 after TERM, 129 after HUP: the runs so far are kept in a
# partial folder. A signal once the suite's iterations are over (during its summary) leaves its
# folder complete and the status bench-overhead.sh's.

. "$(dirname "$0")/lib.sh"
need_binaries
# Before a server is started (make has checked them already; a direct run has not).
check_suite_settings

trap 'stop_server' EXIT

start_server || exit 1

# CONNECTIONS, when set, wins; otherwise the client's built-in default applies, which is the
# NO_CONNECTIONS `make` built it with (the suite's plan says which of the two it was).
RESULTS=${RESULTS:-$ROOT/results/$(uname -n)-$(date -u +%Y%m%dT%H%M%SZ)}
# SERVER_PID: the server start_server started (or the user's own), whose cost the suite measures.
export RESULTS BIN_DIR PAYLOAD_PATH SERVER_PID

status=
if [ -z "$INTERRUPTED" ]; then
    # In the background: INT or TERM to this script reaches the suite at once (see lib.sh), and
    # the suite marks its folder partial and prints what it recorded before this stops the server.
    sh "$ROOT/bench-overhead.sh" "$ADDRESS" "$PORT" &
    CHILD=$!
    run_child_wait
fi
stop_server
# The suite's status above 128 says its folder is partial: then this script's signal names it.
if [ -n "$INTERRUPTED" ] && { [ -z "$status" ] || [ "$status" -gt 128 ]; }; then
    status=$INTERRUPTED
fi
exit "${status:-0}"
