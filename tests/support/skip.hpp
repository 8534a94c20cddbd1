// Loud skips for Catch2 2.13, which has no SKIP: print the reason and exit with the code that
// CTest's SKIP_RETURN_CODE turns into "Skipped". Each TEST_CASE runs in its own process under
// CTest (catch_discover_tests), so exiting ends only that test.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace edgevisor::testing {

inline constexpr int kSkipExitCode = 77;

[[noreturn]] inline void skip(const std::string& reason) {
    std::fprintf(stderr, "\n*** SKIPPED: %s ***\n", reason.c_str());
    std::fflush(nullptr);
    std::_Exit(kSkipExitCode);
}

inline void require_root() {
    if (::geteuid() != 0) skip("needs root (run the suite as root)");
}

// True when running under qemu-user (cross tests), where seccomp, user namespaces and
// clone() with namespace flags do not work.
inline bool under_emulation() {
    return std::getenv("EDGEVISOR_EMULATED") != nullptr;
}

inline void require_native(const char* what) {
    if (under_emulation()) skip(std::string(what) + " cannot run under qemu-user emulation");
}

}  // namespace edgevisor::testing
