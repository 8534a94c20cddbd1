#!/usr/bin/env bash
# Fails when a tracked C++ file differs from what clang-format 14 (.clang-format at the root)
# makes of it. Fix with: clang-format-14 -i <files>
# It also refuses Catch2 test names that catch_discover_tests cannot register: CTest splits a
# name at ';' and mangles brackets, and the test then runs nothing and passes.
set -euo pipefail
cd "$(dirname "$0")/.."

clang_format=$(command -v clang-format-14 || command -v clang-format || true)
[ -n "$clang_format" ] || { echo "check-format: clang-format 14 is not installed" >&2; exit 1; }
"$clang_format" --version | grep -q 'version 14\.' ||
    echo "check-format: warning: $("$clang_format" --version) is not clang-format 14" >&2

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -d '' files < <(git ls-files -z -- '*.cpp' '*.hpp' '*.h' '*.cc' '*.cxx' '*.hh')
else
    mapfile -d '' files < <(find . -path './build*' -prune -o -type f \
        \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.cc' \) -print0)
fi
[ ${#files[@]} -gt 0 ] || { echo "check-format: no C++ files found" >&2; exit 1; }

bad_names=$(grep -nE 'TEST_CASE\("[^"]*[][;]' "${files[@]}" || true)
if [ -n "$bad_names" ]; then
    printf '%s\n' "$bad_names" >&2
    echo "check-format: test names above contain ';' or brackets; CTest would skip them" >&2
    exit 1
fi

if "$clang_format" --dry-run -Werror "${files[@]}"; then
    echo "check-format: ${#files[@]} files formatted"
else
    echo "check-format: the files above are not formatted (clang-format-14 -i <file>)" >&2
    exit 1
fi
