// The Supervisor's implementation, split by concern across core.cpp (start, reconcile, the
// state machine driver), executor.cpp (what each Action does to the kernel), control.cpp (the
// channels' Control calls) and status.cpp (status model, snapshot file, events).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "edgevisor/health/node_sample.hpp"
#include "edgevisor/isolation/cgroup.hpp"
#include "edgevisor/isolation/join.hpp"
#include "edgevisor/isolation/launcher.hpp"
#include "edgevisor/supervisor/supervisor.hpp"
#include "fd_store.hpp"
#include "layer_store.hpp"
#include "manifest_dir.hpp"
#include "planner.hpp"
#include "run_records.hpp"
#include "unit.hpp"

namespace edgevisor::supervisor {

// A command run through Control::exec, until it ends.
struct ExecRun {
    std::string workload;
    isolation::JoinedProcess joined;
    Source exit;
    telemetry::ExecDone done;  // empty once cancelled
};

class Core final : public Supervisor {
  public:
    Core(EventLoop& loop, SupervisorOptions options);
    ~Core() override;

    Status boot() override;
    void reload(const manifests::NodeConfig& config) override;
    void shutdown() override;
    void detach() override;
    void add_observer(telemetry::Observer* observer) override;
    void remove_observer(telemetry::Observer* observer) override;
    [[nodiscard]] std::string summary() const override;

    // Control
    [[nodiscard]] telemetry::NodeStatus status() const override;
    telemetry::ApplyResult apply(const telemetry::ApplyRequest& request) override;
    Status remove(std::string_view name) override;
    Status start(std::string_view name) override;
    Status stop(std::string_view name) override;
    Status restart(std::string_view name) override;
    [[nodiscard]] std::vector<telemetry::Event> events(std::uint64_t after_seq,
                                                       std::size_t max) const override;
    [[nodiscard]] Result<std::vector<std::string>> logs(std::string_view name,
                                                        std::size_t lines) const override;
    Result<std::uint64_t> exec(const telemetry::ExecRequest& request,
                               telemetry::ExecDone done) override;
    void cancel_exec(std::uint64_t id) override;

  private:
    // core.cpp
    using Argv = std::vector<std::string>;
    void open_fd_holder(const Argv& launcher);
    MergedDesired merged_desired() const;
    std::vector<PlannedStep> current_plan(const MergedDesired& desired) const;
    void reconcile();
    void report_conflicts(std::vector<telemetry::LayerConflict> conflicts);
    void carry_out(const PlannedStep& step, const MergedDesired& desired);
    void fire(Unit& unit, Event event);
    void request_down(Unit& unit);
    void before_wait();
    void check_waiting();
    Unit* find(std::string_view name);
    [[nodiscard]] const Unit* find(std::string_view name) const;

    // adopt.cpp
    void recover();
    [[nodiscard]] std::filesystem::path records_path() const;
    void record_run(const Unit& unit);
    void forget_run(const std::string& name);

    // executor.cpp
    void perform(Unit& unit, Action action);
    void check_deps(Unit& unit);
    void launch(Unit& unit);         // clones; finish_launch() runs when the child has exec'd
    void finish_launch(Unit& unit);  // or failed: the launched or ended_* event
    void finish_child_setup(Unit& unit);
    void start_failed(Unit& unit, const Error& error);
    void announce_ready();
    void schedule_page_release();
    void on_exit(Unit& unit);
    void close_run(Unit& unit, bool success);  // on_exit after the status is known
    void end_run(Unit& unit, bool success);
    void send_stop(Unit& unit);
    void kill(Unit& unit);
    void arm_kill_check(Unit& unit, int check);
    void check_killed(Unit& unit, int check);
    void arm_backoff(Unit& unit);
    void kill_leftovers(Unit& unit, bool remove_cgroup);
    void release_id_ranges();
    // Takes the host id ranges the steps' new runs will need in one write of the pool
    // (a cold start of 1000 workloads paid 1000 fsyncs), before they are launched.
    void reserve_id_ranges(const std::vector<PlannedStep>& steps, const MergedDesired& desired);
    Result<isolation::IdRange> id_range_for(const std::string& name);
    void remove_when_empty(isolation::Cgroup cgroup, const std::string& name);
    Status drain_cgroup_events();
    void finish_stop(Unit& unit);
    void update_in_place(Unit& unit, const DesiredWorkload& desired);

    // health.cpp
    Status prepare_notify(Unit& unit, manifests::Workload& launch_spec);
    void read_notify(Unit& unit);
    void start_health(Unit& unit);
    void stop_health(Unit& unit);
    void on_health(Unit& unit, const health::HealthDecision& decision);
    [[nodiscard]] bool dependency_met(const manifests::Dependency& dep) const;
    [[nodiscard]] std::string health_text(const Unit& unit) const;
    void arm_sampling();
    void report_oom_kills(Unit& unit, std::uint64_t total);
    void sample_all();
    void sample_node(health::SampleClock::time_point now);

    // exec.cpp
    void finish_exec(std::uint64_t id);

    // status.cpp
    [[nodiscard]] telemetry::WorkloadStatus unit_status(const Unit& unit) const;
    void changed(Unit& unit);
    void publish_logs(Unit& unit);  // its log lines to the observers (edgectl logs -f)
    void emit_event(const std::string& workload, const std::string& kind,
                    const std::string& message);
    void write_snapshot();

    EventLoop& loop_;
    SupervisorOptions options_;
    const manifests::NodeConfig& config_;
    std::string node_id_;
    std::optional<isolation::CgroupTree> cgroups_;
    isolation::Launcher launcher_;
    // Before units_: a unit's prober hands its killed probe processes to the reaper.
    std::unique_ptr<health::Reaper> reaper_;
    ManifestDir files_;
    LayerStore layers_;
    FdStore fds_;
    // Cgroups killed but not yet empty (a pid namespace's teardown takes a while): removed when
    // their cgroup.events says so, never waited for.
    std::optional<isolation::CgroupWatcher> watcher_;
    Source watcher_source_;
    std::map<std::string, isolation::Cgroup> draining_;
    // Removed workloads whose host id range goes back to the pool once no process of theirs is
    // left (their cgroup has drained): a range is never shared by two workloads' processes.
    std::set<std::string> ranges_to_release_;
    // The durable ranges this daemon took (the pool's state file holds them): a launch reads
    // the file only for a workload it has none for yet.
    std::map<std::string, isolation::IdRange> id_ranges_;
    std::map<std::string, UniqueFd> held_pipes_;  // from the holder at boot, for recover()
    RunRecords records_;
    bool records_dirty_ = false;
    std::map<std::string, std::unique_ptr<Unit>> units_;
    std::vector<std::unique_ptr<Unit>> graveyard_;  // removed during dispatch, freed before wait
    std::vector<telemetry::Observer*> observers_;
    std::deque<telemetry::Event> events_;
    std::vector<telemetry::LayerConflict> conflicts_;  // of the last reconcile
    std::uint64_t next_seq_ = 1;
    std::uint64_t api_revision_ = 0;
    Source prepare_, sighup_, sample_timer_, page_release_timer_;
    // The node's figures, sampled with the workloads' (sample_node).
    std::optional<health::NodeSampler> node_sampler_;
    std::optional<health::NodeSample> node_sample_;
    health::SampleClock::time_point node_sampled_at_{};
    bool booted_ = false;  // the first reconcile is done
    bool ready_ = false;   // ... and its launches have exec'd or failed (announce_ready)
    bool shutting_down_ = false;
    bool deps_dirty_ = false;
    bool snapshot_dirty_ = true;
    bool stopped_reported_ = false;
    std::mt19937_64 random_{std::random_device{}()};
    std::map<std::uint64_t, std::unique_ptr<ExecRun>> execs_;
    std::uint64_t next_exec_ = 1;
};

}  // namespace edgevisor::supervisor
