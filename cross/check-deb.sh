#!/usr/bin/env bash
# Checks an edgevisor .deb: metadata (dpkg-deb --info), contents (dpkg-deb --contents), that
# every ELF file is built for the package's architecture and stripped, and that every shared
# library those files need comes from a package named in Depends (the check dpkg-shlibdeps
# would make; it cannot look into a cross sysroot, so Depends is written by hand in
# cmake/Packaging.cmake and verified here), and that Depends names nothing they do not need.
#
#   cross/check-deb.sh <file.deb> <amd64|arm64|armhf> [<sysroot>]
#
# Without a sysroot, libraries are looked up in the host's dpkg database.
# EDGEVISOR_CHECK_DEB_LINTIAN=0 skips lintian (tests of the other checks: it takes 10-30 s).
set -euo pipefail

deb=${1:?usage: check-deb.sh <file.deb> <arch> [sysroot]}
arch=${2:?usage: check-deb.sh <file.deb> <arch> [sysroot]}
sysroot=${3:-}

failures=0
fail() {
    echo "check-deb: FAIL: $*" >&2
    failures=$((failures + 1))
}

case $arch in
    amd64) machine='x86-64' triplet=x86_64-linux-gnu ;;
    arm64) machine='ARM aarch64' triplet=aarch64-linux-gnu ;;
    armhf) machine='ARM, EABI5' triplet=arm-linux-gnueabihf ;;
    *) echo "check-deb: unknown architecture $arch" >&2; exit 2 ;;
esac

[ -f "$deb" ] || { echo "check-deb: no such file: $deb" >&2; exit 1; }
echo "== dpkg-deb --info $deb"
dpkg-deb --info "$deb"
echo "== dpkg-deb --contents $deb"
dpkg-deb --contents "$deb"

field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = edgevisor ] || fail "Package is '$(field Package)', expected edgevisor"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture is '$(field Architecture)', expected $arch"
[ -n "$(field Version)" ] || fail "no Version"
depends=$(field Depends)
[ -n "$depends" ] || fail "no Depends"
# Package names in Depends, without version constraints.
mapfile -t depends_pkgs < <(tr ',' '\n' <<<"$depends" | sed -E 's/\(.*\)//; s/^ +//; s/ +$//' | grep -v '^$')

# What every package holds (README, "Installing on a board"); add daemons here as they appear.
required=(./usr/bin/edgectl ./usr/sbin/edgevisord ./lib/systemd/system/edgevisord.service
    ./usr/libexec/edgevisor/edgectl-dbus ./usr/libexec/edgevisor/edgevisor-init
    ./usr/libexec/edgevisor/edgevisor-fdholder
    ./etc/edgevisor/edgevisor.yaml ./etc/edgevisor/manifests.d/
    ./usr/lib/tmpfiles.d/edgevisor.conf ./usr/lib/sysusers.d/edgevisor.conf
    ./usr/share/doc/edgevisor/copyright
    ./usr/share/doc/edgevisor/changelog.gz
    ./usr/share/dbus-1/system.d/org.edgevisor.Supervisor1.conf
    ./usr/share/dbus-1/interfaces/org.edgevisor.Supervisor1.xml)
contents=$(dpkg-deb --contents "$deb" | awk '{ print $6 }')
for path in "${required[@]}"; do
    grep -qx "$path" <<<"$contents" || fail "$path missing"
done

# Maintainer scripts, and every file under /etc a conffile (else an upgrade overwrites the
# admin's edits and purge leaves it behind).
control=$(mktemp -d)
dpkg-deb --control "$deb" "$control"
if grep -qx ./lib/systemd/system/edgevisord.service <<<"$contents"; then
    for script in postinst prerm postrm; do
        [ -x "$control/$script" ] || fail "no executable $script maintainer script"
    done
fi
while IFS= read -r path; do
    grep -qx "${path#.}" "$control/conffiles" 2>/dev/null || fail "${path#.} is not listed in conffiles"
done < <(grep '^\./etc/.*[^/]$' <<<"$contents")
rm -rf "$control"

owner_of() { # soname -> Debian package that ships it (empty when unknown)
    local soname=$1 dir
    if [ -n "$sysroot" ]; then
        awk -F'\t' -v so="$soname" '{ n = split($2, p, "/"); if (p[n] == so) { print $1; exit } }' \
            "$sysroot/.edgevisor-files"
    else
        for dir in /lib/$triplet /usr/lib/$triplet /lib64 /usr/lib; do
            if [ -e "$dir/$soname" ]; then
                dpkg -S "$dir/$soname" 2>/dev/null | head -1 | cut -d: -f1 && return
                dpkg -S "$(realpath "$dir/$soname")" 2>/dev/null | head -1 | cut -d: -f1 && return
            fi
        done
    fi
}

needed_pkgs=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp"
elves=0
while IFS= read -r -d '' f; do
    desc=$(file -b "$f")
    [[ $desc == ELF* ]] || continue
    elves=$((elves + 1))
    rel=${f#"$tmp"}
    [[ $desc == *"$machine"* ]] || fail "$rel is not built for $arch: $desc"
    [[ $desc == *", stripped"* ]] || fail "$rel is not stripped: $desc"
    while read -r soname; do
        pkg=$(owner_of "$soname")
        if [ -z "$pkg" ]; then
            fail "$rel needs $soname, which no known package ships"
        elif ! printf '%s\n' "${depends_pkgs[@]}" | grep -qx "$pkg"; then
            fail "$rel needs $soname from $pkg, but Depends does not name $pkg (cmake/Packaging.cmake)"
        else
            echo "ok: $rel needs $soname <- $pkg"
            needed_pkgs+=("$pkg")
        fi
    done < <(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done < <(find "$tmp" -type f -print0)
[ "$elves" -gt 0 ] || fail "no ELF files in the package"
# The other way round: a package in Depends that no binary needs is a stale entry that makes
# users install a library for nothing.
for pkg in "${depends_pkgs[@]}"; do
    printf '%s\n' "${needed_pkgs[@]}" | grep -qx "$pkg" ||
        fail "Depends names $pkg, but no binary in the package needs a library from it (cmake/Packaging.cmake)"
done

# lintian: no errors (warnings are printed, not fatal). Its checks read the package's files and
# need no tools of the package's architecture.
if [ "${EDGEVISOR_CHECK_DEB_LINTIAN:-1}" = 0 ]; then
    echo "== lintian skipped (EDGEVISOR_CHECK_DEB_LINTIAN=0)"
elif command -v lintian >/dev/null; then
    echo "== lintian $deb"
    lintian --fail-on error --suppress-tags no-manual-page "$deb" || fail "lintian reports errors"
else
    fail "lintian is not installed (scripts/setup-deps.sh installs it)"
fi

if [ "$failures" -gt 0 ]; then
    echo "check-deb: $deb: $failures problem(s)" >&2
    exit 1
fi
echo "check-deb: $deb ($arch): ok, $elves ELF file(s), Depends: $depends"
