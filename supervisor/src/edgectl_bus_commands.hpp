// The edgectl subcommands that talk to edgevisord over D-Bus. They live in a second program,
// edgectl-dbus (supervisor/src/dbus/), because sdbus-c++ is a shared C++ library: linked into
// edgectl it would bring the shared libstdc++ into a program that carries its own static one
// (two C++ runtimes in one process), and loading it (with libsystemd and its dependencies)
// would slow every `edgectl run` (README "Performance"). edgectl execs edgectl-dbus for these.
#pragma once

#include <array>
#include <string_view>

namespace edgevisor::edgectl {

struct BusCommand {
    const char* name;
    const char* description;
};

inline constexpr std::array<BusCommand, 11> kBusCommands = {{
    {"status", "Show the node and every workload (NAME STATE HEALTH RESTARTS CPU MEM UPTIME)"},
    {"list", "List the workloads (name, state, health, layer, pid)"},
    {"show", "Show everything about one workload"},
    {"logs", "Print a workload's recent log lines (-f: follow)"},
    {"events", "Print the node's recent events (-f: follow)"},
    {"apply", "Apply manifest files to the running supervisor (--dry-run: show the plan)"},
    {"delete", "Remove a workload that was applied (edgectl apply, D-Bus, MQTT)"},
    {"start", "Start a stopped workload"},
    {"stop", "Stop a workload (it stays stopped until started)"},
    {"restart", "Restart a workload"},
    {"exec", "Run a command inside a running workload (-i stdin, -t a terminal)"},
}};

inline bool is_bus_command(std::string_view word) {
    for (const auto& command : kBusCommands)
        if (word == command.name) return true;
    return false;
}

}  // namespace edgevisor::edgectl
