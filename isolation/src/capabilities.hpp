// Capabilities: prepare() in the parent, the child_* steps between clone and exec.
// Child functions allocate nothing and return 0 or an errno.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "edgevisor/error.hpp"
#include "edgevisor/manifests/spec.hpp"

namespace edgevisor::isolation {

struct CapabilityPlan {
    std::uint64_t keep = 0;  // bit n = capability n, exactly the manifest's `add`
    int last_cap = 0;        // highest capability the running kernel knows
    bool non_root = false;   // target uid != 0: also raise inheritable + ambient
    bool no_new_privileges = true;
    unsigned securebits = 0;  // PR_SET_SECUREBITS value, all bits locked (see capabilities.cpp)
    // Held in effective/permitted (never bounding, inheritable or ambient) only until the
    // seccomp filter is loaded: CAP_SYS_ADMIN for noNewPrivileges: false with a filter, which
    // the kernel loads only for a CAP_SYS_ADMIN holder or under no_new_privs (systemd's way).
    std::uint64_t retained = 0;
};

// Validates against the running kernel (a capability newer than the kernel is an error). For
// noNewPrivileges: false with a seccomp filter, CAP_SYS_ADMIN is retained until the filter is
// loaded (unless the manifest adds it).
Result<CapabilityPlan> prepare_capabilities(const manifests::Isolation& isolation,
                                            uid_t target_uid);

// Order in the child: drop_bounding -> lock_securebits -> (identity: setgroups/setgid/setuid)
// -> apply_sets -> set_no_new_privs -> (close fds) -> seccomp -> drop_retained -> execve.
int child_drop_bounding(const CapabilityPlan& plan) noexcept;
int child_lock_securebits(const CapabilityPlan& plan) noexcept;
int child_apply_sets(const CapabilityPlan& plan) noexcept;
int child_set_no_new_privs(const CapabilityPlan& plan) noexcept;

}  // namespace edgevisor::isolation
