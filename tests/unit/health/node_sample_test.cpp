// The node's figures: /proc/loadavg, /proc/meminfo and /proc/self/statm as the kernel writes
// them, and refused when they are not in that form.
#include <catch2/catch.hpp>

#include "edgevisor/health/node_sample.hpp"

using namespace edgevisor::health;

TEST_CASE("node figures from loadavg, meminfo and statm") {
    NodeSample s;
    REQUIRE(parse_loadavg("0.42 0.30 0.25 2/311 12345\n", s));
    CHECK(s.load1 == Approx(0.42));
    CHECK(s.load5 == Approx(0.30));
    CHECK(s.load15 == Approx(0.25));
    REQUIRE(
        parse_meminfo("MemTotal:        4026532 kB\nMemFree:          123456 kB\n"
                      "MemAvailable:    1048576 kB\nBuffers:           2048 kB\n",
                      s));
    CHECK(s.memory_total == 4026532ULL * 1024);
    CHECK(s.memory_available == 1048576ULL * 1024);
    REQUIRE(parse_statm("5120 1536 700 200 0 900 0\n", 4096, s));
    CHECK(s.supervisor_rss == 1536ULL * 4096);
    CHECK(describe(s) ==
          "load 0.42 0.30 0.25, memory 1024.0 MiB available of 3932.2 MiB, edgevisord cpu "
          "0.000 cores, rss 6.0 MiB");
}

TEST_CASE("node figures refuse what is not in the kernel's form") {
    NodeSample s;
    CHECK_FALSE(parse_loadavg("", s));
    CHECK_FALSE(parse_loadavg("high 0.3 0.2\n", s));
    CHECK_FALSE(parse_meminfo("MemTotal: 100 kB\n", s));  // no MemAvailable (Linux < 3.14)
    CHECK_FALSE(parse_statm("x y\n", 4096, s));
}

TEST_CASE("the sampler reads this process's node figures") {
    auto sampler = NodeSampler::open();
    REQUIRE(sampler.has_value());
    auto first = sampler->read(nullptr, std::chrono::nanoseconds(0));
    REQUIRE(first.has_value());
    CHECK(first->memory_total > 0);
    CHECK(first->memory_available <= first->memory_total);
    CHECK(first->supervisor_rss > 0);
    CHECK(first->supervisor_cpu_cores == 0);  // no previous sample, no rate
}
