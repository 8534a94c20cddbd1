// org.edgevisor.Supervisor1: the supervisor on the local D-Bus (the contract is
// telemetry/dbus/org.edgevisor.Supervisor1.xml). The service runs inside the daemon's event
// loop, with no thread of its own: the loop waits on poll_data() and calls process().
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "edgevisor/error.hpp"
#include "edgevisor/telemetry/control.hpp"

namespace edgevisor::telemetry::dbus {

inline constexpr const char* kServiceName = "org.edgevisor.Supervisor1";
inline constexpr const char* kManagerPath = "/org/edgevisor/Supervisor1";
inline constexpr const char* kManagerInterface = "org.edgevisor.Supervisor1";
inline constexpr const char* kWorkloadInterface = "org.edgevisor.Supervisor1.Workload";
inline constexpr const char* kWorkloadPathPrefix = "/org/edgevisor/Supervisor1/workload";

// The node config's `dbus:` section.
struct BusConfig {
    std::string bus = "system";  // system | session | a D-Bus address (unix:path=...)
    // Members of this group (and root) may call the mutating methods; "" means root only.
    std::string admin_group = "edgevisor";
};

// "system", "session" and D-Bus addresses as a user reads them: "the system bus",
// "the session bus", "the bus at unix:path=/tmp/x".
std::string describe_bus(std::string_view bus);

// The workload's object path: kWorkloadPathPrefix/<name escaped as systemd escapes unit
// names> (sd_bus_path_encode).
std::string workload_path(std::string_view name);

// What the event loop waits for: fd readable (and writable when `events` has POLLOUT), or the
// deadline. sd-bus changes all three as messages come and go (a queued reply needs POLLOUT, a
// pending method call has a timeout, a message already read has deadline "now"), so the loop
// must call poll_data() again before every wait.
struct PollData {
    int fd = -1;
    short events = 0;  // poll(2) bits: POLLIN, POLLOUT (equal to EPOLLIN, EPOLLOUT)
    // CLOCK_MONOTONIC (steady_clock on Linux); nullopt: no deadline.
    std::optional<std::chrono::steady_clock::time_point> deadline;
    // For poll(2): -1 none, 0 now, else milliseconds from now (rounded up).
    [[nodiscard]] int poll_timeout_ms() const;
};

class Service final : public Observer {
  public:
    // Connects to the configured bus, publishes the objects for control.status()'s workloads
    // and takes the name kServiceName. Errors: no bus, the name owned by another process, or
    // refused by the bus policy.
    static Result<std::unique_ptr<Service>> open(Control& control, const BusConfig& config);
    ~Service() override;
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    [[nodiscard]] Result<PollData> poll_data() const;
    // Handles what is pending (at most a batch per call, so one busy client cannot hold the
    // loop: when more is queued, poll_data() says "now"). An error means the connection is
    // gone (the bus daemon exited); the service is then useless and the caller logs it.
    Status process();
    // Before every wait: sends the log lines collected for followers during this iteration,
    // and the Conflicts property when a layer-conflict event said it changed.
    void flush();

    // Observer: keeps the objects and their properties current and emits the signals.
    void workload_changed(const WorkloadStatus& status) override;
    void workload_removed(std::string_view name) override;
    void event(const Event& event) override;
    void log_line(std::string_view workload, std::string_view line) override;

  private:
    struct Impl;
    explicit Service(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace edgevisor::telemetry::dbus
