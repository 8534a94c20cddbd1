#!/usr/bin/env bash
# Builds the .deb of a configured and built tree and checks it (cross/check-deb.sh).
#
#   cross/package.sh <build-dir> [<arch> [<sysroot>]]     (arch defaults to the host's)
set -euo pipefail
build=${1:?usage: package.sh <build-dir> [arch [sysroot]]}
arch=${2:-$(dpkg --print-architecture)}
sysroot=${3:-}
source_dir=$(cd "$(dirname "$0")/.." && pwd)

rm -rf "$build/packages"
(cd "$build" && cpack -G DEB >/dev/null)
deb=$(ls "$build"/packages/edgevisor_*_"$arch".deb)
"$source_dir/cross/check-deb.sh" "$deb" "$arch" "$sysroot"
