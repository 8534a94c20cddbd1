// Node-level figures: /proc/loadavg, /proc/meminfo, /proc/self/statm and getrusage.
#include "edgevisor/health/node_sample.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>

namespace edgevisor::health {
namespace {

bool read_double(std::string_view& text, double& out) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc{}) return false;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    return true;
}

bool read_u64(std::string_view& text, std::uint64_t& out) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc{}) return false;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    return true;
}

// "MemAvailable:    123456 kB" -> bytes; the key with its colon.
bool meminfo_value(std::string_view text, std::string_view key, std::uint64_t& out) {
    for (std::size_t at = 0; at < text.size();) {
        auto end = text.find('\n', at);
        auto line = text.substr(at, end == std::string_view::npos ? end : end - at);
        if (line.starts_with(key)) {
            line.remove_prefix(key.size());
            std::uint64_t kib = 0;
            if (!read_u64(line, kib)) return false;
            out = kib * 1024;
            return true;
        }
        if (end == std::string_view::npos) break;
        at = end + 1;
    }
    return false;
}

std::string_view pread_all(const UniqueFd& fd, char* buf, std::size_t size) {
    ssize_t n = ::pread(fd.get(), buf, size - 1, 0);
    return n > 0 ? std::string_view(buf, static_cast<std::size_t>(n)) : std::string_view{};
}

Result<UniqueFd> open_proc(const char* path) {
    UniqueFd fd{::open(path, O_RDONLY | O_CLOEXEC)};
    if (!fd) return fail_errno("node.sample", std::string("open ") + path);
    return fd;
}

}  // namespace

bool parse_loadavg(std::string_view text, NodeSample& out) {
    return read_double(text, out.load1) && read_double(text, out.load5) &&
           read_double(text, out.load15);
}

bool parse_meminfo(std::string_view text, NodeSample& out) {
    return meminfo_value(text, "MemTotal:", out.memory_total) &&
           meminfo_value(text, "MemAvailable:", out.memory_available);
}

bool parse_statm(std::string_view text, std::uint64_t page_size, NodeSample& out) {
    std::uint64_t size = 0, resident = 0;
    if (!read_u64(text, size) || !read_u64(text, resident)) return false;
    out.supervisor_rss = resident * page_size;
    return true;
}

std::string describe(const NodeSample& s) {
    constexpr double kMiB = 1024.0 * 1024.0;
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "load %.2f %.2f %.2f, memory %.1f MiB available of %.1f MiB, edgevisord cpu "
                  "%.3f cores, rss %.1f MiB",
                  s.load1, s.load5, s.load15, static_cast<double>(s.memory_available) / kMiB,
                  static_cast<double>(s.memory_total) / kMiB, s.supervisor_cpu_cores,
                  static_cast<double>(s.supervisor_rss) / kMiB);
    return buf;
}

Result<NodeSampler> NodeSampler::open() {
    NodeSampler sampler;
    auto loadavg = open_proc("/proc/loadavg");
    if (!loadavg) return std::unexpected(loadavg.error());
    auto meminfo = open_proc("/proc/meminfo");
    if (!meminfo) return std::unexpected(meminfo.error());
    auto statm = open_proc("/proc/self/statm");
    if (!statm) return std::unexpected(statm.error());
    sampler.loadavg_ = std::move(*loadavg);
    sampler.meminfo_ = std::move(*meminfo);
    sampler.statm_ = std::move(*statm);
    if (long page = ::sysconf(_SC_PAGESIZE); page > 0)
        sampler.page_size_ = static_cast<std::uint64_t>(page);
    return sampler;
}

Result<NodeSample> NodeSampler::read(const NodeSample* previous,
                                     std::chrono::nanoseconds since_previous) {
    NodeSample s;
    char buf[4096];
    if (!parse_loadavg(pread_all(loadavg_, buf, sizeof buf), s))
        return fail("node.sample", "/proc/loadavg: unexpected contents", EINVAL);
    if (!parse_meminfo(pread_all(meminfo_, buf, sizeof buf), s))
        return fail("node.sample", "/proc/meminfo: no MemTotal or MemAvailable", EINVAL);
    if (!parse_statm(pread_all(statm_, buf, sizeof buf), page_size_, s))
        return fail("node.sample", "/proc/self/statm: unexpected contents", EINVAL);
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    auto usec = [](const timeval& t) {
        return static_cast<std::uint64_t>(t.tv_sec) * 1000000 +
               static_cast<std::uint64_t>(t.tv_usec);
    };
    s.supervisor_cpu_usec = usec(usage.ru_utime) + usec(usage.ru_stime);
    if (previous != nullptr && since_previous.count() > 0 &&
        s.supervisor_cpu_usec >= previous->supervisor_cpu_usec)
        s.supervisor_cpu_cores =
            static_cast<double>(s.supervisor_cpu_usec - previous->supervisor_cpu_usec) * 1000.0 /
            static_cast<double>(since_previous.count());
    return s;
}

}  // namespace edgevisor::health
