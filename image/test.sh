#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds the appliance (image/build.sh), checks that its root holds no demo
# or test rig, and boot-tests it:
#   1. systemd-nspawn boots the root file system: kiosk.service becomes
#      active, and a kiosk that stops feeding the watchdog is restarted.
#   2. QEMU boots the disk image (OVMF, virtio-gpu) until the kiosk reports
#      ready on the serial console.
#   3. One changed byte in root A: the boot must fail, with dm-verity's error.
#   4. A signed bundle built in this run installs into slot B from a
#      maintenance stick, the machine boots B and marks it good; a bundle
#      whose kiosk never starts is installed the same way, its slot fails
#      and GRUB falls back to A.
# plus a plain Debian boot of the same packages for the boot-time ratio, and
# prints the figures (image/figures.sh). Exits non-zero on any failure and
# leaves no QEMU or container behind.
#
# Environment: KIOSK_BIN, IMAGE_BUILD_DIR as for image/build.sh;
# IMAGE_REUSE_BUILD=1 skips the build and tests what IMAGE_BUILD_DIR holds
# (for working on the tests; CI always builds).
# Run as root on Debian 12 with the packages listed in image/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
here=image
# shellcheck source=image/lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=image/lib/qemu.sh
. "$here/lib/qemu.sh"

BUILD=$(realpath -m "${IMAGE_BUILD_DIR:-target/image}")
export IMAGE_BUILD_DIR=$BUILD
runs="$BUILD/runs"

# What the kiosk logs once its first frame is on screen (and it has sent
# READY=1); journald forwards it to the serial console.
READY='kiosk ready'
# What PID 1 logs once rauc-mark-good.service (and its sync) has finished.
# GRUB's "Booting slot X" (image/grub/grub.cfg) reaches the serial port
# through OVMF's console, which includes the serial port.
MARKED_GOOD='Finished.*Mark the booted RAUC slot good'
# Emulated boots take about a minute; these bounds only stop a hung test.
BOOT_TIMEOUT=300

NSPAWN_PID=""
cleanup() {
	qemu_stop
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		kill -KILL "$NSPAWN_PID" 2>/dev/null || true
		wait "$NSPAWN_PID" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failures=0
pass() { log "ok   $*"; }
fail() {
	log "FAIL $*"
	failures=$((failures + 1))
}
# show LOG: the end of a serial log, for a failure's diagnosis.
show() { log "last lines of $1:"; tail -n 40 "$1" | tr -d '\r' >&2 || true; }

start=$(now)
if [ "${IMAGE_REUSE_BUILD:-0}" = 1 ]; then
	sed -i '/^\(reference_boot_s\|kiosk_boot_s\|test_s\)=/d' "$BUILD/figures.env"
else
	"$here/build.sh"
fi
rm -rf "$runs"
mkdir -p "$runs"

# The product carries no demo or test rig: no simulated card, and with it
# no OpenPACE (libeac), no CV-certificate tools and no virtual reader.
log "no demo rig in the root"
rig=$(find "$BUILD/rootfs" \( -name 'libeac*' -o -name 'cvc-create' -o -name 'cvc-print' \
	-o -name 'libifdvpcd*' -o -name 'kiosk-demo' \) -print)
if [ -z "$rig" ]; then
	pass "the root holds no OpenPACE, CV tools, virtual reader or demo binary"
else
	fail "the root holds demo rig: $rig"
fi

# A bundle that installs fine but whose kiosk never starts: the same root
# with /usr/bin/kiosk replaced by a program that exits at once. Its slot
# never reaches boot-complete.target, so it is never marked good.
log "broken bundle"
root="$BUILD/rootfs"
mv "$root/usr/bin/kiosk" "$BUILD/kiosk.good"
printf '#!/bin/sh\necho "this kiosk is broken on purpose" >&2\nexit 70\n' >"$root/usr/bin/kiosk"
chmod 755 "$root/usr/bin/kiosk"
mksquashfs "$root" "$BUILD/broken.squashfs" "${ROOT_SQUASHFS_OPTIONS[@]}"
mv "$BUILD/kiosk.good" "$root/usr/bin/kiosk"
veritysetup format "$BUILD/broken.squashfs" "$BUILD/broken.verity" \
	--root-hash-file="$BUILD/broken.roothash" >/dev/null
"$here/make-bundle.sh" "$BUILD" "$BUILD/broken.squashfs" "$BUILD/broken.verity" \
	"$BUILD/broken.roothash" "$BUILD/broken.raucb"

# stick NAME BUNDLE: a maintenance stick (vfat, label KIOSKUPDATE) holding
# BUNDLE as update.raucb, made without mounting anything (mtools).
stick() {
	local img="$runs/$1.img" size
	size=$(($(stat -c %s "$2") / 1024 + 8192))
	rm -f "$img"
	mkfs.vfat -C -n KIOSKUPDATE "$img" "$size" >/dev/null
	mcopy -i "$img" "$2" ::update.raucb
	echo "$img"
}

# --- 1. Container smoke test -----------------------------------------------------
# nspawn as the issue found it works on a host whose PID 1 is not systemd:
# --register=no --keep-unit (no machined, no scope unit). --read-only with
# --volatile=state is the appliance's own layout: read-only root, writable
# /var (systemd-nspawn(1)). Checks run inside the container's namespaces.
test_container() {
	local log="$runs/nspawn.log" leader="" deadline pid new restarts
	log "1. container smoke test"
	systemd-nspawn --register=no --keep-unit --quiet -D "$root" --read-only \
		--volatile=state --private-network -b >"$log" 2>&1 &
	NSPAWN_PID=$!
	inside() { nsenter -t "$leader" -m -u -i -n -p -- "$@"; }
	deadline=$(($(date +%s) + 60))
	while [ -z "$leader" ]; do
		leader=$(pgrep -P "$NSPAWN_PID" -x systemd || true)
		[ "$(date +%s)" -lt "$deadline" ] || { show "$log"; fail "1. no container init"; return; }
		[ -n "$leader" ] || sleep 0.2
	done
	deadline=$(($(date +%s) + 90))
	until [ "$(inside systemctl show -P ActiveState kiosk.service 2>/dev/null)" = active ]; do
		# A kiosk that keeps failing reboots the container
		# (StartLimitAction=reboot), which ends nspawn.
		if ! kill -0 "$NSPAWN_PID" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
			inside systemctl status --no-pager kiosk.service >>"$log" 2>&1 || true
			show "$log"
			fail "1. kiosk.service did not become active in the container"
			return
		fi
		sleep 0.5
	done
	pass "1. kiosk.service active in the container"
	pid=$(inside systemctl show -P MainPID kiosk.service)
	restarts=$(inside systemctl show -P NRestarts kiosk.service)
	# A stopped process feeds no watchdog: systemd must notice within
	# WatchdogSec=, kill it and start a new one (Restart=always).
	inside systemctl kill --kill-whom=main --signal=SIGSTOP kiosk.service
	deadline=$(($(date +%s) + 90))
	while :; do
		new=$(inside systemctl show -P MainPID kiosk.service 2>/dev/null || echo 0)
		if [ "$(inside systemctl show -P ActiveState kiosk.service 2>/dev/null)" = active ] &&
			[ "$new" != 0 ] && [ "$new" != "$pid" ]; then
			break
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			inside journalctl --no-pager -u kiosk.service >>"$log" 2>&1 || true
			show "$log"
			fail "1. the watchdog did not restart a stopped kiosk"
			return
		fi
		sleep 0.5
	done
	if inside journalctl --no-pager -u kiosk.service | grep -q 'Watchdog timeout' &&
		[ "$(inside systemctl show -P NRestarts kiosk.service)" -gt "$restarts" ]; then
		pass "1. watchdog timeout restarted the kiosk (pid $pid -> $new)"
	else
		inside journalctl --no-pager -u kiosk.service >>"$log" 2>&1 || true
		show "$log"
		fail "1. the kiosk was replaced, but not by a watchdog restart"
	fi
	# SIGTERM asks nspawn to shut the container down (systemd-nspawn(1)).
	kill -TERM "$NSPAWN_PID"
	deadline=$(($(date +%s) + 30))
	while kill -0 "$NSPAWN_PID" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
	kill -KILL "$NSPAWN_PID" 2>/dev/null || true
	wait "$NSPAWN_PID" 2>/dev/null || true
	NSPAWN_PID=""
}

# --- Reference boot ---------------------------------------------------------------
# The same kernel and packages, stock Debian configuration, no GRUB, no
# verity, booted (also through OVMF) until the serial console's login prompt.
reference_boot() {
	local log="$runs/reference.log" vars="$runs/reference-vars.fd" t
	log "reference boot (plain Debian)"
	cp "$OVMF_VARS" "$vars"
	t=$(now)
	qemu_start "$log" "$BUILD/reference.squashfs" "$vars" \
		-kernel "$BUILD/reference.vmlinuz" -initrd "$BUILD/reference.initrd" \
		-append "root=/dev/vda ro rootfstype=squashfs console=ttyS0,115200 quiet panic=-1"
	if qemu_wait "$log" 'login:' "$BOOT_TIMEOUT"; then
		record reference_boot_s "$(elapsed "$t" "$(now)")"
		pass "reference boot to login prompt"
	else
		show "$log"
		fail "reference boot did not reach its login prompt"
	fi
	qemu_stop
}

# --- 2. and 4a. Boot, update into B, boot B, mark good ----------------------------
test_boot_and_update() {
	local m="$runs/update" t state
	log "2. QEMU boot to kiosk ready; 4a. update into slot B"
	new_machine "$m"
	# First boot, slot A, with the stick: the kiosk comes up (test 2), then
	# kiosk-update.service installs the bundle and reboots (QEMU exits).
	t=$(now)
	qemu_start "$m/boot1.log" "$m/disk.img" "$m/vars.fd" \
		-drive "if=virtio,format=raw,readonly=on,file=$(stick good "$BUILD/update.raucb")"
	if qemu_wait "$m/boot1.log" "$READY" "$BOOT_TIMEOUT"; then
		record kiosk_boot_s "$(elapsed "$t" "$(now)")"
		pass "2. kiosk ready on the serial console"
	else
		show "$m/boot1.log"
		fail "2. the kiosk did not report ready"
		qemu_stop
		return
	fi
	if qemu_wait_exit "$BOOT_TIMEOUT" && grep -aq 'kiosk-update: installed' "$m/boot1.log"; then
		pass "4a. bundle installed from the stick, rebooting"
	else
		show "$m/boot1.log"
		fail "4a. the bundle was not installed"
		return
	fi
	state=$(grubenv_of "$m/disk.img")
	grep -q '^ORDER=B A$' <<<"$state" || { fail "4a. RAUC did not put B first: $state"; return; }
	# Second boot, no stick: GRUB tries B; once the kiosk is up, B is marked
	# good (and the grubenv synced), then QEMU is stopped.
	qemu_start "$m/boot2.log" "$m/disk.img" "$m/vars.fd"
	if qemu_wait "$m/boot2.log" "$MARKED_GOOD" "$BOOT_TIMEOUT" &&
		grep -aq "$READY" "$m/boot2.log"; then
		qemu_stop
	else
		show "$m/boot2.log"
		fail "4a. slot B did not come up and get marked good"
		qemu_stop
		return
	fi
	state=$(grubenv_of "$m/disk.img")
	if grep -q '^B_OK=1$' <<<"$state" && grep -q '^B_TRY=0$' <<<"$state" &&
		grep -aq 'Booting slot B' "$m/boot2.log"; then
		pass "4a. booted slot B, marked good"
	else
		show "$m/boot2.log"
		fail "4a. slot B not marked good: $state"
	fi
}

# --- 3. Tamper test --------------------------------------------------------------
# One byte in the middle of root A's squashfs, flipped. dm-verity must refuse
# it (the initramfs reads the whole root through dm-verity before mounting
# it), the kernel panics and panic=-1 with -no-reboot ends QEMU. Passes only
# if the boot fails, and for that reason.
test_tamper() {
	local m="$runs/tamper" offset byte
	log "3. tamper test"
	new_machine "$m"
	offset=$(($(partition_offset "$m/disk.img" root-a) + $(stat -c %s "$BUILD/root.squashfs") / 2))
	byte=$(od -An -tu1 -j "$offset" -N1 "$m/disk.img" | tr -d ' ')
	printf '%b' "\\$(printf '%03o' $((byte ^ 0x01)))" |
		dd of="$m/disk.img" bs=1 seek="$offset" count=1 conv=notrunc status=none
	qemu_start "$m/boot.log" "$m/disk.img" "$m/vars.fd"
	if qemu_wait "$m/boot.log" "$READY" "$BOOT_TIMEOUT"; then
		qemu_stop
		fail "3. a tampered root A booted to the kiosk"
	elif [ -n "$QEMU_PID" ]; then
		qemu_stop
		show "$m/boot.log"
		fail "3. the tampered boot neither failed nor finished in time"
	elif grep -Eaq 'verity.*(corrupted|does not match)|root does not match its root hash' "$m/boot.log"; then
		pass "3. tampered root A refused by dm-verity, boot failed (byte $offset)"
	else
		show "$m/boot.log"
		fail "3. the boot failed, but not because of dm-verity"
	fi
}

# --- 4b. A broken update falls back to A --------------------------------------------
test_fallback() {
	local m="$runs/fallback"
	log "4b. broken bundle falls back to A"
	new_machine "$m"
	qemu_start "$m/boot1.log" "$m/disk.img" "$m/vars.fd" \
		-drive "if=virtio,format=raw,readonly=on,file=$(stick broken "$BUILD/broken.raucb")"
	if ! qemu_wait_exit "$BOOT_TIMEOUT" || ! grep -aq 'kiosk-update: installed' "$m/boot1.log"; then
		show "$m/boot1.log"
		fail "4b. the broken bundle was not installed"
		return
	fi
	# Slot B boots, its kiosk fails five times, StartLimitAction=reboot.
	qemu_start "$m/boot2.log" "$m/disk.img" "$m/vars.fd"
	if ! qemu_wait_exit "$BOOT_TIMEOUT" || ! grep -aq 'broken on purpose' "$m/boot2.log" ||
		grep -aq "$READY" "$m/boot2.log"; then
		show "$m/boot2.log"
		fail "4b. slot B with the broken kiosk did not fail as expected"
		return
	fi
	# GRUB skips B (tried, never marked good) and boots A again.
	qemu_start "$m/boot3.log" "$m/disk.img" "$m/vars.fd"
	if qemu_wait "$m/boot3.log" "$MARKED_GOOD" "$BOOT_TIMEOUT" &&
		grep -aq 'Booting slot A' "$m/boot3.log" && grep -aq "$READY" "$m/boot3.log"; then
		pass "4b. fell back to slot A, kiosk ready"
	else
		show "$m/boot3.log"
		fail "4b. did not fall back to slot A"
	fi
	qemu_stop
}

test_container
reference_boot
test_boot_and_update
test_tamper
test_fallback

record test_s "$(elapsed "$start" "$(now)")"
"$here/figures.sh"
if [ "$failures" -ne 0 ]; then
	die "$failures boot test(s) failed"
fi
log "all boot tests passed"
