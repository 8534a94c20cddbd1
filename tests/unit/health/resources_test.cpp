#include <catch2/catch.hpp>

#include "edgevisor/health/resources.hpp"

using namespace edgevisor;
using namespace edgevisor::health;
using namespace std::chrono_literals;

namespace {

isolation::CgroupStats stats(std::uint64_t cpu_usec, std::uint64_t memory, std::uint64_t ooms = 0) {
    isolation::CgroupStats s;
    s.cpu.usage_usec = cpu_usec;
    s.cpu.nr_periods = cpu_usec / 1000;
    s.cpu.nr_throttled = cpu_usec / 4000;
    s.memory_current = memory;
    s.memory_events = isolation::MemoryEvents{};
    s.memory_events->oom_kill = ooms;
    s.pids_current = 4;
    isolation::Pressure p;
    p.some.avg10 = 12.5;
    s.memory_pressure = p;
    return s;
}

}  // namespace

TEST_CASE("cpu as a share of a core and of its limit, memory of max, throttling, oom kills") {
    manifests::Resources limits;
    limits.cpu.max_millicores = 500;
    limits.memory.max = 64 * 1024 * 1024;
    limits.pids.max = 16;
    SampleClock::time_point t0{};
    auto before = stats(1'000'000, 16 * 1024 * 1024);
    auto first = make_sample(before, t0, nullptr, nullptr, limits);
    CHECK(first.cpu_cores == 0);
    CHECK(first.memory_of_max == Approx(0.25));
    CHECK(first.pids_of_max == Approx(0.25));
    CHECK(first.memory_pressure == Approx(12.5));
    auto now = stats(1'000'000 + 2'500'000, 48 * 1024 * 1024, 1);  // 2.5 s of cpu in 10 s
    auto second = make_sample(now, t0 + 10s, &first, &before, limits);
    CHECK(second.interval == 10s);
    CHECK(second.cpu_cores == Approx(0.25));
    REQUIRE(second.cpu_of_limit);
    CHECK(*second.cpu_of_limit == Approx(0.5));
    CHECK(second.throttled == Approx(0.25));
    CHECK(second.memory_of_max == Approx(0.75));
    CHECK(second.new_oom_kills == 1);
    CHECK(describe(second) ==
          "cpu 0.25 cores (50% of its limit), throttled 25%, memory 48.0 MiB of 64.0 MiB (75%), "
          "pids 4, psi memory 12.5%, oom kills 1");
}

TEST_CASE("without limits there is no share of them") {
    auto s = make_sample(stats(5, 100), SampleClock::time_point{}, nullptr, nullptr, {});
    CHECK_FALSE(s.memory_of_max);
    CHECK_FALSE(s.cpu_of_limit);
    CHECK_FALSE(s.pids_of_max);
}

TEST_CASE("a warning is raised once after its duration above, and re-armed below") {
    manifests::ResourceWarning w;
    w.metric = manifests::WarningMetric::memory;
    w.above_percent = 90;
    w.for_duration = 60s;
    WarningTracker tracker({w});
    auto at = [](std::chrono::seconds t, double of_max) {
        ResourceSample s;
        s.at = SampleClock::time_point{} + t;
        s.memory_of_max = of_max;
        return s;
    };
    CHECK(tracker.observe(at(0s, 0.95)).empty());
    CHECK(tracker.observe(at(30s, 0.95)).empty());
    auto raised = tracker.observe(at(60s, 0.93));
    REQUIRE(raised.size() == 1);
    CHECK(raised[0] == "memory at 93% of its limit for 60s (warning above 90%)");
    CHECK(tracker.observe(at(70s, 0.97)).empty());  // once per episode
    CHECK(tracker.observe(at(80s, 0.50)).empty());  // below: re-armed
    CHECK(tracker.observe(at(90s, 0.95)).empty());
    CHECK(tracker.observe(at(150s, 0.95)).size() == 1);
}

TEST_CASE("the ring keeps the newest entries up to its capacity") {
    Ring<int> ring(3);
    CHECK(ring.latest() == nullptr);
    for (int i = 1; i <= 5; ++i) ring.push(i);
    CHECK(ring.size() == 3);
    CHECK(ring.at(0) == 3);
    CHECK(ring.at(2) == 5);
    CHECK(*ring.latest() == 5);
}
