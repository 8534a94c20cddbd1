// A persistent cache of compiled seccomp programs, so that a short-lived process (`edgectl
// run`, a restarted daemon) does not run libseccomp's compiler again: one file per policy,
// named by the SHA-256 of everything that decides the program. The directory must be ours
// with mode 0700 and every file ours with mode 0600; anything else is refused (a cache that
// others can write could weaken filters), and the caller simply compiles.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "edgevisor/error.hpp"
#include "edgevisor/unique_fd.hpp"
#include "seccomp.hpp"

namespace edgevisor::isolation::seccomp_detail {

// $EDGEVISOR_SECCOMP_CACHE if set (tests), else /run/edgevisor/seccomp.
std::string program_cache_directory();

// The file name for a policy's canonical text: SHA-256 of the cache format version, the
// libseccomp version, the native architecture and the text.
std::string program_cache_name(std::string_view canonical_text);

class ProgramDiskCache {
  public:
    // Opens `directory`, creating it (0700) and its parent (0755) when missing. Fails when it
    // is not a directory owned by this user with mode 0700.
    static Result<ProgramDiskCache> open(const std::string& directory);

    // The stored program, or nullopt when absent, unsafe (owner, mode, not a regular file) or
    // corrupt (a later store() replaces it).
    [[nodiscard]] std::optional<SeccompProgram> load(const std::string& name) const;

    // Writes atomically (temporary file, then rename). instructions and warnings are stored;
    // policy_hash is the caller's.
    [[nodiscard]] Status store(const std::string& name, const SeccompProgram& program) const;

  private:
    explicit ProgramDiskCache(UniqueFd directory) : directory_(std::move(directory)) {}
    UniqueFd directory_;
};

struct CachedProgram {
    SeccompProgram program;
    bool from_disk = false;
};

// The program for `canonical_text`: read from the cache in `directory` when there, otherwise
// made by `compile` and stored. A cache that cannot be used is logged and bypassed: it only
// saves time, so it never makes a launch fail. `compile` runs only on a miss (an imported
// profile is parsed there, not before).
Result<CachedProgram> load_or_compile(const std::string& directory, std::string_view canonical_text,
                                      const std::function<Result<SeccompProgram>()>& compile);

}  // namespace edgevisor::isolation::seccomp_detail
