#include "dbus_channel.hpp"

#include <algorithm>

#include "edgevisor/log.hpp"

namespace edgevisor::supervisor {

Result<std::unique_ptr<DbusChannel>> DbusChannel::start(EventLoop& loop, Supervisor& supervisor,
                                                        const telemetry::dbus::BusConfig& config) {
    auto service = telemetry::dbus::Service::open(supervisor, config);
    if (!service) return std::unexpected(service.error());
    auto data = (*service)->poll_data();
    if (!data) return std::unexpected(data.error());
    std::unique_ptr<DbusChannel> channel(new DbusChannel(loop, supervisor, std::move(*service)));
    channel->events_ = static_cast<std::uint32_t>(data->events);
    channel->io_ = loop.add_io(data->fd, channel->events_,
                               [c = channel.get()](std::uint32_t) { return c->serve(); });
    channel->prepare_ = loop.add_prepare([c = channel.get()] { return c->prepare(); });
    supervisor.add_observer(channel->service_.get());
    return channel;
}

DbusChannel::DbusChannel(EventLoop& loop, Supervisor& supervisor,
                         std::unique_ptr<telemetry::dbus::Service> service)
    : loop_(loop), supervisor_(supervisor), service_(std::move(service)) {}

DbusChannel::~DbusChannel() {
    if (service_) supervisor_.remove_observer(service_.get());
}

Status DbusChannel::prepare() {
    if (!service_) return {};
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
        // sd-bus says "now" with a deadline of 0 (a message already read, not dispatched); a
        // timer at or before now still fires at once, one at 0 would disarm the timerfd.
        const auto now = EventLoop::now();
        timer_ = deadline_
                     ? loop_.add_timer(std::max(*deadline_, now + std::chrono::microseconds(1)),
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
    // The bus connection is gone (the bus daemon exited): the workloads go on; edgectl reports
    // "not running" until edgevisord is restarted.
    log::error("dbus: {}: no longer serving org.edgevisor.Supervisor1", error.describe());
    supervisor_.remove_observer(service_.get());
    io_.reset();
    timer_.reset();
    prepare_.reset();
    loop_.post([service = std::shared_ptr<telemetry::dbus::Service>(std::move(service_))] {});
}

}  // namespace edgevisor::supervisor
