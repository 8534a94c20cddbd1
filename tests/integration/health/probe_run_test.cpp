// Probe runs on a real event loop, against real workloads.
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <optional>

#include "cgroup_support.hpp"
#include "edgevisor/health/probe_run.hpp"
#include "edgevisor/health/prober.hpp"
#include "join_support.hpp"
#include "launcher_support.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;
using namespace std::chrono_literals;

namespace {

int free_port() {
    UniqueFd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    return ntohs(addr.sin_port);
}

std::unique_ptr<EventLoop> make_loop() {
    auto loop = EventLoop::create();
    REQUIRE(loop.has_value());
    return std::move(*loop);
}

struct Harness {
    std::unique_ptr<EventLoop> loop = make_loop();
    health::Reaper reaper{*loop};

    // One run to its end (generous deadline), with the loop doing all the waiting.
    health::ProbeResult run(const manifests::Probe& probe, const health::ProbeTarget& target) {
        std::optional<health::ProbeResult> result;
        auto run = health::start_probe(*loop, reaper, probe, target,
                                       [&](health::ProbeResult r) { result = std::move(r); });
        REQUIRE(run);
        auto deadline = std::chrono::steady_clock::now() + 60s;
        while (!result) {
            REQUIRE(std::chrono::steady_clock::now() < deadline);
            REQUIRE(loop->run_once(1000ms).has_value());
        }
        return *result;
    }
};

manifests::Probe exec_probe(std::vector<std::string> argv) {
    manifests::Probe p;
    p.kind = manifests::ProbeKind::exec;
    p.exec = std::move(argv);
    return p;
}

manifests::Probe net_probe(manifests::ProbeKind kind, int port) {
    manifests::Probe p;
    p.kind = kind;
    p.port = static_cast<std::uint16_t>(port);
    p.timeout = 5s;
    return p;
}

}  // namespace

TEST_CASE("an exec probe's result is its exit status and last line of output") {
    Harness h;
    RunningWorkload running(checker_workload({"sleep"}));
    auto joiner = isolation::Joiner::prepare(running.workload());
    REQUIRE(joiner.has_value());
    health::ProbeTarget target{&*joiner, running.process().pidfd.get(), -1};
    auto ok = h.run(exec_probe({"/bin/sh", "-c", "hostname"}), target);
    CHECK(ok.success);
    CHECK(ok.detail == "exit 0: checker");  // it ran inside: the workload's hostname
    auto bad =
        h.run(exec_probe({"/bin/sh", "-c", "echo checking; echo disk full >&2; exit 3"}), target);
    CHECK_FALSE(bad.success);
    CHECK(bad.detail == "exit 3: disk full");
    auto missing = h.run(exec_probe({"/no/such/check"}), target);
    CHECK_FALSE(missing.success);
    CHECK(missing.detail ==
          "checker: join failed at execve(/no/such/check): No such file or directory");
}

TEST_CASE("a hanging exec probe is killed at its timeout with everything it started") {
    Harness h;
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("probe-hang");
    REQUIRE(cgroup.has_value());
    auto probes = isolation::Cgroup::create(cgroup->path() + "/probe-liveness", true);
    REQUIRE(probes.has_value());
    RunningWorkload running(checker_workload({"sleep"}), cgroup->dir_fd());
    auto joiner = isolation::Joiner::prepare(running.workload());
    REQUIRE(joiner.has_value());
    auto probe = exec_probe({"/bin/sh", "-c", "sleep 1000 & sleep 1000 & wait"});
    probe.timeout = 500ms;
    auto result = h.run(probe, {&*joiner, running.process().pidfd.get(), probes->dir_fd()});
    CHECK_FALSE(result.success);
    CHECK(result.detail == "timed out after 500ms");
    // Nothing of the run is left: its cgroup empties (the kernel needs a moment after SIGKILL).
    REQUIRE(probes->wait_empty(30s).has_value());
    auto left = probes->procs();
    REQUIRE(left.has_value());
    CHECK(left->empty());
    CHECK(h.reaper.pending() == 0);
    // The workload itself was not touched.
    auto workload_procs = cgroup->procs();
    REQUIRE(workload_procs.has_value());
    CHECK(workload_procs->size() == 1);
}

TEST_CASE("a tcp probe reaches a port inside a network: none workload") {
    Harness h;
    const int port = free_port();
    RunningWorkload running(checker_workload({"listen", std::to_string(port)}));
    running.wait_for_line("listening");
    auto joiner = isolation::Joiner::prepare(running.workload());
    REQUIRE(joiner.has_value());
    health::ProbeTarget target{&*joiner, running.process().pidfd.get(), -1};
    auto open = h.run(net_probe(manifests::ProbeKind::tcp, port), target);
    CHECK(open.success);
    CHECK(open.detail == "connected to 127.0.0.1:" + std::to_string(port));
    auto closed =
        h.run(net_probe(manifests::ProbeKind::tcp, port + 1 == 65536 ? 1 : port + 1), target);
    CHECK_FALSE(closed.success);
    CHECK(closed.detail.ends_with(": Connection refused"));
}

TEST_CASE("an http probe sees 500, then 200, then a code outside its statuses") {
    Harness h;
    const int port = free_port();
    RunningWorkload running(checker_workload({"http", std::to_string(port), "500", "200", "204"}));
    running.wait_for_line("listening");
    auto joiner = isolation::Joiner::prepare(running.workload());
    REQUIRE(joiner.has_value());
    health::ProbeTarget target{&*joiner, running.process().pidfd.get(), -1};
    auto probe = net_probe(manifests::ProbeKind::http, port);
    probe.path = "/healthz";
    auto first = h.run(probe, target);
    CHECK_FALSE(first.success);
    CHECK(first.detail == "http 500");
    auto second = h.run(probe, target);
    CHECK(second.success);
    CHECK(second.detail == "http 200");
    probe.statuses = {200};
    auto third = h.run(probe, target);
    CHECK_FALSE(third.success);
    CHECK(third.detail == "http 204");
}

TEST_CASE("a notify workload is started on READY=1 and restarted when its pings stop") {
    Harness h;
    manifests::Workload w;
    w.metadata.name = "notifier";
    manifests::Probe startup;
    startup.kind = manifests::ProbeKind::notify;
    startup.interval = 200ms;
    startup.failure_threshold = 1000;
    manifests::Probe liveness;
    liveness.kind = manifests::ProbeKind::notify;
    liveness.watchdog = 300ms;
    liveness.interval = 100ms;
    liveness.failure_threshold = 2;
    w.spec.health.startup = startup;
    w.spec.health.liveness = liveness;
    std::vector<health::HealthDecision> decisions;
    std::vector<std::string> events;
    health::WorkloadProber prober(*h.loop, h.reaper, w, nullptr, {}, "",
                                  {[&](const health::HealthDecision& d) { decisions.push_back(d); },
                                   [&](const std::string& kind, const std::string& message) {
                                       events.push_back(kind + ": " + message);
                                   }});
    auto spin = [&](auto until) {
        auto deadline = std::chrono::steady_clock::now() + 60s;
        while (!until()) {
            REQUIRE(std::chrono::steady_clock::now() < deadline);
            REQUIRE(h.loop->run_once(50ms).has_value());
        }
    };
    // Not started before READY=1, however long that takes (the startup probe only fails).
    spin([&] { return !events.empty(); });
    CHECK(events.front() == "probe-failed: startup: no READY=1 received");
    CHECK(decisions.empty());
    CHECK(prober.health().status() == "starting");
    health::NotifyMessage ready;
    ready.ready = true;
    ready.status = "up";
    prober.notify(ready);
    REQUIRE(decisions.size() == 1);
    CHECK(decisions[0].kind == health::HealthDecision::Kind::started);
    // Pings keep it alive for a while: no decision.
    health::NotifyMessage ping;
    ping.watchdog_ping = true;
    for (int i = 0; i < 10; ++i) {
        prober.notify(ping);
        REQUIRE(h.loop->run_once(50ms).has_value());
    }
    CHECK(decisions.size() == 1);
    // Silence: restarted, with the reason.
    spin([&] { return decisions.size() == 2; });
    CHECK(decisions[1].kind == health::HealthDecision::Kind::restart);
    CHECK(decisions[1].message.starts_with("liveness failed: no WATCHDOG=1: none for "));
}

TEST_CASE("exec probe runs in a probe cgroup one after another all succeed") {
    Harness h;
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("probe-seq");
    REQUIRE(cgroup.has_value());
    auto probes = isolation::Cgroup::create(cgroup->path() + "/probe-liveness", true);
    REQUIRE(probes.has_value());
    RunningWorkload running(checker_workload({"sleep"}), cgroup->dir_fd());
    auto joiner = isolation::Joiner::prepare(running.workload());
    REQUIRE(joiner.has_value());
    for (int i = 0; i < 3; ++i) {
        auto result = h.run(exec_probe({"/bin/sh", "-c", "echo hi"}),
                            {&*joiner, running.process().pidfd.get(), probes->dir_fd()});
        INFO(i);
        CHECK(result.detail == "exit 0: hi");
    }
}
