// Health probes, dependencies and resource figures through the real daemon.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "daemon_support.hpp"
#include "skip.hpp"
#include "staged_program.hpp"

using namespace edgevisor::testing;

namespace {

const std::string kChecker = staged_program(EDGEVISOR_CHECKER);
const std::string kSdNotifyProgram = staged_program(EDGEVISOR_SD_NOTIFY_PROGRAM);

std::vector<std::string> lines(const std::string& file) {
    std::ifstream in(file);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

long long first_number(const std::string& file) {
    std::ifstream in(file);
    long long value = -1;
    in >> value;
    return value;
}

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// The test's directory, writable inside the workload.
std::string shared(const Daemon& d) {
    return "  isolation: {mounts: [{type: bind, source: " + d.dir() + ", target: " + d.dir() +
           ", readOnly: false}]}\n";
}

std::string field(const Daemon& d, const std::string& name, const std::string& key) {
    auto w = d.workload(name);
    if (!w || !w->contains(key) || !(*w)[key].is_string()) return "";
    return (*w)[key].get<std::string>();
}

}  // namespace

TEST_CASE(
    "a liveness exec probe that starts failing restarts the workload after exactly the threshold") {
    require_root();
    Daemon d;
    const std::string log = d.dir() + "/probes", fail = d.dir() + "/fail";
    d.write_manifest(
        "a.yaml",
        workload_yaml("svc", "  command: [/bin/sh, -c, \"echo start >> " + log +
                                 "; exec sleep 1000\"]\n"
                                 "  restart: {policy: always, backoff: {initial: 100ms, max: 1s}}\n"
                                 "  health:\n    liveness:\n"
                                 "      exec: [/bin/sh, -c, \"if [ -e " +
                                 fail + " ]; then echo fail >> " + log +
                                 "; echo disk full; exit 1; fi\"]\n"
                                 "      interval: 200ms\n      failureThreshold: 3\n" +
                                 shared(d)));
    d.start();
    REQUIRE(d.wait_state("svc", "running"));
    REQUIRE(d.wait_for([&](const Json&) { return field(d, "svc", "health") == "healthy"; }));
    std::ofstream(fail) << "1\n";
    REQUIRE(d.wait_for(
        [&](const Json&) {
            auto w = d.workload("svc");
            return w && (*w)["restarts"].get<int>() >= 1;
        },
        60s));
    auto w = *d.workload("svc");
    INFO(w.dump() << "\n" << d.daemon_output());
    CHECK(w["lastExit"].get<std::string>().starts_with("liveness failed: exit 1: disk full"));
    // Between the first start and the second: exactly failureThreshold failed probes.
    REQUIRE(d.wait_for([&](const Json&) {
        auto l = lines(log);
        return std::count(l.begin(), l.end(), "start") >= 2;
    }));
    auto l = lines(log);
    auto second = std::find(l.begin() + 1, l.end(), "start");
    CHECK(std::count(l.begin(), second, "fail") == 3);
    CHECK(d.daemon_output().find("svc: liveness failed: exit 1: disk full") != std::string::npos);
}

TEST_CASE("a hanging probe is killed at its timeout and leaves no process") {
    require_root();
    Daemon d;
    d.write_manifest("a.yaml",
                     workload_yaml("hang",
                                   "  command: [/bin/sleep, \"1000\"]\n"
                                   "  health:\n    liveness:\n"
                                   "      exec: [/bin/sh, -c, \"sleep 1000 & sleep 1000\"]\n"
                                   "      timeout: 300ms\n      interval: 20s\n"
                                   "      failureThreshold: 100\n"));
    d.start();
    REQUIRE(d.wait_state("hang", "running"));
    REQUIRE(d.wait_for(
        [&](const Json&) {
            return d.daemon_output().find("hang: liveness: timed out after 300ms") !=
                   std::string::npos;
        },
        60s));
    const std::string probes = d.cgroup_dir("hang") + "/probe-liveness/cgroup.procs";
    REQUIRE(d.wait_for([&](const Json&) { return read_text_file(probes).empty(); }));
    CHECK(d.cgroup_pids("hang").size() == 1);  // the workload itself, nothing of the probe
    CHECK(d.workload("hang").value()["restarts"] == 0);
}

TEST_CASE(
    "a tcp readiness probe gates a dependent until a port opens inside a network: none workload") {
    require_root();
    Daemon d;
    const int port = free_port();
    const std::string opened = d.dir() + "/opened", client = d.dir() + "/client";
    d.write_manifest(
        "a.yaml",
        workload_yaml("server", "  command: [/bin/sh, -c, \"sleep 2; date +%s%N > " + opened +
                                    "; exec " + kChecker + " listen " + std::to_string(port) +
                                    "\"]\n  health:\n    readiness: {tcp: {port: " +
                                    std::to_string(port) + "}, interval: 200ms}\n" + shared(d)) +
            "---\n" +
            workload_yaml("client", "  command: [/bin/sh, -c, \"date +%s%N > " + client +
                                        "; exec sleep 1000\"]\n"
                                        "  dependsOn: [{name: server, condition: healthy}]\n" +
                                        shared(d)));
    d.start();
    REQUIRE(d.wait_for([&](const Json&) {
        return field(d, "client", "message") == "waiting for server (healthy)";
    }));
    REQUIRE(d.wait_state("client", "running", 60s));
    REQUIRE(d.wait_for([&](const Json&) { return first_number(client) > 0; }));
    CHECK(field(d, "server", "health") == "healthy");
    long long opened_ns = first_number(opened), client_ns = first_number(client);
    REQUIRE(opened_ns > 0);
    CHECK(client_ns > opened_ns);
    // The port exists only in the server's namespace: the host's loopback refuses it.
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0);
    ::close(fd);
}

TEST_CASE("an http readiness probe sees 500 then 200") {
    require_root();
    Daemon d;
    const int port = free_port();
    d.write_manifest(
        "a.yaml",
        workload_yaml("web", "  command: [" + kChecker + ", http, \"" + std::to_string(port) +
                                 "\", \"500\", \"200\"]\n"
                                 "  health:\n    readiness: {http: {port: " +
                                 std::to_string(port) + ", path: /ready}, interval: 300ms}\n"));
    d.start();
    REQUIRE(d.wait_for([&](const Json&) { return field(d, "web", "health") == "healthy"; }, 60s));
    auto out = d.daemon_output();
    auto failed = out.find("web: readiness: http 500");
    auto passed = out.find("web: readiness: http 200");
    CHECK(failed != std::string::npos);
    CHECK(passed != std::string::npos);
    CHECK(failed < passed);
}

TEST_CASE("a notify workload is ready only after systemd-notify --ready") {
    require_root();
    Daemon d;
    const std::string go = d.dir() + "/go";
    d.write_manifest(
        "a.yaml",
        workload_yaml("notifier",
                      "  command: [/bin/sh, -c, \"while [ ! -e " + go +
                          " ]; do sleep 0.1; done; systemd-notify --ready --status=serving; "
                          "exec sleep 1000\"]\n"
                          "  health:\n    readiness: {notify: {}, interval: 200ms}\n" +
                          shared(d)));
    d.start();
    REQUIRE(d.wait_state("notifier", "running"));
    // However long it waits, it is not ready before it says so.
    REQUIRE(d.wait_for([&](const Json&) {
        return d.daemon_output().find("notifier: readiness: no READY=1 received") !=
               std::string::npos;
    }));
    CHECK(field(d, "notifier", "health") == "starting");
    std::ofstream(go) << "1\n";
    REQUIRE(
        d.wait_for([&](const Json&) { return field(d, "notifier", "health") == "healthy"; }, 60s));
    CHECK(field(d, "notifier", "message") == "serving");
}

TEST_CASE("a notify datagram from outside the workload's cgroup is ignored") {
    require_root();
    Daemon d;
    d.write_manifest("a.yaml", workload_yaml("quiet",
                                             "  command: [/bin/sleep, \"1000\"]\n"
                                             "  health:\n    readiness: {notify: {}}\n"));
    d.start();
    REQUIRE(d.wait_state("quiet", "running"));
    const std::string socket_path = d.dir() + "/run/notify/quiet/notify.sock";
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(socket_path.size() < sizeof addr.sun_path);
    std::strcpy(addr.sun_path, socket_path.c_str());
    const char text[] = "READY=1\nSTATUS=forged";
    REQUIRE(::sendto(fd, text, sizeof text - 1, 0, reinterpret_cast<sockaddr*>(&addr),
                     sizeof addr) > 0);
    ::close(fd);
    REQUIRE(d.wait_for([&](const Json&) {
        return d.daemon_output().find("quiet: notify: ignored a datagram from pid " +
                                      std::to_string(::getpid())) != std::string::npos;
    }));
    CHECK(field(d, "quiet", "health") == "starting");
    CHECK(field(d, "quiet", "message") != "forged");
}

TEST_CASE("dependencies start in order and stop in reverse order") {
    require_root();
    Daemon d;
    const std::string stamps = d.dir() + "/stamps";
    auto member = [&](const std::string& name, const std::string& after) {
        std::string spec = "  command: [/bin/sh, -c, \"trap 'echo stop " + name + " >> " + stamps +
                           "; exit 0' TERM; echo start " + name + " >> " + stamps +
                           "; while :; do sleep 0.1; done\"]\n" + shared(d);
        if (!after.empty()) spec += "  dependsOn: [{name: " + after + "}]\n";
        return workload_yaml(name, spec);
    };
    d.write_manifest("a.yaml", member("top", "mid") + "---\n" + member("mid", "base") + "---\n" +
                                   member("base", ""));
    d.start();
    REQUIRE(d.wait_state("top", "running", 60s));
    REQUIRE(d.wait_for([&](const Json&) { return lines(stamps).size() >= 3; }));
    CHECK(d.stop() == 0);
    CHECK(lines(stamps) == std::vector<std::string>{"start base", "start mid", "start top",
                                                    "stop top", "stop mid", "stop base"});
}

TEST_CASE("the cpu figure of a busy workload matches its cgroup's accounting") {
    require_root();
    Daemon d("supervisor: {sampleInterval: 200ms}\n");
    d.write_manifest(
        "a.yaml", workload_yaml("burner", "  command: [/bin/sh, -c, \"while :; do :; done\"]\n"));
    d.start();
    REQUIRE(d.wait_state("burner", "running"));
    const std::string stat = d.cgroup_dir("burner") + "/cpu.stat";
    auto usage = [&] {
        std::istringstream in(read_text_file(stat));
        std::string key;
        long long value = 0;
        in >> key >> value;
        return value;
    };
    long long before = usage();
    long long reported = 0;
    REQUIRE(d.wait_for([&](const Json&) {
        auto w = d.workload("burner");
        if (!w || !w->contains("cpuUsec")) return false;
        reported = (*w)["cpuUsec"].get<long long>();
        return reported > before && (*w)["cpuCores"].get<double>() > 0;
    }));
    long long after = usage();
    CHECK(reported >= before);
    CHECK(reported <= after);
    CHECK(d.workload("burner").value()["cpuCores"].get<double>() > 0.05);  // it burns
    // The node's figures come with the same timer: the node's memory, edgevisord's own.
    auto node = d.status();
    REQUIRE(node.contains("resources"));
    INFO(node["resources"].dump());
    CHECK(node["resources"]["memoryTotalBytes"].get<std::uint64_t>() > 0);
    CHECK(node["resources"]["memoryAvailableBytes"].get<std::uint64_t>() <=
          node["resources"]["memoryTotalBytes"].get<std::uint64_t>());
    CHECK(node["resources"]["supervisorRssBytes"].get<std::uint64_t>() > 1024 * 1024);
    CHECK(node["resources"]["load"].size() == 3);
    CHECK(node["resources"]["supervisorCpuUsec"].get<std::uint64_t>() > 0);
}

TEST_CASE("a C program using sd_notify is ready on READY=1 and restarted when its pings stop") {
    require_root();
    Daemon d;
    const std::string starts = d.dir() + "/starts", go = d.dir() + "/go", hang = d.dir() + "/hang";
    d.write_manifest(
        "a.yaml",
        workload_yaml("service",
                      "  command: [" + kSdNotifyProgram + ", " + d.dir() +
                          "]\n"
                          "  restart: {policy: always, backoff: {initial: 100ms, max: 1s}}\n"
                          "  health:\n"
                          "    readiness: {notify: {}, interval: 200ms}\n"
                          "    liveness: {notify: {watchdog: 1s}, interval: 250ms, "
                          "failureThreshold: 2}\n" +
                          shared(d)));
    d.start();
    REQUIRE(
        d.wait_for([&](const Json&) { return field(d, "service", "message") == "warming up"; }));
    // STATUS= is read, but only READY=1 makes it ready.
    CHECK(field(d, "service", "health") == "starting");
    REQUIRE(lines(starts).size() == 1);
    CHECK(lines(starts)[0] == "start watchdog 1 1000000");  // WATCHDOG_USEC from the manifest
    std::ofstream(go) << "1\n";
    REQUIRE(
        d.wait_for([&](const Json&) { return field(d, "service", "health") == "healthy"; }, 60s));
    CHECK(field(d, "service", "message") == "serving");
    const int first = d.workload("service")->value("pid", 0);
    CHECK(d.workload("service")->value("restarts", -1) == 0);
    std::ofstream(hang) << "1\n";
    REQUIRE(d.wait_for(
        [&](const Json&) {
            auto w = d.workload("service");
            return w && w->value("restarts", 0) >= 1;
        },
        60s));
    auto w = *d.workload("service");
    INFO(w.dump() << "\n" << d.daemon_output());
    CHECK_THAT(w.value("lastExit", ""),
               Catch::StartsWith("liveness failed: no WATCHDOG=1: none for ") &&
                   Catch::EndsWith("(watchdog 1s) (killed by SIGKILL)"));
    std::filesystem::remove(hang);
    REQUIRE(d.wait_for([&](const Json&) {
        auto now = d.workload("service");
        return now && now->value("pid", 0) != first && now->value("pid", 0) > 0 &&
               field(d, "service", "health") == "healthy";
    }));
    CHECK(lines(starts).size() == 2);
}

namespace {

// Open fds and not yet reaped children of a process.
std::size_t open_fds(pid_t pid) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
        ++n;
    return n;
}

std::size_t zombie_children(pid_t parent) {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        std::string stat = read_text_file(e.path().string() + "/stat");
        auto close = stat.rfind(')');
        if (close == std::string::npos || close + 4 >= stat.size()) continue;
        std::istringstream rest(stat.substr(close + 2));
        char state = 0;
        pid_t ppid = 0;
        rest >> state >> ppid;
        if (ppid == parent && state == 'Z') ++n;
    }
    return n;
}

// Processes anywhere whose command line is exactly `words` (NUL separated in /proc).
std::size_t processes_running(const std::string& cmdline) {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc"))
        if (read_text_file(e.path().string() + "/cmdline") == cmdline) ++n;
    return n;
}

}  // namespace

TEST_CASE("probes killed at their timeout leak no process, no zombie and no fd of the daemon") {
    require_root();
    // Sampling from the start: its readers (kept open) are there before the first count.
    Daemon d("supervisor: {sampleInterval: 100ms}\n");
    const std::string runs = d.dir() + "/runs";
    // Each run starts two processes that would outlive it (a background and a foreground
    // sleep); the marker argument makes them countable on the host.
    const std::string marker = "1001" + std::to_string(::getpid() % 1000);
    d.write_manifest("a.yaml", workload_yaml("hangs",
                                             "  command: [/bin/sleep, \"1000\"]\n"
                                             "  health:\n    liveness:\n"
                                             "      exec: [/bin/sh, -c, \"echo run >> " +
                                                 runs + "; sleep " + marker + " & sleep " + marker +
                                                 "\"]\n"
                                                 "      timeout: 150ms\n      interval: 200ms\n"
                                                 "      failureThreshold: 1000\n" +
                                                 shared(d)));
    d.start();
    if (!d.wait_state("hangs", "running")) FAIL(d.daemon_output());
    const std::string sleeper = std::string("sleep\0", 6) + marker + std::string("\0", 1);
    // The largest fd count seen while runs 3..6 come and go, then while runs 20..23 do: a leak
    // of one fd per run would show as 14 more.
    auto widest = [&](std::size_t from, std::size_t to) {
        REQUIRE(d.wait_for([&](const Json&) { return lines(runs).size() >= from; }, 60s));
        std::size_t most = 0, most_sleepers = 0;
        while (lines(runs).size() < to) {
            most = std::max(most, open_fds(d.pid()));
            most_sleepers = std::max(most_sleepers, processes_running(sleeper));
            CHECK(zombie_children(d.pid()) <= 1);  // one run may have just ended, not reaped yet
            std::this_thread::sleep_for(20ms);
        }
        return std::pair{most, most_sleepers};
    };
    auto [early_fds, early_sleepers] = widest(3, 7);
    auto [late_fds, late_sleepers] = widest(20, 24);
    INFO("fds early " << early_fds << ", late " << late_fds);
    // A leak of one fd per run would show as 17 more. The widest counts of two windows also
    // differ by the fds of the step a run was caught in (3 seen in a loaded CI run): slack 8.
    CHECK(late_fds <= early_fds + 8);
    CHECK(late_sleepers <= 2);  // at most the current run's two
    CHECK(d.daemon_output().find("hangs: liveness: timed out after 150ms") != std::string::npos);
    CHECK(d.workload("hangs").value()["restarts"] == 0);
    CHECK(d.stop() == 0);
    CHECK(processes_running(sleeper) == 0);
}
