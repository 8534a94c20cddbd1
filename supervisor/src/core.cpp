#include "core.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "edgevisor/atomic_file.hpp"
#include "edgevisor/log.hpp"
#include "edgevisor/page_release.hpp"
#include "systemd_unit.hpp"

namespace edgevisor::supervisor {
namespace {

std::int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

isolation::CgroupOptions cgroup_options(const manifests::NodeConfig& config) {
    isolation::CgroupOptions options;
    options.allow_missing_controllers = config.cgroup.allow_missing_controllers;
    options.subtree = config.cgroup.subtree;
    bool delegated = config.cgroup.layout == manifests::CgroupLayoutChoice::delegated ||
                     (config.cgroup.layout == manifests::CgroupLayoutChoice::automatic &&
                      ::getenv("INVOCATION_ID") != nullptr);
    options.layout =
        delegated ? isolation::CgroupLayout::delegated : isolation::CgroupLayout::standalone;
    return options;
}

// Under systemd, the delegated scope for the workloads (systemd_unit.hpp); it also fills in
// the mount point the scope's path is relative to.
std::optional<WorkloadScope> scope_for(isolation::CgroupOptions& options) {
    if (options.layout != isolation::CgroupLayout::delegated) return std::nullopt;
    auto mount = isolation::discover_cgroup_mount();
    if (!mount) return std::nullopt;  // CgroupTree::open says why
    if (options.mount_point.empty()) options.mount_point = mount->mount_point;
    return workload_scope(mount->own_cgroup);
}

isolation::LauncherOptions launcher_options(const manifests::NodeConfig& config,
                                            const SupervisorOptions& supervisor) {
    isolation::LauncherOptions options;
    options.default_nofile = supervisor.workload_nofile;
    options.init_path = supervisor.init;
    options.runtime_dir = config.paths.runtime;
    // A workload on the host's root must not read the node's config, state (acknowledged
    // desired state), runtime files or the other workloads' logs.
    // Absolute: `edgevisord --config node.yaml` names a relative file, and a relative (or
    // empty) path cannot be hidden, so every workload on the host's root failed to start.
    std::error_code ec;
    auto file = std::filesystem::absolute(config.file, ec).lexically_normal();
    std::string config_dir =
        config.file.empty() || ec ? std::string("/etc/edgevisor") : file.parent_path().string();
    options.supervisor_paths = {config_dir, config.paths.state, config.paths.runtime,
                                config.paths.logs};
    return options;
}

}  // namespace

std::string resolve_node_id(const manifests::NodeConfig& config) {
    if (!config.node.id.empty()) return config.node.id;
    std::ifstream machine_id("/etc/machine-id");
    std::string id;
    if (machine_id >> id && !id.empty()) return id;
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') return host;
    return "edgevisor-node";
}

Result<std::unique_ptr<Supervisor>> Supervisor::create(EventLoop& loop, SupervisorOptions options) {
    auto core = std::make_unique<Core>(loop, std::move(options));
    return std::unique_ptr<Supervisor>(std::move(core));
}

Supervisor::~Supervisor() = default;

Core::Core(EventLoop& loop, SupervisorOptions options)
    : loop_(loop),
      options_(std::move(options)),
      config_(options_.config),
      node_id_(resolve_node_id(config_)),
      launcher_(launcher_options(config_, options_)),
      files_(config_.paths.manifests),
      layers_(std::filesystem::path(config_.paths.state) / "layers") {}

Core::~Core() = default;

Status Core::boot() {
    // The modes of the unit's StateDirectory=, RuntimeDirectory= and LogsDirectory=, for a
    // daemon that creates them itself.
    for (auto [dir, mode] : {std::pair{config_.paths.state, 0700},
                             {config_.paths.runtime, 0755},
                             {config_.paths.logs, 0750}})
        if (auto st = make_dirs(dir, static_cast<mode_t>(mode)); !st) return st;
    if (auto st = layers_.load(); !st) log::error("layers: {}", st.error().describe());
    files_.rescan();
    auto cgroup = cgroup_options(config_);
    auto scope = scope_for(cgroup);
    if (!options_.fd_holder.empty()) open_fd_holder(scope ? scope->launcher() : Argv{});
    if (scope && fds_.connected() &&
        std::filesystem::is_directory(cgroup.mount_point + scope->cgroup)) {
        cgroup.root = cgroup.mount_point + scope->cgroup;
        log::info("edgevisord: workloads in {} (delegated, beside {})", scope->name, scope->unit);
    } else if (scope) {
        log::warn(
            "edgevisord: no {}: workloads in {}'s own cgroup, which systemd cannot "
            "restart while they run",
            scope->name, scope->unit);
    }
    auto tree = isolation::CgroupTree::open(cgroup);
    if (!tree) return std::unexpected(tree.error().wrap("cgroup"));
    cgroups_.emplace(std::move(*tree));
    // Before recover(): an adopted workload's probes start there and hold the reaper.
    reaper_ = std::make_unique<health::Reaper>(loop_);
    recover();
    fds_.attach(loop_);  // from here on, hand-overs to the holder never block the loop
    if (auto st = files_.watch(loop_, config_.supervisor.debounce,
                               [this] {
                                   if (files_.rescan()) reconcile();
                               });
        !st)
        log::warn("manifests: {} (changes are read on SIGHUP)", st.error().describe());
    prepare_ = loop_.add_prepare([this] {
        before_wait();
        return Status{};
    });
    arm_sampling();
    reconcile();
    booted_ = true;
    announce_ready();
    return {};
}

// Ready once the first reconcile's launches have ended their setup (exec'd or failed): READY=1
// then means what it did while launches were synchronous.
void Core::announce_ready() {
    if (ready_ || !booted_) return;
    if (std::ranges::any_of(units_,
                            [](const auto& entry) { return entry.second->start_report.valid(); }))
        return;
    ready_ = true;
    write_snapshot();  // before READY=1: whoever waits for it finds the snapshot there
    // A node event: the channels, which started before boot() (the bus name is there before
    // READY=1), re-read the layers loaded from the state directory (DesiredRevision).
    emit_event("", "ready", summary());
    if (options_.on_ready) options_.on_ready();
    log::info("edgevisord: node {} ready: {}", node_id_, summary());
    schedule_page_release();
}

// supervisor.releaseMemoryAfter (5 s) after start-up and after each reconcile that changed
// something (a burst of parsing, planning and launching), the pages only that burst needed are
// given back (release_clean_pages). Each new burst pushes the release back; it waits for launches
// still setting up. Reconciles are rare, so pages are not read back again and again.
void Core::schedule_page_release() {
    const auto delay = config_.supervisor.release_memory_after;
    if (delay.count() == 0) return;
    page_release_timer_ = loop_.add_timer(EventLoop::now() + delay, [this] {
        if (std::ranges::any_of(units_,
                                [](const auto& e) { return e.second->start_report.valid(); })) {
            schedule_page_release();
            return Status{};
        }
        auto released = release_clean_pages();
        if (!released) {
            log::warn("memory: start-up pages kept: {}", released.error().describe());
        } else {
            if (released->failed > 0)
                log::warn("memory: {} mappings kept, the first: {}", released->failed,
                          released->first_failure.describe());
            log::debug("memory: start-up pages released ({} mappings, {} KB advised)",
                       released->mappings, released->bytes / 1024);
        }
        return Status{};
    });
}

// Connects to the log pipes' holder (starting it through `launcher`, as the scope's first
// process, when none runs) and takes back what a previous daemon left there. The answer also
// proves the holder runs: a new scope exists once it does.
void Core::open_fd_holder(const Argv& launcher) {
    auto store = FdStore::open(config_.paths.runtime, options_.fd_holder, launcher);
    if (!store) {
        log::warn("edgevisord: {}: log pipes will not survive a daemon restart",
                  store.error().describe());
        return;
    }
    auto taken = store->take_all();
    if (!taken) {
        log::warn(
            "edgevisord: log pipes of the last run: {}; log pipes will not survive a "
            "daemon restart",
            taken.error().describe());
        return;
    }
    fds_ = std::move(*store);
    held_pipes_ = std::move(*taken);
}

void Core::reload(const manifests::NodeConfig& config) {
    if (config.log.level != config_.log.level)
        log::info("edgevisord: log level {} (was {})", config.log.level, config_.log.level);
    options_.config.log = config.log;
    options_.config.supervisor = config.supervisor;
    options_.config.node.labels = config.node.labels;
    if (config.paths.manifests != config_.paths.manifests ||
        config.cgroup.subtree != config_.cgroup.subtree)
        log::warn("edgevisord: paths and cgroup settings change on a restart only");
    files_.rescan();
    reconcile();
}

void Core::detach() {
    if (shutting_down_) return;
    shutting_down_ = true;
    std::size_t running = 0;
    // A child still setting up is waited for, so that the records name every workload the
    // next daemon finds.
    for (auto& [name, unit] : units_)
        if (unit->start_report) finish_launch(*unit);
    for (auto& [name, unit] : units_) {
        // The cgroup object would kill what runs in it when destroyed: the next daemon owns it.
        if (unit->cgroup) unit->cgroup->release();
        if (unit->process.pidfd) ++running;
    }
    if (auto st = write_run_records(records_path(), records_); !st)
        log::warn("records: {}", st.error().describe());
    records_dirty_ = false;
    log::info("edgevisord: restarting: {} workloads keep running for the next edgevisord", running);
    stopped_reported_ = true;
    write_snapshot();
    if (options_.on_stopped) options_.on_stopped();
}

void Core::shutdown() {
    if (shutting_down_) return;
    shutting_down_ = true;
    log::info("edgevisord: stopping {} workloads", units_.size());
    for (auto& [name, unit] : units_) unit->want_up = false;
    std::vector<Unit*> all;
    for (auto& [name, unit] : units_) all.push_back(unit.get());
    for (Unit* unit : all) request_down(*unit);
    snapshot_dirty_ = true;
}

MergedDesired Core::merged_desired() const {
    std::map<std::string, std::vector<const DesiredWorkload*>> layers;
    layers["files"] = files_.workloads();
    for (const auto& [name, layer] : layers_.layers())
        for (const auto& [wname, w] : layer.workloads) layers[name].push_back(&w);
    return merge_layers(layers, layer_order(config_.node.groups));
}

std::vector<PlannedStep> Core::current_plan(const MergedDesired& desired) const {
    std::map<std::string, PlanKey> want, have;
    for (const auto& [name, w] : desired.workloads) want[name] = {w->hash, w->launch_hash};
    for (const auto& [name, unit] : units_) {
        if (unit->remove) continue;
        const DesiredWorkload& d = unit->next ? *unit->next : unit->desired;
        have[name] = {d.hash, d.launch_hash};
    }
    return plan(want, have);
}

void Core::reconcile() {
    if (shutting_down_) return;
    auto began = std::chrono::steady_clock::now();
    MergedDesired desired = merged_desired();
    report_conflicts(desired.conflicts);
    auto steps = current_plan(desired);
    auto planned = std::chrono::steady_clock::now();
    reserve_id_ranges(steps, desired);
    for (const PlannedStep& step : steps) carry_out(step, desired);
    auto done = std::chrono::steady_clock::now();
    using us = std::chrono::microseconds;
    // bench/daemon_bench.py reads this line.
    log::info("reconcile: {} desired, {} steps, planned in {} us, carried out in {} us",
              desired.workloads.size(), steps.size(),
              std::chrono::duration_cast<us>(planned - began).count(),
              std::chrono::duration_cast<us>(done - planned).count());
    snapshot_dirty_ = true;
    if (ready_ && !steps.empty()) schedule_page_release();
}

void Core::carry_out(const PlannedStep& step, const MergedDesired& desired) {
    log::info("{}: {}", step.name, plan_action_name(step.action));
    switch (step.action) {
        case PlanAction::create: {
            // A unit still stopping for removal under the same name is replaced once down.
            if (Unit* old = find(step.name)) {
                old->remove = false;
                old->next = *desired.workloads.at(step.name);
                old->want_up = true;
                return;
            }
            auto unit =
                std::make_unique<Unit>(*desired.workloads.at(step.name), config_.paths.logs);
            Unit& ref = *unit;
            publish_logs(ref);
            units_.emplace(step.name, std::move(unit));
            ref.since_unix_ms = unix_ms();
            changed(ref);
            fire(ref, Event::want_up);
            return;
        }
        case PlanAction::update:
            update_in_place(*find(step.name), *desired.workloads.at(step.name));
            return;
        case PlanAction::replace: {
            Unit& unit = *find(step.name);
            unit.next = *desired.workloads.at(step.name);
            unit.want_up = true;
            request_down(unit);
            return;
        }
        case PlanAction::remove: {
            Unit& unit = *find(step.name);
            unit.remove = true;
            unit.want_up = false;
            unit.next.reset();
            request_down(unit);
            return;
        }
    }
}

void Core::fire(Unit& unit, Event event) {
    Transition t = transition(unit.state, event);
    log::debug("{}: {} + {} -> {} ({})", unit.name(), state_name(unit.state), event_name(event),
               state_name(t.next), action_name(t.action));
    if (t.next != unit.state) {
        bool was_running = unit.state == State::running;
        unit.state = t.next;
        unit.since_unix_ms = unix_ms();
        if (was_running || t.next == State::running || is_down(t.next)) deps_dirty_ = true;
        emit_event(unit.name(), "state", std::string(visible_state(t.next)));
        changed(unit);
    }
    perform(unit, t.action);
}

void Core::request_down(Unit& unit) {
    // Dependents that are going down too go first (the reverse of the start order).
    for (const auto& [name, other] : units_) {
        if (other->want_up || is_down(other->state)) continue;
        for (const auto& dep : other->spec().depends_on)
            if (dep.name == unit.name()) {
                unit.down_deferred = true;
                unit.message = "stopping after its dependent " + name;
                changed(unit);
                return;
            }
    }
    unit.down_deferred = false;
    fire(unit, Event::want_down);
}

void Core::check_waiting() {
    std::vector<Unit*> waiting, deferred;
    for (auto& [name, unit] : units_) {
        if (unit->state == State::waiting && unit->want_up) waiting.push_back(unit.get());
        if (unit->down_deferred) deferred.push_back(unit.get());
    }
    for (Unit* unit : deferred) request_down(*unit);
    for (Unit* unit : waiting) check_deps(*unit);
}

void Core::before_wait() {
    // Work that must not run inside the dispatch that caused it: freeing removed units,
    // re-checking gates, writing the snapshot once per wake-up rather than once per change.
    for (int round = 0; deps_dirty_ && round < 64; ++round) {
        deps_dirty_ = false;
        check_waiting();
    }
    graveyard_.clear();
    if (!ranges_to_release_.empty()) release_id_ranges();
    if (records_dirty_) {
        records_dirty_ = false;
        if (auto st = write_run_records(records_path(), records_); !st)
            log::warn("records: {}", st.error().describe());
    }
    if (shutting_down_ && !stopped_reported_) {
        bool all_down = true;
        for (const auto& [name, unit] : units_)
            if (unit->state != State::stopped) all_down = false;
        // Done only when every cgroup is gone too: no process left behind.
        if (!draining_.empty()) all_down = false;
        if (all_down) {
            stopped_reported_ = true;
            write_snapshot();
            log::info("edgevisord: every workload is stopped");
            if (options_.on_stopped) options_.on_stopped();
            return;
        }
    }
    if (snapshot_dirty_) write_snapshot();
}

Unit* Core::find(std::string_view name) {
    auto it = units_.find(std::string(name));
    return it == units_.end() ? nullptr : it->second.get();
}

const Unit* Core::find(std::string_view name) const {
    auto it = units_.find(std::string(name));
    return it == units_.end() ? nullptr : it->second.get();
}

}  // namespace edgevisor::supervisor
