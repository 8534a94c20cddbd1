// edgectl run end to end: a manifest file in, the workload's exit status out, signals forwarded.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "edgevisor/isolation/cgroup.hpp"
#include "launcher_support.hpp"
#include "skip.hpp"

using namespace edgevisor::testing;

namespace {

const std::string kEdgectl = EDGEVISOR_EDGECTL;
// One name per test process: CTest runs each test case as its own process, and two of them at
// once (ctest -j) with one name would share, and fight over, one cgroup.
const std::string kName = "run-test-" + std::to_string(::getpid());

class ManifestFile {
  public:
    explicit ManifestFile(const std::string& body) {
        char tmpl[] = "/tmp/edgevisor-run-XXXXXX.yaml";
        int fd = ::mkstemps(tmpl, 5);
        REQUIRE(fd >= 0);
        ::close(fd);
        path_ = tmpl;
        std::ofstream(path_) << body;
    }
    ~ManifestFile() { std::filesystem::remove(path_); }
    ManifestFile(const ManifestFile&) = delete;
    ManifestFile& operator=(const ManifestFile&) = delete;
    [[nodiscard]] const std::string& path() const { return path_; }

  private:
    std::string path_;
};

std::string manifest(const std::string& args, const std::string& isolation = "") {
    return "apiVersion: edgevisor/v1\nkind: Workload\nmetadata:\n  name: " + kName +
           "\nspec:\n  command: [\"" + kChecker + "\"" + args + "]\n" + isolation;
}

struct Child {
    pid_t pid = -1;
    int out = -1;  // stdout+stderr of edgectl
};

// The id range pool of this test process, not the host's /var/lib/edgevisor.
struct PrivateStateDir {
    std::string path = "/tmp/edgevisor-run-state-" + std::to_string(::getpid());
    ~PrivateStateDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};
const PrivateStateDir kStateDir;

Child start_edgectl(std::vector<std::string> args) {
    if (std::ranges::find(args, "--config") == args.end())
        args.insert(args.begin(), {"--state-dir", kStateDir.path});
    int p[2];
    REQUIRE(::pipe(p) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(p[1], 1);
        ::dup2(p[1], 2);
        ::close(p[0]);
        ::close(p[1]);
        std::vector<char*> argv{const_cast<char*>(kEdgectl.c_str()), const_cast<char*>("run")};
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(p[1]);
    return {pid, p[0]};
}

std::string read_line(int fd) {
    std::string line;
    char c;
    while (::read(fd, &c, 1) == 1 && c != '\n') line += c;
    return line;
}

std::pair<int, std::string> finish(Child child) {
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(child.out, buf, sizeof buf)) > 0;)
        out.append(buf, static_cast<std::size_t>(n));
    ::close(child.out);
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    return {WEXITSTATUS(status), out};
}

}  // namespace

TEST_CASE("edgectl run: exits with the workload's exit status") {
    require_root();
    ManifestFile m(manifest(", \"exit\", \"7\""));
    CHECK(finish(start_edgectl({m.path()})).first == 7);
    ManifestFile ok(manifest(", \"exit\", \"0\""));
    CHECK(finish(start_edgectl({ok.path()})).first == 0);
}

TEST_CASE("edgectl run: -- ARGS are appended to the command, --name renames") {
    require_root();
    ManifestFile m(manifest(""));
    auto [code, out] = finish(start_edgectl({m.path(), "--name", "renamed", "--", "report"}));
    CHECK(code == 0);
    auto r = nlohmann::json::parse(out);
    CHECK(r["hostname"] == "renamed");
    CHECK(r["pid"] == 1);
}

TEST_CASE("edgectl run: a workload killed by signal N gives 128+N") {
    require_root();
    // Without a pid namespace the workload is not an init, so SIGTERM's default action kills it.
    ManifestFile m(
        manifest(", \"sleep\"", "  isolation:\n    namespaces: [mount]\n    network: host\n"));
    auto child = start_edgectl({m.path()});
    // edgectl says first what leaving out the user and pid namespaces opens.
    CHECK(read_line(child.out).find("without 'user', uid 0 inside is the host's root") !=
          std::string::npos);
    CHECK(read_line(child.out).find("without 'pid' the workload sees every host process") !=
          std::string::npos);
    REQUIRE(read_line(child.out) == "ready");
    ::kill(child.pid, SIGTERM);
    CHECK(finish(child).first == 128 + SIGTERM);
}

TEST_CASE("edgectl run: a seccomp kill-process rule is reported as SIGSYS") {
    require_root();
    require_native("seccomp");
    ManifestFile m(manifest(", \"attempt\", \"privileged\", \"uname\"",
                            "  isolation:\n    seccomp:\n      profile: custom\n"
                            "      defaultAction: allow\n"
                            "      rules: [{names: [uname], action: kill-process}]\n"));
    auto [code, out] = finish(start_edgectl({m.path()}));
    CHECK(code == 128 + SIGSYS);
    CHECK_THAT(out, Catch::Contains(kName + ": killed by signal 31 (SIGSYS): a seccomp rule "
                                            "refused a system call"));
}

TEST_CASE("edgectl run: dependsOn on a workload of another file is not an error, and is said") {
    require_root();
    ManifestFile m(manifest(", \"exit\", \"0\"", "  dependsOn: [{name: elsewhere}]\n"));
    auto [code, out] = finish(start_edgectl({m.path()}));
    CHECK(code == 0);
    CHECK_THAT(out, Catch::Contains(kName + ": dependsOn is not waited for by edgectl run"));
}

TEST_CASE("edgectl run: forwards signals to the workload") {
    require_root();
    ManifestFile m(manifest(", \"signals\""));
    auto child = start_edgectl({m.path()});
    REQUIRE(read_line(child.out) == "ready");
    for (int sig : {SIGHUP, SIGUSR1, SIGUSR2, SIGINT, SIGQUIT}) {
        ::kill(child.pid, sig);
        CHECK(read_line(child.out) == "got " + std::to_string(sig));
    }
    ::kill(child.pid, SIGTERM);
    CHECK(read_line(child.out) == "got 15");
    CHECK(finish(child).first == 115);
}

namespace {

struct Stopped {
    int code = -1;
    std::string out;  // what edgectl printed after "ready"
    std::chrono::steady_clock::duration took{};
};

// edgectl run of `manifest_text` with --stop-timeout `grace`: once the workload has printed
// "ready", edgectl gets `sig` (as from a user or a service manager) and is waited for.
Stopped stop_when_ready(const std::string& manifest_text, const std::string& grace, int sig) {
    ManifestFile m(manifest_text);
    auto child = start_edgectl({"--stop-timeout", grace, m.path()});
    REQUIRE(read_line(child.out) == "ready");
    const auto start = std::chrono::steady_clock::now();
    ::kill(child.pid, sig);
    auto [code, out] = finish(child);
    return {code, std::move(out), std::chrono::steady_clock::now() - start};
}

}  // namespace

TEST_CASE("edgectl run: an init that ignores SIGTERM is killed after the grace period") {
    require_root();
    auto stopped = stop_when_ready(manifest(", \"sleep\""), "1s", SIGTERM);
    CHECK(stopped.code == 128 + SIGKILL);
    CHECK(stopped.took < std::chrono::seconds(5));
}

TEST_CASE("edgectl run: with init, SIGTERM reaches a command without a handler at once") {
    require_root();
    auto stopped =
        stop_when_ready(manifest(", \"sleep\"", "  isolation: {init: true}\n"), "30s", SIGTERM);
    CHECK(stopped.code == 128 + SIGTERM);  // the command died of it; init exits 128+N
    CHECK(stopped.took < std::chrono::seconds(10));
}

TEST_CASE("edgectl run: with init, SIGINT ends a shell waiting for a program, as Ctrl-C would") {
    require_root();
    // A shell that waits for a foreground program exits on SIGINT only if that program died of
    // it too: the init signals the command's whole process group. The program itself says
    // "ready" (the checker's sleep, with default dispositions): a shell's own "echo ready"
    // before it forks would let SIGINT land in the forked child before its exec, where the
    // shell's handler, not the program's default, takes it (dash), and nothing would end.
    auto stopped =
        stop_when_ready("apiVersion: edgevisor/v1\nkind: Workload\nmetadata:\n  name: " + kName +
                            "\nspec:\n  command: [/bin/sh, -c, '" + kChecker +
                            " sleep; echo after']\n"
                            "  isolation: {init: true}\n",
                        "30s", SIGINT);
    CHECK(stopped.code == 128 + SIGINT);
    CHECK(stopped.out.find("after") == std::string::npos);
    CHECK(stopped.took < std::chrono::seconds(10));
}

TEST_CASE("edgectl run: start failure prints the step and exits 125") {
    require_root();
    ManifestFile m(manifest("", "  workingDir: /edgevisor-no-such-dir\n"));
    auto [code, out] = finish(start_edgectl({m.path()}));
    CHECK(code == 125);
    CHECK(out.find(kName +
                   ": start failed at chdir(/edgevisor-no-such-dir): No such file or directory") !=
          std::string::npos);
}

TEST_CASE("edgectl run: a missing or non-executable command exits 127 or 126") {
    require_root();
    ManifestFile missing("apiVersion: edgevisor/v1\nkind: Workload\nmetadata:\n  name: " + kName +
                         "\nspec:\n  command: [/usr/bin/edgevisor-no-such-command]\n");
    auto [code, out] = finish(start_edgectl({missing.path()}));
    CHECK(code == 127);
    CHECK(out.find(kName + ": start failed at execve(/usr/bin/edgevisor-no-such-command): No such "
                           "file or directory") != std::string::npos);
    ManifestFile plain("apiVersion: edgevisor/v1\nkind: Workload\nmetadata:\n  name: " + kName +
                       "\nspec:\n  command: [/etc/os-release]\n");
    CHECK(finish(start_edgectl({plain.path()})).first == 126);
}

// The pids in a cgroup; empty when it is empty or does not exist (yet, or any more).
std::string cgroup_procs(const std::string& cgroup) {
    return read_small_file(cgroup + "/cgroup.procs");
}

TEST_CASE("edgectl run: killed while the workload is still being set up, it leaves nothing") {
    require_root();
    auto mount = edgevisor::isolation::discover_cgroup_mount();
    REQUIRE(mount.has_value());
    const std::string cgroup = mount->mount_point + "/edgevisor/workloads/" + kName;
    ManifestFile m(manifest(", \"sleep\""));
    int survivors = 0;
    for (int attempt = 0; attempt < 20; ++attempt) {
        auto child = start_edgectl({m.path()});
        // The workload's process is in its cgroup from clone on (CLONE_INTO_CGROUP) and spends
        // about a millisecond on its setup before execve: edgectl dies inside that window,
        // before or while its child sets the parent-death signal.
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (cgroup_procs(cgroup).empty() && std::chrono::steady_clock::now() < give_up) {
        }
        ::kill(child.pid, SIGKILL);
        ::close(child.out);
        ::waitpid(child.pid, nullptr, 0);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        while (!cgroup_procs(cgroup).empty() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (!cgroup_procs(cgroup).empty()) {
            ++survivors;
            std::ofstream(cgroup + "/cgroup.kill") << "1";
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ::rmdir(cgroup.c_str());  // edgectl, killed, did not remove it
    }
    CHECK(survivors == 0);
}

TEST_CASE("edgectl run: an invalid manifest prints diagnostics and exits 125") {
    require_root();
    ManifestFile m(manifest("", "  bogusKey: 1\n"));
    auto [code, out] = finish(start_edgectl({m.path()}));
    CHECK(code == 125);
    CHECK(out.find(m.path() + ":") != std::string::npos);
}

TEST_CASE("edgectl run: the workload dies with edgectl, even when edgectl is SIGKILLed") {
    require_root();
    ManifestFile m(manifest(", \"sleep\", \"edgevisor-pdeathsig-marker\""));
    auto child = start_edgectl({m.path()});
    auto marker_alive = [] {
        for (const auto& entry : std::filesystem::directory_iterator("/proc"))
            if (read_small_file(entry.path() / "cmdline").find("edgevisor-pdeathsig-marker") !=
                std::string::npos)
                return true;
        return false;
    };
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!marker_alive() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(marker_alive());
    ::kill(child.pid, SIGKILL);
    ::close(child.out);
    ::waitpid(child.pid, nullptr, 0);
    deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (marker_alive() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK_FALSE(marker_alive());
}

TEST_CASE("edgectl run: the node config's idPool gives the range, a one-off run gives it back") {
    require_root();
    const std::string dir = kStateDir.path + "-node";
    std::filesystem::create_directories(dir);
    struct Cleanup {
        std::string dir;
        ~Cleanup() { std::filesystem::remove_all(dir); }
    } cleanup{dir};
    std::ofstream(dir + "/edgevisor.yaml")
        << "apiVersion: edgevisor/v1\nkind: NodeConfig\npaths: {state: " << dir
        << "/state, runtime: " << dir
        << "/run}\nidPool: {first: 3100000000, size: 65536, count: 4}\n";
    const std::string config = dir + "/edgevisor.yaml";
    ManifestFile m(manifest(", \"report\""));
    auto [code, out] = finish(start_edgectl({"--config", config, m.path()}));
    CHECK(code == 0);
    CHECK(out.find("3100000000") != std::string::npos);
    // Taken for that run alone, in the runtime directory, and back in the pool.
    CHECK(read_small_file(dir + "/state/idranges").find(kName) == std::string::npos);
    CHECK(read_small_file(dir + "/run/idranges").find(kName) == std::string::npos);

    // A range the workload already holds (edgevisord's workload of that name) stays.
    std::ofstream(dir + "/state/idranges") << kName << " 3100131072 65536\n";
    auto [code2, out2] = finish(start_edgectl({"--config", config, m.path()}));
    CHECK(code2 == 0);
    CHECK(out2.find("3100131072") != std::string::npos);
    CHECK(read_small_file(dir + "/state/idranges").find(kName + " 3100131072") !=
          std::string::npos);

    // A broken node config is refused with its position, before anything runs.
    std::ofstream(config) << "apiVersion: edgevisor/v1\nkind: NodeConfig\nidPool: {size: x}\n";
    auto [code3, out3] = finish(start_edgectl({"--config", config, m.path()}));
    CHECK(code3 == 125);
    CHECK(out3.find(config + ":3:") != std::string::npos);
}
