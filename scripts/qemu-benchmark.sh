#!/bin/sh
# make qemu-benchmark: the same benchmark as `make benchmark`, run from inside a QEMU guest that
# downloads from this host over QEMU user networking, so its rows carry the network label
# "QEMU user net" and `bench-overhead compare` puts them beside the published Haiku guest rows.
#
# Steps: check the tools; build bench-overhead and memmon statically (target/guest, so the normal
# build stays valid); pack them with busybox, bench-overhead.sh and the kernel's NIC and 9p modules
# into an initramfs (setup/qemu/initramfs.sh); start lighttpd (else the built-in server) on
# 127.0.0.1:PORT; boot the guest (setup/qemu/init.sh), which runs bench-overhead.sh against
# 10.0.2.2:PORT and writes its rows straight into the results folder, shared over 9p; stop the
# server (also on failure or Ctrl-C); print the summary. setup/qemu/README.md explains every step.
#
# Environment (make passes its variables through):
#   CONNECTIONS (default NO_CONNECTIONS, else 100), ITERATIONS (10), VARIANTS ("threaded poll"),
#   PAYLOAD_PATH (/testpayload), INTERVAL (100ms), PORT (8000): as for bench-overhead.sh
#   PAYLOAD_DIR   the server's document root (payloads; `make payload` writes testpayload there)
#   RESULTS       results folder (results/qemu-<guest kernel>-<UTC timestamp>)
#   SERVER        lighttpd | builtin | auto (lighttpd when installed)
#   QEMU_KERNEL   guest kernel (newest /boot/vmlinuz-*); QEMU_MODULES its modules (/lib/modules/<version>)
#   QEMU_MEM      guest memory in MiB (1024); QEMU_SMP vCPUs (2); QEMU_NIC virtio-net | e1000
#   QEMU_ACCEL    kvm | tcg | auto (KVM when a KVM guest actually boots, else TCG)
#   QEMU_TIMEOUT  deadline for the whole guest run in seconds (estimated from the settings and
#                 QEMU_MIN_RATE, the slowest aggregate MiB/s a guest run may take: 10)
#   QEMU_IDLE_TIMEOUT  seconds without console output and without new rows after which the guest
#                 counts as stuck: QEMU is killed and the folder marked partial (300)
#   QEMU_OPTS     extra qemu-system-x86_64 options; QEMU the emulator binary
#   BIN_DIR       host binaries (target/release); BUSYBOX a static busybox; CARGO
#   BENCH_SCRIPT  the runner packed into the guest (bench-overhead.sh)
set -eu

cd "$(dirname "$0")/.."
repo=$(pwd)

die() {
    echo "qemu-benchmark: $*" >&2
    exit 1
}
note() { echo "qemu-benchmark: $*" >&2; }
# stop_process: a bounded stop of the built-in server.
. "$repo/scripts/process.sh"

CARGO=${CARGO:-cargo}
CONNECTIONS=${CONNECTIONS:-${NO_CONNECTIONS:-100}}
ITERATIONS=${ITERATIONS:-10}
VARIANTS=${VARIANTS:-threaded poll}
PAYLOAD_PATH=${PAYLOAD_PATH:-/testpayload}
PAYLOAD_DIR=${PAYLOAD_DIR:-payloads}
INTERVAL=${INTERVAL:-100ms}
PORT=${PORT:-8000}
SERVER=${SERVER:-auto}
BIN_DIR=${BIN_DIR:-target/release}
QEMU=${QEMU:-qemu-system-x86_64}
QEMU_MEM=${QEMU_MEM:-1024}
QEMU_SMP=${QEMU_SMP:-2}
QEMU_NIC=${QEMU_NIC:-virtio-net}
QEMU_ACCEL=${QEMU_ACCEL:-auto}
QEMU_OPTS=${QEMU_OPTS:-}
QEMU_MIN_RATE=${QEMU_MIN_RATE:-10}
QEMU_IDLE_TIMEOUT=${QEMU_IDLE_TIMEOUT:-300}

is_count() {
    case "$1" in
    '' | *[!0-9]* | 0*) return 1 ;;
    esac
}
is_count "$CONNECTIONS" || die "CONNECTIONS=$CONNECTIONS: give a whole number of connections, at least 1"
is_count "$ITERATIONS" || die "ITERATIONS=$ITERATIONS: give a whole number of iterations, at least 1"
is_count "$PORT" || die "PORT=$PORT: give a TCP port number"
is_count "$QEMU_MEM" || die "QEMU_MEM=$QEMU_MEM: give the guest memory in MiB, e.g. 1024"
is_count "$QEMU_SMP" || die "QEMU_SMP=$QEMU_SMP: give a number of vCPUs, e.g. 2"
is_count "$QEMU_MIN_RATE" || die "QEMU_MIN_RATE=$QEMU_MIN_RATE: give the slowest aggregate speed to allow, in whole MiB/s, e.g. 10"
is_count "$QEMU_IDLE_TIMEOUT" || die "QEMU_IDLE_TIMEOUT=$QEMU_IDLE_TIMEOUT: give the seconds of silence after which the guest counts as stuck, e.g. 300"
case "$QEMU_NIC" in
virtio-net) nic_device=virtio-net-pci ;;
e1000) nic_device=e1000 ;;
*) die "QEMU_NIC=$QEMU_NIC: use virtio-net or e1000" ;;
esac
if [ "$QEMU_NIC" = virtio-net ] && [ "$QEMU_SMP" -lt 2 ]; then
    note "warning: virtio-net with one vCPU stalled under many parallel downloads here; QEMU_SMP=2 is safer"
fi
case "$SERVER" in
auto | lighttpd | builtin) ;;
*) die "SERVER=$SERVER: use lighttpd, builtin or auto" ;;
esac
case "$PAYLOAD_PATH" in
/*) ;;
*) die "PAYLOAD_PATH=$PAYLOAD_PATH: give a path starting with /" ;;
esac
variants_csv=$(echo $VARIANTS | tr ' ' ',')
case "$variants_csv" in
'' | *[!a-z,]*) die "VARIANTS=$VARIANTS: give variant names (threaded, poll) separated by spaces" ;;
esac

# --- what the guest needs -------------------------------------------------------------------------
command -v "$QEMU" >/dev/null 2>&1 ||
    die "$QEMU not found: install it (Debian/Ubuntu: apt-get install qemu-system-x86)"
command -v timeout >/dev/null 2>&1 || die "timeout not found: install coreutils"

if [ -z "${BUSYBOX:-}" ]; then
    BUSYBOX=$(command -v busybox 2>/dev/null || true)
fi
[ -n "$BUSYBOX" ] && [ -x "$BUSYBOX" ] ||
    die "busybox not found: install it (Debian/Ubuntu: apt-get install busybox-static)"
if command -v ldd >/dev/null 2>&1 && ldd "$BUSYBOX" 2>&1 | grep -q '=>'; then
    die "$BUSYBOX is dynamically linked and cannot run in the guest: apt-get install busybox-static"
fi

if [ -z "${QEMU_KERNEL:-}" ]; then
    QEMU_KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
    [ -n "$QEMU_KERNEL" ] ||
        die "no guest kernel in /boot: apt-get install linux-image-amd64, or pass QEMU_KERNEL=/path/to/vmlinuz"
fi
[ -f "$QEMU_KERNEL" ] ||
    die "QEMU_KERNEL=$QEMU_KERNEL does not exist: pass a guest kernel image, or install one (Debian/Ubuntu: apt-get install linux-image-amd64) and leave QEMU_KERNEL unset"
[ -r "$QEMU_KERNEL" ] ||
    die "cannot read $QEMU_KERNEL (some distributions make kernels root-only): sudo chmod 0644 $QEMU_KERNEL, or pass QEMU_KERNEL"

# The kernel's release names its modules folder: from the file name (vmlinuz-6.1.0-40-amd64), else
# from the version string the x86 boot header points at (offset in the 2 bytes at 0x20E, + 0x200).
kernel_version=$(basename "$QEMU_KERNEL" | sed -n 's/^vmlinuz-//p')
if [ -z "$kernel_version" ]; then
    offset=$(od -An -tu2 -j 526 -N 2 "$QEMU_KERNEL" | tr -d ' ')
    if [ -n "$offset" ]; then
        kernel_version=$(dd if="$QEMU_KERNEL" bs=1 skip=$((offset + 512)) count=128 2>/dev/null |
            tr '\0' '\n' | head -n 1 | cut -d' ' -f1)
    fi
fi
[ -n "$kernel_version" ] || die "cannot tell the release of $QEMU_KERNEL: pass QEMU_MODULES=/lib/modules/<release>"
QEMU_MODULES=${QEMU_MODULES:-/lib/modules/$kernel_version}
[ -r "$QEMU_MODULES/modules.dep" ] ||
    die "no modules for guest kernel $kernel_version in $QEMU_MODULES: install its package (linux-image-amd64) or pass QEMU_MODULES"

BENCH_SCRIPT=${BENCH_SCRIPT:-bench-overhead.sh}
[ -f "$BENCH_SCRIPT" ] || die "$BENCH_SCRIPT not found in $repo: the guest runs it"
payload_file=$PAYLOAD_DIR$PAYLOAD_PATH
[ -f "$payload_file" ] ||
    die "no payload at $payload_file: run \`make payload\` (PAYLOAD_SIZE=n MiB) or set PAYLOAD_DIR"
payload_bytes=$(wc -c <"$payload_file" | tr -d ' ')
host_bin=$BIN_DIR/bench-overhead
[ -x "$host_bin" ] || die "no $host_bin: run \`make build\` first"

# --- results folder -------------------------------------------------------------------------------
if [ -z "${RESULTS:-}" ]; then
    RESULTS=results/qemu-$kernel_version-$(date -u +%Y%m%dT%H%M%SZ)
fi
if [ -d "$RESULTS" ] && [ -n "$(ls -A "$RESULTS" 2>/dev/null)" ]; then
    die "results folder $RESULTS is not empty: pick another RESULTS"
fi
mkdir -p "$RESULTS" || die "cannot create results folder $RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-overhead-qemu.XXXXXX")
server_started=""
server_pid=""
qemu_pid=""
finished=""

# Marks the folder partial: meta.json as bench-overhead.sh wrote it, or a minimal one if the guest
# never got that far. Rows already written stay as they are.
mark_partial() {
    if [ -f "$RESULTS/meta.json" ]; then
        sed 's/"status": *"[a-z]*"/"status": "partial"/' "$RESULTS/meta.json" >"$work/meta.json" &&
            cat "$work/meta.json" >"$RESULTS/meta.json"
    else
        # The reason may quote the guest's console: drop control characters, escape the rest for JSON.
        json_reason=$(printf '%s' "$1" | tr -d '\000-\037' | sed 's/\\/\\\\/g; s/"/\\"/g')
        printf '{\n  "status": "partial",\n  "network": "QEMU user net",\n  "reason": "%s"\n}\n' \
            "$json_reason" >"$RESULTS/meta.json"
    fi
}

stop_server() {
    case "$server_started" in
    lighttpd) SETUP_DIR=$work sh scripts/lighttpd.sh stop >/dev/null 2>&1 || true ;;
    builtin) stop_process "$server_pid" ;;
    esac
    server_started=""
    server_pid=""
}

cleanup() {
    if [ -n "$qemu_pid" ]; then
        # `timeout` passes the signal on to QEMU.
        kill "$qemu_pid" 2>/dev/null || true
        wait "$qemu_pid" 2>/dev/null || true
        qemu_pid=""
    fi
    stop_server
    if [ -z "$finished" ] && [ -n "$(ls -A "$RESULTS" 2>/dev/null)" ]; then
        mark_partial "interrupted"
        note "stopped early: kept the rows in $RESULTS (marked partial)"
    fi
    rm -f "$RESULTS/.guest-exit"
    # A run that failed before the guest wrote anything leaves no empty folder behind.
    rmdir "$RESULTS" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# --- static binaries and the initramfs ------------------------------------------------------------
note "building static bench-overhead and memmon for the guest (target/guest)"
RUSTFLAGS='-C target-feature=+crt-static' "$CARGO" build --release --quiet \
    --target x86_64-unknown-linux-gnu --target-dir target/guest -p bench-overhead -p memmon ||
    die "static build failed (it needs the x86_64-unknown-linux-gnu Rust target: rustup target add x86_64-unknown-linux-gnu)"
guest_bin=target/guest/x86_64-unknown-linux-gnu/release

GUEST_BIN=$guest_bin BENCH_SCRIPT=$BENCH_SCRIPT BUSYBOX=$BUSYBOX MODULES_DIR=$QEMU_MODULES \
    QEMU_NIC=$QEMU_NIC sh setup/qemu/initramfs.sh "$work/initramfs.cpio" ||
    die "cannot pack the guest's initramfs"

# --- accelerator ----------------------------------------------------------------------------------
# A /dev/kvm that opens is not enough: a nested or paravirtual KVM (PVM) may accept the guest and
# never run it. So boot the kernel without an initramfs; a working KVM reaches the "no root" panic
# in a second or two.
kvm_boots() {
    [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
    timeout --kill-after=5 15 "$QEMU" -accel kvm -m 256 -nodefaults -display none -no-reboot \
        -serial stdio -kernel "$QEMU_KERNEL" -append "console=ttyS0 panic=-1" \
        </dev/null >"$work/kvm-probe.log" 2>&1 || true
    grep -q 'Kernel panic' "$work/kvm-probe.log"
}
case "$QEMU_ACCEL" in
kvm | tcg) accel=$QEMU_ACCEL ;;
auto)
    if kvm_boots; then
        accel=kvm
    else
        accel=tcg
        [ -e /dev/kvm ] && note "/dev/kvm is there but a KVM guest did not boot: using TCG"
    fi
    ;;
*) die "QEMU_ACCEL=$QEMU_ACCEL: use kvm, tcg or auto" ;;
esac

# --- the host's server ----------------------------------------------------------------------------
# As `make benchmark`: a server already answering on 127.0.0.1:PORT is used and left running;
# otherwise lighttpd (from setup/lighttpd.conf.in, via scripts/lighttpd.sh, with its config, pid file
# and log in a private folder so a server started by `make lighttpd-start` is never touched) or the
# built-in server is started here and stopped when this script ends, however it ends.
server_answers() {
    "$host_bin" suite check --address 127.0.0.1 --port "$PORT" --path "$PAYLOAD_PATH" --timeout 2s \
        >/dev/null 2>"$work/check.log"
}
docroot=$(cd "$PAYLOAD_DIR" && pwd)
if server_answers; then
    note "a server already answers on 127.0.0.1:$PORT: using it (and leaving it running)"
    SERVER="the server already running"
else
    case "$SERVER" in
    auto)
        if command -v lighttpd >/dev/null 2>&1 || [ -x /usr/sbin/lighttpd ]; then
            SERVER=lighttpd
        else
            SERVER=builtin
        fi
        ;;
    esac
    if [ "$SERVER" = lighttpd ]; then
        PORT=$PORT BIND=127.0.0.1 PAYLOAD_DIR=$docroot SETUP_DIR=$work \
            sh scripts/lighttpd.sh setup >/dev/null || die "cannot set up lighttpd (see above)"
        PORT=$PORT BIND=127.0.0.1 PAYLOAD_DIR=$docroot SETUP_DIR=$work \
            sh scripts/lighttpd.sh start >/dev/null || die "cannot start lighttpd on 127.0.0.1:$PORT (see above; PORT=n picks another port)"
        server_started=lighttpd
    else
        "$host_bin" serve --address 127.0.0.1 --port "$PORT" --root "$docroot" \
            </dev/null >/dev/null 2>"$work/serve.log" &
        server_pid=$!
        server_started=builtin
    fi
    tries=0
    until server_answers; do
        if [ -n "$server_pid" ] && ! kill -0 "$server_pid" 2>/dev/null; then
            die "the built-in server did not start on 127.0.0.1:$PORT: $(tail -n 1 "$work/serve.log") (PORT=n picks another port)"
        fi
        tries=$((tries + 1))
        [ "$tries" -lt 50 ] ||
            die "$SERVER does not serve $PAYLOAD_PATH on 127.0.0.1:$PORT after 10 s: $(tail -n 1 "$work/check.log")"
        sleep 0.2
    done
fi

# --- the guest run --------------------------------------------------------------------------------
# Two limits. The inactivity watchdog catches a stuck guest early: no console output and no new
# row in runs.csv, jobs.csv or memory.csv (memmon adds one every INTERVAL while a run is going) for
# QEMU_IDLE_TIMEOUT seconds. The deadline bounds a guest that moves, but too slowly: boot, plus per
# run a minute and the transfer at QEMU_MIN_RATE MiB/s aggregate (TCG reached 25 to 135 MiB/s
# here). The guest's client gets the same per-run limit as its --run-timeout, so a slow but moving
# run finishes instead of failing at the client's default 10 minutes.
runs=$((ITERATIONS * $(echo $VARIANTS | wc -w)))
transfer_s=$((CONNECTIONS * (payload_bytes / 1048576 + 1) / QEMU_MIN_RATE))
per_run=$((60 + transfer_s))
QEMU_TIMEOUT=${QEMU_TIMEOUT:-$((180 + runs * per_run))}
is_count "$QEMU_TIMEOUT" || die "QEMU_TIMEOUT=$QEMU_TIMEOUT: give the deadline in seconds"

qemu_version=$("$QEMU" --version | sed -n '1s/.*version \([^ ]*\).*/\1/p')
append="console=ttyS0 panic=-1 quiet bench.port=$PORT bench.server=10.0.2.2 \
bench.connections=$CONNECTIONS bench.iterations=$ITERATIONS bench.variants=$variants_csv \
bench.path=$PAYLOAD_PATH bench.interval=$INTERVAL bench.nic=$QEMU_NIC bench.vcpus=$QEMU_SMP \
bench.accel=$accel bench.mem=$QEMU_MEM bench.qemu=${qemu_version:-unknown} \
bench.run_timeout=${per_run}s"

note "guest: Linux $kernel_version, $QEMU_NIC, $QEMU_SMP vCPUs, $QEMU_MEM MiB, $accel; server: $SERVER on 127.0.0.1:$PORT"
note "$runs runs of $CONNECTIONS x $payload_bytes bytes; deadline ${QEMU_TIMEOUT} s, or ${QEMU_IDLE_TIMEOUT} s without output; results: $RESULTS"

# The console goes to the terminal and to console.log in the results folder (boot messages, the
# guest's progress, any NETDEV WATCHDOG). The rows arrive over 9p as the guest writes them.
started=$(date +%s.%N)
# shellcheck disable=SC2086 # QEMU_OPTS is a list of options
timeout --kill-after=10 "$QEMU_TIMEOUT" "$QEMU" -accel "$accel" -m "$QEMU_MEM" -smp "$QEMU_SMP" \
    -nodefaults -display none -no-reboot \
    -kernel "$QEMU_KERNEL" -initrd "$work/initramfs.cpio" -append "$append" \
    -chardev "stdio,id=console,signal=off,logfile=$RESULTS/console.log" -serial chardev:console \
    -netdev user,id=n0 -device "$nic_device,netdev=n0,romfile=" \
    -fsdev "local,id=results,path=$RESULTS,security_model=none" \
    -device virtio-9p-pci,fsdev=results,mount_tag=results \
    $QEMU_OPTS </dev/null 2>"$work/qemu.err" &
qemu_pid=$!

# What the guest has written so far: the sizes of its console log and of the files rows go to.
activity() {
    for file in console.log runs.csv jobs.csv memory.csv; do
        if [ -f "$RESULTS/$file" ]; then
            wc -c <"$RESULTS/$file" | tr -d ' \n'
        fi
        printf ,
    done
}

ready=""
stuck=""
last_activity=$(activity)
last_change=$(date +%s)
ticks=0
while kill -0 "$qemu_pid" 2>/dev/null; do
    if [ -z "$ready" ] && grep -q 'bench-guest: ready' "$RESULTS/console.log" 2>/dev/null; then
        ready=$(echo "$started $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')
        note "guest ready ${ready} s after QEMU started"
    fi
    ticks=$((ticks + 1))
    if [ $((ticks % 5)) = 0 ]; then
        now=$(date +%s)
        current=$(activity)
        if [ "$current" != "$last_activity" ]; then
            last_activity=$current
            last_change=$now
        elif [ $((now - last_change)) -ge "$QEMU_IDLE_TIMEOUT" ]; then
            stuck=yes
            # `timeout` passes the TERM on to QEMU and, thanks to --kill-after, kills a QEMU that
            # ignores it 10 s later; the `wait` below returns once QEMU is gone. (Killing
            # `timeout` itself instead would leave QEMU running, orphaned.)
            kill "$qemu_pid" 2>/dev/null || true
            break
        fi
    fi
    sleep 0.2
done
qemu_status=0
wait "$qemu_pid" || qemu_status=$?
qemu_pid=""
stop_server

guest_status=""
[ -f "$RESULTS/.guest-exit" ] && guest_status=$(cat "$RESULTS/.guest-exit")
rm -f "$RESULTS/.guest-exit"

if [ -z "$guest_status" ]; then
    finished=yes
    if [ -n "$stuck" ]; then
        reason="the guest wrote no console output and no rows for QEMU_IDLE_TIMEOUT=$QEMU_IDLE_TIMEOUT s; QEMU was killed"
    elif [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
        reason="the guest did not finish within QEMU_TIMEOUT=$QEMU_TIMEOUT s; QEMU was killed"
    else
        guest_error=$(sed -n 's/.*bench-guest: error: //p' "$RESULTS/console.log" 2>/dev/null | tail -n 1)
        qemu_error=$(tail -n 1 "$work/qemu.err")
        reason="the guest stopped before finishing (QEMU status $qemu_status)${guest_error:+: $guest_error}${qemu_error:+: $qemu_error}"
    fi
    mark_partial "$reason"
    if [ -f "$RESULTS/runs.csv" ]; then
        "$host_bin" summarize "$RESULTS" || true
    fi
    die "$reason; kept what arrived in $RESULTS (marked partial; console.log has the guest's console)"
fi

finished=yes
if [ ! -f "$RESULTS/runs.csv" ]; then
    # bench-overhead.sh stopped before its first run (no server reachable from the guest, say):
    # its own one-line reason is the last thing it printed on the console.
    reason=$(grep -v '^\[' "$RESULTS/console.log" 2>/dev/null | grep -v '^bench-guest:' | tail -n 1)
    mark_partial "bench-overhead.sh in the guest exited with status $guest_status before any run"
    die "bench-overhead.sh in the guest exited with status $guest_status before any run${reason:+: $reason}"
fi
[ -f "$RESULTS/summary.md" ] || "$host_bin" summarize "$RESULTS" --markdown "$RESULTS/summary.md" >/dev/null || true
echo
"$host_bin" summarize "$RESULTS" || true
echo
echo "Results: $RESULTS (network \"QEMU user net\"; guest ready after ${ready:-?} s)"
[ "$guest_status" = 0 ] || note "bench-overhead.sh in the guest exited with status $guest_status"
exit "$guest_status"
