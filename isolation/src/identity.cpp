#include "identity.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>

namespace edgevisor::isolation {
namespace {

// 32-bit ARM keeps 16-bit ids on the historical numbers; the *32 calls take full ids.
#ifdef SYS_setresuid32
constexpr long kSetgroups = SYS_setgroups32, kSetresgid = SYS_setresgid32,
               kSetresuid = SYS_setresuid32;
#else
constexpr long kSetgroups = SYS_setgroups, kSetresgid = SYS_setresgid, kSetresuid = SYS_setresuid;
#endif

struct PasswdEntry {
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
};

// What getpwnam_r/getgrnam_r and friends return for "no such entry": 0 with a null result, or,
// when the file itself is missing or unreadable (a busybox or distroless root), one of these
// (getpwnam_r(3), NOTES). So a bare number works without the files, as runc and Docker do.
bool is_no_entry(int rc) {
    return rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM;
}

Result<std::optional<PasswdEntry>> lookup_user(manifests::IdRef ref) {
    if (!ref.id && ref.name.empty()) ref.id = 0;  // not given: root
    passwd pw{};
    passwd* found = nullptr;
    std::vector<char> buf(16384);
    int rc = ref.id ? ::getpwuid_r(*ref.id, &pw, buf.data(), buf.size(), &found)
                    : ::getpwnam_r(ref.name.c_str(), &pw, buf.data(), buf.size(), &found);
    if (!is_no_entry(rc))
        return fail_at(Step::user, ref.id ? std::to_string(*ref.id) : ref.name, rc);
    if (rc != 0 || found == nullptr) {
        if (ref.id) return std::optional<PasswdEntry>{};  // a bare number needs no passwd entry
        return fail_at(Step::user, ref.name, ENOENT, "no such user in the host's /etc/passwd");
    }
    return std::optional<PasswdEntry>{PasswdEntry{pw.pw_uid, pw.pw_gid, pw.pw_dir}};
}

Result<gid_t> resolve_group(const manifests::IdRef& ref) {
    if (ref.id) return static_cast<gid_t>(*ref.id);
    group gr{};
    group* found = nullptr;
    std::vector<char> buf(16384);
    int rc = ::getgrnam_r(ref.name.c_str(), &gr, buf.data(), buf.size(), &found);
    if (!is_no_entry(rc)) return fail_at(Step::group, ref.name, rc);
    if (rc != 0 || found == nullptr)
        return fail_at(Step::group, ref.name, ENOENT, "no such group in the host's /etc/group");
    return gr.gr_gid;
}

std::string describe_ref(const manifests::IdRef& ref, unsigned resolved) {
    if (ref.id || ref.name.empty()) return std::to_string(resolved);
    return ref.name + "(" + std::to_string(resolved) + ")";
}

const std::map<std::string, int, std::less<>>& rlimit_names() {
    static const std::map<std::string, int, std::less<>> names{{"as", RLIMIT_AS},
                                                               {"core", RLIMIT_CORE},
                                                               {"cpu", RLIMIT_CPU},
                                                               {"data", RLIMIT_DATA},
                                                               {"fsize", RLIMIT_FSIZE},
                                                               {"locks", RLIMIT_LOCKS},
                                                               {"memlock", RLIMIT_MEMLOCK},
                                                               {"msgqueue", RLIMIT_MSGQUEUE},
                                                               {"nice", RLIMIT_NICE},
                                                               {"nofile", RLIMIT_NOFILE},
                                                               {"nproc", RLIMIT_NPROC},
                                                               {"rss", RLIMIT_RSS},
                                                               {"rtprio", RLIMIT_RTPRIO},
                                                               {"rttime", RLIMIT_RTTIME},
                                                               {"sigpending", RLIMIT_SIGPENDING},
                                                               {"stack", RLIMIT_STACK}};
    return names;
}

rlim_t to_rlim(std::uint64_t value) {
    return value == UINT64_MAX ? RLIM_INFINITY : static_cast<rlim_t>(value);
}

void build_pointers(const std::vector<std::string>& storage, std::vector<char*>& pointers) {
    pointers.clear();
    for (const auto& s : storage) pointers.push_back(const_cast<char*>(s.c_str()));
    pointers.push_back(nullptr);
}

}  // namespace

Result<IdentityPlan> prepare_identity(const manifests::Workload& workload,
                                      const std::vector<std::string>& extra_args) {
    const auto& spec = workload.spec;
    IdentityPlan plan;
    auto user = lookup_user(spec.user.uid);
    if (!user) return std::unexpected(user.error());
    plan.uid = *user ? (*user)->uid : static_cast<uid_t>(spec.user.uid.id.value_or(0));
    plan.uid_detail = describe_ref(spec.user.uid, plan.uid);
    if (spec.user.gid) {
        auto gid = resolve_group(*spec.user.gid);
        if (!gid) return std::unexpected(gid.error());
        plan.gid = *gid;
        plan.gid_detail = describe_ref(*spec.user.gid, plan.gid);
    } else {
        plan.gid = *user ? (*user)->gid : 0;  // the user's primary group, or 0 for an unknown uid
        plan.gid_detail = std::to_string(plan.gid);
    }
    for (const auto& ref : spec.user.groups) {
        auto gid = resolve_group(ref);
        if (!gid) return std::unexpected(gid.error());
        plan.groups.push_back(*gid);
    }
    plan.working_dir = spec.working_dir.empty() ? "/" : spec.working_dir;

    for (const auto& r : spec.isolation.rlimits) {
        auto it = rlimit_names().find(r.name);
        if (it == rlimit_names().end())
            return fail_at(Step::rlimit, r.name, EINVAL, "unknown limit");
        plan.rlimits.push_back({it->second, rlimit{to_rlim(r.soft), to_rlim(r.hard)}, r.name});
    }

    if (spec.command.empty()) return fail_at(Step::execve, "", EINVAL, "the command is empty");
    plan.argv_storage = spec.command;
    plan.argv_storage.insert(plan.argv_storage.end(), extra_args.begin(), extra_args.end());
    std::map<std::string, std::string> env = spec.env;
    env.try_emplace("PATH", kDefaultPath);
    env.try_emplace("HOME", *user && !(*user)->home.empty() ? (*user)->home : "/");
    for (const auto& [key, value] : env) plan.env_storage.push_back(key + "=" + value);
    build_pointers(plan.argv_storage, plan.argv);
    build_pointers(plan.env_storage, plan.envp);
    return plan;
}

StepResult child_set_rlimits(const IdentityPlan& plan, rlim_t fd_room) noexcept {
    for (const auto& r : plan.rlimits) {
        if (r.limit.rlim_cur > r.limit.rlim_max) return {Step::rlimit, EINVAL, r.detail.c_str()};
        rlimit limit = r.limit;
        // Room for the fd steps, even under a workload limit below it (child_final_nofile
        // lowers both to the workload's own afterwards); the hard limit too where we may.
        if (r.resource == RLIMIT_NOFILE && limit.rlim_cur < fd_room) {
            rlimit roomy{fd_room, std::max(fd_room, limit.rlim_max)};
            if (::setrlimit(RLIMIT_NOFILE, &roomy) == 0) continue;
            limit.rlim_cur = std::min(fd_room, limit.rlim_max);
        }
        if (::setrlimit(static_cast<__rlimit_resource>(r.resource), &limit) != 0)
            return {Step::rlimit, errno, r.detail.c_str()};
    }
    return step_ok;
}

StepResult child_final_nofile(const IdentityPlan& plan) noexcept {
    for (const auto& r : plan.rlimits)
        if (r.resource == RLIMIT_NOFILE && ::setrlimit(RLIMIT_NOFILE, &r.limit) != 0)
            return {Step::rlimit, errno, r.detail.c_str()};
    return step_ok;
}

StepResult child_new_session() noexcept {
    // A new session has no controlling terminal, so TIOCSTI on an inherited tty fd cannot
    // push keystrokes into the supervisor's (or the user's) shell.
    if (::setsid() < 0) return {Step::setsid, errno, nullptr};
    return step_ok;
}

StepResult child_set_ids(const IdentityPlan& plan) noexcept {
    // Raw system calls: glibc's wrappers broadcast the change to every thread it knows of (the
    // parent's threads, which do not exist here) under an internal lock another thread may
    // have held at clone time. The child has one thread; the raw call is exactly right.
    if (::syscall(kSetgroups, plan.groups.size(), plan.groups.data()) != 0)
        return {Step::setgroups, errno, plan.gid_detail.c_str()};
    if (::syscall(kSetresgid, plan.gid, plan.gid, plan.gid) != 0)
        return {Step::setgid, errno, plan.gid_detail.c_str()};
    if (::syscall(kSetresuid, plan.uid, plan.uid, plan.uid) != 0)
        return {Step::setuid, errno, plan.uid_detail.c_str()};
    return step_ok;
}

StepResult child_chdir(const IdentityPlan& plan) noexcept {
    // After pivot_root the old root is gone, so any path (symlinks included) resolves inside
    // the workload's root; done as the workload's user so its permissions apply.
    if (::chdir(plan.working_dir.c_str()) != 0)
        return {Step::chdir, errno, plan.working_dir.c_str()};
    return step_ok;
}

}  // namespace edgevisor::isolation
