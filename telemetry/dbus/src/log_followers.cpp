#include "log_followers.hpp"

#include "caller_watch.hpp"
#include "edgevisor/log.hpp"
#include "edgevisor/telemetry/dbus.hpp"
#include "wire.hpp"

namespace edgevisor::telemetry::dbus {
namespace {
constexpr std::size_t kMaxFollows = 64;            // (caller, workload) pairs
constexpr std::size_t kMaxPendingBytes = 1 << 20;  // per workload and iteration
}  // namespace

LogFollowers::LogFollowers(sdbus::IConnection& connection, sdbus::IObject& manager)
    : connection_(connection),
      manager_(manager),
      bus_daemon_(sdbus::createProxy(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus")) {
}

void LogFollowers::add(const std::string& sender, const std::string& workload) {
    auto it = followers_.find(sender);
    if (it != followers_.end() && it->second.workloads.contains(workload)) return;
    std::size_t follows = 0;
    for (const auto& [name, count] : followed_) follows += count;
    if (follows >= kMaxFollows)
        throw sdbus::Error(wire::kFailed, "FollowLogs: " + std::to_string(kMaxFollows) +
                                              " logs are followed already; try again later");
    if (it == followers_.end()) {
        auto watch =
            watch_caller(connection_, *bus_daemon_, sender, [this, sender] { gone(sender); });
        if (!watch.present) {
            dead_watches_.push_back(std::move(watch.slot));
            return;
        }
        it = followers_.emplace(sender, Follower{{}, std::move(watch.slot)}).first;
    }
    it->second.workloads.insert(workload);
    ++followed_[workload];
}

void LogFollowers::line(std::string_view workload, std::string_view text) {
    if (!followed_.contains(workload)) return;
    auto it = pending_.find(workload);
    if (it == pending_.end()) it = pending_.emplace(std::string(workload), Pending{}).first;
    Pending& p = it->second;
    if (p.bytes + text.size() > kMaxPendingBytes) {
        ++p.dropped;
        return;
    }
    p.bytes += text.size();
    p.lines.emplace_back(text);
}

void LogFollowers::flush() {
    dead_watches_.clear();
    if (pending_.empty()) return;
    auto pending = std::exchange(pending_, {});
    for (auto& [workload, p] : pending) {
        if (p.dropped > 0)
            p.lines.push_back("edgevisord: " + std::to_string(p.dropped) +
                              " lines not sent to followers (more than 1 MiB at once)");
        for (const auto& [sender, follower] : followers_) {
            if (!follower.workloads.contains(workload)) continue;
            try {
                auto signal = manager_.createSignal(kManagerInterface, "LogLines");
                signal << workload << p.lines;
                signal.setDestination(sender);
                manager_.emitSignal(signal);
            } catch (const std::exception& e) {
                log::warn("{}: LogLines not sent to {}: {}", workload, sender, e.what());
            }
        }
    }
}

void LogFollowers::gone(const std::string& sender) {
    auto it = followers_.find(sender);
    if (it == followers_.end()) return;
    for (const auto& workload : it->second.workloads) {
        auto f = followed_.find(workload);
        if (f != followed_.end() && --f->second == 0) followed_.erase(f);
    }
    // Not freed here: this runs inside the watch's own callback.
    dead_watches_.push_back(std::move(it->second.watch));
    followers_.erase(it);
}

}  // namespace edgevisor::telemetry::dbus
