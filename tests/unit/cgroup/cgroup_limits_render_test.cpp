// Manifest resources -> cgroup file values, without a kernel (the device resolver is faked).
#include <catch2/catch.hpp>

#include <algorithm>

#include "edgevisor/isolation/cgroup_parse.hpp"

using namespace edgevisor;
using namespace edgevisor::isolation;

namespace {

Result<std::string> fake_devices(const std::string& path) {
    if (path == "/dev/vda") return std::string("254:0");
    return fail("cgroup.device", path + " is not a block device", ENOTBLK);
}

const CgroupSetting* find(const std::vector<CgroupSetting>& settings, std::string_view file) {
    auto it = std::find_if(settings.begin(), settings.end(),
                           [&](const CgroupSetting& s) { return s.file == file; });
    return it == settings.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("cpu.max from millicores and period") {
    CHECK(cpu_max_value(500) == "50000 100000");
    CHECK(cpu_max_value(250) == "25000 100000");
    CHECK(cpu_max_value(2000) == "200000 100000");
    CHECK(cpu_max_value(250, 50000) == "12500 50000");
}

TEST_CASE("every requested limit is rendered with its controller") {
    manifests::Resources r;
    r.cpu.max_millicores = 500;
    r.cpu.weight = 200;
    r.memory.max = 64ull << 20;
    r.memory.high = 48ull << 20;
    r.memory.swap_max = 0;
    r.pids.max = 64;
    r.io.weight = 300;
    r.io.max.push_back({"/dev/vda", 1048576, std::nullopt, 100, std::nullopt});
    r.cpuset_cpus = "0-1";
    r.cpuset_mems = "0";
    auto settings = render_limits(r, fake_devices);
    REQUIRE(settings.has_value());
    struct Expect {
        const char *file, *value, *controller;
    };
    for (auto e :
         {Expect{"cpu.max", "50000 100000", "cpu"}, Expect{"cpu.weight", "200", "cpu"},
          Expect{"memory.max", "67108864", "memory"}, Expect{"memory.high", "50331648", "memory"},
          Expect{"memory.swap.max", "0", "memory"}, Expect{"pids.max", "64", "pids"},
          Expect{"io.weight", "default 300", "io"},
          Expect{"io.max", "254:0 rbps=1048576 wbps=max riops=100 wiops=max", "io"},
          Expect{"cpuset.cpus", "0-1", "cpuset"}, Expect{"cpuset.mems", "0", "cpuset"}}) {
        INFO(e.file);
        const CgroupSetting* s = find(*settings, e.file);
        REQUIRE(s != nullptr);
        CHECK(s->value == e.value);
        CHECK(s->controller == e.controller);
        CHECK(s->requested);
    }
    // The cpuset must be in place before the quota that assumes it.
    CHECK(find(*settings, "cpuset.cpus") < find(*settings, "cpu.max"));
}

TEST_CASE("unset limits render as resets to the kernel defaults, not requested") {
    auto settings = render_limits(manifests::Resources{}, fake_devices);
    REQUIRE(settings.has_value());
    for (const auto& s : *settings) CHECK_FALSE(s.requested);
    CHECK(find(*settings, "cpu.max")->value == "max 100000");
    CHECK(find(*settings, "cpu.weight")->value == "100");
    CHECK(find(*settings, "memory.max")->value == "max");
    CHECK(find(*settings, "memory.high")->value == "max");
    CHECK(find(*settings, "pids.max")->value == "4096");  // the documented default
    CHECK(find(*settings, "io.weight")->value == "default 100");
    CHECK(find(*settings, "io.max") == nullptr);
}

TEST_CASE("a cpu quota below the kernel's 1 ms minimum is refused before writing") {
    manifests::Resources r;
    r.cpu.max_millicores = 5;  // 500 us per 100 ms
    auto settings = render_limits(r, fake_devices);
    REQUIRE_FALSE(settings.has_value());
    CHECK(settings.error().message.find("minimum is 1000 us") != std::string::npos);
}

TEST_CASE("an io device that does not resolve fails the whole render, naming it") {
    manifests::Resources r;
    r.io.max.push_back({"/dev/null", 1, std::nullopt, std::nullopt, std::nullopt});
    auto settings = render_limits(r, fake_devices);
    REQUIRE_FALSE(settings.has_value());
    CHECK(settings.error().describe().find("/dev/null") != std::string::npos);
    CHECK(settings.error().code == ENOTBLK);
}
