#!/usr/bin/env bash
# Installs everything edgevisor needs to build, test, cross-build and package, from Debian 12's
# own archive (nothing is downloaded from anywhere else). Idempotent and non-interactive: when
# every package is already installed it does nothing (and needs no network).
#
#   ./scripts/setup-deps.sh            (as root; re-runs itself through sudo otherwise)
set -euo pipefail

# One list for the whole project; add a package here (with the reason) when the tree needs it.
PACKAGES=(
    # toolchain and build
    build-essential cmake ninja-build ccache pkg-config git file
    # libraries (see DESIGN.md's dependency table)
    libyaml-cpp-dev libseccomp-dev libcap-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
    libcli11-dev nettle-dev
    # Paho's CMake config asks for libpaho-mqtt-dev and libssl-dev explicitly
    libpaho-mqttpp-dev libpaho-mqtt-dev libssl-dev
    libsdbus-c++-dev libsdbus-c++-bin libsystemd-dev
    # tests and the format check (clang-format 14 is Debian 12's)
    catch2 clang-format
    # real peers in integration tests: MQTT broker and clients, dbus-daemon and busctl
    mosquitto mosquitto-clients dbus
    # isolation tests: a static busybox for rootfs trees, reference runtimes, ip
    busybox-static bubblewrap crun iproute2
    # the QEMU test guests (kernel unpacked from Debian's package, initramfs built with cpio;
    # the systemd guest's root filesystem from mmdebstrap, its disk from mkfs.ext4 -d, its
    # results read back with debugfs)
    qemu-system-x86 xz-utils cpio mmdebstrap e2fsprogs
    # the .deb: lintian (cross/check-deb.sh fails on its errors)
    lintian
    # cross builds (cross/): compilers, qemu-user for the unit tests, dpkg-deb for sysroots
    # and packages
    g++-aarch64-linux-gnu g++-arm-linux-gnueabihf qemu-user-static dpkg-dev
)

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then
        exec sudo --preserve-env=EDGEVISOR_JOBS "$0" "$@"
    fi
    echo "setup-deps: run as root (apt-get install needs it)" >&2
    exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
    [[ $status == ii* ]] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup-deps: all ${#PACKAGES[@]} packages are installed"
    exit 0
fi

echo "setup-deps: installing ${#missing[@]} package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
echo "setup-deps: done"
