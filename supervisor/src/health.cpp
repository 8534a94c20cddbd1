// Health in the daemon: a prober per running workload (its probes as loop sources), the
// notify socket per workload (NOTIFY_SOCKET), the dependency conditions started / healthy /
// completed, and one sampling timer for the resource figures of every workload.
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "core.hpp"
#include "edgevisor/health/dependencies.hpp"
#include "edgevisor/health/notify.hpp"
#include "edgevisor/log.hpp"

namespace edgevisor::supervisor {
namespace {

// Where a workload finds its notify socket: a fresh /run (or the host's) gets this directory
// bound read-only from <runtime>/notify/<name>/.
constexpr const char* kNotifyDir = "/run/notify";

bool uses_notify(const manifests::Health& h) {
    for (const auto* p : {&h.startup, &h.liveness, &h.readiness})
        if (*p && (*p)->kind == manifests::ProbeKind::notify) return true;
    return false;
}

bool has_probes(const manifests::Health& h) {
    return h.startup || h.liveness || h.readiness;
}

}  // namespace

Status Core::prepare_notify(Unit& unit, manifests::Workload& launch_spec) {
    if (!uses_notify(unit.spec().health)) return {};
    const std::string dir = config_.paths.runtime + "/notify/" + unit.name();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail("notify", "create " + dir + ": " + ec.message(), ec.value());
    ::chmod(dir.c_str(), 0755);
    if (!unit.notify_fd) {
        auto fd = health::open_notify_socket(dir + "/notify.sock");
        if (!fd) return std::unexpected(fd.error());
        unit.notify_fd = std::move(*fd);
        unit.notify_source =
            loop_.add_io(unit.notify_fd.get(), EPOLLIN, [this, &unit](std::uint32_t) {
                read_notify(unit);
                return Status{};
            });
    }
    manifests::Mount mount;
    mount.type = manifests::MountType::bind;
    mount.source = dir;
    mount.target = kNotifyDir;
    mount.read_only = true;
    launch_spec.spec.isolation.mounts.push_back(mount);
    launch_spec.spec.env["NOTIFY_SOCKET"] = std::string(kNotifyDir) + "/notify.sock";
    if (const auto& l = unit.spec().health.liveness;
        l && l->kind == manifests::ProbeKind::notify && l->watchdog)
        launch_spec.spec.env["WATCHDOG_USEC"] = std::to_string(l->watchdog->count() * 1000);
    return {};
}

void Core::read_notify(Unit& unit) {
    for (int i = 0; i < 64; ++i) {  // bounded per wake-up: a flood cannot starve the loop
        auto got = health::receive_notify(unit.notify_fd.get());
        if (!got) {
            log::warn("{}: notify: {}", unit.name(), got.error().describe());
            return;
        }
        if (!*got) return;
        const auto& datagram = **got;
        // Only the workload's own processes speak for it (a datagram of anyone else who can
        // reach the socket is dropped). The sender is alive here: its fds (systemd-notify's
        // barrier) are still held by us.
        std::string cgroup = unit.cgroup ? unit.cgroup->path() : "";
        const std::string& mount = cgroups_->mount_point();
        if (cgroup.starts_with(mount)) cgroup.erase(0, mount.size());
        if (cgroup.empty() || !health::sender_in_cgroup(datagram.sender, cgroup)) {
            log::warn("{}: notify: ignored a datagram from pid {} outside the workload's cgroup",
                      unit.name(), datagram.sender);
            continue;
        }
        auto message = health::parse_notify(datagram.text);
        if (!message) {
            log::warn("{}: notify: {}", unit.name(), message.error().describe());
            continue;
        }
        if (message->status && unit.message != *message->status) {
            unit.message = *message->status;
            changed(unit);
        }
        if (unit.prober) unit.prober->notify(*message);
    }
}

void Core::start_health(Unit& unit) {
    unit.kill_reason.clear();
    if (!has_probes(unit.spec().health)) return;
    if (!unit.joiner) {
        auto joiner = isolation::Joiner::prepare(unit.desired.workload);
        if (!joiner) {
            log::warn("{}: probes: {}", unit.name(), joiner.error().describe());
            return;
        }
        unit.joiner = std::make_shared<isolation::Joiner>(std::move(*joiner));
    }
    health::ProbeTarget target{nullptr, unit.process.pidfd.get(),
                               unit.cgroup ? unit.cgroup->dir_fd() : -1};
    health::ProberCallbacks callbacks{
        [this, &unit](const health::HealthDecision& d) { on_health(unit, d); },
        [this, &unit](const std::string& kind, const std::string& message) {
            if (kind == "notify") return;  // STATUS= is the message, not an event
            log::info("{}: {}", unit.name(), message);
            emit_event(unit.name(), kind, message);
        }};
    unit.prober = std::make_unique<health::WorkloadProber>(
        loop_, *reaper_, unit.desired.workload, unit.joiner, target,
        unit.cgroup ? unit.cgroup->path() : "", std::move(callbacks));
    changed(unit);
}

void Core::stop_health(Unit& unit) {
    if (!unit.prober) return;
    unit.prober.reset();
    deps_dirty_ = true;
}

void Core::on_health(Unit& unit, const health::HealthDecision& decision) {
    using Kind = health::HealthDecision::Kind;
    switch (decision.kind) {
        case Kind::none:
            return;
        case Kind::started:
        case Kind::ready:
        case Kind::unready:
            log::info("{}: {}", unit.name(), decision.message);
            // Becoming ready (or not) is what dependents and operators wait for: an event too.
            if (decision.kind != Kind::started)
                emit_event(unit.name(), decision.kind == Kind::ready ? "ready" : "unready",
                           decision.message);
            deps_dirty_ = true;
            changed(unit);
            return;
        case Kind::restart:
            break;
    }
    // The run ends here: the kill's exit is reported with the reason, and the restart policy
    // decides what follows (as for any failed run).
    log::warn("{}: {}: killing it", unit.name(), decision.message);
    emit_event(unit.name(), "unhealthy", decision.message);
    unit.kill_reason = decision.message;
    // Destroyed after this dispatch: the decision came from inside the prober.
    loop_.post([this, name = unit.name()] {
        if (Unit* u = find(name); u != nullptr && !u->kill_reason.empty()) u->prober.reset();
    });
    // The main process, not the cgroup: a cgroup that was killed cannot take the next run on
    // Linux 6.18 (see probe_net.cpp); the end of the run kills what is left, as for any run.
    if (unit.process.pidfd)
        ::syscall(SYS_pidfd_send_signal, unit.process.pidfd.get(), SIGKILL, nullptr, 0);
}

bool Core::dependency_met(const manifests::Dependency& dep) const {
    const Unit* other = find(dep.name);
    if (other == nullptr || other->remove) return false;
    const bool running = other->state == State::running;
    switch (dep.condition) {
        case manifests::DependencyCondition::started:
            return running && (!other->prober || other->prober->health().started());
        case manifests::DependencyCondition::healthy:
            return running && (!other->prober || other->prober->health().ready());
        case manifests::DependencyCondition::completed:
            return other->state == State::exited;
    }
    return false;
}

std::string Core::health_text(const Unit& unit) const {
    if (!unit.prober) return "";
    return unit.prober->health().status();
}

void Core::report_oom_kills(Unit& unit, std::uint64_t total) {
    if (total <= unit.oom_kills_seen) return;
    std::string message = std::to_string(total - unit.oom_kills_seen) +
                          " process(es) killed by the kernel's OOM killer at memory.max";
    unit.oom_kills_seen = total;
    log::warn("{}: {}", unit.name(), message);
    emit_event(unit.name(), "oom-kill", message);
}

void Core::arm_sampling() {
    sample_timer_ = loop_.add_timer(EventLoop::now() + config_.supervisor.sample_interval, [this] {
        sample_all();
        arm_sampling();
        return Status{};
    });
}

void Core::sample_node(health::SampleClock::time_point now) {
    if (!node_sampler_) {
        auto sampler = health::NodeSampler::open();
        if (!sampler) {
            log::warn("node: {}", sampler.error().describe());
            return;
        }
        node_sampler_.emplace(std::move(*sampler));
    }
    const health::NodeSample* previous = node_sample_ ? &*node_sample_ : nullptr;
    auto sample = node_sampler_->read(previous, now - node_sampled_at_);
    if (!sample) {
        log::warn("node: {}", sample.error().describe());
        return;
    }
    node_sample_ = *sample;
    node_sampled_at_ = now;
    log::debug("node: {}", health::describe(*sample));
    snapshot_dirty_ = true;
}

void Core::sample_all() {
    const auto now = health::SampleClock::now();
    sample_node(now);
    for (auto& [name, unit] : units_) {
        if (!unit->cgroup || is_down(unit->state)) {
            unit->sampling.reset();
            continue;
        }
        if (!unit->sampling) {
            auto reader = isolation::CgroupStatsReader::open(*unit->cgroup);
            if (!reader) continue;
            unit->sampling = std::make_unique<Unit::Sampling>(
                Unit::Sampling{std::move(*reader),
                               {},
                               {},
                               false,
                               health::WarningTracker(unit->spec().health.warnings)});
        }
        auto& s = *unit->sampling;
        auto stats = s.reader.read();
        if (!stats) continue;
        auto sample = health::make_sample(*stats, now, s.have ? &s.last : nullptr,
                                          s.have ? &s.last_stats : nullptr, unit->spec().resources);
        report_oom_kills(*unit, sample.oom_kills);
        for (const auto& warning : s.warnings.observe(sample)) {
            log::warn("{}: {}", name, warning);
            emit_event(name, "resource-warning", warning);
        }
        log::debug("{}: {}", name, health::describe(sample));
        s.last = sample;
        s.last_stats = *stats;
        s.have = true;
        unit->sample = sample;
        changed(*unit);
    }
}

}  // namespace edgevisor::supervisor
