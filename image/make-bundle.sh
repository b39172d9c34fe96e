#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# make-bundle.sh BUILD_DIR BOOT_PARTITION ROOT_SQUASHFS ROOT_VERITY OUT [VERSION]
#
# Packs one slot (its boot partition image with the signed UKI, the
# squashfs root and its dm-verity hash tree) as a signed RAUC bundle in the
# verity format (RAUC docs, "Bundle formats"; manifest keys: "Reference" >
# "Manifest"), signed with BUILD_DIR/keys. The root hash needs no file of
# its own: it is in the UKI's signed command line (image/lib/uki.sh).
set -euo pipefail
here=$(dirname "$0")
# shellcheck source=image/lib/common.sh
. "$here/lib/common.sh"

[ $# -ge 5 ] || die "usage: $0 BUILD_DIR BOOT_PARTITION ROOT_SQUASHFS ROOT_VERITY OUT [VERSION]"
build=$1 efi=$2 squashfs=$3 verity=$4 out=$5
version=${6:-$(date -u +%Y.%m.%d.%H%M%S)}

work=$(mktemp -d -p "$build" bundle.XXXXXX)
trap 'rm -rf "$work"' EXIT
content="$work/content"
mkdir "$content"
# rauc checks the new bundle's signature against the keyring right away,
# with the device's certificate purpose (check-purpose=codesign, as in
# rootfs/etc/rauc/system.conf); only a configuration file can say so.
cat >"$work/host.conf" <<CONF
[system]
compatible=$RAUC_COMPATIBLE
bootloader=noop
statusfile=$work/status

[keyring]
path=$build/keys/ca.pem
check-purpose=codesign
CONF
# Hard links, not copies: same file system, and the bundle is packed from
# the directory with mksquashfs anyway.
ln "$squashfs" "$content/root.squashfs" 2>/dev/null || cp "$squashfs" "$content/root.squashfs"
# RAUC picks how to write an image by its file name; ".img" is a raw image
# (RAUC docs, "Reference" > "Image types"), which the hash tree and the
# boot partition's FAT file system are.
ln "$verity" "$content/verity.img" 2>/dev/null || cp "$verity" "$content/verity.img"
ln "$efi" "$content/efi.img" 2>/dev/null || cp "$efi" "$content/efi.img"
cat >"$content/manifest.raucm" <<MANIFEST
[update]
compatible=$RAUC_COMPATIBLE
version=$version

[bundle]
format=verity

[image.rootfs]
filename=root.squashfs

[image.verity]
filename=verity.img

[image.efi]
filename=efi.img
MANIFEST
rm -f "$out"
# The payload is squashfs already; zstd at a low level packs the bundle's
# own squashfs quickly (the device's kernel reads zstd squashfs).
rauc --conf="$work/host.conf" bundle --cert="$build/keys/signer.pem" --key="$build/keys/signer.key" \
	--mksquashfs-args="-comp zstd -Xcompression-level 3" "$content" "$out" >"$out.log" 2>&1 ||
	{ cat "$out.log"; die "rauc bundle failed"; }
# And once more the way the device will: `rauc info` verifies the signature.
rauc --conf="$work/host.conf" info "$out" >>"$out.log" 2>&1 ||
	{ cat "$out.log"; die "the new bundle does not verify against $build/keys/ca.pem"; }
log "bundle $out ($version)"
