// The node config (/etc/edgevisor/edgevisor.yaml): one document
//   apiVersion: edgevisor/v1
//   kind: NodeConfig
//   node: {...}  paths: {...}  cgroup: {...}  log: {...}  supervisor: {...}  idPool: {...}
// read by the manifest reader (errors carry file:line:col, unknown keys are errors). Every
// field has its default here, so the daemon runs with no file. README "Node config" lists
// every key. Each section is parsed (and printed back) by its own file in src/config/;
// a channel adds its section (dbus, mqtt) there and in the table of src/config/config.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgevisor/manifests/manifests.hpp"
#include "edgevisor/manifests/mqtt_config.hpp"

namespace edgevisor::manifests {

struct NodeIdentity {
    std::string id;  // "" means: /etc/machine-id, else the host name (resolved by the daemon)
    std::vector<std::string> groups;
    std::map<std::string, std::string> labels;
};

struct NodePaths {
    std::string manifests = "/etc/edgevisor/manifests.d";
    std::string state = "/var/lib/edgevisor";
    std::string runtime = "/run/edgevisor";
    std::string logs = "/var/log/edgevisor";
};

enum class CgroupLayoutChoice { automatic, standalone, delegated };

struct CgroupConfig {
    bool allow_missing_controllers = false;
    // automatic: delegated when started by systemd (INVOCATION_ID set), else standalone.
    CgroupLayoutChoice layout = CgroupLayoutChoice::automatic;
    std::string subtree = "edgevisord";  // standalone: <cgroup2 mount>/<subtree>
};

struct LogConfig {
    std::string level = "info";  // debug | info | warn | error
};

// How the daemon supervises (defaults that a workload's manifest cannot change).
struct SupervisorConfig {
    Duration debounce{200};      // manifest directory changes are applied this long after the last
    Duration stable_run{10000};  // a run this long resets the backoff and the crash-loop count
    std::uint32_t crash_loop_after = 5;  // failed runs in a row (no stable run) -> crash-loop
    Duration watchdog{0};                // 0: WATCHDOG_USEC from systemd decides (half of it)
    Duration sample_interval{10000};     // resource figures of every workload, one timer
    // Start-up pages given back this long after the last change (release_clean_pages); 0: never.
    Duration release_memory_after{5000};
};

// Per-workload user namespace id ranges: `count` ranges of `size` ids from `first`. The
// default is systemd-nspawn's private users: 28664 ranges of 65536 from 524288 (0x80000) up to
// 1879048192 (0x70000000). Kept in paths.state (isolation/id_pool.hpp).
struct IdPoolConfig {
    std::uint32_t first = 524288;
    std::uint32_t size = 65536;
    std::uint32_t count = 28664;
};

// Where org.edgevisor.Supervisor1 is served and who may change the node through it.
struct DbusConfig {
    std::string bus = "system";             // system | session | a D-Bus address
    std::string admin_group = "edgevisor";  // with root, may Apply/Remove/Start/Stop/Restart
};

struct NodeConfig {
    NodeIdentity node;
    NodePaths paths;
    CgroupConfig cgroup;
    LogConfig log;
    SupervisorConfig supervisor;
    IdPoolConfig id_pool;
    DbusConfig dbus;
    // The fleet channel; none (no `mqtt:` section, or `mqtt: null`): no MQTT at all.
    std::optional<MqttConfig> mqtt;
    std::string file;  // where it was read from, "" for the embedded defaults
};

struct NodeConfigResult {
    NodeConfig config;
    std::vector<Diagnostic> diagnostics;
    [[nodiscard]] bool ok() const { return diagnostics.empty(); }
};

// An empty text (or only comments) is the embedded defaults.
NodeConfigResult parse_node_config(std::string_view text, const std::string& file);
// Reads the file (bounded, regular files only) and parses it.
NodeConfigResult load_node_config(const std::filesystem::path& path);
// The effective config as a YAML document (edgevisord --check-config): every key, defaults
// spelled out; parse_node_config of it gives the same config.
std::string render_node_config(const NodeConfig& config);

}  // namespace edgevisor::manifests
