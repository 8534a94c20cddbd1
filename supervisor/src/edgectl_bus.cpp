// edgectl's side of the D-Bus commands: nothing but finding edgectl-dbus and exec'ing it
// (edgectl_bus_commands.hpp says why they are a second program).
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "edgectl_bus_commands.hpp"
#include "edgectl_commands.hpp"

namespace edgevisor::edgectl {
namespace {

// Beside edgectl (the build tree), else ../libexec/edgevisor/ (the package: /usr/bin and
// /usr/libexec/edgevisor).
std::string find_bus_client() {
    std::error_code error;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
    if (error) return {};
    const auto dir = self.parent_path();
    for (const auto& candidate :
         {dir / "edgectl-dbus", dir.parent_path() / "libexec/edgevisor/edgectl-dbus"})
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    return {};
}

}  // namespace

int exec_bus_client(char** argv) {
    const std::string client = find_bus_client();
    if (client.empty()) {
        std::fprintf(stderr,
                     "edgectl: edgectl-dbus (the D-Bus commands) is not installed beside edgectl "
                     "or in ../libexec/edgevisor/\n");
        return 2;
    }
    ::execv(client.c_str(), argv);
    std::fprintf(stderr, "edgectl: cannot run %s: %s\n", client.c_str(), std::strerror(errno));
    return 2;
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
