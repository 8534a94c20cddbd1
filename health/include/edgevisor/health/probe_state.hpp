// The state of a workload's probes, counted against their thresholds, and what the daemon
// must do about a result. Pure: results come in, decisions come out; the runners (exec, tcp,
// http, notify) and the loop are elsewhere.
//
// Roles (as Kubernetes defines them):
//   startup    runs first; the others start after its first success. failureThreshold
//              failures in a row end the attempt (the workload is restarted by its policy).
//   liveness   failureThreshold failures in a row restart the workload: "liveness failed:
//              <last output or error>".
//   readiness  gates dependents (condition: healthy) and the reported health; never restarts.
//              Not ready until successThreshold successes in a row.
// A probe's first run is initialDelay after the workload started (after startup succeeded,
// for liveness and readiness); the next one starts interval after the previous one started,
// never while it still runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "edgevisor/manifests/spec.hpp"

namespace edgevisor::health {

enum class ProbeRole { startup, liveness, readiness };
[[nodiscard]] const char* role_name(ProbeRole role);

// One probe's consecutive results against its thresholds.
class ProbeCounter {
  public:
    ProbeCounter(ProbeRole role, const manifests::Probe& probe);

    enum class Change { none, passed, failed };  // the verdict flipped to passing / failing
    Change record(bool success);

    // nullopt: no verdict yet (startup and readiness before their thresholds are met; liveness
    // starts as passing: a workload is alive until proven otherwise).
    [[nodiscard]] std::optional<bool> passing() const { return passing_; }
    [[nodiscard]] std::uint32_t failures_in_a_row() const { return failures_; }

  private:
    std::uint32_t failure_threshold_, success_threshold_;
    std::uint32_t failures_ = 0, successes_ = 0;
    std::optional<bool> passing_;
};

// What the daemon does after a result.
struct HealthDecision {
    enum class Kind {
        none,
        started,  // the startup probe passed: run liveness and readiness now
        restart,  // liveness failed, or startup ran out of attempts: message says why
        ready,    // readiness passed: dependents waiting for `healthy` may start
        unready,  // readiness failed after having passed
    };
    Kind kind = Kind::none;
    std::string message;  // "liveness failed: <detail>", "startup failed: <detail>", ...
};

// The three probes of one workload run (reset on each start).
class WorkloadHealth {
  public:
    explicit WorkloadHealth(const manifests::Health& health);

    // Which probes run now: startup alone until it passed, then liveness and readiness.
    [[nodiscard]] bool active(ProbeRole role) const;
    [[nodiscard]] bool has(ProbeRole role) const;
    [[nodiscard]] const manifests::Probe* probe(ProbeRole role) const;

    // One result; detail is the probe's last output or error ("exit 1: disk full").
    HealthDecision record(ProbeRole role, bool success, const std::string& detail);

    // Ready for dependents: past startup, and readiness passing (or no readiness probe).
    [[nodiscard]] bool ready() const;
    [[nodiscard]] bool started() const { return !startup_ || startup_done_; }
    // The status field: "" (no probes), "starting", "healthy", "unhealthy".
    [[nodiscard]] std::string status() const;
    [[nodiscard]] const std::string& last_failure() const { return last_failure_; }

  private:
    ProbeCounter& counter(ProbeRole role);
    std::optional<manifests::Probe> startup_spec_, liveness_spec_, readiness_spec_;
    std::optional<ProbeCounter> startup_, liveness_, readiness_;
    bool startup_done_ = false;
    bool was_ready_ = false;
    std::string last_failure_;
};

// When a probe runs next: initialDelay after `since` for the first run, then interval after
// the previous run started, but not before that run finished.
using SteadyTime = std::chrono::steady_clock::time_point;
SteadyTime first_run(const manifests::Probe& probe, SteadyTime since);
SteadyTime next_run(const manifests::Probe& probe, SteadyTime previous_start,
                    SteadyTime previous_end);

// "exit 1: <last line of output>" for an exec probe's outcome; output is trimmed to its last
// non-empty line and at most 200 bytes.
std::string exec_detail(int wait_status, std::string_view output);

}  // namespace edgevisor::health
