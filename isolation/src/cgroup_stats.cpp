// Accounting: the stat files of one cgroup kept open and re-read with pread.
#include <fcntl.h>

#include <cerrno>

#include "cgroup_files.hpp"
#include "edgevisor/isolation/cgroup.hpp"
#include "edgevisor/isolation/cgroup_parse.hpp"

namespace edgevisor::isolation {
namespace {

// A file that does not exist (controller not enabled, older kernel) is not an error: its
// fields stay empty.
Result<UniqueFd> open_optional(int dir_fd, const char* name, const std::string& where) {
    UniqueFd fd = detail::open_file(dir_fd, name);
    if (!fd && errno != ENOENT) return fail_errno("cgroup.stats", "open " + where + "/" + name);
    return fd;
}

std::optional<std::uint64_t> read_number(const UniqueFd& fd, const char* name) {
    if (!fd) return std::nullopt;
    detail::FileBuffer buffer;
    auto text = detail::pread_view(fd.get(), buffer, name);
    if (!text) return std::nullopt;
    auto value = parse_u64_file(*text);
    return value ? std::optional(*value) : std::nullopt;
}

std::optional<Pressure> read_pressure(const UniqueFd& fd, const char* name) {
    if (!fd) return std::nullopt;
    detail::FileBuffer buffer;
    auto text = detail::pread_view(fd.get(), buffer, name);
    if (!text) return std::nullopt;
    auto pressure = parse_pressure(*text);
    return pressure ? std::optional(*pressure) : std::nullopt;
}

}  // namespace

Result<CgroupStatsReader> CgroupStatsReader::open(const Cgroup& cgroup) {
    CgroupStatsReader reader;
    const int dir = cgroup.dir_fd();
    const std::string& where = cgroup.path();
    struct Entry {
        UniqueFd* fd;
        const char* name;
    };
    Files& f = reader.files_;
    const Entry entries[] = {{&f.cpu_stat, "cpu.stat"},
                             {&f.memory_current, "memory.current"},
                             {&f.memory_peak, "memory.peak"},
                             {&f.memory_swap_current, "memory.swap.current"},
                             {&f.memory_events, "memory.events"},
                             {&f.pids_current, "pids.current"},
                             {&f.io_stat, "io.stat"},
                             {&f.cpu_pressure, "cpu.pressure"},
                             {&f.memory_pressure, "memory.pressure"},
                             {&f.io_pressure, "io.pressure"}};
    for (const auto& entry : entries) {
        auto fd = open_optional(dir, entry.name, where);
        if (!fd) return std::unexpected(fd.error());
        *entry.fd = std::move(*fd);
    }
    if (!f.cpu_stat) return fail("cgroup.stats", where + "/cpu.stat does not exist", ENOENT);
    return reader;
}

Result<CgroupStats> CgroupStatsReader::read() const {
    CgroupStats stats;
    detail::FileBuffer buffer;
    auto cpu = detail::pread_view(files_.cpu_stat.get(), buffer, "cpu.stat");
    // The only hard failure: cpu.stat always exists, so failing here means the cgroup is gone.
    if (!cpu) return std::unexpected(cpu.error());
    stats.cpu = parse_cpu_stat(*cpu);

    stats.memory_current = read_number(files_.memory_current, "memory.current");
    stats.memory_peak = read_number(files_.memory_peak, "memory.peak");
    stats.memory_swap_current = read_number(files_.memory_swap_current, "memory.swap.current");
    stats.pids_current = read_number(files_.pids_current, "pids.current");
    if (files_.memory_events) {
        if (auto text = detail::pread_view(files_.memory_events.get(), buffer, "memory.events"))
            stats.memory_events = parse_memory_events(*text);
    }
    if (files_.io_stat) {
        auto text = detail::pread_view(files_.io_stat.get(), buffer, "io.stat");
        std::string large;  // a line per block device: more than the stack buffer on some hosts
        if (!text && text.error().code == EFBIG)
            text = detail::pread_growing(files_.io_stat.get(), large, "io.stat");
        if (text) stats.io = parse_io_stat(*text);
    }
    stats.cpu_pressure = read_pressure(files_.cpu_pressure, "cpu.pressure");
    stats.memory_pressure = read_pressure(files_.memory_pressure, "memory.pressure");
    stats.io_pressure = read_pressure(files_.io_pressure, "io.pressure");
    return stats;
}

Result<CgroupStats> Cgroup::stats() const {
    auto reader = CgroupStatsReader::open(*this);
    if (!reader) return std::unexpected(reader.error());
    return reader->read();
}

}  // namespace edgevisor::isolation
