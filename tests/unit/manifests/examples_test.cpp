// Every manifest in examples/ validates, and together they use every field.
#include <catch2/catch.hpp>

#include "manifest_test_support.hpp"

using namespace edgevisor::manifests;
using edgevisor::testing::messages;

namespace {

// examples/ is what the demo runs; examples/reference/ adds a manifest with every field set.
const std::filesystem::path kExamples = std::filesystem::path(EDGEVISOR_SOURCE_DIR) / "examples";
const std::filesystem::path kReference = kExamples / "reference";

}  // namespace

TEST_CASE("examples/ validates without a single diagnostic") {
    auto result = load_paths({kExamples});
    INFO(messages(result));
    CHECK(result.ok());
    CHECK(result.files >= 3);
    CHECK(result.workloads.size() >= 4);
}

TEST_CASE("examples/reference/ validates too") {
    auto result = load_paths({kExamples, kReference});
    INFO(messages(result));
    CHECK(result.ok());
}

TEST_CASE("examples/ and its reference together show every kind of field") {
    auto result = load_paths({kExamples, kReference});
    REQUIRE(result.ok());
    bool exec = false, tcp = false, http = false, tmpfs = false, bind = false, custom = false,
         user_ns = false, rlimit = false, cpuset = false, io_max = false, healthy_dep = false,
         caps = false, labels = false, groups = false;
    for (const Workload& w : result.workloads) {
        const WorkloadSpec& s = w.spec;
        labels |= !w.metadata.labels.empty();
        groups |= !s.user.groups.empty();
        for (const auto& probe : {s.health.liveness, s.health.readiness}) {
            if (!probe) continue;
            exec |= probe->kind == ProbeKind::exec;
            tcp |= probe->kind == ProbeKind::tcp;
            http |= probe->kind == ProbeKind::http;
        }
        for (const Mount& m : s.isolation.mounts) {
            tmpfs |= m.type == MountType::tmpfs;
            bind |= m.type == MountType::bind;
        }
        custom |= s.isolation.seccomp.profile == SeccompProfile::custom;
        user_ns |= !s.isolation.uid_map.empty();
        rlimit |= !s.isolation.rlimits.empty();
        cpuset |= s.resources.cpuset_cpus.has_value();
        io_max |= !s.resources.io.max.empty();
        caps |= !s.isolation.capabilities.add.empty();
        for (const Dependency& d : s.depends_on)
            healthy_dep |= d.condition == DependencyCondition::healthy;
    }
    CHECK(exec);
    CHECK(tcp);
    CHECK(http);
    CHECK(tmpfs);
    CHECK(bind);
    CHECK(custom);
    CHECK(user_ns);
    CHECK(rlimit);
    CHECK(cpuset);
    CHECK(io_max);
    CHECK(healthy_dep);
    CHECK(caps);
    CHECK(labels);
    CHECK(groups);
}

TEST_CASE("example commands exist on this host, so the demo can run them") {
    auto result = load_paths({kExamples});
    REQUIRE(result.ok());
    for (const Workload& w : result.workloads) {
        INFO(w.metadata.name);
        REQUIRE_FALSE(w.spec.command.empty());
        CHECK(std::filesystem::exists(w.spec.command[0]));
        for (const Mount& m : w.spec.isolation.mounts) {
            if (m.type == MountType::bind) CHECK(std::filesystem::exists(m.source));
            // Nothing can be created in a read-only host root: targets must exist already
            // (the launcher builds /dev afresh, so targets there are made for us).
            if (w.spec.isolation.rootfs.path == "/" && w.spec.isolation.rootfs.read_only &&
                !m.target.starts_with("/dev/"))
                CHECK(std::filesystem::exists(m.target));
        }
    }
}
