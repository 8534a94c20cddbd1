// Under qemu-user (the cross tests) the seccomp(2) system call is not emulated, so libseccomp's
// probe of the kernel finds API level 1 and refuses the KILL_PROCESS and LOG actions that our
// filters use (seccomp_attr_set and seccomp_rule_add return EINVAL, and every compile fails).
// The kernels we target have them (level 3 is Linux 4.14; Debian 12 runs 6.1), so this binary
// tells libseccomp so before any test compiles a filter. Only compiling happens under
// emulation: no filter is ever loaded there. Natively the real probe stays in charge.
#include <seccomp.h>

#include <cstdio>
#include <cstdlib>

#include "skip.hpp"

namespace {

// Level 3: KILL_PROCESS and LOG actions, the seccomp() call itself (see seccomp_api_get(3)).
constexpr unsigned kTargetKernelApiLevel = 3;

// Runs before main(), so before any test case's first seccomp_init().
const bool kApiLevelSet = [] {
    if (!edgevisor::testing::under_emulation()) return false;
    if (const int rc = seccomp_api_set(kTargetKernelApiLevel); rc != 0) {
        std::fprintf(stderr, "seccomp_api_set(%u) failed: %d\n", kTargetKernelApiLevel, rc);
        std::abort();
    }
    return true;
}();

}  // namespace
