// Who the workload runs as and what it starts with: uid/gid/groups (names resolved in the
// parent with getpwnam_r/getgrnam_r), working directory, environment, argv, rlimits, session.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "child_step.hpp"
#include "edgevisor/error.hpp"
#include "edgevisor/manifests/spec.hpp"

namespace edgevisor::isolation {

// Set when the manifest's env does not: PATH (below) and HOME (the user's home from the
// host's passwd, or "/"). Nothing else is inherited from the supervisor.
inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct RlimitSetting {
    int resource = 0;
    rlimit limit{};
    std::string detail;  // "nofile"
};

struct IdentityPlan {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // empty: cleared
    std::string uid_detail;     // "1000" or "sensor(1000)" for messages
    std::string gid_detail;
    std::string working_dir;
    std::vector<RlimitSetting> rlimits;
    std::vector<std::string> argv_storage, env_storage;
    std::vector<char*> argv, envp;  // NULL-terminated, pointing into the storage above
};

Result<IdentityPlan> prepare_identity(const manifests::Workload& workload,
                                      const std::vector<std::string>& extra_args);

// Child steps, in checklist order.
// fd_room: the open-files soft limit is kept at least this high until child_final_nofile,
// because the fd steps still park descriptors above the caller's highest one (a busy daemon
// holds thousands) and F_DUPFD fails at or above the soft limit.
StepResult child_set_rlimits(const IdentityPlan& plan, rlim_t fd_room) noexcept;
// After the fd steps: the open-files soft limit the plan asks for (lowering needs no
// capability, so this works after the capabilities are dropped).
StepResult child_final_nofile(const IdentityPlan& plan) noexcept;
StepResult child_new_session() noexcept;
StepResult child_set_ids(const IdentityPlan& plan) noexcept;  // setgroups, setresgid, setresuid
StepResult child_chdir(const IdentityPlan& plan) noexcept;

}  // namespace edgevisor::isolation
