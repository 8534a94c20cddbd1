#include "namespaces.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "edgevisor/unique_fd.hpp"

namespace edgevisor::isolation {
namespace {

using manifests::Namespace;

bool has(const manifests::Isolation& isolation, Namespace ns) {
    return std::ranges::find(isolation.namespaces, ns) != isolation.namespaces.end();
}

std::string format_map(const std::vector<manifests::IdMap>& maps) {
    if (maps.empty()) return "0 0 65536\n";
    std::string text;
    for (const auto& m : maps)
        text += std::to_string(m.inside) + " " + std::to_string(m.outside) + " " +
                std::to_string(m.count) + "\n";
    return text;
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

}  // namespace

Result<NamespacePlan> prepare_namespaces(const manifests::Workload& workload) {
    const auto& iso = workload.spec.isolation;
    NamespacePlan plan;
    plan.mount = has(iso, Namespace::mount);
    plan.user = has(iso, Namespace::user);
    plan.cgroup = has(iso, Namespace::cgroup);
    if (has(iso, Namespace::pid)) plan.clone_flags |= CLONE_NEWPID;
    if (plan.mount) plan.clone_flags |= CLONE_NEWNS;
    if (has(iso, Namespace::ipc)) plan.clone_flags |= CLONE_NEWIPC;
    if (plan.cgroup) plan.clone_flags |= CLONE_NEWCGROUP;
    if (plan.user) plan.clone_flags |= CLONE_NEWUSER;
    if (has(iso, Namespace::uts)) {
        plan.clone_flags |= CLONE_NEWUTS;
        plan.hostname = iso.hostname.value_or(workload.metadata.name);
    }
    // `network` decides: none = a network namespace of our own with only loopback, host = the
    // host's stack (a `net` entry in namespaces then changes nothing).
    if (iso.network == manifests::NetworkMode::none) {
        plan.clone_flags |= CLONE_NEWNET;
        plan.loopback_up = true;
    }
    if (plan.user) {
        plan.uid_map = format_map(iso.uid_map);
        plan.gid_map = format_map(iso.gid_map);
    }
    if (!plan.mount && iso.rootfs.path != "/")
        return fail_at(Step::rootfs, iso.rootfs.path, EINVAL,
                       "a root filesystem needs the mount namespace");
    return plan;
}

Status write_id_maps(pid_t pid, const NamespacePlan& plan) {
    const std::string base = "/proc/" + std::to_string(pid) + "/";
    if (auto st = write_file(base + "uid_map", plan.uid_map); !st) return st;
    return write_file(base + "gid_map", plan.gid_map);
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

}  // namespace edgevisor::isolation
