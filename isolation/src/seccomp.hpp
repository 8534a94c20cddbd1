// Seccomp: the filter is compiled to BPF in the parent (and cached by the policy's text);
// the child only loads the ready program, as the last step before execve.
#pragma once

#include <linux/filter.h>

#include <memory>
#include <string>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/manifests/spec.hpp"

namespace edgevisor::isolation {

struct SeccompProgram {
    std::vector<sock_filter> instructions;  // empty: unconfined, nothing to load
    std::string policy_hash;
    std::vector<std::string> warnings;  // e.g. unknown syscall names in an imported profile
    [[nodiscard]] sock_fprog fprog() const;
};

// Policies the process-wide cache keeps; beyond that the least recently used one is dropped
// (a program in use lives on with its launch; the on-disk cache still has it).
inline constexpr std::size_t kProgramCacheEntries = 64;

// Compiles (or fetches from the process-wide, thread-safe cache, then from the on-disk cache
// of seccomp_cache.hpp) the program for a spec's seccomp policy. `granted` are the workload's
// capabilities: an imported Docker profile allows some calls only to holders of a capability
// (includes.caps). Pass spec.isolation.capabilities; the default (none granted) is the stricter
// result. Warnings are for the caller to log.
Result<std::shared_ptr<const SeccompProgram>> prepare_seccomp(
    const manifests::Seccomp& seccomp, const manifests::Capabilities& granted = {});

// In the child: loads the program (no-op when empty). Returns 0 or an errno.
int child_load_seccomp(const SeccompProgram& program) noexcept;

}  // namespace edgevisor::isolation
