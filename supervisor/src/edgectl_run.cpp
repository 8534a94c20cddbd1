// edgectl run FILE.yaml [--name NAME] [--stop-timeout 10s] [--state-dir DIR] [-- ARGS]
//
// Runs one workload in the foreground with its full isolation, like `systemd-run --wait` or
// nsjail: forwards SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 to it, and exits with its
// status (128+N when killed by signal N). Exit codes of its own, as docker/podman use them:
// 125 = invalid manifest or a start failure before execve (the message names the step),
// 126 = the command cannot be executed, 127 = the command does not exist.
//
// A workload in a pid namespace is its pid 1, and the kernel drops signals to an init that has
// no handler for them: so a forwarded SIGINT/SIGTERM starts a grace period (--stop-timeout)
// after which the workload gets SIGKILL, which always works.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "edgectl_commands.hpp"
#include "edgectl_run_cgroup.hpp"
#include "edgevisor/helper_program.hpp"
#include "edgevisor/isolation/id_pool.hpp"
#include "edgevisor/isolation/launcher.hpp"
#include "edgevisor/manifests/manifests.hpp"
#include "edgevisor/manifests/node_config.hpp"
#include "edgevisor/manifests/units.hpp"

namespace edgevisor::edgectl {
namespace {

constexpr int kExitInvalid = 125;
constexpr int kExitStartFailed = 125;
constexpr int kExitCannotExecute = 126;
constexpr int kExitNotFound = 127;

int start_failure_code(const Error& error) {
    if (error.step != "execve") return kExitStartFailed;
    return error.code == ENOENT ? kExitNotFound : kExitCannotExecute;
}
constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

struct RunOptions {
    std::string file;
    std::string name;
    std::string stop_timeout = "10s";
    std::vector<std::string> args;
    bool allow_missing_controllers = false;
    std::string config;     // the node config; empty: /etc/edgevisor/edgevisor.yaml if it exists
    std::string state_dir;  // holds the node's id range pool; empty: the node config's
};

constexpr const char* kDefaultConfig = "/etc/edgevisor/edgevisor.yaml";

// The node config edgevisord reads (for its idPool and paths.state: a workload keeps its host
// ids whichever of the two starts it). No --config and no file: the embedded defaults.
std::optional<manifests::NodeConfig> node_config(const RunOptions& options) {
    if (options.config.empty() && !std::filesystem::exists(kDefaultConfig))
        return manifests::NodeConfig{};
    auto loaded =
        manifests::load_node_config(options.config.empty() ? kDefaultConfig : options.config);
    for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.format().c_str());
    if (!loaded.ok()) return std::nullopt;
    return loaded.config;
}

int status_to_exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return kExitStartFailed;
}

// Picks the workload: the only one in the file, or the one named --name among several.
// With a single workload, --name renames it (to run a second copy beside the first).
const manifests::Workload* select_workload(manifests::LoadResult& loaded, const std::string& name) {
    if (loaded.workloads.size() == 1) {
        if (!name.empty()) loaded.workloads.front().metadata.name = name;
        return &loaded.workloads.front();
    }
    for (auto& w : loaded.workloads)
        if (!name.empty() && w.metadata.name == name) return &w;
    std::fprintf(stderr, "edgectl run: %s holds %zu workloads; pick one with --name\n",
                 loaded.workloads.empty() ? "" : "the file", loaded.workloads.size());
    return nullptr;
}

void fail_message(const std::string& text) {
    std::fprintf(stderr, "edgectl run: %s\n", text.c_str());
}

// A workload killed by a signal says which, as a shell would; SIGSYS is how seccomp's
// kill-process action ends a process, so it is named as such.
void report_signal_death(const std::string& name, int status) {
    if (!WIFSIGNALED(status)) return;
    int sig = WTERMSIG(status);
    const char* abbrev = ::sigabbrev_np(sig);
    std::fprintf(stderr, "edgectl run: %s: killed by signal %d (SIG%s)%s\n", name.c_str(), sig,
                 abbrev != nullptr ? abbrev : "?",
                 sig == SIGSYS ? ": a seccomp rule refused a system call" : "");
}

// Forwards signals until the workload exits; returns its wait status.
Result<int> supervise(const isolation::Process& process, int signal_fd,
                      std::chrono::milliseconds grace) {
    UniqueFd timer{::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)};
    if (!timer) return fail_errno("timerfd", "timerfd_create");
    bool grace_started = false;
    for (;;) {
        pollfd fds[3] = {
            {process.pidfd.get(), POLLIN, 0}, {signal_fd, POLLIN, 0}, {timer.get(), POLLIN, 0}};
        if (::poll(fds, 3, -1) < 0) {
            if (errno == EINTR) continue;
            return fail_errno("poll", "poll");
        }
        if (fds[0].revents != 0) return isolation::wait_exit(process);
        if (fds[1].revents & POLLIN) {
            signalfd_siginfo info{};
            if (::read(signal_fd, &info, sizeof info) != sizeof info) continue;
            int sig = static_cast<int>(info.ssi_signo);
            ::syscall(SYS_pidfd_send_signal, process.pidfd.get(), sig, nullptr, 0);
            if ((sig == SIGINT || sig == SIGTERM) && !grace_started) {
                grace_started = true;
                itimerspec when{};
                when.it_value.tv_sec = static_cast<time_t>(grace.count() / 1000);
                when.it_value.tv_nsec = static_cast<long>((grace.count() % 1000) * 1000000);
                if (grace.count() == 0) when.it_value.tv_nsec = 1;
                ::timerfd_settime(timer.get(), 0, &when, nullptr);
            }
        }
        if (fds[2].revents & POLLIN) {
            std::uint64_t expirations = 0;
            (void)::read(timer.get(), &expirations, sizeof expirations);
            ::syscall(SYS_pidfd_send_signal, process.pidfd.get(), SIGKILL, nullptr, 0);
        }
    }
}

// The workload's host id range for one run, from the node's pool (shared with edgevisord). The
// daemon's workload of that name lends its range; otherwise one is taken until the run is over
// (in the runtime directory: no fsync), so that one-off names do not fill the pool. Declared
// before the run's cgroup: given back only once that is gone.
class RunIdRange {
  public:
    RunIdRange(const manifests::NodeConfig& node, const std::string& state_dir)
        : pool_(node.id_pool, std::filesystem::path(state_dir) / "idranges",
                std::filesystem::path(node.paths.runtime) / "idranges") {}
    RunIdRange(const RunIdRange&) = delete;
    RunIdRange& operator=(const RunIdRange&) = delete;
    ~RunIdRange() {
        if (name_.empty()) return;
        if (auto st = pool_.release(name_, isolation::Keep::until_reboot); !st)
            fail_message(name_ + ": giving its id range back: " + st.error().describe());
    }

    Result<isolation::IdRange> acquire(const std::string& name) {
        auto range = pool_.acquire(name, isolation::Keep::until_reboot);
        if (range) name_ = name;
        return range;
    }

  private:
    isolation::IdRangePool pool_;
    std::string name_;
};

int run(const RunOptions& options) {
    auto grace = manifests::parse_duration(options.stop_timeout);
    if (!grace) {
        fail_message("--stop-timeout: " + grace.error().describe());
        return kExitInvalid;
    }
    // One workload runs on its own here: its dependsOn may name workloads of other files.
    auto loaded = manifests::load_paths({options.file}, {}, manifests::Dependencies::ignore);
    if (!loaded.ok()) {
        for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.format().c_str());
        return kExitInvalid;
    }
    const auto* workload = select_workload(loaded, options.name);
    if (workload == nullptr) return kExitInvalid;
    auto node = node_config(options);
    if (!node) return kExitInvalid;
    const std::string state_dir = options.state_dir.empty() ? node->paths.state : options.state_dir;
    if (!workload->spec.depends_on.empty())
        std::fprintf(stderr, "edgectl run: %s: dependsOn is not waited for by edgectl run\n",
                     workload->metadata.name.c_str());

    // Blocked before the launch, so a Ctrl-C during start-up waits in the signalfd and is
    // forwarded once the workload exists (the launcher resets the child's mask).
    sigset_t forwarded;
    ::sigemptyset(&forwarded);
    for (int sig : kForwarded) ::sigaddset(&forwarded, sig);
    ::sigprocmask(SIG_BLOCK, &forwarded, nullptr);
    UniqueFd signal_fd{::signalfd(-1, &forwarded, SFD_CLOEXEC)};
    if (!signal_fd) {
        fail_message(fail_errno("signalfd", "signalfd").error().describe());
        return kExitStartFailed;
    }

    RunIdRange id_range(*node, state_dir);
    // The workload's own cgroup (limits applied); removed with all it holds when run() returns.
    auto cgroup = prepare_run_cgroup(*workload, options.allow_missing_controllers);
    if (!cgroup) {
        fail_message(workload->metadata.name + ": start failed: " + cgroup.error().describe());
        return kExitStartFailed;
    }
    isolation::LaunchRequest request;
    request.workload = workload;
    if (isolation::needs_id_range(*workload)) {
        auto range = id_range.acquire(workload->metadata.name);
        if (!range) {
            fail_message(workload->metadata.name + ": start failed at " + range.error().describe());
            return kExitStartFailed;
        }
        request.id_range = *range;
    }
    request.cgroup_fd = cgroup->cgroup.dir_fd();
    request.extra_args = options.args;
    request.stdin_fd = 0;  // foreground: the user's stdin (setsid keeps TIOCSTI away from the tty)
    request.kill_when_caller_exits = true;
    isolation::LauncherOptions launcher_options;
    launcher_options.init_path = helper_program("edgevisor-init");
    if (std::ranges::find(launcher_options.supervisor_paths, state_dir) ==
        launcher_options.supervisor_paths.end())
        launcher_options.supervisor_paths.push_back(state_dir);
    isolation::Launcher launcher(launcher_options);
    auto process = launcher.launch(request);
    if (!process) {
        fail_message(process.error().describe());
        return start_failure_code(process.error());
    }
    auto status = supervise(*process, signal_fd.get(), *grace);
    if (!status) {
        fail_message(status.error().describe());
        ::syscall(SYS_pidfd_send_signal, process->pidfd.get(), SIGKILL, nullptr, 0);
        return kExitStartFailed;
    }
    finish_run_cgroup(*cgroup);  // what the workload left behind (daemonised children) dies too
    report_signal_death(workload->metadata.name, *status);
    return status_to_exit_code(*status);
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
    auto options = std::make_shared<RunOptions>();
    auto* cmd = app.add_subcommand(
        "run", "Run one workload from a manifest in the foreground, with its full isolation");
    cmd->add_option("file", options->file, "manifest file (YAML)")->required();
    cmd->add_option(
        "--name", options->name,
        "run under this name (one workload in FILE), or pick this workload (several in FILE)");
    cmd->add_option("--stop-timeout", options->stop_timeout,
                    "after forwarding SIGINT/SIGTERM, SIGKILL the workload when it has not exited "
                    "within this")
        ->capture_default_str();
    cmd->add_option("--config", options->config,
                    "the node config whose idPool and paths.state are used (default: "
                    "/etc/edgevisor/edgevisor.yaml when it exists, else the built-in defaults)");
    cmd->add_option("--state-dir", options->state_dir,
                    "the node's state directory (default: the node config's paths.state, "
                    "/var/lib/edgevisor): the id range pool of the workloads' user namespaces is "
                    "its file 'idranges' (shared with edgevisord)");
    cmd->add_option("args", options->args, "appended to the manifest's command (after --)");
    cmd->add_flag("--allow-missing-controllers", options->allow_missing_controllers,
                  "run without a resource limit whose cgroup controller is not available (warn) "
                  "instead of failing");
    cmd->callback([options, &exit_code] { exit_code = run(*options); });
}

}  // namespace edgevisor::edgectl
