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
    explicit NotifySocket(const std::string& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
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
