#!/usr/bin/env bash
# cross/check-deb.sh must fail a package whose Depends misses a library that a binary needs,
# one whose Depends names a package no binary needs, and one whose binary is not stripped: it
# is what keeps the hand-written Depends honest; also a file under /etc that is not a conffile,
# and a package lintian reports an error for.
#   check_deb_rejects.sh <source-dir> <built edgectl>
set -euo pipefail
source_dir=$1
edgectl=$2
arch=$(dpkg --print-architecture)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

make_deb() { # name depends strip(yes|no) [etc-file]
    local root=$tmp/$1
    mkdir -p "$root/DEBIAN" "$root/usr/bin"
    cp "$edgectl" "$root/usr/bin/edgectl"
    [ "$3" = no ] || strip "$root/usr/bin/edgectl"
    if [ -n "${4:-}" ]; then
        mkdir -p "$root/etc/edgevisor"
        echo "# config" >"$root/etc/edgevisor/$4"
    fi
    printf 'Package: edgevisor\nVersion: 0.0.1\nArchitecture: %s\nMaintainer: test <t@localhost>\nDepends: %s\nDescription: test\n' \
        "$arch" "$2" >"$root/DEBIAN/control"
    dpkg-deb --root-owner-group -b "$root" "$tmp/$1.deb" >/dev/null
}
expect_failure() { # name message  (EDGEVISOR_CHECK_DEB_LINTIAN from the caller)
    if "$source_dir/cross/check-deb.sh" "$tmp/$1.deb" "$arch" >"$tmp/$1.log" 2>&1; then
        echo "FAIL: check-deb accepted the $1 package"; exit 1
    fi
    grep -q "$2" "$tmp/$1.log" || { echo "FAIL: no '$2' in:"; cat "$tmp/$1.log"; exit 1; }
    echo "ok: $1 rejected ($2)"
}

# lintian takes 10-30 s a package: only the case that is about it runs it.
export EDGEVISOR_CHECK_DEB_LINTIAN=0
# edgectl needs glibc (libc6) whether its other libraries are linked statically or not.
make_deb missing-depends "libzstd1" yes
expect_failure missing-depends "but Depends does not name libc6"
make_deb stale-depends "libc6, libzstd1" yes
expect_failure stale-depends "Depends names libzstd1, but no binary in the package needs"
# check-deb reports every problem, so the Depends gap does not hide this one.
make_deb unstripped "libc6" no
expect_failure unstripped "is not stripped"
make_deb not-conffile "libc6" yes edgevisor.yaml
expect_failure not-conffile "/etc/edgevisor/edgevisor.yaml is not listed in conffiles"
# The control file's maintainer address is at localhost: lintian's bogus-mail-host error.
EDGEVISOR_CHECK_DEB_LINTIAN=1
make_deb lintian-error "libc6" yes
expect_failure lintian-error "lintian reports errors"
