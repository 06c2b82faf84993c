#!/bin/sh
# Packs the QEMU guest's initramfs: busybox, the static bench-overhead and memmon, bench-overhead.sh
# with the scripts/signals.sh, settings.sh and process.sh it sources (from the checkout BENCH_SCRIPT is in), the kernel modules the guest needs (NIC, 9p), and setup/qemu/init.sh as /init.
#
#   sh setup/qemu/initramfs.sh OUT.cpio
#
# Environment (scripts/qemu-benchmark.sh sets all of them):
#   GUEST_BIN      folder with the statically linked bench-overhead and memmon
#   BENCH_SCRIPT   bench-overhead.sh, run inside the guest
#   BUSYBOX        a statically linked busybox (Debian: busybox-static)
#   MODULES_DIR    /lib/modules/<guest kernel version>
#   QEMU_NIC       virtio-net or e1000: which driver to pack
#
# Nothing here needs root: no device nodes are packed (the guest mounts devtmpfs), and the archive is
# written with cpio's newc format, which the kernel unpacks with root as the owner of every file.
set -eu

out=${1:?usage: initramfs.sh OUT.cpio}
here=$(cd "$(dirname "$0")" && pwd)

die() {
    echo "initramfs.sh: $*" >&2
    exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-overhead-initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage=$work/root

mkdir -p "$stage/bin" "$stage/dev" "$stage/proc" "$stage/sys" "$stage/tmp" "$stage/results" \
    "$stage/bench/scripts" "$stage/lib/modules" "$stage/etc"

# busybox and one link per applet. `busybox --list` names busybox itself: linking that would replace
# the binary with a link to itself, and the kernel could then not run /init (error -40, ELOOP).
cp "$BUSYBOX" "$stage/bin/busybox"
for applet in $("$BUSYBOX" --list); do
    case "$applet" in
    busybox | */*) continue ;;
    esac
    ln -s busybox "$stage/bin/$applet"
done

cp "$GUEST_BIN/bench-overhead" "$GUEST_BIN/memmon" "$stage/bin/"
# Nobody profiles inside the guest: without symbols the archive is a third of the size, which the
# emulated firmware loads and the kernel unpacks faster.
if command -v strip >/dev/null 2>&1; then
    strip "$stage/bin/bench-overhead" "$stage/bin/memmon"
fi
cp "$BENCH_SCRIPT" "$stage/bench/bench-overhead.sh"
for sourced in signals settings process; do
    cp "$(dirname "$BENCH_SCRIPT")/scripts/$sourced.sh" "$stage/bench/scripts/"
done
cp "$here/init.sh" "$stage/init"
chmod 755 "$stage/init" "$stage/bench/bench-overhead.sh"

# The guest has no distribution, only the busybox userland: say so where `bench-overhead meta` looks.
busybox_version=$("$BUSYBOX" 2>&1 | sed -n '1s/^BusyBox \(v[^ ]*\).*/\1/p')
printf 'NAME="busybox initramfs"\nPRETTY_NAME="busybox %s initramfs (QEMU guest)"\n' \
    "${busybox_version:-unknown}" >"$stage/etc/os-release"

# --- kernel modules, in the order modules.dep implies ------------------------------------------
dep_file="$MODULES_DIR/modules.dep"
[ -r "$dep_file" ] || die "no $dep_file: install the modules of the guest kernel (Debian: linux-image-amd64)"

loaded=" "
# Appends MODULE (a path relative to MODULES_DIR) and, first, everything it depends on.
add_module() {
    case "$loaded" in
    *" $1 "*) return 0 ;;
    esac
    deps=$(grep "^$1:" "$dep_file" | cut -d: -f2)
    # modules.dep lists dependencies nearest-first: load them from the last one back.
    reversed=""
    for dep in $deps; do
        reversed="$dep $reversed"
    done
    for dep in $reversed; do
        add_module "$dep"
    done
    case "$loaded" in
    *" $1 "*) return 0 ;;
    esac
    loaded="$loaded$1 "
    name=$(basename "$1")
    plain=${name%.xz}
    plain=${plain%.zst}
    plain=${plain%.gz}
    # busybox insmod takes plain ELF objects only: unpack compressed modules here on the host.
    case "$name" in
    *.xz) xz -dc "$MODULES_DIR/$1" >"$stage/lib/modules/$plain" ;;
    *.zst) zstd -qdc "$MODULES_DIR/$1" >"$stage/lib/modules/$plain" ;;
    *.gz) gzip -dc "$MODULES_DIR/$1" >"$stage/lib/modules/$plain" ;;
    *) cp "$MODULES_DIR/$1" "$stage/lib/modules/$plain" ;;
    esac
    echo "$plain" >>"$stage/lib/modules/load.list"
}

# Adds module NAME unless the kernel has it built in; fails when the kernel has it neither way.
need_module() {
    path=$(grep -E "(^|/)$1\.ko(\.xz|\.zst|\.gz)?:" "$dep_file" | head -n 1 | cut -d: -f1)
    if [ -n "$path" ]; then
        add_module "$path"
    elif grep -Eq "(^|/)$1\.ko$" "$MODULES_DIR/modules.builtin" 2>/dev/null; then
        : # built in, nothing to load
    else
        die "the guest kernel has no $1 module (looked in $dep_file)"
    fi
}

: >"$stage/lib/modules/load.list"
case "$QEMU_NIC" in
virtio-net) need_module virtio_pci && need_module virtio_net ;;
e1000) need_module e1000 ;;
*) die "QEMU_NIC=$QEMU_NIC: use virtio-net or e1000" ;;
esac
# The 9p share carries the results back to the host; its transport is a virtio PCI device.
need_module virtio_pci
need_module 9pnet_virtio
need_module 9p

# --- the archive ---------------------------------------------------------------------------------
if command -v cpio >/dev/null 2>&1; then
    cpio_cmd=cpio
else
    cpio_cmd="$BUSYBOX cpio"
fi
# Not compressed: under TCG, unpacking gzip in the guest cost 0.6 to 2 s of boot here.
(cd "$stage" && find . | LC_ALL=C sort | $cpio_cmd -o -H newc >"$work/initramfs.cpio" 2>"$work/cpio.err") ||
    die "cpio failed: $(tail -n 1 "$work/cpio.err")"
mv "$work/initramfs.cpio" "$out" || die "cannot write $out"
