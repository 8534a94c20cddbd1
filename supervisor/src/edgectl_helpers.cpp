// edgectl's second programs: edgectl-dbus (the D-Bus commands, edgectl_bus_commands.hpp) and
// edgectl-fleet (push, fleet: src/fleet/fleet.hpp) link shared C++ libraries, so edgectl
// finds and execs them for their words; here the finding and the fleet words.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "edgectl_commands.hpp"
#include "edgevisor/helper_program.hpp"

namespace edgevisor::edgectl {
int exec_helper(const char* program, const char* what, char** argv) {
    const std::string path = helper_program(program);
    if (::access(path.c_str(), X_OK) != 0) {
        std::fprintf(stderr,
                     "edgectl: %s (%s) is not installed beside edgectl or in "
                     "../libexec/edgevisor/ (%s)\n",
                     program, what, path.c_str());
        return 2;
    }
    ::execv(path.c_str(), argv);
    std::fprintf(stderr, "edgectl: cannot run %s: %s\n", path.c_str(), std::strerror(errno));
    return 2;
}

bool is_fleet_command(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view word = argv[i];
        if (word == "-v" || word == "--verbose") continue;
        return word == "push" || word == "fleet";
    }
    return false;
}

int exec_fleet_client(char** argv) {
    return exec_helper("edgectl-fleet", "push, fleet", argv);
}

void add_fleet_command_stubs(CLI::App& app) {
    // Listed in `edgectl --help`; main() hands them to edgectl-fleet before parsing.
    app.add_subcommand("push", "Publish manifests to a node or a group over MQTT (--wait)")
        ->allow_extras();
    app.add_subcommand("fleet", "The fleet as its broker sees it (fleet status)")->allow_extras();
}

}  // namespace edgevisor::edgectl
