// From manifest YAML to privilege plans: the manifests library's parser output is what the
// isolation layer compiles, for our examples and for a policy written here.
#include <linux/capability.h>
#include <seccomp.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "capabilities.hpp"
#include "edgevisor/manifests/manifests.hpp"
#include "seccomp.hpp"
#include "seccomp_policy.hpp"

using namespace edgevisor;
using namespace edgevisor::isolation;

namespace {

manifests::Workload parse_one(const std::string& yaml) {
    auto result = manifests::parse_text(yaml, "test.yaml");
    for (const auto& d : result.diagnostics) INFO(d.format());
    REQUIRE(result.ok());
    REQUIRE(result.workloads.size() == 1);
    return result.workloads.front();
}

}  // namespace

TEST_CASE("a custom policy and capabilities written in YAML compile as written") {
    const auto w = parse_one(R"(
apiVersion: edgevisor/v1
kind: Workload
metadata: {name: policy}
spec:
  command: [/bin/true]
  user: {uid: 1000, gid: 1000}
  isolation:
    capabilities: {add: [NET_BIND_SERVICE, CAP_NET_RAW]}
    seccomp:
      profile: custom
      defaultAction: {errno: EPERM}
      rules:
        - names: [read, write, exit_group]
          action: allow
        - names: [uname]
          action: kill-process
        - names: [socket]
          action: {errno: EACCES}
          args: [{index: 0, op: eq, value: 17}]
        - names: [clone]
          action: allow
          args: [{index: 0, op: masked_eq, value: 0x10000000, valueTwo: 0}]
)");
    const auto& iso = w.spec.isolation;
    auto plan = prepare_capabilities(iso, 1000);
    REQUIRE(plan.has_value());
    CHECK(plan->keep == ((1ULL << CAP_NET_BIND_SERVICE) | (1ULL << CAP_NET_RAW)));
    CHECK(plan->non_root);

    auto policy = seccomp_detail::custom_policy(iso.seccomp);
    REQUIRE(policy.has_value());
    auto pfc = seccomp_detail::export_pfc(*policy, SCMP_ARCH_X86_64);
    REQUIRE(pfc.has_value());
    CHECK(pfc->find("# default action\n  action ERRNO(1);") != std::string::npos);
    CHECK(pfc->find("KILL_PROCESS") != std::string::npos);
    CHECK(pfc->find("ERRNO(13)") != std::string::npos);
    CHECK(pfc->find("& 0x10000000 == 0") != std::string::npos);
    auto program = prepare_seccomp(iso.seccomp, iso.capabilities);
    REQUIRE(program.has_value());
    CHECK((*program)->warnings.empty());
}

TEST_CASE("every example manifest's privilege policy prepares") {
    const std::filesystem::path examples = std::filesystem::path(EDGEVISOR_SOURCE_DIR) / "examples";
    REQUIRE(std::filesystem::is_directory(examples));
    auto result = manifests::load_paths({examples});
    for (const auto& d : result.diagnostics) INFO(d.format());
    REQUIRE(result.ok());
    REQUIRE_FALSE(result.workloads.empty());
    for (const auto& w : result.workloads) {
        INFO(w.metadata.name);
        const auto& iso = w.spec.isolation;
        CHECK(prepare_capabilities(iso, 1000).has_value());
        auto program = prepare_seccomp(iso.seccomp, iso.capabilities);
        if (!program) FAIL(program.error().describe());
        CHECK((*program)->warnings.empty());
    }
}
