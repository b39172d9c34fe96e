#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs the Debian 12 packages the terminal needs to build and test, if
# any are missing. Run as root (or with sudo available). Safe to run again.
set -euo pipefail

packages=(
    # Build tools and the C libraries of Slint's linuxkms backend.
    pkg-config libfontconfig-dev libudev-dev libinput-dev libxkbcommon-dev
    # The store-and-forward queue and the local portal (rusqlite on the system SQLite).
    libsqlite3-dev
    # The PC/SC layer: pcsc-lite to build against, and for its tests the real
    # daemon with the virtual reader driver (tests only, never in the image).
    libpcsclite-dev pcscd vsmartcard-vpcd
    # eID protocol tests: Debian's cvc-create/cvc-print and openssl as independent references,
    # and OpenPACE (libeac) whose cryptography drives the simulated ID card.
    openpace openssl libeac-dev libssl-dev
    # An independent eID client: OpenSC's opensc-tool must recognise the
    # simulated card as a German ID card (by its EF.DIR).
    opensc
    # JOSE tests: an independent JWE/JWS implementation to check ours against.
    python3 python3-jwcrypto
    # The staff code tests: an independent TOTP implementation (OATH Toolkit).
    oathtool
    # Checks the systemd units offline.
    systemd
    # The appliance image: root file system, read-only squashfs with dm-verity,
    # GPT disk, GRUB for the A/B slots, RAUC bundles; and its boot tests in a
    # container and in QEMU with UEFI firmware.
    mmdebstrap squashfs-tools cryptsetup-bin genimage rauc grub-efi-amd64-bin grub-common
    dosfstools mtools e2fsprogs fdisk binutils qemu-system-x86 ovmf systemd-container procps util-linux
    # The image tests' key presses go to QEMU's monitor (QMP) through socat.
    socat
)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
    echo "Installing Debian packages: ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q
    # A failed install sometimes leaves dpkg half-configured; repair and retry once.
    if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"; then
        $sudo apt-get -f install -y -q
        $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
fi

if ! command -v cargo >/dev/null; then
    echo "error: the Rust toolchain (cargo, rustc 1.92 or newer) is missing." >&2
    echo "Debian 12's own rustc is too old for Slint; install a current toolchain with rustup." >&2
    exit 1
fi
