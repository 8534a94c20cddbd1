#include "edgevisor/isolation/warnings.hpp"

#include <algorithm>

namespace edgevisor::isolation {
namespace {

bool has(const manifests::Isolation& isolation, manifests::Namespace ns) {
    return std::ranges::find(isolation.namespaces, ns) != isolation.namespaces.end();
}

}  // namespace

std::vector<std::string> isolation_warnings(const manifests::Workload& workload) {
    const auto& iso = workload.spec.isolation;
    std::vector<std::string> out;
    if (!has(iso, manifests::Namespace::user))
        out.push_back(
            "isolation.namespaces: without 'user', uid 0 inside is the host's root: it reads every "
            "root-only file of the host and connects to host sockets that trust uid 0 (a "
            "read-only root stops neither)");
    auto maps_root = [](const std::vector<manifests::IdMap>& maps) {
        return std::ranges::any_of(
            maps, [](const manifests::IdMap& m) { return m.inside == 0 && m.outside == 0; });
    };
    if (has(iso, manifests::Namespace::user) && maps_root(iso.uid_map))
        out.push_back(
            "isolation.uidMap: inside 0 maps to host uid 0, so root inside is the "
            "host's root (the mounts stay locked, the host's files do not)");
    if (!has(iso, manifests::Namespace::pid))
        out.push_back(
            "isolation.namespaces: without 'pid' the workload sees every host process, and one "
            "running as the same uid as a host process may read and write its memory "
            "(/proc/<pid>/mem)");
    return out;
}

}  // namespace edgevisor::isolation
