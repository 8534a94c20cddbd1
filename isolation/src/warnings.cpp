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
    if (!has(iso, manifests::Namespace::pid))
        out.push_back(
            "isolation.namespaces: without 'pid' the workload sees every host process, and one "
            "running as the same uid as a host process may read and write its memory "
            "(/proc/<pid>/mem)");
    return out;
}

}  // namespace edgevisor::isolation
