// The systemd side: the unit file passes systemd-analyze verify, and the daemon speaks the
// notification protocol (READY=1 after the first reconcile, STATUS=, WATCHDOG=1, STOPPING=1)
// to a NOTIFY_SOCKET of the test's own.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <regex>

#include "daemon_support.hpp"
#include "skip.hpp"

using namespace edgevisor::testing;

namespace {

std::string run_command(const std::string& command, int& status) {
    std::string out;
    FILE* p = ::popen((command + " 2>&1").c_str(), "r");
    REQUIRE(p != nullptr);
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, p) != nullptr) out += buffer;
    status = ::pclose(p);
    return out;
}

// A datagram socket like systemd's notify socket.
class NotifySocket {
  public:
    // "@name" binds in the abstract namespace, as systemd may.
    explicit NotifySocket(const std::string& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
        socklen_t length = sizeof addr;
        if (path[0] == '@') {
            addr.sun_path[0] = '\0';
            length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
        }
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), length) == 0);
    }
    ~NotifySocket() { ::close(fd_); }
    // Messages until one contains `what` (true) or the deadline passes (false).
    bool wait_for(const std::string& what, std::chrono::milliseconds deadline = 30s) {
        auto until = std::chrono::steady_clock::now() + deadline;
        while (std::chrono::steady_clock::now() < until) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            char buffer[4096];
            ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
            if (n <= 0) continue;
            messages.emplace_back(buffer, static_cast<std::size_t>(n));
            if (messages.back().find(what) != std::string::npos) return true;
        }
        return false;
    }
    std::vector<std::string> messages;

  private:
    std::string path_;
    int fd_ = -1;
};

}  // namespace

TEST_CASE("systemd-analyze verify accepts the unit file") {
    std::ifstream in(EDGEVISOR_SOURCE_DIR "/systemd/edgevisord.service");
    REQUIRE(in);
    std::string unit((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const char* key :
         {"Type=notify", "WatchdogSec=", "Delegate=yes", "KillMode=process", "Restart=on-failure"})
        CHECK(unit.find(key) != std::string::npos);
    // verify checks that ExecStart exists: point it at the built daemon.
    char dir[] = "/tmp/edgevisord-unit.XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    std::string path = std::string(dir) + "/edgevisord.service";
    std::ofstream(path) << std::regex_replace(unit, std::regex("/usr/sbin/edgevisord"),
                                              EDGEVISOR_EDGEVISORD);
    int status = 0;
    std::string out = run_command("systemd-analyze verify " + path, status);
    INFO(out);
    CHECK(status == 0);
    CHECK(out.empty());
    std::remove(path.c_str());
    ::rmdir(dir);
}

TEST_CASE("sd_notify: READY=1 after the first reconcile, STATUS with counts, WATCHDOG, STOPPING") {
    require_root();
    Daemon d;
    NotifySocket notify(d.dir() + "/notify.sock");
    d.set_env("NOTIFY_SOCKET", d.dir() + "/notify.sock");
    d.set_env("WATCHDOG_USEC", "200000");  // pings every 100 ms
    d.write_manifest("a.yaml", workload_yaml("alpha",
                                             "  command: [/bin/sleep, \"1000\"]\n"
                                             "  isolation: {init: true}\n"));
    d.start();
    REQUIRE(notify.wait_for("READY=1"));
    // READY comes after the first reconcile: the workload is already running.
    CHECK_THAT(notify.messages.back(), Catch::Contains("STATUS=1 running"));
    CHECK(d.workload("alpha")->value("state", "") == "running");
    CHECK(notify.wait_for("WATCHDOG=1"));
    ::kill(d.pid(), SIGTERM);
    CHECK(notify.wait_for("STOPPING=1"));
    CHECK(d.stop() == 0);
}

TEST_CASE("sd_notify: an unread, full notify socket never stalls the daemon") {
    require_root();
    Daemon d;
    // Abstract, as systemd's own notify socket can be; nobody reads it until the end.
    std::string address = "@edgevisor-test-notify-" + std::to_string(::getpid());
    NotifySocket notify(address);
    d.set_env("NOTIFY_SOCKET", address);
    d.set_env("WATCHDOG_USEC", "2000");  // a ping every millisecond fills the queue at once
    for (int i = 0; i < 5; ++i)
        d.write_manifest(
            "w" + std::to_string(i) + ".yaml",
            workload_yaml("w" + std::to_string(i), "  command: [/bin/sleep, \"1000\"]\n"));
    d.start();
    // A blocking sender (libsystemd's sd_notify) stopped here with the loop stuck in send().
    auto running = [&](const char* count) {
        return d.wait_for(
            [&](const Json& s) { return s.value("summary", "").rfind(count, 0) == 0; });
    };
    REQUIRE(running("5 running"));
    d.remove_manifest("w4.yaml");
    REQUIRE(running("4 running"));
    // Reading now lets the backlog out: READY=1 was kept, not dropped, and the newest STATUS.
    CHECK(notify.wait_for("READY=1"));
    CHECK(notify.wait_for("STATUS=4 running"));
    ::kill(d.pid(), SIGTERM);
    CHECK(notify.wait_for("STOPPING=1"));
    CHECK(d.stop() == 0);
}
