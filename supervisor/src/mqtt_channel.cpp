#include "mqtt_channel.hpp"

#include "edgevisor/atomic_file.hpp"

namespace edgevisor::supervisor {

Result<std::unique_ptr<MqttChannel>> MqttChannel::start(EventLoop& loop, Supervisor& supervisor,
                                                        const manifests::NodeConfig& config) {
    if (!config.mqtt) return fail("mqtt", "the node config has no mqtt section");
    // The session counter lives in the state dir, and the first connect starts now.
    if (auto made = make_dirs(config.paths.state); !made) return std::unexpected(made.error());
    telemetry::mqtt::NodeIdentity identity{resolve_node_id(config), config.node.groups,
                                           config.paths.state, supervisor.status().version};
    auto channel = telemetry::mqtt::Channel::create(*config.mqtt, identity, supervisor);
    if (!channel) return std::unexpected(channel.error());
    std::unique_ptr<MqttChannel> self(new MqttChannel(supervisor, std::move(*channel)));
    self->io_ =
        loop.add_io(self->channel_->fd(), EPOLLIN, [c = self->channel_.get()](std::uint32_t) {
            c->drain();
            return Status{};
        });
    supervisor.add_observer(self->channel_.get());
    return self;
}

MqttChannel::~MqttChannel() {
    supervisor_.remove_observer(channel_.get());
    io_.reset();
    channel_->stop();
}

}  // namespace edgevisor::supervisor
