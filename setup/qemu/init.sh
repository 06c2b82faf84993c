#!/bin/sh
# /init of the QEMU guest that `make qemu-benchmark` boots (setup/qemu/initramfs.sh packs it).
#
# It runs as PID 1 in a busybox-only initramfs: mounts the kernel's filesystems, loads the NIC and
# 9p modules in the order the host resolved from modules.dep, brings up eth0 on QEMU's user
# network (guest 10.0.2.15, the host's loopback is 10.0.2.2), mounts the host's results folder over
# 9p, runs bench-overhead.sh against the host's server and powers off. Settings come from the
# kernel command line as `bench.KEY=VALUE` (see scripts/qemu-benchmark.sh); the dot keeps the
# kernel from turning them into environment variables or arguments of this script.
#
# Every message starts with "bench-guest:" so the host can pick the guest's own lines out of the
# console log. Whatever happens, the script ends in `poweroff -f`: a PID 1 that exits would panic
# the kernel (which, with panic=-1 and -no-reboot, also ends QEMU, but says less).

PATH=/bin
export PATH

# No /dev/console node is packed (creating one needs root on the host): devtmpfs provides it.
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1

say() { echo "bench-guest: $*"; }

finish() {
    sync
    umount /results 2>/dev/null
    poweroff -f
    sleep 60 # poweroff -f does not return; never let PID 1 exit
}

fail() {
    say "error: $*"
    finish
}

mount -t proc proc /proc || fail "cannot mount /proc"
mount -t sysfs sysfs /sys || fail "cannot mount /sys"
mount -t tmpfs tmpfs /tmp || fail "cannot mount /tmp"
hostname qemu-guest

# `bench.port=8000` on the command line → setting "port"; values never contain spaces.
setting() {
    for word in $(cat /proc/cmdline); do
        case "$word" in
        "bench.$1="*) echo "${word#*=}" && return ;;
        esac
    done
    echo "$2"
}

port=$(setting port 8000)
server=$(setting server 10.0.2.2)
nic=$(setting nic unknown)
vcpus=$(setting vcpus unknown)
accel=$(setting accel unknown)
mem=$(setting mem unknown)
qemu=$(setting qemu unknown)

# Modules in dependency order, one file name a line (the host wrote the order from modules.dep).
if [ -f /lib/modules/load.list ]; then
    while read -r module; do
        [ -n "$module" ] || continue
        insmod "/lib/modules/$module" || fail "insmod $module failed"
    done </lib/modules/load.list
fi

# The host's results folder. Rows are written straight into it, so whatever a run wrote before a
# deadline or a crash is already on the host.
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /results ||
    fail "cannot mount the host's results folder (9p tag 'results')"

ip link set lo up
ip link set eth0 up || fail "no eth0: the NIC driver did not load"
ip addr add 10.0.2.15/24 dev eth0
# e1000 reports carrier about 2 s after the link is set up; virtio-net at once.
waited=0
while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ]; do
    [ "$waited" -lt 100 ] || fail "eth0 has no carrier after 10 s"
    sleep 0.1
    waited=$((waited + 1))
done
ip route add default via 10.0.2.2 || fail "cannot add the default route via 10.0.2.2"

# Seconds from kernel start until the guest is ready to measure (firmware time not included).
boot_s=$(cut -d' ' -f1 /proc/uptime)
say "ready after ${boot_s} s of guest uptime (nic $nic, $vcpus vCPUs, $accel)"

variants=$(setting variants threaded,poll | tr ',' ' ')
# Progress goes to the console (stderr); the summary (stdout) is left out there because the host
# prints it from the same rows once the guest is off, as the last thing the user sees.
status=0
(
    cd /bench &&
        BIN_DIR=/bin \
        RESULTS=/results \
        NETWORK="QEMU user net" \
        META="qemu_nic=$nic qemu_vcpus=$vcpus qemu_accel=$accel qemu_mem_mib=$mem qemu_boot_s=$boot_s qemu_version=$qemu" \
        ITERATIONS=$(setting iterations 10) \
        CONNECTIONS=$(setting connections 100) \
        VARIANTS="$variants" \
        PAYLOAD_PATH=$(setting path /testpayload) \
        INTERVAL=$(setting interval 100ms) \
        RUN_TIMEOUT=$(setting run_timeout 10m) \
        sh /bench/bench-overhead.sh "$server" "$port" >/tmp/summary.txt
) || status=$?

# The host reads this marker: present = the guest finished, its content = the suite's exit status.
echo "$status" >/results/.guest-exit
say "bench-overhead.sh exited with status $status"
finish
