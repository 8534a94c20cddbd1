// A program built by the suite, where a workload can exec it. Workloads get a fresh /tmp and
// /var/tmp by default (secure defaults), which hide a build tree under /tmp (a CI clone may live
// there): such a program is first copied out to /var/lib/edgevisor-tests/bin. Elsewhere it is the
// built file itself.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace edgevisor::testing {

inline std::string staged_program(const std::string& built) {
    if (!built.starts_with("/tmp/")) return built;
    const std::filesystem::path dir = "/var/lib/edgevisor-tests/bin";
    const auto name = std::filesystem::path(built).filename().string();
    const auto target = dir / name;
    // Copy, then rename: test processes may overlap under ctest -j, and a half-written file
    // must never be exec'd.
    const auto temp = dir / (name + "." + std::to_string(::getpid()));
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (!ec)
        std::filesystem::copy_file(built, temp, std::filesystem::copy_options::overwrite_existing,
                                   ec);
    if (!ec) std::filesystem::rename(temp, target, ec);
    // Without root the copy fails, and so would every test that runs the program: those tests
    // skip on require_root() before they use it.
    return ec ? built : target.string();
}

}  // namespace edgevisor::testing
