# Sourced (not run) by the side-by-side benchmarks (bench-client.sh, bench-rr.sh): a private
# lighttpd on a free loopback port, a work folder removed on exit, and small readers of the
# client's one-line JSON records. Set NAME (the script's name for its messages) before sourcing.

die() {
    echo "$NAME: $*" >&2
    exit 1
}

LIGHTTPD=$(command -v lighttpd || true)
[ -n "$LIGHTTPD" ] || for candidate in /usr/sbin/lighttpd /usr/local/sbin/lighttpd; do
    [ -x "$candidate" ] && LIGHTTPD=$candidate && break
done
[ -n "$LIGHTTPD" ] || die "lighttpd is not installed: apt-get install lighttpd"
# Bound every step: nothing here may hang.
LIMIT=""
command -v timeout >/dev/null 2>&1 && LIMIT="timeout 900"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/$NAME.XXXXXX")
PIDFILE=$WORK/lighttpd.pid
cleanup() {
    if [ -s "$PIDFILE" ]; then
        kill "$(cat "$PIDFILE")" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir "$WORK/root"

# Starts lighttpd serving $WORK/root on 127.0.0.1 and a free port, which it sets PORT to; $1 is
# more configuration lines. lighttpd daemonises only once it listens, so a zero exit means ready;
# a taken port fails at once and the next is tried.
start_lighttpd() {
    PORT=""
    tries=0
    while [ -z "$PORT" ] && [ "$tries" -lt 20 ]; do
        tries=$((tries + 1))
        candidate=$(awk -v seed="$$$tries" 'BEGIN { srand(seed); print 20000 + int(rand() * 30000) }')
        cat >"$WORK/lighttpd.conf" <<EOF
server.document-root = "$WORK/root"
server.bind = "127.0.0.1"
server.port = $candidate
server.pid-file = "$PIDFILE"
server.errorlog = "$WORK/error.log"
server.max-fds = 65536
server.max-connections = 16384
server.follow-symlink = "enable"
mimetype.assign = ("" => "application/octet-stream")
${1:-}
EOF
        if "$LIGHTTPD" -f "$WORK/lighttpd.conf" 2>>"$WORK/start.log"; then
            PORT=$candidate
        fi
    done
    [ -n "$PORT" ] || die "lighttpd did not start: $(cat "$WORK/start.log" "$WORK/error.log" 2>/dev/null | tail -n 3)"
    i=0
    while [ ! -s "$PIDFILE" ] && [ "$i" -lt 50 ]; do
        i=$((i + 1))
        sleep 0.1
    done
}

# The first value of numeric JSON key $1 in the one-line object in file $2; with $3, the first one
# after key $3 (`json_number p99 FILE connect_us`: churn's connect p99, not the request's).
json_number() {
    awk -v key="\"$1\":" -v within="${3:+\"$3\":}" '{
        s = $0
        if (within != "") { i = index(s, within); if (!i) exit; s = substr(s, i + length(within)) }
        i = index(s, key); if (!i) exit
        s = substr(s, i + length(key)); match(s, /^[0-9.eE+-]*/); print substr(s, 1, RLENGTH); exit
    }' "$2"
}

# The system calls run record $1 counts, every kind summed (thread spawns are no system call).
syscalls_total() {
    sed -n 's/.*"syscalls":{\([^}]*\)}.*/\1/p' "$1" | awk -F, '{
        for (i = 1; i <= NF; i++) {
            split($i, p, ":")
            if (p[1] != "\"thread_spawns\"" && p[2] != "null") total += p[2]
        }
    } END { print total + 0 }'
}

# The median of the numbers on stdin, one per line ("-" when there are none).
median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "-"; exit }
        print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    }'
}
