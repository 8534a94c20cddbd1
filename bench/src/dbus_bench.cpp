// The D-Bus benchmark (README "Performance"): `edgectl status` end to end (two processes:
// edgectl execs edgectl-dbus, which connects, reads the node's properties and ListWorkloads,
// and prints the table) against org.edgevisor.Supervisor1 on a private dbus-daemon, with 10
// and with 1000 workloads; and the same two calls made in-process (telemetry/dbus's Client),
// which is the bus's and the service's share. The service runs as in the daemon (poll data
// re-read before every wait, then process()) on a thread, over a Control that holds N
// synthetic workloads: what is timed is the bus, the adapter and edgectl, not the supervisor.
// Not a test: nothing asserts a time.
//
//   edgevisor-dbus-bench [-n ROUNDS] [--edgectl PATH] [--workloads N...]
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "edgevisor/telemetry/dbus.hpp"
#include "edgevisor/telemetry/dbus_client.hpp"
#include "edgevisor/unique_fd.hpp"
#include "stats.hpp"

namespace {

using namespace edgevisor;

class SyntheticControl final : public telemetry::Control {
  public:
    explicit SyntheticControl(std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            telemetry::WorkloadStatus s;
            char name[32];
            std::snprintf(name, sizeof name, "workload-%04zu", i);
            s.name = name;
            s.state = "running";
            s.health = i % 2 ? "healthy" : "";
            s.layer = "files";
            s.spec_hash = std::string(64, 'a');
            s.pid = static_cast<std::int64_t>(10000 + i);
            s.since_unix_ms = 1700000000000;
            s.cpu_usec = 123456;
            s.cpu_cores = 0.01;
            s.memory_bytes = 3u << 20;
            s.pids = 2;
            node_.workloads.push_back(s);
        }
        node_.node_id = "bench-node";
        node_.version = "bench";
        node_.layers.push_back({"files", 1, count, {}});
    }
    [[nodiscard]] telemetry::NodeStatus status() const override { return node_; }
    telemetry::ApplyResult apply(const telemetry::ApplyRequest&) override { return {}; }
    Status remove(std::string_view) override { return {}; }
    Status start(std::string_view) override { return {}; }
    Status stop(std::string_view) override { return {}; }
    Status restart(std::string_view) override { return {}; }
    [[nodiscard]] std::vector<telemetry::Event> events(std::uint64_t, std::size_t) const override {
        return {};
    }
    [[nodiscard]] Result<std::vector<std::string>> logs(std::string_view,
                                                        std::size_t) const override {
        return std::vector<std::string>{};
    }

  private:
    telemetry::NodeStatus node_;
};

// The service on a thread of its own, served as the daemon's loop serves it.
class ServiceLoop {
  public:
    ServiceLoop(telemetry::Control& control, const std::string& address) {
        auto service = telemetry::dbus::Service::open(control, {address, ""});
        if (!service) {
            std::fprintf(stderr, "dbus-bench: %s\n", service.error().describe().c_str());
            std::exit(1);
        }
        service_ = std::move(*service);
        thread_ = std::thread([this] {
            while (!stop_) {
                auto data = service_->poll_data();
                if (!data) return;
                pollfd fds[2] = {{data->fd, data->events, 0}, {wake_.get(), POLLIN, 0}};
                ::poll(fds, 2, data->poll_timeout_ms());
                (void)service_->process();
            }
        });
    }
    ~ServiceLoop() {
        stop_ = true;
        std::uint64_t one = 1;
        (void)!::write(wake_.get(), &one, sizeof one);
        thread_.join();
    }

  private:
    std::unique_ptr<telemetry::dbus::Service> service_;
    UniqueFd wake_{::eventfd(0, EFD_CLOEXEC)};
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// A dbus-daemon with the system bus's policy and ours (the tests' configuration).
struct PrivateBus {
    std::filesystem::path dir;
    pid_t pid = -1;
    std::string address;

    PrivateBus() {
        std::string pattern = "/tmp/edgevisor-dbus-bench-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) std::exit(1);
        dir = pattern;
        std::ifstream in(EDGEVISOR_SOURCE_DIR "/systemd/private-system-bus.conf.in");
        std::stringstream text;
        text << in.rdbuf();
        std::string config = text.str();
        const std::string socket = (dir / "bus").string();
        config.replace(config.find("@SOCKET@"), 8, socket);
        const std::string policy = EDGEVISOR_SOURCE_DIR "/systemd/org.edgevisor.Supervisor1.conf";
        config.replace(config.find("@POLICY@"), 8, policy);
        std::ofstream(dir / "bus.conf") << config;
        address = "unix:path=" + socket;
        int fds[2];
        if (::pipe(fds) != 0) std::exit(1);
        pid = ::fork();
        if (pid == 0) {
            ::dup2(fds[1], STDOUT_FILENO);
            const std::string arg = "--config-file=" + (dir / "bus.conf").string();
            ::execlp("dbus-daemon", "dbus-daemon", "--nofork", "--print-address=1", arg.c_str(),
                     static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(fds[1]);
        char line[512];
        if (::read(fds[0], line, sizeof line) <= 0) {
            std::fprintf(stderr, "dbus-bench: dbus-daemon did not start\n");
            std::exit(1);
        }
        ::close(fds[0]);
    }
    ~PrivateBus() {
        ::kill(pid, SIGTERM);
        ::waitpid(pid, nullptr, 0);
        std::filesystem::remove_all(dir);
    }
};

struct Sample {
    double wall_ms = 0;
    double cpu_ms = 0;
};

// One `edgectl ...` from spawn to exit; its CPU from wait4 (edgectl execs edgectl-dbus in the
// same process, so that is all of it; not the service's or the bus daemon's).
Sample time_edgectl(const std::vector<std::string>& args, int null_fd) {
    std::vector<char*> argv;
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, null_fd, STDOUT_FILENO);
    const auto start = std::chrono::steady_clock::now();
    pid_t pid = -1;
    if (::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
        std::fprintf(stderr, "dbus-bench: cannot run %s\n", argv[0]);
        std::exit(1);
    }
    int status = 0;
    rusage usage{};
    ::wait4(pid, &status, 0, &usage);
    const auto end = std::chrono::steady_clock::now();
    posix_spawn_file_actions_destroy(&actions);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "dbus-bench: edgectl status failed (status %d)\n", status);
        std::exit(1);
    }
    auto ms = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3;
    };
    return {std::chrono::duration<double, std::milli>(end - start).count(),
            ms(usage.ru_utime) + ms(usage.ru_stime)};
}

double in_process_ms(telemetry::dbus::Client& client) {
    const auto start = std::chrono::steady_clock::now();
    auto node = client.status();
    const auto end = std::chrono::steady_clock::now();
    if (!node) {
        std::fprintf(stderr, "dbus-bench: %s\n", node.error().describe().c_str());
        std::exit(1);
    }
    return std::chrono::duration<double, std::milli>(end - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = 100;
    std::string edgectl = EDGEVISOR_EDGECTL_PATH;
    std::vector<std::size_t> sizes;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "-n" && i + 1 < argc)
            rounds = std::atoi(argv[++i]);
        else if (arg == "--edgectl" && i + 1 < argc)
            edgectl = argv[++i];
        else if (arg == "--workloads")
            while (i + 1 < argc && argv[i + 1][0] != '-')
                sizes.push_back(static_cast<std::size_t>(std::atol(argv[++i])));
        else {
            std::fprintf(stderr,
                         "usage: edgevisor-dbus-bench [-n ROUNDS] [--edgectl PATH] "
                         "[--workloads N...]\n");
            return 2;
        }
    }
    if (sizes.empty()) sizes = {10, 1000};
    UniqueFd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));

    std::printf(
        "| workloads | edgectl status wall ms median [p10 p90] | CPU ms of edgectl "
        "median [p10 p90] | status() in-process ms median [p10 p90] |\n");
    std::printf("| --- | --- | --- | --- |\n");
    for (std::size_t size : sizes) {
        PrivateBus bus;
        SyntheticControl control(size);
        ServiceLoop loop(control, bus.address);
        auto client = telemetry::dbus::Client::connect(bus.address);
        if (!client) return 1;
        const std::vector<std::string> command = {edgectl, "--bus", bus.address, "status"};
        std::vector<double> wall, cpu, inside;
        for (int round = -5; round < rounds; ++round) {
            const Sample sample = time_edgectl(command, null.get());
            const double in_ms = in_process_ms(**client);
            if (round < 0) continue;  // warm-up
            wall.push_back(sample.wall_ms);
            cpu.push_back(sample.cpu_ms);
            inside.push_back(in_ms);
        }
        const auto w = bench::summarize(wall), c = bench::summarize(cpu),
                   s = bench::summarize(inside);
        std::printf("| %zu | %.2f [%.2f %.2f] | %.2f [%.2f %.2f] | %.2f [%.2f %.2f] |\n", size,
                    w.median, w.p10, w.p90, c.median, c.p10, c.p90, s.median, s.p10, s.p90);
        std::fflush(stdout);
    }
    return 0;
}
