// edgevisor-probe-bench (root): what probing costs.
//   1. one exec probe (`/bin/true` joined into a workload) vs one tcp probe (a connect in the
//      workload's network namespace): wall time per run, and CPU time per run of this process
//      plus every process the run created;
//   2. idle cost of probing many workloads: N workloads (default 50), each with a tcp
//      liveness probe every second, all probed by one event loop for --seconds: this
//      process's CPU time as a share of one core (the probes create no processes).
// Workloads are edgevisor-checker listeners in their own network namespace (network: none).
// README "Performance" has the figures.
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fcntl.h>
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <optional>

#include "edgevisor/health/probe_run.hpp"
#include "edgevisor/health/prober.hpp"
#include "edgevisor/isolation/launcher.hpp"
#include "stats.hpp"

using namespace edgevisor;
using namespace std::chrono_literals;

namespace {

double cpu_seconds(int who) {
    rusage u{};
    ::getrusage(who, &u);
    auto s = [](timeval t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return s(u.ru_utime) + s(u.ru_stime);
}

struct Workload {
    manifests::Workload spec;
    isolation::Process process;
    std::shared_ptr<const isolation::Joiner> joiner;
    int port = 0;
};

Workload start_listener(const std::string& checker, int index, int port) {
    Workload w;
    w.spec.metadata.name = "bench-" + std::to_string(index);
    w.spec.spec.command = {checker, "listen", std::to_string(port)};
    w.spec.spec.isolation.seccomp.profile = manifests::SeccompProfile::unconfined;
    UniqueFd null{::open("/dev/null", O_WRONLY | O_CLOEXEC)};
    isolation::LaunchRequest request;
    request.workload = &w.spec;
    request.stdout_fd = null.get();
    request.kill_when_caller_exits = true;
    auto process = isolation::Launcher().launch(request);
    if (!process) throw std::runtime_error(process.error().describe());
    w.process = std::move(*process);
    auto joiner = isolation::Joiner::prepare(w.spec);
    if (!joiner) throw std::runtime_error(joiner.error().describe());
    w.joiner = std::make_shared<isolation::Joiner>(std::move(*joiner));
    w.port = port;
    return w;
}

void stop(Workload& w) {
    ::syscall(SYS_pidfd_send_signal, w.process.pidfd.get(), SIGKILL, nullptr, 0);
    (void)isolation::wait_exit(w.process);
}

void print(const char* what, const bench::Spread& s, const char* unit) {
    std::printf("%-28s median %8.3f %s  p10 %8.3f  p90 %8.3f  (n=%zu)\n", what, s.median, unit,
                s.p10, s.p90, s.count);
}

void one_probe_costs(EventLoop& loop, health::Reaper& reaper, Workload& w, int rounds) {
    manifests::Probe exec;
    exec.kind = manifests::ProbeKind::exec;
    exec.exec = {"/bin/true"};
    exec.timeout = 10s;
    manifests::Probe tcp;
    tcp.kind = manifests::ProbeKind::tcp;
    tcp.port = static_cast<std::uint16_t>(w.port);
    tcp.timeout = 10s;
    health::ProbeTarget target{w.joiner.get(), w.process.pidfd.get(), -1};
    for (auto [name, probe] :
         {std::pair{"exec probe (/bin/true)", &exec}, std::pair{"tcp probe", &tcp}}) {
        std::vector<double> wall, cpu;
        for (int i = 0; i < rounds + 5; ++i) {
            std::optional<health::ProbeResult> result;
            double cpu0 = cpu_seconds(RUSAGE_SELF) + cpu_seconds(RUSAGE_CHILDREN);
            auto t0 = std::chrono::steady_clock::now();
            auto run = health::start_probe(loop, reaper, *probe, target,
                                           [&](health::ProbeResult r) { result = std::move(r); });
            while (!result) (void)loop.run_once(1000ms);
            auto t1 = std::chrono::steady_clock::now();
            double cpu1 = cpu_seconds(RUSAGE_SELF) + cpu_seconds(RUSAGE_CHILDREN);
            if (!result->success)
                throw std::runtime_error(std::string(name) + ": " + result->detail);
            if (i < 5) continue;  // warm-up
            wall.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
            cpu.push_back((cpu1 - cpu0) * 1000);
        }
        std::printf("%s:\n", name);
        print("  wall per run", bench::summarize(wall), "ms");
        print("  cpu per run (all processes)", bench::summarize(cpu), "ms");
    }
}

void idle_cost(EventLoop& loop, health::Reaper& reaper, std::vector<Workload>& workloads,
               int seconds) {
    std::vector<std::unique_ptr<health::WorkloadProber>> probers;
    std::size_t failures = 0, restarts = 0;
    for (auto& w : workloads) {
        manifests::Workload spec = w.spec;
        manifests::Probe tcp;
        tcp.kind = manifests::ProbeKind::tcp;
        tcp.port = static_cast<std::uint16_t>(w.port);
        tcp.interval = 1s;
        spec.spec.health.liveness = tcp;
        probers.push_back(std::make_unique<health::WorkloadProber>(
            loop, reaper, spec, w.joiner, health::ProbeTarget{nullptr, w.process.pidfd.get(), -1},
            "",
            health::ProberCallbacks{[&](const health::HealthDecision&) { ++restarts; },
                                    [&](const std::string& kind, const std::string&) {
                                        failures += kind == "probe-failed";
                                    }}));
    }
    for (int i = 0; i < 3; ++i) (void)loop.run_once(1000ms);  // settle
    double cpu0 = cpu_seconds(RUSAGE_SELF);
    auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(seconds))
        (void)loop.run_once(1000ms);
    double cpu = cpu_seconds(RUSAGE_SELF) - cpu0;
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf(
        "%zu workloads, a tcp probe each every 1 s, %d s: %.3f s cpu = %.2f%% of one core "
        "(%.1f us per probe; %zu failures, %zu restarts)\n",
        workloads.size(), seconds, cpu, 100 * cpu / wall,
        1e6 * cpu / (wall * static_cast<double>(workloads.size())), failures, restarts);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"edgevisor-probe-bench: the cost of exec and tcp probes"};
    std::string checker = EDGEVISOR_CHECKER_PATH;
    int rounds = 200, workloads = 50, seconds = 30;
    app.add_option("--checker", checker, "edgevisor-checker binary");
    app.add_option("--rounds", rounds, "runs of each probe kind");
    app.add_option("--workloads", workloads, "workloads for the idle measurement");
    app.add_option("--seconds", seconds, "length of the idle measurement");
    CLI11_PARSE(app, argc, argv);
    if (::geteuid() != 0) {
        std::fprintf(stderr, "edgevisor-probe-bench: needs root\n");
        return 1;
    }
    try {
        auto loop = EventLoop::create();
        if (!loop) throw std::runtime_error(loop.error().describe());
        health::Reaper reaper(**loop);
        std::vector<Workload> running;
        for (int i = 0; i < workloads; ++i)
            running.push_back(start_listener(checker, i, 20000 + i));
        ::usleep(300 * 1000);  // the listeners bind
        one_probe_costs(**loop, reaper, running.front(), rounds);
        idle_cost(**loop, reaper, running, seconds);
        for (auto& w : running) stop(w);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "edgevisor-probe-bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
