// The contract between the daemon and its channels (D-Bus, MQTT): what a channel may ask of
// the supervisor (Control) and what the supervisor tells every channel (Observer). The daemon
// implements Control; each adapter implements Observer. Both are called on the daemon's event
// loop thread only: an adapter whose library runs its own threads (Paho) copies what it got
// onto its queue, wakes the loop, and calls Control from there.
//
// Plain data, so that telemetry depends on manifests only (DESIGN.md, dependencies one way).
#pragma once

#include <cerrno>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/manifests/manifests.hpp"

namespace edgevisor::telemetry {

// One workload as every channel reports it. Field names are the README's status fields.
struct WorkloadStatus {
    std::string name;
    std::string state;      // pending, waiting, starting, running, stopping, exited, failed,
                            // backoff, crash-loop (README: "Workload states")
    std::string health;     // "" (no probes), starting, healthy, unhealthy
    std::string layer;      // where its spec came from: files, api, node, group:<name>
    std::string spec_hash;  // manifests::canonical_hash of the running (or wanted) spec
    std::int64_t pid = 0;   // in the daemon's pid namespace; 0 when not running
    std::uint32_t restarts = 0;
    std::string last_exit;  // "" or e.g. "exited 1", "killed by SIGKILL", "oom-killed",
                            // "start failed at pivot_root(/srv/x): No such file or directory"
    std::string message;    // why it waits or what failed last, "" when nothing to say
    std::int64_t since_unix_ms = 0;  // when it entered its state
    // Resource figures of the last sample (0 when not sampled yet).
    std::uint64_t cpu_usec = 0;      // cumulative cpu.stat usage_usec
    double cpu_cores = 0;            // share of one core over the last interval
    std::uint64_t memory_bytes = 0;  // memory.current
    std::uint64_t pids = 0;          // pids.current
};

// One source of desired state ("layer") and what it holds now.
struct LayerStatus {
    std::string name;            // files, api, node, group:<name>
    std::uint64_t revision = 0;  // last applied revision (files and api: a local counter)
    std::size_t workloads = 0;
    std::vector<manifests::Diagnostic> errors;  // of the last rejected document, kept for status
};

// The node's own figures, from the same sampling timer as the workloads'.
struct NodeResources {
    double load1 = 0, load5 = 0, load15 = 0;
    std::uint64_t memory_total = 0, memory_available = 0;  // bytes
    std::uint64_t supervisor_cpu_usec = 0;                 // edgevisord's own, cumulative
    double supervisor_cpu_cores = 0;
    std::uint64_t supervisor_rss = 0;  // bytes
};

// One definition of a workload: its layer and the document it is in (a manifest file's
// file:line:col, a fleet document's topic:line:col, the D-Bus Apply's source).
struct Definition {
    std::string layer;
    std::string source;
};

// A workload that several layers define: the definition used (the highest layer, README
// "Desired state: layers and precedence") and the shadowed ones, highest first.
struct LayerConflict {
    std::string workload;
    Definition used;
    std::vector<Definition> shadowed;
};

// "web: node (edgevisor/v1/nodes/n1/desired:5:5) wins over files (/etc/x/web.yaml:1:1)"
inline std::string describe(const LayerConflict& c) {
    auto one = [](const Definition& d) {
        return d.source.empty() ? d.layer : d.layer + " (" + d.source + ")";
    };
    std::string out = c.workload + ": " + one(c.used) + " wins over ";
    for (std::size_t i = 0; i < c.shadowed.size(); ++i)
        out += (i == 0 ? "" : ", ") + one(c.shadowed[i]);
    return out;
}

// The node's figures as status.json and the MQTT metrics and reported state show them (a
// template for a JSON type of nlohmann's interface, as conflicts_json below).
template <class Json>
Json resources_json(const NodeResources& r) {
    return {{"load", {r.load1, r.load5, r.load15}},
            {"memoryTotalBytes", r.memory_total},
            {"memoryAvailableBytes", r.memory_available},
            {"supervisorCpuUsec", r.supervisor_cpu_usec},
            {"supervisorCpuCores", r.supervisor_cpu_cores},
            {"supervisorRssBytes", r.supervisor_rss}};
}

// The conflicts as status.json and the MQTT reported state show them, for a JSON type of
// nlohmann's interface (a template: this header stays free of the JSON library):
// [{"workload", "layer", "source", "shadowed": [{"layer", "source"}]}]
template <class Json>
Json conflicts_json(const std::vector<LayerConflict>& conflicts) {
    Json out = Json::array();
    for (const auto& c : conflicts) {
        Json shadowed = Json::array();
        for (const auto& d : c.shadowed)
            shadowed.push_back({{"layer", d.layer}, {"source", d.source}});
        out.push_back({{"workload", c.workload},
                       {"layer", c.used.layer},
                       {"source", c.used.source},
                       {"shadowed", shadowed}});
    }
    return out;
}

struct NodeStatus {
    std::string node_id;
    std::string version;
    std::vector<std::string> groups;
    std::vector<LayerStatus> layers;
    std::vector<WorkloadStatus> workloads;   // sorted by name
    std::vector<LayerConflict> conflicts;    // by workload name
    std::optional<NodeResources> resources;  // none before the first sample
};

// Something a person or a fleet should know: a state change, a crash loop, an OOM kill, a
// probe failure, a rejected document. Sequence numbers increase by one per event, so a gap is
// visible to a reader of a bounded ring.
struct Event {
    std::uint64_t seq = 0;
    std::int64_t unix_ms = 0;
    std::string workload;  // "" for node-level events
    std::string kind;      // e.g. state, crash-loop, oom-kill, probe-failed, apply, rejected
    std::string message;
};

// What apply did, or would do for a dry run, to one workload.
struct PlanEntry {
    std::string workload;
    std::string action;  // create, update (limits in place), replace (restart), delete
};

struct ApplyRequest {
    std::string layer;  // api (D-Bus, edgectl apply), node, group:<name> (MQTT)
    std::string text;   // YAML (or JSON) of Workload documents or one DesiredState
    // For the node and group:<name> layers, text is one DesiredState document
    // (manifests/desired_state.hpp). The fleet channel checks size and UTF-8 before it calls
    // apply(), and turns an empty (cleared retained) payload into an empty DesiredState.
    std::string source;    // names the text in diagnostics, e.g. "dbus:Apply", topic
    bool dry_run = false;  // plan only: nothing validated is persisted or changed
};

enum class ApplyOutcome {
    applied,     // validated, persisted, and the plan is being carried out
    unchanged,   // same revision (or same content) as what the layer holds: a no-op
    superseded,  // an older revision than the layer's: ignored
    rejected,    // validation failed: nothing changed, diagnostics say why
};

struct ApplyResult {
    ApplyOutcome outcome = ApplyOutcome::rejected;
    std::uint64_t revision = 0;  // the document's revision (DesiredState) or the new counter
    std::vector<manifests::Diagnostic> diagnostics;  // file:line:col errors when rejected
    std::vector<PlanEntry> plan;
};

// A command run inside a running workload (`edgectl exec`, D-Bus Exec).
struct ExecRequest {
    std::string workload;
    // argv[0] absolute, or a name looked up in the workload's PATH inside its root.
    std::vector<std::string> argv;
    std::vector<std::string> env;  // "NAME=value", over the workload's own env
    // The caller's descriptors, duplicated by exec(): the caller may close them on return.
    int stdin_fd = -1;
    int stdout_fd = -1;
    int stderr_fd = -1;
    bool tty = false;  // stdin_fd is a terminal: it becomes the controlling terminal
};

// How an exec ended: `status` as a shell reports it (the exit code, 128 + the signal that
// killed it), or 126/127 with `failure` saying why it never ran (a join step failed; 127:
// the command was not found).
struct ExecEnd {
    std::int32_t status = 0;
    std::string failure;
};

using ExecDone = std::function<void(const ExecEnd&)>;

// What a channel may ask of the supervisor. Mutating calls are decided by the adapter's own
// access check (D-Bus: caller's euid) before they reach here. Errors that a channel names
// for its peer: an unknown workload name is an Error with code ENOENT (D-Bus:
// org.edgevisor.Supervisor1.Error.NoSuchWorkload), a refused argument EINVAL (InvalidArgs);
// any other is a failure whose describe() the peer reads.
class Control {
  public:
    virtual ~Control() = default;
    [[nodiscard]] virtual NodeStatus status() const = 0;
    // All-or-nothing: a document that fails validation changes nothing. An applied document
    // is persisted (crash-safe) before this returns, so the caller may acknowledge it.
    virtual ApplyResult apply(const ApplyRequest& request) = 0;
    // Removes a workload from the api layer (a workload from files is removed by its file).
    virtual Status remove(std::string_view name) = 0;
    virtual Status start(std::string_view name) = 0;
    virtual Status stop(std::string_view name) = 0;
    virtual Status restart(std::string_view name) = 0;
    // Events with seq > after_seq, oldest first, at most `max`.
    [[nodiscard]] virtual std::vector<Event> events(std::uint64_t after_seq,
                                                    std::size_t max) const = 0;
    // The last `lines` log lines of a workload, oldest first, as written to its log file.
    [[nodiscard]] virtual Result<std::vector<std::string>> logs(std::string_view name,
                                                                std::size_t lines) const = 0;
    // Starts a command inside the running workload (its namespaces, cgroup, identity,
    // capabilities and seccomp policy) and returns an id at once; `done` runs on the loop
    // thread when the command ended (never when it was cancelled). Errors: ENOENT no such
    // workload, EINVAL a bad request, anything else (not running, too many execs) a failure.
    virtual Result<std::uint64_t> exec(const ExecRequest& request, ExecDone done) {
        (void)request;
        (void)done;
        return fail("exec", "exec is not available here", ENOTSUP);
    }
    // The caller went away: kill the command (and what it started in its session); `done`
    // will not run. Unknown ids are ignored.
    virtual void cancel_exec(std::uint64_t id) { (void)id; }
};

// What the supervisor tells every channel, as it happens (on the loop thread; keep it cheap).
class Observer {
  public:
    virtual ~Observer() = default;
    virtual void workload_changed(const WorkloadStatus& status) = 0;
    virtual void workload_removed(std::string_view name) = 0;
    virtual void event(const Event& event) = 0;
    // A line just written to a workload's log, as GetLogs returns it (timestamp, stream, text).
    // Called for every line: an observer that has no use for it returns at once.
    virtual void log_line(std::string_view workload, std::string_view line) {
        (void)workload;
        (void)line;
    }
};

}  // namespace edgevisor::telemetry
