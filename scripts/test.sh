#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this):
#   1. install dependencies (scripts/setup-deps.sh)
#   2. format check: clang-format 14 over all tracked C++ files
#   3. build everything with -Werror (tree: build/)
#   4. run the whole CTest suite there: unit, integration, vm, cross (the cross tests build
#      arm64 and armhf, run their unit tests under qemu-user and make and check the .debs)
#   5. build an ASan+UBSan tree (build-sanitize/) and run the unit and integration tests in it
#   6. print the stripped binary sizes, the time of each stage, and a closing summary line in
#      CTest's form that counts both CTest runs plus the format check and the two builds
#      (each one test), so a broken build or format is a failed test, not a silent pass.
#
#   ./scripts/test.sh                 (as root; re-runs itself through sudo otherwise)
#
# Environment: EDGEVISOR_BUILD_DIR (default build), EDGEVISOR_JOBS (build jobs, default 2),
# EDGEVISOR_CTEST_JOBS (parallel tests, default 1), EDGEVISOR_TEST_TIMEOUT (seconds for a test
# without its own TIMEOUT, default 300).
set -uo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
cd "$source_dir" || exit 1
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then
        exec sudo --preserve-env=EDGEVISOR_BUILD_DIR,EDGEVISOR_JOBS,EDGEVISOR_CTEST_JOBS,EDGEVISOR_TEST_TIMEOUT \
            "$0" "$@"
    fi
    echo "test: run as root (the integration tests use namespaces, cgroups and mounts)" >&2
    exit 1
fi

build=${EDGEVISOR_BUILD_DIR:-build}
sanitize_build=$build-sanitize
jobs=${EDGEVISOR_JOBS:-2}
ctest_jobs=${EDGEVISOR_CTEST_JOBS:-1}
timeout=${EDGEVISOR_TEST_TIMEOUT:-300}
logs=$build/test-logs
mkdir -p "$logs"

launcher=()
if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    # Paths relative to the checkout, so that a fresh clone elsewhere (CI) still hits the
    # cache that earlier runs on this machine filled (the cross builds inherit this too).
    export CCACHE_BASEDIR=$source_dir CCACHE_NOHASHDIR=1
fi

# Bookkeeping: every stage is timed; checks that are not CTest tests count as one test each.
stage_lines=()
passed=0
failed=0
failed_names=()
run_stage() { # name command...
    local name=$1 start rc
    shift
    printf '\n=== %s (%s)\n' "$name" "$(date -u +%T)"
    start=$(date +%s)
    "$@"
    rc=$?
    stage_lines+=("$(printf '%-24s %5ss  %s' "$name" $(($(date +%s) - start)) \
        "$([ $rc -eq 0 ] && echo ok || echo "FAILED ($rc)")")")
    return $rc
}
count_check() { # name rc
    if [ "$2" -eq 0 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failed_names+=("$1")
    fi
}
count_ctest() { # name log rc: add the counts of CTest's summary line in the log
    local line total nfailed
    line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$2" | tail -n 1)
    if [ -z "$line" ]; then # no summary: ctest itself failed (no tests, crash, bad config)
        count_check "$1 (no CTest summary)" 1
        return
    fi
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
    nfailed=$(sed -E 's/.*, ([0-9]+) tests? failed.*/\1/' <<<"$line")
    passed=$((passed + total - nfailed))
    failed=$((failed + nfailed))
    [ "$nfailed" -eq 0 ] || failed_names+=("$1: $nfailed test(s)")
    # ctest exits non-zero for other reasons too (e.g. --no-tests=error)
    [ "$3" -eq 0 ] || [ "$nfailed" -gt 0 ] || count_check "$1 (ctest exit $3)" 1
}

configure_and_build() { # build-dir cmake-options...
    local dir=$1
    shift
    cmake -S . -B "$dir" -G Ninja "${launcher[@]}" "$@" && cmake --build "$dir" -j "$jobs"
}

run_ctest() { # build-dir log ctest-options...
    local dir=$1 log=$2
    shift 2
    ctest --test-dir "$dir" --timeout "$timeout" --output-on-failure --no-tests=error \
        -j "$ctest_jobs" "$@" 2>&1 | tee "$log"
    return "${PIPESTATUS[0]}"
}

if ! run_stage "dependencies" ./scripts/setup-deps.sh; then
    echo "test: could not install the dependencies; nothing else can run" >&2
    echo "0% tests passed, 1 tests failed out of 1"
    exit 1
fi

run_stage "format check" ./scripts/check-format.sh
count_check "format check" $?

run_stage "build (-Werror)" configure_and_build "$build" -DEDGEVISOR_WERROR=ON \
    -DEDGEVISOR_SANITIZE=OFF -DEDGEVISOR_BUILD_TESTS=ON
build_rc=$?
count_check "build (-Werror)" $build_rc
if [ $build_rc -eq 0 ]; then
    run_stage "ctest (all labels)" run_ctest "$build" "$logs/ctest.log"
    count_ctest "ctest (all labels)" "$logs/ctest.log" $?
fi

# Debug (-O0) compiles faster than an optimised tree and keeps sanitizer reports precise.
run_stage "build (ASan+UBSan)" configure_and_build "$sanitize_build" -DCMAKE_BUILD_TYPE=Debug \
    -DEDGEVISOR_SANITIZE=ON -DEDGEVISOR_WERROR=ON -DEDGEVISOR_BUILD_TESTS=ON \
    "-DEDGEVISOR_TEST_LABELS=unit;integration" -DEDGEVISOR_BUILD_BENCH=OFF \
    -DEDGEVISOR_CROSS_TESTS=OFF -DEDGEVISOR_VM_TESTS=OFF
sanitize_rc=$?
count_check "build (ASan+UBSan)" $sanitize_rc
if [ $sanitize_rc -eq 0 ]; then
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    run_stage "ctest (sanitizers)" run_ctest "$sanitize_build" "$logs/ctest-sanitize.log" \
        -L 'unit|integration'
    count_ctest "ctest (sanitizers)" "$logs/ctest-sanitize.log" $?
fi

printf '\n=== stripped binary sizes\n'
./scripts/sizes.sh "$build" || true

printf '\n=== stages (wall time)\n'
printf '%s\n' "${stage_lines[@]}"
if [ ${#failed_names[@]} -gt 0 ]; then
    printf '\nFAILED:\n'
    printf '  %s\n' "${failed_names[@]}"
fi

# The closing line, in CTest's form (CTest rounds down and never shows 100% with a failure).
total=$((passed + failed))
percent=$((total > 0 ? passed * 100 / total : 0))
[ $failed -eq 0 ] || [ $percent -lt 100 ] || percent=99
printf '\n%d%% tests passed, %d tests failed out of %d\n' "$percent" "$failed" "$total"
[ $failed -eq 0 ] && [ $total -gt 0 ]
