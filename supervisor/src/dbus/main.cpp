// edgectl-dbus: edgectl's D-Bus commands (edgectl_bus_commands.hpp says why they are a second
// program). Run as `edgectl <command>`: edgectl execs it with its own argv.
#include <CLI/CLI.hpp>

#include "../edgectl_bus_commands.hpp"
#include "common.hpp"
#include "edgevisor/log.hpp"

int main(int argc, char** argv) {
    using namespace edgevisor::edgectl::bus;
    CLI::App app{"edgectl: the local command line of edgevisor (D-Bus commands)", "edgectl"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "edgectl 0.1.0");
    Options options;
    app.add_flag("-v,--verbose", options.verbose, "say more when something fails");
    app.add_option("--bus", options.bus,
                   "the bus edgevisord serves: system (default), session or a D-Bus address "
                   "(unix:path=...)");
    int exit_code = kExitOk;
    add_read_commands(app, options, exit_code);
    add_change_commands(app, options, exit_code);
    add_exec_command(app, options, exit_code);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }
    return exit_code;
}
