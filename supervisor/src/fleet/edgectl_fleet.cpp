// edgectl-fleet: `edgectl push` and `edgectl fleet status` (fleet.hpp says why a second program).
#include <CLI/CLI.hpp>

#include "edgevisor/log.hpp"
#include "fleet.hpp"

int main(int argc, char** argv) {
    CLI::App app{"edgectl: the fleet commands of edgevisor"};
    app.name("edgectl");
    app.require_subcommand(1);
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "debug logging");
    app.parse_complete_callback([&] {
        using edgevisor::log::Level;
        edgevisor::log::set_level(verbose ? Level::debug : Level::warn);
    });
    int exit_code = 0;
    edgevisor::fleet::add_push_command(app, exit_code);
    edgevisor::fleet::add_fleet_command(app, exit_code);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return exit_code;
}
