# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=bash
#
# Booting the image under QEMU for image/test.sh (sourced, not run).
#
# No KVM on CI: QEMU emulates the CPU (TCG, multi-threaded over -smp 2).
# UEFI firmware from Debian's ovmf package, with a writable copy of its
# variable store per disk so that each test machine keeps its own boot
# entries across its reboots. -no-reboot turns every guest reboot (RAUC's
# reboot into the new slot, panic=-1 after a failed boot) into QEMU
# exiting, so the test sees each boot separately and decides what to
# attach for the next one. The serial port goes to a log file: the kernel
# console and journald's forwarding (systemd/journald-kiosk.conf) write the
# markers the tests wait for.

OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd

QEMU_PID=""

# qemu_start LOG DISK VARS [EXTRA_QEMU_ARGS...]: boots DISK in the background.
# A DRM-capable virtual GPU (virtio-gpu: the virtio_gpu kernel driver gives
# the kiosk /dev/dri/card0, and OVMF draws on it too), no display window.
qemu_start() {
	local log=$1 disk=$2 vars=$3
	shift 3
	: >"$log"
	qemu-system-x86_64 -machine q35 -accel tcg,thread=multi -smp 2 -m 1024 \
		-nodefaults -no-reboot -display none -device virtio-gpu-pci \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="$OVMF_CODE" \
		-drive if=pflash,format=raw,unit=1,file="$vars" \
		-drive if=virtio,format=raw,file="$disk" \
		-serial file:"$log" -nic none "$@" 2>"$log.qemu" &
	QEMU_PID=$!
}

# qemu_stop: ends the running QEMU (if any) and waits for it.
qemu_stop() {
	if [ -n "$QEMU_PID" ]; then
		kill "$QEMU_PID" 2>/dev/null || true
		wait "$QEMU_PID" 2>/dev/null || true
		QEMU_PID=""
	fi
}

# qemu_wait LOG PATTERN TIMEOUT: polls the serial log until PATTERN (an
# extended regular expression) shows up (returns 0), QEMU exits (1) or
# TIMEOUT seconds pass (2). QEMU keeps running after a match.
qemu_wait() {
	local log=$1 pattern=$2 deadline=$(($(date +%s) + $3))
	while :; do
		if grep -Eaq -- "$pattern" "$log"; then return 0; fi
		if ! kill -0 "$QEMU_PID" 2>/dev/null; then
			wait "$QEMU_PID" 2>/dev/null || true
			QEMU_PID=""
			# The last lines may have landed after the check above.
			if grep -Eaq -- "$pattern" "$log"; then return 0; fi
			return 1
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then return 2; fi
		sleep 0.5
	done
}

# qemu_wait_exit TIMEOUT: waits for QEMU to exit by itself (0) or TIMEOUT
# seconds (2, QEMU is then killed).
qemu_wait_exit() {
	local deadline=$(($(date +%s) + $1))
	while kill -0 "$QEMU_PID" 2>/dev/null; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			qemu_stop
			return 2
		fi
		sleep 0.5
	done
	wait "$QEMU_PID" 2>/dev/null || true
	QEMU_PID=""
	return 0
}

# new_machine DIR: a fresh copy of the built disk (sparse, so cheap) and of
# the firmware's variable store, as a separate test machine.
new_machine() {
	mkdir -p "$1"
	cp --sparse=always "$BUILD/disk.img" "$1/disk.img"
	cp "$OVMF_VARS" "$1/vars.fd"
}

# partition_offset DISK NAME: byte offset of the GPT partition named NAME
# (sfdisk --dump lists "start=" in 512-byte sectors for a disk image).
partition_offset() {
	local start
	start=$(sfdisk --dump "$1" | grep -F "name=\"$2\"" | sed -E 's/.*start= *([0-9]+),.*/\1/')
	[ -n "$start" ] || die "no partition $2 in $1"
	echo $((start * 512))
}

# grubenv_of DISK: the boot state in the ESP's grubenv, read with mtools.
grubenv_of() {
	mtype -i "$1@@$(partition_offset "$1" esp)" ::EFI/BOOT/grubenv | tr -d '#'
}
