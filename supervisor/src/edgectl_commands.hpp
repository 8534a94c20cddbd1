// Each edgectl subcommand lives in its own edgectl_<name>.cpp and registers itself here.
#pragma once

#include <CLI/CLI.hpp>

namespace edgevisor::edgectl {

// Adds the subcommand to the app; the callback stored in it sets the process exit code.
void add_validate_command(CLI::App& app, int& exit_code);
void add_run_command(CLI::App& app, int& exit_code);

// The D-Bus commands (edgectl_bus_commands.hpp): the command word in argv, if any (nullptr
// for edgectl's own commands); exec'ing edgectl-dbus with argv (returns only on failure, with
// the exit code); their entries in --help.
const char* bus_command_of(int argc, char** argv);
int exec_bus_client(char** argv);
void add_bus_command_stubs(CLI::App& app);

// Execs `program` found beside edgectl or in ../libexec/edgevisor/ with argv; returns only on
// failure (exit code 2, said on stderr naming `what` it serves).
int exec_helper(const char* program, const char* what, char** argv);

// push and fleet run in edgectl-fleet (src/fleet/fleet.hpp): main() execs it for them.
bool is_fleet_command(int argc, char** argv);
int exec_fleet_client(char** argv);
void add_fleet_command_stubs(CLI::App& app);

}  // namespace edgevisor::edgectl
