// A node for the end-to-end tests: a private bus and the real edgevisord on it, driven by
// edgectl as a user runs it (root, or nobody through setpriv).
#pragma once

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "../daemon/daemon_support.hpp"
#include "bus_support.hpp"

namespace edgevisor::testing {

inline std::string sleeper(const std::string& name) {
    return workload_yaml(name, "  command: [/bin/sh, -c, \"echo hello from " + name +
                                   "; exec /bin/sleep 1000\"]\n  stopTimeout: 5s\n"
                                   "  isolation: {init: true}\n");
}

inline bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// A private bus and edgevisord on it, with `admin_group` as dbus.adminGroup and `extra_config`
// (YAML lines) added to its node config.
struct Node {
    PrivateBus bus;
    Daemon daemon;
    explicit Node(const std::string& admin_group = "nogroup", const std::string& extra_config = "")
        : daemon("dbus: {bus: \"" + bus.address() + "\", adminGroup: \"" + admin_group + "\"}\n" +
                 extra_config) {
        daemon.write_manifest("sensor.yaml", sleeper("sensor-reader"));
        daemon.start();
        REQUIRE(daemon.wait_state("sensor-reader", "running"));
        // The name is taken before the first reconcile; the workload is running by now.
        auto out = edgectl({"status"});
        INFO(out.err << daemon.daemon_output());
        REQUIRE(out.code == 0);
    }
    Outcome edgectl(std::vector<std::string> args, bool as_nobody = false) const {
        args.insert(args.begin(), {EDGEVISOR_EDGECTL, "--bus", bus.address()});
        if (as_nobody)
            args.insert(args.begin(),
                        {"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"});
        return run(args);
    }
    // Runs `edgectl` until `done` holds for its stdout, or 30 s pass.
    bool until(std::vector<std::string> args, const std::function<bool(const std::string&)>& done) {
        for (int i = 0; i < 300; ++i) {
            if (done(edgectl(args).out)) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return false;
    }
    // Until `monitor` (busctl monitor of the service) prints what it sees: it shows edgectl's
    // ListWorkloads call.
    void wait_until_seen(Background& monitor) const {
        for (int i = 0; i < 100; ++i) {
            edgectl({"list"});
            if (has(monitor.read_until("Member=ListWorkloads", std::chrono::seconds(1)),
                    "Member=ListWorkloads"))
                return;
        }
    }
    std::filesystem::path file(const std::string& name, const std::string& text) const {
        auto path = bus.dir() / name;
        write_text(path, text);
        return path;
    }
};

}  // namespace edgevisor::testing
