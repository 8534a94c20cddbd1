#include "edgevisor/health/prober.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "edgevisor/log.hpp"

namespace edgevisor::health {
namespace {

constexpr std::array<ProbeRole, 3> kRoles{ProbeRole::startup, ProbeRole::liveness,
                                          ProbeRole::readiness};

}  // namespace

WorkloadProber::WorkloadProber(EventLoop& loop, Reaper& reaper, const manifests::Workload& workload,
                               std::shared_ptr<const isolation::Joiner> joiner, ProbeTarget target,
                               std::string cgroup_path, ProberCallbacks callbacks)
    : loop_(loop),
      reaper_(reaper),
      name_(workload.metadata.name),
      health_(workload.spec.health),
      joiner_(std::move(joiner)),
      target_(target),
      cgroup_path_(std::move(cgroup_path)),
      callbacks_(std::move(callbacks)) {
    target_.joiner = joiner_.get();
    auto now = EventLoop::now();
    last_ping_ = now;
    for (ProbeRole role : kRoles)
        if (health_.active(role)) schedule(role, first_run(*health_.probe(role), now));
}

WorkloadProber::~WorkloadProber() {
    *alive_ = false;
}

bool WorkloadProber::uses_notify() const {
    for (ProbeRole role : kRoles)
        if (const auto* p = health_.probe(role); p && p->kind == manifests::ProbeKind::notify)
            return true;
    return false;
}

void WorkloadProber::schedule(ProbeRole role, EventLoop::Clock::time_point at) {
    slot(role).timer = loop_.add_timer(at, [this, role] { return fire(role); });
}

void WorkloadProber::probe_cgroup(ProbeRole role) {
    Slot& s = slot(role);
    if (target_.cgroup_fd < 0 || s.cgroup) return;
    // Retired ones go as soon as they are empty (rmdir fails with EBUSY until then).
    std::erase_if(retired_, [&](const std::string& dir) {
        return ::unlinkat(target_.cgroup_fd, dir.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT;
    });
    const std::string dir =
        std::string("probe-") + role_name(role) + "-" + std::to_string(++cgroup_serial_);
    if (::mkdirat(target_.cgroup_fd, dir.c_str(), 0755) != 0 && errno != EEXIST) {
        log::warn("{}: {} probe: cannot create its cgroup {}/{}: {}", name_, role_name(role),
                  cgroup_path_, dir, std::strerror(errno));
        return;
    }
    s.cgroup.reset(::openat(target_.cgroup_fd, dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    if (s.cgroup) s.cgroup_name = dir;
}

void WorkloadProber::retire_cgroup(Slot& s) {
    if (!s.cgroup) return;
    s.cgroup.reset();
    if (::unlinkat(target_.cgroup_fd, s.cgroup_name.c_str(), AT_REMOVEDIR) != 0 && errno == EBUSY)
        retired_.push_back(s.cgroup_name);
}

Status WorkloadProber::fire(ProbeRole role) {
    Slot& s = slot(role);
    s.timer.reset();
    if (!health_.active(role)) return {};
    const manifests::Probe& probe = *health_.probe(role);
    s.started = EventLoop::now();
    if (probe.kind == manifests::ProbeKind::notify) {
        if (record(role, notify_result(role, probe)) && health_.active(role))
            schedule(role, next_run(probe, s.started, EventLoop::now()));
        return {};
    }
    ProbeTarget target = target_;
    if (probe.kind == manifests::ProbeKind::exec) {
        probe_cgroup(role);
        // Never the workload's own cgroup: a timeout kills the run's cgroup.
        target.cgroup_fd = s.cgroup ? s.cgroup.get() : -1;
    }
    s.run = start_probe(loop_, reaper_, probe, target, [this, role](ProbeResult result) {
        Slot& done = slot(role);
        auto finished = std::move(done.run);  // destroyed at the end of this callback
        if (result.cgroup_killed) retire_cgroup(done);
        if (!record(role, result)) return;
        if (health_.active(role))
            schedule(role, next_run(*health_.probe(role), done.started, EventLoop::now()));
    });
    return {};
}

ProbeResult WorkloadProber::notify_result(ProbeRole role, const manifests::Probe& probe) const {
    if (role != ProbeRole::liveness)
        return notified_ready_ ? ProbeResult{true, "READY=1"}
                               : ProbeResult{false, "no READY=1 received"};
    auto period = watchdog_override_
                      ? std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog_override_)
                      : probe.watchdog.value_or(probe.interval);
    auto quiet =
        std::chrono::duration_cast<std::chrono::milliseconds>(EventLoop::now() - last_ping_);
    if (quiet <= period) return {true, "WATCHDOG=1"};
    return {false, "no WATCHDOG=1: none for " + duration_text(quiet / 1000 * 1000) + " (watchdog " +
                       duration_text(period) + ")"};
}

bool WorkloadProber::record(ProbeRole role, const ProbeResult& result) {
    Slot& s = slot(role);
    auto alive = alive_;
    // A streak of failures is reported at its start and when its cause changes (connection
    // refused, then http 500): the text before ": ", so an exec's varying output is not a
    // new cause at every run.
    const std::string cause = result.detail.substr(0, result.detail.find(": "));
    if (!result.success && (!s.failing || cause != s.failing_cause)) {
        s.failing = true;
        s.failing_cause = cause;
        callbacks_.event("probe-failed", std::string(role_name(role)) + ": " + result.detail);
    } else if (result.success && s.failing) {
        s.failing = false;
        s.failing_cause.clear();
        callbacks_.event("probe-passed", std::string(role_name(role)) + ": " + result.detail);
    }
    if (!*alive) return false;
    auto decision = health_.record(role, result.success, result.detail);
    if (decision.kind == HealthDecision::Kind::none) return true;
    if (decision.kind == HealthDecision::Kind::started) start_others();
    callbacks_.decided(decision);
    return *alive;
}

void WorkloadProber::start_others() {
    auto now = EventLoop::now();
    for (ProbeRole role : {ProbeRole::liveness, ProbeRole::readiness}) {
        if (!health_.active(role)) continue;
        if (health_.probe(role)->kind == manifests::ProbeKind::notify &&
            role == ProbeRole::liveness)
            last_ping_ = now;  // the watchdog counts from the end of startup
        schedule(role, first_run(*health_.probe(role), now));
    }
}

void WorkloadProber::assume_ready() {
    NotifyMessage ready;
    ready.ready = true;
    notify(ready);
}

void WorkloadProber::notify(const NotifyMessage& message) {
    auto alive = alive_;
    if (message.status) callbacks_.event("notify", "STATUS=" + *message.status);
    if (!*alive) return;
    if (message.watchdog_ping) last_ping_ = EventLoop::now();
    if (message.watchdog_usec)
        watchdog_override_ = std::chrono::microseconds(*message.watchdog_usec);
    if (message.watchdog_trigger && health_.active(ProbeRole::liveness)) {
        callbacks_.decided({HealthDecision::Kind::restart, "liveness failed: WATCHDOG=trigger"});
        return;
    }
    if (message.stopping) notified_ready_ = false;
    if (!message.ready || notified_ready_) return;
    notified_ready_ = true;
    // READY=1 counts at once for the notify probes that wait for it.
    for (ProbeRole role : {ProbeRole::startup, ProbeRole::readiness}) {
        if (!health_.active(role) || health_.probe(role)->kind != manifests::ProbeKind::notify)
            continue;
        if (!record(role, {true, "READY=1"})) return;
    }
}

}  // namespace edgevisor::health
