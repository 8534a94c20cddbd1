// A real edgevisord for a test: private temp dirs (config, manifests, state, runtime, logs), a
// cgroup subtree of its own (so tests run in parallel), started and stopped like a service.
// Everything is cleaned up in the destructor, even after a failed assertion: the daemon is
// killed, every process of the subtree is killed and the subtree removed.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace edgevisor::testing {

using Json = nlohmann::json;
using namespace std::chrono_literals;

class Daemon {
  public:
    // extra_config: YAML lines appended to the NodeConfig document (e.g. "supervisor: {...}");
    // node: the node section's flow map (several daemons of one fleet need their own ids);
    // log_level: log.level (tests read debug lines; a benchmark wants the shipped info). Not
    // in extra_config: the config reader takes the first of two `log` keys without a word.
    explicit Daemon(const std::string& extra_config = "",
                    const std::string& node = "{id: test-node}",
                    const std::string& log_level = "debug");
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    void start();  // forks and execs edgevisord --config
    // Another edgevisord file to exec (before start()), e.g. a private copy.
    void set_program(const std::string& path) { program_ = path; }
    // NAME=value for the daemon's environment (before start()).
    void set_env(const std::string& name, const std::string& value) {
        env_.push_back({name, value});
    }
    // The daemon's soft RLIMIT_NOFILE at exec (systemd gives services 1024), before start().
    void set_open_files_soft(unsigned long soft) { open_files_soft_ = soft; }
    int stop(int signal = SIGTERM, std::chrono::milliseconds deadline = 60s);  // exit status
    void kill9();                                                              // SIGKILL, reaped
    [[nodiscard]] bool running() const { return pid_ > 0; }
    [[nodiscard]] pid_t pid() const { return pid_; }

    // manifests dir helpers
    void write_manifest(const std::string& file, const std::string& text) const;
    void remove_manifest(const std::string& file) const;
    [[nodiscard]] std::string manifest_path(const std::string& file) const;

    // The status snapshot; empty object when not there (yet) or unreadable mid-test.
    [[nodiscard]] Json status() const;
    [[nodiscard]] std::optional<Json> workload(const std::string& name) const;
    // Polls the snapshot until pred holds (true) or the deadline passes (false).
    bool wait_for(const std::function<bool(const Json&)>& pred,
                  std::chrono::milliseconds deadline = 30s) const;
    bool wait_state(const std::string& name, const std::string& state,
                    std::chrono::milliseconds deadline = 30s) const;
    [[nodiscard]] std::string log_text(const std::string& name) const;
    [[nodiscard]] std::string daemon_output() const;  // edgevisord's stderr so far

    [[nodiscard]] const std::string& dir() const { return dir_; }
    [[nodiscard]] std::string cgroup_dir(const std::string& workload) const;
    [[nodiscard]] std::string subtree_dir() const;
    [[nodiscard]] std::vector<pid_t> cgroup_pids(const std::string& workload) const;
    // This daemon's edgevisor-fdholder (the process listening on <runtime>/fdholder.sock), or -1.
    [[nodiscard]] pid_t fd_holder_pid() const;

  private:
    std::string dir_, subtree_, config_path_;
    std::string program_ = EDGEVISOR_EDGEVISORD;
    pid_t pid_ = -1;
    std::vector<std::pair<std::string, std::string>> env_;
    unsigned long open_files_soft_ = 0;
};

// Open descriptors of a process (its /proc/PID/fd entries).
std::size_t open_fd_count(pid_t pid);

// The cgroup2 mount point of this host ("/sys/fs/cgroup/unified" here).
std::string cgroup2_mount();
bool path_exists(const std::string& path);
// A process that exists and is not a zombie waiting for its parent.
bool process_alive(pid_t pid);
std::string read_text_file(const std::string& path);
// A Workload document with the given name and spec lines (indented under spec:).
std::string workload_yaml(const std::string& name, const std::string& spec_lines);

}  // namespace edgevisor::testing
