#include <linux/capability.h>
#include <catch2/catch.hpp>

#include "edgevisor/manifests/capability_names.hpp"

using namespace edgevisor::manifests;

TEST_CASE("capability names cover the kernel headers' 0..CAP_LAST_CAP, both ways") {
    CHECK(kLastCapability == CAP_LAST_CAP);
    REQUIRE(capability_names().size() == static_cast<std::size_t>(kLastCapability) + 1);
    for (int n = 0; n <= kLastCapability; ++n) {
        auto name = capability_name(n);
        REQUIRE(name);
        CHECK(capability_number(*name) == n);
        CHECK(capability_number(name->substr(4)) == n);
    }
    CHECK(capability_number("CAP_NET_BIND_SERVICE") == CAP_NET_BIND_SERVICE);
    CHECK(capability_number("SYS_ADMIN") == CAP_SYS_ADMIN);
    CHECK(capability_number("CHECKPOINT_RESTORE") == CAP_CHECKPOINT_RESTORE);
    CHECK(capability_name(CAP_SETFCAP) == "CAP_SETFCAP");
}

TEST_CASE("capability names are exact: no other case, no ALL, nothing out of range") {
    CHECK_FALSE(capability_number("net_bind_service"));
    CHECK_FALSE(capability_number("Cap_Chown"));
    CHECK_FALSE(capability_number("ALL"));
    CHECK_FALSE(capability_number("CAP_"));
    CHECK_FALSE(capability_number(""));
    CHECK_FALSE(capability_name(-1));
    CHECK_FALSE(capability_name(kLastCapability + 1));
}
