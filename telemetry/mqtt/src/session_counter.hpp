// The session counter of status messages: one more on every connect, kept across restarts of
// the daemon (in the state directory), so that a stale `lost` will of an older connection is
// recognisable next to the `online` of a newer one.
#pragma once

#include <cstdint>
#include <filesystem>

#include "edgevisor/error.hpp"

namespace edgevisor::telemetry::mqtt::detail {

// Reads the last session, writes and syncs last + 1 (temp file, fsync, rename, fsync of the
// directory), returns it. A missing file starts at 1.
Result<std::uint64_t> next_session(const std::filesystem::path& state_dir);

}  // namespace edgevisor::telemetry::mqtt::detail
