// The topics of one node under the prefix (README "Fleet channel"), and which layer an
// incoming desired topic feeds. Exact topics only (no wildcards), so that any standard broker,
// clustered ones too, routes them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "edgevisor/error.hpp"

namespace edgevisor::telemetry::mqtt::detail {

struct Topics {
    std::string node_desired, cmd, ack, reported, status, events, metrics;
    std::map<std::string, std::string> group_desired;  // topic -> group name

    // Checks the prefix, node id and group names as topic levels first.
    static Result<Topics> make(const std::string& prefix, const std::string& node,
                               const std::vector<std::string>& groups);

    // "node", "group:<name>", or "" when `topic` is not one of our desired topics.
    [[nodiscard]] std::string layer_of(const std::string& topic) const;
    // Every topic the node subscribes to.
    [[nodiscard]] std::vector<std::string> subscriptions() const;
};

}  // namespace edgevisor::telemetry::mqtt::detail
