// Resource figures of one workload from two cgroup samples, the manifest's warnings over
// them, and a bounded ring of samples. Pure: the sampling timer (one for all workloads) reads
// CgroupStatsReader and hands the stats here.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "edgevisor/isolation/cgroup.hpp"
#include "edgevisor/manifests/spec.hpp"

namespace edgevisor::health {

using SampleClock = std::chrono::steady_clock;

struct ResourceSample {
    SampleClock::time_point at{};
    std::chrono::milliseconds interval{0};  // since the previous sample; 0 for the first
    std::uint64_t cpu_usec = 0;             // cumulative usage_usec
    double cpu_cores = 0;                   // share of one core over the interval (2.0 = two)
    std::optional<double> cpu_of_limit;     // cpu_cores / cpu.max cores, when limited
    double throttled = 0;                   // share of cpu.max periods throttled (0..1)
    std::uint64_t throttled_usec = 0;       // over the interval
    std::optional<std::uint64_t> memory_current, memory_peak, memory_max;
    std::optional<double> memory_of_max;
    std::optional<std::uint64_t> pids, pids_max;
    std::optional<double> pids_of_max;
    std::uint64_t io_read_bytes = 0, io_write_bytes = 0;               // cumulative, all devices
    std::optional<double> cpu_pressure, memory_pressure, io_pressure;  // PSI some avg10 (%)
    std::optional<double> memory_pressure_full, io_pressure_full;      // PSI full avg10 (%)
    std::uint64_t oom_kills = 0;      // cumulative memory.events oom_kill
    std::uint64_t new_oom_kills = 0;  // since the previous sample
};

// previous: the last sample of the same cgroup (nullptr for the first: rates are 0).
ResourceSample make_sample(const isolation::CgroupStats& stats, SampleClock::time_point at,
                           const ResourceSample* previous, const isolation::CgroupStats* before,
                           const manifests::Resources& limits);

// "cpu 0.25 cores (50% of 0.5), memory 12.0 MiB of 64.0 MiB (19%), pids 3, psi cpu 1.2%"
std::string describe(const ResourceSample& sample);

// The manifest's warnings, each raised once when its figure has stayed above for its
// duration, and re-armed when it falls below.
class WarningTracker {
  public:
    explicit WarningTracker(std::vector<manifests::ResourceWarning> warnings);
    // Messages of the warnings raised by this sample, e.g.
    // "memory at 93% of its limit for 60s (warning above 90%)".
    std::vector<std::string> observe(const ResourceSample& sample);

  private:
    struct Tracked {
        manifests::ResourceWarning warning;
        std::optional<SampleClock::time_point> above_since;
        bool raised = false;
    };
    std::vector<Tracked> tracked_;
};

// A fixed-capacity ring: the oldest entry is dropped when full. No allocation after the
// constructor.
template <typename T>
class Ring {
  public:
    explicit Ring(std::size_t capacity) : items_(capacity == 0 ? 1 : capacity) {}
    void push(T item) {
        items_[(start_ + size_) % items_.size()] = std::move(item);
        if (size_ < items_.size())
            ++size_;
        else
            start_ = (start_ + 1) % items_.size();
    }
    [[nodiscard]] std::size_t size() const { return size_; }
    [[nodiscard]] std::size_t capacity() const { return items_.size(); }
    // 0 = the oldest kept.
    [[nodiscard]] const T& at(std::size_t i) const { return items_[(start_ + i) % items_.size()]; }
    [[nodiscard]] const T* latest() const { return size_ == 0 ? nullptr : &at(size_ - 1); }

  private:
    std::vector<T> items_;
    std::size_t start_ = 0, size_ = 0;
};

}  // namespace edgevisor::health
