// What each Action of the lifecycle table does: launch, signal, kill, arm timers, clean up.
// Nothing here waits for a process: exits arrive as pidfd events, grace periods and backoffs
// are timer deadlines.
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <filesystem>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <fstream>

#include "core.hpp"
#include "edgevisor/health/dependencies.hpp"
#include "edgevisor/log.hpp"
#include "restart_policy.hpp"

namespace edgevisor::supervisor {
namespace {

// The node's pool (config idPool) in the state directory, shared with edgectl run (whose
// ranges are in the runtime directory): a workload keeps its host ids across its restarts and
// the daemon's.
isolation::IdRangePool id_pool(const manifests::NodeConfig& config) {
    return {config.id_pool, std::filesystem::path(config.paths.state) / "idranges",
            std::filesystem::path(config.paths.runtime) / "idranges"};
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const char* abbrev = ::sigabbrev_np(WTERMSIG(status));
        return std::string("killed by SIG") + (abbrev != nullptr ? abbrev : "?");
    }
    return "ended (status " + std::to_string(status) + ")";
}

// After cgroup.kill, when to look at a workload whose main process is not reported ended yet,
// and again after that. The kernel reports a killed pid namespace init ended only once every
// process of its namespace is reaped, but takes it out of its cgroup before it waits for them:
// a process that entered the namespace from outside (setns, then fork) is reaped by its own
// parent, maybe never, and its zombie holds the init's exit back for as long. The cgroup then
// says it: empty (or removed, as systemd removes a stopped scope's cgroups) is the end of the run.
constexpr auto kKillCheck = std::chrono::seconds(5);
// A cgroup that still has processes after the kill is reported at the first check and then
// every this many checks (30 s).
constexpr int kKillReportEvery = 6;

// "state D, in zap_pid_ns_processes": what a process is doing, from /proc (for the log).
std::string describe_process(pid_t pid) {
    auto fields = proc_stat_fields(pid);
    if (!fields) return "gone from /proc";
    std::string out = std::string("state ") + fields->front();
    std::ifstream wchan_file("/proc/" + std::to_string(pid) + "/wchan");
    std::string wchan;
    if (wchan_file >> wchan && wchan != "0") out += ", in " + wchan;
    return out;
}

bool readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

std::string seconds_text(std::chrono::milliseconds d) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1fs", static_cast<double>(d.count()) / 1000.0);
    return text;
}

}  // namespace

void Core::perform(Unit& unit, Action action) {
    switch (action) {
        case Action::nop:
            return;
        case Action::check_deps:
            return check_deps(unit);
        case Action::launch:
            return launch(unit);
        case Action::send_stop:
            return send_stop(unit);
        case Action::kill:
            return kill(unit);
        case Action::arm_backoff:
            return arm_backoff(unit);
        case Action::settle:
            kill_leftovers(unit, false);
            unit.message.clear();
            return;
        case Action::finish_stop:
            return finish_stop(unit);
    }
}

void Core::check_deps(Unit& unit) {
    // Not wanted any more, its stop waiting for a dependent's (down_deferred): its backoff timer
    // brought it here, and it stays down until that stop comes.
    if (!unit.want_up) return;
    auto lookup = [this](std::string_view name) {
        health::DependencyState state;
        const Unit* other = find(name);
        state.known = other != nullptr && !other->remove;
        if (!state.known) return state;
        for (auto condition :
             {manifests::DependencyCondition::started, manifests::DependencyCondition::healthy,
              manifests::DependencyCondition::completed}) {
            bool met = dependency_met({std::string(name), condition});
            if (condition == manifests::DependencyCondition::started) state.started = met;
            if (condition == manifests::DependencyCondition::healthy) state.ready = met;
            if (condition == manifests::DependencyCondition::completed) state.completed = met;
        }
        return state;
    };
    auto gate = health::gate(unit.spec().depends_on, lookup);
    if (gate.open && !unit.cgroup &&
        draining_.contains(cgroups_->workloads_dir() + "/" + unit.name())) {
        // The last run's cgroup was killed and still empties: its name is taken until then
        // (a killed cgroup cannot take the next run, Cgroup::was_killed). drain_cgroup_events
        // opens the gate again; no wait in the loop.
        gate.open = false;
        gate.waiting_for = "waiting for the processes of its last run to end";
    }
    if (!gate.open) {
        if (unit.message != gate.waiting_for) {
            unit.message = gate.waiting_for;
            changed(unit);
        }
        return;
    }
    unit.message.clear();
    fire(unit, Event::deps_ready);
}

void Core::start_failed(Unit& unit, const Error& error) {
    unit.last_exit = error.describe();
    log::warn("{}", unit.last_exit);
    emit_event(unit.name(), "start-failed", unit.last_exit);
    end_run(unit, false);
}

void Core::launch(Unit& unit) {
    unit.run_started = EventLoop::now();
    auto failed = [&](const Error& error) { start_failed(unit, error); };
    if (!unit.cgroup) {
        auto cgroup = cgroups_->create_workload(unit.name());
        if (!cgroup) return failed(cgroup.error().wrap(unit.name() + ": start failed at cgroup"));
        unit.cgroup.emplace(std::move(*cgroup));
        // The daemon decides when the directory goes (finish_stop), not the destructor.
        unit.cgroup->release();
    }
    if (auto st = unit.cgroup->apply(unit.spec().resources); !st)
        return failed(st.error().wrap(unit.name() + ": start failed at resources"));
    auto out = make_log_pipe();
    auto err = make_log_pipe();
    if (!out || !err) return failed((out ? err.error() : out.error()).wrap(unit.name()));
    // What this run is launched with: the spec, plus the notify socket when a probe uses it.
    manifests::Workload launch_spec = unit.desired.workload;
    if (auto st = prepare_notify(unit, launch_spec); !st)
        return failed(st.error().wrap(unit.name() + ": start failed at notify"));
    isolation::LaunchRequest request;
    request.workload = &launch_spec;
    request.cgroup_fd = unit.cgroup->dir_fd();
    request.stdout_fd = out->second.get();
    request.stderr_fd = err->second.get();
    request.kill_when_caller_exits = false;  // workloads outlive the daemon (README "Adoption")
    if (isolation::needs_id_range(unit.desired.workload)) {
        auto range = id_range_for(unit.name());
        if (!range) return failed(range.error().wrap(unit.name() + ": start failed at id pool"));
        request.id_range = *range;
    }
    // The child sets itself up while the loop goes on (the other launches of a cold start
    // among them); its report pipe says when it has exec'd or failed.
    auto started = launcher_.start(request);
    if (!started) return failed(started.error());
    unit.process = std::move(started->process);
    unit.start_report = std::move(started->report);
    unit.start_out = std::move(out->first);
    unit.start_err = std::move(err->first);
    unit.start_source =
        loop_.add_io(unit.start_report.get(), EPOLLIN, [this, &unit](std::uint32_t) {
            finish_launch(unit);
            return Status{};
        });
}

void Core::finish_launch(Unit& unit) {
    finish_child_setup(unit);
    announce_ready();
}

void Core::finish_child_setup(Unit& unit) {
    unit.start_source.reset();
    auto process = isolation::Launcher::finish(
        {std::move(unit.process), std::move(unit.start_report), unit.name()});
    UniqueFd out = std::move(unit.start_out);
    UniqueFd err = std::move(unit.start_err);
    unit.process = {};  // moved from, but its pid is still set
    if (!process) return start_failed(unit, process.error());
    unit.capture.attach(loop_, std::move(out), std::move(err));
    // The holder keeps a copy of each read end: the pipes outlive this daemon (fd_store.hpp).
    if (fds_.connected()) {
        fds_.put(unit.name() + ".out", unit.capture.out_fd());
        fds_.put(unit.name() + ".err", unit.capture.err_fd());
    }
    unit.process = std::move(*process);
    unit.adopted = false;
    unit.exit_source = loop_.add_pidfd(unit.process.pidfd.get(), [this, &unit] {
        on_exit(unit);
        return Status{};
    });
    log::info("{}: started, pid {}", unit.name(), unit.process.pid);
    record_run(unit);
    fire(unit, Event::launched);
    if (unit.state == State::running) start_health(unit);
}

void Core::on_exit(Unit& unit) {
    unit.exit_source.reset();
    stop_health(unit);
    bool success = false;
    if (unit.adopted) {
        // Not our child: the kernel gives its status to our predecessor's parent, not to us.
        unit.last_exit = "ended (status unknown: adopted after a daemon restart)";
    } else if (auto status = isolation::wait_exit(unit.process); status) {
        success = WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
        unit.last_exit = describe_status(*status);
        if (WIFEXITED(*status) && WEXITSTATUS(*status) == 125) unit.last_exit += " (start failure)";
    } else {
        unit.last_exit = status.error().describe();
    }
    close_run(unit, success);
}

void Core::close_run(Unit& unit, bool success) {
    if (unit.cgroup) {
        if (auto stats = unit.cgroup->stats();
            stats && stats->memory_events && stats->memory_events->oom_kill > 0) {
            unit.last_exit = "oom-killed (" + unit.last_exit + ")";
            report_oom_kills(unit, stats->memory_events->oom_kill);
        }
    }
    // A probe that ended the run says why; the kill itself is only how.
    if (!unit.kill_reason.empty()) {
        unit.last_exit = unit.kill_reason + " (" + unit.last_exit + ")";
        unit.kill_reason.clear();
        success = false;
    }
    unit.process = {};
    unit.capture.flush();
    record_run(unit);
    log::info("{}: {}", unit.name(), unit.last_exit);
    end_run(unit, success);
}

void Core::end_run(Unit& unit, bool success) {
    auto ran = EventLoop::now() - unit.run_started;
    bool quick = ran < config_.supervisor.stable_run;
    if (!quick) unit.quick_failures = 0;
    const auto& restart = unit.spec().restart;
    if (quick && (!success || restart.policy == manifests::RestartPolicy::always))
        ++unit.quick_failures;
    if (is_down(unit.state) || unit.state == State::stop_signal || unit.state == State::stop_kill) {
        fire(unit, Event::ended_done);  // asked to stop: the table ends it as stopped
        return;
    }
    if (unit.state == State::starting && !unit.want_up) {
        fire(unit, Event::ended_failed);
        return;
    }
    fire(unit, classify_end(restart, EndFacts{success, false, unit.quick_failures},
                            config_.supervisor.crash_loop_after));
}

void Core::send_stop(Unit& unit) {
    stop_health(unit);
    if (!unit.process.pidfd) {
        fire(unit, Event::stop_timeout);
        return;
    }
    int sig = unit.spec().stop_signal;
    log::info("{}: stopping (SIG{}, {} ms grace)", unit.name(), ::sigabbrev_np(sig),
              unit.spec().stop_timeout.count());
    if (::syscall(SYS_pidfd_send_signal, unit.process.pidfd.get(), sig, nullptr, 0) != 0 &&
        errno != ESRCH)
        log::warn("{}: pidfd_send_signal: {}", unit.name(), std::strerror(errno));
    unit.timer = loop_.add_timer(EventLoop::now() + unit.spec().stop_timeout, [this, &unit] {
        fire(unit, Event::stop_timeout);
        return Status{};
    });
}

void Core::kill(Unit& unit) {
    log::warn("{}: did not stop within {} ms: killing its cgroup", unit.name(),
              unit.spec().stop_timeout.count());
    emit_event(unit.name(), "killed", "stop timeout: cgroup killed");
    if (unit.cgroup) {
        if (auto st = unit.cgroup->kill(); !st)
            log::error("{}: {}", unit.name(), st.error().describe());
    } else if (unit.process.pidfd) {
        ::syscall(SYS_pidfd_send_signal, unit.process.pidfd.get(), SIGKILL, nullptr, 0);
    }
    // The exit normally arrives as the pidfd event; the check makes sure the stop ends anyway.
    arm_kill_check(unit, 1);
}

void Core::arm_kill_check(Unit& unit, int check) {
    unit.timer = loop_.add_timer(EventLoop::now() + kKillCheck, [this, &unit, check] {
        check_killed(unit, check);
        return Status{};
    });
}

void Core::check_killed(Unit& unit, int check) {
    if (unit.state != State::stop_kill || !unit.process.pidfd) return;
    // Still setting itself up (launch): its report, not its cgroup, says when it has ended.
    if (unit.start_report) return arm_kill_check(unit, check + 1);
    auto after = std::chrono::duration_cast<std::chrono::seconds>(kKillCheck * check).count();
    // Ended, and the loop dispatches its exit next.
    if (readable(unit.process.pidfd.get())) return arm_kill_check(unit, check + 1);
    std::optional<bool> populated;  // unknown without a cgroup (killed through the pidfd)
    if (unit.cgroup) {
        auto state = unit.cgroup->state();
        if (state)
            populated = state->populated;
        else if (state.error().code == ENOENT || state.error().code == ENODEV)
            populated = false;  // removed: only an empty cgroup can be
        else
            log::warn("{}: {}", unit.name(), state.error().describe());
    }
    std::string main =
        "pid " + std::to_string(unit.process.pid) + ", " + describe_process(unit.process.pid);
    if (populated == false) {
        log::warn(
            "{}: its cgroup is empty {} s after the kill but its main process ({}) is not "
            "reported ended: counted as stopped",
            unit.name(), after, main);
        unit.exit_source.reset();
        stop_health(unit);
        unit.last_exit = "killed (its cgroup emptied; the main process was not reported ended)";
        return close_run(unit, false);
    }
    if (check % kKillReportEvery == 1) {
        std::string procs;
        if (unit.cgroup)
            if (auto pids = unit.cgroup->procs(); pids)
                for (pid_t pid : *pids)
                    procs += " pid " + std::to_string(pid) + " (" + describe_process(pid) + ")";
        log::warn("{}: still not ended {} s after the kill: main process {}; in its cgroup:{}",
                  unit.name(), after, main, procs.empty() ? " nothing listed" : procs);
    }
    arm_kill_check(unit, check + 1);
}

void Core::arm_backoff(Unit& unit) {
    kill_leftovers(unit, false);
    std::uniform_real_distribution<double> random(0.0, 1.0);
    auto delay = backoff_delay(unit.spec().restart.backoff,
                               std::max<std::uint32_t>(1, unit.quick_failures), random(random_));
    unit.message = (unit.state == State::crash_loop ? "crash loop: " : "") +
                   std::string("restarting in ") + seconds_text(delay) + " after " + unit.last_exit;
    if (unit.state == State::crash_loop) emit_event(unit.name(), "crash-loop", unit.last_exit);
    changed(unit);
    unit.timer = loop_.add_timer(EventLoop::now() + delay, [this, &unit] {
        ++unit.restarts;
        fire(unit, Event::timer);
        return Status{};
    });
}

void Core::kill_leftovers(Unit& unit, bool remove_cgroup) {
    if (!unit.cgroup) return;
    // What the main process left behind (daemonised children) dies with the run. cgroup.kill
    // does not wait, and a killed cgroup never takes another run (Cgroup::was_killed): it is
    // removed once empty, and the next run gets a fresh one.
    auto state = unit.cgroup->state();
    if (state && state->populated) (void)unit.cgroup->kill();
    if (!remove_cgroup && !unit.cgroup->was_killed()) return;
    isolation::Cgroup cgroup = std::move(*unit.cgroup);
    unit.cgroup.reset();
    if (auto st = cgroup.remove(); st) return;
    remove_when_empty(std::move(cgroup), unit.name());
}

void Core::release_id_ranges() {
    for (auto it = ranges_to_release_.begin(); it != ranges_to_release_.end();) {
        const std::string& name = *it;
        // Applied again before its cgroup drained: the new one keeps the range.
        bool back = units_.contains(name);
        bool draining = std::ranges::any_of(
            draining_, [&](const auto& entry) { return entry.first.ends_with("/" + name); });
        if (!back && draining) {
            ++it;
            continue;
        }
        if (!back) {
            id_ranges_.erase(name);
            if (auto st = id_pool(config_).release(name); !st)
                log::warn("{}: {}", name, st.error().describe());
        }
        it = ranges_to_release_.erase(it);
    }
}

void Core::reserve_id_ranges(const std::vector<PlannedStep>& steps, const MergedDesired& desired) {
    std::vector<std::string> names;
    for (const PlannedStep& step : steps) {
        if (step.action != PlanAction::create && step.action != PlanAction::replace) continue;
        if (id_ranges_.contains(step.name)) continue;
        if (isolation::needs_id_range(desired.workloads.at(step.name)->workload))
            names.push_back(step.name);
    }
    if (names.size() < 2) return;  // a single one is taken at its launch
    auto ranges = id_pool(config_).acquire_all(names);
    if (!ranges) {
        // Each launch tries on its own then, and the ones the pool cannot serve say so.
        log::debug("reconcile: {} id ranges at once: {}", names.size(), ranges.error().describe());
        return;
    }
    id_ranges_.merge(*ranges);
}

Result<isolation::IdRange> Core::id_range_for(const std::string& name) {
    if (auto it = id_ranges_.find(name); it != id_ranges_.end()) return it->second;
    auto range = id_pool(config_).acquire(name);
    if (range) id_ranges_[name] = *range;
    return range;
}

void Core::remove_when_empty(isolation::Cgroup cgroup, const std::string& name) {
    if (!watcher_) {
        auto watcher = isolation::CgroupWatcher::create();
        if (!watcher) {
            log::warn("{}: {}", name, watcher.error().describe());
            return;
        }
        watcher_.emplace(std::move(*watcher));
        watcher_source_ = loop_.add_io(watcher_->fd(), EPOLLIN,
                                       [this](std::uint32_t) { return drain_cgroup_events(); });
    }
    std::string key = cgroup.path();
    if (auto st = watcher_->watch(key, cgroup); !st)
        log::warn("{}: {}", name, st.error().describe());
    draining_.insert_or_assign(key, std::move(cgroup));
    // It may have emptied between the failed rmdir and the watch.
    if (auto again = draining_.at(key).remove(); again) {
        watcher_->unwatch(key);
        draining_.erase(key);
    }
}

Status Core::drain_cgroup_events() {
    auto events = watcher_->drain();
    if (!events) return std::unexpected(events.error());
    for (const auto& event : *events) {
        if (event.kind != isolation::CgroupEventKind::emptied) continue;
        auto it = draining_.find(event.workload);
        if (it == draining_.end()) continue;
        if (auto st = it->second.remove(); !st)
            log::warn("cgroup {}: {}", event.workload, st.error().describe());
        watcher_->unwatch(event.workload);
        draining_.erase(it);
        deps_dirty_ = true;  // a next run may wait for this name (check_deps)
    }
    return {};
}

void Core::finish_stop(Unit& unit) {
    unit.timer.reset();
    unit.exit_source.reset();
    // A workload that comes back (replace, restart) keeps its cgroup unless it was killed;
    // one that is gone or stopped has it removed.
    bool comes_back =
        !unit.remove && !shutting_down_ && (unit.next || unit.want_up || unit.restart_requested);
    kill_leftovers(unit, !comes_back);
    unit.capture.flush();
    unit.capture.close();
    if (fds_.connected()) {
        fds_.drop(unit.name() + ".out");
        fds_.drop(unit.name() + ".err");
    }
    unit.message.clear();
    changed(unit);
    if (unit.remove) {
        log::info("{}: removed", unit.name());
        ranges_to_release_.insert(unit.name());
        for (auto* o : observers_) o->workload_removed(unit.name());
        forget_run(unit.name());
        emit_event(unit.name(), "removed", "");
        auto it = units_.find(unit.name());
        graveyard_.push_back(std::move(it->second));
        units_.erase(it);
        snapshot_dirty_ = true;
        return;
    }
    if (unit.next) {
        unit.desired = std::move(*unit.next);
        unit.next.reset();
        unit.joiner.reset();  // prepared from the old spec (its user, capabilities, seccomp)
        unit.log_file.set_limits(unit.spec().logs.max_size, unit.spec().logs.max_files);
        unit.quick_failures = 0;
    }
    record_run(unit);
    if (shutting_down_) return;
    if (unit.want_up || unit.restart_requested) {
        unit.restart_requested = false;
        unit.want_up = true;
        fire(unit, Event::want_up);
    }
}

void Core::update_in_place(Unit& unit, const DesiredWorkload& desired) {
    if (unit.next) {  // a replace is pending: the new spec waits for it
        unit.next = desired;
        return;
    }
    unit.desired = desired;
    unit.log_file.set_limits(unit.spec().logs.max_size, unit.spec().logs.max_files);
    if (unit.cgroup) {
        if (auto st = unit.cgroup->apply(unit.spec().resources); !st) {
            unit.message = st.error().describe();
            log::warn("{}: limits not updated: {}", unit.name(), unit.message);
        }
    }
    emit_event(unit.name(), "updated", "limits updated in place");
    changed(unit);
}

}  // namespace edgevisor::supervisor
