// Host id ranges for the workloads' user namespaces, from one node-wide pool (as podman's
// `userns=auto` and systemd-nspawn's `--private-users=pick` do): each workload gets
// `size` consecutive host uids and gids of its own, and keeps them across restarts of the
// workload and of the supervisor, because the pool is kept in a state file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "edgevisor/error.hpp"
#include "edgevisor/manifests/node_config.hpp"
#include "edgevisor/manifests/spec.hpp"

namespace edgevisor::isolation {

// The pool's bounds are the node config's idPool (manifests::IdPoolConfig).
using manifests::IdPoolConfig;

// One workload's host ids: [first, first + size) for both uids and gids. The pool's bounds come
// along, so that the launcher can refuse to map a named host id that belongs to the pool.
struct IdRange {
    std::uint32_t first = 0;
    std::uint32_t size = 0;
    std::uint32_t pool_first = 0;
    std::uint64_t pool_end = 0;  // one past the pool's last id
    friend bool operator==(const IdRange&, const IdRange&) = default;
};

// True when the launcher needs an IdRange for the workload: it has the user namespace and its
// manifest leaves out uidMap or gidMap (each one it gives is used exactly as given).
bool needs_id_range(const manifests::Workload& workload);

// The pool in a state file (text, one "<workload> <first> <size>" line each), written as every
// persistent state of the supervisor is: temp file, fsync, rename, fsync of the directory.
// Processes share it safely (an flock on "<state file>.lock" around each change).
class IdRangePool {
  public:
    IdRangePool(IdPoolConfig config, std::filesystem::path state_file);

    // The workload's range: the one it has, else the lowest free one, written to the state file
    // before it is returned. A range that no longer fits the configured pool is replaced.
    Result<IdRange> acquire(const std::string& workload);
    // Gives the workload's range back (the workload was removed). No range: nothing to do.
    Status release(const std::string& workload);
    // Every range held, by workload.
    Result<std::map<std::string, IdRange>> ranges() const;

    [[nodiscard]] const std::filesystem::path& state_file() const { return state_file_; }

  private:
    Status check_config() const;
    IdRange range_at(std::uint32_t index) const;

    IdPoolConfig config_;
    std::filesystem::path state_file_;
};

}  // namespace edgevisor::isolation
