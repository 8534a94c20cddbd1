// recover: what a daemon does at start with what its predecessor left. Every cgroup under
// workloads/ is looked at before the first reconcile:
//   - its main process is alive (same pid, same kernel start time, same boot) and the
//     desired spec has the launch hash it was started with: adopted, running on as it is
//     (limits updated in place if only they changed), its log pipes taken back from the holder;
//   - else it is stopped as its record says (stopSignal, stopTimeout, then cgroup.kill), and
//     only then is its replacement started (the same state machine: a replace);
//   - a cgroup whose main process is gone: whatever is left in it is killed, the cgroup removed.
// So after a restart there is never a second copy of a workload, nor a leftover.
#include <dirent.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core.hpp"
#include "edgevisor/log.hpp"

namespace edgevisor::supervisor {
namespace {

std::int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::vector<std::string> list_cgroups(const std::string& dir) {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d))
            if (e->d_type == DT_DIR && e->d_name[0] != '.') out.emplace_back(e->d_name);
        ::closedir(d);
    }
    return out;
}

// A pidfd for the recorded main process, when it is still that process.
UniqueFd open_recorded(const RunRecord& record) {
    if (record.pid <= 0 || record.boot_id != current_boot_id()) return {};
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, record.pid, 0)));
    // Checked after pidfd_open: the pidfd then pins this very process, whatever reuses the pid.
    if (!pidfd || process_start_time(record.pid) != record.start_time) return {};
    return pidfd;
}

// What the daemon knows of a workload it did not start: its name and how to stop it.
DesiredWorkload orphan_spec(const std::string& name, const RunRecord* record) {
    DesiredWorkload d;
    d.workload.metadata.name = name;
    d.workload.spec.restart.policy = manifests::RestartPolicy::never;
    if (record != nullptr) {
        d.workload.spec.stop_signal = record->stop_signal;
        d.workload.spec.stop_timeout = std::chrono::milliseconds(record->stop_timeout_ms);
        d.hash = record->hash;
        d.launch_hash = record->launch_hash;
    }
    d.layer = "adopted";
    return d;
}

}  // namespace

void Core::recover() {
    auto records = read_run_records(records_path());
    if (!records) log::warn("recover: {}", records.error().describe());
    std::map<std::string, UniqueFd> pipes = std::move(held_pipes_);
    held_pipes_.clear();
    MergedDesired desired = merged_desired();
    for (const std::string& name : list_cgroups(cgroups_->workloads_dir())) {
        const RunRecord* record = nullptr;
        if (records)
            if (auto it = records->find(name); it != records->end()) record = &it->second;
        auto cgroup = cgroups_->open_workload(name);
        if (!cgroup) {
            log::warn("recover: {}: {}", name, cgroup.error().describe());
            continue;
        }
        UniqueFd pidfd = record ? open_recorded(*record) : UniqueFd{};
        auto want = desired.workloads.find(name);
        bool same = want != desired.workloads.end() && record != nullptr &&
                    want->second->launch_hash == record->launch_hash;
        if (!pidfd) {
            log::info("recover: {}: its process is gone; clearing its cgroup", name);
            (void)cgroup->kill();
            if (auto st = cgroup->remove(); !st) remove_when_empty(std::move(*cgroup), name);
            continue;
        }
        auto unit = std::make_unique<Unit>(same ? *want->second : orphan_spec(name, record),
                                           config_.paths.logs);
        publish_logs(*unit);
        unit->cgroup.emplace(std::move(*cgroup));
        unit->process = isolation::Process{std::move(pidfd), record->pid};
        unit->adopted = true;
        unit->state = State::running;
        unit->since_unix_ms = unix_ms();
        unit->run_started = EventLoop::now();
        unit->restarts = record->restarts;
        Unit& ref = *unit;
        units_.emplace(name, std::move(unit));
        auto out = pipes.extract(name + ".out");
        auto err = pipes.extract(name + ".err");
        ref.capture.attach(loop_, out ? std::move(out.mapped()) : UniqueFd{},
                           err ? std::move(err.mapped()) : UniqueFd{});
        ref.exit_source = loop_.add_pidfd(ref.process.pidfd.get(), [this, &ref] {
            on_exit(ref);
            return Status{};
        });
        record_run(ref);
        if (same) {
            log::info("recover: {}: adopted (pid {})", name, ref.process.pid);
            emit_event(name, "adopted", "pid " + std::to_string(ref.process.pid));
            if (record->hash != ref.desired.hash) update_in_place(ref, ref.desired);
            // Its probes run again; READY=1 went to our predecessor, so it is taken as given.
            manifests::Workload unused = ref.desired.workload;
            if (auto st = prepare_notify(ref, unused); !st)
                log::warn("recover: {}: {}", name, st.error().describe());
            start_health(ref);
            if (ref.prober) ref.prober->assume_ready();
            continue;
        }
        // Stopped first; its replacement (if still desired) starts once it is gone.
        log::info("recover: {}: {}; stopping it", name,
                  want == desired.workloads.end() ? "no longer desired" : "its spec changed");
        if (want != desired.workloads.end()) {
            ref.next = *want->second;
            ref.want_up = true;
        } else {
            ref.remove = true;
            ref.want_up = false;
        }
        request_down(ref);
    }
    for (auto& [tag, fd] : pipes) fds_.drop(tag);  // their workloads are gone
}

std::filesystem::path Core::records_path() const {
    return std::filesystem::path(config_.paths.state) / "workloads.json";
}

void Core::record_run(const Unit& unit) {
    RunRecord& r = records_[unit.name()];
    r.name = unit.name();
    r.hash = unit.desired.hash;
    r.launch_hash = unit.desired.launch_hash;
    r.pid = unit.process.pidfd ? unit.process.pid : 0;
    r.start_time = r.pid > 0 ? process_start_time(r.pid).value_or(0) : 0;
    r.boot_id = current_boot_id();
    r.stop_signal = unit.spec().stop_signal;
    r.stop_timeout_ms = unit.spec().stop_timeout.count();
    r.restarts = unit.restarts;
    records_dirty_ = true;
}

void Core::forget_run(const std::string& name) {
    records_.erase(name);
    records_dirty_ = true;
}

}  // namespace edgevisor::supervisor
