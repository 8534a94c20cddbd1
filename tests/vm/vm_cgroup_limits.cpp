// cgroup v2 limits enforced by a real kernel on real workloads (inside the test VM, where every
// controller is available). Each case starts a manifest's workload through the Launcher, makes
// it misbehave and checks what the kernel did about it, not only that a file was written.
#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>

#include "vm_support.hpp"

namespace edgevisor::vmtest {
namespace {

using isolation::CgroupEventKind;

TEST_CASE("memory.max: a workload over the limit is OOM-killed and the event names it") {
    require_vm();
    auto hog = manifest(R"(
metadata: {name: oom-hog}
spec:
  command: ["@WORKLOAD@", hog, "256"]
  resources: {memory: {max: 32Mi, swapMax: 0}}
)");
    auto tree = open_tree();
    auto cgroup = cgroup_for(tree, hog);
    CHECK(read_file(cgroup.path() + "/memory.max") == "33554432");
    CHECK(read_file(cgroup.path() + "/memory.swap.max") == "0");

    auto watcher = must(isolation::CgroupWatcher::create(), "create the watcher");
    must(watcher.watch("oom-hog", cgroup), "watch oom-hog");
    auto process = start(cgroup, hog);

    int status = must(isolation::wait_exit(process), "wait for the hog");
    INFO("wait status " << status);
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);

    auto event = wait_event(watcher, "oom-hog", CgroupEventKind::oom_kill, 10s);
    REQUIRE(event.has_value());
    CHECK(event->workload == "oom-hog");
    CHECK(event->count >= 1);

    auto stats = must(cgroup.stats(), "read the stats");
    REQUIRE(stats.memory_events.has_value());
    CHECK(stats.memory_events->oom_kill >= 1);
    CHECK(stats.memory_events->max >= 1);
    if (kernel_has_file(cgroup, "memory.peak")) {
        REQUIRE(stats.memory_peak.has_value());
        CHECK(*stats.memory_peak <= 32 * kMiB);
        CHECK(*stats.memory_peak >= 16 * kMiB);
    } else {
        CHECK_FALSE(stats.memory_peak.has_value());  // Linux < 5.19: not read, not an error
    }
}

TEST_CASE("pids.max: 4096 by default when the manifest sets no limit") {
    require_vm();
    auto plain = manifest(R"(
metadata: {name: pids-default}
spec:
  command: ["@WORKLOAD@", exit, "0"]
)");
    auto tree = open_tree();
    auto cgroup = cgroup_for(tree, plain);
    CHECK(read_file(cgroup.path() + "/pids.max") == "4096");
}

TEST_CASE("pids.max: a fork bomb is stopped and the guest stays responsive") {
    require_vm();
    auto bomb = manifest(R"(
metadata: {name: fork-bomb}
spec:
  command: ["@WORKLOAD@", fork-bomb]
  resources: {pids: {max: 16}}
)");
    auto tree = open_tree();
    auto cgroup = cgroup_for(tree, bomb);
    CHECK(read_file(cgroup.path() + "/pids.max") == "16");

    auto process = start(cgroup, bomb);
    const std::string events = cgroup.path() + "/pids.events";
    REQUIRE(eventually([&] { return keyed_value(events, "max") > 0; }, 30s));

    // The bomb keeps trying; the count never passes the limit.
    for (int i = 0; i < 10; ++i) {
        auto stats = must(cgroup.stats(), "read the stats");
        REQUIRE(stats.pids_current.has_value());
        CHECK(*stats.pids_current <= 16);
        std::this_thread::sleep_for(50ms);
    }
    // Outside the cgroup, new processes still start promptly.
    for (int i = 0; i < 3; ++i) {
        auto begin = Clock::now();
        pid_t child = ::fork();
        if (child == 0) {
            ::execl("/bin/true", "true", nullptr);
            ::_exit(127);
        }
        REQUIRE(child > 0);
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        CHECK(status == 0);
        auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin);
        std::printf("during the fork bomb, starting /bin/true took %lld ms\n",
                    static_cast<long long>(took.count()));
        CHECK(took < 3s);
    }
    CHECK(keyed_value(events, "max") > 0);

    isolation::StopOptions options;
    options.grace = 200ms;
    const std::string path = cgroup.path();
    auto outcome = must(isolation::stop(cgroup, &process, options), "stop the bomb");
    CHECK(outcome.killed);
    CHECK_FALSE(std::filesystem::exists(path));  // removed, so it was empty
    must(isolation::wait_exit(process), "reap the main process");
}

TEST_CASE("cpu.max of 0.25 cores holds a busy loop near 25% and counts throttling") {
    require_vm();
    auto spinner = manifest(R"(
metadata: {name: spinner}
spec:
  command: ["@WORKLOAD@", spin]
  resources: {cpu: {max: "0.25"}}
)");
    auto tree = open_tree();
    auto cgroup = cgroup_for(tree, spinner);
    CHECK(read_file(cgroup.path() + "/cpu.max") == "25000 100000");

    auto process = start(cgroup, spinner);
    std::this_thread::sleep_for(300ms);  // past exec and the first period
    auto before = must(cgroup.stats(), "read cpu.stat");
    auto begin = Clock::now();
    std::this_thread::sleep_for(4s);
    auto after = must(cgroup.stats(), "read cpu.stat");
    auto wall_us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - begin).count();

    // TCG is slow and noisy: generous bounds, still far from an unthrottled loop (100%).
    double share = static_cast<double>(after.cpu.usage_usec - before.cpu.usage_usec) /
                   static_cast<double>(wall_us);
    std::printf(
        "busy loop under cpu.max 0.25: %.1f%% of one CPU over %lld ms, throttled %llu "
        "times\n",
        share * 100, static_cast<long long>(wall_us / 1000),
        static_cast<unsigned long long>(after.cpu.nr_throttled - before.cpu.nr_throttled));
    CHECK(share > 0.10);
    CHECK(share < 0.45);
    CHECK(after.cpu.nr_throttled > before.cpu.nr_throttled);
    CHECK(after.cpu.throttled_usec > before.cpu.throttled_usec);

    isolation::StopOptions options;
    options.grace = 200ms;
    must(isolation::stop(cgroup, &process, options), "stop the spinner");
    must(isolation::wait_exit(process), "reap the spinner");
}

TEST_CASE("cpuset.cpus pins the workload to the given CPU") {
    require_vm();
    REQUIRE(std::thread::hardware_concurrency() >= 2);  // the harness gives the guest -smp 2
    auto tree = open_tree();
    auto cgroup = must(tree.create_workload("pinned"), "create workloads/pinned");
    for (std::string cpu : {"1", "0"}) {
        auto pinned = manifest(R"(
metadata: {name: pinned}
spec:
  command: ["@WORKLOAD@", affinity]
  resources: {cpuset: ")" + cpu +
                               R"("}
)");
        must(cgroup.apply(pinned.spec.resources), "apply cpuset.cpus");
        CHECK(read_file(cgroup.path() + "/cpuset.cpus.effective") == cpu);

        OutputPipe output;
        auto process = start(cgroup, pinned, output.write_end.get());
        output.write_end.reset();
        std::string seen = output.read_all(10s);
        INFO("the workload saw:\n" << seen);
        CHECK(seen.find("sched_getaffinity " + cpu + "\n") != std::string::npos);
        CHECK(seen.find("Cpus_allowed_list " + cpu + "\n") != std::string::npos);
        CHECK(must(isolation::wait_exit(process), "wait for the workload") == 0);
    }
}

TEST_CASE("io.max is written for the real virtio block device and throttles reads") {
    require_vm();
    const char* device_env = std::getenv("EDGEVISOR_VM_BLOCK_DEVICE");
    REQUIRE(device_env != nullptr);
    const std::string device = device_env;
    std::string major_minor = must(isolation::resolve_block_device(device), "resolve the disk");

    // The workload's /dev is minimal: the disk comes in by a bind mount, as a user would do it.
    // Without the user namespace: the guest's disk node is the guest root's own, and
    // root inside a user namespace is not the guest's root (devtmpfs has no idmapped mounts).
    auto reader = manifest(R"(
metadata: {name: reader}
spec:
  command: ["@WORKLOAD@", read, ")" +
                           device + R"(", "3"]
  resources: {io: {max: [{device: ")" +
                           device + R"(", rbps: 1Mi}]}}
  isolation:
    namespaces: [pid, mount, ipc, uts, net, cgroup]
    mounts: [{type: bind, source: ")" +
                           device + R"(", target: ")" + device + R"("}]
)");
    auto tree = open_tree();
    auto cgroup = cgroup_for(tree, reader);
    CHECK(read_file(cgroup.path() + "/io.max") ==
          major_minor + " rbps=1048576 wbps=max riops=max wiops=max");

    // 3 MiB at 1 MiB/s takes about 3 s (unthrottled: well under 0.5 s, even under TCG).
    OutputPipe output;
    auto process = start(cgroup, reader, output.write_end.get());
    output.write_end.reset();
    std::string seen = output.read_all(60s);
    INFO("the workload said: " << seen);
    CHECK(must(isolation::wait_exit(process), "wait for the reader") == 0);
    REQUIRE(seen.starts_with("read_ms "));
    long read_ms = std::stol(seen.substr(8));
    std::printf("3 MiB read under io.max rbps=1Mi took %ld ms\n", read_ms);
    CHECK(read_ms >= 1500);

    auto stats = must(cgroup.stats(), "read io.stat");
    bool counted = false;
    for (const auto& entry : stats.io) {
        if (std::to_string(entry.major) + ":" + std::to_string(entry.minor) == major_minor) {
            CHECK(entry.rbytes >= 3 * kMiB);
            counted = true;
        }
    }
    CHECK(counted);
}

TEST_CASE("limits change in place on a running workload, without a restart") {
    require_vm();
    // The same workload, four revisions of its resources, as the daemon would apply them.
    auto revision = [](const std::string& resources) {
        return manifest(R"(
metadata: {name: resized}
spec:
  command: ["@WORKLOAD@", hog, "24", hold]
  resources: )" + resources +
                        "\n");
    };
    auto first = revision("{memory: {max: 64Mi, swapMax: 0}, cpu: {max: \"0.5\"}}");
    auto tree = open_tree();
    auto cgroup = cgroup_for(tree, first);
    CHECK(read_file(cgroup.path() + "/cpu.max") == "50000 100000");

    OutputPipe output;
    auto process = start(cgroup, first, output.write_end.get());
    output.write_end.reset();
    REQUIRE(output.read_until("allocated 24\n", 30s).find("allocated 24\n") != std::string::npos);
    CHECK(*must(cgroup.stats(), "read the stats").memory_current >= 24 * kMiB);

    // Raise memory, lower cpu: same process, new values.
    auto second = revision("{memory: {max: 48Mi, swapMax: 0}, cpu: {max: 200m}}");
    must(cgroup.apply(second.spec.resources), "apply the changed limits");
    CHECK(read_file(cgroup.path() + "/memory.max") == "50331648");
    CHECK(read_file(cgroup.path() + "/cpu.max") == "20000 100000");
    CHECK(running(process));
    auto procs = must(cgroup.procs(), "read cgroup.procs");
    CHECK(std::find(procs.begin(), procs.end(), process.pid) != procs.end());

    // A limit no longer set goes back to the kernel default.
    auto third = revision("{memory: {max: 48Mi, swapMax: 0}}");
    must(cgroup.apply(third.spec.resources), "drop cpu.max");
    CHECK(read_file(cgroup.path() + "/cpu.max") == "max 100000");
    CHECK(running(process));

    // Below what it holds (no swap): the new limit is live, so the kernel OOM-kills it.
    auto fourth = revision("{memory: {max: 16Mi, swapMax: 0}}");
    must(cgroup.apply(fourth.spec.resources), "lower memory.max below usage");
    int status = must(isolation::wait_exit(process), "wait for the holder");
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
    CHECK(must(cgroup.stats(), "read the stats").memory_events->oom_kill >= 1);
}

}  // namespace
}  // namespace edgevisor::vmtest
