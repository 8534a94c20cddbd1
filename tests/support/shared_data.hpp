// The real test inputs of shared/data (Docker's seccomp profile), which live beside the
// repository (a CI clone has shared/ next to it; a git worktree under wt/ has it one more level
// up). Used from there, never copied into the repository.
#pragma once

#include <filesystem>
#include <string>

#include "skip.hpp"

namespace edgevisor::testing {

// The path of shared/data/<relative>; skips the test loudly when it is not there. First where
// CMake found it (its real path, which a test guest shares), then beside the sources.
inline std::string shared_data_path(const std::string& relative) {
    const std::filesystem::path source = EDGEVISOR_SOURCE_DIR;
    const std::filesystem::path configured = EDGEVISOR_SHARED_DATA;
    for (const auto& base : {configured, source / "../shared/data", source / "../../shared/data"}) {
        if (base.empty()) continue;
        if (std::filesystem::exists(base / relative)) {
            return std::filesystem::weakly_canonical(base / relative).string();
        }
    }
    skip("shared/data/" + relative + " not found beside " + source.string());
}

inline std::string docker_profile_path() {
    return shared_data_path("seccomp/docker-default.json");
}

}  // namespace edgevisor::testing
