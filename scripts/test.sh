#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs the whole test suite: formatting, lints, unit and integration tests of
# every crate, the system tests, the offline checks of the systemd units, and
# the appliance image: built, then boot-tested in a container and in QEMU.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== licences"
scripts/check-licences.py
echo "== the product carries no demo or test rig"
rig=$(cargo tree -p kiosk -e normal --locked --prefix none | awk '{ print $1 }' | sort -u |
    grep -xE 'eid-sim-card|local-portal|i-slint-backend-testing|tempfile' || true)
if [ -n "$rig" ]; then
    echo "the kiosk binary depends on demo or test crates: $rig" >&2
    exit 1
fi
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
echo "== systemd units"
systemd/check.sh
echo "== appliance image"
KIOSK_BIN=target/debug/kiosk image/test.sh
