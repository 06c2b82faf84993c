# Shared by scripts/benchmark.sh and scripts/profile.sh (sourced, not run): where things are; a
# target server that is started only when none answers yet and stopped again by whoever started it;
# and running a child so that INT, TERM or HUP reaches it at once.
#
# Reads PORT, BIND (where a started server listens), ADDRESS (where the client connects; default
# BIND, or the loopback address when BIND is a wildcard), BIN_DIR, PAYLOAD_PATH, PAYLOAD_DIR (what
# a started built-in server serves), and SERVER=lighttpd|builtin to choose the server instead of
# preferring lighttpd. SERVER_PID (the PID of a server already running here, to measure its cost)
# is kept when that server is used, and set to the PID of the server start_server starts.

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${BIN_DIR:-$ROOT/target/release}
BENCH=$BIN_DIR/bench-overhead
PORT=${PORT:-8000}
BIND=${BIND:-127.0.0.1}
PAYLOAD_PATH=${PAYLOAD_PATH:-/testpayload}
PAYLOAD_DIR=${PAYLOAD_DIR:-$ROOT/payloads}
SERVER=${SERVER:-}
# A server bound to every address is reached through loopback here: connecting to 0.0.0.0 would
# work too, but the runs would be labelled `network` although no packet left the machine.
if [ -z "${ADDRESS:-}" ]; then
    case $BIND in
        0.0.0.0) ADDRESS=127.0.0.1 ;;
        ::) ADDRESS=::1 ;;
        *) ADDRESS=$BIND ;;
    esac
fi

# What start_server started, so stop_server stops exactly that and nothing a user runs.
STARTED_SERVER=
STARTED_PID=
SERVER_PID=${SERVER_PID:-}

log() { echo "$(basename "$0"): $*" >&2; }

# The settings check (one wording per kind of error, see settings.sh).
. "$ROOT/scripts/settings.sh"
check_ip ADDRESS "$ADDRESS"
check_ip BIND "$BIND"

need_binaries() {
    if [ ! -x "$BENCH" ]; then
        log "$BENCH not found: run \`make build\` first (or set BIN_DIR)"
        exit 1
    fi
}

# True when a server at ADDRESS:PORT serves PAYLOAD_PATH.
server_answers() {
    "$BENCH" suite check --address "$ADDRESS" --port "$PORT" --path "$PAYLOAD_PATH" \
        --timeout 2s >/dev/null 2>&1
}

have_lighttpd() {
    command -v lighttpd >/dev/null 2>&1 || [ -x /usr/sbin/lighttpd ]
}

# Starts lighttpd (when installed) or the built-in server on BIND:PORT, unless one already answers;
# waits up to 10 s for it to serve the payload.
start_server() {
    if server_answers; then
        log "a server already answers at $ADDRESS:$PORT: using it (and leaving it running)"
        return 0
    fi
    choice=$SERVER
    why=
    if [ -z "$choice" ]; then
        if have_lighttpd; then choice=lighttpd; else choice=builtin why="lighttpd is not installed: "; fi
    fi
    case $choice in
        lighttpd)
            log "starting lighttpd on $BIND:$PORT (setup/lighttpd.conf)"
            PORT=$PORT BIND=$BIND sh "$ROOT/scripts/lighttpd.sh" setup start || return 1
            STARTED_SERVER=lighttpd
            SERVER_PID=$(PORT=$PORT BIND=$BIND sh "$ROOT/scripts/lighttpd.sh" pid)
            ;;
        builtin)
            log "${why}starting the built-in server on $BIND:$PORT (serving $PAYLOAD_DIR)"
            "$BENCH" serve --address "$BIND" --port "$PORT" --root "$PAYLOAD_DIR" \
                2>"${TMPDIR:-/tmp}/bench-overhead-serve.$$.log" &
            STARTED_PID=$!
            SERVER_PID=$STARTED_PID
            STARTED_SERVER=builtin
            ;;
        *)
            log "SERVER=$choice: use lighttpd or builtin"
            return 1
            ;;
    esac
    tries=0
    while ! server_answers; do
        tries=$((tries + 1))
        if [ "$tries" -ge 50 ]; then
            log "the $STARTED_SERVER server did not serve $PAYLOAD_PATH on $ADDRESS:$PORT within 10 s:"
            "$BENCH" suite check --address "$ADDRESS" --port "$PORT" --path "$PAYLOAD_PATH" \
                --timeout 2s >/dev/null
            [ "$STARTED_SERVER" = builtin ] && cat "${TMPDIR:-/tmp}/bench-overhead-serve.$$.log" >&2
            stop_server
            return 1
        fi
        sleep 0.2 2>/dev/null || sleep 1
    done
}

# Stops the server start_server started, if any; safe to call twice.
stop_server() {
    case $STARTED_SERVER in
        lighttpd)
            log "stopping lighttpd"
            PORT=$PORT BIND=$BIND sh "$ROOT/scripts/lighttpd.sh" stop
            ;;
        builtin)
            log "stopping the built-in server"
            stop_process "$STARTED_PID"
            rm -f "${TMPDIR:-/tmp}/bench-overhead-serve.$$.log"
            ;;
    esac
    STARTED_SERVER=
    STARTED_PID=
}

# INT, TERM or HUP stop a running child at once: CHILD, run_child_wait and INTERRUPTED.
. "$ROOT/scripts/signals.sh"
# stop_process: a bounded stop of a background process.
. "$ROOT/scripts/process.sh"

# The goals of the `make bench-*` targets, for their scripts: `goal NAME CONDITION DETAIL` prints
# `PASS NAME: DETAIL` or `FAIL NAME: DETAIL`, CONDITION being an awk expression of numbers (e.g.
# "$poll >= 0.9 * $wrk"; an empty operand, a figure not measured, fails it); `goals_exit` ends
# the script with 1 when a goal failed, else 0, after one line counting them.
GOALS_PASSED=0
GOALS_FAILED=0
goal() {
    if awk "BEGIN { exit !($2) }" 2>/dev/null; then
        echo "PASS $1: $3"
        GOALS_PASSED=$((GOALS_PASSED + 1))
    else
        echo "FAIL $1: $3"
        GOALS_FAILED=$((GOALS_FAILED + 1))
    fi
}
goals_exit() {
    echo "goals: $GOALS_PASSED passed, $GOALS_FAILED failed"
    [ "$GOALS_FAILED" -eq 0 ] || exit 1
    exit 0
}
