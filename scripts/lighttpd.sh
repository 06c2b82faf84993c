#!/bin/sh
# lighttpd as the benchmark's target server (`make setup-lighttpd`, `make lighttpd-start`,
# `make lighttpd-stop`).
#
#   lighttpd.sh setup   write $SETUP_DIR/lighttpd.conf from setup/lighttpd.conf.in and check it
#   lighttpd.sh start   start lighttpd in the background from that file (harmless when running)
#   lighttpd.sh stop    stop it by its pid file (harmless when stopped)
#   lighttpd.sh pid     print the running lighttpd's pid (nothing when stopped)
#   lighttpd.sh setup start   both: what `make benchmark` does (without setup's advice on how to
#                       start it, which only `setup` alone prints)
#
# Environment: PORT (8000), BIND (127.0.0.1), PAYLOAD_DIR (payloads/, the document root),
# SETUP_DIR (setup/: config, pid file, error log), LIGHTTPD (the binary; found on PATH otherwise).
# The tests point SETUP_DIR and PAYLOAD_DIR at temporary folders so they never touch setup/.
# POSIX sh: runs on Linux, the BSDs and Haiku.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-8000}
BIND=${BIND:-127.0.0.1}
PAYLOAD_DIR=${PAYLOAD_DIR:-$here/payloads}
SETUP_DIR=${SETUP_DIR:-$here/setup}
template=$here/setup/lighttpd.conf.in
conf=$SETUP_DIR/lighttpd.conf
pidfile=$SETUP_DIR/lighttpd.pid
errorlog=$SETUP_DIR/lighttpd-error.log

die() {
    echo "lighttpd.sh: $*" >&2
    exit 1
}

# The lighttpd binary, or a one-line install hint and exit 1.
find_lighttpd() {
    if [ -n "${LIGHTTPD:-}" ]; then
        [ -x "$LIGHTTPD" ] || die "LIGHTTPD=$LIGHTTPD is not an executable file: install lighttpd (apt-get install lighttpd; pkgman install lighttpd on Haiku) or fix LIGHTTPD"
        echo "$LIGHTTPD"
        return
    fi
    for candidate in $(command -v lighttpd 2>/dev/null || true) /usr/sbin/lighttpd \
        /usr/local/sbin/lighttpd /usr/local/bin/lighttpd /boot/system/bin/lighttpd; do
        if [ -x "$candidate" ]; then
            echo "$candidate"
            return
        fi
    done
    die "lighttpd is not installed: apt-get install lighttpd (Debian/Ubuntu; pkgman install lighttpd on Haiku), or set LIGHTTPD=/path/to/lighttpd"
}

# Absolute path of an existing folder.
absolute_dir() {
    (cd "$1" 2>/dev/null && pwd) || die "$2"
}

# Escapes a value for the replacement side of a sed s### command.
sed_escape() {
    printf '%s' "$1" | sed 's/[#&\\]/\\&/g'
}

# Whether pid $1 is a live lighttpd. Where /proc names processes (Linux) the name is checked too,
# so a stale pid file whose number was reused by another process is never mistaken for ours.
is_lighttpd() {
    kill -0 "$1" 2>/dev/null || return 1
    if [ -r "/proc/$1/comm" ]; then
        [ "$(cat "/proc/$1/comm" 2>/dev/null)" = lighttpd ]
    fi
}

# The pid in the pid file when it names a running lighttpd; empty otherwise.
running_pid() {
    [ -f "$pidfile" ] || return 0
    pid=$(tr -cd '0-9' <"$pidfile")
    if [ -n "$pid" ] && is_lighttpd "$pid"; then
        echo "$pid"
    fi
}

nap() {
    sleep 0.1 2>/dev/null || sleep 1
}

setup() {
    lighttpd=$(find_lighttpd)
    case $PORT in
        '' | *[!0-9]*) die "PORT=$PORT is not a port number (1-65535)" ;;
    esac
    [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "PORT=$PORT is not a port number (1-65535)"
    case $BIND in
        '' | *[!0-9A-Fa-f.:]*) die "BIND=$BIND is not an IP address (e.g. 127.0.0.1 or ::1)" ;;
    esac
    [ -f "$template" ] || die "$template is missing: restore it from git"
    mkdir -p "$SETUP_DIR" || die "cannot create $SETUP_DIR"
    docroot=$(absolute_dir "$PAYLOAD_DIR" "$PAYLOAD_DIR does not exist: run \`make payload\` first")
    setup_dir=$(absolute_dir "$SETUP_DIR" "cannot enter $SETUP_DIR")
    newline='
'
    for path in "$docroot" "$setup_dir"; do
        case $path in
            *'"'* | *"$newline"*) die "the path $path contains a quote or newline, which lighttpd.conf cannot hold: move the suite" ;;
        esac
    done

    # Two descriptors per connection (socket + file), capped at what this process may raise to.
    max_fds=24576
    hard=$(ulimit -Hn 2>/dev/null || echo unlimited)
    case $hard in
        '' | unlimited | *[!0-9]*) ;;
        *) [ "$hard" -lt "$max_fds" ] && max_fds=$hard ;;
    esac
    max_connections=$((max_fds / 2))
    [ "$max_connections" -gt 10240 ] && max_connections=10240
    if [ "$max_connections" -lt 10000 ]; then
        echo "lighttpd.sh: warning: the descriptor hard limit ($hard) allows only $max_connections connections; raise it (ulimit -Hn 24576, as root) for 10,000" >&2
    fi

    sed -e "s#@DOCROOT@#$(sed_escape "$docroot")#g" \
        -e "s#@SETUP_DIR@#$(sed_escape "$setup_dir")#g" \
        -e "s#@BIND@#$BIND#g" \
        -e "s#@PORT@#$PORT#g" \
        -e "s#@MAX_FDS@#$max_fds#g" \
        -e "s#@MAX_CONNECTIONS@#$max_connections#g" \
        "$template" >"$conf.new"
    if ! check=$("$lighttpd" -tt -f "$conf.new" 2>&1) || [ -n "$check" ]; then
        echo "$check" >&2
        rm -f "$conf.new"
        die "lighttpd rejected the generated configuration (see above); the template is $template"
    fi
    mv -f "$conf.new" "$conf"
    echo "wrote $conf: lighttpd serves $docroot on $BIND:$PORT (checked with lighttpd -tt)"
}

# How to start the server `setup` configured, for a user who ran setup alone (and whether the
# payload it serves is there yet).
advise() {
    [ -f "$docroot/testpayload" ] ||
        echo "lighttpd.sh: note: $docroot/testpayload does not exist yet: run \`make payload\`" >&2
    echo "start it in the background with \`make lighttpd-start\` (stop: \`make lighttpd-stop\`),"
    echo "or in the foreground with \`$lighttpd -D -f $conf\`"
}

start() {
    lighttpd=$(find_lighttpd)
    [ -f "$conf" ] || die "$conf does not exist: run \`make setup-lighttpd\` first"
    pid=$(running_pid)
    if [ -n "$pid" ]; then
        echo "lighttpd already running (pid $pid)"
        return 0
    fi
    rm -f "$pidfile"
    "$lighttpd" -f "$conf" || die "lighttpd did not start; its log: $errorlog"
    # lighttpd forks into the background and writes the pid file once it listens.
    tries=0
    while [ -z "$(running_pid)" ]; do
        tries=$((tries + 1))
        if [ "$tries" -gt 50 ]; then
            tail -n 5 "$errorlog" >&2 2>/dev/null || true
            die "lighttpd did not come up within 5 s; its log: $errorlog"
        fi
        nap
    done
    bind=$(sed -n 's/^server\.bind *= *"\(.*\)"$/\1/p' "$conf")
    port=$(sed -n 's/^server\.port *= *\([0-9]*\)$/\1/p' "$conf")
    echo "lighttpd started (pid $(running_pid)), listening on $bind:$port"
}

stop() {
    pid=$(running_pid)
    if [ -z "$pid" ]; then
        rm -f "$pidfile"
        echo "lighttpd not running"
        return 0
    fi
    kill "$pid"
    tries=0
    while is_lighttpd "$pid"; do
        tries=$((tries + 1))
        if [ "$tries" -gt 100 ]; then
            kill -9 "$pid" 2>/dev/null || true
            echo "lighttpd (pid $pid) ignored SIGTERM for 10 s: killed" >&2
            break
        fi
        nap
    done
    rm -f "$pidfile"
    echo "lighttpd stopped (pid $pid)"
}

usage() {
    echo "usage: lighttpd.sh setup|start|stop|pid… (PORT, BIND, PAYLOAD_DIR, SETUP_DIR, LIGHTTPD from the environment)" >&2
    exit 2
}
[ $# -ge 1 ] || usage
for command in "$@"; do
    case $command in setup | start | stop | pid) ;; *) usage ;; esac
done
while [ $# -gt 0 ]; do
    case $1 in
        setup)
            setup
            [ $# -gt 1 ] || advise
            ;;
        start) start ;;
        stop) stop ;;
        pid) running_pid ;;
    esac
    shift
done
