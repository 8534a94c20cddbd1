// The host id range a test's workload runs with when it has a user namespace: taken from an
// IdRangePool of the tests' own, as the daemon and edgectl run take theirs from the node's
// pool. Its ranges lie above the node's default pool (from 2^31), so that test workloads never
// share host ids with workloads that `edgectl run` started from the real state directory.
#pragma once

#include <catch2/catch.hpp>
#include <optional>

#include "edgevisor/isolation/id_pool.hpp"

namespace edgevisor::testing {

inline constexpr isolation::IdPoolConfig kTestIdPool{2147483648u, 65536, 1024};

inline std::optional<isolation::IdRange> test_id_range(const manifests::Workload& workload) {
    if (!isolation::needs_id_range(workload)) return std::nullopt;
    // In a directory of its own: the pool makes the directory it creates 0700 (the daemon's),
    // and /var/lib/edgevisor-tests holds the HostDirs that workloads must reach.
    static isolation::IdRangePool pool(kTestIdPool, "/var/lib/edgevisor-tests/id-pool/idranges");
    auto range = pool.acquire(workload.metadata.name);
    if (!range) FAIL("id range for " << workload.metadata.name << ": " << range.error().describe());
    return *range;
}

}  // namespace edgevisor::testing
