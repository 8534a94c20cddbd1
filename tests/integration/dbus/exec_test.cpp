// edgectl exec end to end: the real edgevisord on a private bus runs a command inside a
// running workload (D-Bus Exec, the caller's fds passed over the bus) and edgectl exits with
// its status.
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "node_support.hpp"
#include "skip.hpp"

using namespace edgevisor::testing;

namespace {

constexpr const char* kMarker = "/tmp/edgevisor-exec-test-marker";

// Default isolation (every namespace, a private /tmp, the host's root read-only), hostname
// exec-box; it leaves a file in its private /tmp that the host never sees.
std::string box() {
    return workload_yaml("exec-box", std::string("  command: [/bin/sh, -c, \"echo inside > ") +
                                         kMarker + "; exec /bin/sleep 1000\"]\n" +
                                         "  stopTimeout: 5s\n  isolation: {init: true}\n");
}

struct ExecNode : Node {
    std::int64_t pid = 0;  // exec-box's main process, in our pid namespace
    explicit ExecNode(const std::string& admin_group = "nogroup") : Node(admin_group) {
        daemon.write_manifest("box.yaml", box());
        REQUIRE(daemon.wait_state("exec-box", "running"));
        auto show = edgectl({"show", "exec-box", "-o", "json"});
        REQUIRE(show.code == 0);
        pid = nlohmann::json::parse(show.out)["pid"].get<std::int64_t>();
        REQUIRE(pid > 0);
    }
    // edgectl exec exec-box [-t] -- command...
    Outcome exec(std::vector<std::string> command, bool as_nobody = false) const {
        std::vector<std::string> args{"exec", "exec-box"};
        if (!command.empty() && command[0] == "-t") {
            args.push_back("-t");
            command.erase(command.begin());
        }
        args.push_back("--");
        args.insert(args.end(), command.begin(), command.end());
        return edgectl(args, as_nobody);
    }
};

std::string link_of(const std::string& path) {
    std::error_code error;
    return std::filesystem::read_symlink(path, error).string();
}

}  // namespace

TEST_CASE("e2e: edgectl exec runs inside the workload's namespaces, not the host's", "[dbus]") {
    require_root();
    ExecNode node;
    auto hostname = node.exec({"/bin/cat", "/proc/sys/kernel/hostname"});
    INFO(hostname.err << node.daemon.daemon_output());
    REQUIRE(hostname.code == 0);
    CHECK(hostname.out == "exec-box\n");

    // Every namespace the workload has: the exec'd process is in the workload's, which are not
    // ours. (A name without a slash is looked up in the workload's PATH.)
    for (const char* ns : {"pid", "mnt", "uts", "ipc", "net", "cgroup"}) {
        auto seen = node.exec({"readlink", std::string("/proc/self/ns/") + ns});
        INFO(ns << ": " << seen.err);
        REQUIRE(seen.code == 0);
        const std::string workload = link_of("/proc/" + std::to_string(node.pid) + "/ns/" + ns);
        CHECK(seen.out == workload + "\n");
        CHECK(workload != link_of(std::string("/proc/self/ns/") + ns));
    }
    // Its own pid numbering: the shell is a small pid there, and pid 1 is the workload's init.
    auto pid = node.exec({"/bin/sh", "-c", "echo $$; cat /proc/1/cmdline | tr '\\0' ' '"});
    REQUIRE(pid.code == 0);
    CHECK(std::stoi(pid.out) < 100);
    // The workload's mounts: its private /tmp holds the marker, the host's does not.
    auto marker = node.exec({"/bin/cat", kMarker});
    REQUIRE(marker.code == 0);
    CHECK(marker.out == "inside\n");
    CHECK_FALSE(std::filesystem::exists(kMarker));
    CHECK(node.daemon.stop() == 0);
}

TEST_CASE("e2e: edgectl exec exits with the command's status", "[dbus]") {
    require_root();
    ExecNode node;
    CHECK(node.exec({"/bin/sh", "-c", "exit 7"}).code == 7);
    CHECK(node.exec({"/bin/true"}).code == 0);
    CHECK(node.exec({"/bin/sh", "-c", "kill -KILL $$"}).code == 128 + SIGKILL);
    auto output = node.exec({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
    CHECK(output.code == 3);
    CHECK(output.out == "out\n");
    CHECK(output.err == "err\n");
    auto missing = node.exec({"no-such-command"});
    CHECK(missing.code == 127);
    CHECK(has(missing.err, "no-such-command: not found in the workload's PATH"));
    auto absent = node.exec({"/no/such/file"});
    CHECK(absent.code == 127);
    CHECK(has(absent.err, "join failed at execve(/no/such/file): No such file or directory"));
    CHECK(node.daemon.stop() == 0);
}

TEST_CASE("e2e: edgectl exec: refused to others, clear errors for unknown and stopped workloads",
          "[dbus]") {
    require_root();
    ExecNode node("");  // root only
    auto refused = node.exec({"/bin/true"}, true);
    CHECK(refused.code == 4);
    CHECK(refused.err == "edgectl: Exec needs root\n");
    CHECK(has(node.daemon.daemon_output(), "Exec exec-box refused for uid 65534"));
    // A call with the wrong signature (busctl cannot pass fds) is refused; the daemon serves on.
    auto wrong = busctl(node.bus,
                        {"call", "org.edgevisor.Supervisor1", "/org/edgevisor/Supervisor1",
                         "org.edgevisor.Supervisor1", "Exec", "sas", "exec-box", "1", "/bin/true"});
    CHECK(wrong.code != 0);
    CHECK(node.edgectl({"status"}).code == 0);

    auto unknown = node.edgectl({"exec", "nope", "--", "/bin/true"});
    CHECK(unknown.code == 5);
    CHECK(unknown.err == "edgectl: no workload named 'nope'\n");
    REQUIRE(node.edgectl({"stop", "exec-box"}).code == 0);
    REQUIRE(node.daemon.wait_state("exec-box", "stopped"));
    auto stopped = node.exec({"/bin/true"});
    CHECK(stopped.code == 1);
    CHECK(stopped.err == "edgectl: exec-box is not running (stopped)\n");
    CHECK(node.daemon.stop() == 0);
}

TEST_CASE("e2e: a client that hangs up mid-exec takes its command with it", "[dbus]") {
    require_root();
    ExecNode node;
    const std::size_t before = node.daemon.cgroup_pids("exec-box").size();
    Background client({EDGEVISOR_EDGECTL, "--bus", node.bus.address(), "exec", "exec-box", "--",
                       "/bin/sleep", "1000"});
    auto until = [&](const std::function<bool()>& done) {
        for (int i = 0; i < 300 && !done(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        return done();
    };
    REQUIRE(until([&] { return node.daemon.cgroup_pids("exec-box").size() == before + 1; }));
    ::kill(client.pid(), SIGKILL);
    client.stop();
    INFO(node.daemon.daemon_output());
    CHECK(until([&] { return node.daemon.cgroup_pids("exec-box").size() == before; }));
    CHECK(has(node.daemon.daemon_output(), "its caller went away, killing it"));
    // The workload itself runs on, and exec still works.
    CHECK(node.edgectl({"show", "exec-box"}).code == 0);
    CHECK(node.exec({"/bin/true"}).code == 0);
    CHECK(node.daemon.stop() == 0);
}

TEST_CASE("e2e: edgectl exec -i passes stdin, -t gives the command a terminal of its own",
          "[dbus]") {
    require_root();
    ExecNode node;
    const std::string edgectl =
        std::string(EDGEVISOR_EDGECTL) + " --bus '" + node.bus.address() + "' exec ";
    auto piped = run({"/bin/sh", "-c", "echo hello | " + edgectl + "-i exec-box -- /bin/cat"});
    CHECK(piped.code == 0);
    CHECK(piped.out == "hello\n");
    auto closed = run({"/bin/sh", "-c", "echo hello | " + edgectl + "exec-box -- /bin/cat"});
    CHECK(closed.code == 0);
    CHECK(closed.out.empty());  // without -i: /dev/null

    // On the pty the client opened: a terminal (the line discipline turns \n into \r\n), the
    // controlling terminal of the command's session (tty_nr, field 7 of /proc/self/stat).
    auto tty = node.exec({"-t", "/bin/sh", "-c",
                          "test -t 0 && test -t 1 && echo is-a-tty; cut -d' ' -f7 /proc/self/stat; "
                          "exit 4"});
    INFO(tty.err);
    CHECK(tty.code == 4);
    CHECK(has(tty.out, "is-a-tty\r\n"));
    CHECK_FALSE(has(tty.out, "\r\n0\r\n"));
    auto plain = node.exec({"/bin/sh", "-c", "test -t 0 || echo no-tty"});
    CHECK(plain.out == "no-tty\n");
    CHECK(node.daemon.stop() == 0);
}
