#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs the terminal in demo mode: simulated ID card, portal and printer.
# With a display it opens a full-screen window; without one it runs the
# scripted walk-through and writes screenshots to ./screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh

features=()
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    features=(--features desktop)
fi
exec cargo run --release -p kiosk-demo "${features[@]}" -- demo "$@"
