// The uid/gid maps of a workload's user namespace when the manifest gives none: inside ids
// 0..size-1 onto the workload's own host range, except the host ids the manifest names (its
// user, group and supplementary groups), which map through 1:1 so that files and devices
// owned by them (a serial port's group, a data directory's owner) work as on the host.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/isolation/id_pool.hpp"

namespace edgevisor::isolation {

// The kernel's limit on lines in one uid_map or gid_map (Linux 4.15+).
inline constexpr std::size_t kMaxIdMapLines = 340;

// "inside outside count\n" lines. Id 0 is never mapped through: root inside is the range's
// first id (mapping it to host 0 takes an explicit uidMap). A named id inside the pool, or
// more lines than the kernel takes, is an error naming `what` ("uid", "gid").
Result<std::string> range_map(const IdRange& range, std::vector<std::uint32_t> named,
                              const char* what);

}  // namespace edgevisor::isolation
