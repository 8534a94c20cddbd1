// A client of org.edgevisor.Supervisor1 (what edgectl uses; any D-Bus client can do the same).
// Blocking calls on one connection of its own; signals are collected by wait().
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/telemetry/control.hpp"

namespace edgevisor::telemetry::dbus {

// Error::step of a failed call, so that a caller can pick its exit status.
namespace client_error {
inline constexpr const char* kNotRunning = "not-running";  // no bus, or no edgevisord on it
inline constexpr const char* kAccessDenied = "access-denied";
inline constexpr const char* kNoSuchWorkload = "no-such-workload";
inline constexpr const char* kInvalidArgs = "invalid-args";
inline constexpr const char* kFailed = "failed";  // the daemon could not do it, or the bus broke
}  // namespace client_error

// What wait() saw.
struct Notification {
    enum class Kind { workload_changed, workload_removed, event, log_lines, daemon_gone };
    Kind kind = Kind::event;
    std::string workload;            // workload_changed, workload_removed, log_lines
    Event event;                     // event
    std::vector<std::string> lines;  // log_lines
};

// One Exec call (the XML says what each field means).
struct ExecCall {
    std::string workload;
    std::vector<std::string> argv;
    std::vector<std::string> env;
    int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
    bool tty = false;  // stdin_fd is a pty slave the caller relays
};

// The connection's fd as poll(2) wants it, for a caller that waits on other fds too.
struct BusPoll {
    int fd = -1;
    short events = 0;
    int timeout_ms = -1;  // -1: no deadline
};

class Client {
  public:
    // `bus`: system, session or a D-Bus address. The connection alone does not tell whether
    // edgevisord runs: the first call does (client_error::kNotRunning).
    static Result<std::unique_ptr<Client>> connect(const std::string& bus);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    [[nodiscard]] const std::string& bus() const;

    // Properties (with conflicts and the node's figures) and every workload, in two calls.
    Result<NodeStatus> status();
    Result<WorkloadStatus> workload(const std::string& name);
    Result<ApplyResult> apply(const std::string& text, const std::string& source, bool dry_run);
    Status remove(const std::string& name);
    Status start(const std::string& name);
    Status stop(const std::string& name);
    Status restart(const std::string& name);
    Result<std::vector<Event>> events(std::uint64_t after_seq, std::uint32_t max);
    Result<std::vector<std::string>> logs(const std::string& name, std::uint32_t lines);
    // The last `lines` lines, and from then on every new line of the workload through wait()
    // (Notification::Kind::log_lines); call subscribe() first.
    Result<std::vector<std::string>> follow_logs(const std::string& name, std::uint32_t lines);

    // Sends Exec and returns at once (the fds are copied into the message); the command's end
    // comes through exec_result(), which the caller calls whenever bus_poll() is ready.
    Status start_exec(const ExecCall& call);
    [[nodiscard]] Result<BusPoll> bus_poll() const;
    // Handles what arrived; the command's end once the reply came, nullopt before.
    Result<std::optional<ExecEnd>> exec_result();

    // Subscribes to the service's signals (and to its name's owner, to see it go); wait()
    // then returns what arrived within `timeout` (empty when nothing did).
    Status subscribe();
    Result<std::vector<Notification>> wait(std::chrono::milliseconds timeout);

  private:
    struct Impl;
    explicit Client(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace edgevisor::telemetry::dbus
