#include "edgevisor/health/resources.hpp"

#include <fmt/format.h>

#include <cmath>

namespace edgevisor::health {
namespace {

std::optional<double> share(std::optional<std::uint64_t> value, std::optional<std::uint64_t> max) {
    if (!value || !max || *max == 0) return std::nullopt;
    return static_cast<double>(*value) / static_cast<double>(*max);
}

std::optional<double> some10(const std::optional<isolation::Pressure>& p) {
    return p ? std::optional(p->some.avg10) : std::nullopt;
}

std::optional<double> full10(const std::optional<isolation::Pressure>& p) {
    return p && p->full ? std::optional(p->full->avg10) : std::nullopt;
}

std::uint64_t delta(std::uint64_t now, std::uint64_t before) {
    return now >= before ? now - before : 0;  // a counter that went back: a new cgroup
}

std::string mib(std::uint64_t bytes) {
    return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

std::string percent(double fraction) {
    return fmt::format("{:.0f}%", fraction * 100);
}

const char* metric_name(manifests::WarningMetric metric) {
    switch (metric) {
        case manifests::WarningMetric::memory:
            return "memory";
        case manifests::WarningMetric::cpu:
            return "cpu";
        case manifests::WarningMetric::pids:
            return "pids";
        case manifests::WarningMetric::cpu_pressure:
            return "cpu pressure";
        case manifests::WarningMetric::memory_pressure:
            return "memory pressure";
        case manifests::WarningMetric::io_pressure:
            return "io pressure";
    }
    return "?";
}

// The figure a warning watches, in percent; nullopt when the sample lacks it (no limit, no
// controller): such a warning never fires.
std::optional<double> figure(const ResourceSample& s, manifests::WarningMetric metric) {
    auto pct = [](std::optional<double> f) { return f ? std::optional(*f * 100) : std::nullopt; };
    switch (metric) {
        case manifests::WarningMetric::memory:
            return pct(s.memory_of_max);
        case manifests::WarningMetric::cpu:
            return s.interval.count() == 0 ? std::nullopt
                                           : pct(s.cpu_of_limit ? s.cpu_of_limit : s.cpu_cores);
        case manifests::WarningMetric::pids:
            return pct(s.pids_of_max);
        case manifests::WarningMetric::cpu_pressure:
            return s.cpu_pressure;
        case manifests::WarningMetric::memory_pressure:
            return s.memory_pressure;
        case manifests::WarningMetric::io_pressure:
            return s.io_pressure;
    }
    return std::nullopt;
}

}  // namespace

ResourceSample make_sample(const isolation::CgroupStats& stats, SampleClock::time_point at,
                           const ResourceSample* previous, const isolation::CgroupStats* before,
                           const manifests::Resources& limits) {
    ResourceSample s;
    s.at = at;
    s.cpu_usec = stats.cpu.usage_usec;
    s.memory_current = stats.memory_current;
    s.memory_peak = stats.memory_peak;
    s.memory_max = limits.memory.max;
    s.memory_of_max = share(stats.memory_current, limits.memory.max);
    s.pids = stats.pids_current;
    s.pids_max = limits.pids.max;
    s.pids_of_max = share(stats.pids_current, limits.pids.max);
    for (const auto& io : stats.io) {
        s.io_read_bytes += io.rbytes;
        s.io_write_bytes += io.wbytes;
    }
    s.cpu_pressure = some10(stats.cpu_pressure);
    s.memory_pressure = some10(stats.memory_pressure);
    s.io_pressure = some10(stats.io_pressure);
    s.memory_pressure_full = full10(stats.memory_pressure);
    s.io_pressure_full = full10(stats.io_pressure);
    s.oom_kills = stats.memory_events ? stats.memory_events->oom_kill : 0;
    if (previous == nullptr || before == nullptr || at <= previous->at) return s;

    s.interval = std::chrono::duration_cast<std::chrono::milliseconds>(at - previous->at);
    const double elapsed_usec = static_cast<double>(
        std::chrono::duration_cast<std::chrono::microseconds>(at - previous->at).count());
    s.cpu_cores =
        static_cast<double>(delta(stats.cpu.usage_usec, before->cpu.usage_usec)) / elapsed_usec;
    if (limits.cpu.max_millicores && *limits.cpu.max_millicores > 0)
        s.cpu_of_limit = s.cpu_cores / (static_cast<double>(*limits.cpu.max_millicores) / 1000.0);
    const std::uint64_t periods = delta(stats.cpu.nr_periods, before->cpu.nr_periods);
    if (periods > 0)
        s.throttled = static_cast<double>(delta(stats.cpu.nr_throttled, before->cpu.nr_throttled)) /
                      static_cast<double>(periods);
    s.throttled_usec = delta(stats.cpu.throttled_usec, before->cpu.throttled_usec);
    s.new_oom_kills = delta(s.oom_kills, previous->oom_kills);
    return s;
}

std::string describe(const ResourceSample& s) {
    std::string out = fmt::format("cpu {:.2f} cores", s.cpu_cores);
    if (s.cpu_of_limit) out += " (" + percent(*s.cpu_of_limit) + " of its limit)";
    if (s.throttled > 0) out += ", throttled " + percent(s.throttled);
    if (s.memory_current) {
        out += ", memory " + mib(*s.memory_current);
        if (s.memory_max)
            out += " of " + mib(*s.memory_max) + " (" + percent(*s.memory_of_max) + ")";
    }
    if (s.pids) out += fmt::format(", pids {}", *s.pids);
    std::string psi;
    for (auto [name, value] :
         {std::pair{"cpu", s.cpu_pressure}, std::pair{"memory", s.memory_pressure},
          std::pair{"io", s.io_pressure}})
        if (value) psi += fmt::format(" {} {:.1f}%", name, *value);
    if (!psi.empty()) out += ", psi" + psi;
    if (s.oom_kills > 0) out += fmt::format(", oom kills {}", s.oom_kills);
    return out;
}

WarningTracker::WarningTracker(std::vector<manifests::ResourceWarning> warnings) {
    for (auto& w : warnings) tracked_.push_back({w, std::nullopt, false});
}

std::vector<std::string> WarningTracker::observe(const ResourceSample& sample) {
    std::vector<std::string> raised;
    for (auto& t : tracked_) {
        auto value = figure(sample, t.warning.metric);
        if (!value || *value <= static_cast<double>(t.warning.above_percent)) {
            t.above_since.reset();
            t.raised = false;
            continue;
        }
        if (!t.above_since) t.above_since = sample.at;
        if (t.raised || sample.at - *t.above_since < t.warning.for_duration) continue;
        t.raised = true;
        const bool of_limit =
            t.warning.metric == manifests::WarningMetric::memory ||
            t.warning.metric == manifests::WarningMetric::pids ||
            (t.warning.metric == manifests::WarningMetric::cpu && sample.cpu_of_limit);
        const auto held =
            std::chrono::duration_cast<std::chrono::seconds>(sample.at - *t.above_since);
        raised.push_back(fmt::format(
            "{} at {:.0f}%{} for {}s (warning above {}%)", metric_name(t.warning.metric), *value,
            of_limit                                            ? " of its limit"
            : t.warning.metric == manifests::WarningMetric::cpu ? " of one core"
                                                                : "",
            held.count(), t.warning.above_percent));
    }
    return raised;
}

}  // namespace edgevisor::health
