#include "namespaces.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "clone.hpp"
#include "id_maps.hpp"

namespace edgevisor::isolation {
namespace {

using manifests::Namespace;

#ifdef SYS_setresuid32
constexpr long kSetresgid = SYS_setresgid32, kSetresuid = SYS_setresuid32;
#else
constexpr long kSetresgid = SYS_setresgid, kSetresuid = SYS_setresuid;
#endif

bool has(const manifests::Isolation& isolation, Namespace ns) {
    return std::ranges::find(isolation.namespaces, ns) != isolation.namespaces.end();
}

std::string format_map(const std::vector<manifests::IdMap>& maps) {
    std::string text;
    for (const auto& m : maps)
        text += std::to_string(m.inside) + " " + std::to_string(m.outside) + " " +
                std::to_string(m.count) + "\n";
    return text;
}

// The host id that inside id 0 maps to (validation guarantees a map has one).
std::uint32_t outside_of_root(const std::vector<manifests::IdMap>& maps) {
    for (const auto& m : maps)
        if (m.inside == 0) return m.outside;
    return 0;
}

Status write_file(const std::string& path, const std::string& text) {
    UniqueFd fd{::open(path.c_str(), O_WRONLY | O_CLOEXEC)};
    if (!fd) return fail_at(Step::user_namespace, "open " + path, errno);
    // The kernel takes a map in one write() or not at all.
    ssize_t n = ::write(fd.get(), text.data(), text.size());
    if (n != static_cast<ssize_t>(text.size()))
        return fail_at(Step::user_namespace, "write " + path, errno);
    return {};
}

// One map: the manifest's own, exactly as given, else the workload's range with the named ids
// mapped through. Returns the host id of inside 0.
Result<std::uint32_t> choose_map(std::string& out, const std::vector<manifests::IdMap>& given,
                                 const std::optional<IdRange>& range,
                                 const std::vector<std::uint32_t>& named, const char* what) {
    if (!given.empty()) {
        out = format_map(given);
        return outside_of_root(given);
    }
    if (!range)
        return fail_at(Step::user_namespace, "", EINVAL,
                       "no host id range given for the workload (IdRangePool)");
    auto map = range_map(*range, named, what);
    if (!map) return std::unexpected(map.error());
    out = std::move(*map);
    return range->first;
}

Status set_maps(NamespacePlan& plan, const manifests::Isolation& iso,
                const std::optional<IdRange>& range, const NamedIds& named) {
    auto root_uid = choose_map(plan.uid_map, iso.uid_map, range, named.uids, "uid");
    if (!root_uid) return std::unexpected(root_uid.error());
    auto root_gid = choose_map(plan.gid_map, iso.gid_map, range, named.gids, "gid");
    if (!root_gid) return std::unexpected(root_gid.error());
    plan.root_uid = *root_uid;
    plan.root_gid = *root_gid;
    return {};
}

// Kills and reaps the holder on every path out of open_user_namespace.
class Holder {
  public:
    explicit Holder(pid_t pid) : pid_(pid) {}
    ~Holder() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, nullptr, __WALL) < 0 && errno == EINTR) {
        }
    }
    Holder(const Holder&) = delete;
    Holder& operator=(const Holder&) = delete;

  private:
    pid_t pid_;
};

}  // namespace

Result<NamespacePlan> prepare_namespaces(const manifests::Workload& workload,
                                         const std::optional<IdRange>& range,
                                         const NamedIds& named) {
    const auto& iso = workload.spec.isolation;
    NamespacePlan plan;
    plan.mount = has(iso, Namespace::mount);
    plan.user = has(iso, Namespace::user);
    plan.cgroup = has(iso, Namespace::cgroup);
    // Where the user namespace should own a namespace, the holder creates it; else the clone.
    std::uint64_t& owned = plan.user ? plan.user_owned_flags : plan.clone_flags;
    if (has(iso, Namespace::pid)) plan.clone_flags |= CLONE_NEWPID;
    if (plan.mount) plan.clone_flags |= CLONE_NEWNS;
    if (plan.cgroup) plan.clone_flags |= CLONE_NEWCGROUP;
    if (has(iso, Namespace::ipc)) owned |= CLONE_NEWIPC;
    if (has(iso, Namespace::uts)) {
        owned |= CLONE_NEWUTS;
        plan.hostname = iso.hostname.value_or(workload.metadata.name);
    }
    // `network` decides: none = a network namespace of our own with only loopback, host = the
    // host's stack (a `net` entry in namespaces then changes nothing).
    if (iso.network == manifests::NetworkMode::none) {
        owned |= CLONE_NEWNET;
        plan.loopback_up = true;
    }
    if (plan.user)
        if (auto st = set_maps(plan, iso, range, named); !st) return std::unexpected(st.error());
    if (!plan.mount && iso.rootfs.path != "/")
        return fail_at(Step::rootfs, iso.rootfs.path, EINVAL,
                       "a root filesystem needs the mount namespace");
    return plan;
}

std::uint64_t workload_namespace_flags(const manifests::Workload& workload) {
    const auto& iso = workload.spec.isolation;
    std::uint64_t flags = 0;
    for (auto [ns, flag] :
         {std::pair{Namespace::pid, CLONE_NEWPID}, std::pair{Namespace::mount, CLONE_NEWNS},
          std::pair{Namespace::cgroup, CLONE_NEWCGROUP}, std::pair{Namespace::ipc, CLONE_NEWIPC},
          std::pair{Namespace::uts, CLONE_NEWUTS}, std::pair{Namespace::user, CLONE_NEWUSER}})
        if (has(iso, ns)) flags |= static_cast<std::uint64_t>(flag);
    if (iso.network == manifests::NetworkMode::none) flags |= CLONE_NEWNET;
    return flags;
}

Result<UserNamespaces> open_user_namespace(const NamespacePlan& plan) {
    int gate[2];
    if (::pipe2(gate, O_CLOEXEC) != 0) return fail_at(Step::user_namespace, "pipe", errno);
    UniqueFd gate_read{gate[0]}, gate_write{gate[1]};
    long pid;
    {
        detail::SignalsBlocked blocked;  // as for the workload's clone
        pid = detail::clone_spawn(CLONE_NEWUSER | plan.user_owned_flags);
        if (pid == 0) {
            // The holder: only async-signal-safe calls. It waits for EOF on the gate (the parent
            // is done with it, or has died) and leaves; the fds keep its namespaces alive.
            ::close(gate[1]);
            char byte;
            while (::read(gate[0], &byte, 1) < 0 && errno == EINTR) {
            }
            ::_exit(0);
        }
    }
    if (pid < 0) errno = static_cast<int>(-pid);
    if (pid < 0) return fail_at(Step::clone, "user namespace holder", errno);
    Holder holder(static_cast<pid_t>(pid));
    gate_read.reset();

    const std::string base = "/proc/" + std::to_string(pid) + "/";
    if (auto st = write_file(base + "uid_map", plan.uid_map); !st)
        return std::unexpected(st.error());
    if (auto st = write_file(base + "gid_map", plan.gid_map); !st)
        return std::unexpected(st.error());
    UserNamespaces out;
    auto open_ns = [&](const char* name, UniqueFd& fd) -> Status {
        fd.reset(::open((base + "ns/" + name).c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) return fail_at(Step::user_namespace, std::string("open ns/") + name, errno);
        return {};
    };
    if (auto st = open_ns("user", out.user); !st) return std::unexpected(st.error());
    if (plan.user_owned_flags & CLONE_NEWNET)
        if (auto st = open_ns("net", out.net); !st) return std::unexpected(st.error());
    if (plan.user_owned_flags & CLONE_NEWUTS)
        if (auto st = open_ns("uts", out.uts); !st) return std::unexpected(st.error());
    if (plan.user_owned_flags & CLONE_NEWIPC)
        if (auto st = open_ns("ipc", out.ipc); !st) return std::unexpected(st.error());
    return out;
}

StepResult child_join_owned_namespaces(const NamespacePlan& plan) noexcept {
    if (plan.net_fd >= 0 && ::setns(plan.net_fd, CLONE_NEWNET) != 0)
        return {Step::user_namespace, errno, "setns(net)"};
    if (plan.uts_fd >= 0 && ::setns(plan.uts_fd, CLONE_NEWUTS) != 0)
        return {Step::user_namespace, errno, "setns(uts)"};
    if (plan.ipc_fd >= 0 && ::setns(plan.ipc_fd, CLONE_NEWIPC) != 0)
        return {Step::user_namespace, errno, "setns(ipc)"};
    return step_ok;
}

StepResult child_apply_namespaces(const NamespacePlan& plan) noexcept {
    if (!plan.hostname.empty() && ::sethostname(plan.hostname.data(), plan.hostname.size()) != 0)
        return {Step::hostname, errno, plan.hostname.c_str()};
    if (plan.loopback_up) {
        // A new network namespace has lo, down. One ioctl brings it up; no netlink needed.
        int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sock < 0) return {Step::loopback, errno, "socket"};
        ifreq req{};
        std::memcpy(req.ifr_name, "lo", 3);
        int rc = ::ioctl(sock, SIOCGIFFLAGS, &req);
        if (rc == 0) {
            req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP | IFF_RUNNING);
            rc = ::ioctl(sock, SIOCSIFFLAGS, &req);
        }
        int saved = errno;
        ::close(sock);
        if (rc != 0) return {Step::loopback, saved, "lo"};
    }
    return step_ok;
}

StepResult child_enter_user_namespace(const NamespacePlan& plan) noexcept {
    if (plan.user_fd < 0) return step_ok;
    if (::setns(plan.user_fd, CLONE_NEWUSER) != 0)
        return {Step::user_namespace, errno, "setns(user)"};
    // Joining gives every capability in the namespace but keeps our ids: the host's root,
    // unmapped inside (files we created would be EOVERFLOW). Become the namespace's root; the
    // workload's user comes later. Raw calls: see child_set_ids.
    if (::syscall(kSetresgid, 0, 0, 0) != 0 || ::syscall(kSetresuid, 0, 0, 0) != 0)
        return {Step::user_namespace, errno, "uid/gid 0 must be mapped"};
    return step_ok;
}

}  // namespace edgevisor::isolation
