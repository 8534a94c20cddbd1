// edgectl's fleet commands (push, fleet status), in their own program edgectl-fleet: Paho MQTT
// C++ is a shared C++ library, and edgectl carries a static libstdc++ (two C++ runtimes must
// not meet in one process) and keeps its start-up small for `edgectl run`. edgectl execs
// edgectl-fleet for these words, as it does edgectl-dbus for the D-Bus commands.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/manifests/mqtt_config.hpp"

namespace edgevisor::fleet {

// The broker and the node's TLS and credential options, as flags.
struct BrokerOptions {
    std::vector<std::string> urls;
    std::string ca_file, cert_file, key_file, username, password_file;
    bool no_verify_hostname = false;
    std::string prefix = "edgevisor/v1";
    std::string timeout_text = "10s";

    void add_to(CLI::App& cmd);
    [[nodiscard]] Result<manifests::MqttConfig> config() const;
};

// "60s", "2m", "500ms" as the manifests read durations.
Result<std::chrono::milliseconds> parse_timeout(const std::string& text);

// The DesiredState text holding every Workload document of `files`, in order, under
// `revision`; the files are validated first (errors as file:line:col in the result).
struct Composed {
    std::string text;
    std::vector<std::string> names;
    std::vector<std::string> errors;
};
Composed compose_desired(const std::vector<std::string>& files, std::uint64_t revision);

void add_push_command(CLI::App& app, int& exit_code);
void add_fleet_command(CLI::App& app, int& exit_code);

}  // namespace edgevisor::fleet
