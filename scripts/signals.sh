# Sourced (not run) by bench-overhead.sh and scripts/lib.sh, and packed beside bench-overhead.sh in
# the QEMU guest: running a child so that a signal stops it at once. Start the child with `&`, set
# CHILD=$!, then call run_child_wait. A shell waiting for a foreground child runs its traps only
# after the child ends (and `make` forwards TERM to its own child only), so INT, TERM or HUP would
# otherwise wait for the whole run. The trap sends the child TERM: a background job of a script
# starts with INT ignored. Plain POSIX sh (busybox sh runs it in the guest).
#
# INTERRUPTED holds the exit status to end with: 130 after INT, 143 after TERM, 129 after HUP
# (128 + the signal's number, as a shell reports a process the signal killed).
INTERRUPTED=
TRAPPED=
CHILD=
on_signal() {
    TRAPPED=1
    [ -n "$INTERRUPTED" ] || INTERRUPTED=$1
    if [ -n "$CHILD" ]; then kill -TERM "$CHILD" 2>/dev/null; fi
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP

# Waits for CHILD and sets `status` to its exit status. A trapped signal makes `wait` return at
# once above 128 while the child still runs (the trap told it to stop): wait again for its own
# status; a second wait that finds it already reaped says 127, and the first status stands.
run_child_wait() {
    if [ -n "$INTERRUPTED" ]; then kill -TERM "$CHILD" 2>/dev/null; fi
    status=
    while :; do
        TRAPPED=
        wait "$CHILD" 2>/dev/null
        waited=$?
        if [ "$waited" -eq 127 ] && [ -n "$status" ]; then break; fi
        status=$waited
        if [ -z "$TRAPPED" ] || [ "$status" -le 128 ]; then break; fi
    done
    CHILD=
}

# Runs a short bookkeeping command (recording a run, finishing the folder, the summary) to its end
# even when Ctrl-C reaches the whole process group meanwhile: cut short, it would lose the row or
# leave the folder half-finished. The trap above still notes the signal, so the suite stops right
# after. (An ignored signal stays ignored across exec.)
uninterrupted() {
    (
        trap '' INT HUP
        exec "$@"
    )
}
