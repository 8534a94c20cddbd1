// A child is born in its workload cgroup: by our own clone3(CLONE_INTO_CGROUP), and through the
// real Launcher given Cgroup::dir_fd() as LaunchRequest::cgroup_fd.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "cgroup_support.hpp"
#include "edgevisor/manifests/spec.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;
using namespace std::chrono_literals;

namespace {

std::string cgroup_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The path of a cgroup as /proc/<pid>/cgroup shows it (relative to the mount).
std::string relative(const isolation::CgroupTree& tree, const isolation::Cgroup& cgroup) {
    return cgroup.path().substr(tree.mount_point().size());
}

manifests::Workload sleeper(const std::string& name) {
    manifests::Workload w;
    w.metadata.name = name;
    w.spec.command = {"/bin/sleep", "1000"};
    w.spec.user.uid.id = 0;  // the parser's default; a hand-built spec must say it
    // Only what the placement needs: the pid namespace (so SIGTERM to its init is ignored).
    w.spec.isolation.namespaces = {manifests::Namespace::pid};
    return w;
}

// Launches `sleeper(name)` into the cgroup and checks that it is there, and only it.
isolation::Process launch_into(const isolation::CgroupTree& tree, const isolation::Cgroup& cgroup,
                               const std::string& name, isolation::LauncherOptions options = {}) {
    auto workload = sleeper(name);
    isolation::LaunchRequest request;
    request.workload = &workload;
    request.cgroup_fd = cgroup.dir_fd();
    isolation::Launcher launcher(options);
    auto process = launcher.launch(request);
    if (!process) FAIL("launch: " << process.error().describe());
    auto procs = cgroup.procs();
    REQUIRE(procs.has_value());
    CHECK(*procs == std::vector<pid_t>{process->pid});
    CHECK(cgroup_of(process->pid).find("0::" + relative(tree, cgroup) + "\n") != std::string::npos);
    return std::move(*process);
}

}  // namespace

TEST_CASE("clone3 with CLONE_INTO_CGROUP places the child in the workload cgroup") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("placed");
    REQUIRE(cgroup.has_value());
    auto child = spawn_into(cgroup->dir_fd(), [] { ::pause(); });
    auto procs = cgroup->procs();
    REQUIRE(procs.has_value());
    CHECK(*procs == std::vector<pid_t>{child.pid});
    CHECK(cgroup_of(child.pid).find("0::" + relative(tree, *cgroup) + "\n") != std::string::npos);
    auto outcome = isolation::stop(*cgroup, &child, {.signal = SIGTERM, .grace = 2s});
    REQUIRE(outcome.has_value());
    CHECK(outcome->exited_in_grace);
}

TEST_CASE("the Launcher starts a workload inside the cgroup given as cgroup_fd") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("launched");
    REQUIRE(cgroup.has_value());
    auto process = launch_into(tree, *cgroup, "launched");
    auto state = cgroup->state();
    REQUIRE(state.has_value());
    CHECK(state->populated);

    // The workload is pid 1 of its pid namespace, which ignores an unhandled SIGTERM: the
    // grace period passes and cgroup.kill ends it.
    auto outcome = isolation::stop(*cgroup, &process, {.signal = SIGTERM, .grace = 300ms});
    REQUIRE(outcome.has_value());
    CHECK_FALSE(outcome->exited_in_grace);
    CHECK(outcome->killed);
    auto status = isolation::wait_exit(process);
    REQUIRE(status.has_value());
    CHECK(WIFSIGNALED(*status));
    CHECK(WTERMSIG(*status) == SIGKILL);
    CHECK_FALSE(dir_exists(cgroup->path()));
}

TEST_CASE("the Launcher's fallback without CLONE_INTO_CGROUP also lands in the cgroup") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("fallback");
    REQUIRE(cgroup.has_value());
    auto process = launch_into(tree, *cgroup, "fallback", {.allow_clone_into_cgroup = false});
    REQUIRE(isolation::stop(*cgroup, &process, {.grace = 0ms}).has_value());
    REQUIRE(isolation::wait_exit(process).has_value());
}
