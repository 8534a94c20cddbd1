#include "edgevisor/isolation/explain.hpp"

#include <algorithm>

#include "edgevisor/isolation/warnings.hpp"

namespace edgevisor::isolation {
namespace {

using manifests::Namespace;

constexpr std::pair<Namespace, const char*> kNamespaces[] = {
    {Namespace::user, "user"},    {Namespace::pid, "pid"}, {Namespace::mount, "mount"},
    {Namespace::net, "net"},      {Namespace::ipc, "ipc"}, {Namespace::uts, "uts"},
    {Namespace::cgroup, "cgroup"}};

bool has(const manifests::Isolation& iso, Namespace ns) {
    return std::ranges::find(iso.namespaces, ns) != iso.namespaces.end();
}

std::string id_text(const manifests::IdRef& ref) {
    if (!ref.name.empty()) return ref.name;
    return std::to_string(ref.id.value_or(0));
}

std::string join(const std::vector<std::string>& parts, const char* separator = ", ") {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : separator) + p;
    return out;
}

std::string user_line(const manifests::User& user) {
    std::string out = "user: uid " + id_text(user.uid);
    out += user.gid ? ", gid " + id_text(*user.gid) : ", the user's primary group";
    std::vector<std::string> groups;
    for (const auto& g : user.groups) groups.push_back(id_text(g));
    out += groups.empty() ? ", no supplementary groups" : ", groups " + join(groups);
    return out;
}

std::string ids_line(const manifests::Isolation& iso) {
    if (!has(iso, Namespace::user))
        return "ids: no user namespace: uid 0 inside IS the host's root (opt-in by leaving "
               "'user' out of isolation.namespaces)";
    auto maps_root = std::ranges::any_of(
        iso.uid_map, [](const manifests::IdMap& m) { return m.inside == 0 && m.outside == 0; });
    if (maps_root)
        return "ids: a user namespace whose uidMap maps inside 0 to host uid 0: root inside IS "
               "the host's root for files (the mounts stay locked)";
    if (!iso.uid_map.empty() && !iso.gid_map.empty())
        return "ids: a user namespace with the manifest's uidMap and gidMap exactly";
    return "ids: a user namespace with a host id range of its own from the node's idPool: root "
           "inside is an unprivileged host id; the uid, gid and groups named in 'user' map 1:1 "
           "to the same host ids; other host ids show as 65534";
}

std::string namespaces_line(const manifests::Isolation& iso) {
    std::vector<std::string> own, shared;
    for (auto [ns, name] : kNamespaces) (has(iso, ns) ? own : shared).emplace_back(name);
    std::string out = "namespaces: its own " + (own.empty() ? "none" : join(own, " "));
    if (!shared.empty()) out += "; the host's " + join(shared, " ");
    return out;
}

std::string network_line(const manifests::Isolation& iso) {
    if (iso.network == manifests::NetworkMode::host || !has(iso, Namespace::net))
        return "network: the host's interfaces, ports and abstract unix sockets";
    return "network: none (a network namespace with loopback only)";
}

std::string root_line(const manifests::Rootfs& rootfs) {
    std::string mode = rootfs.read_only ? "read-only" : "WRITABLE";
    if (rootfs.path != "/") return "root: " + rootfs.path + " (" + mode + ")";
    return "root: the host's / (" + mode +
           "), seen privately: fresh tmpfs /tmp /var/tmp /run; empty /home /root; the "
           "supervisor's /etc/edgevisor /var/lib/edgevisor /run/edgevisor masked; no host "
           "socket under /run unless bound in";
}

std::string mount_line(const manifests::Mount& m) {
    if (m.type == manifests::MountType::tmpfs)
        return "mount: tmpfs " + m.target + (m.read_only ? " (read-only)" : " (writable)") +
               (m.size ? ", " + std::to_string(*m.size) + " bytes" : "");
    return "mount: bind " + m.source + " -> " + m.target +
           (m.read_only ? " (read-only)" : " (writable, idmapped where the kernel allows)");
}

std::string capabilities_line(const manifests::Isolation& iso) {
    std::vector<std::string> names;
    for (const auto& c : iso.capabilities.add) names.push_back(c.name);
    std::string out = "capabilities: " + (names.empty() ? std::string("none") : join(names));
    out += iso.no_new_privileges ? "; noNewPrivileges (setuid files grant nothing)"
                                 : "; noNewPrivileges OFF (setuid files may grant privileges)";
    return out;
}

std::string seccomp_line(const manifests::Seccomp& seccomp) {
    switch (seccomp.profile) {
        case manifests::SeccompProfile::default_profile:
            return "seccomp: the default allow list (Docker's model): unknown and newer calls "
                   "fail with ENOSYS, dangerous ones with EPERM, capabilities open their calls";
        case manifests::SeccompProfile::unconfined:
            return "seccomp: NONE (unconfined): every system call is allowed";
        case manifests::SeccompProfile::custom:
            return "seccomp: the manifest's own profile, " + std::to_string(seccomp.rules.size()) +
                   " rules";
        case manifests::SeccompProfile::file:
            return "seccomp: the profile file " + seccomp.path;
    }
    return "seccomp: ?";
}

std::string limits_line(const manifests::Resources& r) {
    std::vector<std::string> parts;
    parts.push_back("pids.max " +
                    (r.pids.max ? std::to_string(*r.pids.max) : std::string("4096 (the default)")));
    if (r.memory.max) parts.push_back("memory.max " + std::to_string(*r.memory.max) + " bytes");
    if (r.cpu.max_millicores)
        parts.push_back("cpu.max " + std::to_string(*r.cpu.max_millicores) + " millicores");
    return "limits: " + join(parts) + " (where the cgroup controller exists)";
}

}  // namespace

std::vector<std::string> explain_isolation(const manifests::Workload& workload) {
    const auto& spec = workload.spec;
    const auto& iso = spec.isolation;
    std::vector<std::string> out{user_line(spec.user), ids_line(iso), namespaces_line(iso),
                                 network_line(iso), root_line(iso.rootfs)};
    for (const auto& m : iso.mounts) out.push_back(mount_line(m));
    out.push_back(capabilities_line(iso));
    out.push_back(seccomp_line(iso.seccomp));
    if (!has(iso, Namespace::pid))
        out.emplace_back("pid 1: the host's (no pid namespace: every host process is visible)");
    else
        out.emplace_back(iso.init ? "pid 1: a minimal init (reaps orphans, forwards signals)"
                                  : "pid 1: the command itself");
    out.push_back(limits_line(spec.resources));
    for (const auto& w : isolation_warnings(workload)) out.push_back("warning: " + w);
    return out;
}

}  // namespace edgevisor::isolation
