// Host id ranges for the workloads' user namespaces, from one node-wide pool (as podman's
// `userns=auto` and systemd-nspawn's `--private-users=pick` do): each workload gets
// `size` consecutive host uids and gids of its own, and keeps them across restarts of the
// workload and of the supervisor, because the pool is kept in a state file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

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

// durable: the daemon's workloads, in the state file (temp file, fsync, rename, fsync of the
// directory, as every persistent state of the supervisor). until_reboot: one-off runs (edgectl
// run), in the run file on the runtime tmpfs, without fsync: their processes cannot outlive
// the machine, so neither need their ranges, and a run does not pay four fsyncs.
enum class Keep { durable, until_reboot };

// The pool in two files (text, one "<workload> <first> <size>" line each) whose ranges never
// overlap. Processes share them safely (an flock on "<state file>.lock" around each change).
class IdRangePool {
  public:
    IdRangePool(IdPoolConfig config, std::filesystem::path state_file,
                std::filesystem::path run_file = {});

    // The workload's range: the one it has, else the lowest free one, written to its file before
    // it is returned. Taken durably, a range a run of the workload holds becomes the workload's;
    // taken for a run, the workload's durable range is used as it is. A range that no longer
    // fits the configured pool is replaced.
    Result<IdRange> acquire(const std::string& workload, Keep keep = Keep::durable);
    // acquire() for each of them, under one lock and with one write. All ranges or none: when
    // the pool runs out, nothing is written and the error says so.
    Result<std::map<std::string, IdRange>> acquire_all(const std::vector<std::string>& workloads,
                                                       Keep keep = Keep::durable);
    // Gives the workload's range in that file back. None there: nothing to do.
    Status release(const std::string& workload, Keep keep = Keep::durable);
    // Every range held, by workload (the durable one where both files name it).
    Result<std::map<std::string, IdRange>> ranges() const;

    [[nodiscard]] const std::filesystem::path& state_file() const { return state_file_; }

  private:
    using Entries = std::map<std::string, std::pair<std::uint32_t, std::uint32_t>>;
    Status check_config() const;
    IdRange range_at(std::uint32_t index) const;
    std::optional<std::uint32_t> index_of(std::uint32_t first, std::uint32_t size) const;
    Status write(Keep keep, const Entries& entries) const;

    IdPoolConfig config_;
    std::filesystem::path state_file_;
    std::filesystem::path run_file_;
};

}  // namespace edgevisor::isolation
