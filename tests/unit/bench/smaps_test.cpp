#include <catch2/catch.hpp>
#include <string>

#include "smaps.hpp"

using edgevisor::bench::pss_breakdown;

namespace {

// One mapping of /proc/PID/smaps with just the fields the breakdown reads (and one it skips).
std::string mapping(const std::string& header, long pss) {
    return header + "\nSize:               8 kB\nPss:             " + std::to_string(pss) +
           " kB\nVmFlags: rd wr mr mw me ac sd\n";
}

}  // namespace

TEST_CASE("the PSS breakdown sums mappings by library, heap, stacks and arenas", "[bench]") {
    const std::string smaps =
        mapping("55d4c0a00000-55d4c0a21000 r-xp 00000000 08:01 1234       /usr/sbin/edgevisord",
                300) +
        mapping("55d4c1000000-55d4c1100000 rw-p 00000000 00:00 0          [heap]", 900) +
        mapping("7f0000000000-7f0000021000 rw-p 00000000 00:00 0 ", 120) +  // an arena
        mapping("7f0000021000-7f0004000000 ---p 00000000 00:00 0 ", 0) +
        mapping("7f1000000000-7f1000001000 ---p 00000000 00:00 0 ", 0) +  // a stack's guard
        mapping("7f1000001000-7f1000801000 rw-p 00000000 00:00 0 ", 16) +
        mapping("7f1000801000-7f1000901000 rw-p 00000000 00:00 0 ", 40) +  // a big malloc
        mapping(
            "7f2000000000-7f2000100000 r-xp 00000000 08:01 99 "
            "/usr/lib/x86_64-linux-gnu/libcrypto.so.3",
            700) +
        mapping(
            "7f2000100000-7f2000110000 rw-p 00100000 08:01 99 "
            "/usr/lib/x86_64-linux-gnu/libcrypto.so.3",
            60) +
        mapping("7f3000000000-7f3000001000 rw-p 00000000 08:01 5 /tmp/a file (deleted)", 4) +
        mapping("7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0          [stack]", 24);
    const auto b = pss_breakdown(smaps);
    CHECK(b.total_kib == 300 + 900 + 120 + 16 + 40 + 700 + 60 + 4 + 24);
    CHECK(b.kib.at("edgevisord") == 300);
    CHECK(b.kib.at("[heap]") == 900);
    CHECK(b.kib.at("malloc arenas") == 120);
    CHECK(b.kib.at("thread stacks") == 16);
    CHECK(b.kib.at("other anonymous") == 40);
    CHECK(b.kib.at("libcrypto.so.3") == 760);
    CHECK(b.count.at("libcrypto.so.3") == 2);
    CHECK(b.parts.at("libcrypto.so.3").at("r-xp") == 700);
    CHECK(b.parts.at("libcrypto.so.3").at("rw-p") == 60);
    CHECK_FALSE(b.parts.contains("[heap]"));
    CHECK(b.kib.at("a file (deleted)") == 4);
    CHECK(b.kib.at("[stack]") == 24);
    CHECK(b.count.at("guards and reserves") == 2);
}
