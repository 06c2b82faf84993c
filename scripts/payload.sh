#!/bin/sh
# Writes the payloads the target servers serve (`make payload`):
#   $PAYLOAD_DIR/testpayload  PAYLOAD_SIZE MiB (default 200) of deterministic pseudo-random bytes
#   $PAYLOAD_DIR/hello        `Hello, world` and a newline, 13 bytes: the request-rate
#                             workloads' small object (as make bench-rr and wrk comparisons use)
# Both are left alone when already identical. The payload's SHA-256 is printed when a sha256 tool
# exists, so it can be compared across machines (README: the 200 MiB payload's checksum).
# POSIX sh: runs on Linux, the BSDs and Haiku.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
PAYLOAD_SIZE=${PAYLOAD_SIZE:-200}
PAYLOAD_DIR=${PAYLOAD_DIR:-$here/payloads}
BIN_DIR=${BIN_DIR:-$here/target/release}
bin=$BIN_DIR/bench-overhead

case $PAYLOAD_SIZE in
    '' | *[!0-9]* | 0)
        echo "payload.sh: PAYLOAD_SIZE=$PAYLOAD_SIZE is not a positive whole number of MiB (e.g. PAYLOAD_SIZE=200)" >&2
        exit 2 ;;
esac
if [ ! -x "$bin" ]; then
    echo "payload.sh: $bin not found: run \`make build\` first (or set BIN_DIR)" >&2
    exit 1
fi

mkdir -p "$PAYLOAD_DIR"
"$bin" payload --size "${PAYLOAD_SIZE}MiB" --out "$PAYLOAD_DIR/testpayload"

# hello: written whole under a temporary name, then renamed, as the payload is.
hello='Hello, world'
if [ "$(cat "$PAYLOAD_DIR/hello" 2>/dev/null || true)" != "$hello" ] ||
    [ "$(wc -c <"$PAYLOAD_DIR/hello" | tr -d ' ')" != 13 ]; then
    printf '%s\n' "$hello" >"$PAYLOAD_DIR/.hello.partial-$$"
    mv -f "$PAYLOAD_DIR/.hello.partial-$$" "$PAYLOAD_DIR/hello"
    echo "$PAYLOAD_DIR/hello: wrote 13 bytes" >&2
fi

if command -v sha256sum >/dev/null 2>&1; then
    sum=$(sha256sum "$PAYLOAD_DIR/testpayload")
elif command -v shasum >/dev/null 2>&1; then
    sum=$(shasum -a 256 "$PAYLOAD_DIR/testpayload")
else
    sum=
fi
if [ -n "$sum" ]; then
    echo "testpayload sha256: ${sum%% *}" >&2
fi
