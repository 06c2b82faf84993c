# Shared by scripts/benchmark.sh and scripts/profile.sh (sourced, not run): where things are, and a
# target server that is started only when none answers yet and stopped again by whoever started it.
#
# Reads PORT, BIND (where a started server listens), ADDRESS (where the client connects), BIN_DIR,
# PAYLOAD_PATH, and SERVER=lighttpd|builtin to choose the server instead of preferring lighttpd.

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${BIN_DIR:-$ROOT/target/release}
BENCH=$BIN_DIR/bench-overhead
PORT=${PORT:-8000}
BIND=${BIND:-127.0.0.1}
ADDRESS=${ADDRESS:-$BIND}
PAYLOAD_PATH=${PAYLOAD_PATH:-/testpayload}
SERVER=${SERVER:-}

# What start_server started, so stop_server stops exactly that and nothing a user runs.
STARTED_SERVER=
SERVER_PID=

log() { echo "$(basename "$0"): $*" >&2; }

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
    if [ -z "$choice" ]; then
        if have_lighttpd; then choice=lighttpd; else choice=builtin; fi
    fi
    case $choice in
        lighttpd)
            log "starting lighttpd on $BIND:$PORT (setup/lighttpd.conf)"
            PORT=$PORT BIND=$BIND sh "$ROOT/scripts/lighttpd.sh" setup || return 1
            PORT=$PORT BIND=$BIND sh "$ROOT/scripts/lighttpd.sh" start || return 1
            STARTED_SERVER=lighttpd
            ;;
        builtin)
            log "lighttpd is not installed: starting the built-in server on $BIND:$PORT"
            "$BENCH" serve --address "$BIND" --port "$PORT" --root "$ROOT/payloads" \
                2>"${TMPDIR:-/tmp}/bench-overhead-serve.$$.log" &
            SERVER_PID=$!
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
            log "the $STARTED_SERVER server did not serve $PAYLOAD_PATH on $ADDRESS:$PORT within 10 s"
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
            kill "$SERVER_PID" 2>/dev/null
            wait "$SERVER_PID" 2>/dev/null
            rm -f "${TMPDIR:-/tmp}/bench-overhead-serve.$$.log"
            ;;
    esac
    STARTED_SERVER=
    SERVER_PID=
}
