# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this
#
# Shared by image/build.sh and image/test.sh (sourced, not run).

# The Debian release and mirrors the image is built from (the ones CI's
# Debian 12 host uses, see /etc/apt/sources.list.d/ there).
SUITE=bookworm
MIRRORS=(
	"deb http://deb.debian.org/debian bookworm main"
	"deb http://deb.debian.org/debian bookworm-updates main"
	"deb http://deb.debian.org/debian-security bookworm-security main"
)

# What RAUC checks a bundle against: the `compatible` of the device's
# system.conf must equal the bundle manifest's (RAUC docs, "Compatible").
RAUC_COMPATIBLE=buergerterminal-x86_64

# How a root slot's squashfs is packed: zstd, which only the kernel reads
# (the kernel and initramfs are in the UKI, not in the root); level 3, fast
# to pack for most of the gain.
ROOT_SQUASHFS_OPTIONS=(-comp zstd -Xcompression-level 3 -noappend -quiet -no-progress)

# The disk's partitions, in GPT order, by name and PARTUUID. The PARTUUIDs are
# part of the layout, the same on every terminal and in every release: the
# signed kernel command line names them (kiosk.slots=, kiosk.data=), and the
# initramfs looks for them only on the disk the firmware booted from
# (rootfs/etc/initramfs-tools/scripts/local-top/kiosk-boot). Changing one
# makes every installed terminal refuse the next update, so they never change.
PART_NAMES=(efi-a root-a verity-a efi-b root-b verity-b data)
declare -A PARTUUID=(
	[efi-a]=f056ff98-bdc4-4382-8122-591a782e2a0f
	[root-a]=6762dfda-36c7-42c0-850f-dbbfe61c58ef
	[verity-a]=055cbc50-32a8-4e47-9f16-106410800da6
	[efi-b]=0a8d2176-5449-4c10-aa15-954b33df5ddc
	[root-b]=cd9a2b42-b0b5-44b3-be88-259ad1eff3d6
	[verity-b]=13a3a6ba-dfa1-4d1e-8267-9b66fbddeaaa
	[data]=ac9ecbbd-e2e3-45c2-b946-6c26f9605095
)

# What the data partition holds in a freshly written image, at its start:
# the initramfs sets up LUKS2 on a partition that begins with exactly this,
# and on nothing else (a damaged LUKS header is reported, never formatted).
DATA_UNPROVISIONED_MAGIC="KIOSK-DATA-UNPROVISIONED"

log() { printf '[image %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# Seconds since the epoch with sub-second precision, for the figures.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# record NAME VALUE: one line of the figures file that image/figures.sh prints.
record() { printf '%s=%s\n' "$1" "$2" >>"$BUILD/figures.env"; }
