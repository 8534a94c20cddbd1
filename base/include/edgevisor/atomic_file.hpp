// Persist, then acknowledge: one way to write a file so that a crash or power cut at any moment
// leaves either the old content or the new, never a mix: write a temp file in the same
// directory, fsync it, rename it over the target, fsync the directory. In base: the daemon's
// state (layers, records) and the isolation library's id range pool share it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "edgevisor/error.hpp"

namespace edgevisor {

// Where a test cuts the write short (as a crash there would): nothing after that step happens.
enum class CutAfter { nothing, temp_written, temp_synced, renamed };

// power_cut: both fsyncs (what a channel acknowledges). process_crash: temp and rename only,
// for files rebuilt from memory or needed only while the machine stays up (the status
// snapshot, the records of running workloads): a crashed process loses nothing written.
enum class Durability { power_cut, process_crash };

Status write_file_atomic(const std::filesystem::path& path, std::string_view content,
                         CutAfter cut = CutAfter::nothing);
Status write_file_atomic(const std::filesystem::path& path, std::string_view content,
                         Durability durability);

// The whole file (regular files only, at most `limit` bytes). ENOENT when it does not exist.
Result<std::string> read_file(const std::filesystem::path& path, std::size_t limit = 16 << 20);

// mkdir -p: what it creates gets `mode` (the supervisor's state is 0700, as the unit's
// StateDirectoryMode); what exists is left as it is.
Status make_dirs(const std::filesystem::path& path, mode_t mode = 0700);

}  // namespace edgevisor
