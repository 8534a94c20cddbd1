#include "cpu_affinity.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>

#include "edgevisor/unique_fd.hpp"

namespace edgevisor::isolation {
namespace {

std::optional<unsigned> number(std::string_view text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

}  // namespace

std::optional<cpu_set_t> parse_cpu_list(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    if (text.empty()) return std::nullopt;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (;;) {
        auto comma = text.find(',');
        auto item = text.substr(0, comma);
        auto dash = item.find('-');
        auto first = number(item.substr(0, dash));
        auto last = dash == std::string_view::npos ? first : number(item.substr(dash + 1));
        if (!first || !last || *first > *last || *last >= CPU_SETSIZE) return std::nullopt;
        for (unsigned cpu = *first; cpu <= *last; ++cpu) CPU_SET(cpu, &set);
        if (comma == std::string_view::npos) return set;
        text.remove_prefix(comma + 1);
    }
}

std::optional<cpu_set_t> read_effective_cpus(int cgroup_fd) {
    UniqueFd fd{::openat(cgroup_fd, "cpuset.cpus.effective", O_RDONLY | O_CLOEXEC)};
    if (!fd) return std::nullopt;
    char buffer[4096];
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n <= 0) return std::nullopt;
    return parse_cpu_list(std::string_view(buffer, static_cast<std::size_t>(n)));
}

StepResult child_fix_affinity(const cpu_set_t& cpus) noexcept {
    cpu_set_t now;
    if (::sched_getaffinity(0, sizeof now, &now) != 0)
        return {Step::cgroup, errno, "sched_getaffinity"};
    if (CPU_EQUAL(&now, &cpus)) return step_ok;
    if (::sched_setaffinity(0, sizeof cpus, &cpus) != 0)
        return {Step::cgroup, errno, "sched_setaffinity"};
    return step_ok;
}

}  // namespace edgevisor::isolation
