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
#      and GRUB falls back to A, where an older signed bundle is refused.
#   5. In slot B of test 4, Ctrl+Alt+Backspace and Ctrl+Alt+Delete from a
#      PS/2 and a USB keyboard neither end the kiosk nor reboot.
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

# --- No way out or down by keyboard (#16, part 3), in the built root -----------
# No shell, interpreter, login, user or namespace changer anywhere in the
# root (build.sh removes them; see removed.txt), rescue and emergency mode
# masked, logind ignoring the power, reboot, suspend and hibernate keys.
# The container test checks the running logind and masks as well.
FORBIDDEN=(sh sh.shared bash rbash dash ash zsh ksh mksh csh tcsh fish busybox
	su sudo login agetty getty sulogin runuser setpriv nsenter unshare systemd-run
	perl 'perl5*' python python2 python3 'python3.*')
test_no_way_out() {
	local root="$BUILD/rootfs" expr=() name found kept=() unit state key value before=$failures
	log "no way out in the root"
	for name in "${FORBIDDEN[@]}"; do expr+=(-o -name "$name"); done
	# The one exception, as in build.sh: dash while RAUC's post-install
	# handler of the GRUB boot chain is a shell script.
	if head -n 1 "$root/usr/lib/kiosk/rauc-post-install" 2>/dev/null | grep -qx '#!/bin/sh'; then
		kept=(/usr/bin/sh /usr/bin/dash /usr/share/debianutils/shells.d/dash /usr/share/menu/dash)
		log "dash stays as /bin/sh for /usr/lib/kiosk/rauc-post-install, a shell script"
	fi
	found=$(find "$root" \( -type f -o -type l \) \( "${expr[@]:1}" \) -printf '/%P\n' | sort |
		grep -vxF -f <(printf '%s\n' "${kept[@]}") || true)
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
"$here/make-bundle.sh" "$BUILD" "$BUILD/broken.squashfs" "$BUILD/broken.verity" \
	"$BUILD/broken.roothash" "$BUILD/broken.raucb"

# The keyboard bundle (test 5): this build's root with a test appliance.toml
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
"$here/make-bundle.sh" "$BUILD" "$BUILD/keyboard.squashfs" "$BUILD/keyboard.verity" \
	"$BUILD/keyboard.roothash" "$BUILD/keyboard.raucb"

# An older bundle, signed like any other: this build's root under a version
# older than any build's (build.sh's versions are the UTC time of the
# build). RAUC's pre-install handler must refuse it (test 4c).
OLD_VERSION=2000.01.01.000000
REFUSED="rauc-pre-install: refused: the bundle's version $OLD_VERSION is older than the running system's"
log "old bundle"
"$here/make-bundle.sh" "$BUILD" "$BUILD/root.squashfs" "$BUILD/root.verity" "$BUILD/roothash" \
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
	test_container_services "$leader"
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
		[[ $value == "active /etc/systemd/system/$unit.d/kiosk.conf"* ]] ||
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

# --- 2. and 4a. Boot, update into B, boot B, mark good ----------------------------
test_boot_and_update() {
	local m="$runs/update" t state
	log "2. QEMU boot to kiosk ready; 4a. update into slot B"
	new_machine "$m"
	# First boot, slot A, with the stick: the kiosk comes up (test 2), then
	# kiosk-update.service installs the bundle and reboots (QEMU exits). The
	# bundle is the keyboard bundle, this build's root with the test input
	# configuration, for test 5 in slot B.
	t=$(now)
	qemu_start "$m/boot1.log" "$m/disk.img" "$m/vars.fd" \
		-drive "if=virtio,format=raw,readonly=on,file=$(stick keyboard "$BUILD/keyboard.raucb")"
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
	# good (and the grubenv synced), the keys of test 5 are pressed, then
	# QEMU is stopped.
	# The USB controller of test 5 at a fixed PCI address: in the first free
	# slot it would take the disk's, and the firmware's boot entry from the
	# first boot would no longer find the disk.
	qemu_start "$m/boot2.log" "$m/disk.img" "$m/vars.fd" \
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
	if ! qemu_wait_exit "$BOOT_TIMEOUT" || ! grep -aq "$BROKEN" "$m/boot2.log" ||
		grep -aq "$READY" "$m/boot2.log"; then
		show "$m/boot2.log"
		fail "4b. slot B with the broken kiosk did not fail as expected"
		return
	fi
	# GRUB skips B (tried, never marked good) and boots A again, with a
	# stick holding the older bundle in (test 4c).
	qemu_start "$m/boot3.log" "$m/disk.img" "$m/vars.fd" \
		-drive "if=virtio,format=raw,readonly=on,file=$(stick old "$BUILD/old.raucb")"
	if qemu_wait "$m/boot3.log" "$MARKED_GOOD" "$BOOT_TIMEOUT" &&
		grep -aq 'Booting slot A' "$m/boot3.log" && grep -aq "$READY" "$m/boot3.log"; then
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
	state=$(grubenv_of "$m/disk.img")
	if grep -q '^B_TRY=1$' <<<"$state"; then
		pass "4c. older signed bundle $OLD_VERSION refused by RAUC's pre-install handler, no slot written"
	else
		fail "4c. the refused bundle changed the boot state: $state"
	fi
}

# --- 5. No way out by keyboard (#16, part 3) ----------------------------------------
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
	[ -n "$pid" ] || { fail "5. no ready line of the kiosk in $log"; return; }
	log "5. quit chords from a PS/2 and a USB keyboard (kiosk pid $pid)"
	if ! chord "$socket" 1 ctrl alt backspace || ! chord "$socket" 1 ctrl alt delete; then
		fail "5. QEMU did not take the PS/2 key events"
		return
	fi
	qmp "$socket" '{"execute":"device_add","arguments":{"driver":"usb-kbd","id":"testkbd","bus":"xhci.0"}}' ||
		{ fail "5. QEMU did not plug in the USB keyboard"; return; }
	# On: a kiosk that did not take it would not see its chords either, but
	# the checks below still say whether the kiosk survived the PS/2 ones.
	qemu_wait "$log" "kiosk\[$pid\]: .*input device allowed.*id=$TEST_KEYBOARD_ID" 60 ||
		fail "5. the kiosk did not log the USB keyboard $TEST_KEYBOARD_ID as allowed"
	# Backspace, Delete, then Delete eight times within two seconds
	# (CtrlAltDelBurstAction= acts on more than seven).
	if ! chord "$socket" 1 ctrl alt backspace || ! chord "$socket" 1 ctrl alt delete ||
		! chord "$socket" 8 ctrl alt delete; then
		fail "5. QEMU did not take the USB key events"
	fi
	# Time for a kiosk that quit to be restarted (systemd logs its end at
	# once, RestartSec=2, the new process logs within seconds) or for a
	# reboot to end QEMU.
	sleep 20
	if [ -z "$QEMU_PID" ] || ! kill -0 "$QEMU_PID" 2>/dev/null; then
		fail "5. the machine went down after the key chords"
	fi
	# Ctrl+Alt+Delete reaches PID 1 through the kernel whatever the kiosk
	# does: proof that the events were real key presses, and what would
	# reboot without the mask and CtrlAltDelBurstAction=none.
	console_lines -q 'ctrl-alt-del.target is masked' ||
		fail "5. systemd did not see Ctrl+Alt+Delete (no refusal of the masked ctrl-alt-del.target)"
	console_lines -Eq "kiosk\[$pid\]: .*$KEYBOARD_IGNORED.*id=0001:0001" ||
		fail "5. the kiosk did not log the PS/2 keyboard 0001:0001 as ignored"
	chords=$(console_lines -Ec "kiosk\[$pid\]: .*$CHORD_IGNORED" || true)
	[ "$chords" -eq 10 ] || fail "5. the kiosk logged $chords of the USB keyboard's 10 quit chords as ignored"
	ready=$(console_lines -c "$READY" || true)
	[ "$ready" -eq 1 ] || fail "5. the kiosk reported ready $ready times: it was started again"
	if console_lines -Eq 'kiosk\.service: (Main process exited|Deactivated|Scheduled restart|Failed)'; then
		fail "5. kiosk.service ended: $(console_lines -E 'kiosk\.service: ' | tail -1)"
	fi
	others=$(console_lines -oE 'kiosk\[[0-9]+\]' | sort -u | grep -vxF "kiosk[$pid]" || true)
	[ -z "$others" ] || fail "5. other kiosk processes than $pid logged: $(paste -sd' ' <<<"$others")"
	if [ "$failures" -ne "$before" ]; then
		show "$log"
	else
		pass "5. PS/2 keyboard ignored, 10 quit chords from the allowed USB keyboard ignored and logged;" \
			"kiosk $pid the only one, not restarted, no reboot"
	fi
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
