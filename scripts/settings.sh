#!/bin/sh
# The settings check, run before anything is built, written, started or measured: `make` runs it
# first (`sh scripts/settings.sh GOAL…`, before cargo), and bench-overhead.sh sources it and calls
# check_suite_settings before it probes the server. A bad setting costs one line naming it and
# what to give instead, and exit status 1; nothing is left behind.
#
# One wording per kind of error, whichever setting it is:
#   NAME=VALUE is not a whole number ≥ 1: give e.g. NAME=10
#   NAME=VALUE is not a duration from 1ms to 7 days: give e.g. NAME=30s
#   NAME=VALUE is not a rate above 0 and at most 10000000 requests per second: give e.g. NAME=1000
#   NAME applies to the workloads keepalive churn, and WORKLOADS="…" has none: …
#   ...
# Only set, non-empty variables are checked: an empty one means the default, which is valid.
# Plain POSIX sh (busybox sh runs it inside the QEMU guest); every check is a shell pattern or
# one awk expression, so it needs no binary of the suite.

# The program the lines are prefixed with (bench-overhead.sh, benchmark.sh, make).
SETTINGS_PROGRAM=${SETTINGS_PROGRAM:-$(basename "$0")}

setting_error() {
    echo "$SETTINGS_PROGRAM: $*" >&2
    exit 1
}

# check_count NAME VALUE EXAMPLE: a whole number ≥ 1 that fits 32 bits (as the client parses it).
check_count() {
    case $2 in
        '' | *[!0-9]*) bad_count "$@" ;;
    esac
    digits=${2#"${2%%[!0]*}"}
    [ -n "$digits" ] && [ "${#digits}" -le 10 ] &&
        awk "BEGIN { exit !($digits <= 4294967295) }" || bad_count "$@"
}
bad_count() {
    setting_error "$1=$2 is not a whole number ≥ 1: give e.g. $1=$3"
}

# duration_seconds VALUE: prints what the client's --timeout takes — a number with ms, s, us, µs,
# m or min (a bare number is seconds) — in seconds; prints nothing for anything else.
duration_seconds() {
    case $1 in
        *[!0-9.a-zµ]* | .*) return ;;
    esac
    echo "$1" | awk '
        match($0, /^[0-9]+(\.[0-9]+)?/) {
            n = substr($0, 1, RLENGTH) + 0; u = substr($0, RLENGTH + 1)
            if (u == "" || u == "s") s = n
            else if (u == "ms") s = n / 1e3
            else if (u == "us" || u == "µs") s = n / 1e6
            else if (u == "m" || u == "min") s = n * 60
            else exit
            print s
        }'
}

# check_duration NAME VALUE EXAMPLE: a duration (duration_seconds) from 1ms to 7 days.
check_duration() {
    seconds=$(duration_seconds "$2")
    [ -n "$seconds" ] && awk "BEGIN { exit !($seconds >= 0.001 && $seconds <= 604800) }" ||
        bad_duration "$@"
}
bad_duration() {
    setting_error "$1=$2 is not a duration from 1ms to 7 days: give e.g. $1=$3"
}

# check_interval NAME VALUE: memmon's --interval: whole milliseconds ≥ 1 written with ms or s (a
# bare number could mean either, so it is refused).
check_interval() {
    ok=$(echo "$2" | awk '
        match($0, /^[0-9]+(\.[0-9]+)?/) {
            n = substr($0, 1, RLENGTH) + 0; u = substr($0, RLENGTH + 1)
            if (u == "ms") ms = n; else if (u == "s") ms = n * 1000; else exit
            if (ms >= 1 && ms == int(ms) && ms <= 4294967295) print "ok"
        }')
    [ "$ok" = ok ] || setting_error "$1=$2 is not an interval of whole milliseconds with a unit: give e.g. $1=100ms"
}

# check_counts VALUE: CONNECTIONS, one count or a sweep's list, each count once.
check_counts() {
    case $1 in
        *' '*) ;;
        *) check_count CONNECTIONS "$1" 100; return ;;
    esac
    seen=' '
    for count in $1; do
        case $count in
            '' | *[!0-9]* | 0 | 0*) setting_error "CONNECTIONS=\"$1\": $count is not a whole number ≥ 1: give e.g. CONNECTIONS=\"1 10 100\"" ;;
        esac
        case $seen in
            *" $count "*) setting_error "CONNECTIONS=\"$1\" names $count twice: give each count once, e.g. CONNECTIONS=\"1 10 100\"" ;;
        esac
        seen="$seen$count "
    done
}

# check_variants VALUE: I/O models, each once. A token is a model with an optional readiness
# backend (`poll:epoll`); the client refuses one it does not know, before any folder exists.
check_variants() {
    [ -n "$(echo "$1" | tr -d ' ')" ] || setting_error "VARIANTS is empty: give e.g. VARIANTS=\"threaded poll\""
    seen=' '
    for token in $1; do
        case $token in
            *[!a-z0-9:_-]* | :* | *: | *:*:*)
                setting_error "VARIANTS=\"$1\": \`$token\` is not a model or model:backend: give e.g. VARIANTS=\"threaded poll\"" ;;
        esac
        case $seen in
            *" $token "*) setting_error "VARIANTS=\"$1\" names \`$token\` twice: give each once, e.g. VARIANTS=\"threaded poll\"" ;;
        esac
        seen="$seen$token "
    done
}

# The workloads bench-overhead.sh runs (the client's --workload), and those of them that make
# many requests per connection: DURATION, WARMUP and RATE apply to these.
SUITE_WORKLOADS="download keepalive churn upload"
REQUEST_WORKLOADS="keepalive churn"

# check_workloads VALUE: workloads, each once.
check_workloads() {
    [ -n "$(echo "$1" | tr -d ' ')" ] || setting_error "WORKLOADS is empty: give e.g. WORKLOADS=\"download keepalive\""
    seen=' '
    for token in $1; do
        case " $SUITE_WORKLOADS " in
            *" $token "*) ;;
            *) setting_error "WORKLOADS=\"$1\": \`$token\` is not a workload ($SUITE_WORKLOADS): give e.g. WORKLOADS=\"download keepalive\"" ;;
        esac
        case $seen in
            *" $token "*) setting_error "WORKLOADS=\"$1\" names \`$token\` twice: give each once, e.g. WORKLOADS=\"download keepalive\"" ;;
        esac
        seen="$seen$token "
    done
}

# check_rate NAME VALUE: requests per second over all connections (the client's --rate), a number
# above 0 and at most 10,000,000.
check_rate() {
    case $2 in
        '' | *[!0-9.]* | .* | *.*.*) bad_rate "$@" ;;
    esac
    awk "BEGIN { exit !($2 > 0 && $2 <= 10000000) }" || bad_rate "$@"
}
bad_rate() {
    setting_error "$1=$2 is not a rate above 0 and at most 10000000 requests per second: give e.g. $1=1000"
}

# check_request_setting NAME: NAME (DURATION, WARMUP, RATE) is set, and applies only to the
# request workloads: WORKLOADS must name one (a setting that changes nothing is refused).
check_request_setting() {
    for token in ${WORKLOADS:-download}; do
        case " $REQUEST_WORKLOADS " in *" $token "*) return 0 ;; esac
    done
    setting_error "$1 applies to the workloads $REQUEST_WORKLOADS, and WORKLOADS=\"${WORKLOADS:-download}\" has none: add one to WORKLOADS or unset $1"
}

# check_warmup: WARMUP is part of DURATION (default 10s), so it must be shorter.
check_warmup() {
    warmup=$(duration_seconds "$WARMUP")
    duration=$(duration_seconds "${DURATION:-10s}")
    awk "BEGIN { exit !($warmup < $duration) }" ||
        setting_error "WARMUP=$WARMUP is not shorter than DURATION=${DURATION:-10s}: the duration includes the warm-up, so give a longer DURATION or a shorter WARMUP"
}

# check_new_results VALUE: a results folder the suite may write: absent, or without any file the
# suite writes (an empty folder, a QEMU share holding only the console log). A folder holding an
# earlier suite's or `run --csv-dir`'s rows is refused: the rows would be merged.
check_new_results() {
    for file in meta.json runs.csv jobs.csv memory.csv summary.md raw; do
        if [ -e "$1/$file" ]; then
            setting_error "RESULTS=$1 already holds results ($file): give a new folder, e.g. leave RESULTS unset"
        fi
    done
    if [ -e "$1" ] && [ ! -d "$1" ]; then
        setting_error "RESULTS=$1 is a file, not a folder: give a new folder, e.g. leave RESULTS unset"
    fi
}

# check_port NAME VALUE.
check_port() {
    case $2 in
        '' | *[!0-9]* | 0*) bad_port "$@" ;;
    esac
    [ "${#2}" -le 5 ] && [ "$2" -le 65535 ] || bad_port "$@"
}
bad_port() {
    setting_error "$1=$2 is not a port number: give one from 1 to 65535"
}

# check_ip NAME VALUE: an IPv4 or IPv6 address (the client parses it exactly; this catches host
# names such as `localhost`, which it does not resolve).
check_ip() {
    case $2 in
        '' | *[!0-9A-Fa-f:.]*) bad_ip "$@" ;;
        *:*) return 0 ;;
        *[!0-9.]* | *..*) bad_ip "$@" ;;
        *.*.*.*) return 0 ;;
        *) bad_ip "$@" ;;
    esac
}
bad_ip() {
    setting_error "$1=$2 is not an IP address: give one such as 127.0.0.1 or ::1 (host names are not resolved)"
}

# check_choice NAME VALUE CHOICE…: one of the listed words.
check_choice() {
    name=$1 value=$2
    shift 2
    for choice in "$@"; do
        [ "$value" = "$choice" ] && return 0
    done
    setting_error "$name=$value is not one of: $*"
}

# check_meta VALUE: space-separated key=value pairs (a value holds no space: they are shell words).
check_meta() {
    for pair in $1; do
        case $pair in
            =*) bad_meta "$pair" ;;
            *=*) ;;
            *) bad_meta "$pair" ;;
        esac
    done
}
bad_meta() {
    setting_error "META: \`$1\` is not key=value: give e.g. META=\"nic=e1000\""
}

# What bench-overhead.sh reads (also through make benchmark): each set value must be valid.
# `check_suite_settings own-folder` leaves RESULTS out, for the goals that write elsewhere.
check_suite_settings() {
    [ -z "${ITERATIONS:-}" ] || check_count ITERATIONS "$ITERATIONS" 10
    [ -z "${CONNECTIONS:-}" ] || check_counts "$CONNECTIONS"
    [ -z "${VARIANTS:-}" ] || check_variants "$VARIANTS"
    [ -z "${WORKLOADS:-}" ] || check_workloads "$WORKLOADS"
    [ -z "${THREADS:-}" ] || check_count THREADS "$THREADS" 2
    [ -z "${DURATION:-}" ] || { check_duration DURATION "$DURATION" 10s && check_request_setting DURATION; }
    [ -z "${WARMUP:-}" ] || { check_duration WARMUP "$WARMUP" 1s && check_request_setting WARMUP && check_warmup; }
    [ -z "${RATE:-}" ] || { check_rate RATE "$RATE" && check_request_setting RATE; }
    [ -z "${INTERVAL:-}" ] || check_interval INTERVAL "$INTERVAL"
    [ -z "${TIMEOUT:-}" ] || check_duration TIMEOUT "$TIMEOUT" 30s
    [ -z "${RUN_TIMEOUT:-}" ] || check_duration RUN_TIMEOUT "$RUN_TIMEOUT" 10m
    [ -z "${RESULTS:-}" ] || [ "${1:-}" = own-folder ] || check_new_results "$RESULTS"
    [ -z "${ADDRESS:-}" ] || check_ip ADDRESS "$ADDRESS"
    [ -z "${PORT:-}" ] || check_port PORT "$PORT"
    [ -z "${META:-}" ] || check_meta "$META"
}

# What the make goals GOAL… read, before make builds anything.
check_make_settings() {
    [ -z "${NO_CONNECTIONS:-}" ] || check_count NO_CONNECTIONS "$NO_CONNECTIONS" 100
    [ -z "${PAYLOAD_SIZE:-}" ] || check_count PAYLOAD_SIZE "$PAYLOAD_SIZE" 200
    [ -z "${BIND:-}" ] || check_ip BIND "$BIND"
    [ -z "${SERVER:-}" ] || check_choice SERVER "$SERVER" lighttpd builtin
    [ -z "${SWEEP_MIB:-}" ] || check_count SWEEP_MIB "$SWEEP_MIB" 512
    for goal in "$@"; do
        case $goal in
            benchmark | sweep)
                check_suite_settings ;;
            profile | record-scheduling | trace | qemu-benchmark)
                # Their own folders (PROFILE_DIR, the guest's) are not RESULTS.
                check_suite_settings own-folder ;;
        esac
    done
}

# Run (not sourced) by make: `sh scripts/settings.sh GOAL…`.
case $(basename "$0") in
    settings.sh)
        SETTINGS_PROGRAM=make
        check_make_settings "$@"
        ;;
esac
