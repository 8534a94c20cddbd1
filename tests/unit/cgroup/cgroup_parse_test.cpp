// Parsers of /proc/self/mountinfo, /proc/self/cgroup and the cgroup stat files, on fixed text
// copied from real machines (a hybrid Debian 12 host, a pure v2 systemd host, a v1-only host).
#include <catch2/catch.hpp>

#include "edgevisor/isolation/cgroup_parse.hpp"

using namespace edgevisor::isolation;

namespace {

constexpr std::string_view kHybridMountinfo =
    "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

constexpr std::string_view kUnifiedMountinfo =
    "24 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw,errors=remount-ro\n"
    "27 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

constexpr std::string_view kV1OnlyMountinfo =
    "31 23 0:28 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n";

}  // namespace

TEST_CASE("the cgroup2 mount point is found in hybrid and unified mountinfo") {
    CHECK(parse_cgroup2_mount_point(kHybridMountinfo) == "/sys/fs/cgroup/unified");
    CHECK(parse_cgroup2_mount_point(kUnifiedMountinfo) == "/sys/fs/cgroup");
    CHECK_FALSE(mountinfo_has_cgroup_v1(kUnifiedMountinfo));
    CHECK(mountinfo_has_cgroup_v1(kHybridMountinfo));
}

TEST_CASE("a v1-only host has no cgroup2 mount point but is recognised as v1") {
    CHECK_FALSE(parse_cgroup2_mount_point(kV1OnlyMountinfo).has_value());
    CHECK(mountinfo_has_cgroup_v1(kV1OnlyMountinfo));
    CHECK_FALSE(parse_cgroup2_mount_point("").has_value());
}

TEST_CASE("octal escapes in a mount point are decoded") {
    constexpr std::string_view text = "41 31 0:38 / /mnt/my\\040cgroups rw - cgroup2 none rw\n";
    CHECK(parse_cgroup2_mount_point(text) == "/mnt/my cgroups");
}

TEST_CASE("optional fields before the separator do not shift the fstype") {
    constexpr std::string_view text =
        "27 23 0:26 / /sys/fs/cgroup rw shared:9 master:2 - cgroup2 cgroup2 rw\n";
    CHECK(parse_cgroup2_mount_point(text) == "/sys/fs/cgroup");
}

TEST_CASE("our own cgroup is the 0:: line of /proc/self/cgroup") {
    CHECK(parse_own_cgroup("9:name=systemd:/\n4:memory:/x/y\n0::/\n") == "/");
    CHECK(parse_own_cgroup("0::/system.slice/edgevisord.service\n") ==
          "/system.slice/edgevisord.service");
    CHECK(parse_own_cgroup("0::/odd:name\n") == "/odd:name");
    CHECK_FALSE(parse_own_cgroup("4:memory:/\n1:cpu,cpuacct:/\n").has_value());
}

TEST_CASE("cpu.stat with and without the cpu controller") {
    auto core = parse_cpu_stat("usage_usec 1234\nuser_usec 1000\nsystem_usec 234\nnice_usec 0\n");
    CHECK(core.usage_usec == 1234);
    CHECK(core.user_usec == 1000);
    CHECK(core.system_usec == 234);
    CHECK(core.nr_throttled == 0);

    auto full = parse_cpu_stat(
        "usage_usec 5000000\nuser_usec 4900000\nsystem_usec 100000\ncore_sched.force_idle_usec 0\n"
        "nr_periods 100\nnr_throttled 75\nthrottled_usec 7500000\nnr_bursts 0\nburst_usec 0\n");
    CHECK(full.nr_periods == 100);
    CHECK(full.nr_throttled == 75);
    CHECK(full.throttled_usec == 7500000);
}

TEST_CASE("memory.events counters") {
    auto events =
        parse_memory_events("low 0\nhigh 12\nmax 40\noom 3\noom_kill 2\noom_group_kill 1\n");
    CHECK(events.high == 12);
    CHECK(events.max == 40);
    CHECK(events.oom == 3);
    CHECK(events.oom_kill == 2);
    CHECK(events.oom_group_kill == 1);
}

TEST_CASE("cgroup.events populated and frozen") {
    auto a = parse_cgroup_events("populated 1\nfrozen 0\n");
    CHECK(a.populated);
    CHECK_FALSE(a.frozen);
    auto b = parse_cgroup_events("populated 0\nfrozen 1\n");
    CHECK_FALSE(b.populated);
    CHECK(b.frozen);
}

TEST_CASE("io.stat lines per device") {
    auto io = parse_io_stat(
        "254:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"
        "7:1 rbytes=10 wbytes=0 rios=3 wios=0 dbytes=5 dios=1\n");
    REQUIRE(io.size() == 2);
    CHECK(io[0].major == 254);
    CHECK(io[0].minor == 0);
    CHECK(io[0].rbytes == 4096);
    CHECK(io[0].wbytes == 8192);
    CHECK(io[0].wios == 2);
    CHECK(io[1].major == 7);
    CHECK(io[1].minor == 1);
    CHECK(io[1].dbytes == 5);
    CHECK(parse_io_stat("").empty());
}

TEST_CASE("PSI lines, with and without the full line") {
    auto both = parse_pressure(
        "some avg10=1.50 avg60=0.25 avg300=0.00 total=123456\n"
        "full avg10=0.75 avg60=0.00 avg300=0.00 total=654\n");
    REQUIRE(both.has_value());
    CHECK(both->some.avg10 == Approx(1.5));
    CHECK(both->some.avg60 == Approx(0.25));
    CHECK(both->some.total_usec == 123456);
    REQUIRE(both->full.has_value());
    CHECK(both->full->avg10 == Approx(0.75));
    CHECK(both->full->total_usec == 654);

    auto some_only = parse_pressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=7\n");
    REQUIRE(some_only.has_value());
    CHECK_FALSE(some_only->full.has_value());
    CHECK_FALSE(parse_pressure("garbage\n").has_value());
}

TEST_CASE("single numbers and word lists") {
    CHECK(parse_u64_file("4096\n") == 4096u);
    CHECK_FALSE(parse_u64_file("max\n").has_value());
    CHECK(parse_word_list("cpuset cpu io memory pids\n") ==
          std::vector<std::string>{"cpuset", "cpu", "io", "memory", "pids"});
    CHECK(parse_word_list("\n").empty());
}
