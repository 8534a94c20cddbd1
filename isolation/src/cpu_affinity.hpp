// The cpuset a child born with CLONE_INTO_CGROUP must run on. Before Linux 6.3 (and on the
// stable kernels that lack the fix, Debian 11's 5.10 among them) cpuset_fork() gives such a
// child its parent's affinity instead of its new cpuset's, so a workload with
// `resources.cpuset` would run on every CPU of the supervisor.
#pragma once

#include <sched.h>

#include <optional>
#include <string_view>

#include "child_step.hpp"

namespace edgevisor::isolation {

// "0-3,5\n" (cpuset.cpus.effective) as a cpu set; nullopt for anything else (or an empty list).
std::optional<cpu_set_t> parse_cpu_list(std::string_view text);

// The cgroup's cpuset.cpus.effective at cgroup_fd; nullopt without the cpuset controller.
std::optional<cpu_set_t> read_effective_cpus(int cgroup_fd);

// Child: the affinity set to `cpus` where the kernel left it different. Only then: a
// sched_setaffinity on a kernel that got it right would pin the mask as the user's request
// (Linux 6.2+ keeps it across later cpuset changes).
StepResult child_fix_affinity(const cpu_set_t& cpus) noexcept;

}  // namespace edgevisor::isolation
