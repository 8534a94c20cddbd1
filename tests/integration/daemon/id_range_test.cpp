// The daemon's id ranges: the node config's idPool decides them, a workload keeps its range
// across its restarts and the daemon's, a full pool is a clear start failure, and a removed
// workload gives its range back once none of its processes is left. Real edgevisord, the state
// file <state>/idranges it keeps, the uid_map the kernel shows.
#include <catch2/catch.hpp>

#include <sstream>

#include "daemon_support.hpp"
#include "skip.hpp"

using namespace edgevisor::testing;

namespace {

// A pool of the test's own, far from the defaults, so a range proves the config was read.
constexpr const char* kPoolConfig = "idPool: {first: 3000000000, size: 65536, count: 2}\n";

std::string sleeper(const std::string& name) {
    return workload_yaml(name,
                         "  command: [/bin/sleep, \"1000\"]\n  stopTimeout: 5s\n"
                         "  restart: {policy: always, backoff: {initial: 100ms, max: 500ms}}\n"
                         "  isolation: {init: true}\n");
}

// "<workload> <first> <size>" lines of the state file, comments left out.
std::string ranges(const Daemon& d) {
    std::istringstream in(read_text_file(d.dir() + "/state/idranges"));
    std::string line, out;
    while (std::getline(in, line))
        if (!line.empty() && line[0] != '#') out += line + "\n";
    return out;
}

// The first line of the workload's uid_map: "inside outside count", spaces squeezed.
std::string uid_map_of(const Daemon& d, const std::string& name) {
    auto w = d.workload(name);
    if (!w) return "";
    std::istringstream in(
        read_text_file("/proc/" + std::to_string(w->value("pid", 0)) + "/uid_map"));
    std::uint64_t inside = 0, outside = 0, count = 0;
    in >> inside >> outside >> count;
    return std::to_string(inside) + " " + std::to_string(outside) + " " + std::to_string(count);
}

}  // namespace

TEST_CASE(
    "idPool of the node config gives the ranges, and a removed workload gives its range back") {
    require_root();
    Daemon d(kPoolConfig);
    d.write_manifest("a.yaml", sleeper("alpha"));
    d.write_manifest("b.yaml", sleeper("beta"));
    d.start();
    REQUIRE(d.wait_state("alpha", "running"));
    REQUIRE(d.wait_state("beta", "running"));
    CHECK(ranges(d) == "alpha 3000000000 65536\nbeta 3000065536 65536\n");
    CHECK(uid_map_of(d, "alpha") == "0 3000000000 65536");

    // A third workload finds the pool full: a start failure that says so, the others run on.
    d.write_manifest("c.yaml", sleeper("gamma"));
    REQUIRE(d.wait_for([&](const Json&) {
        auto w = d.workload("gamma");
        return w && w->dump().find("all 2 id ranges are taken") != std::string::npos;
    }));
    CHECK(d.workload("alpha")->value("state", "") == "running");

    // alpha's range goes back to the pool once its processes are gone, and gamma, retrying,
    // takes it (the lowest free range).
    d.remove_manifest("a.yaml");
    REQUIRE(d.wait_for([&](const Json&) { return !d.workload("alpha"); }));
    REQUIRE(d.wait_state("gamma", "running"));
    CHECK(ranges(d) == "beta 3000065536 65536\ngamma 3000000000 65536\n");
    CHECK(uid_map_of(d, "gamma") == "0 3000000000 65536");
    CHECK(d.stop() == 0);
}

TEST_CASE("a workload keeps its id range across a daemon restart") {
    require_root();
    Daemon d(kPoolConfig);
    d.write_manifest("a.yaml", sleeper("alpha"));
    d.start();
    REQUIRE(d.wait_state("alpha", "running"));
    auto before = uid_map_of(d, "alpha");
    CHECK(before == "0 3000000000 65536");
    CHECK(d.stop() == 0);  // stops the workload too; the state file stays
    CHECK(ranges(d) == "alpha 3000000000 65536\n");
    d.start();
    REQUIRE(d.wait_state("alpha", "running"));
    CHECK(uid_map_of(d, "alpha") == before);
    CHECK(d.stop() == 0);
}
