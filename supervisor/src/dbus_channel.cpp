#include "dbus_channel.hpp"

#include <algorithm>

#include "edgevisor/log.hpp"

namespace edgevisor::supervisor {
namespace {
// Reconnecting after the bus went away: soon (a restarted dbus-daemon is back within
// milliseconds), then less often, never slower than every 5 s.
constexpr std::chrono::milliseconds kFirstRetry{100};
constexpr std::chrono::milliseconds kMaxRetry{5000};
}  // namespace

Result<std::unique_ptr<DbusChannel>> DbusChannel::start(EventLoop& loop, Supervisor& supervisor,
                                                        const telemetry::dbus::BusConfig& config) {
    std::unique_ptr<DbusChannel> channel(new DbusChannel(loop, supervisor, config));
    if (auto served = channel->serve_bus(); !served) return std::unexpected(served.error());
    return channel;
}

DbusChannel::DbusChannel(EventLoop& loop, Supervisor& supervisor, telemetry::dbus::BusConfig config)
    : loop_(loop), supervisor_(supervisor), config_(std::move(config)) {}

DbusChannel::~DbusChannel() {
    if (service_) supervisor_.remove_observer(service_.get());
}

Status DbusChannel::serve_bus() {
    auto service = telemetry::dbus::Service::open(supervisor_, config_);
    if (!service) return std::unexpected(service.error());
    auto data = (*service)->poll_data();
    if (!data) return std::unexpected(data.error());
    service_ = std::move(*service);
    events_ = static_cast<std::uint32_t>(data->events);
    deadline_.reset();
    io_ = loop_.add_io(data->fd, events_, [this](std::uint32_t) { return serve(); });
    prepare_ = loop_.add_prepare([this] { return prepare(); });
    supervisor_.add_observer(service_.get());
    return {};
}

Status DbusChannel::prepare() {
    if (!service_) return {};
    service_->flush();
    auto data = service_->poll_data();
    if (!data) {
        stop_serving(data.error());
        return {};
    }
    const auto events = static_cast<std::uint32_t>(data->events);
    if (events != events_) {
        if (auto modified = io_.modify(events); !modified) return modified;
        events_ = events;
    }
    if (data->deadline != deadline_) {
        deadline_ = data->deadline;
        // sd-bus says "now" with a deadline of 0 (a message already read, not dispatched): a
        // timer at or before now fires at once.
        timer_ = deadline_ ? loop_.add_timer(*deadline_,
                                             [this] {
                                                 deadline_.reset();
                                                 return serve();
                                             })
                           : Source{};
    }
    return {};
}

Status DbusChannel::serve() {
    if (!service_) return {};
    if (auto served = service_->process(); !served) stop_serving(served.error());
    return {};
}

void DbusChannel::stop_serving(const Error& error) {
    // The bus connection is gone (the bus daemon exited or restarted): the workloads go on,
    // and we connect again until the bus is back (edgectl says "not running" meanwhile).
    log::error("dbus: {}: no longer serving org.edgevisor.Supervisor1; reconnecting",
               error.describe());
    supervisor_.remove_observer(service_.get());
    io_.reset();
    timer_.reset();
    prepare_.reset();
    // Destroyed after this dispatch: we may be inside one of its own calls.
    loop_.post([service = std::shared_ptr<telemetry::dbus::Service>(std::move(service_))] {});
    retry_delay_ = kFirstRetry;
    arm_retry();
}

void DbusChannel::arm_retry() {
    retry_ = loop_.add_timer(EventLoop::now() + retry_delay_, [this] {
        retry_.reset();
        if (auto served = serve_bus(); !served) {
            if (retry_delay_ >= kMaxRetry / 2)
                log::warn("dbus: still no bus: {}", served.error().describe());
            retry_delay_ = std::min(retry_delay_ * 2, kMaxRetry);
            arm_retry();
            return Status{};
        }
        log::info("dbus: serving org.edgevisor.Supervisor1 again");
        return Status{};
    });
}

}  // namespace edgevisor::supervisor
