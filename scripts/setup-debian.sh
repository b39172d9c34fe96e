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
    # the signed unified kernel image (systemd's EFI stub, sbsigntool), GPT
    # disk, RAUC bundles; and its boot tests in a container and in QEMU with
    # UEFI firmware under Secure Boot, a software TPM, and the LUKS2 header
    # and recovery key checked with cryptsetup and openssl.
    mmdebstrap squashfs-tools cryptsetup-bin genimage rauc systemd-boot-efi sbsigntool
    dosfstools mtools e2fsprogs fdisk binutils qemu-system-x86 ovmf swtpm swtpm-tools
    systemd-container procps util-linux python3-venv
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

# virt-fw-vars (virt-firmware, not packaged in Debian 12) enrols the test
# Secure Boot keys and boot entries into OVMF's variable store. From PyPI,
# pinned, in a virtual environment of its own.
VIRT_FIRMWARE_VERSION=26.10
venv=/opt/virt-firmware
if ! "$venv/bin/pip" show virt-firmware 2>/dev/null | grep -qx "Version: $VIRT_FIRMWARE_VERSION"; then
    echo "Installing virt-firmware $VIRT_FIRMWARE_VERSION from PyPI into $venv"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo python3 -m venv "$venv"
    $sudo "$venv/bin/pip" install --quiet "virt-firmware==$VIRT_FIRMWARE_VERSION"
fi

if ! command -v cargo >/dev/null; then
    echo "error: the Rust toolchain (cargo, rustc 1.92 or newer) is missing." >&2
    echo "Debian 12's own rustc is too old for Slint; install a current toolchain with rustup." >&2
    exit 1
fi
