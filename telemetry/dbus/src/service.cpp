// org.edgevisor.Supervisor1 served with sdbus-c++ 1.2 inside the daemon's loop.
//
// sdbus-c++ 1.2 catches only sdbus::Error around a handler; anything else unwinds through
// sd-bus's C frames and ends the daemon (and catching it around processPendingRequest would
// leave sd-bus mid-dispatch). So every handler runs inside `guarded`, which turns every
// exception into an sdbus::Error reply.
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <utility>

#include "access.hpp"
#include "bus.hpp"
#include "edgevisor/log.hpp"
#include "edgevisor/telemetry/dbus.hpp"
#include "exec_calls.hpp"
#include "log_followers.hpp"
#include "wire.hpp"
#include "workload_object.hpp"

namespace edgevisor::telemetry::dbus {
namespace {

constexpr std::uint32_t kMaxEvents = 10000;
constexpr std::uint32_t kMaxLogLines = 100000;
// Messages handled per process() call; more waiting shows in poll_data() as deadline "now".
constexpr int kBatch = 64;

template <typename Body>
auto guarded(const char* method, Body&& body) {
    try {
        return body();
    } catch (const sdbus::Error&) {
        throw;
    } catch (const std::exception& e) {
        log::error("dbus: {} failed: {}", method, e.what());
        throw sdbus::Error(wire::kFailed, std::string(method) + ": " + e.what());
    } catch (...) {
        log::error("dbus: {} failed with an unknown exception", method);
        throw sdbus::Error(wire::kFailed, std::string(method) + ": internal error");
    }
}

// Control's errors as D-Bus errors: ENOENT (an unknown workload) and EINVAL have names of
// their own, so clients can tell them from a failure.
[[noreturn]] void throw_error(const Error& error) {
    if (error.code == ENOENT) throw sdbus::Error(wire::kNoSuchWorkload, error.message);
    if (error.code == EINVAL) throw sdbus::Error(wire::kInvalidArgs, error.message);
    if (error.code == EPERM || error.code == EACCES)
        throw sdbus::Error(wire::kAccessDenied, error.message);
    throw sdbus::Error(wire::kFailed, error.describe());
}

void check(const Status& status) {
    if (!status) throw_error(status.error());
}

struct Counts {
    std::uint32_t total = 0;
    std::uint32_t running = 0;
    std::uint32_t failed = 0;
    bool operator==(const Counts&) const = default;
};

}  // namespace

int PollData::poll_timeout_ms() const {
    if (!deadline) return -1;
    auto left = *deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return 0;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return ms > 1000000 ? 1000000 : static_cast<int>(ms);
}

struct Service::Impl {
    Control& control;
    BusConfig config;
    std::unique_ptr<sdbus::IConnection> connection;
    std::unique_ptr<sdbus::IObject> manager;
    std::unique_ptr<ExecCalls> execs;
    std::unique_ptr<LogFollowers> followers;
    std::map<std::string, std::unique_ptr<WorkloadObject>, std::less<>> workloads;
    NodeStatus node;  // node_id, version, groups, layers, conflicts; workloads: `workloads`
    Counts counts;
    // A layer-conflict event came: the daemon's conflicts are read once its dispatch is over
    // (it emits the events before it keeps the new list).
    bool conflicts_stale = false;

    Impl(Control& c, BusConfig b) : control(c), config(std::move(b)) {}

    void register_methods();
    void register_exec();
    void register_properties();
    void register_signals();
    void require_admin(const char* method, std::string_view what);
    std::uint64_t api_revision() const;
    void refresh_layers();
    void refresh_counts();
    void add_or_update(const WorkloadStatus& status);
};

void Service::Impl::require_admin(const char* method, std::string_view what) {
    // The message is valid only inside its handler. Its sender's euid comes from the bus
    // daemon (GetConnectionCredentials: SO_PEERCRED when the client connected); sdbus-c++
    // asks for it synchronously, a round trip to the bus daemon, which we trust anyway.
    const sdbus::Message* message = manager->getCurrentlyProcessedMessage();
    if (message == nullptr) throw sdbus::Error(wire::kAccessDenied, "no caller");
    const uid_t euid = message->getCredsEuid();
    if (!is_admin(euid, config.admin_group)) {
        log::warn("dbus: {} {} refused for uid {}", method, what, euid);
        throw sdbus::Error(wire::kAccessDenied,
                           std::string(method) + " needs root" +
                               (config.admin_group.empty()
                                    ? std::string()
                                    : " or membership of group '" + config.admin_group + "'"));
    }
    log::info("dbus: {} {} by uid {}", method, what, euid);
}

void Service::Impl::register_methods() {
    using Out = std::vector<wire::Workload>;
    manager->registerMethod("ListWorkloads")
        .onInterface(kManagerInterface)
        .withOutputParamNames("workloads")
        .implementedAs([this] {
            return guarded("ListWorkloads", [&] {
                Out out;
                out.reserve(workloads.size());
                for (const auto& [name, object] : workloads)
                    out.push_back(wire::to_wire(object->status()));
                return out;
            });
        });
    manager->registerMethod("GetWorkload")
        .onInterface(kManagerInterface)
        .withInputParamNames("name")
        .withOutputParamNames("workload")
        .implementedAs([this](const std::string& name) {
            return guarded("GetWorkload", [&] {
                auto it = workloads.find(name);
                if (it == workloads.end())
                    throw sdbus::Error(wire::kNoSuchWorkload, "no workload '" + name + "'");
                return wire::to_wire(it->second->status());
            });
        });
    manager->registerMethod("Apply")
        .onInterface(kManagerInterface)
        .withInputParamNames("text", "source", "dryRun")
        .withOutputParamNames("outcome", "revision", "plan", "diagnostics")
        .implementedAs([this](const std::string& text, const std::string& source, bool dry_run) {
            return guarded("Apply", [&] {
                require_admin("Apply", dry_run ? "(dry run)" : "");
                ApplyRequest request{"api", text, source.empty() ? "dbus:Apply" : source, dry_run};
                ApplyResult result = control.apply(request);
                std::vector<wire::PlanEntry> plan;
                for (const auto& entry : result.plan)
                    plan.emplace_back(entry.workload, entry.action);
                std::vector<wire::Diagnostic> diagnostics;
                for (const auto& d : result.diagnostics) diagnostics.push_back(wire::to_wire(d));
                if (!dry_run) refresh_layers();
                return std::make_tuple(std::string(wire::outcome_name(result.outcome)),
                                       result.revision, std::move(plan), std::move(diagnostics));
            });
        });
    struct Verb {
        const char* method;
        Status (Control::*call)(std::string_view);
    };
    for (Verb verb : {Verb{"Remove", &Control::remove}, Verb{"Start", &Control::start},
                      Verb{"Stop", &Control::stop}, Verb{"Restart", &Control::restart}}) {
        manager->registerMethod(verb.method)
            .onInterface(kManagerInterface)
            .withInputParamNames("name")
            .implementedAs([this, verb](const std::string& name) {
                guarded(verb.method, [&] {
                    require_admin(verb.method, name);
                    check((control.*verb.call)(name));
                    if (verb.call == &Control::remove) refresh_layers();
                });
            });
    }
    manager->registerMethod("GetEvents")
        .onInterface(kManagerInterface)
        .withInputParamNames("afterSeq", "max")
        .withOutputParamNames("events")
        .implementedAs([this](std::uint64_t after_seq, std::uint32_t max) {
            return guarded("GetEvents", [&] {
                if (max < 1 || max > kMaxEvents)
                    throw sdbus::Error(wire::kInvalidArgs,
                                       "max must be 1.." + std::to_string(kMaxEvents));
                std::vector<wire::Event> out;
                for (const auto& e : control.events(after_seq, max))
                    out.push_back(wire::to_wire(e));
                return out;
            });
        });
    manager->registerMethod("FollowLogs")
        .onInterface(kManagerInterface)
        .withInputParamNames("name", "lines")
        .withOutputParamNames("text")
        .implementedAs([this](const std::string& name, std::uint32_t lines) {
            return guarded("FollowLogs", [&] {
                if (lines > kMaxLogLines)
                    throw sdbus::Error(wire::kInvalidArgs,
                                       "lines must be 0.." + std::to_string(kMaxLogLines));
                // The tail and the registration in one handler: the loop writes no line in
                // between, so LogLines carries exactly what follows the reply.
                auto result = control.logs(name, std::max<std::uint32_t>(lines, 1));
                if (!result) throw_error(result.error());
                if (lines == 0) result->clear();
                const sdbus::Message* message = manager->getCurrentlyProcessedMessage();
                if (message == nullptr) throw sdbus::Error(wire::kFailed, "no caller");
                followers->add(message->getSender(), name);
                return std::move(*result);
            });
        });
    manager->registerMethod("GetLogs")
        .onInterface(kManagerInterface)
        .withInputParamNames("name", "lines")
        .withOutputParamNames("text")
        .implementedAs([this](const std::string& name, std::uint32_t lines) {
            return guarded("GetLogs", [&] {
                if (lines < 1 || lines > kMaxLogLines)
                    throw sdbus::Error(wire::kInvalidArgs,
                                       "lines must be 1.." + std::to_string(kMaxLogLines));
                auto result = control.logs(name, lines);
                if (!result) throw_error(result.error());
                return std::move(*result);
            });
        });
}

void Service::Impl::register_exec() {
    manager->registerMethod("Exec")
        .onInterface(kManagerInterface)
        .withInputParamNames("name", "argv", "env", "stdin", "stdout", "stderr", "flags")
        .withOutputParamNames("status", "failure")
        .implementedAs([this](ExecReply&& reply, const std::string& name,
                              const std::vector<std::string>& argv,
                              const std::vector<std::string>& env, const sdbus::UnixFd& in,
                              const sdbus::UnixFd& out, const sdbus::UnixFd& err,
                              std::uint32_t flags) {
            guarded("Exec", [&] {
                require_admin("Exec", name);
                const sdbus::Message* message = manager->getCurrentlyProcessedMessage();
                const std::string sender = message != nullptr ? message->getSender() : "";
                if (sender.empty()) throw sdbus::Error(wire::kFailed, "Exec: no caller name");
                execs->start(std::move(reply), {name, argv, env, &in, &out, &err, flags}, sender);
            });
        });
}

std::uint64_t Service::Impl::api_revision() const {
    for (const auto& layer : node.layers)
        if (layer.name == "api") return layer.revision;
    return 0;
}

void Service::Impl::register_properties() {
    auto constant = [this](const char* name, auto getter) {
        manager->registerProperty(name)
            .onInterface(kManagerInterface)
            .withGetter([getter, name] { return guarded(name, getter); })
            .withUpdateBehavior(sdbus::Flags::CONST_PROPERTY_VALUE);
    };
    auto changing = [this](const char* name, auto getter) {
        manager->registerProperty(name)
            .onInterface(kManagerInterface)
            .withGetter([getter, name] { return guarded(name, getter); })
            .withUpdateBehavior(sdbus::Flags::EMITS_CHANGE_SIGNAL);
    };
    constant("NodeId", [this] { return node.node_id; });
    constant("Version", [this] { return node.version; });
    constant("Groups", [this] { return node.groups; });
    changing("DesiredRevision", [this] { return api_revision(); });
    changing("Layers", [this] {
        std::vector<wire::Layer> out;
        for (const auto& layer : node.layers) out.push_back(wire::to_wire(layer));
        return out;
    });
    changing("Conflicts", [this] {
        std::vector<wire::Conflict> out;
        for (const auto& conflict : node.conflicts) out.push_back(wire::to_wire(conflict));
        return out;
    });
    changing("WorkloadCount", [this] { return counts.total; });
    changing("RunningCount", [this] { return counts.running; });
    changing("FailedCount", [this] { return counts.failed; });
    // Sampled on the daemon's timer (supervisor.sampleInterval): read when asked, no signal
    // (as systemd's CPUUsageNSec), so that an idle bus is not woken every interval.
    manager->registerProperty("NodeResources")
        .onInterface(kManagerInterface)
        .withGetter([this] {
            return guarded("NodeResources",
                           [this] { return wire::to_wire(control.status().resources); });
        })
        .withUpdateBehavior(sdbus::Flags::EMITS_NO_SIGNAL);
}

void Service::Impl::register_signals() {
    manager->registerSignal("WorkloadChanged")
        .onInterface(kManagerInterface)
        .withParameters<std::string, sdbus::ObjectPath, std::string, std::string>(
            "name", "path", "state", "health");
    manager->registerSignal("WorkloadRemoved")
        .onInterface(kManagerInterface)
        .withParameters<std::string, sdbus::ObjectPath>("name", "path");
    manager->registerSignal("LogLines")
        .onInterface(kManagerInterface)
        .withParameters<std::string, std::vector<std::string>>("workload", "lines");
    manager->registerSignal("Event")
        .onInterface(kManagerInterface)
        .withParameters<std::uint64_t, std::int64_t, std::string, std::string, std::string>(
            "seq", "unixMs", "workload", "kind", "message");
}

void Service::Impl::refresh_layers() {
    NodeStatus now = control.status();
    std::vector<std::string> changed;
    const std::uint64_t before = api_revision();
    std::vector<wire::Layer> old_layers, new_layers;
    for (const auto& layer : node.layers) old_layers.push_back(wire::to_wire(layer));
    node.layers = std::move(now.layers);
    for (const auto& layer : node.layers) new_layers.push_back(wire::to_wire(layer));
    std::vector<wire::Conflict> old_conflicts, new_conflicts;
    for (const auto& conflict : node.conflicts) old_conflicts.push_back(wire::to_wire(conflict));
    node.conflicts = std::move(now.conflicts);
    for (const auto& conflict : node.conflicts) new_conflicts.push_back(wire::to_wire(conflict));
    conflicts_stale = false;
    if (api_revision() != before) changed.emplace_back("DesiredRevision");
    if (old_layers != new_layers) changed.emplace_back("Layers");
    if (old_conflicts != new_conflicts) changed.emplace_back("Conflicts");
    if (!changed.empty()) manager->emitPropertiesChangedSignal(kManagerInterface, changed);
}

void Service::Impl::refresh_counts() {
    Counts now;
    for (const auto& [name, object] : workloads) {
        const std::string& state = object->status().state;
        ++now.total;
        if (state == "running") ++now.running;
        if (state == "failed" || state == "crash-loop") ++now.failed;
    }
    std::vector<std::string> changed;
    if (now.total != counts.total) changed.emplace_back("WorkloadCount");
    if (now.running != counts.running) changed.emplace_back("RunningCount");
    if (now.failed != counts.failed) changed.emplace_back("FailedCount");
    counts = now;
    if (!changed.empty()) manager->emitPropertiesChangedSignal(kManagerInterface, changed);
}

void Service::Impl::add_or_update(const WorkloadStatus& status) {
    auto it = workloads.find(status.name);
    bool announce = true;
    if (it == workloads.end())
        it = workloads.emplace(status.name, std::make_unique<WorkloadObject>(*connection, status))
                 .first;
    else
        announce = it->second->update(status);
    if (announce)
        manager->emitSignal("WorkloadChanged")
            .onInterface(kManagerInterface)
            .withArguments(status.name, sdbus::ObjectPath(it->second->path()), status.state,
                           status.health);
}

Result<std::unique_ptr<Service>> Service::open(Control& control, const BusConfig& config) {
    auto impl = std::make_unique<Impl>(control, config);
    try {
        impl->connection = open_bus(config.bus);
        impl->manager = sdbus::createObject(*impl->connection, kManagerPath);
        impl->execs = std::make_unique<ExecCalls>(control, *impl->connection);
        impl->followers = std::make_unique<LogFollowers>(*impl->connection, *impl->manager);
        impl->register_methods();
        impl->register_exec();
        impl->register_properties();
        impl->register_signals();
        impl->manager->finishRegistration();
        impl->manager->addObjectManager();
        NodeStatus node = control.status();
        for (const auto& status : node.workloads)
            impl->workloads.emplace(status.name,
                                    std::make_unique<WorkloadObject>(*impl->connection, status));
        node.workloads.clear();
        impl->node = std::move(node);
        impl->refresh_counts();
        // Last: a client that sees the name finds every object in place.
        impl->connection->requestName(kServiceName);
    } catch (const sdbus::Error& e) {
        std::string why = e.getMessage();
        if (e.getName().find("EEXIST") != std::string::npos)
            why = std::string(kServiceName) + " is owned by another process (another edgevisord?)";
        return fail("dbus.open", describe_bus(config.bus) + ": " + why);
    } catch (const std::exception& e) {
        return fail("dbus.open", describe_bus(config.bus) + ": " + e.what());
    }
    log::info("dbus: serving {} on {}", kServiceName, describe_bus(config.bus));
    return std::unique_ptr<Service>(new Service(std::move(impl)));
}

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Service::~Service() {
    // Objects go before the connection that they are registered on.
    impl_->execs.reset();
    impl_->followers.reset();
    impl_->workloads.clear();
    impl_->manager.reset();
}

Result<PollData> Service::poll_data() const {
    try {
        const auto data = impl_->connection->getEventLoopPollData();
        PollData out{data.fd, data.events, std::nullopt};
        if (data.timeout_usec != UINT64_MAX)
            out.deadline =
                std::chrono::steady_clock::time_point(std::chrono::microseconds(data.timeout_usec));
        return out;
    } catch (const sdbus::Error& e) {
        return fail("dbus.poll", e.getMessage());
    }
}

Status Service::process() {
    try {
        impl_->execs->collect();
        for (int i = 0; i < kBatch; ++i)
            if (!impl_->connection->processPendingRequest()) break;
        return {};
    } catch (const std::exception& e) {
        return fail("dbus.process", describe_bus(impl_->config.bus) + ": " + e.what());
    }
}

void Service::workload_changed(const WorkloadStatus& status) {
    try {
        impl_->add_or_update(status);
        impl_->refresh_counts();
    } catch (const std::exception& e) {
        log::warn("{}: D-Bus update not sent: {}", status.name, e.what());
    }
}

void Service::flush() {
    try {
        impl_->followers->flush();
    } catch (const std::exception& e) {
        log::warn("dbus: LogLines not sent: {}", e.what());
    }
    try {
        if (impl_->conflicts_stale) impl_->refresh_layers();
    } catch (const std::exception& e) {
        log::warn("dbus: Conflicts not updated: {}", e.what());
    }
}

void Service::log_line(std::string_view workload, std::string_view line) {
    impl_->followers->line(workload, line);
}

void Service::workload_removed(std::string_view name) {
    try {
        auto it = impl_->workloads.find(name);
        if (it == impl_->workloads.end()) return;
        const std::string path = it->second->path();
        impl_->workloads.erase(it);
        impl_->manager->emitSignal("WorkloadRemoved")
            .onInterface(kManagerInterface)
            .withArguments(std::string(name), sdbus::ObjectPath(path));
        impl_->refresh_counts();
    } catch (const std::exception& e) {
        log::warn("{}: D-Bus removal not sent: {}", name, e.what());
    }
}

void Service::event(const Event& event) {
    try {
        impl_->manager->emitSignal("Event")
            .onInterface(kManagerInterface)
            .withArguments(event.seq, event.unix_ms, event.workload, event.kind, event.message);
        // Node-level events (a document applied or rejected from any channel) may change the
        // layers; of a workload's events, only a layer conflict's change the node (flush()).
        if (event.workload.empty())
            impl_->refresh_layers();
        else if (event.kind.starts_with("layer-conflict"))
            impl_->conflicts_stale = true;
    } catch (const std::exception& e) {
        log::warn("{}: D-Bus event not sent: {}", event.workload, e.what());
    }
}

}  // namespace edgevisor::telemetry::dbus
