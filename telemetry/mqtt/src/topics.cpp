#include "topics.hpp"

#include "edgevisor/manifests/mqtt_config.hpp"

namespace edgevisor::telemetry::mqtt::detail {

Result<Topics> Topics::make(const std::string& prefix, const std::string& node,
                            const std::vector<std::string>& groups) {
    if (std::string why = manifests::check_topic_prefix(prefix); !why.empty())
        return fail("mqtt.topics", why);
    if (std::string why = manifests::check_topic_level(node); !why.empty())
        return fail("mqtt.topics", "node id: " + why);
    Topics t;
    std::string base = prefix + "/nodes/" + node + "/";
    t.node_desired = base + "desired";
    t.cmd = base + "cmd";
    t.ack = base + "ack";
    t.reported = base + "reported";
    t.status = base + "status";
    t.events = base + "events";
    t.metrics = base + "metrics";
    for (const std::string& group : groups) {
        if (std::string why = manifests::check_topic_level(group); !why.empty())
            return fail("mqtt.topics", "group: " + why);
        t.group_desired[prefix + "/groups/" + group + "/desired"] = group;
    }
    return t;
}

std::string Topics::layer_of(const std::string& topic) const {
    if (topic == node_desired) return "node";
    auto it = group_desired.find(topic);
    return it == group_desired.end() ? "" : "group:" + it->second;
}

std::vector<std::string> Topics::subscriptions() const {
    std::vector<std::string> out{node_desired, cmd};
    for (const auto& [topic, group] : group_desired) out.push_back(topic);
    return out;
}

}  // namespace edgevisor::telemetry::mqtt::detail
