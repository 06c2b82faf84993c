#!/bin/sh
# make lint: list every module's imports in each crate and check the shape of the code
# (ARCHITECTURE.md, Dependency direction): no import loop between modules, and no module but
# main.rs imports the command line (`cli`). The check is the test bench-overhead/tests/imports.rs;
# this prints its listing.
#
# Exit status: 0 when the shape holds, 1 otherwise (the loop or the offending module is named).

set -eu
CARGO=${CARGO:-cargo}
cd "$(dirname "$0")/.."
exec "$CARGO" test --release -q -p bench-overhead --test imports -- --nocapture --test-threads=1
