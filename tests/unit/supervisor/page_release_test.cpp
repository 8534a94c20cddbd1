// Which mappings release_clean_pages() advises: the lines of /proc/PID/maps.
#include <catch2/catch.hpp>

#include "edgevisor/page_release.hpp"

using edgevisor::releasable_mapping;

namespace {

bool releasable(std::string_view line) {
    std::uintptr_t start = 0, end = 0;
    return releasable_mapping(line, start, end);
}

}  // namespace

TEST_CASE("page release: private read-only file mappings, nothing else") {
    std::uintptr_t start = 0, end = 0;
    // Addresses that fit 32 bits (armhf runs this test too), then a 64-bit one where it fits.
    REQUIRE(releasable_mapping(
        "00400000-0069b000 r-xp 00040000 fe:00 1311234    /usr/sbin/edgevisord", start, end));
    CHECK(start == 0x00400000);
    CHECK(end == 0x0069b000);
    if constexpr (sizeof(std::uintptr_t) == 8) {
        REQUIRE(releasable_mapping("55d0c0a00000-55d0c0c9b000 r-xp 00040000 fe:00 1 /bin/x", start,
                                   end));
        CHECK(end - start == 0x29b000);
    }
    CHECK(
        releasable("b6f00000-b6f22000 r--p 00000000 fe:00 42 /usr/lib/x86_64-linux-gnu/"
                   "libc.so.6"));
    CHECK(releasable("b6f00000-b6f22000 r--p 00000000 fe:00 42 /opt/my app/lib x.so"));
    // Written private pages are anonymous; shared mappings belong to others as well.
    CHECK_FALSE(releasable("b6f00000-b6f22000 rw-p 00000000 fe:00 42 /usr/lib/libc.so.6"));
    CHECK_FALSE(releasable("b6f00000-b6f22000 r--s 00000000 fe:00 42 /dev/shm/x"));
    // Anonymous memory, the heap, the stack, the vdso.
    CHECK_FALSE(releasable("b6f00000-b6f22000 r--p 00000000 00:00 0 "));
    CHECK_FALSE(releasable("00800000-00900000 rw-p 00000000 00:00 0    [heap]"));
    CHECK_FALSE(releasable("bef00000-bef02000 r-xp 00000000 00:00 0    [vdso]"));
    CHECK_FALSE(releasable("bef00000-bef02000 ---p 00000000 00:00 0"));
}

TEST_CASE("page release: a malformed line is never advised") {
    CHECK_FALSE(releasable(""));
    CHECK_FALSE(releasable("garbage"));
    CHECK_FALSE(releasable("zz-10 r-xp 0 fe:00 1 /bin/x"));
    CHECK_FALSE(releasable("2000-1000 r-xp 0 fe:00 1 /bin/x"));  // end before start
    CHECK_FALSE(releasable("1000-2000 r-x 0 fe:00 1 /bin/x"));
}
