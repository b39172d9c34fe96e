# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=bash
#
# Booting the image under QEMU for image/test.sh (sourced, not run).
#
# No KVM on CI: QEMU emulates the CPU (TCG, multi-threaded over -smp 2).
# UEFI firmware from Debian's ovmf package in its Secure Boot build, which
# keeps the variable store in SMM so that the guest cannot write db or PK
# behind the firmware's back (README.Debian of ovmf), with a writable copy
# of the store per disk so that each test machine keeps its own keys and
# boot entries across its reboots. Each appliance machine has its own
# software TPM (swtpm), whose state also lasts across its reboots. -no-reboot turns every guest reboot (RAUC's
# reboot into the new slot, panic=-1 after a failed boot) into QEMU
# exiting, so the test sees each boot separately and decides what to
# attach for the next one. The serial port goes to a log file: the kernel
# console and journald's forwarding (systemd/journald-kiosk.conf) write the
# markers the tests wait for.

OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
VIRT_FW_VARS=/opt/virt-firmware/bin/virt-fw-vars
# The owner GUID of the test keys in the firmware's signature lists.
SB_OWNER=7a2b0d0e-5d52-4ad4-8b1f-1bc1d4c8f3a1

QEMU_PID=""
TPM_DIR=""

# qemu_start LOG DISK VARS [EXTRA_QEMU_ARGS...]: boots DISK in the background.
# A DRM-capable virtual GPU (virtio-gpu: the virtio_gpu kernel driver gives
# the kiosk /dev/dri/card0, and OVMF draws on it too), no display window.
qemu_start() {
	local log=$1 disk=$2 vars=$3
	shift 3
	: >"$log"
	qemu-system-x86_64 -machine q35,smm=on -accel tcg,thread=multi -smp 2 -m 1024 \
		-global driver=cfi.pflash01,property=secure,value=on \
		-nodefaults -no-reboot -display none -device virtio-gpu-pci \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="$OVMF_CODE" \
		-drive if=pflash,format=raw,unit=1,file="$vars" \
		-drive if=virtio,format=raw,file="$disk" \
		-serial file:"$log" -nic none "$@" 2>"$log.qemu" &
	QEMU_PID=$!
}

# machine_start MACHINE LOG [EXTRA_QEMU_ARGS...]: boots the test machine in
# directory MACHINE (new_machine) with its TPM.
machine_start() {
	local m=$1 log=$2
	shift 2
	tpm_start "$m/tpm"
	qemu_start "$log" "$m/disk.img" "$m/vars.fd" \
		-chardev socket,id=chrtpm,path="$m/tpm/sock" -tpmdev emulator,id=tpm0,chardev=chrtpm \
		-device tpm-tis,tpmdev=tpm0 "$@"
}

# tpm_start DIR: a TPM 2.0 (swtpm(8)) with its state in DIR, for one QEMU
# run: --terminate ends it when QEMU closes the connection.
tpm_start() {
	local deadline
	mkdir -p "$1"
	rm -f "$1/sock" "$1/pid"
	swtpm socket --tpm2 --tpmstate dir="$1" --ctrl type=unixio,path="$1/sock" \
		--terminate --daemon --pid file="$1/pid" --log file="$1/log" ||
		die "swtpm did not start (log: $1/log)"
	TPM_DIR=$1
	deadline=$(($(date +%s) + 10))
	until [ -S "$1/sock" ]; do
		[ "$(date +%s)" -lt "$deadline" ] || die "swtpm made no socket in $1"
		sleep 0.1
	done
}

# tpm_stop: ends the TPM of the last machine_start if it still runs.
tpm_stop() {
	local pid
	if [ -n "$TPM_DIR" ] && [ -f "$TPM_DIR/pid" ]; then
		pid=$(cat "$TPM_DIR/pid")
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
		fi
	fi
	TPM_DIR=""
}

# qemu_stop: ends the running QEMU (if any) and waits for it, and its TPM.
qemu_stop() {
	if [ -n "$QEMU_PID" ]; then
		kill "$QEMU_PID" 2>/dev/null || true
		wait "$QEMU_PID" 2>/dev/null || true
		QEMU_PID=""
	fi
	tpm_stop
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
			tpm_stop
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
	tpm_stop
	return 0
}

# secure_boot_vars OUT: OVMF's empty variable store with the build's test
# keys enrolled (PK, KEK, db) and Secure Boot on, as a town sets up its
# terminals' firmware (docs/SECURITY.md).
secure_boot_vars() {
	"$VIRT_FW_VARS" --input "$OVMF_VARS" --output "$1" \
		--set-pk "$SB_OWNER" "$BUILD/keys/pk.pem" --add-kek "$SB_OWNER" "$BUILD/keys/kek.pem" \
		--add-db "$SB_OWNER" "$BUILD/keys/db.pem" --secure-boot >/dev/null 2>&1 ||
		die "virt-fw-vars could not enrol the Secure Boot keys"
}

# new_machine DIR: a fresh copy of the built disk (sparse, so cheap), a
# variable store with Secure Boot on and no boot entries, and a TPM that
# was never used: a terminal as it leaves the town's workshop.
new_machine() {
	mkdir -p "$1"
	cp --sparse=always "$BUILD/disk.img" "$1/disk.img"
	cp "$BUILD/runs/vars-sb.fd" "$1/vars.fd"
	rm -rf "$1/tpm"
}

# partition_offset DISK NAME: byte offset of the GPT partition named NAME
# (sfdisk --dump lists "start=" in 512-byte sectors for a disk image).
partition_offset() {
	local start
	start=$(sfdisk --dump "$1" | grep -F "name=\"$2\"" | sed -E 's/.*start= *([0-9]+),.*/\1/')
	[ -n "$start" ] || die "no partition $2 in $1"
	echo $((start * 512))
}

# boot_entries VARS: the variable store's boot entries and order as
# virt-fw-vars prints them.
boot_entries() {
	"$VIRT_FW_VARS" --input "$1" --print 2>/dev/null | grep -E 'Boot(Order|Next|[0-9A-F]{4})'
}

# partition_image DISK NAME OUT: copies the partition NAME of DISK to OUT.
partition_image() {
	local start size
	read -r start size < <(sfdisk --dump "$1" | grep -F "name=\"$2\"" |
		sed -E 's/.*start= *([0-9]+), *size= *([0-9]+),.*/\1 \2/')
	[ -n "$start" ] || die "no partition $2 in $1"
	dd if="$1" of="$3" bs=512 skip="$start" count="$size" status=none
}
