// Limits on this host: its cgroup2 has none of cpu/memory/pids/io, so a requested limit is the
// clear error (or, with allowMissingControllers, a warning). The limits themselves are proven
// in tests/vm. Also: io device paths resolve to major:minor.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "cgroup_support.hpp"
#include "edgevisor/log.hpp"
#include "skip.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;
using namespace std::chrono_literals;

namespace {

// The first of `wanted` that this host's workload cgroups do not get; skips if all are there.
std::string missing_controller(const isolation::Cgroup& cgroup) {
    auto controllers = cgroup.controllers();
    REQUIRE(controllers.has_value());
    for (std::string c : {"memory", "pids", "cpu", "io"})
        if (std::find(controllers->begin(), controllers->end(), c) == controllers->end()) return c;
    skip("every controller is available here; the missing-controller path cannot be shown");
}

manifests::Resources requesting(const std::string& controller) {
    manifests::Resources r;
    if (controller == "memory") r.memory.max = 64ull << 20;
    if (controller == "pids") r.pids.max = 64;
    if (controller == "cpu") r.cpu.max_millicores = 500;
    if (controller == "io") r.io.weight = 200;
    return r;
}

const char* file_of(const std::string& controller) {
    if (controller == "memory") return "memory.max";
    if (controller == "pids") return "pids.max";
    if (controller == "cpu") return "cpu.max";
    return "io.weight";
}

}  // namespace

TEST_CASE("a limit whose controller is missing is a clear error naming file, controller, mount") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("limited");
    REQUIRE(cgroup.has_value());
    const std::string controller = missing_controller(*cgroup);
    auto applied = cgroup->apply(requesting(controller));
    REQUIRE_FALSE(applied.has_value());
    CHECK(applied.error().step == "cgroup.controller");
    const std::string expected = std::string(file_of(controller)) + " requested but the " +
                                 controller + " controller is not available in " +
                                 tree.mount_point();
    INFO(applied.error().describe());
    CHECK(applied.error().describe().starts_with(expected));
    CHECK(applied.error().describe().find("allowMissingControllers") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(cgroup->path() + "/" + file_of(controller)));
}

TEST_CASE("every missing controller is named, not only the first") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("limited");
    REQUIRE(cgroup.has_value());
    auto controllers = cgroup->controllers();
    REQUIRE(controllers.has_value());
    if (std::find(controllers->begin(), controllers->end(), "memory") != controllers->end() ||
        std::find(controllers->begin(), controllers->end(), "pids") != controllers->end())
        skip("memory or pids is available here");
    manifests::Resources r;
    r.memory.max = 64ull << 20;
    r.pids.max = 16;
    auto applied = cgroup->apply(r);
    REQUIRE_FALSE(applied.has_value());
    CHECK(applied.error().message.find("memory.max requested") != std::string::npos);
    CHECK(applied.error().message.find("pids.max requested") != std::string::npos);
}

TEST_CASE("allowMissingControllers runs without the limit and logs a warning") {
    auto options = test_tree_options();
    options.allow_missing_controllers = true;
    auto tree = open_test_tree(options);
    auto cgroup = tree.create_workload("lenient");
    REQUIRE(cgroup.has_value());
    const std::string controller = missing_controller(*cgroup);

    std::string log;
    {
        edgevisor::log::Capture capture;
        auto applied = cgroup->apply(requesting(controller));
        if (!applied) FAIL(applied.error().describe());
        log = capture.text();
    }
    INFO(log);
    const std::string line = "lenient: running without " + std::string(file_of(controller)) +
                             " (no " + controller + " controller in " + tree.mount_point() + ")";
    CHECK(log.find("warning") != std::string::npos);
    CHECK(log.find(line) != std::string::npos);
    CHECK(cgroup->skipped_limits().files == std::vector<std::string>{file_of(controller)});
}

TEST_CASE("the skipped-limits line names every file and each missing controller once") {
    isolation::SkippedLimits skipped{{"cpuset.cpus", "cpu.max", "cpu.weight", "memory.max"},
                                     {"cpuset", "cpu", "memory"},
                                     "/sys/fs/cgroup/unified"};
    CHECK(isolation::describe_skipped_limits("sensor-reader", skipped) ==
          "sensor-reader: running without cpuset.cpus, cpu.max, cpu.weight, memory.max (no "
          "cpuset, cpu, memory controller in /sys/fs/cgroup/unified)");
}

TEST_CASE("resources without limits apply cleanly where no controller is available") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("unlimited");
    REQUIRE(cgroup.has_value());
    auto applied = cgroup->apply(manifests::Resources{});
    if (!applied) FAIL(applied.error().describe());
    CHECK(applied.has_value());
}

TEST_CASE("io devices: every block device node resolves to its major:minor") {
    // /sys/dev/block/<major:minor>/uevent names the node (DEVNAME=vda) for each block device.
    int checked = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/sys/dev/block")) {
        std::ifstream uevent(entry.path() / "uevent");
        std::string line, node;
        while (std::getline(uevent, line))
            if (line.starts_with("DEVNAME=")) node = "/dev/" + line.substr(8);
        if (node.empty() || !std::filesystem::exists(node)) continue;
        INFO(node);
        auto resolved = isolation::resolve_block_device(node);
        REQUIRE(resolved.has_value());
        CHECK(*resolved == entry.path().filename().string());
        ++checked;
    }
    CHECK(checked > 0);
}

TEST_CASE("io devices: a character device or a missing path is refused, naming the path") {
    auto chr = isolation::resolve_block_device("/dev/null");
    REQUIRE_FALSE(chr.has_value());
    CHECK(chr.error().code == ENOTBLK);
    CHECK(chr.error().describe().find("/dev/null is not a block device") != std::string::npos);
    auto missing = isolation::resolve_block_device("/dev/no-such-disk");
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().code == ENOENT);
    CHECK(missing.error().describe().find("/dev/no-such-disk") != std::string::npos);
}

TEST_CASE("an io.max limit for a device that does not exist fails before any write") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("io");
    REQUIRE(cgroup.has_value());
    manifests::Resources r;
    r.io.max.push_back({"/dev/no-such-disk", 1048576, std::nullopt, std::nullopt, std::nullopt});
    auto applied = cgroup->apply(r);
    REQUIRE_FALSE(applied.has_value());
    CHECK(applied.error().describe().find("/dev/no-such-disk") != std::string::npos);
}
