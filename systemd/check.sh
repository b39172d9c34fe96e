#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Offline checks of the systemd units: `systemd-analyze verify` against a
# staging root that holds the built kiosk binary where the unit expects it
# (verify exits 0 even on warnings, so any output fails), and the exposure
# rating of `systemd-analyze security`, which must be 2.0 or better.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=target/debug/kiosk
[ -x "$binary" ] || cargo build -p kiosk --locked
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
install -D -m 755 "$binary" "$root/usr/bin/kiosk"
mkdir -p "$root/usr/lib/systemd" "$root/etc/systemd/system"
cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp systemd/*.service "$root/etc/systemd/system/"

status=0
for unit in systemd/*.service; do
    name=$(basename "$unit")
    output=$(systemd-analyze verify --root="$root" "$name" 2>&1) || true
    if [ -n "$output" ]; then
        echo "FAIL $name: systemd-analyze verify says:"
        echo "$output"
        status=1
    fi
    if ! systemd-analyze security --offline=yes --threshold=20 "$unit" >/dev/null 2>&1; then
        echo "FAIL $name: exposure above 2.0:"
        systemd-analyze security --offline=yes "$unit" 2>&1 | tail -1
        status=1
    else
        echo "ok   $name: $(systemd-analyze security --offline=yes "$unit" 2>&1 | tail -1)"
    fi
done
exit $status
