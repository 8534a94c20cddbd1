// The real edgevisord in the guest, where memory.max exists: an OOM kill is the workload's last
// exit and an event with its name, and the memory figure of a workload that holds a known
// amount is near the truth. (The host's cgroup2 has no memory controller.)
#include <cstdint>

#include "daemon_support.hpp"
#include "vm_support.hpp"

namespace edgevisor::vmtest {
namespace {

using testing::Daemon;
using testing::Json;
using testing::workload_yaml;

TEST_CASE("edgevisord: an OOM kill is the last exit and an event, memory figures are read") {
    require_vm();
    Daemon d("supervisor: {sampleInterval: 200ms}\n");
    const std::string program = kWorkloadProgram;
    d.write_manifest(
        "a.yaml",
        workload_yaml("holder", "  command: [" + program +
                                    ", hog, \"24\", hold]\n"
                                    "  resources: {memory: {max: 64Mi, swapMax: 0}}\n") +
            "---\n" +
            workload_yaml("oomer", "  command: [" + program +
                                       ", hog, \"256\"]\n"
                                       "  restart: {policy: never}\n"
                                       "  resources: {memory: {max: 32Mi, swapMax: 0}}\n"));
    d.start();
    REQUIRE(d.wait_state("oomer", "failed", 120s));
    auto oomer = *d.workload("oomer");
    INFO(oomer.dump() << "\n" << d.daemon_output());
    CHECK(oomer.value("lastExit", "") == "oom-killed (killed by SIGKILL)");
    CHECK(d.daemon_output().find("oomer: 1 process(es) killed by the kernel's OOM killer at "
                                 "memory.max") != std::string::npos);

    // 24 MiB touched, plus the program itself: what the sample says, against memory.current.
    std::uint64_t reported = 0;
    REQUIRE(d.wait_for(
        [&](const Json&) {
            auto w = d.workload("holder");
            if (!w || !w->contains("memoryBytes")) return false;
            reported = (*w)["memoryBytes"].get<std::uint64_t>();
            return reported >= 24 * kMiB;
        },
        120s));
    CHECK(reported <= 40 * kMiB);
    const auto current = std::stoull(read_file(d.cgroup_dir("holder") + "/memory.current"));
    CHECK(current >= 24 * kMiB);
    CHECK(current <= 40 * kMiB);
    CHECK(d.workload("holder")->value("state", "") == "running");
    CHECK(d.stop() == 0);
}

}  // namespace
}  // namespace edgevisor::vmtest
