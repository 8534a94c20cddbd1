// All probes of one running workload on the event loop: a timer per active probe, its runs,
// the notify state (READY=1, WATCHDOG=1, ...) fed from the workload's notify socket, and the
// decisions (restart, ready, unready) handed to the daemon. Destroying the prober cancels
// everything (runs are killed, their processes reaped by the Reaper).
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "edgevisor/event_loop.hpp"
#include "edgevisor/health/notify.hpp"
#include "edgevisor/health/probe_run.hpp"
#include "edgevisor/health/probe_state.hpp"

namespace edgevisor::health {

struct ProberCallbacks {
    // A decision of WorkloadHealth (restart, ready, unready, started). The prober may be
    // destroyed inside this call.
    std::function<void(const HealthDecision&)> decided;
    // Something to record: kind ("probe-failed", "probe-passed", "notify"), message.
    std::function<void(const std::string& kind, const std::string& message)> event;
};

class WorkloadProber {
  public:
    // target.cgroup_fd: the workload's cgroup (-1: none); exec runs get a cgroup per role
    // below it ("probe-liveness"), created on first use.
    WorkloadProber(EventLoop& loop, Reaper& reaper, const manifests::Workload& workload,
                   std::shared_ptr<const isolation::Joiner> joiner, ProbeTarget target,
                   std::string cgroup_path, ProberCallbacks callbacks);
    ~WorkloadProber();
    WorkloadProber(const WorkloadProber&) = delete;
    WorkloadProber& operator=(const WorkloadProber&) = delete;

    // A notification from the workload (its sender already checked).
    void notify(const NotifyMessage& message);
    // A workload adopted after a daemon restart sent READY=1 to the previous daemon.
    void assume_ready();

    [[nodiscard]] const WorkloadHealth& health() const { return health_; }
    [[nodiscard]] bool uses_notify() const;

  private:
    struct Slot {
        Source timer;
        std::unique_ptr<ProbeRun> run;
        UniqueFd cgroup;  // exec only
        std::string cgroup_name;
        EventLoop::Clock::time_point started{};
        bool failing = false;  // in a streak of failures (for the event)
        std::string failing_cause;
    };
    Slot& slot(ProbeRole role) { return slots_[static_cast<std::size_t>(role)]; }
    void schedule(ProbeRole role, EventLoop::Clock::time_point at);
    Status fire(ProbeRole role);
    ProbeResult notify_result(ProbeRole role, const manifests::Probe& probe) const;
    // Records a result; returns false when the prober may have been destroyed.
    bool record(ProbeRole role, const ProbeResult& result);
    void start_others();
    void probe_cgroup(ProbeRole role);
    void retire_cgroup(Slot& s);
    std::vector<std::string> retired_;  // killed probe cgroups, removed once empty
    unsigned cgroup_serial_ = 0;

    EventLoop& loop_;
    Reaper& reaper_;
    std::string name_;
    WorkloadHealth health_;
    std::shared_ptr<const isolation::Joiner> joiner_;
    ProbeTarget target_;
    std::string cgroup_path_;
    ProberCallbacks callbacks_;
    std::array<Slot, 3> slots_;
    // notify state
    bool notified_ready_ = false;
    EventLoop::Clock::time_point last_ping_{};
    std::optional<std::chrono::microseconds> watchdog_override_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace edgevisor::health
