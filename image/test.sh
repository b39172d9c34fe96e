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
#      the same way, its slot fails and the firmware starts A again, where
#      an older signed bundle is refused (4c).
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
#   7. In slot B of test 4a, Ctrl+Alt+Backspace and Ctrl+Alt+Delete from a
#      PS/2 and a USB keyboard neither end the kiosk nor reboot.
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

# --- No way out or down by keyboard (#16, part 3), in the built root -----------
# No shell, interpreter, login, user or namespace changer anywhere in the
# root (build.sh removes them; see removed.txt), rescue and emergency mode
# masked, logind ignoring the power, reboot, suspend and hibernate keys.
# The container test checks the running logind and masks as well.
FORBIDDEN=(sh sh.shared bash rbash dash ash zsh ksh mksh csh tcsh fish busybox
	su sudo login agetty getty sulogin runuser setpriv nsenter unshare systemd-run
	perl 'perl5*' python python2 python3 'python3.*')
test_no_way_out() {
	local root="$BUILD/rootfs" expr=() name found unit state key value before=$failures
	log "no way out in the root"
	for name in "${FORBIDDEN[@]}"; do expr+=(-o -name "$name"); done
	found=$(find "$root" \( -type f -o -type l \) \( "${expr[@]:1}" \) -printf '/%P\n' | sort)
	if [ -z "$found" ]; then
		pass "the root holds no shell, interpreter, login or namespace tool"
	else
		fail "the root holds programs that must not be there: $(paste -sd' ' <<<"$found")"
	fi
	for unit in rescue.target rescue.service emergency.target emergency.service \
		debug-shell.service ctrl-alt-del.target getty.target; do
		state=$(systemctl --root="$root" is-enabled "$unit" 2>/dev/null || true)
		[ "$state" = masked ] || fail "$unit is ${state:-unknown} in the root, not masked"
	done
	for key in HandlePowerKey HandleRebootKey HandleSuspendKey HandleHibernateKey \
		HandlePowerKeyLongPress HandleRebootKeyLongPress HandleSuspendKeyLongPress \
		HandleHibernateKeyLongPress; do
		# The last assignment in logind.conf and its drop-ins counts.
		value=$(systemd-analyze --root="$root" cat-config systemd/logind.conf 2>/dev/null |
			sed -n "s/^$key=//p" | tail -1)
		[ "$value" = ignore ] || fail "logind's $key is '${value:-its default}' in the root, not ignore"
	done
	[ "$failures" -ne "$before" ] ||
		pass "rescue, emergency, debug shell, Ctrl-Alt-Del and gettys masked; logind ignores the keys"
}
test_no_way_out

# A bundle that installs fine but whose kiosk never starts: the same root
# with /usr/bin/kiosk replaced by a program that exits at once (false: the
# root has no shell for a script). Its slot never reaches
# boot-complete.target, so it is never marked good.
BROKEN='kiosk.service: Main process exited, code=exited, status=1/FAILURE'
log "broken bundle"
root="$BUILD/rootfs"
mv "$root/usr/bin/kiosk" "$BUILD/kiosk.good"
cp "$root/usr/bin/false" "$root/usr/bin/kiosk"
mksquashfs "$root" "$BUILD/broken.squashfs" "${ROOT_SQUASHFS_OPTIONS[@]}"
mv "$BUILD/kiosk.good" "$root/usr/bin/kiosk"
veritysetup format "$BUILD/broken.squashfs" "$BUILD/broken.verity" \
	--root-hash-file="$BUILD/broken.roothash" >/dev/null
make_uki "$BUILD" "$BUILD/broken.roothash" "$BUILD/keys" "$BUILD/broken-uki.efi"
make_boot_partition "$BUILD/broken-uki.efi" "$BUILD/broken-efi.vfat"
"$here/make-bundle.sh" "$BUILD" "$BUILD/broken-efi.vfat" "$BUILD/broken.squashfs" "$BUILD/broken.verity" \
	"$BUILD/broken.raucb"

# The keyboard bundle (test 7): this build's root with a test appliance.toml
# whose [input] allow lists QEMU's USB keyboard and nothing else, so that the
# kiosk takes its keys and ignores QEMU's PS/2 keyboard. The product's
# appliance.toml has no [input] section (touch screens only), and the
# configuration is in the read-only root, so a test that needs a keyboard
# the kiosk listens to needs a root of its own. Test 4a installs it.
TEST_KEYBOARD_ID=0627:0001
log "keyboard bundle"
config="$root/etc/kiosk/appliance.toml"
sed "s/^\[staff\]\$/[input]\nallow = [\"$TEST_KEYBOARD_ID\"]\n\n[staff]/" "$config" >"$BUILD/appliance.keyboard.toml"
grep -qx "allow = \[\"$TEST_KEYBOARD_ID\"\]" "$BUILD/appliance.keyboard.toml" ||
	die "cannot add [input] to $config: it has no [staff] section to put it before"
mv "$config" "$BUILD/appliance.toml.good"
cp "$BUILD/appliance.keyboard.toml" "$config"
mksquashfs "$root" "$BUILD/keyboard.squashfs" "${ROOT_SQUASHFS_OPTIONS[@]}"
mv "$BUILD/appliance.toml.good" "$config"
veritysetup format "$BUILD/keyboard.squashfs" "$BUILD/keyboard.verity" \
	--root-hash-file="$BUILD/keyboard.roothash" >/dev/null
make_uki "$BUILD" "$BUILD/keyboard.roothash" "$BUILD/keys" "$BUILD/keyboard-uki.efi"
make_boot_partition "$BUILD/keyboard-uki.efi" "$BUILD/keyboard-efi.vfat"
"$here/make-bundle.sh" "$BUILD" "$BUILD/keyboard-efi.vfat" "$BUILD/keyboard.squashfs" "$BUILD/keyboard.verity" \
	"$BUILD/keyboard.raucb"

# An older bundle, signed like any other: this build's root under a version
# older than any build's (build.sh's versions are the UTC time of the
# build). RAUC's pre-install handler must refuse it (test 4c).
OLD_VERSION=2000.01.01.000000
REFUSED="rauc-pre-install: refused: the bundle's version $OLD_VERSION is older than the running system's"
log "old bundle"
"$here/make-bundle.sh" "$BUILD" "$BUILD/efi.vfat" "$BUILD/root.squashfs" "$BUILD/root.verity" \
	"$BUILD/old.raucb" "$OLD_VERSION"

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
	# The booted slot, which the signed initramfs would have written for
	# rauc.service (systemd/rauc-boot-slot.conf).
	echo KIOSK_SLOT=A >"$runs/boot.env"
	container_start "$log" --volatile=state --bind-ro="$runs/boot.env:/run/kiosk/boot.env" ||
		{ show "$log"; fail "1. no container init"; container_stop; return; }
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
	test_container_services "$LEADER"
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

# --- 1b. The services around the kiosk, in the container (#16, parts 3 and 6) -------
# host_pid LEADER PID: the host's PID of process PID of the container whose
# init is LEADER (from NSpid in proc(5)).
host_pid() {
	local p ns
	ns=$(readlink "/proc/$1/ns/pid")
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] || continue
		if [ "$(awk '/^NSpid:/ { print $NF }' "$p/status" 2>/dev/null)" = "$2" ]; then
			echo "${p#/proc/}"
			return 0
		fi
	done
	return 1
}

# pcsc_list SOCKET: asks the pcscd behind SOCKET for its readers through
# the host's libpcsclite (PCSCLITE_CSOCK_NAME picks the socket) and prints
# the two PC/SC return codes, e.g. "0x0 0x8010002e" (no readers).
pcsc_list() {
	PCSCLITE_CSOCK_NAME=$1 python3 -c '
import ctypes
lib = ctypes.CDLL("libpcsclite.so.1")
lib.SCardEstablishContext.restype = lib.SCardListReaders.restype = ctypes.c_long
context, size = ctypes.c_long(), ctypes.c_ulong()
established = lib.SCardEstablishContext(ctypes.c_ulong(2), None, None, ctypes.byref(context))
listed = lib.SCardListReaders(context, None, None, ctypes.byref(size))
print("%#x %#x" % (established & 0xffffffff, listed & 0xffffffff))'
}

# The running container: logind ignores the keys, rescue and emergency mode
# are masked; the kiosk cannot reach the system bus; on the bus an
# unprivileged user (nobody; the kiosk's own dynamic user is not even let
# on, the image has no NSS module for it) may read RAUC's status but not
# install, mark or inspect, while root may; pcscd and rauc start with their
# drop-ins, and pcscd answers a real PC/SC client on its socket.
test_container_services() {
	local leader=$1 before=$failures key value kiosk call reply pcsc unit
	in_container() { nsenter -t "$leader" -m -u -i -n -p "$@"; }
	as_nobody() { in_container -S 65534 -G 65534 -- busctl --system "$@" 2>&1 || true; }
	for key in HandlePowerKey HandleRebootKey HandleSuspendKey HandleHibernateKey; do
		value=$(in_container -- busctl get-property org.freedesktop.login1 /org/freedesktop/login1 \
			org.freedesktop.login1.Manager "$key" 2>&1 || true)
		[ "$value" = 's "ignore"' ] || fail "1b. the container's logind has $key $value, not ignore"
	done
	for unit in rescue.target emergency.target; do
		value=$(in_container -- systemctl show -P LoadState "$unit" || true)
		[ "$value" = masked ] || fail "1b. $unit is $value in the container, not masked"
	done
	kiosk=$(host_pid "$leader" "$(in_container -- systemctl show -P MainPID kiosk.service)") ||
		{ fail "1b. no kiosk process in the container"; return; }
	if ! in_container -- test -S /run/dbus/system_bus_socket; then
		fail "1b. the container has no system bus"
	elif nsenter -t "$kiosk" -m -- test -e /run/dbus/system_bus_socket; then
		fail "1b. the kiosk's unit can see the system bus socket"
	fi
	for call in "InstallBundle sa{sv} /run/none.raucb 0" "Install s /run/none.raucb" \
		"Mark ss good booted" "Info s /run/none.raucb"; do
		# shellcheck disable=SC2086 # the method and its arguments, split
		reply=$(as_nobody call de.pengutronix.rauc / de.pengutronix.rauc.Installer $call)
		[[ $reply == *"Access denied"* ]] || fail "1b. nobody may call RAUC's ${call%% *}: $reply"
	done
	reply=$(as_nobody get-property de.pengutronix.rauc / de.pengutronix.rauc.Installer Operation)
	[ "$reply" = 's "idle"' ] || fail "1b. nobody cannot read RAUC's Operation: $reply"
	reply=$(in_container -- busctl --system call de.pengutronix.rauc / de.pengutronix.rauc.Installer \
		InstallBundle 'sa{sv}' /run/none.raucb 0 2>&1) || fail "1b. root cannot call RAUC's InstallBundle: $reply"
	pcsc=$(pcsc_list "/proc/$leader/root/run/pcscd/pcscd.comm" 2>&1 || true)
	[ "$pcsc" = "0x0 0x8010002e" ] ||
		fail "1b. pcscd did not answer with its (empty) reader list: $pcsc (0x8010001d: no service)"
	for unit in pcscd.service rauc.service; do
		value="$(in_container -- systemctl show -P ActiveState "$unit" || true)"
		value+=" $(in_container -- systemctl show -P DropInPaths "$unit" || true)"
		[[ $value == active* && $value == *" /etc/systemd/system/$unit.d/kiosk.conf"* ]] ||
			fail "1b. $unit is not active with its drop-in: $value"
	done
	[ "$failures" -ne "$before" ] || pass "1b. logind ignores the keys, rescue/emergency masked; the kiosk has no bus;" \
		"RAUC's Install/Mark/Info for root only; pcscd (readers: none) and rauc hardened and running"
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
	echo "-drive if=virtio,format=raw,file=$disk -device qemu-xhci,id=xhci,addr=0x10" \
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
	# (QEMU exits). The bundle is the keyboard bundle, this build's root with
	# the test input configuration, for test 7 in slot B.
	t=$(now)
	# shellcheck disable=SC2086 # one word per QEMU argument
	machine_start "$m" "$m/boot1.log" \
		-drive "if=virtio,format=raw,readonly=on,file=$(stick keyboard "$BUILD/keyboard.raucb")" $attackers
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
	# Unchanged, and /var on the boot disk (above): neither was taken. Under
	# emulation the USB stick may enumerate only after the initramfs looked
	# (usb-storage waits a second before it scans); when it was there in
	# time, the initramfs must have said why it passed it over.
	if sha256sum --quiet -c "$m/attacker.sha256"; then
		pass "2. a second disk and a USB stick with the layout's PARTUUIDs and a data partition: ignored, unchanged"
	else
		show "$m/boot1.log"
		sha256sum -c "$m/attacker.sha256" >&2 || true
		fail "2. the attached disks were written to"
	fi
	if grep -aq "kiosk-boot: ignoring /dev/sd[a-z]1, which has the boot partition's PARTUUID but is on removable or USB media" \
		"$m/boot1.log"; then
		pass "2. the initramfs saw the USB stick's copy of the boot partition and refused it as removable"
	else
		log "2. the USB stick enumerated after the initramfs looked for the boot partition"
	fi
	tokens=$(luks_tokens "$m/disk.img")
	if [ "$tokens" = "kiosk-recovery systemd-tpm2" ]; then
		pass "2. the data partition is LUKS2 with a TPM2 and a recovery token"
	else
		fail "2. the data partition's LUKS2 tokens are '$tokens'"
	fi
	state=$(boot_entries "$m/vars.fd")
	# Second boot, no stick: the firmware starts B once (BootNext); once the
	# kiosk is up, B is marked good, the keys of test 7 are pressed, then
	# QEMU is stopped. The USB controller of test 7 at the same fixed PCI
	# address as the first boot's (attacker_disks): in the first free slot it
	# could take the disk's.
	machine_start "$m" "$m/boot2.log" \
		-qmp "unix:$m/qmp.sock,server=on,wait=off" -device qemu-xhci,id=xhci,addr=0x10
	if qemu_wait "$m/boot2.log" "$MARKED_GOOD" "$BOOT_TIMEOUT" &&
		grep -aq "$READY" "$m/boot2.log"; then
		test_keyboard "$m/boot2.log" "$m/qmp.sock"
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
	if ! qemu_wait_exit "$BOOT_TIMEOUT" || ! grep -aq "$BROKEN" "$m/boot2.log" ||
		! grep -aq "$(booted B)" "$m/boot2.log" || grep -aq "$READY" "$m/boot2.log"; then
		show "$m/boot2.log"
		fail "4b. slot B with the broken kiosk did not fail as expected"
		return
	fi
	# The firmware's BootOrder never had B: it starts A again, with a stick
	# holding the older bundle in (test 4c).
	machine_start "$m" "$m/boot3.log" \
		-drive "if=virtio,format=raw,readonly=on,file=$(stick old "$BUILD/old.raucb")"
	if qemu_wait "$m/boot3.log" "$MARKED_GOOD" "$BOOT_TIMEOUT" &&
		grep -aq "$(booted A)" "$m/boot3.log" && grep -aq "$READY" "$m/boot3.log"; then
		pass "4b. fell back to slot A, kiosk ready"
		test_downgrade_refused "$m"
	else
		show "$m/boot3.log"
		fail "4b. did not fall back to slot A"
	fi
	qemu_stop
}

# --- 4c. An older signed bundle is refused (#16, part 6) ----------------------------
# The fallback machine's third boot, slot A marked good, with the old
# bundle's stick in: kiosk-update.service hands it to RAUC, which checks the
# signature and mounts it, and its pre-install handler refuses it before
# any slot is written. B stays the failed slot it was, and nothing reboots.
test_downgrade_refused() {
	local m=$1 state
	if ! qemu_wait "$m/boot3.log" "$REFUSED" "$BOOT_TIMEOUT" ||
		! qemu_wait "$m/boot3.log" 'kiosk-update: rauc install failed' 60 ||
		grep -aq 'kiosk-update: installed' "$m/boot3.log"; then
		show "$m/boot3.log"
		fail "4c. the older bundle was not refused"
		return
	fi
	qemu_stop
	# B was never marked good, so it is not in BootOrder; a slot written
	# would have BootNext set to it.
	state=$(boot_entries "$m/vars.fd")
	if ! grep -q BootNext <<<"$state" && [ "$(first_in_boot_order "$m/vars.fd")" = A ]; then
		pass "4c. older signed bundle $OLD_VERSION refused by RAUC's pre-install handler, no slot written"
	else
		fail "4c. the refused bundle changed the boot state: $state"
	fi
}

# --- 7. No way out by keyboard (#16, part 3) ----------------------------------------
# Real key events in a running machine whose kiosk is ready: Ctrl+Alt+
# Backspace and Ctrl+Alt+Delete, which Slint's linuxkms backend takes as
# "quit" (kiosk/src/input_guard.rs), from QEMU's PS/2 keyboard (the i8042's
# "AT Translated Set 2 keyboard", 0001:0001, which the keyboard bundle's
# configuration does not allow), then from a USB keyboard plugged in
# (usb-kbd, 0627:0001, which it allows), and Ctrl+Alt+Delete eight times in
# a row from it (systemd's CtrlAltDelBurstAction= acts on more than seven
# within two seconds, systemd-system.conf(5)). The kiosk must log the PS/2
# keyboard as ignored, the USB keyboard as allowed and each of its chords as
# ignored, all from the process that reported ready, with no second ready
# line, no end of kiosk.service and no reboot (QEMU runs with -no-reboot,
# so a reboot would end it).
# Needs QEMU started with its monitor at SOCKET and a USB controller xhci:
# -qmp unix:SOCKET,server=on,wait=off -device qemu-xhci,id=xhci,addr=...
KEYBOARD_IGNORED="ignored an input device that the configuration does not allow"
CHORD_IGNORED="ignored a quit key chord"

# qmp SOCKET COMMAND...: QEMU's monitor (QMP, JSON objects one per line):
# the capabilities handshake, then each COMMAND with a short pause after it
# (key events as a hand types them, each in its own USB report); fails with
# QEMU's replies unless every command returned.
qmp() {
	local socket=$1 command replies
	shift
	replies=$({
		printf '{"execute":"qmp_capabilities"}\n'
		for command in "$@"; do
			printf '%s\n' "$command"
			sleep 0.03
		done
	} | socat -t 1 - "UNIX-CONNECT:$socket")
	[ "$(grep -c '"return"' <<<"$replies")" -eq $(($# + 1)) ] || {
		log "QEMU's monitor answered: $replies"
		return 1
	}
}

# chord SOCKET TIMES KEY...: TIMES times, presses the keys (QEMU qcodes) one
# after another and releases them in reverse order, on the keyboard QEMU
# routes key events to (the one attached last).
chord() {
	local socket=$1 times=$2 key i events=()
	shift 2
	key_event() {
		printf '{"execute":"input-send-event","arguments":{"events":[{"type":"key","data":{"down":%s,"key":{"type":"qcode","data":"%s"}}}]}}' "$1" "$2"
	}
	for ((i = 0; i < times; i++)); do
		for key in "$@"; do events+=("$(key_event true "$key")"); done
		for ((key = $#; key > 0; key--)); do events+=("$(key_event false "${!key}")"); done
	done
	qmp "$socket" "${events[@]}"
}

# test_keyboard LOG SOCKET: the keys, in the machine whose serial log is LOG
# and whose monitor is SOCKET; its kiosk has reported ready.
test_keyboard() {
	local log=$1 socket=$2 pid ready chords others before=$failures
	console_lines() { tr -d '\r' <"$log" | grep -a "$@"; }
	pid=$(console_lines -E "kiosk\[[0-9]+\]: .*$READY" | sed -E 's/.*kiosk\[([0-9]+)\].*/\1/' | head -1)
	[ -n "$pid" ] || { fail "7. no ready line of the kiosk in $log"; return; }
	log "7. quit chords from a PS/2 and a USB keyboard (kiosk pid $pid)"
	if ! chord "$socket" 1 ctrl alt backspace || ! chord "$socket" 1 ctrl alt delete; then
		fail "7. QEMU did not take the PS/2 key events"
		return
	fi
	qmp "$socket" '{"execute":"device_add","arguments":{"driver":"usb-kbd","id":"testkbd","bus":"xhci.0"}}' ||
		{ fail "7. QEMU did not plug in the USB keyboard"; return; }
	# On: a kiosk that did not take it would not see its chords either, but
	# the checks below still say whether the kiosk survived the PS/2 ones.
	qemu_wait "$log" "kiosk\[$pid\]: .*input device allowed.*id=$TEST_KEYBOARD_ID" 60 ||
		fail "7. the kiosk did not log the USB keyboard $TEST_KEYBOARD_ID as allowed"
	# Backspace, Delete, then Delete eight times within two seconds
	# (CtrlAltDelBurstAction= acts on more than seven).
	if ! chord "$socket" 1 ctrl alt backspace || ! chord "$socket" 1 ctrl alt delete ||
		! chord "$socket" 8 ctrl alt delete; then
		fail "7. QEMU did not take the USB key events"
	fi
	# Time for a kiosk that quit to be restarted (systemd logs its end at
	# once, RestartSec=2, the new process logs within seconds) or for a
	# reboot to end QEMU.
	sleep 20
	if [ -z "$QEMU_PID" ] || ! kill -0 "$QEMU_PID" 2>/dev/null; then
		fail "7. the machine went down after the key chords"
	fi
	# Ctrl+Alt+Delete reaches PID 1 through the kernel whatever the kiosk
	# does: proof that the events were real key presses, and what would
	# reboot without the mask and CtrlAltDelBurstAction=none.
	console_lines -q 'ctrl-alt-del.target is masked' ||
		fail "7. systemd did not see Ctrl+Alt+Delete (no refusal of the masked ctrl-alt-del.target)"
	console_lines -Eq "kiosk\[$pid\]: .*$KEYBOARD_IGNORED.*id=0001:0001" ||
		fail "7. the kiosk did not log the PS/2 keyboard 0001:0001 as ignored"
	chords=$(console_lines -Ec "kiosk\[$pid\]: .*$CHORD_IGNORED" || true)
	[ "$chords" -eq 10 ] || fail "7. the kiosk logged $chords of the USB keyboard's 10 quit chords as ignored"
	ready=$(console_lines -c "$READY" || true)
	[ "$ready" -eq 1 ] || fail "7. the kiosk reported ready $ready times: it was started again"
	if console_lines -Eq 'kiosk\.service: (Main process exited|Deactivated|Scheduled restart|Failed)'; then
		fail "7. kiosk.service ended: $(console_lines -E 'kiosk\.service: ' | tail -1)"
	fi
	others=$(console_lines -oE 'kiosk\[[0-9]+\]' | sort -u | grep -vxF "kiosk[$pid]" || true)
	[ -z "$others" ] || fail "7. other kiosk processes than $pid logged: $(paste -sd' ' <<<"$others")"
	if [ "$failures" -ne "$before" ]; then
		show "$log"
	else
		pass "7. PS/2 keyboard ignored, 10 quit chords from the allowed USB keyboard ignored and logged;" \
			"kiosk $pid the only one, not restarted, no reboot"
	fi
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
