// The node config's `mqtt:` section: broker urls, identity, TLS, credentials, topics and the
// bounds of what the channel keeps and accepts.
#include <algorithm>
#include <charconv>

#include "edgevisor/manifests/mqtt_config.hpp"
#include "load_text.hpp"
#include "parse_sections.hpp"

namespace edgevisor::manifests {

std::string BrokerUrl::paho_uri() const {
    std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return (tls ? "ssl://" : "tcp://") + shown + ":" + std::to_string(port);
}

std::string BrokerUrl::text() const {
    std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return (tls ? "mqtts://" : "mqtt://") + shown + ":" + std::to_string(port);
}

std::string parse_broker_url(std::string_view text, BrokerUrl& out) {
    BrokerUrl url;
    if (text.starts_with("mqtts://")) {
        url.tls = true;
        url.port = 8883;
        text.remove_prefix(8);
    } else if (text.starts_with("mqtt://")) {
        text.remove_prefix(7);
    } else {
        return "expected mqtt://host[:port] or mqtts://host[:port]";
    }
    std::string_view port;
    if (text.starts_with('[')) {
        auto close = text.find(']');
        if (close == std::string_view::npos) return "an IPv6 address lacks its ']'";
        url.host = std::string(text.substr(1, close - 1));
        text.remove_prefix(close + 1);
        if (text.starts_with(':'))
            port = text.substr(1);
        else if (!text.empty())
            return "unexpected text after the host";
    } else {
        auto colon = text.find(':');
        url.host = std::string(text.substr(0, colon));
        if (colon != std::string_view::npos) port = text.substr(colon + 1);
    }
    if (url.host.empty() || url.host.find_first_of("/?#@ ") != std::string::npos)
        return "expected a host name or address (no path, user or query)";
    if (!port.empty() || text.ends_with(':')) {
        int value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc{} || end != port.data() + port.size() || value < 1 || value > 65535)
            return "the port must be a number from 1 to 65535";
        url.port = value;
    }
    out = std::move(url);
    return "";
}

std::string check_topic_level(std::string_view level) {
    if (level.empty()) return "an MQTT topic level cannot be empty";
    if (level.find_first_of(std::string_view("+#/\0", 4)) != std::string_view::npos)
        return "'" + std::string(level) + "' cannot be an MQTT topic level (no '+', '#', '/')";
    return "";
}

std::string check_topic_prefix(std::string_view prefix) {
    std::size_t start = 0;
    while (true) {
        auto slash = prefix.find('/', start);
        auto level = prefix.substr(start, slash - start);
        if (std::string why = check_topic_level(level); !why.empty())
            return "topic prefix '" + std::string(prefix) + "': " + why;
        if (slash == std::string_view::npos) return "";
        start = slash + 1;
    }
}

namespace detail {
namespace {

void parse_urls(Context& ctx, const yaml::Node& node, MqttConfig& out) {
    std::vector<yaml::Node> items;
    if (node.IsSequence()) {
        for (const yaml::Node& item : node) items.push_back(item);
        if (items.empty()) ctx.error(node, "invalid-value", "mqtt.url: the list is empty");
    } else {
        items.push_back(node);
    }
    for (const yaml::Node& item : items) {
        auto text = read_text(ctx, item, "mqtt.url");
        if (!text) continue;
        BrokerUrl url;
        if (std::string why = parse_broker_url(*text, url); !why.empty())
            ctx.error(item, "url-format", "mqtt.url: '" + *text + "': " + why);
        else
            out.urls.push_back(std::move(url));
    }
}

void parse_reconnect(Context& ctx, const yaml::Node& node, MqttConfig& out) {
    MapReader map(ctx, node, "mqtt.reconnect", {"initial", "max"});
    if (!map) return;
    Duration initial = out.reconnect_initial, max = out.reconnect_max;
    map.duration("initial", initial, Duration{100});
    map.duration("max", max, Duration{100});
    if (max < initial) {
        ctx.error(node, "invalid-value", "mqtt.reconnect: max is shorter than initial");
        return;
    }
    out.reconnect_initial = initial;
    out.reconnect_max = max;
}

void check_level(Context& ctx, const MapReader& map, std::string_view key, std::string why) {
    if (!why.empty()) ctx.error(*map.find(key), "topic-level", map.at(key) + ": " + why);
}

constexpr Choice<MqttProtocol> kProtocols[] = {{"mqtt5", MqttProtocol::v5},
                                               {"mqtt3.1.1", MqttProtocol::v311}};

}  // namespace

void parse_mqtt_section(Context& ctx, const yaml::Node& node, MqttConfig& out) {
    MapReader map(ctx, node, "mqtt",
                  {"url", "clientId", "caFile", "certFile", "keyFile", "verifyHostname", "username",
                   "password", "passwordFile", "keepAlive", "protocol", "topicPrefix", "maxPayload",
                   "queueLimit", "reconnect", "metricsInterval"});
    if (!map) return;
    map.require("url");
    if (const yaml::Node* url = map.find("url")) parse_urls(ctx, *url, out);
    if (map.text("clientId", out.client_id))
        check_level(ctx, map, "clientId", out.client_id.size() > 128 ? "longer than 128" : "");
    map.path("caFile", out.ca_file);
    map.path("certFile", out.cert_file);
    map.path("keyFile", out.key_file);
    if (out.cert_file.empty() != out.key_file.empty())
        ctx.error(map.mark(), "missing-key", "mqtt: certFile and keyFile go together");
    map.flag("verifyHostname", out.verify_hostname);
    map.text("username", out.username);
    map.text("password", out.password);
    map.path("passwordFile", out.password_file);
    if (map.has("password") && map.has("passwordFile"))
        ctx.error(map.key_mark("passwordFile"), "conflict",
                  "mqtt: give password or passwordFile, not both");
    Duration keep_alive{out.keep_alive};
    if (map.duration("keepAlive", keep_alive, Duration{1000}))
        out.keep_alive = std::chrono::duration_cast<std::chrono::seconds>(keep_alive);
    map.choice("protocol", out.protocol, std::span<const Choice<MqttProtocol>>(kProtocols));
    if (map.text("topicPrefix", out.topic_prefix))
        check_level(ctx, map, "topicPrefix", check_topic_prefix(out.topic_prefix));
    // A bound keeps the value a size_t on 32-bit boards and a document a board can hold.
    constexpr Bytes kMaxPayloadLimit = Bytes{64} * 1024 * 1024;
    Bytes max_payload = out.max_payload;
    if (map.bytes("maxPayload", max_payload, 1024)) {
        if (max_payload > kMaxPayloadLimit)
            ctx.error(*map.find("maxPayload"), "out-of-range", "mqtt.maxPayload: at most 64Mi");
        else
            out.max_payload = static_cast<std::size_t>(max_payload);
    }
    map.number("queueLimit", out.queue_limit, 10, 1000000);
    if (const yaml::Node* reconnect = map.find("reconnect")) parse_reconnect(ctx, *reconnect, out);
    Duration metrics = out.metrics_interval;
    if (map.duration("metricsInterval", metrics, Duration{0})) {
        if (metrics.count() != 0 && metrics < Duration{1000})
            ctx.error(*map.find("metricsInterval"), "out-of-range",
                      "mqtt.metricsInterval: at least 1s (or 0s: no metrics)");
        else
            out.metrics_interval = metrics;
    }
}

}  // namespace detail

MqttConfigResult parse_mqtt_config(std::string_view text, const std::string& file) {
    MqttConfigResult result;
    auto parsed = detail::load_bounded(text, file, ParseLimits{}, result.diagnostics);
    if (!parsed) return result;
    detail::Context ctx(file, result.diagnostics);
    if (parsed->roots.size() != 1) {
        ctx.error(SourceMark{file, 1, 1}, "one-document", "expected one document");
        return result;
    }
    detail::MapReader top(ctx, parsed->roots.front(), "", {"mqtt"});
    if (!top) return result;
    if (top.require("mqtt")) detail::parse_mqtt_section(ctx, *top.find("mqtt"), result.config);
    return result;
}

}  // namespace edgevisor::manifests
