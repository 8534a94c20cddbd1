// `edgectl run` end to end with its cgroup: the missing-controller error (exit 125) and the
// --allow-missing-controllers flag, and nothing of the workload surviving edgectl's exit.
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <charconv>
#include <filesystem>
#include <fstream>

#include "cgroup_support.hpp"
#include "skip.hpp"

using namespace edgevisor::testing;

namespace {

struct Run {
    int code = -1;
    std::string out;  // stdout and stderr
};

Run edgectl_run(std::vector<std::string> args) {
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(p[1], 1);
        ::dup2(p[1], 2);
        std::vector<char*> argv{const_cast<char*>(EDGEVISOR_EDGECTL), const_cast<char*>("run")};
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(p[1]);
    Run run;
    char buf[4096];
    for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;)
        run.out.append(buf, static_cast<std::size_t>(n));
    ::close(p[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    run.code = WEXITSTATUS(status);
    return run;
}

// A manifest in a temporary file, removed at the end of the scope.
struct Manifest {
    std::filesystem::path path;
    explicit Manifest(const std::string& spec) {
        path = std::filesystem::temp_directory_path() /
               ("edgevisor-cgroup-run-" + std::to_string(::getpid()) + ".yaml");
        std::ofstream(path) << "apiVersion: edgevisor/v1\nkind: Workload\nmetadata:\n  name: "
                               "cgroup-run-"
                            << ::getpid() << "\nspec:\n"
                            << spec;
    }
    ~Manifest() { std::filesystem::remove(path); }
};

// No pid namespace on purpose: its end would kill the daemon and prove nothing about cgroups.
const std::string kDaemonising =
    "  command: [/bin/sh, -c, 'setsid /bin/sleep 1000 </dev/null >/dev/null 2>&1 & echo $!']\n"
    "  isolation: {namespaces: [net]}\n";

}  // namespace

TEST_CASE("edgectl run: a limit without its controller fails with exit 125 and says why") {
    require_root();
    auto tree = open_test_tree();
    auto workloads = tree.create_workload("probe");
    REQUIRE(workloads.has_value());
    auto controllers = workloads->controllers();
    REQUIRE(controllers.has_value());
    if (std::find(controllers->begin(), controllers->end(), "memory") != controllers->end())
        skip("the memory controller is available here");
    Manifest m(kDaemonising + "  resources: {memory: {max: 64Mi}}\n");
    auto run = edgectl_run({m.path.string()});
    CHECK(run.code == 125);
    CHECK(run.out.find("memory.max requested but the memory controller is not available in " +
                       tree.mount_point()) != std::string::npos);
    CHECK(run.out.find("--allow-missing-controllers") != std::string::npos);
}

TEST_CASE("edgectl run: nothing the workload daemonised survives edgectl's exit") {
    require_root();
    // The orphaned daemon is re-parented to us, so we can tell killed from still running.
    REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    Manifest m(kDaemonising + "  resources: {memory: {max: 64Mi}}\n");
    auto run = edgectl_run({"--allow-missing-controllers", m.path.string()});
    INFO(run.out);
    REQUIRE(run.code == 0);
    pid_t daemon = 0;
    auto line = run.out.substr(run.out.rfind('\n', run.out.size() - 2) + 1);
    REQUIRE(std::from_chars(line.data(), line.data() + line.size(), daemon).ec == std::errc());
    // Killed by the time edgectl returned; the zombie may lag cgroup's populated 0 by an
    // instant, so allow that (not the 1000 s the sleep would need).
    edgevisor::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, daemon, 0)));
    REQUIRE(pidfd.valid());
    REQUIRE(wait_readable(pidfd.get(), std::chrono::seconds(2)));
    int status = 0;
    REQUIRE(::waitpid(daemon, &status, 0) == daemon);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
    CHECK(run.out.find("warning") != std::string::npos);
    auto mount = edgevisor::isolation::discover_cgroup_mount();
    REQUIRE(mount.has_value());
    CHECK_FALSE(dir_exists(mount->mount_point + "/edgevisor/workloads/cgroup-run-" +
                           std::to_string(::getpid())));
}

TEST_CASE("edgectl run --allow-missing-controllers: one warning line for the workload") {
    require_root();
    auto tree = open_test_tree();
    auto probe = tree.create_workload("probe");
    REQUIRE(probe.has_value());
    auto controllers = probe->controllers();
    REQUIRE(controllers.has_value());
    if (!controllers->empty()) skip("this cgroup has controllers; the line would list fewer");
    Manifest m(
        "  command: [/bin/true]\n  isolation: {namespaces: [net]}\n"
        "  resources: {cpu: {max: \"0.5\", weight: 50}, memory: {max: 64Mi, high: 48Mi},\n"
        "              pids: {max: 16}, io: {weight: 50}, cpuset: \"0\"}\n");
    auto run = edgectl_run({"--allow-missing-controllers", m.path.string()});
    INFO(run.out);
    REQUIRE(run.code == 0);
    std::size_t lines = 0;
    for (std::size_t at = 0; (at = run.out.find("running without", at)) != std::string::npos; ++at)
        ++lines;
    CHECK(lines == 1);
    CHECK(run.out.find("cgroup-run-" + std::to_string(::getpid()) +
                       ": running without cpuset.cpus, cpu.max, cpu.weight, memory.high, "
                       "memory.max, pids.max, io.weight (no cpuset, cpu, memory, pids, io "
                       "controller in " +
                       tree.mount_point() + ")") != std::string::npos);
}
