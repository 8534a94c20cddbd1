// Stopping a workload leaves nothing behind, daemonised grandchildren included (cgroup.kill on
// a real kernel, inside the test VM).
#include <sys/prctl.h>
#include <sys/wait.h>

#include <csignal>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "vm_support.hpp"

namespace edgevisor::vmtest {
namespace {

std::vector<pid_t> daemon_pids(const std::string& output) {
    std::vector<pid_t> pids;
    std::istringstream in(output);
    std::string word;
    pid_t pid = 0;
    while (in >> word >> pid) {
        if (word == "daemon") pids.push_back(pid);
    }
    return pids;
}

// Starts three daemons that outlive their main process, stops the workload and checks that
// each died of SIGKILL and the cgroup is gone.
void check_stop_kills_daemons(const isolation::CgroupOptions& options) {
    // Orphans re-parent to us instead of the guest's init, so we can reap them and see how
    // they died. The workload gets no pid namespace: otherwise the main process exiting
    // would take the daemons with it (pid namespace teardown), proving nothing of the cgroup.
    REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    auto forker = manifest(R"(
metadata: {name: daemons}
spec:
  command: ["@WORKLOAD@", daemonize, "3"]
  isolation: {namespaces: [mount, ipc, uts, net, cgroup]}
)");
    auto tree = open_tree(options);
    auto cgroup = cgroup_for(tree, forker);
    const std::string path = cgroup.path();
    OutputPipe output;
    auto process = start(cgroup, forker, output.write_end.get());
    output.write_end.reset();
    auto daemons = daemon_pids(output.read_all(30s));
    REQUIRE(daemons.size() == 3);
    CHECK(must(isolation::wait_exit(process), "wait for the main process") == 0);

    // The main process is gone, its daemons are not: only the cgroup still knows them.
    CHECK(must(cgroup.state(), "read cgroup.events").populated);
    auto procs = must(cgroup.procs(), "read cgroup.procs");
    for (pid_t pid : daemons) {
        CHECK(std::find(procs.begin(), procs.end(), pid) != procs.end());
    }

    isolation::StopOptions stop_options;
    stop_options.grace = 100ms;
    auto outcome = must(isolation::stop(cgroup, nullptr, stop_options), "stop the workload");
    CHECK(outcome.killed);
    for (pid_t pid : daemons) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        INFO("daemon " << pid << " wait status " << status);
        CHECK(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGKILL);
    }
    CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("cgroup.kill leaves nothing behind, daemonised grandchildren included") {
    require_vm();
    check_stop_kills_daemons({});
}

TEST_CASE("stop without cgroup.kill (Linux < 5.14: freeze, kill each, thaw) leaves nothing") {
    require_vm();
    isolation::CgroupOptions options;
    options.allow_cgroup_kill = false;
    check_stop_kills_daemons(options);
}

TEST_CASE("stop: a main process that exits on SIGTERM needs no kill") {
    require_vm();
    // No pid namespace: its init (our main process) would ignore SIGTERM.
    auto pauser = manifest(R"(
metadata: {name: polite}
spec:
  command: ["@WORKLOAD@", pause]
  isolation: {namespaces: [mount, ipc, uts, net, cgroup]}
)");
    auto tree = open_tree();
    auto cgroup = cgroup_for(tree, pauser);
    auto process = start(cgroup, pauser);
    REQUIRE(eventually([&] { return must(cgroup.state(), "read cgroup.events").populated; }, 5s));

    auto outcome = must(isolation::stop(cgroup, &process, {}), "stop the workload");
    CHECK(outcome.exited_in_grace);
    CHECK_FALSE(outcome.killed);
    int status = must(isolation::wait_exit(process), "reap the main process");
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGTERM);
}

}  // namespace
}  // namespace edgevisor::vmtest
