// The supervisor: owns every workload and reconciles desired state (the manifest directory and
// the persisted channel layers) into running processes, on one event loop. It implements the
// channels' Control interface and tells its Observers what changes.
#pragma once

#include <sys/resource.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "edgevisor/error.hpp"
#include "edgevisor/event_loop.hpp"
#include "edgevisor/manifests/node_config.hpp"
#include "edgevisor/telemetry/control.hpp"

namespace edgevisor::supervisor {

struct SupervisorOptions {
    manifests::NodeConfig config;
    std::string version = "0.1.0";
    // edgevisor-fdholder, which keeps the log pipes open across a daemon restart ("" : none;
    // output then breaks when the daemon dies).
    std::string fd_holder;
    // edgevisor-init, pid 1 of workloads with isolation.init (a start fails naming it when it
    // is missing).
    std::string init = "/usr/libexec/edgevisor/edgevisor-init";
    // RLIMIT_NOFILE for workloads whose manifest sets none (the daemon's own, as it started,
    // before it raised its soft limit); empty: they inherit the daemon's.
    std::optional<rlimit> workload_nofile;
    // Called once, after the first reconcile (sd_notify READY=1).
    std::function<void()> on_ready;
    // Called when every workload is stopped after shutdown().
    std::function<void()> on_stopped;
};

class Supervisor : public telemetry::Control {
  public:
    static Result<std::unique_ptr<Supervisor>> create(EventLoop& loop, SupervisorOptions options);
    ~Supervisor() override;

    // Loads the persisted layers, finds workloads of a previous run, reads the manifest
    // directory, starts watching it and runs the first reconcile.
    virtual Status boot() = 0;
    // SIGHUP: read the manifest directory and the layers again, and apply a changed config's
    // log level and supervisor settings (paths and cgroup settings need a restart).
    virtual void reload(const manifests::NodeConfig& config) = 0;
    // SIGTERM: stop every workload, dependents first; on_stopped runs when all are down.
    virtual void shutdown() = 0;
    // SIGTERM of a restart (systemctl restart, a package upgrade): exit leaving every workload
    // running, its log pipes with the holder and its run record written, for the next daemon
    // to adopt. on_stopped runs at once.
    virtual void detach() = 0;

    virtual void add_observer(telemetry::Observer* observer) = 0;
    virtual void remove_observer(telemetry::Observer* observer) = 0;
    // "STATUS=" text for systemd: "3 running, 1 crash-loop, 0 failed".
    [[nodiscard]] virtual std::string summary() const = 0;
};

// node.id when set, else /etc/machine-id, else the host name.
std::string resolve_node_id(const manifests::NodeConfig& config);

}  // namespace edgevisor::supervisor
