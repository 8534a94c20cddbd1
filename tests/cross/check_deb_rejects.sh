#!/usr/bin/env bash
# cross/check-deb.sh must fail a package whose Depends misses a library that a binary needs,
# one whose Depends names a package no binary needs, and one whose binary is not stripped: it
# is what keeps the hand-written Depends honest.
#   check_deb_rejects.sh <source-dir> <built edgectl>
set -euo pipefail
source_dir=$1
edgectl=$2
arch=$(dpkg --print-architecture)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

make_deb() { # name depends strip(yes|no)
    local root=$tmp/$1
    mkdir -p "$root/DEBIAN" "$root/usr/bin"
    cp "$edgectl" "$root/usr/bin/edgectl"
    [ "$3" = no ] || strip "$root/usr/bin/edgectl"
    printf 'Package: edgevisor\nVersion: 0.0.1\nArchitecture: %s\nMaintainer: test <t@localhost>\nDepends: %s\nDescription: test\n' \
        "$arch" "$2" >"$root/DEBIAN/control"
    dpkg-deb --root-owner-group -b "$root" "$tmp/$1.deb" >/dev/null
}
expect_failure() { # name message
    if "$source_dir/cross/check-deb.sh" "$tmp/$1.deb" "$arch" >"$tmp/$1.log" 2>&1; then
        echo "FAIL: check-deb accepted the $1 package"; exit 1
    fi
    grep -q "$2" "$tmp/$1.log" || { echo "FAIL: no '$2' in:"; cat "$tmp/$1.log"; exit 1; }
    echo "ok: $1 rejected ($2)"
}

# edgectl needs glibc (libc6) whether its other libraries are linked statically or not.
make_deb missing-depends "libzstd1" yes
expect_failure missing-depends "but Depends does not name libc6"
make_deb stale-depends "libc6, libzstd1" yes
expect_failure stale-depends "Depends names libzstd1, but no binary in the package needs"
# check-deb reports every problem, so the Depends gap does not hide this one.
make_deb unstripped "libc6" no
expect_failure unstripped "is not stripped"
