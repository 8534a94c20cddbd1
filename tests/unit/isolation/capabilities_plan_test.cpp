// Capability plans computed in the parent, checked without changing the process.
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/capability.h>

#include <catch2/catch.hpp>
#include <cerrno>

#include "capabilities.hpp"

using namespace edgevisor;
using namespace edgevisor::isolation;

namespace {

manifests::Isolation isolation_with(std::vector<manifests::Capability> add) {
    manifests::Isolation isolation;
    isolation.capabilities.add = std::move(add);
    return isolation;
}

}  // namespace

TEST_CASE("capability plan: default keeps nothing, no_new_privs on") {
    auto plan = prepare_capabilities(manifests::Isolation{}, 0);
    REQUIRE(plan.has_value());
    CHECK(plan->keep == 0);
    CHECK(plan->no_new_privileges);
    CHECK_FALSE(plan->non_root);
    CHECK(plan->last_cap == static_cast<int>(cap_max_bits()) - 1);
    CHECK(plan->last_cap >= CAP_AUDIT_READ);
}

TEST_CASE("capability plan: add gives exactly those bits") {
    auto isolation = isolation_with(
        {{CAP_NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE"}, {CAP_NET_RAW, "CAP_NET_RAW"}});
    auto root = prepare_capabilities(isolation, 0);
    REQUIRE(root.has_value());
    CHECK(root->keep == ((1ULL << CAP_NET_BIND_SERVICE) | (1ULL << CAP_NET_RAW)));
    CHECK_FALSE(root->non_root);

    auto user = prepare_capabilities(isolation, 1000);
    REQUIRE(user.has_value());
    CHECK(user->keep == root->keep);
    CHECK(user->non_root);
}

TEST_CASE("capability plan: securebits are locked, NOROOT and NO_SETUID_FIXUP for non-root") {
    const unsigned locks =
        SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED;
    auto root = prepare_capabilities(manifests::Isolation{}, 0);
    auto user = prepare_capabilities(manifests::Isolation{}, 65534);
    REQUIRE(root.has_value());
    REQUIRE(user.has_value());
    CHECK(root->securebits == locks);
    CHECK(user->securebits == (locks | SECBIT_NOROOT | SECBIT_NO_SETUID_FIXUP));
    CHECK((user->securebits & SECBIT_KEEP_CAPS) == 0);
}

TEST_CASE("capability plan: a capability the running kernel lacks is an error with its name") {
    const int beyond = static_cast<int>(cap_max_bits());
    auto plan = prepare_capabilities(isolation_with({{beyond, "CAP_FROM_THE_FUTURE"}}), 0);
    REQUIRE_FALSE(plan.has_value());
    CHECK(plan.error().step == "capabilities");
    CHECK(plan.error().message.find("CAP_FROM_THE_FUTURE") != std::string::npos);
    CHECK(plan.error().message.find("not known to the running kernel") != std::string::npos);
}

TEST_CASE("capability plan: noNewPrivileges off with a filter retains CAP_SYS_ADMIN, only") {
    manifests::Isolation isolation;
    isolation.no_new_privileges = false;
    auto retained = prepare_capabilities(isolation, 1000);
    REQUIRE(retained.has_value());
    CHECK(retained->retained == std::uint64_t{1} << CAP_SYS_ADMIN);
    CHECK(retained->keep == 0);  // not granted to the workload

    isolation.seccomp.profile = manifests::SeccompProfile::unconfined;
    auto unconfined = prepare_capabilities(isolation, 1000);
    REQUIRE(unconfined.has_value());
    CHECK_FALSE(unconfined->no_new_privileges);
    CHECK(unconfined->retained == 0);

    isolation.seccomp.profile = manifests::SeccompProfile::default_profile;
    isolation.capabilities.add = {{CAP_SYS_ADMIN, "CAP_SYS_ADMIN"}};
    auto granted = prepare_capabilities(isolation, 1000);
    REQUIRE(granted.has_value());
    CHECK(granted->retained == 0);  // the workload has it anyway
}
