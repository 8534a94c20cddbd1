// Each edgectl subcommand lives in its own edgectl_<name>.cpp and registers itself here.
#pragma once

#include <CLI/CLI.hpp>

namespace edgevisor::edgectl {

// Adds the subcommand to the app; the callback stored in it sets the process exit code.
void add_validate_command(CLI::App& app, int& exit_code);
void add_run_command(CLI::App& app, int& exit_code);

}  // namespace edgevisor::edgectl
