// Accounting on the host's cgroup2 (cpu.stat needs no controller) and the freezer.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "cgroup_support.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;
using namespace std::chrono_literals;

namespace {

std::uint64_t usage_usec(const isolation::CgroupStatsReader& reader) {
    auto stats = reader.read();
    REQUIRE(stats.has_value());
    return stats->cpu.usage_usec;
}

// Time the process has run on a cpu, in microseconds, from the scheduler's own counter.
std::uint64_t schedstat_usec(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/schedstat");
    std::uint64_t ns = 0;
    in >> ns;
    return ns / 1000;
}

// Waits (in the test, not the library) until the cgroup has used at least `usec` of cpu.
bool wait_usage(const isolation::CgroupStatsReader& reader, std::uint64_t usec) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (usage_usec(reader) < usec) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

}  // namespace

TEST_CASE("cpu.stat usage of a busy child grows and matches the scheduler's count") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("busy");
    REQUIRE(cgroup.has_value());
    auto reader = isolation::CgroupStatsReader::open(*cgroup);
    REQUIRE(reader.has_value());
    CHECK(usage_usec(*reader) == 0);
    auto child = spawn_into(cgroup->dir_fd(), [] { spin_forever(); });
    // The machine is shared, so wait for an amount of cpu rather than an amount of time.
    REQUIRE(wait_usage(*reader, 200000));
    REQUIRE(cgroup->freeze().has_value());  // holds both counters still while we compare
    const auto from_cgroup = usage_usec(*reader);
    const auto from_scheduler = schedstat_usec(child.pid);
    INFO("cgroup " << from_cgroup << " us, schedstat " << from_scheduler << " us");
    CHECK(from_cgroup >= 200000);
    CHECK(from_cgroup + 20000 >= from_scheduler);
    CHECK(from_cgroup <= from_scheduler + 20000);
    auto stats = reader->read();
    REQUIRE(stats.has_value());
    CHECK(stats->cpu.user_usec > stats->cpu.usage_usec / 2);  // a busy loop in user space
    REQUIRE(isolation::stop(*cgroup, &child, {.grace = 0ms}).has_value());
    REQUIRE(isolation::wait_exit(child).has_value());
}

TEST_CASE("a frozen busy loop accrues no cpu, and runs again when thawed") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("frozen");
    REQUIRE(cgroup.has_value());
    auto reader = isolation::CgroupStatsReader::open(*cgroup);
    REQUIRE(reader.has_value());
    auto child = spawn_into(cgroup->dir_fd(), [] { spin_forever(); });
    REQUIRE(wait_usage(*reader, 50000));

    REQUIRE(cgroup->freeze().has_value());
    CHECK(cgroup->state()->frozen);
    const auto frozen_at = usage_usec(*reader);
    std::this_thread::sleep_for(500ms);
    CHECK(usage_usec(*reader) - frozen_at < 2000);

    REQUIRE(cgroup->thaw().has_value());
    CHECK_FALSE(cgroup->state()->frozen);
    CHECK(wait_usage(*reader, frozen_at + 50000));
    REQUIRE(isolation::stop(*cgroup, &child, {.grace = 0ms}).has_value());
    REQUIRE(isolation::wait_exit(child).has_value());
}

TEST_CASE("stats without controllers: cpu.stat and PSI present, controller files empty") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("plain");
    REQUIRE(cgroup.has_value());
    auto controllers = cgroup->controllers();
    REQUIRE(controllers.has_value());
    auto stats = cgroup->stats();
    REQUIRE(stats.has_value());
    auto enabled = [&](const char* c) {
        return std::find(controllers->begin(), controllers->end(), c) != controllers->end();
    };
    // Each controller's files are there exactly when it is enabled.
    CHECK(stats->memory_current.has_value() == enabled("memory"));
    CHECK(stats->memory_events.has_value() == enabled("memory"));
    CHECK(stats->pids_current.has_value() == enabled("pids"));
    // PSI files belong to every cgroup on a kernel with CONFIG_PSI (this one has it).
    CHECK(stats->cpu_pressure.has_value());
    CHECK(stats->memory_pressure.has_value());
    CHECK(stats->io_pressure.has_value());
}

TEST_CASE("freeze of an empty cgroup completes, and wait_empty times out on a live one") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("idle");
    REQUIRE(cgroup.has_value());
    REQUIRE(cgroup->freeze().has_value());
    REQUIRE(cgroup->thaw().has_value());
    auto child = spawn_into(cgroup->dir_fd(), [] { ::pause(); });
    auto waited = cgroup->wait_empty(200ms);
    REQUIRE_FALSE(waited.has_value());
    CHECK(waited.error().code == ETIMEDOUT);
    REQUIRE(isolation::stop(*cgroup, &child, {.grace = 0ms}).has_value());
    REQUIRE(isolation::wait_exit(child).has_value());
}
