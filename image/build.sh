#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds the appliance: a Debian 12 root file system with the kiosk, packed
# as a read-only squashfs with a dm-verity hash tree; a signed unified
# kernel image (kernel, initramfs and the command line with the root hash)
# on a boot partition; a GPT disk image with two A/B slots of boot
# partition, root and hash tree each and a data partition that becomes
# LUKS2 on first boot; and a signed RAUC bundle of the same slot. See
# image/README.md for the layout and docs/SECURITY.md for the boot chain.
#
# Environment:
#   KIOSK_BIN        the kiosk binary to install (default target/debug/kiosk)
#   APPLIANCE_BIN    the appliance's own programs (image/appliance; default
#                    `appliance` beside KIOSK_BIN)
#   IMAGE_VERSION    this build's version, numbers separated by dots (default
#                    the UTC time of the build, YYYY.MM.DD.HHMMSS); RAUC
#                    refuses bundles older than the running one
#   IMAGE_BUILD_DIR  where everything goes (default target/image); emptied
#                    first, nothing is reused between runs
#   IMAGE_KEY_DIR    a directory with the town's keys to use instead of
#                    throw-away keys generated into the build directory:
#                    RAUC's ca.pem, signer.pem, signer.key; the Secure Boot
#                    db signing pair db.pem, db.key; the recovery
#                    certificate recovery.pem (docs/SECURITY.md)
# Run as root on Debian 12 (mmdebstrap --mode=root needs it).
set -euo pipefail
cd "$(dirname "$0")/.."
here=image
# shellcheck source=image/lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=image/lib/uki.sh
. "$here/lib/uki.sh"

KIOSK_BIN=${KIOSK_BIN:-target/debug/kiosk}
BUILD=$(realpath -m "${IMAGE_BUILD_DIR:-target/image}")
[ -x "$KIOSK_BIN" ] || die "no kiosk binary at $KIOSK_BIN (cargo build -p kiosk, or set KIOSK_BIN)"
APPLIANCE_BIN=${APPLIANCE_BIN:-$(dirname "$KIOSK_BIN")/appliance}
[ -x "$APPLIANCE_BIN" ] || die "no appliance binary at $APPLIANCE_BIN (cargo build -p appliance, or set APPLIANCE_BIN)"
IMAGE_VERSION=${IMAGE_VERSION:-$(date -u +%Y.%m.%d.%H%M%S)}
# The form image/appliance/src/downgrade.rs compares; a running version it
# cannot read would refuse every update.
[[ $IMAGE_VERSION =~ ^[0-9]+(\.[0-9]+)*$ ]] || die "IMAGE_VERSION $IMAGE_VERSION is not numbers separated by dots"
[ "$(id -u)" = 0 ] || die "run as root (mmdebstrap --mode=root, chroot)"

# Partition sizes. A root slot holds the squashfs (about 110 MiB today) with
# room to grow; the hash tree of a 4 KiB-block SHA-256 verity device is
# about 1/127 of the data (veritysetup(8)), so 8 MiB covers 1 GiB of root.
ROOT_SLOT_MIB=384
VERITY_SLOT_MIB=8
DATA_MIB=256

start=$(now)
rm -rf "$BUILD"
mkdir -p "$BUILD"
: >"$BUILD/figures.env"
root="$BUILD/rootfs"

# --- 0. Keys ------------------------------------------------------------------
# Generated here unless given (nothing is committed). The recovery
# certificate goes into the initramfs, so it is needed before the root.
keys="$BUILD/keys"
if [ -n "${IMAGE_KEY_DIR:-}" ]; then
	cp -a "$IMAGE_KEY_DIR" "$keys"
	for f in ca.pem signer.pem signer.key db.pem db.key recovery.pem; do
		[ -f "$keys/$f" ] || die "IMAGE_KEY_DIR has no $f"
	done
else
	mkdir -p "$keys"
	# A throw-away CA and a signing certificate with extended key usage
	# codeSigning, which RAUC accepts because system.conf sets
	# check-purpose=codesign (RAUC docs, "Signature verification").
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$keys/ca.key" -out "$keys/ca.pem" -days 3650 \
		-subj "/O=Buergerterminal build/CN=throw-away update CA" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$keys/signer.key" -out "$keys/signer.csr" \
		-subj "/O=Buergerterminal build/CN=throw-away bundle signer" 2>/dev/null
	printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n' >"$keys/signer.ext"
	openssl x509 -req -in "$keys/signer.csr" -CA "$keys/ca.pem" -CAkey "$keys/ca.key" \
		-CAcreateserial -days 3650 -extfile "$keys/signer.ext" -out "$keys/signer.pem" 2>/dev/null
	# Secure Boot: the platform key, the key exchange key and the db key
	# that signs the UKIs, as a town would own them (docs/SECURITY.md);
	# the tests enrol all three into the firmware. RSA 2048, the one key
	# type every UEFI firmware verifies (UEFI 2.10, 32.5.1).
	for k in pk kek db; do
		openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
			-keyout "$keys/$k.key" -out "$keys/$k.pem" \
			-subj "/O=Buergerterminal build/CN=throw-away Secure Boot $k" 2>/dev/null
	done
	# The town's recovery certificate: each terminal encrypts its /var
	# recovery key to it; only the holder of recovery.key can read it.
	openssl req -x509 -newkey rsa:3072 -nodes -sha256 -days 3650 \
		-keyout "$keys/recovery.key" -out "$keys/recovery.pem" -addext keyUsage=keyEncipherment \
		-subj "/O=Buergerterminal build/CN=throw-away town recovery" 2>/dev/null
fi

# --- 1. Root file system ----------------------------------------------------
# The packages: the kernel and systemd, dm-verity and dm-crypt for the
# initramfs with e2fsprogs, openssl and the TPM2 libraries systemd loads
# (scripts/local-bottom/kiosk-storage), pcscd with the CCID driver for real
# readers, RAUC with its D-Bus service and efibootmgr (RAUC's EFI backend
# and the initramfs keep the firmware's boot entries with it), fonts with Latin, Cyrillic and Arabic glyphs (DejaVu), and exactly the
# libraries the kiosk binary links (ldd, mapped to packages with dpkg -S on
# this Debian 12 host, which has the same package names as the image).
package_of() {
	# dpkg knows a library by the path its package ships (/lib/... on a
	# merged-/usr system), which may be the symlink ldd names or its target.
	dpkg -S "$1" 2>/dev/null || dpkg -S "$(realpath "$1")" 2>/dev/null ||
		die "no Debian package ships $1, which the kiosk links"
}
kiosk_libs=$(ldd "$KIOSK_BIN" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' |
	while read -r lib; do package_of "$lib"; done | cut -d: -f1 | sort -u | paste -sd,)
packages="linux-image-amd64,systemd,systemd-sysv,udev,dbus,kmod,initramfs-tools,cryptsetup-bin"
packages+=",e2fsprogs,openssl,efibootmgr,libtss2-esys-3.0.2-0,libtss2-rc0,libtss2-mu0,libtss2-tcti-device0"
packages+=",pcscd,libccid,libpcsclite1,rauc,rauc-service,fonts-dejavu-core"
packages+=",$kiosk_libs"
log "packages: $packages"

# Files dpkg never unpacks (dpkg(1), --path-exclude): documentation, and the
# kernel modules a kiosk terminal has no use for (sound, cameras and TV,
# wireless, Bluetooth, InfiniBand, staging drivers, network and cluster
# file systems, the discrete GPUs' huge drivers; Intel graphics, storage,
# USB, HID and wired Ethernet stay). This halves the root's size.
excludes=(
	'/usr/share/doc/*' '/usr/share/man/*' '/usr/share/info/*' '/usr/share/locale/*'
	'/usr/share/lintian/*' '/usr/share/bug/*'
)
for m in sound drivers/media drivers/net/wireless drivers/bluetooth net/bluetooth \
	net/wireless net/mac80211 drivers/infiniband drivers/staging drivers/isdn \
	drivers/gpu/drm/amd drivers/gpu/drm/nouveau drivers/gpu/drm/radeon \
	drivers/net/ethernet/mellanox drivers/net/ethernet/chelsio drivers/net/ethernet/qlogic \
	drivers/net/ethernet/cavium drivers/net/ethernet/huawei drivers/net/ethernet/netronome \
	drivers/scsi/qla2xxx drivers/scsi/lpfc drivers/scsi/mpt3sas drivers/scsi/megaraid \
	drivers/target drivers/nfc drivers/iio drivers/mtd arch/x86/kvm \
	fs/btrfs fs/xfs fs/ocfs2 fs/gfs2 fs/nfs fs/nfsd fs/smb fs/ceph fs/f2fs fs/reiserfs \
	fs/jfs fs/ntfs3 fs/ubifs fs/afs net/ceph net/sunrpc; do
	excludes+=("/lib/modules/*/kernel/$m/*")
done
dpkgopts=()
for e in "${excludes[@]}"; do dpkgopts+=(--dpkgopt="path-exclude=$e"); done

log "mmdebstrap $SUITE"
t=$(now)
# --variant=essential: only Essential: yes packages plus --include, so no
# apt in the image (mmdebstrap(1) installs --include with the host's apt).
# The setup hook puts the initramfs hooks and scripts and the recovery
# certificate in place before the kernel is unpacked, so the initramfs is
# generated once, already with them.
bootstrap() {
	rm -rf "$root"
	mmdebstrap --mode=root --variant=essential --format=directory \
		--include="$packages" "${dpkgopts[@]}" \
		--setup-hook="mkdir -p \"\$1/etc/initramfs-tools\" && cp -a $here/rootfs/etc/initramfs-tools/. \"\$1/etc/initramfs-tools/\"" \
		--setup-hook="cp $keys/recovery.pem \"\$1/etc/initramfs-tools/kiosk-recovery.pem\"" \
		"$SUITE" "$root" "${MIRRORS[@]}" >>"$BUILD/mmdebstrap.log" 2>&1
}
# Once more after a failure: downloads from the mirror fail now and then
# (seen on this project's CI machine), and mmdebstrap starts from scratch.
bootstrap || { log "mmdebstrap failed, once more"; bootstrap; } ||
	{ tail -30 "$BUILD/mmdebstrap.log"; die "mmdebstrap failed twice (log: $BUILD/mmdebstrap.log)"; }
record mmdebstrap_s "$(elapsed "$t" "$(now)")"

# The kernel and initramfs at fixed names, whatever the kernel's version.
mv "$root"/boot/vmlinuz-* "$root/boot/vmlinuz"
mv "$root"/boot/initrd.img-* "$root/boot/initrd.img"
rm -f "$root"/vmlinuz* "$root"/initrd.img* "$root"/boot/System.map-* "$root"/boot/config-*

# --- 2. The reference stage --------------------------------------------------
# The figures compare the kiosk's boot with a plain Debian boot of the same
# packages (stock configuration: getty on the serial console, no kiosk, no
# verity) in the same run, so both see the same emulator on the same load.
log "reference stage"
# Uncompressed: it is only booted once, in the same run, and this way costs
# no compression time.
mksquashfs "$root" "$BUILD/reference.squashfs" -noI -noD -noF -noX -noappend -quiet -no-progress \
	-e boot/vmlinuz boot/initrd.img
cp "$root/boot/vmlinuz" "$BUILD/reference.vmlinuz"
cp "$root/boot/initrd.img" "$BUILD/reference.initrd"
# The UKI carries the kernel and the initramfs (image/lib/uki.sh), so the
# root does not.
mv "$root/boot/vmlinuz" "$root/boot/initrd.img" "$BUILD/"
cp "$root/usr/lib/os-release" "$BUILD/os-release"

# --- 3. The appliance's own files -------------------------------------------
log "customising the root"
# shellcheck disable=SC2016 # ${...} is dpkg-query's format, not the shell's
chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' >"$BUILD/packages.txt"
install -D -m 755 "$KIOSK_BIN" "$root/usr/bin/kiosk"
strip --strip-all "$root/usr/bin/kiosk"
cp -a "$here/rootfs/." "$root/"
# The appliance's own programs (image/appliance), and RAUC's pre-install
# handler as a link to them: RAUC starts a handler by its path alone.
install -D -m 755 "$APPLIANCE_BIN" "$root/usr/lib/kiosk/appliance"
strip --strip-all "$root/usr/lib/kiosk/appliance"
ln -s appliance "$root/usr/lib/kiosk/rauc-pre-install"
# The running system's version, which the pre-install handler compares a
# bundle's with; the update bundle of this build carries the same.
printf '%s\n' "$IMAGE_VERSION" >"$root/usr/lib/kiosk/version"
# Static users (the out-of-service screen's): the root is read-only, so
# systemd-sysusers cannot add them at boot.
systemd-sysusers --root="$root" >/dev/null
# ConfigurationDirectory=kiosk of kiosk.service: systemd would create it at
# start, which a read-only root does not allow. It holds the appliance's
# hardware and portal settings (kiosk/config/appliance.toml, which names
# this image's paths); terminal.toml, catalogue.toml and texts.toml
# replace the kiosk's compiled-in defaults only where a town adds them.
install -d -m 755 "$root/etc/kiosk"
install -m 644 kiosk/config/appliance.toml "$root/etc/kiosk/appliance.toml"
# /tmp as tmpfs (Debian ships the unit but does not enable it); the root
# is read-only.
cp "$root/usr/share/systemd/tmp.mount" "$root/etc/systemd/system/tmp.mount"
# The units and their configuration (systemd/, checked by systemd/check.sh).
for unit in systemd/*.service systemd/*.mount; do
	install -m 644 "$unit" "$root/etc/systemd/system/"
done
install -D -m 644 systemd/journald-kiosk.conf "$root/etc/systemd/journald.conf.d/kiosk.conf"
install -D -m 644 systemd/logind-kiosk.conf "$root/etc/systemd/logind.conf.d/kiosk.conf"
install -D -m 644 systemd/system-kiosk.conf "$root/etc/systemd/system.conf.d/kiosk.conf"
# Debian's pcscd and rauc units, hardened by drop-ins (systemd/check.sh);
# rauc's second drop-in tells it the booted slot.
install -D -m 644 systemd/pcscd-kiosk.conf "$root/etc/systemd/system/pcscd.service.d/kiosk.conf"
install -D -m 644 systemd/rauc-kiosk.conf "$root/etc/systemd/system/rauc.service.d/kiosk.conf"
install -D -m 644 systemd/rauc-boot-slot.conf "$root/etc/systemd/system/rauc.service.d/boot-slot.conf"

# RAUC's keyring: the CA that signs bundles.
install -D -m 644 "$keys/ca.pem" "$root/etc/rauc/keyring.pem"

# /var is not a unit: the signed initramfs unlocks and mounts it, or says
# why not (kiosk-out-of-service@.service).
systemctl --root="$root" enable kiosk.service tmp.mount rauc-mark-good.service \
	kiosk-update.service systemd-networkd.service \
	kiosk-out-of-service@storage-locked.service kiosk-out-of-service@storage-unavailable.service \
	>/dev/null 2>&1
# No login anywhere: no getty on any virtual or serial console (logind's
# NAutoVTs=0 keeps it from spawning them on demand), Ctrl-Alt-Del does
# nothing, no rescue or emergency mode (their shells are gone too, below;
# a failed boot stays down instead of waiting for a root password), no
# waiting for the network before the kiosk shows.
systemctl --root="$root" mask getty@.service serial-getty@.service autovt@.service \
	console-getty.service container-getty@.service getty.target ctrl-alt-del.target \
	rescue.target rescue.service emergency.target emergency.service \
	systemd-networkd-wait-online.service debug-shell.service \
	dpkg-db-backup.timer dpkg-db-backup.service >/dev/null 2>&1
printf 'buergerterminal\n' >"$root/etc/hostname"
# An empty machine-id: on a read-only root systemd generates one per boot
# into /run and mounts it over this file (machine-id(5)).
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
: >"$root/etc/fstab"
# No shell, no interpreter, no way to log in, to change user or to enter
# other namespaces (#16, part 3): what someone who gets a keyboard or a
# process on the terminal would reach for next. They are Essential packages
# that came with the base system (perl came with usrmerge, whose work is
# done once the root is merged). Nothing in the appliance runs them: its own
# programs are one binary (image/appliance), its units and udev rules start
# programs directly. Deleted after everything that runs in the root at build
# time; removed.txt in the build directory lists every file with its
# package, and image/test.sh checks that none of them is left.
# dash, /bin/sh, goes too: no script runs from the root (the initramfs's
# scripts run under klibc's shell inside the signed UKI, which was built
# before this).
removed="$BUILD/removed.txt"
: >"$removed"
# remove_files PACKAGE [NAME...]: lists PACKAGE's files (not directories:
# other packages share them), or only those called NAME, for removal.
remove_files() {
	local package=$1 path
	shift
	dpkg-query --admindir="$root/var/lib/dpkg" -L "$package" | while read -r path; do
		[ -d "$root$path" ] && continue
		[ -e "$root$path" ] || [ -L "$root$path" ] || continue
		if [ $# -gt 0 ]; then
			case " $* " in *" ${path##*/} "*) ;; *) continue ;; esac
		fi
		printf '%s %s\n' "$package" "$path"
	done >>"$removed"
}
for package in bash login passwd perl-base \
	$(awk '$1 ~ /^(perl|perl-modules-.*|libperl.*|.*-perl|debconf|adduser|usrmerge)$/ { print $1 }' "$BUILD/packages.txt"); do
	remove_files "$package"
done
remove_files util-linux su runuser sulogin agetty getty nsenter unshare setpriv
remove_files systemd systemd-run
# klibc's shell, for initramfs-tools (the initramfs is made by now).
remove_files klibc-utils sh sh.shared
remove_files dash
cut -d' ' -f2- "$removed" | sed "s|^|$root|" | xargs -d '\n' rm -f
log "removed $(wc -l <"$removed") files of shells, interpreters and login tools (removed.txt)"
# No package manager at run time: dpkg is Essential, so it came with the
# base system; its programs and database go (packages.txt keeps the list).
rm -rf "$root"/usr/bin/dpkg* "$root"/usr/sbin/dpkg* "$root"/usr/bin/apt* \
	"$root/var/lib/dpkg" "$root/etc/dpkg"
# /var is the data partition (the initramfs mounts it); it starts empty
# and systemd-tmpfiles creates what belongs in it (tmpfiles.d(5)).
find "$root/var" -mindepth 1 -delete

# --- 4. squashfs + dm-verity --------------------------------------------------
log "squashfs and verity"
t=$(now)
mksquashfs "$root" "$BUILD/root.squashfs" "${ROOT_SQUASHFS_OPTIONS[@]}"
veritysetup format "$BUILD/root.squashfs" "$BUILD/root.verity" \
	--root-hash-file="$BUILD/roothash" >"$BUILD/verity.txt"
record squashfs_verity_s "$(elapsed "$t" "$(now)")"
[ "$(stat -c %s "$BUILD/root.squashfs")" -le $((ROOT_SLOT_MIB << 20)) ] ||
	die "root.squashfs does not fit a ${ROOT_SLOT_MIB} MiB slot"

# --- 5. The signed UKI on slot A's boot partition -----------------------------
log "UKI"
make_uki "$BUILD" "$BUILD/roothash" "$keys" "$BUILD/uki.efi"
make_boot_partition "$BUILD/uki.efi" "$BUILD/efi.vfat"
record uki_bytes "$(stat -c %s "$BUILD/uki.efi")"

# --- 6. Data partition -------------------------------------------------------
# Only the marker of a fresh image; the first boot makes it LUKS2
# (scripts/local-bottom/kiosk-storage). The rest of the partition is zero.
printf '%s\n' "$DATA_UNPROVISIONED_MAGIC" >"$BUILD/data.img"
truncate -s 1M "$BUILD/data.img"

# --- 7. Disk image -----------------------------------------------------------
# genimage(1) writes the GPT and copies the partition images in. Both boot
# partitions are EFI system partitions (UEFI allows more than one), so the
# firmware's removable-media path finds them too. The PARTUUIDs are the
# layout's (image/lib/common.sh); the GPT names are for people only.
log "disk image"
declare -A part_image=([efi-a]=efi.vfat [root-a]=root.squashfs [verity-a]=root.verity [data]=data.img)
declare -A part_mib=([efi-a]=$EFI_MIB [efi-b]=$EFI_MIB [root-a]=$ROOT_SLOT_MIB [root-b]=$ROOT_SLOT_MIB
	[verity-a]=$VERITY_SLOT_MIB [verity-b]=$VERITY_SLOT_MIB [data]=$DATA_MIB)
{
	printf 'image disk.img {\n\thdimage {\n\t\tpartition-table-type = "gpt"\n\t\talign = 1M\n\t}\n'
	for name in "${PART_NAMES[@]}"; do
		printf '\tpartition %s {\n' "$name"
		[ -z "${part_image[$name]:-}" ] || printf '\t\timage = "%s"\n' "${part_image[$name]}"
		printf '\t\tsize = %sM\n\t\tpartition-uuid = "%s"\n' "${part_mib[$name]}" "${PARTUUID[$name]}"
		case $name in efi-*) printf '\t\tpartition-type-uuid = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"\n' ;; esac
		printf '\t}\n'
	done
	printf '}\n'
} >"$BUILD/genimage.cfg"
rm -rf "$BUILD/genimage.tmp"
mkdir -p "$BUILD/genimage.root"
genimage --config "$BUILD/genimage.cfg" --inputpath "$BUILD" --outputpath "$BUILD" \
	--rootpath "$BUILD/genimage.root" --tmppath "$BUILD/genimage.tmp" >"$BUILD/genimage.log" 2>&1 ||
	{ cat "$BUILD/genimage.log"; die "genimage failed"; }
rm -rf "$BUILD/genimage.tmp" "$BUILD/genimage.root"

# --- 8. Update bundle ----------------------------------------------------------
"$here/make-bundle.sh" "$BUILD" "$BUILD/efi.vfat" "$BUILD/root.squashfs" "$BUILD/root.verity" \
	"$BUILD/update.raucb" "$IMAGE_VERSION"

record build_s "$(elapsed "$start" "$(now)")"
record image_bytes "$(stat -c %s "$BUILD/disk.img")"
record image_allocated_bytes "$(($(stat -c %b "$BUILD/disk.img") * $(stat -c %B "$BUILD/disk.img")))"
record root_bytes "$(stat -c %s "$BUILD/root.squashfs")"
record bundle_bytes "$(stat -c %s "$BUILD/update.raucb")"
log "built $BUILD/disk.img and $BUILD/update.raucb"
