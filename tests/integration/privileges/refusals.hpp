// The calls the default seccomp profile must refuse with EPERM, each paired with the
// capability the kernel itself wants for it (one that does not open the call in the filter):
// the tests grant that capability in both runs (default and unconfined), so that a refusal can
// only come from the filter. The checker's "privileged" attempt
// (tests/support/checker/privilege_calls.cpp) makes each call.
#pragma once

#include <linux/capability.h>

#include <vector>

#include "edgevisor/manifests/spec.hpp"

namespace edgevisor::testing {

struct Refusal {
    const char* call;
    std::vector<manifests::Capability> caps;
};

inline std::vector<Refusal> default_profile_refusals() {
    using C = manifests::Capability;
    return {
        {"setns", {}},          {"keyctl", {}},
        {"add_key", {}},        {"perf_event_open", {}},
        {"userfaultfd", {}},    {"kexec_load", {C{CAP_SYS_BOOT, "CAP_SYS_BOOT"}}},
        {"io_uring_setup", {}}, {"ptrace_child", {}},
    };
}

// The calls a capability opens, as in Docker's profile (includes.caps): granted, the call
// reaches the kernel as it does unconfined; without it, the filter answers EPERM.
inline std::vector<Refusal> capability_openings() {
    using C = manifests::Capability;
    return {
        {"bpf", {C{CAP_BPF, "CAP_BPF"}}},
        {"init_module", {C{CAP_SYS_MODULE, "CAP_SYS_MODULE"}}},
        {"reboot", {C{CAP_SYS_BOOT, "CAP_SYS_BOOT"}}},
        {"settimeofday", {C{CAP_SYS_TIME, "CAP_SYS_TIME"}}},
        {"open_by_handle_at", {C{CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH"}}},
        {"ptrace_child", {C{CAP_SYS_PTRACE, "CAP_SYS_PTRACE"}}},
    };
}

}  // namespace edgevisor::testing
