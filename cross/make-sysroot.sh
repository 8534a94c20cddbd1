#!/usr/bin/env bash
# Builds (or reuses) a sysroot of Debian 12 -dev packages for one foreign architecture and
# prints its path on the last line of stdout.
#
#   cross/make-sysroot.sh arm64|armhf
#
# Why not `dpkg --add-architecture` + `apt-get install pkg:arm64`: foreign -dev packages
# conflict by multiarch (libyaml-cpp-dev is not Multi-Arch: same, catch2 is foreign) and
# pull host library upgrades along; and with armhf enabled in dpkg one stale index makes the
# host's `apt-get update` fail. So the host's dpkg and apt state are never touched: apt's own
# solver runs against an empty dpkg status and a private lists dir, `apt-get download`
# fetches exactly what it chose, and `dpkg-deb -x` unpacks it into a plain directory.
#
# Cache: $EDGEVISOR_CROSS_CACHE (default /var/cache/edgevisor-cross, or ~/.cache/... when
# that is not writable)/<arch>/. A sysroot is rebuilt only when the package list or this
# script changes; a rerun costs a hash and a few stat calls.
set -euo pipefail

# Everything our libraries and tests link or include, for the target. apt adds the
# dependencies (libstdc++6, libnettle8, ...). The C++ headers come with the cross compiler, so
# libstdc++-12-dev is not needed. Add a package here when a library starts using it.
SYSROOT_PACKAGES=(
    libc6-dev
    libyaml-cpp-dev libseccomp-dev libcap-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
    libcli11-dev nettle-dev catch2
    # the local bus (telemetry/dbus): sdbus-c++ and libsystemd (sd_bus_path_encode)
    libsdbus-c++-dev libsystemd-dev
    # the fleet channel (telemetry/mqtt): Paho MQTT C++ on Paho C, whose CMake config asks
    # for OpenSSL
    libpaho-mqttpp-dev libpaho-mqtt-dev libssl-dev
)

arch=${1:?usage: make-sysroot.sh arm64|armhf}
case $arch in
    arm64 | armhf) ;;
    *) echo "make-sysroot.sh: unsupported architecture '$arch' (arm64 or armhf)" >&2; exit 2 ;;
esac

default_cache=/var/cache/edgevisor-cross
if ! mkdir -p "$default_cache" 2>/dev/null || [ ! -w "$default_cache" ]; then
    default_cache=${XDG_CACHE_HOME:-$HOME/.cache}/edgevisor-cross
fi
cache=${EDGEVISOR_CROSS_CACHE:-$default_cache}/$arch
sysroot=$cache/sysroot
mkdir -p "$cache"

log() { echo "make-sysroot[$arch]: $*" >&2; }

# One builder per architecture at a time (the arm64 and armhf cross tests may run in parallel;
# they use separate directories, but two runs for the same arch must not interleave).
exec 9>"$cache/lock"
flock 9

stamp=$( { printf '%s\n' "${SYSROOT_PACKAGES[@]}"; cat "$0"; } | sha256sum | cut -d' ' -f1)
if [ -d "$sysroot" ] && [ "$(cat "$cache/stamp" 2>/dev/null)" = "$stamp" ]; then
    log "up to date: $sysroot"
    echo "$sysroot"
    exit 0
fi

# A private apt world: our own lists, an empty dpkg status, the host's sources (copied, so
# that the foreign architecture never appears in the host's configuration).
aptdir=$cache/apt
rm -rf "$aptdir"
mkdir -p "$aptdir/lists/partial" "$aptdir/archives/partial" "$aptdir/cache" \
    "$aptdir/etc/sources.list.d" "$aptdir/etc/preferences.d"
: >"$aptdir/status"
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$aptdir/etc/sources.list"
touch "$aptdir/etc/sources.list"
for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && cp "$f" "$aptdir/etc/sources.list.d/"
done
apt_opts=(
    -o "Dir::State::Lists=$aptdir/lists" -o "Dir::State::status=$aptdir/status"
    -o "Dir::Cache=$aptdir/cache" -o "Dir::Cache::archives=$aptdir/archives"
    -o "Dir::Etc::SourceList=$aptdir/etc/sources.list"
    -o "Dir::Etc::SourceParts=$aptdir/etc/sources.list.d"
    -o "Dir::Etc::Preferences=$aptdir/etc/preferences"
    -o "Dir::Etc::PreferencesParts=$aptdir/etc/preferences.d"
    -o "APT::Architecture=$arch" -o "APT::Architectures=$arch"
    -o "Debug::NoLocking=1" -o "APT::Get::Assume-Yes=1" -o "quiet=1"
)

log "updating package lists for $arch"
# A mirror may serve one stale index for a foreign architecture (seen: bookworm-security
# armhf, "File has unexpected size"). apt then keeps the other suites; that is good enough for
# a build sysroot as long as the main suite is there.
if ! apt-get "${apt_opts[@]}" update >"$cache/update.log" 2>&1; then
    log "warning: apt-get update reported errors (see $cache/update.log); continuing with the indexes it got"
    grep -E '^(E|W):' "$cache/update.log" | head -5 >&2 || true
fi
if ! compgen -G "$aptdir/lists/*_main_binary-${arch}_Packages*" >/dev/null; then
    log "error: no package index for $arch was downloaded (see $cache/update.log)"
    exit 1
fi

# apt's solver picks the exact closure (name=version) against the empty status.
mapfile -t closure < <(apt-get "${apt_opts[@]}" install -s --no-install-recommends \
    "${SYSROOT_PACKAGES[@]}" | awk '/^Inst /{ gsub(/[()]/, "", $3); print $2 "=" $3 }')
if [ ${#closure[@]} -eq 0 ]; then
    log "error: apt resolved no packages for: ${SYSROOT_PACKAGES[*]}"
    exit 1
fi
log "resolved ${#closure[@]} packages; downloading"

debs=$cache/debs
mkdir -p "$debs"
# Old versions would be unpacked too: keep only what this closure names.
find "$debs" -name '*.deb' -delete
(cd "$debs" && apt-get "${apt_opts[@]}" download "${closure[@]}" >"$cache/download.log" 2>&1) || {
    log "error: apt-get download failed (see $cache/download.log)"
    tail -5 "$cache/download.log" >&2
    exit 1
}

tmp=$cache/sysroot.new
rm -rf "$tmp"
mkdir -p "$tmp"
# Also record which package ships which file: cross/check-deb.sh maps the shared libraries a
# packaged binary needs to the Debian packages that its Depends must name (what dpkg-shlibdeps
# would do, if it could look into a sysroot).
index=$tmp/.edgevisor-files
: >"$index"
for deb in "$debs"/*.deb; do
    dpkg-deb -x "$deb" "$tmp"
    pkg=$(dpkg-deb -f "$deb" Package)
    dpkg-deb -c "$deb" | awk -v pkg="$pkg" '{ sub(/^\./, "", $6); print pkg "\t" $6 }' >>"$index"
done

# Documentation is never read by a compiler.
rm -rf "$tmp/usr/share/doc" "$tmp/usr/share/man" "$tmp/usr/share/locale" "$tmp/usr/share/lintian"

# Absolute symlinks (libfoo.so -> /lib/<triplet>/libfoo.so.1) would point into the host.
# Make each one relative to its own directory, so it resolves inside the sysroot wherever the
# sysroot is.
while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    case $target in
        /*) ln -sfn "$(realpath -s -m --relative-to="$(dirname "$link")" "$tmp$target")" "$link" ;;
    esac
done < <(find "$tmp" -type l -print0)

rm -rf "$sysroot"
mv "$tmp" "$sysroot"
echo "$stamp" >"$cache/stamp"
log "built $sysroot ($(du -sh "$sysroot" | cut -f1), ${#closure[@]} packages)"
echo "$sysroot"
