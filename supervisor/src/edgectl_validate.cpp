// edgectl validate FILE|DIR...
//
// Checks manifests without acting on anything: every error of every file is printed to stderr
// as "file:line:col: message [rule]" (the format compilers use, so editors can jump to it).
// Exit codes: 0 valid, 1 any validation error, 2 a path that cannot be read (which also means
// the set could not be checked as a whole: dependencies may live in the unread file).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <memory>

#include "edgectl_commands.hpp"
#include "edgevisor/isolation/explain.hpp"
#include "edgevisor/isolation/warnings.hpp"
#include "edgevisor/manifests/manifests.hpp"

namespace edgevisor::edgectl {
namespace {

constexpr int kExitInvalid = 1;
constexpr int kExitUnreadable = 2;

std::string plural(std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

int validate(const std::vector<std::string>& args, bool explain) {
    std::vector<std::filesystem::path> paths(args.begin(), args.end());
    manifests::LoadResult result = manifests::load_paths(paths);
    for (const manifests::Diagnostic& d : result.diagnostics)
        std::fprintf(stderr, "%s\n", d.format().c_str());
    bool unreadable = std::any_of(result.diagnostics.begin(), result.diagnostics.end(),
                                  [](const auto& d) { return d.rule == "file-unreadable"; });
    if (!result.ok()) {
        std::fprintf(stderr, "invalid: %s in %s\n",
                     plural(result.diagnostics.size(), "error").c_str(),
                     plural(result.files, "file").c_str());
        return unreadable ? kExitUnreadable : kExitInvalid;
    }
    // Warnings go with the diagnostics (stderr) and do not change the exit status.
    for (const auto& w : result.workloads)
        for (const auto& warning : isolation::isolation_warnings(w))
            std::fprintf(stderr, "%s:%d:%d: warning: %s: %s\n", w.source.file.c_str(),
                         w.source.line, w.source.column, w.metadata.name.c_str(), warning.c_str());
    std::printf("ok: %s in %s\n", plural(result.workloads.size(), "workload").c_str(),
                plural(result.files, "file").c_str());
    if (explain)
        for (const auto& w : result.workloads) {
            std::printf("\n%s (%s:%d:%d):\n", w.metadata.name.c_str(), w.source.file.c_str(),
                        w.source.line, w.source.column);
            for (const auto& line : isolation::explain_isolation(w))
                std::printf("  %s\n", line.c_str());
        }
    return 0;
}

}  // namespace

void add_validate_command(CLI::App& app, int& exit_code) {
    auto paths = std::make_shared<std::vector<std::string>>();
    auto explain = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand(
        "validate",
        "Check manifests (files, or directories of *.yaml/*.yml) without acting on them");
    cmd->add_option("paths", *paths, "manifest files or directories")->required();
    cmd->add_flag("--explain", *explain,
                  "print, for each workload, what its isolation gives it: who root inside is on "
                  "the host, what it sees of the host, its capabilities and system calls");
    cmd->callback([paths, explain, &exit_code] { exit_code = validate(*paths, *explain); });
}

}  // namespace edgevisor::edgectl
