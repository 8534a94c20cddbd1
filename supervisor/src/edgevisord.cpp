// edgevisord [--config FILE] [--check-config]
//
// The node supervisor daemon. Without --config it reads /etc/edgevisor/edgevisor.yaml when that
// exists, else runs on its embedded defaults. --check-config validates the config, prints the
// effective one (every key, defaults spelled out) and exits: 0 valid, 1 invalid.
// Signals: SIGTERM/SIGINT stop every workload and exit 0, except a SIGTERM of a restart of our
// systemd unit (systemctl restart, a package upgrade), which leaves them running for the next
// edgevisord to adopt; SIGHUP reloads config and manifests.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "dbus_channel.hpp"
#include "edgevisor/event_loop.hpp"
#include "edgevisor/helper_program.hpp"
#include "edgevisor/log.hpp"
#include "edgevisor/manifests/node_config.hpp"
#include "edgevisor/supervisor/supervisor.hpp"
#include "mqtt_channel.hpp"
#include "notify.hpp"
#include "systemd_unit.hpp"

namespace {

using namespace edgevisor;

constexpr const char* kDefaultConfig = "/etc/edgevisor/edgevisor.yaml";

std::optional<manifests::NodeConfig> read_config(const std::string& path, bool explicit_path) {
    if (!explicit_path && !std::filesystem::exists(path)) return manifests::NodeConfig{};
    auto loaded = manifests::load_node_config(path);
    for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.format().c_str());
    if (!loaded.ok()) return std::nullopt;
    return loaded.config;
}

log::Level level_of(const std::string& name) {
    if (name == "debug") return log::Level::debug;
    if (name == "warn") return log::Level::warn;
    if (name == "error") return log::Level::error;
    return log::Level::info;
}

// edgevisor-fdholder in ../libexec/edgevisor (helper_program.hpp); "" when it is missing.
std::string find_fd_holder() {
    std::string path = helper_program("edgevisor-fdholder");
    if (::access(path.c_str(), X_OK) == 0) return path;
    log::warn("edgevisord: {} is missing: log pipes will not survive a daemon restart", path);
    return "";
}

// Each workload holds a pidfd, a cgroup fd and two pipes here (more while its hand-over to the
// fd holder is queued): 1000 workloads do not fit systemd's default soft limit of 1024. The soft
// limit goes up to the hard one; workloads get the limit we were started with back.
std::optional<rlimit> raise_nofile() {
    rlimit started{};
    if (::getrlimit(RLIMIT_NOFILE, &started) != 0) return std::nullopt;
    rlimit raised = started;
    raised.rlim_cur = started.rlim_max;
    if (started.rlim_cur == started.rlim_max) return std::nullopt;
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
        log::warn("edgevisord: cannot raise the open files limit from {}: {}", started.rlim_cur,
                  std::strerror(errno));
        return std::nullopt;
    }
    return started;
}

int run(const std::string& config_path, manifests::NodeConfig config) {
    log::set_level(level_of(config.log.level));
    // Writes to a log pipe whose reader is gone must fail with EPIPE, not kill the daemon.
    ::signal(SIGPIPE, SIG_IGN);
    auto loop = EventLoop::create();
    if (!loop) {
        log::error("edgevisord: {}", loop.error().describe());
        return 1;
    }
    supervisor::SystemdNotifier notifier(**loop);
    supervisor::Supervisor* self = nullptr;
    supervisor::SupervisorOptions options;
    options.config = config;
    options.fd_holder = find_fd_holder();
    options.init = helper_program("edgevisor-init");
    options.workload_nofile = raise_nofile();
    options.on_ready = [&] { notifier.ready(self->summary()); };
    options.on_stopped = [&] { (*loop)->exit(0); };
    auto created = supervisor::Supervisor::create(**loop, std::move(options));
    if (!created) {
        log::error("edgevisord: {}", created.error().describe());
        return 1;
    }
    auto& supervisor = **created;
    self = &supervisor;
    auto on_stop = [&] {
        notifier.stopping();
        supervisor.shutdown();
        return Status{};
    };
    auto term = (*loop)->add_signal(SIGTERM, [&] {
        // systemd sends SIGTERM for a stop and for a restart alike: its job on our unit tells
        // them apart (systemd_unit.hpp). Anything but a restart stops the workloads.
        std::string job = supervisor::systemd_job_type();
        if (job != "restart") return on_stop();
        notifier.stopping();
        supervisor.detach();
        return Status{};
    });
    auto intr = (*loop)->add_signal(SIGINT, on_stop);
    auto hup = (*loop)->add_signal(SIGHUP, [&] {
        log::info("edgevisord: SIGHUP: reloading {}", config_path);
        if (auto reread = read_config(config_path, false)) {
            log::set_level(level_of(reread->log.level));
            supervisor.reload(*reread);
        } else {
            log::error("edgevisord: {} is invalid: keeping the running config", config_path);
        }
        return Status{};
    });
    auto status = (*loop)->add_prepare([&] {
        notifier.status(supervisor.summary());
        return Status{};
    });
    // Before boot, so that the name is on the bus when READY=1 is sent. Without a bus the
    // node still runs its workloads: edgectl then says edgevisord is not running there.
    std::unique_ptr<supervisor::DbusChannel> dbus;
    if (auto channel = supervisor::DbusChannel::start(**loop, supervisor,
                                                      {config.dbus.bus, config.dbus.admin_group})) {
        dbus = std::move(*channel);
    } else {
        log::error("edgevisord: D-Bus: {}; running without it", channel.error().describe());
    }
    // Before boot too, but it only connects then: what arrives is handled once the loop runs,
    // after the persisted layers and the manifest directory are reconciled. A node config that
    // names a broker yet cannot join it (the identity is no topic level) does not start at all.
    std::unique_ptr<supervisor::MqttChannel> mqtt;
    if (config.mqtt) {
        auto channel = supervisor::MqttChannel::start(**loop, supervisor, config);
        if (!channel) {
            log::error("edgevisord: MQTT: {}", channel.error().describe());
            return 1;
        }
        mqtt = std::move(*channel);
    }
    if (auto st = supervisor.boot(); !st) {
        log::error("edgevisord: {}", st.error().describe());
        return 1;
    }
    notifier.start_watchdog(config.supervisor.watchdog);
    return (*loop)->run();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"edgevisord: the edgevisor node supervisor"};
    std::string config_path = kDefaultConfig;
    bool check = false;
    auto* config_option = app.add_option("--config", config_path, "node config file (YAML)");
    app.add_flag("--check-config", check, "validate the config, print the effective one, exit");
    CLI11_PARSE(app, argc, argv);
    auto config = read_config(config_path, config_option->count() > 0);
    if (!config) {
        std::fprintf(stderr, "edgevisord: %s: invalid config\n", config_path.c_str());
        return 1;
    }
    if (check) {
        std::fputs(manifests::render_node_config(*config).c_str(), stdout);
        return 0;
    }
    return run(config_path, std::move(*config));
}
