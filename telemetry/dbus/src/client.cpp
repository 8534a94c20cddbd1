#include <poll.h>

#include <map>
#include <utility>

#include "bus.hpp"
#include "edgevisor/telemetry/dbus.hpp"
#include "edgevisor/telemetry/dbus_client.hpp"
#include "wire.hpp"

namespace edgevisor::telemetry::dbus {
namespace {

// A D-Bus error as the client's Error, with a step naming its kind.
Error to_error(const sdbus::Error& e) {
    const std::string& name = e.getName();
    const char* step = client_error::kFailed;
    if (name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
        name == "org.freedesktop.DBus.Error.NameHasNoOwner" ||
        name == "org.freedesktop.DBus.Error.Disconnected")
        step = client_error::kNotRunning;
    else if (name == wire::kAccessDenied)
        step = client_error::kAccessDenied;
    else if (name == wire::kNoSuchWorkload)
        step = client_error::kNoSuchWorkload;
    else if (name == wire::kInvalidArgs)
        step = client_error::kInvalidArgs;
    return Error{step, 0, e.getMessage()};
}

template <typename Body>
auto call(Body&& body) -> Result<decltype(body())> {
    try {
        if constexpr (std::is_void_v<decltype(body())>) {
            body();
            return {};
        } else {
            return body();
        }
    } catch (const sdbus::Error& e) {
        return std::unexpected(to_error(e));
    } catch (const std::exception& e) {
        return fail(client_error::kFailed, e.what());
    }
}

}  // namespace

struct Client::Impl {
    std::string bus;
    std::unique_ptr<sdbus::IConnection> connection;
    std::unique_ptr<sdbus::IProxy> manager;
    std::unique_ptr<sdbus::IProxy> bus_daemon;
    std::vector<Notification> pending;
    std::optional<Result<ExecEnd>> exec_end;

    Result<std::vector<std::string>> lines(const char* method, const std::string& name,
                                           std::uint32_t count);
    Status verb(const char* method, const std::string& name) {
        return call([&] {
            manager->callMethod(method).onInterface(kManagerInterface).withArguments(name);
        });
    }
};

Result<std::unique_ptr<Client>> Client::connect(const std::string& bus) {
    auto impl = std::make_unique<Impl>();
    impl->bus = bus;
    try {
        impl->connection = open_bus(bus);
        impl->manager = sdbus::createProxy(*impl->connection, kServiceName, kManagerPath);
    } catch (const sdbus::Error& e) {
        return fail(client_error::kNotRunning, describe_bus(bus) + ": " + e.getMessage());
    }
    return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() {
    impl_->bus_daemon.reset();
    impl_->manager.reset();
}

const std::string& Client::bus() const {
    return impl_->bus;
}

Result<NodeStatus> Client::status() {
    return call([&] {
        std::map<std::string, sdbus::Variant> properties;
        impl_->manager->callMethod("GetAll")
            .onInterface("org.freedesktop.DBus.Properties")
            .withArguments(std::string(kManagerInterface))
            .storeResultsTo(properties);
        NodeStatus node;
        node.node_id = properties.at("NodeId").get<std::string>();
        node.version = properties.at("Version").get<std::string>();
        node.groups = properties.at("Groups").get<std::vector<std::string>>();
        for (const auto& layer : properties.at("Layers").get<std::vector<wire::Layer>>())
            node.layers.push_back(wire::from_wire(layer));
        // Newer than some daemons: a daemon without them has no conflicts or figures to show.
        if (auto it = properties.find("Conflicts"); it != properties.end())
            for (const auto& c : it->second.get<std::vector<wire::Conflict>>())
                node.conflicts.push_back(wire::from_wire(c));
        if (auto it = properties.find("NodeResources"); it != properties.end())
            node.resources = wire::from_wire(it->second.get<wire::NodeResources>());
        std::vector<wire::Workload> workloads;
        impl_->manager->callMethod("ListWorkloads")
            .onInterface(kManagerInterface)
            .storeResultsTo(workloads);
        for (const auto& w : workloads) node.workloads.push_back(wire::from_wire(w));
        return node;
    });
}

Result<WorkloadStatus> Client::workload(const std::string& name) {
    return call([&] {
        wire::Workload w;
        impl_->manager->callMethod("GetWorkload")
            .onInterface(kManagerInterface)
            .withArguments(name)
            .storeResultsTo(w);
        return wire::from_wire(w);
    });
}

Result<ApplyResult> Client::apply(const std::string& text, const std::string& source,
                                  bool dry_run) {
    return call([&] {
        std::string outcome;
        ApplyResult result;
        std::vector<wire::PlanEntry> plan;
        std::vector<wire::Diagnostic> diagnostics;
        impl_->manager->callMethod("Apply")
            .onInterface(kManagerInterface)
            .withArguments(text, source, dry_run)
            .storeResultsTo(outcome, result.revision, plan, diagnostics);
        result.outcome = wire::outcome_from_name(outcome);
        for (const auto& entry : plan)
            result.plan.push_back({std::get<0>(entry), std::get<1>(entry)});
        for (const auto& d : diagnostics) result.diagnostics.push_back(wire::from_wire(d));
        return result;
    });
}

Status Client::remove(const std::string& name) {
    return impl_->verb("Remove", name);
}
Status Client::start(const std::string& name) {
    return impl_->verb("Start", name);
}
Status Client::stop(const std::string& name) {
    return impl_->verb("Stop", name);
}
Status Client::restart(const std::string& name) {
    return impl_->verb("Restart", name);
}

Result<std::vector<Event>> Client::events(std::uint64_t after_seq, std::uint32_t max) {
    return call([&] {
        std::vector<wire::Event> wire_events;
        impl_->manager->callMethod("GetEvents")
            .onInterface(kManagerInterface)
            .withArguments(after_seq, max)
            .storeResultsTo(wire_events);
        std::vector<Event> out;
        for (const auto& e : wire_events) out.push_back(wire::from_wire(e));
        return out;
    });
}

Result<std::vector<std::string>> Client::logs(const std::string& name, std::uint32_t lines) {
    return impl_->lines("GetLogs", name, lines);
}

Result<std::vector<std::string>> Client::follow_logs(const std::string& name, std::uint32_t lines) {
    return impl_->lines("FollowLogs", name, lines);
}

Result<std::vector<std::string>> Client::Impl::lines(const char* method, const std::string& name,
                                                     std::uint32_t count) {
    return call([&] {
        std::vector<std::string> text;
        manager->callMethod(method)
            .onInterface(kManagerInterface)
            .withArguments(name, count)
            .storeResultsTo(text);
        return text;
    });
}

Status Client::start_exec(const ExecCall& c) {
    return call([&] {
        impl_->exec_end.reset();
        auto& end = impl_->exec_end;
        // No timeout: the reply comes when the command ends, however long it runs.
        impl_->manager->callMethodAsync("Exec")
            .onInterface(kManagerInterface)
            .withTimeout(UINT64_MAX)
            .withArguments(c.workload, c.argv, c.env, sdbus::UnixFd(c.stdin_fd),
                           sdbus::UnixFd(c.stdout_fd), sdbus::UnixFd(c.stderr_fd),
                           std::uint32_t{c.tty ? 1u : 0u})
            .uponReplyInvoke(
                [&end](const sdbus::Error* error, std::int32_t status, const std::string& failure) {
                    if (error != nullptr)
                        end = std::unexpected(to_error(*error));
                    else
                        end = ExecEnd{status, failure};
                });
    });
}

Result<BusPoll> Client::bus_poll() const {
    return call([&] {
        const auto data = impl_->connection->getEventLoopPollData();
        return BusPoll{data.fd, data.events, data.getPollTimeout()};
    });
}

Result<std::optional<ExecEnd>> Client::exec_result() {
    auto processed = call([&] {
        while (impl_->connection->processPendingRequest()) {
        }
    });
    if (!processed) return std::unexpected(processed.error());
    if (!impl_->exec_end) return std::optional<ExecEnd>{};
    if (!*impl_->exec_end) return std::unexpected(impl_->exec_end->error());
    return std::optional<ExecEnd>{**impl_->exec_end};
}

Status Client::subscribe() {
    return call([&] {
        auto& pending = impl_->pending;
        impl_->manager->uponSignal("WorkloadChanged")
            .onInterface(kManagerInterface)
            .call([&pending](const std::string& name, const sdbus::ObjectPath&, const std::string&,
                             const std::string&) {
                pending.push_back({Notification::Kind::workload_changed, name, {}, {}});
            });
        impl_->manager->uponSignal("WorkloadRemoved")
            .onInterface(kManagerInterface)
            .call([&pending](const std::string& name, const sdbus::ObjectPath&) {
                pending.push_back({Notification::Kind::workload_removed, name, {}, {}});
            });
        impl_->manager->uponSignal("LogLines")
            .onInterface(kManagerInterface)
            .call([&pending](const std::string& workload, const std::vector<std::string>& lines) {
                pending.push_back({Notification::Kind::log_lines, workload, {}, lines});
            });
        impl_->manager->uponSignal("Event")
            .onInterface(kManagerInterface)
            .call([&pending](std::uint64_t seq, std::int64_t unix_ms, const std::string& workload,
                             const std::string& kind, const std::string& message) {
                pending.push_back({Notification::Kind::event,
                                   workload,
                                   Event{seq, unix_ms, workload, kind, message},
                                   {}});
            });
        impl_->manager->finishRegistration();
        impl_->bus_daemon =
            sdbus::createProxy(*impl_->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus");
        impl_->bus_daemon->uponSignal("NameOwnerChanged")
            .onInterface("org.freedesktop.DBus")
            .call([&pending](const std::string& name, const std::string&,
                             const std::string& new_owner) {
                if (name == kServiceName && new_owner.empty())
                    pending.push_back({Notification::Kind::daemon_gone, {}, {}, {}});
            });
        impl_->bus_daemon->finishRegistration();
    });
}

Result<std::vector<Notification>> Client::wait(std::chrono::milliseconds timeout) {
    return call([&] {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (impl_->pending.empty()) {
            while (impl_->connection->processPendingRequest()) {
            }
            if (!impl_->pending.empty()) break;
            const auto left = until - std::chrono::steady_clock::now();
            if (left <= std::chrono::steady_clock::duration::zero()) break;
            // Re-read before every wait (sdbus-c++ 1.2: events and deadline change).
            const auto data = impl_->connection->getEventLoopPollData();
            int wait_ms =
                static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
            const int bus_ms = data.getPollTimeout();
            if (bus_ms >= 0 && bus_ms < wait_ms) wait_ms = bus_ms;
            pollfd fd{data.fd, data.events, 0};
            ::poll(&fd, 1, wait_ms);
        }
        return std::exchange(impl_->pending, {});
    });
}

}  // namespace edgevisor::telemetry::dbus
