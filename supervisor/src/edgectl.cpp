// edgectl: the local command line of edgevisor.
#include <CLI/CLI.hpp>
#include <exception>

#include "edgectl_commands.hpp"
#include "edgevisor/log.hpp"

int main(int argc, char** argv) {
    // Before anything else, so that `edgectl run` pays nothing for the D-Bus commands.
    if (edgevisor::edgectl::bus_command_of(argc, argv) != nullptr)
        return edgevisor::edgectl::exec_bus_client(argv);
    if (edgevisor::edgectl::is_fleet_command(argc, argv))
        return edgevisor::edgectl::exec_fleet_client(argv);

    CLI::App app{"edgectl: the local command line of edgevisor"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "edgectl 0.1.0");
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "debug logging");
    app.parse_complete_callback([&] {
        using edgevisor::log::Level;
        edgevisor::log::set_level(verbose ? Level::debug : Level::info);
    });

    int exit_code = 0;
    edgevisor::edgectl::add_validate_command(app, exit_code);
    edgevisor::edgectl::add_run_command(app, exit_code);
    edgevisor::edgectl::add_bus_command_stubs(app);
    edgevisor::edgectl::add_fleet_command_stubs(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return exit_code;
}
