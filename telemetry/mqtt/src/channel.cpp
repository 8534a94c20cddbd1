// The fleet channel's state machine on the loop thread: connect with a fresh will and session
// on every attempt (Paho's own reconnect would keep the old will), subscribe, publish state,
// pump the outbox, and turn incoming desired documents into Control::apply calls and acks.
#include <sys/epoll.h>

#include <chrono>
#include <random>

#include "apply_tracker.hpp"
#include "connect_options.hpp"
#include "edgevisor/log.hpp"
#include "edgevisor/manifests/desired_state.hpp"
#include "edgevisor/telemetry/mqtt.hpp"
#include "nodelay.hpp"
#include "outbox.hpp"
#include "paho_bridge.hpp"
#include "payload_checks.hpp"
#include "payloads.hpp"
#include "session_counter.hpp"
#include "tls_files.hpp"
#include "tls_trace.hpp"
#include "topics.hpp"

namespace edgevisor::telemetry::mqtt {
namespace {

using namespace detail;
using std::chrono::milliseconds;

// Reported state is published at most this often: a converge of many workloads changes
// state thousands of times, and each publication is the whole node.
constexpr milliseconds kReportedDelay{200};
// Messages handed to Paho at once (QoS 1 in flight); Paho refuses more than its maxInflight.
constexpr std::size_t kMaxInFlight = 32;

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

class ChannelImpl final : public Channel {
  public:
    ChannelImpl(const manifests::MqttConfig& config, const NodeIdentity& identity, Control& control,
                Topics topics)
        : config_(config),
          identity_(identity),
          control_(control),
          topics_(std::move(topics)),
          outbox_(config.queue_limit),
          random_(std::random_device{}()),
          bridge_(inbox_) {}

    ~ChannelImpl() override {
        stop(milliseconds(2000));
        bridge_.unwatch_tls_trace();
        client_.reset();  // Paho's threads end before the inbox and listeners go
    }

    Status open();
    [[nodiscard]] int fd() const override { return epoll_.get(); }
    void drain() override;
    void stop(milliseconds timeout) override;
    [[nodiscard]] ChannelCounters counters() const override;

    void workload_changed(const WorkloadStatus& status) override;
    void workload_removed(std::string_view name) override;
    void event(const Event& event) override;

  private:
    void handle(Inbound& in);
    void connect_now();
    void on_connected();
    void on_connect_failed(const Inbound& in);
    void connect_failed(const std::string& why);
    void on_lost(const std::string& cause);
    void schedule_reconnect();
    void handle_message(const Inbound& in);
    void handle_desired(const std::string& layer, const Inbound& in);
    void handle_cmd(const Inbound& in);
    std::string desired_text(const std::string& layer, const std::string& payload);
    void accepted(const std::string& layer, const Inbound& in, const ApplyResult& result);
    void send_ack(const AckInfo& ack);
    void send_settled(const std::vector<Settled>& settled);
    void publish_state(const std::string& topic, const std::string& payload);
    void publish_reported();
    void report_soon();
    void pump();
    [[nodiscard]] Envelope envelope() const { return {identity_.node_id, session_, now_ms()}; }

    manifests::MqttConfig config_;
    NodeIdentity identity_;
    Control& control_;
    Topics topics_;
    Outbox outbox_;
    ApplyTracker tracker_;
    std::map<std::string, std::string> last_acks_;  // layer -> payload, for `resync`
    std::string tls_errors_;                        // of the current connect attempt
    bool tls_handshake_done_ = false;               // of the current connect attempt
    std::mt19937_64 random_;
    ChannelCounters counters_;
    std::uint64_t session_ = 0, next_session_ = 0;
    unsigned attempt_ = 0;
    bool connected_ = false, connecting_ = false, stopped_ = false;

    // Declared last: destroyed first, so no Paho thread outlives what its callbacks use.
    UniqueFd epoll_;
    Timer reconnect_, reported_, metrics_;
    Inbox inbox_;
    PahoBridge bridge_;
    std::unique_ptr<::mqtt::async_client> client_;
};

Status ChannelImpl::open() {
    if (auto s = inbox_.open(); !s) return s;
    for (Timer* timer : {&reconnect_, &reported_, &metrics_})
        if (auto s = timer->open(); !s) return s;
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) return fail_errno("epoll_create1", "cannot create the MQTT channel's epoll");
    for (int fd : {inbox_.fd(), reconnect_.fd(), reported_.fd(), metrics_.fd()}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
            return fail_errno("epoll_ctl", "cannot watch the MQTT channel's fds");
    }
    try {
        client_ = make_client(config_, identity_);
        client_->set_callback(bridge_);
    } catch (const ::mqtt::exception& e) {
        return fail("mqtt.client", std::string("cannot create the MQTT client: ") + e.what());
    }
    if (config_.metrics_interval.count() > 0) metrics_.arm(config_.metrics_interval, true);
    connect_now();
    return {};
}

void ChannelImpl::drain() {
    for (Inbound& in : inbox_.take()) handle(in);
    if (reconnect_.expired() && !stopped_ && !connected_ && !connecting_) connect_now();
    if (reported_.expired()) publish_reported();
    if (metrics_.expired())
        outbox_.push(Priority::metrics, topics_.metrics,
                     metrics_json(envelope(), control_.status()), 0);
    pump();
}

void ChannelImpl::handle(Inbound& in) {
    using Kind = Inbound::Kind;
    switch (in.kind) {
        case Kind::message:
            if (!stopped_) handle_message(in);
            break;
        case Kind::connected:
            on_connected();
            break;
        case Kind::connect_failed:
            on_connect_failed(in);
            break;
        case Kind::lost:
            on_lost(in.text);
            break;
        case Kind::delivered:
            outbox_.delivered(in.id);
            break;
        case Kind::undelivered:
            outbox_.undelivered(in.id);
            break;
        case Kind::subscribed:
            log::debug("mqtt: subscribed to {} topics", topics_.subscriptions().size());
            break;
        case Kind::subscribe_failed:
            log::error(
                "mqtt: the broker refused the subscriptions ({}); the node receives no "
                "desired state",
                describe_code(in.code));
            break;
        case Kind::tls_error:
            if (tls_errors_.find(in.text) == std::string::npos)
                tls_errors_ += (tls_errors_.empty() ? "" : "; ") + in.text;
            break;
        case Kind::tls_handshake_done:
            tls_handshake_done_ = true;
            break;
    }
}

void ChannelImpl::connect_now() {
    auto session = next_session(identity_.state_dir);
    if (!session) log::warn("mqtt: {}", session.error().describe());
    next_session_ = session ? *session : session_ + 1;
    tls_errors_.clear();
    tls_handshake_done_ = false;
    // Files that Paho would read on its own thread are checked here first (tls_files.hpp).
    if (std::string why = check_tls_files(config_); !why.empty()) return connect_failed(why);
    try {
        std::string will =
            status_json({identity_.node_id, next_session_, now_ms()}, "lost", identity_.version);
        auto options = make_connect_options(config_, topics_.status, will);
        if (uses_tls(config_)) bridge_.watch_tls_trace();
        client_->connect(options, nullptr, bridge_.connect_listener());
        connecting_ = true;
    } catch (const ::mqtt::exception& e) {
        Inbound failed;
        failed.code = e.get_return_code();
        on_connect_failed(failed);
    } catch (const std::exception& e) {
        bridge_.unwatch_tls_trace();
        connect_failed(e.what());
    }
}

void ChannelImpl::on_connected() {
    // Paho C++ 1.2 can report one MQTT 5 connect's success twice.
    if (connected_ || !connecting_) return;
    bridge_.unwatch_tls_trace();
    connecting_ = false;
    connected_ = true;
    session_ = next_session_;
    attempt_ = 0;
    ++counters_.connects;
    log::info("mqtt: connected to {} as {} (session {})", client_->get_server_uri(),
              client_->get_client_id(), session_);
    std::vector<int> ports;
    for (const auto& url : config_.urls) ports.push_back(url.port);
    if (set_nodelay_to_ports(ports) == 0)
        log::debug("mqtt: found no broker socket to set TCP_NODELAY on");
    try {
        auto topics = ::mqtt::string_collection::create(topics_.subscriptions());
        client_->subscribe(topics, ::mqtt::iasync_client::qos_collection(topics->size(), 1),
                           nullptr, bridge_.subscribe_listener());
    } catch (const ::mqtt::exception& e) {
        log::error("mqtt: cannot subscribe: {}", e.what());
    }
    publish_state(topics_.status, status_json(envelope(), "online", identity_.version));
    publish_reported();
}

void ChannelImpl::on_connect_failed(const Inbound& in) {
    bridge_.unwatch_tls_trace();
    connecting_ = false;
    connect_failed(
        connect_failure(tls_errors_, tls_handshake_done_, !config_.cert_file.empty(), in.code));
}

void ChannelImpl::connect_failed(const std::string& why) {
    ++counters_.connect_failures;
    counters_.last_error = why;
    log::warn("mqtt: cannot connect to {}: {}", urls_text(config_), why);
    schedule_reconnect();
}

void ChannelImpl::on_lost(const std::string& cause) {
    if (!connected_) return;
    connected_ = false;
    outbox_.connection_lost();
    counters_.last_error = cause.empty() ? "connection lost" : cause;
    log::warn("mqtt: lost the broker: {}; workloads keep running", counters_.last_error);
    schedule_reconnect();
}

void ChannelImpl::schedule_reconnect() {
    if (stopped_) return;
    // Exponential backoff with full jitter in [delay/2, delay], so that a fleet that lost
    // its broker does not come back in lockstep.
    auto delay = config_.reconnect_initial * (std::int64_t{1} << std::min(attempt_, 20u));
    delay = std::min<milliseconds>(delay, config_.reconnect_max);
    std::uniform_int_distribution<std::int64_t> jitter(delay.count() / 2, delay.count());
    ++attempt_;
    reconnect_.arm(milliseconds(jitter(random_)));
}

void ChannelImpl::handle_message(const Inbound& in) {
    ++counters_.received;
    if (in.topic == topics_.cmd) return handle_cmd(in);
    std::string layer = topics_.layer_of(in.topic);
    if (layer.empty()) {
        log::warn("mqtt: ignored a message on {}, which the node did not subscribe", in.topic);
        return;
    }
    handle_desired(layer, in);
}

void ChannelImpl::handle_desired(const std::string& layer, const Inbound& in) {
    AckInfo ack{layer, in.topic, std::nullopt, "REJECTED", "", {}, {}, {}};
    auto reject = [&](std::string rule, std::string message, int line, int column) {
        ++counters_.rejected;
        ack.reason = message;
        ack.errors.push_back(
            manifests::Diagnostic{manifests::SourceMark{in.topic, line, column}, rule, message});
        log::warn("mqtt: {}: rejected: {}", in.topic, ack.errors.back().format());
        send_ack(ack);
    };
    // Refused before any parser reads it: the cap bounds what one message can cost us.
    if (in.payload.size() > config_.max_payload)
        return reject("payload-too-large",
                      "the payload has " + std::to_string(in.payload.size()) +
                          " bytes; the limit is " + std::to_string(config_.max_payload),
                      1, 1);
    if (auto bad = find_invalid_utf8(in.payload))
        return reject("invalid-utf8", "the payload is not valid UTF-8", bad->line, bad->column);
    ApplyResult result =
        control_.apply(ApplyRequest{layer, desired_text(layer, in.payload), in.topic, false});
    if (result.revision != 0) ack.revision = result.revision;
    switch (result.outcome) {
        case ApplyOutcome::rejected:
            ++counters_.rejected;
            ack.errors = result.diagnostics;
            ack.reason = ack.errors.empty() ? "rejected" : ack.errors.front().format();
            log::warn("mqtt: {}: rejected: {}", in.topic, ack.reason);
            return send_ack(ack);
        case ApplyOutcome::superseded:
            ack.status = "SUPERSEDED";
            ack.reason = "an equal or newer revision of this layer is applied already";
            log::info("mqtt: {}: revision {} ignored: {}", in.topic, result.revision, ack.reason);
            return send_ack(ack);
        case ApplyOutcome::unchanged:
            // The first delivery after a (re)start of the daemon is acknowledged again: a
            // daemon killed between persisting a revision and sending its RECEIVED would
            // otherwise never acknowledge it. Later re-deliveries are no-ops.
            if (last_acks_.contains(layer)) {
                log::debug("mqtt: {}: revision {} is applied already", in.topic, result.revision);
                return;
            }
            return accepted(layer, in, result);
        case ApplyOutcome::applied:
            return accepted(layer, in, result);
    }
}

// An empty payload (a cleared retained message) empties the layer: the channel hands the
// supervisor an empty DesiredState one revision above the layer's, so that the daemon needs no
// special case and a later push (whose revision edgectl takes above every reported one) wins.
std::string ChannelImpl::desired_text(const std::string& layer, const std::string& payload) {
    if (!payload.empty()) return payload;
    std::uint64_t revision = 0;
    for (const LayerStatus& status : control_.status().layers)
        if (status.name == layer) revision = status.revision;
    return "apiVersion: edgevisor/v1\nkind: DesiredState\nrevision: " +
           std::to_string(revision + 1) + "\nworkloads: []\n";
}

void ChannelImpl::accepted(const std::string& layer, const Inbound& in, const ApplyResult& result) {
    // Persisted by apply() before it returned: this RECEIVED is a promise that survives a
    // power cut.
    AckInfo ack{layer, in.topic, result.revision, "RECEIVED", "", {}, result.plan, {}};
    send_ack(ack);
    std::map<std::string, std::string> hashes;
    for (const auto& workload :
         manifests::parse_desired_state(in.payload, in.topic).state.workloads)
        hashes[workload.metadata.name] = manifests::canonical_hash(workload);
    send_settled(tracker_.start(layer, in.topic, result.revision, result.plan, hashes));
    send_settled(tracker_.check(control_.status()));
    report_soon();
}

void ChannelImpl::handle_cmd(const Inbound& in) {
    // A retained command would run again on every reconnect of every node: never obeyed.
    if (in.retained) {
        log::warn("mqtt: {}: dropped a retained command (commands must not be retained)", in.topic);
        return;
    }
    std::string command = in.payload;
    while (!command.empty() && std::isspace(static_cast<unsigned char>(command.back())))
        command.pop_back();
    if (command.empty()) return;  // what clearing a retained command delivers
    if (command != "resync") {
        // What a peer sent goes into our log only as printable ASCII, and not much of it.
        std::string shown = command.substr(0, 64);
        for (char& c : shown)
            if (c < 0x20 || c > 0x7e) c = '?';
        log::warn("mqtt: {}: unknown command '{}' (known: resync)", in.topic, shown);
        return;
    }
    log::info("mqtt: resync requested");
    publish_state(topics_.status, status_json(envelope(), "online", identity_.version));
    publish_reported();
    for (const auto& [layer, payload] : last_acks_)
        outbox_.push(Priority::ack, topics_.ack, payload, 1);
}

void ChannelImpl::send_ack(const AckInfo& ack) {
    std::string payload = ack_json(envelope(), ack);
    last_acks_[ack.layer] = payload;
    outbox_.push(Priority::ack, topics_.ack, std::move(payload), 1);
}

void ChannelImpl::send_settled(const std::vector<Settled>& settled) {
    for (const Settled& s : settled) {
        log::info("mqtt: {} revision {}: {}", s.layer, s.revision, s.status);
        send_ack(AckInfo{s.layer, s.topic, s.revision, s.status, "", {}, s.plan, s.failed});
    }
}

void ChannelImpl::publish_state(const std::string& topic, const std::string& payload) {
    if (!connected_) return;  // re-published on the next connect anyway
    try {
        client_->publish(::mqtt::make_message(topic, payload, 1, true));
    } catch (const ::mqtt::exception& e) {
        log::warn("mqtt: cannot publish {}: {}", topic, e.what());
    }
}

void ChannelImpl::publish_reported() {
    reported_.disarm();
    NodeStatus status = control_.status();
    // The groups the channel subscribes to are what the fleet side targets.
    status.groups = identity_.groups;
    publish_state(topics_.reported, reported_json(envelope(), status));
}

void ChannelImpl::report_soon() {
    if (!reported_.armed()) reported_.arm(kReportedDelay);
}

void ChannelImpl::pump() {
    counters_.queued = outbox_.size();
    counters_.dropped = outbox_.dropped();
    if (!connected_) return;
    while (outbox_.in_flight() < kMaxInFlight) {
        Outgoing* item = outbox_.next_unsent();
        if (item == nullptr) break;
        try {
            client_->publish(::mqtt::make_message(item->topic, item->payload, item->qos, false),
                             reinterpret_cast<void*>(static_cast<std::uintptr_t>(item->id)),
                             bridge_.publish_listener());
        } catch (const ::mqtt::exception& e) {
            outbox_.undelivered(item->id);
            log::debug("mqtt: publish deferred: {}", e.what());
            break;
        }
    }
    counters_.queued = outbox_.size();
}

void ChannelImpl::stop(milliseconds timeout) {
    if (stopped_) return;
    stopped_ = true;
    reconnect_.disarm();
    metrics_.disarm();
    if (!client_) return;
    try {
        if (connected_) {
            auto offline = status_json(envelope(), "offline", identity_.version);
            client_->publish(::mqtt::make_message(topics_.status, offline, 1, true))
                ->wait_for(timeout);
        }
        if (connected_ || connecting_) client_->disconnect(timeout)->wait_for(timeout);
    } catch (const ::mqtt::exception& e) {
        log::warn("mqtt: clean disconnect failed: {}", e.what());
    }
    connected_ = connecting_ = false;
    try {
        client_->disable_callbacks();
    } catch (const ::mqtt::exception& e) {
        // Paho refuses while a connect attempt is still under way; the client is destroyed
        // before the bridge its callbacks use (member order), so they stay harmless.
        log::debug("mqtt: callbacks left on: {}", e.what());
    }
}

ChannelCounters ChannelImpl::counters() const {
    ChannelCounters out = counters_;
    out.connected = connected_;
    out.session = session_;
    out.queued = outbox_.size();
    out.dropped = outbox_.dropped();
    return out;
}

void ChannelImpl::workload_changed(const WorkloadStatus& status) {
    send_settled(tracker_.changed(status));
    report_soon();
}

void ChannelImpl::workload_removed(std::string_view name) {
    send_settled(tracker_.removed(std::string(name)));
    report_soon();
}

void ChannelImpl::event(const Event& event) {
    outbox_.push(Priority::event, topics_.events, event_json(envelope(), event), 1);
    pump();
    // Some events change the node without changing a workload (a layer conflict).
    report_soon();
}

}  // namespace

Channel::~Channel() = default;

Result<std::unique_ptr<Channel>> Channel::create(const manifests::MqttConfig& config,
                                                 const NodeIdentity& identity, Control& control) {
    if (config.urls.empty()) return fail("mqtt.config", "mqtt.url: no broker url");
    auto topics = Topics::make(config.topic_prefix, identity.node_id, identity.groups);
    if (!topics) return std::unexpected(topics.error());
    auto channel = std::make_unique<ChannelImpl>(config, identity, control, std::move(*topics));
    if (auto opened = channel->open(); !opened) return std::unexpected(opened.error());
    return channel;
}

}  // namespace edgevisor::telemetry::mqtt
