#!/usr/bin/env bash
# Prints the size of each stripped program in the .deb files of a build tree: the host's
# (<build>/packages) and the cross builds' (<build>/cross/<arch>/packages), which
# ./scripts/test.sh (the `cross` tests) makes.
#
#   ./scripts/sizes.sh [build-dir]        (default: build)
set -euo pipefail
build=${1:-build}

mapfile -t debs < <(find "$build" -path '*/packages/edgevisor_*.deb' -not -path '*/_CPack_Packages/*' | sort)
if [ ${#debs[@]} -eq 0 ]; then
    echo "sizes: no .deb under $build (run ./scripts/test.sh, or cpack in a built tree)" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-6s %-20s %10s %9s  %s\n' arch program bytes KiB ".deb"
for deb in "${debs[@]}"; do
    arch=$(dpkg-deb --field "$deb" Architecture)
    rm -rf "$tmp/x"
    dpkg-deb -x "$deb" "$tmp/x"
    while IFS= read -r -d '' f; do
        file -b "$f" | grep -q '^ELF' || continue
        bytes=$(stat -c %s "$f")
        awk -v a="$arch" -v p="${f#"$tmp/x"}" -v b="$bytes" -v d="$(basename "$deb")" \
            -v db="$(stat -c %s "$deb")" \
            'BEGIN { printf "%-6s %-20s %10d %9.1f  %s (%.0f KiB)\n", a, p, b, b / 1024, d, db / 1024 }'
    done < <(find "$tmp/x" -type f -print0 | sort -z)
done
