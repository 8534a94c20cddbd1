// cgroup v2 for workloads: where the hierarchy is, the subtree we own, one cgroup per workload
// with its limits, accounting, events, freeze/thaw and a stop that leaves no process behind.
//
// Layout (both modes keep workloads out of the cgroup that holds the supervisor, because of the
// cgroup v2 no-internal-processes rule):
//   standalone  <mount>/<subtree>/workloads/<name>      (default subtree "edgevisor")
//   delegated   <our cgroup>/supervisor      <- the daemon moves itself here
//               <our cgroup>/workloads/<name>             (systemd Delegate=yes)
//   delegated, with a root (a delegated scope beside the daemon's unit, which systemd can
//   restart while the scope lives on: supervisor/systemd_unit.hpp says why)
//               <root>/holder                <- its processes (edgevisor-fdholder) move here
//               <root>/workloads/<name>
//
// Every directory is held open as an O_DIRECTORY|O_CLOEXEC fd; Cgroup::dir_fd() is what
// LaunchRequest::cgroup_fd takes, so the child is born in its cgroup (CLONE_INTO_CGROUP).
// Nothing here spawns threads or sleeps: waits poll the cgroup.events file or a pidfd.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/isolation/launcher.hpp"
#include "edgevisor/manifests/spec.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor::isolation {

// ---- discovery ---------------------------------------------------------------------------

struct CgroupMount {
    std::string mount_point;  // absolute, e.g. "/sys/fs/cgroup" or "/sys/fs/cgroup/unified"
    std::string own_cgroup;   // our cgroup relative to the mount, "/" or "/system.slice/x.service"
};

// Finds the cgroup2 mount and our cgroup from /proc/self/mountinfo and /proc/self/cgroup.
// A host with only cgroup v1 is an error (step "cgroup.discover") that says so.
Result<CgroupMount> discover_cgroup_mount();

// ---- options (node settings) ---------------------------------------------------------------

enum class CgroupLayout {
    standalone,  // we create and own <mount>/<subtree>
    delegated,   // systemd Delegate=yes: we own our own cgroup and move ourselves to supervisor/
};

struct CgroupOptions {
    CgroupLayout layout = CgroupLayout::standalone;
    std::string mount_point;            // empty: discovered from /proc/self/mountinfo
    std::string subtree = "edgevisor";  // standalone only, relative to the mount point
    // delegated only: this cgroup (absolute path) instead of our own; its processes move to
    // holder/ and we stay where we are.
    std::string root;
    // Node setting `allowMissingControllers`: a limit whose controller is not available is
    // skipped with a logged warning instead of failing the workload. Default: fail.
    bool allow_missing_controllers = false;
    // Controllers enabled in cgroup.subtree_control down to workloads/, when available.
    std::vector<std::string> controllers = {"cpu", "cpuset", "io", "memory", "pids"};
    // Remove workloads/ and (standalone) the subtree directory when the tree is destroyed, if
    // they are empty. For tests and `edgectl run`; a daemon keeps them.
    bool remove_on_close = false;
    // false: never use cgroup.kill (Linux < 5.14 path: freeze, SIGKILL every pid, thaw).
    bool allow_cgroup_kill = true;
};

// Requested limits a workload runs without because their controllers are missing
// (allowMissingControllers): the files in the order they are written, and the controllers they
// needed, each once.
struct SkippedLimits {
    std::vector<std::string> files;        // "cpu.max", "memory.max"
    std::vector<std::string> controllers;  // "cpu", "memory"
    std::string mount_point;               // where they are missing
    [[nodiscard]] bool empty() const { return files.empty(); }
};

// The one line a person reads for it (edgectl run and the daemon alike):
// "sensor-reader: running without cpu.max, memory.max (no cpu, memory controller in
// /sys/fs/cgroup/unified)".
std::string describe_skipped_limits(std::string_view workload, const SkippedLimits& skipped);

// ---- accounting ------------------------------------------------------------------------

struct CpuStat {  // cpu.stat; the nr_* / throttled_usec fields need the cpu controller
    std::uint64_t usage_usec = 0, user_usec = 0, system_usec = 0;
    std::uint64_t nr_periods = 0, nr_throttled = 0, throttled_usec = 0;
};

struct MemoryEvents {  // memory.events
    std::uint64_t low = 0, high = 0, max = 0, oom = 0, oom_kill = 0, oom_group_kill = 0;
};

struct IoStatEntry {  // one io.stat line
    unsigned major = 0, minor = 0;
    std::uint64_t rbytes = 0, wbytes = 0, rios = 0, wios = 0, dbytes = 0, dios = 0;
};

struct PressureLine {  // "some avg10=0.00 avg60=0.00 avg300=0.00 total=0"
    double avg10 = 0, avg60 = 0, avg300 = 0;
    std::uint64_t total_usec = 0;
};

struct Pressure {  // cpu.pressure / memory.pressure / io.pressure (PSI)
    PressureLine some;
    std::optional<PressureLine> full;
};

// One sample. Fields are empty (nullopt / empty vector) when the file does not exist, i.e. the
// controller is not enabled for the cgroup or the kernel lacks the feature (memory.peak < 5.19).
struct CgroupStats {
    CpuStat cpu;
    std::optional<std::uint64_t> memory_current;
    std::optional<std::uint64_t> memory_peak;
    std::optional<std::uint64_t> memory_swap_current;
    std::optional<MemoryEvents> memory_events;
    std::optional<std::uint64_t> pids_current;
    std::vector<IoStatEntry> io;
    std::optional<Pressure> cpu_pressure, memory_pressure, io_pressure;
};

struct CgroupState {         // cgroup.events
    bool populated = false;  // false: no process left in the cgroup or any descendant
    bool frozen = false;
};

// ---- one cgroup ----------------------------------------------------------------------------

class Cgroup {
  public:
    // Opens an existing cgroup directory. own = true: the destructor kills what is left in it
    // (cgroup.kill) and removes the directory.
    static Result<Cgroup> open(const std::string& path, bool own,
                               const CgroupOptions& options = {});
    // mkdir + open; an existing, empty directory is taken over (left over from a crash); one
    // that still has processes is an error (EBUSY).
    static Result<Cgroup> create(const std::string& path, bool own,
                                 const CgroupOptions& options = {});

    Cgroup(Cgroup&&) noexcept = default;
    Cgroup& operator=(Cgroup&&) noexcept;
    Cgroup(const Cgroup&) = delete;
    Cgroup& operator=(const Cgroup&) = delete;
    ~Cgroup();

    [[nodiscard]] const std::string& path() const { return path_; }
    // O_DIRECTORY|O_CLOEXEC fd of the cgroup; pass as LaunchRequest::cgroup_fd.
    [[nodiscard]] int dir_fd() const { return dir_.get(); }
    // Controllers the kernel offers to this cgroup (its cgroup.controllers).
    [[nodiscard]] Result<std::vector<std::string>> controllers() const;

    // Writes the limits. Applying again with changed resources updates the running cgroup in
    // place; a limit that is no longer set is reset to the kernel default ("max", weight 100).
    // Validates everything (controllers present, io devices resolved) before writing anything.
    // A limit whose controller is unavailable fails with step "cgroup.controller" and the
    // message "memory.max requested but the memory controller is not available in <mount>",
    // unless options.allow_missing_controllers: then the limit is skipped, and one warning
    // for the whole workload is logged (describe_skipped_limits) and kept in skipped_limits().
    Status apply(const manifests::Resources& resources);
    // What the last apply() ran without (empty when every requested limit was written).
    [[nodiscard]] const SkippedLimits& skipped_limits() const { return skipped_; }

    // pids in cgroup.procs (this cgroup only, not descendants).
    [[nodiscard]] Result<std::vector<pid_t>> procs() const;
    [[nodiscard]] Result<CgroupState> state() const;
    // Blocks (poll on cgroup.events, no sleeping) until populated is 0. Error ETIMEDOUT.
    Status wait_empty(std::chrono::milliseconds timeout) const;

    // cgroup.freeze, then wait for "frozen 1" / "frozen 0" in cgroup.events.
    Status freeze(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    Status thaw(std::chrono::milliseconds timeout = std::chrono::seconds(5));

    // SIGKILL to every process in the cgroup and its descendants: cgroup.kill (5.14+), else
    // freeze + kill(2) every pid in cgroup.procs + thaw. Returns without waiting.
    Status kill();
    // kill() was called. Linux 6.18 SIGKILLs every process cloned with CLONE_INTO_CGROUP into
    // a cgroup that was once killed (the child's kill_seq is taken from the parent's cgroup),
    // so such a cgroup must not take another process: remove it and create a fresh one.
    [[nodiscard]] bool was_killed() const { return killed_; }
    // rmdir (fails with EBUSY while populated). After it, the Cgroup no longer owns anything.
    Status remove();

    // One sample of accounting (see CgroupStatsReader for repeated sampling).
    [[nodiscard]] Result<CgroupStats> stats() const;

    // Give up ownership: the destructor will leave the directory alone.
    void release() { owned_ = false; }

  private:
    Cgroup(std::string path, UniqueFd dir, bool own, const CgroupOptions& options);
    void destroy() noexcept;

    std::string path_;
    std::string mount_point_;  // for messages ("not available in /sys/fs/cgroup/unified")
    UniqueFd dir_;
    bool owned_ = false;
    bool allow_missing_controllers_ = false;
    bool allow_cgroup_kill_ = true;
    bool killed_ = false;
    SkippedLimits skipped_;
};

// ---- stop --------------------------------------------------------------------------------

struct StopOptions {
    int signal = SIGTERM;                                       // sent to the main process first
    std::chrono::milliseconds grace{std::chrono::seconds(10)};  // then cgroup.kill
    std::chrono::milliseconds kill_timeout{std::chrono::seconds(5)};  // wait for populated 0
    bool remove = true;                                               // rmdir once empty
};

struct StopOutcome {
    bool exited_in_grace = false;  // the main process exited before the grace period ended
    bool killed = false;           // cgroup.kill (or its fallback) was needed for something left
};

// Stops a workload: `signal` to the main process through its pidfd (main may be null: then
// straight to the kill), wait until it exits or `grace` passes (poll on the pidfd and
// cgroup.events), then kill everything left in the cgroup, wait for populated 0 and remove the
// directory. Nothing survives, daemonised grandchildren included. Does not reap `main`: the
// caller still waits on its pidfd (wait_exit) for the exit status.
Result<StopOutcome> stop(Cgroup& cgroup, const Process* main, const StopOptions& options = {});

// ---- the subtree we own ----------------------------------------------------------------------

class CgroupTree {
  public:
    // Finds the mount, creates (standalone) or takes over (delegated: moves every process of
    // our cgroup into supervisor/) the root, creates workloads/ and enables options.controllers
    // that are available in cgroup.subtree_control from the root down to workloads/.
    static Result<CgroupTree> open(const CgroupOptions& options = {});

    CgroupTree(CgroupTree&&) noexcept = default;
    CgroupTree& operator=(CgroupTree&&) noexcept = default;
    ~CgroupTree();

    [[nodiscard]] const std::string& mount_point() const { return options_.mount_point; }
    [[nodiscard]] const std::string& root() const { return root_; }                // absolute
    [[nodiscard]] const std::string& workloads_dir() const { return workloads_; }  // absolute
    [[nodiscard]] const CgroupOptions& options() const { return options_; }
    // Controllers each workload cgroup gets (cgroup.subtree_control of workloads/).
    [[nodiscard]] Result<std::vector<std::string>> enabled_controllers() const;

    // workloads/<name>, owned (removed when the Cgroup is destroyed).
    Result<Cgroup> create_workload(std::string_view name) const;
    // An existing workloads/<name>, not owned (e.g. adopted after a daemon restart).
    Result<Cgroup> open_workload(std::string_view name) const;

  private:
    CgroupTree() = default;
    CgroupOptions options_;
    std::string root_, workloads_;
    UniqueFd root_dir_, workloads_dir_;
    bool created_root_ = false;
};

// ---- accounting, repeatedly --------------------------------------------------------------

// Keeps the stat files of one cgroup open and re-reads them with pread into a stack buffer,
// parsed with from_chars: a sample costs a few preads, no open, no allocation beyond io lines.
class CgroupStatsReader {
  public:
    static Result<CgroupStatsReader> open(const Cgroup& cgroup);
    Result<CgroupStats> read() const;

  private:
    struct Files {
        UniqueFd cpu_stat, memory_current, memory_peak, memory_swap_current, memory_events,
            pids_current, io_stat, cpu_pressure, memory_pressure, io_pressure;
    };
    Files files_;
};

// ---- events ------------------------------------------------------------------------------

enum class CgroupEventKind {
    populated,  // first process entered
    emptied,    // populated 0: the workload, children included, is gone
    frozen,
    thawed,
    oom,       // memory.events oom went up (allocation failed at memory.max)
    oom_kill,  // memory.events oom_kill went up: the kernel killed a process of the workload
};

struct CgroupEvent {
    std::string workload;  // the name given to watch()
    CgroupEventKind kind{};
    std::uint64_t count = 0;  // oom / oom_kill: how many since the last report; else 1
};

// inotify on cgroup.events and memory.events of every watched workload. Put fd() in the event
// loop's epoll (EPOLLIN); when it is readable call drain().
// The kernel sends at most one cgroup.events notification per 10 ms per cgroup and drops a
// pending one when the cgroup is removed: after stop() (which removes the directory) an
// "emptied" may never come; stop()'s return is the authority there, then unwatch(). A workload
// that ends by itself always gets its "emptied".
class CgroupWatcher {
  public:
    static Result<CgroupWatcher> create();

    [[nodiscard]] int fd() const { return inotify_.get(); }  // non-blocking, close-on-exec
    // Starts watching; the current state is the baseline (no event for what already is).
    Status watch(const std::string& workload, const Cgroup& cgroup);
    void unwatch(const std::string& workload);
    // Reads every pending inotify event, re-reads the changed files and returns what changed.
    // Never blocks; returns an empty vector when nothing is pending.
    Result<std::vector<CgroupEvent>> drain();

  private:
    struct Watched {
        std::string workload;
        UniqueFd events_file, memory_events_file;
        CgroupState last_state;
        MemoryEvents last_memory;
        int events_wd = -1, memory_wd = -1;
    };
    void collect(Watched& watched, std::vector<CgroupEvent>& out);
    UniqueFd inotify_;
    std::unordered_map<int, std::string> by_wd_;        // wd -> workload
    std::unordered_map<std::string, Watched> watched_;  // workload -> files and baseline
};

// ---- helpers -------------------------------------------------------------------------------

// "/dev/vda" -> "254:0" (stat, must be a block device). Errors name the path.
Result<std::string> resolve_block_device(const std::string& path);

// cpu.max value for a quota in millicores: 500 -> "50000 100000" (period default 100000 us).
std::string cpu_max_value(std::uint64_t millicores, std::uint64_t period_us = 100000);

}  // namespace edgevisor::isolation
