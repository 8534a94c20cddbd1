#include "edgevisor/health/probe_state.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <cstring>

namespace edgevisor::health {

const char* role_name(ProbeRole role) {
    switch (role) {
        case ProbeRole::startup:
            return "startup";
        case ProbeRole::liveness:
            return "liveness";
        case ProbeRole::readiness:
            return "readiness";
    }
    return "probe";
}

ProbeCounter::ProbeCounter(ProbeRole role, const manifests::Probe& probe)
    : failure_threshold_(std::max<std::uint32_t>(1, probe.failure_threshold)),
      success_threshold_(std::max<std::uint32_t>(1, probe.success_threshold)) {
    if (role == ProbeRole::liveness) passing_ = true;
}

ProbeCounter::Change ProbeCounter::record(bool success) {
    if (success) {
        failures_ = 0;
        ++successes_;
        // Liveness and startup count one success (Kubernetes requires successThreshold 1
        // there); readiness needs its threshold.
        if (passing_ != true && successes_ >= success_threshold_) {
            passing_ = true;
            return Change::passed;
        }
        return Change::none;
    }
    successes_ = 0;
    ++failures_;
    if (passing_ != false && failures_ >= failure_threshold_) {
        passing_ = false;
        return Change::failed;
    }
    return Change::none;
}

WorkloadHealth::WorkloadHealth(const manifests::Health& health)
    : startup_spec_(health.startup),
      liveness_spec_(health.liveness),
      readiness_spec_(health.readiness) {
    if (startup_spec_) startup_.emplace(ProbeRole::startup, *startup_spec_);
    if (liveness_spec_) liveness_.emplace(ProbeRole::liveness, *liveness_spec_);
    if (readiness_spec_) readiness_.emplace(ProbeRole::readiness, *readiness_spec_);
}

bool WorkloadHealth::has(ProbeRole role) const {
    return probe(role) != nullptr;
}

const manifests::Probe* WorkloadHealth::probe(ProbeRole role) const {
    const auto& spec = role == ProbeRole::startup    ? startup_spec_
                       : role == ProbeRole::liveness ? liveness_spec_
                                                     : readiness_spec_;
    return spec ? &*spec : nullptr;
}

bool WorkloadHealth::active(ProbeRole role) const {
    if (!has(role)) return false;
    return role == ProbeRole::startup ? !startup_done_ : started();
}

ProbeCounter& WorkloadHealth::counter(ProbeRole role) {
    return role == ProbeRole::startup    ? *startup_
           : role == ProbeRole::liveness ? *liveness_
                                         : *readiness_;
}

HealthDecision WorkloadHealth::record(ProbeRole role, bool success, const std::string& detail) {
    if (!active(role)) return {};
    if (!success) last_failure_ = std::string(role_name(role)) + " failed: " + detail;
    auto change = counter(role).record(success);
    using Kind = HealthDecision::Kind;
    switch (role) {
        case ProbeRole::startup:
            if (change == ProbeCounter::Change::passed) {
                startup_done_ = true;
                return {Kind::started, "startup probe passed"};
            }
            if (change == ProbeCounter::Change::failed) return {Kind::restart, last_failure_};
            return {};
        case ProbeRole::liveness:
            if (change == ProbeCounter::Change::failed) return {Kind::restart, last_failure_};
            return {};
        case ProbeRole::readiness:
            if (change == ProbeCounter::Change::passed) {
                was_ready_ = true;
                return {Kind::ready, "readiness probe passed"};
            }
            if (change == ProbeCounter::Change::failed && was_ready_)
                return {Kind::unready, last_failure_};
            return {};
    }
    return {};
}

bool WorkloadHealth::ready() const {
    if (!started()) return false;
    return !readiness_ || readiness_->passing() == true;
}

std::string WorkloadHealth::status() const {
    if (!startup_ && !liveness_ && !readiness_) return "";
    if (!started()) return "starting";
    // Below its failureThreshold a liveness failure is tolerated, as the threshold says (a
    // probe that runs while the program still starts, a slow moment): not yet unhealthy.
    if (liveness_ && liveness_->passing() == false) return "unhealthy";
    if (!readiness_) return "healthy";
    if (readiness_->passing() == true) return "healthy";
    return was_ready_ ? "unhealthy" : "starting";
}

SteadyTime first_run(const manifests::Probe& probe, SteadyTime since) {
    return since + probe.initial_delay;
}

SteadyTime next_run(const manifests::Probe& probe, SteadyTime previous_start,
                    SteadyTime previous_end) {
    return std::max(previous_start + probe.interval, previous_end);
}

std::string exec_detail(int wait_status, std::string_view output) {
    std::string head;
    if (WIFEXITED(wait_status))
        head = "exit " + std::to_string(WEXITSTATUS(wait_status));
    else if (WIFSIGNALED(wait_status))
        head = std::string("killed by SIG") + (sigabbrev_np(WTERMSIG(wait_status)) != nullptr
                                                   ? sigabbrev_np(WTERMSIG(wait_status))
                                                   : std::to_string(WTERMSIG(wait_status)).c_str());
    else
        head = "status " + std::to_string(wait_status);
    while (!output.empty() && (output.back() == '\n' || output.back() == ' ' ||
                               output.back() == '\r' || output.back() == '\t'))
        output.remove_suffix(1);
    if (auto nl = output.rfind('\n'); nl != std::string_view::npos) output.remove_prefix(nl + 1);
    if (output.size() > 200) output = output.substr(output.size() - 200);
    return output.empty() ? head : head + ": " + std::string(output);
}

}  // namespace edgevisor::health
