// The launcher's parent-side preparation and its report record, without a kernel: clone
// flags, hostname, env and argv, rlimit names, fd layout, and the report pipe's framing.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "child_report.hpp"
#include "child_step.hpp"
#include "fds.hpp"
#include "id_maps.hpp"
#include "identity.hpp"
#include "namespaces.hpp"

using namespace edgevisor;
using namespace edgevisor::isolation;

namespace {

manifests::Workload workload() {
    manifests::Workload w;
    w.metadata.name = "sensor";
    w.spec.command = {"/usr/bin/sensor", "--port", "1"};
    return w;
}

std::vector<std::string> env_of(const IdentityPlan& plan) {
    std::vector<std::string> out;
    for (char** e = const_cast<char**>(plan.envp.data()); *e != nullptr; ++e) out.emplace_back(*e);
    return out;
}

}  // namespace

constexpr IdRange kRange{524288, 65536, 524288, 1879048192};

TEST_CASE("namespaces: defaults give every namespace, the user namespace owns net, uts, ipc") {
    auto plan = prepare_namespaces(workload(), kRange, {});
    REQUIRE(plan);
    // The clone makes what the host's user namespace owns: the mount namespace above all.
    CHECK(plan->clone_flags == (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWCGROUP));
    CHECK(plan->user_owned_flags == (CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET));
    CHECK(plan->hostname == "sensor");
    CHECK(plan->loopback_up);
    CHECK(plan->user);
    CHECK(plan->uid_map == "0 524288 65536\n");
    CHECK(plan->gid_map == "0 524288 65536\n");
    CHECK(plan->root_uid == 524288);
    CHECK(workload_namespace_flags(workload()) ==
          (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWIPC | CLONE_NEWUTS |
           CLONE_NEWNET | CLONE_NEWUSER));
}

TEST_CASE("namespaces: without user, the clone makes every namespace") {
    auto w = workload();
    std::erase(w.spec.isolation.namespaces, manifests::Namespace::user);
    auto plan = prepare_namespaces(w, std::nullopt, {});
    REQUIRE(plan);
    CHECK(plan->clone_flags == (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS |
                                CLONE_NEWNET | CLONE_NEWCGROUP));
    CHECK(plan->user_owned_flags == 0);
    CHECK_FALSE(plan->user);
}

TEST_CASE("namespaces: the manifest's maps exactly as given, the range for the one left out") {
    auto w = workload();
    w.spec.isolation.network = manifests::NetworkMode::host;
    w.spec.isolation.namespaces = {manifests::Namespace::mount, manifests::Namespace::user};
    w.spec.isolation.uid_map = {{0, 100000, 65536}, {65536, 5000, 1}};
    auto plan = prepare_namespaces(w, kRange, {});
    REQUIRE(plan);
    CHECK(plan->clone_flags == CLONE_NEWNS);
    CHECK(plan->user_owned_flags == 0);
    CHECK(plan->hostname.empty());
    CHECK_FALSE(plan->loopback_up);
    CHECK(plan->uid_map == "0 100000 65536\n65536 5000 1\n");
    CHECK(plan->root_uid == 100000);
    CHECK(plan->gid_map == "0 524288 65536\n");
}

TEST_CASE("namespaces: a user namespace without maps needs a range") {
    auto plan = prepare_namespaces(workload(), std::nullopt, {});
    REQUIRE_FALSE(plan);
    CHECK(plan.error().describe() ==
          "user_namespace: no host id range given for the workload (IdRangePool)");
}

TEST_CASE("namespaces: named ids map through 1:1 around and beyond the range, never id 0") {
    auto map = range_map(kRange, {1000, 0, 20, 1000, 70000}, "gid");
    REQUIRE(map);
    CHECK(*map ==
          "0 524288 20\n20 20 1\n21 524309 979\n1000 1000 1\n1001 525289 64535\n"
          "70000 70000 1\n");
    CHECK(*range_map(kRange, {0}, "uid") == "0 524288 65536\n");
    CHECK(*range_map(kRange, {65535}, "uid") == "0 524288 65535\n65535 65535 1\n");
    auto inside_pool = range_map(kRange, {600000}, "uid");
    REQUIRE_FALSE(inside_pool);
    CHECK(inside_pool.error().message.starts_with(
        "user_namespace(uid 600000): a named host id inside the node's id pool"));
    std::vector<std::uint32_t> many;
    for (std::uint32_t id = 1; id <= 400; ++id) many.push_back(id * 2);
    CHECK(range_map(kRange, many, "gid").error().message ==
          "user_namespace(gid): 400 named ids need more map lines than the kernel's 340");
}

TEST_CASE("namespaces: a rootfs without the mount namespace is refused") {
    auto w = workload();
    w.spec.isolation.namespaces = {manifests::Namespace::pid};
    w.spec.isolation.rootfs.path = "/srv/root";
    auto plan = prepare_namespaces(w, std::nullopt, {});
    REQUIRE_FALSE(plan);
    CHECK(plan.error().step == "rootfs");
}

TEST_CASE("identity: argv gets the extra args, env is the manifest's plus PATH and HOME") {
    auto w = workload();
    w.spec.env = {{"LOG_LEVEL", "debug"}, {"HOME", "/data"}};
    auto plan = prepare_identity(w, {"--verbose"});
    REQUIRE(plan);
    CHECK(plan->argv_storage ==
          std::vector<std::string>{"/usr/bin/sensor", "--port", "1", "--verbose"});
    CHECK(plan->argv.back() == nullptr);
    CHECK(env_of(*plan) == std::vector<std::string>{"HOME=/data", "LOG_LEVEL=debug",
                                                    std::string("PATH=") + kDefaultPath});
    CHECK(plan->uid == 0);
    CHECK(plan->gid == 0);
    CHECK(plan->groups.empty());
}

TEST_CASE("identity: names resolve through the host's passwd and group, unknown ones are errors") {
    auto w = workload();
    w.spec.user.uid = {std::nullopt, "root"};
    w.spec.user.groups = {{std::nullopt, "root"}, {42, ""}};
    auto plan = prepare_identity(w, {});
    REQUIRE(plan);
    CHECK(plan->uid_detail == "root(0)");
    CHECK(plan->groups == std::vector<gid_t>{0, 42});
    w.spec.user.uid = {std::nullopt, "edgevisor-nobody-here"};
    auto bad = prepare_identity(w, {});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().describe() ==
          "user(edgevisor-nobody-here): no such user in the host's /etc/passwd");
}

TEST_CASE("identity: rlimit names map to the kernel's, unlimited is RLIM_INFINITY") {
    auto w = workload();
    w.spec.isolation.rlimits = {{"nofile", 64, 128}, {"core", UINT64_MAX, UINT64_MAX}};
    auto plan = prepare_identity(w, {});
    REQUIRE(plan);
    REQUIRE(plan->rlimits.size() == 2);
    CHECK(plan->rlimits[0].resource == RLIMIT_NOFILE);
    CHECK(plan->rlimits[0].limit.rlim_cur == 64);
    CHECK(plan->rlimits[1].limit.rlim_max == RLIM_INFINITY);
    w.spec.isolation.rlimits = {{"bogus", 1, 1}};
    auto bad = prepare_identity(w, {});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().step == "rlimit");
}

TEST_CASE("fds: stdio then pass_fds, the parking place is above every fd involved") {
    LaunchRequest request;
    request.stdout_fd = 1;
    request.pass_fds = {2, 0};
    auto plan = prepare_fds(request);
    REQUIRE(plan);
    REQUIRE(plan->sources.size() == 5);
    CHECK(plan->sources[1] == 1);
    CHECK(plan->sources[3] == 2);
    CHECK(plan->sources[4] == 0);
    CHECK(plan->high >= 5);
    CHECK(plan->scratch.size() == 5);
}

TEST_CASE("report pipe: a record round-trips, EOF means exec succeeded") {
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    child_report(p[1], Step::pivot_root, ENOENT, "/srv/rootfs");
    ::close(p[1]);
    auto report = read_child_report(p[0]);
    ::close(p[0]);
    REQUIRE(report);
    REQUIRE(report->has_value());
    CHECK((*report)->step == "pivot_root");
    CHECK((*report)->code == ENOENT);
    CHECK((*report)->describe() == "pivot_root(/srv/rootfs): No such file or directory");

    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    ::close(p[1]);
    auto eof = read_child_report(p[0]);
    ::close(p[0]);
    REQUIRE(eof);
    CHECK_FALSE(eof->has_value());
}

TEST_CASE("report pipe: a truncated record is an error, not a success") {
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    REQUIRE(::write(p[1], "abc", 3) == 3);
    ::close(p[1]);
    auto report = read_child_report(p[0]);
    ::close(p[0]);
    REQUIRE_FALSE(report);
    CHECK(report.error().step == "child_report");
}

TEST_CASE("fd_path formats without allocating") {
    char buf[32];
    CHECK(std::string(fd_path(buf, 0)) == "/proc/self/fd/0");
    CHECK(std::string(fd_path(buf, 1234567)) == "/proc/self/fd/1234567");
}
