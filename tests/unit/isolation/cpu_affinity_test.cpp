#include "cpu_affinity.hpp"

#include <catch2/catch.hpp>

using edgevisor::isolation::parse_cpu_list;

namespace {

std::vector<int> cpus_of(const cpu_set_t& set) {
    std::vector<int> out;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
        if (CPU_ISSET(cpu, &set)) out.push_back(cpu);
    return out;
}

}  // namespace

TEST_CASE("cpu list: cpuset.cpus.effective as a cpu set") {
    auto one = parse_cpu_list("1\n");
    REQUIRE(one.has_value());
    CHECK(cpus_of(*one) == std::vector<int>{1});
    auto mixed = parse_cpu_list("0-2,5,7-8\n");
    REQUIRE(mixed.has_value());
    CHECK(cpus_of(*mixed) == std::vector<int>{0, 1, 2, 5, 7, 8});
    // An empty cpuset (no cpus yet) or anything malformed gives no set: no affinity is forced.
    for (const char* bad : {"", "\n", "3-1", "a", "1,", "-1", "1-", "99999"}) {
        INFO(bad);
        CHECK_FALSE(parse_cpu_list(bad).has_value());
    }
}
