#include "edgevisor/isolation/id_pool.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>

#include "edgevisor/atomic_file.hpp"
#include "edgevisor/log.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor::isolation {
namespace {

constexpr const char* kHeader = "# edgevisor id ranges v1: <workload> <first host id> <size>";

using Entries = std::map<std::string, std::pair<std::uint32_t, std::uint32_t>>;

Result<Entries> read_state(const std::filesystem::path& path) {
    Entries out;
    std::ifstream in(path);
    if (!in) {
        if (errno == ENOENT) return out;  // no range handed out yet
        return fail_errno("id_pool", "id_pool(" + path.string() + ")");
    }
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (line.empty() || line.starts_with("#")) continue;
        std::istringstream fields(line);
        std::string name, rest;
        std::uint64_t first = 0, size = 0;
        if (!(fields >> name >> first >> size) || (fields >> rest) || size == 0 ||
            first + size > UINT32_MAX)
            return fail("id_pool",
                        "id_pool(" + path.string() + ":" + std::to_string(number) +
                            "): expected '<workload> <first host id> <size>', got '" + line + "'",
                        EINVAL);
        out[name] = {static_cast<std::uint32_t>(first), static_cast<std::uint32_t>(size)};
    }
    return out;
}

std::string render(const Entries& entries) {
    std::string text = std::string(kHeader) + "\n";
    for (const auto& [name, range] : entries)
        text +=
            name + " " + std::to_string(range.first) + " " + std::to_string(range.second) + "\n";
    return text;
}

// Written as all persistent state of the supervisor: after a power cut the file holds either
// the old or the new text, and a write that returned is on disk.
Status save(const std::filesystem::path& path, const Entries& entries) {
    if (auto st = write_file_atomic(path, render(entries)); !st)
        return std::unexpected(st.error().wrap("id_pool"));
    return {};
}

// Holds an exclusive flock on "<state file>.lock" for the scope: edgectl runs and the daemon
// may take ranges at the same time. The directory is created (0700: it is the supervisor's).
class PoolLock {
  public:
    static Result<PoolLock> take(const std::filesystem::path& state_file) {
        std::error_code ec;
        const auto dir = state_file.parent_path();
        if (!std::filesystem::exists(dir, ec)) {
            std::filesystem::create_directories(dir, ec);
            if (ec)
                return fail("id_pool", "id_pool(" + dir.string() + "): " + ec.message(),
                            ec.value());
            ::chmod(dir.c_str(), 0700);
        }
        const auto path = state_file.string() + ".lock";
        UniqueFd fd{::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)};
        if (!fd) return fail_errno("id_pool", "id_pool(" + path + ")");
        int rc;
        do {
            rc = ::flock(fd.get(), LOCK_EX);
        } while (rc != 0 && errno == EINTR);
        if (rc != 0) return fail_errno("id_pool", "id_pool(flock " + path + ")");
        return PoolLock(std::move(fd));
    }

  private:
    explicit PoolLock(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;  // closing it releases the lock
};

}  // namespace

bool needs_id_range(const manifests::Workload& workload) {
    const auto& iso = workload.spec.isolation;
    return std::ranges::find(iso.namespaces, manifests::Namespace::user) != iso.namespaces.end() &&
           (iso.uid_map.empty() || iso.gid_map.empty());
}

IdRangePool::IdRangePool(IdPoolConfig config, std::filesystem::path state_file,
                         std::filesystem::path run_file)
    : config_(config), state_file_(std::move(state_file)), run_file_(std::move(run_file)) {}

Status IdRangePool::check_config() const {
    const std::uint64_t end =
        std::uint64_t{config_.first} + std::uint64_t{config_.count} * config_.size;
    // 4294967295 is (uid_t)-1, which no mapping may use.
    if (config_.first == 0 || config_.count == 0 || config_.size == 0 || end > UINT32_MAX)
        return fail("id_pool",
                    "id_pool: first " + std::to_string(config_.first) + ", " +
                        std::to_string(config_.count) + " ranges of " +
                        std::to_string(config_.size) +
                        ": the pool must start above 0 and end below 4294967295",
                    EINVAL);
    return {};
}

IdRange IdRangePool::range_at(std::uint32_t index) const {
    IdRange r;
    r.first = config_.first + index * config_.size;
    r.size = config_.size;
    r.pool_first = config_.first;
    r.pool_end = std::uint64_t{config_.first} + std::uint64_t{config_.count} * config_.size;
    return r;
}

std::optional<std::uint32_t> IdRangePool::index_of(std::uint32_t first, std::uint32_t size) const {
    if (size != config_.size || first < config_.first ||
        (first - config_.first) % config_.size != 0)
        return std::nullopt;
    std::uint32_t index = (first - config_.first) / config_.size;
    if (index >= config_.count) return std::nullopt;
    return index;
}

Status IdRangePool::write(Keep keep, const Entries& entries) const {
    if (keep == Keep::durable) return save(state_file_, entries);
    // Ranges of runs, on a tmpfs: they end with the machine's processes, so no fsync.
    if (auto st = make_dirs(run_file_.parent_path(), 0755); !st)
        return std::unexpected(st.error().wrap("id_pool"));
    if (auto st = write_file_atomic(run_file_, render(entries), Durability::process_crash); !st)
        return std::unexpected(st.error().wrap("id_pool"));
    return {};
}

Result<IdRange> IdRangePool::acquire(const std::string& workload, Keep keep) {
    auto ranges = acquire_all({workload}, keep);
    if (!ranges) return std::unexpected(ranges.error());
    return ranges->at(workload);
}

Result<std::map<std::string, IdRange>> IdRangePool::acquire_all(
    const std::vector<std::string>& workloads, Keep keep) {
    if (auto st = check_config(); !st) return std::unexpected(st.error());
    if (keep == Keep::until_reboot && run_file_.empty())
        return fail("id_pool", "id_pool: no run file for ranges kept until reboot", EINVAL);
    auto lock = PoolLock::take(state_file_);
    if (!lock) return std::unexpected(lock.error());
    auto durable = read_state(state_file_);
    if (!durable) return std::unexpected(durable.error());
    Entries runs;
    if (!run_file_.empty()) {
        auto read = read_state(run_file_);
        if (!read) return std::unexpected(read.error());
        runs = std::move(*read);
    }
    Entries& mine = keep == Keep::durable ? *durable : runs;
    Entries& other = keep == Keep::durable ? runs : *durable;

    // A range of the workload's that fits the pool (one that does not is dropped, with a word).
    bool changed = false;
    auto held = [&](Entries& entries, const std::string& workload) -> std::optional<std::uint32_t> {
        auto it = entries.find(workload);
        if (it == entries.end()) return std::nullopt;
        if (auto index = index_of(it->second.first, it->second.second)) return index;
        log::warn("{}: id range {}+{} is outside the configured pool; taking a new one", workload,
                  it->second.first, it->second.second);
        entries.erase(it);
        changed = true;
        return std::nullopt;
    };
    std::set<std::uint32_t> taken;
    for (const Entries* entries : {&*durable, &runs})
        for (const auto& [name, range] : *entries)
            if (auto index = index_of(range.first, range.second)) taken.insert(*index);
    std::map<std::string, IdRange> out;
    std::uint32_t next = 0;  // every index below is taken
    for (const std::string& workload : workloads) {
        if (auto index = held(mine, workload)) {
            out[workload] = range_at(*index);
            continue;
        }
        if (auto index = held(other, workload)) {
            // A run of the daemon's workload uses its range as it is; the daemon taking a name
            // a run holds makes that range its own (the run's release then leaves it).
            if (keep == Keep::durable) {
                mine[workload] = other[workload];
                changed = true;
            }
            out[workload] = range_at(*index);
            continue;
        }
        while (next < config_.count && taken.contains(next)) ++next;
        if (next == config_.count)
            return fail("id_pool",
                        "id_pool: all " + std::to_string(config_.count) + " id ranges are taken (" +
                            state_file_.string() + ")",
                        ENOSPC);
        IdRange range = range_at(next);
        taken.insert(next);
        mine[workload] = {range.first, range.size};
        changed = true;
        out[workload] = range;
    }
    // One write for all of them: a cold start of many workloads pays its fsyncs once.
    if (changed)
        if (auto st = write(keep, mine); !st) return std::unexpected(st.error());
    return out;
}

Status IdRangePool::release(const std::string& workload, Keep keep) {
    const auto& file = keep == Keep::durable ? state_file_ : run_file_;
    if (file.empty()) return {};
    auto lock = PoolLock::take(state_file_);
    if (!lock) return std::unexpected(lock.error());
    auto entries = read_state(file);
    if (!entries) return std::unexpected(entries.error());
    if (entries->erase(workload) == 0) return {};
    return write(keep, *entries);
}

Result<std::map<std::string, IdRange>> IdRangePool::ranges() const {
    std::map<std::string, IdRange> out;
    for (const auto* file : {&run_file_, &state_file_}) {
        if (file->empty()) continue;
        auto entries = read_state(*file);
        if (!entries) return std::unexpected(entries.error());
        for (const auto& [name, range] : *entries) {
            IdRange r = range_at(0);
            r.first = range.first;
            r.size = range.second;
            out[name] = r;  // the durable entry, read last, wins
        }
    }
    return out;
}

}  // namespace edgevisor::isolation
