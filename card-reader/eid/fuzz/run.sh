#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs every fuzz target of the eid crate for SECONDS seconds each.
# Needs a nightly toolchain and cargo-fuzz (cargo install cargo-fuzz).
# Crashes and their inputs end up in fuzz/artifacts/<target>/.
set -eu

seconds="${1:-}"
case "$seconds" in
    ''|*[!0-9]*)
        echo "usage: $0 SECONDS" >&2
        exit 2
        ;;
esac

cd "$(dirname "$0")/.."
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz on a nightly toolchain is required: rustup toolchain install nightly && cargo install cargo-fuzz" >&2
    exit 1
fi

failed=""
for target in $(cargo +nightly fuzz list); do
    echo "== fuzzing $target for ${seconds}s"
    if ! cargo +nightly fuzz run "$target" -- -max_total_time="$seconds"; then
        failed="$failed $target"
    fi
done

if [ -n "$failed" ]; then
    echo "crashes found in:$failed (see fuzz/artifacts/)" >&2
    exit 1
fi
echo "all targets ran ${seconds}s without a crash"
