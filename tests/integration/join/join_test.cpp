// A process joined into a running workload sees what the workload's own process sees.
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>

#include "cgroup_support.hpp"
#include "join_support.hpp"
#include "launcher_support.hpp"
#include "skip.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;
using nlohmann::json;

namespace {

std::vector<std::string> lines_of(const std::string& path) {
    std::vector<std::string> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

json report_of(const JoinedOutput& joined) {
    INFO("stdout: " << joined.out << "\nstderr: " << joined.err);
    REQUIRE_FALSE(joined.failure.has_value());
    REQUIRE(WIFEXITED(joined.status));
    REQUIRE(WEXITSTATUS(joined.status) == 0);
    return json::parse(joined.out);
}

bool has_env(const json& report, const std::string& entry) {
    const auto& env = report["env"];
    return std::find(env.begin(), env.end(), entry) != env.end();
}

}  // namespace

TEST_CASE("a joined process sees the workload's hostname, namespaces, mounts, ids and privileges") {
    const bool pidfd_setns = GENERATE(true, false);
    INFO((pidfd_setns ? "setns through the pidfd" : "setns through /proc/<pid>/ns"));
    auto w = checker_workload({"sleep"});
    w.spec.isolation.hostname = "join-box";
    w.spec.user.uid = {1234, ""};
    w.spec.user.gid = manifests::IdRef{2345, ""};
    w.spec.env = {{"WORKLOAD_ENV", "from-the-manifest"}};
    w.spec.isolation.capabilities.add = {{10, "CAP_NET_BIND_SERVICE"}};
    RunningWorkload running(w);
    const pid_t main_pid = running.process().pid;

    auto r = report_of(join_and_collect(running, {kChecker, "report", "/tmp"},
                                        isolation::JoinOptions{pidfd_setns}));
    CHECK(r["hostname"] == "join-box");
    for (const char* ns : {"pid", "mnt", "ipc", "uts", "net", "cgroup", "user"}) {
        INFO(ns);
        CHECK(r["namespaces"][ns] == namespace_of(main_pid, ns));
    }
    CHECK(r["namespaces"]["pid"] != host_namespace("pid"));
    CHECK(r["pid"] > 1);  // a second process in the workload's pid namespace, pid 1 is the main
    CHECK(r["sid"] == r["pid"]);
    CHECK(has_mount_at(r, "/tmp", "tmpfs"));
    CHECK(r["paths"]["/tmp"]["writable"] == true);
    CHECK(r["mountinfo"].size() ==
          lines_of("/proc/" + std::to_string(main_pid) + "/mountinfo").size());
    CHECK(r["ids"]["uid"] == json({1234, 1234, 1234}));
    CHECK(r["ids"]["gid"] == json({2345, 2345, 2345}));
    CHECK(r["status"]["CapEff"] == "0000000000000400");
    CHECK(r["status"]["CapBnd"] == "0000000000000400");
    CHECK(r["status"]["NoNewPrivs"] == "1");
    CHECK(r["status"]["Seccomp"] == "2");
    CHECK(r["cwd"] == "/");
    CHECK(has_env(r, "WORKLOAD_ENV=from-the-manifest"));
}

TEST_CASE("a joined process enters the workload's user namespace with the workload's ids") {
    auto w = checker_workload({"sleep"});
    w.spec.isolation.namespaces.push_back(manifests::Namespace::user);
    w.spec.isolation.uid_map = {{0, 200000, 65536}};
    w.spec.isolation.gid_map = {{0, 200000, 65536}};
    w.spec.user.uid = {1000, ""};
    w.spec.user.gid = manifests::IdRef{1000, ""};
    RunningWorkload running(w);
    const pid_t main_pid = running.process().pid;

    auto r = report_of(join_and_collect(running, {kChecker, "report"}));
    CHECK(r["namespaces"]["user"] == namespace_of(main_pid, "user"));
    CHECK(r["namespaces"]["user"] != host_namespace("user"));
    CHECK(r["uid_map"] == json(lines_of("/proc/" + std::to_string(main_pid) + "/uid_map")));
    CHECK(r["ids"]["uid"] == json({1000, 1000, 1000}));  // inside; 201000 on the host
    CHECK(r["status"]["CapEff"] == "0000000000000000");
    CHECK(r["status"]["Seccomp"] == "2");
}

TEST_CASE("a joined process is born in the cgroup it is given") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("join-cgroup");
    REQUIRE(cgroup.has_value());
    RunningWorkload running(checker_workload({"sleep"}), cgroup->dir_fd());
    auto joiner = isolation::Joiner::prepare(running.workload());
    REQUIRE(joiner.has_value());
    isolation::JoinCommand command;
    command.argv = {kChecker, "sleep"};
    auto joined = joiner->spawn({running.process().pidfd.get(), cgroup->dir_fd()}, command);
    REQUIRE(joined.has_value());
    auto procs = cgroup->procs();
    REQUIRE(procs.has_value());
    CHECK(std::find(procs->begin(), procs->end(), joined->process.pid) != procs->end());
    CHECK(std::find(procs->begin(), procs->end(), running.process().pid) != procs->end());
    ::syscall(SYS_pidfd_send_signal, joined->process.pidfd.get(), SIGKILL, nullptr, 0);
    auto out = collect(*joined, "checker");
    CHECK(WIFSIGNALED(out.status));
    CHECK_FALSE(out.failure.has_value());
}

TEST_CASE("a joined command that cannot be executed is reported with its step") {
    RunningWorkload running(checker_workload({"sleep"}));
    auto out = join_and_collect(running, {"/no/such/probe"});
    REQUIRE(out.failure.has_value());
    CHECK(out.failure->step == "execve");
    CHECK(out.failure->code == ENOENT);
    CHECK(out.failure->describe() ==
          "checker: join failed at execve(/no/such/probe): No such file or directory");
    CHECK(WIFEXITED(out.status));
}

TEST_CASE("joining a workload that has exited fails with a reason") {
    require_root();
    auto w = checker_workload({"exit", "0"});
    isolation::LaunchRequest request;
    request.workload = &w;
    request.id_range = test_id_range(w);
    auto process = isolation::Launcher().launch(request);
    REQUIRE(process.has_value());
    REQUIRE(isolation::wait_exit(*process).has_value());
    auto joiner = isolation::Joiner::prepare(w);
    REQUIRE(joiner.has_value());
    isolation::JoinCommand command;
    command.argv = {kChecker, "report"};
    auto joined = joiner->spawn({process->pidfd.get(), -1}, command);
    REQUIRE_FALSE(joined.has_value());
    INFO(joined.error().describe());
    CHECK(joined.error().describe().starts_with("checker: join failed at setns"));
    CHECK(joined.error().code == ESRCH);
}

TEST_CASE("a relative command path is refused before anything is cloned") {
    auto joiner = isolation::Joiner::prepare(checker_workload({"sleep"}));
    REQUIRE(joiner.has_value());
    isolation::JoinCommand command;
    command.argv = {"probe.sh"};
    auto joined = joiner->spawn({-1, -1}, command);
    REQUIRE_FALSE(joined.has_value());
    CHECK(joined.error().describe() ==
          "checker: join failed at execve: argv[0] must be an absolute path: Invalid argument");
}
