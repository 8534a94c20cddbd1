// The typed v1 manifest model: what a validated workload looks like to every other library.
// Defaults live here, in the member initialisers, so that the parser, the canonical hash and
// the isolation layer all agree on them. Everything here is plain data; see manifests.hpp for
// parsing and validation.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace edgevisor::manifests {

using Bytes = std::uint64_t;
using Duration = std::chrono::milliseconds;

// Where a document (or a node in it) came from, for errors: 1-based line and column.
struct SourceMark {
    std::string file;
    int line = 0;
    int column = 0;
};

// ---- restart, dependencies, health -------------------------------------------------------

enum class RestartPolicy { always, on_failure, never };

struct Backoff {
    Duration initial{1000};
    Duration max{60000};
};

struct Restart {
    RestartPolicy policy = RestartPolicy::always;
    Backoff backoff;
};

// started: its process runs (after its startup probe, if any, succeeded); healthy: its
// readiness probe passes (started when it has none); completed: it exited with status 0.
enum class DependencyCondition { started, healthy, completed };

struct Dependency {
    std::string name;
    DependencyCondition condition = DependencyCondition::started;
};

// notify: systemd's readiness protocol on $NOTIFY_SOCKET (READY=1, WATCHDOG=1, ...).
enum class ProbeKind { exec, tcp, http, notify };

struct Probe {
    ProbeKind kind = ProbeKind::exec;
    std::vector<std::string> exec;        // kind == exec
    std::string host = "127.0.0.1";       // kind == tcp | http
    std::uint16_t port = 0;               // kind == tcp | http
    std::string path = "/";               // kind == http
    std::vector<std::uint16_t> statuses;  // kind == http: healthy codes; empty = 200..399
    std::optional<Duration> watchdog;     // kind == notify: WATCHDOG=1 expected this often
    Duration initial_delay{0};
    Duration interval{10000};
    Duration timeout{1000};
    std::uint32_t failure_threshold = 3;
    std::uint32_t success_threshold = 1;
};

// A resource figure that, above a share of its limit for a while, raises a warning event.
enum class WarningMetric { memory, cpu, pids, cpu_pressure, memory_pressure, io_pressure };

struct ResourceWarning {
    WarningMetric metric = WarningMetric::memory;
    std::uint32_t above_percent = 90;  // memory/pids: of max; cpu: of the limit (else of a
                                       // core); pressure: PSI "some" avg10
    Duration for_duration{60000};      // held this long (0: at the first sample)
};

struct Health {
    std::optional<Probe> startup;  // grace: the others start after its first success
    std::optional<Probe> liveness;
    std::optional<Probe> readiness;
    std::vector<ResourceWarning> warnings;
};

// ---- resources (cgroup v2) ----------------------------------------------------------------

struct CpuResources {
    std::optional<std::uint64_t> max_millicores;  // "0.5" and "500m" both give 500
    std::optional<std::uint64_t> period_us;       // cpu.max period; default 100000 when max set
    std::optional<std::uint32_t> weight;          // cpu.weight, 1..10000
};

struct MemoryResources {
    std::optional<Bytes> max;
    std::optional<Bytes> high;
    std::optional<Bytes> swap_max;
};

struct PidsResources {
    std::optional<std::uint64_t> max;
};

struct IoDeviceLimit {
    std::string device;  // a block device path, e.g. /dev/vda; resolved to major:minor at start
    std::optional<std::uint64_t> rbps, wbps, riops, wiops;
};

struct IoResources {
    std::optional<std::uint32_t> weight;  // io.weight, 1..10000
    std::vector<IoDeviceLimit> max;       // io.max lines
};

struct Resources {
    CpuResources cpu;
    MemoryResources memory;
    PidsResources pids;
    IoResources io;
    std::optional<std::string> cpuset_cpus;  // "0-1,3"
    std::optional<std::string> cpuset_mems;
};

// ---- isolation ------------------------------------------------------------------------------

enum class Namespace { pid, mount, ipc, uts, net, cgroup, user };

enum class NetworkMode { host, none };

struct Rootfs {
    std::string path = "/";  // absolute; "/" means the host's root
    bool read_only = true;
};

enum class MountType { bind, tmpfs };

struct Mount {
    MountType type = MountType::bind;
    std::string source;         // bind only: absolute host path
    std::string target;         // absolute path inside the workload's root
    bool read_only = true;      // bind default true; tmpfs default false (set by the parser)
    std::optional<Bytes> size;  // tmpfs only
    std::optional<std::uint32_t> mode;  // tmpfs only, e.g. 01777
};

// A capability by its kernel number (CAP_NET_BIND_SERVICE = 10) and canonical name.
struct Capability {
    int number = 0;
    std::string name;  // "CAP_NET_BIND_SERVICE"
    friend bool operator==(const Capability&, const Capability&) = default;
};

struct Capabilities {
    std::vector<Capability> add;  // everything else is dropped from all five sets
};

enum class SeccompProfile { default_profile, unconfined, custom, file };

enum class SeccompActionKind { allow, errno_code, kill_process, kill_thread, trap, log };

struct SeccompAction {
    SeccompActionKind kind = SeccompActionKind::errno_code;
    int errno_value = 1;  // EPERM; used when kind == errno_code
    friend bool operator==(const SeccompAction&, const SeccompAction&) = default;
};

enum class SeccompOp { ne, lt, le, eq, ge, gt, masked_eq };

struct SeccompArg {
    unsigned index = 0;  // 0..5
    SeccompOp op = SeccompOp::eq;
    std::uint64_t value = 0;
    std::uint64_t value_two = 0;  // masked_eq: (arg & value) == value_two
};

struct SeccompRule {
    std::vector<std::string> names;  // syscall names
    SeccompAction action;
    std::vector<SeccompArg> args;
};

struct Seccomp {
    SeccompProfile profile = SeccompProfile::default_profile;
    std::string path;  // profile == file: an OCI/Docker seccomp JSON profile
    SeccompAction default_action{SeccompActionKind::errno_code, 1};  // custom only
    std::vector<SeccompRule> rules;                                  // custom only
};

// One uid or gid range mapping for a user namespace.
struct IdMap {
    std::uint32_t inside = 0;
    std::uint32_t outside = 0;
    std::uint32_t count = 1;
};

struct Rlimit {
    std::string name;        // lower-case without RLIMIT_: "nofile", "nproc", "core", ...
    std::uint64_t soft = 0;  // UINT64_MAX means unlimited
    std::uint64_t hard = 0;
};

struct Isolation {
    // Default: every namespace, user included (uid 0 inside is not the host's root). Order is
    // not significant; the parser sorts.
    std::vector<Namespace> namespaces{Namespace::pid, Namespace::mount, Namespace::ipc,
                                      Namespace::uts, Namespace::net,   Namespace::cgroup,
                                      Namespace::user};
    NetworkMode network = NetworkMode::none;
    std::optional<std::string> hostname;  // default: the workload's name (when uts is set)
    Rootfs rootfs;
    std::vector<Mount> mounts;
    Capabilities capabilities;
    Seccomp seccomp;
    bool no_new_privileges = true;
    // A minimal init as pid 1 of the pid namespace, the command its child: it forwards signals,
    // reaps orphans and exits with the command's status (like docker run --init).
    bool init = false;
    // User namespace only; empty: the workload's range from the node's pool, with the ids that
    // `user` names mapped through 1:1 (see isolation/id_pool.hpp).
    std::vector<IdMap> uid_map;
    std::vector<IdMap> gid_map;
    std::vector<Rlimit> rlimits;  // sorted by name
};

// A uid/gid given as a number or as a name from the host's passwd/group (resolved at start).
struct IdRef {
    std::optional<std::uint32_t> id;
    std::string name;
    friend bool operator==(const IdRef&, const IdRef&) = default;
};

struct User {
    IdRef uid;                  // default 0 (root)
    std::optional<IdRef> gid;   // default: the user's primary group (or 0)
    std::vector<IdRef> groups;  // supplementary groups; empty clears them
};

struct Logs {
    Bytes max_size = 1024 * 1024;
    std::uint32_t max_files = 3;
};

struct WorkloadSpec {
    std::vector<std::string> command;        // argv; command[0] is an absolute path
    std::map<std::string, std::string> env;  // exactly these, plus the documented minimal set
    std::string working_dir = "/";
    User user;
    Restart restart;
    std::vector<Dependency> depends_on;
    Health health;
    Resources resources;
    Isolation isolation;
    Logs logs;
    // How the supervisor stops it: this signal to the main process, then after stop_timeout
    // everything left in its cgroup is killed.
    int stop_signal = 15;  // SIGTERM; spec.stopSignal: "TERM", "SIGINT", "QUIT", ...
    Duration stop_timeout{10000};
};

struct Metadata {
    std::string name;  // [a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?
    std::map<std::string, std::string> labels;
};

struct Workload {
    std::string api_version = "edgevisor/v1";
    std::string kind = "Workload";
    Metadata metadata;
    WorkloadSpec spec;
    SourceMark source;  // where the document starts, for messages
};

}  // namespace edgevisor::manifests
