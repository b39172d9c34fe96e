#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Offline checks of the appliance's systemd units:
# - `systemd-analyze verify` of every unit against a staging root laid out
#   as in the image (the built kiosk and appliance binaries, image/rootfs,
#   rauc, Debian's pcscd and rauc units with the drop-ins of this
#   directory); verify exits 0 even on warnings, so any output fails
#   (systemd-analyze(1)).
# - the exposure rating of `systemd-analyze security --offline=yes` for
#   every service of ours: 2.0 or better (the issue's bound for
#   kiosk.service, kept for the root helpers too); for Debian's pcscd and
#   rauc services with our drop-ins: 4.0 or better (#16, part 6; both run as
#   root and parse untrusted input). `--threshold=` makes the command fail
#   above.
# Debian's units come from the packages the image installs, fetched with
# `apt-get download` (the host needs them in its apt lists, not installed).
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${KIOSK_BIN:-target/debug/kiosk}
[ -x "$binary" ] || cargo build -p kiosk --locked
appliance=${APPLIANCE_BIN:-$(dirname "$binary")/appliance}
[ -x "$appliance" ] || cargo build -p appliance --locked
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
install -D -m 755 "$binary" "$root/usr/bin/kiosk"
# Programs of Debian packages the units start (the image has them too).
for tool in rauc sync; do
	install -D -m 755 "$(command -v "$tool")" "$root/usr/bin/$tool"
done
cp -a image/rootfs/usr "$root/"
install -D -m 755 "$appliance" "$root/usr/lib/kiosk/appliance"
mkdir -p "$root/usr/lib/systemd" "$root/etc/systemd/system"
cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp systemd/*.service systemd/*.mount "$root/etc/systemd/system/"

# Debian's hardened units, as build.sh installs them: the packages' files
# (units and programs) and our drop-ins.
debs=$(mktemp -d)
trap 'rm -rf "$root" "$debs"' EXIT
# apt drops privileges to _apt for downloads, which must be able to write here.
chmod 777 "$debs"
# A machine whose packages were all there already may never have fetched
# apt's lists (scripts/setup-debian.sh updates them only to install).
download() { (cd "$debs" && apt-get download -q pcscd rauc-service >/dev/null 2>&1); }
download || { apt-get update -q >/dev/null && download; } ||
	{ echo "FAIL cannot download Debian's pcscd and rauc-service packages with apt-get"; exit 1; }
for deb in "$debs"/*.deb; do
	dpkg-deb -x "$deb" "$root"
done
hardened=(pcscd.service rauc.service)
for unit in "${hardened[@]}"; do
	install -D -m 644 "systemd/${unit%.service}-kiosk.conf" "$root/etc/systemd/system/$unit.d/kiosk.conf"
done
# As in image/build.sh: rauc's second drop-in names the booted slot and
# opens efivarfs for its EFI backend.
install -D -m 644 systemd/rauc-boot-slot.conf "$root/etc/systemd/system/rauc.service.d/boot-slot.conf"

status=0
# rate NAME THRESHOLD ARGS...: the exposure of one service, at most THRESHOLD
# tenths.
rate() {
	local name=$1 threshold=$2 rating
	shift 2
	rating=$(systemd-analyze security --offline=yes "$@" 2>&1 | tail -1)
	if ! systemd-analyze security --offline=yes --threshold="$threshold" "$@" >/dev/null 2>&1; then
		echo "FAIL $name: exposure above $((threshold / 10)).$((threshold % 10)): $rating"
		status=1
	else
		echo "ok   $name: $rating"
	fi
}
# verify NAME: systemd-analyze verify on the staging root, silent when fine.
verify() {
	local output
	output=$(systemd-analyze verify --root="$root" "$1" 2>&1) || true
	if [ -n "$output" ]; then
		echo "FAIL $1: systemd-analyze verify says:"
		echo "$output"
		status=1
		return 1
	fi
}

for unit in systemd/*.service systemd/*.mount; do
	name=$(basename "$unit")
	verify "$name" || continue
	case "$name" in *.service) ;; *) echo "ok   $name: verified"; continue ;; esac
	rate "$name" 20 "$unit"
done
for name in "${hardened[@]}"; do
	verify "$name" || continue
	rate "$name (Debian's, with systemd/${name%.service}-kiosk.conf)" 40 --root="$root" "$name"
done
exit $status
