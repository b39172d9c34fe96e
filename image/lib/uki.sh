# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=bash
#
# The signed unified kernel image (UKI) and the slot's boot partition, for
# image/build.sh and image/test.sh (sourced, not run; needs lib/common.sh).
#
# A UKI is systemd-boot's EFI stub with the kernel, the initramfs, the
# kernel command line and os-release added as PE sections (systemd-stub(7),
# "Unified Kernel Images"; the objcopy recipe of systemd 252's docs, since
# bookworm has no ukify). The firmware checks one Authenticode signature
# over all of it, and under Secure Boot the stub ignores any command line a
# boot entry passes, so the root hash in .cmdline is as trusted as the
# kernel.

UKI_STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
# Each slot's boot partition: FAT, holding only EFI/BOOT/BOOTX64.EFI. The
# UKI is about 35 MiB (an initramfs with MODULES=most and the storage tools).
EFI_MIB=64

# uki_cmdline ROOTHASH: the kernel command line that goes into the UKI.
# One command line for both slots: which slot is booted follows from the
# partition the firmware loaded the UKI from (kiosk.slots= maps each
# slot's boot partition to its root and hash tree), so a bundle carries one
# UKI that RAUC writes into either slot. sysctl.kernel.sysrq=0 turns the
# magic SysRq keys off from the first instruction of user space on (the
# kernel applies sysctl.* parameters before it starts the initramfs, since
# 5.8; Documentation/admin-guide/kernel-parameters.txt), not only once
# systemd-sysctl has run. systemd.gpt_auto=0: systemd-gpt-auto-generator
# would otherwise mount partitions it recognises by their GPT type (the ESP
# on /boot, and /var, /home, /srv or swap from any partition of such a type
# on the root's disk; systemd-gpt-auto-generator(8)); the initramfs alone
# decides which partitions the terminal uses.
uki_cmdline() {
	local slots="A:${PARTUUID[efi-a]}:${PARTUUID[root-a]}:${PARTUUID[verity-a]}"
	slots+=",B:${PARTUUID[efi-b]}:${PARTUUID[root-b]}:${PARTUUID[verity-b]}"
	printf '%s' "root=/dev/mapper/root ro rootfstype=squashfs kiosk.roothash=$1" \
		" kiosk.slots=$slots kiosk.data=${PARTUUID[data]}" \
		" panic=-1 sysctl.kernel.sysrq=0 systemd.gpt_auto=0 console=ttyS0,115200 quiet"
}

# make_uki DIR ROOTHASH_FILE KEYDIR OUT: the UKI of the kernel DIR/vmlinuz,
# the initramfs DIR/initrd.img and DIR/os-release (image/build.sh puts
# them there) with the root hash in ROOTHASH_FILE on the command line,
# signed with KEYDIR/db.key and db.pem (sbsign(1)) as OUT; the unsigned
# image stays as OUT.unsigned.
make_uki() {
	local dir=$1 roothash work out=$4 vma name file size
	roothash=$(cat "$2")
	work=$(mktemp -d)
	uki_cmdline "$roothash" >"$work/cmdline"
	# Each section at the next 4 KiB boundary after the stub's last one
	# and then after each other, so that none overlaps (objdump -h gives
	# the stub's sections' VMA and size in hex).
	local idx ssize svma rest
	vma=0
	while read -r idx _ ssize svma rest; do
		[[ $idx =~ ^[0-9]+$ ]] || continue
		vma=$((16#$svma + 16#$ssize))
	done < <(objdump -h -w "$UKI_STUB")
	local args=()
	for name in osrel cmdline linux initrd; do
		case $name in
		osrel) file="$dir/os-release" ;;
		cmdline) file="$work/cmdline" ;;
		linux) file="$dir/vmlinuz" ;;
		initrd) file="$dir/initrd.img" ;;
		esac
		vma=$(((vma + 4095) / 4096 * 4096))
		size=$(stat -c %s "$file")
		args+=(--add-section ".$name=$file" --change-section-vma ".$name=$(printf '0x%x' "$vma")")
		vma=$((vma + size))
	done
	objcopy "${args[@]}" "$UKI_STUB" "$out.unsigned"
	rm -rf "$work"
	sbsign --key "$3/db.key" --cert "$3/db.pem" --output "$out" "$out.unsigned" 2>/dev/null ||
		die "sbsign failed for $out"
	sbverify --cert "$3/db.pem" "$out" >/dev/null 2>&1 || die "$out does not verify against $3/db.pem"
}

# make_boot_partition UKI OUT: the FAT image of a slot's boot partition,
# EFI_MIB in size, with UKI as EFI/BOOT/BOOTX64.EFI: the firmware's
# removable-media path (UEFI 2.10, 3.5.1.1), so that a terminal whose boot
# entries are gone still finds slot A. RAUC writes this image whole into
# the slot's partition (rootfs/etc/rauc/system.conf, slot class efi).
make_boot_partition() {
	rm -f "$2"
	mkfs.vfat -C -n KIOSK-BOOT "$2" $((EFI_MIB * 1024)) >/dev/null
	mmd -i "$2" ::EFI ::EFI/BOOT
	mcopy -i "$2" "$1" ::EFI/BOOT/BOOTX64.EFI
}

# section_offset EFI NAME: the file offset and size (decimal, space
# separated) of the PE section NAME (e.g. .linux) in EFI.
section_offset() {
	local idx name size off rest
	while read -r idx name size _ _ off rest; do
		if [[ $idx =~ ^[0-9]+$ ]] && [ "$name" = "$2" ]; then
			echo "$((16#$off)) $((16#$size))"
			return 0
		fi
	done < <(objdump -h -w "$1")
	die "no section $2 in $1"
}
