// edgectl's side of the D-Bus commands: nothing but finding edgectl-dbus and exec'ing it
// (edgectl_bus_commands.hpp says why they are a second program).
#include <string>

#include "edgectl_bus_commands.hpp"
#include "edgectl_commands.hpp"

namespace edgevisor::edgectl {
int exec_bus_client(char** argv) {
    return exec_helper("edgectl-dbus", "the D-Bus commands", argv);
}

void add_bus_command_stubs(CLI::App& app) {
    // Listed in `edgectl --help`; main() hands them to edgectl-dbus before parsing, so these
    // are never run.
    static std::string bus;
    app.add_option("--bus", bus,
                   "for the D-Bus commands: the bus edgevisord serves (system, session or an "
                   "address)");
    for (const auto& command : kBusCommands)
        app.add_subcommand(command.name, command.description)->allow_extras();
}

const char* bus_command_of(int argc, char** argv) {
    // The first word that is not an option of edgectl itself.
    for (int i = 1; i < argc; ++i) {
        const std::string_view word = argv[i];
        if (word == "-v" || word == "--verbose") continue;
        if (word == "--bus" || word.starts_with("--bus=")) return "--bus";
        if (word.starts_with("-")) return nullptr;
        return is_bus_command(word) ? argv[i] : nullptr;
    }
    return nullptr;
}

}  // namespace edgevisor::edgectl
