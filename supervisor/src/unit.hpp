// One workload as the supervisor runs it. Desired ("want") and actual (state, process) are
// separate fields, as s6 keeps flagwantup beside its state: the planner writes want and spec,
// the state machine acts on events.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "desired.hpp"
#include "edgevisor/event_loop.hpp"
#include "edgevisor/health/prober.hpp"
#include "edgevisor/health/resources.hpp"
#include "edgevisor/isolation/cgroup.hpp"
#include "edgevisor/isolation/join.hpp"
#include "edgevisor/isolation/launcher.hpp"
#include "lifecycle.hpp"
#include "log_capture.hpp"

namespace edgevisor::supervisor {

struct Unit {
    explicit Unit(DesiredWorkload desired_spec, const std::string& log_dir)
        : desired(std::move(desired_spec)),
          log_file(log_dir + "/" + desired.workload.metadata.name + ".log",
                   desired.workload.spec.logs.max_size, desired.workload.spec.logs.max_files),
          capture(log_file) {}

    [[nodiscard]] const std::string& name() const { return desired.workload.metadata.name; }
    [[nodiscard]] const manifests::WorkloadSpec& spec() const { return desired.workload.spec; }

    // want
    DesiredWorkload desired;              // the spec it runs (or will run)
    std::optional<DesiredWorkload> next;  // replace pending: runs once this one is stopped
    bool want_up = true;
    bool remove = false;             // delete once down
    bool restart_requested = false;  // Control::restart: up again once down
    bool down_deferred = false;      // want_down waits for dependents to stop first

    // actual
    State state = State::pending;
    std::int64_t since_unix_ms = 0;
    std::optional<isolation::Cgroup> cgroup;
    isolation::Process process;
    // While starting: the child's setup report (launcher.hpp) and its log pipes' read ends,
    // attached once it has exec'd.
    UniqueFd start_report, start_out, start_err;
    Source start_source;
    bool adopted = false;  // not our child: no exit status to collect
    Source exit_source, timer;
    LogFile log_file;
    LogCapture capture;
    std::chrono::steady_clock::time_point run_started{};
    std::uint32_t restarts = 0;
    std::uint32_t quick_failures = 0;
    std::string last_exit;
    std::string message;

    // health (health.cpp)
    std::shared_ptr<const isolation::Joiner> joiner;  // prepared at the first probe run
    std::unique_ptr<health::WorkloadProber> prober;   // while a run is up
    UniqueFd notify_fd;                               // <runtime>/notify/<name>/notify.sock
    Source notify_source;
    std::string kill_reason;           // a probe ended the run: becomes last_exit
    std::uint64_t oom_kills_seen = 0;  // memory.events oom_kill already reported
    struct Sampling {
        isolation::CgroupStatsReader reader;
        health::ResourceSample last;
        isolation::CgroupStats last_stats;
        bool have = false;
        health::WarningTracker warnings;
    };
    std::unique_ptr<Sampling> sampling;
    std::optional<health::ResourceSample> sample;  // the latest, for status
};

}  // namespace edgevisor::supervisor
