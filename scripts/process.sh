# Sourced (not run) by scripts/lib.sh, scripts/qemu-benchmark.sh and bench-overhead.sh (and packed
# beside it in the QEMU guest). Plain POSIX sh, safe under `set -eu`.

# Stops the background process PID that this shell started, or with -PGID every process of that
# group: TERM, up to 5 s for it to end, then KILL, then reaps it (a group's members are not this
# shell's to reap). Bounded, so a process that ignores or cannot act on TERM never hangs the
# script that started it.
stop_process() {
    kill -TERM "$1" 2>/dev/null || return 0
    tries=0
    while kill -0 "$1" 2>/dev/null && [ "$tries" -lt 25 ]; do
        sleep 0.2 2>/dev/null || sleep 1
        tries=$((tries + 1))
    done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
