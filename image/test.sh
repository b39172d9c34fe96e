#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds the appliance (image/build.sh), checks that its root holds no demo
# or test rig, and boot-tests it:
#   1. systemd-nspawn boots the root file system: kiosk.service becomes
#      active, and a kiosk that stops feeding the watchdog is restarted;
#      without /var the kiosk does not start and the out-of-service screen
#      names the reason.
#   2. QEMU boots the disk image (OVMF with Secure Boot enforced and the
#      build's keys enrolled, swtpm, virtio-gpu) until the kiosk reports
#      ready on the serial console: on this first boot the initramfs makes
#      the data partition LUKS2 bound to the TPM, with the recovery key
#      encrypted to the town's certificate. A second disk and a USB stick
#      with the layout's PARTUUIDs and a partition named data are attached
#      and must be ignored. SysRq is off in the initramfs already.
#   3. One changed byte in root A: the boot must fail, with dm-verity's error.
#   4. A signed bundle built in this run installs into slot B from a
#      maintenance stick, the machine boots B (which unlocks /var with the
#      TPM) and marks it good; a bundle whose kiosk never starts is installed
#      the same way, its slot fails and the firmware starts A again.
#   5. Secure Boot: one firmware run with boot entries for the UKI with a
#      changed byte in its kernel, in its initramfs and in the root hash of
#      its command line, the UKI unsigned, and signed with a key the
#      firmware does not know; each must be refused, and the unchanged UKI,
#      last, must start (and refuse to go on from a disk that is no slot).
#   6. The machine of 2 and 4a with a certificate added to db (the Secure
#      Boot state changed): /var stays locked, the out-of-service screen
#      says why, the kiosk does not start; the town's private key opens the
#      recovery key from the LUKS2 header, and that key opens /var; a stick
#      with it binds /var to the new state, and the kiosk comes up.
# plus a plain Debian boot of the same packages for the boot-time ratio, and
# prints the figures (image/figures.sh). Exits non-zero on any failure and
# leaves no QEMU, swtpm or container behind.
#
# Environment: KIOSK_BIN, IMAGE_BUILD_DIR as for image/build.sh;
# IMAGE_REUSE_BUILD=1 skips the build and tests what IMAGE_BUILD_DIR holds,
# IMAGE_TESTS names the tests to run, e.g. "secure_boot tamper" (both for
# working on the tests; CI always builds and runs them all).
# Run as root on Debian 12 with the packages listed in image/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
here=image
# shellcheck source=image/lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=image/lib/qemu.sh
. "$here/lib/qemu.sh"
# shellcheck source=image/lib/uki.sh
. "$here/lib/uki.sh"

BUILD=$(realpath -m "${IMAGE_BUILD_DIR:-target/image}")
export IMAGE_BUILD_DIR=$BUILD
runs="$BUILD/runs"

# What the kiosk logs once its first frame is on screen (and it has sent
# READY=1); journald forwards it to the serial console.
READY='kiosk ready'
# What PID 1 logs once rauc-mark-good.service has finished.
MARKED_GOOD='Finished.*Mark the booted RAUC slot good'
# The initramfs's line naming the booted slot (scripts/local-top/kiosk-boot).
booted() { echo "kiosk-boot: slot $1, boot disk /dev/vda "; }
# What the out-of-service screen logs once drawn (kiosk out-of-service).
out_of_service() { echo "kiosk out of service: reason=$1"; }
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
secure_boot_vars "$runs/vars-sb.fd"

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
make_uki "$BUILD" "$BUILD/broken.roothash" "$BUILD/keys" "$BUILD/broken-uki.efi"
make_boot_partition "$BUILD/broken-uki.efi" "$BUILD/broken-efi.vfat"
"$here/make-bundle.sh" "$BUILD" "$BUILD/broken-efi.vfat" "$BUILD/broken.squashfs" "$BUILD/broken.verity" \
	"$BUILD/broken.raucb"

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
LEADER=""
# container_start LOG [NSPAWN_ARGS...]: boots the root read-only in a
# container; returns once its init runs (LEADER), non-zero if it does not.
container_start() {
	local log=$1 deadline
	shift
	LEADER=""
	systemd-nspawn --register=no --keep-unit --quiet -D "$root" --read-only \
		--private-network -b "$@" >"$log" 2>&1 &
	NSPAWN_PID=$!
	deadline=$(($(date +%s) + 60))
	while [ -z "$LEADER" ]; do
		LEADER=$(pgrep -P "$NSPAWN_PID" -x systemd || true)
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		[ -n "$LEADER" ] || sleep 0.2
	done
}
inside() { nsenter -t "$LEADER" -m -u -i -n -p -- "$@"; }
# container_stop: SIGTERM asks nspawn to shut the container down
# (systemd-nspawn(1)); SIGKILL after 30 s.
container_stop() {
	local deadline
	kill -TERM "$NSPAWN_PID" 2>/dev/null || true
	deadline=$(($(date +%s) + 30))
	while kill -0 "$NSPAWN_PID" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
	kill -KILL "$NSPAWN_PID" 2>/dev/null || true
	wait "$NSPAWN_PID" 2>/dev/null || true
	NSPAWN_PID=""
}

test_container() {
	local log="$runs/nspawn.log" deadline pid new restarts
	log "1. container smoke test"
	container_start "$log" --volatile=state || { show "$log"; fail "1. no container init"; container_stop; return; }
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
	container_stop
}

# Without /var: the same root with its /var not mounted (not --volatile),
# and the reason the signed initramfs would have written, bound into /run.
# kiosk.service must not start (its assertion fails), the out-of-service
# screen must come up with the reason, and nothing may start a rescue or
# emergency shell.
test_container_without_var() {
	local log="$runs/nspawn-no-var.log" reason="$runs/storage-unavailable" deadline
	log "1. container without /var"
	echo "the boot disk has no data partition (test)" >"$reason"
	container_start "$log" --bind-ro="$reason:/run/kiosk/storage-unavailable" ||
		{ show "$log"; fail "1. no container init"; container_stop; return; }
	deadline=$(($(date +%s) + 90))
	until inside journalctl --no-pager -b 2>/dev/null | grep -q "$(out_of_service storage-unavailable)"; do
		if ! kill -0 "$NSPAWN_PID" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
			inside systemctl status --no-pager kiosk-out-of-service@storage-unavailable.service >>"$log" 2>&1 || true
			show "$log"
			fail "1. without /var, the out-of-service screen did not come up"
			container_stop
			return
		fi
		sleep 0.5
	done
	if [ "$(inside systemctl show -P AssertResult kiosk.service)" = no ] &&
		[ "$(inside systemctl show -P ExecMainPID kiosk.service)" = 0 ] &&
		[ "$(inside systemctl show -P ActiveState kiosk-out-of-service@storage-locked.service)" = inactive ] &&
		[ "$(inside systemctl show -P ActiveState emergency.target)" = inactive ] &&
		[ "$(inside systemctl show -P ActiveState rescue.target)" = inactive ]; then
		pass "1. without /var: no kiosk, out of service (storage-unavailable), no emergency or rescue shell"
	else
		inside systemctl status --no-pager kiosk.service emergency.target rescue.target >>"$log" 2>&1 || true
		show "$log"
		fail "1. without /var, the kiosk started or a rescue or emergency target did"
	fi
	container_stop
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

# --- Disks that must be ignored ------------------------------------------------------
# attacker_disks: a second fixed disk whose only partition is named "data"
# and has the data partition's PARTUUID, and a USB stick with the boot
# partition's and the data partition's PARTUUIDs; both data partitions
# begin with the fresh-image marker, so the initramfs would set them up as
# /var if it took them. Prints the QEMU arguments that attach them.
attacker_disks() {
	local m=$1 disk stick
	disk="$m/second-disk.img"
	stick="$m/usb-stick.img"
	truncate -s 64M "$disk" "$stick"
	sfdisk -q "$disk" <<EOF
label: gpt
start=2048, size=100000, uuid=${PARTUUID[data]}, name="data"
EOF
	sfdisk -q "$stick" <<EOF
label: gpt
start=2048, size=40000, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=${PARTUUID[efi-a]}, name="efi-a"
start=43008, size=60000, uuid=${PARTUUID[data]}, name="data"
EOF
	printf '%s\n' "$DATA_UNPROVISIONED_MAGIC" | dd of="$disk" bs=512 seek=2048 conv=notrunc status=none
	printf '%s\n' "$DATA_UNPROVISIONED_MAGIC" | dd of="$stick" bs=512 seek=43008 conv=notrunc status=none
	sha256sum "$disk" "$stick" >"$m/attacker.sha256"
	echo "-drive if=virtio,format=raw,file=$disk -device qemu-xhci,id=xhci" \
		"-drive if=none,id=usbstick,format=raw,file=$stick" \
		"-device usb-storage,bus=xhci.0,drive=usbstick,removable=on"
}

# luks_tokens DISK: the token types in the LUKS2 header of DISK's data partition.
luks_tokens() {
	partition_image "$1" data "$runs/data.img"
	cryptsetup luksDump "$runs/data.img" 2>/dev/null | sed -n '/^Tokens:/,/^Digests:/p' |
		sed -nE 's/^  [0-9]+: (.*)$/\1/p' | sort | paste -sd' '
}

# --- 2. and 4a. Boot, update into B, boot B, mark good ----------------------------
test_boot_and_update() {
	local m="$runs/update" t state attackers tokens
	log "2. QEMU boot to kiosk ready; 4a. update into slot B"
	new_machine "$m"
	attackers=$(attacker_disks "$m")
	# First boot, slot A, with the stick: /var is set up, the kiosk comes up
	# (test 2), then kiosk-update.service installs the bundle and reboots
	# (QEMU exits).
	t=$(now)
	# shellcheck disable=SC2086 # one word per QEMU argument
	machine_start "$m" "$m/boot1.log" \
		-drive "if=virtio,format=raw,readonly=on,file=$(stick good "$BUILD/update.raucb")" $attackers
	if qemu_wait "$m/boot1.log" "$READY" "$BOOT_TIMEOUT"; then
		record kiosk_boot_s "$(elapsed "$t" "$(now)")"
		pass "2. kiosk ready on the serial console"
	else
		show "$m/boot1.log"
		fail "2. the kiosk did not report ready"
		qemu_stop
		return
	fi
	if grep -aq "$(booted A)" "$m/boot1.log" && grep -aq 'kiosk-storage: set up /dev/vda7' "$m/boot1.log" &&
		grep -aq 'kiosk-storage: /var mounted' "$m/boot1.log"; then
		pass "2. first boot: slot A, /var set up on the boot disk's data partition (LUKS2, TPM)"
	else
		show "$m/boot1.log"
		fail "2. the first boot did not set up /var on /dev/vda7"
	fi
	if tr -d '\r' <"$m/boot1.log" | grep -aq '^kiosk-boot: kernel.sysrq=0$'; then
		pass "2. SysRq off in the initramfs already (kernel.sysrq=0 before systemd-sysctl)"
	else
		fail "2. the initramfs saw SysRq on: $(grep -a 'kernel.sysrq=' "$m/boot1.log" | tr -d '\r')"
	fi
	if qemu_wait_exit "$BOOT_TIMEOUT" && grep -aq 'kiosk-update: installed' "$m/boot1.log"; then
		pass "4a. bundle installed from the stick, rebooting"
	else
		show "$m/boot1.log"
		fail "4a. the bundle was not installed"
		return
	fi
	# systemd-gpt-auto-generator is off (the signed command line): nothing
	# mounts a partition because of its GPT type, not even the ESP.
	if grep -Eaq 'Mounted (boot|efi|home|srv)\.mount|Activated swap' "$m/boot1.log"; then
		fail "2. a partition was mounted by its GPT type: $(grep -Ea 'Mounted (boot|efi|home|srv)\.mount|Activated swap' "$m/boot1.log" | tr -d '\r')"
	else
		pass "2. no partition mounted by its GPT type (no /boot, /efi, /home, /srv, swap)"
	fi
	if grep -aq "kiosk-boot: ignoring /dev/sd[a-z]1, which has the boot partition's PARTUUID but is on removable or USB media" \
		"$m/boot1.log" && sha256sum --quiet -c "$m/attacker.sha256"; then
		pass "2. a second disk and a USB stick with the layout's PARTUUIDs and a data partition: ignored, unchanged"
	else
		show "$m/boot1.log"
		sha256sum -c "$m/attacker.sha256" >&2 || true
		fail "2. the attached disks were not ignored (or the USB stick was not seen)"
	fi
	tokens=$(luks_tokens "$m/disk.img")
	if [ "$tokens" = "kiosk-recovery systemd-tpm2" ]; then
		pass "2. the data partition is LUKS2 with a TPM2 and a recovery token"
	else
		fail "2. the data partition's LUKS2 tokens are '$tokens'"
	fi
	state=$(boot_entries "$m/vars.fd")
	# Second boot, no stick: the firmware starts B once (BootNext); once the
	# kiosk is up, B is marked good, then QEMU is stopped.
	machine_start "$m" "$m/boot2.log"
	if qemu_wait "$m/boot2.log" "$MARKED_GOOD" "$BOOT_TIMEOUT" &&
		grep -aq "$READY" "$m/boot2.log"; then
		qemu_stop
	else
		show "$m/boot2.log"
		fail "4a. slot B did not come up and get marked good"
		qemu_stop
		return
	fi
	if grep -aq "$(booted B)" "$m/boot2.log" && grep -aq 'trying slot B once' "$m/boot2.log" &&
		grep -aq 'kiosk-storage: unlocked /dev/vda7 with the TPM' "$m/boot2.log" &&
		[ "$(first_in_boot_order "$m/vars.fd")" = B ]; then
		pass "4a. booted slot B once, /var unlocked by the TPM, B marked good (first in BootOrder)"
	else
		show "$m/boot2.log"
		fail "4a. slot B not booted as a trial, unlocked and marked good: before $state, now $(boot_entries "$m/vars.fd")"
	fi
}

# first_in_boot_order VARS: the label of the first entry in BootOrder.
first_in_boot_order() {
	local entries first
	entries=$(boot_entries "$1")
	first=$(sed -nE 's/.*BootOrder.*: *([0-9A-Fa-f]{4}).*/\1/p' <<<"$entries" | head -1)
	sed -nE "s/.*Boot$first.*\"([^\"]*)\".*/\1/p" <<<"$entries" | head -1
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
	flip_byte "$m/disk.img" "$offset"
	machine_start "$m" "$m/boot.log"
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

# flip_byte FILE OFFSET: changes one bit of the byte at OFFSET.
flip_byte() {
	local byte
	byte=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf '%b' "\\$(printf '%03o' $((byte ^ 0x01)))" |
		dd of="$1" bs=1 seek="$2" count=1 conv=notrunc status=none
}

# --- 4b. A broken update falls back to A --------------------------------------------
test_fallback() {
	local m="$runs/fallback"
	log "4b. broken bundle falls back to A"
	new_machine "$m"
	machine_start "$m" "$m/boot1.log" \
		-drive "if=virtio,format=raw,readonly=on,file=$(stick broken "$BUILD/broken.raucb")"
	# Up to the kiosk, then the install and the reboot: each within a bound
	# of its own, as in test 2 (the first boot also sets up /var).
	qemu_wait "$m/boot1.log" "$READY" "$BOOT_TIMEOUT" || true
	if ! qemu_wait_exit "$BOOT_TIMEOUT" || ! grep -aq 'kiosk-update: installed' "$m/boot1.log"; then
		show "$m/boot1.log"
		fail "4b. the broken bundle was not installed"
		return
	fi
	# Slot B boots once, its kiosk fails five times, StartLimitAction=reboot.
	machine_start "$m" "$m/boot2.log"
	if ! qemu_wait_exit "$BOOT_TIMEOUT" || ! grep -aq 'broken on purpose' "$m/boot2.log" ||
		! grep -aq "$(booted B)" "$m/boot2.log" || grep -aq "$READY" "$m/boot2.log"; then
		show "$m/boot2.log"
		fail "4b. slot B with the broken kiosk did not fail as expected"
		return
	fi
	# The firmware's BootOrder never had B: it starts A again.
	machine_start "$m" "$m/boot3.log"
	if qemu_wait "$m/boot3.log" "$MARKED_GOOD" "$BOOT_TIMEOUT" &&
		grep -aq "$(booted A)" "$m/boot3.log" && grep -aq "$READY" "$m/boot3.log"; then
		pass "4b. fell back to slot A, kiosk ready"
	else
		show "$m/boot3.log"
		fail "4b. did not fall back to slot A"
	fi
	qemu_stop
}

# --- 5. Secure Boot refuses what it did not sign --------------------------------------
# A FAT disk with the UKI six times: with one byte changed in the kernel
# (.linux), in the initramfs (.initrd) and in the root hash on the command
# line (.cmdline), unsigned, signed by a key that is not in db, and as
# built. A boot entry for each, in that order, and no other disk: the
# firmware must refuse the first five (Authenticode hash or signer not in
# db), each with a message on the serial console, and start the sixth,
# whose initramfs then refuses to go on: the file is on no slot's boot
# partition (a partition-less FAT disk, so the stub can name none).
test_secure_boot() {
	local m="$runs/secureboot" off size name entries=() foreign="$runs/foreign" disk
	log "5. Secure Boot refusals"
	mkdir -p "$m" "$foreign"
	cp "$BUILD/uki.efi" "$m/kernel.efi"
	read -r off size < <(section_offset "$BUILD/uki.efi" .linux)
	flip_byte "$m/kernel.efi" $((off + size / 2))
	cp "$BUILD/uki.efi" "$m/initrd.efi"
	read -r off size < <(section_offset "$BUILD/uki.efi" .initrd)
	flip_byte "$m/initrd.efi" $((off + size / 2))
	# The root hash's first digit, changed to another hex digit.
	cp "$BUILD/uki.efi" "$m/cmdline.efi"
	off=$(grep -abo 'kiosk.roothash=' "$BUILD/uki.efi" | head -1 | cut -d: -f1)
	off=$((off + ${#ROOTHASH_KEY}))
	if [ "$(dd if="$m/cmdline.efi" bs=1 skip="$off" count=1 status=none)" = 0 ]; then
		printf 1 | dd of="$m/cmdline.efi" bs=1 seek="$off" count=1 conv=notrunc status=none
	else
		printf 0 | dd of="$m/cmdline.efi" bs=1 seek="$off" count=1 conv=notrunc status=none
	fi
	cp "$BUILD/uki.efi.unsigned" "$m/unsigned.efi"
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -keyout "$foreign/db.key" \
		-out "$foreign/db.pem" -subj "/CN=a key the firmware does not know" 2>/dev/null
	sbsign --key "$foreign/db.key" --cert "$foreign/db.pem" --output "$m/foreign.efi" \
		"$BUILD/uki.efi.unsigned" 2>/dev/null
	cp "$BUILD/uki.efi" "$m/good.efi"
	disk="$m/files.img"
	rm -f "$disk"
	mkfs.vfat -C -n TAMPERED "$disk" $((($(stat -c %s "$BUILD/uki.efi") * 6 / 1024) + 16384)) >/dev/null
	for name in kernel initrd cmdline unsigned foreign good; do
		mcopy -i "$disk" "$m/$name.efi" "::$name.efi"
		entries+=(--append-boot-filepath "\\$name.efi")
	done
	"$VIRT_FW_VARS" --input "$runs/vars-sb.fd" --output "$m/vars.fd" "${entries[@]}" >/dev/null 2>&1 ||
		{ fail "5. virt-fw-vars could not add the boot entries"; return; }
	qemu_start "$m/boot.log" "$disk" "$m/vars.fd"
	if ! qemu_wait "$m/boot.log" "kiosk-boot: the EFI stub did not say which partition" "$BOOT_TIMEOUT" ||
		! grep -Eaq "starting Boot[0-9A-F]{4} \"file good.efi\"" "$m/boot.log"; then
		qemu_stop
		show "$m/boot.log"
		fail "5. the unchanged UKI did not start after the refused ones"
		return
	fi
	qemu_stop
	for name in kernel initrd cmdline unsigned foreign; do
		if grep -Eaq "failed to load Boot[0-9A-F]{4} \"file $name.efi\".*(Access Denied|Security Violation)" "$m/boot.log"; then
			pass "5. Secure Boot refused the UKI $(what_changed "$name")"
		else
			show "$m/boot.log"
			fail "5. the UKI $(what_changed "$name") was not refused"
		fi
	done
	if grep -Eaq "failed to load Boot[0-9A-F]{4} \"file good.efi\"" "$m/boot.log"; then
		fail "5. the firmware refused the unchanged UKI too"
	else
		pass "5. the unchanged UKI started, and its initramfs refused a disk that is no slot's"
	fi
}
ROOTHASH_KEY=kiosk.roothash=

what_changed() {
	case $1 in
	kernel) echo "with a changed byte in the kernel" ;;
	initrd) echo "with a changed byte in the initramfs" ;;
	cmdline) echo "with a changed root hash on its command line" ;;
	unsigned) echo "without a signature" ;;
	foreign) echo "signed by a key not in db" ;;
	esac
}

# --- 6. Secure Boot state changed: /var stays locked; the town recovers it ---------
test_locked() {
	local m="$runs/update" other="$runs/other-db" key wrong
	log "6. Secure Boot state changed"
	if [ ! -f "$m/vars.fd" ] || ! grep -aq "$MARKED_GOOD" "$m/boot2.log" 2>/dev/null; then
		fail "6. needs the machine of test 4a"
		return
	fi
	mkdir -p "$other"
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -keyout "$other/db.key" \
		-out "$other/db.pem" -subj "/CN=another db certificate" 2>/dev/null
	"$VIRT_FW_VARS" --inplace "$m/vars.fd" --add-db "$SB_OWNER" "$other/db.pem" >/dev/null 2>&1 ||
		{ fail "6. virt-fw-vars could not change db"; return; }
	machine_start "$m" "$m/boot3.log"
	if qemu_wait "$m/boot3.log" "$(out_of_service storage-locked)|$READY" "$BOOT_TIMEOUT" &&
		grep -aq "$(out_of_service storage-locked)" "$m/boot3.log"; then
		# The kiosk must not come up later either.
		sleep 10
		qemu_stop
		if grep -aq "$READY" "$m/boot3.log" || ! grep -aq 'kiosk-storage: storage-locked: the TPM does not release' "$m/boot3.log"; then
			show "$m/boot3.log"
			fail "6. locked /var, but the kiosk started or the reason is missing"
		else
			pass "6. db changed: /var locked, out-of-service screen (storage-locked), no kiosk"
		fi
	else
		qemu_stop
		show "$m/boot3.log"
		fail "6. with db changed, the terminal did not show storage-locked"
		return
	fi
	# The town's recovery: the envelope in the LUKS2 header, opened with
	# the town's private key (openssl cms, an independent CMS reader), is
	# a key that opens the volume; a wrong key does not.
	partition_image "$m/disk.img" data "$runs/data.img"
	key=$(cryptsetup token export --token-id "$(recovery_token "$runs/data.img")" "$runs/data.img" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["cms"])' | base64 -d |
		openssl cms -decrypt -inform DER -recip "$BUILD/keys/recovery.pem" -inkey "$BUILD/keys/recovery.key")
	case $key in *0) wrong=${key%?}1 ;; *) wrong=${key%?}0 ;; esac
	if [ "${#key}" = 64 ] && printf '%s' "$key" | cryptsetup open --test-passphrase --key-file - "$runs/data.img" &&
		! printf '%s' "$wrong" | cryptsetup open --test-passphrase --key-file - "$runs/data.img" 2>/dev/null; then
		pass "6. the town's private key recovers the recovery key, and it opens /var without the TPM"
	else
		fail "6. the recovery key from the LUKS2 header does not open /var"
		return
	fi
	# On the terminal: a stick labelled KIOSKUNLOCK with that key lets
	# the initramfs bind /var to the present Secure Boot state and replace
	# the used recovery key by a new one, in a new envelope; the kiosk
	# comes up, and the key on the stick no longer opens /var.
	local stick="$runs/recovery-stick.img" new
	rm -f "$stick"
	mkfs.vfat -C -n KIOSKUNLOCK "$stick" 2048 >/dev/null
	printf '%s' "$key" >"$runs/recovery-key"
	mcopy -i "$stick" "$runs/recovery-key" ::recovery-key
	rm -f "$runs/recovery-key"
	machine_start "$m" "$m/boot4.log" -drive "if=virtio,format=raw,readonly=on,file=$stick"
	if qemu_wait "$m/boot4.log" "$READY|$(out_of_service storage-locked)" "$BOOT_TIMEOUT" &&
		grep -aq "$READY" "$m/boot4.log" &&
		grep -aq 'kiosk-storage: recovered /dev/vda7 with the town' "$m/boot4.log"; then
		qemu_stop
	else
		qemu_stop
		show "$m/boot4.log"
		fail "6. the recovery stick did not bring /var back"
		return
	fi
	partition_image "$m/disk.img" data "$runs/data.img"
	new=$(cryptsetup token export --token-id "$(recovery_token "$runs/data.img")" "$runs/data.img" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["cms"])' | base64 -d |
		openssl cms -decrypt -inform DER -recip "$BUILD/keys/recovery.pem" -inkey "$BUILD/keys/recovery.key")
	if [ "${#new}" = 64 ] && [ "$new" != "$key" ] &&
		printf '%s' "$new" | cryptsetup open --test-passphrase --key-file - "$runs/data.img" &&
		! printf '%s' "$key" | cryptsetup open --test-passphrase --key-file - "$runs/data.img" 2>/dev/null &&
		[ "$(luks_tokens "$m/disk.img")" = "kiosk-recovery systemd-tpm2" ]; then
		pass "6. the recovery stick re-bound /var to the TPM and kiosk came up; the used key is void, a new one in the envelope"
	else
		fail "6. after recovery, the header's envelope, key slots or tokens are not as they should be"
	fi
}

# recovery_token IMAGE: the id of the kiosk-recovery token in IMAGE's LUKS2 header.
recovery_token() {
	cryptsetup luksDump "$1" | sed -nE 's/^  ([0-9]+): kiosk-recovery$/\1/p' | head -1
}

for t in ${IMAGE_TESTS:-container container_without_var reference secure_boot boot_and_update locked tamper fallback}; do
	case $t in
	reference) reference_boot ;;
	*) "test_$t" ;;
	esac
done

record test_s "$(elapsed "$start" "$(now)")"
"$here/figures.sh"
if [ "$failures" -ne 0 ]; then
	die "$failures boot test(s) failed"
fi
log "all boot tests passed"
