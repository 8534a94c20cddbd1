// Accounting and events with every controller present (the host's cgroup2 mount has none, so
// only cpu.stat's usage can be checked there).
#include <string>

#include "vm_support.hpp"

namespace edgevisor::vmtest {
namespace {

using isolation::CgroupEventKind;

TEST_CASE("accounting: memory, pids, cpu throttling and pressure are read, emptied is reported") {
    require_vm();
    auto holder = manifest(R"(
metadata: {name: counted}
spec:
  command: ["@WORKLOAD@", hog, "8", hold]
  resources: {memory: {max: 64Mi}, cpu: {max: "0.5"}, pids: {max: 8}}
)");
    auto tree = open_tree();
    auto cgroup = cgroup_for(tree, holder);
    auto watcher = must(isolation::CgroupWatcher::create(), "create the watcher");
    must(watcher.watch("counted", cgroup), "watch counted");

    OutputPipe output;
    auto process = start(cgroup, holder, output.write_end.get());
    output.write_end.reset();
    REQUIRE(output.read_until("allocated 8\n", 30s).find("allocated 8\n") != std::string::npos);
    CHECK(wait_event(watcher, "counted", CgroupEventKind::populated, 5s).has_value());

    auto reader = must(isolation::CgroupStatsReader::open(cgroup), "open the stats reader");
    auto stats = must(reader.read(), "read the stats");
    REQUIRE(stats.memory_current.has_value());
    CHECK(*stats.memory_current >= 8 * kMiB);
    CHECK(*stats.memory_current < 64 * kMiB);
    if (kernel_has_file(cgroup, "memory.peak")) {
        REQUIRE(stats.memory_peak.has_value());
        CHECK(*stats.memory_peak >= *stats.memory_current);
    } else {
        CHECK_FALSE(stats.memory_peak.has_value());  // Linux < 5.19: not read, not an error
    }
    REQUIRE(stats.memory_events.has_value());
    CHECK(stats.memory_events->oom_kill == 0);
    REQUIRE(stats.pids_current.has_value());
    CHECK(*stats.pids_current == 1);
    CHECK(stats.cpu.usage_usec > 0);
    CHECK(stats.cpu.nr_periods > 0);  // present only with the cpu controller and cpu.max
    CHECK(stats.cpu_pressure.has_value());
    CHECK(stats.memory_pressure.has_value());
    REQUIRE(stats.io_pressure.has_value());
    CHECK(stats.io_pressure->full.has_value());

    // A second sample through the same open files sees the same process.
    auto again = must(reader.read(), "read the stats again");
    CHECK(again.cpu.usage_usec >= stats.cpu.usage_usec);
    CHECK(again.pids_current == stats.pids_current);

    must(cgroup.kill(), "kill the workload");
    CHECK(wait_event(watcher, "counted", CgroupEventKind::emptied, 10s).has_value());
    must(isolation::wait_exit(process), "reap the holder");
}

}  // namespace
}  // namespace edgevisor::vmtest
