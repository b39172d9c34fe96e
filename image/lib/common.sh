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

# How a root slot's squashfs is packed: gzip because GRUB reads the kernel
# from it and GRUB 2.06's squash4 driver reads gzip, xz and lzo, not zstd
# (grub-core/fs/squash4.c); level 3 because the default, 9, took over ten
# times as long here for a few per cent.
ROOT_SQUASHFS_OPTIONS=(-comp gzip -Xcompression-level 3 -noappend -quiet -no-progress)

log() { printf '[image %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# Seconds since the epoch with sub-second precision, for the figures.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# record NAME VALUE: one line of the figures file that image/figures.sh prints.
record() { printf '%s=%s\n' "$1" "$2" >>"$BUILD/figures.env"; }
