// `edgectl logs -f` without polling: FollowLogs registers the caller for a workload's new log
// lines; the lines written during one loop iteration go to each follower in one LogLines
// signal addressed to it alone (flush(), before the loop waits). Nothing is kept or sent for
// a workload nobody follows. A follower that leaves the bus is forgotten.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgevisor::telemetry::dbus {

class LogFollowers {
  public:
    LogFollowers(sdbus::IConnection& connection, sdbus::IObject& manager);
    LogFollowers(const LogFollowers&) = delete;
    LogFollowers& operator=(const LogFollowers&) = delete;

    // Inside the FollowLogs handler. Throws sdbus::Error (too many followers, no watch).
    void add(const std::string& sender, const std::string& workload);
    void line(std::string_view workload, std::string_view text);
    // Sends what was collected; frees the watches of followers that left.
    void flush();

  private:
    struct Follower {
        std::set<std::string, std::less<>> workloads;
        sdbus::Slot watch;
    };
    struct Pending {
        std::vector<std::string> lines;
        std::size_t bytes = 0;
        std::uint64_t dropped = 0;
    };
    void gone(const std::string& sender);

    sdbus::IConnection& connection_;
    sdbus::IObject& manager_;
    std::unique_ptr<sdbus::IProxy> bus_daemon_;
    std::map<std::string, Follower> followers_;                 // by unique bus name
    std::map<std::string, std::size_t, std::less<>> followed_;  // workload -> followers
    std::map<std::string, Pending, std::less<>> pending_;
    std::vector<sdbus::Slot> dead_watches_;
};

}  // namespace edgevisor::telemetry::dbus
