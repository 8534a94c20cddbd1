// What the launcher refuses, validation refuses first: for every refusal in the launcher's
// prepare_* code that a manifest alone decides, a manifest that `edgectl validate` (and the
// daemon) refuses with a rule id, and the same workload built in code past validation, which
// prepare_launch refuses at the named step. A new launcher refusal belongs in this table, and
// its rule in manifests/.
//
// Not in the table, because the manifest alone does not decide them: a user or group name
// missing from the host (user, group), a bind source missing on the host (bind_source), a
// capability newer than the running kernel (capabilities), a syscall name this libseccomp
// cannot resolve on any architecture (seccomp, for custom rules), declared fds (fds).
#include <catch2/catch.hpp>
#include <functional>
#include <string>

#include "child_plan.hpp"
#include "edgevisor/isolation/launcher.hpp"
#include "edgevisor/manifests/manifests.hpp"

using namespace edgevisor;
using isolation::Step;

namespace {

const std::string kHead =
    "apiVersion: edgevisor/v1\nkind: Workload\nmetadata: {name: lockstep}\nspec:\n";

struct Refusal {
    const char* what;
    std::string spec;                                 // what validation refuses
    std::string rule;                                 // with this rule id
    std::function<void(manifests::Workload&)> build;  // the same, past validation
    Step step;                                        // where the launcher refuses it
};

manifests::SeccompRule rule_with(std::vector<manifests::SeccompArg> args,
                                 std::vector<std::string> names = {"read"}) {
    manifests::SeccompRule rule;
    rule.names = std::move(names);
    rule.action.kind = manifests::SeccompActionKind::allow;
    rule.args = std::move(args);
    return rule;
}

void custom(manifests::Workload& w, manifests::SeccompRule rule) {
    w.spec.isolation.seccomp.profile = manifests::SeccompProfile::custom;
    w.spec.isolation.seccomp.rules = {std::move(rule)};
}

const std::string kCustom = "    seccomp: {profile: custom, rules: [";

std::vector<Refusal> refusals() {
    using manifests::Namespace;
    return {
        {"a root filesystem without the mount namespace",
         "  command: [/bin/true]\n  isolation:\n    namespaces: [pid]\n    network: host\n"
         "    rootfs: {path: /srv/root}\n",
         "namespace-required",
         [](auto& w) {
             w.spec.isolation.namespaces = {Namespace::pid};
             w.spec.isolation.network = manifests::NetworkMode::host;
             w.spec.isolation.rootfs.path = "/srv/root";
         },
         Step::rootfs},
        {"mounts without the mount namespace",
         "  command: [/bin/true]\n  isolation:\n    namespaces: [pid]\n    network: host\n"
         "    mounts: [{type: tmpfs, target: /tmp}]\n",
         "namespace-required",
         [](auto& w) {
             w.spec.isolation.namespaces = {Namespace::pid};
             w.spec.isolation.network = manifests::NetworkMode::host;
             manifests::Mount tmp;
             tmp.type = manifests::MountType::tmpfs;
             tmp.target = "/tmp";
             w.spec.isolation.mounts = {tmp};
         },
         Step::mount},
        {"a mount target with a '.' component",
         "  command: [/bin/true]\n  isolation:\n    mounts: [{type: tmpfs, target: /tmp/./x}]\n",
         "path-format",
         [](auto& w) {
             manifests::Mount tmp;
             tmp.type = manifests::MountType::tmpfs;
             tmp.target = "/tmp/./x";
             w.spec.isolation.mounts = {tmp};
         },
         Step::mount_target},
        {"a mount target with a trailing '/'",
         "  command: [/bin/true]\n  isolation:\n    mounts: [{type: tmpfs, target: /tmp/}]\n",
         "path-format",
         [](auto& w) {
             manifests::Mount tmp;
             tmp.type = manifests::MountType::tmpfs;
             tmp.target = "/tmp/";
             w.spec.isolation.mounts = {tmp};
         },
         Step::mount_target},
        {"an empty command", "  command: []\n", "command", [](auto& w) { w.spec.command.clear(); },
         Step::execve},
        {"an unknown rlimit", "  command: [/bin/true]\n  isolation: {rlimits: {bogus: 1}}\n",
         "unknown-key",
         [](auto& w) {
             w.spec.isolation.rlimits = {{"bogus", 1, 1}};
         },
         Step::rlimit},
        {"a custom seccomp rule without names",
         "  command: [/bin/true]\n  isolation:\n" + kCustom + "{names: [], action: allow}]}\n",
         "syscall-name", [](auto& w) { custom(w, rule_with({}, {})); }, Step::seccomp},
        {"a seccomp argument index above 5",
         "  command: [/bin/true]\n  isolation:\n" + kCustom +
             "{names: [read], action: allow, args: [{index: 6, op: eq, value: 0}]}]}\n",
         "out-of-range",
         [](auto& w) {
             custom(w, rule_with({{6, manifests::SeccompOp::eq}}));
         },
         Step::seccomp},
        {"a seccomp argument compared twice in one rule",
         "  command: [/bin/true]\n  isolation:\n" + kCustom +
             "{names: [read], action: allow, args: [{index: 0, op: eq, value: 0}, "
             "{index: 0, op: ne, value: 1}]}]}\n",
         "seccomp-arg",
         [](auto& w) {
             custom(w, rule_with({{0, manifests::SeccompOp::eq}, {0, manifests::SeccompOp::ne}}));
         },
         Step::seccomp},
        {"a seccomp errno above 4095",
         "  command: [/bin/true]\n  isolation:\n" + kCustom +
             "{names: [read], action: {errno: 5000}}]}\n",
         "out-of-range",
         [](auto& w) {
             auto rule = rule_with({});
             rule.action = {manifests::SeccompActionKind::errno_code, 5000};
             custom(w, rule);
         },
         Step::seccomp},
    };
}

bool has_rule(const manifests::LoadResult& result, const std::string& rule) {
    for (const auto& d : result.diagnostics)
        if (d.rule == rule) return true;
    return false;
}

}  // namespace

TEST_CASE("lockstep: every manifest-decidable launcher refusal is a validation rule first") {
    auto base = manifests::parse_text(kHead + "  command: [/bin/true]\n", "base.yaml");
    REQUIRE(base.ok());
    {
        isolation::LaunchRequest request;
        request.workload = &base.workloads.front();
        request.id_range = isolation::IdRange{524288, 65536, 524288, 1879048192};
        auto plan = isolation::prepare_launch(request, {});
        INFO((plan ? std::string("ok") : plan.error().describe()));
        REQUIRE(plan.has_value());  // the base itself is launchable
    }
    for (const auto& refusal : refusals()) {
        INFO(refusal.what);
        auto validated = manifests::parse_text(kHead + refusal.spec, "refused.yaml");
        for (const auto& d : validated.diagnostics) UNSCOPED_INFO(d.format());
        CHECK(has_rule(validated, refusal.rule));
        CHECK(validated.workloads.empty());

        manifests::Workload workload = base.workloads.front();
        refusal.build(workload);
        isolation::LaunchRequest request;
        request.workload = &workload;
        request.id_range = isolation::IdRange{524288, 65536, 524288, 1879048192};
        auto plan = isolation::prepare_launch(request, {});
        REQUIRE_FALSE(plan.has_value());
        INFO(plan.error().describe());
        CHECK(plan.error().step == isolation::step_name(refusal.step));
    }
}
