#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Prints the appliance's figures from what image/build.sh and image/test.sh
# recorded in IMAGE_BUILD_DIR/figures.env, one `name: value unit` per line:
# image and bundle sizes, build time, and the emulated boot time to
# kiosk-ready as a ratio to the plain Debian boot of the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath -m "${IMAGE_BUILD_DIR:-target/image}")
[ -f "$build/figures.env" ] || { echo "no figures: run image/build.sh or image/test.sh first" >&2; exit 1; }

declare -A fig
while IFS='=' read -r key value; do fig[$key]=$value; done <"$build/figures.env"

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
line() { printf '%s: %s %s\n' "$1" "$2" "$3"; }

[ -n "${fig[image_bytes]:-}" ] && line "image size" "$(mib "${fig[image_bytes]}")" "MiB (disk image, partitions included)"
[ -n "${fig[image_allocated_bytes]:-}" ] && line "image size on disk" "$(mib "${fig[image_allocated_bytes]}")" "MiB (sparse: slot B empty)"
[ -n "${fig[root_bytes]:-}" ] && line "root file system" "$(mib "${fig[root_bytes]}")" "MiB (squashfs)"
[ -n "${fig[bundle_bytes]:-}" ] && line "bundle size" "$(mib "${fig[bundle_bytes]}")" "MiB"
[ -n "${fig[build_s]:-}" ] && line "build time" "${fig[build_s]}" "s (image/build.sh)"
[ -n "${fig[mmdebstrap_s]:-}" ] && line "  of which mmdebstrap" "${fig[mmdebstrap_s]}" "s"
[ -n "${fig[kiosk_boot_s]:-}" ] && line "boot to kiosk ready" "${fig[kiosk_boot_s]}" "s (QEMU TCG, OVMF, -smp 2)"
[ -n "${fig[reference_boot_s]:-}" ] && line "plain Debian boot to login prompt" "${fig[reference_boot_s]}" "s (same run)"
if [ -n "${fig[kiosk_boot_s]:-}" ] && [ -n "${fig[reference_boot_s]:-}" ]; then
	line "boot time ratio" "$(awk -v a="${fig[kiosk_boot_s]}" -v b="${fig[reference_boot_s]}" 'BEGIN { printf "%.2f", a / b }')" "(kiosk ready / plain Debian)"
fi
[ -n "${fig[test_s]:-}" ] && line "image stage wall time" "${fig[test_s]}" "s (image/test.sh)"
exit 0
